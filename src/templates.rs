//! The template set: the built-in theme, embedded in the binary, and the site's own templates,
//! which replace built-in ones by name.
//!
//! Tera errors already carry the template, line and column; here they become diagnostics that
//! name the template's file, so a broken template reads like any other error.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use tera::{ErrorKind, Tera};

use crate::error::{Diagnostic, Diagnostics};

mod cards;

pub(crate) use cards::{Cards, take_card_error, with_cards};

include!(concat!(env!("OUT_DIR"), "/theme.rs"));

/// The prefix under which the built-in templates are registered.
const THEME_PREFIX: &str = "theme/";

/// The built-in theme's static files, as `(name, bytes)`.
pub fn theme_static() -> &'static [(&'static str, &'static [u8])] {
    THEME_STATIC
}

/// Whether every one of a site's templates is a copy of the built-in one of the same name (or
/// there are none), so the site renders exactly as the built-in theme does.
pub(crate) fn only_theme(site_templates: &[(String, String)]) -> bool {
    site_templates.iter().all(|(name, text)| {
        THEME_TEMPLATES
            .iter()
            .any(|(theme_name, theme_text)| theme_name == name && theme_text == text)
    })
}

/// The loaded templates and their sources, kept to point errors at the right line.
pub struct Templates {
    /// The Tera instance, ready to render.
    pub tera: Tera,
    sources: HashMap<String, String>,
    /// The copy of `tera` that the `card` function renders with (see [`cards`]).
    card_tera: Arc<OnceLock<Tera>>,
}

impl Templates {
    /// Loads the built-in theme and then the site's templates (as `(name, text)`).
    pub fn load(site_templates: &[(String, String)]) -> Result<Templates, Diagnostics> {
        let mut tera = Tera::new();
        tera.autoescape_on([".html", ".xml", ".htm"]);
        let card_tera = Arc::new(OnceLock::new());
        tera.register_function(
            "card",
            cards::CardFunction {
                tera: Arc::downgrade(&card_tera),
            },
        );
        let mut sources: HashMap<String, String> = HashMap::new();
        tera.set_fallback_prefixes([THEME_PREFIX])
            .map_err(|err| Diagnostics(vec![Diagnostic::error(err.to_string())]))?;
        let theme: Vec<(String, &str)> = THEME_TEMPLATES
            .iter()
            .map(|(name, text)| (format!("{THEME_PREFIX}{name}"), *text))
            .collect();
        for (name, text) in &theme {
            sources.insert(name.clone(), (*text).to_owned());
        }
        if let Err(err) = tera.add_raw_templates(theme.iter().map(|(n, t)| (n.as_str(), *t))) {
            return Err(Diagnostics(vec![error_diagnostic(&err, &sources)]));
        }
        for (name, text) in site_templates {
            sources.insert(name.clone(), text.clone());
        }
        let templates = Templates {
            tera,
            sources,
            card_tera,
        };
        let templates = templates.add_site_templates(site_templates)?;
        // Only the finished set: a card must render with the site's own card template.
        let _ = templates.card_tera.set(templates.tera.clone());
        Ok(templates)
    }

    fn add_site_templates(mut self, site: &[(String, String)]) -> Result<Templates, Diagnostics> {
        if site.is_empty()
            || self
                .tera
                .add_raw_templates(site.iter().map(|(n, t)| (n.as_str(), t.as_str())))
                .is_ok()
        {
            return Ok(self);
        }
        // The batch failed as a whole; add the templates one at a time to report every broken
        // one. A template whose parent is added later is retried until nothing changes.
        let mut pending: Vec<&(String, String)> = site.iter().collect();
        let mut errors = Vec::new();
        loop {
            errors.clear();
            let before = pending.len();
            pending.retain(
                |(name, text)| match self.tera.add_raw_template(name, text) {
                    Ok(()) => false,
                    Err(err) => {
                        errors.push(err);
                        true
                    }
                },
            );
            if pending.is_empty() || pending.len() == before {
                break;
            }
        }
        let mut diagnostics = Diagnostics::default();
        for err in &errors {
            diagnostics.push(error_diagnostic(err, &self.sources));
        }
        diagnostics.sort();
        Err(diagnostics)
    }

    /// A diagnostic for an error that happened while rendering with a template.
    pub fn error(&self, err: &tera::Error) -> Diagnostic {
        error_diagnostic(err, &self.sources)
    }
}

/// How a template is named in messages: `templates/page.html` for a site's own template, and
/// `(built-in theme) page.html` for the embedded one.
pub fn shown_template(name: &str) -> PathBuf {
    match name.strip_prefix(THEME_PREFIX) {
        Some(theme) => PathBuf::from(format!("(built-in theme) templates/{theme}")),
        None => PathBuf::from("templates").join(name),
    }
}

fn error_diagnostic(err: &tera::Error, sources: &HashMap<String, String>) -> Diagnostic {
    match err.kind() {
        ErrorKind::SyntaxError(report) | ErrorKind::RenderingError(report) => {
            let name = report.filename();
            let diagnostic = Diagnostic::error(report.message().to_owned());
            match sources.get(name) {
                Some(text) => diagnostic.at(
                    shown_template(name),
                    text,
                    report.span().range.start.min(text.len()),
                ),
                None => diagnostic.in_file(shown_template(name)),
            }
        }
        ErrorKind::MissingParent { current, parent } => Diagnostic::error(format!(
            "this template extends `{parent}`, which does not exist"
        ))
        .in_file(shown_template(current))
        .with_hint("check the name in `{% extends \"...\" %}`"),
        ErrorKind::CircularExtend { tpl, .. } => {
            Diagnostic::error("this template extends itself, through other templates")
                .in_file(shown_template(tpl))
        }
        ErrorKind::TemplateNotFound(name) => {
            Diagnostic::error(format!("there is no template `{name}`")).with_hint(format!(
                "create `templates/{name}`, or use one of the built-in templates"
            ))
        }
        _ if located(&err.to_string(), sources).is_some() => {
            located(&err.to_string(), sources).unwrap_or_else(|| Diagnostic::error(err.to_string()))
        }
        _ => {
            let mut message = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                message.push_str(": ");
                message.push_str(&cause.to_string());
                source = cause.source();
            }
            Diagnostic::error(message)
        }
    }
}

/// Reads a report Tera gave as plain text (`error: MESSAGE` then ` --> NAME:LINE:COL`, as for an
/// unknown filter) into a diagnostic at that place of the template.
fn located(report: &str, sources: &HashMap<String, String>) -> Option<Diagnostic> {
    let mut lines = report.lines();
    let message = lines
        .next()?
        .trim()
        .trim_start_matches("error: ")
        .to_owned();
    let locus = lines.next()?.trim().strip_prefix("--> ")?;
    let mut parts = locus.rsplitn(3, ':');
    let col: usize = parts.next()?.parse().ok()?;
    let line: usize = parts.next()?.parse().ok()?;
    let name = parts.next()?;
    let text = sources.get(name)?;
    let offset = crate::error::offset_of(text, line, col);
    Some(Diagnostic::error(message).at(shown_template(name), text, offset))
}
