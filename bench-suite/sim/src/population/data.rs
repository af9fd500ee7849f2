//! A client's training data, drawn from the shared training set by the client's own draws: its
//! sample count (its attributes), its label mix (Dirichlet), then each sample a class from the mix
//! and an image of that class. With replacement across clients, so a population may hold more
//! clients than the set has images; a pure function of (seed, client), so nothing is stored for a
//! client that never trains.

use rand_distr::{Distribution, Gamma};

use super::draws::ClientDraws;
use crate::seeds::{Purpose, Seeds};

/// How clients' labels are mixed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LabelMix {
    /// Every class in proportion to its share of the set (iid draws).
    Iid,
    /// Class shares from Dirichlet(alpha), per client: small alpha, few classes each.
    Dirichlet { alpha: f64 },
}

/// The shared training set's indices by class, and how clients draw from it.
#[derive(Debug, Clone)]
pub struct ClientData {
    draws: ClientDraws,
    by_class: Vec<Vec<u32>>,
    mix: LabelMix,
}

/// The draw of a client's label mix, then of each of its samples.
const MIX: u64 = 0;
const SAMPLES_FROM: u64 = 1;

impl ClientData {
    /// `labels[i]` is sample i's class, below `classes`; alpha must be finite and > 0 (the config
    /// refuses others).
    pub fn new(seeds: &Seeds, labels: &[u32], classes: u32, mix: LabelMix) -> Result<ClientData, String> {
        if let LabelMix::Dirichlet { alpha } = mix
            && !(alpha.is_finite() && alpha > 0.0)
        {
            return Err(format!("alpha {alpha}: expected a finite number > 0"));
        }
        let mut by_class = vec![Vec::new(); classes as usize];
        for (i, &l) in labels.iter().enumerate() {
            by_class
                .get_mut(l as usize)
                .ok_or_else(|| format!("sample {i} has class {l}, not below {classes}"))?
                .push(i as u32);
        }
        Ok(ClientData {
            draws: ClientDraws::new(seeds, Purpose::DataPartition),
            by_class,
            mix,
        })
    }

    /// Each class's share of `client`'s data (classes with no image get none).
    pub fn mix_of(&self, client: u64) -> Vec<f64> {
        let sizes: Vec<f64> = self.by_class.iter().map(|c| c.len() as f64).collect();
        let weights: Vec<f64> = match self.mix {
            LabelMix::Iid => sizes.clone(),
            LabelMix::Dirichlet { alpha } => {
                let mut rng = self.draws.rng(client, MIX);
                let g = Gamma::new(alpha, 1.0).ok();
                sizes
                    .iter()
                    .map(|&n| {
                        if n > 0.0 {
                            g.as_ref().map_or(1.0, |g| g.sample(&mut rng))
                        } else {
                            0.0
                        }
                    })
                    .collect()
            }
        };
        let total: f64 = weights.iter().sum();
        weights.iter().map(|w| if total > 0.0 { w / total } else { 0.0 }).collect()
    }

    /// `client`'s `samples` training indices, in draw order.
    pub fn shard(&self, client: u64, samples: u32) -> Vec<u32> {
        let mix = self.mix_of(client);
        let mut cumulative = Vec::with_capacity(mix.len());
        let mut sum = 0.0;
        for m in &mix {
            sum += m;
            cumulative.push(sum);
        }
        let mut rng = self.draws.rng(client, SAMPLES_FROM);
        (0..samples)
            .filter_map(|_| {
                let u: f64 = rand::RngExt::random(&mut rng);
                let class = cumulative.iter().position(|&c| u * sum < c).unwrap_or(mix.len().saturating_sub(1));
                let pool = &self.by_class[class];
                (!pool.is_empty()).then(|| pool[rand::RngExt::random_range(&mut rng, 0..pool.len())])
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<u32> {
        (0..6_000u32).map(|i| i % 10).collect()
    }

    #[test]
    fn a_clients_data_is_the_same_whenever_it_is_drawn_and_more_clients_than_images_is_fine() {
        let data = ClientData::new(&Seeds::new(4), &labels(), 10, LabelMix::Dirichlet { alpha: 0.3 }).unwrap();
        let a = data.shard(123_456_789, 40);
        assert_eq!(a.len(), 40);
        // drawn after 10,000 other clients (more than the 6,000 images): the same indices
        for c in 0..10_000u64 {
            assert!(!data.shard(c, 3).is_empty());
        }
        assert_eq!(data.shard(123_456_789, 40), a);
        assert!(a.iter().all(|&i| i < 6_000));
        assert_ne!(data.shard(123_456_790, 40), a);
    }

    #[test]
    fn label_skew_follows_alpha() {
        let labels = labels();
        // classes making up 90% of a client's data, averaged over clients: few under alpha 0.1,
        // nearly all ten under iid draws
        let classes_for_90 = |mix: LabelMix| {
            let data = ClientData::new(&Seeds::new(8), &labels, 10, mix).unwrap();
            let mut total = 0usize;
            for c in 0..300u64 {
                let mut shares = data.mix_of(c);
                assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
                shares.sort_by(|a, b| b.total_cmp(a));
                let mut sum = 0.0;
                total += shares
                    .iter()
                    .take_while(|s| {
                        let before = sum;
                        sum += *s;
                        before < 0.9
                    })
                    .count();
            }
            total as f64 / 300.0
        };
        let (skewed, mild, iid) = (
            classes_for_90(LabelMix::Dirichlet { alpha: 0.1 }),
            classes_for_90(LabelMix::Dirichlet { alpha: 10.0 }),
            classes_for_90(LabelMix::Iid),
        );
        assert!(skewed < 3.0 && mild > 7.0 && iid >= 9.0, "{skewed} {mild} {iid}");
        // a shard's labels follow its mix: the top class of a skewed client holds most samples
        let data = ClientData::new(&Seeds::new(8), &labels, 10, LabelMix::Dirichlet { alpha: 0.1 }).unwrap();
        let mix = data.mix_of(5);
        let top = (0..10).max_by(|&a, &b| mix[a].total_cmp(&mix[b])).unwrap();
        let shard = data.shard(5, 2_000);
        let share = shard.iter().filter(|&&i| labels[i as usize] as usize == top).count() as f64 / 2_000.0;
        assert!((share - mix[top]).abs() < 0.05, "{share} vs {}", mix[top]);
    }

    #[test]
    fn bad_labels_or_alpha_are_refused() {
        assert!(
            ClientData::new(&Seeds::new(1), &[0, 12], 10, LabelMix::Iid)
                .unwrap_err()
                .contains("class 12")
        );
        assert!(ClientData::new(&Seeds::new(1), &[0], 10, LabelMix::Dirichlet { alpha: 0.0 }).is_err());
    }
}
