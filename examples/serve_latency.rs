//! Benchmark: how long `knead serve` takes to rebuild after one post changes.
//!
//! ```text
//! cargo run --release --example serve_latency -- SITE_DIR [EDITS]
//! ```
//!
//! Builds the site in memory once, then edits one post EDITS times (default 20), rebuilding
//! after each edit, and prints the median and worst rebuild time. The post is restored at the
//! end. Generate a site with `bench/gen_corpus.py`.

use std::path::PathBuf;
use std::time::Duration;

use knead::BuildOptions;
use knead::session::Session;

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
    let mut times = Vec::new();
    for i in 0..edits {
        let edited = format!("{original}\nEdit number {i} for the benchmark.\n");
        std::fs::write(&post, edited).expect("the post is writable");
        match session.rebuild(Some(std::slice::from_ref(&post))) {
            Ok(rebuilt) => {
                times.push(rebuilt.elapsed);
                if i == 0 {
                    println!("one edit changes {} outputs", rebuilt.changed.len());
                }
            }
            Err(err) => {
                eprintln!("a rebuild failed: {err}");
                break;
            }
        }
    }
    std::fs::write(&post, original).expect("the post is writable");
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    if let (Some(median), Some(worst)) = (times.get(times.len() / 2), times.last()) {
        println!(
            "one-post edit, {} rebuilds: median {:.1} ms, worst {:.1} ms",
            times.len(),
            ms(*median),
            ms(*worst)
        );
    }
}

/// The first post of the site's blog, by name.
fn first_post(root: &std::path::Path) -> PathBuf {
    let mut posts: Vec<PathBuf> = std::fs::read_dir(root.join("content/blog"))
        .expect("the site has content/blog")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "md")
                && p.file_name().is_some_and(|n| n != "_index.md")
        })
        .collect();
    posts.sort();
    posts.into_iter().next().expect("the blog has a post")
}
