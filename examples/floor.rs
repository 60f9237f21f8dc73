//! The floor of the build benchmark: the least work any generator must do for a corpus.
//!
//! ```text
//! cargo run --release --example floor -- CONTENT_DIR OUT_DIR
//! ```
//!
//! Reads every Markdown file under CONTENT_DIR, drops its front matter, renders it with
//! pulldown-cmark on all cores (rayon), and writes one HTML file per post into OUT_DIR. No
//! templates, lists, tags or feeds: knead's own build is compared against this.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(content), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: floor CONTENT_DIR OUT_DIR");
        std::process::exit(2);
    };
    let files: Vec<PathBuf> = walkdir::WalkDir::new(&content)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    let out = Path::new(&out);
    let written: usize = files
        .par_iter()
        .map(|path| {
            let Ok(text) = std::fs::read_to_string(path) else {
                return 0;
            };
            let body = strip_front_matter(&text);
            let mut html = String::with_capacity(body.len() * 3 / 2);
            let parser = pulldown_cmark::Parser::new_ext(body, pulldown_cmark::Options::all());
            pulldown_cmark::html::push_html(&mut html, parser);
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            let target = out.join(name.unwrap_or_default()).join("index.html");
            let written = target
                .parent()
                .map(std::fs::create_dir_all)
                .transpose()
                .and_then(|_| std::fs::write(&target, html));
            usize::from(written.is_ok())
        })
        .sum();
    println!("{written} files written");
}

fn strip_front_matter(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("+++\n") else {
        return text;
    };
    match rest.find("\n+++\n") {
        Some(end) => &rest[end + 5..],
        None => text,
    }
}
