//! A small XML well-formedness check, enough for the feed and the sitemap: one root element,
//! balanced and properly nested tags, quoted attributes without `<` or duplicate names, and only
//! the five predefined entities or character references. A real parser (roxmltree) would be
//! better; it is not a dev-dependency yet.

/// An element as the check saw it, for tests that look inside the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    /// The tag name, with its prefix if any.
    pub(crate) name: String,
    /// Attributes, unescaped.
    pub(crate) attrs: Vec<(String, String)>,
    /// The text directly inside, unescaped.
    pub(crate) text: String,
    /// The child elements.
    pub(crate) children: Vec<Element>,
}

impl Element {
    /// The attribute `name`, if present.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The children named `name`.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first child named `name`.
    #[track_caller]
    pub(crate) fn child(&self, name: &str) -> &Element {
        self.children
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("<{}> has no <{name}>", self.name))
    }
}

/// Parses `text`, returning the root element or why it is not well-formed.
pub(crate) fn parse(text: &str) -> Result<Element, String> {
    let mut p = Parser { s: text, i: 0 };
    p.prolog()?;
    let root = p.element()?;
    p.misc()?;
    if p.i != p.s.len() {
        return Err(p.error("content after the root element"));
    }
    Ok(root)
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.s[self.i..]
    }

    fn error(&self, what: &str) -> String {
        let line = self.s[..self.i].matches('\n').count() + 1;
        let near: String = self.rest().chars().take(40).collect();
        format!("line {line}: {what}, near {near:?}")
    }

    fn skip_space(&mut self) {
        let trimmed = self.rest().trim_start_matches([' ', '\t', '\r', '\n']);
        self.i = self.s.len() - trimmed.len();
    }

    fn expect(&mut self, token: &str) -> Result<(), String> {
        if self.rest().starts_with(token) {
            self.i += token.len();
            Ok(())
        } else {
            Err(self.error(&format!("expected {token:?}")))
        }
    }

    fn skip_until(&mut self, end: &str) -> Result<(), String> {
        match self.rest().find(end) {
            Some(n) => {
                self.i += n + end.len();
                Ok(())
            }
            None => Err(self.error(&format!("unterminated, no {end:?}"))),
        }
    }

    fn prolog(&mut self) -> Result<(), String> {
        if self.rest().starts_with('\u{feff}') {
            self.i += '\u{feff}'.len_utf8();
        }
        if self.rest().starts_with("<?xml") {
            self.skip_until("?>")?;
        }
        self.misc()
    }

    fn misc(&mut self) -> Result<(), String> {
        loop {
            self.skip_space();
            if self.rest().starts_with("<!--") {
                self.skip_until("-->")?;
            } else if self.rest().starts_with("<?") {
                self.skip_until("?>")?;
            } else {
                return Ok(());
            }
        }
    }

    fn name(&mut self) -> Result<String, String> {
        let len = self
            .rest()
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, ':' | '_' | '-' | '.')))
            .unwrap_or(self.rest().len());
        let name = self.rest()[..len].to_owned();
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            return Err(self.error("expected a name"));
        }
        self.i += len;
        Ok(name)
    }

    fn element(&mut self) -> Result<Element, String> {
        self.expect("<")?;
        let name = self.name()?;
        let mut element = Element {
            name,
            attrs: Vec::new(),
            text: String::new(),
            children: Vec::new(),
        };
        loop {
            let before = self.i;
            self.skip_space();
            if self.rest().starts_with("/>") {
                self.i += 2;
                return Ok(element);
            }
            if self.rest().starts_with('>') {
                self.i += 1;
                break;
            }
            if self.i == before {
                return Err(self.error("expected a space before an attribute"));
            }
            let attr = self.name()?;
            self.skip_space();
            self.expect("=")?;
            self.skip_space();
            let quote = self
                .rest()
                .chars()
                .next()
                .filter(|c| matches!(c, '"' | '\''))
                .ok_or_else(|| self.error("attribute value without quotes"))?;
            self.i += 1;
            let end = self
                .rest()
                .find(quote)
                .ok_or_else(|| self.error("unterminated attribute value"))?;
            let raw = &self.rest()[..end];
            if raw.contains('<') {
                return Err(self.error("`<` in an attribute value"));
            }
            let value = unescape(raw).map_err(|e| self.error(&e))?;
            self.i += end + 1;
            if element.attrs.iter().any(|(n, _)| *n == attr) {
                return Err(self.error(&format!("duplicate attribute `{attr}`")));
            }
            element.attrs.push((attr, value));
        }
        loop {
            let len = self.rest().find('<').unwrap_or(self.rest().len());
            let raw = &self.rest()[..len];
            if raw.contains("]]>") {
                return Err(self.error("`]]>` in text"));
            }
            element
                .text
                .push_str(&unescape(raw).map_err(|e| self.error(&e))?);
            self.i += len;
            if self.rest().is_empty() {
                return Err(self.error(&format!("<{}> is never closed", element.name)));
            }
            if self.rest().starts_with("</") {
                self.i += 2;
                let closing = self.name()?;
                if closing != element.name {
                    return Err(self.error(&format!("</{closing}> closes <{}>", element.name)));
                }
                self.skip_space();
                self.expect(">")?;
                return Ok(element);
            } else if self.rest().starts_with("<!--") {
                self.skip_until("-->")?;
            } else if self.rest().starts_with("<![CDATA[") {
                let start = self.i + "<![CDATA[".len();
                self.skip_until("]]>")?;
                element.text.push_str(&self.s[start..self.i - 3]);
            } else if self.rest().starts_with("<?") {
                self.skip_until("?>")?;
            } else {
                let child = self.element()?;
                element.children.push(child);
            }
        }
    }
}

fn unescape(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after
            .find(';')
            .ok_or_else(|| format!("bare `&` in {raw:?}"))?;
        let entity = &after[..semi];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("unknown entity `&{entity};` (not XML)"))?
            }
        };
        out.push(c);
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[test]
fn the_check_itself_rejects_what_is_not_xml() {
    assert!(parse("<?xml version=\"1.0\"?>\n<a x=\"1\"><b/>t &amp; &#39;</a>\n").is_ok());
    for bad in [
        "<a><b></a></b>",
        "<a>fish & chips</a>",
        "<a>&rarr;</a>",
        "<a x=1/>",
        "<a x=\"<\"/>",
        "<a></a><b></b>",
        "<a>",
        "<a x=\"1\" x=\"2\"/>",
    ] {
        assert!(parse(bad).is_err(), "{bad:?} was accepted");
    }
    let root = parse("<r><e k=\"&lt;v&gt;\">A &amp; B</e></r>").unwrap();
    assert_eq!(root.child("e").attr("k"), Some("<v>"));
    assert_eq!(root.child("e").text, "A & B");
}
