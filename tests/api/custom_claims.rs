//! Custom claims (issue 14 §4, the first tutorial's tip 7): `access_token_claims` chooses the
//! user fields access tokens carry; an application's `ClaimsHook` adds its own, never under a
//! name bouncer writes or reads; without `is_staff`/`groups` in the token bouncer still
//! authorises from the user's current rights; a token too large to verify is never handed out.

use std::time::{Duration, Instant};

use bouncer::{Application, User};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::helpers::*;
use crate::jwt;
use crate::process::{bouncer, describe, run};

const DENIED: &str = "You do not have permission to perform this action.";
const MANAGER_VIEW: &str = "/api/manager-view/";
/// A route only staff may use (`IsAdminUser`).
const STAFF_ONLY: &str = "/api/groups/";
const ALL_FIELDS: &str = "username,email,groups,is_staff,is_superuser";
const USER_FIELDS: [&str; 5] = ["username", "email", "groups", "is_staff", "is_superuser"];

fn bearer(access: &str) -> String {
    format!("Bearer {access}")
}

/// The user fields among `token`'s claims, by name.
fn user_fields(token: &str) -> Map<String, Value> {
    let claims = jwt::claims(token);
    USER_FIELDS
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), claims.get(*name)?.clone())))
        .collect()
}

async fn get(api: &Api, path: &str, access: &str) -> StatusCode {
    api.call(Method::GET, path, &bearer(access), None)
        .await
        .status
}

/// Adds (POST) or removes (DELETE) `username` to or from `Manager`, as `admin`.
async fn set_manager(api: &Api, admin: &Tokens, method: Method, username: &str) {
    let reply = api
        .call(
            method,
            "/api/groups/manager/users",
            &bearer(&admin.access),
            Some(&json!({ "username": username })),
        )
        .await;
    assert!(reply.status.is_success(), "{}", reply.text);
}

#[tokio::test]
async fn each_setting_puts_exactly_the_chosen_user_fields_into_access_tokens() {
    let cases: [(&str, Value); 4] = [
        // The default: what bouncer's tokens have always carried.
        (
            "is_staff,groups",
            json!({"is_staff": true, "groups": ["manager"]}),
        ),
        (
            ALL_FIELDS,
            json!({"username": "admin", "email": "admin@example.com", "groups": ["manager"],
                   "is_staff": true, "is_superuser": true}),
        ),
        (
            "email,is_superuser",
            json!({"email": "admin@example.com", "is_superuser": true}),
        ),
        ("", json!({})),
    ];
    for (setting, expected) in cases {
        let app = spawn_app_with(&[("access_token_claims", setting)]).await;
        let admin = app.admin().await;
        app.db_execute("UPDATE users SET email = 'admin@example.com' WHERE username = 'admin'");
        set_manager(&app, &admin, Method::POST, "admin").await;
        let login = app.tokens("admin", PASSWORD).await;
        assert_eq!(
            Value::Object(user_fields(&login.access)),
            expected,
            "{setting:?}"
        );
        assert_eq!(
            user_fields(&login.refresh),
            Map::new(),
            "refresh tokens carry none"
        );
        let rotated = app.rotate(&login.refresh).await;
        assert_eq!(
            Value::Object(user_fields(&rotated.access)),
            expected,
            "{setting:?} refreshed"
        );
        // The user id claim and bouncer's own claims are there whatever the setting.
        let claims = jwt::claims(&rotated.access);
        for name in [
            "token_type",
            "exp",
            "iat",
            "jti",
            "sid",
            "auth_time",
            "user_id",
        ] {
            assert!(claims.get(name).is_some(), "{setting:?}: no {name}");
        }
        // bouncer authorises the same whichever fields the token carries.
        assert_eq!(
            get(&app, STAFF_ONLY, &login.access).await,
            StatusCode::OK,
            "{setting:?}"
        );
        assert_eq!(
            get(&app, MANAGER_VIEW, &login.access).await,
            StatusCode::OK,
            "{setting:?}"
        );
    }
    // Default documented in config/default.toml: the same as listing the two.
    let app = spawn_app().await;
    let admin = app.admin().await;
    assert_eq!(
        keys(&Value::Object(user_fields(&admin.access))),
        ["groups", "is_staff"]
    );
}

#[test]
fn an_unknown_or_repeated_field_stops_start_up_naming_the_setting_and_the_choices() {
    for bad in ["username,role", "email,email", "password"] {
        let db = TestDb::new();
        let output = run(bouncer(&db)
            .env("BOUNCER_ACCESS_TOKEN_CLAIMS", bad)
            .env("BOUNCER_BIND", "127.0.0.1:0")
            .arg("serve"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{bad}: {}", describe(&output));
        assert!(
            stderr.contains("access_token_claims"),
            "{bad}: {}",
            describe(&output)
        );
        assert!(
            stderr.contains("username, email, groups, is_staff, is_superuser"),
            "{bad}: {}",
            describe(&output)
        );
        assert!(!stderr.contains("panicked"), "{}", describe(&output));
    }
}

/// Polls `GET path` until it answers `want`, for at most a second (the README's bound).
async fn within_a_second(api: &Api, path: &str, access: &str, want: StatusCode) {
    let start = Instant::now();
    loop {
        let status = get(api, path, access).await;
        if status == want {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{path}: {status}, not {want}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn without_rights_claims_grants_and_removals_still_take_effect_at_once() {
    let app = spawn_app_with(&[("access_token_claims", "username")]).await;
    let admin = app.admin().await;
    assert!(user_fields(&admin.access).get("is_staff").is_none());
    app.create_user("alice", PASSWORD).await;
    let alice = app.tokens("alice", PASSWORD).await;
    assert_eq!(get(&app, STAFF_ONLY, &admin.access).await, StatusCode::OK);
    app.call(Method::GET, STAFF_ONLY, &bearer(&alice.access), None)
        .await
        .assert(StatusCode::FORBIDDEN, json!({ "detail": DENIED }));
    assert_eq!(
        get(&app, MANAGER_VIEW, &alice.access).await,
        StatusCode::FORBIDDEN
    );

    // A grant reaches the token alice already holds (her rights were cached as "none").
    set_manager(&app, &admin, Method::POST, "alice").await;
    within_a_second(&app, MANAGER_VIEW, &alice.access, StatusCode::OK).await;
    let member = app.tokens("alice", PASSWORD).await;
    assert_eq!(
        get(&app, MANAGER_VIEW, &member.access).await,
        StatusCode::OK
    );

    // A removal voids her tokens; a token minted afterwards is not let in on cached rights.
    set_manager(&app, &admin, Method::DELETE, "alice").await;
    app.call(Method::GET, MANAGER_VIEW, &bearer(&member.access), None)
        .await
        .assert_token_not_valid();
    let after = app.tokens("alice", PASSWORD).await;
    assert_eq!(
        get(&app, MANAGER_VIEW, &after.access).await,
        StatusCode::FORBIDDEN
    );

    // A deactivated user is refused at once (a user revocation), as with the default claims.
    let id = app.db_number("SELECT id FROM users WHERE username = 'alice'");
    let deactivate = app
        .call(
            Method::PATCH,
            &format!("/auth/users/{id}/"),
            &bearer(&admin.access),
            Some(&json!({"is_active": false})),
        )
        .await;
    assert!(deactivate.status.is_success(), "{}", deactivate.text);
    assert_eq!(
        get(&app, "/api/secret/", &after.access).await,
        StatusCode::UNAUTHORIZED
    );
}

/// A server built as a library user builds it, with a claims hook, and its database.
struct HookedApp {
    api: Api,
    database: TestDb,
}

impl std::ops::Deref for HookedApp {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

async fn spawn_with_hook(
    overrides: &[(&str, &str)],
    hook: impl Fn(&User) -> Map<String, Value> + Send + Sync + 'static,
) -> HookedApp {
    let database = TestDb::new();
    let overrides: Vec<_> = overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let settings = test_settings(&database, &overrides);
    let app =
        Application::build_with_claims(settings, |_: &mut actix_web::web::ServiceConfig| {}, hook)
            .await
            .expect("application builds");
    let api = Api::new(format!("http://127.0.0.1:{}", app.port()));
    tokio::spawn(app.run_until_stopped());
    HookedApp { api, database }
}

fn object(value: Value) -> Map<String, Value> {
    let Value::Object(map) = value else {
        panic!("not an object")
    };
    map
}

#[tokio::test]
async fn the_hooks_claims_reach_access_tokens_but_never_a_reserved_name() {
    let app = spawn_with_hook(&[], |user: &User| {
        object(json!({
            "tenant": format!("lemon-{}", user.username),
            "plan": {"tier": "gold", "seats": 3},
            // Reserved: each would change what bouncer or a verifier believes.
            "is_staff": true,
            "groups": ["Manager"],
            "exp": 4_102_444_800_i64,
            "user_id": "1",
            "token_type": "refresh",
            "username": "root",
        }))
    })
    .await;
    let id = app.create_user("alice", PASSWORD).await;
    let alice = app.tokens("alice", PASSWORD).await;
    for access in [
        alice.access.clone(),
        app.rotate(&alice.refresh).await.access,
    ] {
        let claims = jwt::claims(&access);
        assert_eq!(claims["tenant"], json!("lemon-alice"));
        assert_eq!(claims["plan"], json!({"tier": "gold", "seats": 3}));
        assert_eq!(claims["is_staff"], json!(false));
        assert_eq!(claims["groups"], json!([]));
        assert_eq!(claims["user_id"], json!(id.to_string()));
        assert_eq!(claims["token_type"], json!("access"));
        assert!(claims["exp"].as_i64().unwrap() <= now() + 300);
        assert!(
            claims.get("username").is_none(),
            "not chosen, and not the hook's to write"
        );
        // Each name once: another verifier's "last one wins" cannot be played either.
        let payload =
            String::from_utf8(jwt::b64_decode(access.split('.').nth(1).unwrap())).unwrap();
        assert_eq!(payload.matches("\"is_staff\"").count(), 1, "{payload}");
        assert_eq!(payload.matches("\"exp\"").count(), 1, "{payload}");
        assert_eq!(get(&app, STAFF_ONLY, &access).await, StatusCode::FORBIDDEN);
        assert_eq!(
            get(&app, MANAGER_VIEW, &access).await,
            StatusCode::FORBIDDEN
        );
        assert_eq!(get(&app, "/api/secret/", &access).await, StatusCode::OK);
    }
    assert!(app.database.number("SELECT count(*) FROM users") == 1);
}

#[tokio::test]
async fn a_hook_that_would_make_a_token_too_large_to_verify_fails_the_login_clearly() {
    let app = spawn_with_hook(&[], |_: &User| object(json!({"blob": "x".repeat(5_000)}))).await;
    app.create_user("alice", PASSWORD).await;
    let login = app.login("alice", PASSWORD).await;
    assert_eq!(
        login.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        login.text
    );
    assert!(
        !login.text.contains("xxxx") && !login.text.contains("access"),
        "{}",
        login.text
    );
}
