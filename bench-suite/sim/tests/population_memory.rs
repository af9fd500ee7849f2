//! A population's memory does not grow with M: the runs of 10^6 and 10^8 clients allocate at their
//! peak no more than the run of 10^4 clients (same slots, same rounds), measured by a counting
//! allocator: nothing is stored per client.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use abs_policies::{Policy, PolicyName, PolicyParams};
use abs_sim::doubles::{NoWork, engine_config, population};
use abs_sim::engine::{ComputeTimeSpec, EngineConfig, Granularity, JobTimes, simulate};
use abs_sim::seeds::Seeds;

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak bytes allocated during a FedBuff run (K = 10) of 4,000 rounds on 1,000 slots of `m`
/// clients, over what was allocated before it; and the jobs it ran.
fn peak_of(m: u64) -> (usize, usize) {
    const SLOTS: u32 = 1_000;
    let params = PolicyParams {
        workers: SLOTS,
        k: Some(10),
        ..PolicyParams::default()
    };
    let cfg = EngineConfig {
        population: Some(population(m, true, 1)),
        policy: Policy::resolve(PolicyName::Fedbuff.knobs(), &params).unwrap(),
        ..engine_config(PolicyName::Fedbuff, SLOTS, 4_000)
    };
    let before = NOW.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let mut times = JobTimes::new(&ComputeTimeSpec::default(), Granularity::Job, 10, SLOTS, &Seeds::new(1)).unwrap();
    let records = simulate(&cfg, &mut NoWork, &mut times).unwrap();
    let jobs = records.jobs.len();
    drop(records);
    (PEAK.load(Ordering::Relaxed) - before, jobs)
}

#[test]
fn memory_does_not_grow_with_the_population() {
    let (small, small_jobs) = peak_of(10_000);
    // the job log differs by the jobs run (its vector may double once more); nothing else may grow
    let per_job = std::mem::size_of::<abs_sim::engine::JobRecord>();
    for m in [1_000_000, 100_000_000] {
        let (big, big_jobs) = peak_of(m);
        eprintln!("peak bytes: M = 10^4 {small} ({small_jobs} jobs), M = {m} {big} ({big_jobs} jobs)");
        let allowance = 64 * 1024 + per_job * 2 * big_jobs.abs_diff(small_jobs);
        assert!(
            big <= small + allowance,
            "M = {m} peaked at {big} bytes ({big_jobs} jobs), M = 10^4 at {small} ({small_jobs} jobs)"
        );
    }
    assert!(small > 1_000_000, "the run allocates its job log: {small}");
}
