//! The assets stage: the files the site copies as they are (the built-in theme's static files,
//! `static/`, and the files beside pages and sections), each with its output path, and the
//! check that no two sources, pages or files, write one output. Today it only plans the
//! copying; the writer copies. Pure.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::content::{Page, Section};
use crate::error::Diagnostics;
use crate::site::Site;
use crate::source::{FileRef, Sources};

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
}

/// The files a site copies, sorted by output path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assets {
    files: Vec<Asset>,
}

impl Assets {
    /// Every file, sorted by output path.
    pub fn files(&self) -> &[Asset] {
        &self.files
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
    let files = collect(
        site.pages(),
        site.sections(),
        &hidden,
        &sources.content_assets,
        &sources.static_files,
        theme_static,
    );
    let copied: Vec<(&str, Option<&Path>)> = files
        .iter()
        .map(|asset| {
            let from = match &asset.source {
                AssetSource::Embedded(_) => None,
                AssetSource::File { shown, .. } => Some(shown.as_path()),
            };
            (asset.output.as_str(), from)
        })
        .collect();
    let mut diagnostics = site.check_outputs(&copied);
    if diagnostics.has_errors() {
        diagnostics.sort();
        return Err(diagnostics);
    }
    Ok(Assets { files })
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
) -> Vec<Asset> {
    let mut assets = Vec::new();
    for (name, bytes) in theme_static {
        if !static_files.iter().any(|f| f.rel == *name) {
            assets.push(Asset {
                output: (*name).to_owned(),
                source: AssetSource::Embedded(bytes),
                size: None,
            });
        }
    }
    for file in static_files {
        assets.push(Asset {
            output: file.rel.clone(),
            source: AssetSource::File {
                path: file.path.clone(),
                shown: Path::new("static").join(&file.rel),
            },
            size: file.size,
        });
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
        assets.push(Asset {
            output: format!("{base}{name}"),
            source: AssetSource::File {
                path: file.path.clone(),
                shown: Path::new("content").join(&file.rel),
            },
            size: file.size,
        });
    }
    assets.sort_by(|a, b| a.output.cmp(&b.output));
    assets
}
