//! A build that stays in memory and is redone as files change: what `knead serve` runs on.
//!
//! A [`Session`] keeps the sources it read, the parse and Markdown results of every file
//! (memoised by content hash), the last good outputs and what each of them read while it
//! rendered ([`trace`]). After a change it re-reads only the files that changed and runs every
//! stage of the build again, from the memoised results, then renders again only the outputs
//! one of whose reads gives something else now: an edit to one post of a large site reaches
//! the browser quickly, and the outputs are those a build from scratch makes. A failed rebuild
//! keeps the last good outputs.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::content::{self, PageId, Parsed};
use crate::error::{Diagnostic, Diagnostics, Error};
use crate::render::trace::{self, Keys, Read, Reads};
use crate::render::{self, Job, Output, Outputs};
use crate::site::Site;
use crate::source::{self, Sources};
use crate::values::Values;
use crate::{BuildOptions, markdown, templates};

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

/// How much a rebuild did. Each way gives the outputs a build from scratch gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebuildKind {
    /// Every output was rendered: the first build, or the settings, the templates, `site` or a
    /// section changed (what every output shows).
    Full,
    /// Only the text of pages changed, not their front matter: the outputs that read those
    /// pages were rendered again.
    Bodies,
    /// Pages changed, came or went: the outputs that read what changed were rendered again.
    Pages,
}

/// An in-memory build of one site, redone on demand.
pub struct Session {
    options: BuildOptions,
    sources: Option<Sources>,
    parse_cache: ParseCache,
    markdown_cache: markdown::Cache,
    last_good: Option<Arc<Outputs>>,
    /// What the last good build's outputs read, to tell which a rebuild must render again.
    memo: Option<Memo>,
    /// The last good build's page summaries.
    pages: Option<PageMemo>,
    /// The related posts of the last assembly.
    related: crate::site::RelatedCache,
}

/// What the last good build rendered: for each output, what it read ([`trace`]).
struct Memo {
    /// What every output saw ([`trace::global`]).
    global: u64,
    /// Each page's front matter, as a hash over the pages in order: whether an edit changed
    /// only text.
    front_matter: u64,
    /// By output path.
    outputs: HashMap<String, Traced>,
}

/// Each page's summary and hashes from the last good build, to make them again only for the
/// pages that changed ([`Values::reusing`]).
struct PageMemo {
    /// [`trace::settings`]: with other settings, nothing is reused.
    settings: u64,
    /// By page key.
    entries: HashMap<trace::Key, PageEntry>,
}

struct PageEntry {
    /// The page's text and rendering, held so that the addresses `inputs` hashes are not
    /// reused for other values while the entry lives.
    _alive: (Arc<str>, Arc<markdown::Rendered>),
    /// What the summary was made of, as [`Values::reusing`] hashes it.
    inputs: u64,
    summary: tera::Value,
    /// The summary's and the page's hashes ([`Reads::page_hashes`]).
    hashes: (u64, u64),
}

/// What one output was, and what it read, with what each read gave.
#[derive(Clone)]
struct Traced {
    /// [`trace::job_key`].
    job: u64,
    reads: Arc<[(Read, u64)]>,
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
            memo: None,
            pages: None,
            related: crate::site::RelatedCache::default(),
        }
    }

    /// Moves the session's clock, which decides the posts that are due: `None` for the
    /// computer's clock (what `knead serve` uses).
    pub fn set_now(&mut self, now: Option<jiff::Timestamp>) {
        self.options.now = now;
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
    ///
    /// Every stage runs, as in `knead build`: parse and Markdown reuse their results for files
    /// whose bytes did not change, and an output is rendered again only when something it read
    /// the last time it rendered gives something else now.
    pub fn rebuild(&mut self, changed: Option<&[PathBuf]>) -> Result<Rebuilt, Error> {
        let start = Instant::now();
        let reread = self.refresh_sources(changed).inspect_err(|_| {
            // Some files may have been read again: the next parse hashes every file.
            self.parse_cache.clear();
        })?;
        let Some(sources) = &self.sources else {
            return Err(Error::Site(Diagnostics(vec![Diagnostic::error(
                "the site could not be read",
            )])));
        };
        let parsed = parse_cached(&mut self.parse_cache, sources, reread.as_ref());
        let parsed = crate::with_settings_errors(parsed, sources, &self.options)?;
        let (site, templates, warnings) =
            crate::assemble_cached(sources, parsed, &self.options, Some(&mut self.related))?;
        let mut assets =
            crate::assets(&site, sources).map_err(|errors| errors.merged(warnings.0.clone()))?;
        let bodies = crate::markdown(&site, &assets, Some(&mut self.markdown_cache))
            .map_err(|errors| errors.merged(warnings.0.clone()))?;
        // The photos' files, from the same cache as `knead build`: a new photo is made at once,
        // the others are found there.
        let cache_dir = self.options.root.join(crate::images::CACHE_DIR);
        assets
            .make_photos(&cache_dir, &site.config().images, false)
            .map_err(|errors| errors.merged(warnings.0.clone()))?;
        let keys = Keys::new(&site);
        let settings = trace::settings(sources, self.options.drafts, self.options.future);
        let earlier = self
            .pages
            .as_ref()
            .filter(|pages| pages.settings == settings);
        let earlier_entry = |id: PageId, inputs: u64| {
            earlier?
                .entries
                .get(&keys.pages[id.0])
                .filter(|entry| entry.inputs == inputs)
        };
        let (values, inputs) = Values::reusing(&site, &bodies, &assets, &|id, inputs| {
            earlier_entry(id, inputs).map(|entry| entry.summary.clone())
        });
        let counts_shown = !templates::only_theme(&sources.templates);
        let reads = Reads::new(&site, &bodies, &values, &keys, counts_shown, &|id| {
            earlier_entry(id, inputs[id.0]).map(|entry| entry.hashes)
        });
        let global = trace::global(settings, &values);
        let front_matter = front_matter_hash(&site, &keys);
        let memo = self.memo.as_ref().filter(|memo| memo.global == global);
        let last = self.last_good.as_deref().filter(|_| memo.is_some());
        let jobs = site.jobs();
        let paths: Vec<String> = jobs.par_iter().map(|job| job.path(&site)).collect();
        // For each output, the last one when nothing it read changed.
        let kept: Vec<Option<(Output, Traced)>> = jobs
            .par_iter()
            .zip(&paths)
            .with_max_len(64)
            .map(|(job, path)| {
                let traced = memo?.outputs.get(path)?;
                let same = traced.job == trace::job_key(job, &keys)
                    && traced
                        .reads
                        .iter()
                        .all(|(read, was)| reads.give(read) == Some(*was));
                let output = last?.0.get(path)?;
                same.then(|| (output.clone(), traced.clone()))
            })
            .collect();
        let todo: Vec<Job> = jobs
            .iter()
            .zip(&kept)
            .filter(|(_, kept)| kept.is_none())
            .map(|(job, _)| job.clone())
            .collect();
        let kept: Vec<(String, Output, Traced)> = paths
            .into_iter()
            .zip(kept)
            .filter_map(|(path, kept)| kept.map(|(output, traced)| (path, output, traced)))
            .collect();
        let rendered = render::render_traced(&site, &bodies, &templates, &values, &todo)?;
        let mut outputs = Outputs::default();
        outputs.0.extend(render::asset_outputs(&assets));
        let mut traces = HashMap::with_capacity(jobs.len());
        for (path, output, traced) in kept {
            outputs.0.insert(path.clone(), output);
            traces.insert(path, traced);
        }
        for ((path, output, read), job) in rendered.into_iter().zip(&todo) {
            let reads: Arc<[(Read, u64)]> = read
                .into_iter()
                .filter_map(|read| Some((read, reads.give(&read)?)))
                .collect();
            let job = trace::job_key(job, &keys);
            outputs.0.insert(path.clone(), output);
            traces.insert(path, Traced { job, reads });
        }
        let kind = match memo {
            None => RebuildKind::Full,
            Some(memo) if memo.front_matter == front_matter => RebuildKind::Bodies,
            Some(_) => RebuildKind::Pages,
        };
        let changed = changed_outputs(self.last_good.as_deref(), &outputs, changed);
        let outputs = Arc::new(outputs);
        self.last_good = Some(outputs.clone());
        self.pages = Some(PageMemo {
            settings,
            entries: (0..site.pages().len())
                .map(|i| {
                    let entry = PageEntry {
                        _alive: (site.pages()[i].source.text.clone(), bodies.pages[i].clone()),
                        inputs: inputs[i],
                        summary: values.summaries[i].clone(),
                        hashes: reads.page_hashes(PageId(i)),
                    };
                    (keys.pages[i], entry)
                })
                .collect(),
        });
        self.memo = Some(Memo {
            global,
            front_matter,
            outputs: traces,
        });
        Ok(Rebuilt {
            outputs,
            changed,
            warnings,
            elapsed: start.elapsed(),
            kind,
        })
    }

    /// Re-reads what changed: single content files when only those changed, else everything.
    /// Returns the Markdown files read again (paths under `content/`), or `None` when every
    /// file was.
    fn refresh_sources(
        &mut self,
        changed: Option<&[PathBuf]>,
    ) -> Result<Option<BTreeSet<String>>, Error> {
        let root = self.options.root.clone();
        let (Some(sources), Some(changed)) = (&mut self.sources, changed) else {
            self.sources = Some(source::read(&root)?);
            return Ok(None);
        };
        let mut reread = BTreeSet::new();
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
                    update_content_file(sources, &rel, &absolute);
                    reread.insert(rel);
                }
                _ => everything = true,
            }
        }
        if everything {
            self.sources = Some(source::read(&root)?);
            return Ok(None);
        }
        Ok(Some(reread))
    }
}

/// The parse results of each content file, with the hash of the bytes they came from.
type ParseCache = HashMap<String, (u64, Result<Parsed, Diagnostics>)>;

/// Parses the content files, reusing the result for every file whose bytes did not change.
/// `reread` lists the files read again since the last call (`None`: every file); the others'
/// bytes are known to be the same and are not hashed again.
fn parse_cached(
    cache: &mut ParseCache,
    sources: &Sources,
    reread: Option<&BTreeSet<String>>,
) -> Result<Parsed, Diagnostics> {
    let present: HashSet<&str> = sources.content.iter().map(|f| f.rel.as_str()).collect();
    cache.retain(|rel, _| present.contains(rel.as_str()));
    let to_parse: Vec<(&source::ContentFile, u64)> = sources
        .content
        .par_iter()
        .filter_map(|file| {
            let cached = cache.get(&file.rel);
            if cached.is_some() && reread.is_some_and(|r| !r.contains(&file.rel)) {
                return None;
            }
            let hash = hash_bytes(&file.bytes);
            match cached {
                Some((old, _)) if *old == hash => None,
                _ => Some((file, hash)),
            }
        })
        .collect();
    let parsed: Vec<(String, u64, Result<Parsed, Diagnostics>)> = to_parse
        .par_iter()
        .map(|(file, hash)| (file.rel.clone(), *hash, content::parse_one(file)))
        .collect();
    for (rel, hash, result) in parsed {
        cache.insert(rel, (hash, result));
    }
    let mut all = Parsed::default();
    let mut diagnostics = Diagnostics::default();
    for file in &sources.content {
        match &cache[&file.rel].1 {
            Ok(item) => {
                all.pages.extend(item.pages.iter().cloned());
                all.sections.extend(item.sections.iter().cloned());
                all.warnings.extend(item.warnings.iter().cloned());
            }
            Err(errors) => diagnostics.0.extend(errors.0.iter().cloned()),
        }
    }
    if diagnostics.has_errors() {
        diagnostics.sort();
        return Err(diagnostics);
    }
    Ok(all)
}

/// A hash of every page's front matter, in order.
fn front_matter_hash(site: &Site, keys: &Keys) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for (page, key) in site.pages().iter().zip(&keys.pages) {
        hasher.update(&key.to_le_bytes());
        hasher.update(&page.source.text.as_bytes()[..page.source.body_offset]);
    }
    hasher.digest()
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
    xxhash_rust::xxh3::xxh3_64(bytes)
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
        .filter(|(path, output)| {
            !before.0.get(*path).is_some_and(|old| same(old, output)) || source_changed(output)
        })
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

/// Whether two outputs are the same; quick for bytes a rebuild kept.
fn same(a: &Output, b: &Output) -> bool {
    match (a, b) {
        (Output::Bytes(a), Output::Bytes(b)) => Arc::ptr_eq(a, b) || a == b,
        _ => a == b,
    }
}
