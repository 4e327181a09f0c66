//! What endpoints send: a plain-text message to one recipient.

use lettre::message::Mailbox;
use lettre::message::header::ContentType;

use super::error::MailError;

/// A plain-text e-mail. `to` is an address, optionally with a name (`Alice <a@example.com>`).
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Message {
    /// The domain of the recipient, the most of the address that is logged.
    pub(super) fn recipient_domain(&self) -> &str {
        self.to
            .rsplit_once('@')
            .map_or("(no domain)", |(_, domain)| {
                domain.trim_end_matches('>').trim()
            })
    }

    /// The RFC 5322 message lettre builds, from `from`.
    pub(super) fn to_email(&self, from: &Mailbox) -> Result<lettre::Message, MailError> {
        let to: Mailbox = self.to.parse().map_err(MailError::Recipient)?;
        Ok(lettre::Message::builder()
            .from(from.clone())
            .to(to)
            .subject(self.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(self.body.clone())?)
    }
}

/// The body holds reset and activation tokens: `Debug` leaves it out.
impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}
