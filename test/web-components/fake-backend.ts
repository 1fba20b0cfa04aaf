/// <reference lib="dom" />
/**
 * Shared by the <bedrock-chat> browser tests: paths, Chromium launch options, and a fake backend speaking
 * WebSocket protocol v1 and the REST API, serving the built bundle and test pages (one with a strict CSP).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

export const ROOT = resolve(__dirname, '..', '..');
export const WEB = join(ROOT, 'assets', 'web');
export const BUNDLE = join(WEB, 'bedrock-chat.js');
export const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/** An unsigned JWT-shaped token: the element derives its storage key from `sub`. */
export const TOKEN = ['e30', Buffer.from(JSON.stringify({ sub: 'user-1' })).toString('base64url'), 'sig'].join('.');
export const DELTAS = ['Hello', ' from', ' the fake', ' model.\n', 'You said: '];
export const DELTA_SPACING_MS = 80;

export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  // eslint-disable-next-line no-console
  console.warn(`Skipping <bedrock-chat> browser tests: ${CHROMIUM} not found (apt-get install -y chromium).`);
}
export const describeBrowser = haveChromium ? describe : describe.skip;

interface StoredMessage { id: string; parentId: string | null; role: string; content: { text: string }[] }
interface Conversation { id: string; lastMessageId: string; messages: Map<string, StoredMessage> }
export interface Frame {
  action?: string;
  v?: number;
  requestId?: string;
  conversationId?: string;
  parentMessageId?: string;
  model?: string;
  content?: { text: string }[];
}
export interface AxeResult { violations: { id: string; nodes: { target: unknown }[] }[] }

/** Fake backend: static files, config.json, REST API and a protocol v1 WebSocket server on one port. */
export class FakeBackend {
  readonly frames: Frame[] = [];
  readonly handshakes: { protocols: string; url: string }[] = [];
  readonly restCalls: { url: string; authorization?: string }[] = [];
  readonly conversations = new Map<string, Conversation>();
  /** Scripted answers: when the user message equals a key, these deltas are streamed instead of the echo. */
  readonly answers = new Map<string, string[]>();
  /** Extra files served as is: URL path → file. */
  readonly files = new Map<string, string>();
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
    const deltas = this.answers.get(text) ?? [...DELTAS, text];
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
    if (url.pathname === '/test-page.js') return reply(200, 'text/javascript', TEST_SCRIPT);
    if (url.pathname === '/csp.html') {
      // The same page with its script external, under a strict Content Security Policy.
      const ws = this.origin.replace('http', 'ws');
      res.setHeader('content-security-policy', `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' ${ws}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
      return reply(200, 'text/html', CSP_PAGE);
    }
    const extra = this.files.get(url.pathname);
    if (extra) return reply(200, 'text/javascript', readFileSync(extra));
    const file = join(WEB, url.pathname === '/' ? 'index.html' : url.pathname.slice(1));
    if (file.startsWith(WEB) && existsSync(file)) {
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html';
      return reply(200, type, readFileSync(file));
    }
    reply(404, 'text/plain', 'not found');
  }
}

/** The test page's script: records events and the live region, sets a token provider, sets `window.testReady`. */
export const TEST_SCRIPT = `  import { ready } from '/bedrock-chat.js';
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample), true);
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
`;

export const TEST_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bedrock-chat test</title>
<script type="module">${TEST_SCRIPT}</script></head>
<body><main><h1>Test page</h1><bedrock-chat config-url="/config.json"></bedrock-chat></main></body></html>`;

/** The test page with an external script, for a strict CSP (no inline script or style). */
export const CSP_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bedrock-chat CSP test</title>
<script type="module" src="/test-page.js"></script></head>
<body><main><h1>Test page</h1><bedrock-chat config-url="/config.json"></bedrock-chat></main></body></html>`;

export const ASSISTANT_TEXT = '[part~="message"][part~="assistant"] [part="message-text"]';
