//! The `tidings` binary: the command line over the library. `anyhow` stops here.

mod admin;
mod cli;
mod republish;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::main() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(cli::EXIT_USAGE)
        }
    }
}
