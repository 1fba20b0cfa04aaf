/// <reference lib="dom" />
/**
 * A ```mermaid diagram end to end in the playground: the Bedrock fake answers with a diagram, the real worker streams
 * it into the widget on the playground page, whose CSP and the frame page's headers come from the synthesized
 * template (the app's policy with frame-src 'self'; /mermaid-frame.html with its own response headers policy). The
 * diagram is drawn in the sandboxed frame, no CSP violation is reported by the page or the frame, and nothing of the
 * SVG is in the page.
 */
import type { Page } from 'playwright-core';
import { describeChromium, playgroundSession, signInAs } from './harness';
import type { FakeRequest, FakeScript } from '../../src/local/emulators/bedrock';
import { offlineModel } from '../../src/local/offline-model';
import { Playground } from '../../src/local/playground';

const ANSWER = 'The flow:\n\n```mermaid\ngraph TD\n  Q[Question] --> W[Worker]\n  W --> A[Answer]\n```\n\nThat is all.';

describeChromium('a mermaid diagram through the playground', () => {
  let pg: Playground;
  let page: Page;
  const offline = offlineModel({ wordDelayMs: 1 });
  const problems: string[] = [];
  const responses = new Map<string, Record<string, string>>();

  const session = playgroundSession({
    built: 'mermaid-frame.html',
    playground: {
      quiet: true,
      respond: (req: FakeRequest): FakeScript => (req.operation === 'ConverseStream'
        ? { steps: ANSWER.match(/[\s\S]{1,12}/g)!.map((text) => ({ type: 'text' as const, text, delayMs: 2 })), stopReason: 'end_turn' }
        : offline(req)),
    },
  });
  beforeAll(async () => {
    pg = session.pg;
    page = await session.browser.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()} ${res.url()}`);
      responses.set(new URL(res.url()).pathname, res.headers());
    });
  });

  test('the diagram is drawn in the sandboxed frame under the template\'s headers', async () => {
    await signInAs(page, pg, 'alice');
    const input = page.locator('bedrock-chat [part~="input"]');
    await input.and(page.locator(':enabled')).waitFor();
    await input.fill('Draw the flow');
    await input.press('Enter');
    const frameEl = page.locator('bedrock-chat iframe.md-diagram[data-state="drawn"]');
    await frameEl.waitFor({ timeout: 30_000 });
    expect(await frameEl.getAttribute('sandbox')).toBe('allow-scripts');
    const frame = (await (await frameEl.elementHandle())!.contentFrame())!;
    const inFrame = await frame.evaluate(() => ({
      origin: window.origin,
      labels: [...document.querySelectorAll('svg .nodeLabel')].map((n) => n.textContent?.trim()),
    }));
    expect(inFrame).toEqual({ origin: 'null', labels: expect.arrayContaining(['Question', 'Worker', 'Answer']) });
    // The headers the local stack took from the template: the app's CSP allows the frame, the frame has its own.
    expect(responses.get('/')?.['content-security-policy']).toContain("frame-src 'self'");
    const frameHeaders = responses.get('/mermaid-frame.html')!;
    expect(frameHeaders['content-security-policy']).toBe("default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'; frame-ancestors *");
    expect(frameHeaders['x-frame-options']).toBeUndefined();
    // Nothing of the diagram in the page's DOM (shadow roots included).
    const svgInPage = await page.evaluate(() => {
      let n = 0;
      const walk = (root: Document | ShadowRoot) => root.querySelectorAll('*').forEach((e) => {
        if (e.tagName.toLowerCase() === 'svg' && e.querySelector('.nodeLabel')) n++;
        if (e.shadowRoot) walk(e.shadowRoot);
      });
      walk(document);
      return n;
    });
    expect(svgInPage).toBe(0);
    expect(problems).toEqual([]);
  });
});
