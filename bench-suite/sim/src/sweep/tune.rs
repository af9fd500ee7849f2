//! A sweep's `tune` section: every series gets the same budget, a small grid over its own knobs run
//! on tuning seeds that are never reported; the best setting per series and condition is then run on
//! the reported seeds (docs/semantics.md, section 13, "Tuning").
//!
//! Expansion resolves every candidate setting up front (its tuning cells and its reported cells), so
//! a bad grid value is refused before any work; which candidate is reported is decided later, from
//! the tuning cells' results ([`best`], [`Sweep::choose`]).

use indexmap::IndexMap;
use serde_json::Value;

use super::cell::{Cell, Sweep};
use crate::config::ConfigError;

/// The series name in `tune.grid` whose knobs every series is tuned over.
pub const ALL_SERIES: &str = "all";

/// The `tune` section as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TuneSpec {
    /// Seeds the tuning cells run on: never reported, never among the reported seeds.
    pub seeds: Vec<u64>,
    /// Series (a policy entry, or `all`) -> run key -> values to try.
    pub grid: IndexMap<String, IndexMap<String, Vec<Value>>>,
}

impl TuneSpec {
    /// The keys and values series `label` is tuned over: `all`'s, with the series' own lists in
    /// their place where both give a key, in file order.
    pub fn grid_of(&self, label: &str) -> IndexMap<String, Vec<Value>> {
        let mut grid = self.grid.get(ALL_SERIES).cloned().unwrap_or_default();
        for (k, v) in self.grid.get(label).into_iter().flatten() {
            grid.insert(k.clone(), v.clone());
        }
        grid
    }
}

/// A tuned sweep's candidates, series by series and condition by condition, and what was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuning {
    pub seeds: Vec<u64>,
    pub groups: Vec<TuneGroup>,
}

/// One series under one condition: the settings tried and which was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct TuneGroup {
    pub label: String,
    pub condition: String,
    /// The grid tuned over (key -> values), as the summary shows it.
    pub grid: IndexMap<String, Vec<Value>>,
    /// Every setting of the grid, first key slowest.
    pub candidates: Vec<Candidate>,
    /// The index of the chosen candidate, once [`Sweep::choose`] has run.
    pub chosen: Option<usize>,
    /// Each candidate's score on the tuning seeds, once [`Sweep::choose`] has run.
    pub scores: Vec<TuneScore>,
}

/// One setting of a series' grid: its cells on the tuning seeds and on the reported seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Key -> value of this setting.
    pub setting: IndexMap<String, Value>,
    /// Run on the tuning seeds, stopping at the target (only the time to it is needed; a run that
    /// never gets there runs its whole budget and gives the final accuracy for ties).
    pub tuning: Vec<Cell>,
    /// Run on the reported seeds if this setting is chosen.
    pub reported: Vec<Cell>,
}

impl Candidate {
    /// The setting as `key=value, ...`.
    pub fn describe(&self) -> String {
        self.setting.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
    }
}

impl Tuning {
    /// Every tuning cell, group by group, candidate by candidate.
    pub fn cells(&self) -> Vec<Cell> {
        self.groups
            .iter()
            .flat_map(|g| g.candidates.iter().flat_map(|c| c.tuning.iter().cloned()))
            .collect()
    }

    /// Every cell a tuned sweep may run (tuning and reported), for stamping their ids.
    pub fn cells_mut(&mut self) -> impl Iterator<Item = &mut Cell> {
        self.groups
            .iter_mut()
            .flat_map(|g| g.candidates.iter_mut())
            .flat_map(|c| c.tuning.iter_mut().chain(c.reported.iter_mut()))
    }

    /// Tuning cells per series and condition: settings x tuning seeds.
    pub fn budget(&self, group: &TuneGroup) -> usize {
        group.candidates.len() * self.seeds.len()
    }
}

/// What one tuning cell reached: its time to the target (None: never) and its final accuracy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TuneOutcome {
    pub time_to_target: Option<f64>,
    pub final_accuracy: f64,
}

/// A candidate's score over its tuning seeds: the median time to target (a seed that never reached
/// it counts as infinitely slow) and the mean final accuracy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TuneScore {
    pub median_time: f64,
    pub reached: usize,
    pub seeds: usize,
    pub mean_final_accuracy: f64,
}

impl TuneScore {
    pub fn of(outcomes: &[TuneOutcome]) -> TuneScore {
        let mut times: Vec<f64> = outcomes.iter().map(|o| o.time_to_target.unwrap_or(f64::INFINITY)).collect();
        let n = times.len();
        let median_time = crate::stats::median_time(&mut times);
        // a diverged run's NaN accuracy counts as no accuracy at all
        let accuracy = |o: &TuneOutcome| if o.final_accuracy.is_nan() { 0.0 } else { o.final_accuracy };
        TuneScore {
            median_time,
            reached: outcomes.iter().filter(|o| o.time_to_target.is_some()).count(),
            seeds: n,
            mean_final_accuracy: outcomes.iter().map(accuracy).sum::<f64>() / n.max(1) as f64,
        }
    }
}

/// The best of `scores`: the lowest median time to target, ties (two infinities among them) by the
/// higher mean final accuracy, then the earlier candidate. None when there are none.
pub fn best(scores: &[TuneScore]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, s) in scores.iter().enumerate() {
        let better = match best.map(|b| &scores[b]) {
            None => true,
            Some(b) => s.median_time < b.median_time || (s.median_time == b.median_time && s.mean_final_accuracy > b.mean_final_accuracy),
        };
        if better {
            best = Some(i);
        }
    }
    best
}

impl Sweep {
    /// The cells that run before anything is chosen: an untuned sweep's cells, a tuned sweep's
    /// tuning cells.
    pub fn first_cells(&self) -> Vec<Cell> {
        self.tuning.as_ref().map_or_else(|| self.cells.clone(), Tuning::cells)
    }

    /// Chooses each series' setting of a tuned sweep from its tuning cells' outcomes ([`best`] of
    /// their [`TuneScore`]s) and sets the reported cells: each chosen setting on the reported seeds,
    /// in the sweep's order. Err: how many tuning cells have no outcome yet (nothing is chosen).
    pub fn choose(&mut self, outcome: impl Fn(&Cell) -> Option<TuneOutcome>) -> Result<(), usize> {
        let Some(tuning) = self.tuning.as_mut() else {
            return Ok(());
        };
        let mut missing = 0;
        let mut all_scores = Vec::with_capacity(tuning.groups.len());
        for g in &tuning.groups {
            let scores: Vec<TuneScore> = g
                .candidates
                .iter()
                .map(|c| {
                    let found: Vec<TuneOutcome> = c.tuning.iter().filter_map(&outcome).collect();
                    missing += c.tuning.len() - found.len();
                    TuneScore::of(&found)
                })
                .collect();
            all_scores.push(scores);
        }
        if missing > 0 {
            return Err(missing);
        }
        let mut cells = Vec::new();
        for (g, scores) in tuning.groups.iter_mut().zip(all_scores) {
            let chosen = best(&scores).unwrap_or(0);
            cells.extend(g.candidates[chosen].reported.iter().cloned());
            g.chosen = Some(chosen);
            g.scores = scores;
        }
        self.cells = cells;
        Ok(())
    }
}

/// Checks a tuning section's own shape before any cell is resolved: some seeds, no `seed` or
/// `policy` among the tuned keys, no empty list, and (when the series' names are known) only known
/// series.
pub(super) fn check_spec(spec: &TuneSpec, labels: Option<&[String]>, o: &super::file::Origin) -> Result<(), ConfigError> {
    if spec.seeds.is_empty() {
        return Err(o.error(
            Some("tune.seeds"),
            "has no seeds: give a list of at least one, e.g. `seeds: [100, 101]`",
        ));
    }
    for (series, keys) in &spec.grid {
        if let Some(labels) = labels.filter(|l| series != ALL_SERIES && !l.contains(series)) {
            return Err(o.error(
                Some(&format!("tune.{series}")),
                format!(
                    "`{series}` is not a policy entry of this sweep: expected `{ALL_SERIES}` or one of {}",
                    labels.join(", ")
                ),
            ));
        }
        for (k, values) in keys {
            if matches!(k.as_str(), "seed" | "policy") {
                return Err(o.error(
                    Some(&format!("tune.{k}")),
                    format!("`{k}` cannot be tuned: tuning chooses a setting of a series' knobs (lr, server_lr, alpha, k, ...)"),
                ));
            }
            if values.is_empty() {
                return Err(o.error(Some(&format!("tune.{k}")), "has no values: give a list of at least one"));
            }
        }
    }
    Ok(())
}

/// Refuses a tuning seed that is also a reported seed (tuning seeds are never reported).
pub(super) fn check_seeds(spec: &TuneSpec, reported: &[u64], o: &super::file::Origin) -> Result<(), ConfigError> {
    match spec.seeds.iter().find(|s| reported.contains(s)) {
        Some(s) => Err(o.error(
            Some("tune.seeds"),
            format!("seed {s} is also a reported seed: tuning seeds are never reported, so give seeds the grid does not list"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::{ExpandOptions, expand_with};

    const TUNED: &str = "base: {model: analytic, max_rounds: 10, workers: 4}\n\
        policies: {abs: abs, ada: {policy: adasync}}\n\
        conditions: {plain: {}, slow: {max_rounds: 20}}\n\
        grid: {seed: [0, 1]}\n\
        tune: {seeds: [100, 101], grid: {all: {lr: [0.1, 0.2]}, ada: {k0: [2, 4]}}}\n";

    fn tuned(yaml: &str) -> Result<Sweep, ConfigError> {
        expand_with(yaml, "s.yaml", &ExpandOptions::default())
    }

    #[test]
    fn every_setting_is_resolved_on_tuning_and_reported_seeds() {
        let sweep = tuned(TUNED).unwrap();
        assert!(sweep.cells.is_empty(), "nothing is reported before the choice");
        let t = sweep.tuning.as_ref().unwrap();
        let groups: Vec<(&str, &str, usize)> = t
            .groups
            .iter()
            .map(|g| (g.label.as_str(), g.condition.as_str(), g.candidates.len()))
            .collect();
        assert_eq!(
            groups,
            [("abs", "plain", 2), ("abs", "slow", 2), ("ada", "plain", 4), ("ada", "slow", 4)]
        );
        assert_eq!(t.budget(&t.groups[2]), 8);
        let ada = &t.groups[3];
        assert_eq!(ada.candidates[1].describe(), "lr=0.1, k0=4");
        for c in &ada.candidates {
            assert_eq!(c.tuning.iter().map(|x| x.config.seed).collect::<Vec<_>>(), [100, 101]);
            assert_eq!(c.reported.iter().map(|x| x.config.seed).collect::<Vec<_>>(), [0, 1]);
            for x in &c.tuning {
                // analytic data's default target, and the run stops there
                assert!(x.config.stop_at_target && x.config.target_accuracy.is_some(), "{x:?}");
                assert_eq!(x.config.max_rounds, 20);
            }
            for x in &c.reported {
                assert!(!x.config.stop_at_target && x.config.target_accuracy.is_none());
                assert_eq!(x.config.lr, c.setting["lr"].as_f64().unwrap());
            }
        }
        // the tuning seeds' cells are never reported: choosing gives the reported seeds only
        let mut chosen = sweep.clone();
        let lr = |c: &Cell| c.point.get("lr").and_then(Value::as_f64).unwrap_or(0.0);
        // an outcome for all but one tuning cell: nothing is chosen yet
        let first = t.cells()[0].id.clone();
        assert_eq!(
            chosen.choose(|c| (c.id != first).then_some(TuneOutcome {
                time_to_target: None,
                final_accuracy: 0.5
            })),
            Err(1)
        );
        assert!(chosen.cells.is_empty());
        // lr 0.2 reaches the target sooner on both seeds; for ada, k0 = 4 even sooner
        let outcome = |c: &Cell| {
            let k0 = if c.label == "ada" { c.config.k0 as f64 } else { 0.0 };
            Some(TuneOutcome {
                time_to_target: Some(10.0 - 20.0 * lr(c) - k0),
                final_accuracy: 0.5,
            })
        };
        chosen.choose(outcome).unwrap();
        assert_eq!(chosen.cells.len(), 8);
        assert!(chosen.cells.iter().all(|c| c.config.seed < 2 && c.config.lr == 0.2));
        assert_eq!((chosen.cells[4].label.as_str(), chosen.cells[4].config.k0), ("ada", 4));
        let g = &chosen.tuning.as_ref().unwrap().groups[2];
        assert_eq!((g.chosen, g.scores.len(), g.scores[3].median_time), (Some(3), 4, 2.0));
        // a given target is the tuning cells' target
        let at = ExpandOptions {
            target: Some(0.7),
            ..Default::default()
        };
        let t = expand_with(TUNED, "s.yaml", &at).unwrap().tuning.unwrap();
        assert!(t.cells().iter().all(|c| c.config.target_accuracy == Some(0.7)));
        // jobs_log reaches every cell a tuned sweep may run, the chosen ones included
        let mut logged = tuned(&format!("{TUNED}jobs_log: true\n")).unwrap();
        assert!(logged.first_cells().iter().all(|c| c.jobs_log));
        logged
            .choose(|_| {
                Some(TuneOutcome {
                    time_to_target: None,
                    final_accuracy: 0.5,
                })
            })
            .unwrap();
        assert!(!logged.cells.is_empty() && logged.cells.iter().all(|c| c.jobs_log));
        // an exclude rule drops a series under a condition, tuning and all
        let excluded = tuned(&format!("{TUNED}exclude: [{{policy: ada, condition: slow}}]\n")).unwrap();
        let left: Vec<(&str, &str)> = (excluded.tuning.as_ref().unwrap().groups.iter())
            .map(|g| (g.label.as_str(), g.condition.as_str()))
            .collect();
        assert_eq!(left, [("abs", "plain"), ("abs", "slow"), ("ada", "plain")]);
        // quick tunes on the first seed only
        let quick = ExpandOptions {
            quick: true,
            ..Default::default()
        };
        assert_eq!(expand_with(TUNED, "s.yaml", &quick).unwrap().tuning.unwrap().seeds, [100]);
    }

    #[test]
    fn bad_tuning_grids_are_refused_naming_the_key() {
        let base = "base: {model: analytic, max_rounds: 10, workers: 4}\npolicies: {abs: abs, ada: {policy: adasync}}\n";
        for (tail, key, needle) in [
            (
                "grid: {seed: [0]}\ntune: {seeds: [0], grid: {all: {lr: [0.1]}}}\n",
                "tune.seeds",
                "also a reported seed",
            ),
            ("tune: {seeds: [], grid: {all: {lr: [0.1]}}}\n", "tune.seeds", "at least one"),
            ("tune: {seeds: [-1], grid: {all: {lr: [0.1]}}}\n", "tune.seeds", "whole numbers"),
            ("tune: {seeds: [9], grid: {nope: {lr: [0.1]}}}\n", "tune.nope", "not a policy entry"),
            (
                "tune: {seeds: [9], grid: {all: {zeta: [1, 2]}}}\n",
                "tune.all",
                "ignored by policy adasync",
            ),
            ("tune: {seeds: [9], grid: {all: {lr: []}}}\n", "tune.lr", "at least one"),
            ("tune: {seeds: [9], grid: {abs: {seed: [1]}}}\n", "tune.seed", "cannot be tuned"),
            (
                "tune: {seeds: [9], grid: {all: {lr: [2.0, -1]}}}\n",
                "tune.all",
                "`lr`: value -1 is not allowed",
            ),
            ("tune: {seeds: [9]}\n", "tune", "has no `grid`"),
            (
                "tune: {seeds: [9], grid: {all: {lr: [0.1]}}, budget: 3}\n",
                "tune.budget",
                "unknown key",
            ),
            (
                "grid: {workers: [4, 5]}\ntune: {seeds: [9], grid: {all: {lr: [0.1]}}}\n",
                "grid.workers",
                "varies only `seed`",
            ),
            (
                "conditions: {a: {lr: 0.3}}\ntune: {seeds: [9], grid: {all: {lr: [0.1]}}}\n",
                "tune.all",
                "conditions section sets",
            ),
        ] {
            let yaml = format!("{base}{tail}");
            let e = tuned(&yaml).unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{yaml}\n{e}");
            assert!(e.to_string().contains(needle), "{yaml}\n{e}");
            assert!(e.line.is_some(), "{yaml}\n{e}");
        }
        let entry = "base: {model: analytic}\npolicies: {k: {policy: k_async, k: 2}}\ntune: {seeds: [9], grid: {k: {k: [1, 2]}}}\n";
        let e = tuned(entry).unwrap_err();
        assert!(e.to_string().contains("policy entry `k` sets"), "{e}");
    }

    fn score(times: &[Option<f64>], accuracy: f64) -> TuneScore {
        let outcomes: Vec<TuneOutcome> = times
            .iter()
            .map(|&t| TuneOutcome {
                time_to_target: t,
                final_accuracy: accuracy,
            })
            .collect();
        TuneScore::of(&outcomes)
    }

    #[test]
    fn the_best_is_the_lowest_median_time_then_the_best_final_accuracy() {
        let s = score(&[Some(3.0), None, Some(1.0)], 0.5);
        assert_eq!((s.median_time, s.reached, s.seeds), (3.0, 2, 3));
        assert_eq!(score(&[Some(2.0), Some(4.0)], 0.5).median_time, 3.0);
        assert!(score(&[Some(2.0), None], 0.5).median_time.is_infinite());
        let nan = TuneScore::of(&[TuneOutcome {
            time_to_target: None,
            final_accuracy: f64::NAN,
        }]);
        assert_eq!(nan.mean_final_accuracy, 0.0, "a diverged run has no accuracy");
        let scores = [
            score(&[None, None], 0.6),
            score(&[Some(5.0), Some(7.0)], 0.7),
            score(&[Some(6.0), Some(6.0)], 0.9),
            score(&[Some(9.0), Some(1.0)], 0.8),
        ];
        assert_eq!(best(&scores), Some(3), "5.0 beats 6.0 and infinity");
        assert_eq!(best(&scores[..3]), Some(2), "ties at 6.0: the higher final accuracy");
        assert_eq!(
            best(&[scores[0], score(&[None, None], 0.7), nan]),
            Some(1),
            "none reached: accuracy decides"
        );
        assert_eq!(best(&[scores[2], scores[2]]), Some(0), "a full tie: the earlier setting");
        assert_eq!(best(&[]), None);
    }
}
