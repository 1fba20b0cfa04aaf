/// <reference lib="dom" />
/**
 * Knowledge in bots (docs/knowledge-contract.md) in Chromium against the fake backend: the bot editor's Knowledge
 * section (choose and drop, refused files never uploaded, the three upload requests in order with exactly the returned
 * headers, status polling every 2 s until the document is final and stopping then, when the tab is hidden and when the
 * section is removed, the FAILED reason, delete with confirmation, axe), and citations in the chat (a bot's document
 * opened from the Sources list and from `[^n]` through its source route in a tab without an opener, a failure shown in
 * the chat, stored citations rendered after a reload). Needs the built bundle: `npx projen bundle:web`.
 */
import type { Page } from 'playwright-core';
import { axeViolations, chromiumSession, describeBrowser, FakeBackend } from './fake-backend';
import type { FakeBot } from './fake-backend';
import { KNOWLEDGE_POLL_MS } from '../../src/web-components/shared/knowledge-rules';
import { settles } from '../settles';

describeBrowser('knowledge in bots (Chromium)', () => {
  const backend = new FakeBackend();
  const chromium = chromiumSession(backend);
  let page: Page;
  beforeEach(async () => {
    backend.conversations.clear();
    backend.bots.clear();
    backend.knowledgeDocs.clear();
    backend.knowledgeUploads.clear();
    backend.knowledgeCalls.length = 0;
    backend.frames.length = 0;
    backend.sourceStatus = 200;
    backend.failNextPut = false;
    backend.knowledgeEnabled = true;
    page = chromium.page;
    // The page's clock, so that polling can be brought forward (time otherwise flows as usual).
    await page.clock.install();
  });
  afterEach(() => {
    backend.knowledgeEnabled = false;
  });

  const section = () => page.locator('bedrock-chat-bot-knowledge');
  const doc = (name: string) => section().locator('[part~="document"]').filter({ has: page.locator('[part~="document-name"]', { hasText: name }) });
  const listCalls = (botId: string) => backend.knowledgeCalls.filter((c) => c.method === 'GET' && c.path === `/api/knowledge/bots/${botId}/documents`).length;
  const writes = () => backend.knowledgeCalls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path}`);

  async function openEditor(bot: FakeBot): Promise<void> {
    await page.goto(`${backend.origin}/app-test.html#/bots/${bot.id}/edit`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await section().getByRole('heading', { name: 'Knowledge' }).waitFor();
  }

  /** Drops files made in the page (a 50 MiB + 1 byte file is not sent over the DevTools protocol). */
  async function drop(files: { name: string; size?: number; text?: string; type?: string }[]): Promise<void> {
    await section().locator('[part~="drop-zone"]').evaluate((zone, list) => {
      const dt = new DataTransfer();
      for (const f of list) dt.items.add(new File([f.text ?? new Uint8Array(f.size ?? 0)], f.name, { type: f.type ?? '' }));
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, files);
  }

  test('choose and drop: refused files say why and are never uploaded; an accepted one is uploaded in three steps, polled until indexed', async () => {
    const bot = backend.addBot({ title: 'Otter docs', owner: 'you', scope: 'private' });
    await openEditor(bot);
    await section().getByText('No documents yet.').waitFor();

    // Chosen with the button: a text file and a picture (refused: its type).
    const chooser = page.waitForEvent('filechooser');
    await section().getByRole('button', { name: 'Add documents…' }).click();
    await (await chooser).setFiles([
      { name: 'otters.txt', mimeType: 'text/plain', buffer: Buffer.from('Otters eat fish and crabs.') },
      { name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from([137, 80, 78, 71]) },
    ]);
    await section().locator('[part~="refused"]').filter({ hasText: 'photo.png was not added: only text (TXT), Markdown (MD), HTML, PDF and Word (DOCX) files can be added.' }).waitFor();
    await doc('otters.txt').locator('[part~="document-status"]').filter({ hasText: 'Ready' }).waitFor();
    await expect(doc('otters.txt').locator('[part~="document-size"]').textContent()).resolves.toBe('26 byte');

    // The three requests, in order; the PUT with exactly the returned headers and the bytes; nothing of the picture.
    const calls = backend.knowledgeCalls.filter((c) => c.method !== 'GET');
    expect(calls.map((c) => c.method)).toEqual(['POST', 'S3 PUT', 'POST']);
    expect(calls[0]).toEqual({ method: 'POST', path: `/api/knowledge/bots/${bot.id}/uploads`, body: { name: 'otters.txt', contentType: 'text/plain', size: 26 } });
    const uploadId = /\/s3\/put\/([^/]+)$/.exec(calls[1].path)![1];
    expect(calls[1]).toMatchObject({ headers: { 'content-type': 'text/plain', 'x-amz-meta-upload-id': uploadId }, bytes: 26, status: 200 });
    expect(calls[2]).toEqual({ method: 'POST', path: `/api/knowledge/bots/${bot.id}/documents`, body: { uploadId } });
    const [stored] = backend.knowledgeDocs.get(bot.id)!;
    expect(stored.body.toString()).toBe('Otters eat fish and crabs.');
    // The status went QUEUED → RUNNING → SUCCEEDED through the list, each change announced; then polling stops.
    await settles(() => section().locator('[role="status"][aria-live="polite"]').textContent(), 'otters.txt: Ready');
    const polls = listCalls(bot.id);
    await page.clock.runFor(KNOWLEDGE_POLL_MS * 5);
    await page.waitForTimeout(300);
    expect(listCalls(bot.id)).toBe(polls);

    // Dropped: an empty file, one over 50 MiB, names with a control character, a backslash or 256 characters, a file
    // whose type contradicts its extension, and one that fails to index (its reason shown).
    const before = writes().length;
    await drop([
      { name: 'empty.md', size: 0 },
      { name: 'huge.pdf', size: 50 * 1024 * 1024 + 1 },
      { name: 'bell\u0007.txt', text: 'x' },
      { name: 'back\\slash.txt', text: 'x' },
      { name: `${'n'.repeat(252)}.txt`, text: 'x' },
      { name: 'fake.pdf', text: 'x', type: 'text/html' },
    ]);
    const refused = section().locator('[part~="refused"] li');
    await settles(() => refused.allTextContents(), [
      'empty.md was not added: the file is empty.',
      'huge.pdf was not added: a document can be at most 50 MiB.',
      'bell\u0007.txt was not added: a file name must be 1 to 255 characters, without control characters, / or \\.',
      'back\\slash.txt was not added: a file name must be 1 to 255 characters, without control characters, / or \\.',
      `${'n'.repeat(252)}.txt was not added: a file name must be 1 to 255 characters, without control characters, / or \\.`,
      'fake.pdf was not added: only text (TXT), Markdown (MD), HTML, PDF and Word (DOCX) files can be added.',
    ]);
    expect(writes().length).toBe(before);
    await drop([{ name: 'broken.md', text: '# Broken', type: 'text/markdown' }]);
    await doc('broken.md').locator('[part~="document-status"]').filter({ hasText: 'Failed' }).waitFor();
    await expect(doc('broken.md').locator('[part~="document-error"]').textContent()).resolves.toBe('The file could not be parsed.');
    await expect(section().locator('[part~="refused"]').count()).resolves.toBe(0);
    // Newest first, as the server lists them.
    await expect(section().locator('[part~="document-name"]').allTextContents()).resolves.toEqual(['broken.md', 'otters.txt']);
    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await axeViolations(page)).toEqual([]);
  });

  test('polling stops while the tab is hidden and when the section is removed; resumes when the tab is shown', async () => {
    const bot = backend.addBot({ title: 'Slow docs', owner: 'you', scope: 'private' });
    await openEditor(bot);
    await drop([{ name: 'slow.txt', text: 'Indexing takes a while.', type: 'text/plain' }]);
    await doc('slow.txt').locator('[part~="document-status"]').filter({ hasText: 'Indexing…' }).waitFor();
    // Still running: every 2 s the list is read again.
    let polls = listCalls(bot.id);
    await page.clock.runFor(KNOWLEDGE_POLL_MS);
    await settles(() => listCalls(bot.id) > polls, true);

    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    polls = listCalls(bot.id);
    await page.clock.runFor(KNOWLEDGE_POLL_MS * 5);
    await page.waitForTimeout(300);
    expect(listCalls(bot.id)).toBe(polls);

    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.clock.runFor(KNOWLEDGE_POLL_MS);
    await settles(() => listCalls(bot.id) > polls, true);

    // Leaving the editor removes the section: no more polling.
    await page.evaluate(() => { location.hash = '#/'; });
    await section().waitFor({ state: 'detached' });
    polls = listCalls(bot.id);
    await page.clock.runFor(KNOWLEDGE_POLL_MS * 5);
    await page.waitForTimeout(300);
    expect(listCalls(bot.id)).toBe(polls);
  });

  test('delete asks first (Cancel keeps it, with the keyboard), then deletes the document', async () => {
    const bot = backend.addBot({ title: 'Tidy docs', owner: 'you', scope: 'private' });
    const now = new Date().toISOString();
    backend.knowledgeDocs.set(bot.id, [{ id: '01DOCKEEP', name: 'keep.md', contentType: 'text/markdown', size: 2048, status: 'SUCCEEDED', createdAt: now, updatedAt: now, body: Buffer.from('k') },
      { id: '01DOCGONE', name: 'gone.txt', contentType: 'text/plain', size: 3_500_000, status: 'SUCCEEDED', statusReason: 'Some pages were not indexed.', createdAt: now, updatedAt: now, body: Buffer.from('g') }]);
    await openEditor(bot);
    await expect(doc('gone.txt').locator('[part~="document-size"]').textContent()).resolves.toBe('3.5 MB');
    await expect(doc('keep.md').locator('[part~="document-size"]').textContent()).resolves.toBe('2 kB');
    // PARTIALLY_INDEXED: ready, with the reason as a hint.
    await expect(doc('gone.txt').locator('[part~="document-error"]').textContent()).resolves.toBe('Some pages were not indexed.');

    await section().getByRole('button', { name: 'Delete “gone.txt”' }).focus();
    await page.keyboard.press('Enter');
    const confirm = section().getByRole('group', { name: 'Confirm deletion' });
    await confirm.filter({ hasText: 'Delete “gone.txt”? The bot no longer answers from it.' }).waitFor();
    await page.keyboard.press('Enter'); // the focus is on Cancel
    await confirm.waitFor({ state: 'detached' });
    await expect(section().getByRole('button', { name: 'Delete “gone.txt”' }).evaluate((el) => (el.getRootNode() as ShadowRoot).activeElement === el)).resolves.toBe(true);
    expect(writes()).toEqual([]);

    await section().getByRole('button', { name: 'Delete “gone.txt”' }).click();
    expect(await axeViolations(page)).toEqual([]);
    await section().locator('[part~="delete-confirm"]').click();
    await doc('gone.txt').waitFor({ state: 'detached' });
    expect(writes()).toEqual([`DELETE /api/knowledge/bots/${bot.id}/documents/01DOCGONE`]);
    expect(backend.knowledgeDocs.get(bot.id)!.map((d) => d.name)).toEqual(['keep.md']);
    await settles(() => section().locator('[role="status"][aria-live="polite"]').textContent(), 'gone.txt was deleted.');
  });

  test('a refused PUT: the file says it could not be uploaded and no document is created; at 100 documents nothing more is added', async () => {
    const bot = backend.addBot({ title: 'Full docs', owner: 'you', scope: 'private' });
    await openEditor(bot);
    await section().getByText('No documents yet.').waitFor();
    backend.failNextPut = true;
    await drop([{ name: 'late.txt', text: 'Too late.', type: 'text/plain' }]);
    await section().locator('[part~="refused"]').filter({ hasText: 'late.txt could not be uploaded. Please try again.' }).waitFor();
    expect(backend.knowledgeCalls.filter((c) => c.method !== 'GET').map((c) => [c.method, c.status])).toEqual([['POST', undefined], ['S3 PUT', 403]]);
    await section().getByText('No documents yet.').waitFor();
    expect(backend.knowledgeDocs.get(bot.id)).toEqual([]);

    const now = new Date().toISOString();
    backend.knowledgeDocs.set(bot.id, Array.from({ length: 100 }, (_, i) => ({
      id: `01DOC${String(i).padStart(3, '0')}`, name: `doc-${i}.txt`, contentType: 'text/plain', size: 1, status: 'SUCCEEDED' as const, createdAt: now, updatedAt: now, body: Buffer.from('x'),
    })));
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await doc('doc-99.txt').waitFor();
    await expect(section().getByRole('button', { name: 'Add documents…' }).isDisabled()).resolves.toBe(true);
    const before = writes().length;
    await drop([{ name: 'one-more.txt', text: 'x', type: 'text/plain' }]);
    await section().locator('[part~="refused"]').filter({ hasText: 'one-more.txt was not added: a bot can have at most 100 documents.' }).waitFor();
    expect(writes().length).toBe(before);
  });

  test('no Knowledge section without a knowledge base, for a new bot, or for a bot the caller does not own', async () => {
    backend.knowledgeEnabled = false;
    const mine = backend.addBot({ title: 'Plain', owner: 'you', scope: 'private' });
    await page.goto(`${backend.origin}/app-test.html#/bots/${mine.id}/edit`);
    await page.locator('bedrock-chat-bot-editor').getByRole('heading', { name: 'Edit “Plain”' }).waitFor();
    await expect(section().count()).resolves.toBe(0);
    backend.knowledgeEnabled = true;
    await page.evaluate(() => { location.hash = '#/new-bot'; });
    await page.locator('bedrock-chat-bot-editor').getByRole('heading', { name: 'New bot' }).waitFor();
    await expect(section().count()).resolves.toBe(0);
    const theirs = backend.addBot({ title: 'Theirs' });
    await page.evaluate((id) => { location.hash = `#/bots/${id}/edit`; }, theirs.id);
    await page.locator('bedrock-chat-bot-editor').getByText('Only the owner can edit this bot.').waitFor();
    await expect(section().count()).resolves.toBe(0);
    // No document route was called; a new bot's editor asks only what knowledge the deployment offers (its settings).
    expect(backend.knowledgeCalls).toEqual([{ method: 'GET', path: '/api/knowledge/bases' }]);
  });

  describe('citations of a bot\'s documents in the chat', () => {
    const chat = (part: string) => page.locator(`bedrock-chat-app [part="chat"] [part~="${part}"]`);

    function botWithDocuments(): FakeBot {
      const bot = backend.addBot({ title: 'Otter facts' });
      const now = new Date().toISOString();
      backend.knowledgeDocs.set(bot.id, [
        { id: '01DOCFISH', name: 'fish.txt', contentType: 'text/plain', size: 16, status: 'SUCCEEDED', createdAt: now, updatedAt: now, body: Buffer.from('Otters eat fish.') },
        { id: '01DOCCRAB', name: 'crabs.pdf', contentType: 'application/pdf', size: 9, status: 'SUCCEEDED', createdAt: now, updatedAt: now, body: Buffer.from('And crabs') },
      ]);
      // As the contract: one citation frame per source before the first text frame; [^n] without definitions.
      backend.scripts.set('What do otters eat?', {
        citationsFirst: true,
        deltas: ['Otters eat fish[^1]', ' and crabs[^2].'],
        citations: [
          { sourceId: '1', title: 'fish.txt', documentId: '01DOCFISH', snippet: 'Otters eat fish.' },
          { sourceId: '2', title: 'crabs.pdf', documentId: '01DOCCRAB', page: 3, snippet: 'And crabs' },
        ],
      });
      return bot;
    }

    async function ask(bot: FakeBot): Promise<void> {
      await page.goto(`${backend.origin}/app-test.html#/bots/${bot.id}`);
      await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
      await chat('bot-title').filter({ hasText: 'Otter facts' }).waitFor();
      await chat('input').fill('What do otters eat?');
      await chat('input').press('Enter');
      await page.locator('bedrock-chat-app bedrock-chat [part~="assistant"][data-status="done"]').waitFor();
    }

    async function sources(): Promise<unknown> {
      return chat('citation').evaluateAll((items) => items.map((li) => li.textContent?.replace(/\s+/g, ' ').trim()));
    }

    test('the Sources list and [^n] open the document through its source route, in a tab without an opener; the page is shown', async () => {
      const bot = botWithDocuments();
      await ask(bot);
      await expect(sources()).resolves.toEqual(['fish.txt', 'crabs.pdf p. 3']);
      await expect(chat('message-text').last().textContent()).resolves.toBe('Otters eat fish1 and crabs2.');

      const popup = page.waitForEvent('popup');
      await chat('citation').getByRole('button', { name: 'crabs.pdf' }).click();
      const tab = await popup;
      await tab.waitForURL(/\/s3\/get\/01DOCCRAB/);
      await expect(tab.locator('body').textContent()).resolves.toBe('And crabs');
      await expect(tab.evaluate(() => window.opener)).resolves.toBeNull();
      expect(backend.knowledgeCalls.filter((c) => c.path.endsWith('/source')).map((c) => c.path)).toEqual([`/api/knowledge/bots/${bot.id}/documents/01DOCCRAB/source`]);

      // The footnote number opens its source too.
      const second = page.waitForEvent('popup');
      const ref = chat('message-text').last().locator('sup a').first();
      await expect(ref.getAttribute('title')).resolves.toBe('fish.txt');
      await ref.click();
      const fish = await second;
      await fish.waitForURL(/\/s3\/get\/01DOCFISH/);
      await expect(fish.locator('body').textContent()).resolves.toBe('Otters eat fish.');
      expect(await axeViolations(page)).toEqual([]);
    });

    test('a source that cannot be opened: the tab is closed and the chat says so', async () => {
      const bot = botWithDocuments();
      await ask(bot);
      backend.sourceStatus = 500;
      const popup = page.waitForEvent('popup');
      await chat('citation').getByRole('button', { name: 'fish.txt' }).click();
      const tab = await popup;
      if (!tab.isClosed()) await tab.waitForEvent('close');
      await chat('error').filter({ hasText: 'The source could not be opened. Please try again.' }).waitFor();
      // A document deleted since: 404.
      backend.sourceStatus = 200;
      backend.knowledgeDocs.get(bot.id)!.splice(0, 1);
      const again = page.waitForEvent('popup');
      await chat('citation').getByRole('button', { name: 'fish.txt' }).click();
      const closed = await again;
      if (!closed.isClosed()) await closed.waitForEvent('close');
      await chat('error').filter({ hasText: 'This source is no longer available.' }).waitFor();
      const errors = await page.evaluate(() => (window as unknown as { events: { type: string; detail: { code: string } }[] }).events
        .filter((e) => e.type === 'bedrock-chat-error').map((e) => e.detail.code));
      expect(errors).toEqual(['SOURCE', 'SOURCE']);
    });

    test('an answer the guardrail blocked (not grounded in the sources) shows no sources, live as after a reload', async () => {
      const bot = backend.addBot({ title: 'Otter facts' });
      backend.scripts.set('What do otters eat?', {
        citationsFirst: true,
        deltas: ['Sorry, I cannot answer that from the documents.'],
        citations: [{ sourceId: '1', title: 'fish.txt', documentId: '01DOCFISH', snippet: 'Otters eat fish.' }],
        stopReason: 'guardrail_intervened',
      });
      await ask(bot);
      await expect(chat('message-text').last().textContent()).resolves.toBe('Sorry, I cannot answer that from the documents.');
      await expect(sources()).resolves.toEqual([]);
    });

    test('stored citations come back with the answer after a reload: the Sources list, the page and [^n] links', async () => {
      const bot = botWithDocuments();
      await ask(bot);
      const [conversation] = [...backend.conversations.values()];
      await page.waitForFunction((id) => location.hash === `#/c/${id}`, conversation.id);
      await page.reload();
      await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
      await chat('message').filter({ hasText: 'What do otters eat?' }).first().waitFor();
      await chat('citation').first().waitFor();
      await expect(sources()).resolves.toEqual(['fish.txt', 'crabs.pdf p. 3']);
      const refs = chat('message-text').last().locator('sup a');
      await expect(refs.evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('title')]))).resolves.toEqual([['1', 'fish.txt'], ['2', 'crabs.pdf']]);
      const popup = page.waitForEvent('popup');
      await refs.nth(1).click();
      await (await popup).waitForURL(/\/s3\/get\/01DOCCRAB/);
    });
  });
});
