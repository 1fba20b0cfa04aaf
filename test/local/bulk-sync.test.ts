// The bulk sync state machine of KnowledgeBaseFactory, run from the synthesized examples/full-system template by
// aws-local-stepfunctions (which also validates the definition with asl-validator when it loads it): S3 object events
// under bulk/ reach the template's EventBridge rule, executions coalesce, one ingestion job runs at a time, and the
// sync item records the outcome, failed documents included.
import { BedrockAgentClient, ListDataSourcesCommand } from '@aws-sdk/client-bedrock-agent';
import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { credentials, region, useDummyAwsEnv } from './env';
import { fullSystemApp, synthesize } from '../../src/local/apps';
import { LocalStack, startLocalStack } from '../../src/local/stack/local-stack';
import { requireBundles } from '../constructs/helpers';

useDummyAwsEnv();

let stack: LocalStack;
let s3: S3Client;
let ddb: DynamoDBDocumentClient;
let runtime: BedrockAgentRuntimeClient;
let bucket: string;
let knowledgeBaseId: string;
let syncKey: string;

beforeAll(async () => {
  requireBundles();
  stack = await startLocalStack({ assembly: synthesize(fullSystemApp, 'full-system'), quiet: true, stateMachineMaxWaitMs: 20 });
  bucket = stack.outputs.KnowledgeDocumentBucket;
  knowledgeBaseId = stack.outputs.KnowledgeBaseId;
  s3 = new S3Client({ endpoint: stack.endpoints.lookup(`${bucket}.s3.${region}.amazonaws.com`)!, forcePathStyle: true, credentials, region });
  ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoDbEndpoint, credentials, region }));
  runtime = new BedrockAgentRuntimeClient({ endpoint: stack.knowledge!.runtimeEndpoint, credentials, region });
  const agent = new BedrockAgentClient({ endpoint: stack.knowledge!.agentEndpoint, credentials, region });
  const sources = (await agent.send(new ListDataSourcesCommand({ knowledgeBaseId }))).dataSourceSummaries!;
  agent.destroy();
  syncKey = `SYNC#${sources.find((s) => s.name === 'bulk')!.dataSourceId}`;
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  ddb?.destroy();
  runtime?.destroy();
  await stack?.stop();
});

const put = (key: string, body: string | Uint8Array) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const withBot = (key: string, botId: string, text: string) => Promise.all([
  put(`${key}.metadata.json`, JSON.stringify({ metadataAttributes: { botId } })),
  put(key, text),
]);
const settled = async () => {
  await stack.idleStateMachines();
  await stack.idle();
};
const syncItem = async () => (await ddb.send(new GetCommand({ TableName: stack.outputs.KnowledgeSyncTable, Key: { pk: syncKey } }))).Item!;
const retrieve = async (botId: string, text: string) => (await runtime.send(new RetrieveCommand({
  knowledgeBaseId,
  retrievalQuery: { text },
  retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 10, filter: { equals: { key: 'botId', value: botId } } } },
}))).retrievalResults!.map((r) => r.content?.text);
const executions = () => stack.stateMachines().find((m) => m.logicalId.startsWith('KnowledgeSyncStateMachine'))!.executions;

test('a burst of changes: every file is synced, one ingestion job at a time, the changes coalesced into fewer jobs than changes', async () => {
  const before = executions().length;
  await Promise.all(['alpha', 'beta', 'gamma', 'delta', 'epsilon'].map((w) => withBot(`bulk/burst/${w}.txt`, 'bulk-a', `The ${w} valve opens on Mondays.`)));
  await settled();
  const runs = executions().slice(before);
  // one execution per S3 event (10 objects), each ended well
  expect(runs).toHaveLength(10);
  expect(runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
  // never a second job while one ran: no execution had to retry StartIngestionJob on ConflictException
  expect(runs.flatMap((r) => r.retries)).toEqual([]);
  const jobs = runs.reduce((n, r) => n + r.states.filter((s) => s === 'StartIngestionJob').length, 0);
  const coalesced = runs.filter((r) => r.states.includes('Coalesced')).length;
  expect(coalesced).toBeGreaterThan(0);
  expect(jobs).toBeLessThan(10);
  expect(jobs).toBeGreaterThanOrEqual(1);
  const texts = await retrieve('bulk-a', 'valve Mondays');
  expect(texts.sort()).toEqual(['alpha', 'beta', 'delta', 'epsilon', 'gamma'].map((w) => `The ${w} valve opens on Mondays.`));
  expect(await syncItem()).toMatchObject({ status: 'SUCCEEDED', jobStatus: 'COMPLETE', pending: false, failedDocuments: 0 });
  expect((await syncItem()).runner).toBeUndefined();
});

test('a job that completes with failed documents: SUCCEEDED, the number failed and the reasons of each', async () => {
  await put('bulk/bad/notes.xyz', 'not a supported type');
  await put('bulk/bad/empty.txt', new Uint8Array(0));
  await settled();
  const item = await syncItem();
  expect(item).toMatchObject({ status: 'SUCCEEDED', jobStatus: 'COMPLETE', failedDocuments: 2 });
  const reasons = JSON.parse(item.failureReasons) as string[];
  expect(reasons.some((r) => r.includes('bulk/bad/notes.xyz') && /not supported/.test(r))).toBe(true);
  expect(reasons.some((r) => r.includes('bulk/bad/empty.txt') && /empty/.test(r))).toBe(true);
  expect(JSON.parse(item.statistics)).toMatchObject({ NumberOfDocumentsFailed: 2 });
});

test('deleting a file syncs it away: its passage is no longer retrieved', async () => {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'bulk/bad/notes.xyz' }));
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'bulk/bad/empty.txt' }));
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'bulk/burst/gamma.txt' }));
  await settled();
  const texts = await retrieve('bulk-a', 'valve Mondays');
  expect(texts).not.toContain('The gamma valve opens on Mondays.');
  expect(texts).toHaveLength(4);
  const item = await syncItem();
  expect(item).toMatchObject({ status: 'SUCCEEDED', failedDocuments: 0 });
  expect(item.failureReasons).toBeUndefined();
});

test('objects outside bulk/ start nothing', async () => {
  const before = executions().length;
  await put('documents/some-bot/doc-1/file.txt', 'Direct documents are ingested by the knowledge-api, not synced.');
  await settled();
  expect(executions()).toHaveLength(before);
});
