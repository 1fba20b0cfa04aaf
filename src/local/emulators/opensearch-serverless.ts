// src/local runs only in development (playground, tests): its imports are devDependencies.
// Amazon OpenSearch Serverless on loopback: the collections of the local stack and their data plane, as much of the
// OpenSearch REST API as Amazon Bedrock Knowledge Bases use on a vector index: create, get and delete an index with its
// mappings; write, get and delete documents (one by one and `_bulk`); `_delete_by_query`; `_search` with a `knn` query
// (exact nearest neighbours, with a `filter` for the faiss engine), `match`, `bool`/`term`/`terms`/`range`/`exists`
// and `hybrid` (lexical and vector clauses, min-max normalised and combined by arithmetic mean, the normalization
// processor's defaults: https://docs.opensearch.org/docs/search-plugins/search-pipelines/normalization-processor).
// A collection's endpoint is `http://127.0.0.1:PORT/<collection id>`; in AWS it is `https://<id>.<region>.aoss.amazonaws.com`.
// The control plane (CreateCollection, policies) is the local stack's, from the template (moto serves it in tests).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import MiniSearch from 'minisearch';
import { closeServer, listenLoopback, readBody } from './util';

/** An OpenSearch error: `{error: {type, reason}, status}` with the HTTP status. */
export class OssError extends Error {
  constructor(readonly status: number, readonly type: string, message: string) {
    super(message);
  }
}

export type Source = Record<string, unknown>;

export interface OssIndex {
  readonly name: string;
  readonly mappings: { properties: Record<string, any> };
  readonly settings: Record<string, unknown>;
  readonly docs: Map<string, Source>;
}

export interface OssCollection {
  readonly id: string;
  readonly name: string;
  readonly arn: string;
  readonly type: 'SEARCH' | 'TIMESERIES' | 'VECTORSEARCH';
  readonly indexes: Map<string, OssIndex>;
}

export interface OssHit {
  readonly id: string;
  readonly score: number;
  readonly source: Source;
}

/** Collection names: `^[a-z][a-z0-9-]{2,31}$` (https://docs.aws.amazon.com/opensearch-service/latest/ServerlessAPIReference/API_CreateCollection.html). */
const COLLECTION_NAME = /^[a-z][a-z0-9-]{2,31}$/;
/** Index names: `^(?![_-])[a-z][a-z0-9_-]*$` (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-opensearchserverless-index.html). */
const INDEX_NAME = /^(?![_-])[a-z][a-z0-9_-]*$/;
/** knn_vector dimensions: at most 16,000 (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-vector-search.html). */
const MAX_DIMENSION = 16_000;

const badRequest = (type: string, m: string) => new OssError(400, type, m);
const missingIndex = (name: string) => new OssError(404, 'index_not_found_exception', `no such index [${name}]`);

/** The in-memory store behind the server; the local knowledge base writes its chunks into it too. */
export class OpenSearchServerlessStore {
  private readonly collections = new Map<string, OssCollection>();
  constructor(private readonly region: string, private readonly account: string) {}

  /**
   * Creates a collection; its id is the given one (the local stack's, from the template) or derived from the name (AWS
   * draws one at random).
   */
  createCollection(input: { name: string; type?: string; id?: string }): OssCollection {
    if (!COLLECTION_NAME.test(input.name ?? '')) throw badRequest('validation_exception', `Invalid collection name "${input.name}": 3-32 lowercase letters, digits and hyphens, starting with a letter.`);
    const type = (input.type ?? 'SEARCH') as OssCollection['type'];
    if (!['SEARCH', 'TIMESERIES', 'VECTORSEARCH'].includes(type)) throw badRequest('validation_exception', `Invalid collection type ${type}.`);
    if ([...this.collections.values()].some((c) => c.name === input.name)) throw new OssError(409, 'conflict_exception', `A collection named ${input.name} already exists.`);
    const id = input.id ?? createHash('sha256').update(`${this.account}/${this.region}/${input.name}`).digest('hex').replace(/[^a-z]/g, '').padEnd(20, 'a').slice(0, 20);
    const c: OssCollection = { id, name: input.name, arn: `arn:aws:aoss:${this.region}:${this.account}:collection/${id}`, type, indexes: new Map() };
    this.collections.set(id, c);
    return c;
  }

  /** A collection by id, ARN or name. */
  collection(ref: string): OssCollection {
    const id = ref.startsWith('arn:') ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
    const c = this.collections.get(id) ?? [...this.collections.values()].find((x) => x.name === ref);
    if (!c) throw new OssError(404, 'resource_not_found_exception', `Collection ${ref} does not exist.`);
    return c;
  }

  deleteCollection(ref: string): void {
    this.collections.delete(this.collection(ref).id);
  }

  createIndex(collection: string, name: string, body: { mappings?: any; settings?: any } = {}): OssIndex {
    const c = this.collection(collection);
    if (!INDEX_NAME.test(name ?? '')) throw badRequest('invalid_index_name_exception', `Invalid index name [${name}], must be lowercase, start with a letter, and contain only letters, digits, hyphens and underscores`);
    if (c.indexes.has(name)) throw badRequest('resource_already_exists_exception', `index [${name}] already exists`);
    const properties: Record<string, any> = { ...(body.mappings?.properties ?? {}) };
    const settings = (body.settings ?? {}) as any;
    const knn = settings.index?.knn ?? settings['index.knn'] ?? settings.knn;
    for (const [field, m] of Object.entries(properties)) {
      if (!m || typeof m.type !== 'string') throw badRequest('mapper_parsing_exception', `No type specified for field [${field}]`);
      if (m.type === 'knn_vector') {
        if (!Number.isInteger(m.dimension) || m.dimension < 1 || m.dimension > MAX_DIMENSION) throw badRequest('mapper_parsing_exception', `Dimension value must be between 1 and ${MAX_DIMENSION} for [${field}]`);
        // a knn_vector field needs the index's knn setting (https://docs.opensearch.org/docs/search-plugins/knn/knn-index/)
        if (knn !== true && knn !== 'true') throw badRequest('mapper_parsing_exception', `Cannot create index with knn_vector field [${field}] because the index setting index.knn is not true`);
        const engine = m.method?.engine ?? 'faiss';
        if (!['faiss', 'nmslib', 'lucene'].includes(engine)) throw badRequest('mapper_parsing_exception', `Invalid engine [${engine}] for [${field}]`);
      }
    }
    const index: OssIndex = { name, mappings: { properties }, settings, docs: new Map() };
    c.indexes.set(name, index);
    return index;
  }

  index(collection: string, name: string): OssIndex {
    const i = this.collection(collection).indexes.get(name);
    if (!i) throw missingIndex(name);
    return i;
  }

  deleteIndex(collection: string, name: string): void {
    const c = this.collection(collection);
    if (!c.indexes.delete(name)) throw missingIndex(name);
  }

  /** Writes a document; fields the mapping lacks are added as dynamic mapping would (strings: text). */
  putDocument(collection: string, name: string, id: string, source: Source): 'created' | 'updated' {
    const index = this.index(collection, name);
    if (!source || typeof source !== 'object' || Array.isArray(source)) throw badRequest('mapper_parsing_exception', 'The document must be a JSON object.');
    for (const [field, value] of Object.entries(source)) {
      const m = index.mappings.properties[field];
      if (m?.type === 'knn_vector') {
        if (!Array.isArray(value) || value.length !== m.dimension || value.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
          throw badRequest('mapper_parsing_exception', `Vector dimension mismatch. Expected: ${m.dimension}, Given: ${Array.isArray(value) ? value.length : 'not an array'} (field [${field}])`);
        }
      } else if (!m) {
        index.mappings.properties[field] = dynamicMapping(value);
      }
    }
    const existed = index.docs.has(id);
    index.docs.set(id, JSON.parse(JSON.stringify(source)));
    return existed ? 'updated' : 'created';
  }

  deleteDocument(collection: string, name: string, id: string): boolean {
    return this.index(collection, name).docs.delete(id);
  }

  deleteByQuery(collection: string, name: string, query: unknown): number {
    const index = this.index(collection, name);
    const match = predicateOf(query ?? { match_all: {} });
    let deleted = 0;
    for (const [id, doc] of [...index.docs]) if (match(doc)) { index.docs.delete(id); deleted++; }
    return deleted;
  }

  /**
   * `_search`: `knn`, `hybrid`, `match` and the filter queries; `filter` narrows any of them further (the local
   * knowledge base passes its RetrievalFilter as a predicate here).
   */
  search(collection: string, name: string, body: any, filter?: (s: Source) => boolean): OssHit[] {
    const index = this.index(collection, name);
    const size = Number.isInteger(body?.size) ? body.size : 10;
    const query = body?.query ?? { match_all: {} };
    const hits = this.scored(index, query, filter ?? (() => true));
    return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, size);
  }

  private scored(index: OssIndex, query: any, filter: (s: Source) => boolean): OssHit[] {
    const docs = [...index.docs].filter(([, s]) => filter(s));
    if (query.hybrid) {
      const q = query.hybrid;
      if (!Array.isArray(q.queries) || q.queries.length < 1 || q.queries.length > 5) throw badRequest('parsing_exception', 'hybrid query takes 1 to 5 queries');
      const narrowed = q.filter ? (s: Source) => filter(s) && predicateOf(q.filter)(s) : filter;
      const clauses = q.queries.map((sub: any) => this.scored(index, sub, narrowed));
      const combined = new Map<string, { source: Source; sum: number }>();
      for (const hits of clauses) {
        const scores = hits.map((h: OssHit) => h.score);
        const lo = Math.min(...scores);
        const hi = Math.max(...scores);
        for (const h of hits as OssHit[]) {
          // min_max: (s - min) / (max - min), a lone or uniform clause scores 1; documents a clause did not return add 0
          const n = hi === lo ? 1 : (h.score - lo) / (hi - lo);
          const e = combined.get(h.id) ?? { source: h.source, sum: 0 };
          e.sum += n;
          combined.set(h.id, e);
        }
      }
      return [...combined].map(([id, e]) => ({ id, source: e.source, score: e.sum / clauses.length }));
    }
    if (query.knn) {
      const [field, spec] = Object.entries(query.knn)[0] as [string, any];
      const m = index.mappings.properties[field];
      if (m?.type !== 'knn_vector') throw badRequest('query_shard_exception', `Field '${field}' is not knn_vector type.`);
      if (!Array.isArray(spec?.vector) || spec.vector.length !== m.dimension) throw badRequest('query_shard_exception', `Query vector has invalid dimension: ${spec?.vector?.length}. Dimension should be: ${m.dimension}`);
      const engine = m.method?.engine ?? 'faiss';
      // Filtering during the vector search works with faiss and lucene, not nmslib
      // (https://docs.opensearch.org/docs/search-plugins/knn/filter-search-knn/ ; Bedrock: "faiss is needed for metadata
      // filtering", https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-base-ingest.html)
      if (spec.filter && engine === 'nmslib') throw badRequest('query_shard_exception', 'Engine [NMSLIB] does not support filters');
      const k = Number.isInteger(spec.k) ? spec.k : 10;
      const within = spec.filter ? predicateOf(spec.filter) : () => true;
      const space = m.method?.space_type ?? m.method?.spaceType ?? 'l2';
      return docs.filter(([, s]) => Array.isArray(s[field]) && within(s))
        .map(([id, s]) => ({ id, source: s, score: knnScore(space, spec.vector, s[field] as number[]) }))
        .sort((a, b) => b.score - a.score).slice(0, k);
    }
    if (query.match || query.multi_match) {
      const [field, spec] = query.match ? Object.entries(query.match)[0] as [string, any] : [query.multi_match.fields?.[0], query.multi_match];
      const text = typeof spec === 'string' ? spec : spec?.query;
      if (typeof text !== 'string') throw badRequest('parsing_exception', '[match] query needs a query text');
      const m = index.mappings.properties[field];
      if (m && m.type === 'text' && m.index === false) throw badRequest('query_shard_exception', `failed to create query: Cannot search on field [${field}] since it is not indexed.`);
      const ms = new MiniSearch<{ id: string; t: string }>({ fields: ['t'], idField: 'id' });
      ms.addAll(docs.filter(([, s]) => typeof s[field] === 'string').map(([id, s]) => ({ id, t: s[field] as string })));
      const byId = new Map(docs);
      return ms.search(text, { combineWith: 'OR' }).map((r) => ({ id: String(r.id), source: byId.get(String(r.id))!, score: r.score }));
    }
    const match = predicateOf(query);
    return docs.filter(([, s]) => match(s)).map(([id, s]) => ({ id, source: s, score: 1 }));
  }
}

/** knn scores of OpenSearch's spaces: l2 1 / (1 + d²), cosinesimil (1 + cos) / 2, innerproduct as OpenSearch rescales it. */
function knnScore(space: string, q: number[], v: number[]): number {
  if (space === 'cosinesimil') {
    let dot = 0; let nq = 0; let nv = 0;
    for (let i = 0; i < q.length; i++) { dot += q[i] * v[i]; nq += q[i] * q[i]; nv += v[i] * v[i]; }
    return (1 + (nq && nv ? dot / Math.sqrt(nq * nv) : 0)) / 2;
  }
  if (space === 'innerproduct') {
    const dot = q.reduce((a, x, i) => a + x * v[i], 0);
    return dot >= 0 ? dot + 1 : 1 / (1 - dot);
  }
  const d = q.reduce((a, x, i) => a + (x - v[i]) ** 2, 0);
  return 1 / (1 + d);
}

function dynamicMapping(value: unknown): any {
  if (typeof value === 'string') return { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'long' : 'float' };
  if (typeof value === 'boolean') return { type: 'boolean' };
  if (Array.isArray(value)) return dynamicMapping(value[0] ?? '');
  return { type: 'object' };
}

/** The value(s) of a field, `x.keyword` read as `x`. */
function valuesOf(s: Source, field: string): unknown[] {
  const v = s[field.replace(/\.keyword$/, '')];
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

/** A filter query (`match_all`, `term`, `terms`, `range`, `exists`, `match`, `bool`) as a predicate on a document. */
export function predicateOf(q: any): (s: Source) => boolean {
  if (!q || typeof q !== 'object') throw badRequest('parsing_exception', 'query must be an object');
  const [kind, spec] = Object.entries(q)[0] ?? [];
  switch (kind) {
    case 'match_all': return () => true;
    case 'term': {
      const [field, v] = Object.entries(spec as object)[0];
      const value = v && typeof v === 'object' ? (v as any).value : v;
      return (s) => valuesOf(s, field).some((x) => x === value);
    }
    case 'terms': {
      const [field, list] = Object.entries(spec as object)[0];
      if (!Array.isArray(list)) throw badRequest('parsing_exception', '[terms] query takes a list');
      return (s) => valuesOf(s, field).some((x) => list.includes(x));
    }
    case 'range': {
      const [field, r] = Object.entries(spec as object)[0] as [string, any];
      return (s) => valuesOf(s, field).some((x: any) => (r.gt === undefined || x > r.gt) && (r.gte === undefined || x >= r.gte)
        && (r.lt === undefined || x < r.lt) && (r.lte === undefined || x <= r.lte));
    }
    case 'exists': return (s) => valuesOf(s, (spec as any).field).length > 0;
    case 'match': {
      const [field, v] = Object.entries(spec as object)[0];
      const words = String(v && typeof v === 'object' ? (v as any).query : v).toLowerCase().split(/\W+/).filter(Boolean);
      return (s) => valuesOf(s, field).some((x) => words.some((w) => String(x).toLowerCase().split(/\W+/).includes(w)));
    }
    case 'bool': {
      const b = spec as any;
      const list = (x: unknown) => (x === undefined ? [] : Array.isArray(x) ? x : [x]).map(predicateOf);
      const must = [...list(b.must), ...list(b.filter)];
      const should = list(b.should);
      const not = list(b.must_not);
      const min = b.minimum_should_match ?? (must.length === 0 && should.length > 0 ? 1 : 0);
      return (s) => must.every((p) => p(s)) && !not.some((p) => p(s)) && should.filter((p) => p(s)).length >= min;
    }
    default: throw badRequest('parsing_exception', `unknown query [${kind}] (the local OpenSearch Serverless emulator supports match_all, term, terms, range, exists, match, bool, knn, hybrid)`);
  }
}

export interface OpenSearchServerlessEmulator {
  /** The data plane's base URL; a collection's endpoint is `${endpoint}/${collection id}`. */
  readonly endpoint: string;
  readonly store: OpenSearchServerlessStore;
  /** The endpoint of a collection (what `CollectionEndpoint` resolves to locally). */
  collectionEndpoint(collectionId: string): string;
  stop(): Promise<void>;
}

export async function startOpenSearchServerlessEmulator(
  opts: { region?: string; account?: string; store?: OpenSearchServerlessStore } = {},
): Promise<OpenSearchServerlessEmulator> {
  const store = opts.store ?? new OpenSearchServerlessStore(opts.region ?? 'us-east-1', opts.account ?? '000000000000');
  const server: Server = createServer((req, res) => void handle(store, req, res));
  const port = await listenLoopback(server);
  const endpoint = `http://127.0.0.1:${port}`;
  return { endpoint, store, collectionEndpoint: (id) => `${endpoint}/${id}`, stop: () => closeServer(server) };
}

async function handle(store: OpenSearchServerlessStore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
  };
  try {
    const [path] = (req.url ?? '').split('?');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const raw = (await readBody(req)).toString('utf8');
    const json = () => {
      try {
        return raw.trim() ? JSON.parse(raw) : {};
      } catch {
        throw badRequest('parsing_exception', 'The request body is not valid JSON.');
      }
    };
    const [collection, index, op, id] = parts;
    if (!collection) throw badRequest('illegal_argument_exception', 'The path names no collection.');
    const c = store.collection(collection);
    const m = req.method ?? 'GET';
    if (index === '_bulk' || op === '_bulk') return send(200, bulk(store, c.id, op === '_bulk' ? index : undefined, raw));
    if (!index) throw badRequest('illegal_argument_exception', 'The path names no index.');
    if (op === undefined) {
      if (m === 'PUT') { store.createIndex(c.id, index, json()); return send(200, { acknowledged: true, shards_acknowledged: true, index }); }
      if (m === 'DELETE') { store.deleteIndex(c.id, index); return send(200, { acknowledged: true }); }
      if (m === 'GET' || m === 'HEAD') {
        const i = store.index(c.id, index);
        return send(200, { [index]: { aliases: {}, mappings: i.mappings, settings: i.settings } });
      }
    }
    if (op === '_mapping' && m === 'GET') return send(200, { [index]: { mappings: store.index(c.id, index).mappings } });
    if (op === '_search' && (m === 'POST' || m === 'GET')) {
      const hits = store.search(c.id, index, json());
      return send(200, {
        took: 1,
        timed_out: false,
        hits: { total: { value: hits.length, relation: 'eq' }, max_score: hits[0]?.score ?? null, hits: hits.map((h) => ({ _index: index, _id: h.id, _score: h.score, _source: h.source })) },
      });
    }
    if (op === '_delete_by_query' && m === 'POST') {
      const deleted = store.deleteByQuery(c.id, index, json().query);
      return send(200, { took: 1, timed_out: false, total: deleted, deleted, failures: [] });
    }
    if (op === '_doc') {
      if ((m === 'PUT' || m === 'POST') && (id || m === 'POST')) {
        const docId = id ?? createHash('sha256').update(`${Date.now()}${Math.random()}`).digest('hex').slice(0, 20);
        const result = store.putDocument(c.id, index, docId, json());
        return send(result === 'created' ? 201 : 200, { _index: index, _id: docId, result });
      }
      if (m === 'GET' && id) {
        const doc = store.index(c.id, index).docs.get(id);
        return send(doc ? 200 : 404, { _index: index, _id: id, found: !!doc, ...(doc ? { _source: doc } : {}) });
      }
      if (m === 'DELETE' && id) {
        const found = store.deleteDocument(c.id, index, id);
        return send(found ? 200 : 404, { _index: index, _id: id, result: found ? 'deleted' : 'not_found' });
      }
    }
    throw badRequest('illegal_argument_exception', `The local OpenSearch Serverless emulator does not implement ${m} ${path}.`);
  } catch (err) {
    if (err instanceof OssError) {
      const error = { root_cause: [{ type: err.type, reason: err.message }], type: err.type, reason: err.message };
      return send(err.status, { error, status: err.status });
    }
    return send(500, { error: { type: 'internal_error', reason: (err as Error).message }, status: 500 });
  }
}

/** `_bulk`: NDJSON action and source lines (index, create, delete); each item's result, `errors` when one failed. */
function bulk(store: OpenSearchServerlessStore, collection: string, defaultIndex: string | undefined, raw: string) {
  const lines = raw.split('\n').filter((l) => l.trim());
  const items: unknown[] = [];
  let errors = false;
  for (let i = 0; i < lines.length; i++) {
    let action: any;
    try {
      action = JSON.parse(lines[i]);
    } catch {
      throw badRequest('parsing_exception', `Malformed action/metadata line [${i + 1}]`);
    }
    const [kind, meta] = Object.entries(action)[0] as [string, any];
    const index = meta?._index ?? defaultIndex;
    try {
      if (kind === 'delete') {
        const found = store.deleteDocument(collection, index, meta._id);
        items.push({ delete: { _index: index, _id: meta._id, status: found ? 200 : 404, result: found ? 'deleted' : 'not_found' } });
        continue;
      }
      if (kind !== 'index' && kind !== 'create') throw badRequest('illegal_argument_exception', `Unknown bulk action [${kind}]`);
      const source = JSON.parse(lines[++i] ?? 'null');
      const id = meta?._id ?? createHash('sha256').update(`${Date.now()}${i}${Math.random()}`).digest('hex').slice(0, 20);
      if (kind === 'create' && store.index(collection, index).docs.has(id)) throw new OssError(409, 'version_conflict_engine_exception', `[${id}]: version conflict, document already exists`);
      const result = store.putDocument(collection, index, id, source);
      items.push({ [kind]: { _index: index, _id: id, status: result === 'created' ? 201 : 200, result } });
    } catch (err) {
      if (!(err instanceof OssError)) throw err;
      errors = true;
      items.push({ [kind]: { _index: index, _id: meta?._id, status: err.status, error: { type: err.type, reason: err.message } } });
    }
  }
  return { took: 1, errors, items };
}
