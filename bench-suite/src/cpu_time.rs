//! CPU seconds spent by threads, for a run's cost: wall time counts whatever else the machine was
//! doing (other cells, builds, a sweep stopped for a benchmark), CPU time only the run's own work.

/// CPU seconds the calling thread has spent so far, where the platform has a per-thread CPU clock.
pub fn thread_cpu_s() -> Option<f64> {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes one timespec to a valid pointer.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        (rc == 0).then_some(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// CPU seconds spent so far by every thread of the current rayon pool (where a run splits its
/// work), and by the calling thread when it is not one of them. The difference of two readings
/// around a run is the run's CPU time when the pool is its own, as each cell's is in a sweep.
pub fn pool_cpu_s() -> Option<f64> {
    let pool: Option<f64> = rayon::broadcast(|_| thread_cpu_s()).into_iter().sum();
    match rayon::current_thread_index() {
        Some(_) => pool,
        None => Some(pool? + thread_cpu_s()?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Work on the pool's threads is counted, and sleeping is not.
    #[test]
    fn a_pools_cpu_time_counts_its_threads_work_not_its_waits() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let (work, spun, sleep) = pool.install(|| {
            let start = pool_cpu_s().expect("a thread CPU clock on this platform");
            let (a, b) = rayon::join(spin, spin);
            let after_work = pool_cpu_s().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(200));
            (after_work - start, a + b, pool_cpu_s().unwrap() - after_work)
        });
        assert!(
            spun > 0.0 && work >= spun,
            "the pool's count {work} s holds both spins' own {spun} s"
        );
        assert!(sleep < 0.05, "a sleeping pool spends no CPU: {sleep} s");
    }

    /// Fixed work; returns the CPU seconds it took on this thread.
    fn spin() -> f64 {
        let start = thread_cpu_s().unwrap();
        let mut x = 0u64;
        for _ in 0..20_000_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        thread_cpu_s().unwrap() - start
    }
}
