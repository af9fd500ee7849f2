//! Loading a run config from a file, with `--set` overrides and command-line flags laid over it.

use super::error::ConfigError;
use super::keys::{RawConfig, RunConfig};

/// A resolved config and what its author should hear about it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedConfig {
    pub config: RunConfig,
    /// One line per key set but ignored by the chosen policy or model.
    pub warnings: Vec<String>,
}

/// Reads a config file, lays `--set` overrides over it, then `flags` (keys set by dedicated
/// command-line flags such as `--backend`), resolves the result, and stamps the content digests of
/// the traces it names (refusing one that cannot be read).
pub fn load_run_config(path: &std::path::Path, sets: &[String], flags: RawConfig) -> Result<LoadedConfig, ConfigError> {
    let origin = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| ConfigError::new(&origin, None, format!("cannot read the file: {e}")))?;
    load_run_config_text(&source, &origin, sets, flags)
}

/// [`load_run_config`] on YAML text that `origin` names in errors (a path, or e.g. "the config
/// dict" where a program built it): the same layers, checks, line numbers and warnings.
pub fn load_run_config_text(source: &str, origin: &str, sets: &[String], flags: RawConfig) -> Result<LoadedConfig, ConfigError> {
    let mut raw = super::raw::parse_yaml(source, origin)?;
    for s in sets {
        raw.merge(super::raw::parse_set(s)?);
    }
    let flagged: Vec<&str> = RawConfig::KEYS.iter().copied().filter(|k| flags.is_set(k)).collect();
    raw.merge(flags);
    let mut config = RunConfig::resolve(raw.clone(), origin).map_err(|e| {
        // a value from --set is reported as such, one from the file with its line
        match &e.key {
            Some(k) if sets.iter().any(|s| s.split('=').next().map(str::trim) == k.split('.').next()) => ConfigError {
                origin: format!("{origin} with --set"),
                ..e
            },
            Some(k) if flagged.contains(&k.as_str()) => ConfigError {
                origin: format!("{origin} with --{}", k.replace('_', "-")),
                ..e
            },
            _ => e.locate(source),
        }
    })?;
    // the traces' content enters the id: a run (or `repro`) reads them at once, so one that
    // cannot be read is refused here, naming the key and the file
    if let Err(e) = config.stamp_traces() {
        return Err(ConfigError::new(origin, Some(e.key().to_string()), e.to_string()).locate(source));
    }
    let warnings = config
        .ignored_keys(&raw)
        .into_iter()
        .map(|(k, by)| format!("{origin}: key `{k}` is ignored by {by}"))
        .collect();
    Ok(LoadedConfig { config, warnings })
}
