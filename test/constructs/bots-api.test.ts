/**
 * The HTTP API routes of the bots-api function (BOTS_API_PATHS, src/constructs/chat-backend/bots-api.ts) against the
 * route lists of the two functions: every route bots-api serves falls under one of its paths, and no route of the api
 * function does (it would otherwise never reach the api function, the most specific route winning:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html).
 */
import { BOTS_API_PATHS } from '../../src/constructs/chat-backend/bots-api';
import { KNOWLEDGE_API_PATHS } from '../../src/constructs/knowledge-base/documents-api';
import { KNOWLEDGE_ROUTES } from '../../src/lambdas/core/knowledge-routes';
import { BOTS_FUNCTION_ROUTES, ROUTES } from '../../src/lambdas/core/rest';
import { API_FUNCTION_ROUTES } from '../../src/lambdas/core/rest-router';

/** Does the HTTP API route path `route` (literal segments, `{x}`, a final `{x+}`) take requests for `template`? */
function routeTakes(route: string, template: string): boolean {
  const r = route.split('/').slice(1);
  const t = template.split('/').slice(1);
  for (let i = 0; i < r.length; i++) {
    if (/^\{\w+\+\}$/.test(r[i])) return t.length > i; // greedy: one segment or more
    if (i >= t.length) return false;
    if (/^\{\w+\}$/.test(r[i])) continue;
    if (r[i] !== t[i]) return false;
  }
  return r.length === t.length;
}

test('the matcher: exact, greedy (not the bare prefix), parameters', () => {
  expect(routeTakes('/me', '/me')).toBe(true);
  expect(routeTakes('/bots/{proxy+}', '/bots')).toBe(false);
  expect(routeTakes('/bots/{proxy+}', '/bots/{botId}/star')).toBe(true);
  expect(routeTakes('/store/{proxy+}', '/storex/a')).toBe(false);
  expect(routeTakes('/users/search', '/users/search/x')).toBe(false);
});

test('every bots-api route is under one of its HTTP API paths', () => {
  const missing = BOTS_FUNCTION_ROUTES.filter((r) => !BOTS_API_PATHS.some((p) => routeTakes(p, r.path))).map((r) => `${r.method} ${r.path}`);
  expect(missing).toEqual([]);
});

test('no api function route is under a bots-api path, and the three lists (api, bots-api, knowledge-api) are every route', () => {
  const taken = API_FUNCTION_ROUTES.filter((r) => BOTS_API_PATHS.some((p) => routeTakes(p, r.path))).map((r) => `${r.method} ${r.path}`);
  expect(taken).toEqual([]);
  expect([...API_FUNCTION_ROUTES, ...BOTS_FUNCTION_ROUTES, ...KNOWLEDGE_ROUTES].map((r) => `${r.method} ${r.path}`).sort())
    .toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
});

test('the knowledge-api function\'s routes are all under its HTTP API path (KnowledgeBaseFactory), and no other function\'s route is', () => {
  const outside = KNOWLEDGE_ROUTES.filter((r) => !KNOWLEDGE_API_PATHS.some((p) => routeTakes(p, r.path))).map((r) => `${r.method} ${r.path}`);
  expect(outside).toEqual([]);
  const others = [...API_FUNCTION_ROUTES, ...BOTS_FUNCTION_ROUTES];
  const taken = others.filter((r) => KNOWLEDGE_API_PATHS.some((p) => routeTakes(p, r.path))).map((r) => r.path);
  expect(taken).toEqual([]);
});
