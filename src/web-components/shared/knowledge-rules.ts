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

/** A crawler URL is at most this long (docs/knowledge-contract.md, "Web crawler URLs"). */
export const MAX_CRAWLER_URL = 2048;

/** Why a crawler URL is refused: the widget words each in the user's language; `checkCrawlerUrl` in English. */
export type CrawlerUrlProblem = 'invalid' | 'scheme' | 'userinfo' | 'length' | 'address' | 'name';

const CRAWLER_REASONS: Readonly<Record<CrawlerUrlProblem, string>> = {
  invalid: 'not a valid URL',
  scheme: 'only https: and http: URLs can be crawled',
  userinfo: 'a URL with a user name or password cannot be crawled',
  length: `a URL can be at most ${MAX_CRAWLER_URL} characters`,
  address: 'a loopback, private, link-local, shared (CGNAT), unique-local, multicast or unspecified address cannot be crawled',
  name: 'a local, internal or instance metadata host name cannot be crawled',
};

/** IPv4 dotted quads as a number (the URL parser has already normalized 0x7f.1 and friends to dotted quads). */
function ipv4(host: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.some((p) => p > 255) ? undefined : ((parts[0] * 256 + parts[1]) * 256 + parts[2]) * 256 + parts[3];
}

/**
 * The refused IPv4 ranges: 0.0.0.0/8 (unspecified, "this network"), 10/8, 172.16/12, 192.168/16 (private), 127/8
 * (loopback), 169.254/16 (link-local), 100.64/10 (shared address space, CGNAT), 224/4 (multicast): RFC 6890's special
 * purpose registry (https://www.rfc-editor.org/rfc/rfc6890.html#section-2.2.2).
 */
const V4_REFUSED: readonly [number, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.168.0.0', 16], ['224.0.0.0', 4],
].map(([a, bits]) => [ipv4(a as string)!, bits as number]);

function v4Refused(n: number): boolean {
  return V4_REFUSED.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
}

/** The eight 16-bit groups of an IPv6 literal (without brackets), or undefined. */
function ipv6(host: string): number[] | undefined {
  let text = host;
  const tail: number[] = [];
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4(v4[2]);
    if (n === undefined) return undefined;
    text = `${v4[1]}0:0`;
    tail.push(Math.floor(n / 65536), n % 65536);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s ? s.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)) : []);
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 2 ? fill < 0 : fill !== 0) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...rest];
  if (groups.some(Number.isNaN)) return undefined;
  if (tail.length) groups.splice(6, 2, ...tail);
  return groups;
}

/**
 * The refused IPv6 ranges: ::/128 (unspecified), ::1 (loopback), fe80::/10 (link-local), fc00::/7 (unique-local),
 * ff00::/8 (multicast) (https://www.rfc-editor.org/rfc/rfc6890.html#section-2.2.3), and an IPv4-mapped address
 * ::ffff:0:0/96 (https://www.rfc-editor.org/rfc/rfc4291.html#section-2.5.5.2) in a refused IPv4 range.
 */
function v6Refused(g: number[]): boolean {
  if (g.slice(0, 7).every((x) => x === 0) && g[7] <= 1) return true;
  // fe80::/10, fc00::/7, ff00::/8: the first group's top 10, 7 and 8 bits.
  if (Math.floor(g[0] / 64) === 0xfe80 / 64 || Math.floor(g[0] / 512) === 0xfc00 / 512 || Math.floor(g[0] / 256) === 0xff) return true;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return v4Refused(g[6] * 65536 + g[7]);
  return false;
}

/**
 * Host names that are never crawled: localhost and *.localhost (https://www.rfc-editor.org/rfc/rfc6761.html#section-6.3),
 * *.local (mDNS, https://www.rfc-editor.org/rfc/rfc6762.html), *.internal (which holds the metadata names
 * instance-data.ec2.internal and metadata.google.internal), and the bare metadata names `instance-data` and `metadata`
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html).
 */
function nameRefused(host: string): boolean {
  const name = host.replace(/\.$/, '');
  return name === 'localhost' || name === 'instance-data' || name === 'metadata' || /\.(localhost|local|internal)$/.test(name)
    || name === 'local' || name === 'internal';
}

/** The first rule a crawler URL breaks, or undefined (docs/knowledge-contract.md, "Web crawler URLs"). */
export function crawlerUrlProblem(url: string): CrawlerUrlProblem | undefined {
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
  if (!host) return 'invalid';
  if (host.startsWith('[')) {
    const groups = ipv6(host.slice(1, -1));
    if (!groups) return 'invalid';
    return v6Refused(groups) ? 'address' : undefined;
  }
  const v4 = ipv4(host);
  if (v4 !== undefined) return v4Refused(v4) ? 'address' : undefined;
  return nameRefused(host) ? 'name' : undefined;
}

/** The reason a crawler URL is refused, in English, or undefined when it may be crawled (the contract's function). */
export function checkCrawlerUrl(url: string): string | undefined {
  const problem = crawlerUrlProblem(url);
  return problem ? CRAWLER_REASONS[problem] : undefined;
}
