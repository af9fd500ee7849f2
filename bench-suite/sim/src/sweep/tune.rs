//! A sweep's `tune` section: every series gets the same kind of budget, a grid over its own knobs
//! searched on tuning seeds that are never reported and scored on a validation split held out of
//! the training set; the best setting per series and condition is then run on the reported seeds
//! (docs/semantics.md, section 13, "Tuning"; docs/statistics.md, "How settings are chosen").
//!
//! Expansion resolves every candidate up front, the grid's own settings and those one or more
//! geometric steps past its edges, so a bad grid value is refused before any work. Which cells run
//! is then decided stage by stage from the finished ones ([`Sweep::choose`]): successive halving
//! over the grid (short runs first, the best few promoted to longer ones, the last rung the whole
//! budget), then, while a choice sits on a grid's edge, the next value past it at the whole budget.
//! Every stage is a pure function of the finished cells, so a sweep resumes, and its shards agree,
//! whatever ran where.

use indexmap::IndexMap;
use serde_json::Value;

use super::cell::{Cell, Sweep};
use crate::config::ConfigError;
use crate::validation::Holdout;

/// The series name in `tune.grid` whose knobs every series is tuned over.
pub const ALL_SERIES: &str = "all";

/// The fewest tuning seeds a (not quick) tuned sweep may give: one seed cannot tell a setting
/// from luck, and with two a single miss decides.
pub const MIN_TUNING_SEEDS: usize = 3;

/// How far below the target a run that reached it may fall again and still count as having held
/// it: 5 accuracy points, far beyond the evaluation noise of a few thousand samples (a standard
/// error near 0.6 points at 0.80 with 5,000), so only a real fall or a divergence counts.
pub const HOLD_MARGIN: f64 = 0.05;

/// The `tune` section as written.
#[derive(Debug, Clone, PartialEq)]
pub struct TuneSpec {
    /// Seeds the tuning cells run on: never reported, never among the reported seeds.
    pub seeds: Vec<u64>,
    /// Series (a policy entry, or `all`) -> run key -> values to try.
    pub grid: IndexMap<String, IndexMap<String, Vec<Value>>>,
    /// Training samples held out of every cell of the sweep (`holdout`); tuning cells evaluate on
    /// them, reported cells on the test set.
    pub validation: Holdout,
    pub halving: Halving,
    /// How many times a choice on a grid's edge may move one geometric step past it.
    pub extend: u32,
}

/// No seeds, no grid, no validation split (which a sweep must give), the default halving, two
/// extension steps.
impl Default for TuneSpec {
    fn default() -> Self {
        TuneSpec {
            seeds: Vec::new(),
            grid: IndexMap::new(),
            validation: Holdout::default(),
            halving: Halving::default(),
            extend: 2,
        }
    }
}

/// Successive halving over a series' settings: every setting runs for the first rung's share of
/// the budget, the best `1/eta` (at least `keep`) go on to the next rung, and the last rung is the
/// whole budget, where the choice is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Halving {
    /// Budgets tried, the last the whole run (1: no halving, every setting runs its whole budget).
    pub rungs: u32,
    /// Each rung's budget is `eta` times the one before, and about `1/eta` of the settings go on.
    pub eta: u32,
    /// The fewest settings promoted from a rung (so the whole budget always compares several).
    pub keep: usize,
}

/// Three rungs (a ninth, a third and the whole budget), a third promoted, at least two.
impl Default for Halving {
    fn default() -> Self {
        Halving { rungs: 3, eta: 3, keep: 2 }
    }
}

impl Halving {
    /// The share of the whole budget that rung `r` (from 0) runs for.
    pub fn fraction(&self, r: usize) -> f64 {
        let below_last = self.rungs.saturating_sub(1) as i32 - r as i32;
        f64::from(self.eta).powi(-below_last)
    }

    /// How many of `n` settings go on from a rung before the last.
    pub fn promoted(&self, n: usize) -> usize {
        n.div_ceil(self.eta.max(1) as usize).max(self.keep).min(n)
    }
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
    pub halving: Halving,
    pub extend: u32,
    /// Training samples held out of every cell (`holdout`).
    pub validation: Holdout,
    pub groups: Vec<TuneGroup>,
}

/// One series under one condition: the settings it may try and, once decided, what it tried and
/// chose.
#[derive(Debug, Clone, PartialEq)]
pub struct TuneGroup {
    pub label: String,
    pub condition: String,
    /// The grid as written (key -> values), as the summary shows it.
    pub grid: IndexMap<String, Vec<Value>>,
    /// Per numeric key, the values past each edge that a choice there may move to.
    pub beyond: IndexMap<String, Beyond>,
    /// Every setting of the grid, first key slowest, then every setting with values past an edge.
    pub candidates: Vec<Candidate>,
    /// What was tried and chosen, once every cell the protocol asked for is finished.
    pub result: Option<GroupResult>,
}

/// The values past a numeric key's edges, nearest first: geometric steps with the ratio of the two
/// values at that edge, as many as `extend`, stopping before a value the run refuses.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Beyond {
    pub below: Vec<Value>,
    pub above: Vec<Value>,
    /// Why there is no further value below or above (a value the run refuses), when there is none
    /// for that reason.
    pub below_stop: Option<String>,
    pub above_stop: Option<String>,
}

/// One setting: its cells on the tuning seeds (per rung) and on the reported seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Key -> value of this setting.
    pub setting: IndexMap<String, Value>,
    /// Whether every value is the grid's own (else it is an extension past an edge).
    pub written: bool,
    /// Per rung, its cells on the tuning seeds: evaluated on the validation split, run for the
    /// rung's share of the budget (the last rung: all of it).
    pub rungs: Vec<Vec<Cell>>,
    /// Run on the reported seeds if this setting is chosen.
    pub reported: Vec<Cell>,
}

impl Candidate {
    /// The setting as `key=value, ...`.
    pub fn describe(&self) -> String {
        self.setting.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
    }
}

/// What one tuning cell reached, on the validation split: its time to the target (None: never),
/// whether it then held the target to the end of its run (no evaluation fell more than
/// [`HOLD_MARGIN`] below it and the run did not diverge), and its last evaluation's accuracy (NaN
/// when the run diverged).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TuneOutcome {
    pub time_to_target: Option<f64>,
    pub held: bool,
    pub final_accuracy: f64,
}

/// A setting's score over its tuning seeds at one budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TuneScore {
    /// Seeds that reached the target and held it to the end of the budget.
    pub reached: usize,
    pub seeds: usize,
    /// The median time to target, a seed that did not reach and hold it counting as infinitely
    /// slow.
    pub median_time: f64,
    /// The mean accuracy at the end of the budget (a diverged run's counts as 0): measured at the
    /// same virtual time for every setting of a rung.
    pub mean_final_accuracy: f64,
}

impl TuneScore {
    pub fn of(outcomes: &[TuneOutcome]) -> TuneScore {
        let mut times: Vec<f64> = outcomes
            .iter()
            .map(|o| o.time_to_target.filter(|_| o.held).unwrap_or(f64::INFINITY))
            .collect();
        let n = times.len();
        let median_time = crate::stats::median_time(&mut times);
        // a diverged run's NaN accuracy counts as no accuracy at all
        let accuracy = |o: &TuneOutcome| if o.final_accuracy.is_nan() { 0.0 } else { o.final_accuracy };
        TuneScore {
            reached: outcomes.iter().filter(|o| o.time_to_target.is_some() && o.held).count(),
            seeds: n,
            median_time,
            mean_final_accuracy: outcomes.iter().map(accuracy).sum::<f64>() / n.max(1) as f64,
        }
    }

    /// Whether this score beats `other`: more seeds reached and held the target, then a lower
    /// median time to it, then a higher mean accuracy at the common budget.
    pub fn beats(&self, other: &TuneScore) -> bool {
        if self.reached != other.reached {
            return self.reached > other.reached;
        }
        if self.median_time != other.median_time {
            return self.median_time < other.median_time;
        }
        self.mean_final_accuracy > other.mean_final_accuracy
    }
}

/// The best of `scores` by [`TuneScore::beats`], the earlier on a full tie. None when empty.
pub fn best(scores: &[TuneScore]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, s) in scores.iter().enumerate() {
        if best.is_none_or(|b| s.beats(&scores[b])) {
            best = Some(i);
        }
    }
    best
}

/// One setting as tried: the highest rung it ran (its score there), or an extension past an edge
/// (run at the whole budget).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trial {
    /// Index into the group's candidates.
    pub candidate: usize,
    /// The highest rung it ran (the last rung for an extension).
    pub rung: usize,
    pub score: TuneScore,
    pub extension: bool,
}

/// What a series tried under a condition and what it chose.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupResult {
    /// Every setting run, in the order they were first run.
    pub trials: Vec<Trial>,
    /// Index into the candidates.
    pub chosen: usize,
    /// Each move past an edge, e.g. `lr 0.4 -> 0.8 (chosen)`.
    pub extensions: Vec<String>,
    /// Each key whose chosen value is still the largest or smallest tried, with why it went no
    /// further, e.g. `lr=0.8: the largest tried (extension budget spent)`.
    pub edges: Vec<String>,
    /// Tuning cells run, counted in whole budgets (a rung's cell counts its share).
    pub cost: f64,
    /// What every setting tried would have cost at the whole budget.
    pub unpruned_cost: f64,
}

impl Tuning {
    /// Every cell a tuned sweep may run (every rung of every candidate, and the reported cells), for
    /// stamping their ids.
    pub fn cells_mut(&mut self) -> impl Iterator<Item = &mut Cell> {
        self.groups
            .iter_mut()
            .flat_map(|g| g.candidates.iter_mut())
            .flat_map(|c| c.rungs.iter_mut().flatten().chain(c.reported.iter_mut()))
    }

    /// Every tuning cell the protocol could ask for (all rungs of all candidates): a listing's
    /// upper bound, not what runs.
    pub fn all_cells(&self) -> impl Iterator<Item = &Cell> {
        self.groups
            .iter()
            .flat_map(|g| &g.candidates)
            .flat_map(|c| c.rungs.iter().flatten())
    }
}

/// A tuned sweep that cannot choose yet: the cells of the stages now due (finished ones
/// included, so every shard sees the same list), and how many of them are not finished.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    pub due: Vec<Cell>,
    pub unfinished: usize,
}

impl TuneGroup {
    /// The index of the candidate with `setting`, when the group has it.
    fn find(&self, setting: &IndexMap<String, Value>) -> Option<usize> {
        self.candidates.iter().position(|c| &c.setting == setting)
    }

    /// The scores of `candidates` at rung `rung`, or the cells of theirs that have no outcome yet.
    fn scores(
        &self,
        candidates: &[usize],
        rung: usize,
        outcome: &dyn Fn(&Cell) -> Option<TuneOutcome>,
    ) -> Result<Vec<TuneScore>, Vec<Cell>> {
        let mut due = Vec::new();
        let mut missing = false;
        let mut scores = Vec::with_capacity(candidates.len());
        for &c in candidates {
            let cells = &self.candidates[c].rungs[rung];
            let found: Vec<TuneOutcome> = cells.iter().filter_map(outcome).collect();
            missing |= found.len() < cells.len();
            due.extend(cells.iter().cloned());
            scores.push(TuneScore::of(&found));
        }
        if missing { Err(due) } else { Ok(scores) }
    }

    /// Runs the protocol as far as the finished cells allow: the result, or the cells now due.
    pub fn plan(&self, halving: &Halving, extend: u32, outcome: &dyn Fn(&Cell) -> Option<TuneOutcome>) -> Result<GroupResult, Vec<Cell>> {
        let mut run = Run {
            trials: Vec::new(),
            cost: 0.0,
        };
        let chosen = self.halve(halving, outcome, &mut run)?;
        let mut tried = Tried::of(&self.grid);
        let (chosen, extensions) = self.extend_past_edges(chosen, halving, extend, outcome, &mut run, &mut tried)?;
        let edges = self.edges(chosen, extend, &tried);
        let unpruned_cost = run.trials.iter().map(|t| self.seeds(t.candidate)).sum();
        Ok(GroupResult {
            trials: run.trials,
            chosen,
            extensions,
            edges,
            cost: run.cost,
            unpruned_cost,
        })
    }

    /// Tuning seeds of candidate `c`.
    fn seeds(&self, c: usize) -> f64 {
        self.candidates[c].rungs[0].len() as f64
    }

    /// Successive halving over the grid's own settings: the candidate chosen at the whole budget.
    fn halve(&self, halving: &Halving, outcome: &dyn Fn(&Cell) -> Option<TuneOutcome>, run: &mut Run) -> Result<usize, Vec<Cell>> {
        let last = halving.rungs.max(1) as usize - 1;
        let mut alive: Vec<usize> = (0..self.candidates.len()).filter(|&i| self.candidates[i].written).collect();
        for rung in 0..=last {
            let scores = self.scores(&alive, rung, outcome)?;
            for (&c, &score) in alive.iter().zip(&scores) {
                run.cost += halving.fraction(rung) * self.seeds(c);
                match run.trials.iter_mut().find(|t| t.candidate == c) {
                    Some(t) => (t.rung, t.score) = (rung, score),
                    None => run.trials.push(Trial {
                        candidate: c,
                        rung,
                        score,
                        extension: false,
                    }),
                }
            }
            if rung == last {
                return Ok(alive[best(&scores).unwrap_or(0)]);
            }
            let mut order: Vec<usize> = (0..alive.len()).collect();
            // stable: a full tie keeps the earlier setting ahead
            order.sort_by(|&a, &b| match (scores[a].beats(&scores[b]), scores[b].beats(&scores[a])) {
                (true, _) => std::cmp::Ordering::Less,
                (_, true) => std::cmp::Ordering::Greater,
                _ => std::cmp::Ordering::Equal,
            });
            let mut next: Vec<usize> = order[..halving.promoted(alive.len())].iter().map(|&i| alive[i]).collect();
            next.sort_unstable();
            alive = next;
        }
        Ok(alive[0])
    }

    /// While `chosen` sits on an edge of a numeric key, the settings one step past each such edge,
    /// run at the whole budget, at most `extend` times: the final choice and each move, described.
    fn extend_past_edges(
        &self,
        mut chosen: usize,
        halving: &Halving,
        extend: u32,
        outcome: &dyn Fn(&Cell) -> Option<TuneOutcome>,
        run: &mut Run,
        tried: &mut Tried,
    ) -> Result<(usize, Vec<String>), Vec<Cell>> {
        let last = halving.rungs.max(1) as usize - 1;
        let mut extensions = Vec::new();
        for _ in 0..extend {
            let setting = &self.candidates[chosen].setting;
            let proposals: Vec<(usize, String, Value)> = tried
                .keys()
                .into_iter()
                .filter_map(|k| {
                    let v = tried.next_past(&self.beyond, &k, tried.edge(setting, &k)?)?;
                    let mut next = setting.clone();
                    next.insert(k.to_string(), v.clone());
                    Some((self.find(&next)?, k.to_string(), v))
                })
                .collect();
            if proposals.is_empty() {
                break;
            }
            let indices: Vec<usize> = proposals.iter().map(|p| p.0).collect();
            let scores = self.scores(&indices, last, outcome)?;
            let current = run.trials.iter().find(|t| t.candidate == chosen).map_or(scores[0], |t| t.score);
            let mut winner: Option<usize> = None;
            for (i, ((c, k, v), score)) in proposals.iter().zip(&scores).enumerate() {
                run.cost += self.seeds(*c);
                run.trials.push(Trial {
                    candidate: *c,
                    rung: last,
                    score: *score,
                    extension: true,
                });
                tried.add(k, v);
                if score.beats(&winner.map_or(current, |w| scores[w])) {
                    winner = Some(i);
                }
            }
            for (i, (_, k, v)) in proposals.iter().enumerate() {
                let verdict = if winner == Some(i) { "chosen" } else { "not better" };
                extensions.push(format!("{k} {} -> {v} ({verdict})", setting[k.as_str()]));
            }
            match winner {
                Some(w) => chosen = proposals[w].0,
                None => break,
            }
        }
        Ok((chosen, extensions))
    }

    /// Each numeric key on whose largest or smallest tried value `chosen` sits, with why it went no
    /// further.
    fn edges(&self, chosen: usize, extend: u32, tried: &Tried) -> Vec<String> {
        let setting = &self.candidates[chosen].setting;
        let mut edges = Vec::new();
        for k in tried.keys() {
            let k = k.as_str();
            let Some(upper) = tried.edge(setting, k) else {
                continue;
            };
            let why = match self.beyond.get(k) {
                None => "no value past it: the grid is not all positive numbers".to_string(),
                Some(b) => {
                    let stop = if upper { &b.above_stop } else { &b.below_stop };
                    match stop {
                        Some(refused) if tried.next_past(&self.beyond, k, upper).is_none() => refused.clone(),
                        _ => format!("extension budget spent (extend: {extend})"),
                    }
                }
            };
            let which = if upper { "largest" } else { "smallest" };
            edges.push(format!("{k}={}: the {which} tried ({why})", setting[k]));
        }
        edges
    }
}

/// What a group has run so far: its trials and their cost in whole budgets.
struct Run {
    trials: Vec<Trial>,
    cost: f64,
}

/// The values tried so far of each numeric key with two or more values in the grid.
struct Tried {
    values: IndexMap<String, Vec<f64>>,
}

impl Tried {
    fn of(grid: &IndexMap<String, Vec<Value>>) -> Tried {
        let values = grid
            .iter()
            .filter_map(|(k, v)| {
                let numbers: Vec<f64> = v.iter().filter_map(Value::as_f64).collect();
                (v.len() >= 2 && numbers.len() == v.len()).then(|| (k.clone(), numbers))
            })
            .collect();
        Tried { values }
    }

    fn keys(&self) -> Vec<String> {
        self.values.keys().cloned().collect()
    }

    fn add(&mut self, k: &str, v: &Value) {
        if let (Some(list), Some(x)) = (self.values.get_mut(k), v.as_f64()) {
            list.push(x);
        }
    }

    /// Some(true) when `setting`'s value of `k` is the largest tried, Some(false) the smallest.
    fn edge(&self, setting: &IndexMap<String, Value>, k: &str) -> Option<bool> {
        let v = setting.get(k)?.as_f64()?;
        let values = self.values.get(k)?;
        if v >= values.iter().copied().fold(f64::NEG_INFINITY, f64::max) {
            Some(true)
        } else if v <= values.iter().copied().fold(f64::INFINITY, f64::min) {
            Some(false)
        } else {
            None
        }
    }

    /// The nearest value past the upper (lower) edge of `k` not tried yet.
    fn next_past(&self, beyond: &IndexMap<String, Beyond>, k: &str, upper: bool) -> Option<Value> {
        let b = beyond.get(k)?;
        let list = if upper { &b.above } else { &b.below };
        let values = self.values.get(k)?;
        list.iter().find(|v| v.as_f64().is_some_and(|x| !values.contains(&x))).cloned()
    }
}

impl Sweep {
    /// The cells that run before anything is chosen: an untuned sweep's cells, a tuned sweep's first
    /// rung.
    pub fn first_cells(&self) -> Vec<Cell> {
        match &self.tuning {
            None => self.cells.clone(),
            Some(t) => t
                .groups
                .iter()
                .flat_map(|g| g.candidates.iter().filter(|c| c.written).flat_map(|c| c.rungs[0].iter().cloned()))
                .collect(),
        }
    }

    /// Runs the tuning protocol of a tuned sweep as far as the finished cells allow ([`TuneGroup::plan`]):
    /// when every series has chosen, sets the reported cells (each chosen setting on the reported
    /// seeds, in the sweep's order); otherwise says which cells are due.
    pub fn choose(&mut self, outcome: impl Fn(&Cell) -> Option<TuneOutcome>) -> Result<(), Waiting> {
        let Some(tuning) = self.tuning.as_mut() else {
            return Ok(());
        };
        let mut due = Vec::new();
        for g in &mut tuning.groups {
            match g.plan(&tuning.halving, tuning.extend, &outcome) {
                Ok(result) => g.result = Some(result),
                Err(cells) => {
                    g.result = None;
                    due.extend(cells);
                }
            }
        }
        if !due.is_empty() {
            let unfinished = due.iter().filter(|c| outcome(c).is_none()).count();
            return Err(Waiting { due, unfinished });
        }
        self.cells = tuning
            .groups
            .iter()
            .filter_map(|g| Some(g.candidates[g.result.as_ref()?.chosen].reported.iter().cloned()))
            .flatten()
            .collect();
        Ok(())
    }
}

/// The values one and more geometric steps past each edge of `values` (nearest first, at most
/// `steps` a side), when they are two or more distinct positive numbers; whole numbers stay whole
/// (a step that rounds back onto a value tried is skipped, one that rounds to 0 ends that side).
pub fn past_edges(values: &[Value], steps: u32) -> Option<(Vec<Value>, Vec<Value>)> {
    let mut numbers: Vec<f64> = values.iter().map(Value::as_f64).collect::<Option<Vec<_>>>()?;
    if numbers.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return None;
    }
    numbers.sort_by(f64::total_cmp);
    numbers.dedup();
    if numbers.len() < 2 {
        return None;
    }
    let whole = values.iter().all(|v| v.is_u64() || v.is_i64());
    let n = numbers.len();
    let make = |x: f64| -> Option<Value> {
        if whole {
            let r = x.round();
            (r >= 1.0).then(|| Value::from(r as u64))
        } else {
            // four significant digits: 0.4 x 2 is 0.8, not 0.8000000000000002
            let digits = 3 - x.abs().log10().floor() as i32;
            let scale = 10f64.powi(digits);
            Some(Value::from((x * scale).round() / scale))
        }
    };
    let side = |start: f64, ratio: f64| -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        let mut x = start;
        let mut last = start;
        for _ in 0..steps * 4 {
            if out.len() == steps as usize {
                break;
            }
            x *= ratio;
            let Some(v) = make(x) else { break };
            let y = v.as_f64().unwrap_or(last);
            if y == last || numbers.contains(&y) {
                continue;
            }
            last = y;
            out.push(v);
        }
        out
    };
    let below = side(numbers[0], numbers[0] / numbers[1]);
    let above = side(numbers[n - 1], numbers[n - 1] / numbers[n - 2]);
    Some((below, above))
}

/// Checks a tuning section's own shape before any cell is resolved: enough seeds (one in a quick
/// run), a validation split, a sane halving, no `seed` or `policy` among the tuned keys, no empty
/// list, and (when the series' names are known) only known series.
pub(super) fn check_spec(spec: &TuneSpec, labels: Option<&[String]>, quick: bool, o: &super::file::Origin) -> Result<(), ConfigError> {
    if spec.seeds.is_empty() {
        return Err(o.error(
            Some("tune.seeds"),
            "has no seeds: give a list of at least three, e.g. `seeds: [100, 101, 102]`",
        ));
    }
    if !quick && spec.seeds.len() < MIN_TUNING_SEEDS {
        return Err(o.error(
            Some("tune.seeds"),
            format!(
                "has {} seed(s): give at least {MIN_TUNING_SEEDS} (with fewer, one unlucky seed decides), e.g. `seeds: [100, 101, 102]`",
                spec.seeds.len()
            ),
        ));
    }
    if let Err(e) = spec.validation.validate() {
        return Err(o.error(Some("tune.validation"), e));
    }
    if spec.validation.is_none() {
        return Err(o.error(
            Some("tune"),
            "has no `validation`: give the training samples to hold out as a validation split, which tuning scores on (the test set is for the report), e.g. `validation: 5000`",
        ));
    }
    let h = spec.halving;
    if h.rungs == 0 || h.eta < 2 || h.keep == 0 {
        return Err(o.error(
            Some("tune.halving"),
            format!(
                "rungs {}, eta {}, keep {} are not allowed: expected rungs >= 1, eta >= 2, keep >= 1, e.g. `halving: {{rungs: 3, eta: 3, keep: 2}}`",
                h.rungs, h.eta, h.keep
            ),
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
            if matches!(k.as_str(), "seed" | "policy" | "holdout" | "evaluate_on") {
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

    const TUNED: &str = "base: {model: analytic, max_rounds: 90, workers: 4}\n\
        policies: {abs: abs, ada: {policy: adasync}}\n\
        conditions: {plain: {}, slow: {max_rounds: 180}}\n\
        grid: {seed: [0, 1]}\n\
        tune: {seeds: [100, 101, 102], validation: 100, grid: {all: {lr: [0.1, 0.2]}, ada: {k0: [2, 4]}}}\n";

    fn tuned(yaml: &str) -> Result<Sweep, ConfigError> {
        expand_with(yaml, "s.yaml", &ExpandOptions::default())
    }

    fn lr(c: &Cell) -> f64 {
        c.config.lr
    }

    #[test]
    fn every_setting_is_resolved_rung_by_rung_on_the_validation_split() {
        let sweep = tuned(TUNED).unwrap();
        assert!(sweep.cells.is_empty(), "nothing is reported before the choice");
        let t = sweep.tuning.as_ref().unwrap();
        let groups: Vec<(&str, &str, usize)> = t
            .groups
            .iter()
            .map(|g| {
                (
                    g.label.as_str(),
                    g.condition.as_str(),
                    g.candidates.iter().filter(|c| c.written).count(),
                )
            })
            .collect();
        assert_eq!(
            groups,
            [("abs", "plain", 2), ("abs", "slow", 2), ("ada", "plain", 4), ("ada", "slow", 4)]
        );
        let ada = &t.groups[3];
        assert_eq!(ada.candidates[1].describe(), "lr=0.1, k0=4");
        // past the edges: lr halves below and doubles above, k0 stays whole and within 1..=N
        let b = &ada.beyond["lr"];
        assert_eq!(
            (b.below.clone(), b.above.clone()),
            (
                vec![Value::from(0.05), Value::from(0.025)],
                vec![Value::from(0.4), Value::from(0.8)]
            )
        );
        let k0 = &ada.beyond["k0"];
        assert_eq!((k0.below.clone(), k0.above.clone()), (vec![Value::from(1u64)], vec![]));
        assert!(k0.above_stop.as_deref().is_some_and(|s| s.contains("k0=8 is refused")), "{k0:?}");
        assert_eq!(ada.candidates.len(), 6 * 3, "every setting of the extended grid");
        for c in &ada.candidates {
            assert_eq!(c.rungs.len(), 3);
            for (r, rung) in c.rungs.iter().enumerate() {
                assert_eq!(rung.iter().map(|x| x.config.seed).collect::<Vec<_>>(), [100, 101, 102]);
                for x in rung {
                    // analytic data's default target, full runs on the validation split, a third of
                    // the budget per rung below the last (the slow condition's 180 rounds)
                    assert!(!x.config.stop_at_target && x.config.target_accuracy.is_some(), "{x:?}");
                    assert_eq!(
                        (x.config.holdout, x.config.evaluate_on),
                        (Holdout::Samples(100), crate::validation::EvalSplit::Validation)
                    );
                    assert_eq!(x.config.max_rounds, [20, 60, 180][r]);
                }
            }
            assert_eq!(c.reported.iter().map(|x| x.config.seed).collect::<Vec<_>>(), [0, 1]);
            for x in &c.reported {
                assert!(!x.config.stop_at_target && x.config.target_accuracy.is_none());
                assert_eq!(
                    (x.config.holdout, x.config.evaluate_on),
                    (Holdout::Samples(100), crate::validation::EvalSplit::Test)
                );
                assert_eq!(x.config.lr, c.setting["lr"].as_f64().unwrap());
            }
        }
        // the first cells are the first rung of the grid's own settings
        assert_eq!(sweep.first_cells().len(), (2 + 2 + 4 + 4) * 3);
        // a given target is the tuning cells' target
        let at = ExpandOptions {
            target: Some(0.7),
            ..Default::default()
        };
        let t = expand_with(TUNED, "s.yaml", &at).unwrap().tuning.unwrap();
        assert!(t.all_cells().all(|c| c.config.target_accuracy == Some(0.7)));
        // jobs_log reaches every cell a tuned sweep may run
        let logged = tuned(&format!("{TUNED}jobs_log: true\n")).unwrap();
        assert!(logged.first_cells().iter().all(|c| c.jobs_log));
        assert!(
            logged.tuning.as_ref().unwrap().groups[0]
                .candidates
                .iter()
                .all(|c| c.reported.iter().all(|x| x.jobs_log))
        );
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
    fn values_past_an_edge_are_geometric_steps() {
        let v = |xs: &[f64]| xs.iter().map(|&x| Value::from(x)).collect::<Vec<_>>();
        let w = |xs: &[u64]| xs.iter().map(|&x| Value::from(x)).collect::<Vec<_>>();
        assert_eq!(
            past_edges(&v(&[0.05, 0.1, 0.2, 0.4]), 2),
            Some((v(&[0.025, 0.0125]), v(&[0.8, 1.6])))
        );
        assert_eq!(past_edges(&v(&[0.3, 1.0, 3.0]), 1), Some((v(&[0.09]), v(&[9.0]))));
        // whole numbers stay whole; one that rounds back onto a value is skipped, 0 ends the side
        assert_eq!(past_edges(&w(&[2, 5, 10]), 3), Some((w(&[1]), w(&[20, 40, 80]))));
        assert_eq!(past_edges(&v(&[0.1]), 2), None, "one value has no edge to step past");
        assert_eq!(past_edges(&v(&[0.0, 0.1]), 2), None, "not all positive");
        assert_eq!(past_edges(&[Value::from("inv"), Value::from("constant")], 2), None);
        assert_eq!(past_edges(&v(&[0.1, 0.2]), 0), Some((vec![], vec![])));
    }

    /// A made-up outcome for the plan's tests: a setting reaches the target at `time` (rounds, here)
    /// on each seed, if its rung's budget is that long; `held` false makes it fall back after; the
    /// accuracy at the end of the budget is higher the sooner it would reach.
    fn outcome(time: Option<f64>, held: bool, c: &Cell) -> TuneOutcome {
        let budget = c.config.max_rounds as f64;
        let reached = time.filter(|&t| t <= budget);
        TuneOutcome {
            time_to_target: reached,
            held: reached.is_none() || held,
            final_accuracy: time.map_or(0.85, |t| 1.0 - t / 200.0),
        }
    }

    /// The ada series under `plain`: (lr, k0) -> (time to target on seeds 100, 101, 102, held).
    fn ada(c: &Cell) -> TuneOutcome {
        let (lr, k0, seed) = (lr(c), c.config.k0, c.config.seed);
        let t = |x: f64| Some(x);
        let (time, held) = match (lr, k0) {
            (0.1, 2) => (t(40.0), true),
            // the fastest while it works, but seed 102 never gets there
            (0.1, 4) => (if seed == 102 { None } else { t(20.0) }, true),
            (0.2, 2) => (t(25.0), true),
            (0.2, 4) => (t(60.0), true),
            (0.4, 2) => (t(15.0), true),
            (0.2, 1) => (t(30.0), true),
            // fast, then it falls back
            (0.8, 2) => (t(5.0), false),
            _ => (None, true),
        };
        outcome(time, held, c)
    }

    #[test]
    fn the_plan_halves_then_chooses_by_seeds_held_then_time_then_extends_past_an_edge() {
        let mut sweep = tuned(TUNED).unwrap();
        let only_ada = |c: &Cell| c.label == "ada" && c.condition == "plain";
        // nothing finished: the first rung of every series is due
        let w = sweep.choose(|_| None).unwrap_err();
        assert_eq!((w.due.len(), w.unfinished), (36, 36));
        // the first rung finished (rounds 10): the promoted settings' second rung is due
        let w = sweep
            .choose(|c| (c.config.max_rounds <= 10 || c.config.max_rounds == 20).then(|| ada(c)))
            .unwrap_err();
        let ada_due: Vec<(f64, u32, u64)> = w
            .due
            .iter()
            .filter(|c| only_ada(c))
            .map(|c| (lr(c), c.config.k0, c.config.max_rounds))
            .collect();
        // at 10 rounds nobody reached: accuracy there ranks (0.1, 4) first, (0.2, 2) second
        assert_eq!(
            ada_due,
            [(0.1, 4, 30), (0.1, 4, 30), (0.1, 4, 30), (0.2, 2, 30), (0.2, 2, 30), (0.2, 2, 30)]
        );
        assert_eq!(
            w.unfinished,
            w.due
                .iter()
                .filter(|c| c.config.max_rounds == 30 || c.config.max_rounds == 60)
                .count()
        );
        // everything finished: the whole protocol runs through
        sweep.choose(|c| Some(ada(c))).unwrap();
        let g = &sweep.tuning.as_ref().unwrap().groups[2];
        let r = g.result.as_ref().unwrap();
        // (0.1, 4) is faster where it works but reached on 2 of 3 seeds: (0.2, 2), 3 of 3, wins the
        // whole budget; on its edges lr 0.4 (faster) then 0.8 (falls back) and k0 1 were tried
        assert_eq!(g.candidates[r.chosen].describe(), "lr=0.4, k0=2");
        assert_eq!(
            r.extensions,
            ["lr 0.2 -> 0.4 (chosen)", "k0 2 -> 1 (not better)", "lr 0.4 -> 0.8 (not better)"]
        );
        assert!(
            r.edges.is_empty(),
            "0.4 lies between 0.2 and 0.8 now, k0 2 between 1 and 4: {:?}",
            r.edges
        );
        let tried: Vec<(String, usize, bool)> = r
            .trials
            .iter()
            .map(|t| (g.candidates[t.candidate].describe(), t.rung, t.extension))
            .collect();
        assert_eq!(tried.len(), 7);
        assert_eq!(tried[1], ("lr=0.1, k0=4".to_string(), 2, false));
        assert_eq!(tried[0], ("lr=0.1, k0=2".to_string(), 0, false), "stopped at the first rung");
        let fell = r
            .trials
            .iter()
            .find(|t| g.candidates[t.candidate].describe() == "lr=0.8, k0=2")
            .unwrap();
        assert_eq!(
            (fell.score.reached, fell.score.median_time),
            (0, f64::INFINITY),
            "falling back is not reaching"
        );
        // cost in whole budgets: 4 settings at a ninth, 2 at a third and all of it, 3 extensions
        let expected = 3.0 * (4.0 / 9.0 + 2.0 / 3.0 + 2.0 + 3.0);
        assert!(
            (r.cost - expected).abs() < 1e-9 && r.unpruned_cost == 3.0 * 7.0,
            "{} {}",
            r.cost,
            r.unpruned_cost
        );
        // the reported cells are the chosen settings on the reported seeds
        assert!(
            sweep
                .cells
                .iter()
                .filter(|c| only_ada(c))
                .all(|c| lr(c) == 0.4 && c.config.k0 == 2 && c.config.seed < 2)
        );
        assert_eq!(sweep.cells.len(), 4 * 2);
    }

    #[test]
    fn a_choice_still_on_an_edge_is_marked_with_why() {
        let yaml = TUNED.replace("validation: 100,", "validation: 100, extend: 1,");
        let mut sweep = tuned(&yaml).unwrap();
        // the larger lr and k0 the sooner, always held: 0.2 wins, 0.4 wins the one extension
        sweep
            .choose(|c| Some(outcome(Some(10.0 / (lr(c) * f64::from(c.config.k0))), true, c)))
            .unwrap();
        let g = &sweep.tuning.as_ref().unwrap().groups[0];
        let r = g.result.as_ref().unwrap();
        assert_eq!(g.candidates[r.chosen].describe(), "lr=0.4");
        assert_eq!(r.edges, ["lr=0.4: the largest tried (extension budget spent (extend: 1))"]);
        // k0 cannot go past 4 (N): its edge says why
        let ada = &sweep.tuning.as_ref().unwrap().groups[2];
        let r = ada.result.as_ref().unwrap();
        assert_eq!(ada.candidates[r.chosen].describe(), "lr=0.4, k0=4");
        assert_eq!(r.edges.len(), 2, "{:?}", r.edges);
        assert!(r.edges[1].starts_with("k0=4: the largest tried (k0=8 is refused"), "{:?}", r.edges);
    }

    #[test]
    fn bad_tuning_grids_are_refused_naming_the_key() {
        let base = "base: {model: analytic, max_rounds: 10, workers: 4}\npolicies: {abs: abs, ada: {policy: adasync}}\n";
        let ok = "seeds: [7, 8, 9], validation: 50";
        for (tail, key, needle) in [
            (
                format!("grid: {{seed: [7]}}\ntune: {{{ok}, grid: {{all: {{lr: [0.1]}}}}}}\n"),
                "tune.seeds",
                "also a reported seed",
            ),
            (
                "tune: {seeds: [], validation: 50, grid: {all: {lr: [0.1]}}}\n".into(),
                "tune.seeds",
                "at least three",
            ),
            (
                "tune: {seeds: [1, 2], validation: 50, grid: {all: {lr: [0.1]}}}\n".into(),
                "tune.seeds",
                "at least 3",
            ),
            (
                "tune: {seeds: [1, 2, 3], grid: {all: {lr: [0.1]}}}\n".into(),
                "tune",
                "has no `validation`",
            ),
            (
                "tune: {seeds: [1, 2, 3], validation: -5, grid: {all: {lr: [0.1]}}}\n".into(),
                "tune.validation",
                "whole number",
            ),
            (
                format!("tune: {{{ok}, halving: {{eta: 1}}, grid: {{all: {{lr: [0.1]}}}}}}\n"),
                "tune.halving",
                "eta >= 2",
            ),
            (
                format!("tune: {{{ok}, halving: {{speed: 1}}, grid: {{all: {{lr: [0.1]}}}}}}\n"),
                "tune.halving",
                "unknown key `speed`",
            ),
            (
                "tune: {seeds: [-1], grid: {all: {lr: [0.1]}}}\n".into(),
                "tune.seeds",
                "whole numbers",
            ),
            (
                format!("tune: {{{ok}, grid: {{nope: {{lr: [0.1]}}}}}}\n"),
                "tune.nope",
                "not a policy entry",
            ),
            (
                format!("tune: {{{ok}, grid: {{all: {{zeta: [1, 2]}}}}}}\n"),
                "tune.all",
                "ignored by policy adasync",
            ),
            (format!("tune: {{{ok}, grid: {{all: {{lr: []}}}}}}\n"), "tune.lr", "at least one"),
            (
                format!("tune: {{{ok}, grid: {{abs: {{seed: [1]}}}}}}\n"),
                "tune.seed",
                "cannot be tuned",
            ),
            (
                format!("tune: {{{ok}, grid: {{abs: {{holdout: [1]}}}}}}\n"),
                "tune.holdout",
                "cannot be tuned",
            ),
            (
                format!("tune: {{{ok}, grid: {{all: {{lr: [2.0, -1]}}}}}}\n"),
                "tune.all",
                "`lr`: value -1 is not allowed",
            ),
            (format!("tune: {{{ok}}}\n"), "tune", "has no `grid`"),
            (
                format!("tune: {{{ok}, grid: {{all: {{lr: [0.1]}}}}, budget: 3}}\n"),
                "tune.budget",
                "unknown key",
            ),
            (
                format!("grid: {{workers: [4, 5]}}\ntune: {{{ok}, grid: {{all: {{lr: [0.1]}}}}}}\n"),
                "grid.workers",
                "varies only `seed`",
            ),
            (
                format!("conditions: {{a: {{lr: 0.3}}}}\ntune: {{{ok}, grid: {{all: {{lr: [0.1]}}}}}}\n"),
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
        let entry = "base: {model: analytic}\npolicies: {k: {policy: k_async, k: 2}}\ntune: {seeds: [7, 8, 9], validation: 50, grid: {k: {k: [1, 2]}}}\n";
        let e = tuned(entry).unwrap_err();
        assert!(e.to_string().contains("policy entry `k` sets"), "{e}");
    }

    fn score(times: &[Option<f64>], held: bool, accuracy: f64) -> TuneScore {
        let outcomes: Vec<TuneOutcome> = times
            .iter()
            .map(|&t| TuneOutcome {
                time_to_target: t,
                held,
                final_accuracy: accuracy,
            })
            .collect();
        TuneScore::of(&outcomes)
    }

    #[test]
    fn the_best_reached_on_more_seeds_then_sooner_then_more_accurate_at_the_budget() {
        let s = score(&[Some(3.0), None, Some(1.0)], true, 0.5);
        assert_eq!((s.median_time, s.reached, s.seeds), (3.0, 2, 3));
        assert_eq!(score(&[Some(2.0), Some(4.0)], true, 0.5).median_time, 3.0);
        assert!(score(&[Some(2.0), None], true, 0.5).median_time.is_infinite());
        let fell = score(&[Some(1.0), Some(1.0), Some(1.0)], false, 0.9);
        assert_eq!(
            (fell.reached, fell.median_time),
            (0, f64::INFINITY),
            "reaching then falling back is not reaching"
        );
        let nan = TuneScore::of(&[TuneOutcome {
            time_to_target: None,
            held: true,
            final_accuracy: f64::NAN,
        }]);
        assert_eq!(nan.mean_final_accuracy, 0.0, "a diverged run has no accuracy");
        let scores = [
            score(&[None, None, None], true, 0.6),
            score(&[Some(5.0), Some(7.0), None], true, 0.7),
            score(&[Some(6.0), Some(6.0), Some(9.0)], true, 0.9),
            score(&[Some(9.0), Some(8.0), Some(9.0)], true, 0.95),
        ];
        assert_eq!(best(&scores), Some(2), "3 of 3 beats 2 of 3 however fast; then 6.0 beats 9.0");
        assert_eq!(best(&scores[..2]), Some(1));
        assert_eq!(
            best(&[scores[0], score(&[None, None, None], true, 0.7), nan]),
            Some(1),
            "none reached: accuracy at the common budget decides"
        );
        assert_eq!(best(&[scores[2], scores[2]]), Some(0), "a full tie: the earlier setting");
        assert_eq!(best(&[]), None);
        let h = Halving::default();
        assert_eq!((h.fraction(0), h.fraction(1), h.fraction(2)), (1.0 / 9.0, 1.0 / 3.0, 1.0));
        assert_eq!((h.promoted(12), h.promoted(4), h.promoted(2), h.promoted(1)), (4, 2, 2, 1));
    }
}
