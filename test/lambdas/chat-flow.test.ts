/**
 * The chat slice over the wire: a real WebSocket client against the API Gateway stand-in, which runs the authorizer,
 * WebSocket and worker handlers; the worker streams from the Bedrock fake with the real SDK; everything is stored in
 * dynalite. No code of ours is mocked.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { FakeRequest, FakeScript } from '../../src/local/emulators/bedrock';
import { offlineModel, offlineReply } from '../../src/local/offline-model';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';
import { Frame, WsClient } from '../../src/local/ws-client';


let script: ((req: FakeRequest) => FakeScript) | undefined;
const offline = offlineModel({ wordDelayMs: 2 });
let pg: Playground;

beforeAll(async () => {
  pg = await startPlayground({ handlers: 'in-process', models: OFFLINE_MODELS, quiet: true, respond: (req) => (script ?? offline)(req) });
});
afterAll(async () => {
  await pg?.stop();
});
afterEach(async () => {
  script = undefined;
  await pg.idle();
});

const Client = {
  connect: (username: string | undefined, protocols?: string[]) =>
    WsClient.connect(pg.webSocketUrl, username ? pg.issueToken(username) : undefined, protocols),
};
type Client = WsClient;

async function ask(client: Client, text: string, extra: Frame = {}): Promise<{ ack: Frame; end: Frame; text: string; frames: Frame[] }> {
  const requestId = `r${Math.random().toString(36).slice(2)}`;
  client.send({ action: 'sendMessage', v: 1, requestId, content: [{ text }], ...extra });
  const end = await client.until((f) => f.requestId === requestId && (f.type === 'end' || f.type === 'error'));
  const frames = client.frames.filter((f) => f.requestId === requestId);
  return {
    ack: frames.find((f) => f.type === 'ack')!,
    end,
    text: frames.filter((f) => f.type === 'text').map((f) => f.delta).join(''),
    frames,
  };
}

async function api(username: string | undefined, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${pg.restApiUrl}${path}`, { headers: username ? { authorization: `Bearer ${pg.issueToken(username)}` } : {} });
  return { status: res.status, body: await res.json() };
}

async function itemCount(): Promise<number> {
  const res = await new DynamoDBClient({}).send(new ScanCommand({ TableName: process.env.TABLE_NAME, Select: 'COUNT' }));
  return res.Count ?? 0;
}

test('a question streams an answer in several frames, with usage, and both messages are stored', async () => {
  const c = await Client.connect('alice');
  const { ack, end, text, frames } = await ask(c, 'What is *Bedrock*?');
  c.close();

  expect(frames.map((f) => f.type)).toEqual(['ack', 'start', ...Array(frames.length - 3).fill('text'), 'end']);
  expect(frames.filter((f) => f.type === 'text').length).toBeGreaterThan(1);
  expect(frames.every((f) => f.v === 1 && f.conversationId === ack.conversationId)).toBe(true);
  expect(text).toBe(offlineReply('What is *Bedrock*?'));
  expect(end.stopReason).toBe('end_turn');
  expect(end.usage.outputTokens).toBe(text.trim().split(/\s+/).length);

  const got = await api('alice', `/conversations/${ack.conversationId}`);
  expect(got.status).toBe(200);
  expect(got.body.conversation).toMatchObject({ id: ack.conversationId, title: 'What is *Bedrock*?', lastMessageId: end.messageId });
  expect(got.body.conversation.usage.outputTokens).toBe(end.usage.outputTokens);
  expect(got.body.messages).toEqual([
    expect.objectContaining({ id: ack.messageId, role: 'user', parentId: null, content: [{ text: 'What is *Bedrock*?' }] }),
    expect.objectContaining({ id: end.messageId, role: 'assistant', parentId: ack.messageId, content: [{ text }], stopReason: 'end_turn' }),
  ]);
});

test('a follow-up continues the conversation and the model sees the whole path', async () => {
  const c = await Client.connect('alice');
  const first = await ask(c, 'first question');
  const before = pg.bedrockRequests().length;
  const second = await ask(c, 'second question', { conversationId: first.ack.conversationId });
  c.close();
  expect(second.ack.conversationId).toBe(first.ack.conversationId);
  // The first answer is followed by a title request (Converse); the follow-up is the next ConverseStream request.
  const sent = pg.bedrockRequests().slice(before).find((r) => r.operation === 'ConverseStream')!.body.messages!;
  expect(sent.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  expect(sent[0].content[0].text).toBe('first question');
  expect(sent[2].content[0].text).toBe('second question');

  const list = await api('alice', '/conversations');
  expect(list.body.items[0]).toMatchObject({ id: first.ack.conversationId, title: 'first question' });
  expect(list.body.items[0]).not.toHaveProperty('messages');
});

test('bad input gets an error frame with a clear message and writes nothing', async () => {
  const c = await Client.connect('alice');
  const before = await itemCount();
  const bad: (Frame | string)[] = [
    'not json',
    { action: 'sendMessage', v: 1, requestId: 'b1', content: [] },
    { action: 'sendMessage', v: 1, requestId: 'b2', content: [{ text: 42 }] },
    { action: 'sendMessage', v: 1, requestId: 'b3', conversationId: 'nope', content: [{ text: 'x' }] },
    { action: 'sendMessage', v: 1, requestId: 'b4', conversationId: '01JAAAAAAAAAAAAAAAAAAAAAAA', content: [{ text: 'x' }] },
    { action: 'sendMessage', v: 1, requestId: 'b5', model: 'someone.elses-model', content: [{ text: 'x' }] },
    { action: 'teleport', v: 1 },
  ];
  for (const frame of bad) c.send(frame);
  const errors = await c.untilAll((f) => f.type === 'error', bad.length);
  await pg.idle();
  c.close();
  expect(errors).toHaveLength(bad.length);
  expect(errors.map((e) => e.code).sort()).toEqual(['BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'NOT_FOUND']);
  expect(errors.find((e) => e.requestId === 'b5')?.message).toBe('The model "someone.elses-model" is not available in this deployment.');
  expect(c.frames.some((f) => f.type === 'ack')).toBe(false);
  expect(await itemCount()).toBe(before);
});

test('a connection without a valid token is refused', async () => {
  await expect(Client.connect(undefined)).rejects.toThrow(/HTTP 401/);
  await expect(Client.connect(undefined, ['bedrock-chat.v1', 'a.b.c'])).rejects.toThrow(/HTTP 401/);
  const alice = pg.issueToken('alice');
  const tampered = alice.slice(0, -4) + (alice.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  await expect(Client.connect(undefined, ['bedrock-chat.v1', tampered])).rejects.toThrow(/HTTP 401/);
  expect((await api(undefined, '/conversations')).status).toBe(401);
});

test('users cannot read or continue each other\'s conversations', async () => {
  const alice = await Client.connect('alice');
  const { ack } = await ask(alice, 'secret plans');
  alice.close();
  const bob = await Client.connect('bob');
  const before = await itemCount();
  const res = await ask(bob, 'let me in', { conversationId: ack.conversationId });
  bob.close();
  expect(res.end).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
  expect(await itemCount()).toBe(before);
  expect((await api('bob', `/conversations/${ack.conversationId}`)).status).toBe(404);
  expect((await api('bob', '/conversations')).body.items.map((i: any) => i.id)).not.toContain(ack.conversationId);
});

test('an exception mid-stream keeps the partial answer, marks it, and tells the client', async () => {
  script = () => ({ steps: [{ type: 'text', text: 'Half an ' }, { type: 'text', text: 'answer', delayMs: 5 }, { type: 'exception', name: 'ModelStreamErrorException', message: 'boom', delayMs: 5 }] });
  const c = await Client.connect('alice');
  const { ack, end, text } = await ask(c, 'break please');
  c.close();
  expect(end).toMatchObject({ type: 'error', code: 'MODEL_ERROR' });
  expect(text).toBe('Half an answer');
  const got = await api('alice', `/conversations/${ack.conversationId}`);
  expect(got.body.messages[1]).toMatchObject({ role: 'assistant', content: [{ text: 'Half an answer' }], stopReason: 'error' });
});

test('throttling before the stream is retried, then reported; the user message is kept', async () => {
  let calls = 0;
  script = () => { calls++; return { error: { status: 429, name: 'ThrottlingException', message: 'slow down' }, steps: [] }; };
  const c = await Client.connect('alice');
  const { ack, end } = await ask(c, 'are you there?');
  c.close();
  expect(calls).toBeGreaterThan(1);
  expect(end).toMatchObject({ type: 'error', code: 'THROTTLED' });
  const got = await api('alice', `/conversations/${ack.conversationId}`);
  expect(got.body.messages).toEqual([expect.objectContaining({ role: 'user', content: [{ text: 'are you there?' }] })]);
});

test('throttling that clears on retry still produces the answer', async () => {
  let calls = 0;
  script = (req) => (++calls === 1 ? { error: { status: 429, name: 'ThrottlingException', message: 'slow down' }, steps: [] } : offline(req));
  const c = await Client.connect('alice');
  const { end, text } = await ask(c, 'retry me');
  c.close();
  expect(end.type).toBe('end');
  expect(text).toBe(offlineReply('retry me'));
});

test('the answer is stored even when the client leaves mid-stream', async () => {
  script = (req) => ({ steps: Array.from({ length: 30 }, (_, i) => ({ type: 'text' as const, text: `w${i} `, delayMs: 5 })), usage: { inputTokens: 1, outputTokens: 30 }, ...(req ? {} : {}) });
  const c = await Client.connect('alice');
  c.send({ action: 'sendMessage', v: 1, requestId: 'gone', content: [{ text: 'long story' }] });
  const first = await c.until((f) => f.type === 'text');
  c.socket.terminate();
  await pg.idle();
  const got = await api('alice', `/conversations/${first.conversationId}`);
  expect(got.body.messages[1]).toMatchObject({ role: 'assistant', stopReason: 'end_turn' });
  expect(got.body.messages[1].content[0].text).toBe(Array.from({ length: 30 }, (_, i) => `w${i} `).join(''));
});

test('deltas are coalesced: far fewer frames than tokens', async () => {
  script = () => ({ steps: Array.from({ length: 400 }, (_, i) => ({ type: 'text' as const, text: `t${i} `, delayMs: i % 20 === 0 ? 1 : 0 })) });
  const c = await Client.connect('alice');
  const { frames, text } = await ask(c, 'many tokens');
  c.close();
  expect(text.split(' ').filter(Boolean)).toHaveLength(400);
  expect(frames.filter((f) => f.type === 'text').length).toBeLessThan(40);
});

test('ping gets pong', async () => {
  const c = await Client.connect('bob');
  c.send({ action: 'ping', v: 1 });
  await c.until((f) => f.type === 'pong');
  c.close();
});
