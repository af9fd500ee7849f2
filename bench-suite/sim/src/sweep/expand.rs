//! Expanding a sweep file into cells, in a fixed, tested order.

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

use crate::config::{ConfigError, RawConfig, RunConfig};

/// A sweep file as written (see the module docs).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    #[serde(default)]
    base: IndexMap<String, Value>,
    #[serde(default)]
    policies: IndexMap<String, Value>,
    #[serde(default)]
    grid: IndexMap<String, Vec<Value>>,
    #[serde(default)]
    zip: Vec<IndexMap<String, Vec<Value>>>,
    #[serde(default)]
    exclude: Vec<IndexMap<String, Value>>,
    /// What `--quick` changes: run keys for the base, or a grid key with a shorter list.
    #[serde(default)]
    quick: IndexMap<String, Value>,
    /// How `abs-bench figures` draws this sweep.
    #[serde(default)]
    figure: Option<FigureMeta>,
}

/// The `figure` section of a sweep file: what `abs-bench figures` draws from it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureMeta {
    /// The figure's title (data set, model, N and seeds are added below it).
    pub title: String,
    /// The x axes, one panel each: `time` (virtual seconds) and/or `comm` (communication rounds).
    #[serde(default = "default_panels")]
    pub panels: Vec<XAxis>,
    /// Labels whose K^t and tau_max^t are drawn over time in a companion figure `<name>-dynamics`.
    #[serde(default)]
    pub dynamics: Vec<String>,
}

/// An x axis of a figure panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum XAxis {
    Time,
    Comm,
}

fn default_panels() -> Vec<XAxis> {
    vec![XAxis::Time, XAxis::Comm]
}

/// Changes applied to a sweep before expansion.
#[derive(Debug, Clone, Default)]
pub struct ExpandOptions {
    /// Apply the file's `quick` section.
    pub quick: bool,
    /// Run keys set on top of the base (after `quick`); a key the sweep varies is refused.
    pub overrides: Vec<(String, Value)>,
}

/// A sweep file, expanded.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub cells: Vec<Cell>,
    pub figure: Option<FigureMeta>,
}

/// One run of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The policy entry's name in the sweep file (the policy's name when there is no `policies`).
    pub label: String,
    /// The grid and zip values of this cell, in file order.
    pub point: IndexMap<String, Value>,
    pub config: RunConfig,
    /// The config hash: the same resolved config has the same id in every sweep.
    pub id: String,
}

/// Where a problem is, for messages: the file, and the line where `key` first appears.
struct Origin<'a> {
    path: &'a str,
    source: &'a str,
}

impl Origin<'_> {
    fn error(&self, key: Option<&str>, message: impl Into<String>) -> ConfigError {
        let mut e = ConfigError::new(self.path, key.map(str::to_string), message);
        if let Some(k) = key {
            // the section's line (`grid:`), then the first line from there that sets the key
            let (section, name) = k.split_once('.').unwrap_or((k, k));
            let lines: Vec<&str> = self.source.lines().collect();
            let start = lines.iter().position(|l| sets_key(l, section)).unwrap_or(0);
            e.line = (start..lines.len()).find(|&i| sets_key(lines[i], name)).map(|i| i + 1);
        }
        e
    }

    /// One run key and its value as a config layer, with errors that name `section.key`.
    fn layer(&self, section: &str, key: &str, value: &Value) -> Result<RawConfig, ConfigError> {
        let name = format!("{section}.{key}");
        if !RawConfig::KEYS.contains(&key) {
            return Err(self.error(
                Some(&name),
                format!("unknown run key `{key}`, expected one of {}", RawConfig::KEYS.join(", ")),
            ));
        }
        let mut map = serde_json::Map::new();
        map.insert(key.to_string(), value.clone());
        serde_json::from_value::<RawConfig>(Value::Object(map)).map_err(|e| self.error(Some(&name), format!("value {value}: {e}")))
    }

    fn layers(&self, section: &str, entries: &IndexMap<String, Value>) -> Result<RawConfig, ConfigError> {
        let mut raw = RawConfig::default();
        for (k, v) in entries {
            raw.merge(self.layer(section, k, v)?);
        }
        Ok(raw)
    }
}

/// Whether `line` sets `key` (`key:` at a token boundary, block or flow style).
fn sets_key(line: &str, key: &str) -> bool {
    line.match_indices(key).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + key.len()..].trim_start();
        before.is_none_or(|c| c == ' ' || c == '{' || c == ',' || c == '-') && after.starts_with(':')
    })
}

/// Reads and expands a sweep file.
pub fn load_sweep(path: &Path) -> Result<Vec<Cell>, ConfigError> {
    load_sweep_with(path, &ExpandOptions::default()).map(|s| s.cells)
}

/// Reads and expands a sweep file with `options` applied.
pub fn load_sweep_with(path: &Path, options: &ExpandOptions) -> Result<Sweep, ConfigError> {
    let origin = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| ConfigError::new(&origin, None, format!("cannot read the file: {e}")))?;
    expand_with(&source, &origin, options)
}

/// Every index combination of groups of the given sizes, last group fastest.
fn combinations(sizes: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for &n in sizes {
        out = out
            .into_iter()
            .flat_map(|prefix| (0..n).map(move |i| [prefix.clone(), vec![i]].concat()))
            .collect();
    }
    out
}

/// Expands sweep YAML text into cells; `path` names it in errors.
pub fn expand(source: &str, path: &str) -> Result<Vec<Cell>, ConfigError> {
    expand_with(source, path, &ExpandOptions::default()).map(|s| s.cells)
}

/// Expands sweep YAML text with `options` applied; `path` names it in errors.
pub fn expand_with(source: &str, path: &str, changes: &ExpandOptions) -> Result<Sweep, ConfigError> {
    let o = Origin { path, source };
    let options = serde_saphyr::options! { non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString };
    let file: SweepFile = if source.trim().is_empty() {
        SweepFile::default()
    } else {
        serde_saphyr::from_str_with_options(source, options).map_err(|e| {
            let msg = e.to_string();
            let msg = msg
                .lines()
                .next()
                .unwrap_or("invalid YAML")
                .trim_start_matches("error: ")
                .to_string();
            ConfigError::new(path, None, msg)
        })?
    };

    let mut file = file;
    if changes.quick {
        for (k, v) in std::mem::take(&mut file.quick) {
            match (file.grid.get_mut(&k), v) {
                (Some(values), Value::Array(list)) => *values = list,
                (Some(_), other) => {
                    return Err(o.error(
                        Some(&format!("quick.{k}")),
                        format!("value {other}: `{k}` is a grid key, so give a list"),
                    ));
                }
                (None, v) => {
                    file.base.insert(k, v);
                }
            }
        }
    }
    for (k, v) in &changes.overrides {
        let varied = file.grid.contains_key(k)
            || file.zip.iter().any(|g| g.contains_key(k))
            || file.policies.values().any(|p| p.get(k).is_some())
            || (k == "policy" && !file.policies.is_empty());
        if varied {
            return Err(o.error(Some(k), format!("cannot be overridden: the sweep varies `{k}`")));
        }
        file.base.insert(k.clone(), v.clone());
    }

    // Which section sets which key: each key in at most one varying place.
    let mut owner: IndexMap<String, String> = IndexMap::new();
    for (k, values) in &file.grid {
        if values.is_empty() {
            return Err(o.error(Some(&format!("grid.{k}")), "has no values: give a list of at least one"));
        }
        owner.insert(k.clone(), "grid".into());
    }
    for (g, group) in file.zip.iter().enumerate() {
        let lens: Vec<usize> = group.values().map(Vec::len).collect();
        if lens.iter().any(|&n| n != lens[0]) || lens.first() == Some(&0) {
            let shape = group
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.len()))
                .collect::<Vec<_>>()
                .join(", ");
            let first = group.keys().next().map(|k| format!("zip.{k}"));
            return Err(o.error(
                first.as_deref(),
                format!("zip group {g} needs lists of one equal, non-zero length; found {shape}"),
            ));
        }
        for k in group.keys() {
            if let Some(prev) = owner.insert(k.clone(), format!("zip group {g}")) {
                return Err(o.error(Some(&format!("zip.{k}")), format!("is varied by both {prev} and zip group {g}")));
            }
        }
    }
    let policies: Vec<(String, IndexMap<String, Value>)> = file
        .policies
        .iter()
        .map(|(name, entry)| match entry {
            Value::String(_) => Ok((name.clone(), IndexMap::from([("policy".to_string(), entry.clone())]))),
            Value::Object(m) => Ok((name.clone(), m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())),
            other => Err(o.error(
                Some(&format!("policies.{name}")),
                format!("value {other}: expected a policy name or a table of run keys"),
            )),
        })
        .collect::<Result<_, _>>()?;
    for (name, overrides) in &policies {
        for k in overrides.keys() {
            if let Some(prev) = owner.get(k) {
                return Err(o.error(Some(&format!("policies.{name}")), format!("sets `{k}`, which the {prev} varies")));
            }
        }
    }

    let base = o.layers("base", &file.base)?;
    let mut grid_layers: Vec<Vec<RawConfig>> = Vec::new();
    for (k, values) in &file.grid {
        grid_layers.push(values.iter().map(|v| o.layer("grid", k, v)).collect::<Result<_, _>>()?);
    }
    let mut zip_layers: Vec<Vec<RawConfig>> = Vec::new();
    for group in &file.zip {
        let n = group.values().next().map_or(0, Vec::len);
        let mut per_index = Vec::with_capacity(n);
        for i in 0..n {
            let entries: IndexMap<String, Value> = group.iter().map(|(k, v)| (k.clone(), v[i].clone())).collect();
            per_index.push(o.layers("zip", &entries)?);
        }
        zip_layers.push(per_index);
    }
    let policy_layers: Vec<(String, IndexMap<String, Value>, RawConfig)> = if policies.is_empty() {
        vec![(String::new(), IndexMap::new(), RawConfig::default())]
    } else {
        policies
            .into_iter()
            .map(|(n, m)| o.layers(&format!("policies.{n}"), &m).map(|l| (n, m, l)))
            .collect::<Result<_, _>>()?
    };
    for (i, rule) in file.exclude.iter().enumerate() {
        for k in rule.keys() {
            if k != "policy" && !owner.contains_key(k) {
                return Err(o.error(
                    Some(&format!("exclude.{k}")),
                    format!("rule {i} tests `{k}`, which neither the grid nor a zip group varies"),
                ));
            }
        }
    }

    let zip_sizes: Vec<usize> = zip_layers.iter().map(Vec::len).collect();
    let grid_sizes: Vec<usize> = grid_layers.iter().map(Vec::len).collect();
    let mut cells = Vec::new();
    for (label, _, policy_layer) in &policy_layers {
        for zi in combinations(&zip_sizes) {
            for gi in combinations(&grid_sizes) {
                let mut raw = base.clone();
                let mut point = IndexMap::new();
                for ((k, values), &i) in file.grid.iter().zip(&gi) {
                    point.insert(k.clone(), values[i].clone());
                }
                for (layers, &i) in grid_layers.iter().zip(&gi) {
                    raw.merge(layers[i].clone());
                }
                for ((group, layers), &i) in file.zip.iter().zip(&zip_layers).zip(&zi) {
                    for (k, values) in group {
                        point.insert(k.clone(), values[i].clone());
                    }
                    raw.merge(layers[i].clone());
                }
                raw.merge(policy_layer.clone());
                let config = RunConfig::resolve(raw, path).map_err(|mut e| {
                    let where_ = if label.is_empty() {
                        String::new()
                    } else {
                        format!("policy entry `{label}`, ")
                    };
                    e.message = format!(
                        "{}; in the cell with {where_}{}",
                        e.message,
                        serde_json::to_string(&point).unwrap_or_default()
                    );
                    e.locate(source)
                })?;
                let label = if label.is_empty() { config.policy.label() } else { label.clone() };
                let excluded = file.exclude.iter().any(|rule| {
                    rule.iter().all(|(k, v)| {
                        if k == "policy" {
                            v.as_str() == Some(label.as_str())
                        } else {
                            point.get(k) == Some(v)
                        }
                    })
                });
                if !excluded {
                    let id = config.hash();
                    cells.push(Cell { label, point, config, id });
                }
            }
        }
    }
    if let Some(fig) = &file.figure {
        for l in &fig.dynamics {
            if !cells.iter().any(|c| &c.label == l) {
                return Err(o.error(Some("figure.dynamics"), format!("`{l}` is not a label of this sweep's cells")));
            }
        }
    }
    Ok(Sweep {
        cells,
        figure: file.figure,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "base: {model: analytic, max_rounds: 10}\n";

    fn ids(cells: &[Cell]) -> Vec<(String, String)> {
        cells
            .iter()
            .map(|c| (c.label.clone(), serde_json::to_string(&c.point).unwrap()))
            .collect()
    }

    #[test]
    fn order_is_policy_then_zip_then_grid_with_the_first_grid_key_slowest() {
        let yaml = format!("{BASE}policies:\n  abs: abs\n  ada: {{policy: adasync}}\ngrid:\n  workers: [10, 20]\n  seed: [0, 1, 2]\n");
        let cells = expand(&yaml, "s.yaml").unwrap();
        assert_eq!(cells.len(), 12);
        let got = ids(&cells);
        assert_eq!(got[0], ("abs".into(), r#"{"workers":10,"seed":0}"#.into()));
        assert_eq!(got[1], ("abs".into(), r#"{"workers":10,"seed":1}"#.into()));
        assert_eq!(got[3], ("abs".into(), r#"{"workers":20,"seed":0}"#.into()));
        assert_eq!(got[6], ("ada".into(), r#"{"workers":10,"seed":0}"#.into()));
        assert_eq!(cells[6].config.policy.label(), "adasync");
        assert_eq!(cells[3].config.workers, 20);
        // distinct configs, distinct ids
        let mut all: Vec<&str> = cells.iter().map(|c| c.id.as_str()).collect();
        all.dedup();
        assert_eq!(all.len(), 12);
    }

    #[test]
    fn zip_varies_keys_together_and_exclude_drops_cells() {
        let yaml = format!(
            "{BASE}policies: {{abs: abs, sync: local_sgd}}\nzip:\n  - {{k0: [2, 4], zeta: [1, .inf]}}\ngrid: {{workers: [8, 16]}}\nexclude:\n  - {{policy: sync, workers: 16}}\n"
        );
        let cells = expand(&yaml, "s.yaml").unwrap();
        assert_eq!(cells.len(), 2 * 2 * 2 - 2);
        assert_eq!((cells[2].config.k0, cells[2].config.zeta.0), (4, f64::INFINITY));
        assert!(cells.iter().all(|c| !(c.label == "sync" && c.config.workers == 16)));
    }

    #[test]
    fn ids_ignore_key_order_and_float_spelling() {
        let a = expand("base: {model: analytic, lr: 0.1, zeta: 1}\n", "a.yaml").unwrap();
        let b = expand("base: {zeta: 1.0, lr: 1e-1, model: analytic}\n", "b.yaml").unwrap();
        assert_eq!(a[0].id, b[0].id);
    }

    #[test]
    fn bad_sweeps_name_the_file_the_key_and_the_line() {
        for (yaml, key, line, needle) in [
            (format!("{BASE}grid:\n  wokers: [1, 2]\n"), "grid.wokers", 3, "unknown run key"),
            (format!("{BASE}grid:\n  workers: []\n"), "grid.workers", 3, "no values"),
            (format!("{BASE}grid:\n  workers: [4, ten]\n"), "grid.workers", 3, "ten"),
            (format!("{BASE}zip:\n  - {{k0: [1, 2], zeta: [1]}}\n"), "zip.k0", 3, "equal"),
            (
                format!("{BASE}policies:\n  a: {{policy: abs, workers: 4}}\ngrid: {{workers: [2, 4]}}\n"),
                "policies.a",
                3,
                "varies",
            ),
        ] {
            let e = expand(&yaml, "s.yaml").unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{yaml}\n{e}");
            assert_eq!(e.line, Some(line), "{yaml}\n{e}");
            assert!(e.to_string().starts_with("s.yaml") && e.to_string().contains(needle), "{e}");
        }
        let e = expand("bases: {}\n", "s.yaml").unwrap_err();
        assert!(e.to_string().contains("bases"), "{e}");
        let e = expand(&format!("{BASE}grid: {{k0: [1, 20]}}\n"), "s.yaml").unwrap_err();
        assert!(e.to_string().contains("k0") && e.to_string().contains("\"k0\":20"), "{e}");
    }

    #[test]
    fn quick_shortens_the_grid_and_overrides_set_the_base() {
        let yaml = format!(
            "{BASE}policies: {{abs: abs, ada: adasync}}\ngrid: {{seed: [0, 1, 2]}}\nquick: {{max_rounds: 3, seed: [0]}}\n\
             figure: {{title: T, dynamics: [abs]}}\n"
        );
        let full = expand_with(&yaml, "s.yaml", &ExpandOptions::default()).unwrap();
        assert_eq!(full.cells.len(), 6);
        assert_eq!(full.figure.as_ref().unwrap().panels, vec![XAxis::Time, XAxis::Comm]);
        let quick = ExpandOptions {
            quick: true,
            overrides: vec![("lr".into(), Value::from(0.5))],
        };
        let q = expand_with(&yaml, "s.yaml", &quick).unwrap();
        assert_eq!(q.cells.len(), 2);
        assert!(q.cells.iter().all(|c| c.config.max_rounds == 3 && c.config.lr == 0.5));
        for key in ["seed", "policy"] {
            let bad = ExpandOptions {
                quick: false,
                overrides: vec![(key.into(), Value::from(1))],
            };
            let e = expand_with(&yaml, "s.yaml", &bad).unwrap_err();
            assert!(e.to_string().contains("cannot be overridden"), "{e}");
        }
        let e = expand_with(&format!("{BASE}grid: {{seed: [0, 1]}}\nquick: {{seed: 0}}\n"), "s.yaml", &quick).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("quick.seed"));
        let e = expand(&format!("{BASE}figure: {{title: T, dynamics: [nope]}}\n"), "s.yaml").unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        let e = expand(&format!("{BASE}figure: {{title: T, panels: [rounds]}}\n"), "s.yaml").unwrap_err();
        assert!(e.to_string().contains("rounds"), "{e}");
    }
}
