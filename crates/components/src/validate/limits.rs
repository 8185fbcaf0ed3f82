//! Values beyond physical sense: a rate, a fleet or a key space so large
//! that it can only be a slip of units (requests per day typed as per
//! second, a key count in bytes). Each is refused with the limit and why,
//! before anything is built or allocated from it.

use super::Checker;
use crate::spec::{Duration, ModelSpec};

/// The highest request rate a client may offer: one simulated second at
/// 1e9 requests per second is several billion events, minutes of work on a
/// core that handles about 1e7 events per second.
pub const MAX_RATE: f64 = 1e9;
/// The most replicas, nodes or shards one component may have: each holds
/// its own queue, workers and statistics.
pub const MAX_REPLICAS: u64 = 1_000_000;
/// The largest key space: key numbers stay exact in the 53-bit mantissa
/// that popularity and partition arithmetic use, with room to spare.
pub const MAX_KEYS: u64 = 1 << 48;

const WHY_RATE: &str = "one simulated second would take minutes to run (about 1e7 events per second per core); \
                        is the rate per minute or per day?";
const WHY_REPLICAS: &str = "each one holds its own queue, workers and statistics";
/// The most shards of a datastore, and nodes of a cache: each keeps its own
/// latency histogram and tables, about half a megabyte (shards) and a third
/// of one (cache nodes) per replication (measured), so a thousand of them
/// is already half a gigabyte for each replication in flight.
pub const MAX_NODES: u64 = 1000;
const WHY_NODES: &str = "each keeps its own latency histogram and tables (a third to half a megabyte per \
                         replication running)";
const WHY_KEYS: &str = "2^48 keys; key numbers must stay exact in floating point. Is the count in bytes?";

impl Checker<'_> {
    fn at_most(&mut self, path: &[&str], value: f64, limit: f64, shown: &str, why: &str) {
        if value > limit {
            self.err(path, format!("{} is beyond the limit of {shown}: {why}", plain_number(value)));
        }
    }

    /// Checks every rate, fleet and key space of `spec` against the limits.
    pub(super) fn limits(&mut self, spec: &ModelSpec) {
        for (name, c) in &spec.client {
            if let Some(rate) = c.rate {
                self.at_most(&["client", name, "rate"], rate, MAX_RATE, "1e9 requests per second", WHY_RATE);
            }
            for (i, p) in c.schedule.iter().enumerate() {
                let i = i.to_string();
                self.at_most(
                    &["client", name, "schedule", &i, "rate"],
                    p.rate,
                    MAX_RATE,
                    "1e9 requests per second",
                    WHY_RATE,
                );
            }
            if let Some(users) = c.users {
                let why = "each user is a loop of its own, with its own request and think time";
                self.at_most(&["client", name, "users"], users as f64, MAX_REPLICAS as f64, "1,000,000", why);
            }
            if let Some(k) = &c.keys {
                self.at_most(&["client", name, "keys", "n"], k.n as f64, MAX_KEYS as f64, "2^48 keys", WHY_KEYS);
            }
        }
        let fleet = |this: &mut Self, path: &[&str], n: u64| {
            this.at_most(path, n as f64, MAX_REPLICAS as f64, "1,000,000", WHY_REPLICAS);
        };
        for (name, s) in &spec.service {
            fleet(self, &["service", name, "replicas"], s.replicas as u64);
            fleet(self, &["service", name, "workers"], s.workers as u64);
            if let Some(a) = &s.autoscale {
                self.ticks(spec, &["service", name, "autoscale", "interval"], a.interval, "evaluates");
            }
        }
        for (name, b) in &spec.balancer {
            if let Some(h) = &b.health_check {
                self.ticks(spec, &["balancer", name, "health_check", "interval"], h.interval, "probes");
            }
        }
        for (name, c) in &spec.client {
            if let Some(b) = &c.burst {
                self.ticks(spec, &["client", name, "burst", "mean_burst"], b.mean_burst, "switches");
                self.ticks(spec, &["client", name, "burst", "mean_between"], b.mean_between, "switches");
            }
            if let Some(o) = &c.on_off {
                self.ticks(spec, &["client", name, "on_off", "mean_on"], o.mean_on, "switches");
                self.ticks(spec, &["client", name, "on_off", "mean_off"], o.mean_off, "switches");
            }
        }
        let nodes = |this: &mut Self, path: &[&str], n: u64| {
            this.at_most(path, n as f64, MAX_NODES as f64, "1000", WHY_NODES);
        };
        for (name, c) in &spec.cache {
            nodes(self, &["cache", name, "replicas"], c.replicas as u64);
            fleet(self, &["cache", name, "workers"], c.workers as u64);
            self.at_most(&["cache", name, "capacity"], c.capacity as f64, MAX_KEYS as f64, "2^48 keys", WHY_KEYS);
        }
        for (name, d) in &spec.datastore {
            nodes(self, &["datastore", name, "shards"], d.shards as u64);
            fleet(self, &["datastore", name, "replicas"], d.replicas as u64);
            fleet(self, &["datastore", name, "workers"], d.workers as u64);
            if let Some(k) = d.key_space {
                self.at_most(&["datastore", name, "key_space"], k as f64, MAX_KEYS as f64, "2^48 keys", WHY_KEYS);
            }
        }
    }
}

impl Checker<'_> {
    /// Refuses a periodic action so frequent that it would spin: more than
    /// [`MAX_TICKS`] times over `sim.duration`, each one an event.
    fn ticks(&mut self, spec: &ModelSpec, path: &[&str], every: Duration, verb: &str) {
        let duration = spec.sim.duration.0;
        if every.0 == 0 || duration / every.0 <= MAX_TICKS {
            return; // zero is refused where the field is checked
        }
        self.err(
            path,
            format!(
                "{verb} {} times over `sim.duration` ({}): at most {} are allowed, each an event of its own. Use at \
                 least {}",
                plain_number((duration / every.0) as f64),
                spec.sim.duration,
                plain_number(MAX_TICKS as f64),
                Duration(duration.div_ceil(MAX_TICKS)),
            ),
        );
    }
}

/// The most times one periodic action (an autoscaler's evaluation, a
/// health check, a burst switching on or off) may happen in a run.
pub const MAX_TICKS: u64 = 10_000_000;

/// A number as a person writes it: whole numbers in full below 1e7,
/// others as `1e12` or `1.8446744073709552e19`.
pub fn plain_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e7 { format!("{v:.0}") } else { format!("{v:e}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{KeyDistSpec, KeySpec};
    use crate::validate::tests::model;

    fn errors(m: &ModelSpec) -> Vec<String> {
        crate::validate::check(m).err().unwrap_or_default().iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn a_rate_fleet_or_key_space_past_sense_is_refused_with_the_limit_and_why() {
        let mut m = model();
        m.client.get_mut("web").unwrap().rate = Some(1e12);
        let e = errors(&m);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("`client.web.rate`: 1e12 is beyond the limit of 1e9 requests per second"), "{e:?}");
        assert!(e[0].contains("per minute or per day"), "{e:?}");

        let mut m = model();
        m.service.get_mut("app").unwrap().replicas = 2_000_000;
        let e = errors(&m);
        assert!(
            e.iter().any(|e| e.starts_with("`service.app.replicas`: 2000000 is beyond the limit of 1,000,000")),
            "{e:?}"
        );

        let mut m = model();
        m.client.get_mut("web").unwrap().keys =
            Some(KeySpec { dist: KeyDistSpec::Zipf, n: u64::MAX, s: 0.9, weights: Vec::new() });
        let e = errors(&m);
        assert!(
            e.iter()
                .any(|e| e.starts_with("`client.web.keys.n`: 1.8446744073709552e19 is beyond the limit of 2^48 keys")),
            "{e:?}"
        );

        // An autoscaler evaluating every nanosecond would spin.
        let mut m = model();
        m.sim.duration = Duration::from_secs(600);
        let a = crate::spec::AutoscaleSpec {
            min: 1,
            max: 2,
            provisioning: Duration::from_secs(1),
            cold: None,
            interval: Duration(1),
            policy: Vec::new(),
        };
        m.service.get_mut("app").unwrap().autoscale = Some(a);
        let e = errors(&m);
        assert!(
            e.iter().any(|e| e
                .starts_with("`service.app.autoscale.interval`: evaluates 6e11 times over `sim.duration` (10m)")
                && e.ends_with("Use at least 60us")),
            "{e:?}"
        );

        // At the limits, nothing is refused.
        let mut m = model();
        m.client.get_mut("web").unwrap().rate = Some(MAX_RATE);
        m.client.get_mut("web").unwrap().keys =
            Some(KeySpec { dist: KeyDistSpec::Zipf, n: MAX_KEYS, s: 0.9, weights: Vec::new() });
        assert!(errors(&m).iter().all(|e| !e.contains("beyond the limit")), "{:?}", errors(&m));
    }
}
