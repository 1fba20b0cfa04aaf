/// <reference lib="dom" />
/**
 * <bedrock-chat> in real Chromium (playwright-core + Debian chromium), against a fake backend speaking
 * WebSocket protocol v1 and the REST API. Needs the built bundle: `npx projen bundle:web`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

const ROOT = resolve(__dirname, '..', '..');
const WEB = join(ROOT, 'assets', 'web');
const BUNDLE = join(WEB, 'bedrock-chat.js');
const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/** An unsigned JWT-shaped token: the element derives its storage key from `sub`. */
const TOKEN = ['e30', Buffer.from(JSON.stringify({ sub: 'user-1' })).toString('base64url'), 'sig'].join('.');
const DELTAS = ['Hello', ' from', ' the fake', ' model.\n', 'You said: '];
const DELTA_SPACING_MS = 80;

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  // eslint-disable-next-line no-console
  console.warn(`Skipping <bedrock-chat> browser tests: ${CHROMIUM} not found (apt-get install -y chromium).`);
}
const describeBrowser = haveChromium ? describe : describe.skip;

interface StoredMessage { id: string; parentId: string | null; role: string; content: { text: string }[] }
interface Conversation { id: string; lastMessageId: string; messages: Map<string, StoredMessage> }
interface Frame {
  action?: string;
  v?: number;
  requestId?: string;
  conversationId?: string;
  parentMessageId?: string;
  model?: string;
  content?: { text: string }[];
}
interface AxeResult { violations: { id: string; nodes: { target: unknown }[] }[] }

/** Fake backend: static files, config.json, REST API and a protocol v1 WebSocket server on one port. */
class FakeBackend {
  readonly frames: Frame[] = [];
  readonly handshakes: { protocols: string; url: string }[] = [];
  readonly restCalls: { url: string; authorization?: string }[] = [];
  readonly conversations = new Map<string, Conversation>();
  private server!: Server;
  private wss!: WebSocketServer;
  private counter = 0;

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.http(req, res));
    this.wss = new WebSocketServer({
      server: this.server,
      path: '/ws',
      handleProtocols: (protocols) => (protocols.has('bedrock-chat.v1') ? 'bedrock-chat.v1' : false),
    });
    this.wss.on('connection', (ws, req) => {
      this.handshakes.push({ protocols: String(req.headers['sec-websocket-protocol']), url: req.url ?? '' });
      const offered = String(req.headers['sec-websocket-protocol']).split(',').map((s) => s.trim());
      if (offered[1] !== TOKEN) {
        ws.close(1008, 'unauthorized');
        return;
      }
      ws.on('message', (data) => this.onFrame(ws, JSON.parse(String(data)) as Frame));
    });
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
  }

  async stop(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((done) => this.wss.close(() => done()));
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  sendMessages(): Frame[] {
    return this.frames.filter((f) => f.action === 'sendMessage');
  }

  private id(prefix: string): string {
    this.counter += 1;
    return `${prefix}${String(this.counter).padStart(4, '0')}`;
  }

  private onFrame(ws: WebSocket, frame: Frame): void {
    this.frames.push(frame);
    const send = (body: Record<string, unknown>) => ws.send(JSON.stringify({ v: 1, ...body }));
    if (frame.action === 'ping') {
      send({ type: 'pong' });
      return;
    }
    const text = frame.content?.[0]?.text ?? '';
    const requestId = frame.requestId;
    const conversationId = frame.conversationId ?? this.id('CONV');
    const conversation = this.conversations.get(conversationId) ?? { id: conversationId, lastMessageId: '', messages: new Map() };
    this.conversations.set(conversationId, conversation);
    const userId = this.id('MSGU');
    conversation.messages.set(userId, { id: userId, parentId: frame.parentMessageId ?? null, role: 'user', content: [{ text }] });
    conversation.lastMessageId = userId;
    send({ type: 'ack', requestId, conversationId, messageId: userId });
    if (text.includes('please fail')) {
      setTimeout(() => send({ type: 'error', requestId, conversationId, code: 'THROTTLED', message: 'ThrottlingException: Rate exceeded' }), 50);
      return;
    }
    const answerId = this.id('MSGA');
    const deltas = [...DELTAS, text];
    send({ type: 'start', requestId, conversationId, messageId: answerId, parentMessageId: userId });
    deltas.forEach((delta, i) => {
      setTimeout(() => send({ type: 'text', requestId, conversationId, messageId: answerId, delta }), (i + 1) * DELTA_SPACING_MS);
    });
    setTimeout(() => {
      conversation.messages.set(answerId, { id: answerId, parentId: userId, role: 'assistant', content: [{ text: deltas.join('') }] });
      conversation.lastMessageId = answerId;
      send({ type: 'end', requestId, conversationId, messageId: answerId, stopReason: 'end_turn', usage: { inputTokens: 3, outputTokens: 9 } });
    }, (deltas.length + 1) * DELTA_SPACING_MS);
  }

  private http(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.origin);
    const reply = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === '/config.json') {
      reply(200, 'application/json', JSON.stringify({
        version: 1,
        region: 'us-east-1',
        webSocketUrl: `${this.origin.replace('http', 'ws')}/ws`,
        restApiUrl: `${this.origin}/api/`,
        userPoolId: 'local',
        userPoolClientId: 'local',
        defaultModel: 'fake.model-v1',
      }));
      return;
    }
    const match = /^\/api\/conversations\/([^/]+)$/.exec(url.pathname);
    if (match) {
      this.restCalls.push({ url: url.pathname, authorization: req.headers.authorization });
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return reply(401, 'application/json', '{"code":"UNAUTHORIZED","message":"no"}');
      const conversation = this.conversations.get(decodeURIComponent(match[1]));
      if (!conversation) return reply(404, 'application/json', '{"code":"NOT_FOUND","message":"no such conversation"}');
      // Messages in an order unrelated to the path, plus a sibling branch that must not be shown.
      const messages = [...conversation.messages.values()].reverse();
      messages.push({ id: 'MSGX', parentId: messages[messages.length - 1]?.id ?? null, role: 'assistant', content: [{ text: 'other branch' }] });
      return reply(200, 'application/json', JSON.stringify({
        conversation: { id: conversation.id, title: 't', model: 'fake.model-v1', lastMessageId: conversation.lastMessageId },
        messages,
      }));
    }
    if (url.pathname === '/test.html') return reply(200, 'text/html', TEST_PAGE);
    const file = join(WEB, url.pathname === '/' ? 'index.html' : url.pathname.slice(1));
    if (file.startsWith(WEB) && existsSync(file)) {
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html';
      return reply(200, type, readFileSync(file));
    }
    reply(404, 'text/plain', 'not found');
  }
}

const TEST_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bedrock-chat test</title>
<script type="module">
  import { ready } from '/bedrock-chat.js';
  window.events = [];
  window.cancelSends = false;
  for (const type of ['bedrock-chat-send', 'bedrock-chat-message', 'bedrock-chat-error']) {
    document.addEventListener(type, (e) => {
      window.events.push({ type, detail: JSON.parse(JSON.stringify(e.detail)), cancelable: e.cancelable, composed: e.composed });
      if (type === 'bedrock-chat-send' && window.cancelSends) e.preventDefault();
    });
  }
  const chat = document.querySelector('bedrock-chat');
  chat.tokenProvider = async () => ${JSON.stringify(TOKEN)};
  await ready;
  await chat.updateComplete;
  window.liveHistory = [];
  const live = chat.shadowRoot.querySelector('[aria-live="polite"]');
  new MutationObserver(() => window.liveHistory.push(live.textContent)).observe(live, { childList: true, characterData: true, subtree: true });
  window.testReady = true;
</script></head>
<body><main><h1>Test page</h1><bedrock-chat config-url="/config.json"></bedrock-chat></main></body></html>`;

const ASSISTANT_TEXT = '[part~="message"][part~="assistant"] [part="message-text"]';

describeBrowser('<bedrock-chat> in Chromium', () => {
  const backend = new FakeBackend();
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(BUNDLE)) {
      throw new Error(`${BUNDLE} is missing: build it first with \`npx projen bundle:web\` (vite build --config src/web-components/vite.config.mts)`);
    }
    await backend.start();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await backend.stop();
  });

  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
  });

  afterEach(async () => {
    await context.close();
  });

  async function openTestPage(): Promise<void> {
    await page.goto(`${backend.origin}/test.html`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await page.locator('[part="input"]').and(page.locator(':enabled')).waitFor();
  }

  async function events(): Promise<{ type: string; detail: Record<string, unknown>; cancelable: boolean; composed: boolean }[]> {
    return page.evaluate(() => (window as unknown as { events: [] }).events);
  }

  async function runAxe(): Promise<string[]> {
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: unknown) => Promise<AxeResult> } }).axe;
      const result = await axe.run(document);
      return result.violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
    });
    return violations;
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

    expect(await runAxe()).toEqual([]);
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
    expect(await runAxe()).toEqual([]);
  });

  test('the app page (assets/web/index.html) shows the widget and says sign-in is not configured', async () => {
    await page.goto(`${backend.origin}/`);
    const notice = page.locator('[part="notice"]');
    await notice.waitFor();
    await expect(notice.textContent()).resolves.toBe('Sign-in is not configured on this page.');
    await expect(page.locator('[part="input"]').isDisabled()).resolves.toBe(true);
    await expect(page.locator('[part="model"]').textContent()).resolves.toBe('Model: fake.model-v1');
    expect(await runAxe()).toEqual([]);
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
    expect(gzipSync(code).length).toBeLessThan(20 * 1024);
  });
});
