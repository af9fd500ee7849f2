//! The summary tables: per figure and series, time and comm to the target, each series against the
//! figure's reference seed by seed (ratio with its 95% interval and a verdict), final accuracy; and
//! per condition of a conditions sweep, one line against the reference.

use polars::prelude::*;

use super::comparisons::{interval_text, reached_text};
use crate::results::ComparisonRow;
use abs_sim::stats::Comparison;

/// One line of the summary: a series (at one condition) of one figure.
#[derive(Debug, Clone)]
pub struct SummaryRow {
    pub figure: String,
    pub series: String,
    /// The sweep's condition (empty without conditions).
    pub condition: String,
    pub seeds: u32,
    pub reached: u32,
    /// Seeds that reached the target and held it to the end of the run (no fall of more than
    /// `HOLD_MARGIN` below it, no divergence).
    pub held: u32,
    pub target: f64,
    /// Mean and sample sd over the seeds that reached the target.
    pub time_mean: Option<f64>,
    pub time_sd: Option<f64>,
    pub comm_mean: Option<f64>,
    pub comm_sd: Option<f64>,
    pub final_accuracy_mean: f64,
    pub final_accuracy_sd: Option<f64>,
    /// Mean and sd over seeds of the deepest fall of test accuracy below its best so far.
    pub max_drop_mean: Option<f64>,
    pub max_drop_sd: Option<f64>,
    /// The series it is compared with, and the comparison (None for the reference itself, or when
    /// the figure has no reference series).
    pub reference: String,
    pub versus: Option<ComparisonRow>,
}

/// The rows of one figure from a `results::summarize` frame; `names` gives each row's series
/// name, `keys` (label, condition, point) the comparison that belongs to each row.
pub fn rows_from_summary(
    figure: &str,
    summary: &DataFrame,
    names: &[String],
    keys: &[(String, String, String)],
    comparisons: &[ComparisonRow],
    reference: &str,
    target: f64,
) -> PolarsResult<Vec<SummaryRow>> {
    let f = |name: &str| -> PolarsResult<Vec<Option<f64>>> { Ok(summary.column(name)?.cast(&DataType::Float64)?.f64()?.iter().collect()) };
    let (seeds, reached, held) = (f("seeds")?, f("reached")?, f("held")?);
    let (acc, acc_sd) = (f("final_accuracy_mean")?, f("final_accuracy_sd")?);
    let (time, time_sd) = (f("time_to_target_mean")?, f("time_to_target_sd")?);
    let (comm, comm_sd) = (f("comm_to_target_mean")?, f("comm_to_target_sd")?);
    let (drop, drop_sd) = (f("max_drop_mean")?, f("max_drop_sd")?);
    Ok((0..summary.height())
        .map(|i| {
            let (label, condition, point) = &keys[i];
            let versus = comparisons
                .iter()
                .find(|c| &c.series == label && &c.condition == condition && &c.point == point)
                .cloned();
            SummaryRow {
                figure: figure.to_string(),
                series: names[i].clone(),
                condition: condition.clone(),
                seeds: seeds[i].unwrap_or(0.0) as u32,
                reached: reached[i].unwrap_or(0.0) as u32,
                held: held[i].unwrap_or(0.0) as u32,
                target,
                time_mean: time[i],
                time_sd: time_sd[i],
                comm_mean: comm[i],
                comm_sd: comm_sd[i],
                final_accuracy_mean: acc[i].unwrap_or(f64::NAN),
                final_accuracy_sd: acc_sd[i],
                max_drop_mean: drop[i],
                max_drop_sd: drop_sd[i],
                reference: reference.to_string(),
                versus,
            }
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

/// `0.81 [0.70, 0.93] **faster**` (the verdict in bold when the interval excludes 1).
fn versus_text(c: &Comparison) -> String {
    let word = c.verdict.word();
    let word = if matches!(c.verdict, abs_sim::stats::Verdict::Faster | abs_sim::stats::Verdict::Slower) {
        format!("**{word}**")
    } else {
        word.to_string()
    };
    let censored = if c.censored > 0 {
        format!(" ({} censored)", c.censored)
    } else {
        String::new()
    };
    format!("{} {word}{censored}", interval_text(c.ratio, 2))
}

/// The Markdown table of one figure's rows.
pub fn markdown(rows: &[SummaryRow]) -> String {
    let reference = rows.first().map_or("", |r| r.reference.as_str());
    let mut s = format!(
        "| series | reached target | held to the end | time to target (s) | time / {reference} [95% CI] | comm to target | comm / {reference} [95% CI] | final accuracy | deepest dip |\n|---|---|---|---|---|---|---|---|---|\n"
    );
    for r in rows {
        let (time, comm) = match &r.versus {
            Some(v) => (versus_text(&v.time), versus_text(&v.comm)),
            None if r.series == r.reference || r.series.starts_with(&format!("{} (", r.reference)) => {
                ("reference".into(), "reference".into())
            }
            None => ("-".into(), "-".into()),
        };
        s.push_str(&format!(
            "| {} | {}/{} | {}/{} | {} | {time} | {} | {comm} | {} | {} |\n",
            r.series,
            r.reached,
            r.seeds,
            r.held,
            r.seeds,
            pm(r.time_mean, r.time_sd, 1),
            pm(r.comm_mean, r.comm_sd, 0),
            pm(Some(r.final_accuracy_mean), r.final_accuracy_sd, 4),
            pm(r.max_drop_mean, r.max_drop_sd, 3),
        ));
    }
    s
}

/// The Markdown table of a conditions sweep: one line per condition and series other than the
/// reference.
pub fn conditions_markdown(comparisons: &[ComparisonRow]) -> String {
    let Some(first) = comparisons.first() else {
        return "No comparisons: the reference series has no finished cells.\n".to_string();
    };
    let mut s = format!(
        "| condition | series | seeds reached (series vs {r}) | held to the end | time / {r} [95% CI] | comm / {r} [95% CI] | uploads / {r} [95% CI] |\n|---|---|---|---|---|---|---|\n",
        r = first.reference
    );
    for c in comparisons {
        let condition = if c.point.is_empty() {
            c.condition.clone()
        } else {
            format!("{} ({})", c.condition, c.point)
        };
        s.push_str(&format!(
            "| {condition} | {} | {} | {} vs {} | {} | {} | {} |\n",
            c.series,
            reached_text(&c.time),
            c.held.0,
            c.held.1,
            versus_text(&c.time),
            versus_text(&c.comm),
            versus_text(&c.uploads),
        ));
    }
    s
}

/// One metric's comparison of a row.
type Pick = fn(&ComparisonRow) -> &Comparison;

/// Every row as a frame (for CSV): numbers as numbers, missing as null.
pub fn frame(rows: &[SummaryRow]) -> PolarsResult<DataFrame> {
    let col = |f: fn(&SummaryRow) -> Option<f64>| rows.iter().map(f).collect::<Vec<Option<f64>>>();
    let versus = |f: Pick, g: fn(&Comparison) -> Option<f64>| {
        rows.iter()
            .map(|r| r.versus.as_ref().and_then(|v| g(f(v))))
            .collect::<Vec<Option<f64>>>()
    };
    let verdict = |f: Pick| {
        rows.iter()
            .map(|r| r.versus.as_ref().map(|v| f(v).verdict.word()))
            .collect::<Vec<Option<&str>>>()
    };
    let time: Pick = |v| &v.time;
    let comm: Pick = |v| &v.comm;
    let uploads: Pick = |v| &v.uploads;
    df!(
        "figure" => rows.iter().map(|r| r.figure.clone()).collect::<Vec<_>>(),
        "series" => rows.iter().map(|r| r.series.clone()).collect::<Vec<_>>(),
        "condition" => rows.iter().map(|r| r.condition.clone()).collect::<Vec<_>>(),
        "seeds" => rows.iter().map(|r| r.seeds).collect::<Vec<_>>(),
        "reached" => rows.iter().map(|r| r.reached).collect::<Vec<_>>(),
        "held" => rows.iter().map(|r| r.held).collect::<Vec<_>>(),
        "target_accuracy" => rows.iter().map(|r| r.target).collect::<Vec<_>>(),
        "time_to_target_mean" => col(|r| r.time_mean),
        "time_to_target_sd" => col(|r| r.time_sd),
        "comm_to_target_mean" => col(|r| r.comm_mean),
        "comm_to_target_sd" => col(|r| r.comm_sd),
        "final_accuracy_mean" => col(|r| Some(r.final_accuracy_mean)),
        "final_accuracy_sd" => col(|r| r.final_accuracy_sd),
        "max_drop_mean" => col(|r| r.max_drop_mean),
        "max_drop_sd" => col(|r| r.max_drop_sd),
        "reference" => rows.iter().map(|r| r.reference.clone()).collect::<Vec<_>>(),
        "time_ratio" => versus(time, |c| c.ratio.map(|e| e.value)),
        "time_ratio_lo" => versus(time, |c| c.ratio.map(|e| e.lo)),
        "time_ratio_hi" => versus(time, |c| c.ratio.map(|e| e.hi)),
        "time_verdict" => verdict(time),
        "comm_ratio" => versus(comm, |c| c.ratio.map(|e| e.value)),
        "comm_ratio_lo" => versus(comm, |c| c.ratio.map(|e| e.lo)),
        "comm_ratio_hi" => versus(comm, |c| c.ratio.map(|e| e.hi)),
        "comm_verdict" => verdict(comm),
        "uploads_ratio" => versus(uploads, |c| c.ratio.map(|e| e.value)),
        "uploads_ratio_lo" => versus(uploads, |c| c.ratio.map(|e| e.lo)),
        "uploads_ratio_hi" => versus(uploads, |c| c.ratio.map(|e| e.hi)),
        "uploads_verdict" => verdict(uploads),
        "censored_seeds" => rows.iter().map(|r| r.versus.as_ref().map(|v| v.time.censored as u32)).collect::<Vec<_>>(),
    )
}
