//! `Site::assemble`: the whole site as one read-only value.
//!
//! Turns the parsed pages and sections into a tree, leaves out drafts and future posts, sorts,
//! groups tags, checks authors, and claims every output path so that two sources that would write
//! the same file are reported (naming both) before anything is rendered.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rayon::prelude::*;

use crate::config::{Config, MenuItem};
use crate::content::{Page, PageId, Parsed, Section, SectionId};
use crate::error::{Diagnostic, Diagnostics};
use crate::front_matter::SortBy;
use crate::markdown::Rendered;
use crate::slug::slugify;
use crate::source::FileRef;
use crate::toml_errors::{find_key_line, suggest};

mod jobs;
mod update;

pub(crate) use jobs::Job;
use jobs::{TAG_INDEX, page_output, tag_feed_output, tag_pager_output, tag_pagers};
pub use jobs::{TAG_PAGE_SIZE, alias_output, author_path, tag_pager_path};
pub(crate) use update::{Claims, Declined, PageChanges, SiteFiles, Update};

/// How many posts the home page lists.
pub const LATEST_POSTS: usize = 5;

/// Which pages a build includes.
#[derive(Debug, Clone, Copy)]
pub struct Filter {
    /// Include pages with `draft = true`.
    pub drafts: bool,
    /// Include pages dated after `now`.
    pub future: bool,
    /// The moment of the build.
    pub now: Timestamp,
}

impl Filter {
    /// Whether a build with this filter includes `page`.
    pub fn includes(&self, page: &Page) -> bool {
        (self.drafts || !page.draft)
            && (self.future || !page.date.is_some_and(|d| d.is_future(self.now)))
    }
}

/// The whole site: a plain value, indexed by [`PageId`] and [`SectionId`], shared read-only.
#[derive(Debug, Clone)]
pub struct Site {
    /// The settings.
    pub config: Config,
    /// Every published page.
    pub pages: Vec<Page>,
    /// Every section; `SectionId(0)` is the home page.
    pub sections: Vec<Section>,
    /// The pages of each section, in the section's order (by `SectionId`).
    pub section_pages: Vec<Vec<PageId>>,
    /// Each page's section.
    pub page_section: Vec<SectionId>,
    /// Tags, sorted by slug.
    pub tags: Vec<Tag>,
    /// Files copied as they are: `static/` and the files of page bundles and sections.
    pub assets: Vec<Asset>,
    /// Dated pages, newest first.
    pub dated: Vec<PageId>,
    /// The main navigation.
    pub menu: Vec<MenuItem>,
    /// Each page's service pages (from `services` in its front matter).
    pub page_services: Vec<Vec<PageId>>,
    /// Each dated page's related posts: those sharing the most tags, newest first.
    pub related: Vec<Vec<PageId>>,
    /// Author ids that have at least one page, each with their pages, newest first.
    pub author_pages: BTreeMap<String, Vec<PageId>>,
    /// The moment of the build, to tell scheduled posts (shown by `--future`) from published ones.
    pub now: Timestamp,
    /// When the first post left out for being scheduled is due: the site changes then, though
    /// no file does. Set by [`Site::assemble`] for `knead build`'s manifest; a session's
    /// incremental updates do not maintain it.
    pub next_change: Option<Timestamp>,
    /// Each page's Markdown, rendered (filled by the markdown stage).
    pub rendered: Vec<Rendered>,
    /// Each section's Markdown, rendered (filled by the markdown stage).
    pub section_rendered: Vec<Rendered>,
}

/// A tag and the pages that carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The spelling most pages use.
    pub name: String,
    /// Its address segment.
    pub slug: String,
    /// Its pages, newest first.
    pub pages: Vec<PageId>,
}

/// A file copied into the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Where it goes, relative to the output folder.
    pub output: String,
    /// Where it comes from.
    pub source: AssetSource,
    /// Width and height, for images.
    pub size: Option<(u32, u32)>,
}

/// Where an asset's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetSource {
    /// A file of the built-in theme.
    Embedded(&'static [u8]),
    /// A file on disk; `shown` is how messages name it.
    File {
        /// Its path on disk.
        path: PathBuf,
        /// Its path as shown to the user, e.g. `static/logo.png`.
        shown: PathBuf,
    },
}

/// The owner of outputs that knead generates itself, in collision messages.
const GENERATED: &str = "(generated)";

/// How many related posts a post lists.
pub const RELATED_POSTS: usize = 3;

impl Site {
    /// Assembles the site. `theme_static` are the built-in theme's static files, which a site's
    /// own `static/` files replace by name.
    pub fn assemble(
        config: Config,
        parsed: Parsed,
        content_assets: &[FileRef],
        static_files: &[FileRef],
        theme_static: &[(&str, &'static [u8])],
        filter: Filter,
    ) -> Result<Site, Diagnostics> {
        let mut diagnostics = Diagnostics::default();
        let pages: Vec<Page> = parsed
            .pages
            .into_iter()
            .filter(|page| filter.drafts || !page.draft)
            .collect();
        let next_change = pages
            .iter()
            .filter_map(|page| page.date.as_ref())
            .filter(|date| !filter.future && date.is_future(filter.now))
            .map(|date| date.published_at())
            .min();
        let pages: Vec<Page> = pages
            .into_iter()
            .filter(|page| filter.includes(page))
            .collect();
        let mut pages = pages;
        pages.sort_by(|a, b| a.content_path.cmp(&b.content_path));

        let sections = build_sections(&config, parsed.sections, &pages);
        let index: HashMap<&str, usize> = sections
            .iter()
            .enumerate()
            .map(|(i, s)| (s.dir.as_str(), i))
            .collect();
        let page_section: Vec<SectionId> = pages
            .iter()
            .map(|p| SectionId(index[p.section_dir.as_str()]))
            .collect();
        let mut section_pages = vec![Vec::new(); sections.len()];
        for (i, section) in page_section.iter().enumerate() {
            section_pages[section.0].push(PageId(i));
        }
        // Every page's place in date order, sorted once: the lists by date (sections, the
        // dated pages, each tag's pages) take their order from it.
        let mut by_date: Vec<PageId> = (0..pages.len()).map(PageId).collect();
        sort_pages(&mut by_date, &pages, SortBy::Date);
        let mut date_rank = vec![0; pages.len()];
        for (rank, id) in by_date.iter().enumerate() {
            date_rank[id.0] = rank;
        }
        for (section, ids) in sections.iter().zip(&mut section_pages) {
            match section.sort_by {
                SortBy::Date => ids.sort_unstable_by_key(|id| date_rank[id.0]),
                sort_by => sort_pages(ids, &pages, sort_by),
            }
        }

        check_authors(&config, &pages, &mut diagnostics);
        let page_services = resolve_services(&pages, &mut diagnostics);
        let tags = group_tags(&pages, &date_rank);
        let dated: Vec<PageId> = by_date
            .into_iter()
            .filter(|id| pages[id.0].date.is_some())
            .collect();

        let assets = collect_assets(
            &pages,
            &sections,
            content_assets,
            static_files,
            theme_static,
        );
        let menu = site_menu(&config, &pages, &sections, &page_section);
        let related = related_posts(&pages, &tags);
        let author_pages = author_pages(&config, &pages, &dated);
        let site = Site {
            now: filter.now,
            next_change,
            page_services,
            related,
            author_pages,
            rendered: vec![Rendered::default(); pages.len()],
            section_rendered: vec![Rendered::default(); sections.len()],
            config,
            pages,
            sections,
            section_pages,
            page_section,
            tags,
            assets,
            dated,
            menu,
        };
        site.claim_outputs(&mut diagnostics);
        if diagnostics.has_errors() {
            diagnostics.sort();
            return Err(diagnostics);
        }
        Ok(site)
    }

    /// The pixel size of the image at root-relative address `url`, when it is one of the site's
    /// files and its size is known.
    pub fn image_size(&self, url: &str) -> Option<(u32, u32)> {
        let rel = url.strip_prefix(&self.config.root)?;
        let i = self
            .assets
            .binary_search_by(|asset| asset.output.as_str().cmp(rel))
            .ok()?;
        self.assets[i].size
    }

    /// The section a page belongs to.
    pub fn section_of(&self, page: PageId) -> &Section {
        &self.sections[self.page_section[page.0].0]
    }

    /// Frees the Markdown bodies once the markdown stage has rendered them: rendering reads
    /// only the front matter (to locate its errors), and a large site's text is tens of
    /// megabytes. The session, which renders pages again, keeps them.
    pub fn release_markdown(&mut self) {
        let sources = self
            .pages
            .iter_mut()
            .map(|p| &mut p.source)
            .chain(self.sections.iter_mut().map(|s| &mut s.source));
        for source in sources {
            source.text.truncate(source.body_offset);
            source.text.shrink_to_fit();
        }
    }

    /// The list pages of a section: its pages cut into chunks of `paginate_by`.
    pub fn paginate(&self, section: SectionId) -> Vec<&[PageId]> {
        let ids = &self.section_pages[section.0];
        let per_page = self.sections[section.0].paginate_by;
        if per_page == 0 || ids.is_empty() {
            return vec![ids.as_slice()];
        }
        ids.chunks(per_page).collect()
    }

    /// List page `number` (1-based) of a section, as [`Site::paginate`] cuts it, and how many
    /// list pages the section has, without cutting them all.
    pub(crate) fn pager(&self, section: SectionId, number: usize) -> (&[PageId], usize) {
        let ids = &self.section_pages[section.0];
        let per_page = self.sections[section.0].paginate_by;
        if per_page == 0 || ids.is_empty() {
            let chunk = if number == 1 { ids.as_slice() } else { &[] };
            return (chunk, 1);
        }
        let chunk = ids.chunks(per_page).nth(number.wrapping_sub(1));
        (chunk.unwrap_or_default(), ids.len().div_ceil(per_page))
    }

    /// The address, relative to the site root, of list page `number` (1-based) of a section.
    pub fn pager_path(&self, section: SectionId, number: usize) -> String {
        let base = &self.sections[section.0].path;
        if number <= 1 {
            base.clone()
        } else {
            format!("{base}page/{number}/")
        }
    }

    /// The page before and after `page` in its section's reading order. For a section sorted by
    /// date, "before" is the older post.
    pub fn neighbours(&self, page: PageId) -> (Option<PageId>, Option<PageId>) {
        let section = self.page_section[page.0];
        let ids = &self.section_pages[section.0];
        let Some(i) = ids.iter().position(|&id| id == page) else {
            return (None, None);
        };
        self.neighbours_at(section, i)
    }

    /// The neighbours of the page at place `i` in its section's list, as [`Site::neighbours`]
    /// gives them, without looking for its place.
    pub(crate) fn neighbours_at(
        &self,
        section: SectionId,
        i: usize,
    ) -> (Option<PageId>, Option<PageId>) {
        let ids = &self.section_pages[section.0];
        let before = i.checked_sub(1).map(|j| ids[j]);
        let after = ids.get(i + 1).copied();
        match self.sections[section.0].sort_by {
            // Lists are newest first; reading order is oldest first.
            SortBy::Date => (after, before),
            SortBy::Weight | SortBy::Title => (before, after),
        }
    }

    /// Every output path each source will write, checked for collisions: two sources writing
    /// one file (also names that differ only in case, which collide on macOS and Windows), and
    /// a file where another output needs a folder.
    fn claim_outputs(&self, diagnostics: &mut Diagnostics) {
        let claims = self.claims(diagnostics);
        diagnostics.extend(collisions(&claims));
    }

    /// Every output path with the source that writes it. Outputs knead generates come first, so
    /// a collision is reported in the user's file. Aliases that cannot be paths are reported.
    fn claims(&self, diagnostics: &mut Diagnostics) -> Vec<(String, PathBuf)> {
        let jobs = self.jobs();
        let mut claims: Vec<(String, PathBuf)> = Vec::new();
        let mut owned = Vec::new();
        for job in &jobs {
            match self.job_owner(job) {
                None => claims.push((job.path(self), PathBuf::from(GENERATED))),
                Some(owner) => owned.push((job.path(self), owner)),
            }
        }
        for asset in &self.assets {
            if let AssetSource::Embedded(_) = asset.source {
                let owner = format!("(built-in theme) static/{}", asset.output);
                claims.push((asset.output.clone(), owner.into()));
            }
        }
        claims.extend(owned);
        for page in &self.pages {
            for alias in &page.aliases {
                if let Err(reason) = alias_output(alias) {
                    diagnostics.push(alias_error(page, alias, &reason));
                }
            }
        }
        for asset in &self.assets {
            if let AssetSource::File { shown, .. } = &asset.source {
                claims.push((asset.output.clone(), shown.clone()));
            }
        }
        claims
    }

    /// The file whose content makes an output, or `None` for what knead generates itself.
    fn job_owner(&self, job: &Job) -> Option<PathBuf> {
        match job {
            Job::Home => Some(section_owner(&self.sections[0])),
            Job::Section(id, _) => Some(section_owner(&self.sections[id.0])),
            Job::Page(id) | Job::Alias(id, _) => Some(self.pages[id.0].source.file.clone()),
            _ => None,
        }
    }

    /// The output of list page `number` of a section.
    fn pager_output(&self, id: SectionId, number: usize) -> String {
        format!("{}index.html", self.pager_path(id, number))
    }
}

/// The collisions among `claims` (output path, owner), each reported at the later claim.
fn collisions(claims: &[(String, PathBuf)]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut files: HashMap<String, usize> = HashMap::new();
    for (i, (output, owner)) in claims.iter().enumerate() {
        match files.get(&output.to_lowercase()) {
            Some(&first) => {
                let (first_output, first_owner) = &claims[first];
                let what = if first_output == output {
                    format!("`{output}`")
                } else {
                    format!("`{output}` (and `{first_output}`, which differs only in case)")
                };
                diagnostics.push(collision(what, first_owner, owner));
            }
            None => {
                files.insert(output.to_lowercase(), i);
            }
        }
    }
    // A file where another output needs a folder: `atom.xml` and `atom.xml/index.html`.
    // Reported once, at the file, unless knead itself writes the file.
    let mut reported = std::collections::HashSet::new();
    for (output, owner) in claims {
        let lower = output.to_lowercase();
        for (at, _) in lower.match_indices('/') {
            let Some(&file) = files.get(&lower[..at]) else {
                continue;
            };
            let (file_output, file_owner) = &claims[file];
            let (at_owner, other) = if is_generated(file_owner) {
                (owner, file_owner)
            } else if reported.insert(file) {
                (file_owner, owner)
            } else {
                continue;
            };
            let other = if other.as_os_str() == GENERATED {
                "knead".to_owned()
            } else {
                format!("`{}`", other.display())
            };
            diagnostics.push(
                Diagnostic::error(format!(
                    "`{file_output}` would be a file, but {} needs a folder of that name (for `{output}`)",
                    if at_owner == file_owner { other } else { "this page".to_owned() },
                ))
                .in_file(at_owner)
                .with_hint("rename one of them"),
            );
        }
    }
    diagnostics
}

fn is_generated(owner: &Path) -> bool {
    owner.as_os_str() == GENERATED || owner.starts_with("(built-in theme) static")
}

/// The message for `owner` writing `what`, which `first` writes too.
fn collision(what: String, first: &Path, owner: &Path) -> Diagnostic {
    let diagnostic = if first.as_os_str() == GENERATED {
        Diagnostic::error(format!("this would write {what}, which knead itself writes"))
            .with_hint("rename or move this file, or give the page another `slug`; that name is taken by the site")
    } else if first.starts_with("(built-in theme) static") {
        Diagnostic::error(format!(
            "this would write {what}, which the built-in theme writes too"
        ))
        .with_hint("to replace the theme's file, give yours exactly the same name")
    } else {
        Diagnostic::error(format!(
            "this would write {what}, which `{}` writes too",
            first.display()
        ))
        .with_hint("give one of them another `slug` or file name")
    };
    diagnostic.in_file(owner)
}

fn section_owner(section: &Section) -> PathBuf {
    if section.source.file.as_os_str().is_empty() {
        Path::new("content").join(&section.dir)
    } else {
        section.source.file.clone()
    }
}

fn alias_error(page: &Page, alias: &str, reason: &str) -> Diagnostic {
    let text = &page.source.text;
    let offset = find_key_line(text, "aliases", '=')
        .or_else(|| find_key_line(text, "aliases", ':'))
        .unwrap_or(0);
    Diagnostic::error(format!("alias `{alias}` {reason}"))
        .at(&page.source.file, text, offset)
        .with_hint("write aliases as paths on this site, e.g. \"/old-blog/my-post/\"")
}

/// Every section that has pages or an `_index.md`, with the home section first and each folder
/// in between (a page in `a/b/` without `a/_index.md` still gets section `a/`).
fn build_sections(config: &Config, explicit: Vec<Section>, pages: &[Page]) -> Vec<Section> {
    let mut by_dir: BTreeMap<String, Section> =
        explicit.into_iter().map(|s| (s.dir.clone(), s)).collect();
    let dirs: Vec<String> = pages.iter().map(|p| p.section_dir.clone()).collect();
    for dir in std::iter::once(String::new()).chain(dirs) {
        let mut dir = dir.as_str();
        loop {
            by_dir
                .entry(dir.to_owned())
                .or_insert_with(|| Section::implicit(dir, &config.title));
            match dir.rsplit_once('/') {
                Some((parent, _)) => dir = parent,
                None if !dir.is_empty() => dir = "",
                None => break,
            }
        }
    }
    // BTreeMap order puts "" (home) first.
    by_dir.into_values().collect()
}

fn sort_pages(ids: &mut [PageId], pages: &[Page], sort_by: SortBy) {
    // Each page's key is made once, not at each comparison (a title's lower case is a new
    // string, and a large blog has several posts a day).
    ids.sort_by_cached_key(|id| page_key(&pages[id.0], sort_by));
}

/// The order of a list of pages sorted by `sort_by` ([`page_key`]), for putting a page in its
/// place in a sorted list by binary search.
fn page_order(
    pages: &[Page],
    sort_by: SortBy,
) -> impl Fn(&PageId, &PageId) -> std::cmp::Ordering + '_ {
    move |a, b| page_key(&pages[a.0], sort_by).cmp(&page_key(&pages[b.0], sort_by))
}

/// A page's place in a sorted list ([`page_key`]): undated (or unweighted) last and the date
/// (newest first) or weight (lightest first), then the title in lower case, then the source path.
type PageKey<'a> = (
    (bool, Option<std::cmp::Reverse<jiff::Timestamp>>),
    (bool, Option<i64>),
    String,
    &'a str,
);

/// Where a page goes in a list sorted by `sort_by`. A total order: ties end on the source path.
/// By date, newest first and undated last; by weight, lightest first and unweighted last;
/// then by title, ignoring case.
fn page_key(page: &Page, sort_by: SortBy) -> PageKey<'_> {
    let date = match sort_by {
        SortBy::Date => (
            page.date.is_none(),
            page.date.map(|d| std::cmp::Reverse(d.sort_key())),
        ),
        SortBy::Weight | SortBy::Title => (false, None),
    };
    let weight = match sort_by {
        SortBy::Weight => (page.weight.is_none(), page.weight),
        SortBy::Date | SortBy::Title => (false, None),
    };
    (date, weight, page.title.to_lowercase(), &page.content_path)
}

/// Every author id in site.toml, each with their dated pages, newest first.
fn author_pages(
    config: &Config,
    pages: &[Page],
    dated: &[PageId],
) -> BTreeMap<String, Vec<PageId>> {
    let mut author_pages: BTreeMap<String, Vec<PageId>> = config
        .authors
        .keys()
        .map(|id| (id.clone(), Vec::new()))
        .collect();
    for &id in dated {
        if let Some(list) = pages[id.0]
            .author
            .as_ref()
            .and_then(|a| author_pages.get_mut(a))
        {
            list.push(id);
        }
    }
    author_pages
}

fn check_authors<'a>(
    config: &Config,
    pages: impl IntoIterator<Item = &'a Page>,
    diagnostics: &mut Diagnostics,
) {
    let known: Vec<&str> = config.authors.keys().map(String::as_str).collect();
    for page in pages {
        for (key, author) in [("author", &page.author), ("reviewed_by", &page.reviewed_by)] {
            let Some(author) = author else { continue };
            if config.authors.contains_key(author) {
                continue;
            }
            let hint = match suggest(author, &known) {
                Some(near) => format!("did you mean `{near}`?"),
                None if known.is_empty() => {
                    format!("add `[authors.{author}]` with a `name` to site.toml")
                }
                None => format!(
                    "use one of the author ids in site.toml: {}, or add `[authors.{author}]`",
                    known.join(", ")
                ),
            };
            diagnostics.push(
                Diagnostic::error(format!("unknown author `{author}` in `{key}`"))
                    .at(&page.source.file, &page.source.text, key_in_page(page, key))
                    .with_hint(hint),
            );
        }
    }
}

/// The byte offset of the front matter line that sets `key`, or 0.
fn key_in_page(page: &Page, key: &str) -> usize {
    let text = &page.source.text[..page.source.body_offset];
    find_key_line(text, key, '=')
        .or_else(|| find_key_line(text, key, ':'))
        .unwrap_or(0)
}

/// Resolves `services = ["swedish-massage"]`: slugs of pages under `content/services/`, or
/// paths such as `services/swedish-massage.md`.
fn resolve_services(pages: &[Page], diagnostics: &mut Diagnostics) -> Vec<Vec<PageId>> {
    let is_service =
        |p: &Page| p.section_dir == "services" || p.section_dir.starts_with("services/");
    let available: Vec<&str> = pages
        .iter()
        .filter(|p| is_service(p))
        .map(|p| p.slug.as_str())
        .collect();
    pages
        .iter()
        .map(|page| {
            let mut ids = Vec::new();
            for wanted in &page.services {
                let path = wanted.trim().trim_start_matches("@/");
                let found = pages.iter().position(|p| {
                    if path.contains('/') {
                        p.content_path == path || p.content_path == format!("{path}.md")
                    } else {
                        is_service(p) && p.slug == path
                    }
                });
                match found {
                    Some(i) if !ids.contains(&PageId(i)) => ids.push(PageId(i)),
                    Some(_) => {}
                    None => {
                        let hint = match suggest(path, &available) {
                            Some(near) => format!("did you mean `{near}`?"),
                            None if available.is_empty() => {
                                "there are no pages in content/services/".to_owned()
                            }
                            None => format!("the services are: {}", available.join(", ")),
                        };
                        diagnostics.push(
                            Diagnostic::error(format!("unknown service `{wanted}`"))
                                .at(
                                    &page.source.file,
                                    &page.source.text,
                                    key_in_page(page, "services"),
                                )
                                .with_hint(hint),
                        );
                    }
                }
            }
            ids
        })
        .collect()
}

/// For each dated page, the dated pages that share the most tags with it (newest first among
/// equals), at most [`RELATED_POSTS`].
fn related_posts(pages: &[Page], tags: &[Tag]) -> Vec<Vec<PageId>> {
    let index = RelatedIndex::new(pages, tags).with_pairs();
    (0..pages.len())
        .into_par_iter()
        // Not too small: each piece of work makes its own scratch space.
        .with_max_len(256)
        .map_init(
            || RelatedScratch::new(pages.len()),
            |scratch, i| index.related(PageId(i), tags, scratch),
        )
        .collect()
}

/// What choosing related posts looks at: each page's tags and its date.
struct RelatedIndex {
    /// Each page's tags, as indices in the site's tags (in slug order): those of page `i` are
    /// `tags_of[starts[i]..starts[i + 1]]`.
    tags_of: Vec<usize>,
    starts: Vec<usize>,
    /// Each page's date as a rank: 0 for an undated page (which has no related posts and is
    /// none), then 1, 2, ... from the oldest date to the newest, equal dates alike. A number
    /// compares in one instruction where a date takes several: related posts compare about
    /// a thousand candidates per page.
    dates: Vec<u32>,
    /// Where each page is in the list of each of its tags (beside `tags_of`).
    places: Vec<u32>,
    /// The dated pages having both tags of a pair ([`pair_key`]), when asked for
    /// ([`RelatedIndex::with_pairs`]) and there are not too many pairs ([`MAX_PAIRS_PER_PAGE`]):
    /// the pages sharing two tags or more with a page, in a few hundred visits where its tags'
    /// lists hold thousands of pages.
    pairs: Option<PairIndex>,
}

/// The pair index is made while its entries (a page with `k` tags is in `k(k-1)/2` pairs) are
/// at most this many per page on average: pages with dozens of tags each would make it larger
/// than the lists it saves visiting.
const MAX_PAIRS_PER_PAGE: usize = 16;

/// The dated pages having both tags of a pair, by [`pair_key`]: a quick hash of the number
/// (a handful of lookups a page).
type PairIndex = HashMap<u64, Vec<u32>, std::hash::BuildHasherDefault<crate::render::KeyHasher>>;

/// The key of a pair of tags in [`RelatedIndex::pairs`], `a` before `b`.
fn pair_key(a: usize, b: usize) -> u64 {
    ((a as u64) << 32) | b as u64
}

/// Scratch space for [`RelatedIndex::related`], kept from one page to the next.
struct RelatedScratch {
    /// Tags shared with the page at hand, per page; all zero between calls.
    shared: Vec<u32>,
    /// The pages whose count is not zero, first met first: room for every page.
    touched: Vec<u32>,
}

impl RelatedScratch {
    fn new(pages: usize) -> RelatedScratch {
        RelatedScratch {
            shared: vec![0; pages],
            touched: vec![0; pages],
        }
    }
}

impl RelatedIndex {
    fn new(pages: &[Page], tags: &[Tag]) -> RelatedIndex {
        let dates: Vec<Option<Timestamp>> =
            pages.iter().map(|p| Some(p.date?.sort_key())).collect();
        RelatedIndex::from_dates(&dates, tags)
    }

    /// The index of pages with these dates (`None` for undated) and tags.
    fn from_dates(page_dates: &[Option<Timestamp>], tags: &[Tag]) -> RelatedIndex {
        let page_count = page_dates.len();
        let mut starts = vec![0; page_count + 1];
        for id in tags.iter().flat_map(|tag| &tag.pages) {
            starts[id.0 + 1] += 1;
        }
        for i in 0..page_count {
            starts[i + 1] += starts[i];
        }
        let mut filled = starts.clone();
        let mut tags_of = vec![0; starts[page_count]];
        let mut places = vec![0; starts[page_count]];
        for (t, tag) in tags.iter().enumerate() {
            for (place, id) in tag.pages.iter().enumerate() {
                tags_of[filled[id.0]] = t;
                // Page ids and places fit in u32: the counts are u32 per page already.
                places[filled[id.0]] = place as u32;
                filled[id.0] += 1;
            }
        }
        let mut dated: Vec<(Timestamp, usize)> = page_dates
            .iter()
            .enumerate()
            .filter_map(|(i, date)| Some(((*date)?, i)))
            .collect();
        dated.sort_unstable();
        let mut dates = vec![0u32; page_count];
        let mut rank = 0u32;
        for (n, &(key, i)) in dated.iter().enumerate() {
            if n == 0 || dated[n - 1].0 != key {
                rank += 1;
            }
            dates[i] = rank;
        }
        RelatedIndex {
            tags_of,
            starts,
            dates,
            places,
            pairs: None,
        }
    }

    /// The index with its pair index, for choosing the related posts of many pages: making it
    /// takes longer than choosing again for the few pages an edit in `knead serve` touches.
    fn with_pairs(mut self) -> RelatedIndex {
        self.pairs = pair_index(&self.tags_of, &self.starts, &self.dates);
        self
    }

    /// The tags of a page, as indices in the site's tags, in slug order.
    fn page_tags(&self, page: PageId) -> &[usize] {
        &self.tags_of[self.starts[page.0]..self.starts[page.0 + 1]]
    }

    /// Whether a page has a date (only dated pages have, and are, related posts).
    fn is_dated(&self, page: PageId) -> bool {
        self.dates[page.0] != 0
    }

    /// How `candidate` ranks as a related post of `page`: tags shared, then date. Among equal
    /// ranks the first met (in tag order, then each tag's order) wins.
    fn rank(&self, page: PageId, candidate: PageId) -> u64 {
        let mine = self.page_tags(page);
        let shared = self
            .page_tags(candidate)
            .iter()
            .filter(|t| mine.contains(t))
            .count();
        score(
            u32::try_from(shared).unwrap_or(u32::MAX),
            self.dates[candidate.0],
        )
    }

    /// The related posts of one page.
    fn related(&self, page: PageId, tags: &[Tag], scratch: &mut RelatedScratch) -> Vec<PageId> {
        if self.dates[page.0] == 0 {
            return Vec::new();
        }
        self.related_by_pairs(page, scratch)
            .unwrap_or_else(|| self.related_by_tags(page, tags, scratch))
    }

    /// The related posts of a dated page when at least [`RELATED_POSTS`] pages share two tags
    /// or more with it: those outrank every page sharing one tag, so the answer is among them,
    /// found through the pair index. `None` when fewer do, or there is no pair index.
    fn related_by_pairs(&self, page: PageId, scratch: &mut RelatedScratch) -> Option<Vec<PageId>> {
        let pairs = self.pairs.as_ref()?;
        let mine = self.page_tags(page);
        if mine.len() < 2 {
            return None;
        }
        let RelatedScratch { shared, touched } = scratch;
        // Each candidate once, and how many of this page's pairs it is in: a page sharing `s`
        // tags is in s(s-1)/2 of them. As in `related_by_tags`, no branch on whether a page
        // was met before.
        let mut met = 0;
        for (n, &a) in mine.iter().enumerate() {
            for &b in &mine[n + 1..] {
                for &id in pairs.get(&pair_key(a, b)).map_or(&[][..], Vec::as_slice) {
                    if id as usize != page.0 {
                        let count = shared[id as usize];
                        touched[met] = id;
                        met += usize::from(count == 0);
                        shared[id as usize] = count + 1;
                    }
                }
            }
        }
        if met < RELATED_POSTS {
            for &id in &touched[..met] {
                shared[id as usize] = 0;
            }
            return None;
        }
        // The same order as `related_by_tags`: tags shared, then date, then where the page is
        // first met going through this page's tags' lists (tag by tag, each list in order).
        // Most candidates lose on tags and date alone, known without comparing tag lists.
        let mut best = Best::new();
        for &id in &touched[..met] {
            let in_pairs = std::mem::take(&mut shared[id as usize]);
            let tags_shared = (2..).find(|s| s * (s - 1) / 2 >= in_pairs).unwrap_or(2);
            let date = self.dates[id as usize];
            if best
                .worst()
                .is_some_and(|&(s, d, _)| (s, d) > (tags_shared, date))
            {
                continue;
            }
            let key = self.key(mine, PageId(id as usize));
            debug_assert_eq!(key.0, tags_shared, "tags shared, counted two ways");
            best.offer(key, id);
        }
        Some(best.into_ids())
    }

    /// How `candidate` ranks among the related posts of a page with tags `mine`, the greater
    /// the better: tags shared, date, then the earlier first meeting.
    fn key(&self, mine: &[usize], candidate: PageId) -> RelatedKey {
        let range = self.starts[candidate.0]..self.starts[candidate.0 + 1];
        let (theirs, places) = (&self.tags_of[range.clone()], &self.places[range]);
        let (mut i, mut j, mut shared, mut first) = (0, 0, 0u32, None);
        // Both lists of tags are in the site's tag order.
        while i < mine.len() && j < theirs.len() {
            match mine[i].cmp(&theirs[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    // The first tag of this page's that the candidate has, and its place there.
                    first.get_or_insert((i as u32, places[j]));
                    shared += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        (
            shared,
            self.dates[candidate.0],
            std::cmp::Reverse(first.unwrap_or((u32::MAX, u32::MAX))),
        )
    }

    /// The related posts of a dated page, from every page of its tags.
    fn related_by_tags(
        &self,
        page: PageId,
        tags: &[Tag],
        scratch: &mut RelatedScratch,
    ) -> Vec<PageId> {
        let (i, dates) = (page.0, &self.dates);
        let RelatedScratch { shared, touched } = scratch;
        // Tens of millions of visits on a large site, so no branch depends on whether a page
        // was met before: every candidate is written down, and the count moves past it only
        // the first time.
        let mut met = 0;
        for &t in self.page_tags(page) {
            for id in &tags[t].pages {
                if id.0 != i && dates[id.0] != 0 {
                    let count = shared[id.0];
                    // Page ids fit in u32: the counts are u32 per page already.
                    touched[met] = id.0 as u32;
                    met += usize::from(count == 0);
                    shared[id.0] = count + 1;
                }
            }
        }
        // The best few by (shared tags, date), the first met first among equals.
        let mut best = Best::new();
        for &id in &touched[..met] {
            best.offer(score(shared[id as usize], dates[id as usize]), id);
            shared[id as usize] = 0;
        }
        best.into_ids()
    }
}

/// A related post's rank ([`RelatedIndex::key`]): tags shared, date rank, and where it is first
/// met (which of the page's tags, which place in its list), the earlier the greater.
type RelatedKey = (u32, u32, std::cmp::Reverse<(u32, u32)>);

/// The pair index of [`RelatedIndex::pairs`]: for each pair of tags, the dated pages having
/// both. `None` when it would hold more than [`MAX_PAIRS_PER_PAGE`] entries a page.
fn pair_index(tags_of: &[usize], starts: &[usize], dates: &[u32]) -> Option<PairIndex> {
    let pages = dates.len();
    let tags = |i: usize| &tags_of[starts[i]..starts[i + 1]];
    let entries: usize = (0..pages)
        .filter(|&i| dates[i] != 0)
        .map(|i| tags(i).len() * tags(i).len().saturating_sub(1) / 2)
        .sum();
    if entries > MAX_PAIRS_PER_PAGE * pages {
        return None;
    }
    let mut pairs = PairIndex::default();
    for i in (0..pages).filter(|&i| dates[i] != 0) {
        let mine = tags(i);
        for (n, &a) in mine.iter().enumerate() {
            for &b in &mine[n + 1..] {
                pairs.entry(pair_key(a, b)).or_default().push(i as u32);
            }
        }
    }
    Some(pairs)
}

/// The best [`RELATED_POSTS`] candidates offered so far, best first; among equal ranks the
/// first offered wins. Keeps only the best few, without sorting every candidate.
struct Best<K>(Vec<(K, u32)>);

impl<K: Ord> Best<K> {
    fn new() -> Best<K> {
        Best(Vec::with_capacity(RELATED_POSTS + 1))
    }

    /// The rank a candidate must beat to be kept, once there are enough.
    fn worst(&self) -> Option<&K> {
        (self.0.len() == RELATED_POSTS).then(|| &self.0[RELATED_POSTS - 1].0)
    }

    fn offer(&mut self, rank: K, id: u32) {
        if self.worst().is_some_and(|worst| *worst >= rank) {
            return;
        }
        let at = self.0.partition_point(|(r, _)| *r >= rank);
        self.0.insert(at, (rank, id));
        self.0.truncate(RELATED_POSTS);
    }

    fn into_ids(self) -> Vec<PageId> {
        self.0
            .into_iter()
            .map(|(_, id)| PageId(id as usize))
            .collect()
    }
}

/// A candidate's rank as one number: tags shared, then date rank.
fn score(shared: u32, date: u32) -> u64 {
    (u64::from(shared) << 32) | u64::from(date)
}

/// Groups tags by slug, so "Deep Tissue" and "deep tissue" are one tag. The name shown is the
/// spelling most pages use (ties go to the alphabetically first). Each tag's pages are in
/// date order (`date_rank`: each page's place in it).
fn group_tags(pages: &[Page], date_rank: &[usize]) -> Vec<Tag> {
    let mut groups: BTreeMap<String, (BTreeMap<&str, usize>, Vec<PageId>)> = BTreeMap::new();
    for (i, page) in pages.iter().enumerate() {
        for (slug, spelling) in tag_spellings(page) {
            let group = groups.entry(slug).or_default();
            *group.0.entry(spelling).or_default() += 1;
            group.1.push(PageId(i));
        }
    }
    groups
        .into_iter()
        .map(|(slug, (spellings, mut ids))| {
            ids.sort_unstable_by_key(|id| date_rank[id.0]);
            Tag {
                name: tag_name(&spellings, &slug),
                slug,
                pages: ids,
            }
        })
        .collect()
}

/// A page's tags as (slug, spelling), each slug once (its first spelling), empty slugs left out.
fn tag_spellings(page: &Page) -> Vec<(String, &str)> {
    let mut tags: Vec<(String, &str)> = Vec::with_capacity(page.tags.len());
    for tag in &page.tags {
        let slug = slugify(tag);
        if !slug.is_empty() && !tags.iter().any(|(seen, _)| *seen == slug) {
            tags.push((slug, tag.trim()));
        }
    }
    tags
}

/// The name shown for a tag: the spelling most pages use, ties to the alphabetically first.
fn tag_name(spellings: &BTreeMap<&str, usize>, slug: &str) -> String {
    spellings
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(name, _)| (*name).to_owned())
        .unwrap_or_else(|| slug.to_owned())
}

fn collect_assets(
    pages: &[Page],
    sections: &[Section],
    content_assets: &[FileRef],
    static_files: &[FileRef],
    theme_static: &[(&str, &'static [u8])],
) -> Vec<Asset> {
    let mut assets = Vec::new();
    for (name, bytes) in theme_static {
        if !static_files.iter().any(|f| f.rel == *name) {
            assets.push(Asset {
                output: (*name).to_owned(),
                source: AssetSource::Embedded(bytes),
                size: None,
            });
        }
    }
    for file in static_files {
        assets.push(Asset {
            output: file.rel.clone(),
            source: AssetSource::File {
                path: file.path.clone(),
                shown: Path::new("static").join(&file.rel),
            },
            size: file.size,
        });
    }
    let bundles: HashMap<&str, &str> = pages
        .iter()
        .filter_map(|p| Some((p.bundle_dir.as_deref()?, p.path.as_str())))
        .collect();
    let section_paths: HashMap<&str, &str> = sections
        .iter()
        .map(|s| (s.dir.as_str(), s.path.as_str()))
        .collect();
    for file in content_assets {
        let (dir, name) = file.rel.rsplit_once('/').unwrap_or(("", &file.rel));
        let base = bundles
            .get(dir)
            .or_else(|| section_paths.get(dir))
            .map(|s| (*s).to_owned())
            .unwrap_or_else(|| crate::content::dir_path(dir));
        assets.push(Asset {
            output: format!("{base}{name}"),
            source: AssetSource::File {
                path: file.path.clone(),
                shown: Path::new("content").join(&file.rel),
            },
            size: file.size,
        });
    }
    assets.sort_by(|a, b| a.output.cmp(&b.output));
    assets
}

/// The main navigation: `[[menu]]` from site.toml, or else one derived from the content.
fn site_menu(
    config: &Config,
    pages: &[Page],
    sections: &[Section],
    page_section: &[SectionId],
) -> Vec<MenuItem> {
    if config.menu.is_empty() {
        return derived_menu(config, pages, sections, page_section);
    }
    // Paths in site.toml are relative to the site's root, which may be `/clinic/`.
    config
        .menu
        .iter()
        .map(|item| MenuItem {
            name: item.name.clone(),
            url: match item.url.strip_prefix('/') {
                Some(rest) if !item.url.starts_with("//") => format!("{}{rest}", config.root),
                _ => item.url.clone(),
            },
        })
        .collect()
}

/// Without `[[menu]]` in site.toml: every top-level section, then every top-level page, in
/// weight then title order.
fn derived_menu(
    config: &Config,
    pages: &[Page],
    sections: &[Section],
    page_section: &[SectionId],
) -> Vec<MenuItem> {
    let mut items: Vec<(bool, Option<i64>, String, String)> = Vec::new();
    for section in sections
        .iter()
        .filter(|s| !s.dir.is_empty() && !s.dir.contains('/'))
    {
        items.push((
            section.weight.is_none(),
            section.weight,
            section.title.clone(),
            format!("{}{}", config.root, section.path),
        ));
    }
    for (page, section) in pages.iter().zip(page_section) {
        if section.0 == 0 {
            items.push((
                page.weight.is_none(),
                page.weight,
                page.title.clone(),
                format!("{}{}", config.root, page.path),
            ));
        }
    }
    items.sort();
    items
        .into_iter()
        .map(|(_, _, name, url)| MenuItem { name, url })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tags `t0`, `t1`, ... with these pages each, in this order.
    fn tags_of_pages(lists: &[Vec<usize>]) -> Vec<Tag> {
        lists
            .iter()
            .enumerate()
            .map(|(t, ids)| Tag {
                name: format!("t{t}"),
                slug: format!("t{t}"),
                pages: ids.iter().copied().map(PageId).collect(),
            })
            .collect()
    }

    fn day(n: i64) -> Option<Timestamp> {
        Timestamp::from_second(n * 86_400).ok()
    }

    #[test]
    fn related_posts_through_tag_pairs_rank_by_tags_date_then_first_met() {
        // Page 0 has t0, t1 and t2. Pages 1-4 share two or three of them; 5 shares one.
        let dates = [day(10), day(3), day(5), day(5), day(5), day(9)];
        let tags = tags_of_pages(&[vec![0, 4, 3, 1, 5], vec![0, 2, 3, 4, 1], vec![0, 1, 2]]);
        let index = RelatedIndex::from_dates(&dates, &tags).with_pairs();
        let mut scratch = RelatedScratch::new(dates.len());
        // 1 shares three tags; 2, 3 and 4 share two on the same day, and 4 is met first (its
        // place in t0's list is before 3's; 2 is not in t0). 5, the newest, shares one.
        let expected = vec![PageId(1), PageId(4), PageId(3)];
        assert_eq!(
            index.related_by_pairs(PageId(0), &mut scratch),
            Some(expected.clone())
        );
        assert_eq!(
            index.related_by_tags(PageId(0), &tags, &mut scratch),
            expected
        );
        assert!(scratch.shared.iter().all(|&n| n == 0));
        // Page 5 shares no pair of tags with anyone: the whole lists decide.
        assert_eq!(index.related_by_pairs(PageId(5), &mut scratch), None);
        assert_eq!(
            index.related(PageId(5), &tags, &mut scratch),
            vec![PageId(0), PageId(4), PageId(3)]
        );
    }

    proptest::proptest! {
        /// The pair index gives the related posts that going through every page of the tags
        /// gives, whatever the dates, tags and order of the tags' lists.
        #[test]
        fn related_posts_through_tag_pairs_are_those_of_the_whole_lists(
            pages in proptest::collection::vec(
                (
                    proptest::option::weighted(0.85, 0i64..4),
                    proptest::collection::vec(0usize..5, 0..5),
                ),
                0..40,
            ),
            order in proptest::collection::vec(0u32..1000, 40),
        ) {
            let dates: Vec<Option<Timestamp>> =
                pages.iter().map(|(date, _)| date.and_then(day)).collect();
            let lists: Vec<Vec<usize>> = (0..5)
                .map(|t| {
                    let mut ids: Vec<usize> = (0..pages.len())
                        .filter(|&i| pages[i].1.contains(&t))
                        .collect();
                    ids.sort_by_key(|&i| order[i]);
                    ids
                })
                .collect();
            let tags = tags_of_pages(&lists);
            let index = RelatedIndex::from_dates(&dates, &tags).with_pairs();
            let mut scratch = RelatedScratch::new(pages.len());
            for page in (0..pages.len()).map(PageId).filter(|&p| index.is_dated(p)) {
                let by_tags = index.related_by_tags(page, &tags, &mut scratch);
                if let Some(by_pairs) = index.related_by_pairs(page, &mut scratch) {
                    proptest::prop_assert_eq!(&by_pairs, &by_tags);
                }
                proptest::prop_assert_eq!(index.related(page, &tags, &mut scratch), by_tags);
            }
        }
    }

    #[test]
    fn alias_outputs_stay_inside_the_output_folder() {
        assert_eq!(
            alias_output("/old-blog/post/").unwrap(),
            "old-blog/post/index.html"
        );
        assert_eq!(alias_output("old.html").unwrap(), "old.html");
        for bad in [
            "/../../etc/passwd",
            "/a/./b",
            "https://x.example/a",
            "/a\\b",
            "/",
            "",
            "/a\0b",
            "/c:/x",
        ] {
            assert!(alias_output(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
