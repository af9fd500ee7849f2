//! A cell's data set enters its id by what it holds, never by where it lies: before an id is
//! taken, the binary finds the data set's files (as a run would) and, unless they are the official
//! release the catalog knows, stamps their content digest into the config (docs/semantics.md,
//! "Cell identity").

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
/// official release), so that results can be read where the data is not.
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
        c.id = c.config.hash();
    }
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
