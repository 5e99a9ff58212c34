//! Apply throughput of the engine: 100k accounts, batches of 8,190 events (80% plain
//! transfers, 10% holds, 10% posts and voids), against a naive baseline of `HashMap` balances
//! with no validation. Target floors (measured and printed, never asserted): at
//! least 5 M transfers/s on one core, and at least 35% of the naive baseline.
//!
//! `cargo bench -p benches --bench core_apply`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput};
use timebank_workload::engine_batches::{naive_apply, Shape, Workload};

const TRANSFERS_PER_S_FLOOR: f64 = 5_000_000.0;
const NAIVE_RATIO_FLOOR: f64 = 0.35;
/// Batches timed for the printed summary, per side.
const SUMMARY_SAMPLES: usize = 200;

fn criterion_benches(c: &mut Criterion, w: &Workload) {
    let mut group = c.benchmark_group("core_apply");
    group.throughput(Throughput::Elements(w.shape.events_per_batch as u64));
    group.sample_size(50);
    group.measurement_time(Duration::from_secs(10));
    let mut k = 0;
    group.bench_function("engine", |b| {
        b.iter_batched(
            || {
                k = (k + 1) % w.batches.len();
                (w.base.clone(), k)
            },
            |(mut ledger, k)| {
                let results = w.apply(&mut ledger, &w.batches[k]);
                black_box(results);
                ledger
            },
            BatchSize::PerIteration,
        )
    });
    let mut k = 0;
    group.bench_function("naive_hashmap", |b| {
        b.iter_batched(
            || {
                k = (k + 1) % w.naive_batches.len();
                (w.naive_base.clone(), k)
            },
            |(mut balances, k)| {
                naive_apply(&mut balances, &w.naive_batches[k]);
                balances
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// The best and the median time of one batch, each applied to a fresh copy of its base (the
/// copy is not timed). On a shared machine the best is the least disturbed by other work.
fn batch_times<S: Clone, B>(
    base: &S,
    batches: &[B],
    mut apply: impl FnMut(&mut S, &B),
) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(SUMMARY_SAMPLES);
    for i in 0..SUMMARY_SAMPLES {
        let mut state = base.clone();
        let batch = &batches[i % batches.len()];
        let start = Instant::now();
        apply(&mut state, batch);
        times.push(start.elapsed());
        drop(black_box(state));
    }
    times.sort_unstable();
    (times[0], times[times.len() / 2])
}

fn summary(w: &Workload) {
    let events = w.shape.events_per_batch as f64;
    let engine = batch_times(&w.base, &w.batches, |ledger, batch| {
        black_box(w.apply(ledger, batch));
    });
    let naive = batch_times(&w.naive_base, &w.naive_batches, |balances, moves| {
        naive_apply(balances, moves);
    });
    let rate = |t: Duration| events / t.as_secs_f64();
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    println!();
    println!(
        "core_apply summary: {} accounts, batches of {} events, {SUMMARY_SAMPLES} batches each",
        w.shape.accounts, w.shape.events_per_batch
    );
    for (name, pick) in [("best", 0), ("median", 1)] {
        let at = |times: (Duration, Duration)| if pick == 0 { times.0 } else { times.1 };
        let (engine_rate, naive_rate) = (rate(at(engine)), rate(at(naive)));
        let ratio = engine_rate / naive_rate;
        println!(
            "  {name:>6}: engine {:>7.3} M transfers/s, naive {:>7.3} M/s, engine/naive {:>5.1}%; \
             floors: 5 M/s {}, 35% {}",
            engine_rate / 1e6,
            naive_rate / 1e6,
            ratio * 100.0,
            verdict(engine_rate >= TRANSFERS_PER_S_FLOOR),
            verdict(ratio >= NAIVE_RATIO_FLOOR),
        );
    }
}

fn main() {
    let workload = Workload::generate(Shape::FULL_BATCHES, 2026);
    let mut criterion = Criterion::default().configure_from_args();
    criterion_benches(&mut criterion, &workload);
    criterion.final_summary();
    // Under `--profile-time` criterion only runs the routines, for a profiler to watch them.
    if !std::env::args().any(|a| a == "--profile-time") {
        summary(&workload);
    }
}
