//! `site.toml`: the site's and the clinic's settings, read once and validated before anything else.
//!
//! Staff edit this file by hand, so every mistake (a missing or malformed `base_url`, a misspelt
//! key, a wrong type) is reported at `site.toml:line:col` with a hint.

pub mod check;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use self::check::{CHECK_KEYS, CheckConfig, IGNORE_KEYS};
use crate::error::{Diagnostic, Diagnostics};
use crate::toml_errors::{find_key_line, suggest, toml_diagnostic};

/// The settings file's name, at the site root.
pub const CONFIG_FILE: &str = "site.toml";

const TOP_KEYS: &[&str] = &[
    "title",
    "base_url",
    "description",
    "language",
    "menu",
    "default_author",
    "disclaimer",
    "clinic",
    "authors",
    "check",
    "extra",
];
const CLINIC_KEYS: &[&str] = &[
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
    "latitude",
    "longitude",
    "price_range",
    "area_served",
    "same_as",
    "image",
];
const AUTHOR_KEYS: &[&str] = &[
    "name",
    "credentials",
    "job_title",
    "bio",
    "photo",
    "same_as",
];

/// The medical disclaimer shown under posts when site.toml does not set one.
pub const DEFAULT_DISCLAIMER: &str = "This article is general information, not medical advice. \
If you have an injury, a health condition or are pregnant, talk to your doctor before booking, \
and tell your therapist at your appointment.";
const MENU_KEYS: &[&str] = &["name", "url"];

/// The validated settings of a site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    /// The site's title, shown in the header and in `<title>`.
    pub title: String,
    /// The absolute address of the site, without a trailing slash.
    pub base_url: String,
    /// The path part of `base_url`, always starting and ending with `/`.
    pub root: String,
    /// One sentence about the site, the default meta description.
    pub description: String,
    /// The language of the content, as a BCP 47 tag such as `en` or `en-US`.
    pub language: String,
    /// The main navigation, in order. Empty means "derive it from the content".
    pub menu: Vec<MenuItem>,
    /// Who and where the clinic is.
    pub clinic: Clinic,
    /// The people who write posts, by id.
    pub authors: BTreeMap<String, Author>,
    /// The author of new posts made with `knead new`: `default_author` in site.toml, or the only
    /// author when there is one.
    pub default_author: Option<String>,
    /// The medical disclaimer shown under posts.
    pub disclaimer: String,
    /// Free settings for templates.
    pub extra: toml::Table,
    /// The settings of `knead check` (`[check]`).
    pub check: CheckConfig,
    /// The clinic's phone in E.164 form (`+14065550142`), when it has a phone.
    pub phone_e164: Option<String>,
    /// The clinic's opening hours, parsed from `[clinic] hours`.
    pub opening_hours: Vec<crate::clinic::OpeningHours>,
}

/// One entry of the main navigation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuItem {
    /// The visible label.
    pub name: String,
    /// Where it leads: a path on the site such as `/blog/`, or an absolute address.
    pub url: String,
}

/// The clinic's contact details, shown on every page and in structured data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Clinic {
    /// The business name.
    pub name: String,
    /// Street and number.
    pub street: String,
    /// City or town.
    pub city: String,
    /// State, province or region.
    pub region: String,
    /// Postal or ZIP code.
    pub postal_code: String,
    /// Country, as an ISO 3166 code such as `US`.
    pub country: String,
    /// Phone number as staff write it.
    pub phone: String,
    /// Email address.
    pub email: String,
    /// Where visitors book an appointment.
    pub booking_url: String,
    /// Opening hours in schema.org's syntax, e.g. `Mo-Fr 09:00-18:00`.
    pub hours: Vec<String>,
    /// The schema.org type of the business; `HealthAndBeautyBusiness` by default.
    #[serde(rename = "type")]
    pub business_type: Option<String>,
    /// Latitude of the entrance, for maps.
    pub latitude: Option<f64>,
    /// Longitude of the entrance, for maps.
    pub longitude: Option<f64>,
    /// Price level, such as `$$`.
    pub price_range: String,
    /// Towns or areas the clinic serves.
    pub area_served: Vec<String>,
    /// The clinic's profiles elsewhere (maps, social networks), as full addresses.
    pub same_as: Vec<String>,
    /// A photo of the clinic or its logo: a path on the site (`/clinic.jpg`) or a full address.
    pub image: String,
}

/// Someone who writes posts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Author {
    /// Full name.
    pub name: String,
    /// Credentials shown after the name, such as `LMT`.
    pub credentials: String,
    /// Their role, such as `Licensed Massage Therapist`.
    pub job_title: String,
    /// A sentence or two about them.
    pub bio: String,
    /// Their photo: a path on the site (`/authors/dana.jpg`) or a full address.
    pub photo: String,
    /// Their profiles elsewhere, as full addresses.
    pub same_as: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: Option<String>,
    base_url: Option<String>,
    #[serde(default)]
    description: String,
    language: Option<String>,
    #[serde(default)]
    menu: Vec<MenuItem>,
    default_author: Option<String>,
    disclaimer: Option<String>,
    #[serde(default)]
    clinic: Clinic,
    #[serde(default)]
    authors: BTreeMap<String, Author>,
    #[serde(default)]
    extra: toml::Table,
    #[serde(default)]
    check: CheckConfig,
}

impl Config {
    /// Parses and validates the text of `site.toml`. `path` is how the file is named in messages.
    /// `base_url_override` replaces `base_url` (the `--base-url` flag).
    pub fn parse(
        text: &str,
        path: &Path,
        base_url_override: Option<&str>,
    ) -> Result<Config, Diagnostics> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let raw: RawConfig = toml::from_str(text).map_err(|err| {
            let known = known_keys_at(text, err.span().map_or(0, |s| s.start));
            Diagnostics(vec![toml_diagnostic(&err, path, text, 0, known)])
        })?;
        let mut diagnostics = Diagnostics::default();
        let at_key = |key: &str, message: String| {
            let diagnostic = Diagnostic::error(message);
            match find_key_line(text, key, '=') {
                Some(offset) => diagnostic.at(path, text, offset),
                None => diagnostic.in_file(path),
            }
        };

        let title = raw.title.unwrap_or_default();
        if title.trim().is_empty() {
            diagnostics.push(
                at_key("title", "the site has no `title`".into())
                    .with_hint("add a line such as `title = \"Willow Massage\"` to site.toml"),
            );
        }

        let base_url = match base_url_override {
            Some(url) => normalize_base_url(url).map_err(|reason| {
                Diagnostic::error(format!("--base-url `{url}` is not valid: {reason}"))
                    .with_hint("give an absolute address such as https://staging.example.com")
            }),
            None => match raw.base_url.as_deref() {
                None => Err(Diagnostic::error("`base_url` is missing")
                    .at(path, text, 0)
                    .with_hint(
                        "add the site's public address, e.g. `base_url = \"https://clinic.example.com\"`",
                    )),
                Some(url) => normalize_base_url(url).map_err(|reason| {
                    at_key("base_url", format!("`base_url` is not valid: {reason}"))
                        .with_hint("write the full address, e.g. `base_url = \"https://clinic.example.com\"`")
                }),
            },
        };
        let base_url = base_url.unwrap_or_else(|diagnostic| {
            diagnostics.push(diagnostic);
            String::new()
        });

        let language = raw.language.unwrap_or_else(|| "en".to_owned());
        if !is_language_tag(&language) {
            diagnostics.push(
                at_key(
                    "language",
                    format!("`language` `{language}` is not a language tag"),
                )
                .with_hint("use a tag such as `en`, `en-US` or `fr`"),
            );
        }

        for (id, author) in &raw.authors {
            let slug = crate::slug::slugify(id);
            if crate::slug::is_reserved(&slug) {
                let diagnostic = Diagnostic::error(format!(
                    "the author id `{id}` cannot be an address (`/authors/{slug}/`): Windows \
                     reserves that name for a device, so the site could not be built or copied there"
                ))
                .with_hint("use a longer id, such as the author's first and last name");
                diagnostics.push(match text.find(&format!("[authors.{id}]")) {
                    Some(offset) => diagnostic.at(path, text, offset),
                    None => diagnostic.in_file(path),
                });
            }
            if author.name.trim().is_empty() {
                let diagnostic = Diagnostic::error(format!("author `{id}` has no `name`"))
                    .with_hint(format!("add `name = \"...\"` under `[authors.{id}]`"));
                let header = format!("[authors.{id}]");
                diagnostics.push(match text.find(&header) {
                    Some(offset) => diagnostic.at(path, text, offset),
                    None => diagnostic.in_file(path),
                });
            }
        }

        let clinic_key = |key: &str, message: String| {
            let diagnostic = Diagnostic::error(message);
            match table_key_offset(text, "[clinic]", key) {
                Some(offset) => diagnostic.at(path, text, offset),
                None => diagnostic.in_file(path),
            }
        };
        let clinic = &raw.clinic;
        let phone_e164 = if clinic.phone.trim().is_empty() {
            None
        } else {
            match crate::clinic::e164(&clinic.phone, &clinic.country) {
                Ok(phone) => Some(phone),
                Err(reason) => {
                    diagnostics.push(
                        clinic_key(
                            "phone",
                            format!("`phone` `{}` cannot be dialled from abroad: {reason}", clinic.phone),
                        )
                        .with_hint("write it with the country code, e.g. `phone = \"+1 406 555 0142\"`, or set `country`"),
                    );
                    None
                }
            }
        };
        let mut opening_hours = Vec::new();
        for spec in &clinic.hours {
            match crate::clinic::parse_hours(spec) {
                Ok(hours) => opening_hours.extend(hours),
                Err(reason) => diagnostics.push(
                    clinic_key("hours", format!("opening hours `{spec}`: {reason}")).with_hint(
                        "write each line like \"Mo-Fr 09:00-18:00\" or \"Sa 10:00-14:00\"",
                    ),
                ),
            }
        }
        if let Some(business_type) = &clinic.business_type
            && !crate::clinic::BUSINESS_TYPES.contains(&business_type.as_str())
        {
            let hint = match suggest(business_type, crate::clinic::BUSINESS_TYPES) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!(
                    "schema.org has no such type; use one of: {}",
                    crate::clinic::BUSINESS_TYPES.join(", ")
                ),
            };
            diagnostics.push(
                clinic_key(
                    "type",
                    format!("`type` `{business_type}` is not a schema.org business type"),
                )
                .with_hint(hint),
            );
        }
        for (key, value, limit) in [
            ("latitude", clinic.latitude, 90.0),
            ("longitude", clinic.longitude, 180.0),
        ] {
            if let Some(value) = value
                && !(value.is_finite() && value.abs() <= limit)
            {
                diagnostics.push(
                    clinic_key(
                        key,
                        format!("`{key}` {value} is out of range (-{limit} to {limit})"),
                    )
                    .with_hint("copy the coordinates from a map, e.g. `latitude = 45.7833`"),
                );
            }
        }
        if clinic.latitude.is_some() != clinic.longitude.is_some() {
            let missing = if clinic.latitude.is_some() {
                "longitude"
            } else {
                "latitude"
            };
            diagnostics.push(
                Diagnostic::error(format!("`[clinic]` has one coordinate but no `{missing}`"))
                    .in_file(path)
                    .with_hint("set both `latitude` and `longitude`, or neither"),
            );
        }
        for url in clinic
            .same_as
            .iter()
            .chain(raw.authors.values().flat_map(|a| &a.same_as))
        {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                let diagnostic =
                    Diagnostic::error(format!("`same_as` `{url}` is not a full address"));
                diagnostics.push(
                    match text.find(url.as_str()) {
                        Some(offset) => diagnostic.at(path, text, offset),
                        None => diagnostic.in_file(path),
                    }
                    .with_hint("write profiles as full addresses, e.g. \"https://www.facebook.com/yourclinic\""),
                );
            }
        }

        let default_author = match raw.default_author {
            Some(id) if !raw.authors.contains_key(&id) => {
                diagnostics.push(
                    at_key(
                        "default_author",
                        format!("`default_author` `{id}` is not an author"),
                    )
                    .with_hint(format!(
                        "add `[authors.{id}]`, or use one of the ids under [authors]"
                    )),
                );
                None
            }
            Some(id) => Some(id),
            None if raw.authors.len() == 1 => raw.authors.keys().next().cloned(),
            None => None,
        };

        diagnostics.extend(raw.check.validate(text, path));

        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        let root = root_path(&base_url);
        Ok(Config {
            title,
            base_url,
            root,
            description: raw.description,
            language,
            menu: raw.menu,
            clinic: raw.clinic,
            authors: raw.authors,
            default_author,
            disclaimer: raw
                .disclaimer
                .unwrap_or_else(|| DEFAULT_DISCLAIMER.to_owned()),
            extra: raw.extra,
            check: raw.check,
            phone_e164,
            opening_hours,
        })
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

/// The keys allowed in the table that contains byte `offset` of `text`, judged by the nearest
/// `[table]` header above it. Used to suggest the right key for a typo.
fn known_keys_at(text: &str, offset: usize) -> &'static [&'static str] {
    let before = &text[..offset.min(text.len())];
    let header = before
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| line.starts_with('['));
    match header {
        Some(h) if h.starts_with("[clinic") => CLINIC_KEYS,
        Some(h) if h.starts_with("[authors") => AUTHOR_KEYS,
        Some(h) if h.starts_with("[[menu") => MENU_KEYS,
        Some(h) if h.starts_with("[extra") => &[],
        Some(h) if h.starts_with("[[check.ignore") => IGNORE_KEYS,
        Some(h) if h.starts_with("[check") => CHECK_KEYS,
        _ => TOP_KEYS,
    }
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

/// The path of the site's home page: `/` or, for `https://x.org/clinic`, `/clinic/`.
fn root_path(base_url: &str) -> String {
    let after_scheme = base_url.split_once("://").map_or("", |(_, rest)| rest);
    match after_scheme.find('/') {
        Some(i) => format!("{}/", after_scheme[i..].trim_end_matches('/')),
        None => "/".to_owned(),
    }
}

fn is_language_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.split('-').all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Diagnostics> {
        Config::parse(text, Path::new("site.toml"), None)
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let config = parse("title = \"T\"\nbase_url = \"https://x.example/\"\n").unwrap();
        assert_eq!(config.base_url, "https://x.example");
        assert_eq!(config.root, "/");
        assert_eq!(config.language, "en");
    }

    #[test]
    fn base_url_with_a_path_gives_a_root_path() {
        let config = parse("title = \"T\"\nbase_url = \"https://x.example/clinic/\"\n").unwrap();
        assert_eq!(config.root, "/clinic/");
        assert_eq!(config.base_url, "https://x.example/clinic");
    }

    #[test]
    fn invalid_base_url_points_at_its_line() {
        let err = parse("title = \"T\"\nbase_url = \"clinic.example\"\n").unwrap_err();
        let d = &err.0[0];
        assert_eq!(d.location.as_ref().unwrap().line, 2);
        assert!(d.message.contains("`base_url` is not valid"), "{d}");
    }

    #[test]
    fn unknown_key_in_clinic_suggests_the_right_one() {
        let err =
            parse("title = \"T\"\nbase_url = \"https://x.example\"\n[clinic]\nphnoe = \"1\"\n")
                .unwrap_err();
        let d = &err.0[0];
        assert_eq!(d.message, "unknown key `phnoe`");
        assert_eq!(d.hint.as_deref(), Some("`phnoe`: did you mean `phone`?"));
        assert_eq!(d.location.as_ref().unwrap().line, 4);
    }

    #[test]
    fn invalid_clinic_data_is_an_error_at_its_line() {
        let base = "title = \"T\"\nbase_url = \"https://x.example\"\n[clinic]\ncountry = \"US\"\n";
        let cases = [
            ("phone = \"555-0142\"\n", 5, "cannot be dialled from abroad"),
            ("hours = [\"Mo-Fr 9-5\"]\n", 5, "opening hours `Mo-Fr 9-5`"),
            (
                "type = \"MassageTherapy\"\n",
                5,
                "is not a schema.org business type",
            ),
            (
                "latitude = 91.0\nlongitude = 0.0\n",
                5,
                "`latitude` 91 is out of range",
            ),
        ];
        for (extra, line, message) in cases {
            let err = parse(&format!("{base}{extra}")).unwrap_err();
            let d = &err.0[0];
            assert!(d.message.contains(message), "{extra}: {d}");
            assert_eq!(d.location.as_ref().unwrap().line, line, "{extra}");
        }
        let ok = parse(&format!(
            "{base}phone = \"(406) 555-0142\"\nhours = [\"Mo-Fr 09:00-18:00\"]\n"
        ))
        .unwrap();
        assert_eq!(ok.phone_e164.as_deref(), Some("+14065550142"));
        assert_eq!(ok.opening_hours.len(), 1);
    }

    #[test]
    fn wrong_type_is_located() {
        let err = parse("title = 3\nbase_url = \"https://x.example\"\n").unwrap_err();
        let d = &err.0[0];
        assert_eq!(d.location.as_ref().unwrap().line, 1);
        assert!(d.message.contains("invalid type"), "{d}");
    }
}
