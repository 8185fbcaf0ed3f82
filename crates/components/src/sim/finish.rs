//! Turns the end state of a replication into its [`RunResult`].

use tailsim_engine::scheduler::RunOutcome;

use tailsim_engine::time::Time;

use super::ServiceKind;
use super::World;
use crate::result::{
    BalancerResult, CacheResult, ClientResult, Conservation, DatastoreResult, FaultWindow, FleetResult, HopResult,
    PoolResult, ReplicaResult, RunResult, ServiceResult, ShardResult, Violation, WindowRow,
};

impl World {
    pub(super) fn finish(mut self, seed: u64, outcome: RunOutcome) -> RunResult {
        let end = outcome.end;
        let window = self.window.width();
        // Jobs still present count for their time up to the end.
        for st in 0..self.stations.len() {
            for i in 0..self.stations[st].present.len() {
                let job = self.stations[st].present[i];
                self.account_presence(job, end);
            }
        }
        let conservation = Conservation {
            born: self.born,
            settled: self.settled,
            calls_in_flight: self.calls.live() as u64,
            attempts_in_flight: self.attempts.live() as u64,
            jobs_in_system: self.jobs.live() as u64,
        };
        let clients = self
            .clients
            .drain(..)
            .map(|c| ClientResult {
                name: c.name,
                sent: c.stats.sent,
                ok: c.stats.ok,
                errors: c.stats.errors,
                latency_ok: c.stats.latency_ok,
                latency_err: c.stats.latency_err,
                network_sum_ns: c.stats.network_sum,
                stale: c.stats.stale,
                fallback: c.stats.fallback,
            })
            .collect();
        self.close_fault_windows(end);
        let hops = self.hop_results();
        let caches = self.cache_results();
        let datastores = self.datastore_results(end);
        let pools = self.pool_results(end);
        let mut fleets: Vec<Option<FleetResult>> = vec![None; self.services.len()];
        for a in &mut self.autoscalers {
            fleets[a.service as usize] = Some(FleetResult {
                mean: a.fleet.mean(end),
                max: a.fleet.max(),
                min: a.fleet_min,
                events: std::mem::take(&mut a.events),
            });
        }
        let fleet_names = self.autoscalers.iter().map(|a| self.services[a.service as usize].name.clone()).collect();
        let backlog_names =
            self.queues.iter().flat_map(|q| q.groups.iter().map(move |g| format!("{}/{}", q.name, g.name))).collect();
        let queues = self.queues.iter().map(|q| q.result(end)).collect();
        let routers = self.routers.iter().map(|r| r.result()).collect();
        let services = self
            .services
            .drain(..)
            .zip(fleets)
            .map(|(s, fleet)| {
                let range = s.first_station as usize..(s.first_station + s.replicas) as usize;
                let sts = &self.stations[range];
                ServiceResult {
                    name: s.name,
                    kind: match s.kind {
                        ServiceKind::Plain => "service",
                        ServiceKind::Cache(_) => "cache",
                        ServiceKind::Datastore(_) => "datastore",
                        ServiceKind::Queue(_) => "queue",
                    },
                    replicas: s.replicas,
                    workers: s.workers,
                    arrivals: sts.iter().map(|st| st.stats.arrivals).sum(),
                    rejected: sts.iter().map(|st| st.stats.rejected).sum(),
                    completions: sts.iter().map(|st| st.stats.completions).sum(),
                    waited: sts.iter().map(|st| st.stats.waited).sum(),
                    busy_mean: sts.iter().map(|st| st.stats.busy.mean(end)).sum(),
                    queue_mean: sts.iter().map(|st| st.stats.queued.mean(end)).sum(),
                    queue_max: sts.iter().map(|st| st.stats.queued.max()).max().unwrap_or(0),
                    in_system_mean: sts.iter().map(|st| st.stats.present.mean(end)).sum(),
                    response: s.stats.response,
                    finished: s.stats.finished,
                    failed: s.stats.failed,
                    wait_sum_ns: s.stats.wait_sum,
                    compute_sum_ns: s.stats.compute_sum,
                    downstream_sum_ns: s.stats.downstream_sum,
                    present_ns: s.stats.present_ns,
                    carried_ns: s.stats.carried_ns,
                    replica_stats: sts
                        .iter()
                        .map(|st| ReplicaResult {
                            arrivals: st.stats.arrivals,
                            completions: st.stats.completions,
                            rejected: st.stats.rejected,
                            busy_mean: st.stats.busy.mean(end),
                            queue_mean: st.stats.queued.mean(end),
                            queue_max: st.stats.queued.max(),
                        })
                        .collect(),
                    shed: sts.iter().map(|st| st.stats.shed).sum(),
                    rate_limited: sts.iter().map(|st| st.stats.rate_limited).sum(),
                    expired: sts.iter().map(|st| st.stats.expired).sum(),
                    crashed: sts.iter().map(|st| st.stats.crashed).sum(),
                    fleet,
                }
            })
            .collect();
        let balancers = self
            .balancers
            .drain(..)
            .map(|b| BalancerResult {
                name: b.name,
                health_ejections: b.stats.health_ejections,
                outlier_ejections: b.stats.outlier_ejections,
                readmissions: b.stats.readmissions,
                picks: b.stats.picks,
            })
            .collect();
        let violation = self.window_slo.then(|| violation(&self.series, window, self.slo_p99, self.slo_error_rate));
        let faults = recovery(std::mem::take(&mut self.fault_windows), &self.series, window, self.slo_error_rate, end);
        RunResult {
            conservation,
            seed,
            warmup: self.measure_from.min(end),
            end,
            events: outcome.events,
            stop: outcome.reason,
            runaway: self.runaway,
            clients,
            services,
            balancers,
            caches,
            datastores,
            pools,
            hops,
            series: self.series,
            fleet_names,
            backlog_names,
            queues,
            routers,
            window: self.window.width(),
            violation,
            faults,
        }
    }
}

impl World {
    fn hop_results(&self) -> Vec<HopResult> {
        self.sites
            .iter()
            .filter(|s| !s.caller.is_empty())
            .map(|s| HopResult {
                caller: s.caller.clone(),
                target: s.callee.clone(),
                calls: s.stats.calls,
                attempts: s.stats.attempts,
                retries: s.stats.retries,
                hedges: s.stats.hedges,
                budget_denied: s.stats.budget_denied,
                fallbacks: s.stats.fallbacks,
                breaker_opens: s.breaker.as_ref().map_or(0, |b| b.opened),
                breaker_rejections: s.breaker.as_ref().map_or(0, |b| b.rejected),
            })
            .collect()
    }

    fn cache_results(&mut self) -> Vec<CacheResult> {
        self.caches
            .iter_mut()
            .map(|c| {
                let s = &mut c.stats;
                let mut top: Vec<(u64, u64)> = s.key_counts.iter().map(|(&k, &n)| (k, n)).collect();
                top.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                top.truncate(c.top_keys as usize);
                CacheResult {
                    name: c.name.clone(),
                    hits: s.hits,
                    misses: s.misses,
                    stale: s.stale,
                    coalesced: s.coalesced,
                    origin_fetches: s.origin_fetches,
                    early_refreshes: s.early_refreshes,
                    fills: s.fills,
                    invalidations: s.invalidations,
                    evictions: c.stores.iter().map(|st| st.evictions).sum(),
                    writes_buffered: s.writes_buffered,
                    writes_flushed: s.writes_flushed,
                    writes_lost: s.writes_lost,
                    top_keys: top,
                }
            })
            .collect()
    }

    fn datastore_results(&mut self, end: tailsim_engine::time::Time) -> Vec<DatastoreResult> {
        let stations = &self.stations;
        let services = &self.services;
        self.datastores
            .iter_mut()
            .map(|d| {
                let svc = &services[d.service as usize];
                let workers = svc.workers as f64;
                let shards = (0..d.shards)
                    .map(|shard| {
                        let base = (svc.first_station + shard * d.nodes) as usize;
                        let nodes = &stations[base..base + d.nodes as usize];
                        ShardResult {
                            arrivals: nodes.iter().map(|st| st.stats.arrivals).sum(),
                            primary_utilisation: nodes[0].stats.busy.mean(end) / workers,
                            utilisation: nodes.iter().map(|st| st.stats.busy.mean(end)).sum::<f64>()
                                / (workers * d.nodes as f64),
                            response: std::mem::take(&mut d.stats.shard_response[shard as usize]),
                        }
                    })
                    .collect();
                DatastoreResult {
                    name: d.name.clone(),
                    shards,
                    reads: d.stats.reads,
                    replica_reads: d.stats.replica_reads,
                    stale_reads: d.stats.stale_reads,
                    own_stale_reads: d.stats.own_stale_reads,
                    stale_age: std::mem::take(&mut d.stats.stale_age),
                    lost_writes: d.stats.lost_writes,
                    rpo_max: d.stats.rpo_max,
                }
            })
            .collect()
    }

    fn pool_results(&self, end: tailsim_engine::time::Time) -> Vec<PoolResult> {
        self.pool_sites
            .iter()
            .map(|(caller, target, first, count)| {
                let pools = &self.pools[*first as usize..(*first + *count) as usize];
                let size = pools.first().map_or(0, |p| p.size);
                let in_use: f64 = pools.iter().map(|p| p.stats.busy.mean(end)).sum();
                PoolResult {
                    caller: caller.clone(),
                    target: target.clone(),
                    pools: *count,
                    size,
                    in_use_mean: in_use,
                    utilisation: in_use / (size as f64 * *count as f64).max(1.0),
                    waiting_mean: pools.iter().map(|p| p.stats.waiting.mean(end)).sum(),
                    max_waiting: pools.iter().map(|p| p.stats.waiting.max()).max().unwrap_or(0),
                    acquired: pools.iter().map(|p| p.stats.acquired).sum(),
                    waited: pools.iter().map(|p| p.stats.waited).sum(),
                    wait_sum_ns: pools.iter().map(|p| p.stats.wait_sum).sum(),
                    timeouts: pools.iter().map(|p| p.stats.timeouts).sum(),
                }
            })
            .collect()
    }
}

fn error_rate(w: &WindowRow) -> f64 {
    let n = w.ok + w.errors;
    if n == 0 { 0.0 } else { w.errors as f64 / n as f64 }
}

/// The windows whose p99 or error rate broke the window SLO.
fn violation(series: &[WindowRow], width: Time, p99: Option<Time>, error_rate_bound: f64) -> Violation {
    let bad: Vec<&WindowRow> = series
        .iter()
        .filter(|w| p99.is_some_and(|b| w.p99.is_some_and(|x| x > b)) || error_rate(w) > error_rate_bound)
        .collect();
    Violation {
        total: bad.len() as Time * width,
        first: bad.first().map(|w| w.start),
        last: bad.last().map(|w| w.start + width),
    }
}

/// Each fault's recovery time: from its start to the end of the last
/// window, before the next fault starts, whose error rate is above the
/// bound. A fault that starts before measurement, or whose errors last to
/// the end of the run, gets none.
fn recovery(
    mut faults: Vec<FaultWindow>,
    series: &[WindowRow],
    width: Time,
    bound: f64,
    end: Time,
) -> Vec<FaultWindow> {
    let starts: Vec<Time> = faults.iter().map(|f| f.start).collect();
    let measured_from = series.first().map_or(end, |w| w.start);
    for f in &mut faults {
        if f.start < measured_from {
            continue;
        }
        let until = starts.iter().copied().filter(|&s| s > f.start).min().unwrap_or(end);
        let span: Vec<&WindowRow> = series.iter().filter(|w| w.start + width > f.start && w.start < until).collect();
        match span.iter().rposition(|w| error_rate(w) > bound) {
            None => f.rto = Some(0),
            Some(i) if i + 1 == span.len() && until == end => {}
            Some(i) => f.rto = Some(span[i].start + width - f.start),
        }
    }
    faults
}
