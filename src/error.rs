//! Errors and warnings as data, and the one place that prints them.
//!
//! Every problem knead finds in a site becomes a [`Diagnostic`]: a message, where it is (a file and,
//! when known, a line and column counted in the file as the user sees it), the source line, and a
//! hint on how to fix it. Stages collect all their diagnostics instead of stopping at the first, so
//! staff can fix every mistake of a run at once.

use std::fmt;
use std::path::{Path, PathBuf};

/// How serious a diagnostic is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Severity {
    /// Stops the build: nothing is written.
    Error,
    /// Reported, but the build goes on.
    Warning,
}

/// A place in a file: the path as the user would type it (relative to the site root when the
/// file is inside it), and a 1-based line and column. Columns count characters, not bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Location {
    /// The file, relative to the site root where possible.
    pub path: PathBuf,
    /// 1-based line, or 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column in characters, or 0 when unknown.
    pub col: usize,
}

impl Location {
    /// A location that points at a whole file rather than a line in it.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Location {
            path: path.into(),
            line: 0,
            col: 0,
        }
    }

    /// The location of byte `offset` in `text`, the full contents of the file at `path`.
    pub fn at(path: impl Into<PathBuf>, text: &str, offset: usize) -> Self {
        let (line, col) = line_col(text, offset);
        Location {
            path: path.into(),
            line,
            col,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A file name's control characters shown as U+FFFD: printed as they are, a newline
        // would break the line and an escape could drive the terminal.
        let path = self.path.display().to_string();
        if path.contains(char::is_control) {
            let shown: String = path
                .chars()
                .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                .collect();
            write!(f, "{shown}")?;
        } else {
            write!(f, "{path}")?;
        }
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.col > 0 {
                write!(f, ":{}", self.col)?;
            }
        }
        Ok(())
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`. An offset past the end
/// or inside a multi-byte character is clamped to the nearest character boundary before it.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// The byte offset of 1-based `line` and `col` in `text`: the inverse of [`line_col`].
pub fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let rest = &text[start..];
    rest.char_indices()
        .nth(col.saturating_sub(1))
        .map_or(text.len(), |(i, _)| start + i)
}

/// Where `bytes`, valid UTF-8 up to `valid_up_to`, stop being text, in words for a message:
/// "the byte 0xE9 on line 2, column 13".
pub fn invalid_utf8_at(bytes: &[u8], valid_up_to: usize) -> String {
    let valid_up_to = valid_up_to.min(bytes.len());
    let before = std::str::from_utf8(&bytes[..valid_up_to]).unwrap_or_default();
    let (line, col) = line_col(before, before.len());
    match bytes.get(valid_up_to) {
        Some(byte) => format!("the byte 0x{byte:02X} on line {line}, column {col}"),
        None => format!("the end of line {line}"),
    }
}

/// The characters that XML 1.0 cannot hold, and so no feed or sitemap: control characters
/// other than tab, line feed and carriage return, and the noncharacters U+FFFE and U+FFFF.
pub fn is_unwritable(c: char) -> bool {
    matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// A character that [`is_unwritable`], in words for a message: "an invisible control character
/// (U+0001)".
pub fn unwritable_name(c: char) -> String {
    match c {
        '\0' => "a NUL character (U+0000)".to_owned(),
        '\u{fffe}' | '\u{ffff}' => format!("a character that is not text (U+{:04X})", u32::from(c)),
        _ => format!("an invisible control character (U+{:04X})", u32::from(c)),
    }
}

/// The error for a setting (`key`) whose value holds `c`, a character that [`is_unwritable`],
/// written as an escape; the caller adds where.
pub fn escaped_unwritable(key: &str, c: char) -> Diagnostic {
    Diagnostic::error(format!(
        "`{key}` holds {}, written as an escape, which feeds and sitemaps cannot hold",
        unwritable_name(c)
    ))
    .with_hint(format!(
        "remove the escape (`\\u{:04X}` or the like) from the value",
        u32::from(c)
    ))
}

/// An error at the first character of `text` (the text of `file`) that no feed or sitemap can
/// hold ([`is_unwritable`]), if there is one: it is invisible in an editor, so the message
/// names it and says how to remove it.
pub fn unwritable_character(file: &Path, text: &str) -> Option<Diagnostic> {
    // Every page's whole text goes through here: bytes first, characters only where a byte
    // could start one (a control byte, or 0xEF, the first byte of U+FFFE and U+FFFF).
    let suspect = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF;
    if !text.bytes().any(suspect) {
        return None;
    }
    let (offset, c) = text.char_indices().find(|&(_, c)| is_unwritable(c))?;
    let others = text.chars().filter(|&c| is_unwritable(c)).count() - 1;
    let what = unwritable_name(c);
    let more = match others {
        0 => String::new(),
        1 => " (and 1 more in this file)".to_owned(),
        n => format!(" (and {n} more in this file)"),
    };
    Some(
        Diagnostic::error(format!(
            "this file contains {what}{more}, which feeds and sitemaps cannot hold"
        ))
        .at(file, text, offset)
        .with_hint(
            "delete it: it sits where the caret points, though the editor shows nothing there \
             (it usually comes with text pasted from a PDF or a word processor)",
        ),
    )
}

/// One problem found in a site.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where, when it is about a file.
    pub location: Option<Location>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The line of the file the location points at, without its line ending.
    pub source_line: Option<String>,
    /// How to fix it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error with a message and nothing else.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            location: None,
            message: message.into(),
            source_line: None,
            hint: None,
        }
    }

    /// A warning with a message and nothing else.
    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    /// The same diagnostic, as a warning.
    pub fn into_warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// Points the diagnostic at a whole file.
    pub fn in_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.location = Some(Location::file(path));
        self
    }

    /// Points the diagnostic at byte `offset` of `text`, the contents of the file at `path`, and
    /// keeps the source line for display.
    pub fn at(mut self, path: impl Into<PathBuf>, text: &str, offset: usize) -> Self {
        let location = Location::at(path, text, offset);
        // Shown with its control characters (other than tabs) as U+FFFD, one for one so the
        // caret stays in place: printed as they are, they could move the terminal's cursor.
        self.source_line = text.lines().nth(location.line - 1).map(|line| {
            line.chars()
                .map(|c| {
                    if c.is_control() && c != '\t' {
                        '\u{fffd}'
                    } else {
                        c
                    }
                })
                .collect()
        });
        self.location = Some(location);
        self
    }

    /// Adds a hint on how to fix the problem.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Whether this diagnostic stops the build.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The source line with its number, and a caret under the column when there is one, each
    /// line ending with a newline; with the width of the line number. A line longer than
    /// [`EXCERPT_WIDTH`] characters is cut around the column, with `…` where it was cut, so that
    /// the caret stays on screen.
    pub fn excerpt(&self) -> Option<(usize, String)> {
        let (Some(line), Some(location)) = (&self.source_line, &self.location) else {
            return None;
        };
        let number = location.line.to_string();
        let chars: Vec<char> = line.trim_end_matches('\r').chars().collect();
        let column = location.col.saturating_sub(1);
        let start = if chars.len() > EXCERPT_WIDTH {
            column
                .saturating_sub(EXCERPT_WIDTH / 2)
                .min(chars.len() - EXCERPT_WIDTH)
        } else {
            0
        };
        let end = chars.len().min(start + EXCERPT_WIDTH);
        let before = if start > 0 { "…" } else { "" };
        let after = if end < chars.len() { "…" } else { "" };
        let shown: String = chars[start..end].iter().collect();
        let mut excerpt = format!("{number} | {before}{shown}{after}\n");
        if location.col > 0 {
            let indent: String = before
                .chars()
                .chain(chars[start..column.clamp(start, end)].iter().copied())
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            excerpt.push_str(&format!("{} | {indent}^\n", " ".repeat(number.len())));
        }
        Some((number.len(), excerpt))
    }
}

/// How many characters of a source line a message shows at most.
pub const EXCERPT_WIDTH: usize = 100;

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.location {
            Some(location) => writeln!(f, "{location}: {label}: {}", self.message)?,
            None => writeln!(f, "{label}: {}", self.message)?,
        }
        if let Some((width, excerpt)) = self.excerpt() {
            write!(f, "{} |\n{excerpt}", " ".repeat(width))?;
        }
        if let Some(hint) = &self.hint {
            // Line the `=` up with the `|` above, however wide the line number is.
            let width = self.excerpt().map_or(1, |(width, _)| width);
            // A hint of several lines (an example to copy) keeps its lines under the first.
            let indent = " ".repeat(width + " = help: ".len());
            let mut lines = hint.lines();
            writeln!(
                f,
                "{} = help: {}",
                " ".repeat(width),
                lines.next().unwrap_or_default()
            )?;
            for line in lines {
                writeln!(f, "{indent}{line}")?;
            }
        }
        Ok(())
    }
}

/// All the diagnostics of one run, errors and warnings together.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

/// Each diagnostic as [`Diagnostic`] shows it, one after the other.
impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0
            .iter()
            .try_for_each(|diagnostic| write!(f, "{diagnostic}"))
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Diagnostics(vec![diagnostic])
    }
}

impl Diagnostics {
    /// Adds one diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Adds many diagnostics.
    pub fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(diagnostics);
    }

    /// The number of errors (not warnings).
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    /// Whether there is at least one error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// These diagnostics with those of other stages of the same run, in file order: the one way
    /// a stage's failure is reported together with what the stages before it found.
    pub fn merged(mut self, others: impl IntoIterator<Item = Diagnostic>) -> Diagnostics {
        self.extend(others);
        self.sort();
        self
    }

    /// Sorts by file, line and column so that output is stable whatever the thread timing.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            (&a.location, a.severity, &a.message).cmp(&(&b.location, b.severity, &b.message))
        });
    }
}

impl From<Diagnostics> for Error {
    /// The site's own mistakes, found by a stage.
    fn from(diagnostics: Diagnostics) -> Error {
        Error::Site(diagnostics)
    }
}

/// A failure that stops a command: the site has errors, or knead could not read or write a file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The site has problems; each is described in the diagnostics.
    #[error("the site has {} error(s)", .0.error_count())]
    Site(Diagnostics),
    /// A file or folder could not be read or written.
    #[error("{action} `{}`: {source}", .path.display())]
    Io {
        /// What knead was doing, e.g. "failed to write".
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file to copy into the output could not be read.
    #[error(
        "failed to read `{}`, to copy it to `{}`: {source}",
        .from.display(),
        .to.display()
    )]
    Copy {
        /// The file to copy.
        from: PathBuf,
        /// The output file it was to become.
        to: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Another build is writing to the same output folder.
    #[error(
        "another knead build is writing to `{}` right now; wait for it to finish, then build again",
        .path.display()
    )]
    Busy {
        /// The output folder.
        path: PathBuf,
    },
    /// The build was interrupted (Ctrl-C) while writing; the output folder was left as it was.
    #[error("interrupted: the files being written were removed and the output is as it was")]
    Interrupted,
    /// The output folder is not one knead may write to.
    #[error("refusing to write to `{}`: {reason}", .path.display())]
    UnsafeOutput {
        /// The output folder as given.
        path: PathBuf,
        /// Why it is refused, and what to do instead.
        reason: String,
    },
}

impl Error {
    /// An IO error that names its path.
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The result type of knead's fallible functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether `c` is a character that shows as nothing (a zero-width space or joiner, a word
/// joiner, a byte order mark, a soft hyphen): pasted text carries them unseen.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}'
    )
}

/// `text` without invisible characters ([`is_invisible`]) and surrounding spaces of any kind.
pub fn trim_invisible(text: &str) -> String {
    text.chars()
        .filter(|c| !is_invisible(*c))
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_characters() {
        let text = "ab\ncafé x\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        // `x` comes after the two-byte `é`: column counts characters.
        let x = text.find('x').unwrap();
        assert_eq!(line_col(text, x), (2, 6));
        assert_eq!(line_col(text, 1000), (3, 1));
    }

    #[test]
    fn offset_of_inverts_line_col() {
        let text = "a\nbé c\r\nd";
        for offset in text.char_indices().map(|(i, _)| i) {
            let (line, col) = line_col(text, offset);
            assert_eq!(offset_of(text, line, col), offset, "offset {offset}");
        }
    }

    #[test]
    fn hints_of_several_lines_stay_indented() {
        let d = Diagnostic::error("this file is empty")
            .in_file("content/a.md")
            .with_hint("add front matter, e.g.\n+++\ntitle = \"A\"\n+++");
        assert_eq!(
            d.to_string(),
            "content/a.md: error: this file is empty\n  = help: add front matter, e.g.\n          +++\n          title = \"A\"\n          +++\n"
        );
    }

    #[test]
    fn display_shows_source_line_and_caret() {
        let text = "+++\ntitel = \"x\"\n+++\n";
        let d = Diagnostic::error("unknown key `titel`")
            .at("content/a.md", text, 4)
            .with_hint("did you mean `title`?");
        assert_eq!(
            d.to_string(),
            "content/a.md:2:1: error: unknown key `titel`\n  |\n2 | titel = \"x\"\n  | ^\n  = help: did you mean `title`?\n"
        );
    }

    /// A long paragraph is cut around the column, so the caret stays under the mistake.
    #[test]
    fn a_long_source_line_is_cut_around_the_column() {
        let words = "Massage helps sore necks. ".repeat(20);
        let line = format!("{words}[our prices](@/nope.md) {words}");
        let column = line.find("[our").unwrap() + 1;
        let text = format!("+++\ntitle = \"A\"\n+++\n{line}\n");
        let at = |col: usize| {
            let offset = text.find(&line).unwrap() + col - 1;
            Diagnostic::error("x").at("a.md", &text, offset)
        };
        let (_, excerpt) = at(column).excerpt().unwrap();
        let [shown, caret] = excerpt.lines().collect::<Vec<_>>()[..] else {
            panic!("{excerpt}");
        };
        let shown = shown.strip_prefix("4 | ").unwrap();
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert_eq!(shown.chars().count(), EXCERPT_WIDTH + 2);
        // The caret is under the `[` of the link.
        let under = caret.strip_prefix("  | ").unwrap().chars().count() - 1;
        assert_eq!(shown.chars().nth(under), Some('['), "{excerpt}");
        // At the start and at the end of the line, one side is cut.
        let (_, first) = at(1).excerpt().unwrap();
        assert!(
            first.starts_with("4 | Massage") && first.contains("…\n"),
            "{first}"
        );
        let (_, last) = at(line.chars().count()).excerpt().unwrap();
        assert!(last.starts_with("4 | …") && !last.lines().next().unwrap().ends_with('…'));
        assert!(last.lines().nth(1).unwrap().ends_with('^'));
    }

    proptest::proptest! {
        /// The byte filter never hides a character that XML cannot hold: the error comes
        /// exactly when some character is one, at the first of them.
        #[test]
        fn an_unwritable_character_is_found_wherever_it_is(
            text in "([a-z \n\t\r]|[\u{0}-\u{1f}]|\u{fffe}|\u{ffff}|\u{fffd}|\u{f000}|é){0,80}"
        ) {
            let first = text.char_indices().find(|&(_, c)| is_unwritable(c));
            let found = unwritable_character(Path::new("a.md"), &text);
            proptest::prop_assert_eq!(found.is_some(), first.is_some());
            if let (Some(found), Some((offset, _))) = (found, first) {
                let location = found.location.expect("it has a place");
                proptest::prop_assert_eq!(
                    (location.line, location.col),
                    line_col(&text, offset)
                );
            }
        }
    }
}
