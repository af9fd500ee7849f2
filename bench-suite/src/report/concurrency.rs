//! How many slots were busy over virtual time (docs/semantics.md, "18. A population of clients"),
//! from the cells' job logs: a slot is busy from its job's start until its client is free again
//! (the job arrived, was lost or was stopped). One panel per condition, one line per series (the
//! mean over seeds, with its band).

use abs_sim::engine::JobRecord;
use abs_sim::sweep::Sweep;

use super::chart::{Chart, Legend, Panel, Series, time_axis};
use super::curves::{Trace, band};
use super::figures::conditions_of;
use super::series::{CURVE_POINTS, Context};
use crate::error::Error;
use crate::output::{jobs_from, read_manifest, read_records};
use crate::results::BOOTSTRAP_SEED;

/// The busy slots of a run as a step function from 0 to `end`.
pub fn busy_trace(jobs: &[JobRecord], end: f64) -> Trace {
    let mut changes: Vec<(f64, i64)> = Vec::with_capacity(2 * jobs.len());
    for j in jobs {
        changes.push((j.start, 1));
        changes.push((j.released(), -1));
    }
    // at equal times the slots freed go first: a slot refilled at once stays counted once
    changes.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut x, mut y) = (vec![0.0], vec![0.0]);
    let mut busy = 0i64;
    for (t, d) in changes.into_iter().filter(|c| c.0 <= end) {
        busy += d;
        if *x.last().unwrap_or(&0.0) == t {
            *y.last_mut().unwrap_or(&mut 0.0) = busy as f64;
        } else {
            x.push(t);
            y.push(busy as f64);
        }
    }
    if *x.last().unwrap_or(&0.0) < end {
        x.push(end);
        y.push(busy as f64);
    }
    Trace { x, y }
}

/// Busy slots against virtual time, one panel per condition; a cell without a job log is skipped
/// and said.
pub fn concurrency_chart(results: &std::path::Path, sweep: &Sweep, title: &str, context: &Context) -> crate::error::Result<Chart> {
    let mut panels = Vec::new();
    for (i, condition) in conditions_of(sweep).iter().enumerate() {
        let mut by_label: Vec<(String, Vec<Trace>)> = Vec::new();
        for cell in sweep.cells.iter().filter(|c| c.condition == *condition) {
            let dir = crate::runner::cell_dir(results, cell);
            if !dir.join("jobs.parquet").is_file() {
                if dir.join("manifest.json").is_file() {
                    eprintln!(
                        "figures: cell {} ({}) has no job log, so it is left out of the busy slots",
                        cell.id, cell.label
                    );
                }
                continue;
            }
            let m = read_manifest(&dir)?;
            let jobs = read_records(&dir, "jobs", jobs_from)?;
            let trace = busy_trace(&jobs, m.virtual_time_s);
            match by_label.iter_mut().find(|(l, _)| *l == cell.label) {
                Some((_, v)) => v.push(trace),
                None => by_label.push((cell.label.clone(), vec![trace])),
            }
        }
        let mut series: Vec<Series> = by_label
            .into_iter()
            .filter_map(|(name, traces)| band(&traces, CURVE_POINTS, context.bands, BOOTSTRAP_SEED).map(|band| Series { name, band }))
            .collect();
        if series.is_empty() {
            continue;
        }
        panels.push(Panel {
            caption: format!("({}) {condition}", (b'a' + (i % 26) as u8) as char),
            x_label: time_axis(&mut series),
            y_label: "busy slots".into(),
            series,
            legend: Legend::LowerRight,
        });
    }
    if panels.is_empty() {
        return Err(Error::Report(format!(
            "{title}: no finished cell has a job log, so the busy slots cannot be drawn (set `jobs_log: true`)"
        )));
    }
    Ok(Chart {
        title: context.title(&format!("{title}: busy slots vs virtual time")),
        subtitle: context.subtitle.clone(),
        panels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use abs_sim::engine::{Cause, Fate};

    fn job(start: f64, finish: f64, fate: Fate, end: f64) -> JobRecord {
        JobRecord {
            worker: 0,
            job: 0,
            client: Some(1),
            base_version: 0,
            cause: Cause::Initial,
            start,
            download_s: 0.0,
            compute_s: finish - start,
            upload_s: 0.0,
            finish,
            fate,
            end,
            round: Some(0),
            staleness: Some(0),
            upload_mbps: None,
            download_mbps: None,
            downloads_together: 1,
        }
    }

    #[test]
    fn busy_slots_count_each_job_from_start_to_release() {
        let jobs = [
            job(0.0, 2.0, Fate::Delivered, 3.0),   // free at its arrival, 2
            job(0.0, 5.0, Fate::Unavailable, 1.0), // lost at 1
            job(2.0, 4.0, Fate::Restarted, 3.0),   // stopped at 3, refilled then
            job(3.0, 9.0, Fate::Running, 6.0),     // still in flight at the end
        ];
        let t = busy_trace(&jobs, 6.0);
        assert_eq!(t.x, vec![0.0, 1.0, 2.0, 3.0, 6.0]);
        assert_eq!(t.y, vec![2.0, 1.0, 1.0, 1.0, 1.0]);
        assert_eq!(t.step_at(0.5), 2.0);
        assert_eq!(t.step_at(2.5), 1.0);
    }
}
