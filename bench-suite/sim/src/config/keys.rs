//! Every run-config key, declared once: its meaning, type, default, which runs read it, what it
//! may be, the section of docs/semantics.md that says what it does, and how it is resolved and
//! enters the cell id. Everything else about a key (the layer, the resolved config, merging, the
//! range checks, the ignored-key warnings, docs/config.md) is derived from this table.

use std::path::PathBuf;

use abs_policies::{
    ApplyKnob, Dispatch, KRounding, OptimizerName, PolicyName, PolicyParams, PolicySpec, RestartWhen, SaForm, ServerOptimizer,
    ThresholdForm,
};

use super::checks::Check;
use super::declare::{KeyDoc, Scope, run_keys};
use super::real::Real;
use crate::catalog::{Backend, DatasetName, Kernels, ModelName, SyntheticSpec};
use crate::engine::{AnalyticSpec, AvailabilitySpec, ComputeTimeSpec, EngineConfig, Granularity, KLoss, NetworkSpec};
use crate::partition::Partition;
use crate::population::{ClientSamples, Selection};
use crate::validation::{EvalSplit, Holdout};

/// The runs whose policy applies weighted deltas (and so a server optimizer).
fn applies_deltas(c: &RunConfig) -> bool {
    c.policy.knobs().apply == ApplyKnob::Deltas
}

/// Whether the run's server optimizer reads `key`.
fn optimizer_reads(c: &RunConfig, key: &str) -> bool {
    applies_deltas(c) && c.server_optimizer.reads().contains(&key)
}

impl RawConfig {
    /// The named policy's own defaults (its paper's K, S(s), server optimizer and step size) as a
    /// layer; empty for the paper's policies and knob tables.
    pub fn policy_defaults(policy: &PolicySpec) -> RawConfig {
        let PolicySpec::Named(name) = policy else {
            return RawConfig::default();
        };
        let d = name.defaults();
        RawConfig {
            k: d.k,
            sa_form: d.sa_form,
            server_optimizer: d.server_optimizer,
            server_lr: d.server_lr,
            ..RawConfig::default()
        }
    }

    /// The declared defaults with the named policy's own laid over them: what a key the config
    /// does not set resolves to.
    pub fn defaults_for(policy: &PolicySpec) -> RawConfig {
        let mut layer = RawConfig::defaults();
        layer.merge(RawConfig::policy_defaults(policy));
        layer
    }
}

/// The runs with a population of clients.
fn has_clients(c: &RunConfig) -> bool {
    c.clients.is_some()
}

/// The runs that read `workers`: all but a population with its own `concurrency` (there N is
/// `concurrency`, which otherwise defaults to `workers`).
pub(super) fn reads_workers(c: &RunConfig) -> bool {
    c.clients.is_none() || c.concurrency.is_none()
}

/// The runs that train a Burn model.
fn burn(c: &RunConfig) -> bool {
    c.model.is_burn()
}

/// The runs that train on a data set's images (Burn models and external learners).
fn images(c: &RunConfig) -> bool {
    c.model.reads_images()
}

run_keys! {
    keys {
    /// A named policy (`abs`, `adasync`, `k_async`, `fedbuff`, ...) or a knob table `{k, bound,
    /// weight, sync, normalise, apply, dispatch}`.
    policy: PolicySpec = PolicySpec::Named(PolicyName::Abs), Scope::All, Check::Described("a name or a knob table"), 7
        => PolicySpec;
    /// N, the number of workers (with `clients`, the default of `concurrency`).
    workers: u32 = PolicyParams::default().workers, Scope::Only("runs without both `clients` and `concurrency`", reads_workers),
        Check::Count, 1 => u32;
    /// The fixed K of fixed-K policies (required by them), in 1..=N.
    k: u32, Scope::Policy, Check::Described("1..=N"), 5 => Option<u32>;
    /// K in round 0 of adaptive policies, in 1..=N.
    k0: u32 = PolicyParams::default().k0, Scope::Policy, Check::Described("1..=N"), 5 => u32;
    /// zeta, the ABS threshold constant (> 0, or .inf for no bound).
    zeta: Real = Real(PolicyParams::default().zeta), Scope::Policy, Check::Described("a number > 0 or .inf"), 4 => Real;
    /// S, the fixed staleness bound of `bounded` (>= 1, or .inf), required by it.
    staleness_bound: Real, Scope::Policy, Check::Described("a number >= 1 or .inf"), 4 => Option<Real>;
    /// U, local SGD steps per job.
    local_steps: u32 = EngineConfig::default().local_steps, Scope::All, Check::Count, 10 => u32;
    /// Worker step size eta.
    lr: f64 = 0.1, Scope::All, Check::FinitePositive, 10 => f64;
    /// Server step size on the aggregated update.
    server_lr: f64 = f64::from(EngineConfig::default().server_lr), Scope::Only("policies that apply deltas", applies_deltas), Check::FinitePositive, 6 => f64;
    /// Mini-batch size B.
    batch_size: u32 = 32, Scope::All, Check::Count, 10 => u32;
    /// Root seed of every random stream.
    seed: u64 = 0, Scope::All, Check::Described("an integer >= 0"), 11 => u64;
    /// The learner: analytic (plain Rust), logreg, mlp, lenet or cnn (Burn), or external (an
    /// object the caller supplies, from Python; docs/extending.md).
    model: ModelName = ModelName::Lenet, Scope::All, Check::Described("`analytic`, `logreg`, `mlp`, `lenet`, `cnn`, `external`"), 10
        => ModelName;
    /// Where the samples come from: synthetic, cifar10, fashion_mnist, mnist, or folder (your own:
    /// the folder `data_dir` names, holding dataset.json and IDX files) (default: synthetic for
    /// model analytic, else fashion_mnist).
    dataset: DatasetName, Scope::All, Check::Described("`synthetic`, `cifar10`, `fashion_mnist`, `mnist`, `folder`"), 10
        => DatasetName;
    /// Where data set files are looked for (before $ABS_DATA_DIR and the system's folders); not
    /// part of the cell id (the data's digest is).
    data_dir: PathBuf, Scope::Only("real data sets", |c| c.dataset != DatasetName::Synthetic), Check::Described("a folder"), 10
        => Option<PathBuf>;
    /// How the training set is split among workers or clients: iid, `{dirichlet: {alpha: A}}`,
    /// or natural (each sample's own client, from a `dataset: folder` with client ids).
    partition: Partition = Partition::default(), Scope::All,
        Check::Described("`iid`, `{dirichlet: {alpha: 0.5}}` (alpha finite > 0) or `natural`"), 10 => Partition;
    /// The model of job compute times (docs/semantics.md, "9. Runtime models").
    compute_time: ComputeTimeSpec = ComputeTimeSpec::default(), Scope::All,
        Check::Described("a mapping with a `model`, e.g. `{model: gamma_cvb, mean: 1, v_task: 0.5, v_mach: 0.5}`, `{model: constant, value: 1}` or `{model: trace, path: times.csv}` (docs/semantics.md, \"9. Runtime models\")"),
        9 => ComputeTimeSpec;
    /// Whether a job's time is drawn once (job) or per local step (step).
    granularity: Granularity = Granularity::default(), Scope::All, Check::Described("`job`, `step`"), 9 => Granularity;
    /// Virtual seconds added to every job for its upload.
    upload_latency: f64 = EngineConfig::default().upload_latency, Scope::All, Check::FiniteNonNegative, 2 => f64;
    /// Virtual seconds added to every job for its download.
    download_latency: f64 = EngineConfig::default().download_latency, Scope::All, Check::FiniteNonNegative, 2 => f64;
    /// Communication time from model size and bandwidth (docs/semantics.md, "16. The network");
    /// absent: transfers take only their latencies.
    network: NetworkSpec, Scope::All,
        Check::Described("a mapping with a `bandwidth`, e.g. `{bandwidth: {model: constant, mbps: 100}}`, `{bandwidth: {model: cycle, mbps: [1000, 100]}, server_mbps: 1000}` (docs/semantics.md, \"16. The network\")"),
        16 => #[serde(default, skip_serializing_if = "Option::is_none")] Option<NetworkSpec>;
    /// Workers that leave and come back (docs/semantics.md, "17. Availability"); absent: every
    /// worker is always present.
    availability: AvailabilitySpec, Scope::All,
        Check::Described("a mapping with a `model`, e.g. `{model: two_state, mean_up: 60, mean_down: 20}`, `{model: trace, path: away.csv}` or, with `clients`, `{model: diurnal, on_hours: 9.6, center_h: 2, jitter_h: 2}` (a trace's rows are then absence patterns; docs/semantics.md, sections 17 and 18)"),
        17 => #[serde(default, skip_serializing_if = "Option::is_none")] Option<AvailabilitySpec>;
    /// M: a population of this many clients, of which `concurrency` train at once, one per slot
    /// (docs/semantics.md, "18. A population of clients"); absent: each worker is its own client.
    clients: u64, Scope::All, Check::Described("an integer in 1..=4294967295, at least `concurrency`"), 18
        => #[serde(default, skip_serializing_if = "Option::is_none")] Option<u64>;
    /// C: a population's slots, how many of its clients train at once; N in the policies'
    /// formulas. Default: `workers`.
    concurrency: u32, Scope::Only("runs with clients", has_clients), Check::Count, 18
        => #[serde(default, skip_serializing_if = "Option::is_none")] Option<u32>;
    /// How a free slot picks its client: `{rule: uniform}` (idle, present clients drawn uniformly)
    /// or `{rule: round_robin}` (in client order, every client a turn before any gets two), with
    /// `max_tries` clients looked at before the slot waits `retry_s` virtual seconds.
    selection: Selection = Selection::default(), Scope::Only("runs with clients", has_clients),
        Check::Described("a mapping, e.g. `{rule: uniform, max_tries: 100, retry_s: 60}` (rule `uniform` or `round_robin`)"), 18
        => #[serde(default, skip_serializing_if = "Option::is_none")] Option<Selection>;
    /// A population's clients' sample counts: lognormal with this median and log-sd (sigma 0:
    /// every client `median`); their label mix follows `partition` (with `partition: natural`, each
    /// client holds its own samples of the data instead).
    client_samples: ClientSamples = ClientSamples::default(), Scope::Only("runs with clients and a partition other than natural", |c| has_clients(c) && c.partition != Partition::Natural),
        Check::Described("a mapping, e.g. `{median: 20, sigma: 0.8}` (median >= 1, sigma in [0, 10])"), 18
        => #[serde(default, skip_serializing_if = "Option::is_none")] Option<ClientSamples>;
    /// p in K~ = K0 (F_0 / F_t)^p.
    k_exponent: f64 = PolicyParams::default().k_exponent, Scope::Policy, Check::Described("a finite number > 0"), 5 => f64;
    /// How K~ becomes an integer: ceil, floor or round.
    k_rounding: KRounding = PolicyParams::default().k_rounding, Scope::Policy, Check::Described("`ceil`, `floor`, `round`"), 5
        => KRounding;
    /// Whether K never decreases.
    k_monotone: bool = PolicyParams::default().k_monotone, Scope::Policy, Check::Described("true or false"), 5 => bool;
    /// Which loss estimate F_t drives the adaptive K: reported (the arrivals' mean) or eval.
    k_loss: KLoss = EngineConfig::default().k_loss, Scope::Policy, Check::Described("`reported`, `eval`"), 5 => KLoss;
    /// Rounds between K updates.
    k_update_every: u64 = EngineConfig::default().k_update_every, Scope::Policy, Check::AtLeastOne, 5 => u64;
    /// h(N, K) in tau_max = max(1, floor(zeta h(N, K))): n_over_k (N/K), one_over_k (1/K) or
    /// n_minus_k (N - K).
    threshold_form: ThresholdForm = PolicyParams::default().threshold_form, Scope::Policy,
        Check::Described("`n_over_k`, `one_over_k`, `n_minus_k`"), 4 => ThresholdForm;
    /// When a straggler restarts: greater (staleness > tau_max) or greater_or_equal.
    restart_when: RestartWhen = EngineConfig::default().restart_when, Scope::Policy,
        Check::Described("`greater`, `greater_or_equal`"), 4 => RestartWhen;
    /// S(s), the staleness function of staleness-aware policies (docs/semantics.md, "6.
    /// Aggregation and weighting"); some named policies have their own default.
    sa_form: SaForm = PolicyParams::default().sa_form, Scope::Policy,
        Check::Described("`inv`, `inv_plus_one`, `inv_sqrt_plus_one`, `constant`, `{polynomial: {a: A}}` (A >= 0), `{hinge: {a: A, b: B}}` (A, B >= 0), `delay_adaptive`"),
        6 => SaForm;
    /// FedAsync's mixing rate alpha: an arrival of staleness s moves the model a share alpha S(s)
    /// of the way to the client's (policies that mix).
    alpha: f64 = 0.6, Scope::Policy, Check::UnitInterval, 6
        => #[serde(default, skip_serializing_if = "Option::is_none")] Option<f64>;
    /// The server optimizer applied to the round's aggregated update (docs/semantics.md, "6.
    /// Aggregation and weighting"); some named policies have their own default.
    server_optimizer: OptimizerName = OptimizerName::Sgd, Scope::Only("policies that apply deltas", applies_deltas),
        Check::Described("`sgd`, `momentum`, `nesterov`, `adagrad`, `adam`, `yogi`"), 6
        => #[serde(default, skip_serializing_if = "OptimizerName::is_sgd")] OptimizerName;
    /// The server optimizer's first-moment decay (momentum's beta).
    server_beta1: f64 = ServerOptimizer::BETA1, Scope::Only("server optimizers other than sgd", |c| optimizer_reads(c, "server_beta1")),
        Check::Described("a number in [0, 1)"), 6 => #[serde(default, skip_serializing_if = "Option::is_none")] Option<f64>;
    /// The adaptive server optimizers' second-moment decay.
    server_beta2: f64 = ServerOptimizer::BETA2, Scope::Only("server optimizers adam and yogi", |c| optimizer_reads(c, "server_beta2")),
        Check::Described("a number in [0, 1)"), 6 => #[serde(default, skip_serializing_if = "Option::is_none")] Option<f64>;
    /// The adaptive server optimizers' tau in m / (sqrt(v) + tau).
    server_tau: f64 = ServerOptimizer::TAU, Scope::Only("server optimizers adagrad, adam and yogi", |c| optimizer_reads(c, "server_tau")),
        Check::FinitePositive, 6 => #[serde(default, skip_serializing_if = "Option::is_none")] Option<f64>;
    /// Scale each update's S(s) by its worker's or client's training-sample count over the
    /// round's mean (FedAvg's weighting, n_i / sum n_j, with the paper's normalisation and S = 1);
    /// policies that apply deltas.
    weight_by_samples: bool = false, Scope::Only("policies that apply deltas", applies_deltas), Check::Described("true or false"), 6
        => #[serde(default, skip_serializing_if = "std::ops::Not::not")] bool;
    /// Arrivals staler than this are dropped: uploaded and counted, never aggregated (FedBuff's
    /// option; policies that dispatch on arrival). Absent: every arrival is aggregated.
    max_staleness: u64, Scope::Only("policies that dispatch on arrival", |c| c.policy.knobs().dispatch == Dispatch::OnArrival),
        Check::Described("an integer >= 0"), 6 => #[serde(default, skip_serializing_if = "Option::is_none")] Option<u64>;
    /// Stop after this many rounds.
    max_rounds: u64 = EngineConfig::default().max_rounds, Scope::All, Check::AtLeastOne, 12 => u64;
    /// Stop before a round that would end after this many virtual seconds (.inf: never).
    max_time: Real = Real(EngineConfig::default().max_time), Scope::All, Check::PositiveOrInf, 12 => Real;
    /// Rounds between evaluations of the global model.
    eval_every: u64 = EngineConfig::default().eval_every, Scope::Only("runs without eval_interval", |c| c.eval_interval.is_none()),
        Check::AtLeastOne, 12 => u64;
    /// Evaluate by virtual time instead of rounds: after the first round ending at or after each
    /// multiple of this many seconds (so series with short and long rounds are measured at the same
    /// resolution). Absent: every `eval_every` rounds.
    eval_interval: f64, Scope::All, Check::FinitePositive, 12
        => #[serde(default, skip_serializing_if = "Option::is_none")] Option<f64>;
    /// Evaluate on a fixed, seeded subset of this many test samples (default: the whole test set).
    eval_samples: u32, Scope::Only("models that read images", images), Check::AtLeastOne, 10 => Option<u32>;
    /// Training samples held out of every shard and client as a validation split (a count, or a
    /// share of the training set): a fixed draw, the same for every seed (docs/semantics.md, "10.
    /// Data, partitions and local training"); 0: none. A tuned sweep sets it in every cell from
    /// `tune.validation`.
    holdout: Holdout = Holdout::default(), Scope::All,
        Check::Described("a count of training samples (a whole number, below the set's size) or a share of them in (0, 1)"), 10
        => #[serde(default, skip_serializing_if = "Holdout::is_none")] Holdout;
    /// What evaluations measure: `test` (the test set, or its `eval_samples` subset) or
    /// `validation` (the `holdout` samples; tuning cells evaluate there).
    evaluate_on: EvalSplit = EvalSplit::Test, Scope::All, Check::Described("`test`, `validation` (needs `holdout` > 0)"), 10
        => #[serde(default, skip_serializing_if = "EvalSplit::is_test")] EvalSplit;
    /// The test accuracy that `results` and `figures` measure time and comm to.
    target_accuracy: f64, Scope::All, Check::UnitInterval, 12 => Option<f64>;
    /// Stop when an evaluation reaches `target_accuracy`.
    stop_at_target: bool = EngineConfig::default().stop_at_target, Scope::All, Check::Described("true or false"), 12 => bool;
    /// Size of the `analytic` model's synthetic task (set only for model analytic, default
    /// `{dim: 20, train_samples: 8192, test_samples: 2048, separation: 1.5}`).
    analytic: AnalyticSpec, Scope::Only("model analytic", |c| c.model == ModelName::Analytic),
        Check::Described("a mapping, e.g. `{dim: 20, train_samples: 8192, test_samples: 2048, separation: 1.5}`"), 10
        => Option<AnalyticSpec>;
    /// Shape, size and seed of the `synthetic` image data set (set only for dataset synthetic with a
    /// Burn model, default `{shape: cifar10, train_samples: 10000, test_samples: 2000, seed: 0,
    /// signal_percent: 50}`).
    synthetic: SyntheticSpec, Scope::Only("dataset synthetic with a model that reads images", |c| images(c) && c.dataset == DatasetName::Synthetic),
        Check::Described("a mapping, e.g. `{shape: mnist, train_samples: 10000, test_samples: 2000, seed: 0, signal_percent: 50}`"), 10
        => Option<SyntheticSpec>;
    /// Burn backend: flex (CPU), wgpu, or auto.
    backend: Backend = Backend::default(), Scope::Only("Burn models", burn), Check::Described("`flex`, `wgpu`, `auto`"), 10
        => Backend;
    /// Train the jobs a round delivers together in lockstep (faster; equal to one-by-one training
    /// up to floating-point summation order).
    replica_batching: bool = false, Scope::Only("Burn models", burn), Check::Described("true or false"), 10
        => #[serde(default, skip_serializing_if = "std::ops::Not::not")] bool;
    /// Which kernels compute the convolution stages: native (this project's, on flex) or burn
    /// (Burn's own, the reference). Default: native, burn on backend wgpu.
    kernels: Kernels, Scope::Only("models lenet and cnn", |c| c.model.has_convolutions()),
        Check::Described("`native`, `burn`; not `native` with backend wgpu"), 10
        => #[serde(default, skip_serializing_if = "Option::is_none")] Option<Kernels>;

    }

    derived {
        /// The data set's content digest (`Dataset::digest` in abs-models), stamped by the binary
        /// from the files it finds before the id is taken, only where they are not the recorded
        /// release (docs/semantics.md, "Cell identity"). Left out of the canonical form when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data_digest: Option<String>,
        /// The content digest of each file the run reads besides its data set (a `compute_time`,
        /// `availability` or `network` trace), by the key that names it: stamped from the files
        /// before the id is taken, and taking the place of their paths in the id
        /// (`RunConfig::stamp_traces`; docs/semantics.md, "Cell identity"). Absent without traces.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trace_digests: Option<std::collections::BTreeMap<String, String>>,
        /// The native kernels' numerics revision (`catalog::NATIVE_KERNELS_REVISION`), set with
        /// `kernels: native`: a cell computed by another revision is another cell.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernels_revision: Option<u32>,
        /// The adaptive threshold's revision, set only where it changed results: `zeta: .inf` with
        /// `threshold_form: n_minus_k` gave a bound of 1 instead of none once K reached N (revision
        /// 2 fixed it), so such cells computed before are other cells.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        threshold_revision: Option<u32>,
        /// What the caller plugged in, by role (`learner` for `model: external`, `server_step`):
        /// each one's declared name and version, stamped before the id is taken, since code from
        /// outside cannot be hashed (docs/extending.md). Absent without them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extensions: Option<std::collections::BTreeMap<String, String>>,
    }
}
