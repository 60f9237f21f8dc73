//! A build that stays in memory and is redone as files change: what `knead serve` runs on.
//!
//! A [`Session`] keeps the sources it read, the parse and Markdown results of every file
//! (memoised by content hash), and the last good outputs. After a change it re-reads only the
//! files that changed and reruns the pipeline from the memoised results, so an edit to one post
//! of a large site reaches the browser quickly. A failed rebuild keeps the last good outputs.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::content::{self, Parsed};
use crate::error::{Diagnostic, Diagnostics, Error};
use crate::render::{Output, Outputs};
use crate::site::Site;
use crate::source::{self, Sources};
use crate::templates::Templates;
use crate::values::Values;
use crate::{BuildOptions, markdown};

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
}

struct LastBuild {
    site: Site,
    templates: Templates,
    values: Values,
    warnings: Diagnostics,
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
        self.refresh_sources(changed)?;
        if let Some(changed) = changed
            && let Some(rebuilt) = self.rebuild_bodies(changed, start)
        {
            return Ok(rebuilt);
        }
        // Anything but a body edit: the whole pipeline, from memoised parse and Markdown.
        self.last = None;
        let Some(sources) = &self.sources else {
            return Err(Error::Site(Diagnostics(vec![Diagnostic::error(
                "the site could not be read",
            )])));
        };
        let parsed = parse_cached(&mut self.parse_cache, sources).map_err(Error::Site)?;
        let (site, templates, warnings) = crate::assemble_parsed(sources, parsed, &self.options)
            .and_then(|(site, templates, warnings)| {
                let site = crate::render_markdown_cached(site, &mut self.markdown_cache)?;
                Ok((site, templates, warnings))
            })
            .map_err(Error::Site)?;
        let (outputs, values) =
            crate::render::render_keeping_values(&site, &templates).map_err(Error::Site)?;
        let changed = changed_outputs(self.last_good.as_deref(), &outputs, changed);
        let outputs = Arc::new(outputs);
        self.last_good = Some(outputs.clone());
        self.last = Some(LastBuild {
            site,
            templates,
            values,
            warnings: warnings.clone(),
        });
        Ok(Rebuilt {
            outputs,
            changed,
            warnings,
            elapsed: start.elapsed(),
        })
    }

    /// The fast path for the commonest edit: the text of existing posts changed, but not their
    /// front matter or headings. Then the site's shape (addresses, order, tags, menus) is the
    /// same: only those pages, the feeds carrying their text and, when the summary or reading
    /// time changed, the pages listing them are rendered again. `None` when the edit is
    /// anything else (the caller rebuilds everything from memoised results).
    fn rebuild_bodies(&mut self, changed: &[PathBuf], start: Instant) -> Option<Rebuilt> {
        let last = self.last.as_mut()?;
        let sources = self.sources.as_ref()?;
        let root = self.options.root.canonicalize().ok()?;
        let mut edits = Vec::new();
        for path in changed {
            let rel = content_rel(&root, path)?;
            let file = sources.content.iter().find(|f| f.rel == rel)?;
            let id = last.site.pages.iter().position(|p| p.content_path == rel)?;
            let page = content::parse_one(file).ok()?.pages.into_iter().next()?;
            let old = &last.site.pages[id].source;
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
            let old = &last.site.rendered[*id];
            let same_shape = diagnostics.is_empty()
                && new.ids == old.ids
                && new.internal_links.iter().all(|link| {
                    // An anchor must still exist on the page it points at.
                    link.anchor.as_ref().is_none_or(|anchor| {
                        let ids = if link.target == last.site.pages[*id].content_path {
                            Some(&new.ids)
                        } else {
                            last.site
                                .pages
                                .iter()
                                .position(|p| p.content_path == link.target)
                                .map(|t| &last.site.rendered[t].ids)
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
        for ((id, source), new) in edits.into_iter().zip(rendered) {
            let old = &last.site.rendered[id];
            let same_summary = new.summary == old.summary
                && new.summary_text == old.summary_text
                && new.reading_time() == old.reading_time();
            last.site.pages[id].source = source;
            last.site.rendered[id] = new;
            let id = crate::content::PageId(id);
            if same_summary {
                jobs.extend(crate::render::body_jobs(&last.site, id));
            } else {
                last.values.refresh(&last.site, id);
                jobs.extend(crate::render::summary_jobs(&last.site, id));
            }
        }
        let outputs =
            crate::render::render_jobs(&last.site, &last.templates, &last.values, &jobs).ok()?;
        let mut all = self.last_good.as_deref()?.clone();
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
        let mut session = Session::new(BuildOptions::new(dir.path()));
        session.rebuild(None).unwrap();
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

    #[test]
    fn a_summary_edit_updates_the_lists_too() {
        let dir = site();
        let mut session = Session::new(BuildOptions::new(dir.path()));
        session.rebuild(None).unwrap();
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
