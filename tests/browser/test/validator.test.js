// The Nu Html Checker (vnu.jar from the vnu-jar package, run with java) over every generated HTML,
// CSS and SVG file: zero errors.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { listFiles, startSite } from '../lib/site.js';

const require = createRequire(import.meta.url);
const VNU_JAR = String(require('vnu-jar')); // the package's main export is the jar's path
const KINDS = [
  ['HTML', '.html'],
  ['CSS', '.css'],
  ['SVG', '.svg'],
];

let site;
let files;
let messages;

before(async () => {
  site = await startSite();
  files = listFiles(site.dir).filter((f) => KINDS.some(([, ext]) => f.endsWith(ext)));
  // One JVM for everything: .css and .svg files are checked as CSS and SVG by their extension.
  const args = ['-Xss4m', '-jar', VNU_JAR, '--errors-only', '--format', 'json', '--also-check-css', '--also-check-svg', ...files.map((f) => join(site.dir, f))];
  const r = spawnSync('java', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error?.code === 'ENOENT') {
    throw new Error('java is not installed: the Nu Html Checker needs a Java runtime (apt-get install -y default-jre-headless)');
  }
  if (r.error) throw r.error;
  try {
    messages = JSON.parse(r.stderr || r.stdout).messages;
  } catch {
    throw new Error(`vnu.jar exited ${r.status} without a JSON report:\n${r.stdout}\n${r.stderr}`);
  }
  if (r.status !== 0 && !messages.some((m) => m.type === 'error' || m.type === 'non-document-error')) {
    throw new Error(`vnu.jar exited ${r.status} but reported no error:\n${r.stderr}`);
  }
});
after(() => site?.close());

const fileOf = (m) => decodeURIComponent((m.url ?? '').replace(/^file:(\/\/)?/, '')).replace(site.dir + '/', '');

function format(errors) {
  return errors
    .map((m) => {
      const where = m.lastLine ? `${fileOf(m)}:${m.firstLine ?? m.lastLine}:${m.firstColumn ?? m.lastColumn}` : fileOf(m);
      return `  ${where}: ${m.message}${m.extract ? `\n      ${m.extract.replace(/\n/g, '⏎')}` : ''}`;
    })
    .join('\n');
}

for (const [kind, ext] of KINDS) {
  it(`every ${kind} file passes the Nu Html Checker`, () => {
    const mine = files.filter((f) => f.endsWith(ext));
    if (kind === 'HTML') assert.ok(mine.length > 5, `only ${mine.length} HTML files in ${site.dir}`);
    const errors = messages.filter(
      (m) => (m.type === 'error' || m.type === 'non-document-error') && (fileOf(m).endsWith(ext) || !m.url),
    );
    console.log(`vnu: ${mine.length} ${kind} file(s), ${errors.length} error(s)`);
    assert.equal(errors.length, 0, `Nu Html Checker errors:\n${format(errors)}`);
  });
}
