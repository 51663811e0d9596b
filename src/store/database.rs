//! Where the database is: `[settings] database` read as a SQLite file (a path, or `sqlite:PATH`) or a
//! PostgreSQL server (`postgres://…` or `postgresql://…`).

use std::fmt;
use std::path::{Path, PathBuf};

/// The configured database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// An embedded SQLite file: the default, one writing process at a time.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL: several instances may share it.
    Postgres(String),
}

impl Database {
    /// Reads the `database` setting; a relative SQLite path is taken relative to `base_dir` (the config's
    /// folder).
    pub fn from_setting(text: &str, base_dir: &Path) -> Self {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Database::Postgres(text.to_string());
        }
        let path = text.strip_prefix("sqlite:").map_or(text, |rest| {
            // `sqlite:///abs/path` and `sqlite://rel` as well as `sqlite:rel`.
            rest.strip_prefix("//").unwrap_or(rest)
        });
        Database::Sqlite(base_dir.join(path))
    }
}

/// The path, or the URL with its password hidden (it is printed in logs and error messages).
impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

/// `url` with the password of its `user:password@` part replaced by `***`.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((credentials, _)) if credentials.contains(':') => {
            let user = credentials.split_once(':').map_or(credentials, |(user, _)| user);
            let host_and_rest = &rest[credentials.len()..];
            format!("{scheme}://{user}:***{host_and_rest}")
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_select_postgres_and_paths_stay_sqlite() {
        let base = Path::new("/etc/tidings");
        for url in [
            "postgres://u@db/news",
            "postgresql://u@db:5433/news?sslmode=disable",
        ] {
            assert_eq!(Database::from_setting(url, base), Database::Postgres(url.into()));
        }
        let cases = [
            ("tidings.db", "/etc/tidings/tidings.db"),
            ("/var/lib/t.db", "/var/lib/t.db"),
            ("sqlite:t.db", "/etc/tidings/t.db"),
            ("sqlite:///var/lib/t.db", "/var/lib/t.db"),
        ];
        for (setting, path) in cases {
            assert_eq!(
                Database::from_setting(setting, base),
                Database::Sqlite(path.into()),
                "{setting}"
            );
        }
    }

    #[test]
    fn passwords_never_show() {
        let shown = Database::Postgres("postgres://news:s3cret@db.example:5432/news".into()).to_string();
        assert_eq!(shown, "postgres://news:***@db.example:5432/news");
        let plain = "postgres://news@db/news";
        assert_eq!(Database::Postgres(plain.into()).to_string(), plain);
    }
}
