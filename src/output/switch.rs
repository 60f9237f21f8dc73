//! Whole old site or whole new site: the new site is built in a hidden folder beside the output
//! folder (`.public.knead-<pid>-<n>` beside `public/`), unchanged files hard-linked from the
//! old one, and the two folders are switched in one step (`renameat2` with `RENAME_EXCHANGE`).
//! Then the old site, now in the hidden folder, is removed.
//!
//! Where that cannot work (another file system than its parent's, a parent nobody may write, a
//! file system or system without the exchange), the writer works inside the output folder
//! instead (see [`super::Writer`]), which keeps each file whole but not the site.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use rayon::prelude::*;

use super::{TEMP_COUNTER, remove_any};

/// The start of the names of the hidden folders beside `dir`: `.{name}.knead-`.
fn prefix(dir: &Path) -> Option<OsString> {
    let mut prefix = OsString::from(".");
    prefix.push(dir.file_name()?);
    prefix.push(".knead-");
    Some(prefix)
}

/// Removes what builds killed before they finished left beside `dir` (the caller holds the
/// output folder's lock, so no build is using them). Returns what could not be removed.
pub(super) fn remove_leftovers(dir: &Path) -> Vec<(PathBuf, io::Error)> {
    let (Some(parent), Some(prefix)) = (dir.parent(), prefix(dir)) else {
        return Vec::new();
    };
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let prefix = prefix.as_encoded_bytes();
    entries
        .flatten()
        .filter(|entry| entry.file_name().as_encoded_bytes().starts_with(prefix))
        .filter_map(|entry| remove_old(&entry.path(), &|_| true).1)
        .collect()
}

/// Makes a new hidden folder beside `dir` for the new site, when the switch can work there:
/// the same file system, and one that can exchange two folders. `None` otherwise.
pub(super) fn make_beside(dir: &Path) -> Option<PathBuf> {
    let mut name = prefix(dir)?;
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    name.push(format!("{}-{n}", std::process::id()));
    let beside = dir.parent()?.join(name);
    fs::create_dir(&beside).ok()?;
    let works = same_file_system(dir, &beside) && can_exchange(&beside);
    let permissions = fs::metadata(dir).map(|meta| meta.permissions());
    if !works
        || permissions
            .and_then(|p| fs::set_permissions(&beside, p))
            .is_err()
    {
        let _ = remove_any(&beside);
        return None;
    }
    Some(beside)
}

#[cfg(unix)]
fn same_file_system(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    matches!((fs::metadata(a), fs::metadata(b)), (Ok(a), Ok(b)) if a.dev() == b.dev())
}

#[cfg(not(unix))]
fn same_file_system(_: &Path, _: &Path) -> bool {
    false
}

/// Whether the file system of `folder` exchanges two folders: tried on two empty ones in it.
fn can_exchange(folder: &Path) -> bool {
    let (a, b) = (folder.join("a"), folder.join("b"));
    let works =
        fs::create_dir(&a).is_ok() && fs::create_dir(&b).is_ok() && exchange(&a, &b).is_ok();
    let _ = (fs::remove_dir(a), fs::remove_dir(b));
    works
}

/// Exchanges the folders `a` and `b` in one step: at no moment is either name missing.
#[cfg(target_os = "linux")]
pub(super) fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are NUL-terminated strings that live across the call.
    let result = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
pub(super) fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Removes the folder `old` with everything in it, never following a link. Returns how many
/// of its files `kept` does not name (by their path inside `old`, with `/`), and the first thing
/// that could not be removed, if any (the rest is removed all the same). The files go in
/// parallel, then the folders, deepest first.
pub(super) fn remove_old(
    old: &Path,
    kept: &(dyn Fn(&str) -> bool + Sync),
) -> (usize, Option<(PathBuf, io::Error)>) {
    let mut failed = Vec::new();
    let mut files = Vec::new();
    let mut folders: Vec<(usize, PathBuf)> = Vec::new();
    for entry in walkdir::WalkDir::new(old) {
        match entry {
            Ok(entry) if entry.file_type().is_dir() => {
                folders.push((entry.depth(), entry.into_path()));
            }
            Ok(entry) => files.push(entry.into_path()),
            Err(err) => {
                let path = err.path().unwrap_or(old).to_path_buf();
                failed.push((path, err.into()));
            }
        }
    }
    let is_stale = |path: &Path| {
        let rel = path.strip_prefix(old).ok().and_then(Path::to_str);
        !rel.is_some_and(|rel| kept(&rel.replace(std::path::MAIN_SEPARATOR, "/")))
    };
    let stale = files.iter().filter(|path| is_stale(path)).count();
    let remove = |path: &PathBuf, remove: fn(&Path) -> io::Result<()>| {
        let removed = remove(path).map_err(|err| (path.clone(), err));
        super::stop_here("removing");
        removed.err()
    };
    failed.par_extend(
        files
            .par_iter()
            .with_min_len(64)
            .filter_map(|path| remove(path, |p| fs::remove_file(p))),
    );
    folders.sort_by_key(|(depth, _)| std::cmp::Reverse(*depth));
    for level in folders.chunk_by(|a, b| a.0 == b.0) {
        failed.par_extend(
            level
                .par_iter()
                .with_min_len(64)
                .filter_map(|(_, path)| remove(path, |p| fs::remove_dir(p))),
        );
    }
    (stale, failed.into_iter().next())
}
