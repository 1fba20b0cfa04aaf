/// <reference lib="dom" />
/**
 * The remaining widget and app features against the real local stack (handlers, emulators, offline model), under the
 * playground's strict CSP: edit (a branch, ‹ n/m ›), Continue after max_tokens, Copy, thumbs feedback stored and read
 * back through REST, the title in the history, usage and price, a model error (mid-stream and throttled) shown in
 * words with a working Retry, launcher mode on a playground page, the settings' default model, and the main flow by
 * keyboard with a visible focus. Any page error, CSP violation or HTTP error fails a test.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import type { BrowserContext, Page } from 'playwright-core';
import { CONTINUE_INSTRUCTION } from '../../src/lambdas/core/model';
import type { FakeRequest, FakeScript } from '../../src/local/emulators/bedrock';
import { lastUserText, offlineModel, offlineReply } from '../../src/local/offline-model';
import { Playground } from '../../src/local/playground';
import { settles } from '../settles';
import { describeChromium, PICKER_MODELS, playgroundSession, watchPage } from './harness';

const USER = 'bob';
const AXE = join(__dirname, '../../node_modules/axe-core/axe.min.js');

interface Recorded {
  type: string;
  detail: { code?: string; message?: string; conversationId?: string; messageId?: string; text?: string };
}
interface StoredMessage {
  id: string;
  parentId: string | null;
  role: string;
  content: { text?: string }[];
  stopReason?: string;
  usage?: { inputTokens: number; outputTokens: number };
  price?: number;
  feedback?: Record<string, unknown>;
}
interface Focused {
  part: string | null;
  tag: string;
  focusVisible: boolean;
  outline: string;
  outlineWidth: number;
  inActions: boolean;
  inLastAnswer: boolean;
}

describeChromium('widget and app features on the playground', () => {
  let pg: Playground;
  let context: BrowserContext;
  let page: Page;
  let script: ((req: FakeRequest) => FakeScript) | undefined;
  const offline = offlineModel({ wordDelayMs: 3 });
  const problems: string[] = [];

  const chat = (part: string) => page.locator(`bedrock-chat [part~="${part}"]`);
  const answers = () => page.locator('bedrock-chat [part~="message"][part~="assistant"]');
  const questions = () => page.locator('bedrock-chat [part~="message"][part~="user"]');
  const textOf = (message: ReturnType<typeof answers>) => message.locator('[part="message-text"]');
  const streams = () => pg.bedrockRequests().filter((r) => r.operation === 'ConverseStream');
  const events = (type: string) => page.evaluate((t) => (window as unknown as { __events: Recorded[] }).__events.filter((e) => e.type === t), type);
  const conversationId = () => page.locator('bedrock-chat').first().evaluate((e) => (e as unknown as { panel?: { conversationId?: string } }).panel?.conversationId);

  async function rest<T>(path: string): Promise<T> {
    const res = await fetch(`${pg.restApiUrl}${path}`, { headers: { authorization: `Bearer ${pg.issueToken(USER)}` } });
    expect(res.status).toBe(200);
    return await res.json() as T;
  }

  async function stored(): Promise<StoredMessage[]> {
    const id = await conversationId();
    expect(id).toBeTruthy();
    return (await rest<{ messages: StoredMessage[] }>(`/conversations/${id}`)).messages;
  }


  const session = playgroundSession({
    built: 'bedrock-chat-app.js',
    playground: {
      quiet: true,
      models: PICKER_MODELS,
      respond: (req) => (script ?? offline)(req),
    },
  });
  beforeAll(async () => {
    pg = session.pg;
    context = await session.browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    // Through the DevTools protocol (not subject to the page's CSP): records the widget's events on every page.
    await context.addInitScript(() => {
      const w = window as unknown as { __events: Recorded[] };
      w.__events = [];
      for (const type of ['bedrock-chat-message', 'bedrock-chat-error', 'bedrock-chat-conversation']) {
        document.addEventListener(type, (e) => w.__events.push({ type, detail: JSON.parse(JSON.stringify((e as CustomEvent).detail ?? null)) }));
      }
    });
    page = await context.newPage();
    watch(page);
    await page.goto(pg.url);
    await page.getByRole('button', { name: new RegExp(USER, 'i') }).click();
    await page.locator('#signed-in-as').waitFor();
  });

  afterEach(() => {
    script = undefined;
    expect(problems).toEqual([]);
    problems.length = 0;
  });

  function watch(p: Page): void {
    watchPage(p, (problem) => problems.push(problem), { responses: true });
  }

  /** The playground page again (signed in from sessionStorage), with a new chat. */
  async function fresh(): Promise<void> {
    await page.goto(pg.url);
    await page.locator('#signed-in-as').waitFor();
    await chat('input').and(page.locator(':enabled')).waitFor();
    await chat('new-chat').click();
    await settles(() => chat('message').count(), 0);
  }

  /** Sends a message and waits for its answer to finish (or fail). */
  async function ask(text: string): Promise<void> {
    const before = (await events('bedrock-chat-message')).length + (await events('bedrock-chat-error')).length;
    await chat('input').fill(text);
    await chat('input').press('Enter');
    await finished(before);
  }

  async function finished(before: number): Promise<void> {
    await page.waitForFunction((n) => (window as unknown as { __events: Recorded[] }).__events
      .filter((e) => e.type === 'bedrock-chat-message' || e.type === 'bedrock-chat-error').length > n, before, { timeout: 30_000 });
  }

  async function outcomes(): Promise<number> {
    return (await events('bedrock-chat-message')).length + (await events('bedrock-chat-error')).length;
  }

  test('edit a question: the new text is a second version (a branch), and ‹ n/m › switches between the versions', async () => {
    await fresh();
    await ask('What is the capital of Peru?');
    const before = await outcomes();
    await questions().last().locator('[part~="edit"]').click();
    const editor = chat('edit-input');
    // The editor has the focus.
    await expect(editor.evaluate((e) => (e.getRootNode() as ShadowRoot).activeElement === e)).resolves.toBe(true);
    await editor.fill('What is the capital of Chile?');
    await editor.press('Enter');
    await finished(before);

    // The model saw the edited question alone: a sibling of the first one, not a follow-up.
    const request = streams().pop()!;
    expect(request.body.messages).toHaveLength(1);
    expect(lastUserText(request)).toBe('What is the capital of Chile?');
    await expect(textOf(questions().last()).textContent()).resolves.toBe('What is the capital of Chile?');
    await expect(textOf(answers().last()).textContent()).resolves.toBe(offlineReply('What is the capital of Chile?'));
    const nav = questions().last().locator('[part~="branch-nav"]');
    await expect(nav.textContent()).resolves.toMatch(/2\s*\/\s*2/);

    await nav.locator('[part~="branch-prev"]').click();
    await expect(textOf(questions().last()).textContent()).resolves.toBe('What is the capital of Peru?');
    await expect(textOf(answers().last()).textContent()).resolves.toBe(offlineReply('What is the capital of Peru?'));
    await expect(questions().last().locator('[part~="branch-nav"]').textContent()).resolves.toMatch(/1\s*\/\s*2/);
    await questions().last().locator('[part~="branch-next"]').click();
    await expect(textOf(questions().last()).textContent()).resolves.toBe('What is the capital of Chile?');

    // Stored as two root questions, each with its answer.
    const messages = await stored();
    expect(messages.filter((m) => m.role === 'user').map((m) => [m.parentId, m.content[0].text]).sort()).toEqual([
      [null, 'What is the capital of Chile?'],
      [null, 'What is the capital of Peru?'],
    ]);
    expect(messages.filter((m) => m.role === 'assistant')).toHaveLength(2);
  });

  test('Continue: an answer cut at max_tokens grows in place until it is complete, also in storage', async () => {
    script = offlineModel({ wordDelayMs: 3, maxOutputWords: 8 });
    await fresh();
    const question = 'Tell me everything, in a long answer';
    await ask(question);
    const full = offlineReply(question);
    const answer = answers().last();
    await expect(answer.locator('[part~="message-note"]').count()).resolves.toBe(1);
    const first = (await textOf(answer).textContent()) ?? '';
    expect(first.split(/\s+/)).toHaveLength(8);
    expect(full.startsWith(first)).toBe(true);
    const id = await answer.getAttribute('data-message-id');

    let rounds = 0;
    while (await answer.locator('[part~="continue"]').count()) {
      const before = await outcomes();
      await answer.locator('[part~="continue"]').click();
      await finished(before);
      rounds += 1;
      expect(rounds).toBeLessThan(10);
      // The playground's model declares no assistant prefill: the model got the answer so far, then a user turn
      // asking it to continue (the conversation ends with a user turn).
      const [sofar, instruction] = streams().pop()!.body.messages!.slice(-2);
      expect([sofar.role, instruction]).toEqual(['assistant', { role: 'user', content: [{ text: CONTINUE_INSTRUCTION }] }]);
    }
    expect(rounds).toBeGreaterThan(1);
    await expect(answers().count()).resolves.toBe(1);
    await expect(answer.getAttribute('data-message-id')).resolves.toBe(id);
    await expect(textOf(answer).textContent()).resolves.toBe(full);
    await expect(answer.locator('[part~="message-note"]').count()).resolves.toBe(0);
    const saved = (await stored()).find((m) => m.id === id)!;
    expect(saved.content.map((b) => b.text).join('')).toBe(full);
    expect(saved.stopReason).toBe('end_turn');
  });

  test('Copy puts the answer\'s markdown source on the clipboard', async () => {
    const markdown = '# Plan\n\n- **bold** step with `code`\n- [docs](https://example.com/docs)';
    script = (req) => (req.operation === 'ConverseStream'
      ? { steps: markdown.match(/[\s\S]{1,7}/g)!.map((text) => ({ type: 'text' as const, text, delayMs: 2 })) }
      : offline(req));
    await fresh();
    await ask('a plan please');
    await textOf(answers().last()).locator('h1').waitFor();
    await page.evaluate(() => navigator.clipboard.writeText('before'));
    const copy = answers().last().locator('[part~="copy"]');
    const label = await copy.textContent();
    await copy.click();
    await settles(() => page.evaluate(() => navigator.clipboard.readText()), markdown);
    // The button confirms (its label changes), then goes back.
    await settles(async () => (await copy.textContent()) !== label, true);
    await settles(() => copy.textContent(), label);
  });

  test('thumbs up, then thumbs down with a category and a comment: stored, read back through REST, shown after a reload', async () => {
    await fresh();
    await ask('Rate this answer');
    const answer = answers().last();
    const id = await answer.getAttribute('data-message-id');
    const feedbackOf = async () => (await stored()).find((m) => m.id === id)?.feedback;

    await answer.locator('[part~="feedback-up"]').click();
    await settles(() => answer.locator('[part~="feedback-up"]').getAttribute('aria-pressed'), 'true');
    await settles(async () => (await feedbackOf())?.thumbsUp, true);

    await answer.locator('[part~="feedback-down"]').click();
    const form = answer.locator('[part~="feedback-form"]');
    await form.waitFor();
    await form.locator('[part~="feedback-category"][value="notFollowingInstructions"]').check();
    await form.locator('[part~="feedback-comment"]').fill('  It ignored my request for a haiku.  ');
    await form.locator('[part~="feedback-submit"]').click();
    await form.waitFor({ state: 'detached' });
    await settles(() => answer.locator('[part~="feedback-down"]').getAttribute('aria-pressed'), 'true');
    await expect(answer.locator('[part~="feedback-up"]').getAttribute('aria-pressed')).resolves.toBe('false');
    expect(await feedbackOf()).toMatchObject({ thumbsUp: false, category: 'notFollowingInstructions', comment: 'It ignored my request for a haiku.' });

    await page.reload();
    await page.locator('#signed-in-as').waitFor();
    await settles(() => page.locator(`bedrock-chat [data-message-id="${id}"] [part~="feedback-down"]`).getAttribute('aria-pressed'), 'true');
  });

  test('the title model\'s title appears in the history and the header after the first answer', async () => {
    await fresh();
    const items = page.locator('bedrock-chat-history [part~="select"]');
    const count = await items.count();
    await ask('Where do puffins nest in summer?');
    // The offline title model names a conversation after the first words of its first question.
    const current = page.locator('bedrock-chat-history [part~="select"][aria-current="page"]');
    await settles(async () => (await current.count()) ? (await current.textContent())!.trim() : '', 'Where do puffins nest in summer');
    await settles(() => items.count(), count + 1);
    await expect(items.first().getAttribute('aria-current')).resolves.toBe('page');
    await settles(() => chat('title').textContent(), 'Where do puffins nest in summer');
    const list = await rest<{ items: { id: string; title: string }[] }>('/conversations');
    expect(list.items[0]).toEqual(expect.objectContaining({ id: await conversationId(), title: 'Where do puffins nest in summer' }));
  });

  test('usage and price under a finished answer, as stored', async () => {
    await fresh();
    await chat('model-picker').selectOption({ label: 'Offline, priced' });
    await ask('How much does this cost?');
    expect(streams().pop()!.modelId).toBe('local.offline-priced');
    const usage = answers().last().locator('[part~="usage"]');
    const saved = (await stored()).find((m) => m.role === 'assistant')!;
    const tokens = saved.usage!.inputTokens + saved.usage!.outputTokens;
    expect(tokens).toBeGreaterThan(0);
    expect(saved.price).toBeGreaterThan(0);
    const price = saved.price! >= 0.01 ? saved.price!.toFixed(2) : saved.price!.toFixed(4);
    const text = (await usage.textContent()) ?? '';
    expect(text).toContain(tokens.toLocaleString('en-US'));
    expect(text).toContain(`$${price}`);

    // A model without prices: tokens only.
    await chat('model-picker').selectOption({ label: 'Offline model' });
    await ask('And this one?');
    const plain = (await answers().last().locator('[part~="usage"]').textContent()) ?? '';
    expect(plain).toMatch(/\d/);
    expect(plain).not.toContain('$');
  });

  test('a model error in the middle of an answer is shown in words, the partial answer is kept, and Retry answers', async () => {
    script = (req) => (req.operation === 'ConverseStream'
      ? { steps: [{ type: 'text', text: 'Partial ' }, { type: 'text', text: 'answer ', delayMs: 5 }, { type: 'exception', name: 'ModelStreamErrorException', message: 'internal detail 1234', delayMs: 5 }] }
      : offline(req));
    await fresh();
    await ask('This answer breaks');
    const answer = answers().last();
    await settles(() => answer.getAttribute('data-status'), 'failed');
    const [error] = (await events('bedrock-chat-error')).slice(-1);
    expect(error.detail.code).toBe('MODEL_ERROR');
    const shown = (await chat('error').textContent())!.trim();
    expect(shown).toBe(error.detail.message);
    expect(shown.split(/\s+/).length).toBeGreaterThan(3);
    expect(shown).not.toMatch(/MODEL_ERROR|Exception|internal detail/);
    await expect(chat('error').getAttribute('role')).resolves.toBe('alert');
    await expect(textOf(answer).textContent()).resolves.toBe('Partial answer');
    await expect(answer.locator('[part~="message-note"]').count()).resolves.toBe(1);

    script = undefined;
    const before = await outcomes();
    await answer.locator('[part~="retry"]').click();
    await finished(before);
    await expect(textOf(answers().last()).textContent()).resolves.toBe(offlineReply('This answer breaks'));
    await expect(answers().last().getAttribute('data-status')).resolves.toBe('done');
    await settles(async () => (await chat('error').textContent())!.trim(), '');
  });

  test('a throttled model (429 on every attempt) gives no answer, said in words; Retry answers once it recovers', async () => {
    let throttled = 0;
    script = (req) => {
      if (req.operation !== 'ConverseStream') return offline(req);
      throttled += 1;
      return { error: { status: 429, name: 'ThrottlingException', message: 'Rate exceeded' }, steps: [] };
    };
    await fresh();
    await ask('Are you busy?');
    expect(throttled).toBeGreaterThan(0);
    const [error] = (await events('bedrock-chat-error')).slice(-1);
    expect(error.detail.code).toBe('THROTTLED');
    const shown = (await chat('error').textContent())!.trim();
    expect(shown).toBe(error.detail.message);
    expect(shown).not.toMatch(/THROTTLED|Exception|Rate exceeded/);
    const answer = answers().last();
    await expect(answer.getAttribute('data-status')).resolves.toBe('failed');
    await expect(answer.locator('[part~="message-note"]').count()).resolves.toBe(1);

    script = undefined;
    const before = await outcomes();
    await answer.locator('[part~="retry"]').click();
    await finished(before);
    await expect(textOf(answers().last()).textContent()).resolves.toBe(offlineReply('Are you busy?'));
  });

  test('launcher mode on a playground page: only the entry loads, the panel opens, chats and closes with Escape', async () => {
    const host = await context.newPage();
    watch(host);
    const scripts: string[] = [];
    host.on('request', (r) => { if (r.url().endsWith('.js')) scripts.push(new URL(r.url()).pathname); });
    try {
      // Another user, with no conversation to restore: the panel opens on an empty chat.
      await host.goto(`${pg.url}launcher.html?user=admin`);
      const launcher = host.locator('bedrock-chat [part="launcher"]');
      await host.locator('#account').filter({ hasText: 'admin' }).waitFor();
      await expect(launcher.getAttribute('aria-expanded')).resolves.toBe('false');
      expect(scripts).not.toContain('/bedrock-chat-full.js');

      await launcher.click();
      const panel = host.locator('bedrock-chat [part="panel"]');
      await expect(panel.getAttribute('role')).resolves.toBe('dialog');
      await expect(launcher.getAttribute('aria-expanded')).resolves.toBe('true');
      const input = host.locator('bedrock-chat [part~="input"]');
      await input.and(host.locator(':enabled')).waitFor();
      expect(scripts).toContain('/bedrock-chat-full.js');
      // The focus moved into the panel (the message input).
      await settles(() => host.evaluate(() => document.querySelector('bedrock-chat')!.shadowRoot!.activeElement?.getAttribute('part') ?? ''), 'input');

      await host.keyboard.type('Hello from the launcher');
      await host.keyboard.press('Enter');
      const answer = host.locator('bedrock-chat [part~="assistant"][data-status="done"] [part="message-text"]');
      await answer.waitFor({ timeout: 30_000 });
      await expect(answer.textContent()).resolves.toBe(offlineReply('Hello from the launcher'));

      await host.keyboard.press('Escape');
      await panel.waitFor({ state: 'hidden' });
      await expect(launcher.getAttribute('aria-expanded')).resolves.toBe('false');
      await expect(host.evaluate(() => document.querySelector('bedrock-chat')!.shadowRoot!.activeElement?.getAttribute('part'))).resolves.toBe('launcher');
      // Opened again, the conversation is still there.
      await launcher.click();
      await expect(answer.textContent()).resolves.toBe(offlineReply('Hello from the launcher'));
    } finally {
      await host.close();
    }
  });

  test('the default model chosen in the settings dialog is used by the next message', async () => {
    await fresh();
    await page.locator('bedrock-chat-app [part~="settings"]').click();
    const dialog = page.locator('bedrock-chat-app [part~="settings-dialog"]');
    await dialog.waitFor();
    const select = dialog.locator('[part~="default-model"]');
    await select.and(page.locator(':enabled')).waitFor();
    await select.selectOption({ label: 'Offline, priced' });
    await dialog.locator('[part~="settings-close"]').click();
    await dialog.waitFor({ state: 'hidden' });
    await ask('Which model answers?');
    expect(streams().pop()!.modelId).toBe('local.offline-priced');

    // Kept after a reload; back to the service's default afterwards.
    await fresh();
    await ask('And after a reload?');
    expect(streams().pop()!.modelId).toBe('local.offline-priced');
    await page.locator('bedrock-chat-app [part~="settings"]').click();
    await select.selectOption({ index: 0 });
    await dialog.locator('[part~="settings-close"]').click();
    await ask('And with the default?');
    expect(streams().pop()!.modelId).toBe('local.offline-model-v1');
  });

  test('keyboard only: Tab to the input, type, Enter, then to the answer\'s actions; every stop shows a focus ring', async () => {
    await fresh();
    const focused = () => page.evaluate((): Focused => {
      let a = document.activeElement;
      while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
      const el = a as HTMLElement;
      const style = getComputedStyle(el);
      const answersInRoot = (el.getRootNode() as ParentNode).querySelectorAll?.('[part~="message"][part~="assistant"]');
      const last = answersInRoot?.[answersInRoot.length - 1];
      return {
        part: el.getAttribute('part'),
        tag: el.tagName.toLowerCase(),
        focusVisible: el.matches(':focus-visible'),
        outline: style.outlineStyle,
        outlineWidth: parseFloat(style.outlineWidth) || 0,
        inActions: !!el.closest('[part~="message-actions"]'),
        inLastAnswer: !!last && last.contains(el),
      };
    });
    const expectRing = (f: Focused) => {
      expect({ ...f, ring: f.outline !== 'none' && f.outlineWidth >= 1 }).toMatchObject({ ring: true });
    };

    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    let f: Focused | undefined;
    // Through the playground's bar, the app's top bar, the history (earlier tests left conversations) and the header.
    for (let i = 0; i < 150; i++) {
      await page.keyboard.press('Tab');
      f = await focused();
      if (f.tag !== 'body') expectRing(f);
      if (f.part === 'input') break;
    }
    expect(f?.part).toBe('input');
    await page.keyboard.type('Typed without a mouse');
    const before = await outcomes();
    await page.keyboard.press('Enter');
    await finished(before);
    await expect(textOf(answers().last()).textContent()).resolves.toBe(offlineReply('Typed without a mouse'));

    // Back (Shift+Tab) from the composer into the last answer's actions, to Copy.
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press('Shift+Tab');
      f = await focused();
      expectRing(f);
      if (f.part === 'copy' && f.inLastAnswer) break;
    }
    expect(f).toMatchObject({ part: 'copy', inActions: true, inLastAnswer: true, focusVisible: true });
    await page.keyboard.press('Enter');
    await settles(() => page.evaluate(() => navigator.clipboard.readText()), offlineReply('Typed without a mouse'));
    // On to thumbs up, pressed with the space bar.
    await page.keyboard.press('Tab');
    f = await focused();
    expect(f).toMatchObject({ part: 'feedback-up', inLastAnswer: true });
    expectRing(f);
    await page.keyboard.press('Space');
    await settles(() => answers().last().locator('[part~="feedback-up"]').getAttribute('aria-pressed'), 'true');
  });
  test('the playground page and the launcher page in the dark scheme: dark colours, and axe finds no contrast violation', async () => {
    /** axe's color-contrast rule, injected through the DevTools protocol (the page's CSP allows no inline script). */
    const contrast = async (p: Page) => {
      await p.evaluate(readFileSync(AXE, 'utf8'));
      return p.evaluate(async () => {
        type Result = { violations: { id: string; nodes: { target: unknown }[] }[] };
        const axe = (window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<Result> } }).axe;
        const result = await axe.run(document, { runOnly: { type: 'rule', values: ['color-contrast'] } });
        return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${JSON.stringify(n.target)}`));
      });
    };
    const background = (p: Page) => p.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'dark' });
    const host = await context.newPage();
    watch(host);
    try {
      await fresh();
      await ask('Is it dark in here?');
      await expect(background(page)).resolves.toBe('rgb(13, 17, 23)');
      expect(await contrast(page)).toEqual([]);

      await host.emulateMedia({ colorScheme: 'dark' });
      await host.goto(`${pg.url}launcher.html?user=admin`);
      await host.locator('#account').filter({ hasText: 'admin' }).waitFor();
      await host.locator('bedrock-chat [part="launcher"]').click();
      await host.locator('bedrock-chat [part~="input"]').and(host.locator(':enabled')).waitFor();
      await expect(background(host)).resolves.toBe('rgb(13, 17, 23)');
      expect(await contrast(host)).toEqual([]);
    } finally {
      await host.close();
      await page.emulateMedia({ colorScheme: 'light' });
    }
  });
});
