//! Sweeps: a YAML grid of run configs expanded into cells, each a resolved [`RunConfig`] with a
//! stable id (the config hash).
//!
//! ```yaml
//! base: {model: lenet, dataset: fashion_mnist, max_rounds: 300}   # any run key
//! policies:                      # file order; a name, or run keys including `policy`; or a list,
//!                                # `[abs, adasync, {policy: k_async, k: 2}]`, each named after its policy
//!   abs: abs
//!   adasync_k4: {policy: adasync, k0: 4}
//! conditions:                    # optional: named changes to the base, one at a time (not crossed)
//!   base: {}
//!   homogeneous: {compute_time: {model: gamma_cvb, mean: 1.0, v_task: 0.5, v_mach: 0.0}}
//! grid: {workers: [10, 20], seed: [0, 1, 2]}   # cartesian product, first key slowest
//! zip: [{k0: [2, 4], zeta: [1, 2]}]            # keys that vary together, by index
//! exclude: [{policy: adasync_k4, workers: 10}] # drop cells matching every key given
//! tune:                          # optional: each series' best setting per condition, chosen on
//!   seeds: [100, 101]            # tuning seeds (never reported) by median time to the target
//!   grid: {all: {lr: [0.05, 0.1]}, adasync_k4: {k0: [2, 4]}}  # `all`: every series
//! quick: {max_time: 20, seed: [0, 1]}          # what --quick changes (base keys, also forced in
//!                                              # every condition; shorter grid lists)
//! figure:                        # how `figures` draws it and what its summary tests
//!   title: "Fig. 2"
//!   panels: [time, comm]
//!   dynamics: [abs]              # K^t and tau_max^t of these labels over time
//!   reference: abs               # every series is compared with this one, seed by seed
//!   claims: [{claim: "ABS reaches the target first", metric: time, faster: abs}]  # than: others
//!   timeline: {series: [abs], condition: base, seconds: 20}  # drawn from job logs (needs jobs_log)
//!   curves: true                 # with conditions: accuracy vs time, one panel per condition
//!   profile: true                # with conditions: a performance profile across them
//! jobs_log: true                 # every cell also writes jobs.parquet (default false)
//! ```
//! Cells come out policy by policy (file order), then condition, then zip index, then grid point.
//! A key may be set by at most one of the policy entries, the conditions, the grid and the zip
//! groups. `exclude` rules may test `policy` (the entry name), `condition`, and any key the grid, a
//! zip group or the conditions vary. Cells that resolve to one config (one id) are run once
//! ([`distinct`]).

mod cell;
mod distinct;
mod expand;
mod figure;
mod file;
mod tune;

pub use cell::{Cell, ExpandOptions, Sweep, ignored_key_warnings};
pub use distinct::{SameCell, distinct};
pub use expand::{expand, expand_with, load_sweep, load_sweep_with};
pub use figure::{Claim, FigureMeta, TimelineMeta, XAxis};
pub use tune::{
    ALL_SERIES, Beyond, Candidate, GroupResult, HOLD_MARGIN, Halving, MIN_TUNING_SEEDS, Trial, TuneGroup, TuneOutcome, TuneScore, TuneSpec,
    Tuning, Waiting, best, past_edges,
};
