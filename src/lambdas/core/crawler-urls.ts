/**
 * Which URLs a bot's web crawler may be given (docs/knowledge-contract.md, "Web crawler URLs"; docs/architecture.md,
 * "The web crawler and its URLs"). Bedrock crawls from AWS, so a URL that reaches a private, loopback or metadata
 * address is refused when the bot is saved: `checkCrawlerUrl` on the text (both here and in the widget), and
 * `resolveCrawlerHost` on what the host name resolves to (server only).
 *
 * The refused blocks are every block of the IANA special-purpose registries that is not globally reachable
 * (IPv4: https://www.iana.org/assignments/iana-ipv4-special-registry/iana-ipv4-special-registry.xhtml ; IPv6:
 * https://www.iana.org/assignments/iana-ipv6-special-registry/iana-ipv6-special-registry.xhtml), plus multicast and
 * the EC2 instance metadata service's addresses, 169.254.169.254 and fd00:ec2::254 ("These IP addresses are
 * link-local addresses and are valid only from the instance":
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html), which fall in the
 * link-local and unique-local blocks.
 */
import { promises as dns } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** The longest crawler URL (the contract). */
export const MAX_CRAWLER_URL_CHARS = 2048;

/**
 * A seed URL's pattern: SeedUrl `url`, "Pattern: https?://[A-Za-z0-9][^\s]*"
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_SeedUrl.html).
 */
const SEED_URL_PATTERN = /^https?:\/\/[A-Za-z0-9][^\s]*$/;

/** IPv4 blocks refused: [network, prefix, what it is] (the IANA IPv4 registry above, "Globally Reachable" False). */
const IPV4_BLOCKS: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified, "this network"'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared address space, CGNAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local; the instance metadata service'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  // multicast (https://www.iana.org/assignments/multicast-addresses/multicast-addresses.xhtml)
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved, broadcast'],
];

/** IPv6 blocks refused (the IANA IPv6 registry above). IPv4-mapped addresses are checked as their IPv4 address. */
const IPV6_BLOCKS: ReadonlyArray<readonly [string, number, string]> = [
  ['::', 96, 'unspecified, loopback or IPv4-compatible'],
  ['::ffff:0:0:0', 96, 'IPv4-translated'],
  ['64:ff9b:1::', 48, 'local-use IPv4/IPv6 translation'],
  ['100::', 64, 'discard-only'],
  ['2001::', 23, 'IETF protocol assignments'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'segment routing'],
  ['fc00::', 7, 'unique-local; the instance metadata service is fd00:ec2::254'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

/** One BlockList per block, so a refusal names its block. */
const lists = (blocks: ReadonlyArray<readonly [string, number, string]>, type: 'ipv4' | 'ipv6') => blocks.map(([net, prefix, what]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return { list, what };
});
const V4 = lists(IPV4_BLOCKS, 'ipv4');
const V6 = lists(IPV6_BLOCKS, 'ipv6');

/**
 * Host names refused whatever they resolve to: `localhost` and its subdomains (RFC 6761), the `.internal` top-level
 * domain reserved for private use (https://www.iana.org/domains/reserved), multicast DNS's `.local` (RFC 6762), and
 * the names of the cloud metadata services (Google's `metadata.google.internal` and `metadata`).
 */
const REFUSED_SUFFIXES = ['localhost', 'internal', 'local'];
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal']);

/** The 8 groups of an IPv6 address in the URL parser's canonical form (hex groups, `::` at most once). */
function ipv6Groups(canonical: string): number[] {
  const [head, tail] = canonical.split('::');
  const h = head ? head.split(':').map((g) => parseInt(g, 16)) : [];
  const t = tail !== undefined && tail ? tail.split(':').map((g) => parseInt(g, 16)) : [];
  return tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

const v4of = (hi: number, lo: number) => `${Math.floor(hi / 256)}.${hi % 256}.${Math.floor(lo / 256)}.${lo % 256}`;

/**
 * Why an IP address (IPv4 or IPv6, any form `net.isIP` accepts) may not be crawled, or undefined when it is globally
 * reachable. IPv4-mapped (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`) addresses are judged by
 * the IPv4 address they carry.
 */
export function refusedAddress(ip: string): string | undefined {
  const what = blockOf(ip);
  return what ? `${ip} is not a public address (${what})` : undefined;
}

/** The refused block an address is in (its description), or undefined. */
function blockOf(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) return V4.find((b) => b.list.check(ip, 'ipv4'))?.what;
  if (family !== 6) return 'not an IP address';
  // the WHATWG URL parser gives the canonical form (lowercase hex groups, IPv4 tails rewritten, zeros compressed)
  const canonical = new URL(`http://[${ip.replace(/%.*$/, '')}]/`).hostname.slice(1, -1);
  const g = ipv6Groups(canonical);
  const embedded = (hi: number, lo: number, kind: string) => {
    const v4 = v4of(hi, lo);
    const what = blockOf(v4);
    return what ? `${kind} ${v4}: ${what}` : undefined;
  };
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return embedded(g[6], g[7], 'IPv4-mapped');
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return embedded(g[6], g[7], 'NAT64 of');
  if (g[0] === 0x2002) return embedded(g[1], g[2], '6to4 of');
  return V6.find((b) => b.list.check(canonical, 'ipv6'))?.what;
}

/** Why a host name (already lowercased and without brackets) may not be crawled, or undefined. */
function refusedName(host: string): string | undefined {
  const name = host.replace(/\.+$/, '');
  if (!name) return 'the URL has no host name';
  if (METADATA_NAMES.has(name)) return `${host} is a cloud metadata service`;
  for (const suffix of REFUSED_SUFFIXES) {
    if (name === suffix || name.endsWith(`.${suffix}`)) return `${host} is a local name (.${suffix})`;
  }
  return undefined;
}

/**
 * Why a URL may not be given to the web crawler, or undefined when it may: `https:` or `http:` only, no user info,
 * a host name that is not local nor a metadata service, or an IP literal that is globally reachable (the WHATWG URL
 * parser normalises the other IPv4 forms first: `127.1`, `0x7f000001`, `017700000001` are 127.0.0.1), the seed URL
 * pattern, at most 2,048 characters. Only the text is judged: see resolveCrawlerHost for what a name resolves to.
 */
export function checkCrawlerUrl(url: string): string | undefined {
  if (typeof url !== 'string' || !url) return 'The URL is empty.';
  if (url.length > MAX_CRAWLER_URL_CHARS) return `The URL is longer than ${MAX_CRAWLER_URL_CHARS} characters.`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'The URL is not valid.';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'The URL must start with https:// or http://.';
  if (u.username || u.password) return 'The URL must not carry a user name or password.';
  const host = u.hostname.toLowerCase();
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (isIP(bare)) {
    const reason = refusedAddress(bare);
    if (reason) return `The URL's host is not public: ${reason}.`;
  } else {
    const reason = refusedName(bare);
    if (reason) return `The URL's host is not public: ${reason}.`;
  }
  if (!SEED_URL_PATTERN.test(url)) return 'The URL must be https:// or http:// followed by a host name or IPv4 address, without spaces.';
  return undefined;
}

/** Resolves a host name to its addresses (`dns.lookup`, as the fetch of the page would). */
export type HostLookup = (host: string) => Promise<Array<{ address: string }>>;

const systemLookup: HostLookup = (host) => dns.lookup(host, { all: true, verbatim: true });

/**
 * Why a URL's host may not be crawled once resolved, or undefined: a name that resolves (through `lookup`, the
 * system resolver by default) to any address checkCrawlerUrl would refuse as a literal, or that does not resolve.
 * An IP literal is judged as it is. Server only (the widget cannot resolve names). `acceptUnresolved`: a name that
 * does not resolve now is accepted (what a bot save does: it has no address to refuse, and the crawler resolves it
 * later from AWS's network; the check is defense in depth at save time, which no check can make immune to a DNS
 * change after it).
 */
export async function resolveCrawlerHost(
  host: string, lookup: HostLookup = systemLookup, options: { acceptUnresolved?: boolean } = {},
): Promise<string | undefined> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare)) return refusedAddress(bare);
  const nameReason = refusedName(bare.toLowerCase());
  if (nameReason) return nameReason;
  let addresses: Array<{ address: string }>;
  try {
    addresses = await lookup(bare);
  } catch (err) {
    return options.acceptUnresolved ? undefined : `${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'lookup failed'})`;
  }
  if (!addresses.length) return options.acceptUnresolved ? undefined : `${host} does not resolve`;
  for (const { address } of addresses) {
    const reason = refusedAddress(address);
    if (reason) return `${host} resolves to ${reason}`;
  }
  return undefined;
}
