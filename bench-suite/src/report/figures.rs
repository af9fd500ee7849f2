//! The paper's figures and summary tables, drawn from finished cells (`abs-bench figures` runs
//! the cells first).

use std::path::Path;

use super::carry::Earlier;
use super::chart::{Chart, render};
use super::claims::evaluate as evaluate_claims;
use super::concurrency::concurrency_chart;
use super::curves::BandKind;
use super::dynamics::dynamics_chart;
use super::forest::forest_of;
use super::forest::render_forest;
use super::profile::{Medians, profile_chart};
use super::series::{Context, accuracy_chart};
use super::summary::{Summary, summary_section, write_summary};
use super::timeline::{render_timeline, timeline_of};
use crate::error::Error;
use crate::results::{Outcomes, figure_curves, load, write_figure_curves};
use abs_sim::sweep::{Sweep, XAxis};

/// What to draw: figure sweeps whose cells are in `results`, and the context every figure names.
pub struct Drawing<'a> {
    /// Folder for the figures and tables.
    pub out: &'a Path,
    /// The results folder holding the sweeps' cells.
    pub results: &'a Path,
    /// (figure name, expanded sweep), in figure order.
    pub sweeps: &'a [(String, Sweep)],
    /// Figures to draw (empty: all); the summary covers every sweep.
    pub only: &'a [String],
    pub dataset: &'a str,
    /// Why this data set, in a sentence.
    pub why: &'a str,
    pub target: f64,
    pub quick: bool,
    /// What the bands around mean curves show.
    pub bands: BandKind,
    /// The series every figure compares with (None: each figure's `reference`, default abs).
    pub baseline: Option<&'a str>,
}

impl Drawing<'_> {
    fn selected(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == name)
    }
}

/// Writes `figN.svg`, `figN.png` (and `figN-dynamics.*`) for the selected sweeps (a forest plot of
/// ratios for a sweep with conditions), and `summary.md`, `summary.csv` and `claims.csv` over all of
/// them (and `tuning.csv` when a sweep is tuned), from the finished cells in `d.results`; and
/// `curves.parquet`, every evaluation of every reported cell of the figures drawn with a `figure`
/// column ([`write_figure_curves`]): a figure drawn replaces its rows, the others' stay as they were.
/// A sweep not selected keeps the earlier report's part in the summary files as it was (`carry`)
/// unless every one of its cells is finished here.
pub fn draw(d: &Drawing) -> crate::error::Result<()> {
    std::fs::create_dir_all(d.out).map_err(Error::io("create", d.out))?;
    let mut summary = Summary::default();
    let mut written = Vec::new();
    let mut curves = Vec::new();
    let earlier = Earlier::read(d.out);
    for (name, sweep) in d.sweeps {
        summary.order.push(name.clone());
        // a sweep not asked for keeps the earlier report's part unless every cell of it is here
        // (a tuned sweep whose settings are not chosen here has none to report)
        let complete = !sweep.cells.is_empty() && sweep.cells.iter().all(|c| crate::runner::is_finished(d.results, c));
        if !d.selected(name) && earlier.has(name) && !complete {
            summary.missing.push(name.clone());
            continue;
        }
        let loaded = load(d.results, Some(&sweep.cells))?;
        if loaded.cells.height() == 0 {
            if d.selected(name) {
                eprintln!("figures: {name}: no finished cells, nothing to draw");
            }
            continue;
        }
        let Some(fig) = sweep.figure.as_ref() else {
            return Err(Error::Report(format!(
                "{name}: a figure sweep needs a `figure: {{title: ...}}` section"
            )));
        };
        let frame_err = || Error::frame("summarise", d.results.join(name));
        let reference = d
            .baseline
            .map(str::to_string)
            .or_else(|| fig.reference.clone())
            .unwrap_or_else(|| "abs".to_string());
        // every cell's outcome is read once, for the reference's comparisons and the claims'
        let outcomes = Outcomes::read(&loaded, Some(d.target))?;
        let comparisons = if outcomes.labels().contains(&reference) {
            outcomes.against(&reference)?
        } else {
            Vec::new()
        };
        let conditions = sweep.cells.iter().any(|c| !c.condition.is_empty());
        let medians = (conditions && fig.profile).then(|| Medians::of(&outcomes));
        let section = summary_section(name, sweep, &loaded, &comparisons, &reference, d, medians.as_ref())?;
        summary.rows.extend(section.1);
        summary.sections.push(section.0);
        summary.claims.extend(evaluate_claims(name, &fig.claims, &outcomes)?);
        if let Some(t) = &sweep.tuning {
            summary.tuned.push((name.clone(), t.clone()));
        }
        if !d.selected(name) {
            continue; // summarised, but drawn by the run that selected it
        }
        // the reported cells only: a tuned sweep's `cells` are its chosen settings
        curves.push((
            name.clone(),
            figure_curves(name, &loaded).map_err(Error::frame("gather the curves of", d.results.join(name)))?,
        ));
        let context = Context::of(sweep, d.dataset, d.quick, d.bands);
        written.extend(draw_timelines(d, name, sweep)?);
        if fig.concurrency {
            let chart = concurrency_chart(d.results, sweep, &fig.title, &context)?;
            let (svg, png) = (
                d.out.join(format!("{name}-concurrency.svg")),
                d.out.join(format!("{name}-concurrency.png")),
            );
            render(&chart, &svg, &png).map_err(Error::Report)?;
            written.push(svg);
        }
        let (svg, png) = (d.out.join(format!("{name}.svg")), d.out.join(format!("{name}.png")));
        if conditions {
            if comparisons.is_empty() {
                eprintln!("figures: {name}: no series `{reference}` among the finished cells, so no forest plot");
            } else {
                render_forest(&forest_of(&fig.title, &comparisons, &context), &svg, &png).map_err(Error::Report)?;
                written.push(svg);
            }
            let out = |what: &str| (d.out.join(format!("{name}-{what}.svg")), d.out.join(format!("{name}-{what}.png")));
            if fig.curves {
                let chart = condition_curves(d, sweep, &fig.title, &context)?;
                let (svg, png) = out("curves");
                render(&chart, &svg, &png).map_err(Error::Report)?;
                written.push(svg);
            }
            if let Some(t) = sweep.tuning.as_ref().filter(|_| fig.budget) {
                let curves = crate::report::budget_curves(t);
                if !curves.is_empty() {
                    let (svg, png) = out("budget");
                    let title = context.title("Best time to target against the tuning budget");
                    let subtitle = format!(
                        "{} · tuning seeds, validation split · line: median over bootstrap draws of the trials, band: quartiles",
                        fig.title
                    );
                    render(&crate::report::budget_chart(&curves, title, subtitle), &svg, &png).map_err(Error::Report)?;
                    written.push(svg);
                }
            }
            if let Some(medians) = &medians {
                let (svg, png) = out("profile");
                // one panel: a short title, the figure's own under it with the data set (no bands here)
                let title = context.title("Ranking across conditions");
                let what = context.subtitle.split(" · line:").next().unwrap_or_default();
                let subtitle = format!("{} · {what}", fig.title);
                render(&profile_chart(medians, title, subtitle), &svg, &png).map_err(Error::Report)?;
                written.push(svg);
            }
            continue;
        }
        let chart = accuracy_chart(&loaded, &fig.title, &fig.panels, &context).map_err(frame_err())?;
        render(&chart, &svg, &png).map_err(Error::Report)?;
        written.push(svg);
        if !fig.dynamics.is_empty() {
            let chart = dynamics_chart(&loaded, sweep, &fig.dynamics, &fig.title, &context).map_err(frame_err())?;
            let (svg, png) = (
                d.out.join(format!("{name}-dynamics.svg")),
                d.out.join(format!("{name}-dynamics.png")),
            );
            render(&chart, &svg, &png).map_err(Error::Report)?;
            written.push(svg);
        }
    }
    write_summary(d, &summary, &earlier).map_err(Error::Report)?;
    for w in &written {
        eprintln!("figures: wrote {} (and .png)", w.display());
    }
    if !curves.is_empty() {
        let path = d.out.join("curves.parquet");
        let order: Vec<String> = d.sweeps.iter().map(|(name, _)| name.clone()).collect();
        let (rows, figures) = write_figure_curves(&path, curves, &order)?;
        eprintln!("figures: wrote {} ({rows} evaluations, {figures} figures)", path.display());
    }
    eprintln!(
        "figures: wrote {}, summary.csv and claims.csv (data set: {})",
        d.out.join("summary.md").display(),
        d.dataset
    );
    Ok(())
}

/// The sweep's conditions, in the order of its cells.
pub(super) fn conditions_of(sweep: &Sweep) -> Vec<&str> {
    let mut conditions: Vec<&str> = Vec::new();
    for c in &sweep.cells {
        if !conditions.contains(&c.condition.as_str()) {
            conditions.push(&c.condition);
        }
    }
    conditions
}

/// Every series' test accuracy against virtual time, one panel per condition (sweep order).
fn condition_curves(d: &Drawing, sweep: &Sweep, title: &str, context: &Context) -> crate::error::Result<Chart> {
    let mut panels = Vec::new();
    for (i, condition) in conditions_of(sweep).iter().enumerate() {
        let cells: Vec<_> = sweep.cells.iter().filter(|c| c.condition == *condition).cloned().collect();
        let loaded = load(d.results, Some(&cells))?;
        if loaded.cells.height() == 0 {
            continue;
        }
        let chart = accuracy_chart(&loaded, title, &[XAxis::Time], context).map_err(Error::frame("draw the curves of", d.results))?;
        for mut panel in chart.panels {
            panel.caption = format!("({}) {condition}", (b'a' + (i % 26) as u8) as char);
            panels.push(panel);
        }
    }
    Ok(Chart {
        title: context.title(&format!("{title}: test accuracy vs virtual time")),
        subtitle: context.subtitle.clone(),
        panels,
    })
}

/// The figure's timelines, `<name>-timeline-<label>`, from the chosen cells' job logs (a cell not
/// finished, or without a log, is said and skipped).
fn draw_timelines(d: &Drawing, name: &str, sweep: &Sweep) -> crate::error::Result<Vec<std::path::PathBuf>> {
    let Some(meta) = sweep.figure.as_ref().and_then(|f| f.timeline.as_ref()) else {
        return Ok(Vec::new());
    };
    let mut written = Vec::new();
    for label in &meta.series {
        let Some(cell) = meta.cell(&sweep.cells, label) else {
            continue;
        };
        let dir = crate::runner::cell_dir(d.results, cell);
        if !dir.join("jobs.parquet").is_file() {
            eprintln!("figures: {name}: cell {} ({label}) has no job log, so no timeline", cell.id);
            continue;
        }
        let t = timeline_of(&dir, Some(label), 0.0, Some(meta.seconds))?;
        let (svg, png) = (
            d.out.join(format!("{name}-timeline-{label}.svg")),
            d.out.join(format!("{name}-timeline-{label}.png")),
        );
        render_timeline(&t, &svg, &png).map_err(Error::Report)?;
        written.push(svg);
    }
    Ok(written)
}
