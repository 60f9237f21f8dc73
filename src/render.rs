//! The render stage: every output of the site, as bytes, from `&Site`, `&Bodies` and the
//! templates.
//!
//! Outputs render in parallel and are collected into a sorted map, so builds are deterministic.
//! Values shared between outputs (page summaries, the site) are built once, in [`Values`].
//! Each kind of output is one method of the `Renderer`: the HTML pages in `pages.rs`, feeds,
//! sitemap and search index in `feeds.rs`, meta descriptions and structured data in `meta.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use tera::Context;

use crate::assets::{Asset, AssetSource, Assets};
use crate::content::PageId;
use crate::error::{Diagnostic, Diagnostics};
use crate::markdown::Bodies;
use crate::seo;
pub(crate) use crate::site::Job;
use crate::site::Site;
use crate::templates::{Cards, Templates, take_card_error, with_cards};
use crate::values::Values;

mod feeds;
mod meta;
mod pages;
pub(crate) mod trace;

use meta::{Meta, non_empty, site_image};
use pages::redirect_page;
use trace::Read;

/// What the build writes: output path (relative to the output folder, `/` separators) → content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outputs(pub BTreeMap<String, Output>);

/// The content of one output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Rendered bytes, shared: a rebuild that changes one page copies the others' pointers,
    /// not their bytes.
    Bytes(Arc<Vec<u8>>),
    /// A file of the built-in theme.
    Embedded(&'static [u8]),
    /// A file copied from disk.
    File(PathBuf),
}

impl Outputs {
    /// The number of rendered pages (HTML files), not counting copied files.
    pub fn page_count(&self) -> usize {
        self.0
            .iter()
            .filter(|(path, output)| matches!(output, Output::Bytes(_)) && path.ends_with(".html"))
            .count()
    }
}

/// The output a copied file becomes.
pub(crate) fn asset_output(asset: &Asset) -> Output {
    match &asset.source {
        AssetSource::Embedded(bytes) => Output::Embedded(bytes),
        AssetSource::File { path, .. } => Output::File(path.clone()),
        // A photo the images stage has not made (`knead check`, which writes nothing): the
        // original stands in. `knead build` and `knead serve` make every photo first.
        AssetSource::Photo { path, .. } => Output::File(path.clone()),
    }
}

/// The files the site copies, as outputs.
pub(crate) fn asset_outputs(assets: &Assets) -> impl Iterator<Item = (String, Output)> + '_ {
    assets
        .files()
        .iter()
        .map(|asset| (asset.output.clone(), asset_output(asset)))
}

/// At most this many outputs are rendered as one piece of work that no other thread can
/// take a share of.
const JOBS_PER_TASK: usize = 16;

/// Renders every output of the site, and lists the files it copies (`assets`).
pub fn render(
    site: &Site,
    bodies: &Bodies,
    assets: &Assets,
    templates: &Templates,
) -> Result<Outputs, Diagnostics> {
    let values = Values::new(site, bodies, assets);
    let rendered = render_traced(site, bodies, templates, &values, &site.jobs())?;
    let mut outputs = Outputs::default();
    outputs.0.extend(asset_outputs(assets));
    outputs
        .0
        .extend(rendered.into_iter().map(|(path, output, _)| (path, output)));
    Ok(outputs)
}

/// Renders every output of the site and hands each to `sink` as soon as it is ready (the build
/// writes it at once, so the site is never held in memory whole). Returns what `sink`
/// returned, in no particular order; every template error, or else the first error of `sink`,
/// after which no more outputs are rendered.
pub(crate) fn render_into<T: Send>(
    site: &Site,
    bodies: &Bodies,
    assets: &Assets,
    templates: &Templates,
    sink: &(dyn Fn(&str, &Output) -> crate::Result<T> + Sync),
) -> crate::Result<Vec<T>> {
    let values = Values::new(site, bodies, assets);
    let renderer = Renderer::new(site, bodies, templates, &values);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let stopped = || stop.load(std::sync::atomic::Ordering::Relaxed);
    let give = |path: &str, output: &Output| -> Result<Option<T>, Failed> {
        if stopped() {
            return Ok(None);
        }
        sink(path, output).map(Some).map_err(|err| {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            Failed::Sink(err)
        })
    };
    let assets = assets
        .files()
        .par_iter()
        .map(|asset| give(&asset.output, &asset_output(asset)));
    let jobs = site.jobs();
    // Small pieces of work: with rayon's default halving, one thread could be left alone
    // with the last eighth of the site while the other waits (0.3 s at 10,000 posts).
    let pages = jobs.par_iter().with_max_len(JOBS_PER_TASK).map(|job| {
        if stopped() {
            return Ok(None);
        }
        let (path, bytes) = renderer.job(job).map_err(Failed::Render)?;
        give(&path, &Output::Bytes(Arc::new(bytes)))
    });
    let results: Vec<Result<Option<T>, Failed>> = assets.chain(pages).collect();
    // The template values are freed on another thread while the build goes on.
    drop(renderer);
    rayon::spawn(move || drop(values));
    let mut given = Vec::with_capacity(results.len());
    let mut diagnostics = Diagnostics::default();
    let mut failure = None;
    for result in results {
        match result {
            Ok(Some(value)) => given.push(value),
            Ok(None) => {}
            Err(Failed::Render(diagnostic)) => diagnostics.push(diagnostic),
            Err(Failed::Sink(err)) => {
                failure.get_or_insert(err);
            }
        }
    }
    if diagnostics.has_errors() {
        diagnostics.sort();
        diagnostics.0.dedup();
        return Err(crate::Error::Site(diagnostics));
    }
    match failure {
        Some(err) => Err(err),
        None => Ok(given),
    }
}

enum Failed {
    Render(Diagnostic),
    Sink(crate::Error),
}

/// Renders some outputs, in parallel, each with what it read ([`trace`]).
pub(crate) fn render_traced(
    site: &Site,
    bodies: &Bodies,
    templates: &Templates,
    values: &Values,
    jobs: &[Job],
) -> Result<Vec<(String, Output, Vec<Read>)>, Diagnostics> {
    let renderer = Renderer::new(site, bodies, templates, values);
    let results: Vec<_> = jobs
        .par_iter()
        .with_max_len(JOBS_PER_TASK)
        .map(|job| trace::traced(|| renderer.job(job)))
        .collect();
    let mut rendered = Vec::with_capacity(results.len());
    let mut diagnostics = Diagnostics::default();
    for (result, reads) in results {
        match result {
            Ok((path, bytes)) => rendered.push((path, Output::Bytes(Arc::new(bytes)), reads)),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    if diagnostics.has_errors() {
        diagnostics.sort();
        diagnostics.0.dedup();
        return Err(diagnostics);
    }
    Ok(rendered)
}

struct Renderer<'a> {
    site: &'a Site,
    bodies: &'a Bodies,
    templates: &'a Templates,
    values: &'a Values,
    /// The WebSite and clinic nodes, the same on every page, serialised once.
    shared_nodes: String,
    /// Each page's place in its section's list, for its previous and next links: looking
    /// for it on each page would cost the square of a section's size.
    places: Vec<Option<usize>>,
    /// The posts' cards rendered so far in this pass (the `card` template function).
    cards: Arc<Cards>,
    /// The stable names of pages, sections and tags, for noting what each output reads.
    keys: trace::Keys,
}

/// The room made for an output as it is rendered: a post's page is about 20 KB.
const OUTPUT_CAPACITY: usize = 24 * 1024;

impl<'a> Renderer<'a> {
    fn new(
        site: &'a Site,
        bodies: &'a Bodies,
        templates: &'a Templates,
        values: &'a Values,
    ) -> Self {
        let mut places = vec![None; site.pages().len()];
        for ids in site.section_pages() {
            for (i, id) in ids.iter().enumerate() {
                places[id.0] = Some(i);
            }
        }
        Renderer {
            places,
            cards: Arc::default(),
            keys: trace::Keys::new(site),
            site,
            bodies,
            templates,
            values,
            shared_nodes: seo::shared_nodes(&[
                seo::website(site.config()),
                seo::clinic(
                    site.config(),
                    non_empty(site_image(site, &site.config().clinic.photo)).as_deref(),
                    non_empty(site_image(site, &site.config().clinic.logo)).as_deref(),
                ),
            ]),
        }
    }

    /// Renders a job's output: its path and its bytes.
    fn job(&self, job: &Job) -> Result<(String, Vec<u8>), Diagnostic> {
        Ok((job.path(self.site), self.bytes(job)?))
    }

    /// An output's bytes: one method per kind of output.
    fn bytes(&self, job: &Job) -> Result<Vec<u8>, Diagnostic> {
        match job {
            Job::Home => self.home(),
            Job::Section(id, number) => self.section(*id, *number),
            Job::Page(id) => self.page(*id),
            Job::Tags => self.tags(),
            Job::Tag(i, number) => self.tag(*i, *number),
            Job::TagFeed(i) => self.tag_feed(*i),
            Job::Author(id) => self.author(id),
            Job::NotFound => self.simple(job, "404.html"),
            Job::Search => self.search(),
            Job::SearchIndex => Ok(self.search_index()),
            Job::Atom => self.atom(),
            Job::Sitemap => self.sitemap_xml(),
            Job::Robots => self.simple(job, "robots.txt"),
            Job::Alias(id, _) => {
                self.keys.note_pages(&[*id], Read::Link);
                Ok(redirect_page(&self.permalink(&self.site.page(*id).path)).into_bytes())
            }
        }
    }

    fn context(&self, path: &str, meta: Meta) -> Context {
        let config = self.site.config();
        let mut context = Context::new();
        context.insert_value("site", self.values.site.clone());
        context.insert("current_path", &format!("{}{path}", config.root));
        context.insert("current_url", &self.permalink(path));
        context.insert("feed_url", &self.permalink(&Job::Atom.path(self.site)));
        context.insert("meta_description", &meta.description);
        let jsonld = match &meta.graph {
            Some(graph) => graph.document(config, &self.shared_nodes),
            None => String::new(),
        };
        context.insert("jsonld", &jsonld);
        context
    }

    /// The summaries of some pages, as one list value, noted as read.
    fn summaries(&self, ids: &[PageId]) -> tera::Value {
        self.keys.note_pages(ids, Read::Summary);
        self.values.summaries(ids)
    }

    fn page_with_file(&self, file: &Path) -> Option<&crate::content::Page> {
        self.site.pages().iter().find(|p| p.source.file == file)
    }

    fn permalink(&self, path: &str) -> String {
        format!("{}/{path}", self.site.config().base_url)
    }

    fn render(
        &self,
        template: &str,
        context: &Context,
        source: Option<&Path>,
    ) -> Result<Vec<u8>, Diagnostic> {
        // Rendered as bytes: Tera's `render` would check that its own output is UTF-8 text
        // (which it always is: every piece it writes is a `str`), 2% of a build.
        let mut bytes = Vec::with_capacity(OUTPUT_CAPACITY);
        match with_cards(&self.cards, || {
            self.templates.tera.render_to(template, context, &mut bytes)
        }) {
            Ok(()) => Ok(bytes),
            Err(err) => {
                // A mistake in the card template is shown where it is, not where `card()` is.
                let card_error = take_card_error();
                let err = card_error.as_ref().unwrap_or(&err);
                let mut diagnostic = self.templates.error(err);
                // A template named in front matter that does not exist is the page's mistake.
                if let (tera::ErrorKind::TemplateNotFound(_), Some(page)) =
                    (err.kind(), source.and_then(|s| self.page_with_file(s)))
                    && let Some(offset) = crate::toml_errors::find_key_line(
                        &page.source.text[..page.source.body_offset],
                        "template",
                        '=',
                    )
                    .or_else(|| {
                        crate::toml_errors::find_key_line(
                            &page.source.text[..page.source.body_offset],
                            "template",
                            ':',
                        )
                    })
                {
                    diagnostic = diagnostic.at(&page.source.file, &page.source.text, offset);
                    return Err(diagnostic);
                }
                if let Some(source) = source {
                    diagnostic.message = format!(
                        "{} (while rendering `{}`)",
                        diagnostic.message,
                        source.display()
                    );
                }
                Err(diagnostic)
            }
        }
    }
}
