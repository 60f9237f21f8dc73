//! A slug is always one safe path segment, whatever the text.
#![no_main]

use knead::slug::{MAX_SLUG_LEN, slugify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let slug = slugify(&text);
    assert!(slug.len() <= MAX_SLUG_LEN, "{slug:?}");
    assert!(
        slug.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
        "{slug:?}"
    );
    assert!(!slug.starts_with('-') && !slug.ends_with('-'), "{slug:?}");
    assert!(!slug.contains("--"), "{slug:?}");
    assert_eq!(slugify(&slug), slug, "a slug is its own slug");
});
