/**
 * The knowledge base figures: how soon a document ingested directly (IngestKnowledgeBaseDocuments on the CUSTOM data
 * source) is retrievable, and how long a filtered Retrieve takes, on the local knowledge base with the real SDK
 * clients (bedrock-agent over HTTP/1.1, bedrock-agent-runtime over h2c), plus the idle monthly cost of each vector
 * store from public prices. `npx tsx bench/knowledge.ts` runs only this part and merges it into results/latest.json.
 */
import { readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { BedrockAgentClient, CreateDataSourceCommand, CreateKnowledgeBaseCommand, IngestKnowledgeBaseDocumentsCommand, type KnowledgeBaseDocument } from '@aws-sdk/client-bedrock-agent';
import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { startKnowledgeBaseEmulator } from '../src/local/emulators/knowledge-base';
import { startS3VectorsEmulator } from '../src/local/emulators/s3-vectors';
import { offlineModel } from '../src/local/offline-model';
import { startPlayground } from '../src/local/playground';
import { call } from '../test/lambdas/rest-helpers';
import { pdfWithPages } from '../test/local/kb-fixtures';

const RUNS = Number(process.env.BENCH_KB_RUNS ?? 15);
const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const region = 'us-east-1';

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Public prices (us-east-1), for the idle monthly cost: what a store costs when nobody uploads or asks.
 * - S3 Vectors: no minimum; storage $0.06 per logical GB-month (vector data + key + metadata); PUT $0.20 per GB and
 *   queries per call are usage, zero when idle (https://aws.amazon.com/s3/pricing/, "S3 Vectors"; as transcribed in
 *   /work/shared/reference/next-constructs.md §1.2). A float32 vector of d dimensions is 4d bytes.
 * - OpenSearch Serverless (the reference system's store): OCUs "always exist, even when there's no indexing or search
 *   activity"; a vector collection with redundancy (the default) keeps at least 1 OCU for indexing and 1 for search
 *   (0.5 x 2 each), without redundancy 0.5 + 0.5 (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-scaling.html);
 *   $0.24 per OCU-hour (https://aws.amazon.com/opensearch-service/pricing/, Serverless; the unit price was not
 *   re-read from that page here). 730 hours a month.
 */
export const PRICES = {
  s3VectorsStoragePerGbMonth: 0.06,
  ossOcuHour: 0.24,
  hoursPerMonth: 730,
};

/** Idle monthly cost of the stores, for `chunks` chunks of `dimensions` float32 and ~2 KB of metadata each. */
export function idleCosts(chunks = 100_000, dimensions = 1024): Record<string, number> {
  const bytesPerVector = 4 * dimensions + 2048 + 64; // vector, metadata (AMAZON_BEDROCK_TEXT and the attributes), key
  const gb = (chunks * bytesPerVector) / 1e9;
  return {
    'kb.idleCostUsdPerMonth.s3Vectors.empty': 0,
    'kb.idleCostUsdPerMonth.s3Vectors': round(gb * PRICES.s3VectorsStoragePerGbMonth, 3),
    'kb.idleCostUsdPerMonth.openSearchServerless': round(2 * PRICES.ossOcuHour * PRICES.hoursPerMonth, 1),
    'kb.idleCostUsdPerMonth.openSearchServerless.noRedundancy': round(1 * PRICES.ossOcuHour * PRICES.hoursPerMonth, 1),
  };
}

const WORDS = 'policy travel expense laptop holiday refund security badge parking invoice contract onboarding training salary pension office printer network password'.split(' ');

function documentText(i: number): string {
  const words: string[] = [];
  for (let k = 0; k < 300; k++) words.push(WORDS[(i * 7 + k * 13) % WORDS.length]);
  return `# Document ${i}\n\n${words.join(' ')}. The unique marker of this document is marker${i}.`;
}

export async function knowledgeFigures(): Promise<Record<string, number>> {
  const vectors = await startS3VectorsEmulator();
  const kbEmu = await startKnowledgeBaseEmulator({ vectors: vectors.store });
  const agent = new BedrockAgentClient({ endpoint: kbEmu.endpoint, credentials, region });
  const runtime = new BedrockAgentRuntimeClient({ endpoint: kbEmu.runtimeEndpoint, credentials, region });
  try {
    const bucketArn = vectors.store.createVectorBucket('bench-vectors');
    const indexArn = vectors.store.createIndex({
      vectorBucketArn: bucketArn,
      indexName: 'shared',
      dataType: 'float32',
      dimension: 1024,
      distanceMetric: 'cosine',
      metadataConfiguration: { nonFilterableMetadataKeys: ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] },
    });
    const { knowledgeBase } = await agent.send(new CreateKnowledgeBaseCommand({
      name: 'bench',
      roleArn: 'arn:aws:iam::000000000000:role/kb',
      knowledgeBaseConfiguration: { type: 'VECTOR', vectorKnowledgeBaseConfiguration: { embeddingModelArn: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0' } },
      storageConfiguration: { type: 'S3_VECTORS', s3VectorsConfiguration: { indexArn } },
    }));
    const knowledgeBaseId = knowledgeBase!.knowledgeBaseId!;
    const { dataSource } = await agent.send(new CreateDataSourceCommand({
      knowledgeBaseId,
      name: 'direct',
      dataSourceConfiguration: { type: 'CUSTOM' },
      vectorIngestionConfiguration: { chunkingConfiguration: { chunkingStrategy: 'FIXED_SIZE', fixedSizeChunkingConfiguration: { maxTokens: 300, overlapPercentage: 20 } } },
    }));
    const dataSourceId = dataSource!.dataSourceId!;
    const meta = (bot: string) => ({ type: 'IN_LINE_ATTRIBUTE' as const, inlineAttributes: [{ key: 'botId', value: { type: 'STRING' as const, stringValue: bot } }] });
    const textDoc = (id: string, bot: string, text: string): KnowledgeBaseDocument => ({
      content: { dataSourceType: 'CUSTOM', custom: { customDocumentIdentifier: { id }, sourceType: 'IN_LINE', inlineContent: { type: 'TEXT', textContent: { data: text } } } },
      metadata: meta(bot),
    });
    const pdfDoc = (id: string, bot: string, i: number): KnowledgeBaseDocument => ({
      content: { dataSourceType: 'CUSTOM', custom: { customDocumentIdentifier: { id }, sourceType: 'IN_LINE', inlineContent: { type: 'BYTE', byteContent: { mimeType: 'application/pdf', data: pdfWithPages([`Page one of ${i}`, `The unique marker of this document is marker${i}.`]) } } } },
      metadata: meta(bot),
    });
    const retrieve = (query: string, bot: string) => runtime.send(new RetrieveCommand({
      knowledgeBaseId, retrievalQuery: { text: query }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 5, filter: { equals: { key: 'botId', value: bot } } } },
    }));

    // a corpus of 1,000 documents over 50 bots, so that a search has something to skip
    for (let start = 0; start < 1000; start += 25) {
      await agent.send(new IngestKnowledgeBaseDocumentsCommand({
        knowledgeBaseId, dataSourceId, documents: Array.from({ length: 25 }, (_, k) => textDoc(`corpus/${start + k}`, `bot-${(start + k) % 50}`, documentText(start + k))),
      }));
    }
    await kbEmu.idle();

    /** From the ingest request to the first Retrieve (polled at 5 ms) that returns the document. */
    const searchable = async (doc: KnowledgeBaseDocument, marker: string, bot: string) => {
      const t = process.hrtime.bigint();
      await agent.send(new IngestKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId, documents: [doc] }));
      for (;;) {
        const got = await retrieve(marker, bot);
        if (got.retrievalResults?.some((r) => r.content?.text?.includes(marker))) return Number(process.hrtime.bigint() - t) / 1e6;
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const text: number[] = [];
    const pdf: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      text.push(await searchable(textDoc(`new/${i}`, 'bot-new', documentText(10_000 + i)), `marker${10_000 + i}`, 'bot-new'));
      pdf.push(await searchable(pdfDoc(`pdf/${i}`, 'bot-pdf', 20_000 + i), `marker${20_000 + i}`, 'bot-pdf'));
    }
    const latencies: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = process.hrtime.bigint();
      await retrieve(`${WORDS[i % WORDS.length]} ${WORDS[(i * 3) % WORDS.length]}`, `bot-${i % 50}`);
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return {
      'kb.searchableMs': round(median(text)),
      'kb.searchableMs.pdf': round(median(pdf)),
      'kb.retrieveMs': round(median(latencies)),
      ...idleCosts(),
    };
  } finally {
    agent.destroy();
    runtime.destroy();
    await kbEmu.stop();
    await vectors.stop();
  }
}

/**
 * The same way as a user takes it, through the playground (examples/full-system from its synthesized template, the
 * knowledge-api function behind the HTTP API stand-in with a real token): from `POST /knowledge/bots/{botId}/uploads`,
 * the PUT of the bytes to the presigned URL and `POST .../documents`, to the first Retrieve filtered on the bot (polled
 * every 5 ms, as the worker calls it) that returns the document. Median of RUNS; a new bot per run.
 */
export async function restSearchableMs(): Promise<Record<string, number>> {
  const pg = await startPlayground({ handlers: 'in-process', quiet: true, respond: offlineModel({ wordDelayMs: 0 }) });
  const runtime = new BedrockAgentRuntimeClient({ endpoint: pg.stack.knowledge!.runtimeEndpoint, credentials, region });
  try {
    const samples: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const bot = await call(pg, 'alice', 'POST', '/bots', { title: `bench ${i}` });
      if (bot.status !== 201) throw new Error(`POST /bots: ${bot.status} ${bot.text}`);
      const botId = bot.body.id as string;
      const bytes = Buffer.from(documentText(30_000 + i));
      const marker = `marker${30_000 + i}`;
      const t = process.hrtime.bigint();
      const up = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/uploads`, { name: `doc-${i}.md`, contentType: 'text/markdown', size: bytes.length });
      if (up.status !== 201) throw new Error(`uploads: ${up.status} ${up.text}`);
      const put = await fetch(up.body.url, { method: 'PUT', headers: up.body.headers, body: new Uint8Array(bytes) });
      if (put.status !== 200) throw new Error(`PUT: ${put.status}`);
      const reg = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/documents`, { uploadId: up.body.uploadId });
      if (reg.status !== 201) throw new Error(`documents: ${reg.status} ${reg.text}`);
      for (;;) {
        const got = await runtime.send(new RetrieveCommand({
          knowledgeBaseId: process.env.KNOWLEDGE_BASE_ID!,
          retrievalQuery: { text: marker },
          retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 5, filter: { equals: { key: 'botId', value: botId } } } },
        }));
        if (got.retrievalResults?.some((r) => r.content?.text?.includes(marker))) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return { 'kb.searchableMs.rest': round(median(samples)) };
  } finally {
    runtime.destroy();
    await pg.stop();
  }
}

if (require.main === module) {
  (async () => ({ ...await knowledgeFigures(), ...await restSearchableMs() }))().then((r) => {
    console.table(r);
    const file = join(resolve(__dirname), 'results', 'latest.json');
    const latest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const { measuredAt, node, ...rest } = latest;
    writeFileSync(file, JSON.stringify({ ...rest, ...r, measuredAt, node }, null, 2) + '\n');
  }, (err) => {
    console.error(err);
    process.exit(1);
  });
}
