//! Promise 4: every value from front matter and site.toml is escaped for where it lands.
//!
//! One site puts the same hostile text in every setting that reaches a page: titles,
//! descriptions, tags, alt text, image and booking addresses, menu entries, the clinic's and the
//! authors' details, the disclaimer. Then every output is checked in its own language:
//! - HTML, outside `<script>`: the text between the markers never has a raw `<`, `>`, `"` or
//!   `'`, so it can neither open a tag nor leave a quoted attribute, in text or attributes;
//! - JSON-LD: the block ends at the first `</script` as a browser would end it, parses as JSON,
//!   and gives the hostile text back unchanged;
//! - the feeds and the sitemap parse as XML and give the text back unchanged;
//! - `search-index.json` parses and gives it back unchanged.

use std::collections::BTreeSet;

use crate::support::{Run, Site, list_files, md, xml};

/// Starts with `Xq` and ends with `qX`, so every place it lands can be found; in between, every
/// character that matters to HTML, JSON, XML or a browser's script parser.
const HOSTILE: &str = "Xq\"'<b>&amp;</script><!--<![CDATA[]]>\\u003c\u{2028}qX";

/// A TOML string holding `text`.
fn toml(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// A site with [`HOSTILE`] in every value that reaches a page.
fn hostile_site() -> Site {
    let h = toml(HOSTILE);
    let site_toml = format!(
        "title = {h}\nbase_url = \"https://clinic.example\"\ndescription = {h}\n\
         disclaimer = {h}\n\
         [[menu]]\nname = {h}\nurl = {url}\n\
         [[menu]]\nname = \"Blog\"\nurl = \"/blog/\"\n\
         [clinic]\nname = {h}\nstreet = {h}\ncity = {h}\nregion = {h}\npostal_code = {h}\n\
         country = \"US\"\nphone = \"(406) 555-0142\"\nemail = {email}\nbooking_url = {url}\n\
         price_range = {h}\narea_served = [{h}]\nimage = {image}\n\
         latitude = 45.7\nlongitude = -108.5\n\
         [authors.dana]\nname = {h}\ncredentials = {h}\njob_title = {h}\nbio = {h}\n\
         photo = {image}\n",
        url = toml(&format!("https://book.example/?who={HOSTILE}")),
        // A full address: a path would have to be a file of the site (a missing one stops
        // the build), and no file can be named so.
        image = toml(&format!("https://img.example/site/{HOSTILE}.jpg")),
        // An email address has no spaces (knead checks that it is one); the rest is hostile.
        email = toml(&format!(
            "{}@clinic.example",
            HOSTILE.replace(char::is_whitespace, "")
        )),
    );
    let front = format!(
        "title = {h}\ndate = 2025-01-01\ndescription = {h}\ntags = [{h}, \"Neck\"]\n\
         author = \"dana\"\nreviewed_by = \"dana\"\nlast_reviewed = 2025-02-01\n\
         image = {image}\nimage_alt = {h}\nsources = [{h}]\nmedical = true\n\
         aliases = [\"/old/post/\"]\n[extra]\nnote = {h}",
        // Another site's: a build stops on a missing image of its own (the clinic's image above
        // keeps a local hostile path, which the build does not look for).
        image = toml(&format!("https://img.example/{HOSTILE}.jpg")),
    );
    Site::new()
        .file("site.toml", site_toml)
        .file(
            "content/blog/_index.md",
            md(&format!("title = {h}\ndescription = {h}"), "Intro.\n"),
        )
        .file("content/blog/post.md", md(&front, "Plain body.\n"))
        .file(
            "content/blog/other.md",
            md(
                "title = \"Other\"\ndate = 2025-01-02\ntags = [\"Neck\"]",
                "Text.\n",
            ),
        )
        .file("content/about.md", md(&format!("title = {h}"), "About.\n"))
}

fn built() -> Run {
    hostile_site().build().success()
}

/// The `<script type="application/ld+json">` blocks of a page, each ended where a browser would
/// end it: at the first `</script`, in any case.
fn json_ld_blocks(html: &str) -> Vec<&str> {
    const OPEN: &str = "<script type=\"application/ld+json\">";
    let lower = html.to_ascii_lowercase();
    let mut blocks = Vec::new();
    let mut from = 0;
    while let Some(start) = html[from..].find(OPEN).map(|i| from + i + OPEN.len()) {
        let end = lower[start..]
            .find("</script")
            .map_or(html.len(), |i| start + i);
        blocks.push(&html[start..end]);
        from = end;
    }
    blocks
}

/// Every string inside a JSON value.
fn strings(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => into.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, into)),
        serde_json::Value::Object(map) => map.values().for_each(|v| strings(v, into)),
        _ => {}
    }
}

/// `text` with every run of white space made one space.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks one HTML page; returns how many times the hostile text landed outside scripts.
#[track_caller]
fn check_html(file: &str, html: &str) -> usize {
    let mut outside = 0;
    let mut rest = html;
    // Outside the JSON-LD blocks, each landing must be escaped for HTML.
    let mut cut = String::new();
    for block in json_ld_blocks(html) {
        let at = rest.find(block).expect("the block is in the page");
        cut.push_str(&rest[..at]);
        rest = &rest[at + block.len()..];
    }
    cut.push_str(rest);
    let mut from = 0;
    while let Some(start) = cut[from..].find("Xq").map(|i| from + i) {
        let end = cut[start..]
            .find("qX")
            .map(|i| start + i)
            .unwrap_or_else(|| panic!("{file}: the hostile text was cut short at {start}"));
        let landed = &cut[start..end];
        assert!(
            !landed.contains(['<', '>', '"', '\'']),
            "{file}: not escaped for HTML: {landed:?}\n{}",
            &cut[start.saturating_sub(120)..(end + 20).min(cut.len())]
        );
        outside += 1;
        from = end;
    }
    for block in json_ld_blocks(html) {
        let value: serde_json::Value = serde_json::from_str(block)
            .unwrap_or_else(|e| panic!("{file}: the JSON-LD does not parse ({e}):\n{block}"));
        let mut all = Vec::new();
        strings(&value, &mut all);
        // Descriptions are made from text with its white space joined: that is not escaping.
        let hostile = words(HOSTILE);
        let email = format!(
            "{}@clinic.example",
            HOSTILE.replace(char::is_whitespace, "")
        );
        for s in all.iter().filter(|s| s.contains("Xq")) {
            assert!(
                words(s).contains(&hostile) || **s == email,
                "{file}: JSON-LD changed the text: {s:?}"
            );
        }
    }
    outside
}

#[test]
fn every_html_page_escapes_every_value() {
    let run = built();
    let mut pages = 0;
    let mut landings = 0;
    for file in run.files().iter().filter(|f| f.ends_with(".html")) {
        pages += 1;
        landings += check_html(file, &run.read(file));
    }
    assert!(pages > 8, "{:?}", run.files());
    // Dozens of landings: this test would mean little if the text landed nowhere.
    assert!(landings > 50, "only {landings} landings");
}

/// A `</script>` in a title cannot end the JSON-LD block, and the structured data gives the
/// title, the clinic and the author back exactly as written.
#[test]
fn json_ld_survives_a_closing_script_tag_and_round_trips() {
    let run = built();
    let html = run.read("blog/post/index.html");
    let blocks = json_ld_blocks(&html);
    assert_eq!(blocks.len(), 1, "{html}");
    let value: serde_json::Value = serde_json::from_str(blocks[0]).unwrap_or_else(|e| {
        panic!(
            "the JSON-LD ends early or does not parse ({e}):\n{}",
            blocks[0]
        )
    });
    let mut all = Vec::new();
    strings(&value, &mut all);
    let exact: BTreeSet<&str> = all
        .iter()
        .map(String::as_str)
        .filter(|s| *s == HOSTILE)
        .collect();
    assert!(
        !exact.is_empty(),
        "the title is not in the JSON-LD: {value}"
    );
    let graph = value["@graph"].as_array().expect("a @graph");
    let article = graph
        .iter()
        .find(|node| node["@type"] == "BlogPosting")
        .expect("the post's node");
    assert_eq!(article["headline"], HOSTILE);
    let clinic = graph
        .iter()
        .find(|node| node["@id"] == "https://clinic.example/#clinic")
        .expect("the clinic's node");
    assert_eq!(clinic["name"], HOSTILE);
}

#[test]
fn feeds_and_the_sitemap_parse_and_round_trip() {
    let run = built();
    let xml_files: Vec<String> = run
        .files()
        .into_iter()
        .filter(|f| f.ends_with(".xml"))
        .collect();
    assert!(xml_files.len() >= 3, "{xml_files:?}");
    for file in &xml_files {
        let text = run.read(file);
        xml::parse(&text).unwrap_or_else(|e| panic!("{file} is not XML: {e}\n{text}"));
    }
    let feed = xml::parse(&run.read("atom.xml")).unwrap();
    assert_eq!(feed.child("title").text, HOSTILE);
    let entry = feed
        .all("entry")
        .find(|e| e.child("title").text != "Other")
        .expect("the post's entry");
    assert_eq!(entry.child("title").text, HOSTILE);
    assert_eq!(entry.child("summary").text, HOSTILE);
    assert!(
        entry
            .all("category")
            .any(|c| c.attr("label") == Some(HOSTILE)),
        "{entry:?}"
    );
    let tag_feed = run
        .files()
        .into_iter()
        .find(|f| f.starts_with("tags/xq") && f.ends_with("atom.xml"))
        .expect("the hostile tag's feed");
    let tag_feed = xml::parse(&run.read(&tag_feed)).unwrap();
    assert!(
        tag_feed.child("title").text.contains(HOSTILE),
        "{tag_feed:?}"
    );
}

#[test]
fn the_search_index_parses_and_round_trips() {
    let run = built();
    let index: serde_json::Value = serde_json::from_str(&run.read("search-index.json")).unwrap();
    let mut all = Vec::new();
    strings(&index, &mut all);
    assert!(all.iter().any(|s| s == HOSTILE), "{index}");
}

/// No value made a file or folder of its own: every output path is made of slugs and the
/// theme's names, so nothing in site.toml or front matter chose a path.
#[test]
fn hostile_values_choose_no_output_path() {
    let run = built();
    for file in list_files(run.out()) {
        assert!(
            file.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c)),
            "{file}"
        );
    }
}

/// The checks above can fail: a raw value in a page, or a `</script>` that ends the JSON-LD early.
#[test]
#[should_panic(expected = "not escaped for HTML")]
fn the_html_check_catches_a_raw_value() {
    check_html(
        "page.html",
        "<p title=\"Xq\" onmouseover=alert(1) qX\">x</p>",
    );
}

#[test]
#[should_panic(expected = "the JSON-LD does not parse")]
fn the_json_ld_check_catches_an_early_end() {
    check_html(
        "page.html",
        "<script type=\"application/ld+json\">{\"name\":\"Xq</script><script>alert(1)</script>qX\"}</script>",
    );
}
