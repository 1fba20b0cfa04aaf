// src/local runs only in development (playground, tests): its imports are devDependencies.
// The local knowledge base's web crawler (a WEB data source's ingestion job): seed URLs, scope, inclusion and
// exclusion filters, robots.txt, the crawl rate, a bounded page count. What Bedrock documents
// (https://docs.aws.amazon.com/bedrock/latest/userguide/webcrawl-data-source-connector.html ;
// WebDataSourceConfiguration: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_WebDataSourceConfiguration.html)
// and what this does not reproduce: docs/architecture.md, "The local knowledge base".
// The URL safety rules (checkCrawlerUrl) are not applied here: Bedrock crawls from AWS and the server refuses unsafe
// URLs when a bot is saved; the local crawler reaches what the developer's machine reaches (tests serve on loopback).
import { Parser } from 'htmlparser2';
import { formatOfKey, formatOfMimeType, type DocumentFormat } from './kb-parse';

/** The WEB data source's configuration, as the SDK sends it. */
export interface WebConfiguration {
  sourceConfiguration: { urlConfiguration: { seedUrls: Array<{ url: string }> } };
  crawlerConfiguration?: {
    crawlerLimits?: { rateLimit?: number; maxPages?: number };
    inclusionFilters?: string[];
    exclusionFilters?: string[];
    scope?: 'HOST_ONLY' | 'SUBDOMAINS';
    userAgent?: string;
    userAgentHeader?: string;
  };
}

/**
 * Documented bounds, checked at CreateDataSource with a ValidationException: 1 to 100 seed URLs
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_UrlConfiguration.html), each matching
 * `https?://[A-Za-z0-9][^\s]*` (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_SeedUrl.html);
 * inclusion and exclusion filters 1 to 25 patterns of 1 to 1,000 characters, scope HOST_ONLY or SUBDOMAINS
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_WebCrawlerConfiguration.html); rateLimit 1 to
 * 300 pages per minute per host, maxPages at least 1, "up to 25,000 pages"
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_WebCrawlerLimits.html).
 */
export const WEB_LIMITS = { seedUrls: 100, filters: 25, filterChars: 1000, rateLimitMax: 300, maxPagesMax: 25_000 };

const SEED_URL = /^https?:\/\/[A-Za-z0-9][^\s]*$/;

/** The first rule a WEB configuration breaks, or undefined. */
export function webConfigurationError(c: WebConfiguration | undefined): string | undefined {
  const seeds = c?.sourceConfiguration?.urlConfiguration?.seedUrls;
  if (!Array.isArray(seeds) || seeds.length < 1 || seeds.length > WEB_LIMITS.seedUrls) return 'webConfiguration.sourceConfiguration.urlConfiguration.seedUrls takes 1 to 100 seed URLs.';
  for (const s of seeds) {
    if (typeof s?.url !== 'string' || !SEED_URL.test(s.url)) return `Seed URL ${String(s?.url)} does not match https?://[A-Za-z0-9][^\\s]*.`;
    try {
      new URL(s.url);
    } catch {
      return `Seed URL ${s.url} is not a valid URL.`;
    }
  }
  const cc = c!.crawlerConfiguration;
  if (!cc) return undefined;
  for (const key of ['inclusionFilters', 'exclusionFilters'] as const) {
    const f = cc[key];
    if (f === undefined) continue;
    if (!Array.isArray(f) || f.length < 1 || f.length > WEB_LIMITS.filters) return `${key} takes 1 to 25 patterns.`;
    for (const p of f) {
      if (typeof p !== 'string' || p.length < 1 || p.length > WEB_LIMITS.filterChars) return `Each of ${key} must be 1 to 1000 characters.`;
      try {
        new RegExp(p);
      } catch {
        return `${key} has a pattern that is not a regular expression: ${p}`;
      }
    }
  }
  if (cc.scope !== undefined && cc.scope !== 'HOST_ONLY' && cc.scope !== 'SUBDOMAINS') return 'scope must be HOST_ONLY or SUBDOMAINS.';
  const l = cc.crawlerLimits;
  if (l?.rateLimit !== undefined && (!Number.isInteger(l.rateLimit) || l.rateLimit < 1 || l.rateLimit > WEB_LIMITS.rateLimitMax)) return 'crawlerLimits.rateLimit must be between 1 and 300.';
  if (l?.maxPages !== undefined && (!Number.isInteger(l.maxPages) || l.maxPages < 1 || l.maxPages > WEB_LIMITS.maxPagesMax)) return 'crawlerLimits.maxPages must be between 1 and 25000.';
  return undefined;
}

/**
 * Whether a URL is in a seed's scope (the webcrawl page above, "Scope"): by default the seed's host and the pages
 * under its path (seed `https://aws.amazon.com/bedrock/`: `/bedrock/agents/`, not `/ec2/`); HOST_ONLY the seed's
 * host; SUBDOMAINS the seed's domain and its subdomains (seed `aws.amazon.com`: `docs.aws.amazon.com`). A leading
 * `www.` of the seed's host stands for its domain.
 */
export function inCrawlScope(seed: URL, url: URL, scope: 'HOST_ONLY' | 'SUBDOMAINS' | undefined): boolean {
  if (scope === 'SUBDOMAINS') {
    const base = seed.hostname.replace(/^www\./, '');
    return url.hostname === base || url.hostname.endsWith(`.${base}`);
  }
  if (url.host !== seed.host) return false;
  if (scope === 'HOST_ONLY') return true;
  const dir = seed.pathname.slice(0, seed.pathname.lastIndexOf('/') + 1);
  return url.pathname.startsWith(dir);
}

/**
 * Whether the filters let a URL be crawled: "If you specify an inclusion and exclusion filter/pattern and both match
 * a URL, the exclusion filter takes precedence and the web content of the URL isn't crawled" (WebCrawlerConfiguration
 * above). With inclusion filters, a URL must match one of them. Patterns are JavaScript regular expressions searched
 * in the whole URL.
 */
export function passesFilters(url: string, include: RegExp[], exclude: RegExp[]): boolean {
  if (exclude.some((r) => r.test(url))) return false;
  return include.length === 0 || include.some((r) => r.test(url));
}

/** The links of an HTML page (`a` and `area` hrefs, resolved against the page's URL or its `<base href>`). */
export function htmlLinks(html: string, pageUrl: string): string[] {
  let base = pageUrl;
  const hrefs: string[] = [];
  const parser = new Parser({
    onopentag(name, attrs) {
      if (name === 'base' && attrs.href) {
        try {
          base = new URL(attrs.href, pageUrl).href;
        } catch {
          // an invalid base is ignored, as browsers do
        }
      } else if ((name === 'a' || name === 'area') && attrs.href && !/\bnofollow\b/i.test(attrs.rel ?? '')) {
        hrefs.push(attrs.href);
      }
    },
  }, { decodeEntities: true });
  parser.write(html);
  parser.end();
  const out: string[] = [];
  for (const href of hrefs) {
    try {
      const u = new URL(href.trim(), base);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') continue;
      u.hash = '';
      out.push(u.href);
    } catch {
      // not a URL
    }
  }
  return out;
}

/** One robots.txt group's rules for our user agent (RFC 9309: https://www.rfc-editor.org/rfc/rfc9309.html). */
interface RobotsRule { allow: boolean; pattern: string }

/**
 * The rules of a robots.txt that apply to the crawler: the groups naming `bedrockbot` (Bedrock's crawler, the
 * webcrawl page above), else the `*` groups. RFC 9309 section 2.2.2: the most specific (longest) matching rule
 * wins, Allow over Disallow when equal; `*` matches any characters and `$` the end.
 */
export function robotsRules(text: string): RobotsRule[] {
  const groups: Array<{ agents: string[]; rules: RobotsRule[] }> = [];
  let current: { agents: string[]; rules: RobotsRule[] } | undefined;
  let lastWasAgent = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^([A-Za-z-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1].toLowerCase();
    const value = m[2].trim();
    if (key === 'user-agent') {
      if (!current || !lastWasAgent) {
        current = { agents: [], rules: [] };
        groups.push(current);
      }
      current.agents.push(value.toLowerCase());
      lastWasAgent = true;
    } else if ((key === 'allow' || key === 'disallow') && current) {
      lastWasAgent = false;
      if (value) current.rules.push({ allow: key === 'allow', pattern: value });
    } else {
      lastWasAgent = false;
    }
  }
  const ours = groups.filter((g) => g.agents.some((a) => a.startsWith('bedrockbot')));
  return (ours.length ? ours : groups.filter((g) => g.agents.includes('*'))).flatMap((g) => g.rules);
}

/** Whether robots.txt rules let the crawler fetch a path (with its query). */
export function robotsAllow(rules: RobotsRule[], pathAndQuery: string): boolean {
  let best: RobotsRule | undefined;
  for (const r of rules) {
    const re = new RegExp(`^${r.pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*').replace(/\\\$$/, '$')}`);
    if (!re.test(pathAndQuery)) continue;
    if (!best || r.pattern.length > best.pattern.length || (r.pattern.length === best.pattern.length && r.allow)) best = r;
  }
  return best?.allow ?? true;
}

/** A page the crawl fetched. */
export interface CrawledPage {
  readonly url: string;
  readonly bytes: Uint8Array;
  readonly format: DocumentFormat;
}

export interface CrawlOptions {
  /** The local crawler's own bound on pages (Bedrock's maxPages, when lower, wins). */
  readonly maxPages: number;
  /** The largest page or document read. */
  readonly maxBytes: number;
  /** Each fetch's deadline. */
  readonly fetchTimeoutMs: number;
}

export interface CrawlResult {
  readonly pages: CrawledPage[];
  /** `<url>: <reason>` for each page that could not be fetched. */
  readonly failures: string[];
  /** Set when the data source's maxPages was exceeded: Bedrock then fails the sync and ingests nothing. */
  readonly exceeded?: string;
  /** Set when the local bound stopped the crawl (below the data source's maxPages). */
  readonly stopped?: string;
}

/**
 * "The max rate at which pages are crawled, up to 300 per minute per host" (WebCrawlerLimits above); absent, the
 * local crawler uses that maximum.
 */
const DEFAULT_RATE = 300;

const DOCUMENT_EXTENSIONS = /\.(pdf|docx|txt|md|markdown|csv)$/i;

/** Crawls a WEB data source: breadth first from the seeds, within scope and filters, robots.txt and the rate. */
export async function crawl(config: WebConfiguration, o: CrawlOptions): Promise<CrawlResult> {
  const cc = config.crawlerConfiguration ?? {};
  const include = (cc.inclusionFilters ?? []).map((p) => new RegExp(p));
  const exclude = (cc.exclusionFilters ?? []).map((p) => new RegExp(p));
  const seeds = config.sourceConfiguration.urlConfiguration.seedUrls.map((s) => new URL(s.url));
  const limit = cc.crawlerLimits?.maxPages;
  const bound = Math.min(limit ?? Infinity, o.maxPages);
  const intervalMs = 60_000 / (cc.crawlerLimits?.rateLimit ?? DEFAULT_RATE);
  const userAgent = `bedrockbot-local${cc.userAgent ? ` ${cc.userAgent}` : ''}`;
  const lastFetch = new Map<string, number>();
  const robots = new Map<string, RobotsRule[]>();
  const pages: CrawledPage[] = [];
  const failures: string[] = [];
  const seen = new Set<string>();
  const queue: Array<{ url: string; follow: boolean }> = [];
  const enqueue = (url: string, follow: boolean) => {
    if (seen.has(url)) return;
    seen.add(url);
    queue.push({ url, follow });
  };
  for (const s of seeds) {
    s.hash = '';
    if (passesFilters(s.href, include, exclude)) enqueue(s.href, true);
  }
  const consider = (link: string) => {
    const u = new URL(link);
    if (!passesFilters(u.href, include, exclude)) return;
    // "If any of the HTML pages reference supported documents, the Web Crawler will fetch these documents,
    // regardless if they are within the same top primary domain" (the webcrawl page above)
    if (seeds.some((s) => inCrawlScope(s, u, cc.scope))) enqueue(u.href, true);
    else if (DOCUMENT_EXTENSIONS.test(u.pathname)) enqueue(u.href, false);
  };

  /**
   * Fetches at the data source's rate: the next request to a host starts at least 60 s / rateLimit after the last
   * one was answered (so the host sees them at least that far apart).
   */
  const get = async (url: string): Promise<Response> => {
    const host = new URL(url).host;
    const last = lastFetch.get(host);
    if (last !== undefined) {
      const wait = last + intervalMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait + 1));
    }
    try {
      return await fetch(url, { redirect: 'manual', headers: { 'user-agent': userAgent, ...(cc.userAgentHeader ? { 'x-user-agent': cc.userAgentHeader } : {}) }, signal: AbortSignal.timeout(o.fetchTimeoutMs) });
    } finally {
      lastFetch.set(host, Date.now());
    }
  };

  const readCapped = async (res: Response): Promise<Uint8Array | undefined> => {
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > o.maxBytes) return undefined;
    const parts: Uint8Array[] = [];
    let total = 0;
    const reader = res.body?.getReader();
    if (!reader) return new Uint8Array();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > o.maxBytes) {
        await reader.cancel();
        return undefined;
      }
      parts.push(value);
    }
    return Buffer.concat(parts);
  };

  const allowedByRobots = async (u: URL): Promise<boolean> => {
    let rules = robots.get(u.origin);
    if (!rules) {
      rules = [];
      try {
        const res = await get(`${u.origin}/robots.txt`);
        if (res.ok) rules = robotsRules(new TextDecoder().decode(await readCapped(res) ?? new Uint8Array()));
        else await res.body?.cancel();
      } catch {
        // no robots.txt: everything is allowed (RFC 9309 section 2.3.1.3, "unavailable")
      }
      robots.set(u.origin, rules);
    }
    return robotsAllow(rules, u.pathname + u.search);
  };

  while (queue.length) {
    const { url, follow } = queue.shift()!;
    const u = new URL(url);
    try {
      if (!await allowedByRobots(u)) continue;
      const res = await get(url);
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        const location = res.headers.get('location');
        if (location) consider(new URL(location, url).href);
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        failures.push(`${url}: HTTP ${res.status}`);
        continue;
      }
      const format = formatOfMimeType(res.headers.get('content-type') ?? '') ?? formatOfKey(u.pathname);
      if (!format) {
        // images, scripts and other content that is not a document are skipped
        await res.body?.cancel();
        continue;
      }
      const bytes = await readCapped(res);
      if (!bytes) {
        failures.push(`${url}: larger than ${o.maxBytes} bytes`);
        continue;
      }
      if (pages.length >= bound) {
        if (limit !== undefined && limit <= o.maxPages) {
          return { pages: [], failures, exceeded: `The crawl found more than ${limit} pages (crawlerLimits.maxPages): no web pages were ingested.` };
        }
        return { pages, failures, stopped: `The local crawler stops after ${o.maxPages} pages: ${url} and the pages after it were not crawled.` };
      }
      pages.push({ url, bytes, format });
      if (follow && format === 'html') for (const link of htmlLinks(new TextDecoder().decode(bytes), url)) consider(link);
    } catch (err) {
      failures.push(`${url}: ${(err as Error).name === 'TimeoutError' ? `no answer within ${o.fetchTimeoutMs} ms` : (err as Error).message}`);
    }
  }
  return { pages, failures };
}
