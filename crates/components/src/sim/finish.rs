//! Turns the end state of a replication into its [`RunResult`].

use tailsim_engine::scheduler::RunOutcome;

use super::World;
use crate::result::{BalancerResult, ClientResult, Conservation, ReplicaResult, RunResult, ServiceResult};

impl World {
    pub(super) fn finish(mut self, seed: u64, outcome: RunOutcome) -> RunResult {
        let end = outcome.end;
        let conservation = Conservation {
            born: self.born,
            settled: self.settled,
            calls_in_flight: self.calls.live() as u64,
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
            })
            .collect();
        let services = self
            .services
            .drain(..)
            .map(|s| {
                let range = s.first_station as usize..(s.first_station + s.replicas) as usize;
                let sts = &self.stations[range];
                ServiceResult {
                    name: s.name,
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
            series: self.series,
            window: self.window.width(),
            faults: Vec::new(),
        }
    }
}
