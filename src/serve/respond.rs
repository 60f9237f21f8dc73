//! Answering requests: the outputs of the current snapshot, and nothing else.
//!
//! A request path maps to an output key only after it is decoded and checked segment by
//! segment: `..`, `.`, empty segments (`//etc/passwd`), encoded slashes, backslashes, NUL and
//! other control characters never match, and a path that matches no key gets the site's
//! `404.html`. Files copied from disk are read only when they are inside the site root once
//! links are followed.

use std::convert::Infallible;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Bytes;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use super::{Server, live};
use crate::render::{Output, Outputs};

/// The body of every response.
pub(super) type Body = BoxBody<Bytes, Infallible>;

/// The page for a path that is not part of the site.
const NOT_FOUND: &str = "404.html";

/// Answers one request.
pub(super) async fn respond<B>(server: &Arc<Server>, request: Request<B>) -> Response<Body> {
    let head = request.method() == Method::HEAD;
    if request.method() != Method::GET && !head {
        let mut response = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "Only GET and HEAD are served.\n",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let path = request.uri().path();
    if path == live::EVENTS_PATH {
        return events(server, head);
    }
    let snapshot = server.current();
    let build_id = server.build_id(&snapshot);
    let reply = if path == live::SCRIPT_PATH {
        Reply::ok("script.js", Bytes::from_static(live::SCRIPT.as_bytes()))
    } else if path.starts_with("/__knead/") {
        Reply::NotFound
    } else if let Some(outputs) = &snapshot.outputs {
        match resolve(path, outputs) {
            Resolved::Output(key) => match body_of(server, &outputs.0[&key]).await {
                Some(body) => Reply::ok(&key, body),
                None => Reply::NotFound,
            },
            Resolved::Redirect => {
                let query = request.uri().query().map(|q| format!("?{q}"));
                Reply::Redirect(format!("{path}/{}", query.unwrap_or_default()))
            }
            Resolved::NotFound => Reply::NotFound,
        }
    } else {
        let overlay = snapshot.error.as_deref().unwrap_or_default();
        Reply::Page {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            key: "error.html".to_owned(),
            body: Bytes::from(live::error_page(overlay, &build_id)),
        }
    };
    let reply = match reply {
        Reply::NotFound => not_found(server, snapshot.outputs.as_deref()).await,
        other => other,
    };
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    finish(reply, &build_id, if_none_match.as_ref(), head)
}

/// What a request gets, before the headers common to every response are added.
enum Reply {
    Page {
        status: StatusCode,
        /// The output key, whose extension gives the content type.
        key: String,
        body: Bytes,
    },
    Redirect(String),
    NotFound,
}

impl Reply {
    fn ok(key: &str, body: Bytes) -> Reply {
        Reply::Page {
            status: StatusCode::OK,
            key: key.to_owned(),
            body,
        }
    }
}

/// The site's 404 page with status 404, or a plain one when the site has none.
async fn not_found(server: &Server, outputs: Option<&Outputs>) -> Reply {
    let page = match outputs.and_then(|outputs| outputs.0.get(NOT_FOUND)) {
        Some(output) => body_of(server, output).await,
        None => None,
    };
    Reply::Page {
        status: StatusCode::NOT_FOUND,
        key: NOT_FOUND.to_owned(),
        body: page.unwrap_or_else(|| {
            Bytes::from_static(b"<!doctype html>\n<title>Not found</title>\n<p>Not found.</p>\n")
        }),
    }
}

fn finish(
    reply: Reply,
    build_id: &str,
    if_none_match: Option<&HeaderValue>,
    head: bool,
) -> Response<Body> {
    let (status, key, body) = match reply {
        Reply::Page { status, key, body } => (status, key, body),
        Reply::Redirect(location) => return redirect(&location),
        Reply::NotFound => {
            return plain(StatusCode::NOT_FOUND, "Not found.\n");
        }
    };
    let content_type = content_type(&key);
    let body = if content_type.starts_with("text/html") {
        Bytes::from(live::inject(&body, build_id))
    } else {
        body
    };
    let etag = etag(&body);
    let not_modified =
        status == StatusCode::OK && if_none_match.is_some_and(|value| etag_matches(value, &etag));
    let mut builder = Response::builder()
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::ETAG, &etag);
    if not_modified {
        builder = builder.status(StatusCode::NOT_MODIFIED);
        return builder
            .body(empty())
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "Bad response.\n"));
    }
    builder = builder
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, body.len());
    let body = if head { empty() } else { full(body) };
    builder
        .body(body)
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "Bad response.\n"))
}

fn events(server: &Arc<Server>, head: bool) -> Response<Body> {
    let builder = Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    let body = if head {
        empty()
    } else {
        BodyExt::boxed(live::stream(server))
    };
    builder
        .body(body)
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "Bad response.\n"))
}

fn redirect(location: &str) -> Response<Body> {
    let body = format!("Moved to {}\n", location);
    Response::builder()
        .status(StatusCode::MOVED_PERMANENTLY)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(full(Bytes::from(body)))
        .unwrap_or_else(|_| plain(StatusCode::NOT_FOUND, "Not found.\n"))
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(full(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn full(bytes: Bytes) -> Body {
    Full::new(bytes).boxed()
}

fn empty() -> Body {
    Empty::new().boxed()
}

/// The bytes of an output; `None` for a file that is gone or lies outside the site.
async fn body_of(server: &Server, output: &Output) -> Option<Bytes> {
    match output {
        Output::Bytes(bytes) => Some(Bytes::copy_from_slice(bytes)),
        Output::Embedded(bytes) => Some(Bytes::from_static(bytes)),
        Output::File(path) => {
            let root = server.root.clone();
            let path = path.clone();
            let read = tokio::task::spawn_blocking(move || {
                // A file removed since the build is simply not found.
                let canonical = path.canonicalize().ok()?;
                if !canonical.starts_with(&root) {
                    note!(
                        "warning: not serving `{}`: it leads outside the site",
                        path.display()
                    );
                    return None;
                }
                std::fs::read(canonical).ok()
            });
            read.await.ok().flatten().map(Bytes::from)
        }
    }
}

/// Where a request path leads.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Resolved {
    /// This output.
    Output(String),
    /// A folder asked for without its trailing slash: the same path with one.
    Redirect,
    /// Nothing of the site.
    NotFound,
}

/// Maps a request path (still percent-encoded) to an output key.
pub(super) fn resolve(path: &str, outputs: &Outputs) -> Resolved {
    let Some(key) = decode_path(path) else {
        return Resolved::NotFound;
    };
    if key.is_empty() || key.ends_with('/') {
        let index = format!("{key}index.html");
        return if outputs.0.contains_key(&index) {
            Resolved::Output(index)
        } else {
            Resolved::NotFound
        };
    }
    if outputs.0.contains_key(&key) {
        Resolved::Output(key)
    } else if outputs.0.contains_key(&format!("{key}/index.html")) {
        Resolved::Redirect
    } else {
        Resolved::NotFound
    }
}

/// The key a request path names: decoded, relative, `/`-separated; `None` when any segment is
/// not a plain name.
fn decode_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix('/')?;
    let segments: Vec<&str> = rest.split('/').collect();
    let last = segments.len() - 1;
    let mut key = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        let decoded = percent_decode(segment)?;
        let trailing_slash = i == last && decoded.is_empty() && i > 0;
        let plain = !decoded.is_empty()
            && decoded != "."
            && decoded != ".."
            && !decoded
                .chars()
                .any(|c| c == '/' || c == '\\' || c.is_control());
        if !(plain || trailing_slash || rest.is_empty()) {
            return None;
        }
        key.push(decoded);
    }
    Some(key.join("/"))
}

/// `%XX` sequences decoded; `None` for a malformed sequence or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The content type of an output, from its extension.
pub(super) fn content_type(key: &str) -> &'static str {
    let extension = key
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "xml" => "application/xml",
        "xsl" => "application/xslt+xml",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "pdf" => "application/pdf",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        _ => "application/octet-stream",
    }
}

/// A strong entity tag from the content.
fn etag(body: &[u8]) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    format!("\"{:016x}-{:x}\"", hasher.finish(), body.len())
}

/// Whether an `If-None-Match` value names `etag` (weak comparison, as the header asks).
fn etag_matches(value: &HeaderValue, etag: &str) -> bool {
    let Ok(value) = value.to_str() else {
        return false;
    };
    value.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs() -> Outputs {
        let mut outputs = Outputs::default();
        for key in [
            "index.html",
            "blog/index.html",
            "blog/a b/index.html",
            "style.css",
            "404.html",
        ] {
            outputs.0.insert(
                key.to_owned(),
                Output::Bytes(std::sync::Arc::new(Vec::new())),
            );
        }
        outputs
    }

    #[test]
    fn folders_serve_their_index_and_redirect_without_a_slash() {
        let outputs = outputs();
        let found = |key: &str| Resolved::Output(key.to_owned());
        assert_eq!(resolve("/", &outputs), found("index.html"));
        assert_eq!(resolve("/blog/", &outputs), found("blog/index.html"));
        assert_eq!(resolve("/blog", &outputs), Resolved::Redirect);
        assert_eq!(
            resolve("/blog/a%20b/", &outputs),
            found("blog/a b/index.html")
        );
        assert_eq!(resolve("/style.css", &outputs), found("style.css"));
        assert_eq!(resolve("/index.html", &outputs), found("index.html"));
        assert_eq!(resolve("/nope/", &outputs), Resolved::NotFound);
    }

    #[test]
    fn paths_that_are_not_plain_names_are_not_found() {
        let outputs = outputs();
        for path in [
            "/../index.html",
            "/%2e%2e/index.html",
            "/blog/../index.html",
            "/blog/%2E%2E/style.css",
            "/./style.css",
            "/blog%2findex.html",
            "/blog%2Findex.html",
            "/blog\\index.html",
            "/blog%5cindex.html",
            "//index.html",
            "/blog//index.html",
            "/%00",
            "/style.css%00",
            "/%zz",
            "/%c3",
            "style.css",
            "",
        ] {
            assert_eq!(resolve(path, &outputs), Resolved::NotFound, "{path}");
        }
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("style.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type("atom.xml"), "application/xml");
        assert_eq!(content_type("logo.svg"), "image/svg+xml");
        assert_eq!(content_type("font.woff2"), "font/woff2");
        assert_eq!(content_type("README"), "application/octet-stream");
        assert_eq!(content_type("archive.tar.gz"), "application/octet-stream");
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let tag = etag(b"hello");
        let header = |v: &str| HeaderValue::from_str(v).unwrap();
        assert!(etag_matches(&header(&tag), &tag));
        assert!(etag_matches(&header(&format!("\"x\", W/{tag}")), &tag));
        assert!(etag_matches(&header("*"), &tag));
        assert!(!etag_matches(&header("\"other\""), &tag));
        assert_ne!(etag(b"hello"), etag(b"hellO"));
    }
}
