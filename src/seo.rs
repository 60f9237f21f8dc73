//! What search engines read: meta descriptions and structured data (JSON-LD).
//!
//! Structured data is built here, in Rust, from typed values, not assembled by string
//! concatenation in templates: every value is escaped for JSON, and the result is made safe to
//! sit inside `<script>` (a `</script>` in a title cannot end the block). The nodes every page
//! shares are `serde_json` values, serialised once; each page's own nodes are written straight
//! as text ([`Graph`]), in the same form.

use serde_json::{Map, Value, json};

use crate::config::Config;

mod graph;
pub use graph::Graph;

/// The longest meta description, in characters, before it is cut at a word.
pub const META_DESCRIPTION_LEN: usize = 155;

/// The description, or else `fallback` cut to about 155 characters at a word boundary.
pub fn meta_description(description: &str, fallback: &str) -> String {
    let text = if description.trim().is_empty() {
        fallback
    } else {
        description
    };
    // White space collapsed, up to the first character past the limit (a summary's text is
    // often a whole paragraph).
    let mut collapsed = String::with_capacity(text.len().min(4 * META_DESCRIPTION_LEN));
    let mut chars = 0;
    for word in text.split_whitespace() {
        if !collapsed.is_empty() {
            collapsed.push(' ');
            chars += 1;
        }
        collapsed.push_str(word);
        chars += word.chars().count();
        if chars > META_DESCRIPTION_LEN {
            break;
        }
    }
    if chars <= META_DESCRIPTION_LEN {
        return collapsed;
    }
    let end = collapsed
        .char_indices()
        .nth(META_DESCRIPTION_LEN)
        .map_or(collapsed.len(), |(i, _)| i);
    let cut = &collapsed[..end];
    let cut = match cut.rfind(' ') {
        Some(i) if i > META_DESCRIPTION_LEN / 2 => &cut[..i],
        _ => cut,
    };
    format!(
        "{}…",
        cut.trim_end_matches([',', ';', ':', '.', ' ', '-', '–'])
    )
}

/// Nodes serialised once for every page's graph (the WebSite and the clinic): the text
/// [`Graph::document`] puts first in the graph.
pub fn shared_nodes(nodes: &[Value]) -> String {
    let texts: Vec<String> = nodes.iter().map(|n| script_safe(&n.to_string())).collect();
    texts.join(",")
}

/// Escapes `<`, `>` and `&` as JSON unicode escapes, which mean the same to a JSON parser but
/// cannot close a `<script>` element or start an HTML comment; also U+2028 and U+2029, which
/// old JavaScript parsers take for line ends.
fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    push_script_safe(&mut out, json);
    out
}

/// What [`script_safe`] writes for the character at `bytes[i]`, and how many bytes it
/// replaces; `None` when it stays.
fn script_escape(bytes: &[u8], i: usize) -> Option<(&'static str, usize)> {
    match bytes[i] {
        b'<' => Some(("\\u003c", 1)),
        b'>' => Some(("\\u003e", 1)),
        b'&' => Some(("\\u0026", 1)),
        // U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8.
        0xE2 if bytes.get(i + 1) == Some(&0x80) => match bytes.get(i + 2) {
            Some(0xA8) => Some(("\\u2028", 3)),
            Some(0xA9) => Some(("\\u2029", 3)),
            _ => None,
        },
        _ => None,
    }
}

/// [`script_safe`], appended to `out`. Scans bytes, not characters: it runs over every page's
/// structured data.
fn push_script_safe(out: &mut String, json: &str) {
    let bytes = json.as_bytes();
    // Most text has none of them: four word-at-a-time searches say so quicker than one
    // look at each byte.
    if [b'<', b'>', b'&', 0xE2].iter().all(|b| !bytes.contains(b)) {
        out.push_str(json);
        return;
    }
    let mut start = 0;
    for i in 0..bytes.len() {
        let Some((escape, width)) = script_escape(bytes, i) else {
            continue;
        };
        out.push_str(&json[start..i]);
        out.push_str(escape);
        start = i + width;
    }
    out.push_str(&json[start..]);
}

/// What follows `base_url` in the `@id` of the site's WebSite node.
const WEBSITE_ID: &str = "/#website";
/// What follows `base_url` in the `@id` of the clinic's node.
const CLINIC_ID: &str = "/#clinic";
/// What follows the address of a person's page in the `@id` of their Person node.
const PERSON_ID: &str = "#person";

/// The `@id` of the site's WebSite node.
pub fn website_id(config: &Config) -> String {
    format!("{}{WEBSITE_ID}", config.base_url)
}

/// The `@id` of the clinic's node.
pub fn clinic_id(config: &Config) -> String {
    format!("{}{CLINIC_ID}", config.base_url)
}

/// The WebSite node, with a search action pointing at the search page.
pub fn website(config: &Config) -> Value {
    json!({
        "@type": "WebSite",
        "@id": website_id(config),
        "url": format!("{}/", config.base_url),
        "name": config.title,
        "description": config.description,
        "inLanguage": config.language,
        "publisher": { "@id": clinic_id(config) },
        "potentialAction": {
            "@type": "SearchAction",
            "target": {
                "@type": "EntryPoint",
                "urlTemplate": format!("{}/search/?q={{search_term_string}}", config.base_url),
            },
            "query-input": "required name=search_term_string",
        },
    })
}

/// The clinic as a local business: address, geo, phone, hours and the rest of `[clinic]`.
pub fn clinic(config: &Config, image: Option<&str>, logo: Option<&str>) -> Value {
    let c = &config.clinic;
    let mut node = Map::new();
    let business_type = c
        .business_type
        .as_deref()
        .unwrap_or(crate::clinic::DEFAULT_BUSINESS_TYPE);
    node.insert("@type".into(), business_type.into());
    node.insert("@id".into(), clinic_id(config).into());
    let name = if c.name.is_empty() {
        &config.title
    } else {
        &c.name
    };
    node.insert("name".into(), name.as_str().into());
    node.insert("url".into(), format!("{}/", config.base_url).into());
    if let Some(phone) = &config.phone_e164 {
        node.insert("telephone".into(), phone.as_str().into());
    }
    insert_nonempty(&mut node, "email", &c.email);
    insert_nonempty(&mut node, "description", &config.description);
    insert_nonempty(&mut node, "priceRange", &c.price_range);
    if !(c.street.is_empty() && c.city.is_empty()) {
        let mut address = Map::new();
        address.insert("@type".into(), "PostalAddress".into());
        insert_nonempty(&mut address, "streetAddress", &c.street);
        insert_nonempty(&mut address, "addressLocality", &c.city);
        insert_nonempty(&mut address, "addressRegion", &c.region);
        insert_nonempty(&mut address, "postalCode", &c.postal_code);
        insert_nonempty(&mut address, "addressCountry", &c.country);
        node.insert("address".into(), Value::Object(address));
    }
    if let (Some(latitude), Some(longitude)) = (c.latitude, c.longitude) {
        node.insert(
            "geo".into(),
            json!({ "@type": "GeoCoordinates", "latitude": latitude, "longitude": longitude }),
        );
    }
    if !config.opening_hours.is_empty() {
        let hours: Vec<Value> = config
            .opening_hours
            .iter()
            .map(|h| {
                json!({
                    "@type": "OpeningHoursSpecification",
                    "dayOfWeek": h.days,
                    "opens": h.opens,
                    "closes": h.closes,
                })
            })
            .collect();
        node.insert("openingHoursSpecification".into(), hours.into());
    }
    if !c.area_served.is_empty() {
        node.insert("areaServed".into(), c.area_served.clone().into());
    }
    if !c.same_as.is_empty() {
        node.insert("sameAs".into(), c.same_as.clone().into());
    }
    if let Some(logo) = logo {
        node.insert("logo".into(), logo.into());
    }
    if let Some(image) = image {
        node.insert("image".into(), image.into());
    }
    if !c.booking_url.is_empty() {
        node.insert(
            "potentialAction".into(),
            json!({ "@type": "ReserveAction", "target": c.booking_url }),
        );
    }
    Value::Object(node)
}

/// A person who writes or reviews posts.
pub struct PersonData<'a> {
    /// The absolute address of their author page.
    pub url: String,
    /// Their name.
    pub name: &'a str,
    /// Their role.
    pub job_title: &'a str,
    /// Credentials such as `LMT, CNMT`.
    pub credentials: &'a str,
    /// A sentence about them.
    pub bio: &'a str,
    /// Their photo, absolute, if any.
    pub image: Option<String>,
    /// Their profiles elsewhere.
    pub same_as: &'a [String],
}

/// A post's facts for its BlogPosting node.
pub struct PostData<'a> {
    /// Its absolute address.
    pub url: &'a str,
    /// Its title.
    pub headline: &'a str,
    /// Its meta description.
    pub description: &'a str,
    /// RFC 3339.
    pub published: &'a str,
    /// RFC 3339: the update date, or the publication date.
    pub modified: &'a str,
    /// Absolute image address, if any.
    pub image: Option<&'a str>,
    /// The author's page address, if the post has an author.
    pub author_url: Option<&'a str>,
    /// Tag names.
    pub keywords: &'a [&'a str],
    /// Words in the body.
    pub word_count: usize,
}

/// The WebPage node of an output: the first of its own nodes in its graph.
#[derive(Debug, Clone, Default)]
pub struct WebPage {
    /// Its schema.org type: `WebPage`, `CollectionPage`, `ProfilePage`.
    pub kind: &'static str,
    /// Its absolute address.
    pub url: String,
    /// Its title.
    pub name: String,
    /// Its meta description.
    pub description: String,
    /// The reviewer's page address and the day of the last review, where the page was
    /// reviewed.
    pub review: Option<(String, String)>,
    /// The address of the person page the page is about (a profile page's author).
    pub main_entity: Option<String>,
}

fn insert_nonempty(node: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.trim().is_empty() {
        node.insert(key.into(), value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn a_meta_description_is_the_text_collapsed_then_cut(
            text in "[a-zé—,.;: \t\n-]{0,400}",
            fallback in "[a-z \n]{0,200}",
        ) {
            // The definition: all the white space collapsed, then cut.
            let source = if text.trim().is_empty() { &fallback } else { &text };
            let whole = source.split_whitespace().collect::<Vec<_>>().join(" ");
            let expected = if whole.chars().count() <= META_DESCRIPTION_LEN {
                whole
            } else {
                let cut: String = whole.chars().take(META_DESCRIPTION_LEN).collect();
                let cut = match cut.rfind(' ') {
                    Some(i) if i > META_DESCRIPTION_LEN / 2 => &cut[..i],
                    _ => cut.as_str(),
                };
                format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ', '-', '–']))
            };
            proptest::prop_assert_eq!(meta_description(&text, &fallback), expected);
        }
    }

    #[test]
    fn meta_description_is_cut_at_a_word() {
        assert_eq!(meta_description("Given.", "fallback"), "Given.");
        assert_eq!(meta_description("  ", "Short fallback."), "Short fallback.");
        let long = "word ".repeat(60);
        let cut = meta_description("", &long);
        assert!(cut.chars().count() <= META_DESCRIPTION_LEN + 1, "{cut}");
        assert!(cut.ends_with("word…"), "{cut}");
    }

    #[test]
    fn script_safe_escapes_what_could_end_the_script_and_nothing_else() {
        let json = "{\"a\":\"</script><!-- & \u{2028}\u{2029} é — \u{2027}\u{202A}\"}";
        let safe = script_safe(json);
        assert_eq!(
            safe,
            "{\"a\":\"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028\\u2029 é — \u{2027}\u{202A}\"}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        let original: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(back, original);
        assert_eq!(script_safe(""), "");
        assert_eq!(script_safe("\u{2028}"), "\\u2028");
    }
}
