//! What each output read while it was rendered, for `knead serve`.
//!
//! While an output renders with tracing on ([`traced`]), every read the renderer makes of other
//! pages, lists and tags is noted where it is made ([`note`]) as a [`Read`]: a page at the level
//! it is shown (a link, a summary, all of it), or a list (a section's list page, the dated
//! posts, a tag's pages). A read names what it read by a stable [`Key`] (a hash of the page's
//! path under `content/`, the section's file, the tag's slug or the author's id), not by its
//! place in the site, so it means the same thing in the next build. After an edit, [`Reads`]
//! tells for each read whether it gives the same as it did; an output all of whose reads give
//! the same, under the same [`global`] values and templates, renders to the same bytes and is
//! kept.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;

use rayon::prelude::*;
use tera::Value;
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::content::{Page, PageId, SectionId};
use crate::markdown::{Bodies, Rendered};
use crate::site::{Job, Site};
use crate::source::Sources;
use crate::values::Values;

/// A stable name: the hash of a page's path under `content/`, a section's file, a tag's slug
/// or an author's id.
pub(crate) type Key = u64;

/// One read an output made while it rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Read {
    /// A page's title and address.
    Link(Key),
    /// A page's summary, as lists show it.
    Summary(Key),
    /// Everything of a page: its text, its front matter, its summary.
    Full(Key),
    /// A page's previous and next page in its section.
    Neighbours(Key),
    /// A page's related posts.
    Related(Key),
    /// The services a page links to.
    Services(Key),
    /// List page `n` of a section: which pages, and how many list pages.
    Pager(Key, usize),
    /// A tag's value and its pages, in order, with their dates.
    Tag(Key),
    /// An author's pages.
    Author(Key),
    /// Every dated post, in order, with their dates.
    Dated,
    /// Every tag's value.
    Tags,
    /// Every page's address and dates, and when each list (the dated posts, each section's,
    /// tag's and author's) last changed: what the sitemap shows.
    Shape,
    /// Every page's summary, in order.
    Summaries,
}

thread_local! {
    /// The reads of the output this thread is rendering with tracing on, if any.
    static TRACE: RefCell<Option<Vec<Read>>> = const { RefCell::new(None) };
}

/// Notes a read of the output being rendered on this thread (nothing when not tracing).
pub(crate) fn note(read: Read) {
    TRACE.with(|trace| {
        if let Some(reads) = trace.borrow_mut().as_mut() {
            reads.push(read);
        }
    });
}

/// Runs `render` with tracing on, and returns its result with the reads it made.
pub(crate) fn traced<T>(render: impl FnOnce() -> T) -> (T, Vec<Read>) {
    let outer = TRACE.with(|trace| trace.replace(Some(Vec::new())));
    let result = render();
    let mut reads = TRACE.with(|trace| trace.replace(outer)).unwrap_or_default();
    reads.sort_unstable();
    reads.dedup();
    (result, reads)
}

/// The stable key of a name.
pub(crate) fn key(name: &str) -> Key {
    xxh3_64(name.as_bytes())
}

/// The stable keys of a site's pages, sections and tags, by id.
pub(crate) struct Keys {
    /// By page id.
    pub(crate) pages: Vec<Key>,
    /// By section id.
    pub(crate) sections: Vec<Key>,
    /// By tag index.
    pub(crate) tags: Vec<Key>,
}

impl Keys {
    pub(crate) fn new(site: &Site) -> Keys {
        Keys {
            pages: site.pages().iter().map(|p| key(&p.content_path)).collect(),
            sections: site
                .sections()
                .iter()
                .map(|s| key(&s.source.file.to_string_lossy()))
                .collect(),
            tags: site.tags().iter().map(|t| key(&t.slug)).collect(),
        }
    }

    /// Notes that the output read these pages at `level` (`Read::Link`, `Read::Summary` or
    /// `Read::Full`).
    pub(crate) fn note_pages(&self, ids: &[PageId], level: fn(Key) -> Read) {
        for id in ids {
            note(level(self.pages[id.0]));
        }
    }
}

/// A stable name for an output: what kind of output, of which page, section, tag or author.
pub(crate) fn job_key(job: &Job, keys: &Keys) -> u64 {
    let mut hasher = Xxh3::new();
    let (kind, key, number): (u8, Key, usize) = match job {
        Job::Home => (0, 0, 0),
        Job::Section(id, n) => (1, keys.sections[id.0], *n),
        Job::Page(id) => (2, keys.pages[id.0], 0),
        Job::Tags => (3, 0, 0),
        Job::Tag(i, n) => (4, keys.tags[*i], *n),
        Job::TagFeed(i) => (5, keys.tags[*i], 0),
        Job::Author(id) => (6, key(id), 0),
        Job::NotFound => (7, 0, 0),
        Job::Search => (8, 0, 0),
        Job::SearchIndex => (9, 0, 0),
        Job::Atom => (10, 0, 0),
        Job::Sitemap => (11, 0, 0),
        Job::Robots => (12, 0, 0),
        Job::Alias(id, output) => {
            hasher.update(output.as_bytes());
            (13, keys.pages[id.0], 0)
        }
    };
    hasher.update(&[kind]);
    hasher.update(&key.to_le_bytes());
    hasher.update(&number.to_le_bytes());
    hasher.digest()
}

/// The settings and the templates, as a hash: what every value templates see is made with.
pub(crate) fn settings(sources: &Sources, drafts: bool, future: bool) -> u64 {
    let mut hasher = Xxh3::new();
    hasher.update(sources.config_text.as_bytes());
    for (name, text) in &sources.templates {
        hasher.update(name.as_bytes());
        hasher.update(&[0]);
        hasher.update(text.as_bytes());
        hasher.update(&[0]);
    }
    hasher.update(&[u8::from(drafts), u8::from(future)]);
    hasher.digest()
}

/// What every output sees: the [`settings`], `site` and the sections. When it changes, every
/// output renders again.
pub(crate) fn global(settings: u64, values: &Values) -> u64 {
    let mut hasher = Xxh3::new();
    hasher.update(&settings.to_le_bytes());
    hasher.update(&value_hash(&values.site, true).to_le_bytes());
    for section in &values.sections {
        hasher.update(&value_hash(section, true).to_le_bytes());
    }
    hasher.digest()
}

/// What each read gives on one site: the values reads are compared by. Made once per build;
/// what many outputs read (a tag's list, the dated posts) is hashed once, here.
pub(crate) struct Reads<'a> {
    site: &'a Site,
    keys: &'a Keys,
    page_ids: HashMap<Key, PageId>,
    section_ids: HashMap<Key, SectionId>,
    tag_ids: HashMap<Key, usize>,
    /// By page id.
    pages: Vec<PageHashes>,
    /// By tag index.
    tags: Vec<u64>,
    authors: HashMap<Key, u64>,
    dated: u64,
    all_tags: u64,
    shape: u64,
    summaries: u64,
}

/// What a page gives at each level, and its neighbours.
#[derive(Clone, Copy)]
struct PageHashes {
    link: u64,
    summary: u64,
    full: u64,
    neighbours: u64,
}

impl<'a> Reads<'a> {
    /// `counts_shown`: whether the templates may show a tag's page count in a page's summary
    /// (the built-in theme does not: see `templates::only_theme`).
    /// `earlier` gives a page's summary and full hashes when they are known to be the same as
    /// before (`knead serve` keeps them with the summaries [`Values::reusing`] reuses).
    pub(crate) fn new(
        site: &'a Site,
        bodies: &Bodies,
        values: &Values,
        keys: &'a Keys,
        counts_shown: bool,
        earlier: &(dyn Fn(PageId) -> Option<(u64, u64)> + Sync),
    ) -> Reads<'a> {
        let mut places = vec![None; site.pages().len()];
        for (s, ids) in site.section_pages().iter().enumerate() {
            for (i, id) in ids.iter().enumerate() {
                places[id.0] = Some((SectionId(s), i));
            }
        }
        let list = |ids: &[PageId], dates: bool| {
            let mut hasher = Xxh3::new();
            add_list(&mut hasher, site, keys, ids, dates);
            hasher.digest()
        };
        let pages: Vec<PageHashes> = (0..site.pages().len())
            .into_par_iter()
            .with_max_len(64)
            .map(|i| {
                let page = &site.pages()[i];
                let mut hasher = Xxh3::new();
                hasher.update(page.title.as_bytes());
                hasher.update(&[0]);
                hasher.update(page.path.as_bytes());
                let link = hasher.digest();
                let (summary, full) = earlier(PageId(i)).unwrap_or_else(|| {
                    let summary = value_hash(&values.summaries[i], counts_shown);
                    (summary, full_hash(page, bodies.page(PageId(i)), summary))
                });
                let (before, after) = match places[i] {
                    Some((section, at)) => site.neighbours_at(section, at),
                    None => (None, None),
                };
                let neighbours = list(
                    &[before, after].map(|p| p.unwrap_or(PageId(usize::MAX))),
                    false,
                );
                PageHashes {
                    link,
                    summary,
                    full,
                    neighbours,
                }
            })
            .collect();
        let tags = site
            .tags()
            .par_iter()
            .enumerate()
            .map(|(i, tag)| {
                let mut hasher = Xxh3::new();
                hasher.update(&value_hash(&values.tags[i], true).to_le_bytes());
                add_list(&mut hasher, site, keys, &tag.pages, true);
                hasher.digest()
            })
            .collect();
        let authors = site
            .author_pages()
            .iter()
            .map(|(id, ids)| (key(id), list(ids, true)))
            .collect();
        let mut hasher = Xxh3::new();
        for tag in &values.tags {
            hasher.update(&value_hash(tag, true).to_le_bytes());
        }
        let all_tags = hasher.digest();
        let mut hasher = Xxh3::new();
        for (i, page) in site.pages().iter().enumerate() {
            hasher.update(&keys.pages[i].to_le_bytes());
            hasher.update(page.path.as_bytes());
            hasher.update(&[0]);
            (page.date, page.updated, page.draft).hash(&mut hasher);
        }
        // Of each list, the sitemap shows when it last changed, not what is on it.
        site.last_modified(site.dated()).hash(&mut hasher);
        for ids in site.section_pages() {
            site.last_modified(ids).hash(&mut hasher);
        }
        for tag in site.tags() {
            hasher.update(tag.slug.as_bytes());
            site.last_modified(&tag.pages).hash(&mut hasher);
        }
        for (id, ids) in site.author_pages() {
            hasher.update(id.as_bytes());
            site.last_modified(ids).hash(&mut hasher);
        }
        let shape = hasher.digest();
        let mut hasher = Xxh3::new();
        for (key, page) in keys.pages.iter().zip(&pages) {
            hasher.update(&key.to_le_bytes());
            hasher.update(&page.summary.to_le_bytes());
        }
        let summaries = hasher.digest();
        Reads {
            site,
            keys,
            page_ids: keys
                .pages
                .iter()
                .enumerate()
                .map(|(i, &k)| (k, PageId(i)))
                .collect(),
            section_ids: keys
                .sections
                .iter()
                .enumerate()
                .map(|(i, &k)| (k, SectionId(i)))
                .collect(),
            tag_ids: keys.tags.iter().enumerate().map(|(i, &k)| (k, i)).collect(),
            pages,
            tags,
            authors,
            dated: list(site.dated(), true),
            all_tags,
            shape,
            summaries,
        }
    }

    /// A page's summary and full hashes, as [`Reads::new`]'s `earlier` takes them.
    pub(crate) fn page_hashes(&self, id: PageId) -> (u64, u64) {
        let page = &self.pages[id.0];
        (page.summary, page.full)
    }

    /// What `read` gives on this site; `None` when what it read is gone.
    pub(crate) fn give(&self, read: &Read) -> Option<u64> {
        let page = |k: &Key| Some(&self.pages[self.page_ids.get(k)?.0]);
        let list = |ids: &[PageId]| {
            let mut hasher = Xxh3::new();
            add_list(&mut hasher, self.site, self.keys, ids, false);
            hasher.digest()
        };
        Some(match read {
            Read::Link(k) => page(k)?.link,
            Read::Summary(k) => page(k)?.summary,
            Read::Full(k) => page(k)?.full,
            Read::Neighbours(k) => page(k)?.neighbours,
            Read::Related(k) => list(&self.site.related()[self.page_ids.get(k)?.0]),
            Read::Services(k) => list(&self.site.page_services()[self.page_ids.get(k)?.0]),
            Read::Pager(k, n) => {
                let (chunk, total) = self.site.pager(*self.section_ids.get(k)?, *n);
                let mut hasher = Xxh3::new();
                add_list(&mut hasher, self.site, self.keys, chunk, false);
                hasher.update(&total.to_le_bytes());
                hasher.digest()
            }
            Read::Tag(k) => self.tags[*self.tag_ids.get(k)?],
            Read::Author(k) => *self.authors.get(k)?,
            Read::Dated => self.dated,
            Read::Tags => self.all_tags,
            Read::Shape => self.shape,
            Read::Summaries => self.summaries,
        })
    }
}

/// A hash of everything of a page: its summary's hash, its file and its Markdown rendered.
fn full_hash(page: &Page, rendered: &Rendered, summary: u64) -> u64 {
    let mut hasher = Xxh3::new();
    hasher.update(&summary.to_le_bytes());
    hasher.update(page.source.file.to_string_lossy().as_bytes());
    hasher.update(&[0]);
    hasher.update(page.source.text.as_bytes());
    hasher.update(&page.source.body_offset.to_le_bytes());
    hasher.update(rendered.html.as_bytes());
    hasher.update(&[0]);
    hasher.update(page.path.as_bytes());
    hasher.digest()
}

/// Adds a list of pages (which, in order; with their dates when `dates`) to `hasher`. An id
/// past the site's pages stands for no page.
fn add_list(hasher: &mut Xxh3, site: &Site, keys: &Keys, ids: &[PageId], dates: bool) {
    hasher.update(&ids.len().to_le_bytes());
    for id in ids {
        let Some(key) = keys.pages.get(id.0) else {
            hasher.update(&[0xff]);
            continue;
        };
        hasher.update(&key.to_le_bytes());
        if dates {
            let page = site.page(*id);
            (page.date, page.updated).hash(hasher);
        }
    }
}

/// A hash of a template value, the same for equal values whatever the order of their maps'
/// keys. Without `counts`, the page counts of a summary's tags are left out.
pub(crate) fn value_hash(value: &Value, counts: bool) -> u64 {
    let mut hasher = Xxh3::new();
    add_value(&mut hasher, value, counts, 0);
    hasher.digest()
}

fn add_value(hasher: &mut Xxh3, value: &Value, counts: bool, depth: u8) {
    if let Some(map) = value.as_map() {
        // Each entry hashed on its own and added: the order of a Tera map is not fixed.
        let mut sum: u64 = 0;
        for (key, entry) in map {
            let name = match key.as_str() {
                Some(name) => std::borrow::Cow::Borrowed(name),
                None => std::borrow::Cow::Owned(key.as_value().to_string()),
            };
            let name = name.as_ref();
            // A summary's `tags` are at depth 0; each tag's `count` at depth 2.
            if !counts && depth == 2 && name == "count" {
                continue;
            }
            let mut inner = Xxh3::new();
            inner.update(name.as_bytes());
            inner.update(&[0]);
            let depth = if depth == 0 && name == "tags" {
                1
            } else {
                u8::MAX
            };
            add_value(&mut inner, entry, counts, depth);
            sum = sum.wrapping_add(inner.digest());
        }
        hasher.update(b"m");
        hasher.update(&sum.to_le_bytes());
    } else if let Some(list) = value.as_array() {
        hasher.update(b"a");
        hasher.update(&list.len().to_le_bytes());
        let depth = if depth == 1 { 2 } else { u8::MAX };
        for item in list {
            add_value(hasher, item, counts, depth);
        }
    } else if let Some(text) = value.as_str() {
        hasher.update(if value.is_safe() { b"S" } else { b"s" });
        hasher.update(&text.len().to_le_bytes());
        hasher.update(text.as_bytes());
    } else {
        // Numbers, booleans, none: their text is short and says what they are.
        hasher.update(b"v");
        hasher.update(value.to_string().as_bytes());
        hasher.update(&[u8::from(value.is_none()), u8::from(value.is_safe())]);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::BuildOptions;
    use crate::assets::Assets;
    use crate::source::{ContentFile, Sources};

    /// A site assembled from `files` (path under `content/`, text), Markdown rendered.
    fn site_of(files: &[(&str, String)]) -> (Site, Bodies) {
        let sources = Sources {
            config_text: "title = \"T\"\nbase_url = \"https://x.example\"\n".to_owned(),
            content: files
                .iter()
                .map(|(rel, text)| ContentFile {
                    rel: (*rel).to_owned(),
                    bytes: text.clone().into_bytes(),
                })
                .collect(),
            ..Sources::default()
        };
        let options = BuildOptions {
            now: Some("2026-01-01T00:00:00Z".parse().unwrap()),
            ..BuildOptions::new("site")
        };
        let prepared = crate::prepare(&sources, &options).unwrap();
        (prepared.site, prepared.bodies)
    }

    fn post(title: &str, tags: &str) -> String {
        format!("+++\ntitle = \"{title}\"\ndate = 2025-01-01\ntags = [{tags}]\n+++\nText.\n")
    }

    #[test]
    fn a_value_hashes_the_same_whatever_the_order_of_its_maps() {
        let mut one = tera::value::Map::default();
        let mut two = tera::value::Map::default();
        for (key, value) in [("a", 1), ("b", 2), ("c", 3)] {
            one.insert(tera::value::Key::Str(key), Value::from(value));
        }
        for (key, value) in [("c", 3), ("b", 2), ("a", 1)] {
            two.insert(tera::value::Key::Str(key), Value::from(value));
        }
        assert_eq!(
            value_hash(&Value::from(one.clone()), true),
            value_hash(&Value::from(two), true)
        );
        let mut other = one.clone();
        other.insert(tera::value::Key::Str("a"), Value::from(2));
        assert_ne!(
            value_hash(&Value::from(one.clone()), true),
            value_hash(&Value::from(other), true)
        );
        // Values swapped between keys differ.
        let mut swapped = one.clone();
        swapped.insert(tera::value::Key::Str("a"), Value::from(2));
        swapped.insert(tera::value::Key::Str("b"), Value::from(1));
        assert_ne!(
            value_hash(&Value::from(one), true),
            value_hash(&Value::from(swapped), true)
        );
        assert_ne!(
            value_hash(&Value::from("1"), true),
            value_hash(&Value::from(1), true)
        );
        assert_ne!(
            value_hash(
                &Value::from(vec![Value::from("ab"), Value::from("c")]),
                true
            ),
            value_hash(
                &Value::from(vec![Value::from("a"), Value::from("bc")]),
                true
            )
        );
    }

    /// A summary's hash without counts leaves out only its tags' page counts.
    #[test]
    fn a_summary_hash_without_counts_leaves_out_only_the_counts() {
        let before = site_of(&[
            ("blog/a.md", post("A", "\"Neck\", \"Back\"")),
            ("blog/b.md", post("B", "\"Neck\"")),
        ]);
        let after = site_of(&[
            ("blog/a.md", post("A", "\"Neck\", \"Back\"")),
            ("blog/b.md", post("B", "\"Neck\"")),
            ("blog/c.md", post("C", "\"Back\", \"Neck\"")),
        ]);
        let old = Values::new(&before.0, &before.1, &Assets::default());
        let new = Values::new(&after.0, &after.1, &Assets::default());
        let a = |values: &Values, counts| value_hash(&values.summaries[0], counts);
        assert_eq!(before.0.pages()[0].content_path, "blog/a.md");
        assert_eq!(after.0.pages()[0].content_path, "blog/a.md");
        assert_ne!(a(&old, true), a(&new, true), "the counts differ");
        assert_eq!(a(&old, false), a(&new, false));
        let renamed = site_of(&[
            ("blog/a.md", post("A", "\"Neck\", \"Backs\"")),
            ("blog/b.md", post("B", "\"Neck\"")),
        ]);
        let renamed = Values::new(&renamed.0, &renamed.1, &Assets::default());
        assert_ne!(a(&old, false), a(&renamed, false), "a tag's name counts");
    }

    /// Summaries' hashes leave tags' page counts out with the built-in theme, so that a tag
    /// edit does not render again every page listing a post with that tag: this holds only
    /// while the theme never shows them in a summary.
    #[test]
    fn the_built_in_theme_never_shows_a_summarys_tag_counts() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let sources = crate::source::read(root).unwrap();
        assert!(crate::templates::only_theme(&sources.templates));
        let options = BuildOptions {
            drafts: true,
            future: true,
            now: Some("2026-01-01T00:00:00Z".parse().unwrap()),
            ..BuildOptions::new(root)
        };
        let crate::Prepared {
            site,
            bodies,
            assets,
            templates,
            ..
        } = crate::prepare(&sources, &options).unwrap();
        assert!(site.tags().iter().any(|tag| tag.pages.len() > 1));
        let jobs = site.jobs();
        let render = |values: &Values| {
            crate::render::render_traced(&site, &bodies, &templates, values, &jobs).unwrap()
        };
        let shown = render(&Values::new(&site, &bodies, &assets));
        let hidden = render(&Values::without_summary_tag_counts(&site, &bodies, &assets));
        assert_eq!(shown.len(), hidden.len());
        for ((path, with, _), (_, without, _)) in shown.iter().zip(&hidden) {
            assert!(with == without, "{path} shows how many pages a tag has");
        }
    }
}
