//! The prepared runner: users reused from the base or created without
//! clashing, writable directories, setup commands, artifact ownership, a
//! work directory of its own, tini on every base family, and apt that
//! never prompts.

mod common;

use std::path::Path;

use common::{codes, compile_with, rendered, stages};
use imgspec::loader::MemoryLoader;

fn compile(spec: &str) -> Result<String, String> {
    let loader = MemoryLoader::new().with("app.imgspec", spec);
    let c = compile_with(&loader, Path::new("app.imgspec"));
    match c.outputs.first() {
        Some(output) if !c.diagnostics.has_errors() => Ok(output.dockerfile.clone()),
        _ => Err(rendered(&c)),
    }
}

fn codes_of(spec: &str) -> Vec<&'static str> {
    let loader = MemoryLoader::new().with("app.imgspec", spec);
    codes(&compile_with(&loader, Path::new("app.imgspec")))
}

/// A spec on `base` (from `module`) with `run` lines.
fn spec(module: &str, base: &str, run: &str) -> String {
    format!(
        "use std.{module}\nimage app {{\n  base = {base}\n  sources = [\"bin/\"]\n  run {{\n    {run}\n    cmd = [\"/app/bin/app\"]\n  }}\n}}\n"
    )
}

fn runner(dockerfile: &str) -> Vec<(String, String)> {
    stages(dockerfile).pop().expect("a runner").1
}

fn runner_text(dockerfile: &str) -> String {
    runner(dockerfile)
        .iter()
        .map(|(k, v)| format!("{k} {v}\n"))
        .collect()
}

fn last_user(dockerfile: &str) -> String {
    runner(dockerfile)
        .into_iter()
        .rev()
        .find(|(k, _)| k == "USER")
        .map(|(_, v)| v)
        .expect("a USER")
}

#[test]
fn a_user_the_base_has_is_reused() {
    let cases = [
        ("php", "php.apache()", "user = user(\"www-data\")", "33:33"),
        ("php", "php.apache()", "user = 33", "33:33"),
        ("node", "node.slim()", "", "1000:1000"),
        ("node", "node.slim()", "user = user(\"node\")", "1000:1000"),
        ("dotnet", "dotnet.aspnet()", "", "1654:1654"),
        (
            "ubuntu",
            "ubuntu.noble()",
            "user = user(\"ubuntu\")",
            "1000:1000",
        ),
    ];
    for (module, base, run, user) in cases {
        let dockerfile = compile(&spec(module, base, run)).unwrap_or_else(|e| panic!("{e}"));
        let text = runner_text(&dockerfile);
        assert!(
            !text.contains("useradd") && !text.contains("groupadd"),
            "{base} {run}:\n{dockerfile}"
        );
        assert_eq!(last_user(&dockerfile), user, "{base} {run}");
    }
}

#[test]
fn a_gid_the_base_has_is_never_added_again() {
    let cases = [
        // Debian's staff group.
        (
            "debian",
            "debian.bookworm()",
            "user = \"10001:50\"",
            "--gid 50 ",
        ),
        // The Node image's node group.
        (
            "node",
            "node.slim()",
            "user = \"10001:1000\"",
            "--gid 1000 ",
        ),
        // Alpine's www-data group, by name for BusyBox adduser.
        (
            "alpine",
            "alpine.release()",
            "user = \"10001:82\"",
            "-G www-data app",
        ),
        (
            "python",
            "python.slim()",
            "user = user(\"api\", uid: 10001, gid: 50)",
            "--gid 50 ",
        ),
    ];
    for (module, base, run, expected) in cases {
        let dockerfile = compile(&spec(module, base, run)).unwrap_or_else(|e| panic!("{e}"));
        let text = runner_text(&dockerfile);
        assert!(
            !text.contains("groupadd") && !text.contains("addgroup"),
            "{base} {run}:\n{dockerfile}"
        );
        assert!(text.contains(expected), "{base} {run}:\n{dockerfile}");
    }
    let created = compile(&spec(
        "debian",
        "debian.bookworm()",
        "user = user(\"svc\", uid: 10002)",
    ))
    .expect("compiles");
    assert!(created.contains("groupadd --gid 10002 svc"), "{created}");
    assert!(created.contains("--uid 10002 --gid 10002"), "{created}");
    assert!(created.ends_with("CMD [\"/app/bin/app\"]\n"));
    assert_eq!(last_user(&created), "10002:10002");
}

#[test]
fn clashes_with_the_base_are_reported() {
    let cases = [
        // uid 33 is www-data.
        (
            "debian",
            "debian.bookworm()",
            "user = user(\"app\", uid: 33)",
        ),
        // www-data is 33, not 1000.
        (
            "debian",
            "debian.bookworm()",
            "user = user(\"www-data\", uid: 1000)",
        ),
        // the image's own app is 1654.
        (
            "dotnet",
            "dotnet.aspnet()",
            "user = user(\"app\", uid: 10001)",
        ),
        // `app` would be created, but the image has it.
        ("dotnet", "dotnet.aspnet()", "user = 10001"),
        // a group named like the user, with another gid.
        (
            "debian",
            "debian.bookworm()",
            "user = user(\"staff\", uid: 10001, gid: 10001)",
        ),
    ];
    for (module, base, run) in cases {
        assert_eq!(
            codes_of(&spec(module, base, run)),
            ["E0130"],
            "{base} {run}"
        );
    }
    // Names and ids out of range are values, not clashes.
    for run in [
        "user = user(\"App\", uid: 10001)",
        "user = user(\"a;b\", uid: 10001)",
        "user = \"10001:4294967295\"",
        "user = \"2147483648\"",
    ] {
        assert_eq!(
            codes_of(&spec("debian", "debian.bookworm()", run)),
            ["E0015"],
            "{run}"
        );
    }
    assert_eq!(
        codes_of(&spec("debian", "debian.bookworm()", "user = user(\"svc\")")),
        ["E0012"],
        "a new user needs a uid"
    );
}

#[test]
fn apt_never_prompts_and_leaves_no_environment_behind() {
    let dockerfile = compile(&spec(
        "ubuntu",
        "ubuntu.noble()",
        "setup = [\"ln -s /usr/share/zoneinfo/UTC /etc/localtime\"]",
    ))
    .expect("compiles");
    assert!(!dockerfile.contains("DEBIAN_FRONTEND"), "{dockerfile}");
    let with_packages = "use std.ubuntu\nimage app {\n  base = ubuntu.noble()\n  sources = [\"bin/\"]\n  build = [\"make\"]\n  packages {\n    build = [\"make\"]\n    runtime = [\"tzdata\"]\n  }\n}\n";
    let dockerfile = compile(with_packages).expect("compiles");
    let installs: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.contains("apt-get install"))
        .collect();
    assert_eq!(installs.len(), 2, "{dockerfile}");
    for line in installs {
        assert!(
            line.contains("DEBIAN_FRONTEND=noninteractive apt-get install"),
            "{line}"
        );
    }
    assert!(!dockerfile.contains("ENV DEBIAN_FRONTEND"), "{dockerfile}");
}

#[test]
fn writable_setup_and_packages_share_one_root_layer() {
    let text = "use std.debian\nimage app {\n  base = debian.bookworm()\n  sources = [\"bin/\"]\n  packages {\n    runtime = [\"curl\"]\n  }\n  run {\n    writable = [\"/var/lib/app/\", \"/var/log/app\"]\n    volumes = [\"/var/lib/app\"]\n    setup = [\"ln -s /app/bin/app /usr/local/bin/app\", \"sed -i 's/a/b/' /etc/app.conf\"]\n    workdir = \"/srv\"\n    cmd = [\"app\"]\n  }\n}\n";
    let dockerfile = compile(text).unwrap_or_else(|e| panic!("{e}"));
    let runner = runner(&dockerfile);
    let runs: Vec<&String> = runner
        .iter()
        .filter(|(k, _)| k == "RUN")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(runs.len(), 1, "{dockerfile}");
    let run = runs[0];
    let order = [
        "apt-get install",
        "useradd",
        "install -d -o 10001 -g 10001 /var/lib/app /var/log/app",
        "ln -s",
        "sed -i",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|part| run.find(part).unwrap_or_else(|| panic!("{part}:\n{run}")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{run}");
    let keywords: Vec<&str> = runner.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keywords,
        ["RUN", "WORKDIR", "COPY", "VOLUME", "USER", "CMD"],
        "{dockerfile}"
    );
    assert!(runner.contains(&("WORKDIR".to_string(), "/srv".to_string())));
    // A script keeps its own heredoc.
    let script = compile(&spec(
        "debian",
        "debian.bookworm()",
        "setup = [\"for m in a b; do\\n  echo $m\\ndone\"]",
    ))
    .expect("compiles");
    assert!(script.contains("<<'EOT'"), "{script}");
}

#[test]
fn artifacts_take_an_owner_and_a_mode() {
    let text = "use std.go\nuse std.distroless\nimage app {\n  base = go.toolchain()\n  deps = [go.modules()]\n  sources = [\"main.go\", \"entrypoint.sh\"]\n  build = [\"go build -o /out/app .\"]\n  artifacts = [\n    { from = \"/out/app\", to = \"/usr/local/bin/app\", mode = \"755\" },\n    { from = \"entrypoint.sh\", to = \"/usr/local/bin/entrypoint.sh\", mode = \"0750\", owner = \"runtime\" },\n    \"/out/\",\n  ]\n  run {\n    base = distroless.static()\n    cmd = [\"/usr/local/bin/app\"]\n  }\n}\n";
    let dockerfile = compile(text).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        dockerfile.contains("COPY --link --chmod=0755 --from=build /out/app /usr/local/bin/app"),
        "{dockerfile}"
    );
    assert!(
        dockerfile.contains("COPY --link --chown=65532:65532 --chmod=0750 --from=build /app/entrypoint.sh /usr/local/bin/entrypoint.sh"),
        "{dockerfile}"
    );
    assert!(
        dockerfile.contains("COPY --link --from=build /out/ /out/"),
        "{dockerfile}"
    );
    for bad in ["mode = \"0855\"", "mode = \"rwx\"", "owner = \"app\""] {
        let text = text.replace("mode = \"755\"", bad);
        assert_eq!(codes_of(&text), ["E0015"], "{bad}");
    }
}

#[test]
fn init_is_tini_on_every_base_family() {
    let cases = [
        ("debian", "debian.bookworm()"),
        ("ubuntu", "ubuntu.noble()"),
        ("alpine", "alpine.release()"),
        ("rhel", "rhel.ubi()"),
        ("rhel", "rhel.ubi_minimal()"),
        ("distroless", "distroless.static()"),
        ("scratch", "scratch.empty()"),
    ];
    for (module, base) in cases {
        let text = format!(
            "use std.go\nuse std.{module}\nimage app {{\n  base = go.toolchain()\n  deps = [go.modules()]\n  sources = [\"main.go\"]\n  build = [\"go build -o /out/app .\"]\n  artifacts = [\"/out/app\"]\n  run {{\n    base = {base}\n    user = 10001\n    init = true\n    cmd = [\"/out/app\"]\n  }}\n}}\n"
        );
        let dockerfile = compile(&text).unwrap_or_else(|e| panic!("{base}: {e}"));
        let all = stages(&dockerfile);
        let init = all
            .iter()
            .find(|(name, _)| name == "init")
            .unwrap_or_else(|| panic!("{base}: no init stage\n{dockerfile}"));
        assert!(
            init.1[0].1.contains("tini=0.19.0-1*"),
            "{base}: tini is pinned\n{dockerfile}"
        );
        let runner = runner(&dockerfile);
        assert!(
            runner.contains(&(
                "COPY".to_string(),
                "--link --chmod=0755 --from=init /usr/bin/tini-static /usr/local/bin/tini"
                    .to_string()
            )),
            "{base}:\n{dockerfile}"
        );
        assert!(
            runner.contains(&(
                "ENTRYPOINT".to_string(),
                "[\"/usr/local/bin/tini\", \"--\"]".to_string()
            )),
            "{base}:\n{dockerfile}"
        );
        assert_eq!(runner.last().map(|(k, _)| k.as_str()), Some("CMD"));
    }
    let with_entrypoint = compile(&spec(
        "debian",
        "debian.bookworm()",
        "init = true\n    entrypoint = [\"/app/bin/start\", \"--quiet\"]",
    ))
    .expect("compiles");
    assert!(
        with_entrypoint.contains(
            "ENTRYPOINT [\"/usr/local/bin/tini\", \"--\", \"/app/bin/start\", \"--quiet\"]"
        ),
        "{with_entrypoint}"
    );
    let nothing_to_run = "use std.debian\nimage app {\n  base = debian.bookworm()\n  sources = [\"bin/\"]\n  run {\n    init = true\n  }\n}\n";
    assert_eq!(codes_of(nothing_to_run), ["E0009"]);
}

#[test]
fn shell_less_runners_cannot_be_prepared_by_commands() {
    for run in ["writable = [\"/data\"]", "setup = [\"ln -s /a /b\"]"] {
        assert_eq!(
            codes_of(&spec("distroless", "distroless.static()", run)),
            ["E0105"],
            "{run}"
        );
    }
}

#[test]
fn system_directories_are_never_handed_to_the_application() {
    for path in ["/", "/tmp", "/var/log/", "/usr"] {
        let run = format!("writable = [\"{path}\"]");
        assert_eq!(
            codes_of(&spec("debian", "debian.bookworm()", &run)),
            ["E0015"],
            "{path}"
        );
    }
    for (path, code) in [("data", "E0015"), ("/a b", "E0113"), ("/a;b", "E0113")] {
        let run = format!("writable = [\"{path}\"]");
        assert_eq!(
            codes_of(&spec("debian", "debian.bookworm()", &run)),
            [code],
            "{path}"
        );
    }
}

#[test]
fn runtime_compilers_get_their_own_warning() {
    let text = "use std.debian\nimage app {\n  base = debian.bookworm()\n  sources = [\"bin/\"]\n  packages {\n    runtime = [\"gcc\", \"libssl-dev\", \"libssl3\"]\n  }\n}\n";
    assert_eq!(codes_of(text), ["W0110", "W0110"]);
}

#[test]
fn enum_words_win_over_parameters_of_the_same_name() {
    let text = "base img(alpine: string = \"3.20\", glibc: string = \"x\") {\n  ref = \"alpine:{{ alpine }}\"\n  distro = alpine\n  libc = musl\n  shell = ash\n  packages = apk\n}\nimage app {\n  base = img()\n  sources = [\"bin/\"]\n  run {\n    cmd = [\"/app/bin/app\"]\n  }\n}\n";
    let dockerfile = compile(text).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        dockerfile.contains("addgroup -S -g 10001 app"),
        "{dockerfile}"
    );
}

/// An ARG is scoped to its stage: one the runner's environment or labels
/// name is declared in the runner too, before them; others are not.
#[test]
fn build_arguments_reach_the_runner_when_named() {
    let text = "use std.debian\nimage app {\n  base = debian.bookworm()\n  sources = [\"bin/\"]\n  args = { GIT_SHA = \"unknown\", BUILD_JOBS = \"4\" }\n  build = [\"make -j$BUILD_JOBS\"]\n  run {\n    env = { APP_REVISION = \"$GIT_SHA\" }\n    labels = { \"org.opencontainers.image.revision\" = \"${GIT_SHA}\" }\n    cmd = [\"/app/bin/app\"]\n  }\n}\n";
    let dockerfile = compile(text).expect("compiles");
    let runner = runner(&dockerfile);
    let args: Vec<&str> = runner
        .iter()
        .filter(|(k, _)| k == "ARG")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(args, ["GIT_SHA=\"unknown\""], "{dockerfile}");
    let position = |keyword: &str| runner.iter().position(|(k, _)| k == keyword);
    assert!(position("ARG") < position("ENV"), "{dockerfile}");
    assert!(position("ARG") < position("LABEL"), "{dockerfile}");
    // The build stage still declares both before its steps.
    assert!(
        dockerfile.contains("ARG GIT_SHA=\"unknown\" \\\n    BUILD_JOBS=\"4\"")
            || dockerfile.contains("ARG GIT_SHA=\"unknown\" BUILD_JOBS=\"4\""),
        "{dockerfile}"
    );
}

/// A pattern copies several files: into a directory, or it is refused.
#[test]
fn a_pattern_artifact_goes_into_a_directory() {
    let spec = |artifact: &str| {
        format!("use std.debian\nimage app {{\n  base = debian.bookworm()\n  sources = [\"src/\"]\n  build = [\"make\"]\n  artifacts = [{artifact}]\n  run {{ cmd = [\"/app/x\"] }}\n}}\n")
    };
    assert_eq!(codes_of(&spec("\"dist/*.js\"")), ["E0015"]);
    assert_eq!(
        codes_of(&spec("{ from = \"out/*.so\", to = \"/usr/lib/x\" }")),
        ["E0015"]
    );
    assert!(codes_of(&spec("{ from = \"out/*.so\", to = \"/usr/lib/app/\" }")).is_empty());
}

/// An argument an ecosystem's install names is declared in the stage
/// that installs the dependencies, before the install.
#[test]
fn build_arguments_reach_the_dependency_install() {
    let text = "use std.python\nimage app {\n  base = python.slim()\n  deps = [python.pip() { install += [\"/opt/venv/bin/pip install --index-url $INDEX_URL private-lib\"] }]\n  sources = [\"src/\"]\n  args = { INDEX_URL = \"https://pypi.example.com/simple/\" }\n  run { cmd = [\"python\", \"-m\", \"app\"] }\n}\n";
    let dockerfile = compile(text).expect("compiles");
    let deps = &stages(&dockerfile)[0];
    assert_eq!(deps.0, "deps", "{dockerfile}");
    let arg = deps
        .1
        .iter()
        .position(|(k, _)| k == "ARG")
        .expect("ARG in deps");
    let install = deps
        .1
        .iter()
        .position(|(k, v)| k == "RUN" && v.contains("$INDEX_URL"))
        .expect("the install");
    assert!(arg < install, "{dockerfile}");
}

#[test]
fn a_writable_directory_the_build_may_have_made_is_handed_back_after_the_copy() {
    // The work directory comes whole from the build stage, whose steps may
    // have made tmp/ (Rails' assets:precompile does): owned by root, it
    // would replace the one made for the user before the copies.
    let spec = "use std.debian\nimage app {\n  base    = debian.bookworm()\n  sources = [\"bin/\"]\n  build   = [\"mkdir -p tmp/cache\"]\n  run {\n    writable = [\"/app/tmp\", \"/var/lib/app\"]\n    cmd      = [\"/app/bin/app\"]\n  }\n}\n";
    let dockerfile = compile(spec).unwrap_or_else(|e| panic!("{e}"));
    let lines = runner(&dockerfile);
    let copy = lines
        .iter()
        .position(|(i, a)| i == "COPY" && a.contains("--from=build /app /app"))
        .unwrap_or_else(|| panic!("no whole work directory copy in\n{dockerfile}"));
    let reown = lines
        .iter()
        .position(|(i, a)| i == "RUN" && a == "chown -R 10001:10001 /app/tmp")
        .unwrap_or_else(|| panic!("no chown of /app/tmp alone in\n{dockerfile}"));
    assert!(copy < reown, "{dockerfile}");
    // Outside every copy, the directory made before the copies stays the user's.
    assert!(
        runner_text(&dockerfile).contains("install -d -o 10001 -g 10001 /app/tmp /var/lib/app"),
        "{dockerfile}"
    );
}

#[test]
fn a_label_is_literal_and_declares_no_build_argument() {
    // Labels reach the image as written, `$` included: an ARG declared for
    // one would change nothing but the cache key.
    let spec = "use std.debian\nimage app {\n  base    = debian.bookworm()\n  args    = { GIT_SHA = \"\" }\n  sources = [\"bin/\"]\n  run {\n    labels = { \"com.example.note\" = \"costs $GIT_SHA\" }\n    cmd    = [\"/app/bin/app\"]\n  }\n}\n";
    let dockerfile = compile(spec).unwrap_or_else(|e| panic!("{e}"));
    let runner = runner(&dockerfile);
    assert!(
        !runner
            .iter()
            .any(|(i, a)| i == "ARG" && a.contains("GIT_SHA")),
        "{dockerfile}"
    );
    assert!(
        runner
            .iter()
            .any(|(i, a)| i == "LABEL" && a.contains(r"costs \$GIT_SHA")),
        "{dockerfile}"
    );
}
