/**
 * Protocol v1 beyond one question: stop, idempotent retries, edit and regenerate branches, continue after max tokens,
 * reasoning and tool-use events, attachments through the large-message bucket, titles and prices. Over the wire
 * against the emulators, like chat-flow.test.ts.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CONTINUE_INSTRUCTION } from '../../src/lambdas/core/model';
import type { FakeRequest, FakeScript } from '../../src/local/emulators/bedrock';
import { LOCAL_USERS } from '../../src/local/idp';
import { offlineModel, offlineReply } from '../../src/local/offline-model';
import { Playground, startPlayground } from '../../src/local/playground';
import { newRequestId, request, WsClient } from '../../src/local/ws-client';

let script: ((req: FakeRequest) => FakeScript) | undefined;
const offline = offlineModel({ wordDelayMs: 1 });
let pg: Playground;

const PRICED = {
  key: 'priced',
  modelId: 'local.priced-model',
  displayName: 'Priced',
  prices: { inputPer1kTokens: 0.003, outputPer1kTokens: 0.015 },
  capabilities: { promptCaching: true },
};

/** A model that accepts assistant prefill, and one that rejects it (the Bedrock fake enforces the rule by model id). */
const PREFILL_MODEL = { key: 'sonnet-4-5', modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', capabilities: { assistantPrefill: true } };
const NO_PREFILL_MODEL = { key: 'sonnet-4-6', modelId: 'global.anthropic.claude-sonnet-4-6', capabilities: { reasoning: true } };

beforeAll(async () => {
  pg = await startPlayground({
    handlers: 'in-process',
    quiet: !process.env.DEBUG_LOGS,
    models: [{ key: 'offline', modelId: 'local.offline-model-v1', displayName: 'Offline' }, PRICED, PREFILL_MODEL, NO_PREFILL_MODEL],
    respond: (req) => {
      if (req.operation === 'Converse') return { steps: [{ type: 'text', text: '"Title: Fruit questions."' }] };
      return (script ?? offline)(req);
    },
  });
  // Read by the handlers at their first request, like a Lambda's environment.
  process.env.GUARDRAIL_ID = 'gr-test';
  process.env.GUARDRAIL_VERSION = '3';
  // A guardrail made outside the stack, as ChatBackend's `guardrail` prop names one (set here after the synth).
  pg.stack.guardrails.assumeExisting('gr-test', '3');
});
afterAll(async () => {
  await pg?.stop();
});
afterEach(async () => {
  script = undefined;
  await pg.idle();
});

const connect = (user = 'alice') => WsClient.connect(pg.webSocketUrl, pg.issueToken(user));
const slow = (n: number, delayMs = 20): FakeScript => ({ steps: Array.from({ length: n }, (_, i) => ({ type: 'text' as const, text: `w${i} `, delayMs })) });

async function conversation(user: string, id: string): Promise<any> {
  const res = await fetch(`${pg.restApiUrl}/conversations/${id}`, { headers: { authorization: `Bearer ${pg.issueToken(user)}` } });
  return res.json();
}

async function count(): Promise<number> {
  return (await new DynamoDBClient({}).send(new ScanCommand({ TableName: process.env.TABLE_NAME, Select: 'COUNT' }))).Count ?? 0;
}

const ask = (c: WsClient, text: string, extra: Record<string, unknown> = {}) => request(c, { action: 'sendMessage', content: [{ text }], ...extra });

test('stop ends generation, keeps the partial answer and marks it stopped', async () => {
  script = () => slow(200, 15);
  const c = await connect();
  const requestId = newRequestId();
  c.send({ action: 'sendMessage', v: 1, requestId, content: [{ text: 'tell me everything' }] });
  await c.until((f) => f.requestId === requestId && f.type === 'text');
  c.send({ action: 'stop', v: 1, requestId });
  const end = await c.until((f) => f.requestId === requestId && (f.type === 'end' || f.type === 'error'));
  c.close();
  expect(end).toMatchObject({ type: 'end', stopReason: 'stopped' });
  const text = c.of(requestId).filter((f) => f.type === 'text').map((f) => f.delta).join('');
  expect(text.length).toBeGreaterThan(0);
  expect(text.length).toBeLessThan(slow(200).steps.map((s) => (s as { text: string }).text).join('').length);
  const got = await conversation('alice', end.conversationId);
  expect(got.messages[1]).toMatchObject({ role: 'assistant', stopReason: 'stopped', content: [{ text }] });
});

test('stop of an unknown request is an error frame', async () => {
  const c = await connect();
  const res = await request(c, { action: 'stop', requestId: 'never-sent' });
  c.close();
  expect(res.end).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
});

test('a retried sendMessage (same requestId) is acknowledged again and never answered twice', async () => {
  const c = await connect();
  const requestId = newRequestId();
  const frame = { action: 'sendMessage', v: 1, requestId, content: [{ text: 'only once please' }] };
  c.send(frame);
  c.send(frame);
  await c.until((f) => f.requestId === requestId && f.type === 'end');
  c.send(frame);
  const acks = await c.untilAll((f) => f.requestId === requestId && f.type === 'ack', 3);
  await pg.idle();
  c.close();
  expect(new Set(acks.map((a) => `${a.conversationId}/${a.messageId}`)).size).toBe(1);
  expect(c.of(requestId).filter((f) => f.type === 'start')).toHaveLength(1);
  const got = await conversation('alice', acks[0].conversationId);
  expect(got.messages.map((m: any) => m.role)).toEqual(['user', 'assistant']);
});

test('regenerate makes a sibling answer; edit makes a sibling question; history follows the chosen branch', async () => {
  const c = await connect();
  const first = await ask(c, 'apples or pears?');
  const conversationId = first.ack!.conversationId;
  const regen = await request(c, { action: 'regenerate', conversationId, messageId: first.ack!.messageId });
  expect(regen.end.type).toBe('end');
  expect(regen.ack!.messageId).toBe(first.ack!.messageId);

  const follow = await ask(c, 'why?', { conversationId });
  const before = pg.bedrockRequests().length;
  const edit = await ask(c, 'why not plums?', { conversationId, editOf: follow.ack!.messageId });
  c.close();

  const got = await conversation('alice', conversationId);
  const answers = got.messages.filter((m: any) => m.parentId === first.ack!.messageId);
  expect(answers.map((m: any) => m.id).sort()).toEqual([first.end.messageId, regen.end.messageId].sort());
  const questions = got.messages.filter((m: any) => m.role === 'user' && m.parentId === regen.end.messageId);
  expect(questions.map((m: any) => m.content[0].text).sort()).toEqual(['why not plums?', 'why?']);
  expect(got.conversation.lastMessageId).toBe(edit.end.messageId);
  // The edited branch's history: question, the regenerated answer, the edited question; not the old "why?".
  const sent = pg.bedrockRequests().slice(before).find((r) => r.operation === 'ConverseStream')!.body.messages!;
  expect(sent.map((m) => m.content.map((b) => b.text).join(''))).toEqual(['apples or pears?', offlineReply('apples or pears?'), 'why not plums?']);
});

test('regenerate and edit reject ids that are not questions of this conversation', async () => {
  const c = await connect();
  const first = await ask(c, 'hello');
  const before = await count();
  const a = await request(c, { action: 'regenerate', conversationId: first.ack!.conversationId, messageId: first.end.messageId });
  const b = await ask(c, 'edited', { conversationId: first.ack!.conversationId, editOf: first.end.messageId });
  c.close();
  const bob = await connect('bob');
  const d = await request(bob, { action: 'regenerate', conversationId: first.ack!.conversationId, messageId: first.ack!.messageId });
  bob.close();
  expect(a.end).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
  expect(b.end).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
  expect(d.end).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
  expect(await count()).toBe(before);
});

const streamed = (frames: any[]) => frames.filter((f) => f.type === 'text').map((f) => f.delta).join('');

test('continue on a model with prefill: the cut answer is the last turn, and the whitespace at the seam is joined once', async () => {
  script = () => ({ steps: [{ type: 'text', text: 'The list: one, two, ' }], stopReason: 'max_tokens', usage: { inputTokens: 5, outputTokens: 6 } });
  const c = await connect();
  const cut = await ask(c, 'count to five', { model: PREFILL_MODEL.key });
  expect(cut.end).toMatchObject({ type: 'end', stopReason: 'max_tokens' });
  script = () => ({ steps: [{ type: 'text', text: ' three,' }, { type: 'text', text: ' four, five.' }], usage: { inputTokens: 9, outputTokens: 4 } });
  const before = pg.bedrockRequests().length;
  const more = await request(c, { action: 'continue', conversationId: cut.ack!.conversationId, messageId: cut.end.messageId });
  c.close();
  expect(more.end.message).toBeUndefined();
  expect(more.frames.find((f) => f.type === 'start')).toMatchObject({ messageId: cut.end.messageId, continued: true, model: PREFILL_MODEL.key });
  expect(more.end).toMatchObject({ type: 'end', stopReason: 'end_turn', messageId: cut.end.messageId });
  const sent = pg.bedrockRequests().slice(before).find((r) => r.operation === 'ConverseStream')!;
  expect(sent.modelId).toBe(PREFILL_MODEL.modelId);
  expect(sent.body.messages).toEqual([
    { role: 'user', content: [{ text: 'count to five' }] },
    { role: 'assistant', content: [{ text: 'The list: one, two,' }] },
  ]);
  // The client appends the deltas to what it shows: one answer, no double space at the seam.
  expect(streamed(cut.frames) + streamed(more.frames)).toBe('The list: one, two, three, four, five.');
  const got = await conversation('alice', cut.ack!.conversationId);
  expect(got.messages).toHaveLength(2);
  expect(got.messages[1]).toMatchObject({
    id: cut.end.messageId,
    content: [{ text: 'The list: one, two, three, four, five.' }],
    stopReason: 'end_turn',
    usage: { inputTokens: 14, outputTokens: 10 },
  });
  // What the continuation added is found by search, like the rest of the answer.
  const found = await fetch(`${pg.restApiUrl}/conversations/search?q=${encodeURIComponent('four, five')}`, {
    headers: { authorization: `Bearer ${pg.issueToken('alice')}` },
  });
  expect(found.status).toBe(200);
  expect(((await found.json()) as { items: { conversationId: string }[] }).items.map((i) => i.conversationId)).toContain(cut.ack!.conversationId);
});

test('continue on a model without prefill (Claude Sonnet 4.6): the cut answer, then a user turn asking for the rest; a repeated tail is dropped', async () => {
  script = () => ({ steps: [{ type: 'text', text: 'Step 1: mix the flour. Step 2: add the' }], stopReason: 'max_tokens', usage: { inputTokens: 4, outputTokens: 9 } });
  const c = await connect();
  const cut = await ask(c, 'how do I bake a cake?', { model: NO_PREFILL_MODEL.key });
  expect(cut.end).toMatchObject({ type: 'end', stopReason: 'max_tokens' });
  // The model starts by repeating the end of its answer, in small deltas.
  script = () => ({
    steps: ['Step ', '2: ', 'add ', 'the ', 'eggs. ', 'Step 3: bake.'].map((text) => ({ type: 'text' as const, text })),
    usage: { inputTokens: 40, outputTokens: 8 },
  });
  const before = pg.bedrockRequests().length;
  const more = await request(c, { action: 'continue', conversationId: cut.ack!.conversationId, messageId: cut.end.messageId });
  c.close();
  // Today's code sent the cut answer as a prefill, which the model refuses (ValidationException, error frame).
  expect(more.end).toMatchObject({ type: 'end', stopReason: 'end_turn', messageId: cut.end.messageId });
  expect(more.frames.find((f) => f.type === 'start')).toMatchObject({ messageId: cut.end.messageId, continued: true });
  const sent = pg.bedrockRequests().slice(before).find((r) => r.operation === 'ConverseStream')!;
  expect(sent.modelId).toBe(NO_PREFILL_MODEL.modelId);
  expect(sent.body.messages).toEqual([
    { role: 'user', content: [{ text: 'how do I bake a cake?' }] },
    { role: 'assistant', content: [{ text: 'Step 1: mix the flour. Step 2: add the' }] },
    { role: 'user', content: [{ text: CONTINUE_INSTRUCTION }] },
  ]);
  expect(streamed(more.frames)).toBe(' eggs. Step 3: bake.');
  const got = await conversation('alice', cut.ack!.conversationId);
  expect(got.messages).toHaveLength(2);
  expect(got.messages[1]).toMatchObject({
    id: cut.end.messageId,
    content: [{ text: 'Step 1: mix the flour. Step 2: add the eggs. Step 3: bake.' }],
    stopReason: 'end_turn',
    usage: { inputTokens: 44, outputTokens: 17 },
  });
});

test('continue is refused for an answer that was not cut', async () => {
  const c = await connect();
  const done = await ask(c, 'short');
  const res = await request(c, { action: 'continue', conversationId: done.ack!.conversationId, messageId: done.end.messageId });
  c.close();
  expect(res.end).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: 'Only an answer cut at the token limit can be continued.' });
});

test('reasoning and tool use stream as typed events; reasoning is stored with the answer', async () => {
  script = () => ({
    steps: [
      { type: 'reasoning', text: 'The user wants ' },
      { type: 'reasoning', text: 'a fruit.', delayMs: 5 },
      { type: 'toolUse', toolUseId: 'tool-1', name: 'lookup', input: { fruit: 'kiwi' } },
      { type: 'text', text: 'Kiwi.' },
    ],
  });
  const c = await connect();
  const res = await ask(c, 'pick a fruit', { reasoning: true });
  c.close();
  const types = res.frames.map((f) => f.type);
  expect(types).toContain('reasoning');
  expect(res.frames.filter((f) => f.type === 'reasoning').map((f) => f.delta).join('')).toBe('The user wants a fruit.');
  expect(res.frames.find((f) => f.type === 'toolUse')).toMatchObject({ toolUseId: 'tool-1', name: 'lookup', input: { fruit: 'kiwi' } });
  expect(types.indexOf('reasoning')).toBeLessThan(types.indexOf('text'));
  const stream = pg.bedrockRequests().filter((r) => r.operation === 'ConverseStream').pop()!;
  expect(stream.body.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 4096 } });
  const got = await conversation('alice', res.ack!.conversationId);
  expect(got.messages[1]).toMatchObject({ content: [{ text: 'Kiwi.' }], reasoning: 'The user wants a fruit.' });
});

test('a new conversation gets its title from the title model after the answer', async () => {
  const c = await connect();
  const res = await ask(c, 'what about bananas and mangoes and papayas?');
  const title = await c.until((f) => f.type === 'title' && f.conversationId === res.ack!.conversationId);
  c.close();
  expect(c.frames.indexOf(title)).toBeGreaterThan(c.frames.indexOf(res.end));
  expect(title.title).toBe('Fruit questions');
  expect((await conversation('alice', res.ack!.conversationId)).conversation.title).toBe('Fruit questions');
});

test('the end frame carries the price from the model\'s price data', async () => {
  script = () => ({ steps: [{ type: 'text', text: 'priced answer' }], usage: { inputTokens: 1000, outputTokens: 2000 } });
  const c = await connect();
  const res = await ask(c, 'how much?', { model: 'priced' });
  c.close();
  expect(res.end).toMatchObject({ type: 'end', usage: { inputTokens: 1000, outputTokens: 2000 }, price: 0.033 });
  expect(res.frames.find((f) => f.type === 'start')?.model).toBe('priced');
  expect(pg.bedrockRequests().filter((r) => r.operation === 'ConverseStream').pop()!.modelId).toBe('local.priced-model');
  const got = await conversation('alice', res.ack!.conversationId);
  expect(got.messages[1]).toMatchObject({ price: 0.033, usage: { inputTokens: 1000, outputTokens: 2000 } });
  expect(got.conversation).toMatchObject({ price: 0.033, usage: { inputTokens: 1000, outputTokens: 2000 } });
});

test('a model with prompt caching gets a cache point after the latest question; the guardrail applies to every answer', async () => {
  script = () => ({ steps: [{ type: 'text', text: 'I cannot help with that.' }], stopReason: 'guardrail_intervened' as never });
  const c = await connect();
  const first = await ask(c, 'first', { model: 'priced' });
  const second = await ask(c, 'second', { model: 'priced', conversationId: first.ack!.conversationId });
  const plain = await ask(c, 'no caching here');
  c.close();
  expect(second.end).toMatchObject({ type: 'end', stopReason: 'guardrail_intervened' });
  const streams = pg.bedrockRequests().filter((r) => r.operation === 'ConverseStream').slice(-3);
  const [, cached, uncached] = streams;
  expect(cached.body.messages!.map((m) => m.content)).toEqual([
    [{ text: 'first' }],
    [{ text: 'I cannot help with that.' }],
    [{ text: 'second' }, { cachePoint: { type: 'default' } }],
  ]);
  expect(uncached.body.messages![0].content).toEqual([{ text: 'no caching here' }]);
  for (const r of streams) {
    expect(r.body.guardrailConfig).toEqual({ guardrailIdentifier: 'gr-test', guardrailVersion: '3', streamProcessingMode: 'async' });
  }
  expect(plain.end.type).toBe('end');
});

describe('attachments', () => {
  const s3 = () => new S3Client({ forcePathStyle: true });
  const key = (user: 'alice' | 'bob', name: string) => `uploads/${LOCAL_USERS[user].sub}/01JAAAAAAAAAAAAAAAAAAAAAA${name.length % 10}/${name}`;

  test('images and documents are read from the large-message bucket into the model request', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    await s3().send(new PutObjectCommand({ Bucket: process.env.LARGE_MESSAGE_BUCKET, Key: key('alice', 'pic.png'), Body: png }));
    await s3().send(new PutObjectCommand({ Bucket: process.env.LARGE_MESSAGE_BUCKET, Key: key('alice', 'notes.txt'), Body: 'long notes' }));
    const c = await connect();
    const res = await request(c, {
      action: 'sendMessage',
      content: [
        { text: 'look' },
        { image: { format: 'png', key: key('alice', 'pic.png') } },
        { document: { format: 'txt', name: 'notes', key: key('alice', 'notes.txt') } },
      ],
    });
    c.close();
    expect(res.end.type).toBe('end');
    const sent = pg.bedrockRequests().filter((r) => r.operation === 'ConverseStream').pop()!.body.messages![0].content;
    expect(sent[1]).toEqual({ image: { format: 'png', source: { bytes: png.toString('base64') } } });
    expect(sent[2]).toEqual({ document: { format: 'txt', name: 'notes', source: { bytes: Buffer.from('long notes').toString('base64') } } });
  });

  test('a message of documents only gets the text block Converse requires beside documents', async () => {
    await s3().send(new PutObjectCommand({ Bucket: process.env.LARGE_MESSAGE_BUCKET, Key: key('alice', 'only.txt'), Body: 'just a file' }));
    const c = await connect();
    const res = await request(c, { action: 'sendMessage', content: [{ document: { format: 'txt', name: 'only', key: key('alice', 'only.txt') } }] });
    c.close();
    expect(res.end.type).toBe('end');
    const sent = pg.bedrockRequests().filter((r) => r.operation === 'ConverseStream').pop()!.body.messages![0].content;
    expect(sent).toEqual([{ document: expect.objectContaining({ name: 'only' }) }, { text: 'See the attached document.' }]);
  });

  test('a missing attachment is refused when the message is sent, and nothing is stored', async () => {
    // The ws handler untags every referenced upload before it stores the message (upload-expiry.test.ts), so a key
    // with no object is found missing at once: the user attaches the file again instead of waiting for an answer.
    const c = await connect();
    const res = await request(c, { action: 'sendMessage', content: [{ text: 'see file' }, { document: { format: 'pdf', name: 'gone', key: key('alice', 'gone.pdf') } }] });
    c.close();
    expect(res.end).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: 'An attachment was not found. Please attach the file again.' });
    expect(res.ack).toBeUndefined();
  });

  const put = (name: string, body: Uint8Array | string) => s3().send(new PutObjectCommand({ Bucket: process.env.LARGE_MESSAGE_BUCKET, Key: key('alice', name), Body: body }));
  const docs = (n: number, name: (i: number) => string = (i) => `doc ${i}`) => Array.from({ length: n }, (_, i) => ({ document: { format: 'txt', name: name(i), key: key('alice', 'limits.txt') } }));
  const streams = () => pg.bedrockRequests().filter((r) => r.operation === 'ConverseStream').length;

  /** A question whose answer failed: it stays the conversation's last message, so the next one is merged with it. */
  async function unanswered(c: WsClient, content: unknown[]): Promise<string> {
    script = () => ({ error: { status: 503, name: 'ServiceUnavailableException', message: 'try later' }, steps: [] });
    const res = await request(c, { action: 'sendMessage', content });
    expect(res.end).toMatchObject({ type: 'error' });
    script = undefined;
    return res.ack!.conversationId;
  }

  test('documents are counted after consecutive user turns are merged: 3 + 3 is refused with a clear error, both questions kept', async () => {
    await put('limits.txt', 'some notes');
    const c = await connect();
    const conversationId = await unanswered(c, [{ text: 'first' }, ...docs(3)]);
    const before = streams();
    const res = await request(c, { action: 'sendMessage', conversationId, content: [{ text: 'second' }, ...docs(3, (i) => `more ${i}`)] });
    c.close();
    expect(res.end).toMatchObject({
      type: 'error',
      code: 'BAD_REQUEST',
      message: 'This message carries 6 documents (counting the unanswered message before it, which is sent together with it); '
        + 'Amazon Bedrock accepts at most 5 per message. Edit it to attach fewer documents.',
    });
    expect(streams()).toBe(before);
    const got = await conversation('alice', conversationId);
    expect(got.messages.map((m: any) => [m.role, m.content[0].text])).toEqual([['user', 'first'], ['user', 'second']]);
  });

  test('equal document names in merged turns are made unique for Bedrock; the stored names are unchanged', async () => {
    await put('limits.txt', 'some notes');
    const c = await connect();
    const conversationId = await unanswered(c, [{ text: 'first' }, ...docs(1, () => 'notes')]);
    const res = await request(c, { action: 'sendMessage', conversationId, content: [{ text: 'second' }, ...docs(1, () => 'notes')] });
    c.close();
    expect(res.end.type).toBe('end');
    const sent = pg.bedrockRequests().filter((r) => r.operation === 'ConverseStream').pop()!.body.messages!;
    expect(sent).toHaveLength(1);
    expect(sent[0].content.map((b: any) => b.document?.name ?? b.text)).toEqual(['first', 'notes', 'second', 'notes (2)']);
    const got = await conversation('alice', conversationId);
    expect(got.messages[1].content[1].document.name).toBe('notes');
  });

  test('an image over 8,000 px per side (read from its header) is refused before Bedrock; the question is kept', async () => {
    const header = Buffer.alloc(64);
    Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').copy(header);
    header.writeUInt32BE(9000, 16);
    header.writeUInt32BE(300, 20);
    await put('huge.png', header);
    const c = await connect();
    const before = streams();
    const res = await request(c, { action: 'sendMessage', content: [{ text: 'look' }, { image: { format: 'png', key: key('alice', 'huge.png') } }] });
    c.close();
    expect(res.end).toMatchObject({
      type: 'error',
      code: 'BAD_REQUEST',
      message: 'An attached image is 9000 × 300 px; an image can be at most 8000 px wide and high. Edit the message and attach a smaller image.',
    });
    expect(streams()).toBe(before);
    const got = await conversation('alice', res.ack!.conversationId);
    expect(got.messages.map((m: any) => m.role)).toEqual(['user']);
  });

  test('another user\'s upload cannot be attached, and nothing is written', async () => {
    const before = await count();
    const c = await connect('alice');
    const res = await request(c, { action: 'sendMessage', content: [{ image: { format: 'png', key: key('bob', 'pic.png') } }] });
    c.close();
    expect(res.end).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    expect(await count()).toBe(before);
  });
});
