//! `knead check`: each rule on a small site that breaks it and one that does not, the exact text
//! and JSON of a report, exit codes, `--external` against a server on 127.0.0.1 started here,
//! and the example site's own findings.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use knead::check::{CheckOptions, Report};

use crate::support::{NOW, SITE_TOML, Site, md, page, post};

/// Library options for `site`, with the clock fixed at [`NOW`].
fn options(site: &Site) -> CheckOptions {
    let mut options = CheckOptions::new(site.root());
    options.build.now = Some(NOW.parse().unwrap());
    options
}

#[track_caller]
fn report(site: &Site) -> Report {
    knead::check::check(&options(site))
        .unwrap_or_else(|err| panic!("the site does not build: {err:?}"))
}

/// The findings of `rule`, as `path:line:col message`.
#[track_caller]
fn hits(site: &Site, rule: &str) -> Vec<String> {
    report(site)
        .findings
        .iter()
        .filter(|f| f.rule.map(|r| r.id()) == Some(rule))
        .map(|f| {
            let d = &f.diagnostic;
            let location = d.location.as_ref().expect("findings have a place");
            format!("{location} {}", d.message)
        })
        .collect()
}

/// A page with a tag, so the theme's link to `/tags/` leads somewhere.
fn tagged(title: &str, body: &str) -> String {
    md(
        &format!("title = {title:?}\ndescription = \"About {title}.\"\ntags = [\"Tips\"]"),
        body,
    )
}

/// `knead check --root <site>` plus `args`.
fn cli(site: &Site, args: &[&str]) -> crate::support::Run {
    let mut command = site.knead();
    command
        .arg("check")
        .arg("--root")
        .arg(site.root())
        .args(args);
    for proxy in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env_remove(proxy);
    }
    site.run(command)
}

// Links

#[test]
fn broken_links_and_anchors_in_markdown_are_errors_at_the_link() {
    let site = Site::new()
        .file("content/b.md", tagged("B", "## Tips\n\nHello.\n"))
        .file(
            "content/a.md",
            tagged(
                "A",
                "The summary.\n\n## Local\n\n\
                 [1](/b/) [2](../b/) [3](/b/#tips) [4](#local) [5](mailto:x@y.z)\n\
                 [6](/nope/) [7](/b/#nope) [8](../gone/)\n",
            ),
        );
    assert_eq!(
        hits(&site, "broken-link"),
        [
            "content/a.md:11:1 link to `/nope/`, but the site has no `/nope/`",
            "content/a.md:11:27 link to `../gone/`, but the site has no `/gone/`",
        ]
    );
    assert_eq!(
        hits(&site, "missing-anchor"),
        ["content/a.md:11:13 link to `/b/#nope`, but `/b/` has no `#nope`"]
    );
}

#[test]
fn links_that_resolve_are_not_reported() {
    let site = Site::fixture("check/clean");
    assert_eq!(report(&site).findings, []);
}

#[test]
fn missing_images_in_markdown_and_front_matter_are_errors() {
    let site = Site::new()
        .file("content/blog/p/pic.png", crate::support::tiny_png())
        .file(
            "content/blog/p/index.md",
            md(
                "title = \"P\"\ndate = 2026-01-01\ntags = [\"Tips\"]\nimage = \"gone.jpg\"\nimage_alt = \"x\"",
                "Text first.\n\n![fine](pic.png) ![gone](gone.png)\n",
            ),
        )
        .file(
            "content/blog/q.md",
            md(
                "title = \"Q\"\ndate = 2026-01-02\nimage = \"/blog/p/pic.png\"\nimage_alt = \"x\"",
                "Hi.\n",
            ),
        );
    assert_eq!(
        hits(&site, "missing-image"),
        [
            "content/blog/p/index.md:5:1 image `gone.jpg` does not exist (the site has no `/blog/p/gone.jpg`)",
            "content/blog/p/index.md:10:18 image `gone.png` does not exist (the site has no `/blog/p/gone.png`)",
        ]
    );
}

#[test]
fn a_relative_link_that_breaks_in_a_summary_is_reported_at_the_link() {
    // An SVG drawing: photos become `<picture>`s with addresses from the site's root.
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"3\"/>";
    let site = Site::new().file("content/blog/p/pic.svg", svg).file(
        "content/blog/p/index.md",
        md(
            "title = \"P\"\ndate = 2026-01-01\ntags = [\"Tips\"]",
            "![A stretch](pic.svg) starts the summary.\n",
        ),
    );
    let found = hits(&site, "missing-image");
    assert_eq!(
        found,
        [
            "content/blog/p/index.md:6:1 `pic.svg` works on this page but not on `/`, which shows it in a summary"
        ],
        "{found:#?}"
    );
}

#[test]
fn broken_links_in_templates_point_at_the_template_the_setting_or_the_page() {
    let site = Site::new()
        .file(
            "site.toml",
            format!("{SITE_TOML}[clinic]\nbooking_url = \"https://clinic.example/book/\"\n"),
        )
        .file("content/a.md", tagged("A", "Hi.\n"))
        .file("content/b.md", tagged("B", "Hi.\n"))
        .file(
            "templates/page.html",
            "{% extends \"base.html\" %}{% block main %}\n<a href=\"/nowhere/\">x</a>\n\
             <a href=\"{{ site.root }}gone/\">y</a>{{ page.content | safe }}{% endblock main %}\n",
        );
    assert_eq!(
        hits(&site, "broken-link"),
        [
            "/a/ link to `/gone/`, but the site has no `/gone/` (on 2 pages: `/a/`, `/b/`, from the templates)",
            "site.toml:4:16 link to `https://clinic.example/book/`, but the site has no `/book/` (on 7 pages: `/`, `/404.html`, `/a/` and 4 more)",
            "templates/page.html:2:10 link to `/nowhere/`, but the site has no `/nowhere/` (on 2 pages: `/a/`, `/b/`)",
        ]
    );
}

#[test]
fn a_page_nothing_links_to_is_an_orphan() {
    let site = Site::new()
        .file(
            "site.toml",
            format!("{SITE_TOML}[[menu]]\nname = \"About\"\nurl = \"/about/\"\n"),
        )
        .file(
            "content/about.md",
            tagged("About", "See [x](@/linked.md).\n"),
        )
        .file("content/linked.md", tagged("Linked", "Hi.\n"))
        .file("content/secret.md", page("Secret", "Hi.\n"));
    assert_eq!(
        hits(&site, "orphan-page"),
        ["content/secret.md:2:1 nothing links to “Secret” (`/secret/`)"]
    );
}

/// A tiny HTTP server on 127.0.0.1 for `--external`: it answers by path and records each
/// request as `METHOD /path user-agent`. It stops after `limit` connections.
fn http_server(limit: usize) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a local port is free");
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(limit) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            let mut agent = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("user-agent:") {
                    agent = value.trim().chars().take(11).collect();
                }
            }
            let mut parts = request.split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            seen.lock()
                .unwrap()
                .push(format!("{method} {path} {agent}"));
            let status = match (method, path) {
                (_, "/ok") | ("GET", "/no-head") => "200 OK",
                ("HEAD", "/no-head") => "405 Method Not Allowed",
                (_, "/down") => "503 Service Unavailable",
                _ => "404 Not Found",
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (port, log)
}

#[test]
fn external_links_are_checked_with_head_then_get_and_cached_for_a_day() {
    let (port, log) = http_server(20);
    let base = format!("http://127.0.0.1:{port}");
    let site = Site::fixture("check/clean").file(
        "content/links.md",
        tagged(
            "Links",
            &format!(
                "[a]({base}/ok) [b]({base}/no-head)\n[c]({base}/gone)\n[d]({base}/down)\n\
                 See the [about page](/about/).\n"
            ),
        ),
    );
    // Without --external, nothing is asked.
    cli(&site, &[]).success();
    assert!(log.lock().unwrap().is_empty());

    let run = cli(&site, &["--external"]).success();
    let found: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(": warning:"))
        .collect();
    assert_eq!(
        found,
        [
            format!(
                "content/links.md:7:1: warning: link to `{base}/gone` failed: HTTP status 404 (not found) [external-link]"
            ),
            format!(
                "content/links.md:8:1: warning: link to `{base}/down` failed: HTTP status 503 (service unavailable) [external-link]"
            ),
        ],
        "{}",
        run.stdout
    );
    let mut requests = log.lock().unwrap().clone();
    requests.sort();
    assert_eq!(
        requests,
        [
            "GET /down mozilla/5.0",
            "GET /gone mozilla/5.0",
            "GET /no-head mozilla/5.0",
            "HEAD /down mozilla/5.0",
            "HEAD /gone mozilla/5.0",
            "HEAD /no-head mozilla/5.0",
            "HEAD /ok mozilla/5.0",
        ]
    );
    assert!(
        site.root()
            .join(".knead-cache/external-links.json")
            .is_file()
    );

    // The next check asks again only for the answer that may change soon (a 503).
    log.lock().unwrap().clear();
    let again = cli(&site, &["--external"]).success();
    assert_eq!(again.stdout, run.stdout);
    let mut requests = log.lock().unwrap().clone();
    requests.sort();
    assert_eq!(
        requests,
        ["GET /down mozilla/5.0", "HEAD /down mozilla/5.0"]
    );
}

// SEO

#[test]
fn titles_missing_duplicate_or_long() {
    let long = "A title that goes on and on well past what search results can show";
    let site = Site::new()
        .file("content/a.md", tagged("Neck pain", "Hi.\n"))
        .file("content/b.md", tagged("neck pain", "Hi.\n"))
        .file("content/c.md", tagged(long, "Hi.\n"))
        .file("content/blog/_index.md", "+++\nsort_by = \"date\"\n+++\n");
    assert_eq!(
        hits(&site, "duplicate-title"),
        ["content/b.md:2:1 “neck pain” is also the title of `content/a.md`"]
    );
    assert_eq!(
        hits(&site, "long-title"),
        ["content/c.md:2:1 the title is 66 characters long, over 60"]
    );
    assert_eq!(
        hits(&site, "missing-title"),
        ["content/blog/_index.md:1:1 this section has no `title`, so it is called “Blog”"]
    );
    let fine = Site::fixture("check/clean");
    for rule in ["duplicate-title", "long-title", "missing-title"] {
        assert_eq!(hits(&fine, rule), Vec::<String>::new(), "{rule}");
    }
}

#[test]
fn a_template_without_a_title_element_is_reported_at_the_page() {
    let site = Site::fixture("check/clean").file(
        "templates/page.html",
        "<!doctype html><html><body>{{ page.content | safe }}</body></html>",
    );
    assert_eq!(
        hits(&site, "missing-title"),
        [
            "/about/ this generated page has no `<title>`",
            "/blog/welcome/ this generated page has no `<title>`",
        ]
    );
}

#[test]
fn descriptions_missing_duplicate_or_long() {
    let long = "word ".repeat(40);
    let site = Site::new()
        .file("content/a.md", md("title = \"A\"\ntags = [\"T\"]", "Hi.\n"))
        .file(
            "content/b.md",
            md("title = \"B\"\ndescription = \"Same.\"", "Hi.\n"),
        )
        .file(
            "content/c.md",
            md("title = \"C\"\ndescription = \"same.\"", "Hi.\n"),
        )
        .file(
            "content/d.md",
            md(&format!("title = \"D\"\ndescription = {long:?}"), "Hi.\n"),
        );
    assert_eq!(
        hits(&site, "missing-description"),
        ["content/a.md:2:1 no `description`: search engines will show a piece of the text instead"]
    );
    assert_eq!(
        hits(&site, "duplicate-description"),
        ["content/c.md:3:1 the same description as `content/b.md`"]
    );
    assert_eq!(
        hits(&site, "long-description"),
        ["content/d.md:3:1 the description is 199 characters long, over 160"]
    );
    let fine = Site::fixture("check/clean");
    for rule in [
        "missing-description",
        "duplicate-description",
        "long-description",
    ] {
        assert_eq!(hits(&fine, rule), Vec::<String>::new(), "{rule}");
    }
}

#[test]
fn headings_start_at_h2_and_skip_no_level() {
    let site = Site::new().file(
        "content/a.md",
        tagged(
            "A",
            "# Again the title\n\n## Fine\n\n#### Skipped\n\n### Fine\n",
        ),
    );
    assert_eq!(
        hits(&site, "multiple-h1"),
        ["content/a.md:6:1 a second h1: the page title is already the page's h1"]
    );
    assert_eq!(
        hits(&site, "skipped-heading"),
        ["content/a.md:10:1 an h4 after an h2: a heading level is skipped"]
    );
    let first = Site::new().file("content/a.md", tagged("A", "### Too deep\n"));
    assert_eq!(
        hits(&first, "skipped-heading"),
        [
            "content/a.md:6:1 the body starts with an h3: the page title is the h1, so headings start at h2"
        ]
    );
    let fine = Site::new().file("content/a.md", tagged("A", "## A\n\n### B\n\n## C\n"));
    assert_eq!(hits(&fine, "multiple-h1"), Vec::<String>::new());
    assert_eq!(hits(&fine, "skipped-heading"), Vec::<String>::new());
}

#[test]
fn link_text_must_say_where_it_leads() {
    let site = Site::new()
        .file("content/b.md", tagged("B", "Hi.\n"))
        .file(
            "content/a.md",
            tagged(
                "A",
                "[Click here](/b/), [read more…](/b/), [](/b/), [![](/b/x.png)](/b/)\n\n\
                 [our deep tissue massage](/b/) and [more about B](/b/)\n",
            ),
        )
        .file("static/b/x.png", crate::support::tiny_png());
    assert_eq!(
        hits(&site, "vague-link-text"),
        [
            "content/a.md:6:1 the link text “Click here” does not say where it leads",
            "content/a.md:6:20 the link text “read more…” does not say where it leads",
        ]
    );
    assert_eq!(
        hits(&site, "empty-link-text"),
        [
            "content/a.md:6:39 a link without text",
            "content/a.md:6:48 a link whose only content is an image without alt text",
        ]
    );
}

/// A photo straight from a camera's 20-megapixel sensor is a warning: knead makes the sizes a
/// visitor needs, but every build and upload carries the original (issue 20).
#[test]
fn large_photos_are_a_warning() {
    let big = image::RgbImage::new(5000, 4001);
    let mut png = Vec::new();
    big.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let site = Site::new()
        .file("static/big.png", png)
        .file("static/small.png", crate::support::tiny_png())
        .file("content/a.md", md("title = \"A\"", "![Big](/big.png)\n"));
    assert_eq!(
        hits(&site, "large-photo"),
        [
            "static/big.png this photo is 20 megapixels (5000x4001, 0.3 MB): every build that makes its sizes, and every upload of the site, carries it whole"
        ]
    );
}

#[test]
fn images_need_alt_text() {
    let site = Site::new()
        .file("static/x.png", crate::support::tiny_png())
        .file(
            "content/a.md",
            md(
                "title = \"A\"\ntags = [\"T\"]\nimage = \"/x.png\"",
                "![](/x.png) ![A table](/x.png)\n",
            ),
        );
    assert_eq!(
        hits(&site, "missing-alt"),
        [
            "content/a.md:4:1 the page's `image` (/x.png) has no `image_alt`",
            "content/a.md:6:1 the image `/x.png` has no alt text",
        ]
    );
    let fine = Site::fixture("check/clean");
    assert_eq!(hits(&fine, "missing-alt"), Vec::<String>::new());
}

#[test]
fn posts_need_words_an_author_and_a_date() {
    let site = Site::new()
        .file(
            "site.toml",
            format!("{SITE_TOML}[authors.dana]\nname = \"Dana\"\n"),
        )
        .file("content/blog/_index.md", "+++\ntitle = \"Blog\"\n+++\n")
        .file(
            "content/blog/short.md",
            post("Short", "2026-01-01", "Too few words here.\n"),
        )
        .file("content/blog/undated.md", page("Undated", "No date.\n"))
        .file("content/about.md", page("About", "A page, not a post.\n"));
    assert_eq!(
        hits(&site, "thin-post"),
        ["content/blog/short.md:2:1 only 4 words: posts under 300 rarely rank in search results"]
    );
    assert_eq!(
        hits(&site, "missing-author"),
        [
            "content/blog/short.md:2:1 this post has no `author`: readers and search engines trust health advice with a name on it",
            "content/blog/undated.md:2:1 this post has no `author`: readers and search engines trust health advice with a name on it",
        ]
    );
    assert_eq!(
        hits(&site, "missing-date"),
        ["content/blog/undated.md:2:1 this post has no `date`"]
    );
    let fine = Site::fixture("check/clean");
    for rule in ["thin-post", "missing-author", "missing-date"] {
        assert_eq!(hits(&fine, rule), Vec::<String>::new(), "{rule}");
    }
}

// Readability

/// A post of plain, short sentences, `n` of them.
fn plain_sentences(n: usize) -> String {
    "We rub the sore spot. It feels good. ".repeat(n / 2)
}

#[test]
fn reading_grade_above_the_target_is_reported_at_the_title() {
    let hard = "Therapeutic musculoskeletal interventions demonstrably facilitate physiological \
                recuperation, considerably ameliorating inflammatory discomfort. "
        .repeat(10);
    let site = Site::new()
        .file("content/blog/hard.md", post("Hard", "2026-01-01", &hard))
        .file(
            "content/blog/easy.md",
            post("Easy", "2026-01-01", &plain_sentences(40)),
        );
    let found = hits(&site, "reading-grade");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].starts_with("content/blog/hard.md:2:1 reading grade "),
        "{found:#?}"
    );
    assert!(
        found[0].ends_with("(Flesch-Kincaid) is above the target of 8"),
        "{found:#?}"
    );
}

#[test]
fn the_longest_sentences_and_paragraphs_are_pointed_at() {
    let long_sentence = format!("{}and that is all.", "one more word ".repeat(11));
    let long_paragraph = plain_sentences(40);
    let body = format!(
        "Short one. {long_sentence} Short two.\n\n{long_paragraph}\n\n{}\n",
        plain_sentences(4)
    );
    let site = Site::new().file("content/blog/p.md", post("P", "2026-01-01", &body));
    assert_eq!(
        hits(&site, "long-sentence"),
        ["content/blog/p.md:5:12 a sentence of 37 words, over 30"]
    );
    assert_eq!(
        hits(&site, "long-paragraph"),
        ["content/blog/p.md:7:1 a paragraph of 160 words, over 150"]
    );
    let fine = Site::new().file(
        "content/blog/p.md",
        post("P", "2026-01-01", &plain_sentences(20)),
    );
    assert_eq!(hits(&fine, "long-sentence"), Vec::<String>::new());
    assert_eq!(hits(&fine, "long-paragraph"), Vec::<String>::new());
}

// Health

#[test]
fn health_claims_are_whole_words_at_their_column() {
    let site = Site::new().file(
        "content/a.md",
        md(
            "title = \"A detox day\"\ntags = [\"T\"]",
            "Massage *cures* stress and will\nFlush Toxins. It is secure and curative.\n",
        ),
    );
    assert_eq!(
        hits(&site, "health-claim"),
        [
            "content/a.md:2:12 “detox” in the title is a health claim",
            "content/a.md:5:10 “cures” is a health claim",
            "content/a.md:6:1 “Flush Toxins” is a health claim",
        ]
    );
    let fine = Site::fixture("check/clean");
    assert_eq!(hits(&fine, "health-claim"), Vec::<String>::new());
}

#[test]
fn the_claims_list_is_configurable() {
    let site = Site::new()
        .file(
            "site.toml",
            format!("{SITE_TOML}[check]\nclaims = [\"miracle\"]\nextra_claims = [\"pain free\"]\n"),
        )
        .file(
            "content/a.md",
            tagged("A", "A detox, a Miracle, and pain  free days.\n"),
        );
    assert_eq!(
        hits(&site, "health-claim"),
        [
            "content/a.md:6:12 “Miracle” is a health claim",
            "content/a.md:6:25 “pain free” is a health claim",
        ]
    );
}

#[test]
fn medical_posts_need_sources_and_reviews() {
    let site = Site::new()
        .file(
            "content/blog/no-sources.md",
            md(
                "title = \"A\"\ndate = 2026-01-01\nmedical = true\nlast_reviewed = 2026-06-01\ntags = [\"T\"]",
                "Hi.\n",
            ),
        )
        .file(
            "content/blog/unreviewed.md",
            md(
                "title = \"B\"\ndate = 2026-01-01\nmedical = true\nsources = [\"A study\"]",
                "Hi.\n",
            ),
        )
        .file(
            "content/blog/old.md",
            md(
                "title = \"C\"\ndate = 2024-01-01\nlast_reviewed = 2025-11-28",
                "Hi.\n",
            ),
        )
        .file(
            "content/blog/fresh.md",
            md(
                "title = \"D\"\ndate = 2024-01-01\nlast_reviewed = 2025-11-29\nmedical = true\nsources = [\"S\"]",
                "Hi.\n",
            ),
        );
    assert_eq!(
        hits(&site, "medical-sources"),
        [
            "content/blog/no-sources.md:4:1 this post is marked `medical = true` but lists no `sources`"
        ]
    );
    assert_eq!(
        hits(&site, "review-due"),
        [
            "content/blog/old.md:4:1 due for review: last reviewed on November 28, 2025, more than 12 months ago",
            "content/blog/unreviewed.md:4:1 due for review: this medical post has no `last_reviewed`",
        ]
    );
    let errors = report(&site).errors();
    assert_eq!(errors, 1, "medical-sources is an error");
}

// Settings

#[test]
fn rules_can_be_switched_off_per_file_or_glob() {
    let site = Site::new()
        .file(
            "site.toml",
            format!(
                "{SITE_TOML}[[check.ignore]]\nrule = \"missing-description\"\n\
                 files = [\"content/services/*\", \"content/about.md\"]\n\
                 [[check.ignore]]\nrule = \"health-claim\"\n"
            ),
        )
        .file("content/about.md", page("About", "Detox.\n"))
        .file("content/services/a.md", page("A", "Hi.\n"))
        .file("content/services/deep/index.md", page("Deep", "Hi.\n"))
        .file("content/other.md", page("Other", "Hi.\n"));
    assert_eq!(
        hits(&site, "missing-description"),
        [
            "content/other.md:2:1 no `description`: search engines will show a piece of the text instead",
            "content/services/deep/index.md:2:1 no `description`: search engines will show a piece of the text instead",
        ]
    );
    assert_eq!(hits(&site, "health-claim"), Vec::<String>::new());
}

#[test]
fn an_unknown_rule_is_an_error_in_site_toml_with_a_suggestion() {
    let site = Site::new()
        .file(
            "site.toml",
            format!("{SITE_TOML}\n[[check.ignore]]\nrule = \"thin-psot\"\n"),
        )
        .file("content/a.md", page("A", "Hi.\n"));
    let run = cli(&site, &[]).exit(1);
    assert!(
        run.stderr.contains(
            "site.toml:5:9: error: unknown rule `thin-psot` in `[check]`\n  |\n5 | rule = \"thin-psot\"\n  |         ^\n  = help: did you mean `thin-post`?\n"
        ),
        "{}",
        run.stderr
    );
    let typo = Site::new().file(
        "site.toml",
        format!("{SITE_TOML}[check]\nreading_grde = 9\n"),
    );
    cli(&typo, &[])
        .exit(1)
        .stderr_has("site.toml:4:1: error: unknown key `reading_grde`")
        .stderr_has("did you mean `reading_grade`?");
}

/// A broken `@/` link and a post whose front matter does not parse do not stop the check: the
/// missing image and the health claim beside them are reported in the same run (issue 19), and
/// a link to the post that does not parse is not reported as a link to nothing.
#[test]
fn one_run_reports_build_errors_with_everything_else() {
    let site = Site::fixture("check/clean")
        .file(
            "content/blog/neck.md",
            "+++\ntitle = \"Neck pain\"\ndate = 2025-01-01\n+++\nSee [x](@/blog/nope.md) and \
             [y](@/blog/broken.md#why).\n\n![Stretch](stretch.jpg)\n\nMassage cures sciatica.\n",
        )
        .file(
            "content/blog/broken.md",
            "+++\ntitle = \"Broken\ndate = 2025-01-01\n+++\nText.\n",
        );
    let run = cli(&site, &[]).exit(1);
    for expected in [
        "content/blog/broken.md:2:9: error: the closing quote of the text is missing",
        "content/blog/neck.md:5:5: error: link to `@/blog/nope.md`",
        "content/blog/neck.md:7:1: error: image `stretch.jpg` does not exist",
        "[health-claim]",
    ] {
        assert!(run.stdout.contains(expected), "{expected}\n{}", run.stdout);
    }
    assert!(
        !run.stdout.contains("error: link to `@/blog/broken.md"),
        "{}",
        run.stdout
    );
    assert!(!run.stderr.contains("does not build"), "{}", run.stderr);
}

/// A post naming an author site.toml lacks does not stop the check, nor the build's report:
/// the other posts' mistakes come in the same run, a link to the left-out post is not called a
/// link to nothing, and a service that does not exist is named too (issue 19).
#[test]
fn an_unknown_author_does_not_hide_the_rest() {
    let site = Site::fixture("check/clean")
        .file(
            "content/blog/dana.md",
            "+++\ntitle = \"By Dana\"\ndate = 2025-01-01\nauthor = \"Dana Smith\"\n+++\nText.\n",
        )
        .file(
            "content/blog/neck.md",
            "+++\ntitle = \"Neck pain\"\ndate = 2025-01-01\nservices = [\"sweedish\"]\n+++\n\
             See [Dana](@/blog/dana.md).\n\n![Stretch](stretch.jpg)\n",
        );
    let expected = [
        "content/blog/dana.md:4:1: error: unknown author `Dana Smith` in `author`",
        "content/blog/neck.md:4:1: error: unknown service `sweedish`",
        "content/blog/neck.md:8:1: error: image `stretch.jpg` does not exist",
    ];
    let check = cli(&site, &[]).exit(1);
    let build = site.build().exit(1);
    for (name, said) in [("check", &check.stdout), ("build", &build.stderr)] {
        for expected in expected {
            assert!(said.contains(expected), "{name}: {expected}\n{said}");
        }
        assert!(!said.contains("@/blog/dana.md"), "{name}: {said}");
    }
    assert!(!site.out().exists());
}

/// `knead build` never publishes silently what `knead check` calls an error (issue 19): each
/// error of the check is an error or a warning of the build, at the same place.
#[test]
fn every_error_of_check_is_said_by_build() {
    let site = Site::fixture("check/many");
    let run = cli(&site, &["--format", "json"]).exit(1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let errors: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            format!(
                "{}:{}:{}: ",
                f["path"].as_str().unwrap(),
                f["line"],
                f["col"]
            )
        })
        .collect();
    assert!(errors.len() >= 4, "{errors:?}");
    let build = site.build();
    for place in &errors {
        assert!(
            build.stderr.contains(place.as_str()),
            "{place}\n{}",
            build.stderr
        );
    }
}

// The report and the command line

/// The post being written is usually a draft: plain `knead check` checks it, and says so;
/// `--no-drafts` checks only what a build publishes (issue 19).
#[test]
fn drafts_are_checked_unless_no_drafts() {
    let site = Site::fixture("check/clean").file(
        "content/blog/wip.md",
        "+++\ntitle = \"Work in progress\"\ndate = 2025-01-01\ndraft = true\n+++\nSee [x](@/nope.md).\n",
    );
    let run = cli(&site, &[]).exit(1);
    assert!(
        run.stdout.contains("content/blog/wip.md:6:5"),
        "{}",
        run.stdout
    );
    cli(&site, &["--no-drafts"]).success();
    cli(&site, &["--drafts"]).exit(1);
}

/// A scheduled post goes online on its day without anyone looking again: plain `knead check`
/// reads it now; `--no-drafts` checks only what is published today (issue 19).
#[test]
fn scheduled_posts_are_checked_unless_no_drafts() {
    let site = Site::fixture("check/clean").file(
        "content/blog/soon.md",
        "+++\ntitle = \"Coming soon\"\ndate = 2999-01-01\n+++\n![A stretch](/nothere.jpg)\n",
    );
    let run = cli(&site, &[]).exit(1);
    assert!(
        run.stdout
            .contains("content/blog/soon.md:5:1: error: image `/nothere.jpg`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .starts_with("Drafts and scheduled posts are checked too")
    );
    cli(&site, &["--no-drafts"]).success();
}

#[test]
fn report_of_a_site_with_many_problems() {
    let site = Site::fixture("check/many");
    insta::assert_snapshot!("many_text", report(&site).text());
}

#[test]
fn json_report_for_tools() {
    let site = Site::fixture("check/many");
    let run = cli(&site, &["--format", "json"]).exit(1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    assert_eq!(json["summary"]["errors"], 4);
    insta::assert_snapshot!("many_json", run.stdout);
}

#[test]
fn exit_codes() {
    let clean = Site::fixture("check/clean");
    let run = cli(&clean, &[]).success();
    assert_eq!(
        run.stdout,
        "Drafts and scheduled posts are checked too (--no-drafts leaves them out)\nno problems found in 9 pages\n"
    );
    assert!(
        !clean.root().join("public").exists(),
        "check writes nothing"
    );

    // Warnings only: 0, or 1 with --deny-warnings (and they are shown as errors).
    let warned = Site::fixture("check/clean").file(
        "content/about.md",
        tagged(
            "About us",
            "Our [blog](@/blog/welcome.md), and [here](/about/).\n",
        ),
    );
    let run = cli(&warned, &[]).success();
    assert!(
        run.stdout.ends_with("0 errors, 1 warning in 1 file\n"),
        "{}",
        run.stdout
    );
    let run = cli(&warned, &["--deny-warnings"]).exit(1);
    assert!(
        run.stdout.contains(": error: the link text “here”"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("1 error, 0 warnings in 1 file\n"),
        "{}",
        run.stdout
    );

    // Errors: 1.
    cli(&Site::fixture("check/many"), &[]).exit(1);

    // Bad usage: 2.
    cli(&clean, &["--format", "xml"]).exit(2);
    cli(&clean, &["--colour"]).exit(2);

    // A build error of one file: reported among the findings, and 1.
    let broken = Site::new().file("content/a.md", page("A", "[x](@/nope.md)\n"));
    let run = cli(&broken, &[]).exit(1);
    assert!(
        run.stdout
            .contains("content/a.md:4:1: error: link to `@/nope.md`"),
        "{}",
        run.stdout
    );
    let run = cli(&broken, &["--format", "json"]).exit(1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("@/nope.md"))
        .unwrap();
    assert_eq!(finding["rule"], serde_json::Value::Null);
    assert_eq!(finding["line"], 4);

    // A site that does not build at all (its settings): its errors, and 1.
    let unbuildable = Site::new()
        .file("site.toml", "title = \"T\"\nbase_url = 3\n")
        .file("content/a.md", page("A", ""));
    cli(&unbuildable, &[])
        .exit(1)
        .stderr_has("site.toml:2:12: error:")
        .stderr_has("error: the site does not build, so it was not checked");
    let run = cli(&unbuildable, &["--format", "json"]).exit(1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    assert_eq!(json["findings"][0]["rule"], serde_json::Value::Null);
    assert_eq!(json["findings"][0]["line"], 2);
}

#[test]
fn check_appears_in_help() {
    let site = Site::new();
    let mut command = site.knead();
    command.args(["check", "--help"]);
    let run = site.run(command).success();
    for flag in ["--root", "--external", "--deny-warnings", "--format"] {
        assert!(run.stdout.contains(flag), "{flag}\n{}", run.stdout);
    }
}

/// The example site's own findings: the seed article has health claims and a reading grade
/// above 8. docs/check.md shows this output as a worked example.
#[test]
fn example_site_findings() {
    let mut options = CheckOptions::new(Path::new(env!("CARGO_MANIFEST_DIR")));
    options.build.now = Some(NOW.parse().unwrap());
    let report = knead::check::check(&options).expect("the example site builds");
    let text = report.text();
    assert!(text.contains("[health-claim]"), "{text}");
    assert!(text.contains("[reading-grade]"), "{text}");
    insta::assert_snapshot!("example_site", text);
}
