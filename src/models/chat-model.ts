import { Stack, Token } from 'aws-cdk-lib';
import { InferenceProfileMode } from './inference-profile-mode';
import { ModelPrices, TokenUsage, UNKNOWN_PRICES, priceOf } from './pricing';
import { PROFILE_PREFIXES, ResolutionMode, modelArns, profilePrefixFor, splitProfileId } from './profiles';

/** What a model can do through the Bedrock Converse API. */
export interface ChatModelCapabilities {
  /** Tool use (function calling). */
  readonly tools: boolean;
  /** Image content blocks in user messages. */
  readonly images: boolean;
  /** Document content blocks (pdf, csv, docx, ...) in user messages. */
  readonly documents: boolean;
  /** Extended thinking / reasoning output. */
  readonly reasoning: boolean;
  /** Prompt caching with Converse cache points. */
  readonly promptCaching: boolean;
  /** A system prompt. */
  readonly systemPrompt: boolean;
  /** ConverseStream. */
  readonly streaming: boolean;
  /**
   * Reasoning accepts only `thinking: { type: "adaptive" }`; `type: "enabled"` with `budget_tokens` is rejected with a
   * 400 (Claude Opus 4.7).
   * @default false
   */
  readonly adaptiveReasoningOnly?: boolean;
  /**
   * The model accepts a conversation that ends with an assistant turn ("prefill"): an answer cut at the token limit is
   * continued by sending it as that last turn. Without it, the answer is continued with a user turn asking for the
   * rest, and the continuation is joined into the same stored answer; this works on every model, so it is the default.
   * Claude Opus 4.6 / 4.7 and Sonnet 4.6 reject prefill with a 400 ("This model does not support assistant message
   * prefill", https://platform.claude.com/docs/en/about-claude/models/migration-guide).
   * @default false
   */
  readonly assistantPrefill?: boolean;
}

/** Options of `ChatModel.of` and `ChatModel.withOverrides`. */
export interface ChatModelOptions {
  /**
   * Short, stable key used by clients and stored on messages (1-64 of `A-Za-z0-9._:-`).
   * @default - the catalog key for a known model, otherwise the model id
   */
  readonly key?: string;
  /**
   * Name shown in the model picker.
   * @default - the catalog name for a known model, otherwise the model id
   */
  readonly displayName?: string;
  /**
   * Model provider.
   * @default - the catalog provider for a known model, otherwise the part of the id before the first dot
   */
  readonly provider?: string;
  /**
   * What the model can do.
   * @default - the catalog capabilities for a known model, otherwise text only: system prompt and streaming
   */
  readonly capabilities?: ChatModelCapabilities;
  /**
   * Prices in USD per 1,000 tokens.
   * @default - the catalog prices for a known model, otherwise 0 (and `pricesKnown` false)
   */
  readonly prices?: ModelPrices;
  /**
   * Whether `prices` are real prices. Answers of a model whose prices are not known are priced at 0.
   * @default - true when `prices` is given, otherwise the catalog value (false for unknown models)
   */
  readonly pricesKnown?: boolean;
  /**
   * Cross-region inference profile prefixes that exist for the model: `global`, `us`, `us-gov`, `eu`, `apac`, `jp`,
   * `au`. See the model's card in the Amazon Bedrock User Guide.
   * @default - the catalog list for a known model, otherwise none (in-Region calls only), or the prefix of a
   * profile id passed to `of`
   */
  readonly inferenceProfiles?: string[];
  /**
   * Whether the model accepts assistant prefill (replaces `capabilities.assistantPrefill`).
   * @default - the capabilities' value (see `ChatModelCapabilities.assistantPrefill`)
   */
  readonly assistantPrefill?: boolean;
}

/** The JSON shape of one model for the Lambda functions (serialized into their environment by the construct). */
export interface ModelCatalogEntry {
  /** Stable key. */
  readonly key: string;
  /** The id to send to Bedrock in this deployment: an inference profile id or the base model id. */
  readonly modelId: string;
  /** The base foundation-model id. */
  readonly baseModelId: string;
  /** Name shown in the model picker. */
  readonly displayName: string;
  /** Model provider. */
  readonly provider: string;
  /** What the model can do. */
  readonly capabilities: ChatModelCapabilities;
  /** Prices in USD per 1,000 tokens (0 when not known). */
  readonly prices: ModelPrices;
  /** Whether `prices` are real prices. */
  readonly pricesKnown: boolean;
}

/** Resources an IAM policy must allow for `bedrock:InvokeModel` / `bedrock:InvokeModelWithResponseStream`. */
export interface ModelIamResources {
  /** The model id the policy is for (resolved: profile id or base id). */
  readonly modelId: string;
  /** The system-defined inference profile ARN in the source Region; empty for in-Region calls. */
  readonly inferenceProfileArns: string[];
  /**
   * Foundation-model ARNs: the source Region (in-Region), the source Region and every destination Region of the
   * geography (geographic profile), or any Region (`*`, global profile).
   */
  readonly foundationModelArns: string[];
}

/** Claude before 4.6: prefill accepted (removed in 4.6: https://platform.claude.com/docs/en/about-claude/models/migration-guide). */
const CLAUDE = {
  tools: true, images: true, documents: true, reasoning: true, promptCaching: true, systemPrompt: true, streaming: true, assistantPrefill: true,
};
/** Claude 4.6 and later reject prefill (https://platform.claude.com/docs/en/about-claude/models/migration-guide). */
const CLAUDE_NO_PREFILL = { ...CLAUDE, assistantPrefill: false };
/**
 * Amazon Nova (version 1) continues a final assistant message: "If the technique of prefilling the response from Amazon
 * Nova is used (include the final message in the assistant role), the model continues the response from the given
 * content" (https://docs.aws.amazon.com/nova/latest/userguide/invoke.html). Not verified for Nova 2, Llama, Mistral,
 * DeepSeek or gpt-oss: those keep the default (false), which works on every model.
 */
const NOVA_PREFILL = true;
const TEXT_ONLY = { tools: false, images: false, documents: false, reasoning: false, promptCaching: false, systemPrompt: true, streaming: true };

/** Claude prices from input and output USD per million tokens: cache writes (5 minutes) 1.25x input, reads 0.1x. */
function claudePrices(inputPerMTok: number, outputPerMTok: number): ModelPrices {
  // Rounded to 10 decimals so the data reads as the published numbers (0.0003, not 0.00030000000000000003).
  const per1k = (perMTok: number) => Number((perMTok / 1000).toFixed(10));
  return {
    inputPer1kTokens: per1k(inputPerMTok),
    outputPer1kTokens: per1k(outputPerMTok),
    cacheWritePer1kTokens: per1k(inputPerMTok * 1.25),
    cacheReadPer1kTokens: per1k(inputPerMTok * 0.1),
  };
}

function flatPrices(inputPer1k: number, outputPer1k: number): ModelPrices {
  return { inputPer1kTokens: inputPer1k, outputPer1kTokens: outputPer1k };
}

interface ModelData {
  readonly modelId: string;
  readonly key: string;
  readonly displayName: string;
  readonly provider: string;
  readonly capabilities: ChatModelCapabilities;
  readonly prices: ModelPrices;
  readonly pricesKnown: boolean;
  readonly inferenceProfiles: readonly string[];
}

const KEY_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** Catalog constants in declaration order (filled while the class's static fields initialize). */
const CATALOG: ChatModel[] = [];

/**
 * A Bedrock chat model: its base id, a stable key, capabilities, prices and which cross-region inference profiles
 * exist for it. Use a constant (`ChatModel.CLAUDE_SONNET_4_5`) or `ChatModel.of('<model id>')` for any other model.
 *
 * Sources of the catalog data (checked against the stored Amazon Bedrock documentation; see README.md):
 * - model ids and inference profile prefixes: the per-model cards and "Supported Regions and models for inference
 *   profiles" in the Amazon Bedrock User Guide, the Nova 2 user guide (Nova 2 Lite), "OpenAI models" (gpt-oss);
 * - prices: us-east-1 on-demand list prices from aws.amazon.com/bedrock/pricing (Claude prices equal Anthropic's
 *   list prices, platform.claude.com/docs/en/about-claude/pricing; cache writes are the 5-minute rate). Global profiles
 *   of Claude 4.5 and later cost about 10 % less than geographic ones ("Global cross-Region inference"); the catalog
 *   keeps one list price per model. Prices change: override them with `withOverrides({ prices })`.
 * - where a fact could not be verified, prices are 0 with `pricesKnown` false (gpt-oss, Nova Premier, Nova 2 Lite).
 */
export class ChatModel {
  // ---- Anthropic Claude 4.7 / 4.6 ----
  /** Claude Opus 4.7 (reasoning is adaptive only). */
  public static readonly CLAUDE_OPUS_4_7 = ChatModel.known({
    modelId: 'anthropic.claude-opus-4-7',
    key: 'claude-v4.7-opus',
    displayName: 'Claude Opus 4.7',
    provider: 'anthropic',
    capabilities: { ...CLAUDE_NO_PREFILL, adaptiveReasoningOnly: true },
    prices: claudePrices(5, 25),
    pricesKnown: true,
    inferenceProfiles: ['global', 'us', 'eu', 'jp', 'au'],
  });
  /** Claude Opus 4.6. */
  public static readonly CLAUDE_OPUS_4_6 = ChatModel.known({
    modelId: 'anthropic.claude-opus-4-6-v1',
    key: 'claude-v4.6-opus',
    displayName: 'Claude Opus 4.6',
    provider: 'anthropic',
    capabilities: CLAUDE_NO_PREFILL,
    prices: claudePrices(5, 25),
    pricesKnown: true,
    inferenceProfiles: ['global', 'us', 'eu', 'au'],
  });
  /** Claude Sonnet 4.6. */
  public static readonly CLAUDE_SONNET_4_6 = ChatModel.known({
    modelId: 'anthropic.claude-sonnet-4-6',
    key: 'claude-v4.6-sonnet',
    displayName: 'Claude Sonnet 4.6',
    provider: 'anthropic',
    capabilities: CLAUDE_NO_PREFILL,
    prices: claudePrices(3, 15),
    pricesKnown: true,
    inferenceProfiles: ['global', 'us', 'eu', 'jp', 'au'],
  });

  // ---- Anthropic Claude 4.5 ----
  /** Claude Opus 4.5. */
  public static readonly CLAUDE_OPUS_4_5 = ChatModel.known({
    modelId: 'anthropic.claude-opus-4-5-20251101-v1:0',
    key: 'claude-v4.5-opus',
    displayName: 'Claude Opus 4.5',
    provider: 'anthropic',
    capabilities: CLAUDE,
    prices: claudePrices(5, 25),
    pricesKnown: true,
    inferenceProfiles: ['global', 'us', 'eu'],
  });
  /** Claude Sonnet 4.5. */
  public static readonly CLAUDE_SONNET_4_5 = ChatModel.known({
    modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
    key: 'claude-v4.5-sonnet',
    displayName: 'Claude Sonnet 4.5',
    provider: 'anthropic',
    capabilities: CLAUDE,
    prices: claudePrices(3, 15),
    pricesKnown: true,
    inferenceProfiles: ['global', 'us', 'eu', 'jp', 'au'],
  });
  /** Claude Haiku 4.5. */
  public static readonly CLAUDE_HAIKU_4_5 = ChatModel.known({
    modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0',
    key: 'claude-v4.5-haiku',
    displayName: 'Claude Haiku 4.5',
    provider: 'anthropic',
    capabilities: CLAUDE,
    prices: claudePrices(1, 5),
    pricesKnown: true,
    inferenceProfiles: ['global', 'us', 'eu', 'jp', 'au'],
  });

  // ---- Anthropic Claude 4.1 / 4 ----
  /** Claude Opus 4.1. */
  public static readonly CLAUDE_OPUS_4_1 = ChatModel.known({
    modelId: 'anthropic.claude-opus-4-1-20250805-v1:0',
    key: 'claude-v4.1-opus',
    displayName: 'Claude Opus 4.1',
    provider: 'anthropic',
    capabilities: CLAUDE,
    prices: claudePrices(15, 75),
    pricesKnown: true,
    inferenceProfiles: ['us'],
  });
  /** Claude Opus 4. */
  public static readonly CLAUDE_OPUS_4 = ChatModel.known({
    modelId: 'anthropic.claude-opus-4-20250514-v1:0',
    key: 'claude-v4-opus',
    displayName: 'Claude Opus 4',
    provider: 'anthropic',
    capabilities: CLAUDE,
    prices: claudePrices(15, 75),
    pricesKnown: true,
    inferenceProfiles: ['us'],
  });
  /** Claude Sonnet 4. */
  public static readonly CLAUDE_SONNET_4 = ChatModel.known({
    modelId: 'anthropic.claude-sonnet-4-20250514-v1:0',
    key: 'claude-v4-sonnet',
    displayName: 'Claude Sonnet 4',
    provider: 'anthropic',
    capabilities: CLAUDE,
    prices: claudePrices(3, 15),
    pricesKnown: true,
    inferenceProfiles: ['global', 'us', 'eu', 'apac'],
  });

  // ---- Anthropic Claude 3.7 / 3.5 ----
  /** Claude 3.7 Sonnet. */
  public static readonly CLAUDE_3_7_SONNET = ChatModel.known({
    modelId: 'anthropic.claude-3-7-sonnet-20250219-v1:0',
    key: 'claude-v3.7-sonnet',
    displayName: 'Claude 3.7 Sonnet',
    provider: 'anthropic',
    capabilities: CLAUDE,
    prices: claudePrices(3, 15),
    pricesKnown: true,
    inferenceProfiles: ['us', 'eu'],
  });
  /** Claude 3.5 Sonnet v2 (no extended thinking). */
  public static readonly CLAUDE_3_5_SONNET_V2 = ChatModel.known({
    modelId: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
    key: 'claude-v3.5-sonnet-v2',
    displayName: 'Claude 3.5 Sonnet v2',
    provider: 'anthropic',
    capabilities: { ...CLAUDE, reasoning: false },
    prices: claudePrices(3, 15),
    pricesKnown: true,
    inferenceProfiles: ['us', 'apac'],
  });
  /** Claude 3.5 Haiku (text input only; Bedrock price $0.80 / $4 per million tokens). */
  public static readonly CLAUDE_3_5_HAIKU = ChatModel.known({
    modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    key: 'claude-v3.5-haiku',
    displayName: 'Claude 3.5 Haiku',
    provider: 'anthropic',
    capabilities: { ...CLAUDE, images: false, reasoning: false },
    prices: claudePrices(0.8, 4),
    pricesKnown: true,
    inferenceProfiles: ['us'],
  });

  // ---- Amazon Nova ----
  /** Amazon Nova 2 Lite (prices not verified: 0, `pricesKnown` false). */
  public static readonly NOVA_2_LITE = ChatModel.known({
    modelId: 'amazon.nova-2-lite-v1:0',
    key: 'amazon-nova-2-lite',
    displayName: 'Amazon Nova 2 Lite',
    provider: 'amazon',
    capabilities: { tools: true, images: true, documents: true, reasoning: true, promptCaching: false, systemPrompt: true, streaming: true },
    prices: UNKNOWN_PRICES,
    pricesKnown: false,
    inferenceProfiles: ['global', 'us'],
  });
  /** Amazon Nova Premier (prices not verified: 0, `pricesKnown` false). */
  public static readonly NOVA_PREMIER = ChatModel.known({
    modelId: 'amazon.nova-premier-v1:0',
    key: 'amazon-nova-premier',
    displayName: 'Amazon Nova Premier',
    provider: 'amazon',
    capabilities: {
      tools: true,
      images: true,
      documents: true,
      reasoning: false,
      promptCaching: false,
      systemPrompt: true,
      streaming: true,
      assistantPrefill: NOVA_PREFILL,
    },
    prices: UNKNOWN_PRICES,
    pricesKnown: false,
    inferenceProfiles: ['us'],
  });
  /** Amazon Nova Pro. Cache reads are 75 % off; cache writes cost the input price. */
  public static readonly NOVA_PRO = ChatModel.known({
    modelId: 'amazon.nova-pro-v1:0',
    key: 'amazon-nova-pro',
    displayName: 'Amazon Nova Pro',
    provider: 'amazon',
    capabilities: {
      tools: true,
      images: true,
      documents: true,
      reasoning: false,
      promptCaching: true,
      systemPrompt: true,
      streaming: true,
      assistantPrefill: NOVA_PREFILL,
    },
    prices: { inputPer1kTokens: 0.0008, outputPer1kTokens: 0.0032, cacheReadPer1kTokens: 0.0002, cacheWritePer1kTokens: 0.0008 },
    pricesKnown: true,
    inferenceProfiles: ['us', 'eu', 'apac'],
  });
  /** Amazon Nova Lite. */
  public static readonly NOVA_LITE = ChatModel.known({
    modelId: 'amazon.nova-lite-v1:0',
    key: 'amazon-nova-lite',
    displayName: 'Amazon Nova Lite',
    provider: 'amazon',
    capabilities: {
      tools: true,
      images: true,
      documents: true,
      reasoning: false,
      promptCaching: true,
      systemPrompt: true,
      streaming: true,
      assistantPrefill: NOVA_PREFILL,
    },
    prices: { inputPer1kTokens: 0.00006, outputPer1kTokens: 0.00024, cacheReadPer1kTokens: 0.000015, cacheWritePer1kTokens: 0.00006 },
    pricesKnown: true,
    inferenceProfiles: ['us', 'eu', 'apac'],
  });
  /** Amazon Nova Micro (text only). */
  public static readonly NOVA_MICRO = ChatModel.known({
    modelId: 'amazon.nova-micro-v1:0',
    key: 'amazon-nova-micro',
    displayName: 'Amazon Nova Micro',
    provider: 'amazon',
    capabilities: { ...TEXT_ONLY, tools: true, promptCaching: true, assistantPrefill: NOVA_PREFILL },
    prices: { inputPer1kTokens: 0.000035, outputPer1kTokens: 0.00014, cacheReadPer1kTokens: 0.00000875, cacheWritePer1kTokens: 0.000035 },
    pricesKnown: true,
    inferenceProfiles: ['us', 'eu', 'apac'],
  });

  // ---- Meta Llama ----
  /** Meta Llama 3.3 70B Instruct. */
  public static readonly LLAMA_3_3_70B = ChatModel.known({
    modelId: 'meta.llama3-3-70b-instruct-v1:0',
    key: 'llama3-3-70b-instruct',
    displayName: 'Llama 3.3 70B Instruct',
    provider: 'meta',
    capabilities: { ...TEXT_ONLY, tools: true },
    prices: flatPrices(0.00072, 0.00072),
    pricesKnown: true,
    inferenceProfiles: ['us'],
  });
  /** Meta Llama 3.2 90B Instruct (vision). */
  public static readonly LLAMA_3_2_90B = ChatModel.known({
    modelId: 'meta.llama3-2-90b-instruct-v1:0',
    key: 'llama3-2-90b-instruct',
    displayName: 'Llama 3.2 90B Instruct',
    provider: 'meta',
    capabilities: { ...TEXT_ONLY, tools: true, images: true },
    prices: flatPrices(0.00072, 0.00072),
    pricesKnown: true,
    inferenceProfiles: ['us'],
  });
  /** Meta Llama 3.2 11B Instruct (vision). */
  public static readonly LLAMA_3_2_11B = ChatModel.known({
    modelId: 'meta.llama3-2-11b-instruct-v1:0',
    key: 'llama3-2-11b-instruct',
    displayName: 'Llama 3.2 11B Instruct',
    provider: 'meta',
    capabilities: { ...TEXT_ONLY, tools: true, images: true },
    prices: flatPrices(0.00016, 0.00016),
    pricesKnown: true,
    inferenceProfiles: ['us'],
  });

  // ---- Mistral AI ----
  /** Mistral Large 2 (24.07); in-Region only. */
  public static readonly MISTRAL_LARGE_2 = ChatModel.known({
    modelId: 'mistral.mistral-large-2407-v1:0',
    key: 'mistral-large-2',
    displayName: 'Mistral Large 2',
    provider: 'mistral',
    capabilities: { ...TEXT_ONLY, tools: true },
    prices: flatPrices(0.002, 0.006),
    pricesKnown: true,
    inferenceProfiles: [],
  });
  /** Mixtral 8x7B Instruct (no tools, no system prompt); in-Region only. */
  public static readonly MIXTRAL_8X7B = ChatModel.known({
    modelId: 'mistral.mixtral-8x7b-instruct-v0:1',
    key: 'mixtral-8x7b-instruct',
    displayName: 'Mixtral 8x7B Instruct',
    provider: 'mistral',
    capabilities: { ...TEXT_ONLY, systemPrompt: false },
    prices: flatPrices(0.00045, 0.0007),
    pricesKnown: true,
    inferenceProfiles: [],
  });

  // ---- DeepSeek ----
  /** DeepSeek-R1 (reasoning, no tools). */
  public static readonly DEEPSEEK_R1 = ChatModel.known({
    modelId: 'deepseek.r1-v1:0',
    key: 'deepseek-r1',
    displayName: 'DeepSeek-R1',
    provider: 'deepseek',
    capabilities: { ...TEXT_ONLY, reasoning: true },
    prices: flatPrices(0.00135, 0.0054),
    pricesKnown: true,
    inferenceProfiles: ['us'],
  });

  // ---- OpenAI open-weight ----
  /** OpenAI gpt-oss-120b (prices not verified: 0, `pricesKnown` false); in-Region only. */
  public static readonly GPT_OSS_120B = ChatModel.known({
    modelId: 'openai.gpt-oss-120b-1:0',
    key: 'gpt-oss-120b',
    displayName: 'gpt-oss-120b',
    provider: 'openai',
    capabilities: { ...TEXT_ONLY, tools: true, reasoning: true },
    prices: UNKNOWN_PRICES,
    pricesKnown: false,
    inferenceProfiles: [],
  });
  /** OpenAI gpt-oss-20b (prices not verified: 0, `pricesKnown` false); in-Region only. */
  public static readonly GPT_OSS_20B = ChatModel.known({
    modelId: 'openai.gpt-oss-20b-1:0',
    key: 'gpt-oss-20b',
    displayName: 'gpt-oss-20b',
    provider: 'openai',
    capabilities: { ...TEXT_ONLY, tools: true, reasoning: true },
    prices: UNKNOWN_PRICES,
    pricesKnown: false,
    inferenceProfiles: [],
  });

  /** Every model of the catalog, in declaration order. */
  public static values(): ChatModel[] {
    return [...ChatModel.catalogList()];
  }

  /**
   * A model by id. A catalog id returns the catalog model (with `options` applied); any other id makes a model with
   * conservative defaults (text only, prices 0 with `pricesKnown` false, no inference profiles) that `options` refine.
   * A profile id (`us.<id>`, `global.<id>`) is split into the base id and that profile prefix.
   */
  public static of(modelId: string, options?: ChatModelOptions): ChatModel {
    if (typeof modelId !== 'string' || Token.isUnresolved(modelId)) {
      throw new Error('ChatModel.of: the model id must be a literal string, not a token.');
    }
    const id = modelId.trim();
    if (!id || /\s/.test(id)) throw new Error(`ChatModel.of: "${modelId}" is not a model id.`);
    if (id.startsWith('arn:')) {
      throw new Error(`ChatModel.of: "${id}" is an ARN; pass a foundation-model id (with \`inferenceProfiles\` for cross-region profiles).`);
    }
    const { prefix, baseModelId } = splitProfileId(id);
    const known = ChatModel.catalogList().find(m => m.modelId === baseModelId);
    const profileDefault = prefix ? { inferenceProfiles: [prefix] } : {};
    if (known) {
      if (!options && !prefix) return known;
      return known.withOverrides({ ...profileDefault, ...options });
    }
    return new ChatModel({
      modelId: baseModelId,
      key: baseModelId,
      displayName: baseModelId,
      provider: baseModelId.split('.')[0],
      capabilities: TEXT_ONLY,
      prices: UNKNOWN_PRICES,
      pricesKnown: false,
      inferenceProfiles: [],
    }).withOverrides({ ...profileDefault, ...options });
  }

  private static catalogList(): ChatModel[] {
    return CATALOG;
  }

  private static known(data: ModelData): ChatModel {
    const model = new ChatModel(data);
    ChatModel.catalogList().push(model);
    return model;
  }

  /** The base foundation-model id, e.g. `anthropic.claude-sonnet-4-5-20250929-v1:0`. */
  public readonly modelId: string;
  /** Short, stable key, e.g. `claude-v4.5-sonnet`. */
  public readonly key: string;
  /** Name shown in the model picker. */
  public readonly displayName: string;
  /** Model provider, e.g. `anthropic`. */
  public readonly provider: string;
  /** What the model can do. */
  public readonly capabilities: ChatModelCapabilities;
  /** Prices in USD per 1,000 tokens (0 when not known). */
  public readonly prices: ModelPrices;
  /** Whether `prices` are real prices. */
  public readonly pricesKnown: boolean;
  /** Cross-region inference profile prefixes that exist for the model (`global`, `us`, `eu`, `apac`, `jp`, `au`, ...). */
  public readonly inferenceProfiles: string[];

  private constructor(data: ModelData) {
    this.modelId = data.modelId;
    this.key = data.key;
    this.displayName = data.displayName;
    this.provider = data.provider;
    this.capabilities = Object.freeze({ ...data.capabilities });
    this.prices = Object.freeze({ ...data.prices });
    this.pricesKnown = data.pricesKnown;
    this.inferenceProfiles = Object.freeze([...data.inferenceProfiles]) as string[];
  }

  /** A copy of this model with some fields replaced (prices, key, capabilities, inference profiles, ...). */
  public withOverrides(options: ChatModelOptions): ChatModel {
    const o = options ?? {};
    if (o.key !== undefined && !KEY_PATTERN.test(o.key)) {
      throw new Error(`ChatModel ${this.modelId}: key "${o.key}" must be 1-64 characters of A-Za-z0-9._:-`);
    }
    if (o.prices) validatePrices(this.modelId, o.prices);
    for (const p of o.inferenceProfiles ?? []) {
      if (!(PROFILE_PREFIXES as readonly string[]).includes(p)) {
        throw new Error(`ChatModel ${this.modelId}: unknown inference profile prefix "${p}"; use ${PROFILE_PREFIXES.join(', ')}.`);
      }
    }
    return new ChatModel({
      modelId: this.modelId,
      key: o.key ?? this.key,
      displayName: o.displayName ?? this.displayName,
      provider: o.provider ?? this.provider,
      capabilities: o.assistantPrefill === undefined
        ? o.capabilities ?? this.capabilities
        : { ...(o.capabilities ?? this.capabilities), assistantPrefill: o.assistantPrefill },
      prices: o.prices ?? this.prices,
      pricesKnown: o.pricesKnown ?? (o.prices ? true : this.pricesKnown),
      inferenceProfiles: o.inferenceProfiles ?? this.inferenceProfiles,
    });
  }

  /**
   * The inference profile prefix used in `region` (`global`, `us`, ...), or undefined for the base model id.
   * @param region the Region the calls are made from (the stack's Region)
   * @param mode @default InferenceProfileMode.GLOBAL_THEN_GEOGRAPHIC
   */
  public inferenceProfileFor(region: string, mode?: InferenceProfileMode): string | undefined {
    const m = (mode ?? InferenceProfileMode.GLOBAL_THEN_GEOGRAPHIC).name as ResolutionMode;
    if (m === 'NONE' || this.inferenceProfiles.length === 0) return undefined;
    if (Token.isUnresolved(region)) {
      throw new Error(
        `ChatModel ${this.key}: the Region is an unresolved token (an environment-agnostic stack), so the cross-region ` +
        'inference profile cannot be chosen at synthesis. Give the stack an explicit Region (env: { region }), or use ' +
        'InferenceProfileMode.NONE for in-Region calls.',
      );
    }
    return profilePrefixFor(this.inferenceProfiles, region, m);
  }

  /**
   * The model id to send to Bedrock from `region`: `global.<id>`, `<geo>.<id>` or the base id.
   * Throws when a profile would be chosen and `region` is an unresolved token.
   * @param region the Region the calls are made from (the stack's Region)
   * @param mode @default InferenceProfileMode.GLOBAL_THEN_GEOGRAPHIC
   */
  public resolveModelId(region: string, mode?: InferenceProfileMode): string {
    const prefix = this.inferenceProfileFor(region, mode);
    return prefix ? `${prefix}.${this.modelId}` : this.modelId;
  }

  /**
   * ARNs to allow in IAM for calls from `region`, built from `partition` and `account` (both may be tokens, e.g.
   * `Aws.PARTITION`, `Aws.ACCOUNT_ID`; `region` may be a token only in mode NONE or for a model without profiles).
   * @param mode @default InferenceProfileMode.GLOBAL_THEN_GEOGRAPHIC
   */
  public iamResources(region: string, account: string, partition: string, mode?: InferenceProfileMode): ModelIamResources {
    const modelId = this.resolveModelId(region, mode);
    return { modelId, ...modelArns(region, account, partition, modelId) };
  }

  /**
   * `iamResources` with the stack's Region, account and partition.
   * @param mode @default InferenceProfileMode.GLOBAL_THEN_GEOGRAPHIC
   */
  public iamResourcesForStack(stack: Stack, mode?: InferenceProfileMode): ModelIamResources {
    return this.iamResources(stack.region, stack.account, stack.partition, mode);
  }

  /**
   * The entry the Lambda functions read for this model in `region`.
   * @param mode @default InferenceProfileMode.GLOBAL_THEN_GEOGRAPHIC
   */
  public toRuntimeConfig(region: string, mode?: InferenceProfileMode): ModelCatalogEntry {
    return {
      key: this.key,
      modelId: this.resolveModelId(region, mode),
      baseModelId: this.modelId,
      displayName: this.displayName,
      provider: this.provider,
      capabilities: { ...this.capabilities },
      prices: { ...this.prices },
      pricesKnown: this.pricesKnown,
    };
  }

  /** The price in USD of one call with this usage (6 decimals); 0 when prices are not known. */
  public priceOf(usage: TokenUsage): number {
    return priceOf(this.prices, usage);
  }

  public toString(): string {
    return this.key;
  }
}

function validatePrices(modelId: string, p: ModelPrices): void {
  const entries: Array<[string, number | undefined]> = [
    ['inputPer1kTokens', p.inputPer1kTokens], ['outputPer1kTokens', p.outputPer1kTokens],
    ['cacheReadPer1kTokens', p.cacheReadPer1kTokens], ['cacheWritePer1kTokens', p.cacheWritePer1kTokens],
  ];
  for (const [name, v] of entries) {
    if (v === undefined && name.startsWith('cache')) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new Error(`ChatModel ${modelId}: prices.${name} must be a number >= 0 (USD per 1,000 tokens), got ${v}.`);
    }
  }
}
