//! `site.toml`: the site's and the clinic's settings, read once and validated before anything else.
//!
//! Staff edit this file by hand, so every mistake (a missing or malformed `base_url`, a misspelt
//! key, a wrong type) is reported at `site.toml:line:col` with a hint.
//!
//! Reading is two steps: serde deserializes the file (types and unknown keys), then `validate`
//! checks what serde cannot, one validator per table. The `[check]` table, read here like the
//! others, has its own module, [`check`]. The keys suggested for a misspelt one are the fields
//! of the table's struct, read from the struct itself (`toml_errors::known_keys`).

pub mod check;
mod validate;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use self::check::{CheckConfig, Ignore};
use self::validate::Validator;
use crate::error::{Diagnostic, Diagnostics};
use crate::toml_errors::{find_key_line, known_keys, toml_diagnostic};

/// The settings file's name, at the site root.
pub const CONFIG_FILE: &str = "site.toml";

/// The medical disclaimer shown under posts when site.toml does not set one.
pub const DEFAULT_DISCLAIMER: &str = "This article is general information, not medical advice. \
If you have an injury, a health condition or are pregnant, talk to your doctor before booking, \
and tell your therapist at your appointment.";
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
    /// How photos are published (`[images]`).
    pub images: ImageSettings,
    /// What was doubtful in site.toml, or understood for the user (a booking address without
    /// `https://`): warnings the build prints.
    #[serde(skip)]
    pub warnings: crate::error::Diagnostics,
}

/// `[images]`: how photos are published. The defaults suit a clinic's site; see docs/images.md.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImageSettings {
    /// The widths made of each photo, in pixels; none wider than the photo itself.
    pub widths: Vec<u32>,
    /// The modern formats offered besides the JPEG (or PNG) every browser reads: `webp`, and
    /// `avif`, the smallest but many times slower to make (see docs/images.md), so not
    /// made unless listed.
    pub formats: Vec<String>,
    /// 1 to 100: higher is sharper and heavier.
    pub quality: u8,
    /// Also publish each original file as it was taken, metadata (GPS position, camera) and all.
    pub originals: bool,
    /// The `sizes` attribute of a photo in a post: how wide it shows at each screen width, so
    /// that the browser picks the right file.
    pub sizes: String,
}

impl Default for ImageSettings {
    fn default() -> Self {
        ImageSettings {
            widths: vec![480, 800, 1200, 1600],
            formats: vec!["webp".to_owned()],
            quality: 75,
            originals: false,
            sizes: "(min-width: 49rem) 46.5rem, calc(100vw - 2.5rem)".to_owned(),
        }
    }
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
    /// A photo of the clinic: a path on the site (`/clinic.jpg`) or a full address. The
    /// structured data's `image`, and the social preview of pages without a photo of their own.
    /// `image` is its older name.
    #[serde(alias = "image")]
    pub photo: String,
    /// The clinic's logo, shown in the header in place of the site's icon: a path on the site
    /// (`/logo.svg`) or a full address. The structured data's `logo`.
    pub logo: String,
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

/// site.toml as written, before validation. Its fields are the top-level keys, in the order a
/// misspelt key's hint lists them.
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
    check: CheckConfig,
    #[serde(default)]
    images: ImageSettings,
    #[serde(default)]
    extra: toml::Table,
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
        let raw = RawConfig::parse(text, path)?;
        if let Some((key, c)) = crate::toml_errors::toml_unwritable(text, &[]) {
            return Err(Diagnostics(vec![unwritable_setting(&key, c, path, text)]));
        }
        let mut validator = Validator::new(text, path);
        let title = validator.title(raw.title);
        let base_url = validator.base_url(raw.base_url.as_deref(), base_url_override);
        let language = validator.language(raw.language);
        validator.authors(&raw.authors);
        let mut clinic = raw.clinic;
        let (phone_e164, opening_hours) = validator.clinic(&mut clinic);
        validator.profiles(&clinic, &raw.authors);
        let default_author = validator.default_author(raw.default_author, &raw.authors);
        validator.check(&raw.check);
        validator.images(&raw.images);
        let warnings = validator.finish()?;
        Ok(Config {
            title,
            root: root_path(&base_url),
            base_url,
            description: raw.description,
            language,
            menu: raw.menu,
            clinic,
            authors: raw.authors,
            default_author,
            disclaimer: raw
                .disclaimer
                .unwrap_or_else(|| DEFAULT_DISCLAIMER.to_owned()),
            extra: raw.extra,
            check: raw.check,
            images: raw.images,
            phone_e164,
            opening_hours,
            warnings,
        })
    }
}

impl RawConfig {
    /// Deserializes site.toml's `text`; a syntax error, a wrong type or an unknown key is an
    /// error at its place, with the keys of its table to suggest from.
    fn parse(text: &str, path: &Path) -> Result<RawConfig, Diagnostics> {
        toml::from_str(text).map_err(|err| {
            let known = known_keys_at(text, err.span().map_or(0, |s| s.start));
            let first = toml_diagnostic(&err, path, text, 0, known);
            // serde stops at the first unknown key: every other one is shown in this run too.
            if !first.message.starts_with("unknown key ")
                || toml::from_str::<toml::Table>(text).is_err()
            {
                return Diagnostics(vec![first]);
            }
            let mut errors = unknown_keys_by_line(text, path);
            if !errors.iter().any(|e| e.message == first.message) {
                errors.push(first);
            }
            let mut errors = Diagnostics(errors);
            errors.sort();
            errors
        })
    }
}

/// Every line of a site.toml that reads as TOML setting a key its table does not have, as an
/// error each (the keys of the table judged as [`known_keys_at`] does).
fn unknown_keys_by_line(text: &str, path: &Path) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let at = offset + line.len() - trimmed.len();
        offset += line.len();
        let Some((key, _)) = trimmed.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            continue;
        }
        // Only in the tables whose keys are all known: not in `[extra]`, nor in a table
        // knead does not define (serde named that one).
        let header = text[..at]
            .lines()
            .rev()
            .map(str::trim)
            .find(|line| line.starts_with('['));
        let plain = match header {
            None => true,
            Some(h) => {
                let name = h
                    .trim_start_matches('[')
                    .split(']')
                    .next()
                    .unwrap_or("")
                    .trim();
                matches!(
                    name,
                    "clinic" | "menu" | "images" | "check" | "check.ignore"
                ) || name
                    .strip_prefix("authors.")
                    .is_some_and(|id| !id.contains('.'))
            }
        };
        let known = known_keys_at(text, at);
        if !plain || known.is_empty() || known.contains(&key) {
            continue;
        }
        let message = format!(
            "unknown field `{key}`, expected one of {}",
            known.join(", ")
        );
        errors.push(crate::toml_errors::friendly(&message, known).at(path, text, at));
    }
    errors
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
        Some(h) if h.starts_with("[clinic") => known_keys::<Clinic>(),
        Some(h) if h.starts_with("[authors") => known_keys::<Author>(),
        Some(h) if h.starts_with("[[menu") => known_keys::<MenuItem>(),
        Some(h) if h.starts_with("[extra") => &[],
        Some(h) if h.starts_with("[images") => known_keys::<ImageSettings>(),
        Some(h) if h.starts_with("[[check.ignore") => known_keys::<Ignore>(),
        Some(h) if h.starts_with("[check") => known_keys::<CheckConfig>(),
        _ => known_keys::<RawConfig>(),
    }
}

/// The path of the site's home page: `/` or, for `https://x.org/clinic`, `/clinic/`.
fn root_path(base_url: &str) -> String {
    let after_scheme = base_url.split_once("://").map_or("", |(_, rest)| rest);
    match after_scheme.find('/') {
        Some(i) => format!("{}/", after_scheme[i..].trim_end_matches('/')),
        None => "/".to_owned(),
    }
}

/// The error for a setting whose value holds, written as an escape, a character that no feed
/// or sitemap can hold.
fn unwritable_setting(key: &str, c: char, path: &Path, text: &str) -> Diagnostic {
    let diagnostic = crate::error::escaped_unwritable(key, c);
    match find_key_line(text, key, '=') {
        Some(offset) => diagnostic.at(path, text, offset),
        None => diagnostic.in_file(path),
    }
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
            (
                "phone = \"555-0142\"\n",
                5,
                "a number in the US or Canada has 10 digits, this one has 7",
            ),
            (
                "hours = [\"Mo-Fr mornings\"]\n",
                5,
                "opening hours `Mo-Fr mornings`",
            ),
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

    /// Hours in a common form whose meaning is clear are read as meant, with a warning that says
    /// how, at their line.
    #[test]
    fn hours_whose_meaning_is_clear_are_understood() {
        let config = parse(
            "title = \"T\"\nbase_url = \"https://x.example\"\n[clinic]\ncountry = \"US\"\n\
             hours = [\"Mon-Sat 9-7\", \"Su 10:00-14:00\"]\n",
        )
        .unwrap();
        let hours: Vec<String> = config
            .opening_hours
            .iter()
            .map(|h| format!("{:?} {}-{}", h.days, h.opens, h.closes))
            .collect();
        assert_eq!(hours.len(), 2, "{hours:?}");
        assert!(hours[0].ends_with(" 09:00-19:00"), "{hours:?}");
        let warning = &config.warnings.0[0];
        assert!(!warning.is_error());
        assert_eq!(
            warning.message,
            "opening hours `Mon-Sat 9-7`: understood as \"Mo-Sa 09:00-19:00\" (7 pm is 19:00)"
        );
        assert_eq!(warning.location.as_ref().unwrap().line, 5);
    }

    /// The keys suggested in each table are the ones serde expects there: every field, in order.
    #[test]
    fn known_keys_are_the_fields_serde_expects() {
        /// The keys quoted in serde's "unknown field `x`, expected ..." message for `T`.
        fn expected_by_serde<T: serde::de::DeserializeOwned>() -> Vec<String> {
            let Err(err) = toml::from_str::<T>("not_a_key = 1") else {
                panic!("an unknown key was accepted");
            };
            let (_, expected) = err.message().split_once("expected ").unwrap();
            expected
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        }
        assert_eq!(known_keys::<RawConfig>(), expected_by_serde::<RawConfig>());
        assert_eq!(known_keys::<Clinic>(), expected_by_serde::<Clinic>());
        assert_eq!(known_keys::<Author>(), expected_by_serde::<Author>());
        assert_eq!(known_keys::<MenuItem>(), expected_by_serde::<MenuItem>());
        assert_eq!(
            known_keys::<CheckConfig>(),
            expected_by_serde::<CheckConfig>()
        );
        assert_eq!(known_keys::<Ignore>(), expected_by_serde::<Ignore>());
    }

    #[test]
    fn wrong_type_is_located() {
        let err = parse("title = 3\nbase_url = \"https://x.example\"\n").unwrap_err();
        let d = &err.0[0];
        assert_eq!(d.location.as_ref().unwrap().line, 1);
        assert_eq!(d.message, "`title` is text: it must be in quotes", "{d}");
        assert_eq!(d.hint.as_deref(), Some("title = \"3\""));
    }
}
