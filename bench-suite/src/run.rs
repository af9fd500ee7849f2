//! One run: config -> data, learner and job times -> engine -> records.

use abs_models::{ExternalLearner, ExternalModel, TrainOptions, burn_learner};
use abs_sim::catalog::{Kernels, ModelName};

use abs_sim::Seeds;
use abs_sim::config::RunConfig;
use abs_sim::engine::{
    AnalyticLearner, HostTimes, JobTimes, Progress, RunRecords, ServerStep, SimError, TraceError, Validation, simulate_timed_with,
};

use crate::output::{Manifest, Outputs, write_run};

/// A run that failed after its config was accepted.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error(transparent)]
    JobTimes(#[from] TraceError),
    #[error(transparent)]
    Data(#[from] abs_models::DataError),
    #[error(transparent)]
    Policy(#[from] abs_policies::PolicyError),
    #[error(transparent)]
    System(#[from] abs_sim::config::SystemError),
    /// The backend could not start, or the model does not fit the data.
    #[error("{0}")]
    Learner(String),
    /// The data set found holds other data than the config was stamped with.
    #[error(
        "the {name} files found hold other data (digest {found}) than this config names ({recorded}): point data_dir or $ABS_DATA_DIR at the data it was computed on"
    )]
    OtherData {
        recorded: String,
        found: String,
        name: &'static str,
    },
    /// A learner or server step of the caller's failed (in `round`, where the run had started);
    /// the error is kept whole (a Python exception, for the `abs_bench` package to raise again).
    #[error("the {role} failed{}: {error}", round.map_or(String::new(), |r| format!(" in round {r}")))]
    External {
        role: &'static str,
        round: Option<u64>,
        error: abs_models::external::Failure,
    },
    /// A worker was dealt no training samples.
    #[error("worker {worker} received an empty shard: use more analytic.train_samples or a larger dirichlet alpha")]
    EmptyShard { worker: usize },
}

impl RunError {
    /// The engine's error, a learner's or step's own failure given back whole.
    fn from_sim(e: SimError) -> RunError {
        match e {
            SimError::Learner(f) => RunError::External {
                role: "learner",
                round: Some(f.round()),
                error: f.into_error(),
            },
            SimError::Step(f) => RunError::External {
                role: "server step",
                round: Some(f.round()),
                error: f.into_error(),
            },
            other => RunError::Sim(other),
        }
    }
}

/// What a run produced, and on what.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    pub records: RunRecords,
    /// The backend that computed it, in words.
    pub backend: String,
    /// The data set's name and where it was read from.
    pub data: String,
    /// Where the host time went (not part of any result).
    pub host: HostTimes,
}

/// Simulates `cfg` to its stopping rule.
pub fn run(cfg: &RunConfig) -> Result<RunOutput, RunError> {
    run_observed(cfg, &mut |_| {})
}

/// Runs `cfg` (reporting each round to `observe`) and writes its records and manifest into `dir`
/// (with the `outputs` asked for): the one run-then-write sequence of `run` and `sweep`.
pub fn run_into(
    cfg: &RunConfig,
    dir: &std::path::Path,
    outputs: Outputs,
    observe: &mut dyn FnMut(&Progress),
) -> crate::error::Result<(RunOutput, Manifest)> {
    run_into_with(cfg, dir, outputs, Extensions::default(), observe)
}

/// What a caller plugs into a run in place of a built-in part (docs/extending.md). Each one
/// must be named in the config's `extensions` (its name and version), so that it enters the id.
#[derive(Default)]
pub struct Extensions<'a> {
    /// The learner of `model: external`.
    pub model: Option<&'a mut dyn ExternalModel>,
    /// A server step in place of the policy's aggregation (K, the bound and dispatch stay the
    /// policy's; docs/semantics.md, section 6).
    pub server_step: Option<&'a mut dyn ServerStep>,
}

/// Parts a caller lends to every cell of a sweep (docs/extending.md): one cell at a time, since
/// they need not be shareable (a Python object).
pub trait Plugins: Sync {
    /// Each role plugged in (`learner`, `server_step`) with its name and version, stamped into
    /// every cell's `extensions` before the ids are taken.
    fn stamps(&self) -> Vec<(String, String)>;
    /// Lends the parts to `run`; an error (the reason) where they can no longer be lent, e.g.
    /// after one of them raised in an earlier cell.
    fn lend(&self, run: &mut dyn FnMut(Extensions<'_>)) -> Result<(), String>;
}

/// [`run_into`] with the caller's parts plugged in.
pub fn run_into_with(
    cfg: &RunConfig,
    dir: &std::path::Path,
    outputs: Outputs,
    ext: Extensions<'_>,
    observe: &mut dyn FnMut(&Progress),
) -> crate::error::Result<(RunOutput, Manifest)> {
    let (started, cpu_before) = (std::time::Instant::now(), crate::cpu_time::pool_cpu_s());
    let output = run_with(cfg, ext, observe)?;
    let seconds = started.elapsed().as_secs_f64();
    let mut manifest = Manifest::new(cfg, &output.records, &output.backend, &output.data, seconds, output.host);
    manifest.host_cpu_s = cpu_before.zip(crate::cpu_time::pool_cpu_s()).map(|(a, b)| b - a);
    write_run(dir, &output.records, &manifest, outputs)?;
    Ok((output, manifest))
}

/// [`run`], calling `observe` after every round.
pub fn run_observed(cfg: &RunConfig, observe: &mut dyn FnMut(&Progress)) -> Result<RunOutput, RunError> {
    run_with(cfg, Extensions::default(), observe)
}

/// [`run_observed`] with the caller's parts plugged in.
pub fn run_with(cfg: &RunConfig, ext: Extensions<'_>, observe: &mut dyn FnMut(&Progress)) -> Result<RunOutput, RunError> {
    // a trace edited since the id was taken would file its results under the old content's cell
    cfg.check_traces()?;
    let named = |role: &str| cfg.extensions.as_ref().is_some_and(|e| e.contains_key(role));
    if ext.server_step.is_some() && !named("server_step") {
        return Err(RunError::Learner(
            "a server step's name and version are not in the config's extensions, so its cells could not be told from the policy's own"
                .into(),
        ));
    }
    let step = ext.server_step;
    let simulated = |r: Result<(RunRecords, HostTimes), SimError>| r.map_err(RunError::from_sim);
    let seeds = Seeds::new(cfg.seed);
    let engine = cfg.engine_config_with_system()?;
    let mut times = JobTimes::new(&cfg.compute_time, cfg.granularity, cfg.local_steps, cfg.slots(), &seeds)?;
    if cfg.model == ModelName::External {
        let Some(model) = ext.model else {
            return Err(RunError::Learner(
                "model external trains a learner the caller supplies: run it from Python (abs_bench.run(config, learner=...); docs/extending.md)".into(),
            ));
        };
        if !named("learner") {
            return Err(RunError::Learner(
                "model external: the learner's name and version are not in the config's extensions, so its cells could not be told from another learner's".into(),
            ));
        }
        let source = cfg
            .data_source()
            .ok_or_else(|| RunError::Learner("model external needs a data set of images".into()))?;
        let data = load_data(cfg, source)?;
        let mut learner = ExternalLearner::new(model, &data, train_options(cfg), seeds).map_err(|error| RunError::External {
            role: "learner",
            round: None,
            error,
        })?;
        let (records, host) = simulated(simulate_timed_with(&engine, &mut learner, &mut times, step, observe))?;
        return Ok(RunOutput {
            records,
            backend: "the caller's learner (model external)".to_string(),
            data: describe_data(&data),
            host,
        });
    }
    match (abs_models::Arch::of(cfg.model), cfg.data_source()) {
        (Some(arch), Some(source)) => {
            let (device, mut backend) = abs_models::backend::select(cfg.backend).map_err(RunError::Learner)?;
            let kernels = cfg.kernels.unwrap_or(Kernels::Burn);
            if kernels == Kernels::Native && abs_models::nets::is_flex(&device) {
                backend.push_str(&format!(
                    "; native kernels r{} ({})",
                    abs_models::kernels::NATIVE_REVISION,
                    abs_models::kernels::Isa::detected().name()
                ));
            }
            let data = load_data(cfg, source)?;
            let opts = TrainOptions {
                replica_batching: cfg.replica_batching,
                kernels,
                ..train_options(cfg)
            };
            let described = describe_data(&data);
            let mut learner = burn_learner(arch, data, opts, seeds, device).map_err(RunError::Learner)?;
            let (records, host) = simulated(simulate_timed_with(&engine, learner.as_mut(), &mut times, step, observe))?;
            Ok(RunOutput {
                records,
                backend,
                data: described,
                host,
            })
        }
        _ => {
            let spec = cfg.analytic.unwrap_or_default();
            let validation = Validation {
                holdout: cfg.holdout,
                evaluate_on: cfg.evaluate_on,
            };
            let mut learner =
                AnalyticLearner::with_validation(&spec, cfg.holders(), cfg.partition, cfg.lr, cfg.batch_size, seeds, validation)
                    .map_err(RunError::Learner)?;
            if let Some(w) = learner.shard_sizes().iter().position(|&s| s == 0) {
                return Err(RunError::EmptyShard { worker: w });
            }
            let (records, host) = simulated(simulate_timed_with(&engine, &mut learner, &mut times, step, observe))?;
            Ok(RunOutput {
                records,
                backend: "cpu (analytic learner, plain Rust)".to_string(),
                data: "synthetic (analytic task)".to_string(),
                host,
            })
        }
    }
}

/// The data set of `cfg`, refused when it is not the one the config was stamped with.
fn load_data(cfg: &RunConfig, source: abs_sim::catalog::DataSource) -> Result<std::sync::Arc<abs_models::Dataset>, RunError> {
    let data = abs_models::data::load(source, cfg.data_dir.as_deref())?;
    // the digest the config was stamped with, or none: the official release
    let expected = cfg.data_digest.as_deref().or(cfg.dataset.release_digest());
    if let Some(recorded) = expected.filter(|d| *d != data.digest()) {
        return Err(RunError::OtherData {
            recorded: recorded.to_string(),
            found: data.digest().to_string(),
            name: data.name,
        });
    }
    Ok(data)
}

/// The data set's name and where it was read from.
fn describe_data(data: &abs_models::Dataset) -> String {
    match &data.source_dir {
        Some(dir) => format!("{} ({})", data.name, dir.display()),
        None => data.name.to_string(),
    }
}

/// How any learner of `cfg` trains and evaluates (the Burn-only options at their defaults).
fn train_options(cfg: &RunConfig) -> TrainOptions {
    TrainOptions {
        lr: cfg.lr,
        batch_size: cfg.batch_size,
        holders: cfg.holders(),
        partition: cfg.partition,
        eval_samples: cfg.eval_samples,
        holdout: cfg.holdout,
        evaluate_on: cfg.evaluate_on,
        clients: cfg.clients,
        ..TrainOptions::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abs_sim::config::parse_yaml;

    fn lenet_run(batching: bool) -> RunRecords {
        let yaml = format!(
            "policy: bounded\nk: 3\nstaleness_bound: 2\nworkers: 6\nlocal_steps: 3\nbatch_size: 16\nlr: 0.05\nmodel: lenet\n\
             dataset: synthetic\nsynthetic: {{train_samples: 600, test_samples: 200}}\nmax_rounds: 12\neval_every: 4\n\
             replica_batching: {batching}\n"
        );
        let cfg = RunConfig::resolve(parse_yaml(&yaml, "test").unwrap(), "test").unwrap();
        run(&cfg).unwrap().records
    }

    /// Replica batching changes how a round's jobs are computed, never which jobs run when: the
    /// schedule is identical and the learning agrees up to float summation noise, which SGD
    /// amplifies over rounds (bounds here: 1e-3 relative on losses, 0.01 on any parameter).
    #[test]
    fn replica_batching_keeps_the_schedule_and_the_learning() {
        let (plain, batched) = (lenet_run(false), lenet_run(true));
        assert_eq!(plain.rounds.len(), batched.rounds.len());
        assert!(
            plain.rounds.iter().all(|r| r.arrivals == 3),
            "three jobs trained together each round"
        );
        for (a, b) in plain.rounds.iter().zip(&batched.rounds) {
            let same = (a.round, a.time.to_bits(), a.k, a.arrivals, a.restarts, a.max_staleness, a.comm);
            assert_eq!(
                same,
                (b.round, b.time.to_bits(), b.k, b.arrivals, b.restarts, b.max_staleness, b.comm)
            );
            assert!(
                (a.train_loss - b.train_loss).abs() <= 1e-3 * a.train_loss.abs(),
                "round {}: {a:?} vs {b:?}",
                a.round
            );
        }
        for (a, b) in plain.evals.iter().zip(&batched.evals) {
            assert!((a.test_loss - b.test_loss).abs() <= 1e-3 * a.test_loss.abs(), "{a:?} vs {b:?}");
            assert!((a.test_accuracy - b.test_accuracy).abs() <= 0.02, "{a:?} vs {b:?}");
        }
        let moved = plain
            .params
            .iter()
            .zip(&batched.params)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        // per job the two paths differ by ~1e-6 relative; SGD amplifies that over rounds (measured
        // here: 8e-4 after 12 rounds), as any change of summation order would
        assert!(moved <= 1e-2, "final parameters differ by {moved}");
    }

    /// A run whose compute-time trace was edited after its id was taken is refused before it
    /// reads the file (its results would be filed under the old content's cell); unchanged, it
    /// runs.
    #[test]
    fn a_trace_edited_since_the_id_was_taken_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("times.csv");
        let times = |t: u32| {
            (0..40)
                .flat_map(|j| (0..2).map(move |w| format!("{w},{j},{t}\n")))
                .collect::<String>()
        };
        std::fs::write(&path, format!("worker,job,time\n{}", times(1))).unwrap();
        let yaml = format!(
            "model: analytic\nworkers: 2\nmax_rounds: 5\nanalytic: {{dim: 3, train_samples: 100, test_samples: 20}}\n\
             compute_time: {{model: trace, path: {}}}\n",
            path.display()
        );
        let mut cfg = RunConfig::resolve(parse_yaml(&yaml, "test").unwrap(), "test").unwrap();
        cfg.stamp_traces().unwrap();
        assert!(run(&cfg).is_ok());
        std::fs::write(&path, format!("worker,job,time\n{}", times(2))).unwrap();
        match run(&cfg) {
            Err(RunError::JobTimes(e @ TraceError::Changed { .. })) => assert!(e.to_string().contains("times.csv"), "{e}"),
            other => panic!("not refused: {:?}", other.map(|o| o.records.rounds.len())),
        }
    }

    fn run_yaml(yaml: &str) -> RunOutput {
        let cfg = RunConfig::resolve(parse_yaml(yaml, "test").unwrap(), "test").unwrap();
        run(&cfg).unwrap()
    }

    /// The native kernels and Burn's compute the same simulation: over 100 rounds (fixed K) the
    /// schedule is identical and the final test accuracy agrees within 0.01.
    #[test]
    fn native_and_burn_kernels_reach_the_same_accuracy() {
        let yaml = |kernels: &str| {
            format!(
                "policy: bounded\nk: 2\nstaleness_bound: 3\nworkers: 4\nlocal_steps: 4\nbatch_size: 16\nlr: 0.05\nmodel: lenet\ndataset: synthetic\n\
                 synthetic: {{shape: mnist, train_samples: 2000, test_samples: 1000, signal_percent: 40}}\n\
                 max_rounds: 100\neval_every: 50\nkernels: {kernels}\n"
            )
        };
        let (native, burn) = (run_yaml(&yaml("native")), run_yaml(&yaml("burn")));
        assert!(native.backend.contains("native kernels r"), "{}", native.backend);
        assert!(!burn.backend.contains("native"), "{}", burn.backend);
        let (a, b) = (native.records, burn.records);
        assert_eq!(a.rounds.len(), 100);
        for (x, y) in a.rounds.iter().zip(&b.rounds) {
            assert_eq!(
                (x.time.to_bits(), x.arrivals, x.restarts, x.comm),
                (y.time.to_bits(), y.arrivals, y.restarts, y.comm)
            );
        }
        let (fa, fb) = (a.evals.last().unwrap(), b.evals.last().unwrap());
        assert!(fa.test_accuracy > 0.5, "the run learned: {fa:?}");
        assert!((fa.test_accuracy - fb.test_accuracy).abs() <= 0.01, "{fa:?} vs {fb:?}");
        assert_ne!(a.params, b.params, "different kernels round differently");
    }
}
