//! The handle endpoints send mail through, and the choice between SMTP and the outbox.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;

use super::error::MailError;
use super::links::Links;
use super::message::Message;
use super::{outbox, smtp};
use crate::settings::MailSettings;

/// Sends mail. Cheap to clone (an `Arc`); build one at start-up and share it.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

struct Inner {
    from: Mailbox,
    timeout: Duration,
    transport: Transport,
    links: Links,
}

enum Transport {
    Smtp {
        host: String,
        smtp: smtp::Smtp,
    },
    /// No `smtp_host`: messages are written here.
    Outbox(PathBuf),
}

impl Mailer {
    /// SMTP when `smtp_host` is set, else the outbox. Connects to nothing yet; fails only on
    /// settings that validation lets through but lettre refuses (a host that is no valid
    /// TLS server name, say).
    pub fn from_settings(settings: &MailSettings) -> Result<Mailer, MailError> {
        let from = settings.from.parse().map_err(MailError::Sender)?;
        let transport = match &settings.smtp_host {
            Some(host) => Transport::Smtp {
                host: host.clone(),
                smtp: smtp::transport(settings, host)?,
            },
            None => Transport::Outbox(settings.outbox_dir.clone()),
        };
        let inner = Inner {
            from,
            timeout: settings.timeout,
            transport,
            links: Links::from_settings(settings),
        };
        Ok(Mailer {
            inner: Arc::new(inner),
        })
    }

    /// The links messages carry, from the `[mail]` templates.
    pub fn links(&self) -> &Links {
        &self.inner.links
    }

    /// Sends `message` in the background and returns at once; never blocks, never fails.
    /// A failed or timed-out delivery is logged as a warning naming the recipient's domain
    /// only. The task runs on the calling tokio runtime (an actix worker's, in a request):
    /// if that runtime shuts down first, the message is lost, as it is when the server is
    /// unreachable. There is no retry: the user can ask again.
    pub fn send(&self, message: Message) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            log::error!(
                "mail to a recipient at {} dropped: Mailer::send was called outside a tokio runtime",
                message.recipient_domain()
            );
            return;
        };
        let mailer = self.clone();
        runtime.spawn(async move {
            let domain = message.recipient_domain().to_owned();
            if let Err(err) = mailer.deliver(message).await {
                log::warn!("mail to a recipient at {domain} not delivered: {err}");
            }
        });
    }

    /// Delivers `message` and waits for the outcome, at most `mail.timeout` over SMTP.
    pub async fn deliver(&self, message: Message) -> Result<(), MailError> {
        let inner = &*self.inner;
        let email = message.to_email(&inner.from)?;
        match &inner.transport {
            Transport::Smtp { smtp, .. } => {
                smtp::send(smtp, email, inner.timeout).await?;
                log::info!("mail to a recipient at {} sent", message.recipient_domain());
            }
            Transport::Outbox(dir) => {
                let path = outbox::write(dir, email.formatted()).await?;
                // The body (with its token) is in the file, never in the log.
                log::info!(
                    "mail to {} written to {} (mail.smtp_host is unset: nothing was sent)",
                    message.to,
                    path.display()
                );
            }
        }
        Ok(())
    }
}

/// Names the transport; the credentials stay out.
impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner.transport {
            Transport::Smtp { host, .. } => write!(f, "Mailer(smtp: {host})"),
            Transport::Outbox(dir) => write!(f, "Mailer(outbox: {})", dir.display()),
        }
    }
}

#[cfg(test)]
#[path = "mailer_tests.rs"]
mod tests;
