//! The report's tables: SLO verdicts per point, and the sortable points
//! table.

use std::fmt::Write;

use super::figures::{verdicts, with_ci};
use crate::plot::chart::svg::{escape, sig};
use crate::plot::short_path;
use crate::point::PointResult;
use crate::stats::Estimate;
use crate::summary::Summary;

/// A numeric cell: sorted by its mean, showing `mean ± half-width`.
fn cell(e: &Estimate) -> String {
    format!(r#"<td class="num" data-v="{}">{}</td>"#, sig(e.mean), escape(&with_ci(e)))
}

/// A parameter cell: sorted as a number when it is one.
fn parameter_cell(value: &str) -> String {
    format!(r#"<td data-v="{}">{}</td>"#, escape(value), escape(value))
}

/// Each SLO against each point, with the interval that decided it.
pub fn slo_table(summary: &Summary) -> String {
    if summary.slos.is_empty() {
        return "<p>This experiment states no SLOs.</p>\n".into();
    }
    let mut out = String::new();
    out.push_str("<p class=\"slo-totals\">");
    for outcome in &summary.slos {
        let total = outcome.passed + outcome.failed.len();
        let class = if outcome.failed.is_empty() { "pass" } else { "fail" };
        let _ = write!(
            out,
            r#"<span class="slo-total {class}"><code>{}</code>: {} of {total} points pass</span> "#,
            escape(&outcome.slo),
            outcome.passed
        );
    }
    out.push_str("</p>\n<div class=\"scroll\"><table class=\"slo\"><thead><tr><th>point</th>");
    for outcome in &summary.slos {
        let _ = write!(out, "<th><code>{}</code></th>", escape(&outcome.slo));
    }
    out.push_str("</tr></thead><tbody>\n");
    for p in &summary.points {
        let _ = write!(out, r#"<tr data-point="{}" tabindex="0"><td>{}</td>"#, p.index, escape(&label(p)));
        for v in verdicts(summary, p) {
            let (class, word) = if v.passed { ("pass", "pass") } else { ("fail", "fail") };
            let interval = v.estimate.map(|e| with_ci(&e)).unwrap_or_else(|| "no value".into());
            let close = if v.close {
                r#" <span class="close" title="the 95% interval contains the threshold: more replications could change this verdict">≈</span>"#
            } else {
                ""
            };
            let _ = write!(out, r#"<td class="{class}"><b>{word}</b> {}{close}</td>"#, escape(&interval));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// How a point is named in tables: its parameters, or "the model".
pub fn label(p: &PointResult) -> String {
    if p.parameters.is_empty() {
        format!("#{}", p.index)
    } else {
        let params: Vec<String> = p.parameters.iter().map(|(k, v)| format!("{}={v}", short_path(k))).collect();
        format!("#{} {}", p.index, params.join(", "))
    }
}

/// One row per point: parameters, replications, throughput, errors and
/// latency with 95% intervals, and SLOs met. Every column sorts.
pub fn points_table(summary: &Summary) -> String {
    let mut out = String::from("<div class=\"scroll\"><table class=\"points sortable\"><thead><tr>");
    out.push_str(r#"<th data-sort="num" aria-sort="ascending">#</th>"#);
    for axis in &summary.axes {
        let _ = write!(out, r#"<th data-sort="auto" title="{}">{}</th>"#, escape(axis), escape(&short_path(axis)));
    }
    for (name, title) in [
        ("reps", "replications"),
        ("throughput req/s", "answered requests per second"),
        ("goodput req/s", "successful requests per second"),
        ("error rate", "failed / answered"),
        ("mean ms", "mean latency of successful requests"),
        ("p50 ms", "median latency"),
        ("p99 ms", "99th percentile latency"),
        ("p99.9 ms", "99.9th percentile latency"),
    ] {
        let _ = write!(out, r#"<th data-sort="num" title="{title}">{name}</th>"#);
    }
    if !summary.slos.is_empty() {
        out.push_str(r#"<th data-sort="num" title="SLOs met at this point">SLOs met</th>"#);
    }
    out.push_str("</tr></thead><tbody>\n");
    for p in &summary.points {
        let h = &p.headline;
        let _ = write!(
            out,
            r#"<tr data-point="{}" tabindex="0"><td class="num" data-v="{}">{}</td>"#,
            p.index, p.index, p.index
        );
        for axis in &summary.axes {
            let value = p.parameters.iter().find(|(k, _)| k == axis).map_or("", |(_, v)| v.as_str());
            out.push_str(&parameter_cell(value));
        }
        let _ = write!(out, r#"<td class="num" data-v="{}">{}</td>"#, p.replications, p.replications);
        for e in [&h.throughput_rps, &h.goodput_rps, &h.error_rate, &h.mean_ms, &h.p50_ms, &h.p99_ms, &h.p999_ms] {
            out.push_str(&cell(e));
        }
        if !summary.slos.is_empty() {
            let met = verdicts(summary, p).iter().filter(|v| v.passed).count();
            let _ = write!(out, r#"<td class="num" data-v="{met}">{met} of {}</td>"#, summary.slos.len());
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    out
}
