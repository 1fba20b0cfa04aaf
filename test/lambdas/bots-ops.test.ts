/**
 * Bots as code, the bot deletion pipe and guardrails a bot defines, over the wire on the local stack (issue 11): the
 * app declares bots with `backend.addBot`, the local stack runs their custom resources from the template, the bot
 * table's stream feeds the pipe from the template (filter, batch size, target), and the guardrails go through the
 * local Bedrock control plane, read back with the real @aws-sdk/client-bedrock.
 */
import { BedrockClient, GetGuardrailCommand } from '@aws-sdk/client-bedrock';
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { Stack } from 'aws-cdk-lib';
import { call, sub, User } from './rest-helpers';
import { BedrockChatFrontend, BotSharing, ChatBackend, ChatModel } from '../../src';
import type { AppBuilder } from '../../src/local/apps';
import { offlineModel } from '../../src/local/offline-model';
import { Playground, startPlayground } from '../../src/local/playground';
import { request, WsClient } from '../../src/local/ws-client';

const app: AppBuilder = (a) => {
  const stack = new Stack(a, 'BotsOps', { env: { region: 'us-east-1' } });
  const backend = new ChatBackend(stack, 'Backend', { models: [ChatModel.CLAUDE_HAIKU_4_5, ChatModel.NOVA_PRO] });
  backend.addBot('house-guide', {
    title: 'House guide',
    description: 'Answers questions about the house rules',
    instructions: 'You know the house rules.',
    pinned: 3,
    models: [ChatModel.CLAUDE_HAIKU_4_5.key],
    temperature: 0.2,
    quickStarters: [{ title: 'Quiet hours', example: 'When are the quiet hours?' }],
  });
  backend.addBot('creators-desk', { title: 'Creators desk', sharing: BotSharing.groups(['CreatingBotAllowed']) });
  new BedrockChatFrontend(stack, 'Frontend', { backend });
};

let pg: Playground;
let bedrock: BedrockClient;
const ddb = new DynamoDBClient({});

beforeAll(async () => {
  pg = await startPlayground({ app, handlers: 'in-process', quiet: !process.env.DEBUG_LOGS, respond: offlineModel({ wordDelayMs: 0 }) });
  bedrock = new BedrockClient({ endpoint: process.env.AWS_ENDPOINT_URL_BEDROCK, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(async () => {
  await pg?.stop();
});

const items = async () => {
  const res = await ddb.send(new ScanCommand({ TableName: process.env.BOT_TABLE_NAME }));
  return (res.Items ?? []).map((i) => ({ pk: i.pk.S!, sk: i.sk.S! }));
};
const botItem = async (id: string) => (await ddb.send(new GetItemCommand({ TableName: process.env.BOT_TABLE_NAME, Key: { pk: { S: `BOT#${id}` }, sk: { S: 'BOT' } } }))).Item;
/** Polls `check` until it is true, at most 10 s (the pipe polls the stream every 100 ms). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within 10 s: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const create = async (user: User, body: Record<string, unknown>) => {
  const res = await call(pg, user, 'POST', '/bots', body);
  expect(res.status).toBe(201);
  return res.body;
};
const pipeStats = () => pg.stack.pipeStats().find((p) => p.name.includes('BotDeletionPipe'))!;
const chat = async (user: User, botId: string, text: string) => {
  const c = await WsClient.connect(pg.webSocketUrl, pg.issueToken(user));
  try {
    return (await request(c, { action: 'sendMessage', botId, content: [{ text }] })).frames;
  } finally {
    c.close();
  }
};

describe('bots as code', () => {
  test('the deployment wrote both bots: the everyone bot is pinned in the essentials, the group bot reaches only its group', async () => {
    const essentials = await call(pg, 'bob', 'GET', '/store/essentials');
    expect(essentials.status).toBe(200);
    const guide = essentials.body.items.find((b: any) => b.id === 'house-guide');
    expect(guide).toMatchObject({ title: 'House guide', owner: 'deployment', scope: 'all', pinned: true, pinOrder: 3 });
    expect(essentials.body.items.some((b: any) => b.id === 'creators-desk')).toBe(false);

    const forAlice = await call(pg, 'alice', 'GET', '/bots/creators-desk');
    expect(forAlice.status).toBe(200);
    expect(forAlice.body).toMatchObject({ owner: 'deployment', scope: 'partial' });
    expect((await call(pg, 'bob', 'GET', '/bots/creators-desk')).status).toBe(404);

    const full = await call(pg, 'admin', 'GET', '/bots/house-guide');
    expect(full.body).toMatchObject({ instructions: 'You know the house rules.', models: ['claude-v4.5-haiku'], generation: { temperature: 0.2 } });
    expect(full.body.quickStarters).toEqual([{ title: 'Quiet hours', example: 'When are the quiet hours?' }]);
  });

  test('nobody can change or delete a bot declared in code: 403 MANAGED, and nothing is written', async () => {
    const before = await botItem('house-guide');
    for (const user of ['alice', 'admin'] as const) {
      for (const [method, path, body] of [['PATCH', '/bots/house-guide', { title: 'Mine now' }], ['DELETE', '/bots/house-guide', undefined], ['PUT', '/bots/house-guide/sharing', { scope: 'private' }]] as const) {
        const res = await call(pg, user, method, path, body);
        expect([res.status, res.body?.code]).toEqual([403, 'MANAGED']);
      }
    }
    expect(await botItem('house-guide')).toEqual(before);
  });

  test('a second deploy of the same declaration writes nothing; deleting the resource deletes the bot', async () => {
    const ids = pg.stack.customResources().filter((c) => c.type === 'Custom::BedrockChatBot');
    expect(ids.map((c) => c.physicalId).sort()).toEqual(['creators-desk', 'house-guide']);
    const guide = ids.find((c) => c.physicalId === 'house-guide')!;
    const before = await botItem('house-guide');
    const again = await pg.stack.customResource(guide.logicalId, 'Update');
    expect(again).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'house-guide', Data: { Outcome: 'unchanged' } });
    expect(await botItem('house-guide')).toEqual(before);

    const desk = ids.find((c) => c.physicalId === 'creators-desk')!;
    // alice stars the group bot; its deletion (stack deletion) removes the bot, and the pipe her star.
    expect((await call(pg, 'alice', 'PUT', '/bots/creators-desk/star', { starred: true })).status).toBe(204);
    await pg.stack.customResource(desk.logicalId, 'Delete');
    expect(await botItem('creators-desk')).toBeUndefined();
    await eventually(async () => !(await items()).some((i) => i.sk === 'STAR#creators-desk'), 'the star of the deleted bot is removed');
  });
});

describe('the bot deletion pipe', () => {
  test('deleting a bot removes the other users\' stars and recents; other writes never reach the cleanup', async () => {
    const bot = await create('alice', { title: 'Shared helper' });
    const other = await create('alice', { title: 'Another' });
    for (const b of [bot, other]) expect((await call(pg, 'alice', 'PUT', `/bots/${b.id}/sharing`, { scope: 'all' })).status).toBe(200);
    expect((await call(pg, 'bob', 'PUT', `/bots/${bot.id}/star`, { starred: true })).status).toBe(204);
    expect((await call(pg, 'admin', 'PUT', `/bots/${bot.id}/star`, { starred: true })).status).toBe(204);
    expect((await call(pg, 'bob', 'PUT', `/bots/${other.id}/star`, { starred: true })).status).toBe(204);
    const frames = await chat('bob', bot.id, 'hello');
    expect(frames[frames.length - 1]?.type).toBe('end');
    await pg.idle();
    // Inserts, modifications and the removal of a star: the filter drops them all (REMOVE of a bot item only).
    expect((await call(pg, 'bob', 'PUT', `/bots/${other.id}/star`, { starred: false })).status).toBe(204);
    await pg.stack.drainPipes();
    const delivered = pipeStats().delivered;
    expect(pipeStats().filteredOut).toBeGreaterThan(0);

    const refersTo = (id: string) => async () => (await items()).filter((i) => i.sk.endsWith(`#${id}`)).length;
    expect(await refersTo(bot.id)()).toBe(3); // bob's and admin's stars, bob's recent
    expect((await call(pg, 'alice', 'DELETE', `/bots/${bot.id}`)).status).toBe(204);
    await eventually(async () => (await refersTo(bot.id)()) === 0, 'stars and recents of the deleted bot are removed');
    expect(pipeStats().delivered).toBe(delivered + 1);
    // The other bot and its owner's items are untouched.
    expect(await botItem(other.id)).toBeDefined();
    const recent = await call(pg, 'bob', 'GET', '/bots?kind=recent');
    expect(recent.body.items.some((b: any) => b.id === bot.id)).toBe(false);
  });
});

describe('guardrails a bot defines', () => {
  const definition = { contentFilters: { hate: 'HIGH', insults: 'LOW', promptAttack: 'MEDIUM' }, grounding: { threshold: 0.5 }, relevance: { threshold: 0.75 }, blockedMessage: 'This bot cannot help with that.' };

  test('saved: created and versioned as the API documents, applied on chat, versioned again on change, deleted with the bot', async () => {
    const bot = await create('alice', { title: 'Guarded', guardrail: { definition } });
    expect(bot.guardrailStatus).toBe('READY');
    const stored = await botItem(bot.id);
    const ref = stored!.guardrailRef.M!;
    const id = ref.id.S!;
    expect(ref.version.S).toBe('1');
    expect(ref.arn.S).toBe(`arn:aws:bedrock:us-east-1:${pg.stack.guardrails.find(id)!.arn.split(':')[4]}:guardrail/${id}`);

    const g = await bedrock.send(new GetGuardrailCommand({ guardrailIdentifier: id, guardrailVersion: '1' }));
    expect(g.name).toMatch(new RegExp(`^bc[0-9a-f]{8}-${bot.id}$`));
    expect(g.contentPolicy?.filters).toEqual([
      { type: 'HATE', inputStrength: 'HIGH', outputStrength: 'HIGH' },
      { type: 'INSULTS', inputStrength: 'LOW', outputStrength: 'LOW' },
      { type: 'PROMPT_ATTACK', inputStrength: 'MEDIUM', outputStrength: 'NONE' },
    ]);
    expect(g.contextualGroundingPolicy?.filters).toEqual([{ type: 'GROUNDING', threshold: 0.5 }, { type: 'RELEVANCE', threshold: 0.75 }]);
    expect([g.blockedInputMessaging, g.blockedOutputsMessaging]).toEqual([definition.blockedMessage, definition.blockedMessage]);

    const before = pg.bedrockRequests().length;
    const frames = await chat('alice', bot.id, 'hi');
    expect(frames[frames.length - 1]?.type).toBe('end');
    const asked = pg.bedrockRequests().slice(before).find((r) => r.operation === 'ConverseStream')!;
    expect(asked.body.guardrailConfig).toMatchObject({ guardrailIdentifier: id, guardrailVersion: '1' });

    const changed = await call(pg, 'alice', 'PATCH', `/bots/${bot.id}`, { guardrail: { definition: { ...definition, contentFilters: { violence: 'HIGH' } } } });
    expect(changed.status).toBe(200);
    expect(changed.body.guardrailStatus).toBe('READY');
    const ref2 = (await botItem(bot.id))!.guardrailRef.M!;
    expect([ref2.id.S, ref2.version.S]).toEqual([id, '2']);
    const g2 = await bedrock.send(new GetGuardrailCommand({ guardrailIdentifier: id, guardrailVersion: '2' }));
    expect(g2.contentPolicy?.filters).toEqual([{ type: 'VIOLENCE', inputStrength: 'HIGH', outputStrength: 'HIGH' }]);

    expect((await call(pg, 'alice', 'DELETE', `/bots/${bot.id}`)).status).toBe(204);
    await eventually(async () => pg.stack.guardrails.find(id) === undefined, 'the guardrail of the deleted bot is deleted');
    await expect(bedrock.send(new GetGuardrailCommand({ guardrailIdentifier: id }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  test('a bot that drops its definition for an existing guardrail deletes the one it defined', async () => {
    const bot = await create('alice', { title: 'Switches', guardrail: { definition } });
    const id = (await botItem(bot.id))!.guardrailRef.M!.id.S!;
    const res = await call(pg, 'alice', 'PATCH', `/bots/${bot.id}`, { guardrail: { id: 'abc123def456', version: '4' } });
    expect(res.status).toBe(200);
    expect(pg.stack.guardrails.find(id)).toBeUndefined();
  });

  test('PATCH guardrail: null deletes the guardrail the bot defined and leaves the bot without one', async () => {
    const bot = await create('alice', { title: 'Drops it', guardrail: { definition } });
    const id = (await botItem(bot.id))!.guardrailRef.M!.id.S!;
    expect(pg.stack.guardrails.find(id)).toBeDefined();
    const res = await call(pg, 'alice', 'PATCH', `/bots/${bot.id}`, { guardrail: null });
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('guardrail');
    expect(res.body).not.toHaveProperty('guardrailStatus');
    expect(pg.stack.guardrails.find(id)).toBeUndefined();
    const item = (await botItem(bot.id))!;
    expect(item).not.toHaveProperty('guardrail');
    expect(item).not.toHaveProperty('guardrailRef');
    const before = pg.bedrockRequests().length;
    const frames = await chat('alice', bot.id, 'hi');
    expect(frames[frames.length - 1]?.type).toBe('end');
    const asked = pg.bedrockRequests().slice(before).find((r) => r.operation === 'ConverseStream')!;
    expect(asked.body.guardrailConfig).toBeUndefined();
  });

  test('ConverseStream with a guardrail that does not exist fails before any answer, as Bedrock does', async () => {
    const bot = await create('alice', { title: 'Dangling', guardrail: { id: 'nosuchguardrail1', version: '1' } });
    const before = pg.bedrockRequests().length;
    const frames = await chat('alice', bot.id, 'hi');
    expect(frames[frames.length - 1]).toMatchObject({ type: 'error' });
    expect(frames.some((f) => f.type === 'text')).toBe(false);
    const asked = pg.bedrockRequests().slice(before).find((r) => r.operation === 'ConverseStream')!;
    expect(asked.body.guardrailConfig).toMatchObject({ guardrailIdentifier: 'nosuchguardrail1', guardrailVersion: '1' });
  });

  test('an owner sees guardrailStatus; a user the bot is shared with sees neither the guardrail nor its status', async () => {
    const bot = await create('alice', { title: 'Shared guarded', guardrail: { definition } });
    expect((await call(pg, 'alice', 'PUT', `/bots/${bot.id}/sharing`, { scope: 'partial', users: [sub('bob')] })).status).toBe(200);
    const forBob = await call(pg, 'bob', 'GET', `/bots/${bot.id}`);
    expect(forBob.status).toBe(200);
    expect(forBob.body.guardrail).toBeUndefined();
    expect(forBob.body.guardrailStatus).toBeUndefined();
  });
});
