// Lighthouse 12.2.3 (its default: the mobile preset with simulated throttling) on the home page and
// a post: performance, accessibility, best practices and SEO each at least MIN_SCORE. Scores are
// printed and written to artifacts/lighthouse.json, with each run's HTML report beside it.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertNone } from '../lib/assert.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../lib/browser.js';
import { ARTIFACTS, startSite } from '../lib/site.js';

const MIN_SCORE = 98;
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];
const PAGES = [
  { name: 'home', path: '/' },
  { name: 'post', path: '/blog/back-and-neck-massage-for-muscle-recovery/' },
  { name: 'photo-post', path: '/blog/making-a-massage-last/' },
];

let site;
let chrome;
const results = {};

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  site = await startSite();
  chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM_PATH,
    chromeFlags: ['--headless=new', ...CHROMIUM_FLAGS],
    logLevel: 'silent',
  });
});
after(async () => {
  writeFileSync(join(ARTIFACTS, 'lighthouse.json'), JSON.stringify(results, null, 2) + '\n');
  await chrome?.kill();
  await site?.close();
});

for (const p of PAGES) {
  it(`Lighthouse scores at least ${MIN_SCORE} on ${p.name} (${p.path})`, { timeout: 180_000 }, async () => {
    const url = site.url(p.path);
    const run = await lighthouse(url, {
      port: chrome.port,
      output: 'html',
      logLevel: 'error',
      onlyCategories: CATEGORIES,
    });
    const lhr = run.lhr;
    writeFileSync(join(ARTIFACTS, `lighthouse-${p.name}.html`), run.report);
    if (lhr.runtimeError) throw new Error(`Lighthouse could not run on ${url}: ${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
    const scores = Object.fromEntries(CATEGORIES.map((c) => [c, lhr.categories[c].score === null ? null : Math.round(lhr.categories[c].score * 100)]));
    // Audits that cost points, to say why a score is under 100.
    const lost = [];
    for (const c of CATEGORIES) {
      for (const ref of lhr.categories[c].auditRefs) {
        const a = lhr.audits[ref.id];
        if (ref.weight > 0 && a.score !== null && a.score < 1) {
          lost.push(`${c}: ${a.id} (${a.score}${a.displayValue ? `, ${a.displayValue}` : ''}): ${a.title}`);
        }
      }
    }
    results[p.name] = {
      url: p.path,
      lighthouse: lhr.lighthouseVersion,
      formFactor: lhr.configSettings.formFactor,
      throttling: lhr.configSettings.throttlingMethod,
      scores,
      lost,
      warnings: lhr.runWarnings,
    };
    console.log(`Lighthouse ${p.name}: ${CATEGORIES.map((c) => `${c} ${scores[c]}`).join(', ')}`);
    for (const l of lost) console.log(`  ${l}`);
    for (const w of lhr.runWarnings) console.log(`  warning: ${w}`);
    const low = CATEGORIES.filter((c) => scores[c] === null || scores[c] < MIN_SCORE);
    assertNone(low, `Lighthouse scores under ${MIN_SCORE} on ${p.path}: ${JSON.stringify(scores)}\n  ${lost.join('\n  ')}`);
  });
}
