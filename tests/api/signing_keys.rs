//! Key ids, stored asymmetric keys, the JWKS and the metadata document, and rotation made
//! through the command line reaching a running server.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestDb, spawn_app_on, spawn_app_with, test_settings};
use crate::jwt;
use crate::process::{bouncer, run_ok};

const KEK: &str = "5b1e0c7d9a8f4e2d3c6b7a8091f2e3d4c5b6a7980f1e2d3c4b5a69788f9e0d1c";

fn stored(alg: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("signing_keys", "database"),
        ("algorithm", alg),
        ("key_encryption_secret", KEK),
        ("jwks_max_age", "0s"),
        ("revocation_sync_interval", "50ms"),
    ]
}

/// The JWKS, asserting that no key in it has a private or symmetric member.
async fn jwks(app: &crate::helpers::TestApp) -> Vec<Value> {
    let reply = app
        .send(crate::helpers::client().get(app.url("/.well-known/jwks.json")))
        .await;
    reply.assert_status(StatusCode::OK);
    let keys = reply.body["keys"].as_array().cloned().unwrap_or_default();
    for key in &keys {
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            assert!(
                key.get(private).is_none(),
                "private member {private} in {key}"
            );
        }
        assert_ne!(key["kty"], "oct", "a symmetric key in the JWKS: {key}");
    }
    keys
}

fn kids(keys: &[Value]) -> Vec<String> {
    keys.iter()
        .filter_map(|k| k["kid"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_hmac_deployment_publishes_an_empty_jwks_with_its_cache_lifetime() {
    let app = spawn_app_with(&[("jwks_max_age", "2m")]).await;
    let reply = app
        .send(crate::helpers::client().get(app.url("/.well-known/jwks.json")))
        .await;
    assert_eq!(reply.header("cache-control"), Some("public, max-age=120"));
    assert!(
        jwks(&app).await.is_empty(),
        "no HMAC secret is ever published"
    );
}

#[tokio::test]
async fn the_metadata_names_the_issuer_and_the_jwks_and_nothing_else() {
    let app = spawn_app_with(&[("issuer", "https://auth.example.com")]).await;
    let reply = app
        .send(crate::helpers::client().get(app.url("/.well-known/openid-configuration")))
        .await;
    reply.assert_status(StatusCode::OK);
    assert_eq!(
        reply.body,
        json!({
            "issuer": "https://auth.example.com",
            "jwks_uri": "https://auth.example.com/.well-known/jwks.json",
            // `[dpop]` is on by default (tests/api/dpop.rs).
            "dpop_signing_alg_values_supported": ["ES256", "EdDSA", "RS256", "PS256"]
        })
    );
}

#[tokio::test]
async fn stored_eddsa_and_es256_keys_sign_tokens_whose_kid_the_jwks_publishes() {
    for alg in ["EdDSA", "ES256"] {
        let app = spawn_app_with(&stored(alg)).await;
        let (_, tokens) = app.alice().await;
        let header = jwt::header(&tokens.access);
        assert_eq!(header["alg"], alg);
        let published = jwks(&app).await;
        assert_eq!(
            kids(&published),
            vec![header["kid"].as_str().unwrap().to_owned()]
        );
        assert_eq!(published[0]["alg"], alg);
        app.me(&tokens.access).await.assert_status(StatusCode::OK);
        let stored: i64 = app.db_number("SELECT COUNT(*) FROM signing_keys");
        assert_eq!(stored, 1);
    }
}

/// Replaces the token's header, keeping its payload and signature.
fn with_header(token: &str, header: Value) -> String {
    let rest = token.split_once('.').unwrap().1;
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
}

#[tokio::test]
async fn an_unknown_kid_or_a_kid_of_another_algorithm_gets_401_token_not_valid() {
    let app = spawn_app_with(&stored("EdDSA")).await;
    let (_, tokens) = app.alice().await;
    let kid = jwt::header(&tokens.access)["kid"].clone();
    for header in [
        json!({"alg": "EdDSA", "typ": "JWT", "kid": "ffffffffffffffff"}),
        json!({"alg": "ES256", "typ": "JWT", "kid": kid}),
        json!({"alg": "HS256", "typ": "JWT", "kid": kid}),
        json!({"alg": "EdDSA", "typ": "JWT"}),
    ] {
        app.me(&with_header(&tokens.access, header))
            .await
            .assert_token_not_valid();
    }
}

#[tokio::test]
async fn a_rotation_through_the_command_line_reaches_the_running_server() {
    let app = spawn_app_on(TestDb::new(), &stored("EdDSA")).await;
    let (_, before) = app.alice().await;
    let old_kid = jwt::header(&before.access)["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let cli = |args: &[&str]| {
        let mut command = bouncer(&app.database);
        for (key, value) in stored("EdDSA") {
            command.env(format!("BOUNCER_{}", key.to_uppercase()), value);
        }
        run_ok(command.args(args))
    };
    let generated = cli(&["keys", "generate", "--alg", "ES256"]);
    assert!(generated.contains("next"), "{generated}");
    let rotated = cli(&["keys", "rotate"]);
    assert!(rotated.contains("signs now"), "{rotated}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let after = app.tokens("alice", crate::helpers::PASSWORD).await;
    let new_header = jwt::header(&after.access);
    assert_eq!(new_header["alg"], "ES256");
    assert_ne!(new_header["kid"], json!(old_kid));
    assert_eq!(
        kids(&jwks(&app).await).len(),
        2,
        "the retired key is still published"
    );
    app.me(&before.access).await.assert_status(StatusCode::OK);
    app.me(&after.access).await.assert_status(StatusCode::OK);
    let listed = cli(&["keys", "list"]);
    assert!(
        listed.contains("retired") && listed.contains("active"),
        "{listed}"
    );
    // A leaked retired key is ended at once: its tokens are refused, even cached ones.
    cli(&["keys", "retire", &old_kid]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    app.me(&before.access).await.assert_token_not_valid();
    app.me(&after.access).await.assert_status(StatusCode::OK);
    assert_eq!(kids(&jwks(&app).await).len(), 1);
}

#[tokio::test]
async fn start_up_refuses_key_files_that_are_missing_or_not_usable_keys() {
    let dir = tempfile::tempdir().unwrap();
    let public = dir.path().join("public.pem");
    std::fs::write(
        &public,
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    let missing = dir.path().join("missing.pem");
    for (path, expected) in [(&missing, "cannot read"), (&public, "public key")] {
        let db = TestDb::new();
        let file = path.to_str().unwrap();
        let overrides = [
            ("signing_keys".to_owned(), "files".to_owned()),
            ("algorithm".to_owned(), "EdDSA".to_owned()),
            ("signing_key_files".to_owned(), file.to_owned()),
        ];
        let settings = test_settings(&db, &overrides);
        let error = bouncer::Application::build(settings)
            .await
            .err()
            .expect("refused");
        let message = error.to_string();
        assert!(
            message.contains(file) && message.contains(expected),
            "{message}"
        );
    }
}

#[tokio::test]
async fn database_keys_without_a_key_encryption_secret_are_refused() {
    let db = TestDb::new();
    let overrides = [
        ("signing_keys".to_owned(), "database".to_owned()),
        ("database_url".to_owned(), db.url()),
    ];
    let error = bouncer::Settings::load(&bouncer::LoadOptions {
        config_file: Some("config/test.toml".into()),
        read_env: false,
        overrides: overrides.to_vec(),
    })
    .expect_err("refused");
    assert!(
        error.to_string().contains("key_encryption_secret"),
        "{error}"
    );
}

#[tokio::test]
async fn issue_tokens_signs_with_the_stored_key_ring_so_the_server_accepts_its_tokens() {
    let app = spawn_app_on(TestDb::new(), &stored("EdDSA")).await;
    let (_, tokens) = app.alice().await;
    let mut command = bouncer(&app.database);
    for (key, value) in stored("EdDSA") {
        command.env(format!("BOUNCER_{}", key.to_uppercase()), value);
    }
    let printed = run_ok(command.args(["issue-tokens", "--username", "alice", "--count", "2"]));
    let issued: Vec<&str> = printed.lines().collect();
    assert_eq!(issued.len(), 2, "{printed}");
    let header = jwt::header(issued[0]);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], jwt::header(&tokens.access)["kid"]);
    for token in issued {
        let reply = app.refresh(token).await;
        reply.assert_status(StatusCode::OK);
        let access = reply.body["access"].as_str().unwrap().to_owned();
        app.me(&access).await.assert_status(StatusCode::OK);
    }
}

/// The status of `GET /mine/` with the Bearer `access` on an `init_service`d app.
macro_rules! library_status {
    ($service:expr, $access:expr) => {{
        let request = actix_web::test::TestRequest::get()
            .uri("/mine/")
            .insert_header(("Authorization", format!("Bearer {}", $access)))
            .to_request();
        actix_web::test::call_service(&$service, request)
            .await
            .status()
            .as_u16()
    }};
}

async fn mine(user: bouncer::AuthenticatedUser) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(json!({ "user_id": user.user_id }))
}

#[tokio::test]
async fn a_library_authenticator_reads_keys_stored_in_the_database_and_follows_rotations() {
    let app = spawn_app_on(TestDb::new(), &stored("EdDSA")).await;
    let (_, before) = app.alice().await;
    let overrides: Vec<(String, String)> = stored("EdDSA")
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let settings = test_settings(&app.database, &overrides);
    assert!(
        bouncer::Authenticator::from_settings(&settings).is_err(),
        "the synchronous constructor cannot read the database"
    );
    let authenticator = bouncer::Authenticator::connect(&settings)
        .await
        .expect("keys read from the database");
    // A library user's own app, with one protected route.
    let service = actix_web::test::init_service(
        actix_web::App::new()
            .app_data(actix_web::web::Data::new(authenticator))
            .route("/mine/", actix_web::web::get().to(mine)),
    )
    .await;
    assert_eq!(library_status!(service, &before.access), 200);
    assert_eq!(library_status!(service, "not.a.token"), 401);

    let cli = |args: &[&str]| {
        let mut command = bouncer(&app.database);
        for (key, value) in stored("EdDSA") {
            command.env(format!("BOUNCER_{}", key.to_uppercase()), value);
        }
        run_ok(command.args(args))
    };
    cli(&["keys", "generate", "--alg", "ES256"]);
    cli(&["keys", "rotate"]);
    // The server and the library's authenticator each re-read the ring (50 ms here).
    tokio::time::sleep(Duration::from_millis(400)).await;
    let after = app.tokens("alice", crate::helpers::PASSWORD).await;
    assert_eq!(jwt::header(&after.access)["alg"], "ES256");
    assert_eq!(library_status!(service, &after.access), 200);
    assert_eq!(library_status!(service, &before.access), 200);
}
