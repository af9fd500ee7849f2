//! Records as polars frames: the tidy columns of docs/semantics.md, "12. Stopping and records".

use polars::prelude::*;

use abs_sim::engine::{EvalRecord, RoundRecord};

/// One row per round: round, time, k, tau_max, arrivals, restarts, mean_staleness, max_staleness,
/// uploads, downloads, comm, train_loss.
pub fn rounds_frame(rows: &[RoundRecord]) -> PolarsResult<DataFrame> {
    df!(
        "round" => rows.iter().map(|r| r.round).collect::<Vec<u64>>(),
        "time" => rows.iter().map(|r| r.time).collect::<Vec<f64>>(),
        "k" => rows.iter().map(|r| r.k).collect::<Vec<u32>>(),
        "tau_max" => rows.iter().map(|r| r.tau_max).collect::<Vec<f64>>(),
        "arrivals" => rows.iter().map(|r| r.arrivals).collect::<Vec<u32>>(),
        "restarts" => rows.iter().map(|r| r.restarts).collect::<Vec<u32>>(),
        "mean_staleness" => rows.iter().map(|r| r.mean_staleness).collect::<Vec<f64>>(),
        "max_staleness" => rows.iter().map(|r| r.max_staleness).collect::<Vec<u64>>(),
        "uploads" => rows.iter().map(|r| r.uploads).collect::<Vec<u64>>(),
        "downloads" => rows.iter().map(|r| r.downloads).collect::<Vec<u64>>(),
        "comm" => rows.iter().map(|r| r.comm).collect::<Vec<u64>>(),
        "train_loss" => rows.iter().map(|r| r.train_loss).collect::<Vec<f64>>(),
    )
}

/// One row per evaluation: round, time, uploads, downloads, comm, test_loss, test_accuracy.
pub fn evals_frame(rows: &[EvalRecord]) -> PolarsResult<DataFrame> {
    df!(
        "round" => rows.iter().map(|r| r.round).collect::<Vec<u64>>(),
        "time" => rows.iter().map(|r| r.time).collect::<Vec<f64>>(),
        "uploads" => rows.iter().map(|r| r.uploads).collect::<Vec<u64>>(),
        "downloads" => rows.iter().map(|r| r.downloads).collect::<Vec<u64>>(),
        "comm" => rows.iter().map(|r| r.comm).collect::<Vec<u64>>(),
        "test_loss" => rows.iter().map(|r| r.test_loss).collect::<Vec<f64>>(),
        "test_accuracy" => rows.iter().map(|r| r.test_accuracy).collect::<Vec<f64>>(),
    )
}
