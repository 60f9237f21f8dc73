//! Promise 1, interrupted: Ctrl-C (SIGINT), SIGTERM or SIGKILL (as a power cut would) during a
//! build leaves the output as the previous build left it, or (when the signal comes after the
//! switch) as this build makes it: never a mix, never a half-written file, never a temporary
//! file. What a killed build leaves beside the output (the hidden folder of the new site, or of
//! the old one after the switch) is removed by the next build.
//!
//! A site of hundreds of small posts is built once, then every post is changed and the build is
//! interrupted: as soon as the writer's first file appears beside the output, and a little
//! later, so that the signal lands while files are written and around the switch; and once
//! before writing begins. A debug build of knead also stops itself with SIGKILL at each step of
//! the commit when `KNEAD_TEST_KILL_AT` names it. Unix only: signals are sent with `kill`.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::failed_build::beside;
use crate::support::{Site, md, snapshot_dir};

const POSTS: usize = 600;

/// The site's posts, saying `version` in every one.
fn write_version(site: &Site, version: &str) {
    for i in 0..POSTS {
        site.write(
            &format!("content/blog/post-{i}.md"),
            md(
                &format!("title = \"Post {i}\"\ndate = 2025-01-01"),
                &format!("Version {version}. {}", "Massage helps. ".repeat(30)),
            ),
        );
    }
}

/// `knead build` of the site into `out` (relative to the temporary folder).
fn build_command(site: &Site, out: &str) -> Command {
    let mut command = site.knead();
    command
        .args(["build", "--root", "site", "--output", out])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Every file of the output, with its bytes.
type Tree = BTreeMap<String, Vec<u8>>;

/// Temporary files of the writer in `tree`.
fn temporary(tree: &Tree) -> Vec<&String> {
    tree.keys().filter(|f| f.contains(".knead-tmp-")).collect()
}

/// Checks that the output of `site` is `reference` exactly, with no temporary file in it.
#[track_caller]
fn assert_whole(site: &Site, reference: &Tree, what: &str) {
    let tree = snapshot_dir(&site.out());
    assert_eq!(temporary(&tree), Vec::<&String>::new(), "{what}");
    if tree != *reference {
        let differing: Vec<&String> = tree
            .keys()
            .chain(reference.keys())
            .filter(|f| tree.get(*f) != reference.get(*f))
            .take(5)
            .collect();
        panic!("{what}: the output is not the expected version: {differing:?}");
    }
}

/// What happened to one interrupted build.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// It finished before the signal mattered.
    Finished,
    /// It stopped before writing anything.
    StoppedBeforeWriting,
    /// It stopped after the last file was written, before printing its summary: the output
    /// is whole and new, though the exit code says "interrupted".
    StoppedAfterWriting,
    /// It was writing, stopped, and removed what it had begun.
    InterruptedWhileWriting,
}

fn outcome(status: ExitStatus, stderr: &str) -> Outcome {
    match status.code() {
        Some(0) => Outcome::Finished,
        Some(130) if stderr.contains("interrupted: the files being written were removed") => {
            Outcome::InterruptedWhileWriting
        }
        Some(130) if stderr.is_empty() => Outcome::StoppedBeforeWriting,
        // A signal before the handler was installed ends the process at once.
        None => Outcome::StoppedBeforeWriting,
        other => panic!("exit {other:?} after a signal:\n{stderr}"),
    }
}

/// When to send the signal.
#[derive(Debug, Clone, Copy)]
enum When {
    /// This long after the build started.
    After(Duration),
    /// This long after the writer's first file appeared in the hidden folder beside the
    /// output, where the new site is built.
    Writing(Duration),
}

/// Whether the writer is at work for `out`: a file besides the marker in the hidden folder, or
/// (where the writer works inside the output folder) a temporary file at its top.
fn writing(out: &std::path::Path) -> bool {
    let has = |folder: &std::path::Path, what: &dyn Fn(&str) -> bool| {
        std::fs::read_dir(folder).is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| what(&e.file_name().to_string_lossy()))
        })
    };
    has(out, &|name| name.contains(".knead-tmp-"))
        || beside(out)
            .iter()
            .any(|folder| has(folder, &|name| name != knead::output::MARKER))
}

/// Builds the site into `out/` and sends `signal` at `when`; returns what happened.
fn interrupted_build(site: &Site, signal: &str, when: When) -> Outcome {
    let mut child = build_command(site, "out").spawn().unwrap();
    let start = Instant::now();
    let mut written_at = None;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        let due = match when {
            When::After(delay) => start.elapsed() >= delay,
            When::Writing(delay) => {
                if written_at.is_none() && writing(&site.out()) {
                    written_at = Some(Instant::now());
                }
                written_at.is_some_and(|at| at.elapsed() >= delay)
            }
        };
        if due {
            break;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .stderr(Stdio::null())
        .status();
    let output = child.wait_with_output().unwrap();
    outcome(
        output.status,
        String::from_utf8_lossy(&output.stderr).trim(),
    )
}

struct Fixture {
    site: Site,
    /// The output of each version, built without interruption.
    reference: [Tree; 2],
    /// The version the output folder holds now.
    current: usize,
}

const VERSIONS: [&str; 2] = ["A", "B"];

impl Fixture {
    fn new() -> Fixture {
        let site = Site::new().file("content/blog/_index.md", md("title = \"Blog\"", ""));
        let mut reference = [Tree::new(), Tree::new()];
        for (i, version) in VERSIONS.iter().enumerate() {
            write_version(&site, version);
            let out = format!("reference-{version}");
            let status = build_command(&site, &out).status().unwrap();
            assert!(status.success());
            reference[i] = snapshot_dir(&site.tmp().join(out));
        }
        // The output folder starts at version B, built like the references.
        assert!(build_command(&site, "out").status().unwrap().success());
        assert!(snapshot_dir(&site.out()) == reference[1]);
        Fixture {
            site,
            reference,
            current: 1,
        }
    }

    /// Changes every post to the other version, builds with `signal` after `delay`, and checks
    /// that the output is one whole version with no temporary files.
    #[track_caller]
    fn attempt(&mut self, signal: &str, when: When) -> Outcome {
        let target = 1 - self.current;
        write_version(&self.site, VERSIONS[target]);
        let outcome = interrupted_build(&self.site, signal, when);
        let tree = snapshot_dir(&self.site.out());
        assert_eq!(
            temporary(&tree),
            Vec::<&String>::new(),
            "{signal} at {when:?}: temporary files were left"
        );
        let (outcome, expected) = match outcome {
            Outcome::Finished => (outcome, target),
            Outcome::StoppedBeforeWriting if tree == self.reference[target] => {
                (Outcome::StoppedAfterWriting, target)
            }
            _ => (outcome, self.current),
        };
        if tree != self.reference[expected] {
            let differing: Vec<&String> = tree
                .keys()
                .chain(self.reference[expected].keys())
                .filter(|f| tree.get(*f) != self.reference[expected].get(*f))
                .take(5)
                .collect();
            panic!(
                "{signal} at {when:?} ({outcome:?}): the output is not version {}: {differing:?}",
                VERSIONS[expected]
            );
        }
        self.current = expected;
        outcome
    }
}

#[test]
fn sigint_and_sigterm_leave_one_whole_version_and_no_temporary_files() {
    let mut fixture = Fixture::new();
    for signal in ["INT", "TERM"] {
        let mut interrupted = 0;
        for millis in [0, 5, 20, 60, 150] {
            let outcome = fixture.attempt(signal, When::Writing(Duration::from_millis(millis)));
            if outcome == Outcome::InterruptedWhileWriting {
                interrupted += 1;
            }
        }
        assert!(
            interrupted > 0,
            "{signal}: no attempt landed while files were written"
        );
        // Before anything is written (the writer may already hold the folder, while the
        // site is assembled): the output stays as it was, which `attempt` checks.
        let early = fixture.attempt(signal, When::After(Duration::from_millis(20)));
        assert!(
            matches!(
                early,
                Outcome::StoppedBeforeWriting | Outcome::InterruptedWhileWriting
            ),
            "{signal} early: {early:?}"
        );
    }
}

/// SIGKILL cannot be caught: at whatever moment it comes, the output is the whole old site or
/// the whole new one, and the next build removes what the killed one left beside it.
#[test]
fn a_killed_build_leaves_one_whole_version_and_the_next_build_cleans_up() {
    let mut fixture = Fixture::new();
    for millis in [0, 5, 20, 60, 150] {
        let target = 1 - fixture.current;
        write_version(&fixture.site, VERSIONS[target]);
        interrupted_build(
            &fixture.site,
            "KILL",
            When::Writing(Duration::from_millis(millis)),
        );
        let tree = snapshot_dir(&fixture.site.out());
        let whole = [fixture.current, target]
            .into_iter()
            .find(|&v| tree == fixture.reference[v]);
        assert!(
            whole.is_some(),
            "after SIGKILL at {millis} ms, neither version"
        );
        assert_eq!(temporary(&tree), Vec::<&String>::new());
        let status = build_command(&fixture.site, "out").status().unwrap();
        assert!(status.success());
        assert_whole(&fixture.site, &fixture.reference[target], "the next build");
        assert_eq!(
            beside(&fixture.site.out()),
            Vec::<std::path::PathBuf>::new()
        );
        fixture.current = target;
    }
}

/// Killed at each step of the commit: with the new site ready beside the old one, right after
/// the switch, as the old site is about to be removed, while the manifest is renamed in. Before
/// the switch the output is the old site, after it the new one; the next build cleans up.
#[test]
fn killed_at_each_step_of_the_switch_the_output_is_one_whole_version() {
    if !cfg!(debug_assertions) {
        eprintln!("skipped: only debug builds stop at KNEAD_TEST_KILL_AT");
        return;
    }
    let mut fixture = Fixture::new();
    for (step, switched) in [
        ("staged", false),
        ("switched", true),
        ("removing", true),
        ("manifest", true),
    ] {
        let target = 1 - fixture.current;
        write_version(&fixture.site, VERSIONS[target]);
        let output = build_command(&fixture.site, "out")
            .env("KNEAD_TEST_KILL_AT", step)
            .output()
            .unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&output.status),
            Some(9),
            "{step}: {output:?}"
        );
        let expected = if switched { target } else { fixture.current };
        assert_whole(&fixture.site, &fixture.reference[expected], step);
        assert!(
            !beside(&fixture.site.out()).is_empty(),
            "{step}: nothing beside"
        );
        let status = build_command(&fixture.site, "out").status().unwrap();
        assert!(status.success());
        assert_whole(&fixture.site, &fixture.reference[target], step);
        assert_eq!(
            beside(&fixture.site.out()),
            Vec::<std::path::PathBuf>::new(),
            "{step}"
        );
        fixture.current = target;
    }
}
