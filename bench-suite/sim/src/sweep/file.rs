//! A sweep file as written: its sections read from YAML in file order, each checked for its
//! shape, and errors that name the file, the section and the line.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

use super::figure::FigureMeta;
use super::tune::TuneSpec;
use crate::config::{ConfigError, RawConfig};

/// A YAML node that keeps the order of mapping keys (serde_json's maps sort them): the sweep's
/// grid, zip groups and policy entries are expanded in file order.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum Node {
    Map(IndexMap<String, Node>),
    List(Vec<Node>),
    Scalar(Value),
}

impl Node {
    fn into_value(self) -> Value {
        match self {
            Node::Map(m) => Value::Object(m.into_iter().map(|(k, v)| (k, v.into_value())).collect()),
            Node::List(l) => Value::Array(l.into_iter().map(Node::into_value).collect()),
            Node::Scalar(v) => v,
        }
    }

    /// What it is, for "found ..." in messages.
    fn kind(&self) -> String {
        match self {
            Node::Map(_) => "a mapping".into(),
            Node::List(_) => "a list".into(),
            Node::Scalar(v) => format!("`{v}`"),
        }
    }
}

/// The sections a sweep file may have, in the order the module docs give them.
const SECTIONS: [&str; 10] = [
    "base",
    "policies",
    "conditions",
    "grid",
    "zip",
    "exclude",
    "tune",
    "quick",
    "figure",
    "jobs_log",
];

/// A sweep file as written (see the module docs).
#[derive(Debug, Default)]
pub(super) struct SweepFile {
    pub(super) base: IndexMap<String, Value>,
    /// Entry name -> a policy name or a table of run keys.
    pub(super) policies: IndexMap<String, Value>,
    /// Condition name -> run keys laid over the base (one condition at a time, not crossed).
    pub(super) conditions: IndexMap<String, IndexMap<String, Value>>,
    pub(super) grid: IndexMap<String, Vec<Value>>,
    pub(super) zip: Vec<IndexMap<String, Vec<Value>>>,
    pub(super) exclude: Vec<IndexMap<String, Value>>,
    /// What `--quick` changes: run keys for the base, or a grid key with a shorter list.
    pub(super) quick: IndexMap<String, Value>,
    /// How `abs-bench figures` draws this sweep.
    pub(super) figure: Option<FigureMeta>,
    /// Whether every cell writes its job log.
    pub(super) jobs_log: bool,
    /// The tuning grid and seeds, when the sweep is tuned.
    pub(super) tune: Option<TuneSpec>,
}

/// Where a problem is, for messages: the file, and the line where `key` first appears.
pub(super) struct Origin<'a> {
    pub(super) path: &'a str,
    pub(super) source: &'a str,
    /// The content digest of each trace file read while expanding (the cells of a sweep share
    /// their traces: each is read once).
    pub(super) digests: std::cell::RefCell<std::collections::HashMap<std::path::PathBuf, String>>,
}

impl<'a> Origin<'a> {
    /// Where `source`, the text of the sweep file `path`, is read from.
    pub(super) fn new(path: &'a str, source: &'a str) -> Origin<'a> {
        Origin {
            path,
            source,
            digests: Default::default(),
        }
    }

    /// The content digest of the trace file `path` of the key `key`, read once per expansion.
    pub(super) fn trace_digest(&self, key: &'static str, path: &std::path::Path) -> Result<String, crate::engine::TraceError> {
        if let Some(d) = self.digests.borrow().get(path) {
            return Ok(d.clone());
        }
        let d = crate::config::trace_digest(key, path)?;
        self.digests.borrow_mut().insert(path.to_path_buf(), d.clone());
        Ok(d)
    }
}

impl Origin<'_> {
    pub(super) fn error(&self, key: Option<&str>, message: impl Into<String>) -> ConfigError {
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
    pub(super) fn layer(&self, section: &str, key: &str, value: &Value) -> Result<RawConfig, ConfigError> {
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

    pub(super) fn layers(&self, section: &str, entries: &IndexMap<String, Value>) -> Result<RawConfig, ConfigError> {
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

/// Reads sweep YAML into its sections, checking the shape of each: a structural mistake names the
/// section (and entry) it was reading and what shape is expected there.
pub(super) fn parse_sweep(o: &Origin) -> Result<SweepFile, ConfigError> {
    let mut file = SweepFile::default();
    if o.source.trim().is_empty() {
        return Ok(file);
    }
    let options = serde_saphyr::options! { non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString };
    let top: Node = serde_saphyr::from_str_with_options(o.source, options).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.lines().next().unwrap_or("invalid YAML").trim_start_matches("error: ");
        ConfigError::new(o.path, None, msg.to_string())
    })?;
    let Node::Map(sections) = top else {
        return Err(o.error(
            None,
            format!("expected a mapping of sections ({}); found {}", SECTIONS.join(", "), top.kind()),
        ));
    };
    for (section, node) in sections {
        match section.as_str() {
            "base" => file.base = o.mapping("base", node, "run keys, e.g. `base: {model: lenet, workers: 10}`")?,
            "policies" => file.policies = o.policy_entries(node)?,
            "conditions" => file.conditions = o.conditions(node)?,
            "grid" => file.grid = o.lists("grid", node)?,
            "zip" => {
                let groups = o.list("zip", node, "groups of lists, e.g. `zip: [{k0: [2, 4], zeta: [1, 2]}]`")?;
                file.zip = groups.into_iter().map(|g| o.lists("zip", g)).collect::<Result<_, _>>()?;
            }
            "exclude" => {
                let rules = o.list("exclude", node, "rules, e.g. `exclude: [{policy: abs, workers: 10}]`")?;
                let what = "keys and values, e.g. `{policy: abs, workers: 10}`";
                file.exclude = rules.into_iter().map(|r| o.mapping("exclude", r, what)).collect::<Result<_, _>>()?;
            }
            "jobs_log" => {
                file.jobs_log = match node {
                    Node::Scalar(Value::Bool(b)) => b,
                    other => return Err(o.error(Some("jobs_log"), format!("expected true or false; found {}", other.kind()))),
                }
            }
            "tune" => file.tune = Some(o.tune(node)?),
            "quick" => file.quick = o.mapping("quick", node, "run keys or shorter grid lists, e.g. `quick: {seed: [0, 1]}`")?,
            "figure" => {
                let figure = serde_json::from_value(node.into_value()).map_err(|e| {
                    o.error(
                        Some("figure"),
                        format!(
                            "{e}: expected `{{title: TEXT, panels: [time, comm], dynamics: [LABEL, ...], reference: LABEL, \
                             claims: [{{claim: TEXT, metric: time, faster: LABEL, than: [LABEL, ...]}}], \
                             timeline: {{series: [LABEL, ...], condition: NAME, seconds: S}}, curves: true, profile: true}}`"
                        ),
                    )
                })?;
                file.figure = Some(figure);
            }
            other => {
                return Err(o.error(Some(other), format!("unknown section, expected one of {}", SECTIONS.join(", "))));
            }
        }
    }
    Ok(file)
}

impl Origin<'_> {
    /// `node` as a mapping of keys to values; `what` says what its entries are.
    pub(super) fn mapping(&self, key: &str, node: Node, what: &str) -> Result<IndexMap<String, Value>, ConfigError> {
        match node {
            Node::Map(m) => Ok(m.into_iter().map(|(k, v)| (k, v.into_value())).collect()),
            other => Err(self.error(Some(key), format!("expected a mapping of {what}; found {}", other.kind()))),
        }
    }

    /// `node` as a list; `what` says what its items are.
    pub(super) fn list(&self, key: &str, node: Node, what: &str) -> Result<Vec<Node>, ConfigError> {
        match node {
            Node::List(l) => Ok(l),
            other => Err(self.error(Some(key), format!("expected a list of {what}; found {}", other.kind()))),
        }
    }

    /// `node` as keys that each take a list of values (`grid`, a `zip` group).
    pub(super) fn lists(&self, section: &str, node: Node) -> Result<IndexMap<String, Vec<Value>>, ConfigError> {
        let example = "e.g. `workers: [10, 20]`";
        let Node::Map(m) = node else {
            return Err(self.error(
                Some(section),
                format!(
                    "expected a mapping of run keys to lists of values, {example}; found {}",
                    node.kind()
                ),
            ));
        };
        m.into_iter()
            .map(|(k, v)| match v {
                Node::List(l) => Ok((k, l.into_iter().map(Node::into_value).collect())),
                other => Err(self.error(
                    Some(&format!("{section}.{k}")),
                    format!("expected a list of values, {example}; found {}", other.kind()),
                )),
            })
            .collect()
    }

    /// `tune`: `{seeds: [S, ...], validation: N, grid: {SERIES: {KEY: [V, ...]}}, halving: {rungs, eta,
    /// keep}, extend: E}`, SERIES a policy entry or `all`.
    pub(super) fn tune(&self, node: Node) -> Result<TuneSpec, ConfigError> {
        let shape = "`tune: {seeds: [100, 101, 102], validation: 5000, grid: {all: {lr: [0.05, 0.1]}, fedbuff: {k: [5, 10]}}}`";
        let Node::Map(m) = node else {
            return Err(self.error(Some("tune"), format!("expected {shape}; found {}", node.kind())));
        };
        let mut spec = TuneSpec::default();
        let mut has_grid = false;
        for (k, v) in m {
            match k.as_str() {
                "seeds" => {
                    let items = self.list("tune.seeds", v, "seeds, e.g. `seeds: [100, 101]`")?;
                    for item in items {
                        match item {
                            Node::Scalar(Value::Number(n)) if n.as_u64().is_some() => spec.seeds.push(n.as_u64().unwrap_or_default()),
                            other => {
                                return Err(self.error(Some("tune.seeds"), format!("expected whole numbers >= 0; found {}", other.kind())));
                            }
                        }
                    }
                }
                "grid" => {
                    has_grid = true;
                    let Node::Map(series) = v else {
                        return Err(self.error(
                            Some("tune.grid"),
                            format!(
                                "expected a mapping of series to run keys and lists, as in {shape}; found {}",
                                v.kind()
                            ),
                        ));
                    };
                    for (name, keys) in series {
                        spec.grid.insert(name.clone(), self.lists(&format!("tune.{name}"), keys)?);
                    }
                }
                "validation" => spec.validation = self.holdout(v)?,
                "extend" => spec.extend = self.whole("tune.extend", v, 10)? as u32,
                "halving" => {
                    let Node::Map(h) = v else {
                        return Err(self.error(
                            Some("tune.halving"),
                            format!(
                                "expected a mapping, e.g. `halving: {{rungs: 3, eta: 3, keep: 2}}`; found {}",
                                v.kind()
                            ),
                        ));
                    };
                    for (hk, hv) in h {
                        let key = format!("tune.halving.{hk}");
                        match hk.as_str() {
                            "rungs" => spec.halving.rungs = self.whole(&key, hv, 10)? as u32,
                            "eta" => spec.halving.eta = self.whole(&key, hv, 100)? as u32,
                            "keep" => spec.halving.keep = self.whole(&key, hv, 1000)? as usize,
                            other => {
                                return Err(self.error(
                                    Some("tune.halving"),
                                    format!("unknown key `{other}`: expected `rungs`, `eta` and `keep`"),
                                ));
                            }
                        }
                    }
                }
                other => {
                    return Err(self.error(
                        Some(&format!("tune.{other}")),
                        format!("unknown key `{other}`: expected `seeds`, `validation`, `grid`, `halving` and `extend`, as in {shape}"),
                    ));
                }
            }
        }
        if !has_grid {
            return Err(self.error(Some("tune"), format!("has no `grid`: expected {shape}")));
        }
        Ok(spec)
    }

    /// `tune.validation`: a count of training samples, or a share of them in (0, 1).
    fn holdout(&self, node: Node) -> Result<crate::validation::Holdout, ConfigError> {
        let what = "expected a count of training samples (e.g. `5000`) or a share of them in (0, 1) (e.g. `0.1`)";
        match node {
            Node::Scalar(v) => {
                serde_json::from_value(v.clone()).map_err(|_| self.error(Some("tune.validation"), format!("value {v}: {what}")))
            }
            other => Err(self.error(Some("tune.validation"), format!("{what}; found {}", other.kind()))),
        }
    }

    /// `node` as a whole number in 0..=`max`.
    fn whole(&self, key: &str, node: Node, max: u64) -> Result<u64, ConfigError> {
        match node {
            Node::Scalar(Value::Number(n)) if n.as_u64().is_some_and(|v| v <= max) => Ok(n.as_u64().unwrap_or_default()),
            Node::Scalar(v) => Err(self.error(Some(key), format!("value {v} is not allowed: expected a whole number in 0..={max}"))),
            other => Err(self.error(Some(key), format!("expected a whole number in 0..={max}; found {}", other.kind()))),
        }
    }

    /// `conditions`: a mapping of condition names to tables of run keys.
    pub(super) fn conditions(&self, node: Node) -> Result<IndexMap<String, IndexMap<String, Value>>, ConfigError> {
        let what = "condition names to run keys, e.g. `conditions: {base: {}, homogeneous: {compute_time: {model: constant, value: 1}}}`";
        let Node::Map(m) = node else {
            return Err(self.error(Some("conditions"), format!("expected a mapping of {what}; found {}", node.kind())));
        };
        m.into_iter()
            .map(|(name, table)| {
                let table = match table {
                    // `name: {}` and `name:` (null) both mean the base itself
                    Node::Scalar(Value::Null) => IndexMap::new(),
                    other => self.mapping(&format!("conditions.{name}"), other, what)?,
                };
                Ok((name, table))
            })
            .collect()
    }

    /// `policies`: a mapping of entry names to policies (a name or a table of run keys with
    /// `policy`), or a list of them, each entry named after its policy.
    pub(super) fn policy_entries(&self, node: Node) -> Result<IndexMap<String, Value>, ConfigError> {
        let shape = "expected a mapping of entry names to policies (`policies: {abs: abs, k2: {policy: k_async, k: 2}}`) \
                     or a list of policies (`policies: [abs, adasync, {policy: k_async, k: 2}]`)";
        match node {
            Node::Map(m) => Ok(m.into_iter().map(|(k, v)| (k, v.into_value())).collect()),
            Node::List(items) => {
                let mut entries = IndexMap::new();
                for (i, item) in items.into_iter().enumerate() {
                    let value = item.into_value();
                    let name = match &value {
                        Value::String(s) => s.clone(),
                        Value::Object(m) => match m.get("policy") {
                            Some(Value::String(s)) => s.clone(),
                            _ => {
                                return Err(self.error(
                                    Some("policies"),
                                    format!("item {i} is a table without a policy name: give it `policy: NAME`, or name the entries with a mapping"),
                                ));
                            }
                        },
                        other => return Err(self.error(Some("policies"), format!("item {i} is `{other}`: {shape}"))),
                    };
                    if entries.insert(name.clone(), value).is_some() {
                        return Err(self.error(
                            Some("policies"),
                            format!("`{name}` is listed twice: name the entries with a mapping, e.g. `policies: {{{name}_a: ..., {name}_b: ...}}`"),
                        ));
                    }
                }
                Ok(entries)
            }
            other => Err(self.error(Some("policies"), format!("{shape}; found {}", other.kind()))),
        }
    }
}
