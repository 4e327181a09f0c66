//! `bouncer_http_requests_total{route, method, status}` and
//! `bouncer_http_request_duration_seconds{route}`.
//!
//! The route label is the router's template (`/auth/users/{id}/`), never the path a client
//! sent, and every request no route matched shares one label, [`UNMATCHED`]: the number of
//! series is bounded by the route table, whatever clients send. Methods outside the standard
//! ones share `other` for the same reason.
//!
//! Why per-thread shards: every request lands here, and a counter or histogram shared by all
//! workers is a handful of atomics that every core writes in turn, so each write moves a
//! cache line between cores (and the shared handle cache needs a lock, which is one more).
//! On a cheap request (a cached token check, ~12 µs of CPU) that cost about 6% of the
//! throughput (`bench/metrics_cost`). So each worker thread records into series of its own,
//! found through a thread-local map with no lock, and a scrape adds the shards up: a request
//! costs uncontended atomics only, and the totals are exact at every scrape.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use prometheus::core::{Collector, Desc};
use prometheus::proto::{Counter, Histogram as HistogramProto, Metric, MetricFamily, MetricType};
use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts};
use rustc_hash::FxHashMap;

/// The route label of requests that matched no route (404s of unknown paths).
pub const UNMATCHED: &str = "unmatched";

const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other",
];

/// Latency buckets, in seconds: from a cached token check (tens of µs) to a bcrypt login
/// (about 0.25 s at the default cost) and a request stuck behind a busy database.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

const TOTAL_NAME: &str = "bouncer_http_requests_total";
const TOTAL_HELP: &str = "HTTP requests answered, by route template, method and status.";
const LATENCY_NAME: &str = "bouncer_http_request_duration_seconds";
const LATENCY_HELP: &str =
    "Time from receiving a request to its response's head, by route template.";

/// Tells the shards of one [`Requests`] from another's in a thread's map: the test suite
/// runs many applications in one process, on threads that may outlive one of them.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's shard of each live [`Requests`], by its id (nearly always one).
    static SHARDS: RefCell<Vec<(u64, Shard)>> = const { RefCell::new(Vec::new()) };
}

/// Registered with the application's registry as one collector of both families.
pub(super) struct Requests {
    id: u64,
    /// The families' descriptions, for the registry's duplicate checks.
    template: Series,
    /// Every thread's series, for the scrape.
    shards: Mutex<Vec<Series>>,
}

/// One thread's series (cloning shares them).
#[derive(Clone)]
struct Series {
    total: IntCounterVec,
    latency: HistogramVec,
}

impl Series {
    fn new() -> prometheus::Result<Self> {
        Ok(Self {
            total: IntCounterVec::new(
                Opts::new(TOTAL_NAME, TOTAL_HELP),
                &["route", "method", "status"],
            )?,
            latency: HistogramVec::new(
                HistogramOpts::new(LATENCY_NAME, LATENCY_HELP).buckets(LATENCY_BUCKETS.to_vec()),
                &["route"],
            )?,
        })
    }
}

/// A thread's series and the handles it has resolved, so a request seen before costs two
/// hash lookups and no formatting.
struct Shard {
    series: Series,
    routes: FxHashMap<Box<str>, Route>,
}

/// One route's handles in one shard.
struct Route {
    latency: Histogram,
    /// By (index in [`METHODS`], status).
    counts: FxHashMap<(u8, u16), IntCounter>,
}

fn method_index(method: &str) -> u8 {
    let last = METHODS.len() - 1;
    let i = METHODS[..last].iter().position(|m| *m == method);
    u8::try_from(i.unwrap_or(last)).unwrap_or(u8::MAX)
}

impl Requests {
    pub(super) fn register(registry: &prometheus::Registry) -> prometheus::Result<Arc<Self>> {
        let requests = Arc::new(Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            template: Series::new()?,
            shards: Mutex::new(Vec::new()),
        });
        registry.register(Box::new(Registered(requests.clone())))?;
        Ok(requests)
    }

    pub(super) fn record(&self, route: Option<&str>, method: &str, status: u16, took: Duration) {
        let template = route.unwrap_or(UNMATCHED);
        let key = (method_index(method), status);
        SHARDS.with_borrow_mut(|shards| {
            let shard = match shards.iter().position(|(id, _)| *id == self.id) {
                Some(i) => &mut shards[i].1,
                None => {
                    shards.push((self.id, self.new_shard()));
                    &mut shards.last_mut().expect("just pushed").1
                }
            };
            let route = match shard.routes.get_mut(template) {
                Some(route) => route,
                None => {
                    let latency = shard.series.latency.with_label_values(&[template]);
                    let route = Route {
                        latency,
                        counts: FxHashMap::default(),
                    };
                    shard.routes.entry(template.into()).or_insert(route)
                }
            };
            route.latency.observe(took.as_secs_f64());
            route
                .counts
                .entry(key)
                .or_insert_with(|| {
                    let status = status.to_string();
                    let labels = [template, METHODS[usize::from(key.0)], &status];
                    shard.series.total.with_label_values(&labels)
                })
                .inc();
        });
    }

    /// A new shard for this thread, known to the scrape from now on.
    fn new_shard(&self) -> Shard {
        let series = self.template.clone_empty();
        self.shards.lock().push(series.clone());
        Shard {
            series,
            routes: FxHashMap::default(),
        }
    }

    /// Both families, each the sum of every thread's series.
    fn gather(&self) -> Vec<MetricFamily> {
        let shards = self.shards.lock().clone();
        let mut total = self.template.total.collect();
        let mut latency = self.template.latency.collect();
        for series in &shards {
            merge_into(&mut total, series.total.collect());
            merge_into(&mut latency, series.latency.collect());
        }
        total.into_iter().chain(latency).collect()
    }
}

impl Series {
    /// New series with the same names, labels and buckets.
    fn clone_empty(&self) -> Self {
        Self::new().expect("the template's options are valid")
    }
}

/// Adds `from`'s metrics to `into`'s (each a list of at most one family of the same name):
/// counters and histograms with the same labels are summed, others appended.
fn merge_into(into: &mut Vec<MetricFamily>, from: Vec<MetricFamily>) {
    for family in from {
        let Some(target) = into.iter_mut().find(|f| f.name() == family.name()) else {
            into.push(family);
            continue;
        };
        let kind = family.get_field_type();
        let mut by_labels: BTreeMap<Vec<(String, String)>, usize> = BTreeMap::new();
        for (i, metric) in target.get_metric().iter().enumerate() {
            by_labels.insert(labels_of(metric), i);
        }
        for metric in family.get_metric() {
            match by_labels.get(&labels_of(metric)) {
                Some(&i) => add_metric(kind, &mut target.mut_metric()[i], metric),
                None => target.mut_metric().push(metric.clone()),
            }
        }
    }
}

fn labels_of(metric: &Metric) -> Vec<(String, String)> {
    metric
        .get_label()
        .iter()
        .map(|pair| (pair.name().to_owned(), pair.value().to_owned()))
        .collect()
}

/// `into += from`, for a counter or a histogram with the same buckets.
fn add_metric(kind: MetricType, into: &mut Metric, from: &Metric) {
    match kind {
        MetricType::COUNTER => {
            let mut counter = Counter::default();
            counter.set_value(into.get_counter().get_value() + from.get_counter().get_value());
            into.set_counter(counter);
        }
        MetricType::HISTOGRAM => {
            let (a, b) = (into.get_histogram(), from.get_histogram());
            let mut sum = HistogramProto::default();
            sum.set_sample_count(a.get_sample_count() + b.get_sample_count());
            sum.set_sample_sum(a.get_sample_sum() + b.get_sample_sum());
            let buckets = a.get_bucket().iter().zip(b.get_bucket()).map(|(a, b)| {
                let mut bucket = a.clone();
                bucket.set_cumulative_count(a.cumulative_count() + b.cumulative_count());
                bucket
            });
            sum.set_bucket(buckets.collect());
            into.set_histogram(sum);
        }
        // Only counters and histograms are sharded.
        _ => {}
    }
}

/// The registry's view of [`Requests`]: it owns what it collects, so it gets a handle.
struct Registered(Arc<Requests>);

impl Collector for Registered {
    fn desc(&self) -> Vec<&Desc> {
        let mut all = self.0.template.total.desc();
        all.extend(self.0.template.latency.desc());
        all
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.0.gather()
    }
}
