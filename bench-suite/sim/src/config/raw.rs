//! The config as written: YAML layers parsed into [`RawConfig`] (every key optional, unknown keys
//! refused), with errors that name the file, line, key and what was expected.

use std::path::Path;

use super::error::ConfigError;
pub use super::keys::RawConfig;

/// Finds the top-level key set on 1-based `line` of `source`, if that line sets one.
fn key_on_line(source: &str, line: usize) -> Option<String> {
    let text = source.lines().nth(line.checked_sub(1)?)?;
    let key = text.split(':').next()?.trim();
    RawConfig::KEYS.contains(&key).then(|| key.to_string())
}

/// Splits a parser message `error: line 4 column 14: invalid u32` into (line, column, rest).
fn split_position(message: &str) -> (Option<usize>, Option<usize>, &str) {
    let m = message.lines().next().unwrap_or("invalid YAML");
    let m = m.strip_prefix("error: ").unwrap_or(m);
    let Some(rest) = m.strip_prefix("line ") else {
        return (None, None, m);
    };
    let (line, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let Some(rest) = rest.strip_prefix("column ") else {
        return (line.parse().ok(), None, rest);
    };
    let (col, rest) = rest.split_once(':').unwrap_or((rest, ""));
    (line.parse().ok(), col.trim().parse().ok(), rest.trim())
}

/// What a key's value may be, in the words of its declaration, for errors where serde can only name
/// a Rust type.
fn expected_shape(key: &str) -> Option<&'static str> {
    let allowed = RawConfig::docs().into_iter().find(|d| d.key == key)?.allowed?;
    allowed.contains('{').then_some(allowed)
}

/// Whether a serde message is about the value's shape (a string where a mapping belongs, ...).
fn is_shape_error(message: &str) -> bool {
    [
        "invalid type",
        "enum",
        "expected struct",
        "expected mapping",
        "expected scalar",
        "sequence",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// The YAML parser's wording where it is not the user's (a hint about its own options, a type
/// name), in the config's terms.
fn plain_parser_message(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return format!("`{key}` is set twice");
    }
    if message == "expected string scalar" {
        return "expected a single value (a number, a word or true/false), found a list or a mapping".to_string();
    }
    message.to_string()
}

/// Says in words what a bare `invalid u32` expected, and what was found there.
fn explain_type_error(message: &str, found: Option<&str>) -> String {
    let expected = match message.strip_prefix("invalid ") {
        Some("u32" | "u64") => "a non-negative integer",
        Some("f64" | "f32") => "a number (or .inf)",
        Some("bool") => "true or false",
        _ => return message.to_string(),
    };
    match found {
        Some(v) => format!("value `{v}` is not allowed: expected {expected}"),
        None => format!("expected {expected}"),
    }
}

/// Parses YAML text into one layer; `origin` names it in errors.
pub fn parse_yaml(source: &str, origin: &str) -> Result<RawConfig, ConfigError> {
    if source.trim().is_empty() {
        return Ok(RawConfig::default());
    }
    // `.inf` is meaningful ("no bound"), also where serde reads a value without knowing its type.
    let options = serde_saphyr::options! { non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough };
    serde_saphyr::from_str_with_options::<RawConfig>(source, options).map_err(|e| {
        let text = e.to_string();
        let (line, column, message) = split_position(&text);
        let key = line.and_then(|l| key_on_line(source, l));
        let found = match (line, column) {
            (Some(l), Some(c)) => source
                .lines()
                .nth(l - 1)
                .and_then(|t| t.get(c.saturating_sub(1)..))
                .map(|v| v.trim().trim_end_matches([',', '}']).trim()),
            _ => None,
        };
        let explained = match key.as_deref().and_then(|k| expected_shape(k).map(|shape| (k, shape))) {
            Some((k, shape)) if is_shape_error(message) => match found.map(|v| v.strip_prefix(&format!("{k}:")).map_or(v, str::trim)) {
                Some(v) => format!("value `{v}` is not allowed: expected {shape}"),
                None => format!("expected {shape}"),
            },
            _ => explain_type_error(&plain_parser_message(message), found),
        };
        let mut err = ConfigError::new(origin, key, explained);
        err.line = line;
        if let Some(rest) = err.message.split_once("unknown field `").map(|(_, rest)| rest) {
            // the key is the unknown one itself, wherever it sits
            err.key = err.key.or_else(|| rest.split_once('`').map(|(name, _)| name.to_string()));
            err.message.push_str(" (docs/config.md lists every key)");
        }
        err
    })
}

/// Reads a config file into one layer.
pub fn parse_file(path: &Path) -> Result<RawConfig, ConfigError> {
    let origin = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| ConfigError::new(&origin, None, format!("cannot read the file: {e}")))?;
    parse_yaml(&source, &origin)
}

/// Parses one `--set key=value` override; the value is YAML (`.inf`, `{model: constant, value: 1}`).
pub fn parse_set(assignment: &str) -> Result<RawConfig, ConfigError> {
    let origin = format!("--set {assignment}");
    let Some((key, value)) = assignment.split_once('=') else {
        return Err(ConfigError::new(origin, None, "expected key=value"));
    };
    let key = key.trim();
    if !RawConfig::KEYS.contains(&key) {
        return Err(ConfigError::new(
            origin,
            Some(key.to_string()),
            format!("unknown key, expected one of {}", RawConfig::KEYS.join(", ")),
        ));
    }
    // `key=null` gives an empty layer: it leaves the key as the layers below set it.
    parse_yaml(&format!("{key}: {value}\n"), &origin).map_err(|mut e| {
        e.line = None;
        e.key = Some(key.to_string());
        e
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Real;
    use crate::engine::ComputeTimeSpec;

    #[test]
    fn later_layers_win_key_by_key() {
        let mut base = parse_yaml("workers: 10\nlr: 0.1\n", "a.yaml").unwrap();
        base.merge(parse_yaml("workers: 20\n", "b.yaml").unwrap());
        base.merge(parse_set("policy=abs").unwrap());
        assert_eq!(base.workers, Some(20));
        assert_eq!(base.lr, Some(0.1));
        assert!(base.policy.is_some());
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = parse_yaml("workers: 10\nwokers: 3\n", "run.yaml").unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("run.yaml"), "{s}");
        assert!(s.contains("wokers"), "{s}");
        assert_eq!(e.line, Some(2), "{s}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let e = parse_yaml("workers: 10\nlocal_steps: ten\n", "run.yaml").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("local_steps"), "{e}");
        let e = parse_set("workers=-3").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("workers"), "{e}");
        assert!(e.to_string().starts_with("--set workers=-3"), "{e}");
        let e = parse_set("wokers=3").unwrap_err();
        assert!(e.to_string().contains("unknown key"), "{e}");
    }

    #[test]
    fn a_value_of_the_wrong_shape_says_the_shape_expected() {
        for (yaml, key, needle) in [
            ("compute_time: gamma\n", "compute_time", "{model: gamma_cvb"),
            ("partition: [iid]\n", "partition", "{dirichlet: {alpha: 0.5}}"),
            ("synthetic: 3\n", "synthetic", "train_samples"),
        ] {
            let e = parse_yaml(yaml, "run.yaml").unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{e}");
            assert!(e.to_string().contains(needle) && !e.to_string().contains("enum"), "{e}");
        }
    }

    #[test]
    fn set_values_are_yaml() {
        let l = parse_set("zeta=.inf").unwrap();
        assert_eq!(l.zeta, Some(Real(f64::INFINITY)));
        let l = parse_set("compute_time={model: constant, value: 2}").unwrap();
        assert_eq!(l.compute_time, Some(ComputeTimeSpec::Constant { value: 2.0 }));
    }
}
