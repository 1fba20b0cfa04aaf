/**
 * `resume` over the wire: a client whose connection dropped mid-answer takes the answer over on a new connection
 * (snapshot + the rest), or learns that it is finished and stored. The connection is dropped from the server side
 * like a network failure (the API Gateway stand-in destroys the socket; with `lingerMs` its Management API keeps
 * accepting posts to it, as API Gateway does until it notices). The model's stream is held with `pause` steps of the
 * Bedrock fake and DynamoDB requests with a gate in front of dynalite, so every interleaving below is forced, not
 * hoped for. No code of ours is mocked.
 */
import { createServer, IncomingMessage, request as httpRequest, Server, ServerResponse } from 'http';
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { StdoutCapture } from './log-capture';
import type { FakeRequest, FakeScript, FakeStep } from '../../src/local/emulators/bedrock';
import { closeServer, listenLoopback, readBody } from '../../src/local/emulators/util';
import { LOCAL_USERS } from '../../src/local/idp';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';
import { Frame, newRequestId, WsClient } from '../../src/local/ws-client';

let pg: Playground;
let script: ((req: FakeRequest) => FakeScript) | undefined;
let gate: DynamoGate;
const stdout = new StdoutCapture();
/** Every log line the handlers write (checked for tokens and message text at the end). */
const logs = stdout.logs;
const tokens: string[] = [];

beforeAll(async () => {
  stdout.start();
  pg = await startPlayground({
    handlers: 'in-process',
    models: OFFLINE_MODELS,
    respond: (req) => (req.operation === 'Converse' ? { steps: [{ type: 'text', text: 'A title' }] } : script!(req)),
  });
  // The handlers create their DynamoDB client at their first request, from this variable: through the gate.
  gate = await startDynamoGate(process.env.AWS_ENDPOINT_URL_DYNAMODB!);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = gate.endpoint;
});
afterAll(async () => {
  gate?.releaseAll();
  await pg?.stop();
  await gate?.stop();
  stdout.stop();
});
afterEach(async () => {
  // A failed test must not leave a model stream or a DynamoDB request held for the next one.
  latches.splice(0).forEach((l) => l.open());
  gate.releaseAll();
  await pg.idle();
  script = undefined;
});

// ------------------------------------------------------------------------------------------------ helpers

const latches: { open: () => void }[] = [];

/** A promise released by the test: the model's stream waits on it (a `pause` step). */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => { open = resolve; });
  latches.push({ open });
  return { promise, open };
}

const words = (prefix: string, n: number): FakeStep[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'text' as const, text: `${prefix}${i} `, delayMs: 1 }));

/** Connects and returns the client with its connection id, as the stand-in knows it. */
async function connect(user: string): Promise<{ c: WsClient; id: string }> {
  const before = new Set(pg.connectionIds());
  const token = pg.issueToken(user);
  tokens.push(token);
  const c = await WsClient.connect(pg.webSocketUrl, token);
  const id = pg.connectionIds().find((x) => !before.has(x));
  if (!id) throw new Error('the new connection is not known to the stand-in');
  return { c, id };
}

/** Drops the connection server-side and waits until the client saw it close (code 1006: no closing handshake). */
async function drop(client: { c: WsClient; id: string }, lingerMs?: number): Promise<void> {
  const closed = new Promise<number>((resolve) => client.c.socket.once('close', resolve));
  expect(pg.dropConnection(client.id, { lingerMs })).toBe(true);
  expect(await closed).toBe(1006);
}

/** The text and reasoning a client assembles for a request: from its last `start` (a resumed one resets the answer). */
function assembled(c: WsClient, requestId: string): { text: string; reasoning: string; frames: Frame[] } {
  const frames = c.of(requestId);
  const from = frames.map((f) => f.type).lastIndexOf('start');
  const answer = frames.slice(Math.max(from, 0));
  const join = (type: string) => answer.filter((f) => f.type === type).map((f) => f.delta).join('');
  return { text: join('text'), reasoning: join('reasoning'), frames: answer };
}

async function storedAnswer(user: string, conversationId: string, messageId: string): Promise<any> {
  const res = await fetch(`${pg.restApiUrl}/conversations/${conversationId}`, { headers: { authorization: `Bearer ${pg.issueToken(user)}` } });
  expect(res.status).toBe(200);
  const body = await res.json();
  return body.messages.find((m: { id: string }) => m.id === messageId);
}

const db = () => new DynamoDBClient({});
const userId = (name: string) => Object.values(LOCAL_USERS).find((u) => u.username === name)!.sub;
async function requestItem(user: string, requestId: string): Promise<Record<string, unknown> | undefined> {
  const res = await db().send(new GetItemCommand({
    TableName: process.env.TABLE_NAME, Key: { pk: { S: `USER#${userId(user)}` }, sk: { S: `REQ#${requestId}` } }, ConsistentRead: true,
  }));
  return res.Item;
}
const count = async () => (await db().send(new ScanCommand({ TableName: process.env.TABLE_NAME, Select: 'COUNT' }))).Count ?? 0;

/**
 * Starts an answer on a fresh connection of `user` whose model stream stops at a pause until `go.open()`, and waits
 * for its first text frame.
 */
async function pausedAnswer(user: string, before: FakeStep[], after: FakeStep[]) {
  const go = latch();
  const steps = [...before, { type: 'pause' as const, until: go.promise }, ...after];
  script = () => ({ steps });
  const first = await connect(user);
  const requestId = newRequestId();
  first.c.send({ action: 'sendMessage', v: 1, requestId, content: [{ text: 'tell me a long story' }] });
  const ack = await first.c.until((f) => f.requestId === requestId && f.type === 'ack');
  await first.c.until((f) => f.requestId === requestId && f.type === 'text');
  return { first, requestId, go, conversationId: ack.conversationId as string };
}

const expectedText = (steps: FakeStep[]) => steps.map((s) => (s.type === 'text' ? s.text : '')).join('');

// ------------------------------------------------------------------------------------------------ tests

test('resume mid-answer: the new connection gets a snapshot, then the rest; its text is exactly the stored answer', async () => {
  // Long enough that the snapshot needs several frames; quotes, backslashes and emoji (never split in two).
  const part1: FakeStep[] = [
    { type: 'reasoning', text: 'Thinking about "stories"… ' },
    { type: 'reasoning', text: 'a long one. ' },
    ...Array.from({ length: 30 }, (_, i) => ({ type: 'text' as const, text: `${i}: "quoted" \\ back 😀 ${'x'.repeat(1500)} `, delayMs: 0 })),
  ];
  const part2 = words('then', 40);
  const { first, requestId, go, conversationId } = await pausedAnswer('alice', part1, part2);
  // Everything before the pause reached the first connection (the model is held): the snapshot must hold all of it.
  const textOfFirst = () => first.c.of(requestId).filter((f) => f.type === 'text').map((f) => f.delta).join('');
  await first.c.until(() => textOfFirst() === expectedText(part1));
  const seenByFirst = textOfFirst();
  // Posts to the dropped connection still "succeed": only the request item can move the answer.
  await drop(first, 60_000);

  const second = await connect('alice');
  const sizes: number[] = [];
  second.c.socket.on('message', (data: Buffer) => sizes.push(data.length));
  second.c.send({ action: 'resume', v: 1, requestId });
  const resumed = await second.c.until((f) => f.type === 'resumed');
  expect(resumed).toEqual({ v: 1, type: 'resumed', requestId, conversationId, done: false });
  const start = await second.c.until((f) => f.requestId === requestId && f.type === 'start');
  expect(start).toMatchObject({ resumed: true, conversationId, parentMessageId: expect.any(String), model: expect.any(String) });
  go.open();
  const end = await second.c.until((f) => f.requestId === requestId && f.type === 'end');
  expect(end).toMatchObject({ stopReason: 'end_turn', messageId: start.messageId });

  const { text, reasoning, frames } = assembled(second.c, requestId);
  const stored = await storedAnswer('alice', conversationId, start.messageId);
  expect(text).toBe(stored.content[0].text);
  expect(text).toBe(expectedText([...part1, ...part2]));
  expect(reasoning).toBe(stored.reasoning);
  expect(reasoning).toBe('Thinking about "stories"… a long one. ');
  // The snapshot: marked frames right after the start, holding at least what the first connection had shown.
  const snapshot = frames.filter((f) => f.snapshot === true);
  expect(frames.slice(1, 1 + snapshot.length)).toEqual(snapshot);
  expect(snapshot.filter((f) => f.type === 'text').length).toBeGreaterThan(1);
  expect(snapshot.filter((f) => f.type === 'text').map((f) => f.delta).join('').startsWith(seenByFirst)).toBe(true);
  expect(frames.filter((f) => f.type === 'text' && !f.snapshot).map((f) => f.delta).join('')).toContain('then39');
  expect(Math.max(...sizes)).toBeLessThanOrEqual(32 * 1024);
  expect(first.c.of(requestId).some((f) => f.type === 'end')).toBe(false);
  second.c.close();
});

test('the answer follows the client over two drops (the second one ends with 410 Gone for the worker)', async () => {
  const part1 = words('a', 5);
  const part2 = words('b', 5);
  const { first, requestId, go, conversationId } = await pausedAnswer('bob', part1, part2);
  await drop(first, 60_000);
  const second = await connect('bob');
  second.c.send({ action: 'resume', v: 1, requestId });
  await second.c.until((f) => f.requestId === requestId && f.type === 'start' && f.resumed === true);
  await drop(second);
  const third = await connect('bob');
  third.c.send({ action: 'resume', v: 1, requestId });
  expect(await third.c.until((f) => f.type === 'resumed')).toMatchObject({ done: false });
  await third.c.until((f) => f.requestId === requestId && f.type === 'start' && f.resumed === true);
  go.open();
  const end = await third.c.until((f) => f.requestId === requestId && f.type === 'end');
  const stored = await storedAnswer('bob', conversationId, end.messageId);
  expect(assembled(third.c, requestId).text).toBe(stored.content[0].text);
  expect(stored.content[0].text).toBe(expectedText([...part1, ...part2]));
  expect((await requestItem('bob', requestId))?.connectionId).toEqual({ S: third.id });
  third.c.close();
});

test('resume after the end: done, nothing else is sent, and the stored answer is complete', async () => {
  script = () => ({ steps: words('w', 10) });
  const first = await connect('alice');
  const requestId = newRequestId();
  first.c.send({ action: 'sendMessage', v: 1, requestId, content: [{ text: 'short one' }] });
  const end = await first.c.until((f) => f.requestId === requestId && f.type === 'end');
  await pg.idle();
  first.c.close();
  const second = await connect('alice');
  second.c.send({ action: 'resume', v: 1, requestId });
  const resumed = await second.c.until((f) => f.type === 'resumed');
  expect(resumed).toEqual({ v: 1, type: 'resumed', requestId, conversationId: end.conversationId, done: true });
  await pg.idle();
  expect(second.c.frames).toEqual([resumed]);
  expect((await storedAnswer('alice', end.conversationId, end.messageId)).content[0].text).toBe(expectedText(words('w', 10)));
  second.c.close();
});

test('resume of another user\'s request id: NOT_FOUND, nothing written, and the owner still gets the whole answer', async () => {
  const { first, requestId, go, conversationId } = await pausedAnswer('alice', words('mine', 3), words('still', 3));
  const item = await requestItem('alice', requestId);
  // The request remembers the connection it came from; only its owner's resume can change that.
  expect(item?.connectionId).toEqual({ S: first.id });
  const before = await count();
  for (const user of ['bob', 'admin']) {
    const other = await connect(user);
    other.c.send({ action: 'resume', v: 1, requestId });
    const error = await other.c.until((f) => f.requestId === requestId);
    expect(error).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    expect(JSON.stringify(other.c.frames)).not.toContain(conversationId);
    other.c.close();
  }
  expect(await count()).toBe(before);
  expect(await requestItem('alice', requestId)).toEqual(item);
  go.open();
  const end = await first.c.until((f) => f.requestId === requestId && f.type === 'end');
  const stored = await storedAnswer('alice', conversationId, end.messageId);
  expect(assembled(first.c, requestId).text).toBe(stored.content[0].text);
  first.c.close();
});

test('bad resume frames get BAD_REQUEST and write nothing', async () => {
  const { c } = await connect('alice');
  const before = await count();
  const bad: unknown[] = [
    { action: 'resume', v: 1 },
    { action: 'resume', v: 1, requestId: '' },
    { action: 'resume', v: 1, requestId: 'a b' },
    { action: 'resume', v: 1, requestId: 'x'.repeat(65) },
    { action: 'resume', v: 1, requestId: 42 },
    { action: 'resume', v: 2, requestId: 'r1' },
    { action: 'resume', requestId: 'r1' },
    { action: 'resume', v: 1, requestId: 'r1', conversationId: '01JAAAAAAAAAAAAAAAAAAAAAAA' },
  ];
  for (const frame of bad) c.send(frame as Frame);
  const errors = await c.untilAll((f) => f.type === 'error', bad.length);
  expect(errors.map((e) => e.code)).toEqual(bad.map(() => 'BAD_REQUEST'));
  expect(errors.every((e) => typeof e.message === 'string' && e.message.length > 10)).toBe(true);
  await pg.idle();
  expect(await count()).toBe(before);
  c.close();
});

test('race: a resume just before the worker\'s final write gets done: false, and the end reaches the new connection', async () => {
  const part1 = words('p', 4);
  const part2 = words('q', 4);
  const { first, requestId, go, conversationId } = await pausedAnswer('alice', part1, part2);
  await drop(first);
  // The worker finishes the stream into the void (410 Gone), stores the answer, and is held at its final write.
  const finish = gate.hold((target, body) => target === 'UpdateItem' && JSON.stringify(body).includes('finishedAt'));
  go.open();
  await finish.held;
  const second = await connect('alice');
  second.c.send({ action: 'resume', v: 1, requestId });
  expect(await second.c.until((f) => f.type === 'resumed')).toMatchObject({ done: false, conversationId });
  finish.release();
  const end = await second.c.until((f) => f.requestId === requestId && f.type === 'end');
  const { text, frames } = assembled(second.c, requestId);
  expect(frames[0]).toMatchObject({ type: 'start', resumed: true });
  const stored = await storedAnswer('alice', conversationId, end.messageId);
  expect(text).toBe(stored.content[0].text);
  expect(text).toBe(expectedText([...part1, ...part2]));
  second.c.close();
});

test('race: a resume just after the worker\'s final write gets done: true, and the stored answer is complete', async () => {
  const part1 = words('p', 4);
  const part2 = words('q', 4);
  const { first, requestId, go, conversationId } = await pausedAnswer('alice', part1, part2);
  await drop(first);
  // The resume reaches DynamoDB only after the worker has finished.
  const resume = gate.hold((target, body) => target === 'UpdateItem' && JSON.stringify(body).includes('SET connectionId'));
  const second = await connect('alice');
  second.c.send({ action: 'resume', v: 1, requestId });
  await resume.held;
  go.open();
  await pg.idle();
  expect((await requestItem('alice', requestId))?.finishedAt).toBeDefined();
  resume.release();
  expect(await second.c.until((f) => f.type === 'resumed')).toEqual({ v: 1, type: 'resumed', requestId, conversationId, done: true });
  await pg.idle();
  expect(second.c.of(requestId).map((f) => f.type)).toEqual(['resumed']);
  const list = await fetch(`${pg.restApiUrl}/conversations/${conversationId}`, { headers: { authorization: `Bearer ${pg.issueToken('alice')}` } });
  const answer = (await list.json()).messages.find((m: { role: string }) => m.role === 'assistant');
  expect(answer).toMatchObject({ stopReason: 'end_turn', content: [{ text: expectedText([...part1, ...part2]) }] });
  second.c.close();
});

test('the logs of all this carry ids, never tokens or message text', () => {
  const all = logs.join('');
  expect(all).toMatch(/"msg":"answer moved to a new connection"/);
  expect(all).toMatch(/"msg":"turn done"/);
  for (const text of ['tell me a long story', 'short one', 'quoted', 'then39', 'Thinking about']) expect(all).not.toContain(text);
  expect(tokens.length).toBeGreaterThan(5);
  for (const token of tokens) expect(all).not.toContain(token.split('.')[2]);
});

// ------------------------------------------------------------------------------------------------ DynamoDB gate

interface DynamoGate {
  readonly endpoint: string;
  /** Holds the next request matching `match` (operation name and JSON body) until `release()`. */
  hold(match: (target: string, body: unknown) => boolean): { held: Promise<void>; release: () => void };
  releaseAll(): void;
  stop(): Promise<void>;
}

/** An HTTP proxy in front of dynalite that can hold chosen requests: forces an order between two writers. */
async function startDynamoGate(target: string): Promise<DynamoGate> {
  const holds: { match: (t: string, b: unknown) => boolean; arrived: () => void; released: Promise<void>; release: () => void; used: boolean }[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        parsed = undefined;
      }
      const hold = holds.find((h) => !h.used && h.match(operation, parsed));
      if (hold) {
        hold.used = true;
        hold.arrived();
        await hold.released;
      }
      const options = { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers };
      const forward = httpRequest(options, (up) => {
        res.writeHead(up.statusCode ?? 500, up.headers);
        up.pipe(res);
      });
      forward.on('error', () => res.destroy());
      forward.end(body);
    })();
  });
  const port = await listenLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    hold: (match) => {
      let arrived!: () => void;
      const held = new Promise<void>((resolve) => { arrived = resolve; });
      const l = latch();
      holds.push({ match, arrived, released: l.promise, release: l.open, used: false });
      return { held, release: l.open };
    },
    releaseAll: () => holds.splice(0).forEach((h) => h.release()),
    stop: () => closeServer(server),
  };
}
