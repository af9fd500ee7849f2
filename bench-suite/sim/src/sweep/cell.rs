//! A sweep's cells: each one run, its resolved config and id, and what its entry set that the run
//! does not read.

use indexmap::IndexMap;
use serde_json::Value;

use super::figure::FigureMeta;
use super::file::Origin;
use crate::config::{ConfigError, RawConfig, RunConfig};

/// Changes applied to a sweep before expansion.
#[derive(Debug, Clone, Default)]
pub struct ExpandOptions {
    /// Apply the file's `quick` section.
    pub quick: bool,
    /// Run keys set on top of the base (after `quick`); a key the sweep varies is refused.
    pub overrides: Vec<(String, Value)>,
    /// The target accuracy tuning cells stop at and are chosen by (default: the cell's
    /// `target_accuracy`, else its data set's default, the quick one with `quick`).
    pub target: Option<f64>,
}

/// A sweep file, expanded.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The cells reported; for a tuned sweep, empty until [`Sweep::choose`] picks each series'
    /// setting.
    pub cells: Vec<Cell>,
    pub figure: Option<FigureMeta>,
    /// A tuned sweep's candidates (its `tune` section).
    pub tuning: Option<super::tune::Tuning>,
}

/// One run of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The policy entry's name in the sweep file (the policy's name when there is no `policies`).
    pub label: String,
    /// The name of the sweep's `conditions` entry this cell runs under (empty when it has none).
    pub condition: String,
    /// The grid and zip values of this cell, in file order.
    pub point: IndexMap<String, Value>,
    pub config: RunConfig,
    /// The config hash: the same resolved config has the same id in every sweep.
    pub id: String,
    /// Keys the sweep sets for this cell that its policy or model does not read, with what
    /// ignores each.
    pub ignored: Vec<(&'static str, String)>,
    /// Whether its run writes the job log, `jobs.parquet` (an output, not part of the id).
    pub jobs_log: bool,
}

/// One cell's resolved config and id; an error says which cell it was.
pub(super) fn resolve_cell(
    raw: RawConfig,
    (label, condition): (&str, &str),
    point: IndexMap<String, Value>,
    o: &Origin,
) -> Result<Cell, ConfigError> {
    let mut config = RunConfig::resolve(raw.clone(), o.path).map_err(|mut e| {
        let mut entry = if label.is_empty() {
            String::new()
        } else {
            format!("policy entry `{label}`, ")
        };
        if !condition.is_empty() {
            entry.push_str(&format!("condition `{condition}`, "));
        }
        let point = serde_json::to_string(&point).unwrap_or_default();
        e.message = format!("{}; in the cell with {entry}{point}", e.message);
        e.locate(o.source)
    })?;
    let label = if label.is_empty() {
        config.policy.label()
    } else {
        label.to_string()
    };
    // the traces' content enters the id (docs/semantics.md, "Cell identity"); a trace that cannot
    // be read leaves its path there, and the cell fails when it runs (as it would have anyway)
    let _unreadable = config.stamp_traces_with(|key, path| o.trace_digest(key, path));
    let id = config.hash();
    let ignored = config.ignored_keys(&raw);
    Ok(Cell {
        label,
        condition: condition.to_string(),
        point,
        config,
        id,
        ignored,
        jobs_log: false,
    })
}

/// One line per (policy entry, key) that the entry's policy ignores, for a sweep's cells.
pub fn ignored_key_warnings(cells: &[Cell]) -> Vec<String> {
    let mut seen = Vec::new();
    for c in cells {
        for (k, by) in &c.ignored {
            let line = format!("policy entry `{}`: key `{k}` is ignored by {by}", c.label);
            if !seen.contains(&line) {
                seen.push(line);
            }
        }
    }
    seen
}
