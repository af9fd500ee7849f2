//! What a run produces: one row per round, one per evaluation, and why it stopped (docs/semantics.md, "12. Stopping and records").

use serde::{Deserialize, Serialize};

use super::jobs::JobRecord;

/// One round t of the parameter server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    /// t, from 0.
    pub round: u64,
    /// Virtual seconds when round t's K-th arrival came in.
    pub time: f64,
    /// K^t, the arrivals waited for in round t.
    pub k: u32,
    /// The threshold applied at the end of round t, from K^{t+1}; `inf` where unbounded.
    pub tau_max: f64,
    pub arrivals: u32,
    /// Jobs abandoned at the end of round t (sync cancel rule or staleness bound).
    pub restarts: u32,
    /// Over the updates aggregated in round t.
    pub mean_staleness: f64,
    pub max_staleness: u64,
    /// Cumulative arrivals.
    pub uploads: u64,
    /// Cumulative models sent: N at time 0, one per arrival and one per restart.
    pub downloads: u64,
    /// Cumulative worker-PS exchanges: uploads + restarts (the paper's communication rounds).
    pub comm: u64,
    /// F_t: the mean reported loss of round t's arrivals.
    pub train_loss: f64,
}

/// The global model evaluated on the held-out set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalRecord {
    /// Rounds completed: this is w^round (0 is the initial model).
    pub round: u64,
    pub time: f64,
    pub uploads: u64,
    pub downloads: u64,
    pub comm: u64,
    pub test_loss: f64,
    pub test_accuracy: f64,
}

/// Why a run stopped (docs/semantics.md, "12. Stopping and records").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    MaxRounds,
    /// The next round would have ended after `max_time`.
    MaxTime,
    /// An evaluation reached `target_accuracy` with `stop_at_target: true`.
    Target,
    /// The training loss became NaN or infinite.
    Diverged,
}

/// Everything one simulation records.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecords {
    pub rounds: Vec<RoundRecord>,
    pub evals: Vec<EvalRecord>,
    /// One row per job started (docs/semantics.md, "15. The job log"); not part of the digest,
    /// which the rounds, evaluations and parameters already determine.
    pub jobs: Vec<JobRecord>,
    pub stop: StopReason,
    /// The final global model.
    pub params: Vec<f32>,
}

impl RoundRecord {
    /// Every field as raw bits, in declaration order: what "bit-identical" compares.
    fn bits(&self) -> [u64; 12] {
        [
            self.round,
            self.time.to_bits(),
            u64::from(self.k),
            self.tau_max.to_bits(),
            u64::from(self.arrivals),
            u64::from(self.restarts),
            self.mean_staleness.to_bits(),
            self.max_staleness,
            self.uploads,
            self.downloads,
            self.comm,
            self.train_loss.to_bits(),
        ]
    }
}

impl EvalRecord {
    /// Every field as raw bits, in declaration order.
    fn bits(&self) -> [u64; 7] {
        [
            self.round,
            self.time.to_bits(),
            self.uploads,
            self.downloads,
            self.comm,
            self.test_loss.to_bits(),
            self.test_accuracy.to_bits(),
        ]
    }
}

impl RunRecords {
    /// SHA-256 (hex) over the bits of every recorded value and the final parameters: two runs are
    /// bit-identical exactly when their digests are equal (NaN payloads included).
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for x in self
            .rounds
            .iter()
            .flat_map(RoundRecord::bits)
            .chain(self.evals.iter().flat_map(EvalRecord::bits))
        {
            h.update(x.to_le_bytes());
        }
        h.update(format!("{:?}", self.stop).as_bytes());
        for p in &self.params {
            h.update(p.to_bits().to_le_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Where two runs first differ, in words (None when bit-identical).
    pub fn first_difference(&self, other: &RunRecords) -> Option<String> {
        if let Some((a, b)) = self.rounds.iter().zip(&other.rounds).find(|(a, b)| a.bits() != b.bits()) {
            return Some(format!("round {}: {a:?} vs {b:?}", a.round));
        }
        if let Some((a, b)) = self.evals.iter().zip(&other.evals).find(|(a, b)| a.bits() != b.bits()) {
            return Some(format!("evaluation at round {}: {a:?} vs {b:?}", a.round));
        }
        if self.rounds.len() != other.rounds.len() || self.evals.len() != other.evals.len() {
            return Some(format!(
                "lengths: {} vs {} rounds, {} vs {} evaluations",
                self.rounds.len(),
                other.rounds.len(),
                self.evals.len(),
                other.evals.len()
            ));
        }
        if self.stop != other.stop {
            return Some(format!("stop reason: {:?} vs {:?}", self.stop, other.stop));
        }
        if let Some(i) = (0..self.params.len().min(other.params.len())).find(|&i| self.params[i].to_bits() != other.params[i].to_bits()) {
            return Some(format!("final parameter {i}: {} vs {}", self.params[i], other.params[i]));
        }
        (self.params.len() != other.params.len()).then(|| format!("final parameter count: {} vs {}", self.params.len(), other.params.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records() -> RunRecords {
        let round = RoundRecord {
            round: 0,
            time: 1.5,
            k: 2,
            tau_max: f64::INFINITY,
            arrivals: 2,
            restarts: 0,
            mean_staleness: 0.5,
            max_staleness: 1,
            uploads: 2,
            downloads: 6,
            comm: 2,
            train_loss: 0.7,
        };
        let eval = EvalRecord {
            round: 1,
            time: 1.5,
            uploads: 2,
            downloads: 6,
            comm: 2,
            test_loss: 0.6,
            test_accuracy: 0.8,
        };
        RunRecords {
            rounds: vec![round],
            evals: vec![eval],
            jobs: Vec::new(),
            stop: StopReason::MaxRounds,
            params: vec![0.25, -1.0],
        }
    }

    #[test]
    fn every_field_counts_for_identity() {
        let a = records();
        assert_eq!(a.first_difference(&a.clone()), None);
        assert_eq!(a.digest(), a.clone().digest());
        let changes: [fn(&mut RunRecords); 5] = [
            |r| r.rounds[0].mean_staleness = 0.25,
            |r| r.rounds[0].downloads += 1,
            |r| r.evals[0].uploads += 1,
            |r| r.stop = StopReason::MaxTime,
            |r| r.params[1] = -0.0 - 1.0 + f32::EPSILON,
        ];
        for change in changes {
            let mut b = records();
            change(&mut b);
            assert!(a.first_difference(&b).is_some(), "{b:?}");
            assert_ne!(a.digest(), b.digest());
        }
        let mut nan = records();
        nan.rounds[0].train_loss = f64::NAN;
        assert_eq!(nan.first_difference(&nan.clone()), None, "the same NaN bits are identical");
    }
}
