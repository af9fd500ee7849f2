//! A ready sbatch script for a sweep: one shard per array task, the shard count fixed in the
//! script so that resubmitting some tasks runs the same shards (docs/cluster.md).

use std::path::PathBuf;

/// What the script runs and asks SLURM for.
#[derive(Debug, Clone, PartialEq)]
pub struct SlurmJob {
    /// The `abs-bench` binary the tasks run (absolute).
    pub binary: PathBuf,
    /// The sweep file (absolute).
    pub sweep: PathBuf,
    /// The results folder every task writes into (absolute, on a shared file system).
    pub out: PathBuf,
    /// Array tasks, one shard each: `--array=0-(shards-1)`, `ABS_SHARD_COUNT=shards`.
    pub shards: u32,
    pub name: String,
    pub cpus_per_task: u32,
    pub mem: String,
    pub time: String,
    /// `--partition`, when given.
    pub partition: Option<String>,
}

/// Quotes `s` for bash when it holds anything but plain path characters.
fn quoted(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

impl SlurmJob {
    /// The folder of the tasks' logs (SLURM does not create it: `abs-bench slurm` does).
    pub fn logs(&self) -> PathBuf {
        self.out.join("logs")
    }

    /// The sbatch script.
    pub fn script(&self) -> String {
        let q = |p: &std::path::Path| quoted(&p.display().to_string());
        let last = self.shards.saturating_sub(1);
        let partition = match &self.partition {
            Some(p) => format!("#SBATCH --partition={p}\n"),
            None => "##SBATCH --partition=...     # uncomment (remove one #) to choose a partition\n".to_string(),
        };
        format!(
            "#!/bin/bash\n\
             # Written by `abs-bench slurm`: one shard of {sweep} per array task, all into {out}.\n\
             # Edit the #SBATCH lines to fit the cluster. Submit: sbatch THIS_FILE\n\
             # Rerun only some shards (finished cells are skipped): sbatch --array=2,5 THIS_FILE\n\
             #SBATCH --job-name={name}\n\
             #SBATCH --array=0-{last}\n\
             #SBATCH --cpus-per-task={cpus}\n\
             #SBATCH --mem={mem}\n\
             #SBATCH --time={time}\n\
             #SBATCH --output={logs}/%x-%A_%a.log\n\
             {partition}\
             set -euo pipefail\n\
             # The shard count: a task's shard is its array index of this many, whatever indices a\n\
             # submission holds. Keep it equal to the array's size (0-{last}).\n\
             export ABS_SHARD_COUNT={shards}\n\
             # export ABS_DATA_DIR=$HOME/data   # data set files, when not in ./data or the system's folders\n\
             exec {binary} sweep {sweep_q} --out {out_q} --jobs \"$SLURM_CPUS_PER_TASK\"\n",
            sweep = self.sweep.display(),
            out = self.out.display(),
            name = self.name,
            cpus = self.cpus_per_task,
            mem = self.mem,
            time = self.time,
            logs = self.logs().display(),
            shards = self.shards,
            binary = q(&self.binary),
            sweep_q = q(&self.sweep),
            out_q = q(&self.out),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> SlurmJob {
        SlurmJob {
            binary: "/opt/abs bench/abs-bench".into(),
            sweep: "/home/u/sweeps/fig2.yaml".into(),
            out: "/scratch/u/fig2".into(),
            shards: 8,
            name: "abs-fig2".into(),
            cpus_per_task: 4,
            mem: "4G".into(),
            time: "02:00:00".into(),
            partition: None,
        }
    }

    #[test]
    fn the_script_fixes_the_shard_count_and_runs_the_sweep() {
        let s = job().script();
        for line in [
            "#!/bin/bash\n",
            "#SBATCH --array=0-7\n",
            "#SBATCH --cpus-per-task=4\n",
            "#SBATCH --output=/scratch/u/fig2/logs/%x-%A_%a.log\n",
            "export ABS_SHARD_COUNT=8\n",
            "exec '/opt/abs bench/abs-bench' sweep /home/u/sweeps/fig2.yaml --out /scratch/u/fig2 --jobs \"$SLURM_CPUS_PER_TASK\"\n",
            "##SBATCH --partition=",
        ] {
            assert!(s.contains(line), "{line}\n{s}");
        }
        let with = SlurmJob {
            partition: Some("gpu".into()),
            ..job()
        };
        assert!(with.script().contains("\n#SBATCH --partition=gpu\n"));
        assert_eq!(quoted("it's"), r"'it'\''s'");
    }
}
