//! The `knead` command.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: a build allocates millions of small strings (template values, HTML) from two
/// threads at once, where it is faster than the system allocator and returns memory sooner.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::run(cli::Cli::parse())
}
