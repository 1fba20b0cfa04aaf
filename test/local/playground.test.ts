import { request } from 'http';
import { Playground, startPlayground } from '../../src/local/playground';

let pg: Playground;
beforeAll(async () => {
  pg = await startPlayground({ quiet: true });
});
afterAll(async () => {
  await pg?.stop();
});

/** A raw request (fetch would normalise `..` away). */
function raw(path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(pg.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('config.json describes the local deployment, readable from any origin', async () => {
  const res = await fetch(`${pg.url}config.json`);
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  expect(await res.json()).toMatchObject({ version: 1, webSocketUrl: pg.webSocketUrl, userPoolClientId: 'local-playground', defaultModel: pg.defaultModelId });
});

test('pages are served with a strict CSP; nothing outside the web folders is reachable', async () => {
  const page = await fetch(pg.url);
  expect(page.status).toBe(200);
  const csp = page.headers.get('content-security-policy')!;
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).not.toContain('unsafe');
  for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/src/local/playground.ts', '/%zz']) {
    expect((await raw(path)).status).toBe(404);
  }
});

test('local sign-in: known users only, clear errors, CORS preflight answered', async () => {
  const ok = await fetch(`${pg.url}local/sign-in`, { method: 'POST', body: JSON.stringify({ username: 'bob' }) });
  expect((await ok.json()).idToken.split('.')).toHaveLength(3);
  const unknown = await fetch(`${pg.url}local/sign-in`, { method: 'POST', body: JSON.stringify({ username: 'mallory' }) });
  expect(unknown.status).toBe(404);
  const bad = await fetch(`${pg.url}local/sign-in`, { method: 'POST', body: 'not json' });
  expect(await bad.json()).toEqual({ code: 'BAD_REQUEST', message: 'Send {"username": "..."}.' });
  const preflight = await raw('/local/sign-in', 'OPTIONS');
  expect(preflight.status).toBe(204);
  expect(preflight.headers['access-control-allow-headers']).toBe('content-type');
});
