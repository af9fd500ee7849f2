//! What identifies a run (docs/semantics.md, "Cell identity"): keys it does not read at their
//! defaults, the data set's folder left out, the files it reads by their content (trace digests)
//! instead of their paths, and the canonical form hashed into the cell id.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::keys::{RawConfig, RunConfig};
use crate::engine::{AvailabilitySpec, BandwidthSpec, ComputeTimeSpec, NetworkSpec, TraceError};

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

    /// What identifies the run: the canonical form with `data_dir` blanked, and the path of every
    /// trace whose digest is stamped (where the files lie cannot change a result; the digests say
    /// what they hold). A trace without a digest keeps its path: that config's id is the one it
    /// had before trace digests existed.
    pub fn identity_json(&self) -> String {
        let mut unplaced = RunConfig {
            data_dir: None,
            ..self.clone()
        };
        let stamped = self.trace_digests.clone().unwrap_or_default();
        for (key, path) in unplaced.trace_paths_mut() {
            if stamped.contains_key(key) {
                *path = PathBuf::new();
            }
        }
        unplaced.canonical_json()
    }

    /// Every file the run reads besides its data set, with the key that names it: a
    /// `compute_time` trace, a `network` link trace, an `availability` trace (absence patterns
    /// with `clients`).
    pub fn trace_files(&self) -> Vec<(&'static str, &Path)> {
        let mut files = Vec::new();
        if let ComputeTimeSpec::Trace { path } = &self.compute_time {
            files.push(("compute_time", path.as_path()));
        }
        if let Some(AvailabilitySpec::Trace { path }) = &self.availability {
            files.push(("availability", path.as_path()));
        }
        if let Some(NetworkSpec {
            bandwidth: BandwidthSpec::Trace { path },
            ..
        }) = &self.network
        {
            files.push(("network", path.as_path()));
        }
        files
    }

    /// [`Self::trace_files`]' paths, to blank them in the identity.
    fn trace_paths_mut(&mut self) -> Vec<(&'static str, &mut PathBuf)> {
        let mut paths = Vec::new();
        if let ComputeTimeSpec::Trace { path } = &mut self.compute_time {
            paths.push(("compute_time", path));
        }
        if let Some(AvailabilitySpec::Trace { path }) = &mut self.availability {
            paths.push(("availability", path));
        }
        if let Some(NetworkSpec {
            bandwidth: BandwidthSpec::Trace { path },
            ..
        }) = &mut self.network
        {
            paths.push(("network", path));
        }
        paths
    }

    /// Stamps `trace_digests` with the content digest of every file in [`Self::trace_files`]
    /// (none without traces): what must be done before the id is taken, so that a trace edited in
    /// place makes another cell and a trace moved elsewhere the same one. An error names the
    /// first file that cannot be read (the others are stamped).
    pub fn stamp_traces(&mut self) -> Result<(), TraceError> {
        self.stamp_traces_with(trace_digest)
    }

    /// [`Self::stamp_traces`] with the digest of a file (key, path) from `digest`, which may
    /// remember files it has read (a sweep's cells share their traces).
    pub fn stamp_traces_with(
        &mut self,
        mut digest: impl FnMut(&'static str, &Path) -> Result<String, TraceError>,
    ) -> Result<(), TraceError> {
        let mut stamped = BTreeMap::new();
        let mut first_error = None;
        for (key, path) in self.trace_files() {
            match digest(key, path) {
                Ok(d) => {
                    stamped.insert(key.to_string(), d);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        self.trace_digests = (!stamped.is_empty()).then_some(stamped);
        first_error.map_or(Ok(()), Err)
    }

    /// Refuses a trace whose file holds other content than its stamped digest says (edited since
    /// the id was taken: its results would be filed under the old content's cell). Traces without a
    /// digest (a config resolved without stamping, a manifest written before digests) are not
    /// checked.
    pub fn check_traces(&self) -> Result<(), TraceError> {
        let Some(stamped) = &self.trace_digests else {
            return Ok(());
        };
        for (key, path) in self.trace_files() {
            if let Some(recorded) = stamped.get(key) {
                let found = trace_digest(key, path)?;
                if &found != recorded {
                    return Err(TraceError::Changed {
                        key,
                        path: path.to_path_buf(),
                        recorded: recorded.clone(),
                        found,
                    });
                }
            }
        }
        Ok(())
    }

    /// A stable id: the first 16 hex digits of SHA-256 of [`Self::identity_json`]
    /// (docs/semantics.md, "Cell identity").
    pub fn hash(&self) -> String {
        let digest = Sha256::digest(self.identity_json().as_bytes());
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

/// The content digest of the trace file at `path` (of the config key `key`): the first 16 hex
/// digits of SHA-256 of its bytes, so a file edited in any way is another content (even where the
/// rows it gives are the same).
pub fn trace_digest(key: &'static str, path: &Path) -> Result<String, TraceError> {
    let read = |e: std::io::Error| TraceError::Read {
        key,
        path: path.to_path_buf(),
        source: csv::Error::from(e),
    };
    // a regular file only: a device or a pipe could give bytes forever
    let meta = std::fs::metadata(path).map_err(read)?;
    if !meta.is_file() {
        return Err(TraceError::Invalid {
            key,
            path: path.to_path_buf(),
            message: "is not a file".into(),
        });
    }
    let mut file = std::fs::File::open(path).map_err(read)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer).map_err(read)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect())
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{load_run_config, parse_yaml};
    use crate::engine::TraceError;

    /// A trace's key, a config line naming the file at a path, and two contents.
    type TraceCase = (&'static str, fn(&Path) -> String, &'static str, &'static str);

    /// Each file a run can read besides its data set.
    fn traces() -> [TraceCase; 3] {
        [
            (
                "compute_time",
                |p| format!("compute_time: {{model: trace, path: {}}}\n", p.display()),
                "worker,job,time\n0,0,1\n1,0,2\n",
                "worker,job,time\n0,0,1\n1,0,3\n",
            ),
            (
                "availability",
                |p| format!("availability: {{model: trace, path: {}}}\n", p.display()),
                "worker,from,to\n0,1,2\n",
                "worker,from,to\n0,1,3\n",
            ),
            (
                "network",
                |p| format!("network: {{bandwidth: {{model: trace, path: {}}}}}\n", p.display()),
                "worker,upload_mbps,download_mbps\n0,10,10\n1,10,10\n",
                "worker,upload_mbps,download_mbps\n0,10,10\n1,10,20\n",
            ),
        ]
    }

    /// The id of the one cell of a sweep whose base is `config`, and that of `config` loaded as a
    /// run config (what `run` and `repro` take).
    fn ids(dir: &Path, config: &str) -> (String, String) {
        let base = format!("model: analytic\nworkers: 2\n{config}");
        let indented: String = base.lines().map(|l| format!("  {l}\n")).collect();
        let cells = crate::sweep::expand(&format!("base:\n{indented}"), "s.yaml").unwrap();
        let file = dir.join("run.yaml");
        std::fs::write(&file, &base).unwrap();
        let loaded = load_run_config(&file, &[], RawConfig::default()).unwrap().config;
        (cells[0].id.clone(), loaded.hash())
    }

    /// Editing a trace in place gives a new id; the same content elsewhere keeps it; the
    /// manifest's config still says where the file lay, and which content it held.
    #[test]
    fn traces_enter_the_id_by_content_not_by_path() {
        let dir = tempfile::tempdir().unwrap();
        for (key, line, a, b) in traces() {
            let here = dir.path().join(format!("{key}.csv"));
            std::fs::write(&here, a).unwrap();
            let (sweep_a, run_a) = ids(dir.path(), &line(&here));
            assert_eq!(sweep_a, run_a, "{key}: sweep and run take one id");
            std::fs::write(&here, b).unwrap();
            let (sweep_b, run_b) = ids(dir.path(), &line(&here));
            assert_ne!(sweep_a, sweep_b, "{key}: a trace edited in place is another cell");
            assert_eq!(sweep_b, run_b);
            let there = dir.path().join("elsewhere").join(format!("{key}-renamed.csv"));
            std::fs::create_dir_all(there.parent().unwrap()).unwrap();
            std::fs::rename(&here, &there).unwrap();
            let (sweep_moved, run_moved) = ids(dir.path(), &line(&there));
            assert_eq!(
                (sweep_moved.as_str(), run_moved.as_str()),
                (sweep_b.as_str(), sweep_b.as_str()),
                "{key}: moved"
            );
            let mut c = RunConfig::resolve(
                parse_yaml(&format!("model: analytic\nworkers: 2\n{}", line(&there)), "t").unwrap(),
                "t",
            )
            .unwrap();
            c.stamp_traces().unwrap();
            let recorded = c.canonical_json();
            assert!(recorded.contains("renamed.csv") && recorded.contains("trace_digests"), "{recorded}");
            assert!(!c.identity_json().contains("renamed.csv"), "{}", c.identity_json());
            assert_eq!(c.hash(), sweep_b);
        }
    }

    /// Configs without traces have no digest, and keep their form; a trace that cannot be read
    /// when a sweep is expanded leaves its cell with the path in the id (the cell fails when it
    /// runs), and `run` refuses it at once, naming the file.
    #[test]
    fn unreadable_traces_keep_the_path_and_runs_refuse_them() {
        let mut plain = RunConfig::resolve(parse_yaml("model: analytic\n", "t").unwrap(), "t").unwrap();
        plain.stamp_traces().unwrap();
        assert_eq!(plain.trace_digests, None);
        assert!(!plain.canonical_json().contains("trace_digests"));
        let missing = |p: &str| format!("base: {{model: analytic, compute_time: {{model: trace, path: {p}}}}}\n");
        let a = crate::sweep::expand(&missing("/nonexistent/a.csv"), "s.yaml").unwrap();
        let b = crate::sweep::expand(&missing("/nonexistent/b.csv"), "s.yaml").unwrap();
        assert_eq!(a[0].config.trace_digests, None);
        assert_ne!(a[0].id, b[0].id, "unstamped, the path tells them apart");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("run.yaml");
        std::fs::write(&file, "model: analytic\ncompute_time: {model: trace, path: /nonexistent/a.csv}\n").unwrap();
        let e = load_run_config(&file, &[], RawConfig::default()).unwrap_err();
        assert_eq!((e.key.as_deref(), e.line), (Some("compute_time"), Some(2)), "{e}");
        assert!(e.to_string().contains("/nonexistent/a.csv"), "{e}");
    }

    /// A trace edited after its cell's id was taken is refused by the check a run makes before it
    /// reads the file (the digest names other content than the file holds now).
    #[test]
    fn a_trace_changed_since_its_id_was_taken_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for (key, line, a, b) in traces() {
            let path = dir.path().join(format!("{key}.csv"));
            std::fs::write(&path, a).unwrap();
            let mut c = RunConfig::resolve(
                parse_yaml(&format!("model: analytic\nworkers: 2\n{}", line(&path)), "t").unwrap(),
                "t",
            )
            .unwrap();
            assert!(c.check_traces().is_ok(), "unstamped: nothing to check");
            c.stamp_traces().unwrap();
            assert!(c.check_traces().is_ok());
            std::fs::write(&path, b).unwrap();
            let e = c.check_traces().unwrap_err();
            assert!(matches!(e, TraceError::Changed { .. }), "{key}: {e}");
            let text = e.to_string();
            assert!(
                text.contains(key) && text.contains(&path.display().to_string()) && text.contains("changed"),
                "{text}"
            );
        }
    }
}
