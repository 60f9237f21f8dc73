//! The safe writer: nothing is written unless the build succeeded, unchanged files keep their
//! times, stale files are removed, and output folders where that would destroy someone's work
//! are refused. Also: same input, same bytes; symbolic links out of the site are not followed.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

mod manifest;

use crate::support::{Site, list_files, md, page, post, snapshot_dir};

fn small_site() -> Site {
    Site::new()
        .file("content/about.md", page("About", "Hello."))
        .file("content/blog/a.md", post("A", "2025-01-01", "First."))
        .file(
            "content/blog/b.md",
            md(
                "title = \"B\"\ndate = 2025-02-01\ntags = [\"Neck\"]",
                "Second.",
            ),
        )
        .file("static/files/prices.txt", "$80")
}

#[test]
fn a_failed_build_leaves_the_output_folder_byte_identical() {
    let site = small_site();
    site.build().success();
    let before = snapshot_dir(&site.out());
    // A successful build would now remove b's files, change a's and replace prices.txt.
    site.remove("content/blog/b.md");
    site.write(
        "content/blog/a.md",
        post("A changed", "2025-01-01", "Changed."),
    );
    site.write("static/files/prices.txt", "$90");
    site.write(
        "content/broken.md",
        md("title = \"Broken\"\ntitel = \"x\"", ""),
    );
    site.build()
        .exit(1)
        .stderr_has("content/broken.md:3:1: error: unknown key `titel`")
        .stderr_has("nothing written");
    let after = snapshot_dir(&site.out());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "the file list changed"
    );
    for (file, bytes) in &before {
        assert!(after[file] == *bytes, "{file} changed");
    }
}

fn set_old_times(dir: &Path) -> SystemTime {
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for rel in list_files(dir) {
        let file = fs::File::options()
            .write(true)
            .open(dir.join(&rel))
            .unwrap();
        file.set_modified(old).unwrap();
    }
    old
}

fn modified(path: &Path) -> SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn unchanged_files_are_not_rewritten() {
    let site = small_site();
    let first = site.build().success().summary();
    let old = set_old_times(&site.out());
    let run = site.build().success();
    let second = run.summary();
    assert_eq!((second.written, second.unchanged), (0, first.written));
    // The manifest is rewritten: the times it recorded were changed.
    for rel in run
        .files()
        .into_iter()
        .filter(|f| f != knead::output::MANIFEST)
    {
        assert_eq!(
            modified(&site.out().join(&rel)),
            old,
            "{rel} was rewritten although its bytes did not change"
        );
    }
}

#[test]
fn only_changed_files_are_rewritten() {
    let site = Site::new()
        .file("content/about.md", page("About", "Hello."))
        .file("static/files/prices.txt", "$80");
    site.build().success();
    let old = set_old_times(&site.out());
    site.write("content/about.md", page("About", "Hello again."));
    let run = site.build().success();
    // The page itself and the search index, which holds the page's summary.
    assert_eq!(run.summary().written, 2, "{}", run.stderr);
    assert_ne!(modified(&site.out().join("about/index.html")), old);
    assert_ne!(modified(&site.out().join("search-index.json")), old);
    assert_eq!(modified(&site.out().join("files/prices.txt")), old);
    assert_eq!(modified(&site.out().join("index.html")), old);
}

#[test]
fn files_of_removed_pages_are_deleted_on_rebuild() {
    let site = Site::new()
        .file("content/a.md", page("A", ""))
        .file("content/b.md", page("B", ""))
        .file("content/b/photo.jpg", crate::support::tiny_jpg())
        .file("static/old.txt", "old");
    let run = site.build().success();
    assert!(run.exists("b/index.html") && run.exists("b/photo.jpg") && run.exists("old.txt"));
    site.remove("content/b.md");
    site.remove("content/b/photo.jpg");
    site.remove("static/old.txt");
    let run = site.build().success();
    assert!(!run.exists("b/index.html"));
    assert!(!run.exists("b/photo.jpg"));
    assert!(!site.out().join("b").exists(), "the empty folder stays");
    assert!(!run.exists("old.txt"));
    // The page, the photo's two files (12 px wide: WebP, JPEG), its social preview and its
    // copy at its own address, and old.txt.
    assert_eq!(run.summary().removed, 6, "{}", run.stderr);
    assert!(run.exists("a/index.html"));
}

#[test]
fn same_input_gives_byte_identical_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for name in ["one", "two"] {
        let options = knead::BuildOptions {
            output: Some(tmp.path().join(name)),
            now: Some(crate::support::NOW.parse().unwrap()),
            ..knead::BuildOptions::new(root)
        };
        knead::build(&options).expect("the example site builds");
        outputs.push(snapshot_dir(&tmp.path().join(name)));
    }
    assert!(outputs[0].len() > 20, "{:?}", outputs[0].keys());
    assert_eq!(
        outputs[0].keys().collect::<Vec<_>>(),
        outputs[1].keys().collect::<Vec<_>>()
    );
    for (file, bytes) in &outputs[0] {
        assert!(outputs[1][file] == *bytes, "{file} differs between builds");
    }
}

/// Builds into `output` (as given on the command line, run in the temporary folder) and expects
/// a refusal that says `reason`, with the site's files untouched.
#[track_caller]
fn assert_refused(site: &Site, output: &str, extra: &[&str], reason: &str) {
    let before = snapshot_dir(&site.tmp());
    let mut command = site.knead();
    command
        .arg("build")
        .arg("--root")
        .arg(site.root())
        .arg("--output")
        .arg(output)
        .args(extra);
    let run = site.run(command).exit(2);
    assert!(
        run.stderr.starts_with("error: refusing to write to `"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(reason),
        "no {reason:?} in:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.ends_with("error: nothing written\n"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot_dir(&site.tmp()), before, "files changed");
}

fn full_site() -> Site {
    small_site()
        .file("templates/page.html", "{{ page.content | safe }}")
        .file("static/style.css", "body {}")
}

#[test]
fn refuses_the_site_root() {
    let site = full_site();
    assert_refused(&site, "site", &[], "it is the site's own folder");
    assert_refused(&site, "site", &["--force"], "it is the site's own folder");
}

#[test]
fn refuses_content() {
    let site = full_site();
    assert_refused(&site, "site/content", &[], "the site's `content/` folder");
    assert_refused(
        &site,
        "site/content",
        &["--force"],
        "the site's `content/` folder",
    );
}

#[test]
fn refuses_templates() {
    assert_refused(
        &full_site(),
        "site/templates",
        &[],
        "the site's `templates/` folder",
    );
}

#[test]
fn refuses_static() {
    assert_refused(
        &full_site(),
        "site/static",
        &[],
        "the site's `static/` folder",
    );
}

#[test]
fn refuses_a_folder_inside_content() {
    assert_refused(
        &full_site(),
        "site/content/out",
        &[],
        "inside the site's `content/` folder",
    );
}

#[test]
fn refuses_the_folder_that_contains_the_site() {
    let site = full_site();
    let parent = site.tmp().display().to_string();
    assert_refused(
        &site,
        &parent,
        &["--force"],
        "it contains the site's own folder",
    );
    assert_refused(&site, ".", &[], "it contains the site's own folder");
}

#[test]
fn refuses_content_spelled_with_dot_dot_or_a_trailing_slash() {
    let site = full_site();
    for spelling in [
        "site/content/",
        "site/content/../content",
        "site/static/../content/.",
        "site/content/new-folder/..",
        "./site//content",
        "site/templates/../content",
    ] {
        assert_refused(&site, spelling, &[], "the site's `content/` folder");
    }
}

/// `public/../content` before the first build, when `public/` does not exist yet.
#[test]

fn refuses_content_spelled_through_a_folder_that_does_not_exist() {
    let site = full_site();
    assert!(!site.root().join("public").exists());
    assert_refused(
        &site,
        "site/public/../content",
        &[],
        "the site's `content/` folder",
    );
    assert!(site.root().join("content/about.md").is_file());
}

/// The same hole with the folder above the site: `site/missing/../..` is the folder that
/// contains the site, and a build there deletes the site itself (all inside a temporary folder).
#[test]

fn refuses_the_parent_spelled_through_a_folder_that_does_not_exist() {
    let site = full_site();
    assert_refused(
        &site,
        "site/missing/../..",
        &[],
        "it contains the site's own folder",
    );
}

#[test]
fn refuses_the_root_of_the_file_system() {
    // Checked through the library so that a regression cannot start deleting files from `/`.
    let site = full_site();
    for force in [false, true] {
        match knead::output::check_output_dir(&site.root(), Path::new("/"), force) {
            // Refused; the reason given today is that `/` contains the site.
            Err(knead::Error::UnsafeOutput { reason, .. }) => {
                assert!(
                    reason.contains("root of the file system") || reason.contains("contains"),
                    "{reason}"
                );
            }
            other => panic!("`/` was not refused (force: {force}): {other:?}"),
        }
    }
}

/// HOME is a folder knead made before (it has the marker), so only the home rule refuses it:
/// without that rule the build would delete `notes.txt`.
#[test]
fn refuses_the_home_folder() {
    let site = full_site()
        .file("../home/.knead-output", "")
        .file("../home/notes.txt", "precious");
    let home = site.tmp().join("home");
    let before = snapshot_dir(&site.tmp());
    for output in [
        home.clone(),
        home.join("."),
        site.tmp().join("site/../home/"),
    ] {
        let mut command = site.knead();
        command
            .env("HOME", &home)
            .arg("build")
            .arg("--root")
            .arg(site.root())
            .arg("--output")
            .arg(&output)
            .arg("--force");
        let run = site.run(command).exit(2);
        assert!(run.stderr.contains("your home folder"), "{}", run.stderr);
    }
    // A folder that contains HOME is refused too.
    let mut command = site.knead();
    command
        .env("HOME", home.join("user"))
        .arg("build")
        .arg("--root")
        .arg(site.root())
        .arg("--output")
        .arg(&home)
        .arg("--force");
    site.run(command)
        .exit(2)
        .stderr_has("it contains your home folder");
    assert_eq!(snapshot_dir(&site.tmp()), before);
    // The same folder is fine when it is not HOME.
    let mut command = site.knead();
    command
        .env("HOME", site.tmp().join("elsewhere"))
        .arg("build")
        .arg("--root")
        .arg(site.root())
        .arg("--output")
        .arg(&home);
    site.run(command).success();
    assert!(!home.join("notes.txt").exists());
}

#[test]
fn refuses_a_non_empty_folder_without_the_marker() {
    let site = full_site().file("../mine/thesis.tex", "years of work");
    assert_refused(&site, "mine", &[], "--force");
    assert_eq!(
        fs::read_to_string(site.tmp().join("mine/thesis.tex")).unwrap(),
        "years of work"
    );
}

#[test]
fn force_allows_a_non_empty_folder_without_the_marker() {
    let site = full_site().file("../mine/old.txt", "stale");
    let mut command = site.knead();
    command
        .arg("build")
        .arg("--root")
        .arg(site.root())
        .arg("--output")
        .arg("mine")
        .arg("--force");
    site.run(command).success();
    let out = site.tmp().join("mine");
    assert!(out.join("about/index.html").is_file());
    assert!(out.join(".knead-output").is_file(), "the marker is left");
    assert!(
        !out.join("old.txt").exists(),
        "files it does not produce are removed"
    );
}

#[test]
fn an_empty_folder_without_the_marker_is_accepted() {
    let site = full_site().dir("../empty");
    let mut command = site.knead();
    command
        .arg("build")
        .arg("--root")
        .arg(site.root())
        .arg("--output")
        .arg("empty");
    site.run(command).success();
    assert!(site.tmp().join("empty/about/index.html").is_file());
}

#[test]
fn a_file_is_refused_as_output_folder() {
    let site = full_site().file("../out.txt", "x");
    assert_refused(&site, "out.txt", &["--force"], "it is a file, not a folder");
}

#[test]
fn default_public_folder_is_ours_without_the_marker() {
    let site = full_site().file("public/stale.html", "old");
    let mut command = site.knead();
    command.arg("build").arg("--root").arg(site.root());
    let run = site.run(command).success();
    assert!(run.stderr.contains("→ "), "{}", run.stderr);
    let public = site.root().join("public");
    assert!(public.join("about/index.html").is_file());
    assert!(!public.join("stale.html").exists());
}

#[cfg(unix)]
#[test]
fn symlinks_in_content_pointing_outside_the_site_are_not_followed() {
    use std::os::unix::fs::symlink;
    let site = full_site()
        .file("../elsewhere/secret.md", page("Secret", "Do not publish."))
        .file("../elsewhere/dir/leak.md", page("Leak", "Nor this."));
    symlink(
        site.tmp().join("elsewhere/secret.md"),
        site.root().join("content/secret.md"),
    )
    .unwrap();
    symlink(
        site.tmp().join("elsewhere/dir"),
        site.root().join("content/shared"),
    )
    .unwrap();
    let run = site.build().success();
    for link in ["content/secret.md", "content/shared"] {
        assert!(
            run.stderr.lines().any(|l| l.starts_with(&format!(
                "{link}: warning: this symbolic link points outside the site"
            ))),
            "no warning for {link}:\n{}",
            run.stderr
        );
    }
    assert!(!run.exists("secret/index.html"));
    assert!(!run.exists("shared/leak/index.html"));
    for file in run.files() {
        let text = fs::read(run.out().join(&file)).unwrap();
        assert!(
            !String::from_utf8_lossy(&text).contains("Do not publish"),
            "{file} has the linked text"
        );
    }
}

/// `--output` naming a link to a folder that does not exist yet (a web root to be): the site is
/// built there, and the link stays a link. It failed with "File exists".
#[cfg(unix)]
#[test]
fn an_output_link_to_a_folder_not_made_yet_is_followed() {
    let site = Site::new().file("content/about.md", page("About", "Hello."));
    let www = site.tmp().join("srv/www");
    std::os::unix::fs::symlink(&www, site.out()).unwrap();
    let run = site.build().success();
    assert!(www.join("about/index.html").is_file(), "{}", run.stderr);
    assert!(
        fs::symlink_metadata(site.out())
            .unwrap()
            .file_type()
            .is_symlink()
    );
    site.build().success();
}

/// A symbolic link left in the output folder (say `blog -> ../elsewhere`) must not make knead
/// write outside the output folder, nor lose the pages that belong under it.
#[cfg(unix)]
#[test]

fn a_symlink_inside_the_output_folder_is_not_written_through() {
    use std::os::unix::fs::symlink;
    let site = Site::new()
        .file("content/blog/post.md", page("Post", "Hi."))
        .file("../out/.knead-output", "")
        .file("../elsewhere/keep.txt", "precious");
    symlink("../elsewhere", site.out().join("blog")).unwrap();
    let run = site.build().success();
    assert_eq!(
        list_files(&site.tmp().join("elsewhere")),
        ["keep.txt"],
        "knead wrote outside its output folder"
    );
    assert!(run.exists("blog/post/index.html"), "{:?}", run.files());
    assert!(run.exists("blog/index.html"), "{:?}", run.files());
}

#[cfg(unix)]
#[test]
fn a_symlinked_output_folder_is_resolved_before_the_checks() {
    use std::os::unix::fs::symlink;
    let site = full_site();
    symlink(site.root().join("content"), site.tmp().join("link")).unwrap();
    assert_refused(&site, "link", &["--force"], "the site's `content/` folder");
}

/// Issue 18: with `HOME` unset, the home folder the user database gives is still refused (only
/// `$HOME` was, and `--force` emptied the home folder). Run as `nobody`, whose home folder
/// (`/nonexistent` on Debian) knead could not create anyway: without the rule the build fails
/// differently, never touching a real home folder.
#[cfg(unix)]
#[test]
fn refuses_the_users_home_folder_when_home_is_unset() {
    use std::os::unix::fs::PermissionsExt;

    let site = full_site();
    for entry in walkdir::WalkDir::new(site.tmp()) {
        let entry = entry.unwrap();
        let mode = if entry.file_type().is_dir() {
            0o777
        } else {
            0o666
        };
        fs::set_permissions(entry.path(), fs::Permissions::from_mode(mode)).unwrap();
    }
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let Some(home) = passwd
        .lines()
        .find(|l| l.starts_with("nobody:"))
        .and_then(|l| l.split(':').nth(5))
    else {
        eprintln!("no user `nobody` here; the unset-HOME test did not run");
        return;
    };
    let mut command = std::process::Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_knead"))
        .env_remove("HOME")
        .arg("build")
        .arg("--root")
        .arg(site.root())
        .arg("--output")
        .arg(home)
        .arg("--force");
    let run = site.run(command);
    if run.stderr.contains("setpriv") {
        eprintln!("setpriv cannot switch users here; the unset-HOME test did not run");
        return;
    }
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("your home folder"), "{}", run.stderr);
}
