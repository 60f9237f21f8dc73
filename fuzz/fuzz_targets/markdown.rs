//! The Markdown stage on any body: no panic, and a heading id is never used twice.
#![no_main]

use knead::content::SourceText;
use knead::markdown::{Resolve, render};
use libfuzzer_sys::fuzz_target;

/// Pretends that every `@/` link whose path starts with `a` exists.
struct Links;

impl Resolve for Links {
    fn url_of(&self, content_path: &str) -> Option<String> {
        content_path
            .starts_with('a')
            .then(|| format!("/{}/", content_path.trim_end_matches(".md")))
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = SourceText {
        file: "content/fuzz.md".into(),
        text: text.into(),
        body_offset: 0,
    };
    let (rendered, diagnostics) = render(&source, &Links);
    let mut ids = rendered.ids.clone();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), rendered.ids.len(), "{:?}", rendered.ids);
    for diagnostic in diagnostics {
        let _ = diagnostic.to_string();
    }
});
