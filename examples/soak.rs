//! The soak driver behind `bench/soak` (issue 15 §7): mixed traffic at a fixed rate against a
//! running bouncer, with the server's RSS sampled every second.
//!
//! ```sh
//! cargo run --release --example soak -- --base http://127.0.0.1:8000 --pid 1234 \
//!     --rate 300 --seconds 60 --warmup 10
//! ```
//!
//! Open loop: a request starts every 1/rate seconds whatever the server's pace, so a slow
//! server shows as latency and in-flight growth rather than as a lower rate. Each tick picks
//! one action by weight (see [`Action::pick`]): logins, refreshes, protected calls with a
//! Bearer token, logouts, and `Token`-key calls (obtain, use, log out). Every action expects
//! one status; anything else, or a transport error, is an error. Sessions and keys live in
//! pools that an action takes one from exclusively, so no token is used after its logout or
//! twice for a refresh. It passes with zero errors and flat memory: the mean RSS of the last
//! 10 s within 10% of the mean of the first 10 s after the warm-up. Exit status 0 on PASS,
//! 2 on FAIL, 1 when it could not run.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const PASSWORD: &str = "correct-horse-battery-42";
/// Sessions kept in the pool; beyond it a login is replaced by a logout.
const MAX_SESSIONS: usize = 400;
const MAX_KEYS: usize = 100;

struct Options {
    base: String,
    pid: Option<u32>,
    rate: u32,
    seconds: u64,
    warmup: u64,
    users: usize,
    max_in_flight: u64,
    /// Refresh a session whose tokens are older than this before using it: under the server's
    /// access lifetime, and under its refresh lifetime, so no token the driver holds expires.
    access_fresh: Duration,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        base: "http://127.0.0.1:8000".into(),
        pid: None,
        rate: 300,
        seconds: 60,
        warmup: 10,
        users: 20,
        max_in_flight: 2000,
        access_fresh: Duration::from_secs(240),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).ok_or(format!("{} needs a value", pair[0]))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|e| format!("{}: {e}", pair[0]))
        };
        match pair[0].as_str() {
            "--base" => o.base = value.trim_end_matches('/').to_owned(),
            "--pid" => o.pid = Some(u32::try_from(number()?).map_err(|e| e.to_string())?),
            "--rate" => o.rate = u32::try_from(number()?).map_err(|e| e.to_string())?,
            "--seconds" => o.seconds = number()?,
            "--warmup" => o.warmup = number()?,
            "--users" => o.users = usize::try_from(number()?).map_err(|e| e.to_string())?,
            "--max-in-flight" => o.max_in_flight = number()?,
            "--access-fresh" => o.access_fresh = Duration::from_secs(number()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.rate == 0 || o.users == 0 {
        return Err("--rate and --users must be positive".into());
    }
    if o.seconds < o.warmup + 20 {
        return Err("--seconds must leave 20 s after --warmup (two 10 s RSS windows)".into());
    }
    Ok(o)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    Login,
    Refresh,
    Protected,
    Logout,
    KeyObtain,
    KeyProtected,
    KeyLogout,
}

impl Action {
    /// The mix, per 100 ticks: mostly protected calls, as real traffic is.
    fn pick(n: u64) -> Self {
        match n % 100 {
            0..=7 => Self::Login,
            8..=27 => Self::Refresh,
            28..=69 => Self::Protected,
            70..=76 => Self::Logout,
            77..=79 => Self::KeyObtain,
            80..=96 => Self::KeyProtected,
            _ => Self::KeyLogout,
        }
    }
}

struct Session {
    access: String,
    refresh: String,
    minted: Instant,
}

#[derive(Default)]
struct Tally {
    count: u64,
    errors: u64,
    latencies_us: Vec<u64>,
    first_errors: Vec<String>,
}

struct Shared {
    client: Client,
    base: String,
    users: Vec<String>,
    sessions: Mutex<VecDeque<Session>>,
    keys: Mutex<VecDeque<String>>,
    tallies: Mutex<BTreeMap<Action, Tally>>,
    in_flight: AtomicU64,
    dropped: AtomicU64,
    access_fresh: Duration,
}

impl Shared {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn record(&self, action: Action, started: Instant, outcome: Result<(), String>) {
        let mut tallies = self.tallies.lock();
        let tally = tallies.entry(action).or_default();
        tally.count += 1;
        tally
            .latencies_us
            .push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
        if let Err(e) = outcome {
            tally.errors += 1;
            if tally.first_errors.len() < 3 {
                tally.first_errors.push(e);
            }
        }
    }
}

/// Sends `request` and checks its status; returns the JSON body (or Null).
async fn call(request: reqwest::RequestBuilder, expected: StatusCode) -> Result<Value, String> {
    let reply = request.send().await.map_err(|e| {
        // reqwest's own message names only the URL; the cause is in the chain.
        let mut text = format!("transport: {e}");
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            text.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        text
    })?;
    let status = reply.status();
    let body = reply.bytes().await.map_err(|e| format!("body: {e}"))?;
    if status != expected {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
    }
    Ok(serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn field(body: &Value, name: &str) -> Result<String, String> {
    body[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no {name} in {body}"))
}

async fn login(s: &Shared, n: u64) -> Result<(), String> {
    let user = &s.users[usize::try_from(n).unwrap_or(0) % s.users.len()];
    let body = json!({ "username": user, "password": PASSWORD });
    let reply = call(
        s.client.post(s.url("/api/token/")).json(&body),
        StatusCode::OK,
    )
    .await?;
    let session = Session {
        access: field(&reply, "access")?,
        refresh: field(&reply, "refresh")?,
        minted: Instant::now(),
    };
    s.sessions.lock().push_back(session);
    Ok(())
}

async fn refresh(s: &Shared, mut session: Session) -> Result<(), String> {
    let body = json!({ "refresh": session.refresh });
    let reply = call(
        s.client.post(s.url("/api/token/refresh/")).json(&body),
        StatusCode::OK,
    )
    .await?;
    session.access = field(&reply, "access")?;
    session.refresh = field(&reply, "refresh")?;
    session.minted = Instant::now();
    s.sessions.lock().push_back(session);
    Ok(())
}

/// One tick's work; returns the action actually done (a login stands in for an action whose
/// pool is empty, a logout for a login when the pool is full).
async fn tick(s: &Shared, n: u64) -> (Action, Result<(), String>) {
    let mut action = Action::pick(n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7);
    let take_session = || s.sessions.lock().pop_front();
    match action {
        Action::Login if s.sessions.lock().len() >= MAX_SESSIONS => action = Action::Logout,
        Action::KeyObtain if s.keys.lock().len() >= MAX_KEYS => action = Action::KeyLogout,
        _ => {}
    }
    let outcome = match action {
        Action::Login => login(s, n).await,
        Action::Refresh | Action::Protected | Action::Logout => match take_session() {
            None => {
                action = Action::Login;
                login(s, n).await
            }
            Some(session)
                if action == Action::Refresh || session.minted.elapsed() > s.access_fresh =>
            {
                action = Action::Refresh;
                refresh(s, session).await
            }
            Some(session) if action == Action::Protected => {
                let result = call(
                    s.client
                        .get(s.url("/api/secret/"))
                        .bearer_auth(&session.access),
                    StatusCode::OK,
                )
                .await
                .map(drop);
                s.sessions.lock().push_back(session);
                result
            }
            Some(session) => call(
                s.client
                    .post(s.url("/auth/logout/"))
                    .bearer_auth(&session.access)
                    .json(&json!({ "refresh": session.refresh })),
                StatusCode::NO_CONTENT,
            )
            .await
            .map(drop),
        },
        Action::KeyObtain => key_obtain(s, n).await,
        Action::KeyProtected | Action::KeyLogout => {
            let Some(key) = s.keys.lock().pop_front() else {
                return (Action::KeyObtain, key_obtain(s, n).await);
            };
            let auth = format!("Token {key}");
            if action == Action::KeyProtected {
                let result = call(
                    s.client
                        .get(s.url("/api/secret/"))
                        .header("Authorization", &auth),
                    StatusCode::OK,
                )
                .await
                .map(drop);
                s.keys.lock().push_back(key);
                result
            } else {
                call(
                    s.client
                        .post(s.url("/auth/token/logout/"))
                        .header("Authorization", &auth),
                    StatusCode::NO_CONTENT,
                )
                .await
                .map(drop)
            }
        }
    };
    (action, outcome)
}

async fn key_obtain(s: &Shared, n: u64) -> Result<(), String> {
    let user = &s.users[usize::try_from(n).unwrap_or(0) % s.users.len()];
    let body = json!({ "username": user, "password": PASSWORD });
    let reply = call(
        s.client.post(s.url("/api/api-token-auth/")).json(&body),
        StatusCode::OK,
    )
    .await?;
    s.keys.lock().push_back(field(&reply, "token")?);
    Ok(())
}

/// VmRSS of `pid` in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)] as f64 / 1000.0
}

fn mean(values: &[u64]) -> f64 {
    values.iter().sum::<u64>() as f64 / values.len().max(1) as f64
}

#[tokio::main]
async fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::exit(1);
        }
    };
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(256)
        // Below actix-web's 5 s keep-alive: a connection the server is closing is never
        // picked for a request (that race would count as a transport error).
        .pool_idle_timeout(Duration::from_secs(2))
        .build()
        .expect("HTTP client");
    let tag = std::process::id();
    let users: Vec<String> = (0..o.users).map(|i| format!("soak{tag}u{i}")).collect();
    for user in &users {
        let body = json!({ "username": user, "password": PASSWORD, "email": format!("{user}@example.com") });
        if let Err(e) = call(
            client.post(format!("{}/auth/users/", o.base)).json(&body),
            StatusCode::CREATED,
        )
        .await
        {
            eprintln!("soak: registering {user}: {e}");
            std::process::exit(1);
        }
    }
    let shared = Arc::new(Shared {
        client,
        base: o.base.clone(),
        users,
        sessions: Mutex::new(VecDeque::new()),
        keys: Mutex::new(VecDeque::new()),
        tallies: Mutex::new(BTreeMap::new()),
        in_flight: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
        access_fresh: o.access_fresh,
    });

    let started = Instant::now();
    let total = o.seconds * u64::from(o.rate);
    let mut interval = tokio::time::interval(Duration::from_secs(1) / o.rate);
    let mut rss: Vec<(u64, u64)> = Vec::new();
    let mut next_second = 1;
    println!(
        "{:>4} {:>8} {:>8} {:>7} {:>9} {:>9}",
        "s", "sent", "errors", "inflight", "rss MiB", "req/s"
    );
    let mut last_sent = 0;
    for n in 0..total {
        interval.tick().await;
        if shared.in_flight.load(Ordering::Relaxed) >= o.max_in_flight {
            shared.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            shared.in_flight.fetch_add(1, Ordering::Relaxed);
            let s = shared.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let (action, outcome) = tick(&s, n).await;
                s.record(action, t, outcome);
                s.in_flight.fetch_sub(1, Ordering::Relaxed);
            });
        }
        if started.elapsed() >= Duration::from_secs(next_second) {
            let kib = o.pid.and_then(rss_kib).unwrap_or(0);
            rss.push((next_second, kib));
            let errors: u64 = shared.tallies.lock().values().map(|t| t.errors).sum();
            println!(
                "{next_second:>4} {:>8} {errors:>8} {:>7} {:>9.1} {:>9}",
                n + 1,
                shared.in_flight.load(Ordering::Relaxed),
                kib as f64 / 1024.0,
                n + 1 - last_sent
            );
            last_sent = n + 1;
            next_second += 1;
        }
    }
    let elapsed = started.elapsed();
    let drain = Instant::now();
    while shared.in_flight.load(Ordering::Relaxed) > 0 && drain.elapsed() < Duration::from_secs(35)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stuck = shared.in_flight.load(Ordering::Relaxed);
    if let Some(kib) = o.pid.and_then(rss_kib) {
        rss.push((o.seconds, kib));
    }

    println!();
    println!(
        "{:<14} {:>8} {:>7} {:>9} {:>9} {:>9}",
        "action", "count", "errors", "p50 ms", "p99 ms", "max ms"
    );
    let mut errors = shared.dropped.load(Ordering::Relaxed) + stuck;
    let mut sent = 0;
    for (action, tally) in shared.tallies.lock().iter_mut() {
        tally.latencies_us.sort_unstable();
        errors += tally.errors;
        sent += tally.count;
        println!(
            "{:<14} {:>8} {:>7} {:>9.2} {:>9.2} {:>9.2}",
            format!("{action:?}"),
            tally.count,
            tally.errors,
            percentile(&tally.latencies_us, 0.5),
            percentile(&tally.latencies_us, 0.99),
            percentile(&tally.latencies_us, 1.0)
        );
        for e in &tally.first_errors {
            println!("  e.g. {e}");
        }
    }
    println!(
        "sent {sent} in {:.1} s = {:.0} req/s (target {}); dropped at the in-flight cap {}; unanswered at the end {stuck}",
        elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64(),
        o.rate,
        shared.dropped.load(Ordering::Relaxed)
    );
    let window = |from: u64, to: u64| -> Vec<u64> {
        rss.iter()
            .filter(|(s, _)| *s > from && *s <= to)
            .map(|(_, k)| *k)
            .collect()
    };
    let first = window(o.warmup, o.warmup + 10);
    let last = window(o.seconds - 10, o.seconds);
    let memory_ok = match o.pid {
        Some(_) if !first.is_empty() && !last.is_empty() => {
            let (a, b) = (mean(&first), mean(&last));
            let change = (b - a) / a * 100.0;
            println!(
                "RSS: first 10 s after the {} s warm-up {:.1} MiB, last 10 s {:.1} MiB: {change:+.1}% (goal within 10%)",
                o.warmup,
                a / 1024.0,
                b / 1024.0
            );
            change.abs() <= 10.0
        }
        _ => {
            println!("RSS: not sampled (no --pid)");
            false
        }
    };
    println!("errors {errors} (goal 0)");
    let pass = errors == 0 && memory_ok;
    println!("soak: {}", if pass { "PASS" } else { "FAIL" });
    std::process::exit(if pass { 0 } else { 2 });
}
