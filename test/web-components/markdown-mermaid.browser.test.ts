/// <reference lib="dom" />
/**
 * ```mermaid blocks in Chromium (issue 10): drawn in the sandboxed mermaid frame (mermaid-frame.html, an opaque
 * origin), never in the page; nothing a diagram says runs or leaves its frame; invalid source stays code with a note;
 * nothing of mermaid is fetched for an answer without a diagram. The page is served under a strict CSP like the
 * app's (frame-src 'self', Trusted Types) and the frame page with the header policy CloudFront sends
 * (MERMAID_FRAME_CSP). Builds the markdown module and the frame's script with Vite; needs /usr/bin/chromium.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { CHROMIUM, describeBrowser } from './fake-backend';
import { buildMarkdownModule } from './markdown-module';
import { MERMAID_FRAME_CSP } from '../../src/constructs/frontend/bedrock-chat-frontend';
import { launchChromium } from '../../src/local/browser';

/** The page's policy: the parts of the app's CSP (BedrockChatFrontend) that matter here. */
const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; require-trusted-types-for 'script'";

const FLOWCHART = 'graph TD\n  Start[Ask a question] --> Answer{Answered?}\n  Answer -->|yes| Done\n  Answer -->|no| Start';

const HOSTILE = [
  '%%{init: {"securityLevel": "loose", "startOnLoad": true}}%%',
  'graph TD',
  '  A["<img src=x onerror=\'top.pwned=1;parent.pwned=1\'><script>top.pwned=2</script>html label"] --> B',
  '  B --> C["<a href=\'javascript:top.pwned=3\'>js link</a>"]',
  '  click A callback "tooltip"',
  '  click B "javascript:top.location=\'https://evil.example/\'" "go"',
  '  click C href "https://evil.example/" _top',
].join('\n');

describeBrowser('mermaid diagrams in the sandboxed frame (Chromium)', () => {
  let browser: Browser;
  let page: Page;
  let dir: string;
  let origin: string;
  let server: ReturnType<typeof createServer>;
  /** Paths requested by the page and its frames. */
  const requested: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bedrock-chat-mermaid-'));
    await buildMarkdownModule(dir, { mermaid: true });
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/') {
        return void res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': PAGE_CSP })
          .end('<!doctype html><meta charset="utf-8"><body></body>');
      }
      let body: Buffer;
      try {
        body = readFileSync(join(dir, path.replace(/^\/+/, '').replace(/\.\./g, '')));
      } catch {
        return void res.writeHead(404).end();
      }
      // As deployed: the frame page with its own policy; scripts with CORS (the frame's origin is opaque, "null").
      if (extname(path) === '.html') {
        return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': MERMAID_FRAME_CSP }).end(body);
      }
      res.writeHead(200, { 'content-type': 'text/javascript', 'access-control-allow-origin': '*' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium(CHROMIUM);
    page = await (await browser.newContext()).newPage();
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    page.on('dialog', (d) => void d.dismiss());
    await page.goto(`${origin}/`);
    await page.evaluate(async () => {
      const m = await import('/markdown.js' as string);
      await m.loadParser();
      const w = window as unknown as Record<string, unknown>;
      w.md = m;
      /** Renders `parts` streamed into a new root (id `id`) and waits for its diagrams' modules. */
      w.render = async (id: string, parts: string[]) => {
        const root = document.body.appendChild(document.createElement('div'));
        root.id = id;
        const stream = new m.MarkdownStream(root);
        for (const part of parts) stream.append(part);
        stream.end();
        await stream.settled();
      };
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  type Renders = { render(id: string, parts: string[]): Promise<void> };
  const render = (id: string, parts: string[]) => page.evaluate(([i, p]) => (window as unknown as Renders).render(i, p), [id, parts] as const);
  /** The frame of the diagram in root `id`, once it is drawn. */
  async function drawnFrame(id: string): Promise<Frame> {
    const handle = await page.waitForSelector(`#${id} iframe.md-diagram[data-state="drawn"]`, { timeout: 30_000 });
    return (await handle.contentFrame())!;
  }

  test('an answer without a diagram fetches nothing of mermaid', async () => {
    requested.length = 0;
    await render('plain', ['Some **text**, a list:\n\n- one\n- two\n\n```js\nconst x = 1;\n```\n\n```text\ngraph TD; A-->B\n```\n']);
    await page.waitForTimeout(300);
    expect(await page.locator('#plain iframe').count()).toBe(0);
    expect(requested.filter((p) => /mermaid|diagram/.test(p))).toEqual([]);
  });

  test('a diagram renders inside the frame: the SVG is in the frame only, the code is hidden, the height is reported', async () => {
    requested.length = 0;
    await render('flow', [`Here is the flow:\n\n\`\`\`mermaid\n${FLOWCHART}\n\`\`\`\n\nDone.`]);
    const frame = await drawnFrame('flow');
    // Now, and only now, the frame page and mermaid were fetched.
    expect(requested).toEqual(expect.arrayContaining(['/mermaid-frame.html', '/bedrock-chat-mermaid.js']));
    expect(requested.filter((p) => /diagram/.test(p))).toEqual([expect.stringMatching(/^\/diagram-[\w-]+\.m?js$/)]);
    const host = await page.evaluate(() => {
      const root = document.getElementById('flow')!;
      const iframe = root.querySelector('iframe')!;
      return {
        svgInPage: document.querySelectorAll('svg').length,
        sandbox: iframe.getAttribute('sandbox'),
        src: iframe.src,
        height: iframe.clientHeight, // without the border (the test page has no widget styles)
        preHidden: root.querySelector('pre')!.hidden,
        code: root.querySelector('pre code')!.textContent,
        lang: root.querySelector('.md-lang')!.textContent,
      };
    });
    expect(host).toMatchObject({ svgInPage: 0, sandbox: 'allow-scripts', src: `${origin}/mermaid-frame.html`, preHidden: true, code: FLOWCHART, lang: 'mermaid' });
    expect(host.height).toBeGreaterThan(100);
    const inFrame = await frame.evaluate(() => ({
      origin: window.origin,
      labels: [...document.querySelectorAll('svg .nodeLabel, svg .edgeLabel')].map((n) => n.textContent?.trim()).filter(Boolean),
      boxHeight: document.getElementById('diagram')!.getBoundingClientRect().height,
      svgHeight: document.querySelector('svg')!.getBoundingClientRect().height,
    }));
    expect(inFrame.origin).toBe('null'); // opaque
    expect(inFrame.labels).toEqual(expect.arrayContaining(['Ask a question', 'Answered?', 'Done', 'yes', 'no']));
    // The frame is as tall as what it shows (the diagram and its padding), within the clamp.
    expect(Math.abs(host.height - inFrame.boxHeight)).toBeLessThanOrEqual(1);
    expect(inFrame.boxHeight).toBeGreaterThan(inFrame.svgHeight);
  });

  test('while streaming the block is code; it is drawn when the fence closes', async () => {
    await page.evaluate(() => {
      const root = document.body.appendChild(document.createElement('div'));
      root.id = 'streaming';
      const md = (window as unknown as { md: { MarkdownStream: new (r: HTMLElement) => { append(s: string): void; end(): void } } }).md;
      (window as unknown as { stream: unknown }).stream = new md.MarkdownStream(root);
    });
    type S = { stream: { append(s: string): void; end(): void; settled(): Promise<void> } };
    const lines = ['```mermaid\n', 'sequenceDiagram\n', '  Alice->>Bob: Hi\n', '  Bob-->>Alice: Hello\n'];
    for (const line of lines) await page.evaluate((l) => (window as unknown as S).stream.append(l), line);
    const open = await page.evaluate(() => ({
      frames: document.querySelectorAll('#streaming iframe').length,
      code: document.querySelector('#streaming pre code')?.textContent,
    }));
    expect(open).toEqual({ frames: 0, code: 'sequenceDiagram\n  Alice->>Bob: Hi\n  Bob-->>Alice: Hello' });
    await page.evaluate(async () => {
      (window as unknown as S).stream.append('```\n\nAfter.');
      (window as unknown as S).stream.end();
      await (window as unknown as S).stream.settled();
    });
    const frame = await drawnFrame('streaming');
    expect(await frame.evaluate(() => [...document.querySelectorAll('svg text')].map((t) => t.textContent))).toEqual(expect.arrayContaining(['Alice', 'Bob', 'Hi', 'Hello']));
  });

  test('a hostile diagram (script, javascript: links, click callbacks, HTML labels, an init directive) runs nothing and cannot reach or navigate the page', async () => {
    await render('hostile', [`\`\`\`mermaid\n${HOSTILE}\n\`\`\`\n`]);
    const frame = await drawnFrame('hostile');
    // Click everything clickable in the diagram.
    for (const target of await frame.$$('svg a, svg .node, svg .nodeLabel')) await target.click({ force: true, timeout: 2000 }).catch(() => undefined);
    await page.waitForTimeout(500);
    expect(page.url()).toBe(`${origin}/`);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    const inside = await frame.evaluate(() => ({
      pwned: (window as unknown as { pwned?: number }).pwned,
      scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src')),
      handlers: [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => a.name)),
      links: [...document.querySelectorAll('a')].filter((e) => e.hasAttribute('href') || e.hasAttributeNS('http://www.w3.org/1999/xlink', 'href')).length,
      jsUrls: [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes]).filter((a) => /javascript:/i.test(a.value)).length,
      url: location.href,
    }));
    expect(inside).toEqual({ pwned: undefined, scripts: ['./bedrock-chat-mermaid.js'], handlers: [], links: 0, jsUrls: 0, url: `${origin}/mermaid-frame.html` });
    // Even a script running in the frame (which the CSP and mermaid prevent) is boxed in by the sandbox.
    const escape = await frame.evaluate(() => {
      const tried: Record<string, string> = {};
      try {
        tried.parentDocument = String(window.parent.document.title);
      } catch (e) {
        tried.parentDocument = (e as Error).name;
      }
      try {
        window.top!.location.href = 'https://evil.example/';
        tried.topNavigation = 'no error';
      } catch (e) {
        tried.topNavigation = (e as Error).name;
      }
      tried.popup = String(window.open('https://evil.example/'));
      try {
        tried.storage = String(localStorage.length);
      } catch (e) {
        tried.storage = (e as Error).name;
      }
      return tried;
    });
    expect(escape).toEqual({ parentDocument: 'SecurityError', topNavigation: 'SecurityError', popup: 'null', storage: 'SecurityError' });
    await page.waitForTimeout(300);
    expect(page.url()).toBe(`${origin}/`);
    expect(browser.contexts()[0].pages()).toHaveLength(1);
  });

  test('invalid source shows the code with a note, and the frame is removed', async () => {
    const source = 'graph TD\n  A --> \n  this is not mermaid ((( ';
    await render('invalid', [`\`\`\`mermaid\n${source}\n\`\`\`\n`]);
    await page.waitForSelector('#invalid .md-diagram-note', { timeout: 30_000 });
    const shown = await page.evaluate(() => {
      const root = document.getElementById('invalid')!;
      return {
        frames: root.querySelectorAll('iframe').length,
        note: root.querySelector('.md-diagram-note')!.textContent,
        preHidden: root.querySelector('pre')!.hidden,
        code: root.querySelector('pre code')!.textContent,
      };
    });
    expect(shown).toEqual({ frames: 0, note: 'The diagram could not be drawn; its source is shown.', preHidden: false, code: source });
  });

  test('a source over the size limit is not sent to a frame: code with the note', async () => {
    const source = `graph TD\n${'  A --> B\n'.repeat(2100)}`.trimEnd();
    await render('huge', [`\`\`\`mermaid\n${source}\n\`\`\`\n`]);
    await page.waitForSelector('#huge .md-diagram-note', { timeout: 10_000 });
    expect(await page.locator('#huge iframe').count()).toBe(0);
  });

  test('the frame page\'s CSP: no inline script, no eval, no network from inside the frame', async () => {
    await render('csp', ['```mermaid\ngraph LR; X-->Y\n```\n']);
    const frame = await drawnFrame('csp');
    const result = await frame.evaluate(async (serverOrigin) => {
      const w = window as unknown as { inlineRan?: boolean };
      const s = document.createElement('script');
      s.textContent = 'window.inlineRan = true';
      document.body.appendChild(s);
      // In a task of the page's own (code run by the test driver itself may eval).
      const evalResult = await new Promise<string>((done) => setTimeout(() => {
        try {
          done(String(new Function('return 1 + 1')()));
        } catch (e) {
          done((e as Error).name);
        }
      }));
      const fetched = await fetch(`${serverOrigin}/markdown.js`).then(() => 'fetched', () => 'refused');
      const image = await new Promise<string>((done) => {
        const img = new Image();
        img.onload = () => done('loaded');
        img.onerror = () => done('refused');
        img.src = `${serverOrigin}/x.png`;
      });
      return { inline: w.inlineRan ?? false, evalResult, fetched, image };
    }, origin);
    expect(result).toEqual({ inline: false, evalResult: 'EvalError', fetched: 'refused', image: 'refused' });
  });

  test('a frame that never answers times out: the code stays, with the note', async () => {
    // The frame's script is held back, so the frame never says it is ready.
    // A fresh context, so the script is not in a cache.
    const other = await (await browser.newContext()).newPage();
    try {
      await other.route('**/bedrock-chat-mermaid.js', () => undefined);
      await other.goto(`${origin}/`);
      await other.evaluate(async () => {
        const m = await import('/markdown.js' as string);
        await m.loadParser();
        const root = document.body.appendChild(document.createElement('div'));
        root.id = 'slow';
        const stream = new m.MarkdownStream(root);
        stream.append('```mermaid\ngraph TD; A-->B\n```\n');
        stream.end();
        await stream.settled();
      });
      // Waiting: the frame is there, loading, and the code is shown.
      expect(await other.locator('#slow iframe.md-diagram[data-state="loading"]').count()).toBe(1);
      expect(await other.locator('#slow .md-diagram-note').count()).toBe(0);
      await other.waitForSelector('#slow .md-diagram-note', { timeout: 30_000 });
      expect(await other.locator('#slow iframe').count()).toBe(0);
      expect(await other.locator('#slow pre').isVisible()).toBe(true);
    } finally {
      await other.context().close();
    }
  }, 60_000);
});
