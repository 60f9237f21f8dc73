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
    /// Start a new post: a draft dated today in content/blog/ (or --section).
    New(NewArgs),
    /// Start a new site in DIR, with every setting present and explained.
    Init(InitArgs),
    /// Check links, SEO, readability and health claims, pointing at each line (writes nothing).
    Check(CheckArgs),
    /// Preview the site at http://127.0.0.1:1111/, drafts included, reloading on every save.
    Serve(ServeArgs),
}

/// The site's folder: `root` when given, else the nearest folder holding `site.toml`, from the
/// current one up (as git finds its repository), said on stderr when it is not the current one.
/// Without one, the current folder (whose missing `site.toml` is then reported).
fn site_root(root: Option<PathBuf>) -> PathBuf {
    if let Some(root) = root {
        return root;
    }
    let here = PathBuf::from(".");
    let Ok(current) = std::env::current_dir() else {
        return here;
    };
    let found = current
        .ancestors()
        .find(|dir| dir.join(knead::config::CONFIG_FILE).is_file());
    match found {
        Some(dir) if dir != current => {
            eprintln!("The site is in {} (its site.toml is there)", dir.display());
            dir.to_path_buf()
        }
        _ => here,
    }
}

#[derive(Debug, Args)]
struct BuildArgs {
    /// The site's folder, the one holding site.toml [default: the nearest folder holding
    /// site.toml: this one or one above it].
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
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
            ..BuildOptions::new(site_root(self.root))
        }
    }
}

#[derive(Debug, Args)]
struct NewArgs {
    /// The post's title, in quotes. With --from, the file's first line when not given.
    #[arg(required_unless_present = "from")]
    title: Option<String>,
    /// The folder of content/ to put the post in.
    #[arg(long, default_value = knead::new::DEFAULT_SECTION, value_name = "NAME")]
    section: String,
    /// Turn this plain-text article into the post (headings and description are guessed).
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// The site's folder, the one holding site.toml [default: the nearest folder holding
    /// site.toml: this one or one above it].
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
}

impl NewArgs {
    fn into_options(self) -> knead::new::NewOptions {
        knead::new::NewOptions {
            root: site_root(self.root),
            title: self.title,
            section: self.section,
            from: self.from,
            today: jiff::ZonedDateTime::now().date(),
        }
    }
}

#[derive(Debug, Args)]
struct InitArgs {
    /// The folder for the new site; created when missing.
    dir: PathBuf,
    /// Use a folder that is not empty: only the missing files are created, nothing is replaced.
    #[arg(long)]
    force: bool,
}

impl InitArgs {
    fn into_options(self) -> knead::init::InitOptions {
        knead::init::InitOptions {
            dir: self.dir,
            force: self.force,
            today: jiff::ZonedDateTime::now().date(),
        }
    }
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The site's folder, the one holding site.toml [default: the nearest folder holding
    /// site.toml: this one or one above it].
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = knead::serve::DEFAULT_PORT)]
    port: u16,
    /// The address to listen on; 0.0.0.0 lets other devices of your network see the preview.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDRESS")]
    bind: std::net::IpAddr,
    /// Open the preview in the browser.
    #[arg(long)]
    open: bool,
}

impl ServeArgs {
    fn into_options(self) -> knead::serve::ServeOptions {
        knead::serve::ServeOptions {
            root: site_root(self.root),
            port: self.port,
            bind: self.bind,
            open: self.open,
        }
    }
}

fn serve(options: &knead::serve::ServeOptions) -> ExitCode {
    use knead::serve::ServeError;
    match knead::serve::serve(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(ServeError::Usage(diagnostic)) => usage_error(&diagnostic),
        Err(error @ ServeError::Failed(_)) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The site's folder, the one holding site.toml [default: the nearest folder holding
    /// site.toml: this one or one above it].
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Also check links to other sites, over the network (answers are kept for a day in
    /// .knead-cache/).
    #[arg(long)]
    external: bool,
    /// Count warnings as errors, so the exit code is 1 (for CI).
    #[arg(long)]
    deny_warnings: bool,
    /// How to print the findings.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Drafts are checked too (the post being written is usually one); kept for scripts.
    #[arg(long, hide = true, conflicts_with = "no_drafts")]
    drafts: bool,
    /// Check only what `knead build` publishes today, leaving drafts and scheduled posts out.
    #[arg(long)]
    no_drafts: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CheckFormat {
    /// Each finding with its source line, then a summary line.
    Text,
    /// One JSON object with the findings and the summary, for tools.
    Json,
}

impl CheckArgs {
    fn into_options(self) -> knead::check::CheckOptions {
        let mut options = knead::check::CheckOptions::new(site_root(self.root));
        // A scheduled post goes online on its day without anyone looking again: checked now.
        options.build.drafts = !self.no_drafts;
        options.build.future = !self.no_drafts;
        options.external = self.external;
        options.deny_warnings = self.deny_warnings;
        options
    }
}

fn check_site(options: &knead::check::CheckOptions, format: CheckFormat) -> ExitCode {
    use knead::check::Report;
    let (report, code) = match knead::check::check(options) {
        Ok(report) => {
            let code = report.exit_code();
            (report, code)
        }
        Err(Error::Site(diagnostics)) if format == CheckFormat::Text => {
            let stderr = std::io::stderr();
            let mut err = stderr.lock();
            print_diagnostics(&mut err, &diagnostics);
            let _ = writeln!(err, "error: the site does not build, so it was not checked");
            return ExitCode::from(1);
        }
        Err(Error::Site(diagnostics)) => (Report::from_build_errors(diagnostics), 1),
        Err(error) => return failed(error, "the site was not checked"),
    };
    let text = match format {
        CheckFormat::Text => report.text(),
        CheckFormat::Json => report.json(),
    };
    let mut out = std::io::stdout().lock();
    if format == CheckFormat::Text && options.build.drafts {
        let _ = writeln!(
            out,
            "Drafts and scheduled posts are checked too (--no-drafts leaves them out)"
        );
    }
    let _ = out.write_all(text.as_bytes());
    ExitCode::from(code)
}

/// Runs the command and returns the process exit code: 0 success, 1 the site has errors,
/// 2 bad usage.
pub(crate) fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Build(args) => {
            let timings = args.timings;
            build(args.into_options(), timings)
        }
        Command::New(args) => new_post(&args.into_options()),
        Command::Init(args) => init_site(&args.into_options()),
        Command::Check(args) => {
            let format = args.format;
            check_site(&args.into_options(), format)
        }
        Command::Serve(args) => serve(&args.into_options()),
    }
}

fn new_post(options: &knead::new::NewOptions) -> ExitCode {
    use knead::new::NewError;
    match knead::new::create(options) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(NewError::Usage(diagnostic)) => usage_error(&diagnostic),
        Err(NewError::Failed(error)) => failed(error, "no post created"),
    }
}

fn init_site(options: &knead::init::InitOptions) -> ExitCode {
    use knead::init::InitError;
    match knead::init::init(options) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(InitError::Usage(diagnostic)) => usage_error(&diagnostic),
        Err(InitError::Failed(error)) => failed(error, "the site was not finished"),
    }
}

fn usage_error(diagnostic: &knead::Diagnostic) -> ExitCode {
    eprint!("{diagnostic}");
    ExitCode::from(2)
}

fn failed(error: Error, outcome: &str) -> ExitCode {
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    match error {
        Error::Site(diagnostics) => print_diagnostics(&mut err, &diagnostics),
        other => {
            let _ = writeln!(err, "error: {other}");
        }
    }
    let _ = writeln!(err, "error: {outcome}");
    ExitCode::from(1)
}

/// What a build left out, or the drafts it holds, in one line; `None` when it published every
/// page as it is.
fn left_out_line(left_out: &knead::site::LeftOut) -> Option<String> {
    if left_out.drafts_shown > 0 {
        let n = left_out.drafts_shown;
        return Some(format!(
            "This output holds {n} {} (--drafts): it is a preview, do not publish it",
            plural(n, "draft", "drafts")
        ));
    }
    let mut parts = Vec::new();
    if left_out.drafts > 0 {
        let n = left_out.drafts;
        parts.push(format!("{n} {}", plural(n, "draft", "drafts")));
    }
    if left_out.scheduled > 0 {
        let n = left_out.scheduled;
        parts.push(format!(
            "{n} {}",
            plural(n, "scheduled post", "scheduled posts")
        ));
    }
    if parts.is_empty() {
        return None;
    }
    let due = match &left_out.next_due {
        Some(day) => format!("the next is due on {day}; "),
        None => String::new(),
    };
    let them = if left_out.drafts + left_out.scheduled == 1 {
        "it"
    } else {
        "them"
    };
    Some(format!(
        "{} left out ({due}knead serve previews {them})",
        parts.join(" and ")
    ))
}

fn build(options: BuildOptions, show_timings: bool) -> ExitCode {
    knead::output::install_interrupt_handler();
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
            // The warnings printed above, counted, so that none scrolls by unnoticed.
            let warnings = report.warnings.0.len() - report.warnings.error_count();
            let counted = match warnings {
                0 => String::new(),
                n => format!(", {n} {}", plural(n, "warning", "warnings")),
            };
            // Photos take the time of a build that makes them: how many were made, how many the
            // cache had.
            let images = report.images;
            let photos = match images.processed + images.reused {
                0 => String::new(),
                n => format!(
                    " and {n} {} ({} made, {} from the cache)",
                    plural(n, "photo", "photos"),
                    images.processed,
                    images.reused
                ),
            };
            let _ = writeln!(
                err,
                "Built {} {}{photos} in {:.2} s: {} written, {} unchanged, {} removed{counted} → {}",
                report.pages,
                plural(report.pages, "page", "pages"),
                report.elapsed.as_secs_f64(),
                w.written,
                w.unchanged,
                w.removed,
                report.output.display()
            );
            if let Some(line) = left_out_line(&report.left_out) {
                let _ = writeln!(err, "{line}");
            }
            ExitCode::SUCCESS
        }
        Err(Error::Site(diagnostics)) => {
            print_diagnostics(&mut err, &diagnostics);
            let count = diagnostics.error_count();
            // The warnings too, so that none scrolls by unnoticed while the errors are fixed.
            let warnings = diagnostics.0.len() - count;
            let also = if warnings == 0 {
                String::new()
            } else {
                format!(
                    " and {warnings} {}",
                    plural(warnings, "warning", "warnings")
                )
            };
            let _ = writeln!(
                err,
                "error: {count} {}{also}, nothing written",
                plural(count, "error", "errors")
            );
            ExitCode::from(1)
        }
        Err(Error::Interrupted) => {
            let _ = writeln!(err, "error: {}", Error::Interrupted);
            ExitCode::from(130)
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
