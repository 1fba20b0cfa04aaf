/// <reference lib="dom" />
/**
 * `<bedrock-chat mode="launcher">` in Chromium: only the small entry loads until the first open; the panel is a
 * dialog anchored to the button (Escape closes, focus in and back); the entry and its chunk work from another
 * origin under a strict CSP. Sizes: the entry and the full widget within their budgets.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { ASSISTANT_TEXT, AXE, BUNDLE, CHROMIUM, describeBrowser, FakeBackend, TOKEN, WEB } from './fake-backend';
import type { AxeResult } from './fake-backend';
import { launchChromium } from '../../src/local/browser';

const FULL = join(WEB, 'bedrock-chat-full.js');
const origin = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

describeBrowser('<bedrock-chat mode="launcher"> in Chromium', () => {
  const backend = new FakeBackend();
  /** Serves assets/web with CORS: the widget's own origin. */
  let cdn: Server;
  /** The host page (another origin), with a strict CSP allowing scripts only from the widget origin. */
  let site: Server;
  let browser: Browser;
  let page: Page;
  let scripts: string[];

  beforeAll(async () => {
    if (!existsSync(BUNDLE) || !existsSync(FULL)) throw new Error('Build the widget first: vite build --config src/web-components/vite.config.mts');
    await backend.start();
    cdn = createServer((req, res) => {
      const name = new URL(req.url ?? '/', 'http://x').pathname.slice(1);
      if (!/^bedrock-chat(-full)?\.js$/.test(name)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/javascript', 'access-control-allow-origin': '*' }).end(readFileSync(join(WEB, name)));
    });
    site = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const mode = url.searchParams.get('mode') ?? 'launcher';
      if (url.pathname === '/page.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(`import { ready } from '${origin(cdn)}/bedrock-chat.js';
          const chat = document.querySelector('bedrock-chat');
          chat.config = { webSocketUrl: '${backend.origin.replace('http', 'ws')}/ws', restApiUrl: '${origin(site)}/none/' };
          chat.tokenProvider = async () => ${JSON.stringify(TOKEN)};
          window.events = [];
          document.addEventListener('bedrock-chat-message', (e) => window.events.push(e.target.tagName));
          window.testReady = await ready;`);
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/html',
        'content-security-policy': `default-src 'none'; script-src 'self' ${origin(cdn)}; style-src 'self'; connect-src ${backend.origin.replace('http', 'ws')} ${origin(site)}; base-uri 'none'`,
      }).end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>launcher</title><script type="module" src="/page.js"></script></head>
        <body><main><h1>Host page</h1><p><a href="#x">a link</a></p><bedrock-chat mode="${mode}"></bedrock-chat></main></body></html>`);
    });
    await new Promise<void>((done) => cdn.listen(0, '127.0.0.1', done));
    await new Promise<void>((done) => site.listen(0, '127.0.0.1', done));
    browser = await launchChromium(CHROMIUM);
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of [cdn, site]) {
      s.closeAllConnections();
      await new Promise((done) => s.close(done));
    }
    await backend.stop();
  });

  async function open(mode: string, reducedMotion: 'reduce' | 'no-preference' = 'no-preference'): Promise<string[]> {
    page = await browser.newPage({ reducedMotion });
    scripts = [];
    const violations: string[] = [];
    page.on('request', (r) => { if (r.url().endsWith('.js')) scripts.push(r.url()); });
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
    await page.goto(`${origin(site)}/?mode=${mode}`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    return violations;
  }

  async function axe(): Promise<string[]> {
    const source = readFileSync(AXE, 'utf8');
    // The page's CSP refuses an injected script: evaluate axe's source through the DevTools protocol instead.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Runtime.evaluate', { expression: source });
    return page.evaluate(async () => {
      const a = (window as unknown as { axe: { run: (ctx: unknown) => Promise<AxeResult> } }).axe;
      return (await a.run(document)).violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
    });
  }

  test('shows only the button until opened; opens a panel that takes the focus, Escape closes it and gives the focus back', async () => {
    const violations = await open('launcher');
    const button = page.locator('bedrock-chat [part="launcher"]');
    await button.waitFor();
    await expect(button.getAttribute('aria-label')).resolves.toBe('Open chat');
    await expect(button.getAttribute('aria-expanded')).resolves.toBe('false');
    const box = (await button.boundingBox())!;
    const viewport = page.viewportSize()!;
    expect(viewport.width - (box.x + box.width)).toBeLessThan(40);
    expect(viewport.height - (box.y + box.height)).toBeLessThan(40);
    await page.waitForTimeout(300);
    expect(scripts.map((u) => new URL(u).pathname)).toEqual(['/page.js', '/bedrock-chat.js']); // no full chunk yet
    expect(await axe()).toEqual([]);

    await button.click();
    await page.locator('bedrock-chat [part="input"]:enabled').waitFor();
    expect(scripts.some((u) => u === `${origin(cdn)}/bedrock-chat-full.js`)).toBe(true); // relative to the entry's URL
    await expect(button.getAttribute('aria-expanded')).resolves.toBe('true');
    const dialog = page.locator('bedrock-chat [part="panel"][role="dialog"]');
    await expect(dialog.isVisible()).resolves.toBe(true);
    const panelBox = (await dialog.boundingBox())!;
    expect(panelBox.y + panelBox.height).toBeLessThanOrEqual(box.y); // above the button
    await expect(page.evaluate(() => document.querySelector('bedrock-chat')!.shadowRoot!.activeElement?.getAttribute('part'))).resolves.toBe('input');

    // The chat works inside the panel; events cross <bedrock-chat>.
    await page.locator('bedrock-chat [part="input"]').fill('from the launcher');
    await page.keyboard.press('Enter');
    await page.locator(`bedrock-chat ${ASSISTANT_TEXT}`).filter({ hasText: 'from the launcher' }).waitFor();
    await page.waitForFunction(() => (window as unknown as { events: string[] }).events.length === 1);
    await expect(page.evaluate(() => (window as unknown as { events: string[] }).events)).resolves.toEqual(['BEDROCK-CHAT']);
    expect(await axe()).toEqual([]);

    await page.keyboard.press('Escape');
    await expect(dialog.isVisible()).resolves.toBe(false);
    await expect(button.getAttribute('aria-expanded')).resolves.toBe('false');
    await expect(page.evaluate(() => document.querySelector('bedrock-chat')!.shadowRoot!.activeElement?.getAttribute('part'))).resolves.toBe('launcher');
    // Reopening keeps the conversation and loads nothing again.
    const loaded = scripts.length;
    await page.keyboard.press('Enter');
    await page.locator(`bedrock-chat ${ASSISTANT_TEXT}`).first().waitFor();
    expect(scripts.length).toBe(loaded);
    expect(violations).toEqual([]);
    await page.close();
  });

  test('inline mode loads the full chunk at once and streams, from another origin under a strict CSP', async () => {
    const violations = await open('inline');
    await page.locator('bedrock-chat [part="input"]:enabled').waitFor();
    await expect(page.locator('bedrock-chat [part="launcher"]').count()).resolves.toBe(0);
    await page.locator('bedrock-chat [part="input"]').fill('inline cross-origin');
    await page.keyboard.press('Enter');
    await page.locator(`bedrock-chat ${ASSISTANT_TEXT}`).filter({ hasText: 'inline cross-origin' }).waitFor();
    expect(violations).toEqual([]);
    await page.close();
  });

  test('the panel does not animate under prefers-reduced-motion', async () => {
    await open('launcher', 'reduce');
    await page.locator('bedrock-chat [part="launcher"]').click();
    const dialog = page.locator('bedrock-chat [part="panel"]');
    await dialog.waitFor();
    await expect(dialog.evaluate((el) => getComputedStyle(el).transitionDuration)).resolves.toMatch(/^0s(, 0s)*$/);
    await page.close();
    await open('launcher');
    await page.locator('bedrock-chat [part="launcher"]').click();
    await expect(page.locator('bedrock-chat [part="panel"]').evaluate((el) => getComputedStyle(el).transitionDuration)).resolves.not.toMatch(/^0s(, 0s)*$/);
    await page.close();
  });
});

describe('widget bundle sizes', () => {
  const built = existsSync(BUNDLE) && existsSync(FULL);
  // In CI the bundle is always built first: a missing bundle fails there instead of skipping.
  (built || process.env.CI ? test : test.skip)('the entry is tiny, entry + full chunk stay within 45 KB gzip, no eval, the chunk imports only the entry', () => {
    const entry = readFileSync(BUNDLE);
    const full = readFileSync(FULL);
    expect(gzipSync(entry).length).toBeLessThan(5 * 1024);
    expect(gzipSync(entry).length + gzipSync(full).length).toBeLessThan(45 * 1024);
    for (const code of [entry, full].map(String)) expect(code).not.toMatch(/\beval\(|new Function\(/);
    // The chunk's only static import is the entry (already loaded: it is what loads the chunk) for the locale
    // matching both use; translations are dynamic imports of their own small chunks.
    const imports = [...String(full).matchAll(/\bfrom\s*["']([^"']+)["']/g)].map((m) => m[1]);
    expect(imports).toEqual(['./bedrock-chat.js']);
    expect(String(entry)).not.toMatch(/\bfrom\s*["']/); // the entry imports nothing statically
  });
});
