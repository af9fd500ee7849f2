//! The server step (docs/semantics.md, "6. Aggregation and weighting"): how a round's updates
//! turn w^t into w^{t+1}. It is one trait, [`ServerStep`]; the built-in one, [`BuiltinStep`], is
//! the policy's server rule (the coefficients, S(s) over the normalisation, then the weighted
//! deltas through the server optimizer, or each client model mixed in turn), and a run may supply
//! its own ([`super::simulate_with`]). Only the aggregation is replaced: which updates a round
//! takes (K, the bound, dispatch, dropping over `max_staleness`) stays the policy's.

use abs_policies::{Apply, ServerOptimizer, ServerRule, ServerState, aggregate};

crate::learner::boxed_failure! {
    /// Why a server step could not go on: any error, boxed (a caller gets its own type back with
    /// [`StepFailure::downcast`]). The run stops in that round with [`super::SimError::Step`].
    StepFailure
}

/// One update a round aggregates.
#[derive(Debug, Clone, Copy)]
pub struct Update<'a> {
    /// delta_i = w_i^U - w^{v}: what the job's U local steps changed.
    pub delta: &'a [f32],
    /// s_i = t - v: the global updates made since its base.
    pub staleness: u64,
    /// The worker (in a population, the slot) that ran the job.
    pub worker: u32,
    /// In a population, the client that ran it.
    pub client: Option<u64>,
    /// v: the version of the global model the job started from.
    pub base_version: u64,
    /// w^v, where the step asked for bases ([`ServerStep::needs_bases`]).
    pub base: Option<&'a [f32]>,
    /// The job's loss: the mean of its U mini-batch losses.
    pub loss: f64,
    /// The training samples its worker or client holds, where the learner says
    /// ([`crate::learner::Learner::samples_of`]).
    pub samples: Option<u64>,
}

/// What a server step knows of its round besides the updates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoundFacts {
    /// t: the version of the model the step receives.
    pub round: u64,
    /// K^t. The round aggregates fewer updates only where absences closed it early.
    pub k: u32,
    /// N: the workers, or a population's slots.
    pub workers: u32,
    /// `server_lr`, rounded to f32.
    pub server_lr: f32,
    /// The round's virtual time.
    pub time: f64,
}

/// How a round's updates become the next global model.
pub trait ServerStep {
    /// Whether updates carry their base model. Asked once, when the run starts. A base kept until
    /// the step costs a copy of the global model when a worker still holds it.
    fn needs_bases(&self) -> bool {
        false
    }

    /// Whether updates carry their holder's sample count ([`Update::samples`]); asked every
    /// round, cheaply. Off by default: a population's counts cost a draw each.
    fn needs_samples(&self) -> bool {
        false
    }

    /// Replaces `global` (w^t) by w^{t+1}, given the round's updates in arrival order.
    fn step(&mut self, global: &mut [f32], updates: &[Update<'_>], round: &RoundFacts) -> Result<(), StepFailure>;
}

/// The policy's server rule, with the server optimizer's state and the buffers it reuses.
#[derive(Debug, Clone)]
pub struct BuiltinStep {
    rule: ServerRule,
    /// Whether each update's S(s) is scaled by its sample count over the round's mean
    /// (`weight_by_samples`).
    by_samples: bool,
    /// The round's staleness, sample counts and coefficients, in arrival order.
    staleness: Vec<u64>,
    samples: Vec<u64>,
    coefs: Vec<f32>,
    /// The pseudo-gradient, for a server optimizer other than plain SGD.
    pseudo_gradient: Vec<f32>,
    /// The server optimizer's moments.
    state: ServerState,
}

impl BuiltinStep {
    pub fn new(rule: ServerRule) -> Self {
        BuiltinStep {
            rule,
            by_samples: false,
            staleness: Vec::new(),
            samples: Vec::new(),
            coefs: Vec::new(),
            pseudo_gradient: Vec::new(),
            state: ServerState::default(),
        }
    }

    /// This step with each update's S(s) scaled by its sample count over the round's mean
    /// (docs/semantics.md, section 6).
    pub fn weighting_by_samples(mut self, on: bool) -> Self {
        self.by_samples = on;
        self
    }
}

impl ServerStep for BuiltinStep {
    fn needs_samples(&self) -> bool {
        self.by_samples
    }

    /// Only to mix client models in.
    fn needs_bases(&self) -> bool {
        matches!(self.rule.apply, Apply::Mix { .. })
    }

    /// w^{t+1} = w^t + server_lr * sum_i coef_i * delta_i with plain SGD, the server optimizer's
    /// step on that pseudo-gradient otherwise, or each client model mixed in turn.
    fn step(&mut self, global: &mut [f32], updates: &[Update<'_>], round: &RoundFacts) -> Result<(), StepFailure> {
        self.staleness.clear();
        self.staleness.extend(updates.iter().map(|u| u.staleness));
        // |A^t| = K^t unless absences closed the round early
        let samples = if self.by_samples {
            self.samples.clear();
            self.samples.extend(updates.iter().map(|u| u.samples.unwrap_or(1)));
            Some(self.samples.as_slice())
        } else {
            None
        };
        self.rule.coefficients_with(&self.staleness, samples, round.k, &mut self.coefs);
        if let Apply::Mix { .. } = self.rule.apply {
            for (&c, u) in self.coefs.iter().zip(updates) {
                let base = u
                    .base
                    .ok_or_else(|| StepFailure::new("a mix needs each update's base: the step must say so in needs_bases"))?;
                mix_in(global, c, base, u.delta);
            }
            return Ok(());
        }
        let weighted: Vec<(f32, &[f32])> = self.coefs.iter().copied().zip(updates.iter().map(|u| u.delta)).collect();
        match self.rule.optimizer {
            ServerOptimizer::Sgd => aggregate(global, &weighted, round.server_lr),
            optimizer => {
                self.pseudo_gradient.clear();
                self.pseudo_gradient.resize(global.len(), 0.0);
                aggregate(&mut self.pseudo_gradient, &weighted, 1.0);
                self.state.step(optimizer, round.server_lr, global, &self.pseudo_gradient);
            }
        }
        Ok(())
    }
}

/// w <- (1 - c) w + c (base + delta), element by element: with c = 1 the client's model replaces w
/// exactly.
fn mix_in(w: &mut [f32], c: f32, base: &[f32], delta: &[f32]) {
    for ((wi, &b), &d) in w.iter_mut().zip(base).zip(delta) {
        *wi = (1.0 - c) * *wi + c * (b + d);
    }
}

#[cfg(test)]
#[path = "step_tests.rs"]
mod tests;
