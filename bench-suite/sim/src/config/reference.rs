//! The reference table of run-config keys (docs/config.md), generated from their declarations.

use abs_policies::PolicyName;

use super::declare::Scope;
use super::keys::RawConfig;

/// docs/config.md: every key with its type, default, scope and meaning.
pub fn reference_table() -> String {
    let mut out = String::from(
        "# Run-config keys\n\n\
         Generated from the declarations in `bench-suite/sim/src/config/keys.rs` (the test \
         `config_reference_is_current` fails when this file is stale; `ABS_UPDATE_DOCS=1 cargo test -p abs-sim \
         config_reference` rewrites it). A run config is a YAML mapping of these keys; unknown keys are refused. \
         A sweep's `base`, policy entries, `grid` and `zip` take the same keys. \
         Where a named policy has its own default (its paper's), the default column gives it after the \
         key's; a sweep sets such a key for that policy only where it is explicit (its policy entry, the grid, its \
         tuning grid), never in its `base` or a condition, which would run another method under the policy's label (refused \
         before any work; semantics.md, section 7, \"Own defaults in a sweep\"). The section of \
         [semantics.md](semantics.md) in the last column says what each one does to the simulation.\n\n\
         A key that the chosen policy or model does not read (`zeta` with `adasync`, `kernels` with `mlp`) is \
         accepted with a warning naming it, and takes its default in the resolved config, so it enters neither \
         the manifest nor the cell id (semantics.md, section 11, \"Cell identity\"); so does `workers` in a \
         population with its own `concurrency`. A trace a config names (`compute_time`, `availability`, \
         `network`) enters the id by its content, not its path.\n\n\
         | key | type | default | allowed | read by | meaning | section |\n|---|---|---|---|---|---|---|\n",
    );
    let own = policy_defaults();
    for d in RawConfig::docs() {
        let mut default = d.default.map_or("none".to_string(), |v| format!("`{v}`"));
        for (name, value) in own.iter().filter_map(|(name, layer)| Some((name, layer.get(d.key)?))) {
            default.push_str(&format!("; {name}: `{value}`"));
        }
        let scope = match d.scope {
            Scope::All => "every run".to_string(),
            Scope::Only(what, _) => what.to_string(),
            Scope::Policy => readers(d.key),
        };
        out.push_str(&format!(
            "| `{}` | `{}` | {default} | {} | {scope} | {} | {} |\n",
            d.key,
            d.ty.replace(' ', ""),
            d.allowed.unwrap_or("any value of the type").replace('|', "\\|"),
            d.doc.replace('|', "\\|"),
            d.section
        ));
    }
    out
}

/// Each named policy's own defaults that differ from the declared ones, as JSON by key.
fn policy_defaults() -> Vec<(&'static str, serde_json::Map<String, serde_json::Value>)> {
    let json = |layer: &RawConfig| match serde_json::to_value(layer) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let declared = json(&RawConfig::defaults());
    PolicyName::ALL
        .into_iter()
        .map(|name| {
            let mut own = json(&RawConfig::defaults_for(&abs_policies::PolicySpec::Named(name)));
            own.retain(|key, value| declared.get(key) != Some(value));
            (name.as_str(), own)
        })
        .filter(|(_, own)| !own.is_empty())
        .collect()
}

/// The named policies that read policy parameter `key`.
fn readers(key: &str) -> String {
    let names: Vec<&str> = PolicyName::ALL
        .into_iter()
        .filter(|p| p.knobs().reads().contains(&key))
        .map(PolicyName::as_str)
        .collect();
    format!("policies {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reference_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/config.md");
        let table = reference_table();
        if std::env::var_os("ABS_UPDATE_DOCS").is_some() {
            std::fs::write(path, &table).unwrap();
        }
        let written = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            written == table,
            "docs/config.md is stale: run `ABS_UPDATE_DOCS=1 cargo test -p abs-sim config_reference`"
        );
        for key in RawConfig::KEYS {
            assert!(table.contains(&format!("| `{key}` |")), "{key}");
        }
    }
}
