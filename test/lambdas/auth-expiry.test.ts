/**
 * Sessions that end, over the wire on the local stack: a WebSocket connection is authorized until its ID token
 * expires, not for the connection's whole life. The token comes from the local IdP with a short validity; the model's
 * stream is held with a `pause` step of the Bedrock fake so the token expires mid-answer. After expiry a frame gets
 * `error` AUTH_EXPIRED and the server closes the connection (Management API DeleteConnection); a new connection with a
 * fresh token resumes the answer to its end. No code of ours is mocked.
 */
import { StdoutCapture } from './log-capture';
import type { FakeRequest, FakeScript, FakeStep } from '../../src/local/emulators/bedrock';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';
import { Frame, newRequestId, WsClient } from '../../src/local/ws-client';

let pg: Playground;
let script: ((req: FakeRequest) => FakeScript) | undefined;
const stdout = new StdoutCapture();
const logs = stdout.logs;

beforeAll(async () => {
  stdout.start();
  pg = await startPlayground({
    handlers: 'in-process',
    models: OFFLINE_MODELS,
    respond: (req) => (req.operation === 'Converse' ? { steps: [{ type: 'text', text: 'A title' }] } : script!(req)),
  });
});
afterAll(async () => {
  await pg?.stop();
  stdout.stop();
});

const expOf = (token: string): number => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp;

/** Waits (no assertion on time) until the clock is past a token's `exp`. */
async function pastExpiry(token: string): Promise<void> {
  const exp = expOf(token) * 1000;
  while (Date.now() < exp + 50) await new Promise((r) => setTimeout(r, Math.max(10, exp + 50 - Date.now())));
}

const closed = (c: WsClient) => new Promise<number>((resolve) => c.socket.once('close', (code: number) => resolve(code)));

test('a token that expires mid-answer: the next frame gets AUTH_EXPIRED, the server closes, a fresh connection resumes to the end', async () => {
  let open!: () => void;
  const held = new Promise<void>((r) => { open = r; });
  const before: FakeStep[] = [{ type: 'text', text: 'Once upon ' }];
  const after: FakeStep[] = Array.from({ length: 10 }, (_, i) => ({ type: 'text' as const, text: `a time ${i}. ` }));
  script = () => ({ steps: [...before, { type: 'pause', until: held }, ...after] });

  const shortToken = pg.issueToken('alice', 2);
  const first = await WsClient.connect(pg.webSocketUrl, shortToken);
  const requestId = newRequestId();
  // Before expiry the connection works.
  first.send({ action: 'sendMessage', v: 1, requestId, content: [{ text: 'tell me a story' }] });
  const ack = await first.until((f) => f.requestId === requestId && f.type === 'ack');
  await first.until((f) => f.requestId === requestId && f.type === 'text');

  await pastExpiry(shortToken);
  const closing = closed(first);
  const pingsBefore = first.frames.filter((f) => f.type === 'pong').length;
  first.send({ action: 'ping', v: 1 });
  const expired = await first.until((f) => f.type === 'error' && f.code === 'AUTH_EXPIRED');
  expect(expired).toMatchObject({ type: 'error', code: 'AUTH_EXPIRED', message: expect.any(String) });
  // A normal close from the server side (DeleteConnection), not a dropped socket; no pong for the refused ping.
  expect(await closing).toBe(1000);
  expect(first.frames.filter((f) => f.type === 'pong').length).toBe(pingsBefore);
  expect(first.of(requestId).some((f) => f.type === 'end')).toBe(false);

  // The widget's path: a fresh token, a new connection, resume.
  const second = await WsClient.connect(pg.webSocketUrl, pg.issueToken('alice'));
  second.send({ action: 'resume', v: 1, requestId });
  expect(await second.until((f) => f.type === 'resumed')).toMatchObject({ requestId, conversationId: ack.conversationId, done: false });
  open();
  const end = await second.until((f) => f.requestId === requestId && f.type === 'end');
  expect(end).toMatchObject({ stopReason: 'end_turn' });
  const frames = second.of(requestId);
  const text = frames.slice(frames.map((f: Frame) => f.type).lastIndexOf('start')).filter((f) => f.type === 'text').map((f) => f.delta).join('');
  const expected = [...before, ...after].map((s) => (s.type === 'text' ? s.text : '')).join('');
  expect(text).toBe(expected);
  const res = await fetch(`${pg.restApiUrl}/conversations/${ack.conversationId}`, { headers: { authorization: `Bearer ${pg.issueToken('alice')}` } });
  const stored = (await res.json()).messages.find((m: { id: string }) => m.id === end.messageId);
  expect(stored.content[0].text).toBe(expected);
  second.close();
  await pg.idle();
});

test('a frame after expiry that would start work starts none: AUTH_EXPIRED with its request id, no ack, nothing sent to the model', async () => {
  script = () => ({ steps: [{ type: 'text', text: 'should not be asked' }] });
  const token = pg.issueToken('bob', 1);
  const c = await WsClient.connect(pg.webSocketUrl, token);
  await pastExpiry(token);
  const asked = pg.bedrockRequests().length;
  const closing = closed(c);
  const requestId = newRequestId();
  c.send({ action: 'sendMessage', v: 1, requestId, content: [{ text: 'hello' }] });
  expect(await c.until((f) => f.requestId === requestId)).toMatchObject({ type: 'error', code: 'AUTH_EXPIRED' });
  expect(await closing).toBe(1000);
  await pg.idle();
  expect(c.of(requestId).map((f) => f.type)).toEqual(['error']);
  expect(pg.bedrockRequests().length).toBe(asked);
});

test('a connection whose token is still valid keeps working (ping, pong)', async () => {
  const c = await WsClient.connect(pg.webSocketUrl, pg.issueToken('alice'));
  c.send({ action: 'ping', v: 1 });
  expect(await c.until((f) => f.type === 'pong')).toMatchObject({ type: 'pong' });
  expect(c.frames.some((f) => f.type === 'error')).toBe(false);
  c.close();
});

test('the logs of all this carry no token', () => {
  const all = logs.join('');
  expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
});
