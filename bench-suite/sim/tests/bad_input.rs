//! Bad days at the door: seeded, generated run configs and sweep files (every key with values of
//! every type, missing, duplicated, misspelt and nested keys, truncated files, binary noise) must
//! give a config or one clean line of error: never a panic or a hang. Accepted analytic configs are
//! also simulated for a few rounds, which must not panic either.
//!
//! CI runs 2,000 cases of each kind; the full count: `ABS_FUZZ_CASES=10000 cargo test -p abs-sim
//! --test bad_input` (about 12 s); other documents with `ABS_FUZZ_SEED=N`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use abs_sim::config::{RawConfig, RunConfig, parse_yaml};
use abs_sim::engine::{AnalyticLearner, JobTimes, simulate};
use abs_sim::{Seeds, catalog::ModelName};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn cases() -> usize {
    std::env::var("ABS_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000)
}

/// Added to each test's seed (`ABS_FUZZ_SEED`, default 0), to try other documents.
fn seed_offset() -> u64 {
    std::env::var("ABS_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0)
}

const WORDS: &[&str] = &[
    "abs",
    "adasync",
    "sa_adasync",
    "k_async",
    "k_sync",
    "local_sgd",
    "bounded",
    "async",
    "sa_async",
    "analytic",
    "lenet",
    "cnn",
    "mlp",
    "logreg",
    "synthetic",
    "mnist",
    "fashion_mnist",
    "cifar10",
    "iid",
    "gamma_cvb",
    "constant",
    "exponential",
    "pareto",
    "trace",
    "two_state",
    "cycle",
    "gamma",
    "flex",
    "wgpu",
    "auto",
    "native",
    "burn",
    "ceil",
    "floor",
    "round",
    "reported",
    "eval",
    "n_over_k",
    "one_over_k",
    "n_minus_k",
    "greater",
    "greater_or_equal",
    "inv",
    "inv_plus_one",
    "job",
    "step",
    "cifar10",
];

const NESTED: &[&str] = &[
    "model",
    "mean",
    "v_task",
    "v_mach",
    "value",
    "shift",
    "scale",
    "shape",
    "path",
    "dirichlet",
    "alpha",
    "bandwidth",
    "mbps",
    "mean_mbps",
    "cv",
    "server_mbps",
    "model_bytes",
    "compression",
    "upload_ratio",
    "mean_up",
    "mean_down",
    "dim",
    "train_samples",
    "test_samples",
    "separation",
    "seed",
    "signal_percent",
    "k",
    "bound",
    "weight",
    "sync",
    "kind",
];

fn scalar(rng: &mut ChaCha8Rng) -> String {
    match rng.random_range(0..12) {
        0 => rng.random_range(-5i64..100).to_string(),
        1 => [
            "18446744073709551616",
            "-9223372036854775809",
            "4294967296",
            "1e400",
            "-0",
            "0x1F",
            "1_000",
        ][rng.random_range(0..7)]
        .to_string(),
        2 => format!("{}", rng.random::<f64>() * 10f64.powi(rng.random_range(-6..12))),
        3 => [".inf", "-.inf", ".nan", "inf", "NaN", "+.INF"][rng.random_range(0..6)].to_string(),
        4 => ["true", "false", "yes", "no", "on"][rng.random_range(0..5)].to_string(),
        5 | 6 => WORDS[rng.random_range(0..WORDS.len())].to_string(),
        7 => ["null", "~", "", "''", "\"\""][rng.random_range(0..5)].to_string(),
        8 => format!("\"{}\"", ["x\\ny", "é∞", "\\u0000", "a: b", "- c"][rng.random_range(0..5)]),
        9 => format!(
            "{}/{}.csv",
            ["/nonexistent", ".", "/dev", "/proc/self"][rng.random_range(0..4)],
            rng.random_range(0..9)
        ),
        10 => "&a 3".to_string(),
        _ => "*nothere".to_string(),
    }
}

fn value(rng: &mut ChaCha8Rng, depth: u32) -> String {
    if depth > 2 {
        return scalar(rng);
    }
    match rng.random_range(0..10) {
        0 | 1 => {
            let n = rng.random_range(0..4);
            let items: Vec<String> = (0..n).map(|_| value(rng, depth + 1)).collect();
            format!("[{}]", items.join(", "))
        }
        2..=4 => {
            let n = rng.random_range(0..5);
            let items: Vec<String> = (0..n)
                .map(|_| format!("{}: {}", NESTED[rng.random_range(0..NESTED.len())], value(rng, depth + 1)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        _ => scalar(rng),
    }
}

/// A key: a real one, or one misspelt, or unknown.
fn key(rng: &mut ChaCha8Rng) -> String {
    let k = RawConfig::KEYS[rng.random_range(0..RawConfig::KEYS.len())].to_string();
    match rng.random_range(0..10) {
        0 if k.len() > 2 => {
            let mut c: Vec<char> = k.chars().collect();
            let i = rng.random_range(0..c.len() - 1);
            c.swap(i, i + 1);
            c.into_iter().collect()
        }
        1 => format!("{k}s"),
        2 => NESTED[rng.random_range(0..NESTED.len())].to_string(),
        _ => k,
    }
}

/// Damages a document: truncation, binary noise, tabs, indentation.
fn damage(rng: &mut ChaCha8Rng, mut doc: String) -> String {
    match rng.random_range(0..8) {
        0 if !doc.is_empty() => {
            let mut cut = rng.random_range(0..doc.len());
            while !doc.is_char_boundary(cut) {
                cut -= 1;
            }
            doc.truncate(cut);
            doc
        }
        1 => {
            let noise: Vec<u8> = (0..rng.random_range(1..64)).map(|_| rng.random()).collect();
            doc + &String::from_utf8_lossy(&noise)
        }
        2 => doc.replacen(": ", ":\t", 1),
        3 => doc.replacen('\n', "\n  ", 1),
        4 => format!("- {doc}"),
        _ => doc,
    }
}

fn run_config(rng: &mut ChaCha8Rng) -> String {
    let mut doc = String::new();
    if rng.random_bool(0.6) {
        doc.push_str("model: analytic\n");
    }
    for _ in 0..rng.random_range(0..8) {
        let k = key(rng);
        doc.push_str(&format!("{k}: {}\n", value(rng, 0)));
        if rng.random_bool(0.05) {
            doc.push_str(&format!("{k}: {}\n", value(rng, 0))); // duplicated
        }
    }
    damage(rng, doc)
}

fn sweep_file(rng: &mut ChaCha8Rng) -> String {
    let sections = [
        "base",
        "policies",
        "conditions",
        "grid",
        "zip",
        "exclude",
        "quick",
        "figure",
        "jobs_log",
        "griid",
    ];
    let mut doc = String::new();
    if rng.random_bool(0.7) {
        doc.push_str("base: {model: analytic, max_rounds: 5}\n");
    }
    for _ in 0..rng.random_range(0..5) {
        let s = sections[rng.random_range(0..sections.len())];
        let body = match rng.random_range(0..4) {
            0 => format!("{{{}: [{}, {}]}}", key(rng), scalar(rng), scalar(rng)),
            1 => format!("{{{}: {}}}", key(rng), value(rng, 0)),
            2 => format!("[{{{}: {}}}]", key(rng), value(rng, 1)),
            _ => value(rng, 0),
        };
        doc.push_str(&format!("{s}: {body}\n"));
    }
    damage(rng, doc)
}

/// What a case must come to: a config (or cells), or an error of one non-empty line.
fn check_error(e: &abs_sim::config::ConfigError, doc: &str) {
    let text = e.to_string();
    assert!(
        !text.trim().is_empty() && !text.contains('\n'),
        "error not one line: {text:?} for {doc:?}"
    );
}

/// Simulates an accepted small analytic config for a few rounds.
fn simulate_briefly(cfg: &RunConfig) {
    if cfg.model != ModelName::Analytic || cfg.workers > 16 {
        return;
    }
    let a = cfg.analytic.unwrap_or_default();
    if u64::from(a.dim) * u64::from(a.train_samples + a.test_samples) > 5_000_000 {
        return;
    }
    let Ok(mut engine) = cfg.engine_config_with_system() else {
        return;
    };
    engine.max_rounds = engine.max_rounds.min(20);
    let seeds = Seeds::new(cfg.seed);
    let Ok(mut times) = JobTimes::new(&cfg.compute_time, cfg.granularity, cfg.local_steps.min(20), cfg.workers, &seeds) else {
        return;
    };
    engine.local_steps = engine.local_steps.min(20);
    let mut learner = AnalyticLearner::new(&a, cfg.holders(), cfg.partition, cfg.lr, cfg.batch_size.min(256), seeds);
    if learner.shard_sizes().contains(&0) {
        return;
    }
    let _ = simulate(&engine, &mut learner, &mut times);
}

/// Runs `cases` documents from `generate` through `check` on a thread, failing on a panic (naming
/// the case) or when the whole batch takes longer than `limit` (a hang).
fn fuzz(name: &str, seed: u64, generate: fn(&mut ChaCha8Rng) -> String, check: fn(&str), limit: Duration) {
    let current = std::sync::Arc::new(AtomicUsize::new(0));
    let n = cases();
    let (tx, rx) = mpsc::channel();
    let seed = seed + seed_offset();
    let docs: Vec<String> = {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| generate(&mut rng)).collect()
    };
    let worker_docs = docs.clone();
    let at = std::sync::Arc::clone(&current);
    std::thread::spawn(move || {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            for (i, doc) in worker_docs.iter().enumerate() {
                at.store(i, Ordering::SeqCst);
                check(doc);
            }
        }));
        let _ = tx.send(outcome.is_ok());
    });
    match rx.recv_timeout(limit) {
        Ok(true) => {}
        Ok(false) => {
            let i = current.load(Ordering::SeqCst);
            panic!("{name}: case {i} of seed {seed} panicked: {:?}", docs[i]);
        }
        Err(_) => {
            let i = current.load(Ordering::SeqCst);
            panic!("{name}: case {i} of seed {seed} did not finish within {limit:?}: {:?}", docs[i]);
        }
    }
}

#[test]
fn generated_run_configs_resolve_or_fail_in_one_line() {
    fuzz(
        "run config",
        1,
        run_config,
        |doc| match parse_yaml(doc, "fuzz.yaml").and_then(|raw| RunConfig::resolve(raw, "fuzz.yaml")) {
            Ok(cfg) => {
                if std::env::var_os("ABS_FUZZ_SHOW").is_some() {
                    eprintln!("ACCEPTED {:?}", doc);
                }
                let _ = cfg.hash();
                simulate_briefly(&cfg);
            }
            Err(e) => {
                if std::env::var_os("ABS_FUZZ_SHOW").is_some() {
                    eprintln!("REFUSED {}", e.clone().locate(doc));
                }
                check_error(&e.locate(doc), doc)
            }
        },
        Duration::from_secs(600),
    );
}

#[test]
fn generated_sweep_files_expand_or_fail_in_one_line() {
    fuzz(
        "sweep file",
        2,
        sweep_file,
        |doc| {
            if let Err(e) = abs_sim::sweep::expand(doc, "fuzz.yaml") {
                check_error(&e, doc);
            }
        },
        Duration::from_secs(600),
    );
}
