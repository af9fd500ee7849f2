//! `abs-bench bench train`: local-training throughput of the Burn learner, side by side with the
//! PyTorch reference script on the same machine and thread count.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use abs_models::data::{DataSource, SyntheticShape, SyntheticSpec, load};
use abs_models::{Arch, Eval, JobId, Learner, Partition, Seeds, TrainJob, TrainOptions, burn_learner};
use abs_policies::{KRounding, Policy, PolicyName, PolicyParams, RestartWhen, SaForm, ThresholdForm};

use crate::sim::{EngineConfig, KLoss};

/// The PyTorch reference, shipped inside the binary so it runs from any folder.
pub const TORCH_SCRIPT: &str = include_str!("../reference/torch_step.py");

/// One throughput measurement: `jobs` jobs of `steps` steps of `batch` images (3x32x32).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainBench {
    pub arch: Arch,
    pub threads: usize,
    /// Jobs trained together in lockstep (replica batching); 1 trains them one by one.
    pub replicas: u32,
    pub jobs: u32,
    pub warmup: u32,
    pub steps: u32,
    pub batch: u32,
}

/// Training samples per second of the Burn learner (flex): jobs one after another, or in groups of
/// `replicas` trained in lockstep (the timed job count is rounded up to whole groups).
pub fn burn_samples_per_s(b: &TrainBench) -> Result<f64, String> {
    let spec = SyntheticSpec {
        shape: SyntheticShape::Cifar10,
        train_samples: 5000,
        test_samples: 100,
        seed: 0,
        signal_percent: 30,
    };
    let data = load(DataSource::Synthetic(spec), None).map_err(|e| e.0)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(b.threads)
        .build()
        .map_err(|e| e.to_string())?;
    pool.install(|| {
        let opts = TrainOptions {
            lr: 0.05,
            batch_size: b.batch,
            workers: 1,
            partition: Partition::Iid,
            eval_samples: None,
            eval_batch: 500,
            replica_batching: b.replicas > 1,
        };
        let (device, _) = abs_models::backend::select(abs_models::Backend::Flex)?;
        let mut learner = burn_learner(b.arch, Arc::clone(&data), opts, Seeds::new(0), device)?;
        let w = learner.init();
        let k = b.replicas.max(1) as usize;
        let mut deltas = vec![vec![0.0; w.len()]; k];
        let mut losses = vec![0.0; k];
        let mut next_job = 0u64;
        let mut group = |learner: &mut Box<dyn abs_models::Learner>| {
            let jobs: Vec<TrainJob<'_>> = (0..k as u64)
                .map(|i| TrainJob {
                    base: &w,
                    job: JobId {
                        worker: 0,
                        job: next_job + i,
                    },
                })
                .collect();
            next_job += k as u64;
            learner.train_batch(&jobs, b.steps, &mut deltas, &mut losses);
        };
        for _ in 0..b.warmup.div_ceil(k as u32) {
            group(&mut learner);
        }
        let groups = b.jobs.div_ceil(k as u32);
        let start = Instant::now();
        for _ in 0..groups {
            group(&mut learner);
        }
        Ok(f64::from(groups * k as u32 * b.steps * b.batch) / start.elapsed().as_secs_f64())
    })
}

/// Outcome of the PyTorch reference.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    Measured {
        samples_per_s: f64,
        torch: String,
    },
    /// torch is not importable by that interpreter (or the interpreter is missing).
    Unavailable(String),
}

/// Runs the PyTorch reference with `python`.
pub fn torch_samples_per_s(python: &Path, b: &TrainBench) -> Result<Reference, String> {
    let probe = Command::new(python).args(["-c", "import torch"]).output();
    match probe {
        Err(e) => return Ok(Reference::Unavailable(format!("cannot run {}: {e}", python.display()))),
        Ok(o) if !o.status.success() => {
            return Ok(Reference::Unavailable(format!(
                "{} cannot import torch (install it with `{} -m pip install torch`)",
                python.display(),
                python.display()
            )));
        }
        Ok(_) => {}
    }
    let mut script = std::env::temp_dir().join(format!("abs-bench-torch-{}.py", std::process::id()));
    std::fs::File::create(&script)
        .and_then(|mut f| f.write_all(TORCH_SCRIPT.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", script.display()))?;
    let out = Command::new(python)
        .arg(&script)
        .args([
            "--model",
            b.arch.name(),
            "--threads",
            &b.threads.to_string(),
            "--jobs",
            &b.jobs.to_string(),
        ])
        .args([
            "--warmup",
            &b.warmup.to_string(),
            "--steps",
            &b.steps.to_string(),
            "--batch",
            &b.batch.to_string(),
        ])
        .output()
        .map_err(|e| format!("cannot run the PyTorch reference: {e}"));
    let _ = std::fs::remove_file(&script);
    script.clear();
    let out = out?;
    if !out.status.success() {
        return Err(format!(
            "the PyTorch reference failed: {}",
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        ));
    }
    let line = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or("").to_string();
    let v: serde_json::Value =
        serde_json::from_str(&line).map_err(|e| format!("unexpected output from the PyTorch reference ({e}): {line}"))?;
    let samples_per_s = v["samples_per_s"].as_f64().ok_or_else(|| format!("no samples_per_s in {line}"))?;
    Ok(Reference::Measured {
        samples_per_s,
        torch: v["torch"].as_str().unwrap_or("?").to_string(),
    })
}

/// Returns a zero delta and a constant loss: all that is left is the engine.
pub struct NoWork;

impl Learner for NoWork {
    fn dim(&self) -> usize {
        1
    }
    fn init(&mut self) -> Vec<f32> {
        vec![0.0]
    }
    fn train(&mut self, _base: &[f32], _job: JobId, _steps: u32, delta: &mut [f32]) -> f64 {
        delta[0] = 0.0;
        1.0
    }
    fn evaluate(&mut self, _params: &[f32]) -> Eval {
        Eval { loss: 1.0, accuracy: 0.0 }
    }
}

/// An engine config for benches: `name` on `workers` workers (k = N/10 for fixed-K policies, k0 = 2),
/// `rounds` rounds, no evaluation.
pub fn engine_config(name: PolicyName, workers: u32, rounds: u64) -> EngineConfig {
    let params = PolicyParams {
        workers,
        k: Some((workers / 10).max(1)),
        k0: 2.min(workers),
        k_exponent: 0.5,
        k_rounding: KRounding::Ceil,
        k_monotone: true,
        zeta: 1.0,
        threshold_form: ThresholdForm::NOverK,
        staleness_bound: None,
        sa_form: SaForm::Inv,
    };
    EngineConfig {
        workers,
        local_steps: 10,
        policy: Policy::resolve(name.knobs(), &params).expect("valid bench policy"),
        restart_when: RestartWhen::Greater,
        server_lr: 1.0,
        k_loss: KLoss::Reported,
        k_update_every: 1,
        eval_every: u64::MAX,
        max_rounds: rounds,
        max_time: f64::INFINITY,
        target_accuracy: None,
        stop_at_target: false,
        upload_latency: 0.0,
        download_latency: 0.0,
    }
}
