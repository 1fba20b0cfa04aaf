/// <reference lib="dom" />
/**
 * Languages of `<bedrock-chat>` in Chromium (fake backend): the `lang` attribute, the page's `lang` (also when it
 * changes), the browser's languages when the page has none, the launcher's own labels before anything else loads,
 * numbers and prices in the locale's format, and only the locale in use downloaded. Needs the built bundle.
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ASSISTANT_TEXT, AXE, CHROMIUM, describeBrowser, FakeBackend, TEST_SCRIPT, TOKEN } from './fake-backend';
import type { AxeResult } from './fake-backend';
import { translate } from './xliff';
import { launchChromium } from '../../src/local/browser';
import { LAUNCHER_TEXT } from '../../src/web-components/launcher/launcher-text';

/** A test page: `htmlLang` on <html> (none when undefined), `attrs` on <bedrock-chat>. */
function pageWith(htmlLang: string | undefined, attrs: string): string {
  return `<!doctype html>
<html${htmlLang === undefined ? '' : ` lang="${htmlLang}"`}><head><meta charset="utf-8"><title>i18n test</title>
<script type="module">${TEST_SCRIPT}</script></head>
<body><main><h1>Test page</h1><bedrock-chat config-url="/config.json" ${attrs}></bedrock-chat></main></body></html>`;
}

const part = (name: string) => `bedrock-chat [part~="${name}"]`;

describeBrowser('<bedrock-chat> languages in Chromium', () => {
  const backend = new FakeBackend();
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let locales: string[];
  let scripts: string[];

  beforeAll(async () => {
    await backend.start();
    backend.pages.set('/de.html', pageWith('en', 'lang="de"'));
    backend.pages.set('/ja-page.html', pageWith('ja', ''));
    backend.pages.set('/no-lang.html', pageWith(undefined, ''));
    backend.pages.set('/launcher-ko.html', `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>launcher i18n test</title>
<script type="module">
  import { ready } from '/bedrock-chat.js';
  document.querySelector('bedrock-chat').tokenProvider = async () => ${JSON.stringify(TOKEN)};
  window.testReady = await ready;
</script></head>
<body><main><h1>Test page</h1><bedrock-chat config-url="/config.json" mode="launcher" lang="ko"></bedrock-chat></main></body></html>`);
    browser = await launchChromium(CHROMIUM);
  });

  afterAll(async () => {
    await browser?.close();
    await backend.stop();
  });

  afterEach(async () => {
    await context?.close();
  });

  async function open(path: string, browserLocale = 'en-US'): Promise<void> {
    context = await browser.newContext({ locale: browserLocale });
    page = await context.newPage();
    locales = [];
    scripts = [];
    page.on('request', (r) => {
      const m = /bedrock-chat-locale-(.+)-[\w-]{8}\.js$/.exec(r.url());
      if (m) locales.push(m[1]);
      if (r.url().endsWith('.js')) scripts.push(new URL(r.url()).pathname);
    });
    await page.goto(`${backend.origin}${path}`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
  }

  async function textIs(selector: string, expected: string): Promise<void> {
    await page.locator(selector).first().waitFor();
    await page.waitForFunction(([sel, want]) => {
      const [host, inner] = sel.split(' ', 2);
      return document.querySelector(host)?.shadowRoot?.querySelector(inner)?.textContent === want;
    }, [selector, expected] as const).catch(async () => {
      throw new Error(`${selector}: "${await page.locator(selector).first().textContent()}" instead of "${expected}"`);
    });
  }

  test('lang="de" on the element: German texts, German numbers and prices, only the German strings downloaded', async () => {
    await open('/de.html');
    await textIs(part('send'), translate('de', 'Send'));
    expect(await page.locator(part('input')).getAttribute('placeholder')).toBe(translate('de', 'Write a message…'));
    expect(await page.locator(part('input')).getAttribute('aria-label')).toBe(translate('de', 'Message'));
    expect(await page.locator(part('new-chat')).textContent()).toBe(translate('de', 'New chat'));

    backend.scripts.set('viel', { deltas: ['Eine Antwort.'], usage: { inputTokens: 1200, outputTokens: 34 }, price: 1234.5 });
    await page.locator(part('input')).fill('viel');
    await page.locator(part('input')).press('Enter');
    await page.locator(`${ASSISTANT_TEXT}`).waitFor();
    const usage = page.locator(part('usage'));
    await usage.waitFor();
    const tokens = translate('de', '{0} tokens').replace('{0}', (1234).toLocaleString('de'));
    const price = new Intl.NumberFormat('de', { style: 'currency', currency: 'USD', minimumFractionDigits: 2 }).format(1234.5);
    expect(await usage.textContent()).toBe(`${tokens} · ${price}`);
    expect(price).toContain('1.234,50'); // German separators, not English ones
    expect(await page.locator(part('copy')).textContent()).toBe(translate('de', 'Copy'));
    expect(await page.locator(part('regenerate')).textContent()).toBe(translate('de', 'Regenerate'));
    expect(locales).toEqual(['de']);
  });

  test('the page\'s lang, followed when it changes; an unsupported language falls back to the browser\'s', async () => {
    await open('/ja-page.html', 'fr-FR');
    await textIs(part('send'), translate('ja', 'Send'));
    await page.evaluate(() => { document.documentElement.lang = 'zh-TW'; });
    await textIs(part('send'), translate('zh-Hant', 'Send'));
    await page.evaluate(() => { document.documentElement.lang = 'ar'; });
    await textIs(part('send'), translate('fr', 'Send'));
    await page.evaluate(() => { document.documentElement.lang = 'en-GB'; });
    await textIs(part('send'), 'Send');
    expect(locales).toEqual(['ja', 'zh-Hant', 'fr']);
  });

  test('a page without lang: the browser\'s language', async () => {
    await open('/no-lang.html', 'pt-BR');
    await textIs(part('send'), translate('pt-BR', 'Send'));
    expect(await page.locator(part('reasoning-toggle')).textContent()).toBe(translate('pt-BR', 'Reason'));
  });

  test('the launcher is labelled in its language before the chat loads; the panel opens in it', async () => {
    await open('/launcher-ko.html');
    const button = page.locator('bedrock-chat [part~="launcher"]');
    expect(await button.getAttribute('aria-label')).toBe(LAUNCHER_TEXT.ko.open);
    expect(scripts.some((s) => s.includes('bedrock-chat-full'))).toBe(false);
    expect(locales).toEqual([]);
    await button.click();
    expect(await page.locator('bedrock-chat [part~="panel"]').getAttribute('aria-label')).toBe(LAUNCHER_TEXT.ko.chat);
    await textIs(part('send'), translate('ko', 'Send'));
    await page.evaluate(() => document.querySelector('bedrock-chat')!.setAttribute('lang', 'th'));
    expect(await button.getAttribute('aria-label')).toBe(LAUNCHER_TEXT.th.open);
    await textIs(part('send'), translate('th', 'Send'));
    expect(locales).toEqual(['ko', 'th']);
  });

  test('the deployed app page follows the browser\'s language and says so in <html lang>; axe finds nothing', async () => {
    context = await browser.newContext({ locale: 'ja-JP' });
    page = await context.newPage();
    await page.goto(`${backend.origin}/`);
    await page.waitForFunction(() => document.documentElement.lang === 'ja');
    await textIs('bedrock-chat-app [part~="settings"]', translate('ja', 'Settings'));
    await page.addScriptTag({ content: readFileSync(AXE, 'utf8') });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: unknown) => Promise<AxeResult> } }).axe;
      return (await axe.run(document)).violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
    });
    expect(violations).toEqual([]);
  });
});
