//! Updating an assembled site after some of its pages changed, for `knead serve`.
//!
//! [`Site::assemble`] takes about half a second on a 10,000-post site, most of it choosing
//! related posts. After an edit to a few pages, [`Site::update`] makes the same site from the
//! old one: pages are put in their place in the sorted lists by binary search, related posts are
//! chosen again only for the pages whose choice the edit can change, and only the output paths
//! that changed are checked for collisions. When the edit changes what this cannot update (the
//! sections, say) or makes an error, it declines, and the caller assembles from scratch, which
//! also reports the errors.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;

use super::{Filter, SortBy};
use super::{
    RELATED_POSTS, RelatedIndex, RelatedScratch, Site, TAG_INDEX, Tag, alias_output, author_pages,
    check_authors, collect_assets, page_order, page_output, resolve_services, site_menu,
    tag_feed_output, tag_name, tag_pager_output, tag_pagers, tag_spellings,
};
use crate::content::{Page, PageId, SectionId};
use crate::error::Diagnostics;
use crate::markdown::{Bodies, Rendered};
use crate::source::FileRef;

/// The pages whose files changed, by path under `content/`: each as parsed now, or `None` when
/// its file is gone.
pub(crate) type PageChanges = BTreeMap<String, Option<Page>>;

/// The files a site copies, which place the files of page bundles.
pub(crate) struct SiteFiles<'a> {
    /// Files beside the Markdown in `content/`.
    pub(crate) content_assets: &'a [FileRef],
    /// Files in `static/`.
    pub(crate) static_files: &'a [FileRef],
    /// The built-in theme's static files.
    pub(crate) theme_static: &'a [(&'a str, &'static [u8])],
}

/// Why [`Site::update`] did not update the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Declined {
    /// Found before anything changed (mostly a mistake in the edit): the site and the claims
    /// are as they were.
    Untouched,
    /// Found after the site changed: the site and the claims are partly updated, to be thrown
    /// away.
    Spoiled,
}

/// How an update moved things, for the stages after assemble.
#[derive(Debug)]
pub(crate) struct Update {
    /// For each page now, its id before, when it was there already.
    pub(crate) old_ids: Vec<Option<PageId>>,
    /// For each page now, whether it is new or was parsed again.
    pub(crate) changed: Vec<bool>,
    /// For each tag before, its index now, when some page still has it.
    pub(crate) tag_moves: Vec<Option<usize>>,
    /// Whether the copied files changed (a page bundle moved).
    pub(crate) assets_changed: bool,
}

impl Site {
    /// Updates the site after the pages in `changes` changed, as [`Site::assemble`] would have
    /// made it from the new pages with `filter`, or declines when this cannot be done here: the
    /// sections would change, or the new pages have errors. `claims` are the site's output
    /// paths, kept up to date. The Markdown of new and changed pages is left empty.
    pub(crate) fn update(
        &mut self,
        mut changes: PageChanges,
        filter: Filter,
        files: &SiteFiles<'_>,
        claims: &mut Claims,
        bodies: &mut Bodies,
    ) -> Result<Update, Declined> {
        for page in changes.values_mut() {
            if page.as_ref().is_some_and(|p| !filter.includes(p)) {
                *page = None;
            }
        }
        // First the checks that leave everything as it was.
        let new_pages: Vec<&Page> = changes.values().flatten().collect();
        let mut diagnostics = Diagnostics::default();
        check_authors(&self.config, new_pages.iter().copied(), &mut diagnostics);
        let valid = new_pages.iter().all(|page| {
            self.holds_section(&page.section_dir)
                && page.aliases.iter().all(|alias| alias_output(alias).is_ok())
        });
        if !valid || diagnostics.has_errors() {
            return Err(Declined::Untouched);
        }
        let before = self.before(&changes);
        // Mostly a new slug or alias that another page has: found before anything changes.
        let new_outputs: Vec<String> = new_pages.iter().flat_map(|p| page_claims(p)).collect();
        if !claims.replace(&before.page_outputs, &new_outputs) {
            claims.replace(&new_outputs, &before.page_outputs);
            return Err(Declined::Untouched);
        }

        let moved = self.move_pages(changes, bodies);
        for list in &mut self.section_pages {
            *list = moved.keep(list);
        }
        for &id in &moved.fresh {
            let section = self.page_section[id.0];
            let order = page_order(&self.pages, self.sections[section.0].sort_by);
            insert_sorted(&mut self.section_pages[section.0], id, &order);
        }
        if !self.sections_stay() {
            return Err(Declined::Spoiled);
        }
        let tag_moves = self.update_tags(&moved, &before);
        self.dated = moved.keep(&self.dated);
        {
            let order = page_order(&self.pages, SortBy::Date);
            for &id in &moved.fresh {
                if self.pages[id.0].date.is_some() {
                    insert_sorted(&mut self.dated, id, &order);
                }
            }
        }
        self.author_pages = author_pages(&self.config, &self.pages, &self.dated);
        self.page_services = resolve_services(&self.pages, &mut diagnostics);
        if diagnostics.has_errors() {
            return Err(Declined::Spoiled);
        }
        self.update_related(&moved);
        let assets = collect_assets(
            &self.pages,
            &self.sections,
            files.content_assets,
            files.static_files,
            files.theme_static,
        );
        let assets_changed = assets != self.assets;
        self.assets = assets;
        self.menu = site_menu(
            &self.config,
            &self.pages,
            &self.sections,
            &self.page_section,
        );
        self.now = filter.now;

        let (gone, came) = self.claims_changed(before, assets_changed);
        if !claims.replace(&gone, &came) {
            return Err(Declined::Spoiled);
        }
        Ok(Update {
            old_ids: moved.old_ids,
            changed: moved.changed,
            tag_moves,
            assets_changed,
        })
    }

    /// Whether the section of a page in folder `dir` exists, with every folder above it: a
    /// page there adds no section.
    fn holds_section(&self, dir: &str) -> bool {
        let mut dir = dir;
        loop {
            if self.section_index(dir).is_none() {
                return false;
            }
            match dir.rsplit_once('/') {
                Some((parent, _)) => dir = parent,
                None if !dir.is_empty() => dir = "",
                None => return true,
            }
        }
    }

    fn section_index(&self, dir: &str) -> Option<SectionId> {
        self.sections
            .binary_search_by(|s| s.dir.as_str().cmp(dir))
            .ok()
            .map(SectionId)
    }

    /// Whether every section is still one [`Site::assemble`] would make: the home page, a
    /// folder with `_index.md`, or one with pages (in it or below it).
    fn sections_stay(&self) -> bool {
        let mut needed = vec![false; self.sections.len()];
        needed[0] = true;
        for (i, pages) in self.section_pages.iter().enumerate() {
            if pages.is_empty() {
                continue;
            }
            let mut dir = self.sections[i].dir.as_str();
            loop {
                let Some(section) = self.section_index(dir) else {
                    return false;
                };
                needed[section.0] = true;
                match dir.rsplit_once('/') {
                    Some((parent, _)) => dir = parent,
                    None if !dir.is_empty() => dir = "",
                    None => break,
                }
            }
        }
        self.sections
            .iter()
            .zip(needed)
            .all(|(section, needed)| needed || !section.source.file.as_os_str().is_empty())
    }

    /// What the update needs to know of the site before it changes: see [`Before`].
    fn before(&self, changes: &PageChanges) -> Before {
        let mut before = Before {
            page_outputs: Vec::new(),
            spellings: Vec::new(),
            tags: BTreeMap::new(),
            sections: BTreeMap::new(),
            had_tags: !self.tags.is_empty(),
            assets: self.assets.iter().map(|a| a.output.clone()).collect(),
        };
        let mut slugs = BTreeSet::new();
        let mut sections = BTreeSet::new();
        for (path, new) in changes {
            if let Some(page) = self.page_by_path(path) {
                before.page_outputs.extend(page_claims(page));
                for (slug, spelling) in tag_spellings(page) {
                    before.spellings.push((slug.clone(), spelling.to_owned()));
                    slugs.insert(slug);
                }
                sections.extend(self.section_index(&page.section_dir));
            }
            if let Some(page) = new {
                slugs.extend(tag_spellings(page).into_iter().map(|(slug, _)| slug));
                sections.extend(self.section_index(&page.section_dir));
            }
        }
        for slug in slugs {
            let tag = self
                .tags
                .binary_search_by(|t| t.slug.cmp(&slug))
                .ok()
                .map(|i| &self.tags[i]);
            let was = tag.map(|tag| (tag.name.clone(), tag_pagers(tag)));
            before.tags.insert(slug, was);
        }
        for section in sections {
            before
                .sections
                .insert(section, self.paginate(section).len());
        }
        before
    }

    /// The output paths the update took away and added besides those of the changed pages:
    /// those of the list pages of their tags and sections, and the copied files when they
    /// changed.
    fn claims_changed(&self, before: Before, assets_changed: bool) -> (Vec<String>, Vec<String>) {
        let (mut gone, mut came) = (Vec::new(), Vec::new());
        for (slug, was) in &before.tags {
            let tag = self
                .tags
                .binary_search_by(|t| t.slug.cmp(slug))
                .ok()
                .map(|i| &self.tags[i]);
            let pagers =
                |was: usize, now: usize| (was + 1..=now).map(|n| tag_pager_output(slug, n));
            match (was, tag) {
                (Some((_, was)), Some(tag)) => {
                    came.extend(pagers(*was, tag_pagers(tag)));
                    gone.extend(pagers(tag_pagers(tag), *was));
                }
                (Some((_, was)), None) => {
                    gone.push(tag_feed_output(slug));
                    gone.extend(pagers(0, *was));
                }
                (None, Some(tag)) => {
                    came.push(tag_feed_output(slug));
                    came.extend(pagers(0, tag_pagers(tag)));
                }
                (None, None) => {}
            }
        }
        for (&section, &was) in &before.sections {
            let now = self.paginate(section).len();
            came.extend((was + 1..=now).map(|n| self.pager_output(section, n)));
            gone.extend((now + 1..=was).map(|n| self.pager_output(section, n)));
        }
        match (before.had_tags, self.tags.is_empty()) {
            (true, true) => gone.push(TAG_INDEX.to_owned()),
            (false, false) => came.push(TAG_INDEX.to_owned()),
            _ => {}
        }
        if assets_changed {
            gone.extend(before.assets);
            came.extend(self.assets.iter().map(|a| a.output.clone()));
        }
        (gone, came)
    }

    fn page_by_path(&self, content_path: &str) -> Option<&Page> {
        self.pages
            .binary_search_by(|p| p.content_path.as_str().cmp(content_path))
            .ok()
            .map(|i| &self.pages[i])
    }

    /// Puts the changed pages in place of the old ones (pages stay sorted by path), with the
    /// per-page lists that follow them: Markdown, section. Pages are moved only by inserting
    /// and removing, so replacing pages moves none.
    fn move_pages(&mut self, changes: PageChanges, bodies: &mut Bodies) -> Moved {
        // Each change's place among the old pages, and whether it is the page there.
        let placed: Vec<(usize, bool, Option<Page>)> = changes
            .into_iter()
            .map(|(path, page)| {
                match self
                    .pages
                    .binary_search_by(|p| p.content_path.as_str().cmp(&path))
                {
                    Ok(at) => (at, true, page),
                    Err(at) => (at, false, page),
                }
            })
            .collect();
        let moved = Moved::new(self.pages.len(), &placed);
        // From the end, so that the places of the changes still to do stay right.
        for (at, there, page) in placed.into_iter().rev() {
            match (there, page) {
                (true, Some(page)) => {
                    self.page_section[at] = self
                        .section_index(&page.section_dir)
                        .unwrap_or(SectionId(0));
                    self.pages[at] = page;
                    bodies.pages[at] = Rendered::default();
                }
                (true, None) => {
                    self.pages.remove(at);
                    bodies.pages.remove(at);
                    self.page_section.remove(at);
                }
                (false, Some(page)) => {
                    let section = self
                        .section_index(&page.section_dir)
                        .unwrap_or(SectionId(0));
                    self.page_section.insert(at, section);
                    self.pages.insert(at, page);
                    bodies.pages.insert(at, Rendered::default());
                }
                (false, None) => {}
            }
        }
        moved
    }

    /// Takes the changed pages out of their tags and puts them in their new ones; tags no
    /// page has any more go. Returns each old tag's index now.
    fn update_tags(&mut self, moved: &Moved, before: &Before) -> Vec<Option<usize>> {
        let old_slugs: Vec<String> = self.tags.iter().map(|t| t.slug.clone()).collect();
        for tag in &mut self.tags {
            tag.pages = moved.keep(&tag.pages);
        }
        let order = page_order(&self.pages, SortBy::Date);
        for &id in &moved.fresh {
            for (slug, _) in tag_spellings(&self.pages[id.0]) {
                let at = match self.tags.binary_search_by(|t| t.slug.cmp(&slug)) {
                    Ok(at) => at,
                    Err(at) => {
                        let tag = Tag {
                            name: String::new(),
                            slug,
                            pages: Vec::new(),
                        };
                        self.tags.insert(at, tag);
                        at
                    }
                };
                insert_sorted(&mut self.tags[at].pages, id, &order);
            }
        }
        self.tags.retain(|tag| !tag.pages.is_empty());
        // How many more pages spell each tag each way.
        let mut counts: BTreeMap<(&str, &str), i64> = BTreeMap::new();
        for (slug, spelling) in &before.spellings {
            *counts.entry((slug, spelling)).or_default() -= 1;
        }
        let fresh: Vec<(usize, Vec<(String, &str)>)> = moved
            .fresh
            .iter()
            .map(|id| (id.0, tag_spellings(&self.pages[id.0])))
            .collect();
        for (_, spellings) in &fresh {
            for (slug, spelling) in spellings {
                *counts.entry((slug, spelling)).or_default() += 1;
            }
        }
        let mut names = Vec::new();
        for (i, tag) in self.tags.iter().enumerate() {
            let Some(was) = before.tags.get(&tag.slug) else {
                continue;
            };
            // The commonest spelling stays so when it gained and the others did not.
            let kept = was.as_ref().is_some_and(|(name, _)| {
                counts
                    .range((tag.slug.as_str(), "")..)
                    .take_while(|((slug, _), _)| *slug == tag.slug)
                    .all(|((_, spelling), &n)| if spelling == name { n >= 0 } else { n <= 0 })
            });
            if !kept {
                names.push((i, spelled_name(&self.pages, tag)));
            }
        }
        drop(fresh);
        for (i, name) in names {
            self.tags[i].name = name;
        }
        old_slugs
            .iter()
            .map(|slug| {
                self.tags
                    .binary_search_by(|t| t.slug.as_str().cmp(slug))
                    .ok()
            })
            .collect()
    }

    /// Chooses related posts again for the pages whose choice the change can alter: changed
    /// pages, pages that listed a changed page, and pages a changed page may now rank among
    /// the best of.
    fn update_related(&mut self, moved: &Moved) {
        let index = RelatedIndex::new(&self.pages, &self.tags);
        let count = self.pages.len();
        let mut old = std::mem::take(&mut self.related);
        let mut related = Vec::with_capacity(count);
        let mut redo = vec![false; count];
        for (i, old_id) in moved.old_ids.iter().enumerate() {
            let mut list = match old_id {
                Some(o) if !moved.changed[i] => std::mem::take(&mut old[o.0]),
                _ => {
                    redo[i] = true;
                    Vec::new()
                }
            };
            // The same list, by ids now, unless a page on it changed or went.
            for id in &mut list {
                match moved.new_of_old[id.0] {
                    Some(now) => *id = PageId(now),
                    None => redo[i] = true,
                }
            }
            related.push(list);
        }
        for &page in &moved.fresh {
            if !index.is_dated(page) {
                continue;
            }
            for &t in index.page_tags(page) {
                for &other in &self.tags[t].pages {
                    if redo[other.0] || other == page || !index.is_dated(other) {
                        continue;
                    }
                    let list = &related[other.0];
                    // Equal ranks go to the page met first: choose again to know.
                    redo[other.0] = list.len() < RELATED_POSTS
                        || index.rank(other, page) >= index.rank(other, list[RELATED_POSTS - 1]);
                }
            }
        }
        let redo: Vec<usize> = (0..count).filter(|&i| redo[i]).collect();
        let tags = &self.tags;
        let chosen: Vec<(usize, Vec<PageId>)> = redo
            .into_par_iter()
            .map_init(
                || RelatedScratch::new(count),
                |scratch, i| (i, index.related(PageId(i), tags, scratch)),
            )
            .collect();
        for (i, list) in chosen {
            related[i] = list;
        }
        self.related = related;
    }
}

/// What [`Site::update`] notes before it changes anything.
struct Before {
    /// The outputs of the changed pages (and their aliases).
    page_outputs: Vec<String>,
    /// The tags of the changed pages, as (slug, spelling).
    spellings: Vec<(String, String)>,
    /// The tags of the changed pages, before and after, by slug: each with its name and how
    /// many list pages it had, when it was there.
    tags: BTreeMap<String, Option<(String, usize)>>,
    /// The sections of the changed pages, with how many list pages each had.
    sections: BTreeMap<SectionId, usize>,
    /// Whether the site had tags (and so a tag index).
    had_tags: bool,
    /// The outputs of the copied files.
    assets: Vec<String>,
}

/// Where pages went in [`Site::move_pages`].
struct Moved {
    /// For each page before, its id now, when it is there unchanged.
    new_of_old: Vec<Option<usize>>,
    /// For each page now, its id before, when it was there.
    old_ids: Vec<Option<PageId>>,
    /// For each page now, whether it is new or parsed again.
    changed: Vec<bool>,
    /// The new and changed pages, by id now.
    fresh: Vec<PageId>,
}

impl Moved {
    /// Where pages go when the changes `placed` (place among the `count` old pages, whether it
    /// is the page there, the page now), sorted by path, are made.
    fn new(count: usize, placed: &[(usize, bool, Option<Page>)]) -> Moved {
        let mut moved = Moved {
            new_of_old: vec![None; count],
            old_ids: Vec::with_capacity(count + placed.len()),
            changed: Vec::with_capacity(count + placed.len()),
            fresh: Vec::new(),
        };
        let mut changes = placed.iter().peekable();
        let add = |moved: &mut Moved, old: Option<PageId>| {
            moved.fresh.push(PageId(moved.old_ids.len()));
            moved.old_ids.push(old);
            moved.changed.push(true);
        };
        for old in 0..=count {
            while let Some((_, _, page)) = changes.next_if(|(at, there, _)| *at == old && !there) {
                if page.is_some() {
                    add(&mut moved, None);
                }
            }
            if old == count {
                break;
            }
            match changes.next_if(|(at, there, _)| *at == old && *there) {
                Some((_, _, Some(_))) => add(&mut moved, Some(PageId(old))),
                Some((_, _, None)) => {}
                None => {
                    moved.new_of_old[old] = Some(moved.old_ids.len());
                    moved.old_ids.push(Some(PageId(old)));
                    moved.changed.push(false);
                }
            }
        }
        moved
    }

    /// The pages of `ids` that are still there unchanged, by id now, in the same order.
    fn keep(&self, ids: &[PageId]) -> Vec<PageId> {
        ids.iter()
            .filter_map(|id| self.new_of_old[id.0].map(PageId))
            .collect()
    }
}

/// A page's output and those of its aliases (aliases are checked to be paths before).
fn page_claims(page: &Page) -> Vec<String> {
    std::iter::once(page_output(page))
        .chain(page.aliases.iter().filter_map(|a| alias_output(a).ok()))
        .collect()
}

/// The name [`super::group_tags`] gives `tag`: its pages' commonest spelling.
fn spelled_name(pages: &[Page], tag: &Tag) -> String {
    let mut spellings: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &tag.pages {
        for (slug, spelling) in tag_spellings(&pages[id.0]) {
            if slug == tag.slug {
                *spellings.entry(spelling).or_default() += 1;
            }
        }
    }
    tag_name(&spellings, &tag.slug)
}

fn insert_sorted(
    list: &mut Vec<PageId>,
    id: PageId,
    order: &impl Fn(&PageId, &PageId) -> Ordering,
) {
    let at = list.partition_point(|other| order(other, &id) == Ordering::Less);
    list.insert(at, id);
}

/// The output paths of a site, to tell quickly whether changed paths collide: the same checks
/// as [`Site::assemble`] makes (the same path, ignoring case; a file where a folder is needed),
/// as yes or no. Where a path collides, [`Site::assemble`] says how.
#[derive(Debug, Default)]
pub(crate) struct Claims {
    /// Each output path, lowercased, with how many sources write it.
    files: HashMap<String, u32>,
    /// Each folder holding outputs, lowercased, with how many outputs are below it.
    folders: HashMap<String, u32>,
}

impl Claims {
    /// The output paths of `site`.
    pub(crate) fn new(site: &Site) -> Claims {
        let mut claims = Claims::default();
        for (output, _) in site.claims(&mut Diagnostics::default()) {
            claims.add(&output);
        }
        claims
    }

    fn add(&mut self, output: &str) {
        let lower = output.to_lowercase();
        for (at, _) in lower.match_indices('/') {
            *self.folders.entry(lower[..at].to_owned()).or_default() += 1;
        }
        *self.files.entry(lower).or_default() += 1;
    }

    fn remove(&mut self, output: &str) {
        let lower = output.to_lowercase();
        for (at, _) in lower.match_indices('/') {
            decrement(&mut self.folders, &lower[..at]);
        }
        decrement(&mut self.files, &lower);
    }

    fn collides(&self, output: &str) -> bool {
        let lower = output.to_lowercase();
        self.files.get(&lower).is_some_and(|&n| n > 1)
            || self.folders.contains_key(&lower)
            || lower
                .match_indices('/')
                .any(|(at, _)| self.files.contains_key(&lower[..at]))
    }

    /// Replaces the paths `old` by `new`; false when one of the new paths collides. The paths
    /// held before collided with none: a collision now involves a new one.
    fn replace(&mut self, old: &[String], new: &[String]) -> bool {
        for output in old {
            self.remove(output);
        }
        for output in new {
            self.add(output);
        }
        !new.iter().any(|output| self.collides(output))
    }
}

fn decrement(counts: &mut HashMap<String, u32>, key: &str) {
    if let Some(n) = counts.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::content::{self, Parsed};
    use crate::source::ContentFile;

    const NOW: &str = "2026-01-01T00:00:00Z";

    fn filter() -> Filter {
        Filter {
            drafts: false,
            future: false,
            now: NOW.parse().unwrap(),
        }
    }

    fn parse(files: &BTreeMap<String, String>) -> Parsed {
        let files: Vec<ContentFile> = files
            .iter()
            .map(|(rel, text)| ContentFile {
                rel: rel.clone(),
                bytes: text.clone().into_bytes(),
            })
            .collect();
        content::parse(&files).unwrap()
    }

    fn assemble(files: &BTreeMap<String, String>) -> Site {
        let config = Config::parse(
            "title = \"T\"\nbase_url = \"https://x.example\"\n[authors.ana]\nname = \"Ana\"\n",
            std::path::Path::new("site.toml"),
            None,
        )
        .unwrap();
        Site::assemble(config, parse(files), &[], &[], &[], filter()).unwrap()
    }

    /// Everything assemble decides, by page path rather than id.
    fn shape(site: &Site) -> Vec<String> {
        let path = |id: &PageId| site.pages[id.0].content_path.clone();
        let paths = |ids: &[PageId]| ids.iter().map(path).collect::<Vec<_>>().join(" ");
        let mut shape = vec![format!("dated: {}", paths(&site.dated))];
        for (i, page) in site.pages.iter().enumerate() {
            shape.push(format!(
                "{}: section {}, related {}, services {}",
                page.content_path,
                site.page_section[i].0,
                paths(&site.related[i]),
                paths(&site.page_services[i]),
            ));
        }
        for (i, pages) in site.section_pages.iter().enumerate() {
            shape.push(format!("section {i}: {}", paths(pages)));
        }
        for tag in &site.tags {
            shape.push(format!(
                "tag {} {}: {}",
                tag.slug,
                tag.name,
                paths(&tag.pages)
            ));
        }
        for (author, pages) in &site.author_pages {
            shape.push(format!("author {author}: {}", paths(pages)));
        }
        for item in &site.menu {
            shape.push(format!("menu {} {}", item.name, item.url));
        }
        shape
    }

    /// A small pseudo-random post: the same `seed` gives the same post.
    fn post(seed: u64) -> String {
        const TITLES: &[&str] = &["Neck", "neck", "Back", "Zeta"];
        const DATES: &[&str] = &[
            "",
            "date = 2025-01-01\n",
            "date = 2025-02-03\n",
            "date = 2027-01-01\n",
        ];
        const TAGS: &[&str] = &["\"Neck\"", "\"neck\"", "\"Back Pain\"", "\"Sleep\""];
        let pick = |n: u64, len: usize| (seed >> n) as usize % len;
        let tags: Vec<&str> = (0..pick(8, 4))
            .map(|k| TAGS[pick(10 + 2 * k as u64, 4)])
            .collect();
        format!(
            "+++\ntitle = \"{}\"\n{}tags = [{}]\ndraft = {}\nauthor = \"ana\"\n+++\nText.\n",
            TITLES[pick(0, 4)],
            DATES[pick(3, 4)],
            tags.join(", "),
            pick(20, 5) == 0,
        )
    }

    #[test]
    fn an_update_makes_the_site_assemble_makes() {
        let mut files: BTreeMap<String, String> = (0..8)
            .map(|i| (format!("blog/p{i}.md"), post(i * 7919)))
            .collect();
        files.insert("about.md".into(), "+++\ntitle = \"About\"\n+++\n".into());
        let mut site = assemble(&files);
        let mut claims = Claims::new(&site);
        let mut seed: u64 = 1;
        let mut updated = 0;
        for _ in 0..300 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let path = format!("blog/p{}.md", (seed >> 33) % 10);
            let mut changes = PageChanges::new();
            if (seed >> 40).is_multiple_of(6) {
                files.remove(&path);
                changes.insert(path, None);
            } else {
                files.insert(path.clone(), post(seed >> 7));
                let page = parse(&BTreeMap::from([(path.clone(), files[&path].clone())]));
                changes.insert(path, page.pages.into_iter().next());
            }
            let files_ = SiteFiles {
                content_assets: &[],
                static_files: &[],
                theme_static: &[],
            };
            let mut bodies = Bodies {
                pages: vec![Rendered::default(); site.pages.len()],
                sections: vec![Rendered::default(); site.sections.len()],
            };
            match site.update(changes, filter(), &files_, &mut claims, &mut bodies) {
                Ok(_) => {
                    updated += 1;
                    assert_eq!(shape(&site), shape(&assemble(&files)), "after seed {seed}");
                }
                // The blog's last post went, or its first came back: the sections change.
                Err(_) => {
                    site = assemble(&files);
                    claims = Claims::new(&site);
                }
            }
        }
        assert!(updated > 250, "only {updated} updates");
    }
}
