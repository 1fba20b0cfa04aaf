// The local OpenSearch Serverless data plane over the wire (HTTP, as Bedrock and any OpenSearch client reach it), and
// the local knowledge base on an OPENSEARCH_SERVERLESS store through the real @aws-sdk/client-bedrock-agent and
// -bedrock-agent-runtime clients.
import {
  BedrockAgentClient, CreateDataSourceCommand, CreateKnowledgeBaseCommand, DeleteKnowledgeBaseDocumentsCommand, GetKnowledgeBaseDocumentsCommand,
  IngestKnowledgeBaseDocumentsCommand,
} from '@aws-sdk/client-bedrock-agent';
import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { App, Stack } from 'aws-cdk-lib';
import * as aoss from 'aws-cdk-lib/aws-opensearchserverless';
import { credentials, region, useDummyAwsEnv } from './env';
import { synthesize } from '../../src/local/apps';
import { startKnowledgeBaseEmulator, type KnowledgeBaseEmulator } from '../../src/local/emulators/knowledge-base';
import { startOpenSearchServerlessEmulator, type OpenSearchServerlessEmulator } from '../../src/local/emulators/opensearch-serverless';
import { startLocalStack } from '../../src/local/stack/local-stack';

useDummyAwsEnv();

let oss: OpenSearchServerlessEmulator;
let kbEmu: KnowledgeBaseEmulator;
let agent: BedrockAgentClient;
let runtime: BedrockAgentRuntimeClient;
let collectionArn: string;
let base: string;

const EMBEDDING = 'arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0';
const ROLE = 'arn:aws:iam::000000000000:role/kb';
const FIELDS = { vectorField: 'vec', textField: 'AMAZON_BEDROCK_TEXT_CHUNK', metadataField: 'AMAZON_BEDROCK_METADATA' };
const mapping = (dimension: number, engine = 'faiss', text: unknown = { type: 'text', index: true }) => ({
  settings: { index: { knn: true } },
  mappings: {
    properties: {
      vec: { type: 'knn_vector', dimension, method: { engine, name: 'hnsw', space_type: 'l2' } },
      AMAZON_BEDROCK_TEXT_CHUNK: text,
      AMAZON_BEDROCK_METADATA: { type: 'text', index: false },
    },
  },
});

const call = async (method: string, path: string, body?: unknown, ndjson = false) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' },
    ...(body === undefined ? {} : { body: ndjson ? body as string : JSON.stringify(body) }),
  });
  return { status: res.status, body: method === 'HEAD' ? undefined : await res.json() as any };
};

beforeAll(async () => {
  oss = await startOpenSearchServerlessEmulator({ region });
  const collection = oss.store.createCollection({ name: 'kb-vectors', type: 'VECTORSEARCH' });
  collectionArn = collection.arn;
  base = oss.collectionEndpoint(collection.id);
  kbEmu = await startKnowledgeBaseEmulator({ opensearch: oss.store });
  agent = new BedrockAgentClient({ endpoint: kbEmu.endpoint, credentials, region });
  runtime = new BedrockAgentRuntimeClient({ endpoint: kbEmu.runtimeEndpoint, credentials, region });
});

afterAll(async () => {
  agent?.destroy();
  runtime?.destroy();
  await kbEmu?.stop();
  await oss?.stop();
});

describe('the data plane', () => {
  test('an index is created with its mappings, read back, refused twice, and deleted', async () => {
    expect(await call('PUT', '/plain', mapping(3))).toMatchObject({ status: 200, body: { acknowledged: true, index: 'plain' } });
    const got = await call('GET', '/plain');
    expect(got.body.plain.mappings.properties.vec).toMatchObject({ type: 'knn_vector', dimension: 3 });
    expect(await call('PUT', '/plain', mapping(3))).toMatchObject({ status: 400, body: { error: { type: 'resource_already_exists_exception' } } });
    expect(await call('PUT', '/Bad', mapping(3))).toMatchObject({ status: 400, body: { error: { type: 'invalid_index_name_exception' } } });
    expect(await call('PUT', '/noknn', { mappings: mapping(3).mappings })).toMatchObject({ status: 400, body: { error: { type: 'mapper_parsing_exception' } } });
    expect(await call('DELETE', '/plain')).toMatchObject({ status: 200 });
    expect(await call('GET', '/plain')).toMatchObject({ status: 404, body: { error: { type: 'index_not_found_exception' } } });
    expect((await fetch(`${oss.endpoint}/nosuchcollection/x`)).status).toBe(404);
  });

  test('documents: bulk and single writes, a vector of the wrong dimension refused, knn with a filter, delete by query', async () => {
    await call('PUT', '/docs', mapping(2));
    const lines = [
      { index: { _id: 'a' } }, { vec: [0, 0], AMAZON_BEDROCK_TEXT_CHUNK: 'alpha apples', botId: 'b1' },
      { index: { _id: 'b' } }, { vec: [1, 1], AMAZON_BEDROCK_TEXT_CHUNK: 'bravo bananas', botId: 'b2' },
      { index: { _id: 'c' } }, { vec: [1, 2, 3], AMAZON_BEDROCK_TEXT_CHUNK: 'wrong', botId: 'b1' },
    ].map((l) => JSON.stringify(l)).join('\n') + '\n';
    const bulk = await call('POST', '/docs/_bulk', lines, true);
    expect(bulk.body.errors).toBe(true);
    expect(bulk.body.items.map((i: any) => i.index.status)).toEqual([201, 201, 400]);
    expect(await call('PUT', '/docs/_doc/d', { vec: [0.1, 0], AMAZON_BEDROCK_TEXT_CHUNK: 'delta apples', botId: 'b1' })).toMatchObject({ status: 201, body: { result: 'created' } });
    expect((await call('GET', '/docs/_doc/d')).body._source.botId).toBe('b1');

    const near = await call('POST', '/docs/_search', { size: 5, query: { knn: { vec: { vector: [1, 1], k: 5 } } } });
    expect(near.body.hits.hits.map((h: any) => h._id)).toEqual(['b', 'd', 'a']);
    expect(near.body.hits.hits[0]._score).toBe(1); // l2: 1 / (1 + 0)
    const filtered = await call('POST', '/docs/_search', { query: { knn: { vec: { vector: [1, 1], k: 5, filter: { bool: { filter: [{ term: { botId: 'b1' } }] } } } } } });
    expect(filtered.body.hits.hits.map((h: any) => h._id)).toEqual(['d', 'a']);
    const dimension = await call('POST', '/docs/_search', { query: { knn: { vec: { vector: [1], k: 5 } } } });
    expect(dimension).toMatchObject({ status: 400, body: { error: { type: 'query_shard_exception' } } });

    expect((await call('POST', '/docs/_delete_by_query', { query: { term: { 'botId.keyword': 'b1' } } })).body.deleted).toBe(2);
    expect((await call('POST', '/docs/_search', { query: { match_all: {} } })).body.hits.hits.map((h: any) => h._id)).toEqual(['b']);
  });

  test('hybrid: a keyword match lifts a document the vector alone ranks last; nmslib refuses a filter', async () => {
    await call('PUT', '/hyb', mapping(2));
    await call('PUT', '/hyb/_doc/x', { vec: [0, 0], AMAZON_BEDROCK_TEXT_CHUNK: 'the zebra manual' });
    await call('PUT', '/hyb/_doc/y', { vec: [0.9, 0.9], AMAZON_BEDROCK_TEXT_CHUNK: 'something else' });
    await call('PUT', '/hyb/_doc/z', { vec: [1, 1], AMAZON_BEDROCK_TEXT_CHUNK: 'nothing here' });
    const knn = { knn: { vec: { vector: [1, 1], k: 3 } } };
    expect((await call('POST', '/hyb/_search', { query: knn })).body.hits.hits.map((h: any) => h._id)).toEqual(['z', 'y', 'x']);
    const hybrid = await call('POST', '/hyb/_search', { query: { hybrid: { queries: [{ match: { AMAZON_BEDROCK_TEXT_CHUNK: { query: 'zebra' } } }, knn] } } });
    // x: lexical 1 (the only match) + vector 0 (the farthest) = 0.5; z: 0 + 1 = 0.5; y in between on vectors only
    expect(hybrid.body.hits.hits.map((h: any) => h._id).slice(0, 2).sort()).toEqual(['x', 'z']);
    expect(hybrid.body.hits.hits.find((h: any) => h._id === 'x')._score).toBeCloseTo(0.5);
    expect((await call('POST', '/hyb/_search', { query: { match: { AMAZON_BEDROCK_METADATA: 'x' } } })).status).toBe(400);

    await call('PUT', '/old', mapping(2, 'nmslib'));
    const refused = await call('POST', '/old/_search', { query: { knn: { vec: { vector: [1, 1], k: 3, filter: { term: { botId: 'b1' } } } } } });
    expect(refused).toMatchObject({ status: 400, body: { error: { reason: 'Engine [NMSLIB] does not support filters' } } });
  });
});

describe('the knowledge base on OPENSEARCH_SERVERLESS', () => {
  const create = (name: string, vectorIndexName: string, dimensions = 4) => agent.send(new CreateKnowledgeBaseCommand({
    name,
    roleArn: ROLE,
    knowledgeBaseConfiguration: { type: 'VECTOR', vectorKnowledgeBaseConfiguration: { embeddingModelArn: EMBEDDING, embeddingModelConfiguration: { bedrockEmbeddingModelConfiguration: { dimensions } } } },
    storageConfiguration: { type: 'OPENSEARCH_SERVERLESS', opensearchServerlessConfiguration: { collectionArn, vectorIndexName, fieldMapping: FIELDS } },
  }));

  test('creation is refused for a missing index, a dimension mismatch, a missing text field', async () => {
    await expect(create('missing', 'nope')).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/no such index \[nope\]/) });
    await call('PUT', '/dim8', mapping(8));
    await expect(create('dim', 'dim8')).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/dimension \(8\) is not the embedding model's \(4\)/) });
    const m = mapping(4);
    delete (m.mappings.properties as any).AMAZON_BEDROCK_TEXT_CHUNK;
    await call('PUT', '/notext', m);
    await expect(create('notext', 'notext')).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/text field AMAZON_BEDROCK_TEXT_CHUNK/) });
  });

  test('documents are written into the index; SEMANTIC and HYBRID retrieval filter on the bot; deletion empties the index', async () => {
    await call('PUT', '/shared', mapping(4));
    const knowledgeBaseId = (await create('shared-oss', 'shared')).knowledgeBase!.knowledgeBaseId!;
    const dataSourceId = (await agent.send(new CreateDataSourceCommand({ knowledgeBaseId, name: 'direct', dataSourceConfiguration: { type: 'CUSTOM' } }))).dataSource!.dataSourceId!;
    const doc = (id: string, botId: string, text: string) => ({
      content: { dataSourceType: 'CUSTOM' as const, custom: { customDocumentIdentifier: { id }, sourceType: 'IN_LINE' as const, inlineContent: { type: 'TEXT' as const, textContent: { data: text } } } },
      metadata: { type: 'IN_LINE_ATTRIBUTE' as const, inlineAttributes: [{ key: 'botId', value: { type: 'STRING' as const, stringValue: botId } }] },
    });
    await agent.send(new IngestKnowledgeBaseDocumentsCommand({
      knowledgeBaseId,
      dataSourceId,
      documents: [doc('one', 'bot-1', 'The quokka handbook: feeding quokkas at dawn.'), doc('two', 'bot-2', 'The quokka rules of bot two.'), doc('three', 'bot-1', 'Opening hours of the park.')],
    }));
    await kbEmu.idle();
    const statuses = await agent.send(new GetKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId, documentIdentifiers: ['one', 'two', 'three'].map((id) => ({ dataSourceType: 'CUSTOM' as const, custom: { id } })) }));
    expect(statuses.documentDetails!.map((d) => d.status)).toEqual(['INDEXED', 'INDEXED', 'INDEXED']);
    const stored = await call('POST', '/shared/_search', { size: 10, query: { match_all: {} } });
    expect(stored.body.hits.hits).toHaveLength(3);
    expect(stored.body.hits.hits[0]._source).toMatchObject({
      vec: expect.any(Array), AMAZON_BEDROCK_TEXT_CHUNK: expect.any(String), AMAZON_BEDROCK_METADATA: expect.any(String),
    });

    const retrieve = (searchType: 'HYBRID' | 'SEMANTIC') => runtime.send(new RetrieveCommand({
      knowledgeBaseId,
      retrievalQuery: { text: 'quokka handbook' },
      retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 5, overrideSearchType: searchType, filter: { equals: { key: 'botId', value: 'bot-1' } } } },
    }));
    for (const searchType of ['HYBRID', 'SEMANTIC'] as const) {
      const results = (await retrieve(searchType)).retrievalResults!;
      expect(results.length).toBeGreaterThan(0);
      expect(results.every((r) => r.metadata!.botId === 'bot-1')).toBe(true);
      expect(results[0].content!.text).toContain('quokka handbook');
    }

    await agent.send(new DeleteKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId, documentIdentifiers: ['one', 'two', 'three'].map((id) => ({ dataSourceType: 'CUSTOM' as const, custom: { id } })) }));
    await kbEmu.idle();
    expect((await call('POST', '/shared/_search', { query: { match_all: {} } })).body.hits.hits).toHaveLength(0);
  });
});

test('an nmslib index: the knowledge base is created, but a filtered retrieval is refused (faiss is needed for metadata filtering)', async () => {
  await call('PUT', '/nm', mapping(4, 'nmslib'));
  const created = await agent.send(new CreateKnowledgeBaseCommand({
    name: 'nmslib-kb',
    roleArn: ROLE,
    knowledgeBaseConfiguration: { type: 'VECTOR', vectorKnowledgeBaseConfiguration: { embeddingModelArn: EMBEDDING, embeddingModelConfiguration: { bedrockEmbeddingModelConfiguration: { dimensions: 4 } } } },
    storageConfiguration: { type: 'OPENSEARCH_SERVERLESS', opensearchServerlessConfiguration: { collectionArn, vectorIndexName: 'nm', fieldMapping: FIELDS } },
  }));
  const knowledgeBaseId = created.knowledgeBase!.knowledgeBaseId!;
  const query = (filter?: { equals: { key: string; value: string } }) => runtime.send(new RetrieveCommand({
    knowledgeBaseId, retrievalQuery: { text: 'anything' }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 3, ...(filter ? { filter } : {}) } },
  }));
  expect((await query()).retrievalResults).toEqual([]);
  await expect(query({ equals: { key: 'botId', value: 'b' } })).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/NMSLIB\] does not support filters/) });
});

describe('the local stack from a template', () => {
  const collectionApp = (withPolicy: boolean) => (app: App) => {
    const s = new Stack(app, 'Vectors', { env: { region: 'us-east-1' } });
    const collection = new aoss.CfnCollection(s, 'Collection', { name: 'probe-vectors', type: 'VECTORSEARCH' });
    if (withPolicy) {
      const policy = new aoss.CfnSecurityPolicy(s, 'Encryption', {
        name: 'probe-enc', type: 'encryption', policy: JSON.stringify({ Rules: [{ ResourceType: 'collection', Resource: ['collection/probe-*'] }], AWSOwnedKey: true }),
      });
      collection.addDependency(policy);
    }
    new aoss.CfnIndex(s, 'Index', {
      collectionEndpoint: collection.attrCollectionEndpoint,
      indexName: 'probe-index',
      settings: { index: { knn: true } },
      mappings: { properties: { v: { type: 'knn_vector', dimension: 3, method: { engine: 'faiss', name: 'hnsw', spaceType: 'l2', parameters: { m: 16, efConstruction: 128 } } }, t: { type: 'text' } } },
    });
  };

  test('a collection no encryption policy covers is refused, as AWS refuses to create it', async () => {
    await expect(startLocalStack({ assembly: synthesize(collectionApp(false)), quiet: true })).rejects.toThrow(/probe-vectors .*no encryption policy of the template covers it/);
  });

  test('with a policy: the collection and the index exist, their mapping in OpenSearch\'s names, reachable at the data plane', async () => {
    const stack = await startLocalStack({ assembly: synthesize(collectionApp(true)), quiet: true });
    try {
      const line = stack.summary.find((l) => l.startsWith('OpenSearch Serverless index probe-index of '))!;
      const collectionId = line.split(' ').pop()!;
      const res = await fetch(`${stack.knowledge!.opensearchEndpoint}/${collectionId}/probe-index`);
      expect(res.status).toBe(200);
      const body = await res.json() as any;
      expect(body['probe-index'].mappings.properties).toEqual({
        v: { type: 'knn_vector', dimension: 3, method: { engine: 'faiss', name: 'hnsw', space_type: 'l2', parameters: { ef_construction: 128, m: 16 } } },
        t: { type: 'text' },
      });
      expect(body['probe-index'].settings).toEqual({ index: { knn: true } });
    } finally {
      await stack.stop();
    }
  });
});
