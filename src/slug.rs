//! Slugs: the parts of an address made from titles, file names and tags.
//!
//! A slug is always one safe path segment: ASCII lowercase letters, digits and single hyphens,
//! never empty, never `.` or `..`, never longer than a file system allows. Accents are
//! transliterated ("Café" → "cafe"); emoji and punctuation are dropped.

/// The longest slug, in bytes: well under the 255-byte limit of a file name, leaving room for
/// suffixes such as `-2`.
pub const MAX_SLUG_LEN: usize = 120;

/// Makes a slug from any text. Returns an empty string when nothing usable is left (the text was
/// only emoji or punctuation); callers decide what to do then.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    let mut pending_hyphen = false;
    // ASCII a byte at a time (most titles are all ASCII); other characters whole.
    let mut at = 0;
    while let Some(&b) = text.as_bytes().get(at) {
        if slug.len() >= MAX_SLUG_LEN {
            break;
        }
        if b.is_ascii_alphanumeric() {
            push_char(
                &mut slug,
                &mut pending_hyphen,
                char::from(b.to_ascii_lowercase()),
            );
            at += 1;
        } else if b.is_ascii() {
            // Apostrophes join words ("Don't" → "dont"); everything else separates them.
            if b != b'\'' {
                pending_hyphen = true;
            }
            at += 1;
        } else {
            // `at` is always at the start of a character: ASCII bytes are whole characters.
            let Some(c) = text[at..].chars().next() else {
                break;
            };
            transliterate(c, &mut slug, &mut pending_hyphen);
            at += c.len_utf8();
        }
    }
    truncate(slug)
}

/// Whether `slug` is a name Windows reserves for a device (`con`, `prn`, `aux`, `nul`, `com0`–`com9`,
/// `lpt0`–`lpt9`): a folder of that name cannot be created or copied there, so a site using it
/// would build on one computer and fail on another. Such slugs are errors, not silently changed:
/// the address is the site's to choose.
pub fn is_reserved(slug: &str) -> bool {
    let lower = slug.to_ascii_lowercase();
    match lower.as_bytes() {
        b"con" | b"prn" | b"aux" | b"nul" => true,
        [b'c', b'o', b'm', digit] | [b'l', b'p', b't', digit] => digit.is_ascii_digit(),
        _ => false,
    }
}

/// Why a file or folder name cannot be published as it is, if it cannot: every system the site
/// may be built on, copied to or served from must be able to hold it (Windows forbids
/// `:<>"|*?\`, control characters, a final dot or space, and device names such as `con.txt`).
pub fn unportable_name(name: &str) -> Option<String> {
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Some(format!(
            "it contains a control character (U+{:04X})",
            u32::from(c)
        ));
    }
    if let Some(c) = name.chars().find(|c| ":<>\"|*?\\".contains(*c)) {
        return Some(format!("`{c}` is not allowed in file names on Windows"));
    }
    if name.ends_with(['.', ' ']) {
        return Some("Windows does not allow a name ending in a dot or a space".to_owned());
    }
    if is_reserved(name.split('.').next().unwrap_or(name)) {
        return Some("Windows reserves this name for a device".to_owned());
    }
    None
}

fn transliterate(c: char, slug: &mut String, pending_hyphen: &mut bool) {
    // Typographic apostrophes join words, like the ASCII one.
    if matches!(c, '\u{2019}' | '\u{2018}') {
        return;
    }
    // Only letters and digits are spelt out; deunicode would turn emoji and symbols into words.
    let ascii = match deunicode::deunicode_char(c) {
        Some(ascii) if c.is_alphanumeric() => ascii,
        _ => {
            *pending_hyphen = true;
            return;
        }
    };
    for a in ascii.chars() {
        if a.is_ascii_alphanumeric() {
            push_char(slug, pending_hyphen, a.to_ascii_lowercase());
        } else if a != '\'' {
            *pending_hyphen = true;
        }
    }
}

#[inline]
fn push_char(slug: &mut String, pending_hyphen: &mut bool, c: char) {
    if *pending_hyphen && !slug.is_empty() {
        slug.push('-');
    }
    *pending_hyphen = false;
    slug.push(c);
}

fn truncate(mut slug: String) -> String {
    if slug.len() > MAX_SLUG_LEN {
        let cut = slug[..MAX_SLUG_LEN].rfind('-').unwrap_or(MAX_SLUG_LEN);
        slug.truncate(cut);
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// A path as an address: every byte but letters, digits, `/` and `-._~` percent-encoded, so
/// that it can stand in a `srcset` (where a space or a comma would end it).
pub(crate) fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &byte in path.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes `%20` and the like; invalid sequences stay as written.
pub(crate) fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// An image or link target written in front matter or site.toml, as a root-relative address:
/// `stretch.jpg` beside a page becomes `/blog/bundle/stretch.jpg`; `/logo.png` is relative to
/// the site's root (`/clinic/logo.png` when base_url has a path); full addresses stay.
pub(crate) fn site_url(root: &str, page_path: &str, url: &str) -> String {
    if url.is_empty() || url.contains("://") || url.starts_with("data:") {
        url.to_owned()
    } else if let Some(rest) = url.strip_prefix('/') {
        format!("{root}{rest}")
    } else {
        format!("{root}{page_path}{url}")
    }
}
