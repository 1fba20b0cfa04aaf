/**
 * Usage limits under load, on the playground's stack (the handler bundles in worker threads, each with its template
 * environment), in one run, two stacks one after the other: budgets on (`usageLimits`) and off (`enforce: false`).
 *
 * - Load: 50 users each send 5 messages at once (250 in flight). 40 users may have 5 answers at a time; 10 are in a
 *   group whose 1,500 tokens an hour admit two answers (each reserves 501 tokens, uses 600). Checked afterwards:
 *   every request got exactly one final frame (`end`, or `error` QUOTA) - nothing lost; one `end` and one stored
 *   answer per admitted request - nothing doubled; each user's counters equal the usage of their stored answers and
 *   titles, in every window - counters exact.
 * - quota.overheadMs: the added latency of the budget check: median time from send to `ack` of sequential messages
 *   (one user, one conversation) with budgets on minus the same with budgets off; quota.overheadFirstTextMs the same
 *   for the first text frame.
 */
import { randomUUID } from 'crypto';
import type { FakeRequest } from '../src/local/emulators/bedrock';
import { Playground, startPlayground } from '../src/local/playground';
import { newRequestId, WsClient } from '../src/local/ws-client';

const USERS = 50;
const PARALLEL = 5;
const OVER_BUDGET_USERS = 10;
/** Users active at the same time (each with its 5 messages in flight). */
const USERS_AT_ONCE = Number(process.env.BENCH_QUOTA_USERS_AT_ONCE ?? 10);
const SEQUENTIAL = Number(process.env.BENCH_QUOTA_RUNS ?? 25);
const PRICES = { inputPer1kTokens: 0.003, outputPer1kTokens: 0.015 };
const MODEL = { key: 'priced', modelId: 'priced-model', displayName: 'Priced', prices: PRICES };
const ANSWER = { inputTokens: 300, outputTokens: 300 };
const TITLE = { inputTokens: 10, outputTokens: 5 };
const micro = (u: { inputTokens: number; outputTokens: number }) =>
  Math.round(u.inputTokens * PRICES.inputPer1kTokens * 1000 + u.outputTokens * PRICES.outputPer1kTokens * 1000);

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const round = (n: number) => Math.round(n * 10) / 10;

async function start(enforce: boolean): Promise<Playground> {
  return startPlayground({
    quiet: true,
    models: [MODEL],
    usageLimits: enforce ? { maxConcurrentAnswers: PARALLEL } : { enforce: false },
    respond: (req: FakeRequest) => (req.operation === 'Converse'
      ? { steps: [{ type: 'text', text: 'A title' }], usage: TITLE }
      : { steps: [{ type: 'text', text: 'An ' }, { type: 'text', text: 'answer.' }], usage: ANSWER }),
  });
}

function tokenFor(pg: Playground, sub: string, groups: string[]): string {
  return pg.stack.userPools[0].idp.issueIdToken({ sub, username: `u-${sub.slice(0, 8)}`, email: `${sub.slice(0, 8)}@example.com`, groups });
}

async function rest(pg: Playground, token: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${pg.restApiUrl}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}`);
  return res.status === 204 ? undefined : res.json();
}

/** Median ms from send to ack and to the first text frame, over SEQUENTIAL messages of one conversation (after 3 warm-ups). */
async function latency(pg: Playground): Promise<{ ackMs: number; firstTextMs: number }> {
  const sub = randomUUID();
  const c = await WsClient.connect(pg.webSocketUrl, tokenFor(pg, sub, []));
  const acks: number[] = [];
  const texts: number[] = [];
  let conversationId: string | undefined;
  try {
    for (let i = 0; i < SEQUENTIAL + 3; i++) {
      const requestId = newRequestId();
      const t0 = performance.now();
      c.send({ v: 1, action: 'sendMessage', requestId, model: 'priced', content: [{ text: `question ${i}` }], ...(conversationId ? { conversationId } : {}) });
      const ack = await c.until((f) => f.requestId === requestId && (f.type === 'ack' || f.type === 'error'), 30_000);
      const tAck = performance.now();
      if (ack.type !== 'ack') throw new Error(`latency run refused: ${ack.code}`);
      await c.until((f) => f.requestId === requestId && f.type === 'text', 30_000);
      const tText = performance.now();
      await c.until((f) => f.requestId === requestId && (f.type === 'end' || f.type === 'error'), 30_000);
      conversationId ??= ack.conversationId;
      await pg.idle();
      if (i >= 3) {
        acks.push(tAck - t0);
        texts.push(tText - t0);
      }
    }
  } finally {
    c.close();
  }
  return { ackMs: median(acks), firstTextMs: median(texts) };
}

interface LoadResult {
  messages: number;
  usersAtOnce: number;
  answered: number;
  refused: number;
  lost: number;
  doubled: number;
  counterMismatches: number;
  wallMs: number;
}

async function load(pg: Playground, enforce: boolean): Promise<LoadResult> {
  const adminToken = pg.issueToken('admin');
  if (enforce) await rest(pg, adminToken, 'PUT', '/usage/limits/groups/OverBudget', { tokensPerHour: 1500 });
  const users = Array.from({ length: USERS }, (_, i) => {
    const sub = randomUUID();
    return { sub, token: tokenFor(pg, sub, i < OVER_BUDGET_USERS ? ['OverBudget'] : []) };
  });
  const clients: WsClient[] = new Array(USERS);
  const ids: string[][] = new Array(USERS);
  const t0 = performance.now();
  // Each user sends 5 messages at once; USERS_AT_ONCE users are active at a time (a new one starts when one is done):
  // the local stack runs one worker thread per concurrent invocation, as Lambda does, and 500 threads at once do not
  // fit the 2 cores the bench runs on.
  let next = 0;
  const runUser = async (u: number) => {
    const c = clients[u] = await WsClient.connect(pg.webSocketUrl, users[u].token);
    ids[u] = Array.from({ length: PARALLEL }, (_, i) => {
      const requestId = newRequestId();
      c.send({ v: 1, action: 'sendMessage', requestId, model: 'priced', content: [{ text: `load ${i}` }] });
      return requestId;
    });
    await c.untilAll((f) => ids[u].includes(f.requestId) && (f.type === 'end' || f.type === 'error'), PARALLEL, 120_000);
  };
  await Promise.all(Array.from({ length: USERS_AT_ONCE }, async () => {
    while (next < USERS) await runUser(next++);
  }));
  await pg.idle();
  const wallMs = performance.now() - t0;
  // Late frames (a second end, say) would have arrived by now.
  await new Promise((r) => setTimeout(r, 500));
  const result: LoadResult = {
    messages: USERS * PARALLEL,
    usersAtOnce: USERS_AT_ONCE,
    answered: 0,
    refused: 0,
    lost: 0,
    doubled: 0,
    counterMismatches: 0,
    wallMs: Math.round(wallMs),
  };
  for (let u = 0; u < USERS; u++) {
    let ends = 0;
    for (const requestId of ids[u]) {
      const mine = clients[u].of(requestId);
      const e = mine.filter((f) => f.type === 'end').length;
      const err = mine.filter((f) => f.type === 'error');
      if (e + err.length === 0) result.lost++;
      if (e > 1 || (e === 1 && err.length > 0)) result.doubled++;
      if (e === 1) result.answered++;
      if (err.length === 1 && err[0].code === 'QUOTA') result.refused++;
      else if (err.length > 0) result.lost++;
      ends += e;
    }
    // Stored answers and usage of the user.
    const list = await rest(pg, users[u].token, 'GET', '/conversations');
    let stored = 0;
    let tokens = 0;
    let microUsd = 0;
    for (const conv of list.items) {
      const got = await rest(pg, users[u].token, 'GET', `/conversations/${conv.id}`);
      for (const m of got.messages) {
        if (m.role !== 'assistant') continue;
        stored++;
        tokens += m.usage.inputTokens + m.usage.outputTokens;
        microUsd += micro(m.usage);
      }
      if (conv.title === 'A title') {
        tokens += TITLE.inputTokens + TITLE.outputTokens;
        microUsd += micro(TITLE);
      }
    }
    if (stored !== ends) result.doubled += Math.abs(stored - ends);
    if (enforce) {
      const usage = await rest(pg, users[u].token, 'GET', '/usage');
      for (const w of usage.windows) {
        if (w.tokens.used !== tokens || Math.round(w.costUsd.used * 1e6) !== microUsd) result.counterMismatches++;
      }
      if (usage.concurrent.active !== 0) result.counterMismatches++;
    }
  }
  clients.forEach((c) => c.close());
  return result;
}

export async function quotaFigures(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const lat: Record<'on' | 'off', { ackMs: number; firstTextMs: number }> = {} as never;
  for (const enforce of [true, false]) {
    const side = enforce ? 'on' : 'off';
    const pg = await start(enforce);
    try {
      lat[side] = await latency(pg);
      const r = await load(pg, enforce);
      for (const [k, v] of Object.entries(r)) out[`quota.load.${side}.${k}`] = v;
    } finally {
      await pg.stop();
    }
  }
  out['quota.ackMs.on'] = round(lat.on.ackMs);
  out['quota.ackMs.off'] = round(lat.off.ackMs);
  out['quota.overheadMs'] = round(lat.on.ackMs - lat.off.ackMs);
  out['quota.firstTextMs.on'] = round(lat.on.firstTextMs);
  out['quota.firstTextMs.off'] = round(lat.off.firstTextMs);
  out['quota.overheadFirstTextMs'] = round(lat.on.firstTextMs - lat.off.firstTextMs);
  return out;
}
