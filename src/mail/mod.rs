//! E-mail: plain-text messages sent over SMTP, or written to a local outbox in development.
//!
//! Endpoints hand a [`Message`] to [`Mailer::send`], which returns at once: delivery runs as
//! a task of its own, so a slow or dead mail server never holds up or fails a request, and
//! its failures are logged with the recipient's domain only (the body carries a secret
//! token). [`Mailer::deliver`] is the same delivery, awaited. Links for the messages come
//! from the templates in `[mail]`, through [`Links`].
//!
//! Layout: `message.rs` what is sent, `texts.rs` the words of each message, `links.rs` link
//! templates, `mailer.rs` the handle and its two transports (`smtp.rs`, `outbox.rs`),
//! `error.rs` the error.

mod error;
mod links;
mod mailer;
mod message;
mod outbox;
mod smtp;
mod texts;

pub use mailer::Mailer;
pub use message::Message;

#[cfg(test)]
mod fake_smtp;
