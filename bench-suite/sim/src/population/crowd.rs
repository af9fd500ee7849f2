//! A population as a run sees it (docs/semantics.md, "18. A population of clients"): which client
//! holds each slot, who is busy, who takes a free slot, how long its job computes and when it
//! leaves. Memory is O(C), whatever M: a client's attributes are drawn again whenever needed.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use super::{ClientLaw, ClientTimes, Clients, Presence, Schedule, Selection, Selector};
use crate::seeds::Seeds;

/// A population of clients, as a run's config gives it to the engine: M clients, how a free slot
/// picks one, when each is present, and their job times (the slots, C, are the engine's workers).
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    pub clients: u64,
    pub selection: Selection,
    /// When clients are present.
    pub presence: Schedule,
    pub times: ClientTimes,
    pub seeds: Seeds,
}

impl Population {
    /// The law of the clients' speed factors (the compute law's `v_mach`), which is all a run
    /// draws of a client besides its times, presence and data.
    pub fn speed_law(&self) -> ClientLaw {
        ClientLaw {
            v_mach: self.times.v_mach,
            ..ClientLaw::default()
        }
    }
}

/// Hashes a client number with SplitMix64's finaliser (the busy set's keys are plain numbers).
#[derive(Default)]
pub struct ClientHasher(u64);

impl Hasher for ClientHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// The slots' clients during one run.
pub struct Crowd {
    attributes: Clients,
    times: ClientTimes,
    presence: Presence,
    selector: Selector,
    /// Clients holding a slot: from their selection until their job arrives, is stopped or is lost.
    busy: HashSet<u64, BuildHasherDefault<ClientHasher>>,
    /// Each slot's client, while it holds one.
    held: Vec<Option<u64>>,
}

impl Crowd {
    pub fn new(p: &Population, slots: u32) -> Result<Crowd, String> {
        Ok(Crowd {
            attributes: Clients::new(&p.seeds, p.speed_law())?,
            times: p.times,
            presence: Presence::new(p.presence.clone(), &p.seeds),
            selector: Selector::new(p.selection, p.clients, &p.seeds),
            busy: HashSet::with_capacity_and_hasher(2 * slots as usize, BuildHasherDefault::default()),
            held: vec![None; slots as usize],
        })
    }

    /// When `client`, present at `t`, leaves (infinity when it never does).
    pub fn departure(&self, client: u64, t: f64) -> f64 {
        self.presence.next_change(client, t)
    }

    /// Picks an idle, present client for `slot` at `t` and marks it busy; `None`: the slot waits.
    pub fn fill(&mut self, slot: u32, t: f64) -> Option<u64> {
        let (busy, presence) = (&self.busy, &self.presence);
        let picked = self.selector.select(|c| !busy.contains(&c) && presence.present(c, t))?;
        self.busy.insert(picked);
        self.held[slot as usize] = Some(picked);
        Some(picked)
    }

    /// `slot`'s client is done with it (its job delivered, stopped or lost).
    pub fn release(&mut self, slot: u32) {
        if let Some(c) = self.held[slot as usize].take() {
            self.busy.remove(&c);
        }
    }

    /// The compute time of the run's job `job` on `client`.
    pub fn job_time(&self, client: u64, job: u64) -> f64 {
        self.times.draw(client, job, self.attributes.speed(client))
    }
}
