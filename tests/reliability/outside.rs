//! Promise 2: nothing outside the output folder. A build reads the site and writes the output
//! folder, and touches nothing else; output folders that are, contain or lie inside the site's
//! own folders are refused however they are spelled; symbolic links in `content/`, `static/`
//! and `templates/` that leave the site are not followed (a warning names each; one that is the
//! whole folder is an error, which keeps the published site), and a link loop ends. A folder
//! that cannot be read is an error too (issue 18, defect 1).
//!
//! `tests/writer` already covers: the site root, `content/`, `templates/`, `static/`, a folder
//! inside `content/`, the folder containing the site, `/`, the home folder, `..` and trailing
//! slashes before `content/`, a symlinked output folder that is `content/`, and symlinks in
//! `content/` (a file and a folder) pointing outside.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{Site, list_files, page, snapshot_dir};

const SECRET: &str = "outside-secret-do-not-publish";

fn site() -> Site {
    Site::new()
        .file("content/about.md", page("About", "Hello."))
        .file("content/blog/post.md", page("Post", "Hi."))
        .file("static/style.css", "body {}")
        .file(
            "templates/page.html",
            "{{ page.title }}|{{ page.content | safe }}",
        )
        .file("../elsewhere/secret.md", page(SECRET, SECRET))
        .file("../elsewhere/secret.txt", SECRET)
        .file("../elsewhere/dir/leak.md", page(SECRET, SECRET))
        .file("../elsewhere/dir/leak.txt", SECRET)
        .file("../elsewhere/page.html", SECRET)
}

/// Asserts that no output file holds the secret, and that the build warned about each link.
#[track_caller]
fn assert_not_followed(site: &Site, links: &[&str]) {
    let run = site.build().success();
    for link in links {
        assert!(
            run.stderr.lines().any(|l| l.starts_with(&format!(
                "{link}: warning: this symbolic link points outside the site"
            ))),
            "no warning for {link}:\n{}",
            run.stderr
        );
    }
    for (file, bytes) in snapshot_dir(run.out()) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(SECRET),
            "{file} holds the linked text"
        );
    }
}

#[test]
fn symlinks_in_static_and_templates_pointing_outside_are_not_followed() {
    let site = site();
    let elsewhere = site.tmp().join("elsewhere");
    symlink(
        elsewhere.join("secret.txt"),
        site.root().join("static/secret.txt"),
    )
    .unwrap();
    symlink(elsewhere.join("dir"), site.root().join("static/shared")).unwrap();
    symlink("/etc/passwd", site.root().join("static/passwd")).unwrap();
    symlink(
        "../../elsewhere/page.html",
        site.root().join("templates/section.html"),
    )
    .unwrap();
    assert_not_followed(
        &site,
        &[
            "static/secret.txt",
            "static/shared",
            "static/passwd",
            "templates/section.html",
        ],
    );
}

/// Relative targets, links to links, and a link to the output folder itself.
#[test]
fn relative_and_chained_symlinks_pointing_outside_are_not_followed() {
    let site = site();
    symlink(
        "../../elsewhere/secret.md",
        site.root().join("content/relative.md"),
    )
    .unwrap();
    // A link inside the site that points at a link leading out.
    symlink("elsewhere/dir", site.tmp().join("hop")).unwrap();
    symlink("../../hop", site.root().join("content/chained")).unwrap();
    fs::create_dir(site.out()).unwrap();
    symlink("../../out", site.root().join("static/output")).unwrap();
    assert_not_followed(
        &site,
        &["content/relative.md", "content/chained", "static/output"],
    );
}

#[test]
fn a_dangling_symlink_is_skipped_with_a_warning() {
    let site = site();
    symlink("../nowhere.md", site.root().join("content/dangling.md")).unwrap();
    let run = site.build().success();
    assert!(
        run.stderr.contains(
            "content/dangling.md: warning: this symbolic link points to `../nowhere.md`, which does not exist; it is skipped"
        ),
        "{}",
        run.stderr
    );
}

/// Links that stay inside the site are followed: a shared folder of images, say.
#[test]
fn symlinks_that_stay_inside_the_site_are_followed() {
    let site = site().file("shared/logo.txt", "logo");
    symlink("../shared", site.root().join("static/brand")).unwrap();
    symlink("blog/post.md", site.root().join("content/post-again.md")).unwrap();
    let run = site.build().success();
    assert_eq!(run.read("brand/logo.txt"), "logo");
    assert!(run.exists("post-again/index.html"), "{:?}", run.files());
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}

/// A folder linked to its own parent, or to the site root: walking it would never end.
#[test]
fn symlink_loops_end_with_a_warning() {
    let site = site();
    symlink("..", site.root().join("content/blog/loop")).unwrap();
    symlink(".", site.root().join("static/self")).unwrap();
    symlink(site.root(), site.root().join("content/root")).unwrap();
    let start = Instant::now();
    let run = site.build().success();
    assert!(start.elapsed() < Duration::from_secs(60));
    for link in ["content/blog/loop", "static/self", "content/root"] {
        assert!(
            run.stderr
                .lines()
                .any(|l| l.starts_with(&format!("{link}: warning:"))),
            "no warning for {link}:\n{}",
            run.stderr
        );
    }
    assert!(run.exists("blog/post/index.html"));
}

/// A build reads the site and writes the output folder: nothing else changes, not even a
/// file's modification time, and nothing appears beside them.
#[test]
fn a_build_changes_nothing_but_the_output_folder() {
    let site = site().file("static/logo.png", crate::support::tiny_png());
    let before = everything_but_the_output(&site.tmp());
    site.build().success();
    site.build().success();
    assert_eq!(everything_but_the_output(&site.tmp()), before);
}

/// Every file and folder under `dir` except `out/`, with its bytes and modification time.
fn everything_but_the_output(dir: &Path) -> Vec<(String, String)> {
    let mut entries = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        let entry = entry.unwrap();
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        // The folder itself changes as `out/` appears in it; the photos' files are kept in
        // the site's image cache, the one other folder a build writes (see docs/images.md).
        if rel.is_empty()
            || rel == "out"
            || rel.starts_with("out/")
            || rel == "site"
            || rel.starts_with("site/.knead-cache")
        {
            continue;
        }
        let meta = entry.path().symlink_metadata().unwrap();
        let bytes = if meta.is_file() {
            fs::read(entry.path()).unwrap()
        } else {
            Vec::new()
        };
        entries.push((rel, format!("{:?} {:?}", meta.modified().unwrap(), bytes)));
    }
    entries
}

/// Output folders refused however they are spelled, with links, `..` and doubled slashes; each
/// refusal leaves every file where it was.
#[test]
fn refused_output_folders_however_spelled() {
    let site = site();
    let tmp = site.tmp();
    symlink(site.root(), tmp.join("to-root")).unwrap();
    symlink(site.root().join("static"), tmp.join("to-static")).unwrap();
    symlink(site.root().join("templates"), tmp.join("to-templates")).unwrap();
    symlink(&tmp, tmp.join("to-parent")).unwrap();
    symlink(site.root().join("content/blog"), tmp.join("to-blog")).unwrap();
    let cases = [
        ("to-root", "the site's own folder"),
        ("to-root/", "the site's own folder"),
        ("to-root/.", "the site's own folder"),
        ("site/public/..", "the site's own folder"),
        ("site/content/blog/../..", "the site's own folder"),
        ("to-static", "the site's `static/` folder"),
        ("to-static//", "the site's `static/` folder"),
        ("site//static/./", "the site's `static/` folder"),
        ("to-templates/", "the site's `templates/` folder"),
        (
            "to-root/templates/../templates",
            "the site's `templates/` folder",
        ),
        ("to-parent", "it contains the site's own folder"),
        ("to-parent/site/..", "it contains the site's own folder"),
        ("to-blog", "inside the site's `content/` folder"),
        ("to-root/static/css", "inside the site's `static/` folder"),
        (
            "site/static/new/deeper",
            "inside the site's `static/` folder",
        ),
    ];
    let before = everything_but_the_output(&tmp);
    for (output, reason) in cases {
        for force in [false, true] {
            let mut command = site.knead();
            command
                .args(["build", "--root", "site", "--output", output])
                .args(force.then_some("--force"));
            let run = site.run(command).exit(2);
            assert!(
                run.stderr.contains(reason),
                "{output} (force: {force}): no {reason:?} in:\n{}",
                run.stderr
            );
        }
    }
    assert_eq!(
        everything_but_the_output(&tmp),
        before,
        "a refused build changed files"
    );
    assert!(!site.out().exists());
    assert_eq!(
        list_files(&site.root().join("static")),
        ["style.css"],
        "a refused build wrote into static/"
    );
}

/// A link planted in the output folder where the writer puts a temporary file must not make it
/// write through the link. The writer names its temporary files after the process id (known
/// here, as the library runs in this process) and a counter, so links are planted at every name
/// it could use.
#[test]
fn a_link_at_a_temporary_file_name_is_not_written_through() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let elsewhere = tmp.path().join("elsewhere.txt");
    fs::write(&elsewhere, "precious").unwrap();
    let outputs = |text: &str| {
        knead::render::Outputs(
            [(
                "index.html".to_owned(),
                knead::render::Output::Bytes(text.as_bytes().to_vec().into()),
            )]
            .into_iter()
            .collect(),
        )
    };
    knead::output::write(&outputs("old"), &out).unwrap();
    let pid = std::process::id();
    symlink(&elsewhere, out.join(format!(".index.html.knead-tmp-{pid}"))).unwrap();
    for n in 0..20_000 {
        symlink(&elsewhere, out.join(format!(".knead-tmp-{pid}-{n}"))).unwrap();
    }
    // Written or refused, but never through the link.
    let _ = knead::output::write(&outputs("new"), &out);
    assert_eq!(fs::read_to_string(&elsewhere).unwrap(), "precious");
    assert!(!out.join("index.html").is_symlink());
}

/// Issue 18, defect 1: `content/` (or `static/`, `templates/`) as a link leading outside the site
/// was skipped with a warning, and the build took the whole blog offline. It is an error now,
/// and the published site stays as it was.
#[test]
fn a_site_folder_that_links_outside_is_an_error_that_keeps_the_published_site() {
    for folder in ["content", "static", "templates"] {
        let site = site();
        site.build().success();
        let before = snapshot_dir(&site.out());
        let moved = site.root().join(format!("../moved-{folder}"));
        fs::rename(site.root().join(folder), &moved).unwrap();
        symlink(&moved, site.root().join(folder)).unwrap();
        let run = site.build().exit(1);
        assert!(
            run.stderr.contains(&format!(
                "{folder}: error: `{folder}/` is a symbolic link to `"
            )),
            "{folder}:\n{}",
            run.stderr
        );
        assert_eq!(
            snapshot_dir(&site.out()),
            before,
            "{folder}: the output changed"
        );
    }
}

/// Runs `knead build` on `site` as the unprivileged user `nobody` (root reads every file), with
/// every file and folder of the test opened to it first. `None` when `setpriv` cannot switch
/// users here.
fn build_as_nobody(site: &Site) -> Option<crate::support::Run> {
    for entry in walkdir::WalkDir::new(site.tmp()) {
        let entry = entry.unwrap();
        let mode = if entry.file_type().is_dir() {
            0o777
        } else {
            0o666
        };
        set_mode(entry.path(), mode);
    }
    let run = build_as_nobody_again(site);
    if run.code != Some(0) && run.stderr.contains("setpriv") {
        eprintln!("setpriv cannot switch users here; this test did not run");
        return None;
    }
    Some(run)
}

/// [`build_as_nobody`] without opening the files first.
fn build_as_nobody_again(site: &Site) -> crate::support::Run {
    use std::process::Command;

    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_knead"))
        .arg("build")
        .arg("--root")
        .arg(site.root())
        .arg("--output")
        .arg(site.out());
    site.run(command)
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Issue 18, defect 1: a folder that cannot be read was a warning, and the build took its pages
/// offline. It is an error, as an unreadable file is, and the published site stays. Root reads
/// every folder, so the builds run as the unprivileged user `nobody` (`setpriv`).
#[test]
fn an_unreadable_folder_is_an_error_that_keeps_the_published_site() {
    let site = site();
    let Some(first) = build_as_nobody(&site) else {
        return;
    };
    first.success();
    let before = snapshot_dir(&site.out());
    set_mode(&site.root().join("content/blog"), 0o000);
    let run = build_as_nobody_again(&site);
    set_mode(&site.root().join("content/blog"), 0o777);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("content/blog: error: could not read this: Permission denied"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot_dir(&site.out()), before, "the output changed");
}

/// Issue 18: a file of `static/` that cannot be read was reported as a failure to write the
/// output file. The message says it could not be read, naming it and the output it was for;
/// the published site stays.
#[test]
fn an_unreadable_static_file_is_named_as_read_and_keeps_the_published_site() {
    let site = site().file("static/price-list.pdf", "%PDF-1.4 prices");
    let Some(first) = build_as_nobody(&site) else {
        return;
    };
    first.success();
    fs::write(
        site.root().join("static/price-list.pdf"),
        "%PDF-1.4 new prices",
    )
    .unwrap();
    let before = snapshot_dir(&site.out());
    set_mode(&site.root().join("static/price-list.pdf"), 0o000);
    let run = build_as_nobody_again(&site);
    set_mode(&site.root().join("static/price-list.pdf"), 0o666);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let read = format!(
        "failed to read `{}`, to copy it to `",
        site.root().join("static/price-list.pdf").display()
    );
    assert!(run.stderr.contains(&read), "{}", run.stderr);
    assert!(
        run.stderr.contains("price-list.pdf`: Permission denied"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot_dir(&site.out()), before, "the output changed");
}
