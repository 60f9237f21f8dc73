//! Slugs made from titles and file names ([`knead::slug`]): lowercase ASCII words joined by
//! hyphens, never path syntax, never a name Windows reserves.

use knead::slug::{MAX_SLUG_LEN, is_reserved, slugify};

#[test]
fn lowercases_and_hyphenates() {
    assert_eq!(
        slugify("Back and Neck Massage for Muscle Recovery"),
        "back-and-neck-massage-for-muscle-recovery"
    );
    assert_eq!(slugify("  Deep   Tissue!! "), "deep-tissue");
}

#[test]
fn transliterates_accents() {
    assert_eq!(slugify("Café"), "cafe");
    assert_eq!(slugify("Müller’s Straße"), "mullers-strasse");
}

#[test]
fn drops_emoji_and_punctuation() {
    assert_eq!(slugify("Relax 😌 & Recover!"), "relax-recover");
    assert_eq!(slugify("😌🎉"), "");
    assert_eq!(slugify("Don't stop"), "dont-stop");
}

#[test]
fn never_produces_path_syntax() {
    for input in [
        "../../etc/passwd",
        "a/b\\c",
        "..",
        ".",
        "C:\\x",
        "a\0b",
        "%2e%2e",
    ] {
        let slug = slugify(input);
        assert!(
            slug.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{input:?} gave {slug:?}"
        );
        assert!(!slug.starts_with('-') && !slug.ends_with('-'));
    }
}

#[test]
fn windows_device_names_are_reserved() {
    for name in ["con", "CON", "nul", "aux", "prn", "com1", "lpt9", "com0"] {
        assert!(is_reserved(name), "{name}");
    }
    for name in ["cons", "com", "com10", "lpt", "console", "nul-1", ""] {
        assert!(!is_reserved(name), "{name}");
    }
}

#[test]
fn long_titles_are_cut_at_a_word() {
    let slug = slugify(&"massage ".repeat(100));
    assert!(slug.len() <= MAX_SLUG_LEN);
    assert!(slug.ends_with("massage"));
}
