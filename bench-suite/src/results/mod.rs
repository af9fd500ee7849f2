//! Results as polars frames: every finished cell of a results folder in one frame (config keys as
//! columns), its evaluations as a lazy scan of the Parquet files or as one tidy frame beside each
//! cell's config (the curves), and summaries over seeds.

mod compare;
mod curves;
mod load;
mod summary;
mod tune;

pub use compare::{BOOTSTRAP_SEED, ComparisonRow, Outcomes, compare_with, comparison_keys, point_keys};
pub use curves::{FIGURE, curves, figure_curves, merge_figure_curves, write_figure_curves};
pub use load::{Loaded, load};
pub use summary::{cell_metrics, default_target_used, format_table, group_keys, summarize};
pub use tune::{Choice, choose, choose_among};

/// The finished cells of the results folder `dir`, or with `sweep` only that sweep's reported
/// cells under its labels (its tuning decided from the folder's cells): what `results` reads.
/// Refuses a folder that is not one, a tuning not finished yet, and a folder with no finished cells.
pub fn load_folder(dir: &std::path::Path, sweep: Option<&std::path::Path>) -> crate::error::Result<Loaded> {
    load_folder_with(dir, sweep, &[])
}

/// [`load_folder`] for a sweep run with plug-ins: `stamps` (role, name and version) are put in
/// its cells' `extensions`, as the sweep did, so that their ids are the ones it filed.
pub fn load_folder_with(
    dir: &std::path::Path,
    sweep: Option<&std::path::Path>,
    stamps: &[(String, String)],
) -> crate::error::Result<Loaded> {
    use crate::error::Error;
    if !dir.join("cells").is_dir() {
        return Err(Error::Usage(format!(
            "{}: not a results folder (no cells/ in it; `abs-bench sweep --out` writes one)",
            dir.display()
        )));
    }
    let mut cells = None;
    if let Some(path) = sweep {
        let mut sweep = abs_sim::sweep::load_sweep_with(path, &Default::default())?;
        crate::data_identity::stamp_sweep_with(&mut sweep, |cells| {
            crate::data_identity::stamp_cells_from(cells, dir);
            crate::data_identity::stamp_extensions(cells, stamps);
            Ok(())
        })?;
        if let Choice::Waiting { due, unfinished } = choose(dir, &mut sweep)? {
            let of = due.len();
            return Err(Error::Usage(format!(
                "{}: {unfinished} of the {of} cells of its current tuning stage are not finished in {}, so its settings are not chosen yet (run `abs-bench sweep` first)",
                path.display(),
                dir.display()
            )));
        }
        cells = Some(sweep.cells);
    }
    let loaded = load(dir, cells.as_deref())?;
    if loaded.cells.height() == 0 {
        return Err(Error::Usage(format!(
            "{}: no finished cells (run `abs-bench sweep` first)",
            dir.display()
        )));
    }
    Ok(loaded)
}
