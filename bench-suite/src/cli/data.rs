//! `abs-bench data fetch | check`: getting a data set, and saying what a run would load.

use std::path::PathBuf;

use clap::Subcommand;

use abs_sim::catalog::{DATA_DIR_ENV, DataSource, DatasetName, SyntheticSpec};

use crate::error::{Error, Result};

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

pub fn data(what: DataCommand) -> Result<()> {
    match what {
        DataCommand::Fetch { name, data_dir } => fetch(&name, data_dir),
        DataCommand::Check { name, data_dir } => check(&name, data_dir),
    }
}

/// A data set that lives in files, by name.
fn with_files(name: &str) -> Result<DatasetName> {
    DatasetName::from_name(name)
        .filter(|d| DatasetName::FILES.contains(d))
        .ok_or_else(|| {
            let names: Vec<&str> = DatasetName::FILES.iter().map(|d| d.name()).collect();
            Error::Usage(format!("unknown data set `{name}`: expected one of {}", names.join(", ")))
        })
}

fn fetch(name: &str, data_dir: Option<PathBuf>) -> Result<()> {
    let dataset = with_files(name)?;
    if !dataset.fetchable() {
        return Err(Error::Usage(format!(
            "{name} cannot be downloaded by abs-bench: {}",
            dataset.how_to_get()
        )));
    }
    let dir = data_dir
        .or_else(|| std::env::var_os(DATA_DIR_ENV).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("data"));
    let at = crate::fetch::fetch_cifar10(&dir)?;
    println!("{name} is in {}", at.display());
    Ok(())
}

fn check(name: &str, data_dir: Option<PathBuf>) -> Result<()> {
    let source = DataSource::of(with_files(name)?, SyntheticSpec::default());
    let d = abs_models::data::load(source, data_dir.as_deref())?;
    let from = d.source_dir.as_ref().map_or(String::new(), |p| format!(" from {}", p.display()));
    let release = match source.dataset().release_digest() {
        Some(r) if r == d.digest() => ", the official release",
        Some(_) => ", NOT the official release (its cells carry this digest in their ids)",
        None => "",
    };
    println!(
        "{}: {} train + {} test images of {}x{}x{}, {} classes{from}; digest {}{release}",
        d.name,
        d.train.len(),
        d.test.len(),
        d.channels,
        d.height,
        d.width,
        d.classes,
        d.digest()
    );
    Ok(())
}
