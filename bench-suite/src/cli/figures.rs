//! `abs-bench figures`: pick the data set, run every figure sweep's cells (reusing finished ones),
//! then draw the figures, the summary and the curves (`curves.parquet`).

use std::path::{Path, PathBuf};

use serde_json::Value;

use abs_sim::catalog::{DataSource, DatasetName, SyntheticSpec};
use abs_sim::sweep::{Cell, ExpandOptions, Sweep, load_sweep_with};

use crate::error::{Error, Result};
use crate::report::{BandKind, Drawing, draw};
use crate::results::Choice;
use crate::runner::{describe, run_pending};

/// What `abs-bench figures` was asked for (its command-line arguments).
#[derive(Debug, Clone, clap::Args)]
pub struct FiguresArgs {
    /// Only these figures (file stems, e.g. fig2 or readings), comma-separated; the summary keeps the
    /// others' finished cells, and curves.parquet the others' rows.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Shortened runs and fewer seeds (each sweep's `quick` section): minutes, marked on every figure.
    #[arg(long)]
    pub quick: bool,
    /// The data set: fashion_mnist (the committed figures'), cifar10, mnist or synthetic; another
    /// than fashion_mnist writes to reports/DATASET unless --out says where.
    #[arg(long, default_value = "fashion_mnist")]
    pub dataset: String,
    /// Force a model for every cell: lenet, cnn, mlp or logreg.
    #[arg(long)]
    pub model: Option<String>,
    /// Folder holding the figure sweeps (*.yaml).
    #[arg(long, default_value = "sweeps")]
    pub sweeps: PathBuf,
    /// Folder for the figures and tables; results are cached in OUT/results (default: reports
    /// for fashion_mnist, reports/DATASET for another data set).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Cells at once (default: one per core).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Target test accuracy for the summary (default: the data set's own: cifar10 0.45,
    /// fashion_mnist 0.80, mnist 0.95, synthetic 0.60; in quick runs 0.30, 0.65, 0.85, 0.60).
    #[arg(long)]
    pub target: Option<f64>,
    /// Folder holding the data set files (also: $ABS_DATA_DIR).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Compare every series with this one (a policy entry) in every figure, instead of each
    /// figure's `reference` (default abs).
    #[arg(long, value_name = "LABEL")]
    pub baseline: Option<String>,
    /// What the bands around the mean curves show: ci (95% confidence interval of the mean,
    /// bootstrap over seeds) or minmax (the lowest and highest seed).
    #[arg(long, value_enum, default_value_t = BandKind::Ci)]
    pub bands: BandKind,
}

pub fn figures(opts: FiguresArgs) -> Result<()> {
    let sweeps = figure_sweeps(&opts.sweeps, &opts.only).map_err(Error::Usage)?;
    let (chosen, why) = choose_dataset(&opts.dataset, opts.data_dir.as_deref()).map_err(Error::Usage)?;
    let out = opts.out.clone().unwrap_or_else(|| match chosen {
        DatasetName::FashionMnist => PathBuf::from("reports"),
        other => Path::new("reports").join(other.name()),
    });
    let target = opts.target.unwrap_or_else(|| chosen.default_target(opts.quick));
    if !(target > 0.0 && target <= 1.0) {
        return Err(Error::Usage(format!("--target {target}: expected an accuracy in (0, 1]")));
    }
    let quick = if opts.quick { "; QUICK run" } else { "" };
    eprintln!("figures: DATA SET {} ({why}); target accuracy {target}{quick}", chosen.name());
    let mut expanded = expand(&sweeps, chosen.name(), target, &opts)?;
    let results = out.join("results");
    let (failed, ran) = run_cells(&mut expanded, &results, &opts)?;
    draw(&Drawing {
        out: &out,
        results: &results,
        sweeps: &expanded,
        only: &opts.only,
        dataset: chosen.name(),
        why: &why,
        target,
        quick: opts.quick,
        bands: opts.bands,
        baseline: opts.baseline.as_deref(),
    })?;
    if failed.is_empty() {
        return Ok(());
    }
    Err(Error::CellsFailed {
        failed: failed.len(),
        of: ran,
        folder: results.join("failed"),
        lines: failed,
    })
}

/// Every figure sweep expanded for this data set (and `--model`, `--quick`).
fn expand(sweeps: &[(String, PathBuf)], dataset: &str, target: f64, opts: &FiguresArgs) -> Result<Vec<(String, Sweep)>> {
    let options = ExpandOptions {
        quick: opts.quick,
        overrides: overrides(dataset, opts),
        target: Some(target),
    };
    let mut expanded = Vec::with_capacity(sweeps.len());
    for (name, path) in sweeps {
        let mut sweep = load_sweep_with(path, &options)?;
        crate::data_identity::stamp_sweep(&mut sweep, crate::data_identity::Missing::Refuse)?;
        if sweep.figure.is_none() {
            return Err(Error::Report(format!(
                "{}: a figure sweep needs a `figure: {{title: ...}}` section",
                path.display()
            )));
        }
        expanded.push((name.clone(), sweep));
    }
    Ok(expanded)
}

/// Runs every selected sweep's unfinished cells once (figures share cells), in figure order: first
/// the untuned sweeps' cells with the tuned ones' first tuning stage, then each tuned sweep's next
/// stages as they become due (docs/semantics.md, section 13, "Tuning"), then, each tuned sweep's
/// settings chosen, their reported cells; returns the failed ones, described, and how many cells
/// were asked for. A sweep not selected is tuned from what is finished, so the summary can show it.
fn run_cells(sweeps: &mut [(String, Sweep)], results: &Path, opts: &FiguresArgs) -> Result<(Vec<String>, usize)> {
    let selected = |name: &str| opts.only.is_empty() || opts.only.iter().any(|o| o == name);
    let count = sweeps.iter().filter(|(n, _)| selected(n)).count();
    let mut pending: Vec<Cell> = sweeps
        .iter()
        .filter(|(name, s)| selected(name) && s.tuning.is_none())
        .flat_map(|(_, s)| s.cells.clone())
        .collect();
    let (mut failed, mut asked) = (Vec::new(), 0);
    let mut what = format!("{count} sweeps");
    // each pass runs what is due: the untuned cells, every tuned sweep's current stage and the
    // chosen settings of those whose tuning is done; it ends when nothing due is unfinished, or
    // when a cell failed (its stage cannot be decided without it)
    loop {
        for (name, sweep) in sweeps.iter_mut() {
            match crate::results::choose(results, sweep)? {
                Choice::Made if sweep.tuning.is_some() && selected(name) => pending.extend(sweep.cells.iter().cloned()),
                Choice::Made => {}
                Choice::Waiting { due, .. } if selected(name) => pending.extend(due),
                // not asked for: left out of the summary until its tuning is done, without a word
                Choice::Waiting { .. } => {}
            }
        }
        let unfinished = pending.iter().any(|c| !crate::runner::is_finished(results, c));
        let (more, n) = run_phase(results, std::mem::take(&mut pending), opts, &what)?;
        asked = asked.max(n);
        let stop = !unfinished || !more.is_empty();
        failed.extend(more);
        what = "tuned sweeps' next stage and chosen settings, with the rest".to_string();
        if stop {
            break;
        }
    }
    for (name, sweep) in sweeps.iter_mut() {
        if let (true, Choice::Waiting { due, unfinished }) = (selected(name), crate::results::choose(results, sweep)?) {
            eprintln!(
                "figures: {name}: {unfinished} of the {} cells of its current tuning stage are not finished, so no setting is chosen",
                due.len()
            );
        }
    }
    Ok((failed, asked))
}

/// Runs `cells`' unfinished ones once (figures share cells); returns the failed ones, described,
/// and how many distinct cells were asked for.
fn run_phase(results: &Path, cells: Vec<Cell>, opts: &FiguresArgs, what: &str) -> Result<(Vec<String>, usize)> {
    let (all, _) = abs_sim::sweep::distinct(cells);
    let failed = run_pending(results, &all, opts.jobs, false, |plan| {
        eprintln!(
            "figures: {what}, {} cells, {} already in {}; running {} ({} at a time, {} thread(s) each)",
            plan.cells,
            plan.finished,
            results.display(),
            plan.todo,
            plan.budget.jobs,
            plan.budget.threads
        );
    })?;
    Ok((failed.iter().map(|(c, _)| describe(c)).collect(), all.len()))
}

/// The figure sweeps of `dir`: every `*.yaml`, the paper's `fig*` first in number order (fig2
/// before fig10), then the others by name; after checking that each name in `only` is one of them.
fn figure_sweeps(dir: &Path, only: &[String]) -> Result<Vec<(String, PathBuf)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read the sweeps folder {}: {e}", dir.display()))?;
    let mut found: Vec<(String, PathBuf)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .filter_map(|p| Some((p.file_stem()?.to_string_lossy().into_owned(), p)))
        .collect();
    found.sort_by_key(|(stem, _)| (!stem.starts_with("fig"), stem.len(), stem.clone()));
    for name in only {
        if !found.iter().any(|(s, _)| s == name) {
            let have: Vec<&str> = found.iter().map(|(s, _)| s.as_str()).collect();
            return Err(format!(
                "--only {name}: no {name}.yaml in {} (found: {})",
                dir.display(),
                have.join(", ")
            ));
        }
    }
    if found.is_empty() {
        return Err(format!("no figure sweeps (*.yaml) in {}", dir.display()));
    }
    Ok(found)
}

/// The data set asked for, which must load; with a sentence saying where it came from.
fn choose_dataset(name: &str, data_dir: Option<&Path>) -> Result<(DatasetName, String), String> {
    let d = DatasetName::from_name(name).ok_or_else(|| format!("--dataset {name}: expected {}", DatasetName::expected()))?;
    if d == DatasetName::Synthetic {
        return Ok((d, "generated; not a real data set".into()));
    }
    // the loader's error says where it looked and how to get the data set
    let data =
        abs_models::data::load(DataSource::of(d, SyntheticSpec::default()), data_dir).map_err(|e| format!("--dataset {name}: {}", e.0))?;
    let whose = if d == DatasetName::FashionMnist {
        "the committed figures' data set"
    } else {
        "asked for with --dataset"
    };
    Ok((d, format!("{whose}{}", from(&data.source_dir))))
}

fn from(dir: &Option<PathBuf>) -> String {
    dir.as_ref().map_or(String::new(), |d| format!(" in {}", d.display()))
}

/// Keys every figure cell gets on top of its sweep's base.
fn overrides(dataset: &str, opts: &FiguresArgs) -> Vec<(String, Value)> {
    let mut v = vec![("dataset".to_string(), Value::from(dataset))];
    if let Some(m) = &opts.model {
        v.push(("model".into(), Value::from(m.as_str())));
    }
    if let Some(d) = &opts.data_dir {
        v.push(("data_dir".into(), Value::from(d.display().to_string())));
    }
    if dataset == "synthetic" {
        let (train, test) = if opts.quick { (3000, 500) } else { (20000, 2000) };
        v.push((
            "synthetic".into(),
            serde_json::json!({"shape": "mnist", "train_samples": train, "test_samples": test}),
        ));
    }
    v
}
