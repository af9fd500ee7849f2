//! Sweeps: a YAML grid of run configs expanded into cells, each a resolved [`RunConfig`] with a
//! stable id (the config hash).
//!
//! ```yaml
//! base: {model: lenet, dataset: fashion_mnist, max_rounds: 300}   # any run key
//! policies:                      # file order; a name, or run keys including `policy`; or a list,
//!                                # `[abs, adasync, {policy: k_async, k: 2}]`, each named after its policy
//!   abs: abs
//!   adasync_k4: {policy: adasync, k0: 4}
//! grid: {workers: [10, 20], seed: [0, 1, 2]}   # cartesian product, first key slowest
//! zip: [{k0: [2, 4], zeta: [1, 2]}]            # keys that vary together, by index
//! exclude: [{policy: adasync_k4, workers: 10}] # drop cells matching every key given
//! quick: {max_time: 20, seed: [0, 1]}          # what --quick changes (base keys, shorter grid lists)
//! figure: {title: "Fig. 2", panels: [time, comm], dynamics: [abs]}   # how `figures` draws it
//! ```
//! Cells come out policy by policy (file order), then zip index, then grid point. A key may be
//! set by at most one of the policy entry, the grid and the zip groups.

mod expand;

pub use expand::{Cell, ExpandOptions, FigureMeta, Sweep, XAxis, expand, expand_with, ignored_key_warnings, load_sweep, load_sweep_with};
