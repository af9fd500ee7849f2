//! The config as written: every key optional, unknown keys refused, layers merged key by key.

use std::path::{Path, PathBuf};

use crate::catalog::{Backend, DatasetName, Kernels, ModelName, SyntheticSpec};
use crate::partition::Partition;
use abs_policies::{KRounding, PolicySpec, RestartWhen, SaForm, ThresholdForm};
use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::real::Real;
use crate::engine::{AnalyticSpec, ComputeTimeSpec, Granularity, KLoss};

macro_rules! raw_config {
    ($($(#[$doc:meta])* $key:ident : $ty:ty,)*) => {
        /// One layer of a run config (a file or a `--set`); absent keys are `None`.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct RawConfig {
            $($(#[$doc])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $key: Option<$ty>,)*
        }

        impl RawConfig {
            /// Every key a run config accepts, in the spec's order.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($key)),*];

            /// Lays `top` over `self`: each key set in `top` replaces the one here.
            pub fn merge(&mut self, top: RawConfig) {
                $(if top.$key.is_some() { self.$key = top.$key; })*
            }
        }
    };
}

raw_config! {
    /// A named policy or a table of the four knobs.
    policy: PolicySpec,
    /// N, the number of workers.
    workers: u32,
    /// The fixed K of fixed-K policies.
    k: u32,
    /// K in round 0 of adaptive policies.
    k0: u32,
    /// The ABS threshold constant.
    zeta: Real,
    /// S, the fixed staleness bound of `bounded`.
    staleness_bound: Real,
    /// U, local SGD steps per job.
    local_steps: u32,
    /// Worker step size eta.
    lr: f64,
    /// Server step size on the aggregated update.
    server_lr: f64,
    /// Mini-batch size B.
    batch_size: u32,
    /// Root seed of every random stream.
    seed: u64,
    model: ModelName,
    dataset: DatasetName,
    /// Where data set files are looked for.
    data_dir: PathBuf,
    partition: Partition,
    compute_time: ComputeTimeSpec,
    granularity: Granularity,
    /// Virtual seconds added to every job for its upload.
    upload_latency: f64,
    /// Virtual seconds added to every job for its download.
    download_latency: f64,
    /// p in K~ = K0 (F_0 / F_t)^p.
    k_exponent: f64,
    k_rounding: KRounding,
    k_monotone: bool,
    k_loss: KLoss,
    /// Rounds between K updates.
    k_update_every: u64,
    threshold_form: ThresholdForm,
    restart_when: RestartWhen,
    sa_form: SaForm,
    max_rounds: u64,
    /// Virtual seconds.
    max_time: Real,
    /// Rounds between evaluations of the global model.
    eval_every: u64,
    /// Evaluate on a fixed, seeded subset of this many test samples.
    eval_samples: u32,
    target_accuracy: f64,
    stop_at_target: bool,
    /// Size of the `analytic` model's synthetic task.
    analytic: AnalyticSpec,
    /// Shape, size and seed of the `synthetic` image data set.
    synthetic: SyntheticSpec,
    /// Burn backend: flex (CPU), wgpu, or auto.
    backend: Backend,
    /// Train the jobs a round delivers together in lockstep (faster; equal to one-by-one training
    /// up to floating-point summation order).
    replica_batching: bool,
    /// Which kernels compute lenet's and cnn's convolution stages: native (this project's, on
    /// flex) or burn (Burn's own, the reference).
    kernels: Kernels,
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
        let mut err = ConfigError::new(origin, key, explain_type_error(message, found));
        err.line = line;
        if err.message.contains("unknown field") {
            err.message.push_str(" (every key is listed in the README's config table)");
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
    fn set_values_are_yaml() {
        let l = parse_set("zeta=.inf").unwrap();
        assert_eq!(l.zeta, Some(Real(f64::INFINITY)));
        let l = parse_set("compute_time={model: constant, value: 2}").unwrap();
        assert_eq!(l.compute_time, Some(ComputeTimeSpec::Constant { value: 2.0 }));
    }
}
