//! `knead new` and `knead init`, through the real binary: the files they write, what they refuse,
//! their exit codes, and that what they make builds.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use knead::front_matter::{self, PageFrontMatter};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/new_init");

/// Runs `knead` with `args` in the folder `cwd`.
fn knead(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_knead"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the knead binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// A temporary folder holding a copy of the `site` fixture in `site/`.
fn site() -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("site");
    copy_dir(&Path::new(FIXTURES).join("site"), &root);
    (temp, root)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn front_matter_of(text: &str) -> PageFrontMatter {
    let split = front_matter::split(text).unwrap();
    toml::from_str(split.front_matter).unwrap()
}

fn today() -> jiff::civil::Date {
    jiff::ZonedDateTime::now().date()
}

fn build_drafts(cwd: &Path) {
    // A site fresh from `knead init` has no address of its own yet.
    let output = knead(
        cwd,
        &["build", "--drafts", "--base-url", "https://clinic.example"],
    );
    assert_exit(&output, 0);
}

#[test]
fn new_creates_a_draft_with_front_matter_and_it_builds() {
    let (_temp, root) = site();
    let before = today();
    let output = knead(&root, &["new", r#"Neck "pain" relief \ at your desk"#]);
    assert_exit(&output, 0);
    let path = root.join("content/blog/neck-pain-relief-at-your-desk.md");
    let text = fs::read_to_string(&path).unwrap();
    let fm = front_matter_of(&text);
    assert_eq!(
        fm.title.as_deref(),
        Some(r#"Neck "pain" relief \ at your desk"#)
    );
    assert!(fm.draft);
    assert_eq!(fm.author.as_deref(), Some("dana"));
    let date = fm.date.expect("the post has a date").to_string();
    assert!(
        date == before.to_string() || date == today().to_string(),
        "date = {date}"
    );
    for commented in ["\n# description = \"", "\n# tags = [", "\n# image = \""] {
        assert!(text.contains(commented), "no `{commented}` in:\n{text}");
    }
    let out = stdout(&output);
    assert!(
        out.contains("Created content/blog/neck-pain-relief-at-your-desk.md\n"),
        "{out}"
    );
    assert!(out.contains("  knead serve\n"), "{out}");

    build_drafts(&root);
    let page = root.join("public/blog/neck-pain-relief-at-your-desk/index.html");
    let html = fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("Neck &quot;pain&quot; relief \\ at your desk"),
        "{html}"
    );
}

#[test]
fn new_with_root_names_the_path_and_the_command_with_it() {
    let (temp, _root) = site();
    let output = knead(temp.path(), &["new", "Desk stretches", "--root", "site"]);
    assert_exit(&output, 0);
    assert!(
        temp.path()
            .join("site/content/blog/desk-stretches.md")
            .is_file()
    );
    let out = stdout(&output);
    assert!(
        out.contains("Created site/content/blog/desk-stretches.md\n"),
        "{out}"
    );
    assert!(out.contains("  knead serve --root site\n"), "{out}");
}

#[test]
fn new_refuses_to_overwrite_a_post() {
    let (_temp, root) = site();
    assert_exit(&knead(&root, &["new", "Desk stretches"]), 0);
    let path = root.join("content/blog/desk-stretches.md");
    fs::write(&path, "+++\ntitle = \"Mine\"\n+++\nMy words.\n").unwrap();
    let output = knead(&root, &["new", "Desk Stretches!"]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(
        err.contains("content/blog/desk-stretches.md: error: this file already exists"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "+++\ntitle = \"Mine\"\n+++\nMy words.\n"
    );
}

#[test]
fn new_refuses_a_title_a_page_bundle_already_has() {
    let (_temp, root) = site();
    let bundle = root.join("content/blog/desk-stretches");
    fs::create_dir_all(&bundle).unwrap();
    fs::write(bundle.join("index.md"), "+++\ntitle = \"A\"\n+++\n").unwrap();
    let output = knead(&root, &["new", "Desk stretches"]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("desk-stretches/index.md"));
    assert!(!root.join("content/blog/desk-stretches.md").exists());
}

#[test]
fn new_in_another_section_creates_its_folder() {
    let (_temp, root) = site();
    let output = knead(
        &root,
        &["new", "Hot stone massage", "--section", "services"],
    );
    assert_exit(&output, 0);
    assert!(root.join("content/services/hot-stone-massage.md").is_file());
    assert!(
        stdout(&output).contains("Created the folder content/services (a new section)"),
        "{}",
        stdout(&output)
    );
    assert!(!root.join("content/blog/hot-stone-massage.md").exists());
}

#[test]
fn new_refuses_a_section_outside_content() {
    let (_temp, root) = site();
    let output = knead(&root, &["new", "Escape", "--section", "../outside"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("--section `../outside`"));
    assert!(!root.join("outside").exists());
}

#[test]
fn new_with_an_empty_title_or_no_letters_is_bad_usage() {
    let (_temp, root) = site();
    for (title, message) in [
        ("", "error: the title is empty"),
        ("  ", "error: the title is empty"),
        ("!!! ???", "has no letters or digits"),
    ] {
        let output = knead(&root, &["new", title]);
        assert_exit(&output, 2);
        let err = stderr(&output);
        assert!(err.contains(message), "{title:?}: {err}");
        assert!(err.contains("= help: "), "{err}");
    }
    let output = knead(&root, &["new"]);
    assert_exit(&output, 2);
    assert_eq!(fs::read_dir(root.join("content/blog")).unwrap().count(), 1);
}

#[test]
fn new_outside_a_site_says_so() {
    let temp = tempfile::tempdir().unwrap();
    let output = knead(temp.path(), &["new", "Lost post"]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(err.contains("this folder is not a knead site"), "{err}");
    assert!(err.contains("knead init"), "{err}");
    assert!(!temp.path().join("content").exists());
}

#[test]
fn new_reports_a_broken_site_toml() {
    let (_temp, root) = site();
    fs::write(
        root.join("site.toml"),
        "titel = \"T\"\nbase_url = \"https://clinic.example\"\n",
    )
    .unwrap();
    let output = knead(&root, &["new", "A post"]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(
        err.contains("site.toml:1:1: error: unknown key `titel`"),
        "{err}"
    );
    assert!(err.contains("did you mean `title`?"), "{err}");
    assert!(!root.join("content/blog/a-post.md").exists());
}

#[test]
fn new_from_the_seed_article_guesses_headings_and_builds() {
    let (temp, root) = site();
    let seed = temp.path().join("notes.txt");
    fs::copy(Path::new(FIXTURES).join("seed.txt"), &seed).unwrap();
    let output = knead(
        &root,
        &[
            "new",
            "Back and neck massage for muscle recovery",
            "--from",
            seed.to_str().unwrap(),
        ],
    );
    assert_exit(&output, 0);
    let text =
        fs::read_to_string(root.join("content/blog/back-and-neck-massage-for-muscle-recovery.md"))
            .unwrap();
    for expected in [
        "\n## Role of Neck Pain Massage in Muscle Healing\n",
        "\n## Wrapping It Up\n",
        "\n### Enhanced Blood Circulation\n",
        "\n### Toxins are Removed\n",
        "\n### 1. Shortens Recovery Time\n",
        "\n### 5. Sports Massage\n",
        "\nIn this blog, we will discuss the role of neck pain massage in muscle recovery.\n",
    ] {
        assert!(text.contains(expected), "no {expected:?} in:\n{text}");
    }
    assert_eq!(text.matches("\n## ").count(), 4, "{text}");
    assert_eq!(text.matches("\n### ").count(), 14, "{text}");
    let fm = front_matter_of(&text);
    assert_eq!(
        fm.description.as_deref(),
        Some(
            "Back and neck pains are frequent problems that arise from long working hours, bad posture, stress, and physical strain."
        )
    );
    assert!(fm.draft);
    let out = stdout(&output);
    assert!(
        out.contains(
            "guessed 4 section headings (##): Role of Neck Pain Massage in Muscle Healing;"
        ),
        "{out}"
    );
    assert!(out.contains("guessed 14 item headings (###): "), "{out}");
    assert!(
        out.contains("description: the first sentence of the first paragraph"),
        "{out}"
    );

    build_drafts(&root);
    let html = fs::read_to_string(
        root.join("public/blog/back-and-neck-massage-for-muscle-recovery/index.html"),
    )
    .unwrap();
    assert!(html.contains("1. Shortens Recovery Time</"), "{html}");
    assert!(html.contains("Wrapping It Up</"), "{html}");
}

#[test]
fn new_from_takes_the_title_from_a_title_line() {
    let (temp, root) = site();
    let notes = temp.path().join("notes.txt");
    fs::write(
        &notes,
        "Desk Stretches That Help\r\nSit tall and roll your shoulders back.\r\n",
    )
    .unwrap();
    let output = knead(&root, &["new", "--from", notes.to_str().unwrap()]);
    assert_exit(&output, 0);
    let text = fs::read_to_string(root.join("content/blog/desk-stretches-that-help.md")).unwrap();
    let fm = front_matter_of(&text);
    assert_eq!(fm.title.as_deref(), Some("Desk Stretches That Help"));
    assert!(
        text.ends_with("+++\n\nSit tall and roll your shoulders back.\n"),
        "{text}"
    );
    assert!(
        stdout(&output).contains("title: taken from the first line, \"Desk Stretches That Help\""),
        "{}",
        stdout(&output)
    );
}

#[test]
fn new_from_with_a_title_drops_a_repeated_first_line_and_keeps_another() {
    let (temp, root) = site();
    let notes = temp.path().join("notes.txt");
    fs::write(&notes, "Desk Stretches\nSit tall.\n").unwrap();
    let same = knead(
        &root,
        &["new", "Desk stretches", "--from", notes.to_str().unwrap()],
    );
    assert_exit(&same, 0);
    let text = fs::read_to_string(root.join("content/blog/desk-stretches.md")).unwrap();
    assert!(text.ends_with("+++\n\nSit tall.\n"), "{text}");
    assert!(stdout(&same).contains("the first line repeats the title"));

    let other = knead(
        &root,
        &["new", "Office aches", "--from", notes.to_str().unwrap()],
    );
    assert_exit(&other, 0);
    let text = fs::read_to_string(root.join("content/blog/office-aches.md")).unwrap();
    assert!(
        text.ends_with("+++\n\n## Desk Stretches\n\nSit tall.\n"),
        "{text}"
    );
}

#[test]
fn new_from_without_a_title_line_asks_for_a_title() {
    let (temp, root) = site();
    let seed = temp.path().join("notes.txt");
    fs::copy(Path::new(FIXTURES).join("seed.txt"), &seed).unwrap();
    let output = knead(&root, &["new", "--from", seed.to_str().unwrap()]);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(
        err.contains("notes.txt: error: the first line of this file does not look like a title"),
        "{err}"
    );
    assert!(err.contains("knead new \"Title\" --from"), "{err}");
}

#[test]
fn new_from_a_file_that_is_not_utf8_or_is_empty_names_it() {
    let (temp, root) = site();
    for (name, bytes, message) in [
        (
            "latin1.txt",
            &b"Caf\xe9 notes\nText.\n"[..],
            "this file is not UTF-8 text",
        ),
        ("empty.txt", &b" \n\n"[..], "this file is empty"),
    ] {
        let path = temp.path().join(name);
        fs::write(&path, bytes).unwrap();
        let output = knead(&root, &["new", "A post", "--from", path.to_str().unwrap()]);
        assert_exit(&output, 1);
        let err = stderr(&output);
        assert!(err.contains(&format!("{name}: error: {message}")), "{err}");
    }
    let missing = knead(&root, &["new", "A post", "--from", "no-such-file.txt"]);
    assert_exit(&missing, 1);
    assert!(
        stderr(&missing).contains("`no-such-file.txt`"),
        "{}",
        stderr(&missing)
    );
    assert!(!root.join("content/blog/a-post.md").exists());
}

const STARTER: &[&str] = &[
    "site.toml",
    "content/_index.md",
    "content/about.md",
    "content/blog/_index.md",
    "content/blog/welcome-to-our-blog.md",
    "templates/README.md",
    "static/README.md",
    ".gitignore",
];

#[test]
fn init_creates_a_site_that_builds() {
    let temp = tempfile::tempdir().unwrap();
    let output = knead(temp.path(), &["init", "x"]);
    assert_exit(&output, 0);
    let dir = temp.path().join("x");
    for file in STARTER {
        assert!(dir.join(file).is_file(), "no {file}");
    }
    assert!(
        fs::read_to_string(dir.join(".gitignore"))
            .unwrap()
            .contains("public/\n")
    );
    let out = stdout(&output);
    assert!(out.contains("Created a site in x:\n  site.toml\n"), "{out}");
    assert!(out.contains("  cd x\n  knead serve\n"), "{out}");

    // Built for real, the example address is an error, and each example value a warning, with
    // where to change it (issue 19).
    let build = knead(temp.path(), &["build", "--root", "x"]);
    assert_exit(&build, 1);
    let said = stderr(&build);
    assert!(
        said.contains("site.toml:12:1: error: `base_url` is still `https://example.com`"),
        "{said}"
    );
    assert!(!dir.join("public").exists());
    let build = knead(
        temp.path(),
        &[
            "build",
            "--root",
            "x",
            "--base-url",
            "https://clinic.example",
        ],
    );
    assert_exit(&build, 0);
    let said = stderr(&build);
    for example in [
        "content/_index.md:6:1: warning: this page still has the example text",
        "content/about.md:7:1: warning: this page still has the example text",
        "content/blog/welcome-to-our-blog.md:9:1: warning: this page still has the example text",
        "warning: `clinic.city` is still the example `knead init` wrote: \"Your Town\"",
        "warning: `title` is still the example `knead init` wrote: \"Your Clinic Massage\"",
        "warning: `clinic.email` is still the example `knead init` wrote: \"hello@example.com\"",
        "warning: `authors.alex.name` is still the example `knead init` wrote: \"Alex Morgan\"",
    ] {
        assert!(said.contains(example), "{example}:\n{said}");
    }
    assert!(!said.contains("content/blog/_index.md"), "{said}");
    // The summary line counts them, so none scrolls by unnoticed.
    assert!(said.contains(" removed, 16 warnings → "), "{said}");
    // Once the clinic's own values are in, nothing is said.
    let site_toml = fs::read_to_string(dir.join("site.toml"))
        .unwrap()
        .replace("https://example.com\"", "https://clinic.example\"")
        .replace("hello@example.com", "desk@clinic.example");
    fs::write(dir.join("site.toml"), site_toml).unwrap();
    // A starter page whose title alone changed still has the instructions in it.
    let about = fs::read_to_string(dir.join("content/about.md"))
        .unwrap()
        .replace("title = \"About Us\"", "title = \"About Kestrel Bend\"");
    fs::write(dir.join("content/about.md"), about).unwrap();
    let again = stderr(&knead(temp.path(), &["build", "--root", "x"]));
    assert!(
        !again.contains("base_url") && !again.contains("clinic.email"),
        "{again}"
    );
    assert!(
        again.contains("content/about.md:7:1: warning: this page still has the example text"),
        "{again}"
    );
    let home = fs::read_to_string(dir.join("public/index.html")).unwrap();
    assert!(
        home.contains("Welcome to Our Blog"),
        "the sample post is listed:\n{home}"
    );
    assert!(
        dir.join("public/blog/welcome-to-our-blog/index.html")
            .is_file()
    );
    assert!(dir.join("public/about/index.html").is_file());
    // README files explain folders; they are not part of the site.
    assert!(!dir.join("public/README.md").exists());
}

#[test]
fn a_post_made_with_new_in_a_new_site_builds() {
    let temp = tempfile::tempdir().unwrap();
    assert_exit(&knead(temp.path(), &["init", "x"]), 0);
    let output = knead(temp.path(), &["new", "Our first post", "--root", "x"]);
    assert_exit(&output, 0);
    let text = fs::read_to_string(temp.path().join("x/content/blog/our-first-post.md")).unwrap();
    assert_eq!(front_matter_of(&text).author.as_deref(), Some("alex"));
    build_drafts(&temp.path().join("x"));
    assert!(
        temp.path()
            .join("x/public/blog/our-first-post/index.html")
            .is_file()
    );
}

#[test]
fn init_refuses_a_folder_that_is_not_empty() {
    let temp = tempfile::tempdir().unwrap();
    fs::write(temp.path().join("notes.txt"), "mine").unwrap();
    let output = knead(temp.path(), &["init", "."]);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(
        err.contains("this folder is not empty (it holds notes.txt)"),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert!(!temp.path().join("site.toml").exists());
}

#[test]
fn init_accepts_a_folder_with_only_hidden_files() {
    let temp = tempfile::tempdir().unwrap();
    fs::create_dir(temp.path().join(".git")).unwrap();
    let output = knead(temp.path(), &["init", "."]);
    assert_exit(&output, 0);
    assert!(temp.path().join("site.toml").is_file());
    assert!(!stdout(&output).contains("cd "), "{}", stdout(&output));
}

#[test]
fn init_refuses_a_file() {
    let temp = tempfile::tempdir().unwrap();
    fs::write(temp.path().join("x"), "a file").unwrap();
    let output = knead(temp.path(), &["init", "x"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("x: error: this is a file, not a folder"));
}

#[test]
fn init_force_only_adds_missing_files() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("x");
    fs::create_dir_all(dir.join("content")).unwrap();
    let mine = b"title = \"Mine\"\n# my own settings \xF0\x9F\x92\x86\n";
    fs::write(dir.join("site.toml"), mine).unwrap();
    fs::write(dir.join("content/about.md"), b"my about page").unwrap();
    fs::write(dir.join("unrelated.txt"), b"keep me").unwrap();

    let output = knead(temp.path(), &["init", "x", "--force"]);
    assert_exit(&output, 0);
    assert_eq!(fs::read(dir.join("site.toml")).unwrap(), mine);
    assert_eq!(
        fs::read(dir.join("content/about.md")).unwrap(),
        b"my about page"
    );
    assert_eq!(fs::read(dir.join("unrelated.txt")).unwrap(), b"keep me");
    for file in STARTER {
        assert!(dir.join(file).is_file(), "no {file}");
    }
    let out = stdout(&output);
    assert!(
        out.contains("Left alone (they already exist):\n  site.toml\n  content/about.md\n"),
        "{out}"
    );
    assert!(!out.contains("  site.toml\n  content/_index.md"), "{out}");

    // A second run has nothing left to do and still changes nothing.
    let again = knead(temp.path(), &["init", "x", "--force"]);
    assert_exit(&again, 0);
    assert!(
        stdout(&again).contains("Nothing to create"),
        "{}",
        stdout(&again)
    );
    assert_eq!(fs::read(dir.join("site.toml")).unwrap(), mine);
}
