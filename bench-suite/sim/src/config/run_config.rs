//! The resolved run config: every key set, every value checked, before any work starts.

use std::path::PathBuf;

use crate::catalog::{Backend, DatasetName, Kernels, ModelName, NATIVE_KERNELS_REVISION, SyntheticSpec};
use crate::partition::Partition;
use abs_policies::{KRounding, PolicyKnobs, PolicySpec, RestartWhen, SaForm, ThresholdForm};
use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::raw::RawConfig;
use super::real::Real;
use crate::engine::{AnalyticSpec, AvailabilitySpec, ComputeTimeSpec, Granularity, KLoss, NetworkSpec};

/// A run config with every default filled in; the unit that is simulated, hashed and recorded.
/// Key meanings and defaults are declared once, in `config/raw.rs` (the table in docs/config.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub policy: PolicySpec,
    pub workers: u32,
    pub k: Option<u32>,
    pub k0: u32,
    pub zeta: Real,
    pub staleness_bound: Option<Real>,
    pub local_steps: u32,
    pub lr: f64,
    pub server_lr: f64,
    pub batch_size: u32,
    pub seed: u64,
    pub model: ModelName,
    pub dataset: DatasetName,
    /// Where to look for the data set's files; not part of the cell id (the data's digest is).
    pub data_dir: Option<PathBuf>,
    /// The data set's content digest (`Dataset::digest` in abs-models), stamped by the binary from
    /// the files it finds before the id is taken; absent for synthetic data. Not a key a config
    /// file sets. Left out of the canonical form when absent, so such cells keep their id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_digest: Option<String>,
    pub partition: Partition,
    pub compute_time: ComputeTimeSpec,
    pub granularity: Granularity,
    pub upload_latency: f64,
    pub download_latency: f64,
    /// Left out of the canonical form when absent, so cells without a network keep their id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkSpec>,
    /// Left out of the canonical form when absent, as `network`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<AvailabilitySpec>,
    pub k_exponent: f64,
    pub k_rounding: KRounding,
    pub k_monotone: bool,
    pub k_loss: KLoss,
    pub k_update_every: u64,
    pub threshold_form: ThresholdForm,
    pub restart_when: RestartWhen,
    pub sa_form: SaForm,
    pub max_rounds: u64,
    pub max_time: Real,
    pub eval_every: u64,
    pub eval_samples: Option<u32>,
    pub target_accuracy: Option<f64>,
    pub stop_at_target: bool,
    /// Set only for `model: analytic`.
    pub analytic: Option<AnalyticSpec>,
    /// Set only for `dataset: synthetic` with a Burn model.
    pub synthetic: Option<SyntheticSpec>,
    pub backend: Backend,
    /// Train a round's deliveries together (see `TrainOptions::replica_batching`). Left out of the
    /// canonical form when false, so configs written before the key existed keep their hash.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replica_batching: bool,
    /// Which kernels compute the convolution stages; set only for the models that have them
    /// (`lenet`, `cnn`), so the other models' cells keep their identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernels: Option<Kernels>,
    /// The native kernels' numerics revision (`catalog::NATIVE_KERNELS_REVISION`), set with
    /// `kernels: native`: a cell computed by another revision is another cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernels_revision: Option<u32>,
}

/// A key's value once the declared defaults are laid under the config: always set for a key
/// declared with a default.
fn declared<T>(key: &str, v: Option<T>) -> Result<T, (String, String)> {
    v.ok_or_else(|| (key.into(), "internal: the key was declared without a default".into()))
}

/// `kernels` for `model` on `backend`: only models with convolutions have it; native by default,
/// burn on wgpu (where native is refused).
fn resolve_kernels(model: ModelName, given: Option<Kernels>, backend: Backend) -> Result<Option<Kernels>, (String, String)> {
    if !model.has_convolutions() {
        return Ok(None);
    }
    Ok(Some(match (given, backend) {
        (Some(Kernels::Native), Backend::Wgpu) => {
            return Err((
                "kernels".into(),
                "value native is not allowed with backend wgpu: the native kernels run on flex; expected burn".into(),
            ));
        }
        (None, Backend::Wgpu) => Kernels::Burn,
        (k, _) => k.unwrap_or_default(),
    }))
}

impl RunConfig {
    /// Fills in defaults and checks every value; `origin` names the config in errors.
    /// Keys the run does not read take their defaults ([`Self::forget_unread_keys`]), so two
    /// configs that differ only there are one cell.
    pub fn resolve(raw: RawConfig, origin: &str) -> Result<RunConfig, ConfigError> {
        Self::resolve_inner(raw)
            .map(Self::forget_unread_keys)
            .map_err(|(key, message)| ConfigError::new(origin, Some(key), message))
    }

    fn resolve_inner(given: RawConfig) -> Result<RunConfig, (String, String)> {
        let mut r = RawConfig::defaults();
        r.merge(given);
        r.check_values()?;
        let model = declared("model", r.model)?;
        let dataset = r.dataset.unwrap_or(if model == ModelName::Analytic {
            DatasetName::Synthetic
        } else {
            DatasetName::FashionMnist
        });
        if r.analytic.is_some() && model != ModelName::Analytic {
            return Err((
                "analytic".into(),
                format!("applies only to model analytic, not {model}: remove it or set model: analytic"),
            ));
        }
        let burn_synthetic = dataset == DatasetName::Synthetic && model != ModelName::Analytic;
        if r.synthetic.is_some() && !burn_synthetic {
            return Err((
                "synthetic".into(),
                format!("applies only to dataset synthetic with a Burn model (model {model}, dataset {dataset})"),
            ));
        }
        let backend = declared("backend", r.backend)?;
        let kernels = resolve_kernels(model, r.kernels, backend)?;
        let workers = declared("workers", r.workers)?;
        let cfg = RunConfig {
            policy: declared("policy", r.policy)?,
            workers,
            k: r.k,
            k0: declared("k0", r.k0)?,
            zeta: declared("zeta", r.zeta)?,
            staleness_bound: r.staleness_bound,
            local_steps: declared("local_steps", r.local_steps)?,
            lr: declared("lr", r.lr)?,
            server_lr: declared("server_lr", r.server_lr)?,
            batch_size: declared("batch_size", r.batch_size)?,
            seed: declared("seed", r.seed)?,
            model,
            dataset,
            data_dir: r.data_dir,
            data_digest: None,
            partition: declared("partition", r.partition)?,
            compute_time: declared("compute_time", r.compute_time)?,
            granularity: declared("granularity", r.granularity)?,
            upload_latency: declared("upload_latency", r.upload_latency)?,
            download_latency: declared("download_latency", r.download_latency)?,
            network: r.network,
            availability: r.availability,
            k_exponent: declared("k_exponent", r.k_exponent)?,
            k_rounding: declared("k_rounding", r.k_rounding)?,
            k_monotone: declared("k_monotone", r.k_monotone)?,
            k_loss: declared("k_loss", r.k_loss)?,
            k_update_every: declared("k_update_every", r.k_update_every)?,
            threshold_form: declared("threshold_form", r.threshold_form)?,
            restart_when: declared("restart_when", r.restart_when)?,
            sa_form: declared("sa_form", r.sa_form)?,
            max_rounds: declared("max_rounds", r.max_rounds)?,
            max_time: declared("max_time", r.max_time)?,
            eval_every: declared("eval_every", r.eval_every)?,
            eval_samples: r.eval_samples,
            target_accuracy: r.target_accuracy,
            stop_at_target: declared("stop_at_target", r.stop_at_target)?,
            analytic: (model == ModelName::Analytic).then(|| r.analytic.unwrap_or_default()),
            synthetic: burn_synthetic.then(|| r.synthetic.unwrap_or_default()),
            backend,
            replica_batching: declared("replica_batching", r.replica_batching)?,
            kernels,
            kernels_revision: (kernels == Some(Kernels::Native)).then_some(NATIVE_KERNELS_REVISION),
        };
        cfg.check()?;
        Ok(cfg)
    }

    /// The keys set in `given` (the layers as written) that this run does not read, each with what
    /// ignores it ("policy adasync", "model analytic"). They are not refused: a warning names them,
    /// and they take their defaults in the resolved config, so they do not enter the cell id.
    pub fn ignored_keys(&self, given: &RawConfig) -> Vec<(&'static str, String)> {
        let reads = self.policy.knobs().reads();
        let by_policy = PolicyKnobs::PARAMETER_KEYS
            .into_iter()
            .filter(|k| given.is_set(k) && !reads.contains(k))
            .map(|k| (k, format!("policy {} (left out of the cell id)", self.policy.label())));
        let model_ignores = |k: &str| match k {
            "kernels" => !self.model.has_convolutions(),
            "eval_samples" | "backend" | "replica_batching" => !self.model.is_burn(),
            "data_dir" => self.dataset == DatasetName::Synthetic,
            _ => false,
        };
        let by_model = ["kernels", "eval_samples", "backend", "replica_batching", "data_dir"]
            .into_iter()
            .filter(|k| given.is_set(k) && model_ignores(k))
            .map(|k| {
                (
                    k,
                    format!("model {} on dataset {} (left out of the cell id)", self.model, self.dataset),
                )
            });
        by_policy.chain(by_model).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::raw::parse_yaml;
    use crate::engine::EngineConfig;
    use abs_policies::{PolicyName, PolicyParams};

    fn resolve(yaml: &str) -> Result<RunConfig, ConfigError> {
        RunConfig::resolve(parse_yaml(yaml, "t.yaml")?, "t.yaml").map_err(|e| e.locate(yaml))
    }

    #[test]
    fn defaults_follow_the_spec() {
        let c = resolve("model: analytic\n").unwrap();
        assert_eq!((c.workers, c.k0, c.local_steps, c.batch_size), (10, 2, 10, 32));
        assert_eq!((c.lr, c.zeta, c.k_exponent), (0.1, Real(1.0), 0.5));
        assert_eq!(c.policy, PolicySpec::Named(PolicyName::Abs));
        assert_eq!(c.dataset, DatasetName::Synthetic);
        assert_eq!(
            c.compute_time,
            ComputeTimeSpec::GammaCvb {
                mean: 1.0,
                v_task: 0.5,
                v_mach: 0.5
            }
        );
    }

    #[test]
    fn invalid_values_are_refused_with_key_value_and_range() {
        for (yaml, key, needle) in [
            ("model: analytic\nworkers: 4\nk0: 5\n", "k0", "1..=4"),
            ("model: analytic\nworkers: 0\n", "workers", "value 0"),
            ("model: analytic\nworkers: 4000000000\n", "workers", "1..=1000000"),
            ("model: analytic\nbatch_size: 2000000\n", "batch_size", "1..=1000000"),
            (
                "model: analytic\nanalytic: {dim: 100000, train_samples: 10000}\n",
                "analytic",
                "at most 200000000",
            ),
            ("model: analytic\nlocal_steps: 0\n", "local_steps", "1..=1000000"),
            ("model: analytic\nlr: -0.1\n", "lr", "-0.1"),
            (
                "model: analytic\npolicy: bounded\nk: 2\nstaleness_bound: 0\n",
                "staleness_bound",
                ">= 1",
            ),
            ("model: analytic\npolicy: k_async\n", "k", "required"),
            (
                "model: analytic\ncompute_time: {model: exponential, mean: -1}\n",
                "compute_time.mean",
                "> 0",
            ),
            ("model: analytic\ntarget_accuracy: 1.5\n", "target_accuracy", "(0, 1]"),
            ("model: analytic\ndataset: mnist\n", "dataset", "synthetic"),
            ("model: lenet\nanalytic: {dim: 3}\n", "analytic", "only to model analytic"),
            (
                "model: lenet\ndataset: mnist\nsynthetic: {seed: 3}\n",
                "synthetic",
                "only to dataset synthetic",
            ),
        ] {
            let e = resolve(yaml).unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{yaml}: {e}");
            assert!(e.to_string().contains(needle), "{yaml}: {e}");
        }
        let e = resolve("model: analytic\nworkers: 4\nk0: 5\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
    }

    #[test]
    fn hash_ignores_key_order_and_float_spelling() {
        let a = resolve("model: analytic\nworkers: 20\nlr: 0.1\nzeta: 1\n").unwrap();
        let b = resolve("zeta: 1.0\nlr: 1e-1\nworkers: 20\nmodel: analytic\n").unwrap();
        assert_eq!(a.hash(), b.hash());
        let c = resolve("model: analytic\nworkers: 20\nlr: 0.1\nzeta: 2\n").unwrap();
        assert_ne!(a.hash(), c.hash());
        assert_eq!(a.hash().len(), 16);
    }

    #[test]
    fn replica_batching_changes_the_hash_only_when_set() {
        let plain = resolve("model: lenet\ndataset: synthetic\n").unwrap();
        assert!(!plain.canonical_json().contains("replica_batching"), "old hashes stay valid");
        assert_eq!(
            plain.hash(),
            resolve("model: lenet\ndataset: synthetic\nreplica_batching: false\n")
                .unwrap()
                .hash()
        );
        let batched = resolve("model: lenet\ndataset: synthetic\nreplica_batching: true\n").unwrap();
        assert!(batched.replica_batching);
        assert_ne!(plain.hash(), batched.hash());
        let back: RunConfig = serde_json::from_str(&serde_json::to_string(&batched).unwrap()).unwrap();
        assert_eq!(back, batched);
    }

    #[test]
    fn network_and_availability_enter_the_id_only_when_set() {
        let plain = resolve("model: analytic\n").unwrap();
        let json = plain.canonical_json();
        assert!(!json.contains("network") && !json.contains("availability"), "old ids stay valid");
        let net = resolve("model: analytic\nnetwork: {bandwidth: {model: constant, mbps: 100}}\n").unwrap();
        let away = resolve("model: analytic\navailability: {model: two_state, mean_up: 10, mean_down: 2}\n").unwrap();
        assert_ne!(plain.hash(), net.hash());
        assert_ne!(plain.hash(), away.hash());
        assert_ne!(net.hash(), away.hash());
        // the defaults of the section are left out of its canonical form too
        let spelled =
            resolve("model: analytic\nnetwork: {bandwidth: {model: constant, mbps: 100}, upload_ratio: 1, compression: 1.0}\n").unwrap();
        assert_eq!(net.hash(), spelled.hash());
        for c in [&net, &away] {
            let back: RunConfig = serde_json::from_str(&serde_json::to_string(c).unwrap()).unwrap();
            assert_eq!(&back, c);
        }
    }

    #[test]
    fn bad_network_and_availability_values_name_their_field() {
        for (yaml, key, needle) in [
            (
                "network: {bandwidth: {model: constant, mbps: -1}}\n",
                "network.bandwidth.mbps",
                "-1",
            ),
            (
                "network: {bandwidth: {model: cycle, mbps: []}}\n",
                "network.bandwidth.mbps",
                "empty",
            ),
            (
                "network: {bandwidth: {model: gamma, mean_mbps: 10, cv: 0}}\n",
                "network.bandwidth.cv",
                "> 0",
            ),
            (
                "network: {bandwidth: {model: constant, mbps: 1}, server_mbps: 0}\n",
                "network.server_mbps",
                "> 0",
            ),
            (
                "network: {bandwidth: {model: constant, mbps: 1}, compression: .inf}\n",
                "network.compression",
                "finite",
            ),
            (
                "availability: {model: two_state, mean_up: 0, mean_down: 1}\n",
                "availability.mean_up",
                "> 0",
            ),
        ] {
            let e = resolve(&format!("model: analytic\n{yaml}")).unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{yaml}: {e}");
            assert!(e.to_string().contains(needle), "{yaml}: {e}");
        }
        for (yaml, key, needle) in [
            ("network: 100\n", "network", "bandwidth"),
            (
                "network: {bandwidth: {model: fibre, mbps: 1}}\n",
                "network",
                "constant, cycle, gamma, trace",
            ),
            ("availability: sometimes\n", "availability", "two_state"),
            (
                "network: {bandwidth: {model: constant, mbps: 1}, latency: 2}\n",
                "network",
                "latency",
            ),
        ] {
            let e = parse_yaml(&format!("model: analytic\n{yaml}"), "t.yaml").unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{yaml}: {e}");
            assert_eq!(e.line, Some(2), "{yaml}: {e}");
            assert!(e.to_string().contains(needle), "{yaml}: {e}");
        }
    }

    #[test]
    fn kernels_and_their_revision_identify_conv_model_cells_only() {
        let native = resolve("model: lenet\n").unwrap();
        assert_eq!(native.kernels, Some(Kernels::Native));
        assert_eq!(native.kernels_revision, Some(NATIVE_KERNELS_REVISION));
        let burn = resolve("model: lenet\nkernels: burn\n").unwrap();
        assert_eq!((burn.kernels, burn.kernels_revision), (Some(Kernels::Burn), None));
        assert_ne!(
            native.hash(),
            burn.hash(),
            "cells computed by different kernels are different cells"
        );
        let mut other_revision = native.clone();
        other_revision.kernels_revision = Some(NATIVE_KERNELS_REVISION + 1);
        assert_ne!(native.hash(), other_revision.hash());
        for yaml in ["model: analytic\n", "model: mlp\n", "model: logreg\nkernels: burn\n"] {
            let c = resolve(yaml).unwrap();
            assert_eq!((c.kernels, c.kernels_revision), (None, None), "{yaml}");
            assert!(
                !c.canonical_json().contains("kernels"),
                "{yaml}: hashes of models without convolutions stay as they were"
            );
        }
        assert_eq!(resolve("model: cnn\nbackend: wgpu\n").unwrap().kernels, Some(Kernels::Burn));
        let e = resolve("model: cnn\nbackend: wgpu\nkernels: native\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("kernels"), "{e}");
        let e = resolve("model: lenet\nkernels: fast\n").unwrap_err();
        assert!(e.to_string().contains("kernels"), "{e}");
    }

    #[test]
    fn declared_defaults_agree_with_the_default_impls() {
        let c = resolve("model: analytic\n").unwrap();
        assert_eq!(c.policy_params(), PolicyParams::default());
        assert_eq!(c.engine_config().unwrap(), EngineConfig::default());
        for doc in RawConfig::docs() {
            assert!(!doc.doc.is_empty(), "{} has no doc", doc.key);
        }
    }

    #[test]
    fn keys_the_run_does_not_read_are_named_and_left_out_of_the_cell_id() {
        let layer = parse_yaml("model: analytic\npolicy: adasync\nzeta: 2\nk: 3\nk0: 3\n", "t.yaml").unwrap();
        let c = RunConfig::resolve(layer.clone(), "t.yaml").unwrap();
        let keys = |c: &RunConfig, l: &RawConfig| c.ignored_keys(l).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(keys(&c, &layer), ["k", "zeta"]);
        assert_eq!(c.ignored_keys(&layer)[0].1, "policy adasync (left out of the cell id)");
        let mlp = parse_yaml("model: mlp\nkernels: burn\neval_samples: 100\n", "t.yaml").unwrap();
        let m = RunConfig::resolve(mlp.clone(), "t").unwrap();
        assert_eq!(keys(&m, &mlp), ["kernels"]);
        assert!(m.ignored_keys(&mlp)[0].1.contains("left out of the cell id"));
        assert!(!m.canonical_json().contains("kernels"));
        let plain = resolve("model: analytic\npolicy: adasync\nk0: 3\n").unwrap();
        assert_eq!(c, plain, "unread keys take their defaults");
        assert_eq!(c.hash(), plain.hash());
        let analytic = resolve("model: analytic\nbackend: wgpu\nreplica_batching: true\neval_samples: 7\n").unwrap();
        assert_eq!(
            analytic.hash(),
            resolve("model: analytic\n").unwrap().hash(),
            "no Burn model: no backend"
        );
        let abs = parse_yaml("model: analytic\nzeta: 2\n", "t.yaml").unwrap();
        assert!(RunConfig::resolve(abs.clone(), "t").unwrap().ignored_keys(&abs).is_empty());
    }

    /// Where a data set lies is not part of the id; what it holds (its digest, when stamped) is.
    #[test]
    fn data_folders_stay_out_of_the_id_and_digests_enter_it() {
        let here = resolve("model: lenet\n").unwrap();
        let there = resolve("model: lenet\ndata_dir: /somewhere/else\n").unwrap();
        assert_eq!(here.hash(), there.hash());
        assert!(there.canonical_json().contains("/somewhere/else"), "the manifest still says where");
        let stamped = RunConfig {
            data_digest: Some("0123456789abcdef".into()),
            ..here.clone()
        };
        assert_ne!(stamped.hash(), here.hash());
        assert!(!here.canonical_json().contains("data_digest"), "unstamped configs keep their form");
    }

    /// Setting a key the policy does not read (to a value other than its default) gives the same
    /// records, bit for bit, for every named policy: leaving it out of the id is safe.
    #[test]
    fn keys_a_policy_does_not_read_cannot_change_its_results() {
        use crate::engine::{AnalyticLearner, JobTimes, simulate};
        let base = "model: analytic\nworkers: 4\nanalytic: {dim: 4, train_samples: 200, test_samples: 50}\nmax_rounds: 12\neval_every: 2\n\
                    compute_time: {model: gamma_cvb, mean: 1.0, v_task: 0.5, v_mach: 0.5}\n";
        let changed = [
            ("k", "k: 3"),
            ("k0", "k0: 3"),
            ("k_exponent", "k_exponent: 2.0"),
            ("k_rounding", "k_rounding: floor"),
            ("k_monotone", "k_monotone: false"),
            ("k_loss", "k_loss: eval"),
            ("k_update_every", "k_update_every: 3"),
            ("zeta", "zeta: 0.5"),
            ("threshold_form", "threshold_form: n_minus_k"),
            ("staleness_bound", "staleness_bound: 1"),
            ("restart_when", "restart_when: greater_or_equal"),
            ("sa_form", "sa_form: inv_plus_one"),
        ];
        assert_eq!(changed.len(), PolicyKnobs::PARAMETER_KEYS.len());
        let records = |cfg: &RunConfig| {
            let seeds = crate::seeds::Seeds::new(cfg.seed);
            let engine = cfg.engine_config_with_system().unwrap();
            let mut times = JobTimes::new(&cfg.compute_time, cfg.granularity, cfg.local_steps, cfg.workers, &seeds).unwrap();
            let mut learner = AnalyticLearner::new(&cfg.analytic.unwrap(), cfg.workers, cfg.partition, cfg.lr, cfg.batch_size, seeds);
            simulate(&engine, &mut learner, &mut times).unwrap().digest()
        };
        for name in abs_policies::PolicyName::ALL {
            let policy = format!("{base}policy: {}\n", name.as_str());
            // fixed-K policies need k, bounded needs its bound
            let needs = "k: 2\nstaleness_bound: 2\n";
            let plain = RunConfig::resolve_inner(parse_yaml(&format!("{policy}{needs}"), "t").unwrap()).unwrap();
            let reads = plain.policy.knobs().reads();
            let reference = records(&plain);
            for (key, line) in changed.iter().filter(|(k, _)| !reads.contains(k)) {
                let yaml = format!(
                    "{policy}{}{line}\n",
                    needs
                        .lines()
                        .filter(|l| !l.starts_with(&format!("{key}:")))
                        .map(|l| format!("{l}\n"))
                        .collect::<String>()
                );
                let with = RunConfig::resolve_inner(parse_yaml(&yaml, "t").unwrap()).unwrap_or_else(|e| panic!("{yaml}: {e:?}"));
                assert_ne!(with, plain, "{line} changes the config before it is forgotten");
                assert_eq!(records(&with), reference, "{} with {line}", name.as_str());
            }
        }
    }

    /// The id of `policy: adasync` on the analytic learner, with every other key at its default.
    const ADASYNC_ANALYTIC: &str = "3cb27ff0f98a34f3";

    /// Ids of configs that were valid before the key table, as the binary of commit 3fc9779 gave them.
    #[test]
    fn cell_ids_of_earlier_configs_are_pinned() {
        for (yaml, id) in [
            ("model: analytic\n", "f6a76509d42aadb9"),
            // adasync does not read zeta: since keys a run does not read left the id, the id of
            // this config is that of adasync without it (it was 4b6ce11e411ecaf7)
            ("model: analytic\npolicy: adasync\nzeta: 2\n", ADASYNC_ANALYTIC),
            ("model: analytic\npolicy: adasync\n", ADASYNC_ANALYTIC),
            ("model: lenet\ndataset: synthetic\n", "4d573a0d0be0caa2"),
            (
                "model: cnn\nkernels: burn\npolicy: bounded\nk: 2\nstaleness_bound: 3\n",
                "e8054b93457a9f69",
            ),
        ] {
            assert_eq!(resolve(yaml).unwrap().hash(), id, "{yaml}");
        }
    }

    #[test]
    fn resolved_config_round_trips_through_json_and_yaml() {
        let a = resolve("model: analytic\npolicy: bounded\nk: 3\nstaleness_bound: .inf\nmax_time: 100\n").unwrap();
        let back: RunConfig = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(a, back);
        let yaml = serde_saphyr::to_string(&a).unwrap();
        let again = RunConfig::resolve(parse_yaml(&yaml, "round-trip").unwrap(), "round-trip").unwrap();
        assert_eq!(a, again);
    }
}
