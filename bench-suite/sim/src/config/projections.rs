//! What the parts of the simulation need from a resolved config: the policy, the engine's config
//! with its links and absences, the data source.

use abs_policies::{Policy, PolicyParams};

use super::keys::RunConfig;
use crate::catalog::DataSource;
use crate::engine::{Availability, EngineConfig, Links, TraceError};

impl RunConfig {
    /// The data set a Burn model trains on (`None` for the analytic learner).
    pub fn data_source(&self) -> Option<DataSource> {
        self.model
            .is_burn()
            .then(|| DataSource::of(self.dataset, self.synthetic.unwrap_or_default()))
    }

    /// The policy's parameters, gathered from their keys.
    pub fn policy_params(&self) -> PolicyParams {
        PolicyParams {
            workers: self.workers,
            k: self.k,
            k0: self.k0,
            k_exponent: self.k_exponent,
            k_rounding: self.k_rounding,
            k_monotone: self.k_monotone,
            zeta: self.zeta.0,
            threshold_form: self.threshold_form,
            staleness_bound: self.staleness_bound.map(|s| s.0),
            sa_form: self.sa_form,
            alpha: self.alpha,
            server_optimizer: self.server_optimizer,
            server_beta1: self.server_beta1,
            server_beta2: self.server_beta2,
            server_tau: self.server_tau,
            max_staleness: self.max_staleness,
        }
    }

    /// The resolved policy.
    pub fn policy(&self) -> Result<Policy, abs_policies::PolicyError> {
        Policy::resolve(self.policy.knobs(), &self.policy_params())
    }

    /// What the engine needs; the policy was checked by `resolve`.
    pub fn engine_config(&self) -> Result<EngineConfig, abs_policies::PolicyError> {
        Ok(EngineConfig {
            workers: self.workers,
            local_steps: self.local_steps,
            policy: self.policy()?,
            restart_when: self.restart_when,
            server_lr: self.server_lr as f32,
            k_loss: self.k_loss,
            k_update_every: self.k_update_every,
            eval_every: self.eval_every,
            eval_interval: self.eval_interval,
            max_rounds: self.max_rounds,
            max_time: self.max_time.0,
            target_accuracy: self.target_accuracy,
            stop_at_target: self.stop_at_target,
            upload_latency: self.upload_latency,
            download_latency: self.download_latency,
            network: None,
            availability: None,
        })
    }

    /// [`Self::engine_config`] with the links drawn and the absence traces read: everything the
    /// engine needs for this seed.
    pub fn engine_config_with_system(&self) -> Result<EngineConfig, SystemError> {
        let seeds = crate::seeds::Seeds::new(self.seed);
        let mut cfg = self.engine_config()?;
        cfg.network = self.network.as_ref().map(|n| Links::new(n, self.workers, &seeds)).transpose()?;
        cfg.availability = (self.availability.as_ref())
            .map(|a| Availability::new(a, self.workers, &seeds))
            .transpose()?;
        Ok(cfg)
    }
}

/// Why the engine's config of a resolved run could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SystemError {
    #[error(transparent)]
    Policy(#[from] abs_policies::PolicyError),
    /// A link or absence trace that cannot be used.
    #[error(transparent)]
    Trace(#[from] TraceError),
}
