use super::tests::load;

#[test]
fn dpop_is_on_with_asymmetric_algorithms_by_default() {
    let s = load(&[]).expect("defaults load");
    assert!(s.dpop.enabled && !s.dpop.require_nonce);
    assert_eq!(s.dpop.algorithms, ["ES256", "EdDSA", "RS256", "PS256"]);
    assert_eq!(s.dpop.iat_window.as_secs(), 60);
}

#[test]
fn a_bad_dpop_setting_names_itself() {
    for (key, value) in [
        ("dpop.algorithms", "ES256,HS256"),
        ("dpop.algorithms", "none"),
        ("dpop.algorithms", ""),
        ("dpop.iat_window", "0s"),
        ("dpop.iat_window", "1h"),
        ("dpop.nonce_lifetime", "1s"),
        ("dpop.public_url", "auth.example.com"),
        ("dpop.public_url", "https://auth.example.com/api"),
        ("dpop.public_url", "https://user@auth.example.com"),
    ] {
        let err = load(&[(key, value)]).expect_err(key);
        assert!(err.to_string().contains(key), "{key}={value}: {err}");
    }
    let s = load(&[("dpop.public_url", "https://auth.example.com/")]).expect("a trailing slash");
    assert_eq!(
        s.dpop.public_url.as_deref(),
        Some("https://auth.example.com/")
    );
}
