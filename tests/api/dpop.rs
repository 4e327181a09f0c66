//! DPoP sender-constrained tokens (RFC 9449). Proofs are made here with the RustCrypto
//! signers directly (not jsonwebtoken, which bouncer verifies with), and thumbprints are
//! computed by hand from RFC 7638, so the tests check the wire format rather than agree
//! with the implementation.

use p256::ecdsa::signature::Signer;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{PASSWORD, TestApp, now, spawn_app, spawn_app_with};
use crate::jwt::{self, b64_encode};
use crate::redis::redis_or_skip;
use crate::reply::Reply;

/// A client key pair: P-256 (ES256) or Ed25519 (EdDSA).
pub(crate) enum ClientKey {
    Es256(p256::ecdsa::SigningKey),
    EdDsa(ed25519_dalek::SigningKey),
}

impl ClientKey {
    pub(crate) fn es256() -> Self {
        Self::Es256(p256::ecdsa::SigningKey::random(&mut rand_core::OsRng))
    }

    fn eddsa() -> Self {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).expect("random");
        Self::EdDsa(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    fn alg(&self) -> &'static str {
        match self {
            Self::Es256(_) => "ES256",
            Self::EdDsa(_) => "EdDSA",
        }
    }

    fn jwk(&self) -> Value {
        match self {
            Self::Es256(key) => {
                let point = key.verifying_key().to_encoded_point(false);
                json!({"kty": "EC", "crv": "P-256",
                    "x": b64_encode(point.x().expect("x")), "y": b64_encode(point.y().expect("y"))})
            }
            Self::EdDsa(key) => json!({"kty": "OKP", "crv": "Ed25519",
                "x": b64_encode(key.verifying_key().as_bytes())}),
        }
    }

    /// RFC 7638: the required members, in lexicographic order, no whitespace; SHA-256.
    pub(crate) fn thumbprint(&self) -> String {
        let jwk = self.jwk();
        let canonical = match self {
            Self::Es256(_) => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                jwk["x"].as_str().unwrap(),
                jwk["y"].as_str().unwrap()
            ),
            Self::EdDsa(_) => format!(
                r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                jwk["x"].as_str().unwrap()
            ),
        };
        b64_encode(&Sha256::digest(canonical.as_bytes()))
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Self::Es256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(message);
                signature.to_bytes().to_vec()
            }
            Self::EdDsa(key) => {
                use ed25519_dalek::Signer as _;
                key.sign(message).to_bytes().to_vec()
            }
        }
    }

    /// A proof with these claims and this header's `jwk`.
    fn proof_of(&self, claims: &Value) -> String {
        let header = json!({"typ": "dpop+jwt", "alg": self.alg(), "jwk": self.jwk()});
        let message = format!(
            "{}.{}",
            b64_encode(header.to_string().as_bytes()),
            b64_encode(claims.to_string().as_bytes())
        );
        let signature = b64_encode(&self.sign(message.as_bytes()));
        format!("{message}.{signature}")
    }

    /// A fresh proof for `method` on `url`, naming `access` in `ath` when given.
    pub(crate) fn proof(&self, method: &str, url: &str, access: Option<&str>) -> String {
        self.proof_of(&claims(method, url, access))
    }
}

fn claims(method: &str, url: &str, access: Option<&str>) -> Value {
    let mut claims = json!({
        "jti": uuid::Uuid::new_v4().to_string(), "htm": method, "htu": url, "iat": now(),
    });
    if let Some(token) = access {
        claims["ath"] = json!(b64_encode(&Sha256::digest(token.as_bytes())));
    }
    claims
}

async fn login_with(app: &TestApp, proof: Option<&str>) -> Reply {
    let mut request = app
        .client
        .post(app.url("/api/token/"))
        .json(&json!({"username": "alice", "password": PASSWORD}));
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    app.send(request).await
}

async fn refresh_with(app: &TestApp, refresh: &str, proof: Option<&str>) -> Reply {
    let mut request = app
        .client
        .post(app.url("/api/token/refresh/"))
        .json(&json!({ "refresh": refresh }));
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    app.send(request).await
}

/// `GET /api/secret/` with `Authorization: <scheme> <access>` and a `DPoP` proof if given.
async fn secret_with(app: &TestApp, scheme: &str, access: &str, proof: Option<&str>) -> Reply {
    let mut request = app
        .client
        .get(app.url("/api/secret/"))
        .header("Authorization", format!("{scheme} {access}"));
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    app.send(request).await
}

/// Alice, logged in with a proof by `key`: her bound (access, refresh).
async fn bound_login(app: &TestApp, key: &ClientKey) -> (String, String) {
    let proof = key.proof("POST", &app.url("/api/token/"), None);
    let reply = login_with(app, Some(&proof)).await;
    let body = reply.assert_status(StatusCode::OK);
    assert_eq!(body["token_type"], "DPoP", "{}", reply.text);
    (
        body["access"].as_str().unwrap().to_owned(),
        body["refresh"].as_str().unwrap().to_owned(),
    )
}

#[track_caller]
fn assert_invalid_proof_at_resource(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(
        reply.header("www-authenticate"),
        Some("DPoP error=\"invalid_dpop_proof\""),
        "{}",
        reply.text
    );
    assert_eq!(reply.body["code"], "invalid_dpop_proof", "{}", reply.text);
}

#[track_caller]
fn assert_invalid_proof_at_token_endpoint(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.body["error"], "invalid_dpop_proof", "{}", reply.text);
    assert!(
        reply.body["error_description"].is_string(),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn a_login_with_a_proof_gets_tokens_bound_to_its_key_that_work_only_with_fresh_proofs() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let key = ClientKey::es256();

    let (access, refresh) = bound_login(&app, &key).await;

    for token in [&access, &refresh] {
        assert_eq!(jwt::claims(token)["cnf"], json!({"jkt": key.thumbprint()}));
    }
    // simplejwt's claim keeps its meaning: the token response says DPoP, the JWT says access.
    assert_eq!(jwt::claims(&access)["token_type"], "access");
    let url = app.url("/api/secret/");
    for _ in 0..2 {
        let proof = key.proof("GET", &url, Some(&access));
        secret_with(&app, "DPoP", &access, Some(&proof))
            .await
            .assert_status(StatusCode::OK);
    }
    // Each proof was remembered, in the database (no Redis configured).
    assert_eq!(app.db_number("SELECT COUNT(*) FROM dpop_proofs"), 3);
}

#[tokio::test]
async fn an_eddsa_key_binds_tokens_too() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let key = ClientKey::eddsa();
    let (access, _) = bound_login(&app, &key).await;
    assert_eq!(jwt::claims(&access)["cnf"]["jkt"], key.thumbprint());
    let proof = key.proof("GET", &app.url("/api/secret/"), Some(&access));
    secret_with(&app, "DPoP", &access, Some(&proof))
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_bound_token_is_refused_as_bearer_and_without_a_proof() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let key = ClientKey::es256();
    let (access, _) = bound_login(&app, &key).await;

    app.secret(&access).await.assert_token_not_valid();
    // Even with a valid proof beside it: the scheme says Bearer.
    let proof = key.proof("GET", &app.url("/api/secret/"), Some(&access));
    secret_with(&app, "Bearer", &access, Some(&proof))
        .await
        .assert_token_not_valid();
    assert_invalid_proof_at_resource(&secret_with(&app, "DPoP", &access, None).await);
}

#[tokio::test]
async fn a_proof_is_refused_when_replayed_or_made_for_another_request_time_token_or_key() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let key = ClientKey::es256();
    let (access, _) = bound_login(&app, &key).await;
    let url = app.url("/api/secret/");

    let used = key.proof("GET", &url, Some(&access));
    secret_with(&app, "DPoP", &access, Some(&used))
        .await
        .assert_status(StatusCode::OK);
    let mut stale = claims("GET", &url, Some(&access));
    stale["iat"] = json!(now() - 600);
    let mut early = claims("GET", &url, Some(&access));
    early["iat"] = json!(now() + 600);
    let mut no_ath = claims("GET", &url, None);
    no_ath["jti"] = json!("no-ath");
    let refused = [
        ("replayed", used),
        ("wrong htm", key.proof("POST", &url, Some(&access))),
        (
            "wrong htu",
            key.proof("GET", &app.url("/auth/users/me/"), Some(&access)),
        ),
        ("stale iat", key.proof_of(&stale)),
        ("future iat", key.proof_of(&early)),
        ("wrong ath", key.proof("GET", &url, Some("another-token"))),
        ("no ath", key.proof_of(&no_ath)),
        (
            "another key",
            ClientKey::es256().proof("GET", &url, Some(&access)),
        ),
    ];
    for (what, proof) in refused {
        let reply = secret_with(&app, "DPoP", &access, Some(&proof)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{what}: {}",
            reply.text
        );
        assert_invalid_proof_at_resource(&reply);
    }
}

#[tokio::test]
async fn a_replayed_or_broken_proof_at_login_is_a_400_and_issues_nothing() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let key = ClientKey::es256();
    let proof = key.proof("POST", &app.url("/api/token/"), None);
    login_with(&app, Some(&proof))
        .await
        .assert_status(StatusCode::OK);
    let sessions = app.db_number("SELECT COUNT(*) FROM outstanding_tokens");

    assert_invalid_proof_at_token_endpoint(&login_with(&app, Some(&proof)).await);
    let wrong_url = key.proof("POST", &app.url("/api/token/refresh/"), None);
    assert_invalid_proof_at_token_endpoint(&login_with(&app, Some(&wrong_url)).await);
    for garbage in ["", "x", "a.b.c", "e30.e30.", &"A".repeat(5_000)] {
        let request = app
            .client
            .post(app.url("/api/token/"))
            .header("DPoP", garbage)
            .json(&json!({"username": "alice", "password": PASSWORD}));
        let reply = app.send(request).await;
        assert_invalid_proof_at_token_endpoint(&reply);
    }
    let not_text = reqwest::header::HeaderValue::from_bytes(b"\xff\xfe").expect("obs-text");
    let request = app
        .client
        .post(app.url("/api/token/"))
        .header("DPoP", not_text)
        .json(&json!({"username": "alice", "password": PASSWORD}));
    assert_invalid_proof_at_token_endpoint(&app.send(request).await);
    let two = app
        .client
        .post(app.url("/api/token/"))
        .header("DPoP", key.proof("POST", &app.url("/api/token/"), None))
        .header("DPoP", key.proof("POST", &app.url("/api/token/"), None))
        .json(&json!({"username": "alice", "password": PASSWORD}));
    assert_invalid_proof_at_token_endpoint(&app.send(two).await);
    assert_eq!(
        app.db_number("SELECT COUNT(*) FROM outstanding_tokens"),
        sessions
    );
}

#[tokio::test]
async fn a_garbage_proof_on_a_protected_route_is_a_401() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let key = ClientKey::es256();
    let (access, _) = bound_login(&app, &key).await;
    for garbage in ["", "x", "a.b.c", "e30.e30.e30", &"A".repeat(5_000)] {
        let reply = secret_with(&app, "DPoP", &access, Some(garbage)).await;
        assert_invalid_proof_at_resource(&reply);
    }
    // Past the header limit, the server's 431 answers first.
    let huge = "A".repeat(20_000);
    let reply = secret_with(&app, "DPoP", &access, Some(&huge)).await;
    assert_eq!(reply.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    // A garbage token in the DPoP scheme is just an invalid token.
    let proof = key.proof("GET", &app.url("/api/secret/"), Some("garbage"));
    secret_with(&app, "DPoP", "garbage", Some(&proof))
        .await
        .assert_token_not_valid();
}

#[tokio::test]
async fn a_bound_refresh_token_needs_a_proof_by_its_key_and_its_successors_stay_bound() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let key = ClientKey::es256();
    let (_, refresh) = bound_login(&app, &key).await;
    let url = app.url("/api/token/refresh/");

    assert_invalid_proof_at_token_endpoint(&refresh_with(&app, &refresh, None).await);
    let other = ClientKey::es256().proof("POST", &url, None);
    assert_invalid_proof_at_token_endpoint(&refresh_with(&app, &refresh, Some(&other)).await);

    // Those refusals rotated nothing: the token still refreshes, once, with its key.
    let reply = refresh_with(&app, &refresh, Some(&key.proof("POST", &url, None))).await;
    let body = reply.assert_status(StatusCode::OK);
    assert_eq!(body["token_type"], "DPoP");
    let (access, next) = (
        body["access"].as_str().unwrap(),
        body["refresh"].as_str().unwrap(),
    );
    for token in [access, next] {
        assert_eq!(jwt::claims(token)["cnf"]["jkt"], key.thumbprint());
    }
    let proof = key.proof("GET", &app.url("/api/secret/"), Some(access));
    secret_with(&app, "DPoP", access, Some(&proof))
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_bound_refresh_token_is_blacklisted_only_with_a_proof_by_its_key() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let key = ClientKey::es256();
    let (_, refresh) = bound_login(&app, &key).await;
    let url = app.url("/api/token/blacklist/");
    let blacklist = |proof: Option<String>| {
        let mut request = app.client.post(&url).json(&json!({ "refresh": refresh }));
        if let Some(proof) = proof {
            request = request.header("DPoP", proof);
        }
        app.send(request)
    };

    // A thief with the token but not the key cannot even end the session.
    assert_invalid_proof_at_token_endpoint(&blacklist(None).await);
    let other = ClientKey::es256().proof("POST", &url, None);
    assert_invalid_proof_at_token_endpoint(&blacklist(Some(other)).await);
    let refresh_url = app.url("/api/token/refresh/");
    let proof = key.proof("POST", &refresh_url, None);
    let reply = refresh_with(&app, &refresh, Some(&proof)).await;
    let body = reply.assert_status(StatusCode::OK);
    let refresh = body["refresh"].as_str().unwrap().to_owned();

    let blacklist = |proof: String| {
        app.send(
            app.client
                .post(&url)
                .header("DPoP", proof)
                .json(&json!({ "refresh": refresh })),
        )
    };
    blacklist(key.proof("POST", &url, None))
        .await
        .assert_status(StatusCode::OK);
    let proof = key.proof("POST", &refresh_url, None);
    let reply = refresh_with(&app, &refresh, Some(&proof)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
}

#[tokio::test]
async fn a_bearer_login_is_unchanged_and_its_tokens_are_refused_in_the_dpop_scheme() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let reply = login_with(&app, None).await;
    let body = reply.assert_status(StatusCode::OK);
    assert!(body.get("token_type").is_none(), "{}", reply.text);
    let access = body["access"].as_str().unwrap();
    assert!(jwt::claims(access).get("cnf").is_none());
    app.secret(access).await.assert_status(StatusCode::OK);
    // Strict: an unbound token is a Bearer token only (RFC 9449 §7.1 allows either).
    let key = ClientKey::es256();
    let proof = key.proof("GET", &app.url("/api/secret/"), Some(access));
    secret_with(&app, "DPoP", access, Some(&proof))
        .await
        .assert_token_not_valid();
    // An unbound refresh token stays unbound, whatever proof comes with it.
    let refresh = body["refresh"].as_str().unwrap();
    let proof = key.proof("POST", &app.url("/api/token/refresh/"), None);
    let reply = refresh_with(&app, refresh, Some(&proof)).await;
    let body = reply.assert_status(StatusCode::OK);
    assert!(body.get("token_type").is_none(), "{}", reply.text);
    assert!(
        jwt::claims(body["access"].as_str().unwrap())
            .get("cnf")
            .is_none()
    );
}

#[tokio::test]
async fn with_nonces_required_a_proof_without_the_servers_nonce_gets_one_to_retry_with() {
    let app = spawn_app_with(&[("dpop.require_nonce", "true")]).await;
    app.create_user("alice", PASSWORD).await;
    let key = ClientKey::es256();
    let login_url = app.url("/api/token/");

    let reply = login_with(&app, Some(&key.proof("POST", &login_url, None))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.body["error"], "use_dpop_nonce");
    let nonce = reply.header("dpop-nonce").expect("a nonce").to_owned();

    let mut with_nonce = claims("POST", &login_url, None);
    with_nonce["nonce"] = json!(nonce);
    let reply = login_with(&app, Some(&key.proof_of(&with_nonce))).await;
    let body = reply.assert_status(StatusCode::OK);
    assert!(reply.header("dpop-nonce").is_some());
    let access = body["access"].as_str().unwrap();

    let url = app.url("/api/secret/");
    let reply = secret_with(
        &app,
        "DPoP",
        access,
        Some(&key.proof("GET", &url, Some(access))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(
        reply.header("www-authenticate"),
        Some("DPoP error=\"use_dpop_nonce\"")
    );
    let nonce = reply.header("dpop-nonce").expect("a nonce").to_owned();
    let mut resource = claims("GET", &url, Some(access));
    resource["nonce"] = json!(nonce);
    secret_with(&app, "DPoP", access, Some(&key.proof_of(&resource)))
        .await
        .assert_status(StatusCode::OK);
    let mut forged = claims("GET", &url, Some(access));
    forged["nonce"] = json!("not-a-nonce");
    let reply = secret_with(&app, "DPoP", access, Some(&key.proof_of(&forged))).await;
    assert_eq!(reply.body["code"], "use_dpop_nonce", "{}", reply.text);
}

#[tokio::test]
async fn the_metadata_lists_the_proof_algorithms_and_dpop_off_ignores_proofs() {
    let app = spawn_app().await;
    let reply = app
        .send(app.client.get(app.url("/.well-known/openid-configuration")))
        .await;
    assert_eq!(
        reply.assert_status(StatusCode::OK)["dpop_signing_alg_values_supported"],
        json!(["ES256", "EdDSA", "RS256", "PS256"])
    );

    let app = spawn_app_with(&[("dpop.enabled", "false")]).await;
    app.create_user("alice", PASSWORD).await;
    let key = ClientKey::es256();
    let reply = login_with(
        &app,
        Some(&key.proof("POST", &app.url("/api/token/"), None)),
    )
    .await;
    let body = reply.assert_status(StatusCode::OK);
    assert!(
        jwt::claims(body["access"].as_str().unwrap())
            .get("cnf")
            .is_none()
    );
    let reply = app
        .send(app.client.get(app.url("/.well-known/openid-configuration")))
        .await;
    assert!(
        reply
            .body
            .get("dpop_signing_alg_values_supported")
            .is_none()
    );
}

#[tokio::test]
async fn with_redis_the_replay_cache_is_in_redis_and_refuses_a_replay() {
    let Some(redis) = redis_or_skip() else {
        return;
    };
    let settings = [
        ("throttle.redis_url", redis.url.as_str()),
        ("throttle.redis_key_prefix", redis.prefix.as_str()),
    ];
    let app = spawn_app_with(&settings).await;
    app.create_user("alice", PASSWORD).await;
    let key = ClientKey::es256();
    let (access, _) = bound_login(&app, &key).await;
    let proof = key.proof("GET", &app.url("/api/secret/"), Some(&access));
    secret_with(&app, "DPoP", &access, Some(&proof))
        .await
        .assert_status(StatusCode::OK);
    assert!(redis.keys().iter().any(|k| k.contains("dpop:")));
    assert_eq!(app.db_number("SELECT COUNT(*) FROM dpop_proofs"), 0);

    // Remembered in Redis only, and refused from there.
    assert_invalid_proof_at_resource(&secret_with(&app, "DPoP", &access, Some(&proof)).await);
}

#[tokio::test]
async fn used_proof_ids_are_deleted_by_the_clean_up_job_once_expired() {
    let app = spawn_app_with(&[("cleanup_interval", "1s")]).await;
    app.create_user("alice", PASSWORD).await;
    bound_login(&app, &ClientKey::es256()).await;
    // A row whose proof's window ended long ago, beside the live one of that login.
    app.db_execute("INSERT INTO dpop_proofs (proof_key, expires_at) VALUES ('old', 1000)");
    let waited = std::time::Instant::now();
    while app.db_number("SELECT COUNT(*) FROM dpop_proofs WHERE proof_key = 'old'") != 0 {
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(10),
            "the expired row is still there"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.db_number("SELECT COUNT(*) FROM dpop_proofs"), 1);
}
