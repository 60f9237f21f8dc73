//! Markdown to HTML, with what a page needs besides: heading ids and anchors, a table of
//! contents, a summary, a word count, and internal links resolved by source path.
//!
//! [`render`] is a pure function of the body and a link resolver, so pages render in parallel
//! and the result is a plain value ([`Rendered`]).

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use pulldown_cmark::{
    CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html,
};
use serde::Serialize;

use crate::content::{PageId, SectionId, SourceText};
use crate::error::{Diagnostic, Diagnostics};
use crate::images::{Loading, Picture};
use crate::slug::slugify;

mod words;
use words::count_words;

/// Words read per minute, for reading time.
const WORDS_PER_MINUTE: usize = 200;

/// Ids the built-in theme uses on every page; a heading never takes one of them (a heading
/// called "Main" becomes `main-1`), so links and the skip link keep working.
pub(crate) const RESERVED_IDS: &[&str] = &[
    "main",
    "toc-heading",
    "cta-heading",
    "services-heading",
    "related-heading",
    "latest-heading",
    "footer-clinic",
    "footer-hours",
    "search-q",
    "search-status",
    "search-results",
];

/// The marker that ends a post's summary.
const MORE_MARKER: &str = "<!-- more -->";

/// A page's Markdown, rendered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The body as HTML.
    pub html: String,
    /// The part before `<!-- more -->`, or else the first paragraph, as HTML.
    pub summary: String,
    /// The summary as plain text, for descriptions.
    pub summary_text: String,
    /// Headings, nested by level.
    pub toc: Vec<Heading>,
    /// Every heading id, in order.
    pub ids: Vec<String>,
    /// Number of words in the body.
    pub words: usize,
    /// Links to other pages by source path, to check their anchors once every page is rendered.
    pub internal_links: Vec<InternalLink>,
    /// Every other link and image address, with its place in the file and whether it is an
    /// image's (the build checks that images exist).
    pub links: Vec<(String, usize, bool)>,
    /// Every `@/` target looked up, and what it resolved to: the rendering stays valid while
    /// these resolve the same way.
    pub lookups: Vec<(String, Option<String>)>,
    /// Every image address looked up as a photo, and a hash of the `<picture>` it gave: the
    /// rendering stays valid while these give the same.
    pub picture_lookups: Vec<(String, Option<u64>)>,
    /// What looks like a slip of the keyboard (a paragraph indented into a code box, a heading
    /// without its space), for `knead build` to warn about.
    pub warnings: Vec<Diagnostic>,
}

/// What the Markdown stage makes: every page's and section's body, rendered, by id. Its own
/// value beside the [`crate::site::Site`] it was made from, which it does not change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bodies {
    /// By page id, shared with the session's cache.
    pub(crate) pages: Vec<Arc<Rendered>>,
    /// By section id.
    pub(crate) sections: Vec<Arc<Rendered>>,
}

impl Bodies {
    /// The warnings of every page's and section's body (see [`Rendered::warnings`]).
    pub fn warnings(&self) -> Diagnostics {
        let all = self.pages.iter().chain(&self.sections);
        Diagnostics(all.flat_map(|r| r.warnings.iter().cloned()).collect())
    }

    /// The rendered body of a page.
    pub fn page(&self, id: PageId) -> &Rendered {
        &self.pages[id.0]
    }

    /// The rendered body (the intro text) of a section.
    pub fn section(&self, id: SectionId) -> &Rendered {
        &self.sections[id.0]
    }
}

/// Rendered Markdown kept between builds (for `knead serve`), by file.
#[derive(Debug, Default)]
pub struct Cache {
    entries: HashMap<PathBuf, CacheEntry>,
}

#[derive(Debug)]
struct CacheEntry {
    /// The text it was rendered from, held: while it is the same shared string, its hash
    /// need not be made again.
    text: Arc<str>,
    hash: u64,
    rendered: Arc<Rendered>,
    diagnostics: Vec<Diagnostic>,
}

impl Cache {
    /// The [`text_hash`] of `source`, taken from the cache when its text is the very string
    /// rendered last time.
    pub fn hash_of(&self, source: &SourceText) -> u64 {
        match self.entries.get(&source.file) {
            Some(entry) if Arc::ptr_eq(&entry.text, &source.text) => entry.hash,
            _ => text_hash(source),
        }
    }

    /// The rendering of `source` from an earlier build, if its text is the same (`hash`, from
    /// [`text_hash`]) and its `@/` links still resolve the same way.
    pub fn get(
        &self,
        source: &SourceText,
        hash: u64,
        resolve: &dyn Resolve,
    ) -> Option<(Arc<Rendered>, Vec<Diagnostic>)> {
        let entry = self.entries.get(&source.file)?;
        let fresh = entry.hash == hash
            && entry
                .rendered
                .lookups
                .iter()
                .all(|(target, url)| resolve.url_of(target) == *url)
            && entry
                .rendered
                .picture_lookups
                .iter()
                .all(|(url, shown)| picture_hash(resolve.picture(source, url)) == *shown);
        fresh.then(|| (entry.rendered.clone(), entry.diagnostics.clone()))
    }

    /// Replaces the cache with this build's renderings, each with its text's hash.
    pub fn replace<'a>(
        &mut self,
        items: impl Iterator<Item = (&'a SourceText, u64, &'a (Arc<Rendered>, Vec<Diagnostic>))>,
    ) {
        self.entries = items
            .map(|(source, hash, (rendered, diagnostics))| {
                (
                    source.file.clone(),
                    CacheEntry {
                        text: source.text.clone(),
                        hash,
                        rendered: rendered.clone(),
                        diagnostics: diagnostics.clone(),
                    },
                )
            })
            .collect();
    }
}

/// A hash of a `<picture>` and its `sizes`, which [`Cache`] compares.
fn picture_hash(picture: Option<(Arc<Picture>, &str)>) -> Option<u64> {
    picture.map(|(picture, sizes)| {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::hash::DefaultHasher::new();
        Picture::hash(&picture).hash(&mut hasher);
        sizes.hash(&mut hasher);
        hasher.finish()
    })
}

/// A hash of a file's text and where its body starts, which [`Cache`] compares.
pub fn text_hash(source: &SourceText) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(source.text.as_bytes());
    hasher.update(&source.body_offset.to_le_bytes());
    hasher.digest()
}

impl Rendered {
    /// Minutes to read, at least one.
    pub fn reading_time(&self) -> usize {
        self.words.div_ceil(WORDS_PER_MINUTE).max(1)
    }
}

/// A heading in the table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heading {
    /// 1 to 6.
    pub level: u8,
    /// Its id, unique on the page.
    pub id: String,
    /// Its text.
    pub title: String,
    /// The headings under it.
    pub children: Vec<Heading>,
}

/// A link written as `@/path/to/file.md#anchor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalLink {
    /// The target's path under `content/`.
    pub target: String,
    /// The anchor, if any.
    pub anchor: Option<String>,
    /// Byte offset of the link in the file.
    pub offset: usize,
}

/// Resolves the source path of a page or section (`blog/post.md`) to its address.
pub trait Resolve: Sync {
    /// The root-relative address of the page or section at `content_path`, if there is one.
    fn url_of(&self, content_path: &str) -> Option<String>;

    /// The content path nearest to `content_path`, which does not exist, for a "did you mean":
    /// another folder, a missing `.md`, other capitals, a typo.
    fn nearest(&self, content_path: &str) -> Option<String> {
        let _ = content_path;
        None
    }

    /// The `<picture>` of the photo at `url`, written in the file `source`, when it is one of
    /// the site's photos; with the `sizes` it is shown at.
    fn picture(&self, source: &SourceText, url: &str) -> Option<(Arc<Picture>, &str)> {
        let _ = (source, url);
        None
    }

    /// Whether the page of `source` shows a photo of its own above its text (front matter
    /// `image`): its body's photos then all load lazily.
    fn has_hero(&self, source: &SourceText) -> bool {
        let _ = source;
        false
    }
}

/// The Markdown extensions knead enables; `knead check` reads bodies with the same ones.
pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders the Markdown body of `source`. Links to missing pages are returned as errors at their
/// place in the file; the HTML is still produced so that every error of a run can be reported.
pub fn render(source: &SourceText, resolve: &dyn Resolve) -> (Rendered, Vec<Diagnostic>) {
    let body = source.body();
    let mut state = State {
        source,
        resolve,
        // About one event per dozen bytes of prose: sized once, not grown by copying.
        out: Vec::with_capacity(body.len() / 12),
        rendered: Rendered::default(),
        diagnostics: Vec::new(),
        used_ids: HashSet::new(),
        next_suffix: HashMap::new(),
        headings: Vec::new(),
        plain: String::with_capacity(body.len()),
        summary_end: None,
        more_pending: false,
        depth: 0,
        first_paragraph: None,
        shown: String::new(),
        shown_at: Vec::new(),
        bullets_seen: false,
        photos: 0,
    };
    let mut events = Parser::new_ext(body, options()).into_offset_iter();
    while let Some((event, range)) = events.next() {
        match event {
            Event::Start(Tag::Heading {
                level, id, attrs, ..
            }) => {
                let mut inner = Vec::new();
                for (event, range) in events.by_ref() {
                    if matches!(event, Event::End(TagEnd::Heading(_))) {
                        break;
                    }
                    inner.push((event, range));
                }
                state.heading(level, id, attrs, inner);
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let mut inner = Vec::new();
                let mut depth = 0;
                for (event, range) in events.by_ref() {
                    match event {
                        Event::Start(Tag::Image { .. }) => depth += 1,
                        Event::End(TagEnd::Image) if depth == 0 => break,
                        Event::End(TagEnd::Image) => depth -= 1,
                        _ => {}
                    }
                    inner.push((event, range));
                }
                let start = Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                };
                state.image(start, inner, range.start);
            }
            event => state.event(event, range.start),
        }
    }
    state.finish()
}

/// The `href` and `src` addresses in a piece of HTML, each with its byte offset in it and
/// whether it is an image's (`<img src>`, `<source src>`).
fn html_addresses(html: &str) -> Vec<(&str, usize, bool)> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for attribute in ["href=", "src="] {
        let mut from = 0;
        while let Some(at) = lower[from..].find(attribute).map(|i| from + i) {
            from = at + attribute.len();
            // A whole attribute name: `data-src=` is not `src=`.
            if at > 0 && !lower.as_bytes()[at - 1].is_ascii_whitespace() {
                continue;
            }
            let rest = &html[from..];
            let (start, end) = match rest.chars().next() {
                Some(quote @ ('"' | '\'')) => match rest[1..].find(quote) {
                    Some(len) => (1, 1 + len),
                    None => continue,
                },
                _ => (
                    0,
                    rest.find(|c: char| c.is_whitespace() || c == '>')
                        .unwrap_or(rest.len()),
                ),
            };
            let tag_start = lower[..at].rfind('<').unwrap_or(0);
            let image = attribute == "src=" && lower[tag_start..].starts_with("<img");
            found.push((&rest[start..end], from + start, image));
        }
    }
    found
}

/// Whether `event` starts or ends an inline element (a link, emphasis), not a block.
fn is_inline(event: &Event<'_>) -> bool {
    match event {
        Event::Start(tag) => matches!(
            tag,
            Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. } | Tag::Image { .. }
        ),
        Event::End(tag) => matches!(
            tag,
            TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Image
        ),
        _ => true,
    }
}

struct State<'a, 's> {
    source: &'s SourceText,
    resolve: &'s dyn Resolve,
    out: Vec<Event<'a>>,
    rendered: Rendered,
    diagnostics: Vec<Diagnostic>,
    /// The heading ids given so far; the theme's own ids (`RESERVED_IDS`) are taken too.
    used_ids: HashSet<String>,
    next_suffix: HashMap<String, usize>,
    headings: Vec<(u8, String, String)>,
    plain: String,
    /// Index in `out` of the `<!-- more -->` marker, and the plain text length there.
    summary_end: Option<(usize, usize)>,
    /// Whether a marker was seen inside a block, so the summary ends where that block ends.
    more_pending: bool,
    /// How deep in nested blocks and inlines the current event is.
    depth: usize,
    /// Range in `out` of the first paragraph, and the plain text range.
    first_paragraph: Option<(usize, usize, usize, usize)>,
    /// The text of the current paragraph or list item as it shows, outside code, to find
    /// Markdown that shows as text (`[About us](/about us/)`); with the file offset of each
    /// piece.
    shown: String,
    shown_at: Vec<(usize, usize)>,
    /// Whether the current paragraph had a line starting with a pasted bullet (`•`).
    bullets_seen: bool,
    /// How many photos the body has shown so far.
    photos: usize,
}

impl<'a> State<'a, '_> {
    fn event(&mut self, event: Event<'a>, offset: usize) {
        self.slips(&event, offset);
        match &event {
            Event::Text(text) | Event::Code(text) => self.plain.push_str(text),
            Event::SoftBreak | Event::HardBreak => self.plain.push(' '),
            Event::Html(html) | Event::InlineHtml(html)
                if self.summary_end.is_none() && html.trim() == MORE_MARKER =>
            {
                match self.out.last() {
                    // A marker on a line of its own is an HTML block: cut before the block.
                    Some(Event::Start(Tag::HtmlBlock)) if self.depth == 1 => {
                        self.summary_end = Some((self.out.len() - 1, self.plain.len()));
                    }
                    // A marker inside a paragraph or list: cut after the enclosing block, so
                    // the summary is always whole elements.
                    _ => self.more_pending = true,
                }
            }
            Event::Start(Tag::Paragraph) if self.first_paragraph.is_none() => {
                self.first_paragraph = Some((self.out.len(), 0, self.plain.len(), 0));
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some((start, 0, plain_start, 0)) = self.first_paragraph {
                    self.first_paragraph =
                        Some((start, self.out.len() + 1, plain_start, self.plain.len()));
                }
                self.plain.push(' ');
            }
            Event::End(TagEnd::Item | TagEnd::TableCell | TagEnd::BlockQuote(_)) => {
                self.plain.push(' ');
            }
            _ => {}
        }
        let event = match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Link {
                link_type,
                dest_url: self.link(dest_url, offset, false),
                title,
                id,
            }),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Image {
                link_type,
                dest_url: self.link(dest_url, offset, true),
                title,
                id,
            }),
            event => event,
        };
        let closes = matches!(event, Event::End(_));
        if matches!(event, Event::Start(_)) {
            self.depth += 1;
        }
        self.out.push(event);
        if closes {
            self.depth = self.depth.saturating_sub(1);
            if self.depth == 0 && self.more_pending && self.summary_end.is_none() {
                self.summary_end = Some((self.out.len(), self.plain.len()));
                self.more_pending = false;
            }
        }
    }

    /// Warns about what staff rarely mean: a paragraph indented with a tab or four spaces, which
    /// Markdown shows as a grey box of code, and `##In Short`, a heading without its space,
    /// which shows as text.
    fn slips(&mut self, event: &Event<'a>, offset: usize) {
        let source = self.source;
        let at = |d: Diagnostic| d.at(&source.file, &source.text, source.body_offset + offset);
        if matches!(event, Event::Start(_) | Event::End(_)) && !is_inline(event) {
            self.bullets_seen = false;
            if !self.shown.is_empty() {
                self.text_that_meant_a_link();
            }
        }
        match event {
            Event::Text(text) => {
                self.shown_at.push((self.shown.len(), offset));
                self.shown.push_str(text);
                if matches!(
                    self.out.last(),
                    Some(Event::Start(Tag::Paragraph) | Event::SoftBreak)
                ) {
                    self.heading_without_space(text, offset);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                if matches!(event, Event::InlineHtml(_)) {
                    self.shown.push('\n');
                }
                // Addresses in HTML pasted into a post are checked like Markdown's.
                for (url, at, image) in html_addresses(html) {
                    self.rendered.links.push((
                        url.to_owned(),
                        self.source.body_offset + offset + at,
                        image,
                    ));
                }
            }
            Event::Code(_) | Event::SoftBreak | Event::HardBreak => {
                self.shown.push('\n');
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. })
                if dest_url.trim().is_empty() =>
            {
                let image = matches!(event, Event::Start(Tag::Image { .. }));
                let (what, example) = if image {
                    ("an image", "![A seated neck stretch](neck-stretch.jpg)")
                } else {
                    (
                        "a link",
                        "[Book now](https://book.example.com) or [Contact us](@/contact.md)",
                    )
                };
                self.rendered.warnings.push(at(Diagnostic::warning(format!(
                    "{what} with no address: the round brackets after [...] are empty"
                ))
                .with_hint(format!("put the address inside them, e.g. {example}"))));
            }

            Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)) => {
                self.rendered.warnings.push(at(Diagnostic::warning(
                    "this text is indented (a tab or four spaces at the start), so it shows as a \
                     grey box of code",
                )
                .with_hint(
                    "remove the tab or spaces at the start of its lines; a code example goes \
                     between ``` lines",
                )));
            }
            _ => {}
        }
    }

    /// `##In Short` at the start of a paragraph: a heading without its space, which shows as
    /// text.
    fn heading_without_space(&mut self, text: &str, offset: usize) {
        let source = self.source;
        let at = |d: Diagnostic| d.at(&source.file, &source.text, source.body_offset + offset);
        let hashes = text.len() - text.trim_start_matches('#').len();
        let rest = &text[hashes..];
        // A word processor's non-breaking space after the # is not a space to Markdown.
        let rest_words = rest.trim_start_matches(['\u{a0}', '\u{202f}']);
        let non_breaking = rest_words.len() != rest.len();
        if (1..=6).contains(&hashes)
            && rest_words.starts_with(char::is_alphabetic)
            && text.chars().count() < 80
        {
            let fixed = format!("{} {rest_words}", &text[..hashes]);
            let why = if non_breaking {
                "the space after the # is a non-breaking space (from a word processor), which \
                 Markdown does not count"
            } else {
                "a heading needs a space after the #"
            };
            self.rendered.warnings.push(at(Diagnostic::warning(format!(
                "`{}` shows as text, not as a heading: {why}",
                text.replace('\u{a0}', " ")
            ))
            .with_hint(if non_breaking {
                format!("write `{fixed}`, typing the space again")
            } else {
                format!("write `{fixed}`")
            })));
        }
        // Bullets pasted from a word processor (`•` and a tab) are not a Markdown list.
        if text.starts_with(['•', '◦', '▪', '·']) && !self.bullets_seen {
            self.bullets_seen = true;
            self.rendered.warnings.push(at(Diagnostic::warning(format!(
                "`{}` does not make a list: the lines run together as one paragraph",
                text.chars().take(40).collect::<String>().trim_end()
            ))
            .with_hint(
                "start each line of a list with `- ` (a dash and a space) instead of the bullet",
            )));
        }
    }

    /// Warns about links that show as text: an address with a space (`[About us](/about
    /// us/)`) or a space between `]` and `(`. Reads the text of the block that just ended.
    fn text_that_meant_a_link(&mut self) {
        // Most blocks have no `](` or `] (`: nothing to look at. The buffers are kept for the
        // next block (a post has hundreds).
        if !(self.shown.contains("](") || self.shown.contains("] (")) {
            self.shown.clear();
            self.shown_at.clear();
            return;
        }
        let mut text = std::mem::take(&mut self.shown);
        let mut pieces = std::mem::take(&mut self.shown_at);
        self.meant_links(&text, &pieces);
        text.clear();
        pieces.clear();
        self.shown = text;
        self.shown_at = pieces;
    }

    /// [`text_that_meant_a_link`](Self::text_that_meant_a_link) for a block's `text`, made of
    /// `pieces` (each one's start in `text` and offset in the body).
    fn meant_links(&mut self, text: &str, pieces: &[(usize, usize)]) {
        let offset_of = |i: usize| {
            let (start, offset) = pieces
                .iter()
                .rev()
                .find(|(start, _)| *start <= i)
                .copied()
                .unwrap_or((0, 0));
            self.source.body_offset + offset + (i - start)
        };
        let mut from = 0;
        while let Some(found) = text[from..].find(['(']).map(|i| from + i) {
            from = found + 1;
            let before = text[..found].trim_end_matches(' ');
            let gap = found - before.len();
            let Some(close) = text[found..].find(')').map(|i| found + i) else {
                break;
            };
            let Some(open) = before.strip_suffix(']').and_then(|b| b.rfind('[')) else {
                continue;
            };
            let dest = &text[found + 1..close];
            let label = &before[open + 1..before.len() - 1];
            let written = &text[open..=close];
            if written.contains('\n') || label.is_empty() {
                continue;
            }
            let address_like = dest.starts_with(['/', '@', '#'])
                || dest.starts_with("http")
                || dest.starts_with("www.")
                || dest.contains(['.', '/', '\\']);
            if !address_like || (gap == 0 && !dest.trim().contains(' ')) {
                continue;
            }
            // An image that shows as text is a broken image: an error, like a missing one.
            let image = text[..open].ends_with('!');
            let (written, what) = if image {
                (&text[open - 1..=close], "an image")
            } else {
                (written, "a link")
            };
            let message = format!(
                "`{written}` shows as text, not as {what}: {}",
                if gap > 0 {
                    "there is a space between ] and ("
                } else {
                    "its address has a space"
                }
            );
            let dest = dest.trim();
            let hint = if let Some(name) = crate::assets::on_this_computer(dest) {
                let name = name.replace(' ', "-");
                format!(
                    "the file is on this computer: copy it into static/ as `{name}` and write \
                     ![{label}](/{name})"
                )
            } else if gap > 0 && !dest.contains(' ') {
                format!("write {}[{label}]({dest})", if image { "!" } else { "" })
            } else if image {
                format!(
                    "rename the file without spaces and write ![{label}]({})",
                    dest.replace(' ', "-")
                )
            } else {
                format!(
                    "addresses have no spaces: write [{label}]({}) if that is the address, or \
                     link to the page by its file, e.g. [{label}](@/about.md)",
                    dest.replace(' ', "-")
                )
            };
            let at = offset_of(if image { open - 1 } else { open });
            let diagnostic = Diagnostic::error(message)
                .at(&self.source.file, &self.source.text, at)
                .with_hint(hint);
            if image {
                self.diagnostics.push(diagnostic);
            } else {
                self.rendered.warnings.push(diagnostic.into_warning());
            }
            from = close + 1;
        }
    }

    /// An image: a `<picture>` when it is one of the site's photos, else as Markdown writes it.
    fn image(&mut self, start: Tag<'a>, inner: Vec<(Event<'a>, Range<usize>)>, offset: usize) {
        let Tag::Image { ref dest_url, .. } = start else {
            return;
        };
        let found = self.resolve.picture(self.source, dest_url);
        self.rendered
            .picture_lookups
            .push((dest_url.to_string(), picture_hash(found.clone())));
        let Some((picture, sizes)) = found else {
            self.event(Event::Start(start), offset);
            for (event, range) in inner {
                self.event(event, range.start);
            }
            self.event(Event::End(TagEnd::Image), offset);
            return;
        };
        let Tag::Image {
            dest_url, title, ..
        } = start
        else {
            return;
        };
        // Recorded like any image, for the checks of the build and `knead check`.
        let _ = self.link(dest_url, offset, true);
        let alt: String = inner
            .iter()
            .filter_map(|(event, _)| match event {
                Event::Text(text) | Event::Code(text) => Some(text.as_ref()),
                Event::SoftBreak | Event::HardBreak => Some(" "),
                _ => None,
            })
            .collect();
        let loading = if self.photos == 0 && !self.resolve.has_hero(self.source) {
            Loading::First
        } else {
            Loading::Lazy
        };
        self.photos += 1;
        let html = picture.html(&alt, &title, sizes, loading, "");
        // Straight into the output: knead's own markup, not pasted HTML to look into.
        self.out.push(Event::InlineHtml(html.into()));
    }

    /// Resolves `@/` links; records every link for later checks.
    fn link(&mut self, dest: CowStr<'a>, offset: usize, image: bool) -> CowStr<'a> {
        let file_offset = self.source.body_offset + offset;
        // An address pasted with a word processor's curly quotes around it: the quotes would
        // become part of the address. Taken off, with a warning.
        const CURLY: [char; 4] = ['\u{201c}', '\u{201d}', '\u{2018}', '\u{2019}'];
        let dest = if dest.starts_with(CURLY) {
            let bare = dest.trim_matches(CURLY).to_owned();
            self.rendered.warnings.push(
                Diagnostic::warning(format!(
                    "the address `{dest}` is in curly quotes: understood as `{bare}`"
                ))
                .at(&self.source.file, &self.source.text, file_offset)
                .with_hint(format!("write it without quotes: ({bare})")),
            );
            CowStr::from(bare)
        } else {
            dest
        };
        let Some(internal) = dest.strip_prefix("@/") else {
            self.rendered
                .links
                .push((dest.to_string(), file_offset, image));
            return dest;
        };
        let (target, anchor) = match internal.split_once('#') {
            Some((target, anchor)) => (target, Some(anchor.to_owned())),
            None => (internal, None),
        };
        let resolved = self.resolve.url_of(target);
        self.rendered
            .lookups
            .push((target.to_owned(), resolved.clone()));
        match resolved {
            Some(url) => {
                self.rendered.internal_links.push(InternalLink {
                    target: target.to_owned(),
                    anchor: anchor.clone(),
                    offset: file_offset,
                });
                match anchor {
                    Some(anchor) => format!("{url}#{anchor}").into(),
                    None => url.into(),
                }
            }
            None => {
                self.diagnostics.push(
                    Diagnostic::error(format!(
                        "link to `@/{target}`, but there is no `content/{target}`"
                    ))
                    .at(&self.source.file, &self.source.text, file_offset)
                    .with_hint(match self.resolve.nearest(target) {
                        Some(near) => format!("did you mean `@/{near}`?"),
                        None => "check the path under content/ (e.g. `@/blog/my-post.md`), or \
                                 whether that page is a draft"
                            .to_owned(),
                    }),
                );
                dest
            }
        }
    }

    fn heading(
        &mut self,
        level: HeadingLevel,
        explicit_id: Option<CowStr<'a>>,
        attrs: Vec<(CowStr<'a>, Option<CowStr<'a>>)>,
        inner: Vec<(Event<'a>, std::ops::Range<usize>)>,
    ) {
        let title: String = inner
            .iter()
            .filter_map(|(event, _)| match event {
                Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                _ => None,
            })
            .collect();
        let base = match explicit_id {
            Some(id) => id.to_string(),
            None => {
                let slug = slugify(&title);
                if slug.is_empty() {
                    "section".to_owned()
                } else {
                    slug
                }
            }
        };
        let id = self.unique_id(base);
        let level_number = level as u8;
        let mut open = format!("<h{level_number} id=\"");
        escape_into(&mut open, &id);
        open.push('"');
        for (name, value) in &attrs {
            open.push(' ');
            escape_into(&mut open, name);
            if let Some(value) = value {
                open.push_str("=\"");
                escape_into(&mut open, value);
                open.push('"');
            }
        }
        open.push('>');
        self.out.push(Event::Html(open.into()));
        for (event, range) in inner {
            self.event(event, range.start);
        }
        let mut close = String::from(" <a class=\"anchor\" href=\"#");
        escape_into(&mut close, &id);
        close.push_str("\" aria-label=\"Link to “");
        escape_into(&mut close, title.trim());
        close.push_str(&format!("”\">#</a></h{level_number}>\n"));
        self.out.push(Event::Html(close.into()));
        self.plain.push(' ');
        self.rendered.ids.push(id.clone());
        self.headings
            .push((level_number, id, title.trim().to_owned()));
    }

    fn unique_id(&mut self, base: String) -> String {
        let used = &mut self.used_ids;
        let taken =
            |used: &HashSet<String>, id: &str| RESERVED_IDS.contains(&id) || used.contains(id);
        if !taken(used, &base) {
            used.insert(base.clone());
            return base;
        }
        // Start from the last suffix used for this base, so a page with n identical headings
        // costs O(n), not O(n²).
        let next = self.next_suffix.entry(base.clone()).or_insert(1);
        loop {
            let id = format!("{base}-{next}");
            *next += 1;
            if !taken(used, &id) {
                used.insert(id.clone());
                return id;
            }
        }
    }

    fn finish(mut self) -> (Rendered, Vec<Diagnostic>) {
        if !self.shown.is_empty() {
            self.text_that_meant_a_link();
        }
        let mut html_out = String::with_capacity(self.source.body().len() * 3 / 2);
        html::push_html(&mut html_out, self.out.iter().cloned());
        let (summary_events, summary_text) = match (self.summary_end, self.first_paragraph) {
            (Some((end, plain_end)), _) => (&self.out[..end], &self.plain[..plain_end]),
            (None, Some((start, end, plain_start, plain_end))) if end > start => (
                &self.out[start..end.min(self.out.len())],
                &self.plain[plain_start..plain_end],
            ),
            _ => (&self.out[..0], ""),
        };
        let mut summary = String::new();
        html::push_html(&mut summary, summary_events.iter().cloned());
        self.rendered.summary = summary;
        let mut collapsed = String::with_capacity(summary_text.len());
        for word in summary_text.split_whitespace() {
            if !collapsed.is_empty() {
                collapsed.push(' ');
            }
            collapsed.push_str(word);
        }
        self.rendered.summary_text = collapsed;
        self.rendered.words = count_words(&self.plain);
        self.rendered.html = html_out;
        self.rendered.toc = nest(&self.headings);
        (self.rendered, self.diagnostics)
    }
}

/// `text` escaped for HTML text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

fn escape_into(out: &mut String, text: &str) {
    // Byte by byte, copying the runs between the characters to escape: all five are ASCII,
    // and no byte of a longer UTF-8 character is ASCII.
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let escape = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        out.push_str(escape);
        start = i + 1;
    }
    out.push_str(&text[start..]);
}

/// Nests a flat list of headings: each heading holds the deeper ones that follow it.
fn nest(flat: &[(u8, String, String)]) -> Vec<Heading> {
    let mut result: Vec<Heading> = Vec::new();
    for (level, id, title) in flat {
        let heading = Heading {
            level: *level,
            id: id.clone(),
            title: title.clone(),
            children: Vec::new(),
        };
        insert(&mut result, heading);
    }
    result
}

fn insert(siblings: &mut Vec<Heading>, heading: Heading) {
    match siblings.last_mut() {
        Some(last) if last.level < heading.level => insert(&mut last.children, heading),
        _ => siblings.push(heading),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Urls;
    impl Resolve for Urls {
        fn url_of(&self, path: &str) -> Option<String> {
            (path == "blog/a.md").then(|| "/blog/a/".to_owned())
        }
    }

    fn md(body: &str) -> (Rendered, Vec<Diagnostic>) {
        let source = SourceText {
            file: "content/x.md".into(),
            text: format!("+++\ntitle = \"x\"\n+++\n{body}").into(),
            body_offset: 20,
        };
        render(&source, &Urls)
    }

    #[test]
    fn headings_get_unique_ids_and_anchors() {
        let (r, _) = md("## Hello World\n\n## Hello World\n\n### Sub *part*\n");
        assert!(r.html.contains(
            "<h2 id=\"hello-world\">Hello World <a class=\"anchor\" href=\"#hello-world\""
        ));
        assert!(r.html.contains("<h2 id=\"hello-world-1\">"));
        assert_eq!(r.ids, ["hello-world", "hello-world-1", "sub-part"]);
        assert_eq!(r.toc.len(), 2);
        assert_eq!(r.toc[1].children[0].title, "Sub part");
    }

    #[test]
    fn summary_is_before_more_or_first_paragraph() {
        let (r, _) = md("First *para*.\n\n<!-- more -->\n\nSecond.\n");
        assert_eq!(r.summary, "<p>First <em>para</em>.</p>\n");
        assert_eq!(r.summary_text, "First para.");
        let (r, _) = md("## Title\n\nOnly this.\n\nNot this.\n");
        assert_eq!(r.summary, "<p>Only this.</p>\n");
    }

    #[test]
    fn counts_words_across_smart_punctuation() {
        let (r, _) = md("Don't stop -- it's \"fine\".\n\n- one two\n");
        assert_eq!(r.words, 6);
        assert!(r.html.contains("Don’t"));
        assert!(r.html.contains("–"));
    }

    #[test]
    fn finds_the_addresses_in_pasted_html() {
        let html = r#"<a class=x href="/a/">a</a><IMG data-src="no" SRC='/b.jpg'><a href=/c/ >"#;
        let found = super::html_addresses(html);
        assert_eq!(
            found,
            vec![("/a/", 17, false), ("/c/", 67, false), ("/b.jpg", 51, true)]
        );
        for (url, at, _) in found {
            assert_eq!(&html[at..at + url.len()], url);
        }
    }

    #[test]
    fn resolves_internal_links_and_reports_missing_ones_at_their_line() {
        let (r, errors) = md("See [a](@/blog/a.md#x).\n\nAnd [b](@/blog/missing.md).\n");
        assert!(r.html.contains("href=\"/blog/a/#x\""));
        assert_eq!(r.internal_links[0].anchor.as_deref(), Some("x"));
        assert_eq!(errors.len(), 1);
        let location = errors[0].location.as_ref().unwrap();
        assert_eq!((location.line, location.col), (6, 5));
    }

    #[test]
    fn supports_tables_footnotes_tasks_and_strikethrough() {
        let (r, _) = md("|a|b|\n|-|-|\n|1|2|\n\nX[^1]\n\n[^1]: note\n\n- [ ] task\n\n~~old~~\n");
        assert!(r.html.contains("<table>"));
        assert!(r.html.contains("footnote-definition"));
        assert!(r.html.contains("type=\"checkbox\""));
        assert!(r.html.contains("<del>old</del>"));
    }

    #[test]
    fn raw_html_passes_through_and_titles_are_escaped_in_anchors() {
        let (r, _) = md("<iframe src=\"https://v.example/x\"></iframe>\n\n## Fish & `<chips>`\n");
        assert!(
            r.html
                .contains("<iframe src=\"https://v.example/x\"></iframe>")
        );
        assert!(
            r.html
                .contains("aria-label=\"Link to “Fish &amp; &lt;chips&gt;”\""),
            "{}",
            r.html
        );
    }
}
