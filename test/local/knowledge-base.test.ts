// The local knowledge base over the wire: the real @aws-sdk/client-bedrock-agent, -bedrock-agent-runtime and
// -s3vectors clients against the emulators.
import {
  BedrockAgentClient, CreateDataSourceCommand, CreateKnowledgeBaseCommand, DeleteDataSourceCommand, DeleteKnowledgeBaseCommand,
  DeleteKnowledgeBaseDocumentsCommand, GetDataSourceCommand, GetIngestionJobCommand, GetKnowledgeBaseCommand,
  GetKnowledgeBaseDocumentsCommand, IngestKnowledgeBaseDocumentsCommand, ListKnowledgeBaseDocumentsCommand,
  StartIngestionJobCommand, type KnowledgeBaseDocument,
} from '@aws-sdk/client-bedrock-agent';
import { BedrockAgentRuntimeClient, RetrieveCommand, type RetrievalFilter } from '@aws-sdk/client-bedrock-agent-runtime';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateIndexCommand, CreateVectorBucketCommand, DeleteVectorsCommand, GetIndexCommand, ListVectorsCommand, PutVectorsCommand, QueryVectorsCommand, S3VectorsClient } from '@aws-sdk/client-s3vectors';
import * as fc from 'fast-check';
import { credentials, region, useDummyAwsEnv } from './env';
import { docxBomb, docxWithParagraphs, pdfBomb, pdfWithPages } from './kb-fixtures';
import { chunkDocument } from '../../src/local/emulators/kb-chunk';
import { s3Reader, startKnowledgeBaseEmulator, type KnowledgeBaseEmulator } from '../../src/local/emulators/knowledge-base';
import { startS3, type S3Emulator } from '../../src/local/emulators/s3';
import { startS3VectorsEmulator, type S3VectorsEmulator } from '../../src/local/emulators/s3-vectors';

useDummyAwsEnv();

let vectors: S3VectorsEmulator;
let kbEmu: KnowledgeBaseEmulator;
let s3: S3Emulator;
let s3Client: S3Client;
let agent: BedrockAgentClient;
let runtime: BedrockAgentRuntimeClient;
let s3v: S3VectorsClient;
let knowledgeBaseId: string;
let customId: string;
let indexArn: string;
let bucketArn: string;

const EMBEDDING = 'arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0';
const ROLE = 'arn:aws:iam::000000000000:role/kb';

beforeAll(async () => {
  vectors = await startS3VectorsEmulator();
  s3 = await startS3({ buckets: ['docs'] });
  s3Client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, credentials, region });
  const parseLimits = { timeoutMs: 4_000, maxHeapMb: 64, maxPages: 20 };
  kbEmu = await startKnowledgeBaseEmulator({ vectors: vectors.store, s3: s3Reader(s3Client), parseLimits });
  agent = new BedrockAgentClient({ endpoint: kbEmu.endpoint, credentials, region });
  runtime = new BedrockAgentRuntimeClient({ endpoint: kbEmu.runtimeEndpoint, credentials, region });
  s3v = new S3VectorsClient({ endpoint: vectors.endpoint, credentials, region });

  bucketArn = (await s3v.send(new CreateVectorBucketCommand({ vectorBucketName: 'kb-vectors' }))).vectorBucketArn!;
  indexArn = (await s3v.send(new CreateIndexCommand({
    vectorBucketArn: bucketArn,
    indexName: 'shared',
    dataType: 'float32',
    dimension: 1024,
    distanceMetric: 'cosine',
    metadataConfiguration: { nonFilterableMetadataKeys: ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] },
  }))).indexArn!;
  const created = await agent.send(new CreateKnowledgeBaseCommand({
    name: 'shared-kb',
    roleArn: ROLE,
    knowledgeBaseConfiguration: { type: 'VECTOR', vectorKnowledgeBaseConfiguration: { embeddingModelArn: EMBEDDING, embeddingModelConfiguration: { bedrockEmbeddingModelConfiguration: { dimensions: 1024 } } } },
    storageConfiguration: { type: 'S3_VECTORS', s3VectorsConfiguration: { indexArn } },
  }));
  knowledgeBaseId = created.knowledgeBase!.knowledgeBaseId!;
  expect(created.knowledgeBase!.status).toBe('CREATING');
  expect(created.knowledgeBase!.createdAt).toBeInstanceOf(Date);
  customId = (await agent.send(new CreateDataSourceCommand({
    knowledgeBaseId,
    name: 'uploads',
    dataSourceConfiguration: { type: 'CUSTOM' },
    vectorIngestionConfiguration: { chunkingConfiguration: { chunkingStrategy: 'FIXED_SIZE', fixedSizeChunkingConfiguration: { maxTokens: 40, overlapPercentage: 10 } } },
  }))).dataSource!.dataSourceId!;
});

afterAll(async () => {
  agent.destroy();
  runtime.destroy();
  s3v.destroy();
  s3Client.destroy();
  await kbEmu.stop();
  await vectors.stop();
  await s3.stop();
});

const text = (id: string, data: string, attrs: Record<string, string> = {}): KnowledgeBaseDocument => ({
  content: { dataSourceType: 'CUSTOM', custom: { customDocumentIdentifier: { id }, sourceType: 'IN_LINE', inlineContent: { type: 'TEXT', textContent: { data } } } },
  metadata: Object.keys(attrs).length ? { type: 'IN_LINE_ATTRIBUTE', inlineAttributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { type: 'STRING', stringValue: v } })) } : undefined,
});
const bytes = (id: string, data: Buffer, mimeType: string, attrs: Record<string, string> = {}): KnowledgeBaseDocument => ({
  content: { dataSourceType: 'CUSTOM', custom: { customDocumentIdentifier: { id }, sourceType: 'IN_LINE', inlineContent: { type: 'BYTE', byteContent: { mimeType, data } } } },
  metadata: Object.keys(attrs).length ? { type: 'IN_LINE_ATTRIBUTE', inlineAttributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { type: 'STRING', stringValue: v } })) } : undefined,
});

async function ingest(...documents: KnowledgeBaseDocument[]) {
  const r = await agent.send(new IngestKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId: customId, documents }));
  await kbEmu.idle();
  return r;
}

async function statusOf(id: string) {
  const r = await agent.send(new GetKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId: customId, documentIdentifiers: [{ dataSourceType: 'CUSTOM', custom: { id } }] }));
  return r.documentDetails![0];
}

const retrieve = (query: string, filter?: RetrievalFilter, numberOfResults = 5) => runtime.send(new RetrieveCommand({
  knowledgeBaseId, retrievalQuery: { text: query }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults, filter } },
}));

test('the knowledge base becomes ACTIVE and keeps its storage configuration', async () => {
  await new Promise((r) => setTimeout(r, 30));
  const kb = (await agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId }))).knowledgeBase!;
  expect(kb.status).toBe('ACTIVE');
  expect(kb.storageConfiguration).toEqual({ type: 'S3_VECTORS', s3VectorsConfiguration: { indexArn } });
  const ds = (await agent.send(new GetDataSourceCommand({ knowledgeBaseId, dataSourceId: customId }))).dataSource!;
  expect(ds).toMatchObject({ status: 'AVAILABLE', dataDeletionPolicy: 'DELETE', dataSourceConfiguration: { type: 'CUSTOM' } });
});

test('a knowledge base on a missing index, or with the wrong dimension, is refused', async () => {
  const base = { name: 'bad', roleArn: ROLE, knowledgeBaseConfiguration: { type: 'VECTOR' as const, vectorKnowledgeBaseConfiguration: { embeddingModelArn: EMBEDDING, embeddingModelConfiguration: { bedrockEmbeddingModelConfiguration: { dimensions: 256 } } } } };
  await expect(agent.send(new CreateKnowledgeBaseCommand({ ...base, storageConfiguration: { type: 'S3_VECTORS', s3VectorsConfiguration: { indexArn: `${bucketArn}/index/missing` } } })))
    .rejects.toMatchObject({ name: 'ValidationException' });
  await expect(agent.send(new CreateKnowledgeBaseCommand({ ...base, storageConfiguration: { type: 'S3_VECTORS', s3VectorsConfiguration: { indexArn } } })))
    .rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('dimension') });
});

test('text ingested directly is STARTING, then INDEXED, and retrievable filtered by bot', async () => {
  const r = await ingest(text('bot-a/handbook.md', '# Holidays\nEmployees get thirty days of paid holiday every year.', { botId: 'a', ownerId: 'alice' }));
  expect(r.documentDetails![0]).toMatchObject({ status: 'STARTING', identifier: { dataSourceType: 'CUSTOM', custom: { id: 'bot-a/handbook.md' } } });
  expect(await statusOf('bot-a/handbook.md')).toMatchObject({ status: 'INDEXED' });
  const got = await retrieve('how many holiday days', { equals: { key: 'botId', value: 'a' } });
  expect(got.retrievalResults).toHaveLength(1);
  const hit = got.retrievalResults![0];
  expect(hit.content?.text).toContain('thirty days of paid holiday');
  expect(hit.location).toEqual({ type: 'CUSTOM', customDocumentLocation: { id: 'bot-a/handbook.md' } });
  expect(hit.metadata).toMatchObject({ 'botId': 'a', 'ownerId': 'alice', 'x-amz-bedrock-kb-data-source-id': customId });
  expect(hit.score).toBeGreaterThan(0);
  expect(hit.score).toBeLessThan(1);
  expect((await retrieve('how many holiday days', { equals: { key: 'botId', value: 'b' } })).retrievalResults).toEqual([]);
});

test('the document\'s vectors are in the S3 Vectors index with Bedrock\'s metadata, and go with the document', async () => {
  await ingest(text('bot-v/doc', 'Vectors live in the shared index.', { botId: 'v' }));
  const listed = await s3v.send(new ListVectorsCommand({ indexArn, returnMetadata: true }));
  const mine = listed.vectors!.filter((v) => (v.metadata as any)?.botId === 'v');
  expect(mine.length).toBe(1);
  expect(mine[0].metadata).toMatchObject({ 'AMAZON_BEDROCK_TEXT': 'Vectors live in the shared index.', 'x-amz-bedrock-kb-data-source-id': customId });
  const q = await s3v.send(new QueryVectorsCommand({ indexArn, topK: 3, queryVector: { float32: new Array(1024).fill(0).map((_, i) => (i === 0 ? 1 : 0)) }, filter: { botId: 'v' }, returnMetadata: true }));
  expect(q.vectors!.map((v) => v.key)).toEqual([mine[0].key]);
  const del = await agent.send(new DeleteKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId: customId, documentIdentifiers: [{ dataSourceType: 'CUSTOM', custom: { id: 'bot-v/doc' } }] }));
  expect(del.documentDetails![0].status).toBe('DELETING');
  const after = await s3v.send(new ListVectorsCommand({ indexArn, returnMetadata: true }));
  expect(after.vectors!.filter((v) => (v.metadata as any)?.botId === 'v')).toEqual([]);
  expect(await statusOf('bot-v/doc')).toMatchObject({ status: 'NOT_FOUND' });
  expect((await retrieve('vectors shared index', { equals: { key: 'botId', value: 'v' } })).retrievalResults).toEqual([]);
});

test('PDF, DOCX and HTML are parsed; a PDF chunk carries its page number', async () => {
  const pdf = pdfWithPages(['Introduction to the product', 'The warranty lasts five years from purchase']);
  const docx = await docxWithParagraphs(['Expense reports are due by the fifth working day.']);
  const html = Buffer.from('<html><head><title>Parking</title><script>var secret = "tokenXYZ";</script></head><body><p>Visitors park on level minus two.</p></body></html>');
  await ingest(
    bytes('p.pdf', pdf, 'application/pdf', { botId: 'docs' }),
    bytes('e.docx', docx, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', { botId: 'docs' }),
    bytes('h.html', html, 'text/html', { botId: 'docs' }),
  );
  for (const id of ['p.pdf', 'e.docx', 'h.html']) expect(await statusOf(id)).toMatchObject({ status: 'INDEXED' });
  const only = { equals: { key: 'botId', value: 'docs' } };
  const w = (await retrieve('warranty years', only)).retrievalResults![0];
  expect(w.content?.text).toContain('warranty lasts five years');
  expect(w.metadata?.['x-amz-bedrock-kb-document-page-number']).toBe(2);
  expect((await retrieve('expense reports due', only)).retrievalResults![0].content?.text).toContain('fifth working day');
  expect((await retrieve('visitors park', only)).retrievalResults![0].content?.text).toContain('level minus two');
  expect((await retrieve('tokenXYZ secret', only)).retrievalResults).toEqual([]);
});

test('bad documents FAIL with a reason; bad requests are ValidationExceptions and write nothing', async () => {
  await ingest(bytes('bad.pdf', Buffer.from('not a pdf at all'), 'application/pdf'));
  expect(await statusOf('bad.pdf')).toMatchObject({ status: 'FAILED', statusReason: expect.stringContaining('PDF') });
  await ingest(bytes('sheet.xlsx', Buffer.from('PK..'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'));
  expect(await statusOf('sheet.xlsx')).toMatchObject({ status: 'FAILED', statusReason: expect.stringContaining('not a format') });
  const many = pdfWithPages(Array.from({ length: 25 }, (_, i) => `page ${i}`));
  await ingest(bytes('many.pdf', many, 'application/pdf'));
  expect(await statusOf('many.pdf')).toMatchObject({ status: 'FAILED', statusReason: expect.stringContaining('at most 20') });

  const before = (await agent.send(new ListKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId: customId }))).documentDetails!.length;
  const refused = async (documents: KnowledgeBaseDocument[], message: string) => {
    await expect(agent.send(new IngestKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId: customId, documents })))
      .rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining(message), $metadata: { httpStatusCode: 400 } });
  };
  await refused([bytes('z.png', Buffer.from('x'), 'image/png')], 'not a supported MIME type');
  await refused([text('ok', 'fine'), bytes('zero', Buffer.alloc(0), 'application/pdf')], 'byteContent.data');
  await refused([text('big', 'x'.repeat(5_242_881))], '5242880');
  await refused([text('x'.repeat(2049), 'hostile')], '2048');
  await refused(Array.from({ length: 26 }, (_, i) => text(`n${i}`, 'x')), '25');
  await refused([text('meta', 'x', Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])))], '50');
  await refused([{ content: { dataSourceType: 'S3', s3: { s3Location: { uri: 's3://docs/a.txt' } } } }], 'does not match');
  await refused([text('reserved', 'x', { 'x-amz-bedrock-kb-source-uri': 'forged' })], 'reserved');
  const after = (await agent.send(new ListKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId: customId }))).documentDetails!.length;
  expect(after).toBe(before);
  expect(await statusOf('ok')).toMatchObject({ status: 'NOT_FOUND' });
});

test('hostile names are identifiers, not paths', async () => {
  const names = ['../../etc/passwd', 'C:\\Windows\\system.ini', '<script>alert(1)</script>.md', 'név with spaces ✓.txt', '%2e%2e%2f'];
  await ingest(...names.map((n) => text(n, `The name ${n.length} is harmless`, { botId: 'hostile' })));
  for (const n of names) expect(await statusOf(n)).toMatchObject({ status: 'INDEXED', identifier: { custom: { id: n } } });
  const got = await retrieve('harmless name', { equals: { key: 'botId', value: 'hostile' } }, 10);
  expect(got.retrievalResults!.map((r) => r.location?.customDocumentLocation?.id).sort()).toEqual([...names].sort());
});

test('a DOCX bomb fails within the parser\'s bounds', async () => {
  await ingest(bytes('bomb.docx', docxBomb(200), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'));
  expect(await statusOf('bomb.docx')).toMatchObject({ status: 'FAILED', statusReason: expect.stringMatching(/longer than|more than 64 MB|exceeds/) });
});

test('a PDF bomb fails within the parser\'s bounds, and the knowledge base goes on', async () => {
  const bomb = pdfBomb(150);
  expect(bomb.length).toBeLessThan(1024 * 1024);
  await ingest(bytes('bomb.pdf', bomb, 'application/pdf'));
  expect(await statusOf('bomb.pdf')).toMatchObject({ status: 'FAILED', statusReason: expect.stringMatching(/longer than|more than 64 MB|exceeds|could not be parsed/) });
  await ingest(text('after-bomb', 'still answering after the bomb', { botId: 'after' }));
  expect((await retrieve('still answering', { equals: { key: 'botId', value: 'after' } })).retrievalResults).toHaveLength(1);
});

test('filterable metadata over 2 KB is refused by the S3 Vectors index: the document FAILS', async () => {
  await ingest(text('fat', 'too much metadata', { botId: 'fat', blob: 'x'.repeat(2100) }));
  expect(await statusOf('fat')).toMatchObject({ status: 'FAILED', statusReason: expect.stringContaining('2 KB') });
});

test('RetrievalFilter: in, andAll, orAll, notEquals, numberOfResults, and invalid filters', async () => {
  await ingest(
    text('f1', 'quarterly revenue report alpha', { botId: 'f1', team: 'sales' }),
    text('f2', 'quarterly revenue report beta', { botId: 'f2', team: 'sales' }),
    text('f3', 'quarterly revenue report gamma', { botId: 'f3', team: 'ops' }),
  );
  const ids = async (filter: RetrievalFilter, n = 10) => (await retrieve('quarterly revenue report', filter, n)).retrievalResults!.map((r) => r.location!.customDocumentLocation!.id).sort();
  expect(await ids({ in: { key: 'botId', value: ['f1', 'f3'] } })).toEqual(['f1', 'f3']);
  expect(await ids({ andAll: [{ equals: { key: 'team', value: 'sales' } }, { notEquals: { key: 'botId', value: 'f1' } }] })).toEqual(['f2']);
  expect(await ids({ orAll: [{ equals: { key: 'botId', value: 'f1' } }, { equals: { key: 'team', value: 'ops' } }] })).toEqual(['f1', 'f3']);
  expect((await ids({ in: { key: 'botId', value: ['f1', 'f2', 'f3'] } }, 2)).length).toBe(2);
  for (const bad of [{ andAll: [{ equals: { key: 'botId', value: 'f1' } }] }, { stringContains: { key: 'botId', value: 'f' } }, {}, { equals: { key: 'botId', value: 'f1' }, in: { key: 'botId', value: ['f1'] } }]) {
    await expect(retrieve('quarterly', bad as RetrievalFilter)).rejects.toMatchObject({ name: 'ValidationException' });
  }
  await expect(retrieve('quarterly', undefined, 101)).rejects.toMatchObject({ name: 'ValidationException' });
});

test('bad input, as a property: any request with one malformed document is a ValidationException and writes nothing', async () => {
  const { dataSource } = await agent.send(new CreateDataSourceCommand({ knowledgeBaseId, name: 'badinput', dataSourceConfiguration: { type: 'CUSTOM' } }));
  const dataSourceId = dataSource!.dataSourceId!;
  const custom = (id: string, inlineContent: unknown, metadata?: unknown) => ({
    content: { dataSourceType: 'CUSTOM', custom: { customDocumentIdentifier: { id }, sourceType: 'IN_LINE', inlineContent } },
    ...(metadata ? { metadata } : {}),
  });
  const bad = fc.oneof(
    fc.constant(custom('x', { type: 'TEXT', textContent: { data: '' } })),
    fc.constant(custom('', { type: 'TEXT', textContent: { data: 'x' } })),
    fc.string({ minLength: 2049, maxLength: 2100 }).map((id) => custom(id, { type: 'TEXT', textContent: { data: 'x' } })),
    fc.constantFrom('image/png', 'application/zip', 'text/markdown', 'application/x-msdownload', 'nonsense').map((m) => custom('b', { type: 'BYTE', byteContent: { mimeType: m, data: Buffer.from('x') } })),
    fc.constant(custom('y', { type: 'VIDEO' })),
    fc.string({ minLength: 201, maxLength: 220 }).map((k) => custom('k', { type: 'TEXT', textContent: { data: 'x' } }, { type: 'IN_LINE_ATTRIBUTE', inlineAttributes: [{ key: k, value: { type: 'STRING', stringValue: 'v' } }] })),
    fc.constantFrom('x-amz-bedrock-kb-source-uri', 'AMAZON_BEDROCK_TEXT').map((k) => custom('r', { type: 'TEXT', textContent: { data: 'x' } }, { type: 'IN_LINE_ATTRIBUTE', inlineAttributes: [{ key: k, value: { type: 'STRING', stringValue: 'v' } }] })),
    fc.constant(custom('n', { type: 'TEXT', textContent: { data: 'x' } }, { type: 'IN_LINE_ATTRIBUTE', inlineAttributes: [{ key: 'n', value: { type: 'NUMBER', stringValue: 'not a number' } }] })),
    fc.constant({ content: { dataSourceType: 'S3', s3: { s3Location: { uri: 's3://docs/x.txt' } } } }),
  );
  const good = fc.string({ minLength: 1, maxLength: 40 }).map((id) => custom(`good-${id}`, { type: 'TEXT', textContent: { data: 'a good document' } }));
  await fc.assert(fc.asyncProperty(fc.array(good, { maxLength: 5 }), bad, fc.nat(), async (goods, worst, at) => {
    const documents: unknown[] = [...goods];
    documents.splice(at % (goods.length + 1), 0, worst);
    const request = { knowledgeBaseId, dataSourceId, documents: documents as KnowledgeBaseDocument[] };
    await expect(agent.send(new IngestKnowledgeBaseDocumentsCommand(request)))
      .rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    const listed = await agent.send(new ListKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId }));
    expect(listed.documentDetails).toEqual([]);
  }), { numRuns: 60 });
});

test('isolation: over random bots and documents, a bot retrieves only its own chunks', async () => {
  const { dataSource } = await agent.send(new CreateDataSourceCommand({ knowledgeBaseId, name: 'isolation', dataSourceConfiguration: { type: 'CUSTOM' } }));
  const words = ['apple', 'river', 'stone', 'cloud', 'ember', 'maple', 'quartz'];
  let run = 0;
  await fc.assert(fc.asyncProperty(
    fc.array(fc.record({ bot: fc.constantFrom('t1', 't2', 't3'), words: fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 6 }) }), { minLength: 1, maxLength: 8 }),
    fc.constantFrom('t1', 't2', 't3'),
    fc.constantFrom(...words),
    async (docs, asker, query) => {
      run++;
      const documents = docs.map((d, i) => text(`r${run}-${i}`, d.words.join(' '), { botId: `${run}-${d.bot}` }));
      await agent.send(new IngestKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId: dataSource!.dataSourceId!, documents }));
      await kbEmu.idle();
      const got = await retrieve(query, { equals: { key: 'botId', value: `${run}-${asker}` } }, 100);
      for (const r of got.retrievalResults!) expect(r.metadata!.botId).toBe(`${run}-${asker}`);
      const expected = docs.filter((d) => d.bot === asker && d.words.includes(query)).length;
      expect(got.retrievalResults!.length).toBe(expected);
    },
  ), { numRuns: 25 });
  await agent.send(new DeleteDataSourceCommand({ knowledgeBaseId, dataSourceId: dataSource!.dataSourceId! }));
  expect((await retrieve('apple river stone cloud ember maple quartz', { startsWith: { key: 'botId', value: '1-' } }, 100)).retrievalResults).toEqual([]);
});

test('an S3 data source syncs by ingestion job: statistics, metadata files, per-document failures, one job at a time, incremental', async () => {
  const put = (Key: string, Body: string | Buffer) => s3Client.send(new PutObjectCommand({ Bucket: 'docs', Key, Body }));
  await put('kb/guide.txt', 'The cafeteria opens at eight.');
  await put('kb/guide.txt.metadata.json', JSON.stringify({ metadataAttributes: { botId: 'bulk', year: 2026 } }));
  await put('kb/photo.gif', 'GIF89a');
  await put('kb/empty.md', Buffer.alloc(0));
  await put('kb/manual.pdf', pdfWithPages(['Reset the router by holding the button.']));
  const { dataSource } = await agent.send(new CreateDataSourceCommand({
    knowledgeBaseId, name: 'bulk', dataSourceConfiguration: { type: 'S3', s3Configuration: { bucketArn: 'arn:aws:s3:::docs', inclusionPrefixes: ['kb/'] } },
  }));
  const dataSourceId = dataSource!.dataSourceId!;
  const start = () => agent.send(new StartIngestionJobCommand({ knowledgeBaseId, dataSourceId }));
  const job = (await start()).ingestionJob!;
  expect(job.status).toBe('STARTING');
  await expect(start()).rejects.toMatchObject({ name: 'ConflictException' });
  await kbEmu.idle();
  const done = (await agent.send(new GetIngestionJobCommand({ knowledgeBaseId, dataSourceId, ingestionJobId: job.ingestionJobId! }))).ingestionJob!;
  expect(done.status).toBe('COMPLETE');
  expect(done.statistics).toMatchObject({
    numberOfDocumentsScanned: 4, numberOfMetadataDocumentsScanned: 1, numberOfNewDocumentsIndexed: 2, numberOfDocumentsFailed: 2,
  });
  expect([...done.failureReasons!].sort()).toEqual(['s3://docs/kb/empty.md: The document is empty (0 bytes).', 's3://docs/kb/photo.gif: The file type is not supported.']);
  const hit = (await retrieve('cafeteria opens', { andAll: [{ equals: { key: 'botId', value: 'bulk' } }, { greaterThanOrEquals: { key: 'year', value: 2026 } }] })).retrievalResults![0];
  expect(hit.location).toEqual({ type: 'S3', s3Location: { uri: 's3://docs/kb/guide.txt' } });
  expect(hit.metadata?.['x-amz-bedrock-kb-source-uri']).toBe('s3://docs/kb/guide.txt');

  // incremental: a changed metadata file, a changed document, a deleted document
  await put('kb/guide.txt.metadata.json', JSON.stringify({ metadataAttributes: { botId: 'bulk2', year: 2026 } }));
  await put('kb/manual.pdf', pdfWithPages(['Reset the router by unplugging it.']));
  await s3Client.send(new DeleteObjectCommand({ Bucket: 'docs', Key: 'kb/photo.gif' }));
  const second = (await start()).ingestionJob!;
  await kbEmu.idle();
  const s2 = (await agent.send(new GetIngestionJobCommand({ knowledgeBaseId, dataSourceId, ingestionJobId: second.ingestionJobId! }))).ingestionJob!;
  expect(s2.statistics).toMatchObject({ numberOfMetadataDocumentsModified: 1, numberOfModifiedDocumentsIndexed: 1, numberOfNewDocumentsIndexed: 0 });
  expect((await retrieve('cafeteria', { equals: { key: 'botId', value: 'bulk' } })).retrievalResults).toEqual([]);
  expect((await retrieve('cafeteria', { equals: { key: 'botId', value: 'bulk2' } })).retrievalResults).toHaveLength(1);
  expect((await retrieve('router', { equals: { key: 'x-amz-bedrock-kb-data-source-id', value: dataSourceId } })).retrievalResults![0].content?.text).toContain('unplugging');
  // inline documents are refused by an S3 data source
  await expect(agent.send(new IngestKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId, documents: [text('x', 'y')] })))
    .rejects.toMatchObject({ name: 'ValidationException' });
});

test('chunking strategies: FIXED_SIZE overlaps, HIERARCHICAL returns parents, SEMANTIC breaks at topic changes, NONE keeps one chunk', () => {
  const words = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
  const fixed = chunkDocument([words], { chunkingStrategy: 'FIXED_SIZE', fixedSizeChunkingConfiguration: { maxTokens: 30, overlapPercentage: 20 } });
  expect(fixed.length).toBe(4);
  expect(fixed[1].text.startsWith('w24 ')).toBe(true);
  const hier = chunkDocument([words], { chunkingStrategy: 'HIERARCHICAL', hierarchicalChunkingConfiguration: { levelConfigurations: [{ maxTokens: 50 }, { maxTokens: 10 }], overlapTokens: 2 } });
  expect(hier.every((c) => c.returnedText.includes(c.text))).toBe(true);
  expect(new Set(hier.map((c) => c.returnedId)).size).toBeLessThan(hier.length);
  const topics = 'Cats purr. Cats nap. Cats purr and nap. Rockets launch. Rockets orbit. Rockets launch and orbit.';
  const sem = chunkDocument([topics], { chunkingStrategy: 'SEMANTIC', semanticChunkingConfiguration: { maxTokens: 100, bufferSize: 0, breakpointPercentileThreshold: 80 } });
  expect(sem.map((c) => c.text)).toEqual(['Cats purr. Cats nap. Cats purr and nap.', 'Rockets launch. Rockets orbit. Rockets launch and orbit.']);
  expect(chunkDocument([words], { chunkingStrategy: 'NONE' })).toHaveLength(1);
});

test('a data source with invalid chunking is refused', async () => {
  await expect(agent.send(new CreateDataSourceCommand({
    knowledgeBaseId,
    name: 'badchunks',
    dataSourceConfiguration: { type: 'CUSTOM' },
    vectorIngestionConfiguration: { chunkingConfiguration: { chunkingStrategy: 'SEMANTIC', semanticChunkingConfiguration: { maxTokens: 100, bufferSize: 3, breakpointPercentileThreshold: 95 } } },
  }))).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('bufferSize') });
});

test('S3 Vectors limits and errors over the wire', async () => {
  const idx = (await s3v.send(new GetIndexCommand({ indexArn }))).index!;
  expect(idx).toMatchObject({ dimension: 1024, distanceMetric: 'cosine', metadataConfiguration: { nonFilterableMetadataKeys: ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] } });
  expect(idx.creationTime).toBeInstanceOf(Date);
  await expect(s3v.send(new PutVectorsCommand({ indexArn, vectors: [{ key: 'k', data: { float32: [1, 2] } }] }))).rejects.toMatchObject({ name: 'ValidationException' });
  await expect(s3v.send(new QueryVectorsCommand({ indexArn, topK: 101, queryVector: { float32: new Array(1024).fill(1) } }))).rejects.toMatchObject({ name: 'ValidationException' });
  await expect(s3v.send(new GetIndexCommand({ vectorBucketName: 'kb-vectors', indexName: 'nope' }))).rejects.toMatchObject({ name: 'NotFoundException' });
  await expect(s3v.send(new CreateVectorBucketCommand({ vectorBucketName: 'kb-vectors' }))).rejects.toMatchObject({ name: 'ConflictException' });
  await expect(s3v.send(new DeleteVectorsCommand({ indexArn, keys: [] }))).rejects.toMatchObject({ name: 'ValidationException' });
});

test('content and metadata are given the same way: a document in S3 takes its metadata file from S3 (read when indexed); mixing the two ways is refused', async () => {
  const put = (Key: string, Body: string) => s3Client.send(new PutObjectCommand({ Bucket: 'docs', Key, Body }));
  await put('direct/harbour.txt', 'The harbour ferry leaves at seven.');
  await put('direct/harbour.txt.metadata.json', JSON.stringify({ metadataAttributes: { botId: 'same-way', documentName: 'harbour.txt' } }));
  const inS3 = (id: string, metadata: KnowledgeBaseDocument['metadata']): KnowledgeBaseDocument => ({
    content: { dataSourceType: 'CUSTOM', custom: { customDocumentIdentifier: { id }, sourceType: 'S3_LOCATION', s3Location: { uri: 's3://docs/direct/harbour.txt' } } },
    metadata,
  });
  const send = (documents: KnowledgeBaseDocument[]) => agent.send(
    new IngestKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId: customId, documents }),
  );
  const refused = (documents: KnowledgeBaseDocument[]) => expect(send(documents))
    .rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('defined with the same method') });
  await refused([inS3('mixed-1', { type: 'IN_LINE_ATTRIBUTE', inlineAttributes: [{ key: 'botId', value: { type: 'STRING', stringValue: 'same-way' } }] })]);
  await refused([{ ...text('mixed-2', 'inline text'), metadata: { type: 'S3_LOCATION', s3Location: { uri: 's3://docs/direct/harbour.txt.metadata.json' } } }]);
  expect(await statusOf('mixed-1')).toMatchObject({ status: 'NOT_FOUND' });

  await ingest(inS3('harbour', { type: 'S3_LOCATION', s3Location: { uri: 's3://docs/direct/harbour.txt.metadata.json' } }));
  expect(await statusOf('harbour')).toMatchObject({ status: 'INDEXED' });
  const hit = (await retrieve('harbour ferry', { equals: { key: 'botId', value: 'same-way' } })).retrievalResults![0];
  expect(hit.metadata).toMatchObject({ botId: 'same-way', documentName: 'harbour.txt' });
  // a metadata file that is not there: the document fails with the reason
  await ingest(inS3('harbour-2', { type: 'S3_LOCATION', s3Location: { uri: 's3://docs/direct/missing.metadata.json' } }));
  expect(await statusOf('harbour-2')).toMatchObject({ status: 'FAILED', statusReason: expect.stringContaining('missing.metadata.json could not be read') });
});

test('deleting the knowledge base removes its documents\' vectors', async () => {
  const before = (await s3v.send(new ListVectorsCommand({ indexArn }))).vectors!.length;
  expect(before).toBeGreaterThan(0);
  await agent.send(new DeleteKnowledgeBaseCommand({ knowledgeBaseId }));
  expect((await s3v.send(new ListVectorsCommand({ indexArn }))).vectors).toEqual([]);
  await expect(agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
});
