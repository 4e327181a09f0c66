//! Graceful shutdown (issue 15 §4): on SIGTERM or SIGINT bouncer stops accepting connections,
//! finishes the requests in flight, drains the database writer and exits 0; nothing it
//! acknowledged is lost.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::process::*;

fn signal(served: &Served, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(served.child.id()).expect("a pid");
    // SAFETY: kill(2) with the pid of our own child and a valid signal number.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill failed");
}

/// Waits (at most 40 s) for the process to exit; panics with its logs otherwise.
fn exit_status(served: &mut Served) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if let Some(status) = served.child.try_wait().expect("child status") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 40 s after the signal: {}",
            served.logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn command(db: &TestDb) -> Command {
    let mut command = bouncer(db);
    command
        .env("RUST_LOG", "info")
        .env("BOUNCER_SHUTDOWN_TIMEOUT", "20s");
    command
}

/// What one request of the load got: `None` when it got no whole answer (refused or cut).
struct Outcome {
    logout: bool,
    tokens: Tokens,
    answer: Option<(StatusCode, serde_json::Value)>,
    answered_at: Instant,
}

async fn logout_or_refresh(
    address: String,
    logout: bool,
    tokens: Tokens,
    answered: Arc<AtomicUsize>,
) -> Outcome {
    let client = client();
    let request = match logout {
        true => client
            .post(format!("{address}/auth/logout/"))
            .bearer_auth(&tokens.access)
            .json(&json!({"refresh": tokens.refresh})),
        false => client
            .post(format!("{address}/api/token/refresh/"))
            .json(&json!({"refresh": tokens.refresh})),
    };
    let answer = match request.send().await {
        Ok(response) => {
            let status = response.status();
            match response.text().await {
                Ok(text) => Some((status, serde_json::from_str(&text).unwrap_or_default())),
                Err(_) => None,
            }
        }
        Err(_) => None,
    };
    if answer.is_some() {
        answered.fetch_add(1, Ordering::SeqCst);
    }
    Outcome {
        logout,
        tokens,
        answer,
        answered_at: Instant::now(),
    }
}

#[tokio::test]
async fn sigterm_under_load_loses_no_acknowledged_logout_and_exits_0() {
    let (db, dir) = (TestDb::new(), tempfile::tempdir().unwrap());
    let log = dir.path().join("serve.log");
    let mut served = Served::start(command(&db), log.clone()).await;
    served.create_user("alice", PASSWORD).await;
    let mut sessions = Vec::new();
    for _ in 0..120 {
        sessions.push(served.tokens("alice", PASSWORD).await);
    }

    let answered = Arc::new(AtomicUsize::new(0));
    // Logouts and refreshes, one per session, in bursts of 8 every 20 ms for about 300 ms
    // (a burst queues on the one worker, so some are in flight at any moment); the signal
    // comes in the middle.
    let load: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(i, tokens)| {
            let (address, answered) = (served.address.clone(), answered.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(20 * (i / 8) as u64)).await;
                logout_or_refresh(address, i % 2 == 0, tokens, answered).await
            })
        })
        .collect();
    // Mid-load, once a few answers are in (a slow machine answers the first ones late).
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(150) || answered.load(Ordering::SeqCst) < 8 {
        assert!(started.elapsed() < Duration::from_secs(20), "no answers");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    signal(&served, libc::SIGTERM);
    let signalled = Instant::now();
    let mut outcomes = Vec::new();
    for task in load {
        outcomes.push(task.await.expect("a load task"));
    }
    let status = exit_status(&mut served);
    let logs = served.logs();
    assert_eq!(status.code(), Some(0), "{logs}");
    assert!(logs.contains("SIGTERM received"), "{logs}");
    assert!(logs.contains("database writer drained"), "{logs}");

    // Every answer is the right one.
    let mut acknowledged = Vec::new();
    let mut rotated = Vec::new();
    for outcome in &outcomes {
        let Some((status, body)) = &outcome.answer else {
            continue;
        };
        match outcome.logout {
            true => {
                assert_eq!(*status, StatusCode::NO_CONTENT, "logout answered {body}");
                acknowledged.push(&outcome.tokens);
            }
            false => {
                assert_eq!(*status, StatusCode::OK, "refresh answered {body}");
                rotated.push(tokens_of_value(body));
            }
        }
    }
    let unanswered = outcomes.iter().filter(|o| o.answer.is_none()).count();
    let after = outcomes
        .iter()
        .filter(|o| o.answer.is_some() && o.answered_at > signalled)
        .count();
    eprintln!(
        "{} logouts and {} refreshes answered ({after} after the signal), {unanswered} not \
         answered",
        acknowledged.len(),
        rotated.len()
    );
    assert!(
        !acknowledged.is_empty(),
        "no logout answered before the stop"
    );

    // After a restart on the same database, every acknowledged logout is still in force.
    let restarted = Served::start(command(&db), log).await;
    for tokens in acknowledged {
        restarted
            .refresh(&tokens.refresh)
            .await
            .assert_token_endpoint_refused();
        restarted
            .secret(&tokens.access)
            .await
            .assert_token_not_valid();
    }
    for tokens in rotated {
        restarted
            .secret(&tokens.access)
            .await
            .assert_status(StatusCode::OK);
    }
}

fn tokens_of_value(body: &serde_json::Value) -> Tokens {
    let text = |key: &str| {
        body[key]
            .as_str()
            .unwrap_or_else(|| panic!("no {key} in {body}"))
            .to_owned()
    };
    Tokens {
        access: text("access"),
        refresh: text("refresh"),
    }
}

/// A login hashing at cost 12 is still running when the signal arrives: it finishes, and
/// only then does the process exit.
#[tokio::test]
async fn sigint_lets_a_request_in_flight_finish_then_exits_0() {
    let (db, dir) = (TestDb::new(), tempfile::tempdir().unwrap());
    let mut command = command(&db);
    command.env("BOUNCER_BCRYPT_COST", "12");
    let mut served = Served::start(command, dir.path().join("serve.log")).await;
    served.create_user("alice", PASSWORD).await;

    let login = {
        let api = Api::new(served.address.clone());
        tokio::spawn(async move { api.login("alice", PASSWORD).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    signal(&served, libc::SIGINT);

    login
        .await
        .expect("the login")
        .assert_status(StatusCode::OK);
    assert_eq!(
        exit_status(&mut served).code(),
        Some(0),
        "{}",
        served.logs()
    );
    assert!(served.logs().contains("SIGINT received"));
    // Stopped: nothing listens any more.
    assert!(
        served
            .client
            .get(served.url("/healthz"))
            .send()
            .await
            .is_err()
    );
}

#[test]
fn a_bad_shutdown_timeout_or_log_format_stops_start_up_naming_the_setting() {
    let db = TestDb::new();
    let bad = [
        ("shutdown_timeout", "0s"),
        ("shutdown_timeout", "1500ms"),
        ("shutdown_timeout", "2h"),
        ("shutdown_timeout", "soon"),
        ("log_format", "xml"),
    ];
    for (key, value) in bad {
        let output = run(bouncer(&db)
            .env(format!("BOUNCER_{}", key.to_uppercase()), value)
            .arg("serve"));
        assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(key), "{key} = {value}: {stderr}");
    }
}
