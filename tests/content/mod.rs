//! The content model: sections (sorting, pagination), page bundles, front matter in TOML and
//! YAML with every documented key, and dates.

use std::fs;

use crate::support::{Site, md, page, post};

/// A section template listing its pages and the paginator's links.
const LIST: &str = "{{ paginator.current }}/{{ paginator.total }} \
prev={{ paginator.previous_url | default(value=\"-\") }} \
next={{ paginator.next_url | default(value=\"-\") }}\n\
{% for p in paginator.pages %}{{ p.title }};{% endfor %}";

fn section(sort_by: &str) -> Site {
    Site::new().file("templates/section.html", LIST).file(
        "content/blog/_index.md",
        md(&format!("title = \"Blog\"\nsort_by = \"{sort_by}\""), ""),
    )
}

fn titles(list_page: &str) -> String {
    list_page.lines().nth(1).unwrap_or_default().to_owned()
}

#[test]
fn sort_by_date_lists_newest_first_and_undated_last() {
    let run = section("date")
        .file("content/blog/a.md", post("Old", "2024-01-05", ""))
        .file("content/blog/b.md", post("New", "2025-06-01", ""))
        .file("content/blog/c.md", page("Undated", ""))
        .file(
            "content/blog/d.md",
            post("Middle", "2025-01-01T08:00:00+02:00", ""),
        )
        .build()
        .success();
    assert_eq!(
        titles(&run.read("blog/index.html")),
        "New;Middle;Old;Undated;"
    );
}

#[test]
fn sort_by_weight_lists_lightest_first_and_unweighted_last() {
    let run = section("weight")
        .file(
            "content/blog/a.md",
            md("title = \"Heavy\"\nweight = 30", ""),
        )
        .file(
            "content/blog/b.md",
            md("title = \"Light\"\nweight = -1", ""),
        )
        .file("content/blog/c.md", page("Aardvark (no weight)", ""))
        .file(
            "content/blog/d.md",
            md("title = \"Medium\"\nweight = 2", ""),
        )
        .build()
        .success();
    assert_eq!(
        titles(&run.read("blog/index.html")),
        "Light;Medium;Heavy;Aardvark (no weight);"
    );
}

#[test]
fn sort_by_title_is_alphabetical_ignoring_case() {
    let run = section("title")
        .file("content/blog/a.md", post("cupping", "2025-01-01", ""))
        .file("content/blog/b.md", post("Acupressure", "2024-01-01", ""))
        .file(
            "content/blog/c.md",
            post("bamboo massage", "2026-01-01", ""),
        )
        .file("content/blog/d.md", post("Deep tissue", "2023-01-01", ""))
        .build()
        .success();
    // By byte, the capitals would come first: "Acupressure;Deep tissue;bamboo massage;...".
    assert_eq!(
        titles(&run.read("blog/index.html")),
        "Acupressure;bamboo massage;cupping;Deep tissue;"
    );
}

#[test]
fn a_tags_page_lists_its_posts_newest_first_whatever_the_blogs_order() {
    let tagged = |title: &str, date: &str| {
        md(
            &format!("title = \"{title}\"\ndate = {date}\ntags = [\"Neck\"]"),
            "",
        )
    };
    let run = section("title")
        .file(
            "templates/term.html",
            "{% for p in pages %}{{ p.title }};{% endfor %}",
        )
        .file("content/blog/a.md", tagged("Apple", "2024-01-01"))
        .file("content/blog/b.md", tagged("Banana", "2026-01-01"))
        .file("content/blog/c.md", tagged("cherry", "2025-01-01"))
        .file("content/blog/d.md", tagged("Date", "2025-01-01"))
        .file("content/blog/e.md", post("Untagged", "2023-01-01", ""))
        .build()
        .success();
    assert_eq!(
        run.read("tags/neck/index.html"),
        "Banana;cherry;Date;Apple;"
    );
    assert_eq!(
        titles(&run.read("blog/index.html")),
        "Apple;Banana;cherry;Date;Untagged;"
    );
}

#[test]
fn posts_of_one_day_go_by_title_ignoring_case_then_by_file() {
    let run = section("date")
        .file("content/blog/a.md", post("Zone therapy", "2025-03-01", ""))
        .file("content/blog/b.md", post("stretching", "2025-03-01", ""))
        .file("content/blog/c.md", post("Same title", "2025-03-01", ""))
        .file("content/blog/0.md", post("same title", "2025-03-01", ""))
        .file("content/blog/d.md", post("Later", "2025-03-02", ""))
        .build()
        .success();
    assert_eq!(
        titles(&run.read("blog/index.html")),
        "Later;same title;Same title;stretching;Zone therapy;"
    );
}

#[test]
fn unknown_sort_by_is_an_error() {
    section("popularity")
        .build()
        .exit(1)
        .stderr_has("content/blog/_index.md:");
}

#[test]
fn paginate_by_cuts_the_list_and_page_2_is_at_blog_page_2() {
    let mut site = Site::new().file("templates/section.html", LIST).file(
        "content/blog/_index.md",
        md("title = \"Blog\"\npaginate_by = 2", ""),
    );
    for day in 1..=5 {
        site = site.file(
            &format!("content/blog/p{day}.md"),
            post(&format!("P{day}"), &format!("2025-01-0{day}"), ""),
        );
    }
    let run = site.build().success();
    assert_eq!(
        run.read("blog/index.html"),
        "1/3 prev=- next=/blog/page/2/\nP5;P4;"
    );
    assert_eq!(
        run.read("blog/page/2/index.html"),
        "2/3 prev=/blog/ next=/blog/page/3/\nP3;P2;"
    );
    assert_eq!(
        run.read("blog/page/3/index.html"),
        "3/3 prev=/blog/page/2/ next=-\nP1;"
    );
    assert!(!run.exists("blog/page/4/index.html"));
    assert!(
        !run.exists("blog/page/1/index.html"),
        "page 1 is the section itself"
    );
}

#[test]
fn page_bundle_assets_are_copied_beside_the_page() {
    let image = b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"3\"/>";
    let run = Site::new()
        .file(
            "templates/page.html",
            "{{ page.image }}|{{ page.content | safe }}",
        )
        .file(
            "content/blog/stretch/index.md",
            md(
                "title = \"Stretch\"\nimage = \"stretch.svg\"",
                "![A stretch](stretch.svg)\n",
            ),
        )
        .file("content/blog/stretch/stretch.svg", image)
        .file("content/blog/stretch/notes/extra.txt", "extra")
        .build()
        .success();
    assert_eq!(
        fs::read(run.out().join("blog/stretch/stretch.svg")).unwrap(),
        image
    );
    assert_eq!(run.read("blog/stretch/notes/extra.txt"), "extra");
    let html = run.read("blog/stretch/index.html");
    assert!(html.starts_with("/blog/stretch/stretch.svg|"), "{html}");
    assert!(
        html.contains("<img src=\"stretch.svg\" alt=\"A stretch\""),
        "{html}"
    );
}

#[test]
fn a_bundle_with_its_own_slug_takes_its_files_along() {
    let run = Site::new()
        .file("templates/page.html", "{{ page.image }}")
        .file(
            "content/blog/stretch/index.md",
            md(
                "title = \"S\"\nslug = \"desk-stretch\"\nimage = \"a.svg\"",
                "",
            ),
        )
        .file("content/blog/stretch/a.svg", "<svg/>")
        .build()
        .success();
    assert_eq!(
        run.read("blog/desk-stretch/index.html"),
        "/blog/desk-stretch/a.svg"
    );
    assert_eq!(run.read("blog/desk-stretch/a.svg"), "<svg/>");
    assert!(!run.exists("blog/stretch/a.svg"));
}

/// A template that shows every front matter key a page can set.
const EVERY_FIELD: &str = "title={{ page.title }}
date={{ page.date }} {{ page.date_rfc3339 }}
updated={{ page.updated }}
description={{ page.description }}
tags={% for t in page.tags %}{{ t.name }}@{{ t.url }};{% endfor %}
author={% if page.author %}{{ page.author.name }}, {{ page.author.credentials }}{% endif %}
draft={{ page.draft }}
slug={{ page.slug }}
image={{ page.image }}
image_alt={{ page.image_alt }}
extra={{ page.extra.mood }}
content={{ page.content | safe }}";

fn every_key_site(file: &str, text: &str) -> Site {
    Site::new()
        .file(
            "site.toml",
            "title = \"T\"\nbase_url = \"https://clinic.example\"\n\n[authors.dana]\nname = \"Dana W\"\ncredentials = \"LMT\"\n",
        )
        .file("templates/special.html", EVERY_FIELD)
        // The page's image: a build stops on a missing one.
        .file("static/notes/every-key/photo.jpg", crate::support::tiny_jpg())
        .file("templates/page.html", "{{ page.title }}")
        .file("templates/section.html", LIST)
        .file(
            "content/notes/_index.md",
            md("title = \"Notes\"\nsort_by = \"weight\"", ""),
        )
        .file(
            "content/notes/heavier.md",
            md("title = \"Aaa heavier\"\nweight = 5", ""),
        )
        .file(file, text)
}

const EVERY_FIELD_EXPECTED: &str = "title=All keys
date=2025-03-01 2025-03-01T00:00:00Z
updated=2025-04-02
description=Every key, once.
tags=Neck pain@/tags/neck-pain/;Back@/tags/back/;
author=Dana W, LMT
draft=true
slug=every-key
image=/notes/every-key/photo.jpg
image_alt=A photo of a stretch
extra=calm
content=<p>Body.</p>\n";

fn check_every_key(site: &Site) {
    // Without --drafts the page is left out.
    let run = site.build().success();
    assert!(!run.exists("notes/every-key/index.html"));
    let run = site.build_with(&["--drafts"]).success();
    assert_eq!(run.read("notes/every-key/index.html"), EVERY_FIELD_EXPECTED);
    // aliases
    let redirect = run.read("old/every/index.html");
    assert!(
        redirect.contains("https://clinic.example/notes/every-key/"),
        "{redirect}"
    );
    // tags
    assert!(run.exists("tags/neck-pain/index.html"));
    assert!(run.exists("tags/back/index.html"));
    // weight: 3 comes before 5 although "Aaa" sorts first by title.
    assert_eq!(
        titles(&run.read("notes/index.html")),
        "All keys;Aaa heavier;"
    );
}

#[test]
fn toml_front_matter_accepts_every_documented_key() {
    let text = md(
        r#"title = "All keys"
date = 2025-03-01
updated = 2025-04-02
description = "Every key, once."
tags = ["Neck pain", "Back"]
author = "dana"
draft = true
slug = "every-key"
image = "photo.jpg"
image_alt = "A photo of a stretch"
weight = 3
template = "special.html"
aliases = ["/old/every/"]

[extra]
mood = "calm""#,
        "Body.\n",
    );
    check_every_key(&every_key_site("content/notes/all.md", &text));
}

#[test]
fn yaml_front_matter_accepts_every_documented_key() {
    let text = r#"---
title: All keys
date: 2025-03-01
updated: "2025-04-02"
description: Every key, once.
tags: [Neck pain, Back]
author: dana
draft: true
slug: every-key
image: photo.jpg
image_alt: A photo of a stretch
weight: 3
template: special.html
aliases:
  - /old/every/
extra:
  mood: calm
---
Body.
"#;
    check_every_key(&every_key_site("content/notes/all.md", text));
}

#[test]
fn unknown_key_names_it_and_suggests_the_right_one() {
    let run = Site::new()
        .file(
            "content/a.md",
            "+++\ntitel = \"Neck pain\"\ndate = 2025-01-01\n+++\nBody\n",
        )
        .build()
        .exit(1)
        .stderr_has("content/a.md:2:1: error: unknown key `titel`")
        .stderr_has("= help: `titel`: did you mean `title`?");
    assert!(run.stderr.contains("2 | titel = \"Neck pain\"\n"));
}

#[test]
fn unknown_yaml_key_suggests_the_right_one() {
    Site::new()
        .file("content/a.md", "---\ntitle: A\ntgas: [x]\n---\n")
        .build()
        .exit(1)
        .stderr_has("content/a.md:3:1: error: unknown key `tgas`")
        .stderr_has("did you mean `tags`?");
}

const DATES: &str = "{{ page.date }}|{{ page.date_rfc3339 }}|{{ page.date_display }}";

#[test]
fn dates_may_be_days_or_rfc3339_with_an_offset() {
    let run = Site::new()
        .file("templates/page.html", DATES)
        .file("content/a.md", post("A", "2025-03-01", ""))
        .file("content/b.md", post("B", "2025-03-01T23:30:00-05:00", ""))
        .file(
            "content/c.md",
            post("C", "\"2025-03-01T09:15:00+01:00\"", ""),
        )
        .file("content/d.md", post("D", "\"2025-03-04\"", ""))
        .build()
        .success();
    assert_eq!(
        run.read("a/index.html"),
        "2025-03-01|2025-03-01T00:00:00Z|March 1, 2025"
    );
    // The day is the day as written, in the writer's offset, not the UTC day.
    assert_eq!(
        run.read("b/index.html"),
        "2025-03-01|2025-03-02T04:30:00Z|March 1, 2025"
    );
    assert_eq!(
        run.read("c/index.html"),
        "2025-03-01|2025-03-01T08:15:00Z|March 1, 2025"
    );
    assert_eq!(
        run.read("d/index.html"),
        "2025-03-04|2025-03-04T00:00:00Z|March 4, 2025"
    );
}

#[test]
fn invalid_dates_are_errors_at_their_line() {
    Site::new()
        .file(
            "content/a.md",
            md("title = \"A\"\n\ndate = \"2025-02-30\"", ""),
        )
        .build()
        .exit(1)
        .stderr_has("content/a.md:4:1: error: `date`: `2025-02-30` is not a real date");
    Site::new()
        .file("content/a.md", post("A", "\"2025-03-01T10:00:00\"", ""))
        .build()
        .exit(1)
        .stderr_has(
            "content/a.md:3:1: error: `date`: `2025-03-01T10:00:00` has a time but no offset",
        );
}

/// A date-only post dated today (in the time zone of whoever runs the build) is published,
/// whatever the machine's time zone: here the first and the last zones to start a day.
#[test]
fn post_dated_today_is_published_whatever_the_tz_env_var() {
    for tz in ["Pacific/Kiritimati", "Pacific/Pago_Pago"] {
        let today = jiff::Timestamp::now()
            .in_tz(tz)
            .expect("the time zone database has this zone")
            .date()
            .to_string();
        let site = Site::new().file("content/blog/today.md", post("Today", &today, "Hi."));
        let mut command = site.knead();
        command
            .env("TZ", tz)
            .arg("build")
            .arg("--root")
            .arg(site.root())
            .arg("--output")
            .arg(site.out());
        let run = site.run(command).success();
        assert!(
            run.exists("blog/today/index.html"),
            "a post dated {today} is missing with TZ={tz}"
        );
    }
}

/// The same with the clock fixed: at 10:30 UTC it is already tomorrow in UTC+14 and still
/// yesterday in UTC-11; posts dated any of those days are published, the day after is not.
#[test]
fn post_dated_today_anywhere_on_earth_is_published_with_a_fixed_clock() {
    let site = Site::new()
        .file("content/blog/yesterday.md", post("Y", "2026-11-27", ""))
        .file("content/blog/today.md", post("T", "2026-11-28", ""))
        .file("content/blog/kiritimati.md", post("K", "2026-11-29", ""))
        .file("content/blog/future.md", post("F", "2026-11-30", ""))
        .file(
            "content/blog/later.md",
            post("L", "2026-11-28T10:31:00Z", ""),
        );
    let options = knead::BuildOptions {
        now: Some("2026-11-28T10:30:00Z".parse().unwrap()),
        ..site.options()
    };
    site.build_lib(&options).expect("the site builds");
    let out = site.out();
    for published in ["yesterday", "today", "kiritimati"] {
        assert!(
            out.join(format!("blog/{published}/index.html")).is_file(),
            "{published} is missing"
        );
    }
    for future in ["future", "later"] {
        assert!(
            !out.join(format!("blog/{future}/index.html")).exists(),
            "{future} is published before its date"
        );
    }
}
