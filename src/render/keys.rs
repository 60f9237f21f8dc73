//! Which outputs an edit changes, for `knead serve`: a key for each output.
//!
//! An output's key is a hash of what it shows: the fingerprints of the pages on it, at the level
//! it shows them (a link, a summary, or all of the page), the size and place of the list it is
//! cut from, and a fingerprint of what every output sees (`site` and the sections). After an
//! edit, an output whose key is the same would render to the same bytes, so its old bytes are
//! kept. Keys are compared only between builds with the same settings and templates: any other
//! change makes the session render everything.

use std::hash::{Hash, Hasher};

use rayon::prelude::*;

use super::{FEED_ENTRIES, Job, search_entry};
use jiff::Timestamp;

use crate::content::PageId;
use crate::front_matter::PageDate;
use crate::markdown::Bodies;
use crate::site::{LATEST_POSTS, Site, TAG_PAGE_SIZE};
use crate::values::{PageFingerprint, Values};

/// Every rendered output of the site with its key. `fingerprints` are the pages' (by id);
/// `shared` is the fingerprint of what every output sees.
pub(crate) fn keyed_jobs(
    site: &Site,
    fingerprints: &[PageFingerprint],
    shared: u64,
) -> Vec<(Job, u64)> {
    // Each page's place in its section's list, for its neighbours.
    let mut places = vec![0; site.pages().len()];
    for list in site.section_pages() {
        for (i, id) in list.iter().enumerate() {
            places[id.0] = i;
        }
    }
    let dates: Vec<Option<PageDate>> = site.pages().iter().map(|p| p.updated.or(p.date)).collect();
    let stamps: Vec<Option<Timestamp>> = dates.iter().map(|d| d.map(|d| d.sort_key())).collect();
    let inputs = Inputs {
        site,
        fingerprints,
        shared,
        places: &places,
        dates: &dates,
        stamps: &stamps,
    };
    site.jobs()
        .into_par_iter()
        .map(|job| {
            let key = inputs.key_of(&job);
            (job, key)
        })
        .collect()
}

/// What keys are made of.
struct Inputs<'a> {
    site: &'a Site,
    fingerprints: &'a [PageFingerprint],
    shared: u64,
    /// Each page's place in its section's list.
    places: &'a [usize],
    /// Each page's last change, as feeds and the sitemap date it, and its sort key.
    dates: &'a [Option<PageDate>],
    stamps: &'a [Option<Timestamp>],
}

/// A page's entry in the search index, as JSON.
pub(crate) fn search_entry_json(
    site: &Site,
    bodies: &Bodies,
    values: &Values,
    id: PageId,
) -> Vec<u8> {
    // A struct of strings always serialises.
    serde_json::to_vec(&search_entry(site, bodies, values, id)).unwrap_or_default()
}

/// The search index made of its entries (from [`search_entry_json`]): the same bytes as
/// rendering it.
pub(crate) fn search_index_of(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut json = Vec::with_capacity(entries.iter().map(|e| e.len() + 1).sum::<usize>() + 2);
    json.push(b'[');
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            json.push(b',');
        }
        json.extend_from_slice(entry);
    }
    json.extend_from_slice(b"]\n");
    json
}

impl Inputs<'_> {
    /// A hash of what a job's output shows; see the module's documentation.
    fn key_of(&self, job: &Job) -> u64 {
        let (site, fingerprints, shared) = (self.site, self.fingerprints, self.shared);
        let mut h = KeyHasher::default();
        shared.hash(&mut h);
        let summaries = |h: &mut KeyHasher, ids: &[PageId]| {
            ids.len().hash(h);
            for id in ids {
                fingerprints[id.0].summary.hash(h);
            }
        };
        let feed = |h: &mut KeyHasher, ids: &[PageId]| {
            for id in ids.iter().take(FEED_ENTRIES) {
                fingerprints[id.0].full.hash(h);
            }
            // As [`super::Renderer::feed`] dates the feed.
            self.last_change(ids).map(|d| d.rfc3339()).hash(h);
        };
        match job {
            Job::Home => {
                let latest: Vec<PageId> = site.dated().iter().take(LATEST_POSTS).copied().collect();
                summaries(&mut h, &latest);
            }
            Job::Section(id, number) => {
                let (chunk, total) = site.pager(*id, *number);
                (total, number).hash(&mut h);
                summaries(&mut h, chunk);
            }
            Job::Page(id) => {
                fingerprints[id.0].full.hash(&mut h);
                let (prev, next) = site.neighbours_at(site.page_section()[id.0], self.places[id.0]);
                prev.map(|p| fingerprints[p.0].link).hash(&mut h);
                next.map(|n| fingerprints[n.0].link).hash(&mut h);
                summaries(&mut h, &site.related()[id.0]);
                for service in &site.page_services()[id.0] {
                    fingerprints[service.0].link.hash(&mut h);
                }
            }
            Job::Tags => {
                for tag in site.tags() {
                    (&tag.name, &tag.slug, tag.pages.len()).hash(&mut h);
                }
            }
            Job::Tag(i, number) => {
                let tag = &site.tags()[*i];
                (&tag.name, &tag.slug, tag.pages.len(), number).hash(&mut h);
                let chunk = tag.pages.chunks(TAG_PAGE_SIZE).nth(number - 1);
                summaries(&mut h, chunk.unwrap_or_default());
            }
            Job::TagFeed(i) => {
                let tag = &site.tags()[*i];
                (&tag.name, &tag.slug).hash(&mut h);
                feed(&mut h, &tag.pages);
            }
            Job::Author(id) => {
                id.hash(&mut h);
                summaries(
                    &mut h,
                    site.author_pages().get(id).map_or(&[], Vec::as_slice),
                );
            }
            Job::NotFound | Job::Search | Job::Robots => {}
            Job::SearchIndex => {
                for fingerprint in fingerprints {
                    fingerprint.summary.hash(&mut h);
                }
            }
            Job::Atom => feed(&mut h, site.dated()),
            Job::Sitemap => self.sitemap_key(&mut h),
            Job::Alias(id, _) => site.page(*id).path.hash(&mut h),
        }
        // The output path tells jobs apart, and so does the kind of job.
        std::mem::discriminant(job).hash(&mut h);
        h.finish()
    }
}

impl Inputs<'_> {
    /// The last change of some pages, as feeds and the sitemap take it.
    fn last_change(&self, ids: &[PageId]) -> Option<PageDate> {
        // The last of the latest, as `max_by_key` takes it.
        let mut last: Option<(Timestamp, usize)> = None;
        for id in ids {
            if let Some(stamp) = self.stamps[id.0]
                && last.is_none_or(|(latest, _)| stamp >= latest)
            {
                last = Some((stamp, id.0));
            }
        }
        last.and_then(|(_, i)| self.dates[i])
    }

    /// What the sitemap shows: addresses and last changes, as [`super::Renderer::sitemap`]
    /// has them.
    fn sitemap_key(&self, h: &mut KeyHasher) {
        let site = self.site;
        let lastmod = |ids: &[PageId]| self.last_change(ids).map(|d| d.day);
        lastmod(site.dated()).hash(h);
        for (i, section) in site.sections().iter().enumerate().skip(1) {
            (&section.path, lastmod(&site.section_pages()[i])).hash(h);
        }
        for (page, date) in site.pages().iter().zip(self.dates) {
            (&page.path, date.map(|d| d.day)).hash(h);
        }
        site.tags().is_empty().hash(h);
        for tag in site.tags() {
            (&tag.slug, lastmod(&tag.pages)).hash(h);
        }
        for (id, pages) in site.author_pages() {
            (id, lastmod(pages)).hash(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::render_jobs;
    use super::*;
    use crate::BuildOptions;

    /// Page fingerprints leave tags' page counts out with the built-in theme, so that a tag
    /// edit does not render again every page listing a post with that tag: this holds only
    /// while the theme never shows them in a summary.
    #[test]
    fn the_built_in_theme_never_shows_a_summarys_tag_counts() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let sources = crate::source::read(root).unwrap();
        assert!(crate::templates::only_theme(&sources.templates));
        let options = BuildOptions {
            drafts: true,
            future: true,
            now: Some("2026-01-01T00:00:00Z".parse().unwrap()),
            ..BuildOptions::new(root)
        };
        let crate::Prepared {
            site,
            bodies,
            templates,
            ..
        } = crate::prepare(&sources, &options).unwrap();
        assert!(site.tags().iter().any(|tag| tag.pages.len() > 1));
        let jobs = site.jobs();
        let shown = Values::new(&site, &bodies);
        let shown = render_jobs(&site, &bodies, &templates, &shown, &jobs).unwrap();
        let hidden = Values::without_summary_tag_counts(&site, &bodies);
        let hidden = render_jobs(&site, &bodies, &templates, &hidden, &jobs).unwrap();
        assert_eq!(shown.len(), hidden.len());
        for ((path, with), (_, without)) in shown.iter().zip(&hidden) {
            assert!(with == without, "{path} shows how many pages a tag has");
        }
    }
}

/// A quick hasher for keys and for the map of keys: each word of input rotates and multiplies
/// the state, which changes the result for any one changed word (each step is one-to-one), and
/// the result is mixed at the end. About five times quicker than the standard one, which
/// matters for the tens of thousands of keys hashed after each edit.
#[derive(Default, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

impl KeyHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
        // The length tells `a` from `a\0`, which the padding above does not.
        self.add(bytes.len() as u64);
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        // splitmix64's finaliser: every bit of the state moves every bit of the result.
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod hasher_tests {
    use super::*;

    fn hash(value: impl Hash) -> u64 {
        let mut hasher = KeyHasher::default();
        value.hash(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn the_key_hasher_tells_close_inputs_apart() {
        let inputs = [
            hash("blog/a/index.html"),
            hash("blog/b/index.html"),
            hash("blog/a/index.htm"),
            hash("blog/a/index.html\0"),
            hash(("blog/a/", "index.html")),
            hash(("blog/a/index.html", "")),
            hash([1u64, 2]),
            hash([2u64, 1]),
            hash([1u64, 2, 0]),
            hash(0u64),
            hash(1u64),
        ];
        for (i, a) in inputs.iter().enumerate() {
            for b in &inputs[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
