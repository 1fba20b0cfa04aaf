import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { WebSocket } from 'ws';
import { credentials, region, useDummyAwsEnv } from './env';
import { HttpApi, startHttpApi, startWebSocketApi, WebSocketApi, WebSocketEvent } from '../../src/local/emulators/api-gateway';

useDummyAwsEnv();

describe('WebSocket API stand-in', () => {
  let api: WebSocketApi;
  let management: ApiGatewayManagementApiClient;
  const authorizerEvents: APIGatewayRequestAuthorizerEvent[] = [];
  const events: WebSocketEvent[] = [];

  const policy = (effect: 'Allow' | 'Deny', resource: string): APIGatewayAuthorizerResult => ({
    principalId: 'user-1',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
    context: { userId: 'user-1', username: 'alice' },
  });

  beforeAll(async () => {
    api = await startWebSocketApi({
      stage: 'ws',
      authorizer: async (event) => {
        authorizerEvents.push(event);
        const header = Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === 'sec-websocket-protocol')?.[1] ?? '';
        const token = header.split(',').map((s) => s.trim())[1];
        if (token === 'good') return policy('Allow', event.methodArn);
        if (token === 'wildcard') return policy('Allow', event.methodArn.replace(/\/ws\/\$connect$/, '/*'));
        if (token === 'deny') return policy('Deny', event.methodArn);
        throw new Error('Unauthorized');
      },
      handler: async (event) => {
        events.push(event);
        const { routeKey, connectionId } = event.requestContext;
        if (routeKey === '$connect') {
          if (event.queryStringParameters?.reject) return { statusCode: 403 };
          if (event.queryStringParameters?.noProtocol) return { statusCode: 200 };
          return { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'bedrock-chat.v1' } };
        }
        if (routeKey === 'sendMessage') {
          await management.send(new PostToConnectionCommand({
            ConnectionId: connectionId,
            Data: JSON.stringify({ echo: JSON.parse(event.body ?? '{}').text, routeKey }),
          }));
        }
        if (routeKey === '$default' && event.body === 'explode') throw new Error('handler failure');
        return { statusCode: 200 };
      },
    });
    management = new ApiGatewayManagementApiClient({ endpoint: api.callbackUrl, credentials, region, maxAttempts: 1 });
  });

  afterAll(async () => {
    management.destroy();
    await api.stop();
  });

  /** Opens a client; resolves with the socket, or with the HTTP status of a rejected handshake. */
  function open(protocols: string[], query = ''): Promise<{ ws?: WebSocket; status?: number }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${api.url}${query}`, protocols);
      ws.once('open', () => resolve({ ws }));
      ws.once('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode });
        res.resume();
        ws.terminate();
      });
      ws.once('error', (err) => reject(err));
    });
  }

  const nextMessage = (ws: WebSocket) => new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message within 5 s')), 5000);
    ws.once('message', (data) => {
      clearTimeout(timer);
      resolve(String(data));
    });
  });
  const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const waitFor = async (predicate: () => boolean) => {
    for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(predicate()).toBe(true);
  };

  test('URLs', () => {
    expect(api.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    expect(api.callbackUrl).toBe(api.url.replace(/^ws:/, 'http:'));
  });

  test('no token: the authorizer throws Unauthorized and the handshake gets 401', async () => {
    const before = events.length;
    expect(await open(['bedrock-chat.v1'])).toEqual({ status: 401 });
    expect(events.length).toBe(before); // $connect not invoked
  });

  test('a Deny policy gives 403', async () => {
    expect(await open(['bedrock-chat.v1', 'deny'])).toEqual({ status: 403 });
  });

  test('allowed: the authorizer gets a REQUEST event, $connect the authorizer context, the subprotocol is echoed', async () => {
    const { ws } = await open(['bedrock-chat.v1', 'good']);
    expect(ws!.protocol).toBe('bedrock-chat.v1');
    const auth = authorizerEvents[authorizerEvents.length - 1];
    expect(auth.type).toBe('REQUEST');
    expect(auth.methodArn).toBe(`arn:aws:execute-api:us-east-1:000000000000:${api.apiId}/ws/$connect`);
    // the ws client joins offered protocols with ',' (browsers with ', ')
    expect(auth.headers?.['Sec-WebSocket-Protocol']).toBe('bedrock-chat.v1,good');
    expect(auth.requestContext.routeKey).toBe('$connect');
    const connect = events[events.length - 1];
    expect(connect.requestContext).toMatchObject({
      routeKey: '$connect',
      eventType: 'CONNECT',
      stage: 'ws',
      apiId: api.apiId,
      authorizer: { principalId: 'user-1', userId: 'user-1', username: 'alice' },
      identity: { sourceIp: '127.0.0.1' },
    });
    expect(connect.headers?.['Sec-WebSocket-Protocol']).toBe('bedrock-chat.v1,good');
    expect(connect.multiValueHeaders?.['Sec-WebSocket-Protocol']).toEqual(['bedrock-chat.v1,good']);
    expect(connect.isBase64Encoded).toBe(false);
    expect(api.connectionIds()).toContain(connect.requestContext.connectionId);
    ws!.close();
    await closed(ws!);
  });

  test('a wildcard Allow resource matches', async () => {
    const { ws } = await open(['bedrock-chat.v1', 'wildcard']);
    expect(ws).toBeDefined();
    ws!.close();
    await closed(ws!);
  });

  test('$connect answering 403 rejects the handshake; no selected protocol means none in the handshake', async () => {
    expect(await open(['bedrock-chat.v1', 'good'], '?reject=1')).toEqual({ status: 403 });
    const plain = await open(['bedrock-chat.v1', 'good'], '?noProtocol=1').catch((e: Error) => ({ error: e.message }));
    // ws (like a browser) fails when it offered protocols and the server selected none
    expect(plain).toEqual({ error: 'Server sent no subprotocol' });
  });

  test('route selection by body.action; postToConnection delivers a frame', async () => {
    const { ws } = await open(['bedrock-chat.v1', 'good']);
    const connectionId = events[events.length - 1].requestContext.connectionId;
    const posts = api.postCount;
    const reply = nextMessage(ws!);
    ws!.send(JSON.stringify({ action: 'sendMessage', text: 'hello' }));
    expect(JSON.parse(await reply)).toEqual({ echo: 'hello', routeKey: 'sendMessage' });
    expect(api.postCount).toBe(posts + 1);
    const message = events.find((e) => e.requestContext.routeKey === 'sendMessage')!;
    expect(message.requestContext).toMatchObject({
      eventType: 'MESSAGE',
      connectionId,
      authorizer: { principalId: 'user-1', userId: 'user-1' },
    });
    expect(typeof message.requestContext.messageId).toBe('string');
    expect(message.body).toBe(JSON.stringify({ action: 'sendMessage', text: 'hello' }));

    ws!.send(JSON.stringify({ action: 'ping', v: 1 }));
    ws!.send(JSON.stringify({ action: 'unknownAction' }));
    ws!.send('not json at all');
    await waitFor(() => events.filter((e) => e.requestContext.connectionId === connectionId).length === 5);
    expect(events.filter((e) => e.requestContext.connectionId === connectionId).map((e) => [e.requestContext.routeKey, e.body])).toEqual([
      ['$connect', undefined],
      ['sendMessage', JSON.stringify({ action: 'sendMessage', text: 'hello' })],
      ['ping', '{"action":"ping","v":1}'],
      ['$default', '{"action":"unknownAction"}'],
      ['$default', 'not json at all'],
    ]);

    // GetConnection, then DeleteConnection closes the socket and $disconnect runs
    const info = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(info.Identity?.SourceIp).toBe('127.0.0.1');
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(Math.abs(info.ConnectedAt!.getTime() - Date.now())).toBeLessThan(10_000);
    expect(info.LastActiveAt!.getTime()).toBeGreaterThanOrEqual(info.ConnectedAt!.getTime());
    const closing = closed(ws!);
    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    await closing;
    await waitFor(() => events.some((e) => e.requestContext.routeKey === '$disconnect' && e.requestContext.connectionId === connectionId));
    expect(events.find((e) => e.requestContext.routeKey === '$disconnect' && e.requestContext.connectionId === connectionId)!
      .requestContext.eventType).toBe('DISCONNECT');

    // after close: 410 GoneException, typed
    const gone = await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x' })).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(GoneException);
    expect(gone).toMatchObject({ name: 'GoneException', $metadata: { httpStatusCode: 410 } });
  });

  test('postToConnection over 128 KB is PayloadTooLargeException; exactly 128 KB is delivered', async () => {
    const { ws } = await open(['bedrock-chat.v1', 'good']);
    const connectionId = events[events.length - 1].requestContext.connectionId;
    await expect(management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x'.repeat(131_073) })))
      .rejects.toBeInstanceOf(PayloadTooLargeException);
    const received = nextMessage(ws!);
    await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'y'.repeat(131_072) }));
    expect((await received).length).toBe(131_072);
    ws!.close();
    await closed(ws!);
  });

  test('a client frame over 32 KB closes the connection with 1009', async () => {
    const { ws } = await open(['bedrock-chat.v1', 'good']);
    const closing = closed(ws!);
    ws!.send('z'.repeat(32_769));
    expect(await closing).toBe(1009);
  });

  test('a frame of exactly 32 KB is accepted', async () => {
    const { ws } = await open(['bedrock-chat.v1', 'good']);
    const body = JSON.stringify({ action: 'ping', pad: '' });
    const frame = body.replace('""', `"${'p'.repeat(32_768 - body.length)}"`);
    expect(Buffer.byteLength(frame)).toBe(32_768);
    ws!.send(frame);
    await waitFor(() => events.some((e) => e.body === frame && e.requestContext.routeKey === 'ping'));
    ws!.close();
    await closed(ws!);
  });

  test('a failing route handler sends API Gateway\'s "Internal server error" frame', async () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const { ws } = await open(['bedrock-chat.v1', 'good']);
      const reply = nextMessage(ws!);
      ws!.send('explode');
      expect(JSON.parse(await reply)).toMatchObject({ message: 'Internal server error', connectionId: expect.any(String) });
      ws!.close();
      await closed(ws!);
    } finally {
      write.mockRestore();
    }
  });

  test('dropConnection: the client sees 1006 (no closing handshake), $disconnect runs, posts get 410; with lingerMs, 200 first', async () => {
    for (const lingerMs of [undefined, 60_000]) {
      const { ws } = await open(['bedrock-chat.v1', 'good']);
      const connectionId = events[events.length - 1].requestContext.connectionId;
      const closing = closed(ws!);
      expect(api.dropConnection(connectionId, { lingerMs })).toBe(true);
      expect(await closing).toBe(1006);
      await waitFor(() => events.some((e) => e.requestContext.routeKey === '$disconnect' && e.requestContext.connectionId === connectionId));
      expect(api.connectionIds()).not.toContain(connectionId);
      const post = management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'lost' }));
      if (lingerMs) await expect(post).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
      else await expect(post).rejects.toBeInstanceOf(GoneException);
      expect(api.dropConnection(connectionId)).toBe(false);
    }
  });

  test('an unknown connection is 410', async () => {
    await expect(management.send(new PostToConnectionCommand({ ConnectionId: 'nope=', Data: 'x' }))).rejects.toBeInstanceOf(GoneException);
  });
});

describe('HTTP API stand-in', () => {
  let api: HttpApi;
  const seen: APIGatewayProxyEventV2WithJWTAuthorizer[] = [];

  beforeAll(async () => {
    api = await startHttpApi({
      basePath: '/api',
      authorize: async (token) => {
        if (token === 'bad') throw new Error('invalid signature');
        return token === 'good' ? { 'sub': 'user-1', 'cognito:groups': ['Admin', 'Other'], 'exp': 1700000000, 'email_verified': true } : undefined;
      },
      handler: async (event) => {
        seen.push(event);
        if (event.rawPath === '/plain') return { items: [] };
        return {
          statusCode: 201,
          headers: { 'X-Custom': 'yes' },
          body: JSON.stringify({ path: event.rawPath, sub: event.requestContext.authorizer.jwt.claims.sub }),
        };
      },
    });
  });

  afterAll(() => api.stop());

  test('without a token, or with an invalid one: 401 and the handler is not called', async () => {
    for (const authorization of [undefined, 'Bearer bad', 'Bearer unknown', 'Bearer ']) {
      const res = await fetch(`${api.url}/conversations`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ message: 'Unauthorized' });
    }
    expect(seen).toHaveLength(0);
  });

  test('with a valid token: a payload 2.0 event with the claims; the result maps to the response', async () => {
    const res = await fetch(`${api.url}/conversations/abc?limit=10&tag=a&tag=b`, {
      method: 'POST',
      headers: { 'Authorization': 'Bearer good', 'Content-Type': 'application/json', 'X-Mixed-Case': 'v' },
      body: '{"x":1}',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-custom')).toBe('yes');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toEqual({ path: '/conversations/abc', sub: 'user-1' });
    const event = seen[seen.length - 1];
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/conversations/abc',
      rawQueryString: 'limit=10&tag=a&tag=b',
      queryStringParameters: { limit: '10', tag: 'a,b' },
      body: '{"x":1}',
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'POST', path: '/conversations/abc', sourceIp: '127.0.0.1' },
        authorizer: {
          jwt: {
            // API Gateway passes every claim as a string, arrays as "[a b]"
            claims: { 'sub': 'user-1', 'cognito:groups': '[Admin Other]', 'exp': '1700000000', 'email_verified': 'true' },
            scopes: null,
          },
        },
      },
    });
    expect(event.headers['x-mixed-case']).toBe('v');
    expect(event.headers.authorization).toBe('Bearer good');
    expect(typeof event.requestContext.requestId).toBe('string');
  });

  test('a result without statusCode is 200 JSON', async () => {
    const res = await fetch(`${api.url}/plain`, { headers: { authorization: 'Bearer good' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ items: [] });
  });

  test('CORS preflight is answered without a token', async () => {
    const before = seen.length;
    const res = await fetch(`${api.url}/conversations`, {
      method: 'OPTIONS',
      headers: { 'Origin': 'http://localhost:5173', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(res.headers.get('access-control-allow-methods')).toContain('GET');
    expect(seen.length).toBe(before);
  });

  test('paths outside the base path are not the API\'s', async () => {
    const res = await fetch(api.url.replace(/\/api$/, '/other'), { headers: { authorization: 'Bearer good' } });
    expect(res.status).toBe(404);
  });
});
