//! Result names: the one place that parses, prints and lists every metric
//! an SLO, a precision rule, `plot_against`, `points.csv` or a table may
//! name, and the SLO and precision rules built on them.
//!
//! A metric is a headline figure of a point (`p99_ms`, `error_rate`) or a
//! measure of one component, written `<component>.<measure>`
//! (`app.utilisation`, `redis.hit_ratio`, `orders/billing.depth_mean` for a
//! queue's consumer group). Which measures a component has depends on its
//! kind; [`Metric::check`] says so against a resolved model, with a
//! suggestion for a misspelled name.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::{Component, Model};
use crate::suggest::did_you_mean;

macro_rules! names {
    ($(#[$doc:meta])* $ty:ident { $($(#[$vdoc:meta])* $variant:ident = $name:literal,)* }) => {
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $ty {
            $($(#[$vdoc])* $variant,)*
        }

        impl $ty {
            /// Every one, in the order tables and `points.csv` use.
            pub const ALL: &'static [$ty] = &[$($ty::$variant,)*];

            /// The name as written in files and on the command line.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)*
                }
            }

            fn parse(s: &str) -> Option<$ty> {
                match s {
                    $($name => Some($ty::$variant),)*
                    _ => None,
                }
            }

            /// Every name, in order.
            pub fn names() -> impl Iterator<Item = &'static str> {
                Self::ALL.iter().map(|m| m.name())
            }
        }
    };
}

names! {
    /// A point's headline figures: end-to-end, over all clients.
    Headline {
        /// Requests per second the clients sent.
        OfferedRps = "offered_rps",
        /// Requests per second answered (successes and errors).
        ThroughputRps = "throughput_rps",
        /// Successful requests per second.
        GoodputRps = "goodput_rps",
        /// Failed requests over all requests.
        ErrorRate = "error_rate",
        MeanMs = "mean_ms",
        P50Ms = "p50_ms",
        P90Ms = "p90_ms",
        P99Ms = "p99_ms",
        P999Ms = "p999_ms",
        MaxMs = "max_ms",
        /// Seconds of windows that broke the window SLO.
        SloViolationS = "slo_violation_s",
        /// From the first window that broke the window SLO to the end of
        /// the last.
        TimeToRecoverS = "time_to_recover_s",
        /// The first fault's recovery time.
        RtoS = "rto_s",
    }
}

names! {
    /// A measure of one component.
    Measure {
        /// Busy workers over workers (services, caches, datastores).
        Utilisation = "utilisation",
        /// Requests per second completed.
        ThroughputRps = "throughput_rps",
        /// Requests waiting for a worker, on average.
        QueueMean = "queue_mean",
        /// The 99th percentile of the component's response time.
        P99Ms = "p99_ms",
        /// Caches: hits over lookups.
        HitRatio = "hit_ratio",
        /// Datastores: stale reads over reads.
        StaleFraction = "stale_fraction",
        /// Datastores: reads that missed the session's own last write.
        OwnStaleFraction = "own_stale_fraction",
        /// Autoscaled services: the mean serving fleet.
        FleetMean = "fleet_mean",
        /// Queue consumer groups: messages waiting, on average.
        DepthMean = "depth_mean",
        /// Queue consumer groups: produce-to-acknowledge p99.
        EndToEndP99Ms = "end_to_end_p99_ms",
    }
}

/// What kind of component a measure applies to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Holder {
    Station,
    Cache,
    Datastore,
    Autoscaled,
    QueueGroup,
}

impl Measure {
    fn holder(self) -> Holder {
        match self {
            Measure::Utilisation | Measure::ThroughputRps | Measure::QueueMean | Measure::P99Ms => Holder::Station,
            Measure::HitRatio => Holder::Cache,
            Measure::StaleFraction | Measure::OwnStaleFraction => Holder::Datastore,
            Measure::FleetMean => Holder::Autoscaled,
            Measure::DepthMean | Measure::EndToEndP99Ms => Holder::QueueGroup,
        }
    }
}

/// A result name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    Headline(Headline),
    /// `<component>.<measure>`; a queue's consumer group is named
    /// `<queue>/<group>`.
    Of {
        component: String,
        measure: Measure,
    },
}

impl Metric {
    pub fn of(component: &str, measure: Measure) -> Metric {
        Metric::Of { component: component.to_string(), measure }
    }

    /// Checks that the metric exists in `model`: the component is there,
    /// and the measure applies to its kind.
    pub fn check(&self, model: &Model) -> Result<(), MetricError> {
        let Metric::Of { component, measure } = self else { return Ok(()) };
        let spec = model.spec();
        if let Some((queue, group)) = component.split_once('/') {
            let Some(q) = spec.queue.get(queue) else {
                let hint = did_you_mean(queue, spec.queue.keys().map(String::as_str));
                return Err(MetricError::new(
                    format!("no queue named `{queue}` in metric `{self}`"),
                    hint.map(|s| format!("did you mean `{s}/{group}.{measure}`?")),
                ));
            };
            if !q.consumers.contains_key(group) {
                let hint = did_you_mean(group, q.consumers.keys().map(String::as_str));
                return Err(MetricError::new(
                    format!("queue `{queue}` has no consumer group `{group}` (in metric `{self}`)"),
                    hint.map(|s| format!("did you mean `{queue}/{s}.{measure}`?")),
                ));
            }
            return applies(self, *measure, Holder::QueueGroup, "a queue's consumer group");
        }
        let (holds, kind) = match model.component(component) {
            Some(Component::Service(_)) => {
                let autoscaled = spec.service[component].autoscale.is_some();
                (vec![Holder::Station].into_iter().chain(autoscaled.then_some(Holder::Autoscaled)).collect(), "service")
            }
            Some(Component::Cache(_)) => (vec![Holder::Station, Holder::Cache], "cache"),
            Some(Component::Datastore(_)) => (vec![Holder::Station, Holder::Datastore], "datastore"),
            Some(Component::Queue(_)) => {
                return Err(MetricError::new(
                    format!("`{component}` is a queue: its measures are per consumer group (in metric `{self}`)"),
                    spec.queue[component]
                        .consumers
                        .keys()
                        .next()
                        .map(|g| format!("write `{component}/{g}.{}`", Measure::DepthMean)),
                ));
            }
            Some(other) => {
                let kind = match other {
                    Component::Client(_) => "client",
                    Component::Balancer(_) => "balancer",
                    _ => "router",
                };
                return Err(MetricError::new(
                    format!(
                        "`{component}` is a {kind}; metrics name a service, cache, datastore or queue group \
                         (in metric `{self}`)"
                    ),
                    None,
                ));
            }
            None => {
                let candidates =
                    spec.service.keys().chain(spec.cache.keys()).chain(spec.datastore.keys()).map(String::as_str);
                let hint = did_you_mean(component, candidates).map(|s| format!("did you mean `{s}.{measure}`?"));
                return Err(MetricError::new(
                    format!("no service, cache or datastore named `{component}` in metric `{self}`"),
                    hint,
                ));
            }
        };
        if holds.contains(&measure.holder()) {
            Ok(())
        } else {
            let allowed: Vec<&str> =
                Measure::ALL.iter().filter(|m| holds.contains(&m.holder())).map(|m| m.name()).collect();
            Err(MetricError::new(
                format!("{kind} `{component}` has no `{measure}`; it has {}", allowed.join(", ")),
                None,
            ))
        }
    }
}

fn applies(metric: &Metric, measure: Measure, holder: Holder, what: &str) -> Result<(), MetricError> {
    if measure.holder() == holder {
        return Ok(());
    }
    let allowed: Vec<&str> = Measure::ALL.iter().filter(|m| m.holder() == holder).map(|m| m.name()).collect();
    Err(MetricError::new(
        format!("{what} has no `{measure}` (in metric `{metric}`); it has {}", allowed.join(", ")),
        None,
    ))
}

impl fmt::Display for Headline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Headline(h) => f.write_str(h.name()),
            Metric::Of { component, measure } => write!(f, "{component}.{measure}"),
        }
    }
}

/// A metric name that could not be read, with a suggestion where one is
/// close.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MetricError {
    pub message: String,
    pub hint: Option<String>,
}

impl MetricError {
    fn new(message: String, hint: Option<String>) -> Self {
        Self { message, hint }
    }
}

impl FromStr for Metric {
    type Err = MetricError;

    fn from_str(s: &str) -> Result<Metric, MetricError> {
        let s = s.trim();
        if let Some(h) = Headline::parse(s) {
            return Ok(Metric::Headline(h));
        }
        if let Some((component, m)) = s.rsplit_once('.')
            && !component.is_empty()
        {
            return match Measure::parse(m) {
                Some(measure) => Ok(Metric::of(component, measure)),
                None => {
                    let hint = did_you_mean(m, Measure::names()).map(|x| format!("did you mean `{component}.{x}`?"));
                    Err(MetricError::new(
                        format!(
                            "unknown measure `{m}` in `{s}`; expected one of {}",
                            Measure::names().collect::<Vec<_>>().join(", ")
                        ),
                        hint,
                    ))
                }
            };
        }
        let hint = did_you_mean(s, Headline::names()).map(|x| format!("did you mean `{x}`?"));
        Err(MetricError::new(
            format!(
                "unknown metric `{s}`; expected one of {}, or <component>.<{}>",
                Headline::names().collect::<Vec<_>>().join(", "),
                Measure::names().collect::<Vec<_>>().join("|")
            ),
            hint,
        ))
    }
}

impl Serialize for Metric {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Metric {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Metric, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A comparison operator in an SLO.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    #[serde(rename = "<")]
    Less,
    #[serde(rename = "<=")]
    LessOrEqual,
    #[serde(rename = ">")]
    Greater,
    #[serde(rename = ">=")]
    GreaterOrEqual,
}

impl Comparison {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Less => value < threshold,
            Comparison::LessOrEqual => value <= threshold,
            Comparison::Greater => value > threshold,
            Comparison::GreaterOrEqual => value >= threshold,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
        }
    }
}

/// An assertion on a point's results, such as `p99_ms < 200`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    pub metric: Metric,
    pub comparison: Comparison,
    pub threshold: f64,
}

impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.metric, self.comparison.symbol(), self.threshold)
    }
}

impl FromStr for Slo {
    type Err = MetricError;

    /// Reads `METRIC OP NUMBER`, such as `p99_ms < 200`.
    fn from_str(text: &str) -> Result<Slo, MetricError> {
        let ops = [
            ("<=", Comparison::LessOrEqual),
            (">=", Comparison::GreaterOrEqual),
            ("<", Comparison::Less),
            (">", Comparison::Greater),
        ];
        let Some((pos, sym, comparison)) = ops.iter().find_map(|&(sym, c)| text.find(sym).map(|p| (p, sym, c))) else {
            return Err(MetricError::new(
                format!("cannot read SLO `{text}`: expected METRIC OP NUMBER, such as `p99_ms < 200`"),
                None,
            ));
        };
        let metric: Metric = text[..pos].parse()?;
        let number = text[pos + sym.len()..].trim();
        let threshold: f64 = number.parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
            MetricError::new(format!("cannot read SLO `{}`: `{number}` is not a number", text.trim()), None)
        })?;
        Ok(Slo { metric, comparison, threshold })
    }
}

/// Keep replicating until `metric`'s 95% half-width is at most
/// `relative_half_width` of its estimate, or `max_replications` is reached.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Precision {
    pub metric: Metric,
    pub relative_half_width: f64,
    pub max_replications: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{CacheSpec, ClientSpec, DistSpec, Duration, ModelSpec, ServiceSpec};

    fn model() -> Model {
        let mut m = ModelSpec::default();
        m.client.insert("web".into(), ClientSpec::poisson("app", 100.0));
        m.service.insert("app".into(), ServiceSpec::new(1, 1, DistSpec::exponential(Duration::from_millis(1))));
        m.cache.insert("redis".into(), CacheSpec::new("app", 100, DistSpec::exponential(Duration::from_millis(1))));
        Model::resolve(&m).unwrap()
    }

    #[test]
    fn every_name_round_trips() {
        for h in Headline::ALL {
            let m = Metric::Headline(*h);
            assert_eq!(m.to_string().parse::<Metric>().unwrap(), m);
        }
        for measure in Measure::ALL {
            let m = Metric::of("orders/billing", *measure);
            assert_eq!(m.to_string().parse::<Metric>().unwrap(), m);
        }
        let slo: Slo = "app.utilisation <= 0.7".parse().unwrap();
        assert_eq!(slo.to_string(), "app.utilisation <= 0.7");
    }

    #[test]
    fn misspelled_and_misplaced_names_are_explained() {
        let e = "p99ms".parse::<Metric>().unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean `p99_ms`?"));
        let e = "app.utilization".parse::<Metric>().unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean `app.utilisation`?"));
        let m = model();
        assert!("app.utilisation".parse::<Metric>().unwrap().check(&m).is_ok());
        assert!("redis.hit_ratio".parse::<Metric>().unwrap().check(&m).is_ok());
        let e = "app.hit_ratio".parse::<Metric>().unwrap().check(&m).unwrap_err();
        assert!(e.message.contains("service `app` has no `hit_ratio`"), "{e}");
        let e = "apq.utilisation".parse::<Metric>().unwrap().check(&m).unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean `app.utilisation`?"));
        let e = "web.p99_ms".parse::<Metric>().unwrap().check(&m).unwrap_err();
        assert!(e.message.contains("is a client"), "{e}");
        assert!("p99_ms < fast".parse::<Slo>().is_err());
    }
}
