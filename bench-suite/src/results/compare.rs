//! Every series compared with a reference series, seed by seed, at each condition and grid point:
//! time, comm and uploads to the target (abs_sim::stats says how, docs/statistics.md what it means).

use std::collections::BTreeMap;

use indexmap::IndexMap;
use polars::prelude::*;

use super::load::Loaded;
use super::summary::cell_metrics;
use crate::error::{Error, Result};
use abs_sim::stats::{Comparison, Outcome, Pair, compare};

/// The stream every reported interval is drawn from (`abs_sim::stats::Resamples`).
pub const BOOTSTRAP_SEED: u64 = 0;

/// One series against the reference at one condition and grid point.
#[derive(Debug, Clone)]
pub struct ComparisonRow {
    /// The series' label (its policy entry).
    pub series: String,
    pub reference: String,
    /// The sweep's condition (empty without conditions).
    pub condition: String,
    /// The grid point without the seed, as `key=value, ...` (empty when the sweep has none).
    pub point: String,
    /// Seeds run by only one of the two (not paired, so not in the comparisons).
    pub unpaired: usize,
    /// Paired seeds that reached the target and then held it to the end of the run (docs/statistics.md,
    /// "Stability"), series then reference.
    pub held: (usize, usize),
    /// Time, comm (uploads + restarts) and uploads to target.
    pub time: Comparison,
    pub comm: Comparison,
    pub uploads: Comparison,
}

/// One series' cells at one condition and grid point, by seed.
type BySeed<'a> = BTreeMap<i64, &'a CellOutcome>;

/// Per cell, what a comparison needs.
struct CellOutcome {
    label: String,
    group: (String, String),
    seed: i64,
    /// Reached the target and held it to the end.
    held: bool,
    time: Outcome,
    comm: Outcome,
    uploads: Outcome,
}

/// Compares every label with `reference` wherever both ran, in the cells' order. Seeds that reached
/// `target` (default: each cell's `target_accuracy`) first count as reached; the others are censored
/// at their last evaluation. Err names a missing reference, before any frame is read.
pub fn compare_with(loaded: &Loaded, target: Option<f64>, reference: &str) -> Result<Vec<ComparisonRow>> {
    check_reference(&loaded.labels(), reference)?;
    Outcomes::read(loaded, target)?.against(reference)
}

fn check_reference(labels: &[String], reference: &str) -> Result<()> {
    if labels.iter().any(|l| l == reference) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "no series `{reference}` to compare with; the series are {}",
        labels.join(", ")
    )))
}

/// What every loaded cell reached, read once, to compare against one reference after another.
pub struct Outcomes {
    cells: Vec<CellOutcome>,
    labels: Vec<String>,
}

impl Outcomes {
    /// Each cell's time, comm and uploads to `target` (see [`compare_with`]).
    pub fn read(loaded: &Loaded, target: Option<f64>) -> Result<Outcomes> {
        let cells = outcomes(loaded, target).map_err(Error::frame("compare the cells in", &loaded.root))?;
        Ok(Outcomes {
            cells,
            labels: loaded.labels(),
        })
    }

    /// The labels of the cells read, each once, in first-appearance order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Each cell's label, condition and time to target (None: never reached), in the cells' order.
    pub fn times_to_target(&self) -> impl Iterator<Item = (&str, &str, Option<f64>)> {
        self.cells.iter().map(|c| (c.label.as_str(), c.group.0.as_str(), c.time.reached))
    }

    /// Every other label against `reference`, as [`compare_with`] does.
    pub fn against(&self, reference: &str) -> Result<Vec<ComparisonRow>> {
        check_reference(&self.labels, reference)?;
        Ok(self.rows(reference))
    }

    fn rows(&self, reference: &str) -> Vec<ComparisonRow> {
        // (condition, point) -> label -> seed -> cell, in first-appearance order
        let mut groups: IndexMap<(String, String), IndexMap<String, BySeed>> = IndexMap::new();
        for o in &self.cells {
            groups
                .entry(o.group.clone())
                .or_default()
                .entry(o.label.clone())
                .or_default()
                .insert(o.seed, o);
        }
        let mut rows = Vec::new();
        for ((condition, point), series) in &groups {
            let Some(reference_seeds) = series.get(reference) else {
                continue;
            };
            for (label, seeds) in series.iter().filter(|(l, _)| *l != reference) {
                let both: Vec<(&CellOutcome, &CellOutcome)> = seeds
                    .iter()
                    .filter_map(|(seed, s)| reference_seeds.get(seed).map(|r| (*s, *r)))
                    .collect();
                let pairs = |f: fn(&CellOutcome) -> Outcome| -> Vec<Pair> {
                    both.iter()
                        .map(|(s, r)| Pair {
                            series: f(s),
                            reference: f(r),
                        })
                        .collect()
                };
                rows.push(ComparisonRow {
                    series: label.clone(),
                    reference: reference.to_string(),
                    condition: condition.clone(),
                    point: point.clone(),
                    unpaired: seeds.len() + reference_seeds.len() - 2 * both.len(),
                    held: (
                        both.iter().filter(|(s, _)| s.held).count(),
                        both.iter().filter(|(_, r)| r.held).count(),
                    ),
                    time: compare(&pairs(|c| c.time), BOOTSTRAP_SEED),
                    comm: compare(&pairs(|c| c.comm), BOOTSTRAP_SEED),
                    uploads: compare(&pairs(|c| c.uploads), BOOTSTRAP_SEED),
                });
            }
        }
        rows
    }
}

/// The keys that make a grid point: varying config keys (not the seed) that take more than one
/// value under one label and condition. Keys a policy entry or a condition sets are not among them.
pub fn point_keys(loaded: &Loaded) -> PolarsResult<Vec<String>> {
    let labels = text_column(&loaded.cells, "label")?;
    let conditions = text_column(&loaded.cells, "condition")?;
    let mut keys = Vec::new();
    for k in loaded.varying.iter().filter(|k| *k != "seed") {
        let values = text_column(&loaded.cells, k)?;
        let mut seen: BTreeMap<(&str, &str), &str> = BTreeMap::new();
        let varies = (0..values.len()).any(|i| *seen.entry((&labels[i], &conditions[i])).or_insert(&values[i]) != values[i]);
        if varies {
            keys.push(k.clone());
        }
    }
    Ok(keys)
}

/// Per row of `frame` (cells or a summary): its (label, condition, point) as comparisons name them.
pub fn comparison_keys(frame: &DataFrame, point_keys: &[String]) -> PolarsResult<Vec<(String, String, String)>> {
    let labels = text_column(frame, "label")?;
    let conditions = match frame.column("condition") {
        Ok(_) => text_column(frame, "condition")?,
        Err(_) => vec![String::new(); frame.height()],
    };
    let values = point_keys.iter().map(|k| text_column(frame, k)).collect::<PolarsResult<Vec<_>>>()?;
    Ok((0..frame.height())
        .map(|i| {
            let point = point_keys
                .iter()
                .zip(&values)
                .map(|(k, v)| format!("{k}={}", v[i]))
                .collect::<Vec<_>>()
                .join(", ");
            (labels[i].clone(), conditions[i].clone(), point)
        })
        .collect())
}

fn text_column(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    let c = df.column(name)?;
    (0..df.height())
        .map(|i| {
            Ok(match c.get(i)? {
                AnyValue::String(s) => s.to_string(),
                AnyValue::StringOwned(s) => s.to_string(),
                AnyValue::Null => String::new(),
                other => other.to_string(),
            })
        })
        .collect()
}

fn outcomes(loaded: &Loaded, target: Option<f64>) -> PolarsResult<Vec<CellOutcome>> {
    let df = cell_metrics(loaded, target)?.collect()?;
    let floats = |name: &str| -> PolarsResult<Vec<Option<f64>>> { Ok(df.column(name)?.cast(&DataType::Float64)?.f64()?.iter().collect()) };
    let keys = comparison_keys(&df, &point_keys(loaded)?)?;
    let seeds: Vec<Option<i64>> = df.column("seed")?.cast(&DataType::Int64)?.i64()?.iter().collect();
    let outcome = |reached: &[Option<f64>], horizon: &[Option<f64>], i: usize| Outcome {
        reached: reached[i],
        horizon: horizon[i].unwrap_or(f64::NAN),
    };
    let (time, final_time) = (floats("time_to_target")?, floats("final_time")?);
    let (comm, final_comm) = (floats("comm_to_target")?, floats("final_comm")?);
    let (uploads, final_uploads) = (floats("uploads_to_target")?, floats("final_uploads")?);
    let held: Vec<bool> = df
        .column("held")?
        .cast(&DataType::Boolean)?
        .bool()?
        .iter()
        .map(|h| h == Some(true))
        .collect();
    Ok(keys
        .into_iter()
        .enumerate()
        .map(|(i, (label, condition, point))| CellOutcome {
            label,
            group: (condition, point),
            seed: seeds[i].unwrap_or(0),
            held: held[i],
            time: outcome(&time, &final_time, i),
            comm: outcome(&comm, &final_comm, i),
            uploads: outcome(&uploads, &final_uploads, i),
        })
        .collect())
}
