//! The whole parse stage on one file: any bytes under any name give a page, a section or an
//! error that prints, never a panic; and a page's address stays inside the site.
#![no_main]

use knead::content::parse_one;
use knead::source::ContentFile;
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "post.md",
    "_index.md",
    "blog/post.md",
    "blog/_index.md",
    "blog/bundle/index.md",
    "index.md",
    "Ünïcödé/Ça va.md",
    "..md",
    "con.md",
];

fuzz_target!(|data: &[u8]| {
    let (name, bytes) = match data.split_first() {
        Some((first, rest)) => (NAMES[usize::from(*first) % NAMES.len()], rest),
        None => (NAMES[0], data),
    };
    let file = ContentFile {
        rel: name.to_owned(),
        bytes: bytes.to_vec(),
    };
    match parse_one(&file) {
        Ok(parsed) => {
            for page in &parsed.pages {
                assert!(!page.title.trim().is_empty());
                assert!(page.path.ends_with('/'), "{}", page.path);
                for segment in page.path.trim_end_matches('/').split('/') {
                    assert!(
                        !segment.is_empty()
                            && segment
                                .bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                        "{}",
                        page.path
                    );
                }
            }
        }
        Err(diagnostic) => {
            let _ = diagnostic.to_string();
        }
    }
});
