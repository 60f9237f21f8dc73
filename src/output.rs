//! The safe writer: the only code that changes files, and only inside the output folder.
//!
//! It runs only after every other stage succeeded. Each file is written atomically (a temporary
//! file, then a rename), files whose bytes did not change are left alone (their modification
//! times stay, so deploys by rsync are fast), and files the build no longer produces are removed.
//! It refuses output folders where removing stale files would destroy someone's work.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use std::sync::atomic::{AtomicBool, Ordering};

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
///
/// In two phases, so that a failure (a full disk, a read-only file, an interrupt) leaves the
/// previous output as it was: first every changed file is written to a temporary file beside
/// its target; only when all of them are written are they renamed into place, which cannot
/// half-fail for lack of space. Two builds writing to one folder at once are refused by a lock.
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
    let _lock = lock(dir)?;
    WRITING.store(true, Ordering::SeqCst);
    let result = write_locked(outputs, dir);
    WRITING.store(false, Ordering::SeqCst);
    result
}

fn write_locked(outputs: &Outputs, dir: &Path) -> Result<WriteReport> {
    make_folders(outputs, dir)?;
    let staged: Vec<Result<Option<Staged>>> = outputs
        .0
        .par_iter()
        .map(|(rel, output)| {
            if INTERRUPTED.load(Ordering::SeqCst) {
                return Err(Error::Interrupted);
            }
            stage(&dir.join(rel), output)
        })
        .collect();
    let mut report = WriteReport::default();
    let mut ready = Vec::new();
    let mut failure = None;
    for result in staged {
        match result {
            Ok(Some(staged)) => ready.push(staged),
            Ok(None) => report.unchanged += 1,
            Err(err) => {
                failure.get_or_insert(err);
            }
        }
    }
    if INTERRUPTED.load(Ordering::SeqCst) {
        failure.get_or_insert(Error::Interrupted);
    }
    if let Some(err) = failure {
        for staged in &ready {
            let _ = fs::remove_file(&staged.temp);
        }
        return Err(err);
    }
    // Renames cannot fail for lack of space; done in parallel, like the writes.
    let renamed: Vec<Result<()>> = ready
        .par_iter()
        .map(|staged| {
            // A folder left where a file now goes (the site changed shape) gives way.
            if fs::symlink_metadata(&staged.target).is_ok_and(|m| m.is_dir()) {
                let _ = fs::remove_dir_all(&staged.target);
            }
            fs::rename(&staged.temp, &staged.target).map_err(|err| {
                let _ = fs::remove_file(&staged.temp);
                Error::io("failed to write", &staged.target, err)
            })
        })
        .collect();
    if let Some(err) = renamed.into_iter().find_map(Result::err) {
        return Err(err);
    }
    report.written = ready.len();
    if let Some(staged) = stage(&dir.join(MARKER), &Output::Embedded(MARKER_TEXT.as_bytes()))? {
        fs::rename(&staged.temp, &staged.target)
            .map_err(|e| Error::io("failed to write", &staged.target, e))?;
    }
    report.removed = remove_stale(outputs, dir)?;
    Ok(report)
}

/// Takes the output folder's lock (on the marker file, so the lock leaves nothing else in the
/// folder), or says that another build holds it.
fn lock(dir: &Path) -> Result<fs::File> {
    let path = dir.join(MARKER);
    let mut file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io("failed to create", &path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            return Err(Error::Busy {
                path: dir.to_path_buf(),
            });
        }
        Err(fs::TryLockError::Error(err)) => return Err(Error::io("failed to lock", &path, err)),
    }
    if file.metadata().is_ok_and(|m| m.len() == 0) {
        io::Write::write_all(&mut file, MARKER_TEXT.as_bytes())
            .map_err(|e| Error::io("failed to write", &path, e))?;
    }
    Ok(file)
}

/// Set while files are being written: an interrupt then waits for a safe point.
static WRITING: AtomicBool = AtomicBool::new(false);
/// Set by an interrupt during writing: the writer stops, cleans up and reports it.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Makes Ctrl-C and SIGTERM safe for a build: before writing starts they stop the process at
/// once (nothing has been written); while writing, the writer finishes or undoes the files in
/// flight, removes its temporary files, and the build stops with an error. Signals are process
/// wide, hence the two statics: this is the one piece of global state, and only the command
/// line calls it.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if WRITING.load(Ordering::SeqCst) {
            INTERRUPTED.store(true, Ordering::SeqCst);
        } else {
            std::process::exit(130);
        }
    });
}

/// A changed file, written to `temp`, waiting to be renamed to `target`.
struct Staged {
    temp: PathBuf,
    target: PathBuf,
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
    // Level by level, so each folder's parent exists; each level in parallel.
    let mut by_depth: BTreeMap<usize, Vec<&Path>> = BTreeMap::new();
    for folder in folders {
        by_depth
            .entry(folder.components().count())
            .or_default()
            .push(folder);
    }
    for level in by_depth.values() {
        level
            .par_iter()
            .map(|folder| make_folder(&dir.join(folder)))
            .collect::<Result<Vec<()>>>()?;
    }
    Ok(())
}

fn make_folder(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => fs::remove_file(path).map_err(|e| Error::io("failed to remove", path, e))?,
        Err(_) => {}
    }
    fs::create_dir(path).map_err(|e| Error::io("failed to create the folder", path, e))
}

fn is_safe_relative(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.contains('\\')
        && !rel.contains('\0')
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// Writes one file's new content to a temporary file beside it, unless the file already has
/// these bytes (then `None`).
fn stage(path: &Path, output: &Output) -> Result<Option<Staged>> {
    let same = match output {
        Output::Bytes(bytes) => same_bytes(path, bytes),
        Output::Embedded(bytes) => same_bytes(path, bytes),
        Output::File(source) => same_file(path, source),
    };
    if same {
        return Ok(None);
    }
    // A short name of its own (not the target's name plus a suffix, which could pass the
    // 255-byte limit), created new so that nothing already there is followed or overwritten.
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp = path.with_file_name(format!(".knead-tmp-{}-{n}", std::process::id()));
    let result = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .and_then(|mut file| match output {
            Output::Bytes(bytes) => io::Write::write_all(&mut file, bytes),
            Output::Embedded(bytes) => io::Write::write_all(&mut file, bytes),
            Output::File(source) => io::copy(&mut fs::File::open(source)?, &mut file).map(|_| ()),
        });
    match result {
        Ok(()) => Ok(Some(Staged {
            temp,
            target: path.to_path_buf(),
        })),
        Err(err) => {
            if err.kind() != io::ErrorKind::AlreadyExists {
                let _ = fs::remove_file(&temp);
            }
            Err(Error::io("failed to write", path, err))
        }
    }
}

/// Numbers the temporary files of one process.
static TEMP_COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

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
        .chain([MARKER])
        .collect();
    let is_kept = |path: &Path| {
        let Some(rel) = path.strip_prefix(dir).ok().and_then(Path::to_str) else {
            return false;
        };
        if std::path::MAIN_SEPARATOR == '/' {
            keep.contains(rel)
        } else {
            keep.contains(rel.replace(std::path::MAIN_SEPARATOR, "/").as_str())
        }
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

    fn outputs(files: &[(&str, Output)]) -> Outputs {
        Outputs(
            files
                .iter()
                .map(|(path, output)| ((*path).to_owned(), output.clone()))
                .collect(),
        )
    }

    fn bytes(text: &str) -> Output {
        Output::Bytes(std::sync::Arc::new(text.as_bytes().to_vec()))
    }

    fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e
                    .path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                (rel, fs::read(e.path()).unwrap())
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn a_failed_write_leaves_the_previous_output_byte_identical() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let first = outputs(&[
            ("index.html", bytes("old home")),
            ("a/index.html", bytes("old a")),
        ]);
        write(&first, &out).unwrap();
        let before = listing(&out);
        // The second build changes both pages, but one copied file has vanished meanwhile:
        // nothing may change, and no temporary file may stay behind.
        let second = outputs(&[
            ("index.html", bytes("new home")),
            ("a/index.html", bytes("new a")),
            ("logo.png", Output::File(dir.path().join("missing.png"))),
        ]);
        let err = write(&second, &out).unwrap_err();
        assert!(err.to_string().contains("logo.png"), "{err}");
        assert_eq!(listing(&out), before);
    }

    #[test]
    fn writing_twice_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let site = outputs(&[
            ("index.html", bytes("home")),
            ("b/c/index.html", bytes("c")),
        ]);
        let first = write(&site, &out).unwrap();
        assert_eq!(first.written, 2);
        let once = listing(&out);
        let second = write(&site, &out).unwrap();
        assert_eq!(
            (second.written, second.unchanged, second.removed),
            (0, 2, 0)
        );
        assert_eq!(listing(&out), once);
    }

    #[test]
    fn a_second_build_writing_the_same_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        fs::create_dir_all(&out).unwrap();
        let held = lock(&out).unwrap();
        let err = write(&outputs(&[("index.html", bytes("x"))]), &out).unwrap_err();
        assert!(matches!(err, Error::Busy { .. }), "{err}");
        assert!(!out.join("index.html").exists());
        drop(held);
        write(&outputs(&[("index.html", bytes("x"))]), &out).unwrap();
    }

    #[test]
    fn relative_output_paths_must_stay_inside() {
        assert!(is_safe_relative("blog/post/index.html"));
        for bad in ["", "../x", "/etc/passwd", "a/../../b", "a\\b", "./a"] {
            assert!(!is_safe_relative(bad), "{bad:?}");
        }
    }
}
