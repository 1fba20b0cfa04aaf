/**
 * The local stack read from a synthesized template, over the wire with the real SDK clients:
 * - the resolver (pseudo parameters, Join/Select/Split/Sub/GetAtt, a domain prefix derived from the stack id) and the
 *   endpoint resolver (AWS hosts → local servers);
 * - a purpose-built stack: a table with keys, a GSI and TTL; a bucket with CORS and lifecycle rules; functions run from
 *   their staged assets (CommonJS and ES module) with exactly the template's environment plus Lambda's reserved
 *   variables, their timeout and memory; asynchronous invocations retried as Lambda does, delivered at least once;
 * - the chat stack (ChatBackend + BedrockChatFrontend with a managed login domain): WebSocket routes and the $connect
 *   authorizer's identity source, the HTTP API's routes, JWT authorizer and CORS, the app client's callback URLs
 *   checked exactly, the token validity, the deployed config.json.
 */
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DescribeTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetBucketCorsCommand, S3Client } from '@aws-sdk/client-s3';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildSync } from 'esbuild';
import { WebSocket } from 'ws';
import { composedApp, synthesize } from '../../src/local/apps';
import { createLocalIdp } from '../../src/local/idp';
import { chatStacks, LocalStack, startLocalStack } from '../../src/local/stack/local-stack';
import { EndpointResolver, TemplateResolver } from '../../src/local/stack/resolver';

const FIXTURES = join(__dirname, 'fixtures');

describe('the resolver', () => {
  const template = {
    Resources: {
      Pool: { Type: 'AWS::Cognito::UserPool', Properties: {} },
      Dist: { Type: 'AWS::CloudFront::Distribution', Properties: {} },
      Domain: {
        Type: 'AWS::Cognito::UserPoolDomain',
        Properties: {
          UserPoolId: { Ref: 'Pool' },
          // A prefix derived per stack, as a construct may do: the last part of the stack id's UUID.
          Domain: { 'Fn::Join': ['', ['chat-', { 'Fn::Select': [4, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }] }]] },
        },
      },
    },
  };
  const r = new TemplateResolver(template, { stackName: 'Chat', region: 'eu-west-1', accountId: '111122223333' });

  test('pseudo parameters, Fn::Join/Select/Split/Sub/GetAtt, stable physical ids', () => {
    expect(r.resolve({ Ref: 'AWS::StackId' })).toMatch(/^arn:aws:cloudformation:eu-west-1:111122223333:stack\/Chat\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.resolve({ 'Fn::Sub': 'https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${Pool}' })).toBe(`https://cognito-idp.eu-west-1.amazonaws.com/${r.ref('Pool')}`);
    expect(r.ref('Pool')).toMatch(/^eu-west-1_[A-Za-z0-9]{9}$/);
    const domain = String(r.ref('Domain'));
    expect(domain).toBe(`chat-${String(r.stackId).split('/')[2].split('-')[4]}`);
    expect(r.resolve({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': ['Dist', 'DomainName'] }, '/']] })).toMatch(/^https:\/\/d[a-z0-9]{13}\.cloudfront\.net\/$/);
    expect(r.resolve({ 'Fn::Sub': ['${A}-${!Literal}', { A: 'x' }] })).toBe('x-${Literal}');
    // The same stack name gives the same ids on every load.
    expect(new TemplateResolver(template, r.context).ref('Pool')).toBe(r.ref('Pool'));
    expect(() => r.resolve({ Ref: 'Missing' })).toThrow('no resource Missing');
  });

  test('the endpoint resolver maps AWS hosts to the local servers: https→http, wss→ws, bare hosts', () => {
    const e = new EndpointResolver();
    e.add('abc.execute-api.eu-west-1.amazonaws.com', 'http://127.0.0.1:1001');
    e.add('chat-x.auth.eu-west-1.amazoncognito.com', 'http://127.0.0.1:1002');
    expect(e.rewrite('wss://abc.execute-api.eu-west-1.amazonaws.com/ws')).toBe('ws://127.0.0.1:1001/ws');
    expect(e.rewrite('https://abc.execute-api.eu-west-1.amazonaws.com/ws')).toBe('http://127.0.0.1:1001/ws');
    expect(e.rewrite('"chat-x.auth.eu-west-1.amazoncognito.com"')).toBe('"http://127.0.0.1:1002"');
    expect(e.rewrite("connect-src 'self' https://abc.execute-api.eu-west-1.amazonaws.com https://other.example"))
      .toBe("connect-src 'self' http://127.0.0.1:1001 https://other.example");
    // Only whole host names: a longer host that ends like a known one is left alone.
    expect(e.rewrite('https://xabc.execute-api.eu-west-1.amazonaws.com.evil/')).toBe('https://xabc.execute-api.eu-west-1.amazonaws.com.evil/');
  });
});

describe('a synthesized stack: tables, buckets, functions', () => {
  let stack: LocalStack;
  let names: Record<string, string>;
  const cfn = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

  beforeAll(async () => {
    // The handler is bundled like the package's (its staged asset must run on its own, outside node_modules).
    const cjs = mkdtempSync(join(tmpdir(), 'probe-cjs-'));
    buildSync({ entryPoints: [join(FIXTURES, 'probe-cjs', 'index.js')], bundle: true, platform: 'node', format: 'cjs', outfile: join(cjs, 'index.js'), logLevel: 'warning' });
    const assembly = synthesize((app: App) => {
      const s = new Stack(app, 'Probe', { env: { region: 'us-east-1' } });
      const table = new dynamodb.Table(s, 'Table', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        timeToLiveAttribute: 'expiresAt',
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      });
      table.addGlobalSecondaryIndex({
        indexName: 'byOwner',
        partitionKey: { name: 'owner', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'at', type: dynamodb.AttributeType.NUMBER },
        projectionType: dynamodb.ProjectionType.KEYS_ONLY,
      });
      const bucket = new s3.Bucket(s, 'Bucket', {
        cors: [{ allowedMethods: [s3.HttpMethods.PUT], allowedOrigins: ['https://app.example'], allowedHeaders: ['content-type'], maxAge: 600 }],
        lifecycleRules: [{ expiration: Duration.days(1) }],
      });
      const environment = {
        TABLE_NAME: table.tableName,
        TABLE_ARN: table.tableArn,
        BUCKET: bucket.bucketName,
        DOMAIN: bucket.bucketRegionalDomainName,
      };
      new lambda.Function(s, 'Probe', {
        runtime: lambda.Runtime.NODEJS_22_X,
        code: lambda.Code.fromAsset(cjs),
        handler: 'index.handler',
        environment,
        timeout: Duration.seconds(2),
        memorySize: 128,
      });
      const once = new lambda.Function(s, 'RetriedOnce', {
        runtime: lambda.Runtime.NODEJS_22_X, code: lambda.Code.fromAsset(cjs), handler: 'index.handler', environment,
      });
      once.configureAsyncInvoke({ retryAttempts: 1 });
      new lambda.Function(s, 'Esm', { runtime: lambda.Runtime.NODEJS_22_X, code: lambda.Code.fromAsset(join(FIXTURES, 'probe-esm')), handler: 'index.handler' });
    });
    stack = await startLocalStack({ assembly, quiet: true, asyncRetryDelaysMs: [50, 100] });
    names = Object.fromEntries(stack.functions.names().map((n) => [stack.functions.spec(n)!.logicalId.replace(/[A-F0-9]{8}$/, ''), n]));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const lambdaClient = () => new LambdaClient({ ...cfn, endpoint: stack.lambda.endpoint });
  async function invoke(name: string, payload: unknown, type: 'RequestResponse' | 'Event' = 'RequestResponse') {
    const Payload = Buffer.from(JSON.stringify(payload));
    const res = await lambdaClient().send(new InvokeCommand({ FunctionName: name, InvocationType: type, Payload }));
    const body = res.Payload?.length ? JSON.parse(Buffer.from(res.Payload).toString('utf8')) : undefined;
    return { functionError: res.FunctionError, status: res.StatusCode, body };
  }

  test('the table has the template\'s keys and GSI; its TTL is listed as not emulated', async () => {
    const env = (await invoke(names.Probe, { action: 'env' })).body.env;
    const ddb = new DynamoDBClient({ ...cfn, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB });
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: env.TABLE_NAME }));
    expect(Table!.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]);
    expect(Table!.GlobalSecondaryIndexes!.map((g) => [g.IndexName, g.KeySchema, g.Projection?.ProjectionType]))
      .toEqual([['byOwner', [{ AttributeName: 'owner', KeyType: 'HASH' }, { AttributeName: 'at', KeyType: 'RANGE' }], 'KEYS_ONLY']]);
    expect(stack.notEmulated).toContainEqual(expect.stringMatching(new RegExp(`^DynamoDB TTL of ${env.TABLE_NAME} \\(expiresAt\\)`)));
  });

  test('the bucket has the template\'s CORS rules; its lifecycle rules are listed as not emulated', async () => {
    const env = (await invoke(names.Probe, { action: 'env' })).body.env;
    const client = new S3Client({ ...cfn, endpoint: env.AWS_ENDPOINT_URL_S3, forcePathStyle: true });
    const cors = await client.send(new GetBucketCorsCommand({ Bucket: env.BUCKET }));
    expect(cors.CORSRules).toMatchObject([{ AllowedMethods: ['PUT'], AllowedOrigins: ['https://app.example'], AllowedHeaders: ['content-type'], MaxAgeSeconds: 600 }]);
    expect(stack.notEmulated).toContain(`S3 lifecycle rules of ${env.BUCKET} (objects do not expire; object tags, which rules can filter on, are kept)`);
  });

  test('a function gets exactly the template\'s variables (Refs and GetAtts resolved), Lambda\'s reserved ones and the endpoints', async () => {
    const { body } = await invoke(names.Probe, { action: 'env' });
    const env = body.env as Record<string, string>;
    expect(env.TABLE_NAME).toMatch(/^Probe-Table[A-F0-9]{8}-[A-Z0-9]{12}$/);
    expect(env.TABLE_ARN).toBe(`arn:aws:dynamodb:us-east-1:000000000000:table/${env.TABLE_NAME}`);
    expect(env.BUCKET).toMatch(/^probe-bucket[a-f0-9]{8}-[a-z0-9]{12}$/);
    // A bucket's domain in a variable points at the S3 stand-in.
    expect(env.DOMAIN).toBe(env.AWS_ENDPOINT_URL_S3.replace(/^https?:\/\//, 'http://'));
    expect(body.functionName).toBe(names.Probe);
    expect(body.remainingMs).toBeGreaterThan(0);
    expect(body.remainingMs).toBeLessThanOrEqual(2000);
    expect(env).toMatchObject({
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: names.Probe,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      _HANDLER: 'index.handler',
      TZ: ':UTC',
    });
    const local = ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_LAMBDA', 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME',
      'AWS_ENDPOINT_URL_BEDROCK', 'AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER', 'S3_FORCE_PATH_STYLE', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'];
    const reserved = ['_HANDLER', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
      'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'LAMBDA_TASK_ROOT',
      'LAMBDA_RUNTIME_DIR', 'LANG', 'TZ', 'PATH', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
    expect(Object.keys(env).sort()).toEqual(['TABLE_NAME', 'TABLE_ARN', 'BUCKET', 'DOMAIN', ...reserved, ...local].sort());
  });

  test('a variable the handler reads but the template lacks fails the invocation, as in AWS', async () => {
    // This process has it; the function must not.
    process.env.WORKER_FUNCTION_NAME = 'set-in-the-test-process';
    const missing = await invoke(names.Probe, { action: 'read', name: 'WORKER_FUNCTION_NAME' });
    expect(missing.functionError).toBe('Unhandled');
    expect(missing.body).toMatchObject({ errorType: 'Error', errorMessage: 'Environment variable WORKER_FUNCTION_NAME is not set' });
    expect((await invoke(names.Probe, { action: 'read', name: 'TABLE_NAME' })).body.value).toMatch(/^Probe-Table/);
    delete process.env.WORKER_FUNCTION_NAME;
  });

  test('the timeout stops the function ("Task timed out"); the next invocation gets a new environment', async () => {
    const before = stack.functions.coldStarts[names.Probe];
    const t0 = Date.now();
    const slow = await invoke(names.Probe, { action: 'sleep', ms: 5000 });
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(slow.functionError).toBe('Unhandled');
    expect(slow.body).toMatchObject({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 2.00 seconds' });
    expect((await invoke(names.Probe, { action: 'sleep', ms: 10 })).body).toEqual({ slept: 10 });
    expect(stack.functions.coldStarts[names.Probe]).toBe(before + 1);
  });

  test('the memory size caps the heap: a function that needs more fails', async () => {
    const ok = await invoke(names.Probe, { action: 'allocate', mb: 8 });
    expect(ok.body).toEqual({ allocated: 8 });
    const tooMuch = await invoke(names.Probe, { action: 'allocate', mb: 400 });
    expect(tooMuch.functionError).toBe('Unhandled');
    expect(tooMuch.body.errorType).toBe('Runtime.OutOfMemory');
  });

  test('an ES module bundle (index.mjs) runs too', async () => {
    expect((await invoke(names.Esm, { action: 'any' })).body).toEqual({ format: 'esm', region: 'us-east-1' });
  });

  test('asynchronous invocations are retried after a failure, up to two retries (or the EventInvokeConfig\'s), delivered at least once', async () => {
    const env = (await invoke(names.Probe, { action: 'env' })).body.env;
    const ddb = new DynamoDBClient({ ...cfn, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB });
    const delivered = async (id: string) => ((await ddb.send(new ScanCommand({ TableName: env.TABLE_NAME }))).Items ?? [])
      .filter((i) => i.pk.S === `DELIVERED#${id}`).map((i) => i.sk.S);
    const accepted = await invoke(names.Probe, { action: 'flaky', id: 'two-failures', failures: 2 }, 'Event');
    expect(accepted.status).toBe(202);
    await invoke(names.Probe, { action: 'flaky', id: 'three-failures', failures: 3 }, 'Event');
    await invoke(names.RetriedOnce, { action: 'flaky', id: 'once', failures: 1 }, 'Event');
    await invoke(names.RetriedOnce, { action: 'flaky', id: 'twice', failures: 2 }, 'Event');
    // idle() does not wait for a retry that waits for its delay: wait for the attempts expected, then a while longer
    // (past the delays) to see that no other attempt comes.
    const deadline = Date.now() + 15_000;
    while ((stack.lambda.asyncAttempts[names.Probe] ?? 0) < 6 || (stack.lambda.asyncAttempts[names.RetriedOnce] ?? 0) < 4) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await stack.idle();
    await new Promise((r) => setTimeout(r, 400));
    await stack.idle();
    expect(await delivered('two-failures')).toEqual(['3']); // the third attempt
    expect(await delivered('three-failures')).toEqual([]); // dropped after the second retry
    expect(await delivered('once')).toEqual(['2']);
    expect(await delivered('twice')).toEqual([]); // MaximumRetryAttempts 1
    expect(stack.lambda.asyncAttempts[names.Probe]).toBe(6);
    expect(stack.lambda.asyncAttempts[names.RetriedOnce]).toBe(4);
  });
});

describe('the chat stack from its template', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    const assembly = synthesize(composedApp({ domainPrefix: 'bedrock-chat-test' }), 'domain:bedrock-chat-test');
    expect(chatStacks(assembly)).toEqual(['BedrockChat']);
    stack = await startLocalStack({ assembly, quiet: true });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test('config.json: the markers resolved, every endpoint local, the managed login domain its stand-in', () => {
    const pool = stack.userPools[0];
    expect(stack.config).toMatchObject({
      webSocketUrl: stack.webSocketUrl,
      restApiUrl: stack.restApiUrl,
      userPoolId: pool.userPoolId,
      userPoolClientId: pool.clients[0].clientId,
      authDomain: pool.loginOrigin,
    });
    expect(JSON.stringify(stack.config)).not.toMatch(/amazonaws\.com|amazoncognito\.com|cloudfront\.net|<<marker/);
    expect(stack.outputs.AppUrl).toBe(stack.url.replace(/\/$/, ''));
  });

  test('the user pool: its groups, the client\'s callback and sign-out URLs (the site), its token validity', () => {
    const pool = stack.userPools[0];
    expect([...pool.groups].sort()).toEqual(['Admin', 'CreatingBotAllowed', 'PublishAllowed']);
    expect(pool.clients[0].callbackUrls).toEqual([stack.url]);
    expect(pool.clients[0].logoutUrls).toEqual([stack.url]);
    expect(pool.clients[0].idTokenValiditySec).toBe(3600);
    const claims = JSON.parse(Buffer.from(stack.issueToken('admin').split('.')[1], 'base64url').toString('utf8'));
    expect(claims.iss).toBe(pool.issuer);
    expect(pool.issuer).toBe(`https://cognito-idp.us-east-1.amazonaws.com/${pool.userPoolId}`);
    expect(claims.exp - claims.iat).toBe(3600);
    expect(claims['cognito:groups']).toEqual(['Admin']);
  });

  test('the managed login accepts the template\'s callback URL only, exactly', async () => {
    const { loginOrigin, clients } = stack.userPools[0];
    const authorize = (redirectUri: string) => fetch(`${loginOrigin}/oauth2/authorize?${new URLSearchParams({
      response_type: 'code', client_id: clients[0].clientId, redirect_uri: redirectUri, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256',
    })}`);
    expect((await authorize(stack.url)).status).toBe(200);
    for (const near of [stack.url.replace(/\/$/, ''), `${stack.url}index.html`, stack.url.replace('127.0.0.1', 'localhost'), 'http://localhost:8080/']) {
      const res = await authorize(near);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('redirect_mismatch');
    }
  });

  test('WebSocket API: the template\'s routes; $connect without the identity source is 401 without calling the authorizer', async () => {
    const authorizer = stack.functions.names().find((n) => stack.functions.spec(n)!.handlerName === 'ws-authorizer.lambda')!;
    const upgrade = (protocols?: string[]) => new Promise<number>((resolve) => {
      const ws = new WebSocket(stack.webSocketUrl!, protocols);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
      ws.on('error', () => undefined);
    });
    expect(await upgrade()).toBe(401);
    expect(stack.functions.coldStarts[authorizer]).toBeUndefined();
    // A token from another issuer: the authorizer runs and refuses it.
    const stranger = createLocalIdp({ issuer: stack.userPools[0].issuer, audience: stack.userPools[0].clients[0].clientId });
    expect(await upgrade(['bedrock-chat.v1', stranger.issueIdToken({ sub: 's', username: 'eve', email: 'eve@example.com' })])).toBe(401);
    expect(stack.functions.coldStarts[authorizer]).toBe(1);
    expect(await upgrade(['bedrock-chat.v1', stack.issueToken('alice')])).toBe(101);
    expect(stack.summary).toContainEqual(expect.stringContaining('($connect, $disconnect, $default, sendMessage, regenerate, continue, stop, ping)'));
  });

  test('HTTP API: the JWT authorizer (issuer and audience of the template), routes and CORS from the template', async () => {
    const api = stack.restApiUrl!;
    expect((await fetch(`${api}/models`)).status).toBe(401);
    const otherAudience = createLocalIdp({ issuer: stack.userPools[0].issuer, audience: 'another-client' });
    expect((await fetch(`${api}/models`, { headers: { authorization: `Bearer ${otherAudience.issueIdToken({ sub: 's', username: 'eve', email: 'e@example.com' })}` } })).status).toBe(401);
    const ok = await fetch(`${api}/models`, { headers: { authorization: `Bearer ${stack.issueToken('bob')}`, origin: 'https://any.example' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    // The bots-api function's routes (/me, /bots, /openapi.json, ...) come from the template too, more specific than
    // /{proxy+}: the playground serves them unchanged.
    const bob = { authorization: `Bearer ${stack.issueToken('bob')}` };
    const me = await fetch(`${api}/me`, { headers: bob });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ groups: expect.any(Array), canCreateBots: expect.any(Boolean), isAdmin: expect.any(Boolean) });
    const mine = await fetch(`${api}/bots?kind=mine`, { headers: bob });
    expect(mine.status).toBe(200);
    expect(await mine.json()).toMatchObject({ items: expect.any(Array) });
    // A wrong method on a bot path is the bots router's 405, naming the allowed ones.
    const wrong = await fetch(`${api}/me`, { method: 'DELETE', headers: bob });
    expect(wrong.status).toBe(405);
    const doc = await fetch(`${api}/openapi.json`, { headers: bob });
    expect(doc.status).toBe(200);
    const paths = Object.keys((await doc.json()).paths);
    expect(paths).toEqual(expect.arrayContaining(['/bots', '/conversations', '/usage', '/me']));
    // this app has no KnowledgeBaseFactory: no /knowledge route, so none described
    expect(paths.filter((p) => p.startsWith('/knowledge'))).toEqual([]);
    // No route for the method: the template has GET/POST/PUT/PATCH/DELETE /{proxy+} and the bot paths only.
    expect((await fetch(`${api}/`, { headers: { authorization: `Bearer ${stack.issueToken('bob')}` } })).status).toBe(404);
    const preflight = await fetch(`${api}/conversations`, {
      method: 'OPTIONS', headers: { 'origin': 'https://any.example', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,POST,PUT,PATCH,DELETE');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    expect(preflight.headers.get('access-control-max-age')).toBe('3600');
  });

  test('what is not emulated is listed: WAF, CloudFront itself, the Cognito trigger, stage throttling', () => {
    expect(stack.notEmulated).toEqual(expect.arrayContaining([
      expect.stringMatching(/^AWS::WAFv2::WebACL: WAF rules are not applied/),
      expect.stringMatching(/^stage throttling of WEBSOCKET API \w+: requests are never throttled locally/),
      expect.stringMatching(/^stage throttling of HTTP API \w+: requests are never throttled locally/),
      expect.stringMatching(/^CloudFront itself: /),
      expect.stringMatching(/^Cognito trigger PostConfirmation /),
    ]));
  });
});
