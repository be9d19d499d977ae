//! `facenet bench peak`: the machine's measured f32 FMA peak and, where the CPU has AVX-512 VNNI, its int8
//! peak (`facenet::bench::peaks`, a register-only loop on `--threads` threads): the ceiling the other
//! benchmarks' GFLOP/s are a share of.

use super::Status;
use crate::output::Ctx;

#[derive(Debug, clap::Args)]
pub struct BenchPeakArgs {
    /// Threads running the loop at once.
    #[arg(value_parser = super::ranges::threads, long, default_value_t = 2)]
    threads: usize,
    /// Run each loop for about this many seconds.
    #[arg(value_parser = super::ranges::seconds, long, default_value_t = 2.0)]
    seconds: f64,
}

pub fn run(args: BenchPeakArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let peaks = facenet::bench::peaks(args.threads, args.seconds);
    if ctx.json {
        ctx.print_json(&peaks)?;
    } else {
        for p in &peaks {
            println!(
                "{:<4} peak  {:<12} threads {}  {:>8.1} G{}/s",
                p.precision,
                p.isa,
                p.threads,
                p.gflops,
                if p.precision == "f32" { "FLOP" } else { "OP" }
            );
        }
    }
    Ok(Status::Ok)
}
