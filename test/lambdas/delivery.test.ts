/**
 * At-least-once delivery (docs/architecture.md, "Delivery of the worker's job"): Lambda may deliver an asynchronous
 * event more than once even without an error (https://docs.aws.amazon.com/zh_tw/cli/latest/reference/lambda/invoke.html).
 * The local stack here delivers every asynchronous event twice, at the same time or after the first delivery ended;
 * each turn must still be answered once: one model call, one `start` and one `end` streamed, one answer stored.
 * Over the wire, against the playground; no code of ours is mocked.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { dynamoError, HttpGate, startHttpGate } from './http-gate';
import type { FakeRequest, FakeStep } from '../../src/local/emulators/bedrock';
import { LOCAL_USERS } from '../../src/local/idp';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';
import { Frame, newRequestId, WsClient } from '../../src/local/ws-client';

const words = (prefix: string, n: number): FakeStep[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'text' as const, text: `${prefix}${i} `, delayMs: 1 }));
const textOf = (steps: FakeStep[]) => steps.map((s) => (s.type === 'text' ? s.text : '')).join('');

// One playground for the file: the in-process handlers keep the clients of the first stack they ran against.
let pg: Playground;
let steps: FakeStep[] = [];
let dynamo: HttpGate;
let directDynamo: string;

beforeAll(async () => {
  pg = await startPlayground({
    handlers: 'in-process',
    models: OFFLINE_MODELS,
    quiet: true,
    redeliverAsync: 'concurrent',
    respond: (req: FakeRequest) => (req.operation === 'Converse' ? { steps: [{ type: 'text', text: 'A title' }] } : { steps }),
  });
  // The handlers create their DynamoDB client at their first request, from this variable: through the gate.
  directDynamo = process.env.AWS_ENDPOINT_URL_DYNAMODB!;
  dynamo = await startHttpGate(directDynamo);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
});
afterAll(async () => {
  dynamo?.releaseAll();
  await pg?.stop();
  await dynamo?.stop();
});

describe.each([['concurrent' as const], ['after' as const]])('every job delivered twice (%s)', (mode) => {
  beforeAll(() => {
    pg.stack.lambda.redeliverAsync = mode;
  });

  const connect = () => WsClient.connect(pg.webSocketUrl, pg.issueToken('alice'));
  const streamCalls = () => pg.bedrockRequests().filter((r) => r.operation === 'ConverseStream').length;
  const deliveries = () => Object.values(pg.stack.lambda.asyncAttempts).reduce((a, b) => a + b, 0);

  async function request(c: WsClient, frame: Frame): Promise<{ requestId: string; end: Frame }> {
    const requestId = newRequestId();
    c.send({ v: 1, requestId, ...frame });
    const end = await c.until((f) => f.requestId === requestId && (f.type === 'end' || f.type === 'error'));
    // Both deliveries are over (the copy of an `after` redelivery runs once the first one ended).
    await pg.idle();
    return { requestId, end };
  }

  async function conversation(conversationId: string): Promise<any> {
    const res = await fetch(`${pg.restApiUrl}/conversations/${conversationId}`, { headers: { authorization: `Bearer ${pg.issueToken('alice')}` } });
    expect(res.status).toBe(200);
    return res.json();
  }

  function expectOneAnswer(c: WsClient, requestId: string): Frame[] {
    const types = c.of(requestId).map((f) => f.type);
    expect(types.filter((t) => t === 'start')).toHaveLength(1);
    expect(types.filter((t) => t === 'end')).toHaveLength(1);
    expect(types.filter((t) => t === 'error')).toHaveLength(0);
    return c.of(requestId);
  }

  test('sendMessage (new conversation, then a follow-up) and regenerate: one model call, one answer streamed and stored per turn', async () => {
    const c = await connect();
    try {
      steps = words('a', 6);
      let calls = streamCalls();
      let delivered = deliveries();
      const first = await request(c, { action: 'sendMessage', content: [{ text: 'first question' }] });
      // The job was delivered twice, the model asked once.
      expect(deliveries() - delivered).toBe(2);
      expect(streamCalls() - calls).toBe(1);
      const frames = expectOneAnswer(c, first.requestId);
      const ack = frames.find((f) => f.type === 'ack')!;
      expect(frames.filter((f) => f.type === 'text').map((f) => f.delta).join('')).toBe(textOf(steps));
      let got = await conversation(ack.conversationId);
      expect(got.messages.map((m: any) => m.role)).toEqual(['user', 'assistant']);
      expect(got.messages[1]).toMatchObject({ id: first.end.messageId, content: [{ text: textOf(steps) }], stopReason: 'end_turn' });

      steps = words('b', 4);
      calls = streamCalls();
      delivered = deliveries();
      const second = await request(c, { action: 'sendMessage', conversationId: ack.conversationId, parentMessageId: first.end.messageId, content: [{ text: 'second' }] });
      expect(deliveries() - delivered).toBe(2);
      expect(streamCalls() - calls).toBe(1);
      expectOneAnswer(c, second.requestId);
      got = await conversation(ack.conversationId);
      expect(got.messages.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
      expect(got.conversation.lastMessageId).toBe(second.end.messageId);

      steps = words('c', 3);
      calls = streamCalls();
      delivered = deliveries();
      const question = got.messages[2].id;
      const regen = await request(c, { action: 'regenerate', conversationId: ack.conversationId, messageId: question });
      expect(deliveries() - delivered).toBe(2);
      expect(streamCalls() - calls).toBe(1);
      expectOneAnswer(c, regen.requestId);
      got = await conversation(ack.conversationId);
      const answersToQuestion = got.messages.filter((m: any) => m.parentId === question);
      expect(answersToQuestion).toHaveLength(2);
      expect(answersToQuestion.map((m: any) => m.content[0].text).sort()).toEqual([textOf(words('b', 4)), textOf(steps)].sort());
    } finally {
      c.close();
    }
  });
});

describe('a failed worker invocation (retryAttempts 0, on-failure destination)', () => {
  beforeAll(() => {
    pg.stack.lambda.redeliverAsync = undefined;
  });

  test('the claim fails: one attempt, no model call, the destination marks the turn failed and the client gets one error; a repeated record changes nothing', async () => {
    const c = await WsClient.connect(pg.webSocketUrl, pg.issueToken('alice'));
    try {
      steps = words('x', 3);
      const calls = pg.bedrockRequests().filter((r) => r.operation === 'ConverseStream').length;
      const attempts = { ...pg.stack.lambda.asyncAttempts };
      const claim = dynamo.hold((r) => r.operation === 'UpdateItem' && r.body?.UpdateExpression === 'SET workerAt = :now');
      const requestId = newRequestId();
      c.send({ action: 'sendMessage', v: 1, requestId, content: [{ text: 'a question' }] });
      await claim.held;
      claim.fail(400, dynamoError('ValidationException', 'injected by the test'));
      const error = await c.until((f) => f.requestId === requestId && f.type === 'error');
      await pg.idle();

      expect(error).toMatchObject({ type: 'error', code: 'INTERNAL' });
      // Exactly one ack and one error. The worker failed while the question was being stored, so the error may come
      // before the ack (not ordered: the destination does not wait for the question; see docs/architecture.md).
      expect(c.of(requestId).map((f) => f.type).sort()).toEqual(['ack', 'error']);
      const ack = c.of(requestId).find((f) => f.type === 'ack')!;
      expect(pg.bedrockRequests().filter((r) => r.operation === 'ConverseStream').length).toBe(calls);
      // The worker ran once (no retry) and its destination once, both from the template's EventInvokeConfig.
      const ran = Object.fromEntries(Object.entries(pg.stack.lambda.asyncAttempts)
        .map(([k, v]) => [k, v - (attempts[k] ?? 0)]).filter(([, v]) => v !== 0));
      const worker = Object.keys(ran).find((k) => /ChatWorker(?!Failure)/.test(k))!;
      const failure = Object.keys(ran).find((k) => /ChatWorkerFailure/.test(k))!;
      expect(ran).toEqual({ [worker]: 1, [failure]: 1 });

      const sub = Object.values(LOCAL_USERS).find((u) => u.username === 'alice')!.sub;
      const db = new DynamoDBClient({ endpoint: directDynamo });
      const item = (await db.send(new GetItemCommand({
        TableName: process.env.TABLE_NAME, Key: { pk: { S: `USER#${sub}` }, sk: { S: `REQ#${requestId}` } }, ConsistentRead: true,
      }))).Item!;
      expect(item.failedAt?.S).toBeDefined();
      expect(item.finishedAt?.S).toBe(item.failedAt?.S);
      expect(item.workerAt).toBeUndefined();
      const got = await (await fetch(`${pg.restApiUrl}/conversations/${error.conversationId}`, { headers: { authorization: `Bearer ${pg.issueToken('alice')}` } })).json() as any;
      expect(got.messages.map((m: any) => m.role)).toEqual(['user']);

      // The same failure record again (a destination may be invoked more than once too): no second frame, no write.
      const lambda = new LambdaClient({ endpoint: pg.stack.lambda.endpoint, maxAttempts: 1 });
      const job = { userId: sub, connectionId: pg.connectionIds()[0], requestId, conversationId: error.conversationId, kind: 'answer', messageId: ack.messageId };
      const out = await lambda.send(new InvokeCommand({ FunctionName: failure, Payload: Buffer.from(JSON.stringify({ requestContext: { condition: 'RetriesExhausted' }, requestPayload: job })) }));
      lambda.destroy();
      expect(out.FunctionError).toBeUndefined();
      await pg.idle();
      expect(c.of(requestId).map((f) => f.type).sort()).toEqual(['ack', 'error']);
      const again = (await db.send(new GetItemCommand({
        TableName: process.env.TABLE_NAME, Key: { pk: { S: `USER#${sub}` }, sk: { S: `REQ#${requestId}` } }, ConsistentRead: true,
      }))).Item!;
      expect(again).toEqual(item);
      db.destroy();
    } finally {
      c.close();
    }
  });
});
