//! How a run-config key is declared (`run_keys!`), and what one declaration gives: the layer as
//! written ([`super::RawConfig`]), the resolved config ([`super::RunConfig`]), merging, defaults,
//! range checks, which runs read the key, and the reference table (docs/config.md).

use std::any::Any;

use super::keys::RunConfig;
use super::real::Real;

/// Which runs read a config key: the ignored-key warnings, the cell identity (a key a run does not
/// read takes its default) and the reference table come from it.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// Every run reads it.
    All,
    /// A policy parameter: read only by the policies whose knobs use it (`PolicyKnobs::reads`).
    Policy,
    /// Read only by the runs the text names (a model, a data set, a backend), which the predicate
    /// recognises.
    Only(&'static str, fn(&RunConfig) -> bool),
}

impl Scope {
    /// Whether the run `config` reads the key `key` of this scope.
    pub fn reads(self, key: &str, config: &RunConfig) -> bool {
        match self {
            Scope::All => true,
            Scope::Policy => config.policy.knobs().reads().contains(&key),
            Scope::Only(_, reads) => reads(config),
        }
    }
}

/// One config key as declared: the reference table in docs/config.md is generated from these.
#[derive(Debug, Clone)]
pub struct KeyDoc {
    pub key: &'static str,
    /// The Rust type of its value.
    pub ty: &'static str,
    /// The default as JSON (valid YAML), or `None` where there is none or it depends on other keys.
    pub default: Option<String>,
    pub doc: String,
    pub scope: Scope,
    /// What its value may be, in words, when the key says.
    pub allowed: Option<&'static str>,
    /// The section of docs/semantics.md that says what the key does.
    pub section: u8,
}

/// A key's value in the resolved config from its value in the merged layers: a key resolved to a
/// plain value must be set there (its declared default is), one resolved to an `Option` may be absent.
pub(super) trait Resolved<Raw>: Sized {
    fn resolved(key: &str, value: Option<Raw>) -> Result<Self, (String, String)>;
    /// The value of a key the run does not read, when it is not the key's default: an optional
    /// key is then absent (so it stays out of the canonical form).
    fn unread() -> Option<Self>;
}

impl<T> Resolved<T> for T {
    fn resolved(key: &str, value: Option<T>) -> Result<T, (String, String)> {
        value.ok_or_else(|| {
            (
                key.into(),
                "internal: the key has no default and was not derived from the others".into(),
            )
        })
    }
    fn unread() -> Option<T> {
        None
    }
}

impl<T> Resolved<T> for Option<T> {
    fn resolved(_: &str, value: Option<T>) -> Result<Option<T>, (String, String)> {
        Ok(value)
    }
    fn unread() -> Option<Option<T>> {
        Some(None)
    }
}

/// A key's value as a number, for its range check (`None` for values that are not numbers).
pub(super) fn number(value: &dyn Any) -> Option<f64> {
    if let Some(v) = value.downcast_ref::<u32>() {
        Some(f64::from(*v))
    } else if let Some(v) = value.downcast_ref::<u64>() {
        Some(*v as f64)
    } else if let Some(v) = value.downcast_ref::<f64>() {
        Some(*v)
    } else {
        value.downcast_ref::<Real>().map(|v| v.0)
    }
}

/// Declares every run-config key once, in `keys { .. }`, each as
/// `/// doc` `key: Type [= default], scope, check, section => [#[serde(..)]] ResolvedType;`,
/// then the resolved config's fields that no config sets (`derived { .. }`). `ResolvedType` is
/// `Type` (the key always has a value: its default, or one derived from other keys) or
/// `Option<Type>`; the serde attributes say how it enters the canonical form (section 11).
macro_rules! run_keys {
    (
        keys {
            $($(#[doc = $doc:literal])* $key:ident : $ty:ty $(= $default:expr)?, $scope:expr, $check:expr, $section:literal
                => $(#[$attr:meta])* $resolved:ty;)*
        }
        derived { $($(#[$dattr:meta])* $dkey:ident : $dty:ty,)* }
    ) => {
        /// One layer of a run config (a file or a `--set`); absent keys are `None`.
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct RawConfig {
            $($(#[doc = $doc])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $key: Option<$ty>,)*
        }

        /// A run config with every default filled in; the unit that is simulated, hashed and
        /// recorded. Key meanings and defaults are declared once, in `config/keys.rs` (the table in
        /// docs/config.md).
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct RunConfig {
            $($(#[doc = $doc])* $(#[$attr])* pub $key: $resolved,)*
            $($(#[$dattr])* pub $dkey: $dty,)*
        }

        impl RawConfig {
            /// Every key a run config accepts, in declaration order.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($key)),*];

            /// Lays `top` over `self`: each key set in `top` replaces the one here.
            pub fn merge(&mut self, top: RawConfig) {
                $(if top.$key.is_some() { self.$key = top.$key; })*
            }

            /// Whether this layer sets `key`.
            pub fn is_set(&self, key: &str) -> bool {
                match key {
                    $(stringify!($key) => self.$key.is_some(),)*
                    _ => false,
                }
            }

            /// The layer of declared defaults (keys whose default depends on others are unset).
            pub fn defaults() -> RawConfig {
                RawConfig { $($key: None $(.or(Some($default)))?,)* }
            }

            /// Refuses the first value set outside its key's declared range.
            pub fn check_values(&self) -> Result<(), (String, String)> {
                $(if let Some(x) = self.$key.as_ref().and_then(|v| $crate::config::declare::number(v)) {
                    $check.apply(stringify!($key), x)?;
                })*
                Ok(())
            }

            /// Every key with the runs that read it, in declaration order (what the cell identity
            /// and the ignored-key warnings need of the declarations).
            pub fn scopes() -> [(&'static str, Scope); RawConfig::KEYS.len()] {
                [$((stringify!($key), $scope),)*]
            }

            /// The declaration of every key, in order.
            pub fn docs() -> Vec<KeyDoc> {
                let defaults = RawConfig::defaults();
                vec![$(KeyDoc {
                    key: stringify!($key),
                    ty: stringify!($ty),
                    default: defaults.$key.as_ref().and_then(|v| serde_json::to_string(v).ok()),
                    doc: [$($doc.trim()),*].join(" "),
                    scope: $scope,
                    allowed: $check.allowed(),
                    section: $section,
                },)*]
            }
        }

        impl RunConfig {
            /// The resolved config of merged layers in which every key resolved to a plain value
            /// is set; the derived fields take their defaults.
            pub(super) fn from_layer(r: RawConfig) -> Result<RunConfig, (String, String)> {
                use $crate::config::declare::Resolved;
                Ok(RunConfig {
                    $($key: Resolved::resolved(stringify!($key), r.$key)?,)*
                    $($dkey: Default::default(),)*
                })
            }

            /// Sets `key`, which this run does not read, to what identifies no choice: absent for an
            /// optional key, its default (in `defaults`) for another (keys without one are left).
            pub(super) fn forget(&mut self, key: &str, defaults: &RawConfig) {
                use $crate::config::declare::Resolved;
                match key {
                    $(stringify!($key) => {
                        if let Some(v) = <$resolved as Resolved<$ty>>::unread() {
                            self.$key = v;
                        } else if let Ok(v) = Resolved::resolved(stringify!($key), defaults.$key.clone()) {
                            self.$key = v;
                        }
                    })*
                    _ => {}
                }
            }
        }
    };
}

pub(super) use run_keys;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_from_the_numeric_key_types_only() {
        assert_eq!(number(&3u32), Some(3.0));
        assert_eq!(number(&u64::MAX), Some(u64::MAX as f64));
        assert_eq!(number(&-0.5f64), Some(-0.5));
        assert_eq!(number(&Real(f64::INFINITY)), Some(f64::INFINITY));
        assert_eq!(number(&true), None);
        assert_eq!(number(&"3".to_string()), None);
    }
}
