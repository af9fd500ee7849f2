//! abs-bench: reproduce, measure and extend *ABS: Adaptive Bounded Staleness* on a virtual clock.
//!
//! The simulation core is the `abs-sim` crate (configs, sweeps, the engine) and the Burn side is
//! `abs-models`; this crate is the harness around them. Data flows one way: a config or a sweep
//! (abs-sim) -> [`run`] (learner, job times, the engine) -> [`output`] (Parquet frames, manifest);
//! [`runner`] runs a sweep's cells into a results folder, which [`results`] reads back as polars
//! frames and [`report`] draws. [`cli`] holds one module per command.

pub mod bench;
pub mod cli;
pub mod cpu_time;
pub mod data_identity;
pub mod error;
pub mod fetch;
pub mod output;
pub mod report;
pub mod repro;
pub mod results;
pub mod run;
pub mod runner;
pub mod verify;
pub mod version;
