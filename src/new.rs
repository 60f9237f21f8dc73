//! `knead new`: starts a post, so staff never have to remember the front matter.
//!
//! The file gets its name from the title, today's date, `draft = true`, the default author and
//! commented lines for the other settings. With `--from`, a plain-text article (pasted from a
//! word processor or an email) becomes the post's body: [`text_to_markdown`] guesses its headings
//! and description, and the guesses are reported so that staff can check them.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::civil::Date;

use crate::config::{CONFIG_FILE, Config};
use crate::error::{Diagnostic, Diagnostics, Error};
use crate::slug::slugify;

mod plain_text;

pub use plain_text::{Converted, DESCRIPTION_LIMIT, text_to_markdown};

/// The section new posts go to when none is given.
pub const DEFAULT_SECTION: &str = "blog";

/// What `knead new` was asked to do.
#[derive(Debug, Clone)]
pub struct NewOptions {
    /// The site's folder (holding `site.toml`).
    pub root: PathBuf,
    /// The post's title; with `from`, the file's first line when not given.
    pub title: Option<String>,
    /// The folder of `content/` the post goes to, such as `blog` or `services`.
    pub section: String,
    /// A plain-text article to turn into the post's body.
    pub from: Option<PathBuf>,
    /// The post's date (the command line passes today's local date).
    pub today: Date,
}

impl NewOptions {
    /// Options for a post titled `title` in the blog of the site at `root`, dated `today`.
    pub fn new(root: impl Into<PathBuf>, title: impl Into<String>, today: Date) -> Self {
        NewOptions {
            root: root.into(),
            title: Some(title.into()),
            section: DEFAULT_SECTION.to_owned(),
            from: None,
            today,
        }
    }
}

/// What `knead new` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    /// The file created, as the user would type it (inside `--root` when one was given).
    pub path: PathBuf,
    /// The section folder, when `knead new` had to create it.
    pub created_section: Option<PathBuf>,
    /// The post's title.
    pub title: String,
    /// What was guessed while converting a `--from` file, one line each, for staff to check.
    pub guesses: Vec<String>,
    /// The command that builds the site with drafts, to preview the post.
    pub preview_command: String,
}

impl fmt::Display for NewReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(dir) = &self.created_section {
            writeln!(f, "Created the folder {} (a new section)", dir.display())?;
        }
        writeln!(f, "Created {}", self.path.display())?;
        if !self.guesses.is_empty() {
            writeln!(f, "Check what knead guessed:")?;
            for guess in &self.guesses {
                writeln!(f, "  - {guess}")?;
            }
        }
        let task = if self.guesses.is_empty() {
            "write the post in that file"
        } else {
            "check the post in that file"
        };
        writeln!(f, "Next: {task}, then preview it with")?;
        writeln!(f, "  {}", self.preview_command)?;
        writeln!(
            f,
            "and open the address it prints in a browser; `knead check` then reads it for mistakes."
        )?;
        writeln!(
            f,
            "The post is a draft: delete the line `draft = true` when it is ready to publish."
        )
    }
}

/// Why `knead new` made no post.
#[derive(Debug, thiserror::Error)]
pub enum NewError {
    /// The command was used wrongly: an empty title, a section that is not a folder name
    /// (exit code 2).
    #[error("{}", .0.message)]
    Usage(Diagnostic),
    /// The site or a file is wrong, or a file could not be read or written (exit code 1).
    #[error(transparent)]
    Failed(#[from] Error),
}

/// Creates the post described by `options` and returns what was done. Never overwrites a file.
pub fn create(options: &NewOptions) -> Result<NewReport, NewError> {
    let section = check_section(&options.section)?;
    let given_title = options.title.as_deref().map(clean_title);
    if let Some(title) = &given_title {
        check_title(title)?;
    }
    let config = read_config(&options.root)?;
    let (title, body, description, guesses) = match &options.from {
        Some(from) => from_text(from, given_title)?,
        None => {
            let title = given_title.ok_or_else(|| {
                NewError::Usage(
                    Diagnostic::error("give the post's title")
                        .with_hint("knead new \"Neck pain relief at your desk\""),
                )
            })?;
            (title, PLACEHOLDER_BODY.to_owned(), None, Vec::new())
        }
    };
    let slug = slugify(&title);
    if slug.is_empty() {
        return Err(NewError::Usage(no_letters(&title)));
    }

    let section_dir = options.root.join("content").join(&section);
    let file = section_dir.join(format!("{slug}.md"));
    let bundle = section_dir.join(&slug).join("index.md");
    if bundle.exists() {
        return Err(site_error(
            Diagnostic::error("a post with this address already exists")
                .in_file(shown(&bundle, &options.root))
                .with_hint("choose another title, or edit that post"),
        ));
    }
    let created_section = if section_dir.is_dir() {
        None
    } else {
        fs::create_dir_all(&section_dir)
            .map_err(|err| Error::io("failed to create the folder", &section_dir, err))?;
        Some(shown(&section_dir, &options.root))
    };
    let text = post_text(&Post {
        title: &title,
        date: options.today,
        author: author_line(&config),
        description: description.as_deref(),
        body: &body,
    });
    write_new(&file, &text, &options.root)?;
    Ok(NewReport {
        path: shown(&file, &options.root),
        created_section,
        title,
        guesses,
        preview_command: preview_command(&options.root),
    })
}

pub(crate) const PLACEHOLDER_BODY: &str = "\
Write the post here, in plain sentences. Start with a short paragraph that answers the reader's
question: it is shown in the list of posts and in search results when there is no description.

Divide a long post with headings: a line that starts with `## ` (two hashes and a space).
Leave an empty line between paragraphs.
";

/// The example description of a new post's file (a commented line).
pub(crate) const PLACEHOLDER_DESCRIPTION: &str =
    "One or two sentences for search results (under 160 characters).";

/// The example `image_alt` of a new post's file (a commented line).
pub(crate) const PLACEHOLDER_ALT: &str = "What the photo shows, for people who cannot see it";

/// The parts of a new post's file.
struct Post<'a> {
    title: &'a str,
    date: Date,
    author: Option<String>,
    description: Option<&'a str>,
    body: &'a str,
}

/// The whole text of a new post: front matter, then body.
fn post_text(post: &Post<'_>) -> String {
    let mut text = String::from("+++\n");
    text.push_str(&format!("title = {}\n", toml_string(post.title)));
    text.push_str(&format!("date = {}\n", post.date));
    text.push_str("draft = true  # delete this line when the post is ready to publish\n");
    if let Some(author) = &post.author {
        text.push_str(author);
        text.push('\n');
    }
    text.push_str(
        "# To use a setting that starts with #, delete the # at the start of its line.\n",
    );
    match post.description {
        Some(description) => {
            text.push_str("# Guessed from the first paragraph: check it (under 160 characters).\n");
            text.push_str(&format!("description = {}\n", toml_string(description)));
        }
        None => text.push_str(&format!("# description = \"{PLACEHOLDER_DESCRIPTION}\"\n")),
    }
    text.push_str("# tags = [\"Neck Pain\", \"Self-Care\"]\n");
    text.push_str("# image = \"/photo.jpg\"  # a photo saved as static/photo.jpg\n");
    text.push_str(&format!("# image_alt = \"{PLACEHOLDER_ALT}\"\n"));
    text.push_str("+++\n\n");
    text.push_str(post.body.trim_end());
    text.push('\n');
    text
}

/// The author line: the default author, or a commented line listing the ids to choose from.
fn author_line(config: &Config) -> Option<String> {
    if let Some(id) = &config.default_author {
        return Some(format!("author = {}", toml_string(id)));
    }
    let ids: Vec<&str> = config.authors.keys().map(String::as_str).collect();
    let first = ids.first()?;
    Some(format!(
        "# author = {}  # one of: {}",
        toml_string(first),
        ids.join(", ")
    ))
}

/// `text` as a TOML basic string, quoted and escaped.
fn toml_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// The title with runs of spaces and line breaks made single spaces.
fn clean_title(title: &str) -> String {
    title.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn check_title(title: &str) -> Result<(), NewError> {
    if title.is_empty() {
        return Err(NewError::Usage(
            Diagnostic::error("the title is empty").with_hint(
                "give the post's title in quotes: knead new \"Neck pain relief at your desk\"",
            ),
        ));
    }
    if !title.chars().any(char::is_alphanumeric) {
        return Err(NewError::Usage(no_letters(title)));
    }
    Ok(())
}

fn no_letters(title: &str) -> Diagnostic {
    Diagnostic::error(format!(
        "the title `{title}` has no letters or digits to name the file after"
    ))
    .with_hint("give a title with words: knead new \"Neck pain relief at your desk\"")
}

/// Checks `--section` and returns it without trailing slashes: one or more folder names
/// separated by `/`, never leaving `content/`.
fn check_section(section: &str) -> Result<String, NewError> {
    let trimmed = section.trim().trim_end_matches('/');
    let bad = |why: &str| {
        NewError::Usage(
            Diagnostic::error(format!("--section `{section}` {why}"))
                .with_hint("give the name of a folder in content/, such as `blog` or `services`"),
        )
    };
    if trimmed.is_empty() {
        return Err(bad("is empty"));
    }
    if trimmed.starts_with('/') || trimmed.contains('\\') || trimmed.contains(':') {
        return Err(bad("is not a folder name inside content/"));
    }
    for part in trimmed.split('/') {
        if part.is_empty() || part.starts_with('.') {
            return Err(bad("is not a folder name inside content/"));
        }
        if part.chars().any(char::is_control) {
            return Err(bad("contains a control character"));
        }
    }
    Ok(trimmed.to_owned())
}

/// Reads and validates the site's settings, for the default author.
fn read_config(root: &Path) -> Result<Config, NewError> {
    let path = root.join(CONFIG_FILE);
    let shown_path = shown(&path, root);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(site_error(
                Diagnostic::error(format!(
                    "no site.toml in `{}`: this folder is not a knead site",
                    root.display()
                ))
                .with_hint(
                    "run knead new in the site's folder or point at it with --root DIR; \
                     to start a site, run knead init DIR",
                ),
            ));
        }
        Err(err) => return Err(Error::io("failed to read", &path, err).into()),
    };
    let text = String::from_utf8(bytes).map_err(|_| {
        site_error(
            Diagnostic::error("site.toml is not UTF-8 text")
                .in_file(&shown_path)
                .with_hint("save it as UTF-8 in your editor"),
        )
    })?;
    Config::parse(&text, &shown_path, None).map_err(|diagnostics| Error::Site(diagnostics).into())
}

/// Reads a `--from` file and converts it: the title, the body, the description and the guesses.
fn from_text(
    from: &Path,
    given_title: Option<String>,
) -> Result<(String, String, Option<String>, Vec<String>), NewError> {
    let text = read_text(from)?;
    let converted = text_to_markdown(&text);
    let mut guesses = Vec::new();
    let mut markdown = converted.markdown;
    let title = match (given_title, converted.title) {
        (Some(given), Some(first)) if slugify(&given) == slugify(&first) => {
            guesses.push("the first line repeats the title, so it is left out of the text".into());
            given
        }
        (Some(given), Some(first)) => {
            guesses.push(format!(
                "the first line, \"{first}\", became a section heading (##), since you gave the title"
            ));
            markdown = format!("## {first}\n\n{markdown}");
            given
        }
        (Some(given), None) => given,
        (None, Some(first)) => {
            guesses.push(format!("title: taken from the first line, \"{first}\""));
            first
        }
        (None, None) => {
            return Err(NewError::Usage(
                Diagnostic::error("the first line of this file does not look like a title")
                    .in_file(from)
                    .with_hint(format!(
                        "give the title on the command line: knead new \"Title\" --from {}",
                        shell_quote(&from.display().to_string())
                    )),
            ));
        }
    };
    guesses.extend(converted.guesses);
    Ok((title, markdown, converted.description, guesses))
}

/// Reads a text file as UTF-8 (or UTF-16 with a byte order mark, as some Windows editors save).
fn read_text(path: &Path) -> Result<String, NewError> {
    let bytes = fs::read(path).map_err(|err| Error::io("failed to read", path, err))?;
    let text = decode(&bytes).ok_or_else(|| {
        site_error(
            Diagnostic::error("this file is not UTF-8 text")
                .in_file(path)
                .with_hint(
                    "open it in your editor and save it as UTF-8 (\"Save As\", \"Encoding\")",
                ),
        )
    })?;
    if text.trim().is_empty() {
        return Err(site_error(
            Diagnostic::error("this file is empty")
                .in_file(path)
                .with_hint("--from takes a text file holding the article"),
        ));
    }
    Ok(text)
}

fn decode(bytes: &[u8]) -> Option<String> {
    let utf16 = |rest: &[u8], from: fn([u8; 2]) -> u16| {
        if !rest.len().is_multiple_of(2) {
            return None;
        }
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|pair| from([pair[0], pair[1]]))
            .collect();
        String::from_utf16(&units).ok()
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => {
            let text = std::str::from_utf8(bytes).ok()?;
            Some(text.strip_prefix('\u{feff}').unwrap_or(text).to_owned())
        }
    }
}

/// Creates `file` with `text`, refusing to replace an existing file.
fn write_new(file: &Path, text: &str, root: &Path) -> Result<(), NewError> {
    let mut handle = match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
    {
        Ok(handle) => handle,
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(site_error(
                Diagnostic::error("this file already exists; knead new never replaces a file")
                    .in_file(shown(file, root))
                    .with_hint("choose another title, or open the file and edit it"),
            ));
        }
        Err(err) => return Err(Error::io("failed to create", file, err).into()),
    };
    if let Err(err) = handle.write_all(text.as_bytes()) {
        // The file is ours and half written: remove it rather than leave a broken post.
        drop(handle);
        let _ = fs::remove_file(file);
        return Err(Error::io("failed to write", file, err).into());
    }
    Ok(())
}

/// `path` as the user would type it: without a leading `./` when the root is the current folder.
fn shown(path: &Path, root: &Path) -> PathBuf {
    if root == Path::new(".") || root.as_os_str().is_empty() {
        path.strip_prefix(root).unwrap_or(path).to_path_buf()
    } else {
        path.to_path_buf()
    }
}

/// `knead serve` (which shows drafts and writes nothing into the folder that is uploaded), with
/// `--root` when the site is not the current folder.
fn preview_command(root: &Path) -> String {
    if root == Path::new(".") || root.as_os_str().is_empty() {
        "knead serve".to_owned()
    } else {
        format!(
            "knead serve --root {}",
            shell_quote(&root.display().to_string())
        )
    }
}

/// Quotes a path for a POSIX shell when it holds anything but safe characters.
pub(crate) fn shell_quote(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '-' | '_' | ':' | '~' | '+'));
    if safe {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn site_error(diagnostic: Diagnostic) -> NewError {
    NewError::Failed(Error::Site(Diagnostics(vec![diagnostic])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front_matter::{self, PageFrontMatter};

    fn date() -> Date {
        jiff::civil::date(2026, 11, 28)
    }

    #[test]
    fn toml_string_round_trips_quotes_backslashes_and_controls() {
        for title in [
            "Plain",
            r#"The "best" massage"#,
            r"C:\back\slash",
            "tab\there",
            "line\nbreak",
            "bell\u{7}",
            "'single' and \"double\"",
            "Café ünïcödé 💆",
        ] {
            let doc = format!("t = {}", toml_string(title));
            let table: toml::Table = toml::from_str(&doc).unwrap();
            assert_eq!(table["t"].as_str(), Some(title), "{doc}");
        }
    }

    #[test]
    fn post_text_has_the_expected_front_matter_and_parses() {
        let text = post_text(&Post {
            title: r#"Neck "pain" \ relief"#,
            date: date(),
            author: Some("author = \"dana\"".into()),
            description: None,
            body: PLACEHOLDER_BODY,
        });
        assert!(
            text.starts_with(
                "+++\ntitle = \"Neck \\\"pain\\\" \\\\ relief\"\ndate = 2026-11-28\ndraft = true"
            ),
            "{text}"
        );
        assert!(text.contains("\nauthor = \"dana\"\n"));
        assert!(text.contains("\n# description = \""));
        assert!(text.contains("\n# tags = ["));
        assert!(text.contains("\n# image = \""));
        let split = front_matter::split(&text).unwrap();
        let fm: PageFrontMatter = toml::from_str(split.front_matter).unwrap();
        assert_eq!(fm.title.as_deref(), Some(r#"Neck "pain" \ relief"#));
        assert!(fm.draft);
        assert_eq!(fm.author.as_deref(), Some("dana"));
        assert_eq!(fm.date.unwrap().to_string(), "2026-11-28");
        assert!(split.body.contains("Write the post here"));
    }

    #[test]
    fn guessed_description_is_written_uncommented() {
        let text = post_text(&Post {
            title: "T",
            date: date(),
            author: None,
            description: Some("Short \"quoted\" text."),
            body: "Body",
        });
        let split = front_matter::split(&text).unwrap();
        let fm: PageFrontMatter = toml::from_str(split.front_matter).unwrap();
        assert_eq!(fm.description.as_deref(), Some("Short \"quoted\" text."));
        assert_eq!(fm.author, None);
        assert!(!text.contains("author"));
    }

    #[test]
    fn without_a_default_author_the_ids_are_offered_in_a_comment() {
        let config = Config::parse(
            "title = \"T\"\nbase_url = \"https://x.example\"\n[authors.b]\nname = \"B\"\n[authors.a]\nname = \"A\"\n",
            Path::new("site.toml"),
            None,
        )
        .unwrap();
        assert_eq!(
            author_line(&config).as_deref(),
            Some("# author = \"a\"  # one of: a, b")
        );
    }

    #[test]
    fn titles_are_cleaned_and_checked() {
        assert_eq!(clean_title("  Neck \n pain\trelief "), "Neck pain relief");
        assert!(matches!(check_title(""), Err(NewError::Usage(_))));
        assert!(matches!(check_title("!!! ???"), Err(NewError::Usage(_))));
        assert!(check_title("5 tips").is_ok());
    }

    #[test]
    fn sections_must_stay_inside_content() {
        assert_eq!(check_section("services/").unwrap(), "services");
        assert_eq!(check_section("blog/tips").unwrap(), "blog/tips");
        for bad in [
            "",
            "/",
            "../x",
            "/etc",
            "blog/../..",
            "a//b",
            ".hidden",
            "c:\\x",
        ] {
            assert!(
                matches!(check_section(bad), Err(NewError::Usage(_))),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn shell_quote_quotes_only_when_needed() {
        assert_eq!(shell_quote("my-site"), "my-site");
        assert_eq!(shell_quote("my site"), "'my site'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn decodes_utf8_with_bom_and_utf16() {
        assert_eq!(decode(b"\xEF\xBB\xBFhi").as_deref(), Some("hi"));
        assert_eq!(decode(b"\xFF\xFEh\0i\0").as_deref(), Some("hi"));
        assert_eq!(decode(b"\xFE\xFF\0h\0i").as_deref(), Some("hi"));
        assert_eq!(decode(b"caf\xE9"), None);
        assert_eq!(decode(b"\xFF\xFEh"), None);
    }
}
