// The site under test. Without SITE_DIR: pick a free port, build the repository's example site with
// `--base-url http://127.0.0.1:PORT` into a temporary folder, and serve it there, so canonical
// links, feeds and the sitemap point at the server the browser talks to. With SITE_DIR: serve that
// folder (on PORT if given; BASE_URL, else site.toml's base_url, is what it was built with).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.js';

export const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = resolve(HERE, '..', '..');
export const ARTIFACTS = join(HERE, 'artifacts');
// The site to build: the repository's example site unless SITE_ROOT names another one.
export const SITE_ROOT = process.env.SITE_ROOT ? resolve(process.env.SITE_ROOT) : REPO_ROOT;

/** `base_url` from the top level of a site.toml (before the first table). */
export function siteTomlBaseUrl(root = SITE_ROOT) {
  const text = readFileSync(join(root, 'site.toml'), 'utf8');
  const top = text.split(/^\s*\[/m)[0];
  const m = top.match(/^\s*base_url\s*=\s*"([^"]*)"/m);
  if (!m) throw new Error('site.toml has no base_url');
  return m[1].replace(/\/+$/, '');
}

function build(origin) {
  const out = mkdtempSync(join(tmpdir(), 'knead-browser-'));
  // KNEAD: a knead binary to use instead of `cargo run --release`.
  const [cmd, pre] = process.env.KNEAD ? [process.env.KNEAD, []] : ['cargo', ['run', '--release', '--locked', '--quiet', '--']];
  const args = [...pre, 'build', '--root', SITE_ROOT, '--base-url', origin, '--output', out];
  try {
    const r = spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8' });
    if (r.error) throw r.error;
    if (r.status !== 0) throw Object.assign(new Error(`exit ${r.status}`), r);
    const last = `${r.stdout}${r.stderr}`.trim().split('\n').pop();
    console.log(`built the example site for ${origin}: ${last}`);
  } catch (e) {
    rmSync(out, { recursive: true, force: true });
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
  return out;
}

/**
 * Starts the server with the site. Returns { dir, origin, baseUrl, siteBaseUrls, url(path), close() }.
 * `siteBaseUrls` are the addresses that mean "this site" in absolute links: the one the site was built
 * with and site.toml's (the booking link, say, may be written with the latter).
 */
export async function startSite() {
  const port = Number(process.env.PORT ?? 0);
  const server = await startServer({ port });
  let dir;
  let built = false;
  let baseUrl;
  try {
    if (process.env.SITE_DIR) {
      dir = resolve(process.env.SITE_DIR);
      if (!existsSync(join(dir, 'index.html'))) throw new Error(`SITE_DIR ${dir} has no index.html`);
      baseUrl = (process.env.BASE_URL ?? siteTomlBaseUrl()).replace(/\/+$/, '');
    } else {
      dir = build(server.origin);
      built = true;
      baseUrl = server.origin;
    }
  } catch (e) {
    await server.close();
    throw e;
  }
  server.setRoot(dir);
  const siteBaseUrls = [...new Set([baseUrl, siteTomlBaseUrl()])];
  return {
    dir,
    origin: server.origin,
    baseUrl,
    siteBaseUrls,
    server,
    url: (path) => new URL(path, server.origin + '/').href,
    async close() {
      await server.close();
      if (built && !process.env.KEEP_SITE) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every file under `dir` (relative paths with `/`), sorted. */
export function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** The root-relative URL path a file is served at: `blog/x/index.html` → `/blog/x/`. */
export function urlPathOf(file) {
  const p = '/' + file;
  return p.endsWith('/index.html') ? p.slice(0, -'index.html'.length) : p;
}

/**
 * The file in `dir` that an absolute URL of the site is served from (a folder → its index.html),
 * or null when it is not under one of `bases` or no such file exists. `{ file, outside }`: outside is
 * true when the URL is on the site's host but not under its base path.
 */
export function fileForUrl(dir, bases, url) {
  const u = new URL(url);
  for (const base of bases) {
    const b = new URL(base + '/');
    if (u.origin !== b.origin) continue;
    if (!u.pathname.startsWith(b.pathname)) return { file: null, outside: true };
    let rel;
    try {
      rel = decodeURIComponent(u.pathname.slice(b.pathname.length));
    } catch {
      return { file: null };
    }
    if (rel.split('/').includes('..')) return { file: null };
    const candidates = rel === '' || rel.endsWith('/') ? [rel + 'index.html'] : [rel, rel + '/index.html'];
    for (const c of candidates) {
      if (existsSync(join(dir, c)) && statSync(join(dir, c)).isFile()) return { file: c };
    }
    return { file: null };
  }
  return null; // not this site
}
