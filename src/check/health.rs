//! Health advice that a clinic can stand behind: phrases that promise too much (from the
//! `claims` list), medical posts without sources, and posts due for a medical review.

use jiff::Span;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::body::Prose;
use super::{Ctx, Doc, DocKind, Findings, Rule};
use crate::content::SourceText;

pub(crate) fn check(ctx: &Ctx<'_>, findings: &mut Findings) {
    let phrases = ctx.settings.claim_phrases();
    let today = ctx.now.to_zoned_datetime(TimeZone::UTC).date();
    for doc in &ctx.docs {
        if !phrases.is_empty() {
            claims_in_front_matter(ctx, doc, &phrases, findings);
            for block in &doc.body.blocks {
                claims_in_prose(doc.source, block, &phrases, findings);
            }
        }
        if let DocKind::Page(id) = doc.kind {
            let page = ctx.site.page(id);
            medical_sources(doc, page.medical, &page.sources, findings);
            review_due(ctx, doc, page, today, findings);
        }
    }
}

const CLAIM_HINT: &str = "cite a source for it (a study or guideline, linked in the text and \
                          listed in `sources`), or soften it: “may help”, “many clients find”";

/// Matches of `phrases` in `text` (compared ignoring ASCII case), as byte ranges, whole words
/// only; where matches overlap, the longest wins.
pub(crate) fn find_claims(text: &str, phrases: &[String]) -> Vec<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let mut found: Vec<(usize, usize)> = Vec::new();
    for phrase in phrases {
        let mut from = 0;
        while let Some(i) = lower[from..].find(phrase.as_str()) {
            let start = from + i;
            let end = start + phrase.len();
            let before = lower[..start].chars().next_back();
            let after = lower[end..].chars().next();
            if !before.is_some_and(char::is_alphanumeric)
                && !after.is_some_and(char::is_alphanumeric)
            {
                found.push((start, end));
            }
            from = start + lower[start..].chars().next().map_or(1, char::len_utf8);
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut kept: Vec<(usize, usize)> = Vec::new();
    for (start, end) in found {
        if kept.last().is_none_or(|&(_, last_end)| start >= last_end) {
            kept.push((start, end));
        }
    }
    kept
}

fn claims_in_prose(
    source: &SourceText,
    block: &Prose,
    phrases: &[String],
    findings: &mut Findings,
) {
    for (start, end) in find_claims(&block.text, phrases) {
        findings.at(
            Rule::HealthClaim,
            source,
            block.offset(start),
            format!("“{}” is a health claim", &block.text[start..end]),
            CLAIM_HINT,
        );
    }
}

/// Claims in the title and description, which search results show.
fn claims_in_front_matter(
    ctx: &Ctx<'_>,
    doc: &Doc<'_>,
    phrases: &[String],
    findings: &mut Findings,
) {
    let (title, description) = match doc.kind {
        DocKind::Page(id) => {
            let page = ctx.site.page(id);
            (&page.title, &page.description)
        }
        DocKind::Section(id) => {
            let section = &ctx.site.sections()[id.0];
            (&section.title, &section.description)
        }
    };
    for (key, value) in [("title", title), ("description", description)] {
        let Some(line_start) = super::key_line(doc.source, key) else {
            continue;
        };
        let line = doc.source.text[line_start..]
            .lines()
            .next()
            .unwrap_or_default();
        for (start, end) in find_claims(value, phrases) {
            let phrase = &value[start..end];
            // Point at the phrase on the key's line when it is written there as it reads.
            let column = find_claims(line, &[phrase.to_ascii_lowercase()])
                .first()
                .map_or(0, |&(s, _)| s);
            findings.at(
                Rule::HealthClaim,
                doc.source,
                line_start + column,
                format!("“{phrase}” in the {key} is a health claim"),
                CLAIM_HINT,
            );
        }
    }
}

const MEDICAL_MESSAGE: &str = "this post is marked `medical = true` but lists no `sources`";
const MEDICAL_HINT: &str = "list the studies or guidelines its advice rests on, e.g. \
    `sources = [\"https://www.nccih.nih.gov/health/massage-therapy-what-you-need-to-know\"]`";

/// Whether a page marked `medical` lists no source.
fn unsourced(medical: bool, sources: &[String]) -> bool {
    medical && sources.iter().all(|s| s.trim().is_empty())
}

fn medical_sources(doc: &Doc<'_>, medical: bool, sources: &[String], findings: &mut Findings) {
    if unsourced(medical, sources) {
        findings.at_key(
            Rule::MedicalSources,
            doc.source,
            "medical",
            MEDICAL_MESSAGE,
            MEDICAL_HINT,
        );
    }
}

/// The posts marked `medical = true` without `sources`, as warnings of `knead build` (the
/// `medical-sources` rule of `knead check`, which calls them errors).
pub(crate) fn unsourced_medical_posts(site: &crate::site::Site) -> crate::error::Diagnostics {
    let mut warnings = crate::error::Diagnostics::default();
    for page in site.pages() {
        if unsourced(page.medical, &page.sources) {
            let source = &page.source;
            warnings.push(
                crate::error::Diagnostic::warning(MEDICAL_MESSAGE)
                    .at(
                        &source.file,
                        &source.text,
                        super::key_offset(source, "medical"),
                    )
                    .with_hint(MEDICAL_HINT),
            );
        }
    }
    warnings
}

fn review_due(
    ctx: &Ctx<'_>,
    doc: &Doc<'_>,
    page: &crate::content::Page,
    today: Date,
    findings: &mut Findings,
) {
    let months = ctx.settings.review_interval_months;
    let hint = "have a qualified colleague check it, then set `last_reviewed` to that day (and \
                `reviewed_by` to their author id)";
    match page.last_reviewed {
        Some(reviewed) => {
            let due = reviewed
                .day
                .checked_add(Span::new().months(i64::from(months)))
                .unwrap_or(Date::MAX);
            if due <= today {
                findings.at_key(
                    Rule::ReviewDue,
                    doc.source,
                    "last_reviewed",
                    format!(
                        "due for review: last reviewed on {}, more than {} ago",
                        reviewed.display(),
                        super::plural(months as usize, "month", "months")
                    ),
                    hint,
                );
            }
        }
        None if page.medical => findings.at_key(
            Rule::ReviewDue,
            doc.source,
            "medical",
            "due for review: this medical post has no `last_reviewed`",
            hint,
        ),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_whole_words_ignoring_case_longest_first() {
        let phrases: Vec<String> = ["toxins", "flush toxins", "cure"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let text = "Flush Toxins fast. Toxins! A cure, not curevery or secure.";
        let found: Vec<&str> = find_claims(text, &phrases)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect();
        assert_eq!(found, ["Flush Toxins", "Toxins", "cure"]);
    }
}
