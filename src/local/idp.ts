import { createSign, generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';

export interface LocalUser {
  readonly sub: string;
  readonly username: string;
  readonly email: string;
  readonly groups?: readonly string[];
}

/**
 * The built-in users of the playground (stable `sub`s) and their groups: admin administers (Admin), alice creates bots
 * (CreatingBotAllowed), bob does neither (he uses bots others share). A group the template does not define is dropped.
 */
export const LOCAL_USERS: Readonly<Record<'alice' | 'bob' | 'admin', LocalUser>> = {
  alice: { sub: '3f1c2a9e-5b7d-4c8e-9a10-1b2c3d4e5f01', username: 'alice', email: 'alice@example.com', groups: ['CreatingBotAllowed'] },
  bob: { sub: '7a2b4c6d-8e9f-4a1b-8c2d-3e4f5a6b7c02', username: 'bob', email: 'bob@example.com', groups: [] },
  admin: { sub: 'c0ffee00-1234-4abc-9def-56789abcde03', username: 'admin', email: 'admin@example.com', groups: ['Admin'] },
};

export interface JsonWebKeySet {
  keys: Array<{ kty: string; kid: string; alg: string; use: string; n: string; e: string }>;
}

export interface IssueTokenOptions {
  /** Lifetime (default 3600 s); negative values give an already expired token. */
  readonly expiresInSec?: number;
}

export interface LocalIdp {
  readonly issuer: string;
  readonly audience: string;
  /** The public key set, to serve at `<issuer>/.well-known/jwks.json` (or any JWKS URI). */
  readonly jwks: JsonWebKeySet;
  /** A Cognito-shaped ID token (RS256). */
  issueIdToken(user: LocalUser, opts?: IssueTokenOptions): string;
}

export interface LocalIdpOptions {
  readonly issuer: string;
  /** The app client id (`aud`). */
  readonly audience: string;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** A local identity provider: an RS256 key pair generated now, issuing Cognito-shaped ID tokens. */
export function createLocalIdp(options: LocalIdpOptions): LocalIdp {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = (publicKey as KeyObject).export({ format: 'jwk' });
  const jwks: JsonWebKeySet = {
    keys: [{ kty: 'RSA', kid, alg: 'RS256', use: 'sig', n: String(jwk.n), e: String(jwk.e) }],
  };
  return {
    issuer: options.issuer,
    audience: options.audience,
    jwks,
    issueIdToken(user, opts = {}) {
      const now = Math.floor(Date.now() / 1000);
      const exp = now + (opts.expiresInSec ?? 3600);
      const header = { kid, alg: 'RS256', typ: 'JWT' };
      const payload: Record<string, unknown> = {
        'sub': user.sub,
        'aud': options.audience,
        'iss': options.issuer,
        'token_use': 'id',
        'auth_time': Math.min(now, exp - 1),
        'iat': Math.min(now, exp - 1),
        'exp': exp,
        'email': user.email,
        'email_verified': true,
        'cognito:username': user.username,
        'event_id': randomUUID(),
        'jti': randomUUID(),
        'origin_jti': randomUUID(),
      };
      if (user.groups && user.groups.length > 0) payload['cognito:groups'] = [...user.groups];
      const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
      const signature = createSign('RSA-SHA256').update(signingInput).sign(privateKey);
      return `${signingInput}.${b64url(signature)}`;
    },
  };
}
