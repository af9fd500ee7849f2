//! Counters: every round row's and evaluation row's uploads, downloads, restarts and comm, recomputed from the log.

use super::*;

/// Uploads, downloads, restarts and comm add up from the jobs, on every round and evaluation row.
pub(super) fn check_counters(log: RunLog<'_>, eval_every: u64, eval_interval: Option<f64>) -> Result<(), VerifyError> {
    let n = log.rounds.len();
    // per round t: uploads in t, restarts at the end of t, downloads sent at the end of t, those
    // sent during the wait for t (rejoins, and dispatches on arrival)
    let (mut up, mut re, mut sent, mut rejoin) = (vec![0u64; n + 1], vec![0u64; n + 1], vec![0u64; n + 1], vec![0u64; n + 1]);
    let mut initial = 0u64;
    for j in log.jobs {
        if let Some(r) = j.round.filter(|r| *r < n as u64) {
            // a dropped arrival was uploaded too (counted when its round closes)
            if matches!(j.fate, Fate::Delivered | Fate::Dropped) {
                up[r as usize] += 1;
            } else if j.fate.is_restart() {
                re[r as usize] += 1;
            }
        }
        match j.cause {
            Cause::Initial => initial += 1,
            Cause::Next | Cause::Restart => match j.base_version.checked_sub(1) {
                Some(t) => sent[(t as usize).min(n)] += 1,
                None => return fail(format!("{}: started at the end of a round with base version 0", job_name(j))),
            },
            // sent during a wait: returns, dispatches on arrival, a population's refilled slots
            Cause::Rejoin | Cause::Arrival | Cause::Lost | Cause::Waited => rejoin[(j.base_version as usize).min(n)] += 1,
        }
    }
    let (mut uploads, mut restarts, mut downloads) = (0u64, 0u64, initial);
    // the counters just before round t's evaluation (after its uploads), by round
    let mut at_eval = vec![(0u64, 0u64, initial); n + 1];
    for (t, row) in log.rounds.iter().enumerate() {
        uploads += up[t];
        downloads += rejoin[t];
        at_eval[t + 1] = (uploads, uploads + restarts, downloads);
        restarts += re[t];
        downloads += sent[t];
        let want = (uploads, downloads, uploads + restarts, re[t]);
        let got = (row.uploads, row.downloads, row.comm, u64::from(row.restarts));
        if want != got {
            return fail(format!(
                "round {t}: uploads, downloads, comm and restarts recorded as {got:?}, the job log gives {want:?}"
            ));
        }
    }
    // the final evaluation of a model not due for one comes after the last round's restarts
    // which round ends evaluated, replayed from the rows' times as the engine decided them
    let mut next = eval_interval.unwrap_or(0.0);
    let due: Vec<bool> = (log.rounds.iter().enumerate())
        .map(|(t, row)| crate::engine::eval_due(eval_every, eval_interval, t as u64 + 1, row.time, &mut next))
        .collect();
    // every due round end was evaluated, and no other but the last (the final evaluation)
    let evaluated: std::collections::HashSet<u64> = log.evals.iter().map(|e| e.round).collect();
    for (t, &d) in due.iter().enumerate() {
        let v = t as u64 + 1;
        // the last round's model, when not due, is the final evaluation
        let final_one = v == n as u64 && !d;
        if d != evaluated.contains(&v) && !final_one {
            let what = if d {
                "was due for an evaluation and has none"
            } else {
                "has an evaluation it was not due for"
            };
            return fail(format!("round {t}: the model after it {what}"));
        }
    }
    if n > 0 && !due[n - 1] {
        let last = &log.rounds[n - 1];
        at_eval[n] = (last.uploads, last.comm, last.downloads);
    }
    for e in log.evals {
        let Some(&(uploads, comm, downloads)) = at_eval.get(e.round as usize) else {
            return fail(format!("evaluation of round {} is beyond the {n} rounds", e.round));
        };
        let time = if e.round == 0 { 0.0 } else { log.rounds[e.round as usize - 1].time };
        // the final evaluation comes after the rejoins of an unfinished wait
        let late_rejoins = if e.round as usize == n { rejoin[n] } else { 0 };
        let downloads_ok = e.downloads >= downloads && e.downloads <= downloads + late_rejoins;
        if (e.uploads, e.comm) != (uploads, comm) || !downloads_ok || e.time != time {
            return fail(format!(
                "evaluation of round {}: uploads {}, comm {}, downloads {} at {}; the job log gives {uploads}, {comm}, {downloads} at {time}",
                e.round, e.uploads, e.comm, e.downloads, e.time
            ));
        }
    }
    Ok(())
}
