//! Dependencies with native parts: the Debian packages their build needs
//! in the build stage, and the shared libraries they load in the runner.
//! Packages that ship binary wheels, prebuilt binaries or precompiled gems
//! for glibc Linux need nothing, and are named so the printed decisions
//! say why nothing was added.

/// What one dependency needs.
pub struct Native {
    pub name: &'static str,
    pub build: &'static [&'static str],
    pub runtime: &'static [&'static str],
    /// Why, for the printed decision.
    pub why: &'static str,
}

const C: &[&str] = &["gcc", "libc6-dev"];

/// Python distributions, by normalised name (lower case, `-`).
const PYTHON: &[Native] = &[
    Native {
        name: "psycopg2",
        build: &["gcc", "libc6-dev", "libpq-dev"],
        runtime: &["libpq5"],
        why: "builds from source against libpq",
    },
    Native {
        name: "psycopg",
        build: &[],
        runtime: &["libpq5"],
        why: "loads libpq at run time (psycopg[binary] would bundle it)",
    },
    Native {
        name: "mysqlclient",
        build: &[
            "gcc",
            "libc6-dev",
            "pkg-config",
            "default-libmysqlclient-dev",
        ],
        runtime: &["libmariadb3"],
        why: "builds from source against the MySQL client library",
    },
    Native {
        name: "python-ldap",
        build: &["gcc", "libc6-dev", "libldap2-dev", "libsasl2-dev"],
        runtime: &["libldap-2.5-0"],
        why: "builds from source against OpenLDAP",
    },
    Native {
        name: "psycopg2-binary",
        build: &[],
        runtime: &[],
        why: "a binary wheel with libpq inside",
    },
    Native {
        name: "lxml",
        build: &[],
        runtime: &[],
        why: "binary wheels for glibc Linux",
    },
    Native {
        name: "pillow",
        build: &[],
        runtime: &[],
        why: "binary wheels for glibc Linux",
    },
    Native {
        name: "bcrypt",
        build: &[],
        runtime: &[],
        why: "binary wheels for glibc Linux",
    },
    Native {
        name: "cryptography",
        build: &[],
        runtime: &[],
        why: "binary wheels for glibc Linux",
    },
];

/// npm packages.
const NODE: &[Native] = &[
    Native {
        name: "canvas",
        build: &[
            "build-essential",
            "libcairo2-dev",
            "libpango1.0-dev",
            "libjpeg-dev",
            "libgif-dev",
            "librsvg2-dev",
        ],
        runtime: &[
            "libcairo2",
            "libpango-1.0-0",
            "libpangocairo-1.0-0",
            "libjpeg62-turbo",
            "libgif7",
            "librsvg2-2",
        ],
        why: "builds against Cairo and Pango when no prebuilt binary fits",
    },
    Native {
        name: "bcrypt",
        build: &["python3", "make", "g++", "libc6-dev"],
        runtime: &[],
        why: "node-gyp compiles it when no prebuilt binary fits",
    },
    Native {
        name: "sqlite3",
        build: &["python3", "make", "g++", "libc6-dev"],
        runtime: &[],
        why: "node-gyp compiles it when no prebuilt binary fits",
    },
    Native {
        name: "sharp",
        build: &[],
        runtime: &[],
        why: "prebuilt binaries with libvips for glibc Linux",
    },
    Native {
        name: "better-sqlite3",
        build: &["python3", "make", "g++", "libc6-dev"],
        runtime: &[],
        why: "node-gyp compiles it when no prebuilt binary fits",
    },
];

/// Gems; `build-essential` covers every gem with a C extension.
const RUBY: &[Native] = &[
    Native {
        name: "pg",
        build: &["build-essential", "libpq-dev"],
        runtime: &["libpq5"],
        why: "compiles against libpq",
    },
    Native {
        name: "mysql2",
        build: &["build-essential", "default-libmysqlclient-dev"],
        runtime: &["libmariadb3"],
        why: "compiles against the MySQL client library",
    },
    Native {
        name: "psych",
        build: &["build-essential", "libyaml-dev"],
        runtime: &["libyaml-0-2"],
        why: "compiles against libyaml",
    },
    Native {
        name: "nokogiri",
        build: &["build-essential"],
        runtime: &[],
        why: "compiles its bundled libxml2 unless the lock has a Linux platform gem",
    },
    Native {
        name: "bcrypt",
        build: &["build-essential"],
        runtime: &[],
        why: "a C extension",
    },
    Native {
        name: "bootsnap",
        build: &["build-essential"],
        runtime: &[],
        why: "a C extension",
    },
    Native {
        name: "puma",
        build: &["build-essential"],
        runtime: &[],
        why: "a C extension",
    },
    Native {
        name: "nio4r",
        build: &["build-essential"],
        runtime: &[],
        why: "a C extension",
    },
    Native {
        name: "websocket-driver",
        build: &["build-essential"],
        runtime: &[],
        why: "a C extension",
    },
    Native {
        name: "msgpack",
        build: &["build-essential"],
        runtime: &[],
        why: "a C extension",
    },
    Native {
        name: "ffi",
        build: &["build-essential"],
        runtime: &[],
        why: "a C extension",
    },
    Native {
        name: "bigdecimal",
        build: &["build-essential"],
        runtime: &[],
        why: "a C extension",
    },
    Native {
        name: "date",
        build: &["build-essential"],
        runtime: &[],
        why: "a C extension",
    },
    Native {
        name: "racc",
        build: &["build-essential"],
        runtime: &[],
        why: "a C extension",
    },
    Native {
        name: "io-console",
        build: &["build-essential"],
        runtime: &[],
        why: "a C extension",
    },
    Native {
        name: "json",
        build: &["build-essential"],
        runtime: &[],
        why: "a C extension",
    },
    Native {
        name: "stringio",
        build: &["build-essential"],
        runtime: &[],
        why: "a C extension",
    },
];

/// PHP extensions that `docker-php-ext-install` compiles against a
/// library: the headers go into the runner (the official images build
/// extensions there), the library comes with them.
const PHP: &[Native] = &[
    Native {
        name: "intl",
        build: &[],
        runtime: &["libicu-dev"],
        why: "docker-php-ext-install compiles it against ICU",
    },
    Native {
        name: "gd",
        build: &[],
        runtime: &["libpng-dev", "libjpeg62-turbo-dev", "libfreetype6-dev"],
        why: "docker-php-ext-install compiles it against libpng, libjpeg and FreeType",
    },
    Native {
        name: "zip",
        build: &[],
        runtime: &["libzip-dev"],
        why: "docker-php-ext-install compiles it against libzip",
    },
    Native {
        name: "pgsql",
        build: &[],
        runtime: &["libpq-dev"],
        why: "docker-php-ext-install compiles it against libpq",
    },
    Native {
        name: "pdo_pgsql",
        build: &[],
        runtime: &["libpq-dev"],
        why: "docker-php-ext-install compiles it against libpq",
    },
    Native {
        name: "xsl",
        build: &[],
        runtime: &["libxslt1-dev"],
        why: "docker-php-ext-install compiles it against libxslt",
    },
    Native {
        name: "gmp",
        build: &[],
        runtime: &["libgmp-dev"],
        why: "docker-php-ext-install compiles it against GMP",
    },
];

/// PHP extensions from PECL rather than the PHP sources.
pub const PECL: &[&str] = &[
    "redis",
    "imagick",
    "mongodb",
    "apcu",
    "memcached",
    "xdebug",
    "swoole",
    "grpc",
    "protobuf",
];

pub fn python(name: &str) -> Option<&'static Native> {
    PYTHON.iter().find(|n| n.name == name)
}

pub fn node(name: &str) -> Option<&'static Native> {
    NODE.iter().find(|n| n.name == name)
}

pub fn ruby(name: &str) -> Option<&'static Native> {
    RUBY.iter().find(|n| n.name == name)
}

pub fn php(name: &str) -> Option<&'static Native> {
    PHP.iter().find(|n| n.name == name)
}

/// Build and runtime packages for the dependencies `names` (in order,
/// each once), with a decision line for every native one.
pub fn packages<'a>(
    names: impl IntoIterator<Item = &'a str>,
    table: fn(&str) -> Option<&'static Native>,
    decisions: &mut Vec<String>,
) -> (Vec<String>, Vec<String>) {
    let (mut build, mut runtime) = (Vec::new(), Vec::new());
    for name in names {
        let Some(native) = table(name) else {
            continue;
        };
        decisions.push(format!("native dependency {}: {}", native.name, native.why));
        for p in native.build {
            if !build.iter().any(|b| b == p) {
                build.push(p.to_string());
            }
        }
        for p in native.runtime {
            if !runtime.iter().any(|r| r == p) {
                runtime.push(p.to_string());
            }
        }
    }
    // gcc with its headers, never alone (W0102).
    if build.iter().any(|b| b == "gcc") && !build.iter().any(|b| b == "libc6-dev") {
        build.extend(C.iter().skip(1).map(|s| s.to_string()));
    }
    (build, runtime)
}
