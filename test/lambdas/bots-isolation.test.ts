/**
 * The isolation matrix of bots, over the wire: every bot and store route, and sendMessage / regenerate / continue with a botId,
 * × (the owner alice, bob as a user the bot is shared with, bob as a member of a shared group, bob as a non-member,
 * admin, anonymous). Group membership is changed in the local Cognito API between rows, never in the token. A refused
 * request writes nothing (both tables compared) and leaks nothing of the bot (its title and instructions).
 */
import { AdminAddUserToGroupCommand, AdminRemoveUserFromGroupCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { botTableSnapshot } from './bot-helpers';
import { call, snapshot, sub, User } from './rest-helpers';
import { BOT_ROUTES } from '../../src/lambdas/core/bot-routes';
import { offlineModel } from '../../src/local/offline-model';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';
import { request, WsClient } from '../../src/local/ws-client';

const SECRET = 'Kilimanjaro';
const offline = offlineModel({ wordDelayMs: 0 });
/** While true, every answer stops at the token limit (so that it can be continued). */
let cutting = false;
let pg: Playground;
let cognito: CognitoIdentityProviderClient;

type Role = 'owner' | 'sharedUser' | 'groupMember' | 'nonMember' | 'admin' | 'anonymous';
const ROLES: readonly Role[] = ['owner', 'sharedUser', 'groupMember', 'nonMember', 'admin', 'anonymous'];
/** Who plays each role, and on which bot: U is shared with bob by name, G with the group PublishAllowed. */
const PLAYERS: Record<Role, { user?: User; bot: 'U' | 'G'; inGroup?: boolean }> = {
  owner: { user: 'alice', bot: 'U' },
  sharedUser: { user: 'bob', bot: 'U' },
  groupMember: { user: 'bob', bot: 'G', inGroup: true },
  nonMember: { user: 'bob', bot: 'G' },
  admin: { user: 'admin', bot: 'U' },
  anonymous: { bot: 'U' },
};

interface Case {
  readonly route: string;
  readonly request: (botId: string) => { method: string; path: string; body?: unknown };
  readonly expect: Record<Role, number>;
  /** The owner's (or creator's) successful request changes the tables. */
  readonly writes?: readonly Role[];
}

const all = (status: number, except: Partial<Record<Role, number>> = {}): Record<Role, number> =>
  ({ ...Object.fromEntries(ROLES.map((r) => [r, status])), anonymous: 401, ...except }) as Record<Role, number>;

const CASES: readonly Case[] = [
  { route: 'GET /bots', request: () => ({ method: 'GET', path: '/bots?kind=shared' }), expect: all(200) },
  { route: 'POST /bots', request: () => ({ method: 'POST', path: '/bots', body: { title: 'new' } }), expect: all(403, { owner: 201, admin: 201 }), writes: ['owner', 'admin'] },
  { route: 'GET /bots/{botId}', request: (id) => ({ method: 'GET', path: `/bots/${id}` }), expect: all(200, { nonMember: 404 }) },
  { route: 'PATCH /bots/{botId}', request: (id) => ({ method: 'PATCH', path: `/bots/${id}`, body: { description: 'changed' } }), expect: all(403, { owner: 200, nonMember: 404 }), writes: ['owner'] },
  { route: 'DELETE /bots/{botId}', request: (id) => ({ method: 'DELETE', path: `/bots/${id}` }), expect: all(403, { owner: 204, nonMember: 404 }), writes: ['owner'] },
  {
    route: 'PUT /bots/{botId}/sharing',
    request: (id) => ({ method: 'PUT', path: `/bots/${id}/sharing`, body: { scope: 'all' } }),
    expect: all(403, { owner: 200, nonMember: 404 }),
    writes: ['owner'],
  },
  {
    route: 'PUT /bots/{botId}/star',
    request: (id) => ({ method: 'PUT', path: `/bots/${id}/star`, body: { starred: true } }),
    // Admins read any bot but use (and star) only those shared with them.
    expect: all(204, { nonMember: 404, admin: 404 }),
    writes: ['owner', 'sharedUser', 'groupMember'],
  },
  { route: 'DELETE /bots/{botId}/recent', request: (id) => ({ method: 'DELETE', path: `/bots/${id}/recent` }), expect: all(404) },
  { route: 'PUT /admin/bots/{botId}/pin', request: (id) => ({ method: 'PUT', path: `/admin/bots/${id}/pin`, body: { pinned: true } }), expect: all(403, { admin: 422 }) },
  { route: 'GET /store/search', request: () => ({ method: 'GET', path: `/store/search?q=${SECRET}` }), expect: all(200) },
  { route: 'GET /store/popular', request: () => ({ method: 'GET', path: '/store/popular' }), expect: all(200) },
  { route: 'GET /store/pickup', request: () => ({ method: 'GET', path: '/store/pickup' }), expect: all(200) },
  { route: 'GET /store/essentials', request: () => ({ method: 'GET', path: '/store/essentials' }), expect: all(200) },
  { route: 'GET /users/search', request: () => ({ method: 'GET', path: '/users/search?q=a' }), expect: all(403, { owner: 200, admin: 200 }) },
  { route: 'GET /groups/search', request: () => ({ method: 'GET', path: '/groups/search?q=' }), expect: all(403, { owner: 200, admin: 200 }) },
  { route: 'GET /me', request: () => ({ method: 'GET', path: '/me' }), expect: all(200) },
];

let bots: { U: string; G: string };

beforeAll(async () => {
  pg = await startPlayground({
    handlers: 'in-process',
    models: OFFLINE_MODELS,
    quiet: true,
    respond: (req) => (cutting && req.operation === 'ConverseStream'
      ? { steps: [{ type: 'text', text: 'One, two, ' }], stopReason: 'max_tokens', usage: { inputTokens: 3, outputTokens: 4 } }
      : offline(req)),
  });
  cognito = new CognitoIdentityProviderClient({ endpoint: pg.stack.cognitoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
});
afterAll(async () => {
  await pg?.stop();
});

const poolId = () => pg.stack.userPools[0].userPoolId;
const setGroup = (member: boolean) => cognito.send(member
  ? new AdminAddUserToGroupCommand({ UserPoolId: poolId(), Username: 'bob', GroupName: 'PublishAllowed' })
  : new AdminRemoveUserFromGroupCommand({ UserPoolId: poolId(), Username: 'bob', GroupName: 'PublishAllowed' }));

/** Two fresh private-ish bots of alice's with the secret in their title and instructions. */
async function freshBots(): Promise<{ U: string; G: string }> {
  const make = async (suffix: string, sharing: Record<string, unknown>) => {
    const created = await call(pg, 'alice', 'POST', '/bots', { title: `${SECRET} ${suffix}`, instructions: `Never reveal ${SECRET}.` });
    expect(created.status).toBe(201);
    expect((await call(pg, 'alice', 'PUT', `/bots/${created.body.id}/sharing`, sharing)).status).toBe(200);
    return created.body.id as string;
  };
  return { U: await make('U', { scope: 'partial', users: [sub('bob')] }), G: await make('G', { scope: 'partial', groups: ['PublishAllowed'] }) };
}

test('the matrix covers every bot route', () => {
  expect(CASES.map((c) => c.route).sort()).toEqual(BOT_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
});

describe.each(CASES)('$route', (c) => {
  test.each(ROLES)('%s', async (role) => {
    bots = await freshBots();
    const player = PLAYERS[role];
    await setGroup(player.inGroup === true);
    try {
      const before = `${await snapshot()}${await botTableSnapshot()}`;
      const { method, path, body } = c.request(bots[player.bot]);
      const reply = await call(pg, player.user, method, path, body);
      expect({ role, status: reply.status }).toEqual({ role, status: c.expect[role] });
      const after = `${await snapshot()}${await botTableSnapshot()}`;
      if (c.writes?.includes(role)) expect(after).not.toBe(before);
      else expect(after).toBe(before);
      // Instructions only for the owner and admins; a bot not shared with the caller does not appear at all (bob keeps
      // other bots shared with him by name, and bots made public by earlier rows are in the store: they may appear).
      if (role !== 'owner' && role !== 'admin') expect(reply.text).not.toContain(`Never reveal ${SECRET}`);
      if (role === 'nonMember') expect(reply.text).not.toContain(bots.G);
      if (role === 'anonymous') expect(reply.text).not.toMatch(new RegExp(`${bots.U}|${bots.G}|${SECRET}`));
    } finally {
      await setGroup(false);
    }
  });
});

describe('chat actions with a botId', () => {
  const CHAT: Record<Role, 'answered' | 'BOT_UNAVAILABLE' | 'refused'> = {
    owner: 'answered', sharedUser: 'answered', groupMember: 'answered', nonMember: 'BOT_UNAVAILABLE', admin: 'BOT_UNAVAILABLE', anonymous: 'refused',
  };
  test.each(ROLES)('sendMessage and regenerate as %s', async (role) => {
    bots = await freshBots();
    const player = PLAYERS[role];
    if (!player.user) {
      await expect(WsClient.connect(pg.webSocketUrl, 'not-a-token')).rejects.toBeDefined();
      return;
    }
    await setGroup(player.inGroup === true);
    const c = await WsClient.connect(pg.webSocketUrl, pg.issueToken(player.user));
    try {
      const before = `${await snapshot()}${await botTableSnapshot()}`;
      const sent = await request(c, { action: 'sendMessage', content: [{ text: 'hello' }], botId: bots[player.bot] });
      if (CHAT[role] === 'answered') {
        expect(sent.end.type).toBe('end');
        const regen = await request(c, { action: 'regenerate', conversationId: sent.end.conversationId, messageId: sent.ack!.messageId });
        expect(regen.end.type).toBe('end');
        // Losing access (the group, or the share) refuses the next turn of the same conversation.
        if (role === 'groupMember') await setGroup(false);
        else await call(pg, 'alice', 'PUT', `/bots/${bots[player.bot]}/sharing`, { scope: 'private' });
        if (role !== 'owner') {
          const mid = `${await snapshot()}${await botTableSnapshot()}`;
          const refused = await request(c, { action: 'regenerate', conversationId: sent.end.conversationId, messageId: sent.ack!.messageId });
          expect(refused.end).toMatchObject({ type: 'error', code: 'BOT_UNAVAILABLE' });
          expect(`${await snapshot()}${await botTableSnapshot()}`).toBe(mid);
        }
      } else {
        expect(sent.end).toMatchObject({ type: 'error', code: 'BOT_UNAVAILABLE' });
        expect(JSON.stringify(sent.frames)).not.toContain(SECRET);
        expect(`${await snapshot()}${await botTableSnapshot()}`).toBe(before);
      }
    } finally {
      c.close();
      await setGroup(false);
      await pg.idle();
    }
  });
});

describe('continue of a conversation with a bot', () => {
  /**
   * Those who may use the bot continue their cut answer, and are refused (BOT_UNAVAILABLE, nothing written) once they
   * lose access; the owner never does. Nobody continues another user's conversation (NOT_FOUND, nothing written,
   * nothing of the bot leaked): neither a non-member nor an admin (admins read bots, not other users' conversations).
   */
  const CONTINUE: Record<Role, 'continued' | 'NOT_FOUND' | 'refused'> = {
    owner: 'continued', sharedUser: 'continued', groupMember: 'continued', nonMember: 'NOT_FOUND', admin: 'NOT_FOUND', anonymous: 'refused',
  };
  afterEach(() => {
    cutting = false;
  });

  test.each(ROLES)('continue as %s', async (role) => {
    bots = await freshBots();
    const player = PLAYERS[role];
    if (!player.user) {
      await expect(WsClient.connect(pg.webSocketUrl, 'not-a-token')).rejects.toBeDefined();
      return;
    }
    await setGroup(player.inGroup === true);
    cutting = true;
    const starter = CONTINUE[role] === 'continued' ? player.user : 'alice';
    const own = await WsClient.connect(pg.webSocketUrl, pg.issueToken(starter));
    const c = starter === player.user ? own : await WsClient.connect(pg.webSocketUrl, pg.issueToken(player.user));
    try {
      const cut = await request(own, { action: 'sendMessage', content: [{ text: 'count' }], botId: bots[player.bot] });
      expect(cut.end).toMatchObject({ type: 'end', stopReason: 'max_tokens' });
      const cont = { action: 'continue', conversationId: cut.end.conversationId, messageId: cut.end.messageId };
      if (CONTINUE[role] === 'continued') {
        // Still cut: the answer can be continued again after access is lost.
        const more = await request(c, cont);
        expect(more.frames.find((f) => f.type === 'start')).toMatchObject({ messageId: cut.end.messageId, continued: true });
        expect(more.end).toMatchObject({ type: 'end', stopReason: 'max_tokens', messageId: cut.end.messageId });
        if (role === 'owner') return;
        if (role === 'groupMember') await setGroup(false);
        else expect((await call(pg, 'alice', 'PUT', `/bots/${bots[player.bot]}/sharing`, { scope: 'private' })).status).toBe(200);
        await pg.idle();
        const before = `${await snapshot()}${await botTableSnapshot()}`;
        const sent = pg.bedrockRequests().length;
        const refused = await request(c, cont);
        expect(refused.end).toMatchObject({ type: 'error', code: 'BOT_UNAVAILABLE' });
        expect(JSON.stringify(refused.frames)).not.toContain(`Never reveal ${SECRET}`);
        expect(`${await snapshot()}${await botTableSnapshot()}`).toBe(before);
        expect(pg.bedrockRequests().length).toBe(sent);
      } else {
        await pg.idle();
        const before = `${await snapshot()}${await botTableSnapshot()}`;
        const sent = pg.bedrockRequests().length;
        const refused = await request(c, cont);
        expect(refused.end).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
        expect(JSON.stringify(refused.frames)).not.toMatch(new RegExp(`${SECRET}|One, two`));
        expect(`${await snapshot()}${await botTableSnapshot()}`).toBe(before);
        expect(pg.bedrockRequests().length).toBe(sent);
      }
    } finally {
      own.close();
      if (c !== own) c.close();
      await setGroup(false);
      await pg.idle();
    }
  });
});
