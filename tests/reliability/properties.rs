//! Promise 6 (the part in `cargo test`): properties checked on random input with proptest.
//! The fuzzers in `fuzz/` check the same and more for longer; these run on every test run.
//!
//! - a slug is always one safe path segment;
//! - byte offset → line:col → byte offset round-trips;
//! - writing the same outputs twice is idempotent, and a write leaves exactly its outputs;
//! - front matter splitting puts the pieces where it says, and parsing any file never panics.

use std::collections::BTreeMap;
use std::path::Path;

use knead::error::{line_col, offset_of};
use knead::output::{MARKER, WriteReport, write};
use knead::render::{Output, Outputs};
use knead::slug::{MAX_SLUG_LEN, slugify};
use proptest::prelude::*;

use crate::support::snapshot_dir;

/// Text that looks like what staff and hostile files hold: letters of many scripts, digits,
/// punctuation, path syntax, control characters and emoji.
fn messy_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("../".to_owned()),
            Just("\\".to_owned()),
            Just("\0".to_owned()),
            Just("--".to_owned()),
            Just(" ".to_owned()),
            Just("Café".to_owned()),
            Just("’".to_owned()),
            Just("😌".to_owned()),
            Just("\u{202e}".to_owned()),
            Just("ǅ".to_owned()),
            Just("ß".to_owned()),
            "[a-zA-Z0-9]{1,12}",
            any::<char>().prop_map(String::from),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn a_slug_is_one_safe_path_segment(text in messy_text()) {
        let slug = slugify(&text);
        prop_assert!(slug.len() <= MAX_SLUG_LEN, "{slug:?}");
        prop_assert!(
            slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{slug:?}"
        );
        prop_assert!(!slug.starts_with('-') && !slug.ends_with('-'), "{slug:?}");
        prop_assert!(!slug.contains("--"), "{slug:?}");
        prop_assert!(slug != "." && slug != "..");
        prop_assert_eq!(slugify(&slug), slug.clone(), "a slug is its own slug");
    }

    #[test]
    fn any_string_gives_a_safe_slug(text in any::<String>()) {
        let slug = slugify(&text);
        prop_assert!(slug.len() <= MAX_SLUG_LEN);
        prop_assert!(slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        prop_assert!(!slug.starts_with('-') && !slug.ends_with('-') && !slug.contains("--"));
    }

    #[test]
    fn offset_to_line_col_round_trips(
        text in prop::collection::vec(
            prop_oneof![Just('\n'), Just('\r'), Just('é'), Just('😌'), Just('\t'), any::<char>()],
            0..200,
        ).prop_map(String::from_iter),
        pick in any::<prop::sample::Index>(),
    ) {
        let boundaries: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        let offset = boundaries[pick.index(boundaries.len())];
        let (line, col) = line_col(&text, offset);
        prop_assert!(line >= 1 && col >= 1);
        prop_assert_eq!(offset_of(&text, line, col), offset, "{:?} at {}", text, offset);
        prop_assert_eq!(line, text[..offset].matches('\n').count() + 1);
    }

    #[test]
    fn an_offset_inside_a_character_or_past_the_end_is_clamped(
        text in "\\PC{0,50}",
        offset in 0usize..400,
    ) {
        let (line, col) = line_col(&text, offset);
        prop_assert!(offset_of(&text, line, col) <= text.len());
    }

    #[test]
    fn front_matter_split_puts_the_pieces_where_it_says(
        front in "[a-z =\"\n+-]{0,60}",
        body in "\\PC{0,60}",
        delimiter in prop_oneof![Just("+++"), Just("---"), Just("")],
    ) {
        let text = if delimiter.is_empty() {
            format!("{front}{body}")
        } else {
            format!("{delimiter}\n{front}\n{delimiter}\n{body}")
        };
        if let Ok(parts) = knead::front_matter::split(&text) {
            prop_assert_eq!(&text[parts.body_offset..], parts.body);
            let end = parts.front_matter_offset + parts.front_matter.len();
            prop_assert_eq!(&text[parts.front_matter_offset..end], parts.front_matter);
            prop_assert!(end <= parts.body_offset);
        }
    }

    #[test]
    fn parsing_any_file_never_panics(
        name in prop_oneof![Just("a.md"), Just("_index.md"), Just("blog/x/index.md"), Just("con.md")],
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        front in "(title|date|slug|tags|draft|aliases|extra) ?[=:] ?[\\[\\]\"'0-9a-z:T+-]{0,20}\n",
    ) {
        let mut file = b"+++\n".to_vec();
        file.extend(front.as_bytes());
        file.extend(b"+++\n");
        file.extend(&bytes);
        for bytes in [file, bytes] {
            let parsed = knead::content::parse_one(&knead::source::ContentFile {
                rel: name.to_owned(),
                bytes,
            });
            match parsed {
                Ok(parsed) => {
                    for page in parsed.pages {
                        prop_assert!(!page.path.contains(".."), "{}", page.path);
                    }
                }
                Err(diagnostic) => {
                    prop_assert!(!diagnostic.to_string().is_empty());
                }
            }
        }
    }
}

/// Output paths: one to three segments of slug-like names, some with extensions.
fn outputs() -> impl Strategy<Value = BTreeMap<String, Vec<u8>>> {
    let segment = "[a-z0-9][a-z0-9-]{0,8}";
    let path = prop::collection::vec(segment, 1..4).prop_flat_map(|segments| {
        prop_oneof![Just(".html"), Just(".xml"), Just("")].prop_map(move |ext| {
            let mut path = segments.join("/");
            path.push_str(ext);
            path
        })
    });
    prop::collection::btree_map(path, prop::collection::vec(any::<u8>(), 0..64), 1..12)
}

/// Drops paths that are also a folder of another path (`a` and `a/b`): the site stage reports
/// those as collisions, so the writer never sees them.
fn without_file_folder_clashes(files: BTreeMap<String, Vec<u8>>) -> Outputs {
    let paths: Vec<String> = files.keys().cloned().collect();
    Outputs(
        files
            .into_iter()
            .filter(|(path, _)| {
                !paths
                    .iter()
                    .any(|other| other.starts_with(&format!("{path}/")))
            })
            .map(|(path, bytes)| (path, Output::Bytes(bytes.into())))
            .collect(),
    )
}

/// The tree `dir` holds, without the marker, as path → bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = snapshot_dir(dir);
    files.remove(MARKER);
    files
}

fn expected(outputs: &Outputs) -> BTreeMap<String, Vec<u8>> {
    outputs
        .0
        .iter()
        .map(|(path, output)| match output {
            Output::Bytes(bytes) => (path.clone(), bytes.to_vec()),
            other => panic!("only bytes are generated, not {other:?}"),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn writing_twice_is_idempotent(files in outputs()) {
        let outputs = without_file_folder_clashes(files);
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let first = write(&outputs, &out).unwrap();
        prop_assert_eq!(first.written, outputs.0.len());
        let once = tree(&out);
        prop_assert_eq!(&once, &expected(&outputs));
        let second = write(&outputs, &out).unwrap();
        prop_assert_eq!(
            second,
            WriteReport { written: 0, unchanged: outputs.0.len(), removed: 0, ..Default::default() }
        );
        prop_assert_eq!(tree(&out), once);
    }

    /// Whatever was there before, a write leaves exactly its outputs (and the marker).
    #[test]
    fn a_write_leaves_exactly_its_outputs(before in outputs(), after in outputs()) {
        let (before, after) = (without_file_folder_clashes(before), without_file_folder_clashes(after));
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&before, &out).unwrap();
        // The second set may need a folder where the first has a file, and the reverse.
        let report = write(&after, &out).unwrap();
        prop_assert_eq!(tree(&out), expected(&after));
        prop_assert_eq!(report.written + report.unchanged, after.0.len());
        prop_assert!(out.join(MARKER).is_file());
    }
}
