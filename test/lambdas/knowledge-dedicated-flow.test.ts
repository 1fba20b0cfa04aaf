/**
 * A dedicated knowledge base from a user's side, with nothing seeded by hand (docs/knowledge-contract.md, slice 2):
 * the playground runs examples/full-system from its synthesized template; alice saves a bot with dedicated settings
 * through the REST API; bots-api starts the provision machine through the local Step Functions API (a signed
 * StartExecution); the machine (its synthesized definition, run by aws-local-stepfunctions) creates the index in the
 * local S3 Vectors, the knowledge base and its S3 data source in the local knowledge base, records ACTIVE on the bot
 * and syncs; alice uploads a document, asks, gets a cited answer; deleting the bot runs the deprovision machine through
 * the deletion pipe and the bot cleanup, and the knowledge base and its index are gone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BedrockAgentClient, GetKnowledgeBaseCommand } from '@aws-sdk/client-bedrock-agent';
import { GetIndexCommand, S3VectorsClient } from '@aws-sdk/client-s3vectors';
import { call } from './rest-helpers';
import { syncView } from '../../src/lambdas/core/bot-knowledge-view';
import { PROJECT_DOCUMENTATION_ID } from '../../src/local/apps';
import { offlineModel } from '../../src/local/offline-model';
import { Playground, startPlayground } from '../../src/local/playground';
import { request, WsClient } from '../../src/local/ws-client';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';
const TITAN = 'amazon.titan-embed-text-v2:0';
const FACT = 'The lighthouse keeper of Skerry Point climbs 214 steps to the lamp every evening.';

let pg: Playground;
let agent: BedrockAgentClient;
let vectors: S3VectorsClient;

beforeAll(async () => {
  pg = await startPlayground({ handlers: 'in-process', quiet: !process.env.DEBUG_LOGS, respond: offlineModel({ wordDelayMs: 0 }), stateMachineMaxWaitMs: 20 });
  agent = new BedrockAgentClient({ endpoint: pg.stack.knowledge!.agentEndpoint, credentials, region });
  vectors = new S3VectorsClient({ endpoint: pg.stack.knowledge!.vectorsEndpoint, credentials, region });
}, 120_000);
afterAll(async () => {
  agent?.destroy();
  vectors?.destroy();
  await pg?.stop();
});

/** Until the machines, the functions and the knowledge base have nothing left to do. */
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    await pg.stack.idleStateMachines();
    await pg.stack.knowledge!.idle();
    await pg.idle();
  }
};
const waitFor = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await settle();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached');
};

test('dedicated: save → CREATING → ACTIVE and synced → a document → a cited answer → the bot deleted → knowledge base and index gone', async () => {
  const offer = await call(pg, 'alice', 'GET', '/knowledge/bases');
  expect(offer.status).toBe(200);
  expect(offer.body.dedicated.embeddingModels).toEqual(expect.arrayContaining([{ modelId: TITAN, dimensions: 1024 }]));

  const created = await call(pg, 'alice', 'POST', '/bots', {
    title: 'Lighthouse lore',
    knowledge: { mode: 'dedicated', numberOfResults: 3, dedicated: { embeddingModelId: TITAN, chunking: { strategy: 'HIERARCHICAL', parentMaxTokens: 1500, childMaxTokens: 300, overlapTokens: 60 } } },
  });
  expect(created.status).toBe(201);
  expect(created.body.knowledge).toMatchObject({ mode: 'dedicated', numberOfResults: 3, documentCount: 0, state: { status: 'CREATING' } });
  const botId = created.body.id as string;

  // The machine makes the knowledge base; the bot shows it ACTIVE, with a first sync (of no documents) that succeeded.
  let view: any;
  await waitFor(async () => {
    view = (await call(pg, 'alice', 'GET', `/bots/${botId}`)).body;
    return view.knowledge.state?.status === 'ACTIVE' && view.knowledge.state.sync?.status === 'SUCCEEDED';
  });
  const knowledgeBaseId = view.knowledge.state.knowledgeBaseId as string;
  expect(knowledgeBaseId).not.toBe(pg.stack.outputs.KnowledgeBaseId);
  expect(view.knowledge.state.sync).toMatchObject({ status: 'SUCCEEDED', statistics: expect.objectContaining({ numberOfDocumentsScanned: 0 }) });
  const kb = (await agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId }))).knowledgeBase!;
  expect(kb.status).toBe('ACTIVE');
  const indexArn = kb.storageConfiguration!.s3VectorsConfiguration!.indexArn!;
  expect(indexArn).toMatch(new RegExp(`/index/bot-${botId.toLowerCase()}-`));

  // A document, ingested into the bot's own knowledge base.
  const bytes = Buffer.from(`# Skerry Point\n\n${FACT}\n`);
  const up = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/uploads`, { name: 'lighthouse.md', contentType: 'text/markdown', size: bytes.length });
  expect(up.status).toBe(201);
  expect((await fetch(up.body.url, { method: 'PUT', headers: up.body.headers, body: new Uint8Array(bytes) })).status).toBe(200);
  const registered = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/documents`, { uploadId: up.body.uploadId });
  expect(registered.status).toBe(201);
  await waitFor(async () => (await call(pg, 'alice', 'GET', `/knowledge/bots/${botId}/documents`)).body.items?.[0]?.status === 'SUCCEEDED');

  // Asked, the bot answers from it and cites it.
  const c = await WsClient.connect(pg.webSocketUrl, pg.issueToken('alice'));
  let answer;
  try {
    answer = await request(c, { action: 'sendMessage', content: [{ text: 'How many steps does the lighthouse keeper climb?' }], botId });
  } finally {
    c.close();
  }
  const citations = answer.frames.filter((f) => f.type === 'citation');
  expect(citations).toEqual([expect.objectContaining({ sourceId: '1', title: 'lighthouse.md', documentId: registered.body.id, snippet: expect.stringContaining('214 steps') })]);
  expect(answer.text).toContain('[^1]');

  // Deleted: the pipe's cleanup starts the deprovision machine, which removes the knowledge base and the index.
  expect((await call(pg, 'alice', 'DELETE', `/bots/${botId}`)).status).toBe(204);
  await waitFor(async () => {
    try {
      await agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId }));
      return false;
    } catch (err) {
      return (err as Error).name === 'ResourceNotFoundException';
    }
  });
  const deprovisions = () => pg.stack.stateMachines().find((m) => m.logicalId.startsWith('KnowledgeDedicatedDeprovisionStateMachine'))!.executions;
  await waitFor(async () => deprovisions().length > 0 && deprovisions().every((e) => e.status !== 'RUNNING'));
  expect(deprovisions().map((e) => e.status)).toEqual(['SUCCEEDED']);
  await expect(vectors.send(new GetIndexCommand({ indexArn }))).rejects.toMatchObject({ name: 'NotFoundException' });
}, 180_000);

test('the sync as the machine records it (statistics and reasons as JSON, the crawler beside the documents) is shown summed, with its failed documents', () => {
  expect(syncView({
    status: 'FAILED',
    startedAt: '2026-12-03T10:00:00.000Z',
    finishedAt: '2026-12-03T10:01:00.000Z',
    statistics: JSON.stringify({ NumberOfDocumentsScanned: 3, NumberOfDocumentsFailed: 1 }),
    failureReasons: JSON.stringify(['Encountered error: the file is encrypted [Files: s3://docs/documents/B1/D1/secret.pdf]']),
    crawlerStatistics: JSON.stringify({ NumberOfDocumentsScanned: 5, NumberOfDocumentsFailed: 0 }),
    crawlerFailureReasons: JSON.stringify(['https://example.com/gone: HTTP 404']),
  })).toEqual({
    status: 'FAILED',
    reason: 'Encountered error: the file is encrypted [Files: s3://docs/documents/B1/D1/secret.pdf]',
    statistics: { numberOfDocumentsScanned: 8, numberOfDocumentsFailed: 1 },
    failedDocuments: [
      { uri: 's3://docs/documents/B1/D1/secret.pdf', reason: 'Encountered error: the file is encrypted [Files: s3://docs/documents/B1/D1/secret.pdf]' },
      { uri: 'https://example.com/gone', reason: 'https://example.com/gone: HTTP 404' },
    ],
    startedAt: '2026-12-03T10:00:00.000Z',
    finishedAt: '2026-12-03T10:01:00.000Z',
  });
  // A failure the machine recorded with its own reason keeps it; a running sync has nothing else to show.
  expect(syncView({ status: 'FAILED', reason: 'The knowledge base is not ACTIVE', finishedAt: '2026-12-03T10:01:00.000Z' })).toEqual({ status: 'FAILED', reason: 'The knowledge base is not ACTIVE', finishedAt: '2026-12-03T10:01:00.000Z' });
  expect(syncView({ status: 'RUNNING', startedAt: '2026-12-03T10:00:00.000Z' })).toEqual({ status: 'RUNNING', startedAt: '2026-12-03T10:00:00.000Z' });
});

test('existing: the playground offers "Project documentation" (this project\'s README and docs); a bot in existing mode answers from it with citations', async () => {
  const offer = await call(pg, 'alice', 'GET', '/knowledge/bases');
  expect(offer.body.existing).toEqual([{ knowledgeBaseId: PROJECT_DOCUMENTATION_ID, name: 'Project documentation' }]);
  const created = await call(pg, 'alice', 'POST', '/bots', { title: 'Docs helper', knowledge: { mode: 'existing', existing: { knowledgeBaseId: PROJECT_DOCUMENTATION_ID } } });
  expect(created.status).toBe(201);
  const c = await WsClient.connect(pg.webSocketUrl, pg.issueToken('alice'));
  let answer;
  try {
    answer = await request(c, { action: 'sendMessage', content: [{ text: 'What does KnowledgeBaseFactory create?' }], botId: created.body.id });
  } finally {
    c.close();
  }
  const citations = answer.frames.filter((f) => f.type === 'citation');
  expect(citations.length).toBeGreaterThan(0);
  for (const cite of citations) expect(cite.title).toMatch(/^(README\.md|docs\/[\w.-]+\.md)$/);
  // Each cited passage is this project's own text (the document it names holds it), and the answer draws on documents
  // about the question (the ranking among the docs changes as they are edited: what is checked is that it is theirs).
  const flat = (t: string) => t.replace(/\s+/g, ' ');
  for (const cite of citations) {
    const file = flat(readFileSync(join(__dirname, '..', '..', cite.title), 'utf8'));
    const passage = flat(String(cite.snippet)).replace(/…$/, '').split(' ').slice(0, 12).join(' ');
    expect({ title: cite.title, found: file.replace(/[`*|#\\]/g, '').includes(passage.replace(/[`*|#\\]/g, '')) }).toEqual({ title: cite.title, found: true });
  }
  expect(citations.some((cite) => readFileSync(join(__dirname, '..', '..', cite.title), 'utf8').includes('KnowledgeBaseFactory'))).toBe(true);
});
