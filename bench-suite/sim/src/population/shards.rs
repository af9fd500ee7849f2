//! Which training samples a job draws its mini-batches from (docs/semantics.md, "10. Data,
//! partitions and local training" and "18. A population of clients"): its worker's shard of the
//! partition, or its client's own data drawn from the shared set. Learners ask here, so the two
//! regimes share one code path.

use std::borrow::Cow;

use super::{ClientData, ClientLaw, Clients, LabelMix, SampleLaw};
use crate::partition::{Partition, partition};
use crate::seeds::{Purpose, Seeds};

/// Who holds the training data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Holders {
    /// N workers, the set split among them by the partition.
    Workers(u32),
    /// A population's clients, each with a sample count from this law and a label mix from the
    /// partition scheme (iid: the set's class shares; dirichlet: Dirichlet(alpha) per client).
    Clients(SampleLaw),
}

/// Every holder's training indices.
#[derive(Debug, Clone)]
pub enum Shards {
    Workers(Vec<Vec<u32>>),
    /// `kept`: the training indices left after a validation split (the clients' draws index it);
    /// `None`: the whole set.
    Clients {
        data: ClientData,
        sizes: Clients,
        kept: Option<Vec<u32>>,
    },
}

impl Shards {
    /// The shards of a training set with `labels` (below `classes`): the workers' partition (drawn
    /// from the data-partition stream, as it always was), or the clients' draws.
    pub fn new(labels: &[u32], classes: u32, holders: Holders, scheme: Partition, seeds: &Seeds) -> Result<Shards, String> {
        Shards::holding_out(labels, classes, holders, scheme, seeds, &[])
    }

    /// [`Shards::new`] over the training samples not in `held` (a validation split, sorted): the
    /// partition or the clients' draws see only the kept samples, in their order, and every index
    /// handed out is one of the whole set. With nothing held out, exactly [`Shards::new`].
    pub fn holding_out(
        labels: &[u32],
        classes: u32,
        holders: Holders,
        scheme: Partition,
        seeds: &Seeds,
        held: &[u32],
    ) -> Result<Shards, String> {
        if held.is_empty() {
            return Shards::whole(labels, classes, holders, scheme, seeds);
        }
        let kept = crate::validation::kept(labels.len(), held);
        let kept_labels: Vec<u32> = kept.iter().map(|&i| labels[i as usize]).collect();
        Ok(match Shards::whole(&kept_labels, classes, holders, scheme, seeds)? {
            Shards::Workers(shards) => Shards::Workers(
                shards
                    .into_iter()
                    .map(|s| s.into_iter().map(|i| kept[i as usize]).collect())
                    .collect(),
            ),
            Shards::Clients { data, sizes, .. } => Shards::Clients {
                data,
                sizes,
                kept: Some(kept),
            },
        })
    }

    /// The natural partition of a training set whose sample i belongs to client `owners[i]`
    /// (ids 0..M), the samples in `held` (a validation split, sorted) left out: a population's
    /// client c holds its own samples (the population must have the data's M clients); worker n
    /// holds those of the clients c with c mod N = n. Refuses a client left with no sample.
    pub fn natural(owners: &[u32], holders: Holders, population: Option<u64>, held: &[u32]) -> Result<Shards, String> {
        let clients = owners.iter().max().map_or(0, |&m| m as usize + 1);
        let mut by_client: Vec<Vec<u32>> = vec![Vec::new(); clients];
        let mut held = held.iter().peekable();
        for (i, &c) in owners.iter().enumerate() {
            if held.next_if_eq(&&(i as u32)).is_none() {
                by_client[c as usize].push(i as u32);
            }
        }
        if let Some(c) = by_client.iter().position(Vec::is_empty) {
            return Err(format!(
                "partition natural: client {c} of the data's {clients} holds no training sample (ids must run 0..{clients} and each hold a sample outside the validation split)"
            ));
        }
        match holders {
            Holders::Clients(_) => match population {
                Some(m) if m == clients as u64 => Ok(Shards::Workers(by_client)),
                m => Err(format!(
                    "partition natural: the data names {clients} clients but the population has {}: set clients: {clients}",
                    m.map_or("none".to_string(), |m| m.to_string())
                )),
            },
            Holders::Workers(n) if n as usize > clients => Err(format!(
                "partition natural: {n} workers but the data names only {clients} clients (each worker holds whole clients)"
            )),
            Holders::Workers(n) => {
                let mut shards = vec![Vec::new(); n as usize];
                for (c, samples) in by_client.into_iter().enumerate() {
                    shards[c % n as usize].extend(samples);
                }
                shards.iter_mut().for_each(|s| s.sort_unstable());
                Ok(Shards::Workers(shards))
            }
        }
    }

    fn whole(labels: &[u32], classes: u32, holders: Holders, scheme: Partition, seeds: &Seeds) -> Result<Shards, String> {
        if scheme == Partition::Natural {
            return Err(
                "partition natural needs a data set whose training samples name their clients (dataset: folder with train.clients; docs/semantics.md, section 10)".into(),
            );
        }
        match holders {
            Holders::Workers(n) => Ok(Shards::Workers(partition(
                labels,
                classes,
                n,
                scheme,
                &mut seeds.stream(Purpose::DataPartition, 0, 0),
            ))),
            Holders::Clients(samples) => {
                let mix = match scheme {
                    Partition::Iid | Partition::Natural => LabelMix::Iid,
                    Partition::Dirichlet { alpha } => LabelMix::Dirichlet { alpha },
                };
                let law = ClientLaw { v_mach: 0.0, samples };
                Ok(Shards::Clients {
                    data: ClientData::new(seeds, labels, classes, mix)?,
                    sizes: Clients::new(seeds, law)?,
                    kept: None,
                })
            }
        }
    }

    /// The training indices of `holder` (a job's `JobId::worker`: its worker, or its client).
    pub fn of(&self, holder: u32) -> Cow<'_, [u32]> {
        match self {
            Shards::Workers(s) => Cow::Borrowed(&s[holder as usize]),
            Shards::Clients { data, sizes, kept } => {
                let client = u64::from(holder);
                let mut shard = data.shard(client, sizes.samples(client));
                if let Some(kept) = kept {
                    shard.iter_mut().for_each(|i| *i = kept[*i as usize]);
                }
                Cow::Owned(shard)
            }
        }
    }

    /// How many training samples `holder` holds (its shard's length, without drawing it).
    pub fn count(&self, holder: u32) -> u64 {
        match self {
            Shards::Workers(s) => s.get(holder as usize).map_or(0, |s| s.len() as u64),
            Shards::Clients { sizes, .. } => u64::from(sizes.samples(u64::from(holder))),
        }
    }

    /// The first worker whose shard is empty (a population's client always holds a sample).
    pub fn first_empty(&self) -> Option<usize> {
        match self {
            Shards::Workers(s) => s.iter().position(Vec::is_empty),
            Shards::Clients { .. } => None,
        }
    }

    /// The workers' shard sizes (none for a population).
    pub fn worker_sizes(&self) -> Vec<usize> {
        match self {
            Shards::Workers(s) => s.iter().map(Vec::len).collect(),
            Shards::Clients { .. } => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_get_the_partition_and_clients_their_own_draws() {
        let labels: Vec<u32> = (0..1_000u32).map(|i| i % 10).collect();
        let seeds = Seeds::new(3);
        let workers = Shards::new(&labels, 10, Holders::Workers(4), Partition::Iid, &seeds).unwrap();
        let direct = partition(&labels, 10, 4, Partition::Iid, &mut seeds.stream(Purpose::DataPartition, 0, 0));
        assert!((0..4).all(|w| workers.of(w).as_ref() == direct[w as usize].as_slice()));
        assert_eq!(workers.worker_sizes(), vec![250; 4]);
        let clients = Shards::new(&labels, 10, Holders::Clients(SampleLaw::Constant(7)), Partition::Iid, &seeds).unwrap();
        // more clients than images, each with its 7 samples, the same whenever asked
        let far = clients.of(3_000_000_000);
        assert_eq!(far.len(), 7);
        assert_eq!(clients.of(3_000_000_000), far);
        assert!(far.iter().all(|&i| i < 1_000));
        assert_eq!(clients.first_empty(), None);
    }

    #[test]
    fn a_validation_split_is_never_trained_on() {
        let labels: Vec<u32> = (0..1_000u32).map(|i| i % 10).collect();
        let seeds = Seeds::new(3);
        let held = crate::validation::held_out(labels.len(), 200).unwrap();
        let none = Shards::holding_out(&labels, 10, Holders::Workers(4), Partition::Iid, &seeds, &[]).unwrap();
        let plain = Shards::new(&labels, 10, Holders::Workers(4), Partition::Iid, &seeds).unwrap();
        assert!((0..4).all(|w| none.of(w) == plain.of(w)), "nothing held out: the shards as before");
        for holders in [Holders::Workers(4), Holders::Clients(SampleLaw::Constant(50))] {
            for scheme in [Partition::Iid, Partition::Dirichlet { alpha: 0.3 }] {
                let s = Shards::holding_out(&labels, 10, holders, scheme, &seeds, &held).unwrap();
                let mut seen = 0;
                for h in 0..4 {
                    let shard = s.of(h);
                    seen += shard.len();
                    assert!(
                        shard.iter().all(|i| held.binary_search(i).is_err() && *i < 1_000),
                        "{holders:?} {scheme:?}"
                    );
                }
                assert!(seen > 0);
            }
        }
        let iid = Shards::holding_out(&labels, 10, Holders::Workers(4), Partition::Iid, &seeds, &held).unwrap();
        assert_eq!(iid.worker_sizes(), vec![200; 4], "800 kept samples in 4 equal shards");
    }
}
