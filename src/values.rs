//! The values templates see (documented in docs/templates.md).
//!
//! Each page's summary is built once per build and shared, as a cheap-to-clone Tera value,
//! between the lists, tag pages and author pages that show it, instead of serialising the whole
//! site for every page.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::Serialize;
use tera::Value;

use crate::assets::Assets;
use crate::clinic::{days_display, time_display, uses_twelve_hour_clock};
use crate::config::{Author, Clinic, Config, MenuItem};
use crate::content::{Page, PageId, SectionId};
use crate::front_matter::PageDate;
use crate::markdown::{Bodies, Heading};
use crate::site::{Site, author_path};
use crate::slug::site_url;

/// The values shared between outputs.
pub(crate) struct Values {
    /// `site`.
    pub(crate) site: Value,
    /// Each page's summary.
    pub(crate) summaries: Vec<Value>,
    /// Each section's values.
    pub(crate) sections: Vec<Value>,
    /// Each tag's values.
    pub(crate) tags: Vec<Value>,
    tag_refs: Vec<TagRef>,
    /// Each page's tags, as indices in `tag_refs`.
    page_tags: Vec<Vec<usize>>,
    /// The pixel size of each page's image, when it is a file of the site with a known size.
    image_sizes: Vec<Option<(u32, u32)>>,
    /// The `<picture>` of each page's image, when it is one of the site's photos.
    pictures: Vec<Option<std::sync::Arc<crate::images::Picture>>>,
    /// Each author's portrait, by id, when their `photo` is one of the site's photos.
    author_pictures: HashMap<String, String>,
}

impl Values {
    pub(crate) fn new(site: &Site, bodies: &Bodies, assets: &Assets) -> Values {
        Values::reusing(site, bodies, assets, &|_, _| None).0
    }

    /// The values, with each page's summary taken from `earlier` when it gives one for the
    /// page's id and the hash of what its summary is made of (`knead serve` keeps them between
    /// rebuilds). Returns those hashes too, by page id.
    ///
    /// Besides the settings, which the caller must check are the same, a summary is made of
    /// the page (the same parse result while its text is the same shared string), its Markdown
    /// (the same shared rendering), its tags' values, its image's size and whether it is still
    /// to come: the hash covers the two shared values by address, so `earlier` must keep them
    /// alive for an address to keep meaning the same value.
    pub(crate) fn reusing(
        site: &Site,
        bodies: &Bodies,
        assets: &Assets,
        earlier: &(dyn Fn(PageId, u64) -> Option<Value> + Sync),
    ) -> (Values, Vec<u64>) {
        let tag_refs = tag_refs(site);
        let tag_index = tag_index(site);
        let page_tags = site
            .pages()
            .iter()
            .map(|page| page_tags(page, &tag_index))
            .collect();
        let author_pictures = author_pictures(site, assets);
        let mut values = Values {
            site: Value::from_serializable(&site_value(site, assets, &author_pictures)),
            summaries: Vec::new(),
            sections: section_values(site, bodies),
            tags: tag_refs.iter().map(Value::from_serializable).collect(),
            tag_refs,
            page_tags,
            image_sizes: site
                .pages()
                .iter()
                .map(|page| {
                    let root = &site.config().root;
                    assets.image_size(root, &site_url(root, &page.path, &page.image))
                })
                .collect(),
            pictures: site
                .pages()
                .iter()
                .map(|page| {
                    let root = &site.config().root;
                    let url = site_url(root, &page.path, &page.image);
                    assets.picture(url.strip_prefix(root.as_str())?).cloned()
                })
                .collect(),
            author_pictures,
        };
        let (summaries, inputs) = (0..site.pages().len())
            .into_par_iter()
            .with_max_len(64)
            .map(|i| {
                let id = PageId(i);
                let inputs = values.summary_inputs(site, bodies, id);
                let summary = earlier(id, inputs)
                    .unwrap_or_else(|| Value::from_serializable(&values.summary(site, bodies, id)));
                (summary, inputs)
            })
            .unzip();
        values.summaries = summaries;
        (values, inputs)
    }

    /// A hash of what a page's summary is made of, but for the settings ([`Values::reusing`]).
    fn summary_inputs(&self, site: &Site, bodies: &Bodies, id: PageId) -> u64 {
        let page = site.page(id);
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let addresses = [
            page.source.text.as_ptr() as usize,
            page.source.text.len(),
            std::sync::Arc::as_ptr(&bodies.pages[id.0]) as usize,
        ];
        for word in addresses {
            hasher.update(&word.to_le_bytes());
        }
        for &t in &self.page_tags[id.0] {
            let tag = &self.tag_refs[t];
            for part in [&tag.name, &tag.slug, &tag.url, &tag.feed_url] {
                hasher.update(part.as_bytes());
                hasher.update(&[0]);
            }
            hasher.update(&tag.count.to_le_bytes());
        }
        let size = self.image_sizes[id.0].map_or([u32::MAX; 2], |(w, h)| [w, h]);
        hasher.update(&size[0].to_le_bytes());
        hasher.update(&size[1].to_le_bytes());
        let picture = self.pictures[id.0].as_ref().map_or(0, |p| p.hash());
        hasher.update(&picture.to_le_bytes());
        let scheduled = page.date.is_some_and(|d| d.is_future(site.now()));
        hasher.update(&[u8::from(scheduled)]);
        hasher.digest()
    }

    /// The values of `site` with every tag page count in summaries 0, to show that templates
    /// do not show them.
    #[cfg(test)]
    pub(crate) fn without_summary_tag_counts(
        site: &Site,
        bodies: &Bodies,
        assets: &Assets,
    ) -> Values {
        let mut values = Values::new(site, bodies, assets);
        let hidden: Vec<TagRef> = values
            .tag_refs
            .iter()
            .map(|r| TagRef {
                count: 0,
                ..r.clone()
            })
            .collect();
        values.summaries = (0..site.pages().len())
            .map(|i| {
                let tags = values.page_tags[i].iter().map(|&t| &hidden[t]).collect();
                let (id, size) = (PageId(i), values.image_sizes[i]);
                let photos = Photos {
                    picture: values.pictures[i].as_deref(),
                    authors: &values.author_pictures,
                };
                Value::from_serializable(&summary(
                    site,
                    bodies,
                    id,
                    &site.pages()[i],
                    tags,
                    size,
                    photos,
                ))
            })
            .collect();
        values
    }

    /// The portrait of the author `id` (`<picture>`), empty when they have no photo of the
    /// site's.
    pub(crate) fn author_picture(&self, id: &str) -> String {
        self.author_pictures.get(id).cloned().unwrap_or_default()
    }

    /// The summary of a page, as lists show it.
    pub(crate) fn summary<'a>(
        &'a self,
        site: &'a Site,
        bodies: &'a Bodies,
        id: PageId,
    ) -> Summary<'a> {
        let tags = self.page_tags[id.0]
            .iter()
            .map(|&i| &self.tag_refs[i])
            .collect();
        summary(
            site,
            bodies,
            id,
            site.page(id),
            tags,
            self.image_sizes[id.0],
            Photos {
                picture: self.pictures[id.0].as_deref(),
                authors: &self.author_pictures,
            },
        )
    }

    /// What templates see as `page` on a page's own page: its summary, as lists show it,
    /// with the fields of `page` added. The summary's value is made once per build and
    /// shared: only the page's own fields are converted here.
    pub(crate) fn page_value(&self, id: PageId, page: &PageValue<'_>) -> Value {
        self.with_fields(id, page)
    }

    /// The page's summary with the fields of `extra` added (a struct of named fields): the
    /// summary's value is made once per build, and only `extra` is serialised here.
    pub(crate) fn with_fields<T: Serialize>(&self, id: PageId, extra: &T) -> Value {
        let mut map = self.summaries[id.0].clone().into_map().unwrap_or_default();
        map.extend(
            Value::from_serializable(extra)
                .into_map()
                .unwrap_or_default(),
        );
        Value::from(map)
    }

    /// The `<picture>` of the page's own photo (front matter `image`), shown above its text:
    /// fetched first, as the likely largest thing on the first screen.
    pub(crate) fn hero(&self, site: &Site, id: PageId) -> String {
        let page = site.page(id);
        self.pictures[id.0]
            .as_ref()
            .map_or_else(String::new, |picture| {
                picture.html(
                    &page.image_alt,
                    "",
                    &site.config().images.sizes,
                    crate::images::Loading::First,
                    "",
                )
            })
    }

    /// The names of a page's tags, as its summary shows them.
    pub(crate) fn tag_names(&self, id: PageId) -> impl Iterator<Item = &str> {
        self.page_tags[id.0]
            .iter()
            .map(|&t| self.tag_refs[t].name.as_str())
    }

    /// The summaries of some pages, as one list value.
    pub(crate) fn summaries(&self, ids: &[PageId]) -> Value {
        let list: Vec<Value> = ids.iter().map(|id| self.summaries[id.0].clone()).collect();
        Value::from(list.as_slice())
    }
}

fn tag_refs(site: &Site) -> Vec<TagRef> {
    let config = site.config();
    site.tags()
        .iter()
        .map(|tag| TagRef {
            name: tag.name.clone(),
            slug: tag.slug.clone(),
            url: format!("{}tags/{}/", config.root, tag.slug),
            feed_url: format!("{}/tags/{}/atom.xml", config.base_url, tag.slug),
            count: tag.pages.len(),
        })
        .collect()
}

fn tag_index(site: &Site) -> HashMap<&str, usize> {
    site.tags()
        .iter()
        .enumerate()
        .map(|(i, t)| (t.slug.as_str(), i))
        .collect()
}

/// A page's tags, as indices in the site's tags, in the page's order.
fn page_tags(page: &Page, tag_index: &HashMap<&str, usize>) -> Vec<usize> {
    let mut tags: Vec<usize> = Vec::new();
    for tag in &page.tags {
        if let Some(&i) = tag_index.get(crate::slug::slugify(tag).as_str())
            && !tags.contains(&i)
        {
            tags.push(i);
        }
    }
    tags
}

fn section_values(site: &Site, bodies: &Bodies) -> Vec<Value> {
    (0..site.sections().len())
        .map(|i| Value::from_serializable(&section_value(site, bodies, i)))
        .collect()
}

fn section_value<'a>(site: &'a Site, bodies: &'a Bodies, i: usize) -> SectionValue<'a> {
    let config = site.config();
    let section = &site.sections()[i];
    SectionValue {
        title: &section.title,
        description: &section.description,
        content: &bodies.section(SectionId(i)).html,
        url: format!("{}{}", config.root, section.path),
        permalink: format!("{}/{}", config.base_url, section.path),
        extra: &section.extra,
        path: section
            .source
            .file
            .strip_prefix("content")
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default(),
    }
}

fn site_value<'a>(
    site: &'a Site,
    assets: &Assets,
    author_pictures: &HashMap<String, String>,
) -> SiteValue<'a> {
    let config = site.config();
    let authors: BTreeMap<&str, AuthorRef> = config
        .authors
        .iter()
        .map(|(id, a)| {
            let picture = author_pictures.get(id).cloned().unwrap_or_default();
            (id.as_str(), AuthorRef::new(config, id, a, picture))
        })
        .collect();
    SiteValue {
        title: &config.title,
        base_url: &config.base_url,
        root: &config.root,
        description: &config.description,
        language: &config.language,
        disclaimer: &config.disclaimer,
        clinic: ClinicValue::new(config, assets),
        authors,
        menu: site.menu(),
        extra: &config.extra,
        has_tags: !site.tags().is_empty(),
    }
}

/// The `sizes` of a card's photo: beside the text on wide screens, above it on phones.
const CARD_SIZES: &str = "(min-width: 40rem) 12rem, calc(100vw - 5rem)";

/// The photos a summary shows: the page's own, and its author's portrait (by author id).
#[derive(Clone, Copy)]
struct Photos<'a> {
    picture: Option<&'a crate::images::Picture>,
    authors: &'a HashMap<String, String>,
}

/// Each author's portrait, when their `photo` is one of the site's photos: shown at most 10rem
/// wide, cut square by the stylesheet, beside their name (so without alt text of its own).
fn author_pictures(site: &Site, assets: &Assets) -> HashMap<String, String> {
    let config = site.config();
    let root = config.root.as_str();
    config
        .authors
        .iter()
        .filter_map(|(id, author)| {
            // Paths in site.toml are from the site's root, with or without the leading `/`.
            let url = site_url(root, "", &author.photo);
            let picture = assets.picture(url.strip_prefix(root)?)?;
            let html = picture.html(
                "",
                "",
                "10rem",
                crate::images::Loading::Lazy,
                "author-photo",
            );
            Some((id.clone(), html))
        })
        .collect()
}

/// A page's summary; `size` is its image's ([`Values::image_sizes`]).
fn summary<'a>(
    site: &'a Site,
    bodies: &'a Bodies,
    id: PageId,
    page: &'a Page,
    tags: Vec<&'a TagRef>,
    size: Option<(u32, u32)>,
    photos: Photos<'_>,
) -> Summary<'a> {
    let config = site.config();
    let social = photos.picture.map(|p| &p.social);
    let rendered = bodies.page(id);
    let date = DateValues::new(page.date);
    let updated = DateValues::new(page.updated);
    let image = site_url(&config.root, &page.path, &page.image);
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
        summary_text: &rendered.summary_text,
        reading_time: rendered.reading_time(),
        tags,
        author: page.author.as_deref().and_then(|a| {
            let picture = photos.authors.get(a).cloned().unwrap_or_default();
            Some(AuthorRef::new(config, a, config.authors.get(a)?, picture))
        }),
        // Shared, a photo shows as its 1.91:1 social preview.
        image_permalink: absolute(
            &config.base_url,
            &config.root,
            social.map_or(image.as_str(), |(url, _, _)| url.as_str()),
        ),
        image_width: social.map(|s| s.1).or(size.map(|s| s.0)),
        image_height: social.map(|s| s.2).or(size.map(|s| s.1)),
        image,
        image_alt: &page.image_alt,
        // A list's cards show the photo small, cut to their shape by the stylesheet.
        thumbnail: photos.picture.map_or_else(String::new, |picture| {
            picture.html(
                "",
                "",
                CARD_SIZES,
                crate::images::Loading::Lazy,
                "card-photo",
            )
        }),
        draft: page.draft,
        scheduled: page.date.is_some_and(|d| d.is_future(site.now())),
        extra: &page.extra,
    }
}

/// A root-relative address (`/clinic/x.jpg`) made absolute with the site's address.
pub(crate) fn absolute(base_url: &str, root: &str, url: &str) -> String {
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

impl DateValues {
    fn new(date: Option<PageDate>) -> Self {
        DateValues {
            iso: date.map(|d| d.day.to_string()).unwrap_or_default(),
            display: date.map(|d| d.display()).unwrap_or_default(),
            rfc3339: date.map(|d| d.rfc3339()).unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
struct SiteValue<'a> {
    title: &'a str,
    base_url: &'a str,
    root: &'a str,
    description: &'a str,
    language: &'a str,
    disclaimer: &'a str,
    clinic: ClinicValue<'a>,
    authors: BTreeMap<&'a str, AuthorRef<'a>>,
    menu: &'a [MenuItem],
    extra: &'a toml::Table,
    has_tags: bool,
}

#[derive(Serialize)]
struct ClinicValue<'a> {
    #[serde(flatten)]
    clinic: &'a Clinic,
    name: &'a str,
    phone_e164: &'a str,
    phone_uri: String,
    map_url: String,
    address: String,
    /// The city, region and postal code on one line ("Bozeman, MT 59715").
    city_line: String,
    hours_display: Vec<HoursLine>,
    /// The clinic's photo as a social preview (`og:image` of pages without a photo): its
    /// full address, width and height; empty without a photo.
    social_image: String,
    social_width: Option<u32>,
    social_height: Option<u32>,
    /// The logo's address on the site, and its size when known.
    logo_url: String,
    logo_width: Option<u32>,
    logo_height: Option<u32>,
}

#[derive(Serialize)]
struct HoursLine {
    days: String,
    times: String,
}

impl<'a> ClinicValue<'a> {
    fn new(config: &'a Config, assets: &Assets) -> Self {
        let c = &config.clinic;
        let root = &config.root;
        let photo = site_url(root, "", &c.photo);
        let picture = photo
            .strip_prefix(root.as_str())
            .and_then(|rel| assets.picture(rel));
        let (social, social_width, social_height) = match picture {
            Some(p) => (p.social.0.clone(), Some(p.social.1), Some(p.social.2)),
            None => {
                let size = assets.image_size(root, &photo);
                (photo.clone(), size.map(|s| s.0), size.map(|s| s.1))
            }
        };
        let social_image = if c.photo.trim().is_empty() {
            String::new()
        } else {
            absolute(&config.base_url, root, &social)
        };
        let logo_url = site_url(root, "", &c.logo);
        let logo_size = assets.image_size(root, &logo_url);
        let region_postal = join_nonempty(&[&c.region, &c.postal_code], " ");
        let city_line = join_nonempty(&[&c.city, &region_postal], ", ");
        let address = join_nonempty(&[&c.street, &city_line, &c.country], ", ");
        let name = if c.name.is_empty() {
            &config.title
        } else {
            &c.name
        };
        let query = join_nonempty(&[name, &address], ", ");
        let twelve_hour = uses_twelve_hour_clock(&c.country);
        ClinicValue {
            clinic: c,
            name,
            phone_e164: config.phone_e164.as_deref().unwrap_or_default(),
            phone_uri: config
                .phone_e164
                .as_ref()
                .map(|p| format!("tel:{p}"))
                .unwrap_or_default(),
            map_url: if address.is_empty() {
                String::new()
            } else {
                format!(
                    "https://www.openstreetmap.org/search?query={}",
                    url_encode(&query)
                )
            },
            address,
            city_line,
            social_image,
            social_width,
            social_height,
            logo_width: logo_size.map(|s| s.0),
            logo_height: logo_size.map(|s| s.1),
            logo_url: if c.logo.trim().is_empty() {
                String::new()
            } else {
                logo_url
            },
            hours_display: config
                .opening_hours
                .iter()
                .map(|h| HoursLine {
                    days: days_display(&h.days),
                    times: format!(
                        "{}–{}",
                        time_display(&h.opens, twelve_hour),
                        time_display(&h.closes, twelve_hour)
                    ),
                })
                .collect(),
        }
    }
}

fn join_nonempty(parts: &[&str], separator: &str) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(separator)
}

/// Percent-encodes everything but unreserved characters, for a query string.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// An author, as templates see them.
#[derive(Serialize)]
pub(crate) struct AuthorRef<'a> {
    pub(crate) id: &'a str,
    pub(crate) name: &'a str,
    pub(crate) credentials: &'a str,
    pub(crate) job_title: &'a str,
    pub(crate) bio: &'a str,
    pub(crate) photo: String,
    /// Their portrait (`<picture>`), when `photo` is one of the site's photos; empty otherwise.
    pub(crate) picture: String,
    pub(crate) same_as: &'a [String],
    pub(crate) url: String,
    pub(crate) permalink: String,
}

impl<'a> AuthorRef<'a> {
    pub(crate) fn new(config: &Config, id: &'a str, author: &'a Author, picture: String) -> Self {
        let path = author_path(id);
        AuthorRef {
            id,
            name: &author.name,
            credentials: &author.credentials,
            job_title: &author.job_title,
            bio: &author.bio,
            photo: site_url(&config.root, "", &author.photo),
            picture,
            same_as: &author.same_as,
            url: format!("{}{path}", config.root),
            permalink: format!("{}/{path}", config.base_url),
        }
    }
}

#[derive(Serialize, Clone, PartialEq, Eq)]
struct TagRef {
    name: String,
    slug: String,
    url: String,
    feed_url: String,
    count: usize,
}

/// A page as lists show it.
#[derive(Serialize)]
pub(crate) struct Summary<'a> {
    /// The page's photo as a card shows it (`<picture>`), empty without one.
    pub(crate) thumbnail: String,
    pub(crate) title: &'a str,
    pub(crate) description: &'a str,
    pub(crate) url: String,
    pub(crate) permalink: String,
    pub(crate) date: String,
    pub(crate) date_display: String,
    pub(crate) date_rfc3339: String,
    pub(crate) updated: String,
    pub(crate) updated_display: String,
    pub(crate) updated_rfc3339: String,
    pub(crate) summary: &'a str,
    pub(crate) summary_text: &'a str,
    pub(crate) reading_time: usize,
    tags: Vec<&'a TagRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) author: Option<AuthorRef<'a>>,
    pub(crate) image: String,
    pub(crate) image_permalink: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) image_width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) image_height: Option<u32>,
    pub(crate) image_alt: &'a str,
    pub(crate) draft: bool,
    pub(crate) scheduled: bool,
    pub(crate) extra: &'a toml::Table,
}

impl Summary<'_> {
    /// The names of the page's tags.
    pub(crate) fn tag_names(&self) -> Vec<&str> {
        self.tags.iter().map(|t| t.name.as_str()).collect()
    }
}

/// A page on its own page.
#[derive(Serialize)]
pub(crate) struct PageValue<'a> {
    /// The page's summary, which templates see merged in (see [`Values::page_value`]).
    #[serde(skip)]
    pub(crate) summary: Summary<'a>,
    pub(crate) content: &'a str,
    pub(crate) word_count: usize,
    pub(crate) toc: &'a [Heading],
    pub(crate) slug: &'a str,
    pub(crate) path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) section: Option<LinkRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) prev: Option<LinkRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next: Option<LinkRef<'a>>,
    pub(crate) related: Value,
    pub(crate) services: Vec<LinkRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reviewed_by: Option<AuthorRef<'a>>,
    pub(crate) last_reviewed: String,
    pub(crate) last_reviewed_display: String,
    /// The `<picture>` of the page's own photo, when its `image` is one of the site's photos.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) picture: String,
}

/// A title and an address.
#[derive(Serialize)]
pub(crate) struct LinkRef<'a> {
    pub(crate) title: &'a str,
    pub(crate) url: String,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_urls_are_root_relative() {
        assert_eq!(site_url("/", "blog/a/", "x.jpg"), "/blog/a/x.jpg");
        assert_eq!(
            site_url("/clinic/", "blog/a/", "/logo.png"),
            "/clinic/logo.png"
        );
        assert_eq!(
            site_url("/", "blog/a/", "https://cdn.example/x.jpg"),
            "https://cdn.example/x.jpg"
        );
        assert_eq!(
            absolute("https://x.example/clinic", "/clinic/", "/clinic/a.jpg"),
            "https://x.example/clinic/a.jpg"
        );
    }

    #[test]
    fn url_encode_escapes_reserved_characters() {
        assert_eq!(url_encode("A & B, #3"), "A+%26+B%2C+%233");
    }
}
