//! knead turns a folder of Markdown articles into a fast, accessible, search-friendly website for
//! a massage clinic.
//!
//! The build is a pipeline of plain functions, IO only at the ends:
//!
//! ```text
//! read → parse → assemble → markdown → render → write
//! ```
//!
//! Every stage reports all the problems it finds, and the next runs only if there were none, so
//! nothing is written unless the whole site is right.

pub mod assets;
pub mod check;
pub mod clinic;
pub mod config;
pub mod content;
pub mod error;
pub mod front_matter;
pub mod images;
pub mod init;
pub mod markdown;
pub mod new;
pub mod output;
mod placeholders;
pub mod render;
pub mod seo;
pub mod serve;
pub mod session;
pub mod site;
pub mod slug;
pub mod source;
pub mod templates;
mod toml_errors;
mod values;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use rayon::prelude::*;

pub use crate::error::{Diagnostic, Diagnostics, Error, Location, Result, Severity};
use crate::markdown::{Bodies, Rendered, Resolve};
use crate::render::Outputs;
use crate::site::{Filter, Site};
use crate::source::Sources;
use crate::templates::Templates;

/// What `knead build` was asked to do.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The site's folder (holding `site.toml`).
    pub root: PathBuf,
    /// Where to write; `public/` inside the root when not given.
    pub output: Option<PathBuf>,
    /// Include drafts.
    pub drafts: bool,
    /// Include posts dated in the future.
    pub future: bool,
    /// Replace `base_url` (for a staging host).
    pub base_url: Option<String>,
    /// Write into a non-empty folder that knead did not make.
    pub force: bool,
    /// The moment of the build; now when not given (tests fix it).
    pub now: Option<Timestamp>,
}

impl BuildOptions {
    /// Options for building the site at `root` with every default.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        BuildOptions {
            root: root.into(),
            output: None,
            drafts: false,
            future: false,
            base_url: None,
            force: false,
            now: None,
        }
    }

    /// The output folder these options write to.
    pub fn output_dir(&self) -> PathBuf {
        self.output
            .clone()
            .unwrap_or_else(|| self.root.join("public"))
    }
}

/// What a successful build did.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// HTML pages rendered.
    pub pages: usize,
    /// The photos made and reused.
    pub images: images::ImageReport,
    /// What the writer did.
    pub write: output::WriteReport,
    /// Warnings found on the way.
    pub warnings: Diagnostics,
    /// The drafts and scheduled posts left out, and the drafts shown.
    pub left_out: site::LeftOut,
    /// How long the build took.
    pub elapsed: Duration,
    /// Where the site was written.
    pub output: PathBuf,
    /// How long each stage took, in order.
    pub timings: Vec<(&'static str, Duration)>,
}

/// Builds the site and writes it: the pipeline, one call per stage. Nothing is written unless
/// every stage succeeded.
pub fn build(options: &BuildOptions) -> Result<BuildReport> {
    let mut clock = Clock::start();
    // read
    let mut sources = source::read(&options.root)?;
    // Check the output folder before the work, so a refused folder is reported at once.
    let output_dir = output::check_output_dir(&options.root, &options.output_dir(), options.force)?;
    let writer = output::Writer::open(&output_dir)?;
    let now = options.now.unwrap_or_else(Timestamp::now);
    let key = output::manifest::source_key(&sources, options);
    if let Some(key) = key
        && let Some((files, stamp)) = writer.unchanged_since_last_build(key, now)
    {
        clock.lap("nothing changed since the last build");
        let write = output::WriteReport {
            unchanged: files,
            warnings: writer.leftovers(),
            ..Default::default()
        };
        // The warnings of the build that made this output, printed again: what was doubtful
        // then still is.
        let warnings = Diagnostics(stamp.warnings.clone());
        return Ok(clock.report(options, &stamp, warnings, write));
    }
    clock.lap("read");
    let options = BuildOptions {
        now: Some(now),
        ..options.clone()
    };
    // What `knead init` wrote and nobody replaced (read before the files are handed on).
    let placeholders = placeholders::check(&sources, options.base_url.is_some());
    let placeholder_errors = || placeholders.0.iter().filter(|d| d.is_error()).cloned();
    // parse: the Markdown files' bytes become the pages' text, not copied (a large site's
    // peak memory). A file that does not parse is left out and the build goes on, so that one
    // run reports every mistake; nothing is written while there is an error.
    let content = std::mem::take(&mut sources.content);
    let (parsed, parse_errors, mut unparsed) = content::parse_owned_each(content);
    // assemble: a page naming an unknown author is left out too, and the build goes on
    let (site, templates, warnings, mistakes) = assemble_each(&sources, parsed, &options, None)
        .map_err(|errors| {
            errors
                .merged(parse_errors.0.clone())
                .merged(placeholder_errors())
        })?;
    let warnings = warnings
        .merged(placeholders.0.iter().cloned())
        .merged(page_mistakes(mistakes, &parse_errors, &mut unparsed).0)
        .merged(parse_errors.0);
    // assets
    let assets = assets(&site, &sources).map_err(|errors| errors.merged(warnings.0.clone()))?;
    // markdown
    let (bodies, markdown_errors) = markdown_each(&site, &assets, None, &unparsed);
    // A missing image, or one on the writer's computer, would go online broken: the build stops
    // (check and serve show it). Slips of the keyboard in the text (an indented paragraph,
    // `##In Short`), links to pages the site does not have and medical posts without sources
    // are warnings, shown with those errors too.
    let found = assets::missing_images(&site, &bodies, &assets)
        .merged(assets::missing_settings_images(&site, &assets, &sources.config_text).0)
        .merged(assets::on_this_computer_refs(&site, &bodies).0)
        .merged(bodies.warnings().0)
        .merged(assets::missing_pages(&site, &bodies, &assets, &sources.config_text).0)
        .merged(check::unsourced_medical_posts(&site).0)
        .merged(placeholders::new_post_text(&site).0)
        .merged(markdown_errors.0);
    let warnings = warnings.merged(found.0);
    if warnings.has_errors() {
        return Err(Error::Site(warnings));
    }
    let mut site = site;
    site.release_markdown();
    writer.check_interrupted()?;
    clock.lap("parse, assemble, assets, markdown");
    // images: the photos' files, made where the cache lacks them
    let cache_dir = options.root.join(images::CACHE_DIR);
    let mut assets = assets;
    let (images, cached) = assets.make_photos(&cache_dir, &site.config().images, true)?;
    writer.check_interrupted()?;
    clock.lap("images");
    // render, each output handed to the writer as soon as it is ready
    let pages = std::sync::atomic::AtomicUsize::new(0);
    let entries = render::render_into(&site, &bodies, &assets, &templates, &|rel, output| {
        if rel.ends_with(".html") && matches!(output, render::Output::Bytes(_)) {
            pages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        writer.put(rel, output)
    })?;
    clock.lap("render and stage");
    let stamp = output::Stamp {
        key,
        fresh_until: site.next_change(),
        pages: pages.into_inner(),
        left_out: site.left_out().clone(),
        warnings: warnings.0.clone(),
    };
    // Freeing a large site takes a tenth of a second: on another thread, while the commit
    // works.
    rayon::spawn(move || drop((site, bodies)));
    // write
    let write = writer.commit(entries, &stamp)?;
    clock.lap("put in place");
    // The cache keeps what this build used, nothing else.
    images::prune(&cache_dir, &cached.into_iter().collect());
    let mut report = clock.report(&options, &stamp, warnings, write);
    report.images = images;
    Ok(report)
}

/// The time of each stage of a build.
struct Clock {
    start: Instant,
    last: Instant,
    timings: Vec<(&'static str, Duration)>,
}

impl Clock {
    fn start() -> Clock {
        let now = Instant::now();
        Clock {
            start: now,
            last: now,
            timings: Vec::new(),
        }
    }

    /// Ends the stage `stage`.
    fn lap(&mut self, stage: &'static str) {
        let now = Instant::now();
        self.timings.push((stage, now - self.last));
        self.last = now;
    }

    fn report(
        self,
        options: &BuildOptions,
        stamp: &output::Stamp,
        warnings: Diagnostics,
        write: output::WriteReport,
    ) -> BuildReport {
        BuildReport {
            pages: stamp.pages,
            images: images::ImageReport::default(),
            left_out: stamp.left_out.clone(),
            warnings: warnings.merged(write.warnings.0.iter().cloned()),
            write,
            elapsed: self.start.elapsed(),
            output: options.output_dir(),
            timings: self.timings,
        }
    }
}

/// Runs every stage but `write`: the whole site in memory. Returns the outputs and any warnings,
/// or every error found.
pub fn build_outputs(
    sources: &Sources,
    options: &BuildOptions,
) -> Result<(Outputs, Diagnostics), Diagnostics> {
    let prepared = prepare(sources, options)?;
    let outputs = render::render(
        &prepared.site,
        &prepared.bodies,
        &prepared.assets,
        &prepared.templates,
    )?;
    Ok((outputs, prepared.warnings))
}

/// What the stages from `parse` to `markdown` make (with `assets`): the site ready to render.
pub struct Prepared {
    /// The assembled site.
    pub site: Site,
    /// Its pages' and sections' bodies, rendered.
    pub bodies: Bodies,
    /// The files it copies.
    pub assets: assets::Assets,
    /// The templates it renders with.
    pub templates: Templates,
    /// The warnings found so far.
    pub warnings: Diagnostics,
}

/// The stages from `parse` to `markdown` in a row (what `knead check` and the benchmarks start
/// from).
pub fn prepare(sources: &Sources, options: &BuildOptions) -> Result<Prepared, Diagnostics> {
    let parsed = parse(sources, options)?;
    let (site, templates, warnings) = assemble(sources, parsed, options)?;
    let assets = assets(&site, sources).map_err(|errors| errors.merged(warnings.0.clone()))?;
    let bodies =
        markdown(&site, &assets, None).map_err(|errors| errors.merged(warnings.0.clone()))?;
    Ok(Prepared {
        site,
        bodies,
        assets,
        templates,
        warnings,
    })
}

/// [`prepare`] that keeps going past the mistakes of single files, for `knead check`: a file
/// whose front matter does not parse is left out, a broken `@/` link is left as written, and
/// their errors come back beside what could be prepared, so that one run reports everything.
/// Mistakes that leave nothing to check (the settings, the templates, two pages at one
/// address) are still `Err`.
pub fn prepare_each(
    sources: &Sources,
    options: &BuildOptions,
) -> Result<(Prepared, Diagnostics), Diagnostics> {
    let (parsed, errors, mut unparsed) = content::parse_each(&sources.content);
    let (site, templates, warnings, mistakes) =
        assemble_each(sources, parsed, options, None).map_err(|e| e.merged(errors.0.clone()))?;
    let errors = page_mistakes(mistakes, &errors, &mut unparsed).merged(errors.0);
    let assets = assets(&site, sources)
        .map_err(|e| e.merged(errors.0.iter().chain(&warnings.0).cloned()))?;
    let (bodies, markdown_errors) = markdown_each(&site, &assets, None, &unparsed);
    let prepared = Prepared {
        site,
        bodies,
        assets,
        templates,
        warnings,
    };
    Ok((prepared, errors.merged(markdown_errors.0)))
}

/// The errors of the pages the assemble stage went on past, the pages left out added to
/// `unparsed` (a link to one is then not an error of its own). A service named but not found
/// may be a file that did not parse: when one did not (`parse_errors`), those errors are
/// dropped, as only the parse errors are certain.
fn page_mistakes(
    mistakes: site::PageMistakes,
    parse_errors: &Diagnostics,
    unparsed: &mut Vec<String>,
) -> Diagnostics {
    unparsed.extend(mistakes.left_out);
    if parse_errors.has_errors() {
        mistakes.authors
    } else {
        mistakes.authors.merged(mistakes.services.0)
    }
}

/// The parse stage: every Markdown file split into front matter and body, deserialized and
/// given its address. On failure, the errors of the settings and templates too, so that one
/// run shows every mistake.
pub fn parse(sources: &Sources, options: &BuildOptions) -> Result<content::Parsed, Diagnostics> {
    with_settings_errors(content::parse(&sources.content), sources, options)
}

/// A parse stage's result; on failure, with the settings' and templates' errors too.
pub(crate) fn with_settings_errors(
    parsed: Result<content::Parsed, Diagnostics>,
    sources: &Sources,
    options: &BuildOptions,
) -> Result<content::Parsed, Diagnostics> {
    parsed.map_err(|errors| {
        let config = read_config(sources, options).err();
        let templates = Templates::load(&sources.templates).err();
        errors.merged(
            sources
                .diagnostics
                .0
                .iter()
                .cloned()
                .chain([config, templates].into_iter().flatten().flat_map(|d| d.0)),
        )
    })
}

/// The settings of `site.toml`, with `--base-url` applied.
fn read_config(sources: &Sources, options: &BuildOptions) -> Result<config::Config, Diagnostics> {
    config::Config::parse(
        &sources.config_text,
        Path::new(config::CONFIG_FILE),
        options.base_url.as_deref(),
    )
}

/// The assemble stage: reads the settings and templates, and assembles the parsed pages into
/// the site (sections, order, tags, related posts, output paths checked for collisions).
/// Returns the site, the templates and the warnings so far.
pub fn assemble(
    sources: &Sources,
    parsed: content::Parsed,
    options: &BuildOptions,
) -> Result<(Site, Templates, Diagnostics), Diagnostics> {
    assemble_cached(sources, parsed, options, None)
}

/// [`assemble`], reusing the related posts of an earlier assembly from `related` when they
/// cannot have changed (`knead serve`).
pub(crate) fn assemble_cached(
    sources: &Sources,
    parsed: content::Parsed,
    options: &BuildOptions,
    related: Option<&mut site::RelatedCache>,
) -> Result<(Site, Templates, Diagnostics), Diagnostics> {
    let (site, templates, warnings, mistakes) = assemble_each(sources, parsed, options, related)?;
    let errors = mistakes.authors.merged(mistakes.services.0);
    if errors.has_errors() {
        return Err(errors.merged(warnings.0));
    }
    Ok((site, templates, warnings))
}

/// [`assemble`] that goes on past the mistakes of single pages (an unknown author or service:
/// [`Site::assemble_each`]), for `knead build` and `knead check`, so that one run reports them
/// with everything else. `Err` only for what leaves no site to go on with (the settings, the
/// templates).
pub(crate) fn assemble_each(
    sources: &Sources,
    parsed: content::Parsed,
    options: &BuildOptions,
    related: Option<&mut site::RelatedCache>,
) -> Result<(Site, Templates, Diagnostics, site::PageMistakes), Diagnostics> {
    let diagnostics = sources.diagnostics.clone();
    let config = read_config(sources, options);
    let templates = Templates::load(&sources.templates);
    let (config, templates) = match (config, templates) {
        (Ok(c), Ok(t)) if !diagnostics.has_errors() => (c, t),
        (c, t) => {
            let errors = [c.err(), t.err()].into_iter().flatten().flat_map(|d| d.0);
            return Err(diagnostics.merged(errors));
        }
    };
    let filter = Filter {
        drafts: options.drafts,
        future: options.future,
        now: options.now.unwrap_or_else(Timestamp::now),
    };
    let mut parsed = parsed;
    let diagnostics = diagnostics
        .merged(config.warnings.0.iter().cloned())
        .merged(std::mem::take(&mut parsed.warnings));
    let (site, mistakes) = Site::assemble_each(config, parsed, filter, related);
    Ok((site, templates, diagnostics, mistakes))
}

/// The assets stage: the files the site copies (`static/`, the built-in theme's static files,
/// the files of page bundles and sections), each with its output path, and the check that no
/// two sources (pages or files) write one output.
pub fn assets(site: &Site, sources: &Sources) -> Result<assets::Assets, Diagnostics> {
    assets::plan(site, sources, templates::theme_static())
}

/// The markdown stage: renders every page and section body in parallel, reusing renderings
/// from `cache` for files that did not change (and leaving this run's renderings in it), then
/// checks that every `@/page.md#anchor` link points at a heading that exists.
pub fn markdown(
    site: &Site,
    assets: &assets::Assets,
    cache: Option<&mut markdown::Cache>,
) -> Result<Bodies, Diagnostics> {
    let (bodies, diagnostics) = markdown_each(site, assets, cache, &[]);
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    Ok(bodies)
}

/// The Markdown stage that keeps going past broken links, for `knead check`: every body, a
/// broken `@/` link left as written, and the errors. `unparsed` names the files (relative to
/// `content/`) whose front matter did not parse: links to them are not reported again.
pub(crate) fn markdown_each(
    site: &Site,
    assets: &assets::Assets,
    cache: Option<&mut markdown::Cache>,
    unparsed: &[String],
) -> (Bodies, Diagnostics) {
    let mut resolver = LinkIndex::new(site, assets);
    for file in unparsed {
        resolver
            .urls
            .entry(file.clone())
            .or_insert_with(|| format!("@/{file}"));
    }
    let sources: Vec<&content::SourceText> = site
        .pages()
        .iter()
        .map(|p| &p.source)
        .chain(site.sections().iter().map(|s| &s.source))
        .collect();
    // Each file's hash, for the cache: made once, used to look up and to store.
    let hashes: Vec<u64> = match &cache {
        Some(cache) => sources
            .par_iter()
            .map(|source| cache.hash_of(source))
            .collect(),
        None => Vec::new(),
    };
    let results: Vec<(Arc<Rendered>, Vec<Diagnostic>)> = sources
        .par_iter()
        .enumerate()
        .with_max_len(32)
        .map(|(i, source)| {
            cache
                .as_deref()
                .and_then(|cache| cache.get(source, hashes[i], &resolver))
                .unwrap_or_else(|| {
                    let (rendered, diagnostics) = markdown::render(source, &resolver);
                    (Arc::new(rendered), diagnostics)
                })
        })
        .collect();
    if let Some(cache) = cache {
        cache.replace(
            sources
                .iter()
                .zip(&hashes)
                .zip(&results)
                .map(|((source, hash), result)| (*source, *hash, result)),
        );
    }
    let page_count = site.pages().len();
    let mut diagnostics = Diagnostics::default();
    // Each page's heading ids, for links to `@/page.md#heading`: only made when some page has
    // such a link (on one thread, for every page).
    let anchored = results
        .iter()
        .any(|(r, _)| r.internal_links.iter().any(|l| l.anchor.is_some()));
    let mut ids: HashMap<&str, &[String]> = HashMap::new();
    if anchored {
        ids.reserve(results.len());
        for (page, (rendered, _)) in site.pages().iter().zip(&results) {
            ids.insert(&page.content_path, &rendered.ids);
        }
        for (section, (rendered, _)) in site.sections().iter().zip(&results[page_count..]) {
            ids.insert(resolver.section_path(section), &rendered.ids);
        }
    }
    for (source, (rendered, errors)) in sources.iter().zip(&results) {
        diagnostics.extend(errors.iter().cloned());
        for link in &rendered.internal_links {
            let Some(anchor) = &link.anchor else { continue };
            if unparsed.contains(&link.target) {
                continue;
            }
            let known = ids.get(link.target.as_str()).copied().unwrap_or_default();
            if !known.iter().any(|id| id == anchor) {
                let hint = match crate::toml_errors::suggest(
                    anchor,
                    &known.iter().map(String::as_str).collect::<Vec<_>>(),
                ) {
                    Some(near) => format!("did you mean `#{near}`?"),
                    None if known.is_empty() => "that page has no headings".to_owned(),
                    None => format!("its headings are: #{}", known.join(", #")),
                };
                diagnostics.push(
                    Diagnostic::error(format!(
                        "link to `@/{}#{anchor}`, but that page has no heading `{anchor}`",
                        link.target
                    ))
                    .at(&source.file, &source.text, link.offset)
                    .with_hint(hint),
                );
            }
        }
    }
    drop(sources);
    let mut results = results.into_iter().map(|(r, _)| r);
    let bodies = Bodies {
        pages: results.by_ref().take(page_count).collect(),
        sections: results.collect(),
    };
    (bodies, diagnostics.merged([]))
}

/// Source path → address, for `@/` links; and the site's photos, for `<picture>`s.
pub(crate) struct LinkIndex<'a> {
    urls: HashMap<String, String>,
    assets: &'a assets::Assets,
    root: &'a str,
    sizes: &'a str,
    /// The content paths of the pages with a photo of their own (front matter `image`).
    heroes: HashSet<&'a str>,
}

impl<'a> LinkIndex<'a> {
    pub(crate) fn new(site: &'a Site, assets: &'a assets::Assets) -> Self {
        let root = &site.config().root;
        let heroes = site
            .pages()
            .iter()
            .filter(|page| !page.image.trim().is_empty())
            .map(|page| page.content_path.as_str())
            .collect();
        let mut urls = HashMap::new();
        for page in site.pages() {
            urls.insert(page.content_path.clone(), format!("{root}{}", page.path));
        }
        for section in site.sections() {
            urls.insert(
                Self::index_path(&section.dir),
                format!("{root}{}", section.path),
            );
        }
        LinkIndex {
            urls,
            assets,
            root,
            sizes: &site.config().images.sizes,
            heroes,
        }
    }

    /// The content path of a file shown as `content/blog/post.md`.
    fn content_path(source: &content::SourceText) -> Option<String> {
        let rel = source.file.strip_prefix("content").ok()?;
        Some(
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
        )
    }

    fn index_path(dir: &str) -> String {
        if dir.is_empty() {
            "_index.md".to_owned()
        } else {
            format!("{dir}/_index.md")
        }
    }

    fn section_path<'s>(&'s self, section: &content::Section) -> &'s str {
        self.urls
            .get_key_value(&Self::index_path(&section.dir))
            .map_or("", |(k, _)| k.as_str())
    }
}

impl Resolve for LinkIndex<'_> {
    fn url_of(&self, content_path: &str) -> Option<String> {
        self.urls.get(content_path).cloned()
    }

    fn picture(
        &self,
        source: &content::SourceText,
        url: &str,
    ) -> Option<(Arc<images::Picture>, &str)> {
        let address = self.urls.get(&Self::content_path(source)?)?;
        let address = address.strip_prefix(self.root)?;
        let rel = assets::image_output(self.root, address, url)?;
        Some((self.assets.picture(&rel)?.clone(), self.sizes))
    }

    fn has_hero(&self, source: &content::SourceText) -> bool {
        Self::content_path(source).is_some_and(|path| self.heroes.contains(path.as_str()))
    }

    fn nearest(&self, content_path: &str) -> Option<String> {
        let wanted = content_path.trim_start_matches('/');
        let with_md = format!("{}.md", wanted.trim_end_matches('/'));
        let name = |path: &str| path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        let paths: Vec<&str> = self.urls.keys().map(String::as_str).collect();
        // The same path but for capitals or `.md`; then the same file name in another folder;
        // then a typo.
        let exact = paths
            .iter()
            .find(|p| p.eq_ignore_ascii_case(wanted) || p.eq_ignore_ascii_case(&with_md));
        let moved = || {
            let mut found = paths
                .iter()
                .filter(|p| name(p) == name(&with_md) || name(p) == name(wanted));
            match (found.next(), found.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        };
        exact
            .or_else(moved)
            .map(|p| (*p).to_owned())
            .or_else(|| crate::toml_errors::suggest(wanted, &paths).map(str::to_owned))
    }
}
