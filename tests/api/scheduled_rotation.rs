//! `key_rotation_interval` (issue 14, "Rotation without downtime"): two real `bouncer serve`
//! processes on one PostgreSQL database rotate on schedule. Exactly one of them does each
//! step (the advisory lock), a new key is in both instances' JWKS at least `jwks_max_age`
//! before either signs with it, and tokens signed by retired keys keep verifying on both.
//! PostgreSQL only (SQLite serves one instance, whose lock is always free): skipped without
//! `BOUNCER_TEST_POSTGRES_URL`. About 15 s: a 5 s interval with a 2 s JWKS lifetime.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::database::postgres_or_skip;
use crate::helpers::{Api, PASSWORD, client};
use crate::jwt;
use crate::process::{Served, SharedDb};

const KEK: &str = "5b1e0c7d9a8f4e2d3c6b7a8091f2e3d4c5b6a7980f1e2d3c4b5a69788f9e0d1c";
const JWKS_MAX_AGE: Duration = Duration::from_secs(2);
const SETTINGS: [(&str, &str); 6] = [
    ("signing_keys", "database"),
    ("algorithm", "EdDSA"),
    ("key_encryption_secret", KEK),
    ("jwks_max_age", "2s"),
    ("key_rotation_interval", "5s"),
    ("access_token_lifetime", "2m"),
];
/// Long enough for two rotations after the first key: due at 5 s and 10 s.
const WATCH: Duration = Duration::from_millis(12_500);
const POLL: Duration = Duration::from_millis(200);

/// Each kid's first sighting, measured from the start of the watch.
#[derive(Default)]
struct Sightings {
    /// In the JWKS of every instance.
    published: HashMap<String, Duration>,
    /// In the header of a token some instance signed.
    signing: HashMap<String, Duration>,
    /// One token per signing kid, to verify after its key has retired.
    token_of: HashMap<String, String>,
}

async fn published_kids(api: &Api) -> Vec<String> {
    let reply = api
        .send(client().get(api.url("/.well-known/jwks.json")))
        .await;
    reply.assert_status(StatusCode::OK);
    reply.body["keys"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|k| k["kid"].as_str().map(str::to_owned))
        .collect()
}

/// An instance whose scheduled-rotation lines (info level) reach its log.
async fn instance(shared: &SharedDb, name: &str) -> Served {
    let mut command = shared.command(None, &SETTINGS);
    command.env("RUST_LOG", "warn,bouncer::keyring=info");
    let mut served = shared.spawn(name, command);
    served.wait_until_ready().await;
    served
}

#[tokio::test]
async fn two_instances_rotate_on_schedule_once_per_interval_publishing_keys_before_they_sign() {
    let Some(admin) = postgres_or_skip() else {
        return;
    };
    let shared = SharedDb::create(&admin);
    let a = instance(&shared, "a").await;
    let b = instance(&shared, "b").await;
    a.create_user("alice", PASSWORD).await;
    let instances = [&a, &b];

    let started = Instant::now();
    let mut seen = Sightings::default();
    let mut round = 0usize;
    while started.elapsed() < WATCH {
        let at = started.elapsed();
        let mut everywhere: Option<Vec<String>> = None;
        for api in instances {
            let kids = published_kids(api).await;
            everywhere = Some(match everywhere {
                None => kids,
                Some(before) => before.into_iter().filter(|k| kids.contains(k)).collect(),
            });
        }
        for kid in everywhere.unwrap_or_default() {
            seen.published.entry(kid).or_insert(at);
        }
        // Alternate the instance that signs; each login is a token signed now.
        let tokens = instances[round % 2].tokens("alice", PASSWORD).await;
        let kid = jwt::header(&tokens.access)["kid"]
            .as_str()
            .expect("every token names its key")
            .to_owned();
        seen.signing.entry(kid.clone()).or_insert(at);
        seen.token_of.entry(kid).or_insert(tokens.access);
        round += 1;
        tokio::time::sleep(POLL).await;
    }

    let mut signing: Vec<(&String, &Duration)> = seen.signing.iter().collect();
    signing.sort_by_key(|(_, at)| **at);
    assert!(
        signing.len() >= 3,
        "two scheduled rotations in {WATCH:?}: keys seen signing {signing:?}"
    );
    for (kid, signed_at) in &signing[1..] {
        let published_at = seen
            .published
            .get(*kid)
            .unwrap_or_else(|| panic!("key {kid} signed but never appeared in both JWKS"));
        // Sightings are up to one poll late on either side; the real lead is 2 x max_age.
        assert!(
            **signed_at >= *published_at + JWKS_MAX_AGE,
            "key {kid} was published at {published_at:?} and signed at {signed_at:?}"
        );
    }
    for (kid, token) in &seen.token_of {
        for api in instances {
            api.me(token).await.assert_status(StatusCode::OK);
        }
        assert!(
            published_kids(&a).await.contains(kid),
            "key {kid} left the JWKS before its tokens expired"
        );
    }

    // Exactly one instance did each step: one log line per rotation and per published key,
    // across both logs, and the table agrees.
    let logs = format!("{}{}", a.logs(), b.logs());
    let rotations = logs.matches("scheduled key rotation: Rotated").count();
    let generated = logs.matches("scheduled rotation: published key").count();
    let keys = shared.database.number("SELECT COUNT(*) FROM signing_keys");
    let activated = shared
        .database
        .number("SELECT COUNT(*) FROM signing_keys WHERE activated_at IS NOT NULL");
    assert_eq!(
        usize::try_from(activated - 1).unwrap(),
        rotations,
        "activations beyond the first key vs rotation lines:\n{logs}"
    );
    assert!(
        rotations + 1 >= signing.len(),
        "every key seen signing was activated by a logged rotation:\n{logs}"
    );
    assert_eq!(
        usize::try_from(keys - 1).unwrap(),
        generated,
        "keys beyond the first vs publication lines:\n{logs}"
    );
    let next = shared
        .database
        .number("SELECT COUNT(*) FROM signing_keys WHERE state = 'next'");
    assert!(next <= 1, "{next} next keys: both instances generated one");
    let early = shared.database.number(&format!(
        "SELECT COUNT(*) FROM signing_keys WHERE activated_at IS NOT NULL \
         AND activated_at > (SELECT MIN(created_at) FROM signing_keys) \
         AND activated_at - created_at < {}",
        JWKS_MAX_AGE.as_secs()
    ));
    assert_eq!(
        early, 0,
        "a key signed less than jwks_max_age after it was published"
    );
}
