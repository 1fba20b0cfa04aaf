/// <reference lib="dom" />
/**
 * Custom bots in Chromium against the fake backend (its bot routes follow bots-contract.md): the app's bot list,
 * editor (validation, the server's 400 beside its field, save, delete), share dialog (group search), store (search,
 * star), a bot's chat (header, quick starters, botId on the wire), the unavailable state, hash routes and Back, and
 * `<bedrock-chat bot-id>` on a plain page. Needs the built bundle: `npx projen bundle:web`.
 */
import type { Page } from 'playwright-core';
import { axeViolations, chromiumSession, describeBrowser, FakeBackend, TOKEN } from './fake-backend';
import { settles } from '../settles';

describeBrowser('custom bots in the app and the widget (Chromium)', () => {
  const backend = new FakeBackend();
  const chromium = chromiumSession(backend);
  let page: Page;
  beforeEach(() => {
    backend.conversations.clear();
    backend.bots.clear();
    backend.lostBots.clear();
    backend.recents = [];
    backend.botCalls.length = 0;
    backend.frames.length = 0;
    backend.botPageSize = 100;
    backend.me = { userId: 'user-1', email: 'alice@example.com', groups: ['Engineering'], canCreateBots: true, isAdmin: false };
    page = chromium.page;
  });

  const chat = (part: string) => page.locator(`bedrock-chat-app [part="chat"] [part~="${part}"]`);
  const hash = () => page.evaluate(() => location.hash);

  async function openApp(route = ''): Promise<void> {
    await page.goto(`${backend.origin}/app-test.html${route}`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await page.locator('bedrock-chat-bot-list [part~="store"]').waitFor();
  }

  const sent = () => backend.botCalls.filter((c) => c.method !== 'GET');

  test('create: the editor checks the draft, shows the server\'s 400 beside its field, creates, previews, and the bot is listed', async () => {
    await openApp();
    await page.getByRole('link', { name: 'Create a bot' }).click();
    await expect(hash()).resolves.toBe('#/new-bot');
    const editor = page.locator('bedrock-chat-bot-editor');
    await editor.getByRole('heading', { name: 'New bot' }).waitFor();

    // Client-side checks, as the contract: nothing is sent.
    await editor.getByLabel('Temperature').fill('3');
    await editor.getByRole('button', { name: 'Create' }).click();
    await editor.getByText('Give the bot a title.').waitFor();
    await editor.getByText('Enter a number from 0 to 1.').waitFor();
    await expect(editor.getByLabel('Title').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(editor.getByLabel('Title').evaluate((el) => (el.getRootNode() as ShadowRoot).activeElement === el)).resolves.toBe(true);
    expect(sent()).toEqual([]);

    // The server's 400 (topK not taken by a model) is shown beside that field.
    await editor.getByLabel('Title').fill('Otter guide');
    await editor.getByLabel('Temperature').fill('0.3');
    await editor.getByLabel('Top K').fill('40');
    await editor.getByRole('button', { name: 'Create' }).click();
    await editor.locator('#e-generation\\.topK').filter({ hasText: 'generation.topK is not supported by model fake.model-v2' }).waitFor();
    await expect(editor.getByLabel('Top K').getAttribute('aria-invalid')).resolves.toBe('true');
    expect(backend.bots.size).toBe(0);

    await editor.getByLabel('Top K').fill('');
    await editor.getByLabel('Description', { exact: true }).fill('Knows rivers.');
    await editor.getByLabel('Instructions', { exact: true }).fill('Answer like an otter.');
    await editor.getByRole('button', { name: 'Add a quick starter' }).click();
    const starter = editor.getByRole('group', { name: 'Quick starter 1' });
    await starter.getByLabel('Title').fill('Rivers');
    await starter.getByLabel('Message').fill('Which rivers have otters?');
    await editor.getByRole('checkbox', { name: 'fake.model-v1' }).check();
    await editor.getByRole('button', { name: 'Create' }).click();
    await editor.getByRole('heading', { name: 'Edit “Otter guide”' }).waitFor();
    const [bot] = [...backend.bots.values()];
    const posts = backend.botCalls.filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[1].body).toEqual({
      title: 'Otter guide',
      description: 'Knows rivers.',
      instructions: 'Answer like an otter.',
      generation: { temperature: 0.3 },
      quickStarters: [{ title: 'Rivers', example: 'Which rivers have otters?' }],
      models: ['fake.model-v1'],
      promptCaching: false,
      showRetrievedChunks: false,
    });
    // The new bot's address replaces the "new bot" one; the preview chat talks to it; the sidebar lists it.
    await expect(hash()).resolves.toBe(`#/bots/${bot.id}/edit`);
    await editor.locator('[part~="preview"] bedrock-chat [part~="bot-title"]').filter({ hasText: 'Otter guide' }).waitFor();
    await page.locator('bedrock-chat-bot-list [part~="bot"]').filter({ hasText: 'Otter guide' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await axeViolations(page)).toEqual([]);
  });

  test('share: named groups through the group search, then everyone; the dialog is accessible', async () => {
    const bot = backend.addBot({ title: 'Team helper', owner: 'you', scope: 'private' });
    await openApp(`#/bots/${bot.id}/edit`);
    const editor = page.locator('bedrock-chat-bot-editor');
    await editor.getByRole('button', { name: 'Share…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Share “Team helper”' });
    await dialog.waitFor();
    await dialog.getByRole('radio', { name: 'Named users and groups' }).check();
    await dialog.getByLabel('Add groups').fill('Eng');
    await dialog.getByRole('button', { name: 'Add group Engineering' }).click();
    await dialog.getByLabel('Add users (search by email)').fill('bo');
    await dialog.getByRole('button', { name: 'Add bob@example.com' }).click();
    await expect(dialog.locator('[part~="chosen"] li').allTextContents()).resolves.toEqual(['bob@example.com×', 'Group Engineering×']);
    expect(backend.botCalls.filter((c) => c.path.startsWith('/api/groups/search')).map((c) => c.path).at(-1)).toBe('/api/groups/search?q=Eng');
    expect(backend.botCalls.filter((c) => c.path.startsWith('/api/users/search')).map((c) => c.path)).toEqual(['/api/users/search?q=bo']);
    expect(await axeViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Save sharing' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(sent().at(-1)).toEqual({ method: 'PUT', path: `/api/bots/${bot.id}/sharing`, body: { scope: 'partial', users: ['user-2'], groups: ['Engineering'] } });
    expect(backend.bots.get(bot.id)).toMatchObject({ scope: 'partial', groups: ['Engineering'], users: ['user-2'] });

    // The dialog shows the stored sharing next time; everyone.
    await editor.getByRole('button', { name: 'Share…' }).click();
    await expect(dialog.getByRole('radio', { name: 'Named users and groups' }).isChecked()).resolves.toBe(true);
    await dialog.getByRole('radio', { name: /Everyone/ }).check();
    await dialog.getByRole('button', { name: 'Save sharing' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(sent().at(-1)).toEqual({ method: 'PUT', path: `/api/bots/${bot.id}/sharing`, body: { scope: 'all' } });
  });

  test('store: shelves, search by words, star from the card (the sidebar lists it as starred)', async () => {
    backend.addBot({ title: 'River otter facts', description: 'Everything about otters', usageCount: 3, pinned: true, pinOrder: 0 });
    backend.addBot({ title: 'Tax helper', description: 'Forms and deadlines', usageCount: 9 });
    backend.addBot({ title: 'Secret', scope: 'private' });
    await openApp();
    await page.getByRole('link', { name: 'Bot store' }).click();
    await expect(hash()).resolves.toBe('#/store');
    const store = page.locator('bedrock-chat-bot-store');
    await store.getByRole('heading', { name: 'Essentials' }).waitFor();
    await expect(store.locator('[part~="shelf"]').nth(1).locator('strong').allTextContents()).resolves.toEqual(['Tax helper', 'River otter facts']);
    await expect(store.getByText('Secret').count()).resolves.toBe(0);

    await store.getByRole('searchbox', { name: 'Search bots' }).fill('otters about');
    await store.getByRole('button', { name: 'Search' }).click();
    const results = store.locator('[part~="results"]');
    await results.getByRole('heading', { name: 'Search results' }).waitFor();
    await expect(results.locator('strong').allTextContents()).resolves.toEqual(['River otter facts']);
    expect(backend.botCalls.filter((c) => c.path.startsWith('/api/store/search')).map((c) => c.path)).toEqual(['/api/store/search?q=otters%20about']);

    const star = results.getByRole('button', { name: 'Star “River otter facts”' });
    await star.click();
    await results.locator('[part~="star"][aria-pressed="true"]').waitFor();
    const otter = [...backend.bots.values()].find((b) => b.title === 'River otter facts')!;
    expect(sent()).toEqual([{ method: 'PUT', path: `/api/bots/${otter.id}/star`, body: { starred: true } }]);
    await page.locator('bedrock-chat-bot-list section', { hasText: 'Starred' }).getByRole('link', { name: 'River otter facts' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    // The system's dark scheme: the bot screens resolve their own dark colours (axe's contrast check in both).
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await axeViolations(page)).toEqual([]);
  });

  test('a bot\'s chat: header with description, a quick starter sends itself with botId, recents and history show the bot', async () => {
    const bot = backend.addBot({
      title: 'Otter guide',
      description: 'Knows rivers.',
      models: ['fake.model-v2'],
      defaultModel: 'fake.model-v2',
      quickStarters: [{ title: 'Rivers', example: 'Which rivers have otters?' }, { title: 'Food', example: 'What do otters eat?' }],
    });
    await openApp();
    await page.locator('bedrock-chat-bot-store').waitFor({ state: 'detached' });
    await page.evaluate((id) => { location.hash = `#/bots/${id}`; }, bot.id);
    await chat('bot-title').filter({ hasText: 'Otter guide' }).waitFor();
    await expect(chat('bot-description').textContent()).resolves.toBe('Knows rivers.');
    // Only the bot's model is offered (no picker for one model), and it is the one sent.
    await expect(chat('model-picker').count()).resolves.toBe(0);
    await expect(chat('model').textContent()).resolves.toBe('Model: fake.model-v2');
    expect(await axeViolations(page)).toEqual([]);

    await chat('quick-starter').filter({ hasText: 'Rivers' }).click();
    await page.locator('bedrock-chat-app bedrock-chat [part~="assistant"][data-status="done"]').waitFor();
    const frame = backend.sendMessages().at(-1)!;
    expect(frame).toMatchObject({ botId: bot.id, model: 'fake.model-v2', content: [{ text: 'Which rivers have otters?' }] });
    // Quick starters are for an empty conversation; the conversation got its address.
    await expect(chat('quick-starter').count()).resolves.toBe(0);
    const [conversation] = [...backend.conversations.values()];
    await expect(hash()).resolves.toBe(`#/c/${conversation.id}`);
    // A later turn names the same bot.
    await chat('input').fill('And in winter?');
    await chat('input').press('Enter');
    await page.locator('bedrock-chat-app bedrock-chat [part~="assistant"][data-status="done"]').nth(1).waitFor();
    expect(backend.sendMessages().at(-1)).toMatchObject({ botId: bot.id, conversationId: conversation.id });

    await page.locator('bedrock-chat-bot-list section', { hasText: 'Recent' }).getByRole('link', { name: 'Otter guide' }).waitFor();
    await page.evaluate(() => (document.querySelector('bedrock-chat-app')!.shadowRoot!.querySelector('bedrock-chat-history') as unknown as { refresh(): Promise<void> }).refresh());
    await page.locator('bedrock-chat-history [part~="bot-title"]').filter({ hasText: 'Bot: Otter guide' }).waitFor();
    // Remove from recents.
    await page.getByRole('button', { name: 'Remove “Otter guide” from recents' }).click();
    await page.getByRole('button', { name: 'Remove “Otter guide” from recents' }).waitFor({ state: 'detached' });
    expect(sent().at(-1)).toEqual({ method: 'DELETE', path: `/api/bots/${bot.id}/recent` });
  });

  test('unshared: the old conversation stays readable, the composer is disabled with the message (on open and on a turn)', async () => {
    const bot = backend.addBot({ title: 'Leaving bot', quickStarters: [{ title: 'Hi', example: 'hello bot' }] });
    await openApp(`#/bots/${bot.id}`);
    await chat('quick-starter').click();
    await page.locator('bedrock-chat-app bedrock-chat [part~="assistant"][data-status="done"]').waitFor();
    const [conversation] = [...backend.conversations.values()];

    // Unshared while the conversation is open: the next turn gets BOT_UNAVAILABLE.
    backend.lostBots.add(bot.id);
    await chat('input').fill('still there?');
    await chat('input').press('Enter');
    const message = 'This bot is no longer available to you: it was deleted or is no longer shared with you. You can read this conversation, but not continue it.';
    await chat('error').filter({ hasText: message }).waitFor();
    await chat('bot-unavailable').filter({ hasText: message }).waitFor();
    await expect(chat('input').isDisabled()).resolves.toBe(true);
    await expect(chat('send').isDisabled()).resolves.toBe(true);

    // Opened again through its address (a new page load: only the hash differs, so reload): readable, disabled,
    // the message shown.
    await page.goto(`${backend.origin}/app-test.html#/c/${conversation.id}`);
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await chat('message').filter({ hasText: 'hello bot' }).first().waitFor();
    await chat('bot-unavailable').filter({ hasText: message }).waitFor();
    await expect(chat('input').isDisabled()).resolves.toBe(true);
    // The recent entry is marked.
    await page.locator('bedrock-chat-bot-list [part~="unavailable"]').filter({ hasText: 'Leaving bot' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });

  test('delete: asks first, deletes, goes home, and the bot leaves the sidebar', async () => {
    const bot = backend.addBot({ title: 'Short-lived', owner: 'you', scope: 'private' });
    await openApp(`#/bots/${bot.id}/edit`);
    const editor = page.locator('bedrock-chat-bot-editor');
    await editor.getByRole('button', { name: 'Delete' }).click();
    await editor.getByRole('button', { name: 'Cancel' }).click();
    expect(sent()).toEqual([]);
    await editor.getByRole('button', { name: 'Delete' }).click();
    await editor.locator('[part~="delete-confirm"]').click();
    await page.waitForFunction(() => location.hash === '#/');
    expect(sent()).toEqual([{ method: 'DELETE', path: `/api/bots/${bot.id}` }]);
    await page.locator('bedrock-chat-bot-list [part~="bot"]').filter({ hasText: 'Short-lived' }).waitFor({ state: 'detached' });
    expect(backend.bots.size).toBe(0);
  });

  test('routes: a link opens a screen, Back and Forward move between them; a shared bot has no editor', async () => {
    const stored = backend.seed('Stored chat', 'old question', 'old answer');
    const bot = backend.addBot({ title: 'Someone else\'s', quickStarters: [] });
    await openApp(`#/c/${stored}`);
    await chat('message').filter({ hasText: 'old answer' }).waitFor();
    await page.getByRole('link', { name: 'Bot store' }).click();
    await page.locator('bedrock-chat-bot-store').getByRole('heading', { name: 'Bot store' }).waitFor();
    await expect(page.locator('bedrock-chat-app bedrock-chat').isVisible()).resolves.toBe(false);
    await page.locator('bedrock-chat-bot-store').getByRole('link', { name: 'Chat with “Someone else\'s”' }).first().click();
    await chat('bot-title').filter({ hasText: 'Someone else\'s' }).waitFor();
    await expect(chat('message').count()).resolves.toBe(0);

    await page.goBack();
    await page.locator('bedrock-chat-bot-store').waitFor();
    await expect(hash()).resolves.toBe('#/store');
    await page.goBack();
    await chat('message').filter({ hasText: 'old answer' }).waitFor();
    await expect(hash()).resolves.toBe(`#/c/${stored}`);
    await expect(page.locator('bedrock-chat-bot-store').count()).resolves.toBe(0);
    await page.goForward();
    await page.locator('bedrock-chat-bot-store').waitFor();

    // Selecting in the history is an address too.
    await page.goto(`${backend.origin}/app-test.html#/`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await page.getByRole('button', { name: 'Stored chat', exact: true }).click();
    await page.waitForFunction((id) => location.hash === `#/c/${id}`, stored);
    await page.goto(`${backend.origin}/app-test.html#/bots/${bot.id}/edit`);
    await page.locator('bedrock-chat-bot-editor').getByText('Only the owner can edit this bot.').waitFor();
  });

  test('admin pins: pin from a card, order the essentials with the keyboard (focus follows, position announced), unpin', async () => {
    backend.me = { ...backend.me, groups: ['Admin'], isAdmin: true };
    const a = backend.addBot({ title: 'Alpha', pinned: true, pinOrder: 0, usageCount: 1 });
    const b = backend.addBot({ title: 'Bravo', pinned: true, pinOrder: 1, usageCount: 2 });
    const c = backend.addBot({ title: 'Charlie', usageCount: 5 });
    await openApp('#/store');
    const store = page.locator('bedrock-chat-bot-store');
    const essentials = store.locator('[part~="shelf"]', { has: page.getByRole('heading', { name: 'Essentials' }) });
    const order = () => essentials.locator('[part~="card"] strong').allTextContents();
    await essentials.waitFor();
    await settles(order, ['Alpha', 'Bravo']);

    // Pinned after the last essential.
    await store.getByRole('button', { name: 'Pin “Charlie” as an essential' }).first().click();
    await essentials.getByText('Charlie').waitFor();
    await settles(order, ['Alpha', 'Bravo', 'Charlie']);
    expect(sent()).toEqual([{ method: 'PUT', path: `/api/admin/bots/${c.id}/pin`, body: { pinned: true, order: 2 } }]);
    await store.getByRole('status').filter({ hasText: '“Charlie” is pinned as an essential.' }).waitFor();

    // Keyboard only: focus "Move up" and press Enter twice; the focus stays on the moved bot's button.
    backend.botCalls.length = 0;
    const active = () => store.evaluate((el) => el.shadowRoot!.activeElement?.getAttribute('data-focus'));
    const card = (title: string) => essentials.locator('[part~="card"]', { has: page.getByText(title, { exact: true }) });
    // Named by their visible text, described by the bot's title.
    await expect(card('Charlie').getByRole('button', { name: 'Move up' }).getAttribute('aria-describedby')).resolves.toBe(`title-essentials-${c.id}`);
    await card('Charlie').getByRole('button', { name: 'Move up', exact: true }).focus();
    await page.keyboard.press('Enter');
    await store.getByRole('status').filter({ hasText: '“Charlie” moved to position 2 of 3.' }).waitFor();
    await settles(order, ['Alpha', 'Charlie', 'Bravo']);
    await expect(active()).resolves.toBe(`essentials:${c.id}:up`);
    expect(sent()).toEqual([
      { method: 'PUT', path: `/api/admin/bots/${c.id}/pin`, body: { pinned: true, order: 1 } },
      { method: 'PUT', path: `/api/admin/bots/${b.id}/pin`, body: { pinned: true, order: 2 } },
    ]);
    await page.keyboard.press('Enter');
    await store.getByRole('status').filter({ hasText: '“Charlie” moved to position 1 of 3.' }).waitFor();
    await settles(order, ['Charlie', 'Alpha', 'Bravo']);
    // At the top "Move up" is disabled: the focus goes to "Move down" of the same bot.
    await expect(card('Charlie').getByRole('button', { name: 'Move up', exact: true }).isDisabled()).resolves.toBe(true);
    await expect(active()).resolves.toBe(`essentials:${c.id}:down`);
    expect([...backend.bots.values()].map((x) => [x.title, x.pinOrder])).toEqual([['Alpha', 1], ['Bravo', 2], ['Charlie', 0]]);

    // Unpin from the essentials: the shelf shows the rest, in order.
    await essentials.getByRole('button', { name: 'Unpin “Alpha” from the essentials' }).click();
    await essentials.getByText('Alpha').waitFor({ state: 'detached' });
    await settles(order, ['Charlie', 'Bravo']);
    expect(sent().pop()).toEqual({ method: 'PUT', path: `/api/admin/bots/${a.id}/pin`, body: { pinned: false } });
    expect(backend.bots.get(a.id)!.pinned).toBe(false);
    expect(await axeViolations(page)).toEqual([]);
  });

  test('non-admins see no pin controls (the store is otherwise the same)', async () => {
    backend.addBot({ title: 'Alpha', pinned: true, pinOrder: 0 });
    backend.addBot({ title: 'Bravo', pinned: true, pinOrder: 1 });
    backend.addBot({ title: 'Charlie' });
    await openApp('#/store');
    const store = page.locator('bedrock-chat-bot-store');
    await store.getByRole('heading', { name: 'Essentials' }).waitFor();
    await store.getByRole('heading', { name: 'Popular' }).waitFor();
    await expect(store.locator('[part~="card"]').count()).resolves.toBeGreaterThan(3);
    await expect(store.locator('[part~="pin"], [part~="move-up"], [part~="move-down"]').count()).resolves.toBe(0);
    await expect(store.getByRole('button', { name: /Pin|Unpin|Move/ }).count()).resolves.toBe(0);
  });

  test('paging: "Show more" loads the next page of starred, recent and my bots, search results and popular, and never shows a bot twice', async () => {
    backend.botPageSize = 3;
    const made = [];
    for (let i = 1; i <= 7; i++) {
      made.push(backend.addBot({ title: `Mine ${i}`, owner: 'you', scope: 'all', usageCount: 100 - i, starred: i <= 4, updatedAt: new Date(Date.UTC(2026, 0, i)).toISOString() }));
    }
    backend.recents = made.slice(0, 5).map((b) => b.id).reverse();
    await openApp();
    // Starred and recent page the same way.
    for (const [name, first, all] of [['Starred', 3, 4], ['Recent', 3, 5]] as const) {
      const section = page.locator('bedrock-chat-bot-list section', { has: page.getByRole('heading', { name, exact: true }) });
      await section.locator('[part~="bot"]').nth(first - 1).waitFor();
      await expect(section.locator('[part~="bot"]').count()).resolves.toBe(first);
      await section.getByRole('button', { name: 'Show more' }).click();
      await section.locator('[part~="bot"]').nth(all - 1).waitFor();
      await expect(section.getByRole('button', { name: 'Show more' }).count()).resolves.toBe(0);
      const shown = await section.locator('[part~="bot"]').allTextContents();
      expect(new Set(shown).size).toBe(all);
    }
    const mine = page.locator('bedrock-chat-bot-list section', { hasText: 'My bots' });
    const titles = () => mine.locator('[part~="bot"]').allTextContents();
    await mine.locator('[part~="bot"]').nth(2).waitFor();
    await expect(titles()).resolves.toEqual(['Mine 7', 'Mine 6', 'Mine 5']);
    // A bot saved meanwhile moves every other one down a place: the next page starts with one already shown.
    backend.addBot({ title: 'Mine 8', owner: 'you', scope: 'private', updatedAt: new Date(Date.UTC(2026, 0, 8)).toISOString() });
    await mine.getByRole('button', { name: 'Show more' }).click();
    await mine.locator('[part~="bot"]').nth(4).waitFor();
    await expect(titles()).resolves.toEqual(['Mine 7', 'Mine 6', 'Mine 5', 'Mine 4', 'Mine 3']);
    await mine.getByRole('button', { name: 'Show more' }).click();
    await mine.getByRole('link', { name: 'Mine 1', exact: true }).waitFor();
    await expect(titles()).resolves.toEqual(['Mine 7', 'Mine 6', 'Mine 5', 'Mine 4', 'Mine 3', 'Mine 2', 'Mine 1']);
    await expect(mine.getByRole('button', { name: 'Show more' }).count()).resolves.toBe(0);
    expect(backend.botCalls.filter((c) => c.path.startsWith('/api/bots?kind=mine')).map((c) => c.path))
      .toEqual(['/api/bots?kind=mine', '/api/bots?kind=mine&nextToken=3', '/api/bots?kind=mine&nextToken=6']);

    await page.getByRole('link', { name: 'Bot store' }).click();
    const store = page.locator('bedrock-chat-bot-store');
    await store.getByRole('searchbox', { name: 'Search bots' }).fill('mine');
    await store.getByRole('button', { name: 'Search' }).click();
    const results = store.locator('[part~="results"]');
    await results.locator('[part~="card"]').nth(2).waitFor();
    await expect(results.locator('[part~="card"]').count()).resolves.toBe(3);
    await results.getByRole('button', { name: 'Show more' }).click();
    await results.locator('[part~="card"]').nth(5).waitFor();
    await results.getByRole('button', { name: 'Show more' }).click();
    await results.getByText('Mine 7').waitFor();
    await expect(results.getByRole('button', { name: 'Show more' }).count()).resolves.toBe(0);
    const found = await results.locator('[part~="card"] strong').allTextContents();
    expect(found).toHaveLength(7);
    expect(new Set(found).size).toBe(7);

    const popular = store.locator('[part~="shelf"]', { has: page.getByRole('heading', { name: 'Popular' }) });
    await expect(popular.locator('[part~="card"]').count()).resolves.toBe(3);
    await popular.getByRole('button', { name: 'Show more' }).click();
    await popular.locator('[part~="card"]').nth(5).waitFor();
    await popular.getByRole('button', { name: 'Show more' }).click();
    await popular.getByText('Mine 7').waitFor();
    await expect(popular.locator('[part~="card"] strong').allTextContents()).resolves.toEqual(['Mine 1', 'Mine 2', 'Mine 3', 'Mine 4', 'Mine 5', 'Mine 6', 'Mine 7']);
    await expect(popular.getByRole('button', { name: 'Show more' }).count()).resolves.toBe(0);
    expect(await axeViolations(page)).toEqual([]);
  });

  test('the editor clears a default model and a guardrail: PATCH sends null for each, and the bot has neither', async () => {
    const bot = backend.addBot({
      title: 'Guarded', owner: 'you', scope: 'private', defaultModel: 'fake.model-v2', guardrail: { id: 'abc123', version: '1' },
    });
    await openApp(`#/bots/${bot.id}/edit`);
    const editor = page.locator('bedrock-chat-bot-editor');
    await editor.getByRole('heading', { name: 'Edit “Guarded”' }).waitFor();
    await expect(editor.getByLabel('Guardrail id').inputValue()).resolves.toBe('abc123');
    await editor.getByLabel('Default model').selectOption({ label: 'The service\'s default' });
    await editor.getByRole('radio', { name: 'None' }).check();
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const patch = backend.botCalls.find((c) => c.method === 'PATCH')!;
    expect(patch.body).toMatchObject({ defaultModel: null, guardrail: null });
    const stored = backend.bots.get(bot.id)!;
    expect(stored.defaultModel).toBeUndefined();
    expect(stored.guardrail).toBeUndefined();
    // Saved again unchanged: nothing left to clear, so no null is sent.
    await editor.getByRole('button', { name: 'Save' }).click();
    for (let i = 0; i < 100 && backend.botCalls.filter((c) => c.method === 'PATCH').length < 2; i++) await page.waitForTimeout(50);
    const again = backend.botCalls.filter((c) => c.method === 'PATCH')[1].body!;
    expect(again).not.toHaveProperty('defaultModel');
    expect(again).not.toHaveProperty('guardrail');
  });

  test('branding from config.json: the name in the top bar and the page title, the logo in the sidebar, the accent colour', async () => {
    const logo = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#a30"/></svg>';
    backend.pages.set('/branding/logo.svg', logo);
    backend.configExtra = { appName: 'Acme Chat', logoUrl: '/branding/logo.svg', accentColor: '#ffcc00' };
    try {
      await openApp();
      await expect(page.locator('bedrock-chat-app [part="brand"]').textContent()).resolves.toBe('Acme Chat');
      await expect(page.title()).resolves.toBe('Acme Chat');
      const img = page.getByRole('img', { name: 'Acme Chat' });
      await expect(img.getAttribute('src')).resolves.toBe('/branding/logo.svg');
      // A light accent gets black text on it; the chat's send button uses both.
      const send = page.locator('bedrock-chat-app [part="chat"] [part~="send"]');
      await expect(send.evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color])).resolves.toEqual(['rgb(255, 204, 0)', 'rgb(0, 0, 0)']);
      expect(await axeViolations(page)).toEqual([]);
    } finally {
      backend.configExtra = {};
      backend.pages.delete('/branding/logo.svg');
    }
  });

  test('<bedrock-chat bot-id> on a plain page: botId sent, title and quick starters shown, models limited to the bot\'s', async () => {
    const bot = backend.addBot({
      title: 'Site assistant',
      description: 'Ask about our shop.',
      models: ['fake.model-v1', 'fake.model-v2'],
      quickStarters: [{ title: 'Opening hours', example: 'When are you open?' }],
    });
    backend.models = [{ id: 'fake.model-v1', default: true }, { id: 'fake.model-v2', default: false }, { id: 'fake.model-v3', default: false }];
    backend.pages.set('/bot-widget.html', `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bot widget</title>
      <script type="module">
        import { ready } from '/bedrock-chat.js';
        const chat = document.querySelector('bedrock-chat');
        chat.tokenProvider = async () => ${JSON.stringify(TOKEN)};
        await ready;
        window.testReady = true;
      </script></head><body><main><h1>Shop</h1><bedrock-chat bot-id="${bot.id}" config-url="/config.json"></bedrock-chat></main></body></html>`);
    try {
      await page.goto(`${backend.origin}/bot-widget.html`);
      const part = (p: string) => page.locator(`bedrock-chat [part~="${p}"]`);
      await part('bot-title').filter({ hasText: 'Site assistant' }).waitFor();
      await expect(part('model-picker').locator('option').allTextContents()).resolves.toEqual(['fake.model-v1', 'fake.model-v2']);
      await part('quick-starter').click();
      await page.locator('bedrock-chat [part~="assistant"][data-status="done"]').waitFor();
      expect(backend.sendMessages().at(-1)).toMatchObject({ botId: bot.id, content: [{ text: 'When are you open?' }] });
      expect(await axeViolations(page)).toEqual([]);

      // Launcher mode: the attribute reaches the panel's chat when it opens.
      backend.pages.set('/bot-launcher.html', backend.pages.get('/bot-widget.html')!.replace('<bedrock-chat bot-id', '<bedrock-chat mode="launcher" bot-id'));
      await page.goto(`${backend.origin}/bot-launcher.html`);
      await page.locator('bedrock-chat [part="launcher"]').click();
      await part('bot-title').filter({ hasText: 'Site assistant' }).waitFor();
      // The remembered conversation (same user, same backend) is restored, so no quick starters; a new turn names its bot.
      await part('message').filter({ hasText: 'When are you open?' }).first().waitFor();
      await part('input').fill('And on Sundays?');
      await part('input').press('Enter');
      await page.locator('bedrock-chat [part~="assistant"][data-status="done"]').nth(1).waitFor();
      expect(backend.sendMessages().at(-1)).toMatchObject({ botId: bot.id, content: [{ text: 'And on Sundays?' }] });
    } finally {
      backend.pages.delete('/bot-launcher.html');
      backend.pages.delete('/bot-widget.html');
      backend.models = [{ id: 'fake.model-v1', default: true }, { id: 'fake.model-v2', default: false }];
    }
  });
});
