//! What can go wrong in the harness, with the cause kept: a file error says which file and what
//! was being done to it; config, data and run errors keep their own types.

use std::path::{Path, PathBuf};

use abs_models::DataError;
use abs_sim::config::ConfigError;

use crate::run::RunError;

/// An error of the `abs-bench` library; `main` prints it as one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Run(#[from] RunError),
    /// A file or folder could not be read, written, created or moved.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A results frame could not be built, read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Frame {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: polars::error::PolarsError,
    },
    /// A JSON file (a manifest) that does not parse.
    #[error("{}: {what}: {source}", path.display())]
    Json {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A command-line flag or value that cannot be used, with what is expected.
    #[error("{0}")]
    Usage(String),
    /// Cells of a sweep that failed (each one's error is in the results folder).
    #[error("{failed} of {of} cells failed (details in {}):\n  {}", folder.display(), lines.join("\n  "))]
    CellsFailed {
        failed: usize,
        of: usize,
        folder: PathBuf,
        lines: Vec<String>,
    },
    /// The runner's worker threads could not start.
    #[error("cannot start {threads} worker threads: {source}")]
    Threads {
        threads: usize,
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
    /// Drawing a figure, or a figure sweep that cannot be drawn.
    #[error("{0}")]
    Report(String),
    /// A run whose records fail their own invariants (`verify`).
    #[error("verification failed: {0}")]
    Unverified(String),
    /// Two runs of one config that differ (`repro`).
    #[error("not reproducible: {0}")]
    NotReproducible(String),
    /// A throughput measurement that could not be taken.
    #[error("{0}")]
    Bench(String),
    /// Downloading or unpacking a data set.
    #[error("{0}")]
    Fetch(String),
}

/// The harness's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The exit codes of `abs-bench`, one meaning each (the README lists them).
pub mod exit {
    /// Something failed while working: a file, a run, a frame, a report.
    pub const FAILED: u8 = 1;
    /// Refused before any work: a usage, config or data mistake; nothing was written.
    pub const REFUSED: u8 = 2;
    /// Some cells failed; the others finished and are kept (a rerun retries the failed ones).
    pub const CELLS_FAILED: u8 = 3;
    /// A check found a difference: `verify` a bad cell, `repro` a result that is not reproducible.
    pub const CHECK_FAILED: u8 = 4;

    /// Every code above with the words the README's table gives it (tests/cli.rs holds the README
    /// and docs/cluster.md to them, and to what [`Error::exit_code`](super::Error::exit_code) returns).
    pub const MEANINGS: [(u8, &str); 4] = [
        (FAILED, "failed while working"),
        (REFUSED, "refused before any work"),
        (CELLS_FAILED, "some cells failed"),
        (CHECK_FAILED, "found a difference"),
    ];
}

impl Error {
    /// The exit code this error ends the program with ([`exit`]).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) | Error::Usage(_) | Error::Data(_) => exit::REFUSED,
            // what a run checks before its first round: its traces, data, policy and shards
            Error::Run(
                RunError::JobTimes(_)
                | RunError::Data(_)
                | RunError::Policy(_)
                | RunError::System(_)
                | RunError::OtherData { .. }
                | RunError::EmptyShard { .. },
            ) => exit::REFUSED,
            Error::CellsFailed { .. } => exit::CELLS_FAILED,
            Error::Unverified(_) | Error::NotReproducible(_) => exit::CHECK_FAILED,
            Error::Run(_)
            | Error::Io { .. }
            | Error::Frame { .. }
            | Error::Json { .. }
            | Error::Threads { .. }
            | Error::Report(_)
            | Error::Bench(_)
            | Error::Fetch(_) => exit::FAILED,
        }
    }

    /// An IO error while doing `action` to `path`.
    pub fn io(action: &'static str, path: impl AsRef<Path>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.as_ref().to_path_buf();
        move |source| Error::Io { action, path, source }
    }

    /// A polars error while doing `action` with the frame at `path`.
    pub fn frame(action: &'static str, path: impl AsRef<Path>) -> impl FnOnce(polars::error::PolarsError) -> Error {
        let path = path.as_ref().to_path_buf();
        move |source| Error::Frame { action, path, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_error_names_the_file_and_keeps_its_cause() {
        let e = std::fs::read("/nonexistent/abs")
            .map_err(Error::io("read", "/nonexistent/abs"))
            .unwrap_err();
        assert!(e.to_string().starts_with("cannot read /nonexistent/abs: "), "{e}");
        assert!(std::error::Error::source(&e).is_some(), "the IO error is kept as the cause");
    }
}
