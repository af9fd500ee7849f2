//! The core's border: nothing abs-sim depends on, directly or not, may be a tensor library, a data
//! frame or a plotting crate. Read from the workspace's Cargo.lock, which lists every package with
//! its dependencies.

use std::collections::{BTreeMap, BTreeSet};

const FORBIDDEN: [&str; 5] = ["burn", "polars", "plotters", "cubecl", "wgpu"];

/// Package name -> names of its dependencies, from the lock file's `[[package]]` tables.
fn lock_graph(lock: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    for table in lock.split("[[package]]").skip(1) {
        let mut name = None;
        let mut deps = BTreeSet::new();
        let mut in_deps = false;
        for line in table.lines().map(str::trim) {
            if let Some(v) = line.strip_prefix("name = ") {
                name = Some(v.trim_matches('"').to_string());
            } else if line.starts_with("dependencies = [") {
                in_deps = true;
            } else if in_deps && line == "]" {
                in_deps = false;
            } else if in_deps {
                // `"name"` or `"name version"` when several versions are locked
                let entry = line.trim_end_matches(',').trim_matches('"');
                deps.insert(entry.split(' ').next().unwrap_or(entry).to_string());
            }
        }
        if let Some(n) = name {
            graph.entry(n).or_insert_with(BTreeSet::new).extend(deps);
        }
    }
    graph
}

/// Every package `root` depends on, itself included.
fn reach(graph: &BTreeMap<String, BTreeSet<String>>, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![root.to_string()];
    while let Some(p) = todo.pop() {
        if seen.insert(p.clone()) {
            todo.extend(graph.get(&p).into_iter().flatten().cloned());
        }
    }
    seen
}

fn forbidden(packages: &BTreeSet<String>) -> Vec<&String> {
    packages
        .iter()
        .filter(|p| FORBIDDEN.iter().any(|f| p.as_str() == *f || p.starts_with(&format!("{f}-"))))
        .collect()
}

#[test]
fn the_core_depends_on_no_tensor_frame_or_plotting_crate() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock")).unwrap();
    let graph = lock_graph(&lock);
    // the walk sees what it should: the Burn side does reach burn, the core reaches its own deps
    assert!(forbidden(&reach(&graph, "abs-models")).iter().any(|p| p.as_str() == "burn"));
    let core = reach(&graph, "abs-sim");
    assert!(core.contains("abs-policies") && core.contains("serde"), "{core:?}");
    assert!(forbidden(&core).is_empty(), "abs-sim reaches {:?}", forbidden(&core));
}
