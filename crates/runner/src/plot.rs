//! The plots of a results directory, built from its summary and histograms:
//!
//! - `latency.svg`: mean, p50 and p99 (with 95% CI bars) against the first
//!   swept axis (or the experiment's `plot_against` metric), one set of
//!   lines per combination of the other axes: the hockey stick;
//! - `percentiles.svg`: the latency spectrum of each point on a log
//!   1/(1-p) axis;
//! - `points/<i>/timeseries.svg`: throughput, latency and queue depth over
//!   time, with fault windows shaded.

pub mod chart;

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use chart::{Band, Chart, Point, Scale, Series, render, render_panels};
use tailsim_engine::stats::LatencyHistogram;

use crate::output::write_atomic;
use crate::point::PointResult;
use crate::summary::Summary;

const WIDTH: u32 = 860;
const HEIGHT: u32 = 480;
/// The percentile plot shows at most this many points' spectra.
const MAX_SPECTRA: usize = 10;

/// Writes every plot for `summary` into `dir`.
pub fn write_plots(dir: &Path, summary: &Summary, histograms: &[LatencyHistogram]) -> io::Result<()> {
    if let Some(c) = latency_chart(summary) {
        write_atomic(&dir.join("latency.svg"), render(&c, WIDTH, HEIGHT).as_bytes())?;
    }
    write_atomic(&dir.join("percentiles.svg"), render(&spectrum_chart(summary, histograms), WIDTH, HEIGHT).as_bytes())?;
    for p in &summary.points {
        let svg = render_panels(&timeseries_charts(p), WIDTH, 300);
        write_atomic(&dir.join("points").join(p.index.to_string()).join("timeseries.svg"), svg.as_bytes())?;
    }
    Ok(())
}

/// How a point is named in legends: its parameters, or the model.
fn point_label(summary: &Summary, p: &PointResult) -> String {
    if p.parameters.is_empty() {
        summary.experiment.clone().unwrap_or_else(|| summary.model.clone())
    } else {
        p.parameters.iter().map(|(k, v)| format!("{}={v}", short_path(k))).collect::<Vec<_>>().join(", ")
    }
}

/// The last segment of a field path, qualified by the component:
/// `client.web.rate` becomes `web.rate`.
fn short_path(path: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    if parts.len() > 2 { parts[parts.len() - 2..].join(".") } else { path.to_string() }
}

/// Mean, p50 and p99 against the first axis, if it is numeric, or against
/// the experiment's `plot_against` metric.
fn latency_chart(summary: &Summary) -> Option<Chart> {
    let axis = summary.axes.first()?;
    let x_name = summary.plot_against.as_ref().unwrap_or(axis);
    let value_of = |p: &PointResult| -> Option<f64> {
        match &summary.plot_against {
            Some(metric) => p.metric(metric).map(|e| e.mean).filter(|v| v.is_finite()),
            None => p.parameters.iter().find(|(k, _)| k == axis).and_then(|(_, v)| v.parse().ok()),
        }
    };
    if summary.points.iter().any(|p| value_of(p).is_none()) {
        return None;
    }
    // One group per combination of the other axes, in point order.
    let mut groups: BTreeMap<usize, (String, Vec<&PointResult>)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for p in &summary.points {
        let key: Vec<String> =
            p.parameters.iter().filter(|(k, _)| k != axis).map(|(k, v)| format!("{}={v}", short_path(k))).collect();
        let key = key.join(", ");
        let slot = order.iter().position(|k| *k == key).unwrap_or_else(|| {
            order.push(key.clone());
            order.len() - 1
        });
        groups.entry(slot).or_insert_with(|| (key, Vec::new())).1.push(p);
    }
    type Pick = fn(&PointResult) -> crate::stats::Estimate;
    let picks: [(&str, bool, Pick); 3] = [
        ("p99", false, |p| p.headline.p99_ms),
        ("p50", true, |p| p.headline.p50_ms),
        ("mean", true, |p| p.headline.mean_ms),
    ];
    let mut series = Vec::new();
    for (_, (key, mut points)) in groups {
        points.sort_by(|a, b| value_of(a).partial_cmp(&value_of(b)).expect("numeric axis"));
        let suffix = if key.is_empty() { String::new() } else { format!(" ({key})") };
        for (name, dashed, pick) in picks {
            series.push(Series {
                label: format!("{name}{suffix}"),
                dashed,
                points: points
                    .iter()
                    .map(|p| {
                        let e = pick(p);
                        Point { x: value_of(p).expect("numeric axis"), y: e.mean, y_err: e.ci95 }
                    })
                    .collect(),
            });
        }
    }
    Some(Chart {
        title: format!("Latency against {x_name}"),
        x_label: x_name.clone(),
        y_label: "latency (ms), 95% CI".into(),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        series,
        bands: Vec::new(),
    })
}

/// The latency spectrum of up to [`MAX_SPECTRA`] points, evenly chosen.
fn spectrum_chart(summary: &Summary, histograms: &[LatencyHistogram]) -> Chart {
    let n = summary.points.len();
    let picks: Vec<usize> = if n <= MAX_SPECTRA {
        (0..n).collect()
    } else {
        let mut v: Vec<usize> = (0..MAX_SPECTRA).map(|i| i * (n - 1) / (MAX_SPECTRA - 1)).collect();
        v.dedup();
        v
    };
    let series = picks
        .iter()
        .map(|&i| {
            let h = &histograms[i];
            let points = if h.count() == 0 {
                Vec::new()
            } else {
                h.hdr()
                    .iter_quantiles(5)
                    .map(|v| (v.quantile_iterated_to(), h.hdr().median_equivalent(v.value_iterated_to())))
                    // From p10: below it the log axis would be stretched by
                    // near-zero minima that say nothing about the tail.
                    .filter(|&(q, _)| (0.1..1.0).contains(&q))
                    .map(|(q, ns)| Point { x: q, y: ns as f64 / 1e6, y_err: None })
                    .collect()
            };
            Series { label: point_label(summary, &summary.points[i]), points, dashed: false }
        })
        .collect();
    Chart {
        title: "Latency by percentile (all replications merged)".into(),
        x_label: "percentile".into(),
        y_label: "latency (ms)".into(),
        x_scale: Scale::InverseQuantile,
        y_scale: Scale::Log10,
        series,
        bands: Vec::new(),
    }
}

/// Throughput, latency and queue depth over time, fault windows shaded.
fn timeseries_charts(p: &PointResult) -> Vec<Chart> {
    let bands: Vec<Band> =
        p.faults.iter().map(|f| Band { x0: f.start_s, x1: f.end_s, label: f.label.clone() }).collect();
    let line = |label: &str, dashed: bool, f: &dyn Fn(&crate::point::SeriesRow) -> Option<f64>| Series {
        label: label.into(),
        dashed,
        points: p.series.iter().map(|r| Point { x: r.start_s, y: f(r).unwrap_or(f64::NAN), y_err: None }).collect(),
    };
    let chart = |title: &str, y_label: &str, y_scale: Scale, series: Vec<Series>| Chart {
        title: title.into(),
        x_label: "simulated time (s)".into(),
        y_label: y_label.into(),
        x_scale: Scale::Linear,
        y_scale,
        series,
        bands: bands.clone(),
    };
    let mut charts = vec![
        chart(
            "Throughput",
            "req/s",
            Scale::Linear,
            vec![line("answered", false, &|r| Some(r.throughput_rps)), line("errors", true, &|r| Some(r.errors_per_s))],
        ),
        chart("Latency", "ms", Scale::Log10, vec![line("p99", false, &|r| r.p99_ms), line("p50", true, &|r| r.p50_ms)]),
        chart(
            "Queued requests",
            "mean queued",
            Scale::Linear,
            vec![line("all services", false, &|r| Some(r.queue_mean))],
        ),
    ];
    if p.series.iter().any(|r| r.cache_hit_ratio.is_some()) {
        charts.push(chart(
            "Cache hit ratio",
            "hits / lookups",
            Scale::Linear,
            vec![line("all caches", false, &|r| r.cache_hit_ratio)],
        ));
    }
    if !p.fleet_names.is_empty() {
        let series =
            (0..p.fleet_names.len()).map(|k| line(&p.fleet_names[k], false, &|r| r.fleet.get(k).copied())).collect();
        charts.push(chart("Fleet size", "serving instances", Scale::Linear, series));
    }
    if !p.backlog_names.is_empty() {
        let depth = (0..p.backlog_names.len())
            .map(|k| line(&p.backlog_names[k], false, &|r| r.backlog.get(k).map(|b| b.0)))
            .collect();
        charts.push(chart("Queue backlog", "waiting messages", Scale::Linear, depth));
        let age = (0..p.backlog_names.len())
            .map(|k| line(&p.backlog_names[k], false, &|r| r.backlog.get(k).map(|b| b.1)))
            .collect();
        charts.push(chart("Oldest message", "age (s)", Scale::Linear, age));
    }
    charts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_paths() {
        assert_eq!(short_path("client.web.rate"), "web.rate");
        assert_eq!(short_path("x.y"), "x.y");
    }
}
