/**
 * REST routes of the usage limits (docs/architecture.md, "Usage limits"), concatenated into rest.ts's ROUTES:
 * `GET /usage` for every caller (used and remaining per window), and the admins' overrides per user and per Cognito
 * group. Admin = member of the deployment's admin group (`Admin`), checked at each request with the groups read by
 * `groupsOf` (wiring/groups.ts). Type-only imports from rest.ts: rest.ts imports this module's values.
 */
import type { Caller } from './auth';
import { forbidden, invalid, notFound, unprocessable } from './errors';
import type { RestDeps, Route } from './rest';
import type { Schema } from './schema';
import { LIMIT_KEYS, LimitSet, limitSetProblem, MAX_COST_LIMIT_USD, MAX_TOKEN_LIMIT, UsageStore } from './usage';
import type { UsageOverrides } from './usage-overrides';

/** The caller's Cognito groups, read where the deployment reads them (the token's claim without `groupsOf`). */
export function groupsOf(deps: RestDeps, caller: Caller): Promise<readonly string[]> {
  return deps.groupsOf ? deps.groupsOf(caller) : Promise.resolve(caller.groups);
}

const off = () => unprocessable('Usage limits are off in this deployment.');

function usageOf(deps: RestDeps): UsageStore {
  const usage = deps.usage?.();
  if (!usage) throw off();
  return usage;
}

/** The admin check, at use time: the caller's groups as read now, never a cached decision. */
async function adminUsage(deps: RestDeps, caller: Caller): Promise<{ overrides: UsageOverrides; config: UsageStore['config'] }> {
  const usage = usageOf(deps);
  const groups = await groupsOf(deps, caller);
  if (!groups.includes(usage.config.adminGroup)) throw forbidden('Only admins may manage usage limits.');
  const overrides = deps.usageOverrides?.();
  if (!overrides) throw off();
  return { overrides, config: usage.config };
}

// ------------------------------------------------------------------------------------------------ schemas
const limitValue = (what: string, max: number): Schema => ({
  type: ['number', 'null'],
  minimum: 0,
  maximum: max,
  description: `${what}; null: unlimited`,
});
const limitSet: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(LIMIT_KEYS.map((k) => [k, k.startsWith('tokens')
    ? limitValue('Tokens (whole)', MAX_TOKEN_LIMIT)
    : limitValue('USD', MAX_COST_LIMIT_USD)])),
};
/** A Cognito `sub` (what the user id is): letters, digits and hyphens. */
const userParams: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['userId'],
  properties: { userId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9-]+$', description: 'Cognito sub' } },
};
/**
 * A Cognito group name: 1 to 128 characters of letters, marks, symbols, numbers and punctuation
 * (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateGroup.html, GroupName
 * `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`; checked in the handler, as the schema's patterns have no Unicode classes).
 */
const groupParams: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['group'],
  properties: { group: { type: 'string', minLength: 1, maxLength: 128, description: 'A Cognito group name' } },
};
const GROUP_NAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;
const amount = (what: string): Schema => ({
  type: 'object',
  required: ['used'],
  properties: {
    used: { type: 'number', description: what },
    limit: { type: 'number', description: 'Absent: unlimited' },
    remaining: { type: 'number' },
  },
});
const usageReport: Schema = {
  type: 'object',
  required: ['enabled'],
  properties: {
    enabled: { type: 'boolean', description: 'false: limits off' },
    windows: {
      type: 'array',
      items: {
        type: 'object',
        required: ['window', 'resetsAt', 'tokens', 'costUsd'],
        properties: {
          window: { enum: ['hour', 'day', 'month'] },
          resetsAt: { type: 'string', format: 'date-time' },
          tokens: amount('Tokens'),
          costUsd: amount('USD'),
        },
      },
    },
    concurrent: { type: 'object', properties: { active: { type: 'integer' }, limit: { type: 'integer' } } },
  },
};
const overridesSchema: Schema = {
  type: 'object',
  required: ['defaults', 'maxConcurrentAnswers', 'users', 'groups'],
  properties: {
    defaults: limitSet,
    maxConcurrentAnswers: { type: 'integer' },
    users: { type: 'array', items: { type: 'object', properties: { userId: { type: 'string' }, limits: limitSet } } },
    groups: { type: 'array', items: { type: 'object', properties: { group: { type: 'string' }, limits: limitSet } } },
  },
};

function checkedLimits(body: unknown): LimitSet {
  const problem = limitSetProblem(body);
  if (problem) throw invalid(`The body: ${problem}.`);
  const set = body as LimitSet;
  if (Object.keys(set).length === 0) throw invalid('The body sets no limit.');
  return set;
}

function checkedGroup(name: string): string {
  if (!GROUP_NAME.test(name)) throw invalid('The path parameter group must be a Cognito group name.');
  return name;
}

const subjectRoutes = (subject: 'USER' | 'GROUP'): Route[] => {
  const what = subject === 'USER' ? 'user' : 'group';
  const path = subject === 'USER' ? '/usage/limits/users/{userId}' : '/usage/limits/groups/{group}';
  const params = subject === 'USER' ? userParams : groupParams;
  const nameOf = (p: Record<string, string>) => (subject === 'USER' ? p.userId : checkedGroup(p.group));
  const op = subject === 'USER' ? 'User' : 'Group';
  return [
    {
      method: 'PUT',
      path,
      operationId: `put${op}UsageLimits`,
      summary: `Admins: set the usage limits of a ${what}`,
      params,
      body: limitSet,
      response: { status: 200, description: 'Stored', schema: { type: 'object', required: ['limits'], properties: { limits: limitSet } } },
      // NOT_FOUND: no route for a malformed path (every route with path parameters answers it).
      errors: ['FORBIDDEN', 'NOT_FOUND', 'UNPROCESSABLE', 'THROTTLED'],
      handle: async ({ deps, caller, params: p, body }) => {
        const name = nameOf(p);
        const { overrides } = await adminUsage(deps, caller);
        const limits = checkedLimits(body);
        await overrides.putOverride(subject, name, limits, caller.userId);
        deps.log.info('usage override set', { subject: what, name: subject === 'USER' ? name : undefined, group: subject === 'GROUP' ? name : undefined });
        return { limits };
      },
    },
    {
      method: 'DELETE',
      path,
      operationId: `delete${op}UsageLimits`,
      summary: `Admins: remove the usage limits override of one ${what}`,
      params,
      response: { status: 204, description: 'Removed' },
      errors: ['FORBIDDEN', 'NOT_FOUND', 'UNPROCESSABLE', 'THROTTLED'],
      handle: async ({ deps, caller, params: p }) => {
        const name = nameOf(p);
        if (!(await (await adminUsage(deps, caller)).overrides.deleteOverride(subject, name))) throw notFound(`This ${what} has no usage limits override.`);
      },
    },
  ];
};

export const USAGE_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/usage',
    operationId: 'getUsage',
    summary: 'The caller\'s usage and what remains per window',
    description: 'Tokens as Bedrock reports them (input, output, cache); cost at catalog prices; UTC calendar windows.',
    response: { status: 200, description: 'Usage per window', schema: usageReport },
    errors: ['THROTTLED'],
    handle: async ({ deps, caller }) => {
      const usage = deps.usage?.();
      if (!usage) return { enabled: false };
      return { enabled: true, ...(await usage.report({ userId: caller.userId, groups: await groupsOf(deps, caller) })) };
    },
  },
  {
    method: 'GET',
    path: '/usage/limits',
    operationId: 'listUsageLimits',
    summary: 'Admins: the defaults and every override',
    response: { status: 200, description: 'Defaults and overrides', schema: overridesSchema },
    errors: ['FORBIDDEN', 'UNPROCESSABLE', 'THROTTLED'],
    handle: async ({ deps, caller }) => {
      const { overrides, config } = await adminUsage(deps, caller);
      return { defaults: config.defaults, maxConcurrentAnswers: config.maxConcurrentAnswers, ...(await overrides.listOverrides()) };
    },
  },
  ...subjectRoutes('USER'),
  ...subjectRoutes('GROUP'),
];
