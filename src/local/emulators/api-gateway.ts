// src/local runs only in development (playground, tests): its imports are devDependencies.
import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayEventWebsocketRequestContextV2,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyWebsocketEventV2WithRequestContext,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { WebSocket, WebSocketServer } from 'ws';
import { closeServer, listenLoopback, readBody } from './util';

const ACCOUNT_ID = '000000000000';
const REGION = 'us-east-1';
/** API Gateway WebSocket frame limit for client frames. */
export const MAX_CLIENT_FRAME_BYTES = 32_768;
/** API Gateway limit for a PostToConnection payload. */
export const MAX_POST_BYTES = 131_072;

// ---------------------------------------------------------------------------------------------------------------
// WebSocket API stand-in
// ---------------------------------------------------------------------------------------------------------------

/** `requestContext.authorizer` of route events: `principalId` plus the authorizer's context. */
export interface WebSocketAuthorizerContext {
  principalId: string;
  [key: string]: unknown;
}

export interface WebSocketRequestContext extends APIGatewayEventWebsocketRequestContextV2 {
  authorizer?: WebSocketAuthorizerContext;
  identity: { sourceIp: string; userAgent?: string };
}

/** The event a WebSocket route integration receives (all routes). `headers` only on `$connect`. */
export interface WebSocketEvent extends APIGatewayProxyWebsocketEventV2WithRequestContext<WebSocketRequestContext> {
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
}

export interface WebSocketHandlerResult {
  statusCode?: number;
  headers?: Record<string, string>;
  body?: string;
}

export type WebSocketHandler = (event: WebSocketEvent) => Promise<WebSocketHandlerResult | void | undefined>;
export type WebSocketAuthorizer = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

export interface StartWebSocketApiOptions {
  /** Stage name, the path of the WebSocket URL and of the Management API (default `ws`). */
  readonly stage?: string;
  /** The `$connect` REQUEST authorizer. */
  readonly authorizer?: WebSocketAuthorizer;
  /** The integration of every route; it switches on `requestContext.routeKey`. */
  readonly handler: WebSocketHandler;
  /**
   * Route keys selected by `$request.body.action` (default: the routes of docs/architecture.md,
   * `sendMessage` and `ping`); other messages go to `$default`.
   */
  readonly routes?: string[];
  /** Header of the `$connect` response that carries the selected subprotocol (default `Sec-WebSocket-Protocol`). */
  readonly onConnectHeader?: string;
  /** API id used in ARNs and events (default: random). */
  readonly apiId?: string;
  /**
   * The authorizer's identity sources (`route.request.header.<name>`, `route.request.querystring.<name>`): when one is
   * missing or empty, API Gateway answers 401 without calling the authorizer
   * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html, and for
   * REQUEST authorizers in general https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html).
   * Default: none checked.
   */
  readonly identitySources?: readonly string[];
  /** Account and Region in ARNs (default 000000000000, us-east-1). */
  readonly accountId?: string;
  readonly region?: string;
}

export interface WebSocketApi {
  /** `ws://127.0.0.1:<port>/<stage>` */
  readonly url: string;
  /** `http://127.0.0.1:<port>/<stage>` — the Management API endpoint (`WEBSOCKET_CALLBACK_URL`). */
  readonly callbackUrl: string;
  readonly apiId: string;
  /** Number of Management API `POST /@connections/{id}` calls received. */
  readonly postCount: number;
  /** Ids of the open connections. */
  connectionIds(): string[];
  /**
   * Drops a connection from the server side like a network failure: the TCP socket is destroyed without a closing
   * handshake (the client sees code 1006), then `$disconnect` runs. With `lingerMs`, the Management API goes on
   * accepting posts to it for that long (answering 200 and discarding them), as API Gateway does until it notices
   * that the peer is gone; otherwise posts get 410 Gone at once. False if there is no such open connection.
   */
  dropConnection(connectionId: string, options?: { lingerMs?: number }): boolean;
  /**
   * While `true`, new connections are refused (503 to the upgrade, like an unreachable service): a client that lost
   * its connection stays away until this is set back to `false`.
   */
  refuseConnections(refuse: boolean): void;
  /** Resolves when no handler invocation is running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

interface Connection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly connectedAt: number;
  readonly sourceIp: string;
  readonly userAgent?: string;
  lastActiveAt: number;
  readonly authorizer?: WebSocketAuthorizerContext;
}

/** Connection ids look like API Gateway's (`L0SM9cOFvHcCIhw=`), without `/` and `+`. */
function newConnectionId(): string {
  return randomBytes(10).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
}

function headerMaps(req: http.IncomingMessage) {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const value = req.rawHeaders[i + 1];
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return { headers, multiValueHeaders };
}

function queryMaps(search: URLSearchParams) {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [k, v] of search) {
    single[k] = v;
    (multi[k] ??= []).push(v);
  }
  return Object.keys(single).length ? { single, multi } : undefined;
}

/** True when the policy allows `execute-api:Invoke` on the method ARN (no explicit Deny). */
function policyAllows(result: APIGatewayAuthorizerResult | undefined, methodArn: string): boolean {
  const statements = result?.policyDocument?.Statement ?? [];
  const matches = (resource: unknown) => {
    const list = Array.isArray(resource) ? resource : [resource];
    return list.some((r) => typeof r === 'string' && new RegExp(`^${r.split('*').map(escapeRegExp).join('.*')}$`).test(methodArn));
  };
  let allowed = false;
  for (const s of statements) {
    const resource = 'Resource' in s ? s.Resource : undefined;
    if (!matches(resource)) continue;
    if (s.Effect === 'Deny') return false;
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' + body,
  );
  setTimeout(() => socket.destroy(), 100).unref();
}

function sendJsonError(res: http.ServerResponse, status: number, name: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': name, 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify({ message }));
}

function lowerCaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}

function logError(where: string, err: unknown): void {
  process.stderr.write(`${where}: ${err instanceof Error ? err.stack : String(err)}\n`);
}

/**
 * Starts a local stand-in of an API Gateway WebSocket API (routes `$connect`, `$disconnect`, `$default` and
 * `$request.body.action` routes, a REQUEST authorizer on `$connect`) and its Management API, on one loopback port.
 */
export async function startWebSocketApi(options: StartWebSocketApiOptions): Promise<WebSocketApi> {
  const stage = options.stage ?? 'ws';
  const apiId = options.apiId ?? randomBytes(5).toString('hex');
  const routes = new Set(options.routes ?? ['sendMessage', 'ping']);
  const protocolHeader = (options.onConnectHeader ?? 'Sec-WebSocket-Protocol').toLowerCase();
  const connections = new Map<string, Connection>();
  /** Dropped connections whose posts are still accepted (and discarded), until the time given. */
  const lingering = new Map<string, number>();
  const pending = new Set<Promise<unknown>>();
  const selectedProtocols = new WeakMap<http.IncomingMessage, string | false>();
  let postCount = 0;
  let host = '';

  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    const done = () => pending.delete(p);
    p.then(done, done);
    return p;
  };

  const baseContext = (routeKey: string, eventType: WebSocketRequestContext['eventType'], c: {
    id: string; connectedAt: number; sourceIp: string; userAgent?: string; authorizer?: WebSocketAuthorizerContext;
  }): WebSocketRequestContext => {
    const now = Date.now();
    return {
      routeKey,
      eventType,
      messageId: eventType === 'MESSAGE' ? randomBytes(8).toString('base64') : (undefined as unknown as string),
      extendedRequestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      messageDirection: 'IN',
      stage,
      connectedAt: c.connectedAt,
      requestTimeEpoch: now,
      requestId: randomUUID(),
      domainName: host,
      connectionId: c.id,
      apiId,
      authorizer: c.authorizer,
      identity: { sourceIp: c.sourceIp, userAgent: c.userAgent },
    };
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME_BYTES,
    handleProtocols: (_protocols, req) => selectedProtocols.get(req) ?? false,
  });

  const server = http.createServer((req, res) => {
    handleManagement(req, res).catch((err: unknown) => {
      logError('management api', err);
      if (!res.headersSent) sendJsonError(res, 500, 'InternalServerErrorException', String(err));
    });
  });

  const handleManagement = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const prefix = `/${stage}/`;
    const path = decodeURIComponent(url.pathname);
    const body = await readBody(req);
    if (!path.startsWith(`${prefix}@connections/`)) {
      sendJsonError(res, 404, 'NotFoundException', `no route for ${req.method} ${url.pathname}`);
      return;
    }
    const connectionId = path.slice(`${prefix}@connections/`.length);
    if (req.method === 'POST') postCount++;
    const connection = connections.get(connectionId);
    if ((lingering.get(connectionId) ?? 0) > Date.now() && req.method === 'POST') {
      res.writeHead(200, { 'x-amzn-requestid': randomUUID() });
      res.end();
      return;
    }
    if (!connection || connection.socket.readyState !== WebSocket.OPEN) {
      sendJsonError(res, 410, 'GoneException', `Connection ${connectionId} is gone`);
      return;
    }
    switch (req.method) {
      case 'POST':
        if (body.length > MAX_POST_BYTES) {
          sendJsonError(res, 413, 'PayloadTooLargeException', `Payload of ${body.length} bytes exceeds ${MAX_POST_BYTES}`);
          return;
        }
        await new Promise<void>((resolve) => connection.socket.send(body, { binary: false }, () => resolve()));
        res.writeHead(200, { 'x-amzn-requestid': randomUUID() });
        res.end();
        return;
      case 'GET':
        res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify({
          connectedAt: new Date(connection.connectedAt).toISOString(),
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
        }));
        return;
      case 'DELETE':
        connection.socket.close(1000);
        res.writeHead(204, { 'x-amzn-requestid': randomUUID() });
        res.end();
        return;
      default:
        sendJsonError(res, 405, 'MethodNotAllowedException', `${req.method} not allowed`);
    }
  };

  const connect = async (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== `/${stage}` && url.pathname !== `/${stage}/`) {
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    const { headers, multiValueHeaders } = headerMaps(req);
    const query = queryMaps(url.searchParams);
    const conn = {
      id: newConnectionId(),
      connectedAt: Date.now(),
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      userAgent: req.headers['user-agent'],
      authorizer: undefined as WebSocketAuthorizerContext | undefined,
    };
    let aborted = false;
    socket.on('close', () => { aborted = true; });
    socket.on('error', () => { aborted = true; });

    const missingIdentity = (options.identitySources ?? []).some((source) => {
      const header = /^route\.request\.header\.(.+)$/i.exec(source);
      if (header) return !req.headers[header[1].toLowerCase()];
      const qs = /^route\.request\.querystring\.(.+)$/i.exec(source);
      if (qs) return !url.searchParams.get(qs[1]);
      return false;
    });
    if (options.authorizer && missingIdentity) {
      rejectUpgrade(socket, 401, 'Unauthorized');
      return;
    }
    if (options.authorizer) {
      const methodArn = `arn:aws:execute-api:${options.region ?? REGION}:${options.accountId ?? ACCOUNT_ID}:${apiId}/${stage}/$connect`;
      const ctx = baseContext('$connect', 'CONNECT', conn);
      const authEvent: APIGatewayRequestAuthorizerEvent = {
        type: 'REQUEST',
        methodArn,
        resource: '/',
        path: '/',
        httpMethod: 'GET',
        headers,
        multiValueHeaders,
        pathParameters: null,
        queryStringParameters: query?.single ?? null,
        multiValueQueryStringParameters: query?.multi ?? null,
        stageVariables: null,
        requestContext: {
          ...ctx,
          accountId: options.accountId ?? ACCOUNT_ID,
          authorizer: undefined,
          protocol: 'HTTP/1.1',
          httpMethod: 'GET',
          path: `/${stage}`,
          resourceId: '$connect',
          resourcePath: '/',
          identity: {
            accessKey: null,
            accountId: null,
            apiKey: null,
            apiKeyId: null,
            caller: null,
            clientCert: null,
            cognitoAuthenticationProvider: null,
            cognitoAuthenticationType: null,
            cognitoIdentityId: null,
            cognitoIdentityPoolId: null,
            principalOrgId: null,
            sourceIp: conn.sourceIp,
            user: null,
            userAgent: conn.userAgent ?? null,
            userArn: null,
          },
        },
      };
      let result: APIGatewayAuthorizerResult | undefined;
      try {
        result = await track(options.authorizer(authEvent));
      } catch (err) {
        if (err instanceof Error && err.message === 'Unauthorized') {
          rejectUpgrade(socket, 401, 'Unauthorized');
        } else {
          logError('authorizer', err);
          rejectUpgrade(socket, 500, 'AuthorizerFailure');
        }
        return;
      }
      if (!policyAllows(result, methodArn)) {
        rejectUpgrade(socket, 403, 'Forbidden');
        return;
      }
      conn.authorizer = { principalId: result!.principalId, ...(result!.context ?? {}) };
    }

    const connectEvent: WebSocketEvent = {
      requestContext: baseContext('$connect', 'CONNECT', conn),
      headers,
      multiValueHeaders,
      queryStringParameters: query?.single,
      multiValueQueryStringParameters: query?.multi,
      isBase64Encoded: false,
    };
    let result: WebSocketHandlerResult | void | undefined;
    try {
      result = await track(options.handler(connectEvent));
    } catch (err) {
      logError('$connect handler', err);
      rejectUpgrade(socket, 500, 'Internal server error');
      return;
    }
    const status = result?.statusCode ?? 200;
    if (status < 200 || status > 299) {
      rejectUpgrade(socket, status, result?.body ?? 'Forbidden');
      return;
    }
    if (aborted) return;
    selectedProtocols.set(req, lowerCaseKeys(result?.headers)[protocolHeader] ?? false);
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, conn));
  };

  const invoke = (event: WebSocketEvent, connection: Connection) => track(options.handler(event)).catch((err: unknown) => {
    logError(`${event.requestContext.routeKey} handler`, err);
    if (connection.socket.readyState === WebSocket.OPEN) {
      connection.socket.send(JSON.stringify({
        message: 'Internal server error', connectionId: connection.id, requestId: event.requestContext.requestId,
      }));
    }
  });

  const accept = (socket: WebSocket, c: Omit<Connection, 'socket' | 'lastActiveAt'>) => {
    const connection: Connection = { ...c, socket, lastActiveAt: Date.now() };
    connections.set(connection.id, connection);
    socket.on('error', () => { /* 1009 and resets: the close event follows */ });
    socket.on('message', (data, isBinary) => {
      connection.lastActiveAt = Date.now();
      const body = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      let routeKey = '$default';
      if (!isBinary) {
        try {
          const action: unknown = JSON.parse(body)?.action;
          if (typeof action === 'string' && routes.has(action)) routeKey = action;
        } catch { /* not JSON: $default */ }
      }
      void invoke({ requestContext: baseContext(routeKey, 'MESSAGE', connection), body, isBase64Encoded: false }, connection);
    });
    socket.on('close', () => {
      connections.delete(connection.id);
      void invoke({ requestContext: baseContext('$disconnect', 'DISCONNECT', connection), isBase64Encoded: false }, connection);
    });
  };

  let refusing = false;
  server.on('upgrade', (req, socket, head) => {
    if (refusing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    connect(req, socket, head).catch((err: unknown) => {
      logError('upgrade', err);
      socket.destroy();
    });
  });

  const port = await listenLoopback(server);
  host = `127.0.0.1:${port}`;
  const idle = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };
  let stopped: Promise<void> | undefined;
  return {
    url: `ws://127.0.0.1:${port}/${stage}`,
    callbackUrl: `http://127.0.0.1:${port}/${stage}`,
    apiId,
    get postCount() { return postCount; },
    connectionIds: () => [...connections.keys()],
    dropConnection: (connectionId, dropOptions = {}) => {
      const connection = connections.get(connectionId);
      if (!connection) return false;
      if (dropOptions.lingerMs) lingering.set(connectionId, Date.now() + dropOptions.lingerMs);
      connection.socket.terminate();
      return true;
    },
    refuseConnections: (refuse) => {
      refusing = refuse;
    },
    idle,
    stop: () => {
      stopped ??= (async () => {
        for (const c of wss.clients) c.terminate();
        await closeServer(server);
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await idle();
      })();
      return stopped;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP API stand-in (payload format 2.0, JWT authorizer)
// ---------------------------------------------------------------------------------------------------------------

/** Lambda's limit on a synchronous response, 6 MB (see where it is checked). */
export const LAMBDA_SYNC_RESPONSE_MAX_BYTES = 6 * 1024 * 1024;

export interface HttpApiResult {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  multiValueHeaders?: Record<string, Array<string | number | boolean>>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
}

export type HttpApiHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<HttpApiResult | string | object | void | undefined>;

/** A route of an HTTP API (`AWS::ApiGatewayV2::Route`): `GET /items/{id}`, `ANY /{proxy+}`, `$default`. */
export interface HttpApiRoute {
  readonly routeKey: string;
  readonly handler: HttpApiHandler;
  /** The route's JWT authorizer (verifies the token, returns its claims); none: `AuthorizationType` NONE. */
  readonly authorize?: (token: string) => Promise<Record<string, unknown> | undefined>;
}

/**
 * The API's `CorsConfiguration`: API Gateway answers preflight requests itself and adds the CORS headers to the
 * integration's responses (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html).
 */
export interface HttpApiCors {
  readonly allowOrigins?: readonly string[];
  readonly allowHeaders?: readonly string[];
  readonly allowMethods?: readonly string[];
  readonly exposeHeaders?: readonly string[];
  readonly maxAge?: number;
  readonly allowCredentials?: boolean;
}

export interface HttpApiOptions {
  /** The integration of every route (when `routes` is not given). */
  readonly handler?: HttpApiHandler;
  /** Verifies a JWT and returns its claims, or undefined (or throws) when it is not valid (when `routes` is not given). */
  readonly authorize?: (token: string) => Promise<Record<string, unknown> | undefined>;
  /** The routes, each with its integration and authorizer; a request no route matches gets 404 `Not Found`. */
  readonly routes?: readonly HttpApiRoute[];
  /** The CORS configuration; without it, preflights are answered permissively (any origin, the usual headers). */
  readonly cors?: HttpApiCors;
  /** Path prefix the API is mounted under (e.g. `/api`); removed from `rawPath`. Default: none. */
  readonly basePath?: string;
  readonly apiId?: string;
}

const CORS_HEADERS: Record<string, string> = {
  'access-control-allow-methods': 'GET,POST,PUT,PATCH,DELETE,OPTIONS',
  'access-control-allow-headers': 'authorization,content-type,x-amz-date,x-amz-security-token,x-api-key',
  'access-control-max-age': '600',
};

function corsHeaders(req: http.IncomingMessage, cors?: HttpApiCors): Record<string, string> {
  if (!cors) return { 'access-control-allow-origin': req.headers.origin ?? '*', 'vary': 'Origin', ...CORS_HEADERS };
  const origin = req.headers.origin;
  const origins = cors.allowOrigins ?? [];
  if (!origin || !(origins.includes('*') || origins.includes(origin))) return {};
  const out: Record<string, string> = { 'access-control-allow-origin': origins.includes('*') && !cors.allowCredentials ? '*' : origin };
  if (!origins.includes('*')) out.vary = 'Origin';
  if (cors.allowCredentials) out['access-control-allow-credentials'] = 'true';
  if (cors.exposeHeaders?.length) out['access-control-expose-headers'] = cors.exposeHeaders.join(',');
  return out;
}

function preflightHeaders(req: http.IncomingMessage, cors: HttpApiCors): Record<string, string> {
  const base = corsHeaders(req, cors);
  if (!base['access-control-allow-origin']) return {};
  const method = String(req.headers['access-control-request-method'] ?? '').toUpperCase();
  const methods = (cors.allowMethods ?? []).map((m) => m.toUpperCase());
  if (method && !methods.includes('*') && !methods.includes(method)) return {};
  const requested = String(req.headers['access-control-request-headers'] ?? '');
  const allowed = (cors.allowHeaders ?? []).map((h) => h.toLowerCase());
  const headers = allowed.includes('*') ? requested : allowed.join(',');
  return {
    ...base,
    'access-control-allow-methods': methods.join(','),
    ...(headers ? { 'access-control-allow-headers': headers } : {}),
    ...(cors.maxAge !== undefined ? { 'access-control-max-age': String(cors.maxAge) } : {}),
  };
}

/** Matches a route key's path (`/items/{id}`, `/{proxy+}`) against a request path: the path parameters, or undefined. */
export function matchRoutePath(pattern: string, path: string): Record<string, string> | undefined {
  const decode = (segment: string) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment; // a malformed escape reaches the integration as it came
    }
  };
  const p = pattern.split('/').filter(Boolean);
  const a = path.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const greedy = /^\{(.+)\+\}$/.exec(p[i]);
    if (greedy) {
      if (i >= a.length) return undefined;
      params[greedy[1]] = a.slice(i).map(decode).join('/');
      return params;
    }
    if (i >= a.length) return undefined;
    const param = /^\{(.+)\}$/.exec(p[i]);
    if (param) params[param[1]] = decode(a[i]);
    else if (p[i] !== a[i]) return undefined;
  }
  return a.length === p.length ? params : undefined;
}

/** The route for a request, most specific first (exact paths, then parameters, then greedy, then `ANY`, then `$default`). */
function selectRoute(routes: readonly HttpApiRoute[], method: string, path: string):
{ route: HttpApiRoute; params: Record<string, string> } | undefined {
  const score = (key: string) => {
    const [m, p = ''] = key.split(' ');
    return (p.includes('+}') ? 0 : p.includes('{') ? 1000 : 2000) + p.split('/').length * 10 + (m === 'ANY' ? 0 : 1);
  };
  const candidates = routes.filter((r) => r.routeKey !== '$default').sort((x, y) => score(y.routeKey) - score(x.routeKey));
  for (const route of candidates) {
    const [m, p] = route.routeKey.split(' ');
    if (m !== 'ANY' && m !== method) continue;
    const params = matchRoutePath(p, path);
    if (params) return { route, params };
  }
  const fallback = routes.find((r) => r.routeKey === '$default');
  return fallback ? { route: fallback, params: {} } : undefined;
}

/**
 * JWT authorizer claims as API Gateway passes them: every value a string, arrays as `[a b]`
 * (e.g. `"cognito:groups": "[Admin]"`, `"exp": "1700000000"`).
 */
export function stringifyClaims(claims: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(claims)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) out[k] = `[${v.join(' ')}]`;
    else if (typeof v === 'object') out[k] = JSON.stringify(v);
    else out[k] = String(v);
  }
  return out;
}

function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i.test(contentType);
}

/**
 * A request listener for an HTTP API stand-in that a host server mounts under `basePath`: it returns false (and
 * does nothing) for other paths. Like an HttpJwtAuthorizer, a missing or invalid `Authorization` token answers 401
 * without calling the handler; CORS preflights are answered permissively.
 */
export function httpApiMiddleware(options: HttpApiOptions): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean> {
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const apiId = options.apiId ?? randomBytes(5).toString('hex');
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (basePath && url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) return false;
    const rawPath = url.pathname.slice(basePath.length) || '/';
    const cors = corsHeaders(req, options.cors);
    try {
      if (req.method === 'OPTIONS' && (!options.cors || req.headers['access-control-request-method'])) {
        res.writeHead(204, options.cors ? preflightHeaders(req, options.cors) : cors);
        res.end();
        return true;
      }
      const bodyBuffer = await readBody(req);
      let route: HttpApiRoute;
      let pathParameters: Record<string, string> = {};
      if (options.routes) {
        const selected = selectRoute(options.routes, req.method ?? 'GET', rawPath);
        if (!selected) {
          res.writeHead(404, { ...cors, 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: 'Not Found' }));
          return true;
        }
        route = selected.route;
        pathParameters = selected.params;
      } else {
        if (!options.handler) throw new Error('httpApiMiddleware needs routes or a handler');
        route = { routeKey: '$default', handler: options.handler, authorize: options.authorize };
      }
      const authorization = req.headers.authorization ?? '';
      const token = authorization.replace(/^Bearer\s+/i, '').trim();
      let claims: Record<string, unknown> | undefined = route.authorize ? undefined : {};
      if (token && route.authorize) {
        try {
          claims = await route.authorize(token);
        } catch {
          claims = undefined;
        }
      }
      if (!claims) {
        res.writeHead(401, { ...cors, 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
        res.end(JSON.stringify({ message: 'Unauthorized' }));
        return true;
      }
      const headers: Record<string, string> = {};
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i].toLowerCase();
        headers[name] = headers[name] === undefined ? req.rawHeaders[i + 1] : `${headers[name]},${req.rawHeaders[i + 1]}`;
      }
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
      const textual = isTextual(req.headers['content-type']);
      const now = Date.now();
      const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
      const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
        version: '2.0',
        routeKey: route.routeKey,
        rawPath,
        rawQueryString: url.search.replace(/^\?/, ''),
        cookies: headers.cookie ? headers.cookie.split(/;\s*/) : undefined,
        headers,
        queryStringParameters: Object.keys(query).length ? query : undefined,
        ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
        requestContext: {
          accountId: ACCOUNT_ID,
          apiId,
          domainName: headers.host ?? 'localhost',
          domainPrefix: (headers.host ?? 'localhost').split('.')[0],
          http: { method: req.method ?? 'GET', path: rawPath, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
          requestId: randomUUID(),
          routeKey: route.routeKey,
          stage: '$default',
          time: new Date(now).toUTCString(),
          timeEpoch: now,
          authorizer: {
            principalId: '',
            integrationLatency: 0,
            jwt: { claims: stringifyClaims(claims), scopes: null as unknown as string[] },
          },
        },
        body: bodyBuffer.length ? (textual ? bodyBuffer.toString('utf8') : bodyBuffer.toString('base64')) : undefined,
        isBase64Encoded: bodyBuffer.length > 0 && !textual,
      };
      const result = await route.handler(event);
      // A synchronous Lambda response is at most 6 MB ("Invocation payload (request and response): 6 MB each for
      // request and response (synchronous)", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
      // Lambda fails a larger one and the HTTP API answers 500, as the catch below does. The serialized result is
      // what Lambda measures (the body inside the JSON response object).
      const resultBytes = Buffer.byteLength(result === undefined ? 'null' : JSON.stringify(result), 'utf8');
      if (resultBytes > LAMBDA_SYNC_RESPONSE_MAX_BYTES) {
        throw new Error(`Response payload size (${resultBytes} bytes) exceeded maximum allowed payload size (${LAMBDA_SYNC_RESPONSE_MAX_BYTES} bytes).`);
      }
      writeHttpApiResult(res, result, cors);
    } catch (err) {
      logError('http api handler', err);
      if (!res.headersSent) {
        res.writeHead(500, { ...cors, 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Internal Server Error' }));
      }
    }
    return true;
  };
}

/** Maps a payload 2.0 result to the HTTP response, as API Gateway does (strings and objects without statusCode are 200 JSON). */
function writeHttpApiResult(res: http.ServerResponse, result: unknown, cors: Record<string, string>): void {
  if (result === undefined || result === null || typeof result === 'string' || typeof result !== 'object' || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : result === undefined ? '' : JSON.stringify(result);
    res.writeHead(200, { ...cors, 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  const r = result as HttpApiResult;
  const headers: http.OutgoingHttpHeaders = { ...cors };
  for (const [k, v] of Object.entries(r.multiValueHeaders ?? {})) headers[k.toLowerCase()] = v.map(String);
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
  if (r.cookies?.length) headers['set-cookie'] = r.cookies;
  headers['content-type'] ??= 'application/json';
  res.writeHead(r.statusCode ?? 200, headers);
  res.end(r.body === undefined ? '' : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8'));
}

export interface HttpApi {
  /** `http://127.0.0.1:<port><basePath>` */
  readonly url: string;
  stop(): Promise<void>;
}

/** Runs `httpApiMiddleware` on its own loopback server (404 outside `basePath`). */
export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const middleware = httpApiMiddleware(options);
  const server = http.createServer((req, res) => {
    middleware(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Not Found' }));
      }
    }, (err: unknown) => {
      logError('http api', err);
      res.destroy();
    });
  });
  const port = await listenLoopback(server);
  return {
    url: `http://127.0.0.1:${port}${(options.basePath ?? '').replace(/\/+$/, '')}`,
    stop: () => closeServer(server),
  };
}
