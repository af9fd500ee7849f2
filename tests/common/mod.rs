//! Helpers shared by the end-to-end test binaries.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `abs-bench` binary, without the scheduler variables of whatever runs the tests (they would
/// make `sweep` pick a shard).
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_abs-bench"));
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "JOB_COMPLETION_INDEX",
        "ABS_SHARD_COUNT",
    ] {
        c.env_remove(v);
    }
    c
}

/// An empty folder of this test process, named `name`.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("abs-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary with `args` and waits for it.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}
