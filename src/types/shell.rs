//! A small, conservative scan of shell command text: just enough to know
//! whether a step uses a pipe, a comment, a heredoc, `cd` or `sudo`, so the
//! compiler can add `pipefail` or refuse what would break the Dockerfile.

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// An unquoted `|` that is not part of `||`.
    pub pipe: bool,
    /// An unquoted `#` starting a word: a shell comment.
    pub comment: bool,
    /// `<<` anywhere: BuildKit would read the following lines as a heredoc.
    pub heredoc_marker: bool,
    /// A command word `cd`.
    pub cd: bool,
    /// A command word `sudo`.
    pub sudo: bool,
    /// Ends in a backslash, which the Dockerfile reads as a line continuation.
    pub trailing_backslash: bool,
    /// A control character other than newline and tab.
    pub control_char: bool,
    /// A quote opened and never closed.
    pub unterminated_quote: bool,
    /// Starts with `&&`, `||`, `|` or `;`: it would fuse with the step before.
    pub leading_operator: bool,
    /// Starts with `-`: BuildKit would read a leading `--word` as a flag of
    /// RUN (such as `--mount=...`), and no command starts with `-`.
    pub leading_dash: bool,
    /// A package manager's install command (`apt-get install`, `apk add`, ...).
    pub package_install: bool,
}

/// Package managers and the sub-command that installs with each.
const INSTALLERS: &[(&str, &str)] = &[
    ("apt-get", "install"),
    ("apt", "install"),
    ("aptitude", "install"),
    ("apk", "add"),
    ("dnf", "install"),
    ("microdnf", "install"),
    ("yum", "install"),
];

pub fn scan(text: &str) -> Facts {
    let mut facts = Facts {
        heredoc_marker: text.contains("<<"),
        trailing_backslash: text.lines().any(|l| l.trim_end().ends_with('\\')),
        control_char: text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        leading_operator: text.trim_start().starts_with(['&', '|', ';']),
        leading_dash: text.trim_start().starts_with('-'),
        ..Facts::default()
    };
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut single = false;
    let mut double = false;
    // True where a new command may start (start, after `;`, `&&`, `|`, ...).
    let mut command_start = true;
    let mut word_start = true;
    while i < chars.len() {
        let c = chars[i];
        if single {
            single = c != '\'';
            i += 1;
            continue;
        }
        if c == '\\' {
            i += 2;
            word_start = false;
            command_start = false;
            continue;
        }
        if double {
            double = c != '"';
            i += 1;
            continue;
        }
        match c {
            '\'' => single = true,
            '"' => double = true,
            '#' if word_start => facts.comment = true,
            '|' => {
                let doubled = chars.get(i + 1) == Some(&'|');
                if doubled {
                    i += 1;
                } else {
                    facts.pipe = true;
                }
            }
            _ => {}
        }
        if command_start && (c.is_ascii_alphabetic()) {
            let word: String = chars[i..]
                .iter()
                .take_while(|c| !c.is_whitespace() && !";&|()".contains(**c))
                .collect();
            match word.as_str() {
                "cd" => facts.cd = true,
                "sudo" => facts.sudo = true,
                _ => {}
            }
            if let Some((_, verb)) = INSTALLERS.iter().find(|(tool, _)| *tool == word) {
                let rest: String = chars[i..]
                    .iter()
                    .take_while(|c| !";&|()\n".contains(**c))
                    .collect();
                facts.package_install |= rest.split_whitespace().skip(1).any(|w| w == *verb);
            }
        }
        if facts.comment {
            // Everything after a comment is comment text.
            break;
        }
        let separator = ";&|()\n".contains(c);
        command_start = separator || (command_start && c.is_whitespace());
        word_start = separator || c.is_whitespace();
        i += 1;
    }
    facts.unterminated_quote = (single || double) && !facts.comment;
    facts
}

#[cfg(test)]
mod tests {
    use super::scan;

    #[test]
    fn pipes_but_not_or() {
        assert!(scan("curl x | tar xz").pipe);
        assert!(!scan("a || b").pipe);
        assert!(!scan("echo 'a | b'").pipe);
        assert!(!scan("echo \"a | b\"").pipe);
        assert!(!scan("echo a\\|b").pipe);
    }

    #[test]
    fn comments_only_at_word_start() {
        assert!(scan("make # build").comment);
        assert!(!scan("echo a#b").comment);
        assert!(!scan("echo '# not'").comment);
    }

    #[test]
    fn cd_and_sudo_as_commands() {
        assert!(scan("cd src && make").cd);
        assert!(scan("make && cd x").cd);
        assert!(!scan("echo cd").cd);
        assert!(scan("sudo make install").sudo);
        assert!(!scan("abcd").cd);
    }

    #[test]
    fn unbalanced_quotes_and_leading_operators() {
        assert!(scan("echo \"a").unterminated_quote);
        assert!(scan("echo 'a").unterminated_quote);
        assert!(!scan("echo \"a\" 'b'").unterminated_quote);
        assert!(scan("&& make").leading_operator);
        assert!(!scan("make && test").leading_operator);
        assert!(scan("--mount=type=bind,source=/,target=/host,rw make").leading_dash);
        assert!(scan(" -x").leading_dash);
        assert!(!scan("make -j4").leading_dash);
    }

    #[test]
    fn package_installs() {
        assert!(scan("apt-get install -y curl").package_install);
        assert!(scan("a2enmod rewrite && apt-get -y install x").package_install);
        assert!(scan("apk add --no-cache curl").package_install);
        assert!(!scan("apt-get update").package_install);
        assert!(!scan("echo apt-get install").package_install);
        assert!(!scan("git add .").package_install);
    }

    #[test]
    fn structure_breakers() {
        assert!(scan("cat <<EOF").heredoc_marker);
        assert!(scan("echo \\").trailing_backslash);
        assert!(scan("a\u{0}b").control_char);
    }
}
