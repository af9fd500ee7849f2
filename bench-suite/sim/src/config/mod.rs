//! Run configs: YAML layers (file, then `--set` overrides) resolved into a checked [`RunConfig`].

mod error;
mod raw;
mod real;
mod run_config;

pub use error::ConfigError;
pub use raw::{RawConfig, parse_file, parse_set, parse_yaml};
pub use real::Real;
pub use run_config::{RunConfig, load_run_config};
