//! Splitting front matter from the body, parsing dates, and turning offsets into line:col, on
//! any text: no panic, and the pieces are where the split says they are.
#![no_main]

use knead::error::{line_col, offset_of};
use knead::front_matter::{PageDate, split};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(parts) = split(text) {
        assert_eq!(&text[parts.body_offset..], parts.body);
        let fm_end = parts.front_matter_offset + parts.front_matter.len();
        assert_eq!(&text[parts.front_matter_offset..fm_end], parts.front_matter);
        assert!(fm_end <= parts.body_offset);
    }
    let _ = PageDate::parse(text);
    for offset in [0, text.len() / 2, text.len(), text.len() + 1] {
        let (line, col) = line_col(text, offset);
        assert!(line >= 1 && col >= 1);
        let back = offset_of(text, line, col);
        assert!(back <= text.len());
    }
});
