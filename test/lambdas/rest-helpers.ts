/** Helpers for the REST tests over the wire: HTTP calls with real tokens, seeding with the real store, table snapshots. */
import { request } from 'http';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConversationStore, Message } from '../../src/lambdas/core/conversations';
import { ulid } from '../../src/lambdas/core/ids';
import { LOCAL_USERS } from '../../src/local/idp';
import type { Playground } from '../../src/local/playground';

export type User = 'alice' | 'bob' | 'admin';

export interface Reply {
  readonly status: number;
  readonly body: any;
  readonly text: string;
}

export const sub = (user: User): string => LOCAL_USERS[user].sub;

/**
 * One request to the playground's HTTP API stand-in. Uses `http.request` rather than fetch so that any method can carry
 * a body and the path goes out exactly as given. `body`: a string is sent as is, anything else as JSON.
 */
export function call(pg: Playground, user: User | undefined, method: string, path: string, body?: unknown): Promise<Reply> {
  const url = new URL(pg.restApiUrl);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      method,
      path: `${url.pathname.replace(/\/$/, '')}${path}`,
      headers: {
        ...(user ? { authorization: `Bearer ${pg.issueToken(user)}` } : {}),
        ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

const documentClient = () => DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

/** The real store on the playground's table (its endpoint comes from AWS_ENDPOINT_URL_DYNAMODB). */
export function storeOf(): ConversationStore {
  return new ConversationStore(documentClient(), process.env.TABLE_NAME!);
}

export interface Seeded {
  readonly conversationId: string;
  /** Alternating user / assistant message ids, oldest first. */
  readonly messageIds: string[];
}

/** A conversation written with the store, as the chat handlers write it: `texts` alternate user, assistant, user, ... */
export async function seed(user: User, title: string, texts: readonly string[]): Promise<Seeded> {
  const store = storeOf();
  const conversationId = ulid();
  const messageIds: string[] = [];
  for (let i = 0; i < texts.length; i++) {
    const message: Message = {
      id: ulid(),
      parentId: messageIds[i - 1] ?? null,
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: [{ text: texts[i] }],
      createdAt: new Date().toISOString(),
      ...(i % 2 === 1 ? { model: 'local.offline-model-v1', stopReason: 'end_turn' } : {}),
    };
    if (i === 0) {
      await store.create(sub(user), { id: conversationId, title, model: 'local.offline-model-v1' }, message);
    } else {
      await store.putMessage(sub(user), conversationId, message);
      await store.advance(sub(user), conversationId, message.id);
    }
    messageIds.push(message.id);
  }
  return { conversationId, messageIds };
}

/** Every item of the table, sorted by key, as one string: equal snapshots mean nothing was written. */
export async function snapshot(): Promise<string> {
  const client = new DynamoDBClient({});
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, any> | undefined;
  do {
    const res = await client.send(new ScanCommand({ TableName: process.env.TABLE_NAME, ExclusiveStartKey: startKey }));
    items.push(...(res.Items ?? []));
    startKey = res.LastEvaluatedKey;
  } while (startKey);
  const key = (i: Record<string, any>) => `${i.pk.S}\u0000${i.sk.S}`;
  return JSON.stringify(items.sort((a, b) => (key(a) < key(b) ? -1 : 1)));
}

/** Number of items in the table (Scan COUNT), optionally only one user's. */
export async function itemCount(user?: User): Promise<number> {
  const client = new DynamoDBClient({});
  let count = 0;
  let startKey: Record<string, any> | undefined;
  do {
    const res = await client.send(new ScanCommand({
      TableName: process.env.TABLE_NAME,
      Select: 'COUNT',
      ExclusiveStartKey: startKey,
      ...(user ? { FilterExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `USER#${sub(user)}` } } } : {}),
    }));
    count += res.Count ?? 0;
    startKey = res.LastEvaluatedKey;
  } while (startKey);
  return count;
}

/** Deletes every item of a user (between tests), with the store's own delete-all. */
export async function clearUser(user: User): Promise<void> {
  await storeOf().deleteAll(sub(user));
}
