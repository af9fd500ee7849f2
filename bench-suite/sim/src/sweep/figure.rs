//! The `figure` section of a sweep file: what `abs-bench figures` draws from a sweep and which
//! claims its summary tests.

use serde::Deserialize;

use super::Cell;

/// The `figure` section of a sweep file: what `abs-bench figures` draws from it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureMeta {
    /// The figure's title (data set, model, N and seeds are added below it).
    pub title: String,
    /// The x axes, one panel each: `time` (virtual seconds) and/or `comm` (communication rounds).
    #[serde(default = "default_panels")]
    pub panels: Vec<XAxis>,
    /// Labels whose K^t and tau_max^t are drawn over time in a companion figure `<name>-dynamics`.
    #[serde(default)]
    pub dynamics: Vec<String>,
    /// The series every other is compared with, seed by seed (default: `abs`).
    #[serde(default)]
    pub reference: Option<String>,
    /// Claims (of the paper) this figure tests, each given a verdict in the summary.
    #[serde(default)]
    pub claims: Vec<Claim>,
    /// Timelines to draw from job logs (`<name>-timeline-<label>`), one per series.
    #[serde(default)]
    pub timeline: Option<TimelineMeta>,
    /// With conditions: also the accuracy of every series against virtual time, one panel per
    /// condition (`<name>-curves`).
    #[serde(default)]
    pub curves: bool,
    /// With conditions: also a performance profile across them (`<name>-profile`), and in the
    /// summary each series' median time to target per condition and how often it is within 10% of
    /// the best.
    #[serde(default)]
    pub profile: bool,
    /// Also how many slots were busy over virtual time, from the cells' job logs (`jobs_log:
    /// true`), one panel per condition (`<name>-concurrency`): for population sweeps.
    #[serde(default)]
    pub concurrency: bool,
    /// For a tuned sweep: also how each series' best time to target depends on the number of
    /// tuning trials (`<name>-budget`, bootstrap over the trials), and whether the series' order
    /// changes along it.
    #[serde(default)]
    pub budget: bool,
}

/// Which cells' timelines a figure draws: for each series, its cell with the lowest seed (under
/// `condition` when given, else the first the sweep lists), over the first `seconds` virtual seconds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineMeta {
    pub series: Vec<String>,
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default = "default_timeline_seconds")]
    pub seconds: f64,
}

fn default_timeline_seconds() -> f64 {
    20.0
}

impl TimelineMeta {
    /// The cell whose timeline is drawn for `label`.
    pub fn cell<'a>(&self, cells: &'a [Cell], label: &str) -> Option<&'a Cell> {
        let of_label = cells.iter().filter(|c| c.label == label);
        let condition = self.condition.clone().or_else(|| cells.first().map(|c| c.condition.clone()));
        of_label
            .filter(|c| condition.as_ref().is_none_or(|k| &c.condition == k))
            .min_by_key(|c| c.config.seed)
    }
}

/// A claim that some series reach the target before others, tested seed by seed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The claim in words, as the summary prints it.
    pub claim: String,
    /// What is compared: `time` or `comm` to the target.
    pub metric: XAxis,
    /// Labels that should get there first: each is compared with each label of `than`.
    #[serde(deserialize_with = "one_or_many")]
    pub faster: Vec<String>,
    /// Labels they should beat (default: every other label of the sweep).
    #[serde(default, deserialize_with = "one_or_many")]
    pub than: Vec<String>,
}

/// A name or a list of names.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Names {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Names::deserialize(d)? {
        Names::One(n) => vec![n],
        Names::Many(v) => v,
    })
}

/// An x axis of a figure panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum XAxis {
    Time,
    Comm,
}

fn default_panels() -> Vec<XAxis> {
    vec![XAxis::Time, XAxis::Comm]
}
