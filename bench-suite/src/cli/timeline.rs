//! `abs-bench timeline`: one run's jobs per worker over virtual time, from its job log.

use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, Result};
use crate::report::{render_timeline, timeline_of};

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// A run folder (from `run --out`) or a cell folder with its job log.
    dir: PathBuf,
    /// The PNG file to write, an SVG beside it (default: DIR/timeline.png).
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,
    /// First virtual second shown.
    #[arg(long, default_value_t = 0.0)]
    from: f64,
    /// Last virtual second shown (default: the end of the run).
    #[arg(long)]
    to: Option<f64>,
}

pub fn timeline(a: TimelineArgs) -> Result<()> {
    if !a.from.is_finite() || a.from < 0.0 || a.to.is_some_and(|t| !t.is_finite() || t <= a.from) {
        return Err(Error::Usage(format!(
            "--from {} --to {:?}: expected 0 <= from < to, both finite",
            a.from, a.to
        )));
    }
    let t = timeline_of(&a.dir, None, a.from, a.to)?;
    let png = a.png.clone().unwrap_or_else(|| a.dir.join("timeline.png"));
    let svg = png.with_extension("svg");
    render_timeline(&t, &svg, &png).map_err(Error::Report)?;
    println!(
        "{}: {} jobs of {} workers; wrote {} and {}",
        a.dir.display(),
        t.jobs.len(),
        t.workers,
        png.display(),
        svg.display()
    );
    Ok(())
}
