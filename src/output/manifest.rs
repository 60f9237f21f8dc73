//! What the last build wrote, kept in the output folder (`.knead-manifest`), so that the next
//! build need not read its files back.
//!
//! For every file written: a hash of its content (xxh3, 128 bits) and a fingerprint of its
//! metadata (size, modification and change times, inode) as it was after the build. A file
//! whose fingerprint is unchanged still holds the bytes of that hash, so a new rendering is
//! compared by hash, not by reading the file. The fingerprints of the folders (which change when
//! a file is added or removed in them) and the names at the top of the output tell whether
//! anything was added, removed or edited since.
//!
//! The manifest also keeps a key of everything the build read (the sources, the options, the
//! knead binary itself). A build whose key is the last build's, at a moment before any scheduled
//! post was due, over an output nobody touched, would write exactly what is there: it stops
//! after reading the sources. The manifest is only ever a shortcut: when it is missing, damaged
//! or out of date, the build compares bytes as it would without it.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::io;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{Xxh3, xxh3_64, xxh3_128};

use super::{Entry, MANIFEST, MARKER, Stamp};
use crate::BuildOptions;
use crate::render::Output;
use crate::source::Sources;

/// Bumped whenever what the manifest means changes; a manifest of another format is ignored.
const FORMAT: u32 = 1;

/// What the last build wrote.
#[derive(Debug, Default)]
pub(crate) struct Manifest {
    pub(crate) key: Option<u128>,
    pub(crate) fresh_until: Option<jiff::Timestamp>,
    pub(crate) pages: usize,
    pub(crate) left_out: crate::site::LeftOut,
    pub(crate) warnings: Vec<crate::error::Diagnostic>,
    pub(crate) files: HashMap<String, FileRecord>,
    folders: Vec<(String, u64)>,
    top: BTreeSet<String>,
}

/// One file the last build wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileRecord {
    /// [`output_hash`] of what was written.
    pub(crate) hash: u128,
    /// [`fingerprint_of`] the file after the build.
    pub(crate) meta: u64,
}

/// The manifest as stored: JSON, hashes in hexadecimal.
#[derive(Serialize, Deserialize)]
struct Stored {
    format: u32,
    key: Option<String>,
    fresh_until: Option<String>,
    pages: usize,
    #[serde(default)]
    left_out: crate::site::LeftOut,
    #[serde(default)]
    warnings: Vec<crate::error::Diagnostic>,
    top: Vec<String>,
    folders: Vec<(String, String)>,
    files: Vec<(String, String, String)>,
}

impl Manifest {
    /// The manifest in `dir`, if there is one this version of knead understands.
    pub(crate) fn read(dir: &Path) -> Option<Manifest> {
        let path = dir.join(MANIFEST);
        // The manifest is knead's own: a link or anything but a plain file is not trusted.
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            return None;
        }
        let stored: Stored = serde_json::from_slice(&fs::read(&path).ok()?).ok()?;
        if stored.format != FORMAT {
            return None;
        }
        let hex128 = |s: &str| u128::from_str_radix(s, 16).ok();
        let hex64 = |s: &str| u64::from_str_radix(s, 16).ok();
        let mut files = HashMap::with_capacity(stored.files.len());
        for (rel, hash, meta) in stored.files {
            let record = FileRecord {
                hash: hex128(&hash)?,
                meta: hex64(&meta)?,
            };
            files.insert(rel, record);
        }
        let folders = stored
            .folders
            .into_iter()
            .map(|(rel, meta)| Some((rel, hex64(&meta)?)))
            .collect::<Option<Vec<_>>>()?;
        let key = match stored.key {
            Some(key) => Some(hex128(&key)?),
            None => None,
        };
        let fresh_until = match stored.fresh_until {
            Some(at) => Some(at.parse().ok()?),
            None => None,
        };
        Some(Manifest {
            key,
            fresh_until,
            pages: stored.pages,
            left_out: stored.left_out,
            warnings: stored.warnings,
            files,
            folders,
            top: stored.top.into_iter().collect(),
        })
    }

    /// Whether every file and folder the last build left is still as it left them, and
    /// nothing was added at the top of `dir`.
    pub(crate) fn still_there(&self, dir: &Path) -> bool {
        let Ok(entries) = fs::read_dir(dir) else {
            return false;
        };
        let mut top = BTreeSet::new();
        for entry in entries {
            let Ok(entry) = entry else { return false };
            let name = entry.file_name().to_string_lossy().into_owned();
            if name != MARKER && name != MANIFEST {
                top.insert(name);
            }
        }
        top == self.top
            && self
                .folders
                .par_iter()
                .all(|(rel, meta)| fingerprint_of(&dir.join(rel)) == Some(*meta))
            && self
                .files
                .par_iter()
                .all(|(rel, file)| fingerprint_of(&dir.join(rel)) == Some(file.meta))
    }

    /// Records what a build just wrote into `dir`, writing it first to `temp` (on the same file
    /// system) and moving it in. A manifest that cannot be written is removed, never left out of
    /// date: the next build then compares bytes.
    pub(crate) fn record(dir: &Path, entries: &[Entry], stamp: &Stamp, temp: &Path) {
        let files: Vec<(String, String, String)> = entries
            .par_iter()
            .filter_map(|entry| {
                let meta = entry
                    .meta
                    .or_else(|| fingerprint_of(&dir.join(&entry.rel)))?;
                Some((
                    entry.rel.clone(),
                    format!("{:032x}", entry.hash),
                    format!("{meta:016x}"),
                ))
            })
            .collect();
        let mut folders = BTreeSet::new();
        let mut top = BTreeSet::new();
        for entry in entries {
            if let Some(first) = entry.rel.split('/').next() {
                top.insert(first.to_owned());
            }
            // Every folder on the way to the file: `a`, `a/b`, ...
            let mut at = 0;
            while let Some(slash) = entry.rel[at..].find('/') {
                folders.insert(&entry.rel[..at + slash]);
                at += slash + 1;
            }
        }
        let folders: Vec<(String, String)> = folders
            .into_par_iter()
            .filter_map(|rel| {
                let meta = fingerprint_of(&dir.join(rel))?;
                Some((rel.to_owned(), format!("{meta:016x}")))
            })
            .collect();
        let stored = Stored {
            format: FORMAT,
            key: stamp.key.map(|key| format!("{key:032x}")),
            fresh_until: stamp.fresh_until.map(|at| at.to_string()),
            pages: stamp.pages,
            left_out: stamp.left_out.clone(),
            warnings: stamp.warnings.clone(),
            top: top.into_iter().collect(),
            folders,
            files,
        };
        let path = dir.join(MANIFEST);
        let written = serde_json::to_vec(&stored)
            .map_err(io::Error::other)
            .and_then(|json| {
                let mut file = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(temp)?;
                io::Write::write_all(&mut file, &json)
            })
            .and_then(|()| {
                super::stop_here("manifest");
                fs::rename(temp, &path)
            });
        if written.is_err() {
            let _ = fs::remove_file(temp);
            let _ = fs::remove_file(&path);
        }
    }
}

/// A hash of what an output holds: its bytes, or for a file copied from disk the identity and
/// metadata of that file (size, modification time), as rsync's quick check does.
pub(crate) fn output_hash(output: &Output) -> io::Result<u128> {
    match output {
        Output::Bytes(bytes) => Ok(xxh3_128(bytes)),
        Output::Embedded(bytes) => Ok(xxh3_128(bytes)),
        Output::File(source) => {
            let meta = fs::metadata(source)?;
            let mut hasher = Xxh3::new();
            hasher.update(b"copied file\0");
            hasher.update(source.as_os_str().as_encoded_bytes());
            hasher.update(&[0]);
            hasher.update(&meta_bytes(&meta));
            Ok(hasher.digest128())
        }
    }
}

/// A fingerprint of what is at `path` (not following a link): kind, size, times, inode. Any
/// write, replacement or new entry in a folder changes it.
pub(crate) fn fingerprint_of(path: &Path) -> Option<u64> {
    fs::symlink_metadata(path)
        .ok()
        .map(|meta| fingerprint(&meta))
}

/// [`fingerprint_of`] from metadata already at hand.
pub(crate) fn fingerprint(meta: &fs::Metadata) -> u64 {
    xxh3_64(&meta_bytes(meta))
}

fn meta_bytes(meta: &fs::Metadata) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(64);
    let kind: u8 = if meta.is_dir() {
        1
    } else if meta.file_type().is_symlink() {
        2
    } else {
        3
    };
    bytes.push(kind);
    bytes.extend(meta.len().to_le_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        for n in [
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec(),
        ] {
            bytes.extend(n.to_le_bytes());
        }
        bytes.extend(meta.ino().to_le_bytes());
        bytes.extend(meta.dev().to_le_bytes());
    }
    #[cfg(not(unix))]
    {
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .unwrap_or_default();
        bytes.extend(modified.as_nanos().to_le_bytes());
    }
    bytes
}

/// A key of everything a build reads: the knead binary, the options that change the output,
/// `site.toml`, every content file, every template, and the identity and metadata of every
/// copied file. Templates cannot read the clock or the environment (Tera 2 has no `now()` or
/// `get_env()`), so these are all the output depends on, besides the moment, which
/// [`Stamp::fresh_until`] covers. `None` when the sources have errors.
pub fn source_key(sources: &Sources, options: &BuildOptions) -> Option<u128> {
    if sources.diagnostics.has_errors() {
        return None;
    }
    let mut hasher = Xxh3::new();
    let mut put = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    put(b"knead source key 2");
    put(env!("CARGO_PKG_VERSION").as_bytes());
    let exe = std::env::current_exe().ok()?;
    put(&meta_bytes(&fs::metadata(exe).ok()?));
    put(&[u8::from(options.drafts), u8::from(options.future)]);
    put(options.base_url.as_deref().unwrap_or("\0none").as_bytes());
    put(sources.config_text.as_bytes());
    // Each file's text hashed on its own, on every core (tens of megabytes on a large site).
    let digests: Vec<u128> = sources
        .content
        .par_iter()
        .map(|file| xxh3_128(&file.bytes))
        .collect();
    for (file, digest) in sources.content.iter().zip(digests) {
        put(file.rel.as_bytes());
        put(&digest.to_le_bytes());
    }
    for (name, text) in &sources.templates {
        put(name.as_bytes());
        put(text.as_bytes());
    }
    for (folder, files) in [
        ("content", &sources.content_assets),
        ("static", &sources.static_files),
    ] {
        put(folder.as_bytes());
        for file in files {
            put(file.rel.as_bytes());
            put(file.path.as_os_str().as_encoded_bytes());
            put(&meta_bytes(&fs::metadata(&file.path).ok()?));
        }
    }
    Some(hasher.digest128())
}
