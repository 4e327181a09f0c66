//! A minimal SMTP server for the tests: enough of RFC 5321 for lettre to deliver to it over
//! plain TCP, recording each message's data; or one that accepts and then never speaks.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

pub struct SmtpServer {
    pub port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpServer {
    /// Answers every session on a port of its own until the test ends.
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let received = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let received = received.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let mut reply = async |text: &str| {
                        let _ = write.write_all(format!("{text}\r\n").as_bytes()).await;
                    };
                    reply("220 test ESMTP").await;
                    while let Ok(Some(line)) = lines.next_line().await {
                        let command = line.to_ascii_uppercase();
                        if command.starts_with("EHLO") || command.starts_with("HELO") {
                            reply("250 test").await;
                        } else if command.starts_with("DATA") {
                            reply("354 go ahead").await;
                            let mut data = String::new();
                            while let Ok(Some(line)) = lines.next_line().await {
                                if line == "." {
                                    break;
                                }
                                data.push_str(&line);
                                data.push('\n');
                            }
                            received.lock().unwrap().push(data);
                            reply("250 queued").await;
                        } else if command.starts_with("QUIT") {
                            reply("221 bye").await;
                            break;
                        } else {
                            reply("250 ok").await;
                        }
                    }
                });
            }
        });
        SmtpServer { port, messages }
    }

    /// Accepts connections and never answers (a mail server that hangs).
    pub async fn silent() -> (u16, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        (port, task)
    }

    /// Waits up to 5 s for `count` messages and returns them (quoted-printable soft breaks
    /// undone).
    pub async fn messages(&self, count: usize) -> Vec<String> {
        for _ in 0..500 {
            let messages = self.messages.lock().unwrap().clone();
            if messages.len() >= count {
                return messages
                    .iter()
                    .map(|m| m.replace("=\n", "").replace("=3D", "="))
                    .collect();
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{count} messages did not reach the SMTP server within 5 s");
    }
}
