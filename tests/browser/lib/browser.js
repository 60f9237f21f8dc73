// Debian's chromium driven by playwright-core (which never downloads a browser).
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// As root, in a sandbox with no network: no sandbox, no GPU, and none of Chromium's own traffic.
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
}

/** Parses `text` in the browser with DOMParser; runs `fn(doc, arg)` there and returns its result. */
export async function withParsed(page, text, mime, fn, arg) {
  return page.evaluate(
    ({ text, mime, fn, arg }) => {
      const doc = new DOMParser().parseFromString(text, mime);
      // eslint-disable-next-line no-new-func
      const f = new Function(`return (${fn})`)();
      return f(doc, arg);
    },
    { text, mime, fn: fn.toString(), arg },
  );
}
