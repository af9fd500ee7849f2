//! Cell identity and results across refactors: a results folder written by an older binary is
//! reused as it is, and recomputing its cells gives the same bits.
//!
//! `tests/fixtures/pre-renovation/` holds cells written before the simulation core moved into its
//! own crate (commit 3fc9779), and the figure sweeps' cell tables of that binary.

mod common;

use std::path::{Path, PathBuf};

use common::{ok, run, scratch};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pre-renovation")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

const SWEEPS: [(&str, usize); 2] = [("analytic.yaml", 12), ("lenet.yaml", 2)];

#[test]
fn figure_sweeps_keep_their_cell_ids() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut table = String::new();
    for n in 1..=4 {
        let sweep = format!("sweeps/fig{n}.yaml");
        let o = common::bin()
            .current_dir(&root)
            .args(["sweep", &sweep, "--dry-run"])
            .output()
            .unwrap();
        table.push_str(&ok(&o));
    }
    // the figures may grow (more seeds, new series), but every cell they had keeps its id, its
    // policy entry and its grid point (row positions move as seeds are added)
    let rows = |text: &str| -> Vec<(String, String, String)> {
        text.lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() == 4 && f[0].parse::<usize>().is_ok()).then(|| (f[1].to_string(), f[2].to_string(), f[3].to_string()))
            })
            .collect()
    };
    let now = rows(&table);
    let pinned = std::fs::read_to_string(fixture().join("figure-cells.txt")).unwrap();
    let pinned = rows(&pinned);
    assert_eq!(pinned.len(), 60, "the pinned tables: 4 figures x 5 series x 3 seeds");
    for cell in &pinned {
        assert!(
            now.contains(cell),
            "a figure cell changed its id: old results would be recomputed: {cell:?}"
        );
    }
}

#[test]
fn cells_written_before_are_reused_and_recomputed_bit_for_bit() {
    let dir = scratch("identity");
    let (reused, fresh) = (dir.join("reused"), dir.join("fresh"));
    copy_dir(&fixture().join("cells"), &reused.join("cells"));
    for (sweep, cells) in SWEEPS {
        let sweep = fixture().join(sweep);
        let sweep = sweep.to_str().unwrap();
        let o = run(&["sweep", sweep, "--out", reused.to_str().unwrap()]);
        ok(&o);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains(&format!("{cells} cells, {cells} already finished; running 0")),
            "{sweep}: {stderr}"
        );
        ok(&run(&["sweep", sweep, "--out", fresh.to_str().unwrap(), "--jobs", "1"]));
    }
    let mut compared = 0;
    for e in std::fs::read_dir(fixture().join("cells")).unwrap().flatten() {
        for file in ["rounds.parquet", "evals.parquet"] {
            let old = std::fs::read(e.path().join(file)).unwrap();
            let new = std::fs::read(fresh.join("cells").join(e.file_name()).join(file)).unwrap();
            assert!(old == new, "cell {:?}: {file} differs from the one written before", e.file_name());
            compared += 1;
        }
    }
    assert_eq!(compared, 2 * 14);
}

/// A `worker,job,time` trace for 2 workers of 60 jobs each, every time `scale` x (1 + job mod 3).
fn job_times(scale: f64) -> String {
    let mut csv = String::from("worker,job,time\n");
    for w in 0..2 {
        for j in 0..60 {
            csv.push_str(&format!("{w},{j},{}\n", scale * f64::from(1 + (j + w) % 3)));
        }
    }
    csv
}

/// A trace enters a cell's id by what it holds, not where it lies: a sweep run again after its
/// trace was edited in place computes the cell anew (it used to report "1 already finished"), and
/// the same trace moved to another folder is the same cell. `run` gives the same ids.
#[test]
fn a_trace_enters_the_cell_id_by_its_content() {
    let dir = scratch("trace-identity");
    let out = dir.join("out");
    let sweep_at = |trace: &Path| {
        common::write(
            &dir,
            "s.yaml",
            &format!(
                "base: {{model: analytic, workers: 2, max_rounds: 20, analytic: {{dim: 3, train_samples: 200, test_samples: 50}}, \
                 compute_time: {{model: trace, path: {}}}}}\n",
                trace.display()
            ),
        )
    };
    let sweep = |trace: &Path| {
        let o = run(&["sweep", &sweep_at(trace), "--out", out.to_str().unwrap()]);
        ok(&o);
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let cells = || -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(out.join("cells"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        ids.sort();
        ids
    };
    let first = dir.join("a");
    std::fs::create_dir_all(&first).unwrap();
    let trace = first.join("times.csv");
    std::fs::write(&trace, job_times(1.0)).unwrap();
    let e = sweep(&trace);
    assert!(e.contains("1 cells, 0 already finished; running 1"), "{e}");
    let before = cells();
    // the same path, other times: another cell
    std::fs::write(&trace, job_times(2.0)).unwrap();
    let e = sweep(&trace);
    assert!(
        e.contains("1 cells, 0 already finished; running 1"),
        "an edited trace reuses the old result: {e}"
    );
    let after = cells();
    assert_eq!(after.len(), 2, "{after:?}");
    let edited: Vec<&String> = after.iter().filter(|id| !before.contains(id)).collect();
    assert_eq!(edited.len(), 1, "{before:?} {after:?}");
    // the same times in another folder, under another name: the same cell
    let moved = dir.join("b").join("renamed.csv");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(&trace, &moved).unwrap();
    let e = sweep(&moved);
    assert!(
        e.contains("1 cells, 1 already finished; running 0"),
        "a moved trace is another cell: {e}"
    );
    assert_eq!(cells(), after);
    // `run` takes the id the sweep took
    let config = common::write(
        &dir,
        "run.yaml",
        &format!(
            "model: analytic\nworkers: 2\nmax_rounds: 20\nanalytic: {{dim: 3, train_samples: 200, test_samples: 50}}\n\
             compute_time: {{model: trace, path: {}}}\n",
            moved.display()
        ),
    );
    let single = dir.join("single");
    ok(&run(&["run", &config, "--out", single.to_str().unwrap()]));
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(single.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["config_hash"].as_str(), Some(edited[0].as_str()), "{manifest}");
    assert!(
        manifest["config"]["compute_time"]["path"]
            .as_str()
            .unwrap()
            .ends_with("renamed.csv"),
        "the manifest says where"
    );
    assert!(manifest["config"]["trace_digests"]["compute_time"].is_string(), "{manifest}");
}
