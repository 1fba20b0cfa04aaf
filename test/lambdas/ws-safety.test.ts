/**
 * WebSocket actions under hostile input, over the wire: property-based bad frames for every action (an `error` frame
 * with a clear client-side code, never INTERNAL, nothing written), the isolation matrix of actions × callers, and
 * logs that never carry tokens or message text.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import * as fc from 'fast-check';
import { StdoutCapture } from './log-capture';
import { MAX_INLINE_TEXT_BYTES } from '../../src/lambdas/core/limits';
import { LOCAL_USERS } from '../../src/local/idp';
import { offlineModel } from '../../src/local/offline-model';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';
import { Frame, newRequestId, request, WsClient } from '../../src/local/ws-client';

const SECRET = 'my-password-is-swordfish-7c1e';
let pg: Playground;
const stdout = new StdoutCapture();
const logs = stdout.logs;

beforeAll(async () => {
  // Not quiet: every log line the handlers write is captured and inspected.
  stdout.start();
  pg = await startPlayground({ handlers: 'in-process', models: OFFLINE_MODELS, respond: offlineModel({ wordDelayMs: 0 }) });
});
afterAll(async () => {
  await pg?.stop();
  stdout.stop();
});

const connect = (user: string) => WsClient.connect(pg.webSocketUrl, pg.issueToken(user));
const count = async () => (await new DynamoDBClient({}).send(new ScanCommand({ TableName: process.env.TABLE_NAME, Select: 'COUNT' }))).Count ?? 0;

/** Sends one frame and waits for the next frame the server sends back. */
async function reply(c: WsClient, frame: unknown): Promise<Frame> {
  const before = c.frames.length;
  c.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  await c.until(() => c.frames.length > before, 10_000);
  return c.frames[before];
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const missingId = fc.stringMatching(/^0[0-7][0-9A-HJKMNP-TV-Z]{24}$/);
const notUlid = fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue()).filter((v) => !(typeof v === 'string' && ULID.test(v)));
const badRequestId = fc.oneof(fc.constant(''), fc.string({ minLength: 65, maxLength: 80 }), fc.constantFrom('a b', 'x/y', '../..', 'é'), fc.jsonValue().filter((v) => typeof v !== 'string'));

/** One broken field on top of a well-formed frame, per action. */
const BAD_FRAMES: Record<string, fc.Arbitrary<unknown>> = {
  sendMessage: fc.oneof(
    badRequestId.map((requestId) => ({ action: 'sendMessage', v: 1, requestId, content: [{ text: 'x' }] })),
    fc.jsonValue().filter((v) => !Array.isArray(v)).map((content) => ({ action: 'sendMessage', v: 1, requestId: newRequestId(), content })),
    fc.constantFrom([], [{}], [{ text: '' }], [{ text: 'x', image: {} }], [{ image: { format: 'png', key: 'uploads/x/y' } }], [{ text: 'x'.repeat(MAX_INLINE_TEXT_BYTES + 1) }], [{ text: '漢'.repeat(10_400) }])
      .map((content) => ({ action: 'sendMessage', v: 1, requestId: newRequestId(), content })),
    notUlid.map((conversationId) => ({ action: 'sendMessage', v: 1, requestId: newRequestId(), conversationId, content: [{ text: 'x' }] })),
    missingId.map((conversationId) => ({ action: 'sendMessage', v: 1, requestId: newRequestId(), conversationId, content: [{ text: 'x' }] })),
    fc.string({ maxLength: 10 }).filter((k) => !['action', 'v', 'requestId', 'content', 'conversationId', 'parentMessageId', 'editOf', 'model', 'reasoning'].includes(k))
      .map((k) => ({ action: 'sendMessage', v: 1, requestId: newRequestId(), content: [{ text: 'x' }], [k || 'extra']: 1 })),
    fc.jsonValue().filter((v) => v !== 1).map((v) => ({ action: 'sendMessage', v, requestId: newRequestId(), content: [{ text: 'x' }] })),
  ),
  regenerate: fc.oneof(
    fc.tuple(notUlid, missingId).map(([conversationId, messageId]) => ({ action: 'regenerate', v: 1, requestId: newRequestId(), conversationId, messageId })),
    fc.tuple(missingId, missingId).map(([conversationId, messageId]) => ({ action: 'regenerate', v: 1, requestId: newRequestId(), conversationId, messageId })),
    missingId.map((conversationId) => ({ action: 'regenerate', v: 1, requestId: newRequestId(), conversationId })),
  ),
  continue: fc.oneof(
    fc.tuple(missingId, notUlid).map(([conversationId, messageId]) => ({ action: 'continue', v: 1, requestId: newRequestId(), conversationId, messageId })),
    fc.tuple(missingId, missingId).map(([conversationId, messageId]) => ({ action: 'continue', v: 1, requestId: newRequestId(), conversationId, messageId })),
  ),
  stop: fc.oneof(
    badRequestId.map((requestId) => ({ action: 'stop', v: 1, requestId })),
    fc.constant(null).map(() => ({ action: 'stop', v: 1, requestId: newRequestId() })),
  ),
  resume: fc.oneof(
    badRequestId.map((requestId) => ({ action: 'resume', v: 1, requestId })),
    fc.constant(null).map(() => ({ action: 'resume', v: 1, requestId: newRequestId() })),
    fc.string({ maxLength: 10 }).filter((k) => !['action', 'v', 'requestId'].includes(k))
      .map((k) => ({ action: 'resume', v: 1, requestId: newRequestId(), [k || 'extra']: 1 })),
  ),
  other: fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.jsonValue(),
    fc.string({ maxLength: 20 }).filter((a) => !['sendMessage', 'regenerate', 'continue', 'stop', 'resume', 'ping'].includes(a)).map((action) => ({ action, v: 1 })),
  ),
};

test.each(Object.keys(BAD_FRAMES))('bad %s frames get an error frame with a client-side code, and nothing is written', async (action) => {
  const c = await connect('alice');
  const before = await count();
  await fc.assert(fc.asyncProperty(BAD_FRAMES[action], async (frame) => {
    const res = await reply(c, typeof frame === 'string' ? frame : JSON.stringify(frame));
    expect(res.type).toBe('error');
    expect(['BAD_REQUEST', 'NOT_FOUND', 'FORBIDDEN']).toContain(res.code);
    expect(res.message.length).toBeGreaterThan(10);
  }), { numRuns: 40 });
  c.close();
  await pg.idle();
  expect(await count()).toBe(before);
});

test('isolation: another user or an admin cannot act on a conversation, message or request that is not theirs', async () => {
  const alice = await connect('alice');
  const requestId = newRequestId();
  const first = await request(alice, { action: 'sendMessage', requestId, content: [{ text: 'alice only' }] });
  const conversationId = first.ack!.conversationId;
  const question = first.ack!.messageId;
  const answer = first.end.messageId;
  alice.close();
  await pg.idle();
  const before = await count();
  for (const user of ['bob', 'admin']) {
    const c = await connect(user);
    const attempts: Frame[] = [
      { action: 'sendMessage', conversationId, content: [{ text: 'hi' }] },
      { action: 'sendMessage', conversationId, parentMessageId: answer, content: [{ text: 'hi' }] },
      { action: 'sendMessage', conversationId, editOf: question, content: [{ text: 'hi' }] },
      { action: 'regenerate', conversationId, messageId: question },
      { action: 'continue', conversationId, messageId: answer },
      { action: 'stop', requestId },
      { action: 'resume', requestId },
    ];
    for (const frame of attempts) {
      const res = await request(c, frame);
      expect(res.end).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
      expect(JSON.stringify(res.frames)).not.toContain('alice only');
    }
    c.close();
    // The same requestId from another user is a new request of theirs, not a replay of alice's (a fresh socket, so
    // the error frame of the stop attempt above, with the same requestId, is not mistaken for the answer).
    const fresh = await connect(user);
    const replay = await request(fresh, { action: 'sendMessage', requestId, content: [{ text: 'mine' }] });
    expect(replay.end.type).toBe('end');
    expect(replay.ack!.conversationId).not.toBe(conversationId);
    fresh.close();
    await pg.idle();
  }
  // Only the two replays (each a new conversation of its own user: request, message, conversation, answer, and the
  // user's usage counter item, new with their first turn) were written.
  expect(await count()).toBe(before + 2 * 5);
});

test('logs never carry tokens or message text', async () => {
  const token = pg.issueToken('alice');
  const c = await WsClient.connect(pg.webSocketUrl, token);
  const remembered = await request(c, { action: 'sendMessage', content: [{ text: `remember ${SECRET}` }] });
  await request(c, { action: 'sendMessage', content: [{ text: 42 }] });
  c.close();
  await pg.idle();
  const res = await fetch(`${pg.restApiUrl}/conversations/search?q=swordfish`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const all = logs.join('');
  expect(all).toMatch(/"msg":"turn done"/);
  // The turn's last line names its user and what it cost, so spend and abuse can be attributed (and summed).
  const turns = all.split('\n').filter((l) => l.includes('"msg":"turn done"')).map((l) => JSON.parse(l));
  const turn = turns.find((t) => t.requestId === remembered.end.requestId);
  expect(turn).toMatchObject({ userId: LOCAL_USERS.alice.sub, priceUsd: expect.any(Number), outputTokens: expect.any(Number) });
  expect(turn.outputTokens).toBeGreaterThan(0);
  expect(all).not.toContain(SECRET);
  expect(all).not.toContain('swordfish');
  expect(all).not.toContain(token);
  expect(all).not.toContain(token.split('.')[2]);
});
