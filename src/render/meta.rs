//! What a page tells search engines: its meta description and its structured data (JSON-LD).

use super::Renderer;
use crate::seo::{self, PersonData, PostData};
use crate::site::Site;
use crate::slug::site_url;
use crate::values::{AuthorRef, PageValue, absolute};

/// An absolute address for an image written in site.toml (`/clinic.jpg` or a full address).
pub(super) fn site_image(site: &Site, image: &str) -> String {
    let config = site.config();
    absolute(
        &config.base_url,
        &config.root,
        &site_url(&config.root, "", image),
    )
}

pub(super) fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// What a page tells search engines: its meta description and its structured data (none for
/// feeds, the sitemap and the like).
pub(super) struct Meta {
    pub(super) description: String,
    pub(super) graph: Option<seo::Graph>,
}

impl Renderer<'_> {
    /// Adds a post's BlogPosting, its author and its reviewer to its structured data.
    pub(super) fn describe_post(&self, meta: &mut Meta, page: &PageValue<'_>) {
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

    pub(super) fn person(&self, author: &AuthorRef<'_>) -> PersonData<'_> {
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

    /// The meta description and the base of the structured data for the output at `path`:
    /// WebSite, the clinic, the WebPage (`kind`) and the breadcrumbs (`trail` after Home).
    pub(super) fn meta(
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

    pub(super) fn no_meta(&self) -> Meta {
        Meta {
            description: seo::meta_description("", &self.site.config().description),
            graph: None,
        }
    }
}
