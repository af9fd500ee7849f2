//! The paper's figures and summary tables, drawn from finished cells (`abs-bench figures` runs
//! the cells first).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::chart::{Chart, Legend, Panel, Series, render};
use super::claims::{self, ClaimRow, evaluate as evaluate_claims};
use super::curves::{Band, BandKind, Trace, band};
use super::forest::{Forest, ForestPanel, ForestRow, render_forest};
use super::tables::{SummaryRow, conditions_markdown, frame, markdown, rows_from_summary};
use super::timeline::{render_timeline, timeline_of};
use crate::error::Error;
use crate::results::{BOOTSTRAP_SEED, Loaded, Outcomes, comparison_keys, group_keys, load, point_keys, summarize};
use abs_sim::sweep::{Cell, Sweep, XAxis};

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
/// them, from the finished cells in `d.results`.
pub fn draw(d: &Drawing) -> crate::error::Result<()> {
    std::fs::create_dir_all(d.out).map_err(Error::io("create", d.out))?;
    let mut summary = Summary::default();
    let mut written = Vec::new();
    for (name, sweep) in d.sweeps {
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
        let section = summary_section(name, sweep, &loaded, &comparisons, &reference, d, conditions)?;
        summary.rows.extend(section.1);
        summary.sections.push(section.0);
        summary.claims.extend(evaluate_claims(name, &fig.claims, &outcomes)?);
        if !d.selected(name) {
            continue; // summarised, but drawn by the run that selected it
        }
        let context = Context::of(sweep, d.dataset, d.quick, d.bands);
        written.extend(draw_timelines(d, name, sweep)?);
        let (svg, png) = (d.out.join(format!("{name}.svg")), d.out.join(format!("{name}.png")));
        if conditions {
            if comparisons.is_empty() {
                eprintln!("figures: {name}: no series `{reference}` among the finished cells, so no forest plot");
            } else {
                render_forest(&forest(&fig.title, &comparisons, &context), &svg, &png).map_err(Error::Report)?;
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
    write_summary(d, &summary).map_err(Error::Report)?;
    for w in &written {
        eprintln!("figures: wrote {} (and .png)", w.display());
    }
    eprintln!(
        "figures: wrote {}, summary.csv and claims.csv (data set: {})",
        d.out.join("summary.md").display(),
        d.dataset
    );
    Ok(())
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

/// What summary.md and the CSV files hold, gathered sweep by sweep.
#[derive(Default)]
struct Summary {
    sections: Vec<Section>,
    rows: Vec<SummaryRow>,
    claims: Vec<ClaimRow>,
}

/// One sweep's part of summary.md.
struct Section {
    name: String,
    title: String,
    table: String,
    images: Vec<String>,
}

/// A sweep's table (per series, or per condition for a conditions sweep) and its CSV rows.
fn summary_section(
    name: &str,
    sweep: &Sweep,
    loaded: &Loaded,
    comparisons: &[crate::results::ComparisonRow],
    reference: &str,
    d: &Drawing,
    conditions: bool,
) -> crate::error::Result<(Section, Vec<SummaryRow>)> {
    let frame_err = || Error::frame("summarise", d.results.join(name));
    let summary = summarize(loaded, Some(d.target)).map_err(frame_err())?;
    let names = series_names(&summary, &group_keys(loaded)).map_err(frame_err())?;
    let keys = point_keys(loaded)
        .and_then(|k| comparison_keys(&summary, &k))
        .map_err(frame_err())?;
    let rows = rows_from_summary(name, &summary, &names, &keys, comparisons, reference, d.target).map_err(frame_err())?;
    let fig = sweep.figure.as_ref();
    // what draw() writes: the figure (a forest plot only when there is something to compare),
    // then the dynamics
    let mut images = Vec::new();
    if !conditions || !comparisons.is_empty() {
        images.push(name.to_string());
    }
    if fig.is_some_and(|f| !f.dynamics.is_empty()) && !conditions {
        images.push(format!("{name}-dynamics"));
    }
    if let Some(t) = fig.and_then(|f| f.timeline.as_ref()) {
        let drawn = |l: &&String| {
            t.cell(&sweep.cells, l)
                .is_some_and(|c| crate::runner::cell_dir(d.results, c).join("jobs.parquet").is_file())
        };
        images.extend(t.series.iter().filter(drawn).map(|l| format!("{name}-timeline-{l}")));
    }
    let table = if conditions {
        conditions_markdown(comparisons)
    } else if comparisons.is_empty() {
        format!(
            "No series `{reference}` among the finished cells: no paired comparisons.\n\n{}",
            markdown(&rows)
        )
    } else {
        markdown(&rows)
    };
    let section = Section {
        name: name.to_string(),
        title: fig.map_or(name.to_string(), |f| f.title.clone()),
        table,
        images,
    };
    Ok((section, rows))
}

/// The forest plot of a conditions sweep: every series against the reference, per condition,
/// on time and on comm to the target.
fn forest(title: &str, comparisons: &[crate::results::ComparisonRow], context: &Context) -> Forest {
    let series: BTreeSet<&str> = comparisons.iter().map(|c| c.series.as_str()).collect();
    let name = |c: &crate::results::ComparisonRow| {
        let mut n = c.condition.clone();
        if !c.point.is_empty() {
            n.push_str(&format!(" ({})", c.point));
        }
        if series.len() > 1 {
            n = format!("{}: {n}", c.series);
        }
        n
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

/// Points per curve on the common grid.
const CURVE_POINTS: usize = 300;

/// What every figure of a sweep says under its title.
struct Context {
    subtitle: String,
    quick: bool,
    bands: BandKind,
}

impl Context {
    fn of(sweep: &Sweep, dataset: &str, quick: bool, bands: BandKind) -> Context {
        let set = |f: &dyn Fn(&Cell) -> String| {
            sweep
                .cells
                .iter()
                .map(f)
                .collect::<BTreeSet<String>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        };
        let models = set(&|c| c.config.model.to_string());
        let workers = set(&|c| c.config.workers.to_string());
        // seeds per series and condition: "10 seeds", or "5-10 seeds" when an exclude rule thins one
        let mut per_series: BTreeMap<(&str, &str), BTreeSet<u64>> = BTreeMap::new();
        for c in &sweep.cells {
            per_series.entry((&c.label, &c.condition)).or_default().insert(c.config.seed);
        }
        let counts: BTreeSet<usize> = per_series.values().map(BTreeSet::len).collect();
        let (fewest, most) = (counts.first().copied().unwrap_or(0), counts.last().copied().unwrap_or(0));
        let seeds = if fewest == most {
            most.to_string()
        } else {
            format!("{fewest}–{most}")
        };
        let mut subtitle = format!(
            "{dataset} · {models} · N = {workers} · {seeds} seed{} · line: mean over seeds, {}",
            if most == 1 { "" } else { "s" },
            bands.caption()
        );
        if quick {
            subtitle.push_str(" · QUICK (shortened run)");
        }
        Context { subtitle, quick, bands }
    }

    fn title(&self, title: &str) -> String {
        if self.quick {
            format!("{title} [quick]")
        } else {
            title.to_string()
        }
    }
}

/// A name per row of `frame`: the label, then `key=value` for each other group key that takes more
/// than one value under the same label (a key a policy entry sets, like `k0`, adds nothing).
fn series_names(frame: &DataFrame, keys: &[String]) -> PolarsResult<Vec<String>> {
    let text = |k: &str, i: usize| -> PolarsResult<String> {
        Ok(match frame.column(k)?.get(i)? {
            AnyValue::String(s) => s.to_string(),
            AnyValue::StringOwned(s) => s.to_string(),
            other => other.to_string(),
        })
    };
    let labels = (0..frame.height()).map(|i| text("label", i)).collect::<PolarsResult<Vec<_>>>()?;
    let mut shown = Vec::new();
    for k in keys.iter().filter(|k| *k != "label") {
        let values = (0..frame.height()).map(|i| text(k, i)).collect::<PolarsResult<Vec<_>>>()?;
        let mut per_label: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (l, v) in labels.iter().zip(&values) {
            per_label.entry(l).or_default().insert(v);
        }
        if per_label.values().any(|vs| vs.len() > 1) {
            shown.push((k.clone(), values));
        }
    }
    Ok((0..frame.height())
        .map(|i| {
            let extra: Vec<String> = shown.iter().map(|(k, v)| format!("{k}={}", v[i])).collect();
            if extra.is_empty() {
                labels[i].clone()
            } else {
                format!("{} ({})", labels[i], extra.join(", "))
            }
        })
        .collect())
}

/// Per cell: (time trace, comm trace) of test accuracy.
fn accuracy_traces(loaded: &Loaded) -> PolarsResult<BTreeMap<String, (Trace, Trace)>> {
    let df = loaded
        .evals()?
        .select([
            col("cell"),
            col("round"),
            col("time"),
            col("comm").cast(DataType::Float64),
            col("test_accuracy"),
        ])
        .sort(["cell", "round"], SortMultipleOptions::default())
        .collect()?;
    let cells = df.column("cell")?.str()?;
    let (time, comm, acc) = (
        df.column("time")?.f64()?,
        df.column("comm")?.f64()?,
        df.column("test_accuracy")?.f64()?,
    );
    let mut out: BTreeMap<String, (Trace, Trace)> = BTreeMap::new();
    for i in 0..df.height() {
        let (Some(c), Some(t), Some(m), Some(a)) = (cells.get(i), time.get(i), comm.get(i), acc.get(i)) else {
            continue;
        };
        let e = out
            .entry(c.to_string())
            .or_insert_with(|| (Trace { x: vec![], y: vec![] }, Trace { x: vec![], y: vec![] }));
        e.0.x.push(t);
        e.0.y.push(a);
        e.1.x.push(m);
        e.1.y.push(a);
    }
    Ok(out)
}

/// Cells grouped into series (label and non-seed varying keys), in the sweep's order.
fn series_groups(loaded: &Loaded) -> PolarsResult<Vec<(String, Vec<String>)>> {
    let names = series_names(&loaded.cells, &group_keys(loaded))?;
    let ids = loaded.cells.column("cell")?.str()?;
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let id = ids.get(i).unwrap_or_default().to_string();
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push(id),
            None => groups.push((name, vec![id])),
        }
    }
    Ok(groups)
}

fn accuracy_chart(loaded: &Loaded, title: &str, panels: &[XAxis], context: &Context) -> PolarsResult<Chart> {
    let traces = accuracy_traces(loaded)?;
    let groups = series_groups(loaded)?;
    let letters = ["(a)", "(b)", "(c)", "(d)"];
    let panels = panels
        .iter()
        .enumerate()
        .map(|(p, axis)| {
            let series = groups
                .iter()
                .filter_map(|(name, ids)| {
                    let ts: Vec<Trace> = ids
                        .iter()
                        .filter_map(|id| traces.get(id))
                        .map(|(t, c)| if *axis == XAxis::Time { t.clone() } else { c.clone() })
                        .collect();
                    band(&ts, CURVE_POINTS, context.bands, BOOTSTRAP_SEED).map(|band| Series { name: name.clone(), band })
                })
                .collect();
            let (what, x_label) = match axis {
                XAxis::Time => ("virtual time", "virtual time (s)"),
                XAxis::Comm => ("communication", "communication rounds (uploads + restarts)"),
            };
            Panel {
                caption: format!("{} test accuracy vs {what}", letters.get(p).unwrap_or(&"")),
                x_label: x_label.to_string(),
                y_label: "test accuracy".to_string(),
                series,
                legend: Legend::LowerRight,
            }
        })
        .collect();
    Ok(Chart {
        title: context.title(title),
        subtitle: context.subtitle.clone(),
        panels,
    })
}

/// K^t and tau_max^t over virtual time, for the first seed of each named label: a step line.
fn dynamics_chart(loaded: &Loaded, sweep: &Sweep, labels: &[String], title: &str, context: &Context) -> PolarsResult<Chart> {
    let mut k_series = Vec::new();
    let mut tau_series = Vec::new();
    let mut seed_used = None;
    for label in labels {
        let Some(cell) = sweep.cells.iter().filter(|c| &c.label == label).min_by_key(|c| c.config.seed) else {
            continue;
        };
        let Some(rounds) = loaded.rounds_of(&cell.id) else {
            continue;
        };
        let df = rounds?
            .select([col("time"), col("k").cast(DataType::Float64), col("tau_max")])
            .sort(["time"], SortMultipleOptions::default().with_maintain_order(true))
            .collect()?;
        if df.height() == 0 {
            continue;
        }
        seed_used = Some(cell.config.seed);
        let time: Vec<f64> = df.column("time")?.f64()?.into_no_null_iter().collect();
        let k: Vec<f64> = df.column("k")?.f64()?.into_no_null_iter().collect();
        let tau: Vec<f64> = df.column("tau_max")?.f64()?.into_no_null_iter().collect();
        k_series.push(Series {
            name: label.clone(),
            band: steps(&time, &k),
        });
        if tau.iter().all(|t| t.is_infinite()) {
            tau_series.push(Series {
                name: format!("{label} (unbounded)"),
                band: steps(&[], &[]),
            });
        } else {
            tau_series.push(Series {
                name: label.clone(),
                band: steps(&time, &tau),
            });
        }
    }
    let panel = |caption: &str, y: &str, series| Panel {
        caption: caption.to_string(),
        x_label: "virtual time (s)".to_string(),
        y_label: y.to_string(),
        series,
        legend: Legend::UpperRight,
    };
    Ok(Chart {
        title: context.title(&format!("{title}: what the policies do")),
        subtitle: format!(
            "{} · first seed ({}) shown",
            context.subtitle.split(" · line").next().unwrap_or(""),
            seed_used.unwrap_or(0)
        ),
        panels: vec![
            panel("(a) K^t: arrivals waited for per round", "K^t", k_series),
            panel("(b) tau_max^t: staleness threshold", "tau_max^t (rounds)", tau_series),
        ],
    })
}

/// A step line through (x, y): only the corners, so long runs stay small in SVG.
fn steps(x: &[f64], y: &[f64]) -> Band {
    let mut bx = Vec::new();
    let mut by = Vec::new();
    for i in 0..x.len().min(y.len()) {
        if i > 0 && y[i] != y[i - 1] {
            bx.push(x[i]);
            by.push(y[i - 1]);
        }
        if i == 0 || y[i] != y[i - 1] || i + 1 == x.len() {
            bx.push(x[i]);
            by.push(y[i]);
        }
    }
    Band {
        mean: by.clone(),
        lo: by.clone(),
        hi: by,
        x: bx,
        seeds: 1,
    }
}

fn write_summary(d: &Drawing, summary: &Summary) -> Result<(), String> {
    let mut md = format!(
        "# abs-bench figures: summary\n\nData set: **{}** ({}). Target test accuracy: **{}**.{}\n\n\
         Times are virtual seconds, comm counts worker-PS exchanges (uploads + restarts). Each series is compared \
         with its figure's reference seed by seed (common random numbers: one seed gives every policy the same \
         initial model, shards, job times and mini-batches): the ratio is the geometric mean over seeds of \
         series / reference time (comm) to target, with a 95% percentile-bootstrap interval over seeds \
         ({} resamples); **faster** / **slower** when the interval excludes 1, and no verdict with fewer than {} \
         seeds. A seed that never reached the target counts at the end of its run, compared within the window \
         both runs observed (docs/statistics.md). Time and comm to target columns are means ± sample sd over the \
         seeds that reached the target; final accuracy is the last evaluation, over all seeds. Generated by \
         `abs-bench figures`; every number comes from the cells in `results/`.\n",
        d.dataset,
        d.why,
        d.target,
        if d.quick {
            " **Quick run** (shortened, fewer seeds): not for conclusions."
        } else {
            ""
        },
        abs_sim::stats::RESAMPLES,
        abs_sim::stats::MIN_SEEDS,
    );
    if !summary.claims.is_empty() {
        md.push_str(
            "\n## The paper's claims\n\nEach claim is tested by comparing, seed by seed, every series it says is faster \
             with every series it says is slower: it **holds** when every comparison says faster at 95%, is \
             **contradicted** when one says slower, and is **not shown** otherwise. The intervals are per \
             comparison, not simultaneous.\n\n",
        );
        md.push_str(&claims::markdown(&summary.claims));
    }
    for s in &summary.sections {
        md.push_str(&format!("\n## {}: {}\n\n", s.name, s.title));
        if let Some(first) = s.images.first() {
            md.push_str(&format!("![{first}]({first}.svg)\n\n"));
        }
        md.push_str(&s.table);
        for image in s.images.iter().skip(1) {
            md.push_str(&format!("\n![{image}]({image}.svg)\n"));
        }
    }
    let write = |path: PathBuf, bytes: &[u8]| std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()));
    write(d.out.join("summary.md"), md.as_bytes())?;
    let csv = |df: &mut DataFrame| -> Result<Vec<u8>, String> {
        let mut buf = Vec::new();
        CsvWriter::new(&mut buf).finish(df).map_err(|e| e.to_string())?;
        Ok(buf)
    };
    write(
        d.out.join("summary.csv"),
        &csv(&mut frame(&summary.rows).map_err(|e| e.to_string())?)?,
    )?;
    write(
        d.out.join("claims.csv"),
        &csv(&mut claims::frame(&summary.claims).map_err(|e| e.to_string())?)?,
    )
}
