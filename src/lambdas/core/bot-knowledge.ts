/**
 * A bot's knowledge settings (issue 12, slice 2; the contract: docs/knowledge-contract.md, "The bot's settings", "The
 * bot record"): their schema and validation against the deployment (`KNOWLEDGE_DEDICATED`, `KNOWLEDGE_EXISTING`), the
 * view with defaults filled, and what a save starts (the provision and deprovision state machines).
 */
import {
  DEFAULT_NUMBER_OF_RESULTS, KNOWLEDGE_SETTINGS_SCHEMA, KNOWLEDGE_VIEW_SCHEMA, knowledgeView, MAX_CHUNK_TOKENS, MAX_CRAWL_PATTERN, MAX_CRAWL_PATTERNS,
  MAX_NUMBER_OF_RESULTS, MAX_PAGES_PER_MINUTE, MAX_SEED_URLS, SHARED_SETTINGS,
} from './bot-knowledge-view';
import { checkCrawlerUrl } from './crawler-urls';
import { ChatError, conflict, invalid } from './errors';
import { ulid } from './ids';

// ------------------------------------------------------------------------------------------------ shapes
export type KnowledgeMode = 'shared' | 'dedicated' | 'existing';

export type ChunkingSettings =
  | { readonly strategy: 'FIXED_SIZE'; readonly maxTokens: number; readonly overlapPercentage: number }
  | { readonly strategy: 'HIERARCHICAL'; readonly parentMaxTokens: number; readonly childMaxTokens: number; readonly overlapTokens: number }
  | { readonly strategy: 'SEMANTIC'; readonly maxTokens: number; readonly bufferSize: number; readonly breakpointPercentileThreshold: number }
  | { readonly strategy: 'NONE' };

export type ParsingSettings = { readonly strategy: 'BEDROCK_FOUNDATION_MODEL'; readonly modelId: string } | { readonly strategy: 'BEDROCK_DATA_AUTOMATION' };

export interface WebCrawlerSettings {
  readonly seedUrls: string[];
  readonly scope?: 'HOST_ONLY' | 'SUBDOMAINS';
  readonly includePatterns?: string[];
  readonly excludePatterns?: string[];
  readonly maxPagesPerMinute?: number;
}

export interface DedicatedSettings {
  readonly embeddingModelId: string;
  readonly chunking: ChunkingSettings;
  readonly parsing?: ParsingSettings;
  readonly webCrawler?: WebCrawlerSettings;
}

/** `knowledge` of a bot's POST/PATCH body, and `knowledgeSettings` on its record (as validated). */
export interface KnowledgeSettings {
  readonly mode: KnowledgeMode;
  readonly numberOfResults?: number;
  readonly searchType?: 'SEMANTIC' | 'HYBRID';
  readonly dedicated?: DedicatedSettings;
  readonly existing?: { readonly knowledgeBaseId: string };
}

export type KbStatus = 'CREATING' | 'ACTIVE' | 'FAILED' | 'DELETING';

export interface KbSync {
  readonly status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  readonly reason?: string;
  readonly statistics?: Record<string, unknown>;
  readonly failedDocuments?: { uri: string; reason: string }[];
  readonly startedAt?: string;
  readonly finishedAt?: string;
}

/** `kb` on a dedicated bot's record: written by bots-api when it starts a machine, then only by the machines. */
export interface KbState {
  readonly generation: string;
  readonly status: KbStatus;
  readonly reason?: string;
  readonly knowledgeBaseId?: string;
  readonly dataSourceId?: string;
  readonly crawlerDataSourceId?: string;
  readonly indexName: string;
  readonly sync?: KbSync;
  readonly updatedAt: string;
  /**
   * The save that started the latest `update` (a ULID): the machine records its crawler data source only while this
   * is still its input's `revision` (two quick saves of the crawler: the later one's update wins).
   */
  readonly revision?: string;
}

/** What the deployment offers (`KNOWLEDGE_*` environment, set by KnowledgeBaseFactory). */
export interface KnowledgeDeployment {
  /** `KNOWLEDGE_DEDICATED`; absent: no dedicated knowledge bases in this deployment. */
  readonly dedicated?: { readonly embeddingModels: readonly { modelId: string; dimensions: number }[]; readonly parsingModels: readonly string[] };
  /** `KNOWLEDGE_EXISTING`. */
  readonly existing: readonly { knowledgeBaseId: string; name: string; description?: string }[];
  readonly provisionArn?: string;
  readonly deprovisionArn?: string;
}

/** The deployment's knowledge offer from the environment (JSON that does not parse counts as absent). */
export function knowledgeDeploymentFrom(env: Record<string, string | undefined>): KnowledgeDeployment {
  const json = (name: string): unknown => {
    try {
      return env[name] ? JSON.parse(env[name]) : undefined;
    } catch {
      return undefined;
    }
  };
  const dedicated = json('KNOWLEDGE_DEDICATED') as KnowledgeDeployment['dedicated'] | undefined;
  const existing = json('KNOWLEDGE_EXISTING');
  return {
    ...(dedicated && Array.isArray(dedicated.embeddingModels) ? {
      dedicated: { embeddingModels: dedicated.embeddingModels, parsingModels: Array.isArray(dedicated.parsingModels) ? dedicated.parsingModels : [] },
    } : {}),
    existing: Array.isArray(existing) ? existing as KnowledgeDeployment['existing'] : [],
    ...(env.KNOWLEDGE_PROVISION_ARN ? { provisionArn: env.KNOWLEDGE_PROVISION_ARN } : {}),
    ...(env.KNOWLEDGE_DEPROVISION_ARN ? { deprovisionArn: env.KNOWLEDGE_DEPROVISION_ARN } : {}),
  };
}


export {
  DEFAULT_NUMBER_OF_RESULTS, KNOWLEDGE_SETTINGS_SCHEMA, KNOWLEDGE_VIEW_SCHEMA, knowledgeView, MAX_CHUNK_TOKENS, MAX_CRAWL_PATTERN, MAX_CRAWL_PATTERNS,
  MAX_NUMBER_OF_RESULTS, MAX_PAGES_PER_MINUTE, MAX_SEED_URLS, SHARED_SETTINGS,
};

// ------------------------------------------------------------------------------------------------ validation
const CHUNKING_FIELDS: Record<ChunkingSettings['strategy'], readonly string[]> = {
  FIXED_SIZE: ['maxTokens', 'overlapPercentage'],
  HIERARCHICAL: ['parentMaxTokens', 'childMaxTokens', 'overlapTokens'],
  SEMANTIC: ['maxTokens', 'bufferSize', 'breakpointPercentileThreshold'],
  NONE: [],
};

/**
 * Checks settings (already valid against KNOWLEDGE_SETTINGS_SCHEMA) against the deployment and the rules the schema
 * cannot say; throws BAD_REQUEST naming the field. Returns them as stored (the fields of other modes dropped is not
 * done: a field of another mode is refused, so what is stored is what was sent).
 */
export function validateKnowledgeSettings(s: KnowledgeSettings, deployment: KnowledgeDeployment): KnowledgeSettings {
  if (s.mode !== 'dedicated' && s.dedicated) throw invalid(`knowledge.dedicated: only for mode dedicated (this is ${s.mode}).`);
  if (s.mode !== 'existing' && s.existing) throw invalid(`knowledge.existing: only for mode existing (this is ${s.mode}).`);
  // S3 Vectors, the store of the shared and the dedicated knowledge bases, supports semantic search only
  // (https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-base-setup.html).
  if (s.searchType !== undefined && s.mode !== 'existing') throw invalid('knowledge.searchType: only for mode existing (S3 Vectors searches SEMANTIC only).');
  if (s.mode === 'existing') {
    if (!s.existing) throw invalid('knowledge.existing is required for mode existing.');
    if (!deployment.existing.some((k) => k.knowledgeBaseId === s.existing!.knowledgeBaseId)) {
      throw invalid(`knowledge.existing.knowledgeBaseId: ${s.existing.knowledgeBaseId} is not a knowledge base of this deployment (${deployment.existing.map((k) => k.knowledgeBaseId).join(', ') || 'none'}).`);
    }
  }
  if (s.mode === 'dedicated') {
    const d = s.dedicated;
    if (!d) throw invalid('knowledge.dedicated is required for mode dedicated.');
    const offer = deployment.dedicated;
    if (!offer || !deployment.provisionArn) throw invalid('knowledge.mode: this deployment has no dedicated knowledge bases.');
    if (!offer.embeddingModels.some((m) => m.modelId === d.embeddingModelId)) {
      throw invalid(`knowledge.dedicated.embeddingModelId: ${d.embeddingModelId} is not offered (${offer.embeddingModels.map((m) => m.modelId).join(', ')}).`);
    }
    const chunking = d.chunking as unknown as Record<string, unknown>;
    const allowed = CHUNKING_FIELDS[d.chunking.strategy];
    for (const field of allowed) if (chunking[field] === undefined) throw invalid(`knowledge.dedicated.chunking.${field} is required for ${d.chunking.strategy}.`);
    for (const field of Object.keys(chunking)) {
      if (field !== 'strategy' && !allowed.includes(field)) throw invalid(`knowledge.dedicated.chunking.${field}: not a setting of ${d.chunking.strategy}.`);
    }
    if (d.chunking.strategy === 'HIERARCHICAL' && d.chunking.childMaxTokens >= d.chunking.parentMaxTokens) {
      throw invalid('knowledge.dedicated.chunking.childMaxTokens must be less than parentMaxTokens (child chunks are cut from the parents).');
    }
    if (d.chunking.strategy === 'HIERARCHICAL' && d.chunking.overlapTokens >= d.chunking.childMaxTokens) {
      throw invalid('knowledge.dedicated.chunking.overlapTokens must be less than childMaxTokens.');
    }
    if (d.parsing) {
      const p = d.parsing as { strategy: string; modelId?: string };
      if (p.strategy === 'BEDROCK_FOUNDATION_MODEL') {
        if (!p.modelId) throw invalid('knowledge.dedicated.parsing.modelId is required for BEDROCK_FOUNDATION_MODEL.');
        if (!offer.parsingModels.includes(p.modelId)) {
          throw invalid(`knowledge.dedicated.parsing.modelId: ${p.modelId} is not offered (${offer.parsingModels.join(', ') || 'none'}).`);
        }
      } else if (p.modelId !== undefined) {
        throw invalid('knowledge.dedicated.parsing.modelId: only for BEDROCK_FOUNDATION_MODEL.');
      }
    }
    if (d.webCrawler) {
      for (const [i, url] of d.webCrawler.seedUrls.entries()) {
        const problem = checkCrawlerUrl(url);
        if (problem) throw invalid(`knowledge.dedicated.webCrawler.seedUrls[${i}]: ${problem}`);
      }
      if (new Set(d.webCrawler.seedUrls).size !== d.webCrawler.seedUrls.length) throw invalid('knowledge.dedicated.webCrawler.seedUrls: a URL is listed twice.');
      for (const field of ['includePatterns', 'excludePatterns'] as const) {
        for (const [i, p] of (d.webCrawler[field] ?? []).entries()) {
          try {
            new RegExp(p);
          } catch {
            throw invalid(`knowledge.dedicated.webCrawler.${field}[${i}]: not a regular expression.`);
          }
        }
      }
    }
  }
  return s;
}

// ------------------------------------------------------------------------------------------------ what a save starts
export interface ProvisionInput {
  readonly botId: string;
  readonly generation: string;
  readonly action: 'create' | 'sync' | 'update';
  readonly settings: DedicatedSettings;
  /** `update` only: the save's `kb.revision`. */
  readonly revision?: string;
}

export interface DeprovisionInput {
  readonly botId: string;
  readonly generation: string;
  readonly knowledgeBaseId?: string;
  readonly dataSourceIds: string[];
  readonly indexName: string;
}

/** What a save does to the bot's knowledge base: the `kb` it writes and the executions it starts after the write. */
export interface KnowledgePlan {
  readonly kb?: KbState;
  readonly provision?: ProvisionInput;
  readonly deprovision?: DeprovisionInput;
}

/** The S3 Vectors index of one generation of a bot's knowledge base (the contract's name). */
export const indexNameOf = (botId: string, generation: string) => `bot-${botId.toLowerCase()}-${generation.toLowerCase()}`;

export function deprovisionInputOf(botId: string, kb: KbState): DeprovisionInput {
  return {
    botId,
    generation: kb.generation,
    ...(kb.knowledgeBaseId ? { knowledgeBaseId: kb.knowledgeBaseId } : {}),
    dataSourceIds: [kb.dataSourceId, kb.crawlerDataSourceId].filter((x): x is string => typeof x === 'string'),
    indexName: kb.indexName,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * What saving `after` over `before` does to a bot's dedicated knowledge base. A new embedding model, chunking or
 * parsing, or leaving dedicated mode, deletes the old knowledge base and (still dedicated) creates a new generation;
 * a knowledge base that failed to be created is created again by any save that changes its settings. Only the crawler
 * changed: the provision machine replaces the crawler data source (`update`) of an ACTIVE one.
 */
export function planKnowledge(
  botId: string, before: KnowledgeSettings | undefined, after: KnowledgeSettings, kb: KbState | undefined, now: string,
): KnowledgePlan {
  const old = before?.mode === 'dedicated' ? before.dedicated : undefined;
  const next = after.mode === 'dedicated' ? after.dedicated : undefined;
  const create = (): KnowledgePlan => {
    const generation = ulid();
    return {
      kb: { generation, status: 'CREATING', indexName: indexNameOf(botId, generation), updatedAt: now },
      provision: { botId, generation, action: 'create', settings: next! },
      ...(kb ? { deprovision: deprovisionInputOf(botId, kb) } : {}),
    };
  };
  if (!next) return kb ? { deprovision: deprovisionInputOf(botId, kb) } : {};
  if (!kb || !old) return create();
  const base = (d: DedicatedSettings) => ({ embeddingModelId: d.embeddingModelId, chunking: d.chunking, parsing: d.parsing });
  if (!same(base(old), base(next))) return create();
  if (same(old.webCrawler, next.webCrawler)) return { kb };
  if (kb.status === 'FAILED' || kb.status === 'CREATING') return create();
  const revision = ulid();
  return { kb: { ...kb, revision, updatedAt: now }, provision: { botId, generation: kb.generation, action: 'update', settings: next, revision } };
}

/**
 * A save's knowledge planner for a deployment with a knowledge base (`deployment`: its offer): validates the settings,
 * refuses moves the bot's documents forbid, and plans what the save starts (core/bots.ts `KnowledgeSave`).
 */
export function knowledgeSaveFor(deployment: KnowledgeDeployment): { planFor: KnowledgePlanner; plan?: KnowledgePlan } {
  return {
    planFor: (botId, before, after, kb, documents, now) => {
      validateKnowledgeSettings(after, deployment);
      const from = before?.mode ?? 'shared';
      if (documents > 0 && after.mode === 'existing' && from !== 'existing') {
        throw new ChatError('EXISTING', `The bot has ${documents} document(s): delete them before it uses an existing knowledge base (which has no documents of the bot).`);
      }
      if (documents > 0 && from === 'dedicated' && after.mode === 'shared') {
        throw conflict(`The bot has ${documents} document(s) in its own knowledge base: delete them before it moves to the shared one.`);
      }
      return planKnowledge(botId, before, after, kb, now);
    },
  };
}

export type KnowledgePlanner = (
  botId: string, before: KnowledgeSettings | undefined, after: KnowledgeSettings, kb: KbState | undefined, documents: number, now: string,
) => KnowledgePlan;
