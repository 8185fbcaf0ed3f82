//! Dependency-free SVG charts for tailsim's plots and report.
//!
//! [`render`] draws one [`Chart`]; [`render_panels`] stacks several charts
//! that share an x axis, such as throughput above p99 latency. Series are
//! lines (optionally with their confidence interval as a shaded band),
//! markers or bars; an x axis can be numeric or a list of categories.
//!
//! [`render_embedded`] draws the same charts for the HTML report: element
//! ids get a prefix so several charts can share a page, and the panels and
//! series carry their data (`data-*` attributes) for the page's hover
//! read-outs and point selection. The picture itself is the same.
//!
//! The output is deterministic: the same input always gives byte-identical
//! SVG, because every coordinate is printed with one decimal and nothing
//! depends on hashing or time. Values a scale cannot show (NaN, infinities,
//! non-positive values on a log axis, quantiles >= 1) are skipped and break
//! lines into segments.

mod axis;
mod panel;
pub(crate) mod svg;

use axis::{data_ranges, widen};
use panel::Panel;
use svg::{Px, Svg};

/// How an axis maps values to positions.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Scale {
    #[default]
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

/// How a series is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Style {
    /// A line through the points (markers too when there are few).
    #[default]
    Line,
    /// A marker at each point, not joined: for categories.
    Markers,
    /// A bar from zero to each point: for categories.
    Bars,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<Point>,
    /// draw a dashed line
    pub dashed: bool,
    pub style: Style,
    /// Draw `y_err` as a shaded band around the line instead of error bars.
    pub band: bool,
    /// The sweep point this series shows, if it is one point's (the report
    /// highlights it, or shows only it, when that point is selected). Bars
    /// and markers are placed side by side among the series of one point.
    pub point: Option<usize>,
    /// The palette entry to draw it in; by default its place in the chart.
    pub color: Option<usize>,
}

/// What a shaded span stands for; each kind has its own colour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BandKind {
    /// A fault window.
    #[default]
    Fault,
    /// A load spike.
    Load,
    /// A hot-key window.
    HotKey,
}

impl BandKind {
    fn index(self) -> usize {
        match self {
            BandKind::Fault => 0,
            BandKind::Load => 1,
            BandKind::HotKey => 2,
        }
    }
}

/// A shaded span of the x axis, such as a fault window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Band {
    pub x0: f64,
    pub x1: f64,
    pub label: String,
    pub kind: BandKind,
    /// The sweep point it belongs to, in a chart of several points' series.
    pub point: Option<usize>,
}

/// A vertical line at `x` that the report shows while sweep point `point`
/// is selected (standalone SVGs leave marks out).
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub x: f64,
    pub point: usize,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_scale: Scale,
    pub y_scale: Scale,
    pub series: Vec<Series>,
    pub bands: Vec<Band>,
    /// A categorical x axis: category i is at x = i and its tick shows the
    /// name. Empty for a numeric axis.
    pub categories: Vec<String>,
    pub marks: Vec<Mark>,
    /// The y axis ends at this value at most (utilisation: 1), however far
    /// an interval reaches; marks beyond it are pinned to the edge.
    pub y_cap: Option<f64>,
}

/// One chart as a complete SVG document, `width` x `height` pixels.
pub fn render(chart: &Chart, width: u32, height: u32) -> String {
    render_panels(std::slice::from_ref(chart), width, height)
}

/// Several charts stacked vertically in one SVG document (for example
/// throughput above p99 latency, sharing the same x range). Each panel is
/// `width` x `panel_height`.
pub fn render_panels(charts: &[Chart], width: u32, panel_height: u32) -> String {
    document(charts, width, panel_height, None)
}

/// Like [`render_panels`], for inlining into the HTML report: ids start
/// with `id`, the page's stylesheet styles it, and the data travels with
/// the marks for the page's read-outs.
pub fn render_embedded(charts: &[Chart], width: u32, panel_height: u32, id: &str) -> String {
    document(charts, width, panel_height, Some(id))
}

fn document(charts: &[Chart], width: u32, panel_height: u32, embed: Option<&str>) -> String {
    let mut union_x = None;
    for (min, max) in charts.iter().filter(|c| c.categories.is_empty()).filter_map(|chart| data_ranges(chart).0) {
        widen(&mut union_x, Some(min));
        widen(&mut union_x, Some(max));
    }
    let first_scale = charts.first().map(|chart| chart.x_scale);
    let same_x_scale = charts.iter().all(|chart| Some(chart.x_scale) == first_scale && chart.categories.is_empty());
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
    let class = if embed.is_some() { r#" class="chart""# } else { "" };
    let mut svg = Svg(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\"{class} width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n"
    ));
    if embed.is_none() {
        svg.element(format_args!("{}", super::theme::standalone_style()));
    }
    svg.element(format_args!(r#"<rect class="bg" width="{width}" height="{height}" fill="white"/>"#));
    for (index, panel) in panels.iter().enumerate() {
        let offset = Px(index as f64 * size.1);
        panel.draw(&mut svg, embed, index, offset, size, margins);
    }
    svg.element(format_args!("</svg>"));
    svg.0
}

#[cfg(test)]
mod tests;
