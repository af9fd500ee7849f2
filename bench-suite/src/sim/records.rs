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
