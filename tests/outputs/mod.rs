//! Every kind of output a site gets, from a small clinic site with the built-in theme: home,
//! sections and their pagination, posts with prev/next, tags, standalone pages, the feed, the
//! sitemap, robots.txt, 404.html, alias redirects and static files; and a site's own templates
//! and static files replacing the built-in ones.

use std::collections::BTreeSet;
use std::fs;

use crate::support::{Run, Site, md, page, post, xml};

fn clinic() -> Run {
    Site::fixture("outputs/clinic").build().success()
}

#[test]
fn every_output_is_written_and_nothing_else() {
    let run = clinic();
    let mut expected: BTreeSet<String> = [
        ".knead-output",
        ".knead-manifest",
        "index.html",
        "404.html",
        "atom.xml",
        "sitemap.xml",
        "robots.txt",
        "about/index.html",
        "blog/index.html",
        "blog/page/2/index.html",
        "blog/oldest/index.html",
        "blog/middle/index.html",
        "blog/newest/index.html",
        "tags/index.html",
        "tags/neck-pain/index.html",
        "tags/neck-pain/atom.xml",
        "tags/stretching/index.html",
        "tags/stretching/atom.xml",
        "search/index.html",
        "search-index.json",
        "old/middle/index.html",
        "2025/middle.html",
        "files/price-list.txt",
        "img/logo-12.png",
        "img/logo-12.webp",
        "img/logo-social.png",
        "img/logo.png",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    expected.extend(
        knead::templates::theme_static()
            .iter()
            .map(|(name, _)| (*name).to_owned()),
    );
    let files: BTreeSet<String> = run.files().into_iter().collect();
    assert_eq!(files, expected);
}

#[test]
fn home_page_shows_its_content_and_the_latest_posts() {
    let main = clinic().main_of("index.html");
    assert!(
        main.contains("We are a small clinic by the river."),
        "{main}"
    );
    for url in ["/blog/newest/", "/blog/middle/", "/blog/oldest/"] {
        assert!(
            main.contains(&format!("href=\"{url}\"")),
            "no link to {url}: {main}"
        );
    }
    let newest = main.find("/blog/newest/").unwrap();
    let oldest = main.find("/blog/oldest/").unwrap();
    assert!(newest < oldest, "latest posts come first");
}

#[test]
fn section_pages_are_paginated() {
    let run = clinic();
    let first = run.main_of("blog/index.html");
    let second = run.main_of("blog/page/2/index.html");
    assert!(first.contains("Notes from the treatment room."), "{first}");
    assert!(first.contains("href=\"/blog/newest/\"") && first.contains("href=\"/blog/middle/\""));
    assert!(!first.contains("href=\"/blog/oldest/\""), "{first}");
    assert!(
        first.contains("href=\"/blog/page/2/\""),
        "no link to page 2: {first}"
    );
    assert!(second.contains("href=\"/blog/oldest/\""), "{second}");
    assert!(!second.contains("href=\"/blog/newest/\""), "{second}");
    assert!(
        second.contains("href=\"/blog/\""),
        "no link back to page 1: {second}"
    );
}

#[test]
fn posts_link_to_the_older_post_as_prev_and_the_newer_as_next() {
    let run = clinic();
    let middle = run.main_of("blog/middle/index.html");
    let prev = middle.find("rel=\"prev\"").expect("middle has a prev link");
    let next = middle.find("rel=\"next\"").expect("middle has a next link");
    let link_before = |at: usize| &middle[middle[..at].rfind("href=").unwrap()..at];
    assert!(link_before(prev).contains("/blog/oldest/"), "{middle}");
    assert!(link_before(next).contains("/blog/newest/"), "{middle}");
    assert!(
        !run.main_of("blog/oldest/index.html")
            .contains("rel=\"prev\"")
    );
    assert!(
        !run.main_of("blog/newest/index.html")
            .contains("rel=\"next\"")
    );
}

const NEIGHBOURS: &str = "{% if page.prev %}prev={{ page.prev.title }}@{{ page.prev.url }}{% endif %}|\
{% if page.next %}next={{ page.next.title }}@{{ page.next.url }}{% endif %}";

#[test]
fn prev_and_next_in_a_date_sorted_section() {
    let run = Site::new()
        .file("templates/page.html", NEIGHBOURS)
        .file("content/blog/a.md", post("Old", "2025-01-01", ""))
        .file("content/blog/b.md", post("Mid", "2025-02-01", ""))
        .file("content/blog/c.md", post("New", "2025-03-01", ""))
        .build()
        .success();
    assert_eq!(run.read("blog/a/index.html"), "|next=Mid@/blog/b/");
    assert_eq!(
        run.read("blog/b/index.html"),
        "prev=Old@/blog/a/|next=New@/blog/c/"
    );
    assert_eq!(run.read("blog/c/index.html"), "prev=Mid@/blog/b/|");
}

#[test]
fn prev_and_next_in_a_weight_sorted_section_follow_its_order() {
    let run = Site::new()
        .file("templates/page.html", NEIGHBOURS)
        .file(
            "content/services/_index.md",
            md("title = \"Services\"\nsort_by = \"weight\"", ""),
        )
        .file(
            "content/services/a.md",
            md("title = \"Second\"\nweight = 2", ""),
        )
        .file(
            "content/services/b.md",
            md("title = \"First\"\nweight = 1", ""),
        )
        .file(
            "content/services/c.md",
            md("title = \"Third\"\nweight = 3", ""),
        )
        .build()
        .success();
    assert_eq!(
        run.read("services/a/index.html"),
        "prev=First@/services/b/|next=Third@/services/c/"
    );
    assert_eq!(
        run.read("services/b/index.html"),
        "|next=Second@/services/a/"
    );
}

#[test]
fn tag_index_and_tag_pages_list_posts() {
    let run = clinic();
    let index = run.main_of("tags/index.html");
    assert!(index.contains("href=\"/tags/neck-pain/\""), "{index}");
    assert!(index.contains("href=\"/tags/stretching/\""), "{index}");
    let neck = run.main_of("tags/neck-pain/index.html");
    assert!(neck.contains("Neck Pain"), "{neck}");
    assert!(neck.contains("href=\"/blog/middle/\"") && neck.contains("href=\"/blog/oldest/\""));
    assert!(!neck.contains("href=\"/blog/newest/\""), "{neck}");
}

#[test]
fn standalone_pages_are_rendered() {
    let main = clinic().main_of("about/index.html");
    assert!(main.contains("About Willow"), "{main}");
    assert!(main.contains("<p>Two therapists, one cat.</p>"), "{main}");
}

#[test]
fn atom_feed_lists_dated_posts_newest_first() {
    let run = clinic();
    let text = run.read("atom.xml");
    let feed = xml::parse(&text).unwrap_or_else(|e| panic!("atom.xml: {e}\n{text}"));
    assert_eq!(feed.name, "feed");
    assert_eq!(feed.attr("xmlns"), Some("http://www.w3.org/2005/Atom"));
    assert_eq!(feed.child("id").text, "https://clinic.example/atom.xml");
    assert_eq!(feed.child("updated").text, "2025-04-01T00:00:00Z");
    let links: Vec<&str> = feed
        .all("entry")
        .map(|e| e.child("link").attr("href").unwrap())
        .collect();
    assert_eq!(
        links,
        [
            "https://clinic.example/blog/newest/",
            "https://clinic.example/blog/middle/",
            "https://clinic.example/blog/oldest/",
        ]
    );
    let newest = feed.child("entry");
    assert_eq!(newest.child("title").text, "Newest post");
    assert_eq!(newest.child("updated").text, "2025-04-01T00:00:00Z");
    assert_eq!(newest.child("published").text, "2025-03-10T00:00:00Z");
    assert!(
        newest
            .child("content")
            .text
            .contains("<p>The latest thing we wrote.</p>")
    );
}

#[test]
fn the_site_feed_carries_whole_posts_and_a_tag_feed_their_summaries() {
    let run = Site::new()
        .file(
            "content/blog/knots.md",
            md(
                "title = \"Knots\"\ndate = 2025-03-01\ntags = [\"Neck\"]",
                "Knots are tight bands of muscle.\n\n## Why\n\nOnly the whole post says why.",
            ),
        )
        .build()
        .success();
    let content = |file: &str| {
        let text = run.read(file);
        let feed = xml::parse(&text).unwrap_or_else(|e| panic!("{file}: {e}\n{text}"));
        feed.child("entry").child("content").text.clone()
    };
    let whole = content("atom.xml");
    assert!(
        whole.contains("<p>Knots are tight bands of muscle.</p>"),
        "{whole}"
    );
    assert!(whole.contains("Only the whole post says why."), "{whole}");
    let summary = content("tags/neck/atom.xml");
    assert!(
        summary.contains("<p>Knots are tight bands of muscle.</p>"),
        "{summary}"
    );
    assert!(!summary.contains("Only the whole post"), "{summary}");
}

#[test]
fn sitemap_lists_every_page_section_and_tag_but_no_redirect() {
    let run = clinic();
    let text = run.read("sitemap.xml");
    let sitemap = xml::parse(&text).unwrap_or_else(|e| panic!("sitemap.xml: {e}\n{text}"));
    assert_eq!(sitemap.name, "urlset");
    let entries: Vec<(String, String)> = sitemap
        .all("url")
        .map(|u| {
            let lastmod = u.all("lastmod").next().map(|l| l.text.clone());
            (u.child("loc").text.clone(), lastmod.unwrap_or_default())
        })
        .collect();
    let base = "https://clinic.example";
    let expected: Vec<(String, String)> = [
        ("/", "2025-04-01"),
        ("/about/", ""),
        ("/blog/", "2025-04-01"),
        ("/blog/middle/", "2025-02-10"),
        ("/blog/newest/", "2025-04-01"),
        ("/blog/oldest/", "2025-01-10"),
        ("/tags/", "2025-04-01"),
        ("/tags/neck-pain/", "2025-02-10"),
        ("/tags/stretching/", "2025-04-01"),
    ]
    .iter()
    .map(|(path, lastmod)| (format!("{base}{path}"), (*lastmod).to_owned()))
    .collect();
    assert_eq!(entries, expected);
}

#[test]
fn robots_txt_points_at_the_sitemap() {
    let robots = clinic().read("robots.txt");
    assert!(
        robots
            .lines()
            .any(|l| l == "Sitemap: https://clinic.example/sitemap.xml"),
        "{robots}"
    );
}

#[test]
fn not_found_page_is_written() {
    let html = clinic().read("404.html");
    assert!(html.contains("<main"), "{html}");
    assert!(html.contains("<html"), "{html}");
}

#[test]
fn aliases_get_redirect_pages_with_meta_refresh_and_canonical() {
    let run = clinic();
    for alias in ["old/middle/index.html", "2025/middle.html"] {
        let html = run.read(alias);
        assert!(
            html.contains(
                "<meta http-equiv=\"refresh\" content=\"0; url=https://clinic.example/blog/middle/\">"
            ),
            "{alias}: {html}"
        );
        assert!(
            html.contains("<link rel=\"canonical\" href=\"https://clinic.example/blog/middle/\">"),
            "{alias}: {html}"
        );
        assert!(html.contains("<a href=\"https://clinic.example/blog/middle/\">"));
    }
}

#[test]
fn static_files_are_copied_byte_for_byte() {
    let run = clinic();
    let source = crate::support::fixtures().join("outputs/clinic/static");
    // Photos are not copied but made again without their metadata (tests/images).
    let file = "files/price-list.txt";
    assert_eq!(
        fs::read(run.out().join(file)).unwrap(),
        fs::read(source.join(file)).unwrap(),
        "{file}"
    );
}

#[test]
fn built_in_static_files_are_written() {
    let run = clinic();
    for (name, bytes) in knead::templates::theme_static() {
        assert_eq!(&fs::read(run.out().join(name)).unwrap(), bytes, "{name}");
    }
}

#[test]
fn site_page_template_overrides_the_built_in_one_and_extends_the_built_in_base() {
    let run = Site::new()
        .file(
            "templates/page.html",
            "{% extends \"base.html\" %}{% block main %}<p class=\"mine\">MINE: {{ page.title }}</p>{% endblock main %}",
        )
        .file("content/about.md", page("About", "Body text."))
        .build()
        .success();
    let html = run.read("about/index.html");
    let main = crate::support::main_element(&html);
    assert!(main.contains("<p class=\"mine\">MINE: About</p>"), "{main}");
    assert!(
        !main.contains("Body text."),
        "the built-in page.html was used: {main}"
    );
    // The rest of the page is the built-in base.html.
    assert!(html.to_lowercase().starts_with("<!doctype html>"), "{html}");
    assert!(
        html.contains("<head>") && html.contains("</html>"),
        "{html}"
    );
    assert!(html.contains("<title>"), "{html}");
}

#[test]
fn site_style_css_overrides_the_built_in_one() {
    let run = Site::new()
        .file("static/style.css", "body { color: rebeccapurple }\n")
        .build()
        .success();
    assert_eq!(run.read("style.css"), "body { color: rebeccapurple }\n");
}

#[test]
fn template_named_in_front_matter_is_used() {
    let run = Site::new()
        .file("templates/landing.html", "LANDING {{ page.title }}")
        .file("templates/service.html", "SERVICE {{ page.title }}")
        .file(
            "content/offer.md",
            md("title = \"Offer\"\ntemplate = \"landing.html\"", ""),
        )
        .file(
            "content/services/_index.md",
            md("title = \"Services\"\npage_template = \"service.html\"", ""),
        )
        .file("content/services/swedish.md", page("Swedish", ""))
        .build()
        .success();
    assert_eq!(run.read("offer/index.html"), "LANDING Offer");
    assert_eq!(run.read("services/swedish/index.html"), "SERVICE Swedish");
}

#[test]
fn a_template_error_names_the_template_and_the_page() {
    let run = Site::new()
        .file("templates/page.html", "line one\n{{ page.nope }}\n")
        .file("content/about.md", page("About", ""))
        .build()
        .exit(1);
    assert!(
        run.stderr.contains("templates/page.html:2:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("content/about.md"), "{}", run.stderr);
}

/// Tag pages show ten posts each and paginate like sections: /tags/x/, /tags/x/page/2/.
#[test]
fn tag_pages_are_paginated_by_ten() {
    let mut site = Site::new();
    for i in 1..=12 {
        site = site.file(
            &format!("content/blog/p{i:02}.md"),
            format!("+++\ntitle = \"Post {i:02}\"\ndate = 2025-01-{i:02}\ntags = [\"Neck\"]\n+++\nText.\n"),
        );
    }
    let run = site.build().success();
    let first = run.read("tags/neck/index.html");
    let second = run.read("tags/neck/page/2/index.html");
    // Newest first: posts 12..3 on the first page, 2 and 1 on the second.
    assert!(
        first.contains("Post 12") && first.contains("Post 03"),
        "{first}"
    );
    assert!(!first.contains("Post 02"), "{first}");
    assert!(
        second.contains("Post 02") && second.contains("Post 01"),
        "{second}"
    );
    assert!(first.contains("/tags/neck/page/2/"), "no link to page 2");
    assert!(!run.exists("tags/neck/page/3/index.html"));
}

/// Three posts sharing a tag, so that each is in the others' related posts, on the blog's
/// list, the tag's page and the home page.
fn three_posts() -> Site {
    let mut site = Site::new().file("content/blog/_index.md", "+++\ntitle = \"Blog\"\n+++\n");
    for (i, title) in ["First", "Second", "Third"].iter().enumerate() {
        site = site.file(
            &format!("content/blog/p{i}.md"),
            format!(
                "+++\ntitle = \"{title}\"\ndate = 2025-01-0{}\ntags = [\"Neck\"]\n+++\nText.\n",
                i + 1
            ),
        );
    }
    site
}

/// The built-in theme shows posts with `card()`, which renders `partials/post_card.html` once
/// per page and heading: a site's own card template is used in every list, with the heading
/// each list asks for.
#[test]
fn a_sites_own_card_template_is_used_in_every_list() {
    let run = three_posts()
        .file(
            "templates/partials/post_card.html",
            "<p class=\"mine\">{{ card_heading }} {{ p.title }} of {{ site.title }}</p>",
        )
        .build()
        .success();
    for (path, card) in [
        ("blog/p0/index.html", "h3 Second"),
        ("blog/index.html", "h2 First"),
        ("tags/neck/index.html", "h2 Third"),
        ("index.html", "h3 First"),
    ] {
        let main = run.main_of(path);
        let mine = format!("<p class=\"mine\">{card} of Test Clinic</p>");
        assert!(main.contains(&mine), "{path} has no {mine}: {main}");
    }
}

/// `card()` gives what including the card template gives, and the same card each time.
#[test]
fn a_card_is_what_including_the_card_template_makes() {
    let run = three_posts()
        .file(
            "templates/section.html",
            "{% for p in paginator.pages %}{% set card_heading = \"h3\" %}\
             [{% include \"partials/post_card.html\" %}|{{ card(p=p, heading=\"h3\") }}\
             |{{ card(p=p, heading=\"h3\") }}]{% endfor %}",
        )
        .build()
        .success();
    let html = run.read("blog/index.html");
    let cards: Vec<&str> = html.split(['[', ']']).filter(|s| s.contains('|')).collect();
    assert_eq!(cards.len(), 3, "{html}");
    for card in cards {
        let parts: Vec<&str> = card.split('|').collect();
        assert!(parts[0].contains("<h3 class=\"card-title\">"), "{card}");
        assert_eq!(parts[0], parts[1], "{card}");
        assert_eq!(parts[1], parts[2], "{card}");
    }
}

#[test]
fn an_error_in_the_card_template_names_its_file_and_line() {
    // Shown where the mistake is, as an included template's would be.
    three_posts()
        .file(
            "templates/partials/post_card.html",
            "<p>\n{{ p.nope }}</p>\n",
        )
        .build()
        .exit(1)
        .stderr_has("templates/partials/post_card.html:2:")
        .stderr_has("2 | {{ p.nope }}");
}

#[test]
fn a_card_of_something_else_than_a_post_says_what_it_needs() {
    three_posts()
        .file("templates/section.html", "{{ card(p=section.title) }}")
        .build()
        .exit(1)
        .stderr_has("card() needs a page summary")
        .stderr_has("templates/section.html:1");
}
