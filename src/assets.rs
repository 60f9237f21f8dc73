//! The assets stage: the files the site copies as they are (the built-in theme's static files,
//! `static/`, and the files beside pages and sections), each with its output path, and the
//! check that no two sources, pages or files, write one output. Today it only plans the
//! copying; the writer copies. Pure.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::content::{Page, PageId, Section, SectionId, SourceText};
use crate::error::{Diagnostic, Diagnostics};
use crate::markdown::Bodies;
use crate::site::{Job, Site};
use crate::source::{FileRef, Sources};
use crate::toml_errors::{find_key_line, suggest};

/// A file copied into the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Where it goes, relative to the output folder.
    pub output: String,
    /// Where it comes from.
    pub source: AssetSource,
    /// Width and height, for images.
    pub size: Option<(u32, u32)>,
}

/// Where an asset's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetSource {
    /// A file of the built-in theme.
    Embedded(&'static [u8]),
    /// A file on disk; `shown` is how messages name it.
    File {
        /// Its path on disk.
        path: PathBuf,
        /// Its path as shown to the user, e.g. `static/logo.png`.
        shown: PathBuf,
    },
    /// A file the images stage makes of a photo (one width in one format), which then becomes
    /// a `File` of the image cache.
    Photo {
        /// The photo on disk.
        path: PathBuf,
        /// The photo as shown to the user.
        shown: PathBuf,
        /// What its header said.
        meta: crate::images::PhotoMeta,
        /// The file to make of it.
        variant: crate::images::Variant,
    },
}

/// The files a site copies, sorted by output path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assets {
    files: Vec<Asset>,
    /// The `<picture>` of each photo, by its own output path (`blog/post/stretch.jpg`).
    pictures: HashMap<String, Arc<crate::images::Picture>>,
}

impl Assets {
    /// Every file, sorted by output path.
    pub fn files(&self) -> &[Asset] {
        &self.files
    }

    /// The `<picture>` of the photo whose own output path is `rel` (`blog/post/stretch.jpg`).
    pub fn picture(&self, rel: &str) -> Option<&Arc<crate::images::Picture>> {
        self.pictures.get(rel)
    }

    /// The images stage: makes the files of every photo that the cache in `cache_dir` lacks,
    /// and turns each into a file of the cache. Returns what it did and the cache files used.
    pub fn make_photos(
        &mut self,
        cache_dir: &Path,
        settings: &crate::config::ImageSettings,
        progress: bool,
    ) -> Result<(crate::images::ImageReport, Vec<PathBuf>), Diagnostics> {
        let mut jobs: Vec<crate::images::Job> = Vec::new();
        let mut by_photo: HashMap<PathBuf, usize> = HashMap::new();
        for (index, asset) in self.files.iter().enumerate() {
            if let AssetSource::Photo {
                path,
                shown,
                meta,
                variant,
            } = &asset.source
            {
                let job = *by_photo.entry(path.clone()).or_insert_with(|| {
                    jobs.push(crate::images::Job {
                        path: path.clone(),
                        shown: shown.clone(),
                        meta: *meta,
                        files: Vec::new(),
                    });
                    jobs.len() - 1
                });
                jobs[job].files.push((index, *variant));
            }
        }
        let (made, report) = crate::images::process(&jobs, cache_dir, settings, progress)?;
        let mut used = Vec::with_capacity(made.len());
        for (index, cached) in made {
            let asset = &mut self.files[index];
            if let AssetSource::Photo { shown, .. } = &asset.source {
                asset.source = AssetSource::File {
                    path: cached.clone(),
                    shown: shown.clone(),
                };
                used.push(cached);
            }
        }
        Ok((report, used))
    }

    /// The pixel size of the image at root-relative address `url` (under `root`, the site's
    /// root path), when it is one of the files copied and its size is known.
    pub fn image_size(&self, root: &str, url: &str) -> Option<(u32, u32)> {
        let rel = url.strip_prefix(root)?;
        let i = self
            .files
            .binary_search_by(|asset| asset.output.as_str().cmp(rel))
            .ok()?;
        self.files[i].size
    }
}

/// The assets stage: plans the copying of `static/`, the theme's static files (`theme_static`,
/// which a site's own `static/` files replace by name) and the files of page bundles and
/// sections, and checks every output of the site for collisions.
pub fn plan(
    site: &Site,
    sources: &Sources,
    theme_static: &[(&str, &'static [u8])],
) -> Result<Assets, Diagnostics> {
    let hidden: HashSet<&str> = site.hidden_bundles().iter().map(String::as_str).collect();
    let copied = collect(
        site.pages(),
        site.sections(),
        &hidden,
        &sources.content_assets,
        &sources.static_files,
        theme_static,
    );
    // Where each photo's subject is, from the pages whose `image` it is (`image_focus`).
    let root = site.config().root.as_str();
    let focus: HashMap<String, (u8, u8)> = site
        .pages()
        .iter()
        .filter(|page| page.image_focus != (50, 50))
        .filter_map(|page| {
            let url = crate::slug::site_url(root, &page.path, &page.image);
            Some((url.strip_prefix(root)?.to_owned(), page.image_focus))
        })
        .collect();
    let (files, pictures) = with_photos(copied, site.config(), &focus);
    let copied: Vec<(&str, Option<&Path>)> = files
        .iter()
        .map(|asset| {
            let from = match &asset.source {
                AssetSource::Embedded(_) => None,
                AssetSource::File { shown, .. } | AssetSource::Photo { shown, .. } => {
                    Some(shown.as_path())
                }
            };
            (asset.output.as_str(), from)
        })
        .collect();
    let mut diagnostics = site.check_outputs(&copied);
    if diagnostics.has_errors() {
        diagnostics.sort();
        return Err(diagnostics);
    }
    Ok(Assets { files, pictures })
}

/// The files copied, with each photo replaced by the files made of it (several widths and
/// formats, and a safe copy at its own path unless `[images] originals` publishes it as it
/// is); and each photo's `<picture>`, by its output path.
fn with_photos(
    copied: Vec<(Asset, Option<crate::images::PhotoMeta>)>,
    config: &crate::config::Config,
    focus: &HashMap<String, (u8, u8)>,
) -> (Vec<Asset>, HashMap<String, Arc<crate::images::Picture>>) {
    let settings = &config.images;
    let mut files = Vec::with_capacity(copied.len());
    let mut pictures = HashMap::new();
    for (asset, photo) in copied {
        let (Some(meta), AssetSource::File { path, shown }) = (photo, &asset.source) else {
            files.push(asset);
            continue;
        };
        let focus = focus.get(&asset.output).copied().unwrap_or((50, 50));
        let plan = crate::images::plan(&asset.output, &meta, settings, &config.root, focus);
        for (output, variant) in plan.files {
            files.push(Asset {
                output,
                source: AssetSource::Photo {
                    path: path.clone(),
                    shown: shown.clone(),
                    meta,
                    variant,
                },
                size: Some((variant.width, variant.height)),
            });
        }
        pictures.insert(asset.output.clone(), plan.picture);
        if settings.originals {
            files.push(asset);
        }
    }
    files.sort_by(|a, b| a.output.cmp(&b.output));
    (files, pictures)
}

/// The files to copy: the theme's (unless `static/` has one of the same name), `static/`'s, and
/// those beside pages and sections, each with its output path, sorted by it.
///
/// The files of a page bundle whose page the site leaves out (a draft, a post still to come:
/// `hidden`, their folders) are left out with it.
fn collect(
    pages: &[Page],
    sections: &[Section],
    hidden: &HashSet<&str>,
    content_assets: &[FileRef],
    static_files: &[FileRef],
    theme_static: &[(&str, &'static [u8])],
) -> Vec<(Asset, Option<crate::images::PhotoMeta>)> {
    let mut assets = Vec::new();
    for (name, bytes) in theme_static {
        if !static_files.iter().any(|f| f.rel == *name) {
            let asset = Asset {
                output: (*name).to_owned(),
                source: AssetSource::Embedded(bytes),
                size: None,
            };
            assets.push((asset, None));
        }
    }
    for file in static_files {
        let asset = Asset {
            output: file.rel.clone(),
            source: AssetSource::File {
                path: file.path.clone(),
                shown: Path::new("static").join(&file.rel),
            },
            size: file.size,
        };
        assets.push((asset, file.photo));
    }
    let bundles: HashMap<&str, &str> = pages
        .iter()
        .filter_map(|p| Some((p.bundle_dir.as_deref()?, p.path.as_str())))
        .collect();
    let section_paths: HashMap<&str, &str> = sections
        .iter()
        .map(|s| (s.dir.as_str(), s.path.as_str()))
        .collect();
    // A file in a hidden bundle's folder, or in a folder below it.
    let left_out = |dir: &str| {
        let mut folder = Some(dir);
        while let Some(at) = folder {
            if hidden.contains(at) {
                return true;
            }
            folder = at.rsplit_once('/').map(|(parent, _)| parent);
        }
        false
    };
    for file in content_assets {
        let (dir, name) = file.rel.rsplit_once('/').unwrap_or(("", &file.rel));
        if left_out(dir) {
            continue;
        }
        let base = bundles
            .get(dir)
            .or_else(|| section_paths.get(dir))
            .map(|s| (*s).to_owned())
            .unwrap_or_else(|| crate::content::dir_path(dir));
        let asset = Asset {
            output: format!("{base}{name}"),
            source: AssetSource::File {
                path: file.path.clone(),
                shown: Path::new("content").join(&file.rel),
            },
            size: file.size,
        };
        assets.push((asset, file.photo));
    }
    assets
}

/// Every image of a page or section that is not among the files the site copies: a post's
/// `![...](photo.jpg)` or `image = "photo.jpg"` naming a file that is not beside it or in
/// `static/`. `knead build` stops on them (a broken image would go online); `knead check`
/// reports them among its findings, and `knead serve` shows the page as it is.
pub fn missing_images(site: &Site, bodies: &Bodies, assets: &Assets) -> Diagnostics {
    let root = site.config().root.as_str();
    let copied = |rel: &str| {
        assets
            .files
            .binary_search_by(|asset| asset.output.as_str().cmp(rel))
            .is_ok()
    };
    let mut missing = Diagnostics::default();
    let mut check = |source: &SourceText, address: &str, image: &str, url: &str, offset| {
        let Some(rel) = image_output(root, address, url) else {
            return;
        };
        if !copied(&rel) {
            missing.push(
                Diagnostic::error(format!(
                    "image `{image}` does not exist: the site has no `{root}{rel}`"
                ))
                .at(&source.file, &source.text, offset)
                .with_hint(missing_image_hint(assets, root, source, &rel)),
            );
        }
    };
    for (i, page) in site.pages().iter().enumerate() {
        for (dest, offset, image) in &bodies.page(PageId(i)).links {
            if *image {
                check(&page.source, &page.path, dest, dest, *offset);
            }
        }
        let image = page.image.trim();
        if !image.is_empty() {
            // In front matter a leading `/` means the site's root (see `slug::site_url`).
            let offset = find_key_line(&page.source.text, "image", '=')
                .or_else(|| find_key_line(&page.source.text, "image", ':'))
                .unwrap_or(0);
            let url = crate::slug::site_url(root, &page.path, image);
            check(&page.source, &page.path, image, &url, offset);
        }
    }
    for (i, section) in site.sections().iter().enumerate() {
        for (dest, offset, image) in &bodies.section(SectionId(i)).links {
            if *image {
                check(&section.source, &section.path, dest, dest, *offset);
            }
        }
    }
    missing.sort();
    missing
}

/// The photos site.toml names (`[clinic] photo` and `logo`, each author's `photo`) that are no
/// file of the site: errors at their lines, as for a page's missing image. Full addresses
/// (`https://...`) are not checked here (`knead check --external` does).
pub fn missing_settings_images(site: &Site, assets: &Assets, config_text: &str) -> Diagnostics {
    let config = site.config();
    let root = config.root.as_str();
    let settings = SourceText {
        file: crate::config::CONFIG_FILE.into(),
        text: config_text.into(),
        body_offset: 0,
    };
    let clinic = std::iter::once(("clinic".to_owned(), "photo", config.clinic.photo.as_str()))
        .chain([("clinic".to_owned(), "logo", config.clinic.logo.as_str())]);
    let authors = config
        .authors
        .iter()
        .map(|(id, author)| (format!("authors.{id}"), "photo", author.photo.as_str()));
    let mut missing = Diagnostics::default();
    for (table, key, image) in clinic.chain(authors) {
        let image = image.trim();
        if image.is_empty() || image.contains("://") || image.starts_with("data:") {
            continue;
        }
        let url = crate::slug::site_url(root, "", image);
        let Some(rel) = image_output(root, "", &url) else {
            continue;
        };
        if assets
            .files
            .binary_search_by(|asset| asset.output.as_str().cmp(&rel))
            .is_ok()
        {
            continue;
        }
        // The line of `key` in `[table]` (`photo` may be written `image` in `[clinic]`).
        let header = format!("[{table}]");
        let offset = config_text.find(&header).map_or(0, |start| {
            let rest = &config_text[start..];
            let end = rest[1..].find("\n[").map_or(rest.len(), |i| i + 1);
            find_key_line(&rest[..end], key, '=')
                .or_else(|| find_key_line(&rest[..end], "image", '='))
                .map_or(start, |i| start + i)
        });
        missing.push(
            Diagnostic::error(format!(
                "image `{image}` does not exist: the site has no `{root}{rel}`"
            ))
            .at(&settings.file, &settings.text, offset)
            .with_hint(missing_image_hint(assets, root, &settings, &rel)),
        );
    }
    missing
}

/// What to do about an image that leads to `rel`, no file of the site: the file of that name
/// (capitals aside) where it is, or how to put it where the address leads.
fn missing_image_hint(assets: &Assets, root: &str, source: &SourceText, rel: &str) -> String {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let same_name: Vec<&Asset> = assets
        .files
        .iter()
        .filter(|asset| {
            let theirs = asset.output.rsplit('/').next().unwrap_or_default();
            // A photo's files are made, but the one at its own path has the photo's name.
            theirs.eq_ignore_ascii_case(name)
                && matches!(
                    asset.source,
                    AssetSource::File { .. } | AssetSource::Photo { .. }
                )
        })
        .collect();
    let settings = source.file == Path::new(crate::config::CONFIG_FILE);
    if let [found] = same_name[..]
        && let AssetSource::File { shown, .. } | AssetSource::Photo { shown, .. } = &found.source
    {
        // Beside a post that is not named index.md: the folder is not the post's bundle.
        let post_dir = source.file.parent();
        let beside = shown.parent() == post_dir;
        let post_name = source
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        if beside
            && post_name
                .as_deref()
                .is_some_and(|n| !n.eq_ignore_ascii_case("index.md"))
        {
            return format!(
                "`{}` is beside the post, but a post's photos are found beside it only when the \
                 post is named index.md: rename `{}` to `index.md`",
                shown.display(),
                post_name.unwrap_or_default()
            );
        }
        let theirs = found.output.rsplit('/').next().unwrap_or_default();
        let capitals = if theirs == name {
            String::new()
        } else {
            format!(" (capitals count: `{theirs}`, not `{name}`)")
        };
        if settings {
            return format!(
                "the photo is `{}`: write its address, \"{root}{}\"{capitals}",
                shown.display(),
                found.output
            );
        }
        return format!(
            "the photo is `{}`: write its address, ({root}{}){capitals}",
            shown.display(),
            found.output
        );
    }
    if settings {
        return format!(
            "put the photo in static/ (static/{name}) and write its address from the site's \
             root: \"/{name}\"; capitals count"
        );
    }
    "put the photo beside the post (a post in its own folder, named index.md) and write its name, \
     or in static/ and write a / before its name, e.g. (/photo.jpg); capitals count"
        .to_owned()
}

/// The path under `content/` of a Markdown file a link names: from the site's root when it
/// starts with `/` or `@/`, else from the folder of `from` (the file the link is in), with its
/// `..` and `.` followed.
fn content_file_of(path: &str, from: Option<&Path>) -> String {
    let absolute = path.starts_with('/') || path.starts_with('@');
    let path = path.trim_start_matches('@').trim_start_matches('/');
    let path = path.strip_prefix("content/").unwrap_or(path);
    let mut parts: Vec<String> = match from {
        Some(from) if !absolute => from
            .parent()
            .map(|dir| {
                dir.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .skip_while(|c| c != "content")
                    .skip(1)
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part.to_owned()),
        }
    }
    parts.join("/")
}

/// Every plain link of a page or section (`[Contact us](/contact/)`, not `@/contact.md`) to an
/// address the site does not serve, as warnings: `knead build` prints them and counts them in its
/// summary, `knead check` reports them as errors. A link written without `https://`
/// (`www.example.com/book`) is one of them, with that fix.
///
/// Also the site-relative addresses of the menu in site.toml (`config_text`), and a `#heading`
/// that the page a link leads to does not have.
pub fn missing_pages(
    site: &Site,
    bodies: &Bodies,
    assets: &Assets,
    config_text: &str,
) -> Diagnostics {
    let root = site.config().root.as_str();
    let jobs = site.jobs();
    let mut outputs: HashSet<String> = jobs.iter().map(|job| job.path(site)).collect();
    outputs.extend(assets.files.iter().map(|asset| asset.output.clone()));
    let served = |rel: &str| {
        if rel.is_empty() || rel.ends_with('/') {
            outputs.contains(&format!("{rel}index.html"))
        } else {
            outputs.contains(rel) || outputs.contains(&format!("{rel}/index.html"))
        }
    };
    // Each page's output, for links to one of its headings: only when some link has one.
    let mut pages: Option<HashMap<String, PageId>> = None;
    // The addresses of pages, for a "did you mean": only when something is missing.
    let mut addresses: Option<Vec<String>> = None;
    let mut hints: HashMap<String, String> = HashMap::new();
    let mut linked: HashSet<String> = HashSet::new();
    let mut warnings = Diagnostics::default();
    let mut check = |source: &SourceText, address: &str, url: &str, offset: usize| {
        // `#heading` leads to the page it is written on.
        let rel = if url.trim().starts_with('#') {
            Some(address.to_owned())
        } else {
            image_output(root, address, url)
        };
        let Some(rel) = rel else {
            return;
        };
        linked.insert(rel.clone());
        let written = url.split(['?', '#']).next().unwrap_or_default();
        if written.is_empty() && !url.trim().starts_with('#') {
            return;
        }
        if served(&rel) {
            let Some((_, fragment)) = url.split_once('#') else {
                return;
            };
            let fragment = crate::slug::percent_decode(fragment);
            let pages = pages.get_or_insert_with(|| {
                jobs.iter()
                    .filter_map(|job| match job {
                        Job::Page(id) => Some((job.path(site), *id)),
                        _ => None,
                    })
                    .collect()
            });
            let output = if rel.is_empty() || rel.ends_with('/') {
                format!("{rel}index.html")
            } else {
                format!("{rel}/index.html")
            };
            let Some(&id) = pages.get(&output) else {
                return;
            };
            let rendered = bodies.page(id);
            let known = fragment.is_empty()
                || fragment == "top"
                || rendered.ids.contains(&fragment)
                || rendered.html.contains(&format!("id=\"{fragment}\""))
                || crate::markdown::RESERVED_IDS.contains(&fragment.as_str());
            if !known {
                let ids: Vec<&str> = rendered.ids.iter().map(String::as_str).collect();
                let hint = match suggest(&fragment, &ids) {
                    Some(near) => format!("did you mean `#{near}`?"),
                    None if ids.is_empty() => "that page has no headings".to_owned(),
                    None => format!("its headings are: #{}", ids.join(", #")),
                };
                warnings.push(
                    Diagnostic::warning(format!(
                        "link to `{}`, but that page has no heading `{fragment}`",
                        url.trim()
                    ))
                    .at(&source.file, &source.text, offset)
                    .with_hint(hint),
                );
            }
            return;
        }
        let file = names_a_file(written);
        let hint = if let Some(hint) = missing_link_hint(written, Some(&source.file)) {
            hint
        } else if source.body_offset == 0 && source.file == Path::new(crate::config::CONFIG_FILE) {
            format!(
                "correct the address in site.toml, or write the page it leads to (content/{}.md)",
                rel.trim_end_matches('/')
            )
        } else if let Some(page) = Some(written.trim_start_matches("./").trim_end_matches('/'))
            .filter(|page| {
                !written.starts_with('/')
                    && !page.is_empty()
                    && !page.contains([':', '.'])
                    && served(&format!("{page}/"))
            })
        {
            // `(about)` on a post: read from the post's folder, not the site's root.
            format!(
                "an address without `/` in front is read from this page's own folder: write \
                 ({root}{page}/)"
            )
        } else {
            let wanted = format!("{root}{rel}");
            if let Some(hint) = hints.get(&wanted) {
                hint.clone()
            } else {
                let addresses = addresses.get_or_insert_with(|| {
                    jobs.iter()
                        .map(|job| job.path(site))
                        .filter_map(|path| {
                            path.strip_suffix("index.html")
                                .map(|p| format!("{root}{p}"))
                        })
                        .collect()
                });
                // A typo is at most a third of the length away: longer or shorter addresses
                // need not be compared (a site with one bad link on every page asks often).
                let reach = wanted.len() / 3 + 1;
                let known: Vec<&str> = addresses
                    .iter()
                    .map(String::as_str)
                    .filter(|a| a.len().abs_diff(wanted.len()) <= reach && *a != root)
                    .collect();
                let hint = match suggest(&wanted, &known) {
                    Some(near) => format!(
                        "did you mean `{near}`? Or link to the page by its file (e.g. `@/contact.md`): knead then keeps the address right"
                    ),
                    None => "correct the address, or link to the page by its file (e.g. `@/contact.md`): \
                             knead then keeps the address right"
                        .to_owned(),
                };
                hints.insert(wanted, hint.clone());
                hint
            }
        };
        warnings.push(
            Diagnostic::warning(format!(
                "link to `{written}`, but the site has no such {}: visitors would get \"page not found\"",
                if file { "file" } else { "page" }
            ))
            .at(&source.file, &source.text, offset)
            .with_hint(hint),
        );
    };
    for (i, page) in site.pages().iter().enumerate() {
        for (dest, offset, image) in &bodies.page(PageId(i)).links {
            if !*image {
                check(&page.source, &page.path, dest, *offset);
            }
        }
    }
    let settings = SourceText {
        file: crate::config::CONFIG_FILE.into(),
        text: config_text.into(),
        body_offset: 0,
    };
    // The menu's addresses and the booking address, when they are the site's own: a path, or
    // a full address on the site's host.
    let config = site.config();
    let base = config.base_url.trim_end_matches('/');
    let own = |url: &str| -> Option<String> {
        let rest = url.strip_prefix(base)?;
        (rest.is_empty() || rest.starts_with(['/', '?', '#'])).then(|| {
            format!(
                "{}{}",
                root.trim_end_matches('/'),
                if rest.is_empty() { "/" } else { rest }
            )
        })
    };
    let mut unrooted = Vec::new();
    let settings_urls = config.menu.iter().map(|item| item.url.trim()).chain(
        [config.clinic.booking_url.trim()]
            .into_iter()
            .filter(|u| !u.is_empty()),
    );
    for url in settings_urls {
        let offset = config_text.find(&format!("\"{url}\"")).unwrap_or(0);
        let path = if url.starts_with('/') && !url.starts_with("//") {
            Some(url.to_owned())
        } else {
            own(url)
        };
        if let Some(path) = path {
            check(&settings, "", &path, offset);
        } else if !url.contains(':') && !url.starts_with(['#', '/', '.']) && !url.is_empty() {
            // `about`: a different address on every page but the home page.
            unrooted.push(
                Diagnostic::warning(format!(
                    "the menu's `url` `{url}` has no `/` in front: from any page but the home \
                     page it would lead to a page that does not exist"
                ))
                .at(&settings.file, &settings.text, offset)
                .with_hint(format!("write url = \"/{}/\"", url.trim_matches('/'))),
            );
        }
    }
    for (i, section) in site.sections().iter().enumerate() {
        for (dest, offset, image) in &bodies.section(SectionId(i)).links {
            if !*image {
                check(&section.source, &section.path, dest, *offset);
            }
        }
    }
    warnings.0.extend(unrooted);
    // A document from a word processor dropped into content/ and linked from nowhere: meant as
    // a post, it would only be a download nobody finds.
    for asset in &assets.files {
        let AssetSource::File { shown, .. } = &asset.source else {
            continue;
        };
        let lower = asset.output.to_ascii_lowercase();
        let document = [".docx", ".doc", ".rtf", ".odt", ".pages"]
            .iter()
            .any(|ext| lower.ends_with(ext));
        if document && shown.starts_with("content") && !linked.contains(&asset.output) {
            let name = asset.output.rsplit('/').next().unwrap_or_default();
            warnings.push(
                Diagnostic::warning(format!(
                    "`{name}` is a word-processor document: it is published as a download that \
                     no page links to, not as a post"
                ))
                .in_file(shown)
                .with_hint(format!(
                    "to make it a post, save its text as plain text and run `knead new --from` \
                     on it; to offer it as a download, link to it from a page: [Download]({})",
                    name.replace(' ', "%20")
                )),
            );
        }
    }
    warnings.sort();
    warnings
}

/// Every image and link of a page or section that names a file on the writer's computer
/// (`C:\Users\dana\Pictures\stretch.jpg`, `file:///...`): the images are errors (`knead build`
/// stops), the links warnings; `knead check` reports both.
pub fn on_this_computer_refs(site: &Site, bodies: &Bodies) -> Diagnostics {
    let mut found = Diagnostics::default();
    let mut check = |source: &SourceText, links: &[(String, usize, bool)]| {
        for (url, offset, image) in links {
            let Some(name) = on_this_computer(url) else {
                continue;
            };
            let url = url.trim();
            let diagnostic = if *image {
                Diagnostic::error(format!(
                    "image `{url}` is a file on this computer: visitors cannot see it"
                ))
            } else {
                Diagnostic::warning(format!(
                    "link to `{url}`, a file on this computer: visitors cannot open it"
                ))
            };
            found.push(
                diagnostic
                    .at(&source.file, &source.text, *offset)
                    .with_hint(format!(
                        "copy `{name}` into static/ and write (/{name}), or beside the post (a \
                         post in its own folder, named index.md) and write ({name})"
                    )),
            );
        }
    };
    for (i, page) in site.pages().iter().enumerate() {
        check(&page.source, &bodies.page(PageId(i)).links);
    }
    for (i, section) in site.sections().iter().enumerate() {
        check(&section.source, &bodies.section(SectionId(i)).links);
    }
    found.sort();
    found
}

/// The file's name when `url` names a file on the writer's computer (`C:\Users\...`,
/// `file:///...`, a `\\server` share), which no visitor can open.
pub(crate) fn on_this_computer(url: &str) -> Option<String> {
    let url = url.trim();
    let bytes = url.as_bytes();
    let drive = bytes.len() > 2
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'\\' | b'/');
    let local = drive
        || url
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("file:"))
        || url.starts_with("\\\\");
    let name = url.rsplit(['/', '\\']).next().unwrap_or_default();
    local.then(|| crate::slug::percent_decode(name))
}

/// Whether a link written `written` names a file (`prices.pdf`), not a page or another site.
fn names_a_file(written: &str) -> bool {
    let path = written.split(['?', '#']).next().unwrap_or_default();
    let host = path.split('/').next().unwrap_or_default();
    let name = path
        .rsplit('/')
        .find(|part| !part.is_empty())
        .unwrap_or_default();
    !looks_like_a_host(host)
        && name.contains('.')
        && !name.ends_with(".html")
        && !name.contains('@')
}

/// The fix for a link to nowhere when the address itself shows it: another site written
/// without `https://`, or a file that is not there. `None` for a page's address. `from`, the
/// file the link is written in (`content/blog/post.md`), places a link to a Markdown file
/// written relative to it (`../about.md`).
pub(crate) fn missing_link_hint(written: &str, from: Option<&Path>) -> Option<String> {
    let written = written.trim();
    let path = written.split(['?', '#']).next().unwrap_or_default();
    let host = path.split('/').next().unwrap_or_default();
    if path.to_ascii_lowercase().ends_with(".md") {
        let file = content_file_of(path, from);
        return Some(format!(
            "link to a page by its file: @/ and its path under content/, e.g. (@/{file})"
        ));
    }
    if let Some((name, host)) = path.split_once('@')
        && !name.is_empty()
        && host.contains('.')
        && !path.contains('/')
    {
        return Some(format!(
            "an email address is linked with mailto: in front: (mailto:{path})"
        ));
    }
    let digits = path.chars().filter(char::is_ascii_digit).count();
    if digits >= 7
        && path
            .chars()
            .all(|c| c.is_ascii_digit() || " +-.()".contains(c))
    {
        let number: String = path
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        return Some(format!(
            "a phone number is linked with tel: in front: (tel:{number})"
        ));
    }
    if !path.starts_with(['/', '.']) && looks_like_a_host(host) {
        return Some(format!(
            "a link to another site starts with https://: (https://{})",
            written.trim()
        ));
    }
    names_a_file(written).then(|| {
        "put the file beside the post (a post in its own folder, with index.md) or in static/, \
         or correct the name: capitals count"
            .to_owned()
    })
}

/// Whether `segment`, the start of a link without a scheme, is a host name such as
/// `www.example.com` rather than a file (`photo.jpg`, `price-list.pdf`).
fn looks_like_a_host(segment: &str) -> bool {
    let Some((_, tld)) = segment.rsplit_once('.') else {
        return false;
    };
    segment.starts_with("www.")
        || ([
            "com", "org", "net", "io", "co", "us", "uk", "ca", "au", "de", "fr", "nz", "info",
            "biz",
        ]
        .contains(&tld.to_ascii_lowercase().as_str())
            && !segment.contains(char::is_whitespace))
}

/// The output an image address names from the page at `address` (relative to the site's
/// root, e.g. `blog/post/`), when it is a file of this site: not another site's, not a
/// `data:` image, not above the site's root.
pub(crate) fn image_output(root: &str, address: &str, url: &str) -> Option<String> {
    let url = url.trim();
    if url.is_empty() || url.starts_with("//") || url.starts_with('#') {
        return None;
    }
    if let Some(colon) = url.find(':')
        && !url[..colon].contains(['/', '?', '#'])
    {
        return None;
    }
    let path = url.split(['?', '#']).next()?;
    let joined = match path.strip_prefix('/') {
        Some(_) => path.strip_prefix(root)?.to_owned(),
        None => format!("{address}{path}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(crate::slug::percent_decode(&parts.join("/")))
}

#[cfg(test)]
mod image_tests {
    use super::image_output;

    #[test]
    fn image_addresses_name_the_outputs_a_browser_would_fetch() {
        let at = |root: &str, url: &str| image_output(root, "blog/post/", url);
        assert_eq!(at("/", "photo.jpg").as_deref(), Some("blog/post/photo.jpg"));
        assert_eq!(at("/", "../x.png?v=2#top").as_deref(), Some("blog/x.png"));
        assert_eq!(
            at("/", "/images/a%20b.png").as_deref(),
            Some("images/a b.png")
        );
        assert_eq!(
            at("/clinic/", "/clinic/logo.svg").as_deref(),
            Some("logo.svg")
        );
        // Not this site's files, or nothing a build can look for.
        for url in [
            "https://x.example/a.png",
            "//cdn.example/a.png",
            "data:image/png;base64,AA",
        ] {
            assert_eq!(at("/", url), None, "{url}");
        }
        assert_eq!(at("/clinic/", "/elsewhere.png"), None);
        assert_eq!(at("/", "../../../../etc/passwd"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link to a Markdown file is placed from the file it is written in.
    #[test]
    fn a_linked_markdown_file_is_placed_under_content() {
        let post = Path::new("content/blog/neck.md");
        let bundle = Path::new("content/blog/stretch/index.md");
        for (written, from, expected) in [
            ("../about.md", Some(post), "about.md"),
            ("other.md", Some(post), "blog/other.md"),
            ("./other.md", Some(post), "blog/other.md"),
            ("../../about.md", Some(bundle), "about.md"),
            ("/about.md", Some(post), "about.md"),
            ("/content/blog/x.md", Some(post), "blog/x.md"),
            ("@/blog/x.md", Some(post), "blog/x.md"),
            ("../about.md", None, "about.md"),
        ] {
            assert_eq!(content_file_of(written, from), expected, "{written}");
        }
    }
}
