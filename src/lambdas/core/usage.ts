/**
 * Usage limits per user and per Cognito group (docs/architecture.md, "Usage limits"): tokens and cost (integer
 * micro-USD) per hour, day and month (calendar windows in UTC), and answers in flight per user. Every model call
 * (sendMessage, regenerate, continue, title) first reserves an estimate with ONE conditional UpdateItem on the user's
 * counter item, is settled with the usage Bedrock reported (ConverseStream's `metadata` event,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamMetadataEvent.html) and released
 * when no answer came. No AWS event types here.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ChatError } from './errors';
import { priceOf, TokenPrices } from './models';
import type { QuotaDetails, Usage, UsageReport } from './protocol';

export type { QuotaDetails, UsageReport, UsageWindowReport } from './protocol';

export type UsageWindow = 'hour' | 'day' | 'month';
export const WINDOWS: readonly UsageWindow[] = ['hour', 'day', 'month'];
export type LimitKind = 'tokens' | 'cost';

/**
 * A set of limits, as the construct's `usageLimits` and the admin routes spell them. A number is a limit (tokens;
 * USD for cost), `null` means explicitly unlimited (a group or user exempt from the defaults), absent means "not
 * set here" (the next source decides).
 */
export interface LimitSet {
  readonly tokensPerHour?: number | null;
  readonly tokensPerDay?: number | null;
  readonly tokensPerMonth?: number | null;
  readonly costUsdPerHour?: number | null;
  readonly costUsdPerDay?: number | null;
  readonly costUsdPerMonth?: number | null;
}

export const LIMIT_KEYS = ['tokensPerHour', 'tokensPerDay', 'tokensPerMonth', 'costUsdPerHour', 'costUsdPerDay', 'costUsdPerMonth'] as const;
export type LimitKey = typeof LIMIT_KEYS[number];

const keyOf = (kind: LimitKind, window: UsageWindow): LimitKey =>
  `${kind === 'tokens' ? 'tokens' : 'costUsd'}Per${window[0].toUpperCase()}${window.slice(1)}` as LimitKey;

/** Largest token limit accepted (10^12) and largest cost limit (USD 10^6): keeps micro-USD exact in a double. */
export const MAX_TOKEN_LIMIT = 1e12;
export const MAX_COST_LIMIT_USD = 1e6;

/** The deployment's settings (`USAGE_LIMITS_JSON`, written by the construct). */
export interface UsageConfig {
  readonly defaults: LimitSet;
  /** Answers generated at the same time per user. */
  readonly maxConcurrentAnswers: number;
  /** The Cognito group whose members may set overrides. */
  readonly adminGroup: string;
}

/** Tokens a reservation assumes the answer will produce, before the real usage is known (settled afterwards). */
export const ESTIMATE_OUTPUT_TOKENS = 500;
/**
 * A reservation older than this can no longer be of a running answer (Lambda's largest timeout is 900 s,
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html, plus a minute): a lease left by a double
 * fault (worker and on-failure destination both failed) is dropped when it blocks a new answer.
 */
export const STALE_LEASE_SECONDS = 960;

export function usageConfigFrom(env: Record<string, string | undefined>): UsageConfig | undefined {
  const raw = env.USAGE_LIMITS_JSON;
  if (!raw) return undefined;
  const parsed = JSON.parse(raw) as Partial<UsageConfig>;
  const problem = limitSetProblem(parsed.defaults ?? {});
  if (problem) throw new Error(`USAGE_LIMITS_JSON: defaults: ${problem}`);
  const max = parsed.maxConcurrentAnswers ?? 3;
  if (!Number.isInteger(max) || max < 1) throw new Error('USAGE_LIMITS_JSON: maxConcurrentAnswers must be a whole number of at least 1');
  return { defaults: parsed.defaults ?? {}, maxConcurrentAnswers: max, adminGroup: parsed.adminGroup ?? 'Admin' };
}

/** Why a limit set is not valid (undefined when it is): the message names the field and the rule. */
export function limitSetProblem(set: unknown): string | undefined {
  if (set === null || typeof set !== 'object' || Array.isArray(set)) return 'limits must be an object';
  for (const [k, v] of Object.entries(set as Record<string, unknown>)) {
    if (!(LIMIT_KEYS as readonly string[]).includes(k)) return `unknown limit ${k}`;
    if (v === null || v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return `${k} must be a number >= 0, or null`;
    if (k[0] === 't' ? !Number.isInteger(v) || v > MAX_TOKEN_LIMIT : v > MAX_COST_LIMIT_USD) return `${k} is not a whole number of tokens <= 1e12 or USD <= 1e6`;
  }
  return undefined;
}

/** USD as integer micro-USD (the counters' unit). */
export const microUsd = (usd: number): number => Math.round(usd * 1e6);

/** One limit in force for a user: in tokens or micro-USD; undefined = unlimited. */
export type EffectiveLimits = Record<LimitKey, number | undefined>;

/**
 * The limits in force for a user: for each limit, the user's override and the overrides of the user's groups that
 * set it, the tightest winning (`null`, unlimited, only wins when it is the only one set); the default when no
 * override sets it. So a group can be exempt from the defaults (null), and an admin can tighten one user further.
 */
export function effectiveLimits(defaults: LimitSet, user: LimitSet | undefined, groups: readonly LimitSet[]): EffectiveLimits {
  const out = {} as Record<LimitKey, number | undefined>;
  for (const key of LIMIT_KEYS) {
    const set = [user, ...groups].map((s) => s?.[key]).filter((v) => v !== undefined);
    const numbers = set.filter((v): v is number => typeof v === 'number');
    const value = set.length === 0 ? defaults[key] ?? undefined : numbers.length > 0 ? Math.min(...numbers) : undefined;
    out[key] = value === undefined || value === null ? undefined : key.startsWith('cost') ? microUsd(value) : value;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ windows
const pad = (n: number) => String(n).padStart(2, '0');

/** The current period of each window (UTC) and when it ends. */
export function periodsAt(now: Date): Record<UsageWindow, { id: string; resetsAt: string }> {
  const y = now.getUTCFullYear();
  const mo = now.getUTCMonth();
  const d = now.getUTCDate();
  const h = now.getUTCHours();
  return {
    hour: { id: `${y}${pad(mo + 1)}${pad(d)}${pad(h)}`, resetsAt: new Date(Date.UTC(y, mo, d, h + 1)).toISOString() },
    day: { id: `${y}${pad(mo + 1)}${pad(d)}`, resetsAt: new Date(Date.UTC(y, mo, d + 1)).toISOString() },
    month: { id: `${y}${pad(mo + 1)}`, resetsAt: new Date(Date.UTC(y, mo + 1, 1)).toISOString() },
  };
}

/** Attribute names of a window period's counters on the counter item: `t_<window initial><period>`, `c_...`. */
const attr = (kind: LimitKind, window: UsageWindow, period: string) => `${kind === 'tokens' ? 't' : 'c'}_${window[0]}${period}`;
const COUNTER_ATTR = /^[tc]_[hdm]\d{6,10}$/;

// ------------------------------------------------------------------------------------------------ errors

/** Over a limit: the `error` frame's code `QUOTA` (HTTP 429) with which limit and when it resets. */
export class QuotaError extends ChatError {
  constructor(readonly quota: QuotaDetails) {
    super('QUOTA', quotaMessage(quota));
    this.name = 'QuotaError';
  }
}

function quotaMessage(q: QuotaDetails): string {
  if (q.kind === 'concurrent') return `${q.used} answers are in progress already (at most ${q.limit} at a time).`;
  const what = q.kind === 'tokens' ? `${q.limit} tokens` : `USD ${q.limit}`;
  return `Usage limit of ${what} per ${q.window} reached; it resets at ${q.resetsAt}.`;
}

// ------------------------------------------------------------------------------------------------ store
/** What a reservation took, carried with the turn so that the settlement goes to the same periods. */
export interface Reservation {
  /** The lease in the counter item's `active` (answers) or `titles` set: `<epoch seconds>.<request id>`. */
  readonly entry: string;
  readonly set: 'active' | 'titles';
  readonly periods: Record<UsageWindow, string>;
  readonly tokens: number;
  readonly microUsd: number;
  /** Counter attributes of past periods seen at the reservation: removed by the settlement (the item stays small). */
  readonly stale?: readonly string[];
}

export interface Estimate {
  readonly tokens: number;
  readonly microUsd: number;
}

/** The estimate of one model call: the new text's tokens (UTF-8 bytes / 4) plus ESTIMATE_OUTPUT_TOKENS of output. */
export function estimateOf(text: string, prices: TokenPrices | undefined, outputTokens = ESTIMATE_OUTPUT_TOKENS): Estimate {
  const input = Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
  const usd = priceOf(prices, { inputTokens: input, outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 });
  return { tokens: input + outputTokens, microUsd: microUsd(usd) };
}

/**
 * What to count for a call that produced output but whose stream ended without Bedrock's usage report (the user
 * stopped it, the time budget cut it, or it failed midway): the input sent and the output received, at the estimate's
 * 4 bytes a token. On-demand inference is priced per input and output token (https://aws.amazon.com/bedrock/pricing/);
 * the documentation does not say how a stream the client ends early is billed, so we take the safe reading: what was
 * sent and what came back count. Counting nothing would let a user who always presses stop go past every limit.
 */
export function unreportedUsage(inputText: string, outputText: string): Usage {
  return {
    inputTokens: Math.ceil(Buffer.byteLength(inputText, 'utf8') / 4),
    outputTokens: Math.ceil(Buffer.byteLength(outputText, 'utf8') / 4),
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  };
}

/** Every token Bedrock reported (input, output, cache read and write): what a token limit counts. */
export const tokensOf = (u: Usage): number => u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;

export interface Caller {
  readonly userId: string;
  /** The user's Cognito groups, as `groupsOf` read them. */
  readonly groups: readonly string[];
}

export const LIMITS_PK = 'LIMITS';

/**
 * The settlement of reservations only (UpdateItem on the counter item): what the worker's on-failure destination
 * needs, so its bundle (and role) has nothing else.
 */
export class UsageLedger {
  constructor(protected readonly db: DynamoDBDocumentClient, protected readonly tableName: string) {}

  protected key(userId: string) {
    return { pk: `USER#${userId}`, sk: 'USAGE' };
  }

  /**
   * Replaces the reservation's estimate with what the call really used (the same periods as reserved) and ends its
   * lease, exactly once: the condition `contains(<set>, <lease>)` makes a second settlement, or a release after the
   * settlement (the on-failure destination of a turn that was answered), write nothing. Returns false then.
   */
  async settle(userId: string, reservation: Reservation, used: Estimate): Promise<boolean> {
    const names: Record<string, string> = { '#set': reservation.set };
    const values: Record<string, unknown> = {
      ':dt': used.tokens - reservation.tokens, ':dc': used.microUsd - reservation.microUsd, ':e': new Set([reservation.entry]), ':entry': reservation.entry,
    };
    const adds: string[] = [];
    for (const w of WINDOWS) {
      names[`#t${w[0]}`] = attr('tokens', w, reservation.periods[w]);
      names[`#c${w[0]}`] = attr('cost', w, reservation.periods[w]);
      adds.push(`#t${w[0]} :dt`, `#c${w[0]} :dc`);
    }
    const current = new Set(Object.values(names));
    const stale = (reservation.stale ?? []).filter((a) => COUNTER_ATTR.test(a) && !current.has(a));
    stale.forEach((a, i) => { names[`#s${i}`] = a; });
    try {
      await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: this.key(userId),
        UpdateExpression: `ADD ${adds.join(', ')} DELETE #set :e${stale.length ? ` REMOVE ${stale.map((_, i) => `#s${i}`).join(', ')}` : ''}`,
        ConditionExpression: 'contains(#set, :entry)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** No model call happened (or its usage is unknown): the estimate is given back and the lease ends (exactly once). */
  release(userId: string, reservation: Reservation): Promise<boolean> {
    return this.settle(userId, reservation, { tokens: 0, microUsd: 0 });
  }
}

/**
 * The counters and the overrides, in the conversation table:
 * - counters: ONE item per user, `pk=USER#<userId>`, `sk=USAGE`: a number attribute per window period and kind
 *   (`t_h2026120217` tokens of that hour, `c_d20261202` micro-USD of that day, ...), the string sets `active` and
 *   `titles` of reservations in flight, and `expiresAt` (TTL). One item makes every reservation ONE conditional
 *   UpdateItem (atomic without transactions) and a new period needs no reset: its attribute simply does not exist yet.
 * - overrides: `pk=LIMITS`, `sk=USER#<userId>` or `GROUP#<name>`, `limits` (a LimitSet), `updatedAt`, `updatedBy`.
 */
export class UsageStore extends UsageLedger {
  constructor(
    db: DynamoDBDocumentClient,
    tableName: string,
    readonly config: UsageConfig,
    private readonly now: () => Date = () => new Date(),
  ) {
    super(db, tableName);
  }

  /** The limits in force for the caller (overrides read at once, strongly consistent: an admin's change applies to the next turn). */
  async limitsFor(caller: Caller): Promise<EffectiveLimits> {
    const subjects = [`USER#${caller.userId}`, ...caller.groups.map((g) => `GROUP#${g}`)];
    const found = await Promise.all(subjects.map((sk) => this.db.send(new GetCommand({
      TableName: this.tableName, Key: { pk: LIMITS_PK, sk }, ProjectionExpression: 'limits', ConsistentRead: true,
    })).then((r) => r.Item?.limits as LimitSet | undefined)));
    return effectiveLimits(this.config.defaults, found[0], found.slice(1).filter((s): s is LimitSet => s !== undefined));
  }

  /**
   * Reserves `estimate` for one model call of `requestId`, or throws QuotaError (nothing written). One UpdateItem
   * whose condition holds only if, for every limit in force, used + estimate <= limit, and (for answers) fewer than
   * `maxConcurrentAnswers` answers are in flight; ADD then adds the estimate to each window's counter and the lease
   * to the set. A failed condition writes nothing ("If the condition expression evaluates to true, the operation
   * succeeds. Otherwise, the operation fails.",
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html; ADD on
   * a missing number attribute starts it from 0 and adds a member to a set,
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html).
   */
  async reserve(caller: Caller, requestId: string, estimate: Estimate, options: { title?: boolean } = {}): Promise<Reservation> {
    const limits = await this.limitsFor(caller);
    const set = options.title ? 'titles' : 'active';
    for (let attempt = 0; ; attempt++) {
      const now = this.now();
      const periods = periodsAt(now);
      const entry = `${Math.floor(now.getTime() / 1000)}.${requestId}`;
      // A single call larger than a whole limit can never fit: refused without a write.
      this.checkRoom(limits, estimate, periods, {});
      const names: Record<string, string> = { '#set': set };
      const values: Record<string, unknown> = {
        ':t': estimate.tokens,
        ':c': estimate.microUsd,
        ':e': new Set([entry]),
        // The same value all month (a reservation given back leaves the item as it was): the start of the month after next.
        ':exp': Math.floor(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 1) / 1000),
      };
      const adds: string[] = [];
      const conditions: string[] = [];
      for (const w of WINDOWS) {
        for (const kind of ['tokens', 'cost'] as const) {
          const n = `#${kind[0]}${w[0]}`;
          names[n] = attr(kind, w, periods[w].id);
          adds.push(`${n} ${kind === 'tokens' ? ':t' : ':c'}`);
          const limit = limits[keyOf(kind, w)];
          if (limit === undefined) continue;
          const room = `:r${kind[0]}${w[0]}`;
          values[room] = limit - (kind === 'tokens' ? estimate.tokens : estimate.microUsd);
          conditions.push(`(attribute_not_exists(${n}) OR ${n} <= ${room})`);
        }
      }
      if (!options.title) {
        values[':max'] = this.config.maxConcurrentAnswers;
        conditions.push('(attribute_not_exists(#set) OR size(#set) < :max)');
      }
      try {
        const res = await this.db.send(new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(caller.userId),
          UpdateExpression: `SET expiresAt = :exp ADD ${adds.join(', ')}, #set :e`,
          ...(conditions.length ? { ConditionExpression: conditions.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }));
        const current = new Set(Object.values(names));
        const stale = Object.keys(res.Attributes ?? {}).filter((a) => COUNTER_ATTR.test(a) && !current.has(a)).slice(0, 30);
        return {
          entry,
          set,
          tokens: estimate.tokens,
          microUsd: estimate.microUsd,
          periods: { hour: periods.hour.id, day: periods.day.id, month: periods.month.id },
          ...(stale.length ? { stale } : {}),
        };
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        // Which limit: read the item as it is now and name the first limit it leaves no room in.
        const read = new GetCommand({ TableName: this.tableName, Key: this.key(caller.userId), ConsistentRead: true });
        const item = (await this.db.send(read)).Item ?? {};
        this.checkRoom(limits, estimate, periods, item);
        const leases = [...((item[set] as Set<string> | undefined) ?? [])];
        if (!options.title && leases.length >= this.config.maxConcurrentAnswers) {
          const stale = leases.filter((l) => Number(l.split('.')[0]) < now.getTime() / 1000 - STALE_LEASE_SECONDS);
          if (stale.length === 0 || attempt >= 2) {
            throw new QuotaError({ kind: 'concurrent', limit: this.config.maxConcurrentAnswers, used: leases.length });
          }
          // Leases of answers that cannot be running any more (double faults): dropped, then the reservation again.
          await this.db.send(new UpdateCommand({
            TableName: this.tableName,
            Key: this.key(caller.userId),
            UpdateExpression: 'DELETE #set :s',
            ExpressionAttributeNames: { '#set': set },
            ExpressionAttributeValues: { ':s': new Set(stale) },
          }));
          continue;
        }
        // The item changed between the write and the read (a settlement made room): try again.
        if (attempt >= 2) throw new QuotaError({ kind: 'concurrent', limit: this.config.maxConcurrentAnswers, used: leases.length });
      }
    }
  }

  /** Throws QuotaError for the first limit (hour, day, month; tokens before cost) where `item`'s usage + the estimate does not fit. */
  private checkRoom(limits: EffectiveLimits, estimate: Estimate, periods: ReturnType<typeof periodsAt>, item: Record<string, unknown>): void {
    for (const w of WINDOWS) {
      for (const kind of ['tokens', 'cost'] as const) {
        const limit = limits[keyOf(kind, w)];
        const used = Number(item[attr(kind, w, periods[w].id)] ?? 0);
        const scale = (n: number) => (kind === 'cost' ? n / 1e6 : n);
        if (limit !== undefined && used + (kind === 'tokens' ? estimate.tokens : estimate.microUsd) > limit) {
          throw new QuotaError({ kind, window: w, limit: scale(limit), used: scale(used), resetsAt: periods[w].resetsAt });
        }
      }
    }
  }

  /** What the caller used and has left in each window, and answers in flight (GET /usage). */
  async report(caller: Caller): Promise<UsageReport> {
    const [limits, res] = await Promise.all([
      this.limitsFor(caller),
      this.db.send(new GetCommand({ TableName: this.tableName, Key: this.key(caller.userId), ConsistentRead: true })),
    ]);
    const item = res.Item ?? {};
    const periods = periodsAt(this.now());
    const part = (kind: LimitKind, w: UsageWindow) => {
      const used = Math.max(0, Number(item[attr(kind, w, periods[w].id)] ?? 0));
      const limit = limits[keyOf(kind, w)];
      const scale = (n: number) => (kind === 'cost' ? n / 1e6 : n);
      return { used: scale(used), ...(limit === undefined ? {} : { limit: scale(limit), remaining: scale(Math.max(0, limit - used)) }) };
    };
    return {
      windows: WINDOWS.map((w) => ({ window: w, resetsAt: periods[w].resetsAt, tokens: part('tokens', w), costUsd: part('cost', w) })),
      concurrent: { active: ((item.active as Set<string> | undefined) ?? new Set()).size, limit: this.config.maxConcurrentAnswers },
    };
  }
}

// ------------------------------------------------------------------------------------------------ the turn path
/**
 * The hooks of the turn path, one each: `reserveCall` where a model call is accepted (the WebSocket routes, the
 * title), `endCall` where it ends (the worker, the on-failure destination). Without a UsageStore (no
 * `USAGE_LIMITS_JSON`: budgets switched off) both do nothing.
 */
export async function reserveCall(
  usage: UsageStore | undefined, caller: Caller, requestId: string, estimate: Estimate, options: { title?: boolean } = {},
): Promise<Reservation | undefined> {
  return usage ? usage.reserve(caller, requestId, estimate, options) : undefined;
}

/**
 * Settles a reservation with the usage Bedrock reported (priced with the model's catalog prices, in micro-USD), or
 * releases it when no usage is known (no model call, a failure before the metadata event, a stop). Exactly once
 * (see UsageStore.settle); never throws: a failure is logged and the lease is dropped later as stale.
 */
export async function endCall(
  usage: UsageLedger | undefined, userId: string, reservation: Reservation | undefined, used: Usage | undefined,
  prices: TokenPrices | undefined, log: { warn(msg: string, fields?: Record<string, string | number | boolean | undefined>): void },
): Promise<void> {
  if (!usage || !reservation) return;
  try {
    if (used) await usage.settle(userId, reservation, { tokens: tokensOf(used), microUsd: microUsd(priceOf(prices, used)) });
    else await usage.release(userId, reservation);
  } catch (err) {
    log.warn('usage not settled', { entry: reservation.entry, error: (err as Error)?.name });
  }
}
