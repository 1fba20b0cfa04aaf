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
function raw(path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(pg.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('config.json is the deployed one (markers resolved, endpoints local), readable from any origin', async () => {
  const res = await fetch(`${pg.url}config.json`);
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  const config = await res.json();
  expect(config).toEqual({
    version: 1,
    region: 'us-east-1',
    webSocketUrl: pg.webSocketUrl,
    restApiUrl: pg.restApiUrl,
    userPoolId: expect.stringMatching(/^us-east-1_[A-Za-z0-9]{9}$/),
    userPoolClientId: pg.userPoolClientId,
    defaultModel: 'claude-v4.5-sonnet',
    // The user pool domain (a prefix derived from the stack id), pointed at the managed-login stand-in.
    authDomain: pg.stack.userPools[0].loginOrigin,
  });
  expect(pg.stack.userPools[0].loginOrigin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  // The site's own URL is the registered callback, as the distribution's in AWS.
  expect(pg.stack.userPools[0].clients[0].callbackUrls).toEqual([pg.url]);
  expect(pg.defaultModelId).toBe('claude-v4.5-sonnet');
  expect(pg.webSocketUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
});

test('pages are served with the template\'s CSP pointed at the local servers; nothing outside the site is reachable', async () => {
  const page = await fetch(pg.url);
  expect(page.status).toBe(200);
  const csp = page.headers.get('content-security-policy')!;
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).not.toContain('unsafe');
  expect(csp).toContain(`connect-src 'self' ${pg.restApiUrl} ${new URL(pg.webSocketUrl).origin} `);
  expect(csp).not.toMatch(/amazonaws\.com|cloudfront\.net/);
  const index = await (await fetch(`${pg.url}index.html`)).text();
  for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/src/local/playground.ts', '/%zz']) {
    // Like CloudFront over the bucket: a missing key is 403, which the distribution's error responses turn into the app.
    const res = await raw(path);
    expect(res.status).toBe(200);
    expect(res.body).toBe(index);
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
