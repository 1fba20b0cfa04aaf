/**
 * The API describes itself: the OpenAPI document is generated from the route table, served at /openapi.json and
 * committed as docs/openapi.json. This test fails while the committed file is stale: run `npx tsx scripts/openapi.ts`.
 */
import { readFileSync } from 'fs';
import { OPENAPI_FILE, renderOpenApi } from '../../scripts/openapi';
import { createLogger } from '../../src/lambdas/core/log';
import { modelSettingsFrom } from '../../src/lambdas/core/models';
import { apiDocument, handleRest, RestDeps, ROUTES } from '../../src/lambdas/core/rest';
import { LOCAL_USERS } from '../../src/local/idp';

const doc = apiDocument() as any;

test('docs/openapi.json is the document generated from the routes (run `npx tsx scripts/openapi.ts` when this fails)', () => {
  expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApi());
});

test('the document is OpenAPI 3.1 JSON with every route, its parameters, body and responses', () => {
  const parsed = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));
  expect(parsed.openapi).toBe('3.1.0');
  expect(parsed.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
  const operations = Object.entries(parsed.paths as Record<string, Record<string, any>>)
    .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
  expect(operations.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  expect(new Set(ROUTES.map((r) => r.operationId)).size).toBe(ROUTES.length);

  for (const route of ROUTES) {
    const op = parsed.paths[route.path][route.method.toLowerCase()];
    expect(op).toMatchObject({ operationId: route.operationId, summary: route.summary });
    const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    expect((op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name)).toEqual(pathParams);
    expect(op.parameters?.every((p: any) => p.schema && typeof p.required === 'boolean') ?? true).toBe(true);
    expect(Boolean(op.requestBody)).toBe(Boolean(route.body));
    expect(Object.keys(op.responses)).toContain(String(route.response.status));
    expect(op.responses['401'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    if (pathParams.length) expect(op.responses).toHaveProperty('404');
    if (route.body) expect(op.responses).toHaveProperty('413');
  }
  expect(parsed.components.schemas.Error).toMatchObject({ required: ['code', 'message'] });
  expect(parsed.security).toEqual([{ bearer: [] }]);
  expect(parsed.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
});

test('every $ref resolves and only JSON Schema keywords are used', () => {
  const KEYWORDS = new Set(['type', 'description', 'format', 'properties', 'required', 'additionalProperties', 'items', 'minItems',
    'maxItems', 'minLength', 'maxLength', 'pattern', 'enum', 'const', 'minimum', 'maximum', 'if', 'then', '$ref']);
  const visitSchema = (schema: any, where: string): void => {
    for (const key of Object.keys(schema)) if (!KEYWORDS.has(key)) throw new Error(`${where}: unknown keyword ${key}`);
    if (schema.$ref) expect(schema.$ref.replace('#/components/schemas/', '') in doc.components.schemas).toBe(true);
    for (const [name, sub] of Object.entries(schema.properties ?? {})) visitSchema(sub, `${where}.${name}`);
    for (const k of ['items', 'if', 'then']) if (schema[k]) visitSchema(schema[k], `${where}.${k}`);
  };
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const where = `${method} ${path}`;
      for (const p of op.parameters ?? []) visitSchema(p.schema, `${where} ${p.name}`);
      if (op.requestBody) visitSchema(op.requestBody.content['application/json'].schema, `${where} body`);
      for (const [status, res] of Object.entries(op.responses as Record<string, any>)) {
        if (res.content) visitSchema(res.content['application/json'].schema, `${where} ${status}`);
      }
    }
  }
});

test('GET /models answers the allowed models in their order and marks the default', async () => {
  const deps = {
    log: createLogger({}, () => undefined),
    settings: () => modelSettingsFrom({
      MODELS_JSON: JSON.stringify([{ key: 'a', modelId: 'a.model', displayName: 'Model A' }, { key: 'b', modelId: 'b.model' }]),
      DEFAULT_MODEL: 'b',
    }),
  } as unknown as RestDeps;
  const alice = { userId: LOCAL_USERS.alice.sub, username: 'alice', groups: [] };
  expect(await handleRest(deps, { method: 'GET', path: '/models', query: {}, caller: alice })).toEqual({
    status: 200,
    body: { items: [{ id: 'a', name: 'Model A', default: false }, { id: 'b', name: 'b', default: true }] },
  });
});

test('without a caller (no authorizer claims) every route answers 401 {code, message}', async () => {
  const deps = { log: createLogger({}, () => undefined) } as unknown as RestDeps;
  for (const route of ROUTES) {
    const path = route.path.replace(/\{\w+\}/g, '01JAAAAAAAAAAAAAAAAAAAAAAA');
    const res = await handleRest(deps, { method: route.method, path, query: {}, caller: undefined });
    expect(res).toEqual({ status: 401, body: { code: 'UNAUTHORIZED', message: 'Sign in first.' } });
  }
  const alice = { userId: LOCAL_USERS.alice.sub, username: 'alice', groups: [] };
  expect((await handleRest(deps, { method: 'GET', path: '/openapi.json', query: {}, caller: alice })).body).toBe(doc);
});
