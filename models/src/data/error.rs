use std::fmt;
use std::path::Path;

/// A data set that cannot be used: names the file and what is wrong, or where to get the data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct DataError(pub String);

impl DataError {
    pub(crate) fn at(path: &Path, message: impl fmt::Display) -> Self {
        DataError(format!("{}: {message}", path.display()))
    }
}
