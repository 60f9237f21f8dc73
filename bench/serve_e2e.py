#!/usr/bin/env python3
"""How long `knead serve` takes from a saved file to the new page served over HTTP.

    python3 bench/serve_e2e.py SITE_DIR [--edits 10] [--knead target/release/knead]

Starts `knead serve --port 0` on the site (made by gen_corpus.py), listens to its live-reload
events as a browser tab does, then edits one post again and again in three ways (a sentence added
to the text, a new title, one tag replaced by another tag of the site). Each edit is timed from
just before the file is written to the moment the post's page, fetched over HTTP after the
`reload` event, shows the edit: the watcher's quiet window, the rebuild and the HTTP round trips
together, what a person at the browser waits for. Prints the median and worst of each kind. The
post is restored at the end, and the server stopped. Standard library only; every wait is
bounded, and only 127.0.0.1 is spoken to.
"""

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import queue

WAIT = 60.0


def first_post(site):
    blog = os.path.join(site, "content", "blog")
    names = sorted(n for n in os.listdir(blog) if n.endswith(".md") and n != "_index.md")
    if not names:
        sys.exit(f"no post in {blog}")
    return os.path.join(blog, names[0])


def site_tags(site, own):
    """Tags of other posts that the edited post does not have."""
    found = []
    blog = os.path.join(site, "content", "blog")
    for name in sorted(os.listdir(blog))[:50]:
        with open(os.path.join(blog, name), encoding="utf-8") as f:
            m = re.search(r"^tags = \[(.*)\]$", f.read(), re.M)
        if m:
            for tag in json.loads("[" + m.group(1) + "]"):
                if tag not in own and tag not in found:
                    found.append(tag)
    return found


def replace_line(text, start, line):
    lines = text.split("\n")
    for i, old in enumerate(lines):
        if old.startswith(start):
            lines[i] = line
            return "\n".join(lines)
    return None


class Events:
    """The server's event stream, read on a thread: each event's name into a queue."""

    def __init__(self, host, port):
        self.queue = queue.Queue()
        self.conn = http.client.HTTPConnection(host, port, timeout=WAIT)
        self.conn.request("GET", "/__knead/events", headers={"Accept": "text/event-stream"})
        self.response = self.conn.getresponse()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for raw in self.response:
                line = raw.decode("utf-8", "replace").strip()
                if line.startswith("event:"):
                    self.queue.put(line[len("event:"):].strip())
        except (OSError, ValueError):
            pass

    def next(self, kinds):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                event = self.queue.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            if event in kinds:
                return event
        sys.exit(f"no {kinds} event within {WAIT} s")

    def drain(self):
        while not self.queue.empty():
            self.queue.get_nowait()


def fetch(host, port, path):
    conn = http.client.HTTPConnection(host, port, timeout=WAIT)
    conn.request("GET", path)
    body = conn.getresponse().read().decode("utf-8", "replace")
    conn.close()
    return body


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site")
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--knead", default=os.path.join("target", "release", "knead"))
    args = parser.parse_args()

    post = first_post(args.site)
    with open(post, encoding="utf-8") as f:
        original = f.read()
    own = json.loads("[" + re.search(r"^tags = \[(.*)\]$", original, re.M).group(1) + "]")
    others = site_tags(args.site, own)
    page = "/blog/" + os.path.basename(post)[: -len(".md")] + "/"

    server = subprocess.Popen(
        [args.knead, "serve", "--root", args.site, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = server.stdout.readline()
        m = re.search(r"http://([0-9.]+):([0-9]+)/", line)
        if not m:
            sys.exit(f"knead serve did not say where it serves: {line!r}")
        host, port = m.group(1), int(m.group(2))
        threading.Thread(target=lambda: server.stdout.read(), daemon=True).start()
        events = Events(host, port)
        events.next(["hello"])

        kinds = [
            ("text", lambda i: (original + f"\nEdit number {i} for the benchmark.\n", f"Edit number {i} for")),
            ("title", lambda i: (replace_line(original, "title = ", f'title = "Edited title {i}"'), f"Edited title {i}")),
            ("tag", lambda i: (replace_line(original, "tags = ", "tags = " + json.dumps(own[:-1] + [others[i % len(others)]])), others[i % len(others)])),
        ]
        for name, edit in kinds:
            times = []
            for i in range(args.edits):
                text, marker = edit(i)
                events.drain()
                start = time.monotonic()
                with open(post, "w", encoding="utf-8") as f:
                    f.write(text)
                while True:
                    events.next(["reload", "css", "error"])
                    if marker in fetch(host, port, page):
                        break
                times.append(time.monotonic() - start)
                # Let the server settle before the next edit (not timed).
                time.sleep(0.1)
            with open(post, "w", encoding="utf-8") as f:
                f.write(original)
            events.next(["reload"])
            time.sleep(0.2)
            ms = sorted(t * 1000 for t in times)
            print(f"{name} edit, {len(ms)} edits: median {statistics.median(ms):.1f} ms, worst {ms[-1]:.1f} ms")
    finally:
        with open(post, "w", encoding="utf-8") as f:
            f.write(original)
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
