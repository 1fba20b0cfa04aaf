/**
 * Custom bots as the browser sees them: the REST shapes of /work/wt/briefs/bots-contract.md (issue 11), the calls the
 * app and the widget make, and the client-side checks that mirror the server's (the server stays the authority: its
 * 400 `{code, message}` is shown beside the field it names).
 *
 * Nothing here touches the DOM at import time. Only the lazily loaded bot chunks import this module (the chat
 * widget's full chunk does not), so a page without bots never downloads it.
 */
import { HttpError, tokenFrom } from './config.js';
import type { BedrockChatConfig, TokenProvider } from './config.js';

// One contract, one definition: the shapes the server validates and answers with (type-only: nothing of core is
// bundled).
import type {
  BotGuardrail, BotInput, BotPatch, BotScope, BotSummary, BotView, FilterStrength, GenerationParams, GuardrailDefinition, QuickStarter,
} from '../../lambdas/core/bots.js';

export type { BotGuardrail, BotInput, BotPatch, BotScope, BotSummary, FilterStrength, GenerationParams, GuardrailDefinition, QuickStarter };

/** One page of a bot list: `nextToken` when there is more (the list and store routes page). */
export interface BotPage {
  readonly items: BotSummary[];
  readonly nextToken?: string;
}

/** `page` after `shown`, without the bots already shown (a bot can move between pages while the user reads). */
export function appendPage(shown: BotPage, next: BotPage): BotPage {
  const ids = new Set(shown.items.map((b) => b.id));
  return { items: [...shown.items, ...next.items.filter((b) => !ids.has(b.id))], ...(next.nextToken ? { nextToken: next.nextToken } : {}) };
}
export type GuardrailRef = BotGuardrail;
/** The knowledge of a bot (docs/knowledge-contract.md): `null` when the deployment has no knowledge base. */
export interface BotKnowledge extends Partial<KnowledgeSettings> {
  readonly documentCount: number;
  /** A dedicated bot's knowledge base and its last sync (docs/knowledge-contract.md, "Slice 2"). */
  readonly state?: KnowledgeState;
}
export type KnowledgeMode = 'shared' | 'dedicated' | 'existing';
export type Chunking =
  | { strategy: 'FIXED_SIZE'; maxTokens: number; overlapPercentage: number }
  | { strategy: 'HIERARCHICAL'; parentMaxTokens: number; childMaxTokens: number; overlapTokens: number }
  | { strategy: 'SEMANTIC'; maxTokens: number; bufferSize: number; breakpointPercentileThreshold: number }
  | { strategy: 'NONE' };
export type Parsing = { strategy: 'BEDROCK_FOUNDATION_MODEL'; modelId: string } | { strategy: 'BEDROCK_DATA_AUTOMATION' };
export interface WebCrawler {
  seedUrls: string[];
  scope?: 'HOST_ONLY' | 'SUBDOMAINS';
  includePatterns?: string[];
  excludePatterns?: string[];
  maxPagesPerMinute?: number;
}
export interface DedicatedSettings {
  embeddingModelId: string;
  chunking: Chunking;
  parsing?: Parsing;
  webCrawler?: WebCrawler;
}
/** `knowledge` in POST/PATCH `/bots` bodies. */
export interface KnowledgeSettings {
  mode: KnowledgeMode;
  numberOfResults?: number;
  searchType?: 'SEMANTIC' | 'HYBRID';
  dedicated?: DedicatedSettings;
  existing?: { knowledgeBaseId: string };
}
export interface KnowledgeSync {
  readonly status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  readonly reason?: string;
  readonly statistics?: Record<string, unknown>;
  readonly failedDocuments?: readonly { uri: string; reason: string }[];
  readonly startedAt?: string;
  readonly finishedAt?: string;
}
export interface KnowledgeState {
  readonly status: 'CREATING' | 'ACTIVE' | 'FAILED' | 'DELETING';
  readonly reason?: string;
  readonly knowledgeBaseId?: string;
  readonly sync?: KnowledgeSync;
}
/** `GET /knowledge/bases`: what the editor may offer. */
export interface KnowledgeBases {
  readonly existing: readonly { knowledgeBaseId: string; name: string; description?: string }[];
  readonly dedicated: { embeddingModels: readonly { modelId: string; dimensions: number }[]; parsingModels: readonly string[] } | null;
}
/**
 * `GET /bots/{id}`: for a caller the bot is only shared with, `instructions` and `guardrail` are absent. `knowledge` as
 * the knowledge contract gives it (the editor shows its Knowledge section only when it is not null).
 */
export type Bot = Omit<BotView, 'knowledge'> & { readonly knowledge: BotKnowledge | null };

export const FILTER_STRENGTHS: readonly FilterStrength[] = ['NONE', 'LOW', 'MEDIUM', 'HIGH'];
export const CONTENT_FILTERS = ['hate', 'insults', 'sexual', 'violence', 'misconduct', 'promptAttack'] as const;
export type ContentFilter = (typeof CONTENT_FILTERS)[number];

export interface Sharing {
  readonly scope: BotScope;
  readonly users?: string[];
  readonly groups?: string[];
}

export interface UserHit { readonly id: string; readonly email: string; readonly name?: string }
export interface GroupHit { readonly name: string; readonly description?: string }
export interface Me {
  readonly userId: string;
  readonly email?: string;
  readonly groups: string[];
  readonly canCreateBots: boolean;
  readonly isAdmin: boolean;
}

/** A model of `GET /models` (the editor offers these as the bot's allowed models). */
export interface ModelInfo {
  readonly id: string;
  readonly name?: string;
  readonly default?: boolean;
  /** The model's largest output, when the backend says (maxTokens is checked against it). */
  readonly maxOutputTokens?: number;
}

/** The contract's limits (bots-contract.md, "Bot" and "BotInput"). */
export const LIMITS = {
  title: 100,
  description: 1000,
  instructions: 40_000,
  stopSequences: 4,
  stopSequence: 100,
  quickStarters: 8,
  starterTitle: 100,
  starterExample: 2000,
  shareUsers: 50,
  shareGroups: 20,
  userQuery: 64,
  groupQuery: 64,
  storeQuery: 100,
  blockedMessage: 500,
  /** Reasoning budget: at least 1,024 tokens and less than maxTokens (the contract's rule). */
  reasoningMin: 1024,
} as const;

/** The server's error body, with the field it names when it names one (`INVALID: title …`). */
export class ApiError extends HttpError {
  constructor(status: number, readonly code: string, message: string) {
    super(status, message);
  }
}

/** REST calls for bots, with the caller's token; errors as `ApiError` (the server's `{code, message}`). */
export class BotsApi {
  constructor(private readonly config: BedrockChatConfig, private readonly tokens: TokenProvider | undefined) {}

  async call<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T | undefined> {
    const token = await tokenFrom(this.tokens);
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.config.restApiUrl.replace(/\/+$/, '')}${path}`, {
      method: init.method ?? 'GET',
      headers,
      signal: init.signal,
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
      const error = (body ?? {}) as { code?: unknown; message?: unknown };
      throw new ApiError(response.status, typeof error.code === 'string' ? error.code : `HTTP_${response.status}`,
        typeof error.message === 'string' ? error.message : `${init.method ?? 'GET'} ${path}: HTTP ${response.status}`);
    }
    return body as T | undefined;
  }

  list(kind: 'mine' | 'starred' | 'recent' | 'shared', signal?: AbortSignal, nextToken?: string): Promise<BotPage> {
    return this.call<BotPage>(`/bots?kind=${kind}${tokenParam(nextToken)}`, { signal }).then(pageOf);
  }

  get(id: string, signal?: AbortSignal): Promise<Bot> {
    return this.call<Bot>(`/bots/${encodeURIComponent(id)}`, { signal }).then((b) => b as Bot);
  }

  create(input: BotInput): Promise<Bot> {
    return this.call<Bot>('/bots', { method: 'POST', body: input }).then((b) => b as Bot);
  }

  update(id: string, input: BotPatch): Promise<Bot> {
    return this.call<Bot>(`/bots/${encodeURIComponent(id)}`, { method: 'PATCH', body: input }).then((b) => b as Bot);
  }

  remove(id: string): Promise<unknown> {
    return this.call(`/bots/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  share(id: string, sharing: Sharing): Promise<Bot> {
    return this.call<Bot>(`/bots/${encodeURIComponent(id)}/sharing`, { method: 'PUT', body: sharing }).then((b) => b as Bot);
  }

  star(id: string, starred: boolean): Promise<unknown> {
    return this.call(`/bots/${encodeURIComponent(id)}/star`, { method: 'PUT', body: { starred } });
  }

  forget(id: string): Promise<unknown> {
    return this.call(`/bots/${encodeURIComponent(id)}/recent`, { method: 'DELETE' });
  }

  /** A shelf of the store; only `popular` pages (`nextToken`). */
  store(kind: 'popular' | 'pickup' | 'essentials', signal?: AbortSignal, nextToken?: string): Promise<BotPage> {
    return this.call<BotPage>(`/store/${kind}${nextToken ? `?nextToken=${encodeURIComponent(nextToken)}` : ''}`, { signal }).then(pageOf);
  }

  search(q: string, signal?: AbortSignal, nextToken?: string): Promise<BotPage> {
    return this.call<BotPage>(`/store/search?q=${encodeURIComponent(q)}${tokenParam(nextToken)}`, { signal }).then(pageOf);
  }

  /** `PUT /admin/bots/{id}/pin` (admins): pins a public bot as an essential at `order` (smaller first), or unpins it. */
  pin(id: string, pinned: boolean, order?: number): Promise<unknown> {
    return this.call(`/admin/bots/${encodeURIComponent(id)}/pin`, { method: 'PUT', body: pinned ? { pinned, order: order ?? 0 } : { pinned } });
  }

  users(q: string, signal?: AbortSignal): Promise<UserHit[]> {
    return this.call<{ items?: UserHit[] }>(`/users/search?q=${encodeURIComponent(q)}`, { signal }).then((b) => (Array.isArray(b?.items) ? b.items : []));
  }

  groups(q: string, signal?: AbortSignal): Promise<GroupHit[]> {
    return this.call<{ items?: GroupHit[] }>(`/groups/search?q=${encodeURIComponent(q)}`, { signal }).then((b) => (Array.isArray(b?.items) ? b.items : []));
  }

  me(signal?: AbortSignal): Promise<Me> {
    return this.call<Me>('/me', { signal }).then((b) => b as Me);
  }

  models(signal?: AbortSignal): Promise<ModelInfo[]> {
    return this.call<{ items?: ModelInfo[] }>('/models', { signal }).then((b) => (Array.isArray(b?.items) ? b.items.filter((m) => typeof m?.id === 'string') : []));
  }
}

function items(body: { items?: BotSummary[] } | undefined): BotSummary[] {
  return Array.isArray(body?.items) ? body.items.filter((b) => typeof b?.id === 'string') : [];
}

function pageOf(body: BotPage | undefined): BotPage {
  return { items: items(body), ...(typeof body?.nextToken === 'string' && body.nextToken ? { nextToken: body.nextToken } : {}) };
}

const tokenParam = (nextToken: string | undefined) => (nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : '');

/** One problem of a draft: the field (a dotted path the editor shows it beside) and the text. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * The field a server 400 names: the first field path in its message, as the server writes them
 * ("generation.topK: model x does not take top K.", "quickStarters[2].title must be …", "defaultModel: …"), as the
 * editor's field names (`quickStarters.2`). `undefined`: no field, the message is shown at the top of the form.
 */
export function fieldOf(message: string): string | undefined {
  // A knowledge settings field (docs/knowledge-contract.md, "Slice 2"): its dotted path, without an index.
  const knowledge = /\bknowledge(?:\.[A-Za-z]+)*/.exec(message);
  if (knowledge) return knowledge[0];
  const match = /\b(generation\.(?:maxTokens|temperature|topP|topK|stopSequences|reasoningBudget)\b|quickStarters(?:\[(\d+)\])?|(?:defaultModel|models|guardrail|instructions|description|title)\b)/.exec(message);
  if (!match) return undefined;
  if (match[1].startsWith('quickStarters')) return match[2] !== undefined ? `quickStarters.${match[2]}` : 'quickStarters';
  return match[1];
}
