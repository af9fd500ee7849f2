//! `abs-bench run`: one config, simulated and written.

use std::path::PathBuf;

use clap::Args;

use abs_sim::catalog::Backend;
use abs_sim::config::{RawConfig, RunConfig, load_run_config};

mod watch;

use crate::error::Result;
use crate::output::Outputs;
use crate::run::{RunOutput, run_into};
use watch::RunWatch;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The run config (YAML; keys as in docs/config.md).
    config: PathBuf,
    /// Output folder: rounds.parquet, evals.parquet, jobs.parquet (the job log), manifest.json.
    #[arg(long)]
    out: PathBuf,
    /// Override a config key, e.g. `--set workers=20 --set policy=abs` (values are YAML).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Also write rounds.csv, evals.csv and jobs.csv with the same columns.
    #[arg(long)]
    csv: bool,
    /// Burn backend: flex (CPU, default), wgpu, or auto (wgpu where a GPU is found).
    #[arg(long, value_name = "flex|wgpu|auto", value_parser = backend_named)]
    backend: Option<Backend>,
    /// Folder holding the data set files (also: the `data_dir` key, $ABS_DATA_DIR).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// Why the CLI refuses `model: external`.
pub const EXTERNAL_FROM_PYTHON: &str = "model external trains a learner the caller supplies, which only the Python package can hand over: run it with abs_bench.run(config, learner=...) (docs/python.md)";

fn backend_named(name: &str) -> std::result::Result<Backend, String> {
    Backend::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Backend::ALL.iter().map(|b| b.name()).collect();
        format!("expected one of {}", names.join(", "))
    })
}

pub fn run(args: RunArgs) -> Result<()> {
    let flags = RawConfig {
        backend: args.backend,
        data_dir: args.data_dir.clone(),
        ..RawConfig::default()
    };
    let loaded = load_run_config(&args.config, &args.sets, flags)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    let mut cfg = loaded.config;
    if cfg.model == abs_sim::catalog::ModelName::External {
        return Err(crate::error::Error::Usage(format!(
            "{}: {}",
            args.config.display(),
            EXTERNAL_FROM_PYTHON
        )));
    }
    if cfg.model.is_burn() {
        // a backend this build lacks is refused before the data is read
        abs_models::backend::select(cfg.backend).map_err(crate::error::Error::Usage)?;
    }
    crate::data_identity::stamp(&mut cfg)?;
    let mut watch = RunWatch::new(&args.config.display().to_string());
    let outputs = Outputs { csv: args.csv, jobs: true };
    let result = run_into(&cfg, &args.out, outputs, &mut |p| watch.round(p));
    watch.close();
    let (output, manifest) = result?;
    println!("{}", summary(&cfg, &output, &manifest, &args.out));
    let h = output.host;
    println!(
        "host time {:.2} s: training {:.2} s ({} jobs), evaluation {:.2} s ({}), engine {:.3} s ({:.2}%)",
        h.simulate_s,
        h.train_s,
        h.jobs_trained,
        h.eval_s,
        h.evaluations,
        h.simulate_s - h.train_s - h.eval_s,
        100.0 * h.engine_fraction()
    );
    Ok(())
}

/// The line that says what was run and what came of it.
fn summary(cfg: &RunConfig, output: &RunOutput, m: &crate::output::Manifest, out: &std::path::Path) -> String {
    let stop = serde_json::to_value(m.stop_reason)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    format!(
        "{} on {} N={} seed={}: {} rounds, virtual time {:.1} s, comm {}, test accuracy {:.4} (stopped: {stop}); wrote {} [{}]",
        m.policy,
        m.data,
        cfg.slots(),
        cfg.seed,
        m.rounds,
        m.virtual_time_s,
        output.records.rounds.last().map_or(0, |r| r.comm),
        m.final_test_accuracy,
        out.display(),
        m.config_hash,
    )
}
