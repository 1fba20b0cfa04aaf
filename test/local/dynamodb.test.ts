/**
 * The DynamoDB emulator over the wire, against each implementation (dynalite, and moto when installed: see
 * test/local/env.ts), and where each departs from DynamoDB's documented behaviour (docs/architecture.md, "Validators").
 */
import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand as RawQueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { credentials, dynamoDbBackends, region, useDummyAwsEnv } from './env';
import {
  defaultDynamoDbBackend, DynamoDbBackend, DynamoDbEmulator, ensureConversationTable, startDynamoDb,
} from '../../src/local/emulators/dynamodb';

useDummyAwsEnv();

type Behaviour = 'transactions' | 'ttl' | 'streams' | 'returnOldItemOnConditionFailure' | 'emptyIndexKey' | 'batchWriteOver25'
| 'lastEvaluatedKeyAtLimit' | 'itemSizeLimit';

/**
 * Where each implementation departs from what DynamoDB documents (each test below cites the page). A deviation is
 * asserted as it is, so the test fails (and this table must change) when the implementation starts to behave.
 */
const DEVIATIONS: Record<DynamoDbBackend, readonly Behaviour[]> = {
  dynalite: ['transactions', 'ttl', 'streams', 'returnOldItemOnConditionFailure', 'emptyIndexKey'],
  moto: ['batchWriteOver25', 'lastEvaluatedKeyAtLimit', 'itemSizeLimit'],
};

test('BEDROCK_CHAT_DYNAMODB picks the backend of startDynamoDb(); an unknown value is a clear error', () => {
  const saved = process.env.BEDROCK_CHAT_DYNAMODB;
  try {
    delete process.env.BEDROCK_CHAT_DYNAMODB;
    expect(defaultDynamoDbBackend()).toBe('dynalite');
    process.env.BEDROCK_CHAT_DYNAMODB = 'moto';
    expect(defaultDynamoDbBackend()).toBe('moto');
    process.env.BEDROCK_CHAT_DYNAMODB = 'dynamodb-local';
    expect(() => defaultDynamoDbBackend()).toThrow('BEDROCK_CHAT_DYNAMODB=dynamodb-local: expected one of dynalite, moto');
  } finally {
    if (saved === undefined) delete process.env.BEDROCK_CHAT_DYNAMODB;
    else process.env.BEDROCK_CHAT_DYNAMODB = saved;
  }
});

describe.each(dynamoDbBackends())('%s', (backend) => {
  let dynamo: DynamoDbEmulator;
  let client: DynamoDBClient;
  let doc: DynamoDBDocumentClient;

  beforeAll(async () => {
    dynamo = await startDynamoDb({ backend });
    client = new DynamoDBClient({ endpoint: dynamo.endpoint, credentials, region });
    doc = DynamoDBDocumentClient.from(client);
    await ensureConversationTable(client, 'conversations');
  });

  afterAll(async () => {
    client?.destroy();
    await dynamo?.stop();
  });

  /** Registers the test of `behaviour`: DynamoDB's documented one, or the implementation's known deviation. */
  const behaves = (behaviour: Behaviour, title: string, documented: () => Promise<void>, deviation: () => Promise<void>) => {
    const deviates = DEVIATIONS[backend].includes(behaviour);
    test(deviates ? `known deviation from DynamoDB: ${title}` : `as DynamoDB documents: ${title}`, deviates ? deviation : documented);
  };
  const put = (sk: string, extra: Record<string, unknown> = {}) =>
    doc.send(new PutCommand({ TableName: 'conversations', Item: { pk: 'USER#probe', sk, ...extra } }));
  const error = (p: Promise<unknown>): Promise<any> => p.then(() => undefined, (e: unknown) => e);

  test('emulator reports its backend', () => {
    expect(dynamo.backend).toBe(backend);
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

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html: TransactWriteItems is all or
  // nothing; a failed condition cancels the whole transaction with one CancellationReason per action.
  behaves('transactions', 'TransactWriteItems writes all or nothing, with a reason per action', async () => {
    await put('TX#existing');
    const err = await error(client.send(new TransactWriteItemsCommand({
      TransactItems: [
        { Put: { TableName: 'conversations', Item: { pk: { S: 'USER#probe' }, sk: { S: 'TX#new' } } } },
        { Put: { TableName: 'conversations', Item: { pk: { S: 'USER#probe' }, sk: { S: 'TX#existing' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
      ],
    })));
    expect(err).toBeInstanceOf(TransactionCanceledException);
    expect(err.CancellationReasons.map((r: any) => r.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    const { Item } = await client.send(new GetItemCommand({ TableName: 'conversations', Key: { pk: { S: 'USER#probe' }, sk: { S: 'TX#new' } } }));
    expect(Item).toBeUndefined();
  }, async () => {
    const err = await error(client.send(new TransactWriteItemsCommand({
      TransactItems: [{ Put: { TableName: 'conversations', Item: { pk: { S: 'USER#probe' }, sk: { S: 'TX#new' } } } }],
    })));
    expect(err?.name).toBe('UnknownOperationException');
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html: UpdateTimeToLive enables TTL
  // on an attribute; "Items that have expired and not been deleted will still show up in reads" (deletion is a
  // background process, typically within two days), so no emulator deleting on time would be truer.
  behaves('ttl', 'UpdateTimeToLive enables TTL on expiresAt, and an expired item is still read until deleted', async () => {
    await client.send(new UpdateTimeToLiveCommand({ TableName: 'conversations', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }));
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: 'conversations' }));
    expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    await put('TTL#expired', { expiresAt: 1000 });
    const { Item } = await client.send(new GetItemCommand({ TableName: 'conversations', Key: { pk: { S: 'USER#probe' }, sk: { S: 'TTL#expired' } } }));
    expect(Item?.expiresAt).toEqual({ N: '1000' });
  }, async () => {
    const err = await error(client.send(new UpdateTimeToLiveCommand({
      TableName: 'conversations', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    })));
    expect(err?.name).toBe('UnknownOperationException');
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html (StreamSpecification,
  // TableDescription.LatestStreamArn): a table created with a stream describes it.
  behaves('streams', 'a table created with a StreamSpecification has a stream ARN', async () => {
    const res = await client.send(new CreateTableCommand({
      TableName: 'streamed',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }));
    expect(res.TableDescription?.LatestStreamArn).toMatch(/^arn:aws:dynamodb:us-east-1:\d{12}:table\/streamed\/stream\//);
    expect(res.TableDescription?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
  }, async () => {
    const res = await client.send(new CreateTableCommand({
      TableName: 'streamed',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }));
    expect(res.TableDescription?.LatestStreamArn).toBeUndefined();
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html (ReturnValuesOnConditionCheckFailure:
  // ALL_OLD returns the item's attributes in the ConditionalCheckFailedException).
  behaves('returnOldItemOnConditionFailure', 'ReturnValuesOnConditionCheckFailure ALL_OLD puts the item in the error', async () => {
    await put('RV#1', { n: 1 });
    const err = await error(client.send(new PutItemCommand({
      TableName: 'conversations',
      Item: { pk: { S: 'USER#probe' }, sk: { S: 'RV#1' } },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    })));
    expect(err).toBeInstanceOf(ConditionalCheckFailedException);
    expect(err.Item).toEqual({ pk: { S: 'USER#probe' }, sk: { S: 'RV#1' }, n: { N: '1' } });
  }, async () => {
    await put('RV#1', { n: 1 });
    const err = await error(client.send(new PutItemCommand({
      TableName: 'conversations',
      Item: { pk: { S: 'USER#probe' }, sk: { S: 'RV#1' } },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    })));
    expect(err).toBeInstanceOf(ConditionalCheckFailedException);
    expect(err.Item).toBeUndefined();
  });

  // https://aws.amazon.com/about-aws/whats-new/2020/05/amazon-dynamodb-now-supports-empty-values-for-non-key-string-and-binary-attributes-in-dynamodb-tables/
  // and https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html: empty strings are allowed in
  // non-key attributes, not in a table's or an index's key attributes.
  behaves('emptyIndexKey', 'an empty string is a valid attribute but not a GSI key value', async () => {
    await put('EMPTY#title', { title: '' });
    const err = await error(put('EMPTY#gsi', { gsi1pk: '', gsi1sk: 'x' }));
    expect(err?.name).toBe('ValidationException');
    expect(err.message).toMatch(/empty string/);
  }, async () => {
    await put('EMPTY#title', { title: '' });
    await expect(put('EMPTY#gsi', { gsi1pk: '', gsi1sk: 'x' })).resolves.toBeDefined();
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html: "up to 25 item put or
  // delete operations" per call. conversations.ts deletes in chunks of 25.
  const deletes = (n: number) => ({ RequestItems: { conversations: Array.from({ length: n }, (_, i) => ({ DeleteRequest: { Key: { pk: { S: 'USER#probe' }, sk: { S: `BATCH#${i}` } } } })) } });
  behaves('batchWriteOver25', 'BatchWriteItem takes 25 requests and rejects 26', async () => {
    await expect(client.send(new BatchWriteItemCommand(deletes(25)))).resolves.toMatchObject({ UnprocessedItems: {} });
    expect((await error(client.send(new BatchWriteItemCommand(deletes(26)))))?.name).toBe('ValidationException');
  }, async () => {
    await expect(client.send(new BatchWriteItemCommand(deletes(25)))).resolves.toMatchObject({ UnprocessedItems: {} });
    await expect(client.send(new BatchWriteItemCommand(deletes(26)))).resolves.toMatchObject({ UnprocessedItems: {} });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html: a Query that stops at its
  // Limit returns a LastEvaluatedKey even when no item follows ("If LastEvaluatedKey is not empty, it does not
  // necessarily mean that there is more data"); only an empty one ends the result set. A list page can be empty.
  // (The item is alone in its partition: the store's conversation list is one user's partition of the GSI.)
  const lastPage = async () => {
    await doc.send(new PutCommand({ TableName: 'conversations', Item: { pk: 'USER#lek', sk: 'LEK#1' } }));
    return client.send(new RawQueryCommand({
      TableName: 'conversations',
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'USER#lek' } },
      Limit: 1,
    }));
  };
  behaves('lastEvaluatedKeyAtLimit', 'a Query that reaches its Limit on the last item still returns a LastEvaluatedKey', async () => {
    const res = await lastPage();
    expect(res.Items).toHaveLength(1);
    expect(res.LastEvaluatedKey).toEqual({ pk: { S: 'USER#lek' }, sk: { S: 'LEK#1' } });
  }, async () => {
    const res = await lastPage();
    expect(res.Items).toHaveLength(1);
    expect(res.LastEvaluatedKey).toBeUndefined();
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html (items: 400 KB, 1 KB = 1024 bytes)
  // and https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html (the size is
  // the UTF-8 bytes of the attribute names plus the values): an item 100 bytes under 409,600 bytes is accepted.
  const nearLimit = () => {
    const fixed = 'pk'.length + 'USER#probe'.length + 'sk'.length + 'BIG#1'.length + 'b'.length;
    return put('BIG#1', { b: 'x'.repeat(400 * 1024 - 100 - fixed) });
  };
  behaves('itemSizeLimit', 'an item of 400 KB less 100 bytes is stored; one byte over 400 KB is not', async () => {
    await expect(nearLimit()).resolves.toBeDefined();
    expect((await error(put('BIG#2', { b: 'x'.repeat(400 * 1024) })))?.name).toBe('ValidationException');
  }, async () => {
    expect((await error(nearLimit()))?.name).toBe('ValidationException');
  });
});
