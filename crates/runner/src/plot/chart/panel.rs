//! One chart drawn as a panel: grid, ticks, shaded spans, series, legend,
//! and (embedded in the report) the data behind the marks.

use std::fmt::Write;

use super::axis::{Axis, Range, data_ranges};
use super::svg::{CHAR_WIDTH, Px, Rect, Svg, escape, shorten, sig, text_width, vertex, widest};
use super::{Band, BandKind, Chart, Series, Style};
use crate::plot::theme::{BAND_FILL, PALETTE};

const DASH: &str = r#" stroke-dasharray="6 4""#;
const MIDDLE: &str = r#"text-anchor="middle""#;
const LABEL_STYLE: &str = r#"font-size="12" text-anchor="middle""#;
/// Series with at most this many points get a marker at every point.
const MARKER_LIMIT: usize = 40;
/// Length of a legend swatch.
const SWATCH: f64 = 22.0;
/// Legend rows at most; further series are counted in a last row.
const LEGEND_ROWS: usize = 12;

/// The attributes of a shaded span of this kind.
fn band_style(kind: BandKind) -> String {
    let (name, fill) = BAND_FILL[kind.index()];
    let opacity = if kind == BandKind::Fault { "0.2" } else { "0.15" };
    format!(r#"class="band band-{name}" fill="{fill}" fill-opacity="{opacity}""#)
}

/// A legend row.
enum LegendEntry<'a> {
    /// A series: its colour index, dash and style.
    Series(usize, &'a Series),
    Band(BandKind, &'a str),
    /// "+ n more" series that did not fit.
    More(usize),
}

/// A series' palette entry.
fn color_of(index: usize, series: &Series) -> usize {
    series.color.unwrap_or(index) % PALETTE.len()
}

/// Series first (each label, colour and style once: several points' series
/// share entries), then each distinct non-empty band label once.
fn legend_entries(chart: &Chart) -> Vec<LegendEntry<'_>> {
    let mut entries: Vec<LegendEntry<'_>> = Vec::new();
    for (i, series) in chart.series.iter().enumerate() {
        let color = color_of(i, series);
        let same = |e: &LegendEntry<'_>| match e {
            LegendEntry::Series(c, s) => {
                *c == color && s.label == series.label && s.dashed == series.dashed && s.style == series.style
            }
            _ => false,
        };
        if !entries.iter().any(same) {
            entries.push(LegendEntry::Series(color, series));
        }
    }
    if entries.len() > LEGEND_ROWS {
        let more = entries.len() - (LEGEND_ROWS - 1);
        entries.truncate(LEGEND_ROWS - 1);
        entries.push(LegendEntry::More(more));
    }
    let mut seen: Vec<&str> = Vec::new();
    for band in &chart.bands {
        if !band.label.is_empty() && !seen.contains(&band.label.as_str()) {
            seen.push(&band.label);
            entries.push(LegendEntry::Band(band.kind, &band.label));
        }
    }
    entries
}

impl LegendEntry<'_> {
    fn label(&self) -> String {
        match self {
            LegendEntry::Series(_, series) => series.label.clone(),
            LegendEntry::Band(_, label) => label.to_string(),
            LegendEntry::More(n) => format!("+ {n} more"),
        }
    }
}

/// How one series is drawn in its chart.
#[derive(Clone, Copy)]
struct Look {
    /// Its palette index.
    color: usize,
    /// Whether the chart is embedded in the report.
    embed: bool,
    /// For bars: this series' place among the chart's bar series, and how many there are.
    bar: Option<(usize, usize)>,
    /// Pixels to move markers sideways, so series at one category do not hide each other.
    dodge: f64,
}

/// Maps axis fractions `(x, y)` to panel pixels.
type ToPixels<'a> = &'a dyn Fn(f64, f64) -> (f64, f64);

/// One chart with its axes, legend and the side margins it needs.
pub(crate) struct Panel<'a> {
    chart: &'a Chart,
    x_axis: Axis,
    y_axis: Axis,
    has_points: bool,
    legend: Vec<LegendEntry<'a>>,
    legend_chars: usize,
}

impl<'a> Panel<'a> {
    pub fn new(chart: &'a Chart, shared_x: Range, width: f64) -> Self {
        let (x_range, y_range) = data_ranges(chart);
        let x_axis = if chart.categories.is_empty() {
            Axis::new(chart.x_scale, shared_x.or(x_range), false)
        } else {
            Axis::categories(&chart.categories)
        };
        Panel {
            chart,
            x_axis,
            y_axis: Axis::new(chart.y_scale, y_range, true),
            has_points: y_range.is_some(),
            legend: legend_entries(chart),
            legend_chars: ((width * 0.3 - SWATCH - 12.0) / CHAR_WIDTH).max(4.0) as usize,
        }
    }

    /// Room between the plot and the legend, clear of the last x tick label.
    fn legend_gap(&self) -> f64 {
        let last_label = if self.x_axis.categorical { "" } else { self.x_axis.ticks.last().map_or("", |tick| &tick.1) };
        (text_width(last_label) / 2.0 + 6.0).max(14.0)
    }

    /// Left and right margins around the plot area.
    pub fn margins(&self) -> (f64, f64) {
        let y_labels = widest(self.y_axis.ticks.iter().map(|tick| tick.1.as_str()));
        let left = y_labels + if self.chart.y_label.is_empty() { 16.0 } else { 34.0 };
        let legend = self.legend.iter().map(|entry| shorten(&entry.label(), self.legend_chars));
        let legend_width = legend.map(|label| text_width(&label) + SWATCH + 12.0);
        (left, self.legend_gap() + legend_width.fold(0.0, f64::max))
    }

    /// The x tick labels to write: every category name, shortened to its
    /// slot, or every k-th where slots are too narrow.
    fn x_labels(&self, width: f64) -> Vec<(f64, String)> {
        let ticks = &self.x_axis.ticks;
        if !self.x_axis.categorical || ticks.is_empty() {
            return ticks.clone();
        }
        let slot = width / ticks.len() as f64;
        let fits = (slot / CHAR_WIDTH).floor() as usize;
        let (stride, chars) = if fits >= 6 { (1, fits - 1) } else { ((6.0 * CHAR_WIDTH / slot).ceil() as usize, 6) };
        ticks.iter().step_by(stride.max(1)).map(|(p, label)| (*p, shorten(label, chars))).collect()
    }

    /// The data attributes of an embedded panel: the x axis's scale, its
    /// span in pixels and in axis space, and (for categories) their names.
    fn data_attributes(&self, left: f64, width: f64) -> String {
        let axis = &self.x_axis;
        let format = match (axis.categorical, self.chart.x_scale) {
            (true, _) => "cat",
            (false, super::Scale::InverseQuantile) => "pct",
            _ => "num",
        };
        let mut attrs = format!(
            r#" data-xs="{}" data-xf="{format}" data-xa="{} {} {} {}" data-xl="{}""#,
            axis.scale.name(),
            Px(left),
            Px(width),
            sig(axis.lo),
            sig(axis.hi),
            escape(&self.chart.x_label),
        );
        if axis.categorical {
            let names: Vec<String> = self.chart.categories.iter().map(|c| c.replace('|', "/")).collect();
            let _ = write!(attrs, r#" data-cats="{}""#, escape(&names.join("|")));
        }
        if self.shared_x()
            && let Some(first) = self.chart.series.first()
        {
            match self.progression(first) {
                Some((x0, dx)) => {
                    let _ = write!(attrs, r#" data-xr="{} {} {}""#, sig(x0), sig(dx), first.points.len());
                }
                None => {
                    let _ = write!(attrs, r#" data-x="{}""#, self.xs(first));
                }
            }
        }
        attrs
    }

    /// `(first, step)` when a series' x positions are evenly spaced (a time
    /// series), so the panel can give them as a start and a step.
    fn progression(&self, series: &Series) -> Option<(f64, f64)> {
        let scale = self.x_axis.scale;
        let xs: Vec<f64> = series.points.iter().map(|p| scale.transform(p.x)).collect::<Option<_>>()?;
        let (&x0, &x1) = (xs.first()?, xs.get(1)?);
        let dx = x1 - x0;
        let even = xs.iter().enumerate().all(|(i, x)| (x - (x0 + dx * i as f64)).abs() <= dx.abs() * 1e-6);
        // Exact in the four digits the read-outs use.
        let exact = sig(x0).parse::<f64>().ok() == Some(x0) && sig(dx).parse::<f64>().ok() == Some(dx);
        (even && exact && dx != 0.0).then_some((x0, dx))
    }

    /// A series' x positions in axis space, for the read-outs.
    fn xs(&self, series: &Series) -> String {
        let scale = self.x_axis.scale;
        let xs: Vec<String> = series.points.iter().map(|p| scale.transform(p.x).map_or("-".into(), sig)).collect();
        xs.join(" ")
    }

    /// Whether every series has the same x values (written once, on the panel).
    fn shared_x(&self) -> bool {
        let series = &self.chart.series;
        series.iter().all(|s| {
            s.points.len() == series[0].points.len() && s.points.iter().zip(&series[0].points).all(|(a, b)| a.x == b.x)
        })
    }

    /// Draws the panel `offset` pixels down with the given margins; data is
    /// clipped to the plot area.
    pub fn draw(
        &self,
        svg: &mut Svg,
        embed: Option<&str>,
        index: usize,
        offset: Px,
        size: (f64, f64),
        (left, right): (f64, f64),
    ) {
        let (chart, x_axis, y_axis) = (self.chart, &self.x_axis, &self.y_axis);
        let top = if chart.title.is_empty() { 14.0 } else { 34.0 };
        let bottom = if chart.x_label.is_empty() { 26.0 } else { 44.0 };
        let width = (size.0 - left - right).max(10.0);
        let height = (size.1 - top - bottom).max(10.0);
        let at = |x: f64, y: f64| (left + x * width, top + (1.0 - y) * height);
        let (mid_x, mid_y) = at(0.5, 0.5);
        let plot = ((left, top), (width, height));
        let id = format!("{}clip{index}", embed.unwrap_or(""));

        let data = embed.map(|_| self.data_attributes(left, width)).unwrap_or_default();
        svg.element(format_args!(r#"<g class="panel" transform="translate(0,{offset})"{data}>"#));
        svg.element(format_args!(r#"<defs><clipPath id="{id}">"#));
        svg.rect(plot, "");
        svg.element(format_args!("</clipPath></defs>"));
        let mut grid = String::new();
        svg.element(format_args!(r#"<g {MIDDLE}>"#));
        for (position, label) in self.x_labels(width) {
            let (x, y) = at(x_axis.fraction(position), 0.0);
            if !x_axis.categorical {
                let _ = write!(grid, "M{} {}V{}", Px(x), Px(y), Px(top));
            }
            svg.text((x, y + 16.0), "", &label);
        }
        svg.element(format_args!(r#"</g><g text-anchor="end">"#));
        for (position, label) in &y_axis.ticks {
            let (x, y) = at(0.0, y_axis.fraction(*position));
            let _ = write!(grid, "M{} {}H{}", Px(x), Px(y), Px(left + width));
            svg.text((x - 6.0, y + 4.0), "", label);
        }
        svg.element(format_args!("</g>"));
        svg.element(format_args!(r##"<path class="grid" d="{grid}" stroke="#e4e4e4" fill="none"/>"##));

        svg.element(format_args!(r#"<g clip-path="url(#{id})">"#));
        for band in &chart.bands {
            self.write_band(svg, band, embed.is_some(), &at, (top, height));
        }
        // Bars, and markers at one category, of one point's series sit side
        // by side: the place of a series among its point's series of its style.
        let place = |i: usize| {
            let series = &chart.series[i];
            let peer = |s: &&Series| s.point == series.point && s.style == series.style;
            let before = chart.series[..i].iter().filter(peer).count();
            (before, chart.series.iter().filter(peer).count())
        };
        let slot = width / x_axis.ticks.len().max(1) as f64;
        for (i, series) in chart.series.iter().enumerate() {
            let (index, count) = place(i);
            let bar = (series.style == Style::Bars).then_some((index, count));
            let dodge = if series.style == Style::Markers && x_axis.categorical {
                let step = (slot * 0.6 / count.max(1) as f64).min(10.0);
                (index as f64 - (count as f64 - 1.0) / 2.0) * step
            } else {
                0.0
            };
            let look = Look { color: color_of(i, series), embed: embed.is_some(), bar, dodge };
            self.write_series(svg, series, &look, &at, width);
        }
        if embed.is_some() {
            for mark in &chart.marks {
                if let Some(f) = x_axis.pinned(mark.x) {
                    let (x, _) = at(f, 0.0);
                    let (x, y0, y1) = (Px(x), Px(top), Px(top + height));
                    let point = mark.point;
                    svg.element(format_args!(r#"<path class="mark" data-point="{point}" d="M{x} {y0}V{y1}"/>"#));
                }
            }
        }
        svg.element(format_args!("</g>"));
        svg.rect(plot, r##"class="frame" fill="none" stroke="#444""##);

        let title_style = r#"font-size="15" font-weight="bold" text-anchor="middle""#;
        svg.text((mid_x, 22.0), title_style, &chart.title);
        svg.text((mid_x, top + height + 36.0), LABEL_STYLE, &chart.x_label);
        let rotated = format!(r#"transform="rotate(-90 14 {})" {LABEL_STYLE}"#, Px(mid_y));
        svg.text((14.0, mid_y), &rotated, &chart.y_label);
        if !self.has_points {
            let note_style = r##"class="note" font-size="13" fill="#888" text-anchor="middle""##;
            svg.text((mid_x, mid_y), note_style, "no data");
        }
        self.write_legend(svg, left + width + self.legend_gap(), top);
        svg.element(format_args!("</g>"));
    }

    fn write_band(&self, svg: &mut Svg, band: &Band, embed: bool, at: ToPixels, (top, height): (f64, f64)) {
        let Some((a, b)) = self.x_axis.pinned(band.x0).zip(self.x_axis.pinned(band.x1)) else { return };
        let (x0, x1) = (at(a.min(b), 0.0).0, at(a.max(b), 0.0).0);
        let mut style = band_style(band.kind);
        if embed && let Some(point) = band.point {
            let _ = write!(style, r#" data-point="{point}""#);
        }
        if embed && !band.label.is_empty() {
            let ((x, y), (w, h)) = ((x0, top), (x1 - x0, height));
            let (x, y, w, h, label) = (Px(x), Px(y), Px(w), Px(h), escape(&band.label));
            svg.element(format_args!(
                r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" {style}><title>{label}</title></rect>"#
            ));
        } else {
            svg.rect(((x0, top), (x1 - x0, height)), &style);
        }
    }

    fn write_legend(&self, svg: &mut Svg, legend_x: f64, top: f64) {
        for (row, entry) in self.legend.iter().enumerate() {
            let y = top + 10.0 + row as f64 * 18.0;
            match entry {
                LegendEntry::Series(color, series) => {
                    let (x, y) = (Px(legend_x), Px(y));
                    let hex = PALETTE[*color];
                    if series.style == Style::Markers {
                        let (cx, cy) = (Px(legend_x + SWATCH / 2.0), y);
                        svg.element(format_args!(
                            r#"<circle class="dot c{color}" cx="{cx}" cy="{cy}" r="3.5" fill="{hex}"/>"#
                        ));
                    } else if series.style == Style::Bars {
                        let (y, w) = (Px(y.0 - 5.0), Px(SWATCH));
                        svg.element(format_args!(
                            r#"<rect class="bar c{color}" x="{x}" y="{y}" width="{w}" height="10" fill="{hex}"/>"#
                        ));
                    } else {
                        let dash = if series.dashed { DASH } else { "" };
                        let style = format!(r#"stroke="{hex}" stroke-width="2"{dash}"#);
                        svg.element(format_args!(r#"<path class="line c{color}" d="M{x} {y}h{SWATCH}" {style}/>"#));
                    }
                }
                LegendEntry::Band(kind, _) => svg.rect(((legend_x, y - 5.0), (SWATCH, 10.0)), &band_style(*kind)),
                LegendEntry::More(_) => {}
            }
            let label = shorten(&entry.label(), self.legend_chars);
            svg.text((legend_x + SWATCH + 6.0, y + 4.0), "", &label);
        }
    }

    /// One series in a `<g class="series cK">`: its band or error bars,
    /// line, markers or bars, and (embedded) its data.
    fn write_series(&self, svg: &mut Svg, series: &Series, look: &Look, at: ToPixels, width: f64) {
        let Look { color, embed, bar, dodge } = *look;
        let (x_axis, y_axis) = (&self.x_axis, &self.y_axis);
        let hex = PALETTE[color];
        let mut open = format!(r#"<g class="series c{color}""#);
        if embed {
            if let Some(point) = series.point {
                let _ = write!(open, r#" data-point="{point}""#);
            }
            let ys: Vec<String> = series.points.iter().map(|p| sig(p.y)).collect();
            let _ = write!(open, r#" data-label="{}" data-y="{}""#, escape(&series.label), ys.join(" "));
            if series.points.iter().any(|p| p.y_err.is_some()) {
                let es: Vec<String> = series.points.iter().map(|p| sig(p.y_err.unwrap_or(f64::NAN))).collect();
                let _ = write!(open, r#" data-e="{}""#, es.join(" "));
            }
            if !self.shared_x() {
                let _ = write!(open, r#" data-x="{}""#, self.xs(series));
            }
        }
        svg.element(format_args!("{open}>"));

        // Pixel positions of the showable points, split where one is not.
        let (mut segments, mut current) = (Vec::new(), Vec::new());
        for point in &series.points {
            let x = x_axis.scale.transform(point.x);
            let Some((x, y)) = x.zip(y_axis.scale.transform(point.y)) else {
                segments.push(std::mem::take(&mut current));
                continue;
            };
            let (px, py) = at(x_axis.fraction(x), y_axis.fraction(y));
            let px = px + dodge;
            let err = point.y_err.filter(|err| err.is_finite() && *err > 0.0);
            let low = err.and_then(|err| y_axis.pinned(point.y - err)).map(|f| at(0.0, f).1);
            let high = err.and_then(|err| y_axis.pinned(point.y + err)).map(|f| at(0.0, f).1);
            current.push((px, py, low.zip(high), point));
        }
        segments.push(current);

        let dash = if series.dashed { DASH } else { "" };
        for segment in segments.iter().filter(|segment| !segment.is_empty()) {
            if series.band && series.style == Style::Line {
                let upper = segment.iter().map(|&(x, y, e, _)| (x, e.map_or(y, |e| e.1)));
                let lower = segment.iter().rev().map(|&(x, y, e, _)| (x, e.map_or(y, |e| e.0)));
                let d: Vec<String> = upper.chain(lower).map(|(x, y)| vertex(x, y, embed)).collect();
                if segment.iter().any(|s| s.2.is_some()) {
                    let d = d.join(" ");
                    svg.element(format_args!(
                        r#"<polygon class="ci" points="{d}" fill="{hex}" fill-opacity="0.18" stroke="none"/>"#
                    ));
                }
            } else if series.style != Style::Bars {
                for &(x, _, e, _) in segment {
                    if let Some((low, high)) = e {
                        let (low, high, mid, cap) = (Px(low), Px(high), Px(x), Px(x - 3.0));
                        let path = format!("M{mid} {low}V{high}M{cap} {low}h6M{cap} {high}h6");
                        svg.element(format_args!(r#"<path class="err" d="{path}" stroke="{hex}"/>"#));
                    }
                }
            }
            match series.style {
                Style::Line => {
                    if segment.len() > 1 {
                        let style = format!(r#"fill="none" stroke="{hex}" stroke-width="1.8"{dash}"#);
                        let points: Vec<String> = segment.iter().map(|s| vertex(s.0, s.1, embed)).collect();
                        let points = points.join(" ");
                        svg.element(format_args!(r#"<polyline class="line" points="{points}" {style}/>"#));
                    }
                    if series.points.len() <= MARKER_LIMIT || segment.len() == 1 {
                        for &(x, y, ..) in segment {
                            let (x, y) = (Px(x), Px(y));
                            svg.element(format_args!(
                                r#"<circle class="dot" cx="{x}" cy="{y}" r="2.5" fill="{hex}"/>"#
                            ));
                        }
                    }
                }
                Style::Markers => {
                    for &(x, y, ..) in segment {
                        let (x, y) = (Px(x), Px(y));
                        svg.element(format_args!(r#"<circle class="dot" cx="{x}" cy="{y}" r="3.5" fill="{hex}"/>"#));
                    }
                }
                Style::Bars => {
                    let (index, count) = bar.unwrap_or((0, 1));
                    let slots = if x_axis.categorical { x_axis.ticks.len() } else { series.points.len() + 1 };
                    let bar_width = (0.8 * width / slots.max(1) as f64 / count as f64).min(60.0);
                    let base = y_axis.pinned(0.0).map_or(at(0.0, 0.0).1, |f| at(0.0, f).1);
                    for &(x, y, e, point) in segment {
                        let x0 = x + (index as f64 - count as f64 / 2.0) * bar_width;
                        if let Some((low, high)) = e {
                            let centre = x0 + bar_width / 2.0;
                            let (low, high, mid, cap) = (Px(low), Px(high), Px(centre), Px(centre - 3.0));
                            let path = format!("M{mid} {low}V{high}M{cap} {low}h6M{cap} {high}h6");
                            svg.element(format_args!(r#"<path class="err" d="{path}" stroke="{hex}"/>"#));
                        }
                        let rect = ((x0, y.min(base)), (bar_width, (base - y).abs()));
                        let tip = match point.y_err {
                            Some(e) if e.is_finite() => format!("{}: {} ± {}", series.label, sig(point.y), sig(e)),
                            _ => format!("{}: {}", series.label, sig(point.y)),
                        };
                        let ((rx, ry), (rw, rh)): Rect = rect;
                        let (rx, ry, rw, rh) = (Px(rx), Px(ry), Px(rw), Px(rh));
                        // The report reads bars out on hover; files get a tooltip.
                        let tip = if embed { String::new() } else { format!("<title>{}</title>", escape(&tip)) };
                        svg.element(format_args!(
                            r#"<rect class="bar" x="{rx}" y="{ry}" width="{rw}" height="{rh}" fill="{hex}" fill-opacity="0.75">{tip}</rect>"#
                        ));
                    }
                }
            }
        }
        svg.element(format_args!("</g>"));
    }
}
