//! Per-ecosystem probes: which manifests and lock files the directory
//! holds, which tool wrote them, and the tool versions the project pins.
//! Each probe reads a few named files; nothing here walks the tree.

use super::tree::Tree;

/// An ecosystem of the standard library, as the project's files show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bundler,
    Composer,
    Pip,
    Poetry,
    Uv,
    Maven,
    Gradle,
    Dotnet,
    Go,
    Cargo,
    Npm,
    Yarn,
    YarnBerry,
    Pnpm,
    Static,
}

impl Kind {
    /// As the stdlib names it, for the lines printed on standard error.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Bundler => "Bundler",
            Kind::Composer => "Composer",
            Kind::Pip => "pip",
            Kind::Poetry => "Poetry",
            Kind::Uv => "uv",
            Kind::Maven => "Maven",
            Kind::Gradle => "Gradle",
            Kind::Dotnet => ".NET",
            Kind::Go => "Go modules",
            Kind::Cargo => "Cargo",
            Kind::Npm => "npm",
            Kind::Yarn => "Yarn classic",
            Kind::YarnBerry => "Yarn Berry",
            Kind::Pnpm => "pnpm",
            Kind::Static => "a static site",
        }
    }

    /// The language family: two probes of one family at the root are one
    /// project (a Poetry project with a requirements.txt export).
    pub fn family(self) -> &'static str {
        match self {
            Kind::Bundler => "Ruby",
            Kind::Composer => "PHP",
            Kind::Pip | Kind::Poetry | Kind::Uv => "Python",
            Kind::Maven | Kind::Gradle => "Java",
            Kind::Dotnet => ".NET",
            Kind::Go => "Go",
            Kind::Cargo => "Rust",
            Kind::Npm | Kind::Yarn | Kind::YarnBerry | Kind::Pnpm => "Node.js",
            Kind::Static => "static",
        }
    }
}

/// One ecosystem found at the root: its kind, the files that show it, and
/// the lock file its install needs when that is missing.
#[derive(Debug, Clone)]
pub struct Found {
    pub kind: Kind,
    pub evidence: Vec<String>,
    pub missing_lock: Option<&'static str>,
}

/// What the root shows: the ecosystems, most likely the application's
/// first (a Rails or Django application with a package.json for its
/// assets is a Ruby or Python project), and lock files found without the
/// manifest they belong to.
#[derive(Debug, Default)]
pub struct Probe {
    pub found: Vec<Found>,
    pub orphans: Vec<(String, &'static str)>,
}

/// The file names each probe looks for, for the help of E0180.
pub const LOOKED_FOR: &str = "Gemfile, composer.json, requirements*.txt, pyproject.toml, pom.xml, build.gradle(.kts), *.csproj, *.sln, go.mod, Cargo.toml, package.json, index.html";

pub fn probe(tree: &Tree) -> Probe {
    let mut p = Probe::default();
    let has = |name: &str| tree.file(name);
    let files = tree.files("");
    let mut found = |kind, evidence: &[&str], lock: Option<&'static str>| {
        let evidence: Vec<String> = evidence
            .iter()
            .filter(|e| tree.file(e))
            .map(|e| e.to_string())
            .collect();
        let missing_lock = lock.filter(|l| !tree.file(l));
        p.found.push(Found {
            kind,
            evidence,
            missing_lock,
        });
    };
    if has("Gemfile") {
        found(
            Kind::Bundler,
            &["Gemfile", "Gemfile.lock"],
            Some("Gemfile.lock"),
        );
    }
    if has("composer.json") {
        found(
            Kind::Composer,
            &["composer.json", "composer.lock"],
            Some("composer.lock"),
        );
    }
    let pyproject = tree.read("pyproject.toml").unwrap_or_default();
    let poetry_table = pyproject.contains("[tool.poetry");
    let requirements = requirements_file(tree);
    if has("pyproject.toml") && has("uv.lock") {
        found(Kind::Uv, &["pyproject.toml", "uv.lock"], Some("uv.lock"));
    } else if has("pyproject.toml") && (has("poetry.lock") || poetry_table) {
        found(
            Kind::Poetry,
            &["pyproject.toml", "poetry.lock"],
            Some("poetry.lock"),
        );
    } else if let Some(requirements) = &requirements {
        found(Kind::Pip, &[requirements.as_str()], None);
    } else if has("pyproject.toml") && pyproject.contains("[project") {
        found(Kind::Uv, &["pyproject.toml"], Some("uv.lock"));
    }
    if has("pom.xml") {
        found(Kind::Maven, &["pom.xml", "mvnw"], None);
    }
    if has("build.gradle") || has("build.gradle.kts") {
        found(
            Kind::Gradle,
            &[
                "build.gradle",
                "build.gradle.kts",
                "settings.gradle",
                "settings.gradle.kts",
                "gradlew",
            ],
            None,
        );
    }
    let sln = files.iter().find(|f| f.ends_with(".sln"));
    let csproj = files.iter().find(|f| f.ends_with(".csproj"));
    if let Some(file) = csproj.or(sln) {
        found(Kind::Dotnet, &[file.as_str(), "global.json"], None);
    }
    if has("go.mod") {
        found(Kind::Go, &["go.mod", "go.sum", "go.work"], None);
    } else if has("go.work") {
        found(Kind::Go, &["go.work"], None);
    }
    if has("Cargo.toml") {
        found(
            Kind::Cargo,
            &["Cargo.toml", "Cargo.lock"],
            Some("Cargo.lock"),
        );
    }
    if has("package.json") {
        let package = tree.read("package.json").unwrap_or_default();
        let manager = package_manager(&package);
        let (kind, lock) = if has("pnpm-lock.yaml") || manager.as_deref() == Some("pnpm") {
            (Kind::Pnpm, "pnpm-lock.yaml")
        } else if has("yarn.lock") || manager.as_deref() == Some("yarn") {
            if yarn_berry(tree, &package) {
                (Kind::YarnBerry, "yarn.lock")
            } else {
                (Kind::Yarn, "yarn.lock")
            }
        } else {
            (Kind::Npm, "package-lock.json")
        };
        found(kind, &["package.json", lock, ".yarnrc.yml"], Some(lock));
    }
    if p.found.is_empty() && has("index.html") {
        p.found.push(Found {
            kind: Kind::Static,
            evidence: vec!["index.html".into()],
            missing_lock: None,
        });
    }
    // Lock files without their manifest: nothing to install from.
    for (lock, manifest) in [
        ("package-lock.json", "package.json"),
        ("yarn.lock", "package.json"),
        ("pnpm-lock.yaml", "package.json"),
        ("poetry.lock", "pyproject.toml"),
        ("uv.lock", "pyproject.toml"),
        ("Cargo.lock", "Cargo.toml"),
        ("go.sum", "go.mod"),
        ("Gemfile.lock", "Gemfile"),
        ("composer.lock", "composer.json"),
    ] {
        if has(lock) && !has(manifest) {
            p.orphans.push((lock.to_string(), manifest));
        }
    }
    p
}

/// The requirements file pip installs: `requirements.txt`, else a
/// production one (`requirements/prod.txt`, `requirements-prod.txt`),
/// else the first `requirements*.txt` at the root.
pub fn requirements_file(tree: &Tree) -> Option<String> {
    let preferred = [
        "requirements.txt",
        "requirements/production.txt",
        "requirements/prod.txt",
        "requirements/base.txt",
        "requirements-prod.txt",
        "requirements.lock",
    ];
    if let Some(file) = preferred.iter().find(|f| tree.file(f)) {
        return Some(file.to_string());
    }
    tree.files("").into_iter().find(|f| {
        f.starts_with("requirements")
            && f.ends_with(".txt")
            && !f.contains("dev")
            && !f.contains("test")
    })
}

/// The manager `packageManager` names (`pnpm@9.1.0` → `pnpm`).
pub fn package_manager(package_json: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(package_json).ok()?;
    let field = value.get("packageManager")?.as_str()?;
    Some(field.split('@').next()?.to_string())
}

/// Yarn 2 and later: a yarn.lock with `__metadata:` (classic's starts with
/// `# yarn lockfile v1`), a `.yarnrc.yml`, or `packageManager: yarn@2+`.
pub fn yarn_berry(tree: &Tree, package_json: &str) -> bool {
    if let Some(lock) = tree.read("yarn.lock") {
        if lock.contains("# yarn lockfile v1") {
            return false;
        }
        if lock.contains("__metadata:") {
            return true;
        }
    }
    if tree.file(".yarnrc.yml") {
        return true;
    }
    let version = serde_json::from_str::<serde_json::Value>(package_json)
        .ok()
        .and_then(|v| v.get("packageManager")?.as_str().map(str::to_string))
        .and_then(|p| p.strip_prefix("yarn@").map(str::to_string));
    version.is_some_and(|v| !v.starts_with('1'))
}

/// `major.minor` of a version string (`3.12.1` → `3.12`, `v20.11.0` →
/// `20.11`); digits only.
pub fn major_minor(text: &str) -> Option<String> {
    let text = text.trim().trim_start_matches(['v', 'V', '=']);
    let mut parts = text.split(|c: char| !c.is_ascii_digit());
    let major = parts.next().filter(|p| !p.is_empty())?;
    let minor = parts.next().filter(|p| !p.is_empty());
    Some(match minor {
        Some(minor) => format!("{major}.{minor}"),
        None => major.to_string(),
    })
}

/// The major version alone (`20.11.0` → `20`, `>=18` → `18`).
pub fn major(text: &str) -> Option<String> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

/// Numeric comparison of dotted versions.
pub fn newer(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parse(a) > parse(b)
}

/// A version from a constraint (`>=3.11`, `^8.2`, `~=3.10`): an exact pin
/// (`==`, `~X.Y.Z`, `X.Y.*`) is taken as it is; a lower bound only when
/// `default` does not meet it.
pub fn from_constraint(constraint: &str, default: &str) -> Option<String> {
    let first = constraint
        .split([',', '|', ' '])
        .find(|p| !p.trim().is_empty())?
        .trim();
    let version = major_minor(first.trim_start_matches(['>', '<', '=', '^', '~', '!']))?;
    let exact = first.starts_with("==")
        || first.ends_with(".*")
        || (first.starts_with('~') && !first.starts_with("~=") && first.matches('.').count() >= 2)
        || first.chars().next().is_some_and(|c| c.is_ascii_digit());
    if first.starts_with('<') {
        return None;
    }
    if exact || newer(&version, default) {
        Some(version)
    } else {
        Some(default.to_string())
    }
}

/// A version decided with where it came from, for the printed decisions.
#[derive(Debug, Clone)]
pub struct Version {
    pub value: String,
    pub from: String,
}

impl Version {
    fn new(value: String, from: &str) -> Version {
        Version {
            value,
            from: from.to_string(),
        }
    }
}

pub fn python_version(tree: &Tree, pyproject: Option<&toml::Table>) -> Version {
    const DEFAULT: &str = "3.12";
    if let Some(v) = tree
        .read(".python-version")
        .and_then(|t| t.lines().next().and_then(major_minor))
        .filter(|v| v.starts_with('3') && v.contains('.'))
    {
        return Version::new(v, ".python-version");
    }
    if let Some(v) = tree.read("runtime.txt").and_then(|t| {
        t.trim()
            .strip_prefix("python-")
            .and_then(major_minor)
            .filter(|v| v.contains('.'))
    }) {
        return Version::new(v, "runtime.txt");
    }
    let requires = pyproject.and_then(|p| {
        let project = p.get("project").and_then(|p| p.get("requires-python"));
        let poetry = p
            .get("tool")
            .and_then(|t| t.get("poetry"))
            .and_then(|t| t.get("dependencies"))
            .and_then(|d| d.get("python"));
        project.or(poetry)?.as_str().map(str::to_string)
    });
    if let Some(v) = requires.and_then(|r| from_constraint(&r, DEFAULT)) {
        if v.starts_with('3') && v.contains('.') {
            return Version::new(v, "pyproject.toml");
        }
    }
    Version::new(DEFAULT.into(), "the default")
}

pub fn node_version(tree: &Tree, package: Option<&serde_json::Value>) -> Version {
    const DEFAULT: &str = "20";
    for file in [".nvmrc", ".node-version"] {
        if let Some(v) = tree
            .read(file)
            .and_then(|t| t.lines().next().and_then(major))
        {
            return Version::new(v, file);
        }
    }
    let engines = package
        .and_then(|p| p.get("engines")?.get("node")?.as_str())
        .and_then(|e| {
            let first = e.split("||").next()?.trim();
            let v = major(first)?;
            Some(if first.starts_with(">") && newer(DEFAULT, &v) {
                DEFAULT.to_string()
            } else {
                v
            })
        });
    if let Some(v) = engines {
        return Version::new(v, "package.json `engines.node`");
    }
    Version::new(DEFAULT.into(), "the default")
}

pub fn go_version(go_mod: &str) -> Version {
    go_mod
        .lines()
        .find_map(|l| l.trim().strip_prefix("go ").and_then(major_minor))
        .filter(|v| v.contains('.'))
        .map(|v| Version::new(v, "go.mod's `go` line"))
        .unwrap_or_else(|| Version::new("1.22".into(), "the default"))
}

pub fn rust_version(tree: &Tree, cargo: Option<&toml::Table>) -> Version {
    const DEFAULT: &str = "1.82";
    let toolchain = tree
        .read("rust-toolchain.toml")
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|t| {
            t.get("toolchain")?
                .get("channel")?
                .as_str()
                .map(str::to_string)
        })
        .or_else(|| tree.read("rust-toolchain").map(|t| t.trim().to_string()));
    if let Some(v) = toolchain
        .as_deref()
        .and_then(major_minor)
        .filter(|v| v.starts_with("1."))
    {
        return Version::new(v, "rust-toolchain.toml");
    }
    let package = cargo.and_then(|c| {
        c.get("package")
            .or_else(|| c.get("workspace")?.get("package"))
    });
    let mut version = DEFAULT.to_string();
    let mut from = "the default";
    if let Some(v) = package
        .and_then(|p| p.get("rust-version")?.as_str())
        .and_then(major_minor)
        .filter(|v| newer(v, &version))
    {
        version = v;
        from = "Cargo.toml `rust-version`";
    }
    let edition_2024 = package
        .and_then(|p| p.get("edition")?.as_str())
        .is_some_and(|e| e == "2024");
    if edition_2024 && newer("1.85", &version) {
        version = "1.85".into();
        from = "edition 2024";
    }
    Version::new(version, from)
}

pub fn ruby_version(tree: &Tree) -> Version {
    if let Some(v) = tree.read(".ruby-version").and_then(|t| {
        t.lines()
            .next()
            .map(|l| l.trim().trim_start_matches("ruby-").to_string())
            .and_then(|l| major_minor(&l))
    }) {
        if v.contains('.') {
            return Version::new(v, ".ruby-version");
        }
    }
    if let Some(lock) = tree.read("Gemfile.lock") {
        let mut lines = lock.lines();
        while let Some(line) = lines.next() {
            if line.trim() == "RUBY VERSION" {
                if let Some(v) = lines
                    .next()
                    .and_then(|l| l.trim().strip_prefix("ruby "))
                    .and_then(major_minor)
                {
                    return Version::new(v, "Gemfile.lock");
                }
            }
        }
    }
    Version::new("3.3".into(), "the default")
}

pub fn php_version(composer: Option<&serde_json::Value>) -> Version {
    const DEFAULT: &str = "8.3";
    composer
        .and_then(|c| c.get("require")?.get("php")?.as_str())
        .and_then(|r| from_constraint(r, DEFAULT))
        .filter(|v| v.starts_with('8') && v.contains('.'))
        .map(|v| Version::new(v, "composer.json `require.php`"))
        .unwrap_or_else(|| Version::new(DEFAULT.into(), "the default"))
}

pub fn dotnet_version(tree: &Tree, csproj: &str) -> Version {
    if let Some(v) = tag(csproj, "TargetFramework")
        .or_else(|| {
            tag(csproj, "TargetFrameworks").and_then(|t| t.split(';').next().map(str::to_string))
        })
        .and_then(|t| t.strip_prefix("net").and_then(major_minor))
        .filter(|v| v.contains('.') && !v.starts_with('4'))
    {
        return Version::new(v, "<TargetFramework>");
    }
    if let Some(v) = tree
        .read("global.json")
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|g| g.get("sdk")?.get("version")?.as_str().and_then(major_minor))
    {
        return Version::new(v, "global.json");
    }
    Version::new("8.0".into(), "the default")
}

/// The text of the first `<name>...</name>` element, trimmed; plain text
/// only.
pub fn tag(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    let text = xml[start..end].trim();
    (!text.contains('<')).then(|| text.to_string())
}

/// `text` without the parts from `open` to `close` (an unclosed one cuts
/// the rest).
pub fn strip(text: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(open) {
        out.push_str(&rest[..i]);
        match rest[i..].find(close) {
            Some(j) => rest = &rest[i + j + close.len()..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// The inner text of the first `<name>...</name>` element, markup and all.
pub fn tag_block(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    Some(xml[start..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_constraints() {
        assert_eq!(from_constraint(">=3.11", "3.12").as_deref(), Some("3.12"));
        assert_eq!(from_constraint(">=3.13", "3.12").as_deref(), Some("3.13"));
        assert_eq!(from_constraint("==3.11.*", "3.12").as_deref(), Some("3.11"));
        assert_eq!(from_constraint("^8.2", "8.3").as_deref(), Some("8.3"));
        assert_eq!(from_constraint("~8.1.0", "8.3").as_deref(), Some("8.1"));
        assert_eq!(from_constraint("3.10", "3.12").as_deref(), Some("3.10"));
        assert_eq!(from_constraint("<4", "3.12"), None);
        assert_eq!(major_minor("v20.11.0").as_deref(), Some("20.11"));
        assert_eq!(major(">=18 <21").as_deref(), Some("18"));
        assert!(newer("1.85", "1.82") && !newer("3.9", "3.12"));
    }
}
