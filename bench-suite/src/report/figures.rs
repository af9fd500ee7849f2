//! The paper's figures and summary tables, drawn from finished cells (`abs-bench figures` runs
//! the cells first).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::chart::{Chart, Legend, Panel, Series, render};
use super::curves::{Band, Trace, band};
use super::tables::{SummaryRow, frame, markdown, rows_from_summary};
use crate::error::Error;
use crate::results::{Loaded, group_keys, load, summarize};
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
}

impl Drawing<'_> {
    fn selected(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == name)
    }
}

/// Writes `figN.svg`, `figN.png` (and `figN-dynamics.*`) for the selected sweeps, and `summary.md`
/// and `summary.csv` over all of them, from the finished cells in `d.results`.
pub fn draw(d: &Drawing) -> crate::error::Result<()> {
    std::fs::create_dir_all(d.out).map_err(Error::io("create", d.out))?;
    let mut rows: Vec<SummaryRow> = Vec::new();
    let mut written = Vec::new();
    for (name, sweep) in d.sweeps {
        let loaded = load(d.results, Some(&sweep.cells))?;
        if loaded.cells.height() == 0 {
            if d.selected(name) {
                eprintln!("figures: {name}: no finished cells, nothing to draw");
            }
            continue;
        }
        let summary = summarize(&loaded, Some(d.target)).map_err(Error::frame("summarise", d.results.join(name)))?;
        let names = series_names(&summary, &group_keys(&loaded)).map_err(Error::frame("summarise", d.results.join(name)))?;
        rows.extend(rows_from_summary(name, &summary, &names, d.target).map_err(Error::frame("summarise", d.results.join(name)))?);
        if !d.selected(name) {
            continue; // summarised, but drawn by the run that selected it
        }
        let context = Context::of(sweep, d.dataset, d.quick);
        let Some(fig) = sweep.figure.as_ref() else {
            return Err(Error::Report(format!(
                "{name}: a figure sweep needs a `figure: {{title: ...}}` section"
            )));
        };
        let chart = accuracy_chart(&loaded, &fig.title, &fig.panels, &context).map_err(Error::frame("summarise", d.results.join(name)))?;
        let (svg, png) = (d.out.join(format!("{name}.svg")), d.out.join(format!("{name}.png")));
        render(&chart, &svg, &png).map_err(Error::Report)?;
        written.push(svg);
        if !fig.dynamics.is_empty() {
            let chart = dynamics_chart(&loaded, sweep, &fig.dynamics, &fig.title, &context)
                .map_err(Error::frame("summarise", d.results.join(name)))?;
            let (svg, png) = (
                d.out.join(format!("{name}-dynamics.svg")),
                d.out.join(format!("{name}-dynamics.png")),
            );
            render(&chart, &svg, &png).map_err(Error::Report)?;
            written.push(svg);
        }
    }
    write_summary(d.out, &rows, d.sweeps, d.dataset, d.why, d.target, d.quick).map_err(Error::Report)?;
    for w in &written {
        eprintln!("figures: wrote {} (and .png)", w.display());
    }
    eprintln!(
        "figures: wrote {} and summary.csv (data set: {})",
        d.out.join("summary.md").display(),
        d.dataset
    );
    Ok(())
}

/// Points per curve on the common grid.
const CURVE_POINTS: usize = 300;

/// What every figure of a sweep says under its title.
struct Context {
    subtitle: String,
    quick: bool,
}

impl Context {
    fn of(sweep: &Sweep, dataset: &str, quick: bool) -> Context {
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
        let seeds: BTreeSet<u64> = sweep.cells.iter().map(|c| c.config.seed).collect();
        let mut subtitle = format!(
            "{dataset} · {models} · N = {workers} · {} seed{} · line: mean over seeds, band: min–max",
            seeds.len(),
            if seeds.len() == 1 { "" } else { "s" }
        );
        if quick {
            subtitle.push_str(" · QUICK (shortened run)");
        }
        Context { subtitle, quick }
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
                    band(&ts, CURVE_POINTS).map(|band| Series { name: name.clone(), band })
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

fn write_summary(
    out: &Path,
    rows: &[SummaryRow],
    sweeps: &[(String, Sweep)],
    dataset: &str,
    why: &str,
    target: f64,
    quick: bool,
) -> Result<(), String> {
    let mut md = format!(
        "# abs-bench figures: summary\n\nData set: **{dataset}** ({why}). Target test accuracy: **{target}**.{}\n\n\
         Times are virtual seconds, comm counts worker-PS exchanges (uploads + restarts). Time and comm to \
         target are means ± sample sd over the seeds that reached the target; ratios divide a series' mean by \
         ABS's mean in the same figure (below 1: faster than ABS). Final accuracy is the last evaluation, \
         over all seeds. Generated by `abs-bench figures`; every number comes from the cells in `results/`.\n",
        if quick {
            " **Quick run** (shortened, fewer seeds): not for conclusions."
        } else {
            ""
        }
    );
    for (name, sweep) in sweeps.iter().filter(|(n, _)| rows.iter().any(|r| &r.figure == n)) {
        let title = sweep.figure.as_ref().map_or(name.as_str(), |f| f.title.as_str());
        md.push_str(&format!("\n## {name}: {title}\n\n![{name}]({name}.svg)\n\n"));
        let fig_rows: Vec<SummaryRow> = rows.iter().filter(|r| &r.figure == name).cloned().collect();
        md.push_str(&markdown(&fig_rows));
        if sweep.figure.as_ref().is_some_and(|f| !f.dynamics.is_empty()) {
            md.push_str(&format!("\n![{name} dynamics]({name}-dynamics.svg)\n"));
        }
    }
    let write = |path: PathBuf, bytes: &[u8]| std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()));
    write(out.join("summary.md"), md.as_bytes())?;
    let mut df = frame(rows).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    CsvWriter::new(&mut buf).finish(&mut df).map_err(|e| e.to_string())?;
    write(out.join("summary.csv"), &buf)
}
