/**
 * Documents of bots over the wire (issue 12, docs/knowledge-contract.md): the playground runs examples/full-system
 * (with its KnowledgeBaseFactory) from its synthesized template; every call goes through the HTTP API stand-in with
 * real tokens to the knowledge-api function, which talks to the local S3, DynamoDB and knowledge base with the real
 * SDK clients. Retrieval is checked with the bedrock-agent-runtime client against the same local knowledge base.
 */
import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { AdminAddUserToGroupCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as fc from 'fast-check';
import { botTableSnapshot } from './bot-helpers';
import { call, Reply, sub, User } from './rest-helpers';
import { cleanUpDeletedBots } from '../../src/lambdas/core/bot-cleanup';
import { BOT_ROUTES } from '../../src/lambdas/core/bot-routes';
import { botItem, BotStore } from '../../src/lambdas/core/bots';
import { MAX_DOCUMENTS_PER_BOT, MAX_KNOWLEDGE_BYTES } from '../../src/lambdas/core/knowledge-documents';
import { KNOWLEDGE_ROUTES } from '../../src/lambdas/core/knowledge-routes';
import { validate } from '../../src/lambdas/core/schema';
import { bedrockControl } from '../../src/lambdas/wiring/bedrock-control';
import { deleteKnowledgeDocuments } from '../../src/lambdas/wiring/knowledge-index';
import { deleteDocumentObjects } from '../../src/lambdas/wiring/knowledge-objects';
import { documentClient } from '../../src/lambdas/wiring/store';
import { offlineModel } from '../../src/local/offline-model';
import { Playground, startPlayground } from '../../src/local/playground';

const RUNS = Number(process.env.FC_RUNS ?? 20);
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';

let pg: Playground;
let runtime: BedrockAgentRuntimeClient;
let s3: S3Client;
let bucket: string;

beforeAll(async () => {
  pg = await startPlayground({ handlers: 'in-process', quiet: !process.env.DEBUG_LOGS, respond: offlineModel({ wordDelayMs: 0 }) });
  runtime = new BedrockAgentRuntimeClient({ endpoint: pg.stack.knowledge!.runtimeEndpoint, credentials, region });
  bucket = process.env.KNOWLEDGE_BUCKET!;
  s3 = new S3Client({ forcePathStyle: true, credentials, region });
}, 120_000);
afterAll(async () => {
  runtime?.destroy();
  s3?.destroy();
  await pg?.stop();
});

const createBot = async (title: string, sharing?: Record<string, unknown>): Promise<string> => {
  const res = await call(pg, 'alice', 'POST', '/bots', { title });
  expect(res.status).toBe(201);
  if (sharing) expect((await call(pg, 'alice', 'PUT', `/bots/${res.body.id}/sharing`, sharing)).status).toBe(200);
  return res.body.id;
};

/** PUTs `bytes` to a presigned upload with its headers (as the widget does). */
const put = (target: { url: string; headers: Record<string, string> }, bytes: Buffer) => fetch(target.url, { method: 'PUT', headers: target.headers, body: new Uint8Array(bytes) });

/** Uploads and registers a document; returns the register reply. */
async function addDocument(user: User, botId: string, name: string, contentType: string, text: string): Promise<Reply> {
  const bytes = Buffer.from(text);
  const up = await call(pg, user, 'POST', `/knowledge/bots/${botId}/uploads`, { name, contentType, size: bytes.length });
  if (up.status !== 201) return up;
  expect((await put(up.body, bytes)).status).toBe(200);
  return call(pg, user, 'POST', `/knowledge/bots/${botId}/documents`, { uploadId: up.body.uploadId });
}

const retrieve = async (botId: string, text: string) => (await runtime.send(new RetrieveCommand({
  knowledgeBaseId: process.env.KNOWLEDGE_BASE_ID!,
  retrievalQuery: { text },
  retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 5, filter: { equals: { key: 'botId', value: botId } } } },
}))).retrievalResults ?? [];

const keysUnder = async (prefix: string) => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!);
};

const documentCount = async (botId: string) => {
  const res = await new DynamoDBClient({}).send(new GetItemCommand({ TableName: process.env.BOT_TABLE_NAME, Key: { pk: { S: `BOT#${botId}` }, sk: { S: 'BOT' } } }));
  return res.Item?.documentCount?.N === undefined ? undefined : Number(res.Item.documentCount.N);
};

const waitFor = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await pg.stack.knowledge!.idle();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached');
};

describe('a document\'s life', () => {
  test('upload → PUT → register → SUCCEEDED → retrieved for its bot only → source → delete → gone', async () => {
    const botId = await createBot('Refunds');
    const other = await createBot('Other');
    expect((await call(pg, 'alice', 'GET', `/bots/${botId}`)).body.knowledge).toEqual({ mode: 'shared', numberOfResults: 5, documentCount: 0 });

    const text = '# Refunds\n\nRefunds are accepted within 30 days of purchase.';
    const added = await addDocument('alice', botId, 'Refund policy.md', 'text/markdown', text);
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ name: 'Refund policy.md', contentType: 'text/markdown', size: Buffer.byteLength(text), status: 'QUEUED' });
    const documentId = added.body.id;
    expect(await documentCount(botId)).toBe(1);
    expect((await call(pg, 'alice', 'GET', `/bots/${botId}`)).body.knowledge).toEqual({ mode: 'shared', numberOfResults: 5, documentCount: 1 });
    // the upload moved to documents/ with its name
    expect(await keysUnder(`uploads/${botId}/`)).toEqual([]);
    // the document and, beside it, its metadata file (direct ingestion of a document in S3 takes its metadata from S3)
    expect(await keysUnder(`documents/${botId}/`)).toEqual([`documents/${botId}/${documentId}/Refund policy.md`, `documents/${botId}/${documentId}/Refund policy.md.metadata.json`]);
    const metadataFile = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `documents/${botId}/${documentId}/Refund policy.md.metadata.json` }));
    expect(JSON.parse(await metadataFile.Body!.transformToString())).toEqual({ metadataAttributes: { botId, ownerId: sub('alice'), documentId, documentName: 'Refund policy.md' } });

    let listed: Reply | undefined;
    await waitFor(async () => {
      listed = await call(pg, 'alice', 'GET', `/knowledge/bots/${botId}/documents`);
      return listed.body.items[0]?.status === 'SUCCEEDED';
    });
    expect(listed!.body.items).toEqual([expect.objectContaining({ id: documentId, name: 'Refund policy.md', status: 'SUCCEEDED' })]);

    const found = await retrieve(botId, 'refunds accepted');
    expect(found.length).toBeGreaterThan(0);
    expect(found[0].content?.text).toContain('Refunds are accepted within 30 days');
    expect(found[0].metadata).toMatchObject({ botId, ownerId: sub('alice'), documentId, documentName: 'Refund policy.md' });
    expect(await retrieve(other, 'refunds accepted')).toEqual([]);

    const source = await call(pg, 'alice', 'GET', `/knowledge/bots/${botId}/documents/${documentId}/source`);
    expect(source.status).toBe(200);
    const got = await fetch(source.body.url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(got.headers.get('content-disposition')).toMatch(/^inline; filename\*=UTF-8''Refund%20policy\.md$/);
    expect(await got.text()).toBe(text);

    // a save of the bot keeps the count
    expect((await call(pg, 'alice', 'PATCH', `/bots/${botId}`, { description: 'Changed' })).body.knowledge).toEqual({ mode: 'shared', numberOfResults: 5, documentCount: 1 });
    expect(await documentCount(botId)).toBe(1);

    expect((await call(pg, 'alice', 'DELETE', `/knowledge/bots/${botId}/documents/${documentId}`)).status).toBe(204);
    expect(await documentCount(botId)).toBe(0);
    expect((await call(pg, 'alice', 'GET', `/knowledge/bots/${botId}/documents`)).body.items).toEqual([]);
    expect(await keysUnder(`documents/${botId}/`)).toEqual([]);
    await pg.stack.knowledge!.idle();
    expect(await retrieve(botId, 'refunds accepted')).toEqual([]);
    expect((await call(pg, 'alice', 'DELETE', `/knowledge/bots/${botId}/documents/${documentId}`)).status).toBe(404);
    expect(await documentCount(botId)).toBe(0);
  });

  test('a bot save that read the count before a document was added is refused (CONFLICT) instead of forgetting it', async () => {
    const botId = await createBot('Counted');
    const store = new BotStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), process.env.BOT_TABLE_NAME!);
    const before = (await store.get(botId))!;
    expect((await addDocument('alice', botId, 'a.txt', 'text/plain', 'Alpha')).status).toBe(201);
    // The write a PATCH makes from what it read (replace() is the one every save goes through).
    const stale = botItem({ ...before, description: 'stale', updatedAt: new Date().toISOString() });
    await expect((store as unknown as { replace(i: unknown, b: unknown): Promise<void> }).replace(stale, before)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await documentCount(botId)).toBe(1);
    const patched = await call(pg, 'alice', 'PATCH', `/bots/${botId}`, { description: 'fresh' });
    expect(patched.body).toMatchObject({ description: 'fresh', knowledge: { documentCount: 1 } });
    expect(await documentCount(botId)).toBe(1);
  });

  test('every text type is accepted, whatever the letter case of its extension', async () => {
    const botId = await createBot('Types');
    for (const [name, type] of [['a.TXT', 'text/plain'], ['b.htm', 'text/html'], ['c.html', 'text/html'], ['d.Md', 'text/markdown']]) {
      expect({ name, status: (await addDocument('alice', botId, name, type, '<p>Hello</p>')).status }).toEqual({ name, status: 201 });
    }
    expect(await documentCount(botId)).toBe(4);
  });
});

test('every knowledge route\'s answer matches the schema it documents', async () => {
  const botId = await createBot('Documented');
  const up = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/uploads`, { name: 'a.txt', contentType: 'text/plain', size: 5 });
  await put(up.body, Buffer.from('Hello'));
  const replies: Record<string, Reply> = { 'POST /knowledge/bots/{botId}/uploads': up };
  replies['POST /knowledge/bots/{botId}/documents'] = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/documents`, { uploadId: up.body.uploadId });
  const doc = replies['POST /knowledge/bots/{botId}/documents'].body.id;
  replies['GET /knowledge/bots/{botId}/documents'] = await call(pg, 'alice', 'GET', `/knowledge/bots/${botId}/documents`);
  replies['GET /knowledge/bots/{botId}/documents/{documentId}/source'] = await call(pg, 'alice', 'GET', `/knowledge/bots/${botId}/documents/${doc}/source`);
  replies['DELETE /knowledge/bots/{botId}/documents/{documentId}'] = await call(pg, 'alice', 'DELETE', `/knowledge/bots/${botId}/documents/${doc}`);
  // the bulk sync's status (admins; its flows: knowledge-sync.test.ts)
  replies['GET /knowledge/sync'] = await call(pg, 'admin', 'GET', '/knowledge/sync');
  // GET /knowledge/bases and the sync of a dedicated bot: their answers are checked in knowledge-settings.test.ts.
  const routesHere = KNOWLEDGE_ROUTES.filter((r) => r.path !== '/knowledge/bases' && r.path !== '/knowledge/bots/{botId}/sync');
  expect(Object.keys(replies).sort()).toEqual(routesHere.map((r) => `${r.method} ${r.path}`).sort());
  for (const route of routesHere) {
    const key = `${route.method} ${route.path}`;
    expect([key, replies[key].status]).toEqual([key, route.response.status]);
    if (route.response.schema) expect([key, validate(route.response.schema, replies[key].body)]).toEqual([key, undefined]);
  }
  // and the bot's own schema, with its knowledge
  const getBot = BOT_ROUTES.find((r) => r.method === 'GET' && r.path === '/bots/{botId}')!;
  expect(validate(getBot.response.schema!, (await call(pg, 'alice', 'GET', `/bots/${botId}`)).body)).toBeUndefined();
});

test('a document Bedrock cannot read ends FAILED with its reason; bot lists and the store never show document records', async () => {
  const botId = await createBot('Broken', { scope: 'all' });
  const broken = await addDocument('alice', botId, 'broken.pdf', 'application/pdf', 'this is not a PDF');
  expect(broken.status).toBe(201);
  let items: any[] = [];
  await waitFor(async () => {
    items = (await call(pg, 'alice', 'GET', `/knowledge/bots/${botId}/documents`)).body.items;
    return items[0]?.status === 'FAILED';
  });
  expect(items[0]).toMatchObject({ id: broken.body.id, status: 'FAILED', statusReason: expect.any(String) });
  expect(items[0].statusReason.length).toBeGreaterThan(0);
  for (const path of ['/bots?kind=mine', '/store/search?q=Broken', '/store/popular', '/store/pickup']) {
    const listed = await call(pg, 'alice', 'GET', path);
    expect({ path, status: listed.status }).toEqual({ path, status: 200 });
    expect({ path, documents: listed.text.includes(broken.body.id) || listed.text.includes('broken.pdf') }).toEqual({ path, documents: false });
  }
});

test('a bot declared in code: its documents cannot be changed in the app (403 MANAGED), and nothing is written', async () => {
  const before = await botTableSnapshot();
  // writing-coach: examples/full-system declares it, shared with everyone.
  const up = await call(pg, 'alice', 'POST', '/knowledge/bots/writing-coach/uploads', { name: 'a.txt', contentType: 'text/plain', size: 3 });
  expect([up.status, up.body.code]).toEqual([403, 'MANAGED']);
  const reg = await call(pg, 'admin', 'POST', '/knowledge/bots/writing-coach/documents', { uploadId: '01J00000000000000000000000' });
  expect([reg.status, reg.body.code]).toEqual([403, 'MANAGED']);
  expect((await call(pg, 'admin', 'GET', '/knowledge/bots/writing-coach/documents')).body).toEqual({ items: [] });
  expect((await call(pg, 'bob', 'GET', '/knowledge/bots/writing-coach/documents')).status).toBe(404);
  expect(await botTableSnapshot()).toBe(before);
});

describe('who may do what', () => {
  let privateBot: string;
  let sharedBot: string;
  let groupBot: string;
  let publicBot: string;
  const docs: Record<string, string> = {};

  beforeAll(async () => {
    const cognito = new CognitoIdentityProviderClient({ endpoint: pg.stack.cognitoEndpoint, region, credentials });
    const poolId = pg.stack.userPools[0].userPoolId;
    // PublishAllowed: a group the template's user pool declares.
    await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'bob', GroupName: 'PublishAllowed' }));
    cognito.destroy();
    privateBot = await createBot('Private');
    sharedBot = await createBot('Shared with bob', { scope: 'partial', users: [sub('bob')] });
    groupBot = await createBot('Shared with PublishAllowed', { scope: 'partial', groups: ['PublishAllowed'] });
    publicBot = await createBot('Public', { scope: 'all' });
    for (const id of [privateBot, sharedBot, groupBot, publicBot]) {
      const r = await addDocument('alice', id, 'notes.txt', 'text/plain', 'Some notes.');
      expect(r.status).toBe(201);
      docs[id] = r.body.id;
    }
    // Every document final, so that listing (which refreshes statuses) writes nothing in the tests below.
    for (const id of Object.keys(docs)) {
      await waitFor(async () => (await call(pg, 'alice', 'GET', `/knowledge/bots/${id}/documents`)).body.items[0]?.status === 'SUCCEEDED');
    }
  });

  type Who = User | 'anonymous';
  const routes = (botId: string, documentId: string) => ({
    upload: () => ['POST', `/knowledge/bots/${botId}/uploads`, { name: 'x.txt', contentType: 'text/plain', size: 3 }] as const,
    register: () => ['POST', `/knowledge/bots/${botId}/documents`, { uploadId: '01J00000000000000000000000' }] as const,
    list: () => ['GET', `/knowledge/bots/${botId}/documents`, undefined] as const,
    delete: () => ['DELETE', `/knowledge/bots/${botId}/documents/${documentId}`, undefined] as const,
    source: () => ['GET', `/knowledge/bots/${botId}/documents/${documentId}/source`, undefined] as const,
    sync: () => ['POST', `/knowledge/bots/${botId}/sync`, undefined] as const,
  });
  const statusOf = async (who: Who, botId: string, route: keyof ReturnType<typeof routes>) => {
    const [method, path, body] = routes(botId, docs[botId])[route]();
    return (await call(pg, who === 'anonymous' ? undefined : who, method, path, body)).status;
  };

  test('others: a private bot\'s documents do not exist (404) for bob; anonymous callers are refused (401); nothing is written', async () => {
    const before = await botTableSnapshot();
    for (const route of ['upload', 'register', 'list', 'delete', 'source', 'sync'] as const) {
      expect({ route, status: await statusOf('bob', privateBot, route) }).toEqual({ route, status: 404 });
      for (const bot of [privateBot, publicBot]) expect({ route, status: await statusOf('anonymous', bot, route) }).toEqual({ route, status: 401 });
    }
    expect(await botTableSnapshot()).toBe(before);
  });

  test('users a bot is shared with (by name, by group, with everyone) read its sources only; admins list and read; neither changes', async () => {
    const before = await botTableSnapshot();
    for (const [who, bot] of [['bob', sharedBot], ['bob', groupBot], ['bob', publicBot], ['admin', privateBot], ['admin', publicBot]] as const) {
      expect({ who, bot, source: await statusOf(who, bot, 'source') }).toEqual({ who, bot, source: 200 });
      for (const route of ['upload', 'register', 'delete', 'sync'] as const) {
        expect({ who, bot, route, status: await statusOf(who, bot, route) }).toEqual({ who, bot, route, status: 404 });
      }
      const list = await statusOf(who, bot, 'list');
      expect({ who, bot, list }).toEqual({ who, bot, list: who === 'admin' ? 200 : 404 });
    }
    expect(await botTableSnapshot()).toBe(before);
    expect(await documentCount(publicBot)).toBe(1);
  });

  test('the owner may do everything; another bot\'s document id is 404', async () => {
    expect(await statusOf('alice', privateBot, 'list')).toBe(200);
    expect(await statusOf('alice', privateBot, 'source')).toBe(200);
    expect(await statusOf('alice', privateBot, 'upload')).toBe(201);
    // A shared bot has no knowledge base of its own to sync (dedicated bots: knowledge-settings.test.ts).
    expect(await statusOf('alice', privateBot, 'sync')).toBe(422);
    const wrong = await call(pg, 'alice', 'GET', `/knowledge/bots/${privateBot}/documents/${docs[sharedBot]}/source`);
    expect(wrong.status).toBe(404);
    expect((await call(pg, 'alice', 'DELETE', `/knowledge/bots/${privateBot}/documents/${docs[sharedBot]}`)).status).toBe(404);
    expect(await documentCount(sharedBot)).toBe(1);
  });
});

describe('bad input: 4xx and nothing written', () => {
  let botId: string;
  let otherBot: string;
  beforeAll(async () => {
    botId = await createBot('Target');
    otherBot = await createBot('Other target');
  });

  const state = async () => `${await botTableSnapshot()}${JSON.stringify(await keysUnder(`documents/${botId}/`))}`;

  test('upload requests with an unsupported type, a zero or too large size, or a hostile name are refused', async () => {
    const before = await state();
    const names = fc.oneof(
      fc.string({ minLength: 1, maxLength: 20 }).map((s) => `${s}\u0000.txt`),
      fc.string({ minLength: 1, maxLength: 20 }).map((s) => `../${s}.txt`),
      fc.string({ minLength: 1, maxLength: 20 }).map((s) => `a\\${s}.txt`),
      fc.string({ minLength: 256, maxLength: 300 }).map((s) => `${s}.txt`),
      fc.constantFrom('', 'noextension', 'script.exe', 'photo.png', 'sheet.xlsx', '.txt ', `${'中'.repeat(251)}.txt`),
    );
    const bad = fc.oneof(
      names.map((name) => ({ name, contentType: 'text/plain', size: 10 })),
      fc.constantFrom('image/png', 'application/zip', 'text/csv', 'text/javascript').map((contentType) => ({ name: 'a.txt', contentType, size: 10 })),
      fc.constantFrom(['a.pdf', 'text/plain'], ['a.md', 'text/html'], ['a.docx', 'application/pdf']).map(([name, contentType]) => ({ name, contentType, size: 10 })),
      fc.oneof(
        fc.constant(0), fc.integer({ min: -1000, max: -1 }),
        fc.integer({ min: MAX_KNOWLEDGE_BYTES + 1, max: 2 ** 40 }), fc.double({ min: 0.1, max: 0.9 }),
      )
        .map((size) => ({ name: 'a.txt', contentType: 'text/plain', size })),
    );
    await fc.assert(fc.asyncProperty(bad, async (body) => {
      const r = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/uploads`, body);
      if (r.status !== 400 || typeof r.body?.message !== 'string') throw new Error(`${JSON.stringify(body)} -> ${r.status} ${r.text}`);
    }), { numRuns: RUNS });
    // 255 characters, but 2,263 bytes percent-encoded: more than S3's 2 KB of user metadata
    const long = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/uploads`, { name: `${'中'.repeat(251)}.txt`, contentType: 'text/plain', size: 3 });
    expect(long.status).toBe(400);
    expect(await keysUnder(`uploads/${botId}/`)).toEqual([]);
    expect(await state()).toBe(before);
  });

  test('registering an unknown upload, another bot\'s upload, or one whose bytes differ from the declaration is refused', async () => {
    const before = await state();
    const unknown = fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    await fc.assert(fc.asyncProperty(unknown, async (uploadId) => {
      const r = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/documents`, { uploadId });
      if (r.status !== 400) throw new Error(`${uploadId} -> ${r.status} ${r.text}`);
    }), { numRuns: RUNS });
    for (const uploadId of ['../x', 'a'.repeat(27), '', 42]) {
      expect((await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/documents`, { uploadId })).status).toBe(400);
    }
    // another bot's upload
    const elsewhere = await call(pg, 'alice', 'POST', `/knowledge/bots/${otherBot}/uploads`, { name: 'a.txt', contentType: 'text/plain', size: 5 });
    expect((await put(elsewhere.body, Buffer.from('Hello'))).status).toBe(200);
    expect((await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/documents`, { uploadId: elsewhere.body.uploadId })).status).toBe(400);
    // declared 5 bytes, PUT 6 (S3 refuses the signed length; the local S3 does not check signatures, registering does)
    const sizes = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/uploads`, { name: 'b.txt', contentType: 'text/plain', size: 5 });
    await put(sizes.body, Buffer.from('Hello!'));
    const mismatch = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/documents`, { uploadId: sizes.body.uploadId });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.message).toMatch(/6 bytes, not the 5 declared/);
    // declared text/plain, PUT as text/html
    const types = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/uploads`, { name: 'c.txt', contentType: 'text/plain', size: 5 });
    await fetch(types.body.url, { method: 'PUT', headers: { ...types.body.headers, 'content-type': 'text/html' }, body: 'Hello' });
    expect((await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/documents`, { uploadId: types.body.uploadId })).status).toBe(400);
    expect(await state()).toBe(before);
  });

  test(`at most ${MAX_DOCUMENTS_PER_BOT} documents a bot: the next is 409 LIMIT and leaves nothing behind`, async () => {
    const full = await createBot('Full');
    for (let i = 0; i < MAX_DOCUMENTS_PER_BOT; i++) {
      const r = await addDocument('alice', full, `doc-${i}.txt`, 'text/plain', `Document number ${i}.`);
      if (r.status !== 201) throw new Error(`document ${i}: ${r.status} ${r.text}`);
    }
    expect(await documentCount(full)).toBe(MAX_DOCUMENTS_PER_BOT);
    const before = await botTableSnapshot();
    const over = await addDocument('alice', full, 'one-more.txt', 'text/plain', 'One too many.');
    expect(over.status).toBe(409);
    expect(over.body.code).toBe('LIMIT');
    expect(await botTableSnapshot()).toBe(before);
    // each document with its metadata file
    expect((await keysUnder(`documents/${full}/`)).length).toBe(2 * MAX_DOCUMENTS_PER_BOT);
  }, 120_000);
});

describe('deleting a bot', () => {
  test('the deletion pipe removes its records, objects and vectors; a redelivered event is harmless', async () => {
    const botId = await createBot('Doomed');
    const added = await addDocument('alice', botId, 'secret.txt', 'text/plain', 'The launch code is swordfish.');
    expect(added.status).toBe(201);
    // a pending upload too
    const pending = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/uploads`, { name: 'later.txt', contentType: 'text/plain', size: 5 });
    await put(pending.body, Buffer.from('Later'));
    await pg.stack.knowledge!.idle();
    expect((await retrieve(botId, 'launch code swordfish')).length).toBeGreaterThan(0);
    const image = (await new DynamoDBClient({}).send(new GetItemCommand({ TableName: process.env.BOT_TABLE_NAME, Key: { pk: { S: `BOT#${botId}` }, sk: { S: 'BOT' } } }))).Item!;

    expect((await call(pg, 'alice', 'DELETE', `/bots/${botId}`)).status).toBe(204);
    await waitFor(async () => !(await botTableSnapshot()).includes(`"DOC#${added.body.id}"`));
    await pg.idle();
    await pg.stack.knowledge!.idle();
    expect(await keysUnder(`documents/${botId}/`)).toEqual([]);
    expect(await keysUnder(`uploads/${botId}/`)).toEqual([]);
    expect(await retrieve(botId, 'launch code swordfish')).toEqual([]);

    // the same REMOVE record once more, through the cleanup's own code with the function's environment
    const documents = { deletePrefix: deleteDocumentObjects, deleteFromIndex: deleteKnowledgeDocuments };
    const again = await cleanUpDeletedBots({ db: documentClient(), tableName: process.env.BOT_TABLE_NAME!, bedrock: bedrockControl(), documents },
      [{ eventName: 'REMOVE', dynamodb: { Keys: { pk: { S: `BOT#${botId}` }, sk: { S: 'BOT' } }, OldImage: image } }]);
    expect(again).toEqual({ bots: [botId], removed: { 'stars, recents and shares': 0, 'guardrail': 0, 'documents': 0, 'dedicated knowledge base': 0 } });
  });

  test('registering a document for a bot that is gone is refused (404) and counts nothing', async () => {
    const botId = await createBot('Gone');
    const up = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/uploads`, { name: 'a.txt', contentType: 'text/plain', size: 5 });
    await put(up.body, Buffer.from('Hello'));
    expect((await call(pg, 'alice', 'DELETE', `/bots/${botId}`)).status).toBe(204);
    const r = await call(pg, 'alice', 'POST', `/knowledge/bots/${botId}/documents`, { uploadId: up.body.uploadId });
    expect(r.status).toBe(404);
    expect(await documentCount(botId)).toBeUndefined();
    await pg.idle();
    expect((await botTableSnapshot()).includes(`BOT#${botId}`)).toBe(false);
  });
});
