import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One file the console serves: its bytes and media type, read once at startup. */
export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
}

const MEDIA_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The browser modules of the console's two libraries, by the bare names the console imports
 * them under (resolved by the page's import map). Served from node_modules as npm installed them.
 */
const VENDOR_MODULES: Readonly<Record<string, { entry: string; module: string }>> = {
  // Each package's ES module sits beside its main entry (the packages do not export the file itself).
  preact: { entry: 'preact', module: 'preact.mjs' },
  'preact/hooks': { entry: 'preact/hooks', module: 'hooks.mjs' },
  htm: { entry: 'htm', module: 'htm.mjs' },
};

/**
 * Everything `/console` serves, read into memory once (72 kB: 55 kB of the console's own files, 17 kB of vendor modules): the page, the console's own
 * modules (web/), and the vendor modules. Requests name assets by a key of this map only, so no
 * path from a request ever reaches the file system.
 */
export class ConsoleAssets {
  readonly files = new Map<string, ConsoleAsset>();
  readonly page: Buffer;
  /** The page's Content-Security-Policy: scripts from the console only, plus the inline import map by its hash. */
  readonly contentSecurityPolicy: string;

  constructor(webDir = join(__dirname, 'web')) {
    for (const relative of listFiles(webDir)) {
      const type = MEDIA_TYPES[relative.slice(relative.lastIndexOf('.'))];
      if (type) this.files.set(`app/${relative}`, { body: readFileSync(join(webDir, relative)), contentType: type });
    }
    const imports: Record<string, string> = {};
    for (const [name, { entry, module }] of Object.entries(VENDOR_MODULES)) {
      const key = `vendor/${name.replace('/', '-')}.mjs`;
      this.files.set(key, { body: readFileSync(join(dirname(require.resolve(entry)), module)), contentType: MEDIA_TYPES['.mjs'] });
      imports[name] = `/console/${key}`;
    }
    const importMap = JSON.stringify({ imports });
    const importMapHash = createHash('sha256').update(importMap).digest('base64');
    this.contentSecurityPolicy = [
      "default-src 'self'",
      `script-src 'self' 'sha256-${importMapHash}'`,
      "style-src 'self'",
      "img-src 'self' data:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ].join('; ');
    this.page = Buffer.from(
      [
        '<!doctype html>',
        '<html lang="en">',
        '<head>',
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<title>Broker console</title>',
        '<link rel="stylesheet" href="/console/app/console.css">',
        `<script type="importmap">${importMap}</script>`,
        '<script type="module" src="/console/app/app.js"></script>',
        '</head>',
        '<body><div id="root"><p class="loading">Loading the console...</p></div></body>',
        '</html>',
        '',
      ].join('\n'),
      'utf8',
    );
  }
}

/** Paths of the files under `dir`, relative to it, with `/` separators. */
function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? listFiles(dir, relative) : [relative];
  });
}
