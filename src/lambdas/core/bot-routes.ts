/**
 * The REST routes of custom bots and the store (issue 11; contract: docs/architecture.md "Bots"). Concatenated to
 * the conversation routes in rest.ts; each route's schemas validate its input and describe it in the OpenAPI document.
 */
import { KNOWLEDGE_VIEW_SCHEMA, KnowledgeDeployment, knowledgeSaveFor } from './bot-knowledge';
import {
  BOT_ID_PATTERN, botInputSchema, BotInput, BotPatch, BotRecord, BotScope, BotStore, canCreate, CREATOR_GROUP, ADMIN_GROUP, GroupLookup, isAdmin,
  KnowledgeSave, ListKind, MAX_SHARED_GROUPS, MAX_SHARED_USERS, Viewer, viewerOf, viewOf,
} from './bots';
import { HostLookup, resolveCrawlerHost } from './crawler-urls';
import { ChatError, forbidden, invalid } from './errors';
import { GuardrailDeps, saveBotGuardrail } from './guardrails';
import { MachineDeps, startPlan } from './knowledge-machines';
import type { Route, RouteContext } from './rest';
import type { Schema } from './schema';

/** A user found by `GET /users/search`. */
export interface FoundUser {
  readonly id: string;
  readonly email: string;
  readonly name?: string;
}

/** A group found by `GET /groups/search`. */
export interface FoundGroup {
  readonly name: string;
  readonly description?: string;
}

export interface BotDeps {
  readonly store: BotStore;
  /** The caller's groups from the user pool (AdminListGroupsForUser), at use time. */
  readonly groupsOf: GroupLookup;
  /** Users whose email starts with `prefix` (ListUsers), at most 20. */
  readonly searchUsers: (prefix: string) => Promise<FoundUser[]>;
  /** Groups whose name starts with `prefix` (ListGroups), at most 20. */
  readonly searchGroups: (prefix: string) => Promise<FoundGroup[]>;
  /** Creates, versions and deletes the guardrails bots define (core/guardrails.ts, bots-ops). */
  readonly guardrails?: GuardrailDeps;
  /**
   * Whether the deployment has a knowledge base (`KNOWLEDGE_BASE_ID` set): then every bot carries
   * `knowledge: {documentCount}`, otherwise `knowledge: null` (docs/knowledge-contract.md).
   */
  readonly knowledge?: boolean;
  /**
   * What the deployment offers for bots' knowledge (`KNOWLEDGE_DEDICATED`, `KNOWLEDGE_EXISTING`, the machines' ARNs);
   * absent with a knowledge base: shared only.
   */
  readonly knowledgeDeployment?: KnowledgeDeployment;
  /** Starts the provision and deprovision machines a save planned (set with KNOWLEDGE_PROVISION_ARN). */
  readonly machines?: MachineDeps;
  /**
   * The bot's documents leave the shared knowledge base when it moves to a dedicated one (whose first sync ingests
   * them from `documents/<botId>/`): DeleteKnowledgeBaseDocuments of these ids on the shared CUSTOM data source.
   */
  readonly releaseSharedDocuments?: (botId: string) => Promise<void>;
  /** Resolves crawler seed hosts (tests). @default the system resolver (`dns.lookup`) */
  readonly lookupHost?: HostLookup;
}

/**
 * A crawler's seed URLs pass checkCrawlerUrl in validation (their text); here their host names are also resolved, and
 * a name that points at a loopback, private, link-local or metadata address now is refused (docs/knowledge-contract.md,
 * "Web crawler URLs"). A name that does not resolve is accepted: there is nothing to refuse yet.
 */
async function refuseInternalCrawlerHosts(ctx: RouteContext): Promise<void> {
  type Body = { knowledge?: { dedicated?: { webCrawler?: { seedUrls?: unknown } } } } | undefined;
  const seeds = (ctx.body as Body)?.knowledge?.dedicated?.webCrawler?.seedUrls;
  if (!Array.isArray(seeds)) return;
  const lookup = botDeps(ctx).lookupHost;
  for (const [i, seed] of seeds.entries()) {
    let host: string;
    try {
      host = new URL(String(seed)).hostname;
    } catch {
      continue; // validation refuses it with its reason
    }
    const problem = await resolveCrawlerHost(host, lookup, { acceptUnresolved: true });
    if (problem) throw invalid(`knowledge.dedicated.webCrawler.seedUrls[${i}]: ${problem}`);
  }
}

/** A save's knowledge context: with a knowledge base in the deployment, its offer (shared only when none is set). */
function knowledgeSave(ctx: RouteContext): KnowledgeSave | undefined {
  const deps = botDeps(ctx);
  return deps.knowledge ? knowledgeSaveFor(deps.knowledgeDeployment ?? { existing: [] }) : undefined;
}

/** After a save: shared vectors released (moved to dedicated), the planned machines started; the bot as it is now. */
async function afterKnowledgeSave(
  ctx: RouteContext, before: BotRecord | undefined, after: BotRecord, save: KnowledgeSave | undefined,
): Promise<BotRecord> {
  const deps = botDeps(ctx);
  const plan = save?.plan;
  if (!plan || (!plan.provision && !plan.deprovision)) return after;
  const wasShared = (before?.knowledgeSettings?.mode ?? 'shared') === 'shared';
  if (before && wasShared && after.knowledgeSettings?.mode === 'dedicated' && (after.documentCount ?? 0) > 0 && deps.releaseSharedDocuments) {
    await deps.releaseSharedDocuments(after.id);
  }
  if (!deps.machines) throw new ChatError('INTERNAL', 'This deployment cannot start its knowledge state machines.');
  const started = await startPlan(deps.machines, plan);
  return started ? after : (await deps.store.get(after.id, true)) ?? after;
}

/** After a save: the guardrail the bot defines is created or updated (or the one it dropped deleted). */
async function withGuardrail(ctx: RouteContext, before: BotRecord | undefined, after: BotRecord): Promise<BotRecord> {
  const deps = botDeps(ctx).guardrails;
  return deps ? saveBotGuardrail(deps, before, after) : after;
}

function botDeps(ctx: RouteContext): BotDeps {
  if (!ctx.deps.bots) throw new ChatError('INTERNAL', 'Bots are not configured in this deployment.');
  return ctx.deps.bots();
}

function viewer(ctx: RouteContext): Viewer {
  return viewerOf(ctx.caller, botDeps(ctx).groupsOf);
}

// ------------------------------------------------------------------------------------------------ schemas
const time: Schema = { type: 'string', format: 'date-time' };
const botIdParams: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['botId'],
  properties: { botId: { type: 'string', maxLength: 64, pattern: BOT_ID_PATTERN, description: 'A ULID, or the id of a bot declared in code ([a-z0-9-]{1,64})' } },
};
const nextToken: Schema = { type: 'string', minLength: 1, maxLength: 2048, description: 'From the previous page' };
const botSummary: Schema = {
  type: 'object',
  required: ['id', 'title', 'available'],
  description: 'A bot in a list. `available: false` (only in `recent`): the caller lost access; then only id, title and available.',
  properties: {
    id: { type: 'string' },
    title: { type: 'string' },
    description: { type: 'string' },
    owner: { enum: ['you', 'other', 'deployment'] },
    scope: { enum: ['private', 'partial', 'all'] },
    starred: { type: 'boolean' },
    pinned: { type: 'boolean' },
    pinOrder: { type: 'integer' },
    usageCount: { type: 'integer' },
    updatedAt: time,
    available: { type: 'boolean' },
  },
};
const botPage: Schema = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: botSummary }, nextToken: { type: 'string' } },
};
const botItems: Schema = { type: 'object', required: ['items'], properties: { items: { type: 'array', items: botSummary } } };
/** PATCH's body: every field optional; `null` removes the default model or the guardrail. */
const patch = botInputSchema(false);
const bot: Schema = {
  type: 'object',
  required: ['id', 'title', 'owner', 'scope', 'generation', 'quickStarters', 'models', 'promptCaching', 'showRetrievedChunks', 'knowledge', 'tools', 'sharing', 'createdAt', 'updatedAt'],
  description: 'A bot. Readers it is shared with get it without `instructions` and `guardrail`.',
  properties: {
    ...botSummary.properties,
    ...botInputSchema(true).properties,
    guardrailStatus: { enum: ['READY', 'CREATING', 'FAILED'] },
    knowledge: KNOWLEDGE_VIEW_SCHEMA,
    tools: { type: 'array', description: 'Tools: a later issue' },
    sharing: {
      type: 'object',
      required: ['users', 'groups'],
      properties: { users: { type: 'array', items: { type: 'string' } }, groups: { type: 'array', items: { type: 'string' } } },
    },
    createdAt: time,
  },
};
const botErrors = ['NOT_FOUND', 'THROTTLED'] as const;

async function botView(ctx: RouteContext, record: BotRecord, v: Viewer): Promise<unknown> {
  const full = record.ownerId === v.userId || (await isAdmin(v));
  return viewOf(record, v, full, await botDeps(ctx).store.isStarred(v.userId, record.id), botDeps(ctx).knowledge);
}

// ------------------------------------------------------------------------------------------------ routes
export const BOT_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/bots',
    operationId: 'listBots',
    summary: 'The caller\'s bots: their own, starred, recently used (last use first) or shared with them',
    query: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: { kind: { enum: ['mine', 'starred', 'recent', 'shared'] }, nextToken },
    },
    response: { status: 200, description: 'One page of bots', schema: botPage },
    errors: ['THROTTLED'],
    handle: async (ctx) => botDeps(ctx).store.list(viewer(ctx), ctx.query.kind as ListKind, ctx.query.nextToken),
  },
  {
    method: 'POST',
    path: '/bots',
    operationId: 'createBot',
    summary: 'Create a bot (members of CreatingBotAllowed or Admin, checked in the user pool at use time)',
    description: 'The server chooses the id (a ULID). Generation parameters are checked against every model the bot allows.',
    body: botInputSchema(true),
    response: { status: 201, description: 'The new bot (private until shared)', schema: bot },
    errors: ['FORBIDDEN', 'THROTTLED'],
    handle: async (ctx) => {
      const v = viewer(ctx);
      const save = knowledgeSave(ctx);
      await refuseInternalCrawlerHosts(ctx);
      const record = await botDeps(ctx).store.create(v, ctx.body as BotInput, ctx.deps.settings(), save);
      const created = await withGuardrail(ctx, undefined, await afterKnowledgeSave(ctx, undefined, record, save));
      return viewOf(created, v, true, false, botDeps(ctx).knowledge);
    },
  },
  {
    method: 'GET',
    path: '/bots/{botId}',
    operationId: 'getBot',
    summary: 'One bot: whole for its owner and admins; without instructions and guardrail for those it is shared with',
    params: botIdParams,
    response: { status: 200, description: 'The bot', schema: bot },
    errors: [...botErrors],
    handle: async (ctx) => {
      const v = viewer(ctx);
      const { bot: record, full } = await botDeps(ctx).store.readable(ctx.params.botId, v);
      return viewOf(record, v, full, await botDeps(ctx).store.isStarred(v.userId, record.id), botDeps(ctx).knowledge);
    },
  },
  {
    method: 'PATCH',
    path: '/bots/{botId}',
    operationId: 'updateBot',
    summary: 'Change a bot (its owner; not a bot declared in code: 403 MANAGED)',
    description: 'A field left out stays as it is. `null` for `defaultModel` or `guardrail` removes it: the bot then '
      + 'uses the deployment\'s default model, or no guardrail of its own (one the bot defined is deleted). A new '
      + 'embedding model, chunking or parsing of a dedicated bot creates its knowledge base again (a new generation); '
      + 'a bot with documents cannot move to an existing knowledge base (409 EXISTING) nor from its own to the shared one (409 CONFLICT).',
    params: botIdParams,
    body: patch,
    response: { status: 200, description: 'The changed bot', schema: bot },
    errors: ['FORBIDDEN', 'MANAGED', 'NOT_FOUND', 'CONFLICT', 'EXISTING', 'THROTTLED'],
    handle: async (ctx) => {
      const v = viewer(ctx);
      const before = await botDeps(ctx).store.get(ctx.params.botId);
      const save = knowledgeSave(ctx);
      // only for the owner: anyone else gets the store's answer (404 or 403), as without crawler settings
      if (before?.ownerId === v.userId) await refuseInternalCrawlerHosts(ctx);
      const saved = await botDeps(ctx).store.update(v, ctx.params.botId, ctx.body as BotPatch, ctx.deps.settings(), save);
      const after = await afterKnowledgeSave(ctx, before, saved, save);
      return botView(ctx, await withGuardrail(ctx, before, after), v);
    },
  },
  {
    method: 'DELETE',
    path: '/bots/{botId}',
    operationId: 'deleteBot',
    summary: 'Delete a bot (its owner; not a bot declared in code)',
    description: 'Conversations with it stay readable and cannot continue (BOT_UNAVAILABLE). Stars and recents of other '
      + 'users are cleaned up from the table\'s stream.',
    params: botIdParams,
    response: { status: 204, description: 'Deleted' },
    errors: ['FORBIDDEN', 'MANAGED', 'NOT_FOUND', 'THROTTLED'],
    handle: async (ctx) => {
      await botDeps(ctx).store.delete(viewer(ctx), ctx.params.botId);
    },
  },
  {
    method: 'PUT',
    path: '/bots/{botId}/sharing',
    operationId: 'shareBot',
    summary: 'Share a bot: private, with named users and groups (partial), or with everyone (listed in the store)',
    params: botIdParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['scope'],
      properties: {
        scope: { enum: ['private', 'partial', 'all'] },
        users: { type: 'array', maxItems: MAX_SHARED_USERS, items: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9-]+$' }, description: 'User ids (`sub`), only with partial' },
        // Cognito group names: 1 to 128 characters of \p{L}\p{M}\p{S}\p{N}\p{P}, i.e. no spaces or control characters
        // (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateGroup.html); the
        // schema's patterns run without the `u` flag, so the same set is written as its complement.
        groups: { type: 'array', maxItems: MAX_SHARED_GROUPS, items: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[^\\s\\u0000-\\u001f\\u007f-\\u009f]+$' }, description: 'Group names, only with partial' },
      },
    },
    response: { status: 200, description: 'The bot as shared now', schema: bot },
    errors: ['FORBIDDEN', 'MANAGED', 'NOT_FOUND', 'CONFLICT', 'THROTTLED'],
    handle: async (ctx) => {
      const v = viewer(ctx);
      const body = ctx.body as { scope: BotScope; users?: string[]; groups?: string[] };
      return botView(ctx, await botDeps(ctx).store.share(v, ctx.params.botId, body), v);
    },
  },
  {
    method: 'PUT',
    path: '/bots/{botId}/star',
    operationId: 'starBot',
    summary: 'Star or unstar a bot (anyone who may use it; unstarring always works)',
    params: botIdParams,
    body: { type: 'object', additionalProperties: false, required: ['starred'], properties: { starred: { type: 'boolean' } } },
    response: { status: 204, description: 'Done' },
    errors: [...botErrors],
    handle: async (ctx) => {
      await botDeps(ctx).store.star(viewer(ctx), ctx.params.botId, (ctx.body as { starred: boolean }).starred);
    },
  },
  {
    method: 'DELETE',
    path: '/bots/{botId}/recent',
    operationId: 'removeRecentBot',
    summary: 'Remove a bot from the caller\'s recently used bots',
    params: botIdParams,
    response: { status: 204, description: 'Removed' },
    errors: ['NOT_FOUND', 'THROTTLED'],
    handle: async (ctx) => {
      await botDeps(ctx).store.removeRecent(ctx.caller.userId, ctx.params.botId);
    },
  },
  {
    method: 'PUT',
    path: '/admin/bots/{botId}/pin',
    operationId: 'pinBot',
    summary: 'Pin a bot shared with everyone as an essential, in order, or unpin it (Admin, checked in the user pool at use time)',
    params: botIdParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['pinned'],
      properties: { pinned: { type: 'boolean' }, order: { type: 'integer', minimum: 0, maximum: 999, description: 'Smaller first (default 0)' } },
    },
    response: { status: 204, description: 'Done' },
    errors: ['FORBIDDEN', 'NOT_FOUND', 'UNPROCESSABLE', 'THROTTLED'],
    handle: async (ctx) => {
      const body = ctx.body as { pinned: boolean; order?: number };
      await botDeps(ctx).store.pin(viewer(ctx), ctx.params.botId, body.pinned, body.order);
    },
  },
  {
    method: 'GET',
    path: '/store/search',
    operationId: 'searchStore',
    summary: 'Public bots whose title or description contains every word (case-insensitive; Japanese and Chinese work)',
    description: 'Words are matched as substrings after NFKC normalization, so text without spaces (日本語, 中文) needs no word '
      + 'segmentation. Most used first, 20 a page.',
    query: {
      type: 'object',
      additionalProperties: false,
      required: ['q'],
      properties: { q: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S', description: 'Words to find (1 to 100 characters)' }, nextToken },
    },
    response: { status: 200, description: 'Matching public bots', schema: botPage },
    errors: ['THROTTLED'],
    handle: async (ctx) => botDeps(ctx).store.search(viewer(ctx), ctx.query.q!, ctx.query.nextToken),
  },
  {
    method: 'GET',
    path: '/store/popular',
    operationId: 'popularBots',
    summary: 'Public bots, most used first, 20 a page',
    query: { type: 'object', additionalProperties: false, properties: { nextToken } },
    response: { status: 200, description: 'Public bots by usage count', schema: botPage },
    errors: ['THROTTLED'],
    handle: async (ctx) => botDeps(ctx).store.popular(viewer(ctx), ctx.query.nextToken),
  },
  {
    method: 'GET',
    path: '/store/pickup',
    operationId: 'pickupBots',
    summary: 'Up to 10 public bots chosen at random',
    response: { status: 200, description: 'Random public bots', schema: botItems },
    errors: ['THROTTLED'],
    handle: async (ctx) => botDeps(ctx).store.pickup(viewer(ctx)),
  },
  {
    method: 'GET',
    path: '/store/essentials',
    operationId: 'essentialBots',
    summary: 'The bots admins pinned, in pin order',
    response: { status: 200, description: 'Pinned bots', schema: botItems },
    errors: ['THROTTLED'],
    handle: async (ctx) => botDeps(ctx).store.essentials(viewer(ctx)),
  },
  {
    method: 'GET',
    path: '/users/search',
    operationId: 'searchUsers',
    summary: 'Users whose email starts with q, for the share dialog (bot creators, checked in the user pool at use time)',
    query: {
      type: 'object',
      additionalProperties: false,
      required: ['q'],
      properties: { q: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'The beginning of an email address' } },
    },
    response: {
      status: 200,
      description: 'At most 20 users',
      schema: {
        type: 'object',
        required: ['items'],
        properties: {
          items: {
            type: 'array',
            items: { type: 'object', required: ['id', 'email'], properties: { id: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' } } },
          },
        },
      },
    },
    errors: ['FORBIDDEN', 'THROTTLED'],
    handle: async (ctx) => {
      if (!(await canCreate(viewer(ctx)))) throw forbidden(`Only members of ${CREATOR_GROUP} or ${ADMIN_GROUP} can search users.`);
      return { items: await botDeps(ctx).searchUsers(ctx.query.q!) };
    },
  },
  {
    method: 'GET',
    path: '/groups/search',
    operationId: 'searchGroups',
    summary: 'Groups of the user pool whose name starts with q (empty: all), for the share dialog (bot creators)',
    query: {
      type: 'object',
      additionalProperties: false,
      properties: { q: { type: 'string', maxLength: 64, description: 'The beginning of a group name (case-insensitive)' } },
    },
    response: {
      status: 200,
      description: 'At most 20 groups',
      schema: {
        type: 'object',
        required: ['items'],
        properties: {
          items: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, description: { type: 'string' } } } },
        },
      },
    },
    errors: ['FORBIDDEN', 'THROTTLED'],
    handle: async (ctx) => {
      if (!(await canCreate(viewer(ctx)))) throw forbidden(`Only members of ${CREATOR_GROUP} or ${ADMIN_GROUP} can search groups.`);
      return { items: await botDeps(ctx).searchGroups(ctx.query.q ?? '') };
    },
  },
  {
    method: 'GET',
    path: '/me',
    operationId: 'me',
    summary: 'The caller: user id, groups (read from the user pool now, not from the token) and what they may do',
    response: {
      status: 200,
      description: 'The caller',
      schema: {
        type: 'object',
        required: ['userId', 'groups', 'canCreateBots', 'isAdmin'],
        properties: {
          userId: { type: 'string' },
          email: { type: 'string' },
          groups: { type: 'array', items: { type: 'string' } },
          canCreateBots: { type: 'boolean' },
          isAdmin: { type: 'boolean' },
        },
      },
    },
    errors: ['THROTTLED'],
    handle: async (ctx) => {
      const v = viewer(ctx);
      const groups = [...(await v.groups())];
      return {
        userId: ctx.caller.userId,
        ...(ctx.caller.email ? { email: ctx.caller.email } : {}),
        groups,
        canCreateBots: groups.includes(CREATOR_GROUP) || groups.includes(ADMIN_GROUP),
        isAdmin: groups.includes(ADMIN_GROUP),
      };
    },
  },
];
