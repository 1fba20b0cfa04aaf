/**
 * The worker's small Retrieve client (src/lambdas/wiring/retrieve-client.ts) over the wire: against the local
 * knowledge base (src/local/emulators/knowledge-base.ts, its HTTP/2 runtime port, as the SDK's client reaches it) it
 * gets exactly what `@aws-sdk/client-bedrock-agent-runtime` gets for the same request, filtered on the bot, with
 * the page of a PDF passage; errors carry the SDK's names and statuses; throttling is retried; the request is
 * signed for the `bedrock` service of the Region.
 */
import * as http2 from 'node:http2';
import { BedrockAgentClient, IngestKnowledgeBaseDocumentsCommand } from '@aws-sdk/client-bedrock-agent';
import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { PAGE_METADATA_KEY, sourcesOf } from '../../src/lambdas/core/retrieval';
import { Sha256 } from '../../src/lambdas/wiring/aws-signing';
import { HttpHandler, RetrieveClient, RetrieveInput } from '../../src/lambdas/wiring/retrieve-client';
import { KnowledgeBaseEmulator, startKnowledgeBaseEmulator } from '../../src/local/emulators/knowledge-base';
import { listenLoopback } from '../../src/local/emulators/util';
import { pdfWithPages } from '../local/kb-fixtures';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'us-east-1';
const KB = 'KBRETRIEVE';
const DS = 'DSDIRECT01';

/** An SDK client's HTTP/2 handler, as the worker passes its Bedrock Runtime client's. */
const handlerOf = (client: BedrockRuntimeClient) => client.config.requestHandler as unknown as HttpHandler;

let emu: KnowledgeBaseEmulator;
let small: RetrieveClient;
let sdk: BedrockAgentRuntimeClient;

const attrs = (botId: string, documentId: string, documentName: string) => ({
  type: 'IN_LINE_ATTRIBUTE' as const,
  inlineAttributes: Object.entries({ botId, ownerId: 'alice', documentId, documentName })
    .map(([key, stringValue]) => ({ key, value: { type: 'STRING' as const, stringValue } })),
});

beforeAll(async () => {
  emu = await startKnowledgeBaseEmulator({ region });
  emu.addKnowledgeBase({
    knowledgeBaseId: KB,
    name: 'shared',
    roleArn: 'arn:aws:iam::000000000000:role/kb',
    knowledgeBaseConfiguration: { type: 'VECTOR', vectorKnowledgeBaseConfiguration: { embeddingModelArn: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0' } },
    storageConfiguration: { type: 'OPENSEARCH_SERVERLESS' },
  });
  emu.addDataSource({ knowledgeBaseId: KB, dataSourceId: DS, name: 'direct', dataSourceConfiguration: { type: 'CUSTOM' } });
  const agent = new BedrockAgentClient({ endpoint: emu.endpoint, region, credentials });
  await agent.send(new IngestKnowledgeBaseDocumentsCommand({
    knowledgeBaseId: KB,
    dataSourceId: DS,
    documents: [
      {
        content: { dataSourceType: 'CUSTOM', custom: { customDocumentIdentifier: { id: 'bot-a/d1' }, sourceType: 'IN_LINE', inlineContent: { type: 'TEXT', textContent: { data: 'Refunds are accepted within 30 days of purchase.' } } } },
        metadata: attrs('bot-a', 'd1', 'refunds.md'),
      },
      {
        content: {
          dataSourceType: 'CUSTOM',
          custom: {
            customDocumentIdentifier: { id: 'bot-a/d2' },
            sourceType: 'IN_LINE',
            inlineContent: { type: 'BYTE', byteContent: { mimeType: 'application/pdf', data: pdfWithPages(['Shipping takes two days.', 'Refunds for damaged goods are immediate.']) } },
          },
        },
        metadata: attrs('bot-a', 'd2', 'handbook.pdf'),
      },
      {
        content: { dataSourceType: 'CUSTOM', custom: { customDocumentIdentifier: { id: 'bot-b/d3' }, sourceType: 'IN_LINE', inlineContent: { type: 'TEXT', textContent: { data: 'Refunds are never accepted.' } } } },
        metadata: attrs('bot-b', 'd3', 'other.md'),
      },
    ],
  }));
  agent.destroy();
  await emu.idle();
  sdk = new BedrockAgentRuntimeClient({ endpoint: emu.runtimeEndpoint, region, credentials });
  // The worker passes its Bedrock Runtime client's handler; any SDK client's HTTP/2 handler serves.
  small = new RetrieveClient({
    sha256: Sha256,
    endpoint: emu.runtimeEndpoint,
    region,
    credentials: async () => credentials,
    backoff: () => 1,
    handler: handlerOf(new BedrockRuntimeClient({ region, credentials })),
  });
}, 60_000);

afterAll(async () => {
  small?.destroy();
  sdk?.destroy();
  await emu?.stop();
});

const request = (botId: string, text: string): RetrieveInput => ({
  knowledgeBaseId: KB,
  retrievalQuery: { text },
  retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 5, filter: { equals: { key: 'botId', value: botId } } } },
});

test('Retrieve answers what the SDK client gets, filtered on the bot, with the page of a PDF passage', async () => {
  const mine = await small.retrieve(request('bot-a', 'refunds'));
  const theirs = await sdk.send(new RetrieveCommand(request('bot-a', 'refunds')));
  expect(mine.retrievalResults).toEqual(JSON.parse(JSON.stringify(theirs.retrievalResults)));
  expect(mine.retrievalResults!.map((r) => r.metadata?.botId)).toEqual(['bot-a', 'bot-a']);
  const pdf = mine.retrievalResults!.find((r) => r.metadata?.documentId === 'd2')!;
  expect(pdf.content?.text).toContain('damaged goods');
  expect(pdf.metadata?.[PAGE_METADATA_KEY]).toBe(2);
  // The worker's view of the results: numbered sources with the document's name, id, page and a snippet.
  expect(sourcesOf(mine, 'bot-a').map((s) => s.citation)).toEqual(expect.arrayContaining([
    { sourceId: expect.any(String), title: 'handbook.pdf', documentId: 'd2', page: 2, snippet: expect.stringContaining('damaged goods') },
    { sourceId: expect.any(String), title: 'refunds.md', documentId: 'd1', snippet: 'Refunds are accepted within 30 days of purchase.' },
  ]));
  const other = await small.retrieve(request('bot-b', 'refunds'));
  expect(other.retrievalResults!.map((r) => r.content?.text)).toEqual(['Refunds are never accepted.']);
});

test('errors are thrown with the SDK\'s names and statuses', async () => {
  const unknownKb = { ...request('bot-a', 'refunds'), knowledgeBaseId: 'NOSUCHKB00' };
  await expect(small.retrieve(unknownKb)).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  const sdkError = await sdk.send(new RetrieveCommand(unknownKb)).catch((e: unknown) => e);
  expect(sdkError).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  const tooMany = { ...request('bot-a', 'refunds'), retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 101 } } };
  await expect(small.retrieve(tooMany)).rejects.toMatchObject({ name: 'ValidationException', message: 'numberOfResults must be between 1 and 100.', $metadata: { httpStatusCode: 400 } });
  await expect(small.retrieve(request('bot-a', ' '))).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
});

test('throttling is retried, the request is signed for bedrock in the Region, and an abort stops it', async () => {
  const seen: http2.IncomingHttpHeaders[] = [];
  let answers = 0;
  const server = http2.createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      answers++;
      if (answers === 1) {
        res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' });
        res.end(JSON.stringify({ message: 'Slow down' }));
      } else if (answers === 2) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ retrievalResults: [] }));
      }
      // The third request is never answered (the abort below).
    });
  });
  const port = await listenLoopback(server as unknown as import('http').Server);
  const client = new RetrieveClient({
    sha256: Sha256, endpoint: `http://127.0.0.1:${port}`, region: 'eu-west-3', credentials: async () => credentials, backoff: () => 1, handler: handlerOf(new BedrockRuntimeClient({ region, credentials })),
  });
  try {
    await expect(client.retrieve(request('bot-a', 'refunds'))).resolves.toEqual({ retrievalResults: [] });
    expect(seen).toHaveLength(2);
    expect(seen[0][':path']).toBe(`/knowledgebases/${KB}/retrieve`);
    expect(seen[0][':method']).toBe('POST');
    expect(String(seen[0].authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/eu-west-3\/bedrock\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/);
    const abort = new AbortController();
    const pending = client.retrieve(request('bot-a', 'refunds'), abort.signal);
    while (seen.length < 3) await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toHaveLength(3);
  } finally {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
