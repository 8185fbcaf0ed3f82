//! The plots of a results directory, built from its summary and histograms.
//! The files, the README's figures and the HTML report all draw these
//! charts; the report embeds them with [`chart::render_embedded`].
//!
//! - `latency.svg`: mean, p50 and p99 (with 95% CI bands) against the first
//!   swept axis (or the experiment's `plot_against` metric), one set of
//!   lines per combination of the other axes: the hockey stick. A
//!   non-numeric axis (variants, policies) gets one marker per value;
//! - `percentiles.svg`: the latency spectrum of each point on a log
//!   1/(1-p) axis;
//! - `points/<i>/timeseries.svg`: throughput, latency and queue depth over
//!   time, with fault windows, load spikes and hot-key windows shaded.
//!
//! The report adds per-component utilisation ([`utilisation_chart`]) and
//! the topology picture ([`topology`]).

pub mod chart;
pub mod theme;
pub mod topology;

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use chart::{Band, BandKind, Chart, Mark, Point, Scale, Series, Style, render, render_panels};
use tailsim_components::timeline::TrafficKind;
use tailsim_engine::stats::LatencyHistogram;

use tailsim_components::metric::Metric;

use crate::output::write_atomic;
use crate::point::{PointResult, SeriesRow};
use crate::summary::Summary;

pub const WIDTH: u32 = 860;
pub const HEIGHT: u32 = 480;
/// The height of one time-series panel.
pub const PANEL_HEIGHT: u32 = 300;
/// The percentile plot shows at most this many points' spectra.
pub const MAX_SPECTRA: usize = 10;

/// The most windows `timeseries.svg` draws (two pixels each at
/// [`WIDTH`]); longer series are drawn in buckets ([`downsample`]).
pub const DRAWN_WINDOWS: usize = WIDTH as usize / 2;

/// Writes every plot for `summary` into `dir`.
pub fn write_plots(dir: &Path, summary: &Summary, histograms: &[LatencyHistogram]) -> io::Result<()> {
    if let Some(c) = latency_chart(summary) {
        write_atomic(&dir.join("latency.svg"), render(&c, WIDTH, HEIGHT).as_bytes())?;
    }
    let picks = spectrum_picks(summary.points.len());
    write_atomic(
        &dir.join("percentiles.svg"),
        render(&spectrum_chart(summary, histograms, &picks), WIDTH, HEIGHT).as_bytes(),
    )?;
    for p in &summary.points {
        // Many windows would draw as a solid band: at most two pixels each.
        let (rows, k) = downsample(&p.series, DRAWN_WINDOWS);
        let mut charts = timeseries_charts(p, &rows);
        if k > 1
            && let Some(first) = charts.first_mut()
        {
            first.title.push_str(&format!(" · buckets of {k} windows: means, p99 the worst"));
        }
        let svg = render_panels(&charts, WIDTH, PANEL_HEIGHT);
        write_atomic(&dir.join("points").join(p.index.to_string()).join("timeseries.svg"), svg.as_bytes())?;
    }
    Ok(())
}

/// How a point is named in legends: its parameters, or the model.
pub fn point_label(summary: &Summary, p: &PointResult) -> String {
    if p.parameters.is_empty() {
        summary.experiment.clone().unwrap_or_else(|| summary.model.clone())
    } else {
        p.parameters.iter().map(|(k, v)| format!("{}={v}", short_path(k))).collect::<Vec<_>>().join(", ")
    }
}

/// The last segment of a field path, qualified by the component:
/// `client.web.rate` becomes `web.rate`.
pub fn short_path(path: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    if parts.len() > 2 { parts[parts.len() - 2..].join(".") } else { path.to_string() }
}

/// Where a point lies on the latency chart's x axis: the `plot_against`
/// metric, the first axis's number, or (for a non-numeric axis) the index
/// of its value among the axis's values.
struct XAxis<'a> {
    summary: &'a Summary,
    axis: &'a str,
    /// The axis's distinct values in point order, when it is not numeric.
    categories: Vec<String>,
}

impl XAxis<'_> {
    fn value(&self, p: &PointResult) -> Option<f64> {
        if let Some(metric) = &self.summary.plot_against {
            return p.metric(metric).map(|e| e.mean).filter(|v| v.is_finite());
        }
        let raw = p.parameters.iter().find(|(k, _)| k == self.axis).map(|(_, v)| v)?;
        if self.categories.is_empty() {
            raw.parse().ok()
        } else {
            self.categories.iter().position(|c| c == raw).map(|i| i as f64)
        }
    }
}

/// Mean, p50 and p99 against the first axis or the experiment's
/// `plot_against` metric; `None` for a run without axes, or when the
/// metric is missing at some point.
pub fn latency_chart(summary: &Summary) -> Option<Chart> {
    let axis = summary.axes.first()?;
    let mut x = XAxis { summary, axis, categories: Vec::new() };
    let numeric = |p: &PointResult| p.parameters.iter().any(|(k, v)| k == axis && v.parse::<f64>().is_ok());
    if summary.plot_against.is_none() && !summary.points.iter().all(numeric) {
        for p in &summary.points {
            let v = p.parameters.iter().find(|(k, _)| k == axis).map(|(_, v)| v.clone()).unwrap_or_default();
            if !x.categories.contains(&v) {
                x.categories.push(v);
            }
        }
    }
    if summary.points.iter().any(|p| x.value(p).is_none()) {
        return None;
    }
    let x_name = summary.plot_against.as_ref().map_or_else(|| axis.clone(), Metric::to_string);
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
    let categorical = !x.categories.is_empty();
    let mut series = Vec::new();
    for (_, (key, mut points)) in groups {
        points.sort_by(|a, b| x.value(a).partial_cmp(&x.value(b)).expect("x values are finite"));
        let suffix = if key.is_empty() { String::new() } else { format!(" ({key})") };
        for (name, dashed, pick) in picks {
            let points = points
                .iter()
                .map(|p| {
                    let e = pick(p);
                    Point { x: x.value(p).expect("checked above"), y: e.mean, y_err: e.ci95 }
                })
                .collect();
            let style = if categorical { Style::Markers } else { Style::Line };
            let label = format!("{name}{suffix}");
            series.push(Series { label, dashed, points, style, band: !categorical, ..Default::default() });
        }
    }
    let marks = summary.points.iter().map(|p| Mark { x: x.value(p).expect("checked above"), point: p.index }).collect();
    Some(Chart {
        title: format!("Latency against {x_name}"),
        x_label: x_name.clone(),
        y_label: "latency (ms), 95% CI".into(),
        series,
        categories: x.categories,
        marks,
        ..Default::default()
    })
}

/// Up to [`MAX_SPECTRA`] of `n` points, evenly chosen.
pub fn spectrum_picks(n: usize) -> Vec<usize> {
    if n <= MAX_SPECTRA {
        (0..n).collect()
    } else {
        let mut v: Vec<usize> = (0..MAX_SPECTRA).map(|i| i * (n - 1) / (MAX_SPECTRA - 1)).collect();
        v.dedup();
        v
    }
}

/// The latency spectrum of the points `picks`.
pub fn spectrum_chart(summary: &Summary, histograms: &[LatencyHistogram], picks: &[usize]) -> Chart {
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
            let label = point_label(summary, &summary.points[i]);
            Series { label, points, point: Some(summary.points[i].index), ..Default::default() }
        })
        .collect();
    Chart {
        title: "Latency by percentile (all replications merged)".into(),
        x_label: "percentile".into(),
        y_label: "latency (ms)".into(),
        x_scale: Scale::InverseQuantile,
        y_scale: Scale::Log10,
        series,
        ..Default::default()
    }
}

/// The shaded spans of a point's time series: its faults, load spikes and
/// hot-key windows.
fn bands(p: &PointResult) -> Vec<Band> {
    let faults = p.faults.iter().map(|f| Band {
        x0: f.start_s,
        x1: f.end_s,
        label: f.label.clone(),
        kind: BandKind::Fault,
        point: None,
    });
    let traffic = p.windows.iter().map(|w| Band {
        x0: w.start_s,
        x1: w.end_s,
        label: w.label.clone(),
        kind: match w.kind {
            TrafficKind::Spike => BandKind::Load,
            TrafficKind::HotKey => BandKind::HotKey,
        },
        point: None,
    });
    faults.chain(traffic).collect()
}

/// Throughput, latency and queue depth over time (`rows`: the point's
/// series, or a downsampled copy), spans shaded; cache hit ratio, fleet
/// size and queue backlog where the model has them.
pub fn timeseries_charts(p: &PointResult, rows: &[SeriesRow]) -> Vec<Chart> {
    let bands = bands(p);
    let line = |label: &str, dashed: bool, f: &dyn Fn(&SeriesRow) -> Option<f64>| Series {
        label: label.into(),
        dashed,
        points: rows.iter().map(|r| Point { x: r.start_s, y: f(r).unwrap_or(f64::NAN), y_err: None }).collect(),
        ..Default::default()
    };
    let chart = |title: &str, y_label: &str, y_scale: Scale, series: Vec<Series>| Chart {
        title: title.into(),
        x_label: "simulated time (s)".into(),
        y_label: y_label.into(),
        y_scale,
        series,
        bands: bands.clone(),
        ..Default::default()
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
    if rows.iter().any(|r| r.cache_hit_ratio.is_some()) {
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

/// `rows` in buckets of `k` consecutive windows, `k` the smallest that
/// leaves at most `max` buckets; returns the buckets and `k`. A bucket
/// starts where its first window starts; it has its windows' mean of every
/// figure except p99, which is the worst window's, so short bursts of tail
/// latency stay visible.
pub fn downsample(rows: &[SeriesRow], max: usize) -> (Vec<SeriesRow>, usize) {
    let k = rows.len().div_ceil(max.max(1)).max(1);
    if k == 1 {
        return (rows.to_vec(), 1);
    }
    let mean = |vals: &mut dyn Iterator<Item = f64>| {
        let (sum, n) = vals.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
        (n > 0).then(|| sum / n as f64)
    };
    let buckets = rows
        .chunks(k)
        .map(|b| {
            let n = b.len() as f64;
            let widths = b[0].fleet.len();
            SeriesRow {
                start_s: b[0].start_s,
                throughput_rps: b.iter().map(|r| r.throughput_rps).sum::<f64>() / n,
                errors_per_s: b.iter().map(|r| r.errors_per_s).sum::<f64>() / n,
                mean_ms: mean(&mut b.iter().filter_map(|r| r.mean_ms)),
                p50_ms: mean(&mut b.iter().filter_map(|r| r.p50_ms)),
                p99_ms: b.iter().filter_map(|r| r.p99_ms).reduce(f64::max),
                queue_mean: b.iter().map(|r| r.queue_mean).sum::<f64>() / n,
                cache_hit_ratio: mean(&mut b.iter().filter_map(|r| r.cache_hit_ratio)),
                fleet: (0..widths).map(|j| b.iter().map(|r| r.fleet[j]).sum::<f64>() / n).collect(),
                backlog: (0..b[0].backlog.len())
                    .map(|j| {
                        let depth = b.iter().map(|r| r.backlog[j].0).sum::<f64>() / n;
                        let age = b.iter().map(|r| r.backlog[j].1).sum::<f64>() / n;
                        (depth, age)
                    })
                    .collect(),
            }
        })
        .collect();
    (buckets, k)
}

/// Several points' charts as one set of panels (matched by title) that
/// holds every point's series and spans, each tagged with its point: the
/// report shows the selected point's on axes that stay put as the
/// selection changes. Series keep their colour within their point.
pub fn merge_points(per_point: Vec<(usize, Vec<Chart>)>) -> Vec<Chart> {
    let mut out: Vec<Chart> = Vec::new();
    for (index, charts) in per_point {
        for chart in charts {
            let slot = match out.iter().position(|c| c.title == chart.title) {
                Some(slot) => slot,
                None => {
                    out.push(Chart {
                        series: Vec::new(),
                        bands: Vec::new(),
                        marks: Vec::new(),
                        categories: Vec::new(),
                        ..chart.clone()
                    });
                    out.len() - 1
                }
            };
            let merged = &mut out[slot];
            // A category's place in the merged axis (points may differ, say
            // in their number of shards).
            let mut place = Vec::with_capacity(chart.categories.len());
            for category in &chart.categories {
                let at = merged.categories.iter().position(|c| c == category).unwrap_or_else(|| {
                    merged.categories.push(category.clone());
                    merged.categories.len() - 1
                });
                place.push(at as f64);
            }
            for (k, mut series) in chart.series.into_iter().enumerate() {
                series.point = Some(index);
                series.color = Some(series.color.unwrap_or(k));
                if !place.is_empty() {
                    for p in &mut series.points {
                        p.x = place.get(p.x as usize).copied().unwrap_or(f64::NAN);
                    }
                }
                merged.series.push(series);
            }
            for mut band in chart.bands {
                band.point = Some(index);
                merged.bands.push(band);
            }
        }
    }
    out
}

/// The utilisation of every service, cache and datastore shard at one
/// point, with 95% intervals, as bars.
pub fn utilisation_chart(p: &PointResult) -> Chart {
    let mut names = Vec::new();
    let mut points = Vec::new();
    let mut push = |name: String, e: crate::stats::Estimate| {
        points.push(Point { x: names.len() as f64, y: e.mean, y_err: e.ci95 });
        names.push(name);
    };
    for s in &p.services {
        match p.datastores.iter().find(|d| d.name == s.name) {
            Some(d) if d.shards.len() > 1 => {
                for (i, shard) in d.shards.iter().enumerate() {
                    push(format!("{}[{i}]", d.name), shard.utilisation);
                }
            }
            _ => push(s.name.clone(), s.utilisation),
        }
    }
    let series = vec![Series { label: "utilisation".into(), points, style: Style::Bars, ..Default::default() }];
    Chart {
        title: "Utilisation by component".into(),
        x_label: "component (datastores by shard)".into(),
        y_label: "busy workers / workers".into(),
        series,
        categories: names,
        y_cap: Some(1.0),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_paths() {
        assert_eq!(short_path("client.web.rate"), "web.rate");
        assert_eq!(short_path("x.y"), "x.y");
    }

    fn row(t: f64, p99: f64) -> SeriesRow {
        SeriesRow {
            start_s: t,
            throughput_rps: t,
            errors_per_s: 0.0,
            mean_ms: Some(1.0),
            p50_ms: Some(1.0),
            p99_ms: Some(p99),
            queue_mean: 2.0,
            cache_hit_ratio: None,
            fleet: vec![t],
            backlog: Vec::new(),
        }
    }

    #[test]
    fn downsampling_keeps_means_and_the_worst_p99() {
        let rows: Vec<SeriesRow> = (0..10).map(|i| row(f64::from(i), if i == 4 { 50.0 } else { 5.0 })).collect();
        assert_eq!(downsample(&rows, 10).1, 1);
        let (b, k) = downsample(&rows, 4);
        assert_eq!((b.len(), k), (4, 3));
        assert_eq!(b[1].start_s, 3.0);
        assert_eq!(b[1].throughput_rps, 4.0, "mean of 3, 4, 5");
        assert_eq!(b[1].p99_ms, Some(50.0), "the worst window");
        assert_eq!(b[3].fleet, [9.0], "a short last bucket");
    }
}
