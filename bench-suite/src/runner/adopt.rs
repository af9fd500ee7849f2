//! Cells finished under an earlier id keep their results. Ids changed once (docs/semantics.md,
//! "Cell identity"): the data set's folder and the keys a run does not read left them, and a real
//! data set's content digest entered them. A finished cell whose recorded config, brought to
//! today's identity, is a cell asked for now is moved to that cell's folder instead of being
//! computed again; its results are the same bits (its config differs only where no result can).

use std::collections::HashMap;
use std::path::Path;

use abs_sim::catalog::DatasetName;
use abs_sim::sweep::Cell;

use super::cell::{cell_dir, damage};
use crate::output::{read_manifest, write_manifest};

/// Moves every whole cell folder of `out` that is one of `cells` under an earlier id into that
/// cell's folder (manifest first, then the folder, so an interruption leaves nothing half-moved
/// that could pass for a finished cell); returns how many were moved. A recorded config without a
/// data digest is taken to be of the data set the cells asked for now were stamped with.
pub fn adopt_earlier(out: &Path, cells: &[Cell]) -> usize {
    let Ok(entries) = std::fs::read_dir(out.join("cells")) else {
        return 0;
    };
    let mut wanted: HashMap<&str, &Cell> = cells
        .iter()
        .filter(|c| !cell_dir(out, c).exists())
        .map(|c| (c.id.as_str(), c))
        .collect();
    if wanted.is_empty() {
        return 0;
    }
    let digests: HashMap<DatasetName, &str> = cells
        .iter()
        .filter_map(|c| Some((c.config.dataset, c.config.data_digest.as_deref()?)))
        .collect();
    let mut moved = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let dir = entry.path();
        if name.starts_with('.') || damage(&dir, &name, false).is_some() {
            continue;
        }
        let Ok(mut manifest) = read_manifest(&dir) else { continue };
        let mut config = manifest.config.clone().forget_unread_keys();
        if config.data_digest.is_none() {
            config.data_digest = digests.get(&config.dataset).map(|d| d.to_string());
        }
        let id = config.hash();
        if id == name {
            continue;
        }
        let Some(cell) = wanted.remove(id.as_str()) else { continue };
        manifest.config = config;
        manifest.config_hash = id;
        let to = cell_dir(out, cell);
        if write_manifest(&dir, &manifest).is_ok() && std::fs::rename(&dir, &to).is_ok() {
            moved += 1;
        }
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{Budget, CellOutcome, Silent, is_finished, run_cells};
    use sha2::{Digest, Sha256};

    /// The id an earlier binary gave `config`: every key in it, `data_dir` included.
    fn earlier_id(config: &abs_sim::config::RunConfig) -> String {
        let digest = Sha256::digest(config.canonical_json().as_bytes());
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn cells_of_earlier_ids_are_moved_not_computed_again() {
        let yaml = "base: {model: analytic, max_rounds: 30, eval_every: 10, analytic: {dim: 4, train_samples: 300, test_samples: 100}}\n\
                    policies: {abs: abs, adasync: adasync}\n";
        let cells = abs_sim::sweep::expand(yaml, "t.yaml").unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let out = scratch.path();
        let done = run_cells(out, &cells, Budget { jobs: 1, threads: 1 }, false, &Silent).unwrap();
        assert!(done.iter().all(|o| *o == CellOutcome::Done));
        let bytes = |c: &Cell| std::fs::read(cell_dir(out, c).join("rounds.parquet")).unwrap();
        let before: Vec<Vec<u8>> = cells.iter().map(bytes).collect();
        // make them look as an earlier binary left them: abs with a data folder in its config,
        // adasync with a key it does not read, each in the folder of its earlier id
        for (c, change) in cells.iter().zip([0, 1]) {
            let dir = cell_dir(out, c);
            let mut m = read_manifest(&dir).unwrap();
            if change == 0 {
                m.config.data_dir = Some("/data/moved/since".into());
            } else {
                m.config.zeta = abs_sim::config::Real(3.0);
            }
            m.config_hash = earlier_id(&m.config);
            assert_ne!(m.config_hash, c.id);
            write_manifest(&dir, &m).unwrap();
            std::fs::rename(&dir, out.join("cells").join(&m.config_hash)).unwrap();
            assert!(!is_finished(out, c));
        }
        assert_eq!(adopt_earlier(out, &cells), 2);
        for (c, b) in cells.iter().zip(&before) {
            assert!(is_finished(out, c), "{} is whole under its id", c.label);
            assert!(bytes(c) == *b);
            assert_eq!(read_manifest(&cell_dir(out, c)).unwrap().config_hash, c.id);
        }
        assert_eq!(adopt_earlier(out, &cells), 0, "nothing left to move");
        let again = run_cells(out, &cells, Budget { jobs: 1, threads: 1 }, false, &Silent).unwrap();
        assert!(again.iter().all(|o| *o == CellOutcome::Skipped));
    }
}
