//! The command line: exit codes, `--help`, the summary line and how errors are printed.

use crate::support::Site;

/// The one summary line, checked word by word: "Built N pages in X s: W written, U unchanged,
/// R removed → DIR".
#[test]
fn build_exits_0_and_prints_one_summary_line() {
    let site = Site::fixture("cli/ok");
    let run = site.build().success();
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one line on stderr:\n{}",
        run.stderr
    );
    let line = lines[0];
    let rest = line.strip_prefix("Built ").expect("starts with `Built `");
    let (pages, rest) = rest.split_once(" pages in ").expect("`N pages in`");
    let (seconds, rest) = rest.split_once(" s: ").expect("`X s: `");
    let (counts, dir) = rest.split_once(" → ").expect("`→ DIR`");
    assert!(
        seconds.parse::<f64>().is_ok(),
        "time {seconds:?} in {line:?}"
    );
    assert_eq!(dir, site.out().display().to_string());
    let counts: Vec<&str> = counts.split(", ").collect();
    assert_eq!(counts.len(), 3, "{line:?}");
    assert!(counts[0].ends_with(" written") && counts[1].ends_with(" unchanged"));
    assert!(counts[2].ends_with(" removed"), "{line:?}");

    // The numbers agree with what is on disk: every file but the marker and the manifest is
    // new, and every HTML file is a page.
    let summary = run.summary();
    let files = run.files();
    let html = files.iter().filter(|f| f.ends_with(".html")).count();
    assert_eq!(pages.parse::<usize>().unwrap(), summary.pages);
    assert_eq!(summary.pages, html, "{files:?}");
    assert_eq!(summary.written, files.len() - 2, "{files:?}");
    assert_eq!((summary.unchanged, summary.removed), (0, 0));
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
}

/// Issue item 11: a second build of the same site rewrites nothing.
#[test]
fn second_build_reports_0_written_and_all_unchanged() {
    let site = Site::fixture("cli/ok");
    let first = site.build().success().summary();
    let second = site.build().success().summary();
    assert_eq!(second.written, 0, "second build: {second:?}");
    assert_eq!(second.unchanged, first.written);
    assert_eq!(second.removed, 0);
    assert_eq!(second.pages, first.pages);
}

#[test]
fn help_exits_0() {
    let site = Site::bare();
    let mut command = site.knead();
    command.arg("--help");
    let run = site.run(command).success();
    assert!(run.stdout.contains("Usage: knead"), "{}", run.stdout);
    assert!(run.stdout.contains("build"), "{}", run.stdout);
}

#[test]
fn build_help_exits_0_and_lists_the_flags() {
    let site = Site::bare();
    let mut command = site.knead();
    command.args(["build", "--help"]);
    let run = site.run(command).success();
    for flag in [
        "--root",
        "--output",
        "--drafts",
        "--future",
        "--base-url",
        "--force",
    ] {
        assert!(run.stdout.contains(flag), "no {flag} in:\n{}", run.stdout);
    }
}

#[test]
fn unknown_flag_exits_2() {
    let site = Site::fixture("cli/ok");
    let run = site
        .build_with(&["--frobnicate"])
        .exit(2)
        .stderr_has("--frobnicate");
    assert!(!site.out().exists(), "nothing may be written on bad usage");
    drop(run);
}

#[test]
fn unknown_command_exits_2() {
    let site = Site::bare();
    let mut command = site.knead();
    command.arg("bulid");
    site.run(command).exit(2).stderr_has("bulid");
}

#[test]
fn no_site_toml_exits_1_and_says_so() {
    let site = Site::bare().dir("content");
    site.build()
        .exit(1)
        .stderr_has("no site.toml")
        .stderr_has("error: 1 error, nothing written");
}

/// Every error of the run is printed, each with its place, source line, caret and hint, then one
/// closing line; nothing is written.
#[test]
fn site_with_errors_exits_1_and_prints_every_error() {
    let site = Site::fixture("cli/multi_error");
    let run = site.build().exit(1);
    assert!(
        !site.out().exists(),
        "a failed build must not create the output folder"
    );
    assert!(
        run.stderr.contains(
            "content/blog/a.md:3:1: error: unknown key `titel`\n  |\n3 | titel = \"Neck pain relief\"\n  | ^\n  = help: `titel`: did you mean `title`?\n"
        ),
        "{}",
        run.stderr
    );
    for place in [
        "content/blog/a.md:3:1: error:",
        "content/blog/b.md:3:1: error:",
        "content/c.md:1:1: error:",
        "content/d.md:3:",
        "site.toml:5:1: error:",
    ] {
        assert!(
            run.stderr.contains(place),
            "no {place:?} in:\n{}",
            run.stderr
        );
    }
    assert_eq!(
        run.stderr.lines().last(),
        Some("error: 5 errors, nothing written")
    );
    insta::assert_snapshot!("multi_error_stderr", run.stderr);
}

/// Run inside the site (in `content/blog/`), knead finds `site.toml` in a folder above, as git
/// finds its repository, and says which site it builds; `knead new` writes into that site too
/// (issue 19). Without a site above, the message names the missing site.toml.
#[test]
fn run_inside_the_site_knead_finds_site_toml_above() {
    let site = Site::fixture("cli/ok");
    let blog = site.root().join("content/blog");
    std::fs::create_dir_all(&blog).unwrap();
    let knead = |dir: &std::path::Path, args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_knead"));
        command.current_dir(dir).args(args);
        site.run(command)
    };
    let root = site.root().canonicalize().unwrap();
    let run = knead(&blog, &["build"]).success();
    let said = format!(
        "The site is in {} (its site.toml is there)\n",
        root.display()
    );
    assert!(run.stderr.starts_with(&said), "{}", run.stderr);
    assert!(root.join("public/index.html").is_file());
    assert!(!blog.join("public").exists());
    knead(&blog, &["new", "Neck pain at the desk"]).success();
    assert!(root.join("content/blog/neck-pain-at-the-desk.md").is_file());
    // In the site's own folder, nothing more is said.
    let at_root = knead(&root, &["build"]).success();
    assert!(
        !at_root.stderr.contains("The site is in"),
        "{}",
        at_root.stderr
    );
    // Elsewhere, the missing site.toml is reported as before.
    let elsewhere = tempfile::tempdir().unwrap();
    knead(elsewhere.path(), &["build"])
        .exit(1)
        .stderr_has("site.toml");
}
