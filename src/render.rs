//! The render stage: every output of the site, as bytes, from `&Site` and the templates.
//!
//! Outputs render in parallel and are collected into a sorted map, so builds are deterministic.
//! Values shared between outputs (page summaries, the site) are built once, in [`Values`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Value};

use crate::content::{PageId, SectionId};
use crate::error::{Diagnostic, Diagnostics};
use crate::markdown::Bodies;
use crate::seo::{self, PersonData, PostData};
pub(crate) use crate::site::Job;
use crate::site::{
    Asset, AssetSource, LATEST_POSTS, Site, TAG_PAGE_SIZE, author_path, tag_pager_path,
};
use crate::templates::{Cards, Templates, take_card_error, with_cards};
use crate::values::{AuthorRef, LinkRef, PageValue, Values, absolute, site_url};

mod keys;
pub(crate) use keys::{KeyHasher, keyed_jobs, search_entry_json, search_index_of};

/// How many posts a feed holds.
const FEED_ENTRIES: usize = 20;

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
    }
}

/// The files the site copies, as outputs.
pub(crate) fn asset_outputs(site: &Site) -> impl Iterator<Item = (String, Output)> + '_ {
    site.assets()
        .iter()
        .map(|asset| (asset.output.clone(), asset_output(asset)))
}

/// At most this many outputs are rendered as one piece of work that no other thread can
/// take a share of.
const JOBS_PER_TASK: usize = 16;

/// Renders every output of the site.
pub fn render(site: &Site, bodies: &Bodies, templates: &Templates) -> Result<Outputs, Diagnostics> {
    render_keeping_values(site, bodies, templates).map(|(outputs, _)| outputs)
}

/// Renders every output, and returns the shared template values too, for a session that
/// re-renders single pages later.
pub(crate) fn render_keeping_values(
    site: &Site,
    bodies: &Bodies,
    templates: &Templates,
) -> Result<(Outputs, Values), Diagnostics> {
    let values = Values::new(site, bodies);
    let rendered = render_jobs(site, bodies, templates, &values, &site.jobs())?;
    let mut outputs = Outputs::default();
    outputs.0.extend(asset_outputs(site));
    outputs.0.extend(rendered);
    Ok((outputs, values))
}

/// Renders every output of the site and hands each to `sink` as soon as it is ready (the build
/// writes it at once, so the site is never held in memory whole). Returns what `sink`
/// returned, in no particular order; every template error, or else the first error of `sink`,
/// after which no more outputs are rendered.
pub(crate) fn render_into<T: Send>(
    site: &Site,
    bodies: &Bodies,
    templates: &Templates,
    sink: &(dyn Fn(&str, &Output) -> crate::Result<T> + Sync),
) -> crate::Result<Vec<T>> {
    let values = Values::new(site, bodies);
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
    let assets = site
        .assets()
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

/// The outputs that show a page's body, not just its summary: the page itself and the feeds
/// that carry its full content.
pub(crate) fn body_jobs(site: &Site, id: PageId) -> Vec<Job> {
    let mut jobs = vec![Job::Page(id)];
    if site.dated().iter().take(FEED_ENTRIES).any(|&d| d == id) {
        jobs.push(Job::Atom);
    }
    for (t, tag) in site.tags().iter().enumerate() {
        if tag.pages.iter().take(FEED_ENTRIES).any(|&d| d == id) {
            jobs.push(Job::TagFeed(t));
        }
    }
    jobs
}

/// The outputs that show a page's summary (its title, summary, reading time, tags) besides
/// its own: the list pages it is on, the home page, its author's page, the pages that list it
/// as related, the feeds and the search index.
pub(crate) fn summary_jobs(site: &Site, id: PageId) -> Vec<Job> {
    let mut jobs = body_jobs(site, id);
    jobs.push(Job::SearchIndex);
    if site.dated().iter().take(LATEST_POSTS).any(|&d| d == id) {
        jobs.push(Job::Home);
    }
    let section = site.page_section()[id.0];
    if section.0 != 0
        && let Some(at) = site.section_pages()[section.0]
            .iter()
            .position(|&p| p == id)
    {
        let per_page = site.sections()[section.0].paginate_by;
        let number = at.checked_div(per_page).map_or(1, |n| n + 1);
        jobs.push(Job::Section(section, number));
    }
    for (t, tag) in site.tags().iter().enumerate() {
        if let Some(at) = tag.pages.iter().position(|&p| p == id) {
            jobs.push(Job::Tag(t, at / TAG_PAGE_SIZE + 1));
        }
    }
    if let Some(author) = &site.page(id).author
        && site.author_pages().contains_key(author)
    {
        jobs.push(Job::Author(author.clone()));
    }
    for (other, related) in site.related().iter().enumerate() {
        if related.contains(&id) {
            jobs.push(Job::Page(PageId(other)));
        }
    }
    jobs
}

/// Renders some outputs, in parallel.
pub(crate) fn render_jobs(
    site: &Site,
    bodies: &Bodies,
    templates: &Templates,
    values: &Values,
    jobs: &[Job],
) -> Result<Vec<(String, Output)>, Diagnostics> {
    let renderer = Renderer::new(site, bodies, templates, values);
    let results: Vec<Result<(String, Vec<u8>), Diagnostic>> = jobs
        .par_iter()
        .with_max_len(JOBS_PER_TASK)
        .map(|job| renderer.job(job))
        .collect();
    let mut rendered = Vec::with_capacity(results.len());
    let mut diagnostics = Diagnostics::default();
    for result in results {
        match result {
            Ok((path, bytes)) => rendered.push((path, Output::Bytes(Arc::new(bytes)))),
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

/// An absolute address for an image written in site.toml (`/clinic.jpg` or a full address).
fn site_image(site: &Site, image: &str) -> String {
    let config = site.config();
    absolute(
        &config.base_url,
        &config.root,
        &site_url(&config.root, "", image),
    )
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
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
}

/// The room made for an output as it is rendered: a post's page is about 20 KB.
const OUTPUT_CAPACITY: usize = 24 * 1024;

/// What a page tells search engines: its meta description and its structured data (none for
/// feeds, the sitemap and the like).
struct Meta {
    description: String,
    graph: Option<seo::Graph>,
}

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
            site,
            bodies,
            templates,
            values,
            shared_nodes: seo::shared_nodes(&[
                seo::website(site.config()),
                seo::clinic(
                    site.config(),
                    non_empty(site_image(site, &site.config().clinic.image)).as_deref(),
                ),
            ]),
        }
    }

    /// Renders a job's output: its path and its bytes.
    fn job(&self, job: &Job) -> Result<(String, Vec<u8>), Diagnostic> {
        Ok((job.path(self.site), self.bytes(job)?))
    }

    fn bytes(&self, job: &Job) -> Result<Vec<u8>, Diagnostic> {
        let site = self.site;
        let config = site.config();
        match job {
            Job::Home => {
                let section = &site.sections()[0];
                let meta = self.meta(
                    "",
                    &section.description,
                    &self.bodies.section(SectionId(0)).summary_text,
                    &section.title,
                    "WebPage",
                    &[],
                );
                let mut context = self.context("", meta);
                context.insert_value("section", self.values.sections[0].clone());
                let latest: Vec<PageId> = site.dated().iter().take(LATEST_POSTS).copied().collect();
                context.insert_value("posts", self.values.summaries(&latest));
                let template = section.template.as_deref().unwrap_or("index.html");
                self.render(template, &context, section_file(site, SectionId(0)))
            }
            Job::Section(id, number) => self.section(*id, *number),
            Job::Page(id) => self.page(*id),
            Job::Tags => {
                let meta = self.meta(
                    "tags/",
                    &format!("Every topic on {}, with its articles.", config.title),
                    "",
                    "Topics",
                    "CollectionPage",
                    &[("Topics", "tags/".to_owned())],
                );
                let mut context = self.context("tags/", meta);
                context.insert_value("tags", Value::from(self.values.tags.as_slice()));
                self.render("taxonomy.html", &context, None)
            }
            Job::Tag(i, number) => {
                let tag = &site.tags()[*i];
                let first = format!("tags/{}/", tag.slug);
                let path = tag_pager_path(&tag.slug, *number);
                let meta = self.meta(
                    &path,
                    &format!("Articles about {} from {}.", tag.name, config.title),
                    "",
                    &tag.name,
                    "CollectionPage",
                    &[("Topics", "tags/".to_owned()), (&tag.name, first)],
                );
                let chunks: Vec<&[PageId]> = tag.pages.chunks(TAG_PAGE_SIZE).collect();
                let chunk = chunks.get(number - 1).copied().unwrap_or_default();
                let paginator = self.paginator(chunk, *number, chunks.len().max(1), |n| {
                    format!("{}{}", config.root, tag_pager_path(&tag.slug, n))
                });
                let mut context = self.context(&path, meta);
                context.insert_value("tag", self.values.tags[*i].clone());
                context.insert_value("pages", paginator.pages.clone());
                context.insert_value("paginator", paginator.into_value());
                self.render("term.html", &context, None)
            }
            Job::TagFeed(i) => {
                let tag = &site.tags()[*i];
                let path = format!("tags/{}/atom.xml", tag.slug);
                let mut context = self.context(&path, self.no_meta());
                let title = format!("{} – {}", config.title, tag.name);
                context.insert("feed", &self.feed(title, &path, &tag.pages, false));
                self.render("atom.xml", &context, None)
            }
            Job::Author(id) => self.author(id),
            Job::NotFound => {
                let context = self.context("404.html", self.no_meta());
                self.render("404.html", &context, None)
            }
            Job::Search => {
                let meta = self.meta(
                    "search/",
                    &format!("Search the articles of {}.", config.title),
                    "",
                    "Search",
                    "WebPage",
                    &[("Search", "search/".to_owned())],
                );
                let mut context = self.context("search/", meta);
                context.insert(
                    "search_index_url",
                    &format!("{}search-index.json", config.root),
                );
                self.render("search.html", &context, None)
            }
            Job::SearchIndex => Ok(self.search_index()),
            Job::Atom => {
                let mut context = self.context("atom.xml", self.no_meta());
                let feed = self.feed(config.title.clone(), "atom.xml", site.dated(), true);
                context.insert("feed", &feed);
                self.render("atom.xml", &context, None)
            }
            Job::Sitemap => {
                let mut context = self.context("sitemap.xml", self.no_meta());
                context.insert("entries", &self.sitemap());
                self.render("sitemap.xml", &context, None)
            }
            Job::Robots => {
                let context = self.context("robots.txt", self.no_meta());
                self.render("robots.txt", &context, None)
            }
            Job::Alias(id, _) => {
                Ok(redirect_page(&self.permalink(&site.page(*id).path)).into_bytes())
            }
        }
    }

    fn section(&self, id: SectionId, number: usize) -> Result<Vec<u8>, Diagnostic> {
        let site = self.site;
        let section = &site.sections()[id.0];
        let (chunk, total) = site.pager(id, number);
        let path = site.pager_path(id, number);
        let url = |n: usize| format!("{}{}", site.config().root, site.pager_path(id, n));
        let paginator = self.paginator(chunk, number, total, url);
        let title = if number > 1 {
            format!("{} – page {number}", section.title)
        } else {
            section.title.clone()
        };
        let meta = self.meta(
            &path,
            &section.description,
            &self.bodies.section(id).summary_text,
            &title,
            "CollectionPage",
            &[(&section.title, section.path.clone())],
        );
        let mut context = self.context(&path, meta);
        context.insert_value("section", self.values.sections[id.0].clone());
        context.insert_value("paginator", paginator.into_value());
        let template = section.template.as_deref().unwrap_or("section.html");
        self.render(template, &context, section_file(site, id))
    }

    fn page(&self, id: PageId) -> Result<Vec<u8>, Diagnostic> {
        let site = self.site;
        let config = site.config();
        let page = site.page(id);
        let rendered = self.bodies.page(id);
        let section_id = site.page_section()[id.0];
        let section = &site.sections()[section_id.0];
        let (prev, next) = match self.places[id.0] {
            Some(i) => site.neighbours_at(section_id, i),
            None => (None, None),
        };
        let link = |id: PageId| LinkRef {
            title: &site.page(id).title,
            url: format!("{}{}", config.root, site.page(id).path),
        };
        let reviewer = page
            .reviewed_by
            .as_deref()
            .and_then(|r| Some(AuthorRef::new(config, r, config.authors.get(r)?)));
        let value = PageValue {
            summary: self.values.summary(site, self.bodies, id),
            content: &rendered.html,
            word_count: rendered.words,
            toc: &rendered.toc,
            slug: &page.slug,
            path: &page.content_path,
            section: (section_id.0 != 0).then(|| LinkRef {
                title: &section.title,
                url: format!("{}{}", config.root, section.path),
            }),
            prev: prev.map(link),
            next: next.map(link),
            related: self.values.summaries(&site.related()[id.0]),
            services: site.page_services()[id.0]
                .iter()
                .map(|&s| link(s))
                .collect(),
            reviewed_by: reviewer,
            last_reviewed: page
                .last_reviewed
                .map(|d| d.day.to_string())
                .unwrap_or_default(),
            last_reviewed_display: page.last_reviewed.map(|d| d.display()).unwrap_or_default(),
        };
        let mut trail = Vec::new();
        if section_id.0 != 0 {
            trail.push((section.title.as_str(), section.path.clone()));
        }
        trail.push((page.title.as_str(), page.path.clone()));
        let mut meta = self.meta(
            &page.path,
            &page.description,
            &rendered.summary_text,
            &page.title,
            "WebPage",
            &trail,
        );
        self.describe_post(&mut meta, &value);
        let mut context = self.context(&page.path, meta);
        context.insert_value("page", self.values.page_value(id, &value));
        let template = page
            .template
            .as_deref()
            .or(section.page_template.as_deref())
            .unwrap_or("page.html");
        self.render(template, &context, Some(&page.source.file))
    }

    /// List page `number` of `total`, showing `ids`; `url` gives the address of list page n.
    fn paginator(
        &self,
        ids: &[PageId],
        number: usize,
        total: usize,
        url: impl Fn(usize) -> String,
    ) -> Paginator {
        Paginator {
            pages: self.values.summaries(ids),
            current: number,
            total,
            previous_url: (number > 1).then(|| url(number - 1)),
            next_url: (number < total).then(|| url(number + 1)),
            first_url: url(1),
            last_url: url(total),
            pagers: pager_window(number, total)
                .map(|(n, gap)| Pager {
                    number: n,
                    url: url(n),
                    current: n == number,
                    gap,
                })
                .collect(),
        }
    }

    /// Adds a post's BlogPosting, its author and its reviewer to its structured data.
    fn describe_post(&self, meta: &mut Meta, page: &PageValue<'_>) {
        let config = self.site.config();
        let summary = &page.summary;
        let Some(graph) = &mut meta.graph else {
            return;
        };
        if let Some(reviewer) = &page.reviewed_by
            && !page.last_reviewed.is_empty()
        {
            graph.page.review = Some((reviewer.permalink.clone(), page.last_reviewed.clone()));
        }
        let mut people: Vec<&AuthorRef<'_>> = Vec::new();
        people.extend(summary.author.as_ref());
        people.extend(page.reviewed_by.as_ref());
        people.dedup_by(|a, b| a.id == b.id);
        if !summary.date.is_empty() {
            let post = PostData {
                url: &summary.permalink,
                headline: summary.title,
                description: &meta.description,
                published: &summary.date_rfc3339,
                modified: if summary.updated_rfc3339.is_empty() {
                    &summary.date_rfc3339
                } else {
                    &summary.updated_rfc3339
                },
                image: Some(summary.image_permalink.as_str()).filter(|i| !i.is_empty()),
                author_url: summary.author.as_ref().map(|a| a.permalink.as_str()),
                keywords: &summary.tag_names(),
                word_count: page.word_count,
            };
            graph.blog_posting(config, &post);
        }
        for person in people {
            graph.person(config, &self.person(person));
        }
    }

    fn person(&self, author: &AuthorRef<'_>) -> PersonData<'_> {
        let config = self.site.config();
        let source = &config.authors[author.id];
        PersonData {
            url: author.permalink.clone(),
            name: &source.name,
            job_title: &source.job_title,
            credentials: &source.credentials,
            bio: &source.bio,
            image: non_empty(absolute(&config.base_url, &config.root, &author.photo)),
            same_as: &source.same_as,
        }
    }

    fn author(&self, id: &str) -> Result<Vec<u8>, Diagnostic> {
        let site = self.site;
        let config = site.config();
        let path = author_path(id);
        let Some((id, source)) = config.authors.get_key_value(id) else {
            return Err(Diagnostic::error(format!("unknown author `{id}`")));
        };
        let author = AuthorRef::new(config, id, source);
        let title = if source.credentials.is_empty() {
            source.name.clone()
        } else {
            format!("{}, {}", source.name, source.credentials)
        };
        let mut meta = self.meta(
            &path,
            &source.bio,
            "",
            &title,
            "ProfilePage",
            &[(&source.name, path.clone())],
        );
        if let Some(graph) = &mut meta.graph {
            graph.person(config, &self.person(&author));
            graph.page.main_entity = Some(author.permalink.clone());
        }
        let mut context = self.context(&path, meta);
        context.insert("author", &author);
        context.insert_value("pages", self.values.summaries(&site.author_pages()[id]));
        self.render("author.html", &context, None)
    }

    /// The meta description and the base of the structured data for the output at `path`:
    /// WebSite, the clinic, the WebPage (`kind`) and the breadcrumbs (`trail` after Home).
    fn meta(
        &self,
        path: &str,
        description: &str,
        fallback: &str,
        name: &str,
        kind: &'static str,
        trail: &[(&str, String)],
    ) -> Meta {
        let config = self.site.config();
        let fallback = if fallback.trim().is_empty() {
            config.description.as_str()
        } else {
            fallback
        };
        let description = seo::meta_description(description, fallback);
        let url = self.permalink(path);
        let mut crumbs = vec![("Home", self.permalink(""))];
        crumbs.extend(
            trail
                .iter()
                .map(|(name, path)| (*name, self.permalink(path))),
        );
        let page = seo::WebPage {
            kind,
            url,
            name: name.to_owned(),
            description: description.clone(),
            review: None,
            main_entity: None,
        };
        Meta {
            description,
            graph: Some(seo::Graph::new(page, &crumbs)),
        }
    }

    fn no_meta(&self) -> Meta {
        Meta {
            description: seo::meta_description("", &self.site.config().description),
            graph: None,
        }
    }

    fn context(&self, path: &str, meta: Meta) -> Context {
        let config = self.site.config();
        let mut context = Context::new();
        context.insert_value("site", self.values.site.clone());
        context.insert("current_path", &format!("{}{path}", config.root));
        context.insert("current_url", &self.permalink(path));
        context.insert("feed_url", &self.permalink("atom.xml"));
        context.insert("meta_description", &meta.description);
        let jsonld = match &meta.graph {
            Some(graph) => graph.document(config, &self.shared_nodes),
            None => String::new(),
        };
        context.insert("jsonld", &jsonld);
        context
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

    /// A feed of the newest of `ids`. The site's feed carries each post's whole text (`full`);
    /// a tag's feed carries its summary, as a notice that links to the post: thirty tags times
    /// twenty whole posts would otherwise be most of a small site's output.
    fn feed(&self, title: String, path: &str, ids: &[PageId], full: bool) -> Feed {
        let site = self.site;
        let entries: Vec<Value> = ids
            .iter()
            .take(FEED_ENTRIES)
            .map(|id| {
                let rendered = self.bodies.page(*id);
                self.values.with_fields(
                    *id,
                    &FeedEntry {
                        content: if full || rendered.summary.is_empty() {
                            &rendered.html
                        } else {
                            &rendered.summary
                        },
                        full,
                    },
                )
            })
            .collect();
        let updated = ids
            .iter()
            .filter_map(|id| {
                let page = site.page(*id);
                page.updated.or(page.date)
            })
            .max_by_key(|d| d.sort_key())
            .map(|d| d.rfc3339())
            .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned());
        Feed {
            title,
            url: self.permalink(path),
            updated,
            entries,
        }
    }

    /// A compact index for the search page: title, address, summary text and tags of every
    /// page, as JSON.
    fn search_index(&self) -> Vec<u8> {
        let site = self.site;
        let entries: Vec<SearchEntry<'_>> = (0..site.pages().len())
            .map(|i| search_entry(site, self.bodies, self.values, PageId(i)))
            .collect();
        let mut json = serde_json::to_vec(&entries).unwrap_or_else(|_| b"[]".to_vec());
        json.push(b'\n');
        json
    }

    fn sitemap(&self) -> Vec<SitemapEntry> {
        let site = self.site;
        let lastmod = |ids: &[PageId]| {
            ids.iter()
                .filter_map(|id| {
                    let page = site.page(*id);
                    page.updated.or(page.date)
                })
                .max_by_key(|d| d.sort_key())
                .map(|d| d.day.to_string())
                .unwrap_or_default()
        };
        let mut entries = vec![SitemapEntry {
            permalink: self.permalink(""),
            lastmod: lastmod(site.dated()),
        }];
        for (i, section) in site.sections().iter().enumerate().skip(1) {
            entries.push(SitemapEntry {
                permalink: self.permalink(&section.path),
                lastmod: lastmod(&site.section_pages()[i]),
            });
        }
        for (i, page) in site.pages().iter().enumerate() {
            entries.push(SitemapEntry {
                permalink: self.permalink(&page.path),
                lastmod: lastmod(&[PageId(i)]),
            });
        }
        if !site.tags().is_empty() {
            entries.push(SitemapEntry {
                permalink: self.permalink("tags/"),
                lastmod: lastmod(site.dated()),
            });
        }
        for tag in site.tags() {
            entries.push(SitemapEntry {
                permalink: self.permalink(&format!("tags/{}/", tag.slug)),
                lastmod: lastmod(&tag.pages),
            });
        }
        for (id, pages) in site.author_pages() {
            entries.push(SitemapEntry {
                permalink: self.permalink(&author_path(id)),
                lastmod: lastmod(pages),
            });
        }
        entries.sort_by(|a, b| a.permalink.cmp(&b.permalink));
        entries
    }
}

/// A page's entry in the search index.
fn search_entry<'a>(
    site: &'a Site,
    bodies: &'a Bodies,
    values: &'a Values,
    id: PageId,
) -> SearchEntry<'a> {
    let page = site.page(id);
    let summary = values.summary(site, bodies, id);
    SearchEntry {
        title: &page.title,
        url: summary.url.clone(),
        summary: seo::meta_description(&page.description, summary.summary_text),
        tags: summary.tag_names().into_iter().map(str::to_owned).collect(),
        date: summary.date_display.clone(),
    }
}

#[derive(Serialize)]
struct SearchEntry<'a> {
    title: &'a str,
    url: String,
    summary: String,
    tags: Vec<String>,
    date: String,
}

fn section_file(site: &Site, id: SectionId) -> Option<&std::path::Path> {
    let file = &site.sections()[id.0].source.file;
    (!file.as_os_str().is_empty()).then_some(file.as_path())
}

/// A small HTML page that sends visitors and search engines from an old address to the new one.
fn redirect_page(permalink: &str) -> String {
    let url = crate::markdown::escape(permalink);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Redirecting…</title>\n\
         <link rel=\"canonical\" href=\"{url}\">\n<meta name=\"robots\" content=\"noindex\">\n\
         <meta http-equiv=\"refresh\" content=\"0; url={url}\">\n</head>\n<body>\n\
         <p>This page has moved to <a href=\"{url}\">{url}</a>.</p>\n</body>\n</html>\n"
    )
}

#[derive(Serialize)]
struct Paginator {
    /// The summaries, already values: added by [`Paginator::into_value`] rather than
    /// serialised again.
    #[serde(skip)]
    pages: Value,
    current: usize,
    total: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<String>,
    first_url: String,
    last_url: String,
    pagers: Vec<Pager>,
}

impl Paginator {
    /// What templates see as `paginator`.
    fn into_value(self) -> Value {
        let mut map = Value::from_serializable(&self)
            .into_map()
            .unwrap_or_default();
        map.insert(tera::value::Key::Str("pages"), self.pages);
        Value::from(map)
    }
}

#[derive(Serialize)]
struct Pager {
    number: usize,
    url: String,
    current: bool,
    /// Whether numbers were skipped before this one.
    gap: bool,
}

/// How many numbered links either side of the current list page.
const PAGER_RADIUS: usize = 2;

/// The list pages worth a numbered link: the first, the last, and those near the current one,
/// each with whether numbers were skipped before it. A 1,000-page blog gets seven links, not
/// a thousand on each of its thousand pages.
fn pager_window(current: usize, total: usize) -> impl Iterator<Item = (usize, bool)> {
    let near = current.saturating_sub(PAGER_RADIUS).max(1)..=(current + PAGER_RADIUS).min(total);
    let mut previous = 0;
    (1..=total)
        .filter(move |&n| n == 1 || n == total || near.contains(&n))
        .map(move |n| {
            let gap = n > previous + 1;
            previous = n;
            (n, gap)
        })
}

/// What a feed entry has besides the page's summary.
#[derive(Serialize)]
struct FeedEntry<'a> {
    content: &'a str,
    /// Whether `content` is the whole post, or its summary.
    full: bool,
}

#[derive(Serialize)]
struct Feed {
    title: String,
    url: String,
    updated: String,
    entries: Vec<Value>,
}

#[derive(Serialize)]
struct SitemapEntry {
    permalink: String,
    lastmod: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_window_keeps_ends_and_neighbours() {
        let window: Vec<_> = pager_window(50, 100).collect();
        assert_eq!(
            window,
            [
                (1, false),
                (48, true),
                (49, false),
                (50, false),
                (51, false),
                (52, false),
                (100, true)
            ]
        );
        let small: Vec<_> = pager_window(1, 3).collect();
        assert_eq!(small, [(1, false), (2, false), (3, false)]);
    }
}
