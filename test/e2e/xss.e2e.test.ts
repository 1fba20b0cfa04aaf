/// <reference lib="dom" />
/**
 * The XSS corpus (test/web-components/xss-corpus.ts) through the real local stack: the Bedrock fake answers with the
 * payloads, the real worker streams them through the WebSocket stand-in into the widget on the playground page (strict
 * CSP), the answer is stored and restored through REST after a reload, and the first question is itself a payload, so
 * that it reaches the conversation title (title model), the history list and a search snippet. Nothing may execute,
 * load or exist beyond the renderer's allow-listed markup.
 */
import type { Page } from 'playwright-core';
import { describeChromium, playgroundSession, signInAs, watchPage } from './harness';
import type { FakeRequest, FakeScript } from '../../src/local/emulators/bedrock';
import { offlineModel } from '../../src/local/offline-model';
import { Playground } from '../../src/local/playground';
import { auditMarkup, RENDERER_ALLOW, XSS_ALLOWED_ANCHORS, XSS_DOC, XSS_LITERALS } from '../web-components/xss-corpus';

/** The first question: a payload, so that the title model's title and the search snippets carry markup too. */
const QUESTION = '<img src=x onerror="window.__xss=\'question\'"> <svg/onload=window.__xss=\'q2\'> [a](javascript:void(window.__xss=\'q3\'))';

/** The corpus in chunks of 1..24 characters (deterministic), one text event each. */
function chunked(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length;) {
    const n = 1 + ((i * 7919 + text.length) % 24);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

/**
 * Paths of the playground's site a page may request, and the REST API (its own origin, as deployed); anything else (an
 * attacker origin, `/x` of `<img src=x>`) is a leak.
 */
const ALLOWED_PATH = /^\/(|playground\.(css|js)|bedrock-chat[\w.-]*\.js|config\.json|local\/(users|sign-in)|favicon\.ico)$/;

interface Traps {
  hits: string[];
  csp: string[];
}

describeChromium('XSS corpus through the playground', () => {
  let pg: Playground;
  let page: Page;
  let origin: string;
  const offline = offlineModel({ wordDelayMs: 1 });
  const problems: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];

  const session = playgroundSession({
    built: 'bedrock-chat-app.js',
    playground: {
      quiet: true,
      // Answers are the corpus; title requests (Converse) go to the offline model: the first words of the question.
      respond: (req: FakeRequest): FakeScript => (req.operation === 'ConverseStream'
        ? { steps: chunked(XSS_DOC).map((text) => ({ type: 'text' as const, text, delayMs: 2 })), stopReason: 'end_turn' }
        : offline(req)),
    },
  });
  beforeAll(async () => {
    pg = session.pg;
    origin = new URL(pg.url).origin;
    page = await session.browser.newPage();
    // Installed before any page script (through the DevTools protocol, so the CSP does not apply to it): a canary that
    // records every assignment, and a record of CSP violations (a blocked inline handler is one).
    await page.addInitScript(() => {
      const w = window as unknown as { __traps: Traps };
      w.__traps = { hits: [], csp: [] };
      Object.defineProperty(window, '__xss', { configurable: false, get: () => undefined, set: (v: unknown) => { w.__traps.hits.push(String(v)); } });
      document.addEventListener('securitypolicyviolation', (e) => w.__traps.csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`), true);
    });
    watchPage(page, (problem) => problems.push(problem), { responses: true });
    page.on('request', (req) => requests.push(req.url()));
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
  });

  const traps = () => page.evaluate(() => (window as unknown as { __traps: Traps }).__traps);
  const leaks = () => requests.filter((u) => {
    const url = new URL(u);
    if (url.origin === new URL(pg.restApiUrl).origin) return false;
    return url.origin !== origin || !ALLOWED_PATH.test(url.pathname);
  });
  const answer = () => page.locator('bedrock-chat [part~="message"][part~="assistant"] [part="message-text"]').last();
  const question = () => page.locator('bedrock-chat [part~="message"][part~="user"] [part="message-text"]').first();
  const historyTitle = () => page.locator('bedrock-chat-history [part~="select"] .label').first();

  /** What must hold for the rendered answer, the question and the title, live and after a reload. */
  async function expectInert(): Promise<void> {
    const audit = await answer().evaluate(auditMarkup, RENDERER_ALLOW);
    expect(audit.tags).toEqual([]);
    expect(audit.attributes).toEqual([]);
    expect(audit.handlers).toEqual([]);
    expect(audit.urls).toEqual([]);
    expect(audit.anchors).toEqual(XSS_ALLOWED_ANCHORS);
    const text = (await answer().textContent()) ?? '';
    for (const literal of XSS_LITERALS) expect(text).toContain(literal);
    // The question, the chat's title and the history's title are text only.
    for (const el of [question(), page.locator('bedrock-chat [part="title"]'), historyTitle()]) {
      await expect(el.evaluate((e) => e.children.length)).resolves.toBe(0);
      await expect(el.textContent()).resolves.toContain('<img src=x onerror=');
    }
    await expect(question().textContent()).resolves.toBe(QUESTION);
    // Nowhere in the chat or the history: no handler attribute, no frame, script, object or form.
    const shadows = await page.evaluate(() => {
      const roots: ShadowRoot[] = [];
      const walk = (root: Document | ShadowRoot) => root.querySelectorAll('*').forEach((e) => {
        if (e.shadowRoot) {
          roots.push(e.shadowRoot);
          walk(e.shadowRoot);
        }
      });
      walk(document);
      const all = roots.flatMap((r) => [...r.querySelectorAll('*')]);
      return {
        handlers: all.flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${e.tagName} ${a.name}`)),
        active: all.filter((e) => /^(script|iframe|object|embed|form|link|meta|base|img|details|style)$/i.test(e.tagName)
          && !e.closest('[part~="composer"], [part~="settings-dialog"]')).map((e) => e.tagName),
      };
    });
    expect(shadows).toEqual({ handlers: [], active: [] });
    const { hits, csp } = await traps();
    expect(hits).toEqual([]);
    expect(csp).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(leaks()).toEqual([]);
    expect(problems).toEqual([]);
  }

  test('the detectors work: markup injected by the test itself is caught (blocked handler, stray request)', async () => {
    await page.goto(pg.url);
    const markup = '<img src="/x-control" onerror="window.__xss = \'control\'">';
    // Under the deployed CSP (require-trusted-types-for 'script') a plain string never reaches innerHTML.
    const refused = await page.evaluate((html) => {
      const div = document.body.appendChild(document.createElement('div'));
      try {
        div.innerHTML = html;
        return 'assigned';
      } catch (err) {
        return (err as Error).name;
      }
    }, markup);
    expect(refused).toBe('TypeError');
    // The other detectors, with the markup let through by a policy of the test's own (no `trusted-types` allowlist).
    await page.evaluate((html) => {
      type Policy = { createHTML(s: string): string };
      const tt = (window as unknown as { trustedTypes: { createPolicy(n: string, r: Policy): Policy } }).trustedTypes;
      const policy = tt.createPolicy('xss-control', { createHTML: (s) => s });
      const div = document.body.appendChild(document.createElement('div'));
      div.id = 'control';
      div.innerHTML = policy.createHTML(html);
    }, markup);
    await page.waitForFunction(() => (window as unknown as { __traps: Traps }).__traps.csp.some((c) => /script-src/.test(c)));
    expect((await traps()).csp.join('\n')).toMatch(/require-trusted-types-for/);
    expect((await traps()).csp.join('\n')).toMatch(/script-src/);
    expect(leaks()).toEqual([`${origin}/x-control`]);
    expect(problems.some((p) => /Content Security Policy|404/.test(p))).toBe(true);
    // Start clean for the real run.
    requests.length = 0;
    problems.length = 0;
  });

  test('streamed live, restored after a reload, and in the history title and search snippets: nothing runs or loads', async () => {
    await signInAs(page, pg, 'alice');
    const input = page.locator('bedrock-chat [part~="input"]');
    await input.and(page.locator(':enabled')).waitFor();
    await input.fill(QUESTION);
    await input.press('Enter');
    await page.locator('bedrock-chat [part~="assistant"][data-status="done"]').waitFor({ timeout: 30_000 });
    // The title model's title (the first words of the question) reaches the chat's header and the history.
    await historyTitle().filter({ hasText: '<img src=x' }).waitFor({ timeout: 20_000 });
    await page.locator('bedrock-chat [part="title"]').filter({ hasText: '<img src=x' }).waitFor();
    await expectInert();

    // Search: the snippets of the question and the answer are text.
    await page.locator('bedrock-chat-history [part~="search"]').fill('onerror');
    const snippets = page.locator('bedrock-chat-history [part~="snippet"]');
    await snippets.first().waitFor({ timeout: 10_000 });
    const found = await snippets.evaluateAll((els) => els.map((e) => ({ children: e.children.length, text: e.textContent ?? '' })));
    expect(found.length).toBeGreaterThan(0);
    for (const s of found) {
      expect(s.children).toBe(0);
      expect(s.text).toMatch(/onerror/i);
    }
    expect(found.some((s) => s.text.includes('<img src=x onerror='))).toBe(true);
    await page.locator('bedrock-chat-history [part~="search"]').fill('');

    // Reload: the stored answer comes back through REST and is rendered again by the same renderer.
    await page.reload();
    await page.getByText(/Signed in as alice/i).waitFor();
    await answer().locator('a').first().waitFor({ timeout: 20_000 });
    await historyTitle().filter({ hasText: '<img src=x' }).waitFor();
    await expectInert();
  });
});
