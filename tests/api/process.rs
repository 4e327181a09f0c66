//! Running the `bouncer` binary: one-shot subcommands and `serve` as a child process.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::database::PgDatabase;
use crate::helpers::{Api, TEST_SECRET, TestDb};

/// `bouncer` with no inherited `BOUNCER_*` settings, the database `db`, cheap hashing and the
/// test secret.
pub fn bouncer(db: &TestDb) -> Command {
    bouncer_at(&db.url())
}

/// [`bouncer`] with `BOUNCER_DATABASE_URL=url`.
pub fn bouncer_at(url: &str) -> Command {
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
        .env("BOUNCER_DATABASE_URL", url)
        .env("BOUNCER_BCRYPT_COST", "4")
        .env("BOUNCER_SIGNING_SECRET", TEST_SECRET)
        // As config/test.toml: reuse of a rotated token is a replay at once.
        .env("BOUNCER_REFRESH_REUSE_GRACE", "0s")
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
    pub async fn start(command: Command, log: PathBuf) -> Served {
        let mut served = Served::spawn(command, log);
        served.wait_until_ready().await;
        served
    }

    /// Starts `command serve` on a free port, logging to `log`, without waiting.
    pub fn spawn(mut command: Command, log: PathBuf) -> Served {
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
        Served {
            child,
            api: Api::new(format!("http://127.0.0.1:{port}")),
            log,
        }
    }

    /// Waits (at most 20 s) until `/healthz` answers 200; panics with the logs otherwise.
    pub async fn wait_until_ready(&mut self) {
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

// ------------------------------------------------------------ instances on one PostgreSQL

/// A PostgreSQL database of the test's own that several `bouncer serve` processes share, and
/// a directory for their logs. Declare instances after it so they are killed before it is
/// dropped.
pub struct SharedDb {
    pub database: PgDatabase,
    logs: TempDir,
}

impl SharedDb {
    pub fn create(admin_url: &str) -> SharedDb {
        SharedDb {
            database: PgDatabase::create(admin_url),
            logs: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// `bouncer` on this database (or `url`, e.g. through a proxy) with `settings` as
    /// `BOUNCER_<KEY>` variables, logging warnings only.
    pub fn command(&self, url: Option<&str>, settings: &[(&str, &str)]) -> Command {
        let mut command = bouncer_at(url.unwrap_or(&self.database.url));
        command.env("RUST_LOG", "warn");
        for (key, value) in settings {
            command.env(format!("BOUNCER_{}", key.to_uppercase()), value);
        }
        command
    }

    /// An instance named `name` (its log file), started without waiting for it.
    pub fn spawn(&self, name: &str, command: Command) -> Served {
        Served::spawn(command, self.logs.path().join(format!("{name}.log")))
    }

    /// An instance with `settings`, straight to the database, ready to serve.
    pub async fn serve(&self, name: &str, settings: &[(&str, &str)]) -> Served {
        let mut served = self.spawn(name, self.command(None, settings));
        served.wait_until_ready().await;
        served
    }
}
