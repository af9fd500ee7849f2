//! summary.md, summary.csv and claims.csv: per sweep a table (per series, or per condition), the
//! paired comparisons with the reference, and the paper's claims with their verdicts.

use std::path::PathBuf;

use polars::prelude::*;

use super::carry::{CSV_FILES, Earlier};
use super::claims::{self, ClaimRow};
use super::figures::Drawing;
use super::profile::{Medians, profile_markdown};
use super::series::series_names;
use super::tables::{SummaryRow, conditions_markdown, frame, markdown, rows_from_summary};
use crate::error::Error;
use crate::results::{Loaded, comparison_keys, group_keys, point_keys, summarize};
use abs_sim::sweep::Sweep;

/// What summary.md and the CSV files hold, gathered sweep by sweep.
#[derive(Default)]
pub(super) struct Summary {
    pub(super) sections: Vec<Section>,
    pub(super) rows: Vec<SummaryRow>,
    pub(super) claims: Vec<ClaimRow>,
    /// (figure, tuned sweep) for tuning.csv.
    pub(super) tuned: Vec<(String, abs_sim::sweep::Tuning)>,
    /// Every sweep's name, in figure order.
    pub(super) order: Vec<String>,
    /// The sweeps not selected whose cells are not all finished here and that the earlier report
    /// has: its parts for them are kept (`carry`).
    pub(super) missing: Vec<String>,
}

/// One sweep's part of summary.md.
pub(super) struct Section {
    pub(super) name: String,
    pub(super) title: String,
    pub(super) table: String,
    pub(super) images: Vec<String>,
}

/// A sweep's table (per series, or per condition for a conditions sweep), with the ranking across
/// conditions when `medians` are given (a profile is drawn), and its CSV rows.
pub(super) fn summary_section(
    name: &str,
    sweep: &Sweep,
    loaded: &Loaded,
    comparisons: &[crate::results::ComparisonRow],
    reference: &str,
    d: &Drawing,
    medians: Option<&Medians>,
) -> crate::error::Result<(Section, Vec<SummaryRow>)> {
    let conditions = sweep.cells.iter().any(|c| !c.condition.is_empty());
    let frame_err = || Error::frame("summarise", d.results.join(name));
    let summary = summarize(loaded, Some(d.target)).map_err(frame_err())?;
    let names = series_names(&summary, &group_keys(loaded)).map_err(frame_err())?;
    let keys = point_keys(loaded)
        .and_then(|k| comparison_keys(&summary, &k))
        .map_err(frame_err())?;
    let rows = rows_from_summary(name, &summary, &names, &keys, comparisons, reference, d.target).map_err(frame_err())?;
    let fig = sweep.figure.as_ref();
    // what draw() writes: the figure (a forest plot only when there is something to compare),
    // then the dynamics
    let mut images = Vec::new();
    if !conditions || !comparisons.is_empty() {
        images.push(name.to_string());
    }
    if fig.is_some_and(|f| !f.dynamics.is_empty()) && !conditions {
        images.push(format!("{name}-dynamics"));
    }
    if conditions && fig.is_some_and(|f| f.curves) {
        images.push(format!("{name}-curves"));
    }
    if medians.is_some() {
        images.push(format!("{name}-profile"));
    }
    if fig.is_some_and(|f| f.concurrency) {
        images.push(format!("{name}-concurrency"));
    }
    let budget = sweep
        .tuning
        .as_ref()
        .filter(|_| fig.is_some_and(|f| f.budget))
        .map(super::budget::budget_curves)
        .filter(|c| !c.is_empty());
    if budget.is_some() {
        images.push(format!("{name}-budget"));
    }
    if let Some(t) = fig.and_then(|f| f.timeline.as_ref()) {
        let drawn = |l: &&String| {
            t.cell(&sweep.cells, l)
                .is_some_and(|c| crate::runner::cell_dir(d.results, c).join("jobs.parquet").is_file())
        };
        images.extend(t.series.iter().filter(drawn).map(|l| format!("{name}-timeline-{l}")));
    }
    let table = if conditions {
        conditions_markdown(comparisons)
    } else if comparisons.is_empty() {
        format!(
            "No series `{reference}` among the finished cells: no paired comparisons.\n\n{}",
            markdown(&rows)
        )
    } else {
        markdown(&rows)
    };
    let table = match medians {
        Some(m) => format!("{table}\n{}", profile_markdown(m)),
        None => table,
    };
    let table = match &sweep.tuning {
        Some(t) => format!("{table}\n{}", tuning_markdown(t)),
        None => table,
    };
    let table = match &budget {
        Some(curves) => format!("{table}\n{}", super::budget::budget_markdown(curves)),
        None => table,
    };
    let section = Section {
        name: name.to_string(),
        title: fig.map_or(name.to_string(), |f| f.title.clone()),
        table,
        images,
    };
    Ok((section, rows))
}

/// A tuned sweep's protocol, grid, budget and choice per series and condition, what was moved past
/// a grid's edge and what is still on one, and what the halving saved.
pub(super) fn tuning_markdown(t: &abs_sim::sweep::Tuning) -> String {
    let seeds = t.seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    let h = t.halving;
    let rungs = (0..h.rungs as usize)
        .map(|r| format_share(h.fraction(r)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut md = format!(
        "**Tuning** (docs/semantics.md, section 13). Each series and condition searched its grid on the tuning \
         seeds {seeds} (never reported), evaluated on a validation split of {} held out of every cell (the \
         reported cells train without them too and are measured on the test set). Successive halving: every \
         setting ran for {rungs} of the budget in turn, the best third (at least {}) going on to the next. A \
         setting ranks by the tuning seeds that reached the target **and held it** to the end of the budget (none \
         fell more than {} below it, none diverged), then by the median time to target, then by the mean accuracy \
         at the end of the budget; the best at the whole budget is chosen and run on the reported seeds. A choice \
         on the largest or smallest value of a numeric grid moved one geometric step past it while that won, at \
         most {} times; a choice still there is marked below. Cost: tuning cells run, in whole budgets (a rung's \
         cell counts its share), beside what every setting tried would cost at the whole budget.\n\n\
         | series | condition | grid | settings tried | cost (unpruned) | chosen | median time to target | held |\n\
         |---|---|---|---:|---:|---|---:|---:|\n",
        t.validation,
        h.keep,
        abs_sim::sweep::HOLD_MARGIN,
        t.extend,
    );
    let (mut cost, mut unpruned) = (0.0, 0.0);
    let mut notes = Vec::new();
    for g in &t.groups {
        let grid = g
            .grid
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")))
            .collect::<Vec<_>>()
            .join("; ");
        let grid = if grid.is_empty() { "-".to_string() } else { grid };
        let Some(r) = &g.result else {
            md.push_str(&format!(
                "| {} | {} | {grid} | - | - | not chosen | - | - |\n",
                g.label, g.condition
            ));
            continue;
        };
        let s = r.trials.iter().find(|t| t.candidate == r.chosen).map(|t| t.score);
        let median = s
            .filter(|s| s.median_time.is_finite())
            .map_or("never".into(), |s| format!("{:.1}", s.median_time));
        let held = s.map_or("-".into(), |s| format!("{}/{}", s.reached, s.seeds));
        let mut chosen = g.candidates[r.chosen].describe();
        if !r.edges.is_empty() {
            chosen.push_str(" **(edge)**");
        }
        md.push_str(&format!(
            "| {} | {} | {grid} | {} | {:.1} ({:.0}) | {chosen} | {median} | {held} |\n",
            g.label,
            g.condition,
            r.trials.len(),
            r.cost,
            r.unpruned_cost
        ));
        cost += r.cost;
        unpruned += r.unpruned_cost;
        for e in &r.extensions {
            notes.push(format!("- {} ({}): past an edge, {e}", g.label, g.condition));
        }
        for e in &r.edges {
            notes.push(format!("- {} ({}): **on an edge**: {e}", g.label, g.condition));
        }
    }
    if unpruned > 0.0 {
        md.push_str(&format!(
            "\nTuning cost: {cost:.1} whole-budget runs, {:.0}% of the {unpruned:.0} that every setting tried would \
             have cost at the whole budget (successive halving saved {:.0}%).\n",
            100.0 * cost / unpruned,
            100.0 * (1.0 - cost / unpruned)
        ));
    }
    if !notes.is_empty() {
        md.push('\n');
        md.push_str(&notes.join("\n"));
        md.push('\n');
    }
    md
}

/// A share of the budget as a fraction (1/9, 1/3, all).
fn format_share(share: f64) -> String {
    if share >= 1.0 {
        return "all".to_string();
    }
    format!("1/{:.0}", 1.0 / share)
}

pub(super) fn write_summary(d: &Drawing, summary: &Summary, earlier: &Earlier) -> Result<(), String> {
    let mut md = format!(
        "# abs-bench figures: summary\n\nData set: **{}** ({}). Target test accuracy: **{}**.{}\n\n\
         Times are virtual seconds, comm counts worker-PS exchanges (uploads + restarts). Each series is compared \
         with its figure's reference seed by seed (common random numbers: one seed gives every policy the same \
         initial model, shards, job times and mini-batches): the ratio is the geometric mean over seeds of \
         series / reference time (comm) to target, with a 95% percentile-bootstrap interval over seeds \
         ({} resamples); **faster** / **slower** when the interval excludes 1, and no verdict with fewer than {} \
         seeds. A seed that never reached the target counts at the end of its run, compared within the window \
         both runs observed (docs/statistics.md). Time and comm to target columns are means ± sample sd over the \
         seeds that reached the target; final accuracy is the last evaluation, over all seeds. Generated by \
         `abs-bench figures`; every number comes from the cells in `results/`.\n",
        d.dataset,
        d.why,
        d.target,
        if d.quick {
            " **Quick run** (shortened, fewer seeds): not for conclusions."
        } else {
            ""
        },
        abs_sim::stats::RESAMPLES,
        abs_sim::stats::MIN_SEEDS,
    );
    let kept = &summary.missing;
    // the claims table, figure by figure: this run's rows, or the earlier report's for a kept one
    let claim_header = claims::markdown(&[]);
    let mut claim_rows = String::new();
    for figure in &summary.order {
        if kept.contains(figure) {
            for line in earlier.claim_lines(figure) {
                claim_rows.push_str(&line);
                claim_rows.push('\n');
            }
        } else {
            let rows: Vec<ClaimRow> = summary.claims.iter().filter(|c| &c.figure == figure).cloned().collect();
            claim_rows.push_str(&claims::markdown(&rows)[claim_header.len()..]);
        }
    }
    if !claim_rows.is_empty() {
        md.push_str(
            "\n## The paper's claims\n\nEach claim is tested by comparing, seed by seed, every series it says is faster \
             with every series it says is slower: it **holds** when every comparison says faster at 95% (each \
             must, so their number needs no correction), is **contradicted** when one says slower and stays \
             so after Holm's correction for the claim's m comparisons (one-sided p below 2.5%/m; `p_slower` \
             in claims.csv), and is **not shown** otherwise. The intervals shown are per comparison.\n\n",
        );
        md.push_str(&claim_header);
        md.push_str(&claim_rows);
    }
    for name in &summary.order {
        if let Some(s) = summary.sections.iter().find(|s| &s.name == name) {
            md.push_str(&format!("\n## {}: {}\n\n", s.name, s.title));
            if let Some(first) = s.images.first() {
                md.push_str(&format!("![{first}]({first}.svg)\n\n"));
            }
            md.push_str(&s.table);
            for image in s.images.iter().skip(1) {
                md.push_str(&format!("\n![{image}]({image}.svg)\n"));
            }
        } else if let Some(section) = kept.contains(name).then(|| earlier.section(name)).flatten() {
            eprintln!(
                "figures: {name}: not every cell of it here; its part of the earlier report in {} is kept",
                d.out.display()
            );
            md.push('\n');
            md.push_str(&section);
        }
    }
    let write = |path: PathBuf, bytes: &[u8]| std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()));
    write(d.out.join("summary.md"), md.as_bytes())?;
    let csv = |df: &mut DataFrame| -> Result<Vec<u8>, String> {
        let mut buf = Vec::new();
        CsvWriter::new(&mut buf).finish(df).map_err(|e| e.to_string())?;
        Ok(buf)
    };
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).map_err(|e| e.to_string());
    let written = [
        Some(text(csv(&mut frame(&summary.rows).map_err(|e| e.to_string())?)?)?),
        Some(text(csv(&mut claims::frame(&summary.claims).map_err(|e| e.to_string())?)?)?),
        match summary.tuned.is_empty() {
            true => None,
            false => Some(text(csv(&mut tuning_frame(&summary.tuned).map_err(|e| e.to_string())?)?)?),
        },
    ];
    for (file, new) in CSV_FILES.iter().zip(written) {
        if let Some(merged) = earlier.merge_csv(file, new.as_deref(), &summary.order, kept) {
            write(d.out.join(file), merged.as_bytes())?;
        }
    }
    Ok(())
}

/// Every setting a tuned sweep tried, per series and condition: the highest rung it ran, its score
/// there on the tuning seeds, whether it was an extension past an edge, whether it was chosen and
/// whether that choice is still on an edge (for tuning.csv).
fn tuning_frame(tuned: &[(String, abs_sim::sweep::Tuning)]) -> PolarsResult<DataFrame> {
    use abs_sim::sweep::{GroupResult, Halving, Trial, TuneGroup};
    let rows: Vec<(&str, &TuneGroup, &GroupResult, &Trial, &Halving)> = tuned
        .iter()
        .flat_map(|(name, t)| {
            t.groups.iter().flat_map(move |g| {
                g.result
                    .iter()
                    .flat_map(move |r| r.trials.iter().map(move |trial| (name.as_str(), g, r, trial, &t.halving)))
            })
        })
        .collect();
    let score = |f: fn(&abs_sim::sweep::TuneScore) -> f64| -> Vec<Option<f64>> {
        rows.iter().map(|(.., t, _)| Some(f(&t.score)).filter(|v| v.is_finite())).collect()
    };
    let chosen = |(_, _, r, t, _): &(&str, &TuneGroup, &GroupResult, &Trial, &Halving)| r.chosen == t.candidate;
    df!(
        "figure" => rows.iter().map(|(n, ..)| n.to_string()).collect::<Vec<_>>(),
        "series" => rows.iter().map(|(_, g, ..)| g.label.clone()).collect::<Vec<_>>(),
        "condition" => rows.iter().map(|(_, g, ..)| g.condition.clone()).collect::<Vec<_>>(),
        "setting" => rows.iter().map(|(_, g, _, t, _)| g.candidates[t.candidate].describe()).collect::<Vec<_>>(),
        "budget_share" => rows.iter().map(|(.., t, h)| h.fraction(t.rung)).collect::<Vec<_>>(),
        "extension" => rows.iter().map(|(.., t, _)| t.extension).collect::<Vec<_>>(),
        "chosen" => rows.iter().map(chosen).collect::<Vec<_>>(),
        "on_edge" => rows.iter().map(|row| chosen(row).then(|| row.2.edges.join("; ")).filter(|e| !e.is_empty())).collect::<Vec<_>>(),
        "held" => rows.iter().map(|(.., t, _)| t.score.reached as u32).collect::<Vec<_>>(),
        "tuning_seeds" => rows.iter().map(|(.., t, _)| t.score.seeds as u32).collect::<Vec<_>>(),
        "median_time_to_target" => score(|s| s.median_time),
        "mean_accuracy_at_budget" => score(|s| s.mean_final_accuracy),
    )
}
