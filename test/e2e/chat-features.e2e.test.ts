/**
 * The chat controls of the widget against the real local stack (handlers, emulators, presigned uploads into s3rver):
 * model picker, regenerate with branch navigation, stop, attachments. Strict CSP in force; any page error fails.
 */
import type { Page } from 'playwright-core';
import { describeChromium, PICKER_MODELS, playgroundSession, signInAs, watchPage } from './harness';
import type { FakeRequest, FakeScript } from '../../src/local/emulators/bedrock';
import { offlineModel } from '../../src/local/offline-model';
import { Playground } from '../../src/local/playground';

describeChromium('widget controls on the playground', () => {
  let pg: Playground;
  let page: Page;
  let script: ((req: FakeRequest) => FakeScript) | undefined;
  const offline = offlineModel({ wordDelayMs: 5 });
  const problems: string[] = [];
  const widget = (part: string) => page.locator(`bedrock-chat [part~="${part}"]`);
  const lastStream = () => pg.bedrockRequests().filter((r) => r.operation === 'ConverseStream').pop()!;

  const session = playgroundSession({
    built: 'bedrock-chat.js',
    playground: {
      quiet: true,
      models: PICKER_MODELS,
      respond: (req) => (script ?? offline)(req),
    },
  });
  beforeAll(async () => {
    pg = session.pg;
    page = await session.browser.newPage();
    watchPage(page, (problem) => problems.push(problem), { responses: true });
    await signInAs(page, pg, 'bob');
  });

  afterEach(() => {
    script = undefined;
    expect(problems).toEqual([]);
  });

  async function send(text: string): Promise<void> {
    await widget('input').fill(text);
    await widget('input').press('Enter');
  }

  const answers = () => page.locator('bedrock-chat [part~="message"][part~="assistant"]');

  test('the model picker lists the deployment\'s models by name and sends the chosen one', async () => {
    const picker = widget('model-picker');
    await picker.waitFor();
    expect(await picker.locator('option').allTextContents()).toEqual(['Offline model', 'Offline, priced']);
    await picker.selectOption({ label: 'Offline, priced' });
    await send('which model?');
    await answers().last().locator('[part~="usage"]').waitFor();
    expect(lastStream().modelId).toBe('local.offline-priced');
    expect(await answers().last().locator('[part~="usage"]').textContent()).toMatch(/tokens · \$0\.\d+/);
    await picker.selectOption({ label: 'Offline model' });
  });

  test('regenerate makes a second version, and the branch navigation switches between them', async () => {
    const before = await answers().count();
    await answers().last().locator('[part~="regenerate"]').click();
    await answers().last().locator('[part~="branch-nav"]').waitFor();
    expect(await answers().count()).toBe(before);
    const nav = answers().last().locator('[part~="branch-nav"]');
    await expect(nav.textContent()).resolves.toContain('2/2');
    await nav.locator('[part~="branch-prev"]').click();
    await expect(answers().last().locator('[part~="branch-nav"]').textContent()).resolves.toContain('1/2');
  });

  test('stop keeps the partial answer, marked stopped, in the browser and in storage', async () => {
    script = () => ({ steps: Array.from({ length: 400 }, (_, i) => ({ type: 'text' as const, text: `word${i} `, delayMs: 15 })) });
    await send('a very long story please');
    await answers().last().locator('[part~="message-text"]').filter({ hasText: 'word1' }).waitFor();
    await widget('stop').click();
    await answers().last().locator('[part~="message-note"]').filter({ hasText: /stopped/i }).waitFor();
    await pg.idle();
    const shown = (await answers().last().locator('[part~="message-text"]').textContent()) ?? '';
    expect(shown).toMatch(/^word0 word1 /);
    expect(shown).not.toContain('word399');
    const id = await answers().last().getAttribute('data-message-id');
    const list = await (await fetch(`${pg.restApiUrl}/conversations`, { headers: { authorization: `Bearer ${pg.issueToken('bob')}` } })).json();
    const conv = await (await fetch(`${pg.restApiUrl}/conversations/${list.items[0].id}`, { headers: { authorization: `Bearer ${pg.issueToken('bob')}` } })).json();
    expect(conv.messages.find((m: { id: string }) => m.id === id)).toMatchObject({ stopReason: 'stopped' });
  });

  test('an attachment is uploaded with a presigned PUT and reaches the model as a document', async () => {
    await page.locator('bedrock-chat input[type=file]').setInputFiles({ name: 'meeting notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Agenda: ship it') });
    // The locator reaches into nested shadow roots (the chat may sit inside <bedrock-chat-app>).
    await page.locator('bedrock-chat [part~="attachment"][data-state="ready"]').first().waitFor();
    await send('summarize the notes');
    await answers().last().locator('[part~="message-text"]').filter({ hasText: 'summarize the notes' }).waitFor();
    const content = lastStream().body.messages!.pop()!.content;
    expect(content).toEqual([
      { text: 'summarize the notes' },
      { document: { format: 'txt', name: 'meeting notes', source: { bytes: Buffer.from('Agenda: ship it').toString('base64') } } },
    ]);
  });
});
