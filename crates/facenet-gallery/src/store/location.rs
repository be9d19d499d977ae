//! [`GalleryLocation`]: where a gallery lives, parsed from the `--db` text. Anything that starts with
//! `postgres://` or `postgresql://` is a PostgreSQL URL (libpq's URI form), never a file name.

use std::fmt;
use std::path::PathBuf;

/// A SQLite file or a PostgreSQL database.
#[derive(Clone, PartialEq, Eq)]
pub enum GalleryLocation {
    File(PathBuf),
    /// `postgres://user[:password]@host[:port]/database[?options]`; see [`crate::store`] for the
    /// HNSW options the URL may carry.
    Postgres(String),
}

impl GalleryLocation {
    /// The location `text` names: a URL for the two PostgreSQL schemes, else a file path.
    pub fn parse(text: &str) -> Self {
        if is_postgres_url(text) {
            Self::Postgres(text.into())
        } else {
            Self::File(text.into())
        }
    }

    /// The file, or the URL with its password replaced by `***` (for messages and logs).
    pub fn display_path(&self) -> PathBuf {
        match self {
            Self::File(path) => path.clone(),
            Self::Postgres(url) => redact_password(url).into(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }
}

impl fmt::Display for GalleryLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.display_path().display())
    }
}

impl fmt::Debug for GalleryLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "File({path:?})"),
            Self::Postgres(_) => write!(f, "Postgres({:?})", self.display_path()),
        }
    }
}

impl From<PathBuf> for GalleryLocation {
    fn from(path: PathBuf) -> Self {
        Self::File(path)
    }
}

fn is_postgres_url(text: &str) -> bool {
    let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// `scheme://user:secret@host/db?password=secret` → `scheme://user:***@host/db?password=***`.
pub(crate) fn redact_password(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let base = redact_user_password(base);
    match query {
        Some(query) => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{base}?{}", pairs.join("&"))
        }
        None => base,
    }
}

fn redact_user_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.into();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.into();
    };
    match rest[..at].find(':') {
        Some(colon) => format!("{}{}:***{}", &url[..scheme_end], &rest[..colon], &rest[at..]),
        None => url.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_never_file_names() {
        for url in ["postgres://u@h/db", "postgresql://h:5432/db", "POSTGRES://h/db"] {
            assert!(GalleryLocation::parse(url).is_postgres(), "{url}");
        }
        for file in ["gallery.db", "postgres/g.db", "postgres:x.db", "./postgres://x"] {
            assert_eq!(GalleryLocation::parse(file), GalleryLocation::File(file.into()));
        }
    }

    #[test]
    fn passwords_are_left_out_of_messages() {
        let location = GalleryLocation::parse("postgres://alice:s3cret@db.local:5433/faces?sslmode=disable");
        let shown = location.to_string();
        assert_eq!(shown, "postgres://alice:***@db.local:5433/faces?sslmode=disable");
        assert!(!format!("{location:?}").contains("s3cret"));
        assert_eq!(redact_password("postgres://alice@h/db"), "postgres://alice@h/db");
        assert_eq!(redact_password("postgres://h/db?user=a@b"), "postgres://h/db?user=a@b");
        assert_eq!(
            redact_password("postgres://h/db?user=a&password=s3cret"),
            "postgres://h/db?user=a&password=***"
        );
    }
}
