//! Every output the site renders, and the one place that decides each output's path.
//!
//! Rendering names its files with [`Job::path`], the collision check claims the same paths
//! before anything is rendered, and `knead serve` serves them: one function, so the three cannot
//! disagree on where a page goes.

use super::{Page, PageId, SectionId, Site, Tag};
use crate::slug::slugify;

/// How many posts each list page of a tag shows.
pub const TAG_PAGE_SIZE: usize = 10;

/// One output to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Job {
    Home,
    Section(SectionId, usize),
    Page(PageId),
    Tags,
    Tag(usize, usize),
    TagFeed(usize),
    Author(String),
    NotFound,
    Search,
    SearchIndex,
    Atom,
    Sitemap,
    Robots,
    Alias(PageId, String),
}

impl Job {
    /// The output's path, relative to the output folder, with `/` separators.
    pub(crate) fn path(&self, site: &Site) -> String {
        match self {
            Job::Home => "index.html".to_owned(),
            Job::Section(id, number) => format!("{}index.html", site.pager_path(*id, *number)),
            Job::Page(id) => page_output(&site.pages[id.0]),
            Job::Tags => TAG_INDEX.to_owned(),
            Job::Tag(i, number) => tag_pager_output(&site.tags[*i].slug, *number),
            Job::TagFeed(i) => tag_feed_output(&site.tags[*i].slug),
            Job::Author(id) => format!("{}index.html", author_path(id)),
            Job::NotFound => "404.html".to_owned(),
            Job::Search => "search/index.html".to_owned(),
            Job::SearchIndex => "search-index.json".to_owned(),
            Job::Atom => "atom.xml".to_owned(),
            Job::Sitemap => "sitemap.xml".to_owned(),
            Job::Robots => "robots.txt".to_owned(),
            Job::Alias(_, output) => output.clone(),
        }
    }

    /// The output's address relative to the site root: its path without a final
    /// `index.html` (`tags/`, `search/`, `atom.xml`).
    pub(crate) fn address(&self, site: &Site) -> String {
        let mut path = self.path(site);
        if path == "index.html" || path.ends_with("/index.html") {
            path.truncate(path.len() - "index.html".len());
        }
        path
    }
}

impl Site {
    /// Every rendered output of the site, as jobs: the outputs that exist whatever the content
    /// first, then the sections' list pages, the pages, the topics, the authors and the aliases.
    pub(crate) fn jobs(&self) -> Vec<Job> {
        let mut jobs = vec![
            Job::Home,
            Job::NotFound,
            Job::Atom,
            Job::Sitemap,
            Job::Robots,
            Job::Search,
            Job::SearchIndex,
        ];
        for section in 1..self.sections.len() {
            for number in 1..=self.paginate(SectionId(section)).len() {
                jobs.push(Job::Section(SectionId(section), number));
            }
        }
        jobs.extend((0..self.pages.len()).map(|i| Job::Page(PageId(i))));
        if !self.tags.is_empty() {
            jobs.push(Job::Tags);
            for (i, tag) in self.tags.iter().enumerate() {
                jobs.extend((1..=tag_pagers(tag)).map(|number| Job::Tag(i, number)));
            }
            jobs.extend((0..self.tags.len()).map(Job::TagFeed));
        }
        jobs.extend(self.author_pages.keys().cloned().map(Job::Author));
        for (i, page) in self.pages.iter().enumerate() {
            for alias in &page.aliases {
                if let Ok(output) = alias_output(alias) {
                    jobs.push(Job::Alias(PageId(i), output));
                }
            }
        }
        jobs
    }
}

/// The address of list page `number` of a tag, relative to the site root.
pub fn tag_pager_path(slug: &str, number: usize) -> String {
    if number <= 1 {
        format!("tags/{slug}/")
    } else {
        format!("tags/{slug}/page/{number}/")
    }
}

/// The address of an author's page, relative to the site root.
pub fn author_path(id: &str) -> String {
    let slug = slugify(id);
    format!(
        "authors/{}/",
        if slug.is_empty() { "author" } else { &slug }
    )
}

/// The output of the tag index, which exists when some page has tags.
pub(crate) const TAG_INDEX: &str = "tags/index.html";

/// How many list pages a tag has.
pub(crate) fn tag_pagers(tag: &Tag) -> usize {
    tag.pages.len().div_ceil(TAG_PAGE_SIZE).max(1)
}

pub(crate) fn tag_feed_output(slug: &str) -> String {
    format!("tags/{slug}/atom.xml")
}

pub(crate) fn tag_pager_output(slug: &str, number: usize) -> String {
    format!("{}index.html", tag_pager_path(slug, number))
}

/// The output of a page.
pub(crate) fn page_output(page: &Page) -> String {
    format!("{}index.html", page.path)
}

/// The output file of an alias: `/old/post/` → `old/post/index.html`, `/old.html` stays.
pub fn alias_output(alias: &str) -> Result<String, String> {
    let alias = alias.trim();
    if alias.contains("://") {
        return Err("is a full address; only paths on this site can redirect".into());
    }
    if alias.contains(['\\', '\0', '?', '#', '%']) || alias.chars().any(char::is_control) {
        return Err("contains characters that cannot be in a path".into());
    }
    let mut segments = Vec::new();
    for segment in alias.split('/').filter(|s| !s.is_empty()) {
        if segment == "." || segment == ".." {
            return Err("contains `.` or `..`".into());
        }
        if segment.len() > 255 {
            return Err("has a part longer than 255 bytes".into());
        }
        if crate::slug::unportable_name(segment).is_some() {
            return Err(format!(
                "has a part, `{segment}`, that is not a valid file name on every system"
            ));
        }
        segments.push(segment);
    }
    let Some(last) = segments.last() else {
        return Err("is the home page".into());
    };
    let mut output = segments.join("/");
    if !(last.ends_with(".html") || last.ends_with(".htm")) {
        output.push_str("/index.html");
    }
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::site::Filter;
    use crate::source::ContentFile;

    fn site(files: &[(&str, &str)]) -> Site {
        let config = Config::parse(
            "title = \"T\"\nbase_url = \"https://x.example\"\n",
            std::path::Path::new("site.toml"),
            None,
        )
        .unwrap();
        let files: Vec<ContentFile> = files
            .iter()
            .map(|(rel, text)| ContentFile {
                rel: (*rel).to_owned(),
                bytes: text.as_bytes().to_vec(),
            })
            .collect();
        let parsed = crate::content::parse(&files).unwrap();
        let filter = Filter {
            drafts: false,
            future: false,
            now: "2026-01-01T00:00:00Z".parse().unwrap(),
        };
        Site::assemble(config, parsed, filter, None).unwrap()
    }

    #[test]
    fn every_output_has_its_path_and_its_address() {
        let post = "+++\ntitle = \"A\"\ndate = 2025-01-01\ntags = [\"Neck Pain\"]\n\
                    aliases = [\"/old/a/\"]\n+++\nText.\n";
        let site = site(&[("blog/a.md", post)]);
        let named: Vec<(String, String)> = site
            .jobs()
            .iter()
            .map(|job| (job.path(&site), job.address(&site)))
            .collect();
        let named: Vec<(&str, &str)> = named
            .iter()
            .map(|(p, a)| (p.as_str(), a.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("index.html", ""),
                ("404.html", "404.html"),
                ("atom.xml", "atom.xml"),
                ("sitemap.xml", "sitemap.xml"),
                ("robots.txt", "robots.txt"),
                ("search/index.html", "search/"),
                ("search-index.json", "search-index.json"),
                ("blog/index.html", "blog/"),
                ("blog/a/index.html", "blog/a/"),
                ("tags/index.html", "tags/"),
                ("tags/neck-pain/index.html", "tags/neck-pain/"),
                ("tags/neck-pain/atom.xml", "tags/neck-pain/atom.xml"),
                ("old/a/index.html", "old/a/"),
            ]
        );
    }
}
