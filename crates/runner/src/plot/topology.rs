//! The topology picture of a model (`tailsim graph`, the report), as SVG
//! or as Graphviz DOT.
//!
//! Layout is layered, left to right: each component's column is the
//! length of the longest call path that reaches it, so requests flow from
//! clients through routers and balancers to services, then caches and
//! datastores, with queues before their consumers. Within a column nodes
//! follow the kind order (clients, routers, balancers, services, caches,
//! datastores, queues), then sit near the average height of their callers.
//! Each region is a horizontal band drawn as a dashed box; a component's
//! zones are chips inside its box.

use std::collections::BTreeMap;
use std::fmt::Write;

use tailsim_components::topology::{EdgeKind, Topology};

use super::chart::svg::{Px, Svg, escape, shorten};
use super::theme::{kind_color, standalone_style};

const NODE_W: f64 = 150.0;
const NODE_H: f64 = 64.0;
/// Horizontal room between columns, for the edges and their labels.
const GAP_X: f64 = 110.0;
const GAP_Y: f64 = 22.0;
const MARGIN: f64 = 16.0;
/// Room above a region band's nodes for its label.
const REGION_TOP: f64 = 26.0;
const REGION_PAD: f64 = 12.0;
/// Rough width of a character of the 9px zone chips.
const CHIP_CHAR: f64 = 5.4;

/// Where each node goes.
struct Layout {
    /// Top-left corner of each node, in topology order.
    at: Vec<(f64, f64)>,
    /// Each region band that has a region: (name, top, bottom, left, right).
    regions: Vec<(String, f64, f64, f64, f64)>,
    width: f64,
    height: f64,
}

/// The column of every node: the longest path of edges that reaches it.
fn columns(t: &Topology) -> Vec<usize> {
    let index: BTreeMap<&str, usize> = t.nodes.iter().enumerate().map(|(i, n)| (n.name.as_str(), i)).collect();
    let mut column = vec![0; t.nodes.len()];
    // The call graph has no cycles (validation refuses them), so this
    // settles within one pass per node; the bound guards a bad input.
    for _ in 0..t.nodes.len() {
        let mut changed = false;
        for e in &t.edges {
            if let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str()))
                && column[b] < column[a] + 1
                && column[a] + 1 < t.nodes.len()
            {
                column[b] = column[a] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    column
}

fn layout(t: &Topology, top: f64) -> Layout {
    let column = columns(t);
    let regions = t.regions();
    let band_of = |i: usize| t.nodes[i].region.as_deref().and_then(|r| regions.iter().position(|x| *x == r));
    let bands = regions.len() + 1; // the last band: nodes without a region
    let band = |i: usize| band_of(i).unwrap_or(regions.len());
    let columns = column.iter().max().map_or(0, |c| c + 1);
    // Nodes of each (band, column), in topology order (kind, then name).
    let mut cells: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, &c) in column.iter().enumerate() {
        cells.entry((band(i), c)).or_default().push(i);
    }
    let rows: Vec<usize> =
        (0..bands).map(|b| (0..columns).map(|c| cells.get(&(b, c)).map_or(0, Vec::len)).max().unwrap_or(0)).collect();
    let has_regions = !regions.is_empty();
    let mut band_top = Vec::with_capacity(bands);
    let mut y = top;
    for &r in &rows {
        band_top.push(y);
        if r > 0 {
            let pad = if has_regions { REGION_TOP + REGION_PAD } else { 0.0 };
            y += pad + r as f64 * (NODE_H + GAP_Y);
        }
    }
    let height = y - GAP_Y + MARGIN;
    let width = MARGIN * 2.0
        + columns as f64 * NODE_W
        + columns.saturating_sub(1) as f64 * GAP_X
        + if has_regions { REGION_PAD * 2.0 } else { 0.0 };
    let x0 = MARGIN + if has_regions { REGION_PAD } else { 0.0 };

    let mut at = vec![(0.0, 0.0); t.nodes.len()];
    let index: BTreeMap<&str, usize> = t.nodes.iter().enumerate().map(|(i, n)| (n.name.as_str(), i)).collect();
    for c in 0..columns {
        for b in 0..bands {
            let Some(mut cell) = cells.get(&(b, c)).cloned() else { continue };
            // Near the callers: the mean height of the nodes that call it.
            let callers = |i: usize| {
                let ys: Vec<f64> = t
                    .edges
                    .iter()
                    .filter(|e| e.to == t.nodes[i].name)
                    .filter_map(|e| index.get(e.from.as_str()))
                    .filter(|&&from| column[from] < c)
                    .map(|&from| at[from].1)
                    .collect();
                (!ys.is_empty()).then(|| ys.iter().sum::<f64>() / ys.len() as f64)
            };
            let kind = |i: usize| t.nodes[i].kind;
            cell.sort_by(|&a, &b| {
                let (ya, yb) = (callers(a).unwrap_or(f64::MAX), callers(b).unwrap_or(f64::MAX));
                kind(a).cmp(&kind(b)).then(ya.total_cmp(&yb))
            });
            let pad = if has_regions { REGION_TOP + REGION_PAD } else { 0.0 };
            let offset = (rows[b] - cell.len()) as f64 / 2.0;
            for (k, &i) in cell.iter().enumerate() {
                let x = x0 + c as f64 * (NODE_W + GAP_X);
                let y = band_top[b] + pad + (offset + k as f64) * (NODE_H + GAP_Y);
                at[i] = (x, y);
            }
        }
    }
    let mut boxes = Vec::new();
    for (r, name) in regions.iter().enumerate() {
        let members: Vec<usize> = (0..t.nodes.len()).filter(|&i| band_of(i) == Some(r)).collect();
        let left = members.iter().map(|&i| at[i].0).fold(f64::MAX, f64::min) - REGION_PAD;
        let right = members.iter().map(|&i| at[i].0 + NODE_W).fold(f64::MIN, f64::max) + REGION_PAD;
        let bottom = band_top[r] + REGION_TOP + REGION_PAD + rows[r] as f64 * (NODE_H + GAP_Y) - GAP_Y + REGION_PAD;
        boxes.push((name.to_string(), band_top[r], bottom, left, right));
    }
    Layout { at, regions: boxes, width, height }
}

/// How the picture is drawn.
pub struct TopologyOptions<'a> {
    /// A heading above the picture; empty for none.
    pub title: &'a str,
    /// `Some(prefix)` to inline it in the report: ids start with the
    /// prefix, nodes get an empty line for the selected point's figure, and
    /// the page styles it. `None` for a standalone SVG file.
    pub embed: Option<&'a str>,
}

/// The topology as an SVG document.
pub fn render_topology(t: &Topology, options: &TopologyOptions<'_>) -> String {
    let top = MARGIN + if options.title.is_empty() { 0.0 } else { 26.0 };
    let l = layout(t, top);
    let (width, height) = (l.width.max(200.0).ceil(), l.height.max(80.0).ceil());
    let prefix = options.embed.unwrap_or("");
    let class = if options.embed.is_some() { r#" class="topology""# } else { "" };
    let mut svg = Svg(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\"{class} width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"sans-serif\" font-size=\"11\">\n",
        w = Px(width),
        h = Px(height),
    ));
    if options.embed.is_none() {
        svg.element(format_args!("{}", standalone_style()));
    }
    svg.element(format_args!(
        r##"<defs><marker id="{prefix}arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path class="arrow" d="M0 0L10 5L0 10z" fill="#888"/></marker></defs>"##
    ));
    svg.element(format_args!(r#"<rect class="bg" width="{}" height="{}" fill="white"/>"#, Px(width), Px(height)));
    if !options.title.is_empty() {
        svg.text((MARGIN, MARGIN + 14.0), r#"font-size="15" font-weight="bold""#, options.title);
    }
    for (name, top, bottom, left, right) in &l.regions {
        svg.element(format_args!(r#"<g class="region" data-region="{}">"#, escape(name)));
        let style = r##"class="region-box" fill="none" stroke="#999" stroke-dasharray="5 4" rx="10""##;
        svg.rect(((*left, *top), (right - left, bottom - top)), style);
        svg.text((left + 10.0, top + 17.0), r##"class="muted" fill="#666" font-size="11""##, &format!("region {name}"));
        svg.element(format_args!("</g>"));
    }
    write_edges(&mut svg, t, &l, prefix);
    for (i, node) in t.nodes.iter().enumerate() {
        let (x, y) = l.at[i];
        let kind = node.kind.name();
        let name = escape(&node.name);
        svg.element(format_args!(
            r#"<g class="node kind-{kind}" data-node="{name}" data-kind="{kind}" transform="translate({},{})">"#,
            Px(x),
            Px(y)
        ));
        svg.element(format_args!("<title>{name} ({kind})</title>"));
        let style =
            format!(r##"class="node-box" rx="6" fill="#ffffff" stroke="{}" stroke-width="1.6""##, kind_color(kind));
        svg.rect(((0.0, 0.0), (NODE_W, NODE_H)), &style);
        svg.text((10.0, 18.0), r#"class="node-name" font-size="12" font-weight="bold""#, &shorten(&node.name, 20));
        svg.text((10.0, 32.0), r##"class="node-kind muted" fill="#666" font-size="10""##, kind);
        if options.embed.is_some() {
            svg.element(format_args!(r#"<text class="node-stat" x="10" y="46" font-size="10"></text>"#));
        }
        let mut chip_x = 10.0;
        for (k, zone) in node.zones.iter().enumerate() {
            let w = zone.chars().count() as f64 * CHIP_CHAR + 8.0;
            let remaining = node.zones.len() - k;
            if chip_x + w > NODE_W - 8.0 && remaining > 0 {
                svg.text((chip_x, NODE_H - 6.0), r#"font-size="9""#, &format!("+{remaining}"));
                break;
            }
            let chip = r##"class="zone-chip" rx="3" fill="#f3f3f3" stroke="#bbb""##;
            svg.rect(((chip_x, NODE_H - 16.0), (w, 12.0)), chip);
            svg.text((chip_x + 4.0, NODE_H - 7.0), r#"font-size="9""#, zone);
            chip_x += w + 4.0;
        }
        svg.element(format_args!("</g>"));
    }
    svg.element(format_args!("</svg>"));
    svg.0
}

/// Edges as curves from the right side of the caller to the left side of
/// the target, spread along each side, with a label halfway.
fn write_edges(svg: &mut Svg, t: &Topology, l: &Layout, prefix: &str) {
    let index: BTreeMap<&str, usize> = t.nodes.iter().enumerate().map(|(i, n)| (n.name.as_str(), i)).collect();
    let ends: Vec<(usize, usize)> =
        t.edges.iter().filter_map(|e| Some((*index.get(e.from.as_str())?, *index.get(e.to.as_str())?))).collect();
    // Attachment heights: a node's outgoing edges in the order of their
    // targets' heights, incoming ones in the order of their callers'.
    let slot = |node: usize, outgoing: bool, other: usize| {
        let mut peers: Vec<usize> = ends
            .iter()
            .filter(|&&(a, b)| if outgoing { a == node } else { b == node })
            .map(|&(a, b)| if outgoing { b } else { a })
            .collect();
        peers.sort_by(|&p, &q| l.at[p].1.total_cmp(&l.at[q].1).then(p.cmp(&q)));
        let k = peers.iter().position(|&p| p == other).unwrap_or(0);
        NODE_H * (k + 1) as f64 / (peers.len() + 1) as f64
    };
    for (e, &(a, b)) in t.edges.iter().zip(&ends) {
        let (x1, y1) = (l.at[a].0 + NODE_W, l.at[a].1 + slot(a, true, b));
        let (x2, y2) = (l.at[b].0, l.at[b].1 + slot(b, false, a));
        let d = if x2 > x1 {
            let dx = (x2 - x1) / 2.0;
            format!(
                "M{} {}C{} {} {} {} {} {}",
                Px(x1),
                Px(y1),
                Px(x1 + dx),
                Px(y1),
                Px(x2 - dx),
                Px(y2),
                Px(x2),
                Px(y2)
            )
        } else {
            // A target in the same or an earlier column: loop below.
            let low = l.at[a].1.max(l.at[b].1) + NODE_H + GAP_Y * 0.8;
            format!(
                "M{} {}C{} {} {} {} {} {}",
                Px(x1),
                Px(y1),
                Px(x1 + 40.0),
                Px(low),
                Px(x2 - 40.0),
                Px(low),
                Px(x2),
                Px(y2)
            )
        };
        let dash = if e.kind == EdgeKind::Consume { r#" stroke-dasharray="5 3""# } else { "" };
        let id = format!("{}>{}", e.from, e.to);
        svg.element(format_args!(r#"<g class="edge-group" data-edge="{}" data-kind="{}">"#, escape(&id), e.kind.id()));
        svg.element(format_args!(
            r##"<path class="edge" d="{d}" fill="none" stroke="#888" stroke-width="1.4"{dash} marker-end="url(#{prefix}arrow)"/>"##
        ));
        let (mx, my) =
            if x2 > x1 { ((x1 + x2) / 2.0, (y1 + y2) / 2.0 - 4.0) } else { ((x1 + x2) / 2.0, y1.max(y2) + NODE_H) };
        let label_style = r#"class="edge-label halo" text-anchor="middle" font-size="10" stroke="white" stroke-width="3" paint-order="stroke""#;
        let (mx, my, text) = (Px(mx), Px(my), escape(e.kind.name()));
        svg.element(format_args!(r#"<text x="{mx}" y="{my}" {label_style}>{text}</text>"#));
        svg.element(format_args!("</g>"));
    }
}

/// The topology as a Graphviz `digraph`: regions as clusters, zones and
/// kinds in the labels.
pub fn dot(t: &Topology, name: &str) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quote(name));
    let _ = writeln!(out, "  rankdir=LR;");
    let _ = writeln!(out, "  node [shape=box, style=rounded, fontname=\"sans-serif\"];");
    let _ = writeln!(out, "  edge [fontname=\"sans-serif\", fontsize=10];");
    let node_line = |n: &tailsim_components::topology::Node| {
        let mut label = format!("{}\\n{}", n.name.replace('\\', "\\\\").replace('"', "\\\""), n.kind.name());
        if !n.zones.is_empty() {
            let _ = write!(label, "\\nzones {}", n.zones.join(", ").replace('"', "\\\""));
        }
        format!("{} [label=\"{label}\", color=\"{}\"];", quote(&n.name), kind_color(n.kind.name()))
    };
    for (k, region) in t.regions().iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{k} {{");
        let _ = writeln!(out, "    label={}; style=dashed;", quote(&format!("region {region}")));
        for n in t.nodes.iter().filter(|n| n.region.as_deref() == Some(region)) {
            let _ = writeln!(out, "    {}", node_line(n));
        }
        let _ = writeln!(out, "  }}");
    }
    for n in t.nodes.iter().filter(|n| n.region.is_none()) {
        let _ = writeln!(out, "  {}", node_line(n));
    }
    for e in &t.edges {
        let style = if e.kind == EdgeKind::Consume { ", style=dashed" } else { "" };
        let _ = writeln!(out, "  {} -> {} [label={}{style}];", quote(&e.from), quote(&e.to), quote(e.kind.name()));
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tailsim_components::topology::{Edge, Node, NodeKind};

    fn node(name: &str, kind: NodeKind, region: Option<&str>) -> Node {
        Node { name: name.into(), kind, region: region.map(String::from), zones: Vec::new() }
    }

    fn edge(from: &str, to: &str, kind: EdgeKind) -> Edge {
        Edge { from: from.into(), to: to.into(), kind, sites: Vec::new() }
    }

    fn sample() -> Topology {
        let mut db = node("db", NodeKind::Datastore, None);
        db.zones = vec!["a".into(), "b".into()];
        Topology {
            nodes: vec![
                node("web", NodeKind::Client, Some("east")),
                node("lb", NodeKind::Balancer, Some("east")),
                node("app", NodeKind::Service, Some("east")),
                db,
            ],
            edges: vec![
                edge("app", "db", EdgeKind::Call),
                edge("lb", "app", EdgeKind::Forward),
                edge("web", "lb", EdgeKind::Request),
            ],
        }
    }

    #[test]
    fn columns_follow_the_longest_call_path() {
        assert_eq!(columns(&sample()), [0, 1, 2, 3]);
    }

    #[test]
    fn the_picture_has_a_node_per_component_and_boxes_for_regions_and_zones() {
        let t = sample();
        let svg = render_topology(&t, &TopologyOptions { title: "sample", embed: None });
        assert_eq!(svg, render_topology(&t, &TopologyOptions { title: "sample", embed: None }));
        assert_eq!(svg.matches("<g class=\"node ").count(), 4);
        for n in ["web", "lb", "app", "db"] {
            assert!(svg.contains(&format!("data-node=\"{n}\"")), "{n}");
        }
        assert_eq!(svg.matches("class=\"region-box\"").count(), 1);
        assert!(svg.contains(">region east</text>"));
        assert_eq!(svg.matches("class=\"zone-chip\"").count(), 2);
        assert_eq!(svg.matches("<path class=\"edge\"").count(), 3);
        assert!(svg.contains("<style>") && !svg.contains("node-stat"));
        let embedded = render_topology(&t, &TopologyOptions { title: "", embed: Some("t0-") });
        assert!(!embedded.contains("<style>") && embedded.contains("url(#t0-arrow)"));
        assert_eq!(embedded.matches("class=\"node-stat\"").count(), 4);
    }

    #[test]
    fn dot_has_clusters_for_regions() {
        let text = dot(&sample(), "sample");
        assert!(text.starts_with("digraph \"sample\" {\n  rankdir=LR;"));
        assert!(text.contains("subgraph cluster_0 {\n    label=\"region east\"; style=dashed;\n    \"web\""));
        assert!(text.contains("\"db\" [label=\"db\\ndatastore\\nzones a, b\""));
        assert!(text.contains("\"web\" -> \"lb\" [label=\"requests\"];"));
        assert!(text.ends_with("}\n"));
    }
}
