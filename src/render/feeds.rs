//! The outputs made for machines rather than readers: the site's feed and each topic's, the
//! sitemap, and the search index.

use rayon::prelude::*;
use serde::Serialize;
use tera::Value;

use super::trace::{Read, note};
use super::{Job, Renderer};
use crate::content::PageId;
use crate::error::Diagnostic;
use crate::markdown::Bodies;
use crate::seo;
use crate::site::{Site, author_path, tag_pager_path};
use crate::values::Values;

/// How many posts a feed holds.
pub(super) const FEED_ENTRIES: usize = 20;

/// A page's entry in the search index: what it needs of the page's summary, made without
/// the rest of it (the index has an entry for every page).
fn search_entry<'a>(
    site: &'a Site,
    bodies: &'a Bodies,
    values: &'a Values,
    id: PageId,
) -> SearchEntry<'a> {
    let page = site.page(id);
    SearchEntry {
        title: &page.title,
        url: format!("{}{}", site.config().root, page.path),
        summary: seo::meta_description(&page.description, &bodies.page(id).summary_text),
        tags: values.tag_names(id).map(str::to_owned).collect(),
        date: page.date.map(|d| d.display()).unwrap_or_default(),
    }
}

#[derive(Serialize)]
pub(super) struct SearchEntry<'a> {
    title: &'a str,
    url: String,
    summary: String,
    tags: Vec<String>,
    date: String,
}

/// What a feed entry has besides the page's summary.
#[derive(Serialize)]
pub(super) struct FeedEntry<'a> {
    content: &'a str,
    /// Whether `content` is the whole post, or its summary.
    full: bool,
}

#[derive(Serialize)]
pub(super) struct Feed {
    title: String,
    url: String,
    updated: String,
    entries: Vec<Value>,
}

#[derive(Serialize)]
pub(super) struct SitemapEntry {
    permalink: String,
    lastmod: String,
}

impl Renderer<'_> {
    pub(super) fn atom(&self) -> Result<Vec<u8>, Diagnostic> {
        let config = self.site.config();
        let path = Job::Atom.path(self.site);
        let mut context = self.context(&path, self.no_meta());
        note(Read::Dated);
        let feed = self.feed(config.title.clone(), &path, self.site.dated(), true);
        context.insert("feed", &feed);
        self.render("atom.xml", &context, None)
    }

    /// The feed of tag `i`.
    pub(super) fn tag_feed(&self, i: usize) -> Result<Vec<u8>, Diagnostic> {
        let tag = &self.site.tags()[i];
        note(Read::Tag(self.keys.tags[i]));
        let path = Job::TagFeed(i).path(self.site);
        let mut context = self.context(&path, self.no_meta());
        let title = format!("{} – {}", self.site.config().title, tag.name);
        context.insert("feed", &self.feed(title, &path, &tag.pages, false));
        self.render("atom.xml", &context, None)
    }

    pub(super) fn sitemap_xml(&self) -> Result<Vec<u8>, Diagnostic> {
        note(Read::Shape);
        let mut context = self.context(&Job::Sitemap.path(self.site), self.no_meta());
        context.insert("entries", &self.sitemap());
        self.render("sitemap.xml", &context, None)
    }

    /// A feed of the newest of `ids`. The site's feed carries each post's whole text (`full`);
    /// a tag's feed carries its summary, as a notice that links to the post: thirty tags times
    /// twenty whole posts would otherwise be most of a small site's output.
    pub(super) fn feed(&self, title: String, path: &str, ids: &[PageId], full: bool) -> Feed {
        let site = self.site;
        // A draft is never in a feed, also in a preview built with `--drafts`: a preview may be
        // uploaded by mistake, and feed readers keep what they fetched. Whether a page is a
        // draft is read, so a draft made public renders the feed again.
        let published: Vec<PageId> = ids
            .iter()
            .copied()
            .filter(|id| {
                let draft = site.page(*id).draft;
                if draft {
                    note(Read::Full(self.keys.pages[id.0]));
                }
                !draft
            })
            .collect();
        let ids = &published[..];
        let entries: Vec<Value> = ids
            .iter()
            .take(FEED_ENTRIES)
            .map(|id| {
                note(Read::Full(self.keys.pages[id.0]));
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
    pub(super) fn search_index(&self) -> Vec<u8> {
        let site = self.site;
        note(Read::Summaries);
        let entries: Vec<SearchEntry<'_>> = (0..site.pages().len())
            .into_par_iter()
            .with_max_len(256)
            .map(|i| search_entry(site, self.bodies, self.values, PageId(i)))
            .collect();
        let mut json = serde_json::to_vec(&entries).unwrap_or_else(|_| b"[]".to_vec());
        json.push(b'\n');
        json
    }

    pub(super) fn sitemap(&self) -> Vec<SitemapEntry> {
        let site = self.site;
        let lastmod = |ids: &[PageId]| {
            site.last_modified(ids)
                .map(|day| day.to_string())
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
        // Drafts are never in the sitemap (see `feed`).
        for (i, page) in site.pages().iter().enumerate().filter(|(_, p)| !p.draft) {
            entries.push(SitemapEntry {
                permalink: self.permalink(&page.path),
                lastmod: lastmod(&[PageId(i)]),
            });
        }
        if !site.tags().is_empty() {
            entries.push(SitemapEntry {
                permalink: self.permalink(&Job::Tags.address(site)),
                lastmod: lastmod(site.dated()),
            });
        }
        for tag in site.tags() {
            entries.push(SitemapEntry {
                permalink: self.permalink(&tag_pager_path(&tag.slug, 1)),
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
