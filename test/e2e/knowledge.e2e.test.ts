/**
 * Knowledge in bots on the real local stack (docs/knowledge-contract.md: the knowledge-api function, the local
 * knowledge base, the worker's retrieval, the offline model that cites): alice creates a bot, adds a text document in
 * the editor's Knowledge section (the three-step upload to the emulated S3), watches it reach "Ready", asks the bot,
 * sees the answer cite the document, opens the source in a new tab (the presigned GET of the document) and deletes
 * the bot, after which its documents are gone. axe finds nothing on the screens; the app's strict CSP is in force.
 */
import { BedrockAgentClient, GetKnowledgeBaseCommand } from '@aws-sdk/client-bedrock-agent';
import type { BrowserContext, Page } from 'playwright-core';
import { axeViolations, describeChromium, playgroundSession, signInAs, watchPage } from './harness';
import { Playground } from '../../src/local/playground';

const FACT = 'The giant otter of the Pantanal hunts piranhas in family groups of up to twenty.';

describeChromium('knowledge in bots on the playground', () => {
  let pg: Playground;
  let context: BrowserContext;
  const problems: string[] = [];

  // the state machines' Wait states are capped at 20 ms (the dedicated knowledge base's polls)
  const session = playgroundSession({ built: 'bedrock-chat-app.js', playground: { quiet: true, wordDelayMs: 5, stateMachineMaxWaitMs: 20 } });
  beforeAll(() => {
    pg = session.pg;
  });

  async function signIn(user: 'alice'): Promise<Page> {
    context = await session.newContext();
    const page = await context.newPage();
    watchPage(page, (problem) => problems.push(problem), { prefix: user });
    await signInAs(page, pg, user);
    await page.locator('bedrock-chat-bot-list [part~="store"]').waitFor();
    return page;
  }

  async function rest(method: string, path: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${pg.restApiUrl}${path}`, { method, headers: { authorization: `Bearer ${pg.issueToken('alice')}` } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  test('alice adds a document to a bot, sees it indexed, gets a cited answer, opens the source, deletes the bot', async () => {
    const title = `Pantanal guide ${Date.now().toString(36)}`;
    const alice = await signIn('alice');
    await alice.getByRole('link', { name: 'Create a bot' }).click();
    const editor = alice.locator('bedrock-chat-bot-editor');
    await editor.getByRole('heading', { name: 'New bot' }).waitFor();
    await editor.getByLabel('Title', { exact: true }).fill(title);
    await editor.getByLabel('Instructions', { exact: true }).fill('Answer from the documents and cite them.');
    await editor.getByRole('button', { name: 'Create' }).click();
    await editor.getByRole('heading', { name: `Edit “${title}”` }).waitFor({ timeout: 20_000 });
    const botId = /^#\/bots\/([^/]+)\/edit$/.exec(await alice.evaluate(() => location.hash))?.[1];
    expect(botId).toBeDefined();

    // The Knowledge section (the deployment has a knowledge base): add a text document.
    const section = alice.locator('bedrock-chat-bot-knowledge');
    await section.getByRole('heading', { name: 'Knowledge' }).waitFor({ timeout: 20_000 });
    await section.getByText('No documents yet.').waitFor({ timeout: 20_000 });
    const chooser = alice.waitForEvent('filechooser');
    await section.getByRole('button', { name: 'Add documents…' }).click();
    await (await chooser).setFiles([{ name: 'giant-otters.txt', mimeType: 'text/plain', buffer: Buffer.from(`${FACT}\n`) }]);
    const doc = section.locator('[part~="document"]').filter({ hasText: 'giant-otters.txt' });
    await doc.locator('[part~="document-status"]').filter({ hasText: 'Ready' }).waitFor({ timeout: 90_000 });
    const listed = await rest('GET', `/knowledge/bots/${botId}/documents`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toMatchObject([{ name: 'giant-otters.txt', contentType: 'text/plain', status: 'SUCCEEDED' }]);
    expect(await axeViolations(alice)).toEqual([]);

    // Ask the bot: the answer cites the document (a citation frame before the text, `[^1]` in the answer).
    await alice.evaluate((id) => { location.hash = `#/bots/${id}`; }, botId);
    const chat = (part: string) => alice.locator(`bedrock-chat-app [part="chat"] [part~="${part}"]`);
    await chat('bot-title').filter({ hasText: title }).waitFor({ timeout: 20_000 });
    await chat('input').fill('What does the giant otter hunt?');
    await chat('input').press('Enter');
    await alice.locator('bedrock-chat-app [part="chat"] [part~="assistant"][data-status="done"]').waitFor({ timeout: 60_000 });
    const source = chat('citation').getByRole('button', { name: 'giant-otters.txt' });
    await source.waitFor();

    // Open the source: a new tab on the presigned GET of the document.
    const popup = alice.waitForEvent('popup');
    await source.click();
    // The tab opens on about:blank during the click and is pointed at the URL once the route answers: wait for that
    // navigation, not for the blank page's load.
    const tab = await popup;
    await tab.waitForURL((u) => u.protocol === 'http:' || u.protocol === 'https:');
    await expect(tab.evaluate(() => window.opener)).resolves.toBeNull();
    await expect(tab.locator('body').textContent()).resolves.toContain(FACT);
    await tab.close();
    expect(await axeViolations(alice)).toEqual([]);

    // Delete the bot: its documents go with it.
    await alice.evaluate((id) => { location.hash = `#/bots/${id}/edit`; }, botId);
    await editor.getByRole('heading', { name: `Edit “${title}”` }).waitFor({ timeout: 20_000 });
    await editor.getByRole('button', { name: 'Delete', exact: true }).click();
    await editor.locator('[part~="delete-confirm"]').click();
    await alice.waitForFunction(() => location.hash === '#/');
    expect((await rest('GET', `/knowledge/bots/${botId}/documents`)).status).toBe(404);
    expect(problems).toEqual([]);
  });
  test('alice gives a bot its own knowledge base: chooses it in the editor, watches it become ready, adds a document, gets a cited answer; deleting the bot removes the knowledge base', async () => {
    await context?.close();
    const title = `Lighthouse lore ${Date.now().toString(36)}`;
    const alice = await signIn('alice');
    await alice.getByRole('link', { name: 'Create a bot' }).click();
    const editor = alice.locator('bedrock-chat-bot-editor');
    await editor.getByRole('heading', { name: 'New bot' }).waitFor();
    await editor.getByLabel('Title', { exact: true }).fill(title);
    const settings = alice.locator('bedrock-chat-knowledge-settings');
    await settings.getByRole('group', { name: 'Knowledge source' }).waitFor({ timeout: 20_000 });
    await settings.getByLabel('A knowledge base of this bot\'s own (documents and web pages)').check();
    await settings.getByLabel('Chunking').selectOption('HIERARCHICAL');
    expect(await axeViolations(alice)).toEqual([]);
    await editor.getByRole('button', { name: 'Create' }).click();
    await editor.getByRole('heading', { name: `Edit “${title}”` }).waitFor({ timeout: 20_000 });
    const botId = /^#\/bots\/([^/]+)\/edit$/.exec(await alice.evaluate(() => location.hash))?.[1];
    expect(botId).toBeDefined();

    // The provision machine runs (locally from its synthesized definition); the editor reads the state live.
    const section = alice.locator('bedrock-chat-bot-knowledge');
    await section.locator('[part~="kb-state"]').filter({ hasText: 'The knowledge base is ready.' }).waitFor({ timeout: 60_000 });
    await section.locator('[part~="sync"]').filter({ hasText: 'Sync: done (0 scanned, 0 indexed, 0 removed, 0 failed)' }).waitFor({ timeout: 60_000 });
    const view = await rest('GET', `/bots/${botId}`);
    expect(view.body.knowledge).toMatchObject({ mode: 'dedicated', dedicated: { chunking: { strategy: 'HIERARCHICAL' } }, state: { status: 'ACTIVE' } });
    const knowledgeBaseId = view.body.knowledge.state.knowledgeBaseId as string;
    expect(knowledgeBaseId).not.toBe(pg.stack.outputs.KnowledgeBaseId);

    const chooser = alice.waitForEvent('filechooser');
    await section.getByRole('button', { name: 'Add documents…' }).click();
    await (await chooser).setFiles([{ name: 'lighthouse.txt', mimeType: 'text/plain', buffer: Buffer.from('The keeper of Skerry Point climbs 214 steps to the lamp every evening.\n') }]);
    await section.locator('[part~="document"]').filter({ hasText: 'lighthouse.txt' }).locator('[part~="document-status"]').filter({ hasText: 'Ready' }).waitFor({ timeout: 90_000 });
    expect(await axeViolations(alice)).toEqual([]);

    await alice.evaluate((id) => { location.hash = `#/bots/${id}`; }, botId);
    const chat = (part: string) => alice.locator(`bedrock-chat-app [part="chat"] [part~="${part}"]`);
    await chat('bot-title').filter({ hasText: title }).waitFor({ timeout: 20_000 });
    await chat('input').fill('How many steps does the keeper climb?');
    await chat('input').press('Enter');
    await alice.locator('bedrock-chat-app [part="chat"] [part~="assistant"][data-status="done"]').waitFor({ timeout: 60_000 });
    await chat('citation').getByRole('button', { name: 'lighthouse.txt' }).waitFor();

    await alice.evaluate((id) => { location.hash = `#/bots/${id}/edit`; }, botId);
    await editor.getByRole('heading', { name: `Edit “${title}”` }).waitFor({ timeout: 20_000 });
    await editor.getByRole('button', { name: 'Delete', exact: true }).click();
    await editor.locator('[part~="delete-confirm"]').click();
    await alice.waitForFunction(() => location.hash === '#/');
    const agent = new BedrockAgentClient({ endpoint: pg.stack.knowledge!.agentEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, region: 'us-east-1' });
    try {
      let gone = false;
      for (let i = 0; i < 200 && !gone; i++) {
        await pg.stack.idleStateMachines();
        gone = await agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId })).then(() => false, (err: Error) => err.name === 'ResourceNotFoundException');
        if (!gone) await new Promise((r) => setTimeout(r, 50));
      }
      expect(gone).toBe(true);
    } finally {
      agent.destroy();
    }
    expect(problems).toEqual([]);
  }, 240_000);
});
