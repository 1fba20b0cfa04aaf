/**
 * The REST API over the wire: HTTP with real tokens against the HTTP API stand-in, which runs api.lambda; the store
 * writes dynalite with the real SDK; titles come from the Bedrock fake (Converse). Each route's happy path and 404s.
 */
import { readFileSync } from 'fs';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { call, clearUser, itemCount, seed, snapshot, sub } from './rest-helpers';
import { BotStore } from '../../src/lambdas/core/bots';
import { KNOWLEDGE_ROUTES } from '../../src/lambdas/core/knowledge-routes';
import { ROUTES } from '../../src/lambdas/core/rest';
import { validate } from '../../src/lambdas/core/schema';
import { documentClient } from '../../src/lambdas/wiring/store';
import type { FakeRequest, FakeScript } from '../../src/local/emulators/bedrock';
import { LOCAL_USERS } from '../../src/local/idp';
import { offlineModel, OFFLINE_MODEL_ID } from '../../src/local/offline-model';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';

const MISSING = '01JAAAAAAAAAAAAAAAAAAAAAAA';
const offline = offlineModel({ wordDelayMs: 0 });
let script: ((req: FakeRequest) => FakeScript) | undefined;
let pg: Playground;

beforeAll(async () => {
  process.env.TITLE_MODEL_ID = 'example.title-model-v1';
  pg = await startPlayground({ handlers: 'in-process', models: OFFLINE_MODELS, quiet: true, respond: (req) => (script ?? offline)(req) });
});
afterAll(async () => {
  await pg?.stop();
});
beforeEach(async () => {
  script = undefined;
  await clearUser('alice');
  await clearUser('bob');
});

describe('GET /conversations', () => {
  test('lists the caller\'s conversations, most recent first, page by page', async () => {
    const a = await seed('alice', 'first', ['q1', 'a1']);
    const b = await seed('alice', 'second', ['q2', 'a2']);
    await seed('bob', 'bob\'s', ['hello']);

    const all = await call(pg, 'alice', 'GET', '/conversations');
    expect(all.status).toBe(200);
    expect(all.body.items.map((i: any) => i.id)).toEqual([b.conversationId, a.conversationId]);
    expect(Object.keys(all.body.items[0]).sort()).toEqual(['createdAt', 'id', 'model', 'title', 'updatedAt']);

    const page1 = await call(pg, 'alice', 'GET', '/conversations?limit=1');
    expect(page1.body.items.map((i: any) => i.title)).toEqual(['second']);
    const page2 = await call(pg, 'alice', 'GET', `/conversations?limit=1&nextToken=${page1.body.nextToken}`);
    expect(page2.body.items.map((i: any) => i.title)).toEqual(['first']);
  });

  test('a page token of another user is refused', async () => {
    await seed('bob', 'one', ['x']);
    await seed('bob', 'two', ['y']);
    const bobPage = await call(pg, 'bob', 'GET', '/conversations?limit=1');
    expect(bobPage.body.nextToken).toBeDefined();
    const res = await call(pg, 'alice', 'GET', `/conversations?limit=1&nextToken=${bobPage.body.nextToken}`);
    expect(res).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', message: 'nextToken is not valid.' } });
  });
});

describe('GET /conversations/{id}', () => {
  test('returns the conversation and its messages; 404 when absent, 400 when the id is malformed', async () => {
    const c = await seed('alice', 'tree', ['question', 'answer']);
    const res = await call(pg, 'alice', 'GET', `/conversations/${c.conversationId}`);
    expect(res.status).toBe(200);
    expect(res.body.conversation).toMatchObject({ id: c.conversationId, title: 'tree', lastMessageId: c.messageIds[1] });
    expect(res.body.messages.map((m: any) => [m.role, m.content[0].text])).toEqual([['user', 'question'], ['assistant', 'answer']]);
    expect(res.body.messages[0]).not.toHaveProperty('searchText');

    expect(await call(pg, 'alice', 'GET', `/conversations/${MISSING}`)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND', message: 'Conversation not found.' } });
    expect(await call(pg, 'alice', 'GET', '/conversations/nope')).toMatchObject({
      status: 400, body: { code: 'BAD_REQUEST', message: 'The path parameter conversationId has an invalid format.' },
    });
  });
});

describe('PATCH /conversations/{id}', () => {
  test('renames (trimmed, whitespace collapsed) without changing the recency; 404 when absent', async () => {
    const c = await seed('alice', 'old title', ['q', 'a']);
    const before = (await call(pg, 'alice', 'GET', `/conversations/${c.conversationId}`)).body.conversation;
    const res = await call(pg, 'alice', 'PATCH', `/conversations/${c.conversationId}`, { title: '  New\n\ttitle  ' });
    expect(res).toMatchObject({ status: 200, body: { id: c.conversationId, title: 'New title', updatedAt: before.updatedAt } });
    const after = await call(pg, 'alice', 'GET', `/conversations/${c.conversationId}`);
    expect(after.body.conversation).toMatchObject({ title: 'New title', updatedAt: before.updatedAt });
    expect((await call(pg, 'alice', 'GET', '/conversations/search?q=new%20TITLE')).body.items).toEqual([
      { conversationId: c.conversationId, title: 'New title', snippet: 'New title' },
    ]);
    expect((await call(pg, 'alice', 'GET', '/conversations/search?q=old')).body.items).toEqual([]);

    const count = await itemCount();
    expect(await call(pg, 'alice', 'PATCH', `/conversations/${MISSING}`, { title: 'x' })).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(await itemCount()).toBe(count);
  });

  test.each([
    [{ title: '' }, 'Title must not be empty.'],
    [{ title: '   ' }, 'Title has an invalid format.'],
    [{ title: '\u0001\u0002' }, 'Title must not be empty.'],
    [{ title: 'x'.repeat(201) }, 'Title must have at most 200 characters.'],
    [{ title: 42 }, 'Title must be a string.'],
    [{}, 'Title is required.'],
    [{ title: 'ok', pinned: true }, 'Pinned is not allowed.'],
    [[], 'The body must be an object.'],
    ['{"title":', 'The body is not valid JSON.'],
  ])('rejects %j: %s', async (body, message) => {
    const c = await seed('alice', 'keep', ['q']);
    const before = await snapshot();
    expect(await call(pg, 'alice', 'PATCH', `/conversations/${c.conversationId}`, body)).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', message } });
    expect(await snapshot()).toBe(before);
  });

  test('a body over 16 KB is refused with 413', async () => {
    const c = await seed('alice', 'keep', ['q']);
    const res = await call(pg, 'alice', 'PATCH', `/conversations/${c.conversationId}`, { title: 'x'.repeat(17_000) });
    expect(res).toMatchObject({ status: 413, body: { code: 'TOO_LARGE', message: 'The body is larger than 16 KB.' } });
  });
});

describe('DELETE /conversations/{id}', () => {
  test('deletes the conversation and every message (more than one batch of 25), and nothing else', async () => {
    const big = await seed('alice', 'long', Array.from({ length: 61 }, (_, i) => `message ${i}`));
    const other = await seed('alice', 'keep me', ['q', 'a']);
    const bobs = await seed('bob', 'bob keeps his', ['q']);
    expect(await itemCount('alice')).toBe(62 + 3);

    const res = await call(pg, 'alice', 'DELETE', `/conversations/${big.conversationId}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(await itemCount('alice')).toBe(3);
    expect((await call(pg, 'alice', 'GET', `/conversations/${big.conversationId}`)).status).toBe(404);
    expect((await call(pg, 'alice', 'GET', `/conversations/${other.conversationId}`)).status).toBe(200);
    expect((await call(pg, 'bob', 'GET', `/conversations/${bobs.conversationId}`)).status).toBe(200);

    expect(await call(pg, 'alice', 'DELETE', `/conversations/${big.conversationId}`)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  });
});

describe('DELETE /conversations', () => {
  test('deletes all of the caller\'s conversations and messages, and only the caller\'s', async () => {
    await seed('alice', 'one', ['q', 'a']);
    await seed('alice', 'two', Array.from({ length: 30 }, (_, i) => `m${i}`));
    await seed('bob', 'bob', ['q', 'a']);
    const bobBefore = await itemCount('bob');

    const res = await call(pg, 'alice', 'DELETE', '/conversations');
    expect(res).toMatchObject({ status: 200, body: { deleted: 2 } });
    expect(await itemCount('alice')).toBe(0);
    expect((await call(pg, 'alice', 'GET', '/conversations')).body.items).toEqual([]);
    expect(await itemCount('bob')).toBe(bobBefore);

    expect(await call(pg, 'alice', 'DELETE', '/conversations')).toMatchObject({ status: 200, body: { deleted: 0 } });
  });
});

describe('POST /conversations/{id}/title', () => {
  test('proposes a title with the title model from the first question and answer, and saves nothing but the usage it counts', async () => {
    script = () => ({ steps: [{ type: 'text', text: 'Title: "Pricing of Amazon Bedrock, explained."\nMore text' }], usage: { inputTokens: 40, outputTokens: 7 } });
    const c = await seed('alice', 'how much does bedrock cost', ['How much does Bedrock cost?', 'It depends on the model.', 'And Nova?']);
    const before = await snapshot();
    const sent = pg.bedrockRequests().length;

    const res = await call(pg, 'alice', 'POST', `/conversations/${c.conversationId}/title`);
    expect(res).toMatchObject({ status: 200, body: { title: 'Pricing of Amazon Bedrock, explained' } });
    // The title call is a model call under the usage limits: only the caller's counter item changed, by its usage.
    const withoutUsage = (snap: string) => JSON.stringify(JSON.parse(snap).filter((i: any) => i.sk.S !== 'USAGE'));
    expect(withoutUsage(await snapshot())).toBe(withoutUsage(before));
    const usage = await call(pg, 'alice', 'GET', '/usage');
    const counted = (snap: string) => {
      const item = JSON.parse(snap).find((i: any) => i.sk.S === 'USAGE' && i.pk.S === `USER#${sub('alice')}`) ?? {};
      return Number(Object.entries<any>(item).find(([k]) => k.startsWith('t_h'))?.[1].N ?? 0);
    };
    expect(counted(await snapshot()) - counted(before)).toBe(47);
    expect(usage.body.windows[0].tokens.used).toBe(counted(await snapshot()));

    const req = pg.bedrockRequests()[sent];
    expect(req).toMatchObject({ operation: 'Converse', modelId: 'example.title-model-v1' });
    const prompt = req.body.messages![0].content[0].text as string;
    expect(prompt).toContain('User: How much does Bedrock cost?');
    expect(prompt).toContain('Assistant: It depends on the model.');
    expect(prompt).not.toContain('And Nova?');
  });

  test('works with the offline model too, within the length of a title', async () => {
    const c = await seed('alice', 'q', ['Tell me about llamas']);
    const res = await call(pg, 'alice', 'POST', `/conversations/${c.conversationId}/title`);
    expect(res.status).toBe(200);
    expect(res.body.title.length).toBeGreaterThan(0);
    expect(res.body.title.length).toBeLessThanOrEqual(80);
  });

  test('404 when absent (the model is not called); model failures are 429 or 502', async () => {
    const sent = pg.bedrockRequests().length;
    expect(await call(pg, 'alice', 'POST', `/conversations/${MISSING}/title`)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(pg.bedrockRequests().length).toBe(sent);

    const c = await seed('alice', 'q', ['question']);
    script = () => ({ error: { status: 429, name: 'ThrottlingException', message: 'slow down' }, steps: [] });
    expect(await call(pg, 'alice', 'POST', `/conversations/${c.conversationId}/title`)).toMatchObject({ status: 429, body: { code: 'THROTTLED' } });
    script = () => ({ error: { status: 400, name: 'ValidationException', message: 'no' }, steps: [] });
    expect(await call(pg, 'alice', 'POST', `/conversations/${c.conversationId}/title`)).toMatchObject({ status: 502, body: { code: 'MODEL_ERROR' } });
  });
});

describe('PUT /conversations/{id}/messages/{messageId}/feedback', () => {
  test('stores feedback on an answer, shown with the conversation; replaces earlier feedback', async () => {
    const c = await seed('alice', 'q', ['question', 'answer']);
    const url = `/conversations/${c.conversationId}/messages/${c.messageIds[1]}/feedback`;
    const down = await call(pg, 'alice', 'PUT', url, { thumbsUp: false, category: 'notFactuallyCorrect', comment: '  wrong year  ' });
    expect(down).toMatchObject({ status: 200, body: { feedback: { thumbsUp: false, category: 'notFactuallyCorrect', comment: 'wrong year' } } });
    let got = await call(pg, 'alice', 'GET', `/conversations/${c.conversationId}`);
    expect(got.body.messages[1].feedback).toEqual(down.body.feedback);

    expect((await call(pg, 'alice', 'PUT', url, { thumbsUp: true })).status).toBe(200);
    got = await call(pg, 'alice', 'GET', `/conversations/${c.conversationId}`);
    expect(got.body.messages[1].feedback).toEqual({ thumbsUp: true, createdAt: expect.any(String) });
    expect(got.body.messages[0]).not.toHaveProperty('feedback');
  });

  test('404 for a missing message or conversation, 422 on a question, 400 on bad feedback; nothing written', async () => {
    const c = await seed('alice', 'q', ['question', 'answer']);
    const before = await snapshot();
    const put = (conversationId: string, messageId: string, body: unknown) =>
      call(pg, 'alice', 'PUT', `/conversations/${conversationId}/messages/${messageId}/feedback`, body);
    expect(await put(c.conversationId, MISSING, { thumbsUp: true })).toMatchObject({ status: 404, body: { code: 'NOT_FOUND', message: 'Message not found.' } });
    expect(await put(MISSING, c.messageIds[1], { thumbsUp: true })).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(await put(c.conversationId, c.messageIds[0], { thumbsUp: true })).toMatchObject({
      status: 422, body: { code: 'UNPROCESSABLE', message: 'Feedback can only be given on an answer.' },
    });
    expect(await put(c.conversationId, c.messageIds[1], { thumbsUp: false })).toMatchObject({ status: 400, body: { message: 'Category is required.' } });
    expect(await put(c.conversationId, c.messageIds[1], { thumbsUp: false, category: 'rude' })).toMatchObject({
      status: 400, body: { message: 'Category must be one of "notFactuallyCorrect", "notFollowingInstructions", "other".' },
    });
    expect(await put(c.conversationId, c.messageIds[1], { thumbsUp: true, comment: 'x'.repeat(1001) })).toMatchObject({
      status: 400, body: { message: 'Comment must have at most 1000 characters.' },
    });
    expect(await put(c.conversationId, c.messageIds[1], { thumbsUp: 'yes' })).toMatchObject({ status: 400, body: { message: 'ThumbsUp must be true or false.' } });
    expect(await snapshot()).toBe(before);
  });
});

describe('GET /conversations/search', () => {
  test('finds titles and message texts, case-insensitively, only in the caller\'s conversations', async () => {
    const llamas = await seed('alice', 'Llama facts', ['Tell me about LLAMAS please', 'Llamas are camelids from South America.']);
    await seed('alice', 'Weather', ['Will it rain tomorrow?', 'Probably not.']);
    await seed('bob', 'bob llamas', ['llamas llamas']);

    const res = await call(pg, 'alice', 'GET', '/conversations/search?q=LLAMA');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual(expect.arrayContaining([
      { conversationId: llamas.conversationId, title: 'Llama facts', snippet: 'Llama facts' },
      { conversationId: llamas.conversationId, title: 'Llama facts', messageId: llamas.messageIds[0], snippet: 'Tell me about LLAMAS please' },
      { conversationId: llamas.conversationId, title: 'Llama facts', messageId: llamas.messageIds[1], snippet: 'Llamas are camelids from South America.' },
    ]));
    expect(res.body.items).toHaveLength(3);
    expect(res.body.nextToken).toBeUndefined();
    expect((await call(pg, 'alice', 'GET', '/conversations/search?q=%20rain%20tomorrow%20')).body.items).toHaveLength(1);
    expect((await call(pg, 'alice', 'GET', '/conversations/search?q=zebra')).body.items).toEqual([]);
  });

  test('long texts give a snippet around the match', async () => {
    const long = `${'a '.repeat(300)}the needle is here ${'b '.repeat(300)}`;
    await seed('alice', 'long', ['q', long]);
    const [hit] = (await call(pg, 'alice', 'GET', '/conversations/search?q=needle')).body.items;
    expect(hit.snippet).toContain('the needle is here');
    expect(hit.snippet.length).toBeLessThanOrEqual(162);
    expect(hit.snippet.startsWith('…') && hit.snippet.endsWith('…')).toBe(true);
  });

  test('at most 20 hits per call; nextToken gives the rest, newest conversation first', async () => {
    const c = await seed('alice', 'many', Array.from({ length: 30 }, (_, i) => `hit number ${i}`));
    const first = await call(pg, 'alice', 'GET', '/conversations/search?q=hit%20number');
    expect(first.body.items).toHaveLength(20);
    expect(first.body.items[0].messageId).toBe(c.messageIds[29]);
    expect(first.body.nextToken).toBeDefined();
    const rest = await call(pg, 'alice', 'GET', `/conversations/search?q=hit%20number&nextToken=${first.body.nextToken}`);
    const ids = [...first.body.items, ...rest.body.items].map((h: any) => h.messageId);
    expect(ids).toEqual([...c.messageIds].reverse());
  });

  test.each([
    ['q=a', 'The query parameter q must have at least 2 characters.'],
    ['q=%20a%20', 'The query parameter q has an invalid format.'],
    [`q=${'x'.repeat(101)}`, 'The query parameter q must have at most 100 characters.'],
    ['', 'The query parameter q is required.'],
    ['q=ok&sort=asc', 'The query parameter sort is not allowed.'],
  ])('rejects ?%s', async (query, message) => {
    expect(await call(pg, 'alice', 'GET', `/conversations/search?${query}`)).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', message } });
  });
});

describe('other routes', () => {
  test('GET /models lists the deployment\'s models and marks the default', async () => {
    const res = await call(pg, 'bob', 'GET', '/models');
    expect(res.status).toBe(200);
    expect(res.body.items).toContainEqual({ id: OFFLINE_MODEL_ID, name: 'Offline model', default: true });
    expect(res.body.items.filter((m: any) => m.default)).toHaveLength(1);
  });

  test('GET /health answers signed-in callers only', async () => {
    expect(await call(pg, 'bob', 'GET', '/health')).toMatchObject({ status: 200, body: { ok: true } });
    expect((await call(pg, undefined, 'GET', '/health')).status).toBe(401);
  });

  test('unknown paths are 404 and known paths with another method 405, both as {code, message}', async () => {
    expect(await call(pg, 'alice', 'GET', '/nope')).toMatchObject({ status: 404, body: { code: 'NOT_FOUND', message: 'No route for /nope.' } });
    expect(await call(pg, 'alice', 'POST', '/conversations')).toMatchObject({
      status: 405, body: { code: 'METHOD_NOT_ALLOWED', message: 'POST is not allowed here; use GET, DELETE.' },
    });
  });

  test('the conversation item and messages carry a lower-cased searchText', async () => {
    const c = await seed('alice', 'MiXeD Title', ['Hello   World']);
    const dump = JSON.parse(await snapshot()) as Record<string, any>[];
    const mine = dump.filter((i) => i.sk.S.startsWith(`CONV#${c.conversationId}`));
    expect(mine.map((i) => i.searchText.S).sort()).toEqual(['hello world', 'mixed title']);
  });

  test('POST /uploads presigns a PUT into the caller\'s own prefix; the file lands in the large-message bucket', async () => {
    const res = await call(pg, 'alice', 'POST', '/uploads', { name: 'Quarterly report (final).PDF', contentType: 'application/pdf', size: 9 });
    expect(res.status).toBe(200);
    expect(res.body.key).toMatch(new RegExp(`^uploads/${LOCAL_USERS.alice.sub}/[0-9A-HJKMNP-TV-Z]{26}/Quarterly-report-final\\.pdf$`));
    // The upload is tagged pending until a message references it (ExpireUnreferencedUploads; see upload-expiry.test.ts).
    expect(res.body.headers).toEqual({ 'content-type': 'application/pdf', 'x-amz-tagging': 'pending=true' });
    expect(Date.parse(res.body.expiresAt)).toBeGreaterThan(Date.now());
    const put = await fetch(res.body.url, { method: 'PUT', headers: res.body.headers, body: '%PDF-1.7\n' });
    expect(put.status).toBe(200);
    const s3 = new S3Client({ forcePathStyle: true });
    const got = await s3.send(new GetObjectCommand({ Bucket: process.env.LARGE_MESSAGE_BUCKET, Key: res.body.key }));
    expect(await got.Body!.transformToString()).toBe('%PDF-1.7\n');
    const other = await call(pg, 'bob', 'POST', '/uploads', { name: 'x.png', contentType: 'image/png', size: 1 });
    expect(other.body.key.startsWith(`uploads/${LOCAL_USERS.bob.sub}/`)).toBe(true);
  });

  test('POST /uploads refuses types Bedrock cannot read and files over 4.5 MB', async () => {
    expect((await call(pg, 'alice', 'POST', '/uploads', { name: 'x.svg', contentType: 'image/svg+xml', size: 10 })).status).toBe(400);
    const big = await call(pg, 'alice', 'POST', '/uploads', { name: 'x.pdf', contentType: 'application/pdf', size: 4_500_001 });
    expect(big).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', message: 'Size must be at most 4500000.' } });
    expect(await call(pg, 'alice', 'POST', '/uploads', { name: 'x.pdf', contentType: 'application/pdf', size: 4_500_000 })).toMatchObject({ status: 200 });
  });

  test('POST /uploads: an image over 3.75 MB is refused (Bedrock\'s image limit is lower than the document limit)', async () => {
    const big = await call(pg, 'alice', 'POST', '/uploads', { name: 'photo.jpg', contentType: 'image/jpeg', size: 4_000_000 });
    expect(big).toMatchObject({
      status: 400,
      body: { code: 'BAD_REQUEST', message: 'photo.jpg is 4 MB; Amazon Bedrock accepts images of at most 3.75 MB (documents up to 4.5 MB).' },
    });
    const ok = await call(pg, 'alice', 'POST', '/uploads', { name: 'photo.jpg', contentType: 'image/jpeg', size: 3_750_000 });
    expect(ok.status).toBe(200);
    expect(ok.body.documentName).toBeUndefined();
  });

  test('POST /uploads: file names without control characters or slashes; a document gets the name Bedrock accepts', async () => {
    for (const name of ['a/b.pdf', 'a\\b.pdf', 'tab\there.pdf', 'bell\u0007.pdf']) {
      const res = await call(pg, 'alice', 'POST', '/uploads', { name, contentType: 'application/pdf', size: 10 });
      expect(res).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', message: 'Name (the file name) may not contain control characters, slashes or backslashes.' } });
    }
    const res = await call(pg, 'alice', 'POST', '/uploads', { name: 'Résumé  final_v2 (draft).pdf', contentType: 'application/pdf', size: 10 });
    expect(res.status).toBe(200);
    expect(res.body.documentName).toBe('Resume final v2 (draft)');
  });

  test('GET /openapi.json serves the committed document, without the /knowledge routes of a deployment with KnowledgeBaseFactory (this one has none)', async () => {
    const res = await call(pg, 'bob', 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    const committed = JSON.parse(readFileSync(`${__dirname}/../../docs/openapi.json`, 'utf8'));
    const knowledgePaths = Object.keys(committed.paths).filter((p) => p.startsWith('/knowledge'));
    expect(knowledgePaths.length).toBeGreaterThan(3);
    for (const p of knowledgePaths) delete committed.paths[p];
    expect(res.body).toEqual(committed);
  });

  test('every answer matches the schema its route documents', async () => {
    const c = await seed('alice', 'documented', ['a question', 'an answer']);
    await call(pg, 'alice', 'PUT', `/conversations/${c.conversationId}/messages/${c.messageIds[1]}/feedback`, { thumbsUp: true });
    const requests: Record<string, [string, unknown?]> = {
      'GET /conversations': ['/conversations'],
      'GET /conversations/search': ['/conversations/search?q=question'],
      'GET /conversations/{conversationId}': [`/conversations/${c.conversationId}`],
      'PATCH /conversations/{conversationId}': [`/conversations/${c.conversationId}`, { title: 'renamed' }],
      'POST /conversations/{conversationId}/title': [`/conversations/${c.conversationId}/title`],
      'PUT /conversations/{conversationId}/messages/{messageId}/feedback': [`/conversations/${c.conversationId}/messages/${c.messageIds[1]}/feedback`, { thumbsUp: false, category: 'other' }],
      'GET /models': ['/models'],
      'POST /uploads': ['/uploads', { name: 'a.pdf', contentType: 'application/pdf', size: 3 }],
      'GET /health': ['/health'],
      'GET /openapi.json': ['/openapi.json'],
      'DELETE /conversations/{conversationId}': [`/conversations/${c.conversationId}`],
      'DELETE /conversations': ['/conversations'],
      // Bots (issue 11): alice creates a bot, makes it public, admin pins it; a recent is seeded with the real store.
      'POST /bots': ['/bots', { title: 'Documented bot', description: 'for the schema check' }],
      'GET /bots': ['/bots?kind=mine'],
      'GET /bots/{botId}': ['/bots/{bot}'],
      'PATCH /bots/{botId}': ['/bots/{bot}', { description: 'changed' }],
      'PUT /bots/{botId}/sharing': ['/bots/{bot}/sharing', { scope: 'all' }],
      'PUT /bots/{botId}/star': ['/bots/{bot}/star', { starred: true }],
      'PUT /admin/bots/{botId}/pin': ['/admin/bots/{bot}/pin', { pinned: true, order: 1 }],
      'GET /store/search': ['/store/search?q=documented'],
      'GET /store/popular': ['/store/popular'],
      'GET /store/pickup': ['/store/pickup'],
      'GET /store/essentials': ['/store/essentials'],
      'GET /users/search': ['/users/search?q=bo'],
      'GET /groups/search': ['/groups/search?q='],
      'GET /me': ['/me'],
      'DELETE /bots/{botId}/recent': ['/bots/{bot}/recent'],
      'DELETE /bots/{botId}': ['/bots/{bot}'],
      'GET /usage': ['/usage'],
    };
    // The admin routes answer alice 403 (usage-limits.test.ts calls them as an admin and checks their answers).
    const adminOnly = ROUTES.filter((r) => r.path.startsWith('/usage/limits')).map((r) => `${r.method} ${r.path}`);
    // The knowledge routes exist only with KnowledgeBaseFactory, which this composition has not: their answers are
    // checked against their schemas in knowledge-documents.test.ts (the full-system example).
    const knowledge = KNOWLEDGE_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect([...Object.keys(requests), ...adminOnly, ...knowledge].sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    let bot = '';
    for (const [key, [rawPath, body]] of Object.entries(requests)) {
      const route = ROUTES.find((r) => `${r.method} ${r.path}` === key)!;
      const path = rawPath.replace('{bot}', bot);
      if (key === 'DELETE /bots/{botId}/recent') await new BotStore(documentClient(), process.env.BOT_TABLE_NAME!).recordUse(sub('alice'), { id: bot, title: 'Documented bot' });
      const res = await call(pg, key.includes('/admin/') ? 'admin' : 'alice', route.method, path, body);
      if (key === 'POST /bots') bot = res.body.id;
      expect([key, res.status]).toEqual([key, route.response.status]);
      if (route.response.schema) expect([key, validate(route.response.schema, res.body)]).toEqual([key, undefined]);
    }
  });
});
