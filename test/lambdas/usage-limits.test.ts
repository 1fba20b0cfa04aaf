/**
 * Usage limits over the wire (docs/architecture.md, "Usage limits"): the playground's stack synthesized with
 * `usageLimits` and a priced model, real WebSocket and HTTP clients, real DynamoDB reads. Every limit kind (tokens and
 * cost per hour, day and month), user and group overrides, an unlimited group, the concurrency cap, racing
 * reservations (counters = the usage stored), release on a model failure, nothing written for a refused turn, the
 * admin routes (isolation and bad input, fast-check).
 */
import { randomUUID } from 'crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import * as fc from 'fast-check';
import { snapshot } from './rest-helpers';
import type { FakeRequest, FakeStep } from '../../src/local/emulators/bedrock';
import { Playground, startPlayground } from '../../src/local/playground';
import { Frame, newRequestId, WsClient } from '../../src/local/ws-client';

const PRICES = { inputPer1kTokens: 0.003, outputPer1kTokens: 0.015 };
const MODEL = { key: 'priced', modelId: 'priced-model', displayName: 'Priced', prices: PRICES };
/** What the fake reports for every answer and every title. */
const ANSWER = { inputTokens: 300, outputTokens: 300 };
const TITLE = { inputTokens: 10, outputTokens: 5 };
const micro = (u: { inputTokens: number; outputTokens: number }) =>
  Math.round(u.inputTokens * PRICES.inputPer1kTokens * 1000 + u.outputTokens * PRICES.outputPer1kTokens * 1000);
/** The default of this stack: 1,000 tokens a month per user (tests exempt their users from it where it is not the subject). */
const DEFAULT_MONTH_TOKENS = 1000;

let pg: Playground;
let steps: FakeStep[] = [{ type: 'text', text: 'an answer' }];
let failNext = 0;

beforeAll(async () => {
  pg = await startPlayground({
    handlers: 'in-process',
    models: [MODEL],
    usageLimits: { tokensPerMonth: DEFAULT_MONTH_TOKENS, maxConcurrentAnswers: 3 },
    quiet: true,
    respond: (req: FakeRequest) => {
      if (req.operation === 'Converse') return { steps: [{ type: 'text', text: 'A title' }], usage: TITLE };
      if (failNext > 0) {
        failNext--;
        return { steps: [], error: { status: 400, name: 'ValidationException', message: 'The model refused.' } };
      }
      return { steps, usage: ANSWER };
    },
  });
}, 120_000);
afterAll(async () => {
  await pg?.stop();
});

interface TestUser { sub: string; token: string }
function user(groups: string[] = []): TestUser {
  const sub = randomUUID();
  const token = pg.stack.userPools[0].idp.issueIdToken({ sub, username: `u-${sub.slice(0, 8)}`, email: `${sub.slice(0, 8)}@example.com`, groups });
  return { sub, token };
}
const admin = () => pg.issueToken('admin');

async function rest(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${pg.restApiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function setLimits(subject: string, limits: Record<string, number | null>): Promise<void> {
  const res = await rest(admin(), 'PUT', `/usage/limits/${subject}`, limits);
  expect(res.status).toBe(200);
}

/** One sendMessage; resolves with its last frame (end or error) and every frame of it. */
async function send(c: WsClient, extra: Record<string, unknown> = {}): Promise<{ last: Frame; frames: Frame[] }> {
  const requestId = newRequestId();
  c.send({ v: 1, action: 'sendMessage', requestId, content: [{ text: 'hi' }], ...extra });
  const last = await c.until((f) => f.requestId === requestId && (f.type === 'end' || f.type === 'error'));
  await pg.idle();
  return { last, frames: c.of(requestId) };
}

async function usageOf(u: TestUser): Promise<any> {
  const res = await rest(u.token, 'GET', '/usage');
  expect(res.status).toBe(200);
  return res.body;
}

/** Tokens and micro-USD of every stored answer of the user, plus the titles of their conversations. */
async function stored(u: TestUser): Promise<{ tokens: number; microUsd: number }> {
  const list = await rest(u.token, 'GET', '/conversations');
  let tokens = 0;
  let microUsd = 0;
  for (const conv of list.body.items) {
    const got = await rest(u.token, 'GET', `/conversations/${conv.id}`);
    for (const m of got.body.messages) {
      if (m.role !== 'assistant' || !m.usage) continue;
      tokens += m.usage.inputTokens + m.usage.outputTokens + (m.usage.cacheReadTokens ?? 0) + (m.usage.cacheWriteTokens ?? 0);
      microUsd += micro(m.usage);
    }
    // Each conversation was named by the title model (one call, TITLE's usage).
    if (conv.title === 'A title') {
      tokens += TITLE.inputTokens + TITLE.outputTokens;
      microUsd += micro(TITLE);
    }
  }
  return { tokens, microUsd };
}

const nextBoundary = (window: string, now = new Date()) => {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  if (window === 'hour') return new Date(Date.UTC(y, m, d, now.getUTCHours() + 1)).toISOString();
  if (window === 'day') return new Date(Date.UTC(y, m, d + 1)).toISOString();
  return new Date(Date.UTC(y, m + 1, 1)).toISOString();
};

describe('every limit kind refuses the turn that does not fit, says which and when it resets, and writes nothing', () => {
  // One answer: 600 tokens (5,400 micro-USD), its title 15 tokens (105 micro-USD). The reservation of "hi" assumes
  // 501 tokens (7,503 micro-USD). So a limit of 1,000 tokens or 0.012 USD admits the first turn and refuses the second.
  test.each([
    ['tokens', 'hour', { tokensPerHour: 1000 }, 1000],
    ['tokens', 'day', { tokensPerDay: 1000 }, 1000],
    ['tokens', 'month', { tokensPerMonth: 1000 }, 1000],
    ['cost', 'hour', { costUsdPerHour: 0.012 }, 0.012],
    ['cost', 'day', { costUsdPerDay: 0.012 }, 0.012],
    ['cost', 'month', { costUsdPerMonth: 0.012 }, 0.012],
  ])('%s per %s', async (kind, window, limits, limit) => {
    const u = user();
    await setLimits(`users/${u.sub}`, { tokensPerMonth: null, ...limits });
    const c = await WsClient.connect(pg.webSocketUrl, u.token);
    try {
      const first = await send(c, { model: 'priced' });
      expect(first.last.type).toBe('end');
      const before = await snapshot();
      const calls = pg.bedrockRequests().length;
      const refused = await send(c, { model: 'priced', conversationId: first.last.conversationId });
      expect(refused.frames.map((f) => f.type)).toEqual(['error']);
      expect(refused.last).toMatchObject({ code: 'QUOTA', quota: { kind, window, limit, resetsAt: nextBoundary(window) } });
      const used = kind === 'tokens' ? 615 : 0.005505;
      expect(refused.last.quota.used).toBeCloseTo(used, 6);
      expect(refused.last.message).toContain(`per ${window}`);
      // Nothing written for the refused turn (no request item, message or counter), no model call.
      expect(await snapshot()).toBe(before);
      expect(pg.bedrockRequests().length).toBe(calls);
      // GET /usage shows the same: used and nothing (or little) remaining in that window.
      const report = await usageOf(u);
      const w = report.windows.find((x: any) => x.window === window);
      expect(w.resetsAt).toBe(nextBoundary(window));
      const part = kind === 'tokens' ? w.tokens : w.costUsd;
      expect(part.limit).toBe(limit);
      expect(part.used).toBeCloseTo(used, 6);
      expect(part.remaining).toBeCloseTo(limit - used, 6);
    } finally {
      c.close();
    }
  });
});

test('group overrides: the tightest applies; an unlimited group is exempt from the default; a user override tightens further', async () => {
  await setLimits('groups/Tight', { tokensPerHour: 1000 });
  await setLimits('groups/Unlimited', { tokensPerMonth: null });
  // Default (1,000 tokens a month): the second turn is refused by the month's default.
  const plain = user();
  // Exempt: three turns (1,815 tokens) pass the month's default.
  const exempt = user(['Unlimited']);
  // Exempt from the month, but Tight's hour limit applies.
  const both = user(['Unlimited', 'Tight']);
  // Exempt by the group, the user's own override of 2 answers-worth a day... tighter still: 700 a day.
  const tightened = user(['Unlimited']);
  await setLimits(`users/${tightened.sub}`, { tokensPerDay: 700 });
  const run = async (u: TestUser, turns: number) => {
    const c = await WsClient.connect(pg.webSocketUrl, u.token);
    try {
      const out: Frame[] = [];
      for (let i = 0; i < turns; i++) out.push((await send(c, { model: 'priced', ...(out[0] ? { conversationId: out[0].conversationId } : {}) })).last);
      return out;
    } finally {
      c.close();
    }
  };
  const [p, e, b, t] = await Promise.all([run(plain, 2), run(exempt, 3), run(both, 2), run(tightened, 2)]);
  expect(p.map((f) => f.type)).toEqual(['end', 'error']);
  expect(p[1].quota).toMatchObject({ kind: 'tokens', window: 'month', limit: DEFAULT_MONTH_TOKENS });
  expect(e.map((f) => f.type)).toEqual(['end', 'end', 'end']);
  expect(b.map((f) => f.type)).toEqual(['end', 'error']);
  expect(b[1].quota).toMatchObject({ kind: 'tokens', window: 'hour', limit: 1000 });
  expect(t.map((f) => f.type)).toEqual(['end', 'error']);
  expect(t[1].quota).toMatchObject({ kind: 'tokens', window: 'day', limit: 700 });
  // Removing the group's override brings the default back.
  expect((await rest(admin(), 'DELETE', '/usage/limits/groups/Unlimited')).status).toBe(204);
  const after = await run(exempt, 1);
  expect(after[0]).toMatchObject({ type: 'error', code: 'QUOTA', quota: { window: 'month', limit: DEFAULT_MONTH_TOKENS } });
  await rest(admin(), 'DELETE', '/usage/limits/groups/Tight');
});

test('concurrency cap and racing reservations: 5 parallel answers per user, 3 run, 2 get QUOTA concurrent; counters equal the stored usage', async () => {
  let go!: () => void;
  const gate = new Promise<void>((resolve) => { go = resolve; });
  steps = [{ type: 'text', text: 'part ' }, { type: 'pause', until: gate }, { type: 'text', text: 'done' }];
  const users = [user(['Unlimited']), user(['Unlimited'])];
  await setLimits('groups/Unlimited', { tokensPerMonth: null });
  try {
    const clients = await Promise.all(users.map((u) => WsClient.connect(pg.webSocketUrl, u.token)));
    const ids = clients.map((c) => Array.from({ length: 5 }, () => {
      const requestId = newRequestId();
      c.send({ v: 1, action: 'sendMessage', requestId, model: 'priced', content: [{ text: 'hi' }] });
      return requestId;
    }));
    // Two of each user's five are refused at once (three answers are in flight, held by the model).
    const refused = await Promise.all(clients.map((c, i) => c.untilAll((f) => ids[i].includes(f.requestId) && f.type === 'error', 2)));
    for (const r of refused) for (const f of r) expect(f).toMatchObject({ code: 'QUOTA', quota: { kind: 'concurrent', limit: 3, used: 3 } });
    for (const u of users) expect((await usageOf(u)).concurrent).toEqual({ active: 3, limit: 3 });
    go();
    const ends = await Promise.all(clients.map((c, i) => c.untilAll((f) => ids[i].includes(f.requestId) && f.type === 'end', 3)));
    expect(ends.map((e) => e.length)).toEqual([3, 3]);
    await pg.idle();
    for (const u of users) {
      const report = await usageOf(u);
      const s = await stored(u);
      expect(s.tokens).toBe(3 * 615);
      for (const w of report.windows) {
        expect(w.tokens.used).toBe(s.tokens);
        expect(Math.round(w.costUsd.used * 1e6)).toBe(s.microUsd);
      }
      expect(report.concurrent.active).toBe(0);
    }
    clients.forEach((c) => c.close());
  } finally {
    go();
    steps = [{ type: 'text', text: 'an answer' }];
    await rest(admin(), 'DELETE', '/usage/limits/groups/Unlimited');
  }
});

test('a model failure releases the reservation: counters back to zero, no lease left', async () => {
  const u = user();
  const c = await WsClient.connect(pg.webSocketUrl, u.token);
  try {
    failNext = 1;
    const failed = await send(c, { model: 'priced' });
    expect(failed.last).toMatchObject({ type: 'error', code: 'MODEL_ERROR' });
    const report = await usageOf(u);
    for (const w of report.windows) {
      expect(w.tokens.used).toBe(0);
      expect(w.costUsd.used).toBe(0);
    }
    expect(report.concurrent.active).toBe(0);
  } finally {
    failNext = 0;
    c.close();
  }
});

test('a stopped answer (no usage report from the stream) counts an estimate of what was sent and written, not nothing', async () => {
  let go!: () => void;
  const gate = new Promise<void>((resolve) => { go = resolve; });
  steps = [{ type: 'text', text: 'partial answer ' }, { type: 'pause', until: gate }, { type: 'text', text: 'never sent' }];
  const u = user();
  const c = await WsClient.connect(pg.webSocketUrl, u.token);
  try {
    const requestId = newRequestId();
    c.send({ v: 1, action: 'sendMessage', requestId, model: 'priced', content: [{ text: 'a question of some length' }] });
    await c.until((f) => f.requestId === requestId && f.type === 'text');
    c.send({ v: 1, action: 'stop', requestId });
    const end = await c.until((f) => f.requestId === requestId && (f.type === 'end' || f.type === 'error'));
    expect(end).toMatchObject({ type: 'end', stopReason: 'stopped' });
    await pg.idle();
    const written = c.of(requestId).filter((f) => f.type === 'text').map((f) => f.delta).join('');
    expect(written).toBe('partial answer ');
    // 4 bytes a token: the question sent (25 bytes -> 7) and the text written (15 bytes -> 4); then the new
    // conversation is named by the title model, which reports its usage (TITLE).
    const estimate = { inputTokens: Math.ceil(Buffer.byteLength('a question of some length') / 4), outputTokens: Math.ceil(Buffer.byteLength(written) / 4) };
    expect(estimate).toEqual({ inputTokens: 7, outputTokens: 4 });
    const report = await usageOf(u);
    for (const w of report.windows) {
      expect(w.tokens.used).toBe(7 + 4 + TITLE.inputTokens + TITLE.outputTokens);
      expect(Math.round(w.costUsd.used * 1e6)).toBe(micro(estimate) + micro(TITLE));
    }
    expect(report.concurrent.active).toBe(0);
  } finally {
    go();
    steps = [{ type: 'text', text: 'an answer' }];
    c.close();
  }
});

test('the on-failure destination releases the reservation of a failed turn, once; the worker\'s later settlement then writes nothing', async () => {
  let go!: () => void;
  const gate = new Promise<void>((resolve) => { go = resolve; });
  steps = [{ type: 'text', text: 'held ' }, { type: 'pause', until: gate }, { type: 'text', text: 'on' }];
  const u = user();
  await setLimits(`users/${u.sub}`, { tokensPerMonth: null });
  const c = await WsClient.connect(pg.webSocketUrl, u.token);
  const lambda = new LambdaClient({ endpoint: pg.stack.lambda.endpoint, maxAttempts: 1 });
  try {
    const requestId = newRequestId();
    c.send({ v: 1, action: 'sendMessage', requestId, model: 'priced', content: [{ text: 'hi' }] });
    const ack = await c.until((f) => f.requestId === requestId && f.type === 'text');
    // The answer holds its lease; the reservation (as the job carries it) is read back from the counter item.
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const item = (await db.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: `USER#${u.sub}`, sk: 'USAGE' }, ConsistentRead: true }))).Item!;
    const [entry] = [...(item.active as Set<string>)];
    const periodOf = (prefix: string) => Object.keys(item).find((k) => k.startsWith(prefix))!.slice(prefix.length);
    const reservation = { entry, set: 'active', periods: { hour: periodOf('t_h'), day: periodOf('t_d'), month: periodOf('t_m') }, tokens: 501, microUsd: 7503 };
    expect(item[`t_h${reservation.periods.hour}`]).toBe(501);
    expect((await usageOf(u)).concurrent.active).toBe(1);
    const failure = pg.stack.functions.names().find((n) => /ChatWorkerFailure/.test(n))!;
    const record = { requestContext: { condition: 'RetriesExhausted' }, requestPayload: { userId: u.sub, connectionId: 'gone', requestId, conversationId: ack.conversationId, kind: 'answer', messageId: 'not-this-turn', reservation } };
    for (let i = 0; i < 2; i++) {
      const out = await lambda.send(new InvokeCommand({ FunctionName: failure, Payload: Buffer.from(JSON.stringify(record)) }));
      expect(out.FunctionError).toBeUndefined();
      const report = await usageOf(u);
      // Released, and a repeated record gives nothing back twice.
      expect(report.windows.map((w: any) => [w.tokens.used, w.costUsd.used])).toEqual([[0, 0], [0, 0], [0, 0]]);
      expect(report.concurrent.active).toBe(0);
    }
    go();
    await c.until((f) => f.requestId === requestId && f.type === 'end');
    // The worker's last write is the title (after its own reservation is settled): wait for it.
    await c.until((f) => f.type === 'title' && f.conversationId === ack.conversationId);
    await pg.idle();
    // The worker's settlement found no lease: the answer adds nothing (the release stands; exactly once). Only the
    // title call, a reservation of its own, is counted.
    const after = await usageOf(u);
    expect(after.windows.map((w: any) => w.tokens.used)).toEqual([15, 15, 15]);
  } finally {
    go();
    lambda.destroy();
    steps = [{ type: 'text', text: 'an answer' }];
    c.close();
  }
});

describe('admin routes', () => {
  test('a non-admin gets 403 on every admin route, and nothing is written; GET /usage is the caller\'s own', async () => {
    const u = user(['CreatingBotAllowed']);
    const before = await snapshot();
    for (const [method, path, body] of [
      ['GET', '/usage/limits'], ['PUT', `/usage/limits/users/${u.sub}`, { tokensPerHour: null }],
      ['DELETE', `/usage/limits/users/${u.sub}`], ['PUT', '/usage/limits/groups/Admin', { tokensPerDay: 1 }], ['DELETE', '/usage/limits/groups/Admin'],
    ] as const) {
      const res = await rest(u.token, method, path, body);
      expect([method, path, res.status, res.body.code]).toEqual([method, path, 403, 'FORBIDDEN']);
    }
    expect(await snapshot()).toBe(before);
    const mine = await usageOf(u);
    expect(mine.enabled).toBe(true);
    expect(mine.windows.map((w: any) => w.tokens.used)).toEqual([0, 0, 0]);
  });

  test('an admin lists and removes overrides', async () => {
    const u = user();
    await setLimits(`users/${u.sub}`, { tokensPerHour: 10, costUsdPerDay: null });
    const listed = await rest(admin(), 'GET', '/usage/limits');
    expect(listed.status).toBe(200);
    expect(listed.body.defaults).toEqual({ tokensPerMonth: DEFAULT_MONTH_TOKENS });
    expect(listed.body.maxConcurrentAnswers).toBe(3);
    expect(listed.body.users).toContainEqual({ userId: u.sub, limits: { tokensPerHour: 10, costUsdPerDay: null } });
    expect((await rest(admin(), 'DELETE', `/usage/limits/users/${u.sub}`)).status).toBe(204);
    expect((await rest(admin(), 'GET', '/usage/limits')).body.users.map((x: any) => x.userId)).not.toContain(u.sub);
    expect((await rest(admin(), 'DELETE', `/usage/limits/users/${u.sub}`)).status).toBe(404);
  });

  test('bad input (fast-check): always a 4xx with a message, nothing written', async () => {
    await pg.idle();
    const before = await snapshot();
    const badAny = fc.oneof(
      fc.double({ max: -Number.MIN_VALUE, noNaN: true }), fc.string(), fc.boolean(), fc.array(fc.nat(), { maxLength: 2 }), fc.object({ maxDepth: 1 }),
      fc.constant(Number.MAX_VALUE),
    );
    // Past the maximum of its kind (tokens <= 1e12 and whole, USD <= 1e6): 2e6 is a fine token limit but too many dollars.
    const tokenKey = fc.constantFrom('tokensPerHour', 'tokensPerDay', 'tokensPerMonth');
    const costKey = fc.constantFrom('costUsdPerHour', 'costUsdPerDay', 'costUsdPerMonth');
    const bad = fc.oneof(
      fc.record({ k: fc.oneof(tokenKey, costKey), v: badAny }),
      fc.record({ k: tokenKey, v: fc.constantFrom(1e13, 1.5, 1e12 + 1) }),
      fc.record({ k: costKey, v: fc.constantFrom(2e6, 1e6 + 0.01, 1e13) }),
    );
    const body = fc.oneof(
      bad.map(({ k, v }) => JSON.stringify({ [k]: v })),
      fc.record({ k: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.startsWith('tokensPer') && !s.startsWith('costUsdPer')), v: fc.nat() }).map(({ k, v }) => JSON.stringify({ [k]: v })),
      fc.constantFrom('{}', 'null', '[]', '"x"', '{', '{"tokensPerHour": 1.5}', ''),
      fc.string({ maxLength: 40 }),
    );
    const path = fc.oneof(
      fc.constant(`/usage/limits/users/${randomUUID()}`),
      fc.constant('/usage/limits/groups/Tight'),
      fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/^[A-Za-z0-9-]+$/.test(s) && !/^\.{1,2}$/.test(s)).map((s) => `/usage/limits/users/${encodeURIComponent(s)}`),
      fc.constantFrom('%20', '%00', 'a%2Fb', '%E2%80%8B').map((s) => `/usage/limits/groups/${s}`),
    );
    await fc.assert(fc.asyncProperty(path, body, async (p, b) => {
      const res = await rest(admin(), 'PUT', p, b === '' ? undefined : b);
      if (!(res.status >= 400 && res.status < 500 && typeof res.body?.message === 'string')) throw new Error(`PUT ${p} ${b} -> ${res.status} ${JSON.stringify(res.body)}`);
      if ((await snapshot()) !== before) throw new Error(`PUT ${p} ${b} wrote to the table`);
    }), { numRuns: Number(process.env.FC_RUNS ?? 60) });
  });
});
