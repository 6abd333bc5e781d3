//! The build context, read from disk: manifests written as patterns become
//! the members of a workspace, each copied to its own place, and what a
//! Dockerfile would copy but the context lacks is reported.

mod common;

use std::path::Path;

use common::{codes, compile_file, rendered, workspace};

#[test]
fn workspace_members_are_copied_each_to_its_place() {
    let c = compile_file(Path::new("tests/e2e/npm-workspace/service.imgspec"));
    assert!(!c.diagnostics.has_errors(), "{}", rendered(&c));
    let dockerfile = &c.outputs[0].dockerfile;
    for line in [
        "COPY apps/api/package.json ./apps/api/",
        "COPY packages/greeting/package.json ./packages/greeting/",
    ] {
        assert!(dockerfile.contains(line), "{line}\n{dockerfile}");
    }
    assert!(
        !dockerfile.contains('*'),
        "a pattern was copied:\n{dockerfile}"
    );
    // Only manifests come before the install.
    let install = dockerfile.find("npm ci").expect("install");
    assert!(!dockerfile[..install].contains("/src/"), "{dockerfile}");
    // And the context's allow-list lets each of them in.
    let ignore = &c.outputs[0].dockerignore;
    assert!(ignore.contains("!apps/api/package.json"), "{ignore}");
    assert!(
        ignore.contains("!packages/greeting/package.json"),
        "{ignore}"
    );
}

#[test]
fn a_pattern_that_matches_nothing_is_reported() {
    let spec = "use std.node\nimage api = node.service() {\n  deps    = [node.npm() { manifests += [\"packages/*/package.json\"] }]\n  sources = [\"src/\"]\n  run { cmd = [\"node\", \"src/server.js\"] }\n}\n";
    let dir = workspace(
        "context/no-members",
        &[
            ("app.imgspec", spec),
            ("package.json", "{}\n"),
            ("package-lock.json", "{}\n"),
            ("src/server.js", "\n"),
        ],
    );
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
    let c = compile_file(&dir.join("app.imgspec"));
    assert_eq!(codes(&c), ["E0122"], "{}", rendered(&c));
    assert!(
        rendered(&c).contains("`packages/*/package.json` is not in the build context"),
        "{}",
        rendered(&c)
    );
}

#[test]
fn a_missing_lock_file_is_reported_at_the_ecosystem() {
    let spec = "use std.python\nimage api {\n  base    = python.slim()\n  deps    = [python.poetry()]\n  sources = [\"app/\"]\n}\n";
    let dir = workspace(
        "context/no-lock",
        &[
            ("app.imgspec", spec),
            ("pyproject.toml", "[tool.poetry]\n"),
            ("app/main.py", "\n"),
        ],
    );
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
    let c = compile_file(&dir.join("app.imgspec"));
    assert_eq!(codes(&c), ["E0122"], "{}", rendered(&c));
    assert!(rendered(&c).contains("`poetry.lock`"), "{}", rendered(&c));
}

/// The check never looks through a symlink, which might lead out of the
/// project: whether a path behind one exists is left to the build, and
/// nothing outside is probed (so no diagnostic can tell what is there).
#[test]
fn paths_behind_a_symlink_are_not_looked_up() {
    let spec = "use std.debian\nimage app {\n  base = debian.bookworm()\n  sources = [\"src/\", \"shared/missing.txt\"]\n  run { cmd = [\"/app/src/run\"] }\n}\n";
    let dir = workspace(
        "context/symlink",
        &[("app.imgspec", spec), ("src/run", "#!/bin/sh\n")],
    );
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
    let outside = workspace("context/symlink-outside", &[("present.txt", "x\n")]);
    let _ = std::fs::remove_file(dir.join("shared"));
    std::os::unix::fs::symlink(&outside, dir.join("shared")).expect("symlink");
    let c = compile_file(&dir.join("app.imgspec"));
    assert!(codes(&c).is_empty(), "{}", rendered(&c));
}

/// A spec of one image in a fresh project (a `.git` marks its root),
/// beside `files`.
fn project(name: &str, spec: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let mut all = vec![("app.imgspec", spec)];
    all.extend_from_slice(files);
    let dir = workspace(name, &all);
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
    dir
}

const NPM_SPEC: &str = "use std.node\nimage api = node.service() {\n  deps    = [node.npm() { optional += [\".yarn/patches\", \"missing.txt\", \"config/*\", \"nothing/*.json\", \"skipped.txt\"] }]\n  sources = [\"src/\"]\n  exclude = [\"skipped.txt\"]\n  run { cmd = [\"node\", \"src/server.js\"] }\n}\n";

#[test]
fn optional_manifests_the_context_has_are_copied_before_the_install() {
    let dir = project(
        "context/optional",
        NPM_SPEC,
        &[
            ("package.json", "{}\n"),
            ("package-lock.json", "{}\n"),
            (".npmrc", "registry=https://registry.example.com/\n"),
            ("patches/left-pad+1.3.0.patch", "\n"),
            (".yarn/patches/x.patch", "\n"),
            ("config/a.json", "{}\n"),
            ("config/.env.local", "SECRET=1\n"),
            ("skipped.txt", "\n"),
            ("src/server.js", "\n"),
        ],
    );
    let c = compile_file(&dir.join("app.imgspec"));
    assert!(!c.diagnostics.has_errors(), "{}", rendered(&c));
    let dockerfile = &c.outputs[0].dockerfile;
    let install = dockerfile.find("npm ci").expect("install");
    for line in [
        // Files join the manifests' COPY, after them.
        "COPY package.json package-lock.json .npmrc ./",
        // A directory keeps its trailing `/`, written with it or not.
        "COPY patches/ ./patches/",
        "COPY .yarn/patches/ ./.yarn/patches/",
        // A pattern brings the files it matches, never a dotenv file.
        "COPY config/a.json ./config/",
    ] {
        let at = dockerfile
            .find(line)
            .unwrap_or_else(|| panic!("{line}\n{dockerfile}"));
        assert!(at < install, "{line} after the install\n{dockerfile}");
    }
    // Missing, matching nothing, or excluded: left out without a word.
    for absent in [".env", "missing.txt", "nothing/", "skipped.txt"] {
        assert!(!dockerfile.contains(absent), "{absent}\n{dockerfile}");
    }
    assert!(
        c.outputs[0].dockerignore.contains("!.npmrc"),
        "{}",
        c.outputs[0].dockerignore
    );
}

#[test]
fn optional_manifests_are_left_out_when_the_context_is_unknown() {
    let loader = imgspec::loader::MemoryLoader::new().with("app.imgspec", NPM_SPEC);
    let c = common::compile_with(&loader, Path::new("app.imgspec"));
    assert!(!c.diagnostics.has_errors(), "{}", rendered(&c));
    let dockerfile = &c.outputs[0].dockerfile;
    assert!(
        dockerfile.contains("COPY package.json package-lock.json ./\n"),
        "{dockerfile}"
    );
    assert!(!dockerfile.contains("npmrc"), "{dockerfile}");
    assert!(!dockerfile.contains("patches"), "{dockerfile}");
}

/// Refused as written, whether the context has it or not: it must not be
/// copied the day the file appears.
#[test]
fn an_optional_dotenv_file_is_refused() {
    let spec = "use std.node\nimage api = node.service() {\n  deps    = [node.npm() { optional += [\".env\"] }]\n  sources = [\"src/\"]\n}\n";
    let loader = imgspec::loader::MemoryLoader::new().with("app.imgspec", spec);
    let c = common::compile_with(&loader, Path::new("app.imgspec"));
    assert_eq!(codes(&c), ["E0121"], "{}", rendered(&c));
    assert!(
        rendered(&c).contains("an optional manifest names `.env`"),
        "{}",
        rendered(&c)
    );
    let dir = project(
        "context/optional-dotenv",
        spec,
        &[
            ("package.json", "{}\n"),
            ("package-lock.json", "{}\n"),
            (".env", "SECRET=1\n"),
            ("src/server.js", "\n"),
        ],
    );
    let c = compile_file(&dir.join("app.imgspec"));
    assert_eq!(codes(&c), ["E0121"], "{}", rendered(&c));
    assert!(c.outputs.is_empty());
}

#[test]
fn an_optional_manifest_behind_a_symlink_is_left_out() {
    let dir = project(
        "context/optional-symlink",
        NPM_SPEC,
        &[
            ("package.json", "{}\n"),
            ("package-lock.json", "{}\n"),
            ("src/server.js", "\n"),
        ],
    );
    let outside = workspace(
        "context/optional-symlink-outside",
        &[(
            ".npmrc",
            "//registry.npmjs.org/:_authToken=npm_0123456789\n",
        )],
    );
    std::os::unix::fs::symlink(outside.join(".npmrc"), dir.join(".npmrc")).expect("symlink");
    std::os::unix::fs::symlink(&outside, dir.join("patches")).expect("symlink");
    let c = compile_file(&dir.join("app.imgspec"));
    assert!(!c.diagnostics.has_errors(), "{}", rendered(&c));
    let dockerfile = &c.outputs[0].dockerfile;
    assert!(!dockerfile.contains("npmrc"), "{dockerfile}");
    assert!(!dockerfile.contains("patches/"), "{dockerfile}");
}

#[test]
fn a_copied_registry_token_is_refused() {
    let cases: &[(&str, &str, &str)] = &[
        (
            ".npmrc",
            "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=npm_0123456789abcdef\n",
            "`_authToken`",
        ),
        (".npmrc", "_auth = dXNlcjpwYXNz\n", "`_auth`"),
        (
            ".yarnrc",
            "\"//registry.npmjs.org/:_authToken\" \"npm_0123456789\"\n",
            "`_authToken`",
        ),
    ];
    for (i, (file, text, key)) in cases.iter().enumerate() {
        let spec = "use std.node\nimage api = node.service() {\n  deps    = [node.yarn()]\n  sources = [\"src/\"]\n}\n";
        let dir = project(
            &format!("context/token-{i}"),
            spec,
            &[
                ("package.json", "{}\n"),
                ("yarn.lock", "\n"),
                (file, text),
                ("src/server.js", "\n"),
            ],
        );
        let c = compile_file(&dir.join("app.imgspec"));
        let text_out = rendered(&c);
        assert_eq!(codes(&c), ["E0121"], "{file}: {text_out}");
        assert!(text_out.contains(key), "{text_out}");
        assert!(
            !text_out.contains("0123456789") && !text_out.contains("dXNlcjpwYXNz"),
            "a diagnostic shows the token: {text_out}"
        );
    }
}

#[test]
fn registry_settings_without_a_token_are_copied() {
    let spec = "use std.node\nimage api {\n  base    = node.slim()\n  deps    = [node.yarn_berry()]\n  sources = [\"src/\"]\n  run { cmd = [\"node\", \"src/server.js\"] }\n}\n";
    let dir = project(
        "context/token-from-env",
        spec,
        &[
            ("package.json", "{}\n"),
            ("yarn.lock", "\n"),
            (
                ".yarnrc.yml",
                "nodeLinker: node-modules\nyarnPath: .yarn/releases/yarn-4.5.0.cjs\nnpmAuthToken: \"${NPM_TOKEN}\"\n# npmAuthToken: npm_old\n",
            ),
            (".yarn/releases/yarn-4.5.0.cjs", "\n"),
            (".yarn/plugins/@yarnpkg/plugin-x.cjs", "\n"),
            ("src/server.js", "\n"),
        ],
    );
    let c = compile_file(&dir.join("app.imgspec"));
    assert!(!c.diagnostics.has_errors(), "{}", rendered(&c));
    assert!(
        c.outputs[0]
            .dockerfile
            .contains("COPY .yarn/plugins/ ./.yarn/plugins/"),
        "{}",
        c.outputs[0].dockerfile
    );
    // Written out in the required manifest: refused too.
    std::fs::write(
        dir.join(".yarnrc.yml"),
        "nodeLinker: node-modules\nnpmAuthToken: npm_0123456789\n",
    )
    .expect("write");
    let c = compile_file(&dir.join("app.imgspec"));
    assert_eq!(codes(&c), ["E0121"], "{}", rendered(&c));
}

/// A case: its name, the spec, the files beside it, lines the Dockerfile has.
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);

/// The files of each standard ecosystem that come along when present.
#[test]
fn standard_ecosystems_copy_the_settings_their_tools_read() {
    let cases: &[Case] = &[
        (
            "cargo",
            "use std.rust\nimage app = rust.service(bin: \"app\") {}\n",
            &[
                ("Cargo.toml", "[package]\nname = \"app\"\n"),
                ("Cargo.lock", "\n"),
                ("rust-toolchain.toml", "[toolchain]\nchannel = \"1.82\"\n"),
                (".cargo/config.toml", "[net]\ngit-fetch-with-cli = true\n"),
                ("src/main.rs", "fn main() {}\n"),
            ],
            &[
                "COPY Cargo.toml Cargo.lock rust-toolchain.toml ./",
                "COPY .cargo/config.toml ./.cargo/",
            ],
        ),
        (
            "nuget",
            "use std.dotnet\nimage app = dotnet.web(project: \"Api.csproj\", assembly: \"Api.dll\") {\n  sources = [\"Program.cs\"]\n}\n",
            &[
                ("Api.csproj", "<Project/>\n"),
                ("nuget.config", "<configuration/>\n"),
                ("Directory.Packages.props", "<Project/>\n"),
                ("Program.cs", "\n"),
            ],
            // Only the name the context has, in its own case.
            &["COPY Api.csproj nuget.config Directory.Packages.props ./"],
        ),
        (
            "pnpm",
            "use std.node\nimage app {\n  base    = node.slim()\n  deps    = [node.pnpm()]\n  sources = [\"src/\"]\n  run { cmd = [\"node\", \"src/main.js\"] }\n}\n",
            &[
                ("package.json", "{}\n"),
                ("pnpm-lock.yaml", "\n"),
                ("pnpm-workspace.yaml", "onlyBuiltDependencies:\n  - esbuild\n"),
                (".pnpmfile.cjs", "\n"),
                ("src/main.js", "\n"),
            ],
            &["COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .pnpmfile.cjs ./"],
        ),
        (
            "bundler",
            "use std.ruby\nimage app = ruby.service() {\n  sources = [\"app/\"]\n  run { cmd = [\"ruby\", \"app/main.rb\"] }\n}\n",
            &[
                ("Gemfile", "\n"),
                ("Gemfile.lock", "\n"),
                (".ruby-version", "3.3.5\n"),
                (".bundle/config", "BUNDLE_PATH: vendor/bundle\n"),
                ("app/main.rb", "\n"),
            ],
            &["COPY Gemfile Gemfile.lock .ruby-version ./"],
        ),
    ];
    for (name, spec, files, lines) in cases {
        let dir = project(&format!("context/stdlib-{name}"), spec, files);
        let c = compile_file(&dir.join("app.imgspec"));
        assert!(!c.diagnostics.has_errors(), "{name}: {}", rendered(&c));
        let dockerfile = &c.outputs[0].dockerfile;
        for line in *lines {
            assert!(dockerfile.contains(line), "{name}: {line}\n{dockerfile}");
        }
        assert!(!dockerfile.contains(".bundle"), "{name}\n{dockerfile}");
    }
}

#[test]
fn a_registry_token_in_cargo_settings_is_refused() {
    let spec = "use std.rust\nimage app = rust.service(bin: \"app\") {}\n";
    let dir = project(
        "context/token-cargo",
        spec,
        &[
            ("Cargo.toml", "[package]\nname = \"app\"\n"),
            ("Cargo.lock", "\n"),
            (
                ".cargo/config.toml",
                "[registries.internal]\nindex = \"sparse+https://crates.example.com/\"\ntoken = \"cio0123456789\"\n",
            ),
            ("src/main.rs", "fn main() {}\n"),
        ],
    );
    let c = compile_file(&dir.join("app.imgspec"));
    assert_eq!(codes(&c), ["E0121"], "{}", rendered(&c));
    assert!(!rendered(&c).contains("cio0123456789"), "{}", rendered(&c));
}

#[test]
fn a_maven_reactor_copies_every_module_pom_by_pattern() {
    let spec = "use std.java\nimage api = java.maven_service() {\n  deps    = [java.maven() { manifests += [\"*/pom.xml\"] }]\n  sources = [\"core/src/\", \"api/src/\"]\n  run { cmd = [\"java\", \"-jar\", \"/app/app.jar\"] }\n}\n";
    let pom = "<project><modules><module>core</module><module>api</module></modules></project>\n";
    let dir = workspace(
        "context/maven-reactor",
        &[
            ("app.imgspec", spec),
            ("pom.xml", pom),
            ("core/pom.xml", "<project/>\n"),
            ("core/src/main/java/A.java", "class A {}\n"),
            ("api/pom.xml", "<project/>\n"),
            ("api/src/main/java/B.java", "class B {}\n"),
        ],
    );
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
    let c = compile_file(&dir.join("app.imgspec"));
    assert_eq!(codes(&c), Vec::<&str>::new(), "{}", rendered(&c));
    let dockerfile = &c.outputs[0].dockerfile;
    for copy in ["COPY api/pom.xml ./api/", "COPY core/pom.xml ./core/"] {
        assert!(dockerfile.contains(copy), "no `{copy}` in\n{dockerfile}");
    }
}

#[test]
fn a_pattern_aimed_at_hidden_directories_is_still_refused() {
    for source in [".*/config", ".e*", "*"] {
        let spec = format!("use std.debian\nimage t {{\n  base    = debian.bookworm()\n  sources = [\"{source}\"]\n}}\n");
        let dir = workspace(
            "context/hidden-pattern",
            &[("app.imgspec", &spec), ("src/a", "\n")],
        );
        std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
        let c = compile_file(&dir.join("app.imgspec"));
        let codes = codes(&c);
        assert!(
            codes.contains(&"E0121") || codes.contains(&"E0110"),
            "{source}: {}",
            rendered(&c)
        );
    }
}

#[test]
fn php_extensions_the_runner_installs_satisfy_composer() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/diagnostics/E0126-missing-extension");
    let mut files: Vec<(String, String)> = Vec::new();
    for name in [
        "composer.json",
        "composer.lock",
        "public/index.php",
        "src/Cart.php",
    ] {
        let text = std::fs::read_to_string(fixture.join(name)).expect("fixture file");
        files.push((name.to_string(), text));
    }
    for (label, run) in [
        ("template", "image shop = php.apache_service(version: \"8.3\", extensions: [\"pdo_mysql\", \"intl\", \"bcmath\"]) {\n  sources = [\"public/\", \"src/\"]\n}\n"),
        ("setup", "image shop = php.apache_service(version: \"8.3\") {\n  sources = [\"public/\", \"src/\"]\n  run {\n    setup += [\"docker-php-ext-install -j2 intl pdo_mysql bcmath\"]\n  }\n}\n"),
    ] {
        let spec = format!("use std.php\n{run}");
        let mut all: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        all.push(("app.imgspec", &spec));
        let dir = workspace(&format!("context/php-extensions-{label}"), &all);
        std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
        let c = compile_file(&dir.join("app.imgspec"));
        assert_eq!(codes(&c), Vec::<&str>::new(), "{label}: {}", rendered(&c));
    }
}
