//! What the parts of the simulation need from a resolved config: the policy, the engine's config
//! with its links and absences, the data source.

use abs_policies::{Policy, PolicyParams};

use super::keys::RunConfig;
use crate::catalog::DataSource;
use crate::engine::{Availability, AvailabilitySpec, EngineConfig, Links, TraceError, read_patterns};
use crate::population::{ClientTimes, Diurnal, Holders, Population, Schedule};
use std::sync::Arc;

impl RunConfig {
    /// The data set a Burn model trains on (`None` for the analytic learner).
    pub fn data_source(&self) -> Option<DataSource> {
        self.model
            .reads_images()
            .then(|| DataSource::of(self.dataset, self.synthetic.unwrap_or_default()))
    }

    /// N: the workers, or a population's slots (`concurrency`, default `workers`).
    pub fn slots(&self) -> u32 {
        match self.clients {
            Some(_) => self.concurrency.unwrap_or(self.workers),
            None => self.workers,
        }
    }

    /// Who holds the training data: the workers, or a population's clients.
    pub fn holders(&self) -> Holders {
        match self.clients {
            Some(_) => Holders::Clients(self.client_samples.unwrap_or_default().law()),
            None => Holders::Workers(self.workers),
        }
    }

    /// The policy's parameters, gathered from their keys.
    pub fn policy_params(&self) -> PolicyParams {
        PolicyParams {
            workers: self.slots(),
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
            workers: self.slots(),
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
            population: None,
            weight_by_samples: self.weight_by_samples,
        })
    }

    /// [`Self::engine_config`] with the links drawn and the absence traces read: everything the
    /// engine needs for this seed.
    pub fn engine_config_with_system(&self) -> Result<EngineConfig, SystemError> {
        let seeds = crate::seeds::Seeds::new(self.seed);
        let mut cfg = self.engine_config()?;
        cfg.network = match (&self.network, self.clients) {
            (None, _) => None,
            (Some(n), None) => Some(Links::new(n, self.workers, &seeds)?),
            (Some(n), Some(_)) => Some(Links::for_clients(n, &seeds)?),
        };
        // a population's availability is its clients' (diurnal), not the workers'
        cfg.availability = (self.availability.as_ref())
            .filter(|_| self.clients.is_none())
            .map(|a| Availability::new(a, self.workers, &seeds))
            .transpose()?;
        cfg.population = self.population(&seeds).map_err(|e| SystemError::Trace(TraceError::Model(e)))?;
        Ok(cfg)
    }

    /// The population the engine runs, where `clients` is set (the config checked its keys).
    fn population(&self, seeds: &crate::seeds::Seeds) -> Result<Option<Population>, String> {
        let Some(clients) = self.clients else {
            return Ok(None);
        };
        let times = ClientTimes::new(&self.compute_time, self.granularity, self.local_steps, seeds)?;
        let presence = match &self.availability {
            None => Schedule::Always,
            Some(AvailabilitySpec::Diurnal {
                on_hours,
                center_h,
                jitter_h,
            }) => Schedule::Diurnal(Diurnal {
                on_hours: *on_hours,
                center_h: *center_h,
                jitter_h: *jitter_h,
            }),
            Some(AvailabilitySpec::Trace { path }) => Schedule::Patterns(Arc::new(read_patterns(path).map_err(|e| e.to_string())?)),
            Some(AvailabilitySpec::TwoState { .. }) => return Err("availability model two_state describes workers, not clients".into()),
        };
        Ok(Some(Population {
            clients,
            selection: self.selection.unwrap_or_default(),
            presence,
            times,
            seeds: *seeds,
        }))
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
