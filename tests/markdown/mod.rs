//! Markdown: the extensions staff use, heading ids and anchors, the table of contents, summary,
//! word count and reading time, `@/` links and their errors, raw HTML, and titles escaped
//! wherever they appear.

use crate::support::{CONTENT_ONLY, Site, md, page, post, xml};

/// Renders `body` as the only page of a site whose page template shows just the content.
fn render(body: &str) -> String {
    Site::new()
        .file("templates/page.html", CONTENT_ONLY)
        .file("content/a.md", page("A", body))
        .build()
        .success()
        .read("a/index.html")
}

#[test]
fn tables() {
    let html = render("| Massage | Minutes |\n| --- | ---: |\n| Swedish | 60 |\n");
    assert!(html.contains("<table>"), "{html}");
    assert!(html.contains("<th>Massage</th>"), "{html}");
    assert!(
        html.contains("<td style=\"text-align: right\">60</td>"),
        "{html}"
    );
}

#[test]
fn footnotes() {
    let html = render("Ice helps.[^ice]\n\n[^ice]: For the first 48 hours.\n");
    assert!(
        html.contains("<sup class=\"footnote-reference\"><a href=\"#ice\">"),
        "{html}"
    );
    assert!(
        html.contains("<div class=\"footnote-definition\" id=\"ice\">"),
        "{html}"
    );
    assert!(html.contains("For the first 48 hours."), "{html}");
}

#[test]
fn strikethrough() {
    assert!(render("Was ~~$80~~ now $70.\n").contains("<del>$80</del>"));
}

#[test]
fn task_lists() {
    let html = render("- [x] Drink water\n- [ ] Stretch\n");
    assert!(
        html.contains("<input disabled=\"\" type=\"checkbox\" checked=\"\"/>"),
        "{html}"
    );
    assert!(
        html.contains("<input disabled=\"\" type=\"checkbox\"/>\nStretch"),
        "{html}"
    );
}

#[test]
fn smart_punctuation() {
    let html = render("Don't \"rush\" -- breathe... then 'rest' --- always.\n");
    assert_eq!(
        html,
        "<p>Don’t “rush” – breathe… then ‘rest’ — always.</p>\n"
    );
}

#[test]
fn headings_never_take_the_themes_own_ids() {
    let html = render("## Main\n\nA\n\n## Main\n\nB\n\n## Related heading\n\n## Main 1\n");
    for id in ["main-1", "main-2", "related-heading-1", "main-1-1"] {
        assert_eq!(
            html.matches(&format!("id=\"{id}\"")).count(),
            1,
            "id {id}: {html}"
        );
    }
    assert!(!html.contains("id=\"main\""), "{html}");
    assert!(!html.contains("id=\"related-heading\""), "{html}");
}

#[test]
fn heading_ids_are_unique_per_page_with_anchor_links() {
    let html =
        render("## Neck Pain\n\nA\n\n## Neck Pain\n\nB\n\n### Neck pain!\n\n## Custom {#my-id}\n");
    for id in ["neck-pain", "neck-pain-1", "neck-pain-2", "my-id"] {
        assert_eq!(
            html.matches(&format!("id=\"{id}\"")).count(),
            1,
            "id {id}: {html}"
        );
        assert!(
            html.contains(&format!("<a class=\"anchor\" href=\"#{id}\"")),
            "no anchor link to {id}: {html}"
        );
    }
    assert!(html.contains("<h2 id=\"neck-pain\">Neck Pain"), "{html}");
    assert!(html.contains("<h3 id=\"neck-pain-2\">Neck pain!"), "{html}");
}

#[test]
fn heading_ids_restart_on_each_page() {
    let run = Site::new()
        .file("templates/page.html", CONTENT_ONLY)
        .file("content/a.md", page("A", "## Intro\n"))
        .file("content/b.md", page("B", "## Intro\n"))
        .build()
        .success();
    assert!(run.read("a/index.html").contains("<h2 id=\"intro\">"));
    assert!(run.read("b/index.html").contains("<h2 id=\"intro\">"));
}

#[test]
fn toc_nests_headings() {
    let run = Site::new()
        .file(
            "templates/page.html",
            "{% for h in page.toc %}{{ h.level }}:{{ h.id }}:{{ h.title }}[{% for c in h.children %}{{ c.level }}:{{ c.id }}:{{ c.title }};{% endfor %}]{% endfor %}",
        )
        .file(
            "content/a.md",
            page(
                "A",
                "## Why *massage*\n\n### Blood flow\n\n### Tension\n\n## How `often`\n\n## Wrapping up\n",
            ),
        )
        .build()
        .success();
    assert_eq!(
        run.read("a/index.html"),
        "2:why-massage:Why massage[3:blood-flow:Blood flow;3:tension:Tension;]\
         2:how-often:How often[]2:wrapping-up:Wrapping up[]"
    );
}

fn summary_of(body: &str) -> String {
    Site::new()
        .file("templates/page.html", "{{ page.summary | safe }}")
        .file("content/a.md", page("A", body))
        .build()
        .success()
        .read("a/index.html")
}

#[test]
fn summary_is_what_comes_before_more() {
    assert_eq!(
        summary_of("First *para*.\n\nSecond para.\n\n<!-- more -->\n\nThe rest.\n"),
        "<p>First <em>para</em>.</p>\n<p>Second para.</p>\n"
    );
}

#[test]
fn summary_is_the_first_paragraph_without_more() {
    assert_eq!(
        summary_of("## A heading\n\nOnly *this*.\n\nNot this.\n"),
        "<p>Only <em>this</em>.</p>\n"
    );
}

/// The summary is shown with `| safe` inside list pages, so it must be whole elements wherever
/// the marker is.
#[test]

fn summary_is_balanced_html_wherever_more_is() {
    for (body, kept) in [
        (
            "First part <!-- more --> second part.\n\nMore.\n",
            "First part",
        ),
        ("- item one\n\n  <!-- more -->\n- item two\n", "item one"),
    ] {
        let summary = summary_of(body);
        assert!(summary.contains(kept), "{body:?} gives {summary:?}");
        assert!(
            xml::parse(&format!("<div>{summary}</div>")).is_ok(),
            "{body:?} gives unbalanced HTML {summary:?}"
        );
    }
}

#[test]
fn word_count_and_reading_time() {
    let words = "knead ".repeat(450);
    let run = Site::new()
        .file(
            "templates/page.html",
            "{{ page.word_count }} words, {{ page.reading_time }} min",
        )
        .file(
            "content/long.md",
            page("Long", &format!("{words}\n\n## Two more words\n")),
        )
        .file("content/short.md", page("Short", "Hi."))
        .build()
        .success();
    assert_eq!(run.read("long/index.html"), "453 words, 3 min");
    assert_eq!(run.read("short/index.html"), "1 words, 1 min");
}

fn linking_site() -> Site {
    Site::new()
        .file("templates/page.html", CONTENT_ONLY)
        .file(
            "content/blog/other.md",
            page("Other", "## Section\n\nText.\n\n## Section\n"),
        )
        .file("content/blog/_index.md", md("title = \"Blog\"", ""))
}

#[test]
fn internal_links_resolve_to_addresses_with_anchors() {
    let run = linking_site()
        .file(
            "content/about.md",
            page(
                "About",
                "[a](@/blog/other.md#section) [b](@/blog/other.md#section-1) [c](@/blog/other.md) [d](@/blog/_index.md)\n",
            ),
        )
        .build()
        .success();
    let html = run.read("about/index.html");
    for href in [
        "href=\"/blog/other/#section\"",
        "href=\"/blog/other/#section-1\"",
        "href=\"/blog/other/\"",
        "href=\"/blog/\"",
    ] {
        assert!(html.contains(href), "no {href} in {html}");
    }
}

#[test]
fn internal_links_include_the_path_of_base_url() {
    let run = linking_site()
        .file(
            "site.toml",
            "title = \"T\"\nbase_url = \"https://example.org/clinic/\"\n",
        )
        .file(
            "content/about.md",
            page("About", "[a](@/blog/other.md#section)\n"),
        )
        .build()
        .success();
    assert!(
        run.read("about/index.html")
            .contains("href=\"/clinic/blog/other/#section\"")
    );
}

#[test]
fn link_to_a_missing_page_is_an_error_at_its_place() {
    let run = linking_site()
        .file(
            "content/about.md",
            "+++\ntitle = \"About\"\n+++\n\nIntro.\n\nSee   [this](@/blog/missing.md).\n",
        )
        .build()
        .exit(1);
    assert!(
        run.stderr.contains(
            "content/about.md:7:7: error: link to `@/blog/missing.md`, but there is no `content/blog/missing.md`\n  |\n7 | See   [this](@/blog/missing.md).\n  |       ^\n"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn link_to_a_missing_anchor_is_an_error_at_its_place() {
    let run = linking_site()
        .file(
            "content/about.md",
            "---\ntitle: About\n---\nIntro.\n\n- item\n- [x](@/blog/other.md#sektion)\n",
        )
        .build()
        .exit(1);
    assert!(
        run.stderr.contains(
            "content/about.md:7:3: error: link to `@/blog/other.md#sektion`, but that page has no heading `sektion`"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("= help: did you mean `#section`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn link_to_a_draft_is_an_error_without_drafts() {
    let site = linking_site()
        .file(
            "content/blog/wip.md",
            md("title = \"WIP\"\ndraft = true", ""),
        )
        .file("content/about.md", page("About", "[wip](@/blog/wip.md)\n"));
    site.build()
        .exit(1)
        .stderr_has("content/about.md:4:1: error: link to `@/blog/wip.md`");
    site.build_with(&["--drafts"]).success();
}

#[test]
fn raw_html_passes_through() {
    let html = render(
        "<div class=\"callout\">\n<p>Call <kbd>us</kbd></p>\n</div>\n\nPress <kbd>Ctrl</kbd>.\n\n<iframe src=\"https://maps.example/x\"></iframe>\n",
    );
    assert!(
        html.contains("<div class=\"callout\">\n<p>Call <kbd>us</kbd></p>\n</div>"),
        "{html}"
    );
    assert!(html.contains("<p>Press <kbd>Ctrl</kbd>.</p>"), "{html}");
    assert!(
        html.contains("<iframe src=\"https://maps.example/x\"></iframe>"),
        "{html}"
    );
}

const NASTY: &str = r#"Neck & "Shoulder" <b>pain</b>"#;

fn nasty_site() -> Site {
    Site::new()
        .file(
            "content/blog/x.md",
            md(
                &format!(
                    "title = '{NASTY}'\ndate = 2025-01-01\ndescription = '<i>Why</i> & \"how\"'\ntags = ['{NASTY}']"
                ),
                "Plain body.\n",
            ),
        )
        .file("content/blog/_index.md", md("title = \"Blog\"", ""))
}

/// The title is text: the built-in templates must escape it everywhere it appears on the page,
/// in lists and on the tag page.
#[test]
fn titles_are_escaped_in_html() {
    let run = nasty_site().build().success();
    for file in [
        "blog/x/index.html",
        "blog/index.html",
        "index.html",
        "tags/index.html",
        "tags/neck-shoulder-b-pain-b/index.html",
    ] {
        let html = run.read(file);
        assert!(!html.contains("<b>"), "{file} has a raw <b>:\n{html}");
        assert!(!html.contains("<i>"), "{file} has a raw <i>:\n{html}");
        assert!(
            !html.contains(r#""Shoulder""#),
            "{file} has raw quotes:\n{html}"
        );
    }
    let page = run.read("blog/x/index.html");
    assert!(
        page.contains("Neck &amp; &quot;Shoulder&quot; &lt;b&gt;pain&lt;"),
        "{page}"
    );
}

#[test]
fn titles_are_escaped_in_the_atom_feed() {
    let run = nasty_site().build().success();
    let feed = xml::parse(&run.read("atom.xml"))
        .unwrap_or_else(|e| panic!("atom.xml is not XML: {e}\n{}", run.read("atom.xml")));
    let entry = feed.child("entry");
    assert_eq!(entry.child("title").text, NASTY);
    assert_eq!(entry.child("summary").text, "<i>Why</i> & \"how\"");
    assert_eq!(entry.child("category").attr("label"), Some(NASTY));
}

#[test]
fn addresses_are_escaped_in_the_sitemap() {
    let run = nasty_site()
        .file(
            "site.toml",
            "title = 'A & \"B\" <c>'\nbase_url = \"https://clinic.example/a&b\"\n",
        )
        .build()
        .success();
    let text = run.read("sitemap.xml");
    let sitemap =
        xml::parse(&text).unwrap_or_else(|e| panic!("sitemap.xml is not XML: {e}\n{text}"));
    let locs: Vec<&str> = sitemap
        .all("url")
        .map(|u| u.child("loc").text.as_str())
        .collect();
    assert!(
        locs.contains(&"https://clinic.example/a&b/blog/x/"),
        "{locs:?}"
    );
    assert!(
        locs.contains(&"https://clinic.example/a&b/tags/neck-shoulder-b-pain-b/"),
        "{locs:?}"
    );
    let feed = run.read("atom.xml");
    let feed = xml::parse(&feed).unwrap_or_else(|e| panic!("atom.xml: {e}\n{feed}"));
    assert_eq!(feed.child("title").text, "A & \"B\" <c>");
}

#[test]
fn code_blocks_are_escaped() {
    let html = render("```html\n<b>bold</b> & more\n```\n");
    assert!(
        html.contains(
            "<pre><code class=\"language-html\">&lt;b&gt;bold&lt;/b&gt; &amp; more\n</code></pre>"
        ),
        "{html}"
    );
}

#[test]
fn post_helper_dates_render() {
    // Guards the helpers used across these tests.
    let run = Site::new()
        .file("templates/page.html", "{{ page.date }}")
        .file("content/a.md", post("A", "2025-01-02", ""))
        .build()
        .success();
    assert_eq!(run.read("a/index.html"), "2025-01-02");
}

/// The seed article as the example site has it, rendered through a content-only template: a
/// snapshot of the HTML staff's Markdown turns into (headings with ids and anchors, lists,
/// smart punctuation, `@/` links to the service pages).
#[test]
fn seed_article_renders_as_snapshotted() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let article = std::fs::read_to_string(
        repo.join("content/blog/back-and-neck-massage-for-muscle-recovery.md"),
    )
    .unwrap();
    // Without the clinic's photo, which is a file of the example site, not of this one.
    let config = std::fs::read_to_string(repo.join("site.toml"))
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with("photo = "))
        .collect::<Vec<_>>()
        .join("\n");
    let mut site = Site::new()
        .file("site.toml", config)
        .file("templates/page.html", CONTENT_ONLY)
        .file("content/blog/article.md", article);
    for service in [
        "swedish-massage",
        "deep-tissue-massage",
        "trigger-point-therapy",
        "myofascial-release",
        "sports-massage",
    ] {
        site = site.file(&format!("content/services/{service}.md"), page(service, ""));
    }
    let html = site
        .build_with(&["--future"])
        .success()
        .read("blog/article/index.html");
    insta::assert_snapshot!("seed_article_content", html);
}
