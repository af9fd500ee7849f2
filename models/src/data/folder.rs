//! `dataset: folder`: a data set of your own, described by `dataset.json` beside its IDX files
//! (docs/semantics.md, section 10):
//!
//! ```json
//! {"classes": 62,
//!  "train": {"images": "train-images.idx", "labels": "train-labels.idx", "clients": "train-clients.idx"},
//!  "test": {"images": "test-images.idx", "labels": "test-labels.idx"}}
//! ```
//!
//! Images are unsigned bytes, `idx3-ubyte` (count x rows x cols, one channel) or `idx4-ubyte`
//! (count x channels x rows x cols); labels `idx1-ubyte`, each below `classes`; the optional
//! `train.clients`, each training sample's client id (an IDX int vector, 0..M), for `partition:
//! natural`. Any file may be gzipped. `abs_bench.write_dataset` writes such a folder from numpy arrays.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::DataError;
use super::{Dataset, Split, idx};

/// The manifest, `dataset.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    /// Labels are 0..classes.
    classes: usize,
    train: Files,
    test: Files,
}

/// One split's files, relative to the folder.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Files {
    images: PathBuf,
    labels: PathBuf,
    /// Training samples only: each one's client id (an IDX int vector), for `partition: natural`.
    #[serde(default)]
    clients: Option<PathBuf>,
}

/// Reads the data set in `dir`.
pub fn load(dir: &Path) -> Result<Dataset, DataError> {
    let path = dir.join("dataset.json");
    let text = std::fs::read_to_string(&path).map_err(|e| DataError::at(&path, format!("cannot read: {e}")))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        DataError::at(
            &path,
            format!("{e}: expected {{\"classes\": N, \"train\": {{\"images\": FILE, \"labels\": FILE}}, \"test\": {{...}}}}"),
        )
    })?;
    if !(2..=256).contains(&manifest.classes) {
        return Err(DataError::at(
            &path,
            format!("classes {} is not allowed: expected 2..=256 (labels are bytes)", manifest.classes),
        ));
    }
    let split = |files: &Files| -> Result<((usize, usize, usize), Split), DataError> {
        let (ip, lp) = (dir.join(&files.images), dir.join(&files.labels));
        let (n, dims, pixels) = idx::parse_images_any(&idx::read_maybe_gz(&ip)?, &ip)?;
        let labels = super::labels_of(&ip, n, &lp, manifest.classes)?;
        if n == 0 || dims.0 * dims.1 * dims.2 == 0 {
            return Err(DataError::at(&ip, "no images: expected at least one image of at least one pixel"));
        }
        Ok((dims, Split { pixels, labels }))
    };
    if manifest.test.clients.is_some() {
        return Err(DataError::at(
            &path,
            "test.clients is not allowed: evaluations measure the global model on the test set as a whole; only train names clients",
        ));
    }
    let (dims, train) = split(&manifest.train)?;
    let (test_dims, test) = split(&manifest.test)?;
    if dims != test_dims {
        return Err(DataError::at(
            &path,
            format!("train images are {dims:?} (channels, rows, cols) but test images {test_dims:?}"),
        ));
    }
    let owners = match &manifest.train.clients {
        Some(file) => {
            let cp = dir.join(file);
            let owners = idx::parse_ids(&idx::read_maybe_gz(&cp)?, &cp)?;
            if owners.len() != train.len() {
                return Err(DataError::at(
                    &cp,
                    format!(
                        "{} client ids for {} training samples: expected one per sample",
                        owners.len(),
                        train.len()
                    ),
                ));
            }
            Some(owners)
        }
        None => None,
    };
    let data = Dataset::new("folder", dims, manifest.classes, train, test, Some(dir.to_path_buf()));
    Ok(match owners {
        Some(owners) => data.with_clients(owners),
        None => data,
    })
}
