/**
 * Runs the template's Lambda functions locally, each execution environment in its own worker thread:
 * - the thread's `process.env` is exactly the function's `Environment.Variables` (resolved), Lambda's reserved
 *   runtime variables and the local endpoint overrides (`new Worker(..., { env })` gives a thread its own copy), so a
 *   variable the handler reads but the template lacks is missing, as in AWS;
 * - `MemorySize` caps the thread's heap (`resourceLimits`); `Timeout` terminates it ("Task timed out after N seconds");
 * - one invocation at a time per environment, a new environment (cold start) when all are busy, as Lambda scales;
 * - the bundle is loaded with `import()` of its file URL, so CommonJS (`index.js`) and ES modules (`index.mjs`) both work.
 * Lambda execution environment: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
 * Reserved environment variables: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface FunctionSpec {
  /** The physical function name (the template's `Ref`). */
  readonly name: string;
  readonly logicalId: string;
  /** The bundle file (`index.js` or `index.mjs`) and the export (`Handler` = `index.handler`). */
  readonly file: string;
  readonly exportName: string;
  /** The library handler it runs (`ws.lambda`, ...) when its bundle is one of the package's, for messages. */
  readonly handlerName?: string;
  /** The environment of the thread (template variables + reserved + endpoint overrides). */
  readonly env: Record<string, string>;
  readonly timeoutSec: number;
  readonly memoryMb: number;
  readonly arn: string;
}

export interface FunctionRuntimeOptions {
  /** Discard what the handlers log (their stdout and stderr). */
  readonly quiet?: boolean;
  /**
   * Run the handlers in this process instead (handler tests that wrap the clients a handler creates, or change its
   * environment, while it runs): the module given by `moduleOf` (the handler's TypeScript source for the package's
   * own functions) or the bundle, with the environments of all functions merged into this process's `process.env`
   * (a variable it already has is kept).
   * A timeout then rejects the invocation but cannot stop the handler, and the memory size is not enforced.
   */
  readonly inProcess?: { readonly moduleOf: (spec: FunctionSpec) => string };
}

/** An error a handler threw (or a timeout, an out-of-memory exit): `errorType`/`errorMessage` as Lambda reports them. */
export class FunctionError extends Error {
  constructor(public readonly errorType: string, message: string, public readonly trace: string[] = []) {
    super(message);
    this.name = errorType;
  }
}

/**
 * The worker's code (plain JavaScript, run with `eval: true` so it needs no file of its own next to a bundled CLI):
 * it loads the handler once (the init phase) and runs one invocation per message.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let handler;
const load = import(workerData.url).then((mod) => {
  handler = mod[workerData.exportName] ?? (mod.default && mod.default[workerData.exportName]);
  if (typeof handler !== 'function') throw new Error('Handler ' + workerData.exportName + ' is not a function of ' + workerData.url);
});
parentPort.on('message', async (msg) => {
  let started = Date.now();
  const context = {
    functionName: workerData.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: workerData.arn,
    memoryLimitInMB: String(workerData.memoryMb),
    awsRequestId: msg.requestId,
    logGroupName: '/aws/lambda/' + workerData.name,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, workerData.timeoutSec * 1000 - (Date.now() - started)),
  };
  try {
    await load;
    started = Date.now();
    parentPort.postMessage({ id: msg.id, started: true });
    const result = await handler(msg.event, context);
    parentPort.postMessage({ id: msg.id, ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    parentPort.postMessage({ id: msg.id, ok: false, errorType: e.name || 'Error', errorMessage: e.message, trace: String(e.stack || '').split('\\n') });
  }
});
`;

/** Lambda's limit of an on-demand function's init phase. */
const INIT_LIMIT_SEC = 10;

interface Environment {
  readonly worker: Worker;
  busy: boolean;
  dead: boolean;
  pending?: { id: string; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };
}

export class LocalFunctionRuntime {
  /** Cold starts per function name (tests, start-up figures). */
  public readonly coldStarts: Record<string, number> = {};
  private readonly pools = new Map<string, Environment[]>();
  private readonly specs = new Map<string, FunctionSpec>();
  private stopped = false;

  private readonly modules = new Map<string, Promise<(event: unknown, context: unknown) => Promise<unknown>>>();

  constructor(specs: readonly FunctionSpec[], private readonly options: FunctionRuntimeOptions = {}) {
    for (const s of specs) this.specs.set(s.name, s);
    if (options.inProcess) {
      const perFunction = /^(_HANDLER|AWS_LAMBDA_|LAMBDA_|AWS_EXECUTION_ENV|PATH$|HOME$|LANG$|TZ$)/;
      // A value this process already has (a test's TITLE_MODEL_ID, say) is kept: the test configures the handlers.
      for (const s of specs) for (const [k, v] of Object.entries(s.env)) if (!perFunction.test(k)) process.env[k] ??= v;
      if (options.quiet) process.env.BEDROCK_CHAT_LOG = 'off';
    }
  }

  private async invokeInProcess(spec: FunctionSpec, event: unknown): Promise<unknown> {
    let load = this.modules.get(spec.name);
    if (!load) {
      const file = this.options.inProcess!.moduleOf(spec);
      this.coldStarts[spec.name] = (this.coldStarts[spec.name] ?? 0) + 1;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      load = Promise.resolve().then(() => require(file) as Record<string, unknown>).then((mod) => {
        const handler = mod[spec.exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[spec.exportName];
        if (typeof handler !== 'function') throw new FunctionError('Runtime.HandlerNotFound', `${file} has no ${spec.exportName}`);
        return handler as (event: unknown, context: unknown) => Promise<unknown>;
      });
      this.modules.set(spec.name, load);
    }
    const handler = await load;
    const started = Date.now();
    const context = {
      functionName: spec.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: spec.arn,
      memoryLimitInMB: String(spec.memoryMb),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${spec.name}`,
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, spec.timeoutSec * 1000 - (Date.now() - started)),
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve(handler(event, context)).then((r) => (r === undefined ? null : r)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new FunctionError('Sandbox.Timedout', `Task timed out after ${spec.timeoutSec.toFixed(2)} seconds`)), spec.timeoutSec * 1000);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  spec(name: string): FunctionSpec | undefined {
    return this.specs.get(name);
  }

  names(): string[] {
    return [...this.specs.keys()];
  }

  /** Invokes a function and resolves with its result; rejects with a FunctionError when it fails or times out. */
  async invoke(name: string, event: unknown): Promise<unknown> {
    const spec = this.specs.get(name);
    if (!spec) throw new FunctionError('ResourceNotFoundException', `Function not found: ${name}`);
    if (this.stopped) throw new FunctionError('ServiceException', 'The local stack is stopping');
    if (this.options.inProcess) return this.invokeInProcess(spec, event);
    const pool = this.pools.get(name) ?? [];
    this.pools.set(name, pool);
    let env = pool.find((e) => !e.busy && !e.dead);
    if (!env) {
      env = this.create(spec);
      pool.push(env);
    }
    env.busy = true;
    const id = randomUUID();
    const target = env;
    return new Promise<unknown>((resolve, reject) => {
      // The timeout counts from the end of the init phase (loading the module), which has its own limit: 10 s, then
      // Lambda retries the init once within the function's timeout
      // (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html, "Init phase").
      const timer = setTimeout(() => this.timeOut(target, spec), (INIT_LIMIT_SEC + spec.timeoutSec) * 1000);
      target.pending = { id, resolve, reject, timer };
      target.worker.postMessage({ id, requestId: id, event });
    });
  }

  private create(spec: FunctionSpec): Environment {
    this.coldStarts[spec.name] = (this.coldStarts[spec.name] ?? 0) + 1;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      env: spec.env,
      workerData: {
        url: pathToFileURL(spec.file).href,
        exportName: spec.exportName,
        name: spec.name,
        arn: spec.arn,
        memoryMb: spec.memoryMb,
        timeoutSec: spec.timeoutSec,
      },
      // The function's memory: its heap may not grow past MemorySize.
      resourceLimits: { maxOldGenerationSizeMb: spec.memoryMb },
      stdout: true,
      stderr: true,
    });
    if (this.options.quiet) {
      worker.stdout.resume();
      worker.stderr.resume();
    } else {
      worker.stdout.pipe(process.stdout);
      worker.stderr.pipe(process.stderr);
    }
    const env: Environment = { worker, busy: false, dead: false };
    worker.on('message', (msg: { id: string; started?: boolean; ok?: boolean; result?: unknown; errorType?: string; errorMessage?: string; trace?: string[] }) => {
      const p = env.pending;
      if (!p || p.id !== msg.id) return;
      if (msg.started) {
        clearTimeout(p.timer);
        p.timer = setTimeout(() => this.timeOut(env, spec), spec.timeoutSec * 1000);
        return;
      }
      clearTimeout(p.timer);
      env.pending = undefined;
      env.busy = false;
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new FunctionError(msg.errorType ?? 'Error', msg.errorMessage ?? '', msg.trace));
    });
    worker.on('error', (err: Error & { code?: string }) => {
      const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.kill(env, new FunctionError(oom ? 'Runtime.OutOfMemory' : 'Runtime.ExitError',
        oom ? `Runtime exited: the function used more than its ${spec.memoryMb} MB` : `Runtime exited with error: ${err.message}`));
    });
    worker.on('exit', () => this.kill(env, new FunctionError('Runtime.ExitError', 'Runtime exited without providing a reason')));
    return env;
  }

  /** Lambda stops the environment at the timeout; the next invocation gets a new one. */
  private timeOut(env: Environment, spec: FunctionSpec): void {
    this.kill(env, new FunctionError('Sandbox.Timedout', `Task timed out after ${spec.timeoutSec.toFixed(2)} seconds`));
  }

  private kill(env: Environment, reason: FunctionError): void {
    const p = env.pending;
    env.pending = undefined;
    env.busy = true;
    if (!env.dead) {
      env.dead = true;
      void env.worker.terminate();
      for (const [name, pool] of this.pools) this.pools.set(name, pool.filter((e) => e !== env));
    }
    if (p) {
      clearTimeout(p.timer);
      p.reject(reason);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.pools.values()].flat();
    this.pools.clear();
    await Promise.all(all.map(async (e) => {
      e.dead = true;
      if (e.pending) {
        clearTimeout(e.pending.timer);
        e.pending.reject(new FunctionError('ServiceException', 'The local stack stopped'));
      }
      await e.worker.terminate();
    }));
  }
}
