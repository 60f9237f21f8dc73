//! Pages and sections, and the parse stage that makes them from Markdown files.
//!
//! Parsing is per file and pure, so it runs in parallel and every file's errors are collected.
//! A page's address is decided here from its path and front matter alone.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::error::{Diagnostic, Diagnostics};
use crate::front_matter::{self, PageDate, PageFrontMatter, SectionFrontMatter, SortBy};
use crate::slug::{is_reserved, slugify};
use crate::source::ContentFile;

/// The index of a page in [`crate::site::Site::pages`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageId(pub usize);

/// The index of a section in [`crate::site::Site::sections`]; the home page is section 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SectionId(pub usize);

/// The text of a Markdown file and where its body starts, kept for messages about the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceText {
    /// The file as shown in messages, e.g. `content/blog/post.md`.
    pub file: PathBuf,
    /// The whole file, without a byte order mark and with LF line endings; shared, so that a
    /// page parsed once can be handed to every rebuild of `knead serve` without a copy.
    pub text: Arc<str>,
    /// The byte offset at which the Markdown body starts.
    pub body_offset: usize,
}

impl SourceText {
    /// The Markdown body.
    pub fn body(&self) -> &str {
        &self.text[self.body_offset..]
    }
}

/// A page: a post, a service, or a standalone page such as About.
#[derive(Debug, Clone)]
pub struct Page {
    /// The file it comes from.
    pub source: SourceText,
    /// Its path under `content/`, e.g. `blog/post.md` or `blog/bundle/index.md`.
    pub content_path: String,
    /// The folder under `content/` of the section it belongs to (`""` for the home section).
    pub section_dir: String,
    /// The folder under `content/` that holds its bundled files, for a page bundle.
    pub bundle_dir: Option<String>,
    /// Its title.
    pub title: String,
    /// Its description, possibly empty.
    pub description: String,
    /// When it was published.
    pub date: Option<PageDate>,
    /// When it was last changed.
    pub updated: Option<PageDate>,
    /// Tags as written.
    pub tags: Vec<String>,
    /// Author id.
    pub author: Option<String>,
    /// Whether it is a draft.
    pub draft: bool,
    /// The last segment of its address.
    pub slug: String,
    /// Main image.
    pub image: String,
    /// Main image's alt text.
    pub image_alt: String,
    /// Where the main image's subject is, across and down in percent (`image_focus`; the
    /// middle, 50 50, when not set).
    pub image_focus: (u8, u8),
    /// Order in a weight-sorted section.
    pub weight: Option<i64>,
    /// Template override.
    pub template: Option<String>,
    /// Old addresses that redirect here.
    pub aliases: Vec<String>,
    /// Slugs of the service pages it is about.
    pub services: Vec<String>,
    /// Author id of its reviewer.
    pub reviewed_by: Option<String>,
    /// When it was last reviewed.
    pub last_reviewed: Option<PageDate>,
    /// Whether it gives health advice (`medical = true`), so needs sources and reviews.
    pub medical: bool,
    /// The references behind its claims.
    pub sources: Vec<String>,
    /// Free settings.
    pub extra: toml::Table,
    /// Its address relative to the site root, e.g. `blog/post/` (no leading slash).
    pub path: String,
}

/// A section: a folder of pages, with its settings from `_index.md`.
#[derive(Debug, Clone)]
pub struct Section {
    /// Its `_index.md`, or an empty source when the folder has none.
    pub source: SourceText,
    /// Its folder under `content/` (`""` for the home section).
    pub dir: String,
    /// Its title.
    pub title: String,
    /// Its description, possibly empty.
    pub description: String,
    /// How pages are ordered.
    pub sort_by: SortBy,
    /// Pages per list page (0: all on one).
    pub paginate_by: usize,
    /// Template override for the section.
    pub template: Option<String>,
    /// Template override for its pages.
    pub page_template: Option<String>,
    /// Order in the derived menu.
    pub weight: Option<i64>,
    /// Free settings.
    pub extra: toml::Table,
    /// Its address relative to the site root, e.g. `blog/` (`""` for home).
    pub path: String,
}

/// What the parse stage makes of the content folder.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Every page, drafts included.
    pub pages: Vec<Page>,
    /// Every section that has an `_index.md`.
    pub sections: Vec<Section>,
    /// What was read as its writer meant rather than as written (a title in curly quotes,
    /// `draft = "false"`): a warning each, saying so.
    pub warnings: Vec<Diagnostic>,
}

/// Parses every Markdown file in parallel. Returns all pages and sections, or every error found.
pub fn parse(files: &[ContentFile]) -> Result<Parsed, Diagnostics> {
    whole(parse_each(files))
}

/// [`parse`] that keeps going past broken files, for `knead check`: the pages and sections of
/// the files that parsed, every error of the others, and the others' paths (relative to
/// `content/`), so that one run reports everything.
pub fn parse_each(files: &[ContentFile]) -> (Parsed, Diagnostics, Vec<String>) {
    collect(
        files
            .par_iter()
            .with_max_len(64)
            .map(|file| (file.rel.clone(), parse_one(file))),
    )
}

/// The site when every file parsed, else every error.
fn whole(
    (parsed, diagnostics, _): (Parsed, Diagnostics, Vec<String>),
) -> Result<Parsed, Diagnostics> {
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    Ok(parsed)
}

/// Every file's page or section, every file's error, and the files that did not parse.
fn collect(
    results: impl ParallelIterator<Item = (String, Result<Parsed, Diagnostics>)>,
) -> (Parsed, Diagnostics, Vec<String>) {
    let results: Vec<(String, Result<Parsed, Diagnostics>)> = results.collect();
    // Pages are large: grown one at a time, the list would be copied over and over.
    let mut parsed = Parsed {
        pages: Vec::with_capacity(results.len()),
        ..Parsed::default()
    };
    let mut diagnostics = Diagnostics::default();
    let mut broken = Vec::new();
    for (rel, result) in results {
        match result {
            Ok(item) => {
                parsed.pages.extend(item.pages);
                parsed.sections.extend(item.sections);
                parsed.warnings.extend(item.warnings);
            }
            Err(errors) => {
                if errors.has_errors() {
                    broken.push(rel);
                }
                diagnostics.0.extend(errors.0);
            }
        }
    }
    diagnostics.sort();
    (parsed, diagnostics, broken)
}

/// Parses one Markdown file into a page or a section (a [`Parsed`] holding just it).
pub fn parse_one(file: &ContentFile) -> Result<Parsed, Diagnostics> {
    parse_file(file)
}

impl From<Item> for Parsed {
    fn from(item: Item) -> Parsed {
        match item {
            Item::Page(page) => Parsed {
                pages: vec![*page],
                ..Parsed::default()
            },
            Item::Section(section) => Parsed {
                sections: vec![*section],
                ..Parsed::default()
            },
        }
    }
}

enum Item {
    Page(Box<Page>),
    Section(Box<Section>),
}

fn parse_file(file: &ContentFile) -> Result<Parsed, Diagnostics> {
    let text = match std::str::from_utf8(&file.bytes) {
        Ok(text) => normalize(text).into_owned(),
        Err(err) => return Err(not_utf8(&file.rel, &file.bytes, err.valid_up_to()).into()),
    };
    parse_text(file, text)
}

/// [`parse`] for files that are no longer needed: their bytes become the pages' text without
/// a copy (a large site's peak memory, and the time to touch it).
pub fn parse_owned(files: Vec<ContentFile>) -> Result<Parsed, Diagnostics> {
    whole(parse_owned_each(files))
}

/// [`parse_each`] for files that are no longer needed, as [`parse_owned`] is to [`parse`]
/// (`knead build`, which reports every file's errors with the rest of the site's).
pub fn parse_owned_each(files: Vec<ContentFile>) -> (Parsed, Diagnostics, Vec<String>) {
    collect(files.into_par_iter().with_max_len(64).map(|file| {
        let text = match String::from_utf8(file.bytes) {
            Ok(text) => match normalize(&text) {
                Cow::Borrowed(_) => text,
                Cow::Owned(normal) => normal,
            },
            Err(err) => {
                let offset = err.utf8_error().valid_up_to();
                return (
                    file.rel.clone(),
                    Err(not_utf8(&file.rel, err.as_bytes(), offset).into()),
                );
            }
        };
        let file = ContentFile {
            rel: file.rel,
            bytes: Vec::new(),
        };
        let result = parse_text(&file, text);
        (file.rel, result)
    }))
}

fn not_utf8(rel: &str, bytes: &[u8], offset: usize) -> Diagnostic {
    Diagnostic::error(format!(
        "this file is not UTF-8 text ({} is not a character in UTF-8)",
        crate::error::invalid_utf8_at(bytes, offset)
    ))
    .in_file(Path::new("content").join(rel))
    .with_hint("save the file as UTF-8 in your editor")
}

/// Parses a file's text (already decoded; `file.bytes` is not read).
fn parse_text(file: &ContentFile, text: String) -> Result<Parsed, Diagnostics> {
    let shown = Path::new("content").join(&file.rel);
    if let Some(diagnostic) = crate::error::unwritable_character(&shown, &text) {
        return Err(diagnostic.into());
    }
    let (folders, file_name) = file.rel.rsplit_once('/').unwrap_or(("", &file.rel));
    if let Some(folder) = folders.split('/').find(|f| is_reserved(&slugify(f))) {
        return Err(reserved(format!("the folder `{folder}`"))
            .in_file(&shown)
            .with_hint("rename the folder")
            .into());
    }
    let mut understood = Vec::new();
    let item = if file_name == "_index.md" {
        parse_section(file, shown, text, &mut understood).map(|s| Item::Section(Box::new(s)))
    } else {
        parse_page(file, shown, text, &mut understood).map(|p| Item::Page(Box::new(p)))
    };
    match item {
        Ok(item) => {
            let mut parsed = Parsed::from(item);
            parsed.warnings = understood;
            Ok(parsed)
        }
        Err(errors) => Err(errors.merged(understood)),
    }
}

/// The error for a name that would make an address Windows cannot write (`con`, `nul`, ...).
fn reserved(what: String) -> Diagnostic {
    Diagnostic::error(format!(
        "{what} cannot be an address: Windows reserves that name for a device, so the site could \
         not be built or copied there"
    ))
}

/// The text without a byte order mark and with LF line endings, so that a file saved on
/// Windows renders exactly as the same file saved elsewhere; borrowed when it had neither.
fn normalize(text: &str) -> Cow<'_, str> {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => Cow::Owned(rest.replace("\r\n", "\n")),
        None if text.contains('\r') => Cow::Owned(text.replace("\r\n", "\n")),
        None => Cow::Borrowed(text),
    }
}

/// A page's file read into a page; `understood` gets the warnings for what was read as meant.
fn parse_page(
    file: &ContentFile,
    shown: PathBuf,
    text: String,
    understood: &mut Vec<Diagnostic>,
) -> Result<Page, Diagnostics> {
    let split = page_front_matter(&shown, &text)?;
    let (fm, read_as_meant): (PageFrontMatter, _) =
        front_matter::deserialize(&split, &shown, &text)?;
    understood.extend(read_as_meant);
    let written = Written {
        split: &split,
        shown: &shown,
        text: &text,
    };
    let title = written.title(fm.title.as_deref())?;
    let dates = PageDates {
        date: written.date(fm.date.as_ref(), "date")?,
        updated: written.date(fm.updated.as_ref(), "updated")?,
        last_reviewed: written.date(fm.last_reviewed.as_ref(), "last_reviewed")?,
    };
    let address = written.address(&file.rel, fm.slug.as_deref())?;
    written.reserved_tags(&fm.tags)?;
    let focus = written.focus(fm.image_focus.as_deref())?;
    let source = SourceText {
        body_offset: split.body_offset,
        file: shown,
        text: text.into(),
    };
    Ok(page(fm, title, dates, address, focus, source))
}

/// The front matter block of a page's file, which must have one.
fn page_front_matter<'a>(
    shown: &Path,
    text: &'a str,
) -> Result<front_matter::Split<'a>, Diagnostic> {
    if text.trim().is_empty() {
        return Err(Diagnostic::error("this file is empty").in_file(shown).with_hint(
            "give it front matter with a title, e.g.\n+++\ntitle = \"My post\"\n+++\nor delete the file",
        ));
    }
    if text.starts_with("{\\rtf") {
        return Err(Diagnostic::error(
            "this file was saved as rich text (RTF), not as plain text: its words are buried in \
             formatting codes",
        )
        .in_file(shown)
        .with_hint(
            "open it in your editor and save it as plain text (TextEdit: Format, Make Plain Text; \
             WordPad: Save as, Text Document), keeping the .md name",
        ));
    }
    let split = front_matter::split(text).map_err(|d| d.at(shown, text, 0))?;
    if split.format.is_none() {
        return Err(Diagnostic::error("this page has no front matter")
            .at(shown, text, 0)
            .with_hint("start the file with\n+++\ntitle = \"My post\"\n+++"));
    }
    Ok(split)
}

/// A page's file while its front matter is read and checked, for errors at a key's line.
struct Written<'a> {
    split: &'a front_matter::Split<'a>,
    shown: &'a Path,
    text: &'a str,
}

/// The dates of a page's front matter, parsed.
struct PageDates {
    date: Option<PageDate>,
    updated: Option<PageDate>,
    last_reviewed: Option<PageDate>,
}

/// Where a page lives: its file, its section, its bundle and its address.
struct PageAddress {
    content_path: String,
    section_dir: String,
    bundle_dir: Option<String>,
    slug: String,
    path: String,
}

impl Written<'_> {
    /// `diagnostic` at the line setting `key`, or at the front matter's start.
    fn at_key(&self, key: &str, diagnostic: Diagnostic) -> Diagnostic {
        diagnostic.at(self.shown, self.text, key_offset(self.split, key))
    }

    /// The page's `title`, trimmed; it must be there and not blank.
    fn title(&self, title: Option<&str>) -> Result<String, Diagnostic> {
        // A title of only invisible characters (pasted zero-width spaces) shows as nothing.
        match title.map(str::trim) {
            Some(title) if !crate::error::trim_invisible(title).is_empty() => Ok(title.to_owned()),
            written => {
                let message = if written.is_none() {
                    "this page has no `title`"
                } else {
                    "the `title` is empty"
                };
                Err(self
                    .at_key("title", Diagnostic::error(message))
                    .with_hint("add a line such as `title = \"Neck pain relief at your desk\"`"))
            }
        }
    }

    /// The date set by `key`, when it is set.
    fn date(&self, value: Option<&toml::Value>, key: &str) -> Result<Option<PageDate>, Diagnostic> {
        value
            .map(|v| front_matter::date_value(v, key, self.split, self.shown, self.text))
            .transpose()
    }

    /// Where the page of file `rel` (its path under `content/`) lives, named `slug` when set.
    fn address(&self, rel: &str, slug: Option<&str>) -> Result<PageAddress, Diagnostic> {
        let (parent, stem) = rel.rsplit_once('/').unwrap_or(("", rel));
        let is_bundle = stem == "index.md";
        let (section_dir, name) = if is_bundle {
            if parent.is_empty() {
                return Err(
                    Diagnostic::error("`content/index.md` would replace the home page")
                        .in_file(self.shown)
                        .with_hint("write the home page in `content/_index.md` instead"),
                );
            }
            parent.rsplit_once('/').unwrap_or(("", parent))
        } else {
            (parent, stem.trim_end_matches(".md"))
        };
        let slug = self.slug(slug, name)?;
        Ok(PageAddress {
            content_path: rel.to_owned(),
            section_dir: section_dir.to_owned(),
            bundle_dir: is_bundle.then(|| parent.to_owned()),
            path: format!("{}{slug}/", dir_path(section_dir)),
            slug,
        })
    }

    /// The last part of the page's address: `slug` when set, else the file's `name`, slugified.
    fn slug(&self, slug: Option<&str>, name: &str) -> Result<String, Diagnostic> {
        let slug_source = slug.unwrap_or(name);
        let made = slugify(slug_source);
        let located = |diagnostic: Diagnostic| match slug {
            Some(_) => self.at_key("slug", diagnostic),
            None => diagnostic.at(self.shown, self.text, 0),
        };
        if made.is_empty() {
            return Err(located(Diagnostic::error(format!(
                "cannot make an address from `{slug_source}`: it has no letters or digits"
            )))
            .with_hint("set `slug = \"a-few-words\"` in the front matter, or rename the file"));
        }
        if is_reserved(&made) {
            return Err(located(reserved(format!("`{made}`")))
                .with_hint(format!("set `slug = \"{made}-massage\"` (or any other words) in the front matter, or rename the file")));
        }
        Ok(made)
    }

    /// An error for the first tag that would make an address Windows cannot write.
    /// `image_focus`, read as a place in the image (the middle when not set).
    fn focus(&self, focus: Option<&str>) -> Result<(u8, u8), Diagnostic> {
        match focus.map(crate::images::parse_focus) {
            None => Ok((50, 50)),
            Some(Ok(focus)) => Ok(focus),
            Some(Err(reason)) => Err(self
                .at_key("image_focus", Diagnostic::error(reason))
                .with_hint(
                    "write where the photo's subject is: top, bottom, left, right or center, a \
                     pair such as \"top left\", or two percentages, across then down: \"30% 20%\"",
                )),
        }
    }

    fn reserved_tags(&self, tags: &[String]) -> Result<(), Diagnostic> {
        match tags.iter().find(|t| is_reserved(&slugify(t))) {
            Some(tag) => Err(self
                .at_key("tags", reserved(format!("the tag `{tag}`")))
                .with_hint("use a longer tag")),
            None => Ok(()),
        }
    }
}

/// The page of front matter `fm`, given what was read and checked from it. Every key is named
/// here, so that a new one does not compile until it reaches the page.
fn page(
    fm: PageFrontMatter,
    title: String,
    dates: PageDates,
    address: PageAddress,
    image_focus: (u8, u8),
    source: SourceText,
) -> Page {
    let PageFrontMatter {
        // Read and checked into `title`, `dates` and `address`.
        title: _,
        date: _,
        updated: _,
        last_reviewed: _,
        slug: _,
        description,
        tags,
        author,
        draft,
        image,
        image_alt,
        // Read and checked into `image_focus`.
        image_focus: _,
        weight,
        template,
        aliases,
        services,
        reviewed_by,
        medical,
        sources,
        extra,
    } = fm;
    Page {
        source,
        content_path: address.content_path,
        section_dir: address.section_dir,
        bundle_dir: address.bundle_dir,
        title,
        description: description.unwrap_or_default().trim().to_owned(),
        date: dates.date,
        updated: dates.updated,
        tags: tags.into_iter().filter(|t| !t.trim().is_empty()).collect(),
        author,
        draft,
        slug: address.slug,
        image: image.unwrap_or_default(),
        image_alt: image_alt.unwrap_or_default(),
        image_focus,
        weight,
        template,
        aliases,
        services,
        reviewed_by,
        last_reviewed: dates.last_reviewed,
        medical,
        sources,
        extra,
        path: address.path,
    }
}

/// A section's `_index.md` read into a section, as [`parse_page`] for pages.
fn parse_section(
    file: &ContentFile,
    shown: PathBuf,
    text: String,
    understood: &mut Vec<Diagnostic>,
) -> Result<Section, Diagnostics> {
    let split = front_matter::split(&text).map_err(|d| d.at(&shown, &text, 0))?;
    let (fm, read_as_meant): (SectionFrontMatter, _) =
        front_matter::deserialize(&split, &shown, &text)?;
    understood.extend(read_as_meant);
    let dir = file
        .rel
        .rsplit_once('/')
        .map_or("", |(parent, _)| parent)
        .to_owned();
    let title = match fm.title.as_deref() {
        Some(title) if !crate::error::trim_invisible(title).is_empty() => title.trim().to_owned(),
        Some(_) => {
            return Err(Diagnostic::error("the `title` is empty")
                .at(&shown, &text, key_offset(&split, "title"))
                .with_hint("write a title, or remove the line to use the folder's name")
                .into());
        }
        None => title_from_dir(&dir),
    };
    let body_offset = split.body_offset;
    Ok(Section::new(
        &dir,
        title,
        fm,
        SourceText {
            file: shown,
            text: text.into(),
            body_offset,
        },
    ))
}

impl Section {
    /// The section of folder `dir` with the settings of front matter `fm`. Every key is named
    /// here, so that a new one does not compile until it reaches the section.
    fn new(dir: &str, title: String, fm: SectionFrontMatter, source: SourceText) -> Section {
        let SectionFrontMatter {
            // Read and checked into `title`.
            title: _,
            description,
            sort_by,
            paginate_by,
            template,
            page_template,
            weight,
            extra,
        } = fm;
        Section {
            source,
            dir: dir.to_owned(),
            title,
            description: description.unwrap_or_default().trim().to_owned(),
            sort_by,
            paginate_by: paginate_by.unwrap_or(0) as usize,
            template,
            page_template,
            weight,
            extra,
            path: dir_path(dir),
        }
    }

    /// A section for a folder without `_index.md`: default settings, titled after the folder.
    pub(crate) fn implicit(dir: &str, site_title: &str) -> Section {
        let title = if dir.is_empty() {
            site_title.to_owned()
        } else {
            title_from_dir(dir)
        };
        Section::new(
            dir,
            title,
            SectionFrontMatter::default(),
            SourceText::default(),
        )
    }
}

/// The address of a folder under `content/`: each folder name slugified, e.g. `blog/` or ``.
pub(crate) fn dir_path(dir: &str) -> String {
    dir.split('/')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let slug = slugify(part);
            if slug.is_empty() {
                "section".to_owned()
            } else {
                slug
            }
        })
        .fold(String::new(), |mut path, part| {
            path.push_str(&part);
            path.push('/');
            path
        })
}

/// "sports-massage" → "Sports massage".
fn title_from_dir(dir: &str) -> String {
    let name = dir
        .rsplit('/')
        .next()
        .unwrap_or(dir)
        .replace(['-', '_'], " ");
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => name,
    }
}

/// The byte offset in the file of the line setting `key`, or of the front matter's start.
fn key_offset(split: &front_matter::Split<'_>, key: &str) -> usize {
    let separator = if split.format == Some(front_matter::Format::Yaml) {
        ':'
    } else {
        '='
    };
    crate::toml_errors::find_key_line(split.front_matter, key, separator)
        .map_or(split.front_matter_offset.saturating_sub(4), |i| {
            split.front_matter_offset + i
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rel: &str, text: &str) -> ContentFile {
        ContentFile {
            rel: rel.into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    fn page(rel: &str, text: &str) -> Result<Page, Diagnostic> {
        let mut parsed = parse_file(&file(rel, text)).map_err(|mut errors| errors.0.remove(0))?;
        Ok(parsed.pages.pop().expect("a page"))
    }

    #[test]
    fn page_address_comes_from_file_name_or_slug() {
        let p = page("blog/My Post.md", "+++\ntitle = \"A\"\n+++\n").unwrap();
        assert_eq!(p.path, "blog/my-post/");
        let p = page("blog/x.md", "+++\ntitle = \"A\"\nslug = \"../Café\"\n+++\n").unwrap();
        assert_eq!(p.path, "blog/cafe/");
        let p = page("blog/stretch/index.md", "+++\ntitle = \"A\"\n+++\n").unwrap();
        assert_eq!(p.path, "blog/stretch/");
        assert_eq!(p.bundle_dir.as_deref(), Some("blog/stretch"));
        assert_eq!(p.section_dir, "blog");
    }

    #[test]
    fn unknown_key_is_located_in_the_file() {
        let err = page("a.md", "+++\ntitle = \"A\"\ntitel = \"B\"\n+++\n").unwrap_err();
        let location = err.location.as_ref().unwrap();
        assert_eq!((location.line, location.col), (3, 1));
        assert_eq!(err.message, "unknown key `titel`");
        assert_eq!(err.hint.as_deref(), Some("`titel`: did you mean `title`?"));
    }

    #[test]
    fn yaml_front_matter_works_and_locates_errors() {
        let p = page(
            "a.md",
            "---\ntitle: A\ntags: [x, y]\ndate: 2025-01-02\n---\nHi",
        )
        .unwrap();
        assert_eq!(p.tags, ["x", "y"]);
        assert_eq!(p.date.unwrap().day.to_string(), "2025-01-02");
        let err = page("a.md", "---\ntitle: A\ntgas: [x]\n---\n").unwrap_err();
        assert_eq!(err.location.as_ref().unwrap().line, 3);
        assert_eq!(err.hint.as_deref(), Some("`tgas`: did you mean `tags`?"));
    }

    #[test]
    fn bom_and_crlf_give_the_same_page() {
        let plain = page("a.md", "+++\ntitle = \"A\"\n+++\nBody\n").unwrap();
        let windows = page("a.md", "\u{feff}+++\r\ntitle = \"A\"\r\n+++\r\nBody\r\n").unwrap();
        assert_eq!(plain.source.body(), windows.source.body());
        assert_eq!(plain.title, windows.title);
    }

    #[test]
    fn bad_files_get_clear_errors() {
        let cases = [
            ("", "this file is empty"),
            ("Hello", "this page has no front matter"),
            (
                "+++\ntitle = \"A\"\n",
                "the front matter opened here is never closed",
            ),
            ("+++\ndate = 2025-01-01\n+++\n", "this page has no `title`"),
            ("+++\ntitle = \"  \"\n+++\n", "the `title` is empty"),
            (
                "+++\ntitle = \"\u{a0}\u{200b}\"\n+++\n",
                "the `title` is empty",
            ),
            (
                "+++\ntitle = \"A\"\ndate = \"2025-02-30\"\n+++\n",
                "`date`: `2025-02-30` is not a real date",
            ),
        ];
        for (text, message) in cases {
            let err = page("a.md", text).unwrap_err();
            assert_eq!(err.message, message, "for {text:?}");
        }
        let err = parse_file(&file("a.md", "+++\ntitle = \"\u{e9}\"\n+++\n"))
            .map(|_| ())
            .map_err(|d| d.to_string());
        assert!(err.is_ok());
        let bytes = ContentFile {
            rel: "a.md".into(),
            bytes: b"+++\ntitle = \"\xff\"\n+++\n".to_vec(),
        };
        let err = parse_file(&bytes).err().unwrap().to_string();
        assert!(err.contains("not UTF-8"), "{err}");
    }

    /// The build parses files it owns, taking their bytes as the text: the pages, sections and
    /// errors are those of parsing borrowed files.
    #[test]
    fn parsing_owned_files_gives_what_parsing_borrowed_ones_gives() {
        let good = vec![
            file("blog/_index.md", "+++\ntitle = \"Blog\"\n+++\nIntro\n"),
            file("blog/a.md", "+++\ntitle = \"A\"\n+++\nBody\n"),
            file(
                "blog/b.md",
                "\u{feff}+++\r\ntitle = \"B\"\r\n+++\r\nBody\r\n",
            ),
            file("blog/c.md", "+++\r\ntitle = \"C\"\r\n+++\r\nOne\rtwo\r\n"),
            file("d.md", "\u{feff}+++\ntitle = \"D\"\n+++\n"),
        ];
        let borrowed = format!("{:?}", parse(&good).unwrap());
        assert_eq!(format!("{:?}", parse_owned(good).unwrap()), borrowed);
        let bad = vec![
            file("a.md", "+++\ntitle = \"A\"\n+++\n"),
            ContentFile {
                rel: "b.md".into(),
                bytes: b"+++\ntitle = \"\xff\"\n+++\n".to_vec(),
            },
            file("c.md", ""),
        ];
        let borrowed = parse(&bad).unwrap_err();
        assert_eq!(borrowed.0.len(), 2);
        assert_eq!(parse_owned(bad).unwrap_err(), borrowed);
    }
}
