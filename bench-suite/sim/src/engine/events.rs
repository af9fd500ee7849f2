//! The event queue: jobs in flight ordered by finish time, ties by worker index.
//!
//! Each worker has at most one job in flight (none while it waits for its round to close or is
//! away), or for a population's slot, one event pending. A cancelled job's entry is left in the heap and
//! skipped when popped (lazy deletion); the heap is rebuilt when such dead entries pile up, so it
//! stays O(N) in size and each event costs O(log N).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What happens at an event's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Event {
    /// The job's update reaches the server.
    Arrival,
    /// The job's client leaves before its update arrives: the job is lost (populations only).
    Departure,
    /// A slot that found no client looks again (populations only; `job` is the slot's next job).
    Retry,
}

/// A job in flight: who runs it, which of their jobs it is, and when it finishes (or, for a
/// population, when its client leaves first, or when an idle slot looks for a client again).
#[derive(Debug, Clone, Copy)]
pub struct InFlight {
    pub finish: f64,
    pub worker: u32,
    pub job: u64,
    pub event: Event,
}

// Min-heap order: earliest finish first, then lowest worker index.
impl Ord for InFlight {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .finish
            .total_cmp(&self.finish)
            .then_with(|| other.worker.cmp(&self.worker))
            .then_with(|| other.job.cmp(&self.job))
            .then_with(|| other.event.cmp(&self.event))
    }
}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for InFlight {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for InFlight {}

/// Jobs in flight, one live entry per worker.
#[derive(Debug, Default)]
pub struct JobQueue {
    heap: BinaryHeap<InFlight>,
}

impl JobQueue {
    pub fn with_capacity(workers: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(2 * workers + 16),
        }
    }

    pub fn push(&mut self, job: InFlight) {
        self.heap.push(job);
    }

    /// The earliest live job; `is_live` tells whether an entry is still current.
    pub fn pop_live(&mut self, mut is_live: impl FnMut(&InFlight) -> bool) -> Option<InFlight> {
        while let Some(e) = self.heap.pop() {
            if is_live(&e) {
                return Some(e);
            }
        }
        None
    }

    /// The earliest live job, left in the queue (dead entries above it are dropped).
    pub fn peek_live(&mut self, mut is_live: impl FnMut(&InFlight) -> bool) -> Option<InFlight> {
        while let Some(e) = self.heap.peek() {
            if is_live(e) {
                return Some(*e);
            }
            self.heap.pop();
        }
        None
    }

    /// Removes the earliest entry.
    pub fn pop(&mut self) -> Option<InFlight> {
        self.heap.pop()
    }

    /// Drops dead entries once they outnumber the `count` live ones, rebuilding from `live`.
    pub fn compact_if_needed(&mut self, count: usize, live: impl Iterator<Item = InFlight>) {
        if self.heap.len() > 2 * count + 16 {
            self.heap.clear();
            self.heap.extend(live);
        }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_ties_by_worker_and_dead_entries_skipped() {
        let mut q = JobQueue::with_capacity(4);
        for (finish, worker) in [(2.0, 3), (1.0, 2), (1.0, 0), (0.5, 1)] {
            q.push(InFlight {
                finish,
                worker,
                job: 0,
                event: Event::Arrival,
            });
        }
        let dead = |e: &InFlight| e.worker != 1;
        let order: Vec<u32> = std::iter::from_fn(|| q.pop_live(dead)).map(|e| e.worker).collect();
        assert_eq!(order, vec![0, 2, 3]);
    }
}
