/// <reference path="../types.d.ts" />
// src/local runs only in development (playground, tests): its imports are devDependencies.
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { closeServer, listenLoopback } from './util';

export interface DynamoDbEmulator {
  /** `http://127.0.0.1:<port>` — use as `AWS_ENDPOINT_URL_DYNAMODB` or the client's `endpoint`. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface StartDynamoDbOptions {
  /** Time a new table stays CREATING (default 0). */
  readonly createTableMs?: number;
}

/** Starts dynalite in memory on a random loopback port. */
export async function startDynamoDb(options: StartDynamoDbOptions = {}): Promise<DynamoDbEmulator> {
  const server = dynalite({
    createTableMs: options.createTableMs ?? 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const port = await listenLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => closeServer(server),
  };
}

/**
 * Creates the conversations table of docs/architecture.md (`pk`/`sk` strings, GSI `byUpdatedAt` on
 * `gsi1pk`/`gsi1sk` with projection ALL, on demand) if it does not exist, and waits until it is ACTIVE.
 */
export async function ensureConversationTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [{
        IndexName: 'byUpdatedAt',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      }],
    }));
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} not ACTIVE after 30 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
