import { Annotations, Aws, Duration, Fn, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer, WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { IdentityProvider, MfaMode, SignInCustomDomain, WafOptions } from './auth';
import { createWebAcl } from './waf';
import { ApiFunction } from '../../lambdas/api-function';
import { ChatWorkerFunction } from '../../lambdas/chat-worker-function';
import { CognitoPostConfirmationFunction } from '../../lambdas/cognito-post-confirmation-function';
import { CognitoPreSignUpFunction } from '../../lambdas/cognito-pre-sign-up-function';
import { isValidDomain } from '../../lambdas/core/signup';
import { WsAuthorizerFunction } from '../../lambdas/ws-authorizer-function';
import { WsFunction } from '../../lambdas/ws-function';
import { ChatModel } from '../../models/chat-model';
import { InferenceProfileMode } from '../../models/inference-profile-mode';
import { modelArns } from '../../models/profiles';
import { apiGatewayCloudWatchAccount } from '../private/api-gateway-account';
import {
  createAccessLogsBucket,
  createFunctionRole,
  createLogGroup,
  DEFAULT_LOG_RETENTION,
  DEFAULT_REMOVAL_POLICY,
  logServerAccessTo,
  secureTableProps,
} from '../private/defaults';
import { acknowledge } from '../private/nag';
import { CLOUDFRONT_REGION, certificateRegion } from '../private/us-east-1';

/**
 * Where the managed login pages of a backend may send users back to: the app client's callback (sign-in) and
 * sign-out URLs. Cognito redirects only to a URL registered exactly
 * (https://docs.aws.amazon.com/cognito/latest/developerguide/authorization-endpoint.html,
 * https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html).
 *
 * `ChatBackend` implements it; `BedrockChatFrontend` registers its own URLs through it.
 */
export interface ISignInRedirectUrls {
  /** Allow the managed login pages to redirect to `url` after sign-in. */
  addCallbackUrl(url: string): void;
  /** Allow the managed login pages to redirect to `url` after sign-out. */
  addLogoutUrl(url: string): void;
}

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
  /**
   * The model selected when a request names none: its key (`claude-v4.5-sonnet`) or a Bedrock model or inference
   * profile id. The backend accepts both in the `model` field of a request.
   */
  readonly defaultModelId: string;

  /**
   * The origin browsers upload attachments to with presigned URLs (`https://<bucket>.s3.<region>.amazonaws.com`):
   * the frontend allows it in its Content-Security-Policy.
   *
   * @default - uploads are not allowed by the frontend's CSP
   */
  readonly uploadOrigin?: string;

  /**
   * The Cognito managed login domain (`https://<prefix>.auth.<region>.amazoncognito.com`) when sign-in goes through
   * it; the widget signs users in there (authorization code with PKCE).
   *
   * @default - no managed login
   */
  readonly authDomain?: string;

  /**
   * Where `BedrockChatFrontend` registers the site's URLs as callback and sign-out URLs of the app client
   * (`ChatBackend` gives itself). A backend of your own that leaves it out has its URLs registered by you: the
   * frontend then adds a warning naming them.
   *
   * @default - the frontend registers nothing
   */
  readonly signInRedirects?: ISignInRedirectUrls;
}

/** An Amazon Bedrock Guardrail applied to every answer. */
export interface GuardrailReference {
  /** The guardrail id (not the ARN). */
  readonly guardrailId: string;
  /**
   * The guardrail version.
   * @default 'DRAFT'
   */
  readonly guardrailVersion?: string;
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
   * The models users can choose from (the allowlist of this deployment): the WebSocket handler refuses any other
   * model, `GET /models` lists them, and the worker may call only them. Pick constants of the catalog
   * (`ChatModel.CLAUDE_SONNET_4_6`, ...), `ChatModel.of('<id>', {...})` for other models, and
   * `withOverrides({ prices })` to bill your own prices. At most about ten (they travel in the functions'
   * environment, limited to 4 KB).
   *
   * @default - `[ChatModel.CLAUDE_SONNET_4_5, ChatModel.CLAUDE_HAIKU_4_5, ChatModel.NOVA_PRO]`: a strong default,
   * a fast and cheaper Claude, and a non-Anthropic model
   */
  readonly models?: ChatModel[];

  /**
   * The model used when a request names none (and shown first in the model picker). Must be one of `models`
   * (compared by key).
   *
   * @default - the first of `models`
   */
  readonly defaultModel?: ChatModel;

  /**
   * The model that proposes conversation titles (a short Converse call after the first answer, and
   * `POST /conversations/{id}/title`). It need not be one of `models`: users cannot chat with it unless it is.
   *
   * @default - `ChatModel.CLAUDE_HAIKU_4_5` when `models` includes it, otherwise the model of `models` with the
   * lowest known input + output price, otherwise `defaultModel`
   */
  readonly titleModel?: ChatModel;

  /**
   * How each model id is resolved for the stack's Region: a global or geographic cross-region inference profile, or
   * the base model id (in-Region). IAM allows exactly the resolved profiles and the foundation models they route to.
   *
   * The choice needs the stack's Region at synth time. In an environment-agnostic stack (no `env.region`) models
   * are resolved as for `us-east-1` (global profiles work from every commercial Region, `us.` profiles only from US
   * and Canadian Regions) and a warning names the models that then need a US Region: give the stack a Region.
   *
   * @default InferenceProfileMode.GLOBAL_THEN_GEOGRAPHIC
   */
  readonly inferenceProfileMode?: InferenceProfileMode;

  /**
   * How long uploaded attachments (`uploads/` in `largeMessageBucket`: images, documents, long texts) are kept.
   * Messages keep referencing an expired attachment: the model can no longer read it, so regenerating or continuing
   * an answer to that question, or asking a follow-up in its conversation, fails with "An attachment of this message
   * is missing" until the user attaches the file again. Whole days, at least 1.
   *
   * @default - kept as long as the conversations (never expire)
   */
  readonly attachmentRetention?: Duration;

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
   * External identity providers users can sign in with (Google, OpenID Connect, SAML), on the managed login pages.
   * Each provider must accept `<authDomain>/oauth2/idpresponse` as its redirect URL: choose `domainPrefix` or
   * `customSignInDomain` to know that URL before the first deployment. Turns self sign-up off unless
   * `selfSignUpEnabled` says otherwise. Local accounts (`COGNITO`) stay available to users created by an administrator.
   *
   * @default - none: email and password only
   */
  readonly identityProviders?: IdentityProvider[];

  /**
   * The domain prefix of the Cognito managed login pages: `https://<prefix>.auth.<region>.amazoncognito.com`.
   * Lower-case letters, digits and hyphens, 1 to 63 characters, unique in the Region across all AWS accounts,
   * without `aws`, `amazon` or `cognito`. Not together with `customSignInDomain`.
   *
   * @default - derived per stack at deploy time: `chat-<8 hex digits of this construct>-<the UUID of the stack id>`
   * (unique, and stable for the life of the stack)
   */
  readonly domainPrefix?: string;

  /**
   * Serve the managed login pages on your own domain (with an ACM certificate in us-east-1) instead of a prefix
   * domain of `amazoncognito.com`. Not together with `domainPrefix`.
   *
   * @default - a prefix domain (see `domainPrefix`)
   */
  readonly customSignInDomain?: SignInCustomDomain;

  /**
   * URLs the managed login pages may redirect to after sign-in (OAuth authorization code grant with PKCE; the app
   * client has no secret), in addition to those `BedrockChatFrontend` registers (its own site URLs) and those added
   * with `addCallbackUrl`. `https://` URLs, or `http://localhost[:port]` for development: localhost is never
   * registered unless listed here. Without any callback URL the client has no OAuth flow (sign-in with SRP only).
   *
   * @default - none
   */
  readonly callbackUrls?: string[];

  /**
   * URLs the managed login pages may redirect to after sign-out (same rules as `callbackUrls`).
   *
   * @default - none
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
   * Whether to create the IAM role API Gateway writes logs with and set it as the account's API Gateway setting
   * (`AWS::ApiGateway::Account`, `cloudWatchRoleArn`) in this Region. The WebSocket stage's access logging fails to
   * deploy without that setting.
   *
   * It is ONE setting per account and Region, not per stack: a second stack setting it overwrites the first (the
   * last deployment wins; every role this library creates has the same policy, so either works). Deleting the stack
   * leaves the setting in place, and the role is retained so that the setting never points at a deleted role.
   * Set `false` when the account's setting is managed elsewhere (for example by a landing zone).
   *
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;

  /**
   * Retention of the function logs and the API access logs.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Origins allowed to call the REST API from a browser, and to upload attachments into `largeMessageBucket` with
   * the presigned URLs the API returns (CORS). Requests carry a bearer token or a presigned signature, never
   * cookies, so `*` exposes nothing a token holder could not already read.
   *
   * @default ['*']
   */
  readonly corsAllowedOrigins?: string[];

  /**
   * An Amazon Bedrock Guardrail applied to every answer (streamed asynchronously: the answer is not delayed; a
   * blocked answer ends with stop reason `guardrail_intervened`).
   *
   * @default - no guardrail
   */
  readonly guardrail?: GuardrailReference;

  /**
   * Prompt caching on models that support it: a cache point after the latest question, so the next turn reads the
   * conversation so far from the model's prompt cache (cheaper and faster for long conversations).
   *
   * @default true
   */
  readonly promptCaching?: boolean;

  /**
   * The thinking budget, in tokens, when a user asks a reasoning model to reason (extended thinking). At least 1,024;
   * the answer's maximum tokens are raised above it.
   *
   * @default 4096
   */
  readonly reasoningBudgetTokens?: number;
}

/** Default of `models` (see `ChatBackendProps.models`). */
const DEFAULT_MODELS = (): ChatModel[] => [ChatModel.CLAUDE_SONNET_4_5, ChatModel.CLAUDE_HAIKU_4_5, ChatModel.NOVA_PRO];

/** The Region models are resolved for when the stack's Region is not known at synth time. */
const ASSUMED_REGION = 'us-east-1';

/** Lambda allows 4 KB of environment variables per function; the models must leave room for the others. */
const MAX_MODELS_JSON_LENGTH = 3400;

/** Prefix of the uploaded attachments in the large-message bucket (see `POST /uploads`). */
const UPLOADS_PREFIX = 'uploads/';

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
export class ChatBackend extends Construct implements IBedrockChatBackend, ISignInRedirectUrls {
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
  /** The key of the model used when a request names none (`defaultModel.key`). */
  public readonly defaultModelId: string;
  /** The origin browsers upload attachments to: `https://<largeMessageBucket regional domain>`. */
  public readonly uploadOrigin?: string;
  /**
   * The managed login domain: `https://<prefix>.auth.<region>.amazoncognito.com`, or `https://<customSignInDomain>`.
   * Always set.
   */
  public readonly authDomain?: string;
  /** This backend (always set): `BedrockChatFrontend` registers its URLs here (`addCallbackUrl`, `addLogoutUrl`). */
  public readonly signInRedirects?: ISignInRedirectUrls;
  /** The guardrail applied to every answer, if any. */
  public readonly guardrail?: GuardrailReference;
  /** The models users can choose from, in the order given. */
  public readonly models: ChatModel[];
  /** The model used when a request names none. */
  public readonly defaultModel: ChatModel;
  /** The model proposing conversation titles. */
  public readonly titleModel: ChatModel;
  /** How model ids are resolved for the stack's Region. */
  public readonly inferenceProfileMode: InferenceProfileMode;
  /**
   * Attachments uploaded with presigned PUTs (`uploads/<userId>/...`), read by the worker. Private, TLS only,
   * SSE-S3, access logs to `accessLogsBucket`.
   */
  public readonly largeMessageBucket: s3.Bucket;
  /** Receives the S3 server access logs of `largeMessageBucket` (prefix `large-message-bucket/`). */
  public readonly accessLogsBucket: s3.Bucket;
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
  /** The managed login domain (a prefix domain, or `customSignInDomain`). */
  public readonly userPoolDomain: cognito.UserPoolDomain;
  /** The managed login branding of the web client (Cognito's default style). */
  public readonly managedLoginBranding: cognito.CfnManagedLoginBranding;
  /** The A alias record of `customSignInDomain` (only with its `hostedZone`). */
  public readonly signInDomainRecord?: route53.ARecord;
  /**
   * The account's API Gateway logging setting of this Region (shared by every ChatBackend of the stack; absent with
   * `apiGatewayCloudWatchRole: false`).
   */
  public readonly apiGatewayAccount?: apigw.CfnAccount;
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
    this.inferenceProfileMode = props.inferenceProfileMode ?? InferenceProfileMode.GLOBAL_THEN_GEOGRAPHIC;
    this.models = validateModels(props.models ?? DEFAULT_MODELS());
    this.defaultModel = validateDefaultModel(this.models, props.defaultModel ?? this.models[0]);
    this.titleModel = props.titleModel ?? defaultTitleModel(this.models, this.defaultModel);
    this.defaultModelId = this.defaultModel.key;
    const resolved = resolveModels(this, this.models, this.defaultModel, this.titleModel, this.inferenceProfileMode);
    this.guardrail = props.guardrail;
    if (props.guardrail && !/^[a-z0-9]+$/.test(props.guardrail.guardrailId) && !Token.isUnresolved(props.guardrail.guardrailId)) {
      throw new Error(`ChatBackend: guardrail.guardrailId must be a guardrail id (lower-case letters and digits), not "${props.guardrail.guardrailId}"`);
    }
    const answerEnvironment: Record<string, string> = {
      ...(props.guardrail ? { GUARDRAIL_ID: props.guardrail.guardrailId, GUARDRAIL_VERSION: props.guardrail.guardrailVersion ?? 'DRAFT' } : {}),
      ...(props.promptCaching === false ? { PROMPT_CACHING: 'off' } : {}),
      ...(props.reasoningBudgetTokens !== undefined ? { REASONING_BUDGET_TOKENS: String(props.reasoningBudgetTokens) } : {}),
    };
    const budget = props.reasoningBudgetTokens;
    if (budget !== undefined && (!Number.isInteger(budget) || budget < 1024 || budget > 64_000)) {
      throw new Error(`ChatBackend: reasoningBudgetTokens must be a whole number from 1024 to 64000, not ${props.reasoningBudgetTokens}`);
    }
    if (props.attachmentRetention !== undefined) validateAttachmentRetention(props.attachmentRetention);

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
    if (props.domainPrefix !== undefined && props.customSignInDomain !== undefined) {
      throw new Error('ChatBackend: give either domainPrefix (a prefix domain of amazoncognito.com) or customSignInDomain (your own domain), not both');
    }
    if (props.domainPrefix !== undefined) validateDomainPrefix(props.domainPrefix);
    if (props.customSignInDomain !== undefined) validateSignInCustomDomain(props.customSignInDomain);
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
    // Rendered at synth time, so BedrockChatFrontend (or the app) can add its URL after construction. Cognito refuses
    // a client with the code flow and no callback URL ("CallbackUrls can not be empty when code flow or implicit flow
    // is selected", InvalidOAuthFlowException of CreateUserPoolClient), so a backend nobody registered a URL on
    // (no frontend, no callbackUrls) gets a client without OAuth: SRP sign-in (tokenProvider) still works.
    const cfnClient = this.userPoolClient.node.defaultChild as cognito.CfnUserPoolClient;
    const oauthOn = () => this.callbackUrls.length > 0;
    const oauthFlows = cfnClient.allowedOAuthFlows;
    const oauthScopes = cfnClient.allowedOAuthScopes;
    cfnClient.allowedOAuthFlowsUserPoolClient = Lazy.any({ produce: () => oauthOn() });
    cfnClient.allowedOAuthFlows = Lazy.list({ produce: () => (oauthOn() ? oauthFlows : undefined) });
    cfnClient.allowedOAuthScopes = Lazy.list({ produce: () => (oauthOn() ? oauthScopes : undefined) });
    cfnClient.callbackUrLs = Lazy.list({ produce: () => (oauthOn() ? [...this.callbackUrls] : undefined) });
    cfnClient.logoutUrLs = Lazy.list({ produce: () => (this.logoutUrls.length > 0 ? [...this.logoutUrls] : undefined) });
    for (const url of props.callbackUrls ?? []) this.addCallbackUrl(url);
    for (const url of props.logoutUrls ?? []) this.addLogoutUrl(url);
    this.node.addValidation({
      validate: () => {
        if (!oauthOn()) {
          Annotations.of(this).addWarningV2('cdk-bedrock-chat:noCallbackUrl',
            'ChatBackend: no callback URL is registered, so the app client has no OAuth flow and the managed login pages cannot sign anyone in to an app: put a BedrockChatFrontend in front of this backend (it registers its URLs), or set callbackUrls / call addCallbackUrl().');
        }
        return [];
      },
    });

    this.userPoolId = this.userPool.userPoolId;
    this.userPoolClientId = this.userPoolClient.userPoolClientId;
    for (const group of USER_POOL_GROUPS) {
      this.userPool.addGroup(group.id, { groupName: group.name, description: group.description });
    }
    const jwtIssuer = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`;

    // A managed login domain always exists: the app and the widget sign users in (and up, with self sign-up) there.
    const custom = props.customSignInDomain;
    this.userPoolDomain = this.userPool.addDomain('Domain', {
      ...(custom
        ? { customDomain: { domainName: custom.domainName, certificate: custom.certificate } }
        : { cognitoDomain: { domainPrefix: props.domainPrefix ?? derivedDomainPrefix(this) } }),
      managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    if (custom?.hostedZone) {
      this.signInDomainRecord = new route53.ARecord(this, 'SignInDomainRecord', {
        zone: custom.hostedZone,
        // A trailing dot makes the name absolute (the zone's name may be unknown, as for fromHostedZoneId).
        recordName: `${custom.domainName}.`,
        // The domain's own CloudFrontDistribution attribute (UserPoolDomainTarget would read it with a custom resource).
        target: route53.RecordTarget.fromAlias({
          bind: () => ({
            dnsName: (this.userPoolDomain.node.defaultChild as cognito.CfnUserPoolDomain).attrCloudFrontDistribution,
            hostedZoneId: targets.CloudFrontTarget.getHostedZoneId(this),
          }),
        }),
      });
    }
    // Managed login (version 2) shows a page per app client only once the client has a branding style.
    this.managedLoginBranding = new cognito.CfnManagedLoginBranding(this, 'ManagedLoginBranding', {
      userPoolId: this.userPool.userPoolId,
      clientId: this.userPoolClient.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    this.managedLoginBranding.node.addDependency(this.userPoolDomain);
    // A custom domain's name is known at synth time: use it rather than the domain's Ref (the same string).
    this.authDomain = custom ? `https://${custom.domainName}` : this.userPoolDomain.baseUrl();
    this.signInRedirects = this;

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
    this.conversationTable = new dynamodb.Table(this, 'ConversationTable', {
      ...secureTableProps({
        removalPolicy,
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      }),
      // Request items (REQ#<requestId>: idempotency and the stop flag) expire a day after they are written.
      timeToLiveAttribute: 'expiresAt',
    });
    this.conversationTable.addGlobalSecondaryIndex({
      indexName: 'byUpdatedAt',
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.accessLogsBucket = createAccessLogsBucket(this, 'AccessLogsBucket', {
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    this.largeMessageBucket = new s3.Bucket(this, 'LargeMessageBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
      versioned: false,
      // The browser PUTs attachments with the presigned URL of POST /uploads, signed for exactly this content type.
      cors: [{
        allowedMethods: [s3.HttpMethods.PUT],
        allowedOrigins: props.corsAllowedOrigins ?? ['*'],
        allowedHeaders: ['content-type'],
        maxAge: Duration.hours(1).toSeconds(),
      }],
      lifecycleRules: [
        { id: 'AbortIncompleteMultipartUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ...(props.attachmentRetention
          ? [{ id: 'ExpireAttachments', prefix: UPLOADS_PREFIX, expiration: props.attachmentRetention }]
          : []),
      ],
    });
    logServerAccessTo(this.largeMessageBucket, this.accessLogsBucket, 'large-message-bucket/');
    this.uploadOrigin = `https://${this.largeMessageBucket.bucketRegionalDomainName}`;

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
    if (props.apiGatewayCloudWatchRole ?? true) {
      // A WebSocket stage with access logging needs the account's logging role in this Region (see the prop).
      this.apiGatewayAccount = apiGatewayCloudWatchAccount(this);
      this.webSocketStage.node.addDependency(this.apiGatewayAccount);
    }
    this.webSocketUrl = this.webSocketStage.url;
    const callbackUrl = this.webSocketStage.callbackUrl;

    this.workerFunction = fn('ChatWorker', ChatWorkerFunction, {
      description: 'bedrock-chat: one assistant turn (Bedrock ConverseStream, coalesced WebSocket frames)',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      environment: {
        TABLE_NAME: this.conversationTable.tableName,
        WEBSOCKET_CALLBACK_URL: callbackUrl,
        LARGE_MESSAGE_BUCKET: this.largeMessageBucket.bucketName,
        ...resolved.environment,
        ...answerEnvironment,
      },
    });

    this.webSocketFunction = fn('WebSocketHandler', WsFunction, {
      description: 'bedrock-chat: WebSocket routes ($connect, $disconnect, $default, sendMessage, regenerate, continue, stop, ping)',
      timeout: Duration.seconds(29),
      memorySize: 512,
      environment: {
        TABLE_NAME: this.conversationTable.tableName,
        WORKER_FUNCTION_NAME: this.workerFunction.functionName,
        WEBSOCKET_CALLBACK_URL: callbackUrl,
        // The handler checks the requested model against the allowlist (MODELS_JSON) before queuing a turn.
        ...resolved.environment,
      },
    });

    this.apiFunction = fn('RestApiHandler', ApiFunction, {
      description: 'bedrock-chat: REST API router (conversations, models, uploads)',
      timeout: Duration.seconds(29),
      memorySize: 512,
      environment: {
        TABLE_NAME: this.conversationTable.tableName,
        LARGE_MESSAGE_BUCKET: this.largeMessageBucket.bucketName,
        ...resolved.environment,
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
    for (const routeKey of ['$disconnect', '$default', 'sendMessage', 'regenerate', 'continue', 'stop', 'ping']) {
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
    // Each list is what the function's bundle sends (test/iam-coverage.test.ts checks it against the bundles).
    const table = this.conversationTable;
    const grant = (grantee: iam.IGrantable, actions: string[], resourceArns: string[]) =>
      iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
    // ws: a request claim is deleted when storing the question fails, so the client's retry is processed.
    grant(this.webSocketFunction, ['dynamodb:DeleteItem'], [table.tableArn]);
    // ws: request claim (Put), question accepted and stop flag (Update), conversation and message checks (Get, Query).
    // worker: history (Query), messages (Put), conversation totals, title and continued answers (Update), its request
    // item: question stored, stop flag, connection (Get, strongly consistent while it waits for the question).
    for (const f of [this.webSocketFunction, this.workerFunction]) {
      grant(f, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [table.tableArn]);
      this.webSocketStage.grantManagementApiAccess(f);
      acknowledge(f.role!, {
        id: 'AwsSolutions-IAM5',
        appliesTo: [`Resource::${managementApiFinding(this.webSocketApi)}`],
        reason: 'execute-api:ManageConnections is scoped to this API and stage; the trailing wildcard stands for the connection ids, which only exist at run time.',
      });
    }
    // api: list and search (Query, index for recency), rename and feedback (Update, Get), delete (Query + BatchWrite).
    // It never writes new items (PutItem): see test/iam-coverage.test.ts.
    grant(this.apiFunction, ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'], [table.tableArn]);
    grant(this.apiFunction, ['dynamodb:Query'], [`${table.tableArn}/index/byUpdatedAt`]);
    grant(this.webSocketFunction, ['lambda:InvokeFunction'], [this.workerFunction.functionArn]);

    // Attachments: the api presigns PUTs (the URL carries its role's permission), the worker reads them. ListBucket
    // lets S3 answer a missing (expired) attachment with 404 NoSuchKey instead of 403, so the user is told what happened.
    const uploads = this.largeMessageBucket.arnForObjects(`${UPLOADS_PREFIX}*`);
    grant(this.apiFunction, ['s3:PutObject'], [uploads]);
    grant(this.workerFunction, ['s3:GetObject'], [uploads]);
    grant(this.workerFunction, ['s3:ListBucket'], [this.largeMessageBucket.bucketArn]);
    for (const f of [this.apiFunction, this.workerFunction]) {
      acknowledge(f.role!, {
        id: 'AwsSolutions-IAM5',
        appliesTo: [`Resource::<${stack.getLogicalId(this.largeMessageBucket.node.defaultChild as s3.CfnBucket)}.Arn>/${UPLOADS_PREFIX}*`],
        reason: 'Attachment keys (uploads/<userId>/<ulid>/<name>) are created at run time; the grant is limited to the uploads/ prefix of this bucket, and the API checks that a key lies under the caller\'s own prefix.',
      });
    }

    // Bedrock: the worker streams answers from every offered model and proposes titles (Converse); the api proposes
    // titles only (POST /conversations/{id}/title).
    grant(this.workerFunction, ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'], resolved.chatModelArns);
    const titleOnly = resolved.titleModelArns.filter((arn) => !resolved.chatModelArns.includes(arn));
    if (titleOnly.length > 0) grant(this.workerFunction, ['bedrock:InvokeModel'], titleOnly);
    grant(this.apiFunction, ['bedrock:InvokeModel'], resolved.titleModelArns);
    if (props.guardrail) {
      grant(this.workerFunction, ['bedrock:ApplyGuardrail'], [Stack.of(this).formatArn({
        service: 'bedrock', resource: 'guardrail', resourceName: props.guardrail.guardrailId,
      })]);
    }
    const workerWildcards = wildcardFindings(stack, [...resolved.chatModelArns, ...titleOnly]);
    const apiWildcards = wildcardFindings(stack, resolved.titleModelArns);
    for (const [f, findings] of [[this.workerFunction, workerWildcards], [this.apiFunction, apiWildcards]] as const) {
      if (findings.length === 0) continue;
      acknowledge(f.role!, {
        id: 'AwsSolutions-IAM5',
        appliesTo: findings.map((finding) => `Resource::${finding}`),
        reason: 'A global cross-region inference profile routes each request to a commercial Region chosen by Bedrock at run time, so its foundation model must be allowed in every Region (Region wildcard); the model itself is named exactly.',
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

/**
 * A prefix domain unique in the Region across all accounts and stable per stack, computed at deploy time:
 * `chat-<8 hex digits of the construct's address>-<UUID of AWS::StackId>`. A stack id is
 * `arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>` (the UUID is lower-case hex and hyphens),
 * so the prefix is 50 characters of the allowed alphabet, never contains `aws`, `amazon` or `cognito` (none of them
 * is spelled with hex digits), and two ChatBackends of one stack differ by their address.
 * Rules: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cognito-userpooldomain.html
 * (pattern `^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$`, 1 to 63 characters).
 */
function derivedDomainPrefix(scope: Construct): string {
  const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  return Fn.join('-', ['chat', scope.node.addr.slice(2, 10), stackUuid]);
}

function validateSignInCustomDomain(domain: SignInCustomDomain): void {
  const name = domain.domainName;
  if (!Token.isUnresolved(name) && !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/.test(name)) {
    throw new Error(`ChatBackend: customSignInDomain.domainName '${name}' is not a domain name (e.g. 'auth.example.com': lower-case letters, digits, hyphens, dots)`);
  }
  const region = certificateRegion(domain.certificate);
  if (region && region !== CLOUDFRONT_REGION) {
    throw new Error(`ChatBackend: customSignInDomain.certificate is in ${region}, but Cognito serves custom domains through CloudFront and needs the certificate in ${CLOUDFRONT_REGION}: request or import it there (a us-east-1 stack with crossRegionReferences: true works)`);
  }
}

function validateRedirectUrl(prop: string, url: string): void {
  if (Token.isUnresolved(url)) return;
  const ok = /^https:\/\/[^\s/#]+[^\s#]*$/.test(url) || /^http:\/\/localhost(:\d+)?(\/[^\s#]*)?$/.test(url);
  if (!ok) {
    throw new Error(`ChatBackend: ${prop}: '${url}' must be an https:// URL, or http://localhost[:port] for development, without a fragment (#)`);
  }
}

/** Non-empty, distinct keys. */
function validateModels(models: ChatModel[]): ChatModel[] {
  if (models.length === 0) {
    throw new Error('ChatBackend: models is empty: list at least one ChatModel (e.g. [ChatModel.CLAUDE_SONNET_4_5]), or leave it unset for the default list');
  }
  const keys = models.map((m) => m.key);
  const duplicates = [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];
  if (duplicates.length > 0) {
    throw new Error(`ChatBackend: models must have distinct keys (clients choose a model by key); duplicated: ${duplicates.join(', ')}. Give one of them another key with withOverrides({ key })`);
  }
  return [...models];
}

function validateDefaultModel(models: ChatModel[], model: ChatModel): ChatModel {
  const found = models.find((m) => m.key === model.key);
  if (!found) {
    throw new Error(`ChatBackend: defaultModel '${model.key}' is not one of models (${models.map((m) => m.key).join(', ')}): add it to models or choose one of them`);
  }
  return found;
}

/** Claude Haiku 4.5 when offered, otherwise the cheapest offered model with known prices, otherwise the default. */
function defaultTitleModel(models: ChatModel[], defaultModel: ChatModel): ChatModel {
  const haiku = models.find((m) => m.key === ChatModel.CLAUDE_HAIKU_4_5.key);
  if (haiku) return haiku;
  const priced = models.filter((m) => m.pricesKnown);
  const cost = (m: ChatModel) => m.prices.inputPer1kTokens + m.prices.outputPer1kTokens;
  return priced.reduce<ChatModel | undefined>((best, m) => (!best || cost(m) < cost(best) ? m : best), undefined) ?? defaultModel;
}

function validateAttachmentRetention(retention: Duration): void {
  if (retention.isUnresolved()) return;
  const days = retention.toDays({ integral: false });
  if (!Number.isInteger(days) || days < 1) {
    throw new Error(`ChatBackend: attachmentRetention must be a whole number of days, at least 1 (S3 lifecycle rules count days); got ${retention.toHumanString()}`);
  }
}

/** A model as the functions read it (`RuntimeModel` of src/lambdas/core/models.ts): only what they use. */
function toRuntimeModel(model: ChatModel, region: string, mode: InferenceProfileMode): Record<string, unknown> {
  const entry = model.toRuntimeConfig(region, mode);
  const c = entry.capabilities;
  return {
    key: entry.key,
    modelId: entry.modelId,
    displayName: entry.displayName,
    // Unknown prices are absent (the functions price such answers at 0) rather than a misleading 0.
    ...(entry.pricesKnown ? { prices: entry.prices } : {}),
    capabilities: {
      reasoning: c.reasoning,
      ...(c.adaptiveReasoningOnly ? { adaptiveReasoningOnly: true } : {}),
      images: c.images,
      documents: c.documents,
      promptCaching: c.promptCaching,
    },
  };
}

interface ResolvedModels {
  /** `MODELS_JSON`, `DEFAULT_MODEL`, `TITLE_MODEL_ID` (ws, worker and api). */
  readonly environment: Record<string, string>;
  /** ARNs for the chat models (profiles and foundation models), without duplicates. */
  readonly chatModelArns: string[];
  /** ARNs for the title model. */
  readonly titleModelArns: string[];
}

/**
 * Resolve every model for the stack's Region: the functions' environment and the IAM resources. In an
 * environment-agnostic stack the ids are chosen as for `ASSUMED_REGION` (with a warning when that ties the
 * deployment to a geography) while the ARNs keep the deploy-time Region, account and partition.
 */
function resolveModels(
  scope: Construct, models: ChatModel[], defaultModel: ChatModel, titleModel: ChatModel, mode: InferenceProfileMode,
): ResolvedModels {
  const stack = Stack.of(scope);
  const agnostic = Token.isUnresolved(stack.region);
  const region = agnostic ? ASSUMED_REGION : stack.region;
  const arnsOf = (m: ChatModel): string[] => {
    const r = agnostic
      ? modelArns(stack.region, stack.account, stack.partition, m.resolveModelId(region, mode))
      : m.iamResourcesForStack(stack, mode);
    return [...r.inferenceProfileArns, ...r.foundationModelArns];
  };
  if (agnostic) {
    const geographic = [...models, titleModel]
      .filter((m, i, all) => all.findIndex((x) => x.key === m.key) === i)
      .filter((m) => { const p = m.inferenceProfileFor(region, mode); return p !== undefined && p !== 'global'; });
    if (geographic.length > 0) {
      Annotations.of(scope).addWarningV2('cdk-bedrock-chat:modelsResolvedForUsRegion',
        `ChatBackend: the stack's Region is not known at synth time, so models are resolved for ${ASSUMED_REGION}: `
        + `${geographic.map((m) => `${m.key} (${m.resolveModelId(region, mode)})`).join(', ')} can then only be called from a US or Canadian Region. `
        + 'Give the stack env: { region } to resolve every model for the Region it is deployed to.');
    }
  }
  const modelsJson = JSON.stringify(models.map((m) => toRuntimeModel(m, region, mode)));
  if (modelsJson.length > MAX_MODELS_JSON_LENGTH) {
    throw new Error(`ChatBackend: the ${models.length} models take ${modelsJson.length} characters in the functions' environment (at most ${MAX_MODELS_JSON_LENGTH}: Lambda allows 4 KB of variables): offer fewer models`);
  }
  const unique = (arns: string[]) => [...new Set(arns)];
  return {
    environment: {
      MODELS_JSON: modelsJson,
      DEFAULT_MODEL: defaultModel.key,
      TITLE_MODEL_ID: titleModel.resolveModelId(region, mode),
    },
    chatModelArns: unique(models.flatMap(arnsOf)),
    titleModelArns: unique(arnsOf(titleModel)),
  };
}

/**
 * cdk-nag's rendering of the resources holding a `*` (the Region wildcard of global inference profiles):
 * `Fn::Join` parts concatenated, `{ Ref: X }` as `<X>`.
 */
function wildcardFindings(stack: Stack, arns: string[]): string[] {
  const render = (v: any): string => {
    if (typeof v === 'string') return v;
    if (v && v['Fn::Join']) return (v['Fn::Join'][1] as any[]).map(render).join(v['Fn::Join'][0]);
    if (v && v.Ref) return `<${v.Ref}>`;
    if (v && v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
    throw new Error(`ChatBackend: cannot render ${JSON.stringify(v)} for a cdk-nag acknowledgement`);
  };
  return [...new Set(arns.map((arn) => render(stack.resolve(arn))).filter((arn) => arn.includes('*')))];
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
