import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { alarmSettings, ChatAlarmOptions, createAlarms, functionAlarms } from './alarms';
import { IdentityProvider, MfaMode, SignInCustomDomain, WafOptions } from './auth';
import { BotCleanup } from './bot-cleanup';
import { BotDefinitions, BotOptions } from './bot-definitions';
import { grantBotGuardrails } from './bot-guardrails';
import { Bots } from './bots';
import { BotsApi } from './bots-api';
import { BackendParts, backendContext } from './context';
import { ConversationStore, conversationStoreOptions } from './conversation-store';
import { grantBetweenParts } from './grants';
import { answerSettings, selectModels } from './models';
import { ProvisionedConcurrencyOptions } from './provisioned-concurrency';
import { RealtimeApi } from './realtime-api';
import { RestApi } from './rest-api';
import { SignIn, signInOptions } from './sign-in';
import { ApiThrottling, apiThrottling, applyReservedConcurrency, applyThrottling, ReservedConcurrencyOptions, reservedConcurrency } from './traffic-limits';
import { applyUsageLimits, UsageLimits, usageSettings } from './usage';
import { DEFAULT_REASONING_BUDGET } from '../../lambdas/core/models';
import { ChatModel } from '../../models/chat-model';
import { InferenceProfileMode } from '../../models/inference-profile-mode';
import { DEFAULT_LOG_RETENTION, DEFAULT_REMOVAL_POLICY } from '../private/defaults';

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
   * Uploads that no message references expire after a day whatever this is (lifecycle rule
   * `ExpireUnreferencedUploads`).
   *
   * @default - an attachment a message references is kept as long as its conversation and deleted with it
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
   * first federated sign-ins from other domains with a message saying so; a first federated sign-in also needs the
   * provider to assert `email_verified` `true`. Users created by an administrator (`AdminCreateUser`) are not checked.
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

  /**
   * Provisioned concurrency for the functions on the path to the first token (the `$connect` authorizer, the
   * WebSocket handler, the chat worker), each with its own count: a function with a count is published as a version
   * with an alias `live`, which its callers invoke. Billed per hour whether used or not.
   *
   * @default - none: every function runs on demand (a cold start costs about 50-70 ms of module initialisation, see
   * docs/architecture.md "Lambda packaging and cold start")
   */
  readonly provisionedConcurrency?: ProvisionedConcurrencyOptions;

  /**
   * Stage throttling of the WebSocket and HTTP APIs (rate and burst, shared by all clients), with a tighter limit on
   * the routes that start a model call. Each field replaces its default.
   *
   * @default - WebSocket routes 100/s (burst 200), sendMessage/regenerate/continue 10/s (burst 20), REST 50/s (burst 100)
   */
  readonly throttling?: ApiThrottling;

  /**
   * Reserved concurrency (a reservation and a cap) for the chat worker and the `$connect` authorizer.
   *
   * @default - none: both share the account's unreserved concurrency
   */
  readonly reservedConcurrency?: ReservedConcurrencyOptions;

  /**
   * CloudWatch alarms on errors, throttles and model spend (see `ChatAlarmOptions`), listed in `alarms`.
   *
   * @default - on, without actions; spend alarm at 10 USD per hour
   */
  readonly alarms?: ChatAlarmOptions;

  /**
   * Usage limits per user (tokens and cost per hour, day and month; answers at a time), enforced before every model
   * call with atomic counters; admins override them per user and per Cognito group (REST `/usage/limits/...`).
   *
   * @default - on: no token or cost limit, 3 answers at a time per user; usage is counted and shown (`GET /usage`)
   */
  readonly usageLimits?: UsageLimits;
}

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
  /**
   * Custom bots, and each user's stars, recents and shares (`pk`/`sk`; GSIs `byUserTime`, `public`, `byBot`), with a
   * stream of new and old images (the deletion pipe reads its REMOVE records). Item layout: docs/architecture.md.
   */
  public readonly botTable: dynamodb.ITable;
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
  /** The REST API router (conversations, models, uploads, usage: every path but those of `botsApiFunction`). */
  public readonly apiFunction: lambda.Function;
  /** The REST routes of bots, the bot store, the share dialog's user and group searches, `/me` and `/openapi.json`. */
  public readonly botsApiFunction: lambda.Function;
  /** The pre sign-up trigger checking email domains (only with `allowedSignUpEmailDomains`). */
  public readonly preSignUpFunction?: lambda.Function;
  /** The post confirmation trigger adding new users to `autoJoinGroups` (absent when that list is empty). */
  public readonly postConfirmationFunction?: lambda.Function;
  /** The `live` alias of the authorizer, when `provisionedConcurrency.authorizer` is set. */
  public readonly authorizerAlias?: lambda.Alias;
  /** The `live` alias of the WebSocket handler, when `provisionedConcurrency.webSocketHandler` is set. */
  public readonly webSocketAlias?: lambda.Alias;
  /** The `live` alias of the chat worker, when `provisionedConcurrency.worker` is set. */
  public readonly workerAlias?: lambda.Alias;
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

  /** The target of the bot deletion pipe: removes other users' stars, recents and shares and the bot's guardrail. */
  public readonly botCleanupFunction: lambda.Function;
  /** The bot deletion pipe: the bot table's stream, filtered to removals of bots, to `botCleanupFunction`. */
  public readonly botDeletionPipe: pipes.CfnPipe;
  /** Where the pipe puts the records of deletions it could not clean up after its retries. */
  public readonly botCleanupDeadLetterQueue: sqs.Queue;

  /** The alarms on errors, throttles and spend (empty with `alarms.enabled: false`). */
  public readonly alarms: cloudwatch.Alarm[];

  /**
   * The parts later constructs attach to (KnowledgeBaseFactory: context.ts, BackendParts).
   * @internal
   */
  public readonly _parts: BackendParts;

  /** The sign-in part: holds the callback and sign-out URLs rendered into the app client. */
  private readonly signIn: SignIn;
  /** The conversation store part: its grant helpers serve `grantReadConversations`. */
  private readonly store: ConversationStore;
  private readonly botDefinitions: BotDefinitions;

  constructor(scope: Construct, id: string, props: ChatBackendProps = {}) {
    super(scope, id);
    // Validation of every prop (with its defaults) before any resource exists. The parts are plain classes that create
    // their resources in this construct (see docs/architecture.md, "ChatBackend by composition").
    const models = selectModels(this, props);
    const answers = answerSettings(props);
    const storeOptions = conversationStoreOptions(props);
    const signInProps = signInOptions(this, props);
    const throttling = apiThrottling(props.throttling);
    const reserved = reservedConcurrency(props.reservedConcurrency);
    const alarms = alarmSettings(props.alarms);
    const usage = usageSettings(this, props.usageLimits);

    // Composition.
    const ctx = backendContext(this, props.removalPolicy ?? DEFAULT_REMOVAL_POLICY, props.logRetention ?? DEFAULT_LOG_RETENTION);
    const signIn = this.signIn = new SignIn(ctx, signInProps);
    const store = this.store = new ConversationStore(ctx, storeOptions);
    const realtime = new RealtimeApi(ctx, {
      signIn,
      store,
      models,
      answers,
      apiGatewayCloudWatchRole: props.apiGatewayCloudWatchRole ?? true,
      provisionedConcurrency: props.provisionedConcurrency,
      reasoningBudgetTokens: props.reasoningBudgetTokens,
    });
    const rest = new RestApi(ctx, { signIn, store, models, corsAllowedOrigins: props.corsAllowedOrigins });
    const bots = new Bots(ctx, { signIn });
    const botsApi = new BotsApi(ctx, { rest, bots, models });
    grantBetweenParts({ store, realtime, rest, models, answers, bots, botsApi });
    grantBotGuardrails(bots, botsApi.function);
    const cleanup = new BotCleanup(ctx, bots);
    this.botDefinitions = new BotDefinitions(ctx, bots, models, props.reasoningBudgetTokens ?? DEFAULT_REASONING_BUDGET);
    this._parts = {
      ctx,
      rest,
      bots,
      botsApi,
      cleanup,
      addFunctionAlarms: (name, fn) => this.alarms.push(...functionAlarms(this, alarms, name, fn)),
    };
    applyThrottling(throttling, realtime.webSocketStage, rest.httpStage);
    applyUsageLimits(usage, [realtime.webSocketFunction, realtime.workerFunction, realtime.workerFailureFunction, rest.apiFunction]);
    applyReservedConcurrency(reserved, { worker: realtime.workerFunction, authorizer: realtime.authorizerFunction });
    this.alarms = createAlarms(this, alarms, {
      functions: {
        Authorizer: realtime.authorizerFunction,
        WebSocketHandler: realtime.webSocketFunction,
        ChatWorker: realtime.workerFunction,
        RestApiHandler: rest.apiFunction,
        BotsApiHandler: botsApi.function,
      },
      worker: realtime.workerFunction,
      webSocketApi: realtime.webSocketApi,
      webSocketStageName: realtime.webSocketStage.stageName,
      httpApi: rest.httpApi,
    });

    // The public members, part by part.
    this.models = models.models;
    this.defaultModel = models.defaultModel;
    this.titleModel = models.titleModel;
    this.inferenceProfileMode = models.inferenceProfileMode;
    this.defaultModelId = models.defaultModel.key;
    this.guardrail = answers.guardrail;

    this.userPool = signIn.userPool;
    this.userPoolClient = signIn.userPoolClient;
    this.userPoolId = signIn.userPool.userPoolId;
    this.userPoolClientId = signIn.userPoolClient.userPoolClientId;
    this.userPoolIdentityProviders = signIn.userPoolIdentityProviders;
    this.userPoolDomain = signIn.userPoolDomain;
    this.managedLoginBranding = signIn.managedLoginBranding;
    this.signInDomainRecord = signIn.signInDomainRecord;
    this.authDomain = signIn.authDomain;
    this.signInRedirects = this;
    this.preSignUpFunction = signIn.preSignUpFunction;
    this.postConfirmationFunction = signIn.postConfirmationFunction;
    this.webAcl = signIn.webAcl;
    this.wafLogGroup = signIn.wafLogGroup;

    this.conversationTable = store.table;
    this.botTable = bots.table;
    this.botCleanupFunction = cleanup.function;
    this.botDeletionPipe = cleanup.pipe;
    this.botCleanupDeadLetterQueue = cleanup.deadLetterQueue;
    this.largeMessageBucket = store.largeMessageBucket;
    this.accessLogsBucket = store.accessLogsBucket;
    this.uploadOrigin = store.uploadOrigin;

    this.authorizerFunction = realtime.authorizerFunction;
    this.webSocketApi = realtime.webSocketApi;
    this.webSocketStage = realtime.webSocketStage;
    this.webSocketUrl = realtime.webSocketUrl;
    this.apiGatewayAccount = realtime.apiGatewayAccount;
    this.workerFunction = realtime.workerFunction;
    this.webSocketFunction = realtime.webSocketFunction;
    this.authorizerAlias = realtime.authorizerAlias;
    this.webSocketAlias = realtime.webSocketAlias;
    this.workerAlias = realtime.workerAlias;

    this.apiFunction = rest.apiFunction;
    this.botsApiFunction = botsApi.function;
    this.httpApi = rest.httpApi;
    this.httpStage = rest.httpStage;
    this.restApiUrl = rest.restApiUrl;
  }

  /**
   * Declares a bot in code (bots as code): written to the bot table on deploy, owned by the deployment (`owner:
   * 'deployment'`, `managed: true`: nobody can change or delete it in the app, 403 `MANAGED`), shared with everyone
   * or with groups, optionally pinned among the essentials. Written idempotently (a deploy that does not change it
   * writes nothing; usage counts survive changes), deleted with the stack or when removed from the code. Its
   * settings are checked now against this backend's models, and again on deploy.
   *
   * @param id the bot's id, `[a-z0-9-]{1,64}`, stable across deploys (conversations and stars refer to it)
   */
  public addBot(id: string, options: BotOptions): void {
    this.botDefinitions.add(id, options);
  }

  /** The function writing the bots declared with `addBot` (absent until a bot is declared). */
  public get botDefinitionFunction(): lambda.IFunction | undefined {
    return this.botDefinitions.function;
  }

  /**
   * Allow the managed login pages to redirect to `url` after sign-in (an `https://` URL, or `http://localhost`
   * for development). Rendered at synth time; adding a URL twice has no effect.
   */
  public addCallbackUrl(url: string): void {
    this.signIn.addCallbackUrl(url);
  }

  /**
   * Allow the managed login pages to redirect to `url` after sign-out (same rules as `addCallbackUrl`).
   */
  public addLogoutUrl(url: string): void {
    this.signIn.addLogoutUrl(url);
  }

  /**
   * Grant read access to conversations and messages (GetItem, BatchGetItem, Query on the table and the
   * `byUpdatedAt` index).
   */
  public grantReadConversations(grantee: iam.IGrantable): iam.Grant {
    return this.store.grantReadConversations(grantee);
  }
}
