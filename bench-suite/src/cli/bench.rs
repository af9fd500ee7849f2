//! `abs-bench bench`: local-training and evaluation throughput, side by side with PyTorch.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use abs_models::Arch;
use abs_sim::catalog::{Kernels, SyntheticShape};

use crate::bench::{self, BenchMode, TrainBench};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: Option<BenchCommand>,
    /// Threads for both sides (default: 1).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Python interpreter for the PyTorch reference.
    #[arg(long, default_value = "python3")]
    python: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Training samples/s of one local job (U steps, batch B) for abs-bench and PyTorch, or with
    /// `--eval` the evaluation pass (10,000 test images, no gradients); a ratio line for each.
    Train(TrainArgs),
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// lenet, cnn, mlp or logreg.
    #[arg(long, default_value = "lenet")]
    model: String,
    /// Thread counts to measure, comma-separated (default: 1 and all cores).
    #[arg(long, value_delimiter = ',')]
    threads: Vec<usize>,
    /// Timed jobs per measurement (after 3 warm-up jobs).
    #[arg(long, default_value_t = 20)]
    jobs: u32,
    /// Local steps per job (U).
    #[arg(long, default_value_t = 10)]
    steps: u32,
    #[arg(long, default_value_t = 32)]
    batch: u32,
    /// Python interpreter for the PyTorch reference.
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// Skip the PyTorch reference.
    #[arg(long)]
    no_reference: bool,
    /// Jobs trained together in lockstep (replica batching), comma-separated counts to measure.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    replicas: Vec<u32>,
    /// Image shapes to measure, comma-separated: 3x32x32 (CIFAR-10) and/or 1x28x28 (Fashion-MNIST).
    #[arg(long, value_delimiter = ',', default_value = "3x32x32")]
    input: Vec<String>,
    /// abs-bench kernels to measure, comma-separated: native and/or burn.
    #[arg(long, value_delimiter = ',', default_value = "native")]
    kernels: Vec<String>,
    /// Independent copies run at once on each side (2 = how a sweep uses two cores); samples/s summed.
    #[arg(long, default_value_t = 1)]
    concurrent: usize,
    /// Time the evaluation pass instead of training.
    #[arg(long)]
    eval: bool,
}

pub fn bench(args: BenchArgs) -> Result<()> {
    match args.what {
        None => headline(args.threads, &args.python),
        Some(BenchCommand::Train(t)) => train(t),
    }
}

/// The headline number: one lenet job against PyTorch at `threads` threads.
fn headline(threads: usize, python: &Path) -> Result<()> {
    if threads == 0 {
        return Err(Error::Usage("--threads 0: expected at least 1".to_string()));
    }
    let b = TrainBench {
        arch: Arch::Lenet,
        mode: BenchMode::Train,
        input: SyntheticShape::Cifar10,
        kernels: Kernels::Native,
        threads,
        concurrent: 1,
        replicas: 1,
        jobs: 20,
        warmup: 3,
        steps: 10,
        batch: 32,
    };
    let roof = print_roof(threads);
    if compare_train("lenet", &b, &[b.kernels], Some(python), roof)?.is_none() {
        println!("lenet train ratio vs pytorch: unavailable (no torch for {})", python.display());
    }
    Ok(())
}

/// Every combination of the given shapes, thread counts and replica counts.
fn train(a: TrainArgs) -> Result<()> {
    let inputs = a.input.iter().map(|i| input_shape(i)).collect::<Result<Vec<_>, _>>()?;
    let kernels = a.kernels.iter().map(|k| kernels_named(k)).collect::<Result<Vec<_>, _>>()?;
    if a.concurrent == 0 {
        return Err(Error::Usage("--concurrent 0: expected at least 1".to_string()));
    }
    let arch = Arch::from_name(&a.model).ok_or_else(|| {
        let names: Vec<&str> = Arch::ALL.iter().map(|a| a.name()).collect();
        Error::Usage(format!("--model {}: expected one of {}", a.model, names.join(", ")))
    })?;
    let cores = crate::runner::Budget::cores();
    let threads = match (a.threads.is_empty(), cores > 1) {
        (true, true) => vec![1, cores],
        (true, false) => vec![1],
        (false, _) => a.threads.clone(),
    };
    if let Some(t) = threads.iter().find(|&&t| t == 0) {
        return Err(Error::Usage(format!("--threads {t}: expected counts >= 1")));
    }
    if let Some(r) = a.replicas.iter().find(|&&r| r == 0) {
        return Err(Error::Usage(format!("--replicas {r}: expected counts >= 1")));
    }
    let mode = if a.eval { BenchMode::Eval } else { BenchMode::Train };
    let python = (!a.no_reference).then_some(a.python.as_path());
    let mut roofs = std::collections::BTreeMap::new();
    for &input in &inputs {
        for &t in &threads {
            let roof = *roofs.entry(t * a.concurrent).or_insert_with(|| print_roof(t * a.concurrent));
            for &replicas in &a.replicas {
                let b = TrainBench {
                    arch,
                    mode,
                    input,
                    kernels: kernels[0],
                    threads: t,
                    concurrent: a.concurrent,
                    replicas,
                    jobs: a.jobs.max(1),
                    warmup: 3,
                    steps: a.steps.max(1),
                    batch: a.batch.max(1),
                };
                compare_train(&a.model, &b, &kernels, python, roof)?;
            }
        }
    }
    Ok(())
}

/// Measures and prints this machine's fp32 FMA peak on `threads` threads (the roof every
/// throughput is a fraction of); returns it in GFLOP/s.
fn print_roof(threads: usize) -> f64 {
    let r = abs_models::kernels::roof::measure(threads, 0.5);
    println!(
        "roof: fp32 FMA peak ({}, {} thread{}): {:.1} GFLOP/s",
        r.isa.name(),
        r.threads,
        if r.threads == 1 { "" } else { "s" },
        r.gflops
    );
    r.gflops
}

/// `samples_per_s` as GFLOP/s and as a share of `roof` (GFLOP/s), for the line that reports it.
fn against_roof(b: &bench::TrainBench, samples_per_s: f64, roof: f64) -> String {
    let (c, h, w) = b.input.dims();
    let flops = b.arch.flops(abs_models::InputShape {
        channels: c,
        height: h,
        width: w,
        classes: 10,
    });
    let per_sample = match b.mode {
        bench::BenchMode::Train => flops.train,
        bench::BenchMode::Eval => flops.forward,
    };
    let gflops = samples_per_s * per_sample / 1e9;
    format!(" ({gflops:.1} GFLOP/s, {:.0}% of the roof)", 100.0 * gflops / roof)
}

/// The synthetic data shape named `CxHxW`.
fn input_shape(name: &str) -> Result<SyntheticShape> {
    SyntheticShape::from_dims_name(name).ok_or_else(|| {
        let names: Vec<String> = SyntheticShape::ALL.iter().map(|s| s.dims_name()).collect();
        Error::Usage(format!("--input {name}: expected {}", names.join(" or ")))
    })
}

fn kernels_named(name: &str) -> Result<Kernels> {
    Kernels::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Kernels::ALL.iter().map(|k| k.name()).collect();
        Error::Usage(format!("--kernels {name}: expected one of {}", names.join(", ")))
    })
}

/// Measures `b` for abs-bench with each of `kernels`, then (with `python`) the PyTorch reference
/// once, printing one line each and a ratio line per kernel choice, `{model} {mode} ratio vs
/// pytorch: R` (with the kernels named when there are several); returns the first ratio, None when
/// there is no reference. Each line gives its GFLOP/s and share of `roof` (GFLOP/s).
fn compare_train(model: &str, b: &bench::TrainBench, kernels: &[Kernels], python: Option<&Path>, roof: f64) -> Result<Option<f64>> {
    let mode = b.mode.name();
    let task = match b.mode {
        bench::BenchMode::Train => format!("train (U={}, B={}", b.steps, b.batch),
        bench::BenchMode::Eval => format!("eval ({} images", bench::EVAL_IMAGES),
    };
    let what = format!(
        "{model} {task}, {}, {} thread{}{}{})",
        b.input_name(),
        b.threads,
        if b.threads == 1 { "" } else { "s" },
        if b.concurrent > 1 {
            format!(" x {} concurrent", b.concurrent)
        } else {
            String::new()
        },
        if b.replicas > 1 {
            format!(", abs-bench {} replicas in lockstep", b.replicas)
        } else {
            String::new()
        }
    );
    let mut ours = Vec::new();
    for &k in kernels {
        let rate = bench::burn_samples_per_s(&bench::TrainBench { kernels: k, ..*b }).map_err(Error::Bench)?;
        let isa = if k == Kernels::Native {
            format!(", {}", abs_models::kernels::Isa::detected().name())
        } else {
            String::new()
        };
        println!(
            "{what}: abs-bench (flex, {} kernels{isa}) {rate:.0} samples/s{}",
            k.name(),
            against_roof(b, rate, roof)
        );
        ours.push((k, rate));
    }
    let Some(python) = python else { return Ok(None) };
    match bench::torch_samples_per_s(python, b).map_err(Error::Bench)? {
        bench::Reference::Measured { samples_per_s, torch } => {
            println!(
                "{what}: pytorch {torch} {samples_per_s:.0} samples/s{}",
                against_roof(b, samples_per_s, roof)
            );
            for &(k, rate) in &ours {
                let named = if kernels.len() > 1 {
                    format!(" ({} kernels)", k.name())
                } else {
                    String::new()
                };
                println!("{model} {mode} ratio vs pytorch{named}: {:.3}", rate / samples_per_s);
            }
            Ok(ours.first().map(|(_, rate)| rate / samples_per_s))
        }
        bench::Reference::Unavailable(why) => {
            println!("{what}: pytorch reference skipped: {why}");
            Ok(None)
        }
    }
}
