//! Daily availability from a client's time zone: one on-window a day, centred on a local hour,
//! shifted a little each day, as a pure function of (client, time): no per-client state.

use serde::{Deserialize, Serialize};

use super::draws::ClientDraws;

const HOUR: f64 = 3600.0;

/// Each client is present in one window a day of `on_hours`, centred at `center_h` local time
/// (phones train when idle, charging and on Wi-Fi: mostly at night), the centre shifted by a
/// uniform draw in [-jitter_h, +jitter_h] per client and day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Diurnal {
    pub on_hours: f64,
    pub center_h: f64,
    pub jitter_h: f64,
}

impl Default for Diurnal {
    /// About 40% of the day, centred at 2 am local time, give or take two hours.
    fn default() -> Self {
        Diurnal {
            on_hours: 9.6,
            center_h: 2.0,
            jitter_h: 2.0,
        }
    }
}

impl Diurnal {
    /// Refuses a shape with no on-time, a window of more than a day, or windows of two days that
    /// could overlap (on_hours + 2 jitter_h must stay below 24).
    pub fn validate(&self) -> Result<(), (String, String)> {
        let finite = |v: f64| v.is_finite();
        if !(finite(self.on_hours) && self.on_hours > 0.0 && self.on_hours <= 24.0) {
            return Err((
                "on_hours".into(),
                format!("value {} is not allowed: expected hours in (0, 24]", self.on_hours),
            ));
        }
        if !(finite(self.center_h) && (0.0..24.0).contains(&self.center_h)) {
            return Err((
                "center_h".into(),
                format!("value {} is not allowed: expected an hour in [0, 24)", self.center_h),
            ));
        }
        if !(finite(self.jitter_h) && self.jitter_h >= 0.0 && (self.on_hours >= 24.0 || self.on_hours + 2.0 * self.jitter_h < 24.0)) {
            return Err((
                "jitter_h".into(),
                format!(
                    "value {} is not allowed: expected >= 0 with on_hours + 2 x jitter_h below 24 (one window a day)",
                    self.jitter_h
                ),
            ));
        }
        Ok(())
    }

    /// The client's window of local day `day`, in run seconds: [start, end).
    fn window(&self, draws: &ClientDraws, client: u64, phase_h: f64, day: i64) -> (f64, f64) {
        let shift = (2.0 * draws.unit(client, day as u64) - 1.0) * self.jitter_h;
        let mid = (day as f64 * 24.0 + self.center_h - phase_h + shift) * HOUR;
        let half = self.on_hours * HOUR / 2.0;
        (mid - half, mid + half)
    }

    /// The local day whose window's unshifted centre is nearest `t`.
    fn day_of(&self, phase_h: f64, t: f64) -> i64 {
        ((t / HOUR - self.center_h + phase_h) / 24.0).round() as i64
    }

    /// Whether the client is present at `t` (run seconds, from 0).
    pub fn present(&self, draws: &ClientDraws, client: u64, phase_h: f64, t: f64) -> bool {
        if self.on_hours >= 24.0 {
            return true;
        }
        let d = self.day_of(phase_h, t);
        (d - 1..=d + 1).any(|day| {
            let (s, e) = self.window(draws, client, phase_h, day);
            s <= t && t < e
        })
    }

    /// The first instant after `t` at which the client's presence changes (infinity when always
    /// present).
    pub fn next_change(&self, draws: &ClientDraws, client: u64, phase_h: f64, t: f64) -> f64 {
        if self.on_hours >= 24.0 {
            return f64::INFINITY;
        }
        let d = self.day_of(phase_h, t);
        (d - 1..=d + 2)
            .flat_map(|day| {
                let (s, e) = self.window(draws, client, phase_h, day);
                [s, e]
            })
            .filter(|&x| x > t)
            .fold(f64::INFINITY, f64::min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::{Purpose, Seeds};

    const DAY_S: f64 = 24.0 * HOUR;

    #[test]
    fn clients_are_present_their_share_of_the_day_in_one_window() {
        let d = Diurnal::default();
        d.validate().unwrap();
        let draws = ClientDraws::new(&Seeds::new(5), Purpose::ClientAvailability);
        let phases = ClientDraws::new(&Seeds::new(5), Purpose::ClientAttributes);
        // the share of (client, time) pairs present: 9.6 / 24 = 0.4
        let (mut present, mut total) = (0u64, 0u64);
        for c in 0..2_000u64 {
            let phase = 24.0 * phases.unit(c, 1);
            for i in 0..50 {
                let t = (i as f64 * 0.37 + c as f64 * 0.011) * DAY_S;
                present += u64::from(d.present(&draws, c, phase, t));
                total += 1;
            }
        }
        let share = present as f64 / total as f64;
        assert!((share - 0.4).abs() < 0.01, "{share}");
        // walking one client's changes over a week: alternate, each window exactly on_hours long
        let phase = 24.0 * phases.unit(42, 1);
        let mut t = 0.0;
        let mut state = d.present(&draws, 42, phase, t);
        let mut windows = 0;
        for _ in 0..14 {
            let next = d.next_change(&draws, 42, phase, t);
            assert!(next > t && next.is_finite());
            // presence holds until the change, then flips
            assert_eq!(d.present(&draws, 42, phase, (t + next) / 2.0), state);
            let flipped = d.present(&draws, 42, phase, next);
            assert_ne!(flipped, state, "a change at {next}");
            if flipped {
                let end = d.next_change(&draws, 42, phase, next);
                assert!(((end - next) / HOUR - 9.6).abs() < 1e-6, "{}", (end - next) / HOUR);
                windows += 1;
            }
            (t, state) = (next, flipped);
        }
        assert!(windows >= 6, "{windows}");
    }

    #[test]
    fn shapes_without_on_time_or_with_overlapping_windows_are_refused() {
        for (d, key) in [
            (
                Diurnal {
                    on_hours: 0.0,
                    ..Default::default()
                },
                "on_hours",
            ),
            (
                Diurnal {
                    on_hours: 25.0,
                    ..Default::default()
                },
                "on_hours",
            ),
            (
                Diurnal {
                    center_h: 24.0,
                    ..Default::default()
                },
                "center_h",
            ),
            (
                Diurnal {
                    on_hours: 20.0,
                    jitter_h: 2.0,
                    ..Default::default()
                },
                "jitter_h",
            ),
            (
                Diurnal {
                    jitter_h: f64::NAN,
                    ..Default::default()
                },
                "jitter_h",
            ),
        ] {
            assert_eq!(d.validate().unwrap_err().0, key, "{d:?}");
        }
        let always = Diurnal {
            on_hours: 24.0,
            ..Default::default()
        };
        always.validate().unwrap();
        let draws = ClientDraws::new(&Seeds::new(1), Purpose::ClientAvailability);
        assert!(always.present(&draws, 3, 5.0, 1e6) && always.next_change(&draws, 3, 5.0, 0.0).is_infinite());
    }
}
