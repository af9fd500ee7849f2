//! The resolved run config: every key set, every value checked, before any work starts.

use abs_policies::{BoundKnob, ThresholdForm};

use crate::catalog::{Backend, DatasetName, Kernels, ModelName, NATIVE_KERNELS_REVISION};

use super::declare::{Resolved, Scope};
use super::error::ConfigError;
use super::keys::{RawConfig, RunConfig};

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
        if let Some(policy) = given.policy.or(r.policy) {
            r.merge(RawConfig::policy_defaults(&policy));
        }
        r.merge(given);
        r.check_values()?;
        let model: ModelName = Resolved::resolved("model", r.model)?;
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
                format!("applies only to dataset synthetic with a model that reads images (model {model}, dataset {dataset})"),
            ));
        }
        let backend: Backend = Resolved::resolved("backend", r.backend)?;
        r.kernels = resolve_kernels(model, r.kernels, backend)?;
        r.dataset = Some(dataset);
        r.analytic = (model == ModelName::Analytic).then(|| r.analytic.unwrap_or_default());
        r.synthetic = burn_synthetic.then(|| r.synthetic.unwrap_or_default());
        let mut cfg = RunConfig::from_layer(r)?;
        cfg.kernels_revision = (cfg.kernels == Some(Kernels::Native)).then_some(NATIVE_KERNELS_REVISION);
        let unbounded_n_minus_k =
            cfg.policy.knobs().bound == BoundKnob::Adaptive && cfg.zeta.0 == f64::INFINITY && cfg.threshold_form == ThresholdForm::NMinusK;
        cfg.threshold_revision = unbounded_n_minus_k.then_some(2);
        cfg.check()?;
        Ok(cfg)
    }

    /// The keys set in `given` (the layers as written) that this run does not read, each with what
    /// ignores it ("policy adasync", "model analytic"). They are not refused: a warning names them,
    /// and they take their defaults in the resolved config, so they do not enter the cell id.
    pub fn ignored_keys(&self, given: &RawConfig) -> Vec<(&'static str, String)> {
        RawConfig::scopes()
            .into_iter()
            .filter(|(key, scope)| given.is_set(key) && !scope.reads(key, self))
            .map(|(key, scope)| {
                let by = match scope {
                    Scope::Policy => format!("policy {}", self.policy.label()),
                    Scope::Only(what, _) => format!(
                        "this run (model {} on dataset {}, policy {}): only {what} read it",
                        self.model,
                        self.dataset,
                        self.policy.label()
                    ),
                    Scope::All => "this run".to_string(),
                };
                (key, format!("{by} (left out of the cell id)"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Real;
    use crate::config::raw::parse_yaml;
    use crate::engine::{ComputeTimeSpec, EngineConfig};
    use abs_policies::{PolicyName, PolicyParams, PolicySpec};

    /// The keys declared as policy parameters.
    fn policy_keys() -> Vec<&'static str> {
        RawConfig::scopes()
            .into_iter()
            .filter(|(_, scope)| matches!(scope, Scope::Policy))
            .map(|(key, _)| key)
            .collect()
    }

    /// The policies and the config agree on which keys are policy parameters: every key a named
    /// policy reads is declared as one, and every one declared is read by some policy.
    #[test]
    fn the_policies_read_exactly_the_keys_declared_as_policy_parameters() {
        let declared = policy_keys();
        let mut read: Vec<&str> = PolicyName::ALL.into_iter().flat_map(|p| p.knobs().reads()).collect();
        read.sort_unstable();
        read.dedup();
        let mut sorted = declared.clone();
        sorted.sort_unstable();
        assert_eq!(read, sorted);
    }

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
            ("model: analytic\npolicy: fedasync\nalpha: 0\n", "alpha", "(0, 1]"),
            ("model: analytic\npolicy: fedasync\nalpha: 1.5\n", "alpha", "(0, 1]"),
            ("model: analytic\npolicy: fedavgm\nserver_beta1: -0.1\n", "server_beta1", "[0, 1)"),
            ("model: analytic\npolicy: fedadam\nserver_beta2: 1\n", "server_beta2", "[0, 1)"),
            ("model: analytic\npolicy: fedbuff\nworkers: 4\n", "k", "1..=4"),
            (
                "model: analytic\npolicy: fedbuff\nk: 2\nsa_form: {polynomial: {a: -1}}\n",
                "sa_form",
                ">= 0",
            ),
            (
                "model: analytic\npolicy: fedbuff\nk: 2\nsa_form: quadratic\n",
                "sa_form",
                "inv_sqrt_plus_one",
            ),
            ("model: analytic\nserver_optimizer: lamb\n", "server_optimizer", "yogi"),
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
    fn population_keys_enter_the_id_only_when_set_and_bad_ones_are_refused_by_name() {
        let plain = resolve("model: analytic\n").unwrap();
        let json = plain.canonical_json();
        for key in ["clients", "concurrency", "selection", "client_samples"] {
            assert!(!json.contains(key), "old ids stay valid: {key}");
        }
        let pop = resolve("model: analytic\nclients: 1000\nconcurrency: 20\n").unwrap();
        assert_eq!((pop.slots(), pop.policy_params().workers), (20, 20), "N is C");
        assert!(
            pop.canonical_json().contains("\"selection\""),
            "a population's defaults are in its id"
        );
        let spelled = resolve("model: analytic\nclients: 1000\nconcurrency: 20\nselection: {rule: uniform}\n").unwrap();
        assert_eq!(pop.hash(), spelled.hash());
        let rr = resolve("model: analytic\nclients: 1000\nconcurrency: 20\nselection: {rule: round_robin}\n").unwrap();
        assert_ne!(pop.hash(), rr.hash());
        // concurrency defaults to workers
        assert_eq!(resolve("model: analytic\nclients: 1000\nworkers: 7\n").unwrap().slots(), 7);
        for (yaml, key, needle) in [
            ("clients: 0\n", "clients", "1..=4294967295"),
            ("clients: 5000000000\n", "clients", "1..=4294967295"),
            ("clients: 10\nconcurrency: 20\n", "concurrency", "more than 10"),
            ("clients: 5\nworkers: 10\n", "workers", "more than 5"),
            ("availability: {model: diurnal}\n", "availability", "without `clients`"),
            (
                "clients: 100\navailability: {model: diurnal, on_hours: 0}\n",
                "availability.on_hours",
                "(0, 24]",
            ),
            (
                "clients: 100\navailability: {model: diurnal, on_hours: 12, jitter_h: 7}\n",
                "availability.jitter_h",
                "below 24",
            ),
            (
                "clients: 100\navailability: {model: two_state, mean_up: 1, mean_down: 1}\n",
                "availability",
                "diurnal",
            ),
            ("clients: 100\nselection: {max_tries: 0}\n", "selection.max_tries", "1..=1000000"),
            ("clients: 100\nselection: {retry_s: .inf}\n", "selection.retry_s", "finite"),
            ("clients: 100\nclient_samples: {median: 0.5}\n", "client_samples.median", "[1, 1e9]"),
            (
                "clients: 100\nnetwork: {bandwidth: {model: trace, path: links.csv}}\n",
                "network",
                "per worker",
            ),
            (
                "clients: 100\ncompute_time: {model: trace, path: t.csv}\n",
                "compute_time",
                "per worker",
            ),
        ] {
            let e = resolve(&format!("model: analytic\n{yaml}")).unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{yaml}: {e}");
            assert!(e.to_string().contains(needle), "{yaml}: {e}");
        }
        for (yaml, key, needle) in [
            ("clients: 100\nselection: {rule: best}\n", "selection", "round_robin"),
            ("clients: 100\nselection: {tries: 3}\n", "selection", "tries"),
            ("clients: 100\navailability: {model: diurnal, hours: 3}\n", "availability", "hours"),
        ] {
            let e = parse_yaml(&format!("model: analytic\n{yaml}"), "t.yaml").unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{yaml}: {e}");
            assert!(e.to_string().contains(needle), "{yaml}: {e}");
        }
    }

    /// With `clients` and `concurrency` both set, N is `concurrency` and the run never reads
    /// `workers`: a value set there is named as ignored, cannot change the records, and leaves the
    /// id. Where it is read (a population without `concurrency`, which defaults to it; no
    /// population) it stays in the id, and such cells keep the ids they had.
    #[test]
    fn workers_leaves_the_id_where_a_population_sets_its_concurrency() {
        use crate::engine::{AnalyticLearner, JobTimes, simulate};
        let pop = "model: analytic\nclients: 40\nconcurrency: 4\nanalytic: {dim: 4, train_samples: 400, test_samples: 50}\n\
                   max_rounds: 12\neval_every: 2\n";
        let plain = resolve(pop).unwrap();
        let records = |cfg: &RunConfig| {
            let seeds = crate::seeds::Seeds::new(cfg.seed);
            let engine = cfg.engine_config_with_system().unwrap();
            let mut times = JobTimes::new(&cfg.compute_time, cfg.granularity, cfg.local_steps, cfg.slots(), &seeds).unwrap();
            let mut learner = AnalyticLearner::new(&cfg.analytic.unwrap(), cfg.holders(), cfg.partition, cfg.lr, cfg.batch_size, seeds);
            simulate(&engine, &mut learner, &mut times).unwrap().digest()
        };
        let reference = records(&plain);
        for workers in [1, 3, 10, 500] {
            let layer = parse_yaml(&format!("{pop}workers: {workers}\n"), "t.yaml").unwrap();
            let unforgotten = RunConfig::resolve_inner(layer.clone()).unwrap();
            assert_eq!(records(&unforgotten), reference, "workers: {workers} changes no record");
            let c = RunConfig::resolve(layer.clone(), "t.yaml").unwrap();
            assert_eq!(c, plain, "workers: {workers} takes its default");
            assert_eq!(c.hash(), plain.hash(), "workers: {workers}");
            let ignored = c.ignored_keys(&layer);
            assert_eq!(ignored.iter().map(|(k, _)| *k).collect::<Vec<_>>(), ["workers"], "{ignored:?}");
            assert!(ignored[0].1.contains("left out of the cell id"), "{}", ignored[0].1);
        }
        // read where it gives N: without concurrency (its default), and without a population
        for base in ["model: analytic\nclients: 1000\n", "model: analytic\n"] {
            let id = |w: u32| resolve(&format!("{base}workers: {w}\n")).unwrap().hash();
            assert_ne!(id(7), id(8), "{base}");
            let layer = parse_yaml(&format!("{base}workers: 7\n"), "t.yaml").unwrap();
            assert!(
                RunConfig::resolve(layer.clone(), "t").unwrap().ignored_keys(&layer).is_empty(),
                "{base}"
            );
        }
        // ids taken before workers left the id of such cells: unchanged where it is read, and
        // where it was at its default
        for (yaml, id) in [
            ("model: analytic\nclients: 1000\nconcurrency: 20\n", "560b9a66939c20d6"),
            ("model: analytic\nclients: 1000\nworkers: 7\n", "151b58ca1cc037bc"),
            ("model: analytic\nworkers: 7\n", "29c1c63b3d7e978f"),
        ] {
            assert_eq!(resolve(yaml).unwrap().hash(), id, "{yaml}");
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
            ("zeta", "zeta: 0.5"),
            ("staleness_bound", "staleness_bound: 1"),
            ("k_exponent", "k_exponent: 2.0"),
            ("k_rounding", "k_rounding: floor"),
            ("k_monotone", "k_monotone: false"),
            ("k_loss", "k_loss: eval"),
            ("k_update_every", "k_update_every: 3"),
            ("threshold_form", "threshold_form: n_minus_k"),
            ("restart_when", "restart_when: greater_or_equal"),
            ("sa_form", "sa_form: inv_plus_one"),
            ("alpha", "alpha: 0.3"),
            ("server_optimizer", "server_optimizer: adam"),
            ("server_beta1", "server_beta1: 0.5"),
            ("server_beta2", "server_beta2: 0.5"),
            ("server_tau", "server_tau: 0.5"),
            ("max_staleness", "max_staleness: 0"),
            ("server_lr", "server_lr: 0.5"),
        ];
        let keys: Vec<&str> = changed.iter().map(|(k, _)| *k).collect();
        assert!(policy_keys().iter().all(|k| keys.contains(k)), "every policy parameter is tried");
        let scopes = RawConfig::scopes();
        let scope = |key: &str| scopes.iter().find(|(k, _)| *k == key).unwrap().1;
        let records = |cfg: &RunConfig| {
            let seeds = crate::seeds::Seeds::new(cfg.seed);
            let engine = cfg.engine_config_with_system().unwrap();
            let mut times = JobTimes::new(&cfg.compute_time, cfg.granularity, cfg.local_steps, cfg.workers, &seeds).unwrap();
            let mut learner = AnalyticLearner::new(&cfg.analytic.unwrap(), cfg.holders(), cfg.partition, cfg.lr, cfg.batch_size, seeds);
            simulate(&engine, &mut learner, &mut times).unwrap().digest()
        };
        for name in abs_policies::PolicyName::ALL {
            let policy = format!("{base}policy: {}\n", name.as_str());
            // fixed-K policies need k, bounded needs its bound
            let needs = "k: 2\nstaleness_bound: 2\n";
            let plain = RunConfig::resolve_inner(parse_yaml(&format!("{policy}{needs}"), "t").unwrap()).unwrap();
            let reference = records(&plain);
            for (key, line) in changed.iter().filter(|(k, _)| !scope(k).reads(k, &plain)) {
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

    /// `zeta: .inf` with `n_minus_k` bounded staleness at 1 once K reached N; fixed, such cells are
    /// other cells (and only they).
    #[test]
    fn the_fixed_unbounded_n_minus_k_threshold_is_another_cell() {
        let fixed = resolve("model: analytic\nzeta: .inf\nthreshold_form: n_minus_k\n").unwrap();
        assert_eq!(fixed.threshold_revision, Some(2));
        assert!(fixed.canonical_json().contains("threshold_revision"));
        let earlier = RunConfig {
            threshold_revision: None,
            ..fixed.clone()
        };
        assert_ne!(fixed.hash(), earlier.hash());
        for other in [
            "zeta: 2\nthreshold_form: n_minus_k\n",
            "zeta: .inf\n",
            "policy: adasync\nzeta: .inf\nthreshold_form: n_minus_k\n",
        ] {
            let c = resolve(&format!("model: analytic\n{other}")).unwrap();
            assert_eq!(c.threshold_revision, None, "{other}");
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
