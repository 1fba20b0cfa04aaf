/**
 * Custom bots (issue 11): the bot item and its validation against the deployment's models, who may do what, sharing,
 * stars, recents, usage counts, admin pins and the store. Item layout: docs/architecture.md "Data model: bots".
 * No AWS event types here; the DynamoDB document client and the group lookup are injected.
 */
import {
  BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BOT_ID_PATTERN, BOT_INDEXES, DEPLOYMENT_OWNER } from './bot-keys';
import type { KbState, KnowledgePlan, KnowledgePlanner, KnowledgeSettings } from './bot-knowledge';
import { KNOWLEDGE_SETTINGS_SCHEMA, knowledgeView } from './bot-knowledge-view';
import { ChatError, forbidden, invalid, notFound, unprocessable } from './errors';
import { ulid } from './ids';
import { largestOutputTokens } from './limits';
import type { GuardrailRef, ModelSettings, RuntimeModel } from './models';
import { findModel } from './models';
import type { Schema, SchemaType } from './schema';

export { DEPLOYMENT_OWNER } from './bot-keys';

// ------------------------------------------------------------------------------------------------ shapes
export type BotScope = 'private' | 'partial' | 'all';
export type FilterStrength = 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH';

export interface GenerationParams {
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly stopSequences?: string[];
  readonly reasoningBudget?: number;
}

export interface QuickStarter {
  readonly title: string;
  readonly example: string;
}

/** A guardrail the bot defines (bots-ops creates and versions it through the Bedrock API). */
export interface GuardrailDefinition {
  readonly contentFilters?: Partial<Record<'hate' | 'insults' | 'sexual' | 'violence' | 'misconduct' | 'promptAttack', FilterStrength>>;
  readonly grounding?: { readonly threshold: number };
  readonly relevance?: { readonly threshold: number };
  readonly blockedMessage?: string;
}

/** An existing guardrail (`{id, version}`) or one the bot defines (`{definition}`). */
export type BotGuardrail = { readonly id: string; readonly version: string } | { readonly definition: GuardrailDefinition };

/** The writable fields of a bot (`BotInput` of the REST contract). */
export interface BotInput {
  readonly title?: string;
  readonly description?: string;
  readonly instructions?: string;
  readonly generation?: GenerationParams;
  readonly quickStarters?: QuickStarter[];
  readonly models?: string[];
  readonly defaultModel?: string;
  readonly promptCaching?: boolean;
  readonly guardrail?: BotGuardrail;
  readonly showRetrievedChunks?: boolean;
  /** Where the bot's knowledge lives (docs/knowledge-contract.md, "The bot's settings"); POST: `shared` when left out. */
  readonly knowledge?: KnowledgeSettings;
}

/**
 * A `PATCH /bots/{botId}` body: a field left out stays as it is; `null` for the default model or the guardrail
 * removes it (the bot then uses the deployment's default model, or no guardrail of its own).
 */
export interface BotPatch extends Omit<BotInput, 'defaultModel' | 'guardrail'> {
  readonly defaultModel?: string | null;
  readonly guardrail?: BotGuardrail | null;
}

/** The optional fields PATCH can clear with `null`. */
export const CLEARABLE_BOT_FIELDS = ['defaultModel', 'guardrail'] as const;

/** The bot item as stored (pk `BOT#<id>`, sk `BOT`). */
export interface BotRecord {
  readonly id: string;
  /** The owner's user id (`sub`), or `DEPLOYMENT` for bots declared in code. */
  readonly ownerId: string;
  /** Written by the deployment (bots as code): not editable in the app. */
  readonly managed: boolean;
  readonly title: string;
  readonly description: string;
  readonly instructions: string;
  readonly generation: GenerationParams;
  readonly quickStarters: QuickStarter[];
  readonly models: string[];
  readonly defaultModel?: string;
  readonly promptCaching: boolean;
  readonly guardrail?: BotGuardrail;
  /**
   * For a defined guardrail: where its creation stands, and the id and version bots-ops created (`guardrailRef`),
   * which the worker applies.
   */
  readonly guardrailStatus?: 'READY' | 'CREATING' | 'FAILED';
  readonly guardrailRef?: GuardrailRef;
  readonly showRetrievedChunks: boolean;
  readonly scope: BotScope;
  readonly sharedUsers: string[];
  readonly sharedGroups: string[];
  readonly usageCount: number;
  /**
   * How many documents the bot has in the knowledge base (docs/knowledge-contract.md): kept by the knowledge-api
   * function with atomic ADDs; the worker retrieves only for bots with documents. Absent means 0.
   */
  readonly documentCount?: number;
  /** The knowledge settings as validated (absent: shared, the bot's documents in the shared knowledge base). */
  readonly knowledgeSettings?: KnowledgeSettings;
  /** A dedicated bot's knowledge base: written by bots-api when it starts a machine, then only by the machines. */
  readonly kb?: KbState;
  readonly pinned: boolean;
  readonly pinOrder?: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface BotSummary {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly owner?: 'you' | 'other' | 'deployment';
  readonly scope?: BotScope;
  readonly starred?: boolean;
  readonly pinned?: boolean;
  readonly pinOrder?: number;
  readonly usageCount?: number;
  readonly updatedAt?: string;
  readonly available: boolean;
}

export interface BotView extends BotSummary {
  readonly instructions?: string;
  readonly generation: GenerationParams;
  readonly quickStarters: QuickStarter[];
  readonly models: string[];
  readonly defaultModel?: string;
  readonly promptCaching: boolean;
  readonly guardrail?: BotGuardrail;
  readonly guardrailStatus?: string;
  readonly showRetrievedChunks: boolean;
  /**
   * The knowledge settings with defaults filled, `documentCount` and a dedicated bot's `state`, when the deployment has
   * a knowledge base (`KNOWLEDGE_BASE_ID`); `null` otherwise.
   */
  readonly knowledge: Record<string, unknown> | null;
  readonly tools: never[];
  readonly sharing: { readonly users: string[]; readonly groups: string[] };
  readonly createdAt: string;
}

/** Who is asking. Group membership is read from Cognito when a decision needs it (`groups()`), never from the token. */
export interface Viewer {
  readonly userId: string;
  /** The Cognito user name (what AdminListGroupsForUser takes). */
  readonly username: string;
  /** The caller's groups, read from the user pool at use time (memoized for one request). */
  readonly groups: () => Promise<readonly string[]>;
}

/** Reads a user's groups from the user pool (AdminListGroupsForUser): see wiring/cognito.ts. */
export type GroupLookup = (username: string) => Promise<string[]>;

/** A viewer whose groups are looked up once, on first use. */
export function viewerOf(caller: { userId: string; username: string }, lookup: GroupLookup): Viewer {
  let groups: Promise<string[]> | undefined;
  return { userId: caller.userId, username: caller.username, groups: () => (groups ??= lookup(caller.username)) };
}

// ------------------------------------------------------------------------------------------------ limits
export const MAX_BOT_TITLE = 100;
export const MAX_BOT_DESCRIPTION = 1000;
export const MAX_INSTRUCTIONS = 40_000;
export const MAX_QUICK_STARTERS = 8;
export const MAX_SHARED_USERS = 50;
export const MAX_SHARED_GROUPS = 20;
/** ConverseStream allows more stop sequences; a bot keeps to 4 (the contract's limit, what Claude's UI offers). */
export const MAX_STOP_SEQUENCES = 4;
/** Extended thinking needs a budget of at least 1,024 tokens (https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html). */
export const MIN_REASONING_BUDGET = 1024;
export const ADMIN_GROUP = 'Admin';
export const CREATOR_GROUP = 'CreatingBotAllowed';

// ------------------------------------------------------------------------------------------------ schemas
const filterStrength: Schema = { enum: ['NONE', 'LOW', 'MEDIUM', 'HIGH'] };
const threshold: Schema = { type: 'object', additionalProperties: false, required: ['threshold'], properties: { threshold: { type: 'number', minimum: 0, maximum: 0.99 } } };
export const GUARDRAIL_DEFINITION_SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    contentFilters: {
      type: 'object',
      additionalProperties: false,
      properties: {
        hate: filterStrength,
        insults: filterStrength,
        sexual: filterStrength,
        violence: filterStrength,
        misconduct: filterStrength,
        promptAttack: filterStrength,
      },
    },
    // Contextual grounding thresholds: 0 to 0.99 (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GuardrailContextualGroundingFilterConfig.html).
    grounding: threshold,
    relevance: threshold,
    blockedMessage: { type: 'string', minLength: 1, maxLength: 500 },
  },
};

const modelKey: Schema = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:/-]+$' };

/**
 * Every writable field of a bot; POST requires `title`, PATCH none. PATCH (`requireTitle` false) also takes `null` for
 * the fields of CLEARABLE_BOT_FIELDS: it removes them.
 */
export function botInputSchema(requireTitle: boolean): Schema {
  const schema = botFieldsSchema(requireTitle);
  if (requireTitle) return schema;
  const properties = { ...schema.properties };
  for (const field of CLEARABLE_BOT_FIELDS) {
    const sub = properties[field];
    properties[field] = { ...sub, type: [sub.type as SchemaType, 'null'], description: `${sub.description ? `${sub.description}. ` : ''}null removes it` };
  }
  return { ...schema, properties };
}

function botFieldsSchema(requireTitle: boolean): Schema {
  return {
    type: 'object',
    additionalProperties: false,
    required: requireTitle ? ['title'] : [],
    properties: {
      title: { type: 'string', minLength: 1, maxLength: MAX_BOT_TITLE, pattern: '\\S', description: `1 to ${MAX_BOT_TITLE} characters` },
      description: { type: 'string', maxLength: MAX_BOT_DESCRIPTION },
      instructions: { type: 'string', maxLength: MAX_INSTRUCTIONS, description: 'The system prompt' },
      generation: {
        type: 'object',
        additionalProperties: false,
        description: 'Checked against every model the bot allows (400 naming the field and the model)',
        properties: {
          // InferenceConfiguration: maxTokens at least 1, temperature and topP 0 to 1
          // (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InferenceConfiguration.html).
          maxTokens: { type: 'integer', minimum: 1, maximum: 1_000_000 },
          temperature: { type: 'number', minimum: 0, maximum: 1 },
          topP: { type: 'number', minimum: 0, maximum: 1 },
          topK: { type: 'integer', minimum: 0, maximum: 500 },
          stopSequences: { type: 'array', maxItems: MAX_STOP_SEQUENCES, items: { type: 'string', minLength: 1, maxLength: 100 } },
          reasoningBudget: { type: 'integer', minimum: MIN_REASONING_BUDGET, maximum: 1_000_000 },
        },
      },
      quickStarters: {
        type: 'array',
        maxItems: MAX_QUICK_STARTERS,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['title', 'example'],
          properties: { title: { type: 'string', minLength: 1, maxLength: 100 }, example: { type: 'string', minLength: 1, maxLength: 2000 } },
        },
      },
      models: { type: 'array', maxItems: 50, items: modelKey, description: 'Model keys the bot allows; empty: every model of the deployment' },
      defaultModel: modelKey,
      promptCaching: { type: 'boolean' },
      guardrail: {
        type: 'object',
        additionalProperties: false,
        description: '{id, version} of an existing guardrail, or {definition} of one the bot defines',
        properties: {
          // GuardrailStreamConfiguration: identifier [a-z0-9]+ (or its ARN), version [1-9][0-9]{0,7} or DRAFT
          // (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_GuardrailStreamConfiguration.html).
          id: { type: 'string', minLength: 1, maxLength: 2048, pattern: '^([a-z0-9]+|arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+)$' },
          version: { type: 'string', pattern: '^([1-9][0-9]{0,7}|DRAFT)$' },
          definition: GUARDRAIL_DEFINITION_SCHEMA,
        },
      },
      showRetrievedChunks: { type: 'boolean' },
      knowledge: KNOWLEDGE_SETTINGS_SCHEMA,
    },
  };
}

export { BOT_ID_PATTERN } from './bot-keys';

export function isBotId(value: string): boolean {
  return new RegExp(BOT_ID_PATTERN).test(value);
}

// ------------------------------------------------------------------------------------------------ validation
/**
 * Checks a bot's settings against the deployment: its models exist, its default model is one of them, and its
 * generation parameters suit every model it allows. Throws `BAD_REQUEST` naming the field and the model.
 */
export function validateBotSettings(bot: Pick<BotRecord, 'models' | 'defaultModel' | 'generation' | 'guardrail'>, settings: ModelSettings): void {
  for (const key of bot.models) {
    if (!findModel(settings.models, key)) throw invalid(`models: ${key} is not a model of this deployment (${settings.models.map((m) => m.key).join(', ')}).`);
  }
  if (new Set(bot.models).size !== bot.models.length) throw invalid('models: a model is listed twice.');
  const allowed = allowedModels(bot, settings);
  if (bot.defaultModel !== undefined && !allowed.some((m) => m.key === bot.defaultModel || m.modelId === bot.defaultModel)) {
    throw invalid(`defaultModel: ${bot.defaultModel} is not one of the bot's models.`);
  }
  const g = bot.generation;
  // The worker's timeout is derived from the largest answer the deployment allows (core/limits.ts): no bot may ask more.
  const largest = largestOutputTokens(settings.reasoningBudget);
  if (g.maxTokens !== undefined && g.maxTokens > largest) {
    throw invalid(`generation.maxTokens: at most ${largest} in this deployment (the largest answer its worker is sized for).`);
  }
  if (g.reasoningBudget !== undefined) {
    const answer = g.maxTokens ?? largest;
    if (g.reasoningBudget >= answer) throw invalid(`generation.reasoningBudget must be less than maxTokens (${answer}).`);
    if (g.reasoningBudget > settings.reasoningBudget) {
      throw invalid(`generation.reasoningBudget: at most ${settings.reasoningBudget} in this deployment.`);
    }
  }
  for (const m of allowed) {
    const name = `${m.displayName ?? m.key} (${m.key})`;
    if (g.topK !== undefined && !takesTopK(m)) throw invalid(`generation.topK: ${name} does not take top K.`);
    if (g.reasoningBudget !== undefined) {
      if (!m.capabilities?.reasoning) throw invalid(`generation.reasoningBudget: ${name} does not reason.`);
      if (m.capabilities.adaptiveReasoningOnly) throw invalid(`generation.reasoningBudget: ${name} decides its reasoning budget itself (adaptive thinking only).`);
      // Extended thinking is not compatible with temperature or top_k changes
      // (https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html).
      if (isAnthropic(m) && (g.temperature !== undefined || g.topK !== undefined)) {
        throw invalid(`generation.reasoningBudget: ${name} does not take temperature or top K while it reasons.`);
      }
    }
  }
  const g2 = bot.guardrail as Record<string, unknown> | undefined;
  if (g2 && settings.guardrail) {
    throw invalid('guardrail: this deployment applies its own guardrail to every answer; a bot cannot choose another.');
  }
  if (g2) {
    const byId = 'id' in g2 || 'version' in g2;
    if (byId && 'definition' in g2) throw invalid('guardrail: give id and version, or a definition, not both.');
    if (byId && !('id' in g2 && 'version' in g2)) throw invalid('guardrail: give both id and version.');
    if (!byId && !('definition' in g2)) throw invalid('guardrail: give id and version, or a definition.');
  }
}

/** top_k is an Anthropic request field, sent in additionalModelRequestFields
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html). */
export function takesTopK(m: RuntimeModel): boolean {
  return isAnthropic(m);
}

function isAnthropic(m: RuntimeModel): boolean {
  return /(^|\.)anthropic\./.test(m.modelId);
}

/** The models a bot allows: its list, or every model of the deployment when the list is empty. */
export function allowedModels(bot: Pick<BotRecord, 'models'>, settings: ModelSettings): RuntimeModel[] {
  if (bot.models.length === 0) return [...settings.models];
  return bot.models.map((k) => findModel(settings.models, k)).filter((m): m is RuntimeModel => m !== undefined);
}

/** Trims a title and folds its runs of whitespace (like conversation titles). */
function cleanTitle(title: string): string {
  return title.replace(/[\s\p{Cc}]+/gu, ' ').trim();
}

// ------------------------------------------------------------------------------------------------ the item
export interface BotItemInput extends BotInput {
  readonly id: string;
  readonly ownerId: string;
  readonly managed?: boolean;
  readonly scope?: BotScope;
  readonly sharedUsers?: string[];
  readonly sharedGroups?: string[];
  readonly pinned?: boolean;
  readonly pinOrder?: number;
  readonly usageCount?: number;
  readonly guardrailStatus?: 'READY' | 'CREATING' | 'FAILED';
  readonly guardrailRef?: GuardrailRef;
  /** Kept as it is by a save (only the knowledge-api function changes it, with atomic ADDs). */
  readonly documentCount?: number;
  /** Written by a save that starts a machine; otherwise kept as read (the machines change it). */
  readonly kb?: KbState;
  /** The stored settings (a record spread into a new item); `knowledge` wins when both are given. */
  readonly knowledgeSettings?: KnowledgeSettings;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * The DynamoDB item of a bot, with every index key it needs. bots-ops's custom resource writes bots declared in code
 * with it (`ownerId: DEPLOYMENT_OWNER`, `managed: true`), so both kinds have one layout.
 */
export function botItem(input: BotItemInput): Record<string, unknown> {
  if (!input.title || !cleanTitle(input.title)) throw invalid('title: a bot needs a title.');
  const scope = input.scope ?? 'private';
  const record: BotRecord = {
    id: input.id,
    ownerId: input.ownerId,
    managed: input.managed ?? input.ownerId === DEPLOYMENT_OWNER,
    title: cleanTitle(input.title),
    description: input.description ?? '',
    instructions: input.instructions ?? '',
    generation: input.generation ?? {},
    quickStarters: input.quickStarters ?? [],
    models: input.models ?? [],
    ...(input.defaultModel !== undefined ? { defaultModel: input.defaultModel } : {}),
    promptCaching: input.promptCaching ?? true,
    ...(input.guardrail !== undefined ? { guardrail: input.guardrail } : {}),
    ...(input.guardrailStatus !== undefined ? { guardrailStatus: input.guardrailStatus } : {}),
    ...(input.guardrailRef !== undefined ? { guardrailRef: input.guardrailRef } : {}),
    showRetrievedChunks: input.showRetrievedChunks ?? false,
    scope,
    sharedUsers: scope === 'partial' ? [...new Set(input.sharedUsers ?? [])] : [],
    sharedGroups: scope === 'partial' ? [...new Set(input.sharedGroups ?? [])] : [],
    usageCount: input.usageCount ?? 0,
    ...(input.documentCount !== undefined ? { documentCount: input.documentCount } : {}),
    ...((input.knowledge ?? input.knowledgeSettings) !== undefined ? { knowledgeSettings: input.knowledge ?? input.knowledgeSettings } : {}),
    ...(input.kb !== undefined ? { kb: input.kb } : {}),
    pinned: scope === 'all' && (input.pinned ?? false),
    ...(scope === 'all' && input.pinned && input.pinOrder !== undefined ? { pinOrder: input.pinOrder } : {}),
    createdAt: input.createdAt,
    updatedAt: input.updatedAt,
  };
  return {
    pk: botPk(record.id),
    sk: BOT_SK,
    type: 'bot',
    ...record,
    knowledge: null,
    tools: [],
    gsi1pk: `OWNER#${record.ownerId}`,
    gsi1sk: record.updatedAt,
    ...(scope === 'all' ? { publicPk: PUBLIC_PK, publicSk: record.id } : {}),
  };
}

export const BOT_SK = 'BOT';
const PUBLIC_PK = 'PUBLIC';
export const botPk = (botId: string) => `BOT#${botId}`;
const userPk = (userId: string) => `USER#${userId}`;
const groupPk = (group: string) => `GROUP#${group}`;
const STORE_VERSION_KEY = { pk: 'STORE', sk: 'VERSION' };

function toRecord(item: Record<string, unknown>): BotRecord {
  const { pk: _pk, sk: _sk, type: _t, gsi1pk: _g1, gsi1sk: _g2, publicPk: _p1, publicSk: _p2, knowledge: _k, tools: _tl, ...rest } = item;
  return rest as unknown as BotRecord;
}

// ------------------------------------------------------------------------------------------------ permissions
/** Whether the viewer may chat with the bot (and star it, see it): owner, everyone, a shared user or a member of a shared group. */
export async function canUse(bot: BotRecord, viewer: Viewer): Promise<boolean> {
  if (bot.ownerId === viewer.userId || bot.scope === 'all') return true;
  if (bot.scope !== 'partial') return false;
  if (bot.sharedUsers.includes(viewer.userId)) return true;
  if (bot.sharedGroups.length === 0) return false;
  const groups = await viewer.groups();
  return bot.sharedGroups.some((g) => groups.includes(g));
}

export async function isAdmin(viewer: Viewer): Promise<boolean> {
  return (await viewer.groups()).includes(ADMIN_GROUP);
}

export async function canCreate(viewer: Viewer): Promise<boolean> {
  const groups = await viewer.groups();
  return groups.includes(ADMIN_GROUP) || groups.includes(CREATOR_GROUP);
}

/** What the viewer sees of a bot: everything for its owner and admins; without instructions and guardrail otherwise. */
export function viewOf(bot: BotRecord, viewer: Viewer, full: boolean, starred: boolean, knowledge = false): BotView {
  return {
    ...summaryOf(bot, viewer, starred),
    ...(full ? { instructions: bot.instructions } : {}),
    generation: bot.generation,
    quickStarters: bot.quickStarters,
    models: bot.models,
    ...(bot.defaultModel !== undefined ? { defaultModel: bot.defaultModel } : {}),
    promptCaching: bot.promptCaching,
    ...(full && bot.guardrail ? { guardrail: bot.guardrail } : {}),
    ...(full && bot.guardrailStatus ? { guardrailStatus: bot.guardrailStatus } : {}),
    showRetrievedChunks: bot.showRetrievedChunks,
    // Those the bot is shared with see where its knowledge lives, not how it is built (crawled sites, models).
    knowledge: !knowledge ? null : full ? knowledgeView(bot.knowledgeSettings, bot.documentCount, bot.kb)
      : { mode: bot.knowledgeSettings?.mode ?? 'shared', numberOfResults: knowledgeView(bot.knowledgeSettings, 0, undefined).numberOfResults, documentCount: bot.documentCount ?? 0 },
    tools: [],
    sharing: full ? { users: bot.sharedUsers, groups: bot.sharedGroups } : { users: [], groups: [] },
    createdAt: bot.createdAt,
  };
}

type SummarySource = Pick<BotRecord, 'id' | 'title' | 'description' | 'ownerId' | 'managed' | 'scope' | 'usageCount' | 'pinned' | 'pinOrder' | 'updatedAt'>;

export function summaryOf(bot: SummarySource, viewer: Viewer, starred: boolean): BotSummary {
  return {
    id: bot.id,
    title: bot.title,
    description: bot.description ?? '',
    owner: bot.managed || bot.ownerId === DEPLOYMENT_OWNER ? 'deployment' : bot.ownerId === viewer.userId ? 'you' : 'other',
    scope: bot.scope,
    starred,
    pinned: bot.pinned === true,
    ...(bot.pinned && bot.pinOrder !== undefined ? { pinOrder: bot.pinOrder } : {}),
    usageCount: bot.usageCount ?? 0,
    updatedAt: bot.updatedAt,
    available: true,
  };
}

// ------------------------------------------------------------------------------------------------ what a turn uses
/** What the worker applies for a bot: read once per turn by the ws handler and handed to the worker in its job. */
export interface BotTurnSettings {
  readonly botId: string;
  readonly title: string;
  readonly instructions: string;
  readonly generation: GenerationParams;
  readonly promptCaching: boolean;
  readonly guardrail?: GuardrailRef;
}

export class BotUnavailable extends ChatError {
  constructor(message: string) {
    super('BOT_UNAVAILABLE', message);
    this.name = 'BotUnavailable';
  }
}

/** The store's cached view of the public bots. */
interface PublicCache {
  version: number;
  loadedAt: number;
  bots: PublicBot[];
}

interface PublicBot extends SummarySource {
  /** Title and description, NFKC-normalized and lower-cased, for matching. */
  readonly text: string;
}

export interface BotPage<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

export type ListKind = 'mine' | 'starred' | 'recent' | 'shared';

export interface BotStoreOptions {
  /** How long the public bots are kept in memory before they are read again, even if nothing changed. @default 60 s */
  readonly publicCacheMs?: number;
}

/** Normalized for matching: NFKC (full-width and half-width forms fold together), lower case. */
export function searchText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/**
 * The bots of one deployment in their table. Every read that decides something about a caller takes a `Viewer`,
 * whose groups come from the user pool at use time.
 */
export class BotStore {
  private publicCache?: PublicCache;
  private readonly publicCacheMs: number;

  constructor(private readonly db: DynamoDBDocumentClient, private readonly tableName: string, options: BotStoreOptions = {}) {
    this.publicCacheMs = options.publicCacheMs ?? 60_000;
  }

  async get(botId: string, consistent = false): Promise<BotRecord | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { pk: botPk(botId), sk: BOT_SK }, ConsistentRead: consistent }));
    return res.Item ? toRecord(res.Item) : undefined;
  }

  /** A bot the viewer may read (use it, or an admin); otherwise NOT_FOUND (nobody learns which private ids exist). */
  async readable(botId: string, viewer: Viewer): Promise<{ bot: BotRecord; full: boolean }> {
    const bot = await this.get(botId);
    if (!bot) throw notFound('Bot not found.');
    if (bot.ownerId === viewer.userId) return { bot, full: true };
    const admin = await isAdmin(viewer);
    if (admin) return { bot, full: true };
    if (await canUse(bot, viewer)) return { bot, full: false };
    throw notFound('Bot not found.');
  }

  /** A bot the viewer owns and may change (not a deployment bot). */
  async owned(botId: string, viewer: Viewer): Promise<BotRecord> {
    const { bot } = await this.readable(botId, viewer);
    // A bot declared in code has no owner among the users: anyone who can see it learns it is managed (403 MANAGED).
    if (bot.managed) throw new ChatError('MANAGED', 'This bot is managed by the deployment (declared in code) and cannot be changed in the app.');
    if (bot.ownerId !== viewer.userId) throw forbidden('Only the owner of this bot can change it.');
    return bot;
  }

  async isStarred(userId: string, botId: string): Promise<boolean> {
    const res = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { pk: userPk(userId), sk: `STAR#${botId}` }, ProjectionExpression: 'sk' }));
    return res.Item !== undefined;
  }

  /**
   * Creates a bot. `knowledge` (with a knowledge base in the deployment) validates its knowledge settings and receives
   * the plan of the save (`plan`: the machines to start once the bot is written).
   */
  async create(viewer: Viewer, input: BotInput, settings: ModelSettings, knowledge?: KnowledgeSave): Promise<BotRecord> {
    if (!(await canCreate(viewer))) throw forbidden(`Only members of ${CREATOR_GROUP} or ${ADMIN_GROUP} can create bots.`);
    const now = new Date().toISOString();
    const id = ulid();
    const plan = input.knowledge ? knowledgePlanOf(id, undefined, input.knowledge, undefined, 0, now, knowledge) : {};
    const item = botItem({
      ...input,
      id,
      ownerId: viewer.userId,
      managed: false,
      createdAt: now,
      updatedAt: now,
      ...guardrailState(input.guardrail),
      ...(plan.kb ? { kb: plan.kb } : {}),
    });
    const record = toRecord(item);
    validateBotSettings(record, settings);
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    if (knowledge) knowledge.plan = plan;
    return record;
  }

  /**
   * Changes a bot: a field left out stays, `null` (CLEARABLE_BOT_FIELDS) removes one. The new item replaces the old in
   * one conditional PutItem (botItem writes no attribute for an absent field), so a cleared field is gone from the
   * item, as an UpdateItem's REMOVE would leave it.
   */
  async update(viewer: Viewer, botId: string, patch: BotPatch, settings: ModelSettings, knowledge?: KnowledgeSave): Promise<BotRecord> {
    const bot = await this.owned(botId, viewer);
    const now = new Date().toISOString();
    const plan: KnowledgePlan = patch.knowledge
      ? knowledgePlanOf(bot.id, bot.knowledgeSettings, patch.knowledge, bot.kb, bot.documentCount ?? 0, now, knowledge)
      : (bot.kb ? { kb: bot.kb } : {});
    const { defaultModel, guardrail, ...rest } = patch;
    const guardrailChanged = guardrail !== undefined && JSON.stringify(guardrail ?? undefined) !== JSON.stringify(bot.guardrail);
    const cleared = Object.fromEntries(CLEARABLE_BOT_FIELDS.filter((f) => patch[f] === null).map((f) => [f, undefined]));
    const input: BotInput = {
      ...rest,
      ...(defaultModel !== undefined && defaultModel !== null ? { defaultModel } : {}),
      ...(guardrail !== undefined && guardrail !== null ? { guardrail } : {}),
    };
    const merged: BotItemInput = {
      ...bot,
      ...stripUndefined(input),
      ...cleared,
      // A new guardrail: a defined one is created again by bots-ops (CREATING until READY), an existing one needs nothing.
      ...(guardrailChanged ? { guardrailRef: undefined, guardrailStatus: undefined, ...guardrailState(input.guardrail) } : {}),
      knowledge: patch.knowledge ?? bot.knowledgeSettings,
      kb: plan.kb,
      updatedAt: now,
    };
    const item = botItem(merged);
    const record = toRecord(item);
    validateBotSettings(record, settings);
    await this.replace(item, bot);
    if (knowledge) knowledge.plan = plan;
    return record;
  }

  async delete(viewer: Viewer, botId: string): Promise<void> {
    const bot = await this.owned(botId, viewer);
    await this.db.send(new DeleteCommand({
      TableName: this.tableName,
      Key: { pk: botPk(botId), sk: BOT_SK },
      ConditionExpression: 'ownerId = :me',
      ExpressionAttributeValues: { ':me': viewer.userId },
    }));
    // Stars, recents and shares of the bot are removed by the deletion pipe from the REMOVE stream record (bots-ops);
    // until then they point at nothing and every list skips them. The share items go now: they are the bot's own.
    await this.writeShares(bot.id, { users: bot.sharedUsers, groups: bot.sharedGroups }, { users: [], groups: [] });
    if (bot.scope === 'all') await this.bumpStoreVersion();
  }

  async share(viewer: Viewer, botId: string, sharing: { scope: BotScope; users?: string[]; groups?: string[] }): Promise<BotRecord> {
    const bot = await this.owned(botId, viewer);
    if (sharing.scope !== 'partial' && ((sharing.users?.length ?? 0) > 0 || (sharing.groups?.length ?? 0) > 0)) {
      throw invalid(`users and groups are only for scope 'partial' (this is '${sharing.scope}').`);
    }
    const users = [...new Set((sharing.users ?? []).filter((u) => u !== viewer.userId))];
    const groups = [...new Set(sharing.groups ?? [])];
    const item = botItem({
      ...bot,
      scope: sharing.scope,
      sharedUsers: users,
      sharedGroups: groups,
      // A bot that stops being public stops being pinned.
      pinned: sharing.scope === 'all' ? bot.pinned : false,
      updatedAt: new Date().toISOString(),
    });
    await this.replace(item, bot);
    const after = toRecord(item);
    await this.writeShares(bot.id, { users: bot.sharedUsers, groups: bot.sharedGroups }, { users: after.sharedUsers, groups: after.sharedGroups });
    if (bot.scope === 'all' || after.scope === 'all') await this.bumpStoreVersion();
    return after;
  }

  async star(viewer: Viewer, botId: string, starred: boolean): Promise<void> {
    if (starred) {
      const bot = await this.get(botId);
      if (!bot || !(await canUse(bot, viewer))) throw notFound('Bot not found.');
      await this.db.send(new PutCommand({
        TableName: this.tableName,
        Item: { pk: userPk(viewer.userId), sk: `STAR#${botId}`, type: 'star', botId, botPk: botPk(botId), createdAt: new Date().toISOString() },
      }));
    } else {
      // Unstarring needs no access: a bot that became unavailable can still be taken off the list.
      await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: userPk(viewer.userId), sk: `STAR#${botId}` } }));
    }
  }

  async removeRecent(userId: string, botId: string): Promise<void> {
    try {
      await this.db.send(new DeleteCommand({
        TableName: this.tableName, Key: { pk: userPk(userId), sk: `RECENT#${botId}` }, ConditionExpression: 'attribute_exists(pk)',
      }));
    } catch (err) {
      if ((err as { name?: string }).name === 'ConditionalCheckFailedException') throw notFound('This bot is not among your recently used bots.');
      throw err;
    }
  }

  /** Records a use of the bot: the caller's recent item (last use) and the bot's usage count. */
  async recordUse(userId: string, bot: Pick<BotRecord, 'id' | 'title'>): Promise<void> {
    const now = new Date().toISOString();
    await Promise.all([
      this.db.send(new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: userPk(userId),
          sk: `RECENT#${bot.id}`,
          type: 'recent',
          botId: bot.id,
          botTitle: bot.title,
          botPk: botPk(bot.id),
          lastUsedAt: now,
          gsi1pk: `RECENT#${userId}`,
          gsi1sk: `${now}#${bot.id}`,
        },
      })),
      this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: botPk(bot.id), sk: BOT_SK },
        UpdateExpression: 'ADD usageCount :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1 },
      })).catch((err: unknown) => {
        if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
      }),
    ]);
  }

  async pin(viewer: Viewer, botId: string, pinned: boolean, order?: number): Promise<void> {
    if (!(await isAdmin(viewer))) throw forbidden(`Only members of ${ADMIN_GROUP} can pin bots.`);
    const bot = await this.get(botId);
    if (!bot) throw notFound('Bot not found.');
    if (pinned && bot.scope !== 'all') throw unprocessable('Only bots shared with everyone can be pinned.');
    try {
      await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: botPk(botId), sk: BOT_SK },
        UpdateExpression: pinned ? 'SET pinned = :p, pinOrder = :o' : 'SET pinned = :p REMOVE pinOrder',
        ConditionExpression: pinned ? 'attribute_exists(pk) AND #scope = :all' : 'attribute_exists(pk)',
        ExpressionAttributeNames: pinned ? { '#scope': 'scope' } : undefined,
        ExpressionAttributeValues: pinned ? { ':p': true, ':o': order ?? 0, ':all': 'all' } : { ':p': false },
      }));
    } catch (err) {
      if ((err as { name?: string }).name === 'ConditionalCheckFailedException') throw unprocessable('Only bots shared with everyone can be pinned.');
      throw err;
    }
    await this.bumpStoreVersion();
  }

  /** The caller's lists: own bots (newest change first), starred, recent (last use first), shared with them. */
  async list(viewer: Viewer, kind: ListKind, nextToken?: string): Promise<BotPage<BotSummary>> {
    switch (kind) {
      case 'mine': {
        const page = await this.queryPage({ IndexName: BOT_INDEXES.byUserTime, key: `OWNER#${viewer.userId}`, keyName: 'gsi1pk' }, nextToken);
        const bots = page.items.map(toRecord);
        const stars = await this.starsOf(viewer.userId, bots.map((b) => b.id));
        return { items: bots.map((b) => summaryOf(b, viewer, stars.has(b.id))), nextToken: page.nextToken };
      }
      case 'starred': {
        const page = await this.queryPage({ key: userPk(viewer.userId), keyName: 'pk', skPrefix: 'STAR#' }, nextToken);
        const ids = page.items.map((i) => String(i.botId));
        const bots = await this.batchGet(ids);
        const items: BotSummary[] = [];
        for (const id of ids) {
          const bot = bots.get(id);
          if (bot && (await canUse(bot, viewer))) items.push(summaryOf(bot, viewer, true));
        }
        return { items, nextToken: page.nextToken };
      }
      case 'recent': {
        const page = await this.queryPage({ IndexName: BOT_INDEXES.byUserTime, key: `RECENT#${viewer.userId}`, keyName: 'gsi1pk' }, nextToken);
        const ids = page.items.map((i) => String(i.botId));
        const [bots, stars] = await Promise.all([this.batchGet(ids), this.starsOf(viewer.userId, ids)]);
        const items: BotSummary[] = [];
        for (const recent of page.items) {
          const id = String(recent.botId);
          const bot = bots.get(id);
          if (bot && (await canUse(bot, viewer))) items.push(summaryOf(bot, viewer, stars.has(id)));
          else items.push({ id, title: String(recent.botTitle ?? ''), available: false });
        }
        return { items, nextToken: page.nextToken };
      }
      case 'shared': {
        const groups = await viewer.groups();
        const pages = await Promise.all([userPk(viewer.userId), ...groups.map(groupPk)]
          .map((pk) => this.queryPage({ key: pk, keyName: 'pk', skPrefix: 'SHARED#' }, undefined, 100)));
        const ids = [...new Set(pages.flatMap((p) => p.items.map((i) => String(i.botId))))].slice(0, 100);
        const [bots, stars] = await Promise.all([this.batchGet(ids), this.starsOf(viewer.userId, ids)]);
        const items: BotSummary[] = [];
        for (const id of ids) {
          const bot = bots.get(id);
          if (bot && bot.ownerId !== viewer.userId && (await canUse(bot, viewer))) items.push(summaryOf(bot, viewer, stars.has(id)));
        }
        items.sort((a, b) => String(b.updatedAt).localeCompare(String(a.updatedAt)));
        return { items };
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- the store
  /**
   * Public bots whose title or description contains every word of `q` (NFKC, case-insensitive substring match, so
   * Japanese and Chinese need no word segmentation), most used first, 20 a page.
   */
  async search(viewer: Viewer, q: string, nextToken?: string): Promise<BotPage<BotSummary>> {
    const words = searchText(q).split(/\s+/).filter(Boolean);
    if (words.length === 0) throw invalid('q must contain a word.');
    const offset = nextToken ? decodeOffset(nextToken) : 0;
    const bots = await this.publicBots();
    const hits = bots.filter((b) => words.every((w) => b.text.includes(w)))
      .sort((a, b) => (b.usageCount ?? 0) - (a.usageCount ?? 0) || a.id.localeCompare(b.id));
    const page = hits.slice(offset, offset + 20);
    return {
      items: await this.withStars(viewer, page),
      ...(offset + 20 < hits.length ? { nextToken: Buffer.from(JSON.stringify({ o: offset + 20 })).toString('base64url') } : {}),
    };
  }

  /** Public bots, most used first, 20 a page (the order is stable: ties by id). */
  async popular(viewer: Viewer, nextToken?: string): Promise<BotPage<BotSummary>> {
    const offset = nextToken ? decodeOffset(nextToken) : 0;
    const bots = [...(await this.publicBots())].sort((a, b) => (b.usageCount ?? 0) - (a.usageCount ?? 0) || a.id.localeCompare(b.id));
    return {
      items: await this.withStars(viewer, bots.slice(offset, offset + 20)),
      ...(offset + 20 < bots.length ? { nextToken: Buffer.from(JSON.stringify({ o: offset + 20 })).toString('base64url') } : {}),
    };
  }

  async pickup(viewer: Viewer): Promise<BotPage<BotSummary>> {
    const bots = [...(await this.publicBots())];
    for (let i = bots.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [bots[i], bots[j]] = [bots[j], bots[i]];
    }
    return { items: await this.withStars(viewer, bots.slice(0, 10)) };
  }

  async essentials(viewer: Viewer): Promise<BotPage<BotSummary>> {
    const bots = (await this.publicBots()).filter((b) => b.pinned)
      .sort((a, b) => (a.pinOrder ?? 0) - (b.pinOrder ?? 0) || a.title.localeCompare(b.title));
    return { items: await this.withStars(viewer, bots) };
  }

  /**
   * Every public bot, from memory when the store has not changed since it was read: one strongly consistent GetItem
   * of the store's version item decides (a change to a public bot, its sharing or its pin bumps the version), and the
   * whole list is read again at most every `publicCacheMs` anyway (usage counts, for popular).
   */
  async publicBots(): Promise<readonly PublicBot[]> {
    const res = await this.db.send(new GetCommand({ TableName: this.tableName, Key: STORE_VERSION_KEY, ConsistentRead: true }));
    const version = Number(res.Item?.version ?? 0);
    const cache = this.publicCache;
    if (cache && cache.version === version && Date.now() - cache.loadedAt < this.publicCacheMs) return cache.bots;
    const bots: PublicBot[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(new QueryCommand({
        TableName: this.tableName,
        IndexName: BOT_INDEXES.public,
        KeyConditionExpression: 'publicPk = :p',
        ExpressionAttributeValues: { ':p': PUBLIC_PK },
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) {
        const b = item as unknown as SummarySource;
        bots.push({ ...b, text: searchText(`${b.title}\n${b.description ?? ''}`) });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    this.publicCache = { version, loadedAt: Date.now(), bots };
    return bots;
  }

  /** Forgets the cached public bots (tests and benchmarks measure a cold read with it). */
  dropCache(): void {
    this.publicCache = undefined;
  }

  /** Marks the public bots changed: every container's next store read reads them again. */
  async bumpStoreVersion(): Promise<void> {
    await this.db.send(new UpdateCommand({
      TableName: this.tableName,
      Key: STORE_VERSION_KEY,
      UpdateExpression: 'ADD version :one',
      ExpressionAttributeValues: { ':one': 1 },
    }));
  }

  // ---------------------------------------------------------------------------------------------- chat
  /**
   * The bot of one turn, read once: its settings for the worker, or BOT_UNAVAILABLE when the caller may no longer
   * use it (deleted, unshared, a group membership gone). A defined guardrail not yet created refuses the turn too.
   */
  async forTurn(botId: string, viewer: Viewer): Promise<{ bot: BotRecord; settings: BotTurnSettings }> {
    const bot = await this.get(botId);
    if (!bot || !(await canUse(bot, viewer))) {
      throw new BotUnavailable('This bot is no longer available to you: it was deleted or is no longer shared with you. The conversation can be read but not continued.');
    }
    let guardrail: GuardrailRef | undefined;
    if (bot.guardrail && 'id' in bot.guardrail) {guardrail = { id: bot.guardrail.id, version: bot.guardrail.version };} else if (bot.guardrail && 'definition' in bot.guardrail) {
      if (!bot.guardrailRef || bot.guardrailStatus !== 'READY') {
        throw new BotUnavailable(bot.guardrailStatus === 'FAILED'
          ? 'This bot\'s guardrail could not be created; its owner needs to save the bot again.'
          : 'This bot\'s guardrail is still being created. Try again in a minute.');
      }
      const d = bot.guardrail.definition;
      guardrail = d.grounding || d.relevance ? bot.guardrailRef : { ...bot.guardrailRef, grounding: false };
    }
    return {
      bot,
      settings: {
        botId: bot.id,
        title: bot.title,
        instructions: bot.instructions,
        generation: bot.generation,
        promptCaching: bot.promptCaching,
        ...(guardrail ? { guardrail } : {}),
      },
    };
  }

  // ---------------------------------------------------------------------------------------------- helpers
  private async replace(item: Record<string, unknown>, before: BotRecord): Promise<void> {
    try {
      await this.db.send(new PutCommand({
        TableName: this.tableName,
        Item: item,
        // Optimistic: the bot has not changed since it was read (another save would be lost otherwise), nor its
        // documentCount (the knowledge-api function ADDs to it without touching updatedAt; the item carries the count
        // read, so a document added meanwhile would otherwise be forgotten).
        // And its `kb` (the state machines write it without touching updatedAt): the save carries the `kb` it read, or
        // the new one it starts a machine for, so a change a machine made meanwhile is refused, never overwritten.
        ConditionExpression: `updatedAt = :before AND ownerId = :owner AND ${before.documentCount === undefined ? 'attribute_not_exists(documentCount)' : 'documentCount = :count'}`
          // Every kb write sets kb.updatedAt (the contract), so its generation and updatedAt identify the kb read.
          + ` AND ${before.kb === undefined ? 'attribute_not_exists(kb)' : 'kb.generation = :kbg AND kb.updatedAt = :kbu'}`,
        ExpressionAttributeValues: {
          ':before': before.updatedAt,
          ':owner': before.ownerId,
          ...(before.documentCount === undefined ? {} : { ':count': before.documentCount }),
          ...(before.kb === undefined ? {} : { ':kbg': before.kb.generation, ':kbu': before.kb.updatedAt }),
        },
      }));
    } catch (err) {
      if ((err as { name?: string }).name === 'ConditionalCheckFailedException') {
        throw new ChatError('CONFLICT', 'The bot was changed or deleted meanwhile. Reload it and try again.');
      }
      throw err;
    }
    if (before.scope === 'all' || item.scope === 'all') await this.bumpStoreVersion();
  }

  private async writeShares(botId: string, before: Sharing, after: Sharing): Promise<void> {
    const pkOfUser = (u: string) => userPk(u);
    const keysBefore = new Set([...before.users.map(pkOfUser), ...before.groups.map(groupPk)]);
    const keysAfter = new Set([...after.users.map(pkOfUser), ...after.groups.map(groupPk)]);
    const now = new Date().toISOString();
    const requests: Record<string, unknown>[] = [
      ...[...keysBefore].filter((k) => !keysAfter.has(k)).map((pk) => ({ DeleteRequest: { Key: { pk, sk: `SHARED#${botId}` } } })),
      ...[...keysAfter].filter((k) => !keysBefore.has(k)).map((pk) => ({
        PutRequest: { Item: { pk, sk: `SHARED#${botId}`, type: 'share', botId, botPk: botPk(botId), createdAt: now } },
      })),
    ];
    // BatchWriteItem takes at most 25 requests (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html).
    for (let i = 0; i < requests.length; i += 25) {
      let pending: Record<string, unknown[]> | undefined = { [this.tableName]: requests.slice(i, i + 25) };
      for (let attempt = 0; pending && Object.keys(pending).length > 0 && attempt < 5; attempt++) {
        const res = await this.db.send(new BatchWriteCommand({ RequestItems: pending as never }));
        pending = res.UnprocessedItems as Record<string, unknown[]> | undefined;
      }
    }
  }

  private async queryPage(
    q: { IndexName?: string; key: string; keyName: string; skPrefix?: string },
    nextToken: string | undefined,
    limit = 50,
  ): Promise<{ items: Record<string, unknown>[]; nextToken?: string }> {
    const res = await this.db.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: q.IndexName,
      KeyConditionExpression: q.skPrefix ? '#k = :k AND begins_with(sk, :p)' : '#k = :k',
      ExpressionAttributeNames: { '#k': q.keyName },
      ExpressionAttributeValues: { ':k': q.key, ...(q.skPrefix ? { ':p': q.skPrefix } : {}) },
      ScanIndexForward: q.IndexName === undefined,
      Limit: limit,
      ExclusiveStartKey: nextToken ? decodeKey(nextToken, q.key, q.keyName) : undefined,
    }));
    return {
      items: res.Items ?? [],
      ...(res.LastEvaluatedKey ? { nextToken: Buffer.from(JSON.stringify(res.LastEvaluatedKey)).toString('base64url') } : {}),
    };
  }

  /** BatchGetItem of bot items, 100 keys a call, retrying unprocessed keys
   * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html). */
  private async batchGet(ids: string[]): Promise<Map<string, BotRecord>> {
    const found = new Map<string, BotRecord>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((id) => ({ pk: botPk(id), sk: BOT_SK }));
      for (let attempt = 0; keys && keys.length > 0 && attempt < 5; attempt++) {
        const res = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }));
        for (const item of res.Responses?.[this.tableName] ?? []) found.set(String(item.id), toRecord(item));
        keys = res.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return found;
  }

  private async starsOf(userId: string, ids: string[]): Promise<Set<string>> {
    const stars = new Set<string>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((id) => ({ pk: userPk(userId), sk: `STAR#${id}` }));
      for (let attempt = 0; keys && keys.length > 0 && attempt < 5; attempt++) {
        const res = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ProjectionExpression: 'sk' } } }));
        for (const item of res.Responses?.[this.tableName] ?? []) stars.add(String(item.sk).slice('STAR#'.length));
        keys = res.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return stars;
  }

  private async withStars(viewer: Viewer, bots: readonly SummarySource[]): Promise<BotSummary[]> {
    const stars = await this.starsOf(viewer.userId, bots.map((b) => b.id));
    return bots.map((b) => summaryOf(b, viewer, stars.has(b.id)));
  }
}

interface Sharing { readonly users: string[]; readonly groups: string[] }

/**
 * What a save needs to decide about knowledge (core/bot-knowledge.ts `knowledgeSaveFor`: validation and the plan; kept
 * out of this module so the chat worker's bundle, which reads bots, carries none of it), and where it leaves its plan
 * (the machines to start after the write).
 */
export interface KnowledgeSave {
  /** Validates `after` and plans what the save starts; throws BAD_REQUEST, EXISTING or CONFLICT. */
  readonly planFor: KnowledgePlanner;
  plan?: KnowledgePlan;
}

/** Without a knowledge base in the deployment, only `shared` is accepted (and means nothing). */
function knowledgePlanOf(
  botId: string, before: KnowledgeSettings | undefined, after: KnowledgeSettings, kb: KbState | undefined, documents: number, now: string,
  save: KnowledgeSave | undefined,
): KnowledgePlan {
  if (save) return save.planFor(botId, before, after, kb, documents, now);
  if (after.mode !== 'shared' || after.numberOfResults !== undefined) throw invalid('knowledge: this deployment has no knowledge base.');
  return kb ? { kb } : {};
}

function guardrailState(guardrail: BotGuardrail | undefined): Partial<Pick<BotItemInput, 'guardrailStatus' | 'guardrailRef'>> {
  // A defined guardrail is created by bots-ops from the bot's stream record; until it is READY the bot cannot chat.
  return guardrail && 'definition' in guardrail ? { guardrailStatus: 'CREATING' } : {};
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A page token is the last key, base64url JSON; a token for another list or user is refused. */
function decodeKey(token: string, key: string, keyName: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (parsed && typeof parsed === 'object' && parsed[keyName] === key) return parsed;
  } catch {
    // fall through
  }
  throw invalid('nextToken is not valid for this list.');
}

function decodeOffset(token: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0 && parsed.o <= 100_000) return parsed.o;
  } catch {
    // fall through
  }
  throw invalid('nextToken is not valid for this list.');
}

/**
 * What a turn asks the model, given the bot's settings (or none): the bot's instructions as the system prompt, its
 * generation parameters, its prompt caching and its guardrail; otherwise the deployment's.
 */
export function turnRequestOptions(bot: BotTurnSettings | undefined, model: RuntimeModel, settings: ModelSettings, reasoning: boolean | undefined): {
  system?: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  reasoningBudget?: number;
  adaptiveReasoning?: boolean;
  cacheConversation: boolean;
  guardrail?: GuardrailRef;
} {
  const g = bot?.generation ?? {};
  const reasons = reasoning === true && model.capabilities?.reasoning !== false;
  return {
    ...(bot?.instructions ? { system: bot.instructions } : {}),
    ...(g.maxTokens !== undefined ? { maxTokens: g.maxTokens } : {}),
    // Claude does not take temperature or top_k while it reasons (validateBotSettings refuses such a bot; a client asking
    // for reasoning on it gets the bot's sampling without reasoning's constraints broken: they are left out then).
    ...(g.temperature !== undefined && !(reasons && isAnthropic(model)) ? { temperature: g.temperature } : {}),
    ...(g.topP !== undefined ? { topP: g.topP } : {}),
    ...(g.topK !== undefined && takesTopK(model) && !reasons ? { topK: g.topK } : {}),
    ...(g.stopSequences?.length ? { stopSequences: g.stopSequences } : {}),
    reasoningBudget: reasons ? (g.reasoningBudget ?? settings.reasoningBudget) : undefined,
    adaptiveReasoning: model.capabilities?.adaptiveReasoningOnly,
    cacheConversation: (bot ? bot.promptCaching : settings.promptCaching) && model.capabilities?.promptCaching === true,
    guardrail: bot?.guardrail ?? settings.guardrail,
  };
}

/** The model of a turn with a bot: the one asked for if the bot allows it, else the bot's default. */
export function botModelFor(bot: Pick<BotRecord, 'models' | 'defaultModel' | 'title'>, settings: ModelSettings, requested: string | undefined): RuntimeModel {
  const allowed = allowedModels(bot, settings);
  if (allowed.length === 0) throw invalid(`The bot ${bot.title} allows no model of this deployment.`);
  if (requested) {
    const model = allowed.find((m) => m.key === requested || m.modelId === requested);
    if (!model) throw invalid(`The bot ${bot.title} does not allow the model "${requested}" (it allows ${allowed.map((m) => m.key).join(', ')}).`);
    return model;
  }
  const preferred = bot.defaultModel ?? settings.defaultModel.key;
  return allowed.find((m) => m.key === preferred || m.modelId === preferred) ?? allowed[0];
}
