import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { closeServer, listenLoopback, readBody } from './util';

export type LocalFunction = (event: unknown) => Promise<unknown>;

export interface AsyncRetryOptions {
  /**
   * Retries after a failed asynchronous invocation (error or timeout). Lambda's default is 2; a function's
   * `AWS::Lambda::EventInvokeConfig` `MaximumRetryAttempts` (0-2) overrides it.
   * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
   */
  readonly maxRetries?: number;
  /**
   * Waits before the first and the second retry: Lambda waits one minute, then two ("a one-minute wait between the
   * first two attempts, and two minutes between the second and third attempts", same page). Tests shorten them.
   * @default [60000, 120000]
   */
  readonly delaysMs?: readonly number[];
}

export interface StartLambdaOptions {
  /** Functions by name. */
  readonly functions: Record<string, LocalFunction>;
  /** Retries of asynchronous (`Event`) invocations. */
  readonly asyncRetry?: AsyncRetryOptions;
  /** Per function name: retries of asynchronous invocations (from its EventInvokeConfig). */
  readonly maxRetriesByFunction?: Record<string, number>;
  /**
   * At-least-once delivery made visible: every asynchronous event is delivered a second time, as Lambda may do even
   * when no error occurs ("Occasionally, your function may receive the same event multiple times, even if no error
   * occurs", https://docs.aws.amazon.com/zh_tw/cli/latest/reference/lambda/invoke.html). `concurrent`: the copy runs
   * at the same time as the first delivery; `after`: once the first delivery (and its retries) ended. @default none
   */
  readonly redeliverAsync?: 'concurrent' | 'after';
  /**
   * Per function name: the function its EventInvokeConfig names as `OnFailure` destination. When the last attempt of
   * an asynchronous invocation fails, that function is invoked (asynchronously) with Lambda's invocation record:
   * `version`, `timestamp`, `requestContext` (`requestId`, `functionArn`, `condition: "RetriesExhausted"`,
   * `approximateInvokeCount`), `requestPayload` (the event), `responseContext` (`statusCode`, `executedVersion`,
   * `functionError: "Unhandled"`), `responsePayload` (the error) — the record documented at
   * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda_destinations-readme.md ("Invocation record")
   * and https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html.
   */
  readonly onFailureByFunction?: Record<string, string>;
}

/** Lambda's default waits before the retries of a failed asynchronous invocation. */
export const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000];

export interface LambdaEmulator {
  /** `http://127.0.0.1:<port>` — use as `AWS_ENDPOINT_URL_LAMBDA` or the client's `endpoint`. */
  readonly endpoint: string;
  /** Number of invocations received, by function name. */
  readonly invocations: Record<string, number>;
  /** Attempts of asynchronous invocations (first runs and retries), by function name. */
  readonly asyncAttempts: Record<string, number>;
  /** Every asynchronous event delivered twice from now on (see StartLambdaOptions.redeliverAsync); settable. */
  redeliverAsync?: 'concurrent' | 'after';
  /** Resolves when no background (`Event`) invocation is running (a retry waiting for its delay does not count). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** `arn:aws:lambda:us-east-1:123:function:name[:qualifier]`, `123:function:name` or `name[:qualifier]` → `name`. */
export function functionNameOf(nameOrArn: string): string {
  const marker = ':function:';
  const at = nameOrArn.indexOf(marker);
  const rest = at >= 0 ? nameOrArn.slice(at + marker.length) : nameOrArn;
  return rest.split(':')[0];
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...headers });
  res.end(JSON.stringify(body));
}

function errorPayload(err: unknown) {
  const e = err instanceof Error ? err : new Error(String(err));
  const trace = (e as { trace?: string[] }).trace;
  return { errorType: (e as { errorType?: string }).errorType ?? e.name, errorMessage: e.message, trace: trace?.length ? trace : (e.stack ?? '').split('\n') };
}

/**
 * Starts a Lambda Invoke API emulator (`POST /2015-03-31/functions/{name}/invocations`) running the given
 * functions in this process: `RequestResponse` answers the result, `Event` answers 202 and runs in the background.
 */
export async function startLambda(options: StartLambdaOptions): Promise<LambdaEmulator> {
  const background = new Set<Promise<void>>();
  const invocations: Record<string, number> = {};
  const asyncAttempts: Record<string, number> = {};
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;
  const delays = options.asyncRetry?.delaysMs ?? ASYNC_RETRY_DELAYS_MS;

  /** The on-failure destination gets the invocation record (see StartLambdaOptions.onFailureByFunction). */
  const failed = (name: string, destination: string, event: unknown, err: unknown, attempts: number): void => {
    const fn = Object.prototype.hasOwnProperty.call(options.functions, destination) ? options.functions[destination] : undefined;
    if (!fn) {
      process.stderr.write(`lambda emulator: on-failure destination ${destination} of ${name} is not a function here\n`);
      return;
    }
    invocations[destination] = (invocations[destination] ?? 0) + 1;
    attempt(destination, fn, {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: randomUUID(),
        functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: errorPayload(err),
    }, 0);
  };

  /** One attempt of an asynchronous invocation; on failure the event goes back to the queue for a retry. */
  const attempt = (name: string, fn: LocalFunction, event: unknown, n: number, then?: () => void): void => {
    const maxRetries = options.maxRetriesByFunction?.[name] ?? options.asyncRetry?.maxRetries ?? 2;
    const run = (async () => {
      asyncAttempts[name] = (asyncAttempts[name] ?? 0) + 1;
      try {
        await fn(event);
      } catch (err) {
        const retry = n < maxRetries && !closing;
        process.stderr.write(`lambda emulator: async invocation of ${name} failed (attempt ${n + 1} of ${maxRetries + 1}${retry ? ', will retry' : ', event dropped'}): ${err instanceof Error ? err.message : String(err)}\n`);
        const destination = options.onFailureByFunction?.[name];
        if (!retry && !closing && destination) failed(name, destination, event, err, n + 1);
        if (retry) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            attempt(name, fn, event, n + 1, then);
          }, delays[Math.min(n, delays.length - 1)] ?? 0);
          timers.add(timer);
          return;
        }
      }
      if (!closing) then?.();
    })();
    background.add(run);
    void run.finally(() => background.delete(run));
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = INVOKE_PATH.exec(url.pathname);
    const raw = await readBody(req);
    if (req.method !== 'POST' || !match) {
      sendJson(res, 404, { Type: 'User', message: `no route for ${req.method} ${url.pathname}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
      return;
    }
    const name = functionNameOf(decodeURIComponent(match[1]));
    const fn = Object.prototype.hasOwnProperty.call(options.functions, name) ? options.functions[name] : undefined;
    if (!fn) {
      sendJson(res, 404, { Type: 'User', message: `Function not found: ${name}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
      return;
    }
    let event: unknown;
    try {
      event = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch {
      sendJson(res, 400, { Type: 'User', message: 'Could not parse request body into json' }, { 'x-amzn-errortype': 'InvalidRequestContentException' });
      return;
    }
    invocations[name] = (invocations[name] ?? 0) + 1;
    const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (invocationType === 'DryRun') {
      res.writeHead(204, { 'x-amzn-requestid': randomUUID() });
      res.end();
      return;
    }
    if (invocationType === 'Event') {
      // The event is queued (202) and delivered at least once: a failed attempt is retried after a delay.
      if (emulator.redeliverAsync === 'concurrent') {
        attempt(name, fn, event, 0);
        attempt(name, fn, structuredClone(event), 0);
      } else if (emulator.redeliverAsync === 'after') {
        attempt(name, fn, event, 0, () => attempt(name, fn, structuredClone(event), 0));
      } else {
        attempt(name, fn, event, 0);
      }
      res.writeHead(202, { 'x-amzn-requestid': randomUUID() });
      res.end();
      return;
    }
    try {
      const result = await fn(event);
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), 'x-amz-executed-version': '$LATEST' });
      res.end(result === undefined ? 'null' : JSON.stringify(result));
    } catch (err) {
      sendJson(res, 200, errorPayload(err), { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' });
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      process.stderr.write(`lambda emulator: ${err instanceof Error ? err.stack : String(err)}\n`);
      if (!res.headersSent) sendJson(res, 500, { message: String(err) }, { 'x-amzn-errortype': 'ServiceException' });
    });
  });
  const port = await listenLoopback(server);
  const idle = async () => {
    while (background.size > 0) await Promise.allSettled([...background]);
  };
  let stopped: Promise<void> | undefined;
  const emulator: LambdaEmulator = {
    endpoint: `http://127.0.0.1:${port}`,
    redeliverAsync: options.redeliverAsync,
    idle,
    invocations,
    asyncAttempts,
    stop: () => {
      stopped ??= (async () => {
        closing = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        await closeServer(server);
        await idle();
      })();
      return stopped;
    },
  };
  return emulator;
}
