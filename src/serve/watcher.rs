//! Rebuilding on change: a thread owns the [`Session`], waits for the files of the site to
//! change (the notify crate), lets a burst of events settle, rebuilds, prints one line (or the
//! errors), and publishes the new [`Snapshot`] for the server and the open tabs.
//!
//! Editors save in many ways: writing in place, writing a temporary file and renaming it over
//! the original, keeping swap and backup files beside it. All the events of one save arrive
//! within a few milliseconds, so they are gathered until the folder has been quiet for
//! [`QUIET`], and the names of editors' own files are ignored. A save ends when the file is
//! closed after writing or renamed into place; once one has ended, [`SETTLE`] of quiet is enough.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::watch;

use super::{Change, Snapshot, diagnostics_of, live};
use crate::config::CONFIG_FILE;
use crate::error::Diagnostics;
use crate::render::Outputs;
use crate::session::{Rebuilt, Session};

/// The folders of a site whose changes are watched, besides `site.toml`.
const WATCHED_DIRS: [&str; 3] = ["content", "templates", "static"];
/// How long the files must stay still before a rebuild starts.
const QUIET: Duration = Duration::from_millis(30);
/// How long they must stay still once a save has ended (a file of the site closed after writing,
/// or renamed into place): the rest of an editor's burst (a backup removed, a swap file) follows
/// within a millisecond, and a later write only starts another rebuild.
const SETTLE: Duration = Duration::from_millis(4);
/// The longest a rebuild waits for the files to stay still, so a file written continuously
/// still shows up.
const MAX_WAIT: Duration = Duration::from_millis(500);

/// Builds the site for the first time, prints the outcome and returns the first snapshot.
pub(super) fn first_build(session: &mut Session) -> Snapshot {
    let empty = Snapshot {
        outputs: None,
        error: None,
        build: 0,
        version: 0,
        change: Change::Reload,
    };
    match session.rebuild(None) {
        Ok(rebuilt) => {
            print_warnings(&rebuilt.warnings);
            let pages = rebuilt.outputs.page_count();
            note!(
                "Built {pages} {} in {} ms (drafts and future posts included)",
                plural(pages, "page", "pages"),
                rebuilt.elapsed.as_millis()
            );
            Snapshot {
                outputs: Some(rebuilt.outputs),
                build: 1,
                ..empty
            }
        }
        Err(error) => {
            let diagnostics = diagnostics_of(error);
            print_errors(&diagnostics, false);
            Snapshot {
                error: Some(live::overlay(&diagnostics, false).into()),
                change: Change::Error,
                ..empty
            }
        }
    }
}

/// Starts watching the site at `root` (canonical) and rebuilding on change, on a thread of its
/// own that lives as long as the process.
pub(super) fn spawn(
    session: Session,
    root: &Path,
    publish: watch::Sender<Arc<Snapshot>>,
) -> notify::Result<()> {
    let (events, received) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        // The receiver only goes away when the process ends.
        let _ = events.send(event);
    })?;
    // Not recursive: only site.toml and the watched folders themselves appearing or going.
    watcher.watch(root, RecursiveMode::NonRecursive)?;
    for dir in WATCHED_DIRS {
        let path = root.join(dir);
        if path.is_dir() {
            watcher.watch(&path, RecursiveMode::Recursive)?;
        }
    }
    let last_warnings = Diagnostics::default();
    let rebuilder = Rebuilder {
        session,
        root: root.to_path_buf(),
        watcher,
        publish,
        last_warnings,
    };
    std::thread::Builder::new()
        .name("knead-rebuild".to_owned())
        .spawn(move || rebuilder.run(&received))
        .map_err(notify::Error::io)?;
    Ok(())
}

struct Rebuilder {
    session: Session,
    root: PathBuf,
    /// Kept to add folders that appear after the start.
    watcher: RecommendedWatcher,
    publish: watch::Sender<Arc<Snapshot>>,
    last_warnings: Diagnostics,
}

impl Rebuilder {
    fn run(mut self, received: &Receiver<notify::Result<notify::Event>>) {
        while let Some(batch) = next_batch(&self.root, received) {
            for dir in &batch.new_dirs {
                // A folder that cannot be watched is still read by every full rebuild.
                let _ = self.watcher.watch(dir, RecursiveMode::Recursive);
            }
            self.rebuild(batch.changed().as_deref());
        }
    }

    fn rebuild(&mut self, changed: Option<&[PathBuf]>) {
        let previous = self.publish.borrow().clone();
        let next = match self.session.rebuild(changed) {
            Ok(rebuilt) => {
                if rebuilt.warnings != self.last_warnings {
                    print_warnings(&rebuilt.warnings);
                    self.last_warnings = rebuilt.warnings.clone();
                }
                note!("{}", rebuilt_line(&rebuilt, previous.error.is_some()));
                after_success(&previous, rebuilt.outputs, &rebuilt.changed)
            }
            Err(error) => {
                let diagnostics = diagnostics_of(error);
                let has_site = previous.outputs.is_some();
                print_errors(&diagnostics, has_site);
                Some(after_failure(
                    &previous,
                    live::overlay(&diagnostics, has_site).into(),
                ))
            }
        };
        if let Some(next) = next {
            self.publish.send_replace(Arc::new(next));
        }
    }
}

/// The files that changed in one burst of events.
#[derive(Debug, Default)]
struct Batch {
    files: BTreeSet<PathBuf>,
    /// Something happened that a list of files cannot describe: re-read everything.
    everything: bool,
    /// Watched folders that appeared and must be watched from now on.
    new_dirs: Vec<PathBuf>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.files.is_empty() && !self.everything
    }

    /// The changed files for [`Session::rebuild`]: `None` to re-read everything.
    fn changed(&self) -> Option<Vec<PathBuf>> {
        (!self.everything).then(|| self.files.iter().cloned().collect())
    }

    /// Adds the paths of one event; true when the event ends a save of a file of the site.
    fn add(&mut self, root: &Path, event: notify::Result<notify::Event>) -> bool {
        let event = match event {
            Ok(event) => event,
            Err(_) => {
                self.everything = true;
                return false;
            }
        };
        if event.need_rescan() {
            self.everything = true;
        }
        let of_site = |path: &PathBuf| classify(root, path) == Watched::File;
        match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                return event.paths.iter().any(of_site);
            }
            EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_)) => return false,
            _ => {}
        }
        let saved = matches!(
            event.kind,
            EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Both))
        ) && event.paths.last().is_some_and(of_site);
        for path in event.paths {
            match classify(root, &path) {
                Watched::Ignored => {}
                Watched::File => {
                    self.files.insert(path);
                }
                Watched::Folder => {
                    if path.is_dir() {
                        self.new_dirs.push(path);
                    }
                    self.everything = true;
                }
            }
        }
        saved
    }
}

/// Waits for the next burst of relevant events and returns it once the files are still; `None`
/// when the watcher has stopped.
fn next_batch(root: &Path, received: &Receiver<notify::Result<notify::Event>>) -> Option<Batch> {
    loop {
        let mut batch = Batch::default();
        let mut saved = batch.add(root, received.recv().ok()?);
        let deadline = Instant::now() + MAX_WAIT;
        loop {
            let quiet = if saved { SETTLE } else { QUIET };
            let wait = quiet.min(deadline.saturating_duration_since(Instant::now()));
            match received.recv_timeout(wait) {
                Ok(event) => saved |= batch.add(root, event),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        if !batch.is_empty() {
            return Some(batch);
        }
    }
}

/// What a path in an event is to the site.
#[derive(Debug, PartialEq, Eq)]
enum Watched {
    /// Not part of the site's sources, or an editor's own file.
    Ignored,
    /// A file of the site (or a folder inside a watched one).
    File,
    /// One of the watched folders itself.
    Folder,
}

fn classify(root: &Path, path: &Path) -> Watched {
    let Ok(rel) = path.strip_prefix(root) else {
        return Watched::Ignored;
    };
    let parts: Vec<&str> = rel
        .components()
        .map(|c| match c {
            Component::Normal(name) => name.to_str().unwrap_or(""),
            _ => "",
        })
        .collect();
    match parts.as_slice() {
        [name] if *name == CONFIG_FILE => Watched::File,
        [dir] if WATCHED_DIRS.contains(dir) => Watched::Folder,
        [dir, .., name] if WATCHED_DIRS.contains(dir) && !is_editor_file(name) => Watched::File,
        _ => Watched::Ignored,
    }
}

/// Whether a file name is one that editors write beside the files they edit: swap files, backups,
/// lock links, probes. Changing them changes nothing in the site.
fn is_editor_file(name: &str) -> bool {
    const SUFFIXES: [&str; 5] = ["~", ".kate-swp", ".crswap", "___jb_tmp___", "___jb_old___"];
    let vim_swap =
        name.starts_with('.') && name.len() > 4 && name.is_char_boundary(name.len() - 4) && {
            let ext = &name[name.len() - 4..];
            ext.starts_with(".sw") || ext.starts_with(".sv") || ext == "swpx"
        };
    name.is_empty()
        || vim_swap
        || name.ends_with(".swpx")
        // vim creates and deletes `4913` to learn whether it may write in the folder.
        || name == "4913"
        // emacs: `.#name` lock links and `#name#` autosaves.
        || name.starts_with(".#")
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || name == ".DS_Store"
        || SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
}

/// The snapshot after a successful rebuild; `None` when nothing a tab shows changed.
fn after_success(
    previous: &Snapshot,
    outputs: Arc<Outputs>,
    changed: &[String],
) -> Option<Snapshot> {
    let fixed = previous.error.is_some();
    if changed.is_empty() && !fixed {
        return None;
    }
    let only_css = !changed.is_empty() && changed.iter().all(|path| path.ends_with(".css"));
    Some(Snapshot {
        outputs: Some(outputs),
        error: None,
        build: previous.build + 1,
        version: previous.version + 1,
        change: if only_css && !fixed {
            Change::Css
        } else {
            Change::Reload
        },
    })
}

/// The snapshot after a failed rebuild: the last good outputs, and the errors.
fn after_failure(previous: &Snapshot, overlay: Arc<str>) -> Snapshot {
    Snapshot {
        outputs: previous.outputs.clone(),
        error: Some(overlay),
        build: previous.build,
        version: previous.version + 1,
        change: Change::Error,
    }
}

/// `Rebuilt in 12 ms: 3 pages changed`.
fn rebuilt_line(rebuilt: &Rebuilt, fixed: bool) -> String {
    let pages = rebuilt
        .changed
        .iter()
        .filter(|path| path.ends_with(".html"))
        .count();
    let others: Vec<&String> = rebuilt
        .changed
        .iter()
        .filter(|path| !path.ends_with(".html"))
        .collect();
    let what = match (pages, others.as_slice()) {
        (0, []) => "nothing changed".to_owned(),
        (0, [one]) => format!("{one} changed"),
        (0, many) => format!("{} files changed", many.len()),
        (pages, []) => format!("{pages} {} changed", plural(pages, "page", "pages")),
        (pages, others) => format!(
            "{pages} {} and {} other {} changed",
            plural(pages, "page", "pages"),
            others.len(),
            plural(others.len(), "file", "files")
        ),
    };
    let fixed = if fixed { "; the errors are fixed" } else { "" };
    format!(
        "Rebuilt in {} ms: {what}{fixed}",
        rebuilt.elapsed.as_millis()
    )
}

fn print_warnings(warnings: &Diagnostics) {
    for warning in &warnings.0 {
        note_raw!("{warning}");
    }
}

fn print_errors(diagnostics: &Diagnostics, has_site: bool) {
    for diagnostic in &diagnostics.0 {
        note_raw!("{diagnostic}");
    }
    let count = diagnostics.error_count().max(1);
    let outcome = if has_site {
        "still serving the last good site"
    } else {
        "the browser shows the errors until they are fixed"
    };
    note!(
        "error: {count} {}: {outcome}",
        plural(count, "error", "errors")
    );
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_sources_of_the_site_are_watched() {
        let root = Path::new("/site");
        let class = |rel: &str| classify(root, &root.join(rel));
        assert_eq!(class("site.toml"), Watched::File);
        assert_eq!(class("content/blog/a.md"), Watched::File);
        assert_eq!(class("content/blog/bundle/photo.jpg"), Watched::File);
        assert_eq!(class("templates/page.html"), Watched::File);
        assert_eq!(class("static/.well-known/security.txt"), Watched::File);
        assert_eq!(class("content"), Watched::Folder);
        assert_eq!(class("static"), Watched::Folder);
        assert_eq!(class("public/index.html"), Watched::Ignored);
        assert_eq!(class(".git/index"), Watched::Ignored);
        assert_eq!(class("site.toml~"), Watched::Ignored);
        assert_eq!(class("content/blog/.a.md.swp"), Watched::Ignored);
        assert_eq!(
            classify(root, Path::new("/elsewhere/site.toml")),
            Watched::Ignored
        );
    }

    #[test]
    fn a_save_ends_when_a_file_of_the_site_is_closed_or_renamed_into_place() {
        let root = Path::new("/site");
        let event = |kind: EventKind, rels: &[&str]| {
            let mut event = notify::Event::new(kind);
            for rel in rels {
                event = event.add_path(root.join(rel));
            }
            Ok(event)
        };
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        let renamed = EventKind::Modify(ModifyKind::Name(RenameMode::Both));
        let written = EventKind::Modify(ModifyKind::Data(notify::event::DataChange::Content));
        let mut batch = Batch::default();
        assert!(!batch.add(root, event(written, &["content/blog/a.md"])));
        assert!(batch.add(root, event(closed, &["content/blog/a.md"])));
        assert!(!batch.add(root, event(closed, &["content/blog/.a.md.swp"])));
        assert!(!batch.add(root, event(closed, &["public/index.html"])));
        assert!(batch.add(
            root,
            event(renamed, &["content/a.md___jb_tmp___", "content/a.md"])
        ));
        assert!(!batch.add(root, event(renamed, &["content/a.md", "content/a.md~"])));
        let to = EventKind::Modify(ModifyKind::Name(RenameMode::To));
        assert!(batch.add(root, event(to, &["site.toml"])));
        // Closing is not a change: only the written and renamed files are rebuilt.
        let files: Vec<&Path> = batch.files.iter().map(PathBuf::as_path).collect();
        assert_eq!(
            files,
            [
                root.join("content/a.md"),
                root.join("content/blog/a.md"),
                root.join("site.toml"),
            ]
        );
    }

    #[test]
    fn editors_own_files_are_recognised() {
        for name in [
            "a.md~",
            ".a.md.swp",
            ".a.md.swo",
            ".a.md.swx",
            ".a.md.swpx",
            "4913",
            ".#a.md",
            "#a.md#",
            "a.md.kate-swp",
            "a.md.crswap",
            "a.md___jb_tmp___",
            "a.md___jb_old___",
            ".DS_Store",
        ] {
            assert!(is_editor_file(name), "{name}");
        }
        for name in [
            "a.md",
            "_index.md",
            "style.css",
            ".htaccess",
            "swp",
            "#hash",
            "é.swp",
        ] {
            assert!(!is_editor_file(name), "{name}");
        }
    }

    fn snapshot(error: bool) -> Snapshot {
        Snapshot {
            outputs: Some(Arc::new(Outputs::default())),
            error: error.then(|| Arc::from("errors")),
            build: 3,
            version: 7,
            change: Change::Reload,
        }
    }

    fn changed(paths: &[&str]) -> Vec<String> {
        paths.iter().map(|p| (*p).to_owned()).collect()
    }

    #[test]
    fn stylesheets_alone_are_swapped_and_anything_else_reloads() {
        let outputs = Arc::new(Outputs::default());
        let css = after_success(&snapshot(false), outputs.clone(), &changed(&["style.css"]));
        let css = css.expect("a change");
        assert_eq!((css.change, css.build, css.version), (Change::Css, 4, 8));
        let page = after_success(
            &snapshot(false),
            outputs.clone(),
            &changed(&["a/index.html", "style.css"]),
        );
        assert_eq!(page.map(|s| s.change), Some(Change::Reload));
        assert!(after_success(&snapshot(false), outputs.clone(), &[]).is_none());
    }

    #[test]
    fn fixing_the_errors_always_reloads() {
        let outputs = Arc::new(Outputs::default());
        let fixed = after_success(&snapshot(true), outputs.clone(), &[]).expect("a change");
        assert_eq!(
            (fixed.change, fixed.error.is_none()),
            (Change::Reload, true)
        );
        let fixed = after_success(&snapshot(true), outputs, &changed(&["style.css"]));
        assert_eq!(fixed.map(|s| s.change), Some(Change::Reload));
    }

    #[test]
    fn a_failure_keeps_the_last_good_outputs() {
        let before = snapshot(false);
        let failed = after_failure(&before, Arc::from("overlay"));
        assert!(failed.outputs.is_some());
        assert_eq!(failed.build, before.build);
        assert_eq!(failed.version, before.version + 1);
        assert_eq!(failed.change, Change::Error);
        assert_eq!(failed.error.as_deref(), Some("overlay"));
    }

    #[test]
    fn the_rebuild_line_counts_pages_and_files() {
        let line = |paths: &[&str], fixed: bool| {
            rebuilt_line(
                &Rebuilt {
                    outputs: Arc::new(Outputs::default()),
                    changed: changed(paths),
                    warnings: Diagnostics::default(),
                    elapsed: Duration::from_millis(12),
                    kind: crate::session::RebuildKind::Full,
                },
                fixed,
            )
        };
        assert_eq!(
            line(&["a/index.html"], false),
            "Rebuilt in 12 ms: 1 page changed"
        );
        assert_eq!(
            line(&["a/index.html", "b/index.html", "x.png"], false),
            "Rebuilt in 12 ms: 2 pages and 1 other file changed"
        );
        assert_eq!(
            line(&["style.css"], false),
            "Rebuilt in 12 ms: style.css changed"
        );
        assert_eq!(
            line(&[], true),
            "Rebuilt in 12 ms: nothing changed; the errors are fixed"
        );
    }
}
