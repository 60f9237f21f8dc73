//! Bad input: every problem is reported at the line of the file as the user sees it, files saved
//! on Windows behave like the others, odd files give a clear message or a sane page, and nothing
//! panics.

use crate::support::{Site, page};

#[test]
fn line_numbers_count_the_lines_of_the_file() {
    let text = "+++\n# A comment\n\ntitle = \"A\"\ntitel = \"B\"\n+++\nBody\n";
    Site::new()
        .file("content/a.md", text)
        .build()
        .exit(1)
        .stderr_has("content/a.md:5:1: error: unknown key `titel`\n  |\n5 | titel = \"B\"\n");
}

#[test]
fn yaml_line_numbers_count_the_lines_of_the_file() {
    let text = "---\n# A comment\n\ntitle: A\ntitel: B\n---\nBody\n";
    Site::new()
        .file("content/a.md", text)
        .build()
        .exit(1)
        .stderr_has("content/a.md:5:1: error: unknown key `titel`");
}

#[test]
fn line_and_column_survive_a_bom_and_crlf() {
    let text = "\u{feff}+++\r\ntitle = \"A\"\r\n\r\n\r\ndraft = \"maybe\"\r\n+++\r\nBody\r\n";
    let run = Site::new().file("content/a.md", text).build().exit(1);
    assert!(
        run.stderr
            .contains("content/a.md:5:9: error: `draft` is true or false, not `\"maybe\"`\n  |\n5 | draft = \"maybe\"\n  |         ^\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn errors_in_the_body_count_lines_from_the_top_of_the_file() {
    let text = "+++\ntitle = \"A\"\n+++\n\nOne.\n\nTwo [x](@/nope.md).\n";
    Site::new()
        .file("content/a.md", text)
        .build()
        .exit(1)
        .stderr_has("content/a.md:7:5: error: link to `@/nope.md`");
}

#[test]
fn a_non_utf8_file_is_an_error_naming_it() {
    let mut bytes = b"+++\ntitle = \"Caf".to_vec();
    bytes.extend([0xe9, b'"', b'\n']);
    bytes.extend(b"+++\nLatin-1.\n");
    let run = Site::new()
        .file("content/ok.md", page("Ok", ""))
        .file("content/blog/latin1.md", bytes)
        .build()
        .exit(1);
    assert!(
        run.stderr
            .starts_with("content/blog/latin1.md: error: this file is not UTF-8 text"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("= help: save the file as UTF-8"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_non_utf8_template_is_an_error_naming_it() {
    Site::new()
        .file("templates/page.html", [b'{', b'{', 0xff, b'}', b'}'])
        .file("content/a.md", page("A", ""))
        .build()
        .exit(1)
        .stderr_has("templates/page.html: error: this template is not UTF-8 text");
}

const WINDOWS_BODY: &str = "Intro with a hard  \nbreak.\n\n## Heading\n\n- one\n- two\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n```\ncode line 1\ncode line 2\n```\n\n<!-- more -->\n\nLast.\n";

#[test]
fn a_file_with_bom_and_crlf_renders_byte_identically_to_one_without() {
    let plain = format!(
        "+++\ntitle = \"Windows\"\ndate = 2025-01-01\ntags = [\"Neck\"]\n+++\n{WINDOWS_BODY}"
    );
    let windows = format!("\u{feff}{}", plain.replace('\n', "\r\n"));
    assert!(windows.contains("\r\n") && windows.starts_with('\u{feff}'));
    let a = Site::new()
        .file("content/blog/post.md", &plain)
        .build()
        .success();
    let b = Site::new()
        .file("content/blog/post.md", &windows)
        .build()
        .success();
    assert_eq!(a.files(), b.files());
    for file in a
        .files()
        .into_iter()
        .filter(|f| f != knead::output::MANIFEST)
    {
        assert!(
            std::fs::read(a.out().join(&file)).unwrap()
                == std::fs::read(b.out().join(&file)).unwrap(),
            "{file} differs:\n{}\n---\n{}",
            a.read(&file),
            b.read(&file)
        );
    }
    assert!(a.read("blog/post/index.html").contains("hard<br />"));
}

#[test]
fn an_empty_file_is_an_error() {
    for text in ["", "  \n\n"] {
        Site::new()
            .file("content/empty.md", text)
            .build()
            .exit(1)
            .stderr_has("content/empty.md: error: this file is empty");
    }
}

#[test]
fn a_file_that_is_only_front_matter_builds_with_an_empty_body() {
    for text in [
        "+++\ntitle = \"A\"\n+++",
        "+++\ntitle = \"A\"\n+++\n",
        "---\ntitle: A\n---",
    ] {
        let run = Site::new()
            .file(
                "templates/page.html",
                "[{{ page.title }}|{{ page.content | safe }}]",
            )
            .file("content/a.md", text)
            .build()
            .success();
        assert_eq!(run.read("a/index.html"), "[A|]", "for {text:?}");
    }
}

#[test]
fn a_file_without_front_matter_is_an_error() {
    Site::new()
        .file("content/a.md", "# Just a heading\n")
        .build()
        .exit(1)
        .stderr_has("content/a.md:1:1: error: this page has no front matter");
}

#[test]
fn a_missing_closing_delimiter_is_an_error_at_the_opening_line() {
    for (text, delimiter) in [
        ("+++\ntitle = \"A\"\n\nBody.\n", "+++"),
        ("---\ntitle: A\n\nBody.\n", "---"),
    ] {
        let run = Site::new().file("content/a.md", text).build().exit(1);
        assert!(
            run.stderr.contains(&format!(
                "content/a.md:1:1: error: the front matter opened here is never closed\n  |\n1 | {delimiter}\n  | ^\n"
            )),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains(&format!("add a line with only `{delimiter}`")),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn a_delimiter_inside_the_body_renders_as_text() {
    let run = Site::new()
        .file("templates/page.html", "{{ page.content | safe }}")
        .file(
            "content/a.md",
            "+++\ntitle = \"A\"\n+++\nBefore.\n\n+++\n\nAfter.\n\n---\n\nEnd.\n",
        )
        .build()
        .success();
    assert_eq!(
        run.read("a/index.html"),
        "<p>Before.</p>\n<p>+++</p>\n<p>After.</p>\n<hr />\n<p>End.</p>\n"
    );
}

#[test]
fn a_missing_title_is_an_error() {
    Site::new()
        .file("content/a.md", "+++\ndate = 2025-01-01\n+++\n")
        .build()
        .exit(1)
        .stderr_has("content/a.md:1:1: error: this page has no `title`");
}

#[test]
fn an_unknown_author_suggests_a_known_one() {
    Site::new()
        .file(
            "site.toml",
            "title = \"T\"\nbase_url = \"https://clinic.example\"\n[authors.dana]\nname = \"Dana\"\n",
        )
        .file("content/a.md", "+++\ntitle = \"A\"\nauthor = \"dnaa\"\n+++\n")
        .build()
        .exit(1)
        .stderr_has("content/a.md:3:1: error: unknown author `dnaa`")
        .stderr_has("did you mean `dana`?");
}

/// Odd files never crash knead: each gives exit 0 or an error, never a panic.
#[test]
fn nothing_panics() {
    let cases: &[&[u8]] = &[
        b"",
        b"\xef\xbb\xbf",
        b"\r",
        b"+++",
        b"+++\n+++",
        b"+++\r\n",
        b"---\n---\n",
        b"---\n- a\n- b\n---\n",
        b"---\n: :\n---\n",
        b"---\n\ttitle: A\n---\n",
        b"+++\ntitle = \"A\"\n+++\n[x](@/)",
        b"+++\ntitle = \"A\"\n+++\n[x](@/#x)",
        b"+++\ntitle = \"A\"\n+++\n[x](@/a.md#)",
        b"+++\ntitle = \"A\"\n+++\n[x](@/../site.toml)",
        b"+++\ntitle = \"A\"\n+++\n#\n\n#\n\n## {#}\n",
        b"+++\ntitle = \"A\"\n+++\n<!-- more -->",
        b"+++\ntitle = \"A\"\n+++\nx[^1]\n\n[^2]: y\n",
        b"+++\ntitle = \"A\"\ndate = 1\n+++\n",
        b"+++\ntitle = \"A\"\ndate = 99999-01-01\n+++\n",
        b"+++\ntitle = \"A\"\ndate = \"-0001-01-01\"\n+++\n",
        b"+++\ntitle = \"A\"\ndate = 10:00:00\n+++\n",
        b"+++\ntitle = \"A\"\ntags = \"x\"\n+++\n",
        b"+++\ntitle = \"A\"\naliases = [\"\", \"/\", \"//\", \"/a//b/\"]\n+++\n",
        b"+++\ntitle = \"A\"\nslug = \"\"\n+++\n",
        b"+++\ntitle = \"A\"\ntemplate = \"../site.toml\"\n+++\n",
        b"+++\ntitle = \"A\"\nimage = \"../../x.png\"\n+++\n",
        b"+++\ntitle = \"\\u0000\xc3\xa9\"\n+++\n",
        b"+++\ntitle = \"A\"\n+++\n\xf0\x9f\x98\x8c\n\n## \xf0\x9f\x98\x8c\n",
        b"+++\ntitle = \"A\"\n+++\n> > > > > > > > > > > > > > > > deep\n",
        b"+++\ntitle = \"A\"\n[extra]\nx = [1, { a = \"b\" }]\n+++\n{{ page.title }} {% raw %}\n",
        b"+++\ntitle = \"A\"\ntitle = \"B\"\n+++\n",
        b"+++\ntitle = \"A\"\n+++\n\xff\xfe",
    ];
    for case in cases {
        let run = Site::new().file("content/a.md", case).build();
        assert!(
            matches!(run.code, Some(0 | 1)),
            "exit {:?} for {:?}\n{}",
            run.code,
            String::from_utf8_lossy(case),
            run.stderr
        );
        assert!(
            !run.stderr.contains("panicked"),
            "panic for {:?}\n{}",
            String::from_utf8_lossy(case),
            run.stderr
        );
        if run.code == Some(1) {
            assert!(
                run.stderr
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .ends_with("nothing written"),
                "{}",
                run.stderr
            );
        }
    }
}
