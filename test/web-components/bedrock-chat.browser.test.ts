/// <reference lib="dom" />
/**
 * <bedrock-chat> in real Chromium (playwright-core + Debian chromium), against a fake backend speaking
 * WebSocket protocol v1 and the REST API. Needs the built bundle: `npx projen bundle:web`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { ASSISTANT_TEXT, axeViolations, BUNDLE, chromiumSession, DELTAS, describeBrowser, FakeBackend, TOKEN } from './fake-backend';

describeBrowser('<bedrock-chat> in Chromium', () => {
  const backend = new FakeBackend();
  const chromium = chromiumSession(backend);
  let page: Page;


  beforeEach(() => {
    page = chromium.page;
  });

  async function openTestPage(): Promise<void> {
    await page.goto(`${backend.origin}/test.html`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await page.locator('[part="input"]').and(page.locator(':enabled')).waitFor();
  }

  async function events(): Promise<{ type: string; detail: Record<string, unknown>; cancelable: boolean; composed: boolean }[]> {
    return page.evaluate(() => (window as unknown as { events: [] }).events);
  }

  /** Collects every distinct text of the last assistant message while it streams, until the message event. */
  async function sendAndWatch(text: string): Promise<string[]> {
    const seen: string[] = [];
    const finishedBefore = (await events()).filter((e) => e.type === 'bedrock-chat-message').length;
    await page.locator('[part="input"]').fill(text);
    await page.locator('[part="input"]').press('Enter');
    const deadline = Date.now() + 10_000;
    for (;;) {
      const snapshot = await page.evaluate((selector) => {
        const root = document.querySelector('bedrock-chat')!.shadowRoot!;
        const bodies = root.querySelectorAll(selector);
        const done = (window as unknown as { events: { type: string }[] }).events.filter((e) => e.type === 'bedrock-chat-message').length;
        return { text: bodies.length ? bodies[bodies.length - 1].textContent ?? '' : '', done };
      }, ASSISTANT_TEXT);
      if (snapshot.text && seen[seen.length - 1] !== snapshot.text) seen.push(snapshot.text);
      if (snapshot.done > finishedBefore) break;
      if (Date.now() > deadline) throw new Error(`no bedrock-chat-message event; saw ${JSON.stringify(seen)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const final = await page.locator(ASSISTANT_TEXT).last().textContent();
    if (seen[seen.length - 1] !== final) seen.push(final ?? '');
    return seen;
  }

  test('streams an answer over protocol v1, growing in several steps, and announces it only when finished', async () => {
    await openTestPage();
    const log = page.locator('[role="log"]');
    await expect(log.count()).resolves.toBe(1);
    await expect(log.getAttribute('aria-live')).resolves.toBe('off');

    const steps = await sendAndWatch('What is  2 + 2?\nThanks');
    const expected = [...DELTAS, 'What is  2 + 2?\nThanks'].join('');
    expect(steps.length).toBeGreaterThan(2);
    expect(steps[steps.length - 1]).toBe(expected);
    for (const step of steps) expect(expected.startsWith(step)).toBe(true);

    // The connection: subprotocol + token in Sec-WebSocket-Protocol, never in the URL.
    expect(backend.handshakes[0].protocols).toBe(`bedrock-chat.v1, ${TOKEN}`);
    expect(backend.handshakes[0].url).toBe('/ws');
    const [frame] = backend.sendMessages();
    expect(frame).toEqual({ action: 'sendMessage', v: 1, requestId: expect.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), content: [{ text: 'What is  2 + 2?\nThanks' }] });

    // User and assistant messages carry the server ids; whitespace is preserved.
    const user = page.locator('[part~="message"][part~="user"]');
    await expect(user.getAttribute('data-message-id')).resolves.toMatch(/^MSGU/);
    const assistant = page.locator('[part~="message"][part~="assistant"]');
    const assistantId = await assistant.getAttribute('data-message-id');
    expect(assistantId).toMatch(/^MSGA/);
    const whiteSpace = await page.locator(ASSISTANT_TEXT).evaluate((el) => getComputedStyle(el).whiteSpace);
    expect(whiteSpace).toBe('pre-wrap');

    const all = await events();
    const message = all.find((e) => e.type === 'bedrock-chat-message')!;
    expect(message.composed).toBe(true);
    expect(message.detail).toMatchObject({ messageId: assistantId, text: expected, stopReason: 'end_turn', conversationId: expect.stringMatching(/^CONV/) });
    // The live region was only ever set to the finished answer, never token by token.
    const live = await page.evaluate(() => (window as unknown as { liveHistory: string[] }).liveHistory);
    expect(live.filter((t) => t !== '')).toEqual([expected]);

    // A follow-up continues the conversation from the last message of the path.
    await sendAndWatch('And 3 + 3?');
    const second = backend.sendMessages()[1];
    expect(second.conversationId).toBe(message.detail.conversationId);
    expect(second.parentMessageId).toBe(assistantId);

    expect(await axeViolations(page)).toEqual([]);
  });

  test('restores the remembered conversation after a reload, in path order, and New chat forgets it', async () => {
    await openTestPage();
    await sendAndWatch('first question');
    await sendAndWatch('second question');
    const before = await page.locator('[part~="message"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-message-id')));
    expect(before).toHaveLength(4);

    const restCallsBefore = backend.restCalls.length;
    await openTestPage();
    await page.locator('[part~="message"]').nth(3).waitFor();
    const after = await page.locator('[part~="message"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-message-id')));
    expect(after).toEqual(before);
    await expect(page.locator(ASSISTANT_TEXT).last().textContent()).resolves.toContain('second question');
    const call = backend.restCalls[restCallsBefore];
    expect(call.authorization).toBe(`Bearer ${TOKEN}`);
    expect(call.url).toMatch(/^\/api\/conversations\/CONV/); // no double slash from restApiUrl's trailing slash

    // The next message continues the restored conversation.
    await sendAndWatch('third question');
    const frames = backend.sendMessages();
    expect(frames[frames.length - 1].parentMessageId).toBe(before[3]);

    await page.locator('[part="new-chat"]').click();
    await expect(page.locator('[part~="message"]').count()).resolves.toBe(0);
    await openTestPage();
    await page.waitForTimeout(300);
    await expect(page.locator('[part~="message"]').count()).resolves.toBe(0);
    await sendAndWatch('fresh start');
    const fresh = backend.sendMessages().pop()!;
    expect(fresh.conversationId).toBeUndefined();
    expect(fresh.parentMessageId).toBeUndefined();
  });

  test('restores a conversation the server sends in pages, with answers continued in later pages\' parts', async () => {
    await openTestPage();
    await sendAndWatch('first question');
    await sendAndWatch('second question');
    const before = await page.locator('[part~="message"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-message-id')));
    const texts = await page.locator(ASSISTANT_TEXT).allTextContents();
    backend.pageMessages = 1;
    try {
      const restCallsBefore = backend.restCalls.length;
      await openTestPage();
      await page.locator('[part~="message"]').nth(3).waitFor();
      await expect(page.locator('[part~="message"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-message-id')))).resolves.toEqual(before);
      // Every answer whole: its first half from one page, the rest from the next page's parts.
      await expect(page.locator(ASSISTANT_TEXT).allTextContents()).resolves.toEqual(texts);
      const pages = backend.restCalls.slice(restCallsBefore).filter((c) => /^\/api\/conversations\/CONV/.test(c.url));
      expect(pages.length).toBeGreaterThan(4);
      expect(pages.slice(1).every((c) => /\?nextToken=\d+$/.test(c.url))).toBe(true);
    } finally {
      backend.pageMessages = 0;
    }
  });

  test('bedrock-chat-send is cancelable: cancelling keeps the text and sends nothing; Shift+Enter adds a line', async () => {
    await openTestPage();
    await page.evaluate(() => { (window as unknown as { cancelSends: boolean }).cancelSends = true; });
    const input = page.locator('[part="input"]');
    await input.fill('do not send me');
    await input.press('Enter');
    await page.locator('[part="send"]').click();
    await page.waitForTimeout(300);
    const sends = (await events()).filter((e) => e.type === 'bedrock-chat-send');
    expect(sends).toHaveLength(2);
    expect(sends[0]).toMatchObject({ cancelable: true, composed: true, detail: { text: 'do not send me' } });
    expect(backend.sendMessages().filter((f) => f.content?.[0]?.text === 'do not send me')).toHaveLength(0);
    await expect(input.inputValue()).resolves.toBe('do not send me');
    await expect(page.locator('[part~="message"]').count()).resolves.toBe(0);

    await input.press('Shift+Enter');
    await input.pressSequentially('second line');
    await expect(input.inputValue()).resolves.toBe('do not send me\nsecond line');
  });

  test('an error frame is shown in words a user understands and fires bedrock-chat-error', async () => {
    await openTestPage();
    await page.locator('[part="input"]').fill('please fail now');
    await page.locator('[part="send"]').click();
    const alert = page.locator('[part="error"][role="alert"]');
    await alert.filter({ hasText: 'busy' }).waitFor();
    await expect(alert.textContent()).resolves.toBe('The assistant is busy right now. Please wait a moment and try again.');
    const error = (await events()).find((e) => e.type === 'bedrock-chat-error')!;
    expect(error.detail).toMatchObject({ code: 'THROTTLED', serverMessage: 'ThrottlingException: Rate exceeded' });
    // The composer is usable again.
    await expect(page.locator('[part="send"]').isEnabled()).resolves.toBe(true);
    expect(await axeViolations(page)).toEqual([]);
  });

  test('a connection whose token expired mid-answer: AUTH_EXPIRED, the server closes, the widget reconnects with a new token and the answer completes', async () => {
    const deltas = Array.from({ length: 12 }, (_, i) => `part${i} `);
    backend.scripts.set('expire me', { deltas });
    const handshakes = backend.handshakes.length;
    // The page's clock, so the widget's 5-minute heartbeat can be brought forward (time otherwise flows as usual).
    await page.clock.install();
    await openTestPage();
    await page.locator('[part="input"]').fill('expire me');
    await page.locator('[part="input"]').press('Enter');
    await page.locator(ASSISTANT_TEXT).last().filter({ hasText: 'part1' }).waitFor();
    const opened = backend.handshakes.length;
    // The token of the open connection expires; the next frame the widget sends (its heartbeat ping, brought forward by
    // moving the page's clock 5 minutes on) is refused and the connection closed.
    backend.tokensExpired = true;
    const pings = backend.frames.filter((f) => f.action === 'ping').length;
    await page.clock.fastForward('05:01');
    await page.waitForFunction(() => (window as unknown as { events: { type: string }[] }).events.some((e) => e.type === 'bedrock-chat-message'));
    expect(backend.frames.filter((f) => f.action === 'ping').length).toBeGreaterThan(pings);
    expect(backend.expiries).toBe(1);
    expect(backend.closes).toContain(1000);
    // A second handshake, with a token from the provider, and a resume of the streaming request.
    expect(backend.handshakes.length).toBeGreaterThan(opened);
    expect(opened).toBeGreaterThan(handshakes);
    const send = backend.sendMessages().pop()!;
    expect(backend.frames.filter((f) => f.action === 'resume').map((f) => f.requestId)).toEqual([send.requestId]);
    await expect(page.locator(ASSISTANT_TEXT).last().textContent()).resolves.toBe(deltas.join('').trim());
    // Nothing shown as an error, no error event.
    expect((await events()).filter((e) => e.type === 'bedrock-chat-error')).toEqual([]);
    await expect(page.locator('[part="error"]').textContent()).resolves.toBe('');
  });

  test('the app page (assets/web/index.html) shows the widget and says sign-in is not configured', async () => {
    await page.goto(`${backend.origin}/`);
    const notice = page.locator('[part="notice"]');
    await notice.waitFor();
    await expect(notice.textContent()).resolves.toBe('Sign-in is not configured on this page.');
    await expect(page.locator('[part="input"]').isDisabled()).resolves.toBe(true);
    await expect(page.locator('[part="model"]').textContent()).resolves.toBe('Model: fake.model-v1');
    expect(await axeViolations(page)).toEqual([]);
  });

  test('loading the script twice defines the element once', async () => {
    await openTestPage();
    const result = await page.evaluate(async () => {
      const before = customElements.get('bedrock-chat');
      const again = await import(`/bedrock-chat.js?again=${Date.now()}`) as { ready: Promise<boolean> };
      return { ready: await again.ready, same: customElements.get('bedrock-chat') === before };
    });
    expect(result).toEqual({ ready: true, same: true });
  });
});

describe('bedrock-chat.js bundle', () => {
  const built = existsSync(BUNDLE);

  test('is built', () => {
    expect(built).toBe(true);
  });

  (built ? test : test.skip)('is imported by Node without a DOM: no throw, nothing defined (SSR-safe)', async () => {
    const script = `const m = await import(${JSON.stringify(`file://${BUNDLE}`)});
      const ready = await m.ready;
      console.log(JSON.stringify({ ready, customElements: typeof customElements, HTMLElement: typeof HTMLElement, document: typeof document }));`;
    const stdout = await new Promise<string>((done, fail) => {
      execFile(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], (err, out, stderr) => (err ? fail(new Error(stderr)) : done(out)));
    });
    expect(JSON.parse(stdout)).toEqual({ ready: false, customElements: 'undefined', HTMLElement: 'undefined', document: 'undefined' });
  });

  (built ? test : test.skip)('is one small module without eval', () => {
    const code = readFileSync(BUNDLE, 'utf8');
    expect(code).not.toMatch(/\beval\(|new Function\(/);
    expect(code).not.toMatch(/\bimport\(["'`]\.\//); // no chunks
    expect(gzipSync(code).length).toBeLessThan(45 * 1024); // the budget of the full widget (issue: at most 45 KB gzip)
  });
});
