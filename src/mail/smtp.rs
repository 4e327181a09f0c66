//! The SMTP transport: lettre's async client on tokio, TLS by rustls.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::error::MailError;
use crate::settings::{MailSettings, SmtpSecurity};

pub(super) type Smtp = AsyncSmtpTransport<Tokio1Executor>;

/// The transport for `host` as `[mail]` describes it. Nothing is connected yet: lettre opens
/// a connection per message (no pool: bouncer sends a few messages, not a stream).
pub(super) fn transport(settings: &MailSettings, host: &str) -> Result<Smtp, MailError> {
    let builder = match settings.smtp_security {
        SmtpSecurity::Starttls => Smtp::starttls_relay(host)?,
        SmtpSecurity::Tls => Smtp::relay(host)?,
        SmtpSecurity::None => Smtp::builder_dangerous(host),
    };
    let mut builder = builder
        .port(settings.smtp_port)
        .timeout(Some(settings.timeout));
    if let (Some(user), Some(password)) = (&settings.smtp_username, &settings.smtp_password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
    }
    Ok(builder.build())
}

/// Sends `email`, taking at most `timeout` in all. lettre's own timeout bounds each network
/// operation; this one bounds the whole session, so a server that accepts the connection
/// and then trickles or says nothing cannot keep a task alive for ever.
pub(super) async fn send(
    smtp: &Smtp,
    email: lettre::Message,
    timeout: Duration,
) -> Result<(), MailError> {
    match tokio::time::timeout(timeout, smtp.send(email)).await {
        Ok(sent) => sent.map(drop).map_err(MailError::from),
        Err(_elapsed) => Err(MailError::Timeout(timeout)),
    }
}
