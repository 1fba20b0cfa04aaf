/**
 * Bad declarations of bots as code: whatever the custom resource's `Bot` property holds, the provider answers
 * CloudFormation FAILED with a reason, and the bot table is unchanged (fast-check), against dynalite over the wire.
 */
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as fc from 'fast-check';
import { CustomResourceRequest, handleBotResource } from '../../src/lambdas/core/bot-definitions';
import { ModelSettings } from '../../src/lambdas/core/models';
import { DynamoDbEmulator, startDynamoDb } from '../../src/local/emulators/dynamodb';
import { credentials, region, useDummyAwsEnv } from '../local/env';

useDummyAwsEnv();

let dynamo: DynamoDbEmulator;
let client: DynamoDBClient;
const tableName = 'bots';
const settings: ModelSettings = {
  models: [{ key: 'haiku', modelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0', displayName: 'Haiku', capabilities: { reasoning: true } } as never],
  defaultModel: 'haiku',
  promptCaching: true,
  reasoningBudget: 4096,
} as never;

beforeAll(async () => {
  dynamo = await startDynamoDb({ backend: 'dynalite' });
  client = new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials });
  await client.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }));
});
afterAll(async () => {
  client.destroy();
  await dynamo.stop();
});

const request = (bot: unknown, type: 'Create' | 'Update' = 'Create'): CustomResourceRequest => ({
  RequestType: type,
  ResponseURL: 'http://127.0.0.1:1/unused',
  StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/s/1',
  RequestId: 'r',
  ResourceType: 'Custom::BedrockChatBot',
  LogicalResourceId: 'BotX',
  ResourceProperties: { ServiceToken: 'x', Bot: bot },
});
const count = async () => (await client.send(new ScanCommand({ TableName: tableName }))).Count ?? 0;

test('a valid declaration is written once, then unchanged', async () => {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const bot = JSON.stringify({ id: 'ok-bot', title: 'OK', scope: 'all', models: ['haiku'] });
  expect(await handleBotResource({ db: doc, tableName, settings }, request(bot))).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'written' } });
  expect(await handleBotResource({ db: doc, tableName, settings }, request(bot, 'Update'))).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'unchanged' } });
});

test('any malformed or invalid declaration answers FAILED with a reason and writes nothing', async () => {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const before = await count();
  const invalid = fc.oneof(
    fc.anything().filter((v) => typeof v !== 'string'),
    fc.string().filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }),
    fc.record({
      id: fc.oneof(fc.string(), fc.constant('UPPER'), fc.constant('x'.repeat(65))),
      title: fc.oneof(fc.constant(''), fc.string({ minLength: 101, maxLength: 120 }), fc.constant('fine')),
      scope: fc.oneof(fc.constant('private'), fc.string()),
      models: fc.array(fc.string(), { maxLength: 3 }),
    }).filter((b) => !(/^[a-z0-9-]{1,64}$/.test(b.id) && (b.scope === 'all' || b.scope === 'partial') && b.models.every((m) => m === 'haiku') && b.title === 'fine'))
      .map((b) => JSON.stringify(b)),
    fc.constantFrom(
      JSON.stringify({ id: 'topk', title: 't', scope: 'all', models: ['haiku'], generation: { reasoningBudget: 100 } }),
      JSON.stringify({ id: 'max', title: 't', scope: 'all', generation: { maxTokens: 10_000_000 } }),
    ),
  );
  await fc.assert(fc.asyncProperty(invalid, async (bot) => {
    const res = await handleBotResource({ db: doc, tableName, settings }, request(bot));
    expect(res.Status).toBe('FAILED');
    expect(res.Reason?.length).toBeGreaterThan(0);
    expect(res.PhysicalResourceId.length).toBeGreaterThan(0);
  }), { numRuns: 60 });
  expect(await count()).toBe(before);
});
