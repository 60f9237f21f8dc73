// The example site's post with six photos (issue 20), in Chromium at a phone's size (390 px,
// device pixel ratio 3) and a desktop's (1280 px, ratio 1): every photo loads, the browser picks
// the file its width needs from the srcset (1200 px wide on the phone, 800 on the desktop), that
// file is at most 150 KB on the phone, the first photo is fetched at once and the others lazily,
// and nothing moves while the page loads and scrolls (cumulative layout shift 0). Axe and
// Lighthouse run on the same post in pages.test.js and lighthouse.test.js.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../lib/browser.js';
import { startSite } from '../lib/site.js';

const POST = '/blog/making-a-massage-last/';
const MAX_PHONE_BYTES = 150 * 1024;

let site;
let browser;

before(async () => {
  site = await startSite();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await site?.close();
});

for (const device of [
  { name: 'phone', width: 390, height: 844, deviceScaleFactor: 3, isMobile: true, hasTouch: true, picks: 1200 },
  { name: 'desktop', width: 1280, height: 800, deviceScaleFactor: 1, isMobile: false, hasTouch: false, picks: 800 },
]) {
  it(`the photo post picks ${device.picks}-pixel files on a ${device.width}-pixel ${device.name}, lazily, without layout shift`, { timeout: 60_000 }, async () => {
    const { name, picks, width, height, ...rest } = device;
    const context = await browser.newContext({ viewport: { width, height }, ...rest });
    const page = await context.newPage();
    const sizes = new Map();
    page.on('response', async (response) => {
      const url = new URL(response.url());
      if (/\.(webp|avif|jpe?g|png)$/.test(url.pathname)) {
        const body = await response.body().catch(() => null);
        if (body) sizes.set(url.pathname, body.length);
      }
    });
    await page.addInitScript(() => {
      window.__cls = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
      }).observe({ type: 'layout-shift', buffered: true });
    });
    await page.goto(site.url(POST), { waitUntil: 'networkidle' });
    // Before any scrolling, only the photos near the first screen have been asked for.
    const early = [...sizes.keys()].filter((p) => p.startsWith(POST));
    const images = await page.$$('main article img');
    assert.ok(images.length >= 7, `the post shows its hero and six photos: ${images.length} images`);
    assert.ok(early.length < images.length, `lazy photos were fetched before scrolling: ${early.join(', ')}`);
    for (const image of images) {
      await image.scrollIntoViewIfNeeded();
      await image.evaluate((img) => (img.complete ? null : new Promise((r) => img.addEventListener('load', r, { once: true }))));
    }
    await page.waitForLoadState('networkidle');
    const shown = await page.$$eval('main article img', (imgs) =>
      imgs.map((img) => ({
        src: new URL(img.currentSrc).pathname,
        loaded: img.complete && img.naturalWidth > 0,
        loading: img.getAttribute('loading'),
        priority: img.getAttribute('fetchpriority'),
        width: img.getAttribute('width'),
        height: img.getAttribute('height'),
      })),
    );
    for (const [i, img] of shown.entries()) {
      assert.ok(img.loaded, `${img.src} did not load`);
      assert.ok(img.width && img.height, `${img.src} has no width and height`);
      assert.match(img.src, new RegExp(`-${picks}\\.webp$`), `${name}: image ${i} is ${img.src}`);
      if (i === 0) assert.equal(img.priority, 'high', 'the first photo is fetched at once');
      else assert.equal(img.loading, 'lazy', `${img.src} is not lazy`);
      if (name === 'phone') {
        const bytes = sizes.get(img.src);
        assert.ok(bytes !== undefined, `${img.src} was not seen downloading`);
        assert.ok(bytes <= MAX_PHONE_BYTES, `${img.src} is ${bytes} bytes, over ${MAX_PHONE_BYTES}`);
      }
    }
    const cls = await page.evaluate(() => window.__cls);
    assert.equal(cls, 0, `cumulative layout shift ${cls}`);
    await context.close();
  });
}
