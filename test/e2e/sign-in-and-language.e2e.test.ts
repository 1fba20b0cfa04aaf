/**
 * The web app on the playground with its own sign-in and languages, in Chromium under the template's strict CSP:
 * - built-in sign-in (authorization code + PKCE) through the local stand-in for the Cognito managed login, configured
 *   from examples/full-system's synthesized template (its managed login domain; its app client registers the
 *   distribution's URL as callback and sign-out URL): the sign-in pane, the login page on the user pool domain's stand-in, back
 *   signed in (the user at the foot of the sidebar), a chat, a reload that keeps the session, Sign out back to the
 *   sign-in pane; a page at a URL the client does not register is refused, as by Cognito;
 * - languages: the page's language by default, the settings' language switch (kept after a reload), and only
 *   the chosen locale's translations downloaded.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { axeViolations, describeChromium, playgroundSession, watchPage } from './harness';
import { offlineReply } from '../../src/local/offline-model';
import { Playground } from '../../src/local/playground';
import { translate } from '../web-components/xliff';

describeChromium('the playground app: built-in sign-in and languages', () => {
  let pg: Playground;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let locales: string[];

  // examples/full-system as synthesized: its user pool domain and the distribution's URL as the callback.
  const session = playgroundSession({ built: 'bedrock-chat.js', playground: { quiet: true, wordDelayMs: 5 } });
  beforeAll(() => {
    pg = session.pg;
  });

  async function newPage(locale: string): Promise<Page> {
    context = await session.browser.newContext({ locale });
    page = await context.newPage();
    problems = [];
    locales = [];
    watchPage(page, (problem) => problems.push(problem), { consoleErrors: true, responses: true });
    page.on('request', (req) => {
      const m = /bedrock-chat-locale-(.+)-[\w-]{8}\.js$/.exec(req.url());
      if (m) locales.push(m[1]);
    });
    return page;
  }

  afterEach(async () => {
    await context?.close();
  });

  /** axe violations on the page, in the given colour scheme (page.evaluate goes around the page's CSP). */
  async function axe(colorScheme: 'light' | 'dark'): Promise<string[]> {
    await page.emulateMedia({ colorScheme });
    return axeViolations(page);
  }

  test('sign in through the managed login, chat, reload, sign out', async () => {
    await newPage('en-US');
    await page.goto(pg.url);
    const pane = page.locator('bedrock-chat-app [part~="sign-in-pane"]');
    await pane.waitFor();
    expect(await page.locator('bedrock-chat-app bedrock-chat').count()).toBe(0);
    // The sidebar offers it too.
    await page.locator('bedrock-chat-app [part~="account"] [part~="sign-in"]').waitFor();
    expect(await axe('light')).toEqual([]);
    expect(await axe('dark')).toEqual([]);

    await pane.locator('[part~="sign-in"]').click();
    await page.waitForURL(/\/oauth2\/authorize\?/);
    const authorize = new URL(page.url());
    // The stand-in of <prefix>.auth.<region>.amazoncognito.com, the client and callback URL of the template.
    expect(authorize.origin).toBe(pg.stack.userPools[0].loginOrigin);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('client_id')).toBe(pg.userPoolClientId);
    expect(authorize.searchParams.get('redirect_uri')).toBe(pg.url);
    expect(pg.stack.userPools[0].clients[0].callbackUrls).toEqual([pg.url]);
    await page.getByRole('button', { name: /^bob /i }).click();

    await page.waitForURL((url) => url.pathname === '/' && !url.search);
    const user = page.locator('bedrock-chat-app [part~="user"]');
    await user.waitFor();
    expect(await user.textContent()).toBe('bob@example.com');

    const question = 'Signed in on my own?';
    const input = page.locator('bedrock-chat-app bedrock-chat [part~="input"]');
    await input.fill(question);
    await input.press('Enter');
    const answer = page.locator('bedrock-chat-app bedrock-chat [part~="message"][part~="assistant"][data-status="done"] [part~="message-text"]');
    await answer.waitFor({ timeout: 20_000 });
    expect(await answer.textContent()).toBe(offlineReply(question));
    // The history lists it with the app's token.
    await page.locator('bedrock-chat-app bedrock-chat-history [part~="select"]').first().waitFor();
    expect(await axe('dark')).toEqual([]);
    expect(await axe('light')).toEqual([]);

    await page.reload();
    await user.waitFor();
    await page.locator('bedrock-chat-app bedrock-chat [part~="message"][part~="user"]').first().waitFor();
    expect(await page.locator('bedrock-chat-app bedrock-chat [part~="message"][part~="user"]').allTextContents())
      .toEqual([expect.stringContaining(question)]);

    await page.locator('bedrock-chat-app [part~="sign-out"]').click();
    await page.waitForURL((url) => url.pathname === '/');
    await pane.waitFor();
    expect(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('bedrock-chat:auth:') && sessionStorage.getItem(k))))
      .toEqual([]);
    expect(problems).toEqual([]);
    expect(locales).toEqual([]);
  });

  test('the managed login refuses a redirect_uri the template does not register (the deployed app at /index.html)', async () => {
    await newPage('en-US');
    // The deployed index.html signs in with its own URL as redirect_uri: `<site>/index.html` is not a callback URL.
    await page.goto(`${pg.url}index.html`);
    await page.locator('bedrock-chat-app [part~="sign-in-pane"] [part~="sign-in"]').click();
    await page.waitForURL(/\/oauth2\/authorize\?/);
    expect(new URL(page.url()).searchParams.get('redirect_uri')).toBe(`${pg.url}index.html`);
    expect(await page.locator('h1').textContent()).toBe('Sign-in request refused');
    expect(await page.locator('main').textContent()).toContain('redirect_mismatch');
    expect(await page.getByRole('button', { name: /^bob /i }).count()).toBe(0);
  });

  test('the page\'s language by default (not the browser\'s); the settings switch it, for the chat and the history, and keep it', async () => {
    await newPage('de-DE');
    await page.goto(pg.url);
    await page.getByRole('button', { name: /alice/i }).click();
    const send = page.locator('bedrock-chat-app bedrock-chat [part~="send"]');
    await send.waitFor();
    // The playground page says lang="en": its app speaks English although the browser prefers German.
    await expect(send.textContent()).resolves.toBe('Send');

    await page.locator('bedrock-chat-app [part~="settings"]').click();
    await page.locator('bedrock-chat-app [part~="language"]').selectOption('de');
    await page.waitForFunction((label) => document.querySelector('bedrock-chat-app')?.shadowRoot?.querySelector('bedrock-chat')
      ?.shadowRoot?.querySelector('[part~="send"]')?.textContent === label, translate('de', 'Send'));
    expect(await page.locator('bedrock-chat-app bedrock-chat [part~="input"]').getAttribute('placeholder')).toBe(translate('de', 'Write a message…'));
    expect(await page.locator('bedrock-chat-app bedrock-chat-history [part~="new-chat"]').textContent()).toBe(translate('de', 'New chat'));
    expect(await page.locator('bedrock-chat-app [part~="settings"]').textContent()).toBe(translate('de', 'Settings'));
    expect(await page.locator('bedrock-chat-app [part~="settings-close"]').textContent()).toBe(translate('de', 'Close'));
    await page.locator('bedrock-chat-app [part~="settings-close"]').click();

    await page.locator('bedrock-chat-app [part~="settings"]').click();
    await page.locator('bedrock-chat-app [part~="language"]').selectOption('ja');
    await page.waitForFunction(() => document.querySelector('bedrock-chat-app')?.getAttribute('lang') === 'ja');
    await page.locator('bedrock-chat-app [part~="settings-close"]').click();
    await page.waitForFunction((label) => document.querySelector('bedrock-chat-app')?.shadowRoot?.querySelector('bedrock-chat')
      ?.shadowRoot?.querySelector('[part~="send"]')?.textContent === label, translate('ja', 'Send'));
    expect(await page.locator('bedrock-chat-app bedrock-chat-history [part~="new-chat"]').textContent()).toBe(translate('ja', 'New chat'));

    // A message and its answer in Japanese: numbers and notes follow the language.
    const input = page.locator('bedrock-chat-app bedrock-chat [part~="input"]');
    await input.fill('こんにちは');
    await input.press('Enter');
    await page.locator('bedrock-chat-app bedrock-chat [part~="message"][part~="assistant"][data-status="done"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('bedrock-chat-app bedrock-chat [part~="copy"]').textContent()).toBe(translate('ja', 'Copy'));

    await page.reload();
    await send.waitFor();
    await page.waitForFunction((label) => document.querySelector('bedrock-chat-app')?.shadowRoot?.querySelector('bedrock-chat')
      ?.shadowRoot?.querySelector('[part~="send"]')?.textContent === label, translate('ja', 'Send'));

    // Back to the page's language.
    await page.locator('bedrock-chat-app [part~="settings"]').click();
    await page.locator('bedrock-chat-app [part~="language"]').selectOption('');
    await page.waitForFunction(() => document.querySelector('bedrock-chat-app')?.shadowRoot?.querySelector('bedrock-chat')
      ?.shadowRoot?.querySelector('[part~="send"]')?.textContent === 'Send');
    expect(await page.evaluate(() => document.querySelector('bedrock-chat-app')?.hasAttribute('lang'))).toBe(false);
    expect(problems).toEqual([]);
    // Only the translations in use were downloaded.
    expect([...new Set(locales)].sort()).toEqual(['de', 'ja']);
  });
});
