//! Dependency-free SVG line charts for tailsim reports.
//!
//! [`render`] draws one [`Chart`]; [`render_panels`] stacks several charts
//! that share an x axis, such as throughput above p99 latency. The output is
//! deterministic: the same input always gives byte-identical SVG, because
//! every coordinate is printed with one decimal and nothing depends on hashing
//! or time. Values a scale cannot show (NaN, infinities, non-positive values
//! on a log axis, quantiles >= 1) are skipped and break lines into segments.

use std::fmt::{self, Write};

/// How an axis maps values to positions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    Linear,
    /// Base-10 logarithmic; non-positive values are skipped.
    Log10,
    /// For percentile spectra: a quantile p in [0, 1) is placed at -log10(1 - p),
    /// so 0.9, 0.99, 0.999 are equally spaced. Ticks are labelled as percentiles
    /// ("0%", "90%", "99%", "99.9%", "99.99%", ...). Values >= 1 are skipped.
    InverseQuantile,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    /// half-width of an error bar on y
    pub y_err: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<Point>,
    /// draw a dashed line
    pub dashed: bool,
}

/// A shaded span of the x axis, such as a fault window.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub x0: f64,
    pub x1: f64,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_scale: Scale,
    pub y_scale: Scale,
    pub series: Vec<Series>,
    pub bands: Vec<Band>,
}

/// Series colours, cycled when a chart has more series than colours.
const PALETTE: [&str; 8] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const BAND_STYLE: &str = r##"fill="#808080" fill-opacity="0.2""##;
const DASH: &str = r#" stroke-dasharray="6 4""#;
const MIDDLE: &str = r#"text-anchor="middle""#;
const LABEL_STYLE: &str = r#"font-size="12" text-anchor="middle""#;
/// Series with at most this many points get a marker at every point.
const MARKER_LIMIT: usize = 40;
/// Rough width of one character of 11px text, used for layout.
const CHAR_WIDTH: f64 = 6.5;
/// Length of a legend swatch.
const SWATCH: f64 = 22.0;

/// A coordinate printed with one decimal; adding 0.0 turns -0.0 into 0.0.
struct Px(f64);

impl fmt::Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}", (self.0 * 10.0).round() / 10.0 + 0.0)
    }
}

impl Scale {
    /// Where `value` lies in axis space, or `None` if this scale cannot show it.
    fn transform(self, value: f64) -> Option<f64> {
        let position = match self {
            Scale::Linear => value,
            Scale::Log10 if value > 0.0 => value.log10(),
            Scale::InverseQuantile if (0.0..1.0).contains(&value) => -(1.0 - value).log10(),
            _ => return None,
        };
        position.is_finite().then_some(position)
    }
}

/// A `(min, max)` range in transformed space, if anything was seen.
type Range = Option<(f64, f64)>;

fn widen(range: &mut Range, position: Option<f64>) {
    if let Some(p) = position {
        *range = Some(range.map_or((p, p), |(min, max)| (min.min(p), max.max(p))));
    }
}

/// The x and y ranges of everything a chart shows; y is `None` without points.
fn data_ranges(chart: &Chart) -> (Range, Range) {
    let (x_scale, y_scale) = (chart.x_scale, chart.y_scale);
    let (mut x_range, mut y_range) = (None, None);
    for point in chart.series.iter().flat_map(|series| &series.points) {
        if let (Some(x), Some(y)) = (x_scale.transform(point.x), y_scale.transform(point.y)) {
            let err = point.y_err.filter(|err| err.is_finite()).unwrap_or(0.0);
            widen(&mut x_range, Some(x));
            widen(&mut y_range, Some(y));
            widen(&mut y_range, y_scale.transform(point.y - err));
            widen(&mut y_range, y_scale.transform(point.y + err));
        }
    }
    for band in &chart.bands {
        widen(&mut x_range, x_scale.transform(band.x0));
        widen(&mut x_range, x_scale.transform(band.x1));
    }
    (x_range, y_range)
}

/// An axis: its ticks (position in transformed space, label) span its range.
struct Axis {
    scale: Scale,
    ticks: Vec<(f64, String)>,
}

impl Axis {
    fn new(scale: Scale, range: Range, from_zero: bool) -> Axis {
        let ticks = match scale {
            Scale::Linear => linear_ticks(range, from_zero),
            Scale::Log10 | Scale::InverseQuantile => decade_ticks(scale, range),
        };
        Axis { scale, ticks }
    }

    fn fraction(&self, position: f64) -> f64 {
        let lo = self.ticks.first().map_or(0.0, |tick| tick.0);
        let hi = self.ticks.last().map_or(1.0, |tick| tick.0);
        (position - lo) / (hi - lo).max(f64::MIN_POSITIVE)
    }

    /// Fraction along the axis for `value`; values outside the scale's domain
    /// are pinned to the nearer end. NaN gives `None`.
    fn pinned(&self, value: f64) -> Option<f64> {
        let fraction = match self.scale.transform(value) {
            Some(position) => self.fraction(position),
            None if value.is_nan() => return None,
            None if value >= 1.0 => 1.0,
            None => 0.0,
        };
        Some(fraction.clamp(0.0, 1.0))
    }
}

/// Linear ticks on 1-2-5 steps, at most eight, covering the range.
fn linear_ticks(range: Range, from_zero: bool) -> Vec<(f64, String)> {
    let (min, max) = range.unwrap_or((0.0, 1.0));
    let (mut lo, mut hi) = (min.max(-1e300), max.min(1e300));
    if hi - lo <= hi.abs() * 1e-9 {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo, hi) = (lo - pad, hi + pad);
    }
    if from_zero && min >= 0.0 {
        lo = 0.0;
    }
    let base = 10f64.powf(((hi - lo) / 7.0).log10().floor());
    let (mut step, mut first, mut last) = (base, 0.0, 1.0);
    for multiple in [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0] {
        step = base * multiple;
        (first, last) = ((lo / step + 1e-9).floor(), (hi / step - 1e-9).ceil());
        if last - first <= 7.0 {
            break;
        }
    }
    let count = (last - first).clamp(1.0, 20.0) as usize;
    let tick = |i| (first + i as f64) * step;
    (0..=count).map(|i| (tick(i), format_tick(tick(i), step))).collect()
}

/// Log or inverse-quantile ticks on whole decades, at most nine.
fn decade_ticks(scale: Scale, range: Range) -> Vec<(f64, String)> {
    let (min, max) = range.unwrap_or((0.0, 1.0));
    let lo = (min + 1e-9).floor();
    let span = (max - 1e-9).ceil().max(lo + 1.0) - lo;
    let stride = (span / 8.0).ceil();
    let decade = |i| lo + i as f64 * stride;
    let count = (span / stride).ceil() as usize;
    (0..=count).map(|i| (decade(i), decade_label(scale, decade(i) as i32))).collect()
}

fn decade_label(scale: Scale, decade: i32) -> String {
    match (scale, decade) {
        (Scale::InverseQuantile, ..=0) => "0%".into(),
        (Scale::InverseQuantile, 1) => "90%".into(),
        (Scale::InverseQuantile, 2) => "99%".into(),
        (Scale::InverseQuantile, _) => format!("99.{}%", "9".repeat(decade as usize - 2)),
        (_, -4..=9) => format_tick(10f64.powi(decade), 10f64.powi(decade)),
        _ => format!("1e{decade}"),
    }
}

/// A tick label with as many decimals as the tick `step` needs, trailing
/// zeros trimmed, and k/M/G suffixes for large values.
fn format_tick(value: f64, step: f64) -> String {
    let (divisor, suffix) = match value.abs() {
        magnitude if magnitude >= 1e9 => (1e9, "G"),
        magnitude if magnitude >= 1e6 => (1e6, "M"),
        magnitude if magnitude >= 1e3 => (1e3, "k"),
        _ => (1.0, ""),
    };
    let decimals = (-(step / divisor).log10()).ceil().clamp(0.0, 9.0) as usize;
    let mut text = format!("{:.*}", decimals, value / divisor);
    if text.contains('.') {
        text.truncate(text.trim_end_matches('0').trim_end_matches('.').len());
    }
    if text == "-0" {
        text.remove(0);
    }
    text + suffix
}

fn escape(text: &str) -> String {
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    escaped.replace('"', "&quot;").replace('\'', "&apos;")
}

/// `text` cut to at most `max_chars` characters, ending in an ellipsis if cut.
fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    text.chars().take(max_chars.saturating_sub(1)).chain(['…']).collect()
}

fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_WIDTH
}

/// Estimated width of the widest of `texts`.
fn widest<'t>(texts: impl Iterator<Item = &'t str>) -> f64 {
    texts.map(text_width).fold(0.0, f64::max)
}

/// A legend row: the series colour and dash style (`None` for a band), and its label.
type LegendEntry<'a> = (Option<(&'static str, bool)>, &'a str);

/// Series first, then each distinct non-empty band label once.
fn legend_entries(chart: &Chart) -> Vec<LegendEntry<'_>> {
    let colors = PALETTE.iter().cycle();
    let mut entries: Vec<LegendEntry<'_>> = (chart.series.iter().zip(colors))
        .map(|(series, &color)| (Some((color, series.dashed)), series.label.as_str()))
        .collect();
    for band in &chart.bands {
        if !band.label.is_empty() && !entries.contains(&(None, band.label.as_str())) {
            entries.push((None, &band.label));
        }
    }
    entries
}

/// A rectangle as `((left, top), (width, height))`.
type Rect = ((f64, f64), (f64, f64));
/// Maps axis fractions `(x, y)` to panel pixels.
type ToPixels<'a> = &'a dyn Fn(f64, f64) -> (f64, f64);

/// SVG markup being built; every number in it is written through [`Px`].
struct Svg(String);

impl Svg {
    fn element(&mut self, args: fmt::Arguments<'_>) {
        // Writing into a String cannot fail.
        let _ = self.0.write_fmt(args);
        self.0.push('\n');
    }

    fn rect(&mut self, ((x, y), (w, h)): Rect, style: &str) {
        let (x, y, w, h) = (Px(x), Px(y), Px(w), Px(h));
        self.element(format_args!(r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" {style}/>"#));
    }

    /// A text element; empty text is left out.
    fn text(&mut self, (x, y): (f64, f64), style: &str, content: &str) {
        if !content.is_empty() {
            let (x, y, content) = (Px(x), Px(y), escape(content));
            self.element(format_args!(r#"<text x="{x}" y="{y}" {style}>{content}</text>"#));
        }
    }
}

/// One chart with its axes, legend and the side margins it needs.
struct Panel<'a> {
    chart: &'a Chart,
    x_axis: Axis,
    y_axis: Axis,
    has_points: bool,
    legend: Vec<LegendEntry<'a>>,
    legend_chars: usize,
}

impl<'a> Panel<'a> {
    fn new(chart: &'a Chart, shared_x: Range, width: f64) -> Self {
        let (x_range, y_range) = data_ranges(chart);
        Panel {
            chart,
            x_axis: Axis::new(chart.x_scale, shared_x.or(x_range), false),
            y_axis: Axis::new(chart.y_scale, y_range, true),
            has_points: y_range.is_some(),
            legend: legend_entries(chart),
            legend_chars: ((width * 0.3 - SWATCH - 12.0) / CHAR_WIDTH).max(4.0) as usize,
        }
    }

    /// Room between the plot and the legend, clear of the last x tick label.
    fn legend_gap(&self) -> f64 {
        let last_label = self.x_axis.ticks.last().map_or("", |tick| &tick.1);
        (text_width(last_label) / 2.0 + 6.0).max(14.0)
    }

    /// Left and right margins around the plot area.
    fn margins(&self) -> (f64, f64) {
        let y_labels = widest(self.y_axis.ticks.iter().map(|tick| tick.1.as_str()));
        let left = y_labels + if self.chart.y_label.is_empty() { 16.0 } else { 34.0 };
        let legend = self.legend.iter().map(|entry| shorten(entry.1, self.legend_chars));
        let legend_width = legend.map(|label| text_width(&label) + SWATCH + 12.0);
        (left, self.legend_gap() + legend_width.fold(0.0, f64::max))
    }

    /// Draws the panel at the origin with the given margins; data is clipped to `clip{id}`.
    fn draw(&self, svg: &mut Svg, id: usize, size: (f64, f64), (left, right): (f64, f64)) {
        let (chart, x_axis, y_axis) = (self.chart, &self.x_axis, &self.y_axis);
        let top = if chart.title.is_empty() { 14.0 } else { 34.0 };
        let bottom = if chart.x_label.is_empty() { 26.0 } else { 44.0 };
        let width = (size.0 - left - right).max(10.0);
        let height = (size.1 - top - bottom).max(10.0);
        let at = |x: f64, y: f64| (left + x * width, top + (1.0 - y) * height);
        let (mid_x, mid_y) = at(0.5, 0.5);
        let plot = ((left, top), (width, height));

        svg.element(format_args!(r#"<defs><clipPath id="clip{id}">"#));
        svg.rect(plot, "");
        svg.element(format_args!("</clipPath></defs>"));
        let mut grid = String::new();
        for (position, label) in &x_axis.ticks {
            let (x, y) = at(x_axis.fraction(*position), 0.0);
            let _ = write!(grid, "M{} {}V{}", Px(x), Px(y), Px(top));
            svg.text((x, y + 16.0), MIDDLE, label);
        }
        for (position, label) in &y_axis.ticks {
            let (x, y) = at(0.0, y_axis.fraction(*position));
            let _ = write!(grid, "M{} {}H{}", Px(x), Px(y), Px(left + width));
            svg.text((x - 6.0, y + 4.0), r#"text-anchor="end""#, label);
        }
        svg.element(format_args!(r##"<path d="{grid}" stroke="#e4e4e4" fill="none"/>"##));

        svg.element(format_args!(r#"<g clip-path="url(#clip{id})">"#));
        for band in &chart.bands {
            if let Some((a, b)) = x_axis.pinned(band.x0).zip(x_axis.pinned(band.x1)) {
                let (x0, x1) = (at(a.min(b), 0.0).0, at(a.max(b), 0.0).0);
                svg.rect(((x0, top), (x1 - x0, height)), BAND_STYLE);
            }
        }
        for (series, color) in chart.series.iter().zip(PALETTE.iter().cycle()) {
            write_series(svg, series, color, [x_axis, y_axis], &at);
        }
        svg.element(format_args!("</g>"));
        svg.rect(plot, r##"fill="none" stroke="#444""##);

        let title_style = r#"font-size="15" font-weight="bold" text-anchor="middle""#;
        svg.text((mid_x, 22.0), title_style, &chart.title);
        svg.text((mid_x, top + height + 36.0), LABEL_STYLE, &chart.x_label);
        let rotated = format!(r#"transform="rotate(-90 14 {})" {LABEL_STYLE}"#, Px(mid_y));
        svg.text((14.0, mid_y), &rotated, &chart.y_label);
        if !self.has_points {
            let note_style = r##"font-size="13" fill="#888" text-anchor="middle""##;
            svg.text((mid_x, mid_y), note_style, "no data");
        }
        let legend_x = left + width + self.legend_gap();
        for (row, (line, label)) in self.legend.iter().enumerate() {
            let y = top + 10.0 + row as f64 * 18.0;
            match line {
                Some((color, dashed)) => {
                    let (x, y, dash) = (Px(legend_x), Px(y), if *dashed { DASH } else { "" });
                    let style = format!(r#"stroke="{color}" stroke-width="2"{dash}"#);
                    svg.element(format_args!(r#"<path d="M{x} {y}h{SWATCH}" {style}/>"#));
                }
                None => svg.rect(((legend_x, y - 5.0), (SWATCH, 10.0)), BAND_STYLE),
            }
            let label = shorten(label, self.legend_chars);
            svg.text((legend_x + SWATCH + 6.0, y + 4.0), "", &label);
        }
    }
}

/// One series: error bars, the line split at unshowable points, then markers.
fn write_series(svg: &mut Svg, series: &Series, color: &str, axes: [&Axis; 2], at: ToPixels) {
    let [x_axis, y_axis] = axes;
    let (mut segments, mut current) = (Vec::new(), Vec::new());
    for point in &series.points {
        let x = x_axis.scale.transform(point.x);
        let Some((x, y)) = x.zip(y_axis.scale.transform(point.y)) else {
            segments.push(std::mem::take(&mut current));
            continue;
        };
        let (x, y) = at(x_axis.fraction(x), y_axis.fraction(y));
        current.push((x, y));
        let err = point.y_err.filter(|err| err.is_finite() && *err > 0.0);
        let low = err.and_then(|err| y_axis.pinned(point.y - err));
        if let Some((low, high)) = low.zip(err.and_then(|err| y_axis.pinned(point.y + err))) {
            let (low, high) = (Px(at(0.0, low).1), Px(at(0.0, high).1));
            let (mid, cap) = (Px(x), Px(x - 3.0));
            let path = format!("M{mid} {low}V{high}M{cap} {low}h6M{cap} {high}h6");
            svg.element(format_args!(r#"<path class="error-bar" d="{path}" stroke="{color}"/>"#));
        }
    }
    segments.push(current);
    let dash = if series.dashed { DASH } else { "" };
    for segment in segments.iter().filter(|segment| !segment.is_empty()) {
        let format_point = |&(x, y): &(f64, f64)| format!("{},{}", Px(x), Px(y));
        let points: Vec<String> = segment.iter().map(format_point).collect();
        if segment.len() > 1 {
            let style = format!(r#"fill="none" stroke="{color}" stroke-width="1.8"{dash}"#);
            let points = points.join(" ");
            svg.element(format_args!(r#"<polyline points="{points}" {style}/>"#));
        }
        if series.points.len() <= MARKER_LIMIT || segment.len() == 1 {
            for (x, y) in points.iter().filter_map(|point| point.split_once(',')) {
                svg.element(format_args!(r#"<circle cx="{x}" cy="{y}" r="2.5" fill="{color}"/>"#));
            }
        }
    }
}

/// One chart as a complete SVG document, `width` x `height` pixels.
pub fn render(chart: &Chart, width: u32, height: u32) -> String {
    render_panels(std::slice::from_ref(chart), width, height)
}

/// Several charts stacked vertically in one SVG document (for example
/// throughput above p99 latency, sharing the same x range). Each panel is
/// `width` x `panel_height`.
pub fn render_panels(charts: &[Chart], width: u32, panel_height: u32) -> String {
    let mut union_x = None;
    for (min, max) in charts.iter().filter_map(|chart| data_ranges(chart).0) {
        widen(&mut union_x, Some(min));
        widen(&mut union_x, Some(max));
    }
    let first_scale = charts.first().map(|chart| chart.x_scale);
    let same_x_scale = charts.iter().all(|chart| Some(chart.x_scale) == first_scale);
    let shared_x = union_x.filter(|_| same_x_scale);
    let size = (f64::from(width), f64::from(panel_height));
    let new_panel = |chart| Panel::new(chart, shared_x, size.0);
    let panels: Vec<Panel> = charts.iter().map(new_panel).collect();
    // Shared margins keep the plot areas, and so the x axes, aligned.
    let mut margins = (0.0_f64, 0.0_f64);
    for (left, right) in panels.iter().map(Panel::margins) {
        margins = (margins.0.max(left), margins.1.max(right));
    }
    let height = panel_height.saturating_mul(u32::try_from(charts.len()).unwrap_or(u32::MAX));
    let mut svg = Svg(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"
    ));
    for (index, panel) in panels.iter().enumerate() {
        let offset = Px(index as f64 * size.1);
        svg.element(format_args!(r#"<g transform="translate(0,{offset})">"#));
        panel.draw(&mut svg, index, size, margins);
        svg.element(format_args!("</g>"));
    }
    svg.element(format_args!("</svg>"));
    svg.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use Scale::{InverseQuantile, Linear, Log10};

    fn series(label: &str, xy: &[(f64, f64)]) -> Series {
        let points = xy.iter().map(|&(x, y)| Point { x, y, y_err: None });
        let (label, points, dashed) = (label.to_owned(), points.collect(), false);
        Series { label, points, dashed }
    }

    fn chart(x_scale: Scale, y_scale: Scale, series: Vec<Series>) -> Chart {
        let (title, x_label, y_label) = ("Latency".into(), "time (s)".into(), "p99 (ms)".into());
        let bands = Vec::new();
        Chart { title, x_label, y_label, x_scale, y_scale, series, bands }
    }

    /// Renders one series at 400 x 300 and checks that the document is well formed.
    fn render_one(x_scale: Scale, y_scale: Scale, series: Vec<Series>) -> String {
        let svg = render(&chart(x_scale, y_scale, series), 400, 300);
        assert_document(&svg);
        svg
    }

    fn assert_document(svg: &str) {
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(!svg.contains("NaN") && !svg.contains("inf") && !svg.contains("-0.0"));
    }

    #[test]
    fn output_is_deterministic() {
        let xy: Vec<_> = (0..50).map(|i| (f64::from(i), f64::from(i * i))).collect();
        let mut sample = chart(Linear, Linear, vec![series("a", &xy)]);
        let (x0, x1, label) = (10.0, 20.0, "fault".to_owned());
        sample.bands.push(Band { x0, x1, label });
        let svg = render(&sample, 640, 360);
        assert_eq!(svg, render(&sample, 640, 360));
        assert_document(&svg);
        assert!(!svg.contains("<circle"), "no markers above 40 points");
    }

    #[test]
    fn text_is_escaped() {
        let mut sample = chart(Linear, Linear, vec![series("a<b> & \"c\"", &[])]);
        sample.title = "Tom's <chart>".into();
        let svg = render(&sample, 400, 300);
        assert!(svg.contains(">Tom&apos;s &lt;chart&gt;<"));
        assert!(svg.contains(">a&lt;b&gt; &amp; &quot;c&quot;<"));
    }

    #[test]
    fn nan_breaks_the_line() {
        let xy = [(0.0, 1.0), (1.0, 2.0), (2.0, f64::NAN), (3.0, 2.0), (4.0, 3.0)];
        let svg = render_one(Linear, Linear, vec![series("a", &xy)]);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 4);
    }

    #[test]
    fn log_scale_skips_non_positive_values() {
        let xy = [(1.0, 0.0), (2.0, -5.0), (3.0, 10.0), (4.0, 1000.0)];
        let svg = render_one(Linear, Log10, vec![series("a", &xy)]);
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains(">1k</text>") && svg.contains(">10</text>"));
    }

    #[test]
    fn empty_and_single_point_charts_render() {
        assert!(render_one(Linear, Log10, vec![]).contains("no data"));
        for scale in [Linear, Log10, InverseQuantile] {
            let svg = render_one(scale, scale, vec![series("one", &[(0.5, 0.5)])]);
            assert!(!svg.contains("no data"));
            assert_eq!(svg.matches("<circle").count(), 1);
        }
        let extreme = [(f64::INFINITY, 1e308), (-1e308, 1e308), (0.0, -1e308)];
        assert_document(&render(&chart(Linear, Linear, vec![series("", &extreme)]), 0, 0));
        assert_document(&render_panels(&[], 100, 100));
    }

    #[test]
    fn inverse_quantile_ticks_are_percentiles() {
        let xy = [(0.0, 1.0), (0.5, 2.0), (0.9, 3.0), (0.99, 4.0), (0.999, 5.0)];
        let svg = render_one(InverseQuantile, Linear, vec![series("p", &xy)]);
        for label in [">0%<", ">90%<", ">99%<", ">99.9%<"] {
            assert!(svg.contains(label), "missing {label}");
        }
        assert!(!svg.contains(">99.99%<"));
    }

    #[test]
    fn error_bars_are_drawn() {
        let mut with_error = series("a", &[(1.0, 5.0), (2.0, 6.0)]);
        with_error.points[0].y_err = Some(1.0);
        let svg = render_one(Linear, Log10, vec![with_error]);
        assert_eq!(svg.matches("class=\"error-bar\"").count(), 1);
    }

    #[test]
    fn panels_have_one_clip_path_each_and_share_x() {
        let top = chart(Linear, Linear, vec![series("rps", &[(0.0, 1.0), (60.0, 2.0)])]);
        let bottom = chart(Linear, Log10, vec![series("p99", &[(0.0, 1.0)])]);
        let svg = render_panels(&[top, bottom], 600, 250);
        assert_document(&svg);
        assert!(svg.contains("height=\"500\""));
        assert_eq!(svg.matches("<clipPath").count(), 2);
        assert!(svg.contains("id=\"clip0\"") && svg.contains("id=\"clip1\""));
        assert_eq!(svg.matches(">60</text>").count(), 2);
    }

    #[test]
    fn bands_appear_once_in_the_legend() {
        let mut sample = chart(Linear, Linear, vec![series("a", &[(0.0, 1.0), (9.0, 2.0)])]);
        for x0 in [1.0, 5.0] {
            let (x1, label) = (x0 + 1.0, "fault".to_owned());
            sample.bands.push(Band { x0, x1, label });
        }
        let svg = render(&sample, 500, 300);
        assert_eq!(svg.matches(">fault</text>").count(), 1);
        assert_eq!(svg.matches(BAND_STYLE).count(), 3, "two bands, one swatch");
    }

    #[test]
    fn ticks_are_nice_and_compact() {
        assert_eq!(format_tick(3.0 * 0.1, 0.1), "0.3");
        assert_eq!(format_tick(2500.0, 500.0), "2.5k");
        assert_eq!(format_tick(-0.0, 1.0), "0");
        assert_eq!(decade_label(Log10, -2), "0.01");
        assert_eq!(decade_label(InverseQuantile, 4), "99.99%");
        for (min, max) in [(0.0, 63.0), (3.2, 3.3), (-7.0, 1234.0), (1e-6, 2e-6)] {
            let ticks = linear_ticks(Some((min, max)), false);
            assert!((5..=9).contains(&ticks.len()), "{min}..{max}");
            assert!(ticks[0].0 <= min && ticks[ticks.len() - 1].0 >= max);
        }
    }
}
