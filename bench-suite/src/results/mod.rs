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
