//! Embeds the built-in theme (`templates/` and `static/`) into the binary, so that a site with
//! no templates of its own still builds and knead is one file to install.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

fn main() {
    let root = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let mut code = String::new();
    for (folder, constant, macro_name, kind) in [
        ("templates", "THEME_TEMPLATES", "include_str", "str"),
        ("static", "THEME_STATIC", "include_bytes", "[u8]"),
    ] {
        let dir = Path::new(&root).join(folder);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        list(&dir, &dir, &mut files);
        files.sort();
        writeln!(code, "/// The built-in theme's `{folder}/` files, by name.").unwrap();
        writeln!(code, "pub(crate) const {constant}: &[(&str, &{kind})] = &[").unwrap();
        for name in files {
            writeln!(
                code,
                "    ({name:?}, {macro_name}!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/{folder}/{name}\"))),"
            )
            .unwrap();
        }
        writeln!(code, "];").unwrap();
    }
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("theme.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}

fn list(base: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            list(base, &path, files);
        } else if let Ok(rel) = path.strip_prefix(base) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if !rel.starts_with('.') && !rel.contains("/.") {
                files.push(rel);
            }
        }
    }
}
