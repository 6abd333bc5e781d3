//! The Dockerfile frontend a generated file targets: which `# syntax=` line
//! it starts with and so which features it may use. Older targets get
//! equivalent fallbacks instead of newer features.

/// Cache and secret mounts, which imgspec always uses, need 1.2.
const MINIMUM_MINOR: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Frontend {
    /// The `# syntax=` value, or `None` for the builder's built-in frontend.
    pub syntax: Option<String>,
    /// `RUN <<EOT` heredocs (1.4).
    pub heredocs: bool,
    /// `COPY --link` (1.4).
    pub link: bool,
    /// `ADD --checksum` (1.6), which has no fallback.
    pub checksum: bool,
}

/// Without a `syntax` setting, the builder's built-in frontend: no
/// `# syntax=` line, so a build never pulls a frontend image first (and
/// never fails on a builder that cannot reach its registry). Every Docker
/// Engine since 23.0 builds with BuildKit and a built-in frontend that has
/// what imgspec writes: cache, secret and bind mounts, heredocs, `COPY
/// --link`.
impl Default for Frontend {
    fn default() -> Frontend {
        Frontend {
            syntax: None,
            heredocs: true,
            link: true,
            checksum: true,
        }
    }
}

impl Frontend {
    /// `none`, `1`, `1.N` or `1.N.M` with N >= 2. `none` and `1` mean a
    /// current frontend, with every feature.
    pub fn parse(text: &str) -> Result<Frontend, String> {
        if text == "none" {
            return Ok(Frontend {
                syntax: None,
                heredocs: true,
                link: true,
                checksum: true,
            });
        }
        let parts: Vec<&str> = text.split('.').collect();
        let numeric = parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()));
        if !numeric || parts.len() > 3 || parts[0] != "1" {
            return Err(format!(
                "`{text}` is not a Dockerfile frontend version: expected `none`, `1` or `1.N` (N from {MINIMUM_MINOR})"
            ));
        }
        let minor: u32 = match parts.get(1) {
            Some(m) => m.parse().unwrap_or(0),
            None => u32::MAX,
        };
        if minor < MINIMUM_MINOR {
            return Err(format!(
                "`{text}` predates cache and secret mounts: use 1.{MINIMUM_MINOR} or newer"
            ));
        }
        Ok(Frontend {
            syntax: Some(format!("docker/dockerfile:{text}")),
            heredocs: minor >= 4,
            link: minor >= 4,
            checksum: minor >= 6,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Frontend;

    #[test]
    fn versions_and_features() {
        assert!(Frontend::parse("1.7").is_ok_and(|f| f.heredocs && f.link));
        assert!(Frontend::parse("1")
            .is_ok_and(|f| f.heredocs && f.syntax.as_deref() == Some("docker/dockerfile:1")));
        assert!(Frontend::parse("1.3").is_ok_and(|f| !f.heredocs && !f.link));
        assert!(Frontend::parse("1.5").is_ok_and(|f| f.link && !f.checksum));
        assert!(Frontend::parse("1.6").is_ok_and(|f| f.checksum));
        assert!(Frontend::parse("1").is_ok_and(|f| f.checksum));
        assert!(Frontend::parse("none").is_ok_and(|f| f.syntax.is_none() && f.heredocs));
        assert!(Frontend::parse("1.1").is_err());
        assert!(Frontend::parse("2.0").is_err());
        assert!(Frontend::parse("1.x").is_err());
        assert!(Frontend::parse("1.7-labs").is_err());
    }
}
