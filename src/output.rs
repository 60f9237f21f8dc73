//! The safe writer: the only code that changes files, and only inside the output folder.
//!
//! It runs only after every other stage succeeded. Each file is written atomically (a temporary
//! file, then a rename), files whose bytes did not change are left alone (their modification
//! times stay, so deploys by rsync are fast), and files the build no longer produces are removed.
//! It refuses output folders where removing stale files would destroy someone's work.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::render::{Output, Outputs};

/// The file that marks a folder as knead's output, so that later builds may empty it.
pub const MARKER: &str = ".knead-output";

const MARKER_TEXT: &str = "This folder is written by knead. Every build replaces its contents:\n\
do not keep other files here.\n";

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or changed.
    pub written: usize,
    /// Files whose bytes were already right.
    pub unchanged: usize,
    /// Files removed because the build no longer produces them.
    pub removed: usize,
}

/// Checks that `output` is a folder knead may fill and empty, and returns it made absolute.
///
/// Refused: the site root, `content/`, `templates/`, `static/`, the home folder, `/`, any folder
/// that contains one of them or lies inside `content/`, `templates/` or `static/`; and an
/// existing, non-empty folder that has no marker file (unless `force`), except the default
/// `public/` inside the site root.
pub fn check_output_dir(root: &Path, output: &Path, force: bool) -> Result<PathBuf> {
    let root = resolve(root)?;
    let out = resolve(output)?;
    let refuse = |reason: String| Error::UnsafeOutput {
        path: output.to_path_buf(),
        reason,
    };
    let mut protected = vec![
        (PathBuf::from("/"), "the root of the file system".to_owned()),
        (root.clone(), "the site's own folder".to_owned()),
    ];
    for folder in ["content", "templates", "static"] {
        protected.push((root.join(folder), format!("the site's `{folder}/` folder")));
    }
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        protected.push((resolve(Path::new(&home))?, "your home folder".to_owned()));
    }
    for (path, what) in &protected {
        if out == *path {
            return Err(refuse(format!(
                "it is {what}, and every build deletes the files it does not produce; \
                 choose an empty folder such as `public`"
            )));
        }
        if path.starts_with(&out) {
            return Err(refuse(format!(
                "it contains {what}, and every build deletes the files it does not produce; \
                 choose an empty folder such as `public`"
            )));
        }
    }
    for folder in ["content", "templates", "static"] {
        if out.starts_with(root.join(folder)) {
            return Err(refuse(format!(
                "it is inside the site's `{folder}/` folder, which knead reads from; \
                 choose a folder outside it, such as `public`"
            )));
        }
    }
    if out.exists() && !out.is_dir() {
        return Err(refuse("it is a file, not a folder".into()));
    }
    let is_default = out == root.join("public");
    if out.is_dir() && !is_default && !force && !out.join(MARKER).exists() {
        let mut entries = fs::read_dir(&out).map_err(|e| Error::io("failed to read", &out, e))?;
        if entries.next().is_some() {
            return Err(refuse(format!(
                "it is not empty and was not made by knead (it has no `{MARKER}` file), so a \
                 build could delete files you want to keep; choose an empty folder, or pass \
                 --force if everything in it may be deleted"
            )));
        }
    }
    Ok(out)
}

/// Makes `path` absolute, resolving `.`, `..` and symbolic links component by component, so
/// that a folder is recognised however it is spelled, also through folders that do not exist
/// yet (`public/../content` is `content` even before `public/` is created).
fn resolve(path: &Path) -> Result<PathBuf> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| Error::io("failed to read the current folder", path, e))?
            .join(path)
    };
    let mut resolved = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => resolved.push(component),
            Component::CurDir => {}
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(name) => {
                resolved.push(name);
                // Resolve symbolic links as soon as they appear, so a later `..` leaves the
                // real folder, as the operating system would.
                if fs::symlink_metadata(&resolved).is_ok_and(|m| m.file_type().is_symlink())
                    && let Ok(real) = resolved.canonicalize()
                {
                    resolved = real;
                }
            }
        }
    }
    Ok(resolved)
}

/// Writes `outputs` into `dir` (already checked by [`check_output_dir`]).
pub fn write(outputs: &Outputs, dir: &Path) -> Result<WriteReport> {
    fs::create_dir_all(dir).map_err(|e| Error::io("failed to create", dir, e))?;
    for rel in outputs.0.keys() {
        if !is_safe_relative(rel) {
            return Err(Error::io(
                "refusing to write",
                &dir.join(rel),
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the path leaves the output folder",
                ),
            ));
        }
    }
    make_folders(outputs, dir)?;
    let results: Vec<Result<bool>> = outputs
        .0
        .par_iter()
        .map(|(rel, output)| write_one(&dir.join(rel), output))
        .collect();
    let mut report = WriteReport::default();
    for result in results {
        if result? {
            report.written += 1;
        } else {
            report.unchanged += 1;
        }
    }
    write_one(&dir.join(MARKER), &Output::Embedded(MARKER_TEXT.as_bytes()))?;
    report.removed = remove_stale(outputs, dir)?;
    Ok(report)
}

/// Creates every folder the outputs need, parents first. A symbolic link or a file where a
/// folder must be is removed first (the output folder is knead's), so nothing is ever written
/// through a link to somewhere else.
fn make_folders(outputs: &Outputs, dir: &Path) -> Result<()> {
    let mut folders = std::collections::BTreeSet::new();
    for rel in outputs.0.keys() {
        let mut parent = Path::new(rel.as_str()).parent();
        while let Some(folder) = parent.filter(|p| !p.as_os_str().is_empty()) {
            if !folders.insert(folder) {
                break;
            }
            parent = folder.parent();
        }
    }
    // Sorted paths put each folder before the folders inside it.
    for folder in folders {
        let path = dir.join(folder);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => continue,
            Ok(_) => fs::remove_file(&path).map_err(|e| Error::io("failed to remove", &path, e))?,
            Err(_) => {}
        }
        fs::create_dir(&path).map_err(|e| Error::io("failed to create the folder", &path, e))?;
    }
    Ok(())
}

fn is_safe_relative(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.contains('\\')
        && !rel.contains('\0')
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// Writes one file unless it already has these bytes. Returns whether it wrote.
fn write_one(path: &Path, output: &Output) -> Result<bool> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| Error::io("failed to create the folder", parent, e))?;
    }
    let same = match output {
        Output::Bytes(bytes) => same_bytes(path, bytes),
        Output::Embedded(bytes) => same_bytes(path, bytes),
        Output::File(source) => same_file(path, source),
    };
    if same {
        return Ok(false);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.knead-tmp-{}", std::process::id()));
    let result = match output {
        Output::Bytes(bytes) => fs::write(&temp, bytes),
        Output::Embedded(bytes) => fs::write(&temp, bytes),
        Output::File(source) => fs::copy(source, &temp).map(|_| ()),
    };
    if let Err(err) = result {
        let _ = fs::remove_file(&temp);
        return Err(Error::io("failed to write", path, err));
    }
    if let Err(err) = fs::rename(&temp, path) {
        let _ = fs::remove_file(&temp);
        return Err(Error::io("failed to write", path, err));
    }
    Ok(true)
}

fn same_bytes(path: &Path, bytes: &[u8]) -> bool {
    // A symbolic link is never "the same": it is replaced by a real file.
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == bytes.len() as u64 => {
            fs::read(path).is_ok_and(|existing| existing == bytes)
        }
        _ => false,
    }
}

fn same_file(path: &Path, source: &Path) -> bool {
    let (Ok(a), Ok(b)) = (fs::symlink_metadata(path), fs::metadata(source)) else {
        return false;
    };
    if !a.is_file() || a.len() != b.len() {
        return false;
    }
    let (Ok(mut x), Ok(mut y)) = (fs::File::open(path), fs::File::open(source)) else {
        return false;
    };
    let mut bx = vec![0u8; 64 * 1024];
    let mut by = vec![0u8; 64 * 1024];
    loop {
        let (Ok(n), Ok(m)) = (read_full(&mut x, &mut bx), read_full(&mut y, &mut by)) else {
            return false;
        };
        if n != m || bx[..n] != by[..m] {
            return false;
        }
        if n == 0 {
            return true;
        }
    }
}

fn read_full(file: &mut fs::File, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Removes files under `dir` that the build did not produce, then empty folders. Never follows
/// symbolic links: a link is removed as a link.
fn remove_stale(outputs: &Outputs, dir: &Path) -> Result<usize> {
    let keep: HashSet<&str> = outputs
        .0
        .keys()
        .map(String::as_str)
        .chain(std::iter::once(MARKER))
        .collect();
    let is_kept = |path: &Path| {
        path.strip_prefix(dir)
            .ok()
            .and_then(Path::to_str)
            .is_some_and(|rel| keep.contains(rel.replace('\\', "/").as_str()))
    };
    let mut removed = 0;
    let mut folders = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(false).min_depth(1) {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_path_buf();
            Error::io("failed to read", &path, e.into())
        })?;
        if entry.file_type().is_dir() {
            folders.push(entry.path().to_path_buf());
        } else if !is_kept(entry.path()) {
            fs::remove_file(entry.path())
                .map_err(|e| Error::io("failed to remove", entry.path(), e))?;
            removed += 1;
        }
    }
    // Deepest first, so a folder is empty once its subfolders are gone.
    folders.sort_by_key(|f| std::cmp::Reverse(f.components().count()));
    for folder in folders {
        if fs::read_dir(&folder).is_ok_and(|mut d| d.next().is_none()) {
            fs::remove_dir(&folder).map_err(|e| Error::io("failed to remove", &folder, e))?;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_output_paths_must_stay_inside() {
        assert!(is_safe_relative("blog/post/index.html"));
        for bad in ["", "../x", "/etc/passwd", "a/../../b", "a\\b", "./a"] {
            assert!(!is_safe_relative(bad), "{bad:?}");
        }
    }
}
