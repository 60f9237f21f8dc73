//! The `knead` command.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: a build allocates millions of small strings (template values, HTML) from two
/// threads at once, where it is faster than the system allocator and returns memory sooner.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_t`, which mimalloc keeps
/// stable; the Rust bindings name only some options).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // By default mimalloc hands memory it no longer uses back to the system after a second,
    // and a build that frees pages and needs them again a moment later pays for the system
    // to zero them afresh: about 5% of a 10,000-post build. The process keeps its peak
    // memory instead, which a build ends soon after and `knead serve` needs again for its
    // next rebuild.
    // SAFETY: sets an option before any other thread exists; mimalloc reads options on use.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    cli::run(cli::Cli::parse())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option set in `main` is the purge delay: the only option whose default is 1000
    /// (milliseconds). `main` does not run in tests, so the default is still in place.
    #[test]
    fn the_option_set_is_the_purge_delay() {
        // SAFETY: reads an option.
        let value = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(value, 1000);
    }
}
