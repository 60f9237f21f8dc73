//! A small reader for the HTML knead itself generates: the addresses in `href`, `src` and
//! `srcset`, the ids a fragment can point at, and the `<title>`.
//!
//! It is not a full HTML parser and need not be: it reads tags and attributes, skips comments
//! and the insides of `<script>` and `<style>` (structured data holds addresses that are not
//! links), and decodes character references in attribute values.

/// What an HTML page links to and what it offers to be linked at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Every address, as written (references decoded), with the tag and attribute it was in.
    pub(crate) links: Vec<HtmlLink>,
    /// Every `id` (and `name` of `<a>`).
    pub(crate) ids: Vec<String>,
    /// The text of `<title>`, when there is one.
    pub(crate) title: Option<String>,
}

/// One address in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HtmlLink {
    /// The element, lowercase: `a`, `img`, `link`...
    pub(crate) tag: String,
    /// The address.
    pub(crate) url: String,
}

impl HtmlLink {
    /// Whether the address is an image's.
    pub(crate) fn is_image(&self) -> bool {
        matches!(self.tag.as_str(), "img" | "source" | "meta")
    }
}

/// Reads `html`.
pub(crate) fn scan(html: &str) -> Scan {
    let mut scan = Scan::default();
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(lt) = html[i..].find('<') {
        i += lt;
        let rest = &html[i..];
        if rest.starts_with("<!--") {
            i += rest.find("-->").map_or(rest.len(), |e| e + 3);
            continue;
        }
        let Some(&next) = bytes.get(i + 1) else { break };
        if !next.is_ascii_alphabetic() {
            // `</x>`, `<!doctype>`, `<?x?>` or a stray `<`.
            i += 1;
            continue;
        }
        let (tag, end) = read_tag(html, i + 1);
        i = end;
        match tag.name.as_str() {
            "script" | "style" | "textarea" | "title" => {
                let close = format!("</{}", tag.name);
                let inner_end = find_ci(&html[i..], &close).map_or(html.len(), |e| i + e);
                if tag.name == "title" {
                    scan.title = Some(decode(&html[i..inner_end]).trim().to_owned());
                }
                i = inner_end;
            }
            _ => {}
        }
        collect(&tag, &mut scan);
    }
    scan
}

struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn collect(tag: &Tag, scan: &mut Scan) {
    for (name, value) in &tag.attrs {
        let url = match name.as_str() {
            "id" => {
                scan.ids.push(value.clone());
                continue;
            }
            "name" if tag.name == "a" => {
                scan.ids.push(value.clone());
                continue;
            }
            "href" if matches!(tag.name.as_str(), "a" | "area" | "link") => value.clone(),
            "src" if matches!(tag.name.as_str(), "img" | "source" | "script" | "iframe") => {
                value.clone()
            }
            "srcset" => {
                for candidate in value.split(',') {
                    if let Some(url) = candidate.split_whitespace().next() {
                        scan.links.push(HtmlLink {
                            tag: tag.name.clone(),
                            url: url.to_owned(),
                        });
                    }
                }
                continue;
            }
            "content"
                if tag.name == "meta"
                    && matches!(
                        tag.attr("property").or(tag.attr("name")),
                        Some("og:image" | "twitter:image")
                    ) =>
            {
                value.clone()
            }
            _ => continue,
        };
        // A stylesheet link's rel decides nothing here: every `link` target must exist.
        let url = url.trim().to_owned();
        if !url.is_empty() {
            scan.links.push(HtmlLink {
                tag: tag.name.clone(),
                url,
            });
        }
    }
}

/// Reads a start tag whose name begins at `start`; returns it and the offset after its `>`.
fn read_tag(html: &str, start: usize) -> (Tag, usize) {
    let bytes = html.as_bytes();
    let mut i = start;
    while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'>' && bytes[i] != b'/' {
        i += 1;
    }
    let name = html[start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    loop {
        while i < bytes.len() && (is_space(bytes[i]) || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        if bytes[i] == b'>' {
            i += 1;
            break;
        }
        let name_start = i;
        while i < bytes.len() && !is_space(bytes[i]) && !matches!(bytes[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let attr = html[name_start..i].to_ascii_lowercase();
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && is_space(bytes[i]) {
                i += 1;
            }
            match bytes.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let end = html[i + 1..]
                        .find(q as char)
                        .map_or(html.len(), |e| i + 1 + e);
                    value = decode(&html[i + 1..end]);
                    i = (end + 1).min(html.len());
                }
                _ => {
                    let value_start = i;
                    while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'>' {
                        i += 1;
                    }
                    value = decode(&html[value_start..i]);
                }
            }
        }
        if !attr.is_empty() {
            attrs.push((attr, value));
        }
    }
    (Tag { name, attrs }, i)
}

fn is_space(b: u8) -> bool {
    b.is_ascii_whitespace()
}

/// The offset of `needle` (ASCII) in `haystack`, ignoring ASCII case.
fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    (0..h.len().saturating_sub(n.len()) + 1)
        .find(|&i| h.len() >= i + n.len() && h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Decodes character references: `&amp;`, `&#39;`, `&#x27;` and the few named ones knead
/// writes. Unknown references stay as they are.
pub(crate) fn decode(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.bytes().take(12).position(|b| b == b';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..semi];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_links_ids_and_title() {
        let html = "<!doctype html><html><head><title>A &amp; B</title>\
            <link rel=stylesheet href=\"/style.css\">\
            <script type=\"application/ld+json\">{\"url\":\"<a href='/nope/'>\"}</script>\
            <meta property=\"og:image\" content=\"https://x.example/a.jpg\"></head>\
            <body><!-- <a href=\"/hidden/\"> --><h2 id='tips'>T</h2>\
            <a href=\"/a/?x=1&amp;y=2#tips\">a</a><img src=b.png alt=\"\">\
            <img srcset=\"c.png 1x, d.png 2x\"><a name=top></a></body></html>";
        let scan = scan(html);
        let urls: Vec<&str> = scan.links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "/style.css",
                "https://x.example/a.jpg",
                "/a/?x=1&y=2#tips",
                "b.png",
                "c.png",
                "d.png"
            ]
        );
        assert_eq!(scan.ids, ["tips", "top"]);
        assert_eq!(scan.title.as_deref(), Some("A & B"));
    }

    #[test]
    fn never_panics_on_broken_html() {
        for html in [
            "<",
            "<a",
            "<a href=",
            "<a href=\"x",
            "<title>x",
            "&#xffffffff;",
            "<é>",
        ] {
            let _ = scan(html);
        }
        assert_eq!(decode("a &amp b &#233; &bogus;"), "a &amp b é &bogus;");
    }
}
