import type { Caller } from './auth';
import type { ConversationStore } from './conversations';
import { ChatError, notFound, statusOf, toChatError } from './errors';
import { ULID_PATTERN } from './ids';
import { errorFields, Logger } from './log';
import { Schema, validate } from './schema';

export interface RestRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string | undefined>;
  readonly caller: Caller | undefined;
}

export interface RestResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface RestDeps {
  readonly store: ConversationStore;
  readonly log: Logger;
}

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly params: readonly string[];
  readonly query?: Schema;
  readonly summary: string;
  readonly handle: (deps: RestDeps, caller: Caller, params: Record<string, string>, query: Record<string, string | undefined>) => Promise<unknown>;
}

const ID = ULID_PATTERN.slice(1, -1);

/** Every REST route: method, path, input schema, handler. The schemas double as the API description. */
export const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    pattern: /^\/conversations$/,
    params: [],
    summary: 'List the caller\'s conversations, most recent first',
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        limit: { type: 'string', pattern: '^([1-9]|[1-9][0-9]|100)$', description: '1 to 100' },
        nextToken: { type: 'string', maxLength: 2048 },
      },
    },
    handle: async ({ store }, caller, _p, query) => store.list(caller.userId, {
      limit: query.limit ? Number(query.limit) : undefined,
      nextToken: query.nextToken,
    }),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/conversations/(${ID})$`),
    params: ['conversationId'],
    summary: 'Get one conversation with its message tree',
    handle: async ({ store }, caller, params) => {
      const found = await store.getWithMessages(caller.userId, params.conversationId);
      if (!found) throw notFound('Conversation not found.');
      return found;
    },
  },
  {
    method: 'GET',
    pattern: /^\/health$/,
    params: [],
    summary: 'Liveness',
    handle: async () => ({ ok: true }),
  },
];

/** Routes a request; every failure becomes `{code, message}` with its status. */
export async function handleRest(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  try {
    const path = req.path.replace(/\/+$/, '') || '/';
    const candidates = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).filter((x) => x.m);
    if (candidates.length === 0) {
      if (/^\/conversations\/[^/]+$/.test(path)) throw notFound('Conversation not found.');
      throw notFound(`No route for ${req.method} ${path.slice(0, 100)}.`);
    }
    const match = candidates.find((x) => x.r.method === req.method);
    if (!match) return error(405, 'BAD_REQUEST', `Method ${req.method} is not allowed here.`);
    if (!req.caller) throw new ChatError('UNAUTHORIZED', 'Sign in first.');
    if (match.r.query) {
      const problem = validate(match.r.query, req.query, 'query');
      if (problem) return error(400, 'BAD_REQUEST', problem + '.');
    }
    const params: Record<string, string> = {};
    match.r.params.forEach((name, i) => { params[name] = match.m![i + 1]; });
    return { status: 200, body: await match.r.handle(deps, req.caller, params, req.query) };
  } catch (err) {
    const e = toChatError(err);
    if (e.code === 'INTERNAL') deps.log.error('request failed', { method: req.method, ...errorFields(err) });
    return error(statusOf(e.code), e.code, e.message);
  }
}

function error(status: number, code: string, message: string): RestResponse {
  return { status, body: { code, message } };
}
