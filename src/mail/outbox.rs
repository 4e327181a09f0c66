//! The development outbox: each message becomes a file instead of leaving the machine.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::MailError;

/// Writes `email` (the full RFC 5322 text) to a new `<time>-<uuid>.eml` file in `dir`,
/// creating `dir` if needed, and returns its path. The names sort by time. The file is
/// readable by its owner only: it holds reset and activation tokens. Runs on the blocking
/// pool, never on an async worker.
pub(super) async fn write(dir: &Path, email: Vec<u8>) -> Result<PathBuf, MailError> {
    let name = format!(
        "{}-{}.eml",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
        uuid::Uuid::new_v4()
    );
    let path = dir.join(name);
    let (dir, target) = (dir.to_owned(), path.clone());
    let written = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(&target)?.write_all(&email)
    })
    .await
    .unwrap_or_else(|join| Err(std::io::Error::other(join)));
    match written {
        Ok(()) => Ok(path),
        Err(source) => Err(MailError::Outbox { path, source }),
    }
}
