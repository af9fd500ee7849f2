//! The server optimizer: how the pseudo-gradient D (the round's aggregated, normalised update)
//! moves the global model (docs/semantics.md, "6. Aggregation and weighting"). The adaptive rules
//! are those of Reddi et al., "Adaptive Federated Optimization" (ICLR 2021): no bias correction,
//! moments starting at zero.

use serde::{Deserialize, Serialize};

/// A server optimizer as a config names it (`server_optimizer`); its hyper-parameters come from
/// `server_beta1`, `server_beta2` and `server_tau`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerName {
    #[default]
    Sgd,
    Momentum,
    Nesterov,
    Adagrad,
    Adam,
    Yogi,
}

impl OptimizerName {
    /// Whether it is plain SGD (the paper's server step).
    pub fn is_sgd(&self) -> bool {
        *self == OptimizerName::Sgd
    }

    /// The config keys of its hyper-parameters.
    pub fn reads(self) -> &'static [&'static str] {
        match self {
            OptimizerName::Sgd => &[],
            OptimizerName::Momentum | OptimizerName::Nesterov => &["server_beta1"],
            OptimizerName::Adagrad => &["server_beta1", "server_tau"],
            OptimizerName::Adam | OptimizerName::Yogi => &["server_beta1", "server_beta2", "server_tau"],
        }
    }

    /// The optimizer with these hyper-parameters (absent ones at Reddi et al.'s defaults).
    pub fn with(self, beta1: Option<f64>, beta2: Option<f64>, tau: Option<f64>) -> ServerOptimizer {
        let beta1 = beta1.unwrap_or(ServerOptimizer::BETA1);
        let beta2 = beta2.unwrap_or(ServerOptimizer::BETA2);
        let tau = tau.unwrap_or(ServerOptimizer::TAU);
        match self {
            OptimizerName::Sgd => ServerOptimizer::Sgd,
            OptimizerName::Momentum => ServerOptimizer::Momentum { beta: beta1 },
            OptimizerName::Nesterov => ServerOptimizer::Nesterov { beta: beta1 },
            OptimizerName::Adagrad => ServerOptimizer::Adagrad { beta1, tau },
            OptimizerName::Adam => ServerOptimizer::Adam { beta1, beta2, tau },
            OptimizerName::Yogi => ServerOptimizer::Yogi { beta1, beta2, tau },
        }
    }
}

/// A server optimizer and its hyper-parameters (the step size is `server_lr`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerOptimizer {
    /// w += lr D: plain server SGD (FedAvg with a server step size).
    Sgd,
    /// m = beta m + D; w += lr m (FedAvgM).
    Momentum { beta: f64 },
    /// m = beta m + D; w += lr (beta m + D).
    Nesterov { beta: f64 },
    /// m = b1 m + (1 - b1) D; v += D^2; w += lr m / (sqrt(v) + tau) (FedAdagrad).
    Adagrad { beta1: f64, tau: f64 },
    /// m as Adagrad; v = b2 v + (1 - b2) D^2 (FedAdam).
    Adam { beta1: f64, beta2: f64, tau: f64 },
    /// m as Adagrad; v = v - (1 - b2) D^2 sign(v - D^2) (FedYogi).
    Yogi { beta1: f64, beta2: f64, tau: f64 },
}

impl ServerOptimizer {
    /// Reddi et al.'s defaults: beta1 0.9 (momentum's beta too), beta2 0.99, tau 1e-3.
    pub const BETA1: f64 = 0.9;
    pub const BETA2: f64 = 0.99;
    pub const TAU: f64 = 1e-3;

    /// Whether it keeps state between steps (all but `sgd`).
    pub fn has_state(self) -> bool {
        self != ServerOptimizer::Sgd
    }

    /// Why its hyper-parameters cannot be used, with the parameter's config key (`None`: they can).
    pub fn invalid(self) -> Option<(&'static str, String)> {
        let unit = |name: &'static str, b: f64| {
            (!(0.0..1.0).contains(&b)).then(|| (name, format!("value {b} is not allowed: expected a number in [0, 1)")))
        };
        let tau = |t: f64| {
            (!(t.is_finite() && t > 0.0)).then(|| ("server_tau", format!("value {t} is not allowed: expected a finite number > 0")))
        };
        match self {
            ServerOptimizer::Sgd => None,
            ServerOptimizer::Momentum { beta } | ServerOptimizer::Nesterov { beta } => unit("server_beta1", beta),
            ServerOptimizer::Adagrad { beta1, tau: t } => unit("server_beta1", beta1).or_else(|| tau(t)),
            ServerOptimizer::Adam { beta1, beta2, tau: t } | ServerOptimizer::Yogi { beta1, beta2, tau: t } => unit("server_beta1", beta1)
                .or_else(|| unit("server_beta2", beta2))
                .or_else(|| tau(t)),
        }
    }
}

/// The server optimizer's state for one run: the first and second moments, allocated at the
/// first step that needs them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerState {
    m: Vec<f32>,
    v: Vec<f32>,
}

impl ServerState {
    /// Moves `w` by the pseudo-gradient `d` with step size `lr`, element by element in f32.
    ///
    /// # Panics
    /// If `d`'s length differs from `w`'s (an engine bug, never user input).
    pub fn step(&mut self, optimizer: ServerOptimizer, lr: f32, w: &mut [f32], d: &[f32]) {
        assert_eq!(d.len(), w.len(), "pseudo-gradient length differs from the model's");
        let n = w.len();
        if optimizer.has_state() && self.m.len() != n {
            self.m = vec![0.0; n];
        }
        match optimizer {
            ServerOptimizer::Sgd => {
                for (wi, &di) in w.iter_mut().zip(d) {
                    *wi += lr * di;
                }
            }
            ServerOptimizer::Momentum { beta } => {
                let beta = beta as f32;
                for ((wi, &di), mi) in w.iter_mut().zip(d).zip(&mut self.m) {
                    *mi = beta * *mi + di;
                    *wi += lr * *mi;
                }
            }
            ServerOptimizer::Nesterov { beta } => {
                let beta = beta as f32;
                for ((wi, &di), mi) in w.iter_mut().zip(d).zip(&mut self.m) {
                    *mi = beta * *mi + di;
                    *wi += lr * (beta * *mi + di);
                }
            }
            ServerOptimizer::Adagrad { beta1, tau } => self.adaptive(w, d, lr, beta1, tau, |v, d2| v + d2),
            ServerOptimizer::Adam { beta1, beta2, tau } => {
                let b2 = beta2 as f32;
                self.adaptive(w, d, lr, beta1, tau, |v, d2| b2 * v + (1.0 - b2) * d2);
            }
            ServerOptimizer::Yogi { beta1, beta2, tau } => {
                let b2 = beta2 as f32;
                self.adaptive(w, d, lr, beta1, tau, |v, d2| v - (1.0 - b2) * d2 * sign(v - d2));
            }
        }
    }

    /// The three adaptive rules, which differ only in how v is updated from v and D^2.
    fn adaptive(&mut self, w: &mut [f32], d: &[f32], lr: f32, beta1: f64, tau: f64, next_v: impl Fn(f32, f32) -> f32) {
        if self.v.len() != w.len() {
            self.v = vec![0.0; w.len()];
        }
        let (b1, tau) = (beta1 as f32, tau as f32);
        for (((wi, &di), mi), vi) in w.iter_mut().zip(d).zip(&mut self.m).zip(&mut self.v) {
            *mi = b1 * *mi + (1.0 - b1) * di;
            *vi = next_v(*vi, di * di);
            *wi += lr * *mi / (vi.sqrt() + tau);
        }
    }
}

/// sign(x) with sign(0) = 0, as in Yogi.
fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: [f32; 4] = [0.5, -2.0, 0.0, 1e-3];

    fn steps(opt: ServerOptimizer, lr: f32, ds: &[&[f32]]) -> Vec<f32> {
        let mut w = vec![1.0f32, 2.0, 3.0, 4.0];
        let mut state = ServerState::default();
        for d in ds {
            state.step(opt, lr, &mut w, d);
        }
        w
    }

    #[test]
    fn momentum_with_beta_zero_is_sgd_bit_for_bit() {
        let ds: [&[f32]; 3] = [&D, &[1.0, 1.0, -1.0, 0.25], &D];
        for opt in [ServerOptimizer::Momentum { beta: 0.0 }, ServerOptimizer::Nesterov { beta: 0.0 }] {
            let (a, b) = (steps(opt, 0.7, &ds), steps(ServerOptimizer::Sgd, 0.7, &ds));
            assert_eq!(
                a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn momentum_by_hand() {
        // m1 = D, w1 = w0 + D; m2 = 0.5 D + D = 1.5 D, w2 = w1 + 1.5 D
        let d: [f32; 4] = [1.0, -2.0, 0.0, 4.0];
        let w = steps(ServerOptimizer::Momentum { beta: 0.5 }, 1.0, &[&d, &d]);
        assert_eq!(w, [3.5, -3.0, 3.0, 14.0]);
        // nesterov: w1 = w0 + (0.5 D + D) = w0 + 1.5 D
        let w = steps(ServerOptimizer::Nesterov { beta: 0.5 }, 1.0, &[&d]);
        assert_eq!(w, [2.5, -1.0, 3.0, 10.0]);
    }

    /// From zero state, Adam and Yogi take the same first step,
    /// lr (1 - b1) D / (sqrt(1 - b2) |D| + tau), element by element.
    #[test]
    fn the_first_adam_and_yogi_steps_are_equal_and_match_the_closed_form() {
        let (b1, b2, tau, lr) = (0.9, 0.99, 1e-3, 0.5f32);
        let adam = steps(ServerOptimizer::Adam { beta1: b1, beta2: b2, tau }, lr, &[&D]);
        let yogi = steps(ServerOptimizer::Yogi { beta1: b1, beta2: b2, tau }, lr, &[&D]);
        assert_eq!(adam, yogi);
        for (i, (&w, &d)) in adam.iter().zip(&D).enumerate() {
            let w0 = (i + 1) as f64;
            let d = f64::from(d);
            let closed = w0 + f64::from(lr) * (1.0 - b1) * d / ((1.0 - b2).sqrt() * d.abs() + tau);
            assert!(
                (f64::from(w) - closed).abs() <= 1e-5 * closed.abs().max(1.0),
                "{i}: {w} vs {closed}"
            );
        }
        // Adagrad's first step differs only in v = D^2 (not (1 - b2) D^2)
        let adagrad = steps(ServerOptimizer::Adagrad { beta1: b1, tau }, lr, &[&D]);
        let closed = 1.0 + f64::from(lr) * (1.0 - b1) * 0.5 / (0.5 + tau);
        assert!((f64::from(adagrad[0]) - closed).abs() < 1e-6, "{} vs {closed}", adagrad[0]);
    }

    #[test]
    fn adam_and_yogi_part_after_the_first_step() {
        let (b1, b2, tau) = (0.9, 0.99, 1e-3);
        let small: [f32; 4] = [0.01, 0.01, 0.01, 0.01];
        let adam = steps(ServerOptimizer::Adam { beta1: b1, beta2: b2, tau }, 1.0, &[&D, &small]);
        let yogi = steps(ServerOptimizer::Yogi { beta1: b1, beta2: b2, tau }, 1.0, &[&D, &small]);
        assert_ne!(adam, yogi, "v shrinks multiplicatively in Adam, additively in Yogi");
    }

    #[test]
    fn bad_hyper_parameters_name_their_key() {
        assert_eq!(ServerOptimizer::Momentum { beta: -0.1 }.invalid().unwrap().0, "server_beta1");
        assert_eq!(
            ServerOptimizer::Adam {
                beta1: 0.9,
                beta2: 1.0,
                tau: 1e-3
            }
            .invalid()
            .unwrap()
            .0,
            "server_beta2"
        );
        assert_eq!(
            ServerOptimizer::Yogi {
                beta1: 0.9,
                beta2: 0.99,
                tau: 0.0
            }
            .invalid()
            .unwrap()
            .0,
            "server_tau"
        );
        assert!(ServerOptimizer::Adagrad { beta1: 0.0, tau: 1e-3 }.invalid().is_none());
    }
}
