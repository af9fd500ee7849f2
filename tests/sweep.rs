//! End-to-end tests of sweeps: parallel and sharded runs, kill and resume, failures, results, repro.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{bin, ok, run, scratch, write};

/// Every finished cell's result files (not the manifest, which holds host times), by cell id.
fn results(out: &Path) -> BTreeMap<String, Vec<Vec<u8>>> {
    let mut m = BTreeMap::new();
    for e in std::fs::read_dir(out.join("cells")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "a temporary folder was left behind: {name}");
        let files = ["rounds.parquet", "evals.parquet"].map(|f| std::fs::read(e.path().join(f)).unwrap());
        m.insert(name, files.to_vec());
    }
    m
}

const ANALYTIC: &str = "base: {model: analytic, max_rounds: 60, eval_every: 10, target_accuracy: 0.8, \
     analytic: {dim: 6, train_samples: 1500, test_samples: 300, separation: 1.5}}\n\
     policies: {abs: abs, adasync: adasync, kasync: {policy: k_async, k: 2}}\n\
     grid: {workers: [4, 6], seed: [0, 1, 2]}\n";

#[test]
fn shards_and_job_counts_give_the_same_cells_bit_for_bit() {
    let dir = scratch("shards");
    let sweep = write(&dir, "s.yaml", ANALYTIC);
    let (whole, sharded, two) = (dir.join("whole"), dir.join("sharded"), dir.join("two"));
    ok(&run(&["sweep", &sweep, "--out", whole.to_str().unwrap(), "--jobs", "1"]));
    ok(&run(&["sweep", &sweep, "--out", two.to_str().unwrap(), "--jobs", "2"]));
    let dry = ok(&run(&["sweep", &sweep, "--dry-run", "--shard", "1/2"]));
    assert!(dry.starts_with(&format!("{sweep}: 9 cells (shard 1/2: 9 of 18 cells)")), "{dry}");
    ok(&run(&["sweep", &sweep, "--out", sharded.to_str().unwrap(), "--shard", "0/2"]));
    assert_eq!(results(&sharded).len(), 9);
    // the second shard picked by a SLURM array's variables, as on a cluster: a resubmission of
    // task 1 alone, with the shard count the generated script exports
    let o = bin()
        .args(["sweep", &sweep, "--out", sharded.to_str().unwrap()])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_MAX", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "1")
        .env("ABS_SHARD_COUNT", "2")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("shard 1/2"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    ok(&o);
    let w = results(&whole);
    assert_eq!(w.len(), 18);
    assert!(w == results(&sharded), "two shards differ from one unsharded sweep");
    assert!(w == results(&two), "--jobs 2 differs from --jobs 1");
    let e = run(&["sweep", &sweep, "--shard", "2/2"]);
    assert_eq!(e.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&e.stderr).contains("0 to 1"));
}

#[test]
fn a_killed_sweep_resumes_to_the_same_results_without_rerunning_finished_cells() {
    let dir = scratch("kill");
    // slow enough cells (a few tenths of a second each) that the kill lands part-way
    let sweep = write(
        &dir,
        "s.yaml",
        "base: {model: analytic, workers: 8, max_rounds: 3000, eval_every: 500, \
         analytic: {dim: 20, train_samples: 4000, test_samples: 500}}\n\
         policies: {abs: abs, async: async}\ngrid: {seed: [0, 1, 2, 3, 4, 5]}\n",
    );
    let (killed, clean) = (dir.join("killed"), dir.join("clean"));
    let mut child = bin()
        .args(["sweep", &sweep, "--out", killed.to_str().unwrap(), "--jobs", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // a finished cell: a folder named by its id holding a manifest (not a `.tmp-` folder whose
    // manifest is written but which is not yet renamed: the kill may land in between)
    let is_finished = |e: &std::fs::DirEntry| !e.file_name().to_string_lossy().starts_with('.') && e.path().join("manifest.json").is_file();
    let finished = |out: &Path| {
        std::fs::read_dir(out.join("cells"))
            .map(|d| d.flatten().filter(is_finished).count())
            .unwrap_or(0)
    };
    let start = Instant::now();
    while finished(&killed) < 2 && start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done_before = finished(&killed);
    assert!(
        (2..12).contains(&done_before),
        "the kill must land part-way ({done_before} of 12 finished)"
    );
    let manifests_before: BTreeMap<String, String> = std::fs::read_dir(killed.join("cells"))
        .unwrap()
        .flatten()
        .filter(is_finished)
        .map(|e| {
            let m = std::fs::read_to_string(e.path().join("manifest.json")).unwrap();
            (e.file_name().to_string_lossy().into_owned(), m)
        })
        .collect();

    let o = run(&["sweep", &sweep, "--out", killed.to_str().unwrap(), "--jobs", "2"]);
    ok(&o);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!("{done_before} already finished; running {}", 12 - done_before)),
        "{stderr}"
    );
    for (id, m) in &manifests_before {
        let now = std::fs::read_to_string(killed.join("cells").join(id).join("manifest.json")).unwrap();
        assert_eq!(&now, m, "finished cell {id} was rerun");
    }
    ok(&run(&["sweep", &sweep, "--out", clean.to_str().unwrap()]));
    assert!(
        results(&killed) == results(&clean),
        "a resumed sweep differs from an uninterrupted one"
    );
}

#[test]
fn a_failing_cell_is_recorded_and_the_others_finish() {
    let dir = scratch("fail");
    let sweep = write(
        &dir,
        "s.yaml",
        "base: {model: analytic, max_rounds: 20, analytic: {dim: 3, train_samples: 300, test_samples: 60}}\n\
         zip: [{compute_time: [{model: trace, path: /nonexistent/trace.csv}, {model: exponential, mean: 1.0}, {model: exponential, mean: 2.0}]}]\n",
    );
    let out = dir.join("out");
    let o = run(&["sweep", &sweep, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("1 of 3 cells failed") && e.contains("/nonexistent/trace.csv"), "{e}");
    assert_eq!(results(&out).len(), 2);
    assert_eq!(std::fs::read_dir(out.join("failed")).unwrap().count(), 1);
}

#[test]
fn results_summarise_over_seeds_and_export_csv() {
    let dir = scratch("results");
    let sweep = write(&dir, "s.yaml", ANALYTIC);
    let out = dir.join("out");
    ok(&run(&["sweep", &sweep, "--out", out.to_str().unwrap()]));
    let csv = dir.join("summary.csv");
    let text = ok(&run(&[
        "results",
        out.to_str().unwrap(),
        "--sweep",
        &sweep,
        "--csv",
        csv.to_str().unwrap(),
    ]));
    let header = text.lines().next().unwrap();
    for col in [
        "label",
        "workers",
        "seeds",
        "reached",
        "final_accuracy_mean",
        "time_to_target_mean",
        "comm_to_target_sd",
    ] {
        assert!(header.contains(col), "{header}");
    }
    assert!(!header.contains("seed "), "seeds are pooled, not a column: {header}");
    assert_eq!(text.lines().count(), 1 + 6, "3 policies x 2 worker counts:\n{text}");
    assert!(text.lines().nth(1).unwrap().starts_with("abs "), "sweep order:\n{text}");

    // the CSV's means equal the manifests' final accuracies averaged by hand
    let mut rdr = csv::Reader::from_path(&csv).unwrap();
    let heads = rdr.headers().unwrap().clone();
    let idx = |n: &str| heads.iter().position(|h| h == n).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 6);
    let mut by_hand: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for e in std::fs::read_dir(out.join("cells")).unwrap().flatten() {
        let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(e.path().join("manifest.json")).unwrap()).unwrap();
        // each cell's cost in CPU seconds beside its wall time: its own threads' (at most the
        // cores' worth of its wall time)
        let (cpu, wall) = (m["host_cpu_s"].as_f64().unwrap(), m["host_wall_time_s"].as_f64().unwrap());
        let cores = std::thread::available_parallelism().unwrap().get() as f64;
        assert!(cpu > 0.0 && cpu <= wall * cores + 0.05, "cpu {cpu} s, wall {wall} s");
        let key = (m["policy"].as_str().unwrap().to_string(), m["config"]["workers"].to_string());
        by_hand.entry(key).or_default().push(m["final_test_accuracy"].as_f64().unwrap());
    }
    for r in &rows {
        assert_eq!(&r[idx("seeds")], "3");
        let policy = match &r[idx("label")] {
            "kasync" => "k_async",
            other => other,
        };
        let accs = by_hand
            .iter()
            .find(|((p, w), _)| p.starts_with(policy) && *w == r[idx("workers")])
            .map(|(_, v)| v)
            .unwrap();
        let mean = accs.iter().sum::<f64>() / 3.0;
        let got: f64 = r[idx("final_accuracy_mean")].parse().unwrap();
        assert!((got - mean).abs() < 1e-12, "{r:?}: {got} vs {mean}");
        let reached: usize = r[idx("reached")].parse().unwrap();
        assert!(reached <= 3);
    }
    // per cell, and a stricter target that fewer cells reach
    let per_cell = ok(&run(&["results", out.to_str().unwrap(), "--cells", "--target", "0.999"]));
    assert_eq!(per_cell.lines().count(), 1 + 18);
    let e = run(&["results", dir.join("nothing").to_str().unwrap()]);
    assert_eq!(e.status.code(), Some(2));
}

/// Two policy entries of one config are one cell, computed once (they would share a folder and a
/// temporary); `results` without `--target` uses the data set's default target and says so.
#[test]
fn duplicate_entries_run_once_and_results_default_to_the_data_sets_target() {
    let dir = scratch("dup");
    let sweep = write(
        &dir,
        "s.yaml",
        "base: {model: analytic, max_rounds: 40, eval_every: 10, analytic: {dim: 6, train_samples: 1500, test_samples: 300, separation: 1.5}}\n\
         policies: {abs: abs, again: abs, sync: local_sgd}\ngrid: {seed: [0, 1]}\n",
    );
    let out = dir.join("out");
    let out_s = out.to_str().unwrap();
    let dry = ok(&run(&["sweep", &sweep, "--dry-run"]));
    assert!(dry.starts_with(&format!("{sweep}: 4 cells")), "{dry}");
    let o = run(&["sweep", &sweep, "--out", out_s, "--jobs", "2"]);
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("is the same run as `abs`").count(), 2, "{err}");
    assert_eq!(results(&out).len(), 4);
    let csv = dir.join("cells.csv");
    let o = run(&["results", out_s, "--cells", "--csv", csv.to_str().unwrap()]);
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("target accuracy: the synthetic default 0.6"), "{err}");
    let mut rdr = csv::Reader::from_path(&csv).unwrap();
    let heads = rdr.headers().unwrap().clone();
    let (target, time) = (
        heads.iter().position(|h| h == "target").unwrap(),
        heads.iter().position(|h| h == "time_to_target").unwrap(),
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| &r[target] == "0.6"), "{rows:?}");
    assert!(rows.iter().all(|r| !r[time].is_empty()), "every cell reaches 0.6: {rows:?}");
    // the tidy table: one row per cell, every config key and the metrics as columns
    let tidy = dir.join("cells.parquet");
    ok(&run(&["results", out_s, "--parquet", tidy.to_str().unwrap()]));
    use polars::prelude::SerReader;
    let table = polars::prelude::ParquetReader::new(std::fs::File::open(&tidy).unwrap())
        .finish()
        .unwrap();
    assert_eq!(table.height(), 4);
    for column in [
        "cell",
        "label",
        "seed",
        "lr",
        "compute_time.model",
        "analytic.dim",
        "final_accuracy",
        "time_to_target",
    ] {
        assert!(table.column(column).is_ok(), "no column {column}: {:?}", table.get_column_names());
    }
    let reached = table.column("time_to_target").unwrap().null_count();
    assert_eq!(reached, 0, "the default target applies here too");
}

#[test]
fn results_compare_every_series_with_a_reference_seed_by_seed() {
    let dir = scratch("compare");
    let sweep = write(&dir, "s.yaml", &ANALYTIC.replace("seed: [0, 1, 2]", "seed: [0, 1, 2, 3, 4]"));
    let out = dir.join("out");
    ok(&run(&["sweep", &sweep, "--out", out.to_str().unwrap()]));
    let csv = dir.join("compare.csv");
    let (out_s, csv_s) = (out.to_str().unwrap(), csv.to_str().unwrap());
    let text = ok(&run(&["results", out_s, "--sweep", &sweep, "--compare", "abs", "--csv", csv_s]));
    // 2 series x 2 grid points, then the note saying what the ratio is
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 4 + 1, "{text}");
    assert!(lines[0].contains("point") && lines[0].contains("time ratio [95% CI]"), "{text}");
    assert!(lines[1].starts_with("adasync / abs") && lines[1].contains("workers=4"), "{text}");
    assert!(lines[5].contains("geometric mean") && lines[5].contains("bootstrap"), "{text}");
    let verdicts = ["faster", "slower", "no clear difference", "neither reached"];
    assert!(lines[1..5].iter().all(|l| verdicts.iter().any(|v| l.contains(v))), "{text}");
    // the CSV: the ratio is the geometric mean of the per-seed ratios it lists
    let mut rdr = csv::Reader::from_path(&csv).unwrap();
    let heads = rdr.headers().unwrap().clone();
    let idx = |n: &str| heads.iter().position(|h| h == n).unwrap_or_else(|| panic!("no {n} in {heads:?}"));
    for r in rdr.records().map(|r| r.unwrap()) {
        assert_eq!((&r[idx("seeds")], &r[idx("reference")]), ("5", "abs"));
        let per_seed: Vec<f64> = r[idx("time_ratio_per_seed")].split(';').map(|x| x.parse().unwrap()).collect();
        assert_eq!(per_seed.len(), 5);
        let geo = (per_seed.iter().map(|x| x.ln()).sum::<f64>() / 5.0).exp();
        let (ratio, lo, hi): (f64, f64, f64) = (
            r[idx("time_ratio")].parse().unwrap(),
            r[idx("time_ratio_lo")].parse().unwrap(),
            r[idx("time_ratio_hi")].parse().unwrap(),
        );
        assert!((ratio - geo).abs() < 1e-3 * geo, "{ratio} vs {geo}");
        assert!(lo <= ratio && ratio <= hi, "{lo} {ratio} {hi}");
    }
    // the same results give the same intervals
    let again = ok(&run(&["results", out_s, "--sweep", &sweep, "--compare", "abs"]));
    assert_eq!(again, text);
    let e = run(&["results", out_s, "--compare", "nope"]);
    assert_eq!(e.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&e.stderr).contains("no series `nope` to compare with"));
}

#[test]
fn repro_passes_on_analytic_and_lenet_configs() {
    let dir = scratch("repro");
    let analytic = write(
        &dir,
        "a.yaml",
        "policy: abs\nworkers: 5\nk0: 2\nmodel: analytic\nanalytic: {dim: 4, train_samples: 500, test_samples: 100}\nmax_rounds: 50\n",
    );
    let text = ok(&run(&["repro", &analytic]));
    assert!(text.contains("reproducible: 3 runs bit-identical"), "{text}");
    let lenet = write(
        &dir,
        "l.yaml",
        "policy: abs\nworkers: 4\nk0: 2\nlocal_steps: 2\nbatch_size: 16\nmodel: lenet\ndataset: synthetic\n\
         synthetic: {shape: mnist, train_samples: 400, test_samples: 100}\nmax_rounds: 6\neval_every: 3\n",
    );
    let text = ok(&run(&["repro", &lenet, "--threads", "2,1"]));
    assert!(text.contains("reproducible: 2 runs bit-identical"), "{text}");
    let e = run(&["repro", &lenet, "--threads", "2"]);
    assert_eq!(e.status.code(), Some(2));
}

#[test]
fn a_bad_sweep_file_exits_non_zero_naming_file_key_and_line() {
    let dir = scratch("bad");
    for (text, needle) in [
        ("base: {model: analytic}\ngrid:\n  workers: [4, ten]\n", "grid.workers"),
        ("base: {model: analytic}\ngrid:\n  wokers: [1]\n", "grid.wokers"),
        ("base: {model: analytic}\ngrid:\n  seed: []\n", "grid.seed"),
        ("base: {model: analytic}\nzip:\n  - {k0: [1, 2], zeta: [1]}\n", "zip.k0"),
    ] {
        let sweep = write(&dir, "bad.yaml", text);
        let o = run(&["sweep", &sweep, "--out", dir.join("out").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{text}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(&sweep) && e.contains(needle) && e.contains("line 3"), "{text}: {e}");
        assert!(!dir.join("out").exists());
    }
}

#[test]
fn quick_figures_on_synthetic_data_write_every_file() {
    let dir = scratch("figures");
    let sweeps = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sweeps");
    let out = dir.join("reports");
    // quick figures of logreg on synthetic data from the project's sweeps, into `out`
    let figures = |extra: &[&str]| {
        bin()
            .args(["figures", "--quick", "--dataset", "synthetic", "--model", "logreg"])
            .args(["--sweeps", sweeps.to_str().unwrap(), "--out", out.to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap()
    };
    let o = figures(&[]);
    ok(&o);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("DATA SET synthetic"), "{e}");
    for f in ["fig1", "fig2", "fig3", "fig4", "fig3-dynamics", "readings"] {
        for ext in ["svg", "png"] {
            assert!(out.join(format!("{f}.{ext}")).is_file(), "missing {f}.{ext}");
        }
        let svg = std::fs::read_to_string(out.join(format!("{f}.svg"))).unwrap();
        assert!(
            svg.contains("[quick]") && svg.contains("synthetic") && svg.contains("logreg"),
            "{f}.svg title"
        );
    }
    let fig2 = std::fs::read_to_string(out.join("fig2.svg")).unwrap();
    // each series once in each panel's legend
    let doc = roxmltree::Document::parse(&fig2).expect("well-formed SVG");
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim())
        .collect();
    for name in ["adasync_k2", "adasync_k4", "local_sgd", "sa_adasync", "abs"] {
        assert_eq!(texts.iter().filter(|t| **t == name).count(), 2, "{name} in {texts:?}");
    }
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("**synthetic**") && md.contains("Quick run") && md.contains("## fig4"),
        "{md}"
    );
    // one row per series of each figure, and per series and condition of the readings
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 5 + 5 + 5 + 5 + 8 * 4 + 2 * 14 + 3 * 6 + 5 * 2, "{csv}");
    // the field: tuned per series and condition, its curves per condition, its ranking and how the
    // ranking depends on the tuning budget
    for f in ["field", "field-curves", "field-profile", "field-budget"] {
        assert!(
            out.join(format!("{f}.png")).is_file() && md.contains(&format!("![{f}]({f}.svg)")),
            "{f}: {md}"
        );
    }
    assert!(
        md.contains("**Tuning** (docs/semantics.md") && md.contains("| fedbuff | churn | lr: 0.05, 0.1, 0.2, 0.4; k: 2, 5, 10 | "),
        "{md}"
    );
    assert!(
        md.contains("**Ranking against the tuning budget**") && md.contains("Tuning cost: "),
        "{md}"
    );
    // stability beside time to target: in both kinds of table, in summary.csv and the forest's labels
    assert!(
        md.contains("| held to the end |") && md.contains("| series | reached target | held to the end |"),
        "{md}"
    );
    // the tuning table is a table (at the start of its lines, not indented into a code block)
    assert!(
        md.contains("\n| series | condition | grid | settings tried |") && !md.contains("  | series |"),
        "{md}"
    );
    assert!(csv.starts_with("figure,series,condition,seeds,reached,held,"), "{csv}");
    let forest = std::fs::read_to_string(out.join("field.svg")).unwrap();
    assert!(
        forest.contains("fedbuff: churn · held "),
        "the forest's labels say how many seeds held the target"
    );
    // every setting tried, with the budget it reached, its score there on the tuning seed, and the
    // one chosen per series and condition
    let tuning = std::fs::read_to_string(out.join("tuning.csv")).unwrap();
    let header = "figure,series,condition,setting,budget_share,extension,chosen,on_edge,held,tuning_seeds,median_time_to_target,mean_accuracy_at_budget";
    assert!(tuning.starts_with(header), "{tuning}");
    // fields split at commas outside quotes (a setting or an edge note holds commas)
    let fields = |line: &str| -> Vec<String> {
        let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
        for ch in line.chars() {
            match ch {
                '"' => quoted = !quoted,
                ',' if !quoted => out.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        out.push(cur);
        out
    };
    let rows: Vec<Vec<String>> = tuning.lines().skip(1).map(fields).collect();
    assert!(rows.iter().all(|r| r.len() == 12), "{tuning}");
    // the field's 32 series and conditions, then the population's 10: one choice each
    assert_eq!(rows.iter().filter(|r| r[6] == "true").count(), 8 * 4 + 5 * 2, "{tuning}");
    // the first rung tried every setting of every grid (4 lr, 5 for delay-adaptive; 12 with a second knob)
    let first_rung = rows.iter().filter(|r| r[0] == "field" && r[5] == "false").count();
    assert_eq!(first_rung, 4 * (3 * 4 + 5 + 4 * 12), "{tuning}");
    assert!(
        md.contains("**Ranking across conditions**") && md.contains("| dirichlet_0.3 | within 10% of the best |"),
        "{md}"
    );
    // the population: per C, its forest plot, its curves and its busy slots from the job logs
    for f in ["population", "population-curves", "population-concurrency"] {
        assert!(
            out.join(format!("{f}.png")).is_file() && md.contains(&format!("![{f}]({f}.svg)")),
            "{f}: {md}"
        );
    }
    // the network sweep: its forest plot and the timelines drawn from its cells' job logs
    for f in ["network", "network-timeline-abs", "network-timeline-adasync_k2"] {
        assert!(
            out.join(format!("{f}.png")).is_file() && md.contains(&format!("![{f}]({f}.svg)")),
            "{f}: {md}"
        );
    }
    let timeline = std::fs::read_to_string(out.join("network-timeline-abs.svg")).unwrap();
    assert!(timeline.contains("delivered (") && timeline.contains("network"), "{timeline}");
    assert!(
        md.contains("## The paper's claims") && md.contains("| N = 20: ABS reaches the target first in virtual time | fig3 |"),
        "{md}"
    );
    // two seeds: intervals, but no verdict
    assert!(
        md.contains("too few seeds") && !md.contains("] **faster**") && !md.contains("] **slower**"),
        "{md}"
    );
    assert!(md.contains("| reading | abs |") && md.contains("| v_mach=0 | abs |"), "{md}");
    let claims = std::fs::read_to_string(out.join("claims.csv")).unwrap();
    assert!(claims.starts_with("figure,claim,claim_verdict,faster,than,seeds,ratio"), "{claims}");
    let readings = std::fs::read_to_string(out.join("readings.svg")).unwrap();
    assert!(
        readings.contains("threshold_form=one_over_k") && readings.contains("95% paired-bootstrap CI"),
        "{readings}"
    );
    // --only into a folder whose results hold none of the other figures' cells (a fresh clone's
    // committed report, say): the figure asked for is summarised again, the others' parts of the
    // earlier report are kept as they were, marked in summary.md
    let kept = dir.join("kept");
    std::fs::create_dir_all(&kept).unwrap();
    for f in ["summary.md", "summary.csv", "claims.csv", "tuning.csv"] {
        std::fs::copy(out.join(f), kept.join(f)).unwrap();
    }
    let o = bin()
        .args([
            "figures",
            "--quick",
            "--dataset",
            "synthetic",
            "--model",
            "logreg",
            "--only",
            "fig2",
        ])
        .args(["--sweeps", sweeps.to_str().unwrap(), "--out", kept.to_str().unwrap()])
        .output()
        .unwrap();
    ok(&o);
    let e = String::from_utf8_lossy(&o.stderr);
    // fig1 shares some cells with fig2, not all of them
    assert!(e.contains("fig1: not every cell of it here; its part of the earlier report"), "{e}");
    let kept_md = std::fs::read_to_string(kept.join("summary.md")).unwrap();
    let mark = kept_md
        .lines()
        .find(|l| l.starts_with("*Kept from the earlier report"))
        .expect("a kept section is marked");
    assert_eq!(kept_md.matches(mark).count(), 7, "every figure but fig2 kept: {kept_md}");
    assert_eq!(kept_md.replace(&format!("\n{mark}\n"), ""), md, "the rest of the report as it was");
    for f in ["summary.csv", "claims.csv", "tuning.csv"] {
        let (was, now) = (
            std::fs::read_to_string(out.join(f)).unwrap(),
            std::fs::read_to_string(kept.join(f)).unwrap(),
        );
        assert_eq!(now, was, "{f}: the kept figures' rows where they were, fig2's recomputed alike");
    }
    // a rerun draws again from the cached cells without running any
    let o = figures(&["--only", "fig2", "--baseline", "adasync_k2"]);
    ok(&o);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("10 already in"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("## fig1") && md.contains("## fig4"),
        "the summary keeps every figure:\n{md}"
    );
    assert!(md.contains("| abs | 2/2 |"), "series are named by their policy entry:\n{md}");
    // --baseline replaces every figure's reference; fig1 has no adasync_k2, and says so
    assert!(
        md.contains("time / adasync_k2 [95% CI]") && !md.contains("time / abs [95% CI]"),
        "{md}"
    );
    assert!(md.contains("No series `adasync_k2` among the finished cells"), "{md}");
    // a baseline the readings do not run: no forest plot, and the summary does not point to one
    let o = figures(&["--baseline", "local_sgd"]);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stderr).contains("readings: no series `local_sgd` among the finished cells, so no forest plot"));
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("## readings") && !md.contains("![readings](readings.svg)") && md.contains("![fig2](fig2.svg)"),
        "{md}"
    );
}

#[test]
fn a_forced_missing_data_set_says_how_to_get_it() {
    let dir = scratch("nodata");
    let sweeps = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sweeps");
    let o = bin()
        .args(["figures", "--dataset", "cifar10", "--data-dir", dir.join("empty").to_str().unwrap()])
        .args(["--sweeps", sweeps.to_str().unwrap(), "--out", dir.join("r").to_str().unwrap()])
        .env_remove("ABS_DATA_DIR")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("--dataset cifar10") && e.contains("abs-bench data fetch cifar10"), "{e}");
    assert!(!dir.join("r").exists(), "nothing is written before the data is there");
}

#[test]
fn a_sweep_may_list_its_policies() {
    let dir = scratch("listed");
    let sweep = write(
        &dir,
        "s.yaml",
        "base: {model: analytic, max_rounds: 5}\npolicies: [abs, adasync, local_sgd]\ngrid: {seed: [0, 1]}\n",
    );
    let out = ok(&run(&["sweep", &sweep, "--dry-run"]));
    assert!(out.starts_with(&format!("{sweep}: 6 cells")), "{out}");
    for label in ["abs", "adasync", "local_sgd"] {
        assert_eq!(
            out.lines().filter(|l| l.split_whitespace().nth(2) == Some(label)).count(),
            2,
            "{out}"
        );
    }
}

/// The smoke sweep: every kind of policy, with and without communication time and absences, each
/// cell writing its job log.
const SMOKE: &str = "base: {model: analytic, max_rounds: 80, eval_every: 10, workers: 6, \
     analytic: {dim: 6, train_samples: 1200, test_samples: 300, separation: 1.5}}\n\
     policies: {abs: abs, adasync: adasync, local_sgd: local_sgd, bounded: {policy: bounded, k: 2, staleness_bound: 2}}\n\
     conditions: {plain: {}, network: {network: {bandwidth: {model: cycle, mbps: [1, 0.25]}, server_mbps: 1}}, \
     churn: {availability: {model: two_state, mean_up: 8, mean_down: 3}}}\n\
     grid: {seed: [0, 1]}\njobs_log: true\n";

#[test]
fn verify_passes_on_the_smoke_sweep_and_names_each_corrupted_cell() {
    let dir = scratch("verify");
    let sweep = write(&dir, "smoke.yaml", SMOKE);
    let out = dir.join("out");
    let out_s = out.to_str().unwrap();
    ok(&run(&["sweep", &sweep, "--out", out_s]));
    let said = ok(&run(&["verify", out_s]));
    assert!(said.contains("24 of 24 runs verified"), "{said}");
    let mut cells: Vec<_> = std::fs::read_dir(out.join("cells")).unwrap().flatten().map(|e| e.path()).collect();
    cells.sort();
    // one cell's rounds swapped with another's: both files are valid, the bookkeeping is not
    let (a, b) = (&cells[0], &cells[1]);
    let rounds_b = std::fs::read(b.join("rounds.parquet")).unwrap();
    std::fs::write(a.join("rounds.parquet"), rounds_b).unwrap();
    // a truncated job log
    let jobs = std::fs::read(cells[2].join("jobs.parquet")).unwrap();
    std::fs::write(cells[2].join("jobs.parquet"), &jobs[..jobs.len() / 2]).unwrap();
    // a manifest whose config was edited after the run
    let m = std::fs::read_to_string(cells[3].join("manifest.json")).unwrap();
    std::fs::write(cells[3].join("manifest.json"), m.replacen("\"seed\": ", "\"seed\": 1", 1)).unwrap();
    let o = run(&["verify", out_s]);
    assert_eq!(o.status.code(), Some(4), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    for (cell, why) in [(a, "round"), (&cells[2], "jobs.parquet"), (&cells[3], "cell id")] {
        let name = cell.file_name().unwrap().to_string_lossy();
        assert!(err.lines().any(|l| l.contains(&*name) && l.contains(why)), "{name} / {why}: {err}");
    }
    assert!(err.contains("3 of 24 runs failed"), "{err}");
    // a cell rerun from its manifest gives what it holds; the one with swapped rounds does not
    let said = ok(&run(&["repro", cells[5].to_str().unwrap()]));
    assert!(
        said.contains("reproducible: rerun from its manifest") && said.contains("jobs bit-identical"),
        "{said}"
    );
    let o = run(&["repro", a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not reproducible") && String::from_utf8_lossy(&o.stderr).contains("round 0"),
        "{o:?}"
    );
    // a run folder of `run` verifies on its own; a folder without job logs says so
    let cfg = write(
        &dir,
        "run.yaml",
        "model: analytic\nworkers: 5\nmax_rounds: 50\npolicy: abs\navailability: {model: two_state, mean_up: 5, mean_down: 2}\n",
    );
    let single = dir.join("single");
    ok(&run(&["run", &cfg, "--out", single.to_str().unwrap()]));
    assert!(ok(&run(&["verify", single.to_str().unwrap()])).contains("1 of 1 runs verified"));
    let lean = dir.join("lean");
    let plain = write(&dir, "plain.yaml", &SMOKE.replace("jobs_log: true\n", ""));
    ok(&run(&["sweep", &plain, "--out", lean.to_str().unwrap()]));
    let o = run(&["verify", lean.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("24 without a job log"), "{o:?}");
}

/// Bad days on disk: a truncated Parquet file, a garbage manifest, a missing file and a stale
/// temporary folder. `results` and `verify` name every damaged cell and stop cleanly; `sweep` runs
/// the damaged cells again (and only them), after which everything reads and verifies.
#[test]
fn damaged_cells_are_named_and_the_next_sweep_computes_them_again() {
    let dir = scratch("damaged");
    let sweep = write(
        &dir,
        "s.yaml",
        "base: {model: analytic, workers: 4, max_rounds: 40, eval_every: 10, target_accuracy: 0.8, \
         analytic: {dim: 6, train_samples: 800, test_samples: 200, separation: 1.5}}\n\
         policies: {abs: abs, adasync: adasync}\ngrid: {seed: [0, 1, 2]}\njobs_log: true\n",
    );
    let out = dir.join("out");
    let out_s = out.to_str().unwrap();
    ok(&run(&["sweep", &sweep, "--out", out_s]));
    let clean = results(&out);
    let mut cells: Vec<_> = std::fs::read_dir(out.join("cells")).unwrap().flatten().map(|e| e.path()).collect();
    cells.sort();
    let name = |i: usize| cells[i].file_name().unwrap().to_string_lossy().into_owned();
    let rounds = std::fs::read(cells[0].join("rounds.parquet")).unwrap();
    std::fs::write(cells[0].join("rounds.parquet"), &rounds[..rounds.len() / 3]).unwrap();
    std::fs::write(cells[1].join("manifest.json"), "{\"config\": garbage").unwrap();
    std::fs::remove_file(cells[2].join("evals.parquet")).unwrap();
    let stale = out.join("cells").join(format!(".tmp-{}-4242", name(3)));
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("rounds.parquet"), "half").unwrap();
    let untouched = std::fs::read(cells[4].join("manifest.json")).unwrap();

    let o = run(&["results", out_s, "--sweep", &sweep]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("3 damaged cells") && !e.contains("panicked"), "{e}");
    for (i, why) in [
        (0, "rounds.parquet is not a whole Parquet file"),
        (1, "not a manifest"),
        (2, "evals.parquet is missing"),
    ] {
        assert!(e.lines().any(|l| l.contains(&name(i)) && l.contains(why)), "{i}: {e}");
    }
    let o = run(&["verify", out_s]);
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&o.stderr).contains("3 of 6 runs failed"), "{o:?}");

    let o = run(&["sweep", &sweep, "--out", out_s]);
    ok(&o);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("3 already finished; running 3"), "{e}");
    assert_eq!(e.matches("running it again").count(), 3, "{e}");
    std::fs::remove_dir_all(&stale).unwrap();
    assert!(results(&out) == clean, "the recomputed cells are bit-identical to the first ones");
    assert_eq!(
        std::fs::read(cells[4].join("manifest.json")).unwrap(),
        untouched,
        "a whole cell is not run again"
    );
    ok(&run(&["results", out_s, "--sweep", &sweep]));
    assert!(ok(&run(&["verify", out_s])).contains("6 of 6 runs verified"));
}

/// kill -9 at seeded random moments, again and again: every cell folder is always whole (a cell is
/// written under a temporary name and renamed), and the sweep resumed to the end equals an
/// uninterrupted one bit for bit and verifies.
#[test]
fn repeated_kills_at_random_moments_never_leave_half_a_cell() {
    let dir = scratch("kills");
    let sweep = write(
        &dir,
        "s.yaml",
        "base: {model: analytic, workers: 8, max_rounds: 1500, eval_every: 500, \
         analytic: {dim: 20, train_samples: 4000, test_samples: 500}}\n\
         policies: {abs: abs, async: async}\ngrid: {seed: [0, 1, 2, 3, 4, 5]}\njobs_log: true\n",
    );
    let (killed, clean) = (dir.join("killed"), dir.join("clean"));
    let mut state = 0x9e37_79b9_7f4a_7c15u64; // the kill moments' seed
    let mut next_ms = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        20 + (state >> 33) % 400
    };
    let whole = |p: &Path| {
        ["rounds.parquet", "evals.parquet", "jobs.parquet"]
            .iter()
            .all(|f| std::fs::read(p.join(f)).is_ok_and(|b| b.len() >= 12 && b.starts_with(b"PAR1") && b.ends_with(b"PAR1")))
            && p.join("manifest.json").is_file()
    };
    let mut kills = 0;
    for _ in 0..8 {
        let mut child = bin()
            .args(["sweep", &sweep, "--out", killed.to_str().unwrap(), "--jobs", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(next_ms()));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
        for e in std::fs::read_dir(killed.join("cells")).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(name.starts_with('.') || whole(&e.path()), "half a cell after kill {kills}: {name}");
        }
    }
    assert!(kills >= 3, "the kills must land while the sweep runs ({kills} of 8)");
    ok(&run(&["sweep", &sweep, "--out", killed.to_str().unwrap()]));
    ok(&run(&["sweep", &sweep, "--out", clean.to_str().unwrap()]));
    // temporaries of killed attempts may remain; the cells must be identical
    for e in std::fs::read_dir(killed.join("cells")).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with('.') {
            std::fs::remove_dir_all(e.path()).unwrap();
        }
    }
    assert!(
        results(&killed) == results(&clean),
        "a sweep killed {kills} times differs from an uninterrupted one"
    );
    assert!(ok(&run(&["verify", killed.to_str().unwrap()])).contains("12 of 12 runs verified"));
}

/// A tuned sweep runs every setting on the tuning seeds (here without halving or extensions, so
/// every setting runs its whole budget), evaluated on the validation split, then only the best
/// setting by the protocol (worked out here from the tuning cells' own table: most seeds that
/// reached and held the target, then the lowest median time, then the highest mean accuracy at the
/// budget) on the reported seeds, on the test set; no tuning seed is ever reported.
#[test]
fn a_tuned_sweep_reports_the_best_setting_and_never_a_tuning_seed() {
    let dir = scratch("tune");
    let sweep = write(
        &dir,
        "s.yaml",
        "base: {model: analytic, workers: 4, max_rounds: 60, eval_every: 1, target_accuracy: 0.92}\n\
         policies: {abs: abs, local: local_sgd}\ngrid: {seed: [0, 1, 2]}\n\
         tune: {seeds: [50, 51, 52], validation: 500, halving: {rungs: 1}, extend: 0, grid: {all: {lr: [0.01, 0.1, 0.5]}}}\n",
    );
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    ok(&run(&["sweep", &sweep, "--out", o]));
    // every cell of the folder: (policy, lr, seed, time to target or infinity)
    let table = ok(&run(&["results", o, "--cells"]));
    let head: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    let col = |name: &str| {
        head.iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}:\n{table}"))
    };
    let rows: Vec<Vec<String>> = table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 2 * 3 * 3 + 2 * 3, "18 tuning cells and 6 reported:\n{table}");
    for e in std::fs::read_dir(out.join("cells")).unwrap().flatten() {
        let manifest = std::fs::read_to_string(e.path().join("manifest.json")).unwrap();
        let m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
        assert_eq!(
            m["config"]["holdout"], 500,
            "every cell trains without the validation split: {manifest}"
        );
        assert_eq!(
            m["config"]["stop_at_target"], false,
            "tuning cells run their whole budget: {manifest}"
        );
    }
    // (policy, lr) -> (held, times, final accuracies) over the tuning seeds
    // (held count, times to target, final accuracies)
    type Tried = (usize, Vec<f64>, Vec<f64>);
    let mut tried: BTreeMap<(String, String), Tried> = BTreeMap::new();
    for r in rows.iter() {
        let tuning = r[col("seed")].parse::<u64>().unwrap() >= 50;
        let on = if tuning { "validation" } else { "-" };
        assert_eq!(
            r[col("evaluate_on")],
            on,
            "tuning cells evaluate on it, reported ones on the test set: {r:?}"
        );
        if !tuning {
            continue;
        }
        let held = r[col("held")] == "true";
        let t = r[col("time_to_target")]
            .parse::<f64>()
            .ok()
            .filter(|_| held)
            .unwrap_or(f64::INFINITY);
        let entry = tried.entry((r[col("label")].clone(), r[col("lr")].clone())).or_default();
        entry.0 += usize::from(held);
        entry.1.push(t);
        entry.2.push(r[col("final_accuracy")].parse::<f64>().unwrap());
    }
    let best = |policy: &str| {
        let mut by_lr: Vec<(i64, f64, f64, String)> = tried
            .iter()
            .filter(|((p, _), _)| p == policy)
            .map(|((_, lr), (held, times, accuracies))| {
                let mut t = times.clone();
                t.sort_by(f64::total_cmp);
                (-(*held as i64), t[1], -accuracies.iter().sum::<f64>() / 3.0, lr.clone())
            })
            .collect();
        assert_eq!(by_lr.len(), 3);
        // the grid's order breaks a full tie: 0.01, 0.1, 0.5 sort the same as text
        by_lr.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(a.1.total_cmp(&b.1))
                .then(a.2.total_cmp(&b.2))
                .then(a.3.cmp(&b.3))
        });
        assert!(
            (by_lr[0].0, by_lr[0].1, by_lr[0].2) != (by_lr[2].0, by_lr[2].1, by_lr[2].2),
            "the choice matters for {policy}: {by_lr:?}"
        );
        by_lr[0].3.clone()
    };
    // the sweep's reported cells: the reported seeds, at each series' best lr
    let reported = ok(&run(&["results", o, "--sweep", &sweep, "--cells"]));
    let head: Vec<&str> = reported.lines().next().unwrap().split_whitespace().collect();
    let rcol = |name: &str| head.iter().position(|h| *h == name).unwrap();
    let lines: Vec<Vec<&str>> = reported.lines().skip(1).map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(lines.len(), 6, "{reported}");
    for (label, policy) in [("abs", "abs"), ("local", "local_sgd")] {
        let mine: Vec<&Vec<&str>> = lines.iter().filter(|l| l[rcol("label")] == label).collect();
        assert_eq!(mine.len(), 3, "{reported}");
        for l in mine {
            assert!(l[rcol("seed")].parse::<u64>().unwrap() < 3, "a tuning seed reported: {reported}");
            assert_eq!(l[rcol("lr")], best(policy), "{label}: {reported}\n{table}");
        }
    }
    // a rerun finds everything finished and chooses the same
    let again = run(&["sweep", &sweep, "--out", o]);
    ok(&again);
    assert!(String::from_utf8_lossy(&again.stderr).contains("6 cells, 6 already finished"));
    // forced, the tuning runs again too, then the chosen settings
    let forced = run(&["sweep", &sweep, "--out", o, "--force"]);
    ok(&forced);
    let e = String::from_utf8_lossy(&forced.stderr);
    assert!(
        e.contains("18 cells, 0 already finished; running 18") && e.contains("6 cells, 0 already finished; running 6"),
        "{e}"
    );
    assert_eq!(
        ok(&run(&["results", o, "--sweep", &sweep, "--cells"])),
        reported,
        "the same choice, the same cells"
    );
}

/// A tuned sweep on a cluster: each shard runs its share of the stage that is due (a rung of the
/// halving, an extension past a grid's edge, then the chosen settings) and goes on while the stage
/// is complete; `slurm` writes the array of the stage that is due and says which. Run this way, the
/// choice is the one a single process makes.
#[test]
fn a_tuned_sweep_runs_stage_by_stage_across_shards() {
    let dir = scratch("tune-shards");
    let yaml = "base: {model: analytic, workers: 4, max_rounds: 30, eval_every: 1, target_accuracy: 0.92}\n\
         policies: {abs: abs, local: local_sgd}\ngrid: {seed: [0, 1]}\n\
         tune: {seeds: [50, 51, 52], validation: 500, grid: {all: {lr: [0.1, 0.5]}}}\n";
    let sweep = write(&dir, "s.yaml", yaml);
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    let finished = || std::fs::read_dir(out.join("cells")).map_or(0, |d| d.count());
    let slurm = ok(&run(&["slurm", &sweep, "--out", o, "--shards", "2"]));
    assert!(
        slurm.contains("tuned: this array runs the 12 cells of its current tuning stage (12 unfinished)")
            && slurm.contains("12 cells in 2 shards"),
        "{slurm}"
    );
    // shard 0 of the first rung: half of it, and it stops there (the rest is shard 1's)
    ok(&run(&["sweep", &sweep, "--out", o, "--shard", "0/2"]));
    assert_eq!(finished(), 6, "half of the first rung, nothing more");
    let mut rounds = 0;
    let reported = || run(&["results", o, "--sweep", &sweep, "--cells"]);
    while !reported().status.success() || ok(&reported()).lines().count() < 5 {
        rounds += 1;
        assert!(rounds < 12, "the protocol never finished across shards");
        ok(&run(&["sweep", &sweep, "--out", o, "--shard", "1/2"]));
        ok(&run(&["sweep", &sweep, "--out", o, "--shard", "0/2"]));
    }
    // the chosen settings are due, then done: 2 series x 2 seeds
    let table = ok(&run(&["results", o, "--sweep", &sweep, "--cells"]));
    assert_eq!(table.lines().count(), 1 + 4, "{table}");
    let slurm = ok(&run(&["slurm", &sweep, "--out", o, "--shards", "2"]));
    assert!(!slurm.contains("tuned:") && slurm.contains("4 cells in 2 shards"), "{slurm}");
    // one process on a fresh folder chooses the same
    let alone = dir.join("alone");
    ok(&run(&["sweep", &sweep, "--out", alone.to_str().unwrap()]));
    // the same configs, so the same ids, in the same order
    let choice = |t: &str| -> Vec<String> {
        t.lines()
            .skip(1)
            .map(|x| x.split_whitespace().next().unwrap().to_string())
            .collect()
    };
    let single = ok(&run(&["results", alone.to_str().unwrap(), "--sweep", &sweep, "--cells"]));
    assert_eq!(choice(&single), choice(&table));
}
