// src/local runs only in development (playground, tests): its imports are devDependencies.
// Amazon S3 Vectors on loopback: the REST-JSON protocol of @aws-sdk/client-s3vectors (every operation is
// `POST /<Operation>` with a JSON body; errors carry `x-amzn-errortype`), with exact (brute-force) nearest-neighbour
// search, metadata filters and the documented limits
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_S3_Vectors.html ;
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-limitations.html).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { FilterError, matchesS3VectorsFilter, type Metadata } from './kb-filter';
import { closeServer, listenLoopback, readBody } from './util';

export interface VectorIndex {
  readonly vectorBucketName: string;
  readonly indexName: string;
  readonly indexArn: string;
  readonly creationTime: number;
  readonly dataType: 'float32';
  readonly dimension: number;
  readonly distanceMetric: 'euclidean' | 'cosine';
  readonly nonFilterableMetadataKeys: string[];
  /**
   * ENHANCED applies the filter before the vector search. "Indexes in vector buckets created before September 30,
   * 2026 use CLASSIC by default" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-index-mode.html):
   * buckets created now default to ENHANCED, which this emulator gives every index.
   */
  readonly indexMode: 'ENHANCED';
  readonly vectors: Map<string, { data: number[]; metadata: Metadata }>;
}

interface VectorBucket {
  readonly name: string;
  readonly arn: string;
  readonly creationTime: number;
  readonly indexes: Map<string, VectorIndex>;
}

/** A documented S3 Vectors error (name and HTTP status from the API reference's Errors sections). */
export class S3VectorsError extends Error {
  constructor(readonly errorType: 'ValidationException' | 'NotFoundException' | 'ConflictException' | 'ServiceQuotaExceededException', message: string) {
    super(message);
  }
  get status(): number {
    return { ValidationException: 400, NotFoundException: 404, ConflictException: 409, ServiceQuotaExceededException: 402 }[this.errorType];
  }
}

/** Limits (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-limitations.html). */
export const S3_VECTORS_LIMITS = {
  dimensionMin: 1,
  dimensionMax: 4096,
  vectorsPerPut: 500,
  keysPerDelete: 500,
  keysPerGet: 100,
  topKMax: 100,
  metadataBytes: 40 * 1024,
  filterableMetadataBytes: 2 * 1024,
  metadataKeys: 50,
  nonFilterableKeys: 10,
};

/** Bucket and index names: 3-63 characters, lowercase letters, digits, hyphens and dots, starting and ending with a letter or digit (CreateVectorBucket / CreateIndex). */
const NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The in-memory store behind the server; the local knowledge base writes its chunks' vectors into it too. */
export class S3VectorsStore {
  private readonly buckets = new Map<string, VectorBucket>();
  constructor(private readonly region: string, private readonly account: string) {}

  bucketArn(name: string): string {
    return `arn:aws:s3vectors:${this.region}:${this.account}:bucket/${name}`;
  }

  createVectorBucket(name: string): string {
    if (!NAME.test(name ?? '')) throw new S3VectorsError('ValidationException', 'Invalid vector bucket name.');
    if (this.buckets.has(name)) throw new S3VectorsError('ConflictException', 'The vector bucket already exists.');
    const arn = this.bucketArn(name);
    this.buckets.set(name, { name, arn, creationTime: Date.now() / 1000, indexes: new Map() });
    return arn;
  }

  private bucket(ref: { vectorBucketName?: string; vectorBucketArn?: string; indexArn?: string }): VectorBucket {
    let name = ref.vectorBucketName;
    const arn = ref.vectorBucketArn ?? ref.indexArn;
    if (!name && arn) name = /:bucket\/([^/]+)/.exec(arn)?.[1];
    if (!name) throw new S3VectorsError('ValidationException', 'Specify the vector bucket by name or ARN.');
    const b = this.buckets.get(name);
    if (!b) throw new S3VectorsError('NotFoundException', 'The specified vector bucket could not be found.');
    return b;
  }

  index(ref: { vectorBucketName?: string; vectorBucketArn?: string; indexName?: string; indexArn?: string }): VectorIndex {
    const b = this.bucket(ref);
    const name = ref.indexName ?? (ref.indexArn ? /\/index\/([^/]+)$/.exec(ref.indexArn)?.[1] : undefined);
    if (!name) throw new S3VectorsError('ValidationException', 'Specify the index by name or ARN.');
    const i = b.indexes.get(name);
    if (!i) throw new S3VectorsError('NotFoundException', 'The specified index could not be found.');
    return i;
  }

  createIndex(req: {
    vectorBucketName?: string;
    vectorBucketArn?: string;
    indexName: string;
    dataType: string;
    dimension: number;
    distanceMetric: string;
    metadataConfiguration?: { nonFilterableMetadataKeys?: string[] };
  }): string {
    const b = this.bucket(req);
    if (!NAME.test(req.indexName ?? '')) throw new S3VectorsError('ValidationException', 'Invalid index name.');
    if (req.dataType !== 'float32') throw new S3VectorsError('ValidationException', 'dataType must be float32.');
    if (!Number.isInteger(req.dimension) || req.dimension < S3_VECTORS_LIMITS.dimensionMin || req.dimension > S3_VECTORS_LIMITS.dimensionMax) {
      throw new S3VectorsError('ValidationException', 'dimension must be between 1 and 4096.');
    }
    if (req.distanceMetric !== 'euclidean' && req.distanceMetric !== 'cosine') throw new S3VectorsError('ValidationException', 'distanceMetric must be euclidean or cosine.');
    const nonFilterable = req.metadataConfiguration?.nonFilterableMetadataKeys ?? [];
    if (nonFilterable.length > S3_VECTORS_LIMITS.nonFilterableKeys) throw new S3VectorsError('ValidationException', 'At most 10 non-filterable metadata keys.');
    if (b.indexes.has(req.indexName)) throw new S3VectorsError('ConflictException', 'The index already exists.');
    const indexArn = `${b.arn}/index/${req.indexName}`;
    b.indexes.set(req.indexName, {
      vectorBucketName: b.name,
      indexName: req.indexName,
      indexArn,
      creationTime: Date.now() / 1000,
      dataType: 'float32',
      dimension: req.dimension,
      distanceMetric: req.distanceMetric,
      nonFilterableMetadataKeys: nonFilterable,
      indexMode: 'ENHANCED',
      vectors: new Map(),
    });
    return indexArn;
  }

  deleteIndex(ref: Parameters<S3VectorsStore['index']>[0]): void {
    const i = this.index(ref);
    this.buckets.get(i.vectorBucketName)!.indexes.delete(i.indexName);
  }

  putVectors(ref: Parameters<S3VectorsStore['index']>[0], vectors: Array<{ key: string; data: { float32?: number[] }; metadata?: Metadata }>): void {
    const i = this.index(ref);
    if (!Array.isArray(vectors) || vectors.length < 1 || vectors.length > S3_VECTORS_LIMITS.vectorsPerPut) {
      throw new S3VectorsError('ValidationException', 'PutVectors takes 1 to 500 vectors.');
    }
    // validate all before writing any
    for (const v of vectors) {
      const data = v.data?.float32;
      if (typeof v.key !== 'string' || v.key.length < 1 || v.key.length > 1024) throw new S3VectorsError('ValidationException', 'Each vector needs a key of 1 to 1024 characters.');
      if (!Array.isArray(data) || data.length !== i.dimension || data.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
        throw new S3VectorsError('ValidationException', `Each vector's data must be ${i.dimension} finite float32 values.`);
      }
      if (i.distanceMetric === 'cosine' && data.every((x) => x === 0)) throw new S3VectorsError('ValidationException', 'A zero vector has no cosine distance.');
      const meta = v.metadata ?? {};
      const keys = Object.keys(meta);
      if (keys.length > S3_VECTORS_LIMITS.metadataKeys) throw new S3VectorsError('ValidationException', 'At most 50 metadata keys per vector.');
      if (Buffer.byteLength(JSON.stringify(meta)) > S3_VECTORS_LIMITS.metadataBytes) throw new S3VectorsError('ValidationException', 'Metadata exceeds 40 KB per vector.');
      const filterable = Object.fromEntries(Object.entries(meta).filter(([k]) => !i.nonFilterableMetadataKeys.includes(k)));
      if (Buffer.byteLength(JSON.stringify(filterable)) > S3_VECTORS_LIMITS.filterableMetadataBytes) {
        throw new S3VectorsError('ValidationException', 'Filterable metadata exceeds 2 KB per vector.');
      }
    }
    for (const v of vectors) i.vectors.set(v.key, { data: v.data.float32!, metadata: v.metadata ?? {} });
  }

  deleteVectors(ref: Parameters<S3VectorsStore['index']>[0], keys: string[]): void {
    const i = this.index(ref);
    if (!Array.isArray(keys) || keys.length < 1 || keys.length > S3_VECTORS_LIMITS.keysPerDelete) throw new S3VectorsError('ValidationException', 'DeleteVectors takes 1 to 500 keys.');
    for (const k of keys) i.vectors.delete(k);
  }

  queryVectors(req: {
    indexName?: string;
    indexArn?: string;
    vectorBucketName?: string;
    topK: number;
    queryVector: { float32?: number[] };
    filter?: Record<string, unknown>;
    returnMetadata?: boolean;
    returnDistance?: boolean;
  }): { vectors: Array<{ key: string; distance?: number; metadata?: Metadata }>; distanceMetric: string } {
    const i = this.index(req);
    if (!Number.isInteger(req.topK) || req.topK < 1 || req.topK > S3_VECTORS_LIMITS.topKMax) throw new S3VectorsError('ValidationException', 'topK must be between 1 and 100.');
    const q = req.queryVector?.float32;
    if (!Array.isArray(q) || q.length !== i.dimension) throw new S3VectorsError('ValidationException', `queryVector must have ${i.dimension} values.`);
    const matches: Array<{ key: string; distance: number; metadata: Metadata }> = [];
    for (const [key, v] of i.vectors) {
      // ENHANCED: the filter applies before the search, so topK results come from the matching vectors only
      if (req.filter) {
        const filterable = Object.fromEntries(Object.entries(v.metadata).filter(([k]) => !i.nonFilterableMetadataKeys.includes(k)));
        try {
          if (!matchesS3VectorsFilter(filterable, req.filter, true)) continue;
        } catch (err) {
          if (err instanceof FilterError) throw new S3VectorsError('ValidationException', err.message);
          throw err;
        }
      }
      matches.push({ key, distance: distance(i.distanceMetric, q, v.data), metadata: v.metadata });
    }
    matches.sort((a, b) => a.distance - b.distance || (a.key < b.key ? -1 : 1));
    return {
      distanceMetric: i.distanceMetric,
      vectors: matches.slice(0, req.topK).map((m) => ({
        key: m.key,
        ...(req.returnDistance ? { distance: m.distance } : {}),
        ...(req.returnMetadata ? { metadata: m.metadata } : {}),
      })),
    };
  }
}

function distance(metric: 'euclidean' | 'cosine', a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let sq = 0;
  for (let k = 0; k < a.length; k++) {
    dot += a[k] * b[k];
    na += a[k] * a[k];
    nb += b[k] * b[k];
    sq += (a[k] - b[k]) ** 2;
  }
  return metric === 'euclidean' ? Math.sqrt(sq) : 1 - dot / (Math.sqrt(na * nb) || 1);
}

export interface S3VectorsEmulator {
  /** `http://127.0.0.1:<port>`: `AWS_ENDPOINT_URL_S3VECTORS` or the client's `endpoint`. */
  readonly endpoint: string;
  readonly store: S3VectorsStore;
  stop(): Promise<void>;
}

export async function startS3VectorsEmulator(opts: { region?: string; account?: string; store?: S3VectorsStore } = {}): Promise<S3VectorsEmulator> {
  const store = opts.store ?? new S3VectorsStore(opts.region ?? 'us-east-1', opts.account ?? '000000000000');
  const server: Server = createServer((req, res) => void handle(store, req, res));
  const port = await listenLoopback(server);
  return { endpoint: `http://127.0.0.1:${port}`, store, stop: () => closeServer(server) };
}

async function handle(store: S3VectorsStore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const send = (status: number, body: unknown, errorType?: string) => {
    res.writeHead(status, { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
    res.end(JSON.stringify(body));
  };
  try {
    const op = (req.url ?? '').split('?')[0].replace(/^\//, '');
    const raw = await readBody(req);
    let body: any;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch {
      throw new S3VectorsError('ValidationException', 'The request body is not valid JSON.');
    }
    if (req.method !== 'POST') throw new S3VectorsError('ValidationException', `Unsupported method ${req.method}.`);
    switch (op) {
      case 'CreateVectorBucket': return send(200, { vectorBucketArn: store.createVectorBucket(body.vectorBucketName) });
      case 'CreateIndex': return send(200, { indexArn: store.createIndex(body) });
      case 'GetIndex': {
        const i = store.index(body);
        return send(200, {
          index: {
            vectorBucketName: i.vectorBucketName,
            indexName: i.indexName,
            indexArn: i.indexArn,
            creationTime: i.creationTime,
            dataType: i.dataType,
            dimension: i.dimension,
            distanceMetric: i.distanceMetric,
            metadataConfiguration: { nonFilterableMetadataKeys: i.nonFilterableMetadataKeys },
          },
        });
      }
      case 'DeleteIndex': store.deleteIndex(body); return send(200, {});
      case 'PutVectors': store.putVectors(body, body.vectors); return send(200, {});
      case 'DeleteVectors': store.deleteVectors(body, body.keys); return send(200, {});
      case 'QueryVectors': return send(200, store.queryVectors(body));
      case 'GetVectors': {
        const i = store.index(body);
        const keys: string[] = body.keys ?? [];
        if (keys.length < 1 || keys.length > S3_VECTORS_LIMITS.keysPerGet) throw new S3VectorsError('ValidationException', 'GetVectors takes 1 to 100 keys.');
        return send(200, {
          vectors: keys.filter((k) => i.vectors.has(k)).map((k) => ({
            key: k,
            ...(body.returnData ? { data: { float32: i.vectors.get(k)!.data } } : {}),
            ...(body.returnMetadata ? { metadata: i.vectors.get(k)!.metadata } : {}),
          })),
        });
      }
      case 'ListVectors': {
        const i = store.index(body);
        const max = Math.min(Number(body.maxResults ?? 500), 1000);
        const keys = [...i.vectors.keys()].sort();
        const from = body.nextToken ? Number(Buffer.from(body.nextToken, 'base64url').toString()) : 0;
        const page = keys.slice(from, from + max);
        return send(200, {
          vectors: page.map((k) => ({ key: k, ...(body.returnMetadata ? { metadata: i.vectors.get(k)!.metadata } : {}) })),
          ...(from + max < keys.length ? { nextToken: Buffer.from(String(from + max)).toString('base64url') } : {}),
        });
      }
      default: throw new S3VectorsError('ValidationException', `The local S3 Vectors emulator does not implement ${op || 'this operation'}.`);
    }
  } catch (err) {
    if (err instanceof S3VectorsError) return send(err.status, { message: err.message }, err.errorType);
    return send(500, { message: (err as Error).message }, 'InternalServerException');
  }
}
