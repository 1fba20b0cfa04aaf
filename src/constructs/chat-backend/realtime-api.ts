import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BackendContext, grant } from './context';
import { ConversationStore } from './conversation-store';
import { AnswerSettings, BackendModels } from './models';
import { provisionedAlias, ProvisionedConcurrencyOptions } from './provisioned-concurrency';
import { SignIn } from './sign-in';
import { ChatWorkerFailureFunction } from '../../lambdas/chat-worker-failure-function';
import { ChatWorkerFunction } from '../../lambdas/chat-worker-function';
import { largestOutputTokens, TIME_BUDGET_MARGIN_MS } from '../../lambdas/core/limits';
import { DEFAULT_REASONING_BUDGET } from '../../lambdas/core/models';
import { WsAuthorizerFunction } from '../../lambdas/ws-authorizer-function';
import { WsFunction } from '../../lambdas/ws-function';
import { apiGatewayCloudWatchAccount } from '../private/api-gateway-account';
import { createLogGroup } from '../private/defaults';
import { acknowledge } from '../private/nag';

/** Name of the WebSocket stage (part of the WebSocket URL and of the Management API callback URL). */
const WEBSOCKET_STAGE_NAME = 'ws';

/** What the real-time API is built on. */
export interface RealtimeApiOptions {
  readonly signIn: SignIn;
  readonly store: ConversationStore;
  readonly models: BackendModels;
  readonly answers: AnswerSettings;
  /** `ChatBackendProps.apiGatewayCloudWatchRole` with its default. */
  readonly apiGatewayCloudWatchRole: boolean;
  /** `ChatBackendProps.reasoningBudgetTokens` (the worker's timeout follows the largest allowed output). */
  readonly reasoningBudgetTokens?: number;
  /** `ChatBackendProps.provisionedConcurrency`. */
  readonly provisionedConcurrency?: ProvisionedConcurrencyOptions;
}

/**
 * The real-time API of `ChatBackend`: the WebSocket API and its `ws` stage (access logs, and the account's API
 * Gateway logging setting it needs), the `$connect` authorizer, the handler of every route, and the worker that
 * runs one assistant turn and streams it to the connection. Other functions that post to connections use
 * `grantManagementApi`; those that queue a turn use `grantInvokeWorker`.
 */
export class RealtimeApi {
  public readonly authorizerFunction: lambda.Function;
  public readonly webSocketApi: apigwv2.WebSocketApi;
  public readonly webSocketStage: apigwv2.WebSocketStage;
  public readonly apiGatewayAccount?: apigw.CfnAccount;
  /** `wss://<api>.execute-api.<region>.<suffix>/ws`. */
  public readonly webSocketUrl: string;
  /** The Management API URL functions post frames to (`WEBSOCKET_CALLBACK_URL`). */
  public readonly callbackUrl: string;
  public readonly workerFunction: lambda.Function;
  /** The worker's on-failure destination: marks the turn failed and tells the client (`error` frame). */
  public readonly workerFailureFunction: lambda.Function;
  public readonly webSocketFunction: lambda.Function;
  /** The `live` aliases of the functions given provisioned concurrency (what their callers invoke). */
  public readonly authorizerAlias?: lambda.Alias;
  public readonly webSocketAlias?: lambda.Alias;
  public readonly workerAlias?: lambda.Alias;
  /** What the ws handler invokes: the worker's alias when there is one (a qualified name, `<function>:live`). */
  private readonly worker: lambda.IFunction;

  constructor(ctx: BackendContext, options: RealtimeApiOptions) {
    const scope = ctx.scope;
    const { signIn, store, models } = options;

    this.authorizerFunction = ctx.functions.create('Authorizer', WsAuthorizerFunction, {
      description: 'bedrock-chat: WebSocket $connect authorizer (Cognito ID token in Sec-WebSocket-Protocol)',
      timeout: Duration.seconds(10),
      memorySize: 256,
      environment: {
        JWT_ISSUER: signIn.jwtIssuer,
        JWT_AUDIENCE: signIn.userPoolClient.userPoolClientId,
      },
    });
    const provisioned = options.provisionedConcurrency;
    this.authorizerAlias = provisionedAlias(this.authorizerFunction, 'authorizer', provisioned?.authorizer);

    this.webSocketApi = new apigwv2.WebSocketApi(scope, 'WebSocketApi', {
      description: 'bedrock-chat: streaming chat (protocol bedrock-chat.v1)',
    });
    this.webSocketStage = new apigwv2.WebSocketStage(scope, 'WebSocketStage', {
      webSocketApi: this.webSocketApi,
      stageName: WEBSOCKET_STAGE_NAME,
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(
          createLogGroup(scope, 'WebSocketAccessLogs', { retention: ctx.logRetention, removalPolicy: ctx.removalPolicy }),
        ),
        format: apigw.AccessLogFormat.custom(JSON.stringify({
          requestId: '$context.requestId',
          connectionId: '$context.connectionId',
          eventType: '$context.eventType',
          routeKey: '$context.routeKey',
          status: '$context.status',
          requestTime: '$context.requestTime',
          integrationStatus: '$context.integrationStatus',
          authorizerError: '$context.authorizer.error',
          sourceIp: '$context.identity.sourceIp',
          // The user id from the ws authorizer's context map (never the token), so cost and abuse can be attributed:
          // https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-logging.html ($context.authorizer.property)
          userId: '$context.authorizer.userId',
        })),
      },
    });
    if (options.apiGatewayCloudWatchRole) {
      // A WebSocket stage with access logging needs the account's logging role in this Region (see the prop).
      this.apiGatewayAccount = apiGatewayCloudWatchAccount(scope);
      this.webSocketStage.node.addDependency(this.apiGatewayAccount);
    }
    this.webSocketUrl = this.webSocketStage.url;
    this.callbackUrl = this.webSocketStage.callbackUrl;

    this.workerFunction = ctx.functions.create('ChatWorker', ChatWorkerFunction, {
      description: 'bedrock-chat: one assistant turn (Bedrock ConverseStream, coalesced WebSocket frames)',
      timeout: Duration.seconds(workerTimeoutSeconds(options.reasoningBudgetTokens ?? DEFAULT_REASONING_BUDGET)),
      memorySize: 1024,
      environment: {
        TABLE_NAME: store.table.tableName,
        WEBSOCKET_CALLBACK_URL: this.callbackUrl,
        LARGE_MESSAGE_BUCKET: store.largeMessageBucket.bucketName,
        ...models.environment,
        ...options.answers.environment,
      },
    });
    this.workerAlias = provisionedAlias(this.workerFunction, 'worker', provisioned?.worker);
    this.worker = this.workerAlias ?? this.workerFunction;

    // At-least-once delivery, one answer: the worker claims its turn before it asks the model, so a repeated delivery
    // does nothing; a retry after a failure would only find the turn claimed, so there is none (retryAttempts 0:
    // `MaximumRetryAttempts` 0-2, https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
    // A failed invocation goes to a small function instead, which marks the turn failed and sends the client an
    // `error` frame (destinations: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
    this.workerFailureFunction = ctx.functions.create('ChatWorkerFailure', ChatWorkerFailureFunction, {
      description: 'bedrock-chat: the chat worker\'s on-failure destination (marks the turn failed, error frame to the client)',
      timeout: Duration.seconds(30),
      memorySize: 256,
      environment: {
        TABLE_NAME: store.table.tableName,
        WEBSOCKET_CALLBACK_URL: this.callbackUrl,
      },
    });
    const failureArn = this.workerFailureFunction.functionArn;
    // The destination is invoked with the worker's execution role: exactly InvokeFunction on this one function.
    grant(this.workerFunction, ['lambda:InvokeFunction'], [failureArn]);
    this.worker.configureAsyncInvoke({
      retryAttempts: 0,
      onFailure: { bind: () => ({ destination: failureArn }) },
    });

    this.webSocketFunction = ctx.functions.create('WebSocketHandler', WsFunction, {
      description: 'bedrock-chat: WebSocket routes ($connect, $disconnect, $default, sendMessage, regenerate, continue, stop, ping)',
      timeout: Duration.seconds(29),
      memorySize: 512,
      environment: {
        TABLE_NAME: store.table.tableName,
        WORKER_FUNCTION_NAME: this.worker.functionName,
        WEBSOCKET_CALLBACK_URL: this.callbackUrl,
        // The handler removes the `pending` tag of the attachments a stored message references (see grants.ts).
        LARGE_MESSAGE_BUCKET: store.largeMessageBucket.bucketName,
        // The handler checks the requested model against the allowlist (MODELS_JSON) before queuing a turn.
        ...models.environment,
      },
    });

    // ---------------------------------------------------------------- WebSocket routes
    this.webSocketAlias = provisionedAlias(this.webSocketFunction, 'webSocketHandler', provisioned?.webSocketHandler);
    const wsIntegration = new WebSocketLambdaIntegration('WebSocketIntegration', this.webSocketAlias ?? this.webSocketFunction);
    this.webSocketApi.addRoute('$connect', {
      integration: wsIntegration,
      authorizer: new WebSocketLambdaAuthorizer('ConnectAuthorizer', this.authorizerAlias ?? this.authorizerFunction, {
        identitySource: ['route.request.header.Sec-WebSocket-Protocol'],
      }),
    });
    for (const routeKey of ['$disconnect', '$default', 'sendMessage', 'regenerate', 'continue', 'stop', 'ping']) {
      const route = this.webSocketApi.addRoute(routeKey, { integration: wsIntegration });
      acknowledge(route, {
        id: 'AwsSolutions-APIG4',
        reason: 'WebSocket APIs authorize once, on $connect (Lambda authorizer verifying the Cognito token); API Gateway does not support authorizers on the other routes of an authorized connection.',
      });
    }
  }

  /** Lets `fn` post frames to (and close) this API's connections, with the acknowledgement of the connection-id wildcard. */
  public grantManagementApi(fn: lambda.Function): void {
    this.webSocketStage.grantManagementApiAccess(fn);
    acknowledge(fn.role!, {
      id: 'AwsSolutions-IAM5',
      appliesTo: [`Resource::${managementApiFinding(this.webSocketApi)}`],
      reason: 'execute-api:ManageConnections is scoped to this API and stage; the trailing wildcard stands for the connection ids, which only exist at run time.',
    });
  }

  /**
   * Lets `grantee` queue a turn: invoke the worker. Invoke permissions name a function, version or alias ARN
   * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html): the ARN the ws handler invokes,
   * the alias ARN when there is one.
   */
  public grantInvokeWorker(grantee: iam.IGrantable): iam.Grant {
    return grant(grantee, ['lambda:InvokeFunction'], [this.worker.functionArn]);
  }
}

/** The cdk-nag rendering of the Management API resource granted by `WebSocketStage.grantManagementApiAccess`. */
function managementApiFinding(api: apigwv2.WebSocketApi): string {
  const stack = Stack.of(api);
  const logicalId = stack.getLogicalId(api.node.defaultChild as apigwv2.CfnApi);
  // A stack with an explicit environment renders its Region and account literally.
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  return `arn:<AWS::Partition>:execute-api:${region}:${account}:<${logicalId}>/${WEBSOCKET_STAGE_NAME}/*/@connections/*`;
}

/** Seconds before an answer's first token and for its tool rounds, at most (a design allowance, not an AWS limit). */
const FIRST_TOKEN_ALLOWANCE_SECONDS = 60;
/** The slowest output rate an answer is given time for, in tokens per second (a design floor, not an AWS limit). */
const SLOWEST_TOKENS_PER_SECOND = 25;
/** The worker's time budget margin (`TIME_BUDGET_MARGIN_MS`): the final writes. */
const FINAL_WRITES_SECONDS = TIME_BUDGET_MARGIN_MS / 1000;
/** Lambda's largest timeout: 900 seconds (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html). */
const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

/**
 * The worker's timeout, derived from the largest allowed output (docs/architecture.md, "Delivery of the worker's
 * job"): `min(900, 60 + ceil(largestOutputTokens / 25) + 15)` seconds, where largestOutputTokens is
 * `max(4096, reasoningBudget + 1024)`. The default reasoning budget (4,096) gives 280 s. Should an answer still be
 * slower, the worker's time budget (the remaining time less 15 s) cuts it and keeps the partial answer.
 */
export function workerTimeoutSeconds(reasoningBudget: number): number {
  const streaming = Math.ceil(largestOutputTokens(reasoningBudget) / SLOWEST_TOKENS_PER_SECOND);
  return Math.min(LAMBDA_MAX_TIMEOUT_SECONDS, FIRST_TOKEN_ALLOWANCE_SECONDS + streaming + FINAL_WRITES_SECONDS);
}
