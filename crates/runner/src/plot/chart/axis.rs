//! Scales and axes: where a value lies, the range a chart covers, and tick
//! positions and labels (1-2-5 steps, whole decades, percentiles or
//! category names).

use super::{Chart, Scale, Style};

impl Scale {
    /// Where `value` lies in axis space, or `None` if this scale cannot show it.
    pub(crate) fn transform(self, value: f64) -> Option<f64> {
        let position = match self {
            Scale::Linear => value,
            Scale::Log10 if value > 0.0 => value.log10(),
            Scale::InverseQuantile if (0.0..1.0).contains(&value) => -(1.0 - value).log10(),
            _ => return None,
        };
        position.is_finite().then_some(position)
    }

    /// The name the report's script knows the scale by.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Scale::Linear => "linear",
            Scale::Log10 => "log",
            Scale::InverseQuantile => "invq",
        }
    }
}

/// A `(min, max)` range in transformed space, if anything was seen.
pub(crate) type Range = Option<(f64, f64)>;

pub(crate) fn widen(range: &mut Range, position: Option<f64>) {
    if let Some(p) = position {
        *range = Some(range.map_or((p, p), |(min, max)| (min.min(p), max.max(p))));
    }
}

/// The x and y ranges of everything a chart shows; y is `None` without points.
pub(crate) fn data_ranges(chart: &Chart) -> (Range, Range) {
    let (x_scale, y_scale) = (chart.x_scale, chart.y_scale);
    let (mut x_range, mut y_range) = (None, None);
    // Where no value is negative, neither is the axis: an interval that
    // reaches below zero is cut at it.
    let non_negative = chart.series.iter().flat_map(|s| &s.points).all(|p| p.y >= 0.0 || p.y.is_nan());
    for series in &chart.series {
        for point in &series.points {
            if let (Some(x), Some(y)) = (x_scale.transform(point.x), y_scale.transform(point.y)) {
                let err = point.y_err.filter(|err| err.is_finite()).unwrap_or(0.0);
                widen(&mut x_range, Some(x));
                widen(&mut y_range, Some(y));
                let low = if non_negative { (point.y - err).max(0.0) } else { point.y - err };
                widen(&mut y_range, y_scale.transform(low));
                widen(&mut y_range, y_scale.transform(point.y + err));
                if series.style == Style::Bars {
                    widen(&mut y_range, y_scale.transform(0.0));
                }
            }
        }
    }
    if let (Some((lo, hi)), Some(cap)) = (y_range, chart.y_cap.and_then(|c| y_scale.transform(c))) {
        y_range = Some((lo.min(cap), hi.min(cap)));
    }
    for band in &chart.bands {
        widen(&mut x_range, x_scale.transform(band.x0));
        widen(&mut x_range, x_scale.transform(band.x1));
    }
    if !chart.categories.is_empty() {
        widen(&mut x_range, Some(-0.5));
        widen(&mut x_range, Some(chart.categories.len() as f64 - 0.5));
    }
    (x_range, y_range)
}

/// An axis: its ticks (position in transformed space, label) and the
/// range it spans, which the ticks cover.
pub(crate) struct Axis {
    pub scale: Scale,
    pub ticks: Vec<(f64, String)>,
    /// The ends of the axis in transformed space.
    pub lo: f64,
    pub hi: f64,
    /// Whether ticks are category names (no grid lines between them).
    pub categorical: bool,
}

impl Axis {
    pub fn new(scale: Scale, range: Range, from_zero: bool) -> Axis {
        let ticks = match scale {
            Scale::Linear => linear_ticks(range, from_zero),
            Scale::Log10 | Scale::InverseQuantile => decade_ticks(scale, range),
        };
        let lo = ticks.first().map_or(0.0, |tick| tick.0);
        let hi = ticks.last().map_or(1.0, |tick| tick.0);
        Axis { scale, ticks, lo, hi, categorical: false }
    }

    /// Category i at position i, the axis from -0.5 to n - 0.5.
    pub fn categories(names: &[String]) -> Axis {
        let ticks = names.iter().enumerate().map(|(i, name)| (i as f64, name.clone())).collect();
        Axis { scale: Scale::Linear, ticks, lo: -0.5, hi: names.len() as f64 - 0.5, categorical: true }
    }

    pub fn fraction(&self, position: f64) -> f64 {
        (position - self.lo) / (self.hi - self.lo).max(f64::MIN_POSITIVE)
    }

    /// Fraction along the axis for `value`; values outside the scale's domain
    /// are pinned to the nearer end. NaN gives `None`.
    pub fn pinned(&self, value: f64) -> Option<f64> {
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
pub(crate) fn linear_ticks(range: Range, from_zero: bool) -> Vec<(f64, String)> {
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
pub(crate) fn decade_ticks(scale: Scale, range: Range) -> Vec<(f64, String)> {
    let (min, max) = range.unwrap_or((0.0, 1.0));
    let lo = (min + 1e-9).floor();
    let span = (max - 1e-9).ceil().max(lo + 1.0) - lo;
    let stride = (span / 8.0).ceil();
    let decade = |i| lo + i as f64 * stride;
    let count = (span / stride).ceil() as usize;
    (0..=count).map(|i| (decade(i), decade_label(scale, decade(i) as i32))).collect()
}

pub(crate) fn decade_label(scale: Scale, decade: i32) -> String {
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
pub(crate) fn format_tick(value: f64, step: f64) -> String {
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
