//! Each test's own database, on the suite's backend, and raw SQL behind the service's back.
//!
//! `BOUNCER_TEST_BACKEND` picks the backend of [`TestDb::new`] (`sqlite`, the default, or
//! `postgres`); `BOUNCER_TEST_POSTGRES_URL` names the PostgreSQL server's admin database (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`). On PostgreSQL every test creates its own
//! database `bouncer_test_<uuid>` and drops it when the [`TestDb`] is dropped, which also
//! happens while a failing test unwinds.

use std::io::Write;
use std::path::{Path, PathBuf};

use diesel::pg::PgConnection;
use diesel::sql_types::BigInt;
use diesel::{Connection, RunQueryDsl, SqliteConnection};
use tempfile::TempDir;

pub const BACKEND_VAR: &str = "BOUNCER_TEST_BACKEND";
pub const POSTGRES_URL_VAR: &str = "BOUNCER_TEST_POSTGRES_URL";
const EXAMPLE_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backend the whole suite runs on (`BOUNCER_TEST_BACKEND`, default `sqlite`).
pub fn suite_backend() -> Backend {
    match std::env::var(BACKEND_VAR).unwrap_or_default().as_str() {
        "" | "sqlite" => Backend::Sqlite,
        "postgres" | "postgresql" => Backend::Postgres,
        other => panic!("{BACKEND_VAR}={other:?}: use sqlite or postgres"),
    }
}

/// `BOUNCER_TEST_POSTGRES_URL`, when set.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// Whether `CI` is set (to anything but empty, `0` or `false`): there a test that needs
/// PostgreSQL must run, since CI must never count a skip as a pass.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// The admin URL for a test that needs PostgreSQL whatever the suite's backend; `None` (after
/// one `skipped: ...` line on stderr) when no server is named, so the test returns early.
/// Under CI a missing server is a failure, never a skip.
pub fn postgres_or_skip() -> Option<String> {
    if let Some(url) = postgres_admin_url() {
        return Some(url);
    }
    // libtest names each test's thread after the test.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("this test");
    assert!(
        !in_ci(),
        "{test} needs PostgreSQL and CI is set: set {POSTGRES_URL_VAR}={EXAMPLE_POSTGRES_URL}"
    );
    // Straight to stderr: libtest captures `eprintln!` of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {test} needs PostgreSQL; set {POSTGRES_URL_VAR}={EXAMPLE_POSTGRES_URL}"
    );
    None
}

/// One test's database: a file in a temporary directory, or a PostgreSQL database of its own.
pub enum TestDb {
    Sqlite { path: PathBuf, _dir: TempDir },
    Postgres(PgDatabase),
}

impl TestDb {
    /// A fresh, empty database on the suite's backend.
    pub fn new() -> TestDb {
        match suite_backend() {
            Backend::Sqlite => TestDb::sqlite(),
            Backend::Postgres => {
                let admin = postgres_admin_url().unwrap_or_else(|| {
                    panic!(
                        "{BACKEND_VAR}=postgres needs a server: set \
                         {POSTGRES_URL_VAR}={EXAMPLE_POSTGRES_URL}"
                    )
                });
                TestDb::Postgres(PgDatabase::create(&admin))
            }
        }
    }

    /// A fresh SQLite database whatever the suite's backend (`<tempdir>/bouncer.db`, not yet
    /// created), for tests of behaviour only SQLite has.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        TestDb::Sqlite {
            path: dir.path().join("bouncer.db"),
            _dir: dir,
        }
    }

    /// The service's `database_url` for this database.
    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            TestDb::Postgres(pg) => pg.url.clone(),
        }
    }

    /// The database file, on SQLite.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            TestDb::Sqlite { path, .. } => Some(path),
            TestDb::Postgres(_) => None,
        }
    }

    pub fn connect(&self) -> TestConn {
        match self {
            TestDb::Sqlite { path, .. } => TestConn::Sqlite(open_sqlite(path)),
            TestDb::Postgres(pg) => pg.connect(),
        }
    }

    /// Runs a statement; returns the number of rows it touched.
    pub fn execute(&self, sql: &str) -> usize {
        self.connect().execute(sql)
    }

    /// Runs a query returning one integer, e.g. `SELECT count(*) FROM users`.
    pub fn number(&self, query: &str) -> i64 {
        self.connect().number(query)
    }
}

/// A connection to a [`TestDb`]. Write portable SQL (`is_active = false`, not `0`).
pub enum TestConn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl TestConn {
    pub fn execute(&mut self, sql: &str) -> usize {
        let query = diesel::sql_query(sql);
        match self {
            TestConn::Sqlite(c) => query.execute(c),
            TestConn::Postgres(c) => query.execute(c),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub fn number(&mut self, query: &str) -> i64 {
        let select = diesel::select(diesel::dsl::sql::<BigInt>(&format!("({query})")));
        match self {
            TestConn::Sqlite(c) => select.get_result::<i64>(c),
            TestConn::Postgres(c) => select.get_result::<i64>(c),
        }
        .unwrap_or_else(|e| panic!("{query}: {e}"))
    }
}

pub fn open_sqlite(path: &Path) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(&path.display().to_string())
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    diesel::sql_query("PRAGMA busy_timeout = 5000")
        .execute(&mut conn)
        .expect("busy timeout");
    conn
}

/// A database of one test's own on the shared server, dropped (connections and all) on drop.
pub struct PgDatabase {
    admin_url: String,
    pub name: String,
    /// The URL of this database, straight to the server.
    pub url: String,
}

impl PgDatabase {
    pub fn create(admin_url: &str) -> PgDatabase {
        let name = format!("bouncer_test_{}", uuid::Uuid::new_v4().simple());
        admin(admin_url).execute(&format!("CREATE DATABASE {name}"));
        PgDatabase {
            url: with_database(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
        }
    }

    pub fn connect(&self) -> TestConn {
        TestConn::Postgres(
            PgConnection::establish(&self.url).unwrap_or_else(|e| panic!("{}: {e}", self.name)),
        )
    }

    pub fn execute(&self, sql: &str) -> usize {
        self.connect().execute(sql)
    }

    pub fn number(&self, query: &str) -> i64 {
        self.connect().number(query)
    }

    /// The server's `host:port`, as the admin URL names it.
    pub fn server_address(&self) -> String {
        let rest = self.url.split_once("://").map_or(&*self.url, |(_, r)| r);
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        let host_port = rest.split(['/', '?']).next().unwrap_or_default();
        if host_port.contains(':') {
            host_port.to_owned()
        } else {
            format!("{host_port}:5432")
        }
    }

    /// This database's URL with the server's `host:port` replaced (e.g. by a proxy's).
    pub fn url_via(&self, address: &str) -> String {
        self.url.replacen(&self.server_address(), address, 1)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Never panic here: this also runs while a failed test unwinds.
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let dropped = PgConnection::establish(&self.admin_url)
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                diesel::sql_query(&sql)
                    .execute(&mut c)
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

fn admin(admin_url: &str) -> TestConn {
    TestConn::Postgres(
        PgConnection::establish(admin_url)
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {POSTGRES_URL_VAR}: {e}")),
    )
}

/// `admin_url` with its database name replaced by `name` (user, host and options kept).
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}
