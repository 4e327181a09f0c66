use std::time::Duration;

use super::*;

fn store(count: u32, period_s: u64) -> WindowMemory {
    let rate = Rate {
        count,
        period: Duration::from_secs(period_s),
    };
    WindowMemory::new(&FxHashMap::from_iter([("anon".to_owned(), rate)]))
}

fn keys_held(store: &WindowMemory) -> usize {
    store.throttles["anon"]
        .shards
        .iter()
        .map(|shard| shard.lock().logs.len())
        .sum()
}

#[test]
fn each_key_has_its_own_window_and_an_unknown_throttle_counts_nothing() {
    let store = store(2, 60);
    let at = |key: &str, now: u64| store.check_with("anon", key, || now).unwrap().allowed;
    assert!(at("ip:a", 0) && at("ip:a", 1));
    assert!(!at("ip:a", 2));
    assert!(at("ip:b", 3) && at("ip:b", 4));
    assert!(!at("ip:b", 5));
    assert!(
        at("ip:a", 60_000_000),
        "ip:a's first request left the window"
    );
    assert!(store.check("user", "ip:a").is_none());
}

#[test]
fn concurrent_checks_of_one_key_let_exactly_the_limit_through() {
    let store = store(10, 3600);
    let allowed = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..50 {
                    if store.check("anon", "user:1").unwrap().allowed {
                        allowed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(allowed.into_inner(), 10);
}

#[test]
fn keys_whose_requests_left_the_window_are_swept_so_one_off_clients_cannot_grow_memory() {
    let store = store(1, 1);
    // 300,000 one-off clients, one a millisecond: about 1,000 are in the window at any time.
    for i in 0..300_000u64 {
        let key = format!("ip:{i}");
        assert!(store.check_with("anon", &key, || i * 1000).unwrap().allowed);
    }
    let held = keys_held(&store);
    assert!(held >= 1000, "the active keys are kept ({held})");
    assert!(held <= SHARDS * SWEEP_FLOOR + 2000, "{held} keys held");
}
