/**
 * The local playground: the whole chat system in one Node process, using the same handler code as the Lambdas,
 * with emulated DynamoDB, Bedrock (offline model by default), API Gateway (WebSocket + HTTP API) and Lambda.
 * Used by `npm start`, the browser tests and the benchmarks.
 */
import { createReadStream, existsSync, statSync } from 'fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { extname, join, normalize, resolve } from 'path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { handler as apiHandler } from '../lambdas/api.lambda';
import { handler as workerHandler } from '../lambdas/chat-worker.lambda';
import { handler as authorizerHandler } from '../lambdas/ws-authorizer.lambda';
import { handler as wsHandler } from '../lambdas/ws.lambda';
import { httpApiMiddleware, startWebSocketApi, WebSocketHandler } from './emulators/api-gateway';
import { FakeRequest, startBedrockFake, StartBedrockFakeOptions } from './emulators/bedrock';
import { ensureConversationTable, startDynamoDb } from './emulators/dynamodb';
import { startLambda } from './emulators/lambda';
import { startS3 } from './emulators/s3';
import { closeServer, readBody } from './emulators/util';
import { createLocalIdp, LOCAL_USERS } from './idp';
import { createManagedLogin, MANAGED_LOGIN_PATH } from './managed-login';
import { OFFLINE_MODEL_ID, offlineModel } from './offline-model';
import { createTokenVerifier } from '../lambdas/core/auth';
import type { RuntimeModel } from '../lambdas/core/models';

const ROOT = resolve(__dirname, '../..');
const WEB_DIR = join(ROOT, 'assets', 'web');
const PUBLIC_DIR = join(__dirname, 'public');
const TABLE_NAME = 'bedrock-chat-local-conversations';
const LARGE_MESSAGE_BUCKET = 'bedrock-chat-local-large-messages';
const WORKER_NAME = 'bedrock-chat-local-worker';
const CLIENT_ID = 'local-playground';

export interface PlaygroundOptions {
  /** Port of the page server. @default 0 (random) */
  readonly port?: number;
  /** `offline` (default): the offline model on the Bedrock fake; `aws`: real Amazon Bedrock with your credentials. */
  readonly bedrock?: 'offline' | 'aws';
  /** Model for `bedrock: 'aws'`. @default anthropic.claude-3-5-haiku via the us. inference profile */
  readonly awsModelId?: string;
  /** Delay between the offline model's words. @default 25 */
  readonly wordDelayMs?: number;
  /** The offline model cuts every answer after this many words (stopReason `max_tokens`), to try Continue. @default never */
  readonly offlineMaxWords?: number;
  /** Replace the offline model with a script (tests and benchmarks). */
  readonly respond?: StartBedrockFakeOptions['respond'];
  /** Silence the handlers' logs. */
  readonly quiet?: boolean;
  /** The deployment's models (`MODELS_JSON`). @default the offline model (or the AWS model), without prices */
  readonly models?: readonly RuntimeModel[];
}

export interface Playground {
  /** The page: `http://127.0.0.1:<port>/`. */
  readonly url: string;
  readonly webSocketUrl: string;
  readonly restApiUrl: string;
  readonly defaultModelId: string;
  /** Signs in a built-in user (alice, bob, admin) and returns an ID token. */
  issueToken(username: string): string;
  /** Requests the Bedrock fake received (empty with real Bedrock). */
  bedrockRequests(): readonly FakeRequest[];
  /** Number of frames posted through the Management API so far. */
  postCount(): number;
  /** Ids of the open WebSocket connections. */
  connectionIds(): string[];
  /** Drops a WebSocket connection from the server side like a network failure (see WebSocketApi.dropConnection). */
  dropConnection(connectionId: string, options?: { lingerMs?: number }): boolean;
  /** While `true`, new WebSocket connections are refused (see WebSocketApi.refuseConnections). */
  refuseConnections(refuse: boolean): void;
  /** Resolves when no answer is being generated. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPlayground(options: PlaygroundOptions = {}): Promise<Playground> {
  const stops: (() => Promise<void>)[] = [];
  try {
    process.env.AWS_REGION ??= 'us-east-1';
    if (options.bedrock !== 'aws' || !process.env.AWS_ACCESS_KEY_ID) {
      process.env.AWS_ACCESS_KEY_ID ??= 'local';
      process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
    }
    if (options.quiet) process.env.BEDROCK_CHAT_LOG = 'off';

    const dynamo = await startDynamoDb();
    stops.push(dynamo.stop);
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
    await ensureConversationTable(new DynamoDBClient({ endpoint: dynamo.endpoint }), TABLE_NAME);

    // Browsers PUT attachments straight to the bucket with presigned URLs, as in AWS: the bucket allows it by CORS.
    const s3 = await startS3({ buckets: [LARGE_MESSAGE_BUCKET], corsOrigins: ['*'] });
    stops.push(s3.stop);
    process.env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
    process.env.S3_FORCE_PATH_STYLE = 'true';

    let defaultModelId: string;
    let bedrockRequests: readonly FakeRequest[] = [];
    if (options.bedrock === 'aws') {
      defaultModelId = options.awsModelId ?? 'us.anthropic.claude-3-5-haiku-20241022-v1:0';
      delete process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
    } else {
      const respond = options.respond ?? offlineModel({ wordDelayMs: options.wordDelayMs, maxOutputWords: options.offlineMaxWords });
      const bedrock = await startBedrockFake({ respond });
      stops.push(bedrock.stop);
      bedrockRequests = bedrock.requests;
      process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME = bedrock.endpoint;
      defaultModelId = OFFLINE_MODEL_ID;
    }

    const lambda = await startLambda({ functions: { [WORKER_NAME]: workerHandler as (e: unknown) => Promise<unknown> } });
    stops.push(lambda.stop);
    process.env.AWS_ENDPOINT_URL_LAMBDA = lambda.endpoint;

    // The page server comes first: it hosts the local identity provider whose address is the token issuer.
    const server = createServer();
    const port = await listen(server, options.port ?? 0);
    stops.push(() => closeServer(server));
    const origin = `http://127.0.0.1:${port}`;
    const issuer = `${origin}/local-idp`;
    const idp = createLocalIdp({ issuer, audience: CLIENT_ID });
    const login = createManagedLogin({ idp, clientId: CLIENT_ID, origin });
    const verifyToken = createTokenVerifier({ issuer, audience: CLIENT_ID });

    const ws = await startWebSocketApi({
      stage: 'ws',
      authorizer: authorizerHandler,
      handler: wsHandler as unknown as WebSocketHandler,
    });
    stops.push(ws.stop);

    const models = options.models ?? [{ key: defaultModelId, modelId: defaultModelId, displayName: options.bedrock === 'aws' ? defaultModelId : 'Offline model' }];
    Object.assign(process.env, {
      TABLE_NAME,
      WORKER_FUNCTION_NAME: WORKER_NAME,
      WEBSOCKET_CALLBACK_URL: ws.callbackUrl,
      DEFAULT_MODEL_ID: defaultModelId,
      MODELS_JSON: JSON.stringify(models),
      DEFAULT_MODEL: models[0].key,
      LARGE_MESSAGE_BUCKET,
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: CLIENT_ID,
      JWT_JWKS_URI: `${issuer}/.well-known/jwks.json`,
    });

    const api = httpApiMiddleware({
      basePath: '/api',
      handler: apiHandler,
      // Like API Gateway's JWT authorizer: verify the token, hand the claims to the function.
      authorize: async (token: string) => {
        await verifyToken(token);
        return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
      },
    });

    const csp = [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      `connect-src 'self' ${ws.url.replace(/\/ws$/, '')} ${s3.endpoint}`,
      "img-src 'self' data:",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'none'",
    ].join('; ');

    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', origin);
      const path = url.pathname;
      const route = async () => {
        if (await api(req, res)) return;
        if (await login.handle(req, res, url)) return;
        if (path === '/config.json') {
          const host = req.headers.host ?? `127.0.0.1:${port}`;
          return json(res, 200, {
            version: 1,
            region: process.env.AWS_REGION,
            webSocketUrl: ws.url,
            restApiUrl: `http://${host}/api`,
            userPoolId: 'local',
            userPoolClientId: CLIENT_ID,
            // The built-in sign-in of the widget and the app goes through the local managed login.
            authDomain: `http://${host}${MANAGED_LOGIN_PATH}`,
            defaultModel: models[0].key,
            local: true,
          });
        }
        if (req.method === 'OPTIONS') {
          res.writeHead(204, { ...CORS, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' });
          return res.end();
        }
        if (path === '/favicon.ico') {
          res.writeHead(204, { 'cache-control': 'max-age=86400' });
          return res.end();
        }
        if (path === '/local-idp/.well-known/jwks.json') return json(res, 200, idp.jwks);
        if (path === '/local/users') {
          return json(res, 200, Object.values(LOCAL_USERS).map((u) => ({ username: u.username, displayName: u.username, groups: u.groups ?? [] })));
        }
        if (path === '/local/sign-in' && req.method === 'POST') {
          let username: unknown;
          try {
            username = JSON.parse((await readBody(req)).toString('utf8')).username;
          } catch {
            return json(res, 400, { code: 'BAD_REQUEST', message: 'Send {"username": "..."}.' });
          }
          const user = Object.values(LOCAL_USERS).find((u) => u.username === username);
          if (!user) return json(res, 404, { code: 'NOT_FOUND', message: 'No such local user.' });
          return json(res, 200, { idToken: idp.issueIdToken(user) });
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { code: 'BAD_REQUEST', message: 'Method not allowed.' });
        const file = staticFile(path);
        if (!file) return json(res, 404, { code: 'NOT_FOUND', message: 'Not found.' });
        res.writeHead(200, {
          'content-type': MIME[extname(file)] ?? 'application/octet-stream',
          'content-security-policy': csp,
          'x-content-type-options': 'nosniff',
          ...CORS,
          'referrer-policy': 'no-referrer',
          'cache-control': 'no-cache',
        });
        if (req.method === 'HEAD') return res.end();
        createReadStream(file).pipe(res);
      };
      route().catch((err) => {
        if (!res.headersSent) json(res, 500, { code: 'INTERNAL', message: String(err?.message ?? err) });
        else res.destroy();
      });
    });

    return {
      url: `${origin}/`,
      webSocketUrl: ws.url,
      restApiUrl: `${origin}/api`,
      defaultModelId,
      issueToken: (username) => {
        const user = Object.values(LOCAL_USERS).find((u) => u.username === username);
        if (!user) throw new Error(`No local user ${username}`);
        return idp.issueIdToken(user);
      },
      bedrockRequests: () => bedrockRequests,
      postCount: () => ws.postCount,
      connectionIds: () => ws.connectionIds(),
      dropConnection: (connectionId, dropOptions) => ws.dropConnection(connectionId, dropOptions),
      refuseConnections: (refuse) => ws.refuseConnections(refuse),
      idle: () => lambda.idle(),
      stop: async () => {
        await lambda.idle();
        for (const stop of stops.reverse()) await stop();
      },
    };
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw err;
  }
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/** A file under src/local/public (the playground page) or assets/web (the built widget and app); never outside. */
function staticFile(path: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const rel = normalize(decoded).replace(/^(\.\.[/\\])+/, '');
  for (const dir of [PUBLIC_DIR, WEB_DIR]) {
    const candidate = join(dir, rel === '/' ? 'index.html' : rel);
    if (!candidate.startsWith(dir)) continue;
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/**
 * Any origin may load the widget, config.json and the local sign-in (like the deployed frontend, which serves the
 * widget with `Access-Control-Allow-Origin: *`), so a page on another local origin can embed it
 * (examples/embed-widget). No credentials are involved: tokens travel in headers.
 */
const CORS = { 'access-control-allow-origin': '*' };

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...CORS });
  res.end(JSON.stringify(body));
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolvePort((server.address() as { port: number }).port);
    });
  });
}
