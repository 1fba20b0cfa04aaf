/**
 * The REST router and the routes of the api function (conversations, models, uploads, health, usage). Bots, the store,
 * the user and group searches, `/me` and the OpenAPI document are routed by the bots-api function (rest.ts puts every
 * route together: the OpenAPI document and `handleRest`). Kept apart so that the api function's bundle carries none
 * of the bot code and clients (docs/architecture.md, "Lambda packaging and cold start").
 */
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { toDocumentName } from './attachment-files';
import type { Caller } from './auth';
import type { BotDeps } from './bot-routes';
import type { ConversationStore, Feedback, FeedbackCategory } from './conversations';
import { invalid, notFound, unprocessable } from './errors';
import { ulid as newUlid, ULID_PATTERN } from './ids';
import type { KnowledgeDeps } from './knowledge-routes';
import { MAX_DOCUMENT_BYTES, MAX_IMAGE_BYTES, mb } from './limits';
import type { Logger } from './log';
import type { ModelSettings } from './models';
import type { RouteSpec } from './openapi';
import type { Usage } from './protocol';
import type { Schema } from './schema';
import { proposeTitle } from './titles';
import { endCall, estimateOf, Reservation, reserveCall, UsageStore } from './usage';
import type { UsageOverrides } from './usage-overrides';
import { groupsOf, USAGE_ROUTES } from './usage-routes';

export interface RestRequest {
  readonly method: string;
  /** The path as received (percent-encoded), without the stage. */
  readonly path: string;
  readonly query: Record<string, string | undefined>;
  /** The body as text (already base64-decoded), if any. */
  readonly body?: string;
  readonly caller: Caller | undefined;
}

export interface RestResponse {
  readonly status: number;
  /** Undefined for 204 No Content. */
  readonly body: unknown;
}

/** A presigned PUT for one upload. */
export interface UploadTarget {
  readonly url: string;
  /** Headers the client must send with the PUT, exactly. */
  readonly headers: Record<string, string>;
  readonly expiresAt: string;
}

export interface RestDeps {
  readonly store: ConversationStore;
  readonly log: Logger;
  /** Read when a route needs it, so a missing setting only fails the routes that use it. */
  readonly settings: () => ModelSettings;
  readonly bedrock: () => BedrockRuntimeClient;
  /** Presigns a PUT of `size` bytes of `contentType` to `key` in the large-message bucket. */
  readonly presignUpload: (key: string, contentType: string, size: number) => Promise<UploadTarget>;
  /**
   * Deletes the given attachment keys of the caller from the large-message bucket, or with `keys` undefined every
   * object under `uploads/<userId>/`. Keys outside the caller's prefix are never deleted.
   */
  readonly deleteUploads: (userId: string, keys?: readonly string[]) => Promise<void>;
  /** Bots, the store and the user pool lookups (core/bot-routes.ts), made when a bot route needs them. */
  readonly bots?: () => BotDeps;
  /** Bots' documents (core/knowledge-routes.ts: the knowledge-api function), made when a knowledge route needs them. */
  readonly knowledge?: () => KnowledgeDeps;
  /** Usage limits (undefined: switched off in this deployment). */
  readonly usage?: () => UsageStore | undefined;
  /** The admins' overrides of the usage limits (usage-routes.ts). */
  readonly usageOverrides?: () => UsageOverrides;
  /** The caller's Cognito groups (wiring/groups.ts: the one place they are read). */
  readonly groupsOf?: (caller: Caller) => Promise<readonly string[]>;
}

export interface RouteContext {
  readonly deps: RestDeps;
  readonly caller: Caller;
  readonly params: Record<string, string>;
  readonly query: Record<string, string | undefined>;
  readonly body: unknown;
}

export interface Route extends RouteSpec {
  readonly handle: (ctx: RouteContext) => Promise<unknown>;
}

/** Largest attachment: a document (4.5 MB); images are smaller (3.75 MB). See limits.ts. */
export const MAX_UPLOAD_BYTES = MAX_DOCUMENT_BYTES;
/** The image types among UPLOAD_TYPES (their size limit is MAX_IMAGE_BYTES). */
const IMAGE_UPLOAD_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

/** Attachment types and the extension their key gets. */
export const UPLOAD_TYPES: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
  'text/csv': 'csv',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/html': 'html',
  'text/plain': 'txt',
  'text/markdown': 'md',
};

/** A key segment from a user's file name: letters, digits, `-` and `_` only, with the type's extension. */
export function safeFileName(name: string, extension: string): string {
  const base = name.replace(/\.[^.]*$/, '').normalize('NFKD').replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
  return `${base || 'file'}.${extension}`;
}

/** Largest body accepted (bodies here are a title, a feedback comment or an upload request). */
export { MAX_BODY_BYTES } from './rest-routing';
export const MAX_TITLE = 200;
export const MAX_COMMENT = 1000;
export const FEEDBACK_CATEGORIES: readonly FeedbackCategory[] = ['notFactuallyCorrect', 'notFollowingInstructions', 'other'];

// ------------------------------------------------------------------------------------------------ schemas
const ulid = (what: string): Schema => ({ type: 'string', pattern: ULID_PATTERN, description: `${what} (a ULID)` });
const conversationParams: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['conversationId'],
  properties: { conversationId: ulid('Conversation id') },
};
const messageParams: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['conversationId', 'messageId'],
  properties: { conversationId: ulid('Conversation id'), messageId: ulid('Message id') },
};
const nextToken: Schema = { type: 'string', minLength: 1, maxLength: 2048, description: 'From the previous page' };
const time: Schema = { type: 'string', format: 'date-time' };
const usage: Schema = {
  type: 'object',
  properties: {
    inputTokens: { type: 'integer' }, outputTokens: { type: 'integer' }, cacheReadTokens: { type: 'integer' }, cacheWriteTokens: { type: 'integer' },
  },
};
const summary: Schema = {
  type: 'object',
  required: ['id', 'title', 'model', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    title: { type: 'string' },
    model: { type: 'string' },
    createdAt: time,
    updatedAt: time,
    botId: { type: 'string', description: 'The bot the conversation is with' },
    botTitle: { type: 'string', description: 'The bot\'s title when the conversation started' },
  },
};
const feedback: Schema = {
  type: 'object',
  required: ['thumbsUp', 'createdAt'],
  properties: {
    thumbsUp: { type: 'boolean' },
    category: { type: 'string', enum: FEEDBACK_CATEGORIES },
    comment: { type: 'string' },
    createdAt: time,
  },
};
const message: Schema = {
  type: 'object',
  required: ['id', 'parentId', 'role', 'content', 'createdAt'],
  properties: {
    id: { type: 'string' },
    parentId: { type: ['string', 'null'] },
    role: { type: 'string', enum: ['user', 'assistant'] },
    content: {
      type: 'array',
      description: 'Blocks: {text}, {image: {format, key}} or {document: {format, name, key}}',
      items: {
        type: 'object',
        properties: {
          text: { type: 'string' },
          image: { type: 'object', properties: { format: { type: 'string' }, key: { type: 'string' } } },
          document: { type: 'object', properties: { format: { type: 'string' }, name: { type: 'string' }, key: { type: 'string' } } },
        },
      },
    },
    model: { type: 'string' },
    usage,
    price: { type: 'number', description: 'USD' },
    reasoning: { type: 'string' },
    stopReason: { type: 'string' },
    feedback,
    citations: {
      type: 'array',
      maxItems: 20,
      description: 'The sources the answer was given (a bot with knowledge), in the order of their numbers: the answer cites them as `[^<sourceId>]`. '
        + 'Open a document with `GET /knowledge/bots/{botId}/documents/{documentId}/source`, a page at its `url`.',
      items: {
        type: 'object',
        required: ['sourceId', 'title', 'snippet'],
        properties: {
          sourceId: { type: 'string' },
          title: { type: 'string', description: 'The document\'s name, or the page\'s host' },
          documentId: { type: 'string', description: 'A document of the bot' },
          url: { type: 'string', format: 'uri', description: 'A crawled page or an existing knowledge base\'s source (https only), instead of documentId' },
          page: { type: 'integer', minimum: 1 },
          snippet: { type: 'string', maxLength: 500 },
        },
      },
    },
    createdAt: time,
  },
};

// ------------------------------------------------------------------------------------------------ routes
/**
 * Every REST route: method, path, input schemas, answer, handler. The schemas validate the input at the edge and
 * describe the API (`GET /openapi.json`, `docs/openapi.json`). Every route reads and writes only the caller's data:
 * the store takes the caller's user id and builds every key from it.
 */
/** The conversation routes, `/models`, `/uploads` and `/health`. */
export const CHAT_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/conversations',
    operationId: 'listConversations',
    summary: 'List the caller\'s conversations, most recent first',
    description: 'Reads only conversation items (a sparse index), never messages.',
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        limit: { type: 'string', pattern: '^([1-9]|[1-9][0-9]|100)$', description: 'Page size, 1 to 100 (default 50)' },
        nextToken,
      },
    },
    response: {
      status: 200,
      description: 'One page of conversations',
      schema: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: summary }, nextToken: { type: 'string' } } },
    },
    errors: ['THROTTLED'],
    handle: async ({ deps, caller, query }) => deps.store.list(caller.userId, {
      limit: query.limit ? Number(query.limit) : undefined,
      nextToken: query.nextToken,
    }),
  },
  {
    method: 'DELETE',
    path: '/conversations',
    operationId: 'deleteAllConversations',
    summary: 'Delete all of the caller\'s conversations, their messages and every attachment the caller uploaded',
    response: {
      status: 200,
      description: 'All deleted',
      schema: { type: 'object', required: ['deleted'], properties: { deleted: { type: 'integer', description: 'Conversations deleted' } } },
    },
    errors: ['THROTTLED'],
    handle: async ({ deps, caller }) => {
      // Every upload of the user goes with the conversations (also one uploaded but never sent): nothing is kept.
      await deps.deleteUploads(caller.userId);
      return { deleted: await deps.store.deleteAll(caller.userId) };
    },
  },
  {
    method: 'GET',
    path: '/conversations/search',
    operationId: 'searchConversations',
    summary: 'Keyword search over the caller\'s conversation titles and messages',
    description: 'Case-insensitive, newest conversations first, at most 20 hits per call. Each call reads a bounded part of '
      + 'the history; when `nextToken` is returned, more may be found by calling again with it.',
    query: {
      type: 'object',
      additionalProperties: false,
      required: ['q'],
      properties: {
        q: { type: 'string', minLength: 2, maxLength: 100, pattern: '^\\s*\\S[\\s\\S]*\\S\\s*$', description: 'Words to find (2 to 100 characters)' },
        nextToken,
      },
    },
    response: {
      status: 200,
      description: 'Hits, newest conversation first',
      schema: {
        type: 'object',
        required: ['items'],
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object',
              required: ['conversationId', 'title', 'snippet'],
              properties: {
                conversationId: { type: 'string' },
                title: { type: 'string' },
                messageId: { type: 'string', description: 'Absent when the title matched' },
                snippet: { type: 'string', description: 'The matching text around the first match' },
              },
            },
          },
          nextToken: { type: 'string' },
        },
      },
    },
    errors: ['THROTTLED'],
    handle: async ({ deps, caller, query }) => deps.store.search(caller.userId, query.q!.trim(), { nextToken: query.nextToken }),
  },
  {
    method: 'GET',
    path: '/conversations/{conversationId}',
    operationId: 'getConversation',
    summary: 'Get one conversation with its message tree, page by page',
    description: 'A page holds at most about 5 MiB of messages (a Lambda response is at most 6 MB). When `nextToken` is '
      + 'returned, call again with it and add the page\'s `messages`; a long answer may continue in a later page, whose '
      + '`parts` are appended in order to that message (`text` to its last text block, `reasoning` to its reasoning).',
    params: conversationParams,
    query: { type: 'object', additionalProperties: false, properties: { nextToken } },
    response: {
      status: 200,
      description: 'The conversation and the next messages of its tree (each message names its parent)',
      schema: {
        type: 'object',
        required: ['conversation', 'messages'],
        properties: {
          conversation: {
            ...summary,
            required: [...summary.required!, 'lastMessageId', 'usage', 'price'],
            properties: { ...summary.properties, lastMessageId: { type: 'string' }, usage, price: { type: 'number', description: 'Total in USD' } },
          },
          messages: { type: 'array', items: message },
          parts: {
            type: 'array',
            description: 'More text or reasoning of messages that came in an earlier page, in order',
            items: {
              type: 'object',
              required: ['messageId'],
              properties: { messageId: { type: 'string' }, text: { type: 'string' }, reasoning: { type: 'string' } },
            },
          },
          nextToken: { type: 'string', description: 'Present when more of the conversation follows' },
        },
      },
    },
    errors: ['NOT_FOUND', 'THROTTLED'],
    handle: async ({ deps, caller, params, query }) => {
      const found = await deps.store.getPage(caller.userId, params.conversationId, { nextToken: query.nextToken });
      if (!found) throw notFound('Conversation not found.');
      return found;
    },
  },
  {
    method: 'PATCH',
    path: '/conversations/{conversationId}',
    operationId: 'renameConversation',
    summary: 'Rename a conversation',
    description: 'The title is trimmed and its runs of whitespace become one space. Renaming does not change the recency.',
    params: conversationParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['title'],
      properties: { title: { type: 'string', minLength: 1, maxLength: MAX_TITLE, pattern: '\\S', description: `1 to ${MAX_TITLE} characters` } },
    },
    response: { status: 200, description: 'The renamed conversation', schema: summary },
    errors: ['NOT_FOUND', 'THROTTLED'],
    handle: async ({ deps, caller, params, body }) => {
      const title = (body as { title: string }).title.replace(/[\s\p{Cc}]+/gu, ' ').trim();
      if (!title) throw invalid('Title must not be empty.');
      const renamed = await deps.store.rename(caller.userId, params.conversationId, title);
      if (!renamed) throw notFound('Conversation not found.');
      return renamed;
    },
  },
  {
    method: 'DELETE',
    path: '/conversations/{conversationId}',
    operationId: 'deleteConversation',
    summary: 'Delete a conversation, all its messages and their attachments',
    params: conversationParams,
    response: { status: 204, description: 'Deleted' },
    errors: ['NOT_FOUND', 'THROTTLED'],
    handle: async ({ deps, caller, params }) => {
      const deleteAttachments = (keys: string[]) => deps.deleteUploads(caller.userId, keys);
      if (!(await deps.store.delete(caller.userId, params.conversationId, deleteAttachments))) throw notFound('Conversation not found.');
    },
  },
  {
    method: 'POST',
    path: '/conversations/{conversationId}/title',
    operationId: 'proposeTitle',
    summary: 'Propose a title with the title model (not saved)',
    description: 'The title model reads the first question and its answer. Rename with PATCH to keep the proposal.',
    params: conversationParams,
    response: {
      status: 200,
      description: 'A proposed title',
      schema: { type: 'object', required: ['title'], properties: { title: { type: 'string' } } },
    },
    errors: ['NOT_FOUND', 'UNPROCESSABLE', 'THROTTLED', 'QUOTA', 'MODEL_ERROR'],
    handle: async ({ deps, caller, params }) => {
      const found = await deps.store.getWithMessages(caller.userId, params.conversationId);
      if (!found) throw notFound('Conversation not found.');
      // A model call: reserved under the caller's usage limits (429 QUOTA when over one), settled with its usage.
      const titleModel = deps.settings().titleModel;
      const budgets = deps.usage?.();
      const excerpt = found.messages.slice(0, 2).map((m) => m.content.map((b) => ('text' in b ? b.text : '')).join('').slice(0, 2000)).join('\n');
      const reservation: Reservation | undefined = await reserveCall(budgets, { userId: caller.userId, groups: await groupsOf(deps, caller) },
        `title.${newUlid()}`, estimateOf(excerpt, titleModel.prices, 40), { title: true });
      let used: Usage | undefined;
      try {
        return { title: await proposeTitle(deps.bedrock(), titleModel.modelId, found.messages, (u) => { used = u; }) };
      } finally {
        await endCall(budgets, caller.userId, reservation, used, titleModel.prices, deps.log);
      }
    },
  },
  {
    method: 'PUT',
    path: '/conversations/{conversationId}/messages/{messageId}/feedback',
    operationId: 'putFeedback',
    summary: 'Give feedback on an answer (replaces earlier feedback)',
    params: messageParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['thumbsUp'],
      properties: {
        thumbsUp: { type: 'boolean' },
        category: { type: 'string', enum: FEEDBACK_CATEGORIES, description: 'Required when thumbsUp is false' },
        comment: { type: 'string', maxLength: MAX_COMMENT },
      },
      if: { type: 'object', required: ['thumbsUp'], properties: { thumbsUp: { const: false } } },
      then: { type: 'object', required: ['category'] },
    },
    response: { status: 200, description: 'Stored', schema: { type: 'object', required: ['feedback'], properties: { feedback } } },
    errors: ['NOT_FOUND', 'UNPROCESSABLE', 'THROTTLED'],
    handle: async ({ deps, caller, params, body }) => {
      const input = body as { thumbsUp: boolean; category?: FeedbackCategory; comment?: string };
      const stored: Feedback = {
        thumbsUp: input.thumbsUp,
        ...(input.category ? { category: input.category } : {}),
        ...(input.comment?.trim() ? { comment: input.comment.trim() } : {}),
        createdAt: new Date().toISOString(),
      };
      const result = await deps.store.setFeedback(caller.userId, params.conversationId, params.messageId, stored);
      if (result === 'no-message') throw notFound('Message not found.');
      if (result === 'not-an-answer') throw unprocessable('Feedback can only be given on an answer.');
      return { feedback: stored };
    },
  },
  {
    method: 'GET',
    path: '/models',
    operationId: 'listModels',
    summary: 'The models allowed in this deployment',
    response: {
      status: 200,
      description: 'Allowed models; one is the default',
      schema: {
        type: 'object',
        required: ['items'],
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'name', 'default'],
              properties: {
                id: { type: 'string', description: 'The key to send as `model`' },
                name: { type: 'string' },
                default: { type: 'boolean' },
                capabilities: { type: 'object', description: 'What the model accepts: reasoning, images, documents' },
              },
            },
          },
        },
      },
    },
    errors: [],
    handle: async ({ deps }) => {
      const { models, defaultModel } = deps.settings();
      return {
        items: models.map((m) => ({
          id: m.key,
          name: m.displayName ?? m.key,
          default: m.key === defaultModel.key,
          ...(m.capabilities ? { capabilities: m.capabilities } : {}),
        })),
      };
    },
  },
  {
    method: 'POST',
    path: '/uploads',
    operationId: 'createUpload',
    summary: 'A presigned URL to upload an attachment (image or document) into the large-message bucket',
    description: 'PUT the file to `url` with exactly `headers` within 5 minutes, then reference `key` in a content block of '
      + 'sendMessage. Keys are scoped to the caller: nobody can attach another user\'s upload.',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'contentType', 'size'],
      properties: {
        name: {
          type: 'string',
          minLength: 1,
          maxLength: 200,
          description: 'File name (shown to the user): no control characters, slashes or backslashes',
        },
        contentType: { enum: Object.keys(UPLOAD_TYPES), description: 'MIME type of the file' },
        size: {
          type: 'integer',
          minimum: 1,
          maximum: MAX_UPLOAD_BYTES,
          description: `Size in bytes: at most ${MAX_IMAGE_BYTES} for an image, ${MAX_DOCUMENT_BYTES} for a document (Amazon Bedrock's limits)`,
        },
      },
    },
    response: {
      status: 200,
      description: 'Where and how to PUT the file',
      schema: {
        type: 'object',
        required: ['key', 'url', 'headers', 'expiresAt'],
        properties: {
          key: { type: 'string' },
          url: { type: 'string' },
          headers: { type: 'object' },
          expiresAt: time,
          documentName: { type: 'string', description: 'For a document: a name Amazon Bedrock accepts, to send in its content block' },
        },
      },
    },
    errors: [],
    handle: async ({ deps, caller, body }) => {
      const { name, contentType, size } = body as { name: string; contentType: string; size: number };
      if (/[\u0000-\u001f\u007f/\\]/.test(name)) throw invalid('Name (the file name) may not contain control characters, slashes or backslashes.');
      const image = IMAGE_UPLOAD_TYPES.includes(contentType);
      // https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Message.html: images 3.75 MB, documents 4.5 MB.
      if (image && size > MAX_IMAGE_BYTES) {
        throw invalid(`${name} is ${mb(size)}; Amazon Bedrock accepts images of at most ${mb(MAX_IMAGE_BYTES)} (documents up to ${mb(MAX_DOCUMENT_BYTES)}).`);
      }
      const key = `uploads/${caller.userId}/${newUlid()}/${safeFileName(name, UPLOAD_TYPES[contentType])}`;
      return { key, ...(await deps.presignUpload(key, contentType, size)), ...(image ? {} : { documentName: toDocumentName(name) }) };
    },
  },
  {
    method: 'GET',
    path: '/health',
    operationId: 'health',
    summary: 'Liveness',
    description: 'Needs a token like every route: the HTTP API authorizer answers anonymous requests without running the '
      + 'function, so nobody can make the function run (and cost) without signing in.',
    response: { status: 200, description: 'Alive', schema: { type: 'object', required: ['ok'], properties: { ok: { const: true } } } },
    errors: [],
    handle: async () => ({ ok: true }),
  },
];

/** What the api function routes: the chat routes and the usage routes (usage-routes.ts). */
export const API_FUNCTION_ROUTES: readonly Route[] = [...CHAT_ROUTES, ...USAGE_ROUTES];

// ------------------------------------------------------------------------------------------------ routing
// routeRest lives in rest-routing.ts, apart from the routes, so that a function routing its own few routes
// (knowledge-api) does not bundle the chat routes and their clients.
export { routeRest } from './rest-routing';
