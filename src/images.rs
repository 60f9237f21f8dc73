//! Photos: what the read stage learns of each from its header ([`PhotoMeta`]), the files the
//! assets stage plans for it ([`plan`]: several widths in AVIF, WebP and JPEG or PNG, and a
//! safe copy at the original's address), the `<picture>` a post shows ([`Picture`]), and the
//! images stage ([`process`]), which makes the files: decoded once, turned upright by their
//! EXIF orientation, resized, encoded without any metadata, and kept in `.knead-cache/images/`
//! under a key of the photo's bytes and the work done, so that a rebuild makes only what is new.
//!
//! Why these libraries: `image` decodes JPEG, PNG and WebP and encodes JPEG and PNG (pure Rust,
//! the most used); `fast_image_resize` resizes with SIMD (several times faster than `image`'s
//! own resize); `webp` binds libwebp, the reference encoder, for lossy WebP (`image` writes only
//! lossless WebP, far larger for photos); `ravif` (rav1e) is the pure-Rust AVIF encoder;
//! `kamadak-exif` reads the orientation from the header without decoding the photo.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::config::ImageSettings;
use crate::error::{Diagnostic, Diagnostics};

/// Bumped when the files made from a photo change for the same settings (a new encoder
/// version, another resize filter): the cache's old files are then made again.
const WORK_VERSION: u32 = 2;

/// The folder of the image cache, in the site's folder.
pub const CACHE_DIR: &str = ".knead-cache";

/// An image format knead writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// AVIF: the smallest, the slowest to make.
    Avif,
    /// WebP, lossy (with transparency when the photo has it).
    Webp,
    /// JPEG: every browser reads it.
    Jpeg,
    /// PNG: for images that may be transparent.
    Png,
}

impl Format {
    /// The file extension, without a dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Avif => "avif",
            Format::Webp => "webp",
            Format::Jpeg => "jpg",
            Format::Png => "png",
        }
    }

    /// The MIME type, for `<source type>`.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Avif => "image/avif",
            Format::Webp => "image/webp",
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
        }
    }
}

/// What the read stage learns of a photo (a JPEG, PNG or WebP file) from its header, enough to
/// plan its files and write its HTML without decoding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhotoMeta {
    /// Width as shown, in pixels (its EXIF orientation applied).
    pub width: u32,
    /// Height as shown, in pixels.
    pub height: u32,
    /// The EXIF orientation, 1 (upright) to 8.
    pub orientation: u8,
    /// Its own format.
    pub format: Format,
    /// The format every browser reads that it is offered in: PNG when it may be transparent,
    /// else JPEG.
    pub fallback: Format,
}

/// Reads a photo's header at `path` (`extension` in lower case; `size` from the header, as
/// stored). `None` for files that are not photos knead processes (GIF, SVG, AVIF pass through).
pub(crate) fn read_meta(path: &Path, extension: &str, size: (u32, u32)) -> Option<PhotoMeta> {
    let format = match extension {
        "jpg" | "jpeg" => Format::Jpeg,
        "png" => Format::Png,
        "webp" => Format::Webp,
        _ => return None,
    };
    let orientation = fs::File::open(path)
        .ok()
        .and_then(|file| {
            exif::Reader::new()
                .read_from_container(&mut BufReader::new(file))
                .ok()
        })
        .and_then(|exif| {
            exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?
                .value
                .get_uint(0)
        })
        .and_then(|o| u8::try_from(o).ok())
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1);
    let (width, height) = if orientation >= 5 {
        (size.1, size.0)
    } else {
        size
    };
    let fallback = match format {
        Format::Jpeg => Format::Jpeg,
        Format::Png => Format::Png,
        _ if webp_has_alpha(path) => Format::Png,
        _ => Format::Jpeg,
    };
    Some(PhotoMeta {
        width,
        height,
        orientation,
        format,
        fallback,
    })
}

/// Whether a WebP file may be transparent: a lossless one, or an extended one with its alpha
/// flag set.
fn webp_has_alpha(path: &Path) -> bool {
    let mut head = [0u8; 21];
    let read = fs::File::open(path).and_then(|mut f| f.read_exact(&mut head));
    if read.is_err() {
        return true;
    }
    match &head[12..16] {
        b"VP8L" => true,
        b"VP8X" => head[20] & 0x10 != 0,
        _ => false,
    }
}

/// One file made of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Variant {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Its format.
    pub format: Format,
    /// Cropped to 1.91:1, for social previews (`og:image`).
    pub social: bool,
    /// Where the cut is centred, across and down in percent (a page's `image_focus`), when
    /// `social`; (50, 50) otherwise.
    pub focus: (u8, u8),
}

/// A place in a photo as `image_focus` writes it: `center`, `top`, `bottom left`, `left top`,
/// or two percentages, across then down (`30% 20%`). Returns it across and down in percent.
pub fn parse_focus(text: &str) -> Result<(u8, u8), String> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| w.trim_matches(',').to_ascii_lowercase())
        .collect();
    let percent = |w: &str| -> Option<u8> {
        let n: f64 = w.strip_suffix('%')?.trim().parse().ok()?;
        (0.0..=100.0).contains(&n).then(|| n.round() as u8)
    };
    if let [x, y] = &words[..]
        && let (Some(x), Some(y)) = (percent(x), percent(y))
    {
        return Ok((x, y));
    }
    let (mut across, mut down) = (None, None);
    for word in &words {
        match word.as_str() {
            "left" if across.is_none() => across = Some(0),
            "right" if across.is_none() => across = Some(100),
            "top" if down.is_none() => down = Some(0),
            "bottom" if down.is_none() => down = Some(100),
            "center" | "centre" | "middle" => {}
            _ => {
                return Err(format!(
                    "`image_focus = \"{text}\"` is not a place in the photo knead can read"
                ));
            }
        }
    }
    if words.is_empty() || words.len() > 2 {
        return Err(format!(
            "`image_focus = \"{text}\"` is not a place in the photo knead can read"
        ));
    }
    Ok((across.unwrap_or(50), down.unwrap_or(50)))
}

/// The size of a photo's social preview: 1.91:1 (1200x630) cut from its middle, at most 1200
/// pixels wide, never enlarged.
fn social_size(meta: &PhotoMeta) -> (u32, u32) {
    let (width, height) = crop_box(meta.width, meta.height);
    let shown = width.min(1200);
    let shown_height = (u64::from(height) * u64::from(shown) / u64::from(width.max(1))).max(1);
    (shown, u32::try_from(shown_height).unwrap_or(1))
}

/// The largest 1200:630 box inside a `width` x `height` picture.
fn crop_box(width: u32, height: u32) -> (u32, u32) {
    let (w, h) = (u64::from(width), u64::from(height));
    if w * 630 > h * 1200 {
        (
            u32::try_from(h * 1200 / 630).unwrap_or(width).max(1),
            height,
        )
    } else {
        (
            width,
            u32::try_from(w * 630 / 1200).unwrap_or(height).max(1),
        )
    }
}

/// The widths made of a photo `width` pixels wide: the settings' widths below it, and the
/// largest the settings allow up to its own (a photo is never enlarged).
fn widths(width: u32, settings: &ImageSettings) -> Vec<u32> {
    let largest = settings.widths.iter().copied().max().unwrap_or(width);
    let top = width.min(largest);
    let mut widths: Vec<u32> = settings
        .widths
        .iter()
        .copied()
        .filter(|w| *w < top)
        .collect();
    widths.push(top);
    widths.sort_unstable();
    widths.dedup();
    widths
}

/// The height of a `width`-pixel-wide copy of a `meta` photo, at least 1.
fn height_at(meta: &PhotoMeta, width: u32) -> u32 {
    let height = (u64::from(meta.height) * u64::from(width) + u64::from(meta.width) / 2)
        / u64::from(meta.width.max(1));
    u32::try_from(height).unwrap_or(u32::MAX).max(1)
}

/// The formats a photo is offered in, the one every browser reads last.
fn formats(meta: &PhotoMeta, settings: &ImageSettings) -> Vec<Format> {
    let mut formats: Vec<Format> = settings
        .formats
        .iter()
        .filter_map(|f| match f.as_str() {
            "avif" => Some(Format::Avif),
            "webp" => Some(Format::Webp),
            _ => None,
        })
        .collect();
    formats.push(meta.fallback);
    formats
}

/// The files planned for one photo: each variant with its output path, and the copy that
/// takes the original's own path (unless the originals are published).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoPlan {
    /// Each file made, with its output path relative to the output folder.
    pub files: Vec<(String, Variant)>,
    /// What a page shows: the `<picture>`'s sources.
    pub picture: Arc<Picture>,
}

/// Plans the files of the photo `meta` whose own output is `output` (`blog/post/stretch.jpg`),
/// for a site whose root path is `root`.
///
/// `focus` is where the photo's subject is (a page's `image_focus`): the social preview is cut
/// around it, and cards place it in view.
pub fn plan(
    output: &str,
    meta: &PhotoMeta,
    settings: &ImageSettings,
    root: &str,
    focus: (u8, u8),
) -> PhotoPlan {
    let stem = output.rsplit_once('.').map_or(output, |(stem, _)| stem);
    let widths = widths(meta.width, settings);
    let mut files = Vec::new();
    let mut sources = Vec::new();
    for format in formats(meta, settings) {
        let mut srcset = String::new();
        for &width in &widths {
            let path = format!("{stem}-{width}.{}", format.extension());
            if !srcset.is_empty() {
                srcset.push_str(", ");
            }
            let _ = write!(srcset, "{root}{} {width}w", crate::slug::url_path(&path));
            let variant = Variant {
                width,
                height: height_at(meta, width),
                format,
                social: false,
                focus: (50, 50),
            };
            files.push((path, variant));
        }
        sources.push((format, srcset));
    }
    let top = *widths.last().unwrap_or(&meta.width);
    if !settings.originals {
        // The original's own address serves a safe copy: upright, no metadata, no larger than
        // the largest width, in the original's format.
        files.push((
            output.to_owned(),
            Variant {
                width: top,
                height: height_at(meta, top),
                format: meta.format,
                social: false,
                focus: (50, 50),
            },
        ));
    }
    let (social_width, social_height) = social_size(meta);
    let social_path = format!("{stem}-social.{}", meta.fallback.extension());
    files.push((
        social_path.clone(),
        Variant {
            width: social_width,
            height: social_height,
            format: meta.fallback,
            social: true,
            focus,
        },
    ));
    let fallback = sources.pop().map(|(_, srcset)| srcset).unwrap_or_default();
    let src = format!(
        "{root}{}",
        crate::slug::url_path(&format!("{stem}-{top}.{}", meta.fallback.extension()))
    );
    let picture = Picture {
        width: top,
        height: height_at(meta, top),
        sources,
        fallback,
        src,
        social: (
            format!("{root}{}", crate::slug::url_path(&social_path)),
            social_width,
            social_height,
        ),
        focus,
    };
    PhotoPlan {
        files,
        picture: Arc::new(picture),
    }
}

/// What a page needs to show a photo: a `<picture>` with a source per modern format and an
/// `<img>` in the format every browser reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Picture {
    /// The `width` attribute: the largest file's.
    pub width: u32,
    /// The `height` attribute.
    pub height: u32,
    /// Each modern format with its `srcset`.
    pub sources: Vec<(Format, String)>,
    /// The `<img>`'s `srcset`.
    pub fallback: String,
    /// The `<img>`'s `src`: the largest file every browser reads.
    pub src: String,
    /// The social preview (`og:image`): its root-relative address, width and height.
    pub social: (String, u32, u32),
    /// Where the subject is, across and down in percent: an `<img>` cut to another shape by
    /// the stylesheet (a card) keeps it in view.
    pub focus: (u8, u8),
}

/// How a picture loads: the first photo of a page is fetched at once, the others when the
/// visitor scrolls near them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loading {
    /// `fetchpriority="high"`: the page's first photo, likely its largest paint.
    First,
    /// `loading="lazy"`.
    Lazy,
}

impl Picture {
    /// A hash of what the HTML is made of, for caches.
    pub fn hash(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::hash::DefaultHasher::new();
        Hash::hash(self, &mut hasher);
        hasher.finish()
    }

    /// The `<picture>` element. `alt` and `title` are plain text (escaped here); `class` is
    /// added to the `<img>` when not empty.
    pub fn html(
        &self,
        alt: &str,
        title: &str,
        sizes: &str,
        loading: Loading,
        class: &str,
    ) -> String {
        let mut html =
            String::with_capacity(256 + 2 * self.fallback.len() * (1 + self.sources.len()));
        html.push_str("<picture>");
        for (format, srcset) in &self.sources {
            let _ = write!(
                html,
                "<source type=\"{}\" srcset=\"{}\" sizes=\"{}\">",
                format.mime(),
                escape(srcset),
                escape(sizes)
            );
        }
        let _ = write!(
            html,
            "<img src=\"{}\" srcset=\"{}\" sizes=\"{}\" width=\"{}\" height=\"{}\" alt=\"{}\"",
            escape(&self.src),
            escape(&self.fallback),
            escape(sizes),
            self.width,
            self.height,
            escape(alt)
        );
        if !title.is_empty() {
            let _ = write!(html, " title=\"{}\"", escape(title));
        }
        if !class.is_empty() {
            let _ = write!(html, " class=\"{}\"", escape(class));
        }
        if self.focus != (50, 50) {
            let _ = write!(
                html,
                " style=\"object-position: {}% {}%\"",
                self.focus.0, self.focus.1
            );
        }
        html.push_str(match loading {
            Loading::First => " fetchpriority=\"high\" decoding=\"async\">",
            Loading::Lazy => " loading=\"lazy\" decoding=\"async\">",
        });
        html.push_str("</picture>");
        html
    }
}

/// `text` escaped for an HTML attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// What the images stage did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImageReport {
    /// Photos whose files were made now.
    pub processed: usize,
    /// Photos whose every file was in the cache.
    pub reused: usize,
}

/// One photo to make files of: where it is, how messages name it, what its header said, and
/// each file wanted with the index of its asset.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) path: PathBuf,
    pub(crate) shown: PathBuf,
    pub(crate) meta: PhotoMeta,
    pub(crate) files: Vec<(usize, Variant)>,
}

/// The images stage: makes every file of every photo in `jobs` that the cache in `cache_dir`
/// does not have, and returns, by asset index, the cache file to publish. A photo that cannot
/// be read or decoded is an error at its file; nothing else stops.
pub(crate) fn process(
    jobs: &[Job],
    cache_dir: &Path,
    settings: &ImageSettings,
    progress: bool,
) -> Result<(HashMap<usize, PathBuf>, ImageReport), Diagnostics> {
    let dir = cache_dir.join("images");
    if !jobs.is_empty()
        && let Err(err) = fs::create_dir_all(&dir)
    {
        return Err(Diagnostic::error(format!(
            "could not make the image cache `{}`: {err}",
            dir.display()
        ))
        .with_hint("check that the site's folder can be written to")
        .into());
    }
    // The bytes' hash of each photo whose size and time are as last seen: an unchanged photo
    // is not even read (a site of 200 photos would read a gigabyte on every rebuild).
    let index = Index::read(&dir);
    let made = AtomicUsize::new(0);
    let bar = progress.then(|| progress_bar(jobs.len()));
    let results: Vec<Result<Vec<(usize, PathBuf)>, Diagnostic>> = jobs
        .par_iter()
        .with_max_len(1)
        .map(|job| {
            let result = make(job, &dir, settings, &index);
            if let Ok((_, true)) = result {
                made.fetch_add(1, Ordering::Relaxed);
            }
            if let Some(bar) = &bar {
                bar.inc(1);
            }
            result.map(|(files, _)| files)
        })
        .collect();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut files = HashMap::new();
    let mut errors = Diagnostics::default();
    for result in results {
        match result {
            Ok(made) => files.extend(made),
            Err(diagnostic) => errors.push(diagnostic),
        }
    }
    if errors.has_errors() {
        errors.sort();
        return Err(errors);
    }
    index.write(&dir);
    let processed = made.into_inner();
    let report = ImageReport {
        processed,
        reused: jobs.len() - processed,
    };
    Ok((files, report))
}

fn progress_bar(photos: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(photos as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("Photos {pos}/{len} {wide_bar} {eta} left")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// The cache file of each file of `job`, made if missing. Also whether any was made.
fn make(
    job: &Job,
    dir: &Path,
    settings: &ImageSettings,
    index: &Index,
) -> Result<(Vec<(usize, PathBuf)>, bool), Diagnostic> {
    let unreadable = |what: String| {
        Diagnostic::error(format!("this photo could not be read: {what}"))
            .in_file(&job.shown)
            .with_hint("open it in a photo editor and save it again as JPEG or PNG, or remove it")
    };
    let stamp = fs::metadata(&job.path)
        .map(|m| Stamp::of(&m))
        .map_err(|err| unreadable(err.to_string()))?;
    let read = || -> Result<Vec<u8>, Diagnostic> {
        let bytes = fs::read(&job.path).map_err(|err| unreadable(err.to_string()))?;
        // A JPEG decoder fills a file cut short with grey: it would go online half grey.
        if job.meta.format == Format::Jpeg && jpeg_cut_short(&bytes) {
            return Err(unreadable(
                "the file is cut short (a copy or an upload that did not finish)".to_owned(),
            ));
        }
        Ok(bytes)
    };
    let mut bytes = None;
    let source = match index.hash_of(&job.path, stamp) {
        Some(hash) => hash,
        None => {
            let read = read()?;
            let hash = xxhash_rust::xxh3::xxh3_128(&read);
            bytes = Some(read);
            hash
        }
    };
    index.note(&job.path, stamp, source);
    let named: Vec<(usize, Variant, PathBuf)> = job
        .files
        .iter()
        .map(|&(index, variant)| {
            let key = work_key(source, &job.meta, variant, settings.quality);
            let path = dir.join(format!("{key:032x}.{}", variant.format.extension()));
            (index, variant, path)
        })
        .collect();
    let missing: Vec<&(usize, Variant, PathBuf)> =
        named.iter().filter(|(_, _, p)| !p.exists()).collect();
    if !missing.is_empty() {
        let bytes = match bytes {
            Some(bytes) => bytes,
            None => read()?,
        };
        let image = image::load_from_memory(&bytes).map_err(|err| unreadable(err.to_string()))?;
        let mut image = image;
        if let Some(orientation) = image::metadata::Orientation::from_exif(job.meta.orientation) {
            image.apply_orientation(orientation);
        }
        let alpha = image.color().has_alpha();
        let image = if alpha {
            image::DynamicImage::ImageRgba8(image.to_rgba8())
        } else {
            image::DynamicImage::ImageRgb8(image.to_rgb8())
        };
        // Resized once per width (and crop), whatever the number of formats.
        let mut resized: HashMap<(u32, bool), image::DynamicImage> = HashMap::new();
        for (_, variant, path) in missing {
            if let std::collections::hash_map::Entry::Vacant(entry) =
                resized.entry((variant.width, variant.social))
            {
                entry.insert(resize(&image, *variant).map_err(&unreadable)?);
            }
            let pixels = &resized[&(variant.width, variant.social)];
            let encoded = encode(pixels, variant.format, settings.quality).map_err(&unreadable)?;
            write_atomically(path, &encoded).map_err(|err| {
                Diagnostic::error(format!(
                    "could not write to the image cache `{}`: {err}",
                    path.display()
                ))
                .with_hint(
                    "check that the site's folder can be written to and the disk is not full",
                )
            })?;
        }
        return Ok((named.into_iter().map(|(i, _, p)| (i, p)).collect(), true));
    }
    Ok((named.into_iter().map(|(i, _, p)| (i, p)).collect(), false))
}

/// A file's size and modification time: while they stay the same, so do its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Stamp {
    len: u64,
    modified_ns: u128,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Stamp {
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        Stamp {
            len: meta.len(),
            modified_ns,
        }
    }
}

/// The bytes' hash of each photo as last seen, by path, kept in the cache as `index.json`:
/// read once per build, noted as photos are looked at, written back with what this build saw.
#[derive(Debug, Default)]
struct Index {
    before: HashMap<PathBuf, (Stamp, u128)>,
    now: std::sync::Mutex<HashMap<PathBuf, (Stamp, u128)>>,
}

/// The index's file in the image cache.
const INDEX_FILE: &str = "index.json";

impl Index {
    fn read(dir: &Path) -> Index {
        let before = fs::read(dir.join(INDEX_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Vec<(PathBuf, Stamp, String)>>(&bytes).ok())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(path, stamp, hash)| {
                Some((path, (stamp, u128::from_str_radix(&hash, 16).ok()?)))
            })
            .collect();
        Index {
            before,
            now: std::sync::Mutex::default(),
        }
    }

    /// The hash of the photo at `path`, if it was seen with this very size and time.
    fn hash_of(&self, path: &Path, stamp: Stamp) -> Option<u128> {
        match self.before.get(path) {
            // A time of 0 is unknown: no promise the bytes are the same.
            Some((seen, hash)) if *seen == stamp && stamp.modified_ns != 0 => Some(*hash),
            _ => None,
        }
    }

    fn note(&self, path: &Path, stamp: Stamp, hash: u128) {
        if let Ok(mut now) = self.now.lock() {
            now.insert(path.to_path_buf(), (stamp, hash));
        }
    }

    /// Writes what this build saw (the photos it no longer has are forgotten), through a
    /// temporary file. A failure only costs reading the photos again next time.
    fn write(&self, dir: &Path) {
        let Ok(now) = self.now.lock() else { return };
        if now.is_empty() {
            return;
        }
        let mut entries: Vec<(&PathBuf, Stamp, String)> = now
            .iter()
            .map(|(path, (stamp, hash))| (path, *stamp, format!("{hash:032x}")))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        if let Ok(json) = serde_json::to_vec(&entries) {
            let _ = write_atomically(&dir.join(INDEX_FILE), &json);
        }
    }
}

/// Whether a JPEG ends before its image does: no end-of-image marker after the start of the
/// main image's data. The segments before it are skipped by their lengths, so an EXIF
/// thumbnail's own markers do not count; in the image data a 0xFF byte is always followed by
/// 0x00 or a restart marker, so 0xFF 0xD9 there is the real end.
fn jpeg_cut_short(bytes: &[u8]) -> bool {
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return false;
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if marker == 0xDA {
            let data = (at + 2 + length).min(bytes.len());
            return !bytes[data..].windows(2).any(|w| w == [0xFF, 0xD9]);
        }
        at += 2 + length;
    }
    true
}

/// The key of one file made of a photo: its bytes' hash and everything that decides the result.
fn work_key(source: u128, meta: &PhotoMeta, variant: Variant, quality: u8) -> u128 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(&source.to_le_bytes());
    hasher.update(&WORK_VERSION.to_le_bytes());
    hasher.update(&[
        meta.orientation,
        quality,
        variant.format as u8,
        u8::from(variant.social),
        variant.focus.0,
        variant.focus.1,
    ]);
    hasher.update(&variant.width.to_le_bytes());
    hasher.update(&variant.height.to_le_bytes());
    hasher.digest128()
}

/// `image` resized to the variant's size (Lanczos3), a social preview cut from its middle
/// first; or the image itself at its own size.
fn resize(image: &image::DynamicImage, variant: Variant) -> Result<image::DynamicImage, String> {
    use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer, images::Image};
    let (width, height) = (variant.width, variant.height);
    if image.width() == width && image.height() == height && !variant.social {
        return Ok(image.clone());
    }
    let pixel_type = fast_image_resize::IntoImageView::pixel_type(image)
        .ok_or_else(|| "its pixel type cannot be resized".to_owned())?;
    let mut resized = Image::new(width, height, pixel_type);
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    if variant.social {
        let (crop_width, crop_height) = crop_box(image.width(), image.height());
        let (across, down) = (f64::from(variant.focus.0), f64::from(variant.focus.1));
        options = options.crop(
            f64::from(image.width() - crop_width) * across / 100.0,
            f64::from(image.height() - crop_height) * down / 100.0,
            f64::from(crop_width),
            f64::from(crop_height),
        );
    }
    Resizer::new()
        .resize(image, &mut resized, &options)
        .map_err(|err| err.to_string())?;
    let buffer = resized.into_vec();
    let image = if image.color().has_alpha() {
        image::RgbaImage::from_raw(width, height, buffer).map(image::DynamicImage::ImageRgba8)
    } else {
        image::RgbImage::from_raw(width, height, buffer).map(image::DynamicImage::ImageRgb8)
    };
    image.ok_or_else(|| "resizing gave a buffer of the wrong size".to_owned())
}

/// `image` encoded as `format` at `quality` (1-100), with no metadata at all.
fn encode(image: &image::DynamicImage, format: Format, quality: u8) -> Result<Vec<u8>, String> {
    let (width, height) = (image.width(), image.height());
    match format {
        Format::Jpeg => {
            // jpeg-encoder rather than `image`'s own encoder: colour at half resolution (4:2:0,
            // as cameras and libjpeg write it) and Huffman tables made for the picture, a third
            // smaller at the same quality.
            let mut out = Vec::new();
            let rgb = image.to_rgb8();
            let (Ok(w), Ok(h)) = (u16::try_from(width), u16::try_from(height)) else {
                return Err(format!("{width}x{height} is too large for a JPEG"));
            };
            let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
            encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
            encoder.set_optimized_huffman_tables(true);
            encoder.set_progressive(true);
            encoder
                .encode(rgb.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
                .map_err(|err| err.to_string())?;
            Ok(out)
        }
        Format::Png => {
            let mut out = Vec::new();
            image
                .write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
                .map_err(|err| err.to_string())?;
            Ok(out)
        }
        Format::Webp => {
            let encoded = match image {
                image::DynamicImage::ImageRgba8(rgba) => {
                    webp::Encoder::from_rgba(rgba.as_raw(), width, height)
                        .encode(f32::from(quality))
                }
                other => {
                    let rgb = other.to_rgb8();
                    webp::Encoder::from_rgb(rgb.as_raw(), width, height).encode(f32::from(quality))
                }
            };
            Ok(encoded.to_vec())
        }
        Format::Avif => {
            let rgba: Vec<ravif::RGBA8> = image
                .to_rgba8()
                .pixels()
                .map(|p| ravif::RGBA8::new(p[0], p[1], p[2], p[3]))
                .collect();
            let width = usize::try_from(width).map_err(|e| e.to_string())?;
            let height = usize::try_from(height).map_err(|e| e.to_string())?;
            let encoded = ravif::Encoder::new()
                .with_quality(f32::from(quality))
                // Lossy alpha thins soft edges out (a faint shape came out fainter still).
                .with_alpha_quality(100.0)
                .with_speed(8)
                .with_num_threads(Some(1))
                .encode_rgba(ravif::Img::new(&rgba[..], width, height))
                .map_err(|err| err.to_string())?;
            Ok(encoded.avif_file)
        }
    }
}

/// Writes `bytes` to `path` through a temporary file beside it, so that a killed build never
/// leaves half a file in the cache.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!(
        "tmp{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// Removes the cache's files that no build uses any more: every file of `cache_dir/images`
/// not in `used`.
pub(crate) fn prune(cache_dir: &Path, used: &std::collections::HashSet<PathBuf>) {
    let Ok(entries) = fs::read_dir(cache_dir.join("images")) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !used.contains(&path) && entry.file_name() != INDEX_FILE {
            let _ = fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(width: u32, height: u32) -> PhotoMeta {
        PhotoMeta {
            width,
            height,
            orientation: 1,
            format: Format::Jpeg,
            fallback: Format::Jpeg,
        }
    }

    #[test]
    fn a_jpeg_cut_short_is_told_from_a_whole_one() {
        let whole =
            fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos/wood.jpg"))
                .unwrap();
        assert!(!jpeg_cut_short(&whole));
        for cut in [whole.len() / 3, whole.len() - 2, 20] {
            assert!(jpeg_cut_short(&whole[..cut]), "cut at {cut}");
        }
        // Data after the end (a phone's motion photo) is fine.
        let mut longer = whole.clone();
        longer.extend_from_slice(&[0, 0, 0, 24, b'f', b't', b'y', b'p']);
        assert!(!jpeg_cut_short(&longer));
    }

    #[test]
    fn social_previews_are_cut_to_1200_by_630_from_the_middle() {
        assert_eq!(crop_box(1200, 1600), (1200, 630));
        assert_eq!(crop_box(4000, 1000), (1904, 1000));
        assert_eq!(social_size(&meta(1200, 1600)), (1200, 630));
        assert_eq!(social_size(&meta(4000, 3000)), (1200, 630));
        assert_eq!(social_size(&meta(600, 400)), (600, 315));
    }

    #[test]
    fn widths_never_enlarge_and_end_at_the_largest_allowed() {
        let settings = ImageSettings::default();
        assert_eq!(widths(4000, &settings), vec![480, 800, 1200, 1600]);
        assert_eq!(widths(1000, &settings), vec![480, 800, 1000]);
        assert_eq!(widths(300, &settings), vec![300]);
        assert_eq!(widths(800, &settings), vec![480, 800]);
    }

    #[test]
    fn the_plan_names_every_file_and_the_picture_lists_them() {
        let settings = ImageSettings {
            formats: vec!["avif".to_owned(), "webp".to_owned()],
            ..ImageSettings::default()
        };
        let plan = plan(
            "blog/post/stretch.jpg",
            &meta(1000, 750),
            &settings,
            "/",
            (50, 50),
        );
        let paths: Vec<&str> = plan.files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "blog/post/stretch-480.avif",
                "blog/post/stretch-800.avif",
                "blog/post/stretch-1000.avif",
                "blog/post/stretch-480.webp",
                "blog/post/stretch-800.webp",
                "blog/post/stretch-1000.webp",
                "blog/post/stretch-480.jpg",
                "blog/post/stretch-800.jpg",
                "blog/post/stretch-1000.jpg",
                "blog/post/stretch.jpg",
                "blog/post/stretch-social.jpg",
            ]
        );
        let social = plan.files.last().unwrap().1;
        assert_eq!(
            (social.width, social.height, social.social),
            (1000, 525, true)
        );
        assert_eq!(plan.files[1].1.height, 600);
        let picture = &plan.picture;
        assert_eq!((picture.width, picture.height), (1000, 750));
        assert_eq!(picture.src, "/blog/post/stretch-1000.jpg");
        assert_eq!(
            picture.sources[1].1,
            "/blog/post/stretch-480.webp 480w, /blog/post/stretch-800.webp 800w, /blog/post/stretch-1000.webp 1000w"
        );
        let html = picture.html("A \"stretch\"", "", "100vw", Loading::Lazy, "");
        assert!(
            html.starts_with("<picture><source type=\"image/avif\""),
            "{html}"
        );
        assert!(
            html.contains("alt=\"A &quot;stretch&quot;\" loading=\"lazy\""),
            "{html}"
        );
    }

    #[test]
    fn publishing_originals_leaves_the_original_address_alone() {
        let settings = ImageSettings {
            originals: true,
            ..ImageSettings::default()
        };
        let plan = plan("a.jpg", &meta(500, 500), &settings, "/", (50, 50));
        assert!(plan.files.iter().all(|(p, _)| p != "a.jpg"));
    }

    /// `image_focus` is read as a place, across then down in percent; nonsense is an error.
    #[test]
    fn focus_is_read_as_a_place_in_the_photo() {
        for (text, place) in [
            ("center", (50, 50)),
            ("top", (50, 0)),
            ("Bottom Left", (0, 100)),
            ("left top", (0, 0)),
            ("right", (100, 50)),
            ("30% 20%", (30, 20)),
            ("0% 100%", (0, 100)),
        ] {
            assert_eq!(parse_focus(text), Ok(place), "{text}");
        }
        for wrong in [
            "",
            "up",
            "top top",
            "left right",
            "120% 5%",
            "30%",
            "top left center",
        ] {
            assert!(parse_focus(wrong).is_err(), "{wrong}");
        }
    }
}
