//! Frameworks, where they decide the command and the port: Django,
//! FastAPI and Flask; Next.js, Vite and other static builds, Express and
//! other Node.js servers; Spring Boot; Rails and Rack; Laravel and
//! Symfony; ASP.NET Core. Each reads a few files the framework's own
//! layout names, and scans sources for the application object or the port
//! with plain substring searches (bounded by [`MAX_SCANNED`] files).

use super::tree::Tree;

/// At most this many source files are read when looking for an
/// application object.
pub const MAX_SCANNED: usize = 300;

/// Directories never looked into for sources or applications.
pub const SKIPPED: &[&str] = &[
    "node_modules",
    "__pycache__",
    "venv",
    "env",
    "site-packages",
    "tests",
    "test",
    "spec",
    "docs",
    "doc",
    "coverage",
    "htmlcov",
    "tmp",
    "log",
    "logs",
    "target",
    "dist",
    "build",
    "out",
    "bin",
    "obj",
    "vendor",
    "storage",
    "examples",
    "benches",
    "testdata",
];

/// The Python files of the tree, depth first up to three levels, sorted,
/// at most [`MAX_SCANNED`].
pub fn python_files(tree: &Tree) -> Vec<String> {
    let mut out = Vec::new();
    walk(tree, "", 0, &mut |path| {
        if path.ends_with(".py") {
            out.push(path.to_string());
        }
    });
    out.truncate(MAX_SCANNED);
    out
}

fn walk(tree: &Tree, dir: &str, depth: usize, visit: &mut dyn FnMut(&str)) {
    for entry in tree.list(dir) {
        let path = if dir.is_empty() {
            entry.name.clone()
        } else {
            format!("{dir}/{}", entry.name)
        };
        if entry.dir {
            let skipped = entry.name.starts_with('.')
                || SKIPPED.contains(&entry.name.as_str())
                || entry.name.ends_with(".egg-info");
            if depth < 3 && !skipped {
                walk(tree, &path, depth + 1, visit);
            }
        } else {
            visit(&path);
        }
    }
}

/// A Python application object: the module, the attribute (`app`, or a
/// factory call `create_app()`), and whether the module lives under `src/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyObject {
    pub module: String,
    pub attribute: String,
    pub src: bool,
}

impl PyObject {
    pub fn target(&self) -> String {
        format!("{}:{}", self.module, self.attribute)
    }
}

/// The assignments `NAME = CLASS(` in the Python files, as application
/// objects; with `factory`, `def factory(` counts too.
pub fn python_objects(
    tree: &Tree,
    files: &[String],
    class: &str,
    factory: Option<&str>,
) -> Vec<PyObject> {
    let mut out = Vec::new();
    for file in files {
        let Some(text) = tree.read(file) else {
            continue;
        };
        if !text.contains(class) {
            continue;
        }
        let mut attribute = None;
        for line in text.lines() {
            if line.starts_with([' ', '\t']) {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                if let Some(f) = factory {
                    if line.starts_with(&format!("def {f}(")) && attribute.is_none() {
                        attribute = Some(format!("{f}()"));
                    }
                }
                continue;
            };
            let name = name.split(':').next().unwrap_or_default().trim();
            let value = value.trim();
            if value.starts_with(&format!("{class}(")) && is_identifier(name) {
                attribute = Some(name.to_string());
                break;
            }
        }
        if let Some(attribute) = attribute {
            if let Some((module, src)) = module_of(file) {
                out.push(PyObject {
                    module,
                    attribute,
                    src,
                });
            }
        }
    }
    out
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// `app/main.py` → `app.main`; `src/api/__init__.py` → (`api`, src).
pub fn module_of(file: &str) -> Option<(String, bool)> {
    let (path, src) = match file.strip_prefix("src/") {
        Some(rest) => (rest, true),
        None => (file, false),
    };
    let path = path.strip_suffix(".py")?;
    let path = path.strip_suffix("/__init__").unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    parts
        .iter()
        .all(|p| is_identifier(p))
        .then(|| (parts.join("."), src))
}

/// The first quoted string after `key` in `text` (`"KEY", "value"`).
pub fn quoted_after(text: &str, key: &str) -> Option<String> {
    let at = text.find(key)? + key.len();
    let rest = &text[at..];
    let rest = rest.trim_start_matches(['"', '\'']);
    let start = rest.find(['"', '\''])?;
    let quote = rest[start..].chars().next()?;
    let body = &rest[start + 1..];
    let end = body.find(quote)?;
    Some(body[..end].to_string())
}

/// A port the source text names: `listen(8080`, `PORT || 8080`,
/// `PORT ?? 8080`, `":8080"`, `0.0.0.0:8080`, `port=8080`, `server.port=8080`.
pub fn port_in(text: &str) -> Option<u16> {
    const MARKERS: &[&str] = &[
        "listen(",
        "PORT || ",
        "PORT ?? ",
        "PORT||",
        "\":",
        "'0.0.0.0:",
        "\"0.0.0.0:",
        "127.0.0.1:",
        "port=",
        "port = ",
        "port: ",
        "server.port=",
        "Port: ",
        "PORT\", \"",
        "PORT', '",
    ];
    for marker in MARKERS {
        let mut rest = text;
        while let Some(i) = rest.find(marker) {
            rest = &rest[i + marker.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(port) = digits.parse::<u16>() {
                if (1024..=65535).contains(&port) || port == 80 {
                    return Some(port);
                }
            }
        }
    }
    None
}

/// Spring Boot's `server.port` in application.properties or .yml.
pub fn spring_port(tree: &Tree, resources: &str) -> Option<u16> {
    if let Some(text) = tree.read(&format!("{resources}application.properties")) {
        if let Some(line) = text.lines().find(|l| l.trim().starts_with("server.port")) {
            let value = line.split(['=', ':']).nth(1)?.trim();
            return value.parse().ok();
        }
    }
    for file in ["application.yml", "application.yaml"] {
        if let Some(text) = tree.read(&format!("{resources}{file}")) {
            let mut in_server = false;
            for line in text.lines() {
                if !line.starts_with([' ', '\t']) {
                    in_server = line.trim_end() == "server:";
                } else if in_server {
                    if let Some(v) = line.trim().strip_prefix("port:") {
                        return v.trim().parse().ok();
                    }
                }
            }
        }
    }
    None
}

/// A static build's output directory: Vite's `outDir`, else the builder's
/// default.
pub fn static_output(tree: &Tree, dir: &str, builder: &str) -> String {
    if builder == "react-scripts" {
        return "build/".into();
    }
    for config in [
        "vite.config.ts",
        "vite.config.js",
        "vite.config.mjs",
        "vite.config.mts",
    ] {
        if let Some(text) = tree.read(&format!("{dir}{config}")) {
            if let Some(out) = quoted_after(&text, "outDir") {
                let out = out.trim_start_matches("./").trim_end_matches('/');
                if !out.is_empty() && !out.contains("..") && !out.starts_with('/') {
                    return format!("{out}/");
                }
            }
        }
    }
    "dist/".into()
}

/// Whether next.config.* asks for a standalone build.
pub fn next_standalone(tree: &Tree, dir: &str) -> Option<String> {
    for config in [
        "next.config.js",
        "next.config.mjs",
        "next.config.ts",
        "next.config.cjs",
    ] {
        if let Some(text) = tree.read(&format!("{dir}{config}")) {
            if text.contains("standalone") {
                return Some(config.to_string());
            }
        }
    }
    None
}

/// The entry a `start` script runs: `node server.js`, `node --flag dist/main.js`.
pub fn start_entry(script: &str) -> Option<String> {
    let mut words = script.split_whitespace();
    while let Some(word) = words.next() {
        if word == "node" {
            return words
                .find(|w| !w.starts_with('-'))
                .map(|w| w.trim_start_matches("./").to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_modules() {
        assert_eq!(port_in("app.listen(8080, () => {})"), Some(8080));
        assert_eq!(
            port_in("const port = process.env.PORT || 4000;"),
            Some(4000)
        );
        assert_eq!(port_in("http.ListenAndServe(\":9090\", nil)"), Some(9090));
        assert_eq!(port_in("nothing"), None);
        assert_eq!(
            module_of("src/api/main.py"),
            Some(("api.main".into(), true))
        );
        assert_eq!(module_of("app/__init__.py"), Some(("app".into(), false)));
        assert_eq!(module_of("my-app/x.py"), None);
        assert_eq!(
            quoted_after(
                "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')",
                "DJANGO_SETTINGS_MODULE"
            ),
            Some("mysite.settings".into())
        );
        assert_eq!(
            start_entry("NODE_ENV=production node --enable-source-maps dist/main.js"),
            Some("dist/main.js".into())
        );
    }
}

/// The environment variables Python settings read with no default:
/// `os.environ["NAME"]` and `env("NAME")` without a `default=`, in order,
/// once each. `os.environ.get(...)` and `os.getenv(...)` have a default
/// (None) and are left out.
pub fn required_environment(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut take = |name: &str| {
        let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if plain && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    };
    for line in text.lines() {
        let code = line.split('#').next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("os.environ[") {
            rest = &rest[at + "os.environ[".len()..];
            if let Some(name) = quoted_head(rest) {
                take(name);
            }
        }
        let mut rest = code;
        while let Some(at) = rest.find("env(") {
            let before = &rest[..at];
            rest = &rest[at + "env(".len()..];
            // `getenv(` and `environ(` are other functions.
            if before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let call = rest.split(')').next().unwrap_or_default();
            if !call.contains("default") {
                if let Some(name) = quoted_head(rest) {
                    take(name);
                }
            }
        }
    }
    names
}

/// The string literal at the start of `text` (`"NAME"` or `'NAME'`).
fn quoted_head(text: &str) -> Option<&str> {
    let quote = text.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &text[1..];
    body.find(quote).map(|end| &body[..end])
}

#[cfg(test)]
mod environment_tests {
    use super::required_environment;

    #[test]
    fn variables_read_without_a_default() {
        let settings = "SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]\nDEBUG = os.environ.get(\"DEBUG\", \"0\")\nDB = env('DATABASE_URL')\nCACHE = env('CACHE_URL', default='locmem://')\nHOST = os.getenv('HOST')\n# X = os.environ['COMMENTED']\nK = os.environ['DJANGO_SECRET_KEY']\n";
        assert_eq!(
            required_environment(settings),
            ["DJANGO_SECRET_KEY", "DATABASE_URL"]
        );
    }
}
