//! One walk over a Markdown body that keeps what the content rules need, each piece with its
//! byte offset in the file: headings, links and images with their text, and the prose (each
//! paragraph, list item, heading and table cell as plain text, mapped back to the file).

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::content::SourceText;

/// What the rules read from one body.
#[derive(Debug, Clone, Default)]
pub(crate) struct Body {
    /// Headings in order.
    pub(crate) headings: Vec<HeadingAt>,
    /// Links and images in order.
    pub(crate) links: Vec<LinkAt>,
    /// Blocks of prose in order.
    pub(crate) blocks: Vec<Prose>,
}

/// A heading and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadingAt {
    /// 1 to 6.
    pub(crate) level: u8,
    /// Byte offset in the file.
    pub(crate) offset: usize,
}

/// A link or image and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinkAt {
    /// The address as written.
    pub(crate) dest: String,
    /// Its visible text (a link's text, an image's alt text).
    pub(crate) text: String,
    /// Byte offset in the file.
    pub(crate) offset: usize,
    /// Whether it is an image.
    pub(crate) image: bool,
    /// For a link: whether it holds an image.
    pub(crate) has_image: bool,
}

/// What kind of block a piece of prose is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockKind {
    /// A paragraph.
    Paragraph,
    /// The text of a list item outside any paragraph (a tight list).
    Item,
    /// A heading.
    Heading,
    /// A table cell.
    Cell,
}

/// A block of prose as plain text, with whitespace collapsed, and where each byte came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prose {
    /// What kind of block it is.
    pub(crate) kind: BlockKind,
    /// The text.
    pub(crate) text: String,
    /// For each byte of `text`, its offset in the file.
    offsets: Vec<usize>,
}

impl Prose {
    fn new(kind: BlockKind) -> Self {
        Prose {
            kind,
            text: String::new(),
            offsets: Vec::new(),
        }
    }

    /// The file offset of byte `i` of the text (the last one's, past the end).
    pub(crate) fn offset(&self, i: usize) -> usize {
        self.offsets
            .get(i)
            .or(self.offsets.last())
            .copied()
            .unwrap_or(0)
    }

    fn push(&mut self, c: char, offset: usize) {
        let c = if c.is_whitespace() { ' ' } else { c };
        if c == ' ' && (self.text.is_empty() || self.text.ends_with(' ')) {
            return;
        }
        self.text.push(c);
        self.offsets
            .extend(std::iter::repeat_n(offset, c.len_utf8()));
    }

    /// Appends `text`, which the parser made from `source` (the file's text at `start`): the
    /// same text, or one with entities decoded and quotes curled, mapped character by character.
    fn push_text(&mut self, text: &str, source: &str, start: usize) {
        let mut source_chars = source.char_indices();
        for c in text.chars() {
            let at = source_chars
                .next()
                .map_or(source.len().saturating_sub(1), |(i, _)| i);
            self.push(c, start + at);
        }
    }

    fn finish(mut self) -> Option<Prose> {
        while self.text.ends_with(' ') {
            self.text.pop();
            self.offsets.pop();
        }
        (!self.text.is_empty()).then_some(self)
    }
}

// The same extensions as the build, so the rules see the document the build renders.
fn options() -> Options {
    crate::markdown::options()
}

/// Walks the body of `source`.
pub(crate) fn walk(source: &SourceText) -> Body {
    let body_text = source.body();
    let base = source.body_offset;
    let mut body = Body::default();
    let mut stack: Vec<Prose> = Vec::new();
    let mut open_links: Vec<usize> = Vec::new();
    let mut in_image = 0usize;
    let mut in_code = 0usize;
    for (event, range) in Parser::new_ext(body_text, options()).into_offset_iter() {
        let start = base + range.start;
        match event {
            Event::Start(Tag::Paragraph) => stack.push(Prose::new(BlockKind::Paragraph)),
            Event::Start(Tag::Item) => stack.push(Prose::new(BlockKind::Item)),
            Event::Start(Tag::TableCell) => stack.push(Prose::new(BlockKind::Cell)),
            Event::Start(Tag::Heading { level, .. }) => {
                body.headings.push(HeadingAt {
                    level: heading_level(level),
                    offset: start,
                });
                stack.push(Prose::new(BlockKind::Heading));
            }
            Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::Heading(_),
            ) => {
                if let Some(block) = stack.pop().and_then(Prose::finish) {
                    body.blocks.push(block);
                }
            }
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code = in_code.saturating_sub(1),
            Event::Start(Tag::Link { dest_url, .. }) => {
                open_links.push(body.links.len());
                body.links.push(LinkAt {
                    dest: dest_url.to_string(),
                    text: String::new(),
                    offset: start,
                    image: false,
                    has_image: false,
                });
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                for &i in &open_links {
                    body.links[i].has_image = true;
                }
                open_links.push(body.links.len());
                body.links.push(LinkAt {
                    dest: dest_url.to_string(),
                    text: String::new(),
                    offset: start,
                    image: true,
                    has_image: false,
                });
                in_image += 1;
            }
            Event::End(TagEnd::Link) => {
                open_links.pop();
            }
            Event::End(TagEnd::Image) => {
                open_links.pop();
                in_image = in_image.saturating_sub(1);
            }
            Event::Text(text) | Event::Code(text) if in_code == 0 => {
                for &i in &open_links {
                    body.links[i].text.push_str(&text);
                }
                // An image's alt text is not read as part of the prose around it.
                if in_image == 0
                    && let Some(block) = stack.last_mut()
                {
                    block.push_text(&text, body_text.get(range).unwrap_or_default(), start);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                for &i in &open_links {
                    body.links[i].text.push(' ');
                }
                if let Some(block) = stack.last_mut() {
                    block.push(' ', start);
                }
            }
            _ => {}
        }
    }
    body
}

fn heading_level(level: HeadingLevel) -> u8 {
    level as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(body: &str) -> SourceText {
        let text = format!("+++\ntitle = \"A\"\n+++\n{body}");
        SourceText {
            file: "content/a.md".into(),
            body_offset: 20,
            text: text.into(),
        }
    }

    #[test]
    fn prose_maps_back_to_the_file() {
        let s = source("Some *very* \"fine\"\ntext here.\n\n- one\n- two [link](/x/)\n");
        let body = walk(&s);
        let texts: Vec<&str> = body.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["Some very “fine” text here.", "one", "two link"]);
        let first = &body.blocks[0];
        let at = first.text.find("text").unwrap();
        assert_eq!(&s.text[first.offset(at)..first.offset(at) + 4], "text");
        let link = &body.links[0];
        assert_eq!((link.dest.as_str(), link.text.as_str()), ("/x/", "link"));
        assert_eq!(&s.text[link.offset..link.offset + 6], "[link]");
    }

    #[test]
    fn headings_images_and_code_are_kept_apart() {
        let body = walk(&source(
            "## Tips\n\n![alt text](a.png)\n\n```\ncode here\n```\n[![](b.png)](/c/)\n",
        ));
        assert_eq!(body.headings[0].level, 2);
        let texts: Vec<&str> = body.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["Tips"]);
        assert!(body.links[0].image && body.links[0].text == "alt text");
        assert!(body.links[1].has_image && body.links[1].text.is_empty());
    }
}
