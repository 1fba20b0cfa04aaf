/**
 * Bytes written to DynamoDB per chat turn, at turn 1, 10 and 100 of one conversation, through the real core code
 * (acceptMessage + runTurn against dynalite and the Bedrock fake), beside the reference system's pattern implemented
 * faithfully: the whole message map of the conversation rewritten as one JSON string attribute on every turn (moved to
 * S3 past 300 KB, where the whole map is still rewritten, as an S3 object).
 *
 * Sizes follow DynamoDB's item size rules (attribute names + values; an update is billed on the whole item).
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { acceptMessage, runTurn, TurnJob } from '../src/lambdas/core/chat';
import { ConversationStore } from '../src/lambdas/core/conversations';
import { createLogger } from '../src/lambdas/core/log';
import { modelSettingsFrom } from '../src/lambdas/core/models';
import { RequestStore } from '../src/lambdas/core/requests';
import { startBedrockFake } from '../src/local/emulators/bedrock';
import { ensureConversationTable, startDynamoDb } from '../src/local/emulators/dynamodb';

const QUESTION = 'Could you explain, with an example, how this part of our deployment handles retries and what happens on failure? '.repeat(2);
const ANSWER = 'Here is how it works. '.repeat(70);

/** DynamoDB's size of a value: strings by UTF-8 length, numbers about one byte per two digits, containers 3 + entries. */
export function valueSize(v: unknown): number {
  if (v === null || v === undefined || typeof v === 'boolean') return 1;
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (typeof v === 'number') return Math.ceil(String(Math.abs(v)).replace('.', '').length / 2) + 1;
  if (Array.isArray(v)) return 3 + v.reduce((n: number, x) => n + 1 + valueSize(x), 0);
  if (v instanceof Uint8Array) return v.byteLength;
  return 3 + Object.entries(v as object).reduce((n, [k, x]) => n + 1 + Buffer.byteLength(k) + valueSize(x), 0);
}

export const itemSize = (item: Record<string, unknown>) => Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + valueSize(v), 0);

/** The reference system's message map after `turns` turns, and the bytes one turn writes at that point. */
export function baselineBytesPerTurn(turns: number): number {
  const map: Record<string, unknown> = {
    system: { role: 'system', content: [{ content_type: 'text', body: '' }], model: 'claude-v3.7-sonnet', children: [], parent: null, create_time: 0, feedback: null, used_chunks: null, thinking_log: null },
  };
  let parent = 'system';
  for (let t = 0; t < turns; t++) {
    for (const [role, body] of [['user', QUESTION], ['assistant', ANSWER]] as const) {
      const id = `01J${String(t).padStart(4, '0')}${role === 'user' ? 'U' : 'A'}XXXXXXXXXXXXXXXXXX`;
      map[id] = { role, content: [{ content_type: 'text', media_type: null, body }], model: 'claude-v3.7-sonnet', children: [], parent, create_time: 1750000000.123 + t, feedback: null, used_chunks: null, thinking_log: null };
      ((map[parent] as { children: string[] }).children).push(id);
      parent = id;
    }
  }
  const messageMap = JSON.stringify(map);
  const item = {
    PK: 'f0c1a2b3-user-id',
    SK: 'f0c1a2b3-user-id#CONV#01JCONVERSATIONIDXXXXXXXXX',
    Title: 'A conversation title',
    CreateTime: 1750000000.123,
    TotalPrice: 0.123456,
    LastMessageId: parent,
    ShouldContinue: false,
    BotId: null,
    IsLargeMessage: false,
    LargeMessagePath: null,
  };
  // Past 300 KB the map goes to S3 (rewritten whole) and the item keeps only a stub.
  if (Buffer.byteLength(messageMap) > 300 * 1024) return Buffer.byteLength(messageMap) + itemSize({ ...item, MessageMap: '{"system":{}}', IsLargeMessage: true, LargeMessagePath: 'user/conv/message_map.json' });
  return itemSize({ ...item, MessageMap: messageMap });
}

export async function storageFigures(): Promise<Record<string, number>> {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const dynamo = await startDynamoDb();
  const bedrockFake = await startBedrockFake({ respond: () => ({ steps: [{ type: 'text', text: ANSWER }], usage: { inputTokens: 100, outputTokens: 300 } }) });
  try {
    const table = 'bench-conversations';
    await ensureConversationTable(new DynamoDBClient({ endpoint: dynamo.endpoint }), table);
    const raw = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamo.endpoint }), { marshallOptions: { removeUndefinedValues: true } });
    // Record the key of every item written; after the turn, its size (an update is billed on the whole item).
    const written: Record<string, unknown>[] = [];
    const recording = new Proxy(raw, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return (command: { constructor: { name: string }; input: { Item?: Record<string, unknown>; Key?: Record<string, unknown> } }) => {
          const name = command.constructor.name;
          if (name === 'PutCommand') written.push({ pk: command.input.Item!.pk, sk: command.input.Item!.sk });
          if (name === 'UpdateCommand') written.push(command.input.Key!);
          return (target.send as (c: unknown) => Promise<unknown>)(command);
        };
      },
    }) as DynamoDBDocumentClient;
    const store = new ConversationStore(recording, table);
    const requests = new RequestStore(recording, table);
    const models = modelSettingsFrom({ DEFAULT_MODEL_ID: 'bench.model' });
    const log = createLogger({}, () => undefined);
    const sink = { send: async () => true };
    const bedrock = new BedrockRuntimeClient({ endpoint: bedrockFake.endpoint });
    const perTurn: number[] = [];
    let conversationId: string | undefined;
    for (let turn = 1; turn <= 100; turn++) {
      written.length = 0;
      let job: TurnJob | undefined;
      await acceptMessage({ store, requests, sink, models, log, dispatch: async (j) => { job = j; } }, 'bench-user', 'conn', {
        action: 'sendMessage', v: 1, requestId: `bench-${turn}`, conversationId, content: [{ text: QUESTION }],
      });
      conversationId = job!.conversationId;
      await runTurn({ store, requests, sink, bedrock, models, log, loadBlob: async () => new Uint8Array() }, { ...job!, newConversation: false });
      let bytes = 0;
      for (const key of written) {
        const res = await raw.send(new GetCommand({ TableName: table, Key: key }));
        bytes += itemSize(res.Item ?? {});
      }
      perTurn.push(bytes);
    }
    return {
      'storage.bytesPerTurn.t1': perTurn[0],
      'storage.bytesPerTurn.t10': perTurn[9],
      'storage.bytesPerTurn.t100': perTurn[99],
      'storage.baseline.bytesPerTurn.t1': baselineBytesPerTurn(1),
      'storage.baseline.bytesPerTurn.t10': baselineBytesPerTurn(10),
      'storage.baseline.bytesPerTurn.t100': baselineBytesPerTurn(100),
    };
  } finally {
    await bedrockFake.stop();
    await dynamo.stop();
  }
}
