use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = abs_bench::cli::Cli::parse();
    match abs_bench::cli::execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
