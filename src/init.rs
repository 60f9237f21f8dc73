//! `knead init`: starts a site that builds at once, with every setting present and explained.
//!
//! The starter files live under `src/init/` and are embedded in the binary. knead init never
//! replaces or deletes a file: it refuses a folder that already holds something (other than
//! hidden files such as `.git`), and with `--force` it only adds the files that are missing.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::civil::Date;

use crate::error::{Diagnostic, Error};

/// The starter site: each file's path in the new site, with `/` separators, and its text.
/// `{{today}}` in a text becomes the date of the day.
pub const STARTER_FILES: &[(&str, &str)] = &[
    ("site.toml", include_str!("init/site.toml")),
    ("content/_index.md", include_str!("init/content/_index.md")),
    ("content/about.md", include_str!("init/content/about.md")),
    (
        "content/blog/_index.md",
        include_str!("init/content/blog/_index.md"),
    ),
    (
        "content/blog/welcome-to-our-blog.md",
        include_str!("init/content/blog/welcome-to-our-blog.md"),
    ),
    (
        "templates/README.md",
        include_str!("init/templates/README.md"),
    ),
    ("static/README.md", include_str!("init/static/README.md")),
    // Named without its dot in src/init/, so that it does not act on knead's own repository.
    (".gitignore", include_str!("init/gitignore")),
];

/// What `knead init` was asked to do.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The folder of the new site; created when missing.
    pub dir: PathBuf,
    /// Add the missing starter files to a folder that is not empty, leaving every existing file
    /// as it is.
    pub force: bool,
    /// The date of the sample post (the command line passes today's local date).
    pub today: Date,
}

/// What `knead init` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// The site's folder, as given.
    pub dir: PathBuf,
    /// The files created, relative to `dir`.
    pub created: Vec<PathBuf>,
    /// The starter files that already existed and were left as they were, relative to `dir`.
    pub kept: Vec<PathBuf>,
}

impl fmt::Display for InitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.created.is_empty() {
            writeln!(
                f,
                "Nothing to create: {} already has every starter file",
                self.dir.display()
            )?;
        } else {
            writeln!(f, "Created a site in {}:", self.dir.display())?;
            for path in &self.created {
                writeln!(f, "  {}", path.display())?;
            }
        }
        if !self.kept.is_empty() {
            writeln!(f, "Left alone (they already exist):")?;
            for path in &self.kept {
                writeln!(f, "  {}", path.display())?;
            }
        }
        writeln!(
            f,
            "Next: fill in site.toml (every setting is explained in it), then run"
        )?;
        if !is_current_dir(&self.dir) {
            writeln!(
                f,
                "  cd {}",
                crate::new::shell_quote(&self.dir.display().to_string())
            )?;
        }
        writeln!(f, "  knead serve")?;
        writeln!(
            f,
            "and open http://127.0.0.1:1111/ in a browser. Write a post with: knead new \"Your \
             title\". When base_url in site.toml is the site's own address, knead build writes \
             the site to publish into public/."
        )
    }
}

/// Why `knead init` made no site.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The folder cannot take a new site: it is not empty (without `--force`), or it is a file
    /// (exit code 2).
    #[error("{}", .0.message)]
    Usage(Diagnostic),
    /// A file or folder could not be read or written (exit code 1).
    #[error(transparent)]
    Failed(#[from] Error),
}

/// Creates the starter site in `options.dir`. Never replaces or deletes anything.
pub fn init(options: &InitOptions) -> Result<InitReport, InitError> {
    let dir = &options.dir;
    check_dir(dir, options.force)?;
    fs::create_dir_all(dir).map_err(|err| Error::io("failed to create the folder", dir, err))?;
    let today = options.today.to_string();
    let mut report = InitReport {
        dir: dir.clone(),
        created: Vec::new(),
        kept: Vec::new(),
    };
    for (name, text) in STARTER_FILES {
        let rel: PathBuf = name.split('/').collect();
        let path = dir.join(&rel);
        if create_new(&path, &text.replace("{{today}}", &today))? {
            report.created.push(rel);
        } else {
            report.kept.push(rel);
        }
    }
    Ok(report)
}

/// Refuses a file, and a folder holding anything but hidden files unless `force`.
fn check_dir(dir: &Path, force: bool) -> Result<(), InitError> {
    match fs::metadata(dir) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(Error::io("failed to open", dir, err).into()),
        Ok(meta) if !meta.is_dir() => {
            return Err(InitError::Usage(
                Diagnostic::error("this is a file, not a folder")
                    .in_file(dir)
                    .with_hint("give the name of a new folder for the site: knead init my-site"),
            ));
        }
        Ok(_) => {}
    }
    if force {
        return Ok(());
    }
    let entries = fs::read_dir(dir).map_err(|err| Error::io("failed to read", dir, err))?;
    let mut visible = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| Error::io("failed to read", dir, err))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // Hidden files (`.git`, `.DS_Store`) do not make a folder a site: `git init` may come first.
        if !name.starts_with('.') {
            visible.push(name);
        }
    }
    if visible.is_empty() {
        return Ok(());
    }
    visible.sort();
    let shown = match visible.len() {
        1..=3 => visible.join(", "),
        n => format!("{} and {} more", visible[..3].join(", "), n - 3),
    };
    Err(InitError::Usage(
        Diagnostic::error(format!("this folder is not empty (it holds {shown})"))
            .in_file(dir)
            .with_hint(
                "start the site in a new folder, or add --force to create only the files that \
                 are missing (nothing is replaced or deleted)",
            ),
    ))
}

/// Creates `path` with `text` unless something is already there. Returns whether it created it.
fn create_new(path: &Path, text: &str) -> Result<bool, Error> {
    if fs::symlink_metadata(path).is_ok() {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|err| Error::io("failed to create the folder", parent, err))?;
    }
    let mut file = match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(err) => return Err(Error::io("failed to create", path, err)),
    };
    file.write_all(text.as_bytes())
        .map_err(|err| Error::io("failed to write", path, err))?;
    Ok(true)
}

fn is_current_dir(dir: &Path) -> bool {
    dir == Path::new(".") || dir.as_os_str().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::front_matter::{self, PageFrontMatter, SectionFrontMatter};

    fn starter(name: &str) -> String {
        let (_, text) = STARTER_FILES
            .iter()
            .find(|(n, _)| *n == name)
            .expect("the starter file exists");
        text.replace("{{today}}", "2026-11-28")
    }

    #[test]
    fn site_toml_has_every_setting_and_is_valid() {
        let text = starter("site.toml");
        let table: toml::Table = toml::from_str(&text).unwrap();
        for key in [
            "title",
            "base_url",
            "description",
            "language",
            "default_author",
            "menu",
            "clinic",
            "authors",
            "extra",
        ] {
            assert!(table.contains_key(key), "site.toml has no `{key}`");
        }
        let clinic = table["clinic"].as_table().unwrap();
        for key in [
            "name",
            "street",
            "city",
            "region",
            "postal_code",
            "country",
            "phone",
            "email",
            "booking_url",
            "hours",
            "type",
            "price_range",
            "area_served",
            "same_as",
            "image",
        ] {
            assert!(clinic.contains_key(key), "[clinic] has no `{key}`");
        }
        let author = table["authors"]["alex"].as_table().unwrap();
        for key in [
            "name",
            "credentials",
            "job_title",
            "bio",
            "photo",
            "same_as",
        ] {
            assert!(author.contains_key(key), "[authors.alex] has no `{key}`");
        }
        // Settings without a harmless placeholder are there, commented out, ready to fill in.
        for line in ["\n# disclaimer = \"", "\n# latitude = ", "\n# longitude = "] {
            assert!(text.contains(line), "site.toml has no `{}`", line.trim());
        }
        // The commented disclaimer is the one knead shows by default, so uncommenting it changes
        // nothing until staff edit it.
        let commented = format!("# disclaimer = \"{}\"", crate::config::DEFAULT_DISCLAIMER);
        assert!(text.lines().any(|l| l == commented), "{commented}");
        let config = Config::parse(&text, Path::new("site.toml"), None).unwrap();
        assert_eq!(config.default_author.as_deref(), Some("alex"));
        assert_eq!(config.clinic.hours[0], "Mo-Fr 09:00-18:00");
    }

    #[test]
    fn every_setting_is_explained_by_a_comment() {
        let text = starter("site.toml");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let is_setting = line.contains(" = ") && !line.starts_with('#');
            let explained = line.contains(" # ")
                || lines[..i]
                    .iter()
                    .rev()
                    .take_while(|l| !l.is_empty())
                    .any(|l| l.starts_with('#'));
            assert!(
                !is_setting || explained,
                "line {} is not explained: {line}",
                i + 1
            );
        }
    }

    #[test]
    fn content_files_have_valid_front_matter() {
        let blog: SectionFrontMatter = parse(&starter("content/blog/_index.md"));
        assert_eq!(blog.paginate_by, Some(10));
        assert_eq!(blog.sort_by, front_matter::SortBy::Date);
        let _: SectionFrontMatter = parse(&starter("content/_index.md"));
        let about: PageFrontMatter = parse(&starter("content/about.md"));
        assert!(about.title.is_some());
        let post: PageFrontMatter = parse(&starter("content/blog/welcome-to-our-blog.md"));
        assert_eq!(post.date.unwrap().to_string(), "2026-11-28");
        assert_eq!(post.author.as_deref(), Some("alex"));
        assert!(!post.draft);
    }

    fn parse<T: serde::de::DeserializeOwned>(text: &str) -> T {
        let split = front_matter::split(text).unwrap();
        toml::from_str(split.front_matter).unwrap()
    }

    #[test]
    fn gitignore_ignores_the_output() {
        let gitignore = starter(".gitignore");
        assert!(gitignore.lines().any(|l| l == "public/"));
        assert!(gitignore.lines().any(|l| l == ".public.knead-*"));
        assert!(gitignore.lines().any(|l| l == ".knead-cache/"));
    }

    #[test]
    fn report_names_the_next_commands() {
        let report = InitReport {
            dir: PathBuf::from("my site"),
            created: vec![PathBuf::from("site.toml")],
            kept: vec![PathBuf::from(".gitignore")],
        };
        let text = report.to_string();
        assert!(
            text.contains("Created a site in my site:\n  site.toml\n"),
            "{text}"
        );
        assert!(
            text.contains("Left alone (they already exist):\n  .gitignore\n"),
            "{text}"
        );
        assert!(text.contains("\n  cd 'my site'\n  knead serve\n"), "{text}");
        assert!(text.contains("When base_url in site.toml is the site's own address"));
        let here = InitReport {
            dir: PathBuf::from("."),
            ..report
        };
        assert!(!here.to_string().contains("cd "));
    }
}
