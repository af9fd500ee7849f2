//! Reading a results folder: one row per finished cell (its config as columns) and a lazy scan of
//! every cell's evaluations.

use crate::error::Error;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::Value;

use abs_sim::sweep::Cell;

/// The finished cells of a results folder.
pub struct Loaded {
    /// One row per cell: `cell` (id), `label` (the sweep's policy entry, else the policy),
    /// `condition` (the sweep's condition, empty without one), `policy`, `stop_reason` (why the run
    /// stopped: `max_rounds`, `max_time`, `target` or `diverged`), then every config key (nested
    /// keys dotted, e.g. `compute_time.model`), typed.
    pub cells: DataFrame,
    /// Config columns whose value differs between cells, in column order (`seed` included).
    pub varying: Vec<String>,
    /// The cells' folders, in row order.
    pub dirs: Vec<PathBuf>,
    /// The results folder they were read from.
    pub root: PathBuf,
}

impl Loaded {
    /// Every cell's `evals.parquet` stacked, with a `cell` column, as a lazy scan.
    pub fn evals(&self) -> PolarsResult<LazyFrame> {
        self.scan("evals")
    }

    /// The labels of the loaded cells, each once, in first-appearance order.
    pub fn labels(&self) -> Vec<String> {
        let mut labels: Vec<String> = Vec::new();
        let column = self.cells.column("label").ok().and_then(|c| c.str().ok());
        for label in column.into_iter().flat_map(|c| c.iter().flatten()) {
            if !labels.iter().any(|l| l == label) {
                labels.push(label.to_string());
            }
        }
        labels
    }

    /// Every cell's `rounds.parquet` stacked, with a `cell` column, as a lazy scan.
    pub fn rounds(&self) -> PolarsResult<LazyFrame> {
        self.scan("rounds")
    }

    /// One cell's `rounds.parquet` as a lazy scan (None when the cell is not loaded).
    pub fn rounds_of(&self, id: &str) -> Option<PolarsResult<LazyFrame>> {
        let row = self.cells.column("cell").ok()?.str().ok()?.iter().position(|c| c == Some(id))?;
        Some(scan_file(&self.dirs[row], "rounds"))
    }

    fn scan(&self, name: &str) -> PolarsResult<LazyFrame> {
        let ids = self.cells.column("cell")?.str()?.clone();
        let frames = self
            .dirs
            .iter()
            .zip(ids.iter())
            .map(|(dir, id)| Ok(scan_file(dir, name)?.with_column(lit(id.unwrap_or_default()).alias("cell"))))
            .collect::<PolarsResult<Vec<_>>>()?;
        if frames.is_empty() {
            return Err(PolarsError::NoData("no finished cells".into()));
        }
        concat(frames, UnionArgs::default())
    }
}

/// `dir/<name>.parquet` as a lazy scan.
fn scan_file(dir: &Path, name: &str) -> PolarsResult<LazyFrame> {
    LazyFrame::scan_parquet(
        PlRefPath::try_from_path(&dir.join(format!("{name}.parquet")))?,
        ScanArgsParquet::default(),
    )
}

/// Reads the manifests of `dir/cells/*/`. With `only`, just those cells (missing ones are left out)
/// labelled by the sweep's policy entries, in the sweep's order; otherwise every finished cell, by id.
pub fn load(dir: &Path, only: Option<&[Cell]>) -> crate::error::Result<Loaded> {
    let cells_dir = dir.join("cells");
    let mut found: Vec<(String, PathBuf, String, String)> = match only {
        Some(cells) => cells
            .iter()
            .map(|c| (c.id.clone(), cells_dir.join(&c.id), c.label.clone(), c.condition.clone()))
            .filter(|(_, d, _, _)| d.join("manifest.json").is_file())
            .collect(),
        None => {
            let entries = std::fs::read_dir(&cells_dir).map_err(Error::io("read", &cells_dir))?;
            let mut v: Vec<(String, PathBuf, String, String)> = entries
                .flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path(), String::new(), String::new()))
                .filter(|(_, d, _, _)| d.join("manifest.json").is_file())
                .collect();
            v.sort();
            v
        }
    };
    let damaged: Vec<String> = found
        .iter()
        .filter_map(|(id, d, _, _)| crate::runner::damage(d, id, false).map(|why| format!("{}: {why}", d.display())))
        .collect();
    if !damaged.is_empty() {
        return Err(Error::Report(format!(
            "{} damaged cells (rerun the sweep to compute them again, or delete them):\n  {}",
            damaged.len(),
            damaged.join("\n  ")
        )));
    }
    let mut rows: Vec<BTreeMap<String, Value>> = Vec::with_capacity(found.len());
    let mut order: Vec<String> = Vec::new();
    for (id, d, label, condition) in &mut found {
        let path = d.join("manifest.json");
        let manifest = crate::output::read_manifest(d)?;
        if label.is_empty() {
            *label = manifest.policy.clone();
        }
        let mut config = serde_json::to_value(&manifest.config).map_err(|source| Error::Json {
            what: "cannot encode the config",
            path: path.clone(),
            source,
        })?;
        if let Some(map) = config.as_object_mut() {
            map.remove("policy");
        }
        let mut row = BTreeMap::new();
        row.insert("cell".to_string(), Value::String(id.clone()));
        row.insert("label".to_string(), Value::String(label.clone()));
        row.insert("condition".to_string(), Value::String(condition.clone()));
        row.insert("policy".to_string(), Value::String(manifest.policy.clone()));
        let stop = serde_json::to_value(manifest.stop_reason).unwrap_or(Value::Null);
        row.insert("stop_reason".to_string(), stop);
        flatten("", &config, &mut row, &mut order);
        rows.push(row);
    }
    let mut columns: Vec<Column> = Vec::new();
    let mut varying = Vec::new();
    for name in ["cell", "label", "condition", "policy", "stop_reason"]
        .iter()
        .map(|s| s.to_string())
        .chain(order.iter().cloned())
    {
        let values: Vec<Option<&Value>> = rows.iter().map(|r| r.get(&name).filter(|v| !v.is_null())).collect();
        let is_config = !matches!(name.as_str(), "cell" | "label" | "condition" | "policy" | "stop_reason");
        if is_config && values.windows(2).any(|w| w[0] != w[1]) {
            varying.push(name.clone());
        }
        columns.push(typed_column(&name, &values));
    }
    let cells = DataFrame::new_infer_height(columns).map_err(Error::frame("build the frame of", &cells_dir))?;
    Ok(Loaded {
        cells,
        varying,
        dirs: found.into_iter().map(|(_, d, _, _)| d).collect(),
        root: dir.to_path_buf(),
    })
}

/// Nested objects become dotted keys; `order` keeps first appearance.
fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>, order: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out, order);
            }
        }
        _ => {
            if !order.iter().any(|k| k == prefix) {
                order.push(prefix.to_string());
            }
            out.insert(prefix.to_string(), value.clone());
        }
    }
}

/// A number the manifest may spell as a string (`.inf`).
fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            ".inf" | "inf" => Some(f64::INFINITY),
            "-.inf" | "-inf" => Some(f64::NEG_INFINITY),
            ".nan" | "nan" => Some(f64::NAN),
            _ => None,
        },
        _ => None,
    }
}

/// Int64 when every value is a whole number, Float64 when every value is a number, Boolean, else String.
fn typed_column(name: &str, values: &[Option<&Value>]) -> Column {
    let present = values.iter().flatten();
    if present.clone().all(|v| v.is_i64()) {
        Column::new(name.into(), values.iter().map(|v| v.and_then(Value::as_i64)).collect::<Vec<_>>())
    } else if present.clone().all(|v| as_f64(v).is_some()) {
        Column::new(name.into(), values.iter().map(|v| v.and_then(as_f64)).collect::<Vec<_>>())
    } else if present.clone().all(|v| v.is_boolean()) {
        Column::new(name.into(), values.iter().map(|v| v.and_then(Value::as_bool)).collect::<Vec<_>>())
    } else {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        Column::new(name.into(), values.iter().map(|v| v.map(text)).collect::<Vec<_>>())
    }
}
