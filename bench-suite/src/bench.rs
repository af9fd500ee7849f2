//! `abs-bench bench train`: local-training throughput of the Burn learner, side by side with the
//! PyTorch reference script on the same machine and thread count.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use abs_models::data::load;
use abs_models::{Arch, TrainOptions, burn_learner};
use abs_sim::catalog::{DataSource, Kernels, SyntheticShape, SyntheticSpec};
use abs_sim::{JobId, Learner, Partition, Seeds, TrainJob};

/// The PyTorch reference, shipped inside the binary so it runs from any folder.
pub const TORCH_SCRIPT: &str = include_str!("../reference/torch_step.py");

/// What a measurement times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchMode {
    /// Local jobs: U steps of batch B from a flat base vector and back.
    Train,
    /// The evaluation pass: the global model over `EVAL_IMAGES` test images, no gradients.
    Eval,
}

impl BenchMode {
    /// The mode's name, as in the ratio line and the reference script's `--mode`.
    pub fn name(self) -> &'static str {
        match self {
            BenchMode::Train => "train",
            BenchMode::Eval => "eval",
        }
    }
}

/// Test images in one timed evaluation pass (the size of CIFAR-10's and Fashion-MNIST's test sets).
pub const EVAL_IMAGES: u32 = 10_000;
pub use abs_models::burn_learner::EVAL_BATCH;

/// One throughput measurement: `jobs` jobs of `steps` steps of `batch` images of shape `input`
/// (or `jobs` evaluation passes), on `threads` threads, by `concurrent` independent copies at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainBench {
    pub arch: Arch,
    pub mode: BenchMode,
    pub input: SyntheticShape,
    pub kernels: Kernels,
    pub threads: usize,
    /// Independent copies run at the same time, each with `threads` threads (a sweep runs one
    /// cell per core); samples/s is their sum.
    pub concurrent: usize,
    /// Jobs trained together in lockstep (replica batching); 1 trains them one by one.
    pub replicas: u32,
    pub jobs: u32,
    pub warmup: u32,
    pub steps: u32,
    pub batch: u32,
}

impl TrainBench {
    /// `CxHxW` of the images.
    pub fn input_name(&self) -> String {
        self.input.dims_name()
    }
}

/// Samples per second of the Burn learner (flex) under `b`, summed over its concurrent copies.
pub fn burn_samples_per_s(b: &TrainBench) -> Result<f64, String> {
    let spec = SyntheticSpec {
        shape: b.input,
        train_samples: 5000,
        test_samples: if b.mode == BenchMode::Eval { EVAL_IMAGES } else { 100 },
        seed: 0,
        signal_percent: 30,
    };
    let data = load(DataSource::Synthetic(spec), None).map_err(|e| e.0)?;
    let copies = b.concurrent.max(1);
    let start = std::sync::Barrier::new(copies);
    let rates: Vec<Result<f64, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..copies).map(|_| scope.spawn(|| one_copy(b, &data, &start))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a benchmark thread panicked".to_string())))
            .collect()
    });
    rates.into_iter().sum()
}

/// One copy of the measurement on its own thread pool; waits at `start` after its warm-up.
fn one_copy(b: &TrainBench, data: &Arc<abs_models::Dataset>, start: &std::sync::Barrier) -> Result<f64, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(b.threads)
        .build()
        .map_err(|e| e.to_string())?;
    pool.install(|| {
        let opts = TrainOptions {
            lr: 0.05,
            batch_size: b.batch,
            holders: abs_sim::population::Holders::Workers(1),
            partition: Partition::Iid,
            eval_samples: None,
            eval_batch: EVAL_BATCH,
            replica_batching: b.replicas > 1,
            kernels: b.kernels,
            holdout: abs_sim::validation::Holdout::Samples(0),
            evaluate_on: abs_sim::validation::EvalSplit::Test,
            clients: None,
        };
        let (device, _) = abs_models::backend::select(abs_sim::catalog::Backend::Flex)?;
        let learner = burn_learner(b.arch, Arc::clone(data), opts, Seeds::new(0), device);
        let mut learner = match learner {
            Ok(l) => l,
            Err(e) => {
                start.wait();
                return Err(e);
            }
        };
        let w = learner.init();
        if b.mode == BenchMode::Eval {
            for _ in 0..b.warmup {
                learner.evaluate(&w);
            }
            start.wait();
            let clock = Instant::now();
            for _ in 0..b.jobs {
                learner.evaluate(&w);
            }
            return Ok(f64::from(b.jobs * EVAL_IMAGES) / clock.elapsed().as_secs_f64());
        }
        let k = b.replicas.max(1) as usize;
        let mut deltas = vec![vec![0.0; w.len()]; k];
        let mut losses = vec![0.0; k];
        let mut next_job = 0u64;
        let mut group = |learner: &mut Box<dyn Learner>| {
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
        start.wait();
        let groups = b.jobs.div_ceil(k as u32);
        let clock = Instant::now();
        for _ in 0..groups {
            group(&mut learner);
        }
        Ok(f64::from(groups * k as u32 * b.steps * b.batch) / clock.elapsed().as_secs_f64())
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

/// Runs the PyTorch reference with `python`: `b.concurrent` processes at once, samples/s summed.
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
    let script = std::env::temp_dir().join(format!("abs-bench-torch-{}.py", std::process::id()));
    std::fs::File::create(&script)
        .and_then(|mut f| f.write_all(TORCH_SCRIPT.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", script.display()))?;
    let children: Result<Vec<_>, String> = (0..b.concurrent.max(1))
        .map(|_| {
            Command::new(python)
                .arg(&script)
                .args(["--model", b.arch.name(), "--mode", b.mode.name(), "--input", &b.input_name()])
                .args(["--threads", &b.threads.to_string(), "--jobs", &b.jobs.to_string()])
                .args(["--warmup", &b.warmup.to_string(), "--steps", &b.steps.to_string()])
                .args(["--batch", &b.batch.to_string(), "--eval-images", &EVAL_IMAGES.to_string()])
                .args(["--eval-batch", &EVAL_BATCH.to_string()])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot run the PyTorch reference: {e}"))
        })
        .collect();
    let outputs: Vec<_> = children.map(|c| c.into_iter().map(|c| c.wait_with_output()).collect())?;
    let _ = std::fs::remove_file(&script);
    let (mut total, mut torch) = (0.0, String::from("?"));
    for out in outputs {
        let out = out.map_err(|e| format!("cannot run the PyTorch reference: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "the PyTorch reference failed: {}",
                String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
            ));
        }
        let line = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or("").to_string();
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("unexpected output from the PyTorch reference ({e}): {line}"))?;
        total += v["samples_per_s"].as_f64().ok_or_else(|| format!("no samples_per_s in {line}"))?;
        torch = v["torch"].as_str().unwrap_or("?").to_string();
    }
    Ok(Reference::Measured {
        samples_per_s: total,
        torch,
    })
}
