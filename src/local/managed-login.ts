/**
 * A local stand-in for the Cognito managed login (the OAuth 2.0 endpoints of a user pool domain), so that the
 * widget's and the app's built-in sign-in (authorization code + PKCE) run in the playground exactly as against
 * Cognito: `GET /oauth2/authorize` shows a page to pick a built-in user, `POST /oauth2/token` exchanges the code
 * (checking the PKCE verifier, the client and the redirect URI) and refreshes, `POST /oauth2/revoke` revokes a
 * refresh token, `GET /logout` returns to the app. Served under `<origin>/local-login`, which config.json gives as
 * `authDomain`.
 */
import { createHash, randomBytes } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import { readBody } from './emulators/util';
import { LOCAL_USERS } from './idp';
import type { LocalIdp, LocalUser } from './idp';

export const MANAGED_LOGIN_PATH = '/local-login';
const CODE_TTL_MS = 5 * 60_000;
const ID_TOKEN_TTL_S = 3600;

export interface ManagedLoginOptions {
  readonly idp: LocalIdp;
  readonly clientId: string;
  /** Redirect and logout URIs must be on this origin (the playground's; any loopback name with its port). */
  readonly origin: string;
}

export interface ManagedLogin {
  /** Refresh tokens revoked so far (tests). */
  readonly revoked: ReadonlySet<string>;
  /** Handles a request under MANAGED_LOGIN_PATH; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

interface PendingCode {
  readonly user: LocalUser;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly expiresAt: number;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
const token = () => randomBytes(32).toString('base64url');

export function createManagedLogin(options: ManagedLoginOptions): ManagedLogin {
  const codes = new Map<string, PendingCode>();
  const refreshTokens = new Map<string, LocalUser>();
  const revoked = new Set<string>();

  const own = new URL(options.origin);
  const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];
  const sameOrigin = (uri: string | null): uri is string => {
    try {
      const url = new URL(uri ?? '');
      return url.protocol === own.protocol && url.port === own.port && LOOPBACK.includes(url.hostname);
    } catch {
      return false;
    }
  };

  const page = (res: ServerResponse, status: number, title: string, body: string) => {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>body{font:16px system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color-scheme:light dark}
button{font:inherit;display:block;width:100%;margin:.5rem 0;padding:.6rem;border-radius:.4rem;cursor:pointer}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`);
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const tokens = (user: LocalUser, refreshToken?: string) => ({
    id_token: options.idp.issueIdToken(user, { expiresInSec: ID_TOKEN_TTL_S }),
    access_token: token(),
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    token_type: 'Bearer',
    expires_in: ID_TOKEN_TTL_S,
  });

  async function form(req: IncomingMessage): Promise<URLSearchParams> {
    return new URLSearchParams((await readBody(req)).toString('utf8'));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (url.pathname !== MANAGED_LOGIN_PATH && !url.pathname.startsWith(`${MANAGED_LOGIN_PATH}/`)) return false;
    const path = url.pathname.slice(MANAGED_LOGIN_PATH.length);
    const q = url.searchParams;

    if (path === '/oauth2/authorize' && req.method === 'GET') {
      const problem = q.get('response_type') !== 'code' ? 'response_type must be code'
        : q.get('client_id') !== options.clientId ? 'unknown client_id'
          : !sameOrigin(q.get('redirect_uri')) ? 'redirect_uri is not a URL of this playground'
            : q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') ? 'PKCE (code_challenge with S256) is required'
              : undefined;
      if (problem) {
        page(res, 400, 'Sign-in request refused', `<p>${escapeHtml(problem)}.</p>`);
        return true;
      }
      const hidden = ['client_id', 'redirect_uri', 'state', 'code_challenge']
        .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(q.get(name) ?? '')}">`).join('');
      const users = Object.values(LOCAL_USERS).map((u) =>
        `<button type="submit" name="username" value="${escapeHtml(u.username)}">${escapeHtml(u.username)} (${escapeHtml(u.email)})</button>`).join('');
      page(res, 200, 'Sign in to the local playground', `<p>This page stands in for the Cognito managed login.
        Choose a built-in user:</p><form method="post" action="${MANAGED_LOGIN_PATH}/login">${hidden}${users}</form>`);
      return true;
    }

    if (path === '/login' && req.method === 'POST') {
      const f = await form(req);
      const user = Object.values(LOCAL_USERS).find((u) => u.username === f.get('username'));
      const redirectUri = f.get('redirect_uri');
      if (!user || f.get('client_id') !== options.clientId || !sameOrigin(redirectUri) || !f.get('code_challenge')) {
        page(res, 400, 'Sign-in refused', '<p>Unknown user or a changed sign-in request.</p>');
        return true;
      }
      const code = token();
      codes.set(code, { user, clientId: options.clientId, redirectUri, challenge: f.get('code_challenge')!, expiresAt: Date.now() + CODE_TTL_MS });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      if (f.get('state')) back.searchParams.set('state', f.get('state')!);
      res.writeHead(302, { 'location': back.href, 'cache-control': 'no-store' });
      res.end();
      return true;
    }

    if (path === '/oauth2/token' && req.method === 'POST') {
      const f = await form(req);
      if (f.get('client_id') !== options.clientId) {
        json(res, 400, { error: 'invalid_client' });
      } else if (f.get('grant_type') === 'authorization_code') {
        const code = f.get('code') ?? '';
        const pending = codes.get(code);
        codes.delete(code); // a code is good for one attempt
        const verifier = f.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (!pending || pending.expiresAt < Date.now() || pending.redirectUri !== f.get('redirect_uri') || pending.challenge !== challenge) {
          json(res, 400, { error: 'invalid_grant' });
        } else {
          const refreshToken = token();
          refreshTokens.set(refreshToken, pending.user);
          json(res, 200, tokens(pending.user, refreshToken));
        }
      } else if (f.get('grant_type') === 'refresh_token') {
        const user = refreshTokens.get(f.get('refresh_token') ?? '');
        if (!user) json(res, 400, { error: 'invalid_grant' });
        else json(res, 200, tokens(user));
      } else {
        json(res, 400, { error: 'unsupported_grant_type' });
      }
      return true;
    }

    if (path === '/oauth2/revoke' && req.method === 'POST') {
      const f = await form(req);
      const refreshToken = f.get('token') ?? '';
      if (refreshTokens.delete(refreshToken)) revoked.add(refreshToken);
      res.writeHead(200).end();
      return true;
    }

    if (path === '/logout' && req.method === 'GET') {
      const logoutUri = q.get('logout_uri');
      if (q.get('client_id') !== options.clientId || !sameOrigin(logoutUri)) {
        page(res, 400, 'Sign-out request refused', '<p>Unknown client_id or a logout_uri outside this playground.</p>');
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
