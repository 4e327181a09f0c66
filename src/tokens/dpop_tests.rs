use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use serde_json::{Value, json};

use super::*;

const URL: &str = "https://auth.example.com/api/token/";
const NOW: i64 = 1_800_000_000;

/// A fresh P-256 key: the signing key, and its public JWK written out.
struct TestKey {
    encoding: EncodingKey,
    jwk: Value,
}

fn es256_key() -> TestKey {
    let secret = p256::SecretKey::random(&mut rand_core::OsRng);
    let der = secret.to_pkcs8_der().expect("der");
    let point = secret.public_key().to_encoded_point(false);
    let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
    TestKey {
        encoding: EncodingKey::from_ec_der(der.as_bytes()),
        jwk: json!({"kty": "EC", "crv": "P-256",
            "x": b64(point.x().expect("x")), "y": b64(point.y().expect("y"))}),
    }
}

fn proof_with(key: &TestKey, header_jwk: Value, claims: Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.typ = Some("dpop+jwt".into());
    header.jwk = Some(serde_json::from_value(header_jwk).expect("jwk"));
    jsonwebtoken::encode(&header, &claims, &key.encoding).expect("sign")
}

fn public_jwk(key: &TestKey) -> Value {
    key.jwk.clone()
}

fn claims() -> Value {
    json!({"jti": "a-1", "htm": "POST", "htu": URL, "iat": NOW})
}

fn check(access_token: Option<&str>) -> ProofCheck<'_> {
    ProofCheck {
        method: "POST",
        url: URL,
        now: NOW,
        window: 60,
        algorithms: &[Algorithm::ES256, Algorithm::EdDSA],
        access_token,
    }
}

#[test]
fn a_proof_signed_by_its_own_key_passes_and_names_the_keys_rfc7638_thumbprint() {
    let key = es256_key();
    let jwk = public_jwk(&key);
    let proof = verify_proof(&proof_with(&key, jwk.clone(), claims()), &check(None)).expect("ok");
    // jsonwebtoken's own thumbprint, an implementation other than ours.
    let theirs: Jwk = serde_json::from_value(jwk).expect("jwk");
    assert_eq!(
        proof.jkt.encode(),
        theirs.thumbprint(ThumbprintHash::SHA256).expect("tp")
    );
    assert_eq!(proof.jti, "a-1");
}

#[test]
fn a_proof_is_refused_for_each_broken_claim() {
    let key = es256_key();
    let jwk = public_jwk(&key);
    let broken = [
        ("htm", json!("GET")),
        ("htu", json!("https://other.example.com/api/token/")),
        ("iat", json!(NOW - 61)),
        ("iat", json!(NOW + 61)),
        ("jti", json!("x".repeat(MAX_JTI_BYTES + 1))),
        ("jti", json!("")),
        ("iat", json!("1800000000")),
    ];
    for (name, value) in broken {
        let mut c = claims();
        c[name] = value;
        assert!(
            verify_proof(&proof_with(&key, jwk.clone(), c), &check(None)).is_err(),
            "{name}"
        );
    }
}

#[test]
fn the_url_is_compared_without_query_default_port_or_case_in_the_host() {
    let key = es256_key();
    let mut c = claims();
    c["htu"] = json!("HTTPS://Auth.Example.com:443/api/token/?x=1#f");
    assert!(verify_proof(&proof_with(&key, public_jwk(&key), c), &check(None)).is_ok());
    let mut c = claims();
    c["htu"] = json!("https://auth.example.com/api/token");
    assert!(verify_proof(&proof_with(&key, public_jwk(&key), c), &check(None)).is_err());
}

#[test]
fn a_resource_proof_must_hash_the_access_token() {
    let key = es256_key();
    let mut c = claims();
    c["ath"] = json!(access_token_hash("the-token"));
    let proof = proof_with(&key, public_jwk(&key), c);
    assert!(verify_proof(&proof, &check(Some("the-token"))).is_ok());
    assert!(verify_proof(&proof, &check(Some("another-token"))).is_err());
    let without = proof_with(&key, public_jwk(&key), claims());
    assert!(verify_proof(&without, &check(Some("the-token"))).is_err());
}

#[test]
fn a_private_key_in_the_header_or_a_key_of_another_type_is_refused() {
    let key = es256_key();
    let mut jwk = public_jwk(&key);
    jwk["d"] = json!("AAAA");
    // Jwk drops `d` when parsed, so the header is written by hand.
    let header_json = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk});
    let head = URL_SAFE_NO_PAD.encode(header_json.to_string());
    let body = URL_SAFE_NO_PAD.encode(claims().to_string());
    let message = format!("{head}.{body}");
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key.encoding, Algorithm::ES256)
        .expect("sign");
    assert_eq!(
        verify_proof(&format!("{message}.{signature}"), &check(None)).err(),
        Some("the jwk header must hold a public key only")
    );
}

#[test]
fn a_wrong_typ_an_unlisted_alg_or_a_forged_signature_is_refused() {
    let key = es256_key();
    let jwk = public_jwk(&key);
    let good = proof_with(&key, jwk.clone(), claims());
    let mut refused = vec![];
    // Another key's signature over the same header and claims.
    let other = proof_with(&es256_key(), jwk.clone(), claims());
    let (message, _) = good.rsplit_once('.').expect("jwt");
    let (_, forged_signature) = other.rsplit_once('.').expect("jwt");
    refused.push(format!("{message}.{forged_signature}"));
    for header in [
        json!({"typ": "JWT", "alg": "ES256", "jwk": jwk}),
        json!({"typ": "dpop+jwt", "alg": "none", "jwk": jwk}),
        json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": jwk}),
        json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk, "kid": "1"}),
    ] {
        let head = URL_SAFE_NO_PAD.encode(header.to_string());
        let (_, rest) = good.split_once('.').expect("jwt");
        refused.push(format!("{head}.{rest}"));
    }
    refused
        .extend(["", "a.b", "a.b.c", "....", &"x".repeat(MAX_PROOF_BYTES + 1)].map(String::from));
    for proof in refused {
        assert!(verify_proof(&proof, &check(None)).is_err(), "{proof:.40}");
    }
    // ES256 is not in this check's list.
    let only_eddsa = ProofCheck {
        algorithms: &[Algorithm::EdDSA],
        ..check(None)
    };
    assert!(verify_proof(&good, &only_eddsa).is_err());
}

#[test]
fn thumbprints_round_trip_and_refuse_other_lengths() {
    let t = Thumbprint::decode(&URL_SAFE_NO_PAD.encode([7u8; 32])).expect("decodes");
    assert_eq!(Thumbprint::decode(&t.encode()), Some(t));
    assert_eq!(Thumbprint::decode("abc"), None);
    assert_eq!(Thumbprint::decode(&URL_SAFE_NO_PAD.encode([7u8; 33])), None);
}
