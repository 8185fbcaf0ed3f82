//! The colours of the charts and the topology picture, light and dark.
//!
//! Elements carry their light colours as attributes, so an SVG file reads
//! the same in any viewer, and classes that the dark rules here restyle.
//! A standalone SVG embeds these rules in a `<style>` element under
//! `prefers-color-scheme: dark`; the report puts them once in its own
//! stylesheet, so every chart on the page follows the page's scheme.

use std::fmt::Write;

/// Series colours, cycled when a chart has more series than colours.
pub const PALETTE: [&str; 8] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

/// The same hues, lighter, for a dark background.
pub const PALETTE_DARK: [&str; 8] =
    ["#58a6ff", "#ff7b72", "#3fb950", "#ffa657", "#d2a8ff", "#c9a27e", "#f778ba", "#39c5cf"];

/// The fill of a shaded span: faults grey, load spikes orange, hot keys
/// purple (light scheme; the opacity keeps lines visible through it).
pub const BAND_FILL: [(&str, &str); 3] = [("fault", "#808080"), ("load", "#ff7f0e"), ("hot", "#9467bd")];

/// The outline of a topology node by kind (client, router, balancer,
/// service, cache, datastore, queue), light and dark.
pub const KIND_COLORS: [(&str, &str, &str); 7] = [
    ("client", "#1f77b4", "#58a6ff"),
    ("router", "#17becf", "#39c5cf"),
    ("balancer", "#8c564b", "#c9a27e"),
    ("service", "#2ca02c", "#3fb950"),
    ("cache", "#ff7f0e", "#ffa657"),
    ("datastore", "#9467bd", "#d2a8ff"),
    ("queue", "#e377c2", "#f778ba"),
];

/// The light outline of a node of this kind.
pub fn kind_color(kind: &str) -> &'static str {
    KIND_COLORS.iter().find(|k| k.0 == kind).map_or("#444", |k| k.1)
}

/// Rules that restyle charts and topology pictures for a dark background.
pub fn dark_rules() -> String {
    let mut css = String::from(
        ".bg{fill:#0d1117}text{fill:#e6edf3}.grid{stroke:#30363d}.frame{stroke:#8b949e}.note{fill:#8b949e}\
         .band-fault{fill:#8b949e}.band-load{fill:#ffa657}.band-hot{fill:#d2a8ff}\
         .node-box{fill:#161b22;stroke:#8b949e}.region-box{stroke:#8b949e}.zone-chip{fill:#21262d;stroke:#8b949e}\
         .edge{stroke:#8b949e}.arrow{fill:#8b949e}.halo{stroke:#0d1117}.muted{fill:#8b949e}",
    );
    for (kind, _, dark) in KIND_COLORS {
        let _ = write!(css, ".kind-{kind} .node-box{{stroke:{dark}}}");
    }
    for (i, color) in PALETTE_DARK.iter().enumerate() {
        let _ = write!(
            css,
            ".c{i} .line,.c{i} .err,.line.c{i}{{stroke:{color}}}.c{i} .dot,.c{i} .bar,.c{i} .ci,.bar.c{i},.dot.c{i}{{fill:{color}}}"
        );
    }
    css
}

/// The `<style>` element of a standalone SVG document.
pub fn standalone_style() -> String {
    format!("<style>@media (prefers-color-scheme:dark){{{}}}</style>", dark_rules())
}
