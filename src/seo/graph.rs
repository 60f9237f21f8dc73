//! Each page's own structured data, written straight as JSON text: the quick way.
//!
//! Every page has a graph (WebPage, BreadcrumbList, and BlogPosting or Person where they
//! apply), and building it as `serde_json` values first was a tenth of a build's instructions.
//! [`Graph`] writes the same text: each node's keys in byte order, as `serde_json` orders them,
//! escaped as `serde_json` and then `script_safe` would escape it. The plain way, `serde_json`
//! values, stays in the tests below as the oracle every graph is compared with.

use super::{CLINIC_ID, PERSON_ID, PersonData, PostData, WEBSITE_ID, WebPage, script_escape};
use crate::config::Config;

/// One output's structured data: its WebPage, then its other nodes, written after the nodes
/// every page shares ([`super::shared_nodes`]).
///
/// Its nodes are written straight as JSON text, not built as `serde_json` values first: every
/// page has a graph. Each node's keys are written in byte order, as `serde_json` orders
/// them, and the text is escaped as `serde_json` and then [`super::script_safe`] would escape it.
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

    /// The JSON-LD document: `shared` (from [`super::shared_nodes`]), the WebPage and the other
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
/// control characters) and made safe inside `<script>` (as [`super::script_safe`] makes it).
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::seo::{clinic, script_safe, shared_nodes, website};

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
        let shared = shared_nodes(&[website(&config), clinic(&config, None, None)]);
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
            clinic(&config, None, None),
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
