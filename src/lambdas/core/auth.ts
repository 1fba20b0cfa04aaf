import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';

export interface Caller {
  readonly userId: string;
  readonly username: string;
  readonly groups: readonly string[];
  /** The token's `email` claim, when it has one. */
  readonly email?: string;
  /** The token's `exp` claim (seconds since the epoch), when it has one: the caller is authorized until then. */
  readonly expiresAt?: number;
}

export interface TokenVerifierConfig {
  /** Token issuer, e.g. `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`. */
  readonly issuer: string;
  /** App client id the token must be issued for (`aud`). */
  readonly audience: string;
  /** @default `${issuer}/.well-known/jwks.json` */
  readonly jwksUri?: string;
}

export type TokenVerifier = (token: string) => Promise<Caller>;

/**
 * Verifies Cognito-style ID tokens: RS256 signature against the issuer's JWKS (fetched once and cached per
 * container), issuer, audience, expiry and `token_use`. Throws on any failure.
 */
export function createTokenVerifier(config: TokenVerifierConfig): TokenVerifier {
  const jwksUri = config.jwksUri ?? `${config.issuer}/.well-known/jwks.json`;
  const verifier = JwtVerifier.create({
    issuer: config.issuer,
    audience: config.audience,
    jwksUri,
    customJwtCheck: ({ payload }) => {
      if (payload.token_use !== 'id') throw new Error('not an ID token');
    },
  }, isLoopback(jwksUri) ? { jwksCache: new SimpleJwksCache({ fetcher: loopbackFetcher }) } : undefined);
  return async (token) => callerFromClaims(await verifier.verify(token) as Record<string, unknown>);
}

/**
 * aws-jwt-verify only fetches JWKS over HTTPS. The local identity provider of the playground and the tests serves its
 * keys over plain HTTP on loopback; that one case is allowed, any other address still needs HTTPS.
 */
function isLoopback(uri: string): boolean {
  return /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(uri);
}

const loopbackFetcher = {
  fetch: async (uri: string): Promise<ArrayBuffer> => {
    if (!isLoopback(uri)) return new SimpleFetcher().fetch(uri);
    const res = await fetch(uri);
    if (!res.ok) throw new Error(`JWKS request failed with status ${res.status}`);
    return res.arrayBuffer();
  },
};

export function callerFromClaims(claims: Record<string, unknown>): Caller {
  const sub = claims.sub;
  if (typeof sub !== 'string' || !sub) throw new Error('token has no subject');
  const groups = claims['cognito:groups'];
  return {
    userId: sub,
    username: typeof claims['cognito:username'] === 'string' ? claims['cognito:username'] as string : sub,
    groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string')
      : typeof groups === 'string' ? groups.replace(/^\[|\]$/g, '').split(/[ ,]+/).filter(Boolean) : [],
    ...(typeof claims.email === 'string' && claims.email ? { email: claims.email } : {}),
    ...(typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? { expiresAt: claims.exp } : {}),
  };
}

/**
 * Whether a WebSocket connection authorized by a token with this `exp` (seconds since the epoch, as the `$connect`
 * authorizer put it in its context: a string) is past it at `nowMs`. A connection without a recorded expiry (an
 * authorizer older than this check) is not judged here.
 */
export function connectionExpired(exp: string | number | undefined, nowMs: number): boolean {
  if (exp === undefined || exp === '') return false;
  const seconds = Number(exp);
  if (!Number.isFinite(seconds)) return true;
  return nowMs >= seconds * 1000;
}
