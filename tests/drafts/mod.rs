//! Drafts and posts dated in the future are left out of every output (the page, lists, tags,
//! feed, sitemap) unless `--drafts` or `--future` asks for them.

use crate::support::{Run, Site, md, post};

fn site() -> Site {
    Site::new()
        .file(
            "templates/section.html",
            "{% for p in paginator.pages %}{{ p.title }};{% endfor %}",
        )
        .file("content/blog/_index.md", md("title = \"Blog\"", ""))
        .file("content/blog/live.md", post("Live", "2025-01-01", "Hi."))
        .file(
            "content/blog/wip.md",
            md(
                "title = \"Wip\"\ndate = 2025-02-01\ndraft = true\ntags = [\"Secret\"]",
                "Not yet.",
            ),
        )
        .file(
            "content/blog/later.md",
            md(
                "title = \"Later\"\ndate = 2999-01-01\ntags = [\"Tomorrow\"]",
                "Soon.",
            ),
        )
        .file(
            "content/blog/tonight.md",
            md(
                "title = \"Tonight\"\ndate = 2999-01-01T20:00:00+02:00",
                "Soon.",
            ),
        )
}

/// Whether `slug`'s post shows up anywhere.
fn published(run: &Run, slug: &str) -> [bool; 4] {
    [
        run.exists(&format!("blog/{slug}/index.html")),
        run.read("blog/index.html").contains(&title(slug)),
        run.read("atom.xml").contains(&format!("/blog/{slug}/")),
        run.read("sitemap.xml").contains(&format!("/blog/{slug}/")),
    ]
}

fn title(slug: &str) -> String {
    let mut chars = slug.chars();
    let first = chars.next().unwrap().to_uppercase();
    format!("{first}{};", chars.as_str())
}

#[test]
fn drafts_and_future_posts_are_left_out_by_default() {
    let run = site().build().success();
    assert_eq!(published(&run, "live"), [true; 4]);
    assert_eq!(published(&run, "wip"), [false; 4]);
    assert_eq!(published(&run, "later"), [false; 4]);
    assert_eq!(published(&run, "tonight"), [false; 4]);
    assert!(!run.exists("tags/secret/index.html"));
    assert!(!run.exists("tags/tomorrow/index.html"));
    assert_eq!(run.read("blog/index.html"), "Live;");
}

#[test]
fn drafts_flag_includes_drafts_only() {
    let run = site().build_with(&["--drafts"]).success();
    // On its page and in the lists of the preview, never in the feed or the sitemap, which
    // would take it online if the preview were uploaded (issue 19).
    assert_eq!(published(&run, "wip"), [true, true, false, false]);
    assert!(run.exists("tags/secret/index.html"));
    assert_eq!(published(&run, "later"), [false; 4]);
    assert_eq!(published(&run, "tonight"), [false; 4]);
}

#[test]
fn future_flag_includes_future_posts_only() {
    let run = site().build_with(&["--future"]).success();
    assert_eq!(published(&run, "later"), [true; 4]);
    assert_eq!(published(&run, "tonight"), [true; 4]);
    assert!(run.exists("tags/tomorrow/index.html"));
    assert_eq!(published(&run, "wip"), [false; 4]);
}

#[test]
fn both_flags_include_everything() {
    let run = site().build_with(&["--drafts", "--future"]).success();
    assert_eq!(run.read("blog/index.html"), "Tonight;Later;Wip;Live;");
}

#[test]
fn a_draft_dropped_from_the_build_is_removed_from_the_output() {
    let site = site();
    let run = site.build_with(&["--drafts"]).success();
    assert!(run.exists("blog/wip/index.html"));
    let run = site.build().success();
    assert!(!run.exists("blog/wip/index.html"));
    assert!(!run.exists("tags/secret/index.html"));
}

/// Found while moving the asset plan into its own stage: the files of a page bundle that is a
/// draft (or still to come) were copied all the same, at the bundle's address, so the photos
/// of a post not yet published went online. They go with their page now.
#[test]
fn the_files_of_a_bundle_left_out_are_left_out_too() {
    let site = site()
        .file(
            "content/blog/new-room/index.md",
            md(
                "title = \"Our new room\"\ndate = 2025-03-01\ndraft = true",
                "![The room](room.jpg)",
            ),
        )
        .file("content/blog/new-room/room.jpg", crate::support::tiny_jpg())
        .file(
            "content/blog/summer/index.md",
            md("title = \"Summer hours\"\ndate = 2999-06-01", "Soon."),
        )
        .file("content/blog/summer/hours.pdf", "%PDF-1.4")
        .file(
            "content/blog/live-bundle/index.md",
            post("Here", "2025-01-02", "Hi."),
        )
        .file(
            "content/blog/live-bundle/photo.jpg",
            crate::support::tiny_jpg(),
        );
    let run = site.build().success();
    assert!(!run.exists("blog/new-room/room.jpg"));
    assert!(!run.exists("blog/summer/hours.pdf"));
    assert!(run.exists("blog/live-bundle/photo.jpg"));
    let run = site.build_with(&["--drafts"]).success();
    assert!(run.exists("blog/new-room/room.jpg"));
    assert!(!run.exists("blog/summer/hours.pdf"));
    let run = site.build_with(&["--future"]).success();
    assert!(run.exists("blog/summer/hours.pdf"));
    assert!(!run.exists("blog/new-room/room.jpg"));
}

/// The summary names what was left out, also when the build is skipped because nothing changed,
/// and a build with `--drafts` says that its output is a preview (issue 19).
#[test]
fn the_summary_says_what_was_left_out_and_when_the_output_holds_drafts() {
    let site = site();
    let left_out = "1 draft and 2 scheduled posts left out (the next is due on 2999-01-01; \
                    knead serve previews them)\n";
    site.build().success().stderr_has(left_out);
    // Nothing changed: the summary comes from the last build's manifest.
    let again = site.build().success().stderr_has(left_out);
    assert_eq!(again.summary().written, 0);
    site.build_with(&["--future"])
        .success()
        .stderr_has("1 draft left out (knead serve previews it)\n");
    let preview = site.build_with(&["--drafts"]).success();
    assert!(
        preview
            .stderr
            .contains("This output holds 1 draft (--drafts): it is a preview, do not publish it\n")
            && !preview.stderr.contains("left out"),
        "{}",
        preview.stderr
    );
    site.remove("content/blog/wip.md");
    site.remove("content/blog/later.md");
    site.remove("content/blog/tonight.md");
    let all = site.build().success();
    assert!(!all.stderr.contains("left out"), "{}", all.stderr);
}
