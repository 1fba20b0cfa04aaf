/// <reference lib="dom" />
/**
 * Built-in Cognito managed login (authorization code + PKCE) in Chromium, against a fake OAuth server on loopback
 * that checks what Cognito checks: client id, redirect URI, the S256 challenge against the verifier, one-time codes,
 * refresh tokens. The page is served by a small server that proxies /api to the fake chat backend.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ASSISTANT_TEXT, AXE, BUNDLE, CHROMIUM, describeBrowser, FakeBackend, TOKEN, WEB } from './fake-backend';
import type { AxeResult } from './fake-backend';
import { launchChromium } from '../../src/local/browser';

const CLIENT_ID = 'client-1';
const origin = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
const listen = (s: Server) => new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
const body = (req: IncomingMessage) => new Promise<string>((done) => {
  let text = '';
  req.on('data', (c: Buffer) => { text += c; });
  req.on('end', () => done(text));
});

async function until(check: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5000; !check();) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A fake Cognito hosted UI / OAuth 2.0 server. */
class FakeOAuth {
  readonly authorizeRequests: URLSearchParams[] = [];
  readonly tokenRequests: URLSearchParams[] = [];
  readonly revoked: string[] = [];
  readonly logouts: URLSearchParams[] = [];
  /** `ok`, `wrong-state` (replies with another state), `token-error` (the token endpoint refuses the code). */
  mode: 'ok' | 'wrong-state' | 'token-error' = 'ok';
  expiresIn = 3600;
  allowedRedirect = '';
  server = createServer((req, res) => void this.handle(req, res));
  private readonly codes = new Map<string, { challenge: string; redirectUri: string; used: boolean }>();
  private readonly refreshTokens = new Set<string>();
  /** The refresh token issued by the last code exchange. */
  lastRefreshToken = '';
  private n = 0;

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin(this.server));
    const cors = { 'access-control-allow-origin': req.headers.origin ?? '*', 'content-type': 'application/json' };
    if (url.pathname === '/oauth2/authorize') {
      const q = url.searchParams;
      this.authorizeRequests.push(q);
      if (q.get('client_id') !== CLIENT_ID || q.get('redirect_uri') !== this.allowedRedirect || q.get('code_challenge_method') !== 'S256'
        || q.get('response_type') !== 'code' || !q.get('code_challenge')) {
        res.writeHead(400).end('redirect_mismatch');
        return;
      }
      const code = `code-${++this.n}`;
      this.codes.set(code, { challenge: q.get('code_challenge')!, redirectUri: q.get('redirect_uri')!, used: false });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', this.mode === 'wrong-state' ? 'not-the-state' : q.get('state')!);
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    if (url.pathname === '/oauth2/token' && req.method === 'POST') {
      const form = new URLSearchParams(await body(req));
      this.tokenRequests.push(form);
      const refuse = (error: string) => res.writeHead(400, cors).end(JSON.stringify({ error }));
      if (form.get('client_id') !== CLIENT_ID || form.has('client_secret')) return void refuse('invalid_client');
      if (form.get('grant_type') === 'authorization_code') {
        const entry = this.codes.get(form.get('code') ?? '');
        const challenge = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
        if (this.mode === 'token-error' || !entry || entry.used || entry.redirectUri !== form.get('redirect_uri') || entry.challenge !== challenge) {
          return void refuse('invalid_grant');
        }
        entry.used = true;
        const refreshToken = `rt-${++this.n}`;
        this.refreshTokens.add(refreshToken);
        this.lastRefreshToken = refreshToken;
        res.writeHead(200, cors).end(JSON.stringify({ id_token: TOKEN, access_token: 'at', refresh_token: refreshToken, expires_in: this.expiresIn, token_type: 'Bearer' }));
        return;
      }
      if (form.get('grant_type') === 'refresh_token') {
        if (!this.refreshTokens.has(form.get('refresh_token') ?? '')) return void refuse('invalid_grant');
        res.writeHead(200, cors).end(JSON.stringify({ id_token: TOKEN, access_token: 'at2', expires_in: 3600, token_type: 'Bearer' }));
        return;
      }
      return void refuse('unsupported_grant_type');
    }
    if (url.pathname === '/oauth2/revoke' && req.method === 'POST') {
      const form = new URLSearchParams(await body(req));
      this.revoked.push(form.get('token') ?? '');
      this.refreshTokens.delete(form.get('token') ?? '');
      res.writeHead(200, cors).end('{}');
      return;
    }
    if (url.pathname === '/logout') {
      this.logouts.push(url.searchParams);
      res.writeHead(302, { location: url.searchParams.get('logout_uri') ?? '/' }).end();
      return;
    }
    res.writeHead(404).end();
  }
}

describeBrowser('built-in sign-in (Cognito managed login, code + PKCE) in Chromium', () => {
  const backend = new FakeBackend();
  const oauth = new FakeOAuth();
  let site: Server;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  const pageUrl = () => `${origin(site)}/app.html`;

  beforeAll(async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: build it first (vite build --config src/web-components/vite.config.mts)`);
    await backend.start();
    await listen(oauth.server);
    site = createServer((req, res) => {
      const url = new URL(req.url ?? '/', origin(site));
      if (url.pathname === '/app.html') {
        res.writeHead(200, {
          'content-type': 'text/html',
          'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ${backend.origin.replace('http', 'ws')} ${origin(oauth.server)}; base-uri 'none'`,
        });
        res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>auth test</title>
          <script type="module" src="/app.js"></script></head>
          <body><main><h1>Auth test</h1><bedrock-chat config-url="/config.json"></bedrock-chat></main></body></html>`);
      } else if (url.pathname === '/host-token.html') {
        // A host that gives its own tokens: built-in sign-in is off.
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>host token</title>
          <script type="module" src="/host-token.js"></script></head>
          <body><main><h1>Host token</h1><bedrock-chat config-url="/config.json"></bedrock-chat></main></body></html>`);
      } else if (url.pathname === '/host-token.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(`import '/bedrock-chat.js';
          document.querySelector('bedrock-chat').tokenProvider = async () => ${JSON.stringify(TOKEN)};`);
      } else if (url.pathname === '/app.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(`import '/bedrock-chat.js';
          window.events = [];
          document.addEventListener('bedrock-chat-error', (e) => window.events.push(e.detail));
          document.addEventListener('bedrock-chat-message', (e) => window.events.push(e.detail));`);
      } else if (url.pathname === '/config.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({
          webSocketUrl: `${backend.origin.replace('http', 'ws')}/ws`,
          restApiUrl: `${origin(site)}/api/`,
          defaultModel: 'fake.model-v1',
          authDomain: origin(oauth.server),
          userPoolClientId: CLIENT_ID,
        }));
      } else if (url.pathname.startsWith('/api/')) {
        // Same-origin REST: proxied to the fake backend.
        const proxied = request(`${backend.origin}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        req.pipe(proxied);
      } else if (/^\/bedrock-chat[\w-]*\.js$/.test(url.pathname)) {
        // The widget's files (entry, full chunk, and the chunks it loads: the parser, sign-in, locales).
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(readFileSync(join(WEB, url.pathname.slice(1))));
      } else {
        res.writeHead(404).end();
      }
    });
    await listen(site);
    oauth.allowedRedirect = pageUrl();
    browser = await launchChromium(CHROMIUM);
  });

  afterAll(async () => {
    await browser?.close();
    oauth.server.closeAllConnections();
    site?.closeAllConnections();
    await new Promise((done) => oauth.server.close(done));
    await new Promise((done) => site.close(done));
    await backend.stop();
  });

  beforeEach(async () => {
    oauth.mode = 'ok';
    oauth.expiresIn = 3600;
    context = await browser.newContext();
    page = await context.newPage();
  });

  afterEach(async () => {
    await context.close();
  });

  async function signIn(): Promise<void> {
    await page.goto(pageUrl());
    await page.locator('[part="sign-in"]').click();
  }

  test('the sign-in code is loaded only when built-in sign-in is used: not for a host that gives a token provider', async () => {
    const fetched = (p: Page) => {
      const paths: string[] = [];
      p.on('request', (r) => paths.push(new URL(r.url()).pathname));
      return paths;
    };
    const hostPaths = fetched(page);
    await page.goto(`${origin(site)}/host-token.html`);
    await page.locator('[part="input"]:enabled').waitFor();
    await expect(page.locator('[part="sign-in"]').count()).resolves.toBe(0);
    expect(hostPaths.filter((p) => /bedrock-chat-auth-/.test(p))).toEqual([]);
    // The same config without a token provider: the sign-in chunk is fetched and Sign in shown.
    const other = await context.newPage();
    const builtInPaths = fetched(other);
    await other.goto(pageUrl());
    await other.locator('[part="sign-in"]').waitFor();
    expect(builtInPaths.filter((p) => /bedrock-chat-auth-/.test(p))).toHaveLength(1);
    await other.close();
  });

  test('shows Sign in instead of the notice; the code + PKCE round trip signs in and the chat works; reload keeps the session', async () => {
    await page.goto(pageUrl());
    await page.locator('[part="sign-in"]').waitFor();
    await expect(page.locator('[part="notice"]').count()).resolves.toBe(0);
    await expect(page.locator('[part="input"]').isDisabled()).resolves.toBe(true);

    const before = oauth.authorizeRequests.length;
    await page.locator('[part="sign-in"]').click();
    await page.locator('[part="input"]:enabled').waitFor();
    const q = oauth.authorizeRequests[before];
    expect(Object.fromEntries(q)).toEqual({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: pageUrl(),
      scope: 'openid email profile',
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      state: expect.stringMatching(/^[A-Za-z0-9_-]{16,}$/),
    });
    const exchange = oauth.tokenRequests[oauth.tokenRequests.length - 1];
    expect(exchange.get('grant_type')).toBe('authorization_code');
    expect(exchange.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(exchange.has('client_secret')).toBe(false);
    expect(page.url()).toBe(pageUrl()); // code and state removed from the address bar
    const stored = await page.evaluate(() => Object.keys(sessionStorage));
    expect(stored).toEqual([`bedrock-chat:auth:${CLIENT_ID}`]); // the pending verifier is gone, the tokens are kept
    // ... but never the refresh token: it lives in memory only.
    const kept = await page.evaluate((k) => JSON.parse(sessionStorage.getItem(k)!), `bedrock-chat:auth:${CLIENT_ID}`);
    expect(kept).toMatchObject({ idToken: TOKEN, expiresAt: expect.any(Number) });
    expect(kept).not.toHaveProperty('refreshToken');
    expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }))).not.toMatch(/rt-\d+/);

    await page.locator('[part="input"]').fill('hello after sign-in');
    await page.locator('[part="input"]').press('Enter');
    await page.locator(ASSISTANT_TEXT).filter({ hasText: 'hello after sign-in' }).waitFor();
    expect(backend.handshakes[backend.handshakes.length - 1].protocols).toBe(`bedrock-chat.v1, ${TOKEN}`);

    const authorizeCount = oauth.authorizeRequests.length;
    await page.reload();
    await page.locator('[part="sign-out"]').waitFor();
    await page.locator('[part="input"]:enabled').waitFor();
    expect(oauth.authorizeRequests.length).toBe(authorizeCount);
  });

  test('refreshes the id token with the refresh token before it expires', async () => {
    oauth.expiresIn = 62; // refreshed 60 s before expiry: after about 2 s
    await signIn();
    await page.locator('[part="input"]:enabled').waitFor();
    // The refresh token the fake issued at the code exchange (the page keeps it in memory only).
    const issued = oauth.lastRefreshToken;
    await page.waitForFunction((k) => JSON.parse(sessionStorage.getItem(k) ?? '{}').accessToken === 'at2', `bedrock-chat:auth:${CLIENT_ID}`, { timeout: 8000 });
    const refresh = oauth.tokenRequests.filter((f) => f.get('grant_type') === 'refresh_token').pop()!;
    expect(Object.fromEntries(refresh)).toEqual({ grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: issued });
    const tokens = await page.evaluate((k) => JSON.parse(sessionStorage.getItem(k)!), `bedrock-chat:auth:${CLIENT_ID}`);
    expect(tokens).not.toHaveProperty('refreshToken');
    expect(tokens.expiresAt).toBeGreaterThan(Date.now() + 3000_000);
    await expect(page.locator('[part="input"]').isEnabled()).resolves.toBe(true);
  });

  test('a reply with another state is refused with an understandable error, and the code is never exchanged', async () => {
    oauth.mode = 'wrong-state';
    const tokenCalls = oauth.tokenRequests.length;
    await signIn();
    const error = page.locator('[part="auth-error"][role="alert"]');
    await error.waitFor();
    await expect(error.textContent()).resolves.toBe('Sign-in could not be completed because the reply did not match the sign-in started on this page. Please sign in again.');
    expect(oauth.tokenRequests.length).toBe(tokenCalls);
    await expect(page.locator('[part="sign-in"]').isEnabled()).resolves.toBe(true);
    const events = await page.evaluate(() => (window as unknown as { events: { code: string }[] }).events);
    expect(events).toContainEqual(expect.objectContaining({ code: 'AUTH', serverMessage: 'state_mismatch' }));
  });

  test('a refused code is shown as an understandable error', async () => {
    oauth.mode = 'token-error';
    await signIn();
    const error = page.locator('[part="auth-error"]');
    await error.waitFor();
    await expect(error.textContent()).resolves.toBe('Sign-in could not be completed: the sign-in code was refused or has expired. Please sign in again.');
    await expect(page.locator('[part="input"]').isDisabled()).resolves.toBe(true);
  });

  test('Sign out revokes the refresh token, forgets the tokens and goes through /logout back to the page', async () => {
    await signIn();
    // A chat first, so the widget has an open WebSocket when the user signs out.
    await page.locator('[part="input"]:enabled').fill('before sign-out');
    await page.locator('[part="input"]').press('Enter');
    await page.locator(ASSISTANT_TEXT).filter({ hasText: 'before sign-out' }).waitFor();
    const closes = backend.closes.length;
    const logouts = oauth.logouts.length;
    await page.locator('[part="sign-out"]').click();
    await until(() => oauth.logouts.length > logouts);
    await page.locator('[part="sign-in"]:enabled').waitFor();
    // The socket was closed by the page (a normal close), not left open with the old token.
    await until(() => backend.closes.length > closes);
    expect(backend.closes.slice(closes)).toContain(1000);
    expect(oauth.revoked).toHaveLength(1);
    const logout = oauth.logouts[oauth.logouts.length - 1];
    expect(Object.fromEntries(logout)).toEqual({ client_id: CLIENT_ID, logout_uri: pageUrl() });
    await expect(page.evaluate(() => sessionStorage.length)).resolves.toBe(0);
    // The revoked refresh token no longer works at the token endpoint.
    const status = await page.evaluate(async ([url, token, client]) => (await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, client_id: client }),
    })).status, [`${origin(oauth.server)}/oauth2/token`, oauth.revoked[0], CLIENT_ID]);
    expect(status).toBe(400);
  });

  test('axe finds nothing on the sign-in state', async () => {
    await page.goto(pageUrl());
    await page.locator('[part="sign-in"]').waitFor();
    // The page's CSP refuses an injected axe script; run it in a page without CSP, same widget, same origin.
    await context.route(`${origin(site)}/plain.html`, (route) => route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><html lang="en"><head><title>plain</title><script type="module" src="/bedrock-chat.js"></script></head><body><main><h1>t</h1><bedrock-chat config-url="/config.json"></bedrock-chat></main></body></html>',
    }));
    await page.goto(`${origin(site)}/plain.html`);
    await page.locator('[part="sign-in"]').waitFor();
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: unknown) => Promise<AxeResult> } }).axe;
      return (await axe.run(document)).violations.map((v) => v.id);
    });
    expect(violations).toEqual([]);
  });
});
