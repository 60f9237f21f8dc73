//! Promise 5: a catalogue of bad input, each case with its exact message.
//!
//! Each folder of `tests/fixtures/reliability/catalogue/` is a tiny site with one mistake (or one
//! odd file that must build). Its test builds it with the real binary and compares the exit code
//! and everything printed on stderr with a snapshot in `snapshots/`; a failed build must also
//! leave no output folder behind. Cases that are too big or too odd to keep as files (a 5 MB
//! post, a file name with a backslash) are made in code below. Review a changed message with
//! `INSTA_UPDATE=always cargo test reliability::catalogue` and `git diff`.

use std::fs;
use std::path::Path;

use crate::support::{Run, Site, fixtures, md, page};

/// Builds the fixture `name` and snapshots what the build said.
#[track_caller]
fn snapshot_case(name: &str) {
    let site = Site::fixture(&format!("reliability/catalogue/{name}"));
    snapshot_run(name, &site, site.build(), true);
}

/// Snapshots the exit code and stderr of `run`, with the temporary folder and the build time
/// replaced by placeholders, and with `a/index.html` when `show_page` and the build succeeded.
/// A failed build must not have created the output folder.
#[track_caller]
fn snapshot_run(name: &str, site: &Site, run: Run, show_page: bool) {
    let code = run.code;
    assert!(
        !run.stderr.contains("panicked"),
        "{name}: knead panicked:\n{}",
        run.stderr
    );
    match code {
        Some(0) => {}
        Some(_) => assert!(
            !site.out().exists(),
            "{name}: a failed build wrote {:?}",
            run.files()
        ),
        None => panic!("{name}: killed by a signal"),
    }
    let mut text = format!("exit: {}\n", code.unwrap_or(-1));
    text.push_str(&normalize(&run.stderr, site));
    if code == Some(0) && show_page {
        let page = site.out().join("a/index.html");
        if let Ok(html) = fs::read_to_string(page) {
            text.push_str("--- a/index.html\n");
            text.push_str(&html);
        }
    }
    insta::assert_snapshot!(name, text);
}

/// Replaces what changes from run to run: the temporary folder and the build's summary line
/// (its counts follow the theme, which this catalogue is not about).
fn normalize(stderr: &str, site: &Site) -> String {
    let tmp = site.tmp().display().to_string();
    stderr
        .lines()
        .map(|line| {
            if line.starts_with("Built ") && line.contains(" written, ") {
                "Built [the summary line]".to_owned()
            } else {
                line.replace(&tmp, "[tmp]")
            }
        })
        .fold(String::new(), |mut text, line| {
            text.push_str(&line);
            text.push('\n');
            text
        })
}

/// One test per fixture folder, and a list of them to check that no folder is left out.
macro_rules! catalogue {
    ($($case:ident)*) => {
        $(
            #[test]
            fn $case() {
                snapshot_case(stringify!($case));
            }
        )*
        const CASES: &[&str] = &[$(stringify!($case)),*];
    };
}

catalogue! {
    // TOML front matter
    toml_unclosed_string
    toml_missing_equals
    toml_duplicate_key
    toml_unknown_key
    toml_title_is_a_number
    toml_tags_is_a_string
    toml_draft_is_a_string
    toml_weight_is_a_float
    toml_extra_is_not_a_table
    // YAML front matter
    yaml_unclosed_list
    yaml_unknown_key
    yaml_wrong_type
    yaml_tab_indentation
    yaml_list_instead_of_mapping
    // dates
    date_impossible_day
    date_month_13
    date_time_without_offset
    date_words
    date_number
    date_hour_24
    date_offset_beyond_any_zone
    date_updated_impossible
    // the title and the shape of the file
    title_missing
    title_empty
    title_only_spaces
    empty_file
    only_blank_lines
    only_front_matter
    no_front_matter
    unclosed_toml_front_matter
    unclosed_yaml_front_matter
    delimiters_inside_the_body
    bom_and_crlf
    crlf_error_location
    bom_in_site_toml
    non_utf8_content
    non_utf8_site_toml
    non_utf8_template
    index_md_at_the_content_root
    slug_of_only_emoji
    // names Windows keeps for devices
    reserved_slug
    reserved_file_name
    reserved_folder
    reserved_tag
    reserved_author_id
    // sections
    section_unknown_sort_by
    section_negative_paginate_by
    section_page_key
    // links, authors and services
    unknown_author
    unknown_service
    link_to_a_missing_page
    link_to_a_missing_anchor
    // templates: the message names the template file and line
    template_syntax_error
    template_unclosed_block
    template_undefined_variable
    template_unknown_filter
    template_named_in_front_matter_missing
    template_extends_missing
    // site.toml
    config_missing_base_url
    config_base_url_without_scheme
    config_missing_title
    config_unknown_key
    config_malformed
    config_wrong_type
    config_menu_without_url
    config_bad_phone_and_hours
    config_empty_file
    // folders
    missing_site_toml
    missing_content_folder
    content_is_a_file
    // every kind of duplicate address
    duplicate_two_slugs
    duplicate_slug_and_file_name
    duplicate_page_and_alias
    duplicate_two_aliases
    duplicate_alias_of_generated_file
    duplicate_page_and_static_file
    duplicate_static_and_generated_feed
    duplicate_page_and_section
    duplicate_page_and_tag_page
    duplicate_case_only
    duplicate_folders_differing_in_case
    duplicate_bundle_file_and_page
    duplicate_file_where_a_folder_is_needed
    duplicate_author_page_and_page
    // what clinic staff get wrong (issue 19)
    staff_long_paragraph_with_a_broken_link
    staff_three_misspelt_keys
    staff_three_misspelt_keys_yaml
    staff_a_misspelt_key_and_a_wrong_value
    staff_curly_quotes
    staff_draft_no
    staff_date_in_words
    staff_tags_without_quotes
    staff_quotes_inside_quotes
    staff_missing_closing_quote
    staff_yaml_colon_in_title
    staff_toml_between_dashes
    staff_author_by_name
    staff_author_not_in_site_toml
    staff_post_saved_as_txt
    staff_post_saved_as_capital_md
    staff_text_file_stays_a_file
    staff_booking_url_without_https
    staff_booking_url_as_a_file_link
    staff_booking_url_words
    staff_phone_letter_o
    staff_phone_extension
    staff_hours_in_words
    staff_missing_image
    staff_missing_front_matter_image
    staff_paragraph_indented_with_a_tab
    staff_heading_without_a_space
    staff_link_to_a_missing_page
    staff_link_without_https
    staff_link_to_a_missing_file
    staff_link_with_a_space
    staff_space_between_brackets
    staff_link_with_no_address
    staff_image_on_this_computer
    staff_link_to_a_file_on_this_computer
    staff_date_day_month_year
    staff_date_without_zeros
    staff_tags_with_semicolons
    staff_phone_without_quotes
    staff_booking_url_http
    staff_post_saved_as_markdown
    staff_post_saved_as_md_txt
    staff_menu_link_to_a_missing_page
    staff_link_to_a_missing_heading
    staff_medical_without_sources
    staff_email_with_mailto
    staff_email_not_an_address
    staff_heading_with_a_non_breaking_space
    staff_bullets_from_word
    staff_link_in_curly_quotes
    staff_word_document_in_content
    staff_copy_of_a_post
    staff_post_in_static
    staff_post_saved_as_rtf
    staff_image_in_static_without_slash
    staff_image_with_other_capitals
    staff_bundle_not_named_index
    staff_link_to_a_post_file_without_at
    staff_near_miss_at_link
    staff_email_and_phone_as_links
    staff_tags_in_curly_single_quotes
    staff_curly_quotes_and_a_misspelt_key
    staff_extra_quote_after_the_title
    staff_comma_after_the_title
    staff_date_day_first_in_words
    staff_date_not_in_the_calendar
    staff_tags_items_without_quotes
    staff_tags_as_one_text
    staff_colon_instead_of_equals
    staff_apostrophe_in_single_quotes
    staff_menu_url_without_slash
    staff_booking_url_page_missing
    staff_misspelt_keys_in_site_toml
    staff_article_saved_as_txt
    staff_relative_link_to_a_markdown_file
    staff_link_without_a_leading_slash
    staff_base_url_http
    staff_phone_digit_missing
    staff_yaml_tags_as_one_text
    staff_non_breaking_space_in_front_matter
    staff_date_with_long_dashes
    staff_invisible_title
    staff_new_post_placeholders
    staff_text_over_two_lines
    staff_html_pasted_into_a_post
}

#[test]
fn every_fixture_folder_is_a_case() {
    let dir = fixtures().join("reliability/catalogue");
    let mut folders: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut cases: Vec<String> = CASES.iter().map(|c| (*c).to_owned()).collect();
    cases.sort();
    assert_eq!(folders, cases);
    assert!(CASES.len() >= 40, "the issue asks for at least 40 cases");
    let staff = CASES.iter().filter(|c| c.starts_with("staff_")).count();
    assert!(
        staff >= 40,
        "issue 19 asks for at least 40 staff mistakes: {staff}"
    );
}

/// A 5 MB post builds, and its text is all there.
#[test]
fn a_five_megabyte_post() {
    let paragraph = "Regular massage eases muscle tension and helps recovery after training. ";
    let mut body = String::new();
    let mut n = 0;
    while body.len() < 5 * 1024 * 1024 {
        n += 1;
        body.push_str(&format!("{}{n}\n\n", paragraph.repeat(10)));
    }
    let site = Site::new()
        .file("templates/page.html", "{{ page.content | safe }}")
        .file("content/a.md", page("A", &body));
    let run = site.build();
    let html = fs::read_to_string(site.out().join("a/index.html")).unwrap_or_default();
    assert_eq!(html.matches("<p>").count(), n, "{}", run.stderr);
    snapshot_run("a_five_megabyte_post", &site, run, false);
}

/// 2,000 headings, half of them the same words: every id is unique and in the table of
/// contents.
#[test]
fn two_thousand_headings() {
    let mut body = String::new();
    for i in 0..1000 {
        body.push_str(&format!("## Step {i}\n\nText.\n\n## Tips\n\nMore.\n\n"));
    }
    let site = Site::new()
        .file(
            "templates/page.html",
            "{{ page.toc | length }} {{ page.content | safe }}",
        )
        .file("content/a.md", page("A", &body));
    let run = site.build();
    let html = fs::read_to_string(site.out().join("a/index.html")).unwrap_or_default();
    assert!(html.starts_with("2000 "), "{}", run.stderr);
    assert!(html.contains("id=\"tips-999\""));
    let ids: std::collections::HashSet<&str> = html
        .split("<h2 id=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert_eq!(ids.len(), 2000);
    let run_summary = Run::summary(&run);
    assert_eq!(run_summary.removed, 0);
}

#[cfg(unix)]
#[test]
fn a_file_name_with_a_backslash() {
    // Not a fixture: a checkout on Windows could not hold it.
    let site = Site::new()
        .file("content/a.md", page("A", ""))
        .file("static/..\\..\\escape.txt", "x")
        .file("content/blog\\post.md", page("Post", ""));
    let run = site.build();
    snapshot_run("a_file_name_with_a_backslash", &site, run, false);
}

#[test]
fn a_root_that_does_not_exist() {
    let site = Site::bare();
    let mut command = site.knead();
    command.args(["build", "--root", "nowhere", "--output", "out"]);
    let run = site.run(command);
    snapshot_run("a_root_that_does_not_exist", &site, run, false);
}

#[test]
fn an_output_folder_inside_a_file() {
    let site = Site::new()
        .file("content/a.md", page("A", ""))
        .file("../file.txt", "a file");
    let mut command = site.knead();
    command
        .args(["build", "--root", "site", "--output"])
        .arg(Path::new("file.txt").join("out"));
    let run = site.run(command);
    snapshot_run("an_output_folder_inside_a_file", &site, run, false);
}

/// Dates near midnight in the farthest time zones, with the clock fixed at 2026-11-28 12:00 UTC
/// (`support::NOW`): a day-only date is published once that day has begun anywhere (UTC+14); a
/// date with a time is published at that moment; a page shows the day as written.
#[test]
fn dates_near_midnight_in_far_time_zones() {
    let cases = [
        // (date, published?, the day shown, the moment in feeds)
        ("2026-11-28", true, "2026-11-28", "2026-11-28T00:00:00Z"),
        // It is 02:00 on the 29th in UTC+14.
        ("2026-11-29", true, "2026-11-29", "2026-11-29T00:00:00Z"),
        // Not yet begun anywhere.
        ("2026-11-30", false, "", ""),
        // 00:00 on the 29th in UTC+14 is 10:00 UTC on the 28th: past.
        (
            "2026-11-29T00:00:00+14:00",
            true,
            "2026-11-29",
            "2026-11-28T10:00:00Z",
        ),
        // 23:59 on the 28th in UTC-12 is 11:59 UTC on the 29th: future.
        ("2026-11-28T23:59:00-12:00", false, "", ""),
        // One second after the build.
        ("2026-11-28T12:00:01Z", false, "", ""),
        // The second of the build.
        (
            "2026-11-28T12:00:00Z",
            true,
            "2026-11-28",
            "2026-11-28T12:00:00Z",
        ),
        // The last second of a year in UTC-12 is already the next year in UTC.
        (
            "2025-12-31T23:59:59-12:00",
            true,
            "2025-12-31",
            "2026-01-01T11:59:59Z",
        ),
    ];
    for (date, published, day, moment) in cases {
        let site = Site::new()
            .file(
                "templates/page.html",
                "{{ page.date }}|{{ page.date_rfc3339 }}",
            )
            .file(
                "content/a.md",
                md(&format!("title = \"A\"\ndate = {date}"), ""),
            );
        site.build_lib(&site.options())
            .unwrap_or_else(|e| panic!("{date}: {e}"));
        let html = fs::read_to_string(site.out().join("a/index.html")).ok();
        match html {
            Some(html) => {
                assert!(published, "{date} was published: {html}");
                assert!(html.starts_with(&format!("{day}|")), "{date}: {html}");
                assert!(html.contains(moment), "{date}: {html}");
            }
            None => assert!(!published, "{date} was left out"),
        }
    }
}

/// Every template error names the template file, line and column, like Tera's other errors.
#[test]
fn an_unknown_filter_is_located_in_the_template() {
    Site::fixture("reliability/catalogue/template_unknown_filter")
        .build()
        .exit(1)
        .stderr_has("templates/page.html:1:21: error: Unknown filter `shout`");
}

/// A `template` in front matter that does not exist is the page's mistake: the error points at
/// that line, like other front matter errors.
#[test]
fn a_missing_template_points_at_the_template_line() {
    Site::fixture("reliability/catalogue/template_named_in_front_matter_missing")
        .build()
        .exit(1)
        .stderr_has("content/a.md:3:1: error: there is no template `landing.html`");
}

/// Issue 18, defect 3: characters that XML forbids would break the feed and the sitemap. Each is
/// refused at its file, line and column, whether typed into the file (invisible) or written as
/// an escape in front matter or site.toml; nothing is written.
#[test]
fn characters_no_feed_can_hold_are_refused_where_they_are() {
    let cases: [(&str, Site); 8] = [
        (
            "escaped_control_character_in_a_title",
            Site::new().file(
                "content/a.md",
                md("title = \"Neck pain\\u0001\"\ndate = 2025-01-01", "Text.\n"),
            ),
        ),
        (
            "escaped_noncharacter_in_a_title",
            Site::new().file(
                "content/a.md",
                md("title = \"Back pain\\uFFFE\"", "Text.\n"),
            ),
        ),
        (
            "noncharacter_typed_in_a_title",
            Site::new().file(
                "content/a.md",
                md("title = \"Back pain\u{fffe}\"", "Text.\n"),
            ),
        ),
        (
            "escaped_backspace_in_a_yaml_tag",
            Site::new().file(
                "content/a.md",
                "---\ntitle: Neck pain\ntags: [\"Neck\\b\"]\n---\nText.\n",
            ),
        ),
        (
            "nul_in_a_body",
            Site::new().file("content/a.md", page("A", "Text\0 with a NUL.\n")),
        ),
        (
            "control_bytes_in_a_body",
            Site::new().file("content/a.md", page("A", "One\u{1} two\u{1} three.\n")),
        ),
        (
            "control_character_typed_in_front_matter",
            Site::new().file(
                "content/a.md",
                "+++\ntitle = \"A\"\ndescription = 'Calm\u{7}'\n+++\nText.\n",
            ),
        ),
        (
            "escaped_vertical_tab_in_the_site_title",
            Site::bare()
                .file(
                    "site.toml",
                    "title = \"Kestrel\\u000B Massage\"\nbase_url = \"https://x.example\"\n",
                )
                .file("content/a.md", page("A", "Text.\n")),
        ),
    ];
    for (name, site) in cases {
        let run = site.build();
        assert_eq!(run.code, Some(1), "{name}: {}", run.stderr);
        snapshot_run(name, &site, run, false);
    }
}

/// Issue 18, defect 5: front matter nesting brackets thousands deep took seconds (the YAML
/// parser's time grows with the square of the depth), 22 s for 160 KB. Depth and size are
/// checked in one pass before any parser runs: an error at the bracket, at once.
#[test]
fn front_matter_too_deep_or_too_large_is_refused_before_parsing() {
    let deep = "[".repeat(20_000);
    let cases: [(&str, String); 3] = [
        (
            "yaml_front_matter_nested_20_000_deep",
            format!("---\ntitle: A\ntags: {deep}\n---\nText.\n"),
        ),
        (
            "toml_front_matter_nested_20_000_deep",
            format!("+++\ntitle = \"A\"\ntags = {deep}\n+++\nText.\n"),
        ),
        (
            // The 160 KB of brackets: too large before it is too deep.
            "front_matter_of_160_kb",
            format!(
                "---\ntitle: A\ntags: {}\n---\nText.\n",
                "[".repeat(160 * 1024)
            ),
        ),
    ];
    for (name, text) in cases {
        let site = Site::new().file("content/a.md", text);
        let mut run = site.build();
        assert_eq!(run.code, Some(1), "{name}: {}", run.stderr);
        // The source line of thousands of brackets is cut for the snapshot: the message and the
        // caret's column are what matter.
        let mut stderr = String::new();
        for line in run.stderr.lines() {
            stderr.push_str(&line.chars().take(160).collect::<String>());
            stderr.push('\n');
        }
        run.stderr = stderr;
        snapshot_run(name, &site, run, false);
    }
}
