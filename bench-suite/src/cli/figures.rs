//! `abs-bench figures`: pick the data set, run every figure sweep's cells (reusing finished ones),
//! then draw the figures and the summary.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use abs_sim::catalog::{DataSource, DatasetName, SyntheticSpec};
use abs_sim::sweep::{Cell, ExpandOptions, Sweep, load_sweep_with};

use crate::error::{Error, Result};
use crate::report::{BandKind, Drawing, draw};
use crate::runner::{describe, run_pending};

/// What `abs-bench figures` was asked for (its command-line arguments).
#[derive(Debug, Clone, clap::Args)]
pub struct FiguresArgs {
    /// Only these figures (file stems, e.g. fig2 or readings), comma-separated; the summary keeps the
    /// others' finished cells.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Shortened runs and fewer seeds (each sweep's `quick` section): minutes, marked on every figure.
    #[arg(long)]
    pub quick: bool,
    /// Force a data set: cifar10, fashion_mnist, mnist or synthetic (default: cifar10 when present,
    /// else fashion_mnist).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Force a model for every cell: lenet, cnn, mlp or logreg.
    #[arg(long)]
    pub model: Option<String>,
    /// Folder holding the figure sweeps (*.yaml).
    #[arg(long, default_value = "sweeps")]
    pub sweeps: PathBuf,
    /// Folder for the figures and tables; results are cached in OUT/results.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Cells at once (default: one per core).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Target test accuracy for the summary (default: by data set, `DatasetName::default_target`).
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
    let (chosen, why) = choose_dataset(opts.dataset.as_deref(), opts.data_dir.as_deref()).map_err(Error::Usage)?;
    let target = opts.target.unwrap_or_else(|| chosen.default_target(opts.quick));
    if !(target > 0.0 && target <= 1.0) {
        return Err(Error::Usage(format!("--target {target}: expected an accuracy in (0, 1]")));
    }
    let quick = if opts.quick { "; QUICK run" } else { "" };
    eprintln!("figures: DATA SET {} ({why}); target accuracy {target}{quick}", chosen.name());
    let expanded = expand(&sweeps, chosen.name(), &opts)?;
    let results = opts.out.join("results");
    let (failed, ran) = run_cells(&expanded, &results, &opts)?;
    draw(&Drawing {
        out: &opts.out,
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
fn expand(sweeps: &[(String, PathBuf)], dataset: &str, opts: &FiguresArgs) -> Result<Vec<(String, Sweep)>> {
    let options = ExpandOptions {
        quick: opts.quick,
        overrides: overrides(dataset, opts),
    };
    let mut expanded = Vec::with_capacity(sweeps.len());
    for (name, path) in sweeps {
        let sweep = load_sweep_with(path, &options)?;
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

/// Runs every selected sweep's unfinished cells once (figures share cells), in figure order;
/// returns the failed ones, described, and how many cells were asked for.
fn run_cells(sweeps: &[(String, Sweep)], results: &Path, opts: &FiguresArgs) -> Result<(Vec<String>, usize)> {
    let selected = |name: &str| opts.only.is_empty() || opts.only.iter().any(|o| o == name);
    let mut seen = BTreeSet::new();
    let all: Vec<Cell> = sweeps
        .iter()
        .filter(|(name, _)| selected(name))
        .flat_map(|(_, s)| s.cells.iter())
        .filter(|c| seen.insert(c.id.clone()))
        .cloned()
        .collect();
    let count = sweeps.iter().filter(|(n, _)| selected(n)).count();
    let failed = run_pending(results, &all, opts.jobs, false, |plan| {
        eprintln!(
            "figures: {count} sweeps, {} cells, {} already in {}; running {} ({} at a time, {} thread(s) each)",
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

/// Picks the data set: the forced one (which must load), else cifar10 when it loads, else
/// fashion_mnist. Returns it and a sentence saying why.
fn choose_dataset(forced: Option<&str>, data_dir: Option<&Path>) -> Result<(DatasetName, String), String> {
    let try_load =
        |d: DatasetName| abs_models::data::load(DataSource::of(d, SyntheticSpec::default()), data_dir).map(|d| d.source_dir.clone());
    if let Some(name) = forced {
        let d = DatasetName::from_name(name).ok_or_else(|| format!("--dataset {name}: expected {}", DatasetName::expected()))?;
        if d == DatasetName::Synthetic {
            return Ok((d, "forced with --dataset (generated; not a real data set)".into()));
        }
        // the loader's error says where it looked and how to get the data set
        let dir = try_load(d).map_err(|e| format!("--dataset {name}: {}", e.0))?;
        return Ok((d, format!("forced with --dataset{}", from(&dir))));
    }
    match try_load(DatasetName::Cifar10) {
        Ok(dir) => Ok((DatasetName::Cifar10, format!("CIFAR-10 found{}", from(&dir)))),
        Err(cifar) => {
            let dir = try_load(DatasetName::FashionMnist)
                .map_err(|e| format!("no data set for the figures: cifar10: {}; fashion_mnist: {}", cifar.0, e.0))?;
            let why = "CIFAR-10 was not found (`abs-bench data check cifar10` says where it looked), so Fashion-MNIST";
            Ok((DatasetName::FashionMnist, format!("{why}{}", from(&dir))))
        }
    }
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
