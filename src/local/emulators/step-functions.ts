// src/local runs only in development (playground, tests): its imports are devDependencies.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import * as bedrockAgent from '@aws-sdk/client-bedrock-agent';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as s3vectors from '@aws-sdk/client-s3vectors';
import { closeServer, listenLoopback } from './util';

/**
 * State machines of the template, run from their synthesized definition by aws-local-stepfunctions (a state machine
 * interpreter of the Amazon States Language written by others: https://github.com/nibble-4bits/aws-local-stepfunctions).
 * Its Task states call the local emulators with the real SDK clients: the DynamoDB integration
 * (`arn:aws:states:::dynamodb:<action>`) and the AWS SDK integrations of Bedrock Agent
 * (`arn:aws:states:::aws-sdk:bedrockagent:<action>`, `aws-sdk:s3vectors:<action>`), and one machine starting another
 * (`arn:aws:states:::states:startExecution`). A resource of another service fails the execution with a
 * clear error rather than doing something we believe AWS does.
 *
 * The interpreter declares Node >= 22 and uses one API Node 20 lacks, Promise.withResolvers (ES2024), supplied here
 * as the specification defines it before the interpreter is loaded.
 */
type Resolvers<T> = { promise: Promise<T>; resolve: (v: T | PromiseLike<T>) => void; reject: (e?: unknown) => void };
const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
P.withResolvers ??= function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
  let resolve!: Resolvers<T>['resolve'];
  let reject!: Resolvers<T>['reject'];
  const promise = new this<T>((a, b) => { resolve = a; reject = b; });
  return { promise, resolve, reject };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports, import/order
const { StateMachine } = require('aws-local-stepfunctions') as typeof import('aws-local-stepfunctions', { with: { 'resolution-mode': 'require' } });

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface LocalStateMachineOptions {
  readonly name: string;
  readonly arn: string;
  /** The definition as synthesized (tokens resolved). */
  readonly definition: Record<string, unknown>;
  readonly region: string;
  readonly dynamoDbEndpoint: string;
  /** The local Bedrock Agent endpoint, when the template has knowledge bases. */
  readonly bedrockAgentEndpoint?: string;
  /** The local S3 Vectors endpoint, when the template has vector stores (`aws-sdk:s3vectors:<action>`). */
  readonly s3VectorsEndpoint?: string;
  /**
   * The template's machines by ARN, for the Step Functions integration `arn:aws:states:::states:startExecution`
   * (request-response: one machine starting another).
   */
  readonly machines?: (arn: string) => LocalStateMachine | undefined;
  /** Wait states pause at most this long (the playground keeps the template's waits; tests shorten them). */
  readonly maxWaitMs?: number;
  /** Retriers wait at most this long between attempts. */
  readonly maxRetryIntervalMs?: number;
  /** Where a failed execution is reported. @default stderr */
  readonly onFailure?: (execution: LocalExecution) => void;
}

export interface LocalExecution {
  readonly executionArn: string;
  readonly input: unknown;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** The states entered, in order (what the console's graph shows). */
  readonly states: string[];
  /** The states retried, in order, with the errors of the retrier that matched. */
  readonly retries: { state: string; error: string }[];
}

interface TaskState { Type: 'Task'; Resource: string }
interface WaitState { Type: 'Wait' }
interface AnyState { Type: string; Resource?: string; Retry?: unknown[]; Iterator?: unknown; ItemProcessor?: unknown; Branches?: unknown[] }
type States = Record<string, AnyState>;

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const lowerFirst = (k: string) => k.charAt(0).toLowerCase() + k.slice(1);
const upperFirst = (k: string) => k.charAt(0).toUpperCase() + k.slice(1);

/** Parameters of an SDK integration (PascalCase) as the JavaScript SDK's input (camelCase), and back for results. */
function renameKeys(value: unknown, rename: (k: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameKeys(v, rename));
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== '$metadata').map(([k, v]) => [rename(k), renameKeys(v, rename)]));
  }
  return value;
}

/**
 * A task's error as Step Functions names it: `<Service>.<Error>` with the Exception suffix
 * (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html); the DynamoDB integration's
 * errors are `DynamoDB.<Error>` (https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html).
 */
class TaskError extends Error {
  constructor(service: string, error: { name?: string; message?: string }) {
    super(error.message ?? String(error));
    const name = error.name ?? 'Error';
    this.name = `${service}.${name.endsWith('Exception') ? name : `${name}Exception`}`;
  }
}

/** One state machine of the template; `start` runs an execution as StartExecution would. */
export class LocalStateMachine {
  private readonly executions: LocalExecution[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private readonly ddb: dynamodb.DynamoDBClient;
  private readonly agent?: bedrockAgent.BedrockAgentClient;
  private readonly vectors?: s3vectors.S3VectorsClient;
  private readonly machine: InstanceType<typeof StateMachine>;
  private readonly handlers: Record<string, (input: unknown) => Promise<Json>> = {};
  private readonly waits: Record<string, number> = {};
  private readonly retries: Record<string, number> = {};

  constructor(private readonly options: LocalStateMachineOptions) {
    this.ddb = new dynamodb.DynamoDBClient({ endpoint: options.dynamoDbEndpoint, region: options.region, credentials });
    if (options.bedrockAgentEndpoint) {
      this.agent = new bedrockAgent.BedrockAgentClient({ endpoint: options.bedrockAgentEndpoint, region: options.region, credentials });
    }
    if (options.s3VectorsEndpoint) {
      this.vectors = new s3vectors.S3VectorsClient({ endpoint: options.s3VectorsEndpoint, region: options.region, credentials });
    }
    this.machine = new StateMachine(options.definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
    this.collect(options.definition.States as States);
  }

  /** Task handlers, wait and retry overrides for every state, nested ones included (Map and Parallel). */
  private collect(states: States): void {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') this.handlers[name] = this.taskHandler(name, (state as TaskState).Resource);
      if ((state as WaitState).Type === 'Wait' && this.options.maxWaitMs !== undefined) this.waits[name] = this.options.maxWaitMs;
      if (state.Retry && this.options.maxRetryIntervalMs !== undefined) this.retries[name] = this.options.maxRetryIntervalMs;
      const inner = (state.ItemProcessor ?? state.Iterator) as { States?: States } | undefined;
      if (inner?.States) this.collect(inner.States);
      for (const branch of (state.Branches ?? []) as { States: States }[]) this.collect(branch.States);
    }
  }

  private taskHandler(state: string, resource: string): (input: unknown) => Promise<Json> {
    const ddb = /^arn:aws[\w-]*:states:::dynamodb:(getItem|putItem|updateItem|deleteItem)$/.exec(resource);
    if (ddb) {
      const command = `${upperFirst(ddb[1])}Command` as 'UpdateItemCommand';
      return async (input) => {
        try {
          const Command = dynamodb[command] as unknown as new (i: unknown) => dynamodb.UpdateItemCommand;
          return renameKeys(await this.ddb.send(new Command(input)), (k) => k) as Json;
        } catch (e) {
          throw new TaskError('DynamoDB', e as Error);
        }
      };
    }
    const sdk = /^arn:aws[\w-]*:states:::aws-sdk:bedrockagent:([a-zA-Z]+)$/.exec(resource);
    if (sdk && this.agent) {
      const Command = (bedrockAgent as unknown as Record<string, new (i: unknown) => bedrockAgent.StartIngestionJobCommand>)[`${upperFirst(sdk[1])}Command`];
      if (!Command) return async () => { throw new TaskError('BedrockAgent', { name: 'UnknownOperation', message: `bedrockagent has no action ${sdk[1]}` }); };
      return async (input) => {
        try {
          const output = await this.agent!.send(new Command(renameKeys(input, lowerFirst)));
          return renameKeys(output, upperFirst) as Json;
        } catch (e) {
          throw new TaskError('BedrockAgent', e as Error);
        }
      };
    }
    const vec = /^arn:aws[\w-]*:states:::aws-sdk:s3vectors:([a-zA-Z]+)$/.exec(resource);
    if (vec && this.vectors) {
      const Command = (s3vectors as unknown as Record<string, new (i: unknown) => s3vectors.CreateIndexCommand>)[`${upperFirst(vec[1])}Command`];
      if (!Command) return async () => { throw new TaskError('S3Vectors', { name: 'UnknownOperation', message: `s3vectors has no action ${vec[1]}` }); };
      return async (input) => {
        try {
          const output = await this.vectors!.send(new Command(renameKeys(input, lowerFirst)));
          return renameKeys(output, upperFirst) as Json;
        } catch (e) {
          throw new TaskError('S3Vectors', e as Error);
        }
      };
    }
    // One machine starting another, request-response: Parameters {StateMachineArn, Input, Name?}, result
    // {ExecutionArn, StartDate} (https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html); an
    // unknown machine is StepFunctions.StateMachineDoesNotExistException (the StartExecution errors:
    // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
    if (/^arn:aws[\w-]*:states:::states:startExecution$/.test(resource) && this.options.machines) {
      return async (input) => {
        const { StateMachineArn, Input } = (input ?? {}) as { StateMachineArn?: string; Input?: unknown };
        const machine = typeof StateMachineArn === 'string' ? this.options.machines!(StateMachineArn) : undefined;
        if (!machine) throw new TaskError('StepFunctions', { name: 'StateMachineDoesNotExist', message: `State Machine Does Not Exist: '${StateMachineArn}'` });
        // Input is a JSON text or, as the console writes it, an object (the same page)
        const execution = machine.start(typeof Input === 'string' ? JSON.parse(Input) : (Input ?? {}));
        return { ExecutionArn: execution.executionArn, StartDate: new Date().toISOString() };
      };
    }
    return async () => {
      throw new TaskError('States', { name: 'TaskFailed', message: `${state}: the local stack does not emulate the resource ${resource}` });
    };
  }

  /** Starts an execution (StartExecution); resolves when it has started, not when it ends. */
  start(input: unknown): LocalExecution {
    const id = randomUUID();
    const executionArn = `${this.options.arn.replace(':stateMachine:', ':execution:')}:${id}`;
    const execution: LocalExecution = { executionArn, input, status: 'RUNNING', states: [], retries: [] };
    this.executions.push(execution);
    const context = {
      Execution: { Id: executionArn, Name: id, StartTime: new Date().toISOString(), Input: input, RoleArn: 'arn:aws:iam::000000000000:role/local' },
      StateMachine: { Id: this.options.arn, Name: this.options.name },
    };
    // $$.State.EnteredTime: the interpreter reads the context when a state evaluates its paths, so a getter gives the
    // time the state is entered (the context object's State field:
    // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html). Name and RetryCount are
    // not known to it and not given.
    Object.defineProperty(context, 'State', { enumerable: true, get: () => ({ EnteredTime: new Date().toISOString() }) });
    const run = this.machine.run(input as Json, {
      overrides: { taskResourceLocalHandlers: this.handlers as never, waitTimeOverrides: this.waits, retryIntervalOverrides: this.retries },
      context: context as never,
    });
    const done = (async () => {
      const log = (async () => {
        for await (const event of run.eventLogs) {
          if (event.type === 'StateEntered') execution.states.push(event.state.name);
          if (event.type === 'StateRetried') execution.retries.push({ state: event.state.name, error: event.retry.retrier.ErrorEquals.join(',') });
        }
      })().catch(() => undefined);
      try {
        execution.output = await run.result;
        execution.status = 'SUCCEEDED';
      } catch (e) {
        const cause = (e as { cause?: { name?: string; message?: string } }).cause;
        execution.status = 'FAILED';
        execution.error = cause?.name ?? (e as Error).name;
        execution.cause = cause?.message ?? (e as Error).message;
        (this.options.onFailure ?? ((x) => process.stderr.write(`state machine ${this.options.name}: execution ${x.executionArn} failed: ${x.error}: ${x.cause}\n`)))(execution);
      }
      await log;
    })();
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
    return execution;
  }

  /** Every execution so far, oldest first. */
  list(): readonly LocalExecution[] {
    return this.executions;
  }

  /** Whether an execution is running. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Resolves when no execution is running (executions started meanwhile included). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }

  stop(): void {
    this.ddb.destroy();
    this.agent?.destroy();
    this.vectors?.destroy();
  }
}

/**
 * The Step Functions API's StartExecution for the functions of the local stack (`AWS_ENDPOINT_URL_SFN`): the JSON 1.0
 * protocol, `X-Amz-Target: AWSStepFunctions.StartExecution`, body `{stateMachineArn, input?, name?}`, answer
 * `{executionArn, startDate}` (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 * A machine not in the template is StateMachineDoesNotExist; an input that is not JSON is InvalidExecutionInput
 * (the errors of the same page). Signatures are not checked (the local stack has no IAM).
 */
export async function startStepFunctionsApi(
  machines: (arn: string) => LocalStateMachine | undefined,
): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown, type?: string) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', ...(type ? { 'x-amzn-errortype': type } : {}) });
        res.end(JSON.stringify(type ? { __type: type, message: (body as { message: string }).message } : body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      if (req.method !== 'POST' || target !== 'AWSStepFunctions.StartExecution') {
        return send(400, { message: `The local Step Functions API implements StartExecution only (got ${target || req.method})` }, 'UnknownOperationException');
      }
      let body: { stateMachineArn?: string; input?: string };
      let input: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        input = body.input === undefined ? {} : JSON.parse(body.input);
      } catch {
        return send(400, { message: 'The input is not valid JSON' }, 'InvalidExecutionInput');
      }
      const machine = body.stateMachineArn ? machines(body.stateMachineArn) : undefined;
      if (!machine) return send(400, { message: `State Machine Does Not Exist: '${body.stateMachineArn}'` }, 'StateMachineDoesNotExist');
      const execution = machine.start(input);
      return send(200, { executionArn: execution.executionArn, startDate: Date.now() / 1000 });
    });
  });
  const port = await listenLoopback(server);
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => closeServer(server) };
}
