/**
 * The local Cognito Identity Provider API against moto_server's cognito-idp: the same calls (real SDK client) to both,
 * the same answers expected, so the emulator's rules are not only our reading of the API reference. Without
 * moto_server only the emulator runs (with a notice).
 */
import {
  AdminAddUserToGroupCommand, AdminListGroupsForUserCommand, AdminRemoveUserFromGroupCommand, CognitoIdentityProviderClient,
  ListGroupsCommand, ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { emulatorPool, motoPool } from './cognito-pools';
import { emailPrefixFilter } from '../../src/lambdas/wiring/cognito';
import { parseUserFilter } from '../../src/local/emulators/cognito-idp';
import { hasPythonTool } from '../../src/local/python-tools';

const USERS = [
  { username: 'alice', email: 'alice@example.com', groups: ['CreatingBotAllowed'] },
  { username: 'bob', email: 'bob@example.com', groups: [] as string[] },
  { username: 'bobby', email: 'bobby@example.org', groups: ['Admin', 'CreatingBotAllowed'] },
];
const GROUPS = [{ name: 'Admin', description: 'Administrators' }, { name: 'CreatingBotAllowed', description: 'Creators' }, { name: 'PublishAllowed' }];

interface Target { client: CognitoIdentityProviderClient; poolId: string; stop: () => Promise<void> }

const clientOf = (endpoint: string) => new CognitoIdentityProviderClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

async function emulator(): Promise<Target> {
  const t = await emulatorPool(GROUPS, USERS);
  return { client: clientOf(t.endpoint), poolId: t.poolId, stop: t.stop };
}

async function moto(): Promise<Target> {
  const t = await motoPool(GROUPS, USERS);
  return { client: clientOf(t.endpoint), poolId: t.poolId, stop: t.stop };
}

const withMoto = hasPythonTool('moto_server');
if (!withMoto) console.warn('moto_server is not installed: the Cognito emulator is checked alone (pip install "moto[server]")');

describe.each(withMoto ? ['emulator', 'moto'] : ['emulator'])('%s', (kind) => {
  let t: Target;
  beforeAll(async () => {
    t = kind === 'moto' ? await moto() : await emulator();
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  const emails = async (filter?: string) => ((await t.client.send(new ListUsersCommand({ UserPoolId: t.poolId, Filter: filter }))).Users ?? [])
    .map((u) => u.Attributes?.find((a) => a.Name === 'email')?.Value).sort();
  const listGroups = (username: string) => t.client.send(new AdminListGroupsForUserCommand({ UserPoolId: t.poolId, Username: username }));
  const groupsOf = async (username: string) => ((await listGroups(username)).Groups ?? [])
    .map((g) => g.GroupName).sort();

  test('AdminListGroupsForUser lists the user\'s groups', async () => {
    expect(await groupsOf('alice')).toEqual(['CreatingBotAllowed']);
    expect(await groupsOf('bob')).toEqual([]);
    expect(await groupsOf('bobby')).toEqual(['Admin', 'CreatingBotAllowed']);
  });

  test('ListUsers: every user without a filter, a prefix with ^=, an exact value with =', async () => {
    expect(await emails()).toEqual(['alice@example.com', 'bob@example.com', 'bobby@example.org']);
    expect(await emails(emailPrefixFilter('bob'))).toEqual(['bob@example.com', 'bobby@example.org']);
    expect(await emails(emailPrefixFilter('bobby@'))).toEqual(['bobby@example.org']);
    expect(await emails('email = "bob@example.com"')).toEqual(['bob@example.com']);
    expect(await emails(emailPrefixFilter('carol'))).toEqual([]);
  });

  test('ListGroups lists the pool\'s groups with their descriptions', async () => {
    const groups = (await t.client.send(new ListGroupsCommand({ UserPoolId: t.poolId }))).Groups ?? [];
    // moto answers an empty Description for a group created without one; Cognito leaves it out: both mean none.
    expect(groups.map((g) => [g.GroupName, g.Description || undefined]).sort()).toEqual([['Admin', 'Administrators'], ['CreatingBotAllowed', 'Creators'], ['PublishAllowed', undefined]]);
  });

  test('AdminAddUserToGroup and AdminRemoveUserFromGroup change the membership', async () => {
    await t.client.send(new AdminAddUserToGroupCommand({ UserPoolId: t.poolId, Username: 'bob', GroupName: 'PublishAllowed' }));
    expect(await groupsOf('bob')).toEqual(['PublishAllowed']);
    await t.client.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: t.poolId, Username: 'bob', GroupName: 'PublishAllowed' }));
    expect(await groupsOf('bob')).toEqual([]);
  });

  test('an unknown user or pool is an error of the documented type', async () => {
    await expect(t.client.send(new AdminListGroupsForUserCommand({ UserPoolId: t.poolId, Username: 'nobody' }))).rejects.toMatchObject({ name: 'UserNotFoundException' });
    await expect(t.client.send(new ListGroupsCommand({ UserPoolId: 'us-east-1_Nope12345' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

test('the filter parser unescapes quotation marks and backslashes and refuses other attributes', () => {
  expect(parseUserFilter(emailPrefixFilter('a"b\\c'))).toEqual({ attribute: 'email', prefix: true, value: 'a"b\\c' });
  expect(parseUserFilter('"email"^="x"')).toEqual({ attribute: 'email', prefix: true, value: 'x' });
  expect(parseUserFilter('')).toBeUndefined();
  expect(() => parseUserFilter('custom:team = "x"')).toThrow();
  expect(() => parseUserFilter('email ^= "a" or email ^= "b"')).toThrow();
});
