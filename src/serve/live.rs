//! What keeps open tabs in step with the site: the event stream each tab listens to, the script
//! that listens (added to HTML only as it is served, never to built files), and the overlay that
//! shows the errors of a failed build.
//!
//! Events (`/__knead/events`, server-sent events, each `data` a JSON object):
//! - `hello` `{build, error}` when a tab connects: a tab showing another build reloads (the
//!   site changed while it was away, or the server restarted); `error` is the overlay or null;
//! - `reload` `{build}`: pages changed, or errors were fixed;
//! - `css` `{build}`: only stylesheets changed: the script swaps them without a reload;
//! - `error` `{error}`: the rebuild failed: the script shows the overlay.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame};
use tokio::sync::mpsc;

use super::{Change, Server, Snapshot};
use crate::error::{Diagnostic, Diagnostics};

/// Where tabs listen for events.
pub(super) const EVENTS_PATH: &str = "/__knead/events";
/// Where the injected script is served.
pub(super) const SCRIPT_PATH: &str = "/__knead/live.js";
/// The injected script.
pub(super) const SCRIPT: &str = include_str!("live.js");

/// How often an idle event stream sends a comment, so a tab that went away is noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How many events may wait for a slow tab before its stream is closed (it reconnects).
const BACKLOG: usize = 16;

/// The body of an event stream: the events a task sends for one tab.
pub(super) struct EventStream(mpsc::Receiver<Bytes>);

impl Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|event| event.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// Starts the event stream of one tab.
pub(super) fn stream(server: &Arc<Server>) -> EventStream {
    let (sender, receiver) = mpsc::channel(BACKLOG);
    let mut snapshots = server.snapshots.clone();
    let server = server.clone();
    tokio::spawn(async move {
        let first = snapshots.borrow_and_update().clone();
        let hello = event(
            "hello",
            &serde_json::json!({ "build": server.build_id(&first), "error": first.error.as_deref() }),
        );
        // `retry`: how soon the browser reconnects after the server went away, in ms.
        let hello = [&b"retry: 1000\n"[..], &hello].concat();
        if sender.try_send(Bytes::from(hello)).is_err() {
            return;
        }
        let mut seen = first.version;
        // Without a watcher no snapshot ever comes; the stream stays open all the same, or the
        // browser would reconnect every second.
        let mut watching = true;
        loop {
            let message = tokio::select! {
                changed = snapshots.changed(), if watching => {
                    if changed.is_err() {
                        watching = false;
                        continue;
                    }
                    let snapshot = snapshots.borrow_and_update().clone();
                    let message = change_event(&server, seen, &snapshot);
                    seen = snapshot.version;
                    message
                }
                () = tokio::time::sleep(KEEP_ALIVE) => Bytes::from_static(b": keep-alive\n\n"),
                () = sender.closed() => return,
            };
            // A tab that does not read its events is dropped; its browser reconnects.
            if sender.try_send(message).is_err() {
                return;
            }
        }
    });
    EventStream(receiver)
}

/// The event that tells a tab about `snapshot`, when the last one it was told about is `seen`.
fn change_event(server: &Server, seen: u64, snapshot: &Snapshot) -> Bytes {
    let build = server.build_id(snapshot);
    // A tab that missed a snapshot may have missed a reload: reload to be sure.
    let change = if snapshot.version == seen + 1 {
        snapshot.change
    } else {
        Change::Reload
    };
    let bytes = match change {
        Change::Reload => event("reload", &serde_json::json!({ "build": build })),
        Change::Css => event("css", &serde_json::json!({ "build": build })),
        Change::Error => event(
            "error",
            &serde_json::json!({ "error": snapshot.error.as_deref() }),
        ),
    };
    Bytes::from(bytes)
}

/// One server-sent event. JSON keeps the data on one line, as the format requires.
fn event(name: &str, data: &serde_json::Value) -> Vec<u8> {
    format!("event: {name}\ndata: {data}\n\n").into_bytes()
}

/// `html` with the script tag added before `</body>` (at the end when there is none).
pub(super) fn inject(html: &[u8], build_id: &str) -> Vec<u8> {
    let tag = script_tag(build_id);
    let at = rfind_ignore_case(html, b"</body").unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + tag.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

fn script_tag(build_id: &str) -> String {
    format!(
        "<script src=\"{SCRIPT_PATH}\" data-build=\"{}\"></script>",
        escape(build_id)
    )
}

fn rfind_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > haystack.len() {
        return None;
    }
    (0..=haystack.len() - needle.len())
        .rev()
        .find(|&i| haystack[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// The page shown for every address while the site has never built.
pub(super) fn error_page(overlay: &str, build_id: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>The site has errors · knead serve</title>\n</head>\n<body>\n\
         <div id=\"knead-error-page\">{overlay}</div>\n{}\n</body>\n</html>\n",
        script_tag(build_id)
    )
}

/// The errors of a failed build as HTML, everything from the site escaped. `has_site`: whether
/// the last good site is still shown under the overlay.
pub(super) fn overlay(diagnostics: &Diagnostics, has_site: bool) -> String {
    let errors: Vec<&Diagnostic> = diagnostics.0.iter().filter(|d| d.is_error()).collect();
    let count = errors.len().max(1);
    let mut html = String::new();
    html.push_str(OVERLAY_STYLE);
    html.push_str("<div class=\"knead-errors\" role=\"alert\">\n");
    html.push_str(&format!(
        "<h1>The site has {count} {}</h1>\n",
        if count == 1 { "error" } else { "errors" }
    ));
    let next = if has_site {
        "This page still shows the last version that worked. Fix the file and save it: \
         open pages reload by themselves."
    } else {
        "Fix the file and save it: this page reloads by itself."
    };
    html.push_str(&format!("<p class=\"knead-next\">{next}</p>\n"));
    for diagnostic in errors {
        html.push_str(&diagnostic_html(diagnostic));
    }
    html.push_str("</div>\n");
    html
}

fn diagnostic_html(diagnostic: &Diagnostic) -> String {
    let mut html = String::from("<section class=\"knead-error\">\n<h2>");
    if let Some(location) = &diagnostic.location {
        html.push_str(&format!("<code>{}</code> ", escape(&location.to_string())));
    }
    html.push_str(&escape(&diagnostic.message));
    html.push_str("</h2>\n");
    if let Some((_, excerpt)) = diagnostic.excerpt() {
        html.push_str(&format!(
            "<pre>{}</pre>\n",
            escape(excerpt.strip_suffix('\n').unwrap_or(&excerpt))
        ));
    }
    if let Some(hint) = &diagnostic.hint {
        html.push_str(&format!(
            "<p class=\"knead-hint\">help: {}</p>\n",
            escape(hint)
        ));
    }
    html.push_str("</section>\n");
    html
}

/// Text made safe to put in HTML, between tags or in a quoted attribute.
pub(super) fn escape(text: &str) -> String {
    crate::markdown::escape(text)
}

/// The overlay's look. It sits in a shadow root over a page, or is the page itself, so it styles
/// only its own classes.
const OVERLAY_STYLE: &str = "<style>\
.knead-errors{box-sizing:border-box;position:fixed;inset:0;z-index:2147483647;overflow:auto;\
margin:0;padding:1.5rem max(1rem,calc(50vw - 26rem));background:#1d1f21;color:#f3f3f3;\
font:1rem/1.5 system-ui,-apple-system,\"Segoe UI\",sans-serif;text-align:left}\
.knead-errors h1{margin:0 0 .25rem;font-size:1.4rem;color:#ff8f8f}\
.knead-errors h2{margin:0 0 .5rem;font-size:1.05rem;font-weight:600;overflow-wrap:anywhere}\
.knead-errors code,.knead-errors pre{font-family:ui-monospace,Menlo,Consolas,monospace}\
.knead-errors h2 code{color:#9fd3ff}\
.knead-errors pre{margin:0 0 .5rem;padding:.75rem;overflow-x:auto;background:#000;\
border-radius:.4rem;font-size:.9rem;line-height:1.4;tab-size:4}\
.knead-errors .knead-next{margin:0 0 1.25rem;color:#c9c9c9}\
.knead-errors .knead-hint{margin:0;color:#b5f5a8}\
.knead-error{margin:0 0 1.25rem;padding:1rem;border-left:.3rem solid #ff8f8f;background:#2a2d30;\
border-radius:.4rem}\
.knead-close{position:fixed;top:.75rem;right:.75rem;z-index:2147483647;min-width:2.75rem;\
min-height:2.75rem;border:0;border-radius:.4rem;background:#3a3d40;color:#fff;font-size:1.25rem;\
cursor:pointer}\
</style>\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_goes_before_the_last_closing_body_tag() {
        let html = b"<html><body><p>&lt;/body&gt;</p></BODY ></html>";
        let out = String::from_utf8(inject(html, "a-1")).unwrap();
        assert_eq!(
            out,
            "<html><body><p>&lt;/body&gt;</p><script src=\"/__knead/live.js\" \
             data-build=\"a-1\"></script></BODY ></html>"
        );
    }

    #[test]
    fn the_script_goes_at_the_end_without_a_body_tag() {
        let out = String::from_utf8(inject(b"<p>hi", "b-2")).unwrap();
        assert!(out.starts_with("<p>hi<script"), "{out}");
    }

    #[test]
    fn the_overlay_escapes_everything_from_the_site() {
        let text = "+++\ntitle = \"<script>alert('x')</script>\" & co\n+++\n";
        let diagnostics = Diagnostics(vec![
            Diagnostic::error("bad <b>value</b>")
                .at("content/<x>.md", text, 4)
                .with_hint("use \"quotes\" & <i>care</i>"),
        ]);
        let html = overlay(&diagnostics, true);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>") && !html.contains("<i>"), "{html}");
        assert!(
            html.contains("<code>content/&lt;x&gt;.md:2:1</code> bad &lt;b&gt;value&lt;/b&gt;")
        );
        assert!(html.contains("2 | title = &quot;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot; &amp; co\n  | ^"));
        assert!(html.contains("help: use &quot;quotes&quot; &amp; &lt;i&gt;care&lt;/i&gt;"));
    }

    #[test]
    fn the_caret_follows_tabs_and_characters() {
        let text = "+++\n\tcafé = x\n+++\n";
        let offset = text.find('=').unwrap();
        let diagnostics = Diagnostics(vec![Diagnostic::error("m").at("c.md", text, offset)]);
        let html = overlay(&diagnostics, false);
        assert!(html.contains("2 | \tcafé = x\n  | \t     ^"), "{html}");
    }
}
