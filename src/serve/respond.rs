//! Answering requests: the outputs of the current snapshot, and nothing else.
//!
//! A request path maps to an output key only after it is decoded and checked segment by
//! segment: `..`, `.`, empty segments (`//etc/passwd`), encoded slashes, backslashes, NUL and
//! other control characters never match, and a path that matches no key gets the site's
//! `404.html`. Files copied from disk are read only when they are inside the site root once
//! links are followed; they are streamed a piece at a time (a client that does not read holds
//! one piece, not the file), answer `Range` with the part asked for, and `HEAD` without being
//! read at all.

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
            Resolved::Output(key) => match &outputs.0[&key] {
                // Copied files are streamed, but for HTML, which gets the reload script.
                Output::File(file) if !content_type(&key).starts_with("text/html") => {
                    match open(server, file).await {
                        Some((file, meta)) => Reply::File { key, file, meta },
                        None => Reply::NotFound,
                    }
                }
                output => match body_of(server, output).await {
                    Some(body) => Reply::ok(&key, body),
                    None => Reply::NotFound,
                },
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
    if let Reply::File { key, file, meta } = reply {
        return stream_file(&key, file, &meta, request.headers(), head);
    }
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
    /// A file copied from disk, open, to stream.
    File {
        key: String,
        file: std::fs::File,
        meta: std::fs::Metadata,
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
        Reply::NotFound | Reply::File { .. } => {
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

/// A file copied from disk, opened, with its metadata; `None` when it is gone (removed since the
/// build) or lies outside the site once links are followed.
async fn open(
    server: &Server,
    path: &std::path::Path,
) -> Option<(std::fs::File, std::fs::Metadata)> {
    let root = server.root.clone();
    let path = path.to_path_buf();
    let opened = tokio::task::spawn_blocking(move || {
        let canonical = path.canonicalize().ok()?;
        if !canonical.starts_with(&root) {
            note!(
                "warning: not serving `{}`: it leads outside the site",
                path.display()
            );
            return None;
        }
        let file = std::fs::File::open(canonical).ok()?;
        let meta = file.metadata().ok().filter(std::fs::Metadata::is_file)?;
        Some((file, meta))
    });
    opened.await.ok().flatten()
}

/// The answer for a file copied from disk: its part asked for by `Range` (206), all of it
/// (200), or 304 / 416; for `HEAD`, the same headers and no body, the file unread.
fn stream_file(
    key: &str,
    file: std::fs::File,
    meta: &std::fs::Metadata,
    headers: &hyper::HeaderMap,
    head: bool,
) -> Response<Body> {
    let len = meta.len();
    let etag = file_etag(meta);
    let builder = Response::builder()
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::ETAG, &etag)
        .header(header::ACCEPT_RANGES, "bytes");
    let bad = |_| plain(StatusCode::INTERNAL_SERVER_ERROR, "Bad response.\n");
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|value| etag_matches(value, &etag))
    {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(empty())
            .unwrap_or_else(bad);
    }
    // `If-Range` with another tag: the file changed, so all of it.
    let range_applies = headers
        .get(header::IF_RANGE)
        .is_none_or(|value| value.to_str().is_ok_and(|value| value == etag));
    let range = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .filter(|_| range_applies)
        .and_then(|value| byte_range(value, len));
    let builder = builder.header(header::CONTENT_TYPE, content_type(key));
    let (status, start, count, builder) = match range {
        None => (StatusCode::OK, 0, len, builder),
        Some(Ok((first, last))) => (
            StatusCode::PARTIAL_CONTENT,
            first,
            last - first + 1,
            builder.header(header::CONTENT_RANGE, format!("bytes {first}-{last}/{len}")),
        ),
        Some(Err(())) => {
            return builder
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                .body(empty())
                .unwrap_or_else(bad);
        }
    };
    let builder = builder.status(status).header(header::CONTENT_LENGTH, count);
    if head {
        return builder.body(empty()).unwrap_or_else(bad);
    }
    let mut file = file;
    if std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(start)).is_err() {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The file could not be read.\n",
        );
    }
    let body = FileBody {
        file: tokio::fs::File::from_std(file),
        left: count,
    };
    builder.body(BodyExt::boxed(body)).unwrap_or_else(bad)
}

/// The one range of bytes `value` (a `Range` header) asks for in a file of `len` bytes, first
/// and last included: `None` when the header is to be ignored (another unit, several ranges,
/// or not well formed), `Err` when no byte of the file is in it.
fn byte_range(value: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let number = |text: &str| -> Option<u64> {
        let text = text.trim();
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    let range = match (first.trim().is_empty(), last.trim().is_empty()) {
        // `-n`: the last n bytes.
        (true, false) => {
            let n = number(last)?;
            if n == 0 || len == 0 {
                return Some(Err(()));
            }
            (len.saturating_sub(n), len - 1)
        }
        // `a-`: from a to the end.
        (false, true) => {
            let a = number(first)?;
            if a >= len {
                return Some(Err(()));
            }
            (a, len - 1)
        }
        (false, false) => {
            let (a, b) = (number(first)?, number(last)?);
            if a > b {
                return None;
            }
            if a >= len {
                return Some(Err(()));
            }
            (a, b.min(len - 1))
        }
        (true, true) => return None,
    };
    Some(Ok(range))
}

/// How much of a file is read at a time while it is streamed: what a client that stops reading
/// keeps the server holding.
const FILE_CHUNK: u64 = 16 * 1024;

/// A file streamed a piece at a time, as the client reads.
struct FileBody {
    file: tokio::fs::File,
    /// Bytes still to send.
    left: u64,
}

impl hyper::body::Body for FileBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        use std::task::Poll;
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let want = usize::try_from(self.left.min(FILE_CHUNK)).unwrap_or(16 * 1024);
        let mut buffer = vec![0; want];
        let mut read = tokio::io::ReadBuf::new(&mut buffer);
        match tokio::io::AsyncRead::poll_read(std::pin::Pin::new(&mut self.file), cx, &mut read) {
            Poll::Pending => Poll::Pending,
            // The file shrank or could not be read: the answer ends short, and the client,
            // told its length, sees it is incomplete.
            Poll::Ready(Err(_)) => Poll::Ready(None),
            Poll::Ready(Ok(())) => {
                let n = read.filled().len();
                if n == 0 {
                    return Poll::Ready(None);
                }
                self.left -= n as u64;
                buffer.truncate(n);
                Poll::Ready(Some(Ok(hyper::body::Frame::data(Bytes::from(buffer)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.left)
    }
}

/// A strong entity tag for a file copied from disk, from what changes when it does (size,
/// modification time, inode), so that it is not read to make one.
fn file_etag(meta: &std::fs::Metadata) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    meta.len().hash(&mut hasher);
    meta.modified().ok().hash(&mut hasher);
    #[cfg(unix)]
    std::os::unix::fs::MetadataExt::ino(meta).hash(&mut hasher);
    format!("\"f{:016x}-{:x}\"", hasher.finish(), meta.len())
}

/// The bytes of an output; `None` for a file that is gone or lies outside the site.
async fn body_of(server: &Server, output: &Output) -> Option<Bytes> {
    match output {
        Output::Bytes(bytes) => Some(Bytes::copy_from_slice(bytes)),
        Output::Embedded(bytes) => Some(Bytes::from_static(bytes)),
        Output::File(path) => {
            let (mut file, _) = open(server, path).await?;
            let read = tokio::task::spawn_blocking(move || {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut file, &mut bytes).ok()?;
                Some(bytes)
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
    fn byte_ranges_are_read_as_rfc_9110_says() {
        assert_eq!(byte_range("bytes=0-0", 10), Some(Ok((0, 0))));
        assert_eq!(byte_range("bytes=2-5", 10), Some(Ok((2, 5))));
        assert_eq!(byte_range("bytes=5-", 10), Some(Ok((5, 9))));
        assert_eq!(byte_range("bytes=-4", 10), Some(Ok((6, 9))));
        assert_eq!(byte_range("bytes=-40", 10), Some(Ok((0, 9))));
        assert_eq!(byte_range("bytes=8-99", 10), Some(Ok((8, 9))));
        assert_eq!(byte_range("bytes=10-", 10), Some(Err(())));
        assert_eq!(byte_range("bytes=-0", 10), Some(Err(())));
        assert_eq!(byte_range("bytes=0-", 0), Some(Err(())));
        for ignored in [
            "bytes=5-2",
            "bytes=1-2,4-5",
            "items=0-1",
            "bytes=-",
            "bytes=a-b",
            "bytes=+1-2",
        ] {
            assert_eq!(byte_range(ignored, 10), None, "{ignored}");
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
