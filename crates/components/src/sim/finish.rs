//! Turns the end state of a replication into its [`RunResult`].

use tailsim_engine::scheduler::RunOutcome;
use tailsim_engine::time::Time;

use super::World;
use super::cache::Cache;
use super::service::Service;
use super::station::Station;
use crate::ids::Id;
use crate::result::{
    BalancerResult, ClientResult, Conservation, FaultWindow, FleetResult, HopResult, ReplicaResult, RunResult,
    ServiceResult, Violation, WindowRow,
};

impl World {
    pub(super) fn finish(mut self, seed: u64, outcome: RunOutcome) -> RunResult {
        let end = outcome.end;
        let window = self.meter.window_width();
        // Jobs still present count for their time up to the end.
        for st in self.stations.ids() {
            for i in 0..self.stations[st].present.len() {
                let job = self.stations[st].present[i];
                self.account_presence(job, end);
            }
        }
        let (calls, attempts, jobs) = self.requests.live();
        let conservation = Conservation {
            born: self.requests.born,
            settled: self.requests.settled,
            calls_in_flight: calls as u64,
            attempts_in_flight: attempts as u64,
            jobs_in_system: jobs as u64,
        };
        let clients = self
            .clients
            .take()
            .into_iter()
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
        let caches = self.caches.iter().map(Cache::result).collect();
        let datastores = self.datastore_results(end);
        let pools = self.pools.results(end);
        let mut fleets: Vec<Option<FleetResult>> = vec![None; self.services.len()];
        for a in &mut self.control.autoscalers {
            fleets[a.service.index()] = Some(FleetResult {
                mean: a.fleet.mean(end),
                max: a.fleet.max(),
                min: a.fleet_min,
                events: std::mem::take(&mut a.events),
            });
        }
        let fleet_names = self.control.autoscalers.iter().map(|a| self.services[a.service].name.clone()).collect();
        let backlog_names = self.queues.backlog_names();
        let queues = self.queues.results(end);
        let routers = self.control.routers.iter().map(|r| r.result()).collect();
        let services = self
            .services
            .take()
            .into_iter()
            .zip(fleets)
            .map(|(s, fleet)| {
                let sts = self.stations.slice(s.first_station, s.replicas);
                service_result(s, sts, fleet, end)
            })
            .collect();
        let balancers = self
            .balancers
            .take()
            .into_iter()
            .map(|b| BalancerResult {
                name: b.name,
                health_ejections: b.stats.health_ejections,
                outlier_ejections: b.stats.outlier_ejections,
                readmissions: b.stats.readmissions,
                picks: b.stats.picks,
            })
            .collect();
        let m = &mut self.meter;
        let violation = m.window_slo.then(|| violation(&m.series, window, m.slo_p99, m.slo_error_rate));
        let faults = recovery(std::mem::take(&mut m.fault_windows), &m.series, window, m.slo_error_rate, end);
        RunResult {
            conservation,
            seed,
            warmup: m.measure_from().min(end),
            end,
            events: outcome.events,
            stop: outcome.reason,
            runaway: self.limits.runaway,
            clients,
            services,
            balancers,
            caches,
            datastores,
            pools,
            hops,
            series: std::mem::take(&mut m.series),
            fleet_names,
            backlog_names,
            queues,
            routers,
            window,
            violation,
            faults,
        }
    }

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
}

/// A runtime service's result, from its own stats and its stations'.
fn service_result(s: Service, sts: &[Station], fleet: Option<FleetResult>, end: Time) -> ServiceResult {
    ServiceResult {
        name: s.name,
        kind: s.kind.name(),
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
