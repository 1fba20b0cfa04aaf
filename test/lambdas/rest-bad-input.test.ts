/**
 * Property-based bad input for every REST route, over the wire: random JSON bodies, wrong types, oversized strings,
 * random path segments and query strings. Always a 4xx with `{code, message}`, never a 5xx; nothing is written to the
 * table (the whole table is compared after every request) and nothing is sent to the model.
 */
import * as fc from 'fast-check';
import { call, seed, Seeded, snapshot, sub } from './rest-helpers';
import { BOT_ROUTES } from '../../src/lambdas/core/bot-routes';
import { ULID_PATTERN } from '../../src/lambdas/core/ids';
import { KNOWLEDGE_ROUTES } from '../../src/lambdas/core/knowledge-routes';
import { ROUTES } from '../../src/lambdas/core/rest';

/** The conversation routes (the bot routes have their own matrix and properties: bots-isolation, bots-bad-input). */
// Bots and knowledge have their own tests (bots-*.test.ts, knowledge-documents.test.ts).
const CONVERSATION_ROUTES = ROUTES.filter((r) => !BOT_ROUTES.includes(r) && !KNOWLEDGE_ROUTES.includes(r));
import { offlineModel } from '../../src/local/offline-model';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';

const RUNS = Number(process.env.FC_RUNS ?? 40);
let pg: Playground;
let conv: Seeded;

beforeAll(async () => {
  pg = await startPlayground({ handlers: 'in-process', models: OFFLINE_MODELS, quiet: true, respond: offlineModel({ wordDelayMs: 0 }) });
  conv = await seed('alice', 'A conversation', ['a question', 'an answer']);
});
afterAll(async () => {
  await pg?.stop();
});

interface BadRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
}

/** Sends each generated request as alice (who owns `conv`) and checks the answer and the table. */
async function expectRejected(requests: fc.Arbitrary<BadRequest>): Promise<void> {
  const before = await snapshot();
  const sent = pg.bedrockRequests().length;
  await fc.assert(fc.asyncProperty(requests, async (r) => {
    const reply = await call(pg, 'alice', r.method, r.path, r.body);
    const ok = reply.status >= 400 && reply.status < 500 && typeof reply.body?.code === 'string' && typeof reply.body?.message === 'string';
    if (!ok) throw new Error(`${r.method} ${r.path} ${r.body ?? ''} -> ${reply.status} ${reply.text}`);
    if ((await snapshot()) !== before) throw new Error(`${r.method} ${r.path} ${r.body ?? ''} wrote to the table`);
  }), { numRuns: RUNS });
  expect(pg.bedrockRequests().length).toBe(sent);
}

// ------------------------------------------------------------------------------------------------ arbitraries
const ulidRe = new RegExp(ULID_PATTERN);
/** Any text: ASCII, or any Unicode grapheme (well-formed, so it can be put in a URL). */
const text = (max = 30) => fc.oneof(fc.string({ maxLength: max }), fc.string({ maxLength: max, unit: 'grapheme' }));

/** Malformed percent-encodings sent as they are (any other segment is encoded: a client cannot send a raw space). */
const RAW_SEGMENTS = new Set(['%', '%00', '%zz']);

/** A path segment that is not a ULID (and not `.`/`..`, which URLs resolve away), encoded for the URL. */
const badSegment = fc.oneof(
  text(40),
  fc.constantFrom('null', 'undefined', '0', '-1', ...RAW_SEGMENTS, '01JAAAAAAAAAAAAAAAAAAAAAA', '01JAAAAAAAAAAAAAAAAAAAAAAAA', '01jaaaaaaaaaaaaaaaaaaaaaaa'),
).filter((s) => s.length > 0 && !ulidRe.test(s) && !/^\.{1,2}$/.test(s))
  // A random text that starts with `%` (`% `, found by CI with seed -1638487429) was sent unencoded and refused by the
  // HTTP client itself ("Request path contains unescaped characters") before reaching the API.
  .map((s) => (RAW_SEGMENTS.has(s) ? s : encodeURIComponent(s)));

/** A well-formed ULID that names nothing. */
const missingId = fc.stringMatching(/^0[0-7][0-9A-HJKMNP-TV-Z]{24}$/).filter((id) => id !== conv.conversationId && !conv.messageIds.includes(id));

/** A query string with at least one parameter the route does not take. */
const junkQuery = (allowed: readonly string[] = []) => fc.dictionary(text(12), text(40), { minKeys: 1, maxKeys: 4 })
  .map((d) => ({ ...d, [`x${Object.keys(d).length}`]: 'y' }))
  .map((d) => new URLSearchParams(Object.entries(d).filter(([k]) => !allowed.includes(k))).toString())
  .filter((q) => q.length > 0);

/** Any JSON value, or text that is not JSON. */
const anyBody = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  text(60).filter((s) => s.trim().length > 0),
  fc.constantFrom('{', '[1,', 'null', 'true', '"x"', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{}}}'),
);

/** Names that an object inherits: a validator that looks them up without `hasOwn` would take them for known fields. */
const prototypeKey = fc.constantFrom('constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf');

/** A body over 16 KB. */
const hugeBody = fc.integer({ min: 16 * 1024 + 1, max: 40_000 }).map((n) => JSON.stringify({ title: 'x'.repeat(n), thumbsUp: true }));

const get = (path: string) => ({ method: 'GET', path });
const withQuery = (path: string, q: string) => `${path}${path.includes('?') ? '&' : '?'}${q}`;

/** Bad input shared by every route: unknown query parameters, or a body on a route that takes none. */
function generic(method: string, path: string, allowedQuery: readonly string[] = [], takesBody = false): fc.Arbitrary<BadRequest> {
  return fc.oneof(
    junkQuery(allowedQuery).map((q) => ({ method, path: withQuery(path, q), ...(takesBody ? { body: '{}' } : {}) })),
    ...(takesBody ? [] : [anyBody.map((body) => ({ method, path, body }))]),
  );
}

const conversationPath = (id: string) => `/conversations/${id}`;
const feedbackPath = (c: string, m: string) => `/conversations/${c}/messages/${m}/feedback`;

const PROPERTIES: Record<string, () => fc.Arbitrary<BadRequest>> = {
  'GET /conversations': () => fc.oneof(
    generic('GET', '/conversations', ['limit', 'nextToken']),
    text(8).filter((s) => !/^([1-9]|[1-9][0-9]|100)$/.test(s)).map((limit) => get(`/conversations?limit=${encodeURIComponent(limit)}`)),
    fc.oneof(
      text(80),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
      // A well-formed token for another user's partition.
      fc.constantFrom('bob', 'admin', 'someone').map((u) => Buffer.from(JSON.stringify({ pk: `USER#${u}`, sk: 'CONV#x', gsi1pk: `USER#${u}`, gsi1sk: 'x' })).toString('base64url')),
    ).map((t) => get(`/conversations?nextToken=${encodeURIComponent(t)}`)),
  ),
  'DELETE /conversations': () => generic('DELETE', '/conversations'),
  'GET /conversations/search': () => fc.oneof(
    generic('GET', '/conversations/search?q=an', ['q', 'nextToken']),
    fc.oneof(
      text(1).filter((c) => c.length < 2),
      fc.tuple(fc.string({ maxLength: 6, unit: fc.constantFrom(' ', '\t', '\n') }), text(1).filter((c) => c.length < 2)).map(([pad, c]) => `${pad}${c}${pad}`),
      fc.string({ minLength: 101, maxLength: 300 }),
    ).map((q) => get(`/conversations/search?q=${encodeURIComponent(q)}`)),
    fc.constant(get('/conversations/search')),
    text(80).map((t) => get(`/conversations/search?q=an&nextToken=${encodeURIComponent(t)}`)),
  ),
  'GET /conversations/{conversationId}': () => fc.oneof(
    badSegment.map((id) => get(conversationPath(id))),
    missingId.map((id) => get(conversationPath(id))),
    generic('GET', conversationPath(conv.conversationId), ['nextToken']),
    // Page tokens: junk, any JSON, and well-formed keys of another user, another conversation, or outside the messages.
    fc.oneof(
      text(80),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
      fc.constantFrom(
        { pk: 'USER#bob', sk: `CONV#${conv.conversationId}#MSG#x` },
        { pk: `USER#${sub('alice')}`, sk: 'CONV#01JAAAAAAAAAAAAAAAAAAAAAAA#MSG#x' },
        { pk: `USER#${sub('alice')}`, sk: `CONV#${conv.conversationId}` },
        { pk: `USER#${sub('alice')}`, sk: 'REQ#x' },
      ).map((k) => Buffer.from(JSON.stringify(k)).toString('base64url')),
    ).filter((t) => t.length > 0).map((t) => get(`${conversationPath(conv.conversationId)}?nextToken=${encodeURIComponent(t)}`)),
  ),
  'PATCH /conversations/{conversationId}': () => {
    const path = conversationPath(conv.conversationId);
    const badTitle = fc.oneof(
      fc.string({ minLength: 201, maxLength: 400 }),
      fc.string({ maxLength: 20, unit: fc.constantFrom(' ', '\t', '\n', '\u0000', '\u0007', '\u007f') }),
    );
    return fc.oneof(
      badSegment.map((id) => ({ method: 'PATCH', path: conversationPath(id), body: '{"title":"ok"}' })),
      missingId.map((id) => ({ method: 'PATCH', path: conversationPath(id), body: '{"title":"ok"}' })),
      anyBody.filter((b) => !hasStringField(b, 'title')).map((body) => ({ method: 'PATCH', path, body })),
      badTitle.map((title) => ({ method: 'PATCH', path, body: JSON.stringify({ title }) })),
      fc.jsonValue().filter((v) => typeof v !== 'string').map((title) => ({ method: 'PATCH', path, body: JSON.stringify({ title }) })),
      fc.dictionary(text(10).filter((k) => k !== 'title'), fc.jsonValue(), { minKeys: 1 })
        .map((extra) => ({ method: 'PATCH', path, body: JSON.stringify({ ...extra, title: 'ok' }) })),
      fc.tuple(prototypeKey, fc.jsonValue()).map(([key, value]) => ({ method: 'PATCH', path, body: JSON.stringify({ [key]: value, title: 'ok' }) })),
      hugeBody.map((body) => ({ method: 'PATCH', path, body })),
      generic('PATCH', path, [], true),
    );
  },
  'DELETE /conversations/{conversationId}': () => fc.oneof(
    badSegment.map((id) => ({ method: 'DELETE', path: conversationPath(id) })),
    missingId.map((id) => ({ method: 'DELETE', path: conversationPath(id) })),
    generic('DELETE', conversationPath(conv.conversationId)),
  ),
  'POST /conversations/{conversationId}/title': () => fc.oneof(
    badSegment.map((id) => ({ method: 'POST', path: `${conversationPath(id)}/title` })),
    missingId.map((id) => ({ method: 'POST', path: `${conversationPath(id)}/title` })),
    generic('POST', `${conversationPath(conv.conversationId)}/title`),
  ),
  'PUT /conversations/{conversationId}/messages/{messageId}/feedback': () => {
    const path = feedbackPath(conv.conversationId, conv.messageIds[1]);
    const put = (body: unknown) => ({ method: 'PUT', path, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const notBoolean = fc.jsonValue().filter((v) => typeof v !== 'boolean');
    return fc.oneof(
      fc.tuple(badSegment, fc.boolean()).map(([id, first]) => ({
        method: 'PUT',
        path: first ? feedbackPath(id, conv.messageIds[1]) : feedbackPath(conv.conversationId, id),
        body: '{"thumbsUp":true}',
      })),
      fc.tuple(missingId, fc.boolean()).map(([id, first]) => ({
        method: 'PUT',
        path: first ? feedbackPath(id, conv.messageIds[1]) : feedbackPath(conv.conversationId, id),
        body: '{"thumbsUp":true}',
      })),
      // The question, not an answer: 422.
      fc.constant({ method: 'PUT', path: feedbackPath(conv.conversationId, conv.messageIds[0]), body: '{"thumbsUp":true}' }),
      anyBody.filter((b) => !hasBooleanField(b, 'thumbsUp')).map(put),
      notBoolean.map((thumbsUp) => put({ thumbsUp })),
      fc.option(text(50), { nil: undefined }).map((comment) => put({ thumbsUp: false, ...(comment === undefined ? {} : { comment }) })),
      fc.jsonValue().filter((v) => !['notFactuallyCorrect', 'notFollowingInstructions', 'other'].includes(v as string))
        .map((category) => put({ thumbsUp: false, category })),
      fc.oneof(fc.string({ minLength: 1001, maxLength: 3000 }), fc.jsonValue().filter((v) => typeof v !== 'string'))
        .map((comment) => put({ thumbsUp: true, comment })),
      fc.dictionary(text(10).filter((k) => !['thumbsUp', 'category', 'comment'].includes(k)), fc.jsonValue(), { minKeys: 1 })
        .map((extra) => put({ ...extra, thumbsUp: true })),
      fc.tuple(prototypeKey, fc.jsonValue()).map(([key, value]) => put({ [key]: value, thumbsUp: true })),
      hugeBody.map(put),
      generic('PUT', path, [], true),
    );
  },
  'POST /uploads': () => {
    const post = (body: unknown) => ({ method: 'POST', path: '/uploads', body: typeof body === 'string' ? body : JSON.stringify(body) });
    const ok = { name: 'a.png', contentType: 'image/png', size: 10 };
    return fc.oneof(
      anyBody.map(post),
      fc.jsonValue().filter((v) => typeof v !== 'string' || v.length === 0 || v.length > 200).map((name) => post({ ...ok, name })),
      fc.oneof(text(40), fc.constantFrom('image/svg+xml', 'text/javascript', 'application/x-msdownload', 'IMAGE/PNG'))
        .map((contentType) => post({ ...ok, contentType })),
      fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 4_718_593 }), fc.double({ noInteger: true }), fc.jsonValue().filter((v) => typeof v !== 'number'))
        .map((size) => post({ ...ok, size })),
      fc.dictionary(text(10).filter((k) => !['name', 'contentType', 'size'].includes(k)), fc.jsonValue(), { minKeys: 1 })
        .map((extra) => post({ ...extra, ...ok })),
      fc.tuple(prototypeKey, fc.jsonValue()).map(([key, value]) => post({ [key]: value, ...ok })),
      hugeBody.map(post),
      generic('POST', '/uploads', [], true),
    );
  },
  'GET /models': () => generic('GET', '/models'),
  'GET /health': () => generic('GET', '/health'),
  'GET /openapi.json': () => generic('GET', '/openapi.json'),
  // Usage limits (usage-routes.ts): alice is not an admin, so a well-formed admin request is a 403; the admin's own
  // bad input is in usage-limits.test.ts.
  'GET /usage': () => generic('GET', '/usage'),
  'GET /usage/limits': () => generic('GET', '/usage/limits'),
  ...Object.fromEntries((['users/{userId}', 'groups/{group}'] as const).flatMap((tail) => {
    const valid = tail.startsWith('users') ? '3f1c2a9e-5b7d-4c8e-9a10-1b2c3d4e5f01' : 'Admin';
    const path = (segment: string) => `/usage/limits/${tail.split('/')[0]}/${segment}`;
    const segments = tail.startsWith('users')
      ? badSegment.filter((s) => !/^[A-Za-z0-9-]+$/.test(decodeURIComponent(s.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'))))
      : fc.constantFrom('%20', '%00', '%E2%80%8B', 'a%20b');
    const put = (body: string) => ({ method: 'PUT', path: path(valid), body });
    return [
      [`PUT /usage/limits/${tail}`, () => fc.oneof(
        segments.map((seg) => ({ method: 'PUT', path: path(seg), body: '{"tokensPerHour":1}' })),
        anyBody.map(put),
        fc.constantFrom('{"tokensPerHour":-1}', '{"tokensPerDay":1.5}', '{"costUsdPerMonth":"5"}', '{"x":1}', '{"tokensPerHour":1}').map(put),
        generic('PUT', path(valid), [], true),
      )],
      [`DELETE /usage/limits/${tail}`, () => fc.oneof(
        segments.map((seg) => ({ method: 'DELETE', path: path(seg) })),
        generic('DELETE', path(valid)),
        fc.constant({ method: 'DELETE', path: path(valid) }),
      )],
    ];
  })),
};

function hasStringField(body: string, field: string): boolean {
  try {
    const v = JSON.parse(body);
    return typeof v === 'object' && v !== null && typeof v[field] === 'string';
  } catch {
    return false;
  }
}

function hasBooleanField(body: string, field: string): boolean {
  try {
    const v = JSON.parse(body);
    return typeof v === 'object' && v !== null && typeof v[field] === 'boolean';
  } catch {
    return false;
  }
}

test('there is a property for every route', () => {
  expect(Object.keys(PROPERTIES).sort()).toEqual(CONVERSATION_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
});

test.each(Object.keys(PROPERTIES))('%s: bad input is a 4xx {code, message}, never a 5xx, and writes nothing', async (route) => {
  await expectRejected(PROPERTIES[route]());
});

test('random paths and methods: 404 or 405, nothing written', async () => {
  const known = new Set(['conversations', 'models', 'health', 'openapi.json', 'bots', 'store', 'me', 'users', 'groups', 'admin']);
  const randomPath = fc.array(text(20).filter((s) => s.length > 0 && !/^\.{1,2}$/.test(s)), { minLength: 1, maxLength: 5 })
    .filter((segments) => !known.has(segments[0]))
    .map((segments) => `/${segments.map(encodeURIComponent).join('/')}`);
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE');
  await expectRejected(fc.oneof(
    fc.tuple(method, randomPath, fc.option(anyBody, { nil: undefined })).map(([m, path, body]) => ({ method: m, path, body })),
    // Known paths with a method they do not take.
    fc.constantFrom(
      { method: 'POST', path: '/conversations' },
      { method: 'PUT', path: conversationPath(conv.conversationId), body: '{"title":"x"}' },
      { method: 'GET', path: `${conversationPath(conv.conversationId)}/title` },
      { method: 'POST', path: feedbackPath(conv.conversationId, conv.messageIds[1]), body: '{"thumbsUp":true}' },
      { method: 'DELETE', path: '/models' },
      { method: 'POST', path: '/health' },
    ),
  ));
});
