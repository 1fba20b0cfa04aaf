/// <reference path="../types.d.ts" />
// src/local runs only in development (playground, tests): its imports are devDependencies.
import { spawn } from 'child_process';
import * as http from 'http';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { hasPythonTool, missingToolMessage } from '../python-tools';
import { startStreamLayer } from './dynamodb-streams';
import { closeServer, listenLoopback } from './util';

/**
 * The DynamoDB implementations the emulator can start. dynalite (Node, in process) is the default; moto
 * (`moto_server`, Python) also implements TransactWriteItems/TransactGetItems, TTL and Streams, which dynalite lacks
 * (docs/architecture.md, "Validators"). The store's over-the-wire tests run against both.
 */
export type DynamoDbBackend = 'dynalite' | 'moto';

export const DYNAMODB_BACKENDS: readonly DynamoDbBackend[] = ['dynalite', 'moto'];

/** The environment variable that picks the backend of every `startDynamoDb()` without a `backend` option. */
export const DYNAMODB_BACKEND_ENV = 'BEDROCK_CHAT_DYNAMODB';

export interface DynamoDbEmulator {
  /** `http://127.0.0.1:<port>` — use as `AWS_ENDPOINT_URL_DYNAMODB` or the client's `endpoint`. */
  readonly endpoint: string;
  /** The implementation serving `endpoint`. */
  readonly backend: DynamoDbBackend;
  stop(): Promise<void>;
}

export interface StartDynamoDbOptions {
  /** Time a new table stays CREATING (default 0; dynalite only, moto creates tables ACTIVE). */
  readonly createTableMs?: number;
  /** The implementation (default: `$BEDROCK_CHAT_DYNAMODB`, else dynalite). */
  readonly backend?: DynamoDbBackend;
  /**
   * Serve DynamoDB Streams for tables created with a `StreamSpecification` (the local stack sets it when a template
   * table has one). moto implements streams itself; dynalite gets the stream layer in front of it
   * (./dynamodb-streams.ts), at the cost of one loopback hop per request.
   */
  readonly streams?: { readonly region: string; readonly accountId?: string };
}

/** The backend `startDynamoDb()` uses when none is given: `$BEDROCK_CHAT_DYNAMODB`, else dynalite. */
export function defaultDynamoDbBackend(): DynamoDbBackend {
  const value = process.env[DYNAMODB_BACKEND_ENV];
  if (value === undefined || value === '') return 'dynalite';
  if (!(DYNAMODB_BACKENDS as readonly string[]).includes(value)) {
    throw new Error(`${DYNAMODB_BACKEND_ENV}=${value}: expected one of ${DYNAMODB_BACKENDS.join(', ')}`);
  }
  return value as DynamoDbBackend;
}

/** Starts an in-memory DynamoDB (dynalite, or moto_server) on a random loopback port. */
export async function startDynamoDb(options: StartDynamoDbOptions = {}): Promise<DynamoDbEmulator> {
  const backend = options.backend ?? defaultDynamoDbBackend();
  if (backend === 'moto') return startMoto();
  const server = dynalite({
    createTableMs: options.createTableMs ?? 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const port = await listenLoopback(server);
  const direct = `http://127.0.0.1:${port}`;
  const layer = options.streams ? await startStreamLayer({ upstream: direct, ...options.streams }) : undefined;
  return {
    endpoint: layer?.endpoint ?? direct,
    backend,
    stop: async () => {
      await layer?.stop();
      await closeServer(server);
    },
  };
}

/**
 * `moto_server -H 127.0.0.1 -p 0` (moto 5.2.1): werkzeug picks a free port and logs
 * ` * Running on http://127.0.0.1:PORT`; one process per emulator, so every test file has its own tables.
 *
 * The endpoint handed out is a proxy that passes moto one request at a time. moto_server serves requests on threads
 * (werkzeug `threaded=True`) and its UpdateItem reads, checks the condition and writes in Python with no lock, so two
 * conditional writes to one item at once could both pass (two racing continuations both lost; the concurrency cap let
 * four answers through). DynamoDB does not: "Individual write operations such as UpdateItem are atomic and always
 * operate on the most recent version of the item, regardless of concurrency"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/BestPractices_ImplementingVersionControl.html).
 * One request at a time restores that, for every item at once, which is stricter than DynamoDB and hides nothing the
 * tests look for.
 */
async function startMoto(): Promise<DynamoDbEmulator> {
  if (!hasPythonTool('moto_server')) throw new Error(missingToolMessage('moto_server'));
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let output = '';
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`moto_server did not start within 30 s: ${output.slice(-500)}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`moto_server exited (${code}) before it listened: ${output.slice(-500)}`)));
  });
  // Past start-up its request log is noise; keep draining it so the pipes never fill.
  child.stdout.removeAllListeners('data').resume();
  child.stderr.removeAllListeners('data').resume();
  child.removeAllListeners('exit');
  const proxy = await startSerializingProxy(endpoint);
  return {
    endpoint: proxy.endpoint,
    backend: 'moto',
    stop: async () => {
      await proxy.stop();
      await stopChild();
    },
  };

  function stopChild(): Promise<void> {
    return new Promise<void>((resolve) => {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

/** An HTTP proxy on loopback that forwards to `upstream` one request at a time, in arrival order. */
async function startSerializingProxy(upstream: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let queue: Promise<void> = Promise.resolve();
  const server = http.createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      queue = queue.then(() => new Promise<void>((done) => {
        const out = http.request({
          host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent,
        }, (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
          upstreamRes.on('end', done);
          upstreamRes.on('error', done);
        });
        out.on('error', (err) => {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`moto_server: ${err.message}`);
          done();
        });
        out.end(Buffer.concat(body));
      }));
    });
  });
  const port = await listenLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      await closeServer(server);
      agent.destroy();
    },
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
