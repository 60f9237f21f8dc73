//! The checks of site.toml that serde cannot make: one validator per table, each pointing its
//! errors at the line that needs fixing.
//!
//! [`Config::parse`](super::Config::parse) calls them in a fixed order (`title`, `base_url`,
//! `language`, `[authors.*]`, `[clinic]`, the `same_as` profiles, `default_author`, `[check]`),
//! and each runs even after another found errors, so a run reports every mistake at once, always
//! in the same order.

use std::collections::BTreeMap;
use std::path::Path;

use super::check::CheckConfig;
use super::{Author, Clinic};
use crate::clinic::{BUSINESS_TYPES, OpeningHours};
use crate::error::{Diagnostic, Diagnostics};
use crate::toml_errors::{find_key_line, suggest};

/// The text of site.toml, how its path is shown, and the errors found in it so far.
pub(super) struct Validator<'a> {
    text: &'a str,
    path: &'a Path,
    diagnostics: Diagnostics,
}

impl<'a> Validator<'a> {
    /// A validator of `text`, named `path` in messages.
    pub(super) fn new(text: &'a str, path: &'a Path) -> Self {
        Validator {
            text,
            path,
            diagnostics: Diagnostics::default(),
        }
    }

    /// `Err` with every diagnostic found when one of them is an error, else the warnings.
    pub(super) fn finish(self) -> Result<Diagnostics, Diagnostics> {
        if self.diagnostics.has_errors() {
            return Err(self.diagnostics);
        }
        Ok(self.diagnostics)
    }

    /// The site's `title`, which must not be blank.
    pub(super) fn title(&mut self, title: Option<String>) -> String {
        let title = title.unwrap_or_default();
        if title.trim().is_empty() {
            let diagnostic = self
                .at_key("title", "the site has no `title`".into())
                .with_hint("add a line such as `title = \"Willow Massage\"` to site.toml");
            self.diagnostics.push(diagnostic);
        }
        title
    }

    /// The site's address, from `--base-url` when given (`base_url_override`), else from
    /// `base_url`; normalized, or empty after an error.
    pub(super) fn base_url(
        &mut self,
        base_url: Option<&str>,
        base_url_override: Option<&str>,
    ) -> String {
        let checked = match base_url_override {
            Some(url) => normalize_base_url(url).map_err(|reason| {
                Diagnostic::error(format!("--base-url `{url}` is not valid: {reason}"))
                    .with_hint("give an absolute address such as https://staging.example.com")
            }),
            None => self.written_base_url(base_url),
        };
        // A public site on plain http: browsers mark every page "Not secure".
        if base_url_override.is_none()
            && let Ok(url) = &checked
            && let Some(host) = url.strip_prefix("http://")
            && !["localhost", "127.0.0.1", "[::1]"]
                .iter()
                .any(|local| host.split([':', '/']).next() == Some(*local))
        {
            let secure = format!("https://{host}");
            let diagnostic = self
                .at_key(
                    "base_url",
                    "`base_url` starts with http://: browsers mark every page of the site \
                     \"Not secure\", and search engines rank it lower"
                        .to_owned(),
                )
                .with_hint(format!(
                    "write base_url = \"{secure}\" (every web host offers https; ask yours to turn \
                     it on if that address does not open)"
                ))
                .into_warning();
            self.diagnostics.push(diagnostic);
        }
        checked.unwrap_or_else(|diagnostic| {
            self.diagnostics.push(diagnostic);
            String::new()
        })
    }

    /// The `base_url` of site.toml, normalized.
    fn written_base_url(&self, base_url: Option<&str>) -> Result<String, Diagnostic> {
        let Some(url) = base_url else {
            return Err(Diagnostic::error("`base_url` is missing")
                .at(self.path, self.text, 0)
                .with_hint(
                    "add the site's public address, e.g. `base_url = \"https://clinic.example.com\"`",
                ));
        };
        normalize_base_url(url).map_err(|reason| {
            self.at_key("base_url", format!("`base_url` is not valid: {reason}"))
                .with_hint(
                    "write the full address, e.g. `base_url = \"https://clinic.example.com\"`",
                )
        })
    }

    /// The content's `language`, `en` when not set; it must be a language tag.
    pub(super) fn language(&mut self, language: Option<String>) -> String {
        let language = language.unwrap_or_else(|| "en".to_owned());
        if !is_language_tag(&language) {
            let diagnostic = self
                .at_key(
                    "language",
                    format!("`language` `{language}` is not a language tag"),
                )
                .with_hint("use a tag such as `en`, `en-US` or `fr`");
            self.diagnostics.push(diagnostic);
        }
        language
    }

    /// `[authors.*]`: each id must make an address Windows can write, each author needs a name.
    pub(super) fn authors(&mut self, authors: &BTreeMap<String, Author>) {
        for (id, author) in authors {
            let header = format!("[authors.{id}]");
            let slug = crate::slug::slugify(id);
            if crate::slug::is_reserved(&slug) {
                let diagnostic = Diagnostic::error(format!(
                    "the author id `{id}` cannot be an address (`/authors/{slug}/`): Windows \
                     reserves that name for a device, so the site could not be built or copied there"
                ))
                .with_hint("use a longer id, such as the author's first and last name");
                self.push_at_text(&header, diagnostic);
            }
            if author.name.trim().is_empty() {
                let diagnostic = Diagnostic::error(format!("author `{id}` has no `name`"))
                    .with_hint(format!("add `name = \"...\"` under `[authors.{id}]`"));
                self.push_at_text(&header, diagnostic);
            }
        }
    }

    /// `[clinic]`: its phone in E.164 form and its opening hours, parsed; its business type and
    /// coordinates checked.
    pub(super) fn clinic(&mut self, clinic: &mut Clinic) -> (Option<String>, Vec<OpeningHours>) {
        let phone_e164 = self.clinic_phone(clinic);
        let opening_hours = self.clinic_hours(&clinic.hours);
        self.clinic_type(clinic.business_type.as_deref());
        self.clinic_coordinates(clinic.latitude, clinic.longitude);
        // Invisible characters and spaces pasted around an address: the same address to a reader.
        clinic.booking_url = crate::error::trim_invisible(&clinic.booking_url);
        if let Some(understood) = self.clinic_booking_url(&clinic.booking_url) {
            clinic.booking_url = understood;
        }
        if let Some(understood) = self.clinic_email(&clinic.email) {
            clinic.email = understood;
        }
        (phone_e164, opening_hours)
    }

    /// The clinic's `booking_url`, behind every Book button: a web address (`https://`; `http://`
    /// is a warning), a page of the site (`/book/`), `tel:` or `mailto:`. A web address written
    /// without `https://` (`www.example.com/book`) is understood as one, with a warning saying
    /// so: the returned address. Anything else would make every button a link to nowhere.
    fn clinic_booking_url(&mut self, url: &str) -> Option<String> {
        let url = url.trim();
        let lower = url.to_ascii_lowercase();
        let fine = ["https://", "http://", "tel:", "mailto:"]
            .iter()
            .any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len())
            || (url.starts_with('/') && !url.starts_with("//"));
        if url.is_empty() {
            return None;
        }
        if fine {
            if lower.starts_with("http://") {
                let secure = format!("https://{}", &url["http://".len()..]);
                let diagnostic = self
                    .at_clinic_key(
                        "booking_url",
                        "`booking_url` starts with http://: a client's name and phone number would \
                         travel unencrypted, and browsers mark the page \"Not secure\""
                            .to_owned(),
                    )
                    .with_hint(format!(
                        "booking pages use https://: booking_url = \"{secure}\" (ask the booking service \
                         for its https address if that does not open)"
                    ))
                    .into_warning();
                self.diagnostics.push(diagnostic);
            }
            return None;
        }
        if !url.contains(char::is_whitespace)
            && !url.starts_with("@/")
            && url.split('/').next().is_some_and(|host| {
                host.contains('.') && !host.starts_with('.') && !host.ends_with('.')
            })
        {
            let understood = format!("https://{url}");
            let diagnostic = self
                .at_clinic_key(
                    "booking_url",
                    format!("`booking_url` has no https:// in front: understood as `{understood}`"),
                )
                .with_hint(format!(
                    "write it in full to say so: booking_url = \"{understood}\""
                ))
                .into_warning();
            self.diagnostics.push(diagnostic);
            return Some(understood);
        }
        let hint = if let Some(file) = url.strip_prefix("@/") {
            let page = file.trim_end_matches(".md").trim_end_matches("_index");
            let page = page.trim_end_matches("/index").trim_matches('/');
            let address = if page.is_empty() {
                "/".to_owned()
            } else {
                format!("/{page}/")
            };
            format!("site.toml takes the page's address, not its file: booking_url = \"{address}\"")
        } else {
            "give the address of your booking page, e.g. booking_url = \"https://book.example.com/clinic\", \
             or a phone link such as booking_url = \"tel:+14065550142\""
                .to_owned()
        };
        let diagnostic = self
            .at_clinic_key(
                "booking_url",
                format!("`booking_url` `{url}` is not a web address: every Book button would lead nowhere"),
            )
            .with_hint(hint);
        self.diagnostics.push(diagnostic);
        None
    }

    /// The clinic's `email`: an address, without `mailto:` (the theme adds it; written twice it
    /// breaks every email link, so it is taken off with a warning). Returns the address as
    /// understood when it differs from what was written.
    fn clinic_email(&mut self, email: &str) -> Option<String> {
        let cleaned = crate::error::trim_invisible(email);
        if cleaned.is_empty() {
            return (cleaned != email).then_some(cleaned);
        }
        let address = match cleaned.get(..7) {
            Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => {
                let address = cleaned[7..].trim().to_owned();
                let diagnostic = self
                    .at_clinic_key(
                        "email",
                        format!("`email` starts with `mailto:`: understood as `{address}`"),
                    )
                    .with_hint(format!(
                        "write the address alone, knead makes the link: email = \"{address}\""
                    ))
                    .into_warning();
                self.diagnostics.push(diagnostic);
                address
            }
            _ => cleaned,
        };
        let parts = address.split_once('@');
        if !parts.is_some_and(|(name, host)| {
            !name.is_empty() && host.contains('.') && !address.contains(char::is_whitespace)
        }) {
            let diagnostic = self
                .at_clinic_key(
                    "email",
                    format!(
                        "`email` `{address}` is not an email address: every email link would fail"
                    ),
                )
                .with_hint(
                    "write it like email = \"hello@your-clinic.com\", or \"\" to leave it out",
                );
            self.diagnostics.push(diagnostic);
        }
        (address != email).then_some(address)
    }

    /// The clinic's phone in E.164 form, when it has one that can be dialled from abroad.
    fn clinic_phone(&mut self, clinic: &Clinic) -> Option<String> {
        if clinic.phone.trim().is_empty() {
            return None;
        }
        match crate::clinic::e164(&clinic.phone, &clinic.country) {
            Ok(phone) => Some(phone),
            Err(reason) => {
                // A slip of the keyboard, not a missing country code: the reason says the fix.
                let (message, hint) = match reason.split_once("; ") {
                    Some((what, fix)) => (
                        format!("`phone` `{}`: {what}", clinic.phone),
                        fix.to_owned(),
                    ),
                    None => (
                        format!("`phone` `{}` cannot be dialled from abroad: {reason}", clinic.phone),
                        "write it with the country code, e.g. `phone = \"+1 406 555 0142\"`, or set `country`".to_owned(),
                    ),
                };
                let diagnostic = self.at_clinic_key("phone", message).with_hint(hint);
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }

    /// Every line of the clinic's `hours` that parses. A line in another common form whose
    /// meaning is clear (`Mon-Sat 9-7`, `Monday to Friday 9am-5:30pm`) is read as meant, with a
    /// warning saying how it was understood (`Mo-Sa 09:00-19:00`: 7 pm is 19:00).
    fn clinic_hours(&mut self, hours: &[String]) -> Vec<OpeningHours> {
        let mut opening_hours = Vec::new();
        for spec in hours {
            let reason = match crate::clinic::parse_hours(spec) {
                Ok(hours) => {
                    opening_hours.extend(hours);
                    continue;
                }
                Err(reason) => reason,
            };
            let guess = crate::clinic::guess_hours(spec).and_then(|(guess, pm)| {
                Some((crate::clinic::parse_hours(&guess).ok()?, guess, pm))
            });
            let diagnostic = match guess {
                Some((hours, guess, afternoon)) => {
                    opening_hours.extend(hours);
                    let afternoon = afternoon.map(|a| format!(" ({a})")).unwrap_or_default();
                    self.at_clinic_key(
                        "hours",
                        format!("opening hours `{spec}`: understood as \"{guess}\"{afternoon}"),
                    )
                    .with_hint(format!("write it so: \"{guess}\""))
                    .into_warning()
                }
                None => self
                    .at_clinic_key("hours", format!("opening hours `{spec}`: {reason}"))
                    .with_hint("write each line like \"Mo-Fr 09:00-18:00\" or \"Sa 10:00-14:00\""),
            };
            self.diagnostics.push(diagnostic);
        }
        opening_hours
    }

    /// The clinic's `type`, which must be one of schema.org's business types.
    fn clinic_type(&mut self, business_type: Option<&str>) {
        let Some(business_type) = business_type else {
            return;
        };
        if BUSINESS_TYPES.contains(&business_type) {
            return;
        }
        let hint = match suggest(business_type, BUSINESS_TYPES) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!(
                "schema.org has no such type; use one of: {}",
                BUSINESS_TYPES.join(", ")
            ),
        };
        let diagnostic = self
            .at_clinic_key(
                "type",
                format!("`type` `{business_type}` is not a schema.org business type"),
            )
            .with_hint(hint);
        self.diagnostics.push(diagnostic);
    }

    /// The clinic's `latitude` and `longitude`: both or neither, each in range.
    fn clinic_coordinates(&mut self, latitude: Option<f64>, longitude: Option<f64>) {
        self.clinic_coordinate("latitude", latitude, 90.0);
        self.clinic_coordinate("longitude", longitude, 180.0);
        if latitude.is_some() != longitude.is_some() {
            let missing = if latitude.is_some() {
                "longitude"
            } else {
                "latitude"
            };
            self.diagnostics.push(
                Diagnostic::error(format!("`[clinic]` has one coordinate but no `{missing}`"))
                    .in_file(self.path)
                    .with_hint("set both `latitude` and `longitude`, or neither"),
            );
        }
    }

    /// One coordinate of the clinic, `key`, which must be a number from -`limit` to `limit`.
    fn clinic_coordinate(&mut self, key: &str, value: Option<f64>, limit: f64) {
        if let Some(value) = value
            && !(value.is_finite() && value.abs() <= limit)
        {
            let diagnostic = self
                .at_clinic_key(
                    key,
                    format!("`{key}` {value} is out of range (-{limit} to {limit})"),
                )
                .with_hint("copy the coordinates from a map, e.g. `latitude = 45.7833`");
            self.diagnostics.push(diagnostic);
        }
    }

    /// The `same_as` profiles of `[clinic]` and of every `[authors.*]`, which must be full
    /// addresses.
    pub(super) fn profiles(&mut self, clinic: &Clinic, authors: &BTreeMap<String, Author>) {
        let urls = clinic
            .same_as
            .iter()
            .chain(authors.values().flat_map(|a| &a.same_as));
        for url in urls {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                let diagnostic =
                    Diagnostic::error(format!("`same_as` `{url}` is not a full address"));
                let diagnostic = self.located_at_text(url, diagnostic).with_hint(
                    "write profiles as full addresses, e.g. \"https://www.facebook.com/yourclinic\"",
                );
                self.diagnostics.push(diagnostic);
            }
        }
    }

    /// The author of new posts: `default_author`, which must be an author, or the only author.
    pub(super) fn default_author(
        &mut self,
        default_author: Option<String>,
        authors: &BTreeMap<String, Author>,
    ) -> Option<String> {
        match default_author {
            Some(id) if !authors.contains_key(&id) => {
                let diagnostic = self
                    .at_key(
                        "default_author",
                        format!("`default_author` `{id}` is not an author"),
                    )
                    .with_hint(format!(
                        "add `[authors.{id}]`, or use one of the ids under [authors]"
                    ));
                self.diagnostics.push(diagnostic);
                None
            }
            Some(id) => Some(id),
            None if authors.len() == 1 => authors.keys().next().cloned(),
            None => None,
        }
    }

    /// `[images]`: widths a browser can use, known formats, a quality from 1 to 100.
    pub(super) fn images(&mut self, images: &crate::config::ImageSettings) {
        let at = |key: &str| table_key_offset(self.text, "[images]", key);
        if images.widths.is_empty() || images.widths.iter().any(|w| !(16..=8192).contains(w)) {
            let diagnostic = self
                .located(
                    at("widths"),
                    Diagnostic::error(format!(
                        "`widths` must list widths in pixels from 16 to 8192, not {:?}",
                        images.widths
                    )),
                )
                .with_hint("e.g. widths = [480, 800, 1200, 1600]");
            self.diagnostics.push(diagnostic);
        }
        for format in &images.formats {
            if !matches!(format.as_str(), "avif" | "webp") {
                let diagnostic = self
                    .located(
                        at("formats"),
                        Diagnostic::error(format!(
                            "`formats` knows \"avif\" and \"webp\", not `{format}`"
                        )),
                    )
                    .with_hint("e.g. formats = [\"avif\", \"webp\"]; JPEG or PNG is always made");
                self.diagnostics.push(diagnostic);
            }
        }
        if !(1..=100).contains(&images.quality) {
            let diagnostic = self
                .located(
                    at("quality"),
                    Diagnostic::error(format!(
                        "`quality` is from 1 to 100, not {}",
                        images.quality
                    )),
                )
                .with_hint("75 suits photos");
            self.diagnostics.push(diagnostic);
        }
    }

    /// `[check]`: its rule ids and thresholds.
    pub(super) fn check(&mut self, check: &CheckConfig) {
        self.diagnostics
            .extend(check.validate(self.text, self.path));
    }

    /// An error at the line setting top-level `key`, or in the file when it has no such line.
    fn at_key(&self, key: &str, message: String) -> Diagnostic {
        self.located(
            find_key_line(self.text, key, '='),
            Diagnostic::error(message),
        )
    }

    /// An error at the line setting `key` in `[clinic]`, or in the file.
    fn at_clinic_key(&self, key: &str, message: String) -> Diagnostic {
        let offset = table_key_offset(self.text, "[clinic]", key);
        self.located(offset, Diagnostic::error(message))
    }

    /// Adds `diagnostic`, at the first occurrence of `needle` in the file, or in the file.
    fn push_at_text(&mut self, needle: &str, diagnostic: Diagnostic) {
        let diagnostic = self.located_at_text(needle, diagnostic);
        self.diagnostics.push(diagnostic);
    }

    /// `diagnostic` at the first occurrence of `needle` in the file, or in the file.
    fn located_at_text(&self, needle: &str, diagnostic: Diagnostic) -> Diagnostic {
        self.located(self.text.find(needle), diagnostic)
    }

    /// `diagnostic` at byte `offset` of the file, or in the file when there is no offset.
    fn located(&self, offset: Option<usize>, diagnostic: Diagnostic) -> Diagnostic {
        match offset {
            Some(offset) => diagnostic.at(self.path, self.text, offset),
            None => diagnostic.in_file(self.path),
        }
    }
}

/// The byte offset of the line setting `key` inside the table that starts with `header`.
fn table_key_offset(text: &str, header: &str, key: &str) -> Option<usize> {
    let start = text.find(header)?;
    let table = &text[start..];
    let end = table[header.len()..]
        .find("\n[")
        .map_or(table.len(), |i| header.len() + i);
    find_key_line(&table[..end], key, '=').map(|i| start + i)
}

/// Checks an absolute http(s) address and removes its trailing slash.
fn normalize_base_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| "it must start with `https://` (or `http://`)".to_owned())?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err("it has no host name".into());
    }
    if let Some(c) = url
        .chars()
        .find(|c| c.is_whitespace() || matches!(c, '?' | '#' | '"' | '<' | '>' | '\\'))
    {
        return Err(format!("it contains `{c}`"));
    }
    let valid_host = host.chars().all(|c| {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '[' | ']') || !c.is_ascii()
    });
    if !valid_host {
        return Err(format!("`{host}` is not a host name"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// Whether `tag` looks like a BCP 47 language tag: parts of 1 to 8 letters or digits, joined
/// by `-`.
fn is_language_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.split('-').all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}
