// Each key page at phone and desktop size in Chromium: axe-core (WCAG 2.0/2.1/2.2 A and AA, light
// and dark colour schemes), console and page errors, failed requests, requests to other hosts,
// one h1, the skip link, focus that stays visible, target sizes, no sideways scrolling at 320 px,
// and screenshots in artifacts/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertNone } from '../lib/assert.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { launchBrowser } from '../lib/browser.js';
import { ARTIFACTS, startSite } from '../lib/site.js';

const PAGES = [
  { name: 'home', path: '/' },
  { name: 'post', path: '/blog/back-and-neck-massage-for-muscle-recovery/' },
  { name: 'photo-post', path: '/blog/making-a-massage-last/' },
  { name: 'tag', path: '/tags/neck-pain/' },
  { name: 'blog', path: '/blog/' },
  { name: 'blog-page-2', path: '/blog/page/2/' },
  { name: 'service', path: '/services/swedish-massage/' },
  { name: 'author', path: '/authors/dana/' },
  { name: 'search', path: '/search/' },
  { name: 'not-found', path: '/no-such-page/', status: 404 },
];
const VIEWPORTS = [
  { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  { width: 1280, height: 800, isMobile: false, hasTouch: false, deviceScaleFactor: 1 },
];
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const FOCUS_STEPS = 15;
const MIN_TARGET = 24;

let site;
let browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  site = await startSite();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await site?.close();
});

/**
 * Switches the page's colour scheme and waits until the theme's colour transitions have finished,
 * so that checks see the scheme's final colours and not a frame of the fade between the two.
 */
async function setColorScheme(page, colorScheme) {
  await page.emulateMedia({ colorScheme });
  await page.evaluate(() =>
    Promise.all(document.getAnimations().filter((a) => a instanceof CSSTransition).map((a) => a.finished)),
  );
}

/** A page that records console errors, page errors, failed requests and blocks other hosts. */
async function openPage(viewport, { colorScheme = 'light' } = {}) {
  const { width, height, ...device } = viewport;
  const context = await browser.newContext({ viewport: { width, height }, ...device, colorScheme });
  const page = await context.newPage();
  const problems = { console: [], pageErrors: [], failed: [], foreign: [] };
  const origin = site.origin;
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin !== origin) {
      problems.foreign.push(url);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.console.push(`${m.text()} (${m.location()?.url ?? ''})`);
  });
  page.on('pageerror', (e) => problems.pageErrors.push(String(e)));
  page.on('requestfailed', (r) => {
    if (new URL(r.url()).origin === origin) problems.failed.push(`${r.url()}: ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    const req = r.request();
    if (new URL(r.url()).origin !== origin) return;
    // The 404 page's own document is meant to be a 404; nothing else may fail.
    if (r.status() >= 400 && !(req.isNavigationRequest() && req.frame() === page.mainFrame())) {
      problems.failed.push(`${r.url()}: HTTP ${r.status()}`);
    }
  });
  return { context, page, problems };
}

function formatAxe(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .slice(0, 5)
        .map((n) => `    ${n.target.join(' ')}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`)
        .join('\n');
      return `  [${v.impact}] ${v.id}: ${v.help} (${v.nodes.length} node(s))\n${nodes}`;
    })
    .join('\n');
}

async function axe(page) {
  const r = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  return r.violations;
}

/** Waits until the page stops scrolling (smooth scrolling after a focus move). */
async function settle(page) {
  await page.evaluate(async () => {
    const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
    let last = -1;
    for (let i = 0; i < 60; i++) {
      await frame();
      const pos = window.scrollY * 100000 + window.scrollX;
      if (pos === last) break;
      last = pos;
    }
  });
}

/** Where the focused element is and whether it can be seen (in the viewport, on top, outlined). */
function focusInfo() {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const rects = [...el.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
  const box = el.getBoundingClientRect();
  const r = rects[0] ?? box;
  const vw = document.documentElement.clientWidth;
  const vh = window.innerHeight;
  const cx = r.left + r.width / 2;
  const cy = r.top + r.height / 2;
  const hit = document.elementFromPoint(cx, cy);
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const describe = (e) =>
    e
      ? `<${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : ''}>`
      : 'nothing';
  return {
    what: `${describe(el)} "${(el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40)}"`,
    href: el.getAttribute('href'),
    className: typeof el.className === 'string' ? el.className : '',
    tag: el.tagName.toLowerCase(),
    box: { left: box.left, top: box.top, right: box.right, bottom: box.bottom, width: box.width, height: box.height },
    // Within a pixel: layout is in fractions of a pixel and Chromium does not scroll a focused
    // element that overhangs the viewport by less than one (a tag at 804.55-844.55 px in an
    // 844 px viewport stays where it is, fully readable).
    inViewport: box.width > 0 && box.height > 0 && box.left >= -1 && box.top >= -1 && box.right <= vw + 1 && box.bottom <= vh + 1,
    onTop: !!hit && (hit === el || el.contains(hit)),
    hit: describe(hit),
    indicator: outline || shadow,
  };
}

/** Targets that are not inline in a sentence and are smaller than `min` CSS px either way. */
function smallTargets(min) {
  const isInline = (e) => getComputedStyle(e).display.startsWith('inline');
  const visible = (e) => {
    const s = getComputedStyle(e);
    const r = e.getBoundingClientRect();
    return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 1 && r.height > 1;
  };
  // Text in the same block of text as `el` but outside it: a link in a sentence has some.
  const textBeside = (el) => {
    let block = el.parentElement;
    while (block && isInline(block)) block = block.parentElement;
    if (!block) return '';
    let text = '';
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (el.contains(n)) continue;
      let p = n.parentElement;
      let inOtherBlock = false;
      for (; p && p !== block; p = p.parentElement) {
        if (!isInline(p) || !visible(p)) {
          inOtherBlock = true;
          break;
        }
      }
      if (!inOtherBlock) text += n.textContent;
    }
    return text.replace(/\s+/g, '');
  };
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex="-1"])';
  const small = [];
  for (const el of document.querySelectorAll(sel)) {
    if (!visible(el) || el.classList.contains('skip-link')) continue;
    // WCAG 2.5.8's inline exception: a plain inline link inside a sentence.
    if (getComputedStyle(el).display === 'inline' && textBeside(el) !== '') continue;
    const r = el.getBoundingClientRect();
    if (r.width < min - 0.01 || r.height < min - 0.01) {
      const text = (el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
      small.push(`<${el.tagName.toLowerCase()} href="${el.getAttribute('href') ?? ''}"> "${text}" is ${r.width.toFixed(1)}x${r.height.toFixed(1)}`);
    }
  }
  return small;
}

for (const p of PAGES) {
  for (const vp of VIEWPORTS) {
    const size = `${vp.width}x${vp.height}`;
    describe(`${p.name} (${p.path}) at ${size}`, () => {
      let ctx;
      let response;
      before(async () => {
        ctx = await openPage(vp);
        response = await ctx.page.goto(site.url(p.path), { waitUntil: 'load' });
        await ctx.page.screenshot({ path: join(ARTIFACTS, `${p.name}-${size}.png`), fullPage: true });
      });
      after(() => ctx?.context.close());

      it(`answers ${p.status ?? 200}`, () => {
        assert.equal(response.status(), p.status ?? 200);
      });

      it('has no axe-core violations (light colour scheme)', async () => {
        const v = await axe(ctx.page);
        assert.equal(v.length, 0, `axe-core violations on ${p.path} at ${size}:\n${formatAxe(v)}`);
      });

      it('has no axe-core violations (dark colour scheme)', async () => {
        await setColorScheme(ctx.page, 'dark');
        try {
          if (vp.width === 390) {
            await ctx.page.screenshot({ path: join(ARTIFACTS, `${p.name}-${size}-dark.png`), fullPage: true });
          }
          const v = await axe(ctx.page);
          assert.equal(v.length, 0, `axe-core violations on ${p.path} at ${size}, dark:\n${formatAxe(v)}`);
        } finally {
          await setColorScheme(ctx.page, 'light');
        }
      });

      it('has exactly one h1', async () => {
        const n = await ctx.page.locator('h1').count();
        assert.equal(n, 1, `${p.path} has ${n} h1 elements`);
      });

      it(`has targets of at least ${MIN_TARGET}x${MIN_TARGET} px outside running text`, async () => {
        const small = await ctx.page.evaluate(smallTargets, MIN_TARGET);
        assertNone(small, `targets under ${MIN_TARGET}x${MIN_TARGET} px on ${p.path} at ${size}`);
      });

      it('has a skip link first that moves focus to main', async () => {
        const page = ctx.page;
        await page.goto(site.url(p.path), { waitUntil: 'load' });
        await page.keyboard.press('Tab');
        await settle(page);
        const first = await page.evaluate(focusInfo);
        assert.ok(first, 'Tab focused nothing');
        assert.match(first.className, /\bskip-link\b/, `the first focusable element is ${first.what}, not the skip link`);
        assert.ok(first.href?.startsWith('#'), `the skip link's href is ${first.href}`);
        assert.ok(first.inViewport && first.onTop, `the focused skip link is not visible: ${JSON.stringify(first)}`);
        assert.ok(first.indicator, 'the focused skip link has no focus outline');
        await page.keyboard.press('Enter');
        await settle(page);
        const target = await page.evaluate(() => {
          const a = document.activeElement;
          return { tag: a?.tagName.toLowerCase(), id: a?.id, hash: location.hash, inMain: !!a?.closest('main') };
        });
        assert.equal(target.tag, 'main', `after the skip link, focus is on <${target.tag} id="${target.id}">, not <main>`);
        assert.equal(`#${target.id}`, first.href);
        // The next Tab goes to the first focusable element inside main, not back to the header.
        await page.keyboard.press('Tab');
        const next = await page.evaluate(() => !!document.activeElement?.closest('main'));
        assert.ok(next, 'Tab after the skip link left <main>');
      });

      it(`keeps focus visible over the first ${FOCUS_STEPS} focusable elements`, async () => {
        const page = ctx.page;
        await page.goto(site.url(p.path), { waitUntil: 'load' });
        const bad = [];
        let seen = 0;
        for (let i = 0; i < FOCUS_STEPS; i++) {
          await page.keyboard.press('Tab');
          await settle(page);
          const f = await page.evaluate(focusInfo);
          if (!f) break; // fewer focusable elements than that
          seen++;
          if (!f.inViewport) bad.push(`#${i + 1} ${f.what} is outside the viewport: ${JSON.stringify(f.box)}`);
          else if (!f.onTop) bad.push(`#${i + 1} ${f.what} is covered by ${f.hit}`);
          if (!f.indicator) bad.push(`#${i + 1} ${f.what} has no visible focus outline`);
        }
        assert.ok(seen >= Math.min(FOCUS_STEPS, 5), `only ${seen} elements took focus`);
        assertNone(bad, `focus not visible on ${p.path} at ${size}`);
      });

      it('logs no console or page errors, no failed requests, nothing from other hosts', () => {
        const { problems } = ctx;
        const pageUrl = site.url(p.path);
        // Chromium logs a 404 document as a console error: that one is what the 404 page is for.
        const expected = (m) => p.status === 404 && m === `Failed to load resource: the server responded with a status of 404 (Not Found) (${pageUrl})`;
        assertNone(
          [
            ...problems.pageErrors.map((m) => `page error: ${m}`),
            ...problems.console.filter((m) => !expected(m)).map((m) => `console error: ${m}`),
            ...problems.failed.map((m) => `failed request: ${m}`),
            ...problems.foreign.map((m) => `request to another host (blocked): ${m}`),
          ],
          `errors and unwanted requests on ${p.path} at ${size}`,
        );
      });
    });
  }

  it(`${p.name} (${p.path}) does not scroll sideways at 320 px`, async () => {
    const ctx = await openPage({ width: 320, height: 640, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      await ctx.page.goto(site.url(p.path), { waitUntil: 'load' });
      const m = await ctx.page.evaluate(() => {
        const d = document.documentElement;
        const wide = [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > d.clientWidth + 0.5)
          .slice(0, 5)
          .map((e) => `<${e.tagName.toLowerCase()} class="${e.className}"> right=${e.getBoundingClientRect().right}`);
        return { scrollWidth: d.scrollWidth, clientWidth: d.clientWidth, wide };
      });
      assert.ok(m.scrollWidth <= m.clientWidth, `${p.path} is ${m.scrollWidth} px wide in a ${m.clientWidth} px viewport; too wide:\n  ${m.wide.join('\n  ')}`);
      assertNone(
        [...ctx.problems.failed.map((m) => `failed request: ${m}`), ...ctx.problems.foreign.map((m) => `request to another host (blocked): ${m}`)],
        `unwanted requests on ${p.path} at 320 px`,
      );
    } finally {
      await ctx.context.close();
    }
  });
}
