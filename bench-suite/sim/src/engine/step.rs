//! The server step (docs/semantics.md, "6. Aggregation and weighting"): how a round's updates
//! turn w^t into w^{t+1}. The built-in step is the policy's server rule: the coefficients (S(s)
//! over the normalisation), then the weighted deltas through the server optimizer, or each client
//! model mixed in turn.

use std::sync::Arc;

use abs_policies::{Apply, ServerOptimizer, ServerRule, ServerState, aggregate};

/// The policy's server rule, with the server optimizer's state and the buffers it reuses.
pub(super) struct BuiltinStep {
    rule: ServerRule,
    /// The round's coefficients, in arrival order.
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
            coefs: Vec::new(),
            pseudo_gradient: Vec::new(),
            state: ServerState::default(),
        }
    }

    /// Whether the step reads each update's base: only to mix client models in.
    pub fn needs_bases(&self) -> bool {
        matches!(self.rule.apply, Apply::Mix { .. })
    }

    /// w^{t+1} = w^t + server_lr * sum_i coef_i * delta_i with plain SGD, the server optimizer's
    /// step on that pseudo-gradient otherwise, or each client model mixed in turn.
    pub fn step(&mut self, global: &mut [f32], staleness: &[u64], k: u32, server_lr: f32, deltas: &[Vec<f32>], bases: &[Arc<Vec<f32>>]) {
        // |A^t| = K^t unless absences closed the round early
        self.rule.coefficients(staleness, k, &mut self.coefs);
        let updates: Vec<(f32, &[f32])> = self.coefs.iter().copied().zip(deltas.iter().map(Vec::as_slice)).collect();
        match (self.rule.apply, self.rule.optimizer) {
            (Apply::Deltas, ServerOptimizer::Sgd) => aggregate(global, &updates, server_lr),
            (Apply::Deltas, optimizer) => {
                self.pseudo_gradient.clear();
                self.pseudo_gradient.resize(global.len(), 0.0);
                aggregate(&mut self.pseudo_gradient, &updates, 1.0);
                self.state.step(optimizer, server_lr, global, &self.pseudo_gradient);
            }
            (Apply::Mix { .. }, _) => {
                for ((c, delta), base) in updates.iter().zip(bases) {
                    mix_in(global, *c, base, delta);
                }
            }
        }
    }
}

/// w <- (1 - c) w + c (base + delta), element by element: with c = 1 the client's model replaces w
/// exactly.
fn mix_in(w: &mut [f32], c: f32, base: &[f32], delta: &[f32]) {
    for ((wi, &b), &d) in w.iter_mut().zip(base).zip(delta) {
        *wi = (1.0 - c) * *wi + c * (b + d);
    }
}
