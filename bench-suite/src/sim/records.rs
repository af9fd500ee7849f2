//! What a run produces: one row per round, one per evaluation, and why it stopped (spec section 6).

use serde::{Deserialize, Serialize};

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

/// Why a run stopped (spec section 9).
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
    pub stop: StopReason,
    /// The final global model.
    pub params: Vec<f32>,
}

impl RunRecords {
    /// SHA-256 (hex) over the bits of every recorded value and the final parameters: two runs are
    /// bit-identical exactly when their digests are equal (NaN payloads included).
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for r in &self.rounds {
            for x in [
                r.round,
                r.time.to_bits(),
                r.k as u64,
                r.tau_max.to_bits(),
                r.arrivals as u64,
                r.restarts as u64,
            ] {
                h.update(x.to_le_bytes());
            }
            for x in [
                r.mean_staleness.to_bits(),
                r.max_staleness,
                r.uploads,
                r.downloads,
                r.comm,
                r.train_loss.to_bits(),
            ] {
                h.update(x.to_le_bytes());
            }
        }
        for e in &self.evals {
            for x in [
                e.round,
                e.time.to_bits(),
                e.uploads,
                e.downloads,
                e.comm,
                e.test_loss.to_bits(),
                e.test_accuracy.to_bits(),
            ] {
                h.update(x.to_le_bytes());
            }
        }
        h.update(format!("{:?}", self.stop).as_bytes());
        for p in &self.params {
            h.update(p.to_bits().to_le_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Where two runs first differ, in words (None when bit-identical).
    pub fn first_difference(&self, other: &RunRecords) -> Option<String> {
        let bits = |r: &RoundRecord| {
            format!(
                "{:?}",
                (
                    r.time.to_bits(),
                    r.k,
                    r.tau_max.to_bits(),
                    r.train_loss.to_bits(),
                    r.comm,
                    r.restarts
                )
            )
        };
        if let Some(i) = (0..self.rounds.len().min(other.rounds.len())).find(|&i| bits(&self.rounds[i]) != bits(&other.rounds[i])) {
            return Some(format!(
                "round {}: {:?} vs {:?}",
                self.rounds[i].round, self.rounds[i], other.rounds[i]
            ));
        }
        let ebits = |e: &EvalRecord| format!("{:?}", (e.round, e.test_loss.to_bits(), e.test_accuracy.to_bits()));
        if let Some(i) = (0..self.evals.len().min(other.evals.len())).find(|&i| ebits(&self.evals[i]) != ebits(&other.evals[i])) {
            return Some(format!(
                "evaluation at round {}: {:?} vs {:?}",
                self.evals[i].round, self.evals[i], other.evals[i]
            ));
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
        if let Some(i) = (0..self.params.len().min(other.params.len())).find(|&i| self.params[i].to_bits() != other.params[i].to_bits()) {
            return Some(format!("final parameter {i}: {} vs {}", self.params[i], other.params[i]));
        }
        (self.digest() != other.digest()).then(|| "the final parameters or stop reason".to_string())
    }
}
