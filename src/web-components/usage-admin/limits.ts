/**
 * The usage limits admin screen's data: the REST shapes of `GET /usage/limits` and `PUT|DELETE
 * /usage/limits/{users|groups}/...` (src/lambdas/core/usage-routes.ts), the client-side checks that mirror the
 * server's (`limitSetProblem` in core/usage.ts; the server stays the authority and its 400 message is shown beside the
 * field it names), and the calls. Nothing here touches the DOM at import time.
 */
import type { LimitKey, LimitSet } from '../../lambdas/core/usage.js';
import { HttpError, tokenFrom } from '../shared/config.js';
import type { BedrockChatConfig, TokenProvider } from '../shared/config.js';
// One contract, one definition: the shape the server validates (type-only: nothing of core is bundled).

export type { LimitKey, LimitSet };

/** The six limits in display order (core/usage.ts LIMIT_KEYS; test/web-components/usage-admin-limits.test.ts compares). */
export const LIMIT_KEYS: readonly LimitKey[] = ['tokensPerHour', 'tokensPerDay', 'tokensPerMonth', 'costUsdPerHour', 'costUsdPerDay', 'costUsdPerMonth'];
/** The server's largest token limit (whole tokens) and cost limit (USD): core/usage.ts MAX_TOKEN_LIMIT, MAX_COST_LIMIT_USD. */
export const MAX_TOKEN_LIMIT = 1e12;
export const MAX_COST_LIMIT_USD = 1e6;

export type Subject = 'USER' | 'GROUP';

/**
 * A Cognito group name, as the server checks the path parameter (core/usage-routes.ts GROUP_NAME, from
 * https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateGroup.html GroupName).
 */
export const GROUP_NAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;

/** `GET /usage/limits`. */
export interface LimitsOverview {
  readonly defaults: LimitSet;
  readonly maxConcurrentAnswers: number;
  readonly users: readonly { readonly userId: string; readonly limits: LimitSet }[];
  readonly groups: readonly { readonly group: string; readonly limits: LimitSet }[];
}

export const isTokenKey = (key: LimitKey): boolean => key.startsWith('tokens');

/** Why a field's text is not a limit the server takes: 'tokens' or 'usd' (the kind of rule broken), or undefined. */
export function fieldProblem(key: LimitKey, text: string): 'tokens' | 'usd' | undefined {
  const raw = text.trim();
  if (!raw) return undefined;
  // Plain decimal notation only (no exponent, sign or thousands separator): what a person types.
  if (!/^\d+(\.\d+)?$/.test(raw)) return isTokenKey(key) ? 'tokens' : 'usd';
  const value = Number(raw);
  if (isTokenKey(key)) return Number.isInteger(value) && value <= MAX_TOKEN_LIMIT ? undefined : 'tokens';
  return Number.isFinite(value) && value <= MAX_COST_LIMIT_USD ? undefined : 'usd';
}

/**
 * The body of a PUT from the form's fields: a number per filled field, `null` per "unlimited" (groups), nothing for
 * an empty field (inherit). Call after `fieldProblem` found nothing.
 */
export function limitSetOf(texts: Partial<Record<LimitKey, string>>, unlimited: Partial<Record<LimitKey, boolean>>): LimitSet {
  const out: Record<string, number | null> = {};
  for (const key of LIMIT_KEYS) {
    if (unlimited[key]) out[key] = null;
    else if (texts[key]?.trim()) out[key] = Number(texts[key]!.trim());
  }
  return out as LimitSet;
}

/** The limit a server 400 names (`The body: tokensPerHour is not …`), to show the message beside that field. */
export function keyOf(message: string): LimitKey | undefined {
  return LIMIT_KEYS.find((k) => new RegExp(`\\b${k}\\b`).test(message));
}

/** The server's error: its status, code and message (shown as is beside the field or above the form). */
export class LimitsError extends HttpError {
  constructor(status: number, readonly code: string, message: string) {
    super(status, message);
  }
}

/** The admin routes of the usage limits, with the caller's token; errors as `LimitsError`. */
export class UsageLimitsApi {
  constructor(private readonly config: BedrockChatConfig, private readonly tokenProvider: TokenProvider | undefined) {}

  list(): Promise<LimitsOverview> {
    return this.call<LimitsOverview>('/usage/limits').then((b) => ({
      defaults: b?.defaults ?? {},
      maxConcurrentAnswers: b?.maxConcurrentAnswers ?? 0,
      users: Array.isArray(b?.users) ? b.users : [],
      groups: Array.isArray(b?.groups) ? b.groups : [],
    }));
  }

  put(subject: Subject, name: string, limits: LimitSet): Promise<unknown> {
    return this.call(pathOf(subject, name), { method: 'PUT', body: limits });
  }

  remove(subject: Subject, name: string): Promise<unknown> {
    return this.call(pathOf(subject, name), { method: 'DELETE' });
  }

  /** `GET /users/search` (bot creators and admins): users whose email starts with `q`. */
  users(q: string): Promise<{ id: string; email: string; name?: string }[]> {
    return this.call<{ items?: { id: string; email: string; name?: string }[] }>(`/users/search?q=${encodeURIComponent(q)}`)
      .then((b) => (Array.isArray(b?.items) ? b.items.filter((u) => typeof u?.id === 'string') : []));
  }

  /** `GET /groups/search`: the user pool's groups whose name starts with `q`. */
  groups(q: string): Promise<{ name: string; description?: string }[]> {
    return this.call<{ items?: { name: string; description?: string }[] }>(`/groups/search?q=${encodeURIComponent(q)}`)
      .then((b) => (Array.isArray(b?.items) ? b.items.filter((g) => typeof g?.name === 'string') : []));
  }

  private async call<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T | undefined> {
    const token = await tokenFrom(this.tokenProvider);
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.config.restApiUrl.replace(/\/+$/, '')}${path}`, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = response.status === 204 ? '' : await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const e = (body ?? {}) as { code?: unknown; message?: unknown };
      throw new LimitsError(response.status, typeof e.code === 'string' ? e.code : 'HTTP', typeof e.message === 'string' ? e.message : `HTTP ${response.status}`);
    }
    return body as T | undefined;
  }
}

function pathOf(subject: Subject, name: string): string {
  return `/usage/limits/${subject === 'USER' ? 'users' : 'groups'}/${encodeURIComponent(name)}`;
}
