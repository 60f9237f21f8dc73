// What the link and JSON-LD checks need from a page, read in the browser with DOMParser (a real
// HTML parser, no scripts run). `extractPage` is sent to the page as source, so it is self-contained.
export function extractPage(doc) {
  const links = [];
  const add = (el, attr, value) => {
    if (value == null) return;
    links.push({ tag: el.tagName.toLowerCase(), attr, value: value.trim() });
  };
  for (const el of doc.querySelectorAll('[href]')) add(el, 'href', el.getAttribute('href'));
  for (const el of doc.querySelectorAll('[src]')) add(el, 'src', el.getAttribute('src'));
  for (const el of doc.querySelectorAll('[poster]')) add(el, 'poster', el.getAttribute('poster'));
  for (const el of doc.querySelectorAll('form[action]')) add(el, 'action', el.getAttribute('action'));
  for (const el of doc.querySelectorAll('[srcset]')) {
    for (const part of el.getAttribute('srcset').split(',')) {
      const url = part.trim().split(/\s+/)[0];
      if (url) add(el, 'srcset', url);
    }
  }
  for (const el of doc.querySelectorAll('[data-index]')) add(el, 'data-index', el.getAttribute('data-index'));
  for (const el of doc.querySelectorAll('meta[property="og:image"], meta[property="og:url"], meta[name="twitter:image"]')) {
    add(el, el.getAttribute('property') ?? el.getAttribute('name'), el.getAttribute('content'));
  }
  const refresh = doc.querySelector('meta[http-equiv="refresh" i]');
  if (refresh) {
    const m = (refresh.getAttribute('content') ?? '').match(/url\s*=\s*['"]?([^'"]+)/i);
    if (m) add(refresh, 'refresh', m[1]);
  }
  const ids = [...doc.querySelectorAll('[id]')].map((e) => e.id);
  const names = [...doc.querySelectorAll('a[name]')].map((e) => e.getAttribute('name'));
  const jsonld = [...doc.querySelectorAll('script[type="application/ld+json"]')].map((s) => s.textContent);
  const robots = doc.querySelector('meta[name="robots"]')?.getAttribute('content') ?? '';
  const canonical = doc.querySelector('link[rel="canonical"]')?.getAttribute('href') ?? null;
  const ogType = doc.querySelector('meta[property="og:type"]')?.getAttribute('content') ?? '';
  const baseHref = doc.querySelector('base[href]')?.getAttribute('href') ?? null;
  return { links, ids, names, jsonld, robots, canonical, ogType, baseHref, isRedirect: !!refresh };
}
