/**
 * Custom bots on the real local stack (handlers, emulators, offline model), two users in two browser contexts:
 * alice creates a bot with a quick starter and shares it with everyone; bob finds it in the store, stars it and
 * chats with the quick starter; alice unshares it; bob's conversation stays readable and his next message gets the
 * "no longer available" message with the composer disabled. The built-in admin pins public bots as essentials and
 * orders them with the keyboard; bob sees the order and no pin controls. axe finds nothing on the screens; strict CSP
 * in force.
 */
import type { Page } from 'playwright-core';
import { axeViolations, describeChromium, playgroundSession, signInAs, watchPage } from './harness';
import { Playground } from '../../src/local/playground';

const UNAVAILABLE = 'This bot is no longer available to you: it was deleted or is no longer shared with you. You can read this conversation, but not continue it.';

describeChromium('custom bots on the playground', () => {
  let pg: Playground;
  const problems: string[] = [];

  const session = playgroundSession({ built: 'bedrock-chat-app.js', playground: { quiet: true, wordDelayMs: 5 } });
  beforeAll(() => {
    pg = session.pg;
  });

  async function signIn(user: 'alice' | 'bob' | 'admin'): Promise<Page> {
    const page = await (await session.newContext()).newPage();
    watchPage(page, (problem) => problems.push(problem), { prefix: user });
    await signInAs(page, pg, user);
    await page.locator('bedrock-chat-bot-list [part~="store"]').waitFor();
    return page;
  }

  test('alice creates and shares a bot; bob finds, stars and chats with it; alice unshares; bob sees the message', async () => {
    const title = `Otter guide ${Date.now().toString(36)}`;
    const alice = await signIn('alice');
    // alice is in CreatingBotAllowed: she may create bots.
    await alice.getByRole('link', { name: 'Create a bot' }).click();
    const editor = alice.locator('bedrock-chat-bot-editor');
    await editor.getByRole('heading', { name: 'New bot' }).waitFor();
    await editor.getByLabel('Title', { exact: true }).fill(title);
    await editor.getByLabel('Description', { exact: true }).fill('Knows every river otter.');
    await editor.getByLabel('Instructions', { exact: true }).fill('Answer briefly, like an otter would.');
    await editor.getByRole('button', { name: 'Add a quick starter' }).click();
    const starter = editor.getByRole('group', { name: 'Quick starter 1' });
    await starter.getByLabel('Title').fill('Rivers');
    await starter.getByLabel('Message').fill('Which rivers have otters?');
    await editor.getByRole('button', { name: 'Create' }).click();
    await editor.getByRole('heading', { name: `Edit “${title}”` }).waitFor({ timeout: 20_000 });
    const botId = /^#\/bots\/([^/]+)\/edit$/.exec(await alice.evaluate(() => location.hash))?.[1];
    expect(botId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/); // a ULID, chosen by the server
    await alice.locator('bedrock-chat-bot-list section', { hasText: 'My bots' }).getByRole('link', { name: title, exact: true }).waitFor();

    await editor.getByRole('button', { name: 'Share…' }).click();
    const dialog = alice.getByRole('dialog', { name: `Share “${title}”` });
    await dialog.getByRole('radio', { name: /Everyone/ }).check();
    expect(await axeViolations(alice)).toEqual([]);
    await dialog.getByRole('button', { name: 'Save sharing' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // bob (in no group) finds it in the store by a word of its description.
    const bob = await signIn('bob');
    await expect(bob.getByRole('link', { name: 'Create a bot' }).count()).resolves.toBe(0);
    await bob.getByRole('link', { name: 'Bot store' }).click();
    const store = bob.locator('bedrock-chat-bot-store');
    await store.getByRole('searchbox', { name: 'Search bots' }).fill('river otter');
    await store.getByRole('button', { name: 'Search' }).click();
    const results = store.locator('[part~="results"]');
    await results.locator('[part~="card"]').filter({ hasText: title }).waitFor({ timeout: 20_000 });
    await results.getByRole('button', { name: `Star “${title}”` }).click();
    await results.locator('[part~="star"][aria-pressed="true"]').waitFor();
    await bob.locator('bedrock-chat-bot-list section', { hasText: 'Starred' }).getByRole('link', { name: title, exact: true }).waitFor();
    expect(await axeViolations(bob)).toEqual([]);

    // The bot's chat: its header, the quick starter sends itself.
    await results.getByRole('link', { name: `Chat with “${title}”` }).click();
    const chat = (part: string) => bob.locator(`bedrock-chat-app [part="chat"] [part~="${part}"]`);
    await chat('bot-title').filter({ hasText: title }).waitFor();
    await expect(chat('bot-description').textContent()).resolves.toBe('Knows every river otter.');
    await chat('quick-starter').filter({ hasText: 'Rivers' }).click();
    await bob.locator('bedrock-chat-app [part="chat"] [part~="assistant"][data-status="done"]').waitFor({ timeout: 30_000 });
    await chat('user').filter({ hasText: 'Which rivers have otters?' }).waitFor();
    await bob.waitForFunction(() => /^#\/c\//.test(location.hash));
    // The history says which bot the conversation is with; the bot is recent.
    await bob.locator('bedrock-chat-bot-list section', { hasText: 'Recent' }).getByRole('link', { name: title, exact: true }).waitFor();
    await bob.reload();
    await bob.locator('bedrock-chat-history [part~="bot-title"]').filter({ hasText: `Bot: ${title}` }).waitFor({ timeout: 20_000 });
    const conversationHash = await bob.evaluate(() => location.hash);

    // alice unshares.
    await editor.getByRole('button', { name: 'Share…' }).click();
    await dialog.getByRole('radio', { name: 'Only me' }).check();
    await dialog.getByRole('button', { name: 'Save sharing' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // bob's next turn: BOT_UNAVAILABLE, the message, the composer disabled; the conversation stays readable.
    await chat('input').fill('And in winter?');
    await chat('input').press('Enter');
    await chat('error').filter({ hasText: UNAVAILABLE }).waitFor({ timeout: 20_000 });
    await expect(chat('input').isDisabled()).resolves.toBe(true);
    // Opened again: readable, disabled, the message in the header.
    await bob.reload();
    expect(await bob.evaluate(() => location.hash)).toBe(conversationHash);
    await chat('user').filter({ hasText: 'Which rivers have otters?' }).waitFor({ timeout: 20_000 });
    await chat('bot-unavailable').filter({ hasText: UNAVAILABLE }).waitFor();
    await expect(chat('input').isDisabled()).resolves.toBe(true);
    expect(await axeViolations(bob)).toEqual([]);
    expect(problems).toEqual([]);
  });

  /** The REST API as a built-in user (setting up bots is not what this test is about). */
  async function rest(user: 'alice' | 'bob' | 'admin', method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${pg.restApiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${pg.issueToken(user)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  test('admin pins two public bots and orders them with the keyboard; bob sees the order and no pin controls', async () => {
    const tag = Date.now().toString(36);
    const titles = [`Heron ${tag}`, `Kingfisher ${tag}`];
    const ids: string[] = [];
    for (const title of titles) {
      const created = await rest('alice', 'POST', '/bots', { title, description: 'A river bird.' });
      expect(created.status).toBe(201);
      expect((await rest('alice', 'PUT', `/bots/${created.body.id}/sharing`, { scope: 'all' })).status).toBe(200);
      ids.push(created.body.id);
    }
    const essentials = async () => ((await rest('bob', 'GET', '/store/essentials')).body.items as { id: string }[])
      .map((b) => b.id).filter((id) => ids.includes(id));

    const admin = await signIn('admin');
    await admin.getByRole('link', { name: 'Bot store' }).click();
    const store = admin.locator('bedrock-chat-bot-store');
    await store.getByRole('searchbox', { name: 'Search bots' }).fill(tag);
    await store.getByRole('button', { name: 'Search' }).click();
    const results = store.locator('[part~="results"]');
    for (const title of titles) {
      await results.getByRole('button', { name: `Pin “${title}” as an essential` }).click();
      await store.getByRole('status').filter({ hasText: `“${title}” is pinned as an essential.` }).waitFor({ timeout: 20_000 });
    }
    expect(await essentials()).toEqual(ids);

    // Keyboard only: Tab-reachable "Move up" on the second, Enter.
    const shelf = store.locator('[part~="shelf"]', { has: admin.getByRole('heading', { name: 'Essentials' }) });
    const card = (title: string) => shelf.locator('[part~="card"]', { has: admin.getByText(title, { exact: true }) });
    await card(titles[1]).getByRole('button', { name: 'Move up', exact: true }).focus();
    await admin.keyboard.press('Enter');
    await store.getByRole('status').filter({ hasText: new RegExp(`“${titles[1]}” moved to position`) }).waitFor({ timeout: 20_000 });
    expect(await essentials()).toEqual([ids[1], ids[0]]);
    const shown = (await shelf.locator('[part~="card"] strong').allTextContents()).filter((t) => titles.includes(t));
    expect(shown).toEqual([titles[1], titles[0]]);
    expect(await axeViolations(admin)).toEqual([]);

    // bob: the same order, no pin controls; the server refuses his pin anyway.
    const bob = await signIn('bob');
    await bob.getByRole('link', { name: 'Bot store' }).click();
    const bobShelf = bob.locator('bedrock-chat-bot-store [part~="shelf"]', { has: bob.getByRole('heading', { name: 'Essentials' }) });
    await bobShelf.getByText(titles[0], { exact: true }).waitFor({ timeout: 20_000 });
    expect((await bobShelf.locator('[part~="card"] strong').allTextContents()).filter((t) => titles.includes(t))).toEqual([titles[1], titles[0]]);
    await expect(bob.locator('bedrock-chat-bot-store').locator('[part~="pin"], [part~="move-up"], [part~="move-down"]').count()).resolves.toBe(0);
    expect((await rest('bob', 'PUT', `/admin/bots/${ids[0]}/pin`, { pinned: false })).status).toBe(403);

    // Unpinned: it leaves the essentials.
    await card(titles[0]).getByRole('button', { name: `Unpin “${titles[0]}” from the essentials` }).click();
    await store.getByRole('status').filter({ hasText: `“${titles[0]}” is no longer an essential.` }).waitFor({ timeout: 20_000 });
    expect(await essentials()).toEqual([ids[1]]);
    expect(problems).toEqual([]);
  });
});
