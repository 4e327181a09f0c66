//! DPoP against Bearer under load (issue 16 §2's figure): scenario (b), `GET /api/secret/`,
//! with a bound token and a fresh DPoP proof per request, as a ratio to the same route with a
//! Bearer token, in alternating windows against one running bouncer. wrk cannot sign a proof
//! per request, hence this closed-loop driver.
//!
//! ```sh
//! # a release server on a fresh database, with the user `bench` (bench/run does the same)
//! cargo run --release --example dpop_load -- --base http://127.0.0.1:8000 --pid 1234 \
//!     --username bench --password '...' --seconds 10 --connections 64 --pairs 3
//! ```
//!
//! Each request of the DPoP windows carries a new ES256 proof signed by the driver (unique
//! `jti`, `ath` of the token), so the server runs every check a real client causes: the
//! proof's signature and claims and the replay cache's insert (the database, or Redis when
//! the server has `throttle.redis_url`). The driver's own signing shares the machine with the
//! server, so beside the requests/s ratio it prints the server's CPU time per request (from
//! `/proc/<pid>/stat`, with `--pid`), which the driver's work does not touch, and the
//! driver's cost to sign one proof.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

struct Options {
    base: String,
    pid: Option<u32>,
    username: String,
    password: String,
    seconds: u64,
    connections: usize,
    pairs: usize,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        base: "http://127.0.0.1:8000".into(),
        pid: None,
        username: "bench".into(),
        password: String::new(),
        seconds: 10,
        connections: 64,
        pairs: 3,
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
            "--username" => o.username = value.clone(),
            "--password" => o.password = value.clone(),
            "--seconds" => o.seconds = number()?,
            "--connections" => o.connections = usize::try_from(number()?).unwrap_or(64),
            "--pairs" => o.pairs = usize::try_from(number()?).unwrap_or(3),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unix_now() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_secs()).unwrap_or(i64::MAX)
}

/// The driver's client key and the proof header it signs under.
struct ProofKey {
    key: p256::ecdsa::SigningKey,
    header: String,
}

impl ProofKey {
    fn new() -> Self {
        let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let point = key.verifying_key().to_encoded_point(false);
        let jwk = json!({"kty": "EC", "crv": "P-256",
            "x": b64(&point.x().map(|x| x.to_vec()).unwrap_or_default()),
            "y": b64(&point.y().map(|y| y.to_vec()).unwrap_or_default())});
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk});
        Self {
            key,
            header: b64(header.to_string().as_bytes()),
        }
    }

    fn proof(&self, method: &str, url: &str, ath: Option<&str>) -> String {
        let mut claims = json!({"jti": uuid::Uuid::new_v4().simple().to_string(),
            "htm": method, "htu": url, "iat": unix_now()});
        if let Some(ath) = ath {
            claims["ath"] = json!(ath);
        }
        let input = format!("{}.{}", self.header, b64(claims.to_string().as_bytes()));
        let signature: p256::ecdsa::Signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", b64(&signature.to_bytes()))
    }
}

/// The server's user + system CPU time in seconds, from `/proc/<pid>/stat`.
fn server_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat(5), counted after the name: utime, stime in clock ticks.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf reads a constant of the system.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(ticks / hz)
}

async fn login(client: &Client, o: &Options, proof: Option<String>) -> Result<String, String> {
    let mut request = client
        .post(format!("{}/api/token/", o.base))
        .json(&json!({"username": o.username, "password": o.password}));
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let reply = request.send().await.map_err(|e| e.to_string())?;
    let status = reply.status();
    let body: Value = reply.json().await.map_err(|e| e.to_string())?;
    if status != StatusCode::OK {
        return Err(format!("login answered {status}: {body}"));
    }
    body["access"]
        .as_str()
        .map(str::to_owned)
        .ok_or(format!("no access token in {body}"))
}

/// One window: `connections` loops for `seconds`; requests/s, bad answers, server CPU us/req.
async fn window(
    client: &Client,
    o: &Options,
    access: &str,
    dpop: Option<&Arc<ProofKey>>,
) -> (f64, u64, Option<f64>) {
    let url = format!("{}/api/secret/", o.base);
    let ath = b64(&Sha256::digest(access.as_bytes()));
    let (ok, bad) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let stop = Arc::new(AtomicBool::new(false));
    let cpu_before = o.pid.and_then(server_cpu_seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..o.connections {
        let (client, url, ath, access) =
            (client.clone(), url.clone(), ath.clone(), access.to_owned());
        let (ok, bad, stop, key) = (ok.clone(), bad.clone(), stop.clone(), dpop.cloned());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let request = match &key {
                    Some(key) => client
                        .get(&url)
                        .header("Authorization", format!("DPoP {access}"))
                        .header("DPoP", key.proof("GET", &url, Some(&ath))),
                    None => client.get(&url).bearer_auth(&access),
                };
                match request.send().await {
                    Ok(reply) if reply.status() == StatusCode::OK => {
                        let _ = reply.bytes().await;
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        bad.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(o.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (ok, bad) = (ok.load(Ordering::Relaxed), bad.load(Ordering::Relaxed));
    let cpu = match (cpu_before, o.pid.and_then(server_cpu_seconds)) {
        (Some(before), Some(after)) if ok > 0 => Some((after - before) * 1e6 / ok as f64),
        _ => None,
    };
    (ok as f64 / elapsed, bad, cpu)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("dpop_load: {e}");
            std::process::exit(1);
        }
    };
    let client = Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(o.connections)
        .build()
        .unwrap_or_default();
    let key = Arc::new(ProofKey::new());
    let login_url = format!("{}/api/token/", o.base);
    let (bearer, bound) = match (
        login(&client, &o, None).await,
        login(&client, &o, Some(key.proof("POST", &login_url, None))).await,
    ) {
        (Ok(bearer), Ok(bound)) => (bearer, bound),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("dpop_load: {e}");
            std::process::exit(1);
        }
    };
    // The driver's own cost per proof, on one thread.
    let started = Instant::now();
    let signed = 2000;
    for _ in 0..signed {
        std::hint::black_box(key.proof("GET", &login_url, Some("ath")));
    }
    let sign_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(signed);
    let (mut ratios, mut cpu_ratios) = (Vec::new(), Vec::new());
    for pair in 1..=o.pairs {
        let (b_rps, b_bad, b_cpu) = window(&client, &o, &bearer, None).await;
        let (d_rps, d_bad, d_cpu) = window(&client, &o, &bound, Some(&key)).await;
        ratios.push(d_rps / b_rps);
        let cpu_text = match (b_cpu, d_cpu) {
            (Some(b), Some(d)) => {
                cpu_ratios.push(d / b);
                format!(
                    "   server cpu us/req bearer {b:.1} dpop {d:.1} (+{:.1})",
                    d - b
                )
            }
            _ => String::new(),
        };
        println!(
            "pair {pair}: bearer {b_rps:.0} req/s ({b_bad} bad)   dpop {d_rps:.0} req/s ({d_bad} bad)   dpop/bearer {:.3}{cpu_text}",
            d_rps / b_rps
        );
    }
    println!(
        "(b) DPoP / (b) Bearer, median of {} pairs: {:.3}; driver signs one proof in {sign_us:.1} us",
        o.pairs,
        median(ratios)
    );
    if !cpu_ratios.is_empty() {
        println!(
            "server CPU per request, DPoP / Bearer, median: {:.3}",
            median(cpu_ratios)
        );
    }
}
