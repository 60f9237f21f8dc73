//! Promise 3: hostile names (slugs, aliases and file names with `../`, absolute paths,
//! backslashes, NUL, names Windows reserves, segments longer than 255 bytes, names that differ
//! only in case) never become a path out of the output folder, and never an output that one
//! file system could write and another could not: each is made safe or is an error naming it.
//!
//! What `tests/urls` already covers is not repeated: `..` in slugs and aliases, full addresses
//! as aliases, pages, aliases, static and bundle files differing only in case.

use std::fs;

use crate::support::{Site, list_files, md, page};

/// A TOML string holding `text`.
fn toml(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// Everything in the temporary folder but the site itself and the output folder.
fn beside(site: &Site) -> Vec<String> {
    list_files(&site.tmp())
        .into_iter()
        .filter(|f| !f.starts_with("site/") && !f.starts_with("out/"))
        .collect()
}

/// Every output path is relative, made of plain segments of at most 255 bytes, none of them a
/// name Windows reserves, and no two differ only in case.
#[track_caller]
fn assert_portable_paths(files: &[String]) {
    let mut seen = std::collections::HashMap::new();
    for file in files {
        for segment in file.split('/') {
            assert!(
                !segment.is_empty() && segment != "." && segment != "..",
                "{file}"
            );
            assert!(segment.len() <= 255, "{file}");
            assert!(!segment.contains(['\\', '\0', ':']), "{file}");
            let stem = segment.split('.').next().unwrap_or_default();
            assert!(!knead::slug::is_reserved(stem), "{file}");
        }
        if let Some(other) = seen.insert(file.to_lowercase(), file) {
            panic!("`{file}` and `{other}` differ only in case");
        }
    }
}

#[test]
fn hostile_slugs_become_one_safe_segment_each() {
    let slugs = [
        ("abs", "/etc/passwd", "etc-passwd"),
        ("drive", "C:\\Windows\\System32", "c-windows-system32"),
        ("nul", "a\0b", "a-b"),
        ("percent", "%2e%2e%2f%2e%2e", "2e-2e-2f-2e-2e"),
        ("fullwidth", "\u{ff0e}\u{ff0e}\u{ff0f}x", "x"),
        ("rtl", "\u{202e}gpj.exe", "gpj-exe"),
        ("dots", "...hidden", "hidden"),
        ("tilde", "~root", "root"),
    ];
    let mut site = Site::new().file("templates/page.html", "{{ page.title }}");
    for (name, slug, _) in slugs {
        site = site.file(
            &format!("content/blog/{name}.md"),
            md(&format!("title = \"{name}\"\nslug = {}", toml(slug)), ""),
        );
    }
    let long = "neck ".repeat(100);
    site = site.file(
        "content/blog/long.md",
        md(&format!("title = \"long\"\nslug = \"{long}\""), ""),
    );
    let run = site.build().success();
    for (name, _, expected) in slugs {
        assert_eq!(
            run.read(&format!("blog/{expected}/index.html")),
            name,
            "{:?}",
            run.files()
        );
    }
    let long_dir = run
        .files()
        .into_iter()
        .find(|f| f.starts_with("blog/neck-neck"))
        .expect("the long slug's page");
    assert!(long_dir.len() <= "blog/".len() + 120 + "/index.html".len());
    assert_portable_paths(&run.files());
    assert_eq!(beside(&site), Vec::<String>::new());
}

#[test]
fn file_and_folder_names_become_safe_addresses() {
    let long_folder = "f".repeat(250);
    let site = Site::new()
        .file("templates/page.html", "{{ page.title }}")
        .file("content/..hidden.md", page("Hidden", ""))
        .file("content/ spaced  name .md", page("Spaces", ""))
        .file(&format!("content/{long_folder}/post.md"), page("Long", ""))
        .file("content/Ünïcödé/Ça va.md", page("Unicode", ""));
    let run = site.build().success();
    let files = run.files();
    // A name starting with a dot is a hidden file, not part of the site.
    assert!(!files.iter().any(|f| f.contains("hidden")), "{files:?}");
    assert!(
        files.contains(&"spaced-name/index.html".to_owned()),
        "{files:?}"
    );
    assert!(
        files.contains(&"unicode/ca-va/index.html".to_owned()),
        "{files:?}"
    );
    assert!(
        files.contains(&format!("{}/post/index.html", "f".repeat(120))),
        "{files:?}"
    );
    assert_portable_paths(&files);
}

#[test]
fn aliases_with_path_syntax_are_errors_naming_them() {
    let long = "a".repeat(256);
    let bad = [
        (
            "/a\\u0000b/",
            "contains characters that cannot be in a path",
        ),
        (
            "/a\\\\..\\\\b/",
            "contains characters that cannot be in a path",
        ),
        (
            "C:/Windows/",
            "has a part, `C:`, that is not a valid file name",
        ),
        (
            "/old/%2e%2e/x/",
            "contains characters that cannot be in a path",
        ),
        (
            "/old/?page=2",
            "contains characters that cannot be in a path",
        ),
        ("/a/./b/", "contains `.` or `..`"),
        (
            "/trailing./",
            "has a part, `trailing.`, that is not a valid file name",
        ),
        (&format!("/{long}/"), "has a part longer than 255 bytes"),
    ];
    let list: Vec<String> = bad.iter().map(|(a, _)| format!("\"{a}\"")).collect();
    let site = Site::new().file(
        "content/a.md",
        md(
            &format!("title = \"A\"\naliases = [{}]", list.join(", ")),
            "",
        ),
    );
    let run = site.build().exit(1);
    for (alias, reason) in bad {
        let shown = alias.replace("\\u0000", "\0").replace("\\\\", "\\");
        assert!(
            run.stderr.contains(&format!(
                "content/a.md:3:1: error: alias `{shown}` {reason}"
            )),
            "{alias}: {}",
            run.stderr
        );
    }
    assert!(!site.out().exists());
    assert_eq!(beside(&site), Vec::<String>::new());
}

/// An absolute path is a path on the site, and `//host/` is not another host: both land inside
/// the output folder.
#[test]
fn absolute_and_protocol_relative_aliases_stay_inside() {
    let site = Site::new().file(
        "content/a.md",
        md(
            "title = \"A\"\naliases = [\"/etc/passwd\", \"//evil.example/x/\", \"old.html\"]",
            "",
        ),
    );
    let run = site.build().success();
    let files = run.files();
    for alias in [
        "etc/passwd/index.html",
        "evil.example/x/index.html",
        "old.html",
    ] {
        assert!(files.contains(&alias.to_owned()), "{files:?}");
        assert!(run.read(alias).contains("/a/"), "{alias} does not redirect");
    }
    assert_eq!(beside(&site), Vec::<String>::new());
}

/// Windows reserves `con`, `nul`, `aux`, `prn`, `com1`-`com9` and `lpt1`-`lpt9` (with any
/// extension): knead refuses them as slugs, file names, folders, tags and author ids (see the
/// catalogue); aliases should be refused the same way.
#[test]
fn aliases_with_names_windows_reserves_are_errors() {
    for alias in ["/nul/", "/con.html", "/aux/x/", "/Com1/"] {
        let site = Site::new().file(
            "content/a.md",
            md(&format!("title = \"A\"\naliases = [\"{alias}\"]"), ""),
        );
        site.build()
            .exit(1)
            .stderr_has(&format!("content/a.md:3:1: error: alias `{alias}`"));
    }
}

/// Aliases already refuse `:`, `?` and names ending in a dot or a space, which Windows cannot
/// hold; the other characters Windows forbids in file names should be refused too.
#[test]
fn aliases_with_characters_windows_forbids_are_errors() {
    for alias in ["/a<b/", "/a>b/", "/a\\\"b/", "/a|b/", "/a*b/"] {
        let site = Site::new().file(
            "content/a.md",
            md(&format!("title = \"A\"\naliases = [\"{alias}\"]"), ""),
        );
        site.build().exit(1).stderr_has("error: alias `");
    }
}

/// The longest name a file system takes is 255 bytes; a static file or an alias of 250 bytes is
/// valid, and must be published.
#[test]
fn a_file_name_of_250_bytes_is_published() {
    let name = format!("{}.txt", "n".repeat(246));
    let site = Site::new()
        .file("content/a.md", page("A", ""))
        .file(&format!("static/{name}"), "long");
    let run = site.build().success();
    assert_eq!(run.read(&name), "long");
}

#[test]
fn names_differing_only_in_case_collide_across_kinds() {
    // A static file and a page; a static folder and a section; two aliases of one page.
    let cases = [
        (
            Site::new()
                .file("content/about.md", page("About", ""))
                .file("static/About/index.html", "<p>old</p>"),
            "static/About/index.html",
        ),
        (
            Site::new()
                .file("content/blog/post.md", page("Post", ""))
                .file("static/BLOG/index.html", "<p>old</p>"),
            "static/BLOG/index.html",
        ),
        (
            Site::new().file(
                "content/a.md",
                md("title = \"A\"\naliases = [\"/Old/\", \"/old/\"]", ""),
            ),
            "content/a.md",
        ),
        (
            Site::new()
                .file("content/a.md", md("title = \"A\"\ntags = [\"Neck\"]", ""))
                .file("static/Tags/Neck/index.html", "<p>old</p>"),
            "static/Tags/Neck/index.html",
        ),
    ];
    for (site, file) in cases {
        let run = site.build().exit(1);
        assert!(
            run.stderr.lines().any(
                |l| l.starts_with(&format!("{file}: error: this would write"))
                    && l.contains("differs only in case")
            ),
            "{file}:\n{}",
            run.stderr
        );
        assert!(!site.out().exists());
    }
}

/// A file name with `\` is an error on Linux and macOS (see the catalogue); on Windows it is
/// the separator. Nothing is written beside the output folder either way.
#[cfg(unix)]
#[test]
fn a_backslash_in_a_static_file_name_writes_nothing_anywhere() {
    let site = Site::new()
        .file("content/a.md", page("A", ""))
        .file("static/..\\..\\..\\escape.txt", "escaped");
    site.build()
        .exit(1)
        .stderr_has("static/..\\..\\..\\escape.txt: error: this file name contains `\\`");
    assert!(!site.out().exists());
    assert_eq!(beside(&site), Vec::<String>::new());
    assert!(!site.tmp().parent().unwrap().join("escape.txt").exists());
    // The file is still there: knead reads, it never moves the site's files.
    assert_eq!(
        fs::read_to_string(site.root().join("static/..\\..\\..\\escape.txt")).unwrap(),
        "escaped"
    );
}

/// Issue 18: static and bundle file names that Windows (or a web server's disk) cannot hold were
/// published as they are, against "every output path is portable". Each is an error naming the
/// file and why, and nothing is written.
#[cfg(unix)]
#[test]
fn file_names_other_systems_cannot_hold_are_errors_naming_them() {
    let bad = [
        (
            "static/new\nline.txt",
            "it contains a control character (U+000A)",
        ),
        (
            "static/a:b.txt",
            "`:` is not allowed in file names on Windows",
        ),
        (
            "static/a|b.txt",
            "`|` is not allowed in file names on Windows",
        ),
        ("static/con.txt", "Windows reserves this name for a device"),
        (
            "static/trailing.",
            "Windows does not allow a name ending in a dot or a space",
        ),
        (
            "static/space ",
            "Windows does not allow a name ending in a dot or a space",
        ),
        (
            "static/a?b/c.txt",
            "`?` is not allowed in file names on Windows",
        ),
        (
            "content/blog/post/photo*.jpg",
            "`*` is not allowed in file names on Windows",
        ),
    ];
    let mut site = Site::new().file("content/blog/post/index.md", page("Post", ""));
    for (file, _) in bad {
        site = site.file(file, "x");
    }
    let run = site.build().exit(1);
    for (file, reason) in bad {
        // Shown with its control characters as U+FFFD, so the message stays one line.
        let shown = file.replace('\n', "\u{fffd}");
        assert!(
            run.stderr.contains(&format!(
                "{shown}: error: this file name cannot be published as it is: {reason}"
            )),
            "{file:?}:\n{}",
            run.stderr
        );
    }
    assert!(!site.out().exists());
    // A name every system can hold is published as it is.
    let fine = Site::new()
        .file("content/a.md", page("A", ""))
        .file("static/Kestrel Logo (2025).v2.svg", "<svg/>");
    fine.build().success().read("Kestrel Logo (2025).v2.svg");
}
