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
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { limitSetProblem } from '../../src/lambdas/core/usage';
import type { LimitSet } from '../../src/lambdas/core/usage';
import { launchChromium } from '../../src/local/browser';
import { checkCrawlerUrl, KNOWLEDGE_RANGES, knowledgeProblem, knowledgeType, MAX_KNOWLEDGE_DOCUMENTS } from '../../src/web-components/shared/knowledge-rules';

export const ROOT = resolve(__dirname, '..', '..');
export const WEB = join(ROOT, 'assets', 'web');
export const BUNDLE = join(WEB, 'bedrock-chat.js');
export const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
export const CHROMIUM = '/usr/bin/chromium';
export { CHROMIUM_ARGS } from '../../src/local/browser';

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

/** A fresh context and page for each test, in the Chromium of its describe block. */
export interface ChromiumSession {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
}

/**
 * Registers the hooks the fake-backend browser tests share: before all, the built bundle must exist, the backend
 * starts and Chromium is launched; before each test, a new context (with `contextOptions`) and page; after each, the
 * context is closed; after all, Chromium closes and the backend stops. Call it first in the describe block, so that
 * the block's own `beforeEach` (resetting the backend, `page.clock.install()`) runs after the page exists.
 */
export function chromiumSession(backend: FakeBackend, contextOptions?: BrowserContextOptions): ChromiumSession {
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  beforeAll(async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: build it first with \`npx projen bundle:web\` (vite build --config src/web-components/vite.config.mts)`);
    await backend.start();
    browser = await launchChromium(CHROMIUM);
  });
  afterAll(async () => {
    await browser?.close();
    await backend.stop();
  });
  beforeEach(async () => {
    context = await browser!.newContext(contextOptions);
    page = await context.newPage();
  });
  afterEach(async () => {
    await context!.close();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`No ${what} yet: use it inside a test or a hook after chromiumSession's.`);
    return value;
  };
  return {
    get browser() { return started(browser, 'browser'); },
    get context() { return started(context, 'context'); },
    get page() { return started(page, 'page'); },
  };
}

/** axe-core's violations on the page, one `rule: [targets]` line each (an empty list is an accessible page). */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown) => Promise<AxeResult> } }).axe;
    const result = await axe.run(document);
    return result.violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  });
}

/** A content block as the widget sends it. */
export interface Block {
  text?: string;
  image?: { format: string; key: string };
  document?: { format: string; name: string; key: string };
}
interface StoredMessage {
  id: string;
  parentId: string | null;
  role: string;
  content: Block[];
  createdAt: string;
  stopReason?: string;
  reasoning?: string;
  usage?: Record<string, number>;
  feedback?: Record<string, unknown>;
  citations?: Record<string, unknown>[];
}
interface Conversation {
  id: string;
  title: string;
  lastMessageId: string;
  messages: Map<string, StoredMessage>;
  updatedAt?: number;
  botId?: string;
  botTitle?: string;
}

/** A bot of the fake backend (bots-contract.md): `owner` as the signed-in user sees it. */
export interface FakeBot {
  id: string;
  title: string;
  description: string;
  instructions: string;
  generation: Record<string, unknown>;
  quickStarters: { title: string; example: string }[];
  models: string[];
  defaultModel?: string;
  promptCaching: boolean;
  guardrail?: Record<string, unknown>;
  showRetrievedChunks: boolean;
  owner: 'you' | 'other' | 'deployment';
  scope: 'private' | 'partial' | 'all';
  users: string[];
  groups: string[];
  starred: boolean;
  pinned: boolean;
  pinOrder?: number;
  usageCount: number;
  createdAt: string;
  updatedAt: string;
}
/** A bot's knowledge settings and, for a dedicated bot, its knowledge base (docs/knowledge-contract.md, "Slice 2"). */
export interface FakeKnowledge {
  settings: Record<string, unknown> & { mode: 'shared' | 'dedicated' | 'existing' };
  kb?: {
    status: 'CREATING' | 'ACTIVE' | 'FAILED' | 'DELETING';
    reason?: string;
    knowledgeBaseId?: string;
    sync?: { status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED'; reason?: string; statistics?: Record<string, number>; failedDocuments?: { uri: string; reason: string }[] };
  };
  /** Reads of the bot since the knowledge base was started. */
}
/** A knowledge document of the fake backend (the contract's `Document`, with its bytes). */
export interface FakeDocument {
  id: string;
  name: string;
  contentType: string;
  size: number;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  statusReason?: string;
  createdAt: string;
  updatedAt: string;
  body: Buffer;
}

function documentView(d: FakeDocument): Record<string, unknown> {
  const { body: _body, ...view } = d;
  return view;
}

export interface Frame {
  action?: string;
  v?: number;
  requestId?: string;
  conversationId?: string;
  parentMessageId?: string;
  messageId?: string;
  editOf?: string;
  model?: string;
  reasoning?: boolean;
  content?: Block[];
  botId?: string;
}
export interface AxeResult { violations: { id: string; nodes: { target: unknown }[] }[] }

/** A scripted answer, chosen by the text of the user message. */
export interface Script {
  deltas?: string[];
  reasoning?: string[];
  tools?: { toolUseId: string; name: string; input: unknown; result?: { status: string; content: unknown } }[];
  citations?: { sourceId: string; title: string; url?: string; documentId?: string; page?: number; snippet?: string }[];
  /** Sends the citation frames before the first text frame, as the knowledge contract says (and stores them). */
  citationsFirst?: boolean;
  stopReason?: string;
  /** Default 0.0042. */
  price?: number;
  /** Default `{ inputTokens: 3, outputTokens: 9 }`; `null` sends none. */
  usage?: Record<string, number> | null;
  /** Sent as the end frame's `contextTrimmed` (messages left out to fit the model's context window). */
  contextTrimmed?: number;
}

/** A request being answered: its pending frames can be cancelled by `stop`. */
interface Running {
  timers: ReturnType<typeof setTimeout>[];
  finish: (stopReason: string) => void;
  /** Moves the rest of the answer to another connection (`resume`): a `start` with `resumed`, the text so far, then on. */
  moveTo: (send: (body: Record<string, unknown>) => void) => void;
}

export const MODELS = [{ id: 'fake.model-v1', default: true }, { id: 'fake.model-v2', default: false }];

/** Fake backend: static files, config.json, REST API and a protocol v1 WebSocket server on one port. */
export class FakeBackend {
  readonly frames: Frame[] = [];
  /** Close codes of the widget's sockets (1009: a frame over 32 KB). */
  readonly closes: number[] = [];
  readonly handshakes: { protocols: string; url: string }[] = [];
  readonly restCalls: { url: string; authorization?: string; method?: string }[] = [];
  /** `PUT …/feedback`, `PATCH` and `DELETE` calls with their bodies. */
  readonly writes: { method: string; path: string; body?: unknown }[] = [];
  /** Status of `PUT …/feedback` (200 stores it). */
  feedbackStatus = 200;
  /**
   * When set, GET /conversations/{id} answers in pages of this many messages, as the real route may (it bounds a page
   * by bytes): each answer's text is cut in two, its second half comes in the next page's `parts`.
   */
  pageMessages = 0;
  readonly conversations = new Map<string, Conversation>();
  /** Scripted answers: when the user message equals a key, these deltas are streamed instead of the echo. */
  readonly answers = new Map<string, string[]>();
  /** Richer scripted answers (reasoning, tools, citations, stop reason, price), by user message text. */
  readonly scripts = new Map<string, Script>();
  /** Extra files served as is: URL path → file. */
  readonly files = new Map<string, string>();
  /** Extra HTML pages: URL path → markup. */
  readonly pages = new Map<string, string>();
  /** `GET /api/models`. */
  models = MODELS;
  /** More fields of config.json (branding: appName, logoUrl, accentColor). */
  configExtra: Record<string, unknown> = {};
  /** `POST /api/uploads` bodies, and the PUTs to the presigned URLs (body and content-type as received). */
  readonly uploads: { name: string; contentType: string; size: number; authorization?: string }[] = [];
  readonly puts: { path: string; contentType?: string; body: Buffer; status: number }[] = [];
  /** Delay before `POST /api/uploads` answers (to see the uploading state). */
  uploadDelayMs = 0;
  /**
   * Set: the token of every open connection has expired. The next frame on one gets `error` AUTH_EXPIRED and the
   * connection is closed from the server side (code 1000), as ws.lambda.ts does; new connections are fresh again.
   */
  tokensExpired = false;
  /** How many connections were closed with AUTH_EXPIRED. */
  expiries = 0;
  /** Custom bots (REST routes of bots-contract.md). */
  readonly bots = new Map<string, FakeBot>();
  /** The signed-in user's recently used bots, newest first. */
  recents: string[] = [];
  /** Bots the signed-in user lost access to (unshared or deleted by their owner): 404 and BOT_UNAVAILABLE. */
  readonly lostBots = new Set<string>();
  /** Page size of the bot lists, search and popular (the server's are 50 and 20): `nextToken` is the offset. */
  botPageSize = 100;
  /** `GET /api/me`. */
  me = { userId: 'user-1', email: 'alice@example.com', groups: ['Engineering'], canCreateBots: true, isAdmin: false };
  /** The user pool as `/users/search` and `/groups/search` see it. */
  readonly poolUsers = [{ id: 'user-2', email: 'bob@example.com', name: 'Bob' }, { id: 'user-3', email: 'bea@example.com' }, { id: 'user-4', email: 'carol@example.com' }];
  readonly poolGroups = [{ name: 'Engineering', description: 'Builders' }, { name: 'Sales' }, { name: 'Support' }];
  /**
   * The usage limits admin routes (core/usage-routes.ts): the defaults and the overrides `GET /usage/limits` lists;
   * writes are checked with the server's own `limitSetProblem`, and only `me.isAdmin` may call them (403 otherwise).
   */
  usageLimits = { defaults: {} as LimitSet, maxConcurrentAnswers: 3, users: new Map<string, LimitSet>(), groups: new Map<string, LimitSet>() };
  /** Set: the next usage limits PUT is answered with this error (a server rule the client does not know). */
  nextUsageError?: { status: number; code: string; message: string };
  /** Usage limits admin calls (method, path, body). */
  readonly usageCalls: { method: string; path: string; body?: unknown }[] = [];
  /** Whether bots carry `knowledge: {documentCount}` (a deployment with a knowledge base) instead of `null`. */
  knowledgeEnabled = false;
  /** `GET /knowledge/bases`. */
  knowledgeBases: {
    existing: { knowledgeBaseId: string; name: string; description?: string }[];
    dedicated: { embeddingModels: { modelId: string; dimensions: number }[]; parsingModels: string[] } | null;
  } = {
      existing: [], dedicated: null,
    };
  /** The knowledge settings and dedicated knowledge base of each bot (none: shared, as slice 1). */
  readonly knowledgeSettings = new Map<string, FakeKnowledge>();
  /** Set: the next `advanceKnowledge` of a CREATING knowledge base fails it with this reason. */
  failCreate?: string;
  /** Set: the next sync that `advanceKnowledge` finishes fails with this reason and these documents. */
  failSync?: { reason: string; failedDocuments: { uri: string; reason: string }[] };
  /** The documents of each bot (docs/knowledge-contract.md), newest first. */
  readonly knowledgeDocs = new Map<string, FakeDocument[]>();
  /** Uploads by id: the bot, the declared name, type and size, and the bytes once PUT. */
  readonly knowledgeUploads = new Map<string, { botId: string; name: string; contentType: string; size: number; body?: Buffer }>();
  /**
   * Knowledge calls in order: the REST routes (method, path, body) and the PUTs to the fake S3 (`S3 PUT`, with the
   * headers as received and the size of the body).
   */
  readonly knowledgeCalls: { method: string; path: string; body?: unknown; headers?: Record<string, string>; bytes?: number; status?: number }[] = [];
  /** Set: the next PUT to the fake S3 is refused (403, as an expired signature), whatever it carries. */
  failNextPut = false;
  /** Set: `GET …/source` answers this status (a failure) instead of the URL. */
  sourceStatus = 200;
  /** Bot REST calls (method, path with query, body). */
  readonly botCalls: { method: string; path: string; body?: unknown }[] = [];
  private readonly running = new Map<string, Running>();
  private readonly presigned = new Map<string, string>();
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
      // As API Gateway: "WebSocket frame size: 32 KB"; a larger one closes the connection with code 1009.
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
      maxPayload: 32 * 1024,
      handleProtocols: (protocols) => (protocols.has('bedrock-chat.v1') ? 'bedrock-chat.v1' : false),
    });
    this.wss.on('connection', (ws, req) => {
      this.handshakes.push({ protocols: String(req.headers['sec-websocket-protocol']), url: req.url ?? '' });
      const offered = String(req.headers['sec-websocket-protocol']).split(',').map((s) => s.trim());
      if (offered[1] !== TOKEN) {
        ws.close(1008, 'unauthorized');
        return;
      }
      ws.on('close', (code) => this.closes.push(code));
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

  /** Adds a stored conversation with one question and one answer (newest last added). */
  seed(title: string, question: string, answer: string): string {
    const id = this.id('CONV');
    const conversation: Conversation = { id, title, lastMessageId: '', messages: new Map(), updatedAt: this.counter };
    this.conversations.set(id, conversation);
    const user = this.store(conversation, { id: this.id('MSGU'), parentId: null, role: 'user', content: [{ text: question }] });
    this.store(conversation, { id: this.id('MSGA'), parentId: user.id, role: 'assistant', content: [{ text: answer }], stopReason: 'end_turn' });
    return id;
  }

  sendMessages(): Frame[] {
    return this.frames.filter((f) => f.action === 'sendMessage');
  }

  private id(prefix: string): string {
    this.counter += 1;
    return `${prefix}${String(this.counter).padStart(4, '0')}`;
  }

  private store(conversation: Conversation, message: Omit<StoredMessage, 'createdAt'>): StoredMessage {
    const stored = { ...message, createdAt: new Date(1_700_000_000_000 + this.counter * 1000).toISOString() };
    conversation.messages.set(stored.id, stored);
    conversation.lastMessageId = stored.id;
    conversation.updatedAt = this.counter;
    return stored;
  }

  private onFrame(ws: WebSocket, frame: Frame): void {
    this.frames.push(frame);
    const send = (body: Record<string, unknown>) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ v: 1, ...body }));
    };
    const requestId = frame.requestId;
    if (this.tokensExpired) {
      this.tokensExpired = false;
      this.expiries += 1;
      send({ type: 'error', requestId, code: 'AUTH_EXPIRED', message: 'Your sign-in has expired.' });
      ws.close(1000);
      return;
    }
    if (frame.action === 'ping') return send({ type: 'pong' });
    if (frame.action === 'resume') {
      const running = this.running.get(requestId ?? '');
      if (!running) return send({ type: 'error', requestId, code: 'NOT_FOUND', message: 'no such request' });
      return running.moveTo(send);
    }
    if (frame.action === 'stop') return this.running.get(requestId ?? '')?.finish('stopped');
    const isNew = !frame.conversationId;
    const existing = frame.conversationId ? this.conversations.get(frame.conversationId) : undefined;
    if (frame.conversationId && !existing) return send({ type: 'error', requestId, code: 'NOT_FOUND', message: 'no such conversation' });
    // As bots-contract.md: a new conversation takes the frame's bot; a later turn uses the conversation's (another
    // botId is INVALID); a bot the caller lost is BOT_UNAVAILABLE, and nothing is written.
    const botId = existing ? existing.botId : frame.botId;
    if (existing && frame.action === 'sendMessage' && (frame.botId ?? undefined) !== existing.botId) {
      return send({ type: 'error', requestId, code: 'INVALID', message: 'botId differs from the conversation\'s bot' });
    }
    const bot = botId ? this.bots.get(botId) : undefined;
    if (botId && (!bot || this.lostBots.has(botId))) {
      return send({ type: 'error', requestId, conversationId: frame.conversationId, code: 'BOT_UNAVAILABLE', message: 'This bot was deleted or is no longer shared with you.' });
    }
    if (bot) {
      bot.usageCount += 1;
      this.recents = [bot.id, ...this.recents.filter((r) => r !== bot.id)];
    }
    const conversationId = frame.conversationId ?? this.id('CONV');
    const conversation = existing ?? { id: conversationId, title: '', lastMessageId: '', messages: new Map(), ...(bot ? { botId: bot.id, botTitle: bot.title } : {}) };
    this.conversations.set(conversationId, conversation);
    const ids = { requestId, conversationId };

    if (frame.action === 'continue') {
      const answer = conversation.messages.get(frame.messageId ?? '');
      if (!answer || answer.role !== 'assistant') return send({ type: 'error', ...ids, code: 'NOT_FOUND', message: 'no such answer' });
      send({ type: 'ack', ...ids, messageId: answer.id });
      return this.stream(send, conversation, answer, { deltas: [' and', ' more.'] }, frame, false);
    }

    let user: StoredMessage | undefined;
    let text: string;
    if (frame.action === 'regenerate') {
      user = conversation.messages.get(frame.messageId ?? '');
      if (!user || user.role !== 'user') return send({ type: 'error', ...ids, code: 'NOT_FOUND', message: 'no such message' });
      text = user.content.map((b) => b.text ?? '').join('');
      send({ type: 'ack', ...ids, messageId: user.id });
    } else {
      text = frame.content?.map((b) => b.text ?? '').join('') ?? '';
      const edited = frame.editOf ? conversation.messages.get(frame.editOf) : undefined;
      if (frame.editOf && !edited) return send({ type: 'error', ...ids, code: 'NOT_FOUND', message: 'no such message' });
      const parentId = edited ? edited.parentId : frame.parentMessageId ?? (conversation.lastMessageId || null);
      user = this.store(conversation, { id: this.id('MSGU'), parentId, role: 'user', content: frame.content ?? [] });
      send({ type: 'ack', ...ids, messageId: user.id });
      if (text.includes('please fail')) {
        setTimeout(() => send({ type: 'error', ...ids, code: 'THROTTLED', message: 'ThrottlingException: Rate exceeded' }), 50);
        return;
      }
    }
    const take = [...conversation.messages.values()].filter((m) => m.parentId === user.id).length + 1;
    const script: Script = frame.action === 'regenerate'
      ? { ...this.scripts.get(text), deltas: ['Take ', String(take), ': ', text] }
      : this.scripts.get(text) ?? { deltas: this.answers.get(text) ?? [...DELTAS, text] };
    const answer = this.store(conversation, { id: this.id('MSGA'), parentId: user.id, role: 'assistant', content: [] });
    this.stream(send, conversation, answer, script, frame, isNew ? text : false);
  }

  /** Streams an answer (a new one, or more of a continued one), one frame every DELTA_SPACING_MS. */
  private stream(firstSend: (body: Record<string, unknown>) => void, conversation: Conversation, answer: StoredMessage,
    script: Script, frame: Frame, titleFrom: string | false): void {
    let target = firstSend;
    const send = (body: Record<string, unknown>) => target(body);
    const ids = { requestId: frame.requestId, conversationId: conversation.id, messageId: answer.id };
    const continued = frame.action === 'continue';
    let text = answer.content.map((b) => b.text ?? '').join('');
    let reasoning = '';
    send({ type: 'start', ...ids, parentMessageId: answer.parentId, model: frame.model ?? 'fake.model-v1', ...(continued ? { continued: true } : {}) });
    const steps: (() => void)[] = [];
    for (const delta of script.reasoning ?? []) steps.push(() => { reasoning += delta; send({ type: 'reasoning', ...ids, delta }); });
    for (const tool of script.tools ?? []) {
      steps.push(() => send({ type: 'toolUse', ...ids, toolUseId: tool.toolUseId, name: tool.name, input: tool.input }));
      if (tool.result) steps.push(() => send({ type: 'toolResult', ...ids, toolUseId: tool.toolUseId, ...tool.result }));
    }
    const citations = (script.citations ?? []).map((citation) => () => send({ type: 'citation', ...ids, ...citation }));
    if (script.citationsFirst) steps.push(...citations);
    for (const delta of script.deltas ?? []) steps.push(() => { text += delta; send({ type: 'text', ...ids, delta }); });
    if (!script.citationsFirst) steps.push(...citations);
    const usage = script.usage === null ? undefined : script.usage ?? { inputTokens: 3, outputTokens: 9 };
    const running: Running = {
      timers: [],
      finish: (stopReason) => {
        running.timers.forEach(clearTimeout);
        this.running.delete(frame.requestId ?? '');
        Object.assign(answer, {
          content: [{ text }],
          stopReason,
          usage,
          ...(reasoning ? { reasoning } : {}),
          ...(script.citationsFirst && script.citations ? { citations: script.citations } : {}),
        });
        conversation.lastMessageId = answer.id;
        send({ type: 'end', ...ids, stopReason, ...(usage ? { usage } : {}), price: script.price ?? 0.0042, ...(script.contextTrimmed ? { contextTrimmed: script.contextTrimmed } : {}) });
        if (titleFrom !== false) {
          conversation.title = `About: ${titleFrom.slice(0, 40)}`;
          send({ type: 'title', conversationId: conversation.id, title: conversation.title });
        }
      },
      moveTo: (next) => {
        target = next;
        send({ type: 'resumed', requestId: frame.requestId, conversationId: conversation.id, done: false });
        send({ type: 'start', ...ids, parentMessageId: answer.parentId, model: frame.model ?? 'fake.model-v1', resumed: true });
        if (reasoning) send({ type: 'reasoning', ...ids, delta: reasoning, snapshot: true });
        if (text) send({ type: 'text', ...ids, delta: text, snapshot: true });
      },
    };
    this.running.set(frame.requestId ?? '', running);
    steps.forEach((step, i) => running.timers.push(setTimeout(step, (i + 1) * DELTA_SPACING_MS)));
    running.timers.push(setTimeout(() => running.finish(script.stopReason ?? 'end_turn'), (steps.length + 1) * DELTA_SPACING_MS));
  }

  /** Adds a bot (defaults: owned by someone else, shared with everyone). */
  addBot(bot: Partial<FakeBot> & { title: string }): FakeBot {
    const now = new Date(1_700_000_000_000 + this.counter * 1000).toISOString();
    const full: FakeBot = {
      id: this.id('01BOT'),
      description: '',
      instructions: '',
      generation: {},
      quickStarters: [],
      models: [],
      promptCaching: false,
      showRetrievedChunks: false,
      owner: 'other',
      scope: 'all',
      users: [],
      groups: [],
      starred: false,
      pinned: false,
      usageCount: 0,
      createdAt: now,
      updatedAt: now,
      ...bot,
    };
    this.bots.set(full.id, full);
    return full;
  }

  private summary(b: FakeBot): Record<string, unknown> {
    if (this.lostBots.has(b.id)) return { id: b.id, title: b.title, available: false };
    const { id, title, description, owner, scope, starred, pinned, pinOrder, usageCount, updatedAt } = b;
    const order = pinOrder !== undefined ? { pinOrder } : {};
    return { id, title, description, owner, scope, starred, pinned, ...order, usageCount, updatedAt, available: true };
  }

  private botView(b: FakeBot): Record<string, unknown> {
    const { instructions, guardrail, users, groups, ...rest } = b;
    return {
      ...rest,
      ...this.summary(b),
      knowledge: this.knowledgeEnabled ? this.knowledgeView(b) : null,
      tools: [],
      sharing: { users, groups },
      ...(b.owner === 'you' ? { instructions, ...(guardrail ? { guardrail } : {}) } : {}),
    };
  }

  private knowledgeView(b: FakeBot): Record<string, unknown> {
    const k = this.knowledgeSettings.get(b.id);
    return {
      mode: 'shared',
      numberOfResults: 5,
      ...k?.settings,
      documentCount: this.knowledgeDocs.get(b.id)?.length ?? 0,
      ...(k?.kb ? { state: structuredClone(k.kb) } : {}),
    };
  }

  /**
   * The provision machine, one step (the test moves it on): CREATING → ACTIVE with its first sync QUEUED (or FAILED
   * with `failCreate` as the reason); a sync QUEUED → RUNNING → SUCCEEDED (or FAILED with `failSync`).
   */
  advanceKnowledge(botId: string): void {
    const k = this.knowledgeSettings.get(botId);
    if (!k?.kb) throw new Error(`${botId} has no dedicated knowledge base`);
    if (k.kb.status === 'CREATING') {
      k.kb = this.failCreate ? { status: 'FAILED', reason: this.failCreate } : { status: 'ACTIVE', knowledgeBaseId: `KB${botId.slice(-6)}`, sync: { status: 'QUEUED' } };
    } else if (k.kb.status === 'ACTIVE' && k.kb.sync?.status === 'QUEUED') {
      k.kb.sync = { status: 'RUNNING' };
    } else if (k.kb.status === 'ACTIVE' && k.kb.sync?.status === 'RUNNING') {
      const docs = this.knowledgeDocs.get(botId)?.length ?? 0;
      const failed = this.failSync?.failedDocuments.length ?? 0;
      k.kb.sync = this.failSync
        ? {
          status: 'FAILED',
          reason: this.failSync.reason,
          failedDocuments: this.failSync.failedDocuments,
          // PascalCase, as a Step Functions SDK integration returns the job (the SUCCEEDED branch: the API's camelCase).
          statistics: { NumberOfDocumentsScanned: docs + failed, NumberOfNewDocumentsIndexed: docs, NumberOfDocumentsFailed: failed },
        }
        : { status: 'SUCCEEDED', statistics: { numberOfDocumentsScanned: docs, numberOfNewDocumentsIndexed: docs, numberOfDocumentsFailed: 0 } };
    }
  }

  /** As the server checks `knowledge` (the contract's shapes and ranges, crawler URLs through checkCrawlerUrl). */
  private knowledgeInvalid(value: unknown): string | undefined {
    const k = value as Record<string, unknown>;
    if (!k || typeof k !== 'object') return 'knowledge: an object';
    const R = KNOWLEDGE_RANGES;
    const int = (field: string, v: unknown, [min, max]: readonly [number, number]) =>
      (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max ? `${field}: an integer from ${min} to ${max}` : undefined);
    if (!['shared', 'dedicated', 'existing'].includes(String(k.mode))) return 'knowledge.mode: shared, dedicated or existing';
    if (k.numberOfResults !== undefined) {
      const p = int('knowledge.numberOfResults', k.numberOfResults, R.numberOfResults);
      if (p) return p;
    }
    if (k.mode === 'existing') {
      const id = (k.existing as Record<string, unknown> | undefined)?.knowledgeBaseId;
      if (!this.knowledgeBases.existing.some((b) => b.knowledgeBaseId === id)) return 'knowledge.existing.knowledgeBaseId: not a knowledge base of this deployment';
    }
    if (k.mode === 'dedicated') {
      const d = k.dedicated as Record<string, unknown> | undefined;
      if (!d || !this.knowledgeBases.dedicated?.embeddingModels.some((m) => m.modelId === d.embeddingModelId)) return 'knowledge.dedicated.embeddingModelId: not offered';
      const c = d.chunking as Record<string, unknown>;
      const p = 'knowledge.dedicated.chunking';
      const checks: Record<string, [string, readonly [number, number]][]> = {
        FIXED_SIZE: [['maxTokens', R.maxTokens], ['overlapPercentage', R.overlapPercentage]],
        HIERARCHICAL: [['parentMaxTokens', R.maxTokens], ['childMaxTokens', R.maxTokens], ['overlapTokens', R.overlapTokens]],
        SEMANTIC: [['maxTokens', R.maxTokens], ['bufferSize', R.bufferSize], ['breakpointPercentileThreshold', R.breakpointPercentileThreshold]],
        NONE: [],
      };
      const rules = checks[String(c?.strategy)];
      if (!rules) return `${p}.strategy: FIXED_SIZE, HIERARCHICAL, SEMANTIC or NONE`;
      for (const [name, range] of rules) {
        const problem = int(`${p}.${name}`, c[name], range);
        if (problem) return problem;
      }
      const w = d.webCrawler as Record<string, unknown> | undefined;
      if (w) {
        const seeds = w.seedUrls as string[];
        if (!Array.isArray(seeds) || seeds.length < 1 || seeds.length > 10) return 'knowledge.dedicated.webCrawler.seedUrls: 1 to 10 URLs';
        for (const [i, url] of seeds.entries()) {
          const reason = checkCrawlerUrl(url);
          if (reason) return `knowledge.dedicated.webCrawler.seedUrls[${i}]: ${reason}`;
        }
      }
    }
    return undefined;
  }

  /** Stores validated settings: a new dedicated knowledge base (CREATING) when there was none or it must be rebuilt. */
  private applyKnowledge(b: FakeBot, value: Record<string, unknown> & { mode: 'shared' | 'dedicated' | 'existing' }): void {
    const before = this.knowledgeSettings.get(b.id);
    const d = value.dedicated as Record<string, unknown> | undefined;
    const old = before?.settings.dedicated as Record<string, unknown> | undefined;
    const same = (key: string) => JSON.stringify(d?.[key]) === JSON.stringify(old?.[key]);
    const keep = value.mode === 'dedicated' && before?.settings.mode === 'dedicated' && before.kb?.status !== 'FAILED'
      && same('embeddingModelId') && same('chunking') && same('parsing');
    this.knowledgeSettings.set(b.id, {
      settings: structuredClone(value),
      kb: value.mode !== 'dedicated' ? undefined : keep ? before!.kb : { status: 'CREATING' },
    });
  }

  /** The bot routes of bots-contract.md, over the signed-in user `user-1`; 400 INVALID naming the field like the server. */
  private async usageLimitsRoute(req: IncomingMessage, url: URL, reply: (status: number, type: string, body: string) => void): Promise<void> {
    const method = req.method ?? 'GET';
    const raw = method === 'PUT' ? String(await readBody(req)) : '';
    const body = raw ? JSON.parse(raw) as unknown : undefined;
    this.usageCalls.push({ method, path: url.pathname, ...(body !== undefined ? { body } : {}) });
    const json = (status: number, value?: unknown) => reply(status, 'application/json', value === undefined ? '' : JSON.stringify(value));
    const error = (status: number, code: string, message: string) => json(status, { code, message });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return error(401, 'UNAUTHORIZED', 'no');
    if (!this.me.isAdmin) return error(403, 'FORBIDDEN', 'Only admins may manage usage limits.');
    const u = this.usageLimits;
    if (url.pathname === '/api/usage/limits' && method === 'GET') {
      return json(200, {
        defaults: u.defaults,
        maxConcurrentAnswers: u.maxConcurrentAnswers,
        users: [...u.users].map(([userId, limits]) => ({ userId, limits })),
        groups: [...u.groups].map(([group, limits]) => ({ group, limits })),
      });
    }
    const match = /^\/api\/usage\/limits\/(users|groups)\/([^/]+)$/.exec(url.pathname);
    if (!match) return error(404, 'NOT_FOUND', 'no route');
    const map = match[1] === 'users' ? u.users : u.groups;
    const name = decodeURIComponent(match[2]);
    if (method === 'DELETE') return map.delete(name) ? json(204) : error(404, 'NOT_FOUND', 'This subject has no usage limits override.');
    if (method !== 'PUT') return error(404, 'NOT_FOUND', 'no route');
    const scripted = this.nextUsageError;
    this.nextUsageError = undefined;
    if (scripted) return error(scripted.status, scripted.code, scripted.message);
    // As usage-routes.ts checkedLimits.
    const problem = limitSetProblem(body);
    if (problem) return error(400, 'INVALID', `The body: ${problem}.`);
    if (Object.keys(body as object).length === 0) return error(400, 'INVALID', 'The body sets no limit.');
    map.set(name, body as LimitSet);
    return json(200, { limits: body });
  }

  private async botRoute(req: IncomingMessage, url: URL, reply: (status: number, type: string, body: string) => void): Promise<void> {
    const method = req.method ?? 'GET';
    const raw = method === 'GET' || method === 'DELETE' ? '' : String(await readBody(req));
    const body = raw ? JSON.parse(raw) as Record<string, unknown> : undefined;
    this.botCalls.push({ method, path: url.pathname + url.search, ...(body ? { body } : {}) });
    const json = (status: number, value?: unknown) => reply(status, 'application/json', value === undefined ? '' : JSON.stringify(value));
    const error = (status: number, code: string, message: string) => json(status, { code, message });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return error(401, 'UNAUTHORIZED', 'no');
    const path = url.pathname.replace(/^\/api/, '');
    const q = url.searchParams.get('q') ?? '';
    const visible = (b: FakeBot) => !this.lostBots.has(b.id) && (b.owner === 'you' || b.scope === 'all' || b.users.includes(this.me.userId) || b.groups.some((g) => this.me.groups.includes(g)));
    const offset = Number(url.searchParams.get('nextToken') ?? 0);
    if (!Number.isInteger(offset) || offset < 0) return error(400, 'BAD_REQUEST', 'nextToken is not valid for this list.');
    const list = (items: FakeBot[]) => {
      const page = items.slice(offset, offset + this.botPageSize);
      const more = offset + this.botPageSize < items.length ? { nextToken: String(offset + this.botPageSize) } : {};
      return json(200, { items: page.map((b) => this.summary(b)), ...more });
    };
    if (path === '/me') return json(200, this.me);
    if (path === '/users/search') {
      if (q.length < 1 || q.length > 64) return error(400, 'INVALID', 'q: 1 to 64 characters');
      return json(200, { items: this.poolUsers.filter((u) => u.email.startsWith(q.toLowerCase())) });
    }
    if (path === '/groups/search') return json(200, { items: this.poolGroups.filter((g) => g.name.toLowerCase().startsWith(q.toLowerCase())) });
    const publicBots = () => [...this.bots.values()].filter((b) => b.scope === 'all' && !this.lostBots.has(b.id));
    if (path === '/store/search') {
      if (q.length < 1 || q.length > 100) return error(400, 'INVALID', 'q: 1 to 100 characters');
      const words = q.toLowerCase().split(/\s+/).filter(Boolean);
      return list(publicBots().filter((b) => words.every((w) => `${b.title} ${b.description}`.toLowerCase().includes(w))));
    }
    if (path === '/store/popular') return list(publicBots().sort((a, b) => b.usageCount - a.usageCount || a.id.localeCompare(b.id)));
    if (path === '/store/pickup') return list(publicBots().slice(0, 10));
    if (path === '/store/essentials') return list(publicBots().filter((b) => b.pinned).sort((a, b) => (a.pinOrder ?? 0) - (b.pinOrder ?? 0)));
    if (path === '/bots' && method === 'GET') {
      const kind = url.searchParams.get('kind');
      const all = [...this.bots.values()];
      // As the server: newest change first (a bot saved between two pages moves the others down by one).
      if (kind === 'mine') return list(all.filter((b) => b.owner === 'you').sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)));
      if (kind === 'starred') return list(all.filter((b) => b.starred && visible(b)));
      if (kind === 'recent') return list(this.recents.map((id) => this.bots.get(id)).filter((b): b is FakeBot => !!b));
      if (kind === 'shared') return list(all.filter((b) => b.owner !== 'you' && visible(b)));
      return error(400, 'INVALID', 'kind: mine, starred, recent or shared');
    }
    const invalid = (input: Record<string, unknown>): string | undefined => {
      const title = input.title;
      if (title !== undefined && (typeof title !== 'string' || !title.trim() || title.length > 100)) return 'title: 1 to 100 characters';
      const generation = (input.generation ?? {}) as Record<string, unknown>;
      const models = (input.models as string[] | undefined) ?? [];
      // fake.model-v2 takes no topK (the real server checks each model's capabilities).
      if (generation.topK !== undefined && (models.length === 0 || models.includes('fake.model-v2'))) return 'generation.topK is not supported by model fake.model-v2';
      if (input.knowledge !== undefined) return this.knowledgeEnabled ? this.knowledgeInvalid(input.knowledge) : 'knowledge: this deployment has no knowledge base';
      return undefined;
    };
    if (path === '/bots' && method === 'POST') {
      if (!this.me.canCreateBots) return error(403, 'FORBIDDEN', 'creating bots needs CreatingBotAllowed');
      const problem = body ? invalid(body) : 'body required';
      if (problem || typeof body?.title !== 'string') return error(400, 'INVALID', problem ?? 'title: required');
      const { knowledge, ...fields } = body as Partial<FakeBot> & { title: string; knowledge?: FakeKnowledge['settings'] };
      const bot = this.addBot({ ...fields, owner: 'you', scope: 'private' });
      if (knowledge) this.applyKnowledge(bot, knowledge);
      return json(201, this.botView(bot));
    }
    const pin = /^\/admin\/bots\/([^/]+)\/pin$/.exec(path);
    if (pin && method === 'PUT') {
      if (!this.me.isAdmin) return error(403, 'FORBIDDEN', 'Only members of Admin can pin bots.');
      const target = this.bots.get(decodeURIComponent(pin[1]));
      if (!target) return error(404, 'NOT_FOUND', 'Bot not found.');
      if (typeof body?.pinned !== 'boolean') return error(400, 'BAD_REQUEST', 'pinned must be true or false');
      if (body.pinned && target.scope !== 'all') return error(422, 'UNPROCESSABLE', 'Only bots shared with everyone can be pinned.');
      target.pinned = body.pinned;
      if (body.pinned) target.pinOrder = typeof body.order === 'number' ? body.order : 0;
      else delete target.pinOrder;
      return json(204);
    }
    const m = /^\/bots\/([^/]+)(\/(sharing|star|recent))?$/.exec(path);
    const bot = m ? this.bots.get(decodeURIComponent(m[1])) : undefined;
    if (!m || !bot || !visible(bot)) {
      if (m && bot && m[3] === 'recent' && method === 'DELETE') {
        this.recents = this.recents.filter((r) => r !== bot.id);
        return json(204);
      }
      return error(404, 'NOT_FOUND', 'no such bot');
    }
    const sub = m[3];
    if (!sub && method === 'GET') return json(200, this.botView(bot));
    if (sub === 'star' && method === 'PUT') {
      bot.starred = !!body?.starred;
      return json(204);
    }
    if (sub === 'recent' && method === 'DELETE') {
      this.recents = this.recents.filter((r) => r !== bot.id);
      return json(204);
    }
    if (bot.owner !== 'you') return error(403, 'FORBIDDEN', 'only the owner');
    if (!sub && method === 'PATCH') {
      const problem = body ? invalid(body) : 'body required';
      if (problem) return error(400, 'INVALID', problem);
      // As the server: null removes a clearable field; null anywhere else is bad input.
      const nulls = Object.keys(body ?? {}).filter((k) => body?.[k] === null);
      if (nulls.some((k) => k !== 'defaultModel' && k !== 'guardrail')) return error(400, 'BAD_REQUEST', `${nulls[0]} must not be null`);
      for (const k of nulls) delete (bot as unknown as Record<string, unknown>)[k];
      const { knowledge, ...fields } = body ?? {};
      if (knowledge) this.applyKnowledge(bot, knowledge as FakeKnowledge['settings']);
      Object.assign(bot, Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null)), { updatedAt: new Date().toISOString() });
      return json(200, this.botView(bot));
    }
    if (!sub && method === 'DELETE') {
      this.bots.delete(bot.id);
      this.recents = this.recents.filter((r) => r !== bot.id);
      return json(204);
    }
    if (sub === 'sharing' && method === 'PUT') {
      const scope = body?.scope;
      if (scope !== 'private' && scope !== 'partial' && scope !== 'all') return error(400, 'INVALID', 'scope: private, partial or all');
      Object.assign(bot, { scope, users: scope === 'partial' ? body?.users ?? [] : [], groups: scope === 'partial' ? body?.groups ?? [] : [] });
      return json(200, this.botView(bot));
    }
    return error(404, 'NOT_FOUND', 'no such route');
  }

  /**
   * The knowledge routes of docs/knowledge-contract.md over the signed-in user: uploads (checked with the contract's
   * rules), documents (each GET of the list moves a document on: QUEUED → RUNNING → SUCCEEDED, or FAILED with a reason
   * for a file whose name contains "broken"; one whose name contains "slow" stays RUNNING), delete, and the source of a document for anyone who may chat with the bot.
   */
  private async knowledgeRoute(req: IncomingMessage, url: URL, reply: (status: number, type: string, body: string) => void): Promise<void> {
    const method = req.method ?? 'GET';
    const raw = method === 'POST' ? String(await readBody(req)) : '';
    const body = raw ? JSON.parse(raw) as Record<string, unknown> : undefined;
    this.knowledgeCalls.push({ method, path: url.pathname, ...(body ? { body } : {}) });
    const json = (status: number, value?: unknown) => reply(status, 'application/json', value === undefined ? '' : JSON.stringify(value));
    const error = (status: number, code: string, message: string) => json(status, { code, message });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return error(401, 'UNAUTHORIZED', 'no');
    if (url.pathname === '/api/knowledge/bases' && method === 'GET') {
      return this.me.canCreateBots ? json(200, this.knowledgeBases) : error(403, 'FORBIDDEN', 'creating bots needs CreatingBotAllowed');
    }
    const sync = /^\/api\/knowledge\/bots\/([^/]+)\/sync$/.exec(url.pathname);
    if (sync && method === 'POST') {
      const target = this.bots.get(decodeURIComponent(sync[1]));
      const k = target && this.knowledgeSettings.get(target.id);
      if (!target || target.owner !== 'you') return error(404, 'NOT_FOUND', 'Bot not found.');
      if (!k?.kb) return error(409, 'NOT_DEDICATED', 'This bot has no knowledge base of its own.');
      if (k.kb.status !== 'ACTIVE') return error(409, 'NOT_READY', 'The knowledge base is not ready.');
      k.kb.sync = { status: 'QUEUED' };
      return json(202, { state: structuredClone(k.kb) });
    }
    const m = /^\/api\/knowledge\/bots\/([^/]+)\/(uploads|documents)(?:\/([^/]+)(\/source)?)?$/.exec(url.pathname);
    const bot = m ? this.bots.get(decodeURIComponent(m[1])) : undefined;
    const mayChat = bot && !this.lostBots.has(bot.id) && (bot.owner !== 'other' || bot.scope === 'all' || bot.users.includes(this.me.userId) || bot.groups.some((g) => this.me.groups.includes(g)));
    if (!m || !bot || !mayChat) return error(404, 'NOT_FOUND', 'Bot not found.');
    const docs = this.knowledgeDocs.get(bot.id) ?? [];
    this.knowledgeDocs.set(bot.id, docs);
    const documentId = m[3] ? decodeURIComponent(m[3]) : undefined;
    if (m[4] && method === 'GET') {
      const doc = docs.find((d) => d.id === documentId);
      if (!doc) return error(404, 'NOT_FOUND', 'Document not found.');
      if (this.sourceStatus !== 200) return error(this.sourceStatus, 'INTERNAL', 'The source could not be signed.');
      return json(200, { url: `${this.origin}/s3/get/${doc.id}?X-Amz-Signature=fake`, expiresAt: new Date(Date.now() + 300_000).toISOString() });
    }
    if (bot.owner !== 'you') return bot.owner === 'deployment' ? error(403, 'MANAGED', 'This bot is managed in code.') : error(404, 'NOT_FOUND', 'Bot not found.');
    const settings = this.knowledgeSettings.get(bot.id);
    if (settings?.settings.mode === 'existing') return error(409, 'EXISTING', 'This bot answers from an existing knowledge base.');
    if (settings?.kb && settings.kb.status !== 'ACTIVE') return error(409, 'NOT_READY', 'The knowledge base is not ready.');
    if (m[2] === 'uploads' && !documentId && method === 'POST') {
      const name = String(body?.name ?? '');
      const size = Number(body?.size);
      const contentType = String(body?.contentType ?? '');
      const problem = knowledgeProblem({ name, size, type: contentType });
      if (problem || knowledgeType(name) !== contentType) return error(400, 'INVALID', `The file is not accepted (${problem ?? 'type'}).`);
      if (docs.length >= MAX_KNOWLEDGE_DOCUMENTS) return error(409, 'LIMIT', 'A bot can have at most 100 documents.');
      const uploadId = this.id('01UPL');
      this.knowledgeUploads.set(uploadId, { botId: bot.id, name, contentType, size });
      // Two signed headers, so that "exactly the returned headers" is seen on the PUT.
      return json(201, {
        uploadId,
        url: `${this.origin}/s3/put/${uploadId}?X-Amz-Signature=fake`,
        headers: { 'content-type': contentType, 'x-amz-meta-upload-id': uploadId },
        expiresAt: new Date(Date.now() + 300_000).toISOString(),
      });
    }
    if (m[2] === 'documents' && !documentId && method === 'POST') {
      const upload = this.knowledgeUploads.get(String(body?.uploadId ?? ''));
      if (!upload || upload.botId !== bot.id || !upload.body || upload.body.length !== upload.size) return error(400, 'INVALID', 'uploadId: no such upload.');
      this.knowledgeUploads.delete(String(body?.uploadId));
      const now = new Date().toISOString();
      const doc: FakeDocument = { id: this.id('01DOC'), name: upload.name, contentType: upload.contentType, size: upload.size, status: 'QUEUED', createdAt: now, updatedAt: now, body: upload.body };
      docs.unshift(doc);
      return json(201, documentView(doc));
    }
    if (m[2] === 'documents' && !documentId && method === 'GET') {
      for (const d of docs) {
        if (d.status === 'QUEUED') d.status = 'RUNNING';
        else if (d.status === 'RUNNING' && d.name.includes('slow')) continue; // indexed for as long as the test needs
        else if (d.status === 'RUNNING' && d.name.includes('broken')) Object.assign(d, { status: 'FAILED', statusReason: 'The file could not be parsed.' });
        else if (d.status === 'RUNNING') d.status = 'SUCCEEDED';
      }
      return json(200, { items: docs.map(documentView) });
    }
    if (m[2] === 'documents' && documentId && method === 'DELETE') {
      const i = docs.findIndex((d) => d.id === documentId);
      if (i < 0) return error(404, 'NOT_FOUND', 'Document not found.');
      docs.splice(i, 1);
      return json(204);
    }
    return error(404, 'NOT_FOUND', 'no such route');
  }

  /** The fake S3: a presigned PUT must carry exactly the signed headers and the declared size; a GET serves the bytes. */
  private async s3(req: IncomingMessage, url: URL, res: ServerResponse): Promise<void> {
    const put = /^\/s3\/put\/([^/]+)$/.exec(url.pathname);
    if (put && req.method === 'PUT') {
      const body = await readBody(req);
      const upload = this.knowledgeUploads.get(put[1]);
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'x-amz-meta-upload-id', 'content-disposition', 'x-amz-acl']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const refuse = this.failNextPut;
      this.failNextPut = false;
      const ok = !refuse && !!upload && headers['content-type'] === upload.contentType && headers['x-amz-meta-upload-id'] === put[1]
        && Object.keys(headers).length === 2 && body.length === upload.size;
      if (ok) upload.body = body;
      this.knowledgeCalls.push({ method: 'S3 PUT', path: url.pathname, headers, bytes: body.length, status: ok ? 200 : 403 });
      res.writeHead(ok ? 200 : 403, { 'access-control-allow-origin': '*' }).end();
      return;
    }
    const get = /^\/s3\/get\/([^/]+)$/.exec(url.pathname);
    const doc = get ? [...this.knowledgeDocs.values()].flat().find((d) => d.id === get[1]) : undefined;
    if (doc && req.method === 'GET') {
      this.knowledgeCalls.push({ method: 'S3 GET', path: url.pathname });
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-disposition': 'inline' }).end(doc.body);
      return;
    }
    res.writeHead(404).end();
  }

  /** `POST /api/uploads` `{name, contentType, size}` → a presigned PUT to `/put/<n>` that requires that content-type. */
  private async presign(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = JSON.parse(String(await readBody(req))) as { name: string; contentType: string; size: number };
    this.uploads.push({ ...body, authorization: req.headers.authorization });
    await new Promise((r) => setTimeout(r, this.uploadDelayMs));
    res.setHeader('content-type', 'application/json');
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end('{"code":"UNAUTHORIZED","message":"no"}');
      return;
    }
    const n = this.id('');
    const path = `/put/${n}`;
    this.presigned.set(path, body.contentType);
    res.writeHead(200).end(JSON.stringify({
      key: `uploads/user-1/01HZZZZZZZZZZZZZZZZZZZ${n}/${body.name.replace(/[^A-Za-z0-9._-]/g, '_')}`,
      url: `${this.origin}${path}`,
      headers: { 'content-type': body.contentType },
      expiresAt: new Date(Date.now() + 300_000).toISOString(),
    }));
  }

  /** The presigned PUT: refused (403, like S3's signature check) unless the content-type is the signed one. */
  private async put(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const expected = this.presigned.get(path);
    const status = expected && req.headers['content-type'] === expected ? 200 : 403;
    this.puts.push({ path, contentType: req.headers['content-type'], body, status });
    res.writeHead(status).end();
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
        ...this.configExtra,
      }));
      return;
    }
    if (url.pathname === '/api/models') {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return reply(401, 'application/json', '{"code":"UNAUTHORIZED","message":"no"}');
      return reply(200, 'application/json', JSON.stringify({ items: this.models }));
    }
    if (/^\/api\/(bots|store|users|groups|me|admin\/bots)(\/|$|\?)/.test(url.pathname)) return void this.botRoute(req, url, reply);
    if (url.pathname.startsWith('/api/usage/limits')) return void this.usageLimitsRoute(req, url, reply);
    if (url.pathname.startsWith('/api/knowledge/') && this.knowledgeEnabled) return void this.knowledgeRoute(req, url, reply);
    if (url.pathname.startsWith('/s3/')) return void this.s3(req, url, res);
    if (url.pathname === '/api/uploads' && req.method === 'POST') return void this.presign(req, res);
    if (url.pathname.startsWith('/put/') && req.method === 'PUT') return void this.put(url.pathname, req, res);
    if (url.pathname.startsWith('/api/conversations')) {
      this.restCalls.push({ url: url.pathname + url.search, authorization: req.headers.authorization, method: req.method });
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return reply(401, 'application/json', '{"code":"UNAUTHORIZED","message":"no"}');
    }
    if (url.pathname === '/api/conversations' && req.method === 'GET') {
      const all = [...this.conversations.values()].sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0));
      const start = Number(url.searchParams.get('nextToken') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const items = all.slice(start, start + limit).map((c) => ({ id: c.id, title: c.title, model: 'fake.model-v1', createdAt: '2024-01-01T00:00:00.000Z', updatedAt: '2024-01-01T00:00:00.000Z', ...(c.botId ? { botId: c.botId, botTitle: c.botTitle } : {}) }));
      return reply(200, 'application/json', JSON.stringify({ items, ...(start + limit < all.length ? { nextToken: String(start + limit) } : {}) }));
    }
    if (url.pathname === '/api/conversations/search') {
      const q = (url.searchParams.get('q') ?? '').toLowerCase();
      const items: { conversationId: string; title: string; messageId?: string; snippet: string }[] = [];
      for (const c of [...this.conversations.values()].sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0))) {
        if (c.title.toLowerCase().includes(q)) items.push({ conversationId: c.id, title: c.title, snippet: c.title });
        for (const m of c.messages.values()) {
          const text = m.content.map((b) => b.text ?? '').join('');
          if (text.toLowerCase().includes(q)) items.push({ conversationId: c.id, title: c.title, messageId: m.id, snippet: text });
        }
      }
      return reply(200, 'application/json', JSON.stringify({ items }));
    }
    const feedback = /^\/api\/conversations\/([^/]+)\/messages\/([^/]+)\/feedback$/.exec(url.pathname);
    if (feedback && req.method === 'PUT') {
      void readBody(req).then((raw) => {
        const body = JSON.parse(String(raw)) as Record<string, unknown>;
        this.writes.push({ method: 'PUT', path: url.pathname, body });
        const message = this.conversations.get(decodeURIComponent(feedback[1]))?.messages.get(decodeURIComponent(feedback[2]));
        if (this.feedbackStatus !== 200 || !message) return reply(this.feedbackStatus === 200 ? 404 : this.feedbackStatus, 'application/json', '{"code":"INTERNAL","message":"no"}');
        message.feedback = { ...body, createdAt: '2024-01-01T00:00:00.000Z' };
        reply(200, 'application/json', JSON.stringify({ feedback: message.feedback }));
      });
      return;
    }
    const match = /^\/api\/conversations\/([^/]+)$/.exec(url.pathname);
    if (match && req.method === 'DELETE') {
      this.writes.push({ method: 'DELETE', path: url.pathname });
      return this.conversations.delete(decodeURIComponent(match[1])) ? reply(204, 'application/json', '') : reply(404, 'application/json', '{"code":"NOT_FOUND","message":"no"}');
    }
    if (match && req.method === 'PATCH') {
      void readBody(req).then((raw) => {
        const body = JSON.parse(String(raw)) as { title: string };
        this.writes.push({ method: 'PATCH', path: url.pathname, body });
        const conversation = this.conversations.get(decodeURIComponent(match[1]));
        if (!conversation) return reply(404, 'application/json', '{"code":"NOT_FOUND","message":"no"}');
        conversation.title = body.title;
        reply(200, 'application/json', JSON.stringify({ id: conversation.id, title: body.title, model: 'fake.model-v1', createdAt: '2024-01-01T00:00:00.000Z', updatedAt: '2024-01-01T00:00:00.000Z' }));
      });
      return;
    }
    if (match) {
      const conversation = this.conversations.get(decodeURIComponent(match[1]));
      if (!conversation) return reply(404, 'application/json', '{"code":"NOT_FOUND","message":"no such conversation"}');
      // Messages in an order unrelated to the path, plus a sibling branch that must not be shown.
      const messages = [...conversation.messages.values()].reverse();
      messages.push({ id: 'MSGX', parentId: messages[messages.length - 1]?.id ?? null, role: 'assistant', content: [{ text: 'other branch' }], createdAt: '2099-01-01T00:00:00.000Z' });
      const head = { conversation: { id: conversation.id, title: conversation.title || 't', model: 'fake.model-v1', lastMessageId: conversation.lastMessageId, ...(conversation.botId ? { botId: conversation.botId, botTitle: conversation.botTitle } : {}) } };
      if (this.pageMessages > 0) {
        const n = this.pageMessages;
        const at = Number(url.searchParams.get('nextToken') ?? '0');
        const halves = (m: (typeof messages)[number]) => {
          const text = m.role === 'assistant' ? m.content[0]?.text ?? '' : '';
          return text.length > 1 ? [text.slice(0, Math.floor(text.length / 2)), text.slice(Math.floor(text.length / 2))] : undefined;
        };
        const page = messages.slice(at, at + n).map((m) => {
          const cut = halves(m);
          return cut ? { ...m, content: [{ ...m.content[0], text: cut[0] }, ...m.content.slice(1)] } : m;
        });
        const parts = messages.slice(Math.max(0, at - n), at).flatMap((m) => {
          const cut = halves(m);
          return cut ? [{ messageId: m.id, text: cut[1] }] : [];
        });
        const more = at + n < messages.length || page.some((m) => halves(m));
        return reply(200, 'application/json', JSON.stringify({ ...head, messages: page, ...(parts.length ? { parts } : {}), ...(more ? { nextToken: String(at + n) } : {}) }));
      }
      return reply(200, 'application/json', JSON.stringify({ ...head, messages }));
    }
    if (url.pathname === '/test.html') return reply(200, 'text/html', TEST_PAGE);
    if (url.pathname === '/app-test.html') return reply(200, 'text/html', APP_TEST_PAGE);
    if (url.pathname === '/test-page.js') return reply(200, 'text/javascript', TEST_SCRIPT);
    if (url.pathname === '/csp.html') {
      // The same page with its script external, under a strict Content Security Policy.
      const ws = this.origin.replace('http', 'ws');
      res.setHeader('content-security-policy', `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' ${ws}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
      return reply(200, 'text/html', CSP_PAGE);
    }
    const page = this.pages.get(url.pathname);
    if (page !== undefined) return reply(200, 'text/html', page);
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

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => done(Buffer.concat(chunks)));
    req.on('error', fail);
  });
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

/** The web app with a token provider; records the app's events in `window.events`. */
export const APP_TEST_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bedrock-chat-app test</title>
<link rel="stylesheet" href="/app.css">
<script type="module">
  import { ready } from '/bedrock-chat-app.js';
  window.events = [];
  for (const type of ['bedrock-chat-conversation', 'bedrock-chat-select', 'bedrock-chat-delete', 'bedrock-chat-rename', 'bedrock-chat-new-chat', 'bedrock-chat-message', 'bedrock-chat-error']) {
    document.addEventListener(type, (e) => window.events.push({ type, detail: JSON.parse(JSON.stringify(e.detail ?? null)), composed: e.composed, bubbles: e.bubbles }));
  }
  await ready;
  document.querySelector('bedrock-chat-app').tokenProvider = async () => ${JSON.stringify(TOKEN)};
  window.testReady = true;
</script></head>
<body><main><h1 class="sr-only">App test</h1><bedrock-chat-app config-url="/config.json"></bedrock-chat-app></main></body></html>`;
