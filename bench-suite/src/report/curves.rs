//! Curves over seeds: each seed's evaluations read as a step function (the accuracy of the last
//! evaluation at or before x, i.e. what the global model was known to reach by then), sampled on a
//! common grid, then the mean across seeds with a band: the 95% interval of the mean (percentile
//! bootstrap over seeds, the same resamples at every x) or the seeds' min-max.

use abs_sim::stats::Resamples;

/// One seed's curve: x (virtual time or comm) and y (test accuracy) at each evaluation, x ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

impl Trace {
    /// y of the last point with x <= at (the first y before the first point).
    pub fn step_at(&self, at: f64) -> f64 {
        let i = self.x.partition_point(|&x| x <= at);
        self.y[i.saturating_sub(1)]
    }
}

/// What a band around the mean curve shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum BandKind {
    /// The 95% confidence interval of the mean (percentile bootstrap over seeds).
    #[default]
    Ci,
    /// The lowest and highest seed.
    Minmax,
}

impl BandKind {
    /// What the band is, for captions.
    pub fn caption(self) -> &'static str {
        match self {
            BandKind::Ci => "band: 95% CI of the mean (bootstrap over seeds)",
            BandKind::Minmax => "band: min–max over seeds",
        }
    }
}

/// Resamples per grid point of a confidence band.
const BAND_RESAMPLES: usize = 2_000;

/// Mean and band of several seeds on a common grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub x: Vec<f64>,
    pub mean: Vec<f64>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
    /// Seeds pooled.
    pub seeds: usize,
}

/// Pools `traces` on `points` evenly spaced x values from 0 to the shortest trace's last x (so every
/// seed contributes at every point), with a band of `kind` (resamples drawn from `seed`'s bootstrap
/// stream). None when there is no trace or a trace is empty.
pub fn band(traces: &[Trace], points: usize, kind: BandKind, seed: u64) -> Option<Band> {
    if traces.is_empty() || traces.iter().any(|t| t.x.is_empty() || t.x.len() != t.y.len()) {
        return None;
    }
    let end = traces.iter().map(|t| *t.x.last().unwrap_or(&0.0)).fold(f64::INFINITY, f64::min);
    let points = points.max(2);
    let x: Vec<f64> = (0..points).map(|i| end * i as f64 / (points - 1) as f64).collect();
    let mut b = Band {
        mean: Vec::with_capacity(points),
        lo: Vec::with_capacity(points),
        hi: Vec::with_capacity(points),
        x,
        seeds: traces.len(),
    };
    let resamples = (kind == BandKind::Ci).then(|| Resamples::draw(traces.len(), BAND_RESAMPLES, seed));
    for &at in &b.x {
        let ys: Vec<f64> = traces.iter().map(|t| t.step_at(at)).collect();
        b.mean.push(ys.iter().sum::<f64>() / ys.len() as f64);
        match &resamples {
            Some(r) => {
                let e = r.mean_interval(&ys);
                b.lo.push(e.lo);
                b.hi.push(e.hi);
            }
            None => {
                b.lo.push(ys.iter().copied().fold(f64::INFINITY, f64::min));
                b.hi.push(ys.iter().copied().fold(f64::NEG_INFINITY, f64::max));
            }
        }
    }
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_hold_the_last_evaluation() {
        let t = Trace {
            x: vec![0.0, 1.0, 3.0],
            y: vec![0.1, 0.5, 0.9],
        };
        assert_eq!(
            [t.step_at(0.0), t.step_at(0.99), t.step_at(1.0), t.step_at(2.5), t.step_at(9.0)],
            [0.1, 0.1, 0.5, 0.5, 0.9]
        );
    }

    #[test]
    fn band_pools_seeds_up_to_the_shortest() {
        let a = Trace {
            x: vec![0.0, 2.0, 4.0],
            y: vec![0.1, 0.5, 0.7],
        };
        let b = Trace {
            x: vec![0.0, 1.0, 2.0],
            y: vec![0.1, 0.3, 0.9],
        };
        let minmax = band(&[a.clone(), b.clone()], 3, BandKind::Minmax, 0).unwrap();
        assert_eq!(minmax.x, vec![0.0, 1.0, 2.0]);
        assert_eq!(minmax.lo, vec![0.1, 0.1, 0.5]);
        assert_eq!(minmax.hi, vec![0.1, 0.3, 0.9]);
        assert!((minmax.mean[2] - 0.7).abs() < 1e-12);
        assert_eq!(minmax.seeds, 2);
        assert!(super::band(&[], 10, BandKind::Ci, 0).is_none());
        // two seeds: the resampled means are a's, the average, or b's; the 95% interval spans them
        let ci = band(&[a, b], 3, BandKind::Ci, 0).unwrap();
        assert_eq!((ci.mean.clone(), ci.lo[2], ci.hi[2]), (minmax.mean.clone(), 0.5, 0.9));
    }

    #[test]
    fn a_confidence_band_narrows_with_more_seeds_and_holds_the_mean() {
        let trace = |level: f64| Trace {
            x: vec![0.0, 1.0],
            y: vec![0.0, level],
        };
        let few: Vec<Trace> = (0..4).map(|i| trace(0.5 + 0.1 * (i % 2) as f64)).collect();
        let many: Vec<Trace> = (0..40).map(|i| trace(0.5 + 0.1 * (i % 2) as f64)).collect();
        let (few, many) = (band(&few, 2, BandKind::Ci, 0).unwrap(), band(&many, 2, BandKind::Ci, 0).unwrap());
        assert!(many.hi[1] - many.lo[1] < few.hi[1] - few.lo[1]);
        for b in [&few, &many] {
            assert!(b.lo[1] < b.mean[1] && b.mean[1] < b.hi[1], "{b:?}");
        }
        // min-max would span 0.5 to 0.6 whatever the count
        assert!(many.hi[1] - many.lo[1] < 0.05);
    }
}
