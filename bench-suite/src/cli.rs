//! The `abs-bench` command line.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand};

use crate::config::load_run_config;
use crate::output::{Manifest, write_run};
use crate::run::{backend_name, run};

/// A discrete-event harness for asynchronous local SGD with a parameter server: ABS and its baselines
/// on a virtual clock, bit-exact from a seed.
#[derive(Debug, Parser)]
#[command(name = "abs-bench", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one simulation from a YAML config and write its rounds, evaluations and manifest.
    Run {
        /// The run config (YAML; keys as in the README's config table).
        config: PathBuf,
        /// Output folder: rounds.parquet, evals.parquet, manifest.json.
        #[arg(long)]
        out: PathBuf,
        /// Override a config key, e.g. `--set workers=20 --set policy=abs` (values are YAML).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Also write rounds.csv and evals.csv with the same columns.
        #[arg(long)]
        csv: bool,
    },
}

/// Runs the command; the error is one line for the user.
pub fn execute(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Run { config, out, sets, csv } => {
            let cfg = load_run_config(&config, &sets).map_err(|e| e.to_string())?;
            let started = Instant::now();
            let records = run(&cfg).map_err(|e| format!("{}: {e}", config.display()))?;
            let manifest = Manifest::new(&cfg, &records, backend_name(&cfg), started.elapsed().as_secs_f64());
            write_run(&out, &records, &manifest, csv)?;
            println!(
                "{} N={} seed={}: {} rounds, virtual time {:.1} s, comm {}, test accuracy {:.4} (stopped: {}); wrote {} [{}]",
                manifest.policy,
                cfg.workers,
                cfg.seed,
                manifest.rounds,
                manifest.virtual_time_s,
                records.rounds.last().map_or(0, |r| r.comm),
                manifest.final_test_accuracy,
                serde_json::to_value(manifest.stop_reason)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                out.display(),
                manifest.config_hash,
            );
            Ok(())
        }
    }
}
