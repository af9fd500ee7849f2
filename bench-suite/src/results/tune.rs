//! A tuned sweep's choice, from its finished tuning cells: each cell's time to its target on the
//! validation split, whether it held the target, and its accuracy at the end of its budget, read
//! as every summary reads them ([`cell_metrics`]), handed to the sweep's protocol
//! ([`Sweep::choose`]) stage by stage.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::load::load;
use super::summary::cell_metrics;
use crate::error::{Error, Result};
use abs_sim::sweep::{Cell, Sweep, TuneOutcome};

/// Whether a tuned sweep's settings are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Choice {
    /// Not tuned, or every series' setting chosen: `sweep.cells` are the reported cells.
    Made,
    /// The protocol's current stage: its cells (finished ones included, so every shard sees the
    /// same list) and how many of them are not finished in the results folder.
    Waiting { due: Vec<Cell>, unfinished: usize },
}

/// Chooses every series' setting of `sweep` (when tuned) from its tuning cells in `results`, as
/// far as the finished cells allow.
pub fn choose(results: &Path, sweep: &mut Sweep) -> Result<Choice> {
    choose_among(results, sweep, None)
}

/// [`choose`], counting as finished only the cells whose ids `only` lists (when given).
pub fn choose_among(results: &Path, sweep: &mut Sweep, only: Option<&[String]>) -> Result<Choice> {
    if sweep.tuning.is_none() {
        return Ok(Choice::Made);
    }
    let mut outcomes: HashMap<String, TuneOutcome> = HashMap::new();
    // each stage asks for cells the last one decided on: read those finished, then ask again
    loop {
        let waiting = match sweep.choose(|c| outcomes.get(&c.id).copied()) {
            Ok(()) => return Ok(Choice::Made),
            Err(w) => w,
        };
        let unread: Vec<Cell> = waiting
            .due
            .iter()
            .filter(|c| !outcomes.contains_key(&c.id))
            .filter(|c| only.is_none_or(|ids| ids.contains(&c.id)))
            .filter(|c| crate::runner::is_finished(results, c))
            .cloned()
            .collect();
        let before = outcomes.len();
        read_outcomes(results, &unread, &mut outcomes)?;
        if outcomes.len() == before {
            return Ok(Choice::Waiting {
                due: waiting.due,
                unfinished: waiting.unfinished,
            });
        }
    }
}

/// Adds the outcomes of the finished `cells` (each scored at its own target).
fn read_outcomes(results: &Path, cells: &[Cell], outcomes: &mut HashMap<String, TuneOutcome>) -> Result<()> {
    if cells.is_empty() {
        return Ok(());
    }
    let loaded = load(results, Some(cells))?;
    if loaded.cells.height() == 0 {
        return Ok(());
    }
    let mut read = || -> PolarsResult<()> {
        let df = cell_metrics(&loaded, None)?.collect()?;
        let ids = df.column("cell")?.str()?.clone();
        let time = df.column("time_to_target")?.cast(&DataType::Float64)?;
        let held = df.column("held")?.cast(&DataType::Boolean)?;
        let accuracy = df.column("final_accuracy")?.cast(&DataType::Float64)?;
        let rows = ids
            .iter()
            .zip(time.f64()?.iter())
            .zip(held.bool()?.iter())
            .zip(accuracy.f64()?.iter());
        for (((id, t), h), a) in rows {
            if let Some(id) = id {
                outcomes.insert(
                    id.to_string(),
                    TuneOutcome {
                        time_to_target: t,
                        held: h.unwrap_or(true),
                        final_accuracy: a.unwrap_or(f64::NAN),
                    },
                );
            }
        }
        Ok(())
    };
    read().map_err(Error::frame("read the tuning cells in", results))
}
