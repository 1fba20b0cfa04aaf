/**
 * The handlers' structured logs name the user (so cost and abuse can be attributed) and never carry the token or a
 * message body. Over the wire: a real WebSocket client and HTTP calls against the local stack, whose in-process
 * handlers write their JSON log lines to this process's stdout, captured here.
 */
import { LOCAL_USERS } from '../../src/local/idp';
import { offlineModel, offlineReply } from '../../src/local/offline-model';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';
import { WsClient } from '../../src/local/ws-client';

let pg: Playground;
const lines: string[] = [];
const write = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  pg = await startPlayground({ handlers: 'in-process', models: OFFLINE_MODELS, quiet: false, respond: offlineModel({ wordDelayMs: 0 }) });
  delete process.env.BEDROCK_CHAT_LOG;
  process.stdout.write = ((chunk: any, ...rest: any[]) => {
    const text = String(chunk);
    if (text.startsWith('{')) { lines.push(...text.split('\n').filter(Boolean)); return true; }
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
});
afterAll(async () => {
  process.stdout.write = write;
  await pg?.stop();
});

test('worker and api log lines carry the user id, never the token, the question or the answer', async () => {
  const token = pg.issueToken('alice');
  const question = 'Attribution question 7f3a9c about sensitive matters';
  const client = await WsClient.connect(pg.webSocketUrl, token);
  client.send({ action: 'sendMessage', v: 1, requestId: 'rlog1', content: [{ text: question }] });
  const end = await client.until((f) => f.requestId === 'rlog1' && (f.type === 'end' || f.type === 'error'));
  expect(end.type).toBe('end');
  const res = await fetch(`${pg.restApiUrl}/conversations`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  client.close();
  await pg.idle();

  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const userId = LOCAL_USERS.alice.sub;
  const turnDone = records.find((r) => r.msg === 'turn done' && r.requestId === 'rlog1');
  expect(turnDone).toMatchObject({ userId });
  const request = records.find((r) => r.msg === 'request' && r.route === '/conversations');
  expect(request).toMatchObject({ userId, status: 200 });
  const all = lines.join('\n');
  expect(all).not.toContain(token);
  expect(all).not.toContain(token.split('.')[2]);
  expect(all).not.toContain('7f3a9c');
  expect(all).not.toContain(offlineReply(question).slice(0, 40));
});
