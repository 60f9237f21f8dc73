//! Where the writer may write. Every build deletes what it does not produce, so an output folder
//! that holds someone's work (the site itself, the home folder, `/`, a folder knead did not make)
//! must be refused before anything is written, and every file the writer stages must stay inside
//! the output folder, also when the path or a folder on its way is odd (`..`, a link).

use std::fs;
use std::path::{Component, Path, PathBuf};

use super::MARKER;
use crate::error::{Error, Result};

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
    // `$HOME`, and the home folder the system's user database gives (what `home_dir` returns
    // when `$HOME` is unset or empty): with `$HOME` unset, only the first would protect nothing.
    let homes = [
        std::env::var_os("HOME").map(PathBuf::from),
        std::env::home_dir(),
    ];
    for home in homes
        .into_iter()
        .flatten()
        .filter(|h| !h.as_os_str().is_empty())
    {
        protected.push((resolve(&home)?, "your home folder".to_owned()));
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
        let entries = fs::read_dir(&out).map_err(|e| Error::io("failed to read", &out, e))?;
        let names: Vec<_> = entries.flatten().map(|entry| entry.file_name()).collect();
        // The marker may have come since it was looked for: another build just began here.
        if !names.is_empty() && !names.iter().any(|name| name == MARKER) {
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
    resolve_within(path, 0)
}

/// [`resolve`], `hops` links deep: a loop of links ends after 40, as the system's own lookups do.
fn resolve_within(path: &Path, hops: usize) -> Result<PathBuf> {
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
                if fs::symlink_metadata(&resolved).is_ok_and(|m| m.file_type().is_symlink()) {
                    if let Ok(real) = resolved.canonicalize() {
                        resolved = real;
                    } else if hops < 40
                        && let Ok(target) = fs::read_link(&resolved)
                    {
                        // A link to a folder that does not exist yet: the output goes where
                        // it leads, and is made there.
                        let base = resolved.parent().map(Path::to_path_buf).unwrap_or_default();
                        resolved = resolve_within(&base.join(target), hops + 1)?;
                    }
                }
            }
        }
    }
    Ok(resolved)
}

/// Whether every folder on the way to `rel` inside `dir` is a real folder (not a link, not a
/// file, not missing), so that a file there is inside the output folder.
pub(super) fn parents_are_folders(dir: &Path, rel: &str) -> bool {
    let mut path = dir.to_path_buf();
    let mut parts = rel.split('/').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            return true;
        }
        path.push(part);
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            return false;
        }
    }
    true
}

pub(super) fn is_safe_relative(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.contains('\\')
        && !rel.contains('\0')
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
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
