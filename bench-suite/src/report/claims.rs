//! The claims a figure sweep states (its `figure.claims`), each given a verdict from paired
//! comparisons of the finished cells.

use std::collections::BTreeMap;

use super::comparisons::interval_text;
use crate::error::Result;
use crate::results::{ComparisonRow, Outcomes};
use abs_sim::stats::{ClaimVerdict, Comparison, claim_verdict};
use abs_sim::sweep::{Claim, XAxis};

/// One comparison a claim makes: (series claimed faster, series claimed slower, their comparison).
pub type ClaimComparison = (String, String, Comparison);

/// A claim and what the cells say of it.
#[derive(Debug, Clone)]
pub struct ClaimRow {
    pub figure: String,
    pub claim: String,
    pub verdict: ClaimVerdict,
    /// The comparisons on the claim's metric.
    pub comparisons: Vec<ClaimComparison>,
    /// Comparisons the claim makes that have no finished cells on one side.
    pub missing: Vec<(String, String)>,
}

/// Evaluates each of `claims` on `outcomes` (the cells of one figure sweep).
pub fn evaluate(figure: &str, claims: &[Claim], outcomes: &Outcomes) -> Result<Vec<ClaimRow>> {
    let labels = outcomes.labels();
    let mut by_reference: BTreeMap<String, Vec<ComparisonRow>> = BTreeMap::new();
    let mut rows = Vec::with_capacity(claims.len());
    for claim in claims {
        let than: Vec<String> = if claim.than.is_empty() {
            labels.iter().filter(|l| !claim.faster.contains(l)).cloned().collect()
        } else {
            claim.than.clone()
        };
        let mut row = ClaimRow {
            figure: figure.to_string(),
            claim: claim.claim.clone(),
            verdict: ClaimVerdict::NotShown,
            comparisons: Vec::new(),
            missing: Vec::new(),
        };
        for slow in &than {
            if !labels.contains(slow) {
                row.missing.extend(claim.faster.iter().map(|f| (f.clone(), slow.clone())));
                continue;
            }
            if !by_reference.contains_key(slow) {
                by_reference.insert(slow.clone(), outcomes.against(slow)?);
            }
            for fast in claim.faster.iter().filter(|f| *f != slow) {
                let found: Vec<&ComparisonRow> = by_reference[slow].iter().filter(|c| &c.series == fast).collect();
                if found.is_empty() {
                    row.missing.push((fast.clone(), slow.clone()));
                }
                for c in found {
                    let metric = match claim.metric {
                        XAxis::Time => &c.time,
                        XAxis::Comm => &c.comm,
                    };
                    row.comparisons.push((fast.clone(), slow.clone(), metric.clone()));
                }
            }
        }
        let made: Vec<&Comparison> = row.comparisons.iter().map(|(_, _, c)| c).collect();
        row.verdict = if row.missing.is_empty() {
            claim_verdict(&made)
        } else {
            ClaimVerdict::NotShown
        };
        rows.push(row);
    }
    Ok(rows)
}

/// The claims as a Markdown table: claim, figure, verdict, and each comparison's ratio.
pub fn markdown(rows: &[ClaimRow]) -> String {
    let mut s = String::from("| claim | figure | verdict | comparisons: ratio [95% CI], verdict |\n|---|---|---|---|\n");
    for r in rows {
        let mut parts: Vec<String> = r
            .comparisons
            .iter()
            .map(|(f, t, c)| format!("{f} / {t}: {} {}", interval_text(c.ratio, 2), c.verdict.word()))
            .collect();
        parts.extend(r.missing.iter().map(|(f, t)| format!("{f} / {t}: no cells")));
        s.push_str(&format!(
            "| {} | {} | **{}** | {} |\n",
            r.claim,
            r.figure,
            r.verdict.word(),
            parts.join("; ")
        ));
    }
    s
}

/// The claims as a frame (for CSV): one row per comparison a claim makes.
pub fn frame(rows: &[ClaimRow]) -> polars::prelude::PolarsResult<polars::prelude::DataFrame> {
    use polars::prelude::*;
    let flat: Vec<(&ClaimRow, Option<&ClaimComparison>)> = rows
        .iter()
        .flat_map(|r| {
            let some: Vec<_> = r.comparisons.iter().map(|c| (r, Some(c))).collect();
            if some.is_empty() { vec![(r, None)] } else { some }
        })
        .collect();
    let ratio = |f: fn(&abs_sim::stats::Estimate) -> f64| {
        flat.iter()
            .map(|(_, c)| c.and_then(|(_, _, c)| c.ratio.as_ref().map(f)))
            .collect::<Vec<Option<f64>>>()
    };
    df!(
        "figure" => flat.iter().map(|(r, _)| r.figure.clone()).collect::<Vec<_>>(),
        "claim" => flat.iter().map(|(r, _)| r.claim.clone()).collect::<Vec<_>>(),
        "claim_verdict" => flat.iter().map(|(r, _)| r.verdict.word()).collect::<Vec<_>>(),
        "faster" => flat.iter().map(|(_, c)| c.map(|c| c.0.clone())).collect::<Vec<_>>(),
        "than" => flat.iter().map(|(_, c)| c.map(|c| c.1.clone())).collect::<Vec<_>>(),
        "seeds" => flat.iter().map(|(_, c)| c.map(|c| c.2.seeds as u32)).collect::<Vec<_>>(),
        "ratio" => ratio(|e| e.value),
        "ratio_lo" => ratio(|e| e.lo),
        "ratio_hi" => ratio(|e| e.hi),
        "verdict" => flat.iter().map(|(_, c)| c.map(|c| c.2.verdict.word())).collect::<Vec<_>>(),
        "p_slower" => flat.iter().map(|(_, c)| c.and_then(|c| c.2.p_slower)).collect::<Vec<_>>(),
    )
}
