/**
 * Shared by the worker tests whose model answer never finishes by itself: dynalite with the conversations table, and
 * the Bedrock fake answering with steps that pause on a promise the test file holds, opened after each test (or by the
 * worker aborting the request), so that the budget or the fault under test is what ends the answer.
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BedrockFake, FakeStep, startBedrockFake } from '../../src/local/emulators/bedrock';
import { ensureConversationTable, startDynamoDb } from '../../src/local/emulators/dynamodb';

/** The clients and the Bedrock fake of a test file (the table is named `conversations`). */
export interface HeldModelStack {
  readonly db: DynamoDBDocumentClient;
  readonly bedrock: BedrockRuntimeClient;
  readonly bedrockFake: BedrockFake;
}

/**
 * Registers the hooks at the top level of the test file: before all, dynalite with the conversations table and the
 * Bedrock fake whose every answer is `steps(held)`, `held` resolving when the test ends; after each test, the held
 * answers are opened; after all, the clients and servers stop.
 */
export function heldModelStack(steps: (held: Promise<void>) => FakeStep[]): HeldModelStack {
  let stop: (() => Promise<void>) | undefined;
  let db: DynamoDBDocumentClient | undefined;
  let bedrockFake: BedrockFake | undefined;
  let bedrock: BedrockRuntimeClient | undefined;
  /** Opens the model's held answers (each test's model waits until its worker aborts, or until the test ends). */
  let openModel: () => void = () => undefined;

  beforeAll(async () => {
    const dynamo = await startDynamoDb();
    stop = dynamo.stop;
    const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
    await ensureConversationTable(client, 'conversations');
    db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    bedrockFake = await startBedrockFake({
      respond: () => {
        const held = new Promise<void>((resolve) => { openModel = resolve; });
        return { steps: steps(held) };
      },
    });
    bedrock = new BedrockRuntimeClient({ endpoint: bedrockFake.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  });
  afterEach(() => openModel());
  afterAll(async () => {
    bedrock?.destroy();
    await bedrockFake?.stop();
    await stop?.();
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('Not started yet: use it in a test or in a hook declared after heldModelStack.');
    return value;
  };
  return {
    get db() { return started(db); },
    get bedrock() { return started(bedrock); },
    get bedrockFake() { return started(bedrockFake); },
  };
}
