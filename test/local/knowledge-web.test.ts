// The local knowledge base's WEB data source over the wire: the real @aws-sdk/client-bedrock-agent and
// -bedrock-agent-runtime clients against the emulator, which crawls a site served on loopback.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BedrockAgentClient, CreateDataSourceCommand, CreateKnowledgeBaseCommand, GetIngestionJobCommand, ListKnowledgeBaseDocumentsCommand,
  StartIngestionJobCommand, type WebDataSourceConfiguration,
} from '@aws-sdk/client-bedrock-agent';
import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { CreateIndexCommand, CreateVectorBucketCommand, ListVectorsCommand, S3VectorsClient } from '@aws-sdk/client-s3vectors';
import { credentials, region, useDummyAwsEnv } from './env';
import { inCrawlScope, robotsAllow, robotsRules } from '../../src/local/emulators/kb-web';
import { startKnowledgeBaseEmulator, type KnowledgeBaseEmulator } from '../../src/local/emulators/knowledge-base';
import { startS3VectorsEmulator, type S3VectorsEmulator } from '../../src/local/emulators/s3-vectors';

useDummyAwsEnv();

const EMBEDDING = 'arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0';
const ROLE = 'arn:aws:iam::000000000000:role/kb';

let site: Server;
let origin: string;
let port: number;
/** The site's pages by path: [content type, body]; tests change them between syncs. */
const pages = new Map<string, [string, string]>();
/** Every request the site received: [path, time, user agent]. */
const requests: Array<[string, number, string]> = [];

let vectors: S3VectorsEmulator;
let kbEmu: KnowledgeBaseEmulator;
let agent: BedrockAgentClient;
let runtime: BedrockAgentRuntimeClient;
let s3v: S3VectorsClient;
let knowledgeBaseId: string;
let indexArn: string;
let bucketArn: string;
let kbCount = 0;

const html = (title: string, body: string) => ['text/html; charset=utf-8', `<!doctype html><html><head><title>${title}</title><script>var hidden = "scriptword";</script></head><body>${body}</body></html>`] as [string, string];

beforeAll(async () => {
  pages.set('/robots.txt', ['text/plain', 'User-agent: *\nDisallow: /docs/private\nAllow: /docs/private-but-allowed\n']);
  site = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    requests.push([path, Date.now(), String(req.headers['user-agent'] ?? '')]);
    if (path === '/docs/moved') {
      res.writeHead(302, { location: '/docs/landing.html' });
      return res.end();
    }
    const page = pages.get(path);
    if (!page) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found');
    }
    res.writeHead(200, { 'content-type': page[0] });
    return res.end(page[1]);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', () => r()));
  port = (site.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;

  vectors = await startS3VectorsEmulator();
  kbEmu = await startKnowledgeBaseEmulator({ vectors: vectors.store, crawlLimits: { maxPages: 50, fetchTimeoutMs: 5_000 } });
  agent = new BedrockAgentClient({ endpoint: kbEmu.endpoint, credentials, region });
  runtime = new BedrockAgentRuntimeClient({ endpoint: kbEmu.runtimeEndpoint, credentials, region });
  s3v = new S3VectorsClient({ endpoint: vectors.endpoint, credentials, region });
  bucketArn = (await s3v.send(new CreateVectorBucketCommand({ vectorBucketName: 'web-vectors' }))).vectorBucketArn!;
});

afterAll(async () => {
  agent.destroy();
  runtime.destroy();
  s3v.destroy();
  await kbEmu.stop();
  await vectors.stop();
  await new Promise<void>((r) => site.close(() => r()));
});

/** Each test has its own knowledge base (at most 5 data sources each) on its own index. */
beforeEach(async () => {
  kbCount++;
  indexArn = (await s3v.send(new CreateIndexCommand({
    vectorBucketArn: bucketArn,
    indexName: `web-${kbCount}`,
    dataType: 'float32',
    dimension: 256,
    distanceMetric: 'cosine',
    metadataConfiguration: { nonFilterableMetadataKeys: ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] },
  }))).indexArn!;
  knowledgeBaseId = (await agent.send(new CreateKnowledgeBaseCommand({
    name: `web-kb-${kbCount}`,
    roleArn: ROLE,
    knowledgeBaseConfiguration: { type: 'VECTOR', vectorKnowledgeBaseConfiguration: { embeddingModelArn: EMBEDDING, embeddingModelConfiguration: { bedrockEmbeddingModelConfiguration: { dimensions: 256 } } } },
    storageConfiguration: { type: 'S3_VECTORS', s3VectorsConfiguration: { indexArn } },
  }))).knowledgeBase!.knowledgeBaseId!;
  pages.set('/docs/index.html', html('Handbook', `
    <h1>Handbook</h1><p>Start here.</p>
    <a href="alpha.html">Alpha</a> <a href="/docs/beta.html#section">Beta</a> <a href="/docs/excluded-page.html">Excluded</a>
    <a href="/docs/private/secret.html">Private</a> <a href="/docs/missing.html">Missing</a> <a href="/docs/moved">Moved</a>
    <a href="/other/outside.html">Outside the path</a> <a href="http://localhost:${port}/docs/otherhost.html">Other host</a>
    <a href="/docs/notes.txt">Notes</a> <a href="/docs/logo.png">Logo</a> <a href="mailto:someone@example.com">Mail</a>
    <a href="/docs/skipped.html" rel="nofollow">Nofollow</a>`));
  pages.set('/docs/alpha.html', html('Alpha', '<p>The aardvark migration schedule lives on the alpha page.</p>'));
  pages.set('/docs/beta.html', html('Beta', `<p>${'Bonobo habitats are described at length. '.repeat(40)}</p>`));
  pages.set('/docs/excluded-page.html', html('Excluded', '<p>The capybara page is excluded by a filter.</p>'));
  pages.set('/docs/private/secret.html', html('Secret', '<p>The dugong secret is behind robots.txt.</p>'));
  pages.set('/docs/landing.html', html('Landing', '<p>The echidna landing page is reached by a redirect.</p>'));
  pages.set('/other/outside.html', html('Outside', '<p>The flamingo page is outside the seed path.</p>'));
  pages.set('/docs/otherhost.html', html('Other host', '<p>The gecko page is on another host.</p>'));
  pages.set('/docs/notes.txt', ['text/plain', 'Plain notes about the hedgehog.']);
  pages.set('/docs/logo.png', ['image/png', 'not really a png']);
  pages.set('/docs/skipped.html', html('Nofollow', '<p>The iguana page is linked with nofollow.</p>'));
});

const web = (seed: string, crawler: WebDataSourceConfiguration['crawlerConfiguration'] = {}): WebDataSourceConfiguration => ({
  sourceConfiguration: { urlConfiguration: { seedUrls: [{ url: seed }] } },
  crawlerConfiguration: crawler,
});

async function createWeb(name: string, configuration: WebDataSourceConfiguration, maxTokens = 300) {
  return (await agent.send(new CreateDataSourceCommand({
    knowledgeBaseId,
    name,
    dataSourceConfiguration: { type: 'WEB', webConfiguration: configuration },
    vectorIngestionConfiguration: { chunkingConfiguration: { chunkingStrategy: 'FIXED_SIZE', fixedSizeChunkingConfiguration: { maxTokens, overlapPercentage: 10 } } },
  }))).dataSource!;
}

async function sync(dataSourceId: string) {
  const started = (await agent.send(new StartIngestionJobCommand({ knowledgeBaseId, dataSourceId }))).ingestionJob!;
  expect(started.status).toBe('STARTING');
  await kbEmu.idle();
  return (await agent.send(new GetIngestionJobCommand({ knowledgeBaseId, dataSourceId, ingestionJobId: started.ingestionJobId! }))).ingestionJob!;
}

const retrieve = async (text: string, numberOfResults = 10) => (await runtime.send(new RetrieveCommand({
  knowledgeBaseId, retrievalQuery: { text }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults } },
}))).retrievalResults ?? [];

const urlsFor = async (text: string) => [...new Set((await retrieve(text)).map((r) => r.location?.webLocation?.url))];

test('a WEB data source keeps its configuration as Bedrock documents it', async () => {
  const configuration = web(`${origin}/docs/index.html`, { scope: 'HOST_ONLY', inclusionFilters: ['.*/docs/.*'], exclusionFilters: ['.*\\.pdf$'], crawlerLimits: { rateLimit: 60, maxPages: 10 } });
  const ds = await createWeb('web-config', configuration);
  expect(ds.dataSourceConfiguration).toEqual({ type: 'WEB', webConfiguration: configuration });
  expect(ds.status).toBe('AVAILABLE');
});

test('bad WEB configurations are refused with a ValidationException and create nothing', async () => {
  const bad: Array<[string, WebDataSourceConfiguration]> = [
    ['no seed', { sourceConfiguration: { urlConfiguration: { seedUrls: [] } } }],
    ['ftp seed', web('ftp://example.com/')],
    ['seed with a space', web('https://example.com/a b')],
    ['rate 0', web('https://example.com/', { crawlerLimits: { rateLimit: 0 } })],
    ['rate 301', web('https://example.com/', { crawlerLimits: { rateLimit: 301 } })],
    ['maxPages 25001', web('https://example.com/', { crawlerLimits: { maxPages: 25_001 } })],
    ['bad regex', web('https://example.com/', { inclusionFilters: ['(unclosed'] })],
    ['26 filters', web('https://example.com/', { exclusionFilters: new Array(26).fill('x') })],
    ['empty filter', web('https://example.com/', { exclusionFilters: [''] })],
    ['bad scope', web('https://example.com/', { scope: 'EVERYTHING' as 'HOST_ONLY' })],
  ];
  for (const [what, configuration] of bad) {
    await expect(createWeb(`bad-${what.replace(/\W+/g, '-')}`, configuration)).rejects.toMatchObject({ name: 'ValidationException' });
  }
});

test('a sync crawls within the seed\'s path, follows redirects, honours robots.txt, filters and nofollow; Retrieve cites the page\'s URL', async () => {
  const ds = await createWeb('web-default', web(`${origin}/docs/index.html`, { exclusionFilters: ['excluded-page'], crawlerLimits: { rateLimit: 300 } }), 20);
  requests.length = 0;
  const job = await sync(ds.dataSourceId!);
  expect(job.status).toBe('COMPLETE');
  // index, alpha, beta, landing (via the redirect), notes.txt; missing.html is a 404
  expect(job.statistics).toMatchObject({ numberOfDocumentsScanned: 5, numberOfNewDocumentsIndexed: 5, numberOfDocumentsFailed: 1 });
  expect(job.failureReasons).toEqual([`${origin}/docs/missing.html: HTTP 404`]);

  // the crawler asked robots.txt first, never fetched what robots.txt disallows, nor the excluded or nofollow pages
  const paths = requests.map(([p]) => p);
  expect(paths[0]).toBe('/robots.txt');
  expect(paths).not.toEqual(expect.arrayContaining(['/docs/private/secret.html']));
  for (const p of ['/docs/private/secret.html', '/docs/excluded-page.html', '/docs/skipped.html', '/other/outside.html']) expect(paths).not.toContain(p);
  expect(requests.every(([, , ua]) => ua.startsWith('bedrockbot'))).toBe(true);
  // rateLimit 300 per minute per host: at least 200 ms between two requests (the timer may fire a millisecond early)
  for (let i = 1; i < requests.length; i++) expect(requests[i][1] - requests[i - 1][1]).toBeGreaterThanOrEqual(199);

  expect(await urlsFor('aardvark')).toEqual([`${origin}/docs/alpha.html`]);
  expect(await urlsFor('echidna')).toEqual([`${origin}/docs/landing.html`]);
  expect(await urlsFor('hedgehog')).toEqual([`${origin}/docs/notes.txt`]);
  for (const word of ['capybara', 'dugong', 'flamingo', 'gecko', 'iguana', 'scriptword']) expect(await retrieve(word)).toEqual([]);
  const [alpha] = await retrieve('aardvark');
  expect(alpha.location).toEqual({ type: 'WEB', webLocation: { url: `${origin}/docs/alpha.html` } });
  expect(alpha.metadata).toMatchObject({ 'x-amz-bedrock-kb-source-uri': `${origin}/docs/alpha.html`, 'x-amz-bedrock-kb-data-source-id': ds.dataSourceId });
  // the data source's chunking: a long page is several chunks of at most 20 tokens, each citing the page
  const beta = await retrieve('bonobo habitats', 20);
  expect(beta.length).toBeGreaterThan(3);
  expect(new Set(beta.map((r) => r.location?.webLocation?.url))).toEqual(new Set([`${origin}/docs/beta.html`]));
  // the chunks are vectors in the S3 Vectors index, with the page as their source
  const stored = await s3v.send(new ListVectorsCommand({ indexArn, returnMetadata: true }));
  expect(stored.vectors!.some((v) => (v.metadata as Record<string, unknown>)['x-amz-bedrock-kb-source-uri'] === `${origin}/docs/alpha.html`)).toBe(true);

  // a second sync is incremental: a changed page is indexed again, a page no longer linked is removed
  pages.set('/docs/alpha.html', html('Alpha', '<p>The axolotl replaced the aardvark on the alpha page.</p>'));
  pages.set('/docs/index.html', html('Handbook', '<a href="alpha.html">Alpha</a> <a href="beta.html">Beta</a>'));
  const again = await sync(ds.dataSourceId!);
  expect(again.status).toBe('COMPLETE');
  expect(again.statistics).toMatchObject({
    numberOfDocumentsScanned: 3, numberOfNewDocumentsIndexed: 0, numberOfModifiedDocumentsIndexed: 2, numberOfDocumentsDeleted: 2,
  });
  expect(await urlsFor('axolotl')).toEqual([`${origin}/docs/alpha.html`]);
  expect(await retrieve('echidna')).toEqual([]);
  expect(await retrieve('hedgehog')).toEqual([]);
});

test('HOST_ONLY crawls the whole host but not another host name; inclusion filters keep only what matches', async () => {
  const ds = await createWeb('web-host', web(`${origin}/docs/index.html`, { scope: 'HOST_ONLY', inclusionFilters: ['/docs/index\\.html$', '/other/'] }));
  const job = await sync(ds.dataSourceId!);
  expect(job.status).toBe('COMPLETE');
  expect(job.statistics).toMatchObject({ numberOfDocumentsScanned: 2, numberOfNewDocumentsIndexed: 2, numberOfDocumentsFailed: 0 });
  expect(await urlsFor('flamingo')).toEqual([`${origin}/other/outside.html`]);
  expect(await retrieve('gecko')).toEqual([]);
});

test('more pages than maxPages fails the sync and ingests none of them', async () => {
  const ds = await createWeb('web-max', web(`${origin}/docs/index.html`, { crawlerLimits: { maxPages: 2 } }));
  const job = await sync(ds.dataSourceId!);
  expect(job.status).toBe('FAILED');
  expect(job.failureReasons).toEqual(expect.arrayContaining([expect.stringMatching(/more than 2 pages \(crawlerLimits\.maxPages\): no web pages were ingested/)]));
  expect(job.statistics).toMatchObject({ numberOfNewDocumentsIndexed: 0 });
  const hits = await retrieve('aardvark');
  expect(hits.every((r) => r.metadata?.['x-amz-bedrock-kb-data-source-id'] !== ds.dataSourceId)).toBe(true);
});

test('a seed that cannot be reached is a failure reason, not a crash', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const ds = await createWeb('web-dead', web(`http://127.0.0.1:${deadPort}/`));
  const job = await sync(ds.dataSourceId!);
  expect(job.status).toBe('COMPLETE');
  expect(job.statistics).toMatchObject({ numberOfDocumentsScanned: 0, numberOfDocumentsFailed: 1 });
  expect(job.failureReasons![0]).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${deadPort}/: `));
});

test('document operations on a WEB data source are refused (documents are CUSTOM or S3)', async () => {
  const ds = await createWeb('web-docs', web(`${origin}/docs/index.html`));
  await expect(agent.send(new ListKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId: ds.dataSourceId! })))
    .rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/CUSTOM and S3/) });
});

describe('crawl rules', () => {
  test('scope: default is the seed\'s host and path, HOST_ONLY the host, SUBDOMAINS the domain and its subdomains', () => {
    const seed = new URL('https://aws.amazon.com/bedrock/');
    const u = (s: string) => new URL(s);
    expect(inCrawlScope(seed, u('https://aws.amazon.com/bedrock/agents/'), undefined)).toBe(true);
    expect(inCrawlScope(seed, u('https://aws.amazon.com/ec2/'), undefined)).toBe(false);
    expect(inCrawlScope(seed, u('https://aws.amazon.com/ec2/'), 'HOST_ONLY')).toBe(true);
    expect(inCrawlScope(seed, u('https://docs.aws.amazon.com/'), 'HOST_ONLY')).toBe(false);
    expect(inCrawlScope(seed, u('https://docs.aws.amazon.com/'), 'SUBDOMAINS')).toBe(true);
    expect(inCrawlScope(seed, u('https://evilaws.amazon.com.example/'), 'SUBDOMAINS')).toBe(false);
    expect(inCrawlScope(new URL('https://www.example.com/'), u('https://blog.example.com/'), 'SUBDOMAINS')).toBe(true);
  });

  test('robots.txt: bedrockbot groups win over *, the longest rule wins, Allow on a tie, * and $', () => {
    const rules = robotsRules('User-agent: *\nDisallow: /\n\nUser-agent: BedrockBot\nUser-agent: other\nDisallow: /private\nAllow: /private/open\nDisallow: /*.pdf$\n');
    expect(robotsAllow(rules, '/docs/')).toBe(true);
    expect(robotsAllow(rules, '/private/x')).toBe(false);
    expect(robotsAllow(rules, '/private/open/x')).toBe(true);
    expect(robotsAllow(rules, '/a/b.pdf')).toBe(false);
    expect(robotsAllow(rules, '/a/b.pdf?x')).toBe(true);
    expect(robotsAllow(robotsRules('User-agent: *\nDisallow: /\n'), '/x')).toBe(false);
    expect(robotsAllow(robotsRules('User-agent: *\nDisallow:\n'), '/x')).toBe(true);
  });
});
