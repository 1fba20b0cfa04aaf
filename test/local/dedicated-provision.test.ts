// The dedicated knowledge machines of KnowledgeBaseFactory (provision, deprovision), run from the synthesized
// examples/full-system template by aws-local-stepfunctions against the local DynamoDB, S3 Vectors and knowledge base
// emulators, started over the wire through the local stack's Step Functions API (StartExecution), as a function would.
import { BedrockAgentClient, GetDataSourceCommand, GetKnowledgeBaseCommand, ListDataSourcesCommand, ListKnowledgeBasesCommand } from '@aws-sdk/client-bedrock-agent';
import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetIndexCommand, S3VectorsClient } from '@aws-sdk/client-s3vectors';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { credentials, region, useDummyAwsEnv } from './env';
import { fullSystemApp, synthesize } from '../../src/local/apps';
import { LocalStack, startLocalStack } from '../../src/local/stack/local-stack';
import { requireBundles } from '../constructs/helpers';

useDummyAwsEnv();

let stack: LocalStack;
let s3: S3Client;
let ddb: DynamoDBDocumentClient;
let agent: BedrockAgentClient;
let runtime: BedrockAgentRuntimeClient;
let vectors: S3VectorsClient;
let bucket: string;
let botTable: string;
let vectorBucketName: string;
let provisionArn: string;
let deprovisionArn: string;

const TITAN = 'amazon.titan-embed-text-v2:0';
const fixed = { strategy: 'FIXED_SIZE', maxTokens: 300, overlapPercentage: 20 };

beforeAll(async () => {
  requireBundles();
  stack = await startLocalStack({ assembly: synthesize(fullSystemApp, 'full-system'), quiet: true, stateMachineMaxWaitMs: 20 });
  bucket = stack.outputs.KnowledgeDocumentBucket;
  s3 = new S3Client({ endpoint: stack.endpoints.lookup(`${bucket}.s3.${region}.amazonaws.com`)!, forcePathStyle: true, credentials, region });
  const raw = new DynamoDBClient({ endpoint: stack.dynamoDbEndpoint, credentials, region });
  ddb = DynamoDBDocumentClient.from(raw);
  const tables = (await raw.send(new ListTablesCommand({}))).TableNames!;
  botTable = tables.find((t) => /BotTable|BotsTable/i.test(t))!;
  agent = new BedrockAgentClient({ endpoint: stack.knowledge!.agentEndpoint, credentials, region });
  runtime = new BedrockAgentRuntimeClient({ endpoint: stack.knowledge!.runtimeEndpoint, credentials, region });
  vectors = new S3VectorsClient({ endpoint: stack.knowledge!.vectorsEndpoint, credentials, region });
  const machines = stack.stateMachines();
  provisionArn = machines.find((m) => m.logicalId.startsWith('KnowledgeDedicatedProvisionStateMachine'))!.arn;
  deprovisionArn = machines.find((m) => m.logicalId.startsWith('KnowledgeDedicatedDeprovisionStateMachine'))!.arn;
  // the factory's vector bucket, where the dedicated indexes go: the one the shared knowledge base's index is in
  const shared = (await agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: stack.outputs.KnowledgeBaseId }))).knowledgeBase!;
  const indexArn = shared.storageConfiguration!.s3VectorsConfiguration!.indexArn!;
  vectorBucketName = indexArn.split('/')[1];
}, 120_000);

afterAll(async () => {
  for (const c of [s3, ddb, agent, runtime, vectors]) c?.destroy();
  await stack?.stop();
});

/** StartExecution over the wire (JSON 1.0), as wiring/state-machines.ts would; then waits for the machines to settle. */
async function run(arn: string, input: unknown) {
  const res = await fetch(stack.stepFunctionsEndpoint!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.StartExecution' },
    body: JSON.stringify({ stateMachineArn: arn, input: JSON.stringify(input) }),
  });
  expect(res.status).toBe(200);
  const { executionArn } = await res.json() as { executionArn: string };
  await stack.idleStateMachines();
  await stack.idle();
  return stack.stateMachines().find((m) => m.arn === arn)!.executions.find((e) => e.executionArn === executionArn)!;
}

const bot = async (botId: string) => (await ddb.send(new GetCommand({ TableName: botTable, Key: { pk: `BOT#${botId}`, sk: 'BOT' } }))).Item;
const putBot = (botId: string, generation: string) => ddb.send(new PutCommand({
  TableName: botTable,
  Item: { pk: `BOT#${botId}`, sk: 'BOT', type: 'bot', id: botId, kb: { generation, status: 'CREATING', indexName: `bot-${botId.toLowerCase()}-${generation.toLowerCase()}`, updatedAt: '2026-01-01T00:00:00.000Z' } },
}));
const knowledgeBaseCount = async () => (await agent.send(new ListKnowledgeBasesCommand({}))).knowledgeBaseSummaries!.length;

describe('provision and deprovision', () => {
  const botId = '01JDEDICATED0000000000000A';
  const generation = '01JGEN00000000000000000001';
  let kb: Record<string, any>;
  const deprovisionInput = () => ({
    botId, generation, knowledgeBaseId: kb.knowledgeBaseId, dataSourceIds: [kb.dataSourceId], indexName: kb.indexName,
  });

  test('create: the index, an ACTIVE knowledge base with its S3 data source over the bot\'s documents, the ids on the bot record, then the sync recorded', async () => {
    await putBot(botId, generation);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `documents/${botId}/doc1/manual.txt`, Body: 'The copper valve of the boiler opens on Tuesdays.' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'documents/SOMEONEELSE/doc9/other.txt', Body: 'The copper valve of another bot.' }));
    const execution = await run(provisionArn, { botId, generation, action: 'create', settings: { embeddingModelId: TITAN, chunking: fixed } });
    expect(execution).toMatchObject({ status: 'SUCCEEDED' });
    kb = (await bot(botId))!.kb;
    expect(kb).toMatchObject({ generation, status: 'ACTIVE', indexName: `bot-${botId.toLowerCase()}-${generation.toLowerCase()}` });
    expect(kb.knowledgeBaseId).toMatch(/^[0-9A-Z]{10}$/);
    expect(kb.dataSourceId).toMatch(/^[0-9A-Z]{10}$/);
    expect(kb.reason).toBeUndefined();
    expect(kb.crawlerDataSourceId).toBeUndefined();
    // the sync: one job on the documents data source, complete
    expect(kb.sync).toMatchObject({ status: 'SUCCEEDED', failureReasons: '[]' });
    expect(JSON.parse(kb.sync.statistics)).toMatchObject({ NumberOfDocumentsScanned: 1, NumberOfNewDocumentsIndexed: 1, NumberOfDocumentsFailed: 0 });
    expect(Date.parse(kb.sync.finishedAt)).toBeGreaterThanOrEqual(Date.parse(kb.sync.startedAt));

    const created = (await agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: kb.knowledgeBaseId }))).knowledgeBase!;
    expect(created).toMatchObject({
      status: 'ACTIVE',
      name: `bot-${generation}`,
      storageConfiguration: { type: 'S3_VECTORS', s3VectorsConfiguration: { indexArn: expect.stringMatching(new RegExp(`/index/${kb.indexName}$`)) } },
      knowledgeBaseConfiguration: { vectorKnowledgeBaseConfiguration: { embeddingModelArn: expect.stringMatching(/foundation-model\/amazon\.titan-embed-text-v2:0$/) } },
    });
    expect(created.roleArn).toMatch(/DedicatedServiceRole/);
    const index = (await vectors.send(new GetIndexCommand({ vectorBucketName, indexName: kb.indexName }))).index!;
    expect(index).toMatchObject({ dimension: 1024, dataType: 'float32', distanceMetric: 'cosine' });
    const sources = (await agent.send(new ListDataSourcesCommand({ knowledgeBaseId: kb.knowledgeBaseId }))).dataSourceSummaries!;
    expect(sources.map((s) => s.name)).toEqual(['documents']);
    // only the bot's own documents/<botId>/ were ingested
    const texts = (await runtime.send(new RetrieveCommand({ knowledgeBaseId: kb.knowledgeBaseId, retrievalQuery: { text: 'copper valve' } }))).retrievalResults!.map((r) => r.content?.text);
    expect(texts).toEqual(['The copper valve of the boiler opens on Tuesdays.']);
  });

  test('sync: a new document is ingested by a new job, recorded in kb.sync', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `documents/${botId}/doc2/second.txt`, Body: 'The brass lever closes on Fridays.' }));
    const execution = await run(provisionArn, { botId, generation, action: 'sync', settings: { embeddingModelId: TITAN, chunking: fixed } });
    expect(execution.status).toBe('SUCCEEDED');
    const after = (await bot(botId))!.kb;
    expect(after).toMatchObject({ status: 'ACTIVE', knowledgeBaseId: kb.knowledgeBaseId, sync: { status: 'SUCCEEDED' } });
    expect(JSON.parse(after.sync.statistics)).toMatchObject({ NumberOfNewDocumentsIndexed: 1 });
    const texts = (await runtime.send(new RetrieveCommand({ knowledgeBaseId: kb.knowledgeBaseId, retrievalQuery: { text: 'brass lever' } }))).retrievalResults!.map((r) => r.content?.text);
    expect(texts).toContain('The brass lever closes on Fridays.');
  });

  test('a stale generation writes nothing and creates nothing', async () => {
    const before = await bot(botId);
    const count = await knowledgeBaseCount();
    const execution = await run(provisionArn, { botId, generation: '01JGEN0000000000000000OLD1', action: 'create', settings: { embeddingModelId: TITAN, chunking: fixed } });
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.states).toContain('Stale');
    expect(await bot(botId)).toEqual(before);
    expect(await knowledgeBaseCount()).toBe(count);
    // a bot that does not exist: nothing written, no item created
    const none = await run(provisionArn, { botId: '01JNOSUCHBOT00000000000000', generation, action: 'sync', settings: {} });
    expect(none.states).toContain('Stale');
    expect(await bot('01JNOSUCHBOT00000000000000')).toBeUndefined();
  });

  test('an update a later save superseded (kb.revision names another save) touches nothing', async () => {
    await ddb.send(new UpdateCommand({ TableName: botTable, Key: { pk: `BOT#${botId}`, sk: 'BOT' }, UpdateExpression: 'SET kb.revision = :r', ExpressionAttributeValues: { ':r': '01JREVISION000000000000002' } }));
    const before = await bot(botId);
    const sources = (await agent.send(new ListDataSourcesCommand({ knowledgeBaseId: kb.knowledgeBaseId }))).dataSourceSummaries!.length;
    const webCrawler = { seedUrls: ['https://docs.example.com/'], scope: 'HOST_ONLY', maxPagesPerMinute: 60 };
    const execution = await run(provisionArn, { botId, generation, action: 'update', settings: { embeddingModelId: TITAN, chunking: fixed, webCrawler }, revision: '01JREVISION000000000000001' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.states).toContain('Superseded');
    expect(execution.states).not.toContain('CreateNewWebDataSource');
    expect(execution.states).not.toContain('StartDocumentsIngestionJob');
    expect(await bot(botId)).toEqual(before);
    expect((await agent.send(new ListDataSourcesCommand({ knowledgeBaseId: kb.knowledgeBaseId }))).dataSourceSummaries!.length).toBe(sources);
  });

  test('update without a crawler: no WEB data source to replace, the sync runs again', async () => {
    const execution = await run(provisionArn, { botId, generation, action: 'update', settings: { embeddingModelId: TITAN, chunking: fixed }, revision: '01JREVISION000000000000002' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.states).toEqual(expect.arrayContaining(['HasOldCrawler', 'NewCrawler', 'RecordNoCrawler', 'StartDocumentsIngestionJob']));
    const after = (await bot(botId))!.kb;
    expect(after).toMatchObject({ status: 'ACTIVE', knowledgeBaseId: kb.knowledgeBaseId, dataSourceId: kb.dataSourceId, sync: { status: 'SUCCEEDED' } });
    expect(after.crawlerDataSourceId).toBeUndefined();
  });

  test('deprovision: the data sources, the knowledge base and the index are deleted, then kb is removed', async () => {
    const execution = await run(deprovisionArn, deprovisionInput());
    expect(execution).toMatchObject({ status: 'SUCCEEDED' });
    await expect(agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: kb.knowledgeBaseId }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(vectors.send(new GetIndexCommand({ vectorBucketName, indexName: kb.indexName }))).rejects.toMatchObject({ name: 'NotFoundException' });
    const after = await bot(botId);
    expect(after).toBeDefined();
    expect(after!.kb).toBeUndefined();
    // again: everything is already gone, it still succeeds (and the bot has no kb of that generation: nothing written)
    const again = await run(deprovisionArn, deprovisionInput());
    expect(again.status).toBe('SUCCEEDED');
    expect(again.states).toContain('KbChanged');
    expect((await bot(botId))!.kb).toBeUndefined();
  });
});

test('a create that goes stale after making its knowledge base (the bot saved again meanwhile) deletes what it made: the data source, the knowledge base, the index; the new record is untouched', async () => {
  const botId = '01JDEDICATED0000000000000S';
  const generation = '01JGEN0000000000000000STL1';
  await putBot(botId, generation);
  const count = await knowledgeBaseCount();
  stack.knowledge!.holdCreating(true);
  let execution;
  let made: Record<string, any>;
  try {
    const res = await fetch(stack.stepFunctionsEndpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.StartExecution' },
      body: JSON.stringify({ stateMachineArn: provisionArn, input: JSON.stringify({ botId, generation, action: 'create', settings: { embeddingModelId: TITAN, chunking: fixed } }) }),
    });
    const { executionArn } = await res.json() as { executionArn: string };
    // the knowledge base exists and its id is recorded; it stays CREATING, so the execution waits
    const deadline = Date.now() + 30_000;
    while (!(await bot(botId))?.kb?.knowledgeBaseId && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    made = (await bot(botId))!.kb;
    expect(made.knowledgeBaseId).toMatch(/^[0-9A-Z]{10}$/);
    // the bot is saved with another generation meanwhile (bots-api's deprovision of the old one knew no data source)
    await putBot(botId, '01JGEN0000000000000000STL2');
    stack.knowledge!.holdCreating(false);
    await stack.idleStateMachines();
    await stack.idle();
    execution = stack.stateMachines().find((m) => m.arn === provisionArn)!.executions.find((e) => e.executionArn === executionArn)!;
  } finally {
    stack.knowledge!.holdCreating(false);
  }
  expect(execution.status).toBe('SUCCEEDED');
  expect(execution.states).toEqual(expect.arrayContaining(['CreateDocumentsDataSource', 'RecordActive', 'StaleCreate', 'CleanUpWithDocuments', 'StartStaleCleanup', 'StaleCleanedUp']));
  const cleanup = stack.stateMachines().find((m) => m.arn === deprovisionArn)!.executions.find((e) => (e.input as any)?.botId === botId)!;
  expect(cleanup).toMatchObject({ status: 'SUCCEEDED', input: { botId, generation, knowledgeBaseId: made.knowledgeBaseId, indexName: made.indexName, dataSourceIds: [expect.stringMatching(/^[0-9A-Z]{10}$/)] } });
  expect(cleanup.states).toEqual(expect.arrayContaining(['DeleteDataSource', 'DeleteKnowledgeBase', 'DeleteIndex', 'KbChanged']));
  await expect(agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: made.knowledgeBaseId }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  await expect(vectors.send(new GetIndexCommand({ vectorBucketName, indexName: made.indexName }))).rejects.toMatchObject({ name: 'NotFoundException' });
  expect(await knowledgeBaseCount()).toBe(count);
  // the new generation's record is as it was saved
  expect((await bot(botId))!.kb).toEqual({ generation: '01JGEN0000000000000000STL2', status: 'CREATING', indexName: `bot-${botId.toLowerCase()}-01jgen0000000000000000stl2`, updatedAt: '2026-01-01T00:00:00.000Z' });
});

test('a failure records kb.status FAILED with the reason (an embedding model the deployment does not offer), and the execution fails', async () => {
  const botId = '01JDEDICATED0000000000000B';
  const generation = '01JGEN00000000000000000002';
  await putBot(botId, generation);
  const count = await knowledgeBaseCount();
  const execution = await run(provisionArn, { botId, generation, action: 'create', settings: { embeddingModelId: 'amazon.titan-embed-g1-text-02', chunking: fixed } });
  expect(execution).toMatchObject({ status: 'FAILED', error: 'UnknownEmbeddingModel' });
  const kb = (await bot(botId))!.kb;
  expect(kb).toMatchObject({ generation, status: 'FAILED', reason: 'The embedding model amazon.titan-embed-g1-text-02 is not one of the models of this deployment' });
  expect(await knowledgeBaseCount()).toBe(count);
});

test('HIERARCHICAL chunking, a foundation model parser, Cohere\'s index: the data source and index get them', async () => {
  const botId = '01JDEDICATED0000000000000D';
  const generation = '01JGEN00000000000000000004';
  await putBot(botId, generation);
  const settings = {
    embeddingModelId: 'cohere.embed-multilingual-v3',
    chunking: { strategy: 'HIERARCHICAL', parentMaxTokens: 1500, childMaxTokens: 300, overlapTokens: 60 },
    parsing: { strategy: 'BEDROCK_FOUNDATION_MODEL', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
  };
  const execution = await run(provisionArn, { botId, generation, action: 'create', settings });
  expect(execution.status).toBe('SUCCEEDED');
  const kb = (await bot(botId))!.kb;
  const source = (await agent.send(new GetDataSourceCommand({ knowledgeBaseId: kb.knowledgeBaseId, dataSourceId: kb.dataSourceId }))).dataSource!;
  expect(source.vectorIngestionConfiguration).toEqual({
    chunkingConfiguration: {
      chunkingStrategy: 'HIERARCHICAL',
      hierarchicalChunkingConfiguration: { levelConfigurations: [{ maxTokens: 1500 }, { maxTokens: 300 }], overlapTokens: 60 },
    },
    parsingConfiguration: {
      parsingStrategy: 'BEDROCK_FOUNDATION_MODEL',
      bedrockFoundationModelConfiguration: { modelArn: expect.stringMatching(/^arn:aws:bedrock:us-east-1::foundation-model\/anthropic\.claude-3-haiku-20240307-v1:0$/) },
    },
  });
  expect(source.dataSourceConfiguration).toEqual({ type: 'S3', s3Configuration: { bucketArn: expect.stringContaining(bucket), inclusionPrefixes: [`documents/${botId}/`] } });
  expect((await vectors.send(new GetIndexCommand({ vectorBucketName, indexName: kb.indexName }))).index!.dimension).toBe(1024);
  const created = (await agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: kb.knowledgeBaseId }))).knowledgeBase!;
  expect(created.knowledgeBaseConfiguration!.vectorKnowledgeBaseConfiguration!.embeddingModelArn).toMatch(/foundation-model\/cohere\.embed-multilingual-v3$/);
});

test('a sync of a knowledge base that is not ACTIVE records kb.sync FAILED with the reason, and starts no job', async () => {
  const botId = '01JDEDICATED0000000000000C';
  const generation = '01JGEN00000000000000000003';
  await putBot(botId, generation);
  const execution = await run(provisionArn, { botId, generation, action: 'sync', settings: { embeddingModelId: TITAN, chunking: fixed } });
  expect(execution).toMatchObject({ status: 'FAILED', error: 'NotActive' });
  expect(execution.states).not.toContain('StartDocumentsIngestionJob');
  const kb = (await bot(botId))!.kb;
  expect(kb).toMatchObject({ generation, status: 'CREATING', sync: { status: 'FAILED', reason: 'The knowledge base is CREATING, not ACTIVE' } });
});

test('StartExecution of a machine the template does not have: StateMachineDoesNotExist', async () => {
  const res = await fetch(stack.stepFunctionsEndpoint!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.StartExecution' },
    body: JSON.stringify({ stateMachineArn: `${provisionArn}-nope`, input: '{}' }),
  });
  expect(res.status).toBe(400);
  expect(res.headers.get('x-amzn-errortype')).toBe('StateMachineDoesNotExist');
});
