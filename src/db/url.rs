//! `database_url`: which storage engine, and where. Parsed once at start-up; a URL bouncer
//! cannot use stops start-up with one line that names the setting (and never its password).

use std::path::{Path, PathBuf};

/// The storage engine, chosen by the scheme of `database_url`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://relative/path` or `sqlite:///absolute/path`.
    Sqlite(PathBuf),
    /// `postgres://...` or `postgresql://...`, as given (it may hold a password).
    Postgres(String),
}

/// Never print a PostgreSQL URL whole: it may hold a password.
impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
            Self::Postgres(url) => write!(f, "Postgres({})", redact_url(url)),
        }
    }
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://").filter(|p| !p.is_empty()) {
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else {
            // Never echo the URL: it may hold a password.
            let scheme = url
                .split("://")
                .next()
                .filter(|s| *s != url)
                .unwrap_or("(none)");
            Err(format!(
                "setting `database_url`: scheme {scheme:?} is not supported; \
                 use sqlite://PATH or postgres://USER@HOST/DATABASE"
            ))
        }
    }

    #[cfg(test)]
    fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// The SQLite file, if the URL is a SQLite one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Self::Sqlite(path) => Some(path),
            Self::Postgres(_) => None,
        }
    }
}

/// The URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
#[path = "url_tests.rs"]
mod tests;
