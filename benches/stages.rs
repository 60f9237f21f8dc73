//! Micro-benchmarks of the hot stages: front matter, Markdown, template rendering.
//!
//! ```text
//! cargo bench --bench stages
//! ```
//!
//! The inputs are a realistic clinic post (the example site's seed article) and the example
//! site itself, so the numbers track what a real build spends per page.

use std::path::Path;

use knead::BuildOptions;
use knead::content::{SourceText, parse_one};
use knead::markdown::{Resolve, render};
use knead::source::ContentFile;

fn main() {
    divan::main();
}

fn seed_article() -> ContentFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("content/blog/back-and-neck-massage-for-muscle-recovery.md");
    ContentFile {
        rel: "blog/back-and-neck-massage-for-muscle-recovery.md".into(),
        bytes: std::fs::read(path).expect("the example site has the seed article"),
    }
}

/// Front matter split and deserialized, and the page's address decided.
#[divan::bench]
fn parse_page(bencher: divan::Bencher) {
    let file = seed_article();
    bencher.bench(|| parse_one(divan::black_box(&file)));
}

struct AllLinks;

impl Resolve for AllLinks {
    fn url_of(&self, content_path: &str) -> Option<String> {
        Some(format!("/{}/", content_path.trim_end_matches(".md")))
    }
}

/// A post's Markdown to HTML, with ids, toc, summary and word count.
#[divan::bench]
fn markdown(bencher: divan::Bencher) {
    let file = seed_article();
    let text = String::from_utf8(file.bytes).expect("UTF-8");
    let body_offset = text.find("\n+++\n").map_or(0, |i| i + 5);
    let source = SourceText {
        file: "content/blog/post.md".into(),
        text: text.into(),
        body_offset,
    };
    bencher.bench(|| render(divan::black_box(&source), &AllLinks));
}

/// Every output of the example site rendered through the built-in theme (no disk writes).
#[divan::bench(sample_count = 20)]
fn render_example_site(bencher: divan::Bencher) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = knead::source::read(root).expect("the example site reads");
    let options = BuildOptions::new(root);
    let prepared = knead::prepare(&sources, &options).expect("it builds");
    let (site, bodies) = (&prepared.site, &prepared.bodies);
    bencher.bench(|| {
        knead::render::render(
            divan::black_box(site),
            bodies,
            &prepared.assets,
            &prepared.templates,
        )
        .is_ok()
    });
}
