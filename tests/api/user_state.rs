//! A user deleted or deactivated behind the service's back loses access at once: 401, never 500
//! (docs/security.md "Tokens", docs/wire-contract.md "Authenticating a request").

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

fn no_account_for_token() -> serde_json::Value {
    json!({ "detail": NO_ACCOUNT_FOR_TOKEN })
}

#[tokio::test]
async fn a_deleted_user_is_not_found_on_protected_routes() {
    let (app, tokens) = spawn_app_and_alice().await;

    app.db_execute("DELETE FROM users WHERE username = 'alice'");

    app.me(&tokens.access).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({"detail": "User not found", "code": "user_not_found"}),
    );
}

#[tokio::test]
async fn a_deleted_user_cannot_refresh() {
    let (app, tokens) = spawn_app_and_alice().await;

    app.db_execute("DELETE FROM users WHERE username = 'alice'");

    app.refresh(&tokens.refresh)
        .await
        .assert(StatusCode::UNAUTHORIZED, no_account_for_token());
}

#[tokio::test]
async fn a_deactivated_user_is_refused_on_protected_routes() {
    let (app, tokens) = spawn_app_and_alice().await;

    app.db_execute("UPDATE users SET is_active = false WHERE username = 'alice'");

    app.me(&tokens.access).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({"detail": "User is inactive", "code": "user_inactive"}),
    );
}

#[tokio::test]
async fn a_deactivated_user_cannot_refresh_and_regains_access_when_reactivated() {
    let (app, tokens) = spawn_app_and_alice().await;

    app.db_execute("UPDATE users SET is_active = false WHERE username = 'alice'");
    app.refresh(&tokens.refresh)
        .await
        .assert(StatusCode::UNAUTHORIZED, no_account_for_token());

    // The refused refresh did not consume the token: reactivation restores the session.
    app.db_execute("UPDATE users SET is_active = true WHERE username = 'alice'");
    app.secret(&tokens.access)
        .await
        .assert_status(StatusCode::OK);
    app.rotate(&tokens.refresh).await;
}

#[tokio::test]
async fn a_token_for_a_user_id_that_never_existed_is_refused() {
    let (app, tokens) = spawn_app_and_alice().await;
    let mut claims = crate::jwt::claims(&tokens.access);
    claims["user_id"] = json!("999999");
    let forged = crate::jwt::sign(&crate::jwt::header(&tokens.access), &claims, TEST_SECRET);

    app.me(&forged).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({"detail": "User not found", "code": "user_not_found"}),
    );
}

#[tokio::test]
async fn the_stateless_hot_path_trusts_a_valid_token_until_it_expires() {
    // By design (README "Protecting your own routes"): `AuthenticatedUser` routes such as
    // /api/secret/ never touch the database, so a row changed behind the service's back is
    // noticed by refresh and by `CurrentUser` routes (/auth/users/me/), not by the hot path.
    let (app, alice) = spawn_app_and_alice().await;
    app.db_execute("DELETE FROM users WHERE username = 'alice'");
    assert_eq!(app.secret(&alice.access).await.status, StatusCode::OK);
    app.me(&alice.access).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({"detail": "User not found", "code": "user_not_found"}),
    );
}
