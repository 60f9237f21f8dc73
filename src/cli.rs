//! The command line: parsing flags into option structs and turning results into messages and
//! exit codes. The work itself is in the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use knead::{BuildOptions, Diagnostics, Error};

/// knead: a fast static site generator for massage clinics' blogs.
#[derive(Debug, Parser)]
#[command(name = "knead", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the site into the output folder (public/ by default).
    Build(BuildArgs),
}

#[derive(Debug, Args)]
struct BuildArgs {
    /// The site's folder, the one holding site.toml.
    #[arg(long, default_value = ".", value_name = "DIR")]
    root: PathBuf,
    /// Where to write the site [default: ROOT/public].
    #[arg(long, short, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Include pages marked `draft = true`.
    #[arg(long)]
    drafts: bool,
    /// Include posts dated in the future.
    #[arg(long)]
    future: bool,
    /// Use this address instead of base_url from site.toml (for a staging host).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Write into an existing folder that knead did not create, deleting what it does not need.
    #[arg(long)]
    force: bool,
    /// Print how long each stage of the build took.
    #[arg(long)]
    timings: bool,
}

impl BuildArgs {
    fn into_options(self) -> BuildOptions {
        BuildOptions {
            output: self.output,
            drafts: self.drafts,
            future: self.future,
            base_url: self.base_url,
            force: self.force,
            ..BuildOptions::new(self.root)
        }
    }
}

/// Runs the command and returns the process exit code: 0 success, 1 the site has errors,
/// 2 bad usage.
pub(crate) fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Build(args) => {
            let timings = args.timings;
            build(args.into_options(), timings)
        }
    }
}

fn build(options: BuildOptions, show_timings: bool) -> ExitCode {
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    match knead::build(&options) {
        Ok(report) => {
            print_diagnostics(&mut err, &report.warnings);
            if show_timings {
                for (stage, time) in &report.timings {
                    let _ = writeln!(err, "  {:>8.3} s  {stage}", time.as_secs_f64());
                }
            }
            let w = report.write;
            let _ = writeln!(
                err,
                "Built {} {} in {:.2} s: {} written, {} unchanged, {} removed → {}",
                report.pages,
                plural(report.pages, "page", "pages"),
                report.elapsed.as_secs_f64(),
                w.written,
                w.unchanged,
                w.removed,
                report.output.display()
            );
            ExitCode::SUCCESS
        }
        Err(Error::Site(diagnostics)) => {
            print_diagnostics(&mut err, &diagnostics);
            let count = diagnostics.error_count();
            let _ = writeln!(
                err,
                "error: {count} {}, nothing written",
                plural(count, "error", "errors")
            );
            ExitCode::from(1)
        }
        Err(error @ Error::UnsafeOutput { .. }) => {
            let _ = writeln!(err, "error: {error}\nerror: nothing written");
            ExitCode::from(2)
        }
        Err(error) => {
            let _ = writeln!(err, "error: {error}\nerror: the build stopped");
            ExitCode::from(1)
        }
    }
}

fn print_diagnostics(out: &mut impl Write, diagnostics: &Diagnostics) {
    for diagnostic in &diagnostics.0 {
        let _ = write!(out, "{diagnostic}");
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
