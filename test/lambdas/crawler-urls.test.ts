/* eslint-disable no-bitwise */ // addresses are bits: blocks are masks, forms are shifts
// The web crawler's URL rules (docs/knowledge-contract.md, "Web crawler URLs"): every address of a refused block, in
// every textual form the WHATWG URL parser accepts for it, is refused; public addresses and names pass.
import * as fc from 'fast-check';
import { checkCrawlerUrl, MAX_CRAWLER_URL_CHARS, refusedAddress, resolveCrawlerHost } from '../../src/lambdas/core/crawler-urls';

/** Refused IPv4 blocks as [first address as a number, prefix] (the IANA registry's non-global blocks, multicast). */
const V4_BLOCKS: Array<[number, number]> = ([
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as Array<[string, number]>).map(([a, p]) => [toNum(a), p]);

function toNum(a: string): number {
  return a.split('.').reduce((n, x) => n * 256 + Number(x), 0);
}
const octets = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const hex = (n: number) => n.toString(16);

/** An address in a block: the block's first address plus an offset below its size. */
const inBlock = (blocks: Array<[number, number]>) => fc.constantFrom(...blocks).chain(([base, prefix]) =>
  fc.integer({ min: 0, max: 2 ** (32 - prefix) - 1 }).map((off) => base + off));

/** The textual forms of an IPv4 address in a URL host (the WHATWG IPv4 parser and IPv6 hosts). */
const v4Forms = (n: number): string[] => {
  const [a, b, c, d] = octets(n);
  return [
    `${a}.${b}.${c}.${d}`,
    `${a}.${b}.${c}.${d}.`,
    String(n),
    `0x${hex(n)}`,
    `0X${hex(n).toUpperCase()}`,
    `0${n.toString(8)}`,
    `${a}.${(b << 16) + (c << 8) + d}`,
    `${a}.${b}.${(c << 8) + d}`,
    `0x${hex(a)}.0${b.toString(8)}.${c}.0x${hex(d)}`,
    `00${a.toString(8)}.${b}.${c}.${d}`,
    `[::ffff:${a}.${b}.${c}.${d}]`,
    `[::FFFF:${hex((a << 8) + b)}:${hex((c << 8) + d)}]`,
    `[0:0:0:0:0:ffff:${a}.${b}.${c}.${d}]`,
    `[0000:0000:0000:0000:0000:ffff:${hex((a << 8) + b)}:${hex((c << 8) + d)}]`,
    `[64:ff9b::${a}.${b}.${c}.${d}]`,
    `[2002:${hex((a << 8) + b)}:${hex((c << 8) + d)}::1]`,
  ];
};

/** Refused IPv6 blocks as [first 16-bit groups, prefix]. */
const V6_BLOCKS: Array<[number[], number]> = [
  [[0, 0, 0, 0, 0, 0, 0, 0], 96], [[0, 0, 0, 0, 0xffff, 0, 0, 0], 96], [[0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48],
  [[0x100, 0, 0, 0, 0, 0, 0, 0], 64], [[0x2001, 0, 0, 0, 0, 0, 0, 0], 23], [[0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32],
  [[0x3fff, 0, 0, 0, 0, 0, 0, 0], 20], [[0x5f00, 0, 0, 0, 0, 0, 0, 0], 16], [[0xfc00, 0, 0, 0, 0, 0, 0, 0], 7],
  [[0xfe80, 0, 0, 0, 0, 0, 0, 0], 10], [[0xfec0, 0, 0, 0, 0, 0, 0, 0], 10], [[0xff00, 0, 0, 0, 0, 0, 0, 0], 8],
];

/** An IPv6 address in a block: random groups with the block's prefix bits kept. */
const v6InBlock = fc.constantFrom(...V6_BLOCKS).chain(([base, prefix]) =>
  fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((rnd) => base.map((g, i) => {
    const keep = Math.max(0, Math.min(16, prefix - i * 16));
    const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
    return (g & mask) | (rnd[i] & ~mask & 0xffff);
  })));

const v6Forms = (g: number[]): string[] => {
  const full = g.map((x) => x.toString(16).padStart(4, '0')).join(':');
  const short = g.map(hex).join(':');
  const canonical = new URL(`http://[${short}]/`).hostname;
  return [`[${full}]`, `[${full.toUpperCase()}]`, `[${short}]`, canonical];
};

const schemes = fc.constantFrom('http://', 'https://', 'HTTP://', 'HtTpS://');
// Bedrock's seed URL pattern is lowercase `https?://`: a URL that passes is written so
const lowerSchemes = fc.constantFrom('http://', 'https://');
const paths = fc.constantFrom('', '/', '/latest/meta-data/', ':8080/x?y=1', ':443/#frag', '/a/b/../c');

describe('checkCrawlerUrl', () => {
  test('every IPv4 address of a refused block, in every textual form, is refused', () => {
    fc.assert(fc.property(inBlock(V4_BLOCKS), fc.nat(15), schemes, paths, (n, form, scheme, path) => {
      const url = `${scheme}${v4Forms(n)[form]}${path}`;
      expect(checkCrawlerUrl(url)).toMatch(/not public/);
    }), { numRuns: 3000 });
  });

  test('every IPv6 address of a refused block, in every textual form, is refused', () => {
    fc.assert(fc.property(v6InBlock, fc.nat(3), schemes, paths, (g, form, scheme, path) => {
      const url = `${scheme}${v6Forms(g)[form]}${path}`;
      expect(checkCrawlerUrl(url)).toMatch(/not public/);
    }), { numRuns: 3000 });
  });

  test('public IPv4 addresses pass, in any IPv4 form', () => {
    const isRefused = (n: number) => V4_BLOCKS.some(([base, prefix]) => n >= base && n < base + 2 ** (32 - prefix));
    const publicV4 = fc.integer({ min: 0, max: 2 ** 32 - 1 }).filter((n) => !isRefused(n));
    fc.assert(fc.property(publicV4, fc.nat(9), lowerSchemes, paths, (n, form, scheme, path) => {
      expect(checkCrawlerUrl(`${scheme}${v4Forms(n)[form]}${path}`)).toBeUndefined();
    }), { numRuns: 2000 });
  });

  test('public IPv6 addresses are not refused as addresses (Bedrock\'s seed URL pattern refuses IPv6 literals)', () => {
    // 2000::/3 global unicast outside the special blocks
    const groups = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 7, maxLength: 7 });
    fc.assert(fc.property(groups, fc.integer({ min: 0x2400, max: 0x2fff }), (rest, first) => {
      const ip = [first, ...rest].map(hex).join(':');
      expect(refusedAddress(ip)).toBeUndefined();
      expect(checkCrawlerUrl(`https://[${ip}]/`)).toMatch(/followed by a host name or IPv4 address/);
    }), { numRuns: 1000 });
  });

  test('public host names pass', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
    fc.assert(fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), fc.constantFrom('com', 'org', 'io', 'dev', 'co.uk'), lowerSchemes, paths, (labels, tld, scheme, path) => {
      expect(checkCrawlerUrl(`${scheme}${labels.join('.')}.${tld}${path}`)).toBeUndefined();
    }), { numRuns: 1000 });
  });

  test.each([
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254.*link-local/],
    ['http://[fd00:ec2::254]/latest/meta-data/', /fd00:ec2::254.*unique-local/],
    ['http://127.1/', /127\.0\.0\.1.*loopback/],
    ['http://0x7f000001/', /127\.0\.0\.1.*loopback/],
    ['http://017700000001/', /127\.0\.0\.1.*loopback/],
    ['http://2130706433/', /127\.0\.0\.1.*loopback/],
    ['http://[::ffff:127.0.0.1]/', /IPv4-mapped 127\.0\.0\.1: loopback/],
    ['http://[::ffff:169.254.169.254]/', /IPv4-mapped 169\.254\.169\.254/],
    ['http://[::1]/', /not public/],
    ['http://[::]/', /not public/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://100.64.0.1/', /CGNAT/],
    ['http://224.0.0.1/', /multicast/],
    ['http://[ff02::1]/', /multicast/],
    ['http://[fe80::1]/', /link-local/],
    ['http://localhost/', /local name/],
    ['http://localhost./', /local name/],
    ['http://LOCALHOST:3000/', /local name/],
    ['http://app.localhost/', /local name/],
    ['http://metadata.google.internal/computeMetadata/v1/', /metadata|local name/],
    ['http://metadata/', /metadata/],
    ['http://ip-10-0-0-1.ec2.internal/', /local name \(\.internal\)/],
    ['http://printer.local/', /local name \(\.local\)/],
    ['ftp://example.com/', /https:\/\/ or http:\/\//],
    ['file:///etc/passwd', /https:\/\/ or http:\/\//],
    ['javascript:alert(1)', /https:\/\/ or http:\/\//],
    ['https://user:secret@example.com/', /user name or password/],
    ['https://user@example.com/', /user name or password/],
    ['not a url', /not valid/],
    ['', /empty/],
    ['https://exa mple.com/', /not valid/],
    ['https://example.com/a b', /without spaces/],
    ['https://-example.com/', /followed by a host name/],
    ['HTTPS://example.com/', /followed by a host name/],
  ])('%s is refused', (url, reason) => {
    expect(checkCrawlerUrl(url)).toMatch(reason);
  });

  test.each(['https://docs.aws.amazon.com/bedrock/latest/userguide/', 'http://example.com', 'https://8.8.8.8/dns', 'https://example.com:8443/a?b=c#d'])('%s passes', (url) => {
    expect(checkCrawlerUrl(url)).toBeUndefined();
  });

  test('at most 2,048 characters', () => {
    const base = 'https://example.com/';
    expect(checkCrawlerUrl(base + 'a'.repeat(MAX_CRAWLER_URL_CHARS - base.length))).toBeUndefined();
    expect(checkCrawlerUrl(base + 'a'.repeat(MAX_CRAWLER_URL_CHARS - base.length + 1))).toMatch(/longer than 2048/);
  });
});

describe('resolveCrawlerHost', () => {
  test('the system resolver: localhost is refused, public IP literals pass, refused literals are refused', async () => {
    expect(await resolveCrawlerHost('localhost')).toMatch(/local name/);
    expect(await resolveCrawlerHost('8.8.8.8')).toBeUndefined();
    expect(await resolveCrawlerHost('[fd00:ec2::254]')).toMatch(/unique-local/);
    expect(await resolveCrawlerHost('169.254.169.254')).toMatch(/link-local/);
  });

  test('a public name that resolves to a refused address is refused (DNS rebinding to the metadata service)', async () => {
    const lookup = async (host: string) => (host === 'rebind.example.com'
      ? [{ address: '93.184.215.14' }, { address: '169.254.169.254' }]
      : host === 'mapped.example.com' ? [{ address: '::ffff:10.1.2.3' }] : [{ address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c' }, { address: '93.184.215.14' }]);
    expect(await resolveCrawlerHost('rebind.example.com', lookup)).toMatch(/rebind\.example\.com resolves to 169\.254\.169\.254/);
    expect(await resolveCrawlerHost('mapped.example.com', lookup)).toMatch(/IPv4-mapped 10\.1\.2\.3: private/);
    expect(await resolveCrawlerHost('example.com', lookup)).toBeUndefined();
  });

  test('a name that does not resolve is refused', async () => {
    const lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await resolveCrawlerHost('nowhere.example.com', lookup)).toMatch(/does not resolve \(ENOTFOUND\)/);
    expect(await resolveCrawlerHost('empty.example.com', async () => [])).toMatch(/does not resolve/);
  });
});
