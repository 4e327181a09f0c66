use std::time::Duration;

use super::*;
use crate::settings::{LoadOptions, Settings};

fn guard(per_account: u32, per_device: u32) -> AccountGuard {
    let settings = Settings::load(&LoadOptions::default()).expect("defaults load");
    let devices = DeviceTokenSettings {
        failures_per_account: per_account,
        failures_per_device: per_device,
        ..settings.device_tokens
    };
    AccountGuard::from_settings(&settings.throttle, &devices).expect("memory guard")
}

#[tokio::test]
async fn attempts_up_to_the_limit_pass_and_the_next_is_locked_out() {
    let guard = guard(3, 1);
    let alice = Counted::Account("alice");
    for _ in 0..3 {
        assert_eq!(guard.count_ahead(alice).await, Ok(Ok(())));
    }
    let locked = guard.count_ahead(alice).await.unwrap().unwrap_err();
    assert!(locked.retry_after > Duration::from_secs(3500), "{locked:?}");
    // Another account, and a device, count apart.
    assert_eq!(guard.count_ahead(Counted::Account("bob")).await, Ok(Ok(())));
    assert_eq!(guard.count_ahead(Counted::Device("d1")).await, Ok(Ok(())));
    assert!(
        guard
            .count_ahead(Counted::Device("d1"))
            .await
            .unwrap()
            .is_err()
    );
}

#[tokio::test]
async fn an_attempt_given_back_does_not_count() {
    let guard = guard(2, 1);
    let alice = Counted::Account("alice");
    for _ in 0..5 {
        assert_eq!(guard.count_ahead(alice).await, Ok(Ok(())));
        guard.uncount(alice).await.unwrap();
    }
    assert_eq!(guard.count_ahead(alice).await, Ok(Ok(())));
    assert_eq!(guard.count_ahead(alice).await, Ok(Ok(())));
    assert!(guard.count_ahead(alice).await.unwrap().is_err());
}

#[tokio::test]
async fn the_latest_end_of_a_users_devices_is_kept() {
    let guard = guard(1, 1);
    assert_eq!(guard.devices_ended_at(7).await, Ok(None));
    guard
        .end_devices(7, 2_000, Duration::from_secs(60))
        .await
        .unwrap();
    guard
        .end_devices(7, 1_000, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(guard.devices_ended_at(7).await, Ok(Some(2_000)));
    assert_eq!(guard.devices_ended_at(8).await, Ok(None));
    guard.end_devices(9, 5, Duration::ZERO).await.unwrap();
    assert_eq!(
        guard.devices_ended_at(9).await,
        Ok(None),
        "kept no longer than asked"
    );
}
