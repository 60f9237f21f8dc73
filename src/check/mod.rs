//! `knead check`: the editor a clinic does not have. It builds the site in memory (writing
//! nothing), then reads the result like a careful colleague would: broken links and images, SEO
//! basics, accessibility, readability, health claims that need a source, and posts due for a
//! medical review, each pointed at its line and column.
//!
//! Every rule has a stable id ([`Rule`]) shown in its messages and used by `[check] ignore` in
//! site.toml; the ids and the `[check]` settings are declared in [`crate::config::check`], so
//! that reading site.toml does not depend on this command. The rules are plain functions of the built site; only `--external` does IO, and
//! its results are cached (see [`external`]).

mod body;
pub mod external;
mod health;
pub(crate) use health::unsourced_medical_posts;
mod html;
mod links;
mod readability;
mod report;
mod seo;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rayon::prelude::*;

pub use self::report::Report;
use crate::config::check::CheckConfig;
pub use crate::config::check::Rule;
use crate::content::{PageId, SectionId, SourceText};
use crate::error::Diagnostic;
use crate::markdown::Bodies;
use crate::render::{Output, Outputs};
use crate::site::Site;
use crate::source::Sources;
use crate::{BuildOptions, Result};

/// What `knead check` was asked to do.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Which site, and how to build it (drafts, the moment of "now").
    pub build: BuildOptions,
    /// Also check links to other sites, over the network.
    pub external: bool,
    /// Report warnings as errors.
    pub deny_warnings: bool,
    /// How external links are checked.
    pub http: external::HttpOptions,
}

impl CheckOptions {
    /// Options for checking the site at `root` with every default.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        CheckOptions {
            build: BuildOptions::new(root),
            external: false,
            deny_warnings: false,
            http: external::HttpOptions::default(),
        }
    }
}

/// One finding: a diagnostic, and the rule that made it (`None` for the build's own warnings
/// and errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule, when a rule made it.
    pub rule: Option<Rule>,
    /// What and where; the message does not include the rule id.
    pub diagnostic: Diagnostic,
}

impl Finding {
    /// The diagnostic as printed: the rule id appended to the message.
    pub fn shown(&self) -> Diagnostic {
        let mut diagnostic = self.diagnostic.clone();
        if let Some(rule) = self.rule {
            diagnostic.message = format!("{} [{}]", diagnostic.message, rule.id());
        }
        diagnostic
    }
}

/// Builds the site in memory and runs every rule. A site that does not build is
/// `Err(Error::Site(..))` with the build's errors.
pub fn check(options: &CheckOptions) -> Result<Report> {
    let sources = crate::source::read(&options.build.root)?;
    // A file that does not parse and a broken `@/` link do not stop the check: their errors
    // are reported with everything else found in the same run.
    let (prepared, mut build_errors) = crate::prepare_each(&sources, &options.build)?;
    let crate::Prepared {
        site,
        bodies,
        assets,
        templates,
        warnings,
    } = prepared;
    build_errors.extend(crate::assets::on_this_computer_refs(&site, &bodies).0);
    // The slips of the keyboard the build warns about (a paragraph indented into a code box,
    // `##In Short`, a link shown as text).
    build_errors.extend(bodies.warnings().0);
    // What `knead init` and `knead new` wrote and nobody replaced: the build would stop on the
    // example `base_url`, and warn about the rest.
    build_errors.extend(crate::placeholders::check(&sources, options.build.base_url.is_some()).0);
    build_errors.extend(crate::placeholders::new_post_text(&site).0);
    let outputs = crate::render::render(&site, &bodies, &assets, &templates)?;
    let now = options.build.now.unwrap_or_else(Timestamp::now);
    let ctx = Ctx::new(&site, &bodies, &outputs, &sources, now);
    let mut findings = Findings::default();
    let external_refs = run_rules(&ctx, &mut findings);
    if options.external {
        let cache = external::cache_path(&options.build.root);
        external::check(&ctx, external_refs, &options.http, &cache, &mut findings);
    }
    let settings = &site.config().check;
    let mut all: Vec<Finding> = build_errors
        .0
        .into_iter()
        .chain(warnings.0)
        .map(|diagnostic| Finding {
            rule: None,
            diagnostic,
        })
        .collect();
    all.extend(findings.0.into_iter().filter(|f| {
        let path = f
            .diagnostic
            .location
            .as_ref()
            .map_or(Path::new(""), |l| l.path.as_path());
        f.rule.is_none_or(|rule| !settings.ignores(rule, path))
    }));
    Ok(Report::new(
        all,
        outputs.page_count(),
        options.deny_warnings,
    ))
}

/// Runs every rule but the external links; returns the external links found, to check when
/// asked.
fn run_rules(ctx: &Ctx<'_>, findings: &mut Findings) -> Vec<external::ExternalRef> {
    let external = links::check(ctx, findings);
    seo::check(ctx, findings);
    readability::check(ctx, findings);
    health::check(ctx, findings);
    large_photos(ctx, findings);
    external
}

/// Photos over about 20 megapixels or 15 MB: knead makes the sizes a browser needs from them,
/// but each build that makes them, and each upload of the site's sources, carries them whole.
fn large_photos(ctx: &Ctx<'_>, findings: &mut Findings) {
    const MEGAPIXELS: u64 = 20_000_000;
    const BYTES: u64 = 15 * 1024 * 1024;
    let files = ctx
        .sources
        .static_files
        .iter()
        .map(|f| (f, "static"))
        .chain(ctx.sources.content_assets.iter().map(|f| (f, "content")));
    for (file, folder) in files {
        let Some(photo) = file.photo else { continue };
        let pixels = u64::from(photo.width) * u64::from(photo.height);
        let bytes = std::fs::metadata(&file.path).map_or(0, |m| m.len());
        if pixels > MEGAPIXELS || bytes > BYTES {
            findings.in_file(
                Rule::LargePhoto,
                Path::new(folder).join(&file.rel),
                format!(
                    "this photo is {:.0} megapixels ({}x{}, {:.1} MB): every build that makes its \
                     sizes, and every upload of the site, carries it whole",
                    pixels as f64 / 1e6,
                    photo.width,
                    photo.height,
                    bytes as f64 / (1024.0 * 1024.0)
                ),
                "save a copy about 3000 pixels wide in its place: knead makes the smaller sizes \
                 visitors need from it",
            );
        }
    }
}

/// The built site and what the rules read from it, computed once.
pub(crate) struct Ctx<'a> {
    pub(crate) site: &'a Site,
    pub(crate) bodies: &'a Bodies,
    pub(crate) outputs: &'a Outputs,
    pub(crate) sources: &'a Sources,
    pub(crate) settings: &'a CheckConfig,
    pub(crate) now: Timestamp,
    /// Every page, then every section that has an `_index.md`.
    pub(crate) docs: Vec<Doc<'a>>,
    /// Every generated HTML page, by output path, read.
    pub(crate) scans: BTreeMap<&'a str, html::Scan>,
}

/// A Markdown file of the site and what its body holds.
pub(crate) struct Doc<'a> {
    pub(crate) source: &'a SourceText,
    pub(crate) kind: DocKind,
    /// Its address, from the server's root (`/blog/post/`).
    pub(crate) url: String,
    pub(crate) body: body::Body,
}

/// Whether a [`Doc`] is a page or a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocKind {
    Page(PageId),
    Section(SectionId),
}

impl<'a> Ctx<'a> {
    fn new(
        site: &'a Site,
        bodies: &'a Bodies,
        outputs: &'a Outputs,
        sources: &'a Sources,
        now: Timestamp,
    ) -> Self {
        let root = &site.config().root;
        let mut docs: Vec<(DocKind, &SourceText, String)> = site
            .pages()
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    DocKind::Page(PageId(i)),
                    &p.source,
                    format!("{root}{}", p.path),
                )
            })
            .collect();
        docs.extend(
            site.sections()
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.source.file.as_os_str().is_empty())
                .map(|(i, s)| {
                    (
                        DocKind::Section(SectionId(i)),
                        &s.source,
                        format!("{root}{}", s.path),
                    )
                }),
        );
        let docs = docs
            .into_par_iter()
            .map(|(kind, source, url)| Doc {
                source,
                kind,
                url,
                body: body::walk(source),
            })
            .collect();
        let scans = outputs
            .0
            .par_iter()
            .filter_map(|(path, output)| match output {
                Output::Bytes(bytes) if path.ends_with(".html") => {
                    Some((path.as_str(), html::scan(&String::from_utf8_lossy(bytes))))
                }
                _ => None,
            })
            .collect();
        Ctx {
            site,
            bodies,
            outputs,
            sources,
            settings: &site.config().check,
            now,
            docs,
            scans,
        }
    }

    /// Whether page `id` is a post: dated, or in a date-sorted section other than the home one.
    pub(crate) fn is_post(&self, id: PageId) -> bool {
        let page = self.site.page(id);
        let section = self.site.page_section()[id.0];
        page.date.is_some()
            || (section.0 != 0
                && self.site.sections()[section.0].sort_by == crate::front_matter::SortBy::Date)
    }

    /// The pages that are posts, with their docs.
    pub(crate) fn posts(&self) -> impl Iterator<Item = (PageId, &Doc<'a>)> {
        self.docs.iter().filter_map(|doc| match doc.kind {
            DocKind::Page(id) if self.is_post(id) => Some((id, doc)),
            _ => None,
        })
    }
}

/// The findings of a run, collected by the rules.
#[derive(Debug, Default)]
pub(crate) struct Findings(pub(crate) Vec<Finding>);

impl Findings {
    /// A finding of `rule` at byte `offset` of `source`.
    pub(crate) fn at(
        &mut self,
        rule: Rule,
        source: &SourceText,
        offset: usize,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.push(
            rule,
            Diagnostic::error(message)
                .at(&source.file, &source.text, offset)
                .with_hint(hint),
        );
    }

    /// A finding of `rule` at the front matter line setting `key` (or the first line).
    pub(crate) fn at_key(
        &mut self,
        rule: Rule,
        source: &SourceText,
        key: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.at(rule, source, key_offset(source, key), message, hint);
    }

    /// A finding of `rule` about something with no source line, such as a generated page
    /// (named by its address) or a whole file.
    pub(crate) fn in_file(
        &mut self,
        rule: Rule,
        path: impl Into<PathBuf>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.push(
            rule,
            Diagnostic::error(message).in_file(path).with_hint(hint),
        );
    }

    /// Adds a diagnostic made elsewhere, giving it the rule's severity.
    pub(crate) fn push(&mut self, rule: Rule, mut diagnostic: Diagnostic) {
        diagnostic.severity = rule.severity();
        self.0.push(Finding {
            rule: Some(rule),
            diagnostic,
        });
    }
}

/// The byte offset of the front matter line that sets `key` in `source`, or 0.
pub(crate) fn key_offset(source: &SourceText, key: &str) -> usize {
    key_line(source, key).unwrap_or(0)
}

/// The byte offset of the front matter line that sets `key` in `source`, if there is one.
pub(crate) fn key_line(source: &SourceText, key: &str) -> Option<usize> {
    let front = source.text.get(..source.body_offset).unwrap_or_default();
    crate::toml_errors::find_key_line(front, key, '=')
        .or_else(|| crate::toml_errors::find_key_line(front, key, ':'))
}

/// "1 word" / "2 words".
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
