// src/local runs only in development (playground, tests): its imports are devDependencies.
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, request as httpRequest, ServerResponse } from 'node:http';
import { closeServer, listenLoopback, readBody } from './util';

/**
 * A DynamoDB Streams layer in front of an implementation without streams (dynalite). Every request goes through it
 * to the implementation unchanged, except:
 * - `CreateTable` with `StreamSpecification.StreamEnabled`: the layer remembers the table's key schema and view type
 *   (the implementation gets the request without the specification);
 * - `DescribeTable` of such a table: the answer gains `StreamSpecification`, `LatestStreamArn` and `LatestStreamLabel`;
 * - `PutItem`, `UpdateItem`, `DeleteItem`, `BatchWriteItem` on such a table: the layer reads the item's old image
 *   (GetItem, `ConsistentRead`), forwards the write, reads the new image, and appends a stream record when the item
 *   changed (writes to one streamed table are serialized, so the images are exactly before and after);
 * - `DynamoDBStreams_20120810.*` (`ListStreams`, `DescribeStream`, `GetShardIterator`, `GetRecords`): served here.
 *
 * Record shape (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_Record.html and
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_StreamRecord.html): `eventID`,
 * `eventName` INSERT (a new item) | MODIFY (an existing item changed) | REMOVE (the item was deleted), `eventVersion`
 * `1.1`, `eventSource` `aws:dynamodb`, `awsRegion`, `dynamodb` {`ApproximateCreationDateTime` (epoch seconds, rounded
 * down), `Keys`, `NewImage`, `OldImage` (as the view type says), `SequenceNumber` (21 to 40 digits), `SizeBytes`,
 * `StreamViewType`}. A write that changes nothing (a Put of the same item, a conditional write that fails, a Delete of
 * an absent item) writes no record. One shard per stream, open, never split: the stream keeps every record while the
 * layer runs (DynamoDB keeps 24 hours: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html).
 * moto_server implements DynamoDB Streams itself; the local pipe runs against both (test/local/pipes.test.ts).
 */
export interface StreamLayer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

type AttributeMap = Record<string, unknown>;
type ViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';

interface StreamedTable {
  readonly name: string;
  readonly keyNames: readonly string[];
  readonly keySchema: unknown;
  readonly viewType: ViewType;
  readonly label: string;
  readonly arn: string;
  readonly records: StreamRecordOut[];
  lock: Promise<void>;
}

interface StreamRecordOut {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventVersion: '1.1';
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  dynamodb: Record<string, unknown>;
}

const SHARD_ID = 'shardId-00000000000000000000-00000001';
/** Sequence numbers are 21 to 40 digits (StreamRecord.SequenceNumber); these are 21. */
const sequenceNumber = (n: number) => String(100000000000000000000n + BigInt(n));

export async function startStreamLayer(options: { upstream: string; region: string; accountId?: string }): Promise<StreamLayer> {
  const upstream = new URL(options.upstream);
  const tables = new Map<string, StreamedTable>();
  const byArn = new Map<string, StreamedTable>();

  const forward = (headers: IncomingMessage['headers'], body: Buffer) => new Promise<{ status: number; headers: Record<string, string>; body: Buffer }>((resolve, reject) => {
    const req = httpRequest({
      host: upstream.hostname,
      port: upstream.port,
      method: 'POST',
      path: '/',
      headers: { ...headers, 'content-length': String(body.length), 'host': upstream.host },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string' && k !== 'content-length' && k !== 'x-amz-crc32') out[k] = v;
        resolve({ status: res.statusCode ?? 500, headers: out, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  const call = async (target: string, input: unknown, headers: IncomingMessage['headers']) => {
    const res = await forward({ ...headers, 'x-amz-target': `DynamoDB_20120810.${target}` }, Buffer.from(JSON.stringify(input)));
    return { status: res.status, json: JSON.parse(res.body.toString('utf8') || '{}') as Record<string, unknown> };
  };
  const getItem = async (table: StreamedTable, key: AttributeMap, headers: IncomingMessage['headers']) => {
    const res = await call('GetItem', { TableName: table.name, Key: key, ConsistentRead: true }, headers);
    return res.status === 200 ? res.json.Item as AttributeMap | undefined : undefined;
  };
  const keyOf = (table: StreamedTable, item: AttributeMap): AttributeMap => Object.fromEntries(table.keyNames.map((k) => [k, item[k]]));
  const append = (table: StreamedTable, keys: AttributeMap, oldImage: AttributeMap | undefined, newImage: AttributeMap | undefined) => {
    if (!oldImage && !newImage) return;
    if (oldImage && newImage && canonical(oldImage) === canonical(newImage)) return;
    const eventName = !oldImage ? 'INSERT' : !newImage ? 'REMOVE' : 'MODIFY';
    const dynamodb: Record<string, unknown> = {
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      Keys: keys,
      SequenceNumber: sequenceNumber(table.records.length + 1),
      StreamViewType: table.viewType,
    };
    if (newImage && (table.viewType === 'NEW_IMAGE' || table.viewType === 'NEW_AND_OLD_IMAGES')) dynamodb.NewImage = newImage;
    if (oldImage && (table.viewType === 'OLD_IMAGE' || table.viewType === 'NEW_AND_OLD_IMAGES')) dynamodb.OldImage = oldImage;
    dynamodb.SizeBytes = Buffer.byteLength(JSON.stringify({ Keys: keys, NewImage: dynamodb.NewImage, OldImage: dynamodb.OldImage }));
    table.records.push({ eventID: randomUUID().replace(/-/g, ''), eventName, eventVersion: '1.1', eventSource: 'aws:dynamodb', awsRegion: options.region, dynamodb });
  };
  const serialized = async <T>(table: StreamedTable, fn: () => Promise<T>): Promise<T> => {
    const before = table.lock;
    let release!: () => void;
    table.lock = new Promise<void>((r) => { release = r; });
    await before;
    try {
      return await fn();
    } finally {
      release();
    }
  };

  const streamsError = (res: ServerResponse, type: string, message: string) => send(res, 400, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
  const handleStreams = (action: string, input: Record<string, unknown>, res: ServerResponse) => {
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB_Streams.html
    const tableOfArn = () => {
      const t = byArn.get(String(input.StreamArn));
      if (!t) streamsError(res, 'ResourceNotFoundException', `Requested resource not found: Stream: ${String(input.StreamArn)} not found`);
      return t;
    };
    switch (action) {
      case 'ListStreams': {
        const list = [...tables.values()].filter((t) => input.TableName === undefined || t.name === input.TableName);
        return send(res, 200, { Streams: list.map((t) => ({ StreamArn: t.arn, TableName: t.name, StreamLabel: t.label })) });
      }
      case 'DescribeStream': {
        const t = tableOfArn();
        if (!t) return;
        return send(res, 200, {
          StreamDescription: {
            StreamArn: t.arn,
            StreamLabel: t.label,
            StreamStatus: 'ENABLED',
            StreamViewType: t.viewType,
            CreationRequestDateTime: Date.parse(t.label) / 1000,
            TableName: t.name,
            KeySchema: t.keySchema,
            Shards: [{ ShardId: SHARD_ID, SequenceNumberRange: { StartingSequenceNumber: sequenceNumber(1) } }],
          },
        });
      }
      case 'GetShardIterator': {
        const t = tableOfArn();
        if (!t) return;
        if (input.ShardId !== SHARD_ID) return streamsError(res, 'ResourceNotFoundException', `Requested resource not found: Shard ${String(input.ShardId)} not found`);
        const seq = input.SequenceNumber === undefined ? undefined : BigInt(String(input.SequenceNumber)) - 100000000000000000000n;
        let position: number;
        switch (input.ShardIteratorType) {
          case 'TRIM_HORIZON': position = 0; break;
          case 'LATEST': position = t.records.length; break;
          case 'AT_SEQUENCE_NUMBER': position = Number(seq) - 1; break;
          case 'AFTER_SEQUENCE_NUMBER': position = Number(seq); break;
          default: return streamsError(res, 'ValidationException', `Invalid ShardIteratorType: ${String(input.ShardIteratorType)}`);
        }
        if (!Number.isInteger(position) || position < 0) return streamsError(res, 'ValidationException', 'Invalid SequenceNumber');
        return send(res, 200, { ShardIterator: iterator(t.arn, position) });
      }
      case 'GetRecords': {
        let decoded: { arn: string; position: number };
        try {
          decoded = JSON.parse(Buffer.from(String(input.ShardIterator), 'base64url').toString('utf8'));
        } catch {
          return streamsError(res, 'ValidationException', 'Invalid ShardIterator');
        }
        const t = byArn.get(decoded.arn);
        if (!t) return streamsError(res, 'ResourceNotFoundException', 'Requested resource not found');
        // Limit: at most 1000 records a call (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html).
        const limit = Math.min(Number(input.Limit ?? 1000), 1000);
        const records = t.records.slice(decoded.position, decoded.position + limit);
        return send(res, 200, {
          Records: records.map((r) => ({ ...r, dynamodb: { ...r.dynamodb } })),
          NextShardIterator: iterator(t.arn, decoded.position + records.length),
        });
      }
      default:
        return streamsError(res, 'UnknownOperationException', `Unknown operation ${action}`);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const [service, action] = target.split('.');
    let input: Record<string, unknown> = {};
    try {
      input = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      // the implementation answers the malformed request
    }
    if (service === 'DynamoDBStreams_20120810') return handleStreams(action, input, res);
    const reply = (out: Awaited<ReturnType<typeof forward>>) => {
      res.writeHead(out.status, out.headers);
      res.end(out.body);
    };
    const pass = async (payload: Buffer = body) => {
      const out = await forward(req.headers, payload);
      reply(out);
      return out;
    };
    switch (action) {
      case 'CreateTable': {
        const spec = input.StreamSpecification as { StreamEnabled?: boolean; StreamViewType?: ViewType } | undefined;
        if (!spec) return pass();
        const { StreamSpecification: _omit, ...rest } = input;
        const out = await forward(req.headers, Buffer.from(JSON.stringify(rest)));
        if (out.status === 200 && spec.StreamEnabled) {
          const label = new Date().toISOString().replace('Z', '');
          const name = String(input.TableName);
          const arn = `arn:aws:dynamodb:${options.region}:${options.accountId ?? '000000000000'}:table/${name}/stream/${label}`;
          const keySchema = input.KeySchema as { AttributeName: string }[];
          const table: StreamedTable = { name, keyNames: keySchema.map((k) => k.AttributeName), keySchema, viewType: spec.StreamViewType ?? 'KEYS_ONLY', label, arn, records: [], lock: Promise.resolve() };
          tables.set(name, table);
          byArn.set(arn, table);
          const json = JSON.parse(out.body.toString('utf8')) as { TableDescription: Record<string, unknown> };
          Object.assign(json.TableDescription, streamFields(table));
          return send(res, 200, json);
        }
        res.writeHead(out.status, out.headers);
        return res.end(out.body);
      }
      case 'DescribeTable': {
        const table = tables.get(String(input.TableName));
        if (!table) return pass();
        const out = await forward(req.headers, body);
        if (out.status !== 200) {
          res.writeHead(out.status, out.headers);
          return res.end(out.body);
        }
        const json = JSON.parse(out.body.toString('utf8')) as { Table: Record<string, unknown> };
        Object.assign(json.Table, streamFields(table));
        return send(res, 200, json);
      }
      case 'DeleteTable': {
        const table = tables.get(String(input.TableName));
        const out = await pass();
        if (table && out.status === 200) {
          tables.delete(table.name);
          byArn.delete(table.arn);
        }
        return;
      }
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem': {
        const table = tables.get(String(input.TableName));
        if (!table) return pass();
        const key = action === 'PutItem' ? keyOf(table, input.Item as AttributeMap) : input.Key as AttributeMap;
        // The record is appended before the write is answered: a reader that polls the stream after its write
        // returned finds it (the local pipe's drain relies on it).
        return serialized(table, async () => {
          const oldImage = await getItem(table, key, req.headers);
          const out = await forward(req.headers, body);
          try {
            if (out.status === 200) append(table, key, oldImage, action === 'DeleteItem' ? undefined : await getItem(table, key, req.headers));
          } finally {
            reply(out);
          }
        });
      }
      case 'BatchWriteItem': {
        type WriteRequest = { PutRequest?: { Item: AttributeMap }; DeleteRequest?: { Key: AttributeMap } };
        const requestItems = (input.RequestItems ?? {}) as Record<string, WriteRequest[]>;
        const streamed = Object.keys(requestItems).map((n) => tables.get(n)).filter((t): t is StreamedTable => !!t);
        if (streamed.length === 0) return pass();
        // Lock the streamed tables in name order (no deadlock between two batches).
        streamed.sort((a, b) => a.name.localeCompare(b.name));
        const run = async (i: number): Promise<void> => {
          if (i < streamed.length) return serialized(streamed[i], () => run(i + 1));
          const writes = streamed.flatMap((t) => requestItems[t.name].map((w) => ({
            t,
            key: w.PutRequest ? keyOf(t, w.PutRequest.Item) : w.DeleteRequest!.Key,
          })));
          const olds = await Promise.all(writes.map((w) => getItem(w.t, w.key, req.headers)));
          const out = await forward(req.headers, body);
          try {
            if (out.status !== 200) return;
            const unprocessed = (JSON.parse(out.body.toString('utf8')) as { UnprocessedItems?: Record<string, unknown[]> }).UnprocessedItems ?? {};
            const news = await Promise.all(writes.map((w) => getItem(w.t, w.key, req.headers)));
            writes.forEach((w, j) => {
              if ((unprocessed[w.t.name] ?? []).length > 0) throw new Error('the stream layer does not track partially processed batches');
              append(w.t, w.key, olds[j], news[j]);
            });
          } finally {
            // answered once the records are in the stream (as above)
            reply(out);
          }
        };
        return run(0);
      }
      case 'TransactWriteItems': {
        const items = (input.TransactItems ?? []) as Record<string, { TableName?: string }>[];
        if (items.some((it) => Object.values(it).some((op) => op?.TableName && tables.has(op.TableName)))) {
          return send(res, 400, { __type: 'com.amazon.coral.validate#ValidationException', message: 'The local stream layer does not record transactions on a streamed table; use moto (BEDROCK_CHAT_DYNAMODB=moto).' });
        }
        return pass();
      }
      default:
        return pass();
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(err?.message ?? err) });
      else res.destroy();
    });
  });
  const port = await listenLoopback(server);
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => closeServer(server) };
}

function streamFields(t: StreamedTable) {
  return { StreamSpecification: { StreamEnabled: true, StreamViewType: t.viewType }, LatestStreamArn: t.arn, LatestStreamLabel: t.label };
}

function iterator(arn: string, position: number): string {
  return Buffer.from(JSON.stringify({ arn, position })).toString('base64url');
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': randomUUID() });
  res.end(text);
}

/** A JSON form with object keys sorted, to compare two images. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
