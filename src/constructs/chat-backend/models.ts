import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { ChatBackendProps, GuardrailReference } from './chat-backend';
import { ChatModel } from '../../models/chat-model';
import { InferenceProfileMode } from '../../models/inference-profile-mode';
import { modelArns } from '../../models/profiles';
import { acknowledge } from '../private/nag';

/**
 * The models part of `ChatBackend`: which models are offered, how each resolves for the stack's Region, what the
 * functions read about them (`MODELS_JSON`, `DEFAULT_MODEL`, `TITLE_MODEL_ID`), the IAM resources they may invoke,
 * and the answer settings (guardrail, prompt caching, reasoning budget). It creates no resource: the functions that
 * call Bedrock take `environment`, and the grants (grants.ts) allow them `chatModelArns` and `titleModelArns`.
 */

/** Default of `models` (see `ChatBackendProps.models`). */
const DEFAULT_MODELS = (): ChatModel[] => [ChatModel.CLAUDE_SONNET_4_5, ChatModel.CLAUDE_HAIKU_4_5, ChatModel.NOVA_PRO];

/** The Region models are resolved for when the stack's Region is not known at synth time. */
const ASSUMED_REGION = 'us-east-1';

/** Lambda allows 4 KB of environment variables per function; the models must leave room for the others. */
const MAX_MODELS_JSON_LENGTH = 3400;

/** The offered models, validated and resolved for the stack's Region. */
export interface BackendModels {
  /** The models users can choose from, in the order given. */
  readonly models: ChatModel[];
  /** The model used when a request names none (one of `models`). */
  readonly defaultModel: ChatModel;
  /** The model proposing conversation titles. */
  readonly titleModel: ChatModel;
  /** How model ids are resolved for the stack's Region. */
  readonly inferenceProfileMode: InferenceProfileMode;
  /** `MODELS_JSON`, `DEFAULT_MODEL`, `TITLE_MODEL_ID` (ws, worker and api). */
  readonly environment: Record<string, string>;
  /** ARNs for the chat models (profiles and foundation models), without duplicates. */
  readonly chatModelArns: string[];
  /** ARNs for the title model. */
  readonly titleModelArns: string[];
}

/**
 * Validates `models`, `defaultModel` and `titleModel` and resolves them for the stack's Region (adds a warning in an
 * environment-agnostic stack when that ties the deployment to a geography).
 */
export function selectModels(scope: Construct, props: ChatBackendProps): BackendModels {
  const inferenceProfileMode = props.inferenceProfileMode ?? InferenceProfileMode.GLOBAL_THEN_GEOGRAPHIC;
  const models = validateModels(props.models ?? DEFAULT_MODELS());
  const defaultModel = validateDefaultModel(models, props.defaultModel ?? models[0]);
  const titleModel = props.titleModel ?? defaultTitleModel(models, defaultModel);
  return {
    models,
    defaultModel,
    titleModel,
    inferenceProfileMode,
    ...resolveModels(scope, models, defaultModel, titleModel, inferenceProfileMode),
  };
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

/** A model as the functions read it (`RuntimeModel` of src/lambdas/core/models.ts): only what they use. */
export function toRuntimeModel(model: ChatModel, region: string, mode: InferenceProfileMode): Record<string, unknown> {
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
      // Absent means false: continue then ends with a user turn (the functions' default, valid on every model).
      ...(c.assistantPrefill ? { assistantPrefill: true } : {}),
      // Absent means false: the worker gives the knowledge tool only to models that call tools.
      ...(c.tools ? { tools: true } : {}),
      images: c.images,
      documents: c.documents,
      promptCaching: c.promptCaching,
    },
  };
}

/**
 * Resolve every model for the stack's Region: the functions' environment and the IAM resources. In an
 * environment-agnostic stack the ids are chosen as for `ASSUMED_REGION` (with a warning when that ties the
 * deployment to a geography) while the ARNs keep the deploy-time Region, account and partition.
 */
function resolveModels(
  scope: Construct, models: ChatModel[], defaultModel: ChatModel, titleModel: ChatModel, mode: InferenceProfileMode,
): Pick<BackendModels, 'environment' | 'chatModelArns' | 'titleModelArns'> {
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

/** How answers are generated, whatever the model: guardrail, prompt caching, reasoning budget. */
export interface AnswerSettings {
  /** The guardrail applied to every answer, if any. */
  readonly guardrail?: GuardrailReference;
  /** `GUARDRAIL_ID`, `GUARDRAIL_VERSION`, `PROMPT_CACHING`, `REASONING_BUDGET_TOKENS` (worker), each only when set. */
  readonly environment: Record<string, string>;
}

/** Validates `guardrail` and `reasoningBudgetTokens`. */
export function answerSettings(props: ChatBackendProps): AnswerSettings {
  if (props.guardrail && !/^[a-z0-9]+$/.test(props.guardrail.guardrailId) && !Token.isUnresolved(props.guardrail.guardrailId)) {
    throw new Error(`ChatBackend: guardrail.guardrailId must be a guardrail id (lower-case letters and digits), not "${props.guardrail.guardrailId}"`);
  }
  const environment: Record<string, string> = {
    ...(props.guardrail ? { GUARDRAIL_ID: props.guardrail.guardrailId, GUARDRAIL_VERSION: props.guardrail.guardrailVersion ?? 'DRAFT' } : {}),
    ...(props.promptCaching === false ? { PROMPT_CACHING: 'off' } : {}),
    ...(props.reasoningBudgetTokens !== undefined ? { REASONING_BUDGET_TOKENS: String(props.reasoningBudgetTokens) } : {}),
  };
  const budget = props.reasoningBudgetTokens;
  if (budget !== undefined && (!Number.isInteger(budget) || budget < 1024 || budget > 64_000)) {
    throw new Error(`ChatBackend: reasoningBudgetTokens must be a whole number from 1024 to 64000, not ${props.reasoningBudgetTokens}`);
  }
  return { guardrail: props.guardrail, environment };
}

/** The ARN of the guardrail (any version) for `bedrock:ApplyGuardrail`. */
export function guardrailArn(scope: Construct, guardrail: GuardrailReference): string {
  return Stack.of(scope).formatArn({ service: 'bedrock', resource: 'guardrail', resourceName: guardrail.guardrailId });
}

/**
 * Acknowledges, on `role`, the Region wildcard of the global inference profiles among `arns` (give every model ARN
 * the role may invoke, so that one acknowledgement names them all; none: nothing).
 */
export function acknowledgeModelWildcards(role: iam.IRole, arns: string[]): void {
  const findings = wildcardFindings(Stack.of(role), arns);
  if (findings.length === 0) return;
  acknowledge(role, {
    id: 'AwsSolutions-IAM5',
    appliesTo: findings.map((finding) => `Resource::${finding}`),
    reason: 'A global cross-region inference profile routes each request to a commercial Region chosen by Bedrock at run time, so its foundation model must be allowed in every Region (Region wildcard); the model itself is named exactly.',
  });
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
