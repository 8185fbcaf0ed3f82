use super::axis::{decade_label, format_tick, linear_ticks};
use super::*;
use Scale::{InverseQuantile, Linear, Log10};

fn series(label: &str, xy: &[(f64, f64)]) -> Series {
    let points = xy.iter().map(|&(x, y)| Point { x, y, y_err: None });
    Series { label: label.to_owned(), points: points.collect(), ..Default::default() }
}

fn chart(x_scale: Scale, y_scale: Scale, series: Vec<Series>) -> Chart {
    let (title, x_label, y_label) = ("Latency".into(), "time (s)".into(), "p99 (ms)".into());
    Chart { title, x_label, y_label, x_scale, y_scale, series, ..Default::default() }
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
    assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count(), "groups are closed");
}

const FAULT_BAND: &str = r##"class="band band-fault" fill="#808080" fill-opacity="0.2""##;

#[test]
fn output_is_deterministic() {
    let xy: Vec<_> = (0..50).map(|i| (f64::from(i), f64::from(i * i))).collect();
    let mut sample = chart(Linear, Linear, vec![series("a", &xy)]);
    sample.bands.push(Band { x0: 10.0, x1: 20.0, label: "fault".into(), kind: BandKind::Fault, point: None });
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
    assert_eq!(svg.matches("class=\"err\"").count(), 1);
}

#[test]
fn intervals_can_be_drawn_as_a_band() {
    let mut banded = series("a", &[(1.0, 5.0), (2.0, 6.0), (3.0, 7.0)]);
    for p in &mut banded.points {
        p.y_err = Some(0.5);
    }
    banded.band = true;
    let svg = render_one(Linear, Linear, vec![banded]);
    assert_eq!(svg.matches("<polygon class=\"ci\"").count(), 1);
    assert_eq!(svg.matches("class=\"err\"").count(), 0, "a band replaces the error bars");
    let polygon = svg.lines().find(|l| l.starts_with("<polygon")).unwrap();
    let points = polygon.split('"').nth(3).unwrap();
    assert_eq!(points.split(' ').count(), 6, "upper edge forwards, lower edge back");
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
fn bands_appear_once_in_the_legend_and_kinds_differ() {
    let mut sample = chart(Linear, Linear, vec![series("a", &[(0.0, 1.0), (9.0, 2.0)])]);
    for x0 in [1.0, 5.0] {
        sample.bands.push(Band { x0, x1: x0 + 1.0, label: "fault".into(), kind: BandKind::Fault, point: None });
    }
    sample.bands.push(Band { x0: 7.0, x1: 8.0, label: "hot key".into(), kind: BandKind::HotKey, point: None });
    let svg = render(&sample, 500, 300);
    assert_eq!(svg.matches(">fault</text>").count(), 1);
    assert_eq!(svg.matches(FAULT_BAND).count(), 3, "two bands, one swatch");
    assert_eq!(svg.matches("class=\"band band-hot\"").count(), 2, "one band, one swatch");
}

#[test]
fn categories_label_the_x_axis_and_bars_start_at_zero() {
    let mut bars = series("utilisation", &[(0.0, 0.5), (1.0, 0.9)]);
    bars.style = Style::Bars;
    bars.points[1].y_err = Some(0.05);
    let mut sample = chart(Linear, Linear, vec![bars]);
    sample.categories = vec!["api".into(), "db".into()];
    let svg = render(&sample, 500, 300);
    assert_document(&svg);
    assert!(svg.contains(">api</text>") && svg.contains(">db</text>"));
    assert_eq!(svg.matches("<rect class=\"bar\"").count(), 2);
    assert!(svg.contains("<title>utilisation: 0.9 ± 0.05</title>"));
    assert_eq!(svg.matches("class=\"err\"").count(), 1);
    assert!(svg.contains(">0</text>"), "the y axis starts at zero");
}

#[test]
fn a_capped_axis_stops_at_its_cap() {
    let mut wide = series("u", &[(0.0, 0.5), (1.0, 0.9)]);
    wide.points[1].y_err = Some(4.0);
    let mut sample = chart(Linear, Linear, vec![wide]);
    sample.y_cap = Some(1.0);
    let svg = render(&sample, 400, 300);
    assert!(svg.contains(">1</text>") && !svg.contains(">2</text>") && !svg.contains(">4</text>"), "{svg}");
}

#[test]
fn many_categories_are_labelled_sparsely() {
    let names: Vec<String> = (0..64).map(|i| format!("variant number {i}")).collect();
    let points: Vec<(f64, f64)> = (0..64).map(|i| (f64::from(i), 1.0)).collect();
    let mut marks = series("p99", &points);
    marks.style = Style::Markers;
    let mut sample = chart(Linear, Linear, vec![marks]);
    sample.categories = names;
    let svg = render(&sample, 860, 480);
    let labelled = svg.matches(">varia…</text>").count();
    assert!((8..=22).contains(&labelled), "{labelled} labels");
    assert_eq!(svg.matches("<circle").count(), 65, "a marker per point, and one in the legend");
}

#[test]
fn standalone_documents_restyle_for_dark_mode_and_embedded_ones_carry_data() {
    let mut sample = chart(Linear, Linear, vec![series("a", &[(0.0, 1.0), (1.0, 2.0)])]);
    sample.marks.push(Mark { x: 1.0, point: 7 });
    sample.series[0].point = Some(3);
    let standalone = render(&sample, 400, 300);
    assert!(standalone.contains("<style>@media (prefers-color-scheme:dark){"));
    assert!(!standalone.contains("data-") && !standalone.contains("class=\"mark\""));
    let embedded = render_embedded(std::slice::from_ref(&sample), 400, 300, "lat-");
    assert_document(&embedded);
    assert!(!embedded.contains("<style>"), "the page styles embedded charts");
    assert!(embedded.contains("id=\"lat-clip0\"") && embedded.contains("url(#lat-clip0)"));
    assert!(embedded.contains(r#"data-point="3" data-label="a" data-y="1 2""#));
    assert!(embedded.contains(r#"data-xr="0 1 2""#), "evenly spaced x values on the panel, as start, step, count");
    assert!(embedded.contains(r#"class="mark" data-point="7""#));
}

#[test]
fn long_legends_are_cut_with_a_count() {
    let many: Vec<Series> = (0..20).map(|i| series(&format!("s{i}"), &[(0.0, 1.0), (1.0, 2.0)])).collect();
    let svg = render_one(Linear, Linear, many);
    assert!(svg.contains(">+ 9 more</text>"));
    assert!(!svg.contains(">s11</text>"));
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
