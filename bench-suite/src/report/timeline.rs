//! A run's timeline: one row per worker, each job a bar over virtual time coloured by its fate
//! (download and upload drawn lighter than compute), the rounds as vertical lines and K^t above.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::chart::{FONT, draw_head, ensure_font};
use abs_sim::engine::{Fate, JobRecord, RoundRecord};

/// What a timeline draws.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub title: String,
    pub subtitle: String,
    pub workers: u32,
    pub jobs: Vec<JobRecord>,
    pub rounds: Vec<RoundRecord>,
    /// The virtual seconds shown, [from, to].
    pub window: (f64, f64),
}

const FATES: [(Fate, &str, RGBColor); 6] = [
    (Fate::Delivered, "delivered", RGBColor(0, 114, 178)),
    (Fate::Restarted, "restarted (over tau_max)", RGBColor(213, 94, 0)),
    (Fate::Cancelled, "cancelled (sync round)", RGBColor(204, 121, 167)),
    (Fate::Unavailable, "lost (worker left)", RGBColor(90, 90, 90)),
    (Fate::Running, "running at the end", RGBColor(0, 158, 115)),
    (Fate::Dropped, "dropped (over max_staleness)", RGBColor(230, 159, 0)),
];

/// `c` mixed with white: the transfer parts of a bar.
fn light(c: RGBColor) -> RGBColor {
    let mix = |v: u8| ((u16::from(v) + 2 * 255) / 3) as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// The timeline of the run in `dir` (a run or cell folder with its job log) over [from, to]
/// virtual seconds (`to` default: the run's end), titled with `name` (default: the policy's).
pub fn timeline_of(dir: &Path, name: Option<&str>, from: f64, to: Option<f64>) -> crate::error::Result<Timeline> {
    use crate::error::Error;
    use crate::output::{jobs_from, read_manifest, read_records, rounds_from};
    if !dir.join("jobs.parquet").is_file() {
        return Err(Error::Usage(format!(
            "{}: no job log (jobs.parquet): `abs-bench run` writes one, a sweep with `jobs_log: true` or `--jobs-log`",
            dir.display()
        )));
    }
    let m = read_manifest(dir)?;
    let jobs = read_records(dir, "jobs", jobs_from)?;
    let rounds = read_records(dir, "rounds", rounds_from)?;
    let end = jobs.iter().map(|j| j.end).fold(m.virtual_time_s, f64::max);
    let to = to.unwrap_or(end).max(from + 1e-9);
    let c = &m.config;
    let system = match (&c.network, &c.availability) {
        (None, None) => String::new(),
        (Some(_), None) => ", network".into(),
        (None, Some(_)) => ", availability".into(),
        (Some(_), Some(_)) => ", network and availability".into(),
    };
    Ok(Timeline {
        title: format!(
            "{}: every job of every worker, {from} to {to:.0} virtual s",
            name.unwrap_or(&m.policy)
        ),
        subtitle: format!(
            "{} on {}, N = {}, seed {}{system}; cell {}; bars: download and upload light, compute dark; grey lines: rounds",
            c.model,
            m.data,
            c.slots(),
            c.seed,
            m.config_hash
        ),
        workers: c.slots(),
        jobs,
        rounds,
        window: (from, to),
    })
}

/// Writes `timeline` to `svg` and `png`.
pub fn render_timeline(timeline: &Timeline, svg: &Path, png: &Path) -> Result<(), String> {
    ensure_font()?;
    let size = (1280, 290 + 22 * timeline.workers.max(1));
    draw(SVGBackend::new(svg, size).into_drawing_area(), timeline).map_err(|e| format!("{}: {e}", svg.display()))?;
    draw(BitMapBackend::new(png, size).into_drawing_area(), timeline).map_err(|e| format!("{}: {e}", png.display()))
}

/// K^t as a step line: each round's K holds from its time until the next round (or `to`).
fn k_steps(shown: &[&RoundRecord], to: f64) -> Vec<(f64, f64)> {
    let mut steps = Vec::with_capacity(2 * shown.len());
    for (i, r) in shown.iter().enumerate() {
        let next = shown.get(i + 1).map_or(to, |n| n.time);
        steps.push((r.time, f64::from(r.k)));
        steps.push((next, f64::from(r.k)));
    }
    steps
}

/// The bars of `jobs` (all of one fate, drawn in `c`), clipped to `window`: download, compute and
/// upload, and for a delivered job a thin line while it waits, idle, for its round to close.
fn job_bars(jobs: &[&JobRecord], c: RGBColor, (from, to): (f64, f64)) -> Vec<Rectangle<(f64, f64)>> {
    let clip = |x: f64| x.clamp(from, to);
    let mut bars = Vec::with_capacity(4 * jobs.len());
    for j in jobs {
        let y = f64::from(j.worker);
        let (y0, y1) = (y - 0.32, y + 0.32);
        // work stops at the fate's time for cancelled and lost jobs, at the upload for the others
        let delivered = j.fate == Fate::Delivered;
        let stop = if delivered { j.finish } else { j.end.min(j.finish) };
        let down = (j.start + j.download_s).min(stop);
        let up = (j.start + j.download_s + j.compute_s).min(stop);
        bars.push(Rectangle::new([(clip(j.start), y0), (clip(down), y1)], light(c).filled()));
        bars.push(Rectangle::new([(clip(down), y0), (clip(up), y1)], c.filled()));
        bars.push(Rectangle::new([(clip(up), y0), (clip(stop), y1)], light(c).filled()));
        if delivered && j.end > j.finish {
            bars.push(Rectangle::new(
                [(clip(j.finish), y - 0.05), (clip(j.end), y + 0.05)],
                c.mix(0.5).filled(),
            ));
        }
    }
    bars
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, t: &Timeline) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let body = draw_head(&root, (&t.title, 20), (&t.subtitle, 14))?;
    let (k_area, gantt) = body.split_vertically(150);
    let (from, to) = t.window;
    let shown: Vec<&RoundRecord> = t.rounds.iter().filter(|r| r.time >= from && r.time <= to).collect();
    let n = f64::from(t.workers.max(1));

    let k_max = shown.iter().map(|r| r.k).max().unwrap_or(1);
    let mut k_chart = ChartBuilder::on(&k_area)
        .margin_left(12)
        .margin_right(24)
        .margin_top(6)
        .y_label_area_size(70)
        .build_cartesian_2d(from..to, 0.0..f64::from(k_max) + 0.5)
        .map_err(err)?;
    k_chart
        .configure_mesh()
        .y_desc("K^t")
        .x_labels(0)
        .y_labels(k_max.min(5) as usize + 1)
        .y_label_formatter(&|y| format!("{}", y.round() as i64))
        .axis_desc_style((FONT, 14))
        .label_style((FONT, 12))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    k_chart
        .draw_series(std::iter::once(PathElement::new(k_steps(&shown, to), BLACK.stroke_width(2))))
        .map_err(err)?;

    let mut chart = ChartBuilder::on(&gantt)
        .margin_left(12)
        .margin_right(24)
        .margin_bottom(8)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(from..to, -0.5..n - 0.5)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("virtual time (s)")
        .y_desc("worker")
        .y_labels(t.workers.min(20) as usize)
        .y_label_formatter(&|y| format!("{}", y.round() as i64))
        .axis_desc_style((FONT, 14))
        .label_style((FONT, 12))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(240, 240, 240))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(
            shown
                .iter()
                .map(|r| PathElement::new(vec![(r.time, -0.5), (r.time, n - 0.5)], RGBColor(200, 200, 200).stroke_width(1))),
        )
        .map_err(err)?;
    for (fate, name, c) in FATES {
        let jobs: Vec<&JobRecord> = (t.jobs.iter())
            .filter(|j| j.fate == fate && j.start <= to && j.end >= from)
            .collect();
        chart.draw_series(job_bars(&jobs, c, t.window)).map_err(err)?;
        // the legend sits in the K^t panel, clear of the bars
        k_chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
            .map_err(err)?
            .label(format!("{name} ({})", jobs.len()))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
    }
    k_chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(200, 200, 200))
        .label_font((FONT, 12))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use abs_sim::engine::Cause;

    fn job(worker: u32, start: f64, finish: f64, fate: Fate, end: f64) -> JobRecord {
        JobRecord {
            worker,
            job: 0,
            base_version: 0,
            cause: Cause::Initial,
            client: None,
            start,
            download_s: 0.2,
            compute_s: finish - start - 0.4,
            upload_s: 0.2,
            finish,
            fate,
            end,
            round: None,
            staleness: None,
            upload_mbps: None,
            download_mbps: None,
            downloads_together: 2,
        }
    }

    #[test]
    fn a_timeline_is_drawn_in_both_formats() {
        let dir = tempfile::tempdir().unwrap();
        let t = Timeline {
            title: "t".into(),
            subtitle: "s".into(),
            workers: 2,
            jobs: vec![job(0, 0.0, 2.0, Fate::Delivered, 2.5), job(1, 0.0, 4.0, Fate::Restarted, 2.5)],
            rounds: Vec::new(),
            window: (0.0, 5.0),
        };
        let (svg, png) = (dir.path().join("t.svg"), dir.path().join("t.png"));
        render_timeline(&t, &svg, &png).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(
            text.contains("delivered (1)") && text.contains("restarted (over tau_max) (1)"),
            "legend counts the jobs"
        );
        assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    }
}
