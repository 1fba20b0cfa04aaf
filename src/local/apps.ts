/**
 * CDK apps the playground synthesizes in-process: the full-system example as it is (what `npm start` runs), or the
 * same composition with other models or a managed login domain (tests and benchmarks that need them). Each is read
 * back from its synthesized template by the local stack, like any user's app.
 */
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { buildApp } from '../../examples/full-system/app';
import { BedrockChatFrontend, ChatBackend, ChatModel, UsageLimits } from '../index';
import { PROJECT_DOCUMENTATION } from './existing-knowledge';
import { CloudAssembly, readAssembly, tempOutdir } from './stack/assembly';
import type { RuntimeModel } from '../lambdas/core/models';

/** Builds the stacks of an app into the given App. */
export type AppBuilder = (app: App) => void;

/** examples/full-system, unchanged. */
export const fullSystemApp: AppBuilder = (app) => {
  buildApp(app);
};

/**
 * The id the playground gives the existing knowledge base it fills with this project's documentation (a knowledge
 * base id is 10 letters or digits: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_KnowledgeBase.html).
 */
export const PROJECT_DOCUMENTATION_ID = 'PROJECTDOC';

/**
 * What `npm start` runs: the full-system example, offered the existing knowledge base "Project documentation" as a
 * deployment would be with `-c existingKnowledgeBaseId=... -c existingKnowledgeBaseName=...` (the local stack fills it
 * with README.md and docs/*.md: src/local/existing-knowledge.ts).
 */
export const playgroundApp: AppBuilder = (app) => {
  app.node.setContext('existingKnowledgeBaseId', PROJECT_DOCUMENTATION_ID);
  app.node.setContext('existingKnowledgeBaseName', PROJECT_DOCUMENTATION);
  buildApp(app);
};

/** The playground's app with the shared knowledge base on OpenSearch Serverless (`-c vectorStore=openSearchServerless`). */
export const playgroundOpenSearchApp: AppBuilder = (app) => {
  app.node.setContext('vectorStore', 'openSearchServerless');
  playgroundApp(app);
};

export interface ComposedAppOptions {
  /** ChatBackend's usageLimits (the load test and the budget tests). */
  readonly usageLimits?: UsageLimits;
  /** The models (their `MODELS_JSON` entries); the first is the default. @default the example's */
  readonly models?: readonly RuntimeModel[];
  /** A managed login domain prefix; the site's URL is then registered as the callback and sign-out URL. */
  readonly domainPrefix?: string;
}

/**
 * The full-system composition (ChatBackend + BedrockChatFrontend in one stack) with other models or a managed login
 * domain whose callback and sign-out URL is the distribution's (`https://<distribution>/`), as a deployed app
 * registers it.
 */
export function composedApp(options: ComposedAppOptions = {}): AppBuilder {
  return (app) => {
    const stack = new Stack(app, 'BedrockChat', { env: { region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1' } });
    const models = options.models?.map((m) => ChatModel.of(m.modelId, {
      key: m.key,
      displayName: m.displayName,
      prices: m.prices ? { inputPer1kTokens: m.prices.inputPer1kTokens, outputPer1kTokens: m.prices.outputPer1kTokens } : undefined,
    }));
    const backend = new ChatBackend(stack, 'Backend', {
      ...(models ? { models } : {}),
      ...(options.usageLimits ? { usageLimits: options.usageLimits } : {}),
      ...(options.domainPrefix ? { domainPrefix: options.domainPrefix, callbackUrls: [], logoutUrls: [] } : {}),
    });
    const frontend = new BedrockChatFrontend(stack, 'Frontend', { backend });
    if (options.models) {
      // The functions get exactly these runtime entries (capabilities left out stay unknown, as given).
      for (const fn of stack.node.findAll().filter((c): c is CfnFunction => c instanceof CfnFunction)) {
        const variables = (stack.resolve(fn.environment) as { variables?: Record<string, unknown> } | undefined)?.variables;
        if (variables?.MODELS_JSON !== undefined) fn.addPropertyOverride('Environment.Variables.MODELS_JSON', JSON.stringify(options.models));
      }
    }
    new CfnOutput(stack, 'AppUrl', { value: frontend.url });
    if (options.domainPrefix) {
      backend.addCallbackUrl(`${frontend.url}/`);
      backend.addLogoutUrl(`${frontend.url}/`);
    }
  };
}

const cache = new Map<string, CloudAssembly>();

/** Synthesizes an app in this process into a temporary directory (cached per key for the process). */
export function synthesize(build: AppBuilder, cacheKey?: string): CloudAssembly {
  const hit = cacheKey ? cache.get(cacheKey) : undefined;
  if (hit) return hit;
  const outdir = tempOutdir();
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': false } });
  build(app);
  app.synth();
  const assembly = readAssembly(outdir);
  if (cacheKey) cache.set(cacheKey, assembly);
  return assembly;
}
