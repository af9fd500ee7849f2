//! Records as polars frames: the tidy columns of docs/semantics.md, "12. Stopping and records".

use polars::prelude::*;

use abs_sim::engine::{Cause, EvalRecord, Fate, JobRecord, RoundRecord};

/// One row per round: round, time, k, tau_max, arrivals, restarts, mean_staleness, max_staleness,
/// uploads, downloads, comm, train_loss.
pub fn rounds_frame(rows: &[RoundRecord]) -> PolarsResult<DataFrame> {
    df!(
        "round" => rows.iter().map(|r| r.round).collect::<Vec<u64>>(),
        "time" => rows.iter().map(|r| r.time).collect::<Vec<f64>>(),
        "k" => rows.iter().map(|r| r.k).collect::<Vec<u32>>(),
        "tau_max" => rows.iter().map(|r| r.tau_max).collect::<Vec<f64>>(),
        "arrivals" => rows.iter().map(|r| r.arrivals).collect::<Vec<u32>>(),
        "restarts" => rows.iter().map(|r| r.restarts).collect::<Vec<u32>>(),
        "mean_staleness" => rows.iter().map(|r| r.mean_staleness).collect::<Vec<f64>>(),
        "max_staleness" => rows.iter().map(|r| r.max_staleness).collect::<Vec<u64>>(),
        "uploads" => rows.iter().map(|r| r.uploads).collect::<Vec<u64>>(),
        "downloads" => rows.iter().map(|r| r.downloads).collect::<Vec<u64>>(),
        "comm" => rows.iter().map(|r| r.comm).collect::<Vec<u64>>(),
        "train_loss" => rows.iter().map(|r| r.train_loss).collect::<Vec<f64>>(),
    )
}

/// One row per evaluation: round, time, uploads, downloads, comm, test_loss, test_accuracy.
pub fn evals_frame(rows: &[EvalRecord]) -> PolarsResult<DataFrame> {
    df!(
        "round" => rows.iter().map(|r| r.round).collect::<Vec<u64>>(),
        "time" => rows.iter().map(|r| r.time).collect::<Vec<f64>>(),
        "uploads" => rows.iter().map(|r| r.uploads).collect::<Vec<u64>>(),
        "downloads" => rows.iter().map(|r| r.downloads).collect::<Vec<u64>>(),
        "comm" => rows.iter().map(|r| r.comm).collect::<Vec<u64>>(),
        "test_loss" => rows.iter().map(|r| r.test_loss).collect::<Vec<f64>>(),
        "test_accuracy" => rows.iter().map(|r| r.test_accuracy).collect::<Vec<f64>>(),
    )
}

/// One row per job (docs/semantics.md, "15. The job log"): worker, job, base_version, cause, start,
/// download_s, compute_s, upload_s, finish, fate, end, round, staleness, upload_mbps,
/// download_mbps, downloads_together.
pub fn jobs_frame(rows: &[JobRecord]) -> PolarsResult<DataFrame> {
    let mut frame = df!(
        "worker" => rows.iter().map(|r| r.worker).collect::<Vec<u32>>(),
        "job" => rows.iter().map(|r| r.job).collect::<Vec<u64>>(),
        "base_version" => rows.iter().map(|r| r.base_version).collect::<Vec<u64>>(),
        "cause" => rows.iter().map(|r| r.cause.name()).collect::<Vec<&str>>(),
        "start" => rows.iter().map(|r| r.start).collect::<Vec<f64>>(),
        "download_s" => rows.iter().map(|r| r.download_s).collect::<Vec<f64>>(),
        "compute_s" => rows.iter().map(|r| r.compute_s).collect::<Vec<f64>>(),
        "upload_s" => rows.iter().map(|r| r.upload_s).collect::<Vec<f64>>(),
        "finish" => rows.iter().map(|r| r.finish).collect::<Vec<f64>>(),
        "fate" => rows.iter().map(|r| r.fate.name()).collect::<Vec<&str>>(),
        "end" => rows.iter().map(|r| r.end).collect::<Vec<f64>>(),
        "round" => rows.iter().map(|r| r.round).collect::<Vec<Option<u64>>>(),
        "staleness" => rows.iter().map(|r| r.staleness).collect::<Vec<Option<u64>>>(),
        "upload_mbps" => rows.iter().map(|r| r.upload_mbps).collect::<Vec<Option<f64>>>(),
        "download_mbps" => rows.iter().map(|r| r.download_mbps).collect::<Vec<Option<f64>>>(),
        "downloads_together" => rows.iter().map(|r| r.downloads_together).collect::<Vec<u32>>(),
    )?;
    // a population's client of each job (docs/semantics.md, "18. A population of clients"); runs
    // without one keep the columns they always had
    if rows.iter().any(|r| r.client.is_some()) {
        let clients: Vec<Option<u64>> = rows.iter().map(|r| r.client).collect();
        frame.with_column(Column::new("client".into(), clients))?;
    }
    Ok(frame)
}

/// A column as a vector of `T`, failing with the column's name when it is missing, of another
/// type, or null where nulls are not allowed.
fn values<T>(df: &DataFrame, name: &str, get: impl Fn(&Column) -> PolarsResult<Vec<Option<T>>>) -> PolarsResult<Vec<Option<T>>> {
    let c = df
        .column(name)
        .map_err(|_| PolarsError::ColumnNotFound(format!("no column `{name}`").into()))?;
    get(c).map_err(|e| PolarsError::SchemaMismatch(format!("column `{name}`: {e}").into()))
}

fn required<T>(v: Vec<Option<T>>, name: &str) -> PolarsResult<Vec<T>> {
    v.into_iter()
        .enumerate()
        .map(|(i, x)| x.ok_or_else(|| PolarsError::ComputeError(format!("column `{name}`: null in row {i}").into())))
        .collect()
}

fn u64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<u64>>> {
    values(df, name, |c| Ok(c.cast(&DataType::UInt64)?.u64()?.iter().collect()))
}
fn u32s(df: &DataFrame, name: &str) -> PolarsResult<Vec<u32>> {
    required(values(df, name, |c| Ok(c.cast(&DataType::UInt32)?.u32()?.iter().collect()))?, name)
}
fn f64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    values(df, name, |c| Ok(c.f64()?.iter().collect()))
}
fn texts(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    let v = values(df, name, |c| Ok(c.str()?.iter().map(|s| s.map(String::from)).collect()))?;
    required(v, name)
}

/// The rows of a frame written by [`rounds_frame`].
pub fn rounds_from(df: &DataFrame) -> PolarsResult<Vec<RoundRecord>> {
    let u = |n| required(u64s(df, n)?, n);
    let f = |n| required(f64s(df, n)?, n);
    let (round, time, k, tau) = (u("round")?, f("time")?, u32s(df, "k")?, f("tau_max")?);
    let (arrivals, restarts, mean, max) = (
        u32s(df, "arrivals")?,
        u32s(df, "restarts")?,
        f("mean_staleness")?,
        u("max_staleness")?,
    );
    let (uploads, downloads, comm, loss) = (u("uploads")?, u("downloads")?, u("comm")?, f("train_loss")?);
    Ok((0..df.height())
        .map(|i| RoundRecord {
            round: round[i],
            time: time[i],
            k: k[i],
            tau_max: tau[i],
            arrivals: arrivals[i],
            restarts: restarts[i],
            mean_staleness: mean[i],
            max_staleness: max[i],
            uploads: uploads[i],
            downloads: downloads[i],
            comm: comm[i],
            train_loss: loss[i],
        })
        .collect())
}

/// The rows of a frame written by [`evals_frame`].
pub fn evals_from(df: &DataFrame) -> PolarsResult<Vec<EvalRecord>> {
    let u = |n| required(u64s(df, n)?, n);
    let f = |n| required(f64s(df, n)?, n);
    let (round, time, uploads, downloads) = (u("round")?, f("time")?, u("uploads")?, u("downloads")?);
    let (comm, loss, accuracy) = (u("comm")?, f("test_loss")?, f("test_accuracy")?);
    Ok((0..df.height())
        .map(|i| EvalRecord {
            round: round[i],
            time: time[i],
            uploads: uploads[i],
            downloads: downloads[i],
            comm: comm[i],
            test_loss: loss[i],
            test_accuracy: accuracy[i],
        })
        .collect())
}

/// The rows of a frame written by [`jobs_frame`].
pub fn jobs_from(df: &DataFrame) -> PolarsResult<Vec<JobRecord>> {
    let u = |n| required(u64s(df, n)?, n);
    let f = |n| required(f64s(df, n)?, n);
    let bad =
        |name: &str, i: usize, v: &str| PolarsError::ComputeError(format!("column `{name}`: `{v}` in row {i} is not a {name}").into());
    let causes = texts(df, "cause")?
        .iter()
        .enumerate()
        .map(|(i, c)| Cause::parse(c).ok_or_else(|| bad("cause", i, c)))
        .collect::<PolarsResult<Vec<_>>>()?;
    let fates = texts(df, "fate")?
        .iter()
        .enumerate()
        .map(|(i, c)| Fate::parse(c).ok_or_else(|| bad("fate", i, c)))
        .collect::<PolarsResult<Vec<_>>>()?;
    let (worker, job, base, start) = (u32s(df, "worker")?, u("job")?, u("base_version")?, f("start")?);
    let (down, compute, up, finish, end) = (f("download_s")?, f("compute_s")?, f("upload_s")?, f("finish")?, f("end")?);
    let (round, staleness) = (u64s(df, "round")?, u64s(df, "staleness")?);
    let client = match df.column("client") {
        Ok(_) => u64s(df, "client")?,
        Err(_) => vec![None; df.height()],
    };
    let (up_mbps, down_mbps, together) = (
        f64s(df, "upload_mbps")?,
        f64s(df, "download_mbps")?,
        u32s(df, "downloads_together")?,
    );
    Ok((0..df.height())
        .map(|i| JobRecord {
            worker: worker[i],
            job: job[i],
            client: client[i],
            base_version: base[i],
            cause: causes[i],
            start: start[i],
            download_s: down[i],
            compute_s: compute[i],
            upload_s: up[i],
            finish: finish[i],
            fate: fates[i],
            end: end[i],
            round: round[i],
            staleness: staleness[i],
            upload_mbps: up_mbps[i],
            download_mbps: down_mbps[i],
            downloads_together: together[i],
        })
        .collect())
}
