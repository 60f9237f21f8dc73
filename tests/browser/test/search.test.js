// The search page in Chromium: typing a query shows matching posts (from the JSON index written at
// build time), a query with no match says so, ?q= fills the box, and the results pass axe-core.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertNone } from '../lib/assert.js';
import AxeBuilder from '@axe-core/playwright';
import { launchBrowser } from '../lib/browser.js';
import { startSite } from '../lib/site.js';

let site;
let browser;
let context;
const problems = [];

before(async () => {
  site = await startSite();
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await context.route('**/*', (route) => {
    if (new URL(route.request().url()).origin !== site.origin) {
      problems.push(`request to another host: ${route.request().url()}`);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  context.on('weberror', (e) => problems.push(`page error: ${e.error()}`));
  context.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
});
after(async () => {
  await browser?.close();
  await site?.close();
});

async function results(page) {
  return page.locator('#search-results a').evaluateAll((as) => as.map((a) => ({ text: a.textContent.trim(), href: a.getAttribute('href') })));
}

it('typing a query shows matching posts', async () => {
  const page = await context.newPage();
  await page.goto(site.url('/search/'), { waitUntil: 'load' });
  const box = page.getByRole('searchbox');
  await box.click();
  await page.keyboard.type('neck', { delay: 30 });
  await page.locator('#search-results li').first().waitFor({ timeout: 5000 });
  const found = await results(page);
  const hrefs = found.map((r) => r.href);
  assert.ok(hrefs.includes('/blog/back-and-neck-massage-for-muscle-recovery/'), `results for "neck": ${JSON.stringify(found)}`);
  assert.ok(hrefs.includes('/blog/desk-neck-stretches/'), `results for "neck": ${JSON.stringify(found)}`);
  const status = (await page.locator('[role=status]').textContent()).trim();
  assert.match(status, /\d+ articles? found/, `status: "${status}"`);
  // Each result is a link that leads to a real page.
  for (const r of found) {
    const res = await page.request.get(site.url(r.href));
    assert.equal(res.status(), 200, `${r.href} answers ${res.status()}`);
  }
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  assertNone(axe.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), 'axe-core violations on the search results');
  await page.close();
});

it('a query with no match says so', async () => {
  const page = await context.newPage();
  await page.goto(site.url('/search/'), { waitUntil: 'load' });
  await page.getByRole('searchbox').fill('xylophone');
  await page.getByRole('searchbox').press('Enter');
  await page.waitForFunction(() => document.querySelector('[role=status]')?.textContent.trim() !== '', null, { timeout: 5000 });
  assert.equal(await page.locator('#search-results li').count(), 0);
  assert.match(await page.locator('[role=status]').textContent(), /no articles/i);
  await page.close();
});

it('?q= in the address runs the search', async () => {
  const page = await context.newPage();
  await page.goto(site.url('/search/?q=race+massage'), { waitUntil: 'load' });
  await page.locator('#search-results li').first().waitFor({ timeout: 5000 });
  assert.equal(await page.getByRole('searchbox').inputValue(), 'race massage');
  const hrefs = (await results(page)).map((r) => r.href);
  assert.ok(hrefs.includes('/blog/sports-massage-before-and-after-a-race/'), JSON.stringify(hrefs));
  await page.close();
});

it('logs no errors and asks no other host', () => {
  assertNone(problems, 'errors or requests to other hosts');
});
