//! PostgreSQL going away under a running instance (issue 3, "Outage behaviour"): a TCP proxy
//! the test controls sits between one instance and the server and is cut. PostgreSQL only:
//! skipped without `BOUNCER_TEST_POSTGRES_URL`.

use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::database::postgres_or_skip;
use crate::helpers::*;
use crate::process::*;
use crate::proxy::Proxy;

/// Fail fast while the database is away: wait at most 1 s for a connection or a statement.
const TIMEOUTS: [(&str, &str); 2] = [
    ("database_connect_timeout", "1s"),
    ("database_statement_timeout", "1s"),
];
/// Longest any request may take while the database is away (the timeout plus slack).
const OUTAGE_ANSWER_BOUND: Duration = Duration::from_secs(3);
/// How soon after the database returns the instance must work normally again.
const RECOVERY_BOUND: Duration = Duration::from_secs(5);

/// Sends a request that needs the database and asserts the outage answer: a prompt 503 with
/// `Retry-After` and a JSON body.
async fn assert_unavailable(what: &str, request: impl Future<Output = Reply>) {
    let (reply, elapsed) = timed(request).await;
    eprintln!(
        "{what} while the database is away: {} in {elapsed:?}",
        reply.status
    );
    reply.assert_unavailable();
    assert!(
        elapsed < OUTAGE_ANSWER_BOUND,
        "{what} took {elapsed:?} while the database was away"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_an_outage_tokens_still_validate_the_rest_answers_503_and_all_heals_on_reconnect() {
    let Some(admin) = postgres_or_skip() else {
        return;
    };
    let shared = SharedDb::create(&admin);
    let proxy = Proxy::start(shared.database.server_address()).await;
    let proxied_url = shared.database.url_via(&proxy.address);
    let mut proxied = shared.spawn("proxied", shared.command(Some(&proxied_url), &TIMEOUTS));
    proxied.wait_until_ready().await;
    let direct = shared.serve("direct", &TIMEOUTS).await;
    proxied.create_user("alice", PASSWORD).await;
    let (kept, revoked_meanwhile) = (
        proxied.tokens("alice", PASSWORD).await,
        proxied.tokens("alice", PASSWORD).await,
    );

    proxy.cut();

    proxied
        .secret(&kept.access)
        .await
        .assert_status(StatusCode::OK);
    assert_unavailable("login", proxied.login("alice", PASSWORD)).await;
    assert_unavailable("refresh", proxied.refresh(&kept.refresh)).await;
    assert_unavailable("registration", proxied.register("bob", PASSWORD)).await;
    // Another instance still reaches the database and revokes a session meanwhile.
    direct
        .logout(&revoked_meanwhile.access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    // The proxied instance cannot have heard of it: refusing it later proves the reload.
    proxied
        .secret(&revoked_meanwhile.access)
        .await
        .assert_status(StatusCode::OK);

    proxy.restore();

    let restored = Instant::now();
    let (mut refreshed, mut refused) = (None, None);
    while refreshed.is_none() || refused.is_none() {
        assert!(
            restored.elapsed() < RECOVERY_BOUND,
            "not recovered {RECOVERY_BOUND:?} after the database returned: refresh {refreshed:?}, \
             revocation from the outage {refused:?}; logs:\n{}",
            proxied.logs()
        );
        if refreshed.is_none() {
            let reply = proxied.refresh(&kept.refresh).await;
            match reply.status {
                StatusCode::OK => refreshed = Some(restored.elapsed()),
                StatusCode::SERVICE_UNAVAILABLE => {}
                _ => panic!("refresh after the outage: {reply:?}"),
            }
        }
        if refused.is_none() {
            let reply = proxied.secret(&revoked_meanwhile.access).await;
            match reply.status {
                StatusCode::UNAUTHORIZED => {
                    reply.assert_token_not_valid();
                    refused = Some(restored.elapsed());
                }
                StatusCode::OK => {}
                _ => panic!("revoked token after the outage: {reply:?}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "after the database returned: refresh served after {refreshed:?}, \
         the revocation made meanwhile enforced after {refused:?}"
    );
    proxied
        .secret(&kept.access)
        .await
        .assert_status(StatusCode::OK);
    proxied.tokens("alice", PASSWORD).await;
}
