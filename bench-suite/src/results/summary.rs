//! What each cell reached, and the summary over seeds per policy and grid point.

use polars::prelude::*;

use super::load::Loaded;
use abs_sim::catalog::DatasetName;
use abs_sim::sweep::HOLD_MARGIN;

/// A cell's data set's default target accuracy, by its `dataset` column.
fn dataset_target() -> Expr {
    let mut e = lit(NULL).cast(DataType::Float64);
    for d in DatasetName::ALL {
        e = when(col("dataset").eq(lit(d.name())))
            .then(lit(d.default_target(false)))
            .otherwise(e);
    }
    e
}

/// Which target [`cell_metrics`] uses without `--target`, in words: "each cell's
/// target_accuracy", "fashion_mnist's default 0.8", or both.
pub fn default_target_used(loaded: &Loaded) -> String {
    let set = loaded
        .cells
        .column("target_accuracy")
        .ok()
        .and_then(|c| c.cast(&DataType::Float64).ok());
    let datasets = loaded.cells.column("dataset").ok().and_then(|c| c.str().ok().cloned());
    let (mut own, mut defaults) = (0usize, Vec::<String>::new());
    for i in 0..loaded.cells.height() {
        let has_own = set.as_ref().and_then(|c| c.f64().ok()).and_then(|c| c.get(i)).is_some();
        if has_own {
            own += 1;
            continue;
        }
        let name = datasets.as_ref().and_then(|c| c.get(i)).unwrap_or("?");
        let line = match DatasetName::from_name(name) {
            Some(d) => format!("the {name} default {}", d.default_target(false)),
            None => format!("none (data set {name})"),
        };
        if !defaults.contains(&line) {
            defaults.push(line);
        }
    }
    let mut parts = Vec::new();
    if own > 0 {
        parts.push(format!("the cell's own target_accuracy ({own} cells)"));
    }
    parts.extend(defaults);
    parts.join("; ")
}

/// One row per cell: `cell`, `rounds`, `final_time`, `final_comm`, `final_uploads`,
/// `final_accuracy`, `best_accuracy`, `max_drop` (the deepest fall of test accuracy below its best
/// so far: how far the run dipped), `target`, the first `time_to_target`, `comm_to_target`,
/// `uploads_to_target`, `rounds_to_target` at an evaluation with test accuracy >= target (null
/// when never reached), and `held`: whether the run reached the target and then held it to its end
/// (no later evaluation more than [`HOLD_MARGIN`] below the target, no divergence; null when it
/// never reached it). The target is `target` when given, else each cell's `target_accuracy`, else
/// its data set's default ([`DatasetName::default_target`], as `figures` uses).
pub fn cell_metrics(loaded: &Loaded, target: Option<f64>) -> PolarsResult<LazyFrame> {
    let target = match target {
        Some(t) => lit(t),
        None => col("target_accuracy").cast(DataType::Float64).fill_null(dataset_target()),
    };
    let targets = loaded.cells.clone().lazy().select([col("cell"), target.alias("target")]);
    let hit = col("test_accuracy").gt_eq(col("target"));
    let by_round = || SortMultipleOptions::default();
    let metrics = loaded
        .evals()?
        .join(targets, [col("cell")], [col("cell")], JoinArgs::new(JoinType::Left))
        .group_by_stable([col("cell")])
        .agg([
            col("round").max().alias("rounds"),
            col("time").max().alias("final_time"),
            col("comm").max().alias("final_comm"),
            col("uploads").max().alias("final_uploads"),
            col("test_accuracy")
                .sort_by([col("round")], by_round())
                .last()
                .alias("final_accuracy"),
            col("test_accuracy").max().alias("best_accuracy"),
            col("target").first().alias("target"),
            col("time").filter(hit.clone()).min().alias("time_to_target"),
            col("comm").filter(hit.clone()).min().alias("comm_to_target"),
            col("uploads").filter(hit.clone()).min().alias("uploads_to_target"),
            col("round").filter(hit.clone()).min().alias("rounds_to_target"),
            // the lowest accuracy from the first hit on: how far the run fell back after it
            col("test_accuracy")
                .filter(col("time").gt_eq(col("time").filter(hit).min()))
                .min()
                .alias("lowest_after_target"),
        ]);
    // the cells' order (the sweep's) carries through to summaries
    let mut keep_order = JoinArgs::new(JoinType::Left);
    keep_order.maintain_order = MaintainOrderJoin::Left;
    let cells = loaded
        .cells
        .clone()
        .lazy()
        .join(metrics, [col("cell")], [col("cell")], keep_order.clone());
    let held = when(col("time_to_target").is_null())
        .then(lit(NULL).cast(DataType::Boolean))
        .otherwise(
            col("lowest_after_target")
                .gt_eq(col("target") - lit(HOLD_MARGIN))
                .and(col("stop_reason").neq(lit("diverged"))),
        );
    Ok(cells
        .join(max_drops(loaded)?.lazy(), [col("cell")], [col("cell")], keep_order)
        .with_column(held.alias("held"))
        .drop(cols(["lowest_after_target"])))
}

/// Per cell, the deepest fall of test accuracy below the best evaluation before it.
fn max_drops(loaded: &Loaded) -> PolarsResult<DataFrame> {
    let evals = loaded
        .evals()?
        .select([col("cell"), col("round"), col("test_accuracy")])
        .sort(["cell", "round"], SortMultipleOptions::default())
        .collect()?;
    let (cells, accuracy) = (evals.column("cell")?.str()?, evals.column("test_accuracy")?.f64()?);
    let mut ids: Vec<String> = Vec::new();
    let mut drops: Vec<f64> = Vec::new();
    let mut best = f64::NEG_INFINITY;
    for (cell, acc) in cells.iter().zip(accuracy.iter()) {
        let (Some(cell), Some(acc)) = (cell, acc) else {
            continue;
        };
        if ids.last().map(String::as_str) != Some(cell) {
            ids.push(cell.to_string());
            drops.push(0.0);
            best = f64::NEG_INFINITY;
        }
        best = best.max(acc);
        if let Some(d) = drops.last_mut() {
            *d = d.max(best - acc);
        }
    }
    df!("cell" => ids, "max_drop" => drops)
}

/// The columns a summary groups by: the label, the condition (when the sweep has conditions), then
/// every config key that varies except `seed`.
pub fn group_keys(loaded: &Loaded) -> Vec<String> {
    let conditions = loaded
        .cells
        .column("condition")
        .ok()
        .and_then(|c| c.str().ok().map(|s| s.iter().any(|v| v.is_some_and(|v| !v.is_empty()))))
        .unwrap_or(false);
    std::iter::once("label".to_string())
        .chain(conditions.then(|| "condition".to_string()))
        .chain(loaded.varying.iter().filter(|k| *k != "seed").cloned())
        .collect()
}

/// Per label and grid point (seeds pooled): `seeds`, `reached` (seeds that hit the target), `held`
/// (those that then held it to the end of the run), mean and
/// sample sd of final accuracy, of time and comm to target over the seeds that reached it, and of
/// `max_drop`.
pub fn summarize(loaded: &Loaded, target: Option<f64>) -> PolarsResult<DataFrame> {
    let keys: Vec<Expr> = group_keys(loaded).iter().map(|k| col(k.as_str())).collect();
    let mean_sd = |name: &str| {
        [
            col(name).mean().alias(format!("{name}_mean")),
            col(name).std(1).alias(format!("{name}_sd")),
        ]
    };
    let mut aggs = vec![
        len().alias("seeds"),
        col("time_to_target").count().alias("reached"),
        col("held").cast(DataType::UInt32).sum().alias("held"),
    ];
    aggs.extend(mean_sd("final_accuracy"));
    aggs.extend(mean_sd("time_to_target"));
    aggs.extend(mean_sd("comm_to_target"));
    aggs.extend(mean_sd("max_drop"));
    cell_metrics(loaded, target)?.group_by_stable(keys).agg(aggs).collect()
}

/// Renders a frame as an aligned text table: whole numbers without decimals, others to 4 places,
/// nulls as `-`.
pub fn format_table(df: &DataFrame) -> String {
    let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    let mut rows: Vec<Vec<String>> = vec![names];
    for i in 0..df.height() {
        rows.push(df.columns().iter().map(|c| cell_text(c.get(i).unwrap_or(AnyValue::Null))).collect());
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|j| rows.iter().map(|r| r[j].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(&widths)
                .map(|(s, w)| format!("{s:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn cell_text(v: AnyValue) -> String {
    let float = |x: f64| {
        if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
            format!("{x:.0}")
        } else {
            format!("{x:.4}")
        }
    };
    match v {
        AnyValue::Null => "-".to_string(),
        AnyValue::Float64(x) => float(x),
        AnyValue::Float32(x) => float(x as f64),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        other => other.to_string(),
    }
}
