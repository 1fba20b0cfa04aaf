/**
 * Nothing too big to keep (issue 9 §4): long answers stored in parts under DynamoDB's 400 KB item limit, a very large
 * conversation read in pages under Lambda's 6 MB response limit. Over the wire: the playground's HTTP API stand-in
 * running api.lambda, dynalite (which rejects an item past 400 KB, names included) and the real SDK clients.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { call, clearUser, itemCount, storeOf, sub } from './rest-helpers';
import type { Message } from '../../src/lambdas/core/conversations';
import { ulid } from '../../src/lambdas/core/ids';
import { HEAD_TEXT_BYTES, itemBytes, MAX_ITEM_BYTES, PART_TEXT_BYTES, partSuffix } from '../../src/lambdas/core/message-parts';
import { LAMBDA_SYNC_RESPONSE_MAX_BYTES } from '../../src/local/emulators/api-gateway';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';
import type { BedrockChatConfig } from '../../src/web-components/shared/config';
import { fetchConversation } from '../../src/web-components/shared/conversation-pages';

let pg: Playground;

beforeAll(async () => {
  pg = await startPlayground({ handlers: 'in-process', models: OFFLINE_MODELS, quiet: true });
});
afterAll(async () => {
  await pg?.stop();
});
beforeEach(async () => {
  await clearUser('alice');
  await clearUser('bob');
});

/** Text of `bytes` bytes or more: numbered words (so a misplaced piece changes it), with some non-ASCII. */
function longText(tag: string, bytes: number): string {
  const words: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const w = i % 97 === 0 ? `\n\n${tag}-${i} — ünïcødé 🙂` : `${tag}${i}`;
    words.push(w);
    n += Buffer.byteLength(w) + 1;
  }
  return words.join(' ');
}

/** Every item of the table (unmarshalled). */
async function allItems(): Promise<Record<string, any>[]> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const items: Record<string, any>[] = [];
  let startKey: Record<string, any> | undefined;
  do {
    const res = await client.send(new ScanCommand({ TableName: process.env.TABLE_NAME, ExclusiveStartKey: startKey }));
    items.push(...(res.Items ?? []));
    startKey = res.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** A conversation of a question and the given answer, written with the store as the worker writes it. */
async function conversationWith(answer: Partial<Message> & { content: Message['content'] }): Promise<{ id: string; answerId: string }> {
  const store = storeOf();
  const id = ulid();
  const q: Message = { id: ulid(), parentId: null, role: 'user', content: [{ text: 'write a lot' }], createdAt: new Date().toISOString() };
  await store.create(sub('alice'), { id, title: 'long', model: 'local.offline-model-v1' }, q);
  const a: Message = { id: ulid(), parentId: q.id, role: 'assistant', createdAt: new Date().toISOString(), model: 'local.offline-model-v1', stopReason: 'end_turn', ...answer };
  await store.putMessage(sub('alice'), id, a);
  await store.advance(sub('alice'), id, a.id);
  return { id, answerId: a.id };
}

const config = (): BedrockChatConfig => ({ restApiUrl: pg.restApiUrl } as unknown as BedrockChatConfig);

test('an answer of 600 KB of text and 200 KB of reasoning is stored in items under 400 KB and read back identically', async () => {
  const text = longText('t', 600 * 1024);
  const reasoning = longText('r', 200 * 1024);
  const { id, answerId } = await conversationWith({ content: [{ text }], reasoning });
  const items = (await allItems()).filter((i) => i.pk === `USER#${sub('alice')}`);
  // Parts exist and every item is under the limit by DynamoDB's size rules (dynalite also refuses larger ones).
  expect(items.filter((i) => i.type === 'part').length).toBeGreaterThanOrEqual(Math.ceil((600 * 1024 - HEAD_TEXT_BYTES) / PART_TEXT_BYTES));
  for (const item of items) expect(itemBytes(item)).toBeLessThan(MAX_ITEM_BYTES);
  const res = await call(pg, 'alice', 'GET', `/conversations/${id}`);
  expect(res.status).toBe(200);
  const answer = res.body.messages.find((m: any) => m.id === answerId);
  expect(answer.content).toEqual([{ text }]);
  expect(answer.reasoning).toBe(reasoning);
  // The history the worker sends to the model is read the same way.
  const found = await storeOf().getWithMessages(sub('alice'), id);
  expect(found!.messages.find((m) => m.id === answerId)!.content).toEqual([{ text }]);
  expect((await storeOf().getMessage(sub('alice'), id, answerId))!.reasoning).toBe(reasoning);
});

test('repeated continue appends parts without rewriting the answer; search finds the text of a late part and across a boundary', async () => {
  const first = longText('a', 20 * 1024);
  const { id, answerId } = await conversationWith({ content: [{ text: first }], stopReason: 'max_tokens' });
  const store = storeOf();
  let whole = first;
  for (let i = 0; i < 8; i++) {
    const more = longText(`c${i}x`, 70 * 1024);
    await store.extendMessage(sub('alice'), id, answerId, { text: more, stopReason: i < 7 ? 'max_tokens' : 'end_turn', usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 } });
    whole += more;
  }
  expect(Buffer.byteLength(whole)).toBeGreaterThan(MAX_ITEM_BYTES);
  const items = (await allItems()).filter((i) => i.pk === `USER#${sub('alice')}`);
  for (const item of items) expect(itemBytes(item)).toBeLessThan(MAX_ITEM_BYTES);
  const head = items.find((i) => i.type === 'message' && i.id === answerId)!;
  // The message item stayed small: continuations went into parts.
  expect(itemBytes(head)).toBeLessThan(HEAD_TEXT_BYTES * 2 + 4096);
  const answer = await store.getMessage(sub('alice'), id, answerId);
  expect(answer!.content).toEqual([{ text: whole }]);
  expect(answer!.stopReason).toBe('end_turn');
  expect(answer!.usage).toEqual({ inputTokens: 8, outputTokens: 16, cacheReadTokens: 0, cacheWriteTokens: 0 });
  const res = await call(pg, 'alice', 'GET', `/conversations/${id}`);
  expect(res.body.messages.find((m: any) => m.id === answerId).content).toEqual([{ text: whole }]);

  // A word only the last continuation wrote.
  const late = await call(pg, 'alice', 'GET', `/conversations/search?q=${encodeURIComponent('c7x1234')}`);
  expect(late.status).toBe(200);
  expect(late.body.items).toEqual([expect.objectContaining({ conversationId: id, messageId: answerId })]);
  // A phrase that straddles the boundary between two parts.
  const parts = items.filter((i) => i.type === 'part' && i.messageId === answerId).sort((a, b) => (a.sk < b.sk ? -1 : 1));
  expect(parts.length).toBeGreaterThan(2);
  const boundary = `${parts[1].chunk.slice(-12)}${parts[2].chunk.slice(0, 12)}`.toLowerCase().replace(/\s+/g, ' ').trim();
  const across = await call(pg, 'alice', 'GET', `/conversations/search?q=${encodeURIComponent(boundary)}`);
  expect(across.body.items).toEqual([expect.objectContaining({ conversationId: id, messageId: answerId })]);

  // Deleting the conversation deletes every part.
  expect((await call(pg, 'alice', 'DELETE', `/conversations/${id}`)).status).toBe(204);
  expect(await itemCount('alice')).toBe(0);
});

test('two continuations of one answer at once: one wins, the other gets a conflict, and no text is lost or mixed', async () => {
  const { id, answerId } = await conversationWith({ content: [{ text: longText('h', 40 * 1024) }], stopReason: 'max_tokens' });
  const store = storeOf();
  const results = await Promise.allSettled(['p', 'q'].map((tag) => store.extendMessage(sub('alice'), id, answerId, { text: longText(tag, 150 * 1024), stopReason: 'end_turn' })));
  const won = results.filter((r) => r.status === 'fulfilled').length;
  expect(won).toBeGreaterThanOrEqual(1);
  const text = ((await store.getMessage(sub('alice'), id, answerId))!.content[0] as { text: string }).text;
  const before = longText('h', 40 * 1024);
  expect([before + longText('p', 150 * 1024), before + longText('q', 150 * 1024)]).toContain(text);
  if (won === 1) expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
});

test('a continuation that died before its last write shows none of its parts, and the next continuation writes over them', async () => {
  const { id, answerId } = await conversationWith({ content: [{ text: longText('h', 40 * 1024) }], stopReason: 'max_tokens' });
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  // What a writer that claimed the answer and then died leaves: parts past the counted ones, and an expired lease.
  const head = (await allItems()).find((i) => i.type === 'message' && i.id === answerId)!;
  const counted = Number(head.partCount ?? 0);
  for (const seq of [counted + 1, counted + 2]) {
    await client.send(new PutCommand({
      TableName: process.env.TABLE_NAME,
      Item: { pk: head.pk, sk: `${head.sk}${partSuffix(seq)}`, type: 'part', messageId: answerId, conversationId: id, field: 'text', chunk: `ghost${seq} ` },
    }));
  }
  await client.send(new UpdateCommand({
    TableName: process.env.TABLE_NAME, Key: { pk: head.pk, sk: head.sk }, UpdateExpression: 'SET continuingUntil = :t', ExpressionAttributeValues: { ':t': Date.now() - 1 },
  }));
  const store = storeOf();
  const shown = ((await store.getMessage(sub('alice'), id, answerId))!.content[0] as { text: string }).text;
  expect(shown).toBe(longText('h', 40 * 1024));
  const fetched = await call(pg, 'alice', 'GET', `/conversations/${id}`);
  expect(JSON.stringify(fetched.body)).not.toContain('ghost');

  await store.extendMessage(sub('alice'), id, answerId, { text: longText('n', 150 * 1024), stopReason: 'end_turn' });
  const text = ((await store.getMessage(sub('alice'), id, answerId))!.content[0] as { text: string }).text;
  expect(text).toBe(longText('h', 40 * 1024) + longText('n', 150 * 1024));
  expect(text).not.toContain('ghost');
});

test('a live lease refuses a second continuation with a conflict and changes nothing', async () => {
  const { id, answerId } = await conversationWith({ content: [{ text: 'short' }], stopReason: 'max_tokens' });
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const head = (await allItems()).find((i) => i.type === 'message' && i.id === answerId)!;
  await client.send(new UpdateCommand({
    TableName: process.env.TABLE_NAME, Key: { pk: head.pk, sk: head.sk }, UpdateExpression: 'SET continuingUntil = :t', ExpressionAttributeValues: { ':t': Date.now() + 60_000 },
  }));
  const store = storeOf();
  await expect(store.extendMessage(sub('alice'), id, answerId, { text: ' more', stopReason: 'end_turn' })).rejects.toMatchObject({ code: 'CONFLICT' });
  expect((await store.getMessage(sub('alice'), id, answerId))!.content).toEqual([{ text: 'short' }]);
});

test('a conversation past 6 MB is read in pages under the Lambda limit and the client code joins them into the whole tree', async () => {
  const store = storeOf();
  const id = ulid();
  const user = sub('alice');
  const first: Message = { id: ulid(), parentId: null, role: 'user', content: [{ text: 'go' }], createdAt: new Date().toISOString() };
  await store.create(user, { id, title: 'huge', model: 'local.offline-model-v1' }, first);
  let parent = first.id;
  // Answers with quotes and newlines (escaped twice in the Lambda response) and long ones split into parts.
  for (let i = 0; i < 18; i++) {
    const m: Message = {
      id: ulid(),
      parentId: parent,
      role: i % 2 ? 'user' : 'assistant',
      createdAt: new Date().toISOString(),
      content: [{ text: `"${i}"\n` + longText(`m${i}`, 400 * 1024) }],
      ...(i % 4 === 0 ? { reasoning: longText(`r${i}`, 90 * 1024) } : {}),
    };
    await store.putMessage(user, id, m);
    parent = m.id;
  }
  await store.advance(user, id, parent);
  const whole = (await store.getWithMessages(user, id))!;
  expect(Buffer.byteLength(JSON.stringify(JSON.stringify(whole)))).toBeGreaterThan(LAMBDA_SYNC_RESPONSE_MAX_BYTES);

  // Page by page over the wire: every page fits, and there is more than one.
  let token: string | undefined;
  let pages = 0;
  do {
    const res = await call(pg, 'alice', 'GET', `/conversations/${id}${token ? `?nextToken=${encodeURIComponent(token)}` : ''}`);
    expect(res.status).toBe(200);
    expect(Buffer.byteLength(JSON.stringify(JSON.stringify(res.body)))).toBeLessThan(LAMBDA_SYNC_RESPONSE_MAX_BYTES);
    token = res.body.nextToken;
    pages++;
  } while (token);
  expect(pages).toBeGreaterThan(1);

  // The widget's loader (fetch, as in the browser) joins the pages into the tree the store holds.
  const joined = await fetchConversation<Message>(config(), id, pg.issueToken('alice'));
  expect(joined.status).toBe(200);
  const byId = (ms: readonly Message[]) => [...ms].sort((a, b) => (a.id < b.id ? -1 : 1));
  expect(byId(joined.body!.messages)).toEqual(byId(whole.messages));
  expect(joined.body!.conversation).toMatchObject({ lastMessageId: parent, title: 'huge' });
});

test('GET /conversations/{id} rejects a nextToken of another conversation or user, and writes nothing', async () => {
  const a = await conversationWith({ content: [{ text: 'short' }] });
  const forged = Buffer.from(JSON.stringify({ pk: `USER#${sub('bob')}`, sk: `CONV#${a.id}#MSG#x` })).toString('base64url');
  const res = await call(pg, 'alice', 'GET', `/conversations/${a.id}?nextToken=${forged}`);
  expect(res.status).toBe(400);
  const other = Buffer.from(JSON.stringify({ pk: `USER#${sub('alice')}`, sk: `CONV#${ulid()}#MSG#x` })).toString('base64url');
  expect((await call(pg, 'alice', 'GET', `/conversations/${a.id}?nextToken=${other}`)).status).toBe(400);
});
