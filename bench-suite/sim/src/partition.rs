//! How the training set is split among workers (docs/semantics.md, "10. Data, partitions and local training"): seeded, without replacement.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Gamma};
use serde::{Deserialize, Serialize};

/// The partition scheme (`partition: iid`, `partition: {dirichlet: {alpha: 0.5}}` or
/// `partition: natural`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Partition {
    /// Equal shards drawn uniformly without replacement.
    #[default]
    Iid,
    /// Label skew: each class is split among workers in proportions drawn from Dirichlet(alpha).
    Dirichlet { alpha: f64 },
    /// The data's own: each training sample names its client (a `dataset: folder` with client
    /// ids); a population's client c holds exactly its samples, worker n the clients c with
    /// c mod N = n ([`crate::population::Shards::natural`]).
    Natural,
}

/// A Gamma(alpha, 1) draw; alpha was validated > 0 by the config, so the fallback never fires.
fn gamma(alpha: f64, rng: &mut impl Rng) -> f64 {
    Gamma::new(alpha, 1.0).map(|g| g.sample(rng)).unwrap_or(1.0)
}

/// Splits sample indices `0..labels.len()` among `workers`; each shard is sorted.
///
/// IID gives every worker `floor(len / workers)` samples (the remainder is unused, so shards are
/// equal). Dirichlet deals each class out in Dirichlet(alpha) proportions; shards may differ in size
/// and a shard may be empty, which the caller must refuse if it cannot train on it.
pub fn partition(labels: &[u32], classes: u32, workers: u32, scheme: Partition, rng: &mut impl Rng) -> Vec<Vec<u32>> {
    let n = workers as usize;
    let mut shards = vec![Vec::new(); n];
    match scheme {
        Partition::Iid => {
            let mut idx: Vec<u32> = (0..labels.len() as u32).collect();
            idx.shuffle(rng);
            let per = labels.len() / n.max(1);
            for (w, shard) in shards.iter_mut().enumerate() {
                shard.extend_from_slice(&idx[w * per..(w + 1) * per]);
            }
        }
        Partition::Dirichlet { alpha } => {
            for class in 0..classes {
                let mut idx: Vec<u32> = (0..labels.len() as u32).filter(|&i| labels[i as usize] == class).collect();
                idx.shuffle(rng);
                let props: Vec<f64> = (0..n).map(|_| gamma(alpha, rng)).collect();
                let total: f64 = props.iter().sum();
                let mut start = 0usize;
                let mut cum = 0.0;
                for (w, shard) in shards.iter_mut().enumerate() {
                    cum += props[w];
                    let end = if w + 1 == n {
                        idx.len()
                    } else {
                        ((cum / total) * idx.len() as f64).round() as usize
                    };
                    let end = end.clamp(start, idx.len());
                    shard.extend_from_slice(&idx[start..end]);
                    start = end;
                }
            }
        }
        // dealt from the data's client ids by Shards::natural, which is asked instead
        Partition::Natural => {}
    }
    for s in &mut shards {
        s.sort_unstable();
    }
    shards
}

#[cfg(test)]
mod tests {
    use super::*;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn rng(seed: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(seed)
    }

    #[test]
    fn iid_shards_are_equal_and_disjoint() {
        let labels: Vec<u32> = (0..103).map(|i| i % 10).collect();
        let shards = partition(&labels, 10, 4, Partition::Iid, &mut rng(7));
        assert!(shards.iter().all(|s| s.len() == 25));
        let mut all: Vec<u32> = shards.concat();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 100);
    }

    #[test]
    fn dirichlet_uses_every_sample_once_and_skews_labels() {
        let labels: Vec<u32> = (0..2000).map(|i| i % 10).collect();
        let shards = partition(&labels, 10, 5, Partition::Dirichlet { alpha: 0.1 }, &mut rng(3));
        let mut all: Vec<u32> = shards.concat();
        all.sort_unstable();
        assert_eq!(all, (0..2000).collect::<Vec<_>>());
        // with alpha = 0.1 some worker holds far more than its share of some class
        let labels = &labels;
        let max_share = shards
            .iter()
            .flat_map(|s| (0..10).map(move |c| s.iter().filter(|&&i| labels[i as usize] == c).count()))
            .max()
            .unwrap();
        assert!(max_share > 2 * 200 / 5, "max per-class count {max_share}");
    }

    #[test]
    fn same_rng_same_partition() {
        let labels: Vec<u32> = (0..500).map(|i| i % 3).collect();
        let a = partition(&labels, 3, 7, Partition::Dirichlet { alpha: 1.0 }, &mut rng(9));
        let b = partition(&labels, 3, 7, Partition::Dirichlet { alpha: 1.0 }, &mut rng(9));
        assert_eq!(a, b);
    }
}
