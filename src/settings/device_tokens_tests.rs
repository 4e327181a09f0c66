//! Unit tests for the `[device_tokens]` settings and their start-up checks.
use std::time::Duration;

use super::tests::load;

#[test]
fn the_defaults_are_on_and_within_asvs() {
    let s = load(&[]).expect("defaults load").device_tokens;
    assert!(s.enabled);
    assert_eq!(s.lifetime, Duration::from_secs(30 * 86_400));
    assert_eq!((s.failures_per_account, s.failures_per_device), (100, 10));
    assert_eq!(s.failure_window, Duration::from_secs(3600));
}

#[test]
fn bad_values_name_their_setting() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("device_tokens.lifetime", "0s")],
            "device_tokens.lifetime",
        ),
        (
            &[("device_tokens.failure_window", "0s")],
            "device_tokens.failure_window",
        ),
        (
            &[("device_tokens.failures_per_account", "0")],
            "device_tokens.failures_per_account",
        ),
        (
            &[("device_tokens.failures_per_device", "0")],
            "device_tokens.failures_per_device",
        ),
        // 101 an hour, or 100 per 30 minutes (200 an hour): more than ASVS allows.
        (
            &[("device_tokens.failures_per_account", "101")],
            "device_tokens.failures_per_account",
        ),
        (
            &[("device_tokens.failure_window", "30m")],
            "device_tokens.failures_per_account",
        ),
        (
            &[("device_tokens.lifetime", "forever")],
            "device_tokens.lifetime",
        ),
        (&[("device_tokens.unknown", "1")], "unknown"),
    ];
    for (overrides, key) in cases {
        let err = load(overrides).expect_err(&format!("{overrides:?} is refused"));
        let message = err.to_string();
        assert!(message.contains(key), "{overrides:?}: {message}");
    }
    // Fewer per shorter window is fine: 50 per 30 minutes is 100 an hour.
    load(&[
        ("device_tokens.failure_window", "30m"),
        ("device_tokens.failures_per_account", "50"),
    ])
    .expect("50 per 30m loads");
}
