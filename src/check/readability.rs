//! Readability of posts: the Flesch-Kincaid grade against the site's target, and the longest
//! sentences and paragraphs, pointed at by line, since they are where a rewrite pays most.
//!
//! Flesch-Kincaid grade = 0.39 × (words ÷ sentences) + 11.8 × (syllables ÷ words) − 15.59,
//! over the post's paragraphs and list items (not headings, tables, code or image text).
//! Sentences end at `.`, `!`, `?` or `…` before a space or the end of a block, except after
//! common abbreviations (e.g., Dr.) and initials; each paragraph and list item ends one too.
//! Syllables are counted with the usual heuristic: a word of up to three letters has one;
//! otherwise a silent final `-e`, `-es` or `-ed` is dropped (but not `-le`, `-ted`, `-ded`), a
//! leading `y` is dropped, and each run of vowels (`a e i o u y`) is one syllable, at least one a
//! word. It is right for most words and close for the rest, which is what a grade needs.

use super::body::BlockKind;
#[cfg(test)]
use super::body::Prose;
use super::{Ctx, Findings, Rule, plural};

/// Posts shorter than this get no grade: a few sentences do not make a reliable one.
const MIN_WORDS_FOR_GRADE: usize = 100;

/// How many long sentences and paragraphs are shown per post.
const SHOWN: usize = 3;

/// Words that end with a period without ending a sentence, lowercase, without the period.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "vs", "dr", "mr", "mrs", "ms", "st", "no", "approx", "fig", "jr", "sr",
    "mt", "min", "sec", "hr", "hrs", "lb", "lbs", "oz", "ft", "in", "cm", "mm", "a.m", "p.m",
];

pub(crate) fn check(ctx: &Ctx<'_>, findings: &mut Findings) {
    let settings = ctx.settings;
    for (_, doc) in ctx.posts() {
        let mut words = 0usize;
        let mut syllable_count = 0usize;
        let mut sentence_count = 0usize;
        let mut sentences: Vec<(usize, usize)> = Vec::new();
        let mut paragraphs: Vec<(usize, usize)> = Vec::new();
        for block in doc
            .body
            .blocks
            .iter()
            .filter(|b| matches!(b.kind, BlockKind::Paragraph | BlockKind::Item))
        {
            let mut block_words = 0;
            for (start, end) in split_sentences(&block.text) {
                let sentence: Vec<&str> = words_of(&block.text[start..end]).collect();
                if sentence.is_empty() {
                    continue;
                }
                sentence_count += 1;
                words += sentence.len();
                block_words += sentence.len();
                syllable_count += sentence.iter().map(|w| syllables(w)).sum::<usize>();
                sentences.push((sentence.len(), block.offset(start)));
            }
            if block.kind == BlockKind::Paragraph {
                paragraphs.push((block_words, block.offset(0)));
            }
        }
        if words >= MIN_WORDS_FOR_GRADE && sentence_count > 0 {
            let per_sentence = words as f64 / sentence_count as f64;
            let per_word = syllable_count as f64 / words as f64;
            let grade = 0.39 * per_sentence + 11.8 * per_word - 15.59;
            if grade > settings.reading_grade {
                findings.at_key(
                    Rule::ReadingGrade,
                    doc.source,
                    "title",
                    format!(
                        "reading grade {grade:.1} (Flesch-Kincaid) is above the target of {}",
                        settings.reading_grade
                    ),
                    format!(
                        "shorter sentences (these average {per_sentence:.1} words) and plainer \
                         words (these average {per_word:.2} syllables) bring it down"
                    ),
                );
            }
        }
        longest(&mut sentences, settings.long_sentence, |(n, offset)| {
            findings.at(
                Rule::LongSentence,
                doc.source,
                offset,
                format!(
                    "a sentence of {}, over {}",
                    plural(n, "word", "words"),
                    settings.long_sentence
                ),
                "split it in two where the idea turns (at “and”, “but”, “which”)",
            );
        });
        longest(&mut paragraphs, settings.long_paragraph, |(n, offset)| {
            findings.at(
                Rule::LongParagraph,
                doc.source,
                offset,
                format!(
                    "a paragraph of {}, over {}",
                    plural(n, "word", "words"),
                    settings.long_paragraph
                ),
                "break it up: one idea per paragraph reads better on a phone",
            );
        });
    }
}

/// Calls `report` for the longest few items over `limit` words (longest first).
fn longest(items: &mut [(usize, usize)], limit: usize, mut report: impl FnMut((usize, usize))) {
    items.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &item in items.iter().filter(|(n, _)| *n > limit).take(SHOWN) {
        report(item);
    }
}

/// The words of `text`: runs without spaces that hold a letter or digit.
fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
}

/// The byte ranges of the sentences of a block's `text`.
pub(crate) fn split_sentences(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut sentences = Vec::new();
    let mut start = 0;
    for (k, &(i, c)) in chars.iter().enumerate() {
        if i < start || !matches!(c, '.' | '!' | '?' | '…') {
            continue;
        }
        let mut j = k + 1;
        while j < chars.len() && matches!(chars[j].1, '"' | '\'' | '”' | '’' | ')' | ']') {
            j += 1;
        }
        let end = match chars.get(j) {
            None => text.len(),
            Some(&(at, ' ')) => at,
            Some(_) => continue,
        };
        if c == '.' && is_abbreviation(&text[start..i]) {
            continue;
        }
        sentences.push((start, end));
        start = end + 1;
    }
    if start < text.len() && words_of(&text[start..]).next().is_some() {
        sentences.push((start, text.len()));
    }
    sentences
}

/// Whether the word just before a period (the end of `before`) is an abbreviation or initial.
fn is_abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    (word.chars().count() == 1 && word.chars().all(char::is_alphabetic))
        || ABBREVIATIONS.contains(&word.as_str())
}

/// The syllables of `word`, by the heuristic described at the top of this module.
pub(crate) fn syllables(word: &str) -> usize {
    let letters: String = deunicode::deunicode(word)
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if letters.len() <= 3 {
        return 1;
    }
    let is_vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
    let bytes = letters.as_bytes();
    let n = bytes.len();
    let silent = |c: u8| !(is_vowel(c) || c == b'l');
    let past_tense = letters.ends_with("ed") && !letters.ends_with("ted");
    let past_tense = past_tense && !letters.ends_with("ded");
    let cut = if past_tense || (letters.ends_with("es") && silent(bytes[n - 3])) {
        2
    } else if letters.ends_with('e') && silent(bytes[n - 2]) {
        1
    } else {
        0
    };
    let mut stem = &bytes[..n - cut];
    if stem.first() == Some(&b'y') {
        stem = &stem[1..];
    }
    let mut count = 0;
    let mut in_vowels = false;
    for &c in stem {
        let vowel = is_vowel(c);
        if vowel && !in_vowels {
            count += 1;
        }
        in_vowels = vowel;
    }
    count.max(1)
}

/// The prose blocks a grade is computed from, for tests.
#[cfg(test)]
fn grade_of(blocks: &[Prose]) -> f64 {
    let (mut words, mut sentences, mut syl) = (0usize, 0usize, 0usize);
    for block in blocks {
        for (s, e) in split_sentences(&block.text) {
            let w: Vec<&str> = words_of(&block.text[s..e]).collect();
            if !w.is_empty() {
                sentences += 1;
                words += w.len();
                syl += w.iter().map(|w| syllables(w)).sum::<usize>();
            }
        }
    }
    0.39 * words as f64 / sentences as f64 + 11.8 * syl as f64 / words as f64 - 15.59
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_syllables_of_common_words() {
        for (word, expected) in [
            ("the", 1),
            ("massage", 2),
            ("make", 1),
            ("table", 2),
            ("muscles", 2),
            ("removed", 2),
            ("wanted", 2),
            ("therapy", 3),
            ("recovery", 4),
            ("beautiful", 3),
            ("toxins", 2),
            ("circulation", 4),
            ("yoga", 2),
            ("2026", 1),
        ] {
            assert_eq!(syllables(word), expected, "{word}");
        }
    }

    #[test]
    fn splits_sentences_but_not_abbreviations_or_decimals() {
        let text = "Dr. Smith sees you at 3.5 p.m. today. Is that fine? Yes! “Good.” Done";
        let parts: Vec<&str> = split_sentences(text)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect();
        assert_eq!(
            parts,
            [
                "Dr. Smith sees you at 3.5 p.m. today.",
                "Is that fine?",
                "Yes!",
                "“Good.”",
                "Done"
            ]
        );
    }

    #[test]
    fn grade_rises_with_long_words_and_sentences() {
        let prose = |text: &str| {
            let source = crate::content::SourceText {
                file: "a.md".into(),
                text: text.into(),
                body_offset: 0,
            };
            super::super::body::walk(&source).blocks
        };
        let easy = grade_of(&prose("The cat sat on the mat. It was warm. We like it."));
        let hard = grade_of(&prose(
            "Therapeutic musculoskeletal interventions demonstrably facilitate physiological \
             recuperation, considerably ameliorating inflammatory discomfort associated with \
             occupational immobility.",
        ));
        assert!(easy < 3.0, "{easy}");
        assert!(hard > 16.0, "{hard}");
    }
}
