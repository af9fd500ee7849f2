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
