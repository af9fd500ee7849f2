//! The percentile bootstrap: resample the seeds with replacement, recompute the statistic, and take
//! the 2.5% and 97.5% quantiles of the resampled values as the 95% interval. Resamples come from
//! the project's seeded streams, so the same data and seed give the same interval.

use rand::RngExt;

use crate::seeds::{Purpose, Seeds};

/// Confidence level of every interval.
pub const LEVEL: f64 = 0.95;

/// Resamples per interval in tables (Monte Carlo error of a 2.5% quantile well below the
/// differences reported).
pub const RESAMPLES: usize = 10_000;

/// A statistic and its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Estimate {
    /// Whether the interval lies wholly above or wholly below `x`.
    pub fn excludes(&self, x: f64) -> bool {
        self.lo > x || self.hi < x
    }

    /// The same estimate with `f` applied to every bound (for a monotone increasing `f`).
    pub fn map(self, f: impl Fn(f64) -> f64) -> Estimate {
        Estimate {
            value: f(self.value),
            lo: f(self.lo),
            hi: f(self.hi),
        }
    }
}

/// `count` resamples of `n` indices drawn with replacement, each a slice of `n` indices.
#[derive(Debug, Clone)]
pub struct Resamples {
    n: usize,
    indices: Vec<u32>,
}

impl Resamples {
    /// Draws from the bootstrap stream of `seed` (its own purpose, so no simulation stream is
    /// touched); the same (n, count, seed) always gives the same resamples.
    pub fn draw(n: usize, count: usize, seed: u64) -> Resamples {
        let mut rng = Seeds::new(seed).stream(Purpose::Bootstrap, n as u64, count as u64);
        let indices = if n == 0 {
            Vec::new()
        } else {
            (0..n * count).map(|_| rng.random_range(0..n as u32)).collect()
        };
        Resamples { n, indices }
    }

    /// Each resample's indices.
    pub fn iter(&self) -> impl Iterator<Item = &[u32]> {
        self.indices.chunks_exact(self.n.max(1))
    }

    /// The mean of `values` and its percentile interval (`values.len()` must be the `n` drawn for).
    pub fn mean_interval(&self, values: &[f64]) -> Estimate {
        self.interval(mean(values), |idx| {
            idx.iter().map(|&i| values[i as usize]).sum::<f64>() / idx.len() as f64
        })
    }

    /// `value` with the percentile interval of `statistic` over the resamples.
    /// The share of resamples whose mean of `values` is at or below `x`: the one-sided bootstrap
    /// p-value of "the mean is above x" (0 when every resampled mean lies above it).
    pub fn share_at_most(&self, values: &[f64], x: f64) -> f64 {
        let (mut at_most, mut all) = (0usize, 0usize);
        for idx in self.iter() {
            let mean = idx.iter().map(|&i| values[i as usize]).sum::<f64>() / idx.len() as f64;
            at_most += usize::from(mean <= x);
            all += 1;
        }
        if all == 0 { f64::NAN } else { at_most as f64 / all as f64 }
    }

    pub fn interval(&self, value: f64, statistic: impl Fn(&[u32]) -> f64) -> Estimate {
        let mut stats: Vec<f64> = self.iter().map(statistic).collect();
        stats.sort_by(f64::total_cmp);
        let tail = (1.0 - LEVEL) / 2.0;
        Estimate {
            value,
            lo: quantile(&stats, tail),
            hi: quantile(&stats, 1.0 - tail),
        }
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The q-quantile of ascending `sorted` values, interpolating linearly between order statistics
/// (R's type 7); NaN when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let (i, frac) = (h.floor() as usize, h.fract());
    match sorted.get(i + 1) {
        Some(next) if frac > 0.0 => sorted[i] + frac * (next - sorted[i]),
        _ => sorted[i],
    }
}

/// The median of times to a target, where a run that never got there counts as infinitely slow:
/// `values` (sorted in place) may hold infinities, and the mean of the middle two of an even count
/// stays infinite when either is (where [`quantile`] would give NaN for two); infinity when empty.
pub fn median_time(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::INFINITY,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_times_count_never_as_infinitely_slow() {
        let inf = f64::INFINITY;
        assert_eq!(median_time(&mut [3.0, inf, 1.0]), 3.0);
        assert_eq!(median_time(&mut [4.0, 2.0]), 3.0);
        assert_eq!(median_time(&mut [2.0, inf]), inf);
        assert_eq!(median_time(&mut [inf, inf]), inf);
        assert_eq!(median_time(&mut []), inf);
    }

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!([quantile(&v, 0.0), quantile(&v, 0.5), quantile(&v, 1.0)], [1.0, 3.0, 5.0]);
        assert_eq!(quantile(&v, 0.125), 1.5);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn two_values_give_the_hand_computed_interval() {
        // resampled means of [1, 3] are 1, 2 or 3 with probabilities 1/4, 1/2, 1/4: the 2.5% and
        // 97.5% quantiles are 1 and 3
        let r = Resamples::draw(2, RESAMPLES, 7);
        let e = r.mean_interval(&[1.0, 3.0]);
        assert_eq!((e.value, e.lo, e.hi), (2.0, 1.0, 3.0));
        // a quarter of the resamples are (1, 1), to within Monte Carlo error
        let ones = r.iter().filter(|i| i == &[0, 0]).count() as f64 / RESAMPLES as f64;
        assert!((ones - 0.25).abs() < 0.02, "{ones}");
    }

    #[test]
    fn intervals_are_reproducible_from_the_seed() {
        let v = [0.3, 1.7, 0.9, 2.2, 1.1, 0.4, 1.6, 0.8];
        let a = Resamples::draw(v.len(), 2_000, 1).mean_interval(&v);
        let b = Resamples::draw(v.len(), 2_000, 1).mean_interval(&v);
        let c = Resamples::draw(v.len(), 2_000, 2).mean_interval(&v);
        assert_eq!(a, b);
        assert_ne!((a.lo, a.hi), (c.lo, c.hi));
        // the interval holds the mean and lies within the data's range
        assert!(a.lo < a.value && a.value < a.hi && a.lo >= 0.3 && a.hi <= 2.2, "{a:?}");
    }

    #[test]
    fn constant_data_gives_a_point_interval() {
        let e = Resamples::draw(5, 500, 0).mean_interval(&[2.0; 5]);
        assert_eq!((e.lo, e.hi), (2.0, 2.0));
        assert!(!e.excludes(2.0) && e.excludes(1.9));
    }
}
