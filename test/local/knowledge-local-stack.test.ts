// The playground's knowledge base, read from the synthesized examples/full-system template: ingest a document with
// the real SDK client and retrieve it filtered by the bot, in seconds; bulk files synced by an ingestion job.
import {
  BedrockAgentClient, GetKnowledgeBaseCommand, GetKnowledgeBaseDocumentsCommand, GetIngestionJobCommand, IngestKnowledgeBaseDocumentsCommand,
  ListDataSourcesCommand,
} from '@aws-sdk/client-bedrock-agent';
import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetIndexCommand, ListVectorsCommand, S3VectorsClient } from '@aws-sdk/client-s3vectors';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { credentials, region, useDummyAwsEnv } from './env';
import { fullSystemApp, synthesize } from '../../src/local/apps';
import { LocalStack, startLocalStack } from '../../src/local/stack/local-stack';
import { requireBundles } from '../constructs/helpers';

useDummyAwsEnv();

let stack: LocalStack;
let agent: BedrockAgentClient;
let runtime: BedrockAgentRuntimeClient;
let vectors: S3VectorsClient;
let knowledgeBaseId: string;

beforeAll(async () => {
  requireBundles();
  stack = await startLocalStack({ assembly: synthesize(fullSystemApp, 'full-system'), quiet: true, stateMachineMaxWaitMs: 50 });
  agent = new BedrockAgentClient({ endpoint: stack.knowledge!.agentEndpoint, credentials, region });
  runtime = new BedrockAgentRuntimeClient({ endpoint: stack.knowledge!.runtimeEndpoint, credentials, region });
  vectors = new S3VectorsClient({ endpoint: stack.knowledge!.vectorsEndpoint, credentials, region });
  knowledgeBaseId = stack.outputs.KnowledgeBaseId;
}, 120_000);

afterAll(async () => {
  agent?.destroy();
  runtime?.destroy();
  vectors?.destroy();
  await stack?.stop();
});

test('the template\'s knowledge base, data sources and S3 Vectors index exist locally, with the template\'s ids and settings', async () => {
  expect(knowledgeBaseId).toMatch(/^[A-Z0-9]{10}$/);
  const kb = (await agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId }))).knowledgeBase!;
  expect(kb).toMatchObject({ status: 'ACTIVE', storageConfiguration: { type: 'S3_VECTORS' } });
  expect(kb.knowledgeBaseConfiguration?.vectorKnowledgeBaseConfiguration?.embeddingModelArn).toBe('arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0');
  const index = (await vectors.send(new GetIndexCommand({ indexArn: kb.storageConfiguration!.s3VectorsConfiguration!.indexArn }))).index!;
  expect(index).toMatchObject({ dimension: 1024, distanceMetric: 'cosine', metadataConfiguration: { nonFilterableMetadataKeys: ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] } });
  const sources = (await agent.send(new ListDataSourcesCommand({ knowledgeBaseId }))).dataSourceSummaries!;
  expect(sources.map((s) => s.name).sort()).toEqual(['bulk', 'direct']);
  expect(stack.notEmulated.join('\n')).not.toMatch(/AWS::(Bedrock|S3Vectors)::/);
});

test('a document ingested into the direct data source is retrievable by its bot only, and its vectors are in the index', async () => {
  const sources = (await agent.send(new ListDataSourcesCommand({ knowledgeBaseId }))).dataSourceSummaries!;
  const dataSourceId = sources.find((s) => s.name === 'direct')!.dataSourceId!;
  const doc = (bot: string, id: string, text: string) => ({
    content: { dataSourceType: 'CUSTOM' as const, custom: { customDocumentIdentifier: { id }, sourceType: 'IN_LINE' as const, inlineContent: { type: 'TEXT' as const, textContent: { data: text } } } },
    metadata: { type: 'IN_LINE_ATTRIBUTE' as const, inlineAttributes: [{ key: 'botId', value: { type: 'STRING' as const, stringValue: bot } }] },
  });
  await agent.send(new IngestKnowledgeBaseDocumentsCommand({
    knowledgeBaseId,
    dataSourceId,
    documents: [doc('bot-1', 'bot-1/policy.md', 'Refunds are accepted within 30 days.'), doc('bot-2', 'bot-2/policy.md', 'Refunds are never accepted.')],
  }));
  await stack.idle();
  const status = await agent.send(new GetKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId, documentIdentifiers: [{ dataSourceType: 'CUSTOM', custom: { id: 'bot-1/policy.md' } }] }));
  expect(status.documentDetails![0].status).toBe('INDEXED');
  const got = await runtime.send(new RetrieveCommand({
    knowledgeBaseId,
    retrievalQuery: { text: 'refunds' },
    retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 5, filter: { equals: { key: 'botId', value: 'bot-1' } } } },
  }));
  expect(got.retrievalResults!.map((r) => r.content?.text)).toEqual(['Refunds are accepted within 30 days.']);
  const kb = (await agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId }))).knowledgeBase!;
  const indexArn = kb.storageConfiguration!.s3VectorsConfiguration!.indexArn;
  const listed = await vectors.send(new ListVectorsCommand({ indexArn, returnMetadata: true }));
  expect(listed.vectors!.map((v) => (v.metadata as Record<string, unknown>).botId).sort()).toEqual(['bot-1', 'bot-2']);
});

test('a bulk file with its metadata file in the template\'s document bucket is synced by the sync state machine, run from its definition', async () => {
  const bucket = stack.outputs.KnowledgeDocumentBucket;
  // the bucket's regional domain, as the template names it, maps to the local S3
  const s3Endpoint = stack.endpoints.lookup(`${bucket}.s3.${region}.amazonaws.com`)!;
  const client = new S3Client({ endpoint: s3Endpoint, forcePathStyle: true, credentials, region });
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'bulk/faq.txt.metadata.json', Body: JSON.stringify({ metadataAttributes: { botId: 'bot-3' } }) }));
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'bulk/faq.txt', Body: 'The office closes at six.' }));
  client.destroy();
  // each PUT is an S3 event on EventBridge, the template's rule starts the state machine, which runs the job
  await stack.idleStateMachines();
  await stack.idle();
  const sources = (await agent.send(new ListDataSourcesCommand({ knowledgeBaseId }))).dataSourceSummaries!;
  const dataSourceId = sources.find((s) => s.name === 'bulk')!.dataSourceId!;
  // the sync table's item says how it went, with the job's own figures
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoDbEndpoint, credentials, region }));
  const sync = (await ddb.send(new GetCommand({ TableName: stack.outputs.KnowledgeSyncTable, Key: { pk: `SYNC#${dataSourceId}` } }))).Item!;
  ddb.destroy();
  expect(sync).toMatchObject({ status: 'SUCCEEDED', jobStatus: 'COMPLETE', pending: false, failedDocuments: 0 });
  expect(sync.runner).toBeUndefined();
  expect(JSON.parse(sync.statistics)).toMatchObject({ NumberOfDocumentsFailed: 0 });
  // two changes, two executions: the second came in while the first ran a job, so it ended coalesced and the first
  // ran one more job for it (bulk-sync.ts)
  const executions = stack.stateMachines()[0].executions;
  expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  expect(executions.filter((e) => e.states.includes('Coalesced'))).toHaveLength(1);
  const job = (await agent.send(new GetIngestionJobCommand({ knowledgeBaseId, dataSourceId, ingestionJobId: sync.jobId }))).ingestionJob!;
  expect(job.status).toBe('COMPLETE');
  const got = await runtime.send(new RetrieveCommand({
    knowledgeBaseId,
    retrievalQuery: { text: 'when does the office close' },
    retrievalConfiguration: { vectorSearchConfiguration: { filter: { equals: { key: 'botId', value: 'bot-3' } } } },
  }));
  expect(got.retrievalResults![0]).toMatchObject({ content: { text: 'The office closes at six.' }, location: { type: 'S3', s3Location: { uri: `s3://${bucket}/bulk/faq.txt` } } });
  expect(stack.notEmulated.join('\n')).not.toMatch(/AWS::(StepFunctions|Events)::/);
});
