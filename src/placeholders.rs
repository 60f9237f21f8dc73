//! What `knead init` and `knead new` wrote and nobody replaced, found when the site is built
//! for real or checked: the example `base_url` (an error: every canonical link, the sitemap and
//! social previews would point at example.com), the example clinic, author and pages, and a new
//! post's example text (a warning each, with where to change it). `knead serve` does not run
//! it: a new site is previewed before it has its own address.

use std::path::Path;

use crate::config::CONFIG_FILE;
use crate::error::{Diagnostic, Diagnostics};
use crate::init::STARTER_FILES;
use crate::source::Sources;
use crate::toml_errors::find_key_line;

/// The address `knead init` writes into site.toml.
const EXAMPLE_BASE_URL: &str = "https://example.com";

/// The address the help line of that error gives as an example.
const HELP_BASE_URL: &str = "https://www.your-clinic.com";

/// The settings whose example values are worth a warning: the table (`""` for the top) and key.
const EXAMPLE_SETTINGS: [(&str, &str); 13] = [
    ("", "title"),
    ("", "description"),
    ("clinic", "name"),
    ("clinic", "street"),
    ("clinic", "city"),
    ("clinic", "region"),
    ("clinic", "postal_code"),
    ("clinic", "area_served"),
    ("clinic", "phone"),
    ("clinic", "email"),
    ("clinic", "booking_url"),
    ("authors.alex", "name"),
    ("authors.alex", "bio"),
];

/// Every example value of `knead init` still in the site. `base_url_given`: `--base-url`
/// replaces the one in site.toml.
pub(crate) fn check(sources: &Sources, base_url_given: bool) -> Diagnostics {
    let mut found = Diagnostics::default();
    let starter = |name: &str| {
        STARTER_FILES
            .iter()
            .find(|(file, _)| *file == name)
            .map(|(_, text)| *text)
    };
    let (Ok(ours), Some(Ok(example))) = (
        sources.config_text.parse::<toml::Table>(),
        starter(CONFIG_FILE).map(str::parse::<toml::Table>),
    ) else {
        return found;
    };
    let text = &sources.config_text;
    let at = |table: &str, key: &str, diagnostic: Diagnostic| {
        let header = format!("[{table}]");
        let start = if table.is_empty() {
            Some(0)
        } else {
            text.find(&header)
        };
        let offset = start.and_then(|start| {
            let rest = &text[start..];
            let end = rest[1..].find("\n[").map_or(rest.len(), |i| i + 1);
            find_key_line(&rest[..end], key, '=').map(|i| start + i)
        });
        match offset {
            Some(offset) => diagnostic.at(CONFIG_FILE, text, offset),
            None => diagnostic.in_file(CONFIG_FILE),
        }
    };
    let base_url = ours.get("base_url").and_then(toml::Value::as_str);
    // The example of init's site.toml, and the one of this message's own help line.
    let example_url = base_url
        .map(|url| url.trim_end_matches('/'))
        .filter(|url| [EXAMPLE_BASE_URL, HELP_BASE_URL, "https://your-clinic.com"].contains(url));
    if !base_url_given && let Some(example_url) = example_url {
        found.push(at(
            "",
            "base_url",
            Diagnostic::error(format!(
                "`base_url` is still `{example_url}`, an example: the canonical links, the \
                 sitemap and social previews would point at a site that is not the clinic's"
            ))
            .with_hint(format!(
                "write the site's own address, e.g. base_url = \"{HELP_BASE_URL}\" \
                     (`knead serve` previews the site without one)"
            )),
        ));
    }
    for (table, key) in EXAMPLE_SETTINGS {
        let value = |root: &toml::Table| -> Option<toml::Value> {
            let mut table_of = root;
            for part in table.split('.').filter(|part| !part.is_empty()) {
                table_of = table_of.get(part)?.as_table()?;
            }
            table_of.get(key).cloned()
        };
        let Some(written) = value(&ours) else {
            continue;
        };
        let empty = match &written {
            toml::Value::String(text) => text.is_empty(),
            toml::Value::Array(items) => items.is_empty(),
            _ => true,
        };
        if empty || value(&example) != Some(written.clone()) {
            continue;
        }
        let name = if table.is_empty() {
            key.to_owned()
        } else {
            format!("{table}.{key}")
        };
        found.push(at(
            table,
            key,
            Diagnostic::warning(format!(
                "`{name}` is still the example `knead init` wrote: {written}"
            ))
            .with_hint("write the clinic's own, or \"\" to leave it out"),
        ));
    }
    for file in &sources.content {
        let rel = format!("content/{}", file.rel);
        // The blog's own `_index.md` ("Blog") is fine as it is.
        let Some(example) = starter(&rel).filter(|_| file.rel != "blog/_index.md") else {
            continue;
        };
        // Its first paragraph, the instructions: still there when only the title changed.
        let instructions = example
            .split("\n+++\n")
            .nth(1)
            .and_then(|body| body.lines().find(|line| !line.trim().is_empty()));
        let Ok(text) = std::str::from_utf8(&file.bytes) else {
            continue;
        };
        if let Some(at) = instructions.and_then(|line| text.find(line)) {
            found.push(
                Diagnostic::warning("this page still has the example text `knead init` wrote")
                    .at(Path::new(&rel), text, at)
                    .with_hint("write the clinic's own text, or delete the file"),
            );
        } else if let Some(at) = text.find("Your Town").or_else(|| text.find("Your Clinic")) {
            found.push(
                Diagnostic::warning("this page still names the example clinic `knead init` wrote")
                    .at(Path::new(&rel), text, at)
                    .with_hint("write the clinic's own name and town"),
            );
        }
    }
    found
}

/// What `knead new` wrote into a post and nobody replaced, in the pages the site publishes:
/// the example body, description and image text, a warning each at its line.
pub(crate) fn new_post_text(site: &crate::site::Site) -> Diagnostics {
    use crate::new::{PLACEHOLDER_ALT, PLACEHOLDER_BODY, PLACEHOLDER_DESCRIPTION};
    let body = PLACEHOLDER_BODY.lines().next().unwrap_or_default();
    let mut found = Diagnostics::default();
    for page in site.pages() {
        let source = &page.source;
        let front = &source.text[..source.body_offset.min(source.text.len())];
        let examples = [
            (
                source.body().find(body).map(|i| i + source.body_offset),
                "text",
                "the post's own text",
            ),
            (
                (page.description == PLACEHOLDER_DESCRIPTION)
                    .then(|| find_key_line(front, "description", '='))
                    .flatten(),
                "description",
                "one or two sentences on what a reader gets from the post",
            ),
            (
                (page.image_alt == PLACEHOLDER_ALT)
                    .then(|| find_key_line(front, "image_alt", '='))
                    .flatten(),
                "image_alt",
                "what the photo shows, e.g. \"A therapist working on a client's upper back\"",
            ),
        ];
        for (offset, what, fix) in examples {
            if let Some(offset) = offset {
                found.push(
                    Diagnostic::warning(format!(
                        "the post's {what} is still the example `knead new` wrote"
                    ))
                    .at(&source.file, &source.text, offset)
                    .with_hint(format!("replace it with {fix}")),
                );
            }
        }
    }
    found
}
