//! Rights that change at once, in both directions (issue 13): a grant (a group, staff) reaches
//! the access token and key the user already holds on their next request, as in Django; a
//! removal still voids them; neither a grant nor anything else lifts a removal or a
//! deactivation. Over one instance on the suite's backend, the command line, and (PostgreSQL
//! only) two instances.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::database::postgres_or_skip;
use crate::helpers::*;
use crate::process::{SharedDb, bouncer, run_ok};

const DENIED: &str = "You do not have permission to perform this action.";
const MANAGER_VIEW: &str = "/api/manager-view/";
/// A route only staff may use (`IsAdminUser`).
const STAFF_ONLY: &str = "/api/groups/";

fn bearer(tokens: &Tokens) -> String {
    format!("Bearer {}", tokens.access)
}

/// Adds (POST) or removes (DELETE) `username` to or from `Manager`, as the staff user `admin`.
async fn set_manager(api: &Api, admin: &Tokens, method: Method, username: &str) {
    let reply = api
        .call(
            method.clone(),
            "/api/groups/manager/users",
            &bearer(admin),
            Some(&json!({ "username": username })),
        )
        .await;
    let expected = if method == Method::POST {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    reply.assert_status(expected);
}

async fn patch_user(app: &TestApp, admin: &Tokens, id: i64, body: serde_json::Value) {
    app.call(
        Method::PATCH,
        &format!("/auth/users/{id}/"),
        &bearer(admin),
        Some(&body),
    )
    .await
    .assert_status(StatusCode::OK);
}

/// Polls `GET path` with `authorization` until it answers 200; panics on anything but 403 and
/// 200, or after a second (the bound the README promises).
async fn allowed_within_a_second(api: &Api, authorization: &str, path: &str) -> Duration {
    let start = Instant::now();
    loop {
        let reply = api.call(Method::GET, path, authorization, None).await;
        if reply.status == StatusCode::OK {
            return start.elapsed();
        }
        reply.assert(StatusCode::FORBIDDEN, json!({ "detail": DENIED }));
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "the grant did not reach {path} within a second"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_same_access_token_gets_the_manager_view_right_after_a_staff_user_adds_its_user() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_user("alice", PASSWORD).await;
    let alice = app.tokens("alice", PASSWORD).await;
    app.call(Method::GET, MANAGER_VIEW, &bearer(&alice), None)
        .await
        .assert(StatusCode::FORBIDDEN, json!({ "detail": DENIED }));

    set_manager(&app, &admin, Method::POST, "alice").await;

    app.call(Method::GET, MANAGER_VIEW, &bearer(&alice), None)
        .await
        .assert(
            StatusCode::OK,
            json!({"message": "Only Manager Should See This"}),
        );
    // The token itself is unchanged; a refresh mints one that carries the group.
    assert_eq!(crate::jwt::claims(&alice.access)["groups"], json!([]));
    let refreshed = app.rotate(&alice.refresh).await;
    assert_eq!(
        crate::jwt::claims(&refreshed.access)["groups"],
        json!(["manager"])
    );
    app.call(Method::GET, MANAGER_VIEW, &bearer(&refreshed), None)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn staff_granted_through_patch_lets_the_same_token_use_a_staff_only_route() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = app.create_user("bob", PASSWORD).await;
    let bob = app.tokens("bob", PASSWORD).await;
    app.call(Method::GET, STAFF_ONLY, &bearer(&bob), None)
        .await
        .assert(StatusCode::FORBIDDEN, json!({ "detail": DENIED }));

    patch_user(&app, &admin, id, json!({"is_staff": true})).await;

    app.call(Method::GET, STAFF_ONLY, &bearer(&bob), None)
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(app.db_number("SELECT count(*) FROM user_rights"), 1);
}

#[tokio::test]
async fn a_grant_then_a_removal_leaves_the_tokens_issued_before_the_removal_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_user("alice", PASSWORD).await;
    let before_grant = app.tokens("alice", PASSWORD).await;
    set_manager(&app, &admin, Method::POST, "alice").await;
    let after_grant = app.tokens("alice", PASSWORD).await;
    for tokens in [&before_grant, &after_grant] {
        app.call(Method::GET, MANAGER_VIEW, &bearer(tokens), None)
            .await
            .assert_status(StatusCode::OK);
    }

    set_manager(&app, &admin, Method::DELETE, "alice").await;

    // The grant's entry does not lend the group back: both tokens are void (refresh).
    for tokens in [&before_grant, &after_grant] {
        app.call(Method::GET, MANAGER_VIEW, &bearer(tokens), None)
            .await
            .assert_token_not_valid();
    }
    let refreshed = app.rotate(&before_grant.refresh).await;
    app.call(Method::GET, MANAGER_VIEW, &bearer(&refreshed), None)
        .await
        .assert(StatusCode::FORBIDDEN, json!({ "detail": DENIED }));
    // Granted again: the refreshed token (issued after the removal) gets it at once.
    set_manager(&app, &admin, Method::POST, "alice").await;
    app.call(Method::GET, MANAGER_VIEW, &bearer(&refreshed), None)
        .await
        .assert_status(StatusCode::OK);
    app.call(Method::GET, MANAGER_VIEW, &bearer(&before_grant), None)
        .await
        .assert_token_not_valid();
}

#[tokio::test]
async fn a_deactivation_is_not_lifted_by_a_later_grant() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = app.create_user("alice", PASSWORD).await;
    let alice = app.tokens("alice", PASSWORD).await;
    let key = app.key("alice", PASSWORD).await;

    patch_user(&app, &admin, id, json!({"is_active": false})).await;
    set_manager(&app, &admin, Method::POST, "alice").await;
    patch_user(&app, &admin, id, json!({"is_staff": true})).await;

    let inactive = json!({"detail": "User is inactive", "code": "user_inactive"});
    for path in [MANAGER_VIEW, STAFF_ONLY, "/api/secret/"] {
        app.call(Method::GET, path, &bearer(&alice), None)
            .await
            .assert(StatusCode::UNAUTHORIZED, inactive.clone());
        app.call(Method::GET, path, &format!("Token {key}"), None)
            .await
            .assert(
                StatusCode::UNAUTHORIZED,
                json!({"detail": "User inactive or deleted."}),
            );
    }
}

#[tokio::test]
async fn a_token_key_gets_a_new_group_at_once_and_loses_it_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_user("alice", PASSWORD).await;
    let key = format!("Token {}", app.key("alice", PASSWORD).await);
    // Read once and cached without the group.
    app.call(Method::GET, MANAGER_VIEW, &key, None)
        .await
        .assert(StatusCode::FORBIDDEN, json!({ "detail": DENIED }));

    set_manager(&app, &admin, Method::POST, "alice").await;
    app.call(Method::GET, MANAGER_VIEW, &key, None)
        .await
        .assert_status(StatusCode::OK);

    set_manager(&app, &admin, Method::DELETE, "alice").await;
    app.call(Method::GET, MANAGER_VIEW, &key, None)
        .await
        .assert(StatusCode::FORBIDDEN, json!({ "detail": DENIED }));
}

#[tokio::test]
async fn the_command_line_s_group_add_user_reaches_a_running_server_within_a_second() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let alice = app.tokens("alice", PASSWORD).await;
    app.call(Method::GET, MANAGER_VIEW, &bearer(&alice), None)
        .await
        .assert_status(StatusCode::FORBIDDEN);

    let mut command = bouncer(&app.database);
    command
        .args(["--config", CONFIG_FILE])
        .args(["group", "add-user", "Manager", "alice"]);
    let added = run_ok(&mut command);
    assert!(added.contains("Added alice to group Manager"), "{added}");

    // On SQLite by polling, on PostgreSQL by NOTIFY.
    let delay = allowed_within_a_second(&app, &bearer(&alice), MANAGER_VIEW).await;
    eprintln!("command line grant reached the server in {delay:?}");
}

#[tokio::test]
async fn a_group_list_too_long_to_announce_voids_the_old_tokens_instead() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_user("alice", PASSWORD).await;
    let alice = app.tokens("alice", PASSWORD).await;
    // 60 groups of 140 characters: more than a PostgreSQL NOTIFY payload may hold.
    for i in 0..60 {
        let group = format!("{i:03}{}", "g".repeat(137));
        app.call(
            Method::POST,
            &format!("/api/groups/{group}/users"),
            &bearer(&admin),
            Some(&json!({ "username": "alice" })),
        )
        .await
        .assert_status(StatusCode::CREATED);
    }
    // The credentials issued before are refused (the client refreshes), never over-granted.
    app.secret(&alice.access).await.assert_token_not_valid();
    assert_eq!(
        app.db_number("SELECT count(*) FROM user_revocations WHERE reason = 1"),
        1
    );
}

#[tokio::test]
async fn a_grant_through_one_instance_reaches_a_token_on_the_other_within_a_second() {
    let Some(admin_url) = postgres_or_skip() else {
        return;
    };
    let shared = SharedDb::create(&admin_url);
    let a = shared.serve("a", &[]).await;
    let b = shared.serve("b", &[]).await;
    a.create_user("admin", PASSWORD).await;
    a.create_user("alice", PASSWORD).await;
    shared
        .database
        .connect()
        .execute("UPDATE users SET is_staff = TRUE WHERE username = 'admin'");
    let admin = a.tokens("admin", PASSWORD).await;
    let alice = b.tokens("alice", PASSWORD).await;
    let key = format!("Token {}", b.key("alice", PASSWORD).await);
    for auth in [bearer(&alice), key.clone()] {
        b.call(Method::GET, MANAGER_VIEW, &auth, None)
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }

    set_manager(&a, &admin, Method::POST, "alice").await;

    let delay = allowed_within_a_second(&b, &bearer(&alice), MANAGER_VIEW).await;
    eprintln!("propagation delay (grant): {delay:?}");
    allowed_within_a_second(&b, &key, MANAGER_VIEW).await;
}
