//! The safe writer: the only code that changes files, and only inside the output folder (and
//! one hidden folder beside it, during a build).
//!
//! It runs only after every other stage succeeded. The new site is built beside the old one and
//! the two are switched in one step (`switch`): at every moment, also after a crash, the output
//! folder holds the whole old site or the whole new one. Files whose bytes did not change are
//! hard links to the old ones (their modification times stay, so deploys by rsync are fast), and
//! files the build no longer produces go with the old site. It refuses output folders where
//! removing stale files would destroy someone's work.
//!
//! Where the switch cannot work, the writer works inside the output folder: each file is written
//! atomically (a temporary file, then a rename) and a failed commit is undone, but a crash in
//! the middle leaves a mix of whole old and new files, which the next build completes.
//!
//! Which folders and paths are safe to write is decided in `paths`, Ctrl-C and SIGTERM are
//! handled in `interrupts`, and what the last build wrote is recorded by [`manifest`].

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use rayon::prelude::*;

use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::render::{Output, Outputs};

mod interrupts;
pub mod manifest;
mod paths;
mod switch;

pub use interrupts::install_interrupt_handler;
use interrupts::{INTERRUPTS, Leave, interrupted};
use manifest::Manifest;
pub use paths::check_output_dir;
use paths::{is_safe_relative, parents_are_folders};

/// The file that marks a folder as knead's output, so that later builds may empty it.
pub const MARKER: &str = ".knead-output";

/// The file that records what the last build wrote (see [`manifest`]).
pub const MANIFEST: &str = ".knead-manifest";

const MARKER_TEXT: &str = "This folder is written by knead. Every build replaces its contents:\n\
do not keep other files here.\n";

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or changed.
    pub written: usize,
    /// Files whose bytes were already right.
    pub unchanged: usize,
    /// Files removed because the build no longer produces them.
    pub removed: usize,
    /// What the writer could not clean up (the old site, left beside the new one).
    pub warnings: Diagnostics,
}

/// Writes `outputs` into `dir` (already checked by [`check_output_dir`]): a [`Writer`] given
/// every output, then committed.
pub fn write(outputs: &Outputs, dir: &Path) -> Result<WriteReport> {
    let writer = Writer::open(dir)?;
    let entries = outputs
        .0
        .par_iter()
        .map(|(rel, output)| writer.put(rel, output))
        .collect::<Result<Vec<Entry>>>()?;
    writer.commit(entries, &Stamp::default())
}

/// Names of everything the writer creates for itself start with this, so that it can clean up
/// after a build that was killed.
const TEMP_PREFIX: &str = ".knead-tmp-";

/// The writer of one build: files are staged as they are rendered, and only
/// [`Writer::commit`] puts them in place, all together.
///
/// A changed file whose folder already exists is staged beside its target under a temporary
/// name; a file in a folder that does not exist yet goes into a shadow tree
/// (`.knead-tmp-stage-…`), whose new folders are then moved into place whole, one rename for a
/// whole new blog. Nothing in the output changes until the commit, and a commit that fails (or
/// is interrupted) puts back every file it replaced. A writer dropped without a commit removes
/// everything it staged, and the output folder too if it made it.
pub struct Writer {
    dir: PathBuf,
    /// The hidden folder beside `dir` where the new site is built, when it is built beside.
    beside: Option<PathBuf>,
    /// The lock on the new site's marker, so that the lock goes over with it.
    _beside_lock: Option<fs::File>,
    /// Leftovers of builds that were killed, which could not be removed.
    warnings: Vec<Diagnostic>,
    stage: PathBuf,
    backup: PathBuf,
    /// What the last build wrote, from its manifest.
    previous: Option<Manifest>,
    /// The output folder did not exist or was empty: nothing can be stale.
    fresh: bool,
    /// The writer made the output folder (and removes it if the build fails).
    created_dir: bool,
    /// The writer made the marker file (and removes it if the build fails).
    created_marker: bool,
    /// Temporary files staged beside their targets, to remove if the build fails.
    temps: Mutex<Vec<PathBuf>>,
    /// The output's folders this build made or moved something in, with their times before:
    /// put back if the build fails.
    folders: FolderTimes,
    committed: bool,
    _lock: fs::File,
}

/// What the writer did with one output.
#[derive(Debug)]
pub struct Entry {
    rel: String,
    hash: u128,
    staged: Option<Staged>,
    /// The file's fingerprint ([`manifest::fingerprint_of`]) where it is known to stay as
    /// written: taken from the open file, not looked up by path again after the commit.
    meta: Option<u64>,
}

#[derive(Debug)]
enum Staged {
    /// A temporary file in the target's folder.
    Beside(PathBuf),
    /// A file in the shadow tree, at the same relative path.
    Shadow,
}

/// What the manifest records about a build besides its files: see [`manifest`].
#[derive(Debug, Clone, Default)]
pub struct Stamp {
    /// The fingerprint of everything the build read ([`manifest::source_key`]); `None` when a
    /// rebuild may not be skipped.
    pub key: Option<u128>,
    /// When the build's output will change though its sources do not (a scheduled post is due).
    pub fresh_until: Option<jiff::Timestamp>,
    /// HTML pages rendered.
    pub pages: usize,
    /// What the build left out.
    pub left_out: crate::site::LeftOut,
    /// The warnings the build printed: shown again when nothing has changed since.
    pub warnings: Vec<crate::error::Diagnostic>,
}

impl Writer {
    /// Opens `dir` (already checked by [`check_output_dir`]) for writing: makes it if needed,
    /// takes its lock, and reads the last build's manifest.
    pub fn open(dir: &Path) -> Result<Writer> {
        Writer::open_in(dir, true)
    }

    /// [`Writer::open`], building the new site beside the output folder when `beside` and the
    /// folder allow it, else inside it.
    fn open_in(dir: &Path, beside: bool) -> Result<Writer> {
        INTERRUPTS.enter()?;
        // From here on, `Leave` undoes the `enter` whatever happens.
        let leave = Leave;
        // Everything is decided under the lock: another build may be making, filling or
        // leaving this folder until then.
        let created_dir = make_folder(dir).map_err(|e| Error::io("failed to create", dir, e))?;
        let (locked, created_marker) = match lock(dir) {
            Ok(locked) => locked,
            Err(err) => {
                // A busy folder is another build's: leave everything as it is.
                if created_dir && !matches!(err, Error::Busy { .. }) {
                    let _ = fs::remove_dir(dir);
                }
                return Err(err);
            }
        };
        // Anything of ours left by a build that was killed: we hold the lock, so it is no
        // other build's.
        let mut fresh = true;
        if let Ok(entries) = fs::read_dir(dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                if name.to_string_lossy().starts_with(TEMP_PREFIX) {
                    let _ = remove_any(&entry.path());
                } else if name != MARKER {
                    fresh = false;
                }
            }
        }
        let warnings = switch::remove_leftovers(dir)
            .into_iter()
            .map(|(path, err)| not_removed(&path, &err))
            .collect();
        // The new site's marker is the old one (a second link to the file this writer locked),
        // or else a new one locked too: the lock holds when the folders switch.
        let (beside, beside_lock) = match beside.then(|| switch::make_beside(dir)).flatten() {
            Some(beside) if fs::hard_link(dir.join(MARKER), beside.join(MARKER)).is_ok() => {
                (Some(beside), None)
            }
            Some(beside) => match lock(&beside) {
                Ok((file, _)) => (Some(beside), Some(file)),
                Err(_) => {
                    let _ = remove_any(&beside);
                    (None, None)
                }
            },
            None => (None, None),
        };
        let pid = std::process::id();
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let previous = if fresh { None } else { Manifest::read(dir) };
        std::mem::forget(leave);
        Ok(Writer {
            dir: dir.to_path_buf(),
            beside,
            _beside_lock: beside_lock,
            warnings,
            stage: dir.join(format!("{TEMP_PREFIX}stage-{pid}-{n}")),
            backup: dir.join(format!("{TEMP_PREFIX}old-{pid}-{n}")),
            previous,
            fresh,
            created_dir,
            created_marker,
            temps: Mutex::new(Vec::new()),
            folders: FolderTimes::default(),
            committed: false,
            _lock: locked,
        })
    }

    /// What this writer could not clean up when it opened the folder: the hidden folders of
    /// earlier builds, which it could not remove (also said by [`Writer::commit`]).
    pub fn leftovers(&self) -> Diagnostics {
        Diagnostics(self.warnings.clone())
    }

    /// Stops the build if it was interrupted (the writer then cleans up as it is dropped).
    pub fn check_interrupted(&self) -> Result<()> {
        if interrupted() {
            Err(Error::Interrupted)
        } else {
            Ok(())
        }
    }

    /// When the last build read exactly what this one read (`key`), `now` is before anything
    /// scheduled was due, and every file and folder it wrote is still as it left them: what
    /// this build would write is already there. Returns the number of files, and what the
    /// manifest says of the build.
    pub fn unchanged_since_last_build(
        &self,
        key: u128,
        now: jiff::Timestamp,
    ) -> Option<(usize, Stamp)> {
        let manifest = self.previous.as_ref()?;
        (manifest.key == Some(key)
            && manifest.fresh_until.is_none_or(|until| now < until)
            && manifest.still_there(&self.dir))
        .then(|| {
            let stamp = Stamp {
                key: manifest.key,
                fresh_until: manifest.fresh_until,
                pages: manifest.pages,
                left_out: manifest.left_out.clone(),
                warnings: manifest.warnings.clone(),
            };
            (manifest.files.len(), stamp)
        })
    }

    /// Stages one output, unless the file already has these bytes. Safe to call from many
    /// threads at once.
    pub fn put(&self, rel: &str, output: &Output) -> Result<Entry> {
        if interrupted() {
            return Err(Error::Interrupted);
        }
        let target = self.dir.join(rel);
        if !is_safe_relative(rel) {
            return Err(Error::io(
                "refusing to write",
                &target,
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the path leaves the output folder",
                ),
            ));
        }
        // Only a file to copy can fail here: its metadata is part of the hash.
        let hash = manifest::output_hash(output).map_err(|e| match output {
            Output::File(source) => Error::Copy {
                from: source.clone(),
                to: target.clone(),
                source: e,
            },
            Output::Bytes(_) | Output::Embedded(_) => Error::io("failed to write", &target, e),
        })?;
        if let Some(beside) = &self.beside {
            return self.put_beside(beside, rel, output, hash, &target);
        }
        let in_real_folder = !self.fresh && parents_are_folders(&self.dir, rel);
        if in_real_folder {
            if self.unchanged(rel, output, hash, &target) {
                return Ok(Entry {
                    rel: rel.to_owned(),
                    hash,
                    staged: None,
                    meta: None,
                });
            }
            // A short name of its own (not the target's name plus a suffix, which could pass
            // the 255-byte limit), created new so that nothing already there is followed.
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let temp = target.with_file_name(format!("{TEMP_PREFIX}{}-{n}", std::process::id()));
            if let Some(folder) = temp.parent() {
                self.folders.keep(folder);
            }
            create_new(&temp, output, &target)?;
            lock_ignoring_poison(&self.temps).push(temp.clone());
            return Ok(Entry {
                rel: rel.to_owned(),
                hash,
                staged: Some(Staged::Beside(temp)),
                meta: None,
            });
        }
        let staged = self.stage.join(rel);
        self.folders.keep(&self.dir);
        if let Some(parent) = staged.parent() {
            make_folders(&self.stage, parent)
                .map_err(|e| Error::io("failed to write", &target, e))?;
        }
        let file = create_new(&staged, output, &target)?;
        // Into a new folder, the commit moves each top-level folder of the shadow tree whole:
        // a file below one is never moved itself, so what it is now is what the manifest
        // records (one look at the open file instead of a path lookup after the commit).
        let meta = (self.fresh && rel.contains('/'))
            .then(|| file.metadata().ok().map(|m| manifest::fingerprint(&m)))
            .flatten();
        Ok(Entry {
            rel: rel.to_owned(),
            hash,
            staged: Some(Staged::Shadow),
            meta,
        })
    }

    /// Whether the output file `target` (at `rel`) already holds `output`, whose hash is `hash`:
    /// by the last build's manifest when the file is as that build left it, else by its bytes.
    fn unchanged(&self, rel: &str, output: &Output, hash: u128, target: &Path) -> bool {
        let known = self.previous.as_ref().and_then(|m| m.files.get(rel));
        match known {
            Some(file) if manifest::fingerprint_of(target) == Some(file.meta) => file.hash == hash,
            _ => same_content(target, output),
        }
    }

    /// [`Writer::put`] into the new site beside the output folder: a hard link to the old file
    /// when its bytes are the same, else a new file.
    fn put_beside(
        &self,
        beside: &Path,
        rel: &str,
        output: &Output,
        hash: u128,
        target: &Path,
    ) -> Result<Entry> {
        let new = beside.join(rel);
        if let Some(parent) = new.parent() {
            make_folders(beside, parent).map_err(|e| Error::io("failed to write", target, e))?;
        }
        let same = !self.fresh
            && parents_are_folders(&self.dir, rel)
            && self.unchanged(rel, output, hash, target);
        // Where no link can be made (a file system without them, an unchangeable file), the
        // file is written again.
        if same && fs::hard_link(target, &new).is_ok() {
            return Ok(Entry {
                rel: rel.to_owned(),
                hash,
                staged: None,
                meta: None,
            });
        }
        let file = create_new(&new, output, target)?;
        Ok(Entry {
            rel: rel.to_owned(),
            hash,
            staged: Some(Staged::Shadow),
            // The switch moves the folder, not the file: it stays as written.
            meta: file.metadata().ok().map(|m| manifest::fingerprint(&m)),
        })
    }

    /// Puts every staged file in place, removes the files no build output is left for, and
    /// records what was written in the manifest. If a file cannot be put in place (or the build
    /// is interrupted meanwhile), every file already replaced is put back and the output is as
    /// it was.
    pub fn commit(mut self, entries: Vec<Entry>, stamp: &Stamp) -> Result<WriteReport> {
        if interrupted() {
            return Err(Error::Interrupted);
        }
        let mut report = WriteReport::default();
        for entry in &entries {
            match entry.staged {
                Some(_) => report.written += 1,
                None => report.unchanged += 1,
            }
        }
        report.warnings.0.append(&mut self.warnings);
        if let Some(beside) = self.beside.clone() {
            return self.switch(&beside, entries, stamp, report);
        }
        let undo = Mutex::new(Vec::new());
        self.folders.keep(&self.dir);
        let moves = Moves {
            folders: &self.folders,
            backup: &self.backup,
            made: OnceLock::new(),
            count: AtomicUsize::new(0),
            undo: &undo,
        };
        let result = entries
            .par_iter()
            .filter_map(|entry| match &entry.staged {
                Some(Staged::Beside(temp)) => Some((temp, self.dir.join(&entry.rel))),
                _ => None,
            })
            .try_for_each(|(temp, target)| moves.replace(temp, &target, false))
            .and_then(|()| {
                if self.stage.is_dir() {
                    moves.merge(&self.stage, &self.dir)
                } else {
                    Ok(())
                }
            })
            .and_then(|()| {
                if interrupted() {
                    Err(Error::Interrupted)
                } else {
                    Ok(())
                }
            });
        if let Err(err) = result {
            let undo = undo.into_inner().unwrap_or_else(|p| p.into_inner());
            for step in undo.into_iter().rev() {
                step.undo();
            }
            return Err(err);
        }
        // In place: from here on there is nothing to undo.
        self.committed = true;
        lock_ignoring_poison(&self.temps).clear();
        let _ = remove_any(&self.stage);
        let _ = remove_any(&self.backup);
        if !self.fresh {
            report.removed = remove_stale(&entries, &self.dir)?;
        }
        let temp = self
            .dir
            .join(format!("{TEMP_PREFIX}manifest-{}", std::process::id()));
        Manifest::record(&self.dir, &entries, stamp, &temp);
        Ok(report)
    }

    /// The commit of a site built `beside` the output folder: the two folders are exchanged in
    /// one step, then the old site (now beside) is removed and the manifest written.
    fn switch(
        mut self,
        beside: &Path,
        entries: Vec<Entry>,
        stamp: &Stamp,
        mut report: WriteReport,
    ) -> Result<WriteReport> {
        stop_here("staged");
        #[cfg(test)]
        if entries.iter().any(|e| e.rel.contains(tests::FAILS_TO_MOVE)) {
            let err = io::Error::other("the test says so");
            return Err(Error::io(
                "failed to write",
                &self.dir.join(tests::FAILS_TO_MOVE),
                err,
            ));
        }
        switch::exchange(beside, &self.dir)
            .map_err(|e| Error::io("failed to put the new site in place at", &self.dir, e))?;
        // In place: from here on the output is the new site, whatever happens.
        self.committed = true;
        stop_here("switched");
        let keep: HashSet<&str> = entries.iter().map(|e| e.rel.as_str()).collect();
        let kept = |rel: &str| {
            keep.contains(rel) || [MARKER, MANIFEST].contains(&rel) || rel.starts_with(TEMP_PREFIX)
        };
        let (removed, failed) = switch::remove_old(beside, &kept);
        report.removed = removed;
        // The manifest is written under the hidden folder's name, then moved in.
        let mut temp = beside.as_os_str().to_owned();
        if let Some((path, err)) = failed {
            report.warnings.0.push(not_removed(&path, &err));
            temp.push("-manifest");
        }
        Manifest::record(&self.dir, &entries, stamp, Path::new(&temp));
        Ok(report)
    }
}

/// The warning for a file of an old site that could not be removed.
fn not_removed(path: &Path, err: &io::Error) -> Diagnostic {
    Diagnostic::warning(format!(
        "an old version of the site could not be removed completely: `{}`: {err}",
        path.display()
    ))
    .with_hint(
        "the new site is in place; delete that file by hand (one made unchangeable needs \
         `chattr -i` first), and the next build removes the rest",
    )
}

/// Stops the process at once, as `kill -9` would, when the tests ask for it at `step` (debug
/// builds only): how the tests reach every moment of a commit.
fn stop_here(step: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os("KNEAD_TEST_KILL_AT").is_some_and(|at| at == step) {
        // SAFETY: a signal to this very process.
        #[cfg(target_os = "linux")]
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        std::process::abort();
    }
    let _ = step;
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.committed {
            for temp in lock_ignoring_poison(&self.temps).drain(..) {
                let _ = fs::remove_file(temp);
            }
            let _ = remove_any(&self.stage);
            let _ = remove_any(&self.backup);
            if let Some(beside) = &self.beside {
                let _ = remove_any(beside);
            }
            if self.created_marker {
                let _ = fs::remove_file(self.dir.join(MARKER));
            }
            if self.created_dir {
                let _ = fs::remove_dir(&self.dir);
            } else {
                self.folders.put_back();
            }
        }
        INTERRUPTS.leave();
    }
}

/// Folders of the output with their modification times before the build made, moved or
/// removed anything in them, so that a failed build leaves them as they were (a folder's time
/// changes with what is in it; sync tools and people compare it).
#[derive(Default)]
struct FolderTimes(Mutex<HashMap<PathBuf, std::time::SystemTime>>);

impl FolderTimes {
    /// Notes `folder`'s time, unless it was noted already.
    fn keep(&self, folder: &Path) {
        let mut times = lock_ignoring_poison(&self.0);
        if !times.contains_key(folder)
            && let Ok(time) = fs::symlink_metadata(folder).and_then(|meta| {
                if meta.is_dir() {
                    meta.modified()
                } else {
                    Err(io::Error::other("not a folder"))
                }
            })
        {
            times.insert(folder.to_path_buf(), time);
        }
    }

    /// Gives each noted folder that is still there its time back.
    fn put_back(&self) {
        for (folder, time) in lock_ignoring_poison(&self.0).drain() {
            if fs::symlink_metadata(&folder).is_ok_and(|meta| meta.is_dir()) {
                let _ = fs::File::open(&folder).and_then(|dir| dir.set_modified(time));
            }
        }
    }
}

/// The moves of one commit, each logged so that it can be undone.
struct Moves<'a> {
    folders: &'a FolderTimes,
    backup: &'a Path,
    made: OnceLock<std::result::Result<(), io::ErrorKind>>,
    count: AtomicUsize,
    undo: &'a Mutex<Vec<Undo>>,
}

/// How to take back one move of a commit.
enum Undo {
    /// `path` did not exist before: remove what is there now.
    Created(PathBuf),
    /// What was at `path` is kept at `old`: put it back.
    Replaced { path: PathBuf, old: PathBuf },
}

impl Undo {
    fn undo(self) {
        match self {
            Undo::Created(path) => {
                let _ = remove_any(&path);
            }
            Undo::Replaced { path, old } => {
                let both_files = [&path, &old]
                    .iter()
                    .all(|p| fs::symlink_metadata(p).is_ok_and(|m| !m.is_dir()));
                if !both_files {
                    let _ = remove_any(&path);
                }
                let _ = fs::rename(&old, &path);
            }
        }
    }
}

impl Moves<'_> {
    fn log(&self, step: Undo) {
        lock_ignoring_poison(self.undo).push(step);
    }

    /// Moves the staged `new` (a file, or a folder of the shadow tree when `is_folder`) to
    /// `target`, keeping whatever was there for the undo: a file by a second link to it (so
    /// the target is replaced in one step and is never missing), anything else moved aside.
    fn replace(&self, new: &Path, target: &Path, is_folder: bool) -> Result<()> {
        if interrupted() {
            return Err(Error::Interrupted);
        }
        let fail = |err| Error::io("failed to write", target, err);
        if let Some(folder) = target.parent() {
            self.folders.keep(folder);
        }
        #[cfg(test)]
        if target
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with(tests::FAILS_TO_MOVE))
        {
            return Err(fail(io::Error::other("the test says so")));
        }
        match fs::symlink_metadata(target) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                fs::rename(new, target).map_err(fail)?;
                self.log(Undo::Created(target.to_path_buf()));
                Ok(())
            }
            Err(err) => Err(fail(err)),
            Ok(existing) => {
                let old = self.next_backup().map_err(fail)?;
                let linked =
                    !existing.is_dir() && !is_folder && fs::hard_link(target, &old).is_ok();
                if !linked {
                    fs::rename(target, &old).map_err(fail)?;
                }
                self.log(Undo::Replaced {
                    path: target.to_path_buf(),
                    old,
                });
                fs::rename(new, target).map_err(fail)
            }
        }
    }

    fn next_backup(&self) -> io::Result<PathBuf> {
        // Made once, by the first thread that needs it; the others wait for it.
        let made = self
            .made
            .get_or_init(|| fs::create_dir(self.backup).map_err(|e| e.kind()));
        if let Err(kind) = made {
            return Err(io::Error::from(*kind));
        }
        let n = self.count.fetch_add(1, Ordering::Relaxed);
        Ok(self.backup.join(n.to_string()))
    }

    /// Moves the shadow tree `stage` into `dir`: folders the output lacks move whole, folders
    /// it has are merged.
    fn merge(&self, stage: &Path, dir: &Path) -> Result<()> {
        let entries: Vec<fs::DirEntry> = fs::read_dir(stage)
            .and_then(|entries| entries.collect())
            .map_err(|e| Error::io("failed to read", stage, e))?;
        entries.par_iter().try_for_each(|entry| {
            let new = entry.path();
            let target = dir.join(entry.file_name());
            let is_folder = entry
                .file_type()
                .map_err(|e| Error::io("failed to read", &new, e))?
                .is_dir();
            if is_folder && fs::symlink_metadata(&target).is_ok_and(|m| m.is_dir()) {
                self.merge(&new, &target)
            } else {
                self.replace(&new, &target, is_folder)
            }
        })
    }
}

/// Writes `output` to a file that must not exist yet, for the output file `target` (named in
/// messages). A file to copy that cannot be read is reported as such, naming both files.
fn create_new(path: &Path, output: &Output, target: &Path) -> Result<fs::File> {
    let mut from = match output {
        Output::File(source) => Some(fs::File::open(source).map_err(|e| Error::Copy {
            from: source.clone(),
            to: target.to_path_buf(),
            source: e,
        })?),
        Output::Bytes(_) | Output::Embedded(_) => None,
    };
    let result = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut file| {
            match (output, &mut from) {
                (Output::Bytes(bytes), _) => io::Write::write_all(&mut file, bytes)?,
                (Output::Embedded(bytes), _) => io::Write::write_all(&mut file, bytes)?,
                (Output::File(_), Some(from)) => {
                    io::copy(from, &mut file)?;
                }
                (Output::File(_), None) => {}
            }
            Ok(file)
        });
    if let Err(err) = &result
        && err.kind() != io::ErrorKind::AlreadyExists
    {
        let _ = fs::remove_file(path);
    }
    result.map_err(|e| Error::io("failed to write", target, e))
}

/// Makes `folder` and the folders it is in, up to `root` (made new by the writer, so nothing in
/// it is anyone else's).
fn make_folders(root: &Path, folder: &Path) -> io::Result<()> {
    match fs::create_dir(folder) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::NotFound && folder != root => {
            if let Some(parent) = folder.parent() {
                make_folders(root, parent)?;
            }
            match fs::create_dir(folder) {
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(()),
                other => other,
            }
        }
        Err(err) => Err(err),
    }
}

/// Removes a file, a link (as a link) or a folder with everything in it.
fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(err) => Err(err),
    }
}

fn lock_ignoring_poison<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Makes the folder `dir` (and those it is in) and says whether this call made it; one that
/// is already there is fine.
fn make_folder(dir: &Path) -> io::Result<bool> {
    let made = match fs::create_dir(dir) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => match dir.parent() {
            Some(parent) => fs::create_dir_all(parent).and_then(|()| fs::create_dir(dir)),
            None => Err(err),
        },
        made => made,
    };
    match made {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(false),
        Err(err) => Err(err),
    }
}

/// Takes the output folder's lock (on the marker file, so the lock leaves nothing else in the
/// folder), or says that another build holds it. Also says whether this call made the marker
/// (a failed build then takes it away again). If it did not get the lock, it leaves the
/// marker: the build that holds the lock may have found it there.
fn lock(dir: &Path) -> Result<(fs::File, bool)> {
    let path = dir.join(MARKER);
    let open = |new: bool| {
        fs::OpenOptions::new()
            .create_new(new)
            .read(true)
            .write(true)
            .open(&path)
    };
    let (file, created) = match open(true) {
        Ok(file) => (Ok(file), true),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => (open(false), false),
        Err(err) => (Err(err), false),
    };
    let mut file = file.map_err(|e| Error::io("failed to create", &path, e))?;
    match file.try_lock() {
        // The marker may have gone with an old site just switched out by another build,
        // which holds the new one's: then the folder is that build's.
        Ok(()) if !is_the_marker(&file, &path) => {
            return Err(Error::Busy {
                path: dir.to_path_buf(),
            });
        }
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            return Err(Error::Busy {
                path: dir.to_path_buf(),
            });
        }
        Err(fs::TryLockError::Error(err)) => {
            if created {
                let _ = fs::remove_file(&path);
            }
            return Err(Error::io("failed to lock", &path, err));
        }
    }
    if file.metadata().is_ok_and(|m| m.len() == 0)
        && let Err(err) = io::Write::write_all(&mut file, MARKER_TEXT.as_bytes())
    {
        if created {
            let _ = fs::remove_file(&path);
        }
        return Err(Error::io("failed to write", &path, err));
    }
    Ok((file, created))
}

/// Whether the open `file` is the one at `path` now.
#[cfg(unix)]
fn is_the_marker(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_the_marker(_: &fs::File, _: &Path) -> bool {
    true
}

/// Numbers the temporary files of one process.
static TEMP_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Whether the file at `path` already holds `output`'s bytes. A link is never the same: it is
/// replaced by a real file.
fn same_content(path: &Path, output: &Output) -> bool {
    match output {
        Output::Bytes(bytes) => same_bytes(path, bytes),
        Output::Embedded(bytes) => same_bytes(path, bytes),
        Output::File(source) => same_file(path, source),
    }
}

fn same_bytes(path: &Path, bytes: &[u8]) -> bool {
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
fn remove_stale(entries: &[Entry], dir: &Path) -> Result<usize> {
    let keep: HashSet<&str> = entries
        .iter()
        .map(|e| e.rel.as_str())
        .chain([MARKER, MANIFEST])
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

    /// A file or folder whose name starts with this cannot be put in place: the commit fails
    /// there.
    pub(super) const FAILS_TO_MOVE: &str = "fails-to-move";

    fn outputs(files: &[(&str, Output)]) -> Outputs {
        Outputs(
            files
                .iter()
                .map(|(path, output)| ((*path).to_owned(), output.clone()))
                .collect(),
        )
    }

    /// [`write`] with the writer working inside the output folder, as where the switch cannot.
    fn write_in_place(outputs: &Outputs, dir: &Path) -> Result<WriteReport> {
        let writer = Writer::open_in(dir, false)?;
        assert!(writer.beside.is_none());
        let entries = outputs
            .0
            .iter()
            .map(|(rel, output)| writer.put(rel, output))
            .collect::<Result<Vec<Entry>>>()?;
        writer.commit(entries, &Stamp::default())
    }

    /// Both ways of writing: beside the output folder, then inside it.
    const WAYS: [fn(&Outputs, &Path) -> Result<WriteReport>; 2] = [write, write_in_place];

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
        // The file that could not be read is named, as read, not as written.
        assert!(err.to_string().contains("failed to read"), "{err}");
        assert!(err.to_string().contains("missing.png"), "{err}");
        assert_eq!(listing(&out), before);
    }

    #[test]
    fn writing_twice_is_idempotent() {
        for write in WAYS {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("public");
            let site = outputs(&[
                ("index.html", bytes("home")),
                ("b/c/index.html", bytes("c")),
            ]);
            let first = write(&site, &out).unwrap();
            assert_eq!(first.written, 2);
            // The manifest notes the new folders built beside the old ones.
            let files = |out: &Path| {
                let mut files = listing(out);
                files.retain(|(rel, _)| rel != MANIFEST);
                files
            };
            let once = files(&out);
            let time = |rel: &str| fs::metadata(out.join(rel)).unwrap().modified().unwrap();
            let times = [time("index.html"), time("b/c/index.html")];
            std::thread::sleep(std::time::Duration::from_millis(20));
            let second = write(&site, &out).unwrap();
            assert_eq!(
                (second.written, second.unchanged, second.removed),
                (0, 2, 0)
            );
            assert_eq!(files(&out), once);
            // The unchanged files are the same files, with their times.
            assert_eq!([time("index.html"), time("b/c/index.html")], times);
            assert!(
                listing(dir.path())
                    .iter()
                    .all(|(rel, _)| rel.starts_with("public/"))
            );
        }
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
    fn a_commit_that_fails_halfway_puts_every_file_back() {
        for write in WAYS {
            a_commit_that_fails_halfway_puts_every_file_back_with(write);
        }
    }

    fn a_commit_that_fails_halfway_puts_every_file_back_with(
        write: fn(&Outputs, &Path) -> Result<WriteReport>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let first = outputs(&[
            ("index.html", bytes("old home")),
            ("a/index.html", bytes("old a")),
            ("guide", bytes("a file where a folder will go")),
            ("old/index.html", bytes("a folder where a file will go")),
            ("zz/keep.html", bytes("kept")),
        ]);
        write(&first, &out).unwrap();
        let before = listing(&out);
        // Files replaced, created, folders moved whole, a file and a folder moved aside: and
        // then one file cannot be moved. Whatever order the moves ran in, all are undone.
        let mut files = vec![
            ("index.html", bytes("new home")),
            ("a/index.html", bytes("new a")),
            ("b/c/index.html", bytes("new b/c")),
            ("guide/index.html", bytes("the guide, now a folder")),
            ("old", bytes("a file where the folder was")),
            ("zz/keep.html", bytes("kept")),
        ];
        // Beside their targets at the top and in folders, and in the shadow tree (a new folder,
        // moved whole, at the top and inside a folder that exists).
        for failing in [
            "fails-to-move.html",
            "a/fails-to-move.html",
            "zz/fails-to-move.html",
            "fails-to-move/index.html",
            "a/fails-to-move/index.html",
        ] {
            files.push((failing, bytes("x")));
            let err = write(&outputs(&files), &out).unwrap_err();
            assert!(err.to_string().contains(FAILS_TO_MOVE), "{err}");
            assert_eq!(listing(&out), before, "failing at `{failing}`");
            assert_eq!(folders(&out), folders_of(&before), "failing at `{failing}`");
            // Nothing stays beside the output folder either.
            assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
            files.pop();
        }
        // Without the failing file, the same write goes through.
        write(&outputs(&files), &out).unwrap();
        assert_eq!(
            fs::read(out.join("guide/index.html")).unwrap(),
            b"the guide, now a folder"
        );
        assert_eq!(
            fs::read(out.join("old")).unwrap(),
            b"a file where the folder was"
        );
    }

    /// Every folder under `dir`, relative.
    fn folders(dir: &Path) -> Vec<String> {
        let mut folders: Vec<String> = walkdir::WalkDir::new(dir)
            .min_depth(1)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_dir())
            .map(|e| {
                e.path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        folders.sort();
        folders
    }

    /// The folders a listing's files are in.
    fn folders_of(files: &[(String, Vec<u8>)]) -> Vec<String> {
        let mut folders: Vec<String> = files
            .iter()
            .flat_map(|(rel, _)| {
                Path::new(rel)
                    .ancestors()
                    .skip(1)
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
        folders.sort();
        folders.dedup();
        folders
    }

    #[test]
    fn a_first_build_that_fails_leaves_no_folder_behind() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let site = outputs(&[
            ("index.html", bytes("home")),
            ("blog/a/index.html", bytes("a")),
            ("logo.png", Output::File(dir.path().join("missing.png"))),
        ]);
        for write in WAYS {
            write(&site, &out).unwrap_err();
            assert!(!out.exists());
            let failing = outputs(&[
                ("index.html", bytes("home")),
                ("fails-to-move.html", bytes("x")),
            ]);
            write(&failing, &out).unwrap_err();
            assert!(!out.exists());
            assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        }
    }
}
