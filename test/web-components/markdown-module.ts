/**
 * The widget's markdown module on its own, for the browser tests of the renderer: built with Vite into a folder
 * (src/web-components/shared/markdown/index.ts as `markdown.js`, with its chunks) and served from loopback with an
 * empty page at `/`.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContextOptions, Page } from 'playwright-core';
import { CHROMIUM, ROOT } from './fake-backend';
import { launchChromium } from '../../src/local/browser';

/**
 * Builds the module into `outDir` (`markdown.js` and its chunks), as the web build does (the `entities` package and
 * commonmark.js's from-code-point polyfill and mdurl's encode aliased, see src/web-components/vite.config.mts).
 */
export async function buildMarkdownModule(outDir: string, options: { mermaid?: boolean } = {}): Promise<void> {
  const entries: Record<string, string> = { markdown: join(ROOT, 'src', 'web-components', 'shared', 'markdown', 'index.ts') };
  // With `mermaid`: the frame's script as the web build names it, and its page next to it (as in assets/web).
  if (options.mermaid) entries['bedrock-chat-mermaid'] = join(ROOT, 'src', 'web-components', 'mermaid', 'frame.ts');
  const entities = join(ROOT, 'src', 'web-components', 'shared', 'markdown', 'entities.ts');
  const fromCodePoint = join(ROOT, 'src', 'web-components', 'shared', 'markdown', 'from-code-point.ts');
  const encodeUri = join(ROOT, 'src', 'web-components', 'shared', 'markdown', 'encode-uri.ts');
  const script = `import { build } from 'vite';
    await build({ configFile: false, logLevel: 'warn', root: ${JSON.stringify(ROOT)}, publicDir: false,
      resolve: { alias: [{ find: 'entities', replacement: ${JSON.stringify(entities)} },
        { find: /^\\.\\/from-code-point\\.js$/, replacement: ${JSON.stringify(fromCodePoint)} },
        { find: /^mdurl\\/encode\\.js$/, replacement: ${JSON.stringify(encodeUri)} }] },
      build: { outDir: ${JSON.stringify(outDir)}, emptyOutDir: true, target: 'es2022', minify: false,
        lib: { entry: ${JSON.stringify(entries)}, formats: ['es'], fileName: (_f, name) => name + '.js' } } });`;
  await new Promise<void>((done, fail) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT }, (err, _out, stderr) => (err ? fail(new Error(stderr)) : done()));
  });
  if (options.mermaid) copyFileSync(join(ROOT, 'src', 'web-components', 'public', 'mermaid-frame.html'), join(outDir, 'mermaid-frame.html'));
}

/** Serves the built module folder `dir` (scripts) and an empty page at `/`; resolves with its origin and a stop. */
export async function serveMarkdownModule(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><body></body>');
    let body: Buffer;
    try {
      body = readFileSync(join(dir, path.replace(/^\/+/, '').replace(/\.\./g, '')));
    } catch {
      return void res.writeHead(404).end();
    }
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * A Chromium page on the served module, for one test file: builds the module into a temporary folder, serves it,
 * opens `/`. `close` stops all three.
 */
export async function openMarkdownPage(
  name: string,
  contextOptions: BrowserContextOptions = {},
): Promise<{ page: Page; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `bedrock-chat-${name}-`));
  await buildMarkdownModule(dir);
  const served = await serveMarkdownModule(dir);
  const browser = await launchChromium(CHROMIUM);
  const page = await (await browser.newContext(contextOptions)).newPage();
  await page.goto(served.url);
  return {
    page,
    close: async () => {
      await browser.close();
      await served.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
