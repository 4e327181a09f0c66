//! Delivery over real SMTP to the servers in `fake_smtp.rs`, and into the outbox.

use std::time::{Duration, Instant};

use super::*;
use crate::mail::fake_smtp::{self, FakeSmtp};
use crate::settings::{LoadOptions, MailSettings, Settings};

fn mail_settings(overrides: &[(&str, &str)]) -> MailSettings {
    Settings::load(&LoadOptions {
        overrides: overrides
            .iter()
            .map(|(k, v)| (format!("mail.{k}"), v.to_string()))
            .collect(),
        ..LoadOptions::default()
    })
    .expect("settings load")
    .mail
}

/// Plain SMTP to 127.0.0.1:`port`, timing out after `timeout`.
fn smtp_mailer(port: u16, timeout: &str) -> Mailer {
    let port = port.to_string();
    let settings = mail_settings(&[
        ("smtp_host", "127.0.0.1"),
        ("smtp_port", &port),
        ("smtp_security", "none"),
        ("timeout", timeout),
    ]);
    Mailer::from_settings(&settings).expect("mailer builds")
}

fn reset_message() -> Message {
    Message {
        to: "Alice <alice@example.com>".into(),
        subject: "Reset your password".into(),
        body: "Open http://localhost:3000/password/reset/confirm/MQ/secret-token-123\r\n".into(),
    }
}

#[tokio::test]
async fn a_message_is_delivered_over_smtp_with_its_recipient_subject_and_body() {
    let mut server = FakeSmtp::start().await;
    let mailer = smtp_mailer(server.port, "5s");

    mailer.deliver(reset_message()).await.expect("delivered");

    let received = server.next().await;
    assert_eq!(received.mail_from, "<noreply@localhost>");
    assert_eq!(received.rcpt_to, vec!["<alice@example.com>"]);
    let data = received.data;
    assert!(data.contains("To: Alice <alice@example.com>\r\n"), "{data}");
    assert!(
        data.contains("From: bouncer <noreply@localhost>\r\n"),
        "{data}"
    );
    assert!(data.contains("Subject: Reset your password\r\n"), "{data}");
    assert!(data.contains("Content-Type: text/plain"), "{data}");
    // The body follows the blank line that ends the header (lettre ends DATA on a new line).
    assert!(
        data.contains(
            "\r\n\r\nOpen http://localhost:3000/password/reset/confirm/MQ/secret-token-123\r\n"
        ),
        "{data}"
    );
}

#[tokio::test]
async fn send_returns_at_once_and_delivers_in_the_background() {
    let mut server = FakeSmtp::start().await;
    let mailer = smtp_mailer(server.port, "5s");

    let started = Instant::now();
    mailer.send(reset_message());
    assert!(started.elapsed() < Duration::from_millis(200));

    let received = server.next().await;
    assert_eq!(received.rcpt_to, vec!["<alice@example.com>"]);
    assert!(received.data.contains("secret-token-123"));
}

#[tokio::test]
async fn a_server_that_never_answers_fails_the_delivery_within_the_timeout() {
    let mailer = smtp_mailer(fake_smtp::silent().await, "1s");

    let started = Instant::now();
    let err = mailer.deliver(reset_message()).await.unwrap_err();
    let took = started.elapsed();

    let timed_out = match &err {
        MailError::Timeout(_) => true,
        MailError::Smtp(e) => e.is_timeout(),
        _ => false,
    };
    assert!(timed_out, "a timeout, not {err}");
    assert!(
        took >= Duration::from_millis(900),
        "gave up early, after {took:?}"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[tokio::test]
async fn send_to_a_server_that_never_answers_returns_at_once() {
    let mailer = smtp_mailer(fake_smtp::silent().await, "1s");

    let started = Instant::now();
    mailer.send(reset_message());
    assert!(started.elapsed() < Duration::from_millis(200));
}

#[tokio::test]
async fn a_refused_connection_is_an_error() {
    let mailer = smtp_mailer(fake_smtp::closed_port().await, "5s");

    let started = Instant::now();
    let err = mailer.deliver(reset_message()).await.unwrap_err();

    assert!(matches!(err, MailError::Smtp(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn an_invalid_recipient_is_refused_before_connecting() {
    let mailer = smtp_mailer(fake_smtp::closed_port().await, "5s");
    let message = Message {
        to: "alice at example.com".into(),
        ..reset_message()
    };
    let err = mailer.deliver(message).await.unwrap_err();
    assert!(matches!(err, MailError::Recipient(_)), "{err}");
}

#[tokio::test]
async fn without_an_smtp_host_the_message_is_written_to_the_outbox() {
    let temp = tempfile::tempdir().unwrap();
    let outbox = temp.path().join("outbox"); // does not exist yet
    let settings = mail_settings(&[("outbox_dir", outbox.to_str().unwrap())]);
    let mailer = Mailer::from_settings(&settings).unwrap();

    mailer.deliver(reset_message()).await.unwrap();
    mailer.deliver(reset_message()).await.unwrap();

    let mut files: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "one file per message: {files:?}");
    let file = &files[0];
    assert_eq!(file.extension().unwrap(), "eml");
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains("To: Alice <alice@example.com>\r\n"), "{text}");
    assert!(text.contains("Subject: Reset your password\r\n"), "{text}");
    assert!(
        text.contains("/password/reset/confirm/MQ/secret-token-123"),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner only: it holds a token");
    }
}

#[test]
fn debug_output_shows_neither_the_body_nor_the_smtp_password() {
    let message = format!("{:?}", reset_message());
    assert!(!message.contains("secret-token"), "{message}");
    assert!(message.contains("alice@example.com"), "{message}");

    let settings = mail_settings(&[
        ("smtp_host", "smtp.example.com"),
        ("smtp_username", "bouncer"),
        ("smtp_password", "hunter2-hunter2"),
    ]);
    let mailer = format!("{:?}", Mailer::from_settings(&settings).unwrap());
    assert_eq!(mailer, "Mailer(smtp: smtp.example.com)");
}

#[test]
fn the_mailer_fills_in_the_configured_link_templates() {
    let settings = mail_settings(&[("frontend_url", "https://app.example.com")]);
    let links = Mailer::from_settings(&settings).unwrap().links().clone();
    assert_eq!(
        links.password_reset("MQ", "tok"),
        "https://app.example.com/password/reset/confirm/MQ/tok"
    );
}

#[test]
fn the_recipient_domain_is_what_gets_logged() {
    assert_eq!(reset_message().recipient_domain(), "example.com");
    let bare = Message {
        to: "bob@example.org".into(),
        ..reset_message()
    };
    assert_eq!(bare.recipient_domain(), "example.org");
}
