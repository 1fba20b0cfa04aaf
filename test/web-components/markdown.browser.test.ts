/// <reference lib="dom" />
/**
 * Streaming markdown of <bedrock-chat> answers, in real Chromium: the renderer module on its own (chunking does not
 * change the result; finished blocks are never touched again), an XSS corpus streamed through the fake protocol v1
 * backend (with and without a strict CSP), rich answers (tables, lists, code with a working copy button, headings),
 * axe-core, and the bundle size. Needs the built bundle: `npx projen bundle:web`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ASSISTANT_TEXT, AXE, BUNDLE, CHROMIUM, describeBrowser, FakeBackend, ROOT } from './fake-backend';
import type { AxeResult } from './fake-backend';
import { XSS_ALLOWED_ANCHORS, XSS_DOC, XSS_LITERALS } from './xss-corpus';
import { launchChromium } from '../../src/local/browser';

/** A long document with every supported block and inline construct. */
const DOC = `# Streaming markdown

A paragraph with **strong**, *emphasis*, _underscores_, ***both***, ~~strike~~, \`inline code\`, a
[link](https://example.com/a_(b)?q=1 "title"), an autolink <https://example.org/x>, a bare URL https://example.net/path.
and an image ![diagram](https://example.com/d.png) plus snake_case_words and 2 * 3 * 4.

## Lists

- first
- second with \`code\`
  - nested one
  - nested two
    1. deep ordered
    2. deep again
- third

3. starts at three
4. four
   continued lazily

   a second paragraph in four

1) Install:
   \`\`\`bash
   npm install cdk-bedrock-chat # comment
   \`\`\`
2) Done

### Table

| Left | Center | Right | Plain |
|:-----|:------:|------:|-------|
| a | **b** | 1.5 | \`x\\|y\` |
| longer cell | c | 22 |
| d | e | 333 | f |

> A quote with *emphasis*
> - and a list
continued lazily

---

\`\`\`ts
// a comment
const answer: number = 42;
function greet(name: string): string {
  return \`hello \${name}\`; /* block */
}
\`\`\`

~~~python
def f(x):
    return "s" + 'q'  # done
~~~

\`\`\`
no language <b>here</b>
\`\`\`

Raw <b>html</b> & entities &amp; &#106; stay text.
Last line without a newline`;


const RICH = `# Release notes

Intro with **bold**, *em*, ~~old~~, \`code\` and a [link](https://example.com/docs).

## Steps

1. Install:
   \`\`\`bash
   npm install cdk-bedrock-chat
   \`\`\`
2. Deploy
   - nested bullet
   - another

| Name | Count | Note |
|:-----|------:|:----:|
| a | 1 | x |
| b | 22 | y |

> A quote

---

\`\`\`ts
const answer: number = 42; // the answer
console.log("done");
\`\`\``;

/** The part of the markdown module (built for the browser in beforeAll) that the tests use. */
interface MarkdownModule {
  MarkdownStream: new (root: HTMLElement) => { append(delta: string): void; end(): void };
}

/** Splits a text into chunks of 1..max characters. */
function chunks(text: string, max: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length;) {
    const n = 1 + ((i * 7919 + text.length) % max);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

function buildMarkdownModule(outDir: string): Promise<void> {
  const entry = join(ROOT, 'src', 'web-components', 'shared', 'markdown', 'index.ts');
  const script = `import { build } from 'vite';
    await build({ configFile: false, logLevel: 'warn', root: ${JSON.stringify(ROOT)}, publicDir: false,
      build: { outDir: ${JSON.stringify(outDir)}, emptyOutDir: true, target: 'es2022', minify: false,
        lib: { entry: ${JSON.stringify(entry)}, formats: ['es'], fileName: () => 'markdown.js' } } });`;
  return new Promise((done, fail) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT }, (err, _out, stderr) => (err ? fail(new Error(stderr)) : done()));
  });
}

describeBrowser('markdown answers of <bedrock-chat> in Chromium', () => {
  const backend = new FakeBackend();
  const moduleDir = mkdtempSync(join(tmpdir(), 'bedrock-chat-markdown-'));
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: build it first with \`npx projen bundle:web\``);
    await buildMarkdownModule(moduleDir);
    backend.files.set('/markdown.js', join(moduleDir, 'markdown.js'));
    backend.answers.set('xss please', chunks(XSS_DOC, 24));
    backend.answers.set('rich please', chunks(RICH, 12));
    await backend.start();
    browser = await launchChromium(CHROMIUM);
  });

  afterAll(async () => {
    await browser?.close();
    await backend.stop();
    rmSync(moduleDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
  });

  afterEach(async () => {
    await context.close();
  });

  async function openPage(path = '/test.html'): Promise<void> {
    await page.goto(`${backend.origin}${path}`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await page.locator('[part="input"]').and(page.locator(':enabled')).waitFor();
  }

  async function finishedAnswers(): Promise<number> {
    return page.evaluate(() => (window as unknown as { events: { type: string }[] }).events.filter((e) => e.type === 'bedrock-chat-message').length);
  }

  async function ask(text: string): Promise<void> {
    const before = await finishedAnswers();
    await page.locator('[part="input"]').fill(text);
    await page.locator('[part="input"]').press('Enter');
    await page.waitForFunction((n) => (window as unknown as { events: { type: string }[] }).events
      .filter((e) => e.type === 'bedrock-chat-message').length > n, before, { timeout: 20_000 });
  }

  async function runAxe(): Promise<string[]> {
    await page.addScriptTag({ path: AXE });
    return page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: unknown) => Promise<AxeResult> } }).axe;
      const result = await axe.run(document);
      return result.violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
    });
  }

  test('the renderer gives the same DOM whatever the chunking (random chunk sizes, one character at a time)', async () => {
    await openPage();
    const result = await page.evaluate(async (doc) => {
      const { MarkdownStream } = await import('/markdown.js' as string) as MarkdownModule;
      const render = (parts: string[]) => {
        const root = document.createElement('div');
        const stream = new MarkdownStream(root);
        for (const part of parts) stream.append(part);
        stream.end();
        return root;
      };
      const once = render([doc]);
      const mismatches: string[] = [];
      for (let seed = 1; seed <= 40; seed++) {
        let state = seed;
        const random = () => {
          state = (state * 1103515245 + 12345) % 2147483648;
          return state / 2147483648;
        };
        const max = seed % 4 === 0 ? 200 : 1 + Math.floor(random() * 30);
        const parts: string[] = [];
        for (let i = 0; i < doc.length;) {
          const n = 1 + Math.floor(random() * max);
          parts.push(doc.slice(i, i + n));
          i += n;
        }
        if (render(parts).innerHTML !== once.innerHTML) mismatches.push(`seed ${seed}`);
      }
      const t0 = performance.now();
      const byChar = render([...doc]);
      const charMs = performance.now() - t0;
      if (byChar.innerHTML !== once.innerHTML) mismatches.push('one character at a time');
      // A pathological paragraph (unmatched delimiters everywhere), streamed in small chunks.
      const bad = Array.from({ length: 2000 }, (_, i) => ['*a', '_b ', '`c', '[d', '~~e', '**f'][i % 6]).join(' ');
      const t1 = performance.now();
      render(bad.match(/[\s\S]{1,40}/g)!);
      const badMs = performance.now() - t1;
      const count = (selector: string) => once.querySelectorAll(selector).length;
      return {
        mismatches,
        charMs,
        badMs,
        badLength: bad.length,
        length: doc.length,
        blocks: [...once.children].map((c) => c.tagName.toLowerCase() + (c.className ? `.${c.className}` : '')),
        counts: {
          'ul > li > ul > li > ol > li': count('ul > li > ul > li > ol > li'),
          'ol[start="3"] > li': count('ol[start="3"] > li'),
          'li > p': count('li > p'),
          'li .md-code': count('li .md-code'),
          'th': count('th'),
          'tbody tr': count('tbody tr'),
          'td': count('td'),
          'blockquote ul': count('blockquote ul'),
          'del': count('del'),
          'strong': count('strong'),
          'em': count('em'),
          'strong > em': count('strong > em'),
          'a': count('a'),
          'a.md-image': count('a.md-image'),
          'img': count('img'),
          '.tok-k': count('.tok-k'),
          '.tok-s': count('.tok-s'),
          '.tok-c': count('.tok-c'),
          '.tok-n': count('.tok-n'),
          'b': count('b'),
        },
        align: [...once.querySelectorAll('th')].map((th) => th.className),
        links: [...once.querySelectorAll('a')].map((a) => [a.getAttribute('href'), a.textContent]),
        langs: [...once.querySelectorAll('.md-lang')].map((l) => l.textContent),
        code: once.querySelector('code.language-ts')?.textContent,
        pipeCell: once.querySelectorAll('tbody tr')[0]?.lastElementChild?.textContent,
        last: once.lastElementChild?.textContent,
      };
    }, DOC);
    // eslint-disable-next-line no-console
    console.log(`markdown: ${result.length} characters streamed one at a time in ${result.charMs.toFixed(1)} ms; `
      + `a ${result.badLength}-character paragraph of unmatched delimiters in 40-character chunks in ${result.badMs.toFixed(1)} ms`);
    expect(result.mismatches).toEqual([]);
    expect(result.blocks).toEqual(['h1', 'p', 'h2', 'ul', 'ol', 'ol', 'h3', 'div.md-table', 'blockquote', 'hr',
      'div.md-code', 'div.md-code', 'div.md-code', 'p']);
    expect(result.counts).toEqual({
      'ul > li > ul > li > ol > li': 2,
      'ol[start="3"] > li': 2,
      'li > p': 2,
      'li .md-code': 1,
      'th': 4,
      'tbody tr': 3,
      'td': 12,
      'blockquote ul': 1,
      'del': 1,
      'strong': 3,
      'em': 4,
      'strong > em': 1,
      'a': 4,
      'a.md-image': 1,
      'img': 0,
      '.tok-k': expect.any(Number),
      '.tok-s': expect.any(Number),
      '.tok-c': expect.any(Number),
      '.tok-n': expect.any(Number),
      'b': 0,
    });
    expect(Math.min(result.counts['.tok-k'], result.counts['.tok-s'], result.counts['.tok-c'], result.counts['.tok-n'])).toBeGreaterThan(0);
    expect(result.align).toEqual(['md-left', 'md-center', 'md-right', '']);
    expect(result.links).toEqual([
      ['https://example.com/a_(b)?q=1', 'link'],
      ['https://example.org/x', 'https://example.org/x'],
      ['https://example.net/path', 'https://example.net/path'],
      ['https://example.com/d.png', 'diagram'],
    ]);
    expect(result.langs).toEqual(['bash', 'ts', 'python', 'text']);
    expect(result.code).toBe('// a comment\nconst answer: number = 42;\nfunction greet(name: string): string {\n  return `hello ${name}`; /* block */\n}');
    expect(result.pipeCell).toBe('x|y');
    expect(result.last).toBe('Raw <b>html</b> & entities &amp; &#106; stay text.\nLast line without a newline');
  });

  test('finished blocks keep their DOM nodes and are never mutated while later blocks stream', async () => {
    await openPage();
    const result = await page.evaluate(async () => {
      const { MarkdownStream } = await import('/markdown.js' as string) as MarkdownModule;
      const root = document.body.appendChild(document.createElement('div'));
      const stream = new MarkdownStream(root);
      const first = '# Title\n\nFirst paragraph with **bold**\nover two lines.\n\n- one\n- two\n  - nested\n\n```js\nconst a = 1;\n```\n| a | b |\n|---|--:|\n| 1 | 2 |\n\nThe open para';
      const second = 'graph goes on.\n\n> a quote\n\n1. item\n2. item\n\n```py\nx = 1\n```\n\nThe end.';
      for (const c of first) stream.append(c);
      const finals = [...root.children].slice(0, -1);
      const before = finals.map((n) => n.outerHTML);
      const openBefore = root.lastElementChild!;
      const records: string[] = [];
      const observer = new MutationObserver((list) => records.push(...list.map((r) => `${r.type} in ${(r.target as Element).tagName ?? 'text'}`)));
      for (const node of finals) observer.observe(node, { subtree: true, childList: true, attributes: true, characterData: true });
      for (const c of second) stream.append(c);
      stream.end();
      records.push(...observer.takeRecords().map((r) => r.type));
      observer.disconnect();
      return {
        finals: finals.map((n) => n.tagName.toLowerCase()),
        same: finals.map((n, i) => root.children[i] === n),
        unchanged: finals.map((n, i) => n.outerHTML === before[i]),
        records,
        openReplaced: openBefore.isConnected === false,
        after: [...root.children].slice(finals.length).map((n) => `${n.tagName.toLowerCase()}:${n.textContent}`),
      };
    });
    expect(result.finals).toEqual(['h1', 'p', 'ul', 'div', 'div']);
    expect(result.same).toEqual([true, true, true, true, true]);
    expect(result.unchanged).toEqual([true, true, true, true, true]);
    expect(result.records).toEqual([]);
    // The open block was rendered again as it grew (and finally once more, as a finished block).
    expect(result.openReplaced).toBe(true);
    expect(result.after).toEqual(['p:The open paragraph goes on.', 'blockquote:a quote', 'ol:itemitem', 'div:pyCopyx = 1', 'p:The end.']);
  });

  for (const path of ['/test.html', '/csp.html']) {
    test(`an XSS corpus streamed as an answer executes nothing and leaves no active markup (${path})`, async () => {
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(String(err)));
      await openPage(path);
      if (path === '/test.html') {
        // The trap works: the same payload through innerHTML does set the flag on this page.
        const control = await page.evaluate(async () => {
          const div = document.body.appendChild(document.createElement('div'));
          div.innerHTML = '<img src=x onerror="window.__xss = \'control\'">';
          await new Promise((r) => setTimeout(r, 300));
          const w = window as unknown as { __xss?: string };
          const value = w.__xss;
          delete w.__xss;
          div.remove();
          return value;
        });
        expect(control).toBe('control');
      }
      backend.answers.set('xss please', chunks(XSS_DOC, 24));
      await ask('xss please');
      await page.waitForTimeout(500); // time for any onerror/onload to fire
      const found = await page.evaluate(() => {
        const root = document.querySelector('bedrock-chat')!.shadowRoot!;
        const all = [...root.querySelectorAll('*')];
        // The widget's own controls under an answer (the thumbs icons are SVG) are not model output.
        const messages = [...root.querySelectorAll('[part="log"] *')].filter((e) => !e.closest('[part~="message-actions"]'));
        const answer = [...root.querySelectorAll('[part~="assistant"] [part="message-text"]')].pop()!;
        return {
          xss: (window as unknown as { __xss?: unknown }).__xss,
          active: messages.filter((e) => /^(script|iframe|object|embed|img|svg|details|style|form|input|link|meta|base)$/i.test(e.tagName))
            .map((e) => e.tagName),
          handlers: all.flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${e.tagName} ${a.name}`)),
          styles: all.filter((e) => e.hasAttribute('style')).map((e) => e.tagName),
          urls: all.flatMap((e) => ['href', 'src', 'action', 'formaction', 'xlink:href', 'srcdoc'].filter((n) => e.hasAttribute(n)).map((n) => e.getAttribute(n)!)),
          anchors: [...answer.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), rel: a.rel, target: a.target, text: a.textContent })),
          text: answer.textContent ?? '',
          csp: (window as unknown as { cspViolations: string[] }).cspViolations,
        };
      });
      expect(found.xss).toBeUndefined();
      expect(found.active).toEqual([]);
      expect(found.handlers).toEqual([]);
      expect(found.styles).toEqual([]);
      for (const url of found.urls) expect(url).toMatch(/^(https?:\/\/|mailto:)/);
      // Only the allow-listed links of the last payload became links, each opening safely in a new tab.
      expect(found.anchors).toEqual(XSS_ALLOWED_ANCHORS);
      // The markup is shown as text.
      for (const literal of XSS_LITERALS) expect(found.text).toContain(literal);
      expect(found.csp).toEqual([]);
      expect(errors).toEqual([]);
    });
  }

  test('a rich answer: headings, lists, table, quote and code blocks with a working copy button; restored after a reload', async () => {
    await openPage();
    await ask('rich please');
    const answer = page.locator(ASSISTANT_TEXT).last();
    const check = async () => {
      await expect(answer.locator('h1').textContent()).resolves.toBe('Release notes');
      await expect(answer.locator('h2').textContent()).resolves.toBe('Steps');
      await expect(answer.locator('ol > li').count()).resolves.toBe(2);
      await expect(answer.locator('ol > li > ul > li').allTextContents()).resolves.toEqual(['nested bullet', 'another']);
      await expect(answer.locator('th').allTextContents()).resolves.toEqual(['Name', 'Count', 'Note']);
      await expect(answer.locator('td').allTextContents()).resolves.toEqual(['a', '1', 'x', 'b', '22', 'y']);
      const align = await answer.locator('tbody tr:first-child td').evaluateAll((tds) => tds.map((td) => getComputedStyle(td).textAlign));
      expect(align).toEqual(['left', 'right', 'center']);
      await expect(answer.locator('blockquote').textContent()).resolves.toBe('A quote');
      await expect(answer.locator('hr').count()).resolves.toBe(1);
      await expect(answer.locator('.md-lang').allTextContents()).resolves.toEqual(['bash', 'ts']);
      await expect(answer.locator('a').getAttribute('href')).resolves.toBe('https://example.com/docs');
    };
    await check();

    // Copy: the button confirms visibly, and the clipboard holds exactly the code.
    const copy = answer.locator('.md-code').last().getByRole('button', { name: 'Copy' });
    await copy.click();
    const copied = answer.locator('.md-code').last().getByRole('button', { name: 'Copied' });
    await copied.waitFor();
    await expect(copied.evaluate((b) => b.classList.contains('md-copied'))).resolves.toBe(true);
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe('const answer: number = 42; // the answer\nconsole.log("done");');
    await answer.locator('li .md-copy').click();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe('npm install cdk-bedrock-chat');
    await copied.waitFor({ state: 'detached', timeout: 5000 }); // back to "Copy"

    expect(await runAxe()).toEqual([]);

    // A stored conversation is rendered as markdown too.
    await openPage();
    await answer.locator('h1').waitFor();
    await check();
    await expect(page.locator('[part~="user"] [part="message-text"]').last().textContent()).resolves.toBe('rich please');
  });

  test('bundle size (reported; budget 45 KB gzip)', () => {
    const code = readFileSync(BUNDLE);
    const gzip = gzipSync(code).length;
    // eslint-disable-next-line no-console
    console.log(`bedrock-chat.js: ${(code.length / 1024).toFixed(1)} KB, ${(gzip / 1024).toFixed(1)} KB gzip`);
    expect(gzip).toBeLessThan(45 * 1024);
  });
});
