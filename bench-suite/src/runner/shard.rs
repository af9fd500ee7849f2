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

    /// The shard a cluster scheduler assigned through the environment, if any:
    /// SLURM job arrays (`SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN`, of
    /// `SLURM_ARRAY_TASK_COUNT`), or Kubernetes indexed Jobs (`JOB_COMPLETION_INDEX`, of
    /// `ABS_SHARD_COUNT`, which the Job sets to its `completions`).
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
            let count = num("SLURM_ARRAY_TASK_COUNT")?
                .ok_or("$SLURM_ARRAY_TASK_ID is set but $SLURM_ARRAY_TASK_COUNT is not: pass --shard INDEX/COUNT")?;
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let index = id
                .checked_sub(min)
                .ok_or_else(|| format!("$SLURM_ARRAY_TASK_ID={id} is below $SLURM_ARRAY_TASK_MIN={min}: pass --shard INDEX/COUNT"))?;
            return Shard::new(index, count, "SLURM array (--array must be a contiguous range, e.g. 0-3)").map(Some);
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
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "3"),
        ];
        assert_eq!(Shard::from_env(env(&slurm)).unwrap(), Some(Shard { index: 2, count: 4 }));
        assert!(Shard::from_env(env(&[("SLURM_ARRAY_TASK_ID", "1")])).unwrap_err().contains("COUNT"));
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
