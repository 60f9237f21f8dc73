//! Reading a site from disk: the only stage of a build that reads files.
//!
//! Everything later works on the [`Sources`] value this returns, which is what makes the other
//! stages pure functions that run in parallel and are tested without a file system.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::CONFIG_FILE;
use crate::error::{Diagnostic, Diagnostics, Error, Result, invalid_utf8_at};

/// Everything a build reads, before anything is parsed.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The site root, as given.
    pub root: PathBuf,
    /// The text of `site.toml`.
    pub config_text: String,
    /// Markdown files under `content/`.
    pub content: Vec<ContentFile>,
    /// Other files under `content/` (images of page bundles and the like).
    pub content_assets: Vec<FileRef>,
    /// The site's own templates (overriding the built-in theme), as `(name, text)`.
    pub templates: Vec<(String, String)>,
    /// Files under `static/`.
    pub static_files: Vec<FileRef>,
    /// Problems found while reading: unreadable files, links that leave the site.
    pub diagnostics: Diagnostics,
}

/// A Markdown file, as bytes: turning them into text is the parse stage's job, which reports
/// files that are not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentFile {
    /// The path relative to `content/`, with `/` separators, e.g. `blog/post.md`.
    pub rel: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// A file that is copied, not parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    /// The path relative to its folder (`content/` or `static/`), with `/` separators.
    pub rel: String,
    /// Where it is on disk.
    pub path: PathBuf,
    /// Width and height in pixels, for images whose header says so (as shown: a photo's EXIF
    /// orientation applied).
    pub size: Option<(u32, u32)>,
    /// What its header says, for a photo knead makes its own files of (JPEG, PNG, WebP).
    pub photo: Option<crate::images::PhotoMeta>,
}

/// Reads the site at `root`. A missing `site.toml` or `content/` is an error; unreadable files are
/// collected as diagnostics so that every problem is reported at once.
pub fn read(root: &Path) -> Result<Sources> {
    let config_path = root.join(CONFIG_FILE);
    let config_text = match fs::read(&config_path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|err| {
            let at = invalid_utf8_at(err.as_bytes(), err.utf8_error().valid_up_to());
            site_error(
                Diagnostic::error(format!(
                    "site.toml is not UTF-8 text ({at} is not a character in UTF-8)"
                ))
                .in_file(CONFIG_FILE)
                .with_hint("save it as UTF-8 in your editor"),
            )
        })?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !root.is_dir() => {
            return Err(site_error(
                Diagnostic::error(format!("the folder `{}` does not exist", root.display()))
                    .with_hint("check the path given to --root, or run knead in the site's folder"),
            ));
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(site_error(
                Diagnostic::error(format!(
                    "no site.toml in `{}`: this folder is not a knead site",
                    root.display()
                ))
                .with_hint("run knead in the site's folder, or point at it with --root DIR"),
            ));
        }
        Err(err) => return Err(Error::io("failed to read", &config_path, err)),
    };
    let canonical_root = root
        .canonicalize()
        .map_err(|err| Error::io("failed to open the site folder", root, err))?;

    let mut sources = Sources {
        root: root.to_path_buf(),
        config_text,
        ..Sources::default()
    };
    let content_dir = root.join("content");
    if !content_dir.is_dir() {
        return Err(site_error(
            Diagnostic::error("the site has no `content/` folder")
                .in_file(CONFIG_FILE)
                .with_hint("create `content/` beside site.toml and put your Markdown files in it"),
        ));
    }
    let (markdown, assets): (Vec<FileRef>, Vec<FileRef>) =
        walk(&canonical_root, root, "content", &mut sources.diagnostics)
            .into_iter()
            .partition(|file| file.rel.ends_with(".md"));
    sources
        .diagnostics
        .extend(unportable_names(&assets, "content", false));
    sources
        .diagnostics
        .extend(unreadable_photos(&assets, "content"));
    sources
        .diagnostics
        .extend(assets.iter().filter_map(post_under_another_name));
    sources.diagnostics.extend(copies(&markdown));
    sources.content_assets = assets;
    // In parallel: on a cold disk cache, thousands of small reads overlap.
    let read: Vec<Result<ContentFile, Diagnostic>> = markdown
        .into_par_iter()
        .with_max_len(64)
        .map(|file| match fs::read(&file.path) {
            Ok(bytes) => Ok(ContentFile {
                rel: file.rel,
                bytes,
            }),
            Err(err) => Err(read_failed(&file, "content", &err)),
        })
        .collect();
    sources.content.reserve_exact(read.len());
    for result in read {
        match result {
            Ok(file) => sources.content.push(file),
            Err(diagnostic) => sources.diagnostics.push(diagnostic),
        }
    }
    for file in walk(&canonical_root, root, "templates", &mut sources.diagnostics) {
        match fs::read(&file.path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => sources.templates.push((file.rel, text)),
                Err(err) => sources.diagnostics.push(
                    Diagnostic::error(format!(
                        "this template is not UTF-8 text ({} is not a character in UTF-8)",
                        invalid_utf8_at(err.as_bytes(), err.utf8_error().valid_up_to())
                    ))
                    .in_file(Path::new("templates").join(&file.rel))
                    .with_hint("save it as UTF-8 in your editor"),
                ),
            },
            Err(err) => sources
                .diagnostics
                .push(read_failed(&file, "templates", &err)),
        }
    }
    sources.static_files = walk(&canonical_root, root, "static", &mut sources.diagnostics);
    // A post saved into static/ is copied as it is, front matter and all.
    sources.diagnostics.extend(
        sources
            .static_files
            .iter()
            .filter(|file| file.rel.to_ascii_lowercase().ends_with(".md"))
            .map(|file| {
                Diagnostic::warning(
                    "a Markdown file in static/ is published as it is, front matter and all, \
                     not as a page",
                )
                .in_file(Path::new("static").join(&file.rel))
                .with_hint("posts go in content/ (e.g. content/blog/): move it there")
            }),
    );
    let unportable = unportable_names(&sources.static_files, "static", true);
    sources.diagnostics.extend(unportable);
    let unreadable = unreadable_photos(&sources.static_files, "static");
    sources.diagnostics.extend(unreadable);
    Ok(sources)
}

/// Errors for the files copied into the output whose names another system could not hold
/// (`a|b.jpg`, `con.txt`, a name ending in a dot): the site would build here and fail where it
/// is copied or served. In `static/` every folder of the path is copied too; in `content/` only
/// the file's own name is (folders become addresses, made of safe characters).
fn unportable_names(files: &[FileRef], folder: &str, whole_path: bool) -> Vec<Diagnostic> {
    files
        .iter()
        .filter_map(|file| {
            let name = file.rel.rsplit('/').next().unwrap_or(&file.rel);
            let reason = if whole_path {
                file.rel.split('/').find_map(crate::slug::unportable_name)
            } else {
                crate::slug::unportable_name(name)
            }?;
            Some(
                Diagnostic::error(format!(
                    "this file name cannot be published as it is: {reason}"
                ))
                .in_file(Path::new(folder).join(&file.rel))
                .with_hint(
                    "rename it using letters, digits, hyphens and a dot before the extension",
                ),
            )
        })
        .collect()
}

/// Errors for the files named like photos (`.jpg`, `.png`, `.webp`) whose header is not one:
/// published, each would be a broken image.
fn unreadable_photos(files: &[FileRef], folder: &str) -> Vec<Diagnostic> {
    files
        .iter()
        .filter(|file| {
            let lower = file.rel.to_ascii_lowercase();
            file.size.is_none()
                && [".jpg", ".jpeg", ".png", ".webp"]
                    .iter()
                    .any(|ext| lower.ends_with(ext))
        })
        .map(|file| {
            Diagnostic::error(
                "this photo could not be read: it is not a JPEG, PNG or WebP image inside",
            )
            .in_file(Path::new(folder).join(&file.rel))
            .with_hint("open it in a photo editor and save it again as JPEG or PNG, or remove it")
        })
        .collect()
}

fn site_error(diagnostic: Diagnostic) -> Error {
    Error::Site(Diagnostics(vec![diagnostic]))
}

/// An error for a post saved under a name that is not `.md` (`Tips.MD`, `tips.markdown`,
/// `tips.txt` or `tips.md.txt` starting with front matter): knead would copy it as it is, front
/// matter and all, instead of making a page of it.
fn post_under_another_name(file: &FileRef) -> Option<Diagnostic> {
    let lower = file.rel.to_ascii_lowercase();
    let stem_end = lower.rfind('.')?;
    let (stem, extension) = file.rel.split_at(stem_end);
    let markdown = matches!(&lower[stem_end..], ".md" | ".markdown" | ".mdown" | ".mkd");
    let mut head = Vec::new();
    if lower.ends_with(".txt") {
        let _ = fs::File::open(&file.path)
            .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 4096), &mut head));
    }
    let head = String::from_utf8_lossy(&head);
    let head = head.trim_start_matches('\u{feff}').trim_start();
    let text_post = head.starts_with("+++") || head.starts_with("---");
    if !markdown && !text_post {
        return article_in_text_file(file, head);
    }
    // `tips.md.txt` becomes `tips.md`, `Tips.MD` `Tips.md`, `tips.txt` `tips.md`.
    let stem = if text_post && stem.to_ascii_lowercase().ends_with(".md") {
        &stem[..stem.len() - 3]
    } else {
        stem
    };
    let name = |rel: &str| rel.rsplit('/').next().unwrap_or(rel).to_owned();
    let new_name = name(&format!("{stem}.md"));
    let what = if text_post {
        "starts with front matter like a post"
    } else {
        "is a Markdown file"
    };
    Some(
        Diagnostic::error(format!(
            "`{}` {what}, but only files ending in `.md` become pages: this one would be \
             published as it is, front matter and all",
            name(&file.rel)
        ))
        .in_file(Path::new("content").join(&file.rel))
        .with_hint(format!(
            "rename it to `{new_name}`{}",
            if extension == ".txt" {
                " (a text editor may hide the .txt ending)"
            } else {
                ""
            }
        )),
    )
}

/// An error for a `.txt` file in `content/` that reads as an article (a `#` heading, or
/// paragraphs of some length) without front matter: published as it is, it would be a bare text
/// file online instead of a page. `head` is its first 4 KB. The files a site serves as text
/// (`robots.txt`, `ads.txt`, ...) are left alone.
fn article_in_text_file(file: &FileRef, head: &str) -> Option<Diagnostic> {
    let name = file.rel.rsplit('/').next().unwrap_or(&file.rel);
    let served_as_text = [
        "robots.txt",
        "ads.txt",
        "app-ads.txt",
        "humans.txt",
        "security.txt",
        "llms.txt",
    ];
    if head.is_empty() || served_as_text.contains(&name.to_ascii_lowercase().as_str()) {
        return None;
    }
    let heading = head.starts_with("# ") || head.starts_with("## ");
    let paragraphs = head.split("\n\n").filter(|p| !p.trim().is_empty()).count();
    let words = head.split_whitespace().count();
    if !(heading || (paragraphs >= 2 && words >= 80)) {
        return None;
    }
    let shown = Path::new("content").join(&file.rel);
    Some(
        Diagnostic::error(format!(
            "`{name}` reads as an article, but it is a .txt file without front matter: it would \
             be published as a bare text file, not as a page"
        ))
        .in_file(&shown)
        .with_hint(format!(
            "make a post of it with knead new \"Its title\" --from {}, then delete this file",
            shown.display()
        )),
    )
}

/// Warnings for posts that look like copies of another (`tips (1).md`, `tips copy.md`, `tips -
/// Copy.md`, as a download or a file manager names them): each would go online as a second page.
fn copies(markdown: &[FileRef]) -> Vec<Diagnostic> {
    let names: std::collections::HashSet<&str> = markdown.iter().map(|f| f.rel.as_str()).collect();
    markdown
        .iter()
        .filter_map(|file| {
            let stem = file.rel.strip_suffix(".md")?;
            let original = [" copy", " - Copy", " Copy"]
                .iter()
                .find_map(|suffix| stem.strip_suffix(suffix))
                .or_else(|| {
                    let (before, number) = stem.strip_suffix(')')?.rsplit_once(" (")?;
                    number.chars().all(|c| c.is_ascii_digit()).then_some(before)
                })?;
            let original = format!("{original}.md");
            names.contains(original.as_str()).then(|| {
                Diagnostic::warning(format!(
                    "this looks like a copy of `content/{original}`: it is published as a second page"
                ))
                .in_file(Path::new("content").join(&file.rel))
                .with_hint("delete the copy you do not want, or give it a title and name of its own")
            })
        })
        .collect()
}

fn read_failed(file: &FileRef, folder: &str, err: &std::io::Error) -> Diagnostic {
    Diagnostic::error(format!("could not read this file: {err}"))
        .in_file(Path::new(folder).join(&file.rel))
}

/// Lists the files under `root/folder`, sorted, skipping hidden and editor backup files. Symbolic
/// links are followed only when they stay inside the site; the others are reported and skipped.
fn walk(
    canonical_root: &Path,
    root: &Path,
    folder: &str,
    diagnostics: &mut Diagnostics,
) -> Vec<FileRef> {
    let base = root.join(folder);
    if !base.is_dir() {
        return Vec::new();
    }
    let mut files = Vec::new();
    let mut escaping = Vec::new();
    let walker = WalkDir::new(&base)
        .follow_links(true)
        .into_iter()
        .filter_entry(|entry| {
            if entry.depth() > 0 && is_ignored(entry.file_name(), folder == "static") {
                return false;
            }
            if entry.path_is_symlink() && !stays_inside(entry.path(), canonical_root) {
                escaping.push(entry.path().to_path_buf());
                return false;
            }
            true
        });
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = err.path().unwrap_or(&base);
                let shown = shown_path(path, root);
                let dangling = fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink())
                    && fs::metadata(path).is_err();
                let diagnostic = if err.loop_ancestor().is_some() {
                    Diagnostic::warning(
                        "this symbolic link points back to a folder that contains it; it is skipped",
                    )
                } else if dangling {
                    let target = fs::read_link(path).unwrap_or_default();
                    Diagnostic::warning(format!(
                        "this symbolic link points to `{}`, which does not exist; it is skipped",
                        target.display()
                    ))
                } else {
                    // An error, as for a file that cannot be read: as a warning, the build
                    // would go on without what the folder holds and take its pages offline.
                    // walkdir's message repeats the path; the location already shows it.
                    let reason = err
                        .io_error()
                        .map_or_else(|| err.to_string(), ToString::to_string);
                    Diagnostic::error(format!("could not read this: {reason}")).with_hint(
                        "let the user running knead read it (check its permissions), or move it \
                         out of the site",
                    )
                };
                diagnostics.push(diagnostic.in_file(shown));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(&base) else {
            continue;
        };
        match rel.to_str() {
            // Where `\` is not the separator, it is part of a name: read as one, `..\..\x` would
            // become a path out of the output folder.
            Some(rel) if !cfg!(windows) && rel.contains('\\') => diagnostics.push(
                Diagnostic::error("this file name contains `\\`, which Windows and web addresses read as a folder separator")
                    .in_file(shown_path(entry.path(), root))
                    .with_hint("rename the file using letters, digits and hyphens"),
            ),
            Some(rel) => {
                let size = image_size(entry.path());
                let extension = entry
                    .path()
                    .extension()
                    .map(|e| e.to_string_lossy().to_ascii_lowercase())
                    .unwrap_or_default();
                let photo =
                    size.and_then(|size| crate::images::read_meta(entry.path(), &extension, size));
                files.push(FileRef {
                    rel: rel.replace('\\', "/"),
                    size: photo.map_or(size, |p| Some((p.width, p.height))),
                    path: entry.path().to_path_buf(),
                    photo,
                });
            }
            None => diagnostics.push(
                Diagnostic::error("this file name is not valid UTF-8")
                    .in_file(shown_path(entry.path(), root))
                    .with_hint("rename the file using letters, digits and hyphens"),
            ),
        }
    }
    for link in escaping {
        let target = fs::read_link(&link)
            .map(|t| t.display().to_string())
            .unwrap_or_default();
        let diagnostic = if link == base {
            // The whole folder: skipped, the build would take every page of it offline.
            Diagnostic::error(format!(
                "`{folder}/` is a symbolic link to `{target}`, outside the site: knead reads \
                 nothing outside the site's folder"
            ))
            .with_hint(
                "move the folder into the site in place of the link, or build the site where \
                 the folder is (`knead build --root`)",
            )
        } else {
            Diagnostic::warning(format!(
                "this symbolic link points outside the site (to `{target}`); it is not followed"
            ))
            .with_hint("copy the file into the site instead of linking to it")
        };
        diagnostics.push(diagnostic.in_file(shown_path(&link, root)));
    }
    // In the order of a walk that takes each folder's entries by name: sorted once here, where
    // each name is at hand, rather than by walkdir, which finds the name in the path at each
    // comparison (a tenth of a 10,000-post build's time on one thread).
    files.sort_unstable_by(|a, b| walk_order(&a.rel, &b.rel));
    files
}

/// The order of two relative paths (`/`-separated, no empty parts) in a walk that takes each
/// folder's entries by name: their parts compared one by one, a shorter list of equal parts
/// first. That is the order of their bytes with `/` below every other byte: only the first
/// byte that differs is looked at, where comparing parts finds every `/` of both paths first
/// (on one thread, 120 million instructions at 10,000 posts).
fn walk_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let common = a.len().min(b.len());
    match a[..common]
        .iter()
        .zip(&b[..common])
        .position(|(x, y)| x != y)
    {
        Some(i) => {
            let rank = |byte: u8| if byte == b'/' { 0 } else { u16::from(byte) + 1 };
            rank(a[i]).cmp(&rank(b[i]))
        }
        None => a.len().cmp(&b.len()),
    }
}

/// The pixel size of an image, read from its header (or an SVG's `width` and `height`).
fn image_size(path: &Path) -> Option<(u32, u32)> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "jpg" | "jpeg" | "png" | "gif" | "webp" | "avif" => {
            let size = imagesize::size(path).ok()?;
            Some((
                u32::try_from(size.width).ok()?,
                u32::try_from(size.height).ok()?,
            ))
        }
        "svg" => {
            let mut head = vec![0u8; 4096];
            let mut file = fs::File::open(path).ok()?;
            let n = std::io::Read::read(&mut file, &mut head).ok()?;
            svg_size(&String::from_utf8_lossy(&head[..n]))
        }
        _ => None,
    }
}

/// The `width` and `height` attributes of an SVG's root element, in pixels.
fn svg_size(head: &str) -> Option<(u32, u32)> {
    let start = head.find("<svg")?;
    let tag = &head[start..start + head[start..].find('>')?];
    let attribute = |name: &str| -> Option<u32> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let value = &tag[at..at + tag[at..].find('"')?];
        let number = value.trim_end_matches("px");
        number
            .parse::<f64>()
            .ok()
            .filter(|v| *v > 0.0)
            .map(|v| v.round() as u32)
    };
    Some((attribute("width")?, attribute("height")?))
}

/// Whether a symbolic link's target is inside the site (a dangling link is treated as outside).
fn stays_inside(link: &Path, canonical_root: &Path) -> bool {
    link.canonicalize()
        .map(|target| target.starts_with(canonical_root))
        .unwrap_or(false)
}

/// Whether a file or folder is not part of the site. In `static/`, hidden files are copied
/// (`.well-known/` holds domain verification files) except version control and system files.
fn is_ignored(name: &std::ffi::OsStr, in_static: bool) -> bool {
    let name = name.to_string_lossy();
    let hidden = if in_static {
        name.starts_with(".git") || name == ".DS_Store" || name.starts_with(".knead")
    } else {
        name.starts_with('.')
    };
    // A README explains a folder to the people editing it; it is not part of the site.
    name.eq_ignore_ascii_case("README.md")
        || hidden
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name == "4913"
        || name.starts_with("#")
        || name == "Thumbs.db"
        // Word's and LibreOffice's lock files, which hold the editing person's name.
        || name.starts_with("~$")
        || name.starts_with(".~lock.")
}

fn shown_path(path: &Path, root: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_size_reads_width_and_height() {
        let svg = r#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="640" height="360px" viewBox="0 0 640 360">"#;
        assert_eq!(svg_size(svg), Some((640, 360)));
        assert_eq!(svg_size(r#"<svg viewBox="0 0 1 1">"#), None);
    }

    #[test]
    fn walk_order_takes_a_folder_before_names_that_continue_it() {
        // `-` and `.` sort before `/` as bytes, but a folder's files come before its
        // neighbours' whose names start the same.
        let mut rels = vec!["blog-2/a.md", "blog/z.md", "blog.md", "blog/a/b.md", "blog"];
        rels.sort_unstable_by(|a, b| walk_order(a, b));
        assert_eq!(
            rels,
            ["blog", "blog/a/b.md", "blog/z.md", "blog-2/a.md", "blog.md"]
        );
    }

    proptest::proptest! {
        /// Comparing bytes gives the order of comparing the parts one by one.
        #[test]
        fn walk_order_is_the_order_of_the_parts(
            a in proptest::collection::vec("[a.\\-é\u{0}]{1,3}", 1..4),
            b in proptest::collection::vec("[a.\\-é\u{0}]{1,3}", 1..4),
        ) {
            let (a, b) = (a.join("/"), b.join("/"));
            proptest::prop_assert_eq!(walk_order(&a, &b), a.split('/').cmp(b.split('/')));
        }
    }
}
