// Every internal link, image, script and stylesheet address in every generated HTML file resolves to
// a file of the site (a folder → its index.html), and every #fragment exists as an id there.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertNone } from '../lib/assert.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, withParsed } from '../lib/browser.js';
import { extractPage } from '../lib/extract.js';
import { fileForUrl, listFiles, startSite, urlPathOf } from '../lib/site.js';

let site;
let browser;
const pages = new Map(); // file → extracted

before(async () => {
  site = await startSite();
  browser = await launchBrowser();
  const page = await browser.newPage();
  for (const f of listFiles(site.dir).filter((f) => f.endsWith('.html'))) {
    pages.set(f, await withParsed(page, readFileSync(join(site.dir, f), 'utf8'), 'text/html', extractPage));
  }
});
after(async () => {
  await browser?.close();
  await site?.close();
});

function check(tel) {
  const broken = [];
  let checked = 0;
  for (const [file, info] of pages) {
    const pageUrl = site.baseUrl + urlPathOf(file);
    const base = info.baseHref ? new URL(info.baseHref, pageUrl).href : pageUrl;
    for (const link of info.links) {
      const where = `${file}: <${link.tag} ${link.attr}="${link.value}">`;
      if (link.value === '' || link.value === '#') {
        broken.push(`${where}: empty address`);
        continue;
      }
      let url;
      try {
        url = new URL(link.value, base);
      } catch {
        broken.push(`${where}: not a valid URL`);
        continue;
      }
      if (url.protocol === 'tel:') {
        tel.push({ where, number: decodeURIComponent(url.pathname) });
        continue;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') continue; // mailto:, data:, ...
      const target = fileForUrl(site.dir, site.siteBaseUrls, url.href);
      if (target === null) continue; // another site: not checked here
      checked++;
      if (target.outside) {
        broken.push(`${where}: on the site's host but outside its base URL`);
        continue;
      }
      if (!target.file) {
        broken.push(`${where}: no such file in the site`);
        continue;
      }
      const fragment = decodeURIComponent(url.hash.slice(1));
      if (fragment && target.file.endsWith('.html')) {
        const t = pages.get(target.file);
        if (!t.ids.includes(fragment) && !t.names.includes(fragment)) {
          broken.push(`${where}: ${target.file} has no id "${fragment}"`);
        }
      }
    }
  }
  return { broken, checked };
}

it('every internal link and #fragment resolves', () => {
  const { broken, checked } = check([]);
  console.log(`links: ${checked} internal addresses in ${pages.size} HTML files`);
  assert.ok(pages.size > 5 && checked > 100, `only ${checked} internal links in ${pages.size} files`);
  assertNone(broken, `broken internal links`);
});

it('ids are unique within each page', () => {
  const dup = [];
  for (const [file, info] of pages) {
    const seen = new Set();
    for (const id of info.ids) {
      if (seen.has(id)) dup.push(`${file}: id "${id}"`);
      seen.add(id);
    }
  }
  assertNone(dup, `duplicate ids`);
});

it('canonical links point at the page itself', () => {
  const bad = [];
  for (const [file, info] of pages) {
    if (info.isRedirect || /noindex/i.test(info.robots)) continue;
    const expected = site.baseUrl + urlPathOf(file);
    if (info.canonical !== expected) bad.push(`${file}: canonical ${info.canonical}, expected ${expected}`);
  }
  assertNone(bad, 'canonical links that do not point at the page');
});

it('tel: links are in E.164 form (+ country code, digits only)', () => {
  const tel = [];
  check(tel);
  assert.ok(tel.length > 0, 'no tel: links at all: every page should have a "Call" action');
  const bad = tel.filter((t) => !/^\+[1-9]\d{6,14}$/.test(t.number)).map((t) => `${t.where}`);
  assertNone([...new Set(bad)], 'tel: links not in E.164 form');
});
