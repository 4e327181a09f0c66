//! Running the `bouncer` binary: one-shot subcommands and `serve` as a child process.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{Api, TEST_SECRET};

/// `bouncer` with no inherited `BOUNCER_*` settings, a database at `db`, cheap hashing and the
/// test secret.
pub fn bouncer(db: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bouncer"));
    for (name, _) in std::env::vars() {
        if name.starts_with("BOUNCER_") {
            command.env_remove(name);
        }
    }
    command
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .env_remove("RUST_LOG")
        .env("BOUNCER_DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("BOUNCER_BCRYPT_COST", "4")
        .env("BOUNCER_SIGNING_SECRET", TEST_SECRET)
        .stdin(Stdio::null());
    command
}

/// Runs to completion, or kills the command after 30 s (a `serve` that should have refused to
/// start must not hang the suite).
pub fn run(command: &mut Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bouncer runs");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("child status").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("child output");
            panic!("bouncer did not exit within 30 s: {}", describe(&output));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("child output")
}

#[track_caller]
pub fn run_ok(command: &mut Command) -> String {
    let output = run(command);
    assert!(output.status.success(), "{}", describe(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `bouncer serve` as a child process, killed (SIGKILL) when dropped.
pub struct Served {
    pub child: Child,
    pub api: Api,
    pub log: PathBuf,
}

impl std::ops::Deref for Served {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Served {
    /// Starts `command serve` on a free port, logging to `log`, and waits for `/healthz`.
    pub async fn start(mut command: Command, log: PathBuf) -> Served {
        let port = free_port();
        let file = File::options()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let child = command
            .env("BOUNCER_BIND", format!("127.0.0.1:{port}"))
            .env("BOUNCER_WORKERS", "1")
            .arg("serve")
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .expect("bouncer serve starts");
        let mut served = Served {
            child,
            api: Api::new(format!("http://127.0.0.1:{port}")),
            log,
        };
        served.wait_until_ready().await;
        served
    }

    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("bouncer serve exited with {status}: {}", self.logs());
            }
            let healthy = self
                .client
                .get(self.url("/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "serve never became healthy: {}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no graceful shutdown, no chance to flush anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}
