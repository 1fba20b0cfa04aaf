/**
 * The shared knowledge base on OpenSearch Serverless, end to end over the wire: the full example synthesized with
 * `-c vectorStore=openSearchServerless` and run by the local stack from its template (the collection and the
 * AWS::OpenSearchServerless::Index made in the local OpenSearch Serverless emulator), a bot's document uploaded through
 * the REST API with a presigned PUT, ingested into the index, retrieved by the chat worker with HYBRID search (its
 * Retrieve request recorded by a proxy) and cited in the answer over a real WebSocket. No code of ours is mocked.
 */
import { call } from './rest-helpers';
import { RetrieveProxy, startRetrieveProxy } from './retrieval-helpers';
import { offlineModel } from '../../src/local/offline-model';
import { Playground, startPlayground } from '../../src/local/playground';
import { request, WsClient } from '../../src/local/ws-client';

let pg: Playground;
let proxy: RetrieveProxy;

beforeAll(async () => {
  pg = await startPlayground({ vectorStore: 'openSearchServerless', handlers: 'in-process', quiet: !process.env.DEBUG_LOGS, respond: offlineModel({ wordDelayMs: 0 }) });
  // The worker's Retrieve client is created at its first use and reads its endpoint then: the proxy's.
  proxy = await startRetrieveProxy(pg.stack.knowledge!.runtimeEndpoint);
  process.env.AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME = proxy.endpoint;
}, 120_000);
afterAll(async () => {
  await proxy?.stop();
  await pg?.stop();
});

const waitFor = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await pg.stack.knowledge!.idle();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached');
};

const TEXT = '# Returns\n\nThe Zephyr kettle may be returned within 45 days; keep the receipt.';

test('the template\'s collection and index exist locally; a bot\'s document is uploaded, written into the index, retrieved HYBRID and cited', async () => {
  expect(pg.stack.summary.some((l) => /^OpenSearch Serverless collection /.test(l))).toBe(true);
  const indexLine = pg.stack.summary.find((l) => /^OpenSearch Serverless index /.test(l))!;
  const [, indexName, collectionId] = /^OpenSearch Serverless index (\S+) of (\S+)$/.exec(indexLine)!;
  const search = async () => (await (await fetch(`${pg.stack.knowledge!.opensearchEndpoint}/${collectionId}/${indexName}/_search`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 50, query: { match_all: {} } }),
  })).json() as any).hits.hits as any[];
  expect(await search()).toEqual([]);

  const bot = await call(pg, 'alice', 'POST', '/bots', { title: 'Kettles', instructions: 'You answer questions about kettles.' });
  expect(bot.status).toBe(201);
  const botId = bot.body.id;
  const bytes = Buffer.from(TEXT);
  const up = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/uploads`, { name: 'Returns.md', contentType: 'text/markdown', size: bytes.length });
  expect(up.status).toBe(201);
  expect((await fetch(up.body.url, { method: 'PUT', headers: up.body.headers, body: new Uint8Array(bytes) })).status).toBe(200);
  const added = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/documents`, { uploadId: up.body.uploadId });
  expect(added.status).toBe(201);
  const documentId = added.body.id;
  await waitFor(async () => (await call(pg, 'alice', 'GET', `/knowledge/bots/${botId}/documents`)).body.items[0]?.status === 'SUCCEEDED');

  // the chunk is a document of the OpenSearch index, with the bot's metadata as fields
  const docs = await search();
  expect(docs).toHaveLength(1);
  expect(docs[0]._source).toMatchObject({ botId, documentId, AMAZON_BEDROCK_TEXT_CHUNK: expect.stringContaining('Zephyr kettle') });

  const calls = proxy.calls.length;
  const c = await WsClient.connect(pg.webSocketUrl, pg.issueToken('alice'));
  const question = 'How many days do I have to return the Zephyr kettle?';
  const { end, text, frames } = await request(c, { action: 'sendMessage', content: [{ text: question }], botId });
  c.close();
  expect(end).toMatchObject({ type: 'end', stopReason: 'end_turn' });

  // one Retrieve on the shared knowledge base: filtered on the bot, HYBRID (KNOWLEDGE_SEARCH_TYPE from the template)
  const retrieves = proxy.calls.slice(calls);
  expect(retrieves).toHaveLength(1);
  expect(retrieves[0].body.retrievalConfiguration.vectorSearchConfiguration).toEqual({
    numberOfResults: 5, filter: { equals: { key: 'botId', value: botId } }, overrideSearchType: 'HYBRID',
  });
  const citations = frames.filter((f) => f.type === 'citation');
  expect(citations).toEqual([expect.objectContaining({ sourceId: '1', title: 'Returns.md', documentId })]);
  expect(text).toContain('45 days');
  expect(text).toContain('[^1]');
}, 60_000);
