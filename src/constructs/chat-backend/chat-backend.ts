import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer, WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ApiFunction } from '../../lambdas/api-function';
import { ChatWorkerFunction } from '../../lambdas/chat-worker-function';
import { WsAuthorizerFunction } from '../../lambdas/ws-authorizer-function';
import { WsFunction } from '../../lambdas/ws-function';
import {
  createFunctionRole,
  createLogGroup,
  DEFAULT_LOG_RETENTION,
  DEFAULT_REMOVAL_POLICY,
  secureTableProps,
} from '../private/defaults';
import { acknowledge } from '../private/nag';

/**
 * What a frontend needs to know about a chat backend: the two endpoints, the user pool that signs users in
 * and the model selected by default.
 *
 * `ChatBackend` implements it. Implement it yourself to put `BedrockChatFrontend` in front of a backend
 * deployed elsewhere (for example one created in another stack or app).
 */
export interface IBedrockChatBackend {
  /** The WebSocket URL the widget connects to (`wss://...`). */
  readonly webSocketUrl: string;
  /** The base URL of the REST API (`https://...`, no trailing slash). */
  readonly restApiUrl: string;
  /** Id of the Cognito user pool users sign in with (`<region>_<id>`). */
  readonly userPoolId: string;
  /** Id of the public (secretless) app client the browser uses. */
  readonly userPoolClientId: string;
  /** The Bedrock model or inference profile id selected when a request names none. */
  readonly defaultModelId: string;
}

/**
 * Properties of `ChatBackend`. Every property is optional.
 */
export interface ChatBackendProps {
  /**
   * What happens to the resources holding user data (user pool, conversations table, log groups) when they
   * are removed from the stack or the stack is deleted.
   *
   * With `RemovalPolicy.RETAIN` the table and the user pool also get deletion protection.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * The Bedrock model id or inference profile id used when a request does not name a model.
   *
   * A cross-region inference profile id (`us.`, `eu.`, `apac.`, `jp.`, `au.`, `ca.`, `us-gov.` or `global.` prefix)
   * lets the worker invoke the profile in this stack's region and its foundation model in every region the
   * profile routes to; a plain foundation model id only in this stack's region.
   *
   * @default - Claude Sonnet 4.5 through the cross-region inference profile of the stack's geography:
   * `eu.anthropic.claude-sonnet-4-5-20250929-v1:0` in `eu-*` regions,
   * `global.anthropic.claude-sonnet-4-5-20250929-v1:0` in other non-US regions, and
   * `us.anthropic.claude-sonnet-4-5-20250929-v1:0` in `us-*` regions and when the stack's region is not known at
   * synth time (environment-agnostic stack).
   */
  readonly defaultModelId?: string;

  /**
   * Whether anyone can create an account in the user pool. Turn it off to create users yourself
   * (console, CLI or an identity provider).
   *
   * @default true
   */
  readonly selfSignUpEnabled?: boolean;

  /**
   * Retention of the function logs and the API access logs.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Origins allowed to call the REST API from a browser (CORS). Requests carry a bearer token, never
   * cookies, so `*` exposes nothing a token holder could not already read.
   *
   * @default ['*']
   */
  readonly corsAllowedOrigins?: string[];
}

/** The base model of the default inference profiles. */
const DEFAULT_BASE_MODEL_ID = 'anthropic.claude-sonnet-4-5-20250929-v1:0';

/** Prefixes of Bedrock cross-region (system-defined) inference profile ids. */
const INFERENCE_PROFILE_PREFIXES = ['us', 'eu', 'apac', 'jp', 'au', 'ca', 'us-gov', 'global'];

/** Name of the WebSocket stage (part of the WebSocket URL and of the Management API callback URL). */
const WEBSOCKET_STAGE_NAME = 'ws';

/** The Cognito groups the application knows (see docs/architecture.md). */
const USER_POOL_GROUPS: Array<{ id: string; name: string; description: string }> = [
  { id: 'AdminGroup', name: 'Admin', description: 'Administrators: manage bots, users and usage.' },
  { id: 'CreatingBotAllowedGroup', name: 'CreatingBotAllowed', description: 'Users allowed to create bots.' },
  { id: 'PublishAllowedGroup', name: 'PublishAllowed', description: 'Users allowed to publish bots as APIs.' },
];

/**
 * The serverless backend of Bedrock Chat: sign-in (Cognito), conversations (DynamoDB), a WebSocket API that
 * streams answers from Amazon Bedrock through an asynchronously invoked worker, and a JWT-protected REST API.
 */
export class ChatBackend extends Construct implements IBedrockChatBackend {
  /** The user pool users sign in with (email as user name). */
  public readonly userPool: cognito.UserPool;
  /** The public app client used by the browser (SRP and authorization code, no secret). */
  public readonly userPoolClient: cognito.UserPoolClient;
  /** `userPool.userPoolId`. */
  public readonly userPoolId: string;
  /** `userPoolClient.userPoolClientId`. */
  public readonly userPoolClientId: string;
  /** Conversations and messages (`pk`/`sk`, GSI `byUpdatedAt` on `gsi1pk`/`gsi1sk`). */
  public readonly conversationTable: dynamodb.Table;
  /** The WebSocket API (routes `$connect`, `$disconnect`, `$default`, `sendMessage`, `ping`). */
  public readonly webSocketApi: apigwv2.WebSocketApi;
  /** The `ws` stage of the WebSocket API. */
  public readonly webSocketStage: apigwv2.WebSocketStage;
  /** The URL clients connect to: `wss://<api>.execute-api.<region>.<suffix>/ws`. */
  public readonly webSocketUrl: string;
  /** The HTTP API serving the REST routes behind a Cognito JWT authorizer. */
  public readonly httpApi: apigwv2.HttpApi;
  /** The `$default` stage of the HTTP API (with access logging). */
  public readonly httpStage: apigwv2.HttpStage;
  /** The base URL of the REST API: `https://<api>.execute-api.<region>.<suffix>` (no trailing slash). */
  public readonly restApiUrl: string;
  /** The model id or inference profile id used when a request names none. */
  public readonly defaultModelId: string;
  /** The `$connect` authorizer: verifies the Cognito ID token sent in `Sec-WebSocket-Protocol`. */
  public readonly authorizerFunction: lambda.Function;
  /** Handles every WebSocket route and hands each chat turn to the worker. */
  public readonly webSocketFunction: lambda.Function;
  /** Runs one assistant turn: Bedrock ConverseStream, coalesced frames to the client, stored answer. */
  public readonly workerFunction: lambda.Function;
  /** The REST API router. */
  public readonly apiFunction: lambda.Function;

  constructor(scope: Construct, id: string, props: ChatBackendProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? DEFAULT_REMOVAL_POLICY;
    const logRetention = props.logRetention ?? DEFAULT_LOG_RETENTION;
    this.defaultModelId = props.defaultModelId ?? defaultModelIdFor(stack.region);
    validateModelId(this.defaultModelId);

    // ---------------------------------------------------------------- sign-in
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: props.selfSignUpEnabled ?? true,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    acknowledge(this.userPool, {
      id: 'AwsSolutions-COG2',
      reason: 'MFA is optional (TOTP offered to every user) rather than required: required MFA would block sign-up from the embeddable widget. Require it with an escape hatch on userPool if your organisation needs it.',
    }, {
      id: 'AwsSolutions-COG8',
      reason: 'The Essentials feature plan is the default to keep the per-user price low; threat protection needs the Plus plan, which bills every monthly active user. Switch featurePlan through the escape hatch to enable it.',
    });
    this.userPoolClient = this.userPool.addClient('WebClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
      },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });
    this.userPoolId = this.userPool.userPoolId;
    this.userPoolClientId = this.userPoolClient.userPoolClientId;
    for (const group of USER_POOL_GROUPS) {
      this.userPool.addGroup(group.id, { groupName: group.name, description: group.description });
    }
    const jwtIssuer = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`;

    // ---------------------------------------------------------------- data
    this.conversationTable = new dynamodb.Table(this, 'ConversationTable', secureTableProps({
      removalPolicy,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    }));
    this.conversationTable.addGlobalSecondaryIndex({
      indexName: 'byUpdatedAt',
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    // ---------------------------------------------------------------- functions
    const fn = <T extends lambda.Function>(
      name: string,
      ctor: new (s: Construct, i: string, p?: lambda.FunctionOptions) => T,
      options: lambda.FunctionOptions,
    ): T => {
      const logGroup = createLogGroup(this, `${name}Logs`, { retention: logRetention, removalPolicy });
      const role = createFunctionRole(this, `${name}Role`, logGroup);
      return new ctor(this, name, {
        architecture: lambda.Architecture.ARM_64,
        logGroup,
        role,
        loggingFormat: lambda.LoggingFormat.JSON,
        ...options,
      });
    };

    this.authorizerFunction = fn('Authorizer', WsAuthorizerFunction, {
      description: 'bedrock-chat: WebSocket $connect authorizer (Cognito ID token in Sec-WebSocket-Protocol)',
      timeout: Duration.seconds(10),
      memorySize: 256,
      environment: {
        JWT_ISSUER: jwtIssuer,
        JWT_AUDIENCE: this.userPoolClient.userPoolClientId,
      },
    });

    this.webSocketApi = new apigwv2.WebSocketApi(this, 'WebSocketApi', {
      description: 'bedrock-chat: streaming chat (protocol bedrock-chat.v1)',
    });
    this.webSocketStage = new apigwv2.WebSocketStage(this, 'WebSocketStage', {
      webSocketApi: this.webSocketApi,
      stageName: WEBSOCKET_STAGE_NAME,
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(
          createLogGroup(this, 'WebSocketAccessLogs', { retention: logRetention, removalPolicy }),
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
        })),
      },
    });
    this.webSocketUrl = this.webSocketStage.url;
    const callbackUrl = this.webSocketStage.callbackUrl;

    this.workerFunction = fn('ChatWorker', ChatWorkerFunction, {
      description: 'bedrock-chat: one assistant turn (Bedrock ConverseStream, coalesced WebSocket frames)',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      environment: {
        TABLE_NAME: this.conversationTable.tableName,
        WEBSOCKET_CALLBACK_URL: callbackUrl,
        DEFAULT_MODEL_ID: this.defaultModelId,
      },
    });

    this.webSocketFunction = fn('WebSocketHandler', WsFunction, {
      description: 'bedrock-chat: WebSocket routes ($connect, $disconnect, $default, sendMessage, ping)',
      timeout: Duration.seconds(29),
      memorySize: 512,
      environment: {
        TABLE_NAME: this.conversationTable.tableName,
        WORKER_FUNCTION_NAME: this.workerFunction.functionName,
        WEBSOCKET_CALLBACK_URL: callbackUrl,
        // The handler validates the requested model against the allowlist (the default model) before queuing a turn.
        DEFAULT_MODEL_ID: this.defaultModelId,
      },
    });

    this.apiFunction = fn('RestApiHandler', ApiFunction, {
      description: 'bedrock-chat: REST API router (conversations)',
      timeout: Duration.seconds(29),
      memorySize: 512,
      environment: {
        TABLE_NAME: this.conversationTable.tableName,
      },
    });

    // ---------------------------------------------------------------- WebSocket routes
    const wsIntegration = new WebSocketLambdaIntegration('WebSocketIntegration', this.webSocketFunction);
    this.webSocketApi.addRoute('$connect', {
      integration: wsIntegration,
      authorizer: new WebSocketLambdaAuthorizer('ConnectAuthorizer', this.authorizerFunction, {
        identitySource: ['route.request.header.Sec-WebSocket-Protocol'],
      }),
    });
    for (const routeKey of ['$disconnect', '$default', 'sendMessage', 'ping']) {
      const route = this.webSocketApi.addRoute(routeKey, { integration: wsIntegration });
      acknowledge(route, {
        id: 'AwsSolutions-APIG4',
        reason: 'WebSocket APIs authorize once, on $connect (Lambda authorizer verifying the Cognito token); API Gateway does not support authorizers on the other routes of an authorized connection.',
      });
    }

    // ---------------------------------------------------------------- REST API
    const httpAccessLogs = createLogGroup(this, 'HttpApiAccessLogs', { retention: logRetention, removalPolicy });
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'bedrock-chat: REST API (Cognito JWT)',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: props.corsAllowedOrigins ?? ['*'],
        allowHeaders: ['authorization', 'content-type'],
        allowMethods: [
          apigwv2.CorsHttpMethod.GET,
          apigwv2.CorsHttpMethod.POST,
          apigwv2.CorsHttpMethod.PUT,
          apigwv2.CorsHttpMethod.PATCH,
          apigwv2.CorsHttpMethod.DELETE,
        ],
        allowCredentials: false,
        maxAge: Duration.hours(1),
      },
    });
    this.httpStage = new apigwv2.HttpStage(this, 'HttpStage', {
      httpApi: this.httpApi,
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(httpAccessLogs),
        format: apigw.AccessLogFormat.custom(JSON.stringify({
          requestId: '$context.requestId',
          routeKey: '$context.routeKey',
          status: '$context.status',
          requestTime: '$context.requestTime',
          responseLength: '$context.responseLength',
          integrationStatus: '$context.integrationStatus',
          authorizerError: '$context.authorizer.error',
          sourceIp: '$context.identity.sourceIp',
        })),
      },
    });
    this.restApiUrl = this.httpApi.apiEndpoint;
    this.httpApi.addRoutes({
      path: '/{proxy+}',
      // Every method but OPTIONS: preflight requests are answered by API Gateway from corsPreflight.
      methods: [apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST, apigwv2.HttpMethod.PUT, apigwv2.HttpMethod.PATCH, apigwv2.HttpMethod.DELETE],
      integration: new HttpLambdaIntegration('RestApiIntegration', this.apiFunction),
      authorizer: new HttpJwtAuthorizer('CognitoAuthorizer', jwtIssuer, {
        jwtAudience: [this.userPoolClient.userPoolClientId],
      }),
    });

    // ---------------------------------------------------------------- least-privilege grants
    const table = this.conversationTable;
    const readWrite = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
    for (const f of [this.webSocketFunction, this.workerFunction]) {
      iam.Grant.addToPrincipal({ grantee: f, actions: readWrite, resourceArns: [table.tableArn] });
      this.webSocketStage.grantManagementApiAccess(f);
      acknowledge(f.role!, {
        id: 'AwsSolutions-IAM5',
        appliesTo: [`Resource::${managementApiFinding(this.webSocketApi)}`],
        reason: 'execute-api:ManageConnections is scoped to this API and stage; the trailing wildcard stands for the connection ids, which only exist at run time.',
      });
    }
    this.grantReadConversations(this.apiFunction);
    iam.Grant.addToPrincipal({
      grantee: this.webSocketFunction,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [this.workerFunction.functionArn],
    });

    const model = modelArns(stack, this.defaultModelId);
    iam.Grant.addToPrincipal({
      grantee: this.workerFunction,
      actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
      resourceArns: model.arns,
    });
    if (model.wildcardFindings.length > 0) {
      acknowledge(this.workerFunction.role!, {
        id: 'AwsSolutions-IAM5',
        appliesTo: model.wildcardFindings.map((f) => `Resource::${f}`),
        reason: 'A cross-region inference profile routes each request to one of several regions chosen by Bedrock at run time, so the foundation model must be allowed in every region (region wildcard); the model itself is named exactly.',
      });
    }
  }

  /**
   * Grant read access to conversations and messages (GetItem, BatchGetItem, Query on the table and the
   * `byUpdatedAt` index).
   */
  public grantReadConversations(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
      resourceArns: [this.conversationTable.tableArn, `${this.conversationTable.tableArn}/index/byUpdatedAt`],
    });
  }
}

/** The default model for a region (see `ChatBackendProps.defaultModelId`). */
function defaultModelIdFor(region: string): string {
  if (Token.isUnresolved(region) || region.startsWith('us-')) return `us.${DEFAULT_BASE_MODEL_ID}`;
  if (region.startsWith('eu-')) return `eu.${DEFAULT_BASE_MODEL_ID}`;
  return `global.${DEFAULT_BASE_MODEL_ID}`;
}

function validateModelId(modelId: string): void {
  if (Token.isUnresolved(modelId)) {
    throw new Error('ChatBackend: defaultModelId must be a literal model or inference profile id (IAM permissions are derived from it at synth time), not a token');
  }
  if (!/^[a-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]+)?(:[A-Za-z0-9-]+)?$/.test(modelId)) {
    throw new Error(`ChatBackend: defaultModelId '${modelId}' is not a Bedrock model id (e.g. 'anthropic.claude-sonnet-4-5-20250929-v1:0') or inference profile id (e.g. 'us.anthropic.claude-sonnet-4-5-20250929-v1:0')`);
  }
}

/**
 * The resources `bedrock:InvokeModel*` needs for a model id, and the wildcard findings they cause.
 * A cross-region inference profile needs the profile (in this region) and its foundation model in every
 * region it routes to; a global profile also the region-less foundation model ARN.
 */
function modelArns(stack: Stack, modelId: string): { arns: string[]; wildcardFindings: string[] } {
  const [prefix, ...rest] = modelId.split('.');
  const isProfile = INFERENCE_PROFILE_PREFIXES.includes(prefix) && rest.length > 1;
  const foundation = (region: string, id: string) => stack.formatArn({
    service: 'bedrock', region, account: '', resource: 'foundation-model', resourceName: id, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  if (!isProfile) {
    return { arns: [foundation(stack.region, modelId)], wildcardFindings: [] };
  }
  const baseId = rest.join('.');
  const arns = [
    stack.formatArn({ service: 'bedrock', resource: 'inference-profile', resourceName: modelId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
    foundation('*', baseId),
  ];
  if (prefix === 'global') arns.push(foundation('', baseId));
  return {
    arns,
    wildcardFindings: [`arn:<AWS::Partition>:bedrock:*::foundation-model/${baseId}`],
  };
}

/** The cdk-nag rendering of the Management API resource granted by `WebSocketStage.grantManagementApiAccess`. */
function managementApiFinding(api: apigwv2.WebSocketApi): string {
  const logicalId = Stack.of(api).getLogicalId(api.node.defaultChild as apigwv2.CfnApi);
  return `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${logicalId}>/${WEBSOCKET_STAGE_NAME}/*/@connections/*`;
}
