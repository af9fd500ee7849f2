//! Figures drawn from fixed curves, checked by parsing the SVG (not by comparing bytes).

use super::*;

fn series(name: &str, offset: f64) -> Series {
    let x: Vec<f64> = (0..50).map(|i| i as f64).collect();
    let mean: Vec<f64> = x.iter().map(|v| 0.1 + offset + 0.5 * (1.0 - (-v / 10.0).exp())).collect();
    Series {
        name: name.to_string(),
        band: Band {
            lo: mean.iter().map(|m| m - 0.02).collect(),
            hi: mean.iter().map(|m| m + 0.02).collect(),
            mean,
            x,
            seeds: 3,
        },
    }
}

/// Every text node of an SVG, and the count of each element name.
fn parse(svg: &str) -> (Vec<String>, std::collections::BTreeMap<String, usize>) {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    let texts = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect();
    let mut counts = std::collections::BTreeMap::new();
    for n in doc.descendants().filter(|n| n.is_element()) {
        *counts.entry(n.tag_name().name().to_string()).or_insert(0) += 1;
        // axes and ticks are 1 px polylines; data lines and legend swatches are 2 px
        if n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("2") {
            *counts.entry("series polyline".to_string()).or_insert(0) += 1;
        }
    }
    (texts, counts)
}

#[test]
fn a_figure_has_its_series_axes_and_lines() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().to_path_buf();
    let names = ["abs", "adasync_k2", "local_sgd"];
    let panel = |caption: &str, x: &str| Panel {
        caption: caption.to_string(),
        x_label: x.to_string(),
        y_label: "test accuracy".to_string(),
        series: names.iter().enumerate().map(|(i, n)| series(n, 0.05 * i as f64)).collect(),
        legend: Legend::LowerRight,
    };
    let chart = Chart {
        title: "Fig. 2: N = 10".to_string(),
        subtitle: "fashion_mnist · lenet · N = 10 · 3 seeds".to_string(),
        panels: vec![
            panel("(a) vs time", "virtual time (s)"),
            panel("(b) vs comm", "communication rounds"),
        ],
    };
    let (svg, png) = (dir.join("f.svg"), dir.join("f.png"));
    render(&chart, &svg, &png).unwrap();
    let (texts, counts) = parse(&std::fs::read_to_string(&svg).unwrap());
    for want in [
        "Fig. 2: N = 10",
        "virtual time (s)",
        "communication rounds",
        "test accuracy",
        "(a) vs time",
    ] {
        assert!(texts.iter().any(|t| t == want), "no text {want:?} in {texts:?}");
    }
    for n in names {
        assert_eq!(texts.iter().filter(|t| *t == n).count(), 2, "{n} once in each legend");
    }
    // per panel and series: one mean line and one legend swatch; one shaded band each
    assert_eq!(counts.get("series polyline"), Some(&(2 * 3 * 2)), "{counts:?}");
    assert_eq!(counts.get("polygon"), Some(&(2 * 3)), "{counts:?}");
    let png_bytes = std::fs::read(&png).unwrap();
    assert_eq!(&png_bytes[1..4], b"PNG");
}
