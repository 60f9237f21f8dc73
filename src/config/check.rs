//! The `[check]` table of site.toml: thresholds, the health-claim phrases, and rules switched
//! off per file. Read with the rest of site.toml, so a misspelt rule id is an error at its line
//! like any other mistake there.
//!
//! The rules of `knead check` are declared here too ([`Rule`], re-exported as
//! `knead::check::Rule`): their ids are what `[[check.ignore]]` names, and the settings are
//! validated before the site is built, without depending on the command that runs the rules.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Diagnostic, Severity};
use crate::toml_errors::{find_key_line, suggest};

macro_rules! rules {
    ($($variant:ident = $id:literal, $severity:ident, $doc:literal;)*) => {
        /// A rule of `knead check`, with the stable id that messages show and `ignore` uses.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $(#[doc = $doc] $variant,)*
        }

        impl Rule {
            /// Every rule, in the order the documentation lists them.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The rule's id, such as `health-claim`.
            pub fn id(self) -> &'static str {
                match self {
                    $(Rule::$variant => $id,)*
                }
            }

            /// How serious its findings are, before `--deny-warnings`.
            pub fn severity(self) -> Severity {
                match self {
                    $(Rule::$variant => Severity::$severity,)*
                }
            }
        }
    };
}

rules! {
    BrokenLink = "broken-link", Error, "A link to a page or file the site does not have.";
    MissingAnchor = "missing-anchor", Error, "A link to a `#fragment` the target page does not have.";
    MissingImage = "missing-image", Error, "An image that does not exist.";
    ExternalLink = "external-link", Warning, "A link to another site that does not answer well (`--external`).";
    MissingTitle = "missing-title", Warning, "A page or section without a title of its own.";
    DuplicateTitle = "duplicate-title", Warning, "The same title as another page.";
    LongTitle = "long-title", Warning, "A title longer than search results show.";
    MissingDescription = "missing-description", Warning, "A page without a `description`.";
    DuplicateDescription = "duplicate-description", Warning, "The same description as another page.";
    LongDescription = "long-description", Warning, "A description longer than search results show.";
    MultipleH1 = "multiple-h1", Warning, "A `#` heading in a body: the page title is already the h1.";
    SkippedHeading = "skipped-heading", Warning, "A heading more than one level below the one before.";
    VagueLinkText = "vague-link-text", Warning, "Link text such as \"click here\" that says nothing about where it leads.";
    EmptyLinkText = "empty-link-text", Warning, "A link with no text at all.";
    MissingAlt = "missing-alt", Warning, "An image without alt text.";
    LargePhoto = "large-photo", Warning, "A photo over 20 megapixels or 15 MB, which slows every build and upload.";
    ThinPost = "thin-post", Warning, "A dated post with fewer words than `min_words`.";
    MissingAuthor = "missing-author", Warning, "A post without an `author`.";
    MissingDate = "missing-date", Warning, "A post without a `date`.";
    OrphanPage = "orphan-page", Warning, "A page that no other page links to.";
    ReadingGrade = "reading-grade", Warning, "A post whose Flesch-Kincaid grade is above `reading_grade`.";
    LongSentence = "long-sentence", Warning, "One of a post's longest sentences, over `long_sentence` words.";
    LongParagraph = "long-paragraph", Warning, "One of a post's longest paragraphs, over `long_paragraph` words.";
    HealthClaim = "health-claim", Warning, "A phrase from the `claims` list, which needs a source or a softer wording.";
    MedicalSources = "medical-sources", Error, "A post with `medical = true` but no `sources`.";
    ReviewDue = "review-due", Warning, "A post whose `last_reviewed` is older than `review_interval_months`.";
}

impl Rule {
    /// The rule with id `id`.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }
}

/// Phrases that promise more than massage can show, flagged by the `health-claim` rule unless
/// `claims` replaces them.
pub const DEFAULT_CLAIMS: &[&str] = &[
    "detox",
    "flush toxins",
    "toxins",
    "cure",
    "cures",
    "guaranteed",
    "instantly",
    "heals",
];

/// The settings of `knead check`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CheckConfig {
    /// The highest acceptable Flesch-Kincaid grade of a post.
    pub reading_grade: f64,
    /// Dated posts with fewer words are thin.
    pub min_words: usize,
    /// The longest title, in characters.
    pub title_max: usize,
    /// The longest description, in characters.
    pub description_max: usize,
    /// How old `last_reviewed` may be, in months.
    pub review_interval_months: u32,
    /// Sentences with more words are long.
    pub long_sentence: usize,
    /// Paragraphs with more words are long.
    pub long_paragraph: usize,
    /// The health-claim phrases (replacing the defaults).
    pub claims: Vec<String>,
    /// Phrases added to `claims`.
    pub extra_claims: Vec<String>,
    /// Rules switched off, everywhere or for some files.
    pub ignore: Vec<Ignore>,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            reading_grade: 8.0,
            min_words: 300,
            title_max: 60,
            description_max: 160,
            review_interval_months: 12,
            long_sentence: 30,
            long_paragraph: 150,
            claims: DEFAULT_CLAIMS.iter().map(|c| (*c).to_owned()).collect(),
            extra_claims: Vec::new(),
            ignore: Vec::new(),
        }
    }
}

/// A rule switched off: `[[check.ignore]] rule = "thin-post" files = ["content/about.md"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ignore {
    /// The rule's id, such as `thin-post`.
    pub rule: String,
    /// Files (paths from the site root, `*`, `**` and `?` allowed) where it is off; every file
    /// when empty.
    #[serde(default)]
    pub files: Vec<String>,
}

impl CheckConfig {
    /// Every health-claim phrase: `claims` and `extra_claims`, lowercased, without empty ones.
    pub fn claim_phrases(&self) -> Vec<String> {
        let mut phrases: Vec<String> = self
            .claims
            .iter()
            .chain(&self.extra_claims)
            .map(|c| {
                c.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase()
            })
            .filter(|c| !c.is_empty())
            .collect();
        phrases.sort();
        phrases.dedup();
        phrases
    }

    /// Whether findings of `rule` at `path` are switched off.
    pub fn ignores(&self, rule: Rule, path: &Path) -> bool {
        let path = path.to_string_lossy().replace('\\', "/");
        self.ignore.iter().any(|ignore| {
            ignore.rule == rule.id()
                && (ignore.files.is_empty()
                    || ignore.files.iter().any(|glob| glob_matches(glob, &path)))
        })
    }

    /// Errors in the settings that serde cannot see: unknown rule ids and values out of range,
    /// each at its place in site.toml (`text`, shown as `path`).
    pub fn validate(&self, text: &str, path: &Path) -> Vec<Diagnostic> {
        let table = text.find("[check").unwrap_or(0);
        let mut diagnostics = self.unknown_rules(text, table, path);
        diagnostics.extend(self.invalid_reading_grade(text, table, path));
        diagnostics
    }

    /// An error for each `[[check.ignore]]` rule that is not a rule, at its id after byte
    /// `table` of `text`.
    fn unknown_rules(&self, text: &str, table: usize, path: &Path) -> Vec<Diagnostic> {
        let ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        let unknown = self
            .ignore
            .iter()
            .filter(|ignore| Rule::from_id(&ignore.rule).is_none());
        unknown
            .map(|ignore| {
                let hint = match suggest(&ignore.rule, &ids) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("the rules are: {}", ids.join(", ")),
                };
                let diagnostic =
                    Diagnostic::error(format!("unknown rule `{}` in `[check]`", ignore.rule))
                        .with_hint(hint);
                match quoted(text, table, &ignore.rule) {
                    Some(offset) => diagnostic.at(path, text, offset),
                    None => diagnostic.in_file(path),
                }
            })
            .collect()
    }

    /// An error when `reading_grade` is not a grade, at its line after byte `table` of `text`.
    fn invalid_reading_grade(&self, text: &str, table: usize, path: &Path) -> Option<Diagnostic> {
        if self.reading_grade.is_finite() && self.reading_grade >= 0.0 {
            return None;
        }
        let diagnostic = Diagnostic::error(format!(
            "`reading_grade` {} is not a school grade",
            self.reading_grade
        ))
        .with_hint("use a grade such as 8 (plain English) or 10");
        Some(match find_key_line(&text[table..], "reading_grade", '=') {
            Some(offset) => diagnostic.at(path, text, table + offset),
            None => diagnostic.in_file(path),
        })
    }
}

/// The offset of the string literal `value` ("value" or 'value') at or after `from`.
fn quoted(text: &str, from: usize, value: &str) -> Option<usize> {
    let rest = text.get(from..)?;
    ['"', '\''].iter().find_map(|q| {
        rest.find(&format!("{q}{value}{q}"))
            .map(|i| from + i + q.len_utf8())
    })
}

/// Whether `path` matches `glob`: `*` is any run of characters but `/`, `**` any run of whole
/// folders (or, at the end, anything), `?` one character but `/`. A glob naming a folder
/// (`content/services/`) matches everything in it.
pub fn glob_matches(glob: &str, path: &str) -> bool {
    let glob = glob.trim().trim_start_matches("./");
    let glob = glob
        .strip_suffix('/')
        .map_or(glob.to_owned(), |g| format!("{g}/**"));
    matches(glob.as_bytes(), path.as_bytes())
}

fn matches(glob: &[u8], path: &[u8]) -> bool {
    match glob {
        [] => path.is_empty(),
        [b'*', b'*', b'/', rest @ ..] => {
            matches(rest, path)
                || path
                    .iter()
                    .enumerate()
                    .any(|(i, &c)| c == b'/' && matches(rest, &path[i + 1..]))
        }
        [b'*', b'*'] => true,
        [b'*', rest @ ..] => (0..=path.len())
            .take_while(|&i| i == 0 || path[i - 1] != b'/')
            .any(|i| matches(rest, &path[i..])),
        [b'?', rest @ ..] => match path {
            [c, tail @ ..] if *c != b'/' => matches(rest, tail),
            _ => false,
        },
        [g, rest @ ..] => match path {
            [c, tail @ ..] if c == g => matches(rest, tail),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_files_and_folders() {
        assert!(glob_matches("content/about.md", "content/about.md"));
        assert!(glob_matches("content/services/*", "content/services/a.md"));
        assert!(!glob_matches(
            "content/services/*",
            "content/services/x/index.md"
        ));
        assert!(glob_matches("content/**/*.md", "content/a.md"));
        assert!(glob_matches("content/**/*.md", "content/blog/x/index.md"));
        assert!(glob_matches("content/blog/", "content/blog/x/index.md"));
        assert!(glob_matches("content/?.md", "content/a.md"));
        assert!(!glob_matches("content/?.md", "content/ab.md"));
        assert!(glob_matches("**", "anything/at/all"));
    }

    #[test]
    fn unknown_rule_is_an_error_at_its_line() {
        let text = "title = \"T\"\n[[check.ignore]]\nrule = \"thin-psot\"\n";
        let config: CheckConfig = CheckConfig {
            ignore: vec![Ignore {
                rule: "thin-psot".into(),
                files: vec![],
            }],
            ..CheckConfig::default()
        };
        let errors = config.validate(text, Path::new("site.toml"));
        assert_eq!(errors.len(), 1);
        let location = errors[0].location.as_ref().unwrap();
        assert_eq!((location.line, location.col), (3, 9));
        assert_eq!(errors[0].hint.as_deref(), Some("did you mean `thin-post`?"));
    }
}
