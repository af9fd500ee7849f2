//! The server side of a policy (docs/semantics.md, "6. Aggregation and weighting"): how the
//! arrivals of a round become the next global model, in separate pieces: the staleness function
//! S(s), the normalisation, what is applied (weighted deltas, or a mix with the client's model),
//! when an arrived worker gets a new model, and the server optimizer.

mod optimizer;
mod staleness;

use serde::{Deserialize, Serialize};

use crate::error::PolicyError;
use crate::policy::{PolicyKnobs, PolicyParams, WeightKnob};
pub use optimizer::{OptimizerName, ServerOptimizer, ServerState};
pub use staleness::{SaForm, StalenessFn};

/// What the round's weights S(s) are divided by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Normalisation {
    /// The number of updates aggregated (K, unless absences closed the round early): the paper's.
    #[default]
    Arrivals,
    /// K^t, even when fewer arrived (FedBuff's rule).
    K,
    /// The sum of the round's S(s), so that the weights sum to 1.
    SumOfWeights,
}

/// What the server applies, as a policy's knob (`apply`); a mix takes its rate from `alpha`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ApplyKnob {
    #[default]
    Deltas,
    Mix,
}

/// What the server applies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Apply {
    /// The weighted sum of the deltas, through the server optimizer.
    Deltas,
    /// Each arrival in turn mixes the client's model into the global one,
    /// w <- (1 - alpha S(s)) w + alpha S(s) w_client (FedAsync); needs each update's base.
    Mix { alpha: f64 },
}

/// When a worker whose update has arrived gets a new model and starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Dispatch {
    /// When its round closes, with the new model (the paper's).
    #[default]
    AtRoundEnd,
    /// At once, with the current model, while its update waits for the round (FedBuff, FedAsync).
    OnArrival,
}

/// How a round's arrivals become the next global model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServerRule {
    pub staleness: StalenessFn,
    pub normalisation: Normalisation,
    pub apply: Apply,
    pub dispatch: Dispatch,
    /// Arrivals staler than this are dropped, never aggregated (FedBuff's option); only with
    /// dispatch on arrival.
    pub max_staleness: Option<u64>,
    pub optimizer: ServerOptimizer,
}

impl ServerRule {
    /// The server rule of a policy with these knobs and parameters, refusing a parameter out of
    /// range with its key.
    pub fn resolve(knobs: &PolicyKnobs, p: &PolicyParams) -> Result<ServerRule, PolicyError> {
        let staleness = match knobs.weight {
            WeightKnob::Uniform => StalenessFn::Constant,
            WeightKnob::StalenessAware => StalenessFn::of(p.sa_form, p.workers),
        };
        if let Some(why) = staleness.invalid() {
            return Err(PolicyError::new("sa_form", why));
        }
        let apply = match knobs.apply {
            ApplyKnob::Deltas => Apply::Deltas,
            // a mix weighs each arrival by alpha S(s) alone: a normalisation would be ignored
            ApplyKnob::Mix if knobs.normalise != Normalisation::Arrivals => {
                return Err(PolicyError::new(
                    "policy",
                    "`normalise` has no effect with `apply: mix` (each arrival is mixed in with alpha S(s)): remove it",
                ));
            }
            ApplyKnob::Mix => {
                let alpha = p
                    .alpha
                    .ok_or_else(|| PolicyError::new("alpha", "is required by `apply: mix`: expected a number in (0, 1]"))?;
                if !(alpha > 0.0 && alpha <= 1.0) {
                    return Err(PolicyError::new(
                        "alpha",
                        format!("value {alpha} is not allowed: expected a number in (0, 1]"),
                    ));
                }
                Apply::Mix { alpha }
            }
        };
        let optimizer = p.server_optimizer.with(p.server_beta1, p.server_beta2, p.server_tau);
        if let Some((key, why)) = optimizer.invalid() {
            return Err(PolicyError::new(key, why));
        }
        Ok(ServerRule {
            staleness,
            normalisation: knobs.normalise,
            apply,
            dispatch: knobs.dispatch,
            max_staleness: p.max_staleness,
            optimizer,
        })
    }

    /// Whether an arrival of this staleness is dropped instead of aggregated (over
    /// `max_staleness`, with dispatch on arrival).
    pub fn drops(&self, staleness: u64) -> bool {
        self.dispatch == Dispatch::OnArrival && self.max_staleness.is_some_and(|m| staleness > m)
    }

    /// The coefficient of each arrival, in arrival order, given their staleness and K^t: S(s)
    /// over the normalisation for deltas; alpha S(s) for a mix (applied one arrival at a time).
    /// Computed in f64, rounded once to f32.
    pub fn coefficients(&self, staleness: &[u64], k: u32, out: &mut Vec<f32>) {
        self.coefficients_with(staleness, None, k, out);
    }

    /// [`Self::coefficients`] with each arrival's S(s) also scaled by its sample count over the
    /// round's mean count, when `samples` are given (one per arrival): with the paper's
    /// normalisation and S = 1, FedAvg's n_i / sum n_j; a mix (one arrival a round) is unchanged.
    pub fn coefficients_with(&self, staleness: &[u64], samples: Option<&[u64]>, k: u32, out: &mut Vec<f32>) {
        out.clear();
        let mean = samples.map(|n| n.iter().sum::<u64>() as f64 / n.len().max(1) as f64);
        let share = |i: usize| match (samples, mean) {
            (Some(n), Some(m)) if m > 0.0 => n[i] as f64 / m,
            _ => 1.0,
        };
        let factors = staleness.iter().enumerate().map(|(i, &s)| self.staleness.factor(s) * share(i));
        if let Apply::Mix { alpha } = self.apply {
            out.extend(factors.map(|f| (alpha * f) as f32));
            return;
        }
        let by = match self.normalisation {
            Normalisation::Arrivals => staleness.len() as f64,
            Normalisation::K => f64::from(k),
            Normalisation::SumOfWeights => factors.clone().sum(),
        };
        out.extend(factors.map(|f| (f / by) as f32));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paper's rule with staleness function `staleness`: w += server_lr sum S(s)/|A| delta,
    /// arrivals dispatched when the round closes.
    fn paper(staleness: StalenessFn) -> ServerRule {
        ServerRule {
            staleness,
            normalisation: Normalisation::Arrivals,
            apply: Apply::Deltas,
            dispatch: Dispatch::AtRoundEnd,
            max_staleness: None,
            optimizer: ServerOptimizer::Sgd,
        }
    }

    fn coefs(rule: ServerRule, staleness: &[u64], k: u32) -> Vec<f32> {
        let mut out = Vec::new();
        rule.coefficients(staleness, k, &mut out);
        out
    }

    #[test]
    fn the_papers_weights_by_hand() {
        assert_eq!(coefs(paper(StalenessFn::Constant), &[7, 0, 2, 1], 4), [0.25; 4]);
        let sa = paper(StalenessFn::Inv);
        assert_eq!(coefs(sa, &[0, 1], 2), [0.5, 0.5]);
        assert_eq!(coefs(sa, &[4, 1], 2), [0.125, 0.5]);
        // absences closed the round with 2 of K = 4: divided by the 2 that arrived
        assert_eq!(coefs(sa, &[4, 1], 4), [0.125, 0.5]);
        assert_eq!(coefs(paper(StalenessFn::InvPlusOne), &[0, 3], 2), [0.5, 0.125]);
    }

    #[test]
    fn sample_counts_scale_the_weights_by_hand() {
        let with = |rule: ServerRule, staleness: &[u64], samples: &[u64], k| {
            let mut out = Vec::new();
            rule.coefficients_with(staleness, Some(samples), k, &mut out);
            out
        };
        // FedAvg: n_i / sum n_j
        assert_eq!(with(paper(StalenessFn::Constant), &[0, 5], &[10, 30], 2), [0.25, 0.75]);
        // with S(s) = 1/s and the sum of weights: S_i n_i / sum S_j n_j
        let sum = ServerRule {
            normalisation: Normalisation::SumOfWeights,
            ..paper(StalenessFn::Inv)
        };
        assert_eq!(with(sum, &[1, 2], &[10, 40], 2), [1.0 / 3.0, 2.0 / 3.0]);
        // equal counts change nothing
        assert_eq!(
            with(paper(StalenessFn::Inv), &[4, 1], &[7, 7], 4),
            coefs(paper(StalenessFn::Inv), &[4, 1], 4)
        );
    }

    #[test]
    fn other_normalisations_and_the_mix_by_hand() {
        let rule = |normalisation| ServerRule {
            normalisation,
            ..paper(StalenessFn::InvSqrtPlusOne)
        };
        // S = 1, 1/2 (s = 0, 3)
        assert_eq!(coefs(rule(Normalisation::K), &[0, 3], 4), [0.25, 0.125]);
        assert_eq!(coefs(rule(Normalisation::SumOfWeights), &[0, 3], 4), [2.0 / 3.0, 1.0 / 3.0]);
        let mix = ServerRule {
            apply: Apply::Mix { alpha: 0.6 },
            ..paper(StalenessFn::Polynomial { a: 0.5 })
        };
        assert_eq!(coefs(mix, &[0, 3], 1), [0.6, 0.3]);
    }
}
