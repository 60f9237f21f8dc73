//! The whole pipeline, but writing, on a small random site: the bytes are cut into a few files
//! (`site.toml` and Markdown files under names that make sections, bundles and posts), then
//! every stage runs (`knead::build_outputs`). Any input gives outputs or errors that print,
//! never a panic; every output path stays inside the site.
#![no_main]

use knead::source::{ContentFile, Sources};
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "_index.md",
    "about.md",
    "blog/_index.md",
    "blog/a.md",
    "blog/b.md",
    "blog/bundle/index.md",
    "services/_index.md",
    "services/massage.md",
];

const CONFIG: &str = "title = \"Fuzz Clinic\"\nbase_url = \"https://fuzz.example\"\n";

fuzz_target!(|data: &[u8]| {
    // Files are cut at 0xFF bytes, which UTF-8 never holds; each file's first byte picks its
    // name. The first piece, when it starts with `#`, is site.toml.
    let mut pieces = data.split(|&b| b == 0xFF);
    let mut config = CONFIG.to_owned();
    let mut content = Vec::new();
    if let Some(first) = pieces.next() {
        match first.split_first() {
            Some((b'#', rest)) => config = String::from_utf8_lossy(rest).into_owned(),
            Some((pick, rest)) => content.push((*pick, rest)),
            None => {}
        }
    }
    for piece in pieces.take(12) {
        if let Some((pick, rest)) = piece.split_first() {
            content.push((*pick, rest));
        }
    }
    let mut files: Vec<ContentFile> = Vec::new();
    for (pick, bytes) in content {
        let rel = NAMES[usize::from(pick) % NAMES.len()].to_owned();
        if files.iter().all(|f| f.rel != rel) {
            files.push(ContentFile {
                rel,
                bytes: bytes.to_vec(),
            });
        }
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    let sources = Sources {
        config_text: config,
        content: files,
        ..Sources::default()
    };
    let options = knead::BuildOptions {
        now: Some("2026-01-01T00:00:00Z".parse().unwrap()),
        ..knead::BuildOptions::new("fuzz-site")
    };
    match knead::build_outputs(&sources, &options) {
        Ok((outputs, warnings)) => {
            for warning in &warnings.0 {
                let _ = warning.to_string();
            }
            for path in outputs.0.keys() {
                assert!(
                    !path.starts_with('/') && path.split('/').all(|s| !s.is_empty() && s != ".." && s != "."),
                    "{path}"
                );
            }
        }
        Err(errors) => {
            for error in &errors.0 {
                let _ = error.to_string();
            }
        }
    }
});
