//! Run configs: YAML layers (file, then `--set` overrides) resolved into a checked [`RunConfig`].

mod checks;
mod error;
mod identity;
mod loading;
mod projections;
mod raw;
mod real;
mod reference;
mod run_config;

pub use checks::Check;
pub use error::ConfigError;
pub use loading::{LoadedConfig, load_run_config};
pub use projections::SystemError;
pub use raw::{KeyDoc, RawConfig, Scope, parse_file, parse_set, parse_yaml};
pub use real::Real;
pub use reference::reference_table;
pub use run_config::RunConfig;
