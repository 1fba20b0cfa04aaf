/**
 * Prices and the price of one answer. This file imports nothing (no aws-cdk-lib), so Lambda code can use it:
 * `import { priceOf } from '../../models/pricing'`.
 */

/**
 * On-demand prices of a model in USD per 1,000 tokens.
 *
 * The catalog's numbers are us-east-1 on-demand list prices (see `chat-model.ts` for the sources). Other regions and
 * geographic cross-region inference profiles can cost more; override them with `ChatModel.withOverrides({ prices })`.
 */
export interface ModelPrices {
  /** USD per 1,000 input tokens (not read from or written to the prompt cache). */
  readonly inputPer1kTokens: number;
  /** USD per 1,000 output tokens (reasoning tokens included). */
  readonly outputPer1kTokens: number;
  /**
   * USD per 1,000 input tokens read from the prompt cache.
   * @default - the input price
   */
  readonly cacheReadPer1kTokens?: number;
  /**
   * USD per 1,000 input tokens written to the prompt cache.
   * @default - the input price
   */
  readonly cacheWritePer1kTokens?: number;
}

/** Token counts of one model call, as Bedrock Converse reports them. */
export interface TokenUsage {
  /** Input tokens not read from or written to the cache. */
  readonly inputTokens: number;
  /** Output tokens. */
  readonly outputTokens: number;
  /**
   * Input tokens read from the prompt cache.
   * @default 0
   */
  readonly cacheReadTokens?: number;
  /**
   * Input tokens written to the prompt cache.
   * @default 0
   */
  readonly cacheWriteTokens?: number;
}

/** Prices of zero: a model whose prices are not known. */
export const UNKNOWN_PRICES: ModelPrices = Object.freeze({ inputPer1kTokens: 0, outputPer1kTokens: 0 });

/**
 * The price of one model call in USD, rounded to 6 decimals. Cache reads and writes fall back to the input price
 * when the model has no cache prices. Negative or non-finite token counts count as 0.
 */
export function priceOf(prices: ModelPrices, usage: TokenUsage): number {
  const count = (n: number | undefined) => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0);
  const input = prices.inputPer1kTokens;
  const total =
    count(usage.inputTokens) * input +
    count(usage.outputTokens) * prices.outputPer1kTokens +
    count(usage.cacheReadTokens) * (prices.cacheReadPer1kTokens ?? input) +
    count(usage.cacheWriteTokens) * (prices.cacheWritePer1kTokens ?? input);
  return round6(total / 1000);
}

function round6(n: number): number {
  // Math.round on the scaled value, with an epsilon against binary artefacts (0.0000015 -> 0.000002).
  return Math.round((n + Number.EPSILON) * 1e6) / 1e6;
}
