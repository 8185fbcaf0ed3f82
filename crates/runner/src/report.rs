//! `report.html`: one self-contained page per results directory, for people
//! to open and share.
//!
//! It shows the header (model, experiment, seed, replications, binary
//! version, the command that reproduces it), the SLO verdicts with their
//! deciding intervals, the sortable points table, and for the selected
//! point its details, its topology (coloured by load, edges labelled with
//! calls per second), its time series and its utilisation by component;
//! across points, latency against the swept axis and the percentile
//! spectra. Every chart is drawn by [`crate::plot`], the renderer of the
//! SVG files and the README's figures; the page only shows, hides and
//! highlights them, and reads values out on hover.
//!
//! Like every other result file it is derived from `plan.json` and the
//! point files, so it is byte-identical for the same inputs. It loads
//! nothing: its style and script are inline, and its Content Security
//! Policy forbids any request.

mod details;
mod figures;
mod tables;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::io;
use std::path::Path;

use serde::Serialize;
use tailsim_components::topology::Topology;
use tailsim_engine::stats::LatencyHistogram;

use crate::output::write_atomic;
use crate::plot::chart::render_embedded;
use crate::plot::chart::svg::{escape, sig};
use crate::plot::topology::{TopologyOptions, render_topology};
use crate::plot::{
    self, HEIGHT, WIDTH, downsample, latency_chart, merge_points, spectrum_chart, timeseries_charts, utilisation_chart,
};
use crate::record::PlanRecord;
use crate::summary::Summary;
use figures::{NodeFigure, edge_rates, node_figures, rate};

/// Time series in the report have at most this many rows per point:
/// longer ones are shown in buckets of consecutive windows, which keeps a
/// 64-point page small (see [`plot::downsample`]). Each panel holds every
/// point's lines once, on shared axes.
pub const REPORT_WINDOWS: usize = 100;
const PANEL_HEIGHT: u32 = 250;

const STYLE: &str = include_str!("report/page.css");
const SCRIPT: &str = include_str!("report/page.js");

/// Writes `report.html` into `dir`.
pub fn write_report(
    dir: &Path,
    plan: &PlanRecord,
    summary: &Summary,
    histograms: &[LatencyHistogram],
) -> io::Result<()> {
    write_atomic(&dir.join("report.html"), render_report(plan, summary, histograms).as_bytes())
}

/// What the page's script needs for one point.
#[derive(Serialize)]
struct PointData {
    index: usize,
    label: String,
    /// Which of the page's topology pictures is this point's.
    topology: usize,
    nodes: BTreeMap<String, NodeFigure>,
    edges: BTreeMap<String, String>,
}

/// Words for a shell: quoted where they hold anything but plain
/// characters.
fn shell(words: &[String]) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./=:,+-@%".contains(c);
    let quoted: Vec<String> =
        words
            .iter()
            .map(|w| {
                if !w.is_empty() && w.chars().all(plain) {
                    w.clone()
                } else {
                    format!("'{}'", w.replace('\'', r"'\''"))
                }
            })
            .collect();
    quoted.join(" ")
}

/// The page.
pub fn render_report(plan: &PlanRecord, summary: &Summary, histograms: &[LatencyHistogram]) -> String {
    let name = summary.experiment.clone().unwrap_or_else(|| summary.model.clone());
    let mut topologies: Vec<&Topology> = vec![&plan.topology];
    let mut points = Vec::new();
    for p in &summary.points {
        let t = plan.topology_of(p.index);
        let k = topologies.iter().position(|x| *x == t).unwrap_or_else(|| {
            topologies.push(t);
            topologies.len() - 1
        });
        points.push(PointData {
            index: p.index,
            label: tables::label(p),
            topology: k,
            nodes: node_figures(t, p).into_iter().collect(),
            edges: edge_rates(t, p).into_iter().map(|(k, r)| (k, rate(r))).collect(),
        });
    }
    let first = summary.points.first();

    let mut page = String::with_capacity(256 * 1024);
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <link rel=\"icon\" href=\"data:,\">\n<title>tailsim report: {}</title>\n<style>\n{STYLE}\
         @media (prefers-color-scheme: dark) {{\n{}\n}}\n</style>\n</head>\n<body>\n",
        escape(&name),
        plot::theme::dark_rules()
    );
    header(&mut page, plan, summary, &name);
    page.push_str("<main>\n<section id=\"slos\">\n<h2>SLO verdicts</h2>\n");
    page.push_str(
        "<p class=\"note\">How to read this: each SLO is checked against each point's mean over replications; \
         next to the verdict is that mean with its 95% interval. ≈ marks an interval that contains the threshold: \
         the verdict could go either way with more replications.</p>\n",
    );
    page.push_str(&tables::slo_table(summary));
    page.push_str("</section>\n<section id=\"points\">\n<h2>Points</h2>\n");
    page.push_str(
        "<p class=\"note\">Click a column heading to sort by it, and a row (or press Enter on it) to select that point: \
         the sections below follow the selection. Figures are means over replications ± the 95% Student-t half-width.</p>\n",
    );
    page.push_str(&tables::points_table(summary));
    page.push_str("</section>\n");

    let label = first.map(tables::label).unwrap_or_default();
    let _ = write!(
        page,
        "<section id=\"selected\">\n<h2>Selected point: <span id=\"selected-label\">{}</span></h2>\n",
        escape(&label)
    );
    per_point(&mut page, "details", summary, details::point_details);
    topology_figure(&mut page, &topologies);
    let window =
        summary.points.iter().find_map(|p| (p.series.len() > 1).then(|| p.series[1].start_s - p.series[0].start_s));
    let buckets = summary.points.iter().map(|p| downsample(&p.series, REPORT_WINDOWS).1).max().unwrap_or(1);
    figure_open(&mut page, "timeseries", "Time series");
    let series =
        summary.points.iter().map(|p| (p.index, timeseries_charts(p, &downsample(&p.series, REPORT_WINDOWS).0)));
    page.push_str(&render_embedded(&merge_points(series.collect()), WIDTH, PANEL_HEIGHT, "ts-"));
    let mut note = String::from(
        "How to read this: each line is a per-window figure averaged over the replications, against simulated time, \
         for the selected point; the axes are the same for every point, so switching points shows what changed. \
         Shaded spans are the model's fault windows (grey), load spikes (orange) and hot-key windows (purple): \
         compare the lines inside a span with after it to see whether the system recovers on its own.",
    );
    if let Some(w) = window {
        let _ = write!(note, " A window is {} s.", sig(w));
    }
    if buckets > 1 {
        let _ = write!(
            note,
            " Long runs are drawn in buckets of up to {buckets} windows: each figure is its bucket's mean, \
             except p99, which is its worst window (timeseries.csv has every window)."
        );
    }
    figure_close(&mut page, &note);
    figure_open(&mut page, "utilisation", "Utilisation by component");
    let bars = summary.points.iter().map(|p| (p.index, vec![utilisation_chart(p)])).collect();
    page.push_str(&render_embedded(&merge_points(bars), WIDTH, 300, "ut-"));
    figure_close(
        &mut page,
        "How to read this: the fraction of the time each component's workers were busy, with its 95% interval; \
         datastores are shown shard by shard. Queues grow without bound as utilisation nears 1, so the component \
         closest to it is the bottleneck, and a shard far above its siblings is a hot shard.",
    );
    page.push_str("</section>\n<section id=\"across\">\n<h2>Across points</h2>\n");
    figure_open(&mut page, "latency", "Latency against the swept axis");
    match latency_chart(summary) {
        Some(c) => page.push_str(&render_embedded(&[c], WIDTH, HEIGHT, "lat-")),
        None => page.push_str("<p>Nothing was swept along a single axis, so there is no curve to draw.</p>\n"),
    }
    figure_close(
        &mut page,
        "How to read this: mean, p50 and p99 latency at each value of the swept axis, each with its 95% interval \
         as a shaded band (as bars for named values); the vertical line marks the selected point. \
         Where p99 bends up while the mean stays low, the slowest requests feel the load first.",
    );
    figure_open(&mut page, "spectrum", "Latency by percentile");
    let all: Vec<usize> = (0..summary.points.len()).collect();
    page.push_str(&render_embedded(&[spectrum_chart(summary, histograms, &all)], WIDTH, HEIGHT, "sp-"));
    figure_close(
        &mut page,
        "How to read this: each line is one point's latency at every percentile, all replications merged; the \
         selected point is drawn bold. The x axis stretches the tail so that 90%, 99% and 99.9% are equally \
         spaced: a flat line is predictable latency, a line that climbs at the right is a long tail.",
    );
    page.push_str("</section>\n</main>\n");
    let data = serde_json::json!({ "points": points });
    let json = serde_json::to_string(&data).expect("report data serialises").replace("</", "<\\/");
    let _ = write!(
        page,
        "<script type=\"application/json\" id=\"report-data\">{json}</script>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    );
    page
}

fn header(page: &mut String, plan: &PlanRecord, summary: &Summary, name: &str) {
    let reps: Vec<u32> = summary.points.iter().map(|p| p.replications).collect();
    let (lo, hi) = (reps.iter().min().copied().unwrap_or(0), reps.iter().max().copied().unwrap_or(0));
    let replications =
        if lo == hi { format!("{lo} per point") } else { format!("{lo} to {hi} per point (precision rule)") };
    let _ = write!(page, "<header>\n<h1>{}</h1>\n<dl class=\"meta\">\n", escape(name));
    let mut fact = |term: &str, value: String| {
        let _ = writeln!(page, "<div><dt>{term}</dt><dd>{value}</dd></div>");
    };
    fact("model", format!("<code>{}</code>", escape(&summary.model)));
    if let Some(e) = &summary.experiment {
        fact("experiment", format!("<code>{}</code>", escape(e)));
    }
    fact("seed", summary.seed.to_string());
    fact("replications", replications);
    fact("points", summary.points.len().to_string());
    if let Some(p) = summary.points.first() {
        fact(
            "simulated",
            format!(
                "{} s per replication, warm-up {} s ({})",
                sig(summary.duration_s),
                sig(p.warmup_s),
                escape(&p.warmup_method)
            ),
        );
    }
    fact("tailsim", escape(&summary.tailsim_version));
    page.push_str("</dl>\n");
    if plan.command.is_empty() {
        page.push_str("<p>The command that made this directory was not recorded (an older tailsim wrote it).</p>\n");
    } else {
        let mut words = vec!["tailsim".to_string()];
        words.extend(plan.command.iter().cloned());
        let dir = summary.experiment.clone().unwrap_or_else(|| summary.model.clone());
        let _ = writeln!(
            page,
            "<p>Reproduce it: <code class=\"command\">{}</code> (from the folder that path is relative to; it writes \
             <code>results/{}/report.html</code>, or into <code>--out DIR</code>).</p>",
            escape(&shell(&words)),
            escape(&dir)
        );
    }
    page.push_str(
        "<p class=\"note\">Every figure on this page is derived from <code>plan.json</code> and \
         <code>points/*/point.json</code> in this page's directory; <code>tailsim report DIR</code> rebuilds it.</p>\n</header>\n",
    );
}

/// One block per point, all but the first hidden; the script shows the
/// selected point's.
fn per_point(page: &mut String, id: &str, summary: &Summary, content: impl Fn(&crate::point::PointResult) -> String) {
    let _ = writeln!(page, "<div class=\"per-point\" id=\"{id}\">");
    for (k, p) in summary.points.iter().enumerate() {
        let hidden = if k == 0 { "" } else { " hidden" };
        let _ = writeln!(page, "<div data-point=\"{}\"{hidden}>\n{}</div>", p.index, content(p));
    }
    page.push_str("</div>\n");
}

fn figure_open(page: &mut String, id: &str, title: &str) {
    let _ = writeln!(page, "<figure id=\"{id}\" class=\"chart-figure\">\n<h3>{}</h3>", escape(title));
}

fn figure_close(page: &mut String, note: &str) {
    let _ =
        writeln!(page, "<div class=\"readout\" hidden></div>\n<figcaption>{}</figcaption>\n</figure>", escape(note));
}

fn topology_figure(page: &mut String, topologies: &[&Topology]) {
    figure_open(page, "topology", "Topology");
    for (k, t) in topologies.iter().enumerate() {
        let hidden = if k == 0 { "" } else { " hidden" };
        let svg = render_topology(t, &TopologyOptions { title: "", embed: Some(&format!("topo{k}-")) });
        let _ = writeln!(page, "<div class=\"topo\" data-topology=\"{k}\"{hidden}>\n{svg}</div>");
    }
    page.push_str(
        "<p class=\"levels\"><span class=\"swatch level-ok\"></span> utilisation below 70% (clients: errors below 0.1%) \
         <span class=\"swatch level-warm\"></span> below 85% (1%) <span class=\"swatch level-hot\"></span> below 95% (10%) \
         <span class=\"swatch level-over\"></span> above</p>\n",
    );
    figure_close(
        page,
        "How to read this: the model's components, drawn from the model file, from clients on the left to \
         datastores and queues on the right; dashed boxes are regions, small chips are the zones a component's \
         replicas are spread over. Arrows are calls, labelled with attempts per second at the selected point \
         (retries and hedges included); colour is utilisation (clients: their error rate). Hover a box for its figures.",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        let words: Vec<String> =
            ["tailsim", "sweep", "experiments/a b.toml", "--set", "x.y='z'"].map(String::from).into();
        assert_eq!(shell(&words), r#"tailsim sweep 'experiments/a b.toml' --set 'x.y='\''z'\'''"#);
    }
}
