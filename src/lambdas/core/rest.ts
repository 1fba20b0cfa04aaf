/**
 * Every REST route of ChatBackend, each part's list concatenated: the OpenAPI document (also committed as
 * docs/openapi.json) and `handleRest`, which routes them all. Two functions share the routes behind the HTTP API
 * (rest-router.ts routes the api function's, bot-routes.ts the bots-api function's, knowledge-routes.ts the
 * knowledge-api function's, deployed only with KnowledgeBaseFactory: docs/architecture.md, "Lambda
 * packaging and cold start"); the document describes the API as one.
 */
import { BOT_ROUTES } from './bot-routes';
import { KNOWLEDGE_ROUTES } from './knowledge-routes';
import { openApiDocument } from './openapi';
import { CHAT_ROUTES, RestDeps, RestRequest, RestResponse, Route, routeRest } from './rest-router';
import { USAGE_ROUTES } from './usage-routes';

export * from './rest-router';

/** `GET /openapi.json`, routed by the bots-api function (the one whose bundle holds every route's schemas). */
export const OPENAPI_ROUTE: Route = {
  method: 'GET',
  path: '/openapi.json',
  operationId: 'openApi',
  summary: 'This API described as an OpenAPI 3.1 document',
  response: { status: 200, description: 'The OpenAPI document', schema: { type: 'object' } },
  errors: [],
  // A deployment without KnowledgeBaseFactory has no /knowledge routes: its document leaves them out.
  handle: async ({ deps }) => apiDocument(deps.bots?.().knowledge !== false),
};

/** Every REST route (each part's list, concatenated, in the order of the OpenAPI document). */
export const ROUTES: readonly Route[] = [...CHAT_ROUTES, OPENAPI_ROUTE, ...USAGE_ROUTES, ...BOT_ROUTES, ...KNOWLEDGE_ROUTES];

/** What the bots-api function routes: bots, the store, the user and group searches, `/me`, the OpenAPI document. */
export const BOTS_FUNCTION_ROUTES: readonly Route[] = [OPENAPI_ROUTE, ...BOT_ROUTES];

const documents: Record<string, Record<string, unknown>> = {};

/**
 * The OpenAPI document of ROUTES (also committed as docs/openapi.json, where the `/knowledge` routes are those of a
 * deployment with KnowledgeBaseFactory); without `knowledge`, of the routes of a deployment without it.
 */
export function apiDocument(knowledge = true): Record<string, unknown> {
  return (documents[String(knowledge)] ??= openApiDocument(knowledge ? ROUTES : ROUTES.filter((r) => !KNOWLEDGE_ROUTES.includes(r))));
}

/** Routes a request among every route; every failure becomes `{code, message}` with the status of its code. */
export function handleRest(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  return routeRest(ROUTES, deps, req);
}
