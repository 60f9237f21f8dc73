//! The example clinic site, which is the repository itself: it builds, its first article has the
//! structure its Markdown promises, and every kind of output is there and well-formed.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::support::{list_files, main_element, xml};

const SEED: &str = "blog/back-and-neck-massage-for-muscle-recovery/index.html";

/// The example site, built by the binary once per test run into Cargo's temporary folder for
/// integration tests, and shared by these tests.
fn built() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("example-site");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_knead"))
            .arg("build")
            .arg("--root")
            .arg(env!("CARGO_MANIFEST_DIR"))
            .arg("--output")
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "the example site does not build:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        out
    })
}

fn read(rel: &str) -> String {
    fs::read_to_string(built().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn builds() {
    let files = list_files(built());
    assert!(files.contains(&"index.html".to_owned()), "{files:?}");
    assert!(files.contains(&SEED.to_owned()), "{files:?}");
}

#[test]
fn seed_article_has_its_sections_as_h2_with_ids() {
    let main = main_element(&read(SEED));
    for (id, title) in [
        (
            "role-of-neck-pain-massage-in-muscle-healing",
            "Role of Neck Pain Massage in Muscle Healing",
        ),
        (
            "benefits-of-massage-for-faster-muscle-recovery",
            "Benefits of Massage for Faster Muscle Recovery",
        ),
        (
            "massage-techniques-used-for-back-and-neck-pain-relief",
            "Massage Techniques Used for Back and Neck Pain Relief",
        ),
        ("wrapping-it-up", "Wrapping It Up"),
    ] {
        let heading = format!("<h2 id=\"{id}\">{title}");
        assert!(main.contains(&heading), "no {heading} in the article");
        assert!(
            main.contains(&format!("href=\"#{id}\"")),
            "no link to #{id}"
        );
    }
}

#[test]
fn seed_article_has_its_items_as_h3() {
    let source = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("content/blog/back-and-neck-massage-for-muscle-recovery.md"),
    )
    .unwrap();
    let items: Vec<&str> = source
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .map(str::trim)
        .collect();
    assert!(items.len() >= 10, "{items:?}");
    assert!(items.contains(&"1. Swedish Massage"), "{items:?}");
    let main = main_element(&read(SEED));
    // The article's own h3s, in its body (related posts below have h3 titles too).
    let body = &main[main.find("<div class=\"prose\">").unwrap()..];
    let body = &body[..body.find("</div>").unwrap()];
    assert_eq!(body.matches("<h3 ").count(), items.len(), "{body}");
    for item in items {
        let id = knead::slug::slugify(item);
        let heading = format!("<h3 id=\"{id}\">{item}");
        assert!(main.contains(&heading), "no {heading} in the article");
    }
}

#[test]
fn blog_is_paginated() {
    let files = list_files(built());
    assert!(files.contains(&"blog/index.html".to_owned()));
    assert!(
        files.contains(&"blog/page/2/index.html".to_owned()),
        "{files:?}"
    );
    assert!(read("blog/index.html").contains("href=\"/blog/page/2/\""));
}

#[test]
fn tag_pages_exist_and_list_the_seed_article() {
    let index = main_element(&read("tags/index.html"));
    for tag in ["back-pain", "neck-pain", "muscle-recovery", "deep-tissue"] {
        assert!(
            index.contains(&format!("href=\"/tags/{tag}/\"")),
            "{tag}: {index}"
        );
        let page = main_element(&read(&format!("tags/{tag}/index.html")));
        assert!(
            page.contains("href=\"/blog/back-and-neck-massage-for-muscle-recovery/\""),
            "{tag}: {page}"
        );
    }
    // "Deep Tissue" and "deep tissue" are one tag.
    let deep = main_element(&read("tags/deep-tissue/index.html"));
    assert!(deep.contains("href=\"/blog/sports-massage-before-and-after-a-race/\""));
}

#[test]
fn feed_is_well_formed_atom() {
    let text = read("atom.xml");
    let feed = xml::parse(&text).unwrap_or_else(|e| panic!("atom.xml: {e}"));
    assert_eq!(feed.name, "feed");
    let titles: Vec<&str> = feed
        .all("entry")
        .map(|e| e.child("title").text.as_str())
        .collect();
    assert!(
        titles.contains(&"Back and Neck Massage for Muscle Recovery"),
        "{titles:?}"
    );
}

#[test]
fn sitemap_is_well_formed_and_lists_the_seed_article() {
    let text = read("sitemap.xml");
    let sitemap = xml::parse(&text).unwrap_or_else(|e| panic!("sitemap.xml: {e}"));
    assert_eq!(sitemap.name, "urlset");
    assert!(sitemap.all("url").any(|u| u.child("loc").text
        == "https://kestrelbend.example/blog/back-and-neck-massage-for-muscle-recovery/"));
}

#[test]
fn alias_and_bundle_files_are_written() {
    let redirect = read("old-blog/first-massage/index.html");
    assert!(
        redirect
            .contains("url=https://kestrelbend.example/blog/what-to-expect-at-your-first-massage/")
    );
    assert!(
        built()
            .join("blog/desk-neck-stretches/stretch.svg")
            .is_file()
    );
}

/// Every root-relative link and image of every page leads to a file the build wrote.
#[test]
fn internal_links_lead_somewhere() {
    let out = built();
    let mut broken = Vec::new();
    for file in list_files(out).iter().filter(|f| f.ends_with(".html")) {
        let html = fs::read_to_string(out.join(file)).unwrap();
        for attr in ["href=\"/", "src=\"/"] {
            for (i, _) in html.match_indices(attr) {
                let start = i + attr.len() - 1;
                let end = start + html[start..].find('"').unwrap();
                let url = &html[start..end];
                let path = url.split(['#', '?']).next().unwrap();
                let target = out.join(path.trim_start_matches('/'));
                let exists = if path.ends_with('/') {
                    target.join("index.html").is_file()
                } else {
                    target.is_file()
                };
                if !exists {
                    broken.push(format!("{file}: {url}"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
