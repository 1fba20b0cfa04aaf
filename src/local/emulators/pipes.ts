// src/local runs only in development (playground, tests): its imports are devDependencies.
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  _Record as StreamsRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { EventPattern, matchesPattern, parsePattern } from './event-pattern';

/**
 * An EventBridge Pipe from a DynamoDB stream to a function, as the local stack reads it from `AWS::Pipes::Pipe`
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-dynamodb.html): it reads the stream through the
 * DynamoDB Streams API (the stream layer in front of dynalite, or moto's own streams), keeps the records one of the
 * `FilterCriteria` patterns matches (none given: every record; several: any one), and hands the target batches of at
 * most `BatchSize` records as one JSON array (Lambda has no batch API, so Pipes sends the batch as an array, even of
 * one: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html), in stream
 * order, one batch at a time per shard. Each record is the stream record with `eventSourceARN` added, as the pipe's
 * example event shows. A failed batch is retried up to `MaximumRetryAttempts` times (-1: until the record expires,
 * here: forever), then dropped and reported (`onDrop`: the local stand-in of the dead-letter queue, which is not
 * emulated). A filtered-out record is dropped at once, as Pipes does.
 */
export interface LocalPipeOptions {
  readonly name: string;
  /** The DynamoDB Streams endpoint. */
  readonly endpoint: string;
  readonly region: string;
  /** The stream's ARN as the emulator names it (the table's LatestStreamArn). */
  readonly streamArn: string;
  /** The ARN the template names as the source (put in each record's eventSourceARN). */
  readonly sourceArn?: string;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** @default 100 (DynamoDB stream sources: 1..10000; https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_PipeSourceDynamoDBStreamParameters.html) */
  readonly batchSize?: number;
  readonly filters?: readonly string[];
  /** @default -1 */
  readonly maximumRetryAttempts?: number;
  readonly invoke: (batch: unknown[]) => Promise<unknown>;
  readonly onDrop?: (records: unknown[], error: unknown) => void;
  /** Wait between polls of an empty shard. @default 100 */
  readonly pollMs?: number;
  /** Wait between attempts of a failed batch. @default 200 */
  readonly retryDelayMs?: number;
}

export interface LocalPipe {
  readonly delivered: number;
  readonly filteredOut: number;
  /** Resolves once every record written before the call has been delivered or dropped. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalPipe(options: LocalPipeOptions): Promise<LocalPipe> {
  const client = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: options.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const patterns: EventPattern[] = (options.filters ?? []).map(parsePattern);
  const batchSize = options.batchSize ?? 100;
  const pollMs = options.pollMs ?? 100;
  let stopped = false;
  let delivered = 0;
  let filteredOut = 0;
  let idleWaiters: { after: number; resolve: () => void }[] = [];
  let polls = 0;

  const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamArn: options.streamArn }));
  const shards = StreamDescription?.Shards ?? [];
  const iterators = await Promise.all(shards.map(async (s) => (await client.send(new GetShardIteratorCommand({
    StreamArn: options.streamArn,
    ShardId: s.ShardId!,
    ShardIteratorType: options.startingPosition,
  }))).ShardIterator));

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const toEvent = (r: StreamsRecord) => {
    const dynamodb = { ...r.dynamodb } as Record<string, unknown>;
    // The SDK turns the epoch seconds into a Date; the pipe's event carries the number.
    const created = dynamodb.ApproximateCreationDateTime;
    if (created instanceof Date) dynamodb.ApproximateCreationDateTime = Math.floor(created.getTime() / 1000);
    return {
      eventID: r.eventID,
      eventName: r.eventName,
      eventVersion: r.eventVersion,
      eventSource: r.eventSource,
      awsRegion: r.awsRegion,
      dynamodb,
      eventSourceARN: options.sourceArn ?? options.streamArn,
    };
  };
  const deliver = async (batch: unknown[]) => {
    const max = options.maximumRetryAttempts ?? -1;
    for (let attempt = 0; ; attempt++) {
      try {
        await options.invoke(batch);
        delivered += batch.length;
        return;
      } catch (err) {
        if (stopped) return;
        if (max >= 0 && attempt >= max) {
          options.onDrop?.(batch, err);
          return;
        }
        await sleep(options.retryDelayMs ?? 200);
      }
    }
  };
  const runShard = async (index: number) => {
    let iterator = iterators[index];
    while (!stopped && iterator) {
      const poll = ++polls;
      const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 })).catch((err) => {
        if (stopped) return undefined;
        throw err;
      });
      if (!out) return;
      iterator = out.NextShardIterator;
      const records = (out.Records ?? []).map(toEvent);
      const kept = patterns.length === 0 ? records : records.filter((e) => patterns.some((p) => matchesPattern(p, e)));
      filteredOut += records.length - kept.length;
      for (let i = 0; i < kept.length && !stopped; i += batchSize) await deliver(kept.slice(i, i + batchSize));
      if (records.length === 0) {
        // Only a poll that started after drain() was called proves the records written before it went through.
        const done = idleWaiters.filter((w) => w.after < poll);
        idleWaiters = idleWaiters.filter((w) => w.after >= poll);
        done.forEach((w) => w.resolve());
        await sleep(pollMs);
      }
    }
  };
  const loops = iterators.map((_, i) => runShard(i).catch((err) => {
    if (!stopped) process.emitWarning(`local pipe ${options.name} stopped: ${String((err as Error)?.message ?? err)}`);
  }));

  return {
    get delivered() { return delivered; },
    get filteredOut() { return filteredOut; },
    // (One shard per stream, as the stream layer and moto keep them; with several, any shard's empty poll counts.)
    drain: () => new Promise<void>((resolve) => {
      idleWaiters.push({ after: polls, resolve });
    }),
    stop: async () => {
      stopped = true;
      idleWaiters.forEach((w) => w.resolve());
      await Promise.all(loops);
      client.destroy();
    },
  };
}
