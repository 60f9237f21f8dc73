// A tiny static file server for the tests: 127.0.0.1 only, `index.html` for folders, the site's
// `404.html` with status 404 for missing paths, content types by extension. No dependencies.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

export const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

export function contentType(path) {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

async function fileAt(path) {
  try {
    const s = await stat(path);
    return s;
  } catch {
    return null;
  }
}

/**
 * Starts the server on 127.0.0.1 (port 0 = a free port). The folder to serve can be set later with
 * `setRoot`, so the port is known before the site is built with it as its base URL.
 */
export async function startServer({ root = null, port = 0 } = {}) {
  let rootDir = root ? resolve(root) : null;
  const log = [];

  const server = createServer(async (req, res) => {
    const send = (status, headers, body) => {
      log.push({ method: req.method, url: req.url, status });
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }, 'method not allowed\n');
    }
    if (!rootDir) return send(503, { 'Content-Type': 'text/plain' }, 'no site yet\n');

    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return send(400, { 'Content-Type': 'text/plain' }, 'bad request\n');
    }
    let file = resolve(join(rootDir, pathname));
    if (file !== rootDir && !file.startsWith(rootDir + sep)) {
      return send(403, { 'Content-Type': 'text/plain' }, 'forbidden\n');
    }
    let s = await fileAt(file);
    if (s?.isDirectory()) {
      if (!pathname.endsWith('/')) {
        // What static hosts do: /blog → /blog/
        const u = new URL(req.url, 'http://x');
        return send(301, { Location: u.pathname + '/' + u.search, 'Content-Type': 'text/plain' }, 'moved\n');
      }
      file = join(file, 'index.html');
      s = await fileAt(file);
    }
    let status = 200;
    if (!s?.isFile()) {
      status = 404;
      file = join(rootDir, '404.html');
      s = await fileAt(file);
      if (!s?.isFile()) return send(404, { 'Content-Type': 'text/plain' }, 'not found\n');
    }
    log.push({ method: req.method, url: req.url, status });
    res.writeHead(status, {
      'Content-Type': contentType(file),
      'Content-Length': s.size,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });

  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    port: server.address().port,
    log,
    setRoot(dir) {
      rootDir = resolve(dir);
    },
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}

// `node lib/server.js DIR [PORT]`: serve a folder by hand.
if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? '.';
  const s = await startServer({ root: dir, port: Number(process.argv[3] ?? 0) });
  console.log(`serving ${dir} at ${s.origin}/`);
}
