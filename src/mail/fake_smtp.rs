//! SMTP servers for tests, on 127.0.0.1 port 0: one that speaks just enough SMTP and records
//! what it is sent, one that accepts connections and never says a word, and a closed port.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// One message as the server received it.
#[derive(Debug)]
pub(super) struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// What came after DATA, dot-unstuffed, without the final `.` line.
    pub data: String,
}

pub(super) struct FakeSmtp {
    pub port: u16,
    received: mpsc::UnboundedReceiver<Received>,
}

impl FakeSmtp {
    /// A server answering every connection, each in a task of its own.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, tx.clone()));
            }
        });
        FakeSmtp { port, received }
    }

    /// The next message received; fails the test after 5 s without one.
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(5), self.received.recv())
            .await
            .expect("a message within 5 s")
            .expect("the server is running")
    }
}

/// One SMTP session (RFC 5321 §3), every command accepted.
async fn session(stream: TcpStream, tx: mpsc::UnboundedSender<Received>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 fake ESMTP\r\n").await?;
    let (mut mail_from, mut rcpt_to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250 fake\r\n"
        } else if command.starts_with("MAIL FROM:") {
            mail_from = line.trim_end()["MAIL FROM:".len()..].to_string();
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO:") {
            rcpt_to.push(line.trim_end()["RCPT TO:".len()..].to_string());
            b"250 OK\r\n"
        } else if command == "DATA" {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            let (mail_from, rcpt_to) =
                (std::mem::take(&mut mail_from), std::mem::take(&mut rcpt_to));
            let _ = tx.send(Received {
                mail_from,
                rcpt_to,
                data,
            });
            b"250 queued\r\n"
        } else if command == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if command == "RSET" || command == "NOOP" {
            b"250 OK\r\n"
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

/// A server that accepts connections and then says nothing, keeping them open.
pub(super) async fn silent() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    port
}

/// A port nothing listens on: bound, then let go.
pub(super) async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}
