//! What can go wrong sending mail. No variant carries the message body or the full recipient
//! address, so each can be logged as it is.

use std::path::PathBuf;
use std::time::Duration;

use lettre::address::AddressError;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// `Message::to` is not an e-mail address.
    #[error("invalid recipient address: {0}")]
    Recipient(AddressError),
    /// `mail.from` is not an e-mail address (validation makes this unreachable from settings).
    #[error("invalid sender address in mail.from: {0}")]
    Sender(AddressError),
    /// lettre refused to build the message.
    #[error("building the message: {0}")]
    Build(#[from] lettre::error::Error),
    /// Connecting, TLS, authentication, or the server's answer to a command.
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The whole delivery took longer than `mail.timeout`.
    #[error("the SMTP server did not finish within {0:?}")]
    Timeout(Duration),
    /// Writing a message into `mail.outbox_dir`.
    #[error("writing {}: {source}", path.display())]
    Outbox {
        path: PathBuf,
        source: std::io::Error,
    },
}
