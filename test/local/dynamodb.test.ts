import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { credentials, region, useDummyAwsEnv } from './env';
import { DynamoDbEmulator, ensureConversationTable, startDynamoDb } from '../../src/local/emulators/dynamodb';

useDummyAwsEnv();

let dynamo: DynamoDbEmulator;
let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  dynamo = await startDynamoDb();
  client = new DynamoDBClient({ endpoint: dynamo.endpoint, credentials, region });
  doc = DynamoDBDocumentClient.from(client);
  await ensureConversationTable(client, 'conversations');
});

afterAll(async () => {
  client.destroy();
  await dynamo.stop();
});

test('endpoint is a loopback URL with a random port', () => {
  expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
});

test('the conversations table has pk/sk keys and the byUpdatedAt GSI, and is ACTIVE', async () => {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: 'conversations' }));
  expect(Table?.TableStatus).toBe('ACTIVE');
  expect(Table?.KeySchema).toEqual([
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ]);
  expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  const gsi = Table?.GlobalSecondaryIndexes?.[0];
  expect(gsi?.IndexName).toBe('byUpdatedAt');
  expect(gsi?.KeySchema).toEqual([
    { AttributeName: 'gsi1pk', KeyType: 'HASH' },
    { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
  ]);
  expect(gsi?.Projection?.ProjectionType).toBe('ALL');
  // idempotent
  await ensureConversationTable(client, 'conversations');
});

test('put, query by prefix, GSI by recency, update with ADD', async () => {
  const user = 'USER#u1';
  await doc.send(new PutCommand({
    TableName: 'conversations',
    Item: { pk: user, sk: 'CONV#a', type: 'conversation', title: 'A', gsi1pk: user, gsi1sk: '2025-01-01T00:00:00.000Z', inputTokens: 0 },
  }));
  await doc.send(new PutCommand({
    TableName: 'conversations',
    Item: { pk: user, sk: 'CONV#b', type: 'conversation', title: 'B', gsi1pk: user, gsi1sk: '2025-03-01T00:00:00.000Z', inputTokens: 0 },
  }));
  await doc.send(new PutCommand({
    TableName: 'conversations',
    Item: { pk: user, sk: 'CONV#a#MSG#01', type: 'message', role: 'user', content: [{ text: 'hi' }] },
  }));
  await doc.send(new PutCommand({ TableName: 'conversations', Item: { pk: 'USER#other', sk: 'CONV#z', type: 'conversation' } }));

  const messages = await doc.send(new QueryCommand({
    TableName: 'conversations',
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': user, ':prefix': 'CONV#a#MSG#' },
  }));
  expect(messages.Items).toEqual([{ pk: user, sk: 'CONV#a#MSG#01', type: 'message', role: 'user', content: [{ text: 'hi' }] }]);

  const recent = await doc.send(new QueryCommand({
    TableName: 'conversations',
    IndexName: 'byUpdatedAt',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': user },
    ScanIndexForward: false,
  }));
  expect(recent.Items?.map((i) => i.title)).toEqual(['B', 'A']);

  const updated = await doc.send(new UpdateCommand({
    TableName: 'conversations',
    Key: { pk: user, sk: 'CONV#a' },
    UpdateExpression: 'ADD inputTokens :n',
    ExpressionAttributeValues: { ':n': 7 },
    ReturnValues: 'ALL_NEW',
  }));
  expect(updated.Attributes?.inputTokens).toBe(7);
});
