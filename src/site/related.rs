//! Related posts: for each dated post, the [`RELATED_POSTS`] dated posts that share the most
//! tags with it; among equals the newest, then the first met going through the post's tags in
//! order (each tag's posts in date order). Undated pages have none and are none.
//!
//! [`plain`] says this in a few lines by comparing every pair of posts: it is the definition
//! and the test oracle. The build uses [`fast`], which gives the same lists far quicker on a
//! large site; the property test below holds the two together.

use std::hash::Hash;

use rayon::prelude::*;

use crate::content::{Page, PageId};
use crate::site::Tag;

mod fast;
pub(crate) use fast::{RelatedIndex, RelatedScratch};

/// How many related posts a post lists.
pub const RELATED_POSTS: usize = 3;

/// The related posts of the last assembly, kept by `knead serve` between rebuilds: they are
/// made again only when a page's date or a tag's list of pages changed, which is all they
/// depend on.
#[derive(Debug, Default)]
pub struct RelatedCache {
    key: u64,
    lists: Vec<Vec<PageId>>,
}

/// [`related_posts`], from `cache` when the pages' dates and the tags' lists are those it
/// was made from.
pub(super) fn related_posts_cached(
    pages: &[Page],
    tags: &[Tag],
    cache: Option<&mut RelatedCache>,
) -> Vec<Vec<PageId>> {
    let Some(cache) = cache else {
        return related_posts(pages, tags);
    };
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    pages.len().hash(&mut hasher);
    for page in pages {
        page.date.map(|d| d.sort_key()).hash(&mut hasher);
    }
    for tag in tags {
        tag.pages.hash(&mut hasher);
    }
    let key = hasher.digest();
    if cache.key != key || cache.lists.len() != pages.len() {
        cache.lists = related_posts(pages, tags);
        cache.key = key;
    }
    cache.lists.clone()
}

/// For each dated page, the dated pages that share the most tags with it (newest first among
/// equals), at most [`RELATED_POSTS`].
fn related_posts(pages: &[Page], tags: &[Tag]) -> Vec<Vec<PageId>> {
    let index = RelatedIndex::new(pages, tags).with_pairs();
    (0..pages.len())
        .into_par_iter()
        // Not too small: each piece of work makes its own scratch space.
        .with_max_len(256)
        .map_init(
            || RelatedScratch::new(pages.len()),
            |scratch, i| index.related(PageId(i), tags, scratch),
        )
        .collect()
}

/// The related posts of pages with these dates (`None` for undated) and tags, the plain way:
/// every pair compared, every candidate ranked.
#[cfg(test)]
fn plain(dates: &[Option<jiff::Timestamp>], tags: &[Tag]) -> Vec<Vec<PageId>> {
    let tags_of = |i: usize| -> Vec<usize> {
        (0..tags.len())
            .filter(|&t| tags[t].pages.contains(&PageId(i)))
            .collect()
    };
    let ranked = |i: usize, j: usize| {
        let (mine, theirs) = (tags_of(i), tags_of(j));
        let shared = mine.iter().filter(|t| theirs.contains(t)).count();
        // Where the candidate is first met: which of this post's tags, which place in its list.
        let (n, &t) = mine.iter().enumerate().find(|(_, t)| theirs.contains(t))?;
        let place = tags[t].pages.iter().position(|&p| p == PageId(j));
        Some(((shared, dates[j], std::cmp::Reverse((n, place))), PageId(j)))
    };
    (0..dates.len())
        .map(|i| {
            let dated = |j: usize| dates[j].is_some();
            let mut candidates: Vec<_> = (0..dates.len())
                .filter(|&j| dated(i) && dated(j) && j != i)
                .filter_map(|j| ranked(i, j))
                .collect();
            candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
            candidates.iter().take(RELATED_POSTS).map(|c| c.1).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;

    /// Tags `t0`, `t1`, ... with these pages each, in this order.
    fn tags_of_pages(lists: &[Vec<usize>]) -> Vec<Tag> {
        lists
            .iter()
            .enumerate()
            .map(|(t, ids)| Tag {
                name: format!("t{t}"),
                slug: format!("t{t}"),
                pages: ids.iter().copied().map(PageId).collect(),
            })
            .collect()
    }

    fn day(n: i64) -> Option<Timestamp> {
        Timestamp::from_second(n * 86_400).ok()
    }

    #[test]
    fn related_posts_through_tag_pairs_rank_by_tags_date_then_first_met() {
        // Page 0 has t0, t1 and t2. Pages 1-4 share two or three of them; 5 shares one.
        let dates = [day(10), day(3), day(5), day(5), day(5), day(9)];
        let tags = tags_of_pages(&[vec![0, 4, 3, 1, 5], vec![0, 2, 3, 4, 1], vec![0, 1, 2]]);
        let index = RelatedIndex::from_dates(&dates, &tags).with_pairs();
        let mut scratch = RelatedScratch::new(dates.len());
        // 1 shares three tags; 2, 3 and 4 share two on the same day, and 4 is met first (its
        // place in t0's list is before 3's; 2 is not in t0). 5, the newest, shares one.
        let expected = vec![PageId(1), PageId(4), PageId(3)];
        assert_eq!(
            index.related_by_pairs(PageId(0), &mut scratch),
            Some(expected.clone())
        );
        assert_eq!(
            index.related_by_tags(PageId(0), &tags, &mut scratch),
            expected
        );
        assert!(scratch.shared.iter().all(|&n| n == 0));
        assert_eq!(plain(&dates, &tags)[0], expected);
        // Page 5 shares no pair of tags with anyone: the whole lists decide.
        assert_eq!(index.related_by_pairs(PageId(5), &mut scratch), None);
        assert_eq!(
            index.related(PageId(5), &tags, &mut scratch),
            vec![PageId(0), PageId(4), PageId(3)]
        );
    }

    proptest::proptest! {
        /// Every quick path (the pair index, the whole tag lists) gives the related posts of the
        /// plain definition, whatever the dates, tags and order of the tags' lists.
        #[test]
        fn related_posts_are_those_of_the_plain_definition(
            pages in proptest::collection::vec(
                (
                    proptest::option::weighted(0.85, 0i64..4),
                    proptest::collection::vec(0usize..5, 0..5),
                ),
                0..40,
            ),
            order in proptest::collection::vec(0u32..1000, 40),
        ) {
            let dates: Vec<Option<Timestamp>> =
                pages.iter().map(|(date, _)| date.and_then(day)).collect();
            let lists: Vec<Vec<usize>> = (0..5)
                .map(|t| {
                    let mut ids: Vec<usize> = (0..pages.len())
                        .filter(|&i| pages[i].1.contains(&t))
                        .collect();
                    ids.sort_by_key(|&i| order[i]);
                    ids
                })
                .collect();
            let tags = tags_of_pages(&lists);
            let index = RelatedIndex::from_dates(&dates, &tags).with_pairs();
            let without_pairs = RelatedIndex::from_dates(&dates, &tags);
            let mut scratch = RelatedScratch::new(pages.len());
            let expected = plain(&dates, &tags);
            for page in (0..pages.len()).map(PageId) {
                let wanted = &expected[page.0];
                proptest::prop_assert_eq!(&index.related(page, &tags, &mut scratch), wanted);
                proptest::prop_assert_eq!(
                    &without_pairs.related(page, &tags, &mut scratch),
                    wanted
                );
                if dates[page.0].is_none() {
                    continue;
                }
                let by_tags = index.related_by_tags(page, &tags, &mut scratch);
                proptest::prop_assert_eq!(&by_tags, wanted);
                if let Some(by_pairs) = index.related_by_pairs(page, &mut scratch) {
                    proptest::prop_assert_eq!(&by_pairs, wanted);
                }
            }
        }
    }
}
