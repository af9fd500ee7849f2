use std::process::ExitCode;

use clap::Parser;

/// mimalloc reuses the large per-step buffers of training instead of returning them to the kernel
/// (docs/performance.md has the measurement).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = abs_bench::cli::Cli::parse();
    match abs_bench::cli::execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
