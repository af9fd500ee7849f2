//! Two series compared seed by seed on time (or comm) to the target.
//!
//! A seed that never reached the target is censored at the end of its run (its last evaluation).
//! Each seed's two runs are compared within the window both observed, up to H = the earlier of
//! their ends: a value is the time (comm) to target when that is at most H, else H. So a seed where
//! only one side reached the target within the window counts in the right direction with its size
//! understated, and a seed where neither did (or where the censored run stopped before the other
//! reached the target) counts as a tie: no pair ever points the wrong way.

use super::bootstrap::{Estimate, RESAMPLES, Resamples};

/// Seeds needed before a comparison gives a verdict (the percentile interval is too narrow below).
pub const MIN_SEEDS: usize = 5;

/// What one run reached: when (in time or comm) it first hit the target, and how far it ran.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// First evaluation at or above the target (None: never reached).
    pub reached: Option<f64>,
    /// The run's last evaluation: where an unreached run is censored.
    pub horizon: f64,
}

impl Outcome {
    /// Time (comm) to target restricted to `window`: when it was reached within it, else `window`.
    pub fn restricted(&self, window: f64) -> f64 {
        match self.reached {
            Some(t) if t <= window => t,
            _ => window,
        }
    }
}

/// One seed: the series and the reference it is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    pub series: Outcome,
    pub reference: Outcome,
}

impl Pair {
    /// (series, reference), each restricted to the window both runs observed.
    pub fn restricted(&self) -> (f64, f64) {
        let window = self.series.horizon.min(self.reference.horizon);
        (self.series.restricted(window), self.reference.restricted(window))
    }
}

/// What a paired comparison says about the series against the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Reaches the target sooner: the 95% interval of the ratio lies below 1.
    Faster,
    /// Reaches it later: the interval lies above 1.
    Slower,
    /// The interval holds 1.
    NoClearDifference,
    /// Fewer than [`MIN_SEEDS`] paired seeds.
    TooFewSeeds,
    /// No seed reached the target on either side.
    NeitherReached,
}

impl Verdict {
    /// The word the reports print.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::NoClearDifference => "no clear difference",
            Verdict::TooFewSeeds => "too few seeds",
            Verdict::NeitherReached => "neither reached",
        }
    }
}

/// A paired comparison of a series with a reference over the seeds both ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Seeds paired.
    pub seeds: usize,
    /// Seeds on which the series (the reference) reached the target.
    pub series_reached: usize,
    pub reference_reached: usize,
    /// Seeds on which at least one side never reached the target (censored at its run's end).
    pub censored: usize,
    /// Per seed: series over reference, values restricted to the pair's window (None where either is 0).
    pub ratios: Vec<Option<f64>>,
    /// Per seed: series minus reference, values restricted to the pair's window.
    pub differences: Vec<f64>,
    /// Geometric mean of the per-seed ratios with its interval (None when a ratio is undefined).
    pub ratio: Option<Estimate>,
    /// Mean of the per-seed differences with its interval.
    pub difference: Option<Estimate>,
    /// The one-sided bootstrap p-value of "the series is slower": the share of resamples whose
    /// mean log ratio (mean difference, when a ratio is undefined) is at or below 0. Small when
    /// the series is slower on every resample; a claim's verdict corrects it for multiplicity.
    pub p_slower: Option<f64>,
    pub verdict: Verdict,
}

/// Compares the series with the reference over `pairs` (one per seed, in seed order), with
/// percentile-bootstrap intervals over seeds drawn from `bootstrap_seed`'s stream. The ratio's
/// interval gives the verdict; the difference's when a ratio is undefined (a time of 0).
pub fn compare(pairs: &[Pair], bootstrap_seed: u64) -> Comparison {
    let n = pairs.len();
    let restricted: Vec<(f64, f64)> = pairs.iter().map(Pair::restricted).collect();
    let ratios: Vec<Option<f64>> = restricted.iter().map(|&(s, r)| (s > 0.0 && r > 0.0).then(|| s / r)).collect();
    let differences: Vec<f64> = restricted.iter().map(|&(s, r)| s - r).collect();
    let reached = |f: fn(&Pair) -> Outcome| pairs.iter().filter(|p| f(p).reached.is_some()).count();
    let (series_reached, reference_reached) = (reached(|p| p.series), reached(|p| p.reference));
    let censored = pairs
        .iter()
        .filter(|p| p.series.reached.is_none() || p.reference.reached.is_none())
        .count();
    let mut comparison = Comparison {
        seeds: n,
        series_reached,
        reference_reached,
        censored,
        ratios,
        differences,
        ratio: None,
        difference: None,
        p_slower: None,
        verdict: Verdict::TooFewSeeds,
    };
    if n == 0 {
        return comparison;
    }
    let resamples = Resamples::draw(n, RESAMPLES, bootstrap_seed);
    let logs: Option<Vec<f64>> = comparison.ratios.iter().map(|r| r.map(f64::ln)).collect();
    comparison.ratio = logs.as_ref().map(|l| resamples.mean_interval(l).map(f64::exp));
    let difference = resamples.mean_interval(&comparison.differences);
    comparison.difference = Some(difference);
    comparison.p_slower = Some(resamples.share_at_most(logs.as_deref().unwrap_or(&comparison.differences), 0.0));
    comparison.verdict = if series_reached == 0 && reference_reached == 0 {
        Verdict::NeitherReached
    } else if n < MIN_SEEDS {
        Verdict::TooFewSeeds
    } else {
        let (estimate, neutral) = match comparison.ratio {
            Some(r) => (r, 1.0),
            None => (difference, 0.0),
        };
        if estimate.hi < neutral {
            Verdict::Faster
        } else if estimate.lo > neutral {
            Verdict::Slower
        } else {
            Verdict::NoClearDifference
        }
    };
    comparison
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: f64) -> Outcome {
        Outcome {
            reached: Some(t),
            horizon: 60.0,
        }
    }

    const NEVER: Outcome = Outcome {
        reached: None,
        horizon: 60.0,
    };

    fn pairs(series: &[Outcome], reference: &[Outcome]) -> Vec<Pair> {
        series
            .iter()
            .zip(reference)
            .map(|(&s, &r)| Pair { series: s, reference: r })
            .collect()
    }

    #[test]
    fn ratios_and_differences_match_hand_computed_values() {
        // per seed: 10/5 = 2, 30/15 = 2, 20/40 = 0.5; differences 5, 15, -20
        let c = compare(&pairs(&[at(10.0), at(30.0), at(20.0)], &[at(5.0), at(15.0), at(40.0)]), 0);
        assert_eq!(c.ratios, vec![Some(2.0), Some(2.0), Some(0.5)]);
        assert_eq!(c.differences, vec![5.0, 15.0, -20.0]);
        let (r, d) = (c.ratio.unwrap(), c.difference.unwrap());
        // geometric mean (2 * 2 * 0.5)^(1/3) = 2^(1/3); mean difference 0
        assert!((r.value - 2f64.powf(1.0 / 3.0)).abs() < 1e-12, "{r:?}");
        assert!(d.value.abs() < 1e-12);
        // with 3 seeds the resampled geometric means run from 0.5 (all seed 3) to 2 (no seed 3)
        assert!((r.lo - 0.5).abs() < 1e-9 && (r.hi - 2.0).abs() < 1e-9, "{r:?}");
        assert_eq!((c.seeds, c.series_reached, c.reference_reached, c.censored), (3, 3, 3, 0));
        assert_eq!(c.verdict, Verdict::TooFewSeeds);
    }

    #[test]
    fn twice_as_slow_on_every_seed_is_slower_and_identical_series_are_not_different() {
        let reference: Vec<Outcome> = (0..10).map(|i| at(5.0 + i as f64)).collect();
        let slow: Vec<Outcome> = reference.iter().map(|o| at(2.0 * o.reached.unwrap())).collect();
        let c = compare(&pairs(&slow, &reference), 0);
        assert_eq!(c.verdict, Verdict::Slower);
        assert_eq!(c.p_slower, Some(0.0), "slower on every seed, so on every resample");
        let r = c.ratio.unwrap();
        assert!(r.excludes(1.0) && (r.value - 2.0).abs() < 1e-12, "{r:?}");
        let back = compare(&pairs(&reference, &slow), 0);
        assert_eq!(back.verdict, Verdict::Faster);
        assert_eq!(back.p_slower, Some(1.0));
        let same = compare(&pairs(&reference, &reference), 0);
        assert_eq!(same.verdict, Verdict::NoClearDifference);
        assert!(!same.ratio.unwrap().excludes(1.0));
        // noisy but balanced: faster on half the seeds, slower on the other half
        let mixed: Vec<Outcome> = reference
            .iter()
            .enumerate()
            .map(|(i, o)| at(o.reached.unwrap() * if i % 2 == 0 { 1.5 } else { 0.6 }))
            .collect();
        assert_eq!(compare(&pairs(&mixed, &reference), 0).verdict, Verdict::NoClearDifference);
    }

    #[test]
    fn censored_seeds_count_at_the_end_of_their_run() {
        // the series never reaches the target on seed 0: its restricted time is the horizon, 60
        let mut series: Vec<Outcome> = (0..6).map(|_| at(40.0)).collect();
        series[0] = NEVER;
        let reference: Vec<Outcome> = (0..6).map(|_| at(20.0)).collect();
        let c = compare(&pairs(&series, &reference), 3);
        assert_eq!((c.series_reached, c.reference_reached, c.censored), (5, 6, 1));
        assert_eq!(c.ratios[0], Some(3.0));
        assert_eq!(c.differences[0], 40.0);
        assert_eq!(c.verdict, Verdict::Slower);
        // the same seed gives the same intervals
        assert_eq!(c, compare(&pairs(&series, &reference), 3));
        // nobody reached it: said so, not "no clear difference"
        // a run that stopped (at comm 100) before the other reached the target (at comm 160) says
        // nothing about which is faster: a tie, not a win for the run that stopped early
        let stopped = Outcome {
            reached: None,
            horizon: 100.0,
        };
        let later = Outcome {
            reached: Some(160.0),
            horizon: 400.0,
        };
        let sooner = Outcome {
            reached: Some(40.0),
            horizon: 400.0,
        };
        let c = compare(&pairs(&[stopped, stopped], &[later, sooner]), 0);
        assert_eq!(c.ratios, vec![Some(1.0), Some(2.5)]);
        let never = compare(&pairs(&[NEVER; 6], &[NEVER; 6]), 0);
        assert_eq!((never.verdict, never.censored), (Verdict::NeitherReached, 6));
        assert_eq!(compare(&[], 0).verdict, Verdict::TooFewSeeds);
    }

    #[test]
    fn a_time_of_zero_falls_back_to_the_difference() {
        let reference: Vec<Outcome> = (0..6).map(|_| at(0.0)).collect();
        let series: Vec<Outcome> = (0..6).map(|i| at(3.0 + i as f64)).collect();
        let c = compare(&pairs(&series, &reference), 0);
        assert!(c.ratio.is_none() && c.ratios.iter().all(Option::is_none));
        assert_eq!(c.verdict, Verdict::Slower);
    }
}
