//! The summary tables: per figure and series, time and comm to the target accuracy (mean and sd over
//! the seeds that reached it, and the ratio to ABS), final accuracy, and seeds that reached the target.

use polars::prelude::*;

/// One line of the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub figure: String,
    pub series: String,
    pub seeds: u32,
    pub reached: u32,
    pub target: f64,
    pub time_mean: Option<f64>,
    pub time_sd: Option<f64>,
    pub comm_mean: Option<f64>,
    pub comm_sd: Option<f64>,
    /// Mean time (comm) to target over ABS's mean time (comm) to target in the same figure.
    pub time_vs_abs: Option<f64>,
    pub comm_vs_abs: Option<f64>,
    pub final_accuracy_mean: f64,
    pub final_accuracy_sd: Option<f64>,
}

/// The rows of one figure from a `results::summarize` frame; `names` gives each row's series name.
/// The ABS reference is the series named `abs`.
pub fn rows_from_summary(figure: &str, summary: &DataFrame, names: &[String], target: f64) -> PolarsResult<Vec<SummaryRow>> {
    let f = |name: &str| -> PolarsResult<Vec<Option<f64>>> { Ok(summary.column(name)?.cast(&DataType::Float64)?.f64()?.iter().collect()) };
    let (seeds, reached) = (f("seeds")?, f("reached")?);
    let (acc, acc_sd) = (f("final_accuracy_mean")?, f("final_accuracy_sd")?);
    let (time, time_sd) = (f("time_to_target_mean")?, f("time_to_target_sd")?);
    let (comm, comm_sd) = (f("comm_to_target_mean")?, f("comm_to_target_sd")?);
    let abs = names.iter().position(|n| n == "abs");
    let ratio = |v: &[Option<f64>], i: usize| match (v[i], abs.and_then(|a| v[a])) {
        (Some(x), Some(r)) if r > 0.0 => Some(x / r),
        _ => None,
    };
    Ok((0..summary.height())
        .map(|i| SummaryRow {
            figure: figure.to_string(),
            series: names[i].clone(),
            seeds: seeds[i].unwrap_or(0.0) as u32,
            reached: reached[i].unwrap_or(0.0) as u32,
            target,
            time_mean: time[i],
            time_sd: time_sd[i],
            comm_mean: comm[i],
            comm_sd: comm_sd[i],
            time_vs_abs: ratio(&time, i),
            comm_vs_abs: ratio(&comm, i),
            final_accuracy_mean: acc[i].unwrap_or(f64::NAN),
            final_accuracy_sd: acc_sd[i],
        })
        .collect())
}

fn pm(mean: Option<f64>, sd: Option<f64>, digits: usize) -> String {
    match (mean, sd) {
        (Some(m), Some(s)) => format!("{m:.digits$} ± {s:.digits$}"),
        (Some(m), None) => format!("{m:.digits$}"),
        _ => "not reached".to_string(),
    }
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".to_string(), |x| format!("{x:.digits$}"))
}

/// The Markdown table of one figure's rows.
pub fn markdown(rows: &[SummaryRow]) -> String {
    let mut s = String::from(
        "| series | reached target | time to target (s) | time / ABS | comm to target | comm / ABS | final accuracy |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {}/{} | {} | {} | {} | {} | {} |\n",
            r.series,
            r.reached,
            r.seeds,
            pm(r.time_mean, r.time_sd, 1),
            opt(r.time_vs_abs, 2),
            pm(r.comm_mean, r.comm_sd, 0),
            opt(r.comm_vs_abs, 2),
            pm(Some(r.final_accuracy_mean), r.final_accuracy_sd, 4),
        ));
    }
    s
}

/// Every row as a frame (for CSV): numbers as numbers, missing as null.
pub fn frame(rows: &[SummaryRow]) -> PolarsResult<DataFrame> {
    let col = |f: fn(&SummaryRow) -> Option<f64>| rows.iter().map(f).collect::<Vec<Option<f64>>>();
    df!(
        "figure" => rows.iter().map(|r| r.figure.clone()).collect::<Vec<_>>(),
        "series" => rows.iter().map(|r| r.series.clone()).collect::<Vec<_>>(),
        "seeds" => rows.iter().map(|r| r.seeds).collect::<Vec<_>>(),
        "reached" => rows.iter().map(|r| r.reached).collect::<Vec<_>>(),
        "target_accuracy" => rows.iter().map(|r| r.target).collect::<Vec<_>>(),
        "time_to_target_mean" => col(|r| r.time_mean),
        "time_to_target_sd" => col(|r| r.time_sd),
        "time_vs_abs" => col(|r| r.time_vs_abs),
        "comm_to_target_mean" => col(|r| r.comm_mean),
        "comm_to_target_sd" => col(|r| r.comm_sd),
        "comm_vs_abs" => col(|r| r.comm_vs_abs),
        "final_accuracy_mean" => col(|r| Some(r.final_accuracy_mean)),
        "final_accuracy_sd" => col(|r| r.final_accuracy_sd),
    )
}
