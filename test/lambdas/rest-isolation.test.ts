/**
 * Isolation matrix over the wire: every REST route × (owner alice, another user bob, admin, anonymous). Nothing of
 * alice's is read or written by anyone else: checked on the responses and on the whole table (Scan before and after).
 * Admin has no special access to other users' conversations.
 */
import { call, clearUser, itemCount, Reply, seed, Seeded, snapshot, User } from './rest-helpers';
import { BOT_ROUTES } from '../../src/lambdas/core/bot-routes';
import { KNOWLEDGE_ROUTES } from '../../src/lambdas/core/knowledge-routes';
import { ROUTES } from '../../src/lambdas/core/rest';

/** The conversation routes (the bot routes have their own matrix and properties: bots-isolation, bots-bad-input). */
// Bots and knowledge have their own tests (bots-*.test.ts, knowledge-documents.test.ts).
const CONVERSATION_ROUTES = ROUTES.filter((r) => !BOT_ROUTES.includes(r) && !KNOWLEDGE_ROUTES.includes(r));
import { offlineModel } from '../../src/local/offline-model';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';

const SECRET = 'Zanzibar';
let pg: Playground;
let alice: Seeded;

interface Case {
  readonly route: string;
  readonly request: (c: Seeded) => { method: string; path: string; body?: unknown };
  /** What another signed-in user gets: status, and a check that alice's data is absent from the answer. */
  readonly other: number;
  /** What alice gets. */
  readonly owner: number;
  /** Alice's request changes the table (checked after the other callers changed nothing). */
  readonly ownerWrites?: boolean;
}

const CASES: readonly Case[] = [
  { route: 'GET /conversations', request: () => ({ method: 'GET', path: '/conversations' }), other: 200, owner: 200 },
  { route: 'DELETE /conversations', request: () => ({ method: 'DELETE', path: '/conversations' }), other: 200, owner: 200, ownerWrites: true },
  { route: 'GET /conversations/search', request: () => ({ method: 'GET', path: `/conversations/search?q=${SECRET}` }), other: 200, owner: 200 },
  { route: 'GET /conversations/{conversationId}', request: (c) => ({ method: 'GET', path: `/conversations/${c.conversationId}` }), other: 404, owner: 200 },
  {
    route: 'PATCH /conversations/{conversationId}',
    request: (c) => ({ method: 'PATCH', path: `/conversations/${c.conversationId}`, body: { title: 'taken over' } }),
    other: 404,
    owner: 200,
    ownerWrites: true,
  },
  {
    route: 'DELETE /conversations/{conversationId}',
    request: (c) => ({ method: 'DELETE', path: `/conversations/${c.conversationId}` }),
    other: 404,
    owner: 204,
    ownerWrites: true,
  },
  // The title is a model call: the owner's usage counter item counts it.
  { route: 'POST /conversations/{conversationId}/title', request: (c) => ({ method: 'POST', path: `/conversations/${c.conversationId}/title` }), other: 404, owner: 200, ownerWrites: true },
  {
    route: 'PUT /conversations/{conversationId}/messages/{messageId}/feedback',
    request: (c) => ({ method: 'PUT', path: `/conversations/${c.conversationId}/messages/${c.messageIds[1]}/feedback`, body: { thumbsUp: false, category: 'other' } }),
    other: 404,
    owner: 200,
    ownerWrites: true,
  },
  { route: 'GET /models', request: () => ({ method: 'GET', path: '/models' }), other: 200, owner: 200 },
  // Every caller gets an upload key in their own prefix only (asserted in rest-api.test.ts); the table is untouched.
  {
    route: 'POST /uploads',
    request: () => ({ method: 'POST', path: '/uploads', body: { name: 'notes.txt', contentType: 'text/plain', size: 5 } }),
    other: 200,
    owner: 200,
  },
  { route: 'GET /health', request: () => ({ method: 'GET', path: '/health' }), other: 200, owner: 200 },
  { route: 'GET /openapi.json', request: () => ({ method: 'GET', path: '/openapi.json' }), other: 200, owner: 200 },
  // Usage: each caller reads their own counters.
  { route: 'GET /usage', request: () => ({ method: 'GET', path: '/usage' }), other: 200, owner: 200 },
];

beforeAll(async () => {
  pg = await startPlayground({ handlers: 'in-process', models: OFFLINE_MODELS, quiet: true, respond: offlineModel({ wordDelayMs: 0 }) });
});
afterAll(async () => {
  await pg?.stop();
});

/**
 * The admins' usage routes act on no user's conversations: their isolation (403 for everyone outside the Admin group,
 * nothing written) is tested in usage-limits.test.ts ("a non-admin gets 403 on every admin route").
 */
const ADMIN_ROUTES = ROUTES.filter((r) => r.path.startsWith('/usage/limits')).map((r) => `${r.method} ${r.path}`);

test('the matrix covers every route', () => {
  expect(ADMIN_ROUTES).toHaveLength(5);
  expect([...CASES.map((c) => c.route), ...ADMIN_ROUTES].sort()).toEqual(CONVERSATION_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
});

/** Alice's data does not appear in an answer to someone else. */
function expectNothingOfAlice(reply: Reply): void {
  expect(reply.text).not.toContain(alice.conversationId);
  for (const id of alice.messageIds) expect(reply.text).not.toContain(id);
  expect(reply.text.toLowerCase()).not.toContain(SECRET.toLowerCase());
}

describe.each(CASES)('$route', (c) => {
  beforeAll(async () => {
    for (const user of ['alice', 'bob', 'admin'] as const) await clearUser(user);
    alice = await seed('alice', `Trip to ${SECRET}`, [`Plan my trip to ${SECRET}`, `Here is a plan for ${SECRET}.`]);
  });

  test.each(['bob', 'admin'] as const)('%s reads and writes nothing of alice\'s', async (user: User) => {
    const before = await snapshot();
    const count = await itemCount();
    const sent = pg.bedrockRequests().length;
    const { method, path, body } = c.request(alice);
    const reply = await call(pg, user, method, path, body);
    expect(reply.status).toBe(c.other);
    if (reply.status >= 400) expect(reply.body).toEqual({ code: 'NOT_FOUND', message: expect.any(String) });
    if (c.route === 'DELETE /conversations') expect(reply.body).toEqual({ deleted: 0 });
    expectNothingOfAlice(reply);
    expect(await itemCount()).toBe(count);
    expect(await snapshot()).toBe(before);
    expect(pg.bedrockRequests().length).toBe(sent);
  });

  test('anonymous gets 401 and nothing is read or written', async () => {
    const before = await snapshot();
    const { method, path, body } = c.request(alice);
    const reply = await call(pg, undefined, method, path, body);
    expect(reply.status).toBe(401);
    expectNothingOfAlice(reply);
    expect(await snapshot()).toBe(before);
  });

  test('alice, the owner, is served', async () => {
    const before = await snapshot();
    const { method, path, body } = c.request(alice);
    const reply = await call(pg, 'alice', method, path, body);
    expect(reply.status).toBe(c.owner);
    if (c.route === 'GET /conversations') expect(reply.body.items.map((i: any) => i.id)).toEqual([alice.conversationId]);
    if (c.route === 'GET /conversations/search') expect(reply.body.items.length).toBe(3);
    if (c.route === 'GET /conversations/{conversationId}') expect(reply.body.messages).toHaveLength(2);
    if (c.ownerWrites) expect(await snapshot()).not.toBe(before);
    else expect(await snapshot()).toBe(before);
  });
});
