/**
 * The playground's stand-in for the Cognito managed login, over HTTP: the authorize page, the code grant with its
 * PKCE, client and redirect checks (a code is good once), refresh, revoke, logout, and refusals for everything else.
 */
import { createHash } from 'crypto';
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { createLocalIdp } from '../../src/local/idp';
import { createManagedLogin, MANAGED_LOGIN_PATH } from '../../src/local/managed-login';

const CLIENT_ID = 'local-playground';
let server: Server;
let origin: string;
let login: ReturnType<typeof createManagedLogin>;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    login.handle(req, res, url).then((handled) => {
      if (!handled) res.writeHead(418).end();
    }, () => res.writeHead(500).end());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp = createLocalIdp({ issuer: `${origin}/local-idp`, audience: CLIENT_ID });
  login = createManagedLogin({ idp, clients: [{ clientId: CLIENT_ID, callbackUrls: [`${origin}/`], logoutUrls: [`${origin}/`] }] });
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
});

const base = () => `${origin}${MANAGED_LOGIN_PATH}`;
const verifier = 'v'.repeat(48);
const challenge = createHash('sha256').update(verifier).digest('base64url');
const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
  redirect: 'manual' as const,
});

async function codeFor(username: string, redirectUri = `${origin}/`): Promise<string> {
  const res = await fetch(`${base()}/login`, form({ username, client_id: CLIENT_ID, redirect_uri: redirectUri, state: 's1', code_challenge: challenge }));
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location')!);
  expect(back.origin + back.pathname).toBe(redirectUri);
  expect(back.searchParams.get('state')).toBe('s1');
  return back.searchParams.get('code')!;
}

const exchange = (code: string, overrides: Record<string, string> = {}) => fetch(`${base()}/oauth2/token`, form({
  grant_type: 'authorization_code', client_id: CLIENT_ID, code, redirect_uri: `${origin}/`, code_verifier: verifier, ...overrides,
}));

test('the authorize page lists the built-in users under a CSP and carries the request; bad requests are refused', async () => {
  const q = new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: `${origin}/`, state: 'xyz"<', code_challenge: challenge, code_challenge_method: 'S256' });
  const ok = await fetch(`${base()}/oauth2/authorize?${q}`);
  expect(ok.status).toBe(200);
  expect(ok.headers.get('content-security-policy')).toContain("form-action 'self'");
  const page = await ok.text();
  for (const user of ['alice', 'bob', 'admin']) expect(page).toContain(`value="${user}"`);
  expect(page).toContain('value="xyz&quot;&lt;"'); // the state is escaped, never markup
  for (const [name, value] of [['client_id', 'other'], ['redirect_uri', 'https://evil.example/'], ['code_challenge_method', 'plain'], ['response_type', 'token']]) {
    const bad = new URLSearchParams(q);
    bad.set(name, value);
    expect([name, (await fetch(`${base()}/oauth2/authorize?${bad}`)).status]).toEqual([name, 400]);
  }
});

test('the code grant checks the PKCE verifier, the client and the redirect URI, and a code works once', async () => {
  expect((await exchange(await codeFor('alice'), { code_verifier: 'w'.repeat(48) })).status).toBe(400);
  expect((await exchange(await codeFor('alice'), { redirect_uri: `${origin}/other` })).status).toBe(400);
  expect((await exchange(await codeFor('alice'), { client_id: 'other' })).status).toBe(400);

  const code = await codeFor('alice');
  const res = await exchange(code);
  expect(res.status).toBe(200);
  const tokens = await res.json() as { id_token: string; refresh_token: string; expires_in: number };
  const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString('utf8'));
  expect(claims).toMatchObject({ 'cognito:username': 'alice', 'aud': CLIENT_ID, 'token_use': 'id' });
  expect(tokens.expires_in).toBe(3600);
  expect((await exchange(code)).status).toBe(400); // used

  const refreshed = await fetch(`${base()}/oauth2/token`, form({ grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: tokens.refresh_token }));
  expect(refreshed.status).toBe(200);
  expect(await refreshed.json()).toMatchObject({ id_token: expect.any(String) });

  expect((await fetch(`${base()}/oauth2/revoke`, form({ token: tokens.refresh_token, client_id: CLIENT_ID }))).status).toBe(200);
  expect(login.revoked.has(tokens.refresh_token)).toBe(true);
  const after = await fetch(`${base()}/oauth2/token`, form({ grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: tokens.refresh_token }));
  expect(after.status).toBe(400);
  expect(await after.json()).toEqual({ error: 'invalid_grant' });
});

test('sign-in refuses unknown users and any redirect not registered exactly; logout returns only to a registered URL', async () => {
  const unknown = await fetch(`${base()}/login`, form({ username: 'mallory', client_id: CLIENT_ID, redirect_uri: `${origin}/`, code_challenge: challenge }));
  expect(unknown.status).toBe(400);
  const foreign = await fetch(`${base()}/login`, form({ username: 'bob', client_id: CLIENT_ID, redirect_uri: 'https://evil.example/', code_challenge: challenge }));
  expect(foreign.status).toBe(400);
  // Cognito compares the URI exactly: another loopback name, a missing slash or an added path are not registered.
  for (const near of [`${origin.replace('127.0.0.1', 'localhost')}/`, origin, `${origin}/other`, `${origin}/?x=1`]) {
    const res = await fetch(`${base()}/login`, form({ username: 'bob', client_id: CLIENT_ID, redirect_uri: near, code_challenge: challenge }));
    expect(res.status).toBe(400);
    const page = await fetch(`${base()}/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: near, code_challenge: challenge, code_challenge_method: 'S256' })}`);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('redirect_mismatch');
    const away = await fetch(`${base()}/logout?${new URLSearchParams({ client_id: CLIENT_ID, logout_uri: near })}`, { redirect: 'manual' });
    expect(away.status).toBe(400);
  }

  const out = await fetch(`${base()}/logout?${new URLSearchParams({ client_id: CLIENT_ID, logout_uri: `${origin}/` })}`, { redirect: 'manual' });
  expect(out.status).toBe(302);
  expect(out.headers.get('location')).toBe(`${origin}/`);
  const away = await fetch(`${base()}/logout?${new URLSearchParams({ client_id: CLIENT_ID, logout_uri: 'https://evil.example/' })}`, { redirect: 'manual' });
  expect(away.status).toBe(400);
  expect((await fetch(`${base()}/nothing`)).status).toBe(404);
  expect((await fetch(`${origin}/elsewhere`)).status).toBe(418); // not ours
});
