//! A cell's data set enters its id by what it holds, never by where it lies: before an id is
//! taken, the binary finds the data set's files (as a run would) and, unless they are the official
//! release the catalog knows, stamps their content digest into the config (docs/semantics.md,
//! "Cell identity"). Trace files are stamped by the core (`RunConfig::stamp_traces`) when a sweep
//! is expanded or a run config loaded; reading results where they are gone takes the digests their
//! finished cells recorded.

use abs_sim::catalog::DatasetName;
use abs_sim::config::RunConfig;
use abs_sim::sweep::Cell;

use crate::error::Result;

/// What to do where a cell's data set cannot be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Refuse, before any work: a run needs the data.
    Refuse,
    /// Take it to be the official release (a listing, a job script): said on stderr once.
    AssumeRelease,
}

/// Stamps `cfg` with the digest of the data set it would train on when that is not the official
/// release (nothing for synthetic data and the analytic learner); an error when the data set
/// cannot be found or read.
pub fn stamp(cfg: &mut RunConfig) -> Result<()> {
    cfg.data_digest = stamp_of(cfg)?;
    Ok(())
}

/// Stamps every cell's config and takes its id again.
pub fn stamp_cells(cells: &mut [Cell], missing: Missing) -> Result<()> {
    let mut warned = Vec::new();
    for c in cells {
        match stamp_of(&c.config) {
            Ok(d) => c.config.data_digest = d,
            Err(e) if missing == Missing::AssumeRelease => {
                if !warned.contains(&c.config.dataset) {
                    warned.push(c.config.dataset);
                    eprintln!("note: {e}; its cells' ids assume the official release");
                }
                c.config.data_digest = None;
            }
            Err(e) => return Err(e),
        }
        c.id = c.config.hash();
    }
    Ok(())
}

/// Names the caller's plug-ins (`stamps`: role, name and version) in every cell's `extensions`
/// and takes its id again; nothing without stamps.
pub fn stamp_extensions(cells: &mut [Cell], stamps: &[(String, String)]) {
    if stamps.is_empty() {
        return;
    }
    for c in cells {
        c.config
            .extensions
            .get_or_insert_with(Default::default)
            .extend(stamps.iter().cloned());
        c.id = c.config.hash();
    }
}

/// [`stamp_cells`] for every cell a sweep may run: its cells, and a tuned sweep's tuning and
/// candidate cells.
pub fn stamp_sweep(sweep: &mut abs_sim::sweep::Sweep, missing: Missing) -> Result<()> {
    stamp_sweep_with(sweep, |cells| stamp_cells(cells, missing))
}

/// Applies `stamp` to every cell list of `sweep` (its cells, a tuned sweep's other cells).
pub fn stamp_sweep_with(sweep: &mut abs_sim::sweep::Sweep, mut stamp: impl FnMut(&mut [Cell]) -> Result<()>) -> Result<()> {
    stamp(&mut sweep.cells)?;
    if let Some(t) = sweep.tuning.as_mut() {
        let mut cells: Vec<Cell> = t.cells_mut().map(|c| c.clone()).collect();
        stamp(&mut cells)?;
        for (c, stamped) in t.cells_mut().zip(cells) {
            *c = stamped;
        }
    }
    Ok(())
}

/// [`stamp_cells`] for reading results: a cell whose data set cannot be found here takes the
/// digest its finished cells in `results` recorded (the first found for that data set; none: the
/// official release), and one whose traces cannot be read here the trace digests of its finished
/// cell (the same config, the traces at the same paths), so that results can be read where the
/// data and the traces are not.
pub fn stamp_cells_from(cells: &mut [Cell], results: &std::path::Path) {
    let mut recorded: Option<Vec<RunConfig>> = None;
    for c in cells {
        match stamp_of(&c.config) {
            Ok(d) => c.config.data_digest = d,
            Err(_) => {
                // the digest its finished cells were computed with; none: the official release
                let finished = recorded.get_or_insert_with(|| finished_configs(results));
                let found = finished.iter().find(|f| f.dataset == c.config.dataset && f.data_digest.is_some());
                c.config.data_digest = found.and_then(|f| f.data_digest.clone());
            }
        }
        let stamped = c.config.trace_digests.as_ref().map_or(0, |d| d.len());
        if c.config.trace_files().len() > stamped {
            let finished = recorded.get_or_insert_with(|| finished_configs(results));
            if let Some(digests) = recorded_trace_digests(&c.config, finished) {
                c.config.trace_digests = Some(digests);
            }
        }
        c.id = c.config.hash();
    }
}

/// The trace digests of the finished config in `finished` that is `config` but for them, and
/// agrees with every digest `config` has (a trace read here that differs is another cell).
fn recorded_trace_digests(config: &RunConfig, finished: &[RunConfig]) -> Option<std::collections::BTreeMap<String, String>> {
    let unstamped = |c: &RunConfig| RunConfig {
        trace_digests: None,
        ..c.clone()
    };
    let this = unstamped(config);
    let ours = config.trace_digests.clone().unwrap_or_default();
    finished.iter().find_map(|f| {
        let theirs = f.trace_digests.as_ref()?;
        let agrees = ours.iter().all(|(k, d)| theirs.get(k) == Some(d));
        (agrees && unstamped(f) == this).then(|| theirs.clone())
    })
}

/// The configs recorded by the finished cells of a results folder (unreadable ones left out).
fn finished_configs(results: &std::path::Path) -> Vec<RunConfig> {
    let Ok(entries) = std::fs::read_dir(results.join("cells")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| crate::output::read_manifest(&e.path()).ok())
        .map(|m| m.config)
        .collect()
}

/// What a config's `data_digest` must be for the data set `cfg` reads: none for synthetic data,
/// the analytic learner and the official release; the content's digest otherwise.
pub fn stamp_of(cfg: &RunConfig) -> Result<Option<String>> {
    match cfg.data_source() {
        Some(source) if cfg.dataset != DatasetName::Synthetic => {
            let data = abs_models::data::load(source, cfg.data_dir.as_deref())?;
            Ok((cfg.dataset.release_digest() != Some(data.digest())).then(|| data.digest().to_string()))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{CellOutcome, run_cell};

    /// Results are read where a cell's trace is gone: its id takes the trace digests its finished
    /// cell recorded, and is the id it was computed under; a cell no finished one matches keeps its
    /// path in the id.
    #[test]
    fn results_are_found_where_the_traces_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("times.csv");
        let rows: String = (0..40)
            .flat_map(|j| (0..2).map(move |w| format!("{w},{j},{}\n", 1 + (j + w) % 3)))
            .collect();
        std::fs::write(&trace, format!("worker,job,time\n{rows}")).unwrap();
        let sweep = |seeds: &str| {
            format!(
                "base: {{model: analytic, workers: 2, max_rounds: 5, analytic: {{dim: 3, train_samples: 100, test_samples: 20}}, \
                 compute_time: {{model: trace, path: {}}}}}\ngrid: {{seed: [{seeds}]}}\n",
                trace.display()
            )
        };
        let out = dir.path().join("out");
        let cells = abs_sim::sweep::expand(&sweep("0"), "s.yaml").unwrap();
        assert!(cells[0].config.trace_digests.is_some());
        assert_eq!(run_cell(&out, &cells[0], false, &mut |_| {}), CellOutcome::Done);
        std::fs::remove_file(&trace).unwrap();
        let mut read = abs_sim::sweep::expand(&sweep("0, 1"), "s.yaml").unwrap();
        assert_eq!(read[0].config.trace_digests, None, "the trace is gone");
        stamp_cells_from(&mut read, &out);
        assert_eq!(read[0].id, cells[0].id, "the finished cell is found");
        assert_eq!(read[1].config.trace_digests, None, "nothing finished for seed 1: the path stays");
        assert_ne!(read[1].id, read[0].id);
    }
}
