import { Annotations, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/**
 * Usage limits per user: tokens and cost per calendar hour, day and month (UTC), and answers at a time. Every field
 * is optional; a window without a limit is unlimited. Admins override them per user and per Cognito group at runtime
 * (`PUT /usage/limits/users/{userId}`, `PUT /usage/limits/groups/{group}`): for each limit the tightest override that
 * applies wins, `null` in an override exempts from the default (docs/architecture.md, "Usage limits").
 */
export interface UsageLimits {
  /**
   * Counters and checks on. `false` switches budgets off entirely (no counters, no concurrency cap, `GET /usage`
   * answers `{enabled: false}`), with a warning: nothing then bounds a user's spend.
   *
   * @default true
   */
  readonly enforce?: boolean;
  /** Tokens (input, output, cache read and write, as Bedrock reports them) per hour. @default - unlimited */
  readonly tokensPerHour?: number;
  /** Tokens per day. @default - unlimited */
  readonly tokensPerDay?: number;
  /** Tokens per month. @default - unlimited */
  readonly tokensPerMonth?: number;
  /** Cost in USD per hour, at the models' catalog prices (models without prices cost 0). @default - unlimited */
  readonly costUsdPerHour?: number;
  /** Cost in USD per day. @default - unlimited */
  readonly costUsdPerDay?: number;
  /** Cost in USD per month. @default - unlimited */
  readonly costUsdPerMonth?: number;
  /**
   * Answers generated at the same time per user (a sixth parallel request gets `QUOTA` with kind `concurrent`).
   *
   * @default 3
   */
  readonly maxConcurrentAnswers?: number;
}

/** What the functions read: `USAGE_LIMITS_JSON` (core/usage.ts `usageConfigFrom`). */
export interface UsageSettings {
  readonly enforce: boolean;
  readonly json: string;
}

const LIMITS = ['tokensPerHour', 'tokensPerDay', 'tokensPerMonth', 'costUsdPerHour', 'costUsdPerDay', 'costUsdPerMonth'] as const;

/** Validates `usageLimits` (with a message that says what to change) and renders what the functions read. */
export function usageSettings(scope: Construct, limits: UsageLimits | undefined): UsageSettings {
  const given = limits ?? {};
  const defaults: Record<string, number> = {};
  for (const key of LIMITS) {
    const value = given[key];
    if (value === undefined) continue;
    if (Token.isUnresolved(value)) throw new Error(`ChatBackend: usageLimits.${key} must be a number known at synth time, not a token.`);
    if (!Number.isFinite(value) || value < 0) throw new Error(`ChatBackend: usageLimits.${key} must be a number of at least 0 (got ${value}).`);
    if (key.startsWith('tokens') && (!Number.isInteger(value) || value > 1e12)) {
      throw new Error(`ChatBackend: usageLimits.${key} must be a whole number of tokens up to 10^12 (got ${value}).`);
    }
    if (key.startsWith('cost') && value > 1e6) throw new Error(`ChatBackend: usageLimits.${key} must be at most 1,000,000 USD (got ${value}).`);
    defaults[key] = value;
  }
  const max = given.maxConcurrentAnswers ?? 3;
  if (!Number.isInteger(max) || max < 1 || max > 100) {
    throw new Error(`ChatBackend: usageLimits.maxConcurrentAnswers must be a whole number from 1 to 100 (got ${max}).`);
  }
  const enforce = given.enforce ?? true;
  if (!enforce) {
    Annotations.of(scope).addWarningV2('cdk-bedrock-chat:usageLimitsOff',
      'ChatBackend: usageLimits.enforce is false: no per-user budget or concurrency cap bounds what a user can spend.');
  }
  return { enforce, json: JSON.stringify({ defaults, maxConcurrentAnswers: max, adminGroup: 'Admin' }) };
}

/** Gives the functions on the model-call path the limits (none when budgets are off: the checks are skipped). */
export function applyUsageLimits(settings: UsageSettings, functions: readonly lambda.Function[]): void {
  if (!settings.enforce) return;
  for (const f of functions) f.addEnvironment('USAGE_LIMITS_JSON', settings.json);
}
