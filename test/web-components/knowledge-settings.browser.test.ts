/// <reference lib="dom" />
/**
 * A bot's knowledge settings (docs/knowledge-contract.md, "Slice 2") in Chromium against the fake backend: the modes
 * `GET /knowledge/bases` offers, a dedicated knowledge base's state read live while it is not final (with a growing
 * wait, and never once the editor is closed), uploads only while it is ACTIVE, "Sync now" and a failed sync with its
 * reason, figures and failed documents, an unsafe crawler URL and a number out of range refused before saving, the
 * existing knowledge base picker, crawled-page citations opening over https: only; axe. Needs the built bundle:
 * `npx projen bundle:web`.
 */
import type { Page } from 'playwright-core';
import { axeViolations, chromiumSession, describeBrowser, FakeBackend } from './fake-backend';
import type { FakeBot } from './fake-backend';
import { KNOWLEDGE_POLL_MS } from '../../src/web-components/shared/knowledge-rules';
import { settles } from '../settles';

const BASES = {
  existing: [
    { knowledgeBaseId: 'KBHANDBOOK1', name: 'Staff handbook', description: 'HR policies, leave and travel.' },
    { knowledgeBaseId: 'KBPRODUCTS2', name: 'Product catalogue' },
  ],
  dedicated: {
    embeddingModels: [{ modelId: 'amazon.titan-embed-text-v2:0', dimensions: 1024 }, { modelId: 'cohere.embed-multilingual-v3', dimensions: 1024 }],
    parsingModels: ['anthropic.claude-3-haiku-20240307-v1:0'],
  },
};

describeBrowser('knowledge settings (Chromium)', () => {
  const backend = new FakeBackend();
  const chromium = chromiumSession(backend);
  let page: Page;
  beforeEach(async () => {
    backend.bots.clear();
    backend.conversations.clear();
    backend.knowledgeDocs.clear();
    backend.knowledgeSettings.clear();
    backend.knowledgeCalls.length = 0;
    backend.botCalls.length = 0;
    backend.knowledgeEnabled = true;
    backend.knowledgeBases = structuredClone(BASES);
    backend.failCreate = undefined;
    backend.failSync = undefined;
    page = chromium.page;
    await page.clock.install();
  });
  afterEach(() => {
    backend.knowledgeEnabled = false;
  });

  const editor = () => page.locator('bedrock-chat-bot-editor');
  const settings = () => page.locator('bedrock-chat-knowledge-settings');
  const section = () => page.locator('bedrock-chat-bot-knowledge');
  const reads = (botId: string) => backend.botCalls.filter((c) => c.method === 'GET' && c.path === `/api/bots/${botId}`).length;
  const patches = (botId: string) => backend.botCalls.filter((c) => c.method === 'PATCH' && c.path === `/api/bots/${botId}`);

  async function openEditor(bot: FakeBot): Promise<void> {
    await page.goto(`${backend.origin}/app-test.html#/bots/${bot.id}/edit`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await settings().getByRole('group', { name: 'Knowledge source' }).waitFor();
  }

  const save = () => editor().locator('[part~="save"]').click();
  const saved = () => editor().locator('[part~="status"]').filter({ hasText: 'Saved.' }).waitFor();
  /** Advances the page's clock, then gives a read it started the time to arrive. */
  async function tick(ms: number): Promise<void> {
    await page.clock.runFor(ms);
    await page.waitForTimeout(300);
  }

  test('dedicated: CREATING then ACTIVE read live with a growing wait, uploads only once ACTIVE, Sync now, a failed sync with its reason', async () => {
    const bot = backend.addBot({ title: 'Crawler bot', owner: 'you', scope: 'private' });
    await openEditor(bot);
    await settings().getByLabel('A knowledge base of this bot\'s own (documents and web pages)').check();
    await settings().getByLabel('Embedding model').selectOption('cohere.embed-multilingual-v3');
    await settings().getByLabel('Chunking').selectOption('SEMANTIC');
    await settings().getByLabel('Maximum tokens').fill('512');
    await settings().getByLabel('Buffer size').fill('1');
    await settings().getByLabel('Breakpoint percentile threshold').fill('90');
    await settings().getByLabel('Parsing', { exact: true }).selectOption('BEDROCK_FOUNDATION_MODEL');
    await settings().getByLabel('Number of results').fill('8');
    expect(await axeViolations(page)).toEqual([]);
    // Shared until saved: its (empty) list of documents was read.
    await section().getByText('No documents yet.').waitFor();
    await save();
    await saved();
    const afterSave = backend.knowledgeCalls.length;
    expect(patches(bot.id).map((c) => (c.body as Record<string, unknown>).knowledge)).toEqual([{
      mode: 'dedicated',
      numberOfResults: 8,
      dedicated: {
        embeddingModelId: 'cohere.embed-multilingual-v3',
        chunking: { strategy: 'SEMANTIC', maxTokens: 512, bufferSize: 1, breakpointPercentileThreshold: 90 },
        parsing: { strategy: 'BEDROCK_FOUNDATION_MODEL', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
      },
    }]);

    // CREATING: no documents can be added yet, and why.
    const state = section().locator('[part~="kb-state"]');
    await state.filter({ hasText: 'The knowledge base is being created…' }).waitFor();
    await expect(section().getByRole('button', { name: /Add documents…/ }).isDisabled()).resolves.toBe(true);
    await expect(section().locator('[part~="upload-blocked"]').textContent()).resolves.toBe('Documents can be added once the knowledge base is ready.');
    await expect(section().getByRole('button', { name: 'Sync now' }).count()).resolves.toBe(0);
    // Not ACTIVE: its documents are not asked for (the server would answer 409 NOT_READY).
    expect(backend.knowledgeCalls.slice(afterSave).filter((c) => c.path.endsWith('/documents') || c.path.endsWith('/uploads'))).toEqual([]);

    // The bot is read again after 2 s (still CREATING), then 3 s later (1.5 times longer): not 2 s later, and ACTIVE
    // once read. (The page's clock also flows as usual: the margins are far above the time the steps take.)
    const before = reads(bot.id);
    await page.clock.runFor(KNOWLEDGE_POLL_MS);
    await settles(() => reads(bot.id), before + 1);
    backend.advanceKnowledge(bot.id);
    await tick(KNOWLEDGE_POLL_MS);
    expect(reads(bot.id)).toBe(before + 1);
    await expect(state.textContent()).resolves.toBe('The knowledge base is being created…');
    await page.clock.runFor(KNOWLEDGE_POLL_MS / 2);
    await state.filter({ hasText: 'The knowledge base is ready.' }).waitFor();
    // ACTIVE: its documents are listed and can be added; its first sync is queued, then runs (read 2 s after a change).
    await section().getByText('No documents yet.').waitFor();
    await expect(section().getByRole('button', { name: /Add documents…/ }).isDisabled()).resolves.toBe(false);
    await expect(section().locator('[part~="sync"]').textContent()).resolves.toBe('Sync: waiting to start');
    await expect(section().getByRole('button', { name: 'Sync now' }).isDisabled()).resolves.toBe(true);
    backend.advanceKnowledge(bot.id);
    await page.clock.runFor(KNOWLEDGE_POLL_MS);
    await section().locator('[part~="sync"]').filter({ hasText: 'Sync: running…' }).waitFor();
    backend.advanceKnowledge(bot.id);
    await page.clock.runFor(KNOWLEDGE_POLL_MS);
    await section().locator('[part~="sync"]').filter({ hasText: 'Sync: done (0 scanned, 0 indexed, 0 failed)' }).waitFor();
    await settles(() => section().locator('[role="status"][aria-live="polite"]').textContent(), 'The knowledge base is ready. Sync: done');
    await expect(section().getByRole('button', { name: 'Sync now' }).isDisabled()).resolves.toBe(false);
    // Final: nothing more is read.
    const final = reads(bot.id);
    await tick(60_000);
    expect(reads(bot.id)).toBe(final);

    // Sync now: the POST, then the sync read live to its failure, with the reason, the figures and the failed pages.
    backend.failSync = { reason: 'Some documents could not be indexed.', failedDocuments: [{ uri: 'https://docs.example.com/big.pdf', reason: 'The file is too large.' }] };
    await section().getByRole('button', { name: 'Sync now' }).click();
    await section().locator('[part~="sync"]').filter({ hasText: 'Sync: waiting to start' }).waitFor();
    expect(backend.knowledgeCalls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual([`/api/knowledge/bots/${bot.id}/sync`]);
    backend.advanceKnowledge(bot.id);
    await page.clock.runFor(KNOWLEDGE_POLL_MS);
    await section().locator('[part~="sync"]').filter({ hasText: 'Sync: running…' }).waitFor();
    backend.advanceKnowledge(bot.id);
    await page.clock.runFor(KNOWLEDGE_POLL_MS);
    await section().locator('[part~="sync"]').filter({ hasText: 'Sync: failed (1 scanned, 0 indexed, 1 failed)' }).waitFor();
    await expect(section().locator('[part~="sync-reason"]').textContent()).resolves.toBe('Some documents could not be indexed.');
    await expect(section().locator('[part~="sync-failed"] li').allTextContents()).resolves.toEqual(['https://docs.example.com/big.pdf: The file is too large.']);
    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await axeViolations(page)).toEqual([]);
  });

  test('a failed creation shows its reason; the state is not read once the editor is closed', async () => {
    backend.failCreate = 'The embedding model is not enabled in this account.';
    const bot = backend.addBot({ title: 'Doomed', owner: 'you', scope: 'private' });
    await openEditor(bot);
    await settings().getByLabel('A knowledge base of this bot\'s own (documents and web pages)').check();
    await save();
    await saved();
    await section().locator('[part~="kb-state"]').filter({ hasText: 'The knowledge base is being created…' }).waitFor();
    await tick(KNOWLEDGE_POLL_MS);
    // Closed while CREATING: no more reads.
    await page.evaluate(() => { location.hash = '#/'; });
    await section().waitFor({ state: 'detached' });
    const closed = reads(bot.id);
    await tick(60_000);
    expect(reads(bot.id)).toBe(closed);

    backend.advanceKnowledge(bot.id);
    await openEditor(bot);
    await section().locator('[part~="kb-state"]').filter({ hasText: 'The knowledge base could not be created.' }).waitFor();
    await expect(section().locator('[part~="kb-reason"]').textContent()).resolves.toBe('The embedding model is not enabled in this account.');
    await expect(section().getByRole('button', { name: /Add documents…/ }).isDisabled()).resolves.toBe(true);
    await expect(section().getByRole('button', { name: 'Sync now' }).count()).resolves.toBe(0);
  });

  test('an unsafe crawler URL and a number out of range are refused with the reason before saving; then the crawler is saved', async () => {
    const bot = backend.addBot({ title: 'Web bot', owner: 'you', scope: 'private' });
    await openEditor(bot);
    await settings().getByLabel('A knowledge base of this bot\'s own (documents and web pages)').check();
    // Hierarchical: child chunks are cut from their parents, so they must be smaller (as the server says).
    await settings().getByLabel('Chunking').selectOption('HIERARCHICAL');
    await settings().getByLabel('Child chunk tokens').fill('2000');
    await save();
    await settings().locator('[id="ke-knowledge.dedicated.chunking.childMaxTokens"]').filter({ hasText: 'Child chunks must be smaller than parent chunks.' }).waitFor();
    expect(patches(bot.id)).toEqual([]);
    await settings().getByLabel('Chunking').selectOption('FIXED_SIZE');
    await settings().getByLabel('Overlap (%)').fill('100');
    await settings().getByLabel('Crawl web pages too').check();
    const seeds = settings().getByLabel('Seed URLs');
    await seeds.fill('https://docs.example.com/guide\nhttp://169.254.169.254/latest/meta-data\nhttp://printer.local/');
    await settings().getByLabel('Pages a minute').fill('301');
    await save();
    const error = (field: string) => settings().locator(`[id="ke-${field}"]`);
    await error('knowledge.dedicated.webCrawler.seedUrls').filter({ hasText: 'cannot be crawled' }).waitFor();
    await expect(error('knowledge.dedicated.webCrawler.seedUrls').textContent()).resolves.toBe(
      'http://169.254.169.254/latest/meta-data cannot be crawled: an address that is not public (loopback, private, link-local, reserved, multicast…) cannot be crawled.'
      + ' http://printer.local/ cannot be crawled: a local, internal or instance metadata host name cannot be crawled.');
    await expect(error('knowledge.dedicated.chunking.overlapPercentage').textContent()).resolves.toBe('A whole number from 1 to 99.');
    await expect(error('knowledge.dedicated.webCrawler.maxPagesPerMinute').textContent()).resolves.toBe('A whole number from 1 to 300.');
    await expect(settings().getByLabel('Overlap (%)').getAttribute('aria-invalid')).resolves.toBe('true');
    // The first field in error has the focus; nothing was sent.
    await expect(settings().getByLabel('Overlap (%)').evaluate((el) => (el.getRootNode() as ShadowRoot).activeElement === el)).resolves.toBe(true);
    expect(patches(bot.id)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);

    await settings().getByLabel('Overlap (%)').fill('10');
    await seeds.fill('https://docs.example.com/guide\n\nhttps://blog.example.com/');
    await settings().getByLabel('Scope').selectOption('SUBDOMAINS');
    await settings().getByLabel('Exclude patterns').fill('.*\\.pdf$');
    await settings().getByLabel('Pages a minute').fill('60');
    await save();
    await saved();
    expect(patches(bot.id).map((c) => (c.body as Record<string, unknown>).knowledge)).toEqual([{
      mode: 'dedicated',
      numberOfResults: 5,
      dedicated: {
        embeddingModelId: 'amazon.titan-embed-text-v2:0',
        chunking: { strategy: 'FIXED_SIZE', maxTokens: 300, overlapPercentage: 10 },
        webCrawler: { seedUrls: ['https://docs.example.com/guide', 'https://blog.example.com/'], scope: 'SUBDOMAINS', excludePatterns: ['.*\\.pdf$'], maxPagesPerMinute: 60 },
      },
    }]);
    await section().locator('[part~="kb-state"]').filter({ hasText: 'The knowledge base is being created…' }).waitFor();
  });

  test('existing: the picker, the search type; the bot has no documents here; with nothing offered only the shared mode', async () => {
    const bot = backend.addBot({ title: 'Handbook bot', owner: 'you', scope: 'private' });
    await openEditor(bot);
    await settings().getByLabel('An existing knowledge base of the deployment').check();
    const picker = settings().getByLabel('Knowledge base', { exact: true });
    await expect(picker.locator('option').allTextContents()).resolves.toEqual(['Staff handbook', 'Product catalogue']);
    await settings().getByText('HR policies, leave and travel.').waitFor();
    await picker.selectOption('KBPRODUCTS2');
    await settings().getByLabel('Search type').selectOption('HYBRID');
    await settings().getByLabel('Number of results').fill('12');
    expect(await axeViolations(page)).toEqual([]);
    await save();
    await saved();
    expect(patches(bot.id).map((c) => (c.body as Record<string, unknown>).knowledge)).toEqual([
      { mode: 'existing', numberOfResults: 12, existing: { knowledgeBaseId: 'KBPRODUCTS2' }, searchType: 'HYBRID' },
    ]);
    await section().getByText('This bot answers from an existing knowledge base of the deployment: it has no documents of its own here.').waitFor();
    await expect(section().locator('[part~="drop-zone"]').count()).resolves.toBe(0);

    // Opened again: the stored choice; its documents are not asked for (the server would answer 409 EXISTING).
    const beforeReload = backend.knowledgeCalls.length;
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await expect(settings().getByLabel('An existing knowledge base of the deployment').isChecked()).resolves.toBe(true);
    await expect(settings().getByLabel('Knowledge base', { exact: true }).inputValue()).resolves.toBe('KBPRODUCTS2');
    await expect(settings().getByLabel('Search type').inputValue()).resolves.toBe('HYBRID');
    expect(backend.knowledgeCalls.slice(beforeReload).filter((c) => c.path.includes('/documents'))).toEqual([]);

    // A deployment that offers neither: only the shared mode.
    backend.knowledgeBases = { existing: [], dedicated: null };
    const plain = backend.addBot({ title: 'Plain', owner: 'you', scope: 'private' });
    await openEditor(plain);
    await expect(settings().getByRole('radio').count()).resolves.toBe(1);
    await expect(settings().getByLabel('Documents added to this bot (the deployment\'s knowledge base)').isChecked()).resolves.toBe(true);
  });

  test('the server\'s refusal of a knowledge field is shown beside it', async () => {
    const bot = backend.addBot({ title: 'Late change', owner: 'you', scope: 'private' });
    await openEditor(bot);
    await settings().getByLabel('An existing knowledge base of the deployment').check();
    // The deployment stops offering it after the editor asked.
    backend.knowledgeBases.existing = [];
    await save();
    const error = settings().locator('[id="ke-knowledge.existing.knowledgeBaseId"]');
    await error.filter({ hasText: 'knowledge.existing.knowledgeBaseId: not a knowledge base of this deployment' }).waitFor();
    await expect(settings().getByLabel('Knowledge base', { exact: true }).evaluate((el) => (el.getRootNode() as ShadowRoot).activeElement === el)).resolves.toBe(true);
    expect(patches(bot.id).length).toBe(1);
    await expect(editor().locator('form > [part~="status"]').textContent()).resolves.toBe('');
  });

  test('a crawled page\'s citation opens the page over https: only, without an opener', async () => {
    const bot = backend.addBot({ title: 'Web facts' });
    backend.scripts.set('What is new?', {
      citationsFirst: true,
      deltas: ['Version 2 is out[^1][^2].'],
      citations: [
        { sourceId: '1', title: 'Release notes', url: 'https://docs.example.com/releases', snippet: 'Version 2' },
        { sourceId: '2', title: 'Old mirror', url: 'http://mirror.example.com/releases', snippet: 'Version 2' },
      ],
    });
    await page.goto(`${backend.origin}/app-test.html#/bots/${bot.id}`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    const chat = (part: string) => page.locator(`bedrock-chat-app [part="chat"] [part~="${part}"]`);
    await chat('input').fill('What is new?');
    await chat('input').press('Enter');
    await page.locator('bedrock-chat-app bedrock-chat [part~="assistant"][data-status="done"]').waitFor();
    const link = chat('citation').getByRole('link', { name: 'Release notes' });
    await expect(link.getAttribute('href')).resolves.toBe('https://docs.example.com/releases');
    await expect(link.getAttribute('rel')).resolves.toContain('noopener');
    await expect(link.getAttribute('target')).resolves.toBe('_blank');
    await expect(chat('citation').filter({ hasText: 'Old mirror' }).locator('a').count()).resolves.toBe(0);
    // The footnotes: [^1] links the https: page; [^2] is no link to the http: one.
    const refs = chat('message-text').last().locator('sup a');
    await expect(refs.evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).getAttribute('href')))).resolves.toEqual(['https://docs.example.com/releases', '#fn-2']);
  });
});
