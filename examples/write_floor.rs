//! The least time writing a built site takes, with nothing rendered.
//!
//! ```text
//! cargo run --release --example write_floor -- SITE_DIR OUT_DIR
//! ```
//!
//! Reads every file of a built site (SITE_DIR, such as knead's output for a bench corpus) into
//! memory, then writes them all into OUT_DIR, which must not exist yet, on all cores (rayon),
//! making each folder as it is needed, like a generator writing its output. Prints the number
//! of files and the seconds the writing took (reading SITE_DIR is not counted). A generator that
//! writes the same files the usual way (a folder, then a file, each page) takes at least that
//! long on the same machine: the bench compares it with the floor (which writes one smaller file
//! per post and no lists, tags or feeds).

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(site), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: write_floor SITE_DIR OUT_DIR");
        std::process::exit(2);
    };
    let (site, out) = (Path::new(&site), Path::new(&out));
    if out.exists() {
        eprintln!("{} exists already: name a new folder", out.display());
        std::process::exit(2);
    }
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for entry in walkdir::WalkDir::new(site) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => fail(&format!("cannot read {}: {err}", site.display())),
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(site) else {
            continue;
        };
        match std::fs::read(entry.path()) {
            Ok(bytes) => files.push((rel.to_path_buf(), bytes)),
            Err(err) => fail(&format!("cannot read {}: {err}", entry.path().display())),
        }
    }
    let start = Instant::now();
    let failed: Vec<String> = files
        .par_iter()
        .filter_map(|(rel, bytes)| {
            let target = out.join(rel);
            target
                .parent()
                .map(std::fs::create_dir_all)
                .transpose()
                .and_then(|_| std::fs::write(&target, bytes))
                .err()
                .map(|err| format!("cannot write {}: {err}", target.display()))
        })
        .collect();
    let seconds = start.elapsed().as_secs_f64();
    if let Some(first) = failed.first() {
        fail(first);
    }
    println!("{} files written in {seconds:.6} s", files.len());
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(1);
}
