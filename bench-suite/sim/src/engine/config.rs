//! What the engine needs to know about a run beyond the learner and the job times: the policy, the
//! stopping rules, evaluation, communication, availability and a population (docs/semantics.md,
//! sections 3, 5, 12, 16-18).

use abs_policies::{Policy, PolicyName, PolicyParams, RestartWhen};
use serde::{Deserialize, Serialize};

use super::availability::Availability;
use super::network::Links;
use crate::population::Population;

/// Which loss estimate drives the adaptive K (`k_loss`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KLoss {
    /// F_t = the mean loss reported by round t's arrivals (the paper's estimator).
    #[default]
    Reported,
    /// F_t = the loss of the latest periodic evaluation.
    Eval,
}

/// What the engine needs to know about a run, beyond the learner and the job times.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    pub workers: u32,
    pub local_steps: u32,
    pub policy: Policy,
    pub restart_when: RestartWhen,
    pub server_lr: f32,
    pub k_loss: KLoss,
    pub k_update_every: u64,
    pub eval_every: u64,
    /// Evaluate by virtual time instead (docs/semantics.md, section 12): after the first round
    /// ending at or after each multiple of this many seconds; `None`: every `eval_every` rounds.
    pub eval_interval: Option<f64>,
    pub max_rounds: u64,
    pub max_time: f64,
    pub target_accuracy: Option<f64>,
    pub stop_at_target: bool,
    pub upload_latency: f64,
    pub download_latency: f64,
    /// Every worker's link, where communication time is modelled (docs/semantics.md, "16. The
    /// network"); `None`: transfers take only their latencies.
    pub network: Option<Links>,
    /// Workers' absences (docs/semantics.md, "17. Availability"); `None`: always present.
    pub availability: Option<Availability>,
    /// A population of clients of which `workers` train at once, one per slot (docs/semantics.md,
    /// "18. A population of clients"); `None`: each worker is its own client.
    pub population: Option<Population>,
    /// Scale each update's S(s) by its worker's or client's sample count over the round's mean
    /// (`weight_by_samples`; docs/semantics.md, section 6).
    pub weight_by_samples: bool,
}

/// The config table's defaults for the engine's keys (a policy of `abs` on 10 workers).
impl Default for EngineConfig {
    fn default() -> Self {
        let params = PolicyParams::default();
        EngineConfig {
            workers: params.workers,
            local_steps: 10,
            policy: Policy::resolve(PolicyName::Abs.knobs(), &params).expect("abs resolves with the default parameters"),
            restart_when: RestartWhen::default(),
            server_lr: 1.0,
            k_loss: KLoss::default(),
            k_update_every: 1,
            eval_every: 10,
            eval_interval: None,
            max_rounds: 2000,
            max_time: f64::INFINITY,
            target_accuracy: None,
            stop_at_target: false,
            upload_latency: 0.0,
            download_latency: 0.0,
            network: None,
            availability: None,
            population: None,
            weight_by_samples: false,
        }
    }
}
