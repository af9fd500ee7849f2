//! Paired comparisons as text and frames: a compact table for people, every number for CSV.

use polars::prelude::*;

use crate::results::ComparisonRow;
use abs_sim::stats::{Comparison, Estimate};

/// `1.12 [0.95, 1.31]`, or `-` when undefined.
pub fn interval_text(e: Option<Estimate>, digits: usize) -> String {
    e.map_or("-".to_string(), |e| {
        format!("{:.digits$} [{:.digits$}, {:.digits$}]", e.value, e.lo, e.hi)
    })
}

/// The ratio with its interval and the verdict word: `0.81 [0.70, 0.93] faster`.
pub fn ratio_and_verdict(c: &Comparison) -> String {
    format!("{} {}", interval_text(c.ratio, 2), c.verdict.word())
}

/// `7/10 vs 10/10`: seeds that reached the target, series then reference.
pub fn reached_text(c: &Comparison) -> String {
    format!("{}/{} vs {}/{}", c.series_reached, c.seeds, c.reference_reached, c.seeds)
}

/// The compact table `abs-bench results --compare` prints: one row per series, condition and point.
pub fn compact_frame(rows: &[ComparisonRow]) -> PolarsResult<DataFrame> {
    let text = |f: &dyn Fn(&ComparisonRow) -> String| Column::new("".into(), rows.iter().map(f).collect::<Vec<_>>());
    let mut columns = vec![text(&|r| format!("{} / {}", r.series, r.reference)).with_name("series / reference".into())];
    if rows.iter().any(|r| !r.condition.is_empty()) {
        columns.push(text(&|r| r.condition.clone()).with_name("condition".into()));
    }
    if rows.iter().any(|r| !r.point.is_empty()) {
        columns.push(text(&|r| r.point.clone()).with_name("point".into()));
    }
    columns.extend([
        text(&|r| reached_text(&r.time)).with_name("reached".into()),
        text(&|r| ratio_and_verdict(&r.time)).with_name("time ratio [95% CI]".into()),
        text(&|r| ratio_and_verdict(&r.comm)).with_name("comm ratio [95% CI]".into()),
        text(&|r| ratio_and_verdict(&r.uploads)).with_name("uploads ratio [95% CI]".into()),
    ]);
    DataFrame::new_infer_height(columns)
}

/// Every number of every row (for CSV): per metric the geometric-mean ratio and the mean
/// difference with their intervals, the verdict, and the per-seed ratios.
pub fn full_frame(rows: &[ComparisonRow]) -> PolarsResult<DataFrame> {
    let mut columns = vec![
        Column::new("series".into(), rows.iter().map(|r| r.series.clone()).collect::<Vec<_>>()),
        Column::new("reference".into(), rows.iter().map(|r| r.reference.clone()).collect::<Vec<_>>()),
        Column::new("condition".into(), rows.iter().map(|r| r.condition.clone()).collect::<Vec<_>>()),
        Column::new("point".into(), rows.iter().map(|r| r.point.clone()).collect::<Vec<_>>()),
        Column::new("seeds".into(), rows.iter().map(|r| r.time.seeds as u32).collect::<Vec<_>>()),
        Column::new("unpaired_seeds".into(), rows.iter().map(|r| r.unpaired as u32).collect::<Vec<_>>()),
        Column::new(
            "series_reached".into(),
            rows.iter().map(|r| r.time.series_reached as u32).collect::<Vec<_>>(),
        ),
        Column::new(
            "reference_reached".into(),
            rows.iter().map(|r| r.time.reference_reached as u32).collect::<Vec<_>>(),
        ),
    ];
    for (name, get) in [
        ("time", (|r: &ComparisonRow| &r.time) as fn(&ComparisonRow) -> &Comparison),
        ("comm", |r| &r.comm),
        ("uploads", |r| &r.uploads),
    ] {
        columns.extend(metric_columns(name, rows, get));
    }
    DataFrame::new_infer_height(columns)
}

fn metric_columns(name: &str, rows: &[ComparisonRow], get: fn(&ComparisonRow) -> &Comparison) -> Vec<Column> {
    let num = |suffix: &str, f: &dyn Fn(&Comparison) -> Option<f64>| {
        Column::new(
            format!("{name}_{suffix}").into(),
            rows.iter().map(|r| f(get(r))).collect::<Vec<_>>(),
        )
    };
    vec![
        num("ratio", &|c| c.ratio.map(|e| e.value)),
        num("ratio_lo", &|c| c.ratio.map(|e| e.lo)),
        num("ratio_hi", &|c| c.ratio.map(|e| e.hi)),
        num("difference", &|c| c.difference.map(|e| e.value)),
        num("difference_lo", &|c| c.difference.map(|e| e.lo)),
        num("difference_hi", &|c| c.difference.map(|e| e.hi)),
        Column::new(
            format!("{name}_censored").into(),
            rows.iter().map(|r| get(r).censored as u32).collect::<Vec<_>>(),
        ),
        Column::new(
            format!("{name}_verdict").into(),
            rows.iter().map(|r| get(r).verdict.word()).collect::<Vec<_>>(),
        ),
        Column::new(
            format!("{name}_ratio_per_seed").into(),
            rows.iter()
                .map(|r| {
                    get(r)
                        .ratios
                        .iter()
                        .map(|x| x.map_or("-".to_string(), |x| format!("{x:.4}")))
                        .collect::<Vec<_>>()
                        .join(";")
                })
                .collect::<Vec<_>>(),
        ),
    ]
}
