//! `knead check --external`: links to other sites, checked over the network.
//!
//! Each address is asked for with HEAD, then GET when HEAD is refused or fails (many servers
//! answer HEAD wrongly), with a timeout and a browser-like User-Agent (some sites turn other
//! clients away). One request at a time per host, several hosts at once, so no site is
//! hammered. Answers are kept for a day in `.knead-cache/external-links.json` in the site's
//! folder, so repeated checks are quick and polite; timeouts, rate limits and server errors are
//! not kept, since they are likely to pass. Failures are warnings: another site being down is
//! not a mistake in this one.
//!
//! The HTTP client is `ureq`: blocking (no async runtime for a handful of requests), with
//! rustls and bundled root certificates, so knead stays one binary with nothing else to install.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Ctx, Findings, Rule, plural};
use crate::content::SourceText;
use crate::error::Diagnostic;

/// Where the answers are kept, relative to the site's folder.
pub const CACHE_FILE: &str = ".knead-cache/external-links.json";

/// How external links are checked.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// How long one request may take, redirects included.
    pub timeout: Duration,
    /// The User-Agent header.
    pub user_agent: String,
    /// How long an answer is kept.
    pub max_age: Duration,
    /// How many hosts are asked at once (each host one request at a time).
    pub hosts_at_once: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(10),
            user_agent: format!(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/126.0 Safari/537.36 knead-check/{}",
                env!("CARGO_PKG_VERSION")
            ),
            max_age: Duration::from_secs(24 * 60 * 60),
            hosts_at_once: 8,
        }
    }
}

/// A link to another site and where it was found.
#[derive(Debug, Clone)]
pub(crate) struct ExternalRef {
    url: String,
    place: Place,
}

#[derive(Debug, Clone)]
enum Place {
    /// In a file the user wrote: a located diagnostic without a message yet.
    Source(Diagnostic),
    /// Only in the generated page at this address (it comes from a template).
    Page(String),
}

impl ExternalRef {
    /// A link at byte `offset` of `source`.
    pub(crate) fn in_source(url: String, source: &SourceText, offset: usize) -> Self {
        ExternalRef {
            url,
            place: Place::Source(Diagnostic::warning("").at(&source.file, &source.text, offset)),
        }
    }

    /// A link on the generated page at address `page`.
    pub(crate) fn on_page(url: String, page: String) -> Self {
        ExternalRef {
            url,
            place: Place::Page(page),
        }
    }
}

/// The answer for one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Answer {
    /// When it was asked, in RFC 3339.
    checked: String,
    /// Whether it answered with success (after redirects).
    ok: bool,
    /// The status or the error, for the message.
    detail: String,
    /// Whether it is worth keeping for a day.
    #[serde(skip)]
    keep: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cache {
    /// Address → answer.
    links: BTreeMap<String, Answer>,
}

/// Checks every external link in `refs`, reading and updating the cache at `cache_path`.
pub(crate) fn check(
    ctx: &Ctx<'_>,
    refs: Vec<ExternalRef>,
    options: &HttpOptions,
    cache_path: &Path,
    findings: &mut Findings,
) {
    let mut by_url: BTreeMap<String, Vec<Place>> = BTreeMap::new();
    for r in refs {
        by_url.entry(r.url).or_default().push(r.place);
    }
    let mut cache = read_cache(cache_path);
    let max_age = jiff::SignedDuration::try_from(options.max_age).unwrap_or_default();
    let fresh = |answer: &Answer| {
        answer
            .checked
            .parse::<Timestamp>()
            .is_ok_and(|checked| checked <= ctx.now && ctx.now.duration_since(checked) < max_age)
    };
    cache.links.retain(|_, answer| fresh(answer));
    let wanted: Vec<&str> = by_url
        .keys()
        .map(String::as_str)
        .filter(|url| !cache.links.contains_key(*url))
        .collect();
    let answers = ask_all(&wanted, options, ctx.now);
    let asked = !answers.is_empty();
    let mut results: BTreeMap<&str, Answer> = cache
        .links
        .iter()
        .map(|(url, answer)| (url.as_str(), answer.clone()))
        .collect();
    for (url, answer) in &answers {
        results.insert(url, answer.clone());
    }
    for (url, places) in &by_url {
        if let Some(answer) = results.get(url.as_str())
            && !answer.ok
        {
            report(url, &answer.detail, places, findings);
        }
    }
    for (url, answer) in answers {
        if answer.keep {
            cache.links.insert(url.to_owned(), answer);
        }
    }
    if asked && let Err(err) = write_cache(cache_path, &cache) {
        findings.push(
            Rule::ExternalLink,
            Diagnostic::warning(format!(
                "could not save the answers in `{CACHE_FILE}`: {err}"
            ))
            .in_file(CACHE_FILE)
            .with_hint("the links were checked; the next check will ask again"),
        );
    }
}

fn report(url: &str, detail: &str, places: &[Place], findings: &mut Findings) {
    let hint = "open it in a browser: if the page moved, link to its new address; if the site is \
                only down for now, check again later";
    let mut pages: Vec<&str> = Vec::new();
    for place in places {
        match place {
            Place::Source(located) => {
                let mut diagnostic = located.clone();
                diagnostic.message = format!("link to `{url}` failed: {detail}");
                findings.push(Rule::ExternalLink, diagnostic.with_hint(hint));
            }
            Place::Page(page) => pages.push(page),
        }
    }
    // Only in templates: once, at the first page that shows it.
    if places.iter().all(|p| matches!(p, Place::Page(_))) {
        pages.sort_unstable();
        pages.dedup();
        if let Some(first) = pages.first() {
            findings.in_file(
                Rule::ExternalLink,
                *first,
                format!(
                    "link to `{url}` failed: {detail} (on {}, from the templates)",
                    plural(pages.len(), "page", "pages")
                ),
                hint,
            );
        }
    }
}

fn read_cache(path: &Path) -> Cache {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn write_cache(path: &Path, cache: &Cache) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut json = serde_json::to_vec_pretty(cache).map_err(std::io::Error::other)?;
    json.push(b'\n');
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, json)?;
    std::fs::rename(&temporary, path)
}

/// Asks for every address: hosts in parallel, each host's addresses one after another.
fn ask_all<'u>(urls: &[&'u str], options: &HttpOptions, now: Timestamp) -> Vec<(&'u str, Answer)> {
    if urls.is_empty() {
        return Vec::new();
    }
    let mut by_host: BTreeMap<String, Vec<&'u str>> = BTreeMap::new();
    for url in urls {
        by_host.entry(host_of(url)).or_default().push(url);
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(options.timeout))
        .user_agent(options.user_agent.as_str())
        .http_status_as_error(false)
        .max_redirects(10)
        .build()
        .into();
    let queue = Mutex::new(by_host.into_values().collect::<Vec<_>>());
    let answers = Mutex::new(Vec::new());
    let workers = options.hosts_at_once.clamp(1, urls.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().map(|mut q| q.pop()).unwrap_or(None);
                    let Some(host_urls) = next else { break };
                    for url in host_urls {
                        let answer = ask(&agent, url, now);
                        if let Ok(mut answers) = answers.lock() {
                            answers.push((url, answer));
                        }
                    }
                }
            });
        }
    });
    let mut answers = answers.into_inner().unwrap_or_default();
    answers.sort_by(|a, b| a.0.cmp(b.0));
    answers
}

/// The host of an address, lowercase, for the per-host limit.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or(authority);
    host.to_ascii_lowercase()
}

/// HEAD, then GET when HEAD did not succeed but the server answered or the connection broke.
fn ask(agent: &ureq::Agent, url: &str, now: Timestamp) -> Answer {
    let head = agent.head(url).call();
    let outcome = match head {
        Ok(response) if response.status().is_success() => Ok(response.status().as_u16()),
        Ok(_) | Err(ureq::Error::Protocol(_) | ureq::Error::Io(_)) => agent
            .get(url)
            .call()
            .map(|response| response.status().as_u16()),
        Err(err) => Err(err),
    };
    let (ok, detail, keep) = match outcome {
        Ok(status) if (200..300).contains(&status) => (true, format!("{status}"), true),
        Ok(status) => {
            let transient = status == 408 || status == 429 || status >= 500;
            (false, status_text(status), !transient)
        }
        Err(err) => {
            let (detail, keep) = error_text(&err);
            (false, detail, keep)
        }
    };
    Answer {
        checked: now.to_string(),
        ok,
        detail,
        keep,
    }
}

fn status_text(status: u16) -> String {
    let reason = match status {
        400 => "bad request",
        401 => "needs a login",
        403 => "forbidden",
        404 => "not found",
        410 => "gone",
        429 => "too many requests",
        500 => "server error",
        502 => "bad gateway",
        503 => "service unavailable",
        504 => "gateway timeout",
        _ => "",
    };
    if reason.is_empty() {
        format!("HTTP status {status}")
    } else {
        format!("HTTP status {status} ({reason})")
    }
}

/// A short description of a request error, and whether it is worth keeping.
fn error_text(err: &ureq::Error) -> (String, bool) {
    match err {
        ureq::Error::Timeout(_) => ("no answer in time".into(), false),
        ureq::Error::HostNotFound => ("the host name does not exist".into(), true),
        ureq::Error::ConnectionFailed => ("could not connect".into(), false),
        ureq::Error::TooManyRedirects => ("too many redirects".into(), true),
        ureq::Error::BadUri(_) => ("not a valid address".into(), true),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            ("the connection was refused".into(), false)
        }
        other => (other.to_string(), false),
    }
}

/// The cache file of the site at `root`.
pub fn cache_path(root: &Path) -> PathBuf {
    root.join(CACHE_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_lowercase_without_user_or_path() {
        assert_eq!(
            host_of("https://User@Example.org:8080/a?b"),
            "example.org:8080"
        );
        assert_eq!(host_of("http://x.example"), "x.example");
    }
}
