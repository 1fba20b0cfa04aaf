/**
 * The parts of a bot's knowledge settings that bots.ts needs (the schema in the bot's schemas, the view), apart from
 * their validation and planning (core/bot-knowledge.ts) so that the chat worker, which reads bots, bundles neither.
 */
import type { KbState, KnowledgeSettings } from './bot-knowledge';
import type { Schema } from './schema';

// ------------------------------------------------------------------------------------------------ limits
/** The contract's range; Retrieve takes 1 to 100 (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_KnowledgeBaseVectorSearchConfiguration.html). */
export const MAX_NUMBER_OF_RESULTS = 20;
export const DEFAULT_NUMBER_OF_RESULTS = 5;
/** UrlConfiguration takes 1 to 100 seed URLs (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_UrlConfiguration.html); a bot keeps to 10 (the contract). */
export const MAX_SEED_URLS = 10;
/** Inclusion and exclusion filters: at most 25 patterns of 1 to 1,000 characters (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_WebCrawlerConfiguration.html). */
export const MAX_CRAWL_PATTERNS = 25;
export const MAX_CRAWL_PATTERN = 1000;
/** "The max rate at which pages are crawled, up to 300 per minute per host" (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_WebCrawlerLimits.html). */
export const MAX_PAGES_PER_MINUTE = 300;

// Chunking ranges, from the API reference of each configuration:
// FixedSizeChunkingConfiguration: maxTokens at least 1, overlapPercentage 1 to 99
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_FixedSizeChunkingConfiguration.html);
// HierarchicalChunkingConfiguration: two levels of maxTokens 1 to 8,192, overlapTokens at least 1
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_HierarchicalChunkingConfiguration.html,
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_HierarchicalChunkingLevelConfiguration.html);
// SemanticChunkingConfiguration: maxTokens at least 1, bufferSize 0 to 1, breakpointPercentileThreshold 50 to 99
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_SemanticChunkingConfiguration.html).
// The API states no upper bound for fixed-size and semantic maxTokens: the embedding model's input bounds them (Titan
// Text Embeddings V2 takes 8,192 tokens), so 8,192 is the bound here too.
export const MAX_CHUNK_TOKENS = 8192;

// ------------------------------------------------------------------------------------------------ schema
const int = (minimum: number, maximum: number, description?: string): Schema => ({ type: 'integer', minimum, maximum, ...(description ? { description } : {}) });
const modelId: Schema = { type: 'string', minLength: 1, maxLength: 2048, pattern: '^[A-Za-z0-9._:/-]+$' };
const pattern: Schema = { type: 'string', minLength: 1, maxLength: MAX_CRAWL_PATTERN, description: 'A regular expression over URLs' };

export const KNOWLEDGE_SETTINGS_SCHEMA: Schema = /* @__PURE__ */ settingsSchema();

function settingsSchema(): Schema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['mode'],
    description: 'Where the bot\'s knowledge lives: the shared knowledge base (filtered on the bot), one of its own (dedicated), or one the deployment names (existing)',
    properties: {
      mode: { enum: ['shared', 'dedicated', 'existing'] },
      numberOfResults: int(1, MAX_NUMBER_OF_RESULTS, `Passages retrieved per query; default ${DEFAULT_NUMBER_OF_RESULTS}`),
      searchType: { enum: ['SEMANTIC', 'HYBRID'], description: 'existing mode only (S3 Vectors searches SEMANTIC only); absent: Bedrock decides' },
      dedicated: {
        type: 'object',
        additionalProperties: false,
        required: ['embeddingModelId', 'chunking'],
        description: 'Required when mode is dedicated',
        properties: {
          embeddingModelId: { ...modelId, description: 'One of GET /knowledge/bases dedicated.embeddingModels' },
          chunking: {
            type: 'object',
            additionalProperties: false,
            required: ['strategy'],
            description: 'FIXED_SIZE {maxTokens, overlapPercentage}, HIERARCHICAL {parentMaxTokens, childMaxTokens, overlapTokens}, SEMANTIC {maxTokens, bufferSize, breakpointPercentileThreshold} or NONE',
            properties: {
              strategy: { enum: ['FIXED_SIZE', 'HIERARCHICAL', 'SEMANTIC', 'NONE'] },
              maxTokens: int(1, MAX_CHUNK_TOKENS),
              overlapPercentage: int(1, 99),
              parentMaxTokens: int(1, MAX_CHUNK_TOKENS),
              childMaxTokens: int(1, MAX_CHUNK_TOKENS),
              overlapTokens: int(1, MAX_CHUNK_TOKENS),
              bufferSize: int(0, 1),
              breakpointPercentileThreshold: int(50, 99),
            },
          },
          parsing: {
            type: 'object',
            additionalProperties: false,
            required: ['strategy'],
            description: 'BEDROCK_FOUNDATION_MODEL {modelId} (one of dedicated.parsingModels) or BEDROCK_DATA_AUTOMATION; absent: the default parser',
            properties: { strategy: { enum: ['BEDROCK_FOUNDATION_MODEL', 'BEDROCK_DATA_AUTOMATION'] }, modelId },
          },
          webCrawler: {
            type: 'object',
            additionalProperties: false,
            required: ['seedUrls'],
            properties: {
              seedUrls: { type: 'array', minItems: 1, maxItems: MAX_SEED_URLS, items: { type: 'string', minLength: 1, maxLength: 2048 }, description: 'http: or https: URLs of public hosts' },
              scope: { enum: ['HOST_ONLY', 'SUBDOMAINS'], description: 'absent: the seed URLs\' host and paths' },
              includePatterns: { type: 'array', maxItems: MAX_CRAWL_PATTERNS, items: pattern },
              excludePatterns: { type: 'array', maxItems: MAX_CRAWL_PATTERNS, items: pattern },
              maxPagesPerMinute: int(1, MAX_PAGES_PER_MINUTE, 'Per host'),
            },
          },
        },
      },
      existing: {
        type: 'object',
        additionalProperties: false,
        required: ['knowledgeBaseId'],
        description: 'Required when mode is existing',
        properties: { knowledgeBaseId: { type: 'string', minLength: 1, maxLength: 10, pattern: '^[0-9a-zA-Z]{1,10}$', description: 'One of GET /knowledge/bases existing' } },
      },
    },
  };
}

/** The bot view's `knowledge` (with the deployment's knowledge base; `null` without). */
/** Built by functions marked pure, so a bundle that does not use them (the chat worker's) drops them. */
export const KNOWLEDGE_VIEW_SCHEMA: Schema = /* @__PURE__ */ viewSchema();

function viewSchema(): Schema {
  return {
    type: ['object', 'null'],
    required: ['mode', 'numberOfResults', 'documentCount'],
    description: 'The bot\'s knowledge settings with defaults filled, its document count and, for dedicated bots, the state of its knowledge base; `null` when the deployment has no knowledge base',
    properties: {
      ...KNOWLEDGE_SETTINGS_SCHEMA.properties,
      documentCount: { type: 'integer', minimum: 0, description: 'Documents of the bot (/knowledge routes)' },
      state: {
        type: 'object',
        required: ['status'],
        properties: {
          status: { enum: ['CREATING', 'ACTIVE', 'FAILED', 'DELETING'] },
          reason: { type: 'string' },
          knowledgeBaseId: { type: 'string' },
          sync: {
            type: 'object',
            required: ['status'],
            properties: {
              status: { enum: ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'] },
              reason: { type: 'string' },
              statistics: { type: 'object' },
              failedDocuments: { type: 'array', items: { type: 'object', required: ['uri', 'reason'], properties: { uri: { type: 'string' }, reason: { type: 'string' } } } },
              startedAt: { type: 'string', format: 'date-time' },
              finishedAt: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
    },
  };
}

// ------------------------------------------------------------------------------------------------ the view
export const SHARED_SETTINGS: KnowledgeSettings = { mode: 'shared' };

/** The view's `knowledge`: the settings with defaults filled, the document count and the dedicated state. */
export function knowledgeView(
  settings: KnowledgeSettings | undefined, documentCount: number | undefined, kb: KbState | undefined,
): Record<string, unknown> {
  const s = settings ?? SHARED_SETTINGS;
  return {
    ...s,
    numberOfResults: s.numberOfResults ?? DEFAULT_NUMBER_OF_RESULTS,
    documentCount: documentCount ?? 0,
    ...(s.mode === 'dedicated' && kb ? {
      state: {
        status: kb.status,
        ...(kb.reason ? { reason: kb.reason } : {}),
        ...(kb.knowledgeBaseId ? { knowledgeBaseId: kb.knowledgeBaseId } : {}),
        ...(kb.sync ? { sync: syncView(kb.sync as unknown as Record<string, unknown>) } : {}),
      },
    } : {}),
  };
}


/** A JSON string the provision machine wrote (`States.JsonToString`), or the value itself; undefined if neither. */
function jsonOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/**
 * The view of `kb.sync` as the provision machine records it (src/constructs/knowledge-base/dedicated-knowledge.ts,
 * "syncOutcome"): each job's `statistics` (IngestionJobStatistics, PascalCase as the SDK integration returns it:
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_IngestionJobStatistics.html) and
 * `failureReasons` (strings) as JSON, the crawler's job beside the documents' as `crawlerStatistics` and
 * `crawlerFailureReasons`. The view sums the two jobs' figures under camelCase names, gives the first failure reason
 * as `reason` when there is no other, and lists the reasons that name a document (`s3://` or `http(s)://`) as
 * `failedDocuments`: Bedrock reports a job's failures as reasons, not one record per document.
 */
export function syncView(sync: Record<string, unknown>): Record<string, unknown> {
  const statistics: Record<string, number> = {};
  for (const raw of [sync.statistics, sync.crawlerStatistics]) {
    const parsed = jsonOf(raw);
    if (!parsed || typeof parsed !== 'object') continue;
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v !== 'number') continue;
      const key = k.charAt(0).toLowerCase() + k.slice(1);
      statistics[key] = (statistics[key] ?? 0) + v;
    }
  }
  const reasons: string[] = [];
  for (const raw of [sync.failureReasons, sync.crawlerFailureReasons]) {
    const parsed = jsonOf(raw);
    if (Array.isArray(parsed)) reasons.push(...parsed.filter((r): r is string => typeof r === 'string'));
  }
  const failedDocuments = reasons.flatMap((reason) => {
    const uri = /(?:s3|https?):\/\/[^\s,;\]\)]+/.exec(reason)?.[0];
    return uri ? [{ uri: uri.replace(/:$/, ''), reason }] : [];
  });
  const reason = typeof sync.reason === 'string' ? sync.reason : sync.status === 'FAILED' ? reasons[0] : undefined;
  return {
    status: sync.status,
    ...(reason ? { reason } : {}),
    ...(Object.keys(statistics).length ? { statistics } : {}),
    ...(failedDocuments.length ? { failedDocuments } : {}),
    ...(typeof sync.startedAt === 'string' ? { startedAt: sync.startedAt } : {}),
    ...(typeof sync.finishedAt === 'string' ? { finishedAt: sync.finishedAt } : {}),
  };
}
