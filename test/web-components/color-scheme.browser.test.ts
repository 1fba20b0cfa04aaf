/// <reference lib="dom" />
/**
 * Light and dark, part by part, in Chromium against the fake backend: the web app with a conversation that shows every
 * kind of part (markdown with code, highlighting, table, quote and links; reasoning; tool cards; citations; versions;
 * pressed thumbs; the feedback form with its error; a failed answer with the error alert; the message editor; an
 * attachment chip; the pressed Reason toggle; the focused input), the history (current item, rename, delete, search
 * snippets, status), the settings dialog, and on another page the built-in sign-in (app and panel), the sign-in notice
 * and the launcher. For each: (a) the colours differ between `prefers-color-scheme: light` and `dark`, (b) axe-core finds
 * no color-contrast violation in either scheme, (c) the app's `data-theme` gives exactly the light colours under a dark
 * system and the dark colours under a light system. Needs the built bundle: `npx projen bundle:web`.
 */
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AXE, BUNDLE, CHROMIUM, describeBrowser, FakeBackend } from './fake-backend';
import type { AxeResult } from './fake-backend';
import { launchChromium } from '../../src/local/browser';

/** A part: a path of selectors, each one inside the shadow root of the element found by the previous one. */
type Parts = Record<string, string[]>;
interface Colours {
  bg: string;
  fg: string;
  border: string;
  outline: string;
  scheme: string;
}
type Scheme = 'light' | 'dark';

const APP = 'bedrock-chat-app';
const chatPart = (selector: string) => [APP, 'bedrock-chat', selector];
const historyPart = (selector: string) => [APP, 'bedrock-chat-history', selector];
const appPart = (selector: string) => [APP, selector];

const RICH = `## Findings

A paragraph with a [link](https://example.com/docs), \`inline code\` and **bold** text.

> A quoted line

| Name | Count |
|:-----|------:|
| alpha | 1 |

\`\`\`ts
// a comment
const answer: number = 42; const s = "text";
\`\`\`
`;

/** Phase "conversation": the chat with every kind of part, the history with the rename field open. */
const CONVERSATION: Parts = {
  'chat base': chatPart('[part~="base"]'),
  'header': chatPart('[part~="header"]'),
  'title': chatPart('[part~="title"]'),
  'model picker': chatPart('[part~="model-picker"]'),
  'new chat': chatPart('[part~="new-chat"]'),
  'log': chatPart('[part~="log"]'),
  'user message': chatPart('[part~="user"]:not([part~="failed"]) [part="message-text"]'),
  'answer': chatPart('[part~="assistant"] [part="message-text"]'),
  'markdown heading': chatPart('.md h2'),
  'markdown link': chatPart('.md p a'),
  'inline code': chatPart('.md p code'),
  'quote': chatPart('.md blockquote'),
  'table header': chatPart('.md-table th'),
  'table cell': chatPart('.md-table td'),
  'code block': chatPart('.md-code pre'),
  'code bar': chatPart('.md-code-bar'),
  'code language': chatPart('.md-lang'),
  'code copy': chatPart('.md-copy'),
  'code keyword': chatPart('.md .tok-k'),
  'code string': chatPart('.md .tok-s'),
  'code comment': chatPart('.md .tok-c'),
  'code number': chatPart('.md .tok-n'),
  'reasoning summary': chatPart('[part~="reasoning"] summary'),
  'reasoning text': chatPart('[part~="reasoning"] .reasoning-text'),
  'tool use': chatPart('[part~="tool-use"]'),
  'tool result': chatPart('[part~="tool-result"] pre'),
  'citation link': chatPart('[part~="citation"] a'),
  'citation text': chatPart('[part~="citation"]:not(:has(a))'),
  'length note': chatPart('[part~="assistant"]:not([part~="failed"]) [part~="message-note"]'),
  'usage': chatPart('[part~="usage"]'),
  'versions': chatPart('[part~="branch-nav"]'),
  'previous version': chatPart('[part~="branch-prev"]'),
  'copy': chatPart('[part~="copy"]'),
  'regenerate': chatPart('[part~="regenerate"]'),
  'continue': chatPart('[part~="continue"]'),
  'thumbs up (pressed)': chatPart('[part~="feedback-up"][aria-pressed="true"]'),
  'thumbs down': chatPart('[part~="feedback-down"]'),
  'feedback form': chatPart('[part~="feedback-form"] legend'),
  'feedback category': chatPart('[part~="feedback-form"] label'),
  'feedback comment': chatPart('[part~="feedback-comment"]'),
  'feedback error': chatPart('[part~="feedback-error"]'),
  'feedback submit': chatPart('[part~="feedback-submit"]'),
  'feedback cancel': chatPart('[part~="feedback-cancel"]'),
  'failed note': chatPart('[part~="assistant"][part~="failed"] [part~="message-note"]'),
  'retry': chatPart('[part~="retry"]'),
  'error alert': chatPart('[part~="error"]'),
  'message editor': chatPart('[part~="edit-input"]'),
  'editor save': chatPart('[part~="edit-save"]'),
  'editor cancel': chatPart('[part~="edit-cancel"]'),
  'composer': chatPart('[part~="composer"]'),
  'attach': chatPart('[part~="attach"]'),
  'attachment chip': chatPart('[part~="attachments"] [part~="attachment"] .chip-name'),
  'attachment meta': chatPart('[part~="attachments"] .chip-meta'),
  'attachment remove': chatPart('[part~="attachment-remove"]'),
  'input (focused)': chatPart('[part~="input"]'),
  'reason (pressed)': chatPart('[part~="reasoning-toggle"][aria-pressed="true"]'),
  'send': chatPart('[part~="send"]'),
  'app top bar': appPart('[part~="topbar"]'),
  'app title': appPart('[part~="brand"]'),
  'menu button (narrow screens)': appPart('[part~="menu"]'),
  'settings button': appPart('[part~="settings"]'),
  'sidebar': historyPart('[part~="base"]'),
  'history new chat': historyPart('[part~="new-chat"]'),
  'search': historyPart('[part~="search"]'),
  'current conversation': historyPart('[part~="item"][part~="current"] [part~="select"]'),
  'other conversation': historyPart('[part~="item"]:not([part~="current"]) [part~="select"]'),
  'rename icon': historyPart('[part~="rename"]'),
  'rename input': historyPart('[part~="rename-input"]'),
  'rename save': historyPart('[part~="rename-save"]'),
  'rename cancel': historyPart('[part~="rename-cancel"]'),
};

const DELETE: Parts = {
  'delete question': historyPart('.confirm-text'),
  'delete confirm': historyPart('[part~="delete-confirm"]'),
  'delete cancel': historyPart('[part~="delete-cancel"]'),
};

const SEARCH: Parts = {
  'search hit': historyPart('[part~="select"] .label'),
  'search snippet': historyPart('[part~="snippet"]'),
};

const NO_HITS: Parts = {
  'history status': historyPart('[part~="status"]'),
};

const SETTINGS: Parts = {
  'settings dialog': appPart('[part~="settings-dialog"]'),
  'settings heading': appPart('[part~="settings-dialog"] h2'),
  'theme legend': appPart('[part~="settings-dialog"] legend'),
  'theme choice': appPart('[part~="settings-dialog"] fieldset label'),
  'default model': appPart('[part~="default-model"]'),
  'close settings': appPart('[part~="settings-close"]'),
};

/** Another page: built-in sign-in in the app (with its error) and in a launcher panel, the notice of an inline chat. */
const SIGN_IN: Parts = {
  'app sign-in pane': ['#app', '[part~="sign-in-pane"] h2'],
  'app sign-in button': ['#app', '[part~="sign-in-pane"] [part~="sign-in"]'],
  'app sign-in error': ['#app', '[part~="auth-error"]'],
  'sidebar sign-in': ['#app', '[part~="account"] [part~="sign-in"]'],
  'signed-out history': ['#app', 'bedrock-chat-history', '[part~="status"]'],
  'notice': ['#inline', '[part~="notice"]'],
  'launcher button': ['#launcher', '[part~="launcher"]'],
  'launcher panel': ['#launcher', '[part~="panel"]'],
  'panel sign-in text': ['#launcher', '[part~="sign-in-area"] .auth-text'],
  'panel sign-in button': ['#launcher', '[part~="sign-in"]'],
};

/** The page of the SIGN_IN phase: the app and a launcher with `authDomain` (built-in sign-in), an inline chat without. */
function signInPage(wsUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sign-in colours</title>
<link rel="stylesheet" href="/app.css">
<script type="module">
  import { ready } from '/bedrock-chat-app.js';
  await ready;
  const auth = { version: 1, webSocketUrl: ${JSON.stringify(wsUrl)}, restApiUrl: '/api/', authDomain: 'https://auth.example.com', userPoolClientId: 'client' };
  document.querySelector('#app').config = auth;
  document.querySelector('#launcher').config = auth;
  document.querySelector('#inline').config = { version: 1, webSocketUrl: ${JSON.stringify(wsUrl)}, restApiUrl: '/api/' };
  window.testReady = true;
</script></head>
<body><main>
  <h1 class="sr-only">Sign-in colours</h1>
  <div class="box"><bedrock-chat-app id="app"></bedrock-chat-app></div>
  <bedrock-chat id="inline"></bedrock-chat>
  <bedrock-chat id="launcher" mode="launcher"></bedrock-chat>
</main></body></html>`;
}

describeBrowser('light and dark, part by part, in Chromium', () => {
  const backend = new FakeBackend();
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Measurements by phase and scheme (system scheme, `data-theme="system"`). */
  const measured: Record<string, Record<Scheme, Record<string, Colours>>> = {};

  const chat = (part: string) => page.locator(`bedrock-chat [part~="${part}"]`);
  const history = (part: string) => page.locator(`bedrock-chat-history [part~="${part}"]`);

  beforeAll(async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: build it first with \`npx projen bundle:web\``);
    backend.scripts.set('show everything', {
      reasoning: ['Let me think ', 'about the colours.'],
      tools: [{ toolUseId: 't1', name: 'lookup', input: { query: 'colours' }, result: { status: 'success', content: { answer: 42 } } }],
      deltas: RICH.split(/(?<=\n)/),
      citations: [{ sourceId: 's1', title: 'A linked source', url: 'https://example.com/source' }, { sourceId: 's2', title: 'A source without a link' }],
      stopReason: 'max_tokens',
    });
    await backend.start();
    browser = await launchChromium(CHROMIUM);
    context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 1600 } });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await backend.stop();
  });

  /** Colours of each part: its own colour and the background it is drawn on (the nearest painted ancestor's). */
  async function measure(parts: Parts): Promise<Record<string, Colours>> {
    const result = await page.evaluate((all) => {
      const find = (path: string[]): Element | null => {
        let root: ParentNode = document;
        let el: Element | null = null;
        for (const selector of path) {
          el = root.querySelector(selector);
          if (!el) return null;
          root = el.shadowRoot ?? el;
        }
        return el;
      };
      const parentOf = (e: Element): Element | null => e.parentElement ?? ((e.getRootNode() as ShadowRoot).host ?? null);
      const transparent = (c: string) => c === 'transparent' || /^rgba\(.*,\s*0\)$/.test(c);
      const background = (el: Element): string => {
        for (let e: Element | null = el; e; e = parentOf(e)) {
          const style = getComputedStyle(e);
          if (style.display !== 'contents' && !transparent(style.backgroundColor)) return style.backgroundColor;
        }
        return 'canvas';
      };
      const out: Record<string, unknown> = {};
      for (const [name, path] of Object.entries(all)) {
        const el = find(path);
        if (!el) {
          out[name] = 'missing';
          continue;
        }
        const style = getComputedStyle(el);
        out[name] = {
          bg: background(el),
          fg: style.color,
          border: parseFloat(style.borderTopWidth) > 0 ? style.borderTopColor : '',
          outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 ? style.outlineColor : '',
          scheme: style.colorScheme,
        };
      }
      return out;
    }, parts);
    const missing = Object.entries(result).filter(([, v]) => v === 'missing').map(([k]) => k);
    expect(missing).toEqual([]);
    return result as Record<string, Colours>;
  }

  async function contrastViolations(): Promise<string[]> {
    if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
    return page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: unknown, options: unknown) => Promise<AxeResult> } }).axe;
      const result = await axe.run(document, { runOnly: { type: 'rule', values: ['color-contrast'] } });
      return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${JSON.stringify(n.target)}`));
    });
  }

  /** Measures the phase in both schemes, checks axe in both, and that every part changed. */
  async function bothSchemes(phase: string, parts: Parts): Promise<void> {
    const schemes = {} as Record<Scheme, Record<string, Colours>>;
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      schemes[scheme] = await measure(parts);
      expect({ phase, scheme, violations: await contrastViolations() }).toEqual({ phase, scheme, violations: [] });
    }
    await page.emulateMedia({ colorScheme: 'light' });
    measured[phase] = schemes;
    // (a) Every part is drawn in other colours in the dark scheme: its background and its text.
    const same = Object.keys(parts).flatMap((name) => {
      const [l, d] = [schemes.light[name], schemes.dark[name]];
      return [...(l.bg === d.bg ? [`${name}: background ${l.bg}`] : []), ...(l.fg === d.fg ? [`${name}: colour ${l.fg}`] : [])];
    });
    expect({ phase, same }).toEqual({ phase, same: [] });
  }

  async function ask(text: string): Promise<void> {
    const count = await chat('message').count();
    await chat('input').fill(text);
    await chat('input').press('Enter');
    await page.waitForFunction((n) => {
      const root = document.querySelector('bedrock-chat-app')!.shadowRoot!.querySelector('bedrock-chat')!.shadowRoot!;
      const messages = root.querySelectorAll('[part~="message"]');
      return messages.length >= n + 2 && !root.querySelector('[data-status="streaming"], [data-status="sending"]') && !root.querySelector('[part~="stop"]');
    }, count, { timeout: 20_000 });
  }

  async function openSettings(): Promise<void> {
    await page.locator(`${APP} [part~="settings"]`).click();
    await page.locator(`${APP} [part~="settings-dialog"]`).waitFor();
  }

  async function setTheme(theme: 'system' | 'light' | 'dark'): Promise<void> {
    await page.locator(`${APP} [part~="theme"][value="${theme}"]`).check();
    await expect(page.locator(APP).getAttribute('data-theme')).resolves.toBe(theme);
  }

  test('every part of the app has other colours in the dark scheme, and no contrast violation in either', async () => {
    backend.seed('An older chat about colours', 'Which colours?', 'Blue and orange.');
    backend.seed('Another chat', 'Which shapes?', 'Round ones.');
    await page.goto(`${backend.origin}/app-test.html`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await chat('input').and(page.locator(':enabled')).waitFor();

    await ask('hello');
    await chat('feedback-up').last().click();
    await page.locator('bedrock-chat [part~="feedback-up"][aria-pressed="true"]').waitFor();
    await ask('show everything');
    await chat('regenerate').last().click();
    await chat('branch-nav').last().filter({ hasText: '2/2' }).waitFor();
    await page.waitForFunction(() => !document.querySelector('bedrock-chat-app')!.shadowRoot!.querySelector('bedrock-chat')!.shadowRoot!
      .querySelector('[data-status="streaming"]'));
    await chat('branch-prev').last().click();
    await chat('reasoning').last().locator('summary').click();
    await ask('please fail');
    await chat('retry').waitFor();
    // Thumbs down on the rich answer, sent without a category: the form shows its error.
    const rich = page.locator('bedrock-chat [part~="assistant"]').filter({ has: page.locator('[part~="tool-use"]') }).last();
    await rich.locator('[part~="feedback-down"]').click();
    await rich.locator('[part~="feedback-submit"]').click();
    await chat('feedback-error').waitFor();
    await chat('edit').last().click();
    await chat('edit-input').waitFor();
    await page.locator('bedrock-chat input[type=file]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('notes') });
    await page.locator('bedrock-chat [part~="attachment"][data-state="ready"]').waitFor();
    await chat('reasoning-toggle').click();
    await history('item').nth(1).locator('[part~="rename"]').click();
    await history('rename-input').waitFor();
    await chat('input').focus();
    await bothSchemes('conversation', CONVERSATION);
    // The focus ring follows the scheme too.
    const ring = measured.conversation;
    expect(ring.light['input (focused)'].outline).not.toBe('');
    expect(ring.light['input (focused)'].outline).not.toBe(ring.dark['input (focused)'].outline);

    await history('rename-cancel').click();
    await history('item').nth(1).locator('[part~="delete"]').click();
    await history('delete-confirm').waitFor();
    await bothSchemes('delete', DELETE);
    await history('delete-cancel').click();

    await history('search').fill('colours');
    await history('snippet').first().waitFor();
    await bothSchemes('search', SEARCH);
    await history('search').fill('nothing matches this');
    await history('status').filter({ hasText: /\S/ }).waitFor();
    await bothSchemes('no hits', NO_HITS);
    await history('search').fill('');

    await openSettings();
    await bothSchemes('settings', SETTINGS);
    await page.locator(`${APP} [part~="settings-close"]`).click();
  });

  test('data-theme wins over the system scheme both ways: exactly the light colours under a dark system, and the reverse', async () => {
    const phases: [string, Parts][] = [['conversation', CONVERSATION], ['settings', SETTINGS]];
    // The conversation phase without the settings dialog; the dialog measured while it is open.
    const overridden = async (system: Scheme, theme: Scheme) => {
      await page.emulateMedia({ colorScheme: system });
      await openSettings();
      await setTheme(theme);
      const settings = await measure(SETTINGS);
      await page.locator(`${APP} [part~="settings-close"]`).click();
      // The conversation phase as it was measured: the rename field open, the focus in the message input.
      if (!(await history('rename-input').count())) await history('item').nth(1).locator('[part~="rename"]').click();
      await chat('input').focus();
      const conversation = await measure(CONVERSATION);
      const violations = await contrastViolations();
      return { conversation, settings, violations };
    };
    for (const [system, theme] of [['dark', 'light'], ['light', 'dark']] as const) {
      const got = await overridden(system, theme);
      expect({ system, theme, violations: got.violations }).toEqual({ system, theme, violations: [] });
      for (const [phase] of phases) {
        const colours = phase === 'conversation' ? got.conversation : got.settings;
        const expected = measured[phase][theme];
        const differences = Object.keys(colours).flatMap((name) => (['bg', 'fg', 'border', 'outline'] as const)
          .filter((k) => colours[name][k] !== expected[name][k])
          .map((k) => `${name} ${k}: ${colours[name][k]}, expected ${expected[name][k]}`));
        expect({ phase, system, theme, differences }).toEqual({ phase, system, theme, differences: [] });
        // Native controls (radios, selects, scroll bars) follow the theme as well.
        const schemes = [...new Set(Object.values(colours).map((c) => c.scheme))];
        expect({ phase, system, theme, schemes }).toEqual({ phase, system, theme, schemes: [theme] });
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await openSettings();
    await setTheme('system');
    await page.locator(`${APP} [part~="settings-close"]`).click();
  });

  test('built-in sign-in (app and launcher panel), the sign-in notice and the launcher: other colours in the dark scheme, no contrast violation', async () => {
    const wsUrl = `${backend.origin.replace('http', 'ws')}/ws`;
    await page.route(`${backend.origin}/sign-in-colours.html*`, (route) => route.fulfill({ contentType: 'text/html', body: signInPage(wsUrl) }));
    // Back from the login page with a state other than the one issued: the app shows its sign-in error.
    await page.goto(`${backend.origin}/sign-in-colours.html`);
    await page.evaluate(() => localStorage.removeItem('bedrock-chat-app:theme'));
    await page.evaluate(() => sessionStorage.setItem('bedrock-chat:auth:client:pending',
      JSON.stringify({ state: 'issued', verifier: 'v'.repeat(48), redirectUri: location.href, createdAt: Date.now() })));
    await page.goto(`${backend.origin}/sign-in-colours.html?code=abc&state=forged`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await page.locator('#app [part~="auth-error"]').waitFor();
    await page.locator('#inline [part~="notice"]').waitFor();
    await page.locator('#launcher [part~="launcher"]').click();
    await page.locator('#launcher [part~="sign-in"]').waitFor();
    await bothSchemes('sign-in', SIGN_IN);
  });
});
