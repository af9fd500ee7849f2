//! What identifies a run (docs/semantics.md, "Cell identity"): keys it does not read at their
//! defaults, the data set's folder left out, and the canonical form hashed into the cell id.

use sha2::{Digest, Sha256};

use super::keys::{RawConfig, RunConfig};

impl RunConfig {
    /// This config with every key it does not read (the keys `ignored_keys` warns about: a
    /// policy parameter its policy ignores, a model key its model ignores) absent, or at its
    /// default where it always has a value: they cannot change a result, so they must not change
    /// the cell id. The data set's folder is handled by [`Self::hash`].
    pub fn forget_unread_keys(mut self) -> RunConfig {
        let defaults = RawConfig::defaults_for(&self.policy);
        for (key, scope) in RawConfig::scopes() {
            if !scope.reads(key, &self) {
                self.forget(key, &defaults);
            }
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
