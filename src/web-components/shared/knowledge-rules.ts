/**
 * The rules a bot's knowledge document must meet (docs/knowledge-contract.md, "Rules"), checked by the bot editor
 * before anything is uploaded. The server checks the same and stays the authority; this module imports nothing (no
 * server code, no DOM, no Lit), so it is only in the bots chunk.
 */

/** Extension → the content type the contract pairs with it. */
export const KNOWLEDGE_TYPES: Readonly<Record<string, string>> = {
  txt: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

/** The `accept` of the file chooser: the extensions above. */
export const KNOWLEDGE_ACCEPT = Object.keys(KNOWLEDGE_TYPES).map((e) => `.${e}`).join(',');

/**
 * 50 MiB: Bedrock, "Each file size doesn't exceed the quota of 50 MB"
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-base-ds.html), as the contract reads it.
 */
export const MAX_KNOWLEDGE_BYTES = 50 * 1024 * 1024;
export const MAX_KNOWLEDGE_NAME = 255;
/** At most this many documents per bot (the server answers 409 `LIMIT` beyond). */
export const MAX_KNOWLEDGE_DOCUMENTS = 100;

/** How often the editor reads the list again while a document is QUEUED or RUNNING. */
export const KNOWLEDGE_POLL_MS = 2000;
/** A dedicated knowledge base's state is read again after 2 s, then each wait 1.5 times longer, at most this long. */
export const KNOWLEDGE_STATE_POLL_MAX_MS = 30_000;

/** Why a file is refused, or `undefined` when it may be uploaded. */
export type KnowledgeProblem = 'type' | 'empty' | 'size' | 'name';

/** What is checked of a file (a `File` has these). */
export interface KnowledgeFile {
  readonly name: string;
  readonly size: number;
  readonly type: string;
}

/**
 * The content type to declare for a file: the one of its extension. A browser's own `type` is used only to refuse a
 * file whose type contradicts its extension (a browser reports `text/markdown` as '' or `text/x-markdown` on some
 * systems, so an unknown or empty `type` is not held against the file).
 */
export function knowledgeType(name: string): string | undefined {
  const ext = /\.([^.]+)$/.exec(name)?.[1].toLowerCase() ?? '';
  return Object.prototype.hasOwnProperty.call(KNOWLEDGE_TYPES, ext) ? KNOWLEDGE_TYPES[ext] : undefined;
}

/** The first rule a file breaks: name, then type, then size (the order the messages are shown in). */
export function knowledgeProblem(file: KnowledgeFile): KnowledgeProblem | undefined {
  // 1..255 characters (UTF-16 code units are what the server's `length` counts), no control characters, no / or \.
  // eslint-disable-next-line no-control-regex
  if (!file.name || file.name.length > MAX_KNOWLEDGE_NAME || /[\u0000-\u001f\u007f-\u009f/\\]/.test(file.name)) return 'name';
  // As the server (docs/knowledge-contract.md, Amended): no leading or trailing spaces, not "." or "..", and short
  // enough for the object key (922 bytes of UTF-8 after its prefix) and the upload's user metadata (1,900 characters
  // percent-encoded).
  if (file.name.trim() !== file.name || file.name === '.' || file.name === '..') return 'name';
  if (new TextEncoder().encode(file.name).length > 922 || encodeURIComponent(file.name).length > 1900) return 'name';
  const type = knowledgeType(file.name);
  if (!type) return 'type';
  const given = file.type.split(';')[0].trim().toLowerCase();
  if (given && given !== type && Object.values(KNOWLEDGE_TYPES).includes(given)) return 'type';
  if (file.size < 1) return 'empty';
  if (file.size > MAX_KNOWLEDGE_BYTES) return 'size';
  return undefined;
}

/**
 * The ranges of a bot's knowledge settings (docs/knowledge-contract.md, "Slice 2"), as the server checks them. Bedrock's:
 * numberOfResults 1..100 (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_KnowledgeBaseVectorSearchConfiguration.html),
 * narrowed to 1..20 by the contract; fixed-size chunks: maxTokens ≥ 1, overlapPercentage 1..99
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_FixedSizeChunkingConfiguration.html); hierarchical:
 * each level's maxTokens 1..8,192, overlapTokens ≥ 1
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_HierarchicalChunkingLevelConfiguration.html,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_HierarchicalChunkingConfiguration.html); semantic:
 * maxTokens ≥ 1, bufferSize 0..1, breakpointPercentileThreshold 50..99
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_SemanticChunkingConfiguration.html); the web
 * crawler's rateLimit 1..300 pages a minute
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_WebCrawlerLimits.html), its seed URLs 1..10 and
 * inclusion/exclusion filters 0..25 as the contract says
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_UrlConfiguration.html,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_CrawlFilterConfiguration.html). The upper bound of
 * 8,192 tokens is also given to fixed-size and semantic chunks and to the overlap (the longest input of the embedding
 * models offered, Titan Text Embeddings V2: https://docs.aws.amazon.com/bedrock/latest/userguide/titan-embedding-models.html).
 */
export const KNOWLEDGE_RANGES = {
  numberOfResults: [1, 20],
  maxTokens: [1, 8192],
  overlapPercentage: [1, 99],
  overlapTokens: [1, 8192],
  bufferSize: [0, 1],
  breakpointPercentileThreshold: [50, 99],
  seedUrls: [1, 10],
  patterns: [0, 25],
  maxPagesPerMinute: [1, 300],
} as const satisfies Record<string, readonly [number, number]>;

/** A crawler include or exclude pattern is at most this long (as the server's settings check). */
export const MAX_CRAWL_PATTERN = 1000;

/** A crawler URL is at most this long (docs/knowledge-contract.md, "Web crawler URLs"). */
export const MAX_CRAWLER_URL = 2048;

/** Why a crawler URL is refused: the widget words each in the user's language; `checkCrawlerUrl` in English. */
export type CrawlerUrlProblem = 'invalid' | 'scheme' | 'userinfo' | 'length' | 'address' | 'name';

const CRAWLER_REASONS: Readonly<Record<CrawlerUrlProblem, string>> = {
  invalid: 'not a valid URL',
  scheme: 'only https: and http: URLs can be crawled',
  userinfo: 'a URL with a user name or password cannot be crawled',
  length: `a URL can be at most ${MAX_CRAWLER_URL} characters`,
  address: 'an address that is not public (loopback, private, link-local, reserved, multicast…) cannot be crawled',
  name: 'a local, internal or instance metadata host name cannot be crawled',
};

/**
 * The refused blocks, as the server's copy (src/lambdas/core/crawler-urls.ts) has them: every block of the IANA
 * special-purpose registries that is not globally reachable
 * (https://www.iana.org/assignments/iana-ipv4-special-registry/iana-ipv4-special-registry.xhtml,
 * https://www.iana.org/assignments/iana-ipv6-special-registry/iana-ipv6-special-registry.xhtml), multicast
 * (https://www.iana.org/assignments/multicast-addresses/multicast-addresses.xhtml) and 240/4; the instance metadata
 * service's 169.254.169.254 and fd00:ec2::254 are in the link-local and unique-local blocks
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html).
 */
const V4_BLOCKS: readonly [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];
const V6_BLOCKS: readonly [string, number][] = [
  ['::', 96], ['::ffff:0:0:0', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['3fff::', 20],
  ['5f00::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
];

/** The four bytes of a dotted quad (the URL parser has already rewritten 0x7f.1, 2130706433 and friends as one). */
function ipv4(host: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  const bytes = m?.slice(1).map(Number);
  return bytes && bytes.every((b) => b <= 255) ? bytes : undefined;
}

/** The eight groups of an IPv6 address in the URL parser's canonical form (lowercase hex, `::` at most once). */
function ipv6(canonical: string): number[] {
  const [head, tail] = canonical.split('::');
  const h = head ? head.split(':').map((g) => parseInt(g, 16)) : [];
  const t = tail ? tail.split(':').map((g) => parseInt(g, 16)) : [];
  return tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

const bits = (parts: number[], width: number) => parts.map((p) => p.toString(2).padStart(width, '0')).join('');
const inBlocks = (addressBits: string, blocks: readonly [string, number][], toBits: (net: string) => string) =>
  blocks.some(([net, prefix]) => addressBits.slice(0, prefix) === toBits(net).slice(0, prefix));
const v4Bits = (net: string) => bits(ipv4(net)!, 8);
const v6Bits = (net: string) => bits(ipv6(net), 16);

function v4Refused(bytes: number[]): boolean {
  return inBlocks(bits(bytes, 8), V4_BLOCKS, v4Bits);
}

/** IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged by their IPv4 address. */
function v6Refused(g: number[]): boolean {
  const v4 = (hi: number, lo: number) => v4Refused([Math.floor(hi / 256), hi % 256, Math.floor(lo / 256), lo % 256]);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return v4(g[6], g[7]);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4(g[6], g[7]);
  if (g[0] === 0x2002) return v4(g[1], g[2]);
  return inBlocks(bits(g, 16), V6_BLOCKS, v6Bits);
}

/**
 * Host names refused whatever they resolve to: localhost and its subdomains
 * (https://www.rfc-editor.org/rfc/rfc6761.html#section-6.3), `.internal` (reserved for private use:
 * https://www.iana.org/domains/reserved), mDNS's `.local` (https://www.rfc-editor.org/rfc/rfc6762.html), and the
 * metadata services' `metadata` and `metadata.google.internal`.
 */
function nameRefused(host: string): boolean {
  const name = host.replace(/\.+$/, '');
  if (!name || name === 'metadata' || name === 'metadata.google.internal') return true;
  return ['localhost', 'internal', 'local'].some((suffix) => name === suffix || name.endsWith(`.${suffix}`));
}

/**
 * A seed URL's pattern: SeedUrl `url`, "Pattern: https?://[A-Za-z0-9][^\s]*"
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_SeedUrl.html).
 */
const SEED_URL_PATTERN = /^https?:\/\/[A-Za-z0-9][^\s]*$/;

/** The first rule a crawler URL breaks, or undefined (docs/knowledge-contract.md, "Web crawler URLs"). */
export function crawlerUrlProblem(url: string): CrawlerUrlProblem | undefined {
  if (!url) return 'invalid';
  if (url.length > MAX_CRAWLER_URL) return 'length';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'invalid';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'scheme';
  if (parsed.username || parsed.password) return 'userinfo';
  const host = parsed.hostname.toLowerCase();
  if (host.startsWith('[')) {
    if (v6Refused(ipv6(host.slice(1, -1)))) return 'address';
  } else if (ipv4(host)) {
    if (v4Refused(ipv4(host)!)) return 'address';
  } else if (nameRefused(host)) {
    return 'name';
  }
  return SEED_URL_PATTERN.test(url) ? undefined : 'invalid';
}

/** The reason a crawler URL is refused, in English, or undefined when it may be crawled (the contract's function). */
export function checkCrawlerUrl(url: string): string | undefined {
  const problem = crawlerUrlProblem(url);
  return problem ? CRAWLER_REASONS[problem] : undefined;
}
