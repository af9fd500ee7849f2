//! What produced a result: this crate's version, the git commit it was built from, key crates.

use std::collections::BTreeMap;

/// `abs-bench X.Y.Z (commit)`.
pub fn code_version() -> String {
    format!("abs-bench {} ({})", env!("CARGO_PKG_VERSION"), env!("ABS_BENCH_GIT"))
}

/// Versions of the crates that shape results (from Cargo.lock at build time).
pub fn crate_versions() -> BTreeMap<String, String> {
    env!("ABS_BENCH_CRATES")
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
