//! Writing SVG text: coordinates with one decimal, escaped text, and the
//! rough text metrics layout needs. Shared by the charts and the topology
//! picture.

use std::fmt::{self, Write};

/// Rough width of one character of 11px text, used for layout.
pub(crate) const CHAR_WIDTH: f64 = 6.5;

/// A coordinate printed with one decimal; adding 0.0 turns -0.0 into 0.0.
pub(crate) struct Px(pub f64);

impl fmt::Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}", (self.0 * 10.0).round() / 10.0 + 0.0)
    }
}

/// A coordinate rounded to a whole pixel, for the many vertices of lines
/// embedded in the report (half a pixel is invisible, and a 64-point page
/// stays small).
pub(crate) struct Px0(pub f64);

impl fmt::Display for Px0 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.0}", self.0.round() + 0.0)
    }
}

/// A vertex `x,y`: one decimal, or whole pixels when `coarse`.
pub(crate) fn vertex(x: f64, y: f64, coarse: bool) -> String {
    if coarse { format!("{},{}", Px0(x), Px0(y)) } else { format!("{},{}", Px(x), Px(y)) }
}

/// A value for the report's read-outs: four significant digits, no
/// exponent for everyday magnitudes, `-` when it is not finite.
pub(crate) fn sig(value: f64) -> String {
    if !value.is_finite() {
        return "-".into();
    }
    if value == 0.0 {
        return "0".into();
    }
    let magnitude = value.abs().log10().floor() as i32;
    if !(-6..=12).contains(&magnitude) {
        return format!("{value:.3e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    let mut text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.truncate(text.trim_end_matches('0').trim_end_matches('.').len());
    }
    if text == "-0" { "0".into() } else { text }
}

pub(crate) fn escape(text: &str) -> String {
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    escaped.replace('"', "&quot;").replace('\'', "&apos;")
}

/// `text` cut to at most `max_chars` characters, ending in an ellipsis if cut.
pub(crate) fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    text.chars().take(max_chars.saturating_sub(1)).chain(['…']).collect()
}

pub(crate) fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_WIDTH
}

/// Estimated width of the widest of `texts`.
pub(crate) fn widest<'t>(texts: impl Iterator<Item = &'t str>) -> f64 {
    texts.map(text_width).fold(0.0, f64::max)
}

/// A rectangle as `((left, top), (width, height))`.
pub(crate) type Rect = ((f64, f64), (f64, f64));

/// SVG markup being built; every number in it is written through [`Px`].
pub(crate) struct Svg(pub String);

impl Svg {
    pub fn element(&mut self, args: fmt::Arguments<'_>) {
        // Writing into a String cannot fail.
        let _ = self.0.write_fmt(args);
        self.0.push('\n');
    }

    pub fn rect(&mut self, ((x, y), (w, h)): Rect, style: &str) {
        let (x, y, w, h) = (Px(x), Px(y), Px(w), Px(h));
        self.element(format_args!(r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" {style}/>"#));
    }

    /// A text element; empty text is left out.
    pub fn text(&mut self, (x, y): (f64, f64), style: &str, content: &str) {
        if !content.is_empty() {
            let (x, y, content) = (Px(x), Px(y), escape(content));
            let space = if style.is_empty() { "" } else { " " };
            self.element(format_args!(r#"<text x="{x}" y="{y}"{space}{style}>{content}</text>"#));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_out_values_have_four_significant_digits() {
        assert_eq!(sig(1234.5678), "1235");
        assert_eq!(sig(0.012346), "0.01235");
        assert_eq!(sig(2.5), "2.5");
        assert_eq!(sig(-0.0), "0");
        assert_eq!(sig(f64::NAN), "-");
        assert_eq!(sig(1e20), "1.000e20");
    }
}
