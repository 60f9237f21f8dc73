//! What search engines read: meta descriptions and structured data (JSON-LD).
//!
//! Structured data is built here, in Rust, from typed values, not assembled by string
//! concatenation in templates: every value is escaped for JSON, and the result is made safe to
//! sit inside `<script>` (a `</script>` in a title cannot end the block). The nodes every page
//! shares are `serde_json` values, serialised once; each page's own nodes are written straight
//! as text ([`Graph`]), in the same form.

use serde_json::{Map, Value, json};

use crate::config::Config;

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
pub fn clinic(config: &Config, image: Option<&str>) -> Value {
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

/// One output's structured data: its WebPage, then its other nodes, written after the nodes
/// every page shares ([`shared_nodes`]).
///
/// Its nodes are written straight as JSON text, not built as `serde_json` values first: every
/// page has a graph. Each node's keys are written in byte order, as `serde_json` orders
/// them, and the text is escaped as `serde_json` and then [`script_safe`] would escape it.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// The WebPage node, written last of all, so that it can be completed meanwhile.
    pub page: WebPage,
    /// The other nodes' JSON text, comma separated.
    nodes: String,
}

impl Graph {
    /// A graph for the output at `page.url`, with its BreadcrumbList made from `(name,
    /// absolute url)` pairs, home first.
    pub fn new(page: WebPage, trail: &[(&str, String)]) -> Graph {
        let mut nodes = String::with_capacity(256 + 160 * trail.len());
        let mut list = Object::new(&mut nodes);
        list.text("@id", &[&page.url, "#breadcrumb"]);
        list.text("@type", &["BreadcrumbList"]);
        let out = list.key("itemListElement");
        out.push('[');
        for (i, (name, item)) in trail.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let mut element = Object::new(out);
            element.text("@type", &["ListItem"]);
            element.text("item", &[item]);
            element.text("name", &[name]);
            element.number("position", i + 1);
            element.end();
        }
        out.push(']');
        list.end();
        Graph { page, nodes }
    }

    /// Adds a post's BlogPosting node.
    pub fn blog_posting(&mut self, config: &Config, post: &PostData<'_>) {
        let mut node = self.next_node();
        node.text("@id", &[post.url, "#article"]);
        node.text("@type", &["BlogPosting"]);
        if let Some(author) = post.author_url {
            node.reference("author", &[author, PERSON_ID]);
        }
        node.text("dateModified", &[post.modified]);
        node.text("datePublished", &[post.published]);
        node.nonempty("description", post.description);
        node.text("headline", &[post.headline]);
        if let Some(image) = post.image {
            node.text("image", &[image]);
        }
        node.text("inLanguage", &[&config.language]);
        if let Some((first, rest)) = post.keywords.split_first() {
            let out = node.key("keywords");
            out.push('"');
            push_json_text(out, first);
            for keyword in rest {
                out.push_str(", ");
                push_json_text(out, keyword);
            }
            out.push('"');
        }
        node.reference("mainEntityOfPage", &[post.url, "#webpage"]);
        node.reference("publisher", &[&config.base_url, CLINIC_ID]);
        node.number("wordCount", post.word_count);
        node.end();
    }

    /// Adds a Person node, with credentials as `hasCredential`.
    pub fn person(&mut self, config: &Config, person: &PersonData<'_>) {
        let mut node = self.next_node();
        node.text("@id", &[&person.url, PERSON_ID]);
        node.text("@type", &["Person"]);
        node.nonempty("description", person.bio);
        let mut credentials = person
            .credentials
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .peekable();
        if credentials.peek().is_some() {
            let out = node.key("hasCredential");
            out.push('[');
            for (i, credential) in credentials.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let mut item = Object::new(out);
                item.text("@type", &["EducationalOccupationalCredential"]);
                item.text("credentialCategory", &["license"]);
                item.text("name", &[credential]);
                item.end();
            }
            out.push(']');
        }
        if let Some(image) = &person.image {
            node.text("image", &[image]);
        }
        node.nonempty("jobTitle", person.job_title);
        node.text("name", &[person.name]);
        if !person.same_as.is_empty() {
            let out = node.key("sameAs");
            out.push('[');
            for (i, address) in person.same_as.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, &[address]);
            }
            out.push(']');
        }
        node.text("url", &[&person.url]);
        node.reference("worksFor", &[&config.base_url, CLINIC_ID]);
        node.end();
    }

    /// The JSON-LD document: `shared` (from [`shared_nodes`]), the WebPage and the other
    /// nodes, as text safe to place between `<script>` tags.
    pub fn document(&self, config: &Config, shared: &str) -> String {
        let page = &self.page;
        let mut out = String::with_capacity(shared.len() + self.nodes.len() + 512);
        out.push_str(r#"{"@context":"https://schema.org","@graph":["#);
        out.push_str(shared);
        if !shared.is_empty() {
            out.push(',');
        }
        let mut node = Object::new(&mut out);
        node.text("@id", &[&page.url, "#webpage"]);
        node.text("@type", &[page.kind]);
        node.reference("breadcrumb", &[&page.url, "#breadcrumb"]);
        node.nonempty("description", &page.description);
        node.text("inLanguage", &[&config.language]);
        node.reference("isPartOf", &[&config.base_url, WEBSITE_ID]);
        if let Some((_, day)) = &page.review {
            node.text("lastReviewed", &[day]);
        }
        if let Some(person) = &page.main_entity {
            node.reference("mainEntity", &[person, PERSON_ID]);
        }
        node.text("name", &[&page.name]);
        if let Some((reviewer, _)) = &page.review {
            node.reference("reviewedBy", &[reviewer, PERSON_ID]);
        }
        node.text("url", &[&page.url]);
        node.end();
        out.push(',');
        out.push_str(&self.nodes);
        out.push_str("]}");
        out
    }

    fn next_node(&mut self) -> Object<'_> {
        self.nodes.push(',');
        Object::new(&mut self.nodes)
    }
}

/// A JSON object being written into `out`, its keys in the order they are given.
struct Object<'o> {
    out: &'o mut String,
    empty: bool,
}

impl<'o> Object<'o> {
    fn new(out: &'o mut String) -> Object<'o> {
        out.push('{');
        Object { out, empty: true }
    }

    /// Writes `key` and its colon; the caller writes the value into what is returned.
    fn key(&mut self, key: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        // Keys are this module's own ASCII names: nothing in them to escape.
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
        self.out
    }

    /// A string made of `parts`.
    fn text(&mut self, key: &str, parts: &[&str]) {
        let out = self.key(key);
        push_json_string(out, parts);
    }

    /// A string, left out when it is blank.
    fn nonempty(&mut self, key: &str, value: &str) {
        if !value.trim().is_empty() {
            self.text(key, &[value]);
        }
    }

    fn number(&mut self, key: &str, value: usize) {
        use std::fmt::Write as _;
        let out = self.key(key);
        let _ = write!(out, "{value}");
    }

    /// A reference to another node: `{"@id": ...}`.
    fn reference(&mut self, key: &str, id: &[&str]) {
        let mut node = Object::new(self.key(key));
        node.text("@id", id);
        node.end();
    }

    fn end(self) {
        self.out.push('}');
    }
}

/// `parts`, one after the other, as one JSON string.
fn push_json_string(out: &mut String, parts: &[&str]) {
    out.push('"');
    for part in parts {
        push_json_text(out, part);
    }
    out.push('"');
}

/// The bytes [`push_json_text`] may have to escape: control characters, quotes, backslashes,
/// what could end a `<script>` and the first byte of U+2028 and U+2029.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b < 0x20 || matches!(b as u8, b'"' | b'\\' | b'<' | b'>' | b'&' | 0xE2);
        b += 1;
    }
    table
};

/// `text` escaped for a JSON string (as `serde_json` escapes it: quotes, backslashes and
/// control characters) and made safe inside `<script>` (as [`script_safe`] makes it).
fn push_json_text(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let special = |b: u8| SPECIAL[usize::from(b)];
    if !bytes.iter().any(|&b| special(b)) {
        out.push_str(text);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !special(b) {
            continue;
        }
        let (escape, width): (&str, usize) = match b {
            b'"' => ("\\\"", 1),
            b'\\' => ("\\\\", 1),
            b'\n' => ("\\n", 1),
            b'\r' => ("\\r", 1),
            b'\t' => ("\\t", 1),
            0x08 => ("\\b", 1),
            0x0C => ("\\f", 1),
            0x00..0x20 => ("", 1),
            _ => match script_escape(bytes, i) {
                Some(escape) => escape,
                None => continue,
            },
        };
        out.push_str(&text[start..i]);
        if escape.is_empty() {
            // Other control characters: `\u00XX`, lowercase, as serde_json writes them.
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        } else {
            out.push_str(escape);
        }
        start = i + width;
    }
    out.push_str(&text[start..]);
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

    /// What every graph was written with before [`Graph`]: `serde_json` values (whose maps
    /// keep their keys in byte order), made safe for `<script>` afterwards.
    fn reference(graph: Vec<Value>) -> String {
        let document = json!({ "@context": "https://schema.org", "@graph": graph });
        script_safe(&document.to_string())
    }

    fn config() -> Config {
        let text = "title = \"Kestrel <Massage> & \\\"Co\\\"\"\nbase_url = \"https://kestrel.example\"\nlanguage = \"en-GB\"\n";
        Config::parse(text, std::path::Path::new("site.toml"), None).unwrap()
    }

    const NASTY: &str = "A \"quote\", a \\ and </script><!-- & \u{2028}\u{2029}\n\t\r\u{8}\u{c}\u{1}\u{1f}\u{7f} é — \u{2027}";

    proptest::proptest! {
        #[test]
        fn any_text_is_escaped_as_serde_json_and_script_safe_escape_it(text in proptest::prelude::any::<String>()) {
            let mut ours = String::new();
            push_json_string(&mut ours, &[&text]);
            proptest::prop_assert_eq!(ours, script_safe(&serde_json::to_string(&text).unwrap()));
        }
    }

    #[test]
    fn a_graph_is_the_text_serde_json_gave_for_the_same_nodes() {
        let config = config();
        let shared = shared_nodes(&[website(&config), clinic(&config, None)]);
        let url = "https://kestrel.example/blog/a/";
        let author = "https://kestrel.example/authors/dana/";
        let reviewer = "https://kestrel.example/authors/marcus/";
        let same_as = vec!["https://example.org/dana".to_owned(), NASTY.to_owned()];
        let page = WebPage {
            kind: "WebPage",
            url: url.to_owned(),
            name: NASTY.to_owned(),
            description: "About <b>backs</b>.".to_owned(),
            review: Some((reviewer.to_owned(), "2026-01-02".to_owned())),
            main_entity: Some(author.to_owned()),
        };
        let trail = [
            ("Home", "https://kestrel.example/".to_owned()),
            ("Blog & more", "https://kestrel.example/blog/".to_owned()),
            (NASTY, url.to_owned()),
        ];
        let mut graph = Graph::new(page, &trail);
        graph.blog_posting(
            &config,
            &PostData {
                url,
                headline: NASTY,
                description: "About <b>backs</b>.",
                published: "2026-01-01T00:00:00Z",
                modified: "2026-01-03T00:00:00Z",
                image: Some("https://kestrel.example/a.jpg"),
                author_url: Some(author),
                keywords: &["neck", "back & shoulders", NASTY],
                word_count: 1234,
            },
        );
        graph.person(
            &config,
            &PersonData {
                url: author.to_owned(),
                name: "Dana <Reyes>",
                job_title: "Therapist",
                credentials: " LMT, , CNMT \"x\" ",
                bio: NASTY,
                image: Some("https://kestrel.example/dana.jpg".to_owned()),
                same_as: &same_as,
            },
        );
        let expected = reference(vec![
            website(&config),
            clinic(&config, None),
            json!({
                "@type": "WebPage", "@id": format!("{url}#webpage"), "url": url, "name": NASTY,
                "description": "About <b>backs</b>.", "inLanguage": "en-GB",
                "isPartOf": { "@id": "https://kestrel.example/#website" },
                "breadcrumb": { "@id": format!("{url}#breadcrumb") },
                "reviewedBy": { "@id": format!("{reviewer}#person") },
                "lastReviewed": "2026-01-02",
                "mainEntity": { "@id": format!("{author}#person") },
            }),
            json!({
                "@type": "BreadcrumbList", "@id": format!("{url}#breadcrumb"),
                "itemListElement": [
                    { "@type": "ListItem", "position": 1, "name": "Home", "item": "https://kestrel.example/" },
                    { "@type": "ListItem", "position": 2, "name": "Blog & more", "item": "https://kestrel.example/blog/" },
                    { "@type": "ListItem", "position": 3, "name": NASTY, "item": url },
                ],
            }),
            json!({
                "@type": "BlogPosting", "@id": format!("{url}#article"), "headline": NASTY,
                "description": "About <b>backs</b>.",
                "datePublished": "2026-01-01T00:00:00Z", "dateModified": "2026-01-03T00:00:00Z",
                "image": "https://kestrel.example/a.jpg",
                "author": { "@id": format!("{author}#person") },
                "publisher": { "@id": "https://kestrel.example/#clinic" },
                "mainEntityOfPage": { "@id": format!("{url}#webpage") },
                "inLanguage": "en-GB",
                "keywords": format!("neck, back & shoulders, {NASTY}"),
                "wordCount": 1234,
            }),
            json!({
                "@type": "Person", "@id": format!("{author}#person"), "name": "Dana <Reyes>",
                "url": author, "jobTitle": "Therapist", "description": NASTY,
                "hasCredential": [
                    { "@type": "EducationalOccupationalCredential", "credentialCategory": "license", "name": "LMT" },
                    { "@type": "EducationalOccupationalCredential", "credentialCategory": "license", "name": "CNMT \"x\"" },
                ],
                "image": "https://kestrel.example/dana.jpg",
                "sameAs": same_as,
                "worksFor": { "@id": "https://kestrel.example/#clinic" },
            }),
        ]);
        assert_eq!(graph.document(&config, &shared), expected);
    }

    #[test]
    fn a_graph_leaves_out_what_is_missing() {
        let config = config();
        let url = "https://kestrel.example/tags/";
        let page = WebPage {
            kind: "CollectionPage",
            url: url.to_owned(),
            name: "Topics".to_owned(),
            description: "  ".to_owned(),
            review: None,
            main_entity: None,
        };
        let mut graph = Graph::new(page, &[("Home", "https://kestrel.example/".to_owned())]);
        graph.blog_posting(
            &config,
            &PostData {
                url,
                headline: "Untagged",
                description: "",
                published: "2026-01-01T00:00:00Z",
                modified: "2026-01-01T00:00:00Z",
                image: None,
                author_url: None,
                keywords: &[],
                word_count: 0,
            },
        );
        graph.person(
            &config,
            &PersonData {
                url: url.to_owned(),
                name: "Sam",
                job_title: " ",
                credentials: " , ",
                bio: "",
                image: None,
                same_as: &[],
            },
        );
        let expected = reference(vec![
            json!({
                "@type": "CollectionPage", "@id": format!("{url}#webpage"), "url": url,
                "name": "Topics", "inLanguage": "en-GB",
                "isPartOf": { "@id": "https://kestrel.example/#website" },
                "breadcrumb": { "@id": format!("{url}#breadcrumb") },
            }),
            json!({
                "@type": "BreadcrumbList", "@id": format!("{url}#breadcrumb"),
                "itemListElement": [
                    { "@type": "ListItem", "position": 1, "name": "Home", "item": "https://kestrel.example/" },
                ],
            }),
            json!({
                "@type": "BlogPosting", "@id": format!("{url}#article"), "headline": "Untagged",
                "datePublished": "2026-01-01T00:00:00Z", "dateModified": "2026-01-01T00:00:00Z",
                "publisher": { "@id": "https://kestrel.example/#clinic" },
                "mainEntityOfPage": { "@id": format!("{url}#webpage") },
                "inLanguage": "en-GB",
                "wordCount": 0,
            }),
            json!({
                "@type": "Person", "@id": format!("{url}#person"), "name": "Sam", "url": url,
                "worksFor": { "@id": "https://kestrel.example/#clinic" },
            }),
        ]);
        assert_eq!(graph.document(&config, ""), expected);
    }

    #[test]
    fn json_ld_cannot_close_its_script_element() {
        let config = config();
        let name = "</script><script>alert(1)</script> & <!--";
        let page = WebPage {
            kind: "WebPage",
            url: "https://kestrel.example/".to_owned(),
            name: name.to_owned(),
            ..WebPage::default()
        };
        let shared = shared_nodes(&[website(&config)]);
        let text = Graph::new(page, &[(name, "https://kestrel.example/".to_owned())])
            .document(&config, &shared);
        assert!(!text.contains("</script"));
        assert!(!text.contains("<!--"));
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["@graph"][0]["name"], "Kestrel <Massage> & \"Co\"");
        assert_eq!(parsed["@graph"][1]["name"], name);
        assert_eq!(parsed["@graph"][2]["itemListElement"][0]["name"], name);
    }
}
