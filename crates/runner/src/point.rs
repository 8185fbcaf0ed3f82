//! One point of an experiment: the replications of one model configuration,
//! summarised with confidence intervals.
//!
//! Headline latency figures are computed per replication and then averaged,
//! with a Student-t interval across replications. The merged histogram of all
//! replications is kept too, for the `.hgrm` file and the percentile plot.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tailsim_components::result::{ErrorKind, RunResult};
use tailsim_components::timeline::TrafficWindow;
use tailsim_engine::stats::LatencyHistogram;
use tailsim_engine::time::{Time, as_secs_f64};

use tailsim_components::metric::{Headline as H, Measure, Metric};

use crate::stats::Estimate;

mod growth;

pub use growth::{FleetSummary, GroupSummary, RouterSummary};

const MS: f64 = 1e6;

/// The summary of one point, as written to `summary.json` and to the
/// point's own `point.json` (from which an interrupted or sharded sweep is
/// reassembled).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointResult {
    pub index: usize,
    /// Swept parameter paths and their values at this point.
    pub parameters: Vec<(String, String)>,
    pub replications: u32,
    pub seeds: Vec<u64>,
    pub warmup_s: f64,
    pub warmup_method: String,
    /// Measured span per replication (duration minus warm-up).
    pub measured_s: f64,
    /// Successful requests measured, over all replications.
    pub requests: u64,
    /// Events handled, over all replications.
    pub events: u64,
    pub headline: Headline,
    /// Percentiles of the merged histogram of all replications.
    pub merged: MergedLatency,
    /// Errors by cause, over all replications.
    pub errors: BTreeMap<String, u64>,
    pub clients: Vec<ClientSummary>,
    pub services: Vec<ServiceSummary>,
    pub balancers: Vec<BalancerSummary>,
    pub caches: Vec<CacheSummary>,
    pub datastores: Vec<DatastoreSummary>,
    pub pools: Vec<PoolSummary>,
    /// Amplification per hop.
    pub hops: Vec<HopSummary>,
    /// Message queues, one entry per consumer group.
    pub queues: Vec<GroupSummary>,
    pub routers: Vec<RouterSummary>,
    /// Time series, averaged over replications window by window.
    pub series: Vec<SeriesRow>,
    /// Names of the series' fleet and backlog columns.
    pub fleet_names: Vec<String>,
    pub backlog_names: Vec<String>,
    /// Why a replication was stopped early, if one was.
    pub runaway: Option<String>,
    /// Fault windows of the first replication, in seconds.
    pub faults: Vec<FaultSpan>,
    /// The model's load spikes and hot-key windows, in seconds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<TrafficWindow>,
    /// Calibration hook (`[[observed]]`): the simulated percentiles the
    /// experiment's observations are checked against; empty without any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed_latency: Vec<MetricPercentiles>,
}

/// When a fault was active, in simulated seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultSpan {
    pub start_s: f64,
    pub end_s: f64,
    pub label: String,
    /// Time until the error rate recovered, per replication.
    pub rto_s: Estimate,
}

/// The across-replication estimates users read first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Headline {
    pub offered_rps: Estimate,
    pub throughput_rps: Estimate,
    pub goodput_rps: Estimate,
    pub error_rate: Estimate,
    pub mean_ms: Estimate,
    pub p50_ms: Estimate,
    pub p90_ms: Estimate,
    pub p99_ms: Estimate,
    pub p999_ms: Estimate,
    pub max_ms: Estimate,
    /// Seconds of windows that broke the model's window SLO (null without
    /// one).
    pub slo_violation_s: Estimate,
    /// From the start of the first window that broke the window SLO to the
    /// end of the last one: how long the incident lasted (0 if none broke
    /// it; null without a window SLO).
    pub time_to_recover_s: Estimate,
    /// The first fault's recovery time in seconds (null without one).
    pub rto_s: Estimate,
}

/// Percentiles of the merged histogram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergedLatency {
    pub count: u64,
    pub mean_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub p999_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientSummary {
    pub name: String,
    pub sent: u64,
    pub ok: u64,
    pub errors: BTreeMap<String, u64>,
    pub error_rate: Estimate,
    pub mean_ms: Estimate,
    pub p99_ms: Estimate,
    /// Mean time to failure of failed requests, if any failed.
    pub error_mean_ms: Estimate,
    /// Mean time on the network (both ways, all hops the client sees).
    pub network_mean_ms: Estimate,
    /// Successes that were stale values, or a breaker's default.
    pub stale: u64,
    pub fallback: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceSummary {
    pub name: String,
    pub replicas: u32,
    pub workers: u32,
    pub arrival_rps: Estimate,
    pub throughput_rps: Estimate,
    pub utilisation: Estimate,
    pub queue_mean: Estimate,
    pub queue_max: u64,
    pub rejected: u64,
    /// Fraction of admitted requests that waited for a worker.
    pub wait_probability: Estimate,
    /// Where a request's time at the service goes: waiting for a worker,
    /// computing, and blocked on downstream calls (network included).
    pub wait_mean_ms: Estimate,
    pub compute_mean_ms: Estimate,
    pub downstream_mean_ms: Estimate,
    pub response_mean_ms: Estimate,
    pub response_p99_ms: Estimate,
    /// Little's law on the sample path: mean requests present that arrived
    /// after warm-up (L) against their arrival rate times their mean time
    /// present, counting requests still present at the end up to the end
    /// (lambda W).
    pub little_l: Estimate,
    pub little_lambda_w: Estimate,
    /// Each replica's share of the work.
    pub replica_utilisation: Vec<Estimate>,
    pub replica_throughput_rps: Vec<Estimate>,
    /// Requests shed, rate-limited, dropped past their deadline, and lost
    /// in crashes, over all replications.
    pub shed: u64,
    pub rate_limited: u64,
    pub expired: u64,
    pub crashed: u64,
    /// Autoscaled services only.
    pub fleet: Option<FleetSummary>,
}

/// One hop (call site): attempts per call there, and attempts per client
/// request (the product of the amplifications of the hops leading to it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HopSummary {
    pub caller: String,
    pub target: String,
    pub amplification: Estimate,
    pub per_client_request: Estimate,
    pub retries: u64,
    pub hedges: u64,
    pub budget_denied: u64,
    pub fallbacks: u64,
    pub breaker_opens: u64,
    pub breaker_rejections: u64,
}

/// A cache, with counts summed over replications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheSummary {
    pub name: String,
    pub hit_ratio: Estimate,
    pub hits: u64,
    pub misses: u64,
    pub stale: u64,
    pub coalesced: u64,
    pub origin_fetches: u64,
    pub early_refreshes: u64,
    pub evictions: u64,
    pub fills: u64,
    pub invalidations: u64,
    pub writes_buffered: u64,
    pub writes_flushed: u64,
    pub writes_lost: u64,
    /// The most requested keys over all replications, with their counts.
    pub top_keys: Vec<(u64, u64)>,
    /// How far below the truth a top-key count may be (summed over
    /// replications); absent when the counts are exact.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub top_keys_undercount: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A datastore: per-shard load, and staleness of replica reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatastoreSummary {
    pub name: String,
    pub shards: Vec<ShardSummary>,
    /// Fraction of all reads that were stale.
    pub stale_fraction: Estimate,
    /// Fraction of all reads that missed the session's own last write.
    pub own_stale_fraction: Estimate,
    pub replica_reads: u64,
    pub stale_reads: u64,
    /// Stale age percentiles over all replications, in ms.
    pub stale_age_p50_ms: Option<f64>,
    pub stale_age_p99_ms: Option<f64>,
    pub lost_writes: u64,
    /// The longest window of lost writes at a failover, in ms (RPO).
    pub rpo_ms: Estimate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardSummary {
    pub arrival_rps: Estimate,
    pub utilisation: Estimate,
    pub primary_utilisation: Estimate,
    pub mean_ms: Estimate,
    pub p99_ms: Estimate,
}

/// The connection pools of one call site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolSummary {
    pub caller: String,
    pub target: String,
    pub pools: u32,
    pub size: u32,
    pub utilisation: Estimate,
    pub waiting_mean: Estimate,
    /// Fraction of acquisitions that waited, and their mean wait.
    pub wait_probability: Estimate,
    pub wait_mean_ms: Estimate,
    pub max_waiting: u64,
    pub timeouts: u64,
}

/// A balancer's ejections and readmissions, summed over replications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BalancerSummary {
    pub name: String,
    pub health_ejections: u64,
    pub outlier_ejections: u64,
    pub readmissions: u64,
}

/// One window of the averaged time series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesRow {
    pub start_s: f64,
    pub throughput_rps: f64,
    pub errors_per_s: f64,
    pub mean_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub queue_mean: f64,
    /// Cache hits over lookups, over all caches.
    pub cache_hit_ratio: Option<f64>,
    /// Mean serving instances per autoscaled service.
    pub fleet: Vec<f64>,
    /// Per queue group: mean waiting messages, and the oldest message's
    /// age at the window's end in seconds.
    pub backlog: Vec<(f64, f64)>,
}

impl PointResult {
    /// The estimate of a metric at this point; `None` when the point has
    /// no such component (a metric checked against the model always has
    /// one).
    pub fn metric(&self, metric: &Metric) -> Option<Estimate> {
        let h = &self.headline;
        let (component, measure) = match metric {
            Metric::Headline(m) => {
                return Some(match m {
                    H::OfferedRps => h.offered_rps,
                    H::ThroughputRps => h.throughput_rps,
                    H::GoodputRps => h.goodput_rps,
                    H::ErrorRate => h.error_rate,
                    H::MeanMs => h.mean_ms,
                    H::P50Ms => h.p50_ms,
                    H::P90Ms => h.p90_ms,
                    H::P99Ms => h.p99_ms,
                    H::P999Ms => h.p999_ms,
                    H::MaxMs => h.max_ms,
                    H::SloViolationS => h.slo_violation_s,
                    H::TimeToRecoverS => h.time_to_recover_s,
                    H::RtoS => h.rto_s,
                });
            }
            Metric::Of { component, measure } => (component.as_str(), *measure),
        };
        match measure {
            Measure::Utilisation => self.service(component).map(|s| s.utilisation),
            Measure::ThroughputRps => self.service(component).map(|s| s.throughput_rps),
            Measure::QueueMean => self.service(component).map(|s| s.queue_mean),
            Measure::P99Ms => self.service(component).map(|s| s.response_p99_ms),
            Measure::HitRatio => self.cache(component).map(|c| c.hit_ratio),
            Measure::StaleFraction => self.datastore(component).map(|d| d.stale_fraction),
            Measure::OwnStaleFraction => self.datastore(component).map(|d| d.own_stale_fraction),
            Measure::FleetMean => self.service(component)?.fleet.as_ref().map(|f| f.mean),
            Measure::DepthMean => self.queue_group(component).map(|g| g.depth_mean),
            Measure::EndToEndP99Ms => self.queue_group(component).map(|g| g.end_to_end_p99_ms),
        }
    }

    /// A service, cache or datastore's summary, by name.
    pub fn service(&self, name: &str) -> Option<&ServiceSummary> {
        self.services.iter().find(|s| s.name == name)
    }

    /// A client's summary, by name.
    pub fn client(&self, name: &str) -> Option<&ClientSummary> {
        self.clients.iter().find(|c| c.name == name)
    }

    /// A cache's own summary (hit ratio and counters), by name.
    pub fn cache(&self, name: &str) -> Option<&CacheSummary> {
        self.caches.iter().find(|c| c.name == name)
    }

    /// A datastore's own summary (shards, staleness), by name.
    pub fn datastore(&self, name: &str) -> Option<&DatastoreSummary> {
        self.datastores.iter().find(|d| d.name == name)
    }

    /// A queue's consumer group, named `<queue>/<group>`.
    pub fn queue_group(&self, name: &str) -> Option<&GroupSummary> {
        let (queue, group) = name.split_once('/')?;
        self.queues.iter().find(|g| g.queue == queue && g.group == group)
    }
}

/// A point's simulated percentiles of one metric, each across
/// replications (percent, estimate in ms).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricPercentiles {
    pub metric: String,
    pub percentiles: Vec<(f64, Estimate)>,
}

/// A histogram as (value ns, count) buckets plus the exact sum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistogramData {
    pub sum_ns: u128,
    pub buckets: Vec<(u64, u64)>,
}

impl HistogramData {
    pub fn from_histogram(h: &LatencyHistogram) -> Self {
        Self { sum_ns: h.sum(), buckets: h.iter_recorded().collect() }
    }
    pub fn to_histogram(&self) -> LatencyHistogram {
        LatencyHistogram::from_parts(self.buckets.iter().copied(), self.sum_ns)
    }
}

fn ms(t: Option<Time>) -> f64 {
    t.map_or(f64::NAN, |v| v as f64 / MS)
}

fn est(values: impl Iterator<Item = f64>) -> Estimate {
    Estimate::from_samples(&values.collect::<Vec<_>>())
}

fn errors_map(runs: &[RunResult], pick: impl Fn(&RunResult) -> Vec<(ErrorKind, u64)>) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for r in runs {
        for (k, n) in pick(r) {
            *m.entry(k.name().to_string()).or_insert(0) += n;
        }
    }
    m
}

/// Summarises the replications of one point. `runs` are in replication
/// order. Returns the summary and the merged latency histogram.
pub fn summarise(
    index: usize,
    parameters: Vec<(String, String)>,
    warmup_method: &str,
    runs: &[RunResult],
) -> (PointResult, LatencyHistogram) {
    assert!(!runs.is_empty());
    // All clients merged: the system's end-to-end view.
    let merged_per_run: Vec<LatencyHistogram> = runs
        .iter()
        .map(|r| {
            let mut h = LatencyHistogram::new();
            for c in &r.clients {
                h.merge(&c.latency_ok);
            }
            h
        })
        .collect();
    let mut merged = LatencyHistogram::new();
    for h in &merged_per_run {
        merged.merge(h);
    }
    let secs: Vec<f64> = runs.iter().map(|r| r.measured_secs()).collect();
    let sent: Vec<u64> = runs.iter().map(|r| r.clients.iter().map(|c| c.sent).sum()).collect();
    let ok: Vec<u64> = runs.iter().map(|r| r.clients.iter().map(|c| c.ok).sum()).collect();
    let err: Vec<u64> = runs.iter().map(|r| r.clients.iter().map(|c| c.errors.total()).sum()).collect();
    let per_run = |f: &dyn Fn(usize) -> f64| est((0..runs.len()).map(f));
    let q = |i: usize, p: f64| ms(merged_per_run[i].quantile(p));
    let headline = Headline {
        offered_rps: per_run(&|i| sent[i] as f64 / secs[i]),
        throughput_rps: per_run(&|i| (ok[i] + err[i]) as f64 / secs[i]),
        goodput_rps: per_run(&|i| ok[i] as f64 / secs[i]),
        error_rate: per_run(&|i| {
            let n = ok[i] + err[i];
            if n == 0 { f64::NAN } else { err[i] as f64 / n as f64 }
        }),
        mean_ms: per_run(&|i| merged_per_run[i].mean().map_or(f64::NAN, |m| m / MS)),
        p50_ms: per_run(&|i| q(i, 0.5)),
        p90_ms: per_run(&|i| q(i, 0.9)),
        p99_ms: per_run(&|i| q(i, 0.99)),
        p999_ms: per_run(&|i| q(i, 0.999)),
        max_ms: per_run(&|i| ms(merged_per_run[i].max())),
        slo_violation_s: growth::violation_s(runs),
        time_to_recover_s: growth::time_to_recover_s(runs),
        rto_s: growth::rto_s(runs, 0),
    };
    let opt = |t: Option<Time>| t.map(|v| v as f64 / MS);
    let merged_latency = MergedLatency {
        count: merged.count(),
        mean_ms: merged.mean().map(|m| m / MS),
        p50_ms: opt(merged.quantile(0.5)),
        p90_ms: opt(merged.quantile(0.9)),
        p99_ms: opt(merged.quantile(0.99)),
        p999_ms: opt(merged.quantile(0.999)),
        max_ms: opt(merged.max()),
    };

    let clients = runs[0]
        .clients
        .iter()
        .enumerate()
        .map(|(ci, c0)| {
            let each = |f: &dyn Fn(&tailsim_components::result::ClientResult) -> f64| {
                est(runs.iter().map(|r| f(&r.clients[ci])))
            };
            ClientSummary {
                name: c0.name.clone(),
                sent: runs.iter().map(|r| r.clients[ci].sent).sum(),
                ok: runs.iter().map(|r| r.clients[ci].ok).sum(),
                errors: errors_map(runs, |r| r.clients[ci].errors.iter().collect()),
                error_rate: each(&|c| {
                    let n = c.ok + c.errors.total();
                    if n == 0 { f64::NAN } else { c.errors.total() as f64 / n as f64 }
                }),
                mean_ms: each(&|c| c.latency_ok.mean().map_or(f64::NAN, |m| m / MS)),
                p99_ms: each(&|c| ms(c.latency_ok.quantile(0.99))),
                error_mean_ms: each(&|c| c.latency_err.mean().map_or(f64::NAN, |m| m / MS)),
                network_mean_ms: each(&|c| c.network_mean().map_or(f64::NAN, |m| m / MS)),
                stale: runs.iter().map(|r| r.clients[ci].stale).sum(),
                fallback: runs.iter().map(|r| r.clients[ci].fallback).sum(),
            }
        })
        .collect();

    let services = runs[0]
        .services
        .iter()
        .enumerate()
        .map(|(si, s0)| {
            let each = |f: &dyn Fn(&tailsim_components::result::ServiceResult, f64) -> f64| {
                est(runs.iter().zip(&secs).map(|(r, &t)| f(&r.services[si], t)))
            };
            ServiceSummary {
                name: s0.name.clone(),
                replicas: s0.replicas,
                workers: s0.workers,
                arrival_rps: each(&|s, t| s.arrivals as f64 / t),
                throughput_rps: each(&|s, t| s.completions as f64 / t),
                utilisation: each(&|s, _| s.utilisation()),
                queue_mean: each(&|s, _| s.queue_mean),
                queue_max: runs.iter().map(|r| r.services[si].queue_max).max().unwrap_or(0),
                rejected: runs.iter().map(|r| r.services[si].rejected).sum(),
                wait_probability: each(&|s, _| {
                    if s.arrivals == 0 { f64::NAN } else { s.waited as f64 / s.arrivals as f64 }
                }),
                wait_mean_ms: each(&|s, _| s.wait_mean().map_or(f64::NAN, |m| m / MS)),
                compute_mean_ms: each(&|s, _| s.compute_mean().map_or(f64::NAN, |m| m / MS)),
                downstream_mean_ms: each(&|s, _| s.downstream_mean().map_or(f64::NAN, |m| m / MS)),
                response_mean_ms: each(&|s, _| s.response.mean().map_or(f64::NAN, |m| m / MS)),
                response_p99_ms: each(&|s, _| ms(s.response.quantile(0.99))),
                little_l: each(&|s, t| s.in_system_mean - s.carried_ns as f64 / 1e9 / t),
                little_lambda_w: each(&|s, t| {
                    let w = if s.arrivals == 0 { 0.0 } else { s.present_ns as f64 / 1e9 / s.arrivals as f64 };
                    s.arrivals as f64 / t * w
                }),
                replica_utilisation: (0..s0.replicas as usize)
                    .map(|r| each(&|s, _| s.replica_stats[r].busy_mean / s.workers as f64))
                    .collect(),
                replica_throughput_rps: (0..s0.replicas as usize)
                    .map(|r| each(&|s, t| s.replica_stats[r].completions as f64 / t))
                    .collect(),
                shed: runs.iter().map(|r| r.services[si].shed).sum(),
                rate_limited: runs.iter().map(|r| r.services[si].rate_limited).sum(),
                expired: runs.iter().map(|r| r.services[si].expired).sum(),
                crashed: runs.iter().map(|r| r.services[si].crashed).sum(),
                fleet: growth::fleet(runs, si),
            }
        })
        .collect();

    let balancers = runs[0]
        .balancers
        .iter()
        .enumerate()
        .map(|(bi, b0)| BalancerSummary {
            name: b0.name.clone(),
            health_ejections: runs.iter().map(|r| r.balancers[bi].health_ejections).sum(),
            outlier_ejections: runs.iter().map(|r| r.balancers[bi].outlier_ejections).sum(),
            readmissions: runs.iter().map(|r| r.balancers[bi].readmissions).sum(),
        })
        .collect();
    let caches = summarise_caches(runs);
    let datastores = summarise_datastores(runs, &secs);
    let pools = summarise_pools(runs);
    let hops = summarise_hops(runs, &sent);
    let result = PointResult {
        index,
        parameters,
        replications: runs.len() as u32,
        seeds: runs.iter().map(|r| r.seed).collect(),
        warmup_s: as_secs_f64(runs[0].warmup),
        warmup_method: warmup_method.to_string(),
        measured_s: secs[0],
        requests: merged.count(),
        events: runs.iter().map(|r| r.events).sum(),
        headline,
        merged: merged_latency,
        errors: errors_map(runs, |r| r.clients.iter().flat_map(|c| c.errors.iter()).collect()),
        clients,
        services,
        balancers,
        caches,
        datastores,
        pools,
        hops,
        queues: growth::queues(runs),
        routers: growth::routers(runs),
        series: average_series(runs),
        fleet_names: runs[0].fleet_names.clone(),
        backlog_names: runs[0].backlog_names.clone(),
        runaway: runs.iter().find_map(|r| r.runaway.clone()),
        faults: runs[0]
            .faults
            .iter()
            .enumerate()
            .map(|(i, f)| FaultSpan {
                start_s: as_secs_f64(f.start),
                end_s: as_secs_f64(f.end),
                label: f.label.clone(),
                rto_s: growth::rto_s(runs, i),
            })
            .collect(),
        windows: Vec::new(),
        observed_latency: Vec::new(),
    };
    (result, merged)
}

/// Averages the replications' time series window by window, over the
/// windows every replication has.
fn average_series(runs: &[RunResult]) -> Vec<SeriesRow> {
    let windows = runs.iter().map(|r| r.series.len()).min().unwrap_or(0);
    let n = runs.len() as f64;
    (0..windows)
        .map(|w| {
            let rows: Vec<_> = runs.iter().map(|r| &r.series[w]).collect();
            let width = as_secs_f64(runs[0].window);
            let mean_opt = |f: &dyn Fn(&tailsim_components::result::WindowRow) -> Option<Time>| {
                let vals: Vec<f64> = rows.iter().filter_map(|r| f(r)).map(|v| v as f64 / MS).collect();
                (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
            };
            SeriesRow {
                start_s: as_secs_f64(rows[0].start),
                throughput_rps: rows.iter().map(|r| (r.ok + r.errors) as f64).sum::<f64>() / n / width,
                errors_per_s: rows.iter().map(|r| r.errors as f64).sum::<f64>() / n / width,
                mean_ms: {
                    let vals: Vec<f64> = rows.iter().filter_map(|r| r.mean).map(|v| v / MS).collect();
                    (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
                },
                p50_ms: mean_opt(&|r| r.p50),
                p99_ms: mean_opt(&|r| r.p99),
                queue_mean: rows.iter().map(|r| r.queue_mean).sum::<f64>() / n,
                cache_hit_ratio: {
                    let vals: Vec<f64> = rows.iter().filter_map(|r| r.cache_hit_ratio).collect();
                    (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
                },
                fleet: (0..rows[0].fleet.len()).map(|k| rows.iter().map(|r| r.fleet[k]).sum::<f64>() / n).collect(),
                backlog: (0..rows[0].backlog.len())
                    .map(|k| {
                        let depth = rows.iter().map(|r| r.backlog[k].0).sum::<f64>() / n;
                        let age = rows.iter().map(|r| r.backlog[k].1).sum::<f64>() / n;
                        (depth, age)
                    })
                    .collect(),
            }
        })
        .collect()
}

fn summarise_caches(runs: &[RunResult]) -> Vec<CacheSummary> {
    runs[0]
        .caches
        .iter()
        .enumerate()
        .map(|(i, c0)| {
            let sum =
                |f: fn(&tailsim_components::result::CacheResult) -> u64| runs.iter().map(|r| f(&r.caches[i])).sum();
            let mut top: BTreeMap<u64, u64> = BTreeMap::new();
            for r in runs {
                for &(k, n) in &r.caches[i].top_keys {
                    *top.entry(k).or_insert(0) += n;
                }
            }
            let mut top: Vec<(u64, u64)> = top.into_iter().collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            top.truncate(c0.top_keys.len().max(1));
            CacheSummary {
                name: c0.name.clone(),
                hit_ratio: est(runs.iter().map(|r| r.caches[i].hit_ratio().unwrap_or(f64::NAN))),
                hits: sum(|c| c.hits),
                misses: sum(|c| c.misses),
                stale: sum(|c| c.stale),
                coalesced: sum(|c| c.coalesced),
                origin_fetches: sum(|c| c.origin_fetches),
                early_refreshes: sum(|c| c.early_refreshes),
                evictions: sum(|c| c.evictions),
                fills: sum(|c| c.fills),
                invalidations: sum(|c| c.invalidations),
                writes_buffered: sum(|c| c.writes_buffered),
                writes_flushed: sum(|c| c.writes_flushed),
                writes_lost: sum(|c| c.writes_lost),
                top_keys: top,
                top_keys_undercount: sum(|c| c.top_keys_undercount),
            }
        })
        .collect()
}

fn summarise_datastores(runs: &[RunResult], secs: &[f64]) -> Vec<DatastoreSummary> {
    runs[0]
        .datastores
        .iter()
        .enumerate()
        .map(|(i, d0)| {
            let shards = (0..d0.shards.len())
                .map(|s| {
                    let each = |f: &dyn Fn(&tailsim_components::result::ShardResult, f64) -> f64| {
                        est(runs.iter().zip(secs).map(|(r, &t)| f(&r.datastores[i].shards[s], t)))
                    };
                    ShardSummary {
                        arrival_rps: each(&|sh, t| sh.arrivals as f64 / t),
                        utilisation: each(&|sh, _| sh.utilisation),
                        primary_utilisation: each(&|sh, _| sh.primary_utilisation),
                        mean_ms: each(&|sh, _| sh.response.mean().map_or(f64::NAN, |m| m / MS)),
                        p99_ms: each(&|sh, _| ms(sh.response.quantile(0.99))),
                    }
                })
                .collect();
            let mut ages = LatencyHistogram::new();
            for r in runs {
                ages.merge(&r.datastores[i].stale_age);
            }
            let opt = |t: Option<Time>| t.map(|v| v as f64 / MS);
            DatastoreSummary {
                name: d0.name.clone(),
                shards,
                stale_fraction: est(runs.iter().map(|r| {
                    let d = &r.datastores[i];
                    if d.reads == 0 { f64::NAN } else { d.stale_reads as f64 / d.reads as f64 }
                })),
                own_stale_fraction: est(runs.iter().map(|r| {
                    let d = &r.datastores[i];
                    if d.reads == 0 { f64::NAN } else { d.own_stale_reads as f64 / d.reads as f64 }
                })),
                replica_reads: runs.iter().map(|r| r.datastores[i].replica_reads).sum(),
                stale_reads: runs.iter().map(|r| r.datastores[i].stale_reads).sum(),
                stale_age_p50_ms: opt(ages.quantile(0.5)),
                stale_age_p99_ms: opt(ages.quantile(0.99)),
                lost_writes: runs.iter().map(|r| r.datastores[i].lost_writes).sum(),
                rpo_ms: growth::rpo_ms(runs, i),
            }
        })
        .collect()
}

fn summarise_pools(runs: &[RunResult]) -> Vec<PoolSummary> {
    runs[0]
        .pools
        .iter()
        .enumerate()
        .map(|(i, p0)| {
            let each =
                |f: &dyn Fn(&tailsim_components::result::PoolResult) -> f64| est(runs.iter().map(|r| f(&r.pools[i])));
            PoolSummary {
                caller: p0.caller.clone(),
                target: p0.target.clone(),
                pools: p0.pools,
                size: p0.size,
                utilisation: each(&|p| p.utilisation),
                waiting_mean: each(&|p| p.waiting_mean),
                wait_probability: each(&|p| {
                    if p.acquired == 0 { f64::NAN } else { p.waited as f64 / p.acquired as f64 }
                }),
                wait_mean_ms: each(&|p| {
                    if p.waited == 0 { f64::NAN } else { p.wait_sum_ns as f64 / p.waited as f64 / MS }
                }),
                max_waiting: runs.iter().map(|r| r.pools[i].max_waiting).max().unwrap_or(0),
                timeouts: runs.iter().map(|r| r.pools[i].timeouts).sum(),
            }
        })
        .collect()
}

fn summarise_hops(runs: &[RunResult], sent: &[u64]) -> Vec<HopSummary> {
    runs[0]
        .hops
        .iter()
        .enumerate()
        .map(|(i, h0)| {
            let sum = |f: fn(&tailsim_components::result::HopResult) -> u64| runs.iter().map(|r| f(&r.hops[i])).sum();
            HopSummary {
                caller: h0.caller.clone(),
                target: h0.target.clone(),
                amplification: est(runs.iter().map(|r| r.hops[i].amplification())),
                per_client_request: est(runs
                    .iter()
                    .zip(sent)
                    .map(|(r, &n)| if n == 0 { f64::NAN } else { r.hops[i].attempts as f64 / n as f64 })),
                retries: sum(|h| h.retries),
                hedges: sum(|h| h.hedges),
                budget_denied: sum(|h| h.budget_denied),
                fallbacks: sum(|h| h.fallbacks),
                breaker_opens: sum(|h| h.breaker_opens),
                breaker_rejections: sum(|h| h.breaker_rejections),
            }
        })
        .collect()
}
