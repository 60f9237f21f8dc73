//! Links and images: every address in the Markdown, the front matter and the generated HTML
//! must lead to a file the build makes, and every `#fragment` to an id on that page. Also the
//! pages nothing links to, and the list of external links for `--external`.
//!
//! Markdown links are checked from the page they are written on and reported at their line. The
//! generated HTML is then checked as a whole: a link broken there but not in any Markdown comes
//! from a template (or from raw HTML), and is reported at the template when the address is
//! written in one of the site's templates, or else at the address of the first page that
//! shows it, with how many pages do.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use super::external::ExternalRef;
use super::{Ctx, Doc, DocKind, Findings, Rule, plural};
use crate::content::SourceText;
use crate::markdown::Rendered;
use crate::render::Output;
use crate::slug::percent_decode;
use crate::toml_errors::suggest;

/// Where an address leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// Nothing to check: `mailto:`, `tel:`, `data:` and the like, or an empty address.
    Skip,
    /// Another site.
    External(String),
    /// A path on this server outside the site's root (for a site under `/clinic/`).
    OutsideRoot(String),
    /// A path on the site.
    Internal {
        /// The path from the server's root, as a visitor would see it (`/blog/x/`).
        path: String,
        /// The output that serves it, if any.
        output: Option<String>,
        /// The fragment, without `#`, decoded.
        fragment: Option<String>,
    },
}

/// Resolves addresses against the site's outputs.
pub(crate) struct Resolver<'a> {
    ctx: &'a Ctx<'a>,
    /// The nearest page of each missing path asked about: a site with one bad link on every
    /// page asks a thousand times.
    nearest: RefCell<HashMap<String, Option<String>>>,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(ctx: &'a Ctx<'a>) -> Self {
        Resolver {
            ctx,
            nearest: RefCell::default(),
        }
    }

    /// The address of a page or section closest to `path`, if one is close enough to be a
    /// typo.
    fn nearest_page(&self, path: &str) -> Option<String> {
        if let Some(known) = self.nearest.borrow().get(path) {
            return known.clone();
        }
        let with_slash = format!("{}/", path.trim_end_matches('/'));
        // A typo is at most a third of the length away, so much longer or shorter addresses
        // need not be compared.
        let reach = path.len() / 3 + 1;
        let urls: Vec<&str> = self
            .ctx
            .docs
            .iter()
            .map(|d| d.url.as_str())
            .filter(|url| url.len().abs_diff(path.len()) <= reach)
            .collect();
        let near = if with_slash != path && urls.contains(&with_slash.as_str()) {
            Some(with_slash)
        } else {
            suggest(path, &urls).map(str::to_owned)
        };
        self.nearest
            .borrow_mut()
            .insert(path.to_owned(), near.clone());
        near
    }

    /// Where `url`, written on the page at address `from` (`/blog/post/`), leads.
    pub(crate) fn resolve(&self, from: &str, url: &str) -> Target {
        let config = &self.ctx.site.config();
        let url = url.trim();
        // A broken `@/` link is left as written and reported where it is written.
        if url.is_empty() || url.starts_with("@/") {
            return Target::Skip;
        }
        if let Some(rest) = url.strip_prefix("//") {
            return Target::External(format!("https://{rest}"));
        }
        let mut url = url.to_owned();
        if let Some(scheme_end) = url.find(':')
            && !url[..scheme_end].contains(['/', '?', '#'])
        {
            let scheme = url[..scheme_end].to_ascii_lowercase();
            if scheme != "http" && scheme != "https" {
                return Target::Skip;
            }
            let base = &config.base_url;
            match url.strip_prefix(base.as_str()) {
                Some(rest) if rest.is_empty() || rest.starts_with(['/', '?', '#']) => {
                    url = format!("/{}", rest.trim_start_matches('/'));
                    // The path after base_url is relative to the site's root.
                    url = format!("{}{}", config.root, &url[1..]);
                }
                _ => return Target::External(url),
            }
        }
        let (before_fragment, fragment) = match url.split_once('#') {
            Some((before, fragment)) => (before, Some(percent_decode(fragment))),
            None => (url.as_str(), None),
        };
        let path = before_fragment
            .split_once('?')
            .map_or(before_fragment, |(p, _)| p);
        let joined = if path.is_empty() {
            from.to_owned()
        } else if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("{}{path}", directory_of(from))
        };
        let path = percent_decode(&normalize(&joined));
        let Some(rel) = path.strip_prefix(config.root.as_str()).or_else(|| {
            // `/clinic` for a site under `/clinic/` is its home page.
            (format!("{path}/") == config.root).then_some("")
        }) else {
            return Target::OutsideRoot(path);
        };
        let output = self.output_for(rel);
        Target::Internal {
            path,
            output,
            fragment: fragment.filter(|f| !f.is_empty()),
        }
    }

    /// The output that serves `rel` (a path from the site's root), as a static host would.
    fn output_for(&self, rel: &str) -> Option<String> {
        let outputs = &self.ctx.outputs.0;
        let candidates = if rel.is_empty() || rel.ends_with('/') {
            vec![format!("{rel}index.html")]
        } else {
            vec![rel.to_owned(), format!("{rel}/index.html")]
        };
        candidates.into_iter().find(|c| outputs.contains_key(c))
    }

    /// Whether `fragment` is an id on `output`. Pages knead did not render (copied HTML files)
    /// are not read, and pass.
    fn has_id(&self, output: &str, fragment: &str) -> bool {
        if fragment == "top" {
            return true;
        }
        match self.ctx.scans.get(output) {
            Some(scan) => scan.ids.iter().any(|id| id == fragment),
            None => !matches!(self.ctx.outputs.0.get(output), Some(Output::Bytes(_))),
        }
    }
}

/// The address of the folder a page's relative links start from.
fn directory_of(url: &str) -> &str {
    match url.rfind('/') {
        Some(i) => &url[..=i],
        None => "/",
    }
}

/// Removes `.` and `..` segments, as a browser does (`..` above the root stays at the root).
fn normalize(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = path.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match *part {
            "." => {
                if last {
                    segments.push("");
                }
            }
            ".." => {
                if segments.len() > 1 {
                    segments.pop();
                }
                if last {
                    segments.push("");
                }
            }
            part => segments.push(part),
        }
    }
    let joined = segments.join("/");
    if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

/// What is wrong with an internal address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Problem {
    /// No output serves the path.
    Missing { path: String, image: bool },
    /// The path is served, but has no such id.
    Anchor {
        path: String,
        output: String,
        fragment: String,
    },
    /// The path is outside the site's root.
    Outside { path: String },
}

impl Problem {
    /// The path that does not work.
    fn path(&self) -> &str {
        match self {
            Problem::Missing { path, .. }
            | Problem::Anchor { path, .. }
            | Problem::Outside { path } => path,
        }
    }

    fn rule(&self) -> Rule {
        match self {
            Problem::Missing { image: true, .. } => Rule::MissingImage,
            Problem::Missing { .. } | Problem::Outside { .. } => Rule::BrokenLink,
            Problem::Anchor { .. } => Rule::MissingAnchor,
        }
    }
}

/// Checks every link; returns the external ones.
pub(crate) fn check(ctx: &Ctx<'_>, findings: &mut Findings) -> Vec<ExternalRef> {
    let resolver = Resolver::new(ctx);
    let mut external = Vec::new();
    let mut reported = HashSet::new();
    let markdown = check_markdown(ctx, &resolver, &mut reported, findings, &mut external);
    check_front_matter(ctx, &resolver, &mut reported, findings, &mut external);
    let linked = check_html(
        ctx,
        &resolver,
        &markdown,
        &reported,
        findings,
        &mut external,
    );
    orphans(ctx, &linked, findings);
    external
}

/// What each Markdown address did from its own page: (doc, offset, whether it was fine).
type MarkdownLinks = HashMap<String, Vec<(usize, usize, bool)>>;

fn check_markdown(
    ctx: &Ctx<'_>,
    resolver: &Resolver<'_>,
    reported: &mut HashSet<String>,
    findings: &mut Findings,
    external: &mut Vec<ExternalRef>,
) -> MarkdownLinks {
    let mut seen: MarkdownLinks = HashMap::new();
    for (d, doc) in ctx.docs.iter().enumerate() {
        for link in &doc.body.links {
            // `@/` links were checked by the build, down to the heading.
            if link.dest.starts_with("@/") {
                continue;
            }
            let ok = match resolver.resolve(&doc.url, &link.dest) {
                Target::Skip => true,
                Target::External(url) => {
                    external.push(ExternalRef::in_source(url, doc.source, link.offset));
                    true
                }
                target => match problem(resolver, target, link.image) {
                    None => true,
                    Some(problem) => {
                        reported.insert(problem.path().to_owned());
                        report_markdown(
                            ctx,
                            resolver,
                            doc,
                            link.offset,
                            &link.dest,
                            &problem,
                            findings,
                        );
                        false
                    }
                },
            };
            seen.entry(link.dest.clone())
                .or_default()
                .push((d, link.offset, ok));
        }
    }
    seen
}

/// The problem with an internal target, if any.
fn problem(resolver: &Resolver<'_>, target: Target, image: bool) -> Option<Problem> {
    match target {
        Target::Skip | Target::External(_) => None,
        Target::OutsideRoot(path) => Some(Problem::Outside { path }),
        Target::Internal {
            path, output: None, ..
        } => Some(Problem::Missing { path, image }),
        Target::Internal {
            path,
            output: Some(output),
            fragment: Some(fragment),
        } if !resolver.has_id(&output, &fragment) => Some(Problem::Anchor {
            path,
            output,
            fragment,
        }),
        Target::Internal { .. } => None,
    }
}

fn report_markdown(
    ctx: &Ctx<'_>,
    resolver: &Resolver<'_>,
    doc: &Doc<'_>,
    offset: usize,
    dest: &str,
    problem: &Problem,
    findings: &mut Findings,
) {
    let (message, hint) = describe(ctx, resolver, dest, problem);
    findings.at(problem.rule(), doc.source, offset, message, hint);
}

/// The message and hint for `problem` with the address `dest` as written.
fn describe(
    ctx: &Ctx<'_>,
    resolver: &Resolver<'_>,
    dest: &str,
    problem: &Problem,
) -> (String, String) {
    match problem {
        Problem::Missing { path, image: true } => (
            format!("image `{dest}` does not exist (the site has no `{path}`)"),
            "put the file beside the page in a page bundle (a folder with `index.md`) or in \
             static/, or correct the path"
                .to_owned(),
        ),
        Problem::Missing { path, image: false } => (
            format!("link to `{dest}`, but the site has no `{path}`"),
            match crate::assets::missing_link_hint(dest, None) {
                Some(hint) => hint,
                None => match resolver.nearest_page(path) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => "link to pages by their file, e.g. `@/blog/my-post.md`, so the build \
                             checks the address"
                        .to_owned(),
                },
            },
        ),
        Problem::Anchor {
            path,
            output,
            fragment,
        } => (
            format!("link to `{dest}`, but `{path}` has no `#{fragment}`"),
            anchor_hint(ctx, output, fragment),
        ),
        Problem::Outside { path } => (
            format!(
                "link to `{dest}` leaves the site: `{path}` is not under `{}`",
                ctx.site.config().root
            ),
            format!(
                "start the address with `{}`, or link by file with `@/`",
                ctx.site.config().root
            ),
        ),
    }
}

fn anchor_hint(ctx: &Ctx<'_>, output: &str, fragment: &str) -> String {
    let headings: Vec<&str> = rendered_of(ctx, output)
        .map(|r| r.ids.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let all: Vec<&str> = ctx
        .scans
        .get(output)
        .map(|s| s.ids.iter().map(String::as_str).collect())
        .unwrap_or_default();
    if let Some(near) = suggest(fragment, if headings.is_empty() { &all } else { &headings }) {
        return format!("did you mean `#{near}`?");
    }
    if headings.is_empty() {
        "that page has no headings to link to".to_owned()
    } else {
        format!("its headings are: #{}", headings.join(", #"))
    }
}

/// The rendered Markdown of the page or section whose first page is `output`.
fn rendered_of<'c>(ctx: &'c Ctx<'_>, output: &str) -> Option<&'c Rendered> {
    let site = ctx.site;
    if let Some(i) = site
        .pages()
        .iter()
        .position(|p| format!("{}index.html", p.path) == output)
    {
        return ctx.bodies.pages.get(i).map(|r| &**r);
    }
    site.sections()
        .iter()
        .position(|s| format!("{}index.html", s.path) == output)
        .and_then(|i| ctx.bodies.sections.get(i).map(|r| &**r))
}

/// `image` in a page's front matter, and the clinic's and authors' images in site.toml.
fn check_front_matter(
    ctx: &Ctx<'_>,
    resolver: &Resolver<'_>,
    reported: &mut HashSet<String>,
    findings: &mut Findings,
    external: &mut Vec<ExternalRef>,
) {
    for doc in &ctx.docs {
        let DocKind::Page(id) = doc.kind else {
            continue;
        };
        let page = ctx.site.page(id);
        for source in &page.sources {
            let source = source.trim();
            if source.starts_with("http://") || source.starts_with("https://") {
                let offset = super::key_offset(doc.source, "sources");
                external.push(ExternalRef::in_source(
                    source.to_owned(),
                    doc.source,
                    offset,
                ));
            }
        }
        let image = page.image.trim();
        if image.is_empty() || image.starts_with("data:") {
            continue;
        }
        let offset = super::key_offset(doc.source, "image");
        match resolver.resolve(&doc.url, image) {
            Target::External(url) => external.push(ExternalRef::in_source(url, doc.source, offset)),
            target => {
                if let Some(problem) = problem(resolver, target, true) {
                    reported.insert(problem.path().to_owned());
                    let (message, hint) = describe(ctx, resolver, image, &problem);
                    findings.at(problem.rule(), doc.source, offset, message, hint);
                }
            }
        }
    }
    let config = ctx.site.config();
    let text = &ctx.sources.config_text;
    let site_toml = SourceText {
        file: crate::config::CONFIG_FILE.into(),
        text: text.as_str().into(),
        body_offset: text.len(),
    };
    // `photo` may be written under its older name, `image` (a missing key is at the header).
    let photo_at = table_key(text, "[clinic]", "photo").max(table_key(text, "[clinic]", "image"));
    let mut images: Vec<(usize, &str)> = vec![
        (photo_at, config.clinic.photo.as_str()),
        (
            table_key(text, "[clinic]", "logo"),
            config.clinic.logo.as_str(),
        ),
    ];
    for (id, author) in &config.authors {
        let header = format!("[authors.{id}]");
        images.push((table_key(text, &header, "photo"), author.photo.as_str()));
    }
    for (offset, image) in images {
        let image = image.trim();
        if image.is_empty() || image.contains("://") || image.starts_with("data:") {
            continue;
        }
        // Paths in site.toml are from the site's root, with or without the leading `/`.
        let url = format!("{}{}", config.root, image.trim_start_matches('/'));
        if let Some(problem) = problem(resolver, resolver.resolve(&config.root, &url), true) {
            reported.insert(problem.path().to_owned());
            let (message, hint) = describe(ctx, resolver, image, &problem);
            findings.at(problem.rule(), &site_toml, offset, message, hint);
        }
    }
}

/// The offset of the line setting `key` in the table that starts with `header`, or of the
/// header, or 0.
fn table_key(text: &str, header: &str, key: &str) -> usize {
    let Some(start) = text.find(header) else {
        return 0;
    };
    let table = &text[start..];
    let end = table[header.len()..]
        .find("\n[")
        .map_or(table.len(), |i| header.len() + i);
    crate::toml_errors::find_key_line(&table[..end], key, '=').map_or(start, |i| start + i)
}

/// A broken address in the generated HTML, with the pages that have it.
struct HtmlProblem {
    problem: Problem,
    pages: BTreeSet<String>,
}

/// Checks every address in every generated page; returns the outputs linked from another page.
fn check_html(
    ctx: &Ctx<'_>,
    resolver: &Resolver<'_>,
    markdown: &MarkdownLinks,
    reported: &HashSet<String>,
    findings: &mut Findings,
    external: &mut Vec<ExternalRef>,
) -> HashSet<String> {
    let aliases: HashSet<String> = ctx
        .site
        .pages()
        .iter()
        .flat_map(|p| &p.aliases)
        .filter_map(|a| crate::site::alias_output(a).ok())
        .collect();
    let mut linked = HashSet::new();
    let mut broken: BTreeMap<String, HtmlProblem> = BTreeMap::new();
    for (output, scan) in &ctx.scans {
        let from = output_url(&ctx.site.config().root, output);
        for link in &scan.links {
            match resolver.resolve(&from, &link.url) {
                Target::Skip => {}
                Target::External(url) => {
                    external.push(ExternalRef::on_page(url, from.clone()));
                }
                target => {
                    if let Target::Internal {
                        output: Some(to), ..
                    } = &target
                        && to.as_str() != *output
                        && !aliases.contains(*output)
                    {
                        linked.insert(to.clone());
                    }
                    // Already reported where it is written (front matter shows up in meta tags).
                    if let Some(problem) = problem(resolver, target, link.is_image())
                        .filter(|p| !reported.contains(p.path()))
                    {
                        broken
                            .entry(link.url.clone())
                            .or_insert_with(|| HtmlProblem {
                                problem,
                                pages: BTreeSet::new(),
                            })
                            .pages
                            .insert(from.clone());
                    }
                }
            }
        }
    }
    for (url, found) in broken {
        report_html(ctx, resolver, markdown, &url, &found, findings);
    }
    linked
}

/// The address of an output: `blog/x/index.html` → `/blog/x/`, `404.html` → `/404.html`.
pub(crate) fn output_url(root: &str, output: &str) -> String {
    match output.strip_suffix("index.html") {
        Some(dir) if dir.is_empty() || dir.ends_with('/') => format!("{root}{dir}"),
        _ => format!("{root}{output}"),
    }
}

/// Reports a broken address of the generated HTML where it can be fixed.
fn report_html(
    ctx: &Ctx<'_>,
    resolver: &Resolver<'_>,
    markdown: &MarkdownLinks,
    url: &str,
    found: &HtmlProblem,
    findings: &mut Findings,
) {
    let pages = &found.pages;
    let first = pages.iter().next().cloned().unwrap_or_default();
    let (message, hint) = describe(ctx, resolver, url, &found.problem);
    let rule = found.problem.rule();
    // Written in Markdown: reported at its line already, or fine where it is written but
    // broken where the page's summary is shown (a relative address on a list page).
    if let Some(uses) = markdown.get(url) {
        for &(d, offset, ok) in uses {
            if ok {
                let doc = &ctx.docs[d];
                findings.at(
                    rule,
                    doc.source,
                    offset,
                    format!(
                        "`{url}` works on this page but not on `{first}`, which shows it in a summary"
                    ),
                    "use an address from the site's root (starting with `/`), or link by file \
                     with `@/`",
                );
            }
        }
        return;
    }
    let on = on_pages(pages);
    // Raw HTML in a Markdown file.
    for doc in &ctx.docs {
        if let Some(offset) = attribute_offset(doc.source.body(), url) {
            findings.at(
                rule,
                doc.source,
                doc.source.body_offset + offset,
                format!("{message} ({on})"),
                hint,
            );
            return;
        }
    }
    // A setting in site.toml, such as `booking_url`.
    let config_text = &ctx.sources.config_text;
    if let Some(offset) = ['"', '\''].iter().find_map(|q| {
        config_text
            .find(&format!("{q}{url}{q}"))
            .map(|i| i + q.len_utf8())
    }) {
        let source = SourceText {
            file: crate::config::CONFIG_FILE.into(),
            text: config_text.as_str().into(),
            body_offset: 0,
        };
        findings.at(rule, &source, offset, format!("{message} ({on})"), hint);
        return;
    }
    // A site template.
    for (name, text) in &ctx.sources.templates {
        if let Some(offset) = attribute_offset(text, url) {
            let source = SourceText {
                file: Path::new("templates").join(name),
                text: text.as_str().into(),
                body_offset: 0,
            };
            findings.at(rule, &source, offset, format!("{message} ({on})"), hint);
            return;
        }
    }
    let hint = match &found.problem {
        Problem::Missing { path, image: false } => match resolver.nearest_page(path) {
            Some(near) => format!("did you mean `{near}`? The address is made by a template"),
            None => "the address is made by a template: fix it in templates/, or add the page \
                     it expects"
                .to_owned(),
        },
        _ => format!("{hint}; the address is made by a template"),
    };
    findings.in_file(
        rule,
        &first,
        format!("{message} ({on}, from the templates)"),
        hint,
    );
}

/// "on /a/" or "on 12 pages: /a/, /b/, /c/ and 9 more".
fn on_pages(pages: &BTreeSet<String>) -> String {
    const SHOWN: usize = 3;
    let list: Vec<&str> = pages.iter().take(SHOWN).map(String::as_str).collect();
    match pages.len() {
        0 => "on no page".to_owned(),
        1 => format!("on `{}`", list[0]),
        n if n <= SHOWN => format!("on {n} pages: `{}`", list.join("`, `")),
        n => format!(
            "on {}: `{}` and {} more",
            plural(n, "page", "pages"),
            list.join("`, `"),
            n - SHOWN
        ),
    }
}

/// The offset of `url` as an attribute value (`="url"` or `='url'`) in `text`.
fn attribute_offset(text: &str, url: &str) -> Option<usize> {
    ['"', '\''].iter().find_map(|q| {
        text.find(&format!("={q}{url}{q}"))
            .map(|i| i + 1 + q.len_utf8())
    })
}

/// Pages that no other generated page links to, by title.
fn orphans(ctx: &Ctx<'_>, linked: &HashSet<String>, findings: &mut Findings) {
    for doc in &ctx.docs {
        let DocKind::Page(id) = doc.kind else {
            continue;
        };
        let page = ctx.site.page(id);
        if linked.contains(&format!("{}index.html", page.path)) {
            continue;
        }
        findings.at_key(
            Rule::OrphanPage,
            doc.source,
            "title",
            format!("nothing links to “{}” (`{}`)", page.title, doc.url),
            "link to it from another page (`[...](@/path/to/page.md)`) or add it to `[[menu]]` \
             in site.toml, so visitors and search engines can find it",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_dot_segments_like_a_browser() {
        assert_eq!(normalize("/blog/x/../y/"), "/blog/y/");
        assert_eq!(normalize("/blog/./y"), "/blog/y");
        assert_eq!(normalize("/../../a"), "/a");
        assert_eq!(normalize("/a/.."), "/");
        assert_eq!(directory_of("/blog/x/"), "/blog/x/");
        assert_eq!(directory_of("/404.html"), "/");
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("caf%C3%A9"), "café");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%ff"), "%ff");
    }

    #[test]
    fn output_urls() {
        assert_eq!(output_url("/", "index.html"), "/");
        assert_eq!(output_url("/", "blog/x/index.html"), "/blog/x/");
        assert_eq!(output_url("/c/", "404.html"), "/c/404.html");
        assert_eq!(output_url("/", "windex.html"), "/windex.html");
    }
}
