//! How a tuned sweep's ranking depends on the tuning budget (Sivaprasad et al. 2020): for each
//! series and condition, the best time to target that k of its tuning trials would have found, k
//! from 1 to all of them, by bootstrap over the trials; and whether the series' order changes
//! along k.

use indexmap::IndexMap;
use rand::RngExt;

use super::chart::{Chart, Legend, Panel, Series};
use super::curves::Band;
use abs_sim::seeds::{Purpose, Seeds};
use abs_sim::sweep::{Trial, Tuning};

/// Bootstrap draws per budget.
const DRAWS: usize = 2000;

/// One series under one condition: per budget k (from 1), the median, first and third quartile over
/// the draws of the best trial's median time to target (infinity: none of the k reached it).
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetCurve {
    pub median: Vec<f64>,
    pub q1: Vec<f64>,
    pub q3: Vec<f64>,
}

/// Per condition (in the sweep's order), per series, its curve.
pub type BudgetCurves = IndexMap<String, IndexMap<String, BudgetCurve>>;

/// A trial's time to target as the bootstrap reads it: its median time on the tuning seeds when at
/// least half of them reached and held the target within the budget it ran (a trial stopped at a
/// rung counts what it reached there), else infinity.
fn time_of(t: &Trial) -> f64 {
    if 2 * t.score.reached >= t.score.seeds.max(1) {
        t.score.median_time
    } else {
        f64::INFINITY
    }
}

/// The best of `k` trials drawn with replacement, `DRAWS` times, for k = 1..=n, from a stream of its
/// own (so the curves are the same on every run).
pub fn curve(times: &[f64], stream: u64) -> BudgetCurve {
    let n = times.len();
    let mut rng = Seeds::new(0).stream(Purpose::Bootstrap, stream, 0);
    let (mut median, mut q1, mut q3) = (Vec::new(), Vec::new(), Vec::new());
    for k in 1..=n {
        let mut best: Vec<f64> = (0..DRAWS)
            .map(|_| (0..k).map(|_| times[rng.random_range(0..n)]).fold(f64::INFINITY, f64::min))
            .collect();
        best.sort_by(f64::total_cmp);
        median.push(nearest_rank(&best, 0.5));
        q1.push(nearest_rank(&best, 0.25));
        q3.push(nearest_rank(&best, 0.75));
    }
    BudgetCurve { median, q1, q3 }
}

/// The `q` quantile of sorted `values` by nearest rank: always one of them, so an infinite best
/// (none of the k reached the target) stays infinite instead of turning interpolation into NaN.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len().saturating_sub(1)) as f64 * q).round() as usize;
    sorted.get(i).copied().unwrap_or(f64::INFINITY)
}

/// Every series' curve under every condition of a decided tuning (groups not decided are left out).
pub fn budget_curves(t: &Tuning) -> BudgetCurves {
    let mut out: BudgetCurves = IndexMap::new();
    for (i, g) in t.groups.iter().enumerate() {
        let Some(r) = &g.result else { continue };
        let times: Vec<f64> = r.trials.iter().map(time_of).collect();
        out.entry(g.condition.clone())
            .or_default()
            .insert(g.label.clone(), curve(&times, i as u64));
    }
    out
}

/// The order of the series at budget `k` (1-based; a series with fewer trials takes its last), by
/// median best time, never-reached last, ties in the sweep's order.
fn order_at(series: &IndexMap<String, BudgetCurve>, k: usize) -> Vec<String> {
    let mut v: Vec<(&String, f64)> = series
        .iter()
        .map(|(l, c)| (l, c.median[(k - 1).min(c.median.len().saturating_sub(1))]))
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1));
    v.into_iter().map(|(l, _)| l.clone()).collect()
}

/// The chart: one panel per condition, the median best time to target against the number of
/// trials, the band its interquartile range over the draws.
pub fn budget_chart(curves: &BudgetCurves, title: String, subtitle: String) -> Chart {
    let panels = curves
        .iter()
        .map(|(condition, series)| Panel {
            caption: condition.clone(),
            x_label: "tuning trials (settings) drawn".into(),
            y_label: "best median time to target (s)".into(),
            series: series
                .iter()
                .map(|(name, c)| {
                    // only the budgets at which the best is finite can be drawn
                    let finite: Vec<usize> = (0..c.median.len()).filter(|&i| c.median[i].is_finite()).collect();
                    let pick = |v: &[f64], cap: &[f64]| finite.iter().map(|&i| if v[i].is_finite() { v[i] } else { cap[i] }).collect();
                    Series {
                        name: name.clone(),
                        band: Band {
                            x: finite.iter().map(|&i| (i + 1) as f64).collect(),
                            lo: pick(&c.q1, &c.median),
                            hi: pick(&c.q3, &c.median),
                            mean: pick(&c.median, &c.median),
                            seeds: 0,
                        },
                    }
                })
                .collect(),
            legend: Legend::UpperRight,
        })
        .collect();
    Chart { title, subtitle, panels }
}

/// The summary's words: per condition, the order at one trial and at the most trials, and whether it
/// changes anywhere along the way.
pub fn budget_markdown(curves: &BudgetCurves) -> String {
    let mut md = String::from(
        "**Ranking against the tuning budget** (Sivaprasad et al. 2020): the best median time to target on the \
         tuning seeds (validation split) that k of a series' tuning trials would find, by bootstrap over its trials \
         (median of 2,000 draws; a trial stopped at a rung counts what it reached there, so small budgets are \
         pessimistic for the halving's early losers). Order from fastest; `changes` says whether it differs at any \
         k.\n\n| condition | order with 1 trial | order with all trials | changes |\n|---|---|---|---|\n",
    );
    for (condition, series) in curves {
        let most = series.values().map(|c| c.median.len()).max().unwrap_or(1).max(1);
        let orders: Vec<Vec<String>> = (1..=most).map(|k| order_at(series, k)).collect();
        let changes = orders.windows(2).any(|w| w[0] != w[1]);
        md.push_str(&format!(
            "| {condition} | {} | {} | {} |\n",
            orders[0].join(" < "),
            orders[most - 1].join(" < "),
            if changes { "yes" } else { "no" }
        ));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_of_more_trials_is_never_slower_and_one_trial_is_the_median_trial() {
        let inf = f64::INFINITY;
        let times = [10.0, 20.0, 30.0, inf, inf];
        let c = curve(&times, 7);
        assert_eq!(c.median.len(), 5);
        assert!(c.median.windows(2).all(|w| w[1] <= w[0]), "{:?}", c.median);
        // one trial: the median of the trials themselves
        assert_eq!(c.median[0], 30.0);
        assert_eq!(c.median[4], 10.0, "five draws almost always hold the best");
        assert_eq!(curve(&times, 7), c, "the same stream, the same curve");
        let never = curve(&[inf, inf], 1);
        assert!(never.median.iter().all(|m| m.is_infinite()));
        // a series that is best with one trial but worst with many: the order changes
        let mut series = IndexMap::new();
        series.insert("steady".to_string(), curve(&[15.0, 15.0, 15.0, 15.0], 1));
        series.insert("lucky".to_string(), curve(&[5.0, inf, inf, inf], 2));
        let mut curves = IndexMap::new();
        curves.insert("a".to_string(), series);
        assert_eq!(order_at(&curves["a"], 1), ["steady", "lucky"]);
        assert_eq!(order_at(&curves["a"], 4), ["lucky", "steady"]);
        assert!(budget_markdown(&curves).contains("| a | steady < lucky | lucky < steady | yes |"));
        let chart = budget_chart(&curves, "T".into(), "S".into());
        let lucky = &chart.panels[0].series[1].band;
        assert!(
            lucky.mean.iter().all(|m| m.is_finite()) && lucky.x.first() > Some(&1.0),
            "{lucky:?}"
        );
    }
}
