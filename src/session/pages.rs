//! The session's path for edits that change pages, not only their text: front matter (title,
//! date, tags, slug, draft...), and pages that come or go.
//!
//! The site is updated in place ([`Site::update`]), the Markdown of the changed pages (and of
//! pages whose `@/` links now point elsewhere) is rendered again, the template values are
//! updated, and then only the outputs whose key changed are rendered again: an output's key is
//! a hash of what it shows (see `render::keys`). Outputs no longer made disappear; new ones
//! appear. Anything this path cannot do the same as a full build (a section's `_index.md`, an
//! error, a scheduled post coming due) it declines, and the session rebuilds everything.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use rayon::prelude::*;

use super::{LastBuild, RebuildKind, Rebuilt, Session};
use crate::BuildOptions;
use crate::content::{self, PageId, Parsed};
use crate::error::Diagnostics;
use crate::front_matter::PageDate;
use crate::markdown::{self, Bodies, Rendered, Resolve};
use crate::render::{self, Job, KeyHasher, Output, Outputs};
use crate::site::{Claims, Declined, Filter, PageChanges, Site, SiteFiles, Update};
use crate::source::Sources;
use crate::templates;
use crate::values::{PageFingerprint, SummaryChange, Values};

/// What the last good build's outputs show, kept to tell which outputs an edit changes.
pub(super) struct Dependencies {
    /// The output paths, to check new ones for collisions.
    claims: Claims,
    /// Each page's fingerprint (by id).
    fingerprints: Vec<PageFingerprint>,
    /// Each page's entry in the search index (by id), as JSON.
    search_entries: Vec<Vec<u8>>,
    /// Each rendered output's key (`None` when unknown: it was rendered by other means), by
    /// path, with the number of the build that made it.
    keys: HashMap<String, (Option<u64>, u64), BuildHasherDefault<KeyHasher>>,
    /// The number of the last build, counting those of this path.
    build: u64,
    /// The pages (drafts and left-out ones too) still to be published, by path under
    /// `content/`: when one comes due, the site changes without an edit.
    scheduled: BTreeMap<String, PageDate>,
    /// Whether the templates may show how many pages a tag has in a page's summary: the
    /// built-in theme does not.
    counts_shown: bool,
    /// Pages the text-only path changed since: their fingerprints are out of date.
    stale: BTreeSet<String>,
    /// The outputs of the build before the last, when the last was made by this path.
    spare: Option<Spare>,
}

impl Dependencies {
    /// The dependencies of a site built from scratch; `scheduled` from [`scheduled`].
    pub(super) fn new(
        site: &Site,
        bodies: &Bodies,
        values: &Values,
        sources: &Sources,
        scheduled: BTreeMap<String, PageDate>,
    ) -> Dependencies {
        let counts_shown = !templates::only_theme(&sources.templates);
        let ids: Vec<PageId> = (0..site.pages().len()).map(PageId).collect();
        let (fingerprints, search_entries): (Vec<PageFingerprint>, Vec<Vec<u8>>) = ids
            .par_iter()
            .map(|&id| {
                (
                    values.fingerprint(site, bodies, id, counts_shown),
                    render::search_entry_json(site, bodies, values, id),
                )
            })
            .unzip();
        let shared = Values::site_fingerprint(site, bodies);
        let keys = render::keyed_jobs(site, &fingerprints, shared)
            .into_iter()
            .map(|(job, key)| (job.path(site), (Some(key), 0)))
            .collect();
        let scheduled = scheduled
            .into_iter()
            .filter(|(_, date)| date.is_future(site.now()))
            .collect();
        Dependencies {
            claims: Claims::new(site),
            fingerprints,
            search_entries,
            keys,
            build: 0,
            scheduled,
            counts_shown,
            stale: BTreeSet::new(),
            spare: None,
        }
    }

    /// Notes that the pages `edited` and the outputs `rendered` were changed by other means:
    /// their fingerprints and keys are out of date.
    pub(super) fn forget<'a>(
        &mut self,
        edited: &BTreeSet<String>,
        rendered: impl Iterator<Item = &'a String>,
    ) {
        self.stale.extend(edited.iter().cloned());
        self.spare = None;
        for path in rendered {
            if let Some((key, _)) = self.keys.get_mut(path) {
                *key = None;
            }
        }
    }

    /// The search index, after the pages `changed` (by id, the site's pages otherwise the
    /// same) changed what it shows of them.
    pub(super) fn search_index(
        &mut self,
        site: &Site,
        bodies: &Bodies,
        values: &Values,
        changed: &[PageId],
    ) -> (String, Output) {
        for &id in changed {
            self.search_entries[id.0] = render::search_entry_json(site, bodies, values, id);
        }
        let path = Job::SearchIndex.path(site);
        let index = render::search_index_of(&self.search_entries);
        (path, Output::Bytes(Arc::new(index)))
    }

    /// Brings the fingerprints and search entries up to date after [`Values::update`].
    fn update(
        &mut self,
        site: &Site,
        bodies: &Bodies,
        values: &Values,
        update: &Update,
        changes: &[SummaryChange],
    ) {
        let fingerprints = std::mem::take(&mut self.fingerprints);
        let mut entries = std::mem::take(&mut self.search_entries);
        let counts_shown = self.counts_shown;
        let (fingerprints, entries): (Vec<_>, Vec<_>) = (0..site.pages().len())
            .map(|i| {
                let same = match changes[i] {
                    SummaryChange::None => true,
                    SummaryChange::TagCounts => !counts_shown,
                    SummaryChange::Other => false,
                };
                match update.old_ids[i] {
                    Some(old) if same => (
                        Some(fingerprints[old.0]),
                        Some(std::mem::take(&mut entries[old.0])),
                    ),
                    _ => (None, None),
                }
            })
            .unzip();
        let redo: Vec<usize> = (0..site.pages().len())
            .filter(|&i| fingerprints[i].is_none())
            .collect();
        let made: Vec<(usize, PageFingerprint, Vec<u8>)> = redo
            .into_par_iter()
            .map(|i| {
                let id = PageId(i);
                (
                    i,
                    values.fingerprint(site, bodies, id, counts_shown),
                    render::search_entry_json(site, bodies, values, id),
                )
            })
            .collect();
        let mut fingerprints = fingerprints;
        let mut entries = entries;
        for (i, fingerprint, entry) in made {
            fingerprints[i] = Some(fingerprint);
            entries[i] = Some(entry);
        }
        self.fingerprints = fingerprints.into_iter().flatten().collect();
        self.search_entries = entries.into_iter().flatten().collect();
    }
}

/// The pages of `parsed` not yet published now, by path under `content/`: those whose date is
/// still to come. Narrowed to the build's moment by [`Dependencies::new`].
pub(super) fn scheduled(parsed: &Parsed, options: &BuildOptions) -> BTreeMap<String, PageDate> {
    let now = options.now.unwrap_or_else(Timestamp::now);
    parsed
        .pages
        .iter()
        .filter_map(|page| Some((page.content_path.clone(), page.date?)))
        .filter(|(_, date)| date.is_future(now))
        .collect()
}

impl Session {
    /// The path for edits to pages: see the module's documentation. `None` when it declines;
    /// then the last build may be gone, and the caller rebuilds everything.
    pub(super) fn rebuild_pages(
        &mut self,
        edited: &BTreeSet<String>,
        start: Instant,
    ) -> Option<Rebuilt> {
        let (changes, filter, scheduled) = self.page_changes(edited)?;
        let last = self.last.as_ref()?;
        let remade = remake_markdown(&last.site, &last.bodies, &changes)?;
        let old = self.last_good.clone()?;
        let sources = self.sources.as_ref()?;
        let files = SiteFiles {
            content_assets: &sources.content_assets,
            static_files: &sources.static_files,
            theme_static: templates::theme_static(),
        };
        // A mistake in the edited pages leaves the last build as it was; from here on it is
        // changed in place, and gone when this declines.
        let mut last = self.last.take()?;
        let claims = &mut last.dependencies.claims;
        let update = match last
            .site
            .update(changes, filter, &files, claims, &mut last.bodies)
        {
            Ok(update) => update,
            Err(Declined::Untouched) => {
                self.last = Some(last);
                return None;
            }
            Err(Declined::Spoiled) => return None,
        };
        let remade = remade.install(&last.site, &mut last.bodies);
        let summaries = last
            .values
            .update(&last.site, &last.bodies, &update, &remade);
        last.dependencies
            .update(&last.site, &last.bodies, &last.values, &update, &summaries);
        let (outputs, changed) = render_changed(&mut last, &old, update.assets_changed)?;
        let dependencies = &mut last.dependencies;
        dependencies.scheduled = scheduled;
        dependencies.stale.clear();
        let outputs = Arc::new(outputs);
        let warnings = last.warnings.clone();
        self.last_good = Some(outputs.clone());
        self.last = Some(last);
        Some(Rebuilt {
            outputs,
            changed,
            warnings,
            elapsed: start.elapsed(),
            kind: RebuildKind::Pages,
        })
    }

    /// The edited pages parsed again (with those the text-only path changed since; `None` for
    /// those gone or left out), what this build includes and the pages still scheduled then;
    /// `None` when this path cannot take the edit. Leaves everything as it is.
    fn page_changes(
        &self,
        edited: &BTreeSet<String>,
    ) -> Option<(PageChanges, Filter, BTreeMap<String, PageDate>)> {
        let last = self.last.as_ref()?;
        let sources = self.sources.as_ref()?;
        let now = self.options.now.unwrap_or_else(Timestamp::now);
        if now < last.site.now() {
            return None;
        }
        let filter = Filter {
            drafts: self.options.drafts,
            future: self.options.future,
            now,
        };
        let dependencies = &last.dependencies;
        let mut changes = PageChanges::new();
        let mut scheduled = dependencies.scheduled.clone();
        for rel in edited.iter().chain(&dependencies.stale) {
            if rel == "_index.md" || rel.ends_with("/_index.md") {
                return None;
            }
            let page = match sources
                .content
                .binary_search_by(|f| f.rel.as_str().cmp(rel))
            {
                Ok(i) => content::parse_one(&sources.content[i])
                    .ok()?
                    .pages
                    .into_iter()
                    .next(),
                Err(_) => None,
            };
            scheduled.remove(rel);
            if let Some(date) = page.as_ref().and_then(|p| p.date)
                && date.is_future(now)
            {
                scheduled.insert(rel.clone(), date);
            }
            changes.insert(rel.clone(), page.filter(|page| filter.includes(page)));
        }
        // A post coming due changes the site without an edit: rebuild everything then.
        if scheduled.values().any(|date| !date.is_future(now)) {
            return None;
        }
        Some((changes, filter, scheduled))
    }
}

/// Markdown rendered again for an edit, before the site changes.
struct Remade {
    /// Pages, by path under `content/`.
    pages: HashMap<String, Rendered>,
    /// Sections, by index.
    sections: Vec<(usize, Rendered)>,
}

impl Remade {
    /// Puts the renderings into the updated site; returns, for each page, whether it has a new
    /// one.
    fn install(mut self, site: &Site, bodies: &mut Bodies) -> Vec<bool> {
        let mut remade = vec![false; site.pages().len()];
        for (path, rendered) in self.pages.drain() {
            if let Some(i) = page_index(site, &path) {
                bodies.pages[i] = rendered;
                remade[i] = true;
            }
        }
        for (i, rendered) in self.sections {
            bodies.sections[i] = rendered;
        }
        remade
    }
}

/// Renders the Markdown of the new and changed pages, and again that of pages and sections
/// whose `@/` links will resolve differently, and checks the anchors of links from and to
/// them; all before the site changes. `None` on an error (the full build reports it).
fn remake_markdown(site: &Site, bodies: &Bodies, changes: &PageChanges) -> Option<Remade> {
    let links = Overlay { site, changes };
    let resolves = |rendered: &Rendered| {
        rendered
            .lookups
            .iter()
            .all(|(target, url)| links.url_of(target) == *url)
    };
    let mut sources: Vec<(&str, &content::SourceText)> = changes
        .values()
        .flatten()
        .map(|page| (page.content_path.as_str(), &page.source))
        .collect();
    for (page, rendered) in site.pages().iter().zip(&bodies.pages) {
        if !resolves(rendered) && !changes.contains_key(&page.content_path) {
            sources.push((&page.content_path, &page.source));
        }
    }
    let sections: Vec<usize> = (0..site.sections().len())
        .filter(|&i| !resolves(&bodies.sections[i]))
        .collect();
    let render = |source: &content::SourceText| {
        let (rendered, diagnostics) = markdown::render(source, &links);
        (!Diagnostics(diagnostics).has_errors()).then_some(rendered)
    };
    let pages: Option<Vec<Rendered>> = sources.par_iter().map(|(_, s)| render(s)).collect();
    let section_renders: Option<Vec<Rendered>> = sections
        .iter()
        .map(|&i| render(&site.sections()[i].source))
        .collect();
    let paths = sources.iter().map(|(path, _)| (*path).to_owned());
    let remade = Remade {
        pages: paths.zip(pages?).collect(),
        sections: sections.into_iter().zip(section_renders?).collect(),
    };
    anchors_resolve(site, bodies, changes, &remade).then_some(remade)
}

/// Whether every `#anchor` of an `@/` link from or to Markdown rendered again (or a page
/// gone) will name a heading of its target, as the markdown stage checks for every link.
fn anchors_resolve(site: &Site, bodies: &Bodies, changes: &PageChanges, remade: &Remade) -> bool {
    let remade_sections: HashMap<String, &Rendered> = remade
        .sections
        .iter()
        .map(|(i, rendered)| (index_path(&site.sections()[*i].dir), rendered))
        .collect();
    let ids_of = |target: &str| -> &[String] {
        if let Some(rendered) = remade.pages.get(target) {
            return &rendered.ids;
        }
        if changes.contains_key(target) {
            return &[];
        }
        if let Some(i) = page_index(site, target) {
            return &bodies.pages[i].ids;
        }
        if let Some(rendered) = remade_sections.get(target) {
            return &rendered.ids;
        }
        section_of(site, target).map_or(&[], |i| &bodies.sections[i].ids)
    };
    let touched = |target: &str| {
        remade.pages.contains_key(target)
            || changes.contains_key(target)
            || remade_sections.contains_key(target)
    };
    let new = remade
        .pages
        .values()
        .chain(remade.sections.iter().map(|(_, rendered)| rendered))
        .map(|rendered| (rendered, true));
    let old = site
        .pages()
        .iter()
        .zip(&bodies.pages)
        .filter(|(page, rendered)| {
            !rendered.internal_links.is_empty() && !remade.pages.contains_key(&page.content_path)
        })
        .map(|(_, rendered)| rendered)
        .chain(
            bodies
                .sections
                .iter()
                .enumerate()
                .filter(|(i, _)| !remade.sections.iter().any(|(j, _)| j == i))
                .map(|(_, rendered)| rendered),
        )
        .map(|rendered| (rendered, false));
    for (rendered, remade) in new.chain(old) {
        for link in &rendered.internal_links {
            let Some(anchor) = &link.anchor else { continue };
            if (remade || touched(&link.target)) && !ids_of(&link.target).contains(anchor) {
                return false;
            }
        }
    }
    true
}

fn page_index(site: &Site, content_path: &str) -> Option<usize> {
    site.pages()
        .binary_search_by(|p| p.content_path.as_str().cmp(content_path))
        .ok()
}

/// The source path by which `@/` links name a section's `_index.md`.
fn index_path(dir: &str) -> String {
    if dir.is_empty() {
        "_index.md".to_owned()
    } else {
        format!("{dir}/_index.md")
    }
}

/// The section whose `_index.md` is at `content_path`.
fn section_of(site: &Site, content_path: &str) -> Option<usize> {
    let dir = if content_path == "_index.md" {
        ""
    } else {
        content_path.strip_suffix("/_index.md")?
    };
    site.sections()
        .binary_search_by(|s| s.dir.as_str().cmp(dir))
        .ok()
}

/// `@/` links as they will resolve once `changes` are made to `site`: the changed pages as
/// they are now, other pages and sections looked up in the site (both are sorted), the same as
/// the build's link index without building one.
struct Overlay<'a> {
    site: &'a Site,
    changes: &'a PageChanges,
}

impl Resolve for Overlay<'_> {
    fn url_of(&self, content_path: &str) -> Option<String> {
        let site = self.site;
        let root = &site.config().root;
        if let Some(page) = self.changes.get(content_path) {
            return page.as_ref().map(|page| format!("{root}{}", page.path));
        }
        if let Some(i) = page_index(site, content_path) {
            return Some(format!("{root}{}", site.pages()[i].path));
        }
        section_of(site, content_path).map(|i| format!("{root}{}", site.sections()[i].path))
    }
}

/// The site's outputs after an update: the old ones, but those whose key changed rendered
/// again, those no longer made taken away, and the copied files as they are now. Returns them
/// with the paths that changed (sorted), and keeps the new keys; `None` when rendering fails.
fn render_changed(
    last: &mut LastBuild,
    old: &Arc<Outputs>,
    assets_changed: bool,
) -> Option<(Outputs, Vec<String>)> {
    let (site, bodies, dependencies) = (&last.site, &last.bodies, &mut last.dependencies);
    let shared = Values::site_fingerprint(site, bodies);
    let keyed = render::keyed_jobs(site, &dependencies.fingerprints, shared);
    dependencies.build += 1;
    let build = dependencies.build;
    let mut jobs = Vec::new();
    let mut search_index = false;
    for (job, key) in keyed {
        let path = job.path(site);
        let same = match dependencies.keys.get_mut(path.as_str()) {
            Some(entry) => std::mem::replace(entry, (Some(key), build)).0 == Some(key),
            None => {
                dependencies.keys.insert(path.clone(), (Some(key), build));
                false
            }
        };
        match job {
            _ if same => {}
            // Made of the pages' entries, which are kept: far quicker than rendering it.
            Job::SearchIndex => search_index = true,
            job => jobs.push(job),
        }
    }
    // The changes to the old outputs: gone (`None`) or made again.
    let mut patch: Vec<(String, Option<Output>)> = Vec::new();
    dependencies.keys.retain(|path, (_, made)| {
        let made_now = *made == build;
        if !made_now {
            patch.push((path.clone(), None));
        }
        made_now
    });
    let mut rendered =
        render::render_jobs(site, bodies, &last.templates, &last.values, &jobs).ok()?;
    if search_index {
        rendered.push(dependencies.search_index(site, bodies, &last.values, &[]));
    }
    patch.extend(
        rendered
            .into_iter()
            .map(|(path, output)| (path, Some(output))),
    );
    let spare = dependencies.spare.take().and_then(Spare::into_last);
    let mut outputs = spare.unwrap_or_else(|| (**old).clone());
    let mut changed = Vec::new();
    for (path, output) in &patch {
        if old.0.get(path) != output.as_ref() {
            changed.push(path.clone());
        }
        match output {
            Some(output) => outputs.0.insert(path.clone(), output.clone()),
            None => outputs.0.remove(path),
        };
    }
    if assets_changed {
        outputs
            .0
            .retain(|_, output| matches!(output, Output::Bytes(_)));
        outputs.0.extend(render::asset_outputs(site));
        changed.extend(
            outputs
                .0
                .iter()
                .chain(&old.0)
                .filter(|(path, _)| old.0.get(*path) != outputs.0.get(*path))
                .map(|(path, _)| path.clone()),
        );
    } else {
        dependencies.spare = Some(Spare {
            outputs: old.clone(),
            patch,
        });
    }
    changed.sort();
    changed.dedup();
    Some((outputs, changed))
}

/// The outputs of the build before the last, with what the last build changed in them: the
/// next build patches them into its own instead of copying the last ones (tens of thousands of
/// paths, much of a one-post edit's time). By then the server has mostly let go of them.
struct Spare {
    /// The outputs of the build before the last.
    outputs: Arc<Outputs>,
    /// What the last build changed in them: outputs gone (`None`) or made again.
    patch: Vec<(String, Option<Output>)>,
}

impl Spare {
    /// The outputs of the last build, made of the spare ones when nothing else holds them.
    fn into_last(self) -> Option<Outputs> {
        let mut outputs = Arc::try_unwrap(self.outputs).ok()?;
        for (path, output) in self.patch {
            match output {
                Some(output) => outputs.0.insert(path, output),
                None => outputs.0.remove(&path),
            };
        }
        Some(outputs)
    }
}
