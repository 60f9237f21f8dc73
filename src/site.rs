//! `Site::assemble`: the whole site as one read-only value.
//!
//! Turns the parsed pages and sections into a tree, leaves out drafts and future posts, sorts,
//! groups tags, checks authors, and claims every output path so that two sources that would write
//! the same file are reported (naming both) before anything is rendered.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::config::{Config, MenuItem};
use crate::content::{Page, PageId, Parsed, Section, SectionId};
use crate::error::{Diagnostic, Diagnostics};
use crate::front_matter::SortBy;
use crate::slug::slugify;
use crate::toml_errors::{find_key_line, suggest};

mod jobs;
mod related;

pub(crate) use jobs::Job;
pub use jobs::{TAG_PAGE_SIZE, alias_output, author_path, tag_pager_path};
pub use related::RELATED_POSTS;
pub use related::RelatedCache;
use related::related_posts_cached;

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

/// What a build leaves out, and the drafts it shows: said in its summary, so that no post is
/// missing without a word and no preview is taken for the site.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LeftOut {
    /// Drafts left out (none with `--drafts`).
    pub drafts: usize,
    /// Posts dated after the build, left out (none with `--future`).
    pub scheduled: usize,
    /// The day the first of them is due (`2026-12-09`).
    pub next_due: Option<String>,
    /// Drafts in the output (with `--drafts`).
    pub drafts_shown: usize,
}

impl LeftOut {
    fn of(pages: &[Page], filter: &Filter) -> LeftOut {
        let drafts = pages.iter().filter(|page| page.draft).count();
        let scheduled: Vec<&Page> = pages
            .iter()
            .filter(|page| (filter.drafts || !page.draft) && !filter.includes(page))
            .collect();
        let first = scheduled
            .iter()
            .filter_map(|page| page.date.as_ref())
            .min_by_key(|date| date.published_at());
        LeftOut {
            drafts: if filter.drafts { 0 } else { drafts },
            scheduled: scheduled.len(),
            next_due: first.map(|date| date.day.to_string()),
            drafts_shown: if filter.drafts { drafts } else { 0 },
        }
    }
}

/// The whole site: a plain value, indexed by [`PageId`] and [`SectionId`], shared read-only.
/// The mistakes of single pages that [`Site::assemble_each`] went on past.
#[derive(Debug, Default)]
pub struct PageMistakes {
    /// Pages naming an author (`author`, `reviewed_by`) that site.toml does not have: left out.
    pub authors: Diagnostics,
    /// Pages naming a service page that does not exist: kept, with the services that do. When
    /// some file did not parse, the service may be that file.
    pub services: Diagnostics,
    /// The left-out pages' paths under `content/`.
    pub left_out: Vec<String>,
}

/// Made by [`Site::assemble`]; its fields are private, so nothing outside this module changes
/// it (the lists indexed by page id stay aligned).
#[derive(Debug, Clone)]
pub struct Site {
    /// The settings.
    config: Config,
    /// Every published page.
    pages: Vec<Page>,
    /// Every section; `SectionId(0)` is the home page.
    sections: Vec<Section>,
    /// The pages of each section, in the section's order (by `SectionId`).
    section_pages: Vec<Vec<PageId>>,
    /// Each page's section.
    page_section: Vec<SectionId>,
    /// Tags, sorted by slug.
    tags: Vec<Tag>,
    /// Dated pages, newest first.
    dated: Vec<PageId>,
    /// The main navigation.
    menu: Vec<MenuItem>,
    /// The folders of the page bundles whose page is left out (a draft, a post still to come).
    hidden_bundles: Vec<String>,
    /// Each page's service pages (from `services` in its front matter).
    page_services: Vec<Vec<PageId>>,
    /// Each dated page's related posts: those sharing the most tags, newest first.
    related: Vec<Vec<PageId>>,
    /// Author ids that have at least one page, each with their pages, newest first.
    author_pages: BTreeMap<String, Vec<PageId>>,
    /// The moment of the build, to tell scheduled posts (shown by `--future`) from published ones.
    now: Timestamp,
    /// When the first post left out for being scheduled is due: the site changes then, though
    /// no file does. Set by [`Site::assemble`] for `knead build`'s manifest; a session's
    /// incremental updates do not maintain it.
    next_change: Option<Timestamp>,
    /// What this build leaves out.
    left_out: LeftOut,
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

/// The owner of outputs that knead generates itself, in collision messages.
const GENERATED: &str = "(generated)";

impl Site {
    // Read-only access: the site never changes outside this module.

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every published page, by [`PageId`] (sorted by path under `content/`).
    pub fn pages(&self) -> &[Page] {
        &self.pages
    }

    /// Every section, by [`SectionId`]; `SectionId(0)` is the home page.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The pages of each section, in the section's order (by `SectionId`).
    pub fn section_pages(&self) -> &[Vec<PageId>] {
        &self.section_pages
    }

    /// Each page's section (by `PageId`).
    pub fn page_section(&self) -> &[SectionId] {
        &self.page_section
    }

    /// Tags, sorted by slug.
    pub fn tags(&self) -> &[Tag] {
        &self.tags
    }

    /// The folders (under `content/`) of the page bundles whose page is left out: a draft, or
    /// a post still to come. Their files are not published either.
    pub fn hidden_bundles(&self) -> &[String] {
        &self.hidden_bundles
    }

    /// Dated pages, newest first.
    pub fn dated(&self) -> &[PageId] {
        &self.dated
    }

    /// The main navigation.
    pub fn menu(&self) -> &[MenuItem] {
        &self.menu
    }

    /// Each page's service pages (from `services` in its front matter), by `PageId`.
    pub fn page_services(&self) -> &[Vec<PageId>] {
        &self.page_services
    }

    /// Each dated page's related posts (by `PageId`): those sharing the most tags, newest first.
    pub fn related(&self) -> &[Vec<PageId>] {
        &self.related
    }

    /// Author ids that have at least one page, each with their pages, newest first.
    pub fn author_pages(&self) -> &BTreeMap<String, Vec<PageId>> {
        &self.author_pages
    }

    /// The moment of the build, to tell scheduled posts (shown by `--future`) from published ones.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// When the first post left out for being scheduled is due: the site changes then, though no file does (`knead build`'s manifest; a session's incremental updates do not maintain it).
    pub fn next_change(&self) -> Option<Timestamp> {
        self.next_change
    }

    /// The drafts and scheduled posts this build leaves out, and the drafts it shows.
    pub fn left_out(&self) -> &LeftOut {
        &self.left_out
    }

    /// The day the newest of `ids` was published or updated, as the sitemap shows it.
    pub fn last_modified(&self, ids: &[PageId]) -> Option<jiff::civil::Date> {
        ids.iter()
            .filter_map(|id| {
                let page = self.page(*id);
                page.updated.or(page.date)
            })
            .max_by_key(|d| d.sort_key())
            .map(|d| d.day)
    }

    /// A page by id.
    pub fn page(&self, id: PageId) -> &Page {
        &self.pages[id.0]
    }

    /// Assembles the site. Its outputs are checked for collisions with the files it copies by
    /// the assets stage ([`crate::assets::plan`]), which knows both.
    pub fn assemble(
        config: Config,
        parsed: Parsed,
        filter: Filter,
        related: Option<&mut RelatedCache>,
    ) -> Result<Site, Diagnostics> {
        let (site, mistakes) = Site::assemble_each(config, parsed, filter, related);
        let errors = mistakes.authors.merged(mistakes.services.0);
        if errors.has_errors() {
            return Err(errors);
        }
        Ok(site)
    }

    /// [`Site::assemble`] that goes on past the mistakes of single pages, so that one run of
    /// `knead check` or `knead build` reports everything: a page naming an author site.toml
    /// does not have is left out of the site; a page naming a service that does not exist keeps
    /// the services that do. Their errors come back beside the site.
    pub fn assemble_each(
        config: Config,
        parsed: Parsed,
        filter: Filter,
        related: Option<&mut RelatedCache>,
    ) -> (Site, PageMistakes) {
        let mut mistakes = PageMistakes::default();
        let left_out = LeftOut::of(&parsed.pages, &filter);
        // The folders of the bundles left out: their files are left out too.
        let hidden_bundles: Vec<String> = parsed
            .pages
            .iter()
            .filter(|page| !((filter.drafts || !page.draft) && filter.includes(page)))
            .filter_map(|page| page.bundle_dir.clone())
            .collect();
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
        check_authors(&config, &pages, &mut mistakes.authors);
        if mistakes.authors.has_errors() {
            let named: HashSet<&Path> = mistakes
                .authors
                .0
                .iter()
                .filter_map(|d| d.location.as_ref().map(|l| l.path.as_path()))
                .collect();
            pages.retain(|page| {
                let keep = !named.contains(page.source.file.as_path());
                if !keep {
                    mistakes.left_out.push(page.content_path.clone());
                }
                keep
            });
        }
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

        let page_services = resolve_services(&pages, &mut mistakes.services);
        let tags = group_tags(&pages, &date_rank);
        let dated: Vec<PageId> = by_date
            .into_iter()
            .filter(|id| pages[id.0].date.is_some())
            .collect();

        let menu = site_menu(&config, &pages, &sections, &page_section);
        let related = related_posts_cached(&pages, &tags, related);
        let author_pages = author_pages(&config, &pages, &dated);
        let site = Site {
            now: filter.now,
            next_change,
            left_out,
            page_services,
            related,
            author_pages,
            config,
            pages,
            sections,
            section_pages,
            page_section,
            tags,
            dated,
            menu,
            hidden_bundles,
        };
        mistakes.authors.sort();
        mistakes.services.sort();
        (site, mistakes)
    }

    /// Frees the Markdown bodies once the markdown stage has rendered them: rendering reads
    /// only the front matter (to locate its errors), and a large site's text is tens of
    /// megabytes. The session, which renders pages again, keeps them.
    pub(crate) fn release_markdown(&mut self) {
        let sources = self
            .pages
            .iter_mut()
            .map(|p| &mut p.source)
            .chain(self.sections.iter_mut().map(|s| &mut s.source));
        for source in sources {
            source.text = source.text[..source.body_offset].into();
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

    /// Every output path each source will write, the site's and the files copied (`copied`:
    /// each output path with the file it is copied from as shown to the user, or `None` for a
    /// file of the built-in theme), checked for collisions: two sources writing one file (also
    /// names that differ only in case, which collide on macOS and Windows), and a file where
    /// another output needs a folder. Also aliases that cannot be paths.
    pub(crate) fn check_outputs(&self, copied: &[(&str, Option<&Path>)]) -> Diagnostics {
        let mut diagnostics = Diagnostics::default();
        let claims = self.claims(copied, &mut diagnostics);
        diagnostics.extend(collisions(&claims));
        diagnostics
    }

    /// Every output path with the source that writes it. Outputs knead generates come first, so
    /// a collision is reported in the user's file. Aliases that cannot be paths are reported.
    fn claims(
        &self,
        copied: &[(&str, Option<&Path>)],
        diagnostics: &mut Diagnostics,
    ) -> Vec<(String, PathBuf)> {
        let jobs = self.jobs();
        let mut claims: Vec<(String, PathBuf)> = Vec::new();
        let mut owned = Vec::new();
        for job in &jobs {
            match self.job_owner(job) {
                None => claims.push((job.path(self), PathBuf::from(GENERATED))),
                Some(owner) => owned.push((job.path(self), owner)),
            }
        }
        for (output, from) in copied {
            if from.is_none() {
                let owner = format!("(built-in theme) static/{output}");
                claims.push(((*output).to_owned(), owner.into()));
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
        for (output, from) in copied {
            if let Some(shown) = from {
                claims.push(((*output).to_owned(), shown.to_path_buf()));
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
            // Staff write the person's name where the id goes.
            let named = config
                .authors
                .iter()
                .find(|(_, a)| a.name.trim() == author.trim());
            let id = slugify(author);
            let add = format!(
                "add the author to site.toml:\n[authors.{id}]\nname = \"{author}\"\nthen write {key} = \"{id}\""
            );
            let hint = match (named, suggest(author, &known)) {
                (Some((id, _)), _) => {
                    format!("`{author}` is the name of the author `{id}`: write {key} = \"{id}\"")
                }
                (None, Some(near)) => format!("did you mean `{near}`?"),
                (None, None) if known.is_empty() => add,
                (None, None) => format!(
                    "use one of the author ids in site.toml ({}), or {add}",
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
