// src/local runs only in development (playground, tests): its imports are devDependencies.
// Amazon Bedrock Knowledge Bases on loopback: the REST-JSON protocols of @aws-sdk/client-bedrock-agent (knowledge
// bases, data sources, direct ingestion, ingestion jobs) and @aws-sdk/client-bedrock-agent-runtime (Retrieve) on one
// server (their paths do not overlap). Documents are parsed (kb-parse.ts), chunked by the data source's strategy
// (kb-chunk.ts), indexed for lexical retrieval with MiniSearch, and, for an S3_VECTORS knowledge base, written as
// vectors (hashed term counts, a lexical stand-in for embeddings) with Bedrock's metadata into the index of the local
// S3 Vectors store, so its limits (filterable metadata) and its contents (a deleted document's vectors are gone) are
// those of the real store. What this does not reproduce: docs/architecture.md, "The local knowledge base".
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as http2 from 'node:http2';
import MiniSearch from 'minisearch';
import { chunkDocument, chunkingConfigurationError } from './kb-chunk';
import { matchesRetrievalFilter, retrievalFilterError, type Metadata, type MetadataValue, type RetrievalFilter } from './kb-filter';
import { BYTE_CONTENT_MIME_TYPES, formatOfKey, formatOfMimeType, isBedrockSupportedKey, parseDocument, ParseError, type ParseLimits } from './kb-parse';
import { crawl, webConfigurationError } from './kb-web';
import { OssError, type OpenSearchServerlessStore, type Source } from './opensearch-serverless';
import { S3VectorsError, type S3VectorsStore } from './s3-vectors';
import { closeServer, listenLoopback, readBody } from './util';

/** Reads the objects of an S3 data source's bucket (the local stack passes an S3 client on s3rver). */
export interface S3Reader {
  list(bucket: string, prefix: string): Promise<Array<{ key: string; etag: string; size: number }>>;
  get(bucket: string, key: string): Promise<Buffer>;
}

export interface StartKnowledgeBaseEmulatorOptions {
  readonly region?: string;
  readonly account?: string;
  /** The S3 Vectors store that S3_VECTORS knowledge bases write into (its index must exist, as in AWS). */
  readonly vectors?: S3VectorsStore;
  /**
   * The OpenSearch Serverless collections that OPENSEARCH_SERVERLESS knowledge bases write into (the collection and
   * its index must exist with the mapped fields, as in AWS). Without it such a knowledge base is refused.
   */
  readonly opensearch?: OpenSearchServerlessStore;
  /** Reads S3 data sources and S3-located documents. Without it they fail with a reason that says so. */
  readonly s3?: S3Reader;
  /** Bounds of each PDF/DOCX parse (heap, time, pages, characters). */
  readonly parseLimits?: ParseLimits;
  /**
   * Bounds of a WEB data source's crawl: pages (the data source's `maxPages`, when lower, wins), bytes of a page and
   * each fetch's deadline. @default 200 pages, 50 MB, 15 s
   */
  readonly crawlLimits?: { readonly maxPages?: number; readonly maxBytes?: number; readonly fetchTimeoutMs?: number };
}

type KbStatus = 'CREATING' | 'ACTIVE' | 'DELETING' | 'UPDATING' | 'FAILED' | 'DELETE_UNSUCCESSFUL';
type DocStatus = 'STARTING' | 'IN_PROGRESS' | 'INDEXED' | 'FAILED' | 'DELETING' | 'NOT_FOUND' | 'PARTIALLY_INDEXED';

interface KnowledgeBaseRecord {
  knowledgeBaseId: string;
  name: string;
  knowledgeBaseArn: string;
  roleArn: string;
  description?: string;
  knowledgeBaseConfiguration: any;
  storageConfiguration: any;
  status: KbStatus;
  createdAt: string;
  updatedAt: string;
  failureReasons?: string[];
  dimension: number;
  /** A knowledge base of the account that the template does not make (KnowledgeBaseDefinition.standIn). */
  standIn?: boolean;
  index: MiniSearch<IndexedChunk>;
  dataSources: Map<string, DataSourceRecord>;
}

interface DataSourceRecord {
  knowledgeBaseId: string;
  dataSourceId: string;
  name: string;
  status: 'AVAILABLE' | 'DELETING' | 'DELETE_UNSUCCESSFUL';
  description?: string;
  dataSourceConfiguration: any;
  vectorIngestionConfiguration?: any;
  dataDeletionPolicy: 'RETAIN' | 'DELETE';
  createdAt: string;
  updatedAt: string;
  documents: Map<string, DocumentRecord>;
  jobs: Map<string, IngestionJobRecord>;
  /** S3 sync state: key → etag of the object and of its metadata file. */
  synced: Map<string, string>;
}

interface DocumentRecord {
  /** `web` for a crawled page (the emulator's own record: DocumentIdentifier has no WEB type, see identifierKey). */
  identifier: { dataSourceType: 'CUSTOM' | 'S3' | 'WEB'; custom?: { id: string }; s3?: { uri: string }; web?: { url: string } };
  status: DocStatus;
  statusReason?: string;
  updatedAt: string;
  chunkIds: string[];
  /** Incremented on every ingest: a late parse of an older version does not overwrite a newer one. */
  version: number;
}

interface IngestionJobRecord {
  knowledgeBaseId: string;
  dataSourceId: string;
  ingestionJobId: string;
  description?: string;
  status: 'STARTING' | 'IN_PROGRESS' | 'COMPLETE' | 'FAILED' | 'STOPPING' | 'STOPPED';
  statistics: Record<string, number>;
  failureReasons: string[];
  startedAt: string;
  updatedAt: string;
}

interface IndexedChunk {
  id: string;
  text: string;
  returnedText: string;
  returnedId: string;
  dataSourceId: string;
  docKey: string;
  location: any;
  metadata: Metadata;
}

/** A documented Bedrock error: its name (`x-amzn-errortype`) and status (the SDK's error shapes). */
class KbError extends Error {
  constructor(readonly errorType: string, readonly status: number, message: string) {
    super(message);
  }
}
const invalid = (m: string) => new KbError('ValidationException', 400, m);
const notFound = (m: string) => new KbError('ResourceNotFoundException', 404, m);
const conflict = (m: string) => new KbError('ConflictException', 409, m);

/**
 * Limits. Direct ingestion: "you can ingest up to 25 documents" per IngestKnowledgeBaseDocuments call
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-direct-ingestion-add.html); inline text and bytes are at
 * most 5,242,880 characters (TextContentDoc / ByteContentDoc: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_TextContentDoc.html ,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_ByteContentDoc.html); a source file at most 50 MB
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-base-ds.html); at most 50 inline metadata
 * attributes (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_DocumentMetadata.html), keys of
 * 1-200 characters (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_MetadataAttribute.html);
 * custom document ids of 1-2048 characters (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_CustomDocumentIdentifier.html);
 * numberOfResults 1-100 (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_KnowledgeBaseVectorSearchConfiguration.html).
 */
export const KB_LIMITS = {
  documentsPerIngest: 25,
  inlineContentChars: 5_242_880,
  fileBytes: 50 * 1024 * 1024,
  metadataAttributes: 50,
  metadataKeyChars: 200,
  customIdChars: 2048,
  numberOfResultsMax: 100,
  defaultNumberOfResults: 5,
};

/** A knowledge base as a template declares it (the API's property names). */
export interface KnowledgeBaseDefinition {
  knowledgeBaseId: string;
  name: string;
  roleArn: string;
  description?: string;
  knowledgeBaseConfiguration: any;
  storageConfiguration: any;
  /**
   * A stand-in for a knowledge base of the account that no template makes (existing knowledge bases): its vector
   * store is not emulated (its collection or index is not checked), and retrieval is lexical.
   */
  standIn?: boolean;
}

/** A data source as a template declares it (the API's property names). */
export interface DataSourceDefinition {
  knowledgeBaseId: string;
  dataSourceId: string;
  name: string;
  description?: string;
  dataSourceConfiguration: any;
  vectorIngestionConfiguration?: any;
  dataDeletionPolicy?: string;
}

type Loaded = { bytes: Uint8Array; format: ReturnType<typeof formatOfKey>; what: string };

export interface KnowledgeBaseEmulator {
  /** `http://127.0.0.1:<port>` (HTTP/1.1): `AWS_ENDPOINT_URL_BEDROCK_AGENT`. */
  readonly endpoint: string;
  /**
   * `http://127.0.0.1:<port>` (h2c): `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME`. The runtime client speaks HTTP/2 (its
   * event-stream operations need it), the agent client HTTP/1.1; both ports answer every operation.
   */
  readonly runtimeEndpoint: string;
  /** Registers a knowledge base as a template declares it (the local stack), ACTIVE at once; returns its id. */
  addKnowledgeBase(kb: KnowledgeBaseDefinition): string;
  /** Registers a data source as a template declares it; returns its id. */
  addDataSource(ds: DataSourceDefinition): string;
  /** Whether a knowledge base exists (and is not being deleted). */
  hasKnowledgeBase(knowledgeBaseId: string): boolean;
  /**
   * While held, knowledge bases created with CreateKnowledgeBase stay CREATING; released, they become ACTIVE (what a
   * slow creation looks like, for tests of what happens meanwhile).
   */
  holdCreating(hold: boolean): void;
  /** Resolves when no document is being parsed and no ingestion job is running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const now = () => new Date().toISOString();
const dimensionOf = (c: any): number => c?.vectorKnowledgeBaseConfiguration?.embeddingModelConfiguration
  ?.bedrockEmbeddingModelConfiguration?.dimensions ?? 1024;
/** IngestionJobStatistics (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_IngestionJobStatistics.html). */
const STATISTICS = ['numberOfDocumentsScanned', 'numberOfMetadataDocumentsScanned', 'numberOfNewDocumentsIndexed', 'numberOfModifiedDocumentsIndexed',
  'numberOfMetadataDocumentsModified', 'numberOfDocumentsDeleted', 'numberOfDocumentsFailed'];
const id10 = () => createHash('sha256').update(randomUUID()).digest('hex').slice(0, 10).toUpperCase();

export async function startKnowledgeBaseEmulator(opts: StartKnowledgeBaseEmulatorOptions = {}): Promise<KnowledgeBaseEmulator> {
  const region = opts.region ?? 'us-east-1';
  const account = opts.account ?? '000000000000';
  const kbs = new Map<string, KnowledgeBaseRecord>();
  let holding = false;
  const held: KnowledgeBaseRecord[] = [];
  const activateSoon = (kb: KnowledgeBaseRecord) => setTimeout(() => { if (kb.status === 'CREATING') { kb.status = 'ACTIVE'; kb.updatedAt = now(); } }, 10);
  const pending = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => undefined);
    return p;
  };
  const tokens = new Map<string, { hash: string; response: unknown }>();

  function getKb(id: string): KnowledgeBaseRecord {
    const kb = kbs.get(id);
    if (!kb || kb.status === 'DELETING') throw notFound(`Knowledge base ${id} does not exist.`);
    return kb;
  }
  function getDs(kb: KnowledgeBaseRecord, id: string): DataSourceRecord {
    const ds = kb.dataSources.get(id);
    if (!ds || ds.status === 'DELETING') throw notFound(`Data source ${id} does not exist in knowledge base ${kb.knowledgeBaseId}.`);
    return ds;
  }
  /**
   * The data source of a document operation (ingest, get, list, delete documents): CUSTOM or S3 only, the types a
   * document can have (DocumentContent and DocumentIdentifier `dataSourceType`, "Valid Values: CUSTOM | S3":
   * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_DocumentContent.html ,
   * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_DocumentIdentifier.html). A WEB data source's
   * pages are known from its ingestion jobs' statistics and from Retrieve's locations.
   */
  function getDocDs(kb: KnowledgeBaseRecord, id: string): DataSourceRecord {
    const ds = getDs(kb, id);
    if (ds.dataSourceConfiguration.type !== 'CUSTOM' && ds.dataSourceConfiguration.type !== 'S3') {
      throw invalid(`Documents can only be managed in CUSTOM and S3 data sources; ${id} is a ${String(ds.dataSourceConfiguration.type)} data source.`);
    }
    return ds;
  }

  function validateKnowledgeBase(body: any, standIn = false): void {
    if (typeof body.name !== 'string' || !/^([0-9a-zA-Z][_-]?){1,100}$/.test(body.name)) throw invalid('name must match ([0-9a-zA-Z][_-]?){1,100}.');
    if (typeof body.roleArn !== 'string' || !body.roleArn.startsWith('arn:')) throw invalid('roleArn is required.');
    const c = body.knowledgeBaseConfiguration;
    if (c?.type !== 'VECTOR' || typeof c.vectorKnowledgeBaseConfiguration?.embeddingModelArn !== 'string') {
      throw invalid('The local knowledge base supports knowledgeBaseConfiguration.type VECTOR with an embeddingModelArn.');
    }
    const s = body.storageConfiguration;
    if (!s?.type) throw invalid('storageConfiguration is required for a VECTOR knowledge base.');
    if (s.type === 'S3_VECTORS') {
      const v = s.s3VectorsConfiguration;
      if (!v || (!v.indexArn && !(v.indexName && v.vectorBucketArn))) throw invalid('s3VectorsConfiguration needs indexArn, or indexName and vectorBucketArn.');
      if (opts.vectors) {
        // Bedrock checks the index when the knowledge base is created (the role needs s3vectors:GetIndex for it)
        try {
          const index = opts.vectors.index({ indexArn: v.indexArn, indexName: v.indexName, vectorBucketArn: v.vectorBucketArn });
          const dim = dimensionOf(c);
          if (index.dimension !== dim) throw invalid(`The index's dimension (${index.dimension}) is not the embedding model's (${dim}).`);
        } catch (err) {
          if (err instanceof S3VectorsError) throw invalid(`The S3 Vectors index could not be used: ${err.message}`);
          throw err;
        }
      }
    } else if (s.type === 'OPENSEARCH_SERVERLESS' && opts.opensearch && !standIn) {
      checkOpenSearchIndex(s.opensearchServerlessConfiguration, dimensionOf(c));
    }
  }

  /**
   * Bedrock checks the collection and the index when an OPENSEARCH_SERVERLESS knowledge base is created: the index
   * exists, its vector field is a knn_vector of the embedding model's dimension, the text and metadata fields exist
   * (OpenSearchServerlessConfiguration / OpenSearchServerlessFieldMapping, all required:
   * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_OpenSearchServerlessConfiguration.html ;
   * "Amazon Bedrock validates at creation time that the index exists in the collection and that its vector field
   * matches the embeddings model": https://docs.aws.amazon.com/cdk/api/v2/docs/@aws-cdk_aws-bedrock-alpha.OpenSearchServerlessVectorStoreProps.html).
   * The collection ARN names the
   * collection by id: arn:aws:aoss:<region>:<account>:collection/[a-z0-9-]{3,32}.
   */
  function checkOpenSearchIndex(o: any, dim: number): void {
    const f = o?.fieldMapping;
    if (typeof o?.collectionArn !== 'string' || !/^arn:aws:aoss:[a-z]{2}(-gov)?-[a-z]+-\d{1}:\d{12}:collection\/[a-z0-9-]{3,32}$/.test(o.collectionArn)) {
      throw invalid('opensearchServerlessConfiguration.collectionArn must be a collection ARN (arn:aws:aoss:<region>:<account>:collection/<id>).');
    }
    if (typeof o.vectorIndexName !== 'string' || !f?.vectorField || !f.textField || !f.metadataField) {
      throw invalid('opensearchServerlessConfiguration needs vectorIndexName and fieldMapping (vectorField, textField, metadataField).');
    }
    let props: Record<string, any>;
    try {
      props = opts.opensearch!.index(o.collectionArn, o.vectorIndexName).mappings.properties;
    } catch (err) {
      if (err instanceof OssError) throw invalid(`The OpenSearch Serverless index could not be used: ${err.message}`);
      throw err;
    }
    const v = props[f.vectorField];
    if (v?.type !== 'knn_vector') throw invalid(`The vector field ${f.vectorField} is not a knn_vector field of index ${o.vectorIndexName}.`);
    if (v.dimension !== dim) throw invalid(`The index's dimension (${v.dimension}) is not the embedding model's (${dim}).`);
    if (props[f.textField]?.type !== 'text') throw invalid(`The text field ${f.textField} is not a text field of index ${o.vectorIndexName}.`);
    if (!props[f.metadataField]) throw invalid(`The metadata field ${f.metadataField} is not a field of index ${o.vectorIndexName}.`);
  }

  function newKb(body: any, id: string): KnowledgeBaseRecord {
    const ts = now();
    return {
      knowledgeBaseId: id,
      name: body.name,
      knowledgeBaseArn: `arn:aws:bedrock:${region}:${account}:knowledge-base/${id}`,
      roleArn: body.roleArn,
      description: body.description,
      knowledgeBaseConfiguration: body.knowledgeBaseConfiguration,
      storageConfiguration: body.storageConfiguration,
      status: 'CREATING',
      createdAt: ts,
      updatedAt: ts,
      dimension: dimensionOf(body.knowledgeBaseConfiguration),
      index: new MiniSearch<IndexedChunk>({ fields: ['text'], storeFields: [], idField: 'id' }),
      dataSources: new Map(),
    };
  }

  function kbView(kb: KnowledgeBaseRecord) {
    const { index: _index, dataSources: _ds, dimension: _dim, standIn: _standIn, ...view } = kb;
    return view;
  }

  function validateDataSource(body: any): void {
    if (typeof body.name !== 'string' || !/^([0-9a-zA-Z][_-]?){1,100}$/.test(body.name)) throw invalid('name must match ([0-9a-zA-Z][_-]?){1,100}.');
    const c = body.dataSourceConfiguration;
    if (c?.type === 'S3') {
      if (typeof c.s3Configuration?.bucketArn !== 'string' || !c.s3Configuration.bucketArn.startsWith('arn:')) throw invalid('s3Configuration.bucketArn is required for an S3 data source.');
    } else if (c?.type === 'WEB') {
      // WebDataSourceConfiguration (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_WebDataSourceConfiguration.html)
      const e = webConfigurationError(c.webConfiguration);
      if (e) throw invalid(e);
    } else if (c?.type !== 'CUSTOM') {
      throw invalid('The local knowledge base supports S3, WEB and CUSTOM data sources.');
    }
    const e = chunkingConfigurationError(body.vectorIngestionConfiguration?.chunkingConfiguration);
    if (e) throw invalid(e);
    if (body.dataDeletionPolicy !== undefined && body.dataDeletionPolicy !== 'RETAIN' && body.dataDeletionPolicy !== 'DELETE') throw invalid('dataDeletionPolicy must be RETAIN or DELETE.');
  }

  function newDs(kbId: string, body: any, id: string): DataSourceRecord {
    const ts = now();
    return {
      knowledgeBaseId: kbId,
      dataSourceId: id,
      name: body.name,
      status: 'AVAILABLE',
      description: body.description,
      dataSourceConfiguration: body.dataSourceConfiguration,
      vectorIngestionConfiguration: body.vectorIngestionConfiguration,
      dataDeletionPolicy: body.dataDeletionPolicy ?? 'DELETE',
      createdAt: ts,
      updatedAt: ts,
      documents: new Map(),
      jobs: new Map(),
      synced: new Map(),
    };
  }

  function dsView(ds: DataSourceRecord) {
    const { documents: _d, jobs: _j, synced: _s, ...view } = ds;
    return view;
  }

  // --- the index: MiniSearch for ranking, the S3 Vectors index for storage ---

  function vectorRef(kb: KnowledgeBaseRecord) {
    const v = kb.storageConfiguration?.s3VectorsConfiguration;
    return kb.storageConfiguration?.type === 'S3_VECTORS' && opts.vectors && v ? { indexArn: v.indexArn, indexName: v.indexName, vectorBucketArn: v.vectorBucketArn } : undefined;
  }

  function ossRef(kb: KnowledgeBaseRecord) {
    const o = kb.storageConfiguration?.opensearchServerlessConfiguration;
    return kb.storageConfiguration?.type === 'OPENSEARCH_SERVERLESS' && opts.opensearch && !kb.standIn && o
      ? {
        collection: o.collectionArn as string,
        index: o.vectorIndexName as string,
        fields: o.fieldMapping as { vectorField: string; textField: string; metadataField: string },
      }
      : undefined;
  }

  /** Feature hashing of term counts into the knowledge base's dimension, L2-normalised (a lexical stand-in for an embedding). */
  function embed(text: string, dim: number): number[] {
    const v = new Array<number>(dim).fill(0);
    for (const w of text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []) {
      const h = createHash('sha1').update(w).digest();
      v[h.readUInt32LE(0) % dim] += h[4] % 2 === 1 ? 1 : -1;
    }
    const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    if (n === 0) v[0] = 1;
    return n === 0 ? v : v.map((x) => x / n);
  }

  function removeChunks(kb: KnowledgeBaseRecord, ids: string[]): void {
    for (const id of ids) if (kb.index.has(id)) kb.index.discard(id);
    const oss = ossRef(kb);
    if (oss) {
      for (const id of ids) {
        try {
          opts.opensearch!.deleteDocument(oss.collection, oss.index, id);
        } catch (err) {
          if (!(err instanceof OssError)) throw err;
        }
      }
    }
    const ref = vectorRef(kb);
    if (ref) {
      for (let i = 0; i < ids.length; i += 500) {
        try {
          opts.vectors!.deleteVectors(ref, ids.slice(i, i + 500));
        } catch (err) {
          if (!(err instanceof S3VectorsError)) throw err;
        }
      }
    }
  }

  /** Parses, chunks and indexes one document; the document's status says how it went. */
  async function indexDocument(
    kb: KnowledgeBaseRecord, ds: DataSourceRecord, key: string, doc: DocumentRecord, load: () => Promise<Loaded>,
    metadataOrFile: Metadata | (() => Promise<Metadata>), location: any,
  ): Promise<boolean> {
    const version = doc.version;
    const set = (status: DocStatus, reason?: string) => {
      if (doc.version !== version || ds.documents.get(key) !== doc) return;
      doc.status = status;
      doc.statusReason = reason;
      doc.updatedAt = now();
    };
    set('IN_PROGRESS');
    try {
      const { bytes, format, what } = await load();
      const metadata = typeof metadataOrFile === 'function' ? await metadataOrFile() : metadataOrFile;
      if (!format) throw new ParseError(`${what} is not a format the local knowledge base parses (text, markdown, CSV, HTML, PDF, DOCX).`);
      if (bytes.byteLength > KB_LIMITS.fileBytes) throw new ParseError('The document exceeds the 50 MB file size quota.');
      const parsed = await parseDocument(bytes, format, opts.parseLimits);
      const chunks = chunkDocument(parsed.pages, ds.vectorIngestionConfiguration?.chunkingConfiguration);
      if (chunks.length === 0) throw new ParseError('The document has no text.');
      if (doc.version !== version || ds.documents.get(key) !== doc) return false;
      const prefix = createHash('sha256').update(`${ds.dataSourceId}\0${key}`).digest('hex').slice(0, 24);
      const entries: IndexedChunk[] = chunks.map((c, i) => {
        const chunkId = `${prefix}-${version}-${i}`;
        const meta: Metadata = {
          ...metadata,
          'x-amz-bedrock-kb-chunk-id': chunkId,
          'x-amz-bedrock-kb-data-source-id': ds.dataSourceId,
          ...(location.s3Location ? { 'x-amz-bedrock-kb-source-uri': location.s3Location.uri } : {}),
          ...(location.webLocation ? { 'x-amz-bedrock-kb-source-uri': location.webLocation.url } : {}),
          ...(c.page ? { 'x-amz-bedrock-kb-document-page-number': c.page } : {}),
        };
        return { id: chunkId, text: c.text, returnedText: c.returnedText, returnedId: `${prefix}-${version}-p${c.returnedId}`, dataSourceId: ds.dataSourceId, docKey: key, location, metadata: meta };
      });
      const ref = vectorRef(kb);
      if (ref) {
        // Bedrock stores the chunk text and its own metadata with each vector, under AMAZON_BEDROCK_TEXT and
        // AMAZON_BEDROCK_METADATA (which is why they are best made non-filterable keys of the index)
        const vectors = entries.map((e) => ({
          key: e.id,
          data: { float32: embed(e.text, kb.dimension) },
          metadata: {
            ...e.metadata,
            AMAZON_BEDROCK_TEXT: e.text,
            AMAZON_BEDROCK_METADATA: JSON.stringify({ source: location, parentText: e.returnedText === e.text ? undefined : e.returnedText }),
          },
        }));
        try {
          for (let i = 0; i < vectors.length; i += 500) opts.vectors!.putVectors(ref, vectors.slice(i, i + 500));
        } catch (err) {
          if (err instanceof S3VectorsError) {
            // the batches written before the refused one are taken back: the document is all or nothing
            const keys = vectors.map((v) => v.key);
            for (let k = 0; k < keys.length; k += 500) opts.vectors!.deleteVectors(ref, keys.slice(k, k + 500));
            throw new ParseError(`The vector store refused the document's vectors: ${err.message}`);
          }
          throw err;
        }
      }
      const oss = ossRef(kb);
      if (oss) {
        // Bedrock writes one document per chunk: the vector, the chunk text, its own metadata (JSON), and each
        // metadata attribute as a field of its own (what a filter and a keyword search read)
        const written: string[] = [];
        try {
          for (const e of entries) {
            opts.opensearch!.putDocument(oss.collection, oss.index, e.id, {
              ...e.metadata,
              [oss.fields.vectorField]: embed(e.text, kb.dimension),
              [oss.fields.textField]: e.text,
              [oss.fields.metadataField]: JSON.stringify({ source: location, parentText: e.returnedText === e.text ? undefined : e.returnedText }),
            });
            written.push(e.id);
          }
        } catch (err) {
          if (err instanceof OssError) {
            for (const id of written) opts.opensearch!.deleteDocument(oss.collection, oss.index, id);
            throw new ParseError(`The vector store refused the document's chunks: ${err.message}`);
          }
          throw err;
        }
      }
      const old = doc.chunkIds;
      removeChunks(kb, old);
      kb.index.addAll(entries.map((e) => ({ ...e })));
      chunkStore.set(kb.knowledgeBaseId, chunkStore.get(kb.knowledgeBaseId) ?? new Map());
      const store = chunkStore.get(kb.knowledgeBaseId)!;
      for (const id of old) store.delete(id);
      for (const e of entries) store.set(e.id, e);
      doc.chunkIds = entries.map((e) => e.id);
      set('INDEXED');
      return true;
    } catch (err) {
      set('FAILED', err instanceof ParseError ? err.message : `Ingestion failed: ${(err as Error).message}`);
      return false;
    }
  }

  const chunkStore = new Map<string, Map<string, IndexedChunk>>();

  function dropDocument(kb: KnowledgeBaseRecord, ds: DataSourceRecord, key: string): void {
    const doc = ds.documents.get(key);
    if (!doc) return;
    removeChunks(kb, doc.chunkIds);
    const store = chunkStore.get(kb.knowledgeBaseId);
    for (const id of doc.chunkIds) store?.delete(id);
    ds.documents.delete(key);
  }

  // --- metadata ---

  function attributeValue(v: any, key: string): MetadataValue {
    switch (v?.type) {
      case 'STRING': if (typeof v.stringValue !== 'string') break; return v.stringValue;
      case 'NUMBER': if (typeof v.numberValue !== 'number') break; return v.numberValue;
      case 'BOOLEAN': if (typeof v.booleanValue !== 'boolean') break; return v.booleanValue;
      case 'STRING_LIST': if (!Array.isArray(v.stringListValue)) break; return v.stringListValue.map(String);
    }
    throw invalid(`Metadata attribute ${key} has no value of its type.`);
  }

  /**
   * A document's metadata as IngestKnowledgeBaseDocuments takes it: inline attributes, or a metadata file in S3 (read
   * when the document is indexed). "The content and metadata for a document must be defined with the same method. For
   * example, if you define the content inline, you must also define the metadata inline."
   * (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-direct-ingestion-add.html)
   */
  function documentMetadata(m: any, content: any): Metadata | (() => Promise<Metadata>) {
    if (!m) return {};
    const inlineContent = content?.dataSourceType === 'CUSTOM' && content.custom?.sourceType === 'IN_LINE';
    if ((m.type === 'S3_LOCATION') === inlineContent) {
      throw invalid(`The content and metadata for a document must be defined with the same method: ${inlineContent ? 'inline content takes inline metadata (IN_LINE_ATTRIBUTE)' : 'content in S3 takes its metadata from a file in S3 (S3_LOCATION)'}.`);
    }
    if (m.type !== 'S3_LOCATION') return inlineMetadata(m);
    const uri = m.s3Location?.uri;
    if (typeof uri !== 'string' || !/^s3:\/\/[^/]+\/.+/.test(uri)) throw invalid('metadata.s3Location.uri must be an s3:// URI.');
    return async () => {
      if (!opts.s3) throw new ParseError('The local knowledge base has no S3 to read from.');
      const { bucket, key } = parseS3Uri(uri);
      const raw = await opts.s3.get(bucket, key).catch(() => {
        throw new ParseError(`The metadata file ${uri} could not be read.`);
      });
      try {
        return sidecarMetadata(raw);
      } catch (err) {
        throw new ParseError(`The metadata file ${uri} is not valid: ${(err as Error).message}`);
      }
    };
  }

  function inlineMetadata(m: any): Metadata {
    if (!m) return {};
    if (m.type !== 'IN_LINE_ATTRIBUTE' || !Array.isArray(m.inlineAttributes)) throw invalid('metadata.type must be IN_LINE_ATTRIBUTE with inlineAttributes.');
    if (m.inlineAttributes.length < 1 || m.inlineAttributes.length > KB_LIMITS.metadataAttributes) throw invalid('inlineAttributes takes 1 to 50 attributes.');
    const out: Metadata = {};
    for (const a of m.inlineAttributes) {
      if (typeof a?.key !== 'string' || a.key.length < 1 || a.key.length > KB_LIMITS.metadataKeyChars) throw invalid('Each metadata key must be 1 to 200 characters.');
      if (a.key.startsWith('x-amz-bedrock-kb-') || a.key.startsWith('AMAZON_BEDROCK_')) throw invalid(`Metadata key ${a.key} is reserved by Amazon Bedrock.`);
      out[a.key] = attributeValue(a.value, a.key);
    }
    return out;
  }

  /** A `.metadata.json` file: `{"metadataAttributes": {key: value | {value: {type, ...}}}}` (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-data-source-sync-ingest.html). */
  function sidecarMetadata(raw: Buffer): Metadata {
    const doc = JSON.parse(raw.toString('utf8'));
    const attrs = doc?.metadataAttributes;
    if (!attrs || typeof attrs !== 'object') throw new ParseError('The metadata file has no metadataAttributes object.');
    const out: Metadata = {};
    for (const [k, v] of Object.entries<any>(attrs)) {
      out[k] = v && typeof v === 'object' && !Array.isArray(v) && v.value ? attributeValue(v.value, k) : v;
    }
    if (Object.keys(out).length > KB_LIMITS.metadataAttributes) throw new ParseError('The metadata file has more than 50 attributes.');
    return out;
  }

  // --- direct ingestion ---

  function documentKey(ds: DataSourceRecord, content: any): { key: string; identifier: DocumentRecord['identifier'] } {
    if (content?.dataSourceType !== ds.dataSourceConfiguration.type) {
      // "The dataSourceType specified in the content for each document must match the type of the data source"
      // (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_IngestKnowledgeBaseDocuments.html)
      throw invalid(`The document's dataSourceType (${String(content?.dataSourceType)}) does not match the data source's type (${ds.dataSourceConfiguration.type}).`);
    }
    if (content.dataSourceType === 'CUSTOM') {
      const id = content.custom?.customDocumentIdentifier?.id;
      if (typeof id !== 'string' || id.length < 1 || id.length > KB_LIMITS.customIdChars) throw invalid('customDocumentIdentifier.id must be 1 to 2048 characters.');
      return { key: `custom:${id}`, identifier: { dataSourceType: 'CUSTOM', custom: { id } } };
    }
    const uri = content.s3?.s3Location?.uri;
    if (typeof uri !== 'string' || !/^s3:\/\/[^/]+\/.+/.test(uri)) throw invalid('s3.s3Location.uri must be an s3:// URI.');
    return { key: `s3:${uri}`, identifier: { dataSourceType: 'S3', s3: { uri } } };
  }

  function parseS3Uri(uri: string): { bucket: string; key: string } {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!m) throw new ParseError(`Not an S3 URI: ${uri}`);
    return { bucket: m[1], key: m[2] };
  }

  function loaderOf(content: any): { load: () => Promise<Loaded>; location: any } {
    const fromS3 = (uri: string) => ({
      location: { type: 'S3', s3Location: { uri } },
      load: async () => {
        if (!opts.s3) throw new ParseError('The local knowledge base has no S3 to read from.');
        const { bucket, key } = parseS3Uri(uri);
        const bytes = await opts.s3.get(bucket, key).catch(() => {
          throw new ParseError(`The object ${uri} could not be read.`);
        });
        return { bytes, format: formatOfKey(key), what: `The object ${uri}` };
      },
    });
    if (content.dataSourceType === 'S3') return fromS3(content.s3.s3Location.uri);
    const c = content.custom;
    const id = c.customDocumentIdentifier.id;
    const location = { type: 'CUSTOM', customDocumentLocation: { id } };
    if (c.sourceType === 'S3_LOCATION') {
      const uri = c.s3Location?.uri;
      if (typeof uri !== 'string' || !uri.startsWith('s3://')) throw invalid('custom.s3Location.uri must be an s3:// URI.');
      return { ...fromS3(uri), location };
    }
    if (c.sourceType !== 'IN_LINE') throw invalid('custom.sourceType must be IN_LINE or S3_LOCATION.');
    const inline = c.inlineContent;
    if (inline?.type === 'TEXT') {
      const data = inline.textContent?.data;
      if (typeof data !== 'string' || data.length < 1) throw invalid('textContent.data must be 1 to 5242880 characters.');
      if (data.length > KB_LIMITS.inlineContentChars) throw invalid('textContent.data must be 1 to 5242880 characters.');
      return { location, load: async () => ({ bytes: Buffer.from(data, 'utf8'), format: 'markdown', what: 'The text' }) };
    }
    if (inline?.type === 'BYTE') {
      const { data, mimeType } = inline.byteContent ?? {};
      if (typeof data !== 'string' || data.length < 1) throw invalid('byteContent.data must be 1 to 5242880 characters of base64.');
      if (data.length > KB_LIMITS.inlineContentChars) throw invalid('byteContent.data must be 1 to 5242880 characters of base64.');
      if (typeof mimeType !== 'string' || !BYTE_CONTENT_MIME_TYPES.has(mimeType.toLowerCase())) throw invalid(`byteContent.mimeType ${String(mimeType)} is not a supported MIME type.`);
      const bytes = Buffer.from(data, 'base64');
      return { location, load: async () => ({ bytes, format: formatOfMimeType(mimeType), what: `A ${mimeType} document` }) };
    }
    throw invalid('inlineContent.type must be TEXT or BYTE.');
  }

  function detail(ds: DataSourceRecord, doc: DocumentRecord) {
    return {
      knowledgeBaseId: ds.knowledgeBaseId,
      dataSourceId: ds.dataSourceId,
      status: doc.status,
      identifier: doc.identifier,
      ...(doc.statusReason ? { statusReason: doc.statusReason } : {}),
      updatedAt: doc.updatedAt,
    };
  }

  function ingest(kb: KnowledgeBaseRecord, ds: DataSourceRecord, body: any) {
    const docs = body.documents;
    if (!Array.isArray(docs) || docs.length < 1 || docs.length > KB_LIMITS.documentsPerIngest) throw invalid('documents takes 1 to 25 documents.');
    // every document is checked before any is accepted (a bad one refuses the call, nothing is written)
    const prepared = docs.map((d: any) => {
      const { key, identifier } = documentKey(ds, d.content);
      if (ds.dataSourceConfiguration.type === 'S3' && d.content.dataSourceType === 'S3' && !opts.s3) throw invalid('The local knowledge base has no S3 to read from.');
      // S3 data sources accept only S3-located documents (the table on https://docs.aws.amazon.com/bedrock/latest/userguide/kb-direct-ingestion-add.html)
      const loader = loaderOf(d.content);
      const metadata = documentMetadata(d.metadata, d.content);
      return { key, identifier, loader, metadata };
    });
    const keys = new Set<string>();
    for (const p of prepared) {
      if (keys.has(p.key)) throw invalid('The same document appears twice in one request.');
      keys.add(p.key);
    }
    return prepared.map((p: any) => {
      const previous = ds.documents.get(p.key);
      const doc: DocumentRecord = { identifier: p.identifier, status: 'STARTING', updatedAt: now(), chunkIds: previous?.chunkIds ?? [], version: (previous?.version ?? 0) + 1 };
      ds.documents.set(p.key, doc);
      const view = detail(ds, doc);
      void track(new Promise((r) => setImmediate(r)).then(() => indexDocument(kb, ds, p.key, doc, p.loader.load, p.metadata, p.loader.location)));
      return view;
    });
  }

  function identifierKey(ds: DataSourceRecord, ident: any): string {
    if (ident?.dataSourceType !== ds.dataSourceConfiguration.type) throw invalid('The identifier\'s dataSourceType does not match the data source\'s type.');
    if (ident.dataSourceType === 'CUSTOM') {
      const id = ident.custom?.id;
      if (typeof id !== 'string' || id.length < 1 || id.length > KB_LIMITS.customIdChars) throw invalid('custom.id must be 1 to 2048 characters.');
      return `custom:${id}`;
    }
    if (typeof ident.s3?.uri !== 'string') throw invalid('s3.uri is required.');
    return `s3:${ident.s3.uri}`;
  }

  // --- ingestion jobs (S3 data sources) ---

  async function runJob(kb: KnowledgeBaseRecord, ds: DataSourceRecord, job: IngestionJobRecord): Promise<void> {
    const stats = job.statistics;
    const touch = () => { job.updatedAt = now(); };
    await new Promise((r) => setImmediate(r));
    job.status = 'IN_PROGRESS';
    touch();
    try {
      if (ds.dataSourceConfiguration.type === 'WEB') {
        await runWebJob(kb, ds, job);
        touch();
        return;
      }
      if (ds.dataSourceConfiguration.type !== 'S3') {
        // a CUSTOM data source has nothing to sync: its documents are ingested directly
        job.status = 'COMPLETE';
        touch();
        return;
      }
      if (!opts.s3) throw new Error('The local knowledge base has no S3 to read from.');
      const s3c = ds.dataSourceConfiguration.s3Configuration;
      const bucket = String(s3c.bucketArn).replace(/^arn:[^:]+:s3:::/, '');
      const prefixes: string[] = s3c.inclusionPrefixes?.length ? s3c.inclusionPrefixes : [''];
      const objects = new Map<string, { etag: string; size: number }>();
      for (const prefix of prefixes) for (const o of await opts.s3.list(bucket, prefix)) objects.set(o.key, o);
      const seen = new Set<string>();
      for (const [key, o] of objects) {
        if (key.endsWith('.metadata.json')) {
          stats.numberOfMetadataDocumentsScanned++;
          continue;
        }
        if (key.endsWith('/')) continue;
        stats.numberOfDocumentsScanned++;
        const uri = `s3://${bucket}/${key}`;
        const docKey = `s3:${uri}`;
        seen.add(docKey);
        const sidecar = objects.get(`${key}.metadata.json`);
        const state = `${o.etag}|${sidecar?.etag ?? ''}`;
        const previous = ds.synced.get(docKey);
        if (previous === state && ds.documents.get(docKey)?.status === 'INDEXED') continue;
        const onlyMetadata = previous !== undefined && previous.split('|')[0] === o.etag;
        const fail = (reason: string) => {
          stats.numberOfDocumentsFailed++;
          job.failureReasons.push(`${uri}: ${reason}`);
        };
        if (!isBedrockSupportedKey(key)) { fail('The file type is not supported.'); continue; }
        if (o.size === 0) { fail('The document is empty (0 bytes).'); continue; }
        if (o.size > KB_LIMITS.fileBytes) { fail('The document exceeds the 50 MB file size quota.'); continue; }
        let metadata: Metadata = {};
        if (sidecar) {
          try {
            metadata = sidecarMetadata(await opts.s3.get(bucket, `${key}.metadata.json`));
          } catch (err) {
            fail(`The metadata file could not be read: ${(err as Error).message}`);
            continue;
          }
        }
        const prev = ds.documents.get(docKey);
        const doc: DocumentRecord = { identifier: { dataSourceType: 'S3', s3: { uri } }, status: 'STARTING', updatedAt: now(), chunkIds: prev?.chunkIds ?? [], version: (prev?.version ?? 0) + 1 };
        ds.documents.set(docKey, doc);
        const ok = await indexDocument(kb, ds, docKey, doc, async () => ({ bytes: await opts.s3!.get(bucket, key), format: formatOfKey(key), what: `The object ${uri}` }), metadata, { type: 'S3', s3Location: { uri } });
        if (!ok) { fail(doc.statusReason ?? 'The document could not be indexed.'); continue; }
        ds.synced.set(docKey, state);
        if (previous === undefined) stats.numberOfNewDocumentsIndexed++;
        else if (onlyMetadata) stats.numberOfMetadataDocumentsModified++;
        else stats.numberOfModifiedDocumentsIndexed++;
        touch();
      }
      // sync is incremental: objects gone from the bucket are removed from the knowledge base
      // (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-data-source-sync-ingest.html)
      for (const docKey of [...ds.synced.keys()]) {
        if (!seen.has(docKey)) {
          dropDocument(kb, ds, docKey);
          ds.synced.delete(docKey);
          stats.numberOfDocumentsDeleted++;
        }
      }
      // a job that finishes is COMPLETE even when some documents failed (numberOfDocumentsFailed, failureReasons)
      job.status = 'COMPLETE';
    } catch (err) {
      job.status = 'FAILED';
      job.failureReasons.push((err as Error).message);
    }
    touch();
  }

  /**
   * A WEB data source's sync: crawl (kb-web.ts), then index the pages like documents, incrementally (a page whose
   * bytes did not change is not indexed again; a page no longer found is removed). Retrieve answers their chunks with
   * `location: {type: 'WEB', webLocation: {url}}` (RetrievalResultLocation:
   * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_RetrievalResultLocation.html ;
   * RetrievalResultWebLocation: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_RetrievalResultWebLocation.html).
   */
  async function runWebJob(kb: KnowledgeBaseRecord, ds: DataSourceRecord, job: IngestionJobRecord): Promise<void> {
    const stats = job.statistics;
    const limits = opts.crawlLimits ?? {};
    const result = await crawl(ds.dataSourceConfiguration.webConfiguration, {
      maxPages: limits.maxPages ?? 200,
      maxBytes: limits.maxBytes ?? KB_LIMITS.fileBytes,
      fetchTimeoutMs: limits.fetchTimeoutMs ?? 15_000,
    });
    job.failureReasons.push(...result.failures);
    stats.numberOfDocumentsFailed += result.failures.length;
    if (result.exceeded) {
      // "If the web pages exceed this limit, the data source sync will fail and no web pages will be ingested"
      // (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_WebCrawlerLimits.html)
      job.status = 'FAILED';
      job.failureReasons.push(result.exceeded);
      return;
    }
    if (result.stopped) job.failureReasons.push(result.stopped);
    const seen = new Set<string>();
    for (const page of result.pages) {
      stats.numberOfDocumentsScanned++;
      const docKey = `web:${page.url}`;
      seen.add(docKey);
      const state = createHash('sha256').update(page.bytes).digest('hex');
      const previous = ds.synced.get(docKey);
      if (previous === state && ds.documents.get(docKey)?.status === 'INDEXED') continue;
      const prev = ds.documents.get(docKey);
      const doc: DocumentRecord = { identifier: { dataSourceType: 'WEB', web: { url: page.url } }, status: 'STARTING', updatedAt: now(), chunkIds: prev?.chunkIds ?? [], version: (prev?.version ?? 0) + 1 };
      ds.documents.set(docKey, doc);
      const ok = await indexDocument(kb, ds, docKey, doc, async () => ({ bytes: page.bytes, format: page.format, what: `The page ${page.url}` }), {}, { type: 'WEB', webLocation: { url: page.url } });
      if (!ok) {
        stats.numberOfDocumentsFailed++;
        job.failureReasons.push(`${page.url}: ${doc.statusReason ?? 'The page could not be indexed.'}`);
        continue;
      }
      ds.synced.set(docKey, state);
      if (previous === undefined) stats.numberOfNewDocumentsIndexed++;
      else stats.numberOfModifiedDocumentsIndexed++;
      job.updatedAt = now();
    }
    // pages no longer found (or now out of scope, filtered or refused by robots.txt) are removed
    for (const docKey of [...ds.synced.keys()]) {
      if (!seen.has(docKey)) {
        dropDocument(kb, ds, docKey);
        ds.synced.delete(docKey);
        stats.numberOfDocumentsDeleted++;
      }
    }
    job.status = 'COMPLETE';
  }

  // --- Retrieve ---

  function retrieve(kb: KnowledgeBaseRecord, body: any) {
    const text = body.retrievalQuery?.text;
    if (typeof text !== 'string' || text.trim().length === 0) throw invalid('retrievalQuery.text is required.');
    const vsc = body.retrievalConfiguration?.vectorSearchConfiguration ?? {};
    const n = vsc.numberOfResults ?? KB_LIMITS.defaultNumberOfResults;
    if (!Number.isInteger(n) || n < 1 || n > KB_LIMITS.numberOfResultsMax) throw invalid('numberOfResults must be between 1 and 100.');
    // "For other vector store configurations, only SEMANTIC search is available" (HYBRID needs OpenSearch
    // Serverless with a filterable text field: the KnowledgeBaseVectorSearchConfiguration page above)
    if (vsc.overrideSearchType !== undefined && vsc.overrideSearchType !== 'HYBRID' && vsc.overrideSearchType !== 'SEMANTIC') throw invalid('overrideSearchType must be HYBRID or SEMANTIC.');
    if (vsc.overrideSearchType === 'HYBRID' && kb.storageConfiguration?.type !== 'OPENSEARCH_SERVERLESS' && kb.storageConfiguration?.type !== 'OPENSEARCH_MANAGED_CLUSTER') {
      throw invalid(`HYBRID search is not supported for a ${String(kb.storageConfiguration?.type)} vector store.`);
    }
    const store = kb.storageConfiguration?.type === 'S3_VECTORS' ? 'S3_VECTORS' : 'OTHER';
    if (vsc.filter !== undefined) {
      const e = retrievalFilterError(vsc.filter, store);
      if (e) throw invalid(e);
    }
    const filter = vsc.filter as RetrievalFilter | undefined;
    const chunks = chunkStore.get(kb.knowledgeBaseId) ?? new Map<string, IndexedChunk>();
    const oss = ossRef(kb);
    if (oss) return { retrievalResults: retrieveFromOpenSearch(kb, oss, text, n, vsc.overrideSearchType === 'HYBRID', filter, chunks) };
    // the filter is applied to every chunk before ranking (ENHANCED pre-filtering): the results come only from matches
    const hits = kb.index.search(text, {
      prefix: true,
      fuzzy: 0.2,
      combineWith: 'OR',
      filter: (r) => {
        const c = chunks.get(r.id as string);
        return !!c && (!filter || matchesRetrievalFilter(c.metadata, filter));
      },
    });
    const results: any[] = [];
    const returned = new Set<string>();
    for (const h of hits) {
      const c = chunks.get(h.id as string)!;
      if (returned.has(c.returnedId)) continue;
      returned.add(c.returnedId);
      results.push({
        content: { type: 'TEXT', text: c.returnedText },
        location: c.location,
        // a relative score in (0, 1): MiniSearch's BM25 score s as s / (1 + s)
        score: h.score / (1 + h.score),
        metadata: c.metadata,
      });
      if (results.length >= n) break;
    }
    return { retrievalResults: results };
  }

  /**
   * Retrieve on OpenSearch Serverless: a knn query on the vector field (SEMANTIC), or a hybrid query of a match on the
   * text field and the knn query (HYBRID), the filter applied during the search (faiss; nmslib refuses filters, see
   * opensearch-serverless.ts). The query is embedded as the chunks were.
   */
  function retrieveFromOpenSearch(kb: KnowledgeBaseRecord, oss: NonNullable<ReturnType<typeof ossRef>>, text: string, n: number, hybrid: boolean,
    filter: RetrievalFilter | undefined, chunks: Map<string, IndexedChunk>) {
    // Bedrock puts the filter inside the knn query; here the filter itself is the predicate below (the RetrievalFilter
    // evaluated on the chunk's metadata), and the knn query carries a filter clause so that the engine check applies
    const inKnn = filter ? { filter: { match_all: {} } } : {};
    const knn = { knn: { [oss.fields.vectorField]: { vector: embed(text, kb.dimension), k: n * 4, ...inKnn } } };
    const query = hybrid ? { hybrid: { queries: [{ match: { [oss.fields.textField]: { query: text } } }, knn] } } : knn;
    const predicate = filter ? (s: Source) => { const c = chunks.get(String(s['x-amz-bedrock-kb-chunk-id'])); return !!c && matchesRetrievalFilter(c.metadata, filter); } : undefined;
    let hits;
    try {
      hits = opts.opensearch!.search(oss.collection, oss.index, { size: n * 4, query }, predicate);
    } catch (err) {
      if (err instanceof OssError) throw invalid(`The OpenSearch Serverless index refused the search: ${err.message}`);
      throw err;
    }
    const results: any[] = [];
    const returned = new Set<string>();
    for (const h of hits) {
      const c = chunks.get(h.id);
      if (!c || returned.has(c.returnedId)) continue;
      returned.add(c.returnedId);
      results.push({ content: { type: 'TEXT', text: c.returnedText }, location: c.location, score: h.score, metadata: c.metadata });
      if (results.length >= n) break;
    }
    return results;
  }

  // --- the server ---

  type Route = { method: string; re: RegExp; run: (m: RegExpExecArray, body: any) => [number, unknown] | Promise<[number, unknown]> };
  const seg = '([^/]+)';
  const routes: Route[] = [
    {
      method: 'PUT',
      re: /^\/knowledgebases\/?$/,
      run: (_m, body) => idempotent(body, 'CreateKnowledgeBase', () => {
        validateKnowledgeBase(body);
        const kb = newKb(body, id10());
        kbs.set(kb.knowledgeBaseId, kb);
        // CREATING, then ACTIVE: callers poll GetKnowledgeBase, as with Bedrock
        if (holding) held.push(kb);
        else activateSoon(kb);
        return [202, { knowledgeBase: kbView(kb) }];
      }),
    },
    { method: 'POST', re: /^\/knowledgebases\/?$/, run: () => [200, { knowledgeBaseSummaries: [...kbs.values()].filter((k) => k.status !== 'DELETING').map((k) => ({ knowledgeBaseId: k.knowledgeBaseId, name: k.name, description: k.description, status: k.status, updatedAt: k.updatedAt })) }] },
    { method: 'GET', re: new RegExp(`^/knowledgebases/${seg}$`), run: (m) => [200, { knowledgeBase: kbView(getKb(decodeURIComponent(m[1]))) }] },
    {
      method: 'DELETE',
      re: new RegExp(`^/knowledgebases/${seg}$`),
      run: (m) => {
        const kb = getKb(decodeURIComponent(m[1]));
        for (const ds of kb.dataSources.values()) if (ds.dataDeletionPolicy === 'DELETE') for (const key of [...ds.documents.keys()]) dropDocument(kb, ds, key);
        kb.status = 'DELETING';
        setTimeout(() => kbs.delete(kb.knowledgeBaseId), 10);
        return [202, { knowledgeBaseId: kb.knowledgeBaseId, status: 'DELETING' }];
      },
    },
    {
      method: 'PUT',
      re: new RegExp(`^/knowledgebases/${seg}/datasources/?$`),
      run: (m, body) => idempotent(body, `CreateDataSource ${m[1]}`, () => {
        const kb = getKb(decodeURIComponent(m[1]));
        validateDataSource(body);
        if (kb.dataSources.size >= 5) throw new KbError('ServiceQuotaExceededException', 402, 'A knowledge base has at most 5 data sources.');
        const ds = newDs(kb.knowledgeBaseId, body, id10());
        kb.dataSources.set(ds.dataSourceId, ds);
        return [200, { dataSource: dsView(ds) }];
      }),
    },
    { method: 'POST', re: new RegExp(`^/knowledgebases/${seg}/datasources/?$`), run: (m) => [200, { dataSourceSummaries: [...getKb(decodeURIComponent(m[1])).dataSources.values()].map((d) => ({ knowledgeBaseId: d.knowledgeBaseId, dataSourceId: d.dataSourceId, name: d.name, status: d.status, updatedAt: d.updatedAt })) }] },
    { method: 'GET', re: new RegExp(`^/knowledgebases/${seg}/datasources/${seg}$`), run: (m) => [200, { dataSource: dsView(getDs(getKb(decodeURIComponent(m[1])), decodeURIComponent(m[2]))) }] },
    {
      method: 'DELETE',
      re: new RegExp(`^/knowledgebases/${seg}/datasources/${seg}$`),
      run: (m) => {
        const kb = getKb(decodeURIComponent(m[1]));
        const ds = getDs(kb, decodeURIComponent(m[2]));
        if (ds.dataDeletionPolicy === 'DELETE') for (const key of [...ds.documents.keys()]) dropDocument(kb, ds, key);
        ds.status = 'DELETING';
        kb.dataSources.delete(ds.dataSourceId);
        return [202, { knowledgeBaseId: kb.knowledgeBaseId, dataSourceId: ds.dataSourceId, status: 'DELETING' }];
      },
    },
    {
      method: 'PUT',
      re: new RegExp(`^/knowledgebases/${seg}/datasources/${seg}/documents$`),
      run: (m, body) => idempotent(body, `Ingest ${m[1]} ${m[2]}`, () => {
        const kb = getKb(decodeURIComponent(m[1]));
        const ds = getDocDs(kb, decodeURIComponent(m[2]));
        return [202, { documentDetails: ingest(kb, ds, body) }];
      }),
    },
    {
      method: 'POST',
      re: new RegExp(`^/knowledgebases/${seg}/datasources/${seg}/documents/deleteDocuments$`),
      run: (m, body) => {
        const kb = getKb(decodeURIComponent(m[1]));
        const ds = getDocDs(kb, decodeURIComponent(m[2]));
        const ids = body.documentIdentifiers;
        if (!Array.isArray(ids) || ids.length < 1 || ids.length > KB_LIMITS.documentsPerIngest) throw invalid('documentIdentifiers takes 1 to 25 identifiers.');
        const keys = ids.map((i: any) => identifierKey(ds, i));
        return [202, {
          documentDetails: keys.map((key: string, i: number) => {
            const doc = ds.documents.get(key);
            const identifier = ids[i];
            if (!doc) return { knowledgeBaseId: kb.knowledgeBaseId, dataSourceId: ds.dataSourceId, status: 'NOT_FOUND', identifier, updatedAt: now() };
            dropDocument(kb, ds, key);
            return { knowledgeBaseId: kb.knowledgeBaseId, dataSourceId: ds.dataSourceId, status: 'DELETING', identifier: doc.identifier, updatedAt: now() };
          }),
        }];
      },
    },
    {
      method: 'POST',
      re: new RegExp(`^/knowledgebases/${seg}/datasources/${seg}/documents/getDocuments$`),
      run: (m, body) => {
        const kb = getKb(decodeURIComponent(m[1]));
        const ds = getDocDs(kb, decodeURIComponent(m[2]));
        const ids = body.documentIdentifiers;
        if (!Array.isArray(ids) || ids.length < 1 || ids.length > KB_LIMITS.documentsPerIngest) throw invalid('documentIdentifiers takes 1 to 25 identifiers.');
        return [200, {
          documentDetails: ids.map((i: any) => {
            const doc = ds.documents.get(identifierKey(ds, i));
            return doc ? detail(ds, doc) : { knowledgeBaseId: kb.knowledgeBaseId, dataSourceId: ds.dataSourceId, status: 'NOT_FOUND', identifier: i, updatedAt: now() };
          }),
        }];
      },
    },
    {
      method: 'POST',
      re: new RegExp(`^/knowledgebases/${seg}/datasources/${seg}/documents$`),
      run: (m, body) => {
        const kb = getKb(decodeURIComponent(m[1]));
        const ds = getDocDs(kb, decodeURIComponent(m[2]));
        const max = body.maxResults ?? 1000;
        if (!Number.isInteger(max) || max < 1 || max > 1000) throw invalid('maxResults must be between 1 and 1000.');
        const all = [...ds.documents.values()];
        const from = body.nextToken ? Number(Buffer.from(String(body.nextToken), 'base64url').toString()) || 0 : 0;
        const page = all.slice(from, from + max).map((d) => detail(ds, d));
        return [200, { documentDetails: page, ...(from + max < all.length ? { nextToken: Buffer.from(String(from + max)).toString('base64url') } : {}) }];
      },
    },
    {
      method: 'PUT',
      re: new RegExp(`^/knowledgebases/${seg}/datasources/${seg}/ingestionjobs/?$`),
      run: (m, body) => idempotent(body, `StartIngestionJob ${m[1]} ${m[2]}`, () => {
        const kb = getKb(decodeURIComponent(m[1]));
        const ds = getDs(kb, decodeURIComponent(m[2]));
        // one ingestion job at a time per data source
        if ([...ds.jobs.values()].some((j) => j.status === 'STARTING' || j.status === 'IN_PROGRESS' || j.status === 'STOPPING')) {
          throw conflict('An ingestion job is already running for this data source.');
        }
        const ts = now();
        const job: IngestionJobRecord = {
          knowledgeBaseId: kb.knowledgeBaseId,
          dataSourceId: ds.dataSourceId,
          ingestionJobId: id10(),
          description: body.description,
          status: 'STARTING',
          statistics: Object.fromEntries(STATISTICS.map((k) => [k, 0])),
          failureReasons: [],
          startedAt: ts,
          updatedAt: ts,
        };
        ds.jobs.set(job.ingestionJobId, job);
        const view = structuredClone(job);
        void track(runJob(kb, ds, job));
        return [202, { ingestionJob: view }];
      }),
    },
    {
      method: 'GET',
      re: new RegExp(`^/knowledgebases/${seg}/datasources/${seg}/ingestionjobs/${seg}$`),
      run: (m) => {
        const ds = getDs(getKb(decodeURIComponent(m[1])), decodeURIComponent(m[2]));
        const job = ds.jobs.get(decodeURIComponent(m[3]));
        if (!job) throw notFound(`Ingestion job ${m[3]} does not exist.`);
        return [200, { ingestionJob: { ...job, failureReasons: job.failureReasons.length ? job.failureReasons.slice(0, 2048) : undefined } }];
      },
    },
    { method: 'POST', re: new RegExp(`^/knowledgebases/${seg}/retrieve$`), run: (m, body) => [200, retrieve(getKb(decodeURIComponent(m[1])), body)] },
  ];

  /** A clientToken seen before with the same request answers the first answer; with another request, a ConflictException. */
  function idempotent(body: any, op: string, run: () => [number, unknown]): [number, unknown] {
    const token = body?.clientToken;
    if (typeof token !== 'string') return run();
    const hash = createHash('sha256').update(op + JSON.stringify({ ...body, clientToken: undefined })).digest('hex');
    const seen = tokens.get(`${op}\0${token}`);
    if (seen) {
      if (seen.hash !== hash) throw conflict('The client token was used with a different request.');
      return [202, seen.response];
    }
    const out = run();
    tokens.set(`${op}\0${token}`, { hash, response: out[1] });
    return out;
  }

  const server: Server = createServer((req, res) => void handle(req, res));
  const h2 = http2.createServer((req, res) => void handle(req, res));
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  async function handle(req: IncomingMessage | http2.Http2ServerRequest, res: ServerResponse | http2.Http2ServerResponse): Promise<void> {
    const send = (status: number, body: unknown, errorType?: string) => {
      const json = JSON.stringify(body ?? {});
      res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
      res.end(json);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://local');
      const raw = await readBody(req);
      let body: any = {};
      if (raw.length) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw invalid('The request body is not valid JSON.');
        }
      }
      for (const r of routes) {
        if (r.method !== req.method) continue;
        const m = r.re.exec(url.pathname);
        if (!m) continue;
        const [status, out] = await r.run(m, body);
        return send(status, out);
      }
      throw new KbError('UnknownOperationException', 404, `The local knowledge base does not implement ${req.method} ${url.pathname}.`);
    } catch (err) {
      if (err instanceof KbError) return send(err.status, { message: err.message }, err.errorType);
      return send(500, { message: (err as Error).message }, 'InternalServerException');
    }
  }
  const port = await listenLoopback(server);
  const h2port = await listenLoopback(h2);
  let stopped: Promise<void> | undefined;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    runtimeEndpoint: `http://127.0.0.1:${h2port}`,
    addKnowledgeBase(def) {
      validateKnowledgeBase(def, def.standIn === true);
      const kb = newKb(def, def.knowledgeBaseId);
      kb.standIn = def.standIn === true;
      kb.status = 'ACTIVE';
      kbs.set(kb.knowledgeBaseId, kb);
      return kb.knowledgeBaseId;
    },
    hasKnowledgeBase: (id) => kbs.has(id) && kbs.get(id)!.status !== 'DELETING',
    holdCreating(hold) {
      holding = hold;
      if (!hold) held.splice(0).forEach(activateSoon);
    },
    addDataSource(def) {
      const kb = getKb(def.knowledgeBaseId);
      validateDataSource(def);
      const ds = newDs(kb.knowledgeBaseId, def, def.dataSourceId);
      kb.dataSources.set(ds.dataSourceId, ds);
      return ds.dataSourceId;
    },
    async idle() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    stop: () => {
      stopped ??= Promise.all([
        closeServer(server),
        new Promise<void>((resolve) => {
          h2.close(() => resolve());
          for (const session of sessions) session.destroy();
        }),
      ]).then(() => undefined);
      return stopped;
    },
  };
}

/** An S3Reader over an S3 client (the local stack's s3rver). */
export function s3Reader(client: import('@aws-sdk/client-s3').S3Client): S3Reader {
  // loaded lazily: the emulator itself does not need the S3 client
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const s3 = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
  return {
    async list(bucket, prefix) {
      const out: Array<{ key: string; etag: string; size: number }> = [];
      let token: string | undefined;
      do {
        const page = await client.send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }));
        for (const o of page.Contents ?? []) out.push({ key: o.Key!, etag: o.ETag ?? '', size: o.Size ?? 0 });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out;
    },
    async get(bucket, key) {
      const r = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await r.Body!.transformToByteArray());
    },
  };
}
