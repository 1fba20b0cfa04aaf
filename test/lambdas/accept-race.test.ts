/**
 * `sendMessage` hands the answer to the worker before the question is stored (docs/architecture.md, decisions): the
 * worker starts the model request at once and sends nothing, stores nothing, until the request item says the question
 * is stored and acknowledged. Over the wire, against the playground: DynamoDB and the Management API sit behind a gate
 * that holds chosen requests (and answers some with an error), the model behind `pause` steps of the Bedrock fake, so
 * each interleaving below is forced, not hoped for. No code of ours is mocked.
 */
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { dynamoError, GatedRequest, HttpGate, startHttpGate } from './http-gate';
import type { FakeRequest, FakeScript, FakeStep } from '../../src/local/emulators/bedrock';
import { LOCAL_USERS } from '../../src/local/idp';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';
import { Frame, newRequestId, WsClient } from '../../src/local/ws-client';

let pg: Playground;
let script: ((req: FakeRequest) => FakeScript) | undefined;
/** Resolved by each ConverseStream request the Bedrock fake receives (the worker asked the model). */
let modelAsked: Promise<void>;
let onModelAsked: () => void;
let dynamo: HttpGate;
let management: HttpGate;
let directDynamo: string;

const latches: (() => void)[] = [];
/** A promise the test settles: the model's stream waits on it (a `pause` step). Opened after each test at the latest. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => { open = resolve; });
  latches.push(open);
  return { promise, open };
}

function expectModel(): void {
  modelAsked = new Promise((resolve) => { onModelAsked = resolve; });
}

beforeAll(async () => {
  pg = await startPlayground({
    handlers: 'in-process',
    models: OFFLINE_MODELS,
    quiet: true,
    respond: (req) => {
      if (req.operation === 'Converse') return { steps: [{ type: 'text', text: 'A title' }] };
      onModelAsked?.();
      return script!(req);
    },
  });
  // The handlers create their clients at their first request, from these variables: through the gates.
  directDynamo = process.env.AWS_ENDPOINT_URL_DYNAMODB!;
  dynamo = await startHttpGate(directDynamo);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  management = await startHttpGate(process.env.WEBSOCKET_CALLBACK_URL!);
  process.env.WEBSOCKET_CALLBACK_URL = management.endpoint;
});
afterAll(async () => {
  dynamo?.releaseAll();
  management?.releaseAll();
  await pg?.stop();
  await dynamo?.stop();
  await management?.stop();
});
beforeEach(() => {
  expectModel();
});
afterEach(async () => {
  // A failed test must not leave a model stream or a request held for the next one.
  latches.splice(0).forEach((open) => open());
  dynamo.releaseAll();
  management.releaseAll();
  await pg.idle();
  script = undefined;
});

// ------------------------------------------------------------------------------------------------ helpers

const words = (prefix: string, n: number): FakeStep[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'text' as const, text: `${prefix}${i} `, delayMs: 1 }));
const textOf = (steps: FakeStep[]) => steps.map((s) => (s.type === 'text' ? s.text : '')).join('');
const connect = (user = 'alice') => WsClient.connect(pg.webSocketUrl, pg.issueToken(user));
const userId = (name: string) => Object.values(LOCAL_USERS).find((u) => u.username === name)!.sub;
const db = () => new DynamoDBClient({ endpoint: directDynamo });

/** Every item of the table, keyed by `pk|sk` (read directly from dynalite, not through the gate). */
async function table(): Promise<Map<string, Record<string, any>>> {
  const items = new Map<string, Record<string, any>>();
  let ExclusiveStartKey: Record<string, any> | undefined;
  do {
    const res = await db().send(new ScanCommand({ TableName: process.env.TABLE_NAME, ExclusiveStartKey }));
    for (const item of res.Items ?? []) items.set(`${item.pk.S}|${item.sk.S}`, item);
    ExclusiveStartKey = res.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

async function requestItem(requestId: string, user = 'alice'): Promise<Record<string, any> | undefined> {
  const res = await db().send(new GetItemCommand({
    TableName: process.env.TABLE_NAME, Key: { pk: { S: `USER#${userId(user)}` }, sk: { S: `REQ#${requestId}` } }, ConsistentRead: true,
  }));
  return res.Item;
}

async function conversation(conversationId: string, user = 'alice'): Promise<any> {
  const res = await fetch(`${pg.restApiUrl}/conversations/${conversationId}`, { headers: { authorization: `Bearer ${pg.issueToken(user)}` } });
  expect(res.status).toBe(200);
  return res.json();
}

const isUserMessagePut = (r: GatedRequest) => r.operation === 'PutItem' && r.body?.Item?.type?.S === 'message' && r.body.Item.role?.S === 'user';
const isConversationPut = (r: GatedRequest) => r.operation === 'PutItem' && r.body?.Item?.type?.S === 'conversation';
const injected = dynamoError('ValidationException', 'injected by the test');

function ask(c: WsClient, extra: Frame = {}, requestId = newRequestId()): string {
  c.send({ action: 'sendMessage', v: 1, requestId, content: [{ text: 'a question' }], ...extra });
  return requestId;
}

const finalFrame = (c: WsClient, requestId: string) => c.until((f) => f.requestId === requestId && (f.type === 'end' || f.type === 'error'));

/** A finished conversation of alice's to follow up on. */
async function existingConversation(c: WsClient): Promise<{ conversationId: string; lastMessageId: string }> {
  script = () => ({ steps: words('first', 3) });
  const requestId = ask(c);
  const end = await finalFrame(c, requestId);
  await pg.idle();
  expectModel();
  return { conversationId: end.conversationId, lastMessageId: end.messageId };
}

// ------------------------------------------------------------------------------------------------ tests

describe.each([
  ['a new conversation', false],
  ['a follow-up', true],
])('%s', (_name, followUp) => {
  test('a question stored slowly: the model is asked at once, the client gets ack, then start, then the answer', async () => {
    const c = await connect();
    const parent = followUp ? await existingConversation(c) : undefined;
    const steps = words('w', 5);
    script = () => ({ steps });
    const put = dynamo.hold(isUserMessagePut);
    const requestId = ask(c, parent ? { conversationId: parent.conversationId, parentMessageId: parent.lastMessageId } : {});
    // The worker runs and has asked the model while the question is not stored yet: not a frame for the client.
    await put.held;
    await modelAsked;
    expect(c.of(requestId)).toEqual([]);
    put.release();
    const end = await finalFrame(c, requestId);
    await pg.idle();
    c.close();

    const frames = c.of(requestId);
    expect(frames.map((f) => f.type)).toEqual(['ack', 'start', ...Array(frames.length - 3).fill('text'), 'end']);
    const [ack, start] = frames;
    expect(end).toMatchObject({ type: 'end', stopReason: 'end_turn' });
    expect(start).toMatchObject({ parentMessageId: ack.messageId, messageId: end.messageId });
    // The model saw the question after the stored history (the question came with the job, not from the table).
    const sent = pg.bedrockRequests().filter((r) => r.operation === 'ConverseStream').pop()!.body.messages!;
    expect(sent.map((m) => m.role)).toEqual(followUp ? ['user', 'assistant', 'user'] : ['user']);
    expect(sent[sent.length - 1].content).toEqual([{ text: 'a question' }]);

    const got = await conversation(ack.conversationId);
    expect(got.conversation.lastMessageId).toBe(end.messageId);
    expect(got.messages.slice(-2)).toEqual([
      expect.objectContaining({ id: ack.messageId, role: 'user', parentId: parent?.lastMessageId ?? null }),
      expect.objectContaining({ id: end.messageId, role: 'assistant', parentId: ack.messageId, content: [{ text: textOf(steps) }] }),
    ]);
    expect((await requestItem(requestId))?.pending).toBeUndefined();
  });

  test('the question write fails after the worker was dispatched: an error, no frame from the worker, nothing stored; a retry is answered once', async () => {
    const c = await connect();
    const parent = followUp ? await existingConversation(c) : undefined;
    const extra = parent ? { conversationId: parent.conversationId, parentMessageId: parent.lastMessageId } : {};
    // The model holds its answer until the test ends: the worker can only finish early by aborting the stream.
    const never = latch();
    script = () => ({ steps: [{ type: 'pause', until: never.promise }, ...words('never', 3)] });
    const before = await table();
    const put = dynamo.hold(isUserMessagePut);
    const requestId = ask(c, extra);
    await put.held;
    await modelAsked;
    put.fail(400, injected);
    const error = await finalFrame(c, requestId);
    await pg.idle();

    expect(error).toMatchObject({ type: 'error', code: 'INTERNAL' });
    expect(c.of(requestId)).toEqual([error]);
    expect(await table()).toEqual(before);

    // The claim was released: the same frame again is a new attempt, answered once.
    expectModel();
    const steps = words('again', 3);
    script = () => ({ steps });
    ask(c, extra, requestId);
    const end = await c.until((f) => f.requestId === requestId && f.type === 'end');
    await pg.idle();
    c.close();
    const frames = c.of(requestId);
    expect(frames.map((f) => f.type)).toEqual(['error', 'ack', 'start', ...Array(frames.length - 4).fill('text'), 'end']);
    const got = await conversation(end.conversationId);
    expect(got.messages.filter((m: any) => m.role === 'assistant' && m.parentId === frames[1].messageId)).toEqual([
      expect.objectContaining({ id: end.messageId, content: [{ text: textOf(steps) }] }),
    ]);
    expect(got.messages).toHaveLength(followUp ? 4 : 2);
  });
});

test('the new conversation\'s item cannot be written: the question stays an orphan as before, the worker answers nothing', async () => {
  const c = await connect();
  const never = latch();
  script = () => ({ steps: [{ type: 'pause', until: never.promise }, ...words('never', 3)] });
  const before = await table();
  const put = dynamo.hold(isConversationPut);
  const requestId = ask(c);
  await put.held;
  await modelAsked;
  put.fail(400, injected);
  const error = await finalFrame(c, requestId);
  await pg.idle();
  c.close();

  expect(c.of(requestId)).toEqual([error]);
  // The question was stored before the conversation item failed: an orphan no conversation points at (the
  // documented "at worst an orphan message"). No answer, no conversation, no request item.
  const added = [...(await table()).entries()].filter(([key]) => !before.has(key)).map(([, item]) => item);
  expect(added).toEqual([expect.objectContaining({ type: { S: 'message' }, role: { S: 'user' } })]);
});

test('the ack is slow to leave: the worker holds start until the ack was handed over', async () => {
  const c = await connect();
  const steps = words('w', 3);
  script = () => ({ steps });
  let requestId = '';
  const ack = management.hold((r) => r.body?.type === 'ack' && r.body.requestId === requestId);
  requestId = ask(c);
  await ack.held;
  await modelAsked;
  // The question is stored; the worker keeps reading its request item and still says nothing.
  const reads = () => dynamo.seen.filter((r) => r.operation === 'GetItem' && r.body?.ConsistentRead && r.body.Key?.sk?.S === `REQ#${requestId}`).length;
  const seen = reads();
  await until(() => reads() >= seen + 2);
  expect(c.of(requestId)).toEqual([]);
  ack.release();
  await finalFrame(c, requestId);
  await pg.idle();
  c.close();
  const frames = c.of(requestId);
  expect(frames.map((f) => f.type)).toEqual(['ack', 'start', ...Array(frames.length - 3).fill('text'), 'end']);
});

test('duplicate frames, one of them while the question is being stored, get one answer', async () => {
  const c = await connect();
  const steps = words('once', 3);
  script = () => ({ steps });
  const asked = pg.bedrockRequests().length;
  const put = dynamo.hold(isUserMessagePut);
  const requestId = ask(c);
  await put.held;
  // The second frame is handled (its claim refused) while the first one's question is still held.
  const claims = () => dynamo.seen.filter((r) => r.operation === 'PutItem' && r.body?.Item?.sk?.S === `REQ#${requestId}`).length;
  ask(c, {}, requestId);
  await until(() => claims() === 2);
  put.release();
  const end = await finalFrame(c, requestId);
  ask(c, {}, requestId);
  const acks = await c.untilAll((f) => f.requestId === requestId && f.type === 'ack', 3);
  await pg.idle();
  c.close();
  expect(new Set(acks.map((a) => `${a.conversationId}/${a.messageId}`)).size).toBe(1);
  expect(c.of(requestId).filter((f) => f.type === 'start')).toHaveLength(1);
  expect(pg.bedrockRequests().slice(asked).filter((r) => r.operation === 'ConverseStream')).toHaveLength(1);
  const got = await conversation(end.conversationId);
  expect(got.messages.map((m: any) => m.role)).toEqual(['user', 'assistant']);
  expect(got.messages[1].content).toEqual([{ text: textOf(steps) }]);
});

test('stop before the question is stored: the model request is aborted, and once stored the answer ends stopped', async () => {
  const c = await connect();
  const never = latch();
  script = () => ({ steps: [{ type: 'pause', until: never.promise }, ...words('never', 3)] });
  const put = dynamo.hold(isUserMessagePut);
  const requestId = ask(c);
  await put.held;
  await modelAsked;
  c.send({ action: 'stop', v: 1, requestId });
  await until(async () => (await requestItem(requestId))?.stopRequested?.BOOL === true);
  put.release();
  const end = await finalFrame(c, requestId);
  await pg.idle();
  c.close();
  expect(c.of(requestId).map((f) => f.type)).toEqual(['ack', 'start', 'end']);
  expect(end).toMatchObject({ type: 'end', stopReason: 'stopped' });
  const got = await conversation(end.conversationId);
  expect(got.messages.map((m: any) => [m.role, m.stopReason])).toEqual([['user', undefined], ['assistant', 'stopped']]);
});

test('resume before the question is stored: the answer reaches the new connection, whole', async () => {
  const go = latch();
  const after = words('w', 5);
  script = () => ({ steps: [{ type: 'pause', until: go.promise }, ...after] });
  const before = new Set(pg.connectionIds());
  const first = await connect();
  const firstId = pg.connectionIds().find((id) => !before.has(id))!;
  const put = dynamo.hold(isUserMessagePut);
  const requestId = ask(first);
  await put.held;
  await modelAsked;
  const closed = new Promise((resolve) => first.socket.once('close', resolve));
  expect(pg.dropConnection(firstId, { lingerMs: 60_000 })).toBe(true);
  await closed;
  const second = await connect();
  second.send({ action: 'resume', v: 1, requestId });
  const resumed = await second.until((f) => f.type === 'resumed');
  expect(resumed).toMatchObject({ requestId, done: false });
  put.release();
  go.open();
  const end = await second.until((f) => f.requestId === requestId && f.type === 'end');
  await pg.idle();
  second.close();
  // From the client's last start on (a resumed one replaces what was shown), the text is the stored answer.
  const frames = second.of(requestId);
  const answer = frames.slice(frames.map((f) => f.type).lastIndexOf('start'));
  const text = answer.filter((f) => f.type === 'text').map((f) => f.delta).join('');
  const got = await conversation(resumed.conversationId);
  expect(got.messages.find((m: any) => m.id === end.messageId).content).toEqual([{ text }]);
  expect(text).toBe(textOf(after));
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
