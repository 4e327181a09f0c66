//! Unit tests for the clock conversions.
use super::*;

#[test]
fn durations_become_seconds_and_saturate() {
    assert_eq!(seconds(Duration::from_millis(1_999)), 1);
    assert_eq!(seconds(Duration::from_secs(u64::MAX)), i64::MAX);
}
