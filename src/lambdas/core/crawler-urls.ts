/**
 * Web crawler URL safety (docs/knowledge-contract.md, "Web crawler URLs"). Minimal version written by the settings
 * part so that it builds before the crawler part's file lands (the crawler part owns this file and replaces it).
 */
import { isIP } from 'node:net';

export const MAX_CRAWLER_URL = 2048;

const BLOCKED_NAMES = /(^|\.)(localhost|internal|local)$/i;
const METADATA_NAMES = new Set(['metadata.google.internal', 'instance-data', 'instance-data.ec2.internal', 'metadata']);

function ipv4Blocked(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number);
  return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254)
    || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224;
}

function ipv6Blocked(ip: string): boolean {
  const v = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v);
  if (mapped) return ipv4Blocked(mapped[1]);
  if (/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(v)) return true;
  return v === '::' || v === '::1' || /^f[cd]/.test(v) || /^fe[89ab]/.test(v) || /^ff/.test(v);
}

/** Why `url` may not be crawled, or undefined when it may. */
export function checkCrawlerUrl(url: string): string | undefined {
  if (url.length > MAX_CRAWLER_URL) return `A URL has at most ${MAX_CRAWLER_URL} characters.`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${url} is not a URL.`;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'Only http: and https: URLs can be crawled.';
  if (u.username || u.password) return 'A crawled URL may not carry a user name or password.';
  const host = u.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (!host) return 'A crawled URL needs a host name.';
  const family = isIP(host);
  if (family === 4 && ipv4Blocked(host)) return `${host} is a private, loopback or reserved address.`;
  if (family === 6 && ipv6Blocked(host)) return `${host} is a private, loopback or reserved address.`;
  if (family === 0 && (BLOCKED_NAMES.test(host) || METADATA_NAMES.has(host.toLowerCase()))) return `${host} is a local or internal name.`;
  return undefined;
}
