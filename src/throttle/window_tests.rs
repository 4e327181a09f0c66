//! The sliding window against DRF's algorithm, on a clock the tests move by hand.

use super::*;

const SECOND: u64 = 1_000_000;

fn window(count: u32, period_s: u64) -> Window {
    Window::new(Rate {
        count,
        period: Duration::from_secs(period_s),
    })
}

/// DRF's `SimpleRateThrottle`, transcribed: the history newest first, entries at or before
/// `now - duration` dropped, refusals not recorded, wait = duration - (now - oldest).
struct Drf {
    history: Vec<u64>,
    num_requests: usize,
    duration: u64,
}

impl Drf {
    fn allow(&mut self, now: u64) -> Result<(), u64> {
        while self
            .history
            .last()
            .is_some_and(|&t| t + self.duration <= now)
        {
            self.history.pop();
        }
        if self.history.len() >= self.num_requests {
            return Err(self.duration - (now - self.history.last().unwrap()));
        }
        self.history.insert(0, now);
        Ok(())
    }
}

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[test]
fn five_a_minute_lets_five_through_then_refuses_until_the_first_leaves_then_exactly_one_more() {
    let w = window(5, 60);
    let mut log = Log::default();
    for (i, at) in [0, 1, 2, 3, 4].into_iter().enumerate() {
        let d = w.check(&mut log, at * SECOND);
        assert!(d.allowed, "request {i}");
        assert_eq!(d.remaining, 4 - i as u32);
        assert_eq!(d.reset_after, Duration::from_secs(60));
    }
    // GCRA would let one through at 12 s and another at 24 s: 7 within the minute.
    for at in [5, 13, 25, 40, 59] {
        let d = w.check(&mut log, at * SECOND);
        assert!(!d.allowed, "at {at} s");
        assert_eq!(
            d.retry_after,
            Duration::from_secs(60 - at),
            "DRF's wait at {at} s"
        );
        assert_eq!(d.reset_after, Duration::from_secs(64 - at));
        assert_eq!(d.remaining, 0);
    }
    assert!(!w.check(&mut log, 60 * SECOND - 1).allowed);
    // The first request (0 s) leaves the window at 60 s exactly, as in DRF: one more.
    let d = w.check(&mut log, 60 * SECOND);
    assert!(d.allowed);
    assert_eq!(d.remaining, 0);
    let d = w.check(&mut log, 60 * SECOND);
    assert!(!d.allowed, "exactly one more");
    assert_eq!(
        d.retry_after,
        Duration::from_secs(1),
        "until the 1 s request leaves"
    );
}

#[test]
fn refused_requests_do_not_extend_the_window() {
    let w = window(2, 1);
    let mut log = Log::default();
    assert!(w.check(&mut log, 0).allowed);
    assert!(w.check(&mut log, SECOND / 2).allowed);
    // A refusal every millisecond until the first request leaves.
    for at in (SECOND / 2 + 1000..SECOND).step_by(1000) {
        assert!(!w.check(&mut log, at).allowed, "at {at} us");
    }
    assert!(w.check(&mut log, SECOND).allowed);
    assert!(!w.check(&mut log, SECOND).allowed);
    assert!(w.check(&mut log, SECOND + SECOND / 2).allowed);
}

#[test]
fn up_to_the_exact_limit_every_answer_and_wait_is_drf_s() {
    for (count, period_s, seed) in [(1, 1, 1), (5, 60, 2), (10, 60, 3), (EXACT_UP_TO, 1, 4)] {
        let w = window(count, period_s);
        let mut log = Log::default();
        let period = period_s * SECOND;
        let mut drf = Drf {
            history: Vec::new(),
            num_requests: count as usize,
            duration: period,
        };
        let mut rng = Lcg(seed);
        let mut now = 0;
        let mut refused = 0;
        for _ in 0..20_000 {
            // Mostly twice the rate, with a lull of up to a quarter period now and then.
            now += match rng.below(1000) {
                0 => rng.below(period / 4),
                _ => rng.below(period / u64::from(count)),
            };
            let ours = w.check(&mut log, now);
            match drf.allow(now) {
                Ok(()) => assert!(ours.allowed, "{count}/{period_s}s at {now}"),
                Err(wait) => {
                    refused += 1;
                    assert!(!ours.allowed, "{count}/{period_s}s at {now}");
                    assert_eq!(ours.retry_after, Duration::from_micros(wait));
                }
            }
            assert_eq!(log.total as usize, drf.history.len());
            assert_eq!(log.entries(), drf.history.len(), "one entry per request");
        }
        assert!(
            refused > 1000,
            "the stream hits the limit ({refused} refusals)"
        );
    }
}

/// Requests sharing slots: never more than N in any window of the period, and a refusal only
/// when N were let through within the period plus one slot (the documented error).
#[test]
fn above_the_exact_limit_no_window_holds_more_than_n_and_the_wait_is_at_most_a_slot_longer() {
    let count = 3 * EXACT_UP_TO;
    let w = window(count, 1);
    let slot = SECOND / u64::from(EXACT_UP_TO);
    let mut log = Log::default();
    let mut rng = Lcg(7);
    let mut admitted: Vec<u64> = Vec::new();
    let mut refusals = 0;
    let mut now = 0;
    for _ in 0..100_000 {
        // Bursts at twice the rate and more, with a lull of up to half a period now and then.
        now += match rng.below(2000) {
            0 => rng.below(SECOND / 2),
            _ => rng.below(slot / 4),
        };
        let in_window =
            |admitted: &[u64], from: u64| admitted.len() - admitted.partition_point(|&t| t <= from);
        let d = w.check(&mut log, now);
        if d.allowed {
            admitted.push(now);
            assert!(
                in_window(&admitted, now.saturating_sub(SECOND)) <= count as usize,
                "at {now}"
            );
        } else {
            refusals += 1;
            let within_a_slot_more = in_window(&admitted, now.saturating_sub(SECOND + slot));
            assert!(
                within_a_slot_more >= count as usize,
                "refused early at {now}"
            );
            assert!(d.retry_after <= Duration::from_micros(SECOND + slot));
        }
        assert!(log.entries() <= EXACT_UP_TO as usize + 1);
    }
    assert!(
        refusals > 10_000,
        "the stream hits the limit ({refusals} refusals)"
    );
}

#[test]
fn a_huge_rate_keeps_at_most_a_thousand_and_one_entries_per_key() {
    // The benchmark's rate: 4,000,000,000 a day, one slot every 86.4 s.
    let w = window(4_000_000_000, 86_400);
    let slot = 86_400 * SECOND / u64::from(EXACT_UP_TO);
    let mut log = Log::default();
    let mut most = 0;
    // Two requests per slot, and a burst of ten in one instant, for two and a half days.
    for step in 0..5 * u64::from(EXACT_UP_TO) {
        for _ in 0..if step % 97 == 0 { 10 } else { 1 } {
            assert!(w.check(&mut log, step * slot / 2).allowed);
        }
        most = most.max(log.entries());
    }
    assert_eq!(most, EXACT_UP_TO as usize + 1);
    assert!(log.total > 2 * EXACT_UP_TO, "{}", log.total);
}

#[test]
fn a_clock_read_before_a_later_request_counts_as_that_request_s_time() {
    let w = window(2, 60);
    let mut log = Log::default();
    assert!(w.check(&mut log, 10 * SECOND).allowed);
    assert!(w.check(&mut log, 9 * SECOND).allowed);
    let d = w.check(&mut log, 9 * SECOND);
    assert!(!d.allowed);
    assert_eq!(d.retry_after, Duration::from_secs(60));
    // Both requests count as made at 10 s, and leave the window together at 70 s.
    assert!(!w.check(&mut log, 70 * SECOND - 1).allowed);
    assert!(w.check(&mut log, 70 * SECOND).allowed);
    assert!(w.check(&mut log, 70 * SECOND).allowed);
}

#[test]
fn an_idle_key_empties_and_a_short_log_gives_memory_back() {
    let w = window(EXACT_UP_TO, 1);
    let mut log = Log::default();
    for i in 0..u64::from(EXACT_UP_TO) {
        assert!(w.check(&mut log, i).allowed);
    }
    let long = log.entries.capacity();
    assert!(w.check(&mut log, SECOND + 500).allowed);
    assert_eq!(log.entries(), 500);
    w.expire(&mut log, 3 * SECOND);
    assert!(log.is_empty());
    log.shrink();
    assert!(
        log.entries.capacity() < long / 4,
        "{}",
        log.entries.capacity()
    );
}
