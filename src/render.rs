//! The render stage: every output of the site, as bytes, from `&Site` and the templates.
//!
//! Each page's template values are built once ([`Values`]) and shared between the page itself,
//! the lists that show it and the feed, instead of serialising the whole site for every page.
//! Outputs render in parallel and are collected into a sorted map, so builds are deterministic.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Value};

use crate::config::{Author, Config, MenuItem};
use crate::content::{Page, PageId, SectionId};
use crate::error::{Diagnostic, Diagnostics};
use crate::markdown::Heading;
use crate::site::{AssetSource, LATEST_POSTS, Site, alias_output};
use crate::templates::Templates;

/// How many posts the feed holds.
const FEED_ENTRIES: usize = 20;

/// What the build writes: output path (relative to the output folder, `/` separators) → content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outputs(pub BTreeMap<String, Output>);

/// The content of one output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Rendered bytes.
    Bytes(Vec<u8>),
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

/// Renders every output of the site.
pub fn render(site: &Site, templates: &Templates) -> Result<Outputs, Diagnostics> {
    let values = Values::new(site);
    let mut jobs = vec![
        Job::Home,
        Job::NotFound,
        Job::Atom,
        Job::Sitemap,
        Job::Robots,
    ];
    for section in 1..site.sections.len() {
        for number in 1..=site.paginate(SectionId(section)).len() {
            jobs.push(Job::Section(SectionId(section), number));
        }
    }
    jobs.extend((0..site.pages.len()).map(|i| Job::Page(PageId(i))));
    if !site.tags.is_empty() {
        jobs.push(Job::Tags);
        jobs.extend((0..site.tags.len()).map(Job::Tag));
    }
    for (i, page) in site.pages.iter().enumerate() {
        for alias in &page.aliases {
            if let Ok(output) = alias_output(alias) {
                jobs.push(Job::Alias(PageId(i), output));
            }
        }
    }
    let renderer = Renderer {
        site,
        templates,
        values: &values,
    };
    let results: Vec<Result<(String, Vec<u8>), Diagnostic>> =
        jobs.par_iter().map(|job| renderer.job(job)).collect();

    let mut outputs = Outputs::default();
    let mut diagnostics = Diagnostics::default();
    for asset in &site.assets {
        let output = match &asset.source {
            AssetSource::Embedded(bytes) => Output::Embedded(bytes),
            AssetSource::File { path, .. } => Output::File(path.clone()),
        };
        outputs.0.insert(asset.output.clone(), output);
    }
    for result in results {
        match result {
            Ok((path, bytes)) => {
                outputs.0.insert(path, Output::Bytes(bytes));
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    if diagnostics.has_errors() {
        diagnostics.sort();
        diagnostics.0.dedup();
        return Err(diagnostics);
    }
    Ok(outputs)
}

enum Job {
    Home,
    Section(SectionId, usize),
    Page(PageId),
    Tags,
    Tag(usize),
    NotFound,
    Atom,
    Sitemap,
    Robots,
    Alias(PageId, String),
}

struct Renderer<'a> {
    site: &'a Site,
    templates: &'a Templates,
    values: &'a Values,
}

impl Renderer<'_> {
    fn job(&self, job: &Job) -> Result<(String, Vec<u8>), Diagnostic> {
        let site = self.site;
        match job {
            Job::Home => {
                let mut context = self.context("");
                context.insert_value("section", self.values.sections[0].clone());
                let latest: Vec<Value> = site
                    .dated
                    .iter()
                    .take(LATEST_POSTS)
                    .map(|id| self.values.summaries[id.0].clone())
                    .collect();
                context.insert_value("posts", Value::from(latest.as_slice()));
                let template = site.sections[0].template.as_deref().unwrap_or("index.html");
                self.render(
                    template,
                    &context,
                    "index.html",
                    section_file(site, SectionId(0)),
                )
            }
            Job::Section(id, number) => self.section(*id, *number),
            Job::Page(id) => self.page(*id),
            Job::Tags => {
                let mut context = self.context("tags/");
                context.insert_value("tags", Value::from(self.values.tags.as_slice()));
                self.render("taxonomy.html", &context, "tags/index.html", None)
            }
            Job::Tag(i) => {
                let tag = &site.tags[*i];
                let path = format!("tags/{}/", tag.slug);
                let mut context = self.context(&path);
                context.insert_value("tag", self.values.tags[*i].clone());
                context.insert_value("pages", self.summaries(&tag.pages));
                self.render("term.html", &context, &format!("{path}index.html"), None)
            }
            Job::NotFound => {
                let context = self.context("404.html");
                self.render("404.html", &context, "404.html", None)
            }
            Job::Atom => {
                let mut context = self.context("atom.xml");
                context.insert("feed", &self.feed());
                self.render("atom.xml", &context, "atom.xml", None)
            }
            Job::Sitemap => {
                let mut context = self.context("sitemap.xml");
                context.insert("entries", &self.sitemap());
                self.render("sitemap.xml", &context, "sitemap.xml", None)
            }
            Job::Robots => {
                let context = self.context("robots.txt");
                self.render("robots.txt", &context, "robots.txt", None)
            }
            Job::Alias(id, output) => Ok((
                output.clone(),
                redirect_page(&self.permalink(&site.pages[id.0].path)).into_bytes(),
            )),
        }
    }

    fn section(&self, id: SectionId, number: usize) -> Result<(String, Vec<u8>), Diagnostic> {
        let site = self.site;
        let section = &site.sections[id.0];
        let chunks = site.paginate(id);
        let path = site.pager_path(id, number);
        let url = |n: usize| format!("{}{}", site.config.root, site.pager_path(id, n));
        let paginator = Paginator {
            pages: self.summaries(chunks[number - 1]),
            current: number,
            total: chunks.len(),
            previous_url: (number > 1).then(|| url(number - 1)),
            next_url: (number < chunks.len()).then(|| url(number + 1)),
            first_url: url(1),
            last_url: url(chunks.len()),
            pagers: pager_window(number, chunks.len())
                .map(|(n, gap)| Pager {
                    number: n,
                    url: url(n),
                    current: n == number,
                    gap,
                })
                .collect(),
        };
        let mut context = self.context(&path);
        context.insert_value("section", self.values.sections[id.0].clone());
        context.insert("paginator", &paginator);
        let template = section.template.as_deref().unwrap_or("section.html");
        self.render(
            template,
            &context,
            &format!("{path}index.html"),
            section_file(site, id),
        )
    }

    fn page(&self, id: PageId) -> Result<(String, Vec<u8>), Diagnostic> {
        let site = self.site;
        let page = &site.pages[id.0];
        let rendered = &site.rendered[id.0];
        let section_id = site.page_section[id.0];
        let section = &site.sections[section_id.0];
        let (prev, next) = site.neighbours(id);
        let link = |id: PageId| LinkRef {
            title: &site.pages[id.0].title,
            url: format!("{}{}", site.config.root, site.pages[id.0].path),
        };
        let value = PageValue {
            summary: self.values.summary(site, id),
            content: &rendered.html,
            toc: &rendered.toc,
            slug: &page.slug,
            path: &page.content_path,
            section: (section_id.0 != 0).then(|| LinkRef {
                title: &section.title,
                url: format!("{}{}", site.config.root, section.path),
            }),
            prev: prev.map(link),
            next: next.map(link),
        };
        let mut context = self.context(&page.path);
        context.insert("page", &value);
        let template = page
            .template
            .as_deref()
            .or(section.page_template.as_deref())
            .unwrap_or("page.html");
        self.render(
            template,
            &context,
            &format!("{}index.html", page.path),
            Some(&page.source.file),
        )
    }

    fn summaries(&self, ids: &[PageId]) -> Value {
        let list: Vec<Value> = ids
            .iter()
            .map(|id| self.values.summaries[id.0].clone())
            .collect();
        Value::from(list.as_slice())
    }

    fn context(&self, path: &str) -> Context {
        let config = &self.site.config;
        let mut context = Context::new();
        context.insert_value("site", self.values.site.clone());
        context.insert("current_path", &format!("{}{path}", config.root));
        context.insert("current_url", &self.permalink(path));
        context.insert("feed_url", &self.permalink("atom.xml"));
        context
    }

    fn permalink(&self, path: &str) -> String {
        format!("{}/{path}", self.site.config.base_url)
    }

    fn render(
        &self,
        template: &str,
        context: &Context,
        output: &str,
        source: Option<&std::path::Path>,
    ) -> Result<(String, Vec<u8>), Diagnostic> {
        match self.templates.tera.render(template, context) {
            Ok(text) => Ok((output.to_owned(), text.into_bytes())),
            Err(err) => {
                let mut diagnostic = self.templates.error(&err);
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

    fn feed(&self) -> Feed {
        let site = self.site;
        let entries: Vec<Value> = site
            .dated
            .iter()
            .take(FEED_ENTRIES)
            .map(|id| {
                Value::from_serializable(&FeedEntry {
                    summary: self.values.summary(site, *id),
                    content: &site.rendered[id.0].html,
                })
            })
            .collect();
        let updated = site
            .dated
            .iter()
            .filter_map(|id| {
                let page = &site.pages[id.0];
                page.updated.or(page.date)
            })
            .max_by_key(|d| d.sort_key())
            .map(|d| d.rfc3339())
            .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned());
        Feed {
            title: site.config.title.clone(),
            url: self.permalink("atom.xml"),
            updated,
            entries,
        }
    }

    fn sitemap(&self) -> Vec<SitemapEntry> {
        let site = self.site;
        let lastmod = |ids: &[PageId]| {
            ids.iter()
                .filter_map(|id| {
                    let page = &site.pages[id.0];
                    page.updated.or(page.date)
                })
                .max_by_key(|d| d.sort_key())
                .map(|d| d.day.to_string())
                .unwrap_or_default()
        };
        let mut entries = vec![SitemapEntry {
            permalink: self.permalink(""),
            lastmod: lastmod(&site.dated),
        }];
        for (i, section) in site.sections.iter().enumerate().skip(1) {
            entries.push(SitemapEntry {
                permalink: self.permalink(&section.path),
                lastmod: lastmod(&site.section_pages[i]),
            });
        }
        for (i, page) in site.pages.iter().enumerate() {
            entries.push(SitemapEntry {
                permalink: self.permalink(&page.path),
                lastmod: lastmod(&[PageId(i)]),
            });
        }
        for tag in &site.tags {
            entries.push(SitemapEntry {
                permalink: self.permalink(&format!("tags/{}/", tag.slug)),
                lastmod: lastmod(&tag.pages),
            });
        }
        entries.sort_by(|a, b| a.permalink.cmp(&b.permalink));
        entries
    }
}

fn section_file(site: &Site, id: SectionId) -> Option<&std::path::Path> {
    let file = &site.sections[id.0].source.file;
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

/// The template values shared between outputs, built once per build.
struct Values {
    site: Value,
    summaries: Vec<Value>,
    sections: Vec<Value>,
    tags: Vec<Value>,
    tag_refs: Vec<TagRef>,
    /// Each page's tags, as indices in `tag_refs`.
    page_tags: Vec<Vec<usize>>,
}

impl Values {
    fn new(site: &Site) -> Values {
        let config = &site.config;
        let tag_refs: Vec<TagRef> = site
            .tags
            .iter()
            .map(|tag| TagRef {
                name: tag.name.clone(),
                slug: tag.slug.clone(),
                url: format!("{}tags/{}/", config.root, tag.slug),
                count: tag.pages.len(),
            })
            .collect();
        let tag_index: std::collections::HashMap<&str, usize> = site
            .tags
            .iter()
            .enumerate()
            .map(|(i, t)| (t.slug.as_str(), i))
            .collect();
        let page_tags: Vec<Vec<usize>> = site
            .pages
            .iter()
            .map(|page| {
                let mut tags: Vec<usize> = Vec::new();
                for tag in &page.tags {
                    if let Some(&i) = tag_index.get(crate::slug::slugify(tag).as_str())
                        && !tags.contains(&i)
                    {
                        tags.push(i);
                    }
                }
                tags
            })
            .collect();
        let sections = site
            .sections
            .iter()
            .enumerate()
            .map(|(i, section)| {
                Value::from_serializable(&SectionValue {
                    title: &section.title,
                    description: &section.description,
                    content: &site.section_rendered[i].html,
                    url: format!("{}{}", config.root, section.path),
                    permalink: format!("{}/{}", config.base_url, section.path),
                    extra: &section.extra,
                    path: section
                        .source
                        .file
                        .strip_prefix("content")
                        .map(|p| p.to_string_lossy().replace('\\', "/"))
                        .unwrap_or_default(),
                })
            })
            .collect();
        let authors: BTreeMap<&str, AuthorRef> = config
            .authors
            .iter()
            .map(|(id, a)| (id.as_str(), AuthorRef::new(id, a)))
            .collect();
        let site_value = Value::from_serializable(&SiteValue {
            config,
            authors,
            menu: &site.menu,
        });
        let mut values = Values {
            site: site_value,
            summaries: Vec::new(),
            sections,
            tags: tag_refs.iter().map(Value::from_serializable).collect(),
            tag_refs,
            page_tags,
        };
        values.summaries = (0..site.pages.len())
            .into_par_iter()
            .map(|i| Value::from_serializable(&values.summary(site, PageId(i))))
            .collect();
        values
    }

    /// The summary values of a page, as lists show it.
    fn summary<'a>(&'a self, site: &'a Site, id: PageId) -> Summary<'a> {
        let tags = self.page_tags[id.0]
            .iter()
            .map(|&i| &self.tag_refs[i])
            .collect();
        summary(site, id, &site.pages[id.0], tags)
    }
}

fn summary<'a>(site: &'a Site, id: PageId, page: &'a Page, tags: Vec<&'a TagRef>) -> Summary<'a> {
    let config = &site.config;
    let rendered = &site.rendered[id.0];
    let day = |d: Option<crate::front_matter::PageDate>| DateValues {
        iso: d.map(|d| d.day.to_string()).unwrap_or_default(),
        display: d.map(|d| d.display()).unwrap_or_default(),
        rfc3339: d.map(|d| d.rfc3339()).unwrap_or_default(),
    };
    let date = day(page.date);
    let updated = day(page.updated);
    Summary {
        title: &page.title,
        description: &page.description,
        url: format!("{}{}", config.root, page.path),
        permalink: format!("{}/{}", config.base_url, page.path),
        date: date.iso,
        date_display: date.display,
        date_rfc3339: date.rfc3339,
        updated: updated.iso,
        updated_display: updated.display,
        updated_rfc3339: updated.rfc3339,
        summary: &rendered.summary,
        reading_time: rendered.reading_time(),
        word_count: rendered.words,
        tags,
        author: page
            .author
            .as_deref()
            .and_then(|a| Some(AuthorRef::new(a, config.authors.get(a)?))),
        image: resolve_image(&config.root, &page.path, &page.image),
        image_permalink: absolute(
            &config.base_url,
            &config.root,
            &resolve_image(&config.root, &page.path, &page.image),
        ),
        image_alt: &page.image_alt,
        draft: page.draft,
        extra: &page.extra,
    }
}

/// A page's image as a root-relative address: `stretch.jpg` in a bundle becomes
/// `/blog/bundle/stretch.jpg`, so lists on other pages can show it too.
fn resolve_image(root: &str, page_path: &str, image: &str) -> String {
    if image.is_empty() || image.contains("://") || image.starts_with('/') {
        image.to_owned()
    } else {
        format!("{root}{page_path}{image}")
    }
}

/// A root-relative address (`/clinic/x.jpg`) made absolute with the site's address.
fn absolute(base_url: &str, root: &str, url: &str) -> String {
    match url.strip_prefix(root) {
        Some(rest) if url.starts_with('/') => format!("{base_url}/{rest}"),
        _ => url.to_owned(),
    }
}

struct DateValues {
    iso: String,
    display: String,
    rfc3339: String,
}

#[derive(Serialize)]
struct SiteValue<'a> {
    #[serde(flatten)]
    config: &'a Config,
    authors: BTreeMap<&'a str, AuthorRef<'a>>,
    menu: &'a [MenuItem],
}

#[derive(Serialize)]
struct AuthorRef<'a> {
    id: &'a str,
    name: &'a str,
    credentials: &'a str,
    bio: &'a str,
}

impl<'a> AuthorRef<'a> {
    fn new(id: &'a str, author: &'a Author) -> Self {
        AuthorRef {
            id,
            name: &author.name,
            credentials: &author.credentials,
            bio: &author.bio,
        }
    }
}

#[derive(Serialize, Clone)]
struct TagRef {
    name: String,
    slug: String,
    url: String,
    count: usize,
}

#[derive(Serialize)]
struct Summary<'a> {
    title: &'a str,
    description: &'a str,
    url: String,
    permalink: String,
    date: String,
    date_display: String,
    date_rfc3339: String,
    updated: String,
    updated_display: String,
    updated_rfc3339: String,
    summary: &'a str,
    reading_time: usize,
    word_count: usize,
    tags: Vec<&'a TagRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<AuthorRef<'a>>,
    image: String,
    image_permalink: String,
    image_alt: &'a str,
    draft: bool,
    extra: &'a toml::Table,
}

#[derive(Serialize)]
struct PageValue<'a> {
    #[serde(flatten)]
    summary: Summary<'a>,
    content: &'a str,
    toc: &'a [Heading],
    slug: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    section: Option<LinkRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev: Option<LinkRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<LinkRef<'a>>,
}

#[derive(Serialize)]
struct LinkRef<'a> {
    title: &'a str,
    url: String,
}

#[derive(Serialize)]
struct SectionValue<'a> {
    title: &'a str,
    description: &'a str,
    content: &'a str,
    url: String,
    permalink: String,
    extra: &'a toml::Table,
    path: String,
}

#[derive(Serialize)]
struct Paginator {
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

#[derive(Serialize)]
struct FeedEntry<'a> {
    #[serde(flatten)]
    summary: Summary<'a>,
    content: &'a str,
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
