//! `site.toml`: every mistake is reported at `site.toml:line:col` with a hint, and `--base-url`
//! replaces `base_url` everywhere addresses are absolute.

use crate::support::{Site, page, xml};

fn with_config(text: &str) -> Site {
    Site::new()
        .file("site.toml", text)
        .file("content/about.md", page("About", "Hello."))
}

#[test]
fn missing_base_url_is_an_error_naming_site_toml() {
    let run = with_config("title = \"T\"\n").build().exit(1);
    assert!(
        run.stderr
            .starts_with("site.toml:1:1: error: `base_url` is missing\n"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("= help: add the site's public address"));
}

#[test]
fn invalid_base_url_is_reported_at_its_line() {
    let run = with_config("title = \"T\"\nbase_url = \"clinic.example\"\n")
        .build()
        .exit(1);
    assert!(
        run.stderr.contains(
            "site.toml:2:1: error: `base_url` is not valid: it must start with `https://`"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("2 | base_url = \"clinic.example\"\n"));
}

#[test]
fn base_url_with_a_space_in_the_host_is_invalid() {
    with_config("title = \"T\"\nbase_url = \"https://clinic example.com\"\n")
        .build()
        .exit(1)
        .stderr_has("site.toml:2:1: error: `base_url` is not valid");
}

#[test]
fn unknown_key_suggests_the_nearest_one() {
    with_config("title = \"T\"\nbase_url = \"https://clinic.example\"\ndescripton = \"x\"\n")
        .build()
        .exit(1)
        .stderr_has("site.toml:3:1: error: unknown key `descripton`")
        .stderr_has("= help: `descripton`: did you mean `description`?");
}

#[test]
fn unknown_key_in_a_table_suggests_a_key_of_that_table() {
    with_config(
        "title = \"T\"\nbase_url = \"https://clinic.example\"\n\n[clinic]\nname = \"K\"\nphnoe = \"1\"\n",
    )
    .build()
    .exit(1)
    .stderr_has("site.toml:6:1: error: unknown key `phnoe`")
    .stderr_has("did you mean `phone`?");
}

#[test]
fn wrong_type_is_reported_at_the_value() {
    with_config("title = \"T\"\nbase_url = \"https://clinic.example\"\n\n[clinic]\nhours = \"Mo-Fr 09:00-18:00\"\n")
        .build()
        .exit(1)
        .stderr_has("site.toml:5:9: error: `hours` is a list, not one text")
        .stderr_has("help: put each in quotes and the list in brackets: hours = [\"Mo-Fr 09:00-18:00\"]");
    with_config("title = 3\nbase_url = \"https://clinic.example\"\n")
        .build()
        .exit(1)
        .stderr_has("site.toml:1:9: error: `title` is text: it must be in quotes")
        .stderr_has("help: title = \"3\"");
}

#[test]
fn base_url_flag_replaces_base_url_in_sitemap_feed_and_robots() {
    let site = Site::new()
        .file(
            "content/blog/a.md",
            crate::support::post("A", "2025-01-02", "Hi."),
        )
        .file("content/about.md", page("About", "Hello."));
    let run = site
        .build_with(&["--base-url", "https://staging.example/clinic/"])
        .success();
    let sitemap = xml::parse(&run.read("sitemap.xml")).unwrap();
    let locs: Vec<&str> = sitemap
        .all("url")
        .map(|u| u.child("loc").text.as_str())
        .collect();
    assert!(
        locs.contains(&"https://staging.example/clinic/about/"),
        "{locs:?}"
    );
    assert!(
        locs.contains(&"https://staging.example/clinic/blog/a/"),
        "{locs:?}"
    );
    assert!(
        locs.iter()
            .all(|l| l.starts_with("https://staging.example/clinic/")),
        "{locs:?}"
    );
    assert!(
        !run.read("atom.xml").contains("clinic.example"),
        "the feed still uses base_url"
    );
    assert!(
        run.read("robots.txt")
            .contains("Sitemap: https://staging.example/clinic/sitemap.xml"),
        "{}",
        run.read("robots.txt")
    );
}

#[test]
fn invalid_base_url_flag_is_an_error() {
    Site::new()
        .build_with(&["--base-url", "staging"])
        .exit(1)
        .stderr_has("error: --base-url `staging` is not valid");
}

#[test]
fn the_footer_shows_the_clinics_address_on_lines_that_leave_out_what_is_missing() {
    let footer = |clinic: &str| {
        let run = with_config(&format!(
            "title = \"T\"\nbase_url = \"https://clinic.example\"\n\n[clinic]\n{clinic}"
        ))
        .build()
        .success();
        let html = run.read("about/index.html");
        let start = html.find("<footer").expect("a footer");
        html[start..].to_owned()
    };
    let full = footer(
        "street = \"1187 Juniper Row\"\ncity = \"Billings\"\nregion = \"MT\"\npostal_code = \"59101\"\ncountry = \"US\"\n",
    );
    assert!(full.contains("<address>"), "{full}");
    for line in ["1187 Juniper Row", "Billings, MT 59101", "US"] {
        assert!(
            full.contains(&format!("<span class=\"addr-line\">{line}</span>")),
            "no line {line:?} in {full}"
        );
    }
    let city_only = footer("city = \"Billings\"\npostal_code = \"59101\"\n");
    assert!(
        city_only.contains("<span class=\"addr-line\">Billings, 59101</span>"),
        "{city_only}"
    );
    assert_eq!(city_only.matches("addr-line").count(), 1, "{city_only}");
    let none = footer("name = \"Kestrel\"\n");
    assert!(!none.contains("<address>"), "{none}");
}
