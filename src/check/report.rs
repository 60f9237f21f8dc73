//! What `knead check` prints: findings grouped by file with a summary line, or JSON for tools.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use super::{Finding, plural};
use crate::error::Severity;

/// The outcome of a check: every finding, sorted by file, line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The findings, sorted.
    pub findings: Vec<Finding>,
    /// How many HTML pages the site has.
    pub pages: usize,
}

impl Report {
    /// Sorts and deduplicates `findings`; with `deny_warnings`, every warning becomes an error.
    pub fn new(mut findings: Vec<Finding>, pages: usize, deny_warnings: bool) -> Report {
        if deny_warnings {
            for finding in &mut findings {
                finding.diagnostic.severity = Severity::Error;
            }
        }
        findings.sort_by(|a, b| {
            let key = |f: &Finding| {
                (
                    f.diagnostic.location.clone(),
                    f.rule,
                    f.diagnostic.message.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        findings.dedup();
        Report { findings, pages }
    }

    /// A report of a site that does not build: its errors, as findings of no rule.
    pub fn from_build_errors(diagnostics: crate::error::Diagnostics) -> Report {
        let findings = diagnostics
            .0
            .into_iter()
            .map(|diagnostic| Finding {
                rule: None,
                diagnostic,
            })
            .collect();
        Report::new(findings, 0, false)
    }

    /// How many findings are errors.
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.diagnostic.is_error())
            .count()
    }

    /// How many findings are warnings.
    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }

    /// How many files have findings.
    pub fn files(&self) -> usize {
        self.findings
            .iter()
            .map(|f| f.diagnostic.location.as_ref().map(|l| &l.path))
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// The exit code: 1 with errors, else 0.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.errors() > 0)
    }

    /// The summary line: `2 errors, 3 warnings in 2 files` or `no problems found in 9 pages`.
    pub fn summary(&self) -> String {
        if self.findings.is_empty() {
            return format!(
                "no problems found in {}",
                plural(self.pages, "page", "pages")
            );
        }
        format!(
            "{}, {} in {}",
            plural(self.errors(), "error", "errors"),
            plural(self.warnings(), "warning", "warnings"),
            plural(self.files(), "file", "files")
        )
    }

    /// The report as text: each finding with its source line, caret and hint, a blank line
    /// between findings, then the summary line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for finding in &self.findings {
            let _ = writeln!(out, "{}", finding.shown());
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// The report as JSON: `{"findings": [...], "summary": {...}}`.
    pub fn json(&self) -> String {
        let findings: Vec<JsonFinding<'_>> = self.findings.iter().map(JsonFinding::new).collect();
        let report = JsonReport {
            findings,
            summary: JsonSummary {
                errors: self.errors(),
                warnings: self.warnings(),
                files: self.files(),
                pages: self.pages,
                text: self.summary(),
            },
        };
        let mut json = serde_json::to_string_pretty(&report)
            .unwrap_or_else(|_| "{\"findings\": []}".to_owned());
        json.push('\n');
        json
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    findings: Vec<JsonFinding<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonSummary {
    errors: usize,
    warnings: usize,
    files: usize,
    pages: usize,
    text: String,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: Option<&'static str>,
    severity: &'static str,
    path: Option<String>,
    line: Option<usize>,
    col: Option<usize>,
    message: &'a str,
    hint: Option<&'a str>,
    source_line: Option<&'a str>,
}

impl<'a> JsonFinding<'a> {
    fn new(finding: &'a Finding) -> Self {
        let d = &finding.diagnostic;
        let location = d.location.as_ref();
        JsonFinding {
            rule: finding.rule.map(|r| r.id()),
            severity: match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            path: location.map(|l| l.path.to_string_lossy().replace('\\', "/")),
            line: location.map(|l| l.line).filter(|&n| n > 0),
            col: location.map(|l| l.col).filter(|&n| n > 0),
            message: &d.message,
            hint: d.hint.as_deref(),
            source_line: d.source_line.as_deref(),
        }
    }
}
