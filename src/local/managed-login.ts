/**
 * A local stand-in for the Cognito managed login (the OAuth 2.0 endpoints of a user pool domain), so that the
 * widget's and the app's built-in sign-in (authorization code + PKCE) run in the playground exactly as against
 * Cognito: `GET /oauth2/authorize` shows a page to pick a built-in user, `POST /oauth2/token` exchanges the code
 * (checking the PKCE verifier, the client and the redirect URI) and refreshes, `POST /oauth2/revoke` revokes a
 * refresh token, `GET /logout` returns to the app. The local stack serves it on its own origin, standing in for the
 * user pool domain (`<prefix>.auth.<region>.amazoncognito.com`), configured from the template's app clients.
 */
import { createHash, randomBytes } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import { readBody } from './emulators/util';
import { LOCAL_USERS } from './idp';
import type { LocalIdp, LocalUser } from './idp';

export const MANAGED_LOGIN_PATH = '/local-login';
const CODE_TTL_MS = 5 * 60_000;

/**
 * An app client as the template declares it (`AWS::Cognito::UserPoolClient`). Cognito accepts a `redirect_uri` only
 * when it is exactly one of the client's CallbackURLs, and a `logout_uri` only when it is exactly one of its
 * LogoutURLs: https://docs.aws.amazon.com/cognito/latest/developerguide/authorization-endpoint.html ("Amazon Cognito
 * doesn't accept authorization requests with redirect_uri values that aren't in the list of CallbackURLs",
 * CreateUserPoolClient's CallbackURLs) and https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html
 * ("If the value of logout_uri is one of the Allowed sign-out URLs for your app client, Amazon Cognito redirects").
 */
export interface ManagedLoginClient {
  readonly clientId: string;
  readonly callbackUrls: readonly string[];
  readonly logoutUrls: readonly string[];
  /** ID token lifetime (IdTokenValidity in TokenValidityUnits.IdToken; Cognito's default is 1 hour). */
  readonly idTokenValiditySec?: number;
  /** Refresh token lifetime (Cognito's default is 30 days). */
  readonly refreshTokenValiditySec?: number;
}

export interface ManagedLoginOptions {
  readonly idp: LocalIdp;
  /** The user pool's app clients. */
  readonly clients: readonly ManagedLoginClient[];
  /** The path the endpoints are served under (`''` when the stand-in has its own origin). @default MANAGED_LOGIN_PATH */
  readonly basePath?: string;
  /** The users offered on the sign-in page. @default LOCAL_USERS */
  readonly users?: readonly LocalUser[];
}

export interface ManagedLogin {
  /** Refresh tokens revoked so far (tests). */
  readonly revoked: ReadonlySet<string>;
  /** Handles a request under MANAGED_LOGIN_PATH; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

interface PendingCode {
  readonly user: LocalUser;
  readonly client: ManagedLoginClient;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly expiresAt: number;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
const token = () => randomBytes(32).toString('base64url');

export function createManagedLogin(options: ManagedLoginOptions): ManagedLogin {
  const codes = new Map<string, PendingCode>();
  const refreshTokens = new Map<string, { user: LocalUser; client: ManagedLoginClient; expiresAt: number }>();
  const revoked = new Set<string>();
  const basePath = (options.basePath ?? MANAGED_LOGIN_PATH).replace(/\/+$/, '');
  const users = options.users ?? Object.values(LOCAL_USERS);
  const clientOf = (id: string | null) => options.clients.find((c) => c.clientId === id);
  /** Exact string comparison, as Cognito does (no normalisation: a missing trailing slash does not match). */
  const registered = (list: readonly string[], uri: string | null): uri is string => uri !== null && list.includes(uri);

  /** The sign-in form posts here and is redirected to a callback URL: CSP's form-action covers both. */
  const formTargets = () => {
    const origins = new Set<string>();
    for (const c of options.clients) {
      for (const u of c.callbackUrls) {
        try {
          origins.add(new URL(u).origin);
        } catch { /* not a URL: never matched anyway */ }
      }
    }
    return [...origins].join(' ');
  };

  const page = (res: ServerResponse, status: number, title: string, body: string) => {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${formTargets()}; base-uri 'none'; frame-ancestors 'none'`,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>body{font:16px system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color-scheme:light dark}
button{font:inherit;display:block;width:100%;margin:.5rem 0;padding:.6rem;border-radius:.4rem;cursor:pointer}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`);
  };

  // The token and revoke endpoints answer browsers on other origins (an app with PKCE calls them with fetch).
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'access-control-allow-origin': '*' });
    res.end(JSON.stringify(body));
  };

  const tokens = (user: LocalUser, client: ManagedLoginClient, refreshToken?: string) => {
    const ttl = client.idTokenValiditySec ?? 3600;
    return {
      id_token: options.idp.issueIdToken(user, { expiresInSec: ttl }),
      access_token: token(),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      token_type: 'Bearer',
      expires_in: ttl,
    };
  };

  async function form(req: IncomingMessage): Promise<URLSearchParams> {
    return new URLSearchParams((await readBody(req)).toString('utf8'));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (basePath && url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) return false;
    const path = url.pathname.slice(basePath.length);
    const q = url.searchParams;

    if (path === '/oauth2/authorize' && req.method === 'GET') {
      const client = clientOf(q.get('client_id'));
      const problem = q.get('response_type') !== 'code' ? 'response_type must be code'
        : !client ? 'unknown client_id'
          : !registered(client.callbackUrls, q.get('redirect_uri')) ? 'redirect_mismatch: redirect_uri is not one of the app client\'s callback URLs'
            : q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') ? 'PKCE (code_challenge with S256) is required'
              : undefined;
      if (problem) {
        page(res, 400, 'Sign-in request refused', `<p>${escapeHtml(problem)}.</p>`);
        return true;
      }
      const hidden = ['client_id', 'redirect_uri', 'state', 'code_challenge']
        .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(q.get(name) ?? '')}">`).join('');
      const buttons = users.map((u) =>
        `<button type="submit" name="username" value="${escapeHtml(u.username)}">${escapeHtml(u.username)} (${escapeHtml(u.email)})</button>`).join('');
      page(res, 200, 'Sign in to the local playground', `<p>This page stands in for the Cognito managed login.
        Choose a built-in user:</p><form method="post" action="${basePath}/login">${hidden}${buttons}</form>`);
      return true;
    }

    if (path === '/login' && req.method === 'POST') {
      const f = await form(req);
      const user = users.find((u) => u.username === f.get('username'));
      const redirectUri = f.get('redirect_uri');
      const client = clientOf(f.get('client_id'));
      if (!user || !client || !registered(client.callbackUrls, redirectUri) || !f.get('code_challenge')) {
        page(res, 400, 'Sign-in refused', '<p>Unknown user or a changed sign-in request.</p>');
        return true;
      }
      const code = token();
      codes.set(code, { user, client, redirectUri, challenge: f.get('code_challenge')!, expiresAt: Date.now() + CODE_TTL_MS });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      if (f.get('state')) back.searchParams.set('state', f.get('state')!);
      res.writeHead(302, { 'location': back.href, 'cache-control': 'no-store' });
      res.end();
      return true;
    }

    if (path === '/oauth2/token' && req.method === 'POST') {
      const f = await form(req);
      const client = clientOf(f.get('client_id'));
      if (!client) {
        json(res, 400, { error: 'invalid_client' });
      } else if (f.get('grant_type') === 'authorization_code') {
        const code = f.get('code') ?? '';
        const pending = codes.get(code);
        codes.delete(code); // a code is good for one attempt
        const verifier = f.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (!pending || pending.client !== client || pending.expiresAt < Date.now() || pending.redirectUri !== f.get('redirect_uri') || pending.challenge !== challenge) {
          json(res, 400, { error: 'invalid_grant' });
        } else {
          const refreshToken = token();
          const expiresAt = Date.now() + (client.refreshTokenValiditySec ?? 30 * 86400) * 1000;
          refreshTokens.set(refreshToken, { user: pending.user, client, expiresAt });
          json(res, 200, tokens(pending.user, client, refreshToken));
        }
      } else if (f.get('grant_type') === 'refresh_token') {
        const held = refreshTokens.get(f.get('refresh_token') ?? '');
        if (!held || held.client !== client || held.expiresAt < Date.now()) json(res, 400, { error: 'invalid_grant' });
        else json(res, 200, tokens(held.user, client));
      } else {
        json(res, 400, { error: 'unsupported_grant_type' });
      }
      return true;
    }

    if (path === '/oauth2/revoke' && req.method === 'POST') {
      const f = await form(req);
      const refreshToken = f.get('token') ?? '';
      if (refreshTokens.delete(refreshToken)) revoked.add(refreshToken);
      res.writeHead(200, { 'access-control-allow-origin': '*' }).end();
      return true;
    }

    if (path === '/logout' && req.method === 'GET') {
      const logoutUri = q.get('logout_uri');
      const client = clientOf(q.get('client_id'));
      if (!client || !registered(client.logoutUrls, logoutUri)) {
        page(res, 400, 'Sign-out request refused', '<p>Unknown client_id or a logout_uri that is not one of the app client\'s sign-out URLs.</p>');
        return true;
      }
      res.writeHead(302, { 'location': logoutUri, 'cache-control': 'no-store' });
      res.end();
      return true;
    }

    json(res, 404, { code: 'NOT_FOUND', message: 'Not found.' });
    return true;
  }

  return { handle, revoked };
}
