use std::fmt;
use std::path::Path;

/// A data set that cannot be used: names the file and what is wrong, or where to get the data.
#[derive(Debug, Clone, PartialEq)]
pub struct DataError(pub String);

impl DataError {
    pub(crate) fn at(path: &Path, message: impl fmt::Display) -> Self {
        DataError(format!("{}: {message}", path.display()))
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DataError {}
