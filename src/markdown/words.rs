//! Counting a page's words (for reading time and `knead check`'s thin-post rule), quickly.
//!
//! [`plain`] is the definition: the runs between white space that hold a letter or a digit. It
//! ran over every page's whole text and was a tenth of a build's instructions, so
//! [`count_words`] gives the same count about five times quicker; the tests below hold the two
//! together on any text.

/// The words of `text`, the plain way: the definition that [`count_words`] must match.
#[cfg(test)]
fn plain(text: &str) -> usize {
    text.split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .count()
}

/// The words of `text`: runs of characters between white space that hold a letter or a digit
/// (so "—" and "·" are not words). The same count as `split_whitespace` and a filter.
///
/// It runs over every page's whole text, so it looks at 64 bytes at a time: a word ends at
/// each white space whose nearest preceding letter, digit or white space is a letter or digit
/// (other characters, like punctuation, are looked through), eight bytes to a word for the
/// classes. Blocks with characters beyond ASCII take the slow path, one character at a time.
pub(super) fn count_words(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut count = 0;
    // Whether the last letter, digit or white space seen was a letter or digit.
    let mut in_word = false;
    let mut i = 0;
    while i < bytes.len() {
        let block = &bytes[i..bytes.len().min(i + 64)];
        if block.len() == 64 && block.is_ascii() {
            let (mut space, mut alnum) = (0u64, 0u64);
            for (k, chunk) in block.chunks_exact(8).enumerate() {
                let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
                let white = in_range(word, b'\t', b'\r') | in_range(word, b' ', b' ');
                let letters = in_range(word, b'0', b'9')
                    | in_range(word, b'A', b'Z')
                    | in_range(word, b'a', b'z');
                space |= high_bits(white) << (8 * k);
                alnum |= high_bits(letters) << (8 * k);
            }
            let other = !(space | alnum);
            // Runs of other characters take the state before them: fill those that follow a
            // letter or digit (or start the block while in a word). Adding a run's first bit
            // to the run carries through it, clearing exactly its bits.
            let starts = ((alnum << 1) | u64::from(in_word)) & other;
            let (sum, _) = other.overflowing_add(starts);
            let wordy = alnum | (other & !sum);
            count += (space & ((wordy << 1) | u64::from(in_word))).count_ones() as usize;
            in_word = wordy >> 63 == 1;
            i += 64;
        } else {
            // This block one character at a time (the last may run past its end).
            let end = i + block.len();
            while i < end {
                let c = text[i..].chars().next().unwrap_or(' ');
                i += c.len_utf8();
                if c.is_whitespace() {
                    count += usize::from(in_word);
                    in_word = false;
                } else if c.is_alphanumeric() {
                    in_word = true;
                }
            }
        }
    }
    count + usize::from(in_word)
}

/// For eight ASCII bytes in a word: the high bit of each byte set when the byte is in
/// `lo..=hi`.
fn in_range(word: u64, lo: u8, hi: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Every byte is below 0x80, so neither sum carries into the next byte: a high bit set
    // tells `byte >= lo`, then `byte > hi`.
    let at_least_lo = word + ONES * u64::from(0x80 - lo);
    let above_hi = word + ONES * u64::from(0x7F - hi);
    at_least_lo & !above_hi & HIGH
}

/// The high bits of a word's eight bytes, as eight bits (byte 0 in bit 0): the multiplier
/// moves byte k's bit to bit 56 + k, and no two products meet there.
fn high_bits(mask: u64) -> u64 {
    ((mask >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_counted_as_split_whitespace_would() {
        for text in [
            "",
            " ",
            "one",
            "  two words  ",
            "tabs\tand\nnew\r\nlines\x0Band\x0Cfeeds",
            "a — b · c",
            "naïve café, 東京 massage",
            "non\u{a0}breaking\u{2003}em\u{3000}ideographic spaces",
            "— · … !!",
            "end-of-text",
            "ünïcödé",
        ] {
            assert_eq!(count_words(text), plain(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_has_as_many_words_as_split_whitespace_finds(text in proptest::prelude::any::<String>()) {
            proptest::prop_assert_eq!(count_words(&text), plain(&text));
        }

        /// Mostly ASCII and long, so whole 64-byte blocks take the quick path, with runs of
        /// punctuation across block edges and a few characters beyond ASCII.
        #[test]
        fn prose_has_as_many_words_as_split_whitespace_finds(
            text in "[a-zA-Z0-9 ,.*\t\n\r\x0B\x0C-]{0,300}([é—·\u{a0}\u{2003}][a-z ,.-]{0,200}){0,3}"
        ) {
            proptest::prop_assert_eq!(count_words(&text), plain(&text));
        }
    }
}
