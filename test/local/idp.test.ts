import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { createLocalIdp, LOCAL_USERS } from '../../src/local/idp';

let server: Server;
let jwksUri: string;
const issuer = 'http://127.0.0.1/local-idp';
const audience = 'local-client';
const idp = createLocalIdp({ issuer, audience });

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/local-idp/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(idp.jwks));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/local-idp/.well-known/jwks.json`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  server.closeAllConnections();
});

/**
 * aws-jwt-verify's default fetcher accepts only https: URIs; the local IdP serves its JWKS over loopback http,
 * so the verifier gets a JWKS cache with a plain fetch() fetcher (what src/lambdas/core/auth.ts does for loopback).
 */
let jwksFetches = 0;
const jwksCache = () => new SimpleJwksCache({
  fetcher: {
    fetch: async (uri: string) => {
      jwksFetches++;
      const res = await fetch(uri);
      if (!res.ok) throw new Error(`JWKS ${res.status}`);
      return res.arrayBuffer();
    },
  },
});
const verifierFor = (aud: string) => JwtVerifier.create({ issuer, audience: aud, jwksUri }, { jwksCache: jwksCache() });

const decodePart = (token: string, i: number) => JSON.parse(Buffer.from(token.split('.')[i], 'base64url').toString('utf8'));

test('built-in users have stable subs and groups', () => {
  expect(Object.keys(LOCAL_USERS)).toEqual(['alice', 'bob', 'admin']);
  expect(LOCAL_USERS.alice.groups).toEqual(['CreatingBotAllowed']);
  expect(LOCAL_USERS.bob.groups).toEqual([]);
  expect(LOCAL_USERS.admin.groups).toEqual(['Admin']);
  const subs = Object.values(LOCAL_USERS).map((u) => u.sub);
  expect(new Set(subs).size).toBe(3);
  for (const sub of subs) expect(sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('ID tokens are Cognito-shaped and verify with aws-jwt-verify against the served JWKS', async () => {
  const token = idp.issueIdToken(LOCAL_USERS.alice);
  const header = decodePart(token, 0);
  expect(header).toEqual({ kid: idp.jwks.keys[0].kid, alg: 'RS256', typ: 'JWT' });
  const verifier = verifierFor(audience);
  const before = jwksFetches;
  const payload = await verifier.verify(token);
  expect(payload).toMatchObject({
    'sub': LOCAL_USERS.alice.sub,
    'aud': audience,
    'iss': issuer,
    'token_use': 'id',
    'email': 'alice@example.com',
    'cognito:username': 'alice',
    'cognito:groups': ['CreatingBotAllowed'],
  });
  expect(payload.exp! - payload.iat!).toBe(3600);
  expect(typeof payload.auth_time).toBe('number');
  expect(jwksFetches).toBe(before + 1);
});

test('an expired token is rejected', async () => {
  const verifier = verifierFor(audience);
  const token = idp.issueIdToken(LOCAL_USERS.bob, { expiresInSec: -60 });
  await expect(verifier.verify(token)).rejects.toThrow(/expired/i);
});

test('a token for another audience, or signed by another key, is rejected', async () => {
  const other = createLocalIdp({ issuer, audience: 'someone-else' });
  await expect(verifierFor('another-client').verify(idp.issueIdToken(LOCAL_USERS.admin))).rejects.toThrow(/audience/i);
  // a token signed by another key pair (another kid) does not verify against our JWKS
  await expect(verifierFor('someone-else').verify(other.issueIdToken(LOCAL_USERS.admin))).rejects.toThrow();
  // sanity: the same verifier accepts a token of ours for its audience
  await expect(verifierFor(audience).verify(idp.issueIdToken(LOCAL_USERS.admin))).resolves.toMatchObject({ 'cognito:groups': ['Admin'] });
});
