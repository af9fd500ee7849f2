//! The manifest: what was run, with what, and how it ended.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::version;
use abs_sim::RNG_ALGORITHM;
use abs_sim::config::RunConfig;
use abs_sim::engine::{HostTimes, RunRecords, StopReason};

/// Everything needed to tell what produced a result and to rerun it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub config: RunConfig,
    pub config_hash: String,
    pub seed: u64,
    pub policy: String,
    pub code_version: String,
    pub crates: BTreeMap<String, String>,
    pub rng: String,
    pub backend: String,
    /// The data set and where it was read from.
    pub data: String,
    /// Host seconds the simulation took (not part of any result).
    pub host_wall_time_s: f64,
    /// Where the simulation's host time went: training, evaluation, the engine (not part of any result).
    #[serde(default)]
    pub host: HostTimes,
    /// CPU seconds the run's threads spent (every thread of its rayon pool): its cost, which a
    /// busy or paused machine stretches in wall time but not here; absent where the platform has
    /// no thread CPU clock and in manifests written before it was recorded (not part of any result).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_cpu_s: Option<f64>,
    /// Seconds since the Unix epoch when the run finished.
    pub finished_at_unix_s: u64,
    pub stop_reason: StopReason,
    pub rounds: u64,
    pub virtual_time_s: f64,
    pub final_test_accuracy: f64,
    /// NaN when the run diverged: JSON writes it as null, read back as NaN.
    #[serde(deserialize_with = "nan_if_null")]
    pub final_test_loss: f64,
    /// Parameters of the model trained (what a transfer's size follows from); absent in
    /// manifests written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_parameters: Option<usize>,
}

/// A float that JSON holds as null where it was not finite (serde_json writes NaN and infinities
/// as null).
fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

impl Manifest {
    pub fn new(config: &RunConfig, records: &RunRecords, backend: &str, data: &str, host_wall_time_s: f64, host: HostTimes) -> Manifest {
        let last_eval = records.evals.last();
        Manifest {
            config: config.clone(),
            config_hash: config.hash(),
            seed: config.seed,
            policy: config.policy.label(),
            code_version: version::code_version(),
            crates: version::crate_versions(),
            rng: RNG_ALGORITHM.to_string(),
            backend: backend.to_string(),
            data: data.to_string(),
            host_wall_time_s,
            host,
            host_cpu_s: None,
            finished_at_unix_s: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            stop_reason: records.stop,
            rounds: records.rounds.len() as u64,
            virtual_time_s: records.rounds.last().map_or(0.0, |r| r.time),
            final_test_accuracy: last_eval.map_or(f64::NAN, |e| e.test_accuracy),
            final_test_loss: last_eval.map_or(f64::NAN, |e| e.test_loss),
            model_parameters: Some(records.params.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abs_sim::config::{RawConfig, RunConfig};
    use abs_sim::engine::EvalRecord;

    /// A diverged run's final loss is NaN, which JSON holds as null: its manifest must read back
    /// (it made a whole results folder unreadable).
    #[test]
    fn a_diverged_runs_manifest_reads_back() {
        let config = RunConfig::resolve(RawConfig::default(), "t").unwrap();
        let eval = EvalRecord {
            round: 3,
            time: 1.5,
            uploads: 3,
            downloads: 13,
            comm: 3,
            test_loss: f64::NAN,
            test_accuracy: 0.0,
        };
        let records = RunRecords {
            rounds: Vec::new(),
            evals: vec![eval],
            jobs: Vec::new(),
            stop: StopReason::Diverged,
            params: vec![0.0; 4],
        };
        let manifest = Manifest::new(&config, &records, "flex", "synthetic", 0.1, HostTimes::default());
        let json = serde_json::to_string(&manifest).unwrap();
        assert!(json.contains("\"final_test_loss\":null"), "{json}");
        let back: Manifest = serde_json::from_str(&json).unwrap();
        assert!(back.final_test_loss.is_nan());
        assert_eq!(back.stop_reason, StopReason::Diverged);
    }
}
