//! A forest plot: one row per condition, the ratio of a series to the reference (geometric mean
//! over seeds) as a dot with its 95% interval as a whisker, on a log axis with a line at 1.

use std::collections::BTreeSet;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{FONT, PANEL_W, draw_head, ensure_font};
use super::series::Context;
use abs_sim::stats::{Estimate, Verdict};

/// One row: what is compared, the ratio and its verdict.
#[derive(Debug, Clone)]
pub struct ForestRow {
    pub name: String,
    pub ratio: Option<Estimate>,
    pub verdict: Verdict,
}

/// One panel: a metric's ratios.
#[derive(Debug, Clone)]
pub struct ForestPanel {
    pub caption: String,
    pub x_label: String,
    pub rows: Vec<ForestRow>,
}

/// A whole forest plot: title, a line under it, panels side by side (rows in the same order).
#[derive(Debug, Clone)]
pub struct Forest {
    pub title: String,
    pub subtitle: String,
    pub panels: Vec<ForestPanel>,
}

const FASTER: RGBColor = RGBColor(0, 114, 178);
const SLOWER: RGBColor = RGBColor(213, 94, 0);
const UNCLEAR: RGBColor = RGBColor(120, 120, 120);
const LABELS_W: u32 = 300;

/// Writes `forest` to `svg` and `png`.
pub fn render_forest(forest: &Forest, svg: &Path, png: &Path) -> Result<(), String> {
    ensure_font()?;
    let rows = forest.panels.iter().map(|p| p.rows.len()).max().unwrap_or(0) as u32;
    let size = (LABELS_W + PANEL_W * forest.panels.len().max(1) as u32, 160 + 30 * rows.max(1));
    draw(SVGBackend::new(svg, size).into_drawing_area(), forest).map_err(|e| format!("{}: {e}", svg.display()))?;
    draw(BitMapBackend::new(png, size).into_drawing_area(), forest).map_err(|e| format!("{}: {e}", png.display()))
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, forest: &Forest) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let body = draw_head(&root, (&forest.title, 20), (&forest.subtitle, 14))?;
    let (labels, panels) = body.split_horizontally(LABELS_W);
    let areas = panels.split_evenly((1, forest.panels.len().max(1)));
    for (i, (area, panel)) in areas.iter().zip(&forest.panels).enumerate() {
        draw_panel(area, panel, (i == 0).then_some(&labels))?;
    }
    root.present().map_err(err)
}

/// The x range: every interval and 1, padded, on a log scale.
fn x_range(panel: &ForestPanel) -> (f64, f64) {
    let ends = panel
        .rows
        .iter()
        .filter_map(|r| r.ratio)
        .flat_map(|e| [e.lo, e.hi])
        .filter(|x| x.is_finite() && *x > 0.0);
    let (lo, hi) = ends.fold((1.0f64, 1.0f64), |(a, b), x| (a.min(x), b.max(x)));
    (lo / 1.15, hi * 1.15)
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &ForestPanel,
    labels: Option<&DrawingArea<DB, Shift>>,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let n = panel.rows.len();
    let (x0, x1) = x_range(panel);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.caption, (FONT, 16))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(8)
        .build_cartesian_2d((x0..x1).log_scale(), -0.5..(n as f64 - 0.5))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(&panel.x_label)
        .axis_desc_style((FONT, 14))
        .label_style((FONT, 12))
        .y_labels(0)
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(230, 230, 230))
        .draw()
        .map_err(err)?;
    let top = n as f64 - 0.5;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(1.0, -0.5), (1.0, top)],
            BLACK.stroke_width(1),
        )))
        .map_err(err)?;
    for (i, row) in panel.rows.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        let Some(e) = row.ratio else {
            continue;
        };
        let color = match row.verdict {
            Verdict::Faster => FASTER,
            Verdict::Slower => SLOWER,
            _ => UNCLEAR,
        };
        chart
            .draw_series([
                PathElement::new(vec![(e.lo, y), (e.hi, y)], color.stroke_width(2)).into_dyn(),
                Circle::new((e.value, y), 5, color.filled()).into_dyn(),
            ])
            .map_err(err)?;
    }
    if let Some(labels) = labels {
        // row names, right-aligned against the panel, at the rows' pixel heights
        let right = Pos::new(HPos::Right, VPos::Center);
        let style = TextStyle::from((FONT, 13).into_font()).pos(right);
        let (_, label_top) = labels.get_base_pixel();
        for (i, row) in panel.rows.iter().enumerate() {
            let (_, py) = chart.backend_coord(&(1.0, (n - 1 - i) as f64));
            labels
                .draw_text(&row.name, &style, (LABELS_W as i32 - 6, py - label_top))
                .map_err(err)?;
        }
    }
    Ok(())
}

/// The forest plot of a conditions sweep: every series against the reference, per condition,
/// on time and on comm to the target.
pub(super) fn forest_of(title: &str, comparisons: &[crate::results::ComparisonRow], context: &Context) -> Forest {
    let series: BTreeSet<&str> = comparisons.iter().map(|c| c.series.as_str()).collect();
    let name = |c: &crate::results::ComparisonRow| {
        let mut n = c.condition.clone();
        if !c.point.is_empty() {
            n.push_str(&format!(" ({})", c.point));
        }
        if series.len() > 1 {
            n = format!("{}: {n}", c.series);
        }
        // how many seeds reached the target and held it to the end, series vs reference
        format!("{n} · held {} vs {}", c.held.0, c.held.1)
    };
    let panel = |caption: &str, x_label: &str, pick: fn(&crate::results::ComparisonRow) -> &abs_sim::stats::Comparison| ForestPanel {
        caption: caption.to_string(),
        x_label: x_label.to_string(),
        rows: comparisons
            .iter()
            .map(|c| ForestRow {
                name: name(c),
                ratio: pick(c).ratio,
                verdict: pick(c).verdict,
            })
            .collect(),
    };
    let reference = comparisons.first().map_or("the reference", |c| c.reference.as_str());
    let pair = match series.len() {
        1 => format!("{} / {reference}", series.iter().next().copied().unwrap_or("")),
        _ => format!("series / {reference}"),
    };
    Forest {
        title: context.title(title),
        subtitle: format!(
            "{} · dot: geometric mean over seeds of {pair}, whisker: 95% paired-bootstrap CI · below 1: faster than {reference}",
            context.subtitle.split(" · line").next().unwrap_or("")
        ),
        panels: vec![
            panel("(a) time to target", &format!("time to target, {pair} (log scale)"), |c| &c.time),
            panel("(b) communication to target", &format!("comm to target, {pair} (log scale)"), |c| {
                &c.comm
            }),
        ],
    }
}
