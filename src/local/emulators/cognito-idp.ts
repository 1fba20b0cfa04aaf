/**
 * A local Amazon Cognito Identity Provider API (the user pool admin calls the functions make): AdminListGroupsForUser,
 * ListUsers (with its Filter), ListGroups, AdminAddUserToGroup (sent by the post confirmation trigger) and
 * AdminRemoveUserFromGroup (to change memberships in tests and in the playground). JSON 1.1 over HTTP, as the AWS
 * SDK sends it (`X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`); functions reach it through
 * `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`. Its pools, groups and users are the template's
 * (`AWS::Cognito::UserPool`, `AWS::Cognito::UserPoolGroup`) and the local IdP's built-in users.
 *
 * The rules below follow the API reference pages (cited beside each); test/local/cognito-idp.test.ts checks the
 * same calls against moto_server's cognito-idp where moto implements them.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { closeServer, listenLoopback, readBody } from './util';

export interface EmulatedUser {
  readonly username: string;
  readonly sub: string;
  readonly email: string;
  readonly name?: string;
  readonly groups?: readonly string[];
}

export interface EmulatedPool {
  readonly userPoolId: string;
  readonly groups: readonly { readonly name: string; readonly description?: string }[];
  readonly users: readonly EmulatedUser[];
}

export interface CognitoIdpEmulator {
  readonly endpoint: string;
  /** The groups `username` (user name, email or sub) belongs to now, in `userPoolId`. */
  groupsOf(userPoolId: string, username: string): string[];
  /**
   * Adds `user` to the pool with its groups (created when the pool lacks them) unless a user with its sub or user name exists: the
   * local stack calls it for every ID token its IdP issues, since a token Cognito signs stands for a user of the pool.
   */
  ensureUser(userPoolId: string, user: EmulatedUser): void;
  stop(): Promise<void>;
}

interface PoolState {
  readonly id: string;
  readonly groups: Map<string, { description?: string; createdAt: number }>;
  readonly users: { user: EmulatedUser; groups: Set<string>; createdAt: number }[];
}

class ServiceError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

/**
 * The attributes ListUsers can filter on
 * (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_ListUsers.html, Filter).
 */
const FILTERABLE = new Set(['username', 'email', 'phone_number', 'name', 'given_name', 'family_name', 'preferred_username', 'cognito:user_status', 'status', 'sub']);

/**
 * Parses a ListUsers filter: `AttributeName Filter-Type "AttributeValue"`, Filter-Type `=` (exact) or `^=` (prefix),
 * quotation marks inside the value escaped with a backslash; an empty filter lists every user (same page).
 */
export function parseUserFilter(filter: string | undefined): { attribute: string; prefix: boolean; value: string } | undefined {
  if (filter === undefined || filter.trim() === '') return undefined;
  const m = /^\s*"?([A-Za-z_:]+)"?\s*(\^=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(filter);
  if (!m || !FILTERABLE.has(m[1])) throw new ServiceError('InvalidParameterException', 'Error while parsing filter.');
  return { attribute: m[1], prefix: m[2] === '^=', value: m[3].replace(/\\(.)/g, '$1') };
}

/** Starts the emulator on a random loopback port. */
export async function startCognitoIdp(pools: readonly EmulatedPool[]): Promise<CognitoIdpEmulator> {
  const now = Math.floor(Date.now() / 1000);
  const state = new Map<string, PoolState>(pools.map((p) => [p.userPoolId, {
    id: p.userPoolId,
    groups: new Map(p.groups.map((g) => [g.name, { description: g.description, createdAt: now }])),
    users: p.users.map((u) => ({ user: u, groups: new Set((u.groups ?? []).filter((g) => p.groups.some((pg) => pg.name === g))), createdAt: now })),
  }]));

  const poolOf = (id: unknown): PoolState => {
    const pool = typeof id === 'string' ? state.get(id) : undefined;
    if (!pool) throw new ServiceError('ResourceNotFoundException', `User pool ${String(id)} does not exist.`);
    return pool;
  };
  // Username: the user name, an alias (email: the pools of this library sign in with email), or the sub of a local
  // user (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminListGroupsForUser.html).
  const userOf = (pool: PoolState, username: unknown) => {
    const found = typeof username === 'string'
      ? pool.users.find((u) => u.user.username === username || u.user.sub === username || u.user.email.toLowerCase() === username.toLowerCase())
      : undefined;
    if (!found) throw new ServiceError('UserNotFoundException', 'User does not exist.');
    return found;
  };
  const groupOf = (pool: PoolState, name: unknown) => {
    const group = typeof name === 'string' ? pool.groups.get(name) : undefined;
    if (!group) throw new ServiceError('ResourceNotFoundException', 'Group not found.');
    return group;
  };
  const groupJson = (pool: PoolState, name: string) => {
    const g = pool.groups.get(name)!;
    const description = g.description ? { Description: g.description } : {};
    return { GroupName: name, UserPoolId: pool.id, ...description, CreationDate: g.createdAt, LastModifiedDate: g.createdAt };
  };
  /** Pages of `limit` (1 to 60) items, the token being the offset. */
  const page = <T>(items: T[], limitIn: unknown, token: unknown, max: number): { items: T[]; next?: string } => {
    const limit = limitIn === undefined ? max : Number(limitIn);
    if (!Number.isInteger(limit) || limit < 0 || limit > max) throw new ServiceError('InvalidParameterException', `Limit must be between 0 and ${max}.`);
    const offset = token === undefined ? 0 : Number(Buffer.from(String(token), 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) throw new ServiceError('InvalidParameterException', 'Invalid pagination token.');
    const slice = items.slice(offset, offset + (limit || max));
    return { items: slice, ...(offset + slice.length < items.length ? { next: Buffer.from(String(offset + slice.length)).toString('base64url') } : {}) };
  };

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    // https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminListGroupsForUser.html (Limit 0-60)
    AdminListGroupsForUser: (b) => {
      const pool = poolOf(b.UserPoolId);
      const user = userOf(pool, b.Username);
      const p = page([...user.groups].sort(), b.Limit, b.NextToken, 60);
      return { Groups: p.items.map((g) => groupJson(pool, g)), ...(p.next ? { NextToken: p.next } : {}) };
    },
    // https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_ListUsers.html (Limit 0-60)
    ListUsers: (b) => {
      const pool = poolOf(b.UserPoolId);
      const filter = parseUserFilter(b.Filter as string | undefined);
      const matching = pool.users.filter(({ user }) => {
        if (!filter) return true;
        const value = attributeOf(user, filter.attribute);
        if (value === undefined) return false;
        return filter.prefix ? value.startsWith(filter.value) : value === filter.value;
      });
      const p = page(matching, b.Limit, b.PaginationToken, 60);
      return {
        Users: p.items.map(({ user, createdAt }) => ({
          Username: user.username,
          Attributes: [
            { Name: 'sub', Value: user.sub },
            { Name: 'email', Value: user.email },
            { Name: 'email_verified', Value: 'true' },
            ...(user.name ? [{ Name: 'name', Value: user.name }] : []),
          ],
          UserCreateDate: createdAt,
          UserLastModifiedDate: createdAt,
          Enabled: true,
          UserStatus: 'CONFIRMED',
        })),
        ...(p.next ? { PaginationToken: p.next } : {}),
      };
    },
    // https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_ListGroups.html (Limit 0-60)
    ListGroups: (b) => {
      const pool = poolOf(b.UserPoolId);
      const p = page([...pool.groups.keys()].sort(), b.Limit, b.NextToken, 60);
      return { Groups: p.items.map((g) => groupJson(pool, g)), ...(p.next ? { NextToken: p.next } : {}) };
    },
    // https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminAddUserToGroup.html (empty answer)
    AdminAddUserToGroup: (b) => {
      const pool = poolOf(b.UserPoolId);
      groupOf(pool, b.GroupName);
      userOf(pool, b.Username).groups.add(String(b.GroupName));
      return {};
    },
    // https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminRemoveUserFromGroup.html (empty answer)
    AdminRemoveUserFromGroup: (b) => {
      const pool = poolOf(b.UserPoolId);
      groupOf(pool, b.GroupName);
      userOf(pool, b.Username).groups.delete(String(b.GroupName));
      return {};
    },
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const send = (status: number, body: unknown, type?: string) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...(type ? { 'x-amzn-errortype': type } : {}) });
        res.end(JSON.stringify(body));
      };
      try {
        const target = String(req.headers['x-amz-target'] ?? '');
        const op = /^AWSCognitoIdentityProviderService\.(\w+)$/.exec(target)?.[1];
        const raw = (await readBody(req)).toString('utf8');
        if (req.method !== 'POST' || !op) throw new ServiceError('UnknownOperationException', `Unknown operation ${target}`);
        // Requests are SigV4-signed with the function's (local) credentials; an unsigned request is refused like AWS would.
        if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) throw new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
        const handler = operations[op];
        if (!handler) throw new ServiceError('UnknownOperationException', `${op} is not emulated locally (see src/local/emulators/cognito-idp.ts)`);
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(raw || '{}') as Record<string, unknown>;
        } catch {
          throw new ServiceError('SerializationException', 'Invalid JSON');
        }
        send(200, handler(body));
      } catch (err) {
        const e = err instanceof ServiceError ? err : new ServiceError('InternalErrorException', String((err as Error).message ?? err), 500);
        send(e.status, { __type: e.type, message: e.message }, e.type);
      }
    })();
  });
  const port = await listenLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    groupsOf: (userPoolId, username) => {
      const pool = state.get(userPoolId);
      const user = pool?.users.find((u) => u.user.username === username || u.user.sub === username);
      return user ? [...user.groups] : [];
    },
    ensureUser: (userPoolId, user) => {
      const pool = state.get(userPoolId);
      if (!pool || pool.users.some((u) => u.user.sub === user.sub || u.user.username === user.username)) return;
      // A token names only groups that exist (its cognito:groups claim), so its groups exist in the pool too.
      const at = Math.floor(Date.now() / 1000);
      for (const g of user.groups ?? []) if (!pool.groups.has(g)) pool.groups.set(g, { createdAt: at });
      pool.users.push({ user, groups: new Set(user.groups ?? []), createdAt: at });
    },
    stop: () => closeServer(server),
  };
}

function attributeOf(user: EmulatedUser, attribute: string): string | undefined {
  switch (attribute) {
    case 'username': return user.username;
    case 'email': return user.email;
    case 'sub': return user.sub;
    case 'name': return user.name;
    case 'cognito:user_status': return 'CONFIRMED';
    case 'status': return 'Enabled';
    default: return undefined;
  }
}
