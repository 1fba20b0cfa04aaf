import type { Usage } from './protocol';

/** Prices in USD per 1,000 tokens. */
export interface TokenPrices {
  readonly inputPer1kTokens: number;
  readonly outputPer1kTokens: number;
  readonly cacheReadPer1kTokens?: number;
  readonly cacheWritePer1kTokens?: number;
}

/** A model as the Lambdas see it: the construct serializes the deployment's catalog into `MODELS_JSON`. */
export interface RuntimeModel {
  /** Stable short key the client may send (e.g. `claude-v4.5-sonnet`). */
  readonly key: string;
  /** Model or inference-profile id to call, already resolved for the region. */
  readonly modelId: string;
  readonly displayName?: string;
  readonly prices?: TokenPrices;
  readonly capabilities?: {
    readonly reasoning?: boolean;
    /** The model only accepts adaptive thinking (no token budget). */
    readonly adaptiveReasoningOnly?: boolean;
    readonly images?: boolean;
    readonly documents?: boolean;
    readonly promptCaching?: boolean;
    /**
     * The model accepts a conversation that ends with an assistant turn (prefill), used to continue an answer cut at
     * max tokens. Absent or false: the answer is continued with a user turn asking for the rest (works on every model;
     * Claude Opus 4.6 / 4.7 and Sonnet 4.6 reject prefill).
     */
    readonly assistantPrefill?: boolean;
    /** The model calls tools (Converse `toolConfig`): bots with knowledge give it the `knowledge_search` tool. */
    readonly tools?: boolean;
  };
}

export interface GuardrailRef {
  readonly id: string;
  readonly version: string;
  /**
   * `false`: the guardrail is known to have no contextual grounding filter (a bot's defined guardrail without
   * `grounding` or `relevance`), so a turn with sources is not marked for the check (no guardContent, streamed in async
   * mode). Absent: it may have one (a guardrail named by id, the deployment's): the turn is marked.
   */
  readonly grounding?: boolean;
}

export interface ModelSettings {
  readonly models: readonly RuntimeModel[];
  readonly defaultModel: RuntimeModel;
  readonly titleModel: RuntimeModel;
  /** An Amazon Bedrock Guardrail applied to every answer (`GUARDRAIL_ID`, `GUARDRAIL_VERSION`). */
  readonly guardrail?: GuardrailRef;
  /** Cache points on models that support prompt caching, unless `PROMPT_CACHING=off`. */
  readonly promptCaching: boolean;
  /** Thinking budget in tokens when a client asks for reasoning (`REASONING_BUDGET_TOKENS`, at least 1,024). */
  readonly reasoningBudget: number;
}

/** The thinking budget used when none is configured. */
export const DEFAULT_REASONING_BUDGET = 4096;

/**
 * The deployment's models from the environment: `MODELS_JSON` (array of RuntimeModel), `DEFAULT_MODEL` and
 * `TITLE_MODEL` (keys), or `TITLE_MODEL_ID` (any model id, for titles only). Without `MODELS_JSON`, `DEFAULT_MODEL_ID` (and optional comma-separated `ALLOWED_MODEL_IDS`)
 * describe models without prices.
 */
export function modelSettingsFrom(env: Record<string, string | undefined>): ModelSettings {
  let models: RuntimeModel[];
  if (env.MODELS_JSON) {
    models = JSON.parse(env.MODELS_JSON);
    if (!Array.isArray(models) || models.length === 0 || models.some((m) => !m || typeof m.key !== 'string' || typeof m.modelId !== 'string')) {
      throw new Error('MODELS_JSON must be a non-empty array of {key, modelId}');
    }
  } else {
    const ids = (env.ALLOWED_MODEL_IDS || env.DEFAULT_MODEL_ID || '').split(',').map((s) => s.trim()).filter(Boolean);
    if (env.DEFAULT_MODEL_ID && !ids.includes(env.DEFAULT_MODEL_ID)) ids.unshift(env.DEFAULT_MODEL_ID);
    if (ids.length === 0) throw new Error('Environment variable MODELS_JSON or DEFAULT_MODEL_ID is not set');
    models = ids.map((id) => ({ key: id, modelId: id }));
  }
  const pick = (wanted: string | undefined) => (wanted ? findModel(models, wanted) : undefined);
  const defaultModel = pick(env.DEFAULT_MODEL) ?? pick(env.DEFAULT_MODEL_ID) ?? models[0];
  // The title model need not be offered to users: an id that is not in the catalog is used as is.
  const titleModel = pick(env.TITLE_MODEL) ?? pick(env.TITLE_MODEL_ID)
    ?? (env.TITLE_MODEL_ID ? { key: env.TITLE_MODEL_ID, modelId: env.TITLE_MODEL_ID } : defaultModel);
  const guardrail = env.GUARDRAIL_ID ? { id: env.GUARDRAIL_ID, version: env.GUARDRAIL_VERSION || 'DRAFT' } : undefined;
  const budget = Number(env.REASONING_BUDGET_TOKENS || DEFAULT_REASONING_BUDGET);
  if (!Number.isInteger(budget) || budget < 1024) throw new Error('REASONING_BUDGET_TOKENS must be a whole number of at least 1024');
  return { models, defaultModel, titleModel, guardrail, promptCaching: env.PROMPT_CACHING !== 'off', reasoningBudget: budget };
}

/** The model a client asked for, by key or id, among the deployment's models only. */
export function findModel(models: readonly RuntimeModel[], keyOrId: string): RuntimeModel | undefined {
  return models.find((m) => m.key === keyOrId) ?? models.find((m) => m.modelId === keyOrId);
}

/** The price of one answer in USD, rounded to 6 decimals; 0 when the model has no price data. */
export function priceOf(prices: TokenPrices | undefined, usage: Usage): number {
  if (!prices) return 0;
  const total = (usage.inputTokens * prices.inputPer1kTokens
    + usage.outputTokens * prices.outputPer1kTokens
    + usage.cacheReadTokens * (prices.cacheReadPer1kTokens ?? prices.inputPer1kTokens)
    + usage.cacheWriteTokens * (prices.cacheWritePer1kTokens ?? prices.inputPer1kTokens)) / 1000;
  return Math.round(total * 1e6) / 1e6;
}
