/**
 * Faults while accepting a message, against dynalite: when storing the question fails after the request was claimed,
 * the claim is released so that the client's retry (same requestId) is processed, not acknowledged with nothing behind it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { acceptMessage, AcceptDeps, TurnJob } from '../../src/lambdas/core/chat';
import { ConversationStore } from '../../src/lambdas/core/conversations';
import { createLogger } from '../../src/lambdas/core/log';
import { modelSettingsFrom } from '../../src/lambdas/core/models';
import { RequestStore } from '../../src/lambdas/core/requests';
import { ensureConversationTable, startDynamoDb } from '../../src/local/emulators/dynamodb';

let stop: () => Promise<void>;
let db: DynamoDBDocumentClient;

beforeAll(async () => {
  const dynamo = await startDynamoDb();
  stop = dynamo.stop;
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await ensureConversationTable(client, 'conversations');
  db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
});
afterAll(async () => {
  await stop?.();
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

  await acceptMessage(deps('conversations'), 'u1', 'c1', frame);
  expect(jobs).toHaveLength(1);
  const stored = await new ConversationStore(db, 'conversations').getWithMessages('u1', jobs[0].conversationId);
  expect(stored?.messages.map((m) => m.content)).toEqual([[{ text: 'hello' }]]);
  // A third send of the same frame is a replay: acknowledged with the same ids, not answered again.
  await acceptMessage(deps('conversations'), 'u1', 'c1', frame);
  expect(jobs).toHaveLength(1);
  expect(frames.slice(-2)).toEqual([frames[frames.length - 1], frames[frames.length - 1]]);
});
