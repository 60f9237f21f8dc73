//! Benchmark: how long `knead serve` takes to rebuild after one post changes.
//!
//! ```text
//! cargo run --release --example serve_latency -- SITE_DIR [EDITS]
//! ```
//!
//! Builds the site in memory once, then edits one post EDITS times (default 20) in each of four
//! ways, rebuilding after each edit: a sentence added to the text, a new title, one tag replaced
//! by another tag of the site, the date moved by a few days. Prints the median and worst
//! rebuild time of each, and how the rebuilds went. The post is restored at the end. Generate a
//! site with `bench/gen_corpus.py`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use knead::BuildOptions;
use knead::session::{RebuildKind, Session};

/// The allocator the `knead` binary uses, so that the times are those of `knead serve`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next().map(PathBuf::from) else {
        eprintln!("usage: serve_latency SITE_DIR [EDITS]");
        std::process::exit(2);
    };
    let edits: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(20);
    let mut options = BuildOptions::new(&root);
    options.drafts = true;
    options.future = true;
    let mut session = Session::new(options);
    let first = match session.rebuild(None) {
        Ok(rebuilt) => rebuilt,
        Err(err) => {
            eprintln!("the first build failed: {err}");
            std::process::exit(1);
        }
    };
    println!(
        "first build: {} outputs in {:.3} s",
        first.outputs.0.len(),
        first.elapsed.as_secs_f64()
    );
    let post = first_post(&root);
    let original = std::fs::read_to_string(&post).expect("the post is readable");
    let other_tags = site_tags(&root, &original);
    let kinds: [(&str, EditFn); 4] = [
        (
            "text",
            Box::new(|i| Some(format!("{original}\nEdit number {i} for the benchmark.\n"))),
        ),
        (
            "title",
            Box::new(|i| {
                replace_line(
                    &original,
                    "title = ",
                    &format!("title = \"Edited title {i}\""),
                )
            }),
        ),
        (
            "tag",
            Box::new(|i| {
                let mut tags = front_matter_tags(&original);
                let other = other_tags.get(i % other_tags.len().max(1))?;
                tags.pop()?;
                tags.push(other.clone());
                let line = format!("tags = {tags:?}");
                replace_line(&original, "tags = ", &line)
            }),
        ),
        (
            "date",
            Box::new(|i| {
                let line = original.lines().find(|l| l.starts_with("date = "))?;
                let date: jiff::civil::Date = line["date = ".len()..].trim().parse().ok()?;
                let moved = date
                    .checked_add(jiff::Span::new().days(1 + (i % 5) as i64))
                    .ok()?;
                replace_line(&original, "date = ", &format!("date = {moved}"))
            }),
        ),
    ];
    for (name, edit) in &kinds {
        let mut times = Vec::new();
        let mut ways: Vec<RebuildKind> = Vec::new();
        let mut changed = Vec::new();
        for i in 0..edits {
            let Some(text) = edit(i) else {
                println!("{name}: the post has nothing to edit that way");
                break;
            };
            std::fs::write(&post, text).expect("the post is writable");
            match session.rebuild(Some(std::slice::from_ref(&post))) {
                Ok(rebuilt) => {
                    times.push(rebuilt.elapsed);
                    ways.push(rebuilt.kind);
                    changed.push(rebuilt.changed.len());
                }
                Err(err) => {
                    eprintln!("a rebuild failed: {err}");
                    break;
                }
            }
        }
        // Back to the original before the next kind of edit (not timed).
        std::fs::write(&post, &original).expect("the post is writable");
        if let Err(err) = session.rebuild(Some(std::slice::from_ref(&post))) {
            eprintln!("restoring the post failed: {err}");
        }
        report(name, times, &ways, &mut changed);
    }
}

/// Makes the text of edit number i, when the post has something to edit that way.
type EditFn<'a> = Box<dyn Fn(usize) -> Option<String> + 'a>;

fn report(name: &str, mut times: Vec<Duration>, ways: &[RebuildKind], changed: &mut [usize]) {
    times.sort();
    changed.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (Some(median), Some(worst)) = (times.get(times.len() / 2), times.last()) else {
        return;
    };
    let full = ways.iter().filter(|k| **k == RebuildKind::Full).count();
    println!(
        "{name} edit, {} rebuilds: median {:.1} ms, worst {:.1} ms; {} outputs changed (median); {} full rebuilds",
        times.len(),
        ms(*median),
        ms(*worst),
        changed[changed.len() / 2],
        full,
    );
}

/// `text` with the first line starting with `start` replaced by `line`.
fn replace_line(text: &str, start: &str, line: &str) -> Option<String> {
    let at = text.lines().position(|l| l.starts_with(start))?;
    let mut lines: Vec<&str> = text.lines().collect();
    lines[at] = line;
    let mut edited = lines.join("\n");
    if text.ends_with('\n') {
        edited.push('\n');
    }
    Some(edited)
}

/// The tags of a post's `tags = [...]` line.
fn front_matter_tags(text: &str) -> Vec<String> {
    let Some(line) = text.lines().find(|l| l.starts_with("tags = ")) else {
        return Vec::new();
    };
    line.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Tags of the site's other posts that `post` does not have.
fn site_tags(root: &Path, post: &str) -> Vec<String> {
    let own = front_matter_tags(post);
    let mut tags: Vec<String> = posts(root)
        .iter()
        .take(50)
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|text| front_matter_tags(&text))
        .filter(|tag| !own.contains(tag))
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// The first post of the site's blog, by name.
fn first_post(root: &Path) -> PathBuf {
    posts(root).into_iter().next().expect("the blog has a post")
}

fn posts(root: &Path) -> Vec<PathBuf> {
    let mut posts: Vec<PathBuf> = std::fs::read_dir(root.join("content/blog"))
        .expect("the site has content/blog")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "md")
                && p.file_name().is_some_and(|n| n != "_index.md")
        })
        .collect();
    posts.sort();
    posts
}
