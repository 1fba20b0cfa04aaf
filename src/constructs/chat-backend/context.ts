import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { BotCleanup } from './bot-cleanup';
import type { Bots } from './bots';
import type { BotsApi } from './bots-api';
import type { RestApi } from './rest-api';
import { createFunctionRole, createLogGroup } from '../private/defaults';

/**
 * What every private part of `ChatBackend` is built with (see docs/architecture.md, "ChatBackend by composition").
 *
 * `scope` is the `ChatBackend` itself: the parts are plain classes, not constructs, and create their resources
 * directly in it, so construct paths and logical ids are those of one construct (a part that were a construct
 * would add its id to every path, and so change every logical id of a deployed stack).
 */
export interface BackendContext {
  /** The `ChatBackend`: the scope of every resource, of its annotations and of its construct address. */
  readonly scope: Construct;
  /** `ChatBackendProps.removalPolicy` with its default. */
  readonly removalPolicy: RemovalPolicy;
  /** `ChatBackendProps.logRetention` with its default. */
  readonly logRetention: logs.RetentionDays;
  /** Creates every function of the backend (each with its own log group and role). */
  readonly functions: FunctionFactory;
}

/** A generated `lambda.Function` subclass pointing at its bundle (`src/lambdas/<fn>-function.ts`). */
export type BundledFunctionClass<T extends lambda.Function> = new (s: Construct, i: string, p?: lambda.FunctionOptions) => T;

/**
 * The one place functions are created: ARM, JSON logs, a log group `<name>Logs` with the backend's retention and
 * removal policy, and a role `<name>Role` allowed to write to that log group only. A later part (bots, knowledge
 * bases, tools, ...) creates its functions here too, and grants them what they need with the grant helpers of the
 * parts they use.
 */
export class FunctionFactory {
  constructor(
    private readonly scope: Construct,
    private readonly logging: { readonly retention: logs.RetentionDays; readonly removalPolicy: RemovalPolicy },
  ) {}

  /** Creates the function `name` (with `<name>Logs` and `<name>Role`) in the backend. */
  public create<T extends lambda.Function>(name: string, ctor: BundledFunctionClass<T>, options: lambda.FunctionOptions): T {
    const logGroup = createLogGroup(this.scope, `${name}Logs`, this.logging);
    const role = createFunctionRole(this.scope, `${name}Role`, logGroup);
    return new ctor(this.scope, name, {
      architecture: lambda.Architecture.ARM_64,
      logGroup,
      role,
      loggingFormat: lambda.LoggingFormat.JSON,
      ...options,
    });
  }
}

/** The backend's context for `scope` (a `ChatBackend`). */
export function backendContext(scope: Construct, removalPolicy: RemovalPolicy, logRetention: logs.RetentionDays): BackendContext {
  return {
    scope,
    removalPolicy,
    logRetention,
    functions: new FunctionFactory(scope, { retention: logRetention, removalPolicy }),
  };
}

/** One statement on the grantee's policy: exactly `actions` on exactly `resourceArns`. */
export function grant(grantee: iam.IGrantable, actions: string[], resourceArns: string[]): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
}

/**
 * The parts of a `ChatBackend` a later construct attaches to (KnowledgeBaseFactory: its knowledge-api function is
 * created with the backend's function factory, routed on the backend's HTTP API behind its JWT authorizer, and gets
 * the bot table; the bots-api and bot cleanup functions get its variables and grants). Internal: not in the jsii API.
 */
export interface BackendParts {
  readonly ctx: BackendContext;
  readonly rest: RestApi;
  readonly bots: Bots;
  readonly botsApi: BotsApi;
  readonly cleanup: BotCleanup;
  /** The `Errors` and `Throttles` alarms of the backend's functions, for a function a later part adds (none with `alarms.enabled: false`). */
  readonly addFunctionAlarms: (name: string, fn: lambda.Function) => void;
}
