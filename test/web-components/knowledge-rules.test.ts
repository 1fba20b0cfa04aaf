// The widget checks a document before it uploads it with shared/knowledge-rules.ts, which imports nothing; the
// server checks it again with core/knowledge-documents.ts. The two must agree: a file the widget lets through and the
// server refuses costs an upload, one the widget refuses and the server would take is a feature lost.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { documentProblem, KNOWLEDGE_TYPES, MAX_KNOWLEDGE_BYTES } from '../../src/lambdas/core/knowledge-documents';
import {
  checkCrawlerUrl, crawlerUrlProblem, KNOWLEDGE_TYPES as WEB_TYPES, knowledgeProblem, knowledgeType, MAX_KNOWLEDGE_BYTES as WEB_MAX,
} from '../../src/web-components/shared/knowledge-rules';

test('the same types and the same size limit', () => {
  expect(WEB_TYPES).toEqual(KNOWLEDGE_TYPES);
  expect(WEB_MAX).toBe(MAX_KNOWLEDGE_BYTES);
});

const agree = (name: string, size: number, type?: string) => {
  const contentType = type ?? knowledgeType(name) ?? 'application/octet-stream';
  const widget = knowledgeProblem({ name, size, type: contentType }) === undefined;
  const server = documentProblem(name, contentType, size) === undefined;
  return { widget, server };
};

test('the widget accepts exactly the names, types and sizes the server accepts (fast-check)', () => {
  const ext = fc.constantFrom('.txt', '.md', '.html', '.htm', '.pdf', '.docx', '.TXT', '.exe', '', '.');
  const stem = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('.', '..', ' a', 'a ', 'a/b', 'a\\b', 'tab\there', '報告書'.repeat(100), 'é'.repeat(300), '𝔸'.repeat(200)),
  );
  const size = fc.oneof(fc.constantFrom(0, 1, MAX_KNOWLEDGE_BYTES, MAX_KNOWLEDGE_BYTES + 1), fc.integer({ min: 1, max: MAX_KNOWLEDGE_BYTES }));
  fc.assert(fc.property(stem, ext, size, (s, e, n) => {
    const { widget, server } = agree(`${s}${e}`, n);
    expect(widget).toBe(server);
  }), { numRuns: 3000 });
});

test('named cases: both refuse them, or both accept them', () => {
  const refused = ['', '.', '..', ' notes.txt', 'notes.txt ', 'a/b.txt', 'a\\b.txt', 'bell\u0007.txt', 'notes.exe', 'x'.repeat(252) + '.txt',
    '報告書'.repeat(80) + '.pdf'];
  for (const name of refused) expect({ name, ...agree(name, 10) }).toEqual({ name, widget: false, server: false });
  const accepted = ['notes.txt', 'Q3 report.pdf', '議事録.docx', 'x'.repeat(251) + '.txt', 'read me.md'];
  for (const name of accepted) expect({ name, ...agree(name, 10) }).toEqual({ name, widget: true, server: true });
  // the declared type must be the extension's
  expect(agree('notes.txt', 10, 'application/pdf')).toEqual({ widget: false, server: false });
});

// The web crawler's URLs (docs/knowledge-contract.md, "Web crawler URLs"): the editor refuses with crawlerUrlProblem
// (shared/knowledge-rules.ts) before saving, the server with checkCrawlerUrl (core/crawler-urls.ts, the crawler part).
// Both must refuse exactly the same URLs. The server copy lands with the crawler part; until it is in this tree the
// comparison is skipped and the widget's own named cases still run.
const SERVER_COPY = join(__dirname, '..', '..', 'src', 'lambdas', 'core', 'crawler-urls.ts');
const REFUSED_URLS = ['', 'ftp://example.com/', 'javascript:alert(1)', 'http://user:pw@example.com/', 'http://127.0.0.1/', 'http://127.1/',
  'http://0x7f000001/', 'http://2130706433/', 'http://017700000001/', 'http://10.1.2.3/', 'http://172.16.0.1/', 'http://192.168.1.1/',
  'http://169.254.169.254/latest/meta-data/', 'http://100.64.0.1/', 'http://0.0.0.0/', 'http://224.0.0.1/', 'http://[::1]/', 'http://[::]/',
  'http://[::ffff:127.0.0.1]/', 'http://[fe80::1]/', 'http://[fd00:ec2::254]/', 'http://[ff02::1]/', 'http://localhost/', 'http://LOCALHOST./',
  'http://a.localhost/', 'http://printer.local/', 'http://db.internal/', 'http://metadata.google.internal/', 'http://metadata/',
  `https://example.com/${'a'.repeat(2048)}`, 'https://exa mple.com/'];
const ACCEPTED_URLS = ['https://docs.aws.amazon.com/bedrock/', 'http://example.com/a?b=c#d', 'https://8.8.8.8/', 'https://sub.example.co.jp/path',
  'https://example.com:8443/x', 'https://localhost.example.com/'];

test('named crawler URLs: the widget refuses these and accepts those', () => {
  for (const url of REFUSED_URLS) expect({ url, problem: crawlerUrlProblem(url) !== undefined }).toEqual({ url, problem: true });
  for (const url of ACCEPTED_URLS) expect({ url, problem: crawlerUrlProblem(url) }).toEqual({ url, problem: undefined });
  expect(checkCrawlerUrl('http://[::1]/')).toMatch(/not public/);
});

(existsSync(SERVER_COPY) ? describe : describe.skip)('the widget and the server refuse the same crawler URLs', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const server = () => (require(SERVER_COPY) as { checkCrawlerUrl: (url: string) => string | undefined }).checkCrawlerUrl;

  test('named cases', () => {
    for (const url of [...REFUSED_URLS, ...ACCEPTED_URLS]) {
      expect({ url, widget: crawlerUrlProblem(url) === undefined }).toEqual({ url, widget: server()(url) === undefined });
    }
  });

  test('generated URLs: IP literals of every form, host names, schemes, user info (fast-check)', () => {
    const byte = fc.integer({ min: 0, max: 255 });
    const v4 = fc.tuple(byte, byte, byte, byte).map((b) => b.join('.'));
    const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
    const v6 = fc.oneof(
      fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => `[${g.join(':')}]`),
      fc.tuple(fc.array(group, { maxLength: 3 }), fc.array(group, { maxLength: 3 })).map(([a, b]) => `[${a.join(':')}::${b.join(':')}]`),
      v4.map((a) => `[::ffff:${a}]`), v4.map((a) => `[64:ff9b::${a}]`),
      fc.constantFrom('[fe80::1]', '[fd00:ec2::254]', '[2002:7f00:1::]', '[2002:808:808::]', '[::1]', '[2001:db8::1]', '[2600:1f18::1]'),
    );
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
    const name = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom('com', 'local', 'internal', 'localhost', 'org', '', 'google.internal'))
      .map(([labels, tld]) => [...labels, tld].filter(Boolean).join('.'));
    const host = fc.oneof(v4, v6, name, fc.constantFrom('localhost', 'metadata', '0x7f.1', '2130706433', '127.1', '0177.0.0.1', 'LocalHost.', 'example.com.'),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }).map(String));
    const url = fc.tuple(fc.constantFrom('https://', 'http://', 'ftp://', 'HTTPS://', 'https://user@', 'http://a:b@'), host,
      fc.constantFrom('', '/', '/docs?a=1', ':8080/x', '/#frag', ' /space')).map(([s, h, p]) => `${s}${h}${p}`);
    fc.assert(fc.property(url, (u) => {
      expect({ u, widget: crawlerUrlProblem(u) === undefined }).toEqual({ u, widget: server()(u) === undefined });
    }), { numRuns: 5000 });
  });
});
