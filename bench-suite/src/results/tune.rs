//! A tuned sweep's choice, from its finished tuning cells: each cell's time to its target and
//! final accuracy, read as every summary reads them ([`cell_metrics`]), handed to the sweep's rule
//! ([`Sweep::choose`]).

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::load::load;
use super::summary::cell_metrics;
use crate::error::{Error, Result};
use abs_sim::sweep::{Sweep, TuneOutcome};

/// Whether a tuned sweep's settings are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Not tuned, or every series' setting chosen: `sweep.cells` are the reported cells.
    Made,
    /// This many of its tuning cells are not finished in the results folder.
    Waiting { unfinished: usize, of: usize },
}

/// Chooses every series' setting of `sweep` (when tuned) from its tuning cells in `results`.
pub fn choose(results: &Path, sweep: &mut Sweep) -> Result<Choice> {
    let Some(tuning) = &sweep.tuning else {
        return Ok(Choice::Made);
    };
    let cells = tuning.cells();
    let loaded = load(results, Some(&cells))?;
    let mut outcomes: HashMap<String, TuneOutcome> = HashMap::new();
    if loaded.cells.height() > 0 {
        let mut read = || -> PolarsResult<()> {
            // each tuning cell's own target (the one it stopped at)
            let df = cell_metrics(&loaded, None)?.collect()?;
            let ids = df.column("cell")?.str()?.clone();
            let time = df.column("time_to_target")?.cast(&DataType::Float64)?;
            let accuracy = df.column("final_accuracy")?.cast(&DataType::Float64)?;
            for ((id, t), a) in ids.iter().zip(time.f64()?.iter()).zip(accuracy.f64()?.iter()) {
                if let Some(id) = id {
                    outcomes.insert(
                        id.to_string(),
                        TuneOutcome {
                            time_to_target: t,
                            final_accuracy: a.unwrap_or(f64::NAN),
                        },
                    );
                }
            }
            Ok(())
        };
        read().map_err(Error::frame("read the tuning cells in", results))?;
    }
    match sweep.choose(|c| outcomes.get(&c.id).copied()) {
        Ok(()) => Ok(Choice::Made),
        Err(unfinished) => Ok(Choice::Waiting {
            unfinished,
            of: cells.len(),
        }),
    }
}
