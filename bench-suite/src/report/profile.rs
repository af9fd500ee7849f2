//! A performance profile across a sweep's conditions (Dolan and Moré's): for each series, the share
//! of conditions in which its median time to target is within a factor tau of the best series'
//! there, as tau grows; and how often it is within 10% of the best.

use indexmap::IndexMap;

use super::chart::{Chart, Legend, Panel, Series};
use super::curves::Band;
use crate::results::Outcomes;
use abs_sim::stats::median_time;

/// The factor a series must be within of the best to count as "near the best" in the summary.
pub const NEAR_BEST: f64 = 1.1;

/// The largest factor drawn.
const TAU_MAX: f64 = 4.0;

/// Per series (in first-appearance order), its median time to target under each condition (in
/// first-appearance order; infinity where more than half its seeds never reached the target).
#[derive(Debug, Clone, PartialEq)]
pub struct Medians {
    pub conditions: Vec<String>,
    pub series: IndexMap<String, Vec<f64>>,
}

impl Medians {
    /// From every cell's time to target, as the sweep's comparisons read them (read once).
    pub fn of(outcomes: &Outcomes) -> Medians {
        let mut by: IndexMap<(String, String), Vec<f64>> = IndexMap::new();
        let mut order: Vec<String> = Vec::new();
        for (l, c, t) in outcomes.times_to_target() {
            if !order.iter().any(|o| o == c) {
                order.push(c.to_string());
            }
            by.entry((l.to_string(), c.to_string()))
                .or_default()
                .push(t.unwrap_or(f64::INFINITY));
        }
        let mut series: IndexMap<String, Vec<f64>> = IndexMap::new();
        for ((l, c), mut times) in by {
            let row = series.entry(l).or_insert_with(|| vec![f64::INFINITY; order.len()]);
            let i = order.iter().position(|o| *o == c).unwrap_or(0);
            row[i] = median_time(&mut times);
        }
        Medians { conditions: order, series }
    }

    /// Per series, each condition's ratio to the best median there (infinity where the series, or
    /// every series, never reached the target).
    pub fn ratios(&self) -> IndexMap<String, Vec<f64>> {
        let best: Vec<f64> = (0..self.conditions.len())
            .map(|i| self.series.values().map(|v| v[i]).fold(f64::INFINITY, f64::min))
            .collect();
        self.series
            .iter()
            .map(|(l, v)| {
                let r = v
                    .iter()
                    .zip(&best)
                    .map(|(t, b)| if t.is_finite() && b.is_finite() { t / b } else { f64::INFINITY })
                    .collect();
                (l.clone(), r)
            })
            .collect()
    }

    /// Per series, in how many conditions it is within [`NEAR_BEST`] of the best.
    pub fn near_best(&self) -> IndexMap<String, usize> {
        self.ratios()
            .into_iter()
            .map(|(l, r)| (l, r.iter().filter(|x| **x <= NEAR_BEST).count()))
            .collect()
    }
}

/// The profile as a chart: share of conditions within tau of the best, tau from 1 to 4.
pub fn profile_chart(medians: &Medians, title: String, subtitle: String) -> Chart {
    let n = medians.conditions.len().max(1) as f64;
    let series = medians
        .ratios()
        .into_iter()
        .map(|(name, mut ratios)| {
            // a step at each ratio: the share just before it, then just after
            ratios.sort_by(f64::total_cmp);
            let (mut x, mut share) = (vec![1.0], vec![0.0]);
            let mut now = 0.0;
            for r in ratios.into_iter().filter(|r| *r <= TAU_MAX) {
                x.push(r);
                share.push(now);
                now += 1.0 / n;
                x.push(r);
                share.push(now);
            }
            x.push(TAU_MAX);
            share.push(now);
            Series {
                name,
                band: Band {
                    x,
                    lo: share.clone(),
                    hi: share.clone(),
                    mean: share,
                    seeds: 0,
                },
            }
        })
        .collect();
    Chart {
        title,
        subtitle,
        panels: vec![Panel {
            caption: format!(
                "share of the {} conditions within tau x the best median time to target",
                medians.conditions.len()
            ),
            x_label: "tau (ratio to the best series' median time to target)".into(),
            y_label: "share of conditions".into(),
            series,
            legend: Legend::LowerRight,
        }],
    }
}

/// The summary's table: per series, its median time per condition and how often it is near the best.
pub fn profile_markdown(medians: &Medians) -> String {
    let near = medians.near_best();
    let mut md = format!(
        "**Ranking across conditions** (a performance profile): the median time to target over the reported \
         seeds (`never` where more than half of them never reached it), and in how many of the {} conditions \
         each series is within 10% of the best series there.\n\n| series | {} | within 10% of the best |\n|---|{}---:|\n",
        medians.conditions.len(),
        medians.conditions.join(" | "),
        "---:|".repeat(medians.conditions.len())
    );
    for (label, times) in &medians.series {
        let cells: Vec<String> = times
            .iter()
            .map(|t| if t.is_finite() { format!("{t:.1}") } else { "never".into() })
            .collect();
        md.push_str(&format!(
            "| {label} | {} | {} of {} |\n",
            cells.join(" | "),
            near.get(label).copied().unwrap_or(0),
            medians.conditions.len()
        ));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_and_the_near_best_count_follow_the_medians() {
        let inf = f64::INFINITY;
        let m = Medians {
            conditions: vec!["a".into(), "b".into(), "c".into()],
            series: IndexMap::from([
                ("x".to_string(), vec![10.0, 20.0, inf]),
                ("y".to_string(), vec![10.5, 40.0, inf]),
                ("z".to_string(), vec![30.0, 21.0, inf]),
            ]),
        };
        let r = m.ratios();
        assert_eq!(r["x"], [1.0, 1.0, inf]);
        assert_eq!(r["y"], [1.05, 2.0, inf]);
        assert_eq!(r["z"], [3.0, 1.05, inf]);
        assert_eq!(
            m.near_best(),
            IndexMap::from([("x".to_string(), 2), ("y".to_string(), 1), ("z".to_string(), 1)])
        );
        let chart = profile_chart(&m, "T".into(), "S".into());
        let y = &chart.panels[0].series[1].band;
        // y is within tau of the best in a from 1.05 on, in b from 2 on, never in c: steps there
        assert_eq!(y.x, [1.0, 1.05, 1.05, 2.0, 2.0, 4.0]);
        assert_eq!(y.mean, [0.0, 0.0, 1.0 / 3.0, 1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0]);
        let x = &chart.panels[0].series[0].band;
        assert_eq!((x.x.first(), x.mean.last()), (Some(&1.0), Some(&(2.0 / 3.0))));
        assert!(profile_markdown(&m).contains("| y | 10.5 | 40.0 | never | 1 of 3 |"));
    }
}
