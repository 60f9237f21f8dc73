//! The HTML pages: the home page, a section's list pages, a page, the topics and a topic's
//! list pages, an author's page, search and the 404 page; and the redirects of aliases.

use serde::Serialize;
use tera::Value;

use super::trace::{self, Read, note};
use super::{Job, Renderer};
use crate::content::{PageId, SectionId};
use crate::error::Diagnostic;
use crate::site::{LATEST_POSTS, Site, TAG_PAGE_SIZE, author_path, tag_pager_path};
use crate::values::{AuthorRef, LinkRef, PageValue};

impl Renderer<'_> {
    pub(super) fn home(&self) -> Result<Vec<u8>, Diagnostic> {
        let site = self.site;
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
        note(Read::Dated);
        context.insert_value("posts", self.summaries(&latest));
        let template = section.template.as_deref().unwrap_or("index.html");
        self.render(template, &context, section_file(site, SectionId(0)))
    }

    /// An output whose template needs nothing but what every output gets: the 404 page,
    /// robots.txt.
    pub(super) fn simple(&self, job: &Job, template: &str) -> Result<Vec<u8>, Diagnostic> {
        let context = self.context(&job.path(self.site), self.no_meta());
        self.render(template, &context, None)
    }

    pub(super) fn section(&self, id: SectionId, number: usize) -> Result<Vec<u8>, Diagnostic> {
        let site = self.site;
        let section = &site.sections()[id.0];
        let (chunk, total) = site.pager(id, number);
        note(Read::Pager(self.keys.sections[id.0], number));
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

    pub(super) fn page(&self, id: PageId) -> Result<Vec<u8>, Diagnostic> {
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
        let key = self.keys.pages[id.0];
        for read in [Read::Full, Read::Neighbours, Read::Related, Read::Services] {
            note(read(key));
        }
        let link = |id: PageId| {
            note(Read::Link(self.keys.pages[id.0]));
            LinkRef {
                title: &site.page(id).title,
                url: format!("{}{}", config.root, site.page(id).path),
            }
        };
        let reviewer = page.reviewed_by.as_deref().and_then(|r| {
            let picture = self.values.author_picture(r);
            Some(AuthorRef::new(config, r, config.authors.get(r)?, picture))
        });
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
            related: self.summaries(&site.related()[id.0]),
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
            picture: self.values.hero(site, id),
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

    pub(super) fn tags(&self) -> Result<Vec<u8>, Diagnostic> {
        let address = Job::Tags.address(self.site);
        let meta = self.meta(
            &address,
            &format!(
                "Every topic on {}, with its articles.",
                self.site.config().title
            ),
            "",
            "Topics",
            "CollectionPage",
            &[("Topics", address.clone())],
        );
        let mut context = self.context(&address, meta);
        note(Read::Tags);
        context.insert_value("tags", Value::from(self.values.tags.as_slice()));
        self.render("taxonomy.html", &context, None)
    }

    /// List page `number` of tag `i`.
    pub(super) fn tag(&self, i: usize, number: usize) -> Result<Vec<u8>, Diagnostic> {
        let config = self.site.config();
        let tag = &self.site.tags()[i];
        note(Read::Tag(self.keys.tags[i]));
        let first = tag_pager_path(&tag.slug, 1);
        let path = tag_pager_path(&tag.slug, number);
        let meta = self.meta(
            &path,
            &format!("Articles about {} from {}.", tag.name, config.title),
            "",
            &tag.name,
            "CollectionPage",
            &[("Topics", Job::Tags.address(self.site)), (&tag.name, first)],
        );
        let chunks: Vec<&[PageId]> = tag.pages.chunks(TAG_PAGE_SIZE).collect();
        let chunk = chunks.get(number - 1).copied().unwrap_or_default();
        let paginator = self.paginator(chunk, number, chunks.len().max(1), |n| {
            format!("{}{}", config.root, tag_pager_path(&tag.slug, n))
        });
        let mut context = self.context(&path, meta);
        context.insert_value("tag", self.values.tags[i].clone());
        context.insert_value("pages", paginator.pages.clone());
        context.insert_value("paginator", paginator.into_value());
        self.render("term.html", &context, None)
    }

    pub(super) fn search(&self) -> Result<Vec<u8>, Diagnostic> {
        let config = self.site.config();
        let address = Job::Search.address(self.site);
        let meta = self.meta(
            &address,
            &format!("Search the articles of {}.", config.title),
            "",
            "Search",
            "WebPage",
            &[("Search", address.clone())],
        );
        let mut context = self.context(&address, meta);
        let index = Job::SearchIndex.path(self.site);
        context.insert("search_index_url", &format!("{}{index}", config.root));
        self.render("search.html", &context, None)
    }

    pub(super) fn author(&self, id: &str) -> Result<Vec<u8>, Diagnostic> {
        let site = self.site;
        let config = site.config();
        let path = author_path(id);
        let Some((id, source)) = config.authors.get_key_value(id) else {
            return Err(Diagnostic::error(format!("unknown author `{id}`")));
        };
        let author = AuthorRef::new(config, id, source, self.values.author_picture(id));
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
        note(Read::Author(trace::key(id)));
        context.insert_value("pages", self.summaries(&site.author_pages()[id]));
        self.render("author.html", &context, None)
    }

    /// List page `number` of `total`, showing `ids`; `url` gives the address of list page n.
    pub(super) fn paginator(
        &self,
        ids: &[PageId],
        number: usize,
        total: usize,
        url: impl Fn(usize) -> String,
    ) -> Paginator {
        Paginator {
            pages: self.summaries(ids),
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
}

pub(super) fn section_file(site: &Site, id: SectionId) -> Option<&std::path::Path> {
    let file = &site.sections()[id.0].source.file;
    (!file.as_os_str().is_empty()).then_some(file.as_path())
}

/// A small HTML page that sends visitors and search engines from an old address to the new one.
pub(super) fn redirect_page(permalink: &str) -> String {
    let url = crate::markdown::escape(permalink);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Redirecting…</title>\n\
         <link rel=\"canonical\" href=\"{url}\">\n<meta name=\"robots\" content=\"noindex\">\n\
         <meta http-equiv=\"refresh\" content=\"0; url={url}\">\n</head>\n<body>\n\
         <p>This page has moved to <a href=\"{url}\">{url}</a>.</p>\n</body>\n</html>\n"
    )
}

#[derive(Serialize)]
pub(super) struct Paginator {
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
    pub(super) fn into_value(self) -> Value {
        let mut map = Value::from_serializable(&self)
            .into_map()
            .unwrap_or_default();
        map.insert(tera::value::Key::Str("pages"), self.pages);
        Value::from(map)
    }
}

#[derive(Serialize)]
pub(super) struct Pager {
    number: usize,
    url: String,
    current: bool,
    /// Whether numbers were skipped before this one.
    gap: bool,
}

/// How many numbered links either side of the current list page.
pub(super) const PAGER_RADIUS: usize = 2;

/// The list pages worth a numbered link: the first, the last, and those near the current one,
/// each with whether numbers were skipped before it. A 1,000-page blog gets seven links, not
/// a thousand on each of its thousand pages.
pub(super) fn pager_window(current: usize, total: usize) -> impl Iterator<Item = (usize, bool)> {
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
