//! Device sessions (issue 13, part 3): users see their live sessions and end them; staff and
//! the command line see and end anyone's; logout takes a scope. Ending a session refuses its
//! tokens at once.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::jwt;
use crate::process::*;

const PHONE: &str = "BouncerTest/1.0 (phone)";
const LAPTOP: &str = "BouncerTest/1.0 (laptop)";

impl Api {
    async fn login_as(&self, username: &str, user_agent: &str) -> Tokens {
        let reply = self
            .send(
                self.client
                    .post(self.url("/api/token/"))
                    .header("User-Agent", user_agent)
                    .json(&json!({"username": username, "password": PASSWORD})),
            )
            .await;
        tokens_of(&reply)
    }

    async fn sessions(&self, access: &str) -> Vec<Value> {
        let reply = self
            .call(
                Method::GET,
                "/auth/sessions/",
                &format!("Bearer {access}"),
                None,
            )
            .await;
        reply
            .assert_status(StatusCode::OK)
            .as_array()
            .unwrap()
            .clone()
    }

    async fn end_session(&self, access: &str, id: &str) -> Reply {
        self.call(
            Method::DELETE,
            &format!("/auth/sessions/{id}/"),
            &format!("Bearer {access}"),
            None,
        )
        .await
    }

    async fn logout_scoped(&self, access: &str, scope: &str) -> Reply {
        self.call(
            Method::POST,
            "/auth/logout/",
            &format!("Bearer {access}"),
            Some(&json!({ "scope": scope })),
        )
        .await
    }
}

fn sid(token: &str) -> String {
    jwt::claims(token)["sid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_sessions_list_shows_each_device_newest_first_and_marks_the_current_one() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let phone = app.login_as("alice", PHONE).await;
    let laptop = app.login_as("alice", LAPTOP).await;
    let key = app.key("alice", PASSWORD).await;

    let listed = app.sessions(&phone.access).await;

    assert_eq!(listed.len(), 3, "{listed:#?}");
    assert_eq!(listed[0]["kind"], "key");
    assert_eq!(listed[1]["id"], sid(&laptop.refresh).as_str());
    assert_eq!(listed[1]["user_agent"], LAPTOP);
    assert_eq!(listed[2]["id"], sid(&phone.refresh).as_str());
    assert_eq!(listed[2]["kind"], "refresh");
    assert_eq!(listed[2]["address"], "127.0.0.1");
    assert_eq!(
        listed
            .iter()
            .map(|s| s["current"].clone())
            .collect::<Vec<_>>(),
        [json!(false), json!(false), json!(true)]
    );
    assert_eq!(
        keys(&listed[2]),
        [
            "address",
            "created_at",
            "current",
            "expires_at",
            "id",
            "kind",
            "last_used_at",
            "user_agent"
        ]
    );
    assert_eq!(
        listed[0]["expires_at"],
        Value::Null,
        "a key that never expires"
    );
    // The key sees itself as current.
    let from_key = app
        .call(
            Method::GET,
            "/auth/sessions/",
            &format!("Token {key}"),
            None,
        )
        .await;
    assert_eq!(from_key.assert_status(StatusCode::OK)[0]["current"], true);
}

#[tokio::test]
async fn a_refresh_updates_last_use_and_ended_sessions_leave_the_list() {
    let app = spawn_app().await;
    let (first, second) = app.alice_in_two_sessions().await;
    // Everything so far happened 100 s ago, so the refresh below is visibly later.
    app.db_execute("UPDATE sessions SET last_used_at = last_used_at - 100");
    app.db_execute("UPDATE outstanding_tokens SET created_at = created_at - 100");
    let before = app.sessions(&first.access).await;

    app.rotate(&second.refresh).await;
    app.logout(&first.access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    let third = app.tokens("alice", PASSWORD).await;
    let after = app.sessions(&third.access).await;
    assert_eq!(after.len(), 2, "the logged-out session is gone: {after:#?}");
    let second_now = after
        .iter()
        .find(|s| s["id"] == sid(&second.refresh).as_str())
        .unwrap();
    let second_before = before
        .iter()
        .find(|s| s["id"] == sid(&second.refresh).as_str())
        .unwrap();
    assert!(
        second_now["last_used_at"].as_str() > second_before["last_used_at"].as_str(),
        "{second_now} vs {second_before}"
    );
}

#[tokio::test]
async fn ending_another_device_revokes_its_tokens_at_once() {
    let app = spawn_app().await;
    let (mine, other) = app.alice_in_two_sessions().await;

    app.end_session(&mine.access, &sid(&other.refresh))
        .await
        .assert_status(StatusCode::NO_CONTENT);

    app.secret(&other.access).await.assert_token_not_valid();
    app.refresh(&other.refresh)
        .await
        .assert_token_endpoint_refused();
    app.secret(&mine.access).await.assert_status(StatusCode::OK);
    app.rotate(&mine.refresh).await;
}

#[tokio::test]
async fn another_users_session_or_a_bad_id_is_not_found() {
    let app = spawn_app().await;
    let (_, alice) = app.alice().await;
    app.create_user("bob", PASSWORD).await;
    let bob = app.tokens("bob", PASSWORD).await;

    for id in [
        sid(&bob.refresh),
        "not-a-session".to_owned(),
        "0".repeat(32),
    ] {
        app.end_session(&alice.access, &id)
            .await
            .assert(StatusCode::NOT_FOUND, json!({"detail": "Not found."}));
    }
    app.secret(&bob.access).await.assert_status(StatusCode::OK);
    app.request_with_header(Method::GET, "/auth/sessions/", None)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_with_scope_others_keeps_only_the_callers_session() {
    let app = spawn_app().await;
    let (mine, other) = app.alice_in_two_sessions().await;
    let key = app.key("alice", PASSWORD).await;

    app.logout_scoped(&mine.access, "others")
        .await
        .assert_status(StatusCode::NO_CONTENT);

    app.secret(&other.access).await.assert_token_not_valid();
    app.call(Method::GET, "/api/secret/", &format!("Token {key}"), None)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.secret(&mine.access).await.assert_status(StatusCode::OK);
    assert_eq!(app.sessions(&mine.access).await.len(), 1);
}

#[tokio::test]
async fn logout_with_scope_global_ends_every_session() {
    let app = spawn_app().await;
    let (mine, other) = app.alice_in_two_sessions().await;

    app.logout_scoped(&mine.access, "global")
        .await
        .assert_status(StatusCode::NO_CONTENT);

    for tokens in [&mine, &other] {
        app.secret(&tokens.access).await.assert_token_not_valid();
        app.refresh(&tokens.refresh)
            .await
            .assert_token_endpoint_refused();
    }
}

#[tokio::test]
async fn an_unknown_logout_scope_is_a_400_naming_the_choices_and_ends_nothing() {
    let app = spawn_app().await;
    let (_, tokens) = app.alice().await;

    app.logout_scoped(&tokens.access, "everywhere").await.assert(
        StatusCode::BAD_REQUEST,
        json!({"scope": ["\"everywhere\" is not a valid choice: use \"local\", \"others\" or \"global\"."]}),
    );
    app.secret(&tokens.access)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn staff_list_and_end_any_users_sessions_and_others_may_not() {
    let app = spawn_app().await;
    let (alice_id, alice) = app.alice().await;
    let admin = app.admin().await;
    let path = format!("/auth/users/{alice_id}/sessions/");

    app.call(
        Method::GET,
        &path,
        &format!("Bearer {}", alice.access),
        None,
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    let listed = app
        .call(
            Method::GET,
            &path,
            &format!("Bearer {}", admin.access),
            None,
        )
        .await;
    let listed = listed.assert_status(StatusCode::OK);
    assert_eq!(listed[0]["id"], sid(&alice.refresh).as_str());
    assert_eq!(listed[0]["current"], false);

    let one = format!("{path}{}/", sid(&alice.refresh));
    app.call(
        Method::DELETE,
        &one,
        &format!("Bearer {}", admin.access),
        None,
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    app.secret(&alice.access).await.assert_token_not_valid();

    let again = app.tokens("alice", PASSWORD).await;
    app.call(
        Method::DELETE,
        &path,
        &format!("Bearer {}", admin.access),
        None,
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    app.secret(&again.access).await.assert_token_not_valid();
    app.secret(&admin.access)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn the_command_line_lists_and_revokes_a_users_sessions() {
    let app = spawn_app().await;
    let db = &app.database;
    let (_, first) = app.alice().await;
    let second = app.login_as("alice", LAPTOP).await;

    let listed = run_ok(bouncer(db).args(["sessions", "list", "--user", "alice"]));
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(
        listed
            .lines()
            .next()
            .unwrap()
            .contains(&sid(&second.refresh)),
        "{listed}"
    );
    assert!(listed.contains(LAPTOP), "{listed}");

    let ended = run_ok(bouncer(db).args([
        "sessions",
        "revoke",
        "--user",
        "alice",
        "--session",
        &sid(&first.refresh),
    ]));
    assert!(ended.contains("Ended session"), "{ended}");
    app.refresh(&first.refresh)
        .await
        .assert_token_endpoint_refused();
    run_ok(bouncer(db).args(["sessions", "revoke", "--user", "alice", "--all"]));
    app.refresh(&second.refresh)
        .await
        .assert_token_endpoint_refused();
    let unknown =
        run(bouncer(db).args(["sessions", "revoke", "--user", "alice", "--session", "xyz"]));
    assert!(!unknown.status.success());
}
