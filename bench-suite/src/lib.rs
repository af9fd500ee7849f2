//! abs-bench: reproduce, measure and extend *ABS: Adaptive Bounded Staleness* on a virtual clock.
//!
//! Data flows one way: [`config`] (YAML, validation) -> [`run`] (learner, job times) -> [`sim`]
//! (the discrete-event engine) -> records -> [`output`] (Parquet frames, manifest); [`sweep`] and [`runner`] run grids of
//! configs into a results folder, which [`results`] reads back as polars frames.

pub mod bench;
pub mod cli;
pub mod fetch;
pub mod output;
pub mod report;
pub mod repro;
pub mod results;
pub mod run;
pub mod runner;
pub mod version;
