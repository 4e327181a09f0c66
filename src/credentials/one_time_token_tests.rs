//! Unit tests for password-reset and activation tokens.
use super::*;

const NOW: i64 = 1_800_000_000;

fn alice() -> UserState<'static> {
    UserState {
        user_id: 42,
        password_hash: "bcrypt_sha256$$2b$12$abc",
        last_login: Some(NOW - 100),
        is_active: true,
        email: "alice@example.com",
    }
}

fn tokens() -> OneTimeTokens {
    OneTimeTokens::new(b"a-secret-of-some-length-0123456789", 3600)
}

#[test]
fn a_token_checks_for_its_user_and_purpose_until_it_is_too_old() {
    let token = tokens().make(Purpose::PasswordReset, &alice(), NOW);
    assert!(tokens().check(Purpose::PasswordReset, &alice(), &token, NOW + 3600));
    assert!(!tokens().check(Purpose::PasswordReset, &alice(), &token, NOW + 3601));
    assert!(!tokens().check(Purpose::Activation, &alice(), &token, NOW));
    assert!(
        !tokens().check(Purpose::PasswordReset, &alice(), &token, NOW - 1),
        "from the future"
    );
}

#[test]
fn any_change_to_the_user_s_state_kills_the_token() {
    let token = tokens().make(Purpose::PasswordReset, &alice(), NOW);
    let changed = [
        UserState {
            user_id: 43,
            ..alice()
        },
        UserState {
            password_hash: "bcrypt_sha256$$2b$12$xyz",
            ..alice()
        },
        UserState {
            last_login: Some(NOW),
            ..alice()
        },
        UserState {
            is_active: false,
            ..alice()
        },
        UserState {
            email: "mallory@example.com",
            ..alice()
        },
    ];
    for state in changed {
        assert!(
            !tokens().check(Purpose::PasswordReset, &state, &token, NOW),
            "{state:?}"
        );
    }
}

#[test]
fn another_secret_or_a_tampered_token_is_refused() {
    let token = tokens().make(Purpose::PasswordReset, &alice(), NOW);
    let other = OneTimeTokens::new(b"another-secret-of-some-length-000", 3600);
    assert!(!other.check(Purpose::PasswordReset, &alice(), &token, NOW));
    let (timestamp, mac) = token.split_once('-').unwrap();
    let later = format!("{}-{mac}", to_base36(NOW as u64 + 1));
    assert!(!tokens().check(Purpose::PasswordReset, &alice(), &later, NOW + 2));
    for bad in [
        "",
        "-",
        "abc",
        &format!("{timestamp}-"),
        &format!("{timestamp}-zz{}", &mac[2..]),
    ] {
        assert!(
            !tokens().check(Purpose::PasswordReset, &alice(), bad, NOW),
            "{bad}"
        );
    }
}

#[test]
fn uids_round_trip_as_djoser_writes_them() {
    assert_eq!(encode_uid(42), "NDI");
    assert_eq!(decode_uid("NDI"), Some(42));
    assert_eq!(decode_uid("NDI="), Some(42));
    for bad in ["", "!!", "MDQy", "LTE"] {
        assert_eq!(decode_uid(bad), None, "{bad}");
    }
}
