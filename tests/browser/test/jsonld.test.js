// Every <script type="application/ld+json"> block parses as JSON, uses only real schema.org types
// (schema-types.json), links its nodes by @id within the page, and never rates the business itself.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertNone } from '../lib/assert.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, withParsed } from '../lib/browser.js';
import { extractPage } from '../lib/extract.js';
import { HERE, listFiles, startSite } from '../lib/site.js';

const TYPES = new Set(JSON.parse(readFileSync(join(HERE, 'schema-types.json'), 'utf8')).types);
const BUSINESS_TYPES = new Set([
  'Organization', 'LocalBusiness', 'HealthAndBeautyBusiness', 'DaySpa', 'BeautySalon', 'HealthClub',
  'MedicalBusiness', 'MedicalClinic', 'MedicalOrganization', 'Physiotherapy',
]);

let site;
const blocks = []; // { file, text, data?, error? }
let htmlFiles = 0;

before(async () => {
  site = await startSite();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    for (const f of listFiles(site.dir).filter((f) => f.endsWith('.html'))) {
      htmlFiles++;
      const info = await withParsed(page, readFileSync(join(site.dir, f), 'utf8'), 'text/html', extractPage);
      for (const text of info.jsonld) {
        try {
          blocks.push({ file: f, text, data: JSON.parse(text) });
        } catch (e) {
          blocks.push({ file: f, text, error: e.message });
        }
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`JSON-LD: ${blocks.length} block(s) in ${htmlFiles} HTML files`);
});
after(() => site?.close());

/** Calls fn(node, path) for every object in a JSON value. */
function walk(value, fn, path = '$') {
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, fn, `${path}[${i}]`));
  else if (value && typeof value === 'object') {
    fn(value, path);
    for (const [k, v] of Object.entries(value)) walk(v, fn, `${path}.${k}`);
  }
}
const typesOf = (node) => [].concat(node['@type'] ?? []);
const parsed = () => blocks.filter((b) => b.data !== undefined);

it('every JSON-LD block parses as JSON', () => {
  const bad = blocks.filter((b) => b.error).map((b) => `${b.file}: ${b.error}\n    ${b.text.slice(0, 200)}`);
  assertNone(bad, `JSON-LD blocks that are not JSON`);
});

it('every block uses schema.org as its context', () => {
  const bad = parsed()
    .filter((b) => [].concat(b.data).some((d) => !/^https?:\/\/schema\.org\/?$/.test(d['@context'] ?? '')))
    .map((b) => `${b.file}: @context ${JSON.stringify([].concat(b.data).map((d) => d['@context']))}`);
  assertNone(bad, 'JSON-LD blocks whose @context is not schema.org');
});

it('every @type is a real schema.org type', () => {
  const bad = [];
  let count = 0;
  for (const b of parsed()) {
    walk(b.data, (node, path) => {
      for (const t of typesOf(node)) {
        count++;
        const name = String(t).replace(/^https?:\/\/schema\.org\//, '');
        if (!TYPES.has(name)) bad.push(`${b.file} ${path}: "${t}"`);
      }
    });
  }
  console.log(`JSON-LD: ${count} @type value(s) checked`);
  assertNone(bad, `types not in schema-types.json (not schema.org types, or not ones knead should use)`);
});

it('no block rates or reviews the business itself', () => {
  const bad = [];
  for (const b of parsed()) {
    walk(b.data, (node, path) => {
      if (typesOf(node).some((t) => /AggregateRating|Review/.test(t))) bad.push(`${b.file} ${path}: @type ${typesOf(node)}`);
      if (typesOf(node).some((t) => BUSINESS_TYPES.has(t)) && (node.aggregateRating || node.review)) {
        bad.push(`${b.file} ${path}: the business has aggregateRating/review`);
      }
      if ('aggregateRating' in node) bad.push(`${b.file} ${path}: aggregateRating`);
    });
  }
  assertNone(bad, 'JSON-LD that rates or reviews the business');
});

it('every @id reference points at a node of the same page', () => {
  const bad = [];
  const byFile = new Map();
  for (const b of parsed()) {
    const defined = byFile.get(b.file) ?? new Set();
    walk(b.data, (node) => {
      if (node['@id'] && Object.keys(node).some((k) => k !== '@id')) defined.add(node['@id']);
    });
    byFile.set(b.file, defined);
  }
  for (const b of parsed()) {
    const defined = byFile.get(b.file);
    walk(b.data, (node, path) => {
      const keys = Object.keys(node);
      if (keys.length === 1 && keys[0] === '@id' && !defined.has(node['@id'])) {
        bad.push(`${b.file} ${path}: {"@id": "${node['@id']}"} is not defined on the page`);
      }
    });
  }
  assertNone(bad, `dangling @id references (search engines do not follow them to other pages)`);
});

it('posts carry a BlogPosting with headline, dates, author and publisher', () => {
  const bad = [];
  let posts = 0;
  for (const b of parsed()) {
    const nodes = [];
    walk(b.data, (n) => nodes.push(n));
    const byId = new Map(nodes.filter((n) => n['@id']).map((n) => [n['@id'], n]));
    const deref = (v) => (v && v['@id'] && Object.keys(v).length === 1 ? byId.get(v['@id']) : v);
    for (const n of nodes.filter((n) => typesOf(n).includes('BlogPosting'))) {
      posts++;
      for (const k of ['headline', 'datePublished', 'dateModified', 'author', 'publisher', 'mainEntityOfPage']) {
        if (!n[k]) bad.push(`${b.file}: BlogPosting has no ${k}`);
      }
      for (const a of [].concat(n.author ?? [])) {
        const p = deref(a);
        if (!p || !typesOf(p).includes('Person') || !p.name) bad.push(`${b.file}: BlogPosting author is not a Person with a name`);
      }
    }
  }
  console.log(`JSON-LD: ${posts} BlogPosting node(s)`);
  assertNone(bad, 'incomplete BlogPosting nodes');
});
