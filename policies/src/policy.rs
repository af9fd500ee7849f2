//! The policy table (docs/semantics.md, "7. Policies") and its resolution into concrete knobs.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::PolicyError;
use crate::k_schedule::{AdaptiveK, KRounding, KSchedule};
use crate::server::{ApplyKnob, Dispatch, Normalisation, OptimizerName, SaForm, ServerRule};
use crate::threshold::{StalenessBound, ThresholdForm};

/// The named policies (docs/semantics.md, "7. Policies").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyName {
    /// Synchronous local SGD: wait for all N, cancel nothing (U = 1 gives SSGD).
    LocalSgd,
    /// Wait for the fastest k, cancel the rest every round.
    KSync,
    /// Asynchronous SGD: K = 1, no bound.
    Async,
    /// Wait for the fastest k, stragglers keep computing.
    KAsync,
    /// k-async with staleness-aware weights sa(s)/K.
    SaAsync,
    /// k-async with a fixed staleness bound S (Fig. 1).
    Bounded,
    /// Adaptive K (Dutta et al.), no bound.
    Adasync,
    /// AdaSync with staleness-aware weights.
    SaAdasync,
    /// Adaptive bounded staleness: adaptive K and adaptive threshold.
    Abs,
    /// FedBuff (Nguyen et al. 2022): a buffer of K arrivals, each scaled by (1 + s)^(-1/2), summed
    /// and divided by K; workers start again on arrival.
    Fedbuff,
    /// FedAsync (Xie, Koyejo and Gupta 2019): every arrival mixed into the model at once,
    /// w <- (1 - alpha S(s)) w + alpha S(s) w_client.
    Fedasync,
    /// Local SGD rounds with server momentum (FedAvgM; Hsu et al. 2019).
    Fedavgm,
    /// Local SGD rounds with a server Adam step (FedAdam; Reddi et al. 2021).
    Fedadam,
    /// Local SGD rounds with a server Yogi step (FedYogi; Reddi et al. 2021).
    Fedyogi,
    /// Asynchronous SGD with the delay-adaptive step N / max(N, s) (Mishchenko et al. 2022;
    /// Koloskova et al. 2022).
    AsyncDelayAdaptive,
}

impl PolicyName {
    /// Every named policy, in table order.
    pub const ALL: [PolicyName; 15] = [
        PolicyName::LocalSgd,
        PolicyName::KSync,
        PolicyName::Async,
        PolicyName::KAsync,
        PolicyName::SaAsync,
        PolicyName::Bounded,
        PolicyName::Adasync,
        PolicyName::SaAdasync,
        PolicyName::Abs,
        PolicyName::Fedbuff,
        PolicyName::Fedasync,
        PolicyName::Fedavgm,
        PolicyName::Fedadam,
        PolicyName::Fedyogi,
        PolicyName::AsyncDelayAdaptive,
    ];

    /// The config spelling of this name.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyName::LocalSgd => "local_sgd",
            PolicyName::KSync => "k_sync",
            PolicyName::Async => "async",
            PolicyName::KAsync => "k_async",
            PolicyName::SaAsync => "sa_async",
            PolicyName::Bounded => "bounded",
            PolicyName::Adasync => "adasync",
            PolicyName::SaAdasync => "sa_adasync",
            PolicyName::Abs => "abs",
            PolicyName::Fedbuff => "fedbuff",
            PolicyName::Fedasync => "fedasync",
            PolicyName::Fedavgm => "fedavgm",
            PolicyName::Fedadam => "fedadam",
            PolicyName::Fedyogi => "fedyogi",
            PolicyName::AsyncDelayAdaptive => "async_delay_adaptive",
        }
    }

    /// The knobs this name stands for.
    pub fn knobs(self) -> PolicyKnobs {
        use BoundKnob as B;
        use KKnob as K;
        use WeightKnob as W;
        let (k, bound, weight, sync) = match self {
            PolicyName::LocalSgd => (K::All, B::None, W::Uniform, true),
            PolicyName::KSync => (K::Fixed, B::None, W::Uniform, true),
            PolicyName::Async => (K::One, B::None, W::Uniform, false),
            PolicyName::KAsync => (K::Fixed, B::None, W::Uniform, false),
            PolicyName::SaAsync => (K::Fixed, B::None, W::StalenessAware, false),
            PolicyName::Bounded => (K::Fixed, B::Fixed, W::Uniform, false),
            PolicyName::Adasync => (K::Adaptive, B::None, W::Uniform, false),
            PolicyName::SaAdasync => (K::Adaptive, B::None, W::StalenessAware, false),
            PolicyName::Abs => (K::Adaptive, B::Adaptive, W::Uniform, false),
            PolicyName::Fedavgm | PolicyName::Fedadam | PolicyName::Fedyogi => (K::All, B::None, W::Uniform, true),
            PolicyName::AsyncDelayAdaptive => (K::One, B::None, W::StalenessAware, false),
            PolicyName::Fedbuff => (K::Fixed, B::None, W::StalenessAware, false),
            PolicyName::Fedasync => (K::One, B::None, W::StalenessAware, false),
        };
        let knobs = PolicyKnobs {
            k,
            bound,
            weight,
            sync,
            ..PolicyKnobs::default()
        };
        match self {
            PolicyName::Fedbuff => PolicyKnobs {
                normalise: Normalisation::K,
                dispatch: Dispatch::OnArrival,
                ..knobs
            },
            // K = 1 closes the round at the arrival itself, so dispatch at the round's end sends
            // the worker the model its own update is already in, as FedAsync's server does
            PolicyName::Fedasync => PolicyKnobs {
                apply: ApplyKnob::Mix,
                ..knobs
            },
            _ => knobs,
        }
    }

    /// The parameters this policy sets otherwise than the key table (its paper's defaults); a
    /// config's own value wins.
    pub fn defaults(self) -> PolicyDefaults {
        let none = PolicyDefaults::default();
        match self {
            PolicyName::Fedbuff => PolicyDefaults {
                k: Some(10),
                sa_form: Some(SaForm::InvSqrtPlusOne),
                ..none
            },
            PolicyName::Fedasync => PolicyDefaults {
                sa_form: Some(SaForm::Polynomial { a: 0.5 }),
                ..none
            },
            PolicyName::Fedavgm => PolicyDefaults {
                server_optimizer: Some(OptimizerName::Momentum),
                ..none
            },
            PolicyName::Fedadam => PolicyDefaults {
                server_optimizer: Some(OptimizerName::Adam),
                server_lr: Some(0.01),
                ..none
            },
            PolicyName::Fedyogi => PolicyDefaults {
                server_optimizer: Some(OptimizerName::Yogi),
                server_lr: Some(0.01),
                ..none
            },
            PolicyName::AsyncDelayAdaptive => PolicyDefaults {
                sa_form: Some(SaForm::DelayAdaptive),
                ..none
            },
            _ => none,
        }
    }

    fn expected() -> String {
        PolicyName::ALL
            .iter()
            .map(|p| format!("`{}`", p.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for PolicyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PolicyName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PolicyName::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| {
            format!(
                "unknown policy `{s}`, expected one of {} or a knob table {{k, bound, weight, sync, normalise, apply, dispatch}}",
                PolicyName::expected()
            )
        })
    }
}

/// Which K schedule a policy uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KKnob {
    /// K = `k` every round.
    Fixed,
    /// The AdaSync/ABS rule from `k0`.
    Adaptive,
    /// K = N.
    All,
    /// K = 1.
    One,
}

/// Which staleness bound a policy applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundKnob {
    None,
    /// The constant `staleness_bound`.
    Fixed,
    /// The ABS threshold from `zeta`.
    Adaptive,
}

/// Which weighting a policy uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightKnob {
    Uniform,
    StalenessAware,
}

/// The knobs, as a user writes them in YAML to define a policy of their own.
/// The server-side knobs are left out of a table's canonical form at their defaults, so tables
/// written before they existed keep their cell ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyKnobs {
    pub k: KKnob,
    #[serde(default = "default_bound")]
    pub bound: BoundKnob,
    #[serde(default = "default_weight")]
    pub weight: WeightKnob,
    #[serde(default)]
    pub sync: bool,
    /// What the weights are divided by: `arrivals` (default), `k` or `sum_of_weights`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub normalise: Normalisation,
    /// What is applied: `deltas` (default) or `mix` (with `alpha`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub apply: ApplyKnob,
    /// When an arrived worker starts again: `at_round_end` (default) or `on_arrival`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub dispatch: Dispatch,
}

/// The knobs of a table that gives only `k`: no bound, uniform weights, asynchronous, the paper's
/// server step.
impl Default for PolicyKnobs {
    fn default() -> Self {
        PolicyKnobs {
            k: KKnob::Fixed,
            bound: default_bound(),
            weight: default_weight(),
            sync: false,
            normalise: Normalisation::default(),
            apply: ApplyKnob::default(),
            dispatch: Dispatch::default(),
        }
    }
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// A named policy's own defaults for parameters the key table declares otherwise (`None`: the
/// table's).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PolicyDefaults {
    pub k: Option<u32>,
    pub sa_form: Option<SaForm>,
    pub server_optimizer: Option<OptimizerName>,
    pub server_lr: Option<f64>,
}

impl PolicyKnobs {
    /// The policy parameters (config keys) that a policy with these knobs reads; it ignores the
    /// others. The config declares which keys are policy parameters, and checks that this names
    /// only those.
    pub fn reads(&self) -> Vec<&'static str> {
        let mut keys = match self.k {
            KKnob::Fixed => vec!["k"],
            KKnob::Adaptive => vec!["k0", "k_exponent", "k_rounding", "k_monotone", "k_loss", "k_update_every"],
            KKnob::All | KKnob::One => vec![],
        };
        match self.bound {
            BoundKnob::Fixed => keys.extend(["staleness_bound", "restart_when"]),
            BoundKnob::Adaptive => keys.extend(["zeta", "threshold_form", "restart_when"]),
            BoundKnob::None => {}
        }
        if self.weight == WeightKnob::StalenessAware {
            keys.push("sa_form");
        }
        if self.apply == ApplyKnob::Mix {
            keys.push("alpha");
        }
        keys
    }
}

fn default_bound() -> BoundKnob {
    BoundKnob::None
}
fn default_weight() -> WeightKnob {
    WeightKnob::Uniform
}

/// A policy as written in a config: a name from the table, or a knob table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicySpec {
    Named(PolicyName),
    Custom(PolicyKnobs),
}

impl PolicySpec {
    /// The knobs this spec stands for.
    pub fn knobs(&self) -> PolicyKnobs {
        match *self {
            PolicySpec::Named(n) => n.knobs(),
            PolicySpec::Custom(k) => k,
        }
    }

    /// A short label for tables and legends: the name, or `custom`.
    pub fn label(&self) -> String {
        match self {
            PolicySpec::Named(n) => n.as_str().to_string(),
            PolicySpec::Custom(_) => "custom".to_string(),
        }
    }
}

impl Serialize for PolicySpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PolicySpec::Named(n) => s.serialize_str(n.as_str()),
            PolicySpec::Custom(k) => k.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for PolicySpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SpecVisitor;
        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = PolicySpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "a policy name ({}) or a knob table {{k, bound, weight, sync, normalise, apply, dispatch}}",
                    PolicyName::expected()
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PolicySpec, E> {
                v.parse().map(PolicySpec::Named).map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PolicySpec, A::Error> {
                PolicyKnobs::deserialize(de::value::MapAccessDeserializer::new(map)).map(PolicySpec::Custom)
            }
        }
        d.deserialize_any(SpecVisitor)
    }
}

/// The parameters a policy's knobs draw on, with their config keys.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolicyParams {
    /// `workers`: N.
    pub workers: u32,
    /// `k`: the fixed K, needed by fixed-K policies.
    pub k: Option<u32>,
    /// `k0`: K in round 0 of adaptive policies.
    pub k0: u32,
    /// `k_exponent`: p in the adaptive rule.
    pub k_exponent: f64,
    /// `k_rounding`.
    pub k_rounding: KRounding,
    /// `k_monotone`.
    pub k_monotone: bool,
    /// `zeta`: the ABS threshold constant (`inf`: no bound).
    pub zeta: f64,
    /// `threshold_form`.
    pub threshold_form: ThresholdForm,
    /// `staleness_bound`: S for fixed-bound policies (`inf`: no bound).
    pub staleness_bound: Option<f64>,
    /// `sa_form`: S(s) of staleness-aware policies.
    pub sa_form: SaForm,
    /// `alpha`: the mixing rate of `apply: mix`.
    pub alpha: Option<f64>,
    /// `server_optimizer` and its `server_beta1`, `server_beta2`, `server_tau` (absent: Reddi
    /// et al.'s defaults).
    pub server_optimizer: OptimizerName,
    pub server_beta1: Option<f64>,
    pub server_beta2: Option<f64>,
    pub server_tau: Option<f64>,
    /// `max_staleness`: arrivals staler than it are dropped (dispatch on arrival only).
    pub max_staleness: Option<u64>,
}

/// The config table's defaults: 10 workers, no fixed K, k0 = 2, p = 0.5 with ceiling rounding and
/// a monotone K, zeta = 1 with the N/K threshold, no fixed bound, staleness-aware weights 1/max(s, 1).
impl Default for PolicyParams {
    fn default() -> Self {
        PolicyParams {
            workers: 10,
            k: None,
            k0: 2,
            k_exponent: 0.5,
            k_rounding: KRounding::default(),
            k_monotone: true,
            zeta: 1.0,
            threshold_form: ThresholdForm::default(),
            staleness_bound: None,
            sa_form: SaForm::default(),
            alpha: None,
            server_optimizer: OptimizerName::default(),
            server_beta1: None,
            server_beta2: None,
            server_tau: None,
            max_staleness: None,
        }
    }
}

/// A fully resolved policy: what the engine consults each round.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub k: KSchedule,
    pub bound: StalenessBound,
    /// How the round's arrivals become the next global model.
    pub server: ServerRule,
    /// Cancel every straggler at the end of each round (sync policies).
    pub sync: bool,
}

impl Policy {
    /// Resolves knobs against parameters, refusing any parameter the knobs need that is missing or
    /// out of range.
    pub fn resolve(knobs: PolicyKnobs, p: &PolicyParams) -> Result<Policy, PolicyError> {
        let n = p.workers;
        if n == 0 {
            return Err(PolicyError::new("workers", "value 0 is not allowed: expected an integer >= 1"));
        }
        let k = match knobs.k {
            KKnob::All => KSchedule::Fixed(n),
            KKnob::One => KSchedule::Fixed(1),
            KKnob::Fixed => {
                let k = p.k.ok_or_else(|| {
                    PolicyError::new(
                        "k",
                        format!("is required by a fixed-K policy: expected an integer in 1..={n} (workers)"),
                    )
                })?;
                if k == 0 || k > n {
                    return Err(PolicyError::new(
                        "k",
                        format!("value {k} is not allowed: expected an integer in 1..={n} (workers)"),
                    ));
                }
                KSchedule::Fixed(k)
            }
            KKnob::Adaptive => {
                if p.k0 == 0 || p.k0 > n {
                    return Err(PolicyError::new(
                        "k0",
                        format!("value {} is not allowed: expected an integer in 1..={n} (workers)", p.k0),
                    ));
                }
                if !(p.k_exponent.is_finite() && p.k_exponent > 0.0) {
                    return Err(PolicyError::new(
                        "k_exponent",
                        format!("value {} is not allowed: expected a finite number > 0", p.k_exponent),
                    ));
                }
                KSchedule::Adaptive(AdaptiveK {
                    k0: p.k0,
                    exponent: p.k_exponent,
                    rounding: p.k_rounding,
                    monotone: p.k_monotone,
                })
            }
        };
        let bound = match knobs.bound {
            BoundKnob::None => StalenessBound::None,
            BoundKnob::Fixed => {
                let s = p.staleness_bound.ok_or_else(|| {
                    PolicyError::new(
                        "staleness_bound",
                        "is required by a fixed-bound policy: expected a number >= 1 or .inf",
                    )
                })?;
                if s.is_nan() || s < 1.0 {
                    return Err(PolicyError::new(
                        "staleness_bound",
                        format!("value {s} is not allowed: expected a number >= 1 or .inf"),
                    ));
                }
                StalenessBound::Fixed(s)
            }
            BoundKnob::Adaptive => {
                if p.zeta.is_nan() || p.zeta <= 0.0 {
                    return Err(PolicyError::new(
                        "zeta",
                        format!("value {} is not allowed: expected a number > 0 or .inf", p.zeta),
                    ));
                }
                StalenessBound::Adaptive {
                    zeta: p.zeta,
                    form: p.threshold_form,
                }
            }
        };
        Ok(Policy {
            k,
            bound,
            server: ServerRule::resolve(&knobs, p)?,
            sync: knobs.sync,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> PolicyParams {
        PolicyParams {
            workers: 10,
            k: Some(3),
            k0: 2,
            k_exponent: 0.5,
            k_rounding: KRounding::Ceil,
            k_monotone: true,
            zeta: 1.0,
            threshold_form: ThresholdForm::NOverK,
            staleness_bound: Some(2.0),
            sa_form: SaForm::Inv,
            alpha: Some(0.5),
            ..PolicyParams::default()
        }
    }

    #[test]
    fn every_name_round_trips_and_resolves() {
        for name in PolicyName::ALL {
            assert_eq!(name.as_str().parse::<PolicyName>().unwrap(), name);
            let p = Policy::resolve(name.knobs(), &params()).unwrap();
            assert!(p.k.initial() >= 1 && p.k.initial() <= 10, "{name}");
        }
        let local = Policy::resolve(PolicyName::LocalSgd.knobs(), &params()).unwrap();
        assert_eq!(local.k, KSchedule::Fixed(10));
        assert!(local.sync);
        let abs = Policy::resolve(PolicyName::Abs.knobs(), &params()).unwrap();
        assert!(matches!(abs.bound, StalenessBound::Adaptive { zeta, .. } if zeta == 1.0));
    }

    #[test]
    fn each_policy_reads_the_parameters_its_knobs_use() {
        let reads = |n: PolicyName| n.knobs().reads();
        assert_eq!(reads(PolicyName::KAsync), ["k"]);
        assert_eq!(reads(PolicyName::LocalSgd), Vec::<&str>::new());
        assert!(reads(PolicyName::Abs).contains(&"zeta") && reads(PolicyName::Abs).contains(&"k0"));
        assert!(!reads(PolicyName::Adasync).contains(&"zeta"));
        assert_eq!(reads(PolicyName::SaAsync), ["k", "sa_form"]);
    }

    /// The field's methods, with their papers' defaults laid over the table's, as the config
    /// resolves them.
    #[test]
    fn the_fields_methods_resolve_to_their_rules() {
        use crate::server::{Apply, ServerOptimizer, StalenessFn};
        let with_defaults = |name: PolicyName| {
            let d = name.defaults();
            let p = PolicyParams {
                k: d.k.or(Some(3)),
                sa_form: d.sa_form.unwrap_or_default(),
                alpha: Some(0.6),
                server_optimizer: d.server_optimizer.unwrap_or_default(),
                ..params()
            };
            Policy::resolve(name.knobs(), &p).unwrap()
        };
        let fedbuff = with_defaults(PolicyName::Fedbuff);
        assert_eq!(fedbuff.k, KSchedule::Fixed(10));
        assert_eq!(fedbuff.server.staleness, StalenessFn::InvSqrtPlusOne);
        assert_eq!(
            (fedbuff.server.normalisation, fedbuff.server.dispatch),
            (Normalisation::K, Dispatch::OnArrival)
        );
        let fedasync = with_defaults(PolicyName::Fedasync);
        assert_eq!(fedasync.k, KSchedule::Fixed(1));
        assert_eq!(fedasync.server.apply, Apply::Mix { alpha: 0.6 });
        assert_eq!(fedasync.server.staleness, StalenessFn::Polynomial { a: 0.5 });
        let fedavgm = with_defaults(PolicyName::Fedavgm);
        assert!(fedavgm.sync && fedavgm.k == KSchedule::Fixed(10));
        assert_eq!(fedavgm.server.optimizer, ServerOptimizer::Momentum { beta: 0.9 });
        assert_eq!(
            with_defaults(PolicyName::Fedadam).server.optimizer,
            ServerOptimizer::Adam {
                beta1: 0.9,
                beta2: 0.99,
                tau: 1e-3
            }
        );
        let delay = with_defaults(PolicyName::AsyncDelayAdaptive);
        assert_eq!(delay.server.staleness, StalenessFn::DelayAdaptive { workers: 10 });
        assert_eq!(reads_of(PolicyName::Fedasync), ["sa_form", "alpha"]);
        // a knob table that mixes needs alpha, in (0, 1]
        let mix = PolicyKnobs {
            k: KKnob::One,
            apply: ApplyKnob::Mix,
            ..PolicyKnobs::default()
        };
        let p = PolicyParams { alpha: None, ..params() };
        assert_eq!(Policy::resolve(mix, &p).unwrap_err().key, "alpha");
        let p = PolicyParams {
            alpha: Some(1.5),
            ..params()
        };
        assert_eq!(Policy::resolve(mix, &p).unwrap_err().key, "alpha");
        // a normalisation the mix would ignore is refused, not dropped silently
        let normalised = PolicyKnobs {
            normalise: Normalisation::K,
            ..mix
        };
        let e = Policy::resolve(normalised, &params()).unwrap_err();
        assert!(e.key == "policy" && e.message.contains("normalise"), "{e:?}");
        let p = PolicyParams {
            server_optimizer: OptimizerName::Momentum,
            server_beta1: Some(-0.5),
            ..params()
        };
        assert_eq!(Policy::resolve(PolicyName::Abs.knobs(), &p).unwrap_err().key, "server_beta1");
    }

    fn reads_of(name: PolicyName) -> Vec<&'static str> {
        name.knobs().reads()
    }

    /// Knob tables written before the server knobs existed serialize as they did.
    #[test]
    fn a_table_at_the_server_knobs_defaults_serializes_as_before() {
        let table = PolicyKnobs {
            k: KKnob::Fixed,
            bound: BoundKnob::Fixed,
            ..PolicyKnobs::default()
        };
        assert_eq!(
            serde_json::to_string(&table).unwrap(),
            r#"{"k":"fixed","bound":"fixed","weight":"uniform","sync":false}"#
        );
    }

    #[test]
    fn unknown_name_lists_the_allowed_ones() {
        let e = "fedavg".parse::<PolicyName>().unwrap_err();
        assert!(e.contains("`fedavg`") && e.contains("`abs`") && e.contains("`local_sgd`"), "{e}");
    }

    #[test]
    fn bad_parameters_name_their_key() {
        let mut p = params();
        p.k0 = 11;
        assert_eq!(Policy::resolve(PolicyName::Abs.knobs(), &p).unwrap_err().key, "k0");
        let mut p = params();
        p.k = None;
        assert_eq!(Policy::resolve(PolicyName::KAsync.knobs(), &p).unwrap_err().key, "k");
        let mut p = params();
        p.staleness_bound = Some(0.0);
        assert_eq!(Policy::resolve(PolicyName::Bounded.knobs(), &p).unwrap_err().key, "staleness_bound");
        let mut p = params();
        p.zeta = 0.0;
        assert_eq!(Policy::resolve(PolicyName::Abs.knobs(), &p).unwrap_err().key, "zeta");
        let mut p = params();
        p.workers = 0;
        assert_eq!(Policy::resolve(PolicyName::Abs.knobs(), &p).unwrap_err().key, "workers");
        // a fixed-K policy does not care about k0
        let mut p = params();
        p.k0 = 99;
        assert!(Policy::resolve(PolicyName::KAsync.knobs(), &p).is_ok());
    }
}
