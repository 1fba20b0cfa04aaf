/// <reference lib="dom" />
/**
 * Feedback on answers, <bedrock-chat-history> and <bedrock-chat-app> in Chromium against the fake backend (REST list,
 * search, rename, delete, feedback). Needs the built bundle: `npx projen bundle:web`.
 */
import type { Page } from 'playwright-core';
import { ASSISTANT_TEXT, axeViolations, chromiumSession, describeBrowser, FakeBackend } from './fake-backend';

describeBrowser('feedback, history and the web app in Chromium', () => {
  const backend = new FakeBackend();
  const chromium = chromiumSession(backend);
  let page: Page;
  beforeEach(() => {
    backend.conversations.clear();
    backend.writes.length = 0;
    backend.feedbackStatus = 200;
    page = chromium.page;
  });

  const chat = (part: string) => page.locator(`bedrock-chat [part~="${part}"]`);
  const history = (part: string) => page.locator(`bedrock-chat-history [part~="${part}"]`);
  const titles = () => page.locator('bedrock-chat-history [part~="select"] .label').allTextContents();
  const events = (type: string) => page.evaluate((t) => (window as unknown as { events: { type: string; detail: Record<string, unknown> }[] })
    .events.filter((e) => e.type === t).map((e) => e.detail), type);

  async function openApp(): Promise<void> {
    await page.goto(`${backend.origin}/app-test.html`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await chat('input').and(page.locator(':enabled')).waitFor();
  }

  async function ask(text: string): Promise<void> {
    const done = (await events('bedrock-chat-message')).length;
    await chat('input').fill(text);
    await chat('input').press('Enter');
    await page.waitForFunction((n) => (window as unknown as { events: { type: string }[] }).events
      .filter((e) => e.type === 'bedrock-chat-message').length > n, done);
  }

  test('feedback: thumbs up and down send PUT bodies, show the pressed state, validate the form, and come back with the conversation', async () => {
    await openApp();
    await ask('rate me');
    const up = chat('feedback-up').last();
    const down = chat('feedback-down').last();
    await expect(up.getAttribute('aria-pressed')).resolves.toBe('false');
    await up.click();
    await page.locator('bedrock-chat [part~="feedback-up"][aria-pressed="true"]').waitFor();
    const conversationId = [...backend.conversations.keys()][0];
    const answerId = await page.locator('bedrock-chat [part~="message"][part~="assistant"]').last().getAttribute('data-message-id');
    expect(backend.writes).toEqual([{ method: 'PUT', path: `/api/conversations/${conversationId}/messages/${answerId}/feedback`, body: { thumbsUp: true } }]);

    // Thumbs down opens the form; a category is required.
    await down.click();
    // The form's chunk loads on the first thumbs down (feedback.ts), then the form opens.
    await page.locator('bedrock-chat [part~="feedback-down"][aria-expanded="true"]').waitFor();
    await chat('feedback-submit').click();
    await expect(chat('feedback-error').textContent()).resolves.toBe('Choose what was wrong with the answer.');
    expect(backend.writes).toHaveLength(1);
    await expect(chat('feedback-comment').getAttribute('maxlength')).resolves.toBe('1000');
    // A failure keeps the form open with a message.
    backend.feedbackStatus = 500;
    await page.getByRole('radio', { name: 'Not following instructions' }).check();
    await chat('feedback-comment').fill('  It ignored my format.  ');
    await chat('feedback-submit').click();
    await chat('feedback-error').filter({ hasText: 'could not be sent' }).waitFor();
    await expect(up.getAttribute('aria-pressed')).resolves.toBe('true');
    backend.feedbackStatus = 200;
    await chat('feedback-submit').click();
    await chat('feedback-form').waitFor({ state: 'detached' });
    expect(backend.writes.at(-1)!.body).toEqual({ thumbsUp: false, category: 'notFollowingInstructions', comment: 'It ignored my format.' });
    await expect(down.getAttribute('aria-pressed')).resolves.toBe('true');
    await expect(up.getAttribute('aria-pressed')).resolves.toBe('false');
    // The focus is back on the thumbs-down button.
    await expect(down.evaluate((el) => (el.getRootNode() as ShadowRoot).activeElement === el)).resolves.toBe(true);

    // Stored feedback is shown when the conversation loads again.
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await page.locator('bedrock-chat [part~="feedback-down"][aria-pressed="true"]').waitFor();
    await expect(chat('feedback-up').last().getAttribute('aria-pressed')).resolves.toBe('false');
  });

  test('history: lists by recency with Load more, searches with snippets, renames, deletes after confirmation, fires select', async () => {
    const ids = ['Alpha trip', 'Beta budget', 'Gamma notes'].map((t, i) => backend.seed(t, `question ${i}`, i === 0 ? 'Pack the zebra blanket.' : `answer ${i}`));
    await openApp();
    await page.evaluate(() => {
      const h = document.querySelector('bedrock-chat-app')!.shadowRoot!.querySelector('bedrock-chat-history') as unknown as { pageSize: number; refresh(): Promise<void> };
      h.pageSize = 2;
      return h.refresh();
    });
    await expect(titles()).resolves.toEqual(['Gamma notes', 'Beta budget']);
    expect(backend.restCalls.some((c) => c.url === '/api/conversations?limit=2')).toBe(true);
    await history('load-more').click();
    await page.waitForFunction(() => !document.querySelector('bedrock-chat-app')!.shadowRoot!.querySelector('bedrock-chat-history')!.shadowRoot!.querySelector('[part~="load-more"]'));
    await expect(titles()).resolves.toEqual(['Gamma notes', 'Beta budget', 'Alpha trip']);

    // Search (debounced: one request for the typed word) finds a word of an answer and shows the snippet as text.
    await history('search').pressSequentially('zebra', { delay: 30 });
    await history('snippet').waitFor();
    await expect(history('snippet').textContent()).resolves.toBe('Pack the zebra blanket.');
    expect(backend.restCalls.filter((c) => c.url.startsWith('/api/conversations/search')).map((c) => c.url)).toEqual(['/api/conversations/search?q=zebra']);
    await history('select').click();
    expect(await events('bedrock-chat-select')).toEqual([{ conversationId: ids[0] }]);
    await chat('message').filter({ hasText: 'question 0' }).waitFor();
    await expect(history('select').getAttribute('aria-current')).resolves.toBe('page');
    await history('search').fill('');
    await page.waitForFunction(() => document.querySelector('bedrock-chat-app')!.shadowRoot!.querySelector('bedrock-chat-history')!.shadowRoot!.querySelectorAll('[part~="select"]').length === 3);

    // Rename inline: Enter saves with PATCH; Escape would cancel.
    await page.getByRole('button', { name: 'Rename “Beta budget”' }).click();
    await history('rename-input').fill('Budget 2025');
    await history('rename-input').press('Enter');
    await page.getByRole('button', { name: 'Rename “Budget 2025”' }).waitFor();
    expect(backend.writes).toEqual([{ method: 'PATCH', path: `/api/conversations/${ids[1]}`, body: { title: 'Budget 2025' } }]);
    expect(await events('bedrock-chat-rename')).toEqual([{ conversationId: ids[1], title: 'Budget 2025' }]);

    // Delete asks first: Cancel keeps it, Delete removes it.
    await page.getByRole('button', { name: 'Delete “Gamma notes”' }).click();
    await history('delete-cancel').click();
    expect(backend.writes).toHaveLength(1);
    await page.getByRole('button', { name: 'Delete “Gamma notes”' }).click();
    await history('delete-confirm').click();
    await page.getByRole('button', { name: 'Delete “Gamma notes”' }).waitFor({ state: 'detached' });
    expect(backend.writes[1]).toEqual({ method: 'DELETE', path: `/api/conversations/${ids[2]}` });
    await expect(titles()).resolves.toEqual(['Budget 2025', 'Alpha trip']);
    expect(await axeViolations(page)).toEqual([]);
  });

  test('app: selecting opens a conversation; a new one appears with its title; deleting the open one starts a new chat', async () => {
    const first = backend.seed('Stored chat', 'old question', 'old answer');
    await openApp();
    await history('select').click();
    await chat('message').filter({ hasText: 'old answer' }).waitFor();
    await expect(chat('title').textContent()).resolves.toBe('Stored chat');
    expect((await events('bedrock-chat-conversation')).at(-1)).toEqual({ conversationId: first, title: 'Stored chat', reason: 'opened' });

    await history('new-chat').click();
    // the new chat renders on the next update: wait for the old messages to leave, then check none is left
    await chat('message').first().waitFor({ state: 'detached' });
    await expect(chat('message').count()).resolves.toBe(0);
    await ask('tell me about otters');
    await page.getByRole('button', { name: 'About: tell me about otters', exact: true }).waitFor();
    await expect(titles()).resolves.toEqual(['About: tell me about otters', 'Stored chat']);
    const created = (await events('bedrock-chat-conversation')).filter((e) => e.reason === 'started' || e.reason === 'titled');
    expect(created.map((e) => e.reason)).toEqual(['started', 'titled']);
    await expect(page.getByRole('button', { name: 'About: tell me about otters', exact: true }).getAttribute('aria-current')).resolves.toBe('page');

    // Switching back and forth through the sidebar.
    await page.getByRole('button', { name: 'Stored chat', exact: true }).click();
    await chat('message').filter({ hasText: 'old answer' }).waitFor();
    await page.getByRole('button', { name: 'About: tell me about otters', exact: true }).click();
    await chat('message').filter({ hasText: 'tell me about otters' }).first().waitFor();
    await expect(page.locator(`bedrock-chat ${ASSISTANT_TEXT}`).count()).resolves.toBe(1);

    await page.getByRole('button', { name: 'Delete “About: tell me about otters”' }).click();
    await history('delete-confirm').click();
    await page.waitForFunction(() => !document.querySelector('bedrock-chat-app')!.shadowRoot!.querySelector('bedrock-chat')!.shadowRoot!.querySelector('[part~="message"]'));
    await expect(titles()).resolves.toEqual(['Stored chat']);
  });

  test('app: the theme setting applies data-theme and the colours, is kept in localStorage; the default model is passed on', async () => {
    await openApp();
    const app = page.locator('bedrock-chat-app');
    await expect(app.getAttribute('data-theme')).resolves.toBe('system');
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('dialog', { name: 'Settings' }).waitFor();
    await page.getByRole('radio', { name: 'Dark' }).check();
    await expect(app.getAttribute('data-theme')).resolves.toBe('dark');
    const bg = () => page.locator('bedrock-chat [part="base"]').evaluate((el) => getComputedStyle(el.getRootNode() instanceof ShadowRoot ? (el.getRootNode() as ShadowRoot).host : el).backgroundColor);
    await expect(bg()).resolves.toBe('rgb(13, 17, 23)');
    await page.locator('bedrock-chat-app [part="default-model"]').selectOption('fake.model-v2');
    await expect(page.locator('bedrock-chat').getAttribute('model')).resolves.toBe('fake.model-v2');
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Close' }).click();
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await expect(app.getAttribute('data-theme')).resolves.toBe('dark');
    await expect(page.evaluate(() => [localStorage.getItem('bedrock-chat-app:theme'), localStorage.getItem('bedrock-chat-app:model')])).resolves.toEqual(['dark', 'fake.model-v2']);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('radio', { name: 'Light' }).check();
    await expect(bg()).resolves.toBe('rgb(255, 255, 255)');
  });

  test('app: the math attribute reaches the chat, which renders a formula as MathML', async () => {
    await openApp();
    const inner = page.locator('bedrock-chat-app bedrock-chat');
    await inner.waitFor();
    expect(await inner.getAttribute('math')).toBeNull();
    await page.evaluate(() => document.querySelector('bedrock-chat-app')!.setAttribute('math', ''));
    await page.waitForFunction(() => document.querySelector('bedrock-chat-app')?.shadowRoot?.querySelector('bedrock-chat')?.hasAttribute('math'));
    backend.answers.set('formula please', ['Euler: $e^{i\\pi} + 1 = 0$']);
    const input = page.locator('bedrock-chat [part="input"]');
    await input.fill('formula please');
    await input.press('Enter');
    await page.locator('bedrock-chat [part~="assistant"] math msup').first().waitFor();
  });

  test('app: on a phone-sized viewport the sidebar is behind the menu button', async () => {
    backend.seed('Phone chat', 'small question', 'small answer');
    await page.setViewportSize({ width: 390, height: 800 });
    await openApp();
    const menu = page.getByRole('button', { name: 'Conversations' });
    await expect(menu.isVisible()).resolves.toBe(true);
    await expect(history('base').isVisible()).resolves.toBe(false);
    await menu.click();
    await expect(menu.getAttribute('aria-expanded')).resolves.toBe('true');
    await expect(history('base').isVisible()).resolves.toBe(true);
    await page.keyboard.press('Escape');
    await expect(menu.getAttribute('aria-expanded')).resolves.toBe('false');
    await menu.click();
    await history('select').click();
    await chat('message').filter({ hasText: 'small answer' }).waitFor();
    await expect(history('base').isVisible()).resolves.toBe(false);
    expect(await axeViolations(page)).toEqual([]);
    // Wide again: the sidebar is shown and the menu button is not.
    await page.setViewportSize({ width: 1200, height: 800 });
    await expect(history('base').isVisible()).resolves.toBe(true);
    await expect(menu.isVisible()).resolves.toBe(false);
  });
});
