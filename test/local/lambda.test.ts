import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { credentials, region, useDummyAwsEnv } from './env';
import { functionNameOf, LambdaEmulator, startLambda } from '../../src/local/emulators/lambda';

useDummyAwsEnv();

let lambda: LambdaEmulator;
let client: LambdaClient;
const seen: unknown[] = [];

beforeAll(async () => {
  lambda = await startLambda({
    functions: {
      echo: async (event) => ({ echoed: event }),
      fails: async () => { throw new TypeError('boom'); },
      slow: async (event) => {
        await new Promise((r) => setTimeout(r, 200));
        seen.push(event);
      },
      slowFails: async () => {
        await new Promise((r) => setTimeout(r, 50));
        throw new Error('background failure');
      },
    },
  });
  client = new LambdaClient({ endpoint: lambda.endpoint, credentials, region, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await lambda.stop();
});

const payload = (value: unknown) => Buffer.from(JSON.stringify(value));
const decode = (bytes: Uint8Array | undefined) => JSON.parse(Buffer.from(bytes ?? []).toString('utf8'));

test('RequestResponse returns the result', async () => {
  const out = await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: payload({ a: 1 }) }));
  expect(out.StatusCode).toBe(200);
  expect(out.FunctionError).toBeUndefined();
  expect(decode(out.Payload)).toEqual({ echoed: { a: 1 } });
});

test('an ARN (with qualifier) names the function', async () => {
  expect(functionNameOf('arn:aws:lambda:us-east-1:123456789012:function:echo:live')).toBe('echo');
  const out = await client.send(new InvokeCommand({
    FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:echo',
    Payload: payload('x'),
  }));
  expect(decode(out.Payload)).toEqual({ echoed: 'x' });
});

test('a throwing function gives FunctionError Unhandled', async () => {
  const out = await client.send(new InvokeCommand({ FunctionName: 'fails', Payload: payload({}) }));
  expect(out.StatusCode).toBe(200);
  expect(out.FunctionError).toBe('Unhandled');
  expect(decode(out.Payload)).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
});

test('Event invocation answers 202 at once and runs in the background', async () => {
  const out = await client.send(new InvokeCommand({ FunctionName: 'slow', InvocationType: 'Event', Payload: payload({ n: 2 }) }));
  expect(out.StatusCode).toBe(202);
  // `slow` records its event only after 200 ms: nothing recorded yet means the 202 did not wait for the function
  // (no timing threshold, which failed under load).
  expect(seen).toEqual([]);
  await lambda.idle();
  expect(seen).toEqual([{ n: 2 }]);
  expect(lambda.invocations.slow).toBe(1);
});

test('a failing background invocation is logged, not thrown', async () => {
  const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const out = await client.send(new InvokeCommand({ FunctionName: 'slowFails', InvocationType: 'Event', Payload: payload({}) }));
    expect(out.StatusCode).toBe(202);
    await lambda.idle();
    expect(write.mock.calls.map((c) => String(c[0])).join('')).toContain('background failure');
  } finally {
    write.mockRestore();
  }
});

test('an unknown function is ResourceNotFoundException', async () => {
  await expect(client.send(new InvokeCommand({ FunctionName: 'nope', Payload: payload({}) })))
    .rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
});

describe('redeliverAsync: every Event delivered twice (Lambda delivers at least once)', () => {
  const log: string[] = [];
  let redelivering: LambdaEmulator;
  let redeliveringClient: LambdaClient;
  let failuresLeft = 0;
  let onEnd: (() => void) | undefined;
  beforeAll(async () => {
    redelivering = await startLambda({
      functions: {
        record: async (event) => {
          const n = (event as { n: number }).n;
          log.push(`start ${n}`);
          // Yields to the event loop so that a concurrent copy can start before this one ends.
          await new Promise((r) => setImmediate(r));
          if (failuresLeft > 0) {
            failuresLeft--;
            log.push(`fail ${n}`);
            throw new Error('first attempt fails');
          }
          log.push(`end ${n}`);
          onEnd?.();
        },
      },
      asyncRetry: { delaysMs: [0] },
    });
    redeliveringClient = new LambdaClient({ endpoint: redelivering.endpoint, credentials, region, maxAttempts: 1 });
  });
  afterAll(async () => {
    redeliveringClient.destroy();
    await redelivering.stop();
  });
  beforeEach(() => {
    log.splice(0);
  });
  const send = (n: number) => redeliveringClient.send(new InvokeCommand({ FunctionName: 'record', InvocationType: 'Event', Payload: payload({ n }) }));

  test('none by default: one delivery', async () => {
    redelivering.redeliverAsync = undefined;
    expect((await send(1)).StatusCode).toBe(202);
    await redelivering.idle();
    expect(log).toEqual(['start 1', 'end 1']);
  });

  test('concurrent: the copy starts while the first delivery runs, with the same event', async () => {
    redelivering.redeliverAsync = 'concurrent';
    expect((await send(2)).StatusCode).toBe(202);
    await redelivering.idle();
    expect(log).toEqual(['start 2', 'start 2', 'end 2', 'end 2']);
    expect(redelivering.invocations.record).toBe(2); // two Invoke calls so far in this block, one per test
  });

  test('after: the copy is delivered once the first delivery and its retries ended', async () => {
    redelivering.redeliverAsync = 'after';
    failuresLeft = 1;
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const before = redelivering.asyncAttempts.record;
      // idle() does not wait for a retry's timer: wait for the second successful end instead.
      let ends = 0;
      const twoEnds = new Promise<void>((resolve) => { onEnd = () => { if (++ends === 2) resolve(); }; });
      expect((await send(3)).StatusCode).toBe(202);
      await twoEnds;
      await redelivering.idle();
      expect(log).toEqual(['start 3', 'fail 3', 'start 3', 'end 3', 'start 3', 'end 3']);
      expect(redelivering.asyncAttempts.record - before).toBe(3);
    } finally {
      write.mockRestore();
    }
  });
});
