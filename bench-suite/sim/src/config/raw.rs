//! The config as written: every key optional, unknown keys refused, layers merged key by key.

use std::path::{Path, PathBuf};

use crate::catalog::{Backend, DatasetName, Kernels, ModelName, SyntheticSpec};
use crate::partition::Partition;
use abs_policies::{KRounding, PolicyName, PolicyParams, PolicySpec, RestartWhen, SaForm, ThresholdForm};
use serde::{Deserialize, Serialize};

use super::checks::{Check, Numeric};
use super::error::ConfigError;
use super::real::Real;
use crate::engine::{AnalyticSpec, AvailabilitySpec, ComputeTimeSpec, EngineConfig, Granularity, KLoss, NetworkSpec};

/// What a config key is for, for the reference table and the ignored-key warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every run reads it.
    All,
    /// A policy parameter: read only by the policies whose knobs use it (`PolicyKnobs::reads`).
    Policy,
    /// Read only where the text says (a model, a data set, a backend).
    Only(&'static str),
}

/// One config key as declared: the reference table in docs/config.md is generated from these.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyDoc {
    pub key: &'static str,
    /// The Rust type of its value.
    pub ty: &'static str,
    /// The default as JSON (valid YAML), or `None` where there is none or it depends on other keys.
    pub default: Option<String>,
    pub doc: String,
    pub scope: Scope,
    /// The range its value must lie in, when the key declares one.
    pub allowed: Option<&'static str>,
}

/// Declares every run-config key once: its doc, type, default, scope and range check. From this come the raw
/// layer (`RawConfig`, every key optional), its key list, merging, the default layer and the
/// reference table.
macro_rules! run_keys {
    ($($(#[doc = $doc:literal])* $key:ident : $ty:ty $(= $default:expr)?, $scope:expr, $check:expr;)*) => {
        /// One layer of a run config (a file or a `--set`); absent keys are `None`.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct RawConfig {
            $($(#[doc = $doc])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $key: Option<$ty>,)*
        }

        impl RawConfig {
            /// Every key a run config accepts, in declaration order.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($key)),*];

            /// Lays `top` over `self`: each key set in `top` replaces the one here.
            pub fn merge(&mut self, top: RawConfig) {
                $(if top.$key.is_some() { self.$key = top.$key; })*
            }

            /// Whether this layer sets `key`.
            pub fn is_set(&self, key: &str) -> bool {
                match key {
                    $(stringify!($key) => self.$key.is_some(),)*
                    _ => false,
                }
            }

            /// The layer of declared defaults (keys whose default depends on others are unset).
            pub fn defaults() -> RawConfig {
                RawConfig { $($key: None $(.or(Some($default)))?,)* }
            }

            /// Refuses the first value set outside its key's declared range.
            pub fn check_values(&self) -> Result<(), (String, String)> {
                $(if let Some(x) = self.$key.as_ref().and_then(Numeric::number) {
                    $check.apply(stringify!($key), x)?;
                })*
                Ok(())
            }

            /// The declaration of every key, in order.
            pub fn docs() -> Vec<KeyDoc> {
                let defaults = RawConfig::defaults();
                vec![$(KeyDoc {
                    key: stringify!($key),
                    ty: stringify!($ty),
                    default: defaults.$key.as_ref().and_then(|v| serde_json::to_string(v).ok()),
                    doc: [$($doc.trim()),*].join(" "),
                    scope: $scope,
                    allowed: $check.allowed(),
                },)*]
            }
        }
    };
}

run_keys! {
    /// A named policy (`abs`, `adasync`, `k_async`, ...) or a table of the four knobs `{k, bound,
    /// weight, sync}`.
    policy: PolicySpec = PolicySpec::Named(PolicyName::Abs), Scope::All, Check::None;
    /// N, the number of workers.
    workers: u32 = PolicyParams::default().workers, Scope::All, Check::Count;
    /// The fixed K of fixed-K policies (required by them), in 1..=N.
    k: u32, Scope::Policy, Check::None;
    /// K in round 0 of adaptive policies, in 1..=N.
    k0: u32 = PolicyParams::default().k0, Scope::Policy, Check::None;
    /// zeta, the ABS threshold constant (> 0, or .inf for no bound).
    zeta: Real = Real(PolicyParams::default().zeta), Scope::Policy, Check::None;
    /// S, the fixed staleness bound of `bounded` (>= 1, or .inf), required by it.
    staleness_bound: Real, Scope::Policy, Check::None;
    /// U, local SGD steps per job.
    local_steps: u32 = EngineConfig::default().local_steps, Scope::All, Check::Count;
    /// Worker step size eta.
    lr: f64 = 0.1, Scope::All, Check::FinitePositive;
    /// Server step size on the aggregated update.
    server_lr: f64 = f64::from(EngineConfig::default().server_lr), Scope::All, Check::FinitePositive;
    /// Mini-batch size B.
    batch_size: u32 = 32, Scope::All, Check::Count;
    /// Root seed of every random stream.
    seed: u64 = 0, Scope::All, Check::None;
    /// The learner: analytic (plain Rust), logreg, mlp, lenet or cnn (Burn).
    model: ModelName = ModelName::Lenet, Scope::All, Check::None;
    /// Where the samples come from: synthetic, cifar10, fashion_mnist or mnist (default:
    /// synthetic for model analytic, else fashion_mnist).
    dataset: DatasetName, Scope::All, Check::None;
    /// Where data set files are looked for (before $ABS_DATA_DIR and the system's folders).
    data_dir: PathBuf, Scope::Only("real data sets"), Check::None;
    /// How the training set is split among workers: iid, or `{dirichlet: {alpha: A}}`.
    partition: Partition = Partition::default(), Scope::All, Check::None;
    /// The model of job compute times (docs/semantics.md, "9. Runtime models").
    compute_time: ComputeTimeSpec = ComputeTimeSpec::default(), Scope::All, Check::None;
    /// Whether a job's time is drawn once (job) or per local step (step).
    granularity: Granularity = Granularity::default(), Scope::All, Check::None;
    /// Virtual seconds added to every job for its upload.
    upload_latency: f64 = EngineConfig::default().upload_latency, Scope::All, Check::FiniteNonNegative;
    /// Virtual seconds added to every job for its download.
    download_latency: f64 = EngineConfig::default().download_latency, Scope::All, Check::FiniteNonNegative;
    /// Communication time from model size and bandwidth (docs/semantics.md, "16. The network");
    /// absent: transfers take only their latencies.
    network: NetworkSpec, Scope::All, Check::None;
    /// Workers that leave and come back (docs/semantics.md, "17. Availability"); absent: every
    /// worker is always present.
    availability: AvailabilitySpec, Scope::All, Check::None;
    /// p in K~ = K0 (F_0 / F_t)^p.
    k_exponent: f64 = PolicyParams::default().k_exponent, Scope::Policy, Check::None;
    /// How K~ becomes an integer: ceil, floor or round.
    k_rounding: KRounding = PolicyParams::default().k_rounding, Scope::Policy, Check::None;
    /// Whether K never decreases.
    k_monotone: bool = PolicyParams::default().k_monotone, Scope::Policy, Check::None;
    /// Which loss estimate F_t drives the adaptive K: reported (the arrivals' mean) or eval.
    k_loss: KLoss = EngineConfig::default().k_loss, Scope::Policy, Check::None;
    /// Rounds between K updates.
    k_update_every: u64 = EngineConfig::default().k_update_every, Scope::Policy, Check::AtLeastOne;
    /// h(N, K) in tau_max = max(1, floor(zeta h(N, K))): n_over_k (N/K), one_over_k (1/K) or
    /// n_minus_k (N - K).
    threshold_form: ThresholdForm = PolicyParams::default().threshold_form, Scope::Policy, Check::None;
    /// When a straggler restarts: greater (staleness > tau_max) or greater_or_equal.
    restart_when: RestartWhen = EngineConfig::default().restart_when, Scope::Policy, Check::None;
    /// The staleness-aware weight: inv (1/s) or inv_plus_one (1/(s+1)).
    sa_form: SaForm = PolicyParams::default().sa_form, Scope::Policy, Check::None;
    /// Stop after this many rounds.
    max_rounds: u64 = EngineConfig::default().max_rounds, Scope::All, Check::AtLeastOne;
    /// Stop before a round that would end after this many virtual seconds (.inf: never).
    max_time: Real = Real(EngineConfig::default().max_time), Scope::All, Check::PositiveOrInf;
    /// Rounds between evaluations of the global model.
    eval_every: u64 = EngineConfig::default().eval_every, Scope::All, Check::AtLeastOne;
    /// Evaluate on a fixed, seeded subset of this many test samples (default: the whole test set).
    eval_samples: u32, Scope::Only("Burn models"), Check::AtLeastOne;
    /// The test accuracy that `results` and `figures` measure time and comm to.
    target_accuracy: f64, Scope::All, Check::UnitInterval;
    /// Stop when an evaluation reaches `target_accuracy`.
    stop_at_target: bool = EngineConfig::default().stop_at_target, Scope::All, Check::None;
    /// Size of the `analytic` model's synthetic task.
    analytic: AnalyticSpec, Scope::Only("model analytic"), Check::None;
    /// Shape, size and seed of the `synthetic` image data set.
    synthetic: SyntheticSpec, Scope::Only("dataset synthetic with a Burn model"), Check::None;
    /// Burn backend: flex (CPU), wgpu, or auto.
    backend: Backend = Backend::default(), Scope::Only("Burn models"), Check::None;
    /// Train the jobs a round delivers together in lockstep (faster; equal to one-by-one training
    /// up to floating-point summation order).
    replica_batching: bool = false, Scope::Only("Burn models"), Check::None;
    /// Which kernels compute the convolution stages: native (this project's, on flex) or burn
    /// (Burn's own, the reference). Default: native, burn on backend wgpu.
    kernels: Kernels, Scope::Only("models lenet and cnn"), Check::None;
}

/// Finds the top-level key set on 1-based `line` of `source`, if that line sets one.
fn key_on_line(source: &str, line: usize) -> Option<String> {
    let text = source.lines().nth(line.checked_sub(1)?)?;
    let key = text.split(':').next()?.trim();
    RawConfig::KEYS.contains(&key).then(|| key.to_string())
}

/// Splits a parser message `error: line 4 column 14: invalid u32` into (line, column, rest).
fn split_position(message: &str) -> (Option<usize>, Option<usize>, &str) {
    let m = message.lines().next().unwrap_or("invalid YAML");
    let m = m.strip_prefix("error: ").unwrap_or(m);
    let Some(rest) = m.strip_prefix("line ") else {
        return (None, None, m);
    };
    let (line, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let Some(rest) = rest.strip_prefix("column ") else {
        return (line.parse().ok(), None, rest);
    };
    let (col, rest) = rest.split_once(':').unwrap_or((rest, ""));
    (line.parse().ok(), col.trim().parse().ok(), rest.trim())
}

/// The shape a structured key takes, for errors where serde can only name a Rust type.
fn expected_shape(key: &str) -> Option<&'static str> {
    Some(match key {
        "compute_time" => {
            "a mapping with a `model`, e.g. `{model: gamma_cvb, mean: 1, v_task: 0.5, v_mach: 0.5}`, `{model: constant, value: 1}` or `{model: trace, path: times.csv}` (docs/semantics.md, \"9. Runtime models\")"
        }
        "partition" => "`iid` or `{dirichlet: {alpha: 0.5}}`",
        "analytic" => "a mapping, e.g. `{dim: 20, train_samples: 8192, test_samples: 2048, separation: 1.5}`",
        "synthetic" => "a mapping, e.g. `{shape: mnist, train_samples: 10000, test_samples: 2000, seed: 0, signal_percent: 50}`",
        "network" => {
            "a mapping with a `bandwidth`, e.g. `{bandwidth: {model: constant, mbps: 100}}`, `{bandwidth: {model: cycle, mbps: [1000, 100]}, server_mbps: 1000}` (docs/semantics.md, \"16. The network\")"
        }
        "availability" => {
            "a mapping with a `model`, e.g. `{model: two_state, mean_up: 60, mean_down: 20}` or `{model: trace, path: away.csv}` (docs/semantics.md, \"17. Availability\")"
        }
        _ => return None,
    })
}

/// Whether a serde message is about the value's shape (a string where a mapping belongs, ...).
fn is_shape_error(message: &str) -> bool {
    [
        "invalid type",
        "enum",
        "expected struct",
        "expected mapping",
        "expected scalar",
        "sequence",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// The YAML parser's wording where it is not the user's (a hint about its own options, a type
/// name), in the config's terms.
fn plain_parser_message(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return format!("`{key}` is set twice");
    }
    if message == "expected string scalar" {
        return "expected a single value (a number, a word or true/false), found a list or a mapping".to_string();
    }
    message.to_string()
}

/// Says in words what a bare `invalid u32` expected, and what was found there.
fn explain_type_error(message: &str, found: Option<&str>) -> String {
    let expected = match message.strip_prefix("invalid ") {
        Some("u32" | "u64") => "a non-negative integer",
        Some("f64" | "f32") => "a number (or .inf)",
        Some("bool") => "true or false",
        _ => return message.to_string(),
    };
    match found {
        Some(v) => format!("value `{v}` is not allowed: expected {expected}"),
        None => format!("expected {expected}"),
    }
}

/// Parses YAML text into one layer; `origin` names it in errors.
pub fn parse_yaml(source: &str, origin: &str) -> Result<RawConfig, ConfigError> {
    if source.trim().is_empty() {
        return Ok(RawConfig::default());
    }
    // `.inf` is meaningful ("no bound"), also where serde reads a value without knowing its type.
    let options = serde_saphyr::options! { non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough };
    serde_saphyr::from_str_with_options::<RawConfig>(source, options).map_err(|e| {
        let text = e.to_string();
        let (line, column, message) = split_position(&text);
        let key = line.and_then(|l| key_on_line(source, l));
        let found = match (line, column) {
            (Some(l), Some(c)) => source
                .lines()
                .nth(l - 1)
                .and_then(|t| t.get(c.saturating_sub(1)..))
                .map(|v| v.trim().trim_end_matches([',', '}']).trim()),
            _ => None,
        };
        let explained = match key.as_deref().and_then(|k| expected_shape(k).map(|shape| (k, shape))) {
            Some((k, shape)) if is_shape_error(message) => match found.map(|v| v.strip_prefix(&format!("{k}:")).map_or(v, str::trim)) {
                Some(v) => format!("value `{v}` is not allowed: expected {shape}"),
                None => format!("expected {shape}"),
            },
            _ => explain_type_error(&plain_parser_message(message), found),
        };
        let mut err = ConfigError::new(origin, key, explained);
        err.line = line;
        if err.message.contains("unknown field") {
            err.message.push_str(" (docs/config.md lists every key)");
        }
        err
    })
}

/// Reads a config file into one layer.
pub fn parse_file(path: &Path) -> Result<RawConfig, ConfigError> {
    let origin = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| ConfigError::new(&origin, None, format!("cannot read the file: {e}")))?;
    parse_yaml(&source, &origin)
}

/// Parses one `--set key=value` override; the value is YAML (`.inf`, `{model: constant, value: 1}`).
pub fn parse_set(assignment: &str) -> Result<RawConfig, ConfigError> {
    let origin = format!("--set {assignment}");
    let Some((key, value)) = assignment.split_once('=') else {
        return Err(ConfigError::new(origin, None, "expected key=value"));
    };
    let key = key.trim();
    if !RawConfig::KEYS.contains(&key) {
        return Err(ConfigError::new(
            origin,
            Some(key.to_string()),
            format!("unknown key, expected one of {}", RawConfig::KEYS.join(", ")),
        ));
    }
    // `key=null` gives an empty layer: it leaves the key as the layers below set it.
    parse_yaml(&format!("{key}: {value}\n"), &origin).map_err(|mut e| {
        e.line = None;
        e.key = Some(key.to_string());
        e
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_layers_win_key_by_key() {
        let mut base = parse_yaml("workers: 10\nlr: 0.1\n", "a.yaml").unwrap();
        base.merge(parse_yaml("workers: 20\n", "b.yaml").unwrap());
        base.merge(parse_set("policy=abs").unwrap());
        assert_eq!(base.workers, Some(20));
        assert_eq!(base.lr, Some(0.1));
        assert!(base.policy.is_some());
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = parse_yaml("workers: 10\nwokers: 3\n", "run.yaml").unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("run.yaml"), "{s}");
        assert!(s.contains("wokers"), "{s}");
        assert_eq!(e.line, Some(2), "{s}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let e = parse_yaml("workers: 10\nlocal_steps: ten\n", "run.yaml").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("local_steps"), "{e}");
        let e = parse_set("workers=-3").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("workers"), "{e}");
        assert!(e.to_string().starts_with("--set workers=-3"), "{e}");
        let e = parse_set("wokers=3").unwrap_err();
        assert!(e.to_string().contains("unknown key"), "{e}");
    }

    #[test]
    fn a_value_of_the_wrong_shape_says_the_shape_expected() {
        for (yaml, key, needle) in [
            ("compute_time: gamma\n", "compute_time", "{model: gamma_cvb"),
            ("partition: [iid]\n", "partition", "{dirichlet: {alpha: 0.5}}"),
            ("synthetic: 3\n", "synthetic", "train_samples"),
        ] {
            let e = parse_yaml(yaml, "run.yaml").unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{e}");
            assert!(e.to_string().contains(needle) && !e.to_string().contains("enum"), "{e}");
        }
    }

    #[test]
    fn set_values_are_yaml() {
        let l = parse_set("zeta=.inf").unwrap();
        assert_eq!(l.zeta, Some(Real(f64::INFINITY)));
        let l = parse_set("compute_time={model: constant, value: 2}").unwrap();
        assert_eq!(l.compute_time, Some(ComputeTimeSpec::Constant { value: 2.0 }));
    }
}
