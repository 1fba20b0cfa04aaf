/**
 * Bots' knowledge settings over the wire (issue 12, slice 2; docs/knowledge-contract.md): the playground runs
 * examples/full-system from its synthesized template with the handlers in this process; every call goes through the
 * HTTP API stand-in with real tokens to bots-api and knowledge-api, which talk to the local DynamoDB with the real SDK
 * clients and start executions with wiring/state-machines.ts (Signature V4, AWS JSON 1.0) against a loopback Step
 * Functions endpoint (`AWS_ENDPOINT_URL_SFN`, below) that records each StartExecution as the service receives it. The
 * deployment's offer (`KNOWLEDGE_DEDICATED`, `KNOWLEDGE_EXISTING`, the machines' ARNs) is set in the environment as
 * KnowledgeBaseFactory sets it on the functions; the machines' own writes to `kb` are made here as they make them
 * (UpdateItem conditioned on `kb.generation`).
 */
import { lookup } from 'node:dns/promises';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as fc from 'fast-check';
import { botTableSnapshot } from './bot-helpers';
import { call, Reply } from './rest-helpers';
import { indexNameOf } from '../../src/lambdas/core/bot-knowledge';
import { BOT_ROUTES } from '../../src/lambdas/core/bot-routes';
import { botItem, BotStore } from '../../src/lambdas/core/bots';
import { checkCrawlerUrl, refusedAddress } from '../../src/lambdas/core/crawler-urls';
import { KNOWLEDGE_ROUTES } from '../../src/lambdas/core/knowledge-routes';
import { validate } from '../../src/lambdas/core/schema';
import { offlineModel } from '../../src/local/offline-model';
import { Playground, startPlayground } from '../../src/local/playground';

const RUNS = Number(process.env.FC_RUNS ?? 20);
const PROVISION = 'arn:aws:states:us-east-1:000000000000:stateMachine:test-provision';
const DEPROVISION = 'arn:aws:states:us-east-1:000000000000:stateMachine:test-deprovision';
const TITAN = 'amazon.titan-embed-text-v2:0';
const COHERE = 'cohere.embed-multilingual-v3';
const PARSER = 'anthropic.claude-3-haiku-20240307-v1:0';

interface Started { arn: string; input: any; authorization: string; target: string }
const started: Started[] = [];
/** The next StartExecution answers with this error instead (once). */
let failNext: { status: number; type: string } | undefined;
let sfn: Server;
let pg: Playground;
let db: DynamoDBDocumentClient;

const body = (req: IncomingMessage) => new Promise<string>((resolve) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
});

beforeAll(async () => {
  // Step Functions' StartExecution as the service answers it (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
  sfn = createServer((req, res) => {
    void body(req).then((text) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      if (failNext) {
        const f = failNext;
        failNext = undefined;
        res.writeHead(f.status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: f.type, message: 'refused' }));
        return;
      }
      const parsed = JSON.parse(text) as { stateMachineArn: string; input: string };
      started.push({ arn: parsed.stateMachineArn, input: JSON.parse(parsed.input), authorization: String(req.headers.authorization ?? ''), target });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ executionArn: `${parsed.stateMachineArn.replace(':stateMachine:', ':execution:')}:${started.length}`, startDate: Date.now() / 1000 }));
    });
  });
  await new Promise<void>((resolve) => sfn.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${(sfn.address() as AddressInfo).port}`,
    KNOWLEDGE_PROVISION_ARN: PROVISION,
    KNOWLEDGE_DEPROVISION_ARN: DEPROVISION,
    KNOWLEDGE_DEDICATED: JSON.stringify({
      embeddingModels: [{ modelId: TITAN, dimensions: 1024 }, { modelId: COHERE, dimensions: 1024 }], parsingModels: [PARSER],
    }),
    KNOWLEDGE_EXISTING: JSON.stringify([{ knowledgeBaseId: 'EXISTING01', name: 'Handbook', description: 'The staff handbook' }]),
  });
  pg = await startPlayground({ handlers: 'in-process', quiet: !process.env.DEBUG_LOGS, respond: offlineModel({ wordDelayMs: 0 }) });
  db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
}, 120_000);
afterAll(async () => {
  db?.destroy();
  await pg?.stop();
  await new Promise((resolve) => sfn?.close(resolve));
});
beforeEach(() => {
  started.length = 0;
  failNext = undefined;
});

const FIXED = { strategy: 'FIXED_SIZE', maxTokens: 300, overlapPercentage: 20 };
const dedicated = (extra: Record<string, unknown> = {}) => ({ mode: 'dedicated', dedicated: { embeddingModelId: TITAN, chunking: FIXED, ...extra } });

const record = async (botId: string) => (await db.send(new GetCommand({ TableName: process.env.BOT_TABLE_NAME, Key: { pk: `BOT#${botId}`, sk: 'BOT' }, ConsistentRead: true }))).Item;

/** What the provision machine writes when the knowledge base is ready (conditioned on the generation, as it is). */
async function machineMarksActive(botId: string, generation: string): Promise<void> {
  await db.send(new UpdateCommand({
    TableName: process.env.BOT_TABLE_NAME,
    Key: { pk: `BOT#${botId}`, sk: 'BOT' },
    UpdateExpression: 'SET kb.#s = :a, kb.knowledgeBaseId = :kb, kb.dataSourceId = :ds, kb.updatedAt = :now',
    ConditionExpression: 'kb.generation = :g',
    ExpressionAttributeNames: { '#s': 'status' },
    ExpressionAttributeValues: { ':a': 'ACTIVE', ':kb': 'KBDEDIC001', ':ds': 'DSDEDIC001', ':g': generation, ':now': new Date().toISOString() },
  }));
}

async function createDedicated(title: string, knowledge: unknown = dedicated()): Promise<{ id: string; reply: Reply; generation: string }> {
  const reply = await call(pg, 'alice', 'POST', '/bots', { title, knowledge });
  expect(reply.status).toBe(201);
  const item = await record(reply.body.id);
  return { id: reply.body.id, reply, generation: item!.kb.generation };
}

test('GET /openapi.json of a deployment with KnowledgeBaseFactory lists its /knowledge routes', async () => {
  const res = await call(pg, 'alice', 'GET', '/openapi.json');
  expect(res.status).toBe(200);
  const operations = Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  expect(operations).toEqual(expect.arrayContaining(KNOWLEDGE_ROUTES.map((r) => `${r.method} ${r.path}`)));
});

describe('GET /knowledge/bases', () => {
  test('creators get the deployment\'s offer; bob (no creator group) is refused; anonymous is 401', async () => {
    const alice = await call(pg, 'alice', 'GET', '/knowledge/bases');
    expect(alice.status).toBe(200);
    expect(alice.body).toEqual({
      existing: [{ knowledgeBaseId: 'EXISTING01', name: 'Handbook', description: 'The staff handbook' }],
      dedicated: { embeddingModels: [{ modelId: TITAN, dimensions: 1024 }, { modelId: COHERE, dimensions: 1024 }], parsingModels: [PARSER] },
    });
    const route = KNOWLEDGE_ROUTES.find((r) => r.path === '/knowledge/bases')!;
    expect(validate(route.response.schema!, alice.body)).toBeUndefined();
    expect((await call(pg, 'bob', 'GET', '/knowledge/bases')).status).toBe(403);
    expect((await call(pg, undefined, 'GET', '/knowledge/bases')).status).toBe(401);
  });
});

describe('a dedicated bot', () => {
  test('its creation writes kb CREATING and starts the provision machine, signed for states; the view shows the state', async () => {
    const { id, reply, generation } = await createDedicated('Dedicated');
    expect(reply.body.knowledge).toEqual({ ...dedicated(), numberOfResults: 5, documentCount: 0, state: { status: 'CREATING' } });
    expect(validate(BOT_ROUTES.find((r) => r.operationId === 'createBot')!.response.schema!, reply.body)).toBeUndefined();
    const item = await record(id);
    expect(item!.kb).toEqual({ generation, status: 'CREATING', indexName: indexNameOf(id, generation), updatedAt: expect.any(String) });
    expect(item!.kb.indexName).toBe(`bot-${id.toLowerCase()}-${generation.toLowerCase()}`);
    expect(item!.knowledgeSettings).toEqual(dedicated());
    expect(started).toEqual([{
      arn: PROVISION,
      input: { botId: id, generation, action: 'create', settings: dedicated().dedicated },
      authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/us-east-1\/states\/aws4_request, SignedHeaders=[^,]*x-amz-target/),
      target: 'AWSStepFunctions.StartExecution',
    }]);
  });

  test('while CREATING its documents and its sync are refused (409 NOT_READY), and nothing is written', async () => {
    const { id } = await createDedicated('Not ready');
    const before = await botTableSnapshot();
    const upload = await call(pg, 'alice', 'POST', `/knowledge/bots/${id}/uploads`, { name: 'a.txt', contentType: 'text/plain', size: 3 });
    expect(upload).toMatchObject({ status: 409, body: { code: 'NOT_READY' } });
    expect((await call(pg, 'alice', 'POST', `/knowledge/bots/${id}/documents`, { uploadId: '01J00000000000000000000000' })).body.code).toBe('NOT_READY');
    expect((await call(pg, 'alice', 'POST', `/knowledge/bots/${id}/sync`)).body.code).toBe('NOT_READY');
    expect(await botTableSnapshot()).toBe(before);
    expect(started).toHaveLength(1);
  });

  test('once ACTIVE: the owner syncs it (202, provision with action sync, same generation); others cannot (404)', async () => {
    const { id, generation } = await createDedicated('Active');
    await machineMarksActive(id, generation);
    started.length = 0;
    expect((await call(pg, 'bob', 'POST', `/knowledge/bots/${id}/sync`)).status).toBe(404);
    expect((await call(pg, 'admin', 'POST', `/knowledge/bots/${id}/sync`)).status).toBe(404);
    expect((await call(pg, undefined, 'POST', `/knowledge/bots/${id}/sync`)).status).toBe(401);
    expect(started).toEqual([]);
    const sync = await call(pg, 'alice', 'POST', `/knowledge/bots/${id}/sync`);
    expect(sync.status).toBe(202);
    expect(sync.body).toEqual({ state: { status: 'ACTIVE', knowledgeBaseId: 'KBDEDIC001' } });
    expect(validate(KNOWLEDGE_ROUTES.find((r) => r.operationId === 'syncBotKnowledge')!.response.schema!, sync.body)).toBeUndefined();
    expect(started.map((s) => [s.arn, s.input])).toEqual([[PROVISION, { botId: id, generation, action: 'sync', settings: dedicated().dedicated }]]);

    // While that sync runs (the machine records RUNNING), another is refused and nothing is started; once it has
    // ended, the owner may sync again.
    const setSync = (state: Record<string, unknown>) => db.send(new UpdateCommand({
      TableName: process.env.BOT_TABLE_NAME,
      Key: { pk: `BOT#${id}`, sk: 'BOT' },
      UpdateExpression: 'SET kb.#sync = :sync, kb.updatedAt = :now',
      ExpressionAttributeNames: { '#sync': 'sync' },
      ExpressionAttributeValues: { ':sync': state, ':now': new Date().toISOString() },
    }));
    await setSync({ status: 'RUNNING', startedAt: new Date().toISOString() });
    started.length = 0;
    const again = await call(pg, 'alice', 'POST', `/knowledge/bots/${id}/sync`);
    expect(again).toMatchObject({ status: 409, body: { code: 'NOT_READY', message: expect.stringContaining('already syncing') } });
    expect(started).toEqual([]);
    await setSync({ status: 'SUCCEEDED', startedAt: new Date().toISOString(), finishedAt: new Date().toISOString() });
    expect((await call(pg, 'alice', 'POST', `/knowledge/bots/${id}/sync`)).status).toBe(202);
    expect(started).toHaveLength(1);
  });

  test('new chunking: the old knowledge base is deprovisioned and a new generation provisioned; only the crawler: update', async () => {
    const { id, generation } = await createDedicated('Rebuilt');
    await machineMarksActive(id, generation);
    started.length = 0;
    const chunking = { strategy: 'SEMANTIC', maxTokens: 500, bufferSize: 1, breakpointPercentileThreshold: 90 };
    const patched = await call(pg, 'alice', 'PATCH', `/bots/${id}`, { knowledge: dedicated({ chunking }) });
    expect(patched.status).toBe(200);
    expect(patched.body.knowledge.state).toEqual({ status: 'CREATING' });
    const next = (await record(id))!.kb.generation;
    expect(next).not.toBe(generation);
    expect(started.map((s) => [s.arn, s.input])).toEqual([
      [DEPROVISION, { botId: id, generation, knowledgeBaseId: 'KBDEDIC001', dataSourceIds: ['DSDEDIC001'], indexName: indexNameOf(id, generation) }],
      [PROVISION, { botId: id, generation: next, action: 'create', settings: { embeddingModelId: TITAN, chunking } }],
    ]);
    await machineMarksActive(id, next);
    started.length = 0;
    const webCrawler = { seedUrls: ['https://docs.example.com/'], scope: 'HOST_ONLY', maxPagesPerMinute: 60 };
    const crawled = await call(pg, 'alice', 'PATCH', `/bots/${id}`, { knowledge: dedicated({ chunking, webCrawler }) });
    expect(crawled.status).toBe(200);
    const updated = (await record(id))!.kb;
    expect(updated).toMatchObject({ generation: next, status: 'ACTIVE', revision: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/) });
    // the update names the save (kb.revision): a later save's update supersedes it
    expect(started.map((s) => s.input)).toEqual([{ botId: id, generation: next, action: 'update', settings: { embeddingModelId: TITAN, chunking, webCrawler }, revision: updated.revision }]);
    started.length = 0;
    const recrawled = await call(pg, 'alice', 'PATCH', `/bots/${id}`, { knowledge: dedicated({ chunking, webCrawler: { ...webCrawler, maxPagesPerMinute: 30 } }) });
    expect(recrawled.status).toBe(200);
    const again = (await record(id))!.kb;
    expect(again.revision).not.toBe(updated.revision);
    expect(started.map((s) => (s.input as { revision?: string }).revision)).toEqual([again.revision]);
    await call(pg, 'alice', 'PATCH', `/bots/${id}`, { knowledge: dedicated({ chunking, webCrawler }) });
    // numberOfResults alone keeps everything
    started.length = 0;
    expect((await call(pg, 'alice', 'PATCH', `/bots/${id}`, { knowledge: { ...dedicated({ chunking, webCrawler }), numberOfResults: 8 } })).body.knowledge.numberOfResults).toBe(8);
    expect(started).toEqual([]);
  });

  test('leaving dedicated mode deprovisions the knowledge base and drops kb', async () => {
    const { id, generation } = await createDedicated('Leaving');
    await machineMarksActive(id, generation);
    started.length = 0;
    const patched = await call(pg, 'alice', 'PATCH', `/bots/${id}`, { knowledge: { mode: 'shared' } });
    expect(patched.body.knowledge).toEqual({ mode: 'shared', numberOfResults: 5, documentCount: 0 });
    expect((await record(id))!.kb).toBeUndefined();
    expect(started.map((s) => s.arn)).toEqual([DEPROVISION]);
  });

  test('a save that read kb before a machine changed it is refused (CONFLICT) instead of overwriting it', async () => {
    const { id, generation } = await createDedicated('Raced');
    const store = new BotStore(db, process.env.BOT_TABLE_NAME!);
    const before = (await store.get(id))!;
    await machineMarksActive(id, generation);
    const stale = botItem({ ...before, description: 'stale', updatedAt: new Date().toISOString() });
    await expect((store as unknown as { replace(i: unknown, b: unknown): Promise<void> }).replace(stale, before)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await record(id))!.kb.status).toBe('ACTIVE');
  });

  test('a provision that cannot be started leaves the bot FAILED with a reason; a stale machine write changes nothing', async () => {
    failNext = { status: 400, type: 'StateMachineDoesNotExist' };
    const reply = await call(pg, 'alice', 'POST', '/bots', { title: 'Unstarted', knowledge: dedicated() });
    expect(reply.status).toBe(201);
    expect(reply.body.knowledge.state).toEqual({ status: 'FAILED', reason: expect.stringContaining('save the bot again') });
    // A write of another generation (a stale execution) is refused by its condition.
    await expect(machineMarksActive(reply.body.id, '01J00000000000000000000000')).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect((await record(reply.body.id))!.kb.status).toBe('FAILED');
  });

  test('deleting it starts the deprovision machine from the bot cleanup', async () => {
    const { id, generation } = await createDedicated('Deleted');
    await machineMarksActive(id, generation);
    started.length = 0;
    expect((await call(pg, 'alice', 'DELETE', `/bots/${id}`)).status).toBe(204);
    await pg.stack.drainPipes();
    expect(started.map((s) => [s.arn, s.input])).toEqual([
      [DEPROVISION, { botId: id, generation, knowledgeBaseId: 'KBDEDIC001', dataSourceIds: ['DSDEDIC001'], indexName: indexNameOf(id, generation) }],
    ]);
  });
});

test('a shared bot with documents that becomes dedicated: its vectors leave the shared knowledge base, its documents wait for the new one', async () => {
  const runtime = new BedrockAgentRuntimeClient({ endpoint: pg.stack.knowledge!.runtimeEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, region: 'us-east-1' });
  const retrieve = async (botId: string) => (await runtime.send(new RetrieveCommand({
    knowledgeBaseId: process.env.KNOWLEDGE_BASE_ID!,
    retrievalQuery: { text: 'refunds accepted' },
    retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 5, filter: { equals: { key: 'botId', value: botId } } } },
  }))).retrievalResults ?? [];
  try {
    const bot = await call(pg, 'alice', 'POST', '/bots', { title: 'Moving' });
    const text = 'Refunds are accepted within 30 days.';
    const target = await call(pg, 'alice', 'POST', `/knowledge/bots/${bot.body.id}/uploads`, { name: 'refunds.txt', contentType: 'text/plain', size: text.length });
    await fetch(target.body.url, { method: 'PUT', headers: target.body.headers, body: text });
    expect((await call(pg, 'alice', 'POST', `/knowledge/bots/${bot.body.id}/documents`, { uploadId: target.body.uploadId })).status).toBe(201);
    for (let i = 0; i < 200 && (await retrieve(bot.body.id)).length === 0; i++) {
      await pg.stack.knowledge!.idle();
      await new Promise((r) => setTimeout(r, 25));
    }
    expect((await retrieve(bot.body.id)).length).toBeGreaterThan(0);
    const moved = await call(pg, 'alice', 'PATCH', `/bots/${bot.body.id}`, { knowledge: dedicated() });
    expect(moved.status).toBe(200);
    expect(moved.body.knowledge).toMatchObject({ mode: 'dedicated', documentCount: 1, state: { status: 'CREATING' } });
    await pg.stack.knowledge!.idle();
    expect(await retrieve(bot.body.id)).toEqual([]);
    const docs = (await db.send(new QueryCommand({
      TableName: process.env.BOT_TABLE_NAME, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :d)', ExpressionAttributeValues: { ':pk': `BOT#${bot.body.id}`, ':d': 'DOC#' },
    }))).Items ?? [];
    expect(docs.map((d) => d.status)).toEqual(['QUEUED']);
    expect(started.map((s) => s.input.action)).toEqual(['create']);
  } finally {
    runtime.destroy();
  }
});

describe('a bot on an existing knowledge base', () => {
  test('is saved with its id and search type; has no documents (409 EXISTING); a bot with documents cannot move there', async () => {
    const knowledge = { mode: 'existing', existing: { knowledgeBaseId: 'EXISTING01' }, searchType: 'HYBRID', numberOfResults: 10 };
    const created = await call(pg, 'alice', 'POST', '/bots', { title: 'Handbook bot', knowledge });
    expect(created.status).toBe(201);
    expect(created.body.knowledge).toEqual({ ...knowledge, documentCount: 0 });
    expect(started).toEqual([]);
    const up = await call(pg, 'alice', 'POST', `/knowledge/bots/${created.body.id}/uploads`, { name: 'a.txt', contentType: 'text/plain', size: 3 });
    expect(up).toMatchObject({ status: 409, body: { code: 'EXISTING' } });
    expect((await call(pg, 'alice', 'GET', `/knowledge/bots/${created.body.id}/documents`)).body.code).toBe('EXISTING');
    // a shared bot with a document
    const shared = await call(pg, 'alice', 'POST', '/bots', { title: 'Has a document' });
    const target = await call(pg, 'alice', 'POST', `/knowledge/bots/${shared.body.id}/uploads`, { name: 'a.txt', contentType: 'text/plain', size: 5 });
    await fetch(target.body.url, { method: 'PUT', headers: target.body.headers, body: 'Hello' });
    expect((await call(pg, 'alice', 'POST', `/knowledge/bots/${shared.body.id}/documents`, { uploadId: target.body.uploadId })).status).toBe(201);
    const before = await botTableSnapshot();
    expect((await call(pg, 'alice', 'PATCH', `/bots/${shared.body.id}`, { knowledge })).body.code).toBe('EXISTING');
    expect(await botTableSnapshot()).toBe(before);
  });
});

describe('bad knowledge settings: 400 and nothing written', () => {
  const bad: [string, unknown][] = [
    ['unknown mode', { mode: 'private' }],
    ['dedicated without its settings', { mode: 'dedicated' }],
    ['an embedding model not offered', dedicated({ embeddingModelId: 'amazon.titan-embed-text-v1' })],
    ['fixed-size overlap 0 (Bedrock: 1 to 99)', dedicated({ chunking: { strategy: 'FIXED_SIZE', maxTokens: 300, overlapPercentage: 0 } })],
    ['fixed-size overlap 100', dedicated({ chunking: { strategy: 'FIXED_SIZE', maxTokens: 300, overlapPercentage: 100 } })],
    ['fixed-size without maxTokens', dedicated({ chunking: { strategy: 'FIXED_SIZE', overlapPercentage: 10 } })],
    ['a field of another strategy', dedicated({ chunking: { strategy: 'NONE', maxTokens: 300 } })],
    ['hierarchical parent over 8,192', dedicated({ chunking: { strategy: 'HIERARCHICAL', parentMaxTokens: 9000, childMaxTokens: 300, overlapTokens: 60 } })],
    ['hierarchical child not below parent', dedicated({ chunking: { strategy: 'HIERARCHICAL', parentMaxTokens: 300, childMaxTokens: 300, overlapTokens: 60 } })],
    ['semantic threshold 49 (Bedrock: 50 to 99)', dedicated({ chunking: { strategy: 'SEMANTIC', maxTokens: 300, bufferSize: 0, breakpointPercentileThreshold: 49 } })],
    ['semantic buffer 2 (Bedrock: 0 to 1)', dedicated({ chunking: { strategy: 'SEMANTIC', maxTokens: 300, bufferSize: 2, breakpointPercentileThreshold: 90 } })],
    ['a parsing model not offered', dedicated({ parsing: { strategy: 'BEDROCK_FOUNDATION_MODEL', modelId: 'anthropic.claude-v2' } })],
    ['foundation-model parsing without a model', dedicated({ parsing: { strategy: 'BEDROCK_FOUNDATION_MODEL' } })],
    ['a crawler seed on loopback', dedicated({ webCrawler: { seedUrls: ['http://127.0.0.1/'] } })],
    ['a crawler seed on the metadata address', dedicated({ webCrawler: { seedUrls: ['http://169.254.169.254/latest/meta-data/'] } })],
    ['a crawler seed with user info', dedicated({ webCrawler: { seedUrls: ['https://user:pw@example.com/'] } })],
    ['a crawler seed that is not http(s)', dedicated({ webCrawler: { seedUrls: ['file:///etc/passwd'] } })],
    ['no seed URLs', dedicated({ webCrawler: { seedUrls: [] } })],
    ['11 seed URLs', dedicated({ webCrawler: { seedUrls: Array.from({ length: 11 }, (_, i) => `https://example.com/${i}`) } })],
    ['a crawl rate over 300 a minute', dedicated({ webCrawler: { seedUrls: ['https://example.com/'], maxPagesPerMinute: 301 } })],
    ['an include pattern that is not a regular expression', dedicated({ webCrawler: { seedUrls: ['https://example.com/'], includePatterns: ['('] } })],
    ['26 exclude patterns', dedicated({ webCrawler: { seedUrls: ['https://example.com/'], excludePatterns: Array.from({ length: 26 }, (_, i) => `x${i}`) } })],
    ['a knowledge base not of the deployment', { mode: 'existing', existing: { knowledgeBaseId: 'OTHER00001' } }],
    ['existing without its id', { mode: 'existing' }],
    ['searchType outside existing mode (S3 Vectors: SEMANTIC only)', { mode: 'shared', searchType: 'SEMANTIC' }],
    ['dedicated settings on a shared bot', { mode: 'shared', dedicated: dedicated().dedicated }],
    ['numberOfResults 0', { mode: 'shared', numberOfResults: 0 }],
    ['numberOfResults 21', { mode: 'shared', numberOfResults: 21 }],
  ];

  test.each(bad)('%s', async (_name, knowledge) => {
    const before = await botTableSnapshot();
    const created = await call(pg, 'alice', 'POST', '/bots', { title: 'Bad', knowledge });
    expect(created).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    expect(await botTableSnapshot()).toBe(before);
    expect(started).toEqual([]);
  });

  test('a crawler seed whose host name resolves to a loopback or private address is refused on POST and PATCH; one that does not resolve is accepted', async () => {
    // This machine's own name resolves (through /etc/hosts) to a loopback or private address: a name an attacker
    // could point anywhere, which only resolving shows.
    const host = hostname();
    const addresses = await lookup(host, { all: true });
    const refused = addresses.map((a) => refusedAddress(a.address)).filter(Boolean);
    if (!refused.length) throw new Error(`This test needs ${host} to resolve to a loopback or private address (it resolves to ${addresses.map((a) => a.address).join(', ')}).`);
    const seed = `http://${host}:8080/wiki/`;
    expect(checkCrawlerUrl(seed)).toBeUndefined();
    const before = await botTableSnapshot();
    const created = await call(pg, 'alice', 'POST', '/bots', { title: 'Internal', knowledge: dedicated({ webCrawler: { seedUrls: [seed] } }) });
    expect(created).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', message: expect.stringContaining(`seedUrls[0]: ${host} resolves to`) } });
    expect(await botTableSnapshot()).toBe(before);
    const base = await call(pg, 'alice', 'POST', '/bots', { title: 'Crawler later' });
    expect(base.status).toBe(201);
    const snapshot = await botTableSnapshot();
    const patched = await call(pg, 'alice', 'PATCH', `/bots/${base.body.id}`, { knowledge: dedicated({ webCrawler: { seedUrls: ['https://docs.example.com/', seed] } }) });
    expect(patched).toMatchObject({ status: 400, body: { message: expect.stringContaining('seedUrls[1]') } });
    expect(await botTableSnapshot()).toBe(snapshot);
    expect(started).toEqual([]);
    // Not resolvable here (no public DNS needed): nothing to refuse yet.
    const unresolved = await call(pg, 'alice', 'POST', '/bots', { title: 'Unresolved', knowledge: dedicated({ webCrawler: { seedUrls: ['https://no-such-host.invalid/'] } }) });
    expect(unresolved.status).toBe(201);
  });

  test('any knowledge value: a POST or a PATCH is 201/200 or 400, and a refused one writes nothing and starts nothing', async () => {
    const base = await call(pg, 'alice', 'POST', '/bots', { title: 'Target' });
    const chunking = fc.oneof(
      fc.record({ strategy: fc.constantFrom('FIXED_SIZE', 'HIERARCHICAL', 'SEMANTIC', 'NONE', 'OTHER') }, { requiredKeys: [] }),
      fc.record({
        strategy: fc.constantFrom('FIXED_SIZE', 'HIERARCHICAL', 'SEMANTIC'),
        maxTokens: fc.integer({ min: -5, max: 9000 }),
        overlapPercentage: fc.integer({ min: -1, max: 101 }),
        parentMaxTokens: fc.integer({ min: -1, max: 9000 }),
        childMaxTokens: fc.integer({ min: -1, max: 9000 }),
        overlapTokens: fc.integer({ min: -1, max: 9000 }),
        bufferSize: fc.integer({ min: -1, max: 3 }),
        breakpointPercentileThreshold: fc.integer({ min: 40, max: 101 }),
      }, { requiredKeys: ['strategy'] }),
    );
    const knowledge = fc.record({
      mode: fc.constantFrom('shared', 'dedicated', 'existing', 'x'),
      numberOfResults: fc.oneof(fc.integer({ min: -2, max: 25 }), fc.string()),
      searchType: fc.constantFrom('SEMANTIC', 'HYBRID', 'FUZZY'),
      dedicated: fc.record({
        embeddingModelId: fc.constantFrom(TITAN, 'nope', ''),
        chunking,
        parsing: fc.record({ strategy: fc.constantFrom('BEDROCK_FOUNDATION_MODEL', 'BEDROCK_DATA_AUTOMATION', 'X'), modelId: fc.constantFrom(PARSER, 'nope') }, { requiredKeys: [] }),
        webCrawler: fc.record({
          seedUrls: fc.array(fc.oneof(fc.webUrl(), fc.constantFrom('http://localhost/', 'http://[::1]/', 'http://10.0.0.1/', 'javascript:alert(1)', 'https://a.internal/')), { maxLength: 12 }),
          maxPagesPerMinute: fc.integer({ min: 0, max: 400 }),
        }, { requiredKeys: [] }),
      }, { requiredKeys: [] }),
      existing: fc.record({ knowledgeBaseId: fc.constantFrom('EXISTING01', 'OTHER', '') }),
    }, { requiredKeys: [] });
    await fc.assert(fc.asyncProperty(knowledge, fc.boolean(), async (k, patch) => {
      started.length = 0;
      const before = await botTableSnapshot();
      const reply = patch
        ? await call(pg, 'alice', 'PATCH', `/bots/${base.body.id}`, { knowledge: k })
        : await call(pg, 'alice', 'POST', '/bots', { title: 'Generated', knowledge: k });
      expect([200, 201, 400]).toContain(reply.status);
      if (reply.status === 400) {
        expect(reply.body.code).toBe('BAD_REQUEST');
        expect(await botTableSnapshot()).toBe(before);
        expect(started).toEqual([]);
      } else {
        expect(validate(BOT_ROUTES.find((r) => r.operationId === 'getBot')!.response.schema!, reply.body)).toBeUndefined();
        if (patch) {
          // back to shared for the next run (a dedicated bot's kb is deprovisioned then)
          expect((await call(pg, 'alice', 'PATCH', `/bots/${base.body.id}`, { knowledge: { mode: 'shared' } })).status).toBe(200);
        }
      }
    }), { numRuns: RUNS });
  });
});
