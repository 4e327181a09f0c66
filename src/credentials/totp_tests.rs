use super::*;

/// RFC 6238 Appendix B's SHA-1 secret ("12345678901234567890") and its published codes
/// (the last six digits of the eight-digit values).
const RFC_SECRET: &[u8] = b"12345678901234567890";

#[test]
fn codes_match_the_rfc_6238_test_vectors() {
    let secret = TotpSecret::from_bytes(RFC_SECRET.to_vec());
    for (time, code) in [
        (59, "287082"),
        (1_111_111_109, "081804"),
        (1_234_567_890, "005924"),
        (2_000_000_000, "279037"),
    ] {
        assert_eq!(secret.code_at(time).as_deref(), Some(code), "at {time}");
        assert_eq!(secret.check(code, time), Some(time / 30));
    }
}

#[test]
fn a_code_of_the_next_or_previous_step_is_accepted_and_no_further() {
    let secret = TotpSecret::generate().unwrap();
    let now = 1_800_000_015;
    let step = now / 30;
    let previous = secret.code_at(now - 30).unwrap();
    let next = secret.code_at(now + 30).unwrap();
    let old = secret.code_at(now - 60).unwrap();
    assert_eq!(secret.check(&previous, now), Some(step - 1));
    assert_eq!(secret.check(&next, now), Some(step + 1));
    if old != previous && Some(&old) != secret.code_at(now).as_ref() && old != next {
        assert_eq!(secret.check(&old, now), None);
    }
}

#[test]
fn malformed_codes_are_refused_without_panicking() {
    let secret = TotpSecret::generate().unwrap();
    for code in [
        "",
        "12345",
        "1234567",
        "abcdef",
        "12 345",
        "１２３４５６",
        "-12345",
    ] {
        assert_eq!(secret.check(code, 1_800_000_000), None, "{code:?}");
    }
    assert_eq!(secret.check("123456", -5), None);
}

#[test]
fn the_secret_survives_base32_and_the_uri_names_issuer_and_account() {
    let secret = TotpSecret::generate().unwrap();
    assert_eq!(secret.as_bytes().len(), 20);
    let text = secret.to_base32();
    assert_eq!(TotpSecret::from_base32(&text), Some(secret.clone()));
    let uri = secret.otpauth_uri("bouncer", "al:ice").unwrap();
    assert!(uri.starts_with("otpauth://totp/bouncer:al_ice?"), "{uri}");
    assert!(uri.contains(&format!("secret={text}")), "{uri}");
    assert!(uri.contains("issuer=bouncer"), "{uri}");
    assert!(format!("{secret:?}").contains("redacted"));
}

#[test]
fn the_qr_code_is_an_svg_document() {
    let svg =
        qr_svg("otpauth://totp/bouncer:alice?secret=JBSWY3DPEHPK3PXP&issuer=bouncer").unwrap();
    assert!(svg.contains("<svg"), "{svg:.80}");
    assert!(svg.trim_end().ends_with("</svg>"));
}

#[test]
fn recovery_codes_are_distinct_80_bit_codes_whose_hash_ignores_case_spaces_and_dashes() {
    let codes = generate_recovery_codes().unwrap();
    assert_eq!(codes.len(), RECOVERY_CODES);
    let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), RECOVERY_CODES);
    for code in &codes {
        assert_eq!(code.len(), 19, "{code}");
        assert!(!is_totp_code(code));
    }
    let code = &codes[0];
    let typed = code.to_uppercase().replace('-', " ");
    assert_eq!(recovery_code_hash(7, code), recovery_code_hash(7, &typed));
    assert_ne!(recovery_code_hash(7, code), recovery_code_hash(8, code));
    assert!(is_totp_code(" 123456 "));
}

#[test]
fn the_longest_issuer_and_username_still_fit_a_qr_code() {
    // 64 bytes of issuer (settings/mfa.rs) and 150 four-byte characters of username.
    let issuer = "é".repeat(32);
    let username = "𠀀".repeat(150);
    let secret = TotpSecret::generate().unwrap();
    let uri = secret.otpauth_uri(&issuer, &username).unwrap();
    assert!(qr_svg(&uri).is_ok(), "{} characters", uri.len());
}
