//! The manifest of the last build: a rebuild with nothing changed stops after reading the
//! sources, and anything that makes the output differ from what the last build left (an edit
//! to the sources or to the output, a scheduled post coming due) is noticed.

use std::fs;

use crate::support::{Site, md, page, post, snapshot_dir};

const SKIPPED: &str = "nothing changed since the last build";

fn site() -> Site {
    Site::new()
        .file("content/about.md", page("About", "Hello."))
        .file("content/blog/a.md", post("A", "2025-01-01", "First."))
        .file("static/files/prices.txt", "$80")
}

/// Builds with the library and says whether the build was skipped as unchanged.
fn build(site: &Site, options: &knead::BuildOptions) -> (knead::BuildReport, bool) {
    let report = site.build_lib(options).expect("the site builds");
    let skipped = report.timings.iter().any(|(stage, _)| *stage == SKIPPED);
    (report, skipped)
}

#[test]
fn a_rebuild_with_nothing_changed_stops_after_reading_and_reports_the_same() {
    let site = site();
    let options = site.options();
    let (first, skipped) = build(&site, &options);
    assert!(!skipped, "the first build cannot be skipped");
    let before = snapshot_dir(&site.out());
    let manifest = fs::read(site.out().join(knead::output::MANIFEST)).unwrap();
    let (second, skipped) = build(&site, &options);
    assert!(skipped, "{:?}", second.timings);
    assert_eq!(second.pages, first.pages);
    assert_eq!(
        (
            second.write.written,
            second.write.unchanged,
            second.write.removed
        ),
        (0, first.write.written, 0)
    );
    assert_eq!(snapshot_dir(&site.out()), before);
    assert_eq!(
        fs::read(site.out().join(knead::output::MANIFEST)).unwrap(),
        manifest,
        "a skipped build does not even rewrite the manifest"
    );
}

/// A warning does not scroll by once and vanish: a rebuild with nothing changed prints the
/// warnings of the build that made the output again (issue 19).
#[test]
fn a_rebuild_with_nothing_changed_repeats_the_warnings() {
    let site = site().file(
        "content/blog/b.md",
        post("B", "2025-01-02", "Questions? [Contact us](/contact-us/)."),
    );
    let options = site.options();
    let (first, _) = build(&site, &options);
    let (second, skipped) = build(&site, &options);
    assert!(skipped, "{:?}", second.timings);
    assert_eq!(first.warnings.0.len(), 1, "{:?}", first.warnings);
    assert_eq!(second.warnings, first.warnings);
}

#[test]
fn an_edited_source_is_built() {
    let site = site();
    let options = site.options();
    build(&site, &options);
    site.write("content/blog/a.md", post("A", "2025-01-01", "Edited."));
    let (report, skipped) = build(&site, &options);
    assert!(!skipped);
    assert!(report.write.written > 0);
    let html = fs::read_to_string(site.out().join("blog/a/index.html")).unwrap();
    assert!(html.contains("Edited."), "{html}");
    // A copied file that changed is copied again.
    site.write("static/files/prices.txt", "$95, from January");
    let (_, skipped) = build(&site, &options);
    assert!(!skipped);
    assert_eq!(
        fs::read_to_string(site.out().join("files/prices.txt")).unwrap(),
        "$95, from January"
    );
}

#[test]
fn changes_to_the_output_itself_are_undone_by_the_next_build() {
    let site = site();
    let options = site.options();
    build(&site, &options);
    let reference = snapshot_dir(&site.out());
    // Each of these alone must stop the shortcut.
    type Damage = (&'static str, fn(&Site));
    let damages: [Damage; 5] = [
        ("an edited page", |s| {
            fs::write(s.out().join("blog/a/index.html"), "defaced").unwrap()
        }),
        ("a deleted page", |s| {
            fs::remove_file(s.out().join("about/index.html")).unwrap()
        }),
        ("a stray file at the top", |s| {
            fs::write(s.out().join("stray.html"), "x").unwrap()
        }),
        ("a stray file in a folder", |s| {
            fs::write(s.out().join("blog/a/notes.txt"), "x").unwrap()
        }),
        ("a page replaced by a folder", |s| {
            fs::remove_file(s.out().join("index.html")).unwrap();
            fs::create_dir(s.out().join("index.html")).unwrap();
        }),
    ];
    for (what, damage) in damages {
        damage(&site);
        let (_, skipped) = build(&site, &options);
        assert!(!skipped, "{what}: the build was skipped");
        assert!(
            snapshot_dir(&site.out()) == reference,
            "{what}: not repaired"
        );
    }
}

#[test]
fn a_scheduled_post_appears_when_it_is_due_though_no_file_changed() {
    let site = site().file(
        "content/blog/soon.md",
        post("Soon", "2026-12-01", "Coming soon."),
    );
    let mut options = site.options();
    build(&site, &options);
    assert!(!site.out().join("blog/soon/index.html").exists());
    // Still not due: skipped.
    options.now = Some("2026-11-29T12:00:00Z".parse().unwrap());
    assert!(build(&site, &options).1);
    // Due (the day has begun in UTC+14): built, and the post is there.
    options.now = Some("2026-11-30T10:00:00Z".parse().unwrap());
    let (_, skipped) = build(&site, &options);
    assert!(!skipped);
    assert!(site.out().join("blog/soon/index.html").is_file());
}

#[test]
fn other_options_are_other_builds() {
    let site = site().file(
        "content/blog/draft.md",
        md(
            "title = \"Draft\"\ndate = 2025-03-01\ndraft = true",
            "Not yet.",
        ),
    );
    let options = site.options();
    build(&site, &options);
    let drafts = knead::BuildOptions {
        drafts: true,
        ..options.clone()
    };
    let (_, skipped) = build(&site, &drafts);
    assert!(!skipped);
    assert!(site.out().join("blog/draft/index.html").is_file());
    let (_, skipped) = build(&site, &options);
    assert!(!skipped);
    assert!(!site.out().join("blog/draft/index.html").exists());
}

#[test]
fn an_edited_template_is_built() {
    let site = site().file("templates/page.html", "<p>{{ page.title }}</p>");
    let options = site.options();
    build(&site, &options);
    site.write("templates/page.html", "<h1>{{ page.title }}</h1>");
    let (_, skipped) = build(&site, &options);
    assert!(!skipped);
    let html = fs::read_to_string(site.out().join("about/index.html")).unwrap();
    assert_eq!(html, "<h1>About</h1>");
}

#[test]
fn a_damaged_manifest_is_ignored_and_replaced() {
    let site = site();
    let options = site.options();
    build(&site, &options);
    let reference = snapshot_dir(&site.out());
    let manifest = site.out().join(knead::output::MANIFEST);
    for damage in [
        &b""[..],
        b"{\"format\":1,\"key\":\"zz\"}",
        b"\xff\xfe not JSON",
    ] {
        fs::write(&manifest, damage).unwrap();
        let (report, skipped) = build(&site, &options);
        assert!(!skipped);
        assert_eq!(report.write.written, 0, "the files were compared instead");
        assert!(snapshot_dir(&site.out()) == reference);
        // The next build trusts the new manifest again.
        assert!(build(&site, &options).1);
    }
}
