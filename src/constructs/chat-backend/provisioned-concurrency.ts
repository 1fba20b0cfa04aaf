import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * Provisioned concurrency for the functions on the path to the first token: each count keeps that many execution
 * environments initialised, so a request that lands on one starts with no cold start.
 *
 * Counts are per function because the three run for very different times: the authorizer once per connection (a few
 * ms), the WebSocket handler once per frame (tens of ms), the worker for the whole answer (seconds to minutes), so the
 * worker needs about (answers per second × seconds per answer) and the other two far fewer.
 *
 * Lambda allocates provisioned concurrency to a published version or an alias, never to $LATEST
 * (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html): a function with a count gets a version
 * published from its current configuration and an alias `live` pointing at it, and whatever invokes the function
 * (the `$connect` authorizer, the WebSocket routes, the WebSocket handler's asynchronous invocation of the worker)
 * targets the alias. Provisioned concurrency is billed for every hour it is configured, used or not
 * (https://aws.amazon.com/lambda/pricing/), and it counts against the account's concurrency quota.
 */
export interface ProvisionedConcurrencyOptions {
  /**
   * Initialised environments of the WebSocket `$connect` authorizer.
   *
   * @default 0 - none (on demand)
   */
  readonly authorizer?: number;

  /**
   * Initialised environments of the WebSocket handler (every route: sendMessage, stop, ping, ...).
   *
   * @default 0 - none (on demand)
   */
  readonly webSocketHandler?: number;

  /**
   * Initialised environments of the chat worker (one per answer being streamed).
   *
   * @default 0 - none (on demand)
   */
  readonly worker?: number;
}

/** The alias name every provisioned function gets. */
export const LIVE_ALIAS = 'live';

/**
 * An alias `live` on the function's current version with `count` provisioned environments, or `undefined` when the
 * count is 0 or unset. Throws on a count that is not a whole number (the account's concurrency quota, checked by Lambda at
 * deploy time, is the upper bound).
 */
export function provisionedAlias(
  fn: lambda.Function,
  option: keyof ProvisionedConcurrencyOptions,
  count: number | undefined,
): lambda.Alias | undefined {
  if (count === undefined || count === 0) return undefined;
  if (!Number.isInteger(count) || count < 0) {
    throw new Error(`ChatBackend: provisionedConcurrency.${option} must be a whole number (0 for none), not ${count}`);
  }
  return new lambda.Alias(fn, 'LiveAlias', {
    aliasName: LIVE_ALIAS,
    version: fn.currentVersion,
    provisionedConcurrentExecutions: count,
    description: `bedrock-chat: ${count} provisioned environment(s) (provisionedConcurrency.${option})`,
  });
}
