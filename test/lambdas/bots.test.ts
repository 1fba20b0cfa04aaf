/**
 * Custom bots over the wire (issue 11): every bot and store route through the HTTP API stand-in with real tokens, the
 * bot table on dynalite, group membership read from the local Cognito Identity Provider API at use time, and chat
 * with a bot through the WebSocket stand-in (the Bedrock fake records what the worker asked the model).
 */
import { AdminAddUserToGroupCommand, AdminRemoveUserFromGroupCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { botTableSnapshot } from './bot-helpers';
import { call, sub, User } from './rest-helpers';
import type { FakeRequest, FakeScript } from '../../src/local/emulators/bedrock';
import { offlineModel } from '../../src/local/offline-model';
import { Playground, startPlayground } from '../../src/local/playground';
import { request, WsClient } from '../../src/local/ws-client';

const offline = offlineModel({ wordDelayMs: 0 });
let script: ((req: FakeRequest) => FakeScript) | undefined;
let pg: Playground;
let cognito: CognitoIdentityProviderClient;
let poolId: string;

const CLAUDE = { key: 'claude', modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', displayName: 'Claude', capabilities: { reasoning: true, promptCaching: true } };
const NOVA = { key: 'nova', modelId: 'us.amazon.nova-pro-v1:0', displayName: 'Nova', capabilities: { promptCaching: true } };

beforeAll(async () => {
  process.env.TITLE_MODEL_ID = 'example.title-model-v1';
  pg = await startPlayground({
    handlers: 'in-process',
    models: [CLAUDE, NOVA],
    quiet: !process.env.DEBUG_LOGS,
    respond: (req) => (req.operation === 'Converse' ? { steps: [{ type: 'text', text: 'A title' }] } : (script ?? offline)(req)),
  });
  cognito = new CognitoIdentityProviderClient({ endpoint: pg.stack.cognitoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  poolId = pg.stack.userPools[0].userPoolId;
});
afterAll(async () => {
  await pg?.stop();
});
afterEach(async () => {
  script = undefined;
  await pg.idle();
});

const create = async (user: User, body: Record<string, unknown>) => {
  const res = await call(pg, user, 'POST', '/bots', body);
  expect(res.status).toBe(201);
  return res.body;
};
const share = (user: User, botId: string, body: Record<string, unknown>) => call(pg, user, 'PUT', `/bots/${botId}/sharing`, body);
const connect = (user: User) => WsClient.connect(pg.webSocketUrl, pg.issueToken(user));
const ask = (c: WsClient, text: string, extra: Record<string, unknown> = {}) => request(c, { action: 'sendMessage', content: [{ text }], ...extra });
const setGroup = (user: User, group: string, member: boolean) => cognito.send(member
  ? new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: user, GroupName: group })
  : new AdminRemoveUserFromGroupCommand({ UserPoolId: poolId, Username: user, GroupName: group }));

describe('creating and reading bots', () => {
  test('a creator creates a bot; the owner reads it whole, bob (no group) cannot create', async () => {
    const bot = await create('alice', {
      title: '  Translator  ',
      description: 'Translates into French',
      instructions: 'Answer in French.',
      generation: { maxTokens: 1000, temperature: 0.2, stopSequences: ['END'] },
      quickStarters: [{ title: 'Hello', example: 'Say hello' }],
      models: ['claude', 'nova'],
      defaultModel: 'nova',
    });
    expect(bot).toMatchObject({
      title: 'Translator',
      owner: 'you',
      scope: 'private',
      instructions: 'Answer in French.',
      models: ['claude', 'nova'],
      defaultModel: 'nova',
      promptCaching: true,
      showRetrievedChunks: false,
      knowledge: null,
      tools: [],
      sharing: { users: [], groups: [] },
      starred: false,
      usageCount: 0,
      available: true,
    });
    expect(bot.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const read = await call(pg, 'alice', 'GET', `/bots/${bot.id}`);
    expect(read).toMatchObject({ status: 200, body: { id: bot.id, instructions: 'Answer in French.' } });
    const mine = await call(pg, 'alice', 'GET', '/bots?kind=mine');
    expect(mine.body.items.map((b: any) => b.id)).toContain(bot.id);

    const refused = await call(pg, 'bob', 'POST', '/bots', { title: 'x' });
    expect(refused).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
  });

  test('generation parameters are checked against each allowed model, naming the field and the model', async () => {
    const topK = await call(pg, 'alice', 'POST', '/bots', { title: 't', models: ['claude', 'nova'], generation: { topK: 5 } });
    expect(topK).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    expect(topK.body.message).toMatch(/topK.*Nova \(nova\)/);
    expect((await call(pg, 'alice', 'POST', '/bots', { title: 't', models: ['claude'], generation: { topK: 5 } })).status).toBe(201);
    const reasoning = await call(pg, 'alice', 'POST', '/bots', { title: 't', models: ['nova'], generation: { reasoningBudget: 2048, maxTokens: 4096 } });
    expect(reasoning.body.message).toMatch(/reasoningBudget.*Nova \(nova\) does not reason/);
    const budget = await call(pg, 'alice', 'POST', '/bots', { title: 't', models: ['claude'], generation: { reasoningBudget: 2048, maxTokens: 2048 } });
    expect(budget.body.message).toMatch(/reasoningBudget must be less than maxTokens/);
    const tooMany = await call(pg, 'alice', 'POST', '/bots', { title: 't', generation: { maxTokens: 100_000 } });
    expect(tooMany.body.message).toMatch(/maxTokens: at most \d+/);
    const unknown = await call(pg, 'alice', 'POST', '/bots', { title: 't', models: ['gpt'] });
    expect(unknown.body.message).toMatch(/models: gpt is not a model of this deployment/);
    const defaultOutside = await call(pg, 'alice', 'POST', '/bots', { title: 't', models: ['claude'], defaultModel: 'nova' });
    expect(defaultOutside.body.message).toMatch(/defaultModel: nova is not one of the bot's models/);
  });

  test('PATCH changes only the owner\'s bot; DELETE removes it', async () => {
    const bot = await create('alice', { title: 'Draft' });
    const patched = await call(pg, 'alice', 'PATCH', `/bots/${bot.id}`, { description: 'now described' });
    expect(patched).toMatchObject({ status: 200, body: { title: 'Draft', description: 'now described' } });
    await share('alice', bot.id, { scope: 'all' });
    expect((await call(pg, 'bob', 'PATCH', `/bots/${bot.id}`, { title: 'mine' })).status).toBe(403);
    expect((await call(pg, 'bob', 'DELETE', `/bots/${bot.id}`)).status).toBe(403);
    expect((await call(pg, 'alice', 'DELETE', `/bots/${bot.id}`)).status).toBe(204);
    expect((await call(pg, 'alice', 'GET', `/bots/${bot.id}`)).status).toBe(404);
  });
  test('PATCH with null removes the default model and the guardrail (gone from the item); null is refused where nothing can be removed', async () => {
    const bot = await create('alice', { title: 'Clears', models: ['claude', 'nova'], defaultModel: 'nova', guardrail: { id: 'abc123def456', version: '2' } });
    expect(bot).toMatchObject({ defaultModel: 'nova', guardrail: { id: 'abc123def456', version: '2' } });
    const cleared = await call(pg, 'alice', 'PATCH', `/bots/${bot.id}`, { defaultModel: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).not.toHaveProperty('defaultModel');
    expect(cleared.body.guardrail).toEqual({ id: 'abc123def456', version: '2' });
    const noGuardrail = await call(pg, 'alice', 'PATCH', `/bots/${bot.id}`, { guardrail: null, description: 'plain' });
    expect(noGuardrail.status).toBe(200);
    expect(noGuardrail.body).not.toHaveProperty('guardrail');
    expect(noGuardrail.body).toMatchObject({ description: 'plain', models: ['claude', 'nova'] });
    const [item] = (JSON.parse(await botTableSnapshot()) as any[]).filter((i: any) => i.pk?.S === `BOT#${bot.id}` && i.sk?.S === 'BOT');
    expect(item).toBeDefined();
    expect(item).not.toHaveProperty('defaultModel');
    expect(item).not.toHaveProperty('guardrail');
    expect(item).not.toHaveProperty('guardrailStatus');
    // The cleared bot chats with the deployment's default model (the first allowed: claude).
    expect((await call(pg, 'alice', 'GET', `/bots/${bot.id}`)).body).not.toHaveProperty('defaultModel');
    for (const body of [{ title: null }, { models: null }, { description: null }, { generation: null }]) {
      const res = await call(pg, 'alice', 'PATCH', `/bots/${bot.id}`, body);
      expect(res).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    }
    const refused = await call(pg, 'alice', 'POST', '/bots', { title: 'x', defaultModel: null });
    expect(refused).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    expect((await call(pg, 'bob', 'PATCH', `/bots/${bot.id}`, { defaultModel: null })).status).toBe(404);
  });
});

describe('sharing', () => {
  test('partial sharing with a user: bob reads it without instructions, sees it as shared, can star it', async () => {
    const bot = await create('alice', { title: 'Shared with bob', instructions: 'secret prompt' });
    expect((await call(pg, 'bob', 'GET', `/bots/${bot.id}`)).status).toBe(404);
    const shared = await share('alice', bot.id, { scope: 'partial', users: [sub('bob')] });
    expect(shared).toMatchObject({ status: 200, body: { scope: 'partial', sharing: { users: [sub('bob')], groups: [] } } });
    const read = await call(pg, 'bob', 'GET', `/bots/${bot.id}`);
    expect(read.status).toBe(200);
    expect(read.body.instructions).toBeUndefined();
    expect(read.body.owner).toBe('other');
    expect((await call(pg, 'bob', 'GET', '/bots?kind=shared')).body.items.map((b: any) => b.id)).toContain(bot.id);
    expect((await call(pg, 'bob', 'PUT', `/bots/${bot.id}/star`, { starred: true })).status).toBe(204);
    const starred = await call(pg, 'bob', 'GET', '/bots?kind=starred');
    expect(starred.body.items).toEqual([expect.objectContaining({ id: bot.id, starred: true })]);
    await call(pg, 'bob', 'PUT', `/bots/${bot.id}/star`, { starred: false });
    expect((await call(pg, 'bob', 'GET', '/bots?kind=starred')).body.items).toEqual([]);
  });

  test('sharing with a group is checked in the user pool at use time: removing bob takes effect without a new token', async () => {
    const bot = await create('alice', { title: 'For publishers' });
    expect((await share('alice', bot.id, { scope: 'partial', groups: ['PublishAllowed'] })).status).toBe(200);
    expect((await call(pg, 'bob', 'GET', `/bots/${bot.id}`)).status).toBe(404);
    await setGroup('bob', 'PublishAllowed', true);
    try {
      // A token minted while bob is a member (its cognito:groups says PublishAllowed).
      const token = pg.issueToken('bob');
      expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())['cognito:groups']).toEqual(['PublishAllowed']);
      const get = () => fetch(`${pg.restApiUrl}/bots/${bot.id}`, { headers: { authorization: `Bearer ${token}` } });
      expect((await get()).status).toBe(200);
      const c = await WsClient.connect(pg.webSocketUrl, token);
      expect((await ask(c, 'hi', { botId: bot.id })).end.type).toBe('end');
      await setGroup('bob', 'PublishAllowed', false);
      // The same token still says PublishAllowed: the user pool decides, on REST and on the WebSocket.
      expect((await get()).status).toBe(404);
      expect((await ask(c, 'again', { botId: bot.id })).end).toMatchObject({ type: 'error', code: 'BOT_UNAVAILABLE' });
      c.close();
    } finally {
      await setGroup('bob', 'PublishAllowed', false);
    }
  });

  test('users and groups only with partial; at most 50 users', async () => {
    const bot = await create('alice', { title: 'x' });
    expect((await share('alice', bot.id, { scope: 'all', users: [sub('bob')] })).status).toBe(400);
    expect((await share('alice', bot.id, { scope: 'partial', users: Array.from({ length: 51 }, (_, i) => `u${i}`) })).status).toBe(400);
  });
});

describe('the store', () => {
  test('search finds public bots by words in title and description, Japanese and Chinese included', async () => {
    const ja = await create('alice', { title: '翻訳ボット', description: '日本語を英語に翻訳します' });
    const zh = await create('alice', { title: '写作助手', description: '帮助你写中文文章' });
    const en = await create('alice', { title: 'Recipe Helper', description: 'Finds recipes with what is in your FRIDGE' });
    const hidden = await create('alice', { title: 'Recipe secret', description: 'private' });
    for (const b of [ja, zh, en]) await share('alice', b.id, { scope: 'all' });
    const search = async (q: string) => (await call(pg, 'bob', 'GET', `/store/search?q=${encodeURIComponent(q)}`)).body.items.map((b: any) => b.id);
    expect(await search('英語')).toEqual([ja.id]);
    expect(await search('中文')).toEqual([zh.id]);
    expect(await search('recipe fridge')).toEqual([en.id]);
    expect(await search('ＲＥＣＩＰＥ')).toEqual([en.id]);
    expect(await search('recipe')).not.toContain(hidden.id);
    // Unsharing removes it from the store at once (the store's version item, not a timeout).
    await share('alice', en.id, { scope: 'private' });
    expect(await search('recipe fridge')).toEqual([]);
  });

  test('pins are admin-only, for public bots, in order; popular and pickup list public bots', async () => {
    const a = await create('alice', { title: 'Pinned A' });
    const b = await create('alice', { title: 'Pinned B' });
    const p = await create('alice', { title: 'Private' });
    await share('alice', a.id, { scope: 'all' });
    await share('alice', b.id, { scope: 'all' });
    expect((await call(pg, 'alice', 'PUT', `/admin/bots/${a.id}/pin`, { pinned: true })).status).toBe(403);
    expect((await call(pg, 'admin', 'PUT', `/admin/bots/${p.id}/pin`, { pinned: true })).status).toBe(422);
    expect((await call(pg, 'admin', 'PUT', `/admin/bots/${a.id}/pin`, { pinned: true, order: 2 })).status).toBe(204);
    expect((await call(pg, 'admin', 'PUT', `/admin/bots/${b.id}/pin`, { pinned: true, order: 1 })).status).toBe(204);
    const essentials = (await call(pg, 'bob', 'GET', '/store/essentials')).body.items.map((x: any) => x.id);
    expect(essentials.indexOf(b.id)).toBeLessThan(essentials.indexOf(a.id));
    expect(essentials).not.toContain(p.id);
    await call(pg, 'admin', 'PUT', `/admin/bots/${a.id}/pin`, { pinned: false });
    expect((await call(pg, 'bob', 'GET', '/store/essentials')).body.items.map((x: any) => x.id)).not.toContain(a.id);
    const popular = (await call(pg, 'bob', 'GET', '/store/popular')).body.items;
    expect(popular.length).toBeLessThanOrEqual(20);
    expect(popular.every((x: any) => x.scope === 'all')).toBe(true);
    const pickup = (await call(pg, 'bob', 'GET', '/store/pickup')).body.items;
    expect(pickup.length).toBeGreaterThan(0);
    expect(pickup.length).toBeLessThanOrEqual(10);
    expect(pickup.map((x: any) => x.id)).not.toContain(p.id);
  });
});

describe('paging of the store', () => {
  test('popular pages 20 at a time, most used first: every public bot once, a bad token is refused', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 22; i++) {
      const bot = await create('alice', { title: `Paged ${i}` });
      expect((await share('alice', bot.id, { scope: 'all' })).status).toBe(200);
      ids.add(bot.id);
    }
    const seen: string[] = [];
    const counts: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await call(pg, 'bob', 'GET', `/store/popular${token ? `?nextToken=${encodeURIComponent(token)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(20);
      seen.push(...res.body.items.map((b: any) => b.id));
      counts.push(...res.body.items.map((b: any) => b.usageCount ?? 0));
      token = res.body.nextToken;
      pages++;
    } while (token && pages < 20);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const bad = await call(pg, 'bob', 'GET', '/store/popular?nextToken=bm90LWEtdG9rZW4');
    expect(bad).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
  });
});

describe('users, groups and me', () => {
  test('/me reads the groups from the user pool', async () => {
    expect((await call(pg, 'alice', 'GET', '/me')).body).toMatchObject({ userId: sub('alice'), groups: ['CreatingBotAllowed'], canCreateBots: true, isAdmin: false });
    expect((await call(pg, 'bob', 'GET', '/me')).body).toMatchObject({ groups: [], canCreateBots: false, isAdmin: false });
    expect((await call(pg, 'admin', 'GET', '/me')).body).toMatchObject({ groups: ['Admin'], canCreateBots: true, isAdmin: true });
  });

  test('user search by email prefix and group search, for creators only', async () => {
    const users = await call(pg, 'alice', 'GET', '/users/search?q=bo');
    expect(users).toMatchObject({ status: 200, body: { items: [{ id: sub('bob'), email: 'bob@example.com' }] } });
    // A quotation mark in the prefix is escaped into the filter: it matches nothing instead of breaking out.
    expect((await call(pg, 'alice', 'GET', `/users/search?q=${encodeURIComponent('b" or email ^= "')}`)).body.items).toEqual([]);
    expect((await call(pg, 'bob', 'GET', '/users/search?q=a')).status).toBe(403);
    const groups = await call(pg, 'alice', 'GET', '/groups/search?q=cre');
    expect(groups.body.items.map((g: any) => g.name)).toEqual(['CreatingBotAllowed']);
    expect((await call(pg, 'alice', 'GET', '/groups/search')).body.items.map((g: any) => g.name).sort()).toEqual(['Admin', 'CreatingBotAllowed', 'PublishAllowed']);
  });
});

describe('chatting with a bot', () => {
  test('the worker applies the bot: instructions, parameters, default model; the conversation remembers the bot', async () => {
    const bot = await create('alice', {
      title: 'Pirate',
      instructions: 'Talk like a pirate.',
      models: ['claude', 'nova'],
      defaultModel: 'nova',
      generation: { maxTokens: 500, temperature: 0.3, topP: 0.9, stopSequences: ['ARR'] },
      promptCaching: false,
    });
    const before = pg.bedrockRequests().length;
    const c = await connect('alice');
    const { end } = await ask(c, 'hello', { botId: bot.id });
    expect(end.type).toBe('end');
    const sent = pg.bedrockRequests().slice(before).find((r) => r.operation === 'ConverseStream')!;
    expect(sent.modelId).toBe(NOVA.modelId);
    expect(sent.body.system).toEqual([{ text: 'Talk like a pirate.' }]);
    expect(sent.body.inferenceConfig).toEqual({ maxTokens: 500, temperature: 0.3, topP: 0.9, stopSequences: ['ARR'] });
    expect(JSON.stringify(sent.body.messages)).not.toContain('cachePoint');

    const list = await call(pg, 'alice', 'GET', '/conversations');
    expect(list.body.items.find((i: any) => i.id === end.conversationId)).toMatchObject({ botId: bot.id, botTitle: 'Pirate' });
    // A later turn uses the conversation's bot; another botId is refused, and a model outside the bot's too.
    const again = await ask(c, 'more', { conversationId: end.conversationId });
    expect(again.end.type).toBe('end');
    const other = await create('alice', { title: 'Other' });
    expect((await ask(c, 'x', { conversationId: end.conversationId, botId: other.id })).end).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
    const onlyClaude = await create('alice', { title: 'Claude only', models: ['claude'] });
    expect((await ask(c, 'x', { botId: onlyClaude.id, model: 'nova' })).end).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
    c.close();

    // Using a bot records a recent and counts the use.
    const recent = await call(pg, 'alice', 'GET', '/bots?kind=recent');
    expect(recent.body.items[0]).toMatchObject({ id: bot.id, available: true, usageCount: 2 });
    expect((await call(pg, 'alice', 'DELETE', `/bots/${bot.id}/recent`)).status).toBe(204);
    expect((await call(pg, 'alice', 'GET', '/bots?kind=recent')).body.items.map((b: any) => b.id)).not.toContain(bot.id);
  });

  test('the bot\'s guardrail goes into guardrailConfig; topK into additionalModelRequestFields', async () => {
    const bot = await create('alice', { title: 'Guarded', models: ['claude'], guardrail: { id: 'abc123', version: '2' }, generation: { topK: 40 } });
    const before = pg.bedrockRequests().length;
    const c = await connect('alice');
    await ask(c, 'hi', { botId: bot.id });
    c.close();
    const sent = pg.bedrockRequests().slice(before).find((r) => r.operation === 'ConverseStream')!;
    expect(sent.body.guardrailConfig).toMatchObject({ guardrailIdentifier: 'abc123', guardrailVersion: '2' });
    expect(sent.body.additionalModelRequestFields).toEqual({ top_k: 40 });
  });

  test('unshared or deleted: the old conversation stays readable, continuing is refused with BOT_UNAVAILABLE, nothing written', async () => {
    const bot = await create('alice', { title: 'Going away' });
    await share('alice', bot.id, { scope: 'partial', users: [sub('bob')] });
    const c = await connect('bob');
    const first = await ask(c, 'hello', { botId: bot.id });
    expect(first.end.type).toBe('end');
    const conversationId = first.end.conversationId;
    await share('alice', bot.id, { scope: 'private' });
    const tables = async () => `${await botTableSnapshot()}`;
    const before = await tables();
    const refused = await ask(c, 'again', { conversationId });
    expect(refused.end).toMatchObject({ type: 'error', code: 'BOT_UNAVAILABLE' });
    expect(refused.end.message).toMatch(/no longer available/);
    const regen = await request(c, { action: 'regenerate', conversationId, messageId: first.ack!.messageId });
    expect(regen.end).toMatchObject({ type: 'error', code: 'BOT_UNAVAILABLE' });
    expect(await tables()).toBe(before);
    expect((await call(pg, 'bob', 'GET', `/conversations/${conversationId}`)).status).toBe(200);
    const recent = await call(pg, 'bob', 'GET', '/bots?kind=recent');
    expect(recent.body.items.find((b: any) => b.id === bot.id)).toEqual({ id: bot.id, title: 'Going away', available: false });

    await share('alice', bot.id, { scope: 'all' });
    expect((await ask(c, 'back', { conversationId })).end.type).toBe('end');
    await call(pg, 'alice', 'DELETE', `/bots/${bot.id}`);
    expect((await ask(c, 'gone', { conversationId })).end).toMatchObject({ type: 'error', code: 'BOT_UNAVAILABLE' });
    c.close();
  });
});
