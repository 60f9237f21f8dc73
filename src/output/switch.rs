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
        .filter_map(|entry| {
            let path = entry.path();
            remove_any(&path).err().map(|err| (first_left(&path), err))
        })
        .collect()
}

/// The first file still in the folder `path` (what could not be removed), or `path` itself.
fn first_left(path: &Path) -> PathBuf {
    walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(Result::ok)
        .find(|entry| !entry.file_type().is_dir())
        .map_or_else(|| path.to_path_buf(), walkdir::DirEntry::into_path)
}

/// Makes a new hidden folder beside `dir` for the new site, when the switch can work there:
/// the same file system, and one that can exchange two folders. `None` otherwise.
pub(super) fn make_beside(dir: &Path) -> Option<PathBuf> {
    let mut name = prefix(dir)?;
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    name.push(format!("{}-{n}", std::process::id()));
    let beside = dir.parent()?.join(name);
    fs::create_dir(&beside).ok()?;
    let works =
        same_file_system(dir, &beside) && can_exchange(&beside) && same_owner(dir, &beside).is_ok();
    if !works {
        let _ = remove_any(&beside);
        return None;
    }
    Some(beside)
}

/// Gives `beside` the owner, group and mode (with its setgid bit, so that what is made in it
/// takes the group too) of `dir`, which it replaces: a site a web server reads through its group
/// stays readable. Access control lists are not copied.
fn same_owner(dir: &Path, beside: &Path) -> io::Result<()> {
    let meta = fs::metadata(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let ours = fs::metadata(beside)?;
        if (ours.uid(), ours.gid()) != (meta.uid(), meta.gid()) {
            std::os::unix::fs::chown(beside, Some(meta.uid()), Some(meta.gid()))?;
        }
    }
    fs::set_permissions(beside, meta.permissions())
}

/// Whether `a` and `b` are on one file system and one mount of it: the output folder may be a
/// mount point (a bind mount of a folder of the same disk), which cannot be renamed.
#[cfg(unix)]
fn same_file_system(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    matches!((fs::metadata(a), fs::metadata(b)), (Ok(a), Ok(b)) if a.dev() == b.dev())
        && mount_id(a) == mount_id(b)
}

/// The id of the mount `path` is on (Linux 5.8 and later), from `statx`.
#[cfg(target_os = "linux")]
fn mount_id(path: &Path) -> Option<u64> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let path = CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statx fills `found`, a plain struct of integers, and reads the NUL-terminated path.
    let mut found: libc::statx = unsafe { std::mem::zeroed() };
    let result = unsafe {
        libc::syscall(
            libc::SYS_statx,
            libc::AT_FDCWD,
            path.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
            libc::STATX_MNT_ID,
            &mut found as *mut libc::statx,
        )
    };
    (result == 0 && found.stx_mask & libc::STATX_MNT_ID != 0).then_some(found.stx_mnt_id)
}

#[cfg(all(unix, not(target_os = "linux")))]
fn mount_id(_: &Path) -> Option<u64> {
    None
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

/// Removes the folder `old` with everything in it, never following a link, also when links are
/// put in its place meanwhile (`fs::remove_dir_all` works from open folders, not from paths).
/// Returns how many of its files `kept` does not name (by their path inside `old`, with `/`),
/// and what could not be removed, if anything.
pub(super) fn remove_old(
    old: &Path,
    kept: &dyn Fn(&str) -> bool,
) -> (usize, Option<(PathBuf, io::Error)>) {
    // Counted by a walk that only reads.
    let stale = walkdir::WalkDir::new(old)
        .min_depth(1)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| !entry.file_type().is_dir())
        .filter(|entry| {
            let rel = entry.path().strip_prefix(old).ok().and_then(Path::to_str);
            !rel.is_some_and(|rel| kept(&rel.replace(std::path::MAIN_SEPARATOR, "/")))
        })
        .count();
    super::stop_here("removing");
    match fs::remove_dir_all(old) {
        Ok(()) => (stale, None),
        Err(err) => (stale, Some((first_left(old), err))),
    }
}
