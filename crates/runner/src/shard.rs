//! Which shard of a split sweep runs which point: a deterministic
//! assignment that balances estimated cost.
//!
//! `--shard K/N` runs the points assigned to shard K. Taking the point
//! index modulo N would let the expensive points pile up on a few shards:
//! in a grid the last axis varies fastest, so the index modulo N lines up
//! with axis values, and every point at the longest horizon or the highest
//! load can land on the same shard, which then holds back the whole array.
//! Instead each point gets a cost estimated statically from its resolved
//! model ([`estimated_cost`]), and [`assign`] spreads the points by
//! longest-processing-time-first: in decreasing cost, each point goes to
//! the shard with the least cost so far.
//!
//! Every shard computes the same assignment on its own, from the plan. The
//! costs are integers recorded in `plan.json` (so `merge` and `--resume`
//! see them), and the assignment compares only integers, with ties broken
//! by point index and shard index. Shards therefore never overlap and
//! never miss a point, and the merged output stays byte-identical to an
//! unsharded run.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tailsim_components::analysis::analyse;
use tailsim_components::model::Model;

/// Events per visit: a request arriving at a service, cache, datastore or
/// queue is admitted (one event) and completes (another).
const EVENTS_PER_VISIT: f64 = 2.0;

/// The estimated number of simulation events of one sweep point, over all
/// its replications (and its pilot run when the warm-up is detected).
///
/// Events grow with the requests each component sees per second, as the
/// static analysis derives them (client rates through balancers, fan-outs,
/// cache misses and retries), times the simulated time and the number of
/// replications. A component's rate counts at most its capacity: beyond
/// it the queue grows or requests are refused, and closed-loop users are
/// held back by their answers. `sim.max_events` caps a replication. A
/// precision rule may add replications; the estimate counts the first
/// round. The model must be valid.
pub fn estimated_cost(model: &Model, replications: u32) -> u64 {
    let spec = model.spec();
    let visits_per_s: f64 = analyse(model)
        .services
        .iter()
        .map(|s| s.offered_rps.min(s.capacity_rps))
        .filter(|r| r.is_finite() && *r > 0.0)
        .sum();
    let mut per_replication = visits_per_s * EVENTS_PER_VISIT * spec.sim.duration.as_secs_f64();
    if let Some(cap) = spec.sim.max_events {
        per_replication = per_replication.min(cap as f64);
    }
    let runs = replications as f64 + if spec.sim.fixed_warmup().is_none() { 1.0 } else { 0.0 };
    let total = (per_replication * runs).round();
    // At least 1, so that no point is free; `as` saturates at u64::MAX.
    (total as u64).max(1)
}

/// The shard (0 to `count - 1`) of each point, given the points' costs in
/// index order.
///
/// Longest processing time first: the points in decreasing cost (equal
/// costs by increasing index) each go to the shard whose assigned cost is
/// smallest so far (equal loads: the lowest shard index). No shard ends
/// more than the largest single point above the least loaded one, so with
/// many points per shard every shard's cost is close to the mean.
pub fn assign(costs: &[u64], count: u32) -> Vec<u32> {
    assert!(count >= 1, "a split needs at least one shard");
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by_key(|&i| (Reverse(costs[i]), i));
    // Min-heap of (load, shard): the least loaded shard, lowest index first.
    let mut heap: BinaryHeap<Reverse<(u128, u32)>> = (0..count).map(|k| Reverse((0, k))).collect();
    let mut shard = vec![0; costs.len()];
    for i in order {
        let Reverse((load, k)) = heap.pop().expect("count >= 1");
        shard[i] = k;
        heap.push(Reverse((load + costs[i] as u128, k)));
    }
    shard
}

/// The total cost each shard carries under `assignment`.
pub fn loads(costs: &[u64], assignment: &[u32], count: u32) -> Vec<u128> {
    let mut loads = vec![0u128; count as usize];
    for (&c, &k) in costs.iter().zip(assignment) {
        loads[k as usize] += c as u128;
    }
    loads
}

#[cfg(test)]
mod tests {
    use super::*;
    use tailsim_components::spec::{
        CallSpec, ClientSpec, DistSpec, Duration, ModelSpec, ServiceSpec, StepSpec, WaitSpec, Warmup,
    };

    fn max_over_mean(loads: &[u128]) -> f64 {
        let max = *loads.iter().max().unwrap() as f64;
        let mean = loads.iter().sum::<u128>() as f64 / loads.len() as f64;
        max / mean
    }

    /// An M/M/1 at 500 req/s (1 ms mean), 100 s with 10 s of warm-up, 4
    /// replications.
    fn mm1() -> ModelSpec {
        let mut m = ModelSpec::default();
        m.sim.duration = Duration::from_secs(100);
        m.sim.warmup = Some(Warmup::Fixed(Duration::from_secs(10)));
        m.sim.replications = 4;
        m.client.insert("web".into(), ClientSpec::poisson("app", 500.0));
        m.service.insert("app".into(), ServiceSpec::new(1, 1, DistSpec::exponential(Duration::from_millis(1))));
        m
    }

    fn cost(spec: &ModelSpec) -> u64 {
        estimated_cost(&Model::resolve(spec).unwrap(), spec.sim.replications)
    }

    #[test]
    fn every_point_gets_exactly_one_shard_and_every_shard_some_work() {
        let costs: Vec<u64> = (0..100).map(|i| 1 + (i * 7919 % 13)).collect();
        for count in [1, 2, 3, 7, 100] {
            let a = assign(&costs, count);
            assert_eq!(a.len(), costs.len());
            assert!(a.iter().all(|&k| k < count));
            for k in 0..count {
                assert!(a.contains(&k), "shard {k}/{count} got no point");
            }
        }
        // More shards than points: each point alone, the rest idle.
        let a = assign(&[5, 5, 5], 5);
        assert_eq!(a, vec![0, 1, 2]);
    }

    #[test]
    fn the_assignment_depends_only_on_the_costs() {
        let costs: Vec<u64> = (0..1000).map(|i| (i * 2654435761u64) % 1000 + 1).collect();
        assert_eq!(assign(&costs, 16), assign(&costs.clone(), 16));
        // Equal costs: ties by index, so equal costs spread round robin.
        assert_eq!(assign(&[3; 6], 3), vec![0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn the_most_expensive_points_go_to_different_shards() {
        let mut costs = vec![1; 40];
        costs[4] = 10;
        costs[24] = 10;
        let a = assign(&costs, 4);
        assert_ne!(a[4], a[24]);
        let l = loads(&costs, &a, 4);
        assert_eq!(l.iter().sum::<u128>(), 58);
        assert!(l.iter().max().unwrap() - l.iter().min().unwrap() <= 1, "{l:?}");
    }

    /// The cost grows with load, horizon, replications and fan-out.
    #[test]
    fn the_cost_follows_rate_horizon_replications_and_fan_out() {
        let base = mm1();
        // 500 req/s x 2 events x 100 s x 4 replications.
        assert_eq!(cost(&base), 400_000);
        let set = |f: &dyn Fn(&mut ModelSpec)| {
            let mut s = base.clone();
            f(&mut s);
            cost(&s)
        };
        assert_eq!(set(&|s| s.client.get_mut("web").unwrap().rate = Some(900.0)), 720_000);
        assert_eq!(set(&|s| s.sim.duration = Duration::from_secs(1000)), 4_000_000);
        assert_eq!(set(&|s| s.sim.replications = 20), 2_000_000);
        assert_eq!(set(&|s| s.sim.max_events = Some(1000)), 4000);
        // A root that calls 10 leaves: 11 visits per request.
        let mut fan = mm1();
        fan.client.get_mut("web").unwrap().target = "root".into();
        let mut root = ServiceSpec::new(1, 8, DistSpec::constant(Duration::ZERO));
        root.service_time = None;
        root.steps = vec![StepSpec::Parallel { calls: vec![CallSpec::new("leaf"); 10], wait: WaitSpec::All }];
        fan.service.insert("root".into(), root);
        fan.service.insert("leaf".into(), ServiceSpec::new(10, 8, DistSpec::constant(Duration::from_millis(1))));
        fan.service.remove("app");
        assert_eq!(cost(&fan), 11 * 400_000);
    }

    /// A sweep of 10,000 points x 20 replications, split over 64 shards, in
    /// which a few points (the highest load at the longest horizon) cost
    /// far more than the rest: the busiest shard carries at most 10% more
    /// than the mean. Index modulo N, on the same plan, does not come close.
    #[test]
    fn a_big_sweep_with_stragglers_balances_within_ten_percent() {
        let mut base = mm1();
        base.sim.replications = 20;
        // Shorter than the shortest horizon below, so every point is valid.
        base.sim.warmup = Some(tailsim_components::spec::Warmup::Fixed(Duration::from_secs(1)));
        // A grid of 1,000 arrival rates x 10 horizons (the last axis varies
        // fastest), as an experiment's points come out of it: nine short
        // horizons and one long one, and the highest loads at the long
        // horizon run longer still.
        let mut costs = Vec::with_capacity(10_000);
        for r in 0..1000 {
            for h in 0..10 {
                let mut s = base.clone();
                s.client.get_mut("web").unwrap().rate = Some(50.0 + 0.9 * r as f64);
                let secs = match (h, r) {
                    (9, 900..) => 3000,
                    (9, _) => 600,
                    _ => 10 + 10 * h,
                };
                s.sim.duration = Duration::from_secs(secs);
                costs.push(cost(&s));
            }
        }
        let straggler = *costs.iter().max().unwrap() as f64;
        let typical = costs[0] as f64;
        assert!(straggler > 100.0 * typical, "the plan has stragglers ({straggler} against {typical})");

        let count = 64;
        let balanced = loads(&costs, &assign(&costs, count), count);
        let ratio = max_over_mean(&balanced);
        assert!(ratio <= 1.10, "max shard cost is {ratio:.3} times the mean");

        let modulo: Vec<u32> = (0..costs.len() as u32).map(|i| i % count).collect();
        let naive = max_over_mean(&loads(&costs, &modulo, count));
        assert!(naive > 1.5, "index modulo N is {naive:.3} times the mean on this plan");
        eprintln!("max shard cost / mean: {ratio:.4} balanced by cost, {naive:.4} by index modulo {count}");
    }
}
