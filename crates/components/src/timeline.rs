//! The scheduled traffic events of a model, as windows of simulated time:
//! load spikes and hot keys. Faults are reported by the run itself (their
//! times can be random); these are fixed by the model, so they are read
//! from the spec.

use serde::{Deserialize, Serialize};

use crate::spec::ModelSpec;

/// A span of simulated time in which the traffic is out of the ordinary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrafficWindow {
    pub start_s: f64,
    pub end_s: f64,
    pub kind: TrafficKind,
    /// Says what happens, such as "web: 10x load" or "web: key 42 takes 30%".
    pub label: String,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrafficKind {
    /// A client's `spike`: its rate multiplied for a while.
    Spike,
    /// A client's `hotspots` entry: one key takes a share of requests.
    HotKey,
}

/// Every spike and hot-key window of `spec`'s clients, cut to the run's
/// duration, in client order.
pub fn traffic_windows(spec: &ModelSpec) -> Vec<TrafficWindow> {
    let end = spec.sim.duration.as_secs_f64();
    let mut out = Vec::new();
    let mut push = |start: f64, stop: f64, kind, label: String| {
        if start < end {
            out.push(TrafficWindow { start_s: start, end_s: stop.min(end), kind, label });
        }
    };
    for (name, c) in &spec.client {
        if let Some(s) = &c.spike {
            let start = s.at.as_secs_f64();
            let label = format!("{name}: {}x load", s.factor);
            push(start, start + s.duration.as_secs_f64(), TrafficKind::Spike, label);
        }
        for h in &c.hotspots {
            let stop = h.until.map_or(end, |u| u.as_secs_f64());
            let label = format!("{name}: key {} takes {}%", h.key, h.share * 100.0);
            push(h.at.as_secs_f64(), stop, TrafficKind::HotKey, label);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ClientSpec, Duration, HotspotSpec, SpikeSpec};

    #[test]
    fn spikes_and_hot_keys_are_cut_to_the_run() {
        let mut m = ModelSpec::default();
        m.sim.duration = Duration::from_secs(100);
        let mut c = ClientSpec::poisson("app", 10.0);
        c.spike = Some(SpikeSpec { at: Duration::from_secs(10), duration: Duration::from_secs(5), factor: 10.0 });
        c.hotspots = vec![
            HotspotSpec { at: Duration::from_secs(60), until: None, key: 42, share: 0.3 },
            HotspotSpec { at: Duration::from_secs(200), until: None, key: 7, share: 0.5 },
        ];
        m.client.insert("web".into(), c);
        let w = traffic_windows(&m);
        assert_eq!(w.len(), 2, "a window after the end is left out");
        assert_eq!((w[0].start_s, w[0].end_s, w[0].kind), (10.0, 15.0, TrafficKind::Spike));
        assert_eq!(w[0].label, "web: 10x load");
        assert_eq!((w[1].start_s, w[1].end_s, w[1].kind), (60.0, 100.0, TrafficKind::HotKey));
        assert_eq!(w[1].label, "web: key 42 takes 30%");
    }
}
