//! Gauges of state bouncer keeps anyway, read when Prometheus scrapes: the connection pool,
//! the revocation list and the active signing key. Nothing polls in the background.

use std::sync::Arc;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, IntGaugeVec, Opts};

use crate::clock;
use crate::db::Db;
use crate::revocation::RevocationList;
use crate::tokens::JwtKeys;

/// What the gauges read.
pub struct Sources {
    pub db: Db,
    pub revocations: Arc<RevocationList>,
    pub keys: Arc<JwtKeys>,
}

pub(super) struct Gauges {
    sources: Sources,
    pool: IntGaugeVec,
    revocations: IntGaugeVec,
    key_age: IntGauge,
}

impl Gauges {
    pub(super) fn new(sources: Sources) -> prometheus::Result<Self> {
        Ok(Self {
            sources,
            pool: IntGaugeVec::new(
                Opts::new(
                    "bouncer_db_pool_connections",
                    "Database pool: connections in_use and idle, and free_permits, the places \
                     left for callers (twice the pool size; at 0, further callers wait in line).",
                ),
                &["state"],
            )?,
            revocations: IntGaugeVec::new(
                Opts::new(
                    "bouncer_revocation_list_entries",
                    "Entries in the in-memory revocation list, by kind.",
                ),
                &["kind"],
            )?,
            key_age: IntGauge::new(
                "bouncer_signing_key_age_seconds",
                "Seconds since the active signing key was activated (signing_keys = \
                 \"database\"; absent when bouncer cannot know, as for signing_secret).",
            )?,
        })
    }
}

impl Collector for Gauges {
    fn desc(&self) -> Vec<&Desc> {
        let mut all = self.pool.desc();
        all.extend(self.revocations.desc());
        all.extend(self.key_age.desc());
        all
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let s = &self.sources;
        let pool = s.db.pool_state();
        self.pool.with_label_values(&["in_use"]).set(pool.in_use);
        self.pool.with_label_values(&["idle"]).set(pool.idle);
        self.pool
            .with_label_values(&["free_permits"])
            .set(pool.free_permits);
        let (tokens, sessions) = s.revocations.len();
        let (users, rights) = s.revocations.users_len();
        for (kind, n) in [
            ("token", tokens),
            ("session", sessions),
            ("user", users),
            ("rights", rights),
        ] {
            let n = i64::try_from(n).unwrap_or(i64::MAX);
            self.revocations.with_label_values(&[kind]).set(n);
        }
        let mut families = self.pool.collect();
        families.extend(self.revocations.collect());
        if let Some(since) = s.keys.ring().signing_since() {
            self.key_age.set(clock::now().saturating_sub(since).max(0));
            families.extend(self.key_age.collect());
        }
        families
    }
}
