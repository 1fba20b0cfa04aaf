/**
 * A lost connection in Chromium, against the real local stack: the playground's WebSocket stand-in drops the widget's
 * connection from the server side like a network failure (no closing handshake) while an answer streams. The widget
 * says it is reconnecting, reconnects, resumes the answer on the new connection (snapshot, then the rest) and ends with
 * the complete answer, rendered exactly as a reload renders it, nothing twice. A drop while nothing streams reloads the
 * conversation quietly, so what was finished meanwhile shows up. The model's stream is held at a `pause` step, so the
 * drop always falls mid-answer. Strict CSP in force; any page error fails.
 */
import type { Locator, Page } from 'playwright-core';
import { describeChromium, playgroundSession, signInAs, watchPage } from './harness';
import type { FakeRequest, FakeScript, FakeStep } from '../../src/local/emulators/bedrock';
import { Playground } from '../../src/local/playground';
import { request, WsClient } from '../../src/local/ws-client';

describeChromium('the widget after a dropped connection', () => {
  let pg: Playground;
  let page: Page;
  let script: ((req: FakeRequest) => FakeScript) | undefined;
  const problems: string[] = [];
  /** Frames the page received over its WebSockets, parsed. */
  const received: Record<string, any>[] = [];
  const held: (() => void)[] = [];

  const chat = (part: string) => page.locator(`bedrock-chat [part~="${part}"]`);
  const answers = () => page.locator('bedrock-chat [part~="message"][part~="assistant"]');
  const questions = () => page.locator('bedrock-chat [part~="message"][part~="user"]');

  // Before the session's afterAll (hooks run in the order declared): held answers are let go before Chromium closes and
  // the playground stops.
  afterAll(() => {
    held.splice(0).forEach((open) => open());
  });
  const session = playgroundSession({
    built: 'bedrock-chat.js',
    playground: {
      quiet: true,
      respond: (req) => (req.operation === 'Converse' ? { steps: [{ type: 'text', text: 'A story' }] } : script!(req)),
    },
  });
  beforeAll(async () => {
    pg = session.pg;
    page = await session.browser.newPage();
    watchPage(page, (problem) => problems.push(problem), { consoleErrors: true, responses: true });
    page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
      try {
        received.push(JSON.parse(String(payload)));
      } catch {
        // Not a protocol frame.
      }
    }));
    await signInAs(page, pg, 'alice');
  });

  afterEach(() => {
    held.splice(0).forEach((open) => open());
    expect(problems).toEqual([]);
  });

  /** Records, inside the page, every text the widget's status part shows (a MutationObserver misses nothing). */
  async function recordStatus(): Promise<void> {
    await page.evaluate(() => {
      const w = window as unknown as { __status: string[]; __statusObserver?: MutationObserver };
      w.__status = [];
      w.__statusObserver?.disconnect();
      const find = (root: Document | ShadowRoot): Element | null => {
        const direct = root.querySelector('bedrock-chat');
        if (direct) return direct;
        for (const el of root.querySelectorAll('*')) {
          const inner = el.shadowRoot && find(el.shadowRoot);
          if (inner) return inner;
        }
        return null;
      };
      const widget = find(document)!;
      const observer = new MutationObserver(() => {
        const status = widget.shadowRoot!.querySelector('[part~="status"]');
        if (status?.textContent) w.__status.push(status.textContent.trim());
      });
      observer.observe(widget.shadowRoot!, { subtree: true, childList: true, characterData: true });
      w.__statusObserver = observer;
    });
  }
  const statusSeen = () => page.evaluate(() => (window as unknown as { __status: string[] }).__status);

  /** Drops the page's one WebSocket connection server-side and returns its id. */
  function dropTheSocket(lingerMs?: number): string {
    const ids = pg.connectionIds();
    expect(ids).toHaveLength(1);
    expect(pg.dropConnection(ids[0], { lingerMs })).toBe(true);
    return ids[0];
  }

  async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const textOf = async (l: Locator) => ((await l.count()) ? (await l.textContent()) ?? '' : '');

  test('a long answer survives a server-side drop mid-stream: "Reconnecting…", then the whole answer, as a reload shows it', async () => {
    let go!: () => void;
    const paused = new Promise<void>((resolve) => { go = resolve; });
    held.push(go);
    const part1: FakeStep[] = [
      { type: 'text', text: '## A story\n\n' },
      ...Array.from({ length: 60 }, (_, i) => ({ type: 'text' as const, text: `alpha${i} `, delayMs: 2 })),
      { type: 'text', text: '\n\n- one\n- two\n\n```js\nconst a = 1;\n' },
    ];
    const part2: FakeStep[] = [
      { type: 'text', text: 'const b = 2;\n```\n\n' },
      ...Array.from({ length: 60 }, (_, i) => ({ type: 'text' as const, text: `omega${i} `, delayMs: 2 })),
    ];
    script = () => ({ steps: [...part1, { type: 'pause', until: paused }, ...part2] });

    await chat('input').fill('Tell me a long story');
    await chat('input').press('Enter');
    const answerText = answers().last().locator('[part="message-text"]');
    // Everything before the pause is on the page: the model is now held mid-answer.
    await answerText.filter({ hasText: 'const a = 1;' }).waitFor();
    await recordStatus();
    const before = received.length;

    // Posts to the old connection keep "succeeding" (as until API Gateway notices): only resume can move the answer.
    const old = dropTheSocket(60_000);
    await until(() => received.slice(before).some((f) => f.type === 'start' && f.resumed === true), 'the resumed start frame');
    expect(pg.connectionIds()).toHaveLength(1);
    expect(pg.connectionIds()[0]).not.toBe(old);
    expect(received.slice(before).find((f) => f.type === 'resumed')).toMatchObject({ done: false });
    expect(await statusSeen()).toContain('Reconnecting…');
    expect(await chat('status').count()).toBe(0);

    go();
    await answers().last().locator('[part~="message-actions"]').waitFor();
    const expected = [...part1, ...part2].map((s) => (s.type === 'text' ? s.text : '')).join('');
    const shown = await textOf(answerText);
    expect(shown).toContain('alpha59');
    expect(shown).toContain('omega59');
    expect(shown.split('alpha0 ').length).toBe(2);
    expect(shown.split('const a = 1;').length).toBe(2);
    expect(await questions().count()).toBe(1);
    expect(await answers().count()).toBe(1);
    expect(await chat('error').textContent()).toBe('');
    const rendered = () => answerText.locator('.md').evaluate((e) => e.outerHTML);
    const html = await rendered();

    // The stored answer is exactly the model's; a reload renders it exactly as the resumed stream did.
    const list = await (await fetch(`${pg.restApiUrl}/conversations`, { headers: { authorization: `Bearer ${pg.issueToken('alice')}` } })).json();
    const conv = await (await fetch(`${pg.restApiUrl}/conversations/${list.items[0].id}`, { headers: { authorization: `Bearer ${pg.issueToken('alice')}` } })).json();
    expect(conv.messages.find((m: { role: string }) => m.role === 'assistant').content[0].text).toBe(expected);

    await page.reload();
    await page.getByText(/Signed in as alice/i).waitFor();
    await answerText.waitFor();
    expect(await textOf(answerText)).toBe(shown);
    expect(await rendered()).toBe(html);
    expect(await questions().count()).toBe(1);
    expect(await answers().count()).toBe(1);
  });

  test('an answer that finished while the page was away: resume says done, the widget shows the stored answer', async () => {
    let go!: () => void;
    const paused = new Promise<void>((resolve) => { go = resolve; });
    held.push(go);
    script = () => ({ steps: [{ type: 'text', text: 'Begun before the drop, ' }, { type: 'pause', until: paused }, { type: 'text', text: 'finished while away.' }] });
    await chat('input').fill('Finish without me');
    await chat('input').press('Enter');
    const answerText = answers().last().locator('[part="message-text"]');
    await answerText.filter({ hasText: 'Begun before the drop' }).waitFor();
    const before = received.length;

    // The page cannot come back until the answer is stored and its request marked finished.
    pg.refuseConnections(true);
    try {
      dropTheSocket(60_000);
      await chat('status').waitFor();
      go();
      await pg.idle();
    } finally {
      pg.refuseConnections(false);
    }
    await until(() => received.slice(before).some((f) => f.type === 'resumed'), 'the resumed frame', 40_000);
    expect(received.slice(before).find((f) => f.type === 'resumed')).toMatchObject({ done: true });
    expect(received.slice(before).some((f) => f.type === 'start' && f.resumed)).toBe(false);
    await answerText.filter({ hasText: 'Begun before the drop, finished while away.' }).waitFor();
    await until(async () => (await chat('status').count()) === 0, 'the status to go');
    expect(await answers().filter({ hasText: 'finished while away.' }).count()).toBe(1);
    expect(await questions().filter({ hasText: 'Finish without me' }).count()).toBe(1);
    expect(await chat('error').textContent()).toBe('');
    await answers().last().locator('[part~="message-actions"]').waitFor();
  });

  test('a drop while nothing streams: the widget reconnects quietly and shows what was answered meanwhile', async () => {
    script = () => ({ steps: [{ type: 'text', text: 'Answered in another tab.' }] });
    type Chat = { panel?: { conversationId?: string }; conversationId?: string };
    const conversationId = await page.locator('bedrock-chat').first().evaluate((e) => (e as Chat).panel?.conversationId ?? (e as Chat).conversationId);
    expect(conversationId).toBeTruthy();
    // Another client (another tab) adds a question and its answer to the open conversation.
    const other = await WsClient.connect(pg.webSocketUrl, pg.issueToken('alice'));
    const res = await request(other, { action: 'sendMessage', conversationId, content: [{ text: 'Asked in another tab' }] });
    other.close();
    expect(res.end.type).toBe('end');
    await pg.idle();
    const shownBefore = await answers().count();
    const asked = await questions().allTextContents();
    expect(await answers().filter({ hasText: 'Answered in another tab.' }).count()).toBe(0);

    await recordStatus();
    dropTheSocket();
    await answers().nth(shownBefore).filter({ hasText: 'Answered in another tab.' }).waitFor();
    expect(await questions().allTextContents()).toEqual([...asked, expect.stringContaining('Asked in another tab')]);
    expect(await answers().count()).toBe(shownBefore + 1);
    expect(await statusSeen()).toContain('Reconnecting…');
    await until(async () => (await chat('status').count()) === 0, 'the status to go');
    expect(await chat('error').textContent()).toBe('');
  });
});
