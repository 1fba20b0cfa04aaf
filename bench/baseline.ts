/**
 * The reference system's chat pattern (Bedrock Chat, /work/shared/reference/bedrock-chat.md §2-3), implemented
 * faithfully against the same emulators as ours, so the bench can time both side by side:
 * - the client opens a new WebSocket per message (no authorizer on `$connect`) and closes it after the answer;
 * - `START` carries the ID token: the handler verifies it, downloading the JWKS (no cache), writes the session item
 *   (ConnectionId, part 0, user id, expiry) and answers "Session started.";
 * - the request JSON (with the token) goes in 32 KB `BODY` slices, each its own invocation writing one item and
 *   answering "Message part received.";
 * - `END` (with the token) verifies it again (a second JWKS download), queries the parts, reads the whole
 *   conversation item (the message map as one JSON string), and runs the turn in that invocation: ConverseStream with
 *   the whole history, one `STREAMING` frame per delta (no coalescing), the whole conversation written back, then
 *   `STREAMING_END`.
 * Left out, which flatters the baseline: the STS AssumeRole per table access, and moving a message map past 300 KB to
 * S3 (the bench's conversations stay far below).
 */
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { BedrockRuntimeClient, ConverseStreamCommand, Message } from '@aws-sdk/client-bedrock-runtime';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import WebSocket from 'ws';
import { createTokenVerifier } from '../src/lambdas/core/auth';
import { startWebSocketApi, WebSocketApi, WebSocketEvent } from '../src/local/emulators/api-gateway';

const SESSION_TABLE = 'baseline-websocket-sessions';
const CONVERSATION_TABLE = 'baseline-conversations';
const PART_BYTES = 32 * 1024;

export interface BaselineEndpoints {
  /** DynamoDB (through the bench's recording proxy). */
  readonly dynamodb: string;
  /** The Bedrock fake. */
  readonly bedrock: string;
  /** The JWKS URI (through the recording proxy), downloaded on every verification. */
  readonly jwksUri: string;
  readonly issuer: string;
  readonly audience: string;
  readonly modelId: string;
  /** Rewrites the WebSocket stand-in's Management API endpoint (to go through the recording proxy). */
  readonly managementEndpoint: (callbackUrl: string) => Promise<string>;
}

export interface BaselineChat {
  /** `ws://...`: a client opens one socket per message. */
  readonly url: string;
  /** Resolves when no invocation is running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** A node of the reference system's message map (stored as one JSON string per conversation). */
interface MessageNode {
  role: string;
  content: { content_type: string; body: string }[];
  model: string;
  children: string[];
  parent: string | null;
  create_time: number;
}

export async function startBaselineChat(e: BaselineEndpoints): Promise<BaselineChat> {
  const raw = new DynamoDBClient({ endpoint: e.dynamodb });
  await raw.send(new CreateTableCommand({
    TableName: SESSION_TABLE,
    KeySchema: [{ AttributeName: 'ConnectionId', KeyType: 'HASH' }, { AttributeName: 'MessagePartId', KeyType: 'RANGE' }],
    AttributeDefinitions: [{ AttributeName: 'ConnectionId', AttributeType: 'S' }, { AttributeName: 'MessagePartId', AttributeType: 'N' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  await raw.send(new CreateTableCommand({
    TableName: CONVERSATION_TABLE,
    KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }, { AttributeName: 'SK', KeyType: 'RANGE' }],
    AttributeDefinitions: [{ AttributeName: 'PK', AttributeType: 'S' }, { AttributeName: 'SK', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  const db = DynamoDBDocumentClient.from(raw);
  const bedrock = new BedrockRuntimeClient({ endpoint: e.bedrock });
  // No JWKS cache: a new verifier (and key cache) for every verification, as the reference downloads the keys each time.
  const verify = (token: string) => createTokenVerifier({ issuer: e.issuer, audience: e.audience, jwksUri: e.jwksUri })(token);
  let management: ApiGatewayManagementApiClient | undefined;
  const post = (connectionId: string, data: string) =>
    management!.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(data) }));

  const handler = async (event: WebSocketEvent) => {
    const { routeKey, connectionId } = event.requestContext;
    if (routeKey === '$connect' || routeKey === '$disconnect') return { statusCode: 200 };
    const msg = JSON.parse(event.body ?? '{}');
    if (msg.step === 'START') {
      const caller = await verify(msg.token);
      await db.send(new PutCommand({
        TableName: SESSION_TABLE,
        Item: { ConnectionId: connectionId, MessagePartId: 0, UserId: caller.userId, expire: Math.floor(Date.now() / 1000) + 120 },
      }));
      await post(connectionId, 'Session started.');
    } else if (msg.step === 'BODY') {
      await db.send(new PutCommand({
        TableName: SESSION_TABLE,
        Item: { ConnectionId: connectionId, MessagePartId: msg.index + 1, MessagePart: msg.part },
      }));
      await post(connectionId, 'Message part received.');
    } else if (msg.step === 'END') {
      const caller = await verify(msg.token);
      const parts = await db.send(new QueryCommand({
        TableName: SESSION_TABLE,
        KeyConditionExpression: 'ConnectionId = :c AND MessagePartId > :z',
        ExpressionAttributeValues: { ':c': connectionId, ':z': 0 },
      }));
      const input = JSON.parse((parts.Items ?? []).map((i) => i.MessagePart as string).join(''));
      await chat(caller.userId, connectionId, input);
    }
    return { statusCode: 200 };
  };

  const chat = async (userId: string, connectionId: string, input: { conversationId: string; text: string }) => {
    const key = { PK: userId, SK: `${userId}#CONV#${input.conversationId}` };
    const found = (await db.send(new GetCommand({ TableName: CONVERSATION_TABLE, Key: key }))).Item;
    const map: Record<string, MessageNode> = found
      ? JSON.parse(found.MessageMap as string)
      : { system: { role: 'system', content: [{ content_type: 'text', body: '' }], model: e.modelId, children: [], parent: null, create_time: Date.now() / 1000 } };
    let parent = (found?.LastMessageId as string | undefined) ?? 'system';
    const add = (role: string, body: string) => {
      const id = `${role}-${Object.keys(map).length}`;
      map[id] = { role, content: [{ content_type: 'text', body }], model: e.modelId, children: [], parent, create_time: Date.now() / 1000 };
      map[parent].children.push(id);
      parent = id;
    };
    add('user', input.text);
    const history: Message[] = [];
    for (let id: string | null = parent; id && id !== 'system'; id = map[id].parent) {
      history.unshift({ role: map[id].role as 'user' | 'assistant', content: [{ text: map[id].content[0].body }] });
    }
    const res = await bedrock.send(new ConverseStreamCommand({ modelId: e.modelId, messages: history }));
    let answer = '';
    for await (const ev of res.stream ?? []) {
      const delta = ev.contentBlockDelta?.delta?.text;
      if (delta) {
        answer += delta;
        await post(connectionId, JSON.stringify({ status: 'STREAMING', completion: delta }));
      }
    }
    add('assistant', answer);
    await db.send(new PutCommand({
      TableName: CONVERSATION_TABLE,
      Item: { ...key, Title: 'A conversation', CreateTime: Date.now() / 1000, TotalPrice: 0, LastMessageId: parent, ShouldContinue: false, MessageMap: JSON.stringify(map) },
    }));
    await post(connectionId, JSON.stringify({ status: 'STREAMING_END', stop_reason: 'end_turn' }));
  };

  const api: WebSocketApi = await startWebSocketApi({ stage: 'ws', handler });
  management = new ApiGatewayManagementApiClient({ endpoint: await e.managementEndpoint(api.callbackUrl) });
  return {
    url: api.url,
    idle: () => api.idle(),
    stop: async () => {
      await api.stop();
      management?.destroy();
      bedrock.destroy();
      raw.destroy();
    },
  };
}

/**
 * One message the reference system's way, from the client: connect, START, BODY slices, END, read frames until
 * `STREAMING_END`; resolves with the time of the first `STREAMING` frame (performance.now()).
 */
export async function sendBaselineMessage(
  url: string, token: string, conversationId: string, text: string,
): Promise<{ firstTokenAt: number; text: string }> {
  const socket = new WebSocket(url);
  const frames: string[] = [];
  const waiters: (() => void)[] = [];
  let firstTokenAt = Number.NaN;
  let answer = '';
  socket.on('message', (data) => {
    const s = data.toString();
    if (s.includes('"STREAMING"')) {
      if (Number.isNaN(firstTokenAt)) firstTokenAt = performance.now();
      answer += JSON.parse(s).completion;
    }
    frames.push(s);
    waiters.splice(0).forEach((w) => w());
  });
  const next = async (predicate: (f: string) => boolean) => {
    const deadline = Date.now() + 60_000;
    while (!frames.some(predicate)) {
      if (Date.now() > deadline) throw new Error(`baseline: no matching frame; got ${JSON.stringify(frames)}`);
      await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 50); });
    }
    frames.splice(0, frames.findIndex(predicate) + 1);
  };
  await new Promise<void>((resolve, reject) => { socket.once('open', () => resolve()); socket.once('error', reject); });
  try {
    socket.send(JSON.stringify({ step: 'START', token }));
    await next((f) => f === 'Session started.');
    // Slices by characters: the bench's payload is ASCII, so a 32 KB slice is 32 KB.
    const payload = JSON.stringify({ conversationId, text, token });
    const parts = Math.ceil(Buffer.byteLength(payload) / PART_BYTES);
    for (let i = 0; i < parts; i++) {
      socket.send(JSON.stringify({ step: 'BODY', index: i, part: payload.slice(i * PART_BYTES, (i + 1) * PART_BYTES) }));
      await next((f) => f === 'Message part received.');
    }
    socket.send(JSON.stringify({ step: 'END', token }));
    await next((f) => f.includes('STREAMING_END'));
    return { firstTokenAt, text: answer };
  } finally {
    socket.close();
  }
}
