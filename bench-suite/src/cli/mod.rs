//! The `abs-bench` command line: one module per command, each a short function from its parsed
//! arguments to the library.

mod bench;
mod data;
mod figures;
mod repro;
mod results;
mod run;
mod slurm;
pub mod sweep;
mod timeline;
mod verify;

use clap::{Parser, Subcommand};

/// A discrete-event harness for asynchronous local SGD with a parameter server: ABS and its baselines
/// on a virtual clock, bit-exact from a seed.
#[derive(Debug, Parser)]
#[command(
    name = "abs-bench",
    version,
    about,
    long_about = None,
    after_help = "Exit codes: 0 done; 1 failed while working (a file, a run, a report); 2 refused before any work \
                  (a usage, config or data mistake); 3 some cells failed, the others finished and are kept; \
                  4 a check failed (verify, repro)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one simulation from a YAML config and write its rounds, evaluations and manifest.
    Run(run::RunArgs),
    /// Expand a sweep file into cells and run them into OUT/cells/<id>/ (finished cells are skipped).
    Sweep(sweep::SweepArgs),
    /// Write a ready sbatch script that runs a sweep as a SLURM job array (one shard per task, the
    /// shard count fixed so that resubmitting some tasks runs the same shards); --submit submits it.
    Slurm(slurm::SlurmArgs),
    /// Summarise a results folder: per policy and grid point, final accuracy and the time and comm
    /// to reach the target accuracy (mean and sd over seeds).
    Results(results::ResultsArgs),
    /// Run a config several times (twice on every core, once on another thread count) and fail
    /// unless every run is bit-identical.
    Repro(repro::ReproArgs),
    /// Run the figure sweeps (sweeps/*.yaml, reusing finished cells) and draw the paper's figures
    /// and summary tables into reports/.
    Figures(figures::FiguresArgs),
    /// Check a run (or every cell of a results folder) against its job log: the clock, the K-th
    /// arrivals, staleness bounds, counters, fates and re-drawn job times; exit non-zero at a violation.
    Verify(verify::VerifyArgs),
    /// Draw one run's timeline from its job log: every job of every worker over virtual time,
    /// coloured by its fate, with the rounds and K^t.
    Timeline(timeline::TimelineArgs),
    /// Get or check data sets.
    Data {
        #[command(subcommand)]
        what: data::DataCommand,
    },
    /// Measure performance. Without a subcommand: one `lenet` job (U = 10, batch 32) in samples/s for
    /// abs-bench and PyTorch at the same thread count, and their ratio (the last line).
    Bench(bench::BenchArgs),
}

/// Runs the command; the error is one line for the user.
pub fn execute(cli: Cli) -> crate::error::Result<()> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Slurm(args) => slurm::slurm(args),
        Command::Results(args) => results::results(args),
        Command::Repro(args) => repro::repro(args),
        Command::Figures(args) => figures::figures(args),
        Command::Verify(args) => verify::verify(args),
        Command::Timeline(args) => timeline::timeline(args),
        Command::Data { what } => data::data(what),
        Command::Bench(args) => bench::bench(args),
    }
}
