//! What a key's value may be, declared with the key (config/keys.rs) and applied to every value
//! set; then the cross-key checks of a resolved config.

use crate::catalog::{DatasetName, ModelName};
use crate::engine::{AvailabilitySpec, BandwidthSpec, ComputeTimeSpec, NetworkSpec};
use crate::partition::Partition;

/// What a key's value may be: a range check on a numeric key, or words for the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Any value of the type (or a check that needs other keys, done later).
    None,
    /// What is allowed, in words; checked where the value is read (parsing, cross-key checks).
    Described(&'static str),
    AtLeastOne,
    /// A count the run allocates per unit (workers, steps, samples): 1..=1,000,000, so that a
    /// typo cannot ask for billions.
    Count,
    FinitePositive,
    FiniteNonNegative,
    PositiveOrInf,
    UnitInterval,
}

impl Check {
    /// What is allowed, in words (`None` for [`Check::None`]).
    pub fn allowed(self) -> Option<&'static str> {
        Some(match self {
            Check::None => return None,
            Check::Described(what) => what,
            Check::AtLeastOne => "an integer >= 1",
            Check::Count => "an integer in 1..=1000000",
            Check::FinitePositive => "a finite number > 0",
            Check::FiniteNonNegative => "a finite number >= 0",
            Check::PositiveOrInf => "a number > 0 or .inf",
            Check::UnitInterval => "a number in (0, 1]",
        })
    }

    fn passes(self, v: f64) -> bool {
        match self {
            Check::None | Check::Described(_) => true,
            Check::AtLeastOne => v >= 1.0,
            Check::Count => (1.0..=1e6).contains(&v),
            Check::FinitePositive => v.is_finite() && v > 0.0,
            Check::FiniteNonNegative => v.is_finite() && v >= 0.0,
            Check::PositiveOrInf => v > 0.0,
            Check::UnitInterval => v > 0.0 && v <= 1.0,
        }
    }

    /// Refuses `v` for `key` unless it is allowed, saying what is.
    pub fn apply(self, key: &str, v: f64) -> Result<(), (String, String)> {
        match self.allowed() {
            Some(allowed) if !self.passes(v) => Err((key.into(), format!("value {v} is not allowed: expected {allowed}"))),
            _ => Ok(()),
        }
    }
}

/// Cross-key checks of a resolved config, after defaults and the per-key ranges.
impl super::keys::RunConfig {
    /// Cross-key checks, after defaults.
    pub(super) fn check(&self) -> Result<(), (String, String)> {
        if let Partition::Dirichlet { alpha } = self.partition
            && !(alpha.is_finite() && alpha > 0.0)
        {
            return Err((
                "partition".into(),
                format!("dirichlet alpha {alpha} is not allowed: expected a finite number > 0"),
            ));
        }
        self.holdout.validate().map_err(|e| ("holdout".to_string(), e))?;
        if self.evaluate_on == crate::validation::EvalSplit::Validation && self.holdout.is_none() {
            return Err((
                "evaluate_on".into(),
                "`validation` needs a validation split: set `holdout` to the training samples to hold out, e.g. 5000".into(),
            ));
        }
        self.compute_time.validate()?;
        if let Some(n) = &self.network {
            n.validate()?;
        }
        if let Some(a) = &self.availability {
            a.validate()?;
        }
        self.check_population()?;
        self.policy().map_err(|e| (e.key.to_string(), e.message))?;
        match self.model {
            ModelName::Analytic => {
                if self.dataset != DatasetName::Synthetic {
                    return Err((
                        "dataset".into(),
                        format!(
                            "value {} is not allowed with model analytic, which generates its own data: expected synthetic",
                            self.dataset
                        ),
                    ));
                }
                let a = self.analytic.unwrap_or_default();
                at_least_one("analytic.dim", a.dim)?;
                let values = u64::from(a.dim) * (u64::from(a.train_samples) + u64::from(a.test_samples));
                if values > 200_000_000 {
                    return Err((
                        "analytic".into(),
                        format!(
                            "dim x (train_samples + test_samples) = {values} values is not allowed: expected at most 200000000 (1.6 GB)"
                        ),
                    ));
                }
                at_least_one("analytic.test_samples", a.test_samples)?;
                finite_positive("analytic.separation", a.separation)?;
                one_sample_per_worker("analytic.train_samples", a.train_samples, self.workers_read())?;
            }
            _ => {
                if let Some(s) = self.synthetic {
                    if s.signal_percent > 100 {
                        return Err((
                            "synthetic.signal_percent".into(),
                            format!("value {} is not allowed: expected 0..=100", s.signal_percent),
                        ));
                    }
                    one_sample_per_worker("synthetic.train_samples", s.train_samples, self.workers_read())?;
                    at_least_one("synthetic.test_samples", s.test_samples)?;
                }
            }
        }
        Ok(())
    }
}

impl super::keys::RunConfig {
    /// A population's keys (docs/semantics.md, "18. A population of clients"), and the models that
    /// describe workers rather than clients.
    fn check_population(&self) -> Result<(), (String, String)> {
        let refuse = |key: &str, message: String| Err((key.to_string(), message));
        let Some(m) = self.clients else {
            if let Some(AvailabilitySpec::Diurnal { .. }) = self.availability {
                return refuse(
                    "availability",
                    "model diurnal is not allowed without `clients`: it describes a population's clients (set `clients: M`)".into(),
                );
            }
            return Ok(());
        };
        if !(1..=u64::from(u32::MAX)).contains(&m) {
            return refuse(
                "clients",
                format!("value {m} is not allowed: expected an integer in 1..=4294967295"),
            );
        }
        let c = self.slots();
        if u64::from(c) > m {
            return refuse(
                if self.concurrency.is_some() { "concurrency" } else { "workers" },
                format!(
                    "value {c} is not allowed: a population of {m} clients cannot keep more than {m} training at once (concurrency defaults to workers)"
                ),
            );
        }
        self.selection.unwrap_or_default().validate()?;
        self.client_samples.unwrap_or_default().validate()?;
        if let Some(AvailabilitySpec::TwoState { .. }) = &self.availability {
            return refuse(
                "availability",
                "model two_state describes workers, not clients: with `clients` use `{model: diurnal}` or a trace of absence patterns (or leave availability out)".into(),
            );
        }
        if let Some(NetworkSpec {
            bandwidth: BandwidthSpec::Trace { .. },
            ..
        }) = self.network
        {
            return refuse(
                "network",
                "bandwidth model trace gives links per worker, not per client: with `clients` use constant, cycle or gamma".into(),
            );
        }
        if let ComputeTimeSpec::Trace { .. } = self.compute_time {
            return refuse(
                "compute_time",
                "model trace gives times per worker, not per client: with `clients` use a drawn model (gamma_cvb, exponential, ...)".into(),
            );
        }
        Ok(())
    }
}

fn at_least_one<T: PartialOrd + From<u8> + std::fmt::Display>(key: &str, v: T) -> Result<T, (String, String)> {
    if v >= T::from(1) {
        Ok(v)
    } else {
        Err((key.into(), format!("value {v} is not allowed: expected an integer >= 1")))
    }
}

fn finite_positive(key: &str, v: f64) -> Result<f64, (String, String)> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err((key.into(), format!("value {v} is not allowed: expected a finite number > 0")))
    }
}

impl super::keys::RunConfig {
    /// `workers` where the run reads it; `None` for a population with its own `concurrency`,
    /// whose `workers` is not read (and is forgotten in the id), so it must not refuse a config.
    fn workers_read(&self) -> Option<u32> {
        super::keys::reads_workers(self).then_some(self.workers)
    }
}

/// Refuses fewer training samples than workers (some worker would get none), where `workers` is
/// read.
fn one_sample_per_worker(key: &str, samples: u32, workers: Option<u32>) -> Result<(), (String, String)> {
    let Some(workers) = workers else {
        return Ok(());
    };
    if samples >= workers {
        Ok(())
    } else {
        Err((
            key.into(),
            format!("value {samples} is not allowed: expected at least one sample per worker (>= {workers})"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_refuse_with_the_value_and_the_range() {
        assert!(Check::AtLeastOne.apply("workers", 1.0).is_ok());
        let (key, message) = Check::AtLeastOne.apply("workers", 0.0).unwrap_err();
        assert_eq!(
            (key.as_str(), message.as_str()),
            ("workers", "value 0 is not allowed: expected an integer >= 1")
        );
        assert!(Check::Count.apply("workers", 1e6).is_ok() && Check::Count.apply("workers", 1e6 + 1.0).is_err());
        assert!(Check::FinitePositive.apply("lr", f64::INFINITY).is_err());
        assert!(Check::PositiveOrInf.apply("max_time", f64::INFINITY).is_ok());
        assert!(Check::PositiveOrInf.apply("max_time", f64::NAN).is_err());
        assert!(Check::UnitInterval.apply("target_accuracy", 1.0).is_ok());
        assert!(Check::UnitInterval.apply("target_accuracy", 0.0).is_err());
        assert!(Check::None.apply("seed", -1.0).is_ok());
    }
}
