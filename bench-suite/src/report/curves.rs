//! Curves over seeds: each seed's evaluations read as a step function (the accuracy of the last
//! evaluation at or before x, i.e. what the global model was known to reach by then), sampled on a
//! common grid, then the mean and the min-max band across seeds.

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

/// Mean and min-max band of several seeds on a common grid.
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
/// seed contributes at every point). None when there is no trace or a trace is empty.
pub fn band(traces: &[Trace], points: usize) -> Option<Band> {
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
    for &at in &b.x {
        let ys: Vec<f64> = traces.iter().map(|t| t.step_at(at)).collect();
        b.mean.push(ys.iter().sum::<f64>() / ys.len() as f64);
        b.lo.push(ys.iter().copied().fold(f64::INFINITY, f64::min));
        b.hi.push(ys.iter().copied().fold(f64::NEG_INFINITY, f64::max));
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
        let band = band(&[a, b], 3).unwrap();
        assert_eq!(band.x, vec![0.0, 1.0, 2.0]);
        assert_eq!(band.lo, vec![0.1, 0.1, 0.5]);
        assert_eq!(band.hi, vec![0.1, 0.3, 0.9]);
        assert!((band.mean[2] - 0.7).abs() < 1e-12);
        assert_eq!(band.seeds, 2);
        assert!(super::band(&[], 10).is_none());
    }
}
