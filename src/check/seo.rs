//! What search engines and screen readers need: a title and a description of the right length
//! on every page, none shared with another page, headings in order, link text that says where it
//! leads, alt text on images, and posts with enough words, an author and a date.

use std::collections::HashMap;

use super::{Ctx, Doc, DocKind, Findings, Rule, plural};
use crate::content::SectionId;

/// Link text that says nothing about where a link leads, lowercase.
const VAGUE_LINK_TEXT: &[&str] = &[
    "click here",
    "read more",
    "here",
    "this",
    "link",
    "more",
    "learn more",
    "this link",
    "this page",
    "click",
];

pub(crate) fn check(ctx: &Ctx<'_>, findings: &mut Findings) {
    titles(ctx, findings);
    descriptions(ctx, findings);
    for doc in &ctx.docs {
        headings(doc, findings);
        link_text(doc, findings);
        images(ctx, doc, findings);
    }
    posts(ctx, findings);
    html_titles(ctx, findings);
}

/// The title and description of a doc, and whether the title was written in the file.
fn meta<'a>(ctx: &'a Ctx<'_>, doc: &Doc<'_>) -> (&'a str, &'a str, bool) {
    match doc.kind {
        DocKind::Page(id) => {
            let page = ctx.site.page(id);
            (&page.title, &page.description, true)
        }
        DocKind::Section(id) => {
            let section = &ctx.site.sections()[id.0];
            let written = super::key_line(doc.source, "title").is_some();
            (&section.title, &section.description, written)
        }
    }
}

fn titles(ctx: &Ctx<'_>, findings: &mut Findings) {
    let max = ctx.settings.title_max;
    let mut first: HashMap<String, &Doc<'_>> = HashMap::new();
    for doc in &ctx.docs {
        let (title, _, written) = meta(ctx, doc);
        if !written {
            findings.at(
                Rule::MissingTitle,
                doc.source,
                0,
                format!("this section has no `title`, so it is called “{title}”"),
                "add a line such as `title = \"Our massage services\"` to the front matter",
            );
        }
        let length = title.chars().count();
        if length > max {
            findings.at_key(
                Rule::LongTitle,
                doc.source,
                "title",
                format!("the title is {length} characters long, over {max}"),
                "search results cut long titles; say the main point in the first 60 characters",
            );
        }
        let key = title.trim().to_lowercase();
        match first.get(&key) {
            Some(earlier) => findings.at_key(
                Rule::DuplicateTitle,
                doc.source,
                "title",
                format!(
                    "“{title}” is also the title of `{}`",
                    earlier.source.file.display()
                ),
                "give each page its own title, so search results tell them apart",
            ),
            None => {
                first.insert(key, doc);
            }
        }
    }
}

fn descriptions(ctx: &Ctx<'_>, findings: &mut Findings) {
    let max = ctx.settings.description_max;
    let mut first: HashMap<String, &Doc<'_>> = HashMap::new();
    for doc in &ctx.docs {
        let (_, description, _) = meta(ctx, doc);
        let description = description.trim();
        if description.is_empty() {
            // The home page's description is the site's, from site.toml.
            if doc.kind != DocKind::Section(SectionId(0)) {
                findings.at_key(
                    Rule::MissingDescription,
                    doc.source,
                    "title",
                    "no `description`: search engines will show a piece of the text instead",
                    "add `description = \"...\"`: one or two sentences (up to 160 characters) on \
                     what a reader gets from the page",
                );
            }
            continue;
        }
        let length = description.chars().count();
        if length > max {
            findings.at_key(
                Rule::LongDescription,
                doc.source,
                "description",
                format!("the description is {length} characters long, over {max}"),
                "search results cut long descriptions; keep it to one or two short sentences",
            );
        }
        let key = description.to_lowercase();
        match first.get(&key) {
            Some(earlier) => findings.at_key(
                Rule::DuplicateDescription,
                doc.source,
                "description",
                format!(
                    "the same description as `{}`",
                    earlier.source.file.display()
                ),
                "describe what this page offers that the other does not",
            ),
            None => {
                first.insert(key, doc);
            }
        }
    }
}

/// The page title is the h1, so a body's headings start at h2 and go down one level at a time.
fn headings(doc: &Doc<'_>, findings: &mut Findings) {
    let mut previous = 1;
    for heading in &doc.body.headings {
        if heading.level == 1 {
            findings.at(
                Rule::MultipleH1,
                doc.source,
                heading.offset,
                "a second h1: the page title is already the page's h1",
                "start the heading with `##` (and the ones under it with `###`)",
            );
        } else if heading.level > previous + 1 {
            findings.at(
                Rule::SkippedHeading,
                doc.source,
                heading.offset,
                if previous == 1 {
                    format!(
                        "the body starts with an h{}: the page title is the h1, so headings \
                         start at h2",
                        heading.level
                    )
                } else {
                    format!(
                        "an h{} after an h{previous}: a heading level is skipped",
                        heading.level
                    )
                },
                format!(
                    "use {} here, so screen readers and search engines see the outline",
                    "#".repeat(previous as usize + 1)
                ),
            );
        }
        previous = heading.level;
    }
}

fn link_text(doc: &Doc<'_>, findings: &mut Findings) {
    for link in doc.body.links.iter().filter(|l| !l.image) {
        let text = normalize_link_text(&link.text);
        if text.is_empty() {
            let message = if link.has_image {
                "a link whose only content is an image without alt text"
            } else {
                "a link without text"
            };
            findings.at(
                Rule::EmptyLinkText,
                doc.source,
                link.offset,
                message,
                "screen readers announce it as just “link”; give it words that say where it leads",
            );
        } else if VAGUE_LINK_TEXT.contains(&text.as_str()) {
            findings.at(
                Rule::VagueLinkText,
                doc.source,
                link.offset,
                format!(
                    "the link text “{}” does not say where it leads",
                    link.text.trim()
                ),
                "link the words that describe the target, e.g. “our deep tissue massage”",
            );
        }
    }
}

/// Lowercase, whitespace collapsed, without surrounding punctuation and arrows.
fn normalize_link_text(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

fn images(ctx: &Ctx<'_>, doc: &Doc<'_>, findings: &mut Findings) {
    for image in doc.body.links.iter().filter(|l| l.image) {
        if image.text.trim().is_empty() {
            findings.at(
                Rule::MissingAlt,
                doc.source,
                image.offset,
                format!("the image `{}` has no alt text", image.dest),
                "describe it in the brackets: ![A therapist working on a client's shoulder](photo.jpg)",
            );
        }
    }
    if let DocKind::Page(id) = doc.kind {
        let page = ctx.site.page(id);
        if !page.image.trim().is_empty() && page.image_alt.trim().is_empty() {
            findings.at_key(
                Rule::MissingAlt,
                doc.source,
                "image",
                format!(
                    "the page's `image` ({}) has no `image_alt`",
                    page.image.trim()
                ),
                "add `image_alt = \"...\"` describing the picture",
            );
        }
    }
}

fn posts(ctx: &Ctx<'_>, findings: &mut Findings) {
    let min_words = ctx.settings.min_words;
    for (id, doc) in ctx.posts() {
        let page = ctx.site.page(id);
        let words = ctx.bodies.pages.get(id.0).map_or(0, |r| r.words);
        if page.date.is_some() && words < min_words {
            findings.at_key(
                Rule::ThinPost,
                doc.source,
                "title",
                format!(
                    "only {}: posts under {min_words} rarely rank in search results",
                    plural(words, "word", "words")
                ),
                "answer the reader's question in more depth, or merge it into a related post",
            );
        }
        if page.author.is_none() {
            let hint = match ctx.site.config().default_author.as_deref() {
                Some(author) => format!("add `author = \"{author}\"` to the front matter"),
                None => "add `author = \"id\"` with an id from [authors] in site.toml".to_owned(),
            };
            findings.at_key(
                Rule::MissingAuthor,
                doc.source,
                "title",
                "this post has no `author`: readers and search engines trust health advice with a name on it",
                hint,
            );
        }
        if page.date.is_none() {
            findings.at_key(
                Rule::MissingDate,
                doc.source,
                "title",
                "this post has no `date`",
                "add `date = 2026-03-14` (the day it was published) to the front matter",
            );
        }
    }
}

/// Generated pages without a `<title>` (a site's own template can forget it).
fn html_titles(ctx: &Ctx<'_>, findings: &mut Findings) {
    let root = &ctx.site.config().root;
    for (output, scan) in &ctx.scans {
        if scan.title.as_deref().is_some_and(|t| !t.is_empty()) {
            continue;
        }
        findings.in_file(
            Rule::MissingTitle,
            super::links::output_url(root, output),
            "this generated page has no `<title>`",
            "give its template a `<title>` (the built-in base.html has one in its `title` block)",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_text_is_compared_without_case_or_punctuation() {
        assert_eq!(normalize_link_text("  Read   more → "), "read more");
        assert_eq!(normalize_link_text("Click HERE!"), "click here");
        assert_eq!(normalize_link_text("…"), "");
    }
}
