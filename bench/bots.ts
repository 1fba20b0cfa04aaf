/**
 * `npx tsx bench/bots.ts`: the bot figures (issue 11), merged into bench/results/latest.json.
 *
 * - `store.searchMs.<word|cjk>.<cold|warm>`: `BotStore.search` over 10,000 public bots on dynalite, through the real
 *   store code (the sparse `public` index read page by page into memory, then matched): cold = the cache dropped
 *   before each search (the whole index is read), warm = the cache valid (one strongly consistent GetItem of the
 *   store's version item, then the match in memory). Median of 5 (cold) and 20 (warm).
 * - `storage.bot.bytesPerTurn.t1/t10/t100`: bytes written to DynamoDB by one turn of a conversation with a bot, at
 *   turns 1, 10 and 100, through the real `acceptMessage` + `runTurn` with a bot (its recent item and the usage count
 *   update of the bot item included; an update is billed on the whole item).
 */
import { readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { itemSize } from './storage';
import { BOT_INDEXES } from '../src/lambdas/core/bot-keys';
import { botItem, BotStore, Viewer } from '../src/lambdas/core/bots';
import { acceptMessage, runTurn, TurnJob } from '../src/lambdas/core/chat';
import { ConversationStore } from '../src/lambdas/core/conversations';
import { ulid } from '../src/lambdas/core/ids';
import { createLogger } from '../src/lambdas/core/log';
import { modelSettingsFrom } from '../src/lambdas/core/models';
import { RequestStore } from '../src/lambdas/core/requests';
import { startBedrockFake } from '../src/local/emulators/bedrock';
import { ensureConversationTable, startDynamoDb } from '../src/local/emulators/dynamodb';

const ROOT = resolve(__dirname, '..');
const BOTS = Number(process.env.BENCH_BOTS ?? 10_000);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
const round = (n: number) => Math.round(n * 10) / 10;

const WORDS = ['recipe', 'travel', 'code', 'review', 'translate', 'summary', 'legal', 'finance', 'health', 'music', 'garden', 'history'];
const JA = ['翻訳', '要約', '料理', '旅行', 'プログラミング', '法律', '音楽', '歴史'];
const ZH = ['翻译', '总结', '烹饪', '旅游', '编程', '法律', '音乐', '历史'];

/** The bot table as the construct defines it (keys and the `public` index the store reads). */
async function createBotTable(client: DynamoDBClient, name: string): Promise<void> {
  const s = (n: string) => ({ AttributeName: n, AttributeType: 'S' as const });
  await client.send(new CreateTableCommand({
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [s('pk'), s('sk'), s('gsi1pk'), s('gsi1sk'), s('publicPk'), s('publicSk'), s('botPk')],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    GlobalSecondaryIndexes: [
      { IndexName: BOT_INDEXES.byUserTime, KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }, { AttributeName: 'gsi1sk', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
      {
        IndexName: BOT_INDEXES.public,
        KeySchema: [{ AttributeName: 'publicPk', KeyType: 'HASH' }, { AttributeName: 'publicSk', KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['id', 'title', 'description', 'ownerId', 'scope', 'usageCount', 'pinned', 'pinOrder', 'updatedAt', 'managed'] },
      },
      { IndexName: BOT_INDEXES.byBot, KeySchema: [{ AttributeName: 'botPk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
    ],
  }));
}

/** A bot's title and description: a third English, a third Japanese, a third Chinese, about 150 characters each. */
function botText(i: number): { title: string; description: string } {
  const pick = <T>(list: T[], n: number) => list[n % list.length];
  if (i % 3 === 0) return { title: `${pick(WORDS, i)} helper ${i}`, description: `Helps with ${pick(WORDS, i * 7)} and ${pick(WORDS, i * 11)} tasks for your team; asks questions first. `.repeat(2) };
  if (i % 3 === 1) return { title: `${pick(JA, i)}アシスタント ${i}`, description: `${pick(JA, i * 7)}と${pick(JA, i * 11)}を手伝います。最初に質問をして、わかりやすく答えます。`.repeat(2) };
  return { title: `${pick(ZH, i)}助手 ${i}`, description: `帮助你进行${pick(ZH, i * 7)}和${pick(ZH, i * 11)}，先提问，再清楚地回答。`.repeat(2) };
}

async function storeFigures(doc: DynamoDBDocumentClient, table: string): Promise<Record<string, number>> {
  const now = new Date().toISOString();
  const items = Array.from({ length: BOTS }, (_, i) => botItem({ id: ulid(), ownerId: `owner-${i % 50}`, ...botText(i), scope: 'all', usageCount: i % 97, createdAt: now, updatedAt: now }));
  for (let i = 0; i < items.length; i += 25) {
    await doc.send(new BatchWriteCommand({ RequestItems: { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
  const store = new BotStore(doc, table);
  const viewer: Viewer = { userId: 'reader', username: 'reader', groups: async () => [] };
  const results: Record<string, number> = {};
  for (const [name, q] of [['word', 'recipe helper'], ['cjk', '翻訳']] as const) {
    const cold: number[] = [];
    let hits = 0;
    for (let i = 0; i < 5; i++) {
      store.dropCache();
      const t = process.hrtime.bigint();
      const page = await store.search(viewer, q);
      cold.push(Number(process.hrtime.bigint() - t) / 1e6);
      hits = page.items.length;
    }
    const warm: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = process.hrtime.bigint();
      await store.search(viewer, q);
      warm.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    if (hits === 0) throw new Error(`the ${name} query found nothing: the bench data is wrong`);
    results[`store.searchMs.${name}.cold`] = round(median(cold));
    results[`store.searchMs.${name}.warm`] = round(median(warm));
  }
  results['store.publicBots'] = (await store.publicBots()).length;
  return results;
}

async function botStorageFigures(doc: DynamoDBDocumentClient, botTable: string, endpoint: string, bedrockEndpoint: string): Promise<Record<string, number>> {
  const table = 'bench-bot-conversations';
  await ensureConversationTable(new DynamoDBClient({ endpoint }), table);
  const written: { table: string; key: Record<string, unknown> }[] = [];
  const recording = new Proxy(doc, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: { constructor: { name: string }; input: { TableName: string; Item?: Record<string, unknown>; Key?: Record<string, unknown> } }) => {
        const name = command.constructor.name;
        if (name === 'PutCommand') written.push({ table: command.input.TableName, key: { pk: command.input.Item!.pk, sk: command.input.Item!.sk } });
        if (name === 'UpdateCommand') written.push({ table: command.input.TableName, key: command.input.Key! });
        return (target.send as (c: unknown) => Promise<unknown>)(command);
      };
    },
  }) as DynamoDBDocumentClient;
  const now = new Date().toISOString();
  const item = botItem({
    id: ulid(), ownerId: 'bench-user', title: 'Bench bot', description: 'A bot with a long system prompt.',
    instructions: 'You are a careful assistant. Follow the house style. '.repeat(40), scope: 'private', createdAt: now, updatedAt: now,
  });
  await doc.send(new BatchWriteCommand({ RequestItems: { [botTable]: [{ PutRequest: { Item: item } }] } }));
  const bots = new BotStore(recording, botTable);
  const viewer: Viewer = { userId: 'bench-user', username: 'bench-user', groups: async () => [] };
  const store = new ConversationStore(recording, table);
  const requests = new RequestStore(recording, table);
  const models = modelSettingsFrom({ DEFAULT_MODEL_ID: 'bench.model' });
  const log = createLogger({}, () => undefined);
  const sink = { send: async () => true };
  const bedrock = new BedrockRuntimeClient({ endpoint: bedrockEndpoint });
  const turnBots = { resolve: (botId: string) => bots.forTurn(botId, viewer), recordUse: (b: { id: string; title: string }) => bots.recordUse('bench-user', b) };
  const perTurn: number[] = [];
  let conversationId: string | undefined;
  for (let turn = 1; turn <= 100; turn++) {
    written.length = 0;
    let job: TurnJob | undefined;
    await acceptMessage({ store, requests, sink, models, log, bots: turnBots, dispatch: async (j) => { job = j; } }, 'bench-user', 'conn', {
      action: 'sendMessage', v: 1, requestId: `bench-bot-${turn}`, conversationId, content: [{ text: 'How do retries work here? '.repeat(8) }],
      ...(conversationId ? {} : { botId: String(item.id) }),
    });
    conversationId = job!.conversationId;
    await runTurn({ store, requests, sink, bedrock, models, log, loadBlob: async () => new Uint8Array() }, { ...job!, newConversation: false });
    let bytes = 0;
    for (const w of written) bytes += itemSize((await doc.send(new GetCommand({ TableName: w.table, Key: w.key }))).Item ?? {});
    perTurn.push(bytes);
  }
  return { 'storage.bot.bytesPerTurn.t1': perTurn[0], 'storage.bot.bytesPerTurn.t10': perTurn[9], 'storage.bot.bytesPerTurn.t100': perTurn[99] };
}

export async function botFigures(): Promise<Record<string, number>> {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const dynamo = await startDynamoDb();
  const bedrockFake = await startBedrockFake({ respond: () => ({ steps: [{ type: 'text', text: 'Here is how it works. '.repeat(70) }], usage: { inputTokens: 100, outputTokens: 300 } }) });
  try {
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint });
    const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    await createBotTable(client, 'bench-bots');
    await createBotTable(client, 'bench-bots-chat');
    return { ...(await storeFigures(doc, 'bench-bots')), ...(await botStorageFigures(doc, 'bench-bots-chat', dynamo.endpoint, bedrockFake.endpoint)) };
  } finally {
    await bedrockFake.stop();
    await dynamo.stop();
  }
}

if (require.main === module) {
  botFigures().then((figures) => {
    const file = join(ROOT, 'bench', 'results', 'latest.json');
    const results = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    Object.assign(results, figures);
    writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
    console.log(JSON.stringify(figures, null, 2));
  }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
