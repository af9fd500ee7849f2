//! Drawing a figure with plotters, as SVG (text left to the viewer) and PNG (text drawn with an
//! embedded DejaVu Sans, so no system font is needed).

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::curves::Band;

/// One line (mean) with its shaded band.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub band: Band,
}

/// Where a panel's legend sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Legend {
    LowerRight,
    UpperRight,
}

/// One set of axes.
#[derive(Debug, Clone)]
pub struct Panel {
    pub caption: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub legend: Legend,
}

/// Past this many virtual seconds a time axis is drawn in hours (a 12-hour run's ticks would
/// read 40000.0 in seconds).
const HOURS_FROM_S: f64 = 3.0 * 3600.0;

/// The label of a virtual-time axis for these series: seconds, or hours when the longest runs past
/// three virtual hours, in which case the series' x are turned into hours.
pub fn time_axis(series: &mut [Series]) -> String {
    let longest = series.iter().filter_map(|s| s.band.x.last()).fold(0.0f64, |a, &b| a.max(b));
    if longest <= HOURS_FROM_S {
        return "virtual time (s)".into();
    }
    for s in series.iter_mut() {
        s.band.x.iter_mut().for_each(|x| *x /= 3600.0);
    }
    "virtual time (h)".into()
}

/// A whole figure: a title, a line under it (data set, model, N, seeds), panels side by side.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub subtitle: String,
    pub panels: Vec<Panel>,
}

/// Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), black first.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 0, 0),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(0, 114, 178),
    RGBColor(204, 121, 167),
    RGBColor(120, 120, 120),
];

pub(super) const FONT: &str = "sans-serif";
pub(super) const PANEL_W: u32 = 620;
const HEIGHT: u32 = 500;

/// Registers the embedded font once; every text is measured with it, for SVG too.
pub(super) fn ensure_font() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| "the embedded DejaVu Sans font could not be read".to_string())
    })
    .clone()
}

/// Writes `chart` to `svg` and `png`.
pub fn render(chart: &Chart, svg: &Path, png: &Path) -> Result<(), String> {
    ensure_font()?;
    let size = (PANEL_W * chart.panels.len().max(1) as u32, HEIGHT);
    draw(SVGBackend::new(svg, size).into_drawing_area(), chart).map_err(|e| format!("{}: {e}", svg.display()))?;
    draw(BitMapBackend::new(png, size).into_drawing_area(), chart).map_err(|e| format!("{}: {e}", png.display()))
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, chart: &Chart) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let body = draw_head(&root, (&chart.title, 22), (&chart.subtitle, 15))?;
    let areas = body.split_evenly((1, chart.panels.len().max(1)));
    for (area, panel) in areas.iter().zip(&chart.panels) {
        draw_panel(area, panel)?;
    }
    root.present().map_err(err)
}

/// Fills `root` white and writes the title and the grey line under it, centred, each with its font
/// size; returns the area below them.
pub(super) fn draw_head<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (title, title_size): (&str, u32),
    (subtitle, subtitle_size): (&str, u32),
) -> Result<DrawingArea<DB, Shift>, String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let (width, _) = root.dim_in_pixel();
    let (head, body) = root.split_vertically(62);
    let centred = |size: u32| TextStyle::from((FONT, size).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    head.draw_text(title, &centred(title_size), (width as i32 / 2, 8)).map_err(err)?;
    head.draw_text(
        subtitle,
        &centred(subtitle_size).color(&RGBColor(70, 70, 70)),
        (width as i32 / 2, 38),
    )
    .map_err(err)?;
    Ok(body)
}

/// Axis limits with a little room; y of accuracy panels stays within [0, 1].
fn limits(panel: &Panel) -> ((f64, f64), (f64, f64)) {
    let all = panel.series.iter().flat_map(|s| s.band.x.iter().copied());
    let x_max = all.fold(0.0f64, f64::max).max(1e-9);
    let ys = panel
        .series
        .iter()
        .flat_map(|s| s.band.lo.iter().chain(&s.band.hi).copied())
        .filter(|y| y.is_finite());
    let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.05).max(1e-3);
    let (lo, hi) = if panel.y_label.contains("accuracy") {
        ((lo - pad).max(0.0), (hi + pad).min(1.0))
    } else {
        ((lo - pad).min(0.0), hi + pad)
    };
    ((0.0, x_max), (lo, hi))
}

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &Panel) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let ((x0, x1), (y0, y1)) = limits(panel);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.caption, (FONT, 17))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(62)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(&panel.x_label)
        .y_desc(&panel.y_label)
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 13))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()
        .map_err(err)?;
    for (i, s) in panel.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let b = &s.band;
        if b.lo != b.hi {
            let outline: Vec<(f64, f64)> =
                b.x.iter()
                    .copied()
                    .zip(b.lo.iter().copied())
                    .chain(b.x.iter().copied().zip(b.hi.iter().copied()).rev())
                    .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(outline, color.mix(0.15).filled())))
                .map_err(err)?;
        }
        let line = b.x.iter().copied().zip(b.mean.iter().copied()).filter(|(_, y)| y.is_finite());
        chart
            .draw_series(LineSeries::new(line, color.stroke_width(2)))
            .map_err(err)?
            .label(&s.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(2)));
    }
    let position = match panel.legend {
        Legend::LowerRight => SeriesLabelPosition::LowerRight,
        Legend::UpperRight => SeriesLabelPosition::UpperRight,
    };
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(150, 150, 150))
        .label_font((FONT, 13))
        .draw()
        .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ending_at(end: f64) -> Series {
        Series {
            name: "s".into(),
            band: Band {
                x: vec![0.0, end / 2.0, end],
                mean: vec![0.1; 3],
                lo: vec![0.1; 3],
                hi: vec![0.1; 3],
                seeds: 1,
            },
        }
    }

    #[test]
    fn a_time_axis_turns_to_hours_past_three_virtual_hours() {
        let mut short = vec![ending_at(60.0), ending_at(10_800.0)];
        assert_eq!(time_axis(&mut short), "virtual time (s)");
        assert_eq!(short[1].band.x, vec![0.0, 5_400.0, 10_800.0], "seconds left as they are");
        let mut long = vec![ending_at(1_800.0), ending_at(43_200.0)];
        assert_eq!(time_axis(&mut long), "virtual time (h)");
        assert_eq!(long[1].band.x, vec![0.0, 6.0, 12.0]);
        assert_eq!(long[0].band.x, vec![0.0, 0.25, 0.5], "every series in the same unit");
    }
}
