//! Helpers shared by the end-to-end test binaries.
#![allow(dead_code)] // each test binary uses its own subset

use std::ops::Deref;
use std::path::Path;
use std::process::{Command, Output};

/// The `abs-bench` binary, without the scheduler variables of whatever runs the tests (they would
/// make `sweep` pick a shard).
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_abs-bench"));
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_MAX",
        "JOB_COMPLETION_INDEX",
        "ABS_SHARD_COUNT",
    ] {
        c.env_remove(v);
    }
    c
}

/// An empty folder, removed when dropped (also when the test panics).
pub struct Scratch(tempfile::TempDir);

impl Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

/// An empty scratch folder whose name starts with `name`.
pub fn scratch(name: &str) -> Scratch {
    Scratch(tempfile::Builder::new().prefix(&format!("abs-e2e-{name}-")).tempdir().unwrap())
}

/// Runs the binary with `args` and waits for it.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

/// The output of a run that must succeed; shows everything it printed when it did not.
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}
