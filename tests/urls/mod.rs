//! Addresses: slugs from file names and front matter, tags merged by slug, and output paths that
//! collide (including those that differ only in case) reported as errors naming both sources.

use std::collections::HashMap;

use crate::support::{Site, md, page, post};

mod slugs;

#[test]
fn slugs_come_from_file_names_with_accents_transliterated() {
    let run = Site::new()
        .file("content/Café Notes.md", page("Notes", ""))
        .file("content/Über Uns/Das Team.md", page("Team", ""))
        .build()
        .success();
    assert!(run.exists("cafe-notes/index.html"), "{:?}", run.files());
    assert!(
        run.exists("uber-uns/das-team/index.html"),
        "{:?}",
        run.files()
    );
}

#[test]
fn emoji_are_dropped_from_slugs() {
    let run = Site::new()
        .file("content/Relax 😌 Tips 🎉.md", page("Relax", ""))
        .file(
            "content/b.md",
            md("title = \"B\"\nslug = \"🔥 Hot Stones 🔥\"", ""),
        )
        .build()
        .success();
    assert!(run.exists("relax-tips/index.html"), "{:?}", run.files());
    assert!(run.exists("hot-stones/index.html"), "{:?}", run.files());
}

#[test]
fn a_slug_of_only_emoji_is_an_error() {
    Site::new()
        .file("content/x.md", md("title = \"A\"\nslug = \"😌🎉\"", ""))
        .build()
        .exit(1)
        .stderr_has("content/x.md:3:1: error: cannot make an address from `😌🎉`");
}

#[test]
fn explicit_slug_with_dot_dot_is_sanitized() {
    let site = Site::new()
        .file(
            "content/blog/x.md",
            md("title = \"A\"\nslug = \"../../Escape/Me\"", ""),
        )
        .file(
            "content/y.md",
            md("title = \"B\"\nslug = \"..\\\\..\\\\win\"", ""),
        );
    let run = site.build().success();
    assert!(run.exists("blog/escape-me/index.html"), "{:?}", run.files());
    assert!(run.exists("win/index.html"), "{:?}", run.files());
    assert!(!site.tmp().join("Escape").exists() && !site.tmp().join("escape").exists());
    for file in run.files() {
        assert!(!file.contains(".."), "{file}");
    }
}

#[test]
fn tags_merge_case_insensitively_into_one_page_listing_both_posts() {
    let run = Site::new()
        .file(
            "templates/term.html",
            "{{ tag.name }}|{{ tag.count }}|{% for p in pages %}{{ p.title }};{% endfor %}",
        )
        .file(
            "templates/taxonomy.html",
            "{% for t in tags %}{{ t.name }}@{{ t.url }};{% endfor %}",
        )
        .file(
            "content/blog/a.md",
            md(
                "title = \"A\"\ndate = 2025-01-01\ntags = [\"Deep Tissue\"]",
                "",
            ),
        )
        .file(
            "content/blog/b.md",
            md(
                "title = \"B\"\ndate = 2025-02-01\ntags = [\"deep tissue\"]",
                "",
            ),
        )
        .file(
            "content/blog/c.md",
            md(
                "title = \"C\"\ndate = 2025-03-01\ntags = [\"Deep   tissue!\", \"DEEP TISSUE\"]",
                "",
            ),
        )
        .build()
        .success();
    let tag_pages: Vec<String> = run
        .files()
        .into_iter()
        .filter(|f| f.starts_with("tags/") && f != "tags/index.html")
        .collect();
    assert_eq!(
        tag_pages,
        ["tags/deep-tissue/atom.xml", "tags/deep-tissue/index.html"]
    );
    let term = run.read("tags/deep-tissue/index.html");
    let (_name, rest) = term.split_once('|').unwrap();
    assert_eq!(rest, "3|C;B;A;");
    let index = run.read("tags/index.html");
    assert_eq!(index.matches("/tags/deep-tissue/").count(), 1, "{index}");
}

/// Builds and expects one collision error in `file` that names `other` too.
#[track_caller]
fn assert_collision(site: Site, file: &str, other: &str) {
    let run = site.build().exit(1);
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains(": error: this would write"))
        .unwrap_or_else(|| panic!("no collision error:\n{}", run.stderr));
    assert!(line.starts_with(&format!("{file}:")), "{line}");
    assert!(line.contains(other), "{line} does not name {other}");
    assert!(!site.out().exists(), "nothing may be written");
}

#[test]
fn two_posts_with_the_same_slug_collide() {
    assert_collision(
        Site::new()
            .file(
                "content/blog/a.md",
                md("title = \"A\"\nslug = \"same\"", ""),
            )
            .file(
                "content/blog/b.md",
                md("title = \"B\"\nslug = \"same\"", ""),
            ),
        "content/blog/b.md",
        "`content/blog/a.md`",
    );
}

#[test]
fn a_post_and_a_file_name_slug_collide() {
    assert_collision(
        Site::new()
            .file("content/blog/neck-pain.md", page("A", ""))
            .file(
                "content/blog/b.md",
                md("title = \"B\"\nslug = \"Neck Pain\"", ""),
            ),
        "content/blog/neck-pain.md",
        "`content/blog/b.md`",
    );
}

#[test]
fn a_post_and_an_alias_collide() {
    assert_collision(
        Site::new().file("content/blog/a.md", page("A", "")).file(
            "content/blog/b.md",
            md("title = \"B\"\naliases = [\"/blog/a/\"]", ""),
        ),
        "content/blog/b.md",
        "`content/blog/a.md`",
    );
}

#[test]
fn a_page_and_a_static_file_collide() {
    assert_collision(
        Site::new()
            .file("content/about.md", page("About", ""))
            .file("static/about/index.html", "<p>old about page</p>"),
        "static/about/index.html",
        "`content/about.md`",
    );
}

#[test]
fn a_page_and_a_section_collide() {
    assert_collision(
        Site::new()
            .file("content/blog.md", page("Blog page", ""))
            .file("content/blog/_index.md", md("title = \"Blog\"", "")),
        "content/blog.md",
        "`content/blog/_index.md`",
    );
}

#[test]
fn a_static_atom_xml_collides_with_the_feed() {
    let site = Site::new().file("static/atom.xml", "<feed/>");
    let run = site.build().exit(1);
    assert!(
        run.stderr.contains(
            "static/atom.xml: error: this would write `atom.xml`, which knead itself writes"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn an_alias_to_a_generated_file_collides() {
    Site::new()
        .file(
            "content/a.md",
            md("title = \"A\"\naliases = [\"/404.html\"]", ""),
        )
        .build()
        .exit(1)
        .stderr_has("content/a.md: error: this would write `404.html`, which knead itself writes");
}

#[test]
fn an_alias_differing_only_in_case_from_a_page_collides() {
    assert_collision(
        Site::new().file("content/blog/x.md", page("X", "")).file(
            "content/blog/b.md",
            md("title = \"B\"\naliases = [\"/Blog/X/\"]", ""),
        ),
        "content/blog/b.md",
        "`content/blog/x.md`",
    );
}

#[test]
fn two_files_differing_only_in_case_collide() {
    assert_collision(
        Site::new()
            .file("content/About.md", page("About 1", ""))
            .file("content/about.md", page("About 2", "")),
        "content/about.md",
        "`content/About.md`",
    );
}

#[test]
fn a_static_file_differing_only_in_case_from_robots_txt_collides() {
    let run = Site::new().file("static/Robots.TXT", "x").build().exit(1);
    assert!(
        run.stderr
            .contains("static/Robots.TXT: error: this would write `Robots.TXT` (and `robots.txt`, which differs only in case)"),
        "{}",
        run.stderr
    );
}

#[test]
fn bundle_files_differing_only_in_case_collide() {
    assert_collision(
        Site::new()
            .file("content/blog/x/index.md", page("X", ""))
            .file("content/blog/x/Photo.jpg", crate::support::tiny_jpg())
            .file("content/blog/x/photo.jpg", crate::support::tiny_jpg()),
        "content/blog/x/photo.jpg",
        "content/blog/x/Photo.jpg",
    );
}

/// A file and a folder of the same name cannot both be written: `atom.xml` is a file, and the
/// alias `/atom.xml` wants `atom.xml/index.html`. That is a collision, found before writing.
#[test]

fn an_alias_that_needs_a_generated_file_as_folder_collides() {
    let site = Site::new().file(
        "content/a.md",
        md("title = \"A\"\naliases = [\"/atom.xml\"]", ""),
    );
    let run = site.build().exit(1);
    assert!(
        run.stderr.starts_with("content/a.md"),
        "not reported as the page's error:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("atom.xml"), "{}", run.stderr);
    assert!(
        !site.out().exists(),
        "a failed build wrote {:?}",
        run.files()
    );
}

/// The same with a static file named like a section's folder.
#[test]

fn a_static_file_named_like_a_section_folder_collides() {
    let site = Site::new()
        .file("content/blog/post.md", page("Post", ""))
        .file("static/blog", "not a folder");
    let run = site.build().exit(1);
    assert!(
        run.stderr.starts_with("static/blog"),
        "not reported as a collision:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("blog/"), "{}", run.stderr);
    assert!(
        !site.out().exists(),
        "a failed build wrote {:?}",
        run.files()
    );
}

/// On macOS and Windows two names that differ only in case are one file: whichever is written
/// last wins, at random. A build must either fail or write only one of them.
#[test]

fn no_two_outputs_differ_only_in_case() {
    let site = Site::new().file("static/Favicon.svg", "<svg/>");
    let run = site.build();
    if run.code == Some(0) {
        let mut seen: HashMap<String, String> = HashMap::new();
        for file in run.files() {
            if let Some(first) = seen.insert(file.to_lowercase(), file.clone()) {
                panic!("`{first}` and `{file}` differ only in case");
            }
        }
    } else {
        run.exit(1).stderr_has("static/Favicon.svg");
    }
}

/// A page that takes an address knead generates is the page's mistake: the error belongs in the
/// page's file, like every other content error.
#[test]

fn a_collision_with_a_generated_page_is_reported_in_the_page_file() {
    let tagged = md("title = \"A\"\ntags = [\"Neck\"]", "");
    let cases = [
        (
            Site::new()
                .file("content/a.md", &tagged)
                .file("content/b.md", md("title = \"B\"\nslug = \"tags\"", "")),
            "content/b.md: error: this would write `tags/index.html`",
        ),
        (
            Site::new()
                .file("content/a.md", &tagged)
                .file("content/tags/neck.md", page("Neck", "")),
            "content/tags/neck.md: error: this would write `tags/neck/index.html`",
        ),
    ];
    for (site, expected) in cases {
        let run = site.build().exit(1);
        assert!(
            run.stderr.contains(expected),
            "no {expected:?} in:\n{}",
            run.stderr
        );
        for line in run.stderr.lines().filter(|l| l.contains(": error: ")) {
            assert!(
                line.starts_with("content/"),
                "not located in a file: {line}"
            );
        }
    }
}

#[test]
fn aliases_with_dot_dot_are_rejected_and_nothing_is_written_outside() {
    let site = Site::new().file(
        "content/a.md",
        md(
            "title = \"A\"\naliases = [\"/../../escape/\", \"../up.html\", \"/old/../../x/\"]",
            "",
        ),
    );
    let run = site.build().exit(1);
    for alias in ["/../../escape/", "../up.html", "/old/../../x/"] {
        assert!(
            run.stderr.contains(&format!(
                "content/a.md:3:1: error: alias `{alias}` contains `.` or `..`"
            )),
            "{alias}: {}",
            run.stderr
        );
    }
    assert!(run.stderr.ends_with("error: 3 errors, nothing written\n"));
    assert!(!site.out().exists());
    let tmp_entries: Vec<_> = std::fs::read_dir(site.tmp())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        tmp_entries,
        ["site"],
        "something was written beside the site"
    );
    assert!(!site.tmp().parent().unwrap().join("escape").exists());
}

#[test]
fn aliases_that_are_full_addresses_are_rejected() {
    Site::new()
        .file(
            "content/a.md",
            md("title = \"A\"\naliases = [\"https://evil.example/x/\"]", ""),
        )
        .build()
        .exit(1)
        .stderr_has("alias `https://evil.example/x/` is a full address");
}

#[test]
fn posts_keep_their_section_in_the_address() {
    let run = Site::new()
        .file(
            "content/blog/2025/recap.md",
            post("Recap", "2025-01-01", ""),
        )
        .build()
        .success();
    assert!(
        run.exists("blog/2025/recap/index.html"),
        "{:?}",
        run.files()
    );
    assert!(run.exists("blog/2025/index.html"));
    assert!(run.exists("blog/index.html"));
}

/// The home page shows the latest posts and is never cut into list pages, whatever its
/// `paginate_by`: a page at `/page/2/` is free, not claimed by a list page that is never written.
#[test]
fn a_home_page_with_paginate_by_claims_no_list_pages() {
    let site = Site::new()
        .file(
            "content/_index.md",
            md("title = \"Home\"\npaginate_by = 1", ""),
        )
        .file("content/about.md", page("About", ""))
        .file("content/contact.md", page("Contact", ""))
        .file("content/page/2.md", page("Second page", ""));
    let run = site.build().exit(0);
    assert!(run.files().contains(&"page/2/index.html".to_owned()));
    assert!(run.read("page/2/index.html").contains("Second page"));
}
