// The built site opened from disk (public/index.html in a file browser, no web server): the page
// is styled and its links lead to the files, so a new user can read the article straight after
// `cargo run --release -- build`. On a web server the same pages keep their root-relative links.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { launchBrowser } from '../lib/browser.js';
import { startSite } from '../lib/site.js';

let site;
let browser;
const errors = [];

before(async () => {
  site = await startSite();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await site?.close();
});

it('opened from disk, the home page is styled and leads to the article', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(join(site.dir, 'index.html')).href, { waitUntil: 'load' });
  // The theme's font stack applies only when style.css loaded.
  const styled = await page.evaluate(() => getComputedStyle(document.body).fontFamily.includes('system-ui'));
  assert.ok(styled, 'style.css did not load from disk');
  await page.click('text=Back and Neck Massage for Muscle Recovery');
  await page.waitForLoadState('load');
  assert.match(page.url(), /\/blog\/back-and-neck-massage-for-muscle-recovery\/index\.html$/);
  assert.equal((await page.textContent('h1')).trim(), 'Back and Neck Massage for Muscle Recovery');
  const home = await page.getAttribute('.breadcrumb a', 'href');
  assert.equal(home, '../../index.html');
  assert.deepEqual(errors, []);
});

it('served over HTTP, links stay root-relative', async () => {
  const page = await browser.newPage();
  await page.goto(site.url('/blog/back-and-neck-massage-for-muscle-recovery/'), { waitUntil: 'load' });
  assert.equal(await page.getAttribute('.breadcrumb a', 'href'), '/');
});
