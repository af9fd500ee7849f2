//! Shards: a deterministic slice of a sweep's cells, so that a cluster array job can split a sweep
//! across machines writing into one results folder.
//!
//! Shard `i/n` (0-based, `0 <= i < n`) takes the cells whose position in the sweep's expansion order
//! is `i` modulo `n`: every shard sees the same expansion, the slices are disjoint and cover every
//! cell, and policies and seeds are spread evenly over the shards.

use std::fmt;

/// One slice of a sweep: `index` of `count`, 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Checks `index < count` and `count >= 1`; `what` names the source in the error.
    pub fn new(index: u32, count: u32, what: &str) -> Result<Shard, String> {
        if count == 0 {
            return Err(format!("{what}: the shard count must be at least 1"));
        }
        if index >= count {
            return Err(format!(
                "{what}: shard index {index} is out of range: shards are numbered 0 to {} (0-based)",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// Parses `--shard i/n`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let what = format!("--shard {text}");
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("{what}: expected INDEX/COUNT, e.g. 0/4 (0-based)"))?;
        let parse = |s: &str, name: &str| {
            s.trim()
                .parse::<u32>()
                .map_err(|_| format!("{what}: the {name} `{s}` is not a whole number >= 0"))
        };
        Shard::new(parse(i, "index")?, parse(n, "count")?, &what)
    }

    /// The shard a cluster scheduler assigned through the environment, if any: SLURM job arrays
    /// (`SLURM_ARRAY_TASK_ID` of `ABS_SHARD_COUNT`, or of the array's size when the array is the
    /// whole range 0..n-1), or Kubernetes indexed Jobs (`JOB_COMPLETION_INDEX` of
    /// `ABS_SHARD_COUNT`, which the Job sets to its `completions`). A task's shard never depends
    /// on which other indices its submission holds, so resubmitting some indices
    /// (`sbatch --array=2,5`) runs the same shards as the first submission did.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, String> {
        let num = |name: &str| -> Result<Option<u32>, String> {
            match var(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<u32>()
                    .map(Some)
                    .map_err(|_| format!("${name}={v}: expected a whole number >= 0")),
            }
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            if let Some(count) = num("ABS_SHARD_COUNT")? {
                return Shard::new(id, count, "SLURM array with $ABS_SHARD_COUNT").map(Some);
            }
            // without ABS_SHARD_COUNT the count is the array's size, which only a whole 0..n-1
            // array tells: a resubmission of some indices (2,5) or a shifted range (1-8) does not
            let (min, max, count) = (
                num("SLURM_ARRAY_TASK_MIN")?,
                num("SLURM_ARRAY_TASK_MAX")?,
                num("SLURM_ARRAY_TASK_COUNT")?,
            );
            return match (min, max, count) {
                (Some(0), Some(max), Some(count)) if count == max + 1 => Shard::new(id, count, "SLURM array").map(Some),
                _ => Err(format!(
                    "SLURM array task {id}: the shard count cannot be told from this array (indices {}..{}, {} tasks): \
                     set $ABS_SHARD_COUNT to the number of shards (the script of `abs-bench slurm` does), or pass --shard {id}/COUNT",
                    show(min),
                    show(max),
                    show(count)
                )),
            };
        }
        if let Some(index) = num("JOB_COMPLETION_INDEX")? {
            let count = num("ABS_SHARD_COUNT")?.ok_or(
                "$JOB_COMPLETION_INDEX is set but $ABS_SHARD_COUNT is not: set it to the Job's `completions` (see docs/cluster.md)",
            )?;
            return Shard::new(index, count, "Kubernetes indexed Job").map(Some);
        }
        Ok(None)
    }

    /// Whether the cell at `position` in the expansion order belongs to this shard.
    pub fn holds(&self, position: usize) -> bool {
        position % self.count as usize == self.index as usize
    }

    /// The items of this shard, in order.
    pub fn select<T: Clone>(&self, items: &[T]) -> Vec<T> {
        items
            .iter()
            .enumerate()
            .filter(|(i, _)| self.holds(*i))
            .map(|(_, c)| c.clone())
            .collect()
    }
}

/// A variable's value for a message, `?` when unset.
fn show(v: Option<u32>) -> String {
    v.map_or_else(|| "?".to_string(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn shards_partition_the_cells() {
        let items: Vec<usize> = (0..11).collect();
        let mut all: Vec<usize> = (0..3).flat_map(|i| Shard::new(i, 3, "t").unwrap().select(&items)).collect();
        assert_eq!(Shard::new(1, 3, "t").unwrap().select(&items), vec![1, 4, 7, 10]);
        all.sort();
        assert_eq!(all, items);
        assert_eq!(Shard::ALL.select(&items), items);
    }

    #[test]
    fn parse_accepts_index_of_count_and_refuses_the_rest() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, count: 4 });
        assert!(Shard::parse("4/4").unwrap_err().contains("0 to 3"));
        assert!(Shard::parse("0/0").unwrap_err().contains("at least 1"));
        assert!(Shard::parse("1").unwrap_err().contains("INDEX/COUNT"));
        assert!(Shard::parse("a/2").unwrap_err().contains("index `a`"));
        assert!(Shard::parse("-1/2").is_err());
    }

    #[test]
    fn schedulers_pick_the_shard() {
        assert_eq!(Shard::from_env(env(&[])).unwrap(), None);
        // a whole array 0-3
        let whole = [
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "3"),
        ];
        assert_eq!(Shard::from_env(env(&whole)).unwrap(), Some(Shard { index: 2, count: 4 }));
        // a resubmission of tasks 2 and 5 of 8: SLURM says MIN 2, MAX 5, COUNT 2
        let again = |id| {
            [
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_COUNT", "2"),
                ("SLURM_ARRAY_TASK_MIN", "2"),
                ("SLURM_ARRAY_TASK_MAX", "5"),
            ]
        };
        let e = Shard::from_env(env(&again("2"))).unwrap_err();
        assert!(e.contains("ABS_SHARD_COUNT") && e.contains("--shard 2/COUNT"), "{e}");
        for (id, index) in [("2", 2), ("5", 5)] {
            let mut vars = again(id).to_vec();
            vars.push(("ABS_SHARD_COUNT", "8"));
            assert_eq!(Shard::from_env(env(&vars)).unwrap(), Some(Shard { index, count: 8 }), "task {id}");
        }
        // a shifted range 1-4 is not taken as shards 0-3
        let shifted = [
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "4"),
        ];
        assert!(Shard::from_env(env(&shifted)).unwrap_err().contains("ABS_SHARD_COUNT"));
        assert!(
            Shard::from_env(env(&[("SLURM_ARRAY_TASK_ID", "1")]))
                .unwrap_err()
                .contains("ABS_SHARD_COUNT")
        );
        let over = [("SLURM_ARRAY_TASK_ID", "8"), ("ABS_SHARD_COUNT", "8")];
        assert!(Shard::from_env(env(&over)).unwrap_err().contains("out of range"));
        let k8s = [("JOB_COMPLETION_INDEX", "1"), ("ABS_SHARD_COUNT", "3")];
        assert_eq!(Shard::from_env(env(&k8s)).unwrap(), Some(Shard { index: 1, count: 3 }));
        assert!(
            Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "0")]))
                .unwrap_err()
                .contains("ABS_SHARD_COUNT")
        );
        assert!(
            Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "3"), ("ABS_SHARD_COUNT", "3")]))
                .unwrap_err()
                .contains("out of range")
        );
    }
}
