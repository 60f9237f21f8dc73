//! Promise 1: a failed build changes nothing, and two builds at once do not corrupt the output.
//!
//! `tests/writer` shows it for a content error. Here: every other stage's errors (templates,
//! site.toml, links, rendering), and failures of the disk itself, made in ways that fail for
//! root too (tests run as root, for whom permissions change nothing): a full disk (a 1 MB
//! tmpfs), an immutable folder (`chattr +i`), a folder where a file must go, a marker that is a
//! folder, an output folder inside a file. Tests that need `mount` or `chattr` say so on stderr
//! and pass when the machine does not allow them; docs/reliability.md lists them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::support::{Run, Site, md, page, post};

/// Everything about a folder that a build could change: each file's bytes and modification
/// time, each folder and its modification time, each link.
fn state(dir: &Path) -> BTreeMap<String, String> {
    let mut entries = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).follow_links(false) {
        let entry = entry.unwrap();
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let meta = entry.path().symlink_metadata().unwrap();
        let what = if meta.is_dir() {
            // A folder's time changes when anything is made or removed in it.
            let modified = meta
                .modified()
                .unwrap()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap();
            format!("folder, modified {modified:?}")
        } else if meta.file_type().is_symlink() {
            format!("link to {}", fs::read_link(entry.path()).unwrap().display())
        } else {
            let modified = meta
                .modified()
                .unwrap()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap();
            let bytes = fs::read(entry.path()).unwrap();
            format!(
                "file of {} bytes, hash {:016x}, modified {modified:?}",
                bytes.len(),
                fnv(&bytes)
            )
        };
        entries.insert(rel, what);
    }
    entries
}

/// A 64-bit FNV-1a hash, to tell file contents apart in messages without printing them.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Asserts that nothing in `dir` changed since `before`, naming the first difference.
#[track_caller]
fn assert_unchanged(dir: &Path, before: &BTreeMap<String, String>) {
    let after = state(dir);
    for (path, what) in before {
        match after.get(path) {
            None => panic!("`{path}` was removed"),
            Some(now) if now != what => panic!("`{path}` changed:\n  {what}\n  {now}"),
            Some(_) => {}
        }
    }
    for path in after.keys() {
        assert!(before.contains_key(path), "`{path}` was added");
    }
}

/// Temporary files the writer may have left.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = crate::support::list_files(dir)
        .into_iter()
        .filter(|f| f.contains(".knead-tmp-"))
        .collect();
    found.extend(beside(dir).iter().map(|p| p.display().to_string()));
    found
}

/// The hidden folders beside the output folder `dir` (`.out.knead-…`), where a build makes
/// the new site and leaves the old one to remove.
pub(super) fn beside(dir: &Path) -> Vec<PathBuf> {
    let prefix = format!(".{}.knead-", dir.file_name().unwrap().to_string_lossy());
    let Ok(entries) = fs::read_dir(dir.parent().unwrap()) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

fn small_site() -> Site {
    Site::new()
        .file("content/about.md", page("About", "Hello."))
        .file("content/blog/a.md", post("A", "2025-01-01", "First."))
        .file("content/blog/b.md", post("B", "2025-02-01", "Second."))
        .file("static/prices.txt", "$80")
}

/// Builds `site`, changes it with `break_it` so that the build fails, builds again and checks
/// the failure: exit 1, stderr containing `message`, the output exactly as it was.
#[track_caller]
fn assert_failed_build_changes_nothing(site: &Site, message: &str, break_it: impl FnOnce(&Site)) {
    site.build().success();
    // Changes a successful build would make: a changed page, a removed page, a new file.
    site.write("content/about.md", page("About", "Changed."));
    site.remove("content/blog/b.md");
    site.write("static/new.txt", "new");
    break_it(site);
    let before = state(&site.out());
    let run = site.build().exit(1);
    assert!(
        run.stderr.contains(message),
        "no {message:?} in:\n{}",
        run.stderr
    );
    assert_unchanged(&site.out(), &before);
}

#[test]
fn a_template_syntax_error_changes_nothing() {
    assert_failed_build_changes_nothing(&small_site(), "templates/page.html:1:", |site| {
        site.write("templates/page.html", "{{ page.title }")
    });
}

#[test]
fn a_template_error_while_rendering_changes_nothing() {
    assert_failed_build_changes_nothing(&small_site(), "templates/page.html:2:", |site| {
        site.write("templates/page.html", "ok\n{{ page.nope.deeper }}")
    });
}

#[test]
fn a_config_error_changes_nothing() {
    assert_failed_build_changes_nothing(&small_site(), "site.toml:2:1", |site| {
        site.write("site.toml", "title = \"T\"\nbase_url = \"nope\"\n");
    });
}

#[test]
fn a_broken_link_changes_nothing() {
    assert_failed_build_changes_nothing(&small_site(), "content/blog/a.md:5:1", |site| {
        site.write(
            "content/blog/a.md",
            post("A", "2025-01-01", "[x](@/missing.md)"),
        );
    });
}

#[test]
fn a_collision_changes_nothing() {
    assert_failed_build_changes_nothing(&small_site(), "static/about/index.html", |site| {
        site.write("static/about/index.html", "mine");
    });
}

#[test]
fn a_missing_content_folder_changes_nothing() {
    assert_failed_build_changes_nothing(&small_site(), "no `content/` folder", |site| {
        fs::rename(site.root().join("content"), site.root().join("contents")).unwrap();
    });
}

/// An output folder whose parent is a file: the build stops at once and names the path.
#[test]
fn an_output_folder_that_cannot_be_created_names_the_cause() {
    let site = small_site().file("../file.txt", "precious");
    let mut command = site.knead();
    command
        .args(["build", "--root", "site", "--output"])
        .arg(Path::new("file.txt").join("out"));
    let run = site.run(command).exit(1);
    assert!(run.stderr.contains("file.txt/out"), "{}", run.stderr);
    assert!(run.stderr.contains("Not a directory"), "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(site.tmp().join("file.txt")).unwrap(),
        "precious"
    );
}

/// The marker knead keeps in its output folder is a folder: the build cannot take its lock,
/// says so, and changes nothing.
#[test]
fn a_marker_that_is_a_folder_stops_the_build_cleanly() {
    let site = small_site();
    site.build().success();
    fs::remove_file(site.out().join(".knead-output")).unwrap();
    fs::create_dir(site.out().join(".knead-output")).unwrap();
    site.write("content/about.md", page("About", "Changed."));
    let before = state(&site.out());
    site.build().exit(1).stderr_has(".knead-output");
    assert_unchanged(&site.out(), &before);
}

/// A file left where a folder must now go (a static file `guide` replaced by a page `guide`):
/// the output folder is knead's, so the file gives way and the build succeeds.
#[test]
fn a_stale_file_where_a_folder_must_go_gives_way() {
    let site = small_site().file("static/guide", "old guide");
    site.build().success();
    site.remove("static/guide");
    site.write("content/guide.md", page("Guide", "New guide."));
    let run = site.build().success();
    assert!(run.read("guide/index.html").contains("New guide."));
}

/// The mirror case: a folder left where a file must now go (static files `guide/*` replaced by
/// one file `guide`). The folder holds only stale files of knead's, so it should give way too.
#[test]
fn a_stale_folder_where_a_file_must_go_gives_way() {
    let site = small_site().file("static/guide/part1.txt", "one");
    site.build().success();
    site.remove("static/guide/part1.txt");
    fs::remove_dir(site.root().join("static/guide")).unwrap();
    site.write("static/guide", "one file now");
    let run = site.build().success();
    assert_eq!(run.read("guide"), "one file now");
}

/// The file that a folder replaces is removed before the new files are written; if writing
/// them then fails, the file is gone although the build changed nothing else.
#[test]
fn a_file_replaced_by_a_folder_survives_a_failed_write() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let first = knead::render::Outputs(
        [("guide".to_owned(), bytes("old guide"))]
            .into_iter()
            .collect(),
    );
    knead::output::write(&first, &out).unwrap();
    let before = state(&out);
    let second = knead::render::Outputs(
        [
            ("guide/index.html".to_owned(), bytes("new guide")),
            (
                "zz.png".to_owned(),
                knead::render::Output::File(tmp.path().join("vanished.png")),
            ),
        ]
        .into_iter()
        .collect(),
    );
    knead::output::write(&second, &out).unwrap_err();
    assert_unchanged(&out, &before);
}

fn bytes(text: &str) -> knead::render::Output {
    knead::render::Output::Bytes(text.as_bytes().to_vec().into())
}

/// A failure while staging (before any rename) leaves no trace: no temporary file, no new
/// folder, no changed file.
#[test]
fn a_failure_while_staging_leaves_no_trace() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let first = knead::render::Outputs(
        [
            ("index.html".to_owned(), bytes("old home")),
            ("blog/a/index.html".to_owned(), bytes("old a")),
        ]
        .into_iter()
        .collect(),
    );
    knead::output::write(&first, &out).unwrap();
    let before = state(&out);
    let second = knead::render::Outputs(
        [
            ("index.html".to_owned(), bytes("new home")),
            ("blog/a/index.html".to_owned(), bytes("new a")),
            ("blog/b/index.html".to_owned(), bytes("new b")),
            (
                "logo.png".to_owned(),
                knead::render::Output::File(tmp.path().join("vanished.png")),
            ),
        ]
        .into_iter()
        .collect(),
    );
    let err = knead::output::write(&second, &out).unwrap_err();
    assert!(err.to_string().contains("logo.png"), "{err}");
    assert_eq!(leftovers(&out), Vec::<String>::new());
    let after = state(&out);
    let files = |s: &BTreeMap<String, String>| {
        s.iter()
            .filter(|(_, what)| what.starts_with("file"))
            .map(|(p, w)| (p.clone(), w.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(files(&after), files(&before), "a file changed");
}

/// The same, but with the folders too: a new folder made for the new files stays behind.
#[test]
fn a_failure_while_staging_leaves_no_new_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let first = knead::render::Outputs(
        [("index.html".to_owned(), bytes("old home"))]
            .into_iter()
            .collect(),
    );
    knead::output::write(&first, &out).unwrap();
    let before = state(&out);
    let second = knead::render::Outputs(
        [
            ("blog/b/index.html".to_owned(), bytes("new b")),
            (
                "logo.png".to_owned(),
                knead::render::Output::File(tmp.path().join("vanished.png")),
            ),
        ]
        .into_iter()
        .collect(),
    );
    knead::output::write(&second, &out).unwrap_err();
    assert_unchanged(&out, &before);
}

// --- Failures of the disk, made with tools that stop root too.

/// A tmpfs of `size` mounted in a temporary folder, unmounted on drop; `None` (with a note on
/// stderr) when this machine does not allow mounting.
struct Tmpfs {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        fs::create_dir(&path).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .stderr(std::process::Stdio::null())
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("skipped: this machine does not allow mounting a tmpfs");
            return None;
        }
        Some(Tmpfs { path, _dir: dir })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_changes_nothing() {
    let Some(disk) = Tmpfs::mount("1m") else {
        return;
    };
    let site = small_site();
    let out = disk.path.join("public");
    let build = |site: &Site| {
        let mut command = site.knead();
        command
            .args(["build", "--root", "site", "--output"])
            .arg(&out);
        site.run(command)
    };
    build(&site).success();
    site.write("content/about.md", page("About", "Changed."));
    // A 2 MB brochure does not fit on a 1 MB disk.
    site.write("static/brochure.pdf", vec![7u8; 2 * 1024 * 1024]);
    let before = state(&out);
    let run = build(&site).exit(1);
    assert!(
        run.stderr.contains("No space left on device"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("brochure.pdf"), "{}", run.stderr);
    assert_eq!(leftovers(&out), Vec::<String>::new());
    assert_unchanged(&out, &before);
    // Once there is room, the same build succeeds.
    site.remove("static/brochure.pdf");
    build(&site).success();
}

/// `chattr +i` on `path`, undone on drop; `None` (with a note on stderr) where the file system
/// or the machine does not allow it.
struct Immutable(PathBuf);

impl Immutable {
    fn set(path: &Path) -> Option<Immutable> {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: chattr +i is not available here");
            return None;
        }
        Some(Immutable(path.to_path_buf()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

/// What even root cannot change in the output (`chattr +i`): a folder, a file that changes, a
/// stale file (a post taken down: issue 18 found such a file stopping the build after 21 files
/// were replaced, leaving half a new site). The new site is built beside the old one and
/// switched in whole; the old one stays beside it, named in a warning, because that file cannot
/// be removed; once it can, the next build removes it.
#[cfg(target_os = "linux")]
#[test]
fn what_nobody_may_change_does_not_stop_the_new_site() {
    for (immutable, take_down_b) in [
        ("blog/a", false),
        ("blog/a/index.html", false),
        ("blog/b/index.html", true),
    ] {
        let site = small_site();
        site.build().success();
        let old_page = fs::read(site.out().join("blog/a/index.html")).ok();
        site.write("content/about.md", page("About", "Changed."));
        site.write("content/blog/a.md", post("A", "2025-01-01", "Changed too."));
        if take_down_b {
            site.remove("content/blog/b.md");
        }
        let Some(lock) = Immutable::set(&site.out().join(immutable)) else {
            return;
        };
        let run = site.build().success();
        assert!(
            run.stderr.contains("could not be removed") && run.stderr.contains("chattr -i"),
            "{immutable}: {}",
            run.stderr
        );
        // The whole new site, as a build into an empty folder makes it.
        let reference = site.tmp().join("reference");
        let mut command = site.knead();
        command.args(["build", "--root", "site", "--output", "reference"]);
        site.run(command).success();
        let new = crate::support::snapshot_dir(&site.out());
        assert!(
            new == crate::support::snapshot_dir(&reference),
            "{immutable}: not the new site"
        );
        // The old site beside it, with the file that could not go.
        let old = match &beside(&site.out())[..] {
            [old] => old.clone(),
            other => panic!("{immutable}: {other:?}"),
        };
        assert!(
            run.stderr.contains(&old.display().to_string()),
            "{}",
            run.stderr
        );
        if !take_down_b {
            let kept = fs::read(old.join("blog/a/index.html")).ok();
            assert!(
                kept.is_some() && kept == old_page,
                "{immutable}: the old page is not kept"
            );
        }
        // A build with nothing to do says so again.
        let quiet = site.build().success();
        assert_eq!(quiet.summary().written, 0);
        assert!(
            quiet.stderr.contains("could not be removed"),
            "{}",
            quiet.stderr
        );
        drop(lock);
        drop(Immutable(old.join(immutable)));
        let again = site.build().success();
        assert!(!again.stderr.contains("warning"), "{}", again.stderr);
        assert_eq!(leftovers(&site.out()), Vec::<String>::new());
        assert!(crate::support::snapshot_dir(&site.out()) == new);
    }
}

/// What the hidden folders beside the output hold is removed without following links: a
/// leftover's name that is a link to someone's folder, or a link inside a leftover, loses the
/// link only (the removal works from open folders, so a link put in place meanwhile is not
/// followed either).
#[cfg(unix)]
#[test]
fn leftovers_beside_the_output_are_removed_without_following_links() {
    let site = small_site();
    site.build().success();
    let victim = site.tmp().join("victim");
    fs::create_dir_all(victim.join("deep")).unwrap();
    fs::write(victim.join("keep.txt"), "mine").unwrap();
    fs::write(victim.join("deep/keep.txt"), "mine too").unwrap();
    let before = state(&victim);
    let parent = site.out().parent().unwrap().to_path_buf();
    std::os::unix::fs::symlink(&victim, parent.join(".out.knead-evil")).unwrap();
    let leftover = parent.join(".out.knead-1-0");
    fs::create_dir_all(leftover.join("blog")).unwrap();
    fs::write(leftover.join("blog/index.html"), "old").unwrap();
    std::os::unix::fs::symlink(&victim, leftover.join("blog/inner")).unwrap();
    site.write("content/about.md", page("About", "Changed."));
    site.build().success();
    assert_unchanged(&victim, &before);
    assert_eq!(leftovers(&site.out()), Vec::<String>::new());
}

/// The output folder's owner, group and mode stay as they were (the new site is a new folder):
/// a site a web server reads through its group stays readable, and with the setgid bit what is
/// made inside takes the folder's group.
#[cfg(unix)]
#[test]
fn the_output_folder_keeps_its_owner_group_and_mode() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let site = small_site();
    site.build().success();
    let out = site.out();
    let nobody = 65534;
    if std::os::unix::fs::chown(&out, Some(nobody), Some(nobody)).is_err() {
        eprintln!("skipped: only root may give the folder to nobody");
        return;
    }
    fs::set_permissions(&out, fs::Permissions::from_mode(0o2750)).unwrap();
    site.write("content/blog/c.md", post("C", "2025-03-01", "Third."));
    site.build().success();
    let meta = fs::metadata(&out).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (nobody, nobody));
    assert_eq!(meta.mode() & 0o7777, 0o2750);
    assert_eq!(fs::metadata(out.join("blog/c")).unwrap().gid(), nobody);
}

/// An output folder that is a bind mount of a folder of the same disk cannot be switched: the
/// writer works in it file by file, and every build succeeds.
#[cfg(target_os = "linux")]
#[test]
fn an_output_folder_that_is_a_mount_point_is_written_in_place() {
    let site = small_site();
    let store = site.tmp().join("store");
    fs::create_dir(&store).unwrap();
    fs::create_dir(site.out()).unwrap();
    let mounted = Command::new("mount")
        .arg("--bind")
        .args([&store, &site.out()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: this machine does not allow bind mounts");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(site.out());
    site.build().success();
    site.write("content/about.md", page("About", "Changed."));
    let run = site.build().success();
    assert!(run.read("about/index.html").contains("Changed."));
    assert!(store.join("about/index.html").is_file());
    assert_eq!(leftovers(&site.out()), Vec::<String>::new());
}

// --- Two builds at once.

/// A build that finds the output folder locked by another stops with exit 1 and a clear
/// message, and writes nothing.
#[test]
fn a_build_while_another_writes_stops_with_a_clear_message() {
    let site = small_site();
    site.build().success();
    site.write("content/about.md", page("About", "Changed."));
    let before = state(&site.out());
    let marker = fs::File::options()
        .read(true)
        .write(true)
        .open(site.out().join(".knead-output"))
        .unwrap();
    marker.lock().unwrap();
    // The lock is on the marker's open file, not its contents: the state is unchanged.
    let run = site.build().exit(1);
    assert!(
        run.stderr.contains(&format!(
            "error: another knead build is writing to `{}` right now",
            site.out().display()
        )),
        "{}",
        run.stderr
    );
    assert_unchanged(&site.out(), &before);
    marker.unlock().unwrap();
    drop(marker);
    site.build().success();
}

/// Two real builds of one site into one folder at once, several times: each succeeds or stops
/// with the "another build" message, and the output is exactly what one build writes.
#[test]
fn two_builds_at_once_never_corrupt_the_output() {
    let mut site = Site::new();
    for i in 0..300 {
        site = site.file(
            &format!("content/blog/post-{i}.md"),
            md(
                &format!(
                    "title = \"Post {i}\"\ndate = 2025-01-01\ntags = [\"t{}\"]",
                    i % 7
                ),
                &"Massage helps. ".repeat(50),
            ),
        );
    }
    let reference = site.tmp().join("reference");
    let mut command = site.knead();
    command
        .args(["build", "--root", "site", "--output"])
        .arg(&reference);
    site.run(command).success();
    let expected = crate::support::snapshot_dir(&reference);
    for round in 0..3 {
        if round > 0 {
            // Something to write each round.
            site.write(
                "content/blog/post-0.md",
                post("Post 0", "2025-01-01", &format!("Round {round}.")),
            );
            let mut command = site.knead();
            command
                .args(["build", "--root", "site", "--output"])
                .arg(&reference);
            site.run(command).success();
        }
        let expected = if round > 0 {
            crate::support::snapshot_dir(&reference)
        } else {
            expected.clone()
        };
        let spawn = || {
            site.knead()
                .args(["build", "--root", "site", "--output", "out"])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        for child in [a, b] {
            let output = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            match output.status.code() {
                Some(0) => {}
                Some(1) => assert!(
                    stderr.contains("another knead build is writing to"),
                    "{stderr}"
                ),
                other => panic!("exit {other:?}: {stderr}"),
            }
        }
        assert_eq!(leftovers(&site.out()), Vec::<String>::new());
        let got = crate::support::snapshot_dir(&site.out());
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>()
        );
        for (file, bytes) in &expected {
            assert!(got[file] == *bytes, "round {round}: {file} differs");
        }
    }
}

/// What a failed build prints: the cause, with the path, then one line saying it stopped.
#[test]
fn an_io_failure_is_reported_with_its_path_and_exit_1() {
    let site = small_site();
    site.build().success();
    fs::remove_file(site.out().join(".knead-output")).unwrap();
    fs::create_dir(site.out().join(".knead-output")).unwrap();
    let run: Run = site.build().exit(1);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(
        lines[0].starts_with("error: failed to ") && lines[0].contains(".knead-output"),
        "{}",
        run.stderr
    );
    assert_eq!(lines[1], "error: the build stopped");
}
