/**
 * How a REST request finds its route and becomes a response: shared by the api, bots-api and knowledge-api functions
 * (each routes its own list). Kept apart from the routes (rest-router.ts), so that importing it brings no route.
 */
import { ChatError, invalid, notFound, statusOf, toChatError } from './errors';
import { errorFields } from './log';
import type { RestDeps, RestRequest, RestResponse, Route } from './rest-router';
import { Schema, validate } from './schema';
import { QuotaError } from './usage';

/** Largest body accepted (bodies here are a title, a feedback comment or an upload request). */
export const MAX_BODY_BYTES = 16 * 1024;

const noQuery: Schema = { type: 'object', additionalProperties: false, properties: {} };

/** Routes a request among `routes`; every failure becomes `{code, message}` with the status of its code. */
export async function routeRest(routes: readonly Route[], deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  const started = Date.now();
  let route: Route | undefined;
  let res: RestResponse;
  try {
    // Like the HTTP API's authorizer: anonymous requests learn nothing, not even which paths exist.
    if (!req.caller) throw new ChatError('UNAUTHORIZED', 'Sign in first.');
    const found = findRoute(routes, req.method, req.path);
    route = found.route;
    const body = parseBody(route, req.body);
    check(route.params, found.params, 'the path parameter ');
    check(route.query ?? noQuery, req.query, 'the query parameter ');
    if (route.body) check(route.body, body, '');
    const result = await route.handle({ deps, caller: req.caller, params: found.params, query: req.query, body });
    res = route.response.status === 204 ? { status: 204, body: undefined } : { status: route.response.status, body: result };
  } catch (err) {
    const e = toChatError(err);
    if (e.code === 'INTERNAL') deps.log.error('request failed', { method: req.method, route: route?.path, ...errorFields(err) });
    res = { status: statusOf(e.code), body: { code: e.code, message: e.message, ...(e instanceof QuotaError ? { quota: e.quota } : {}) } };
  }
  deps.log.info('request', { method: req.method, route: route?.path ?? 'unmatched', status: res.status, ms: Date.now() - started });
  return res;
}

/** The route for a method and path, preferring literal segments (`/conversations/search`) over parameters. */
function findRoute(routes: readonly Route[], method: string, rawPath: string): { route: Route; params: Record<string, string> } {
  const segments = rawPath.replace(/\/+$/, '').split('/').slice(1);
  const matches = routes.flatMap((route) => {
    const params = matchPath(route.path, segments);
    return params ? [{ route, params }] : [];
  });
  if (matches.length === 0) throw notFound(`No route for ${truncate(rawPath, 100)}.`);
  const sameMethod = matches.filter((m) => m.route.method === method);
  if (sameMethod.length === 0) {
    const allowed = [...new Set(matches.map((m) => m.route.method))].join(', ');
    throw new ChatError('METHOD_NOT_ALLOWED', `${truncate(method, 10)} is not allowed here; use ${allowed}.`);
  }
  return sameMethod.sort((a, b) => Object.keys(a.params).length - Object.keys(b.params).length)[0];
}

function matchPath(template: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = template.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const name = /^\{(\w+)\}$/.exec(parts[i])?.[1];
    if (!name) {
      if (parts[i] !== segments[i]) return undefined;
    } else {
      try {
        params[name] = decodeURIComponent(segments[i]);
      } catch {
        params[name] = segments[i]; // Not decodable: left as sent, the schema rejects it.
      }
    }
  }
  return params;
}

function parseBody(route: Route, text: string | undefined): unknown {
  if (!text) {
    if (route.body) throw invalid('This request needs a JSON body.');
    return undefined;
  }
  if (!route.body) throw invalid('This request takes no body.');
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new ChatError('TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES / 1024} KB.`);
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('The body is not valid JSON.');
  }
}

/** Validates one part of the request; the message names the field (`prefix` says where it is). */
function check(schema: Schema | undefined, value: unknown, prefix: string): void {
  const problem = schema && validate(schema, value);
  if (!problem) return;
  const sentence = (prefix + problem).replace(/^the message /, 'the body ');
  throw invalid(truncate(sentence.charAt(0).toUpperCase() + sentence.slice(1), 300) + '.');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}
