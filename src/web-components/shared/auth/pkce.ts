import { msg } from '@lit/localize';
import { jwtClaims } from './jwt.js';
/**
 * Cognito managed login (OAuth 2.0 authorization code with PKCE, RFC 7636) without a library: the authorize URL,
 * the code and refresh-token grants, revocation and the logout URL. A public client: no client secret.
 *
 * Nothing here runs at import time (safe for server-side rendering); everything needs `crypto.subtle`, i.e. a secure
 * context (https, or http on localhost / 127.0.0.1).
 */

/** The config.json fields for built-in sign-in. */
export interface AuthConfig {
  /** The Cognito domain, e.g. `https://prefix.auth.us-east-1.amazoncognito.com` (a custom domain works too). */
  readonly authDomain?: string;
  /** The app client (public: no secret) allowed to use the authorization code grant with PKCE. */
  readonly userPoolClientId?: string;
  /** Where Cognito sends the user back; one of the client's callback URLs. Default: the page URL without query. */
  readonly redirectUri?: string;
  /** Where Cognito sends the user after sign-out; one of the client's sign-out URLs. Default: `redirectUri`. */
  readonly logoutUri?: string;
  /** Default `openid email profile`. */
  readonly scopes?: readonly string[];
}

/** Tokens as kept by the client. */
export interface Tokens {
  readonly idToken: string;
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** Epoch milliseconds at which the id token expires. */
  readonly expiresAt: number;
}

/** What is remembered between the redirect to Cognito and the return. */
export interface PendingSignIn {
  readonly state: string;
  readonly verifier: string;
  readonly redirectUri: string;
  readonly createdAt: number;
}

/** A failure with a text a user understands (`message`) and the OAuth error code when there is one. */
export class AuthError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'AuthError';
  }
}

/** User-facing texts. */
export const AUTH_TEXT = {
  get state() { return msg('Sign-in could not be completed because the reply did not match the sign-in started on this page. Please sign in again.'); },
  get denied() { return msg('Sign-in was cancelled or refused.'); },
  get code() { return msg('Sign-in could not be completed: the sign-in code was refused or has expired. Please sign in again.'); },
  get client() { return msg('Sign-in is misconfigured on this page (the app client was refused). Please contact the site owner.'); },
  get network() { return msg('The sign-in service could not be reached. Check your connection and try again.'); },
  get expired() { return msg('Your session has expired. Please sign in again.'); },
  get insecure() { return msg('Sign-in needs a secure page (https).'); },
};

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** A random URL-safe string from `bytes` random bytes (32 bytes → 43 characters, within RFC 7636's 43-128). */
export function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** `BASE64URL(SHA256(verifier))`. */
export async function challengeOf(verifier: string): Promise<string> {
  if (!globalThis.crypto?.subtle) throw new AuthError(AUTH_TEXT.insecure, 'insecure_context');
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** The domain as an origin without trailing slash; `prefix.auth…` without a scheme gets `https://`. */
export function domainOf(config: AuthConfig): string {
  const domain = (config.authDomain ?? '').trim().replace(/\/+$/, '');
  return /^https?:\/\//.test(domain) ? domain : `https://${domain}`;
}

/** The page URL without query and fragment (the default redirect URI). */
export function pageUrl(location: Location): string {
  return `${location.origin}${location.pathname}`;
}

/** `https://<domain>/oauth2/authorize?response_type=code&client_id&redirect_uri&scope&code_challenge_method=S256&code_challenge&state`. */
export function authorizeUrl(config: AuthConfig, redirectUri: string, challenge: string, state: string): string {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: config.userPoolClientId ?? '',
    redirect_uri: redirectUri,
    scope: (config.scopes ?? ['openid', 'email', 'profile']).join(' '),
    code_challenge_method: 'S256',
    code_challenge: challenge,
    state,
  });
  return `${domainOf(config)}/oauth2/authorize?${params}`;
}

/** `https://<domain>/logout?client_id&logout_uri`. */
export function logoutUrl(config: AuthConfig, logoutUri: string): string {
  return `${domainOf(config)}/logout?${new URLSearchParams({ client_id: config.userPoolClientId ?? '', logout_uri: logoutUri })}`;
}

export { jwtClaims };

/** Reads `exp` (seconds) from a JWT without verifying it; undefined if not a JWT. */
export function jwtExpiry(token: string): number | undefined {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === 'number' ? exp * 1000 : undefined;
}

interface TokenResponse {
  id_token?: string;
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
}

/** POSTs a form to `/oauth2/token`; OAuth errors become AuthError with a readable message. */
async function tokenRequest(config: AuthConfig, form: Record<string, string>, refreshing: boolean): Promise<TokenResponse> {
  let res: Response;
  try {
    res = await fetch(`${domainOf(config)}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
      credentials: 'omit',
    });
  } catch {
    throw new AuthError(AUTH_TEXT.network, 'network');
  }
  const body = await res.json().catch(() => ({})) as TokenResponse;
  if (!res.ok || body.error || !body.id_token) {
    const code = body.error ?? `http_${res.status}`;
    if (code === 'invalid_client' || code === 'unauthorized_client') throw new AuthError(AUTH_TEXT.client, code);
    if (res.status >= 500) throw new AuthError(AUTH_TEXT.network, code);
    throw new AuthError(refreshing ? AUTH_TEXT.expired : AUTH_TEXT.code, code);
  }
  return body;
}

function tokensOf(body: TokenResponse, previousRefresh?: string): Tokens {
  const idToken = body.id_token!;
  const expiresAt = jwtExpiry(idToken) ?? Date.now() + (body.expires_in ?? 3600) * 1000;
  // Cognito returns no new refresh token on refresh (unless rotation is on): keep the one we have.
  return { idToken, accessToken: body.access_token ?? '', refreshToken: body.refresh_token ?? previousRefresh, expiresAt };
}

/** The authorization code grant with the PKCE verifier. */
export async function exchangeCode(config: AuthConfig, code: string, pending: PendingSignIn): Promise<Tokens> {
  return tokensOf(await tokenRequest(config, {
    grant_type: 'authorization_code',
    client_id: config.userPoolClientId ?? '',
    code,
    redirect_uri: pending.redirectUri,
    code_verifier: pending.verifier,
  }, false));
}

/** The refresh token grant. */
export async function refreshTokens(config: AuthConfig, refreshToken: string): Promise<Tokens> {
  return tokensOf(await tokenRequest(config, {
    grant_type: 'refresh_token',
    client_id: config.userPoolClientId ?? '',
    refresh_token: refreshToken,
  }, true), refreshToken);
}

/** Best effort: revokes the refresh token (and the tokens issued from it) at `/oauth2/revoke`. */
export async function revoke(config: AuthConfig, refreshToken: string): Promise<void> {
  await fetch(`${domainOf(config)}/oauth2/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: refreshToken, client_id: config.userPoolClientId ?? '' }),
    credentials: 'omit',
  }).catch(() => undefined);
}
