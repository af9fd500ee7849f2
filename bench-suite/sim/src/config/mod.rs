//! Run configs: YAML layers (file, then `--set` overrides) resolved into a checked [`RunConfig`].

mod checks;
mod declare;
mod error;
mod identity;
mod keys;
mod loading;
mod projections;
mod raw;
mod real;
mod reference;
mod run_config;

pub use checks::Check;
pub use declare::{KeyDoc, Scope};
pub use error::ConfigError;
pub use identity::trace_digest;
pub use keys::{RawConfig, RunConfig};
pub use loading::{LoadedConfig, load_run_config, load_run_config_text};
pub use projections::SystemError;
pub use raw::{parse_file, parse_set, parse_yaml};
pub use real::Real;
pub use reference::reference_table;
