/**
 * The local stack: a synthesized cloud assembly, run on this machine. Every resource the chat system needs is read
 * from the templates (see docs/architecture.md, "Local stack from the template"):
 * - AWS::DynamoDB::Table → a dynalite table with its keys and indexes; AWS::S3::Bucket → an s3rver bucket with its CORS;
 * - AWS::Lambda::Function → its staged asset run in worker threads with its Environment, Timeout and MemorySize;
 * - AWS::ApiGatewayV2::* → the WebSocket and HTTP API stand-ins with the template's routes, authorizers,
 *   integrations and CORS;
 * - AWS::Cognito::* → the local IdP (issuer as the template says) and the managed-login stand-in with the app
 *   client's callback and sign-out URLs, token validities and the pool's groups;
 * - AWS::CloudFront::Distribution + Custom::CDKBucketDeployment → the site as deployed (files, config.json with its
 *   markers resolved, response headers and CSP, SPA error responses).
 * AWS hosts named in the templates are mapped to the local servers by one EndpointResolver.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve as resolvePath } from 'node:path';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import {
  CreateTableCommand,
  CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { AssemblyStack, CloudAssembly } from './assembly';
import { FunctionError, FunctionSpec, LocalFunctionRuntime } from './functions';
import { EndpointResolver, TemplateError, TemplateResolver } from './resolver';
import { createTokenVerifier } from '../../lambdas/core/auth';
import { HttpApiRoute, startHttpApi, startWebSocketApi, WebSocketApi, WebSocketEvent } from '../emulators/api-gateway';
import { FakeRequest, startBedrockFake, StartBedrockFakeOptions } from '../emulators/bedrock';
import { GuardrailRegistry, startBedrockControl } from '../emulators/bedrock-guardrails';
import { startCognitoIdp } from '../emulators/cognito-idp';
import { startDynamoDb } from '../emulators/dynamodb';
import { LocalEventBus, s3EventOf } from '../emulators/event-rules';
import { s3Reader, startKnowledgeBaseEmulator, type KnowledgeBaseEmulator } from '../emulators/knowledge-base';
import { functionNameOf, LambdaEmulator, startLambda } from '../emulators/lambda';
import { startOpenSearchServerlessEmulator, type OpenSearchServerlessEmulator } from '../emulators/opensearch-serverless';
import { LocalPipe, startLocalPipe } from '../emulators/pipes';
import { corsRulesXml, startS3 } from '../emulators/s3';
import { startS3VectorsEmulator, type S3VectorsEmulator } from '../emulators/s3-vectors';
import { LocalExecution, LocalStateMachine, startStepFunctionsApi } from '../emulators/step-functions';
import { closeServer, readBody } from '../emulators/util';
import { existingKnowledgeBasesIn, registerExistingKnowledgeBases, type ExistingKnowledgeOptions } from '../existing-knowledge';
import { createLocalIdp, LOCAL_USERS, LocalIdp, LocalUser } from '../idp';
import { createManagedLogin, ManagedLoginClient } from '../managed-login';
import { offlineModel } from '../offline-model';

/** The package root (holds assets/ and src/local/public or, in the bundled CLI, assets/cli/public). */
export const PACKAGE_ROOT = findPackageRoot(__dirname);
const PUBLIC_DIR = [join(__dirname, '..', 'public'), join(__dirname, 'public'), join(PACKAGE_ROOT, 'assets', 'cli', 'public')].find((d) => existsSync(join(d, 'index.html')))!;

export interface LocalStackOptions {
  readonly assembly: CloudAssembly;
  /** Stack names (or artifact ids) to load. @default every stack of the assembly */
  readonly stacks?: readonly string[];
  /** Port of the site (the CloudFront stand-in). @default 0 (random) */
  readonly port?: number;
  /** Region when the stack has none. @default AWS_REGION or us-east-1 */
  readonly region?: string;
  /** `offline` (default): the Bedrock fake; `aws`: real Amazon Bedrock with your credentials. */
  readonly bedrock?: 'offline' | 'aws';
  readonly respond?: StartBedrockFakeOptions['respond'];
  readonly wordDelayMs?: number;
  readonly offlineMaxWords?: number;
  /** Discard the handlers' logs and the start-up summary. */
  readonly quiet?: boolean;
  /** Waits before the retries of failed asynchronous invocations. @default Lambda's [60000, 120000] */
  readonly asyncRetryDelaysMs?: readonly number[];
  /** Deliver every asynchronous event twice (Lambda delivers at least once; see StartLambdaOptions.redeliverAsync). */
  readonly redeliverAsync?: 'concurrent' | 'after';
  /** Serve the playground's pages (quick sign-in as alice/bob/admin) at `/` and `/launcher.html`. @default true */
  readonly playgroundPages?: boolean;
  /**
   * `isolated` (default): each function in worker threads with exactly its environment. `in-process`: the handlers'
   * TypeScript sources in this process, the environments merged into `process.env` (handler tests; see
   * FunctionRuntimeOptions.inProcess).
   */
  readonly handlers?: 'isolated' | 'in-process';
  /**
   * Wait states of the template's state machines pause at most this long, and their retriers wait at most this long
   * between attempts (tests). @default the definition's own times
   */
  readonly stateMachineMaxWaitMs?: number;
  /**
   * The knowledge bases the template's functions name in `KNOWLEDGE_EXISTING` (bots in `existing` mode) are
   * registered in the local knowledge base, with these documents (src/local/existing-knowledge.ts). @default empty
   */
  readonly existingKnowledge?: ExistingKnowledgeOptions;
}

export interface LocalUserPool {
  readonly userPoolId: string;
  readonly issuer: string;
  readonly clients: readonly ManagedLoginClient[];
  readonly groups: readonly string[];
  /** The managed login stand-in's origin (the user pool domain), if the pool has a domain. */
  readonly loginOrigin?: string;
  readonly idp: LocalIdp;
}

export interface LocalStack {
  /** The site: `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** The stacks' outputs, resolved and pointed at the local servers. */
  readonly outputs: Record<string, string>;
  readonly webSocketUrl?: string;
  readonly restApiUrl?: string;
  /** The deployed config.json (markers resolved, endpoints local), when the template deploys one. */
  readonly config?: Record<string, unknown>;
  readonly userPools: readonly LocalUserPool[];
  readonly functions: LocalFunctionRuntime;
  readonly lambda: LambdaEmulator;
  readonly webSocketApis: readonly WebSocketApi[];
  readonly endpoints: EndpointResolver;
  /** The local DynamoDB (the functions' `AWS_ENDPOINT_URL_DYNAMODB`). */
  readonly dynamoDbEndpoint: string;
  /**
   * The local Step Functions API (StartExecution of the template's machines), the functions' `AWS_ENDPOINT_URL_SFN`;
   * present when the template has state machines.
   */
  readonly stepFunctionsEndpoint?: string;
  /** The local Cognito Identity Provider API (the functions' `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`). */
  readonly cognitoEndpoint: string;
  /** What the local stack does not emulate, one line each (printed once at start-up). */
  readonly notEmulated: readonly string[];
  /**
   * The local knowledge bases and S3 Vectors, when the template declares `AWS::Bedrock::KnowledgeBase` or
   * `AWS::S3Vectors::*` resources: the endpoints functions get as `AWS_ENDPOINT_URL_BEDROCK_AGENT`,
   * `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME` and `AWS_ENDPOINT_URL_S3VECTORS`.
   */
  readonly knowledge?: {
    readonly agentEndpoint: string;
    readonly runtimeEndpoint: string;
    readonly vectorsEndpoint: string;
    /** The OpenSearch Serverless data plane, when the template has collections (a collection's endpoint: `${endpoint}/${id}`). */
    readonly opensearchEndpoint?: string;
    idle(): Promise<void>;
    /** Knowledge bases created meanwhile stay CREATING until released (KnowledgeBaseEmulator.holdCreating). */
    holdCreating(hold: boolean): void;
  };
  /** What was loaded, for the start-up message. */
  readonly summary: readonly string[];
  /** The guardrails the local Bedrock control plane holds. */
  readonly guardrails: GuardrailRegistry;
  bedrockRequests(): readonly FakeRequest[];
  /**
   * Sends a custom resource of the template (one whose provider is a function of the template) a CloudFormation
   * request again, as a stack update or deletion would; resolves with the provider's response, rejects when it failed.
   */
  customResource(logicalId: string, requestType: 'Update' | 'Delete'): Promise<Record<string, unknown>>;
  /** The template's state machines (AWS::StepFunctions::StateMachine), each with its executions so far. */
  stateMachines(): { logicalId: string; arn: string; executions: readonly LocalExecution[] }[];
  /** Resolves when no state machine execution is running. */
  idleStateMachines(): Promise<void>;

  /** Resolves once every pipe has delivered the stream records written before the call. */
  drainPipes(): Promise<void>;
  /** Each pipe's counts so far: records delivered to its target, records its filter dropped. */
  pipeStats(): { name: string; delivered: number; filteredOut: number }[];
  /** The logical ids of the custom resources run (their provider is a function of the template), with their physical ids. */
  customResources(): { logicalId: string; type: string; physicalId?: string }[];
  /**
   * An ID token of a built-in user for the first user pool (as its managed login would issue), valid for the app
   * client's ID token validity unless `expiresInSec` says otherwise (a short-lived token, for expiry tests).
   */
  issueToken(username: string, expiresInSec?: number): string;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const RESERVED_PASSTHROUGH = ['PATH', 'HOME', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'SystemRoot'];

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const stops: (() => Promise<void>)[] = [];
  let stopping = false;
  const notEmulated: string[] = [];
  const summary: string[] = [];
  try {
    const stacks = options.assembly.stacks.filter((s) => !options.stacks || options.stacks.includes(s.stackName) || options.stacks.includes(s.id));
    if (stacks.length === 0) throw new Error(`No stack to load: the assembly has ${options.assembly.stacks.map((s) => s.stackName).join(', ') || 'no stacks'}`);
    const defaultRegion = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
    const exportsByName = new Map<string, { resolver: () => TemplateResolver; value: unknown }>();
    const loaded = stacks.map((stack) => {
      const resolver: TemplateResolver = new TemplateResolver(stack.template, {
        stackName: stack.stackName,
        region: stack.region ?? defaultRegion,
        accountId: stack.account ?? '000000000000',
        importValue: (name) => {
          const e = exportsByName.get(name);
          if (!e) throw new TemplateError(`Fn::ImportValue ${name}: no loaded stack exports it`);
          return e.resolver().resolve(e.value);
        },
      });
      return { stack, r: resolver };
    });
    for (const { r } of loaded) for (const [name, value] of Object.entries(r.exports())) exportsByName.set(name, { resolver: () => r, value });
    const region = loaded[0].r.context.region;
    const endpoints = new EndpointResolver();
    const identityHosts = new EndpointResolver();
    const local = { accessKeyId: 'local', secretAccessKey: 'local' };
    const useAws = options.bedrock === 'aws';
    // Lambda hands a function its role's credentials in the environment, and the bundles read nothing else (their
    // credential chain is the environment link: scripts/bundle-lambda.mjs). For real Bedrock the credentials of
    // this machine (profile, SSO, environment...) are resolved here once, with the SDK's default chain, and given to
    // every function in the same three variables.
    const awsCredentials = useAws ? await new BedrockRuntimeClient({ region }).config.credentials() : undefined;

    // ---------------------------------------------------------------- DynamoDB
    const tableResources = loaded.flatMap(({ r }) => [...r.ofType('AWS::DynamoDB::Table'), ...r.ofType('AWS::DynamoDB::GlobalTable')].map((id) => ({ r, id })));
    const streamed = tableResources.some(({ r, id }) => (r.prop(id, 'StreamSpecification') as { StreamViewType?: string } | undefined)?.StreamViewType);
    // A table with a stream: dynalite gets the stream layer in front (moto has streams of its own).
    const dynamo = await startDynamoDb(streamed ? { streams: { region, accountId: loaded[0].r.context.accountId } } : {});
    stops.push(dynamo.stop);
    const ddb = new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials: local });
    for (const { r } of loaded) {
      for (const id of [...r.ofType('AWS::DynamoDB::Table'), ...r.ofType('AWS::DynamoDB::GlobalTable')]) {
        const name = String(r.ref(id));
        await createTable(ddb, name, r.resolve(r.resource(id).Properties ?? {}) as Record<string, unknown>);
        const ttl = r.prop(id, 'TimeToLiveSpecification') as { AttributeName?: string; Enabled?: boolean } | undefined;
        summary.push(`table ${name}`);
        if (ttl?.Enabled) notEmulated.push(`DynamoDB TTL of ${name} (${ttl.AttributeName}): items are not deleted when they expire (dynalite has no TTL)`);
      }
    }
    ddb.destroy();

    // ---------------------------------------------------------------- S3
    const buckets: { name: string; corsXml?: string }[] = [];
    // Buckets that send their object events to EventBridge (NotificationConfiguration.EventBridgeConfiguration:
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-eventbridgeconfiguration.html),
    // to the default bus once it is read from the template below.
    const eventBridgeBuckets = new Set<string>();
    let bus: LocalEventBus | undefined;
    for (const { r } of loaded) {
      for (const id of r.ofType('AWS::S3::Bucket')) {
        const name = String(r.ref(id));
        const notifications = r.prop(id, 'NotificationConfiguration') as { EventBridgeConfiguration?: { EventBridgeEnabled?: boolean } } | undefined;
        if (notifications?.EventBridgeConfiguration?.EventBridgeEnabled) eventBridgeBuckets.add(name);
        const cors = r.prop(id, 'CorsConfiguration') as { CorsRules?: Parameters<typeof corsRulesXml>[0] } | undefined;
        buckets.push({ name, corsXml: cors?.CorsRules ? corsRulesXml(cors.CorsRules) : undefined });
        if (r.prop(id, 'LifecycleConfiguration')) notEmulated.push(`S3 lifecycle rules of ${name} (objects do not expire; object tags, which rules can filter on, are kept)`);
      }
    }
    const s3 = await startS3({
      bucketConfigs: buckets,
      accessKeyIds: ['local', 'test', process.env.AWS_ACCESS_KEY_ID].filter((k): k is string => !!k),
      onObjectEvent: (record) => {
        if (!eventBridgeBuckets.has(record.s3.bucket.name) || !bus) return;
        const event = s3EventOf(record, region, loaded[0].r.context.accountId);
        if (event) bus.put(event);
      },
    });
    stops.push(s3.stop);
    for (const { r } of loaded) {
      for (const id of r.ofType('AWS::S3::Bucket')) {
        for (const attr of ['RegionalDomainName', 'DomainName', 'DualStackDomainName']) endpoints.add(String(r.getAtt(id, attr)), s3.endpoint);
      }
    }

    // ---------------------------------------------------------------- Knowledge bases and S3 Vectors
    let knowledgeEmulator: KnowledgeBaseEmulator | undefined;
    let vectorsEmulator: S3VectorsEmulator | undefined;
    let ossEmulator: OpenSearchServerlessEmulator | undefined;
    const kbTypes = ['AWS::S3Vectors::VectorBucket', 'AWS::S3Vectors::Index', 'AWS::Bedrock::KnowledgeBase', 'AWS::Bedrock::DataSource', 'AWS::OpenSearchServerless::Collection'];
    if (loaded.some(({ r }) => kbTypes.some((t) => r.ofType(t).length > 0))) {
      const accountId = loaded[0].r.context.accountId;
      vectorsEmulator = await startS3VectorsEmulator({ region, account: accountId });
      stops.push(vectorsEmulator.stop);
      const kbS3 = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region, credentials: local });
      stops.push(async () => kbS3.destroy());
      if (loaded.some(({ r }) => r.ofType('AWS::OpenSearchServerless::Collection').length > 0)) {
        ossEmulator = await startOpenSearchServerlessEmulator({ region, account: accountId });
        stops.push(ossEmulator.stop);
        summary.push(...openSearchFromTemplates(loaded.map(({ r }) => r), ossEmulator));
        notEmulated.push('OpenSearch Serverless: network and data access policies are not enforced; knn search is exact, not HNSW');
      }
      knowledgeEmulator = await startKnowledgeBaseEmulator({
        region, account: accountId, vectors: vectorsEmulator.store, opensearch: ossEmulator?.store, s3: s3Reader(kbS3),
      });
      stops.push(knowledgeEmulator.stop);
      const api = (v: unknown) => apiShape(v);
      for (const { r } of loaded) {
        for (const id of r.ofType('AWS::S3Vectors::VectorBucket')) {
          const arn = String(r.ref(id));
          vectorsEmulator.store.createVectorBucket(arn.slice(arn.lastIndexOf('/') + 1));
          summary.push(`vector bucket ${arn}`);
        }
      }
      for (const { r } of loaded) {
        for (const id of r.ofType('AWS::S3Vectors::Index')) {
          const p = r.resolve(r.resource(id).Properties ?? {}) as Record<string, unknown>;
          const indexArn = String(r.ref(id));
          vectorsEmulator.store.createIndex({ ...(api(p) as any), indexName: indexArn.slice(indexArn.lastIndexOf('/') + 1) });
          summary.push(`vector index ${indexArn}`);
        }
      }
      for (const { r } of loaded) {
        for (const id of r.ofType('AWS::Bedrock::KnowledgeBase')) {
          const p = api(r.resolve(r.resource(id).Properties ?? {})) as any;
          const knowledgeBaseId = knowledgeEmulator.addKnowledgeBase({ ...p, knowledgeBaseId: String(r.ref(id)) });
          summary.push(`knowledge base ${knowledgeBaseId} (${p.name}, ${p.storageConfiguration?.type})`);
        }
        for (const id of r.ofType('AWS::Bedrock::DataSource')) {
          const p = api(r.resolve(r.resource(id).Properties ?? {})) as any;
          const dataSourceId = String(r.getAtt(id, 'DataSourceId'));
          knowledgeEmulator.addDataSource({ ...p, dataSourceId });
          summary.push(`data source ${dataSourceId} (${p.name}, ${p.dataSourceConfiguration?.type}) of knowledge base ${p.knowledgeBaseId}`);
        }
      }
      // knowledge bases that exist outside the template (they are the account's in AWS)
      const environments = loaded.flatMap(({ r }) => r.ofType('AWS::Lambda::Function').map((id) => (r.resolve((r.resource(id).Properties?.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}) ?? {}) as Record<string, unknown>));
      const existing = existingKnowledgeBasesIn(environments);
      summary.push(...await registerExistingKnowledgeBases(knowledgeEmulator, existing, options.existingKnowledge, region));
      notEmulated.push('Knowledge bases: retrieval is lexical (MiniSearch), not by embeddings; the embedding model is not called; parsing and chunking are local approximations (docs/architecture.md, "The local knowledge base")');
    }

    // ---------------------------------------------------------------- Step Functions API (StartExecution, for functions)
    // The machines themselves are made further down, once the functions exist; the API looks them up when called.
    const machines = new Map<string, { logicalId: string; machine: LocalStateMachine }>();
    let sfnApi: { endpoint: string; stop: () => Promise<void> } | undefined;
    if (loaded.some(({ r }) => r.ofType('AWS::StepFunctions::StateMachine').length > 0)) {
      sfnApi = await startStepFunctionsApi((arn) => machines.get(arn)?.machine);
      stops.push(sfnApi.stop);
    }

    // ---------------------------------------------------------------- Bedrock
    let bedrockRequests: readonly FakeRequest[] = [];
    let bedrockEndpoint: string | undefined;
    let bedrockControlEndpoint: string | undefined;
    const guardrails = new GuardrailRegistry(region, loaded[0].r.context.accountId);
    // The deployment's own guardrail (GUARDRAIL_ID/GUARDRAIL_VERSION of the worker, ChatBackend's `guardrail` prop) is
    // made outside the stack: it exists, as it must in the account.
    for (const { r } of loaded) {
      for (const id of r.ofType('AWS::Lambda::Function')) {
        const vars = (r.resource(id).Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
        if (typeof vars?.GUARDRAIL_ID === 'string') guardrails.assumeExisting(vars.GUARDRAIL_ID, typeof vars.GUARDRAIL_VERSION === 'string' ? vars.GUARDRAIL_VERSION : 'DRAFT');
      }
    }
    if (!useAws) {
      const respond = options.respond ?? offlineModel({ wordDelayMs: options.wordDelayMs, maxOutputWords: options.offlineMaxWords });
      // The control plane's guardrail operations, and the runtime refusing a guardrail that does not exist.
      const control = await startBedrockControl(guardrails);
      stops.push(control.stop);
      bedrockControlEndpoint = control.endpoint;
      const bedrock = await startBedrockFake({ respond, guardrails });
      stops.push(bedrock.stop);
      bedrockRequests = bedrock.requests;
      bedrockEndpoint = bedrock.endpoint;
    }

    // ---------------------------------------------------------------- Lambda (functions run on demand)
    let runtime: LocalFunctionRuntime | undefined;
    const invoke = (name: string, event: unknown) => {
      if (!runtime) throw new Error('functions are not loaded yet');
      return runtime.invoke(name, event);
    };
    const functionIds = new Map<string, { r: TemplateResolver; id: string }>();
    for (const { r } of loaded) for (const id of r.ofType('AWS::Lambda::Function')) functionIds.set(String(r.ref(id)), { r, id });
    const maxRetriesByFunction: Record<string, number> = {};
    const onFailureByFunction: Record<string, string> = {};
    for (const { r } of loaded) {
      for (const id of r.ofType('AWS::Lambda::EventInvokeConfig')) {
        const retries = r.prop(id, 'MaximumRetryAttempts');
        const fnName = functionNameOf(r.str(r.resource(id).Properties!.FunctionName));
        if (retries !== undefined) maxRetriesByFunction[fnName] = Number(retries);
        // The OnFailure destination, when it is a function of the template (queues, topics, buses are not emulated).
        const config = r.resource(id).Properties?.DestinationConfig as { OnFailure?: { Destination?: unknown }; OnSuccess?: unknown } | undefined;
        if (config?.OnSuccess !== undefined) notEmulated.push(`on-success destination of ${fnName}`);
        const destination = config?.OnFailure?.Destination;
        if (destination !== undefined) {
          const arn = r.str(destination);
          if (arn.includes(':function:') || functionIds.has(arn)) onFailureByFunction[fnName] = functionNameOf(arn);
          else notEmulated.push(`on-failure destination ${arn} of ${fnName} (only Lambda functions are)`);
        }
      }
    }
    const lambda = await startLambda({
      functions: Object.fromEntries([...functionIds.keys()].map((name) => [name, (event: unknown) => invoke(name, event)])),
      asyncRetry: { delaysMs: options.asyncRetryDelaysMs },
      maxRetriesByFunction,
      redeliverAsync: options.redeliverAsync,
      onFailureByFunction,
    });
    stops.push(lambda.stop);

    // ---------------------------------------------------------------- Cognito
    const userPools: LocalUserPool[] = [];
    const loginServers: { server: Server; pool: () => LocalUserPool }[] = [];
    for (const { r } of loaded) {
      for (const poolId of r.ofType('AWS::Cognito::UserPool')) {
        const userPoolId = String(r.ref(poolId));
        const issuer = `https://cognito-idp.${r.context.region}.amazonaws.com/${userPoolId}`;
        const belongs = (type: string) => r.ofType(type).filter((id) => r.prop(id, 'UserPoolId') === userPoolId);
        const clients = belongs('AWS::Cognito::UserPoolClient').map((id) => clientFrom(r, id, endpoints));
        const groups = belongs('AWS::Cognito::UserPoolGroup').map((id) => r.str(r.resource(id).Properties!.GroupName));
        const idp = createLocalIdp({ issuer, audience: clients[0]?.clientId ?? '' });
        const lambdaConfig = r.prop(poolId, 'LambdaConfig') as Record<string, unknown> | undefined;
        for (const [trigger, arn] of Object.entries(lambdaConfig ?? {})) {
          notEmulated.push(`Cognito trigger ${trigger} (${functionNameOf(String(arn))}) is not run: the built-in users exist, confirmed, in their groups`);
        }
        const pool: LocalUserPool = { userPoolId, issuer, clients, groups, idp };
        userPools.push(pool);
        summary.push(`user pool ${userPoolId}: ${clients.length} client(s), groups ${groups.join(', ') || 'none'}`);
        if (belongs('AWS::Cognito::UserPoolDomain').length === 0) {
          summary.push(`user pool ${userPoolId} has no managed login domain (AWS::Cognito::UserPoolDomain): the app's own sign-in is not configured, as deployed; use the quick sign-in`);
        }
        for (const domainId of belongs('AWS::Cognito::UserPoolDomain')) {
          const custom = r.prop(domainId, 'CustomDomainConfig');
          const domain = r.str(r.resource(domainId).Properties!.Domain);
          const host = custom ? domain : `${domain}.auth.${r.context.region}.amazoncognito.com`;
          const server = createServer();
          const port = await listen(server, 0);
          stops.push(() => closeServer(server));
          const origin = `http://127.0.0.1:${port}`;
          endpoints.add(host, origin);
          identityHosts.add(host, origin);
          (pool as { loginOrigin?: string }).loginOrigin ??= origin;
          loginServers.push({ server, pool: () => pool });
          summary.push(`managed login ${host} → ${origin}`);
        }
      }
    }
    // The user pools' admin API (groups, user search) for the functions, with the template's groups and the built-in users.
    const cognitoIdp = await startCognitoIdp(userPools.map((p) => ({
      userPoolId: p.userPoolId,
      groups: p.groups.map((name) => ({ name, ...groupDescriptions(loaded.map((l) => l.r), p.userPoolId, name) })),
      users: usersOf(p.groups),
    })));
    stops.push(cognitoIdp.stop);
    // A token the local IdP issues stands for a user of its pool (tests issue tokens for users of their own): the
    // user exists for the admin API too, with the token's groups, unless the pool knows it already.
    for (const p of userPools) {
      const issue = p.idp.issueIdToken.bind(p.idp);
      (p.idp as { issueIdToken: typeof issue }).issueIdToken = (user, opts) => {
        cognitoIdp.ensureUser(p.userPoolId, user);
        return issue(user, opts);
      };
    }
    if (userPools.length > 0) summary.push(`Cognito Identity Provider API → ${cognitoIdp.endpoint}`);
    // The IdP's keys, where Cognito publishes them: https://cognito-idp.<region>.amazonaws.com/<poolId>/.well-known/jwks.json
    const idpServer = createServer((req, res) => {
      const m = /^\/([^/]+)\/\.well-known\/(jwks\.json|openid-configuration)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
      const pool = m && userPools.find((p) => p.userPoolId === m[1]);
      if (!pool) return sendJson(res, 404, { message: 'Not found' });
      if (m[2] === 'jwks.json') return sendJson(res, 200, pool.idp.jwks);
      return sendJson(res, 200, { issuer: pool.issuer, jwks_uri: `${pool.issuer}/.well-known/jwks.json`, id_token_signing_alg_values_supported: ['RS256'] });
    });
    const idpOrigin = `http://127.0.0.1:${await listen(idpServer, 0)}`;
    stops.push(() => closeServer(idpServer));
    const jwksUriOf = (issuer: string) => {
      const pool = userPools.find((p) => p.issuer === issuer);
      return pool ? `${idpOrigin}/${pool.userPoolId}/.well-known/jwks.json` : undefined;
    };
    identityHosts.add(`cognito-idp.${region}.amazonaws.com`, idpOrigin);
    for (const { server, pool } of loginServers) {
      const p = pool();
      const login = createManagedLogin({ idp: p.idp, clients: p.clients, basePath: '', users: usersOf(p.groups) });
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        login.handle(req, res, new URL(req.url ?? '/', 'http://127.0.0.1')).catch((err) => {
          if (!res.headersSent) sendJson(res, 500, { error: 'server_error', message: String(err) });
        });
      });
    }

    // ---------------------------------------------------------------- API Gateway v2
    const webSocketApis: WebSocketApi[] = [];
    let webSocketUrl: string | undefined;
    let restApiUrl: string | undefined;
    const integrationFunction = (r: TemplateResolver, apiId: string, target: unknown): string | undefined => {
      if (target === undefined) return undefined;
      const integrationRef = r.str(target).replace(/^integrations\//, '');
      const integrationId = r.ofType('AWS::ApiGatewayV2::Integration').find((id) => r.ref(id) === integrationRef && r.prop(id, 'ApiId') === apiId);
      if (!integrationId) throw new TemplateError(`route target ${integrationRef} is no integration of API ${apiId}`);
      const type = r.prop(integrationId, 'IntegrationType');
      if (type !== 'AWS_PROXY') throw new TemplateError(`integration type ${String(type)} is not emulated (only AWS_PROXY to Lambda)`);
      return lambdaOfUri(r.str(r.resource(integrationId).Properties!.IntegrationUri));
    };
    for (const { r } of loaded) {
      for (const apiLogicalId of r.ofType('AWS::ApiGatewayV2::Api')) {
        const apiId = String(r.ref(apiLogicalId));
        const protocol = r.prop(apiLogicalId, 'ProtocolType');
        const routes = r.ofType('AWS::ApiGatewayV2::Route').filter((id) => r.prop(id, 'ApiId') === apiId);
        const stageId = r.ofType('AWS::ApiGatewayV2::Stage').find((id) => r.prop(id, 'ApiId') === apiId);
        const stage = stageId ? r.str(r.resource(stageId).Properties!.StageName) : '$default';
        const stageProps = stageId ? r.resource(stageId).Properties ?? {} : {};
        const throttled = (stageProps.DefaultRouteSettings as Record<string, unknown> | undefined)?.ThrottlingRateLimit !== undefined
          || Object.keys((stageProps.RouteSettings as object | undefined) ?? {}).length > 0;
        if (throttled) notEmulated.push(`stage throttling of ${protocol} API ${apiLogicalId}: requests are never throttled locally (the limits are checked in the template)`);
        const host = `${apiId}.execute-api.${r.context.region}.amazonaws.com`;
        const authorizerOf = (routeId: string) => {
          const ref = r.prop(routeId, 'AuthorizerId');
          if (ref === undefined) return undefined;
          const authId = r.ofType('AWS::ApiGatewayV2::Authorizer').find((id) => r.ref(id) === ref);
          if (!authId) throw new TemplateError(`route ${routeId}: no authorizer ${String(ref)}`);
          return r.resolve(r.resource(authId).Properties) as {
            AuthorizerType: string; AuthorizerUri?: string; IdentitySource?: string[]; JwtConfiguration?: { Issuer: string; Audience: string[] };
          };
        };
        if (protocol === 'WEBSOCKET') {
          const selection = r.prop(apiLogicalId, 'RouteSelectionExpression');
          if (selection !== '$request.body.action') throw new TemplateError(`WebSocket API ${apiId}: route selection ${String(selection)} is not emulated`);
          const byKey = new Map<string, string | undefined>();
          let authorizerFn: string | undefined;
          let identitySources: string[] | undefined;
          for (const id of routes) {
            const key = r.str(r.resource(id).Properties!.RouteKey);
            byKey.set(key, integrationFunction(r, apiId, r.resource(id).Properties!.Target));
            const auth = key === '$connect' ? authorizerOf(id) : undefined;
            if (auth) {
              if (auth.AuthorizerType !== 'REQUEST') throw new TemplateError(`WebSocket authorizer type ${auth.AuthorizerType} is not emulated`);
              authorizerFn = lambdaOfUri(auth.AuthorizerUri ?? '');
              identitySources = auth.IdentitySource;
            }
          }
          const ws = await startWebSocketApi({
            stage,
            apiId,
            region: r.context.region,
            accountId: r.context.accountId,
            routes: [...byKey.keys()].filter((k) => !k.startsWith('$')),
            identitySources,
            authorizer: authorizerFn ? async (event) => await invoke(authorizerFn!, event) as never : undefined,
            handler: async (event: WebSocketEvent) => {
              const key = event.requestContext.routeKey;
              const fn = byKey.get(key);
              if (!fn) {
                // No route for it and no $default: API Gateway answers with an error message on the socket.
                return key === '$connect' || key === '$disconnect' ? undefined : { statusCode: 200 };
              }
              try {
                return await invoke(fn, event) as never;
              } catch (err) {
                // A socket closed by stop(): its $disconnect has no function left to run.
                if (stopping && key === '$disconnect') return undefined;
                throw err;
              }
            },
          });
          stops.push(ws.stop);
          webSocketApis.push(ws);
          endpoints.add(host, ws.callbackUrl.replace(/\/[^/]*$/, ''));
          webSocketUrl ??= ws.url;
          summary.push(`WebSocket API ${apiId} (${[...byKey.keys()].join(', ')}) → ${ws.url}`);
        } else if (protocol === 'HTTP') {
          if (stage !== '$default') throw new TemplateError(`HTTP API ${apiId}: stage ${stage} is not emulated (only $default)`);
          const httpRoutes: HttpApiRoute[] = routes.map((id) => {
            const props = r.resource(id).Properties!;
            const fn = integrationFunction(r, apiId, props.Target);
            const auth = r.prop(id, 'AuthorizationType') === 'JWT' ? authorizerOf(id) : undefined;
            let authorize: HttpApiRoute['authorize'];
            if (auth?.JwtConfiguration) {
              const { Issuer: issuer, Audience: audience } = auth.JwtConfiguration;
              const jwksUri = jwksUriOf(issuer);
              if (!jwksUri) throw new TemplateError(`JWT authorizer issuer ${issuer} is not a user pool of the loaded stacks`);
              const verifiers = audience.map((aud) => createTokenVerifier({ issuer, audience: aud, jwksUri }));
              authorize = async (token) => {
                const errors: unknown[] = [];
                for (const verify of verifiers) {
                  try {
                    await verify(token);
                    return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
                  } catch (err) {
                    errors.push(err);
                  }
                }
                return undefined;
              };
            }
            return {
              routeKey: r.str(props.RouteKey),
              authorize,
              handler: async (event) => {
                if (!fn) return { statusCode: 500, body: JSON.stringify({ message: 'Internal Server Error' }) };
                return await invoke(fn, event) as never;
              },
            };
          });
          const cors = r.prop(apiLogicalId, 'CorsConfiguration') as {
            AllowOrigins?: string[];
            AllowHeaders?: string[];
            AllowMethods?: string[];
            ExposeHeaders?: string[];
            MaxAge?: number;
            AllowCredentials?: boolean;
          } | undefined;
          const api = await startHttpApi({
            apiId,
            routes: httpRoutes,
            cors: cors ? {
              allowOrigins: cors.AllowOrigins,
              allowHeaders: cors.AllowHeaders,
              allowMethods: cors.AllowMethods,
              exposeHeaders: cors.ExposeHeaders,
              maxAge: cors.MaxAge,
              allowCredentials: cors.AllowCredentials,
            } : { allowOrigins: [] },
          });
          stops.push(api.stop);
          endpoints.add(host, api.url);
          restApiUrl ??= api.url;
          summary.push(`HTTP API ${apiId} (${httpRoutes.map((x) => x.routeKey).join(', ')}) → ${api.url}`);
        }
      }
    }

    // ---------------------------------------------------------------- the site (CloudFront stand-in)
    const site = createServer();
    const sitePort = await listen(site, options.port ?? 0);
    stops.push(() => closeServer(site));
    const siteOrigin = `http://127.0.0.1:${sitePort}`;
    const distributions = loaded.flatMap(({ r }) => r.ofType('AWS::CloudFront::Distribution').map((id) => ({ r, id })));
    for (const { r, id } of distributions) {
      endpoints.add(String(r.getAtt(id, 'DomainName')), siteOrigin);
      for (const alias of (r.prop(id, 'DistributionConfig') as { Aliases?: string[] }).Aliases ?? []) endpoints.add(alias, siteOrigin);
    }
    if (distributions.length > 0) {
      notEmulated.push('CloudFront itself: no edge caching, TLS, geo restriction, access logs or invalidations; the site is served directly with the distribution\'s root object, error responses and response headers (CSP included)');
    }
    if (distributions.length > 1) notEmulated.push(`${distributions.length - 1} more CloudFront distribution(s): only the first is served`);
    const siteFiles = new Map<string, { file?: string; content?: Buffer }>();
    let headers: Record<string, string> = {};
    const behaviours: { pattern: RegExp; headers: Record<string, string> }[] = [];
    let errorResponses: { ErrorCode: number; ResponseCode?: number; ResponsePagePath?: string }[] = [];
    let rootObject = 'index.html';
    if (distributions.length > 0) {
      const { r, id } = distributions[0];
      const config = r.prop(id, 'DistributionConfig') as {
        Origins: { DomainName: string; OriginPath?: string }[];
        DefaultRootObject?: string;
        DefaultCacheBehavior: { ResponseHeadersPolicyId?: string };
        CacheBehaviors?: { PathPattern: string; ResponseHeadersPolicyId?: string }[];
        CustomErrorResponses?: typeof errorResponses;
      };
      rootObject = config.DefaultRootObject ?? '';
      errorResponses = config.CustomErrorResponses ?? [];
      const policyHeaders = (policyId?: string) => {
        if (!policyId) return {};
        for (const { r: pr } of loaded) {
          const pid = pr.ofType('AWS::CloudFront::ResponseHeadersPolicy').find((x) => pr.ref(x) === policyId);
          if (pid) return responseHeaders(pr.prop(pid, 'ResponseHeadersPolicyConfig') as ResponseHeadersPolicyConfig, (v) => identityHosts.rewrite(endpoints.rewrite(v)));
        }
        notEmulated.push(`response headers policy ${policyId} (a managed policy) is not applied`);
        return {};
      };
      headers = policyHeaders(config.DefaultCacheBehavior.ResponseHeadersPolicyId);
      for (const b of config.CacheBehaviors ?? []) {
        behaviours.push({ pattern: globToRegExp(b.PathPattern), headers: policyHeaders(b.ResponseHeadersPolicyId) });
      }
      // The bucket the distribution reads from, and what the deployments put there.
      const originDomain = config.Origins[0]?.DomainName;
      for (const { stack, r: dr } of loaded) {
        for (const depId of dr.ofType('Custom::CDKBucketDeployment')) {
          const p = dr.resolve(dr.resource(depId).Properties) as {
            DestinationBucketName: string; DestinationBucketKeyPrefix?: string; SourceObjectKeys: string[]; SourceMarkers?: Record<string, string>[];
          };
          const bucketId = loaded.flatMap(({ r: br }) => br.ofType('AWS::S3::Bucket').filter((b) => br.ref(b) === p.DestinationBucketName).map((b) => ({ br, b })))[0];
          if (!bucketId || bucketId.br.getAtt(bucketId.b, 'RegionalDomainName') !== originDomain) continue;
          p.SourceObjectKeys.forEach((key, i) => addDeployment(stack, key, p.DestinationBucketKeyPrefix ?? '', p.SourceMarkers?.[i] ?? {}, siteFiles, (v) => endpoints.rewrite(v)));
        }
      }
      summary.push(`site ${siteOrigin} (${siteFiles.size} files from the deployment)`);
    }
    const configFile = siteFiles.get('config.json');
    const config = configFile?.content ? JSON.parse(configFile.content.toString('utf8')) as Record<string, unknown> : undefined;

    // ---------------------------------------------------------------- the functions
    const packageHandlers = libraryHandlers();
    const specs: FunctionSpec[] = [];
    for (const [name, { r, id }] of functionIds) {
      const p = r.resource(id).Properties ?? {};
      const fnRuntime = String(r.resolve(p.Runtime) ?? '');
      if (!fnRuntime.startsWith('nodejs')) {
        if (!/CDKBucketDeployment/.test(id)) notEmulated.push(`function ${id} (${fnRuntime || 'container image'}): only Node.js functions run locally`);
        continue;
      }
      const code = r.resolve(p.Code) as { S3Key?: string; ZipFile?: string };
      const hash = code.S3Key?.replace(/\.zip$/, '');
      const asset = hash ? loaded.map((l) => l.stack.assets[hash]).find(Boolean) : undefined;
      if (!asset || !existsSync(asset.path) || !statSync(asset.path).isDirectory()) {
        notEmulated.push(`function ${id}: its code is not a staged asset directory of the assembly`);
        continue;
      }
      if (p.ReservedConcurrentExecutions !== undefined) {
        notEmulated.push(`reserved concurrency of ${id} (${String(r.resolve(p.ReservedConcurrentExecutions))}): not applied locally, where every function runs as often as asked`);
      }
      const handler = String(r.resolve(p.Handler) ?? 'index.handler');
      const dot = handler.lastIndexOf('.');
      const moduleName = handler.slice(0, dot);
      const file = ['.js', '.mjs', '.cjs'].map((ext) => join(asset.path, moduleName + ext)).find(existsSync);
      if (!file) {
        notEmulated.push(`function ${id}: no ${moduleName}.js or .mjs in its asset`);
        continue;
      }
      const templateEnv = (r.resolve((p.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}) ?? {}) as Record<string, unknown>;
      const timeoutSec = Number(r.resolve(p.Timeout) ?? 3);
      const memoryMb = Number(r.resolve(p.MemorySize) ?? 128);
      const logGroup = (r.resolve(p.LoggingConfig) as { LogGroup?: string } | undefined)?.LogGroup ?? `/aws/lambda/${name}`;
      const env: Record<string, string> = {};
      // The template's variables: endpoints point at the local servers; issuers stay (they are identities).
      for (const [k, v] of Object.entries(templateEnv)) env[k] = endpoints.rewrite(String(v));
      // Lambda's reserved variables (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
      Object.assign(env, {
        _HANDLER: handler,
        AWS_REGION: r.context.region,
        AWS_DEFAULT_REGION: r.context.region,
        AWS_EXECUTION_ENV: `AWS_Lambda_${fnRuntime}`,
        AWS_LAMBDA_FUNCTION_NAME: name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_LAMBDA_LOG_GROUP_NAME: logGroup,
        AWS_LAMBDA_LOG_STREAM_NAME: 'local',
        LAMBDA_TASK_ROOT: asset.path,
        LAMBDA_RUNTIME_DIR: asset.path,
        LANG: 'en_US.UTF-8',
        TZ: ':UTC',
      });
      for (const k of RESERVED_PASSTHROUGH) if (process.env[k] !== undefined && (k === 'PATH' || useAws)) env[k] = process.env[k]!;
      // Credentials, as the execution role would give them: local ones, or yours for real Bedrock.
      if (useAws) {
        env.AWS_ACCESS_KEY_ID = awsCredentials!.accessKeyId;
        env.AWS_SECRET_ACCESS_KEY = awsCredentials!.secretAccessKey;
        if (awsCredentials!.sessionToken) env.AWS_SESSION_TOKEN = awsCredentials!.sessionToken;
      } else {
        env.AWS_ACCESS_KEY_ID = local.accessKeyId;
        env.AWS_SECRET_ACCESS_KEY = local.secretAccessKey;
      }
      // The local endpoints (the SDK's AWS_ENDPOINT_URL_<SERVICE>: https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
      env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
      env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
      env.AWS_ENDPOINT_URL_LAMBDA = lambda.endpoint;
      env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER = cognitoIdp.endpoint;
      if (bedrockEndpoint) env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME = bedrockEndpoint;
      if (knowledgeEmulator) {
        env.AWS_ENDPOINT_URL_BEDROCK_AGENT = knowledgeEmulator.endpoint;
        env.AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME = knowledgeEmulator.runtimeEndpoint;
      }
      if (vectorsEmulator) env.AWS_ENDPOINT_URL_S3VECTORS = vectorsEmulator.endpoint;
      if (sfnApi) env.AWS_ENDPOINT_URL_SFN = sfnApi.endpoint;
      if (bedrockControlEndpoint) env.AWS_ENDPOINT_URL_BEDROCK = bedrockControlEndpoint;
      // Local-only additions (documented in the README): s3rver needs path-style requests; the JWKS of the issuer
      // comes from the local IdP; Node 20's SDK notice is silenced (Lambda runs Node 24).
      env.S3_FORCE_PATH_STYLE = 'true';
      if (env.JWT_ISSUER && jwksUriOf(env.JWT_ISSUER)) env.JWT_JWKS_URI = jwksUriOf(env.JWT_ISSUER)!;
      env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
      const digest = sha256File(file);
      const handlerName = packageHandlers.get(digest);
      specs.push({ name, logicalId: id, file, exportName: handler.slice(dot + 1), handlerName, env, timeoutSec, memoryMb, arn: String(r.getAtt(id, 'Arn')) });
      summary.push(`function ${id}${handlerName ? ` (${handlerName})` : ''}: ${timeoutSec} s, ${memoryMb} MB, ${Object.keys(templateEnv).length} template variable(s)`);
    }
    runtime = new LocalFunctionRuntime(specs, {
      quiet: options.quiet,
      inProcess: options.handlers === 'in-process' ? {
        moduleOf: (spec) => {
          const source = spec.handlerName && join(PACKAGE_ROOT, 'src', 'lambdas', `${spec.handlerName}.ts`);
          return source && existsSync(source) ? source : spec.file;
        },
      } : undefined,
    });
    stops.push(() => runtime!.stop());

    // ---------------------------------------------------------------- EventBridge Pipes (DynamoDB stream → function)
    const localPipes: LocalPipe[] = [];
    const pipeNames: string[] = [];
    for (const { r } of loaded) {
      for (const id of r.ofType('AWS::Pipes::Pipe')) {
        const p = r.resolve(r.resource(id).Properties) as {
          Source: string;
          Target: string;
          DesiredState?: string;
          Enrichment?: string;
          SourceParameters?: {
            FilterCriteria?: { Filters?: { Pattern?: string }[] };
            DynamoDBStreamParameters?: { StartingPosition: 'TRIM_HORIZON' | 'LATEST'; BatchSize?: number; MaximumRetryAttempts?: number; DeadLetterConfig?: { Arn?: string } };
          };
          TargetParameters?: { LambdaFunctionParameters?: { InvocationType?: string } };
        };
        const table = /:table\/([^/]+)\/stream\//.exec(p.Source)?.[1];
        const target = functionNameOf(p.Target);
        if (!table || !p.SourceParameters?.DynamoDBStreamParameters) {
          notEmulated.push(`pipe ${id}: source ${p.Source} (only DynamoDB streams are emulated)`);
          continue;
        }
        if (!functionIds.has(target)) {
          notEmulated.push(`pipe ${id}: target ${p.Target} (only functions of the template are emulated)`);
          continue;
        }
        if (p.DesiredState === 'STOPPED') continue;
        if (p.Enrichment) notEmulated.push(`pipe ${id}: enrichment ${p.Enrichment} is not applied`);
        const params = p.SourceParameters.DynamoDBStreamParameters;
        const ddbClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials: local });
        const streamArn = (await ddbClient.send(new DescribeTableCommand({ TableName: table }))).Table?.LatestStreamArn;
        ddbClient.destroy();
        if (!streamArn) throw new TemplateError(`pipe ${id}: table ${table} has no stream (StreamSpecification)`);
        const dlq = params.DeadLetterConfig?.Arn;
        if (dlq) notEmulated.push(`pipe ${id}: its dead-letter queue ${dlq} (records dropped after ${params.MaximumRetryAttempts ?? -1} retries are reported on stderr)`);
        const fireAndForget = p.TargetParameters?.LambdaFunctionParameters?.InvocationType === 'FIRE_AND_FORGET';
        const pipe = await startLocalPipe({
          name: id,
          endpoint: dynamo.endpoint,
          region,
          streamArn,
          sourceArn: p.Source,
          startingPosition: params.StartingPosition,
          batchSize: params.BatchSize,
          maximumRetryAttempts: params.MaximumRetryAttempts,
          filters: (p.SourceParameters.FilterCriteria?.Filters ?? []).map((f) => f.Pattern ?? '{}'),
          // REQUEST_RESPONSE: the function's error is the pipe's failure (retried); FIRE_AND_FORGET: an Event invoke.
          invoke: async (batch) => {
            if (!fireAndForget) return invoke(target, batch);
            invoke(target, batch).catch(() => undefined);
            return undefined;
          },
          onDrop: (records, err) => process.stderr.write(`pipe ${id}: ${records.length} record(s) dropped after retries: ${String((err as Error)?.message ?? err)}\n`),
        });
        localPipes.push(pipe);
        pipeNames.push(id);
        stops.push(() => pipe.stop());
        summary.push(`pipe ${id}: stream of ${table} → ${target} (batch ${params.BatchSize ?? 100}, ${p.SourceParameters.FilterCriteria?.Filters?.length ?? 0} filter(s))`);
      }
    }

    // ---------------------------------------------------------------- Step Functions and EventBridge rules
    for (const { r } of loaded) {
      for (const id of r.ofType('AWS::StepFunctions::StateMachine')) {
        const p = r.resource(id).Properties ?? {};
        if (p.DefinitionString === undefined) {
          notEmulated.push(`state machine ${id}: only a DefinitionString is read (not Definition or DefinitionS3Location)`);
          continue;
        }
        const arn = String(r.ref(id));
        const machine = new LocalStateMachine({
          name: arn.slice(arn.lastIndexOf(':') + 1),
          arn,
          definition: JSON.parse(r.str(p.DefinitionString)) as Record<string, unknown>,
          region,
          dynamoDbEndpoint: dynamo.endpoint,
          bedrockAgentEndpoint: knowledgeEmulator?.endpoint,
          s3VectorsEndpoint: vectorsEmulator?.endpoint,
          machines: (target) => machines.get(target)?.machine,
          maxWaitMs: options.stateMachineMaxWaitMs,
          maxRetryIntervalMs: options.stateMachineMaxWaitMs,
          onFailure: (x) => process.stderr.write(`state machine ${id}: execution failed: ${x.error}: ${x.cause}\n`),
        });
        machines.set(arn, { logicalId: id, machine });
        stops.push(async () => machine.stop());
        summary.push(`state machine ${id} (${p.StateMachineType ?? 'STANDARD'}), run from its definition by aws-local-stepfunctions`);
      }
    }
    bus = new LocalEventBus((target, input, rule) => {
      const m = machines.get(target.Arn);
      if (m) m.machine.start(input);
      else process.stderr.write(`rule ${rule.name}: target ${target.Arn} is not emulated (only state machines of the template are)\n`);
    });
    for (const { r } of loaded) {
      for (const id of r.ofType('AWS::Events::Rule')) {
        const p = r.resolve(r.resource(id).Properties ?? {}) as {
          EventPattern?: Record<string, unknown>; State?: string; EventBusName?: string; ScheduleExpression?: string; Targets?: { Arn: string }[];
        };
        if (p.ScheduleExpression) {
          notEmulated.push(`rule ${id}: schedules are not run`);
          continue;
        }
        if (p.EventBusName && p.EventBusName !== 'default') {
          notEmulated.push(`rule ${id}: only the default event bus is emulated`);
          continue;
        }
        if (!p.EventPattern || (p.State ?? 'ENABLED') !== 'ENABLED') continue;
        bus.addRule({ name: id, pattern: p.EventPattern, targets: (p.Targets ?? []) as never });
        summary.push(`rule ${id} → ${(p.Targets ?? []).map((t) => machines.get(t.Arn)?.logicalId ?? t.Arn).join(', ')}`);
      }
    }

    // ---------------------------------------------------------------- custom resources whose provider is a function
    type CustomResourceState = { r: TemplateResolver; id: string; serviceToken: string; physicalId?: string; data?: Record<string, string> };
    const customResources = new Map<string, CustomResourceState>();
    const crServer = createServer();
    const crResponses = new Map<string, (body: Record<string, unknown>) => void>();
    crServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
      readBody(req).then((body) => {
        const key = new URL(req.url ?? '/', 'http://x').pathname.slice(1);
        const waiter = crResponses.get(key);
        // The presigned URL takes one PUT (as S3 would; a second one simply overwrites: the first is kept here).
        if (req.method !== 'PUT' || !waiter) {
          res.writeHead(403).end();
          return;
        }
        crResponses.delete(key);
        res.writeHead(200).end();
        try {
          waiter(JSON.parse(body.toString('utf8')) as Record<string, unknown>);
        } catch {
          waiter({ Status: 'FAILED', Reason: 'the response was not JSON' });
        }
      }).catch(() => res.destroy());
    });
    const crOrigin = `http://127.0.0.1:${await listen(crServer, 0)}`;
    stops.push(() => closeServer(crServer));
    // CloudFormation's request (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref.html) and the
    // provider's response PUT to ResponseURL (crpg-ref-responses.html); no response within the function's timeout
    // (CloudFormation waits up to ServiceTimeout, default an hour) fails the operation here.
    const runCustomResource = async (logicalId: string, requestType: 'Create' | 'Update' | 'Delete'): Promise<Record<string, unknown>> => {
      const cr = customResources.get(logicalId);
      if (!cr) throw new Error(`no custom resource ${logicalId}`);
      const props = cr.r.resolve(cr.r.resource(cr.id).Properties ?? {}) as Record<string, unknown>;
      const requestId = randomUUID();
      const fnName = functionNameOf(cr.serviceToken);
      const timeoutMs = (Number(cr.r.resolve((cr.r.resource(functionIds.get(fnName)!.id).Properties ?? {}).Timeout) ?? 3) + 5) * 1000;
      const response = new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => {
          crResponses.delete(requestId);
          reject(new TemplateError(`custom resource ${logicalId}: no response from ${fnName} within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        crResponses.set(requestId, (body) => {
          clearTimeout(timer);
          resolve(body);
        });
      });
      const event = {
        RequestType: requestType,
        RequestId: requestId,
        ResponseURL: `${crOrigin}/${requestId}`,
        ResourceType: cr.r.resource(cr.id).Type,
        LogicalResourceId: logicalId,
        StackId: String(cr.r.resolve({ Ref: 'AWS::StackId' })),
        ...(requestType !== 'Create' ? { PhysicalResourceId: cr.physicalId } : {}),
        ResourceProperties: props,
        ...(requestType === 'Update' ? { OldResourceProperties: props } : {}),
      };
      // What counts is the response PUT to the URL: a provider that fails without sending one times out, as in AWS.
      invoke(fnName, event).catch((err: unknown) => process.stderr.write(`custom resource ${logicalId}: ${fnName} failed: ${String((err as Error)?.message ?? err)}\n`));
      const body = await response;
      if (body.Status !== 'SUCCESS') throw new TemplateError(`custom resource ${logicalId} (${event.ResourceType}): ${requestType} failed: ${String(body.Reason ?? 'no reason given')}`);
      cr.physicalId = String(body.PhysicalResourceId);
      cr.data = body.Data as Record<string, string> | undefined;
      return body;
    };
    for (const { r } of loaded) {
      for (const [id, res] of Object.entries(r.resources)) {
        const custom = res.Type === 'AWS::CloudFormation::CustomResource' || (res.Type.startsWith('Custom::') && res.Type !== 'Custom::CDKBucketDeployment');
        if (!custom) continue;
        const token = String(r.resolve(res.Properties?.ServiceToken) ?? '');
        if (!functionIds.has(functionNameOf(token))) {
          notEmulated.push(`custom resource ${id} (${res.Type}): its provider ${token} is not a function of the template`);
          continue;
        }
        customResources.set(id, { r, id, serviceToken: token });
        await runCustomResource(id, 'Create');
        summary.push(`custom resource ${id} (${res.Type}) → ${customResources.get(id)!.physicalId}`);
      }
    }

    // ---------------------------------------------------------------- what is not emulated
    const seen = new Set<string>();
    for (const { r } of loaded) {
      for (const res of Object.values(r.resources)) {
        if (HANDLED.has(res.Type) || seen.has(res.Type)) continue;
        seen.add(res.Type);
        const why = NOT_EMULATED[res.Type] ?? 'not emulated';
        notEmulated.push(`${res.Type}: ${why}`);
      }
    }

    // ---------------------------------------------------------------- serving the site
    const pool = userPools[0];
    const users = usersOf(pool?.groups ?? []);
    const playgroundPages = options.playgroundPages ?? true;
    site.on('request', (req: IncomingMessage, res: ServerResponse) => {
      serveSite(req, res).catch((err) => {
        if (!res.headersSent) sendJson(res, 500, { message: String((err as Error).message ?? err) });
        else res.destroy();
      });
    });
    const serveSite = async (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', siteOrigin);
      const path = url.pathname;
      const pathHeaders = behaviours.find((b) => b.pattern.test(path))?.headers ?? headers;
      if (playgroundPages) {
        if (path === '/local/users' && req.method === 'GET') {
          return sendJson(res, 200, users.map((u) => ({ username: u.username, displayName: u.username, groups: u.groups ?? [] })), pathHeaders);
        }
        if (path === '/local/sign-in' && req.method === 'OPTIONS') {
          res.writeHead(204, { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' });
          return res.end();
        }
        if (path === '/local/sign-in' && req.method === 'POST') {
          let username: unknown;
          try {
            username = JSON.parse((await readBody(req)).toString('utf8')).username;
          } catch {
            return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'Send {"username": "..."}.' }, { 'access-control-allow-origin': '*' });
          }
          const user = users.find((u) => u.username === username);
          if (!user || !pool) return sendJson(res, 404, { code: 'NOT_FOUND', message: 'No such local user.' }, { 'access-control-allow-origin': '*' });
          return sendJson(res, 200, { idToken: pool.idp.issueIdToken(user, { expiresInSec: pool.clients[0]?.idTokenValiditySec }) }, { 'access-control-allow-origin': '*' });
        }
      }
      if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') return sendJson(res, 405, { message: 'Method not allowed' }, pathHeaders);
      if (req.method === 'OPTIONS') {
        res.writeHead(204, pathHeaders);
        return res.end();
      }
      if (path === '/favicon.ico' && !siteFiles.has('favicon.ico')) {
        res.writeHead(204, { 'cache-control': 'max-age=86400' });
        return res.end();
      }
      let key: string | undefined;
      try {
        key = normalize(decodeURIComponent(path)).replace(/^[/\\]+/, '');
      } catch {
        key = undefined;
      }
      if (key !== undefined && key.split(/[/\\]/).includes('..')) key = undefined;
      // The playground page takes `/` (the deployed app stays at /index.html and is the error page, as deployed).
      const overlay = playgroundPages && key !== undefined && key !== 'index.html' ? publicFile(key === '' ? 'index.html' : key) : undefined;
      const entry = key === undefined ? undefined : siteFiles.get(key === '' ? rootObject : key);
      let status = 200;
      let served: { file?: string; content?: Buffer } | undefined = overlay ? { file: overlay } : entry;
      let name = overlay ?? (key === '' ? rootObject : key ?? '');
      if (!served) {
        // The bucket answers 403 for a missing key (no ListBucket for CloudFront); CustomErrorResponses map it.
        const mapped = errorResponses.find((e) => e.ErrorCode === 403 || e.ErrorCode === 404);
        const page = mapped?.ResponsePagePath?.replace(/^\//, '');
        if (mapped && page && siteFiles.has(page)) {
          served = siteFiles.get(page);
          name = page;
          status = mapped.ResponseCode ?? 403;
        } else {
          return sendJson(res, 403, { message: 'Access Denied' }, pathHeaders);
        }
      }
      const body = served!.content ?? readFileSync(served!.file!);
      res.writeHead(status, { 'content-type': MIME[extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-cache', ...pathHeaders });
      res.end(req.method === 'HEAD' ? undefined : body);
    };

    const outputs: Record<string, string> = {};
    for (const { r } of loaded) Object.assign(outputs, endpoints.rewriteDeep(r.outputs()));

    return {
      url: `${siteOrigin}/`,
      outputs,
      webSocketUrl,
      restApiUrl,
      config,
      userPools,
      functions: runtime,
      lambda,
      webSocketApis,
      endpoints,
      cognitoEndpoint: cognitoIdp.endpoint,
      dynamoDbEndpoint: dynamo.endpoint,
      stepFunctionsEndpoint: sfnApi?.endpoint,
      notEmulated,
      knowledge: knowledgeEmulator && vectorsEmulator ? {
        agentEndpoint: knowledgeEmulator.endpoint,
        runtimeEndpoint: knowledgeEmulator.runtimeEndpoint,
        vectorsEndpoint: vectorsEmulator.endpoint,
        ...(ossEmulator ? { opensearchEndpoint: ossEmulator.endpoint } : {}),
        idle: () => knowledgeEmulator!.idle(),
        holdCreating: (hold: boolean) => knowledgeEmulator!.holdCreating(hold),
      } : undefined,
      summary,
      bedrockRequests: () => bedrockRequests,
      guardrails,
      issueToken: (username, expiresInSec) => {
        const user = users.find((u) => u.username === username);
        if (!user || !pool) throw new Error(`No local user ${username}`);
        // The token's groups are the user's groups now (a change through the Cognito API shows in the next token).
        const groups = cognitoIdp.groupsOf(pool.userPoolId, user.username);
        return pool.idp.issueIdToken({ ...user, groups }, { expiresInSec: expiresInSec ?? pool.clients[0]?.idTokenValiditySec });
      },
      customResource: (logicalId, requestType) => runCustomResource(logicalId, requestType),
      customResources: () => [...customResources.values()].map((c) => ({ logicalId: c.id, type: c.r.resource(c.id).Type, physicalId: c.physicalId })),
      pipeStats: () => localPipes.map((p, i) => ({ name: pipeNames[i], delivered: p.delivered, filteredOut: p.filteredOut })),
      stateMachines: () => [...machines.entries()].map(([arn, m]) => ({ logicalId: m.logicalId, arn, executions: m.machine.list() })),
      idleStateMachines: async () => {
        // until none runs: an execution may start another machine's (states:startExecution)
        do await Promise.all([...machines.values()].map((m) => m.machine.idle()));
        while ([...machines.values()].some((m) => m.machine.busy));
      },
      drainPipes: async () => {
        await Promise.all(localPipes.map((p) => p.drain()));
        await lambda.idle();
      },
      idle: async () => {
        for (;;) {
          await lambda.idle();
          await Promise.all(webSocketApis.map((w) => w.idle()));
          await knowledgeEmulator?.idle();
          await lambda.idle();
          return;
        }
      },
      stop: async () => {
        stopping = true;
        await lambda.idle();
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw err;
  }
}

/**
 * True when a stack holds a ChatBackend: one of its functions runs this package's WebSocket handler (its staged bundle
 * is byte for byte `assets/lambdas/ws.lambda`), or, for another version of the package, is described as it.
 */
export function holdsChatBackend(stack: AssemblyStack): boolean {
  const handlers = libraryHandlers();
  return Object.values(stack.template.Resources ?? {}).some((res) => {
    if (res.Type !== 'AWS::Lambda::Function') return false;
    const key = (res.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key;
    const asset = typeof key === 'string' ? stack.assets[key.replace(/\.zip$/, '')] : undefined;
    const file = asset && ['index.js', 'index.mjs'].map((f) => join(asset.path, f)).find(existsSync);
    if (file && handlers.get(sha256File(file)) === 'ws.lambda') return true;
    return String(res.Properties?.Description ?? '').startsWith('bedrock-chat: WebSocket routes');
  });
}

/**
 * The stacks to run: those holding a ChatBackend and the stacks they depend on or that depend on them (a frontend in
 * its own stack). Throws with the stacks found when none holds a ChatBackend.
 */
export function chatStacks(assembly: CloudAssembly): string[] {
  const backends = assembly.stacks.filter(holdsChatBackend);
  if (backends.length === 0) {
    throw new Error(`No stack of the app holds a ChatBackend (no function runs the package's WebSocket handler). Stacks found: ${assembly.stacks.map((s) => s.stackName).join(', ') || 'none'}.`);
  }
  const chosen = new Set(backends.map((s) => s.id));
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of assembly.stacks) {
      if (chosen.has(s.id)) {
        for (const d of s.dependencies) if (!chosen.has(d)) { chosen.add(d); grew = true; }
      } else if (s.dependencies.some((d) => chosen.has(d))) {
        chosen.add(s.id);
        grew = true;
      }
    }
  }
  return assembly.stacks.filter((s) => chosen.has(s.id)).map((s) => s.id);
}

/** Resource types the loader reads (or that need nothing locally). */
const HANDLED = new Set([
  'AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable', 'AWS::S3::Bucket', 'AWS::Lambda::Function', 'AWS::Lambda::Permission',
  'AWS::Lambda::EventInvokeConfig', 'AWS::ApiGatewayV2::Api', 'AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Authorizer', 'AWS::ApiGatewayV2::Stage', 'AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolClient',
  'AWS::Cognito::UserPoolGroup', 'AWS::Cognito::UserPoolDomain', 'AWS::CloudFront::Distribution',
  'AWS::CloudFront::ResponseHeadersPolicy', 'AWS::CloudFront::OriginAccessControl', 'Custom::CDKBucketDeployment',
  'AWS::CDK::Metadata', 'AWS::Lambda::LayerVersion', 'AWS::S3Vectors::VectorBucket', 'AWS::S3Vectors::Index',
  'AWS::Bedrock::KnowledgeBase', 'AWS::Bedrock::DataSource', 'AWS::Pipes::Pipe', 'Custom::BedrockChatBot',
  'AWS::StepFunctions::StateMachine', 'AWS::Events::Rule', 'AWS::OpenSearchServerless::Collection', 'AWS::OpenSearchServerless::Index',
  'AWS::OpenSearchServerless::SecurityPolicy', 'AWS::OpenSearchServerless::AccessPolicy',
]);

const NOT_EMULATED: Record<string, string> = {
  'AWS::WAFv2::WebACL': 'WAF rules are not applied (every request is allowed)',
  'AWS::WAFv2::WebACLAssociation': 'WAF rules are not applied (every request is allowed)',
  'AWS::WAFv2::IPSet': 'WAF rules are not applied (every request is allowed)',
  'AWS::IAM::Role': 'IAM is not enforced locally (every call is allowed; the IAM coverage test checks the policies)',
  'AWS::IAM::Policy': 'IAM is not enforced locally (every call is allowed; the IAM coverage test checks the policies)',
  'AWS::S3::BucketPolicy': 'bucket policies are not enforced',
  'AWS::Logs::LogGroup': 'logs go to the terminal, not CloudWatch Logs (access logs are not written)',
  'AWS::ApiGateway::Account': 'no CloudWatch role is needed locally',
  'AWS::CloudWatch::Alarm': 'alarms are not evaluated (there are no CloudWatch metrics locally)',
  'AWS::Logs::MetricFilter': 'metric filters are not applied (the spend metric is not computed; the worker\'s "turn done" lines carry priceUsd)',
  'AWS::Cognito::ManagedLoginBranding': 'the local sign-in page has its own look',
  'AWS::Cognito::UserPoolIdentityProvider': 'external identity providers are not emulated: sign in as a built-in user',
  'AWS::SQS::Queue': 'queues are not emulated (the bot deletion pipe\'s dead-letter queue: records the pipe drops are reported on stderr)',
  'AWS::SQS::QueuePolicy': 'queue policies are not enforced',
};

/** A table from its template properties: keys, attribute definitions, GSIs and LSIs. */
async function createTable(client: DynamoDBClient, name: string, p: Record<string, unknown>): Promise<void> {
  type Index = { IndexName: string; KeySchema: unknown; Projection: unknown };
  const index = (g: Index) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection });
  const gsis = (p.GlobalSecondaryIndexes as Index[] | undefined)?.map(index);
  const lsis = (p.LocalSecondaryIndexes as Index[] | undefined)?.map(index);
  const stream = p.StreamSpecification as { StreamViewType?: string } | undefined;
  const input = {
    TableName: name,
    AttributeDefinitions: p.AttributeDefinitions,
    KeySchema: p.KeySchema,
    BillingMode: 'PAY_PER_REQUEST',
    ...(stream?.StreamViewType ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } } : {}),
    ...(gsis?.length ? { GlobalSecondaryIndexes: gsis } : {}),
    ...(lsis?.length ? { LocalSecondaryIndexes: lsis } : {}),
  } as CreateTableCommandInput;
  await client.send(new CreateTableCommand(input));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE' && (Table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE')) return;
    if (Date.now() > deadline) throw new Error(`table ${name} not ACTIVE after 30 s`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

/** An app client: callback/sign-out URLs pointed at the local servers, token validities in seconds. */
function clientFrom(r: TemplateResolver, id: string, endpoints: EndpointResolver): ManagedLoginClient {
  const p = r.resolve(r.resource(id).Properties) as {
    CallbackURLs?: string[];
    LogoutURLs?: string[];
    IdTokenValidity?: number;
    RefreshTokenValidity?: number;
    TokenValidityUnits?: { IdToken?: string; RefreshToken?: string };
  };
  const seconds = (value: number | undefined, unit: string | undefined, defaultUnit: string) => {
    if (value === undefined) return undefined;
    const u = unit ?? defaultUnit;
    return value * (u === 'seconds' ? 1 : u === 'minutes' ? 60 : u === 'hours' ? 3600 : 86400);
  };
  return {
    clientId: String(r.ref(id)),
    // Rewritten lazily: the site's origin is registered after the clients are read.
    get callbackUrls() { return (p.CallbackURLs ?? []).map((u) => endpoints.rewrite(u)); },
    get logoutUrls() { return (p.LogoutURLs ?? []).map((u) => endpoints.rewrite(u)); },
    // Defaults: IdTokenValidity in hours, RefreshTokenValidity in days
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cognito-userpoolclient.html).
    idTokenValiditySec: seconds(p.IdTokenValidity, p.TokenValidityUnits?.IdToken, 'hours'),
    refreshTokenValiditySec: seconds(p.RefreshTokenValidity, p.TokenValidityUnits?.RefreshToken, 'days'),
  };
}

/** The built-in users, each in the groups of theirs that the pool has. */
/** The description of the template's group `name` of `userPoolId`, if it has one. */
function groupDescriptions(resolvers: readonly TemplateResolver[], userPoolId: string, name: string): { description?: string } {
  for (const r of resolvers) {
    for (const id of r.ofType('AWS::Cognito::UserPoolGroup')) {
      if (r.prop(id, 'UserPoolId') !== userPoolId || r.str(r.resource(id).Properties!.GroupName) !== name) continue;
      const description = r.prop(id, 'Description');
      return typeof description === 'string' ? { description } : {};
    }
  }
  return {};
}

function usersOf(groups: readonly string[]): LocalUser[] {
  return Object.values(LOCAL_USERS).map((u) => ({ ...u, groups: (u.groups ?? []).filter((g) => groups.includes(g)) }));
}

/** The function named by a Lambda integration or authorizer URI (`arn:aws:apigateway:...:lambda:path/2015-03-31/functions/<arn>/invocations`) or an ARN. */
function lambdaOfUri(uri: string): string {
  const m = /\/functions\/(.+)\/invocations$/.exec(uri);
  return functionNameOf(m ? m[1] : uri);
}

interface ResponseHeadersPolicyConfig {
  SecurityHeadersConfig?: {
    ContentSecurityPolicy?: { ContentSecurityPolicy: string };
    ContentTypeOptions?: unknown;
    FrameOptions?: { FrameOption: string };
    ReferrerPolicy?: { ReferrerPolicy: string };
    StrictTransportSecurity?: { AccessControlMaxAgeSec: number; IncludeSubdomains?: boolean; Preload?: boolean };
    XSSProtection?: { Protection: boolean; ModeBlock?: boolean };
  };
  CorsConfig?: {
    AccessControlAllowOrigins: { Items: string[] };
    AccessControlAllowMethods?: { Items: string[] };
    AccessControlAllowHeaders?: { Items: string[] };
    AccessControlMaxAgeSec?: number;
  };
  CustomHeadersConfig?: { Items: { Header: string; Value: string }[] };
}

/** The headers a response headers policy adds (CSP rewritten to the local servers). */
function responseHeaders(c: ResponseHeadersPolicyConfig, rewrite: (v: string) => string): Record<string, string> {
  const h: Record<string, string> = {};
  const s = c.SecurityHeadersConfig;
  if (s?.ContentSecurityPolicy) h['content-security-policy'] = rewrite(s.ContentSecurityPolicy.ContentSecurityPolicy);
  if (s?.ContentTypeOptions) h['x-content-type-options'] = 'nosniff';
  if (s?.FrameOptions) h['x-frame-options'] = s.FrameOptions.FrameOption;
  if (s?.ReferrerPolicy) h['referrer-policy'] = s.ReferrerPolicy.ReferrerPolicy;
  if (s?.StrictTransportSecurity) {
    const t = s.StrictTransportSecurity;
    h['strict-transport-security'] = `max-age=${t.AccessControlMaxAgeSec}${t.IncludeSubdomains ? '; includeSubDomains' : ''}${t.Preload ? '; preload' : ''}`;
  }
  if (c.CorsConfig) {
    h['access-control-allow-origin'] = c.CorsConfig.AccessControlAllowOrigins.Items.join(',');
    if (c.CorsConfig.AccessControlAllowMethods) h['access-control-allow-methods'] = c.CorsConfig.AccessControlAllowMethods.Items.join(',');
    if (c.CorsConfig.AccessControlAllowHeaders) h['access-control-allow-headers'] = c.CorsConfig.AccessControlAllowHeaders.Items.join(',');
    if (c.CorsConfig.AccessControlMaxAgeSec !== undefined) h['access-control-max-age'] = String(c.CorsConfig.AccessControlMaxAgeSec);
  }
  for (const item of c.CustomHeadersConfig?.Items ?? []) h[item.Header.toLowerCase()] = item.Value;
  return h;
}

/**
 * One source of a BucketDeployment: the staged asset directory, with the source's markers replaced in every file the
 * way the deployment's handler does (Source.jsonData's tokens become `<<marker:0xbaba:N>>` and SourceMarkers maps them
 * to their deploy-time values: https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_s3_deployment-readme.html#data-with-deploy-time-values).
 */
function addDeployment(stack: AssemblyStack, objectKey: string, prefix: string, markers: Record<string, string>,
  files: Map<string, { file?: string; content?: Buffer }>, rewrite: (v: string) => string): void {
  const asset = stack.assets[objectKey.replace(/\.zip$/, '')];
  if (!asset || !existsSync(asset.path) || !statSync(asset.path).isDirectory()) throw new TemplateError(`deployment source ${objectKey} is not a staged directory of the assembly`);
  const markerKeys = Object.keys(markers);
  const walk = (dir: string, rel: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const key = `${prefix}${rel}${entry.name}`;
      if (entry.isDirectory()) {walk(path, `${rel}${entry.name}/`);} else if (markerKeys.length === 0) {files.set(key, { file: path });} else {
        let text = readFileSync(path, 'utf8');
        for (const m of markerKeys) text = text.split(m).join(rewrite(String(markers[m])));
        files.set(key, { content: Buffer.from(text) });
      }
    }
  };
  walk(asset.path, '');
}

/** The package's own handler bundles by content hash (`assets/lambdas/<name>.lambda/index.js|mjs`). */
function libraryHandlers(): Map<string, string> {
  const out = new Map<string, string>();
  const dir = join(PACKAGE_ROOT, 'assets', 'lambdas');
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    for (const f of ['index.js', 'index.mjs']) {
      const file = join(dir, name, f);
      if (existsSync(file)) out.set(sha256File(file), name);
    }
  }
  return out;
}

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function publicFile(rel: string): string | undefined {
  const candidate = resolvePath(PUBLIC_DIR, rel);
  if (!candidate.startsWith(PUBLIC_DIR + '/')) return undefined;
  return existsSync(candidate) && statSync(candidate).isFile() ? candidate : undefined;
}

function globToRegExp(pattern: string): RegExp {
  const p = pattern.startsWith('/') ? pattern : `/${pattern}`;
  return new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function findPackageRoot(from: string): string {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && /"name":\s*"cdk-bedrock-chat"/.test(readFileSync(pkg, 'utf8'))) return dir;
    dir = join(dir, '..');
  }
  return resolvePath(from, '../../..');
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

export { FunctionError };

/** CloudFormation's property names (PascalCase) as the API names them (camelCase), recursively: `S3VectorsConfiguration` → `s3VectorsConfiguration`. */
export function apiShape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(apiShape);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.charAt(0).toLowerCase() + k.slice(1), apiShape(x)]));
  return v;
}

/** A security policy rule's resource pattern (`collection/name` or `collection/prefix*`) against a collection name. */
const coversCollection = (pattern: string, name: string) => {
  const p = pattern.replace(/^collection\//, '');
  return p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p === name;
};

/**
 * The template's OpenSearch Serverless collections and indexes, made in the local emulator. A collection needs an
 * encryption policy whose rules match its name: AWS refuses to create one without (encryption policies, paraphrased:
 * https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-encryption.html). An index's
 * CollectionEndpoint names its collection by id (`https://<id>.<region>.aoss.amazonaws.com`).
 */
function openSearchFromTemplates(resolvers: TemplateResolver[], oss: OpenSearchServerlessEmulator): string[] {
  const summary: string[] = [];
  const encryption: string[] = [];
  for (const r of resolvers) {
    for (const id of r.ofType('AWS::OpenSearchServerless::SecurityPolicy')) {
      const p = r.resolve(r.resource(id).Properties ?? {}) as { Type?: string; Policy?: string };
      if (p.Type !== 'encryption') continue;
      const doc = JSON.parse(String(p.Policy)) as { Rules?: Array<{ ResourceType?: string; Resource?: string[] }> };
      for (const rule of doc.Rules ?? []) if (rule.ResourceType === 'collection') encryption.push(...(rule.Resource ?? []));
    }
  }
  for (const r of resolvers) {
    for (const id of r.ofType('AWS::OpenSearchServerless::Collection')) {
      const p = r.resolve(r.resource(id).Properties ?? {}) as { Name?: string; Type?: string };
      const name = String(p.Name);
      if (!encryption.some((pattern) => coversCollection(pattern, name))) {
        throw new Error(`OpenSearch Serverless collection ${name} (${id}): no encryption policy of the template covers it; AWS refuses to create it.`);
      }
      const c = oss.store.createCollection({ name, type: p.Type, id: String(r.ref(id)) });
      summary.push(`OpenSearch Serverless collection ${name} (${c.id}, ${oss.collectionEndpoint(c.id)})`);
    }
  }
  for (const r of resolvers) {
    for (const id of r.ofType('AWS::OpenSearchServerless::Index')) {
      type IndexProperties = { CollectionEndpoint?: string; IndexName?: string; Mappings?: any; Settings?: any };
      const p = r.resolve(r.resource(id).Properties ?? {}) as IndexProperties;
      const collectionId = new URL(String(p.CollectionEndpoint)).hostname.split('.')[0];
      const body = { mappings: openSearchMappings(p.Mappings), settings: openSearchSettings(p.Settings) };
      oss.store.createIndex(collectionId, String(p.IndexName), body);
      summary.push(`OpenSearch Serverless index ${p.IndexName} of ${collectionId}`);
    }
  }
  return summary;
}

/**
 * AWS::OpenSearchServerless::Index Mappings as OpenSearch names them: `Properties` → `properties` (field names kept),
 * `Type`, `Dimension`, `Index`, `Method` (`Engine`, `Name`, `SpaceType` → `space_type`, `Parameters`: `EfConstruction`
 * → `ef_construction`, `M` → `m`) (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-opensearchserverless-index-propertymapping.html).
 */
function openSearchMappings(m: any): any {
  const field = (f: any): any => ({
    type: f.Type,
    ...(f.Dimension !== undefined ? { dimension: Number(f.Dimension) } : {}),
    ...(f.Index !== undefined ? { index: f.Index === true || f.Index === 'true' } : {}),
    ...(f.Method ? {
      method: {
        engine: f.Method.Engine,
        name: f.Method.Name,
        ...(f.Method.SpaceType ? { space_type: f.Method.SpaceType } : {}),
        ...(f.Method.Parameters ? { parameters: { ef_construction: f.Method.Parameters.EfConstruction, m: f.Method.Parameters.M } } : {}),
      },
    } : {}),
    ...(f.Properties ? openSearchMappings(f) : {}),
  });
  return { properties: Object.fromEntries(Object.entries(m?.Properties ?? {}).map(([k, v]) => [k, field(v)])) };
}

/** AWS::OpenSearchServerless::Index Settings: `Index.Knn`, `KnnAlgoParamEfSearch`, `RefreshInterval`, as OpenSearch's index settings. */
function openSearchSettings(s: any): any {
  const i = s?.Index ?? {};
  return {
    index: {
      ...(i.Knn !== undefined ? { knn: i.Knn === true || i.Knn === 'true' } : {}),
      ...(i.KnnAlgoParamEfSearch !== undefined ? { 'knn.algo_param.ef_search': Number(i.KnnAlgoParamEfSearch) } : {}),
      ...(i.RefreshInterval !== undefined ? { refresh_interval: i.RefreshInterval } : {}),
    },
  };
}
