//! An unknown username costs the same bcrypt work as a wrong password (verified against a dummy
//! hash), so response times do not reveal which accounts exist.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::*;

async fn login_time(app: &TestApp, username: &str) -> Duration {
    let started = Instant::now();
    let reply = app.login(username, "not-the-password-at-all").await;
    let elapsed = started.elapsed();
    reply.assert_status(StatusCode::UNAUTHORIZED);
    elapsed
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test]
async fn an_unknown_username_costs_as_much_hashing_as_a_wrong_password() {
    // Cost 10 makes one hash take tens of milliseconds, far above the request overhead.
    let app = spawn_app_with(&[("bcrypt_cost", "10")]).await;
    app.create_user("alice", PASSWORD).await;

    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..5 {
        known.push(login_time(&app, "alice").await);
        unknown.push(login_time(&app, &format!("nobody{i}")).await);
    }

    let (known, unknown) = (median(known), median(unknown));
    assert!(
        unknown * 3 >= known,
        "unknown user {unknown:?} vs wrong password {known:?}: the difference reveals accounts"
    );
}
