//! Expanding a sweep file into cells, in a fixed, tested order: quick runs and overrides, which
//! section varies which key, the policy entries, exclude rules and the cross product.

use std::path::Path;

use abs_policies::PolicySpec;
use indexmap::IndexMap;
use serde_json::Value;

use super::cell::{Cell, ExpandOptions, Sweep, resolve_cell};
use super::file::{Origin, SweepFile, parse_sweep};
use super::tune::{ALL_SERIES, Beyond, Candidate, TuneGroup, TuneSpec, Tuning, check_seeds, check_spec, past_edges};
use crate::config::{ConfigError, RawConfig};

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
    let o = Origin::new(path, source);
    let mut file = parse_sweep(&o)?;
    if changes.quick {
        apply_quick(&mut file, &o)?;
    }
    apply_overrides(&mut file, &changes.overrides, &o)?;
    let owner = varied_keys(&file, &o)?;
    let policies = policy_tables(&file, &owner, &o)?;
    let layers = Layers::parse(&file, policies, &o)?;
    check_own_defaults(&file, &layers, &owner, &changes.overrides, &o)?;
    check_exclude(&file, &owner, &o)?;
    let (mut cells, mut tuning) = match &file.tune {
        None => (cross_product(&file, &layers, &o)?, None),
        Some(spec) => (Vec::new(), Some(tuned(&file, spec, &layers, &owner, &o, changes)?)),
    };
    // (label, condition) of every series the sweep reports
    let series: Vec<(String, String)> = match &tuning {
        Some(t) => t.groups.iter().map(|g| (g.label.clone(), g.condition.clone())).collect(),
        None => cells.iter().map(|c| (c.label.clone(), c.condition.clone())).collect(),
    };
    if let Some(fig) = &file.figure {
        let named = fig.dynamics.iter().map(|l| ("figure.dynamics", l));
        let named = named.chain(fig.reference.iter().map(|l| ("figure.reference", l)));
        let named = named.chain(
            fig.claims
                .iter()
                .flat_map(|c| c.faster.iter().chain(&c.than))
                .map(|l| ("figure.claims", l)),
        );
        let timeline = fig.timeline.iter().flat_map(|t| t.series.iter().map(|l| ("figure.timeline", l)));
        let named: Vec<(&str, &String)> = named.chain(timeline).collect();
        for (key, l) in named {
            if !series.iter().any(|(label, _)| label == l) {
                return Err(o.error(Some(key), format!("`{l}` is not a label of this sweep's cells")));
            }
        }
        if let Some(t) = &fig.timeline {
            if let Some(k) = t.condition.as_ref().filter(|k| !series.iter().any(|(_, c)| c == *k)) {
                return Err(o.error(Some("figure.timeline"), format!("`{k}` is not a condition of this sweep")));
            }
            if !(t.seconds.is_finite() && t.seconds > 0.0) {
                return Err(o.error(
                    Some("figure.timeline"),
                    format!("seconds {} is not allowed: expected a finite number > 0", t.seconds),
                ));
            }
        }
    }
    for c in cells.iter_mut().chain(tuning.iter_mut().flat_map(|t| t.cells_mut())) {
        c.jobs_log = file.jobs_log;
    }
    Ok(Sweep {
        cells,
        figure: file.figure,
        tuning,
    })
}

/// `--quick`: a grid key takes the shorter list given, any other key goes into the base and is
/// forced in every condition (a condition's longer budget does not survive a quick run).
fn apply_quick(file: &mut SweepFile, o: &Origin) -> Result<(), ConfigError> {
    if let Some(spec) = file.tune.as_mut() {
        spec.seeds.truncate(1); // a quick run tunes on its first tuning seed
    }
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
                for condition in file.conditions.values_mut() {
                    condition.shift_remove(&k);
                }
                file.base.insert(k, v);
            }
        }
    }
    Ok(())
}

/// Keys set on top of the base, refusing any the grid, a zip group or a policy entry varies; a
/// condition that sets the key gets the override too (it forces the key for every cell).
fn apply_overrides(file: &mut SweepFile, overrides: &[(String, Value)], o: &Origin) -> Result<(), ConfigError> {
    for (k, v) in overrides {
        let varied = file.grid.contains_key(k)
            || file.zip.iter().any(|g| g.contains_key(k))
            || file.policies.values().any(|p| p.get(k).is_some())
            || (k == "policy" && !file.policies.is_empty());
        if varied {
            return Err(o.error(Some(k), format!("cannot be overridden: the sweep varies `{k}`")));
        }
        for condition in file.conditions.values_mut() {
            condition.shift_remove(k);
        }
        file.base.insert(k.clone(), v.clone());
    }
    Ok(())
}

/// Which section varies which key: each key in at most one of the grid and the zip groups.
fn varied_keys(file: &SweepFile, o: &Origin) -> Result<IndexMap<String, String>, ConfigError> {
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
    for (name, table) in &file.conditions {
        for k in table.keys() {
            if k == "policy" {
                return Err(o.error(
                    Some(&format!("conditions.{name}")),
                    "sets `policy`: policies belong in the `policies` section",
                ));
            }
            match owner.get(k).map(String::as_str) {
                None | Some("conditions section") => {
                    owner.insert(k.clone(), "conditions section".into());
                }
                Some(prev) => {
                    return Err(o.error(Some(&format!("conditions.{name}")), format!("sets `{k}`, which the {prev} varies")));
                }
            }
        }
    }
    Ok(owner)
}

/// A policy entry: its name and its run keys (`policy` among them).
type PolicyTable = (String, IndexMap<String, Value>);

/// Each policy entry as a table of run keys, none of which the grid or a zip group varies.
fn policy_tables(file: &SweepFile, owner: &IndexMap<String, String>, o: &Origin) -> Result<Vec<PolicyTable>, ConfigError> {
    let mut tables = Vec::with_capacity(file.policies.len());
    for (name, entry) in &file.policies {
        let table: IndexMap<String, Value> = match entry {
            Value::String(_) => IndexMap::from([("policy".to_string(), entry.clone())]),
            Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            other => {
                return Err(o.error(
                    Some(&format!("policies.{name}")),
                    format!("value {other}: expected a policy name or a table of run keys"),
                ));
            }
        };
        if let Some((k, prev)) = table.keys().find_map(|k| owner.get(k).map(|prev| (k, prev))) {
            return Err(o.error(Some(&format!("policies.{name}")), format!("sets `{k}`, which the {prev} varies")));
        }
        tables.push((name.clone(), table));
    }
    Ok(tables)
}

/// Refuses a key set in the base or a condition that would replace a named method's own default
/// (`RawConfig::policy_defaults`: FedBuff's `k` and `sa_form`, FedAdam's `server_optimizer` and
/// `server_lr`, ...) in an entry that does not set it: the entry would run another method under
/// its label, and nothing in its results would say so. Where the method is named (its policy
/// entry, or the base that names it), where the grid or a zip group varies the key (each cell's
/// point shows it) and where the tuning grid tunes it for the series, the value is explicit.
fn check_own_defaults(
    file: &SweepFile,
    layers: &Layers,
    owner: &IndexMap<String, String>,
    overrides: &[(String, Value)],
    o: &Origin,
) -> Result<(), ConfigError> {
    // (entry, the policy it runs, whether the base names that policy) for every policy an entry
    // may run; an entry that names none runs the base's, or each the grid or a zip group gives
    let varied: Vec<&PolicySpec> = (layers.grid.iter().chain(&layers.zip))
        .flatten()
        .filter_map(|l| l.policy.as_ref())
        .collect();
    let mut runs: Vec<(&str, &RawConfig, &PolicySpec, bool)> = Vec::new();
    for (label, entry) in &layers.policies {
        match (&entry.policy, &layers.base.policy) {
            (Some(p), _) => runs.push((label, entry, p, false)),
            (None, _) if !varied.is_empty() => runs.extend(varied.iter().map(|p| (label.as_str(), entry, *p, false))),
            (None, Some(p)) => runs.push((label, entry, p, true)),
            (None, None) => {} // the default policy, abs, has no own defaults
        }
    }
    let conditions = layers.conditions.iter().filter(|(name, _)| !name.is_empty());
    let sources = std::iter::once(("base".to_string(), &layers.base)).chain(conditions.map(|(n, l)| (format!("conditions.{n}"), l)));
    for (source, layer) in sources {
        let from_base = source == "base";
        for &key in RawConfig::KEYS.iter().filter(|k| layer.is_set(k)) {
            let varied_there = owner.get(key).is_some_and(|by| by != "conditions section");
            // a condition that sets the key hides the base's value; under every condition, always
            let hidden = from_base && layers.conditions.iter().all(|(name, l)| !name.is_empty() && l.is_set(key));
            if varied_there || hidden {
                continue;
            }
            let mut replaced: Vec<(String, String, String)> = Vec::new(); // (entry, policy, own default)
            for &(label, entry, policy, named_by_base) in &runs {
                let tuned = file.tune.as_ref().is_some_and(|t| t.grid_of(label).contains_key(key));
                if (from_base && named_by_base) || entry.is_set(key) || tuned {
                    continue;
                }
                let own = RawConfig::policy_defaults(policy);
                let Some(value) = own.is_set(key).then(|| json_field(&own, key)).flatten() else {
                    continue;
                };
                let name = policy.label();
                let label = if label.is_empty() { name.clone() } else { label.to_string() };
                if !replaced.iter().any(|(l, p, _)| *l == label && *p == name) {
                    replaced.push((label, name, value.to_string()));
                }
            }
            let Some((entry, method, _)) = replaced.first() else {
                continue;
            };
            let value = json_field(layer, key).map_or_else(String::new, |v| match v {
                Value::String(s) => s,
                other => other.to_string(),
            });
            let list = replaced
                .iter()
                .map(|(l, p, v)| format!("`{l}` ({p}, own default {v})"))
                .collect::<Vec<_>>()
                .join(", ");
            let plural = if replaced.len() == 1 { "y" } else { "ies" };
            let setter = if from_base && overrides.iter().any(|(k, _)| k == key) {
                format!("the override `{key}={value}`, laid over the base,")
            } else {
                format!("`{source}`")
            };
            let mut e = o.error(
                Some(&format!("{source}{}", if from_base { format!(".{key}") } else { String::new() })),
                format!(
                    "{setter} sets `{key}`, which would replace the own default of policy entr{plural} {list}: each would run another \
                     method under its label: set it in the policy entry, where it is explicit (e.g. `{entry}: {{policy: {method}, {key}: {value}}}`), \
                     or tune it under `tune.grid.{entry}`"
                ),
            );
            if setter.starts_with("the override") {
                e.line = None;
            }
            return Err(e);
        }
    }
    Ok(())
}

/// The value of `key` in `layer`, as JSON (`None` when it is not set).
fn json_field(layer: &RawConfig, key: &str) -> Option<Value> {
    match serde_json::to_value(layer) {
        Ok(Value::Object(mut m)) => m.remove(key),
        _ => None,
    }
}

/// Every exclude rule tests only the policy label and keys the sweep varies.
fn check_exclude(file: &SweepFile, owner: &IndexMap<String, String>, o: &Origin) -> Result<(), ConfigError> {
    for (i, rule) in file.exclude.iter().enumerate() {
        if let Some(k) = rule
            .keys()
            .find(|k| !matches!(k.as_str(), "policy" | "condition") && !owner.contains_key(*k))
        {
            return Err(o.error(
                Some(&format!("exclude.{k}")),
                format!("rule {i} tests `{k}`, which neither the grid, a zip group nor the conditions vary"),
            ));
        }
    }
    Ok(())
}

/// The sweep's config layers, each parsed once: a cell merges the base, one value of each grid
/// key, one index of each zip group, then its policy entry.
struct Layers {
    base: RawConfig,
    grid: Vec<Vec<RawConfig>>,
    zip: Vec<Vec<RawConfig>>,
    /// (entry name, its layer); one unnamed empty entry when the sweep lists no policies.
    policies: Vec<(String, RawConfig)>,
    /// (condition name, its layer); one unnamed empty entry when the sweep has no conditions.
    conditions: Vec<(String, RawConfig)>,
}

impl Layers {
    fn parse(file: &SweepFile, policies: Vec<PolicyTable>, o: &Origin) -> Result<Layers, ConfigError> {
        let base = o.layers("base", &file.base)?;
        let mut grid = Vec::with_capacity(file.grid.len());
        for (k, values) in &file.grid {
            grid.push(values.iter().map(|v| o.layer("grid", k, v)).collect::<Result<_, _>>()?);
        }
        let mut zip = Vec::with_capacity(file.zip.len());
        for group in &file.zip {
            let n = group.values().next().map_or(0, Vec::len);
            let index = |i: usize| group.iter().map(|(k, v)| (k.clone(), v[i].clone())).collect::<IndexMap<_, _>>();
            zip.push((0..n).map(|i| o.layers("zip", &index(i))).collect::<Result<_, _>>()?);
        }
        let policies = if policies.is_empty() {
            vec![(String::new(), RawConfig::default())]
        } else {
            policies
                .into_iter()
                .map(|(n, m)| o.layers(&format!("policies.{n}"), &m).map(|l| (n, l)))
                .collect::<Result<_, _>>()?
        };
        let conditions = if file.conditions.is_empty() {
            vec![(String::new(), RawConfig::default())]
        } else {
            file.conditions
                .iter()
                .map(|(n, m)| o.layers(&format!("conditions.{n}"), m).map(|l| (n.clone(), l)))
                .collect::<Result<_, _>>()?
        };
        Ok(Layers {
            base,
            grid,
            zip,
            policies,
            conditions,
        })
    }
}

/// The cells, policy by policy (file order), then condition, then zip index, then grid point (first
/// key slowest), without the excluded ones. A cell merges the base, its grid values, its zip
/// values, its condition, then its policy entry.
fn cross_product(file: &SweepFile, layers: &Layers, o: &Origin) -> Result<Vec<Cell>, ConfigError> {
    let mut cells = Vec::new();
    for (policy, condition) in layers.policies.iter().flat_map(|p| layers.conditions.iter().map(move |c| (p, c))) {
        cells.extend(entry_cells(file, layers, policy, condition, None, o, |_| Ok(()))?);
    }
    Ok(cells)
}

/// A tuning setting: its keys and values (first in each cell's point) and its layer (merged after
/// the condition, before the policy entry).
type Setting<'a> = (&'a IndexMap<String, Value>, &'a RawConfig);

/// One policy entry's cells under one condition, zip index by zip index, then grid point (first
/// key slowest), with `setting` when tuned; `check` sees every resolved cell before the exclude
/// rules drop any.
fn entry_cells(
    file: &SweepFile,
    layers: &Layers,
    (label, policy_layer): &(String, RawConfig),
    (condition, condition_layer): &(String, RawConfig),
    setting: Option<Setting>,
    o: &Origin,
    check: impl Fn(&Cell) -> Result<(), ConfigError>,
) -> Result<Vec<Cell>, ConfigError> {
    let zip_sizes: Vec<usize> = layers.zip.iter().map(Vec::len).collect();
    let grid_sizes: Vec<usize> = layers.grid.iter().map(Vec::len).collect();
    let condition_keys = file.conditions.get(condition.as_str());
    let mut cells = Vec::new();
    for zi in combinations(&zip_sizes) {
        for gi in combinations(&grid_sizes) {
            let mut raw = layers.base.clone();
            let mut point = setting.map_or_else(IndexMap::new, |(values, _)| values.clone());
            for (((k, values), grid_layers), &i) in file.grid.iter().zip(&layers.grid).zip(&gi) {
                point.insert(k.clone(), values[i].clone());
                raw.merge(grid_layers[i].clone());
            }
            for ((group, zip_layers), &i) in file.zip.iter().zip(&layers.zip).zip(&zi) {
                for (k, values) in group {
                    point.insert(k.clone(), values[i].clone());
                }
                raw.merge(zip_layers[i].clone());
            }
            raw.merge(condition_layer.clone());
            if let Some((_, layer)) = setting {
                raw.merge(layer.clone());
            }
            raw.merge(policy_layer.clone());
            let cell = resolve_cell(raw, (label, condition), point, o)?;
            check(&cell)?;
            if !excluded(&file.exclude, &cell, |k| {
                condition_keys.and_then(|t| t.get(k)).or_else(|| file.base.get(k))
            }) {
                cells.push(cell);
            }
        }
    }
    Ok(cells)
}

/// A tuned sweep's candidates: for each policy entry and condition, every setting of its tuning
/// grid and every setting with values past the grid's edges ([`past_edges`]), each resolved on the
/// reported seeds (the entry's cells with the setting and the validation split held out) and, rung
/// by rung, on the tuning seeds (evaluated on the validation split).
fn tuned(
    file: &SweepFile,
    spec: &TuneSpec,
    layers: &Layers,
    owner: &IndexMap<String, String>,
    o: &Origin,
    changes: &ExpandOptions,
) -> Result<Tuning, ConfigError> {
    if let Some((k, by)) = owner.iter().find(|(k, by)| *k != "seed" && by.as_str() != "conditions section") {
        let key = if by == "grid" { format!("grid.{k}") } else { format!("zip.{k}") };
        return Err(o.error(
            Some(&key),
            format!("a tuned sweep varies only `seed` in its grid ({by} varies `{k}`): give other changes as conditions"),
        ));
    }
    let entries: Vec<String> = file.policies.keys().cloned().collect();
    check_spec(spec, (!entries.is_empty()).then_some(&entries[..]), changes.quick, o)?;
    let mut groups = Vec::new();
    for policy in &layers.policies {
        let label = policy.0.as_str();
        let grid = spec.grid_of(label);
        // where a tuned key's list is given: the series' own grid, else `all`'s
        let source = |k: &str| -> String {
            if spec.grid.get(label).is_some_and(|g| g.contains_key(k)) {
                label.to_string()
            } else {
                ALL_SERIES.to_string()
            }
        };
        for k in grid.keys() {
            let set_by_entry = file.policies.get(label).and_then(|p| p.get(k)).is_some();
            let set_by_condition = owner.get(k).is_some_and(|by| by == "conditions section");
            if set_by_entry || set_by_condition {
                let by = if set_by_entry {
                    format!("policy entry `{label}`")
                } else {
                    "the conditions section".to_string()
                };
                return Err(o.error(
                    Some(&format!("tune.{}", source(k))),
                    format!("tunes `{k}`, which {by} sets: a series' tuned knob is left to the tuning grid"),
                ));
            }
        }
        let written = settings_of(&grid);
        for condition in &layers.conditions {
            let make = |setting: &IndexMap<String, Value>, written: bool| {
                candidate(file, spec, layers, policy, condition, setting, written, o, changes, &source)
            };
            let mut candidates = Vec::with_capacity(written.len());
            for setting in &written {
                candidates.extend(make(setting, true)?);
            }
            let Some(first) = candidates.first().map(|c| c.setting.clone()) else {
                continue;
            };
            // past each numeric key's edges: values the run refuses end that side, saying why
            let mut beyond = IndexMap::new();
            let mut extended = grid.clone();
            // the settings resolved to check a value past an edge, kept for the extended grid
            let mut probed: Vec<Candidate> = Vec::new();
            for (k, values) in &grid {
                let Some((below, above)) = past_edges(values, spec.extend) else {
                    continue;
                };
                let mut accept = |list: Vec<Value>| -> (Vec<Value>, Option<String>) {
                    let mut kept = Vec::new();
                    for v in list {
                        let mut setting = first.clone();
                        setting.insert(k.clone(), v.clone());
                        match make(&setting, false) {
                            Ok(c) => {
                                probed.extend(c);
                                kept.push(v);
                            }
                            Err(e) => return (kept, Some(format!("{k}={v} is refused: {}", e.message))),
                        }
                    }
                    (kept, None)
                };
                let (below, below_stop) = accept(below);
                let (above, above_stop) = accept(above);
                let all = extended.entry(k.clone()).or_default();
                *all = below.iter().rev().chain(values.iter()).chain(above.iter()).cloned().collect();
                beyond.insert(
                    k.clone(),
                    Beyond {
                        below,
                        above,
                        below_stop,
                        above_stop,
                    },
                );
            }
            for setting in settings_of(&extended) {
                if written.contains(&setting) {
                    continue;
                }
                match probed.iter().position(|c| c.setting == setting) {
                    Some(i) => candidates.push(probed.swap_remove(i)),
                    // a combination the run refuses is one no extension can reach
                    None => candidates.extend(make(&setting, false).ok().flatten()),
                }
            }
            groups.push(TuneGroup {
                label: candidates[0].reported[0].label.clone(),
                condition: condition.0.clone(),
                grid: grid.clone(),
                beyond,
                candidates,
                result: None,
            });
        }
    }
    // known only now without a `policies` section: the series' label, and the reported seeds
    if entries.is_empty() {
        let labels: Vec<String> = groups.iter().map(|g| g.label.clone()).collect();
        check_spec(spec, Some(&labels[..]), changes.quick, o)?;
    }
    let reported: Vec<u64> = groups
        .iter()
        .flat_map(|g| &g.candidates)
        .flat_map(|c| &c.reported)
        .map(|c| c.config.seed)
        .collect();
    check_seeds(spec, &reported, o)?;
    Ok(Tuning {
        seeds: spec.seeds.clone(),
        halving: spec.halving,
        extend: spec.extend,
        validation: spec.validation,
        groups,
    })
}

/// Every setting of `grid`, first key slowest.
fn settings_of(grid: &IndexMap<String, Vec<Value>>) -> Vec<IndexMap<String, Value>> {
    combinations(&grid.values().map(Vec::len).collect::<Vec<_>>())
        .into_iter()
        .map(|idx| grid.iter().zip(&idx).map(|((k, v), &i)| (k.clone(), v[i].clone())).collect())
        .collect()
}

/// One setting of a series under a condition, resolved: its reported cells (None when the exclude
/// rules drop them all) and its tuning cells, rung by rung. A tuned key the series does not read,
/// or a value the run refuses, is named where the tuning grid gives it (`source`).
#[allow(clippy::too_many_arguments)]
fn candidate(
    file: &SweepFile,
    spec: &TuneSpec,
    layers: &Layers,
    policy: &(String, RawConfig),
    condition: &(String, RawConfig),
    setting: &IndexMap<String, Value>,
    written: bool,
    o: &Origin,
    changes: &ExpandOptions,
    source: &dyn Fn(&str) -> String,
) -> Result<Option<Candidate>, ConfigError> {
    let label = policy.0.as_str();
    let mut layer = o.layers("tune", setting)?;
    // every cell of a tuned sweep trains without the validation split, reported ones included
    let holdout = serde_json::to_value(spec.validation).unwrap_or(Value::Null);
    layer.merge(o.layer("tune.validation", "holdout", &holdout)?);
    let unread = |cell: &Cell| match cell.ignored.iter().find(|(k, _)| setting.contains_key(*k)) {
        Some((k, by)) => Err(o.error(
            Some(&format!("tune.{}", source(k))),
            format!(
                "tunes `{k}` for series `{}`, but `{k}` is ignored by {by}: tune only the knobs a series reads",
                cell.label
            ),
        )),
        None => Ok(()),
    };
    let reported =
        entry_cells(file, layers, policy, condition, Some((setting, &layer)), o, unread).map_err(|e| match e.key.as_deref() {
            Some(k) if setting.contains_key(k) => o.error(Some(&format!("tune.{}", source(k))), format!("`{k}`: {}", e.message)),
            _ => e,
        })?;
    let Some(first) = reported.first() else {
        return Ok(None);
    };
    // the tuning cells: the setting on each tuning seed, scored on the validation split at the
    // target, run for each rung's share of the budget
    let target = changes
        .target
        .or(first.config.target_accuracy)
        .unwrap_or_else(|| first.config.dataset.default_target(changes.quick));
    let mut scored = o.layer("tune", "target_accuracy", &Value::from(target))?;
    scored.merge(o.layer("tune", "evaluate_on", &Value::from("validation"))?);
    let rungs = spec.halving.rungs.max(1) as usize;
    let mut cells: Vec<Vec<Cell>> = vec![Vec::with_capacity(spec.seeds.len()); rungs];
    for &seed in &spec.seeds {
        let mut raw = layers.base.clone();
        for l in [&condition.1, &layer, &policy.1, &scored] {
            raw.merge(l.clone());
        }
        raw.merge(o.layer("tune.seeds", "seed", &Value::from(seed))?);
        let mut point = setting.clone();
        point.insert("seed".into(), Value::from(seed));
        let whole = resolve_cell(raw.clone(), (label, &condition.0), point.clone(), o)?;
        for (r, rung) in cells.iter_mut().enumerate() {
            if r + 1 == rungs {
                rung.push(whole.clone());
                continue;
            }
            let share = spec.halving.fraction(r);
            let budget = if whole.config.max_time.0.is_finite() {
                o.layer("tune.halving", "max_time", &Value::from(whole.config.max_time.0 * share))?
            } else {
                let rounds = ((whole.config.max_rounds as f64 * share).ceil() as u64).max(1);
                o.layer("tune.halving", "max_rounds", &Value::from(rounds))?
            };
            let mut short = raw.clone();
            short.merge(budget);
            rung.push(resolve_cell(short, (label, &condition.0), point.clone(), o)?);
        }
    }
    Ok(Some(Candidate {
        setting: setting.clone(),
        written,
        rungs: cells,
        reported,
    }))
}

/// Whether some rule matches every key it gives: `policy` matches the cell's label, `condition`
/// its condition's name, a grid or zip key the cell's value, and a key the conditions vary the
/// value the cell's condition gives it, else the base's, else the resolved default.
fn excluded<'a>(rules: &[IndexMap<String, Value>], cell: &'a Cell, condition_value: impl Fn(&str) -> Option<&'a Value>) -> bool {
    let resolved = std::cell::OnceCell::new();
    let default = |k: &str| {
        resolved
            .get_or_init(|| serde_json::to_value(&cell.config).unwrap_or(Value::Null))
            .get(k)
            .cloned()
    };
    rules.iter().any(|rule| {
        rule.iter().all(|(k, v)| match k.as_str() {
            "policy" => v.as_str() == Some(cell.label.as_str()),
            "condition" => v.as_str() == Some(cell.condition.as_str()),
            _ => match cell.point.get(k).or_else(|| condition_value(k)) {
                Some(given) => given == v,
                None => default(k).as_ref() == Some(v),
            },
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::{XAxis, ignored_key_warnings};

    const BASE: &str = "base: {model: analytic, max_rounds: 10}\n";

    fn ids(cells: &[Cell]) -> Vec<(String, String)> {
        cells
            .iter()
            .map(|c| (c.label.clone(), serde_json::to_string(&c.point).unwrap()))
            .collect()
    }

    #[test]
    fn conditions_are_laid_over_the_base_one_at_a_time() {
        let yaml = format!(
            "{BASE}policies: [abs, adasync]\nconditions:\n  base: {{}}\n  n20: {{workers: 20}}\n  \
             eval_loss: {{k_loss: eval, workers: 4}}\ngrid: {{seed: [0, 1]}}\nexclude: [{{policy: adasync, condition: n20}}]\n"
        );
        let cells = expand(&yaml, "s.yaml").unwrap();
        // abs: 3 conditions x 2 seeds, adasync: 2 conditions x 2 seeds
        assert_eq!(cells.len(), 10);
        let names: Vec<(&str, &str, u64)> = cells
            .iter()
            .map(|c| (c.label.as_str(), c.condition.as_str(), c.config.seed))
            .collect();
        assert_eq!(
            names[..4],
            [("abs", "base", 0), ("abs", "base", 1), ("abs", "n20", 0), ("abs", "n20", 1)]
        );
        assert_eq!(cells[0].config.workers, 10);
        assert_eq!(cells[2].config.workers, 20);
        assert_eq!((cells[4].config.workers, cells[4].config.k_loss), (4, crate::engine::KLoss::Eval));
        assert!(!cells.iter().any(|c| c.label == "adasync" && c.condition == "n20"));
        // a key the conditions vary is not also varied by the grid, a policy entry or an override
        for (bad, what) in [
            (
                format!("{BASE}conditions: {{a: {{workers: 4}}}}\ngrid: {{workers: [2, 3]}}\n"),
                "the grid varies",
            ),
            (
                format!("{BASE}policies: {{w: {{policy: abs, workers: 3}}}}\nconditions: {{a: {{workers: 4}}}}\n"),
                "the conditions section varies",
            ),
            (format!("{BASE}conditions: {{a: {{policy: abs}}}}\n"), "policies belong"),
            (format!("{BASE}conditions: [workers]\n"), "expected a mapping of condition names"),
        ] {
            let e = expand(&bad, "s.yaml").unwrap_err().to_string();
            assert!(e.contains(what), "{e}");
        }
        // an override forces its key in every condition too
        let o = ExpandOptions {
            quick: false,
            overrides: vec![("workers".into(), Value::from(3))],
            ..Default::default()
        };
        let forced = expand_with(&format!("{BASE}conditions: {{a: {{workers: 4}}, b: {{}}}}\n"), "s.yaml", &o).unwrap();
        assert!(forced.cells.iter().all(|c| c.config.workers == 3));
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
    fn exclude_rules_test_keys_the_conditions_vary() {
        let yaml = format!(
            "{BASE}policies: {{abs: abs, sync: local_sgd}}\nconditions:\n  n4: {{workers: 4}}\n  n8: {{workers: 8}}\n  slow: {{lr: 0.01}}\nexclude:\n  - {{policy: sync, workers: 8}}\n  - {{policy: abs, lr: 0.01}}\n"
        );
        let cells = expand(&yaml, "s.yaml").unwrap();
        let kept: Vec<(&str, &str)> = cells.iter().map(|c| (c.label.as_str(), c.condition.as_str())).collect();
        assert_eq!(kept, [("abs", "n4"), ("abs", "n8"), ("sync", "n4"), ("sync", "slow")]);
        // a condition that leaves the key alone is matched on the base's value
        let yaml = "base: {model: analytic, max_rounds: 10, workers: 8}\nconditions:\n  n4: {workers: 4}\n  fast: {lr: 0.5}\nexclude: [{workers: 8}]\n";
        let cells = expand(yaml, "s.yaml").unwrap();
        assert_eq!(cells.iter().map(|c| c.condition.as_str()).collect::<Vec<_>>(), ["n4"]);
        // and one that neither sets it on the resolved default (workers: 10)
        let yaml = format!("{BASE}conditions:\n  n4: {{workers: 4}}\n  fast: {{lr: 0.5}}\nexclude: [{{workers: 10}}]\n");
        let cells = expand(&yaml, "s.yaml").unwrap();
        assert_eq!(cells.iter().map(|c| c.condition.as_str()).collect::<Vec<_>>(), ["n4"]);
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
            ..Default::default()
        };
        let q = expand_with(&yaml, "s.yaml", &quick).unwrap();
        assert_eq!(q.cells.len(), 2);
        assert!(q.cells.iter().all(|c| c.config.max_rounds == 3 && c.config.lr == 0.5));
        // a condition's own budget gives way to quick's
        let with = format!(
            "{yaml}conditions: {{short: {{}}, long: {{max_rounds: 50, workers: 5}}}}
"
        );
        let q = expand_with(&with, "s.yaml", &quick).unwrap();
        assert!(q.cells.iter().all(|c| c.config.max_rounds == 3), "{:?}", q.cells);
        assert!(q.cells.iter().any(|c| c.condition == "long" && c.config.workers == 5));
        let full = expand_with(&with, "s.yaml", &ExpandOptions::default()).unwrap();
        assert!(full.cells.iter().any(|c| c.condition == "long" && c.config.max_rounds == 50));
        for key in ["seed", "policy"] {
            let bad = ExpandOptions {
                quick: false,
                overrides: vec![(key.into(), Value::from(1))],
                ..Default::default()
            };
            let e = expand_with(&yaml, "s.yaml", &bad).unwrap_err();
            assert!(e.to_string().contains("cannot be overridden"), "{e}");
        }
        let e = expand_with(&format!("{BASE}grid: {{seed: [0, 1]}}\nquick: {{seed: 0}}\n"), "s.yaml", &quick).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("quick.seed"));
        let claims = "claims: [{claim: C, metric: comm, faster: abs}, {claim: D, metric: time, faster: [abs], than: [abs]}]";
        let with = expand_with(
            &format!("{BASE}policies: [abs]\nfigure: {{title: T, reference: abs, {claims}}}\n"),
            "s.yaml",
            &Default::default(),
        )
        .unwrap();
        let fig = with.figure.unwrap();
        assert_eq!((fig.reference.as_deref(), fig.claims.len()), (Some("abs"), 2));
        assert_eq!(
            (fig.claims[0].metric, &fig.claims[0].faster, fig.claims[0].than.len()),
            (XAxis::Comm, &vec!["abs".to_string()], 0)
        );
        let e = expand(
            &format!("{BASE}policies: [abs]\nfigure: {{title: T, claims: [{{claim: C, metric: time, faster: abs, than: ada}}]}}\n"),
            "s.yaml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("`ada` is not a label"), "{e}");
        let e = expand(&format!("{BASE}figure: {{title: T, dynamics: [nope]}}\n"), "s.yaml").unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        let e = expand(&format!("{BASE}figure: {{title: T, panels: [rounds]}}\n"), "s.yaml").unwrap_err();
        assert!(e.to_string().contains("rounds"), "{e}");
    }

    #[test]
    fn policies_may_be_a_list_named_after_each_policy() {
        let listed = expand(
            &format!("{BASE}policies: [abs, adasync, {{policy: k_async, k: 2}}]\ngrid: {{seed: [0, 1]}}\n"),
            "s.yaml",
        )
        .unwrap();
        let named = expand(
            &format!("{BASE}policies: {{abs: abs, adasync: adasync, k_async: {{policy: k_async, k: 2}}}}\ngrid: {{seed: [0, 1]}}\n"),
            "s.yaml",
        )
        .unwrap();
        assert_eq!(listed, named, "a list is the mapping with each entry named after its policy");
        let labels: Vec<&str> = listed.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["abs", "abs", "adasync", "adasync", "k_async", "k_async"]);
        let e = expand(
            &format!("{BASE}policies: [abs, {{policy: k_async, k: 2}}, {{policy: k_async, k: 4}}]\n"),
            "s.yaml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("`k_async` is listed twice"), "{e}");
        let warned = expand(
            &format!("{BASE}policies: [abs, adasync]\nzip: [{{k0: [2, 4], zeta: [1, 2]}}]\n"),
            "s.yaml",
        )
        .unwrap();
        assert_eq!(
            ignored_key_warnings(&warned),
            ["policy entry `adasync`: key `zeta` is ignored by policy adasync (left out of the cell id)"]
        );
        let e = expand(&format!("{BASE}policies: [abs, {{k: 2}}]\n"), "s.yaml").unwrap_err();
        assert!(e.to_string().contains("item 1") && e.to_string().contains("policy: NAME"), "{e}");
    }

    /// A key a named method has its own default for (FedBuff's `k` and `sa_form`, FedAdam's
    /// `server_optimizer` and `server_lr`, ...), set in the base or a condition, would run that
    /// method as another under its label: refused before any cell, naming the file, the line, the
    /// key, the entries and what to do instead. Set where the method is named (its entry, or the
    /// base that names it), varied by the grid, or tuned, it is explicit and stays allowed.
    #[test]
    fn shared_keys_cannot_replace_a_named_methods_own_default() {
        let entries = "policies: {abs: abs, buff: fedbuff, ada: async_delay_adaptive, adam: fedadam}\n";
        let refused = [
            (
                format!("base:\n  model: analytic\n  max_rounds: 10\n  sa_form: inv\n{entries}"),
                ExpandOptions::default(),
                "base.sa_form",
                Some(4),
                vec![
                    "`sa_form`",
                    "`buff` (fedbuff, own default \"inv_sqrt_plus_one\")",
                    "`ada` (async_delay_adaptive, own default \"delay_adaptive\")",
                ],
            ),
            (
                format!("{BASE}{entries}conditions:\n  plain: {{}}\n  fast: {{server_lr: 0.1}}\n"),
                ExpandOptions::default(),
                "conditions.fast",
                Some(5),
                vec!["`server_lr`", "`adam` (fedadam, own default 0.01)"],
            ),
            (
                format!("{BASE}policies: [abs, fedbuff]\nconditions: {{a: {{k: 4}}, b: {{}}}}\n"),
                ExpandOptions::default(),
                "conditions.a",
                Some(3),
                vec!["`k`", "`fedbuff` (fedbuff, own default 10)"],
            ),
            (
                format!("{BASE}{entries}"),
                ExpandOptions {
                    overrides: vec![("server_optimizer".into(), Value::from("sgd"))],
                    ..Default::default()
                },
                "base.server_optimizer",
                None,
                vec!["the override", "`adam` (fedadam, own default \"adam\")"],
            ),
        ];
        for (yaml, options, key, line, needles) in refused {
            let e = expand_with(&yaml, "s.yaml", &options).unwrap_err();
            assert_eq!((e.key.as_deref(), e.line), (Some(key), line), "{yaml}\n{e}");
            let text = e.to_string();
            assert!(text.starts_with("s.yaml"), "{text}");
            for needle in needles.iter().chain(&["set it in the policy entry", "tune.grid."]) {
                assert!(text.contains(needle), "{needle} not in: {text}");
            }
            assert!(!text.contains("`abs`"), "abs has no own default there: {text}");
        }
        // explicit: in the entry, beside `policy` in the base, in the grid, over the entry's own
        // (the entry wins), for a method without an own default for the key
        for yaml in [
            format!("{BASE}policies: {{buff: {{policy: fedbuff, sa_form: inv, k: 4}}, adam: {{policy: fedadam, server_lr: 0.1}}}}\n"),
            "base: {model: analytic, max_rounds: 10, policy: fedbuff, k: 4, sa_form: inv}\nconditions: {a: {}, b: {lr: 0.2}}\n".to_string(),
            format!("{BASE}policies: [abs, fedbuff]\ngrid: {{k: [2, 4]}}\n"),
            "base: {model: analytic, max_rounds: 10, k: 4}\npolicies: {buff: {policy: fedbuff, k: 5}, k4: {policy: k_async}}\n".to_string(),
            format!("{BASE}policies: [abs, fedavgm, local_sgd]\nconditions: {{fast: {{server_lr: 2}}}}\n"),
        ] {
            let cells = expand(&yaml, "s.yaml").unwrap_or_else(|e| panic!("{yaml}\n{e}"));
            assert!(!cells.is_empty());
        }
        let cells = expand(&format!("{BASE}policies: {{buff: {{policy: fedbuff, sa_form: inv}}}}\n"), "s.yaml").unwrap();
        assert_eq!(cells[0].config.sa_form, abs_policies::SaForm::Inv);
        // tuned per series, under `all` or the entry's own grid
        let tuned = format!(
            "{BASE}policies: [abs, fedbuff, fedadam]\ngrid: {{seed: [0]}}\n\
             tune: {{seeds: [100, 101, 102], validation: 100, grid: {{all: {{lr: [0.1]}}, fedbuff: {{k: [2, 4]}}, fedadam: {{server_lr: [0.01, 0.1]}}}}}}\n"
        );
        expand_with(&tuned, "s.yaml", &ExpandOptions::default()).unwrap();
    }

    #[test]
    fn structural_mistakes_name_the_section_and_the_shape_expected() {
        for (yaml, key, needle) in [
            (format!("{BASE}policies: abs\n"), "policies", "a list of policies"),
            (format!("{BASE}grid: [workers, seed]\n"), "grid", "mapping of run keys to lists"),
            (format!("{BASE}grid:\n  seed: 3\n"), "grid.seed", "expected a list of values"),
            (format!("{BASE}zip: {{k0: [1, 2]}}\n"), "zip", "a list of groups"),
            (format!("{BASE}exclude: {{workers: 4}}\n"), "exclude", "a list of rules"),
            ("base: [model, analytic]\n".to_string(), "base", "a mapping of run keys"),
            (format!("{BASE}figure: {{title: T, colour: red}}\n"), "figure", "title: TEXT"),
        ] {
            let e = expand(&yaml, "s.yaml").unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{yaml}\n{e}");
            assert!(e.to_string().contains(needle) && e.line.is_some(), "{yaml}\n{e}");
        }
        let e = expand("- base\n", "s.yaml").unwrap_err();
        assert!(e.to_string().contains("expected a mapping of sections"), "{e}");
    }
}
