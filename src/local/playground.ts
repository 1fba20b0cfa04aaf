/**
 * The local playground: a CDK app (examples/full-system by default) synthesized in this process and run by the local
 * stack from its template (src/local/stack/local-stack.ts): the same handler bundles as deployed, in worker threads,
 * with emulated DynamoDB, S3, Bedrock (offline model by default), API Gateway, Lambda and the Cognito managed login.
 * Used by `npm start`, the browser tests and the benchmarks.
 */
import { AppBuilder, composedApp, playgroundApp, playgroundOpenSearchApp, synthesize } from './apps';
import type { UsageLimits } from '../index';
import type { FakeRequest, StartBedrockFakeOptions } from './emulators/bedrock';
import { PROJECT_DOCUMENTATION, projectDocumentation, type ExistingKnowledgeOptions } from './existing-knowledge';
import { OFFLINE_MODEL_ID } from './offline-model';
import type { CloudAssembly } from './stack/assembly';
import { LocalStack, startLocalStack } from './stack/local-stack';
import type { RuntimeModel } from '../lambdas/core/models';

/** The offline model alone, without prices or capabilities (the handler tests' deployment). */
export const OFFLINE_MODELS: readonly RuntimeModel[] = [{ key: OFFLINE_MODEL_ID, modelId: OFFLINE_MODEL_ID, displayName: 'Offline model' }];

export interface PlaygroundOptions {
  /** ChatBackend's usageLimits (a composed app, like `models`). */
  readonly usageLimits?: UsageLimits;
  /** Port of the site (the CloudFront stand-in). @default 0 (random) */
  readonly port?: number;
  /** `offline` (default): the offline model on the Bedrock fake; `aws`: real Amazon Bedrock with your credentials. */
  readonly bedrock?: 'offline' | 'aws';
  /** Delay between the offline model's words. @default 25 */
  readonly wordDelayMs?: number;
  /** The offline model cuts every answer after this many words (stopReason `max_tokens`), to try Continue. @default never */
  readonly offlineMaxWords?: number;
  /** Replace the offline model with a script (tests and benchmarks). */
  readonly respond?: StartBedrockFakeOptions['respond'];
  /** Silence the handlers' logs and the start-up summary. */
  readonly quiet?: boolean;
  /**
   * Other models: the playground synthesizes the full-system composition with these (`ChatModel.of` each) instead of
   * the example's. @default the example's models (the offline model answers for any model id)
   */
  readonly models?: readonly RuntimeModel[];
  /** A managed login domain prefix (the composition registers the site's URL as callback and sign-out URL). */
  readonly domainPrefix?: string;
  /** Another app to synthesize (its stacks are loaded). @default examples/full-system */
  readonly app?: AppBuilder;
  /**
   * The example's vector store for the shared knowledge base (`-c vectorStore=...`; `npm start` reads
   * BEDROCK_CHAT_VECTOR_STORE). @default 's3Vectors'
   */
  readonly vectorStore?: 's3Vectors' | 'openSearchServerless';
  /** A cloud assembly already synthesized (e.g. by the CLI); wins over `app`. */
  readonly assembly?: CloudAssembly;
  /** Waits before the retries of failed asynchronous invocations. @default Lambda's one and two minutes */
  readonly asyncRetryDelaysMs?: readonly number[];
  /** Deliver every asynchronous event twice (see LocalStackOptions.redeliverAsync). */
  readonly redeliverAsync?: 'concurrent' | 'after';
  /**
   * `isolated` (default): each function runs its staged bundle in worker threads with exactly its template
   * environment. `in-process`: the handlers' sources run in this process with the environments merged into
   * `process.env` (the handler tests in test/lambdas wrap the clients handlers create and change their environment).
   */
  readonly handlers?: 'isolated' | 'in-process';
  /** See LocalStackOptions.stateMachineMaxWaitMs (tests). */
  readonly stateMachineMaxWaitMs?: number;
  /**
   * Documents of the knowledge bases the app names in `KNOWLEDGE_EXISTING` (see LocalStackOptions.existingKnowledge).
   * @default the one named "Project documentation" holds this project's README.md and docs/*.md
   */
  readonly existingKnowledge?: ExistingKnowledgeOptions;
}

/** The playground's existing knowledge: this project's documentation in the knowledge base of that name. */
export const PLAYGROUND_EXISTING_KNOWLEDGE: ExistingKnowledgeOptions = {
  documents: (kb) => (kb.name === PROJECT_DOCUMENTATION ? projectDocumentation() : undefined),
};

export interface Playground {
  /** The site: `http://127.0.0.1:<port>/`. */
  readonly url: string;
  readonly webSocketUrl: string;
  readonly restApiUrl: string;
  /** The key of the default model (config.json's `defaultModel`). */
  readonly defaultModelId: string;
  /** The app client id of the user pool (config.json's `userPoolClientId`). */
  readonly userPoolClientId: string;
  /** The local stack (template, functions, emulators). */
  readonly stack: LocalStack;
  /** Signs in a built-in user (alice, bob, admin) and returns an ID token. */
  /** An ID token of a built-in user; `expiresInSec`: a short-lived one (default: the app client's validity). */
  issueToken(username: string, expiresInSec?: number): string;
  /** Requests the Bedrock fake received (empty with real Bedrock). */
  bedrockRequests(): readonly FakeRequest[];
  /** Number of frames posted through the Management API so far. */
  postCount(): number;
  /** Ids of the open WebSocket connections. */
  connectionIds(): string[];
  /** Drops a WebSocket connection from the server side like a network failure (see WebSocketApi.dropConnection). */
  dropConnection(connectionId: string, options?: { lingerMs?: number }): boolean;
  /** While `true`, new WebSocket connections are refused (see WebSocketApi.refuseConnections). */
  refuseConnections(refuse: boolean): void;
  /** Resolves when no answer is being generated. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPlayground(options: PlaygroundOptions = {}): Promise<Playground> {
  const assembly = options.assembly ?? assemblyFor(options);
  const stack = await startLocalStack({
    assembly,
    port: options.port,
    bedrock: options.bedrock,
    respond: options.respond,
    wordDelayMs: options.wordDelayMs,
    offlineMaxWords: options.offlineMaxWords,
    quiet: options.quiet,
    asyncRetryDelaysMs: options.asyncRetryDelaysMs,
    redeliverAsync: options.redeliverAsync,
    handlers: options.handlers,
    stateMachineMaxWaitMs: options.stateMachineMaxWaitMs,
    existingKnowledge: options.existingKnowledge ?? PLAYGROUND_EXISTING_KNOWLEDGE,
  });
  const ws = stack.webSocketApis[0];
  if (!ws || !stack.restApiUrl) {
    await stack.stop();
    throw new Error('The app has no ChatBackend: no WebSocket or HTTP API in its template.');
  }
  const config = stack.config ?? {};
  return {
    url: stack.url,
    webSocketUrl: stack.webSocketUrl!,
    restApiUrl: stack.restApiUrl,
    defaultModelId: String(config.defaultModel ?? ''),
    userPoolClientId: String(config.userPoolClientId ?? stack.userPools[0]?.clients[0]?.clientId ?? ''),
    stack,
    issueToken: (username, expiresInSec) => stack.issueToken(username, expiresInSec),
    bedrockRequests: () => stack.bedrockRequests(),
    postCount: () => ws.postCount,
    connectionIds: () => ws.connectionIds(),
    dropConnection: (connectionId, dropOptions) => ws.dropConnection(connectionId, dropOptions),
    refuseConnections: (refuse) => ws.refuseConnections(refuse),
    idle: () => stack.idle(),
    stop: () => stack.stop(),
  };
}

function assemblyFor(options: PlaygroundOptions): CloudAssembly {
  if (options.app) return synthesize(options.app);
  if (options.models || options.domainPrefix || options.usageLimits) {
    const composed = { models: options.models, domainPrefix: options.domainPrefix, usageLimits: options.usageLimits };
    return synthesize(composedApp(composed), JSON.stringify(composed));
  }
  if (options.vectorStore === 'openSearchServerless') return synthesize(playgroundOpenSearchApp, 'playground-oss');
  return synthesize(playgroundApp, 'playground');
}
