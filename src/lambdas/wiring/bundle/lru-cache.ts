/**
 * Stands in for `mnemonist/lru-cache` in the Lambda bundles only (scripts/bundle-lambda.mjs aliases it here; the
 * TypeScript source keeps the package). Its one user in the bundles is `@aws-sdk/endpoint-cache`, which every DynamoDB
 * client creates for endpoint discovery (`new LRUCache(capacity)`, then get / set / has / peek / clear). mnemonist's
 * cache, with its typed-array linked list and iterators, was about 5 KB of each bundle with a DynamoDB client; this is
 * the same bounded least-recently-used cache on a Map (a Map iterates in insertion order, so its first key is the
 * least recently used one when every read re-inserts).
 */
export default class LRUCache<K, V> {
  private readonly items = new Map<K, V>();

  constructor(private readonly capacity: number) {
    if (!(capacity > 0)) throw new Error('LRUCache: capacity must be a positive number');
  }

  get size(): number {
    return this.items.size;
  }

  /** The value, marked as the most recently used. */
  get(key: K): V | undefined {
    if (!this.items.has(key)) return undefined;
    const value = this.items.get(key) as V;
    this.items.delete(key);
    this.items.set(key, value);
    return value;
  }

  /** The value, without changing the order of use. */
  peek(key: K): V | undefined {
    return this.items.get(key);
  }

  has(key: K): boolean {
    return this.items.has(key);
  }

  set(key: K, value: V): this {
    this.items.delete(key);
    this.items.set(key, value);
    if (this.items.size > this.capacity) this.items.delete(this.items.keys().next().value as K);
    return this;
  }

  clear(): void {
    this.items.clear();
  }
}
