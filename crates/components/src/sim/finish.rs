//! Turns the end state of a replication into its [`RunResult`].

use tailsim_engine::scheduler::RunOutcome;

use super::ServiceKind;
use super::World;
use crate::result::{
    BalancerResult, CacheResult, ClientResult, Conservation, DatastoreResult, HopResult, PoolResult, ReplicaResult,
    RunResult, ServiceResult, ShardResult,
};

impl World {
    pub(super) fn finish(mut self, seed: u64, outcome: RunOutcome) -> RunResult {
        let end = outcome.end;
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
        let services = self
            .services
            .drain(..)
            .map(|s| {
                let range = s.first_station as usize..(s.first_station + s.replicas) as usize;
                let sts = &self.stations[range];
                ServiceResult {
                    name: s.name,
                    kind: match s.kind {
                        ServiceKind::Plain => "service",
                        ServiceKind::Cache(_) => "cache",
                        ServiceKind::Datastore(_) => "datastore",
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
            window: self.window.width(),
            faults: std::mem::take(&mut self.fault_windows),
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
                    replica_reads: d.stats.replica_reads,
                    stale_reads: d.stats.stale_reads,
                    stale_age: std::mem::take(&mut d.stats.stale_age),
                    lost_writes: d.stats.lost_writes,
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
