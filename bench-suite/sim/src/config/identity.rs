//! What identifies a run (docs/semantics.md, "Cell identity"): keys it does not read at their
//! defaults, the data set's folder left out, and the canonical form hashed into the cell id.

use abs_policies::PolicyKnobs;
use sha2::{Digest, Sha256};

use super::raw::RawConfig;
use super::run_config::RunConfig;

impl RunConfig {
    /// This config with every key its policy or model does not read set to its declared default
    /// (the keys `ignored_keys` warns about): they cannot change a result, so they must not
    /// change the cell id. The data set's folder is handled by [`Self::hash`].
    pub fn forget_unread_keys(mut self) -> RunConfig {
        let d = RawConfig::defaults();
        let reads = self.policy.knobs().reads();
        for key in PolicyKnobs::PARAMETER_KEYS.into_iter().filter(|k| !reads.contains(k)) {
            match key {
                "k" => self.k = d.k,
                "k0" => self.k0 = d.k0.unwrap_or(self.k0),
                "k_exponent" => self.k_exponent = d.k_exponent.unwrap_or(self.k_exponent),
                "k_rounding" => self.k_rounding = d.k_rounding.unwrap_or(self.k_rounding),
                "k_monotone" => self.k_monotone = d.k_monotone.unwrap_or(self.k_monotone),
                "k_loss" => self.k_loss = d.k_loss.unwrap_or(self.k_loss),
                "k_update_every" => self.k_update_every = d.k_update_every.unwrap_or(self.k_update_every),
                "zeta" => self.zeta = d.zeta.unwrap_or(self.zeta),
                "threshold_form" => self.threshold_form = d.threshold_form.unwrap_or(self.threshold_form),
                "staleness_bound" => self.staleness_bound = d.staleness_bound,
                "restart_when" => self.restart_when = d.restart_when.unwrap_or(self.restart_when),
                "sa_form" => self.sa_form = d.sa_form.unwrap_or(self.sa_form),
                _ => {}
            }
        }
        if !self.model.is_burn() {
            self.backend = d.backend.unwrap_or(self.backend);
            self.eval_samples = d.eval_samples;
            self.replica_batching = d.replica_batching.unwrap_or(self.replica_batching);
        }
        self
    }

    /// The canonical form: JSON with keys sorted and floats in shortest round-trip form.
    pub fn canonical_json(&self) -> String {
        sorted(serde_json::to_value(self).unwrap_or(serde_json::Value::Null)).to_string()
    }

    /// What identifies the run: the canonical form with `data_dir` blanked (where the files lie
    /// cannot change a result; the data's digest, when stamped, says what they hold).
    pub fn identity_json(&self) -> String {
        let unplaced = RunConfig {
            data_dir: None,
            ..self.clone()
        };
        unplaced.canonical_json()
    }

    /// A stable id: the first 16 hex digits of SHA-256 of [`Self::identity_json`]
    /// (docs/semantics.md, "Cell identity").
    pub fn hash(&self) -> String {
        let digest = Sha256::digest(self.identity_json().as_bytes());
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

/// `v` with every object's keys in sorted order, whatever map type serde_json was built with.
fn sorted(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let mut entries: Vec<(String, serde_json::Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        serde_json::Value::Array(a) => serde_json::Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}
