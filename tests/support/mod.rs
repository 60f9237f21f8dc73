//! Test helpers: a site in a temporary folder, built by the real `knead` binary (or the library
//! when a test must fix the clock), and small readers for what the build wrote.
//!
//! ```ignore
//! let run = Site::new().file("content/a.md", page("A", "Hi")).build().success();
//! assert!(run.read("a/index.html").contains("Hi"));
//! ```

pub(crate) mod xml;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::rc::Rc;

use tempfile::TempDir;

/// The smallest valid `site.toml`.
pub(crate) const SITE_TOML: &str =
    "title = \"Test Clinic\"\nbase_url = \"https://clinic.example\"\n";

/// A page template that shows only the rendered Markdown, so content tests do not depend on the
/// built-in theme.
pub(crate) const CONTENT_ONLY: &str = "{{ page.content | safe }}";

/// A fixed moment for library builds: 2026-11-28 12:00 UTC.
pub(crate) const NOW: &str = "2026-11-28T12:00:00Z";

/// The text of a Markdown file with TOML front matter `front` (without the `+++` lines).
pub(crate) fn md(front: &str, body: &str) -> String {
    format!("+++\n{front}\n+++\n{body}")
}

/// A page with only a title.
pub(crate) fn page(title: &str, body: &str) -> String {
    md(&format!("title = {title:?}"), body)
}

/// A dated post.
pub(crate) fn post(title: &str, date: &str, body: &str) -> String {
    md(&format!("title = {title:?}\ndate = {date}"), body)
}

/// A real 12x8 PNG photo (tests/fixtures/photos/tiny.png), for tests that need an image that
/// is one.
pub(crate) fn tiny_png() -> Vec<u8> {
    fs::read(fixtures().join("photos/tiny.png")).unwrap()
}

/// A real 12x8 JPEG photo (tests/fixtures/photos/tiny.jpg).
pub(crate) fn tiny_jpg() -> Vec<u8> {
    fs::read(fixtures().join("photos/tiny.jpg")).unwrap()
}

/// The folder with the fixture sites.
pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A site in a temporary folder: the site is `<tmp>/site`, the output `<tmp>/out`.
#[derive(Clone)]
pub(crate) struct Site {
    dir: Rc<TempDir>,
}

impl Site {
    /// A site with a minimal `site.toml` and an empty `content/`.
    pub(crate) fn new() -> Site {
        Site::bare().file("site.toml", SITE_TOML).dir("content")
    }

    /// An empty site folder.
    pub(crate) fn bare() -> Site {
        let dir = tempfile::Builder::new()
            .prefix("knead-test-")
            .tempdir()
            .expect("a temporary folder can be created");
        fs::create_dir(dir.path().join("site")).unwrap();
        Site { dir: Rc::new(dir) }
    }

    /// A copy of the fixture site `tests/fixtures/<name>`.
    pub(crate) fn fixture(name: &str) -> Site {
        let site = Site::bare();
        copy_dir(&fixtures().join(name), &site.root());
        site
    }

    /// Adds (or replaces) a file of the site.
    pub(crate) fn file(self, rel: &str, contents: impl AsRef<[u8]>) -> Site {
        self.write(rel, contents);
        self
    }

    /// Adds an empty folder.
    pub(crate) fn dir(self, rel: &str) -> Site {
        fs::create_dir_all(self.root().join(rel)).unwrap();
        self
    }

    /// Writes a file of the site, for changes between builds.
    pub(crate) fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.root().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    /// Removes a file of the site.
    pub(crate) fn remove(&self, rel: &str) {
        fs::remove_file(self.root().join(rel)).unwrap();
    }

    /// The temporary folder that holds the site and its output.
    pub(crate) fn tmp(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The site root.
    pub(crate) fn root(&self) -> PathBuf {
        self.tmp().join("site")
    }

    /// The default output folder of tests.
    pub(crate) fn out(&self) -> PathBuf {
        self.tmp().join("out")
    }

    /// `knead` with no arguments, run in the temporary folder.
    pub(crate) fn knead(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_knead"));
        command.current_dir(self.tmp());
        command
    }

    /// `knead build --root <site> --output <out>` plus `args`.
    pub(crate) fn build_with(&self, args: &[&str]) -> Run {
        let mut command = self.knead();
        command
            .arg("build")
            .arg("--root")
            .arg(self.root())
            .arg("--output")
            .arg(self.out())
            .args(args);
        self.run(command)
    }

    /// `knead build --root <site> --output <out>`.
    pub(crate) fn build(&self) -> Run {
        self.build_with(&[])
    }

    /// Runs a command and keeps what it printed.
    pub(crate) fn run(&self, mut command: Command) -> Run {
        let output = command.output().expect("the knead binary runs");
        Run::new(output, self.out(), self.clone())
    }

    /// Library options for this site, writing to `out()`, with the clock fixed at [`NOW`].
    pub(crate) fn options(&self) -> knead::BuildOptions {
        knead::BuildOptions {
            output: Some(self.out()),
            now: Some(NOW.parse().unwrap()),
            ..knead::BuildOptions::new(self.root())
        }
    }

    /// Runs the library's build with `options`.
    pub(crate) fn build_lib(
        &self,
        options: &knead::BuildOptions,
    ) -> knead::Result<knead::BuildReport> {
        knead::build(options)
    }
}

/// What a run of `knead` did.
pub(crate) struct Run {
    /// The exit code.
    pub(crate) code: Option<i32>,
    /// Standard output.
    pub(crate) stdout: String,
    /// Standard error.
    pub(crate) stderr: String,
    out: PathBuf,
    /// Keeps the temporary folder alive while the run is inspected.
    _site: Site,
}

impl Run {
    fn new(output: Output, out: PathBuf, site: Site) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            out,
            _site: site,
        }
    }

    /// Asserts that the run exited with 0.
    #[track_caller]
    pub(crate) fn success(self) -> Run {
        assert_eq!(
            self.code,
            Some(0),
            "knead failed\n--- stderr\n{}",
            self.stderr
        );
        self
    }

    /// Asserts that the run exited with `code`.
    #[track_caller]
    pub(crate) fn exit(self, code: i32) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit code {code}\n--- stderr\n{}",
            self.stderr
        );
        self
    }

    /// Asserts that stderr contains `text`.
    #[track_caller]
    pub(crate) fn stderr_has(self, text: &str) -> Run {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\n--- stderr\n{}",
            self.stderr
        );
        self
    }

    /// The output folder.
    pub(crate) fn out(&self) -> &Path {
        &self.out
    }

    /// Whether the build wrote `rel`.
    pub(crate) fn exists(&self, rel: &str) -> bool {
        self.out.join(rel).is_file()
    }

    /// The text of output file `rel`.
    #[track_caller]
    pub(crate) fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.out.join(rel)).unwrap_or_else(|err| {
            panic!(
                "cannot read output `{rel}`: {err}\nfiles: {:?}",
                self.files()
            )
        })
    }

    /// The `<main>` element of output page `rel`, so that tests survive theme changes.
    #[track_caller]
    pub(crate) fn main_of(&self, rel: &str) -> String {
        main_element(&self.read(rel))
    }

    /// Every file of the output, relative, sorted.
    pub(crate) fn files(&self) -> Vec<String> {
        list_files(&self.out)
    }

    /// The counts of the summary line: (pages, written, unchanged, removed).
    #[track_caller]
    pub(crate) fn summary(&self) -> Summary {
        Summary::parse(&self.stderr)
    }
}

/// The numbers of the "Built N pages in X s: W written, U unchanged, R removed → DIR" line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Summary {
    /// Pages rendered.
    pub(crate) pages: usize,
    /// Files written.
    pub(crate) written: usize,
    /// Files left as they were.
    pub(crate) unchanged: usize,
    /// Files removed.
    pub(crate) removed: usize,
}

impl Summary {
    #[track_caller]
    fn parse(stderr: &str) -> Summary {
        let line = stderr
            .lines()
            .rfind(|l| l.starts_with("Built "))
            .unwrap_or_else(|| panic!("no summary line in stderr:\n{stderr}"));
        let number_before = |word: &str| -> usize {
            let end = line
                .find(word)
                .unwrap_or_else(|| panic!("no `{word}` in {line:?}"));
            line[..end]
                .trim_end()
                .rsplit(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no number before `{word}` in {line:?}"))
        };
        Summary {
            pages: number_before(" page"),
            written: number_before(" written"),
            unchanged: number_before(" unchanged"),
            removed: number_before(" removed"),
        }
    }
}

/// The `<main ...>...</main>` element of an HTML page.
#[track_caller]
pub(crate) fn main_element(html: &str) -> String {
    let start = html
        .find("<main")
        .unwrap_or_else(|| panic!("no <main> in:\n{html}"));
    let end = html[start..]
        .find("</main>")
        .map(|i| start + i + "</main>".len())
        .unwrap_or_else(|| panic!("no </main> in:\n{html}"));
    html[start..end].to_owned()
}

/// Every file under `dir`, relative with `/` separators, sorted.
pub(crate) fn list_files(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files);
    files.sort();
    files
}

fn collect(base: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(base, &path, files);
        } else {
            let rel = path.strip_prefix(base).unwrap();
            files.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// Every file under `dir` with its bytes, but the writer's manifest, which records inode numbers
/// and times and so differs between two builds of the same site by design.
pub(crate) fn snapshot_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    list_files(dir)
        .into_iter()
        .filter(|rel| rel != knead::output::MANIFEST)
        .map(|rel| {
            let bytes = fs::read(dir.join(&rel)).unwrap();
            (rel, bytes)
        })
        .collect()
}

/// Copies a folder tree.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}
