/// <reference lib="dom" />
/**
 * What models write, rendered by the widget's markdown module in Chromium: the cases of issue 10 (each test is named
 * after what a user saw), the GFM extensions, footnotes as citations, streaming consistency for any chunking
 * (fast-check) and linear work on adversarial answers. Builds the module with Vite; needs /usr/bin/chromium.
 */
import fc from 'fast-check';
import type { Page } from 'playwright-core';
import { describeBrowser } from './fake-backend';
import { openMarkdownPage } from './markdown-module';
import { adversarialAnswers } from '../../bench/widget';


/** The adversarial answers of 64 KB that the bench renders (bench/widget.ts). */
const ADVERSARIAL = { ...adversarialAnswers(), nestedEmphasis: `${'*a '.repeat(10_000)}${'b* '.repeat(10_000)}`.slice(0, 65_536) };

describeBrowser('markdown that models write (GFM, footnotes, streaming) in Chromium', () => {
  let page: Page;
  let closePage: () => Promise<void>;

  beforeAll(async () => {
    ({ page, close: closePage } = await openMarkdownPage('gfm', { permissions: ['clipboard-read', 'clipboard-write'] }));
    await page.evaluate(async () => {
      const m = await import('/markdown.js' as string);
      await m.loadParser(); // the parser's chunk: then rendering is synchronous
      const w = window as unknown as Record<string, unknown>;
      w.md = m;
      /** Renders `text` (in `parts`, or at once) and returns the root. */
      w.render = (text: string | string[], citations: unknown[] = []) => {
        const root = document.body.appendChild(document.createElement('div'));
        const stream = new m.MarkdownStream(root, { citations: () => citations });
        for (const part of typeof text === 'string' ? [text] : text) stream.append(part);
        stream.end();
        return root;
      };
    });
  }, 120_000);

  afterAll(async () => {
    await closePage?.();
  });

  /** The rendered HTML of a text. */
  type Renders = { render(t: string, c: unknown[]): HTMLElement };
  const html = (text: string, citations: unknown[] = []) => page.evaluate(
    ([t, c]) => (window as unknown as Renders).render(t as string, c as unknown[]).innerHTML, [text, citations] as const);

  test('a list with blank lines between items gives every item paragraph spacing', async () => {
    const out = await html('- first\n\n- second\n\n- last\n');
    expect(out).toBe('<ul><li><p>first</p></li><li><p>second</p></li><li><p>last</p></li></ul>');
  });

  test('entities are decoded', async () => {
    const text = await page.evaluate(() => (window as unknown as { render(t: string): HTMLElement }).render('a&nbsp;b &amp; c &mdash; it&#39;s &#x2192; &hellip; &le; &alpha; &unknown;').textContent);
    expect(text).toBe('a\u00a0b & c \u2014 it\'s \u2192 \u2026 \u2264 \u03b1 &unknown;');
  });

  test('leading tabs in fenced code are kept, and Copy copies exactly the code', async () => {
    const makefile = 'all: build\n\tgo build ./...\n\t\techo "done"\n\ttab\tinside';
    const result = await page.evaluate(async (code) => {
      const root = (window as unknown as { render(t: string): HTMLElement }).render(`\`\`\`make\n${code}\n\`\`\`\n`);
      (root.querySelector('.md-copy') as HTMLButtonElement).click();
      await new Promise((r) => setTimeout(r, 100));
      return { shown: root.querySelector('code')!.textContent, copied: await navigator.clipboard.readText() };
    }, makefile);
    expect(result.shown).toBe(makefile);
    expect(result.copied).toBe(makefile);
  });

  test('reference-style links resolve and their definitions are not shown', async () => {
    const out = await html('See [the guide][guide] and [1], also [Guide].\n\n[guide]: https://example.com/guide "The guide"\n[1]: https://example.com/one\n');
    expect(out).toBe('<p>See <a href="https://example.com/guide" rel="noopener noreferrer nofollow" target="_blank" title="The guide">the guide</a> and '
      + '<a href="https://example.com/one" rel="noopener noreferrer nofollow" target="_blank">1</a>, also '
      + '<a href="https://example.com/guide" rel="noopener noreferrer nofollow" target="_blank" title="The guide">Guide</a>.</p>');
  });

  test('task lists, setext headings, indented code blocks and backslash line breaks are recognised', async () => {
    const out = await html('Title\n=====\n\n    indented code\n\n- [ ] todo\n- [x] done\n\nline one\\\nline two\n');
    expect(out).toContain('<h1>Title</h1>');
    expect(out).toContain('<li class="md-task"><input type="checkbox" disabled=""> todo</li><li class="md-task"><input type="checkbox" disabled=""> done</li>');
    expect(await page.evaluate(() => [...document.querySelectorAll('body > div:last-child input')].map((i) => [(i as HTMLInputElement).checked, (i as HTMLInputElement).disabled])))
      .toEqual([[false, true], [true, true]]);
    expect(out).toContain('<code>indented code</code>');
    expect(out).toContain('<p>line one<br>line two</p>');
  });

  test('<br> in a table cell is a line break; no other HTML is interpreted', async () => {
    const out = await html('| a | b |\n|---|---|\n| one<br>two | x<br/>y <b>bold</b> <img src=x onerror=alert(1)> |\n\nOutside: one<br>two\n');
    expect(out).toContain('<td>one<br>two</td><td>x<br>y &lt;b&gt;bold&lt;/b&gt; &lt;img src=x onerror=alert(1)&gt;</td>');
    expect(out).toContain('<p>Outside: one&lt;br&gt;two</p>');
  });

  test('strikethrough with one or two tildes, and www. and bare URLs become links', async () => {
    const out = await html('~one~ and ~~two~~ but not ~~~three~~~; see www.example.com/a, https://example.org/b. or (https://example.net/c) and mail me@example.com.');
    expect(out).toBe('<p><del>one</del> and <del>two</del> but not ~~~three~~~; see '
      + '<a href="http://www.example.com/a" rel="noopener noreferrer nofollow" target="_blank">www.example.com/a</a>, '
      + '<a href="https://example.org/b" rel="noopener noreferrer nofollow" target="_blank">https://example.org/b</a>. or '
      + '(<a href="https://example.net/c" rel="noopener noreferrer nofollow" target="_blank">https://example.net/c</a>) and mail '
      + '<a href="mailto:me@example.com" rel="noopener noreferrer nofollow" target="_blank">me@example.com</a>.</p>');
  });

  test('footnotes are numbered in order of reference and listed at the end', async () => {
    const out = await html('Claim[^b] and another[^a], again[^b]; undefined[^x].\n\n[^a]: First *note*.\n[^b]: Second note.\n');
    expect(out).toBe('<p>Claim<sup class="md-fnref"><a href="#fn-1">1</a></sup> and another<sup class="md-fnref"><a href="#fn-2">2</a></sup>, '
      + 'again<sup class="md-fnref"><a href="#fn-1">1</a></sup>; undefined[^x].</p>'
      + '<section class="md-footnotes"><ol><li data-footnote="1"><p>Second note.</p></li><li data-footnote="2"><p>First <em>note</em>.</p></li></ol></section>');
  });

  test('a footnote matching a retrieved source renders as that citation', async () => {
    const citations = [
      { sourceId: 's3://kb/guide.pdf', title: 'Deployment guide', url: 'https://docs.example.com/guide.pdf' },
      { sourceId: 'faq', title: 'FAQ', url: 'https://docs.example.com/faq' },
    ];
    const out = await html('Deploy with CDK[^1]; see the FAQ[^faq] and [^web].\n\n[^1]: Deployment guide, p. 3\n[^faq]: FAQ\n[^web]: https://example.org/not-a-source\n', citations);
    expect(out).toContain('CDK<sup class="md-fnref"><a class="md-cite" href="https://docs.example.com/guide.pdf" rel="noopener noreferrer nofollow" target="_blank" title="Deployment guide">1</a></sup>');
    expect(out).toContain('FAQ<sup class="md-fnref"><a class="md-cite" href="https://docs.example.com/faq" rel="noopener noreferrer nofollow" target="_blank" title="FAQ">2</a></sup>');
    expect(out).toContain('and <sup class="md-fnref"><a href="#fn-3">3</a></sup>');
    // The footnotes section names the source of each citation.
    expect(out).toContain('<li data-footnote="1"><p>Deployment guide, p. 3</p> <a class="md-cite" href="https://docs.example.com/guide.pdf" rel="noopener noreferrer nofollow" target="_blank">Deployment guide</a></li>');
  });

  test('[^n] without a definition (how the model cites, docs/knowledge-contract.md) is the n-th source; clicking a document\'s asks the chat to open it', async () => {
    const citations = [
      { sourceId: '1', title: 'fish.txt', documentId: '01DOCFISH' },
      { sourceId: '2', title: 'Guide', url: 'https://docs.example.com/guide' },
    ];
    const out = await html('Fish[^1], guide[^2], none[^3].\n', citations);
    expect(out).toBe('<p>Fish<sup class="md-fnref"><a href="#fn-1" title="fish.txt">1</a></sup>, guide<sup class="md-fnref"><a class="md-cite" '
      + 'href="https://docs.example.com/guide" rel="noopener noreferrer nofollow" target="_blank" title="Guide">2</a></sup>, none[^3].</p>');
    // No footnotes section: the sources are the chat's list. Without sources `[^1]` stays text.
    await expect(html('Fish[^1].\n')).resolves.toBe('<p>Fish[^1].</p>');
    const detail = await page.evaluate((c) => {
      const root = (window as unknown as Renders).render('Fish[^1].\n', c);
      let got: unknown;
      root.addEventListener('md-source', (e) => { got = (e as CustomEvent).detail; });
      root.querySelector('sup a')!.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
      return got;
    }, citations);
    expect(detail).toEqual(citations[0]);
  });

  test('the final DOM equals a one-shot render for any chunking (property, fast-check)', async () => {
    const pieces = ['# Head\n', 'Title\n', '===\n', 'para *em* **strong** `code` ~~del~~\n', '\n', '- a\n', '- b\n', '\n', '  - c\n', '1. one\n', '2) two\n',
      '> quote\n', '> - x\n', 'lazy\n', '```js\n', 'let x = 1;\n', '\tindented\n', '```\n', '    code\n', '| a | b |\n', '|---|:-:|\n', '| 1 | 2<br>3 |\n',
      'a [ref] b [^n] c\n', '[ref]: https://example.com/r\n', '[^n]: note\n', '---\n', 'text\\\n', 'www.example.com x\n', '[x](/rel) ![i](https://e.com/i.png)\n', '&amp; &copy;\n', '- [ ] task\n'];
    const doc = fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 25 }).map((p) => p.join(''));
    const cuts = (text: string) => fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 30 })
      .map((points) => {
        const at = [...new Set([0, ...points, text.length])].sort((a, b) => a - b);
        return at.slice(1).map((end, i) => text.slice(at[i], end));
      });
    await fc.assert(fc.asyncProperty(doc.chain((text) => cuts(text).map((parts) => ({ text, parts }))), async ({ text, parts }) => {
      const [once, chunked] = await page.evaluate(([t, p]) => {
        const w = window as unknown as { render(t: string | string[]): HTMLElement };
        const a = w.render(t as string);
        const b = w.render(p as string[]);
        const r = [a.innerHTML, b.innerHTML];
        a.remove();
        b.remove();
        return r;
      }, [text, parts] as const);
      expect(chunked).toBe(once);
    }), { numRuns: 150 });
  }, 120_000);

  test('before the parser\'s chunk arrives the text shows as typed; then it is rendered as a one-shot render would', async () => {
    const fresh = await page.context().newPage();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await fresh.route(/\/parse-[\w-]+\.js$/, async (route) => {
      await held;
      await route.continue();
    });
    await fresh.goto(page.url());
    const text = '# Title\n\nSome **bold** text and a [link](https://example.com).\n\n- a\n- b\n';
    const before = await fresh.evaluate(async (t) => {
      const m = await import('/markdown.js' as string);
      const root = document.body.appendChild(document.createElement('div'));
      const stream = new m.MarkdownStream(root);
      for (let i = 0; i < t.length; i += 7) stream.append(t.slice(i, i + 7));
      stream.end();
      (window as unknown as { pending: Promise<void> }).pending = stream.settled();
      return root.innerHTML;
    }, text);
    expect(before).toBe(`<p class="md-html">${text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</p>`);
    release();
    const [after, once] = await fresh.evaluate(async (t) => {
      await (window as unknown as { pending: Promise<void> }).pending;
      const m = await import('/markdown.js' as string);
      const one = document.createElement('div');
      m.renderMarkdown(one, t);
      return [document.body.lastElementChild!.innerHTML, one.innerHTML];
    }, text);
    expect(after).toBe(once);
    expect(after).toContain('<h1>Title</h1>');
    await fresh.close();
  });

  test('streamed adversarial answers of 64 KB do linear work: finished blocks are never parsed again', async () => {
    const result = await page.evaluate((answers) => {
      type Stream = { parsedCharacters: number; append(s: string): void; end(): void };
      const { MarkdownStream } = (window as unknown as { md: { MarkdownStream: new (root: HTMLElement) => Stream } }).md;
      const out: Record<string, { ms: number; parsedPerChar: number; text: number }> = {};
      for (const [name, text] of Object.entries(answers)) {
        const root = document.createElement('div');
        const stream = new MarkdownStream(root);
        const t0 = performance.now();
        for (let i = 0; i < text.length; i += 20) stream.append(text.slice(i, i + 20));
        stream.end();
        out[name] = { ms: performance.now() - t0, parsedPerChar: stream.parsedCharacters / text.length, text: root.textContent!.length };
      }
      return out;
    }, ADVERSARIAL);
    // eslint-disable-next-line no-console
    console.log(`adversarial 64 KB answers streamed in 20-character deltas: ${Object.entries(result).map(([k, v]) => `${k} ${v.ms.toFixed(0)} ms (${v.parsedPerChar.toFixed(1)} parses per character)`).join(', ')}`);
    // Each character goes through the parser a bounded number of times (the open tail is parsed again only when it
    // has grown by a quarter), not once per delta: 3,277 deltas would mean about 1,600 parses per character.
    for (const v of Object.values(result)) expect(v.parsedPerChar).toBeLessThan(10);
    // Nothing threw; a 10,000 deep emphasis is shown whole (below 128 levels as its text): every "a " and "b ".
    for (const v of Object.values(result)) expect(v.text).toBeGreaterThan(1000);
    expect(result.nestedEmphasis.text).toBe(39_999); // the paragraph loses its final space
  }, 120_000);
});
