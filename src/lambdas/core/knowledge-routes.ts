/**
 * The REST routes of bots' documents (issue 12; the contract: docs/knowledge-contract.md, "REST"), routed by the
 * knowledge-api function behind `/knowledge/{proxy+}`. Who may do what is decided here with the bots' own rules
 * (core/bots.ts: owner, shares, groups read from the user pool at use time, admins); a bot the caller may not see,
 * and the documents of a bot the caller may not list, do not exist for them (404).
 */
import { KnowledgeDeployment, knowledgeView, KNOWLEDGE_VIEW_SCHEMA } from './bot-knowledge';
import { BOT_ID_PATTERN, BotRecord, BotStore, canCreate, canUse, GroupLookup, isAdmin, Viewer, viewerOf } from './bots';
import { ChatError, forbidden, notFound, unprocessable } from './errors';
import { ULID_PATTERN } from './ids';
import { DocumentStore, KnowledgeIndex, KNOWLEDGE_TYPES, MAX_DOCUMENT_NAME, MAX_DOCUMENTS_PER_BOT, MAX_KNOWLEDGE_BYTES } from './knowledge-documents';
import { MachineDeps, startProvision } from './knowledge-machines';
import type { Route, RouteContext } from './rest-router';
import type { Schema } from './schema';

export interface KnowledgeDeps {
  readonly bots: BotStore;
  readonly documents: DocumentStore;
  /** The caller's groups from the user pool (AdminListGroupsForUser), at use time. */
  readonly groupsOf: GroupLookup;
  /**
   * The bulk data source's sync item (KnowledgeBaseFactory's sync table, written by its state machine:
   * src/constructs/knowledge-base/bulk-sync.ts), undefined before the first change under `bulk/`.
   */
  readonly syncState?: () => Promise<Record<string, unknown> | undefined>;
  /** What the deployment offers bots (`KNOWLEDGE_DEDICATED`, `KNOWLEDGE_EXISTING`); absent: shared only. */
  readonly deployment?: KnowledgeDeployment;
  /** Starts the provision machine (`sync`); set with KNOWLEDGE_PROVISION_ARN. */
  readonly machines?: MachineDeps;
  /** The S3 data source of a dedicated bot's knowledge base (wiring/knowledge-index.ts dedicatedKnowledgeIndex). */
  readonly dedicatedIndex?: (knowledgeBaseId: string, dataSourceId: string) => KnowledgeIndex;
}

/**
 * Where a bot's documents go (docs/knowledge-contract.md, "Routes"): the shared index (shared bots); a dedicated bot's own
 * S3 data source once its knowledge base is ACTIVE (409 NOT_READY before); none for a bot on an existing knowledge base
 * (409 EXISTING).
 */
function indexFor(deps: KnowledgeDeps, bot: BotRecord): KnowledgeIndex | undefined {
  const mode = bot.knowledgeSettings?.mode ?? 'shared';
  if (mode === 'existing') throw new ChatError('EXISTING', 'This bot uses an existing knowledge base of the deployment: it has no documents of its own.');
  if (mode === 'shared') return undefined;
  const kb = bot.kb;
  if (kb?.status !== 'ACTIVE' || !kb.knowledgeBaseId || !kb.dataSourceId) {
    throw new ChatError('NOT_READY', `This bot's knowledge base is ${kb?.status === 'FAILED' ? 'not created (it failed: save the bot again)' : kb?.status === 'DELETING' ? 'being deleted' : 'still being created'}: try again when it is ready.`);
  }
  if (!deps.dedicatedIndex) throw new ChatError('INTERNAL', 'This deployment has no dedicated knowledge bases.');
  return deps.dedicatedIndex(kb.knowledgeBaseId, kb.dataSourceId);
}

/** A sync not finished after this long is given up (the provision machine stops polling a job after 12 hours). */
const SYNC_GIVE_UP_MS = 12 * 60 * 60 * 1000;

/** The sync item as the route answers it: what an admin needs, none of the machine's bookkeeping (`runner`). */
export function syncStatusOf(item: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!item) return { status: 'NONE', pending: false };
  const json = (v: unknown) => {
    try {
      return typeof v === 'string' ? JSON.parse(v) as unknown : undefined;
    } catch {
      return undefined;
    }
  };
  const out: Record<string, unknown> = { status: item.status, pending: item.pending === true, running: typeof item.runner === 'string' };
  for (const k of ['jobId', 'jobStatus', 'jobError', 'changedAt', 'startedAt', 'finishedAt']) if (typeof item[k] === 'string') out[k] = item[k];
  if (typeof item.failedDocuments === 'number') out.failedDocuments = item.failedDocuments;
  const statistics = json(item.statistics);
  if (statistics && typeof statistics === 'object') out.statistics = statistics;
  const reasons = json(item.failureReasons);
  if (Array.isArray(reasons)) out.failureReasons = reasons.filter((r) => typeof r === 'string');
  return out;
}

function knowledgeDeps(ctx: RouteContext): KnowledgeDeps {
  if (!ctx.deps.knowledge) throw new ChatError('INTERNAL', 'This deployment has no knowledge base.');
  return ctx.deps.knowledge();
}

type Access = 'owner' | 'list' | 'read';

/**
 * The bot, when the caller may do `access` with its documents: `owner` (upload, register, delete: the owner; a bot
 * declared in code: 403 MANAGED to whoever can see it), `list` (the owner, admins), `read` (the source: whoever may
 * chat with it, admins). Anyone else: 404, as for a bot that does not exist.
 */
async function botFor(ctx: RouteContext, access: Access): Promise<{ bot: BotRecord; viewer: Viewer }> {
  const deps = knowledgeDeps(ctx);
  const viewer = viewerOf(ctx.caller, deps.groupsOf);
  const bot = await deps.bots.get(ctx.params.botId);
  const missing = () => notFound('Bot not found.');
  if (!bot) throw missing();
  const owner = bot.ownerId === viewer.userId;
  const visible = owner || (await canUse(bot, viewer)) || (await isAdmin(viewer));
  if (!visible) throw missing();
  if (access === 'owner') {
    if (bot.managed) throw new ChatError('MANAGED', 'This bot is managed by the deployment (declared in code): its documents cannot be changed in the app.');
    if (!owner) throw missing();
  } else if (access === 'list') {
    if (!owner && !(await isAdmin(viewer))) throw missing();
  }
  return { bot, viewer };
}

// ------------------------------------------------------------------------------------------------ schemas
const time: Schema = { type: 'string', format: 'date-time' };
const botId: Schema = { type: 'string', maxLength: 64, pattern: BOT_ID_PATTERN, description: 'The bot\'s id' };
const botParams: Schema = { type: 'object', additionalProperties: false, required: ['botId'], properties: { botId } };
const documentParams: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['botId', 'documentId'],
  properties: { botId, documentId: { type: 'string', pattern: ULID_PATTERN, description: 'The document\'s id (a ULID)' } },
};
const document: Schema = {
  type: 'object',
  required: ['id', 'name', 'contentType', 'size', 'status', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string', description: 'The file name as uploaded' },
    contentType: { type: 'string' },
    size: { type: 'integer' },
    status: {
      enum: ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'],
      description: 'Bedrock\'s ingestion status: STARTING → QUEUED, IN_PROGRESS → RUNNING, INDEXED → SUCCEEDED, PARTIALLY_INDEXED → SUCCEEDED with statusReason, FAILED and NOT_FOUND → FAILED',
    },
    statusReason: { type: 'string' },
    createdAt: time,
    updatedAt: time,
  },
};
const types = [...new Set(Object.values(KNOWLEDGE_TYPES))];

const knowledgeBases: Schema = {
  type: 'object',
  required: ['existing', 'dedicated'],
  properties: {
    existing: {
      type: 'array',
      items: { type: 'object', required: ['knowledgeBaseId', 'name'], properties: { knowledgeBaseId: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' } } },
    },
    dedicated: {
      type: ['object', 'null'],
      required: ['embeddingModels', 'parsingModels'],
      description: '`null` when the deployment has no dedicated knowledge bases',
      properties: {
        embeddingModels: { type: 'array', items: { type: 'object', required: ['modelId', 'dimensions'], properties: { modelId: { type: 'string' }, dimensions: { type: 'integer' } } } },
        parsingModels: { type: 'array', items: { type: 'string' } },
      },
    },
  },
};

const syncStatus: Schema = {
  type: 'object',
  required: ['status', 'pending'],
  description: 'The sync of the bulk data source (files under bulk/ of the document bucket), as its state machine recorded it',
  properties: {
    status: { enum: ['NONE', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'], description: 'NONE: no change under bulk/ yet. A job can finish with failed documents: SUCCEEDED with failedDocuments > 0' },
    pending: { type: 'boolean', description: 'A change came in that the next job takes' },
    running: { type: 'boolean', description: 'An execution is running jobs' },
    jobId: { type: 'string' },
    jobStatus: { enum: ['STARTING', 'IN_PROGRESS', 'COMPLETE', 'FAILED', 'STOPPING', 'STOPPED'], description: 'Bedrock\'s status of the last job' },
    jobError: { type: 'string', description: 'The error that stopped the sync (FAILED without a job outcome)' },
    changedAt: time,
    startedAt: time,
    finishedAt: time,
    failedDocuments: { type: 'integer' },
    statistics: { type: 'object', description: 'The last job\'s statistics (NumberOfDocumentsScanned, NumberOfNewDocumentsIndexed, NumberOfDocumentsFailed, ...)' },
    failureReasons: { type: 'array', items: { type: 'string' }, description: 'Why the last job, or some of its documents, failed' },
  },
};

// ------------------------------------------------------------------------------------------------ routes
export const KNOWLEDGE_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/knowledge/bots/{botId}/uploads',
    operationId: 'startDocumentUpload',
    summary: 'Start uploading a document to a bot\'s knowledge (its owner; not a bot declared in code: 403 MANAGED)',
    description: `PUT the bytes to \`url\` with exactly \`headers\`, then register the upload (POST .../documents). Types by extension: ${Object.entries(KNOWLEDGE_TYPES).map(([e, t]) => `.${e} ${t}`).join(', ')}; 1 byte to 50 MiB.`,
    params: botParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'contentType', 'size'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: MAX_DOCUMENT_NAME, description: 'The file name: no control characters, slashes or backslashes; its extension names its type' },
        contentType: { enum: types },
        size: { type: 'integer', minimum: 1, maximum: MAX_KNOWLEDGE_BYTES, description: 'Bytes (Amazon Bedrock: at most 50 MB a file)' },
      },
    },
    response: {
      status: 201,
      description: 'Where and how to PUT the file',
      schema: {
        type: 'object',
        required: ['uploadId', 'url', 'headers', 'expiresAt'],
        properties: { uploadId: { type: 'string' }, url: { type: 'string' }, headers: { type: 'object' }, expiresAt: time },
      },
    },
    errors: ['MANAGED', 'NOT_FOUND', 'THROTTLED', 'NOT_READY', 'EXISTING'],
    handle: async (ctx) => {
      const { bot, viewer } = await botFor(ctx, 'owner');
      indexFor(knowledgeDeps(ctx), bot);
      return knowledgeDeps(ctx).documents.startUpload(bot.id, viewer.userId, ctx.body as { name: string; contentType: string; size: number });
    },
  },
  {
    method: 'POST',
    path: '/knowledge/bots/{botId}/documents',
    operationId: 'addDocument',
    summary: 'Add an uploaded file to the bot\'s knowledge (its owner)',
    description: `The upload is checked (it exists, its size and type are as declared), moved to documents/ and ingested into the knowledge base; at most ${MAX_DOCUMENTS_PER_BOT} documents a bot (409 LIMIT).`,
    params: botParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['uploadId'],
      properties: { uploadId: { type: 'string', pattern: ULID_PATTERN, description: 'From POST .../uploads' } },
    },
    response: { status: 201, description: 'The document (status QUEUED)', schema: document },
    errors: ['MANAGED', 'NOT_FOUND', 'LIMIT', 'THROTTLED', 'NOT_READY', 'EXISTING'],
    handle: async (ctx) => {
      const { bot, viewer } = await botFor(ctx, 'owner');
      const index = indexFor(knowledgeDeps(ctx), bot);
      return knowledgeDeps(ctx).documents.register(bot.id, viewer.userId, (ctx.body as { uploadId: string }).uploadId, index);
    },
  },
  {
    method: 'GET',
    path: '/knowledge/bots/{botId}/documents',
    operationId: 'listDocuments',
    summary: 'The bot\'s documents, newest first (its owner, admins); statuses not final yet are refreshed from Bedrock',
    params: botParams,
    response: {
      status: 200,
      description: 'Every document of the bot',
      schema: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: document } } },
    },
    errors: ['NOT_FOUND', 'THROTTLED', 'NOT_READY', 'EXISTING'],
    handle: async (ctx) => {
      const { bot } = await botFor(ctx, 'list');
      return { items: await knowledgeDeps(ctx).documents.list(bot.id, indexFor(knowledgeDeps(ctx), bot)) };
    },
  },
  {
    method: 'DELETE',
    path: '/knowledge/bots/{botId}/documents/{documentId}',
    operationId: 'deleteDocument',
    summary: 'Remove a document from the bot\'s knowledge: its vectors, its file and its record (its owner)',
    params: documentParams,
    response: { status: 204, description: 'Removed' },
    errors: ['MANAGED', 'NOT_FOUND', 'THROTTLED', 'NOT_READY', 'EXISTING'],
    handle: async (ctx) => {
      const { bot } = await botFor(ctx, 'owner');
      await knowledgeDeps(ctx).documents.delete(bot.id, ctx.params.documentId, indexFor(knowledgeDeps(ctx), bot));
    },
  },
  {
    method: 'GET',
    path: '/knowledge/bots/{botId}/documents/{documentId}/source',
    operationId: 'documentSource',
    summary: 'A short-lived link to a document\'s file (whoever may chat with the bot; admins)',
    description: 'A presigned GET, shown inline; HTML and markdown are served as text/plain.',
    params: documentParams,
    response: {
      status: 200,
      description: 'The link',
      schema: { type: 'object', required: ['url', 'expiresAt'], properties: { url: { type: 'string' }, expiresAt: time } },
    },
    errors: ['NOT_FOUND', 'THROTTLED'],
    handle: async (ctx) => {
      const { bot } = await botFor(ctx, 'read');
      return knowledgeDeps(ctx).documents.sourceUrl(bot.id, ctx.params.documentId);
    },
  },
  {
    method: 'GET',
    path: '/knowledge/sync',
    operationId: 'bulkSyncStatus',
    summary: 'How the sync of bulk knowledge (files under bulk/) stands: status, last job, failed documents (admins)',
    response: { status: 200, description: 'The sync status', schema: syncStatus },
    errors: ['FORBIDDEN', 'THROTTLED'],
    handle: async (ctx) => {
      const deps = knowledgeDeps(ctx);
      if (!(await isAdmin(viewerOf(ctx.caller, deps.groupsOf)))) throw forbidden('Only admins may see the sync of bulk knowledge.');
      if (!deps.syncState) throw new ChatError('INTERNAL', 'This deployment has no bulk knowledge sync.');
      return syncStatusOf(await deps.syncState());
    },
  },
  {
    method: 'GET',
    path: '/knowledge/bases',
    operationId: 'knowledgeBases',
    summary: 'What bots may choose for their knowledge: the deployment\'s existing knowledge bases, and the models of dedicated ones (members of CreatingBotAllowed or Admin)',
    response: { status: 200, description: 'The offer', schema: knowledgeBases },
    errors: ['FORBIDDEN', 'THROTTLED'],
    handle: async (ctx) => {
      const deps = knowledgeDeps(ctx);
      if (!(await canCreate(viewerOf(ctx.caller, deps.groupsOf)))) throw forbidden('Only those who may create bots see the knowledge bases they can choose.');
      const d = deps.deployment;
      return {
        existing: (d?.existing ?? []).map((k) => ({
          knowledgeBaseId: k.knowledgeBaseId, name: k.name, ...(k.description ? { description: k.description } : {}),
        })),
        dedicated: d?.dedicated && d.provisionArn ? {
          embeddingModels: d.dedicated.embeddingModels.map((m) => ({ modelId: m.modelId, dimensions: m.dimensions })),
          parsingModels: [...d.dedicated.parsingModels],
        } : null,
      };
    },
  },
  {
    method: 'POST',
    path: '/knowledge/bots/{botId}/sync',
    operationId: 'syncBotKnowledge',
    summary: 'Sync a dedicated bot\'s knowledge base again: its documents and crawled pages (its owner; the knowledge base ACTIVE)',
    description: 'Starts the provision state machine with action sync; the bot\'s knowledge.state.sync shows how it goes (GET /bots/{botId}).',
    params: botParams,
    response: { status: 202, description: 'Started', schema: { type: 'object', required: ['state'], properties: { state: KNOWLEDGE_VIEW_SCHEMA.properties!.state } } },
    errors: ['MANAGED', 'NOT_FOUND', 'NOT_READY', 'UNPROCESSABLE', 'THROTTLED'],
    handle: async (ctx) => {
      const deps = knowledgeDeps(ctx);
      const { bot } = await botFor(ctx, 'owner');
      const settings = bot.knowledgeSettings;
      if (settings?.mode !== 'dedicated' || !settings.dedicated) throw unprocessable('Only a bot with a knowledge base of its own (dedicated) is synced on demand.');
      const kb = bot.kb;
      if (kb?.status !== 'ACTIVE') throw new ChatError('NOT_READY', `This bot's knowledge base is ${kb ? kb.status : 'not created'}: it can be synced once it is ACTIVE.`);
      // One sync at a time (Bedrock runs one ingestion job per data source; the machine would only queue behind it),
      // unless the running one is older than the machine's longest wait for a job (12 hours): then it is given up.
      const since = Date.parse(kb.sync?.startedAt ?? kb.updatedAt);
      if ((kb.sync?.status === 'QUEUED' || kb.sync?.status === 'RUNNING') && Date.now() - since < SYNC_GIVE_UP_MS) {
        throw new ChatError('NOT_READY', 'This bot\'s knowledge base is already syncing: wait for it to finish.');
      }
      if (!deps.machines) throw new ChatError('INTERNAL', 'This deployment cannot start its knowledge state machines.');
      const started = await startProvision(deps.machines, { botId: bot.id, generation: kb.generation, action: 'sync', settings: settings.dedicated });
      const now = await deps.bots.get(bot.id, true);
      const view = knowledgeView(now?.knowledgeSettings, now?.documentCount, now?.kb) as { state?: unknown };
      if (!started) throw new ChatError('INTERNAL', 'The sync could not be started. Try again in a moment.');
      return { state: view.state ?? { status: kb.status } };
    },
  },
];
