//! Front matter: the settings block at the top of a Markdown file.
//!
//! TOML between `+++` lines, or YAML between `---` lines. Splitting is separate from
//! deserializing so that the body keeps its byte offset in the file: every later message about the
//! body (a broken link, say) can then point at the line of the file, not of the body.
//!
//! A key is declared once, as a field of [`PageFrontMatter`] or [`SectionFrontMatter`]. The
//! keys that "did you mean" suggests from are read from the struct itself
//! (`toml_errors::known_keys`, the field names that serde's derive passes to the deserializer)
//! rather than kept in a list beside it, or generated with the struct by a macro that would hide
//! it: the struct stays plain serde, and a new field is a known key at once. The parse stage
//! destructures the structs field by field, so a new key does not compile until it reaches
//! [`crate::content::Page`] or [`crate::content::Section`].

use std::path::Path;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{Diagnostic, Diagnostics};
use crate::toml_errors::{
    find_key_line, known_keys, toml_diagnostic, toml_unwritable, unknown_keys, yaml_diagnostic,
};

/// The language of a front matter block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Between `+++` lines.
    Toml,
    /// Between `---` lines.
    Yaml,
}

/// A file cut into its front matter and body, with their byte offsets in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    /// The front matter's language, or `None` when the file has no front matter.
    pub format: Option<Format>,
    /// The text between the delimiters.
    pub front_matter: &'a str,
    /// Where `front_matter` starts in the file.
    pub front_matter_offset: usize,
    /// Everything after the closing delimiter's line.
    pub body: &'a str,
    /// Where `body` starts in the file.
    pub body_offset: usize,
}

/// Cuts `text` (with LF line endings) into front matter and body.
///
/// A file that does not start with a delimiter line has no front matter. A delimiter that opens
/// but never closes is an error pointing at the opening line.
pub fn split(text: &str) -> Result<Split<'_>, Diagnostic> {
    let first_line = text.split('\n').next().unwrap_or_default();
    let (format, delimiter) = match first_line.trim_end() {
        "+++" => (Format::Toml, "+++"),
        "---" => (Format::Yaml, "---"),
        _ => {
            return Ok(Split {
                format: None,
                front_matter: "",
                front_matter_offset: 0,
                body: text,
                body_offset: 0,
            });
        }
    };
    let start = (first_line.len() + 1).min(text.len());
    let mut offset = start;
    for line in text[start..].split_inclusive('\n') {
        let content = line.trim_end();
        if content == delimiter || (format == Format::Yaml && content == "...") {
            let body_offset = offset + line.len();
            return Ok(Split {
                format: Some(format),
                front_matter: &text[start..offset],
                front_matter_offset: start,
                body: &text[body_offset..],
                body_offset,
            });
        }
        offset += line.len();
    }
    Err(
        Diagnostic::error("the front matter opened here is never closed").with_hint(format!(
            "add a line with only `{delimiter}` after the last setting, before the text"
        )),
    )
}

/// Deserializes a front matter block into `T`, turning errors into diagnostics at the right
/// place of the file; an unknown key gets the nearest of `T`'s keys as a suggestion.
///
/// A block that does not read only because of a mistake whose intent is certain (a value in a
/// word processor's curly quotes, `draft = "false"` or `draft = no`) is read as meant: the
/// value comes with a warning for each such line, saying what was understood and how to write
/// it.
pub(crate) fn deserialize<T: DeserializeOwned + Default>(
    split: &Split<'_>,
    path: &Path,
    text: &str,
) -> Result<(T, Vec<Diagnostic>), Diagnostics> {
    let base = split.front_matter_offset;
    if let Some(diagnostic) = too_large_or_deep(split, path, text) {
        return Err(diagnostic.into());
    }
    let known = known_keys::<T>();
    let read = |block: &str| -> Result<T, String> {
        match split.format {
            None => Ok(T::default()),
            Some(Format::Toml) => toml::from_str(block).map_err(|err| err.to_string()),
            Some(Format::Yaml) if block.trim().is_empty() => Ok(T::default()),
            Some(Format::Yaml) => serde_saphyr::from_str(block).map_err(|err| err.to_string()),
        }
    };
    let value = match split.format {
        None => Ok(T::default()),
        Some(Format::Toml) => toml::from_str(split.front_matter)
            .map_err(|err| toml_diagnostic(&err, path, text, base, known)),
        Some(Format::Yaml) if split.front_matter.trim().is_empty() => Ok(T::default()),
        Some(Format::Yaml) => serde_saphyr::from_str(split.front_matter)
            .map_err(|err| yaml_diagnostic(&err, path, text, base, known)),
    };
    let mut understood = Vec::new();
    let value = match value {
        Ok(value) => Ok(value),
        Err(first) => match meant(split.front_matter, split.format == Some(Format::Yaml)) {
            Some((block, lines)) => {
                understood = lines
                    .into_iter()
                    .map(|(at, message, hint)| {
                        Diagnostic::warning(message)
                            .with_hint(hint)
                            .at(path, text, base + at)
                    })
                    .collect();
                match read(&block) {
                    Ok(value) => Ok(value),
                    // Other mistakes too: found in the block as meant, so that what was
                    // understood is not called an error and hides nothing.
                    Err(_) => {
                        let end = base + split.front_matter.len();
                        let fixed_text = format!("{}{block}{}", &text[..base], &text[end..]);
                        let fixed = Split {
                            front_matter: &fixed_text[base..base + block.len()],
                            body: &fixed_text[fixed_text.len() - split.body.len()..],
                            body_offset: fixed_text.len() - split.body.len(),
                            ..split.clone()
                        };
                        return match deserialize::<T>(&fixed, path, &fixed_text) {
                            Ok(_) => Err(first.into()),
                            Err(errors) => Err(errors.merged(understood)),
                        };
                    }
                }
            }
            None => Err(first),
        },
    };
    let value = value.map_err(|first| {
        // serde stops at the first mistake: every unknown key is shown in this run too.
        let yaml = split.format == Some(Format::Yaml);
        let unknown = unknown_keys(split.front_matter, yaml, known, path, text, base);
        let mut errors = Diagnostics::default();
        if !first.message.starts_with("unknown key ") || unknown.is_empty() {
            errors.push(first);
        }
        errors.0.extend(unknown);
        errors
    })?;
    match escaped_unwritable(split) {
        Some((key, c)) => Err(escaped_character(key, c, path, text, split).into()),
        None => Ok((value, understood)),
    }
}

/// The front matter block as its writer meant it, when some of its lines hold a mistake whose
/// intent is certain: a value in curly quotes (`title = “Back Pain”`, `tags = [‘Neck’]`),
/// yes or no, or `"false"` in quotes, for a setting that is true or false. With the block,
/// each such line's offset in it, what was understood and how to write it. `None` when no line
/// needs it; whether the block then reads is the caller's to find out.
fn meant(block: &str, yaml: bool) -> Option<(String, Vec<Understood>)> {
    let mut out = String::with_capacity(block.len());
    let mut lines = Vec::new();
    let mut at = 0;
    for line in block.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        match meant_line(body, yaml) {
            Some((fixed, message)) => {
                // At the value, as the parser's errors are.
                let separator = body.find(if yaml { ':' } else { '=' }).unwrap_or(0) + 1;
                let column = body.len() - body[separator..].trim_start().len();
                let key = fixed.split([':', '=']).next().unwrap_or_default().trim();
                let hint = if yaml {
                    format!("write it so: {}", fixed.trim())
                } else {
                    format!("write it so: {key} = {}", value_of(&fixed))
                };
                lines.push((at + column, message, hint));
                out.push_str(&fixed);
                out.push_str(&line[body.len()..]);
            }
            None => out.push_str(line),
        }
        at += line.len();
    }
    (!lines.is_empty()).then_some((out, lines))
}

/// A line read as meant: its offset in the block, what was understood, how to write it.
type Understood = (usize, String, String);

/// The value of a `key = value` line.
fn value_of(line: &str) -> &str {
    line.split_once('=').map_or("", |(_, value)| value.trim())
}

/// One line of [`meant`]: the line as meant, and what was understood, in staff's words.
fn meant_line(line: &str, yaml: bool) -> Option<(String, String)> {
    const CURLY: [char; 4] = ['\u{201c}', '\u{201d}', '\u{2018}', '\u{2019}'];
    let (key, value) = line.split_once(if yaml { ':' } else { '=' })?;
    let (name, value) = (key.trim(), value.trim());
    if name.is_empty() || name.contains(char::is_whitespace) || name.starts_with('#') {
        return None;
    }
    let with = |value: String| {
        if yaml {
            format!("{key}: {value}")
        } else {
            format!("{key}= {value}")
        }
    };
    if matches!(name, "draft" | "medical") {
        let meant = match value.trim_matches(['"', '\'']).to_lowercase().as_str() {
            "yes" | "true" | "on" => true,
            "no" | "false" | "off" => false,
            _ => return None,
        };
        // `draft: no` is already `false` in YAML, `draft = false` in TOML.
        if value == meant.to_string() || (yaml && !value.starts_with(['"', '\''])) {
            return None;
        }
        return Some((
            with(meant.to_string()),
            format!("`{name}` is true or false, not `{value}`: understood as {meant}"),
        ));
    }
    if yaml {
        return None;
    }
    // A word processor's quotes around a text, or around each item of a list.
    let quoted = |text: &str| {
        let mut out = String::from('"');
        for c in text.chars() {
            if matches!(c, '"' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    };
    let unquote = |item: &str| {
        let inner = item.trim().strip_prefix(CURLY)?.strip_suffix(CURLY)?;
        Some(quoted(inner))
    };
    if let Some(items) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']'))
        && value.contains(CURLY)
    {
        let items: Vec<String> = items
            .split(',')
            .filter(|item| !item.trim().is_empty())
            .map(unquote)
            .collect::<Option<_>>()?;
        return Some((
            with(format!("[{}]", items.join(", "))),
            format!("the items of `{name}` are in curly quotes: understood as straight quotes"),
        ));
    }
    let text = unquote(value)?;
    Some((
        with(text),
        format!(
            "the text of `{name}` is in curly quotes (\u{201c} \u{201d}): understood as straight quotes"
        ),
    ))
}

/// The most a front matter block may hold: a real one is a few hundred bytes, and parsers take
/// time that grows faster than the text on some malformed blocks.
pub const MAX_FRONT_MATTER_BYTES: usize = 64 * 1024;

/// How deep lists and tables may nest in front matter (`[[[...`): the YAML parser's time grows
/// with the square of the depth, so a block of brackets would stall the build for seconds.
pub const MAX_FRONT_MATTER_DEPTH: usize = 32;

/// An error for a front matter block too large, or nesting too deep, to be worth parsing:
/// checked in one pass over the text, before any parser sees it.
fn too_large_or_deep(split: &Split<'_>, path: &Path, text: &str) -> Option<Diagnostic> {
    let block = split.front_matter;
    if block.len() > MAX_FRONT_MATTER_BYTES {
        return Some(
            Diagnostic::error(format!(
                "the front matter is {} KB long, more than the {} KB a page's settings can take",
                block.len() / 1024,
                MAX_FRONT_MATTER_BYTES / 1024
            ))
            .at(path, text, split.front_matter_offset)
            .with_hint("is the closing `+++` or `---` line missing? Long text goes after it"),
        );
    }
    let offset = too_deep(block)?;
    Some(
        Diagnostic::error(format!(
            "lists or tables nest more than {MAX_FRONT_MATTER_DEPTH} deep here"
        ))
        .at(path, text, split.front_matter_offset + offset)
        .with_hint("close the `[` and `{` you opened; settings need a level or two at most"),
    )
}

/// Where brackets in `block` first nest deeper than [`MAX_FRONT_MATTER_DEPTH`], outside quoted
/// strings and comments. Quotes are followed loosely (a `'` or `"` starts or ends a string, a
/// backslash escapes inside `"`): a real block never comes near the limit either way.
fn too_deep(block: &str) -> Option<usize> {
    let (mut depth, mut quote, mut escaped, mut comment) = (0usize, None, false, false);
    for (i, b) in block.bytes().enumerate() {
        match (quote, b) {
            (_, b'\n') if comment => comment = false,
            _ if comment => {}
            (Some(b'"'), _) if escaped => escaped = false,
            (Some(b'"'), b'\\') => escaped = true,
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'#') => comment = true,
            (None, b'[' | b'{') => {
                depth += 1;
                if depth > MAX_FRONT_MATTER_DEPTH {
                    return Some(i);
                }
            }
            (None, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Keys whose values become paths, which keep only safe characters (a slug) or are refused
/// with their own message (an alias): no feed shows them as written.
const MADE_INTO_PATHS: &[&str] = &["slug", "aliases"];

/// A key whose value holds, written as an escape (`\u0001`, `\b`), a character that no feed
/// or sitemap can hold ([`crate::error::is_unwritable`]), with the character. The file's own
/// characters are checked before; only a block with a backslash can hide one.
fn escaped_unwritable(split: &Split<'_>) -> Option<(String, char)> {
    if !split.front_matter.contains('\\') {
        return None;
    }
    let bad = |text: &str| text.chars().find(|&c| crate::error::is_unwritable(c));
    match split.format? {
        Format::Toml => toml_unwritable(split.front_matter, MADE_INTO_PATHS),
        Format::Yaml => {
            let value: serde_json::Value = serde_saphyr::from_str(split.front_matter).ok()?;
            value.as_object()?.iter().find_map(|(name, value)| {
                if MADE_INTO_PATHS.contains(&name.as_str()) {
                    return None;
                }
                let mut strings = vec![name.as_str()];
                yaml_strings(value, &mut strings);
                Some((name.clone(), strings.into_iter().find_map(bad)?))
            })
        }
    }
}

/// Every string in a YAML value (read as JSON's values), mapping keys included.
fn yaml_strings<'v>(value: &'v serde_json::Value, out: &mut Vec<&'v str>) {
    match value {
        serde_json::Value::String(text) => out.push(text),
        serde_json::Value::Array(items) => items.iter().for_each(|v| yaml_strings(v, out)),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k);
            yaml_strings(v, out);
        }),
        _ => {}
    }
}

/// The error for a character no feed can hold, written as an escape in `key`'s value.
fn escaped_character(
    key: String,
    c: char,
    path: &Path,
    text: &str,
    split: &Split<'_>,
) -> Diagnostic {
    let separator = if split.format == Some(Format::Yaml) {
        ':'
    } else {
        '='
    };
    let offset = find_key_line(split.front_matter, &key, separator).unwrap_or(0);
    crate::error::escaped_unwritable(&key, c).at(path, text, split.front_matter_offset + offset)
}

/// The settings of a page, as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageFrontMatter {
    /// The page's title; required and not empty.
    pub title: Option<String>,
    /// When it was published.
    pub date: Option<toml::Value>,
    /// When it was last changed.
    pub updated: Option<toml::Value>,
    /// One or two sentences for search results and lists.
    pub description: Option<String>,
    /// Tags, merged case-insensitively across the site.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The id of an author in site.toml.
    pub author: Option<String>,
    /// Left out of the build unless `--drafts`.
    #[serde(default)]
    pub draft: bool,
    /// The last part of the page's address, instead of the file name.
    pub slug: Option<String>,
    /// The page's main image, for lists and social cards.
    pub image: Option<String>,
    /// The image's description for people who cannot see it.
    pub image_alt: Option<String>,
    /// Where the image's subject is, kept in view when it is cut to another shape (the social
    /// preview, a card): `top`, `bottom left`, `30% 20%`...
    pub image_focus: Option<String>,
    /// Order in sections sorted by weight; lower comes first.
    pub weight: Option<i64>,
    /// The template that renders this page, instead of `page.html`.
    pub template: Option<String>,
    /// Old addresses of this page that should redirect to it.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The services a post is about: slugs of pages in `content/services/`, for a call to action.
    #[serde(default)]
    pub services: Vec<String>,
    /// The id of the author who reviewed the post for accuracy.
    pub reviewed_by: Option<String>,
    /// When it was last reviewed.
    pub last_reviewed: Option<toml::Value>,
    /// Whether the post gives health advice: `knead check` then wants `sources`.
    #[serde(default)]
    pub medical: bool,
    /// The studies or references behind the post's claims (addresses or citations).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Free settings for templates.
    #[serde(default)]
    pub extra: toml::Table,
}

/// How a section orders its pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortBy {
    /// Newest first; undated pages last.
    #[default]
    Date,
    /// Lowest weight first; pages without weight last.
    Weight,
    /// Alphabetically by title.
    Title,
}

/// The settings of a section, as written in its `_index.md`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionFrontMatter {
    /// The section's title; defaults to the folder name.
    pub title: Option<String>,
    /// One or two sentences about the section.
    pub description: Option<String>,
    /// How pages are ordered.
    #[serde(default)]
    pub sort_by: SortBy,
    /// How many pages each list page shows; 0 or absent shows all on one page.
    pub paginate_by: Option<u32>,
    /// The template that renders the section, instead of `section.html`.
    pub template: Option<String>,
    /// The template for the section's pages, instead of `page.html`.
    pub page_template: Option<String>,
    /// Order in the derived menu; lower comes first.
    pub weight: Option<i64>,
    /// Free settings for templates.
    #[serde(default)]
    pub extra: toml::Table,
}

/// A publication date: a calendar day, or an exact moment when a time and offset were given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageDate {
    /// The day, as written (in the offset written, for a full timestamp).
    pub day: Date,
    /// The exact moment, when the date had a time.
    pub moment: Option<Timestamp>,
    /// The moment used to sort, computed once: sorting compares it millions of times.
    key: Timestamp,
}

impl PageDate {
    /// Parses `YYYY-MM-DD` or an RFC 3339 timestamp with an offset.
    pub fn parse(text: &str) -> Result<PageDate, String> {
        let text = text.trim();
        if text.len() == 10 {
            let day: Date = text
                .parse()
                .map_err(|_| format!("`{text}` is not a real date"))?;
            let key = day
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp())
                .unwrap_or(Timestamp::UNIX_EPOCH);
            return Ok(PageDate {
                day,
                moment: None,
                key,
            });
        }
        let moment: Timestamp = text.parse().map_err(|_| {
            if text.len() == 19 && text.as_bytes().get(10) == Some(&b'T') {
                format!("`{text}` has a time but no offset")
            } else {
                format!("`{text}` is not a date")
            }
        })?;
        let offset = offset_of_rfc3339(text);
        // RFC 3339 allows any offset below 24 hours, but the zones on Earth run from UTC-12
        // to UTC+14: anything else is a typo that would put the post on the wrong day.
        if !(-12 * 3600..=14 * 3600).contains(&offset.seconds()) {
            return Err(format!(
                "`{text}` has an offset that no time zone has (they run from -12:00 to +14:00)"
            ));
        }
        let day = moment
            .to_zoned_datetime(jiff::tz::TimeZone::fixed(offset))
            .date();
        Ok(PageDate {
            day,
            moment: Some(moment),
            key: moment,
        })
    }

    /// The moment used to sort: the exact moment, or the start of the day in UTC.
    pub fn sort_key(&self) -> Timestamp {
        self.key
    }

    /// Whether the date is still to come at `now`. A date without a time counts as arrived once
    /// that day has begun anywhere on Earth (UTC+14), so a post dated today is published whatever
    /// the time zone of the machine that builds it.
    pub fn is_future(&self, now: Timestamp) -> bool {
        match self.moment {
            Some(moment) => moment > now,
            None => {
                let earliest_zone = jiff::tz::TimeZone::fixed(jiff::tz::offset(14));
                self.day > now.to_zoned_datetime(earliest_zone).date()
            }
        }
    }

    /// The first moment at which [`PageDate::is_future`] is false.
    pub fn published_at(&self) -> Timestamp {
        match self.moment {
            Some(moment) => moment,
            None => jiff::tz::offset(14)
                .to_timestamp(self.day.at(0, 0, 0, 0))
                .unwrap_or(Timestamp::MAX),
        }
    }

    /// RFC 3339, as feeds and structured data want it.
    pub fn rfc3339(&self) -> String {
        match self.moment {
            Some(moment) => moment.to_string(),
            None => format!("{}T00:00:00Z", self.day),
        }
    }

    /// The day in words, such as `March 3, 2025`.
    pub fn display(&self) -> String {
        self.day.strftime("%B %-d, %Y").to_string()
    }
}

/// The offset at the end of an RFC 3339 timestamp (`Z`, `+02:00`, `-0500`).
fn offset_of_rfc3339(text: &str) -> jiff::tz::Offset {
    if text.ends_with(['Z', 'z']) {
        return jiff::tz::Offset::UTC;
    }
    let Some(sign_at) = text.rfind(['+', '-']).filter(|&i| i > 10) else {
        return jiff::tz::Offset::UTC;
    };
    let sign = if text.as_bytes()[sign_at] == b'-' {
        -1
    } else {
        1
    };
    let digits: String = text[sign_at + 1..]
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let hours: i32 = digits.get(..2).and_then(|h| h.parse().ok()).unwrap_or(0);
    let minutes: i32 = digits.get(2..4).and_then(|m| m.parse().ok()).unwrap_or(0);
    jiff::tz::Offset::from_seconds(sign * (hours * 3600 + minutes * 60))
        .unwrap_or(jiff::tz::Offset::MAX)
}

/// Reads a date value (a TOML date or a string) from front matter key `key`, pointing errors at
/// the key's line.
pub(crate) fn date_value(
    value: &toml::Value,
    key: &str,
    split: &Split<'_>,
    path: &Path,
    text: &str,
) -> Result<PageDate, Diagnostic> {
    let written = match value {
        toml::Value::Datetime(datetime) => datetime.to_string(),
        toml::Value::String(s) => s.clone(),
        other => format!("{other}"),
    };
    PageDate::parse(&written).map_err(|reason| {
        let separator = if split.format == Some(Format::Yaml) {
            ':'
        } else {
            '='
        };
        let offset = find_key_line(split.front_matter, key, separator)
            .map_or(split.front_matter_offset, |i| split.front_matter_offset + i);
        Diagnostic::error(format!("`{key}`: {reason}"))
            .at(path, text, offset)
            .with_hint("write dates as 2025-03-14, or 2025-03-14T09:30:00-07:00 with a time")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_toml_front_matter_with_offsets() {
        let text = "+++\ntitle = \"A\"\n+++\nBody\n";
        let split = split(text).unwrap();
        assert_eq!(split.format, Some(Format::Toml));
        assert_eq!(split.front_matter, "title = \"A\"\n");
        assert_eq!(split.front_matter_offset, 4);
        assert_eq!(split.body, "Body\n");
        assert_eq!(&text[split.body_offset..], "Body\n");
    }

    #[test]
    fn splits_yaml_front_matter() {
        let split = split("---\ntitle: A\n---\nBody").unwrap();
        assert_eq!(split.format, Some(Format::Yaml));
        assert_eq!(split.front_matter, "title: A\n");
        assert_eq!(split.body, "Body");
    }

    #[test]
    fn file_that_is_only_front_matter_has_an_empty_body() {
        let split = split("+++\ntitle = \"A\"\n+++").unwrap();
        assert_eq!(split.body, "");
    }

    #[test]
    fn delimiter_inside_the_body_stays_in_the_body() {
        let split = split("+++\ntitle = \"A\"\n+++\nx\n+++\ny\n").unwrap();
        assert_eq!(split.body, "x\n+++\ny\n");
    }

    #[test]
    fn unclosed_front_matter_is_an_error() {
        let err = split("+++\ntitle = \"A\"\nBody\n").unwrap_err();
        assert!(err.message.contains("never closed"));
    }

    #[test]
    fn no_front_matter_means_all_body() {
        let split = split("Just text\n").unwrap();
        assert_eq!(split.format, None);
        assert_eq!(split.body, "Just text\n");
    }

    /// The keys suggested for a typo are the ones serde expects: every field, in order.
    #[test]
    fn known_keys_are_the_fields_serde_expects() {
        fn serde_message<T: DeserializeOwned + std::fmt::Debug>() -> String {
            let err = toml::from_str::<T>("not_a_key = 1").unwrap_err();
            err.message().trim().to_owned()
        }
        for (keys, message) in [
            (
                known_keys::<PageFrontMatter>(),
                serde_message::<PageFrontMatter>(),
            ),
            (
                known_keys::<SectionFrontMatter>(),
                serde_message::<SectionFrontMatter>(),
            ),
        ] {
            let quoted: Vec<String> = keys.iter().map(|key| format!("`{key}`")).collect();
            let expected = format!(
                "unknown field `not_a_key`, expected one of {}",
                quoted.join(", ")
            );
            assert_eq!(message, expected);
        }
    }

    #[test]
    fn parses_dates() {
        let day = PageDate::parse("2025-03-01").unwrap();
        assert_eq!(day.day.to_string(), "2025-03-01");
        assert_eq!(day.moment, None);
        let moment = PageDate::parse("2025-03-01T23:30:00-05:00").unwrap();
        // The day is the day as written, not the UTC day (which would be March 2).
        assert_eq!(moment.day.to_string(), "2025-03-01");
        assert_eq!(moment.rfc3339(), "2025-03-02T04:30:00Z");
        assert!(PageDate::parse("2025-02-30").is_err());
        assert!(PageDate::parse("2025-03-01T10:00:00+14:00").is_ok());
        assert!(PageDate::parse("2025-03-01T10:00:00-12:00").is_ok());
        for far in [
            "2025-03-01T10:00:00+14:01",
            "2025-03-01T10:00:00+25:00",
            "2025-03-01T10:00:00-12:30",
            "2025-03-01T10:00:00-23:59",
        ] {
            let err = PageDate::parse(far).unwrap_err();
            assert!(err.contains("no time zone has"), "{far}: {err}");
        }
        assert!(
            PageDate::parse("2025-03-01T10:00:00")
                .unwrap_err()
                .contains("no offset")
        );
    }

    #[test]
    fn a_post_dated_today_is_published_in_any_time_zone() {
        // 2026-11-28 at 00:30 in UTC-11 is already 11:30 UTC; the post's day has begun in UTC+14.
        let now: Timestamp = "2026-11-28T11:30:00Z".parse().unwrap();
        assert!(!PageDate::parse("2026-11-28").unwrap().is_future(now));
        // Late on the 27th in UTC-12 (the westernmost zone), the 28th has begun in UTC+14.
        let now: Timestamp = "2026-11-28T10:00:00Z".parse().unwrap();
        assert!(!PageDate::parse("2026-11-28").unwrap().is_future(now));
        // Two days ahead is future everywhere.
        assert!(PageDate::parse("2026-11-30").unwrap().is_future(now));
        // A day counts as published from the moment it begins in UTC+14.
        for text in ["2026-11-30", "2026-12-01T08:30:00-05:00"] {
            let date = PageDate::parse(text).unwrap();
            let at = date.published_at();
            assert!(
                date.is_future(at - jiff::SignedDuration::from_nanos(1)),
                "{text}"
            );
            assert!(!date.is_future(at), "{text}");
        }
        assert!(
            PageDate::parse("2026-11-28T12:00:00Z")
                .unwrap()
                .is_future(now)
        );
    }

    #[test]
    fn brackets_nest_too_deep_only_outside_strings_and_comments() {
        let deep = "[".repeat(MAX_FRONT_MATTER_DEPTH + 1);
        assert_eq!(
            too_deep(&format!("tags = {deep}")),
            Some(7 + MAX_FRONT_MATTER_DEPTH)
        );
        let just = "[".repeat(MAX_FRONT_MATTER_DEPTH);
        assert_eq!(too_deep(&format!("tags = {just}")), None);
        // Closed brackets do not add up; quoted and commented ones do not count.
        let closed = "[[]]".repeat(100);
        assert_eq!(too_deep(&format!("a = {closed}")), None);
        for quoted in [
            format!("a = \"{deep}\""),
            format!("a = '{deep}'"),
            format!("a = \"\\\"{deep}\""),
            format!("# {deep}\nb = 1"),
        ] {
            assert_eq!(too_deep(&quoted), None, "{quoted}");
        }
        // A comment ends at its line: brackets after it count again.
        assert!(too_deep(&format!("# x\ntags = {deep}")).is_some());
    }

    /// Mistakes whose intent is certain are read as meant, each with what was understood; the
    /// others are left for the parser's error.
    #[test]
    fn lines_whose_intent_is_certain_are_read_as_meant() {
        let toml = |line: &str| meant(line, false).map(|(block, lines)| (block, lines[0].clone()));
        let (block, (at, message, hint)) = toml("title = “Don’t “wait” \\ \"now\"”\n").unwrap();
        assert_eq!(block, "title = \"Don’t “wait” \\\\ \\\"now\\\"\"\n");
        assert_eq!(
            toml::from_str::<toml::Table>(&block).unwrap()["title"].as_str(),
            Some("Don’t “wait” \\ \"now\"")
        );
        assert_eq!(at, 8);
        assert!(message.contains("curly quotes"), "{message}");
        assert_eq!(
            hint,
            "write it so: title = \"Don’t “wait” \\\\ \\\"now\\\"\""
        );
        let (block, _) = toml("tags = [‘Neck’, “Don’t”]").unwrap();
        assert_eq!(block, "tags = [\"Neck\", \"Don’t\"]");
        for (line, fixed) in [
            ("draft = \"false\"", "draft = false"),
            ("draft = no", "draft = false"),
            ("medical = Yes", "medical = true"),
        ] {
            assert_eq!(toml(line).unwrap().0, fixed);
        }
        let (block, (at, message, _)) = meant("title: x\ndraft: \"false\"\n", true)
            .map(|(b, l)| (b, l[0].clone()))
            .unwrap();
        assert_eq!(block, "title: x\ndraft: false\n");
        assert_eq!(at, 16);
        assert_eq!(
            message,
            "`draft` is true or false, not `\"false\"`: understood as false"
        );
        for unsure in [
            "draft = \"maybe\"",
            "draft = false",
            "title = “Unclosed",
            "tags = [“Neck”, Back]",
            "# title = “x”",
            "title = \"x\"",
        ] {
            assert!(toml(unsure).is_none(), "{unsure}");
        }
        assert!(meant("draft: no\ntitle: “x”\n", true).is_none());
    }
}
