/**
 * Property-based bad input for every bot and store route and for the `botId` of sendMessage, over the wire: random
 * JSON bodies, wrong types, out-of-range generation parameters, bad ids and queries. Always a 4xx `{code, message}`
 * (or an `error` frame), never a 5xx; nothing is written to either table and nothing is sent to the model.
 */
import * as fc from 'fast-check';
import { botTableSnapshot } from './bot-helpers';
import { call, snapshot } from './rest-helpers';
import { BOT_ROUTES } from '../../src/lambdas/core/bot-routes';
import { offlineModel } from '../../src/local/offline-model';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';
import { request, WsClient } from '../../src/local/ws-client';

const RUNS = Number(process.env.FC_RUNS ?? 30);
let pg: Playground;
let botId: string;

beforeAll(async () => {
  pg = await startPlayground({ handlers: 'in-process', models: OFFLINE_MODELS, quiet: true, respond: offlineModel({ wordDelayMs: 0 }) });
  const created = await call(pg, 'alice', 'POST', '/bots', { title: 'Target' });
  botId = created.body.id;
});
afterAll(async () => {
  await pg?.stop();
});

interface BadRequest { readonly method: string; readonly path: string; readonly body?: string }

const tables = async () => `${await snapshot()}${await botTableSnapshot()}`;

async function expectRejected(requests: fc.Arbitrary<BadRequest>): Promise<void> {
  const before = await tables();
  const sent = pg.bedrockRequests().length;
  await fc.assert(fc.asyncProperty(requests, async (r) => {
    const reply = await call(pg, 'alice', r.method, r.path, r.body);
    const ok = reply.status >= 400 && reply.status < 500 && typeof reply.body?.code === 'string' && typeof reply.body?.message === 'string';
    if (!ok) throw new Error(`${r.method} ${r.path} ${r.body ?? ''} -> ${reply.status} ${reply.text}`);
    if ((await tables()) !== before) throw new Error(`${r.method} ${r.path} ${r.body ?? ''} wrote to a table`);
  }), { numRuns: RUNS });
  expect(pg.bedrockRequests().length).toBe(sent);
}

const text = (max = 30) => fc.oneof(fc.string({ maxLength: max }), fc.string({ maxLength: max, unit: 'grapheme' }));
/** A path segment that is no bot id (neither a ULID nor [a-z0-9-]{1,64}). */
const badId = text(70).filter((s) => s.length > 0 && !/^([0-9A-HJKMNP-TV-Z]{26}|[a-z0-9-]{1,64})$/.test(s) && !/^\.{1,2}$/.test(s)).map(encodeURIComponent);
/** A well-formed id that names no bot. */
const missingId = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const anyBody = fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), text(60).filter((s) => s.trim().length > 0), fc.constantFrom('{', 'null', '{"__proto__":{"x":1}}'));
const junkQuery = fc.dictionary(text(8).filter((k) => k.length > 0), text(20), { minKeys: 1, maxKeys: 3 })
  .map((d) => new URLSearchParams({ ...d, zz: 'y' }).toString());
const json = (v: unknown) => JSON.stringify(v);
const notBoolean = fc.jsonValue().filter((v) => typeof v !== 'boolean');

/** A BotInput with one field wrong (a type, a range, a length, a model it does not fit, an unknown field). */
const badBotInput = fc.oneof(
  fc.jsonValue().filter((v) => typeof v !== 'string').map((title) => ({ title })),
  fc.constantFrom('', '   ', 'x'.repeat(101)).map((title) => ({ title })),
  fc.constant({ title: 't', description: 'x'.repeat(1001) }),
  fc.constant({ title: 't', instructions: 'x'.repeat(40_001) }),
  fc.oneof(fc.integer({ max: 0 }), fc.double({ noInteger: true, noNaN: true }), fc.constant(100_000)).map((maxTokens) => ({ title: 't', generation: { maxTokens } })),
  fc.oneof(fc.double({ min: 1.0001, max: 100, noNaN: true }), fc.double({ max: -0.0001, noNaN: true })).map((temperature) => ({ title: 't', generation: { temperature } })),
  fc.integer({ min: 1, max: 500 }).map((topK) => ({ title: 't', generation: { topK } })), // the offline model does not take top K
  fc.integer({ min: 1024, max: 4000 }).map((reasoningBudget) => ({ title: 't', generation: { reasoningBudget } })), // it does not reason
  fc.array(text(10).filter((s) => s.length > 0), { minLength: 5, maxLength: 8 }).map((stopSequences) => ({ title: 't', generation: { stopSequences } })),
  fc.array(fc.record({ title: fc.constant('a'), example: fc.constant('b') }), { minLength: 9, maxLength: 12 }).map((quickStarters) => ({ title: 't', quickStarters })),
  text(20).filter((m) => m !== 'local.offline-model-v1' && m.length > 0).map((m) => ({ title: 't', models: [m] })),
  fc.constant({ title: 't', defaultModel: 'not-a-model' }),
  fc.constantFrom({ id: 'abc' }, { version: '1' }, { id: 'ABC!', version: '1' }, { id: 'abc', version: '0' }, {}, { id: 'a', version: '1', definition: {} })
    .map((guardrail) => ({ title: 't', guardrail })),
  fc.constantFrom({ contentFilters: { hate: 'EXTREME' } }, { grounding: { threshold: 1 } }, { relevance: { threshold: -0.1 } }, { other: true })
    .map((definition) => ({ title: 't', guardrail: { definition } })),
  fc.dictionary(text(10).filter((k) => !['title', 'description', 'instructions', 'generation', 'quickStarters', 'models', 'defaultModel', 'promptCaching', 'guardrail', 'showRetrievedChunks'].includes(k)), fc.jsonValue(), { minKeys: 1 })
    .map((extra) => ({ ...extra, title: 't' })),
);

/** `null` where PATCH cannot remove anything (only defaultModel and guardrail can be cleared), nested ones included. */
const nullNotClearable = fc.oneof(
  fc.constantFrom('title', 'description', 'instructions', 'generation', 'quickStarters', 'models', 'promptCaching', 'showRetrievedChunks')
    .map((field) => ({ [field]: null })),
  fc.constantFrom('maxTokens', 'temperature', 'topP', 'topK', 'stopSequences', 'reasoningBudget').map((field) => ({ generation: { [field]: null } })),
  fc.constantFrom({ guardrail: { id: null, version: '1' } }, { guardrail: { definition: null } }, { models: [null] }, { quickStarters: [null] }),
);
/** POST has nothing to remove: `null` is refused there even for the fields PATCH can clear. */
const nullInPost = fc.constantFrom('defaultModel', 'guardrail').map((field) => ({ title: 't', [field]: null }));

const PROPERTIES: Record<string, () => fc.Arbitrary<BadRequest>> = {
  'GET /bots': () => fc.oneof(
    text(12).filter((k) => !['mine', 'starred', 'recent', 'shared'].includes(k)).map((kind) => ({ method: 'GET', path: `/bots?kind=${encodeURIComponent(kind)}` })),
    fc.constant({ method: 'GET', path: '/bots' }),
    text(60).map((t) => ({ method: 'GET', path: `/bots?kind=mine&nextToken=${encodeURIComponent(t || 'x')}` })),
    junkQuery.map((q) => ({ method: 'GET', path: `/bots?kind=mine&${q}` })),
  ),
  'POST /bots': () => fc.oneof(
    anyBody.map((body) => ({ method: 'POST', path: '/bots', body })),
    fc.oneof(badBotInput, nullInPost, nullNotClearable.map((b) => ({ title: 't', ...b }))).map((b) => ({ method: 'POST', path: '/bots', body: json(b) })),
  ),
  'GET /bots/{botId}': () => fc.oneof(badId, missingId).map((id) => ({ method: 'GET', path: `/bots/${id}` })),
  'PATCH /bots/{botId}': () => fc.oneof(
    fc.oneof(badBotInput, nullNotClearable).map((b) => ({ method: 'PATCH', path: `/bots/${botId}`, body: json(b) })),
    fc.oneof(badId, missingId).map((id) => ({ method: 'PATCH', path: `/bots/${id}`, body: '{"title":"ok"}' })),
  ),
  'DELETE /bots/{botId}': () => fc.oneof(badId, missingId).map((id) => ({ method: 'DELETE', path: `/bots/${id}` })),
  'PUT /bots/{botId}/sharing': () => fc.oneof(
    anyBody.map((body) => ({ method: 'PUT', path: `/bots/${botId}/sharing`, body })),
    fc.jsonValue().filter((v) => !['private', 'partial', 'all'].includes(v as string)).map((scope) => ({ method: 'PUT', path: `/bots/${botId}/sharing`, body: json({ scope }) })),
    fc.array(fc.uuid(), { minLength: 51, maxLength: 60 }).map((users) => ({ method: 'PUT', path: `/bots/${botId}/sharing`, body: json({ scope: 'partial', users }) })),
    fc.constantFrom('a b', '', 'x\u0000').map((g) => ({ method: 'PUT', path: `/bots/${botId}/sharing`, body: json({ scope: 'partial', groups: [g] }) })),
    fc.constant({ method: 'PUT', path: `/bots/${botId}/sharing`, body: json({ scope: 'private', groups: ['Admin'] }) }),
    fc.oneof(badId, missingId).map((id) => ({ method: 'PUT', path: `/bots/${id}/sharing`, body: '{"scope":"all"}' })),
  ),
  'PUT /bots/{botId}/star': () => fc.oneof(
    notBoolean.map((starred) => ({ method: 'PUT', path: `/bots/${botId}/star`, body: json({ starred }) })),
    fc.oneof(badId, missingId).map((id) => ({ method: 'PUT', path: `/bots/${id}/star`, body: '{"starred":true}' })),
  ),
  'DELETE /bots/{botId}/recent': () => fc.oneof(badId, missingId).map((id) => ({ method: 'DELETE', path: `/bots/${id}/recent` })),
  'PUT /admin/bots/{botId}/pin': () => fc.oneof(
    notBoolean.map((pinned) => ({ method: 'PUT', path: `/admin/bots/${botId}/pin`, body: json({ pinned }) })),
    fc.oneof(fc.integer({ min: 1000 }), fc.integer({ max: -1 }), fc.double({ noInteger: true, noNaN: true })).map((order) => ({ method: 'PUT', path: `/admin/bots/${botId}/pin`, body: json({ pinned: true, order }) })),
    // alice is not an admin: a well-formed pin is refused too.
    fc.constant({ method: 'PUT', path: `/admin/bots/${botId}/pin`, body: '{"pinned":true}' }),
  ),
  'GET /store/search': () => fc.oneof(
    fc.constant({ method: 'GET', path: '/store/search' }),
    fc.oneof(fc.string({ minLength: 101, maxLength: 200 }), fc.string({ minLength: 1, maxLength: 5, unit: fc.constantFrom(' ', '\t', '\n') }))
      .map((q) => ({ method: 'GET', path: `/store/search?q=${encodeURIComponent(q)}` })),
    text(40).map((t) => ({ method: 'GET', path: `/store/search?q=a&nextToken=${encodeURIComponent(t || 'x')}` })),
  ),
  'GET /store/popular': () => fc.oneof(
    junkQuery.map((q) => ({ method: 'GET', path: `/store/popular?${q}` })),
    text(60).map((t) => ({ method: 'GET', path: `/store/popular?nextToken=${encodeURIComponent(t || 'x')}` })),
  ),
  'GET /store/pickup': () => junkQuery.map((q) => ({ method: 'GET', path: `/store/pickup?${q}` })),
  'GET /store/essentials': () => anyBody.map((body) => ({ method: 'GET', path: '/store/essentials', body })),
  'GET /users/search': () => fc.oneof(
    fc.constant({ method: 'GET', path: '/users/search' }),
    fc.oneof(fc.string({ minLength: 65, maxLength: 100 }), fc.constantFrom('a\u0000', '\u0007')).map((q) => ({ method: 'GET', path: `/users/search?q=${encodeURIComponent(q)}` })),
  ),
  'GET /groups/search': () => fc.string({ minLength: 65, maxLength: 100 }).map((q) => ({ method: 'GET', path: `/groups/search?q=${encodeURIComponent(q)}` })),
  'GET /me': () => junkQuery.map((q) => ({ method: 'GET', path: `/me?${q}` })),
};

test('there is a property for every bot route', () => {
  expect(Object.keys(PROPERTIES).sort()).toEqual(BOT_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
});

test.each(Object.keys(PROPERTIES))('%s: bad input is a 4xx {code, message}, never a 5xx, and writes nothing', async (route) => {
  await expectRejected(PROPERTIES[route]());
});

test('sendMessage with a bad botId: an error frame, nothing written, nothing asked of the model', async () => {
  const c = await WsClient.connect(pg.webSocketUrl, pg.issueToken('alice'));
  const before = await tables();
  const sent = pg.bedrockRequests().length;
  try {
    const botIds = fc.oneof(
      fc.jsonValue().filter((v) => typeof v !== 'string'),
      text(80).filter((s) => !/^([0-9A-HJKMNP-TV-Z]{26}|[a-z0-9-]{1,64})$/.test(s)),
      missingId,
      fc.constant('01JAAAAAAAAAAAAAAAAAAAAAAA'),
    );
    await fc.assert(fc.asyncProperty(botIds, async (id) => {
      const { end } = await request(c, { action: 'sendMessage', content: [{ text: 'hi' }], botId: id });
      if (end.type !== 'error' || !['BAD_REQUEST', 'BOT_UNAVAILABLE'].includes(end.code)) throw new Error(`${JSON.stringify(id)} -> ${JSON.stringify(end)}`);
      if ((await tables()) !== before) throw new Error(`${JSON.stringify(id)} wrote to a table`);
    }), { numRuns: RUNS });
  } finally {
    c.close();
  }
  expect(pg.bedrockRequests().length).toBe(sent);
});
