/**
 * Documents of bots in the shared knowledge base (issue 12; the contract: docs/knowledge-contract.md). The rules of a
 * document (types, size, name, how many per bot), its record in the bot table, and what uploading, registering,
 * listing, deleting and reading one does. The AWS calls are behind `KnowledgeObjects` and `KnowledgeIndex`
 * (wiring/knowledge-objects.ts, wiring/knowledge-index.ts), so this module is the same in the function, the bot
 * cleanup and the tests.
 *
 * Records: in the bot table, beside the bot (`pk` = the bot's `BOT#<botId>`, `sk` = `DOC#<documentId>`, `type`
 * `document`). They carry none of the attributes the table's indexes are keyed on (`gsi1pk`, `publicPk`, `botPk`), so
 * no list of bots, the store or the deletion pipe's `byBot` query ever sees them (global secondary indexes are
 * sparse: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-indexes-general-sparse-indexes.html),
 * and the pipe's filter passes only removals of `sk` `BOT` (chat-backend/bot-cleanup.ts).
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BOT_SK, botPk } from './bots';
import { ChatError, invalid, notFound } from './errors';
import { ulid } from './ids';

/** The document types a bot's knowledge accepts: extension → content type (docs/knowledge-contract.md). */
export const KNOWLEDGE_TYPES: Readonly<Record<string, string>> = {
  txt: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

/**
 * At most 50 MiB a document: "Each file size doesn't exceed the quota of 50 MB"
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-base-ds.html).
 */
export const MAX_KNOWLEDGE_BYTES = 50 * 1024 * 1024;
/** At most this many documents per bot (409 LIMIT). */
export const MAX_DOCUMENTS_PER_BOT = 100;
export const MAX_DOCUMENT_NAME = 255;
/** 1,024 bytes of object key, less `documents/` + a bot id (64) + `/` + a ULID (26) + `/`. */
const MAX_NAME_BYTES = 1024 - 102;
/** 2 KB of user metadata, less the other entries (`size`, `owner`) and the key names. */
const MAX_ENCODED_NAME = 1900;

/** How long the presigned GET of a document's source lives. */
export const SOURCE_URL_SECONDS = 300;

export type DocumentStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** A document as the REST API shows it. */
export interface KnowledgeDocument {
  readonly id: string;
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  readonly status: DocumentStatus;
  readonly statusReason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The record of a document in the bot table. */
export interface DocumentRecord extends KnowledgeDocument {
  readonly botId: string;
  readonly ownerId: string;
  /** The object under `documents/<botId>/<documentId>/<name>`. */
  readonly key: string;
}

/** A presigned PUT for one upload. */
export interface KnowledgeUploadTarget {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly expiresAt: string;
}

/** What an upload object says about itself (HeadObject). */
export interface UploadedObject {
  readonly size: number;
  readonly contentType?: string;
  /** User metadata (`x-amz-meta-*`, names in lower case, as S3 returns them). */
  readonly metadata: Record<string, string>;
}

/** The document bucket (`KNOWLEDGE_BUCKET`). */
/**
 * A document's metadata file, beside it: `<key>.metadata.json` with `{"metadataAttributes": {...}}`, the form S3 data
 * sources read at sync (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-data-source-sync-ingest.html) and
 * direct ingestion takes by S3 location. Direct ingestion of a document in S3 takes its metadata from S3 too: "The
 * content and metadata for a document must be defined with the same method"
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-direct-ingestion-add.html). So a dedicated knowledge base's
 * sync of `documents/<botId>/` keeps the same attributes as its direct ingestion.
 */
export const metadataKeyOf = (key: string): string => `${key}.metadata.json`;

/** The metadata file's body: STRING attributes. */
export function metadataFile(attributes: Record<string, string>): { metadataAttributes: Record<string, string> } {
  return { metadataAttributes: attributes };
}

export interface KnowledgeObjects {
  /** A presigned PUT of exactly `size` bytes of `contentType` with the given user metadata, all signed. */
  presignPut(key: string, contentType: string, size: number, metadata: Record<string, string>): Promise<KnowledgeUploadTarget>;
  /** HeadObject; undefined when there is no such object. */
  head(key: string): Promise<UploadedObject | undefined>;
  /** CopyObject within the bucket. */
  copy(from: string, to: string): Promise<void>;
  /** DeleteObject (a missing key is no error). */
  delete(key: string): Promise<void>;
  /** PutObject of a small JSON body (a document's metadata file). */
  putJson(key: string, body: unknown): Promise<void>;
  /** A presigned GET answering with `contentType`, `inline`, named `fileName`. */
  presignGet(key: string, contentType: string, fileName: string, seconds: number): Promise<string>;
  /** `s3://<bucket>/<key>`. */
  uri(key: string): string;
}

/** What Bedrock says of a document (GetKnowledgeBaseDocuments). */
export interface IndexStatus {
  readonly status: string;
  readonly statusReason?: string;
}

/** A document as a data source knows it: by its id (CUSTOM data source) or by its object's URI (S3 data source). */
export interface DocumentRef {
  readonly id: string;
  /** `s3://<bucket>/documents/<botId>/<documentId>/<name>`. */
  readonly uri: string;
}

/**
 * The data source a bot's documents are ingested into: the CUSTOM data source of the shared knowledge base
 * (`KNOWLEDGE_BASE_ID`, `KNOWLEDGE_DATA_SOURCE_ID`), or the S3 data source of a dedicated bot's own knowledge base.
 */
export interface KnowledgeIndex {
  /**
   * IngestKnowledgeBaseDocuments of one document from its S3 location, with its metadata from the metadata file at
   * `metadataUri` (content and metadata are given the same way: both in S3).
   */
  ingest(doc: DocumentRef, metadataUri: string): Promise<void>;
  /** GetKnowledgeBaseDocuments of these documents (any number: batched); the map is keyed by document id. */
  statuses(docs: readonly DocumentRef[]): Promise<Map<string, IndexStatus>>;
  /** DeleteKnowledgeBaseDocuments of these documents (any number: batched). */
  delete(docs: readonly DocumentRef[]): Promise<void>;
}

/**
 * What removing a deleted bot's documents needs (the bot cleanup function: nothing else of the bucket and the
 * knowledge base, so its bundle sends no other command and its role allows no other action).
 */
export interface BotDocumentsCleanup {
  /** Deletes every object under `prefix` of the document bucket; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /** DeleteKnowledgeBaseDocuments of these documents (any number: batched). */
  deleteFromIndex(documentIds: readonly string[]): Promise<void>;
}

export interface DocumentStoreDeps {
  readonly db: { send(command: unknown): Promise<unknown> };
  /** The bot table. */
  readonly tableName: string;
  readonly objects: KnowledgeObjects;
  readonly index: KnowledgeIndex;
}

export const DOC_SK_PREFIX = 'DOC#';
export const uploadKey = (botId: string, uploadId: string) => `uploads/${botId}/${uploadId}`;
export const documentsPrefix = (botId: string) => `documents/${botId}/`;
export const uploadsPrefix = (botId: string) => `uploads/${botId}/`;

/** The extension of a file name, lower case (`''` when it has none). */
function extensionOf(name: string): string {
  const m = /\.([^.]+)$/.exec(name);
  return m ? m[1].toLowerCase() : '';
}

/** Why a document's name, type or size is refused (undefined when it is fine). */
export function documentProblem(name: string, contentType: string, size: number): string | undefined {
  if (name.length < 1 || name.length > MAX_DOCUMENT_NAME) return `The name must be 1 to ${MAX_DOCUMENT_NAME} characters.`;
  if (/[\u0000-\u001f\u007f-\u009f/\\]/.test(name)) return 'The name may not contain control characters, slashes or backslashes.';
  if (name.trim() !== name || name === '.' || name === '..') return 'The name may not start or end with spaces, nor be "." or "..".';
  // The name is in the object key, whose UTF-8 encoding is at most 1,024 bytes
  // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html), after `documents/<botId>/<documentId>/`
  // (at most 102 bytes); and percent-encoded in the upload's user metadata, at most 2 KB in all
  // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html).
  if (Buffer.byteLength(name) > MAX_NAME_BYTES || encodeURIComponent(name).length > MAX_ENCODED_NAME) return 'The name is too long once encoded: use a shorter one.';
  const expected = KNOWLEDGE_TYPES[extensionOf(name)];
  if (!expected) return `${name} is not a supported document: use ${Object.keys(KNOWLEDGE_TYPES).map((e) => `.${e}`).join(', ')}.`;
  if (contentType !== expected) return `${name} must be uploaded as ${expected}, not ${contentType}.`;
  if (!Number.isInteger(size) || size < 1) return 'The document is empty.';
  if (size > MAX_KNOWLEDGE_BYTES) return `The document is larger than ${MAX_KNOWLEDGE_BYTES / 1024 / 1024} MiB (Amazon Bedrock's limit per file).`;
  return undefined;
}

/**
 * Bedrock's document statuses (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_KnowledgeBaseDocumentDetail.html)
 * as the contract's: STARTING and PENDING → QUEUED, IN_PROGRESS → RUNNING, INDEXED → SUCCEEDED, PARTIALLY_INDEXED and
 * METADATA_PARTIALLY_INDEXED → SUCCEEDED with a reason, FAILED, METADATA_UPDATE_FAILED, IGNORED and NOT_FOUND →
 * FAILED with a reason. DELETING leaves the document as it was.
 */
export function statusOf(s: IndexStatus): { status: DocumentStatus; statusReason?: string } | undefined {
  const reason = (fallback: string) => ({ statusReason: s.statusReason || fallback });
  switch (s.status) {
    case 'STARTING': case 'PENDING': return { status: 'QUEUED' };
    case 'IN_PROGRESS': return { status: 'RUNNING' };
    case 'INDEXED': return { status: 'SUCCEEDED' };
    case 'PARTIALLY_INDEXED': case 'METADATA_PARTIALLY_INDEXED': return { status: 'SUCCEEDED', ...reason('Only part of the document could be indexed.') };
    case 'FAILED': case 'METADATA_UPDATE_FAILED': return { status: 'FAILED', ...reason('The document could not be indexed.') };
    case 'IGNORED': return { status: 'FAILED', ...reason('The document was ignored by the knowledge base.') };
    case 'NOT_FOUND': return { status: 'FAILED', ...reason('The knowledge base does not have this document.') };
    default: return undefined;
  }
}

const isFinal = (s: DocumentStatus) => s === 'SUCCEEDED' || s === 'FAILED';

export function documentView(r: DocumentRecord): KnowledgeDocument {
  return {
    id: r.id,
    name: r.name,
    contentType: r.contentType,
    size: r.size,
    status: r.status,
    ...(r.statusReason ? { statusReason: r.statusReason } : {}),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** S3 user metadata is US-ASCII: the name travels percent-encoded (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html). */
const encodeName = (name: string) => encodeURIComponent(name);
function decodeName(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

const conditionFailed = (err: unknown) => (err as { name?: string }).name === 'ConditionalCheckFailedException';

/** The documents of bots: records, objects and the knowledge base kept together. */
export class DocumentStore {
  constructor(private readonly deps: DocumentStoreDeps) {}

  /** A presigned PUT into `uploads/<botId>/<uploadId>`, bound to the declared type and size, with the name and owner. */
  async startUpload(
    botId: string, ownerId: string, input: { name: string; contentType: string; size: number },
  ): Promise<{ uploadId: string } & KnowledgeUploadTarget> {
    const problem = documentProblem(input.name, input.contentType, input.size);
    if (problem) throw invalid(problem);
    const uploadId = ulid();
    const target = await this.deps.objects.presignPut(uploadKey(botId, uploadId), input.contentType, input.size, {
      name: encodeName(input.name), size: String(input.size), owner: ownerId,
    });
    return { uploadId, ...target };
  }

  /**
   * Registers an upload as a document: checks the object against what was declared, counts it on the bot (atomic ADD,
   * refused when the bot is gone or full), moves it to `documents/`, writes the record and ingests it. A failure after
   * the count is undone; a bot deleted meanwhile gets its document removed again (the deletion pipe may have run
   * before the record existed).
   */
  async register(botId: string, ownerId: string, uploadId: string, index: KnowledgeIndex = this.deps.index): Promise<KnowledgeDocument> {
    const from = uploadKey(botId, uploadId);
    const head = await this.deps.objects.head(from);
    if (!head || head.metadata.owner !== ownerId) throw invalid('There is no such upload for this bot (it may have expired): upload the file again.');
    const name = decodeName(head.metadata.name);
    const declared = Number(head.metadata.size);
    if (name === undefined || !Number.isInteger(declared)) throw invalid('This upload was not made through POST /knowledge/bots/{botId}/uploads.');
    if (head.size !== declared) throw invalid(`The uploaded file has ${head.size} bytes, not the ${declared} declared.`);
    const contentType = head.contentType?.split(';')[0].trim().toLowerCase() ?? '';
    const problem = documentProblem(name, contentType, head.size);
    if (problem) throw invalid(problem);

    await this.count(botId, +1);
    const id = ulid();
    const now = new Date().toISOString();
    const record: DocumentRecord = {
      id, botId, ownerId, name, contentType, size: head.size, key: `${documentsPrefix(botId)}${id}/${name}`, status: 'QUEUED', createdAt: now, updatedAt: now,
    };
    try {
      await this.deps.objects.copy(from, record.key);
      await this.deps.db.send(new PutCommand({ TableName: this.deps.tableName, Item: this.item(record), ConditionExpression: 'attribute_not_exists(pk)' }));
      await this.deps.objects.putJson(metadataKeyOf(record.key), metadataFile({ botId, ownerId, documentId: id, documentName: name }));
      await index.ingest(this.ref(record), this.deps.objects.uri(metadataKeyOf(record.key)));
    } catch (err) {
      await this.undo(record, index).catch(() => undefined);
      throw err;
    }
    await this.deps.objects.delete(from);
    const bot = (await this.deps.db.send(new GetCommand({ TableName: this.deps.tableName, Key: { pk: botPk(botId), sk: BOT_SK }, ConsistentRead: true, ProjectionExpression: 'pk' }))) as { Item?: unknown };
    if (!bot.Item) {
      await this.undo(record, index, { ingested: true, counted: false });
      throw notFound('Bot not found.');
    }
    return documentView(record);
  }

  /** The bot's documents, newest first; those not final yet are refreshed from Bedrock (and their records updated). */
  async list(botId: string, index: KnowledgeIndex = this.deps.index): Promise<KnowledgeDocument[]> {
    const records = await this.records(botId);
    const pending = records.filter((r) => !isFinal(r.status));
    if (pending.length > 0) {
      const statuses = await index.statuses(pending.map((r) => this.ref(r)));
      for (const [i, r] of records.entries()) {
        if (isFinal(r.status)) continue;
        const s = statuses.get(r.id);
        const next = s && statusOf(s);
        if (!next || (next.status === r.status && next.statusReason === r.statusReason)) continue;
        const updated: DocumentRecord = { ...r, status: next.status, statusReason: next.statusReason, updatedAt: new Date().toISOString() };
        try {
          await this.deps.db.send(new UpdateCommand({
            TableName: this.deps.tableName,
            Key: { pk: botPk(botId), sk: DOC_SK_PREFIX + r.id },
            UpdateExpression: next.statusReason ? 'SET #s = :s, statusReason = :r, updatedAt = :u' : 'SET #s = :s, updatedAt = :u REMOVE statusReason',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':s': next.status, ':u': updated.updatedAt, ...(next.statusReason ? { ':r': next.statusReason } : {}) },
          }));
          records[i] = updated;
        } catch (err) {
          if (!conditionFailed(err)) throw err;
          records[i] = undefined as never; // deleted meanwhile
        }
      }
    }
    return records.filter(Boolean).map(documentView);
  }

  /** One document's record (NOT_FOUND when the bot has no such document). */
  async get(botId: string, documentId: string): Promise<DocumentRecord> {
    const key = { pk: botPk(botId), sk: DOC_SK_PREFIX + documentId };
    const res = (await this.deps.db.send(new GetCommand({ TableName: this.deps.tableName, Key: key }))) as { Item?: Record<string, unknown> };
    if (!res.Item) throw notFound('Document not found.');
    return toRecord(res.Item);
  }

  /** Removes a document: its vectors, its object, its record, and one from the bot's count. */
  async delete(botId: string, documentId: string, index: KnowledgeIndex = this.deps.index): Promise<void> {
    const record = await this.get(botId, documentId);
    await index.delete([this.ref(record)]);
    await this.deps.objects.delete(record.key);
    await this.deps.objects.delete(metadataKeyOf(record.key));
    const res = (await this.deps.db.send(new DeleteCommand({
      TableName: this.deps.tableName, Key: { pk: botPk(botId), sk: DOC_SK_PREFIX + documentId }, ReturnValues: 'ALL_OLD',
    }))) as { Attributes?: unknown };
    // Only the request that removed the record takes it off the count (two concurrent deletes count once).
    if (res.Attributes) await this.count(botId, -1).catch((err) => (err instanceof ChatError ? undefined : Promise.reject(err)));
  }

  /** A presigned GET of the document's source: `inline`; HTML and markdown as plain text (never rendered from the bucket). */
  async sourceUrl(botId: string, documentId: string): Promise<{ url: string; expiresAt: string }> {
    const r = await this.get(botId, documentId);
    const type = r.contentType === 'text/html' || r.contentType === 'text/markdown' ? 'text/plain; charset=utf-8' : r.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : r.contentType;
    const url = await this.deps.objects.presignGet(r.key, type, r.name, SOURCE_URL_SECONDS);
    return { url, expiresAt: new Date(Date.now() + SOURCE_URL_SECONDS * 1000).toISOString() };
  }

  /** Every record of a bot's documents, newest first. */
  records(botId: string): Promise<DocumentRecord[]> {
    return recordsOf(this.deps, botId);
  }


  /**
   * `documentCount` ± 1 with an atomic ADD: +1 only on an existing bot with fewer than MAX_DOCUMENTS_PER_BOT (404 when
   * the bot is gone: an ADD would otherwise create an item; 409 LIMIT when full), −1 only while it is positive.
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.ADD
   */
  private async count(botId: string, delta: 1 | -1): Promise<void> {
    try {
      await this.deps.db.send(new UpdateCommand({
        TableName: this.deps.tableName,
        Key: { pk: botPk(botId), sk: BOT_SK },
        UpdateExpression: 'ADD documentCount :d',
        ConditionExpression: delta > 0
          ? 'attribute_exists(pk) AND (attribute_not_exists(documentCount) OR documentCount < :max)'
          : 'attribute_exists(pk) AND documentCount > :zero',
        ExpressionAttributeValues: delta > 0 ? { ':d': 1, ':max': MAX_DOCUMENTS_PER_BOT } : { ':d': -1, ':zero': 0 },
      }));
    } catch (err) {
      if (!conditionFailed(err)) throw err;
      const key = { pk: botPk(botId), sk: BOT_SK };
      const bot = (await this.deps.db.send(new GetCommand({ TableName: this.deps.tableName, Key: key, ConsistentRead: true }))) as { Item?: unknown };
      if (!bot.Item) throw notFound('Bot not found.');
      if (delta > 0) throw new ChatError('LIMIT', `A bot has at most ${MAX_DOCUMENTS_PER_BOT} documents: delete one first.`);
      throw new ChatError('CONFLICT', 'The bot has no documents to count down.');
    }
  }

  /** Takes a document back out (after a failure, or when its bot was deleted meanwhile). */
  private async undo(
    record: DocumentRecord, index: KnowledgeIndex, done: { ingested?: boolean; counted?: boolean } = { ingested: true, counted: true },
  ): Promise<void> {
    if (done.ingested) await index.delete([this.ref(record)]).catch(() => undefined);
    await this.deps.objects.delete(record.key);
    await this.deps.objects.delete(metadataKeyOf(record.key));
    await this.deps.db.send(new DeleteCommand({ TableName: this.deps.tableName, Key: { pk: botPk(record.botId), sk: DOC_SK_PREFIX + record.id } }));
    if (done.counted !== false) await this.count(record.botId, -1).catch(() => undefined);
  }

  /** How the data sources know the document. */
  ref(r: Pick<DocumentRecord, 'id' | 'key'>): DocumentRef {
    return { id: r.id, uri: this.deps.objects.uri(r.key) };
  }

  private item(r: DocumentRecord): Record<string, unknown> {
    return { pk: botPk(r.botId), sk: DOC_SK_PREFIX + r.id, type: 'document', ...r };
  }
}

function toRecord(item: Record<string, unknown>): DocumentRecord {
  const { pk: _pk, sk: _sk, type: _t, ...rest } = item;
  return rest as unknown as DocumentRecord;
}

/** Every record of a bot's documents, newest first (ULIDs sort by time). */
async function recordsOf(deps: Pick<DocumentStoreDeps, 'db' | 'tableName'>, botId: string): Promise<DocumentRecord[]> {
  const out: DocumentRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = (await deps.db.send(new QueryCommand({
      TableName: deps.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :doc)',
      ExpressionAttributeValues: { ':pk': botPk(botId), ':doc': DOC_SK_PREFIX },
      ScanIndexForward: false,
      ConsistentRead: true,
      ExclusiveStartKey: startKey,
    }))) as { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> };
    out.push(...(page.Items ?? []).map(toRecord));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return out;
}

/**
 * Everything of a deleted bot (the deletion pipe): its documents in the knowledge base, its objects under
 * `documents/<botId>/` and `uploads/<botId>/`, its records. Running it again finds nothing left to remove.
 */
export async function removeBotDocuments(
  deps: Pick<DocumentStoreDeps, 'db' | 'tableName'> & BotDocumentsCleanup, botId: string,
): Promise<number> {
  const records = await recordsOf(deps, botId);
  if (records.length) await deps.deleteFromIndex(records.map((r) => r.id));
  await deps.deletePrefix(documentsPrefix(botId));
  await deps.deletePrefix(uploadsPrefix(botId));
  for (const r of records) {
    await deps.db.send(new DeleteCommand({ TableName: deps.tableName, Key: { pk: botPk(botId), sk: DOC_SK_PREFIX + r.id } }));
  }
  return records.length;
}

/**
 * A bot moved from the shared knowledge base to one of its own: its documents leave the shared one (the new one's first
 * sync ingests them from `documents/<botId>/`) and count as QUEUED again until the new one's statuses say otherwise.
 */
export async function releaseSharedDocuments(
  deps: Pick<DocumentStoreDeps, 'db' | 'tableName'> & Pick<BotDocumentsCleanup, 'deleteFromIndex'>, botId: string,
): Promise<number> {
  const records = await recordsOf(deps, botId);
  if (records.length === 0) return 0;
  await deps.deleteFromIndex(records.map((r) => r.id));
  const now = new Date().toISOString();
  for (const r of records) {
    await deps.db.send(new UpdateCommand({
      TableName: deps.tableName,
      Key: { pk: botPk(botId), sk: DOC_SK_PREFIX + r.id },
      UpdateExpression: 'SET #s = :q, updatedAt = :u REMOVE statusReason',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':q': 'QUEUED', ':u': now },
    })).catch((err: unknown) => (conditionFailed(err) ? undefined : Promise.reject(err)));
  }
  return records.length;
}
