//! What search engines read: meta descriptions and structured data (JSON-LD).
//!
//! Structured data is built here, in Rust, from typed values and serialised with serde_json, not
//! assembled by string concatenation in templates: every value is escaped for JSON, and the
//! result is made safe to sit inside `<script>` (a `</script>` in a title cannot end the block).

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
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= META_DESCRIPTION_LEN {
        return text;
    }
    let cut: String = text.chars().take(META_DESCRIPTION_LEN).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > META_DESCRIPTION_LEN / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!(
        "{}…",
        cut.trim_end_matches([',', ';', ':', '.', ' ', '-', '–'])
    )
}

/// A JSON-LD document with one `@graph`, as text safe to place between `<script>` tags.
pub fn json_ld(graph: Vec<Value>) -> String {
    let document = json!({ "@context": "https://schema.org", "@graph": graph });
    script_safe(&document.to_string())
}

/// Nodes serialised once for every page's graph (the WebSite and the clinic): the text
/// [`json_ld_with`] puts first in the graph.
pub fn shared_nodes(nodes: &[Value]) -> String {
    let texts: Vec<String> = nodes.iter().map(|n| script_safe(&n.to_string())).collect();
    texts.join(",")
}

/// The same text as [`json_ld`] of the shared nodes followed by `graph`, without serialising
/// the shared nodes again for each page.
pub fn json_ld_with(shared: &str, graph: &[Value]) -> String {
    let mut out = String::with_capacity(shared.len() + 2048);
    out.push_str(r#"{"@context":"https://schema.org","@graph":["#);
    out.push_str(shared);
    // Written as bytes (quicker than through `Display`), into one buffer for every node.
    let mut json = Vec::with_capacity(1024);
    for (i, node) in graph.iter().enumerate() {
        if i > 0 || !shared.is_empty() {
            out.push(',');
        }
        json.clear();
        // Writing a JSON value into memory cannot fail, and JSON text is UTF-8.
        let _ = serde_json::to_writer(&mut json, node);
        push_script_safe(&mut out, &String::from_utf8_lossy(&json));
    }
    out.push_str("]}");
    out
}

/// Escapes `<`, `>` and `&` as JSON unicode escapes, which mean the same to a JSON parser but
/// cannot close a `<script>` element or start an HTML comment; also U+2028 and U+2029, which
/// old JavaScript parsers take for line ends.
fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    push_script_safe(&mut out, json);
    out
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
    for (i, &b) in bytes.iter().enumerate() {
        let (escape, width) = match b {
            b'<' => ("\\u003c", 1),
            b'>' => ("\\u003e", 1),
            b'&' => ("\\u0026", 1),
            // U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8.
            0xE2 if bytes.get(i + 1) == Some(&0x80) && bytes.get(i + 2) == Some(&0xA8) => {
                ("\\u2028", 3)
            }
            0xE2 if bytes.get(i + 1) == Some(&0x80) && bytes.get(i + 2) == Some(&0xA9) => {
                ("\\u2029", 3)
            }
            _ => continue,
        };
        out.push_str(&json[start..i]);
        out.push_str(escape);
        start = i + width;
    }
    out.push_str(&json[start..]);
}

/// The `@id` of the site's WebSite node.
pub fn website_id(config: &Config) -> String {
    format!("{}/#website", config.base_url)
}

/// The `@id` of the clinic's node.
pub fn clinic_id(config: &Config) -> String {
    format!("{}/#clinic", config.base_url)
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

/// A Person node, with credentials as `hasCredential`.
pub fn person(config: &Config, person: &PersonData<'_>) -> Value {
    let mut node = Map::new();
    node.insert("@type".into(), "Person".into());
    node.insert("@id".into(), format!("{}#person", person.url).into());
    node.insert("name".into(), person.name.into());
    node.insert("url".into(), person.url.clone().into());
    insert_nonempty(&mut node, "jobTitle", person.job_title);
    insert_nonempty(&mut node, "description", person.bio);
    let credentials: Vec<Value> = person
        .credentials
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            json!({
                "@type": "EducationalOccupationalCredential",
                "credentialCategory": "license",
                "name": c,
            })
        })
        .collect();
    if !credentials.is_empty() {
        node.insert("hasCredential".into(), credentials.into());
    }
    if let Some(image) = &person.image {
        node.insert("image".into(), image.as_str().into());
    }
    if !person.same_as.is_empty() {
        node.insert("sameAs".into(), person.same_as.to_vec().into());
    }
    node.insert("worksFor".into(), json!({ "@id": clinic_id(config) }));
    Value::Object(node)
}

/// The `@id` of a Person node, from their page's address.
pub fn person_id(url: &str) -> String {
    format!("{url}#person")
}

/// A WebPage node for the output at `url`.
pub fn web_page(config: &Config, url: &str, name: &str, description: &str, kind: &str) -> Value {
    let mut node = Map::new();
    node.insert("@type".into(), kind.into());
    node.insert("@id".into(), format!("{url}#webpage").into());
    node.insert("url".into(), url.into());
    node.insert("name".into(), name.into());
    insert_nonempty(&mut node, "description", description);
    node.insert("inLanguage".into(), config.language.as_str().into());
    node.insert("isPartOf".into(), json!({ "@id": website_id(config) }));
    node.insert(
        "breadcrumb".into(),
        json!({ "@id": format!("{url}#breadcrumb") }),
    );
    Value::Object(node)
}

/// A BreadcrumbList from `(name, absolute url)` pairs, home first.
pub fn breadcrumbs(url: &str, trail: &[(&str, String)]) -> Value {
    let items: Vec<Value> = trail
        .iter()
        .enumerate()
        .map(|(i, (name, item))| {
            json!({ "@type": "ListItem", "position": i + 1, "name": name, "item": item })
        })
        .collect();
    json!({
        "@type": "BreadcrumbList",
        "@id": format!("{url}#breadcrumb"),
        "itemListElement": items,
    })
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
    pub published: String,
    /// RFC 3339: the update date, or the publication date.
    pub modified: String,
    /// Absolute image address, if any.
    pub image: Option<String>,
    /// The author's page address, if the post has an author.
    pub author_url: Option<String>,
    /// The reviewer's page address, if reviewed.
    pub reviewer_url: Option<String>,
    /// RFC 3339 of the last review.
    pub last_reviewed: Option<String>,
    /// Tag names.
    pub keywords: Vec<&'a str>,
    /// Words in the body.
    pub word_count: usize,
}

/// A BlogPosting node.
pub fn blog_posting(config: &Config, post: &PostData<'_>) -> Value {
    let mut node = Map::new();
    node.insert("@type".into(), "BlogPosting".into());
    node.insert("@id".into(), format!("{}#article", post.url).into());
    node.insert("headline".into(), post.headline.into());
    insert_nonempty(&mut node, "description", post.description);
    node.insert("datePublished".into(), post.published.clone().into());
    node.insert("dateModified".into(), post.modified.clone().into());
    if let Some(image) = &post.image {
        node.insert("image".into(), image.as_str().into());
    }
    if let Some(author) = &post.author_url {
        node.insert("author".into(), json!({ "@id": person_id(author) }));
    }
    node.insert("publisher".into(), json!({ "@id": clinic_id(config) }));
    node.insert(
        "mainEntityOfPage".into(),
        json!({ "@id": format!("{}#webpage", post.url) }),
    );
    node.insert("inLanguage".into(), config.language.as_str().into());
    if !post.keywords.is_empty() {
        node.insert("keywords".into(), post.keywords.join(", ").into());
    }
    node.insert("wordCount".into(), post.word_count.into());
    Value::Object(node)
}

/// Adds the reviewer and review date to a page's WebPage node, where schema.org puts them.
pub fn add_review(web_page: &mut Value, reviewer_url: &str, last_reviewed: &str) {
    if let Value::Object(node) = web_page {
        node.insert(
            "reviewedBy".into(),
            json!({ "@id": person_id(reviewer_url) }),
        );
        node.insert("lastReviewed".into(), last_reviewed.into());
    }
}

fn insert_nonempty(node: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.trim().is_empty() {
        node.insert(key.into(), value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn shared_nodes_give_the_same_text_as_one_graph() {
        let website = json!({ "@type": "WebSite", "name": "Kestrel </script> & Co" });
        let clinic = json!({ "@type": "MassageTherapist", "telephone": "+14065550123" });
        let page = json!({ "@type": "WebPage", "name": "A < B" });
        let crumbs = json!({ "@type": "BreadcrumbList" });
        let shared = shared_nodes(&[website.clone(), clinic.clone()]);
        assert_eq!(
            json_ld_with(&shared, &[page.clone(), crumbs.clone()]),
            json_ld(vec![website.clone(), clinic, page.clone(), crumbs])
        );
        assert_eq!(
            json_ld_with("", std::slice::from_ref(&page)),
            json_ld(vec![page.clone()])
        );
        assert_eq!(
            json_ld_with(&shared_nodes(std::slice::from_ref(&website)), &[]),
            json_ld(vec![website])
        );
    }

    #[test]
    fn json_ld_cannot_close_its_script_element() {
        let text = json_ld(vec![
            json!({ "name": "</script><script>alert(1)</script> & <!--" }),
        ]);
        assert!(!text.contains("</script"));
        assert!(!text.contains("<!--"));
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parsed["@graph"][0]["name"],
            "</script><script>alert(1)</script> & <!--"
        );
    }
}
