//! The whole app (bouncer + Little Lemon) on port 0 over a temp dir holding both SQLite
//! files, and a client speaking plain HTTP to it: one helper per step a client takes.

use std::path::PathBuf;

use bouncer::{LoadOptions, Settings};
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;

/// A password bouncer's validators accept.
pub const PASSWORD: &str = "lemon-correct-horse-789";
pub const DENIED: &str = "You do not have permission to perform this action.";
pub const NO_CREDENTIALS: &str = "Authentication credentials were not provided.";

/// A running app; dropping it removes both databases.
pub struct TestApp {
    pub address: String,
    client: reqwest::Client,
    /// Last, so the files outlive everything else.
    dir: TempDir,
}

/// What a request carries.
pub enum With<'a> {
    Nothing,
    Json(Value),
    Form(&'a [(&'a str, &'a str)]),
}

/// A response read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub text: String,
    /// The body as JSON, or `Null` when it is empty or not JSON.
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    #[track_caller]
    pub fn assert(&self, status: StatusCode, body: Value) {
        assert_eq!(
            (self.status, &self.body),
            (status, &body),
            "raw body: {}",
            self.text
        );
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) -> &Value {
        assert_eq!(self.status, status, "body: {}", self.text);
        &self.body
    }
}

/// A random 64-hex signing secret: bouncer refuses guessable ones.
fn random_secret() -> String {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).expect("random bytes");
    hex::encode(bytes)
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let bouncer_db = dir.path().join("bouncer.sqlite3");
    let overrides = [
        ("bind", "127.0.0.1:0".to_owned()),
        ("workers", "2".to_owned()),
        ("database_url", format!("sqlite://{}", bouncer_db.display())),
        ("bcrypt_cost", "4".to_owned()),
        ("signing_secret", random_secret()),
    ];
    let settings = Settings::load(&LoadOptions {
        config_file: None,
        read_env: false,
        overrides: overrides
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    })
    .expect("settings load");
    let app = crate::build(settings, dir.path().join("little_lemon.sqlite3"))
        .await
        .expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .no_proxy()
        // No idle keep-alive connections, so a graceful stop never waits on one.
        .pool_max_idle_per_host(0)
        .build()
        .expect("http client");
    TestApp {
        address,
        client,
        dir,
    }
}

impl TestApp {
    /// Any request: `auth` is a whole `Authorization` value (`Bearer …`, `Token …`).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        auth: Option<&str>,
        body: With<'_>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        request = match body {
            With::Nothing => request,
            With::Json(value) => request.json(&value),
            With::Form(pairs) => request.form(pairs),
        };
        Self::read(request).await
    }

    /// A request with a body sent exactly as given.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        auth: &str,
        content_type: &str,
        body: &'static str,
    ) -> Reply {
        let request = self
            .client
            .request(method, format!("{}{path}", self.address))
            .header("Authorization", auth)
            .header("Content-Type", content_type)
            .body(body);
        Self::read(request).await
    }

    async fn read(request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request reaches the server");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("response body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            text,
            body,
            headers,
        }
    }

    /// The caller's user id, from djoser's `GET /auth/users/me/`.
    pub async fn me(&self, auth: &str) -> i64 {
        let reply = self.get("/auth/users/me/", Some(auth)).await;
        reply.assert_status(StatusCode::OK)["id"]
            .as_i64()
            .expect("an id")
    }

    pub async fn get(&self, path: &str, auth: Option<&str>) -> Reply {
        self.send(Method::GET, path, auth, With::Nothing).await
    }

    /// Registers `username` through djoser's `POST /auth/users/`; its id.
    pub async fn register(&self, username: &str) -> i64 {
        let form = [("username", username), ("password", PASSWORD)];
        let reply = self
            .send(Method::POST, "/auth/users/", None, With::Form(&form))
            .await;
        reply.assert_status(StatusCode::CREATED)["id"]
            .as_i64()
            .expect("an id")
    }

    /// `Bearer <access>` from simplejwt's `POST /api/token/`.
    pub async fn bearer(&self, username: &str) -> String {
        let form = [("username", username), ("password", PASSWORD)];
        let reply = self
            .send(Method::POST, "/api/token/", None, With::Form(&form))
            .await;
        let access = reply.assert_status(StatusCode::OK)["access"]
            .as_str()
            .expect("access");
        format!("Bearer {access}")
    }

    /// `Token <key>` from DRF's `POST /api/api-token-auth/`, as the tutorial gets one.
    pub async fn token(&self, username: &str) -> String {
        let form = [("username", username), ("password", PASSWORD)];
        let reply = self
            .send(
                Method::POST,
                "/api/api-token-auth/",
                None,
                With::Form(&form),
            )
            .await;
        let key = reply.assert_status(StatusCode::OK)["token"]
            .as_str()
            .expect("token");
        format!("Token {key}")
    }

    /// Registers `admin` and makes them staff behind the service's back, as
    /// `bouncer createsuperuser` would; their `Bearer` credential.
    pub async fn admin(&self) -> String {
        self.register("admin").await;
        let path = self.bouncer_db();
        let mut conn = SqliteConnection::establish(path.to_str().expect("utf-8 path"))
            .expect("bouncer's database opens");
        conn.batch_execute(
            "PRAGMA busy_timeout = 5000; \
             UPDATE users SET is_staff = 1, is_superuser = 1 WHERE username = 'admin';",
        )
        .expect("admin made staff");
        self.bearer("admin").await
    }

    /// Registers `username` and adds them to the Manager group with the staff endpoint, as
    /// the tutorial does; the user's id.
    pub async fn manager(&self, admin: &str, username: &str) -> i64 {
        let id = self.register(username).await;
        let form = [("username", username)];
        self.send(
            Method::POST,
            "/api/groups/manager/users",
            Some(admin),
            With::Form(&form),
        )
        .await
        .assert_status(StatusCode::CREATED);
        id
    }

    /// Creates a menu item as `manager`; its id.
    pub async fn menu_item(&self, manager: &str, title: &str, price: &str, inventory: &str) -> i64 {
        let form = [("title", title), ("price", price), ("inventory", inventory)];
        let reply = self
            .send(Method::POST, ITEMS, Some(manager), With::Form(&form))
            .await;
        reply.assert_status(StatusCode::CREATED)["id"]
            .as_i64()
            .expect("an id")
    }

    fn bouncer_db(&self) -> PathBuf {
        self.dir.path().join("bouncer.sqlite3")
    }
}

pub const ITEMS: &str = "/api/menu-items";
pub const RATINGS: &str = "/api/ratings";

pub fn item(id: i64) -> String {
    format!("{ITEMS}/{id}")
}

/// An app with a manager `mario`: his `Bearer` credential.
pub async fn app_with_manager() -> (TestApp, String) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.manager(&admin, "mario").await;
    let mario = app.bearer("mario").await;
    (app, mario)
}
