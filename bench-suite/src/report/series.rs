//! The accuracy curves of a sweep's series: one line per series (its mean over seeds) with its band,
//! per panel (virtual time, comm), and what every figure of a sweep says under its title.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use super::chart::{Chart, Legend, Panel, Series, time_axis};
use super::curves::{BandKind, Trace, band};
use crate::results::{BOOTSTRAP_SEED, Loaded, group_keys};
use abs_sim::sweep::{Cell, Sweep, XAxis};

/// Points per curve on the common grid.
pub(super) const CURVE_POINTS: usize = 300;

/// What every figure of a sweep says under its title.
pub(super) struct Context {
    pub(super) subtitle: String,
    pub(super) quick: bool,
    pub(super) bands: BandKind,
}

impl Context {
    pub(super) fn of(sweep: &Sweep, dataset: &str, quick: bool, bands: BandKind) -> Context {
        let set = |f: &dyn Fn(&Cell) -> String| {
            sweep
                .cells
                .iter()
                .map(f)
                .collect::<BTreeSet<String>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        };
        // counts in increasing order ("C = 50, 200", not the strings' order)
        let numbers = |f: &dyn Fn(&Cell) -> u64| {
            let all: BTreeSet<u64> = sweep.cells.iter().map(f).collect();
            all.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        };
        let models = set(&|c| c.config.model.to_string());
        // N: the workers, or a population's clients and slots (C, N in the formulas)
        let workers = if sweep.cells.iter().any(|c| c.config.clients.is_some()) {
            format!(
                "M = {} clients · C = {}",
                numbers(&|c| c.config.clients.unwrap_or(u64::from(c.config.workers))),
                numbers(&|c| u64::from(c.config.slots()))
            )
        } else {
            format!("N = {}", numbers(&|c| u64::from(c.config.workers)))
        };
        // seeds per series and condition: "10 seeds", or "5-10 seeds" when an exclude rule thins one
        let mut per_series: BTreeMap<(&str, &str), BTreeSet<u64>> = BTreeMap::new();
        for c in &sweep.cells {
            per_series.entry((&c.label, &c.condition)).or_default().insert(c.config.seed);
        }
        let counts: BTreeSet<usize> = per_series.values().map(BTreeSet::len).collect();
        let (fewest, most) = (counts.first().copied().unwrap_or(0), counts.last().copied().unwrap_or(0));
        let seeds = if fewest == most {
            most.to_string()
        } else {
            format!("{fewest}–{most}")
        };
        let mut subtitle = format!(
            "{dataset} · {models} · {workers} · {seeds} seed{} · line: mean over seeds, {}",
            if most == 1 { "" } else { "s" },
            bands.caption()
        );
        if quick {
            subtitle.push_str(" · QUICK (shortened run)");
        }
        Context { subtitle, quick, bands }
    }

    pub(super) fn title(&self, title: &str) -> String {
        if self.quick {
            format!("{title} [quick]")
        } else {
            title.to_string()
        }
    }
}

/// A name per row of `frame`: the label, then `key=value` for each other group key that takes more
/// than one value under the same label (a key a policy entry sets, like `k0`, adds nothing).
pub(super) fn series_names(frame: &DataFrame, keys: &[String]) -> PolarsResult<Vec<String>> {
    let text = |k: &str, i: usize| -> PolarsResult<String> {
        Ok(match frame.column(k)?.get(i)? {
            AnyValue::String(s) => s.to_string(),
            AnyValue::StringOwned(s) => s.to_string(),
            other => other.to_string(),
        })
    };
    let labels = (0..frame.height()).map(|i| text("label", i)).collect::<PolarsResult<Vec<_>>>()?;
    let mut shown = Vec::new();
    for k in keys.iter().filter(|k| *k != "label") {
        let values = (0..frame.height()).map(|i| text(k, i)).collect::<PolarsResult<Vec<_>>>()?;
        let mut per_label: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (l, v) in labels.iter().zip(&values) {
            per_label.entry(l).or_default().insert(v);
        }
        if per_label.values().any(|vs| vs.len() > 1) {
            shown.push((k.clone(), values));
        }
    }
    Ok((0..frame.height())
        .map(|i| {
            let extra: Vec<String> = shown.iter().map(|(k, v)| format!("{k}={}", v[i])).collect();
            if extra.is_empty() {
                labels[i].clone()
            } else {
                format!("{} ({})", labels[i], extra.join(", "))
            }
        })
        .collect())
}

/// Per cell: (time trace, comm trace) of test accuracy.
pub(super) fn accuracy_traces(loaded: &Loaded) -> PolarsResult<BTreeMap<String, (Trace, Trace)>> {
    let df = loaded
        .evals()?
        .select([
            col("cell"),
            col("round"),
            col("time"),
            col("comm").cast(DataType::Float64),
            col("test_accuracy"),
        ])
        .sort(["cell", "round"], SortMultipleOptions::default())
        .collect()?;
    let cells = df.column("cell")?.str()?;
    let (time, comm, acc) = (
        df.column("time")?.f64()?,
        df.column("comm")?.f64()?,
        df.column("test_accuracy")?.f64()?,
    );
    let mut out: BTreeMap<String, (Trace, Trace)> = BTreeMap::new();
    for i in 0..df.height() {
        let (Some(c), Some(t), Some(m), Some(a)) = (cells.get(i), time.get(i), comm.get(i), acc.get(i)) else {
            continue;
        };
        let e = out
            .entry(c.to_string())
            .or_insert_with(|| (Trace { x: vec![], y: vec![] }, Trace { x: vec![], y: vec![] }));
        e.0.x.push(t);
        e.0.y.push(a);
        e.1.x.push(m);
        e.1.y.push(a);
    }
    hold_diverged_runs(loaded, &mut out);
    Ok(out)
}

/// A run that diverged stopped early, its last evaluation that of the diverged model: its time
/// curve holds that accuracy until the run's `max_time`, so that the mean over seeds goes on past
/// the divergence (pooled curves end at their shortest trace) and shows it, rather than ending
/// there for every seed. Runs without a finite `max_time`, and the comm curves, are left as they are.
fn hold_diverged_runs(loaded: &Loaded, traces: &mut BTreeMap<String, (Trace, Trace)>) {
    let Ok(ids) = loaded.cells.column("cell").and_then(|c| Ok(c.str()?.clone())) else {
        return;
    };
    for (i, dir) in loaded.dirs.iter().enumerate() {
        let Ok(m) = crate::output::read_manifest(dir) else {
            continue;
        };
        let (Some(id), true) = (ids.get(i), m.stop_reason == abs_sim::engine::StopReason::Diverged) else {
            continue;
        };
        if let Some((time, _)) = traces.get_mut(id) {
            hold_until(time, m.config.max_time.0);
        }
    }
}

/// Extends `trace` with its last value at `until` (when finite and after its last point).
fn hold_until(trace: &mut Trace, until: f64) {
    if until.is_finite()
        && let (Some(&x), Some(&y)) = (trace.x.last(), trace.y.last())
        && x < until
    {
        trace.x.push(until);
        trace.y.push(y);
    }
}

/// Cells grouped into series (label and non-seed varying keys), in the sweep's order.
pub(super) fn series_groups(loaded: &Loaded) -> PolarsResult<Vec<(String, Vec<String>)>> {
    let names = series_names(&loaded.cells, &group_keys(loaded))?;
    let ids = loaded.cells.column("cell")?.str()?;
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let id = ids.get(i).unwrap_or_default().to_string();
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push(id),
            None => groups.push((name, vec![id])),
        }
    }
    Ok(groups)
}

pub(super) fn accuracy_chart(loaded: &Loaded, title: &str, panels: &[XAxis], context: &Context) -> PolarsResult<Chart> {
    let traces = accuracy_traces(loaded)?;
    let groups = series_groups(loaded)?;
    let letters = ["(a)", "(b)", "(c)", "(d)"];
    let panels = panels
        .iter()
        .enumerate()
        .map(|(p, axis)| {
            let mut series: Vec<Series> = groups
                .iter()
                .filter_map(|(name, ids)| {
                    let ts: Vec<Trace> = ids
                        .iter()
                        .filter_map(|id| traces.get(id))
                        .map(|(t, c)| if *axis == XAxis::Time { t.clone() } else { c.clone() })
                        .collect();
                    band(&ts, CURVE_POINTS, context.bands, BOOTSTRAP_SEED).map(|band| Series { name: name.clone(), band })
                })
                .collect();
            let (what, x_label) = match axis {
                XAxis::Time => ("virtual time", time_axis(&mut series)),
                XAxis::Comm => ("communication", "communication rounds (uploads + restarts)".to_string()),
            };
            Panel {
                caption: format!("{} test accuracy vs {what}", letters.get(p).unwrap_or(&"")),
                x_label,
                y_label: "test accuracy".to_string(),
                series,
                legend: Legend::LowerRight,
            }
        })
        .collect();
    Ok(Chart {
        title: context.title(title),
        subtitle: context.subtitle.clone(),
        panels,
    })
}

#[cfg(test)]
mod hold_tests {
    use super::*;

    #[test]
    fn a_diverged_seed_holds_its_last_accuracy_so_the_mean_goes_on() {
        let diverged = || Trace {
            x: vec![0.0, 1.0, 2.0],
            y: vec![0.1, 0.6, 0.0],
        };
        let fine = Trace {
            x: vec![0.0, 5.0, 9.5],
            y: vec![0.1, 0.7, 0.9],
        };
        // as it was: the pooled curve ends where the diverged seed stopped
        let cut = band(&[diverged(), fine.clone()], 20, BandKind::Minmax, 1).unwrap();
        assert_eq!(*cut.x.last().unwrap(), 2.0);
        let mut held = diverged();
        hold_until(&mut held, 10.0);
        assert_eq!((held.x.last(), held.y.last()), (Some(&10.0), Some(&0.0)));
        let pooled = band(&[held.clone(), fine.clone()], 20, BandKind::Minmax, 1).unwrap();
        assert_eq!(*pooled.x.last().unwrap(), 9.5);
        assert!((pooled.mean.last().unwrap() - 0.45).abs() < 1e-12, "{:?}", pooled.mean);
        // nothing to hold to: an infinite budget, or a trace already there
        let mut same = diverged();
        hold_until(&mut same, f64::INFINITY);
        hold_until(&mut held, 10.0);
        assert_eq!((same, held.x.len()), (diverged(), 4));
    }
}
