// Every *.xml file of the site parses as XML (Chromium's DOMParser, a real XML parser); Atom feeds
// have what RFC 4287 requires and link to pages that exist; the sitemap lists absolute addresses
// under the site's base URL that exist, including every post; robots.txt names the sitemap.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertNone } from '../lib/assert.js';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, withParsed } from '../lib/browser.js';
import { extractPage } from '../lib/extract.js';
import { fileForUrl, listFiles, startSite, urlPathOf } from '../lib/site.js';

const ATOM = 'http://www.w3.org/2005/Atom';
const SITEMAP = 'http://www.sitemaps.org/schemas/sitemap/0.9';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const W3C_DATE = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

let site;
let browser;
let page;
const docs = new Map(); // file → summary of the parsed document

/** Runs in the browser: a plain summary of an XML document (or its parse error). */
function summarize(doc) {
  const err = doc.getElementsByTagNameNS('*', 'parsererror')[0];
  if (err) return { error: err.textContent.trim().replace(/\s+/g, ' ').slice(0, 300) };
  const root = doc.documentElement;
  const kids = (el, name) => [...el.children].filter((c) => c.localName === name && c.namespaceURI === root.namespaceURI);
  const text = (el, name) => kids(el, name)[0]?.textContent.trim() ?? null;
  const links = (el) => kids(el, 'link').map((l) => ({ rel: l.getAttribute('rel') ?? 'alternate', href: l.getAttribute('href') }));
  const out = { root: root.localName, ns: root.namespaceURI };
  if (root.localName === 'feed') {
    Object.assign(out, {
      id: text(root, 'id'), title: text(root, 'title'), updated: text(root, 'updated'),
      links: links(root), authors: kids(root, 'author').map((a) => text(a, 'name')),
      entries: kids(root, 'entry').map((e) => ({
        id: text(e, 'id'), title: text(e, 'title'), updated: text(e, 'updated'), links: links(e),
        authors: kids(e, 'author').map((a) => text(a, 'name')),
        content: kids(e, 'content')[0] ? { type: kids(e, 'content')[0].getAttribute('type'), length: kids(e, 'content')[0].textContent.trim().length } : null,
      })),
    });
  } else if (root.localName === 'urlset') {
    out.urls = kids(root, 'url').map((u) => ({ loc: text(u, 'loc'), lastmod: text(u, 'lastmod') }));
  }
  return out;
}

before(async () => {
  site = await startSite();
  browser = await launchBrowser();
  page = await browser.newPage();
  for (const f of listFiles(site.dir).filter((f) => f.endsWith('.xml'))) {
    docs.set(f, await withParsed(page, readFileSync(join(site.dir, f), 'utf8'), 'application/xml', summarize));
  }
  console.log(`XML: ${docs.size} file(s): ${[...docs.keys()].join(', ')}`);
});
after(async () => {
  await browser?.close();
  await site?.close();
});

const under = (url) => site.siteBaseUrls.some((b) => url?.startsWith(b + '/'));
const resolves = (url) => !!fileForUrl(site.dir, site.siteBaseUrls, url)?.file;

it('the site has a sitemap.xml and an atom.xml', () => {
  assert.ok(docs.has('sitemap.xml'), 'no sitemap.xml');
  assert.ok(docs.has('atom.xml'), 'no atom.xml');
});

it('every XML file parses', () => {
  const bad = [...docs].filter(([, d]) => d.error).map(([f, d]) => `${f}: ${d.error}`);
  assertNone(bad, `XML files that do not parse`);
});

it('the XML parser rejects broken XML (self-check)', async () => {
  const d = await withParsed(page, '<feed><title>a & b</title></feed>', 'application/xml', summarize);
  assert.ok(d.error, 'DOMParser accepted a bare &');
});

describe('Atom feeds', () => {
  it('have id, title, updated, a self link, an author and entries with id, title, updated, link and content', () => {
    const bad = [];
    let feeds = 0;
    for (const [f, d] of docs) {
      if (d.root !== 'feed') continue;
      feeds++;
      const p = (m) => bad.push(`${f}: ${m}`);
      if (d.ns !== ATOM) p(`root namespace ${d.ns}, not ${ATOM}`);
      if (!d.id || !/^[a-z][a-z0-9+.-]*:/i.test(d.id)) p(`feed id "${d.id}" is not an IRI`);
      if (!d.title) p('feed has no title');
      if (!RFC3339.test(d.updated ?? '')) p(`feed updated "${d.updated}" is not an RFC 3339 date-time`);
      const self = d.links.find((l) => l.rel === 'self');
      if (!self) p('no rel="self" link');
      else if (self.href !== site.baseUrl + '/' + f) p(`self link ${self.href}, expected ${site.baseUrl}/${f}`);
      if (d.entries.length === 0) p('no entries');
      const ids = new Set();
      for (const [i, e] of d.entries.entries()) {
        const q = (m) => p(`entry ${i + 1} ("${e.title}"): ${m}`);
        if (!e.id) q('no id');
        if (ids.has(e.id)) q(`duplicate id ${e.id}`);
        ids.add(e.id);
        if (!e.title) q('no title');
        if (!RFC3339.test(e.updated ?? '')) q(`updated "${e.updated}" is not an RFC 3339 date-time`);
        else if (RFC3339.test(d.updated ?? '') && Date.parse(e.updated) > Date.parse(d.updated)) q('updated after the feed');
        const alt = e.links.find((l) => l.rel === 'alternate');
        if (!alt?.href) q('no link');
        else if (!under(alt.href)) q(`link ${alt.href} is not under ${site.baseUrl}/`);
        else if (!resolves(alt.href)) q(`link ${alt.href} is not a page of the site`);
        if (!e.content || e.content.length === 0) q('no content');
        else if (e.content.type !== 'html' && e.content.type !== 'xhtml') q(`content type ${e.content.type}`);
        if (d.authors.length === 0 && e.authors.length === 0) q('no author (and the feed has none)');
      }
    }
    console.log(`Atom: ${feeds} feed(s)`);
    assert.ok(feeds > 0, 'no Atom feeds');
    assertNone(bad, 'Atom problems');
  });
});

describe('sitemap.xml', () => {
  it(`lists absolute, existing addresses under the base URL`, () => {
    const d = docs.get('sitemap.xml');
    assert.equal(d.root, 'urlset');
    assert.equal(d.ns, SITEMAP);
    assert.ok(d.urls.length > 5, `only ${d.urls.length} urls`);
    const bad = [];
    const seen = new Set();
    for (const u of d.urls) {
      if (!u.loc?.startsWith(site.baseUrl + '/')) bad.push(`<loc>${u.loc}</loc> does not start with ${site.baseUrl}/`);
      else if (!resolves(u.loc)) bad.push(`<loc>${u.loc}</loc> is not a page of the site`);
      if (seen.has(u.loc)) bad.push(`<loc>${u.loc}</loc> twice`);
      seen.add(u.loc);
      if (u.lastmod !== null && !W3C_DATE.test(u.lastmod)) bad.push(`<lastmod>${u.lastmod}</lastmod> for ${u.loc} is not a W3C date`);
    }
    assertNone(bad, 'sitemap problems');
  });

  it('lists every post and no page marked noindex', async () => {
    const listed = new Set(docs.get('sitemap.xml').urls.map((u) => u.loc));
    const bad = [];
    for (const f of listFiles(site.dir).filter((f) => f.endsWith('.html'))) {
      const info = await withParsed(page, readFileSync(join(site.dir, f), 'utf8'), 'text/html', extractPage);
      const url = site.baseUrl + urlPathOf(f);
      const noindex = /noindex/i.test(info.robots) || info.isRedirect;
      if (noindex && listed.has(url)) bad.push(`${url} is noindex but in the sitemap`);
      if (!noindex && info.ogType === 'article' && !listed.has(url)) bad.push(`post ${url} is not in the sitemap`);
    }
    assertNone(bad, 'sitemap coverage problems');
  });
});

it('robots.txt names the sitemap by its absolute address', () => {
  const path = join(site.dir, 'robots.txt');
  assert.ok(existsSync(path), 'no robots.txt');
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const sitemaps = lines.filter((l) => /^sitemap:/i.test(l)).map((l) => l.replace(/^sitemap:\s*/i, '').trim());
  assert.ok(sitemaps.includes(`${site.baseUrl}/sitemap.xml`), `robots.txt Sitemap lines: ${JSON.stringify(sitemaps)}`);
  assert.ok(!lines.some((l) => /^disallow:\s*\/\s*$/i.test(l)), 'robots.txt disallows the whole site');
});
