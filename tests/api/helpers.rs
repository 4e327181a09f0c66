//! The test harness: every test gets its own server on port 0 over its own database on the
//! suite's backend (STYLE.md habit 11; see `database.rs`), and speaks plain HTTP to it through
//! one helper per endpoint.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::dev::ServerHandle;
use bouncer::{Application, LoadOptions, Settings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub use crate::database::{TestConn, TestDb};
use crate::jwt;
pub use crate::reply::Reply;

/// The signing secret in `config/test.toml`; tests sign forged tokens with it.
pub const TEST_SECRET: &str = "9fb5c3cd584ffae5720fc3453c991789218e15242a21c116e5a72c8215b8ac26";
/// A secret that would be a valid one, but not the service's: what a forger signs with.
pub const OTHER_SECRET: &str = "CHyediE9CDOavgTokMplgvCnpZ9Xn6pLe4-dlHc896Q";
/// A password every validator accepts.
pub const PASSWORD: &str = "correct-horse-battery-staple-42";
pub const CONFIG_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/test.toml");

pub const NO_CREDENTIALS: &str = "Authentication credentials were not provided.";
pub const BAD_CREDENTIALS: &str = "No active account found with the given credentials";
pub const NO_ACCOUNT_FOR_TOKEN: &str = "No active account found for the given token.";

/// An HTTP client pointed at one running server, with one helper per endpoint.
pub struct Api {
    pub address: String,
    pub client: reqwest::Client,
}

impl Api {
    pub fn new(address: String) -> Api {
        Api {
            address,
            client: client(),
        }
    }
}

/// A server in this process, its database, and an [`Api`] to talk to it (via `Deref`).
pub struct TestApp {
    pub api: Api,
    handle: ServerHandle,
    overrides: Vec<(String, String)>,
    /// Last, so it is dropped after everything else.
    pub database: TestDb,
}

pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// A server as [`spawn_app`] gives, with `alice` registered and logged in once (see
/// [`Api::alice`]): the start of most tests.
pub async fn spawn_app_and_alice() -> (TestApp, Tokens) {
    let app = spawn_app().await;
    let (_, tokens) = app.alice().await;
    (app, tokens)
}

/// A server with settings from `config/test.toml` plus `overrides` (setting name, value), over
/// a fresh database on the suite's backend.
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_on(TestDb::new(), overrides).await
}

/// A server over `database`, which may already hold data (e.g. made by the CLI).
pub async fn spawn_app_on(database: TestDb, overrides: &[(&str, &str)]) -> TestApp {
    let overrides = owned(overrides);
    let (port, handle) = start(&database, &overrides).await;
    TestApp {
        api: Api::new(format!("http://127.0.0.1:{port}")),
        handle,
        overrides,
        database,
    }
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn test_settings(database: &TestDb, overrides: &[(String, String)]) -> Settings {
    let mut all = vec![("database_url".to_owned(), database.url())];
    all.extend(overrides.iter().cloned());
    Settings::load(&LoadOptions {
        config_file: Some(CONFIG_FILE.into()),
        read_env: false,
        overrides: all,
    })
    .expect("test settings load")
}

async fn start(database: &TestDb, overrides: &[(String, String)]) -> (u16, ServerHandle) {
    let app = Application::build(test_settings(database, overrides))
        .await
        .expect("application builds");
    let port = app.port();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    (port, handle)
}

/// No connection pooling, so a graceful stop never waits on an idle keep-alive connection.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// Awaits `request` and says how long it took.
pub async fn timed<T>(request: impl Future<Output = T>) -> (T, Duration) {
    let start = Instant::now();
    let result = request.await;
    (result, start.elapsed())
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

impl TestApp {
    /// Stops the server and starts a new one on the same database with the same settings.
    pub async fn restart(&mut self) {
        self.stop().await;
        let (port, handle) = start(&self.database, &self.overrides).await;
        self.handle = handle;
        self.api.address = format!("http://127.0.0.1:{port}");
    }

    /// Restarts with different overrides (on top of `config/test.toml`).
    pub async fn restart_with(&mut self, overrides: &[(&str, &str)]) {
        self.overrides = owned(overrides);
        self.restart().await;
    }

    /// Stops the server gracefully; in-flight requests finish first.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

impl std::ops::Deref for TestApp {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        Reply::read(request.send().await.expect("request reaches the server")).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        self.send(self.client.post(self.url(path)).form(form)).await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let request = self
            .client
            .post(self.url(path))
            .header("Content-Type", content_type)
            .body(body);
        self.send(request).await
    }

    /// A request with a raw `Authorization` header value, or none.
    pub async fn request_with_header(
        &self,
        method: Method,
        path: &str,
        authorization: Option<&str>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        self.send(request).await
    }

    /// Any request with an `Authorization` header value (`Bearer …`, `Token …`) and an
    /// optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        authorization: &str,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("Authorization", authorization);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request).await
    }

    // ------------------------------------------------------------ one helper per endpoint

    pub async fn healthz(&self) -> Reply {
        self.send(self.client.get(self.url("/healthz"))).await
    }

    pub async fn register(&self, username: &str, password: &str) -> Reply {
        self.post_json(
            "/auth/users/",
            &json!({"username": username, "password": password}),
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Reply {
        self.post_json(
            "/api/token/",
            &json!({"username": username, "password": password}),
        )
        .await
    }

    pub async fn refresh(&self, refresh: &str) -> Reply {
        self.post_json("/api/token/refresh/", &json!({ "refresh": refresh }))
            .await
    }

    pub async fn verify(&self, token: &str) -> Reply {
        self.post_json("/api/token/verify/", &json!({ "token": token }))
            .await
    }

    pub async fn blacklist(&self, refresh: &str) -> Reply {
        self.post_json("/api/token/blacklist/", &json!({ "refresh": refresh }))
            .await
    }

    pub async fn logout(&self, access: &str, refresh: Option<&str>) -> Reply {
        let mut request = self
            .client
            .post(self.url("/auth/logout/"))
            .bearer_auth(access);
        if let Some(refresh) = refresh {
            request = request.json(&json!({ "refresh": refresh }));
        }
        self.send(request).await
    }

    pub async fn me(&self, access: &str) -> Reply {
        self.send(
            self.client
                .get(self.url("/auth/users/me/"))
                .bearer_auth(access),
        )
        .await
    }

    pub async fn update_me(&self, method: Method, access: &str, body: &Value) -> Reply {
        let request = self
            .client
            .request(method, self.url("/auth/users/me/"))
            .bearer_auth(access)
            .json(body);
        self.send(request).await
    }

    /// `GET /api/secret/` with `Authorization: Bearer <access>`.
    pub async fn secret(&self, access: &str) -> Reply {
        self.send(
            self.client
                .get(self.url("/api/secret/"))
                .bearer_auth(access),
        )
        .await
    }

    /// `POST /api/api-token-auth/` -> the new key.
    pub async fn key(&self, username: &str, password: &str) -> String {
        let reply = self
            .post_form(
                "/api/api-token-auth/",
                &[("username", username), ("password", password)],
            )
            .await;
        reply.assert_status(StatusCode::OK)["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token in {}", reply.text))
            .to_owned()
    }

    // ------------------------------------------------------------ composite steps

    /// Registers a user and returns the id from the 201 body.
    pub async fn create_user(&self, username: &str, password: &str) -> i64 {
        let reply = self.register(username, password).await;
        let body = reply.assert_status(StatusCode::CREATED);
        body["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("id is not a number: {}", reply.text))
    }

    /// Logs in and returns the token pair from the 200 body.
    pub async fn tokens(&self, username: &str, password: &str) -> Tokens {
        let reply = self.login(username, password).await;
        tokens_of(&reply)
    }

    /// Registers `alice` with [`PASSWORD`] and logs her in once.
    pub async fn alice(&self) -> (i64, Tokens) {
        let id = self.create_user("alice", PASSWORD).await;
        (id, self.tokens("alice", PASSWORD).await)
    }

    /// Registers `alice` with [`PASSWORD`] and logs her in twice: two sessions of one user.
    pub async fn alice_in_two_sessions(&self) -> (Tokens, Tokens) {
        let (_, first) = self.alice().await;
        (first, self.tokens("alice", PASSWORD).await)
    }

    /// Refreshes and returns the new pair (rotation is on by default).
    pub async fn rotate(&self, refresh: &str) -> Tokens {
        let reply = self.refresh(refresh).await;
        tokens_of(&reply)
    }
}

impl TestApp {
    /// Registers a staff user `admin` (made staff behind the service's back, as
    /// `createsuperuser` would) and logs them in.
    pub async fn admin(&self) -> Tokens {
        self.create_user("admin", PASSWORD).await;
        self.db_execute(
            "UPDATE users SET is_staff = TRUE, is_superuser = TRUE WHERE username = 'admin'",
        );
        self.tokens("admin", PASSWORD).await
    }

    // ------------------------------------------------------------ the database, behind the service's back

    /// A connection of the test's own, e.g. to hold a lock.
    pub fn db(&self) -> TestConn {
        self.database.connect()
    }

    pub fn db_execute(&self, sql: &str) -> usize {
        self.database.execute(sql)
    }

    /// Runs a query returning one integer, e.g. `SELECT count(*) FROM users`.
    pub fn db_number(&self, query: &str) -> i64 {
        self.database.number(query)
    }
}

#[track_caller]
pub fn tokens_of(reply: &Reply) -> Tokens {
    let body = reply.assert_status(StatusCode::OK);
    let field = |name: &str| {
        body[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in {}", reply.text))
            .to_owned()
    };
    Tokens {
        access: field("access"),
        refresh: field("refresh"),
    }
}

// ------------------------------------------------------------ forging tokens

/// The header of the service's own tokens: `{"alg": "HS256", "typ": "JWT"}`.
pub fn hs256() -> Value {
    json!({"alg": "HS256", "typ": "JWT"})
}

/// The claims of `token` with `changes` made (each sets one claim), signed under [`hs256`]
/// with `secret`.
pub fn resigned(token: &str, changes: &[(&str, Value)], secret: &str) -> String {
    let mut claims = jwt::claims(token);
    for (key, value) in changes {
        claims[*key] = value.clone();
    }
    jwt::sign(&hs256(), &claims, secret)
}

/// `token` re-signed with [`TEST_SECRET`] as one that expired `seconds` ago, 300 seconds
/// after it was issued.
pub fn expired_since(token: &str, seconds: i64) -> String {
    let now = now();
    resigned(
        token,
        &[
            ("iat", json!(now - seconds - 300)),
            ("exp", json!(now - seconds)),
        ],
        TEST_SECRET,
    )
}

/// The keys of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

pub fn is_lower_hex_32(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}
