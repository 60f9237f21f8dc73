//! Turning TOML and YAML errors into diagnostics that point at the user's file.
//!
//! Both `site.toml` and front matter are deserialized with serde, which reports unknown keys as
//! "unknown field `x`, expected one of ...". Staff deserve better: the message names the key and
//! suggests the nearest known one ("`titel`: did you mean `title`?").

use std::path::Path;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

use crate::error::Diagnostic;

/// Converts a TOML error into a diagnostic. `text` is the whole file and `base` the byte offset at
/// which the TOML document starts in it (the front matter of a Markdown file starts after `+++`).
pub(crate) fn toml_diagnostic(
    err: &toml::de::Error,
    path: &Path,
    text: &str,
    base: usize,
    known: &[&str],
) -> Diagnostic {
    let offset = err.span().map_or(base, |span| base + span.start);
    if err.message().trim() == "duplicate key"
        && let Some(key) = key_at(text, offset)
    {
        return Diagnostic::error(format!("`{key}` is set twice"))
            .at(path, text, offset)
            .with_hint("keep one of the two lines");
    }
    let line_start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or_default();
    // Text broken over two lines: the second reads as a key without a value.
    let previous = text[..line_start.saturating_sub(1)]
        .rsplit('\n')
        .next()
        .unwrap_or_default();
    if err.message().contains("key with no value") && previous.matches('"').count() % 2 == 1 {
        let key = previous.split('=').next().unwrap_or_default().trim();
        return Diagnostic::error(format!(
            "the text of `{key}` goes on over two lines, and a setting stays on one line"
        ))
        .with_hint(format!(
            "join this line to the one above: {} {}",
            previous.trim_end(),
            line.trim()
        ))
        .at(path, text, line_start);
    }
    if unknown_field(err.message().trim()).is_none()
        && let Some((message, hint)) = value_mistake(line)
    {
        let value_at = line.find('=').map_or(0, |i| {
            i + 1 + line[i + 1..].len() - line[i + 1..].trim_start().len()
        });
        return Diagnostic::error(message)
            .with_hint(hint)
            .at(path, text, line_start + value_at);
    }
    if err.message().contains("expected a string")
        && let Some((key, value)) = line.split_once('=')
        && !value.trim().starts_with(['[', '{'])
    {
        let (key, value) = (key.trim(), value.trim());
        let at = line_start + line.find(value).unwrap_or(0);
        return Diagnostic::error(format!("`{key}` is text: it must be in quotes"))
            .with_hint(format!("{key} = \"{value}\""))
            .at(path, text, at);
    }
    friendly(err.message(), known).at(path, text, offset)
}

/// The quote marks word processors put in place of `"` and `'`.
const CURLY_QUOTES: [char; 4] = ['\u{201c}', '\u{201d}', '\u{2018}', '\u{2019}'];

/// A mistake staff make in a `key = value` line that the TOML parser's message does not explain
/// (curly quotes, text without quotes, quotes inside quotes, a missing closing quote, yes or no
/// for true or false, a date in words, a list without brackets): what is wrong in their words,
/// and the line as it should be.
fn value_mistake(line: &str) -> Option<(String, String)> {
    // A word processor's non-breaking space, which TOML does not read as a space.
    if line.contains(['\u{a0}', '\u{202f}']) {
        let fixed = line.replace(['\u{a0}', '\u{202f}'], " ");
        return Some((
            "this line has a non-breaking space (from a word processor), which TOML does not \
             read as a space"
                .to_owned(),
            format!("type the spaces again: {}", fixed.trim()),
        ));
    }
    let Some((key, value)) = line.split_once('=') else {
        return no_equals(line);
    };
    let (key, value) = (key.trim(), value.trim());
    if matches!(key, "date" | "updated" | "last_reviewed")
        && value.contains(['\u{2013}', '\u{2014}', '\u{2212}'])
    {
        let fixed = value.replace(['\u{2013}', '\u{2014}', '\u{2212}'], "-");
        return Some((
            format!("`{value}` has long dashes (–) from a word processor, not hyphens (-)"),
            format!("write {key} = {fixed}"),
        ));
    }
    if key.is_empty() || value.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    if value.starts_with('[') && value.contains(CURLY_QUOTES) {
        let fixed = value.replace(CURLY_QUOTES, "\"");
        return Some((
            format!("the items of `{key}` are in curly quotes, which TOML does not read as quotes"),
            format!("use straight quotes: {key} = {fixed}"),
        ));
    }
    if let Some(inner) = value.strip_prefix(CURLY_QUOTES) {
        let inner = inner.trim_end_matches(CURLY_QUOTES);
        return Some((
            format!(
                "the text of `{key}` is in curly quotes (\u{201c} \u{201d}), which TOML does not read as quotes"
            ),
            format!("use straight quotes: {key} = \"{inner}\""),
        ));
    }
    const LISTS: [&str; 6] = [
        "tags",
        "aliases",
        "services",
        "sources",
        "hours",
        "area_served",
    ];
    let list_of = |items: &str| -> String {
        items
            .split(',')
            .map(|item| item.trim().trim_matches(['"', '\'']).trim())
            .filter(|item| !item.is_empty())
            .map(|item| format!("\"{item}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if LISTS.contains(&key)
        && let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"'))
    {
        return Some((
            format!("`{key}` is a list, not one text"),
            format!(
                "put each in quotes and the list in brackets: {key} = [{}]",
                list_of(inner)
            ),
        ));
    }
    if LISTS.contains(&key)
        && let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']'))
        && inner.split(',').any(|item| {
            let item = item.trim();
            !item.is_empty() && !item.starts_with(['"', '\''])
        })
    {
        return Some((
            format!("the items of `{key}` must each be in quotes"),
            format!("{key} = [{}]", list_of(inner)),
        ));
    }
    if matches!(key, "date" | "updated" | "last_reviewed") {
        if let Some(day) = impossible_day(value) {
            return Some((
                format!("`{value}` is not a day of the calendar: {day}"),
                format!("check the date and write it as year-month-day: {key} = 2025-03-05"),
            ));
        }
        if value.contains(char::is_alphabetic)
            && let Some(day) = date_in_words(value)
        {
            return Some((
                format!("`{value}` is not a date knead can read"),
                format!("write dates as year-month-day: {key} = {day}"),
            ));
        }
    }
    // An apostrophe ends a text in single quotes.
    if let Some(inner) = value.strip_prefix('\'')
        && inner.matches('\'').count() > 1
    {
        let inner = inner.strip_suffix('\'').unwrap_or(inner);
        return Some((
            format!(
                "the apostrophe in `{key}`'s text ends it: text in single quotes cannot hold one"
            ),
            format!("use double quotes: {key} = \"{inner}\""),
        ));
    }
    let yes_or_no = match value.trim_matches('"').to_lowercase().as_str() {
        "yes" | "y" | "on" | "true" => Some(true),
        "no" | "n" | "off" | "false" => Some(false),
        _ => None,
    };
    // Only the settings that are true or false: `title = Yes` is text without quotes.
    if let Some(meant) = yes_or_no
        && matches!(key, "draft" | "medical")
    {
        return Some((
            format!("`{key}` is true or false, not `{value}`"),
            format!("write {key} = {meant} (without quotes)"),
        ));
    }
    // Neither true nor false, nor a word that means one of them: which one is meant is not
    // knead's to guess.
    if matches!(key, "draft" | "medical") && value != "true" && value != "false" {
        let meaning = if key == "draft" {
            "true (kept off the site) or draft = false (published)"
        } else {
            "true (it gives health advice) or medical = false"
        };
        return Some((
            format!("`{key}` is true or false, not `{value}`"),
            format!("write {key} = {meaning}"),
        ));
    }
    if let Some(rest) = value.strip_prefix('"') {
        let inner = rest.strip_suffix('"').unwrap_or(rest);
        return match rest.find('"') {
            None => Some((
                "the closing quote of the text is missing".to_owned(),
                format!("end the text with a quote: {key} = {value}\""),
            )),
            Some(end) if end + 1 == rest.len() => None,
            // `"...""` or `"...",`: a slip after the text, not quotes inside it.
            Some(end)
                if rest[end + 1..]
                    .trim()
                    .chars()
                    .all(|c| matches!(c, '"' | ',' | ';' | '\'')) =>
            {
                let extra = rest[end + 1..].trim();
                Some((
                    format!("`{extra}` after the closing quote of `{key}`'s text"),
                    format!(
                        "end the line at the closing quote: {key} = \"{}\"",
                        &rest[..end]
                    ),
                ))
            }
            Some(_) => Some((
                format!("the text of `{key}` has quotes inside its quotes"),
                format!(
                    "use single quotes inside: {key} = \"{}\"",
                    inner.replace('"', "'")
                ),
            )),
        };
    }
    if matches!(key, "date" | "updated" | "last_reviewed")
        && let Some(hint) = date_in_numbers(key, value)
    {
        return Some((format!("`{value}` is not a date knead can read"), hint));
    }
    if value.starts_with('[') && value.contains("\";") {
        let fixed = value.replace("\";", "\",");
        return Some((
            format!("the items of `{key}` are separated by semicolons"),
            format!("separate them with commas: {key} = {fixed}"),
        ));
    }
    let number = value.trim_start_matches(['-', '+']);
    if value.starts_with(['[', '{', '\''])
        || number.starts_with(|c: char| c.is_ascii_digit())
        || matches!(number, "inf" | "nan")
    {
        return None;
    }
    Some(match key {
        "date" | "updated" | "last_reviewed" => (
            format!("`{value}` is not a date knead can read"),
            match date_in_words(value) {
                Some(day) => format!("write dates as year-month-day: {key} = {day}"),
                None => format!("write dates as year-month-day, e.g. {key} = 2025-03-05"),
            },
        ),
        "tags" | "aliases" | "services" | "sources" => {
            let items: Vec<String> = value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| format!("\"{item}\""))
                .collect();
            (
                format!("`{key}` is a list"),
                format!(
                    "put each in quotes and the list in brackets: {key} = [{}]",
                    items.join(", ")
                ),
            )
        }
        _ => (
            format!("the text of `{key}` must be in quotes"),
            format!("{key} = \"{value}\""),
        ),
    })
}

/// The fix for a date written in numbers but not as year-month-day (`2025-3-5`, `2025/03/05`,
/// `03/05/2025`), for the line `key = value`. A day and month that could be either way round
/// get both readings.
/// A line with no `=`: a key and its value separated by a colon (YAML's way) or by nothing.
fn no_equals(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    let key_end = line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?;
    let (key, rest) = line.split_at(key_end);
    if key.is_empty() || line.starts_with('[') {
        return None;
    }
    let value = rest.trim_start().strip_prefix(':').unwrap_or(rest).trim();
    if value.is_empty() {
        return None;
    }
    let colon = rest.trim_start().starts_with(':');
    Some((
        if colon {
            format!("`{key}` is followed by a colon: between `+++` lines, settings use `=`")
        } else {
            format!("there is no `=` between `{key}` and its value")
        },
        format!("{key} = {value}"),
    ))
}

/// Why `value`, written as a date `YYYY-MM-DD`, is no day of the calendar ("February 2025
/// has 28 days"); `None` when it is one, or not written so.
fn impossible_day(value: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let date = value.get(..10)?;
    let mut parts = date.split('-');
    let (year, month, day): (i16, i8, i8) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    if date.len() != 10 || jiff::civil::Date::new(year, month, day).is_ok() {
        return None;
    }
    let name = MONTHS.get(usize::try_from(month).ok()?.checked_sub(1)?)?;
    let days = jiff::civil::Date::new(year, month, 1).ok()?.days_in_month();
    (day > days || day < 1).then(|| format!("{name} {year} has {days} days"))
}

fn date_in_numbers(key: &str, value: &str) -> Option<String> {
    let parts: Vec<&str> = value.split(['-', '/', '.']).collect();
    let numbers: Vec<i16> = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [a, b, c] = numbers[..] else { return None };
    let day = |y: i16, m: i16, d: i16| {
        let m = i8::try_from(m).ok()?;
        let d = i8::try_from(d).ok()?;
        jiff::civil::Date::new(y, m, d).ok()
    };
    if parts[0].len() == 4 {
        let date = day(a, b, c)?;
        if date.to_string() == value {
            return None;
        }
        return Some(format!(
            "write dates as year-month-day, with two digits for the month and the day: {key} = {date}"
        ));
    }
    if parts[2].len() != 4 {
        return None;
    }
    match (day(c, b, a), day(c, a, b)) {
        (Some(day_first), Some(month_first)) if day_first != month_first => Some(format!(
            "write dates as year-month-day: {key} = {month_first} if you mean {}, or {key} = {day_first} if you mean {}",
            month_first.strftime("%B %-d"),
            day_first.strftime("%B %-d"),
        )),
        (Some(date), _) | (None, Some(date)) => {
            Some(format!("write dates as year-month-day: {key} = {date}"))
        }
        (None, None) => None,
    }
}

/// A date written in words (`March 5, 2025`, `5 March 2025`, `Mar 5th 2025`) as year-month-day.
fn date_in_words(text: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let (mut month, mut day, mut year) = (None, None, None);
    for word in text.split([' ', ',', '.']).filter(|w| !w.is_empty()) {
        let lower = word.to_lowercase();
        let digits = lower.trim_end_matches(['s', 't', 'n', 'd', 'r', 'h']);
        if let Some(m) = MONTHS.iter().position(|m| lower.starts_with(m)) {
            month = Some(m as i8 + 1);
        } else if let Ok(n) = digits.parse::<i16>() {
            if digits.len() == 4 {
                year = Some(n);
            } else if n <= 31 {
                day = Some(n as i8);
            }
        } else {
            return None;
        }
    }
    let date = jiff::civil::Date::new(year?, month?, day?).ok()?;
    Some(date.to_string())
}

/// The bare key that starts at byte `offset` of `text` (up to `=` or the end of the line).
fn key_at(text: &str, offset: usize) -> Option<&str> {
    let rest = text.get(offset..)?;
    let line = rest.split('\n').next()?;
    let key = line.split('=').next()?.trim();
    (!key.is_empty()).then_some(key)
}

/// Converts a YAML error into a diagnostic. `text` is the whole file and `base` the byte offset at
/// which the YAML document starts in it.
pub(crate) fn yaml_diagnostic(
    err: &serde_saphyr::Error,
    path: &Path,
    text: &str,
    base: usize,
    known: &[&str],
) -> Diagnostic {
    // Without the snippet of the file serde_saphyr can draw: knead shows the line itself.
    let message = err.without_snippet().to_string();
    // It ends with " at line L, column C"; the location is shown separately.
    let message = match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    let yaml = &text[base.min(text.len())..];
    let offset = match err.location() {
        Some(location) => {
            let line = usize::try_from(location.line()).unwrap_or(usize::MAX);
            let column = usize::try_from(location.column()).unwrap_or(usize::MAX);
            base + crate::error::offset_of(yaml, line, column)
        }
        None => base,
    };
    let line_start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or_default();
    let message = scalar_message(&message, line).unwrap_or(message);
    // `tags: Neck Pain, Back Pain`: a list written as one text.
    if message.contains("sequence")
        && let Some((key, value)) = line.split_once(':')
        && ["tags", "aliases", "services", "sources"].contains(&key.trim())
        && !value.trim().starts_with('[')
    {
        let items: Vec<String> = value
            .split(',')
            .map(|item| item.trim().trim_matches(['"', '\'']).trim())
            .filter(|item| !item.is_empty())
            .map(|item| format!("\"{item}\""))
            .collect();
        let key = key.trim();
        let at = line_start + line.find(':').map_or(0, |i| i + 1);
        return Diagnostic::error(format!("`{key}` is a list, not one text"))
            .with_hint(format!(
                "put each in quotes and the list in brackets: {key}: [{}]",
                items.join(", ")
            ))
            .at(path, text, at);
    }
    let (message, offset, hint) = if message.starts_with("mapping values are not allowed")
        && let Some((key, value)) = line.split_once(':')
    {
        let hint = format!(
            "put the text in quotes: {}: \"{}\"",
            key.trim(),
            value.trim()
        );
        let message = format!(
            "the text of `{}` has a colon (:) in it, which YAML reads as another setting",
            key.trim()
        );
        return friendly(&message, known)
            .with_hint(hint)
            .at(path, text, offset);
    } else if message.starts_with("tabs disallowed") {
        (
            "this line is indented with a tab".to_owned(),
            line_start,
            None,
        )
    } else if message == "unclosed bracket '['" {
        let hint = "end the list with `]`, as in `tags: [neck, back]`";
        ("this list is not closed".to_owned(), offset, Some(hint))
    } else {
        (message, offset, None)
    };
    let mut diagnostic = friendly(&message, known);
    if let Some(hint) = hint {
        diagnostic = diagnostic.with_hint(hint);
    }
    if text[line_start..].starts_with('\t') {
        diagnostic = diagnostic.with_hint("YAML does not allow tabs to indent a line; use spaces");
    }
    let toml_line = |line: &str| {
        let (key, _) = line.split_once('=').unwrap_or_default();
        !key.trim().is_empty() && key.trim().chars().all(|c| c.is_alphanumeric() || c == '_')
    };
    if diagnostic
        .message
        .starts_with("the front matter must be settings")
        && yaml.lines().any(toml_line)
    {
        diagnostic = diagnostic.with_hint(
            "these settings are written as TOML (key = value): put them between `+++` lines \
             instead of `---`",
        );
    }
    // An unknown key is reported at the mapping that contains it; point at the key itself.
    if let Some(key) = unknown_field(&message)
        && let Some(i) = find_key_line(yaml, key, ':')
    {
        return diagnostic.at(path, text, base + i);
    }
    diagnostic.at(path, text, offset)
}

/// serde_saphyr's message for a value of the wrong type ("invalid boolean", "invalid i64"),
/// said with the key and the value of `line` (`draft: maybe`) and in words staff know.
fn scalar_message(message: &str, line: &str) -> Option<String> {
    let kind = message.strip_prefix("invalid ")?;
    let expected = match kind {
        "boolean" => "true or false",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more",
        "f32" | "f64" => "a number",
        _ => return None,
    };
    let (key, value) = line.trim_start().trim_start_matches("- ").split_once(':')?;
    let value = value.trim();
    Some(format!(
        "{}: expected {expected}, not `{value}`",
        key.trim()
    ))
}

/// Rewrites serde's unknown-field message into one that suggests the nearest known key.
pub(crate) fn friendly(message: &str, known: &[&str]) -> Diagnostic {
    let message = message.trim();
    if let Some(key) = unknown_field(message) {
        let diagnostic = Diagnostic::error(format!("unknown key `{key}`"));
        return match suggest(key, known) {
            Some(near) => diagnostic.with_hint(format!("`{key}`: did you mean `{near}`?")),
            None => diagnostic.with_hint(format!("known keys are: {}", known.join(", "))),
        };
    }
    if let Some(key) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        return Diagnostic::error(format!("missing key `{key}`"))
            .with_hint(format!("add a line `{key} = ...` to this table"));
    }
    // serde_saphyr says "expected mapping start" for a list or a lone value.
    if message.contains("expected struct ") || message == "expected mapping start" {
        return Diagnostic::error("the front matter must be settings, one per line")
            .with_hint("write it like `title: My post` (YAML) or `title = \"My post\"` (TOML)");
    }
    // serde says "invalid type: string \"x\", expected a boolean" and the like: precise, but
    // with Rust's names for some types.
    Diagnostic::error(plain_type_names(message))
}

/// Replaces Rust's type names in serde's messages with words staff know.
fn plain_type_names(message: &str) -> String {
    let mut message = message.to_owned();
    for (rust, plain) in [
        ("expected i64", "expected a whole number"),
        ("expected u32", "expected a whole number, 0 or more"),
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected usize", "expected a whole number, 0 or more"),
        ("expected f64", "expected a number"),
        ("expected a map", "expected a table"),
        (
            "expected a sequence",
            "expected a sequence: a list such as [\"neck\", \"back\"]",
        ),
    ] {
        if let Some(at) = message.find(rust)
            && message[at + rust.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
        {
            message.replace_range(at..at + rust.len(), plain);
        }
    }
    message
}

/// Every key at the top of the front matter `block` (TOML, or YAML when `yaml`) that is not one
/// of `known`, each as an error at its own line with the nearest known key. Empty when the block
/// is not a table of settings at all (the parser's own error says so).
pub(crate) fn unknown_keys(
    block: &str,
    yaml: bool,
    known: &[&str],
    path: &Path,
    text: &str,
    base: usize,
) -> Vec<Diagnostic> {
    type Keys = std::collections::BTreeMap<String, de::IgnoredAny>;
    let keys = if yaml {
        serde_saphyr::from_str::<Keys>(block).ok()
    } else {
        toml::from_str::<Keys>(block).ok()
    };
    let separator = if yaml { ':' } else { '=' };
    keys.unwrap_or_default()
        .into_keys()
        .filter(|key| !known.contains(&key.as_str()))
        .map(|key| {
            let offset = find_key_line(block, &key, separator).map_or(base, |i| base + i);
            friendly(&format!("unknown field `{key}`"), known).at(path, text, offset)
        })
        .collect()
}

/// The key of an "unknown field `key`, expected ..." message.
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

/// The byte offset of the line that sets `key` (a line starting with `key` then `separator`).
pub(crate) fn find_key_line(text: &str, key: &str, separator: char) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with(separator)
        {
            return Some(offset + indent);
        }
        offset += line.len();
    }
    None
}

/// The keys that `T`, a struct deriving `Deserialize`, accepts: its field names after any
/// `rename`, in the order they are declared; empty for other types.
///
/// serde's derive hands this list to `Deserializer::deserialize_struct` (it is the list its own
/// "expected one of" messages quote), so a deserializer that only records it lets the struct be
/// the one declaration of its keys. Use it on structs without `#[serde(flatten)]`, which turns
/// the struct into a map.
pub(crate) fn known_keys<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut keys = StructKeys(&[]);
    // The deserializer always fails, once it has the keys: the error says nothing more.
    let _ = T::deserialize(&mut keys);
    keys.0
}

/// A deserializer that records the keys a struct asks for, then fails.
struct StructKeys(&'static [&'static str]);

impl<'de> Deserializer<'de> for &mut StructKeys {
    type Error = de::value::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = fields;
        Err(de::Error::custom("only the keys were wanted"))
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The known key closest to `key`, if it is close enough to be a typo.
pub(crate) fn suggest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let key = key.to_lowercase();
    known
        .iter()
        .map(|&candidate| (edit_distance(&key, candidate), candidate))
        .filter(|&(distance, candidate)| distance <= (candidate.len() / 3).max(1))
        .min()
        .map(|(_, candidate)| candidate)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbouring characters each cost one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// In a TOML document with escapes, the innermost key whose name or value holds a character
/// that no feed or sitemap can hold ([`crate::error::is_unwritable`]), with the character.
/// The top-level keys in `skip` are not looked at.
pub(crate) fn toml_unwritable(text: &str, skip: &[&str]) -> Option<(String, char)> {
    if !text.contains('\\') {
        return None;
    }
    let mut table: toml::Table = toml::from_str(text).ok()?;
    table.retain(|key, _| !skip.contains(&key));
    table_unwritable(&table)
}

fn table_unwritable(table: &toml::Table) -> Option<(String, char)> {
    let bad = |text: &str| text.chars().find(|&c| crate::error::is_unwritable(c));
    table.iter().find_map(|(key, value)| {
        if let Some(c) = bad(key) {
            return Some((key.clone(), c));
        }
        value_unwritable(value).map(|(inner, c)| (inner.unwrap_or_else(|| key.clone()), c))
    })
}

/// The bad character in a value, with the key of the innermost table that holds it.
fn value_unwritable(value: &toml::Value) -> Option<(Option<String>, char)> {
    match value {
        toml::Value::String(text) => text
            .chars()
            .find(|&c| crate::error::is_unwritable(c))
            .map(|c| (None, c)),
        toml::Value::Array(items) => items.iter().find_map(value_unwritable),
        toml::Value::Table(table) => table_unwritable(table).map(|(key, c)| (Some(key), c)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &[&str] = &["title", "date", "tags", "description", "draft"];

    #[test]
    fn dates_in_words_are_read_as_year_month_day() {
        for text in [
            "March 5, 2025",
            "5 March 2025",
            "Mar 5th 2025",
            "march 05, 2025",
        ] {
            assert_eq!(date_in_words(text).as_deref(), Some("2025-03-05"), "{text}");
        }
        for text in [
            "February 30, 2025",
            "March 2025",
            "next Tuesday",
            "5/3/2025",
        ] {
            assert_eq!(date_in_words(text), None, "{text}");
        }
    }

    /// Only lines with a staff mistake get a message of their own; numbers, lists, dates, and
    /// strings that are fine keep the parser's.
    #[test]
    fn dates_in_numbers_are_read_as_year_month_day() {
        let hint = |value: &str| value_mistake(&format!("date = {value}")).map(|(_, hint)| hint);
        let both = "write dates as year-month-day: date = 2025-03-05 if you mean March 5, or \
                    date = 2025-05-03 if you mean May 3";
        assert_eq!(hint("03/05/2025").as_deref(), Some(both));
        assert_eq!(
            hint("25/03/2025").as_deref(),
            Some("write dates as year-month-day: date = 2025-03-25")
        );
        let padded = "write dates as year-month-day, with two digits for the month and the day: \
                      date = 2025-03-05";
        assert_eq!(hint("2025-3-5").as_deref(), Some(padded));
        assert_eq!(hint("2025/03/05").as_deref(), Some(padded));
        // A day the calendar does not have says which month it is.
        let (message, _) = value_mistake("date = 2025-02-30").unwrap();
        assert_eq!(
            message,
            "`2025-02-30` is not a day of the calendar: February 2025 has 28 days"
        );
        assert_eq!(
            value_mistake("date = 2024-02-30").unwrap().0,
            "`2024-02-30` is not a day of the calendar: February 2024 has 29 days"
        );
        assert_eq!(hint("2025-03-05"), None);
        assert_eq!(hint("2025-02-28"), None);
    }

    #[test]
    fn value_mistakes_leave_other_values_alone() {
        for line in [
            "paginate_by = -1",
            "weight = 3",
            "date = 2025-03-05",
            "tags = [\"neck\"]",
            "title = \"Fine\"",
            "title = 'Fine'",
            "extra = { a = 1 }",
            "score = inf",
        ] {
            assert_eq!(value_mistake(line), None, "{line}");
        }
        let hint = |line: &str| value_mistake(line).map(|(_, hint)| hint);
        assert_eq!(
            hint("medical = yes").as_deref(),
            Some("write medical = true (without quotes)")
        );
        assert_eq!(hint("title = Yes").as_deref(), Some("title = \"Yes\""));
        assert_eq!(
            hint("title = Neck pain at the desk").as_deref(),
            Some("title = \"Neck pain at the desk\"")
        );
    }

    #[test]
    fn suggests_the_nearest_key_for_typos() {
        assert_eq!(suggest("titel", KEYS), Some("title"));
        assert_eq!(suggest("Title", KEYS), Some("title"));
        assert_eq!(suggest("tag", KEYS), Some("tags"));
        assert_eq!(suggest("descripton", KEYS), Some("description"));
        assert_eq!(suggest("colour", KEYS), None);
    }

    #[test]
    fn finds_the_line_of_a_key() {
        let text = "title = 1\n  titel = 2\n";
        assert_eq!(find_key_line(text, "titel", '='), Some(12));
        assert_eq!(find_key_line(text, "date", '='), None);
    }
}
