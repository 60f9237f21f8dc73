//! Edits of one kind each, rebuilt by a [`Session`]: what is rendered again, how the rebuild
//! went, and that the outputs are those of a build from scratch.

use std::path::Path;

use knead::render::{Output, Outputs};
use knead::session::{RebuildKind, Rebuilt, Session};
use knead::{BuildOptions, Error};

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "site.toml",
        "title = \"T\"\nbase_url = \"https://x.example\"\n",
    );
    write("content/blog/_index.md", "+++\ntitle = \"Blog\"\n+++\n");
    for (name, day) in [("a", "01"), ("b", "02")] {
        write(
            &format!("content/blog/{name}.md"),
            &format!(
                "+++\ntitle = \"{name}\"\ndate = 2025-01-{day}\ntags = [\"Neck\"]\n+++\nFirst paragraph.\n\n## Part\n\nBody of {name}.\n"
            ),
        );
    }
    dir
}

fn page(rebuilt: &Rebuilt, path: &str) -> String {
    match rebuilt.outputs.0.get(path) {
        Some(Output::Bytes(bytes)) => String::from_utf8(bytes.to_vec()).unwrap(),
        other => panic!("{path}: {other:?}"),
    }
}

#[test]
fn a_body_edit_rerenders_only_the_page_and_its_feeds() {
    let dir = site();
    let mut session = started(dir.path());
    let post = dir.path().join("content/blog/a.md");
    let text = std::fs::read_to_string(&post).unwrap();
    std::fs::write(&post, text.replace("Body of a.", "Body of a, edited.")).unwrap();
    let rebuilt = session.rebuild(Some(std::slice::from_ref(&post))).unwrap();
    assert!(page(&rebuilt, "blog/a/index.html").contains("Body of a, edited."));
    assert!(page(&rebuilt, "atom.xml").contains("Body of a, edited."));
    assert!(rebuilt.changed.contains(&"blog/a/index.html".to_owned()));
    assert!(!rebuilt.changed.contains(&"blog/index.html".to_owned()));
    // The same outputs a full build makes.
    let full = Session::new(BuildOptions::new(dir.path()))
        .rebuild(None)
        .unwrap();
    assert_eq!(*rebuilt.outputs, *full.outputs);
}

/// Rebuilds after replacing `from` by `to` in `rel`, and checks the outputs are those of a
/// full build.
fn edit(dir: &Path, session: &mut Session, rel: &str, from: &str, to: &str) -> Rebuilt {
    let post = dir.join(rel);
    let text = std::fs::read_to_string(&post).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    std::fs::write(&post, text.replacen(from, to, 1)).unwrap();
    let rebuilt = session.rebuild(Some(std::slice::from_ref(&post))).unwrap();
    assert_same_as_full_build(dir, &rebuilt);
    rebuilt
}

fn assert_same_as_full_build(dir: &Path, rebuilt: &Rebuilt) {
    assert_same_as_full_build_with(BuildOptions::new(dir), rebuilt);
}

fn assert_same_as_full_build_with(options: BuildOptions, rebuilt: &Rebuilt) {
    let full = Session::new(options).rebuild(None).unwrap();
    let paths = |o: &Outputs| o.0.keys().cloned().collect::<Vec<_>>();
    assert_eq!(paths(&rebuilt.outputs), paths(&full.outputs));
    for (path, output) in &full.outputs.0 {
        assert!(
            rebuilt.outputs.0.get(path) == Some(output),
            "{path} differs"
        );
    }
}

#[test]
fn a_title_edit_renders_what_shows_the_title() {
    let dir = site();
    let mut session = started(dir.path());
    let rebuilt = edit(
        dir.path(),
        &mut session,
        "content/blog/a.md",
        "title = \"a\"",
        "title = \"A new title\"",
    );
    assert_eq!(rebuilt.kind, RebuildKind::Pages);
    assert!(page(&rebuilt, "blog/index.html").contains("A new title"));
    assert!(rebuilt.changed.contains(&"blog/b/index.html".to_owned()));
}

/// A session over the site in `dir`, after its first build.
fn started(dir: &Path) -> Session {
    let mut session = Session::new(BuildOptions::new(dir));
    session.rebuild(None).unwrap();
    session
}

/// Writes a file of the site and rebuilds after it changed.
fn write(dir: &Path, session: &mut Session, rel: &str, text: &str) -> Result<Rebuilt, Error> {
    let path = dir.join(rel);
    std::fs::write(&path, text).unwrap();
    session.rebuild(Some(&[path]))
}

fn has(rebuilt: &Rebuilt, path: &str) -> bool {
    rebuilt.outputs.0.contains_key(path)
}

#[test]
fn a_tag_edit_moves_the_post_between_tag_pages() {
    let dir = site();
    let mut session = started(dir.path());
    let a = "content/blog/a.md";
    let rebuilt = edit(dir.path(), &mut session, a, "[\"Neck\"]", "[\"Back\"]");
    assert_eq!(rebuilt.kind, RebuildKind::Pages);
    assert!(page(&rebuilt, "tags/back/index.html").contains("/blog/a/"));
    assert!(!page(&rebuilt, "tags/neck/index.html").contains("/blog/a/"));
    let b = "content/blog/b.md";
    let rebuilt = edit(dir.path(), &mut session, b, "[\"Neck\"]", "[\"Back\"]");
    assert_eq!(rebuilt.kind, RebuildKind::Pages);
    // No post has the tag any more: its pages and feed go.
    assert!(!has(&rebuilt, "tags/neck/index.html"));
    assert!(!has(&rebuilt, "tags/neck/atom.xml"));
    assert!(rebuilt.changed.contains(&"tags/neck/atom.xml".to_owned()));
}

#[test]
fn a_new_slug_moves_the_page_and_an_alias_takes_the_old_address() {
    let dir = site();
    let mut session = started(dir.path());
    let moved = "title = \"a\"\nslug = \"renamed\"\naliases = [\"/blog/a/\"]";
    let rebuilt = edit(
        dir.path(),
        &mut session,
        "content/blog/a.md",
        "title = \"a\"",
        moved,
    );
    assert_eq!(rebuilt.kind, RebuildKind::Pages);
    assert!(page(&rebuilt, "blog/renamed/index.html").contains("Body of a."));
    assert!(page(&rebuilt, "blog/a/index.html").contains("https://x.example/blog/renamed/"));
    let rebuilt = edit(
        dir.path(),
        &mut session,
        "content/blog/a.md",
        "aliases = [\"/blog/a/\"]",
        "",
    );
    assert!(!has(&rebuilt, "blog/a/index.html"));
}

#[test]
fn posts_added_and_deleted_come_and_go() {
    let dir = site();
    let mut session = started(dir.path());
    let text = "+++\ntitle = \"c\"\ndate = 2025-01-03\ntags = [\"New\"]\n+++\nBody of c.\n";
    let rebuilt = write(dir.path(), &mut session, "content/blog/c.md", text).unwrap();
    assert_eq!(rebuilt.kind, RebuildKind::Pages);
    assert_same_as_full_build(dir.path(), &rebuilt);
    assert!(has(&rebuilt, "blog/c/index.html") && has(&rebuilt, "tags/new/index.html"));
    let post = dir.path().join("content/blog/c.md");
    std::fs::remove_file(&post).unwrap();
    let rebuilt = session.rebuild(Some(&[post])).unwrap();
    assert_eq!(rebuilt.kind, RebuildKind::Pages);
    assert_same_as_full_build(dir.path(), &rebuilt);
    assert!(!has(&rebuilt, "blog/c/index.html") && !has(&rebuilt, "tags/new/index.html"));
}

#[test]
fn the_fix_of_a_mistake_in_front_matter_is_quick_too() {
    let dir = site();
    let mut session = started(dir.path());
    let a = "content/blog/a.md";
    let text = std::fs::read_to_string(dir.path().join(a)).unwrap();
    let broken = text.replace("title = \"a\"", "title = \"a");
    assert!(write(dir.path(), &mut session, a, &broken).is_err());
    // Another post's slug: both would write `blog/b/index.html`.
    let taken = text.replace("title = \"a\"", "title = \"a\"\nslug = \"b\"");
    assert!(write(dir.path(), &mut session, a, &taken).is_err());
    let fixed = text.replace("title = \"a\"", "title = \"A, fixed\"");
    let rebuilt = write(dir.path(), &mut session, a, &fixed).unwrap();
    assert_eq!(rebuilt.kind, RebuildKind::Pages);
    assert_same_as_full_build(dir.path(), &rebuilt);
    assert!(page(&rebuilt, "blog/a/index.html").contains("A, fixed"));
}

/// Found by the property test: outputs the text path renders again must still go when
/// a later edit makes them unneeded.
#[test]
fn a_list_page_rendered_after_a_text_edit_goes_with_its_last_post() {
    let dir = site();
    let blog = "+++\ntitle = \"Blog\"\npaginate_by = 1\n+++\n";
    std::fs::write(dir.path().join("content/blog/_index.md"), blog).unwrap();
    let mut session = started(dir.path());
    // `a` is alone on the second list page, whose summary of it changes.
    let a = "content/blog/a.md";
    let rebuilt = edit(dir.path(), &mut session, a, "First paragraph.", "Changed.");
    assert_eq!(rebuilt.kind, RebuildKind::Bodies);
    assert!(page(&rebuilt, "blog/page/2/index.html").contains("Changed."));
    let post = dir.path().join(a);
    std::fs::remove_file(&post).unwrap();
    let rebuilt = session.rebuild(Some(&[post])).unwrap();
    assert!(!has(&rebuilt, "blog/page/2/index.html"));
    assert_same_as_full_build(dir.path(), &rebuilt);
}

/// A post coming due changes the site without an edit to it: the outputs that read the
/// lists it joins render again.
#[test]
fn a_post_coming_due_appears() {
    let dir = site();
    let scheduled = "+++\ntitle = \"c\"\ndate = 2025-06-01T12:00:00Z\n+++\nSoon.\n";
    std::fs::write(dir.path().join("content/blog/c.md"), scheduled).unwrap();
    let at = |moment: &str| BuildOptions {
        now: Some(moment.parse().unwrap()),
        ..BuildOptions::new(dir.path())
    };
    let mut session = Session::new(at("2025-06-01T11:00:00Z"));
    assert!(!has(&session.rebuild(None).unwrap(), "blog/c/index.html"));
    session.set_now(Some("2025-06-01T13:00:00Z".parse().unwrap()));
    let post = dir.path().join("content/blog/a.md");
    let text = std::fs::read_to_string(&post).unwrap();
    std::fs::write(&post, text.replace("title = \"a\"", "title = \"A\"")).unwrap();
    let rebuilt = session.rebuild(Some(&[post])).unwrap();
    assert_eq!(rebuilt.kind, RebuildKind::Pages);
    assert!(has(&rebuilt, "blog/c/index.html"));
    assert_same_as_full_build_with(at("2025-06-01T13:00:00Z"), &rebuilt);
}

/// With `--future`, a post still to come is marked so; coming due, it loses the mark,
/// though its file did not change.
#[test]
fn a_post_coming_due_with_future_on_loses_its_mark() {
    let dir = site();
    let scheduled = "+++\ntitle = \"c\"\ndate = 2025-06-01T12:00:00Z\n+++\nSoon.\n";
    std::fs::write(dir.path().join("content/blog/c.md"), scheduled).unwrap();
    let at = |moment: &str| BuildOptions {
        now: Some(moment.parse().unwrap()),
        future: true,
        ..BuildOptions::new(dir.path())
    };
    let mut session = Session::new(at("2025-06-01T11:00:00Z"));
    let before = session.rebuild(None).unwrap();
    session.set_now(Some("2025-06-01T13:00:00Z".parse().unwrap()));
    let post = dir.path().join("content/blog/a.md");
    let rebuilt = session.rebuild(Some(&[post])).unwrap();
    assert_same_as_full_build_with(at("2025-06-01T13:00:00Z"), &rebuilt);
    assert_ne!(
        page(&before, "blog/c/index.html"),
        page(&rebuilt, "blog/c/index.html")
    );
}

#[test]
fn a_section_edit_rebuilds_everything() {
    let dir = site();
    let mut session = started(dir.path());
    let rebuilt = edit(
        dir.path(),
        &mut session,
        "content/blog/_index.md",
        "Blog",
        "Articles",
    );
    assert_eq!(rebuilt.kind, RebuildKind::Full);
}

#[test]
fn outputs_still_held_are_never_changed_by_later_edits() {
    let dir = site();
    let mut session = Session::new(BuildOptions::new(dir.path()));
    let post = "content/blog/a.md";
    let text = std::fs::read_to_string(dir.path().join(post)).unwrap();
    let titled = |title: &str| text.replace("title = \"a\"", &format!("title = \"{title}\""));
    let mut held = vec![session.rebuild(None).unwrap()];
    for title in ["One", "Two", "Three", "Four"] {
        let rebuilt = write(dir.path(), &mut session, post, &titled(title)).unwrap();
        assert_eq!(rebuilt.kind, RebuildKind::Pages);
        assert_same_as_full_build(dir.path(), &rebuilt);
        held.push(rebuilt);
    }
    let copies: Vec<Outputs> = held.iter().map(|r| (*r.outputs).clone()).collect();
    let rebuilt = write(dir.path(), &mut session, post, &titled("Five")).unwrap();
    assert_same_as_full_build(dir.path(), &rebuilt);
    for (rebuilt, copy) in held.iter().zip(&copies) {
        assert_eq!(*rebuilt.outputs, *copy);
    }
    // Let go of them: the next edits patch the outputs of two builds back.
    held.clear();
    drop(rebuilt);
    for title in ["Six", "Seven", "Eight"] {
        let rebuilt = write(dir.path(), &mut session, post, &titled(title)).unwrap();
        assert_eq!(rebuilt.kind, RebuildKind::Pages);
        assert_same_as_full_build(dir.path(), &rebuilt);
    }
}

#[test]
fn a_summary_edit_updates_the_lists_too() {
    let dir = site();
    let mut session = started(dir.path());
    let post = dir.path().join("content/blog/a.md");
    let text = std::fs::read_to_string(&post).unwrap();
    std::fs::write(
        &post,
        text.replace("First paragraph.", "A new first paragraph."),
    )
    .unwrap();
    let rebuilt = session.rebuild(Some(std::slice::from_ref(&post))).unwrap();
    assert!(page(&rebuilt, "blog/index.html").contains("A new first paragraph."));
    let full = Session::new(BuildOptions::new(dir.path()))
        .rebuild(None)
        .unwrap();
    assert_eq!(*rebuilt.outputs, *full.outputs);
}
