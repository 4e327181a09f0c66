use super::*;

fn claims() -> DeviceClaims {
    DeviceClaims {
        uid: 7,
        usr: "alice".into(),
        dev: "0123456789abcdef0123456789abcdef".into(),
        iat: 1_000_000,
        exp: 2_000,
    }
}

#[test]
fn a_signed_token_verifies_until_it_expires() {
    let key = DeviceTokenKey::new(b"secret");
    let token = key.sign(&claims());
    assert!(token.starts_with("bd1."));
    assert_eq!(key.verify(&token, 1_999), Some(claims()));
    assert_eq!(key.verify(&token, 2_000), None);
}

#[test]
fn another_secret_or_a_changed_payload_does_not_verify() {
    let key = DeviceTokenKey::new(b"secret");
    let token = key.sign(&claims());
    assert_eq!(DeviceTokenKey::new(b"other").verify(&token, 0), None);
    let mut other = claims();
    other.uid = 8;
    let forged_payload = key.sign(&other);
    let (payload, _) = forged_payload.rsplit_once('.').unwrap();
    let (_, mac) = token.rsplit_once('.').unwrap();
    assert_eq!(key.verify(&format!("{payload}.{mac}"), 0), None);
}

#[test]
fn garbage_is_no_token() {
    let key = DeviceTokenKey::new(b"secret");
    for garbage in ["", "bd1.", "bd1..", "bd1.a.b", "eyJ.eyJ.sig", "bd1.!!!.???"] {
        assert_eq!(key.verify(garbage, 0), None, "{garbage:?}");
    }
    assert_eq!(key.verify(&"x".repeat(MAX_DEVICE_TOKEN + 1), 0), None);
}
