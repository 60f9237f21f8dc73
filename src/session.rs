//! A build that stays in memory and is redone as files change: what `knead serve` runs on.
//!
//! A [`Session`] keeps the sources it read, the parse and Markdown results of every file
//! (memoised by content hash), and the last good outputs. After a change it re-reads only the
//! files that changed and reruns the pipeline from the memoised results, so an edit to one post
//! of a large site reaches the browser quickly. A failed rebuild keeps the last good outputs.

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::content::{self, PageId, Parsed};
use crate::error::{Diagnostic, Diagnostics, Error};
use crate::markdown::Bodies;
use crate::render::{Output, Outputs};
use crate::site::Site;
use crate::source::{self, Sources};
use crate::templates::Templates;
use crate::values::Values;
use crate::{BuildOptions, markdown};

mod pages;

use pages::Dependencies;

/// What a successful rebuild produced.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    /// Every output of the site.
    pub outputs: Arc<Outputs>,
    /// Output paths whose content changed since the last good build (all of them the first
    /// time), sorted.
    pub changed: Vec<String>,
    /// Warnings of this build.
    pub warnings: Diagnostics,
    /// How long the rebuild took.
    pub elapsed: Duration,
    /// Which way the site was rebuilt.
    pub kind: RebuildKind,
}

/// Which way a rebuild went: the less changed, the less is done. Each gives the same outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebuildKind {
    /// Every stage again, from the memoised parse and Markdown results.
    Full,
    /// Only the text of existing pages changed, not their front matter: those pages are rendered
    /// again, with the outputs that show their text.
    Bodies,
    /// Pages changed, came or went: the site is updated in place and the outputs whose inputs
    /// changed are rendered again.
    Pages,
}

/// An in-memory build of one site, redone on demand.
pub struct Session {
    options: BuildOptions,
    sources: Option<Sources>,
    parse_cache: ParseCache,
    markdown_cache: markdown::Cache,
    last_good: Option<Arc<Outputs>>,
    /// The last good build's site, templates and template values, for re-rendering one page
    /// when only its text changed.
    last: Option<LastBuild>,
    /// Markdown files changed since the last good build by rebuilds that failed: the next
    /// rebuild compares them with the last good build too.
    pending: BTreeSet<String>,
}

struct LastBuild {
    site: Site,
    bodies: Bodies,
    templates: Templates,
    values: Values,
    warnings: Diagnostics,
    /// What each output shows, to tell which outputs an edit changes.
    dependencies: Dependencies,
}

impl Session {
    /// A session for the site in `options.root`. Nothing is read until [`Session::rebuild`].
    pub fn new(options: BuildOptions) -> Session {
        Session {
            options,
            sources: None,
            parse_cache: ParseCache::new(),
            markdown_cache: markdown::Cache::default(),
            last_good: None,
            last: None,
            pending: BTreeSet::new(),
        }
    }

    /// The options the session builds with.
    pub fn options(&self) -> &BuildOptions {
        &self.options
    }

    /// The outputs of the last successful build, if any.
    pub fn last_good(&self) -> Option<Arc<Outputs>> {
        self.last_good.clone()
    }

    /// Rebuilds the site. `changed` lists the files that changed since the last call (absolute
    /// or relative to the site root); `None` re-reads everything. On failure the last good
    /// outputs stay as they were.
    pub fn rebuild(&mut self, changed: Option<&[PathBuf]>) -> Result<Rebuilt, Error> {
        let start = Instant::now();
        let edited = self.edited_files(changed);
        let result = self.rebuild_from(changed, edited.as_ref(), start);
        match (&result, edited) {
            (Ok(_), _) => self.pending.clear(),
            // The last good build stays a base for the next edit, with these files to redo.
            (Err(_), Some(edited)) if self.last.is_some() => self.pending = edited,
            (Err(_), _) => {
                self.last = None;
                self.pending.clear();
            }
        }
        result
    }

    /// The Markdown files (paths under `content/`) that changed since the last good build,
    /// when nothing else did.
    fn edited_files(&self, changed: Option<&[PathBuf]>) -> Option<BTreeSet<String>> {
        let root = self.options.root.canonicalize().ok()?;
        let mut edited = self.pending.clone();
        for path in changed? {
            edited.insert(content_rel(&root, path)?);
        }
        Some(edited)
    }

    fn rebuild_from(
        &mut self,
        changed: Option<&[PathBuf]>,
        edited: Option<&BTreeSet<String>>,
        start: Instant,
    ) -> Result<Rebuilt, Error> {
        self.refresh_sources(changed)?;
        if let Some(edited) = edited {
            if let Some(rebuilt) = self.rebuild_bodies(edited, start) {
                return Ok(rebuilt);
            }
            if let Some(rebuilt) = self.rebuild_pages(edited, start) {
                return Ok(rebuilt);
            }
        }
        // Anything else: the whole pipeline, from memoised parse and Markdown. The last good
        // build stays until this one succeeds.
        let Some(sources) = &self.sources else {
            return Err(Error::Site(Diagnostics(vec![Diagnostic::error(
                "the site could not be read",
            )])));
        };
        let parsed = parse_cached(&mut self.parse_cache, sources);
        let parsed = crate::with_settings_errors(parsed, sources, &self.options)?;
        let scheduled = pages::scheduled(&parsed, &self.options);
        let (site, templates, warnings) = crate::assemble(sources, parsed, &self.options)?;
        let bodies = crate::markdown(&site, Some(&mut self.markdown_cache))
            .map_err(|errors| errors.merged(warnings.0.clone()))?;
        let (outputs, values) = crate::render::render_keeping_values(&site, &bodies, &templates)?;
        let dependencies = Dependencies::new(&site, &bodies, &values, sources, scheduled);
        let changed = changed_outputs(self.last_good.as_deref(), &outputs, changed);
        let outputs = Arc::new(outputs);
        self.last_good = Some(outputs.clone());
        self.last = Some(LastBuild {
            site,
            bodies,
            templates,
            values,
            warnings: warnings.clone(),
            dependencies,
        });
        Ok(Rebuilt {
            outputs,
            changed,
            warnings,
            elapsed: start.elapsed(),
            kind: RebuildKind::Full,
        })
    }

    /// The fast path for the commonest edit: the text of existing posts changed, but not their
    /// front matter or headings. Then the site's shape (addresses, order, tags, menus) is the
    /// same: only those pages, the feeds carrying their text and, when the summary or reading
    /// time changed, the pages listing them are rendered again. `None` when the edit is
    /// anything else (the caller rebuilds everything from memoised results).
    fn rebuild_bodies(&mut self, edited: &BTreeSet<String>, start: Instant) -> Option<Rebuilt> {
        let last = self.last.as_mut()?;
        let sources = self.sources.as_ref()?;
        let mut edits = Vec::new();
        for rel in edited {
            let file = sources.content.iter().find(|f| f.rel == *rel)?;
            let id = last
                .site
                .pages()
                .iter()
                .position(|p| p.content_path == *rel)?;
            let page = content::parse_one(file).ok()?.pages.into_iter().next()?;
            let old = &last.site.pages()[id].source;
            let new = page.source;
            if new.file != old.file || new.text[..new.body_offset] != old.text[..old.body_offset] {
                return None;
            }
            edits.push((id, new));
        }
        let resolver = crate::LinkIndex::new(&last.site);
        let mut rendered = Vec::new();
        for (id, source) in &edits {
            let (new, diagnostics) = markdown::render(source, &resolver);
            let old = &last.bodies.pages[*id];
            let same_shape = diagnostics.is_empty()
                && new.ids == old.ids
                && new.internal_links.iter().all(|link| {
                    // An anchor must still exist on the page it points at.
                    link.anchor.as_ref().is_none_or(|anchor| {
                        let ids = if link.target == last.site.pages()[*id].content_path {
                            Some(&new.ids)
                        } else {
                            last.site
                                .pages()
                                .iter()
                                .position(|p| p.content_path == link.target)
                                .map(|t| &last.bodies.pages[t].ids)
                        };
                        ids.is_some_and(|ids| ids.contains(anchor))
                    })
                });
            if !same_shape {
                return None;
            }
            rendered.push(new);
        }
        let mut jobs = Vec::new();
        let mut summaries_changed = Vec::new();
        for ((id, source), new) in edits.into_iter().zip(rendered) {
            let old = &last.bodies.pages[id];
            let same_summary = new.summary == old.summary
                && new.summary_text == old.summary_text
                && new.reading_time() == old.reading_time();
            last.site.replace_text(PageId(id), source);
            last.bodies.pages[id] = new;
            let id = PageId(id);
            if same_summary {
                jobs.extend(crate::render::body_jobs(&last.site, id));
            } else {
                last.values.refresh(&last.site, &last.bodies, id);
                jobs.extend(crate::render::summary_jobs(&last.site, id));
                summaries_changed.push(id);
            }
        }
        // The search index is made of the pages' entries, far quicker than rendering it.
        jobs.retain(|job| !matches!(job, crate::render::Job::SearchIndex));
        let mut outputs = crate::render::render_jobs(
            &last.site,
            &last.bodies,
            &last.templates,
            &last.values,
            &jobs,
        )
        .ok()?;
        if !summaries_changed.is_empty() {
            let dependencies = &mut last.dependencies;
            outputs.push(dependencies.search_index(
                &last.site,
                &last.bodies,
                &last.values,
                &summaries_changed,
            ));
        }
        let mut all = self.last_good.as_deref()?.clone();
        // What these outputs show is no longer what their keys say.
        last.dependencies
            .forget(edited, outputs.iter().map(|(path, _)| path));
        let mut changed_paths = Vec::new();
        for (path, output) in outputs {
            if all.0.get(&path) != Some(&output) {
                changed_paths.push(path.clone());
            }
            all.0.insert(path, output);
        }
        changed_paths.sort();
        let all = Arc::new(all);
        self.last_good = Some(all.clone());
        Some(Rebuilt {
            outputs: all,
            changed: changed_paths,
            warnings: last.warnings.clone(),
            elapsed: start.elapsed(),
            kind: RebuildKind::Bodies,
        })
    }

    /// Re-reads what changed: single content files when only those changed, else everything.
    fn refresh_sources(&mut self, changed: Option<&[PathBuf]>) -> Result<(), Error> {
        let root = self.options.root.clone();
        let (Some(sources), Some(changed)) = (&mut self.sources, changed) else {
            self.sources = Some(source::read(&root)?);
            return Ok(());
        };
        let canonical_root = root.canonicalize().unwrap_or_else(|_| root.clone());
        let content_dir = canonical_root.join("content");
        let mut everything = false;
        for path in changed {
            let absolute = if path.is_absolute() {
                path.clone()
            } else {
                canonical_root.join(path)
            };
            let absolute = absolute
                .parent()
                .and_then(|p| p.canonicalize().ok())
                .and_then(|p| Some(p.join(absolute.file_name()?)))
                .unwrap_or(absolute);
            let rel = absolute
                .strip_prefix(&content_dir)
                .ok()
                .and_then(Path::to_str)
                .map(|r| r.replace('\\', "/"));
            match rel {
                Some(rel) if rel.ends_with(".md") && !is_hidden(&rel) => {
                    update_content_file(sources, &rel, &absolute)
                }
                _ => everything = true,
            }
        }
        if everything {
            self.sources = Some(source::read(&root)?);
        }
        Ok(())
    }
}

/// The parse results of each content file, with the hash of the bytes they came from.
type ParseCache = HashMap<String, (u64, Result<Parsed, Diagnostic>)>;

/// Parses the content files, reusing the result for every file whose bytes did not change.
fn parse_cached(cache: &mut ParseCache, sources: &Sources) -> Result<Parsed, Diagnostics> {
    let mut fresh: HashMap<String, (u64, Result<Parsed, Diagnostic>)> =
        HashMap::with_capacity(sources.content.len());
    let mut to_parse = Vec::new();
    for file in &sources.content {
        let hash = hash_bytes(&file.bytes);
        match cache.remove(&file.rel) {
            Some((old, result)) if old == hash => {
                fresh.insert(file.rel.clone(), (hash, result));
            }
            _ => to_parse.push((file, hash)),
        }
    }
    let parsed: Vec<(String, u64, Result<Parsed, Diagnostic>)> = {
        use rayon::prelude::*;
        to_parse
            .par_iter()
            .map(|(file, hash)| (file.rel.clone(), *hash, content::parse_one(file)))
            .collect()
    };
    for (rel, hash, result) in parsed {
        fresh.insert(rel, (hash, result));
    }
    *cache = fresh;
    let mut all = Parsed::default();
    let mut diagnostics = Diagnostics::default();
    for file in &sources.content {
        match &cache[&file.rel].1 {
            Ok(item) => {
                all.pages.extend(item.pages.iter().cloned());
                all.sections.extend(item.sections.iter().cloned());
            }
            Err(diagnostic) => diagnostics.push(diagnostic.clone()),
        }
    }
    if diagnostics.has_errors() {
        diagnostics.sort();
        return Err(diagnostics);
    }
    Ok(all)
}

/// The path of a Markdown file under `content/`, relative to it, or `None` for anything else.
fn content_rel(canonical_root: &Path, path: &Path) -> Option<String> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        canonical_root.join(path)
    };
    let parent = absolute.parent()?.canonicalize().ok()?;
    let absolute = parent.join(absolute.file_name()?);
    let rel = absolute.strip_prefix(canonical_root.join("content")).ok()?;
    let rel = rel.to_str()?.replace('\\', "/");
    (rel.ends_with(".md") && !is_hidden(&rel)).then_some(rel)
}

fn is_hidden(rel: &str) -> bool {
    rel.split('/').any(|part| part.starts_with('.'))
}

/// Replaces, adds or removes one Markdown file of the sources.
fn update_content_file(sources: &mut Sources, rel: &str, path: &Path) {
    let position = sources.content.iter().position(|f| f.rel == rel);
    match (std::fs::read(path), position) {
        (Ok(bytes), Some(i)) => sources.content[i].bytes = bytes,
        (Ok(bytes), None) => {
            let at = sources.content.partition_point(|f| f.rel.as_str() < rel);
            sources.content.insert(
                at,
                source::ContentFile {
                    rel: rel.to_owned(),
                    bytes,
                },
            );
        }
        (Err(_), Some(i)) => {
            sources.content.remove(i);
        }
        (Err(_), None) => {}
    }
}

fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// The output paths whose content differs between two builds (every path when there is no
/// previous build), sorted. A file copied from disk keeps its path when it changes, so it counts
/// as changed when its source is among the `changed` files.
fn changed_outputs(
    before: Option<&Outputs>,
    after: &Outputs,
    changed_files: Option<&[PathBuf]>,
) -> Vec<String> {
    let Some(before) = before else {
        return after.0.keys().cloned().collect();
    };
    let touched: Vec<PathBuf> = changed_files
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let source_changed = |output: &Output| match output {
        Output::File(path) => {
            changed_files.is_none() || path.canonicalize().is_ok_and(|p| touched.contains(&p))
        }
        _ => false,
    };
    let mut changed: Vec<String> = after
        .0
        .iter()
        .filter(|(path, output)| before.0.get(*path) != Some(*output) || source_changed(output))
        .map(|(path, _)| path.clone())
        .collect();
    changed.extend(
        before
            .0
            .keys()
            .filter(|path| !after.0.contains_key(*path))
            .cloned(),
    );
    changed.sort();
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "site.toml",
            "title = \"T\"\nbase_url = \"https://x.example\"\n",
        );
        write("content/blog/_index.md", "+++\ntitle = \"Blog\"\n+++\n");
        for (name, day) in [("a", "01"), ("b", "02")] {
            write(
                &format!("content/blog/{name}.md"),
                &format!(
                    "+++\ntitle = \"{name}\"\ndate = 2025-01-{day}\ntags = [\"Neck\"]\n+++\nFirst paragraph.\n\n## Part\n\nBody of {name}.\n"
                ),
            );
        }
        dir
    }

    fn page(rebuilt: &Rebuilt, path: &str) -> String {
        match rebuilt.outputs.0.get(path) {
            Some(Output::Bytes(bytes)) => String::from_utf8(bytes.to_vec()).unwrap(),
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn a_body_edit_rerenders_only_the_page_and_its_feeds() {
        let dir = site();
        let mut session = started(dir.path());
        let post = dir.path().join("content/blog/a.md");
        let text = std::fs::read_to_string(&post).unwrap();
        std::fs::write(&post, text.replace("Body of a.", "Body of a, edited.")).unwrap();
        let rebuilt = session.rebuild(Some(std::slice::from_ref(&post))).unwrap();
        assert!(page(&rebuilt, "blog/a/index.html").contains("Body of a, edited."));
        assert!(page(&rebuilt, "atom.xml").contains("Body of a, edited."));
        assert!(rebuilt.changed.contains(&"blog/a/index.html".to_owned()));
        assert!(!rebuilt.changed.contains(&"blog/index.html".to_owned()));
        // The same outputs a full build makes.
        let full = Session::new(BuildOptions::new(dir.path()))
            .rebuild(None)
            .unwrap();
        assert_eq!(*rebuilt.outputs, *full.outputs);
    }

    /// Rebuilds after replacing `from` by `to` in `rel`, and checks the outputs are those of a
    /// full build.
    fn edit(dir: &Path, session: &mut Session, rel: &str, from: &str, to: &str) -> Rebuilt {
        let post = dir.join(rel);
        let text = std::fs::read_to_string(&post).unwrap();
        assert!(text.contains(from), "{rel} has no {from:?}");
        std::fs::write(&post, text.replacen(from, to, 1)).unwrap();
        let rebuilt = session.rebuild(Some(std::slice::from_ref(&post))).unwrap();
        assert_same_as_full_build(dir, &rebuilt);
        rebuilt
    }

    fn assert_same_as_full_build(dir: &Path, rebuilt: &Rebuilt) {
        assert_same_as_full_build_with(BuildOptions::new(dir), rebuilt);
    }

    fn assert_same_as_full_build_with(options: BuildOptions, rebuilt: &Rebuilt) {
        let full = Session::new(options).rebuild(None).unwrap();
        let paths = |o: &Outputs| o.0.keys().cloned().collect::<Vec<_>>();
        assert_eq!(paths(&rebuilt.outputs), paths(&full.outputs));
        for (path, output) in &full.outputs.0 {
            assert!(
                rebuilt.outputs.0.get(path) == Some(output),
                "{path} differs"
            );
        }
    }

    #[test]
    fn a_title_edit_renders_what_shows_the_title() {
        let dir = site();
        let mut session = started(dir.path());
        let rebuilt = edit(
            dir.path(),
            &mut session,
            "content/blog/a.md",
            "title = \"a\"",
            "title = \"A new title\"",
        );
        assert_eq!(rebuilt.kind, RebuildKind::Pages);
        assert!(page(&rebuilt, "blog/index.html").contains("A new title"));
        assert!(rebuilt.changed.contains(&"blog/b/index.html".to_owned()));
    }

    /// A session over the site in `dir`, after its first build.
    fn started(dir: &Path) -> Session {
        let mut session = Session::new(BuildOptions::new(dir));
        session.rebuild(None).unwrap();
        session
    }

    /// Writes a file of the site and rebuilds after it changed.
    fn write(dir: &Path, session: &mut Session, rel: &str, text: &str) -> Result<Rebuilt, Error> {
        let path = dir.join(rel);
        std::fs::write(&path, text).unwrap();
        session.rebuild(Some(&[path]))
    }

    fn has(rebuilt: &Rebuilt, path: &str) -> bool {
        rebuilt.outputs.0.contains_key(path)
    }

    #[test]
    fn a_tag_edit_moves_the_post_between_tag_pages() {
        let dir = site();
        let mut session = started(dir.path());
        let a = "content/blog/a.md";
        let rebuilt = edit(dir.path(), &mut session, a, "[\"Neck\"]", "[\"Back\"]");
        assert_eq!(rebuilt.kind, RebuildKind::Pages);
        assert!(page(&rebuilt, "tags/back/index.html").contains("/blog/a/"));
        assert!(!page(&rebuilt, "tags/neck/index.html").contains("/blog/a/"));
        let b = "content/blog/b.md";
        let rebuilt = edit(dir.path(), &mut session, b, "[\"Neck\"]", "[\"Back\"]");
        assert_eq!(rebuilt.kind, RebuildKind::Pages);
        // No post has the tag any more: its pages and feed go.
        assert!(!has(&rebuilt, "tags/neck/index.html"));
        assert!(!has(&rebuilt, "tags/neck/atom.xml"));
        assert!(rebuilt.changed.contains(&"tags/neck/atom.xml".to_owned()));
    }

    #[test]
    fn a_new_slug_moves_the_page_and_an_alias_takes_the_old_address() {
        let dir = site();
        let mut session = started(dir.path());
        let moved = "title = \"a\"\nslug = \"renamed\"\naliases = [\"/blog/a/\"]";
        let rebuilt = edit(
            dir.path(),
            &mut session,
            "content/blog/a.md",
            "title = \"a\"",
            moved,
        );
        assert_eq!(rebuilt.kind, RebuildKind::Pages);
        assert!(page(&rebuilt, "blog/renamed/index.html").contains("Body of a."));
        assert!(page(&rebuilt, "blog/a/index.html").contains("https://x.example/blog/renamed/"));
        let rebuilt = edit(
            dir.path(),
            &mut session,
            "content/blog/a.md",
            "aliases = [\"/blog/a/\"]",
            "",
        );
        assert!(!has(&rebuilt, "blog/a/index.html"));
    }

    #[test]
    fn posts_added_and_deleted_come_and_go() {
        let dir = site();
        let mut session = started(dir.path());
        let text = "+++\ntitle = \"c\"\ndate = 2025-01-03\ntags = [\"New\"]\n+++\nBody of c.\n";
        let rebuilt = write(dir.path(), &mut session, "content/blog/c.md", text).unwrap();
        assert_eq!(rebuilt.kind, RebuildKind::Pages);
        assert_same_as_full_build(dir.path(), &rebuilt);
        assert!(has(&rebuilt, "blog/c/index.html") && has(&rebuilt, "tags/new/index.html"));
        let post = dir.path().join("content/blog/c.md");
        std::fs::remove_file(&post).unwrap();
        let rebuilt = session.rebuild(Some(&[post])).unwrap();
        assert_eq!(rebuilt.kind, RebuildKind::Pages);
        assert_same_as_full_build(dir.path(), &rebuilt);
        assert!(!has(&rebuilt, "blog/c/index.html") && !has(&rebuilt, "tags/new/index.html"));
    }

    #[test]
    fn the_fix_of_a_mistake_in_front_matter_is_quick_too() {
        let dir = site();
        let mut session = started(dir.path());
        let a = "content/blog/a.md";
        let text = std::fs::read_to_string(dir.path().join(a)).unwrap();
        let broken = text.replace("title = \"a\"", "title = \"a");
        assert!(write(dir.path(), &mut session, a, &broken).is_err());
        // Another post's slug: both would write `blog/b/index.html`.
        let taken = text.replace("title = \"a\"", "title = \"a\"\nslug = \"b\"");
        assert!(write(dir.path(), &mut session, a, &taken).is_err());
        let fixed = text.replace("title = \"a\"", "title = \"A, fixed\"");
        let rebuilt = write(dir.path(), &mut session, a, &fixed).unwrap();
        assert_eq!(rebuilt.kind, RebuildKind::Pages);
        assert_same_as_full_build(dir.path(), &rebuilt);
        assert!(page(&rebuilt, "blog/a/index.html").contains("A, fixed"));
    }

    /// Found by the property test: outputs the text path renders again must still go when
    /// a later edit makes them unneeded.
    #[test]
    fn a_list_page_rendered_after_a_text_edit_goes_with_its_last_post() {
        let dir = site();
        let blog = "+++\ntitle = \"Blog\"\npaginate_by = 1\n+++\n";
        std::fs::write(dir.path().join("content/blog/_index.md"), blog).unwrap();
        let mut session = started(dir.path());
        // `a` is alone on the second list page, whose summary of it changes.
        let a = "content/blog/a.md";
        let rebuilt = edit(dir.path(), &mut session, a, "First paragraph.", "Changed.");
        assert_eq!(rebuilt.kind, RebuildKind::Bodies);
        assert!(page(&rebuilt, "blog/page/2/index.html").contains("Changed."));
        let post = dir.path().join(a);
        std::fs::remove_file(&post).unwrap();
        let rebuilt = session.rebuild(Some(&[post])).unwrap();
        assert!(!has(&rebuilt, "blog/page/2/index.html"));
        assert_same_as_full_build(dir.path(), &rebuilt);
    }

    #[test]
    fn a_post_coming_due_rebuilds_everything() {
        let dir = site();
        let scheduled = "+++\ntitle = \"c\"\ndate = 2025-06-01T12:00:00Z\n+++\nSoon.\n";
        std::fs::write(dir.path().join("content/blog/c.md"), scheduled).unwrap();
        let at = |moment: &str| BuildOptions {
            now: Some(moment.parse().unwrap()),
            ..BuildOptions::new(dir.path())
        };
        let mut session = Session::new(at("2025-06-01T11:00:00Z"));
        assert!(!has(&session.rebuild(None).unwrap(), "blog/c/index.html"));
        session.options.now = Some("2025-06-01T13:00:00Z".parse().unwrap());
        let post = dir.path().join("content/blog/a.md");
        let text = std::fs::read_to_string(&post).unwrap();
        std::fs::write(&post, text.replace("title = \"a\"", "title = \"A\"")).unwrap();
        let rebuilt = session.rebuild(Some(&[post])).unwrap();
        assert_eq!(rebuilt.kind, RebuildKind::Full);
        assert!(has(&rebuilt, "blog/c/index.html"));
        assert_same_as_full_build_with(at("2025-06-01T13:00:00Z"), &rebuilt);
    }

    #[test]
    fn a_section_edit_rebuilds_everything() {
        let dir = site();
        let mut session = started(dir.path());
        let rebuilt = edit(
            dir.path(),
            &mut session,
            "content/blog/_index.md",
            "Blog",
            "Articles",
        );
        assert_eq!(rebuilt.kind, RebuildKind::Full);
    }

    #[test]
    fn outputs_still_held_are_never_changed_by_later_edits() {
        let dir = site();
        let mut session = Session::new(BuildOptions::new(dir.path()));
        let post = "content/blog/a.md";
        let text = std::fs::read_to_string(dir.path().join(post)).unwrap();
        let titled = |title: &str| text.replace("title = \"a\"", &format!("title = \"{title}\""));
        let mut held = vec![session.rebuild(None).unwrap()];
        for title in ["One", "Two", "Three", "Four"] {
            let rebuilt = write(dir.path(), &mut session, post, &titled(title)).unwrap();
            assert_eq!(rebuilt.kind, RebuildKind::Pages);
            assert_same_as_full_build(dir.path(), &rebuilt);
            held.push(rebuilt);
        }
        let copies: Vec<Outputs> = held.iter().map(|r| (*r.outputs).clone()).collect();
        let rebuilt = write(dir.path(), &mut session, post, &titled("Five")).unwrap();
        assert_same_as_full_build(dir.path(), &rebuilt);
        for (rebuilt, copy) in held.iter().zip(&copies) {
            assert_eq!(*rebuilt.outputs, *copy);
        }
        // Let go of them: the next edits patch the outputs of two builds back.
        held.clear();
        drop(rebuilt);
        for title in ["Six", "Seven", "Eight"] {
            let rebuilt = write(dir.path(), &mut session, post, &titled(title)).unwrap();
            assert_eq!(rebuilt.kind, RebuildKind::Pages);
            assert_same_as_full_build(dir.path(), &rebuilt);
        }
    }

    #[test]
    fn a_summary_edit_updates_the_lists_too() {
        let dir = site();
        let mut session = started(dir.path());
        let post = dir.path().join("content/blog/a.md");
        let text = std::fs::read_to_string(&post).unwrap();
        std::fs::write(
            &post,
            text.replace("First paragraph.", "A new first paragraph."),
        )
        .unwrap();
        let rebuilt = session.rebuild(Some(std::slice::from_ref(&post))).unwrap();
        assert!(page(&rebuilt, "blog/index.html").contains("A new first paragraph."));
        let full = Session::new(BuildOptions::new(dir.path()))
            .rebuild(None)
            .unwrap();
        assert_eq!(*rebuilt.outputs, *full.outputs);
    }
}
