import { ErrorCode, statusOf } from './errors';
import type { Schema } from './schema';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a REST route accepts and answers: used to validate requests and to describe the API. */
export interface RouteSpec {
  readonly method: HttpMethod;
  /** OpenAPI-style path template, e.g. `/conversations/{conversationId}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** Object schema of the path parameters (every one required). */
  readonly params?: Schema;
  /** Object schema of the query string. @default - no query parameters are accepted */
  readonly query?: Schema;
  /** Schema of the JSON body. @default - the route takes no body */
  readonly body?: Schema;
  readonly response: { readonly status: 200 | 201 | 202 | 204; readonly description: string; readonly schema?: Schema };
  /** Errors beyond the ones every route can answer (BAD_REQUEST, UNAUTHORIZED, and TOO_LARGE with a body). */
  readonly errors: readonly ErrorCode[];
}

const ERROR_CODES: readonly ErrorCode[] = [
  'BAD_REQUEST', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'CONFLICT', 'TOO_LARGE', 'UNPROCESSABLE',
  'THROTTLED', 'QUOTA', 'MODEL_ERROR', 'INTERNAL', 'MANAGED', 'BOT_UNAVAILABLE', 'LIMIT',
  'NOT_READY', 'EXISTING',
];

const ERROR_DESCRIPTIONS: Record<ErrorCode, string> = {
  BAD_REQUEST: 'The path parameters, query or body do not match the schema; the message names the field.',
  UNAUTHORIZED: 'No valid token.',
  FORBIDDEN: 'Not allowed for this user.',
  NOT_FOUND: 'No such resource for this user (another user\'s resources are reported as missing too).',
  METHOD_NOT_ALLOWED: 'The path exists, but not with this method.',
  CONFLICT: 'The resource changed meanwhile.',
  TOO_LARGE: 'The body is larger than 16 KB.',
  UNPROCESSABLE: 'Well-formed, but not possible for this resource as it is.',
  THROTTLED: 'Too many requests; try again in a moment.',
  QUOTA: 'Over a usage limit: `quota` says which and when it resets.',
  MODEL_ERROR: 'The model failed or is not available.',
  INTERNAL: 'Unexpected failure.',
  MANAGED: 'The bot is managed by the deployment (declared in code) and cannot be changed in the app.',
  BOT_UNAVAILABLE: 'The bot is no longer available to this user (deleted or unshared).',
  LIMIT: 'A limit of the resource is reached (a bot\'s documents: at most 100).',
  NOT_READY: 'The bot\'s dedicated knowledge base is not ACTIVE yet (being created or deleted): try again when it is.',
  EXISTING: 'The bot uses an existing knowledge base of the deployment: it has no documents of its own.',
};

/** The errors a route can answer, in status order. */
export function errorsOf(route: RouteSpec): ErrorCode[] {
  const codes = new Set<ErrorCode>(['BAD_REQUEST', 'UNAUTHORIZED', ...(route.body ? ['TOO_LARGE' as const] : []), ...route.errors]);
  return ERROR_CODES.filter((c) => codes.has(c)).sort((a, b) => statusOf(a) - statusOf(b));
}

/** An OpenAPI 3.1 document for the routes: their schemas are plain JSON Schema (2020-12), used as they are. */
export function openApiDocument(routes: readonly RouteSpec[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters = [
      ...Object.entries(route.params?.properties ?? {}).map(([name, schema]) => parameter(name, 'path', true, schema)),
      ...Object.entries(route.query?.properties ?? {}).map(([name, schema]) => parameter(name, 'query', route.query?.required?.includes(name) ?? false, schema)),
    ];
    const responses: Record<string, unknown> = {
      [route.response.status]: {
        description: route.response.description,
        ...(route.response.schema ? { content: { 'application/json': { schema: plain(route.response.schema) } } } : {}),
      },
    };
    for (const code of errorsOf(route)) {
      const status = String(statusOf(code));
      const existing = responses[status] as { description: string } | undefined;
      responses[status] = {
        description: existing ? `${existing.description} ${ERROR_DESCRIPTIONS[code]}` : ERROR_DESCRIPTIONS[code],
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    (paths[route.path] ??= {})[route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: plain(route.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'cdk-bedrock-chat REST API',
      version: '1',
      description: 'The REST API of ChatBackend, behind an API Gateway HTTP API with a JWT authorizer. Every route needs '
        + 'a Cognito ID token (`Authorization: Bearer <token>`), including `/health` and `/openapi.json`, and every route '
        + 'reads and writes only the caller\'s own data. Errors are `{code, message}`. The `/knowledge` routes exist when a '
        + 'KnowledgeBaseFactory is attached: a deployment\'s own `GET /openapi.json` lists only the routes it has.',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Cognito ID token.' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string', enum: ERROR_CODES },
            message: { type: 'string', description: 'A sentence for the user.' },
          },
        },
      },
    },
  };
}

function parameter(name: string, where: 'path' | 'query', required: boolean, schema: Schema): Record<string, unknown> {
  const { description, ...rest } = schema;
  return { name, in: where, required, ...(description ? { description } : {}), schema: plain(rest) };
}

/** A schema as plain JSON (no undefined members). */
function plain(schema: Schema): unknown {
  return JSON.parse(JSON.stringify(schema));
}
