//! A sweep's dynamics figure: K^t and tau_max^t of chosen series over virtual time.

use polars::prelude::*;

use super::chart::{Chart, Legend, Panel, Series, time_axis};
use super::curves::Band;
use super::series::Context;
use crate::results::Loaded;
use abs_sim::sweep::Sweep;

/// K^t and tau_max^t over virtual time, for the first seed of each named label: a step line.
pub(super) fn dynamics_chart(loaded: &Loaded, sweep: &Sweep, labels: &[String], title: &str, context: &Context) -> PolarsResult<Chart> {
    let mut k_series = Vec::new();
    let mut tau_series = Vec::new();
    let mut seed_used = None;
    for label in labels {
        let Some(cell) = sweep.cells.iter().filter(|c| &c.label == label).min_by_key(|c| c.config.seed) else {
            continue;
        };
        let Some(rounds) = loaded.rounds_of(&cell.id) else {
            continue;
        };
        let df = rounds?
            .select([col("time"), col("k").cast(DataType::Float64), col("tau_max")])
            .sort(["time"], SortMultipleOptions::default().with_maintain_order(true))
            .collect()?;
        if df.height() == 0 {
            continue;
        }
        seed_used = Some(cell.config.seed);
        let time: Vec<f64> = df.column("time")?.f64()?.into_no_null_iter().collect();
        let k: Vec<f64> = df.column("k")?.f64()?.into_no_null_iter().collect();
        let tau: Vec<f64> = df.column("tau_max")?.f64()?.into_no_null_iter().collect();
        k_series.push(Series {
            name: label.clone(),
            band: steps(&time, &k),
        });
        if tau.iter().all(|t| t.is_infinite()) {
            tau_series.push(Series {
                name: format!("{label} (unbounded)"),
                band: steps(&[], &[]),
            });
        } else {
            tau_series.push(Series {
                name: label.clone(),
                band: steps(&time, &tau),
            });
        }
    }
    let panel = |caption: &str, y: &str, mut series: Vec<Series>| Panel {
        caption: caption.to_string(),
        x_label: time_axis(&mut series),
        y_label: y.to_string(),
        series,
        legend: Legend::UpperRight,
    };
    Ok(Chart {
        title: context.title(&format!("{title}: what the policies do")),
        subtitle: format!(
            "{} · first seed ({}) shown",
            context.subtitle.split(" · line").next().unwrap_or(""),
            seed_used.unwrap_or(0)
        ),
        panels: vec![
            panel("(a) K^t: arrivals waited for per round", "K^t", k_series),
            panel("(b) tau_max^t: staleness threshold", "tau_max^t (rounds)", tau_series),
        ],
    })
}

/// A step line through (x, y): only the corners, so long runs stay small in SVG.
pub(super) fn steps(x: &[f64], y: &[f64]) -> Band {
    let mut bx = Vec::new();
    let mut by = Vec::new();
    for i in 0..x.len().min(y.len()) {
        if i > 0 && y[i] != y[i - 1] {
            bx.push(x[i]);
            by.push(y[i - 1]);
        }
        if i == 0 || y[i] != y[i - 1] || i + 1 == x.len() {
            bx.push(x[i]);
            by.push(y[i]);
        }
    }
    Band {
        mean: by.clone(),
        lo: by.clone(),
        hi: by,
        x: bx,
        seeds: 1,
    }
}
