//! `abs-bench repro`: the same config several times, bit for bit.

use std::path::PathBuf;

use clap::Args;

use abs_sim::config::{RawConfig, load_run_config};

use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct ReproArgs {
    /// The run config (YAML), or a finished run or cell folder: its recorded config is run again
    /// and must give the rounds, evaluations and job log it holds, bit for bit.
    config: PathBuf,
    /// Override a config key (values are YAML).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Thread counts, one run each, comma-separated (default: all cores, all cores, 1).
    #[arg(long, value_delimiter = ',')]
    threads: Vec<usize>,
}

pub fn repro(args: ReproArgs) -> Result<()> {
    if args.config.join("manifest.json").is_file() {
        if !args.sets.is_empty() || !args.threads.is_empty() {
            return Err(Error::Usage(
                "--set and --threads apply to a config file, not to a cell folder (its config is the recorded one)".into(),
            ));
        }
        let c = crate::repro::check_cell(&args.config)?;
        let jobs = if c.jobs > 0 { format!(", {} jobs", c.jobs) } else { String::new() };
        println!(
            "{}: reproducible: rerun from its manifest, {} rounds, {} evaluations{jobs} bit-identical",
            args.config.display(),
            c.rounds,
            c.evals
        );
        return Ok(());
    }
    // the id it prints is the one `run` takes: traces stamped on loading, the data's digest here
    let mut cfg = load_run_config(&args.config, &args.sets, RawConfig::default())?.config;
    crate::data_identity::stamp(&mut cfg)?;
    let threads = if args.threads.is_empty() {
        crate::repro::default_threads(crate::runner::Budget::cores())
    } else {
        args.threads
    };
    if threads.len() < 2 || threads.contains(&0) {
        return Err(Error::Usage(format!(
            "--threads {threads:?}: expected at least two counts, each >= 1"
        )));
    }
    let name = args.config.display();
    let runs = crate::repro::check(&cfg, &threads)?;
    for (i, r) in runs.iter().enumerate() {
        let plural = if r.threads == 1 { "" } else { "s" };
        println!(
            "run {}: {} thread{plural}, {} rounds, {:.1} s, digest {}",
            i + 1,
            r.threads,
            r.rounds,
            r.seconds,
            &r.digest[..16]
        );
    }
    println!("{name}: reproducible: {} runs bit-identical [{}]", runs.len(), cfg.hash());
    Ok(())
}
