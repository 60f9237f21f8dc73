//! The plain-text converter behind `knead new --from`: staff write articles in a word processor
//! or an email, not in Markdown, and pasting that text as it is would lose its headings and lists.
//!
//! [`text_to_markdown`] keeps the words exactly and adds only structure: it guesses the title,
//! the `##` and `###` headings and a description, keeps lists, and escapes what Markdown would
//! misread. Every guess is reported so that staff can check it. It is text in, text out: reading
//! the file and writing the post stay with the command.

/// Descriptions are cut to fewer characters than this, which is what search results show.
pub const DESCRIPTION_LIMIT: usize = 160;

/// A plain-text article turned into Markdown, with what was guessed on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Converted {
    /// The article's body as Markdown, without the title line.
    pub markdown: String,
    /// What was guessed, one sentence each, for staff to check.
    pub guesses: Vec<String>,
    /// The first line, when it looks like a title (short, no final period).
    pub title: Option<String>,
    /// A description made from the first paragraph, under [`DESCRIPTION_LIMIT`] characters.
    pub description: Option<String>,
}

/// Turns a plain-text article into Markdown.
///
/// The text is kept exactly; only structure is added. Short title-case lines without a final
/// period ("Wrapping It Up") become `##` headings. A lone list line followed by a paragraph
/// ("- Enhanced Blood Circulation", "1. Shortens Recovery Time") is the lead-in of that paragraph
/// and becomes a `###` heading, keeping its number. Other list lines stay lists; every other line
/// is a paragraph. When the text separates paragraphs with empty lines, lines in between are
/// one paragraph, as written.
pub fn text_to_markdown(text: &str) -> Converted {
    let lines: Vec<Line<'_>> = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .lines()
        .map(Line::parse)
        .collect();
    let wrapped = has_empty_line_between_text(&lines);
    let mut start = 0;
    let title = first_content(&lines, 0).and_then(|i| match lines[i] {
        Line::Text(first)
            if looks_like_title(first)
                && first_content(&lines, i + 1).is_some()
                && (!wrapped || is_blank(&lines, i + 1) || is_title_case(first)) =>
        {
            start = i + 1;
            Some(first.to_owned())
        }
        _ => None,
    });
    let blocks = blocks(&lines, start, wrapped);
    let description = blocks.iter().find_map(|block| match block {
        Block::Paragraph(lines) => Some(describe(&lines.join(" "))),
        _ => None,
    });
    let mut guesses = heading_guesses(&blocks);
    if let Some((_, how)) = &description {
        guesses.push(format!("description: {how}"));
    }
    let markdown = blocks
        .iter()
        .map(Block::to_markdown)
        .collect::<Vec<_>>()
        .join("\n\n");
    Converted {
        markdown: if markdown.is_empty() {
            markdown
        } else {
            markdown + "\n"
        },
        guesses,
        title,
        description: description.map(|(text, _)| text),
    }
}

/// One line of the plain text, trimmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line<'a> {
    Blank,
    /// A list line: its marker as Markdown writes it (`-`, `1.`) and its text.
    Item {
        marker: &'a str,
        text: &'a str,
        numbered: bool,
    },
    Text(&'a str),
}

impl<'a> Line<'a> {
    fn parse(line: &'a str) -> Self {
        let line = line.trim();
        if line.is_empty() {
            return Line::Blank;
        }
        for bullet in ['-', '*', '+', '•', '–', '·'] {
            if let Some(rest) = line.strip_prefix(bullet)
                && rest.starts_with(char::is_whitespace)
                && !rest.trim().is_empty()
            {
                return Line::Item {
                    marker: "-",
                    text: rest.trim(),
                    numbered: false,
                };
            }
        }
        let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if (1..=3).contains(&digits) {
            let rest = &line[digits..];
            if let Some(after) = rest.strip_prefix(['.', ')'])
                && after.starts_with(char::is_whitespace)
                && !after.trim().is_empty()
            {
                return Line::Item {
                    marker: &line[..=digits],
                    text: after.trim(),
                    numbered: true,
                };
            }
        }
        Line::Text(line)
    }
}

/// A piece of the Markdown output.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Block<'a> {
    /// `##` (2) or `###` (3), with the heading's text.
    Heading(u8, String),
    Paragraph(Vec<&'a str>),
    List(Vec<String>),
}

impl Block<'_> {
    fn to_markdown(&self) -> String {
        match self {
            Block::Heading(level, text) => format!("{} {text}", "#".repeat(usize::from(*level))),
            Block::Paragraph(lines) => lines
                .iter()
                .map(|line| escape_line_start(line))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::List(items) => items.join("\n"),
        }
    }
}

fn blocks<'a>(lines: &[Line<'a>], start: usize, wrapped: bool) -> Vec<Block<'a>> {
    let mut blocks: Vec<Block<'a>> = Vec::new();
    for i in start..lines.len() {
        let previous = i.checked_sub(1).map(|p| lines[p]);
        match lines[i] {
            Line::Blank => {}
            Line::Text(text) if is_section_heading(lines, i, wrapped) => {
                blocks.push(Block::Heading(2, text.to_owned()));
            }
            Line::Text(text) => match blocks.last_mut() {
                Some(Block::Paragraph(paragraph))
                    if wrapped && matches!(previous, Some(Line::Text(_))) =>
                {
                    paragraph.push(text);
                }
                _ => blocks.push(Block::Paragraph(vec![text])),
            },
            Line::Item {
                marker,
                text,
                numbered,
            } => {
                if is_lead_in(lines, i, wrapped) {
                    let heading = if numbered {
                        format!("{marker} {text}")
                    } else {
                        text.to_owned()
                    };
                    blocks.push(Block::Heading(3, heading));
                    continue;
                }
                let item = format!("{marker} {text}");
                match blocks.last_mut() {
                    Some(Block::List(items)) if matches!(previous, Some(Line::Item { .. })) => {
                        items.push(item);
                    }
                    _ => blocks.push(Block::List(vec![item])),
                }
            }
        }
    }
    blocks
}

/// A short title-case line with text after it; in text that separates paragraphs with empty
/// lines, it must also start a block, so a short last line of a paragraph stays in it.
fn is_section_heading(lines: &[Line<'_>], i: usize, wrapped: bool) -> bool {
    let Line::Text(text) = lines[i] else {
        return false;
    };
    is_title_case(text)
        && first_content(lines, i + 1).is_some()
        && (!wrapped || i == 0 || lines[i - 1] == Line::Blank)
}

/// A list line alone (not in a run of list lines), followed by a paragraph.
fn is_lead_in(lines: &[Line<'_>], i: usize, wrapped: bool) -> bool {
    let Line::Item { text, .. } = lines[i] else {
        return false;
    };
    let previous_is_item =
        last_content(lines, i).is_some_and(|p| matches!(lines[p], Line::Item { .. }));
    let followed_by_paragraph = first_content(lines, i + 1).is_some_and(|n| {
        matches!(lines[n], Line::Text(_)) && !is_section_heading(lines, n, wrapped)
    });
    text.chars().count() <= 100
        && !text.ends_with(['.', ',', ';', ':'])
        && !previous_is_item
        && followed_by_paragraph
}

fn first_content(lines: &[Line<'_>], from: usize) -> Option<usize> {
    (from..lines.len()).find(|&i| lines[i] != Line::Blank)
}

fn last_content(lines: &[Line<'_>], before: usize) -> Option<usize> {
    (0..before).rev().find(|&i| lines[i] != Line::Blank)
}

fn is_blank(lines: &[Line<'_>], i: usize) -> bool {
    lines.get(i).is_none_or(|line| *line == Line::Blank)
}

/// Whether the text separates paragraphs with empty lines (so a line break inside a block is
/// only a wrapped line).
fn has_empty_line_between_text(lines: &[Line<'_>]) -> bool {
    let Some(first) = first_content(lines, 0) else {
        return false;
    };
    let Some(last) = last_content(lines, lines.len()) else {
        return false;
    };
    lines[first..last].contains(&Line::Blank)
}

/// A title: a line of at most 120 characters with a letter or digit and no final period.
fn looks_like_title(line: &str) -> bool {
    line.chars().count() <= 120
        && line.chars().any(char::is_alphanumeric)
        && !line.ends_with(['.', ',', ';', ':'])
}

/// Words that title case leaves in lower case.
const SMALL_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "but", "by", "for", "from", "in", "into", "is", "it",
    "nor", "of", "on", "or", "over", "per", "so", "than", "the", "to", "up", "via", "vs", "with",
    "yet",
];

/// A short line without final punctuation whose first word and most other words are capitalised:
/// "Role of Neck Pain Massage in Muscle Healing".
fn is_title_case(line: &str) -> bool {
    let length = line.chars().count();
    if !(2..=80).contains(&length) || line.ends_with(['.', ',', ';', ':', '!']) {
        return false;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.len() > 12 {
        return false;
    }
    let mut first = true;
    let (mut significant, mut capitalised) = (0, 0);
    for word in words {
        let Some(initial) = word.chars().find(|c| c.is_alphabetic()) else {
            continue;
        };
        let bare = word
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        if first {
            if !initial.is_uppercase() {
                return false;
            }
            first = false;
        } else if SMALL_WORDS.contains(&bare.as_str()) {
            continue;
        }
        significant += 1;
        if initial.is_uppercase() {
            capitalised += 1;
        }
    }
    significant > 0 && capitalised * 3 >= significant * 2
}

/// Escapes a paragraph line's first character when Markdown would read it as a heading, a quote
/// or a code fence, so the text shows as written.
fn escape_line_start(line: &str) -> String {
    if line.starts_with(['#', '>']) || line.starts_with("```") || line.starts_with("~~~") {
        format!("\\{line}")
    } else {
        line.to_owned()
    }
}

/// The guesses about headings, naming each so staff can check them.
fn heading_guesses(blocks: &[Block<'_>]) -> Vec<String> {
    let headings = |level: u8| -> Vec<&str> {
        blocks
            .iter()
            .filter_map(|block| match block {
                Block::Heading(l, text) if *l == level => Some(text.as_str()),
                _ => None,
            })
            .collect()
    };
    let sections = headings(2);
    let items = headings(3);
    let mut guesses = Vec::new();
    let mut describe = |list: Vec<&str>, one: &str, many: &str| {
        if !list.is_empty() {
            let noun = if list.len() == 1 { one } else { many };
            guesses.push(format!(
                "guessed {} {noun}: {}",
                list.len(),
                list.join("; ")
            ));
        }
    };
    describe(sections, "section heading (##)", "section headings (##)");
    describe(items, "item heading (###)", "item headings (###)");
    if guesses.is_empty() {
        guesses.push("no headings guessed: every line is a paragraph or a list".to_owned());
    }
    let lists = blocks
        .iter()
        .filter(|block| matches!(block, Block::List(_)))
        .count();
    if lists > 0 {
        guesses.push(format!(
            "kept {lists} {} as {}",
            if lists == 1 { "list" } else { "lists" },
            if lists == 1 { "a list" } else { "lists" }
        ));
    }
    guesses
}

/// A description from a paragraph: whole when short enough, else its first sentences when they
/// fit, else cut at a word with an ellipsis. Returns it and how it was made.
fn describe(paragraph: &str) -> (String, String) {
    let text = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() < DESCRIPTION_LIMIT {
        return (text, "the first paragraph".to_owned());
    }
    let sentence_ends = text
        .char_indices()
        .filter(|&(i, c)| matches!(c, '.' | '?' | '!') && text[i + c.len_utf8()..].starts_with(' '))
        .map(|(i, c)| i + c.len_utf8());
    let fitting = sentence_ends
        .take_while(|&end| text[..end].chars().count() < DESCRIPTION_LIMIT)
        .last();
    if let Some(end) = fitting.filter(|&end| text[..end].chars().count() >= 50) {
        let sentences = text[..end].matches(['.', '?', '!']).count();
        let how = if sentences == 1 {
            "the first sentence of the first paragraph"
        } else {
            "the first sentences of the first paragraph"
        };
        return (text[..end].to_owned(), how.to_owned());
    }
    let mut cut = String::new();
    for word in text.split(' ') {
        let next = if cut.is_empty() {
            word.to_owned()
        } else {
            format!("{cut} {word}")
        };
        // Room for the ellipsis.
        if next.chars().count() + 1 >= DESCRIPTION_LIMIT {
            break;
        }
        cut = next;
    }
    let cut = cut.trim_end_matches([',', ';', ':', ' ']);
    (
        format!("{cut}…"),
        format!("the first paragraph, cut at a word to stay under {DESCRIPTION_LIMIT} characters"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_case_lines_become_section_headings() {
        let converted = text_to_markdown(
            "Intro paragraph that says things.\nWrapping It Up\nThe end of the story.\n",
        );
        assert_eq!(
            converted.markdown,
            "Intro paragraph that says things.\n\n## Wrapping It Up\n\nThe end of the story.\n"
        );
        assert_eq!(converted.title, None);
    }

    #[test]
    fn sentence_case_and_final_periods_stay_paragraphs() {
        let converted = text_to_markdown(
            "First line is long enough to be a sentence.\nWhy massage helps\nShort Title Case Line.\nMore.\n",
        );
        assert!(!converted.markdown.contains('#'), "{}", converted.markdown);
    }

    #[test]
    fn a_last_line_is_never_a_heading() {
        let converted = text_to_markdown("Some text here.\nCall Us Today\n");
        assert_eq!(converted.markdown, "Some text here.\n\nCall Us Today\n");
    }

    #[test]
    fn lone_list_lines_before_a_paragraph_become_item_headings() {
        let converted = text_to_markdown(
            "Intro.\n- Enhanced Blood Circulation\nBlood flows.\n1. Shortens Recovery Time\nFaster.\n",
        );
        assert_eq!(
            converted.markdown,
            "Intro.\n\n### Enhanced Blood Circulation\n\nBlood flows.\n\n### 1. Shortens Recovery Time\n\nFaster.\n"
        );
        assert!(
            converted
                .guesses
                .iter()
                .any(|g| g == "guessed 2 item headings (###): Enhanced Blood Circulation; 1. Shortens Recovery Time"),
            "{:?}",
            converted.guesses
        );
    }

    #[test]
    fn runs_of_list_lines_stay_a_list() {
        let converted = text_to_markdown("Bring:\n• Water\n• Comfortable clothes\nSee you soon.\n");
        assert_eq!(
            converted.markdown,
            "Bring:\n\n- Water\n- Comfortable clothes\n\nSee you soon.\n"
        );
        assert!(
            converted
                .guesses
                .iter()
                .any(|g| g == "kept 1 list as a list")
        );
    }

    #[test]
    fn a_short_first_line_is_the_title() {
        let converted = text_to_markdown("Neck Pain at Your Desk\nSitting all day hurts.\n");
        assert_eq!(converted.title.as_deref(), Some("Neck Pain at Your Desk"));
        assert_eq!(converted.markdown, "Sitting all day hurts.\n");
        assert_eq!(
            converted.description.as_deref(),
            Some("Sitting all day hurts.")
        );
    }

    #[test]
    fn a_long_first_line_is_not_a_title() {
        let converted = text_to_markdown("This is a whole sentence, not a title.\nMore text.\n");
        assert_eq!(converted.title, None);
        assert!(converted.markdown.starts_with("This is a whole sentence"));
    }

    #[test]
    fn wrapped_paragraphs_stay_together() {
        let text = "Desk Neck\n\nSitting all day makes the neck\nstiff and sore.\n\nMoving Helps\n\nStand up every hour\nand stretch.\n";
        let converted = text_to_markdown(text);
        assert_eq!(converted.title.as_deref(), Some("Desk Neck"));
        assert_eq!(
            converted.markdown,
            "Sitting all day makes the neck\nstiff and sore.\n\n## Moving Helps\n\nStand up every hour\nand stretch."
                .to_owned()
                + "\n"
        );
        assert_eq!(
            converted.description.as_deref(),
            Some("Sitting all day makes the neck stiff and sore.")
        );
    }

    #[test]
    fn text_that_markdown_would_misread_is_escaped() {
        let converted = text_to_markdown("Intro.\n# of sessions: five\n> not a quote\n");
        assert_eq!(
            converted.markdown,
            "Intro.\n\n\\# of sessions: five\n\n\\> not a quote\n"
        );
    }

    #[test]
    fn long_descriptions_end_at_a_sentence_or_a_word() {
        let sentence = "Back and neck pains are frequent problems that arise from long working hours, bad posture, stress, and physical strain.";
        let paragraph = format!(
            "{sentence} {}and so on.",
            "More words follow here, ".repeat(5)
        );
        let (text, how) = describe(&paragraph);
        assert_eq!(text, sentence);
        assert_eq!(how, "the first sentence of the first paragraph");

        let one_long_sentence = "word ".repeat(60);
        let (text, how) = describe(&one_long_sentence);
        assert!(text.chars().count() < DESCRIPTION_LIMIT, "{text}");
        assert!(text.ends_with("word…"), "{text}");
        assert!(how.contains("cut at a word"), "{how}");
    }

    #[test]
    fn empty_text_gives_nothing() {
        let converted = text_to_markdown("\n  \n");
        assert_eq!(converted.markdown, "");
        assert_eq!(converted.title, None);
        assert_eq!(converted.description, None);
    }
}
