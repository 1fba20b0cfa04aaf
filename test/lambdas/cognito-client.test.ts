/**
 * The small Cognito client of the functions (src/lambdas/wiring/cognito-client.ts) over the wire: the same calls as
 * the AWS SDK's client to the local Cognito emulator and to moto_server's cognito-idp, the same answers expected (so
 * the request it builds is one a real JSON 1.1 endpoint accepts); its errors carry the SDK's names; throttling is
 * retried; the request is signed for cognito-idp with the environment's credentials.
 */
import { createServer, IncomingMessage } from 'http';
import {
  AdminListGroupsForUserCommand, CognitoIdentityProviderClient, ListGroupsCommand, ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { emailPrefixFilter } from '../../src/lambdas/wiring/cognito';
import { CognitoClient } from '../../src/lambdas/wiring/cognito-client';
import { closeServer, listenLoopback } from '../../src/local/emulators/util';
import { hasPythonTool } from '../../src/local/python-tools';
import { emulatorPool, motoPool } from '../local/cognito-pools';

const USERS = [
  { username: 'alice', email: 'alice@example.com', groups: ['CreatingBotAllowed'] },
  { username: 'bob', email: 'bob@example.com', groups: [] as string[] },
  { username: 'bobby', email: 'bobby@example.org', groups: ['Admin', 'CreatingBotAllowed', 'PublishAllowed'] },
];
const GROUPS = [{ name: 'Admin', description: 'Administrators' }, { name: 'CreatingBotAllowed', description: 'Creators' }, { name: 'PublishAllowed' }];
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

interface Target { endpoint: string; poolId: string; stop: () => Promise<void> }

const sdkOf = (endpoint: string) => new CognitoIdentityProviderClient({ endpoint, region: 'us-east-1', credentials });
const smallOf = (endpoint: string) => new CognitoClient({ endpoint, region: 'us-east-1', credentials: async () => credentials, backoff: () => 1 });

const emulator = (): Promise<Target> => emulatorPool(GROUPS, USERS);
const moto = (): Promise<Target> => motoPool(GROUPS, USERS);

const withMoto = hasPythonTool('moto_server');
if (!withMoto) console.warn('moto_server is not installed: the small Cognito client is checked against the emulator alone (pip install "moto[server]")');

describe.each(withMoto ? ['emulator', 'moto'] : ['emulator'])('%s', (kind) => {
  let t: Target;
  let sdk: CognitoIdentityProviderClient;
  let small: CognitoClient;
  beforeAll(async () => {
    t = kind === 'moto' ? await moto() : await emulator();
    sdk = sdkOf(t.endpoint);
    small = smallOf(t.endpoint);
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  test('AdminListGroupsForUser: the groups the SDK reads, page by page (Limit 1 and NextToken)', async () => {
    for (const u of USERS) {
      const viaSdk = (await sdk.send(new AdminListGroupsForUserCommand({ UserPoolId: t.poolId, Username: u.username }))).Groups!
        .map((g) => g.GroupName).sort();
      const pages: string[] = [];
      let next: string | undefined;
      let calls = 0;
      do {
        const res = await small.send('AdminListGroupsForUser', { UserPoolId: t.poolId, Username: u.username, Limit: 1, NextToken: next });
        pages.push(...(res.Groups ?? []).map((g) => g.GroupName!));
        next = res.NextToken;
        calls++;
      } while (next && calls < 10);
      expect({ user: u.username, groups: pages.sort() }).toEqual({ user: u.username, groups: viaSdk });
      expect(pages.sort()).toEqual([...u.groups].sort());
    }
  });

  test('ListUsers with an email prefix filter, and ListGroups: what the SDK reads', async () => {
    const emails = (users: { Attributes?: readonly { Name?: string; Value?: string }[] }[] | undefined) =>
      (users ?? []).map((u) => u.Attributes?.find((a) => a.Name === 'email')?.Value).sort();
    for (const prefix of ['bob', 'alice@', 'carol', '']) {
      const filter = prefix ? emailPrefixFilter(prefix) : undefined;
      const viaSdk = emails((await sdk.send(new ListUsersCommand({ UserPoolId: t.poolId, Filter: filter }))).Users);
      expect({ prefix, emails: emails((await small.send('ListUsers', { UserPoolId: t.poolId, Filter: filter, Limit: 20 })).Users) }).toEqual({ prefix, emails: viaSdk });
    }
    const groups = (list: { GroupName?: string; Description?: string }[] | undefined) =>
      (list ?? []).map((g) => [g.GroupName, g.Description || undefined]).sort();
    expect(groups((await small.send('ListGroups', { UserPoolId: t.poolId, Limit: 60 })).Groups))
      .toEqual(groups((await sdk.send(new ListGroupsCommand({ UserPoolId: t.poolId }))).Groups));
  });

  test('an unknown user or pool is an error with the SDK\'s name and the HTTP status', async () => {
    const viaSdk = await sdk.send(new AdminListGroupsForUserCommand({ UserPoolId: t.poolId, Username: 'nobody' })).catch((e) => e);
    const viaSmall = await small.send('AdminListGroupsForUser', { UserPoolId: t.poolId, Username: 'nobody' }).catch((e) => e);
    expect(viaSmall).toBeInstanceOf(Error);
    expect({ name: viaSmall.name, status: viaSmall.$metadata.httpStatusCode }).toEqual({ name: 'UserNotFoundException', status: viaSdk.$metadata.httpStatusCode });
    await expect(small.send('ListGroups', { UserPoolId: 'us-east-1_Nope12345' })).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('against a recording endpoint', () => {
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  let answers: { status: number; body: unknown; type?: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const a = answers.shift() ?? { status: 200, body: { Groups: [] } };
      res.writeHead(a.status, { 'content-type': 'application/x-amz-json-1.1', ...(a.type ? { 'x-amzn-errortype': a.type } : {}) });
      res.end(JSON.stringify(a.body));
    });
  });
  let endpoint: string;
  beforeAll(async () => {
    endpoint = `http://127.0.0.1:${await listenLoopback(server)}`;
  });
  afterAll(() => closeServer(server));
  beforeEach(() => {
    received.length = 0;
    answers = [];
  });

  test('the request is a JSON 1.1 POST signed for cognito-idp with the credentials (and session token) it was given', async () => {
    const client = new CognitoClient({ endpoint, region: 'eu-west-3', credentials: async () => ({ ...credentials, sessionToken: 'the-session' }) });
    await client.send('ListGroups', { UserPoolId: 'eu-west-3_abc', Limit: 60 });
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r.headers['x-amz-target']).toBe('AWSCognitoIdentityProviderService.ListGroups');
    expect(r.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(JSON.parse(r.body)).toEqual({ UserPoolId: 'eu-west-3_abc', Limit: 60 });
    expect(r.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=testing\/\d{8}\/eu-west-3\/cognito-idp\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-target[a-z0-9;-]*, Signature=[0-9a-f]{64}$/);
    expect(r.headers['x-amz-security-token']).toBe('the-session');
  });

  test('throttling is retried (3 attempts in all), a client error is not', async () => {
    const client = new CognitoClient({ endpoint, region: 'us-east-1', credentials: async () => credentials, backoff: () => 1 });
    answers = [
      { status: 400, body: { __type: 'TooManyRequestsException', message: 'Too many requests' } },
      { status: 500, body: { __type: 'InternalErrorException', message: 'oops' } },
      { status: 200, body: { Groups: [{ GroupName: 'Admin' }] } },
    ];
    await expect(client.send('ListGroups', { UserPoolId: 'p' })).resolves.toEqual({ Groups: [{ GroupName: 'Admin' }] });
    expect(received).toHaveLength(3);

    received.length = 0;
    answers = [1, 2, 3].map(() => ({ status: 400, body: { __type: 'com.amazonaws.cognito#TooManyRequestsException:http://internal', message: 'slow down' } }));
    await expect(client.send('ListGroups', { UserPoolId: 'p' })).rejects.toMatchObject({ name: 'TooManyRequestsException', message: 'slow down', $metadata: { httpStatusCode: 400 } });
    expect(received).toHaveLength(3);

    received.length = 0;
    answers = [{ status: 400, body: { message: 'bad' }, type: 'InvalidParameterException' }];
    await expect(client.send('ListGroups', { UserPoolId: 'p' })).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'bad' });
    expect(received).toHaveLength(1);
  });
});
