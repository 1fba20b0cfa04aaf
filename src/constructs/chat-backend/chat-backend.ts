import { Annotations, ArnFormat, Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer, WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { IdentityProvider, MfaMode, WafOptions } from './auth';
import { createWebAcl } from './waf';
import { ApiFunction } from '../../lambdas/api-function';
import { ChatWorkerFunction } from '../../lambdas/chat-worker-function';
import { CognitoPostConfirmationFunction } from '../../lambdas/cognito-post-confirmation-function';
import { CognitoPreSignUpFunction } from '../../lambdas/cognito-pre-sign-up-function';
import { isValidDomain } from '../../lambdas/core/signup';
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
   * Whether anyone can create an account in the user pool with an email address and a password. Turn it off to
   * create users yourself (console, CLI) or to let users in through `identityProviders` only (federated users are
   * created at their first sign-in whatever this setting).
   *
   * Setting it to `true` together with `identityProviders` adds a warning: people could then bypass your identity
   * provider with a local account (still limited to `allowedSignUpEmailDomains`).
   *
   * @default - `true` without `identityProviders`, `false` with them
   */
  readonly selfSignUpEnabled?: boolean;

  /**
   * Email domains allowed to create an account, compared exactly and case-insensitively (`example.com` allows
   * `alice@Example.COM` but not `alice@sub.example.com`, `alice@evil-example.com` or
   * `alice@example.com.evil.org`: list subdomains explicitly). A pre sign-up trigger refuses self sign-ups and
   * first federated sign-ins from other domains with a message saying so. Users created by an administrator
   * (`AdminCreateUser`) are not checked.
   *
   * @default - any domain
   */
  readonly allowedSignUpEmailDomains?: string[];

  /**
   * Groups a new user joins when their account is confirmed (self sign-up) or at their first sign-in through an
   * identity provider, added by a post confirmation trigger. Each must be one of `Admin`, `CreatingBotAllowed`,
   * `PublishAllowed` (`Admin` adds a warning). An empty list creates no trigger. Users created by an
   * administrator join no group automatically.
   *
   * @default ['CreatingBotAllowed']
   */
  readonly autoJoinGroups?: string[];

  /**
   * External identity providers users can sign in with (Google, OpenID Connect, SAML). Requires `domainPrefix`
   * (the managed login pages run on that domain) and turns self sign-up off unless `selfSignUpEnabled` says
   * otherwise. Local accounts (`COGNITO`) stay available to users created by an administrator.
   *
   * @default - none: email and password only
   */
  readonly identityProviders?: IdentityProvider[];

  /**
   * The domain prefix of the Cognito managed login pages: `https://<prefix>.auth.<region>.amazoncognito.com`.
   * Lower-case letters, digits and hyphens, 1 to 63 characters, unique in the region, without `aws`, `amazon`
   * or `cognito`. Required with `identityProviders`.
   *
   * @default - no domain (no managed login pages)
   */
  readonly domainPrefix?: string;

  /**
   * URLs the managed login pages may redirect to after sign-in (OAuth authorization code grant with PKCE; the app
   * client has no secret). `https://` URLs, or `http://localhost` for development. `BedrockChatFrontend` (or
   * `addCallbackUrl`) adds more.
   *
   * @default ['http://localhost:8080/']
   */
  readonly callbackUrls?: string[];

  /**
   * URLs the managed login pages may redirect to after sign-out (same rules as `callbackUrls`).
   *
   * @default ['http://localhost:8080/']
   */
  readonly logoutUrls?: string[];

  /**
   * Multi-factor authentication for users signing in with a password (TOTP authenticator apps).
   *
   * @default MfaMode.OPTIONAL
   */
  readonly mfa?: MfaMode;

  /**
   * How long an ID token is valid (5 minutes to 1 day). The WebSocket authorizer and the REST API verify ID tokens.
   *
   * @default Duration.minutes(60)
   */
  readonly idTokenValidity?: Duration;

  /**
   * How long an access token is valid (5 minutes to 1 day).
   *
   * @default Duration.minutes(60)
   */
  readonly accessTokenValidity?: Duration;

  /**
   * How long a refresh token is valid (60 minutes to 3650 days, and at least the ID and access token validity).
   * Revoked on sign-out (token revocation is on).
   *
   * @default Duration.days(30)
   */
  readonly refreshTokenValidity?: Duration;

  /**
   * The regional AWS WAF web ACL associated with the Cognito user pool. API Gateway HTTP and WebSocket APIs cannot
   * be associated with AWS WAF (only REST APIs can), so the APIs are not behind it: they accept only requests
   * carrying a token from this user pool, and API Gateway throttles them.
   *
   * @default - enabled: rate limit 2000 requests per IP per 5 minutes, AWS managed rule groups
   * `AWSManagedRulesCommonRuleSet`, `AWSManagedRulesKnownBadInputsRuleSet`, `AWSManagedRulesAmazonIpReputationList`,
   * no IP lists, no logging
   */
  readonly waf?: WafOptions;

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

/** Default of `autoJoinGroups`. */
const DEFAULT_AUTO_JOIN_GROUPS = ['CreatingBotAllowed'];

/** Default of `callbackUrls` and `logoutUrls`: the local development server. */
const DEFAULT_REDIRECT_URL = 'http://localhost:8080/';

/** Cognito's limits on token validity. */
const TOKEN_LIMITS = {
  idTokenValidity: { min: Duration.minutes(5), max: Duration.days(1), text: '5 minutes and 1 day' },
  accessTokenValidity: { min: Duration.minutes(5), max: Duration.days(1), text: '5 minutes and 1 day' },
  refreshTokenValidity: { min: Duration.minutes(60), max: Duration.days(3650), text: '60 minutes and 3650 days' },
};

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
  /** The pre sign-up trigger checking email domains (only with `allowedSignUpEmailDomains`). */
  public readonly preSignUpFunction?: lambda.Function;
  /** The post confirmation trigger adding new users to `autoJoinGroups` (absent when that list is empty). */
  public readonly postConfirmationFunction?: lambda.Function;
  /** The external identity providers created from `identityProviders`, in the same order. */
  public readonly userPoolIdentityProviders: cognito.IUserPoolIdentityProvider[];
  /** The managed login domain (only with `domainPrefix`). */
  public readonly userPoolDomain?: cognito.UserPoolDomain;
  /** The managed login branding of the web client (Cognito's default style; only with `domainPrefix`). */
  public readonly managedLoginBranding?: cognito.CfnManagedLoginBranding;
  /** The regional web ACL associated with the user pool (absent when `waf.enabled` is `false`). */
  public readonly webAcl?: wafv2.CfnWebACL;
  /** The log group of the web ACL (only with `waf.loggingEnabled`). */
  public readonly wafLogGroup?: logs.ILogGroup;

  private readonly callbackUrls: string[];
  private readonly logoutUrls: string[];

  constructor(scope: Construct, id: string, props: ChatBackendProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? DEFAULT_REMOVAL_POLICY;
    const logRetention = props.logRetention ?? DEFAULT_LOG_RETENTION;
    this.defaultModelId = props.defaultModelId ?? defaultModelIdFor(stack.region);
    validateModelId(this.defaultModelId);

    // ---------------------------------------------------------------- functions (helper)
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

    // ---------------------------------------------------------------- sign-in
    const providers = props.identityProviders ?? [];
    const selfSignUpEnabled = props.selfSignUpEnabled ?? providers.length === 0;
    if (providers.length > 0 && props.selfSignUpEnabled === true) {
      Annotations.of(this).addWarningV2('cdk-bedrock-chat:selfSignUpWithIdentityProviders',
        'ChatBackend: selfSignUpEnabled is true while identityProviders are configured: anyone can create a local account and bypass your identity provider (allowedSignUpEmailDomains still applies). Leave selfSignUpEnabled unset to turn it off.');
    }
    const mfa = props.mfa ?? MfaMode.OPTIONAL;
    const tokenValidity = {
      idTokenValidity: props.idTokenValidity ?? Duration.minutes(60),
      accessTokenValidity: props.accessTokenValidity ?? Duration.minutes(60),
      refreshTokenValidity: props.refreshTokenValidity ?? Duration.days(30),
    };
    validateTokenValidity(tokenValidity);
    const allowedDomains = validateEmailDomains(props.allowedSignUpEmailDomains);
    const autoJoinGroups = validateAutoJoinGroups(this, props.autoJoinGroups ?? DEFAULT_AUTO_JOIN_GROUPS);
    if (providers.length > 0 && props.domainPrefix === undefined) {
      throw new Error('ChatBackend: identityProviders need a managed login domain: set domainPrefix (e.g. \'my-company-chat\'), the sign-in pages then run at https://<domainPrefix>.auth.<region>.amazoncognito.com');
    }
    if (props.domainPrefix !== undefined) validateDomainPrefix(props.domainPrefix);
    const providerNames = providers.map((p) => p.providerName);
    if (new Set(providerNames).size !== providerNames.length) {
      throw new Error(`ChatBackend: identityProviders must have distinct names; got ${providerNames.join(', ')}`);
    }

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled,
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
      ...cognitoMfa(mfa),
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    if (mfa === MfaMode.OPTIONAL) {
      acknowledge(this.userPool, {
        id: 'AwsSolutions-COG2',
        reason: 'MFA is optional (TOTP offered to every user) rather than required: required MFA would block sign-up from the embeddable widget. Set mfa: MfaMode.REQUIRED if your organisation needs it.',
      });
    } else if (mfa === MfaMode.OFF) {
      Annotations.of(this).addWarningV2('cdk-bedrock-chat:mfaOff',
        'ChatBackend: mfa is MfaMode.OFF: users cannot protect their account with a second factor. The default, MfaMode.OPTIONAL, offers TOTP to every user.');
      acknowledge(this.userPool, {
        id: 'AwsSolutions-COG2',
        reason: 'MFA was switched off explicitly with mfa: MfaMode.OFF (the construct adds a warning annotation); the default offers TOTP to every user.',
      });
    }
    acknowledge(this.userPool, {
      id: 'AwsSolutions-COG8',
      reason: 'The Essentials feature plan is the default to keep the per-user price low; threat protection needs the Plus plan, which bills every monthly active user. Switch featurePlan through the escape hatch to enable it.',
    });

    this.userPoolIdentityProviders = providers.map((p, i) => p._bind(this, `IdentityProvider${i}`, this.userPool));

    this.callbackUrls = [];
    this.logoutUrls = [];
    this.userPoolClient = this.userPool.addClient('WebClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        // Authorization code grant only; the browser client (no secret) uses PKCE.
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
      },
      supportedIdentityProviders: [
        cognito.UserPoolClientIdentityProvider.COGNITO,
        ...providerNames.map((name) => cognito.UserPoolClientIdentityProvider.custom(name)),
      ],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      ...tokenValidity,
    });
    for (const provider of this.userPoolIdentityProviders) this.userPoolClient.node.addDependency(provider);
    // Rendered at synth time, so BedrockChatFrontend (or the app) can add its URL after construction.
    const cfnClient = this.userPoolClient.node.defaultChild as cognito.CfnUserPoolClient;
    cfnClient.callbackUrLs = Lazy.list({ produce: () => [...this.callbackUrls] });
    cfnClient.logoutUrLs = Lazy.list({ produce: () => [...this.logoutUrls] });
    for (const url of props.callbackUrls ?? [DEFAULT_REDIRECT_URL]) this.addCallbackUrl(url);
    for (const url of props.logoutUrls ?? [DEFAULT_REDIRECT_URL]) this.addLogoutUrl(url);
    this.node.addValidation({
      validate: () => this.callbackUrls.length === 0
        ? ['ChatBackend: the user pool client needs at least one callback URL for the authorization code grant: set callbackUrls or call addCallbackUrl()']
        : [],
    });

    this.userPoolId = this.userPool.userPoolId;
    this.userPoolClientId = this.userPoolClient.userPoolClientId;
    for (const group of USER_POOL_GROUPS) {
      this.userPool.addGroup(group.id, { groupName: group.name, description: group.description });
    }
    const jwtIssuer = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`;

    if (props.domainPrefix !== undefined) {
      this.userPoolDomain = this.userPool.addDomain('Domain', {
        cognitoDomain: { domainPrefix: props.domainPrefix },
        managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
      });
      // Managed login (version 2) shows a page per app client only once the client has a branding style.
      this.managedLoginBranding = new cognito.CfnManagedLoginBranding(this, 'ManagedLoginBranding', {
        userPoolId: this.userPool.userPoolId,
        clientId: this.userPoolClient.userPoolClientId,
        useCognitoProvidedValues: true,
      });
      this.managedLoginBranding.node.addDependency(this.userPoolDomain);
    }

    // ---------------------------------------------------------------- sign-up triggers
    if (allowedDomains) {
      this.preSignUpFunction = fn('PreSignUp', CognitoPreSignUpFunction, {
        description: 'bedrock-chat: Cognito pre sign-up trigger (allowed email domains)',
        // Cognito waits at most 5 seconds for a trigger.
        timeout: Duration.seconds(5),
        memorySize: 256,
        environment: { ALLOWED_EMAIL_DOMAINS: allowedDomains.join(',') },
      });
      this.userPool.addTrigger(cognito.UserPoolOperation.PRE_SIGN_UP, this.preSignUpFunction);
    }
    if (autoJoinGroups.length > 0) {
      this.postConfirmationFunction = fn('PostConfirmation', CognitoPostConfirmationFunction, {
        description: 'bedrock-chat: Cognito post confirmation trigger (adds new users to the auto-join groups)',
        timeout: Duration.seconds(5),
        memorySize: 256,
        environment: { AUTO_JOIN_GROUPS: autoJoinGroups.join(',') },
      });
      this.userPool.addTrigger(cognito.UserPoolOperation.POST_CONFIRMATION, this.postConfirmationFunction);
      // The pool references the function (trigger) and the function's role would reference the pool: a grant on
      // the role's default policy makes a cycle (the function depends on that policy). A separate policy attached
      // to the role depends on the pool without the function depending on it, and names this pool exactly.
      const policy = new iam.Policy(this, 'PostConfirmationPolicy', {
        statements: [new iam.PolicyStatement({
          actions: ['cognito-idp:AdminAddUserToGroup'],
          resources: [this.userPool.userPoolArn],
        })],
      });
      this.postConfirmationFunction.role!.attachInlinePolicy(policy);
    }

    // ---------------------------------------------------------------- WAF (user pool only)
    const waf = props.waf ?? {};
    if (waf.enabled ?? true) {
      const created = createWebAcl(this, waf, { retention: logRetention, removalPolicy });
      this.webAcl = created.webAcl;
      this.wafLogGroup = created.logGroup;
      new wafv2.CfnWebACLAssociation(this, 'UserPoolWebAclAssociation', {
        resourceArn: this.userPool.userPoolArn,
        webAclArn: this.webAcl.attrArn,
      });
    } else {
      Annotations.of(this).addWarningV2('cdk-bedrock-chat:wafDisabled',
        'ChatBackend: waf.enabled is false: the Cognito user pool has no rate limit per IP and no AWS managed rules in front of it.');
    }

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
   * Allow the managed login pages to redirect to `url` after sign-in (an `https://` URL, or `http://localhost`
   * for development). Rendered at synth time; adding a URL twice has no effect.
   */
  public addCallbackUrl(url: string): void {
    validateRedirectUrl('callbackUrls', url);
    if (!this.callbackUrls.includes(url)) this.callbackUrls.push(url);
  }

  /**
   * Allow the managed login pages to redirect to `url` after sign-out (same rules as `addCallbackUrl`).
   */
  public addLogoutUrl(url: string): void {
    validateRedirectUrl('logoutUrls', url);
    if (!this.logoutUrls.includes(url)) this.logoutUrls.push(url);
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

/** The user pool MFA settings for a mode: TOTP only, never SMS. */
function cognitoMfa(mode: MfaMode): Pick<cognito.UserPoolProps, 'mfa' | 'mfaSecondFactor'> {
  switch (mode.mode) {
    case 'OFF': return { mfa: cognito.Mfa.OFF };
    case 'REQUIRED': return { mfa: cognito.Mfa.REQUIRED, mfaSecondFactor: { otp: true, sms: false } };
    default: return { mfa: cognito.Mfa.OPTIONAL, mfaSecondFactor: { otp: true, sms: false } };
  }
}

function describeDuration(d: Duration): string {
  return d.toHumanString();
}

/** Token validity within Cognito's limits, and the refresh token living at least as long as the others. */
function validateTokenValidity(v: Record<keyof typeof TOKEN_LIMITS, Duration>): void {
  const seconds = (d: Duration) => d.toSeconds({ integral: false });
  for (const [name, limit] of Object.entries(TOKEN_LIMITS) as Array<[keyof typeof TOKEN_LIMITS, typeof TOKEN_LIMITS.idTokenValidity]>) {
    const d = v[name];
    if (d.isUnresolved()) continue;
    if (seconds(d) < seconds(limit.min) || seconds(d) > seconds(limit.max)) {
      throw new Error(`ChatBackend: ${name} must be between ${limit.text} (Cognito's limits); got ${describeDuration(d)}`);
    }
  }
  for (const name of ['idTokenValidity', 'accessTokenValidity'] as const) {
    if (v[name].isUnresolved() || v.refreshTokenValidity.isUnresolved()) continue;
    if (seconds(v.refreshTokenValidity) < seconds(v[name])) {
      throw new Error(`ChatBackend: refreshTokenValidity (${describeDuration(v.refreshTokenValidity)}) must be at least ${name} (${describeDuration(v[name])})`);
    }
  }
}

/** The allowed domains, lower-cased, or `undefined` for any domain. */
function validateEmailDomains(domains: string[] | undefined): string[] | undefined {
  if (domains === undefined) return undefined;
  if (domains.length === 0) {
    throw new Error('ChatBackend: allowedSignUpEmailDomains is empty, which would refuse every sign-up: leave it unset to allow any domain, or set selfSignUpEnabled: false');
  }
  const normalized = domains.map((d) => (Token.isUnresolved(d) ? d : d.trim().toLowerCase()));
  const bad = normalized.filter((d) => !Token.isUnresolved(d) && !isValidDomain(d));
  if (bad.length > 0) {
    throw new Error(`ChatBackend: allowedSignUpEmailDomains holds entries that are not domain names (e.g. 'example.com'; no '@', no wildcards, internationalised names in their xn-- form): ${bad.join(', ')}`);
  }
  return [...new Set(normalized)];
}

function validateAutoJoinGroups(scope: Construct, groups: string[]): string[] {
  const known = USER_POOL_GROUPS.map((g) => g.name);
  const unknown = groups.filter((g) => !known.includes(g));
  if (unknown.length > 0) {
    throw new Error(`ChatBackend: autoJoinGroups must name groups of the user pool (${known.join(', ')}); unknown: ${unknown.join(', ')}`);
  }
  if (groups.includes('Admin')) {
    Annotations.of(scope).addWarningV2('cdk-bedrock-chat:autoJoinAdmin',
      'ChatBackend: autoJoinGroups includes Admin: every new user becomes an administrator.');
  }
  return [...new Set(groups)];
}

function validateDomainPrefix(prefix: string): void {
  if (Token.isUnresolved(prefix)) return;
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix) || /aws|amazon|cognito/.test(prefix)) {
    throw new Error(`ChatBackend: domainPrefix '${prefix}' must be 1 to 63 lower-case letters, digits and hyphens (not at either end) and must not contain 'aws', 'amazon' or 'cognito'`);
  }
}

function validateRedirectUrl(prop: string, url: string): void {
  if (Token.isUnresolved(url)) return;
  const ok = /^https:\/\/[^\s/#]+[^\s#]*$/.test(url) || /^http:\/\/localhost(:\d+)?(\/[^\s#]*)?$/.test(url);
  if (!ok) {
    throw new Error(`ChatBackend: ${prop}: '${url}' must be an https:// URL, or http://localhost[:port] for development, without a fragment (#)`);
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
