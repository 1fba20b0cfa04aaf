/**
 * Faults while accepting a message, against dynalite: when storing the question fails after the request was claimed,
 * the claim is released so that the client's retry (same requestId) is processed, not acknowledged with nothing behind it.
 * The worker is handed the job before the question is stored; a worker whose question is never confirmed sends and
 * stores nothing (over the wire, with the faults injected mid-flight: accept-race.test.ts).
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { heldModelStack } from './held-model';
import { acceptMessage, AcceptDeps, runTurn, TurnJob } from '../../src/lambdas/core/chat';
import { ConversationStore, Message } from '../../src/lambdas/core/conversations';
import { createLogger } from '../../src/lambdas/core/log';
import { modelSettingsFrom } from '../../src/lambdas/core/models';
import type { ServerFrame } from '../../src/lambdas/core/protocol';
import { RequestStore } from '../../src/lambdas/core/requests';
import { BedrockFake } from '../../src/local/emulators/bedrock';

const stack = heldModelStack((held) => [{ type: 'pause', until: held }, { type: 'text', text: 'never sent' }]);
let db: DynamoDBDocumentClient;
let bedrockFake: BedrockFake;
let bedrock: BedrockRuntimeClient;
beforeAll(() => {
  ({ db, bedrock, bedrockFake } = stack);
});

test('a failed write releases the claim; the retry is stored and answered once', async () => {
  const frames: unknown[] = [];
  const jobs: TurnJob[] = [];
  const deps = (tableName: string): AcceptDeps => ({
    store: new ConversationStore(db, tableName),
    requests: new RequestStore(db, 'conversations'),
    sink: { send: async (f) => { frames.push(f); return true; } },
    dispatch: async (job) => { jobs.push(job); },
    models: modelSettingsFrom({ DEFAULT_MODEL_ID: 'm' }),
    log: createLogger({}, () => undefined),
  });
  const frame = { action: 'sendMessage' as const, v: 1 as const, requestId: 'retry-me', content: [{ text: 'hello' }] };
  // The conversations go to a table that does not exist: the write fails after the claim.
  await expect(acceptMessage(deps('missing-table'), 'u1', 'c1', frame)).rejects.toThrow();
  expect(frames).toEqual([]);
  expect(await new RequestStore(db, 'conversations').get('u1', 'retry-me')).toBeUndefined();
  // The worker was handed the job while the question was being stored; with the claim gone it answers nothing.
  expect(jobs).toHaveLength(1);

  await acceptMessage(deps('conversations'), 'u1', 'c1', frame);
  expect(jobs).toHaveLength(2);
  const stored = await new ConversationStore(db, 'conversations').getWithMessages('u1', jobs[1].conversationId);
  expect(stored?.messages.map((m) => m.content)).toEqual([[{ text: 'hello' }]]);
  // A third send of the same frame is a replay: acknowledged with the same ids, not answered again.
  await acceptMessage(deps('conversations'), 'u1', 'c1', frame);
  expect(jobs).toHaveLength(2);
  expect(frames.slice(-2)).toEqual([frames[frames.length - 1], frames[frames.length - 1]]);
});

/** Runs the worker for a `sendMessage` job whose question the WebSocket function claimed but never confirmed. */
async function workerOf(userId: string, requestId: string, messageId: string, acceptWaitMs = 30_000): Promise<ServerFrame[]> {
  const frames: ServerFrame[] = [];
  const question: Message = { id: messageId, parentId: null, role: 'user', content: [{ text: 'hello' }], createdAt: new Date().toISOString() };
  await runTurn({
    store: new ConversationStore(db, 'conversations'),
    requests: new RequestStore(db, 'conversations'),
    sink: { send: async (f) => { frames.push(f); return true; } },
    bedrock,
    loadBlob: async () => new Uint8Array(),
    models: modelSettingsFrom({ DEFAULT_MODEL_ID: 'm' }),
    log: createLogger({}, () => undefined),
    acceptWaitMs,
  }, { userId, connectionId: 'c1', requestId, conversationId: `conv-${requestId}`, kind: 'answer', messageId, model: 'm', newConversation: true, question });
  return frames;
}

async function items(userId: string): Promise<Record<string, unknown>[]> {
  const res = await db.send(new ScanCommand({ TableName: 'conversations' }));
  return (res.Items ?? []).filter((i) => i.pk?.S === `USER#${userId}`);
}

test('the release failed too: the worker gives up after its wait, aborts the model request, sends and stores nothing', async () => {
  const requests = new RequestStore(db, 'conversations');
  await requests.claim('u2', { requestId: 'stuck', conversationId: 'conv-stuck', messageId: 'm-stuck', createdAt: new Date().toISOString() }, 'c1', { pending: true });
  const before = await items('u2');
  const asked = bedrockFake.requests.length;
  // The model holds its answer until the test ends: the worker can only return by aborting the stream.
  expect(await workerOf('u2', 'stuck', 'm-stuck', 300)).toEqual([]);
  expect(bedrockFake.requests.length).toBe(asked + 1);
  // Nothing but the worker's claim of the turn (workerAt, RequestStore.claimTurn) on the request item.
  const after = await items('u2');
  expect(after).toEqual(before.map((i) => (i.sk && (i.sk as { S: string }).S === 'REQ#stuck' ? { ...i, workerAt: { S: expect.any(String) } } : i)));
});

test('a retry claimed the request again: the first attempt\'s worker stops at once and leaves the new claim alone', async () => {
  const requests = new RequestStore(db, 'conversations');
  const record = { requestId: 'again', conversationId: 'conv-again', createdAt: new Date().toISOString() };
  await requests.claim('u3', { ...record, messageId: 'm-first' }, 'c1', { pending: true });
  await requests.release('u3', 'again');
  await requests.claim('u3', { ...record, messageId: 'm-retry' }, 'c1', { pending: true });
  const before = await items('u3');
  expect(await workerOf('u3', 'again', 'm-first')).toEqual([]);
  // Not marked finished, not moved, not stopped: the retry's own worker owns the item.
  expect(await items('u3')).toEqual(before);
});
