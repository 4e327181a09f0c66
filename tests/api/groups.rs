//! Groups and permissions: the tutorial's Manager flow, staff-only group management, 401 vs
//! 403, rights carried in access tokens and taken away at once.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::jwt;

const DENIED: &str = "You do not have permission to perform this action.";

fn bearer(tokens: &Tokens) -> String {
    format!("Bearer {}", tokens.access)
}

async fn set_manager(app: &TestApp, admin: &Tokens, method: Method, username: &str) -> Reply {
    app.call(
        method,
        "/api/groups/manager/users",
        &bearer(admin),
        Some(&json!({ "username": username })),
    )
    .await
}

#[tokio::test]
async fn the_tutorial_s_manager_flow_works_with_keys_and_bearer_tokens() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_user("alice", PASSWORD).await;
    let before = app.tokens("alice", PASSWORD).await;
    app.call(Method::GET, "/api/manager-view/", &bearer(&before), None)
        .await
        .assert(StatusCode::FORBIDDEN, json!({ "detail": DENIED }));

    let reply = set_manager(&app, &admin, Method::POST, "alice").await;
    assert!(reply.assert_status(StatusCode::CREATED)["message"].is_string());

    let after = app.tokens("alice", PASSWORD).await;
    let claims = jwt::claims(&after.access);
    assert_eq!(claims["groups"], json!(["manager"]));
    assert_eq!(claims["is_staff"], json!(false));
    // A refresh reads the rights again (inside the rotation on both backends) and keeps them.
    let after = app.rotate(&after.refresh).await;
    assert_eq!(jwt::claims(&after.access)["groups"], json!(["manager"]));
    app.call(Method::GET, "/api/manager-view/", &bearer(&after), None)
        .await
        .assert(
            StatusCode::OK,
            json!({"message": "Only Manager Should See This"}),
        );
    let key = app.key("alice", PASSWORD).await;
    app.call(
        Method::GET,
        "/api/manager-view/",
        &format!("Token {key}"),
        None,
    )
    .await
    .assert_status(StatusCode::OK);
    // No credentials: 401, not 403.
    app.request_with_header(Method::GET, "/api/manager-view/", None)
        .await
        .assert(
            StatusCode::UNAUTHORIZED,
            json!({ "detail": NO_CREDENTIALS }),
        );
}

#[tokio::test]
async fn only_staff_manage_groups_and_bad_requests_are_named() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, alice) = app.alice().await;
    set_manager(&app, &alice, Method::POST, "alice")
        .await
        .assert(StatusCode::FORBIDDEN, json!({ "detail": DENIED }));
    app.call(Method::GET, "/api/groups/", &bearer(&alice), None)
        .await
        .assert(StatusCode::FORBIDDEN, json!({ "detail": DENIED }));
    set_manager(&app, &admin, Method::POST, "nobody")
        .await
        .assert(StatusCode::NOT_FOUND, json!({"detail": "Not found."}));
    app.call(
        Method::POST,
        "/api/groups/manager/users",
        &bearer(&admin),
        Some(&json!({})),
    )
    .await
    .assert(
        StatusCode::BAD_REQUEST,
        json!({"username": ["This field is required."]}),
    );
    assert_eq!(app.db_number("SELECT count(*) FROM user_groups"), 0);

    set_manager(&app, &admin, Method::POST, "alice")
        .await
        .assert_status(StatusCode::CREATED);
    app.call(Method::GET, "/api/groups/", &bearer(&admin), None)
        .await
        .assert(StatusCode::OK, json!([{"name": "manager", "members": 1}]));
    let removed = set_manager(&app, &admin, Method::DELETE, "alice").await;
    assert!(removed.assert_status(StatusCode::OK)["message"].is_string());
}

#[tokio::test]
async fn removing_a_user_from_a_group_takes_effect_on_tokens_already_issued() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_user("alice", PASSWORD).await;
    set_manager(&app, &admin, Method::POST, "alice")
        .await
        .assert_status(StatusCode::CREATED);
    let alice = app.tokens("alice", PASSWORD).await;
    let key = app.key("alice", PASSWORD).await;
    for auth in [bearer(&alice), format!("Token {key}")] {
        app.call(Method::GET, "/api/manager-view/", &auth, None)
            .await
            .assert_status(StatusCode::OK);
    }

    set_manager(&app, &admin, Method::DELETE, "alice")
        .await
        .assert_status(StatusCode::OK);

    // The old access token is void (401: refresh), the key is re-read (403 now).
    app.call(Method::GET, "/api/manager-view/", &bearer(&alice), None)
        .await
        .assert_token_not_valid();
    app.call(
        Method::GET,
        "/api/manager-view/",
        &format!("Token {key}"),
        None,
    )
    .await
    .assert(StatusCode::FORBIDDEN, json!({ "detail": DENIED }));
    // A refresh mints an access token without the group; the session itself stands.
    let refreshed = app.rotate(&alice.refresh).await;
    assert_eq!(jwt::claims(&refreshed.access)["groups"], json!([]));
    app.call(Method::GET, "/api/manager-view/", &bearer(&refreshed), None)
        .await
        .assert(StatusCode::FORBIDDEN, json!({ "detail": DENIED }));
    app.secret(&refreshed.access)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn clearing_is_staff_takes_effect_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = app.create_user("bob", PASSWORD).await;
    app.db_execute("UPDATE users SET is_staff = TRUE WHERE username = 'bob'");
    let bob = app.tokens("bob", PASSWORD).await;
    assert_eq!(jwt::claims(&bob.access)["is_staff"], json!(true));
    let bob = app.rotate(&bob.refresh).await;
    assert_eq!(jwt::claims(&bob.access)["is_staff"], json!(true));
    app.call(Method::GET, "/api/groups/", &bearer(&bob), None)
        .await
        .assert_status(StatusCode::OK);

    app.call(
        Method::PATCH,
        &format!("/auth/users/{id}/"),
        &bearer(&admin),
        Some(&json!({"is_staff": false})),
    )
    .await
    .assert_status(StatusCode::OK);

    app.call(Method::GET, "/api/groups/", &bearer(&bob), None)
        .await
        .assert_token_not_valid();
    let refreshed = app.rotate(&bob.refresh).await;
    app.call(Method::GET, "/api/groups/", &bearer(&refreshed), None)
        .await
        .assert(StatusCode::FORBIDDEN, json!({ "detail": DENIED }));
}
