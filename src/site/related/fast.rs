//! The quick way to choose related posts: the same lists as [`super::plain`], in a few hundred
//! visits per post instead of a comparison with every other post.
//!
//! A 10,000-post site would compare 100 million pairs the plain way. Here each post's tags are
//! packed in flat arrays, dates become ranks that compare in one instruction, candidates are
//! counted without a branch on whether they were met before, and an index of tag pairs finds
//! the posts sharing two tags or more without visiting every post of each tag (521 to 214
//! million instructions at 10,000 posts; docs/performance.md). The property test in
//! `super::tests` holds every path here to the plain version.

use std::collections::HashMap;

use jiff::Timestamp;

use super::RELATED_POSTS;
use crate::content::{Page, PageId};
use crate::site::Tag;

/// What choosing related posts looks at: each page's tags and its date.
pub(crate) struct RelatedIndex {
    /// Each page's tags, as indices in the site's tags (in slug order): those of page `i` are
    /// `tags_of[starts[i]..starts[i + 1]]`.
    tags_of: Vec<usize>,
    starts: Vec<usize>,
    /// Each page's date as a rank: 0 for an undated page (which has no related posts and is
    /// none), then 1, 2, ... from the oldest date to the newest, equal dates alike. A number
    /// compares in one instruction where a date takes several: related posts compare about
    /// a thousand candidates per page.
    dates: Vec<u32>,
    /// Where each page is in the list of each of its tags (beside `tags_of`).
    places: Vec<u32>,
    /// The dated pages having both tags of a pair ([`pair_key`]), when asked for
    /// ([`RelatedIndex::with_pairs`]) and there are not too many pairs ([`MAX_PAIRS_PER_PAGE`]):
    /// the pages sharing two tags or more with a page, in a few hundred visits where its tags'
    /// lists hold thousands of pages.
    pairs: Option<PairIndex>,
}

/// The pair index is made while its entries (a page with `k` tags is in `k(k-1)/2` pairs) are
/// at most this many per page on average: pages with dozens of tags each would make it larger
/// than the lists it saves visiting.
const MAX_PAIRS_PER_PAGE: usize = 16;

/// The dated pages having both tags of a pair, by [`pair_key`].
type PairIndex = HashMap<u64, Vec<u32>>;

/// The key of a pair of tags in [`RelatedIndex::pairs`], `a` before `b`.
fn pair_key(a: usize, b: usize) -> u64 {
    ((a as u64) << 32) | b as u64
}

/// Scratch space for [`RelatedIndex::related`], kept from one page to the next.
pub(crate) struct RelatedScratch {
    /// Tags shared with the page at hand, per page; all zero between calls.
    pub(super) shared: Vec<u32>,
    /// The pages whose count is not zero, first met first: room for every page.
    touched: Vec<u32>,
}

impl RelatedScratch {
    pub(crate) fn new(pages: usize) -> RelatedScratch {
        RelatedScratch {
            shared: vec![0; pages],
            touched: vec![0; pages],
        }
    }
}

impl RelatedIndex {
    pub(crate) fn new(pages: &[Page], tags: &[Tag]) -> RelatedIndex {
        let dates: Vec<Option<Timestamp>> =
            pages.iter().map(|p| Some(p.date?.sort_key())).collect();
        RelatedIndex::from_dates(&dates, tags)
    }

    /// The index of pages with these dates (`None` for undated) and tags.
    pub(crate) fn from_dates(page_dates: &[Option<Timestamp>], tags: &[Tag]) -> RelatedIndex {
        let page_count = page_dates.len();
        let mut starts = vec![0; page_count + 1];
        for id in tags.iter().flat_map(|tag| &tag.pages) {
            starts[id.0 + 1] += 1;
        }
        for i in 0..page_count {
            starts[i + 1] += starts[i];
        }
        let mut filled = starts.clone();
        let mut tags_of = vec![0; starts[page_count]];
        let mut places = vec![0; starts[page_count]];
        for (t, tag) in tags.iter().enumerate() {
            for (place, id) in tag.pages.iter().enumerate() {
                tags_of[filled[id.0]] = t;
                // Page ids and places fit in u32: the counts are u32 per page already.
                places[filled[id.0]] = place as u32;
                filled[id.0] += 1;
            }
        }
        let mut dated: Vec<(Timestamp, usize)> = page_dates
            .iter()
            .enumerate()
            .filter_map(|(i, date)| Some(((*date)?, i)))
            .collect();
        dated.sort_unstable();
        let mut dates = vec![0u32; page_count];
        let mut rank = 0u32;
        for (n, &(key, i)) in dated.iter().enumerate() {
            if n == 0 || dated[n - 1].0 != key {
                rank += 1;
            }
            dates[i] = rank;
        }
        RelatedIndex {
            tags_of,
            starts,
            dates,
            places,
            pairs: None,
        }
    }

    /// The index with its pair index, for choosing the related posts of many pages: making it
    /// takes longer than choosing again for the few pages an edit in `knead serve` touches.
    pub(crate) fn with_pairs(mut self) -> RelatedIndex {
        self.pairs = pair_index(&self.tags_of, &self.starts, &self.dates);
        self
    }

    /// The tags of a page, as indices in the site's tags, in slug order.
    pub(crate) fn page_tags(&self, page: PageId) -> &[usize] {
        &self.tags_of[self.starts[page.0]..self.starts[page.0 + 1]]
    }

    /// The related posts of one page.
    pub(crate) fn related(
        &self,
        page: PageId,
        tags: &[Tag],
        scratch: &mut RelatedScratch,
    ) -> Vec<PageId> {
        if self.dates[page.0] == 0 {
            return Vec::new();
        }
        self.related_by_pairs(page, scratch)
            .unwrap_or_else(|| self.related_by_tags(page, tags, scratch))
    }

    /// The related posts of a dated page when at least [`RELATED_POSTS`] pages share two tags
    /// or more with it: those outrank every page sharing one tag, so the answer is among them,
    /// found through the pair index. `None` when fewer do, or there is no pair index.
    pub(crate) fn related_by_pairs(
        &self,
        page: PageId,
        scratch: &mut RelatedScratch,
    ) -> Option<Vec<PageId>> {
        let pairs = self.pairs.as_ref()?;
        let mine = self.page_tags(page);
        if mine.len() < 2 {
            return None;
        }
        let RelatedScratch { shared, touched } = scratch;
        // Each candidate once, and how many of this page's pairs it is in: a page sharing `s`
        // tags is in s(s-1)/2 of them. As in `related_by_tags`, no branch on whether a page
        // was met before.
        let mut met = 0;
        for (n, &a) in mine.iter().enumerate() {
            for &b in &mine[n + 1..] {
                for &id in pairs.get(&pair_key(a, b)).map_or(&[][..], Vec::as_slice) {
                    if id as usize != page.0 {
                        let count = shared[id as usize];
                        touched[met] = id;
                        met += usize::from(count == 0);
                        shared[id as usize] = count + 1;
                    }
                }
            }
        }
        if met < RELATED_POSTS {
            for &id in &touched[..met] {
                shared[id as usize] = 0;
            }
            return None;
        }
        // The same order as `related_by_tags`: tags shared, then date, then where the page is
        // first met going through this page's tags' lists (tag by tag, each list in order).
        // Most candidates lose on tags and date alone, known without comparing tag lists.
        let mut best = Best::new();
        for &id in &touched[..met] {
            let in_pairs = std::mem::take(&mut shared[id as usize]);
            let tags_shared = (2..).find(|s| s * (s - 1) / 2 >= in_pairs).unwrap_or(2);
            let date = self.dates[id as usize];
            if best
                .worst()
                .is_some_and(|&(s, d, _)| (s, d) > (tags_shared, date))
            {
                continue;
            }
            let key = self.key(mine, PageId(id as usize));
            debug_assert_eq!(key.0, tags_shared, "tags shared, counted two ways");
            best.offer(key, id);
        }
        Some(best.into_ids())
    }

    /// How `candidate` ranks among the related posts of a page with tags `mine`, the greater
    /// the better: tags shared, date, then the earlier first meeting.
    fn key(&self, mine: &[usize], candidate: PageId) -> RelatedKey {
        let range = self.starts[candidate.0]..self.starts[candidate.0 + 1];
        let (theirs, places) = (&self.tags_of[range.clone()], &self.places[range]);
        let (mut i, mut j, mut shared, mut first) = (0, 0, 0u32, None);
        // Both lists of tags are in the site's tag order.
        while i < mine.len() && j < theirs.len() {
            match mine[i].cmp(&theirs[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    // The first tag of this page's that the candidate has, and its place there.
                    first.get_or_insert((i as u32, places[j]));
                    shared += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        (
            shared,
            self.dates[candidate.0],
            std::cmp::Reverse(first.unwrap_or((u32::MAX, u32::MAX))),
        )
    }

    /// The related posts of a dated page, from every page of its tags.
    pub(crate) fn related_by_tags(
        &self,
        page: PageId,
        tags: &[Tag],
        scratch: &mut RelatedScratch,
    ) -> Vec<PageId> {
        let (i, dates) = (page.0, &self.dates);
        let RelatedScratch { shared, touched } = scratch;
        // Tens of millions of visits on a large site, so no branch depends on whether a page
        // was met before: every candidate is written down, and the count moves past it only
        // the first time.
        let mut met = 0;
        for &t in self.page_tags(page) {
            for id in &tags[t].pages {
                if id.0 != i && dates[id.0] != 0 {
                    let count = shared[id.0];
                    // Page ids fit in u32: the counts are u32 per page already.
                    touched[met] = id.0 as u32;
                    met += usize::from(count == 0);
                    shared[id.0] = count + 1;
                }
            }
        }
        // The best few by (shared tags, date), the first met first among equals.
        let mut best = Best::new();
        for &id in &touched[..met] {
            best.offer(score(shared[id as usize], dates[id as usize]), id);
            shared[id as usize] = 0;
        }
        best.into_ids()
    }
}

/// A related post's rank ([`RelatedIndex::key`]): tags shared, date rank, and where it is first
/// met (which of the page's tags, which place in its list), the earlier the greater.
type RelatedKey = (u32, u32, std::cmp::Reverse<(u32, u32)>);

/// The pair index of [`RelatedIndex::pairs`]: for each pair of tags, the dated pages having
/// both. `None` when it would hold more than [`MAX_PAIRS_PER_PAGE`] entries a page.
fn pair_index(tags_of: &[usize], starts: &[usize], dates: &[u32]) -> Option<PairIndex> {
    let pages = dates.len();
    let tags = |i: usize| &tags_of[starts[i]..starts[i + 1]];
    let entries: usize = (0..pages)
        .filter(|&i| dates[i] != 0)
        .map(|i| tags(i).len() * tags(i).len().saturating_sub(1) / 2)
        .sum();
    if entries > MAX_PAIRS_PER_PAGE * pages {
        return None;
    }
    let mut pairs = PairIndex::default();
    for i in (0..pages).filter(|&i| dates[i] != 0) {
        let mine = tags(i);
        for (n, &a) in mine.iter().enumerate() {
            for &b in &mine[n + 1..] {
                pairs.entry(pair_key(a, b)).or_default().push(i as u32);
            }
        }
    }
    Some(pairs)
}

/// The best [`RELATED_POSTS`] candidates offered so far, best first; among equal ranks the
/// first offered wins. Keeps only the best few, without sorting every candidate.
struct Best<K>(Vec<(K, u32)>);

impl<K: Ord> Best<K> {
    fn new() -> Best<K> {
        Best(Vec::with_capacity(RELATED_POSTS + 1))
    }

    /// The rank a candidate must beat to be kept, once there are enough.
    fn worst(&self) -> Option<&K> {
        (self.0.len() == RELATED_POSTS).then(|| &self.0[RELATED_POSTS - 1].0)
    }

    fn offer(&mut self, rank: K, id: u32) {
        if self.worst().is_some_and(|worst| *worst >= rank) {
            return;
        }
        let at = self.0.partition_point(|(r, _)| *r >= rank);
        self.0.insert(at, (rank, id));
        self.0.truncate(RELATED_POSTS);
    }

    fn into_ids(self) -> Vec<PageId> {
        self.0
            .into_iter()
            .map(|(_, id)| PageId(id as usize))
            .collect()
    }
}

/// A candidate's rank as one number: tags shared, then date rank.
fn score(shared: u32, date: u32) -> u64 {
    (u64::from(shared) << 32) | u64::from(date)
}
