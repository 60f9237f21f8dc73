//! Photos (issue 20): each photo a post shows becomes a `<picture>` of several widths in AVIF,
//! WebP and JPEG (PNG when it may be transparent), upright, with no metadata, never enlarged,
//! made once and kept in `.knead-cache/`. The photos are real ones (tests/fixtures/photos,
//! credited there); every file made is read back with a real decoder.

use std::fs;
use std::path::Path;

use crate::support::{Site, fixtures, md};

fn photo(name: &str) -> Vec<u8> {
    fs::read(fixtures().join("photos").join(name)).unwrap()
}

/// A post in its own folder with `wood.jpg` beside it (stored 1600x1200, EXIF orientation 6:
/// shown 1200x1600), and `ladybird.jpg` (1200x750) and `transparent.png` (800x449) in static/.
fn site() -> Site {
    Site::new()
        .file(
            "site.toml",
            "title = \"T\"\nbase_url = \"https://clinic.example\"\n\n[images]\nformats = [\"avif\", \"webp\"]\n",
        )
        .file("content/blog/stretch/wood.jpg", photo("wood.jpg"))
        .file("static/ladybird.jpg", photo("ladybird.jpg"))
        .file("static/transparent.png", photo("transparent.png"))
        .file(
            "content/blog/stretch/index.md",
            md(
                "title = \"Stretch\"\ndate = 2025-01-01",
                "Intro.\n\n![Wooden planks & boards](wood.jpg)\n\n\
                 ![A ladybird on a leaf](/ladybird.jpg \"In the garden\")\n\n\
                 ![Grey shapes](/transparent.png)\n",
            ),
        )
}

fn decode(path: &Path) -> image::DynamicImage {
    image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `<picture>` elements of a page, in order.
fn pictures(html: &str) -> Vec<&str> {
    html.split("<picture>")
        .skip(1)
        .map(|rest| rest.split("</picture>").next().unwrap())
        .collect()
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[start..start + tag[start..].find('"')?])
}

#[test]
fn each_photo_becomes_a_picture_of_every_width_and_format() {
    let site = site();
    let run = site.build().success();
    assert!(
        run.stderr
            .contains(" and 3 photos (3 made, 0 from the cache) in "),
        "{}",
        run.stderr
    );
    let html = run.read("blog/stretch/index.html");
    let found = pictures(&html);
    assert_eq!(found.len(), 3, "{html}");

    // wood.jpg: shown 1200x1600, so 480, 800 and 1200 wide, never wider.
    let wood = found[0];
    let img = &wood[wood.find("<img").unwrap()..];
    assert_eq!(attribute(img, "width"), Some("1200"));
    assert_eq!(attribute(img, "height"), Some("1600"));
    assert_eq!(attribute(img, "src"), Some("/blog/stretch/wood-1200.jpg"));
    assert_eq!(attribute(img, "alt"), Some("Wooden planks &amp; boards"));
    assert!(img.contains("fetchpriority=\"high\""), "{img}");
    assert!(!img.contains("loading=\"lazy\""), "{img}");
    assert!(wood.starts_with("<source type=\"image/avif\" srcset=\"/blog/stretch/wood-480.avif 480w, /blog/stretch/wood-800.avif 800w, /blog/stretch/wood-1200.avif 1200w\""), "{wood}");
    assert!(wood.contains("<source type=\"image/webp\""), "{wood}");
    assert!(attribute(img, "sizes").is_some_and(|s| !s.is_empty()));

    // The others load when the visitor scrolls near them.
    let ladybird = found[1];
    assert!(
        ladybird.contains("loading=\"lazy\" decoding=\"async\""),
        "{ladybird}"
    );
    assert!(ladybird.contains("title=\"In the garden\""), "{ladybird}");
    assert!(
        found[2].contains("src=\"/transparent-800.png\""),
        "{}",
        found[2]
    );

    // Every file named is there, and is what it says: a real decoder reads it back at the size
    // the HTML gives.
    for (stem, widths, height_of) in [
        ("blog/stretch/wood", vec![480, 800, 1200], 4.0 / 3.0),
        ("ladybird", vec![480, 800, 1200], 750.0 / 1200.0),
        ("transparent", vec![480, 800], 449.0 / 800.0),
    ] {
        let fallback = if stem == "transparent" { "png" } else { "jpg" };
        for width in widths {
            for ext in ["avif", "webp", fallback] {
                let rel = format!("{stem}-{width}.{ext}");
                assert!(run.exists(&rel), "{rel} is missing: {:?}", run.files());
                if ext == "avif" {
                    // No AVIF decoder without dav1d: the header says what it is.
                    let bytes = fs::read(run.out().join(&rel)).unwrap();
                    assert_eq!(&bytes[4..12], b"ftypavif", "{rel}");
                    continue;
                }
                let image = decode(&run.out().join(&rel));
                let height = (f64::from(width) * height_of).round() as u32;
                assert_eq!((image.width(), image.height()), (width, height), "{rel}");
            }
        }
    }
}

/// The photo's EXIF orientation is applied (the files are upright), and nothing of its
/// metadata is published: no GPS position, camera, name or orientation left in any file.
#[test]
fn photos_are_upright_and_keep_no_metadata() {
    let site = site();
    let run = site.build().success();
    // wood.jpg is stored lying on its side with orientation 6 (turn 90° clockwise).
    let original = decode(&fixtures().join("photos/wood.jpg"));
    assert_eq!((original.width(), original.height()), (1600, 1200));
    let upright =
        original
            .rotate90()
            .resize_exact(800, 1067, image::imageops::FilterType::Lanczos3);
    let made = decode(&run.out().join("blog/stretch/wood-800.jpg"));
    assert_eq!((made.width(), made.height()), (800, 1067));
    let difference = mean_difference(&upright, &made);
    assert!(
        difference < 8.0,
        "the file is not the photo turned upright: {difference}"
    );
    // Turned the other way, it would be far from it.
    let wrong = original
        .rotate270()
        .resize_exact(800, 1067, image::imageops::FilterType::Lanczos3);
    assert!(mean_difference(&wrong, &made) > 2.0 * difference + 5.0);

    for rel in run.files() {
        if !["jpg", "png", "webp", "avif"]
            .iter()
            .any(|ext| rel.ends_with(ext))
        {
            continue;
        }
        let bytes = fs::read(run.out().join(&rel)).unwrap();
        let exif = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&bytes));
        assert!(
            exif.is_err(),
            "{rel} has EXIF: {:?}",
            exif.map(|e| e.fields().count())
        );
        for secret in [
            &b"Exif\0\0"[..],
            b"GPS",
            b"Dana Smith",
            b"DiMAGE",
            b"MINOLTA",
        ] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret),
                "{rel} holds {:?}",
                String::from_utf8_lossy(secret)
            );
        }
    }
    // The original's own address holds the safe copy, not the original.
    let at_original = fs::read(run.out().join("blog/stretch/wood.jpg")).unwrap();
    assert_ne!(at_original, photo("wood.jpg"));
    let image = decode(&run.out().join("blog/stretch/wood.jpg"));
    assert_eq!((image.width(), image.height()), (1200, 1600));
}

fn mean_difference(a: &image::DynamicImage, b: &image::DynamicImage) -> f64 {
    let (a, b) = (a.to_rgb8(), b.to_rgb8());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[test]
fn transparency_is_kept() {
    let run = site().build().success();
    let mean_alpha = |image: &image::DynamicImage| {
        let rgba = image.to_rgba8();
        let total: u64 = rgba.pixels().map(|p| u64::from(p[3])).sum();
        total as f64 / f64::from(rgba.width() * rgba.height())
    };
    // From fully transparent to about half opaque.
    let original = mean_alpha(&decode(&fixtures().join("photos/transparent.png")));
    assert!(original > 10.0 && original < 200.0, "{original}");
    for rel in [
        "transparent-480.png",
        "transparent-480.webp",
        "transparent.png",
    ] {
        let image = decode(&run.out().join(rel));
        assert!(image.color().has_alpha(), "{rel}");
        assert!(image.to_rgba8().pixels().any(|p| p[3] == 0), "{rel}");
        let alpha = mean_alpha(&image);
        assert!(
            (alpha - original).abs() < 3.0,
            "{rel}: {alpha} against {original}"
        );
    }
}

#[test]
fn the_cache_is_reused_and_kept_to_what_is_used() {
    // WebP and JPEG/PNG (the default): AVIF takes long to make and is tested above.
    let site = site().file("site.toml", crate::support::SITE_TOML);
    let options = site.options();
    let first = site.build_lib(&options).unwrap();
    assert_eq!((first.images.processed, first.images.reused), (3, 0));
    let cache = site.root().join(".knead-cache/images");
    // The made files, without the index of the photos seen.
    let files = |dir: &Path| fs::read_dir(dir).unwrap().count() - 1;
    let cached = files(&cache);
    // 3 widths x 2 formats for each JPEG, 2 x 2 for the PNG, and a social preview each; the
    // copy at each photo's own address is its largest file in its own format, made once.
    assert_eq!(cached, 7 + 7 + 5);

    // A text edit: every photo comes from the cache.
    site.write(
        "content/blog/stretch/index.md",
        md(
            "title = \"Stretch\"\ndate = 2025-01-01",
            "Edited.\n\n![Planks](wood.jpg)\n",
        ),
    );
    let second = site.build_lib(&options).unwrap();
    assert_eq!((second.images.processed, second.images.reused), (0, 3));

    // Another photo under the same name: made again, and the old one's files leave the cache.
    site.write("static/ladybird.jpg", photo("tiny.jpg"));
    let third = site.build_lib(&options).unwrap();
    assert_eq!((third.images.processed, third.images.reused), (1, 2));
    assert_eq!(files(&cache), cached - 7 + 3);
    let image = decode(&site.out().join("ladybird-12.jpg"));
    assert_eq!(
        (image.width(), image.height()),
        (12, 8),
        "the new photo's files"
    );
    assert!(!site.out().join("ladybird-480.jpg").exists());
}

#[test]
fn a_photo_that_cannot_be_read_stops_the_build_at_its_file() {
    let mut truncated = photo("ladybird.jpg");
    truncated.truncate(truncated.len() / 3);
    let site = Site::new()
        .file("static/cut.jpg", truncated)
        .file("static/words.png", "these are not pixels")
        .file("content/a.md", md("title = \"A\"", "![Cut](/cut.jpg)\n"));
    // A file that is no image at all is found when the site is read.
    let run = site.build().exit(1);
    assert!(
        run.stderr
            .contains("static/words.png: error: this photo could not be read"),
        "{}",
        run.stderr
    );
    assert!(!site.out().exists());
    // One cut short, when it is decoded.
    site.remove("static/words.png");
    let run = site.build().exit(1);
    assert!(
        run.stderr
            .contains("static/cut.jpg: error: this photo could not be read"),
        "{}",
        run.stderr
    );
    assert!(!site.out().exists());
}

#[test]
fn small_photos_are_never_enlarged_and_the_widths_are_a_setting() {
    let site = Site::new()
        .file(
            "site.toml",
            "title = \"T\"\nbase_url = \"https://clinic.example\"\n\n[images]\nwidths = [300, 600]\nformats = [\"webp\"]\n",
        )
        .file("static/transparent.png", photo("transparent.png"))
        .file("static/ladybird.jpg", photo("ladybird.jpg"))
        .file(
            "content/a.md",
            md("title = \"A\"", "![Shapes](/transparent.png)\n\n![Ladybird](/ladybird.jpg)\n"),
        );
    let run = site.build().success();
    let mut made: Vec<String> = run
        .files()
        .into_iter()
        .filter(|f| f.starts_with("transparent") || f.starts_with("ladybird"))
        .collect();
    made.sort();
    assert_eq!(
        made,
        [
            "ladybird-300.jpg",
            "ladybird-300.webp",
            "ladybird-600.jpg",
            "ladybird-600.webp",
            "ladybird-social.jpg",
            "ladybird.jpg",
            "transparent-300.png",
            "transparent-300.webp",
            "transparent-600.png",
            "transparent-600.webp",
            "transparent-social.png",
            "transparent.png",
        ]
    );
}

#[test]
fn originals_are_published_only_when_asked() {
    let site = Site::new()
        .file(
            "site.toml",
            "title = \"T\"\nbase_url = \"https://clinic.example\"\n\n[images]\noriginals = true\n",
        )
        .file("content/a/wood.jpg", photo("wood.jpg"))
        .file(
            "content/a/index.md",
            md("title = \"A\"", "![Planks](wood.jpg)\n"),
        );
    let run = site.build().success();
    assert_eq!(
        fs::read(run.out().join("a/wood.jpg")).unwrap(),
        photo("wood.jpg")
    );
    assert!(run.exists("a/wood-800.webp"));
}

#[test]
fn mistakes_in_the_images_settings_are_errors_at_their_lines() {
    let settings = "title = \"T\"\nbase_url = \"https://clinic.example\"\n\n[images]\n";
    let site = Site::new().file("site.toml", format!("{settings}widht = 3\n"));
    let run = site.build().exit(1);
    assert!(
        run.stderr
            .contains("site.toml:5:1: error: unknown key `widht`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `widths`?"),
        "{}",
        run.stderr
    );
    let site = Site::new().file(
        "site.toml",
        format!("{settings}formats = [\"jxl\"]\nquality = 0\nwidths = []\n"),
    );
    let run = site.build().exit(1);
    for expected in [
        "site.toml:5:1: error: `formats` knows \"avif\" and \"webp\", not `jxl`",
        "site.toml:6:1: error: `quality` is from 1 to 100, not 0",
        "site.toml:7:1: error: `widths` must list widths",
    ] {
        assert!(run.stderr.contains(expected), "{expected}\n{}", run.stderr);
    }
}

/// A post's own photo (front matter `image`) shows above its text as a `<picture>` fetched
/// first; the photos in its text then all load lazily; its social preview names the safe copy
/// at the photo's own address with that copy's size.
#[test]
fn a_posts_own_photo_is_its_hero() {
    let site = Site::new()
        .file("content/blog/stretch/wood.jpg", photo("wood.jpg"))
        .file("content/blog/stretch/ladybird.jpg", photo("ladybird.jpg"))
        .file(
            "content/blog/stretch/index.md",
            md(
                "title = \"Stretch\"\ndate = 2025-01-01\nimage = \"wood.jpg\"\nimage_alt = \"Planks\"",
                "Intro.\n\n![A ladybird](ladybird.jpg)\n",
            ),
        );
    let run = site.build().success();
    let html = run.read("blog/stretch/index.html");
    let hero = html
        .split("<figure class=\"post-photo\">")
        .nth(1)
        .unwrap_or_else(|| panic!("no hero: {html}"));
    assert!(
        hero.starts_with(
            "<picture><source type=\"image/webp\" srcset=\"/blog/stretch/wood-480.webp 480w"
        ),
        "{hero}"
    );
    assert!(
        hero.contains("alt=\"Planks\" fetchpriority=\"high\""),
        "{hero}"
    );
    let body = html.split("<div class=\"prose\">").nth(1).unwrap();
    assert!(
        body.contains("alt=\"A ladybird\" loading=\"lazy\""),
        "{body}"
    );
    assert!(!body.contains("fetchpriority"), "{body}");
    // Shared, it shows as a 1200x630 cut from its middle.
    assert!(
        html.contains(
            "<meta property=\"og:image\" content=\"https://clinic.example/blog/stretch/wood-social.jpg\">"
        ),
        "{html}"
    );
    let social = decode(&run.out().join("blog/stretch/wood-social.jpg"));
    assert_eq!((social.width(), social.height()), (1200, 630));
    assert!(
        html.contains("<meta property=\"og:image:width\" content=\"1200\">"),
        "{html}"
    );
    assert!(
        html.contains("<meta property=\"og:image:height\" content=\"630\">"),
        "{html}"
    );
}

/// An unchanged photo is not even read again: its size and time say it is the one whose
/// bytes' hash the cache's index holds (a site of 200 photos would read a gigabyte on every
/// rebuild). Only a new size or time makes knead read it.
#[test]
fn an_unchanged_photo_is_not_read_again() {
    let site = site().file("site.toml", crate::support::SITE_TOML);
    let options = site.options();
    site.build_lib(&options).unwrap();
    let path = site.root().join("static/ladybird.jpg");
    let modified = fs::metadata(&path).unwrap().modified().unwrap();
    // Other bytes of the same length (the header kept, the pixels changed), with the old time
    // put back: not read, so not noticed.
    let mut changed = photo("ladybird.jpg");
    let middle = changed.len() / 2;
    changed[middle..middle + 64].fill(0);
    fs::write(&path, &changed).unwrap();
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    site.write(
        "content/blog/stretch/index.md",
        md(
            "title = \"Stretch\"\ndate = 2025-01-01",
            "Edited.\n\n![Planks](wood.jpg)\n",
        ),
    );
    let report = site.build_lib(&options).unwrap();
    assert_eq!((report.images.processed, report.images.reused), (0, 3));
    // A new time: read, found changed, made again.
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(modified + std::time::Duration::from_secs(5))
        .unwrap();
    let report = site.build_lib(&options).unwrap();
    assert_eq!((report.images.processed, report.images.reused), (1, 2));
}

/// The clinic's photo is the social preview of every page without a photo of its own and the
/// structured data's `image`; its logo takes the icon's place in the header and is the
/// structured data's `logo`; an author's photo is their portrait beside their posts and on
/// their page; a post's photo is its card's in the lists (issue 20).
#[test]
fn the_clinic_the_authors_and_the_cards_show_their_photos() {
    let site = Site::new()
        .file(
            "site.toml",
            "title = \"T\"\nbase_url = \"https://clinic.example\"\n\n[clinic]\nname = \"Kestrel\"\n\
             photo = \"/rooms/wood.jpg\"\nlogo = \"/logo.png\"\n\n[authors.dana]\nname = \"Dana\"\n\
             bio = \"Dana treats backs.\"\nphoto = \"/people/ladybird.jpg\"\n",
        )
        .file("static/rooms/wood.jpg", photo("wood.jpg"))
        .file("static/people/ladybird.jpg", photo("ladybird.jpg"))
        .file("static/logo.png", crate::support::tiny_png())
        .file("content/blog/stretch/ladybird.jpg", photo("ladybird.jpg"))
        .file(
            "content/blog/stretch/index.md",
            md(
                "title = \"Stretch\"\ndate = 2025-01-01\nauthor = \"dana\"\nimage = \"ladybird.jpg\"\nimage_alt = \"A ladybird\"",
                "Intro.\n",
            ),
        )
        .file(
            "content/blog/plain.md",
            md("title = \"Plain\"\ndate = 2025-01-02", "No photo.\n"),
        );
    let run = site.build().success();
    // The clinic's photo: the preview of a page without its own, as a 1200x630 cut.
    let plain = run.read("blog/plain/index.html");
    assert!(
        plain.contains(
            "<meta property=\"og:image\" content=\"https://clinic.example/rooms/wood-social.jpg\">\n\
             <meta property=\"og:image:width\" content=\"1200\">\n\
             <meta property=\"og:image:height\" content=\"630\">"
        ),
        "{plain}"
    );
    assert!(plain.contains("<meta name=\"twitter:card\" content=\"summary_large_image\">"));
    let home = run.read("index.html");
    assert!(
        home.contains("content=\"https://clinic.example/rooms/wood-social.jpg\""),
        "{home}"
    );
    // A post with a photo of its own keeps it, and only it.
    let post = run.read("blog/stretch/index.html");
    assert_eq!(
        post.matches("<meta property=\"og:image\"").count(),
        1,
        "{post}"
    );
    assert!(post.contains("content=\"https://clinic.example/blog/stretch/ladybird-social.jpg\""));
    // The structured data: the photo's safe copy and the logo.
    let graph: serde_json::Value = serde_json::from_str(
        home.split("<script type=\"application/ld+json\">")
            .nth(1)
            .and_then(|rest| rest.split("</script>").next())
            .unwrap(),
    )
    .unwrap();
    let clinic = graph["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|node| node["@id"] == "https://clinic.example/#clinic")
        .unwrap();
    assert_eq!(clinic["image"], "https://clinic.example/rooms/wood.jpg");
    assert_eq!(clinic["logo"], "https://clinic.example/logo.png");
    // The logo in the header, with its size.
    assert!(
        home.contains("<a class=\"brand\" href=\"/\"><img class=\"brand-logo\" src=\"/logo.png\" alt=\"\" width=\"12\" height=\"8\">"),
        "{home}"
    );
    // The author's portrait beside the post and on their page, a <picture> of the photo.
    let portrait = "<picture><source type=\"image/webp\" srcset=\"/people/ladybird-480.webp 480w";
    let author_box = post
        .split("<aside class=\"author-box with-photo\"")
        .nth(1)
        .unwrap();
    assert!(author_box.contains(portrait), "{author_box}");
    assert!(
        author_box.contains("class=\"author-photo\" loading=\"lazy\""),
        "{author_box}"
    );
    let author_page = run.read("authors/dana/index.html");
    assert!(author_page.contains(portrait), "{author_page}");
    // The lists: the post's card shows its photo, the other card none.
    let blog = run.read("blog/index.html");
    let cards: Vec<&str> = blog.split("<article class=\"card").skip(1).collect();
    assert_eq!(cards.len(), 2, "{blog}");
    let with_photo: Vec<&&str> = cards.iter().filter(|c| c.contains("card-photo")).collect();
    assert_eq!(with_photo.len(), 1, "{blog}");
    assert!(with_photo[0].starts_with(" with-photo\">"), "{blog}");
    assert!(
        with_photo[0].contains("srcset=\"/blog/stretch/ladybird-480.webp 480w"),
        "{blog}"
    );
    assert!(
        with_photo[0].contains("class=\"card-photo\" loading=\"lazy\""),
        "{blog}"
    );
    for file in ["rooms/wood-social.jpg", "people/ladybird-480.webp"] {
        decode(&run.out().join(file));
    }
}

/// A photo that site.toml names but the site does not have stops the build at its line, as a
/// post's missing image does (`knead check` calls it an error too): the clinic's photo and logo,
/// an author's photo. A full address is left to `knead check --external`.
#[test]
fn a_missing_photo_of_the_settings_stops_the_build() {
    let site = Site::new()
        .file(
            "site.toml",
            "title = \"T\"\nbase_url = \"https://clinic.example\"\n\n[clinic]\nname = \"Kestrel\"\n\
             photo = \"/clinic.jpg\"\nlogo = \"https://cdn.example/logo.svg\"\n\n[authors.dana]\n\
             name = \"Dana\"\nphoto = \"people/dana.jpg\"\n",
        )
        .file("static/people/Dana.jpg", photo("ladybird.jpg"))
        .file("content/a.md", md("title = \"A\"", "Text.\n"));
    let run = site.build().exit(1);
    let run = run.stderr_has("site.toml:6:1: error: image `/clinic.jpg` does not exist: the site has no `/clinic.jpg`")
        .stderr_has("site.toml:11:1: error: image `people/dana.jpg` does not exist: the site has no `/people/dana.jpg`")
        .stderr_has("help: put the photo in static/ (static/clinic.jpg) and write its address from the site's root: \"/clinic.jpg\"")
        .stderr_has("help: the photo is `static/people/Dana.jpg`: write its address, \"/people/Dana.jpg\" (capitals count: `Dana.jpg`, not `dana.jpg`)")
        .stderr_has("error: 2 errors, nothing written");
    assert!(!run.stderr.contains("logo.svg"), "{}", run.stderr);
    assert!(!site.out().exists());
}

/// `image_focus` says where the subject is: the social preview is cut around it, and a card
/// keeps it in view; a place knead cannot read is an error at its line (issue 20).
#[test]
fn the_focus_decides_where_the_photo_is_cut() {
    let post = |focus: &str| {
        md(
            &format!(
                "title = \"Stretch\"\ndate = 2025-01-01\nimage = \"ladybird.jpg\"\nimage_alt = \"A ladybird\"\nimage_focus = \"{focus}\""
            ),
            "Intro.\n",
        )
    };
    let site = Site::new()
        .file("content/blog/stretch/ladybird.jpg", photo("ladybird.jpg"))
        .file("content/blog/stretch/index.md", post("top"));
    let run = site.build().success();
    // ladybird.jpg is 1200x750: the 1200x630 preview leaves 120 rows out, all of them at the
    // bottom when the focus is the top.
    let original = image::load_from_memory(&photo("ladybird.jpg")).unwrap();
    let social = decode(&run.out().join("blog/stretch/ladybird-social.jpg"));
    assert_eq!((social.width(), social.height()), (1200, 630));
    let top = original.crop_imm(0, 0, 1200, 630);
    let middle = original.crop_imm(0, 60, 1200, 630);
    let (to_top, to_middle) = (
        mean_difference(&social, &top),
        mean_difference(&social, &middle),
    );
    assert!(to_top * 2.0 < to_middle, "top {to_top}, middle {to_middle}");
    let blog = run.read("blog/index.html");
    assert!(
        blog.contains("class=\"card-photo\" style=\"object-position: 50% 0%\""),
        "{blog}"
    );
    // Without a focus, the middle, and no style.
    let site = site.file("content/blog/stretch/index.md", post("center"));
    let run = site.build().success();
    let social = decode(&run.out().join("blog/stretch/ladybird-social.jpg"));
    let (to_top, to_middle) = (
        mean_difference(&social, &top),
        mean_difference(&social, &middle),
    );
    assert!(to_middle * 2.0 < to_top, "top {to_top}, middle {to_middle}");
    assert!(!run.read("blog/index.html").contains("object-position"));
    // A place knead cannot read.
    site.file("content/blog/stretch/index.md", post("upper bit"))
        .build()
        .exit(1)
        .stderr_has("content/blog/stretch/index.md:6:1: error: `image_focus = \"upper bit\"` is not a place in the photo knead can read")
        .stderr_has("two percentages, across then down: \"30% 20%\"");
}
