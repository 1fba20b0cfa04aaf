import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { requireBundles, testApp, withoutAssetHashes } from './helpers';
import { ChatBackend, ChatBackendProps, ChatModel, InferenceProfileMode } from '../../src';

beforeAll(requireBundles);

function synth(props?: ChatBackendProps, env?: { region: string; account: string }) {
  const app = testApp();
  const stack = new Stack(app, 'Test', { env });
  const backend = new ChatBackend(stack, 'Chat', props);
  return { stack, backend, template: Template.fromStack(stack) };
}

/** The policy statements attached to the role of `fn`. */
function statementsOf(template: Template, stack: Stack, role: iam.IRole): any[] {
  const roleId = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

const EU = { region: 'eu-west-1', account: '111111111111' };

/** The models the functions read (MODELS_JSON of the worker). */
function modelsOf(template: Template, stack: Stack, backend: ChatBackend): any[] {
  return JSON.parse(envOf(template, stack, backend.workerFunction).MODELS_JSON as string);
}

/** The Resource list of the statement of `role` allowing `action`, resolved to strings where literal. */
function bedrockResources(template: Template, stack: Stack, role: iam.IRole, action: string): string[] {
  return statementsOf(template, stack, role)
    .filter((s) => [s.Action].flat().includes(action))
    .flatMap((s) => [s.Resource].flat())
    .map((r) => (typeof r === 'string' ? r : r['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : `<${p.Ref}>`)).join('')));
}

function envOf(template: Template, stack: Stack, fn: { node: any }): Record<string, unknown> {
  const id = stack.getLogicalId(fn.node.defaultChild);
  return template.toJSON().Resources[id].Properties.Environment.Variables;
}

describe('ChatBackend defaults', () => {
  const { stack, backend, template } = synth();

  test('conversation table: pk/sk strings, GSI byUpdatedAt, on demand, PITR, encryption, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gsi1pk', AttributeType: 'S' }, { AttributeName: 'gsi1sk', AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [{
          IndexName: 'byUpdatedAt',
          KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }, { AttributeName: 'gsi1sk', KeyType: 'RANGE' }],
          Projection: { ProjectionType: 'ALL' },
        }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
        // Request items (idempotency, stop flag) expire after a day.
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(JSON.stringify(template.findResources('AWS::DynamoDB::Table'))).not.toContain('TableName');
  });

  test('large-message bucket: private, TLS only, SSE-S3, unversioned, access logs, CORS PUT, abort multipart uploads, retained', () => {
    const bucketId = stack.getLogicalId(backend.largeMessageBucket.node.defaultChild as any);
    const logsId = stack.getLogicalId(backend.accessLogsBucket.node.defaultChild as any);
    const bucket = template.toJSON().Resources[bucketId];
    expect(bucket).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'large-message-bucket/' },
        CorsConfiguration: { CorsRules: [{ AllowedMethods: ['PUT'], AllowedOrigins: ['*'], AllowedHeaders: ['content-type', 'x-amz-tagging'], MaxAge: 3600 }] },
        LifecycleConfiguration: {
          Rules: [
            { Id: 'AbortIncompleteMultipartUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' },
            // Uploads no stored message references (still tagged pending by their presigned PUT) expire after a day.
            { Id: 'ExpireUnreferencedUploads', Prefix: 'uploads/', TagFilters: [{ Key: 'pending', Value: 'true' }], ExpirationInDays: 1, Status: 'Enabled' },
          ],
        },
      },
    });
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
    expect(bucket.Properties.BucketName).toBeUndefined();
    // TLS only, and the log bucket accepts logs from this bucket only (bucket policy, whatever the app's feature flags).
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsId },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        })]),
      },
    });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  test('user pool: email sign-in, strong passwords, self sign-up, retained, three groups, public client', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({
        UsernameAttributes: ['email'],
        AutoVerifiedAttributes: ['email'],
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
        Policies: {
          PasswordPolicy: Match.objectLike({
            MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true,
          }),
        },
        MfaConfiguration: 'OPTIONAL',
        DeletionProtection: 'ACTIVE',
      }),
      DeletionPolicy: 'Retain',
    });
    template.resourcePropertiesCountIs('AWS::Cognito::UserPool', { UserPoolName: Match.anyValue() }, 0);
    for (const name of ['Admin', 'CreatingBotAllowed', 'PublishAllowed']) {
      template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: name });
    }
    template.resourceCountIs('AWS::Cognito::UserPoolGroup', 3);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_SRP_AUTH']),
      // No frontend registered a URL on this backend alone: no OAuth flow (see chat-backend-auth.test.ts).
      AllowedOAuthFlowsUserPoolClient: false,
    });
  });

  test('WebSocket API: stage ws with auto deploy and access logs, every protocol v1 route on one function, authorizer on $connect only', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'ws', AutoDeploy: true, AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('connectionId') },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.header.Sec-WebSocket-Protocol'],
    });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as any[];
    const wsRoutes = routes.filter((r) => !String(r.Properties.RouteKey).includes(' '));
    expect(wsRoutes.map((r) => r.Properties.RouteKey).sort()).toEqual(['$connect', '$default', '$disconnect', 'continue', 'ping', 'regenerate', 'sendMessage', 'stop']);
    for (const r of wsRoutes) {
      expect(r.Properties.AuthorizationType).toBe(r.Properties.RouteKey === '$connect' ? 'CUSTOM' : 'NONE');
    }
    // One integration for every WebSocket route, pointing at the WebSocket function.
    const wsFnId = stack.getLogicalId(backend.webSocketFunction.node.defaultChild as any);
    const integrations = Object.values(template.findResources('AWS::ApiGatewayV2::Integration')) as any[];
    const wsIntegrations = integrations.filter((i) => JSON.stringify(i).includes(wsFnId));
    expect(wsIntegrations).toHaveLength(1);
    expect(new Set(wsRoutes.map((r) => JSON.stringify(r.Properties.Target))).size).toBe(1);
  });

  test('HTTP API: JWT authorizer on the Cognito issuer and client, proxy route to the api function, CORS, access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: Match.stringLikeRegexp('ChatUserPoolWebClient') }],
        Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: Match.stringLikeRegexp('ChatUserPool') }]] },
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['*'], AllowHeaders: ['authorization', 'content-type'], AllowCredentials: false }),
    });
    const httpRoutes = (Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as any[])
      .filter((r) => String(r.Properties.RouteKey).includes(' '));
    // `/{proxy+}` to the api function; the bot, store, search, `/me` and OpenAPI paths to the bots-api function (the
    // HTTP API picks the most specific route), every method but OPTIONS on each.
    const methods = ['DELETE', 'GET', 'PATCH', 'POST', 'PUT'];
    const botPaths = ['/admin/bots/{proxy+}', '/bots', '/bots/{proxy+}', '/groups/search', '/me', '/openapi.json', '/store/{proxy+}', '/users/search'];
    expect(httpRoutes.map((r) => r.Properties.RouteKey).sort()).toEqual(
      [...botPaths, '/{proxy+}'].flatMap((p) => methods.map((m) => `${m} ${p}`)).sort());
    const targetOf = (fn: lambda.IFunction) => {
      const fnId = stack.getLogicalId(fn.node.defaultChild as any);
      const integrations = Object.entries(template.findResources('AWS::ApiGatewayV2::Integration')).filter(([, i]) => JSON.stringify(i).includes(fnId));
      expect(integrations).toHaveLength(1);
      return integrations[0][0];
    };
    const apiIntegration = targetOf(backend.apiFunction);
    const botsIntegration = targetOf(backend.botsApiFunction);
    for (const r of httpRoutes) {
      expect(r.Properties.AuthorizationType).toBe('JWT');
      const path = String(r.Properties.RouteKey).split(' ')[1];
      expect(JSON.stringify(r.Properties.Target)).toContain(path === '/{proxy+}' ? apiIntegration : botsIntegration);
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default', AutoDeploy: true, AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('routeKey') },
    });
  });

  test('access logs of both APIs carry the user id (authorizer context / JWT sub), never a token or a header', () => {
    const formatOf = (stageName: string) => {
      const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage', { Properties: { StageName: stageName } })) as any[];
      expect(stages).toHaveLength(1);
      return JSON.parse(stages[0].Properties.AccessLogSettings.Format) as Record<string, string>;
    };
    const ws = formatOf('ws');
    const http = formatOf('$default');
    // The ws authorizer's context map has userId (src/lambdas/ws-authorizer.lambda.ts); the HTTP API's JWT has sub.
    expect(ws.userId).toBe('$context.authorizer.userId');
    expect(http.userId).toBe('$context.authorizer.claims.sub');
    for (const value of [...Object.values(ws), ...Object.values(http)]) {
      expect(value).not.toMatch(/header|querystring|requestOverride|body|token|protocol/i);
    }
  });

  test('functions: environment exactly per docs/architecture.md', () => {
    const callbackUrl = { 'Fn::Join': ['', ['https://', { Ref: Match.stringLikeRegexp('ChatWebSocketApi') }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/ws']] };
    const table = { Ref: Match.stringLikeRegexp('ChatConversationTable') };
    const bucket = { Ref: Match.stringLikeRegexp('ChatLargeMessageBucket') };
    const models = {
      MODELS_JSON: Match.serializedJson(Match.arrayWith([Match.objectLike({ key: 'claude-v4.5-sonnet' })])),
      DEFAULT_MODEL: 'claude-v4.5-sonnet',
      TITLE_MODEL_ID: 'global.anthropic.claude-haiku-4-5-20251001-v1:0',
    };
    // Usage limits on by default: no token or cost limit, 3 answers at a time, admins in the Admin group.
    const usage = { USAGE_LIMITS_JSON: JSON.stringify({ defaults: {}, maxConcurrentAnswers: 3, adminGroup: 'Admin' }) };
    const exactly = (fn: { node: any }, expected: Record<string, unknown>) =>
      expect(Match.objectEquals(expected).test(envOf(template, stack, fn)).toHumanStrings()).toEqual([]);
    expect(Object.keys(envOf(template, stack, backend.authorizerFunction)).sort()).toEqual(['JWT_AUDIENCE', 'JWT_ISSUER']);
    // Bots: the ws handler and the api read the bot table and the caller's groups in the user pool; the worker reads
    // nothing of bots (the ws handler puts the bot's settings in the job).
    const bots = { BOT_TABLE_NAME: { Ref: Match.stringLikeRegexp('ChatBotTable') }, USER_POOL_ID: { Ref: Match.stringLikeRegexp('ChatUserPool') } };
    exactly(backend.webSocketFunction, {
      TABLE_NAME: table,
      WORKER_FUNCTION_NAME: { Ref: Match.stringLikeRegexp('ChatChatWorker') },
      WEBSOCKET_CALLBACK_URL: callbackUrl,
      LARGE_MESSAGE_BUCKET: bucket,
      ...models,
      ...bots,
      ...usage,
    });
    exactly(backend.workerFunction, { TABLE_NAME: table, WEBSOCKET_CALLBACK_URL: callbackUrl, LARGE_MESSAGE_BUCKET: bucket, ...models, ...usage });
    // The api function reads groups at use time for the usage limits (USER_POOL_ID) but no bots.
    exactly(backend.apiFunction, { TABLE_NAME: table, LARGE_MESSAGE_BUCKET: bucket, ...models, USER_POOL_ID: bots.USER_POOL_ID, ...usage });
    exactly(backend.botsApiFunction, { ...models, ...bots });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { TABLE_NAME: table, WEBSOCKET_CALLBACK_URL: callbackUrl, LARGE_MESSAGE_BUCKET: bucket } },
      // The worker's timeout follows the largest allowed output: 60 + ceil(max(4096, 4096 + 1024) / 25) + 15 = 280 s.
      Timeout: 280,
      MemorySize: 1024,
      Runtime: 'nodejs24.x',
    });
    for (const fn of [backend.authorizerFunction, backend.webSocketFunction, backend.apiFunction, backend.botsApiFunction]) {
      const props = template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as any)].Properties;
      expect(props.Timeout).toBeLessThanOrEqual(30);
      expect(props.Timeout).toBeGreaterThanOrEqual(10);
    }
  });

  test('MODELS_JSON: the default models in the runtime shape (key, resolved id, name, prices, capabilities)', () => {
    const models = modelsOf(template, stack, backend);
    expect(models.map((m) => m.key)).toEqual(['claude-v4.5-sonnet', 'claude-v4.5-haiku', 'amazon-nova-pro']);
    expect(models[0]).toEqual({
      key: 'claude-v4.5-sonnet',
      modelId: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      displayName: 'Claude Sonnet 4.5',
      prices: { inputPer1kTokens: 0.003, outputPer1kTokens: 0.015, cacheWritePer1kTokens: 0.00375, cacheReadPer1kTokens: 0.0003 },
      capabilities: { reasoning: true, assistantPrefill: true, tools: true, images: true, documents: true, promptCaching: true },
    });
    expect(backend.defaultModelId).toBe('claude-v4.5-sonnet');
    expect(backend.defaultModel).toBe(ChatModel.CLAUDE_SONNET_4_5);
    expect(backend.titleModel).toBe(ChatModel.CLAUDE_HAIKU_4_5);
  });

  test('environment-agnostic stack: models resolved as for us-east-1, with a warning naming the geographic ones', () => {
    expect(modelsOf(template, stack, backend).map((m) => m.modelId)).toEqual([
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'global.anthropic.claude-haiku-4-5-20251001-v1:0', 'us.amazon.nova-pro-v1:0',
    ]);
    Annotations.fromStack(stack).hasWarning('/Test/Chat', Match.stringLikeRegexp('amazon-nova-pro \\(us\\.amazon\\.nova-pro-v1:0\\) can then only be called from a US or Canadian Region'));
    // The ARNs keep the deploy-time Region: the profile is allowed where the stack is deployed.
    expect(bedrockResources(template, stack, backend.workerFunction.role!, 'bedrock:InvokeModelWithResponseStream'))
      .toContain('arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/us.amazon.nova-pro-v1:0');
  });

  test('functions log to their own log group with retention, through roles without managed policies', () => {
    // 8 functions (authorizer, WebSocket, worker, worker's on-failure destination, REST, bots REST, post confirmation
    // trigger, bot cleanup) + 2 API access logs.
    template.resourceCountIs('AWS::Logs::LogGroup', 10);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    const roles = Object.entries(template.findResources('AWS::IAM::Role')) as Array<[string, any]>;
    for (const [id, role] of roles) {
      // The one exception: the account's API Gateway logging role (see the next describe).
      if (id.startsWith('BedrockChatApiGatewayAccountCloudWatchRole')) continue;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  test('IAM: each function gets exactly its calls, scoped to the resources it uses', () => {
    const ws = statementsOf(template, stack, backend.webSocketFunction.role!);
    const worker = statementsOf(template, stack, backend.workerFunction.role!);
    const api = statementsOf(template, stack, backend.apiFunction.role!);
    const botsApi = statementsOf(template, stack, backend.botsApiFunction.role!);
    const auth = statementsOf(template, stack, backend.authorizerFunction.role!);
    const actions = (s: any[]) => s.flatMap((x) => [x.Action].flat()).sort();
    const tableArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('ChatConversationTable'), 'Arn'] };

    expect(actions(auth)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    // Bots add: ws Get/Put/Update on the bot table and AdminListGroupsForUser; the worker ApplyGuardrail on the
    // account's guardrails (a bot names its own); the api the bot routes' calls (see grants.ts grantBots).
    expect(actions(ws)).toEqual(['cognito-idp:AdminListGroupsForUser', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:GetItem', 'dynamodb:PutItem',
      'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:UpdateItem',
      'execute-api:ManageConnections', 'lambda:InvokeFunction', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:DeleteObjectTagging']);
    expect(actions(worker)).toEqual(['bedrock:ApplyGuardrail', 'bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream',
      'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem',
      'execute-api:ManageConnections', 'lambda:InvokeFunction', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:ListBucket']);
    // The api: conversations, titles, uploads, usage (groups at use time); nothing of bots.
    expect(actions(api)).toEqual(['bedrock:InvokeModel', 'cognito-idp:AdminListGroupsForUser',
      'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Query',
      'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:DeleteObject', 's3:ListBucket', 's3:PutObject', 's3:PutObjectTagging']);
    // bots-api: the bot routes' calls and the guardrails bots define (bots-ops): create, update, version, delete.
    expect(actions(botsApi)).toEqual(['bedrock:CreateGuardrail', 'bedrock:CreateGuardrailVersion', 'bedrock:DeleteGuardrail',
      'bedrock:UpdateGuardrail', 'cognito-idp:AdminListGroupsForUser', 'cognito-idp:ListGroups', 'cognito-idp:ListUsers',
      'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Query',
      'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    const botTableArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('ChatBotTable'), 'Arn'] };
    const userPoolArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('ChatUserPool'), 'Arn'] };
    for (const s of [...ws, ...api, ...botsApi].filter((x) => [x.Action].flat().some((a: string) => a.startsWith('cognito-idp:')))) {
      expect(Match.objectEquals(userPoolArn).test(s.Resource).toHumanStrings()).toEqual([]);
    }
    expect(ws.some((x) => Match.objectEquals(botTableArn).test(x.Resource).isSuccess)).toBe(true);

    expect(ws.find((s) => s.Action === 'lambda:InvokeFunction').Resource).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(backend.workerFunction.node.defaultChild as any), 'Arn'] });
    // The worker invokes exactly its on-failure destination (Lambda calls the destination with the worker's role), and
    // its asynchronous invocations are not retried: a retry would find the turn claimed (see docs/architecture.md).
    const failureFn = backend.node.findAll().find((c) => c instanceof lambda.Function && c.node.id === 'ChatWorkerFailure') as lambda.Function;
    const failureArn = { 'Fn::GetAtt': [stack.getLogicalId(failureFn.node.defaultChild as any), 'Arn'] };
    expect(worker.find((s) => s.Action === 'lambda:InvokeFunction').Resource).toEqual(failureArn);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: stack.getLogicalId(backend.workerFunction.node.defaultChild as any) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: failureArn } },
    });
    const failure = statementsOf(template, stack, failureFn.role!);
    expect(actions(failure)).toEqual(['dynamodb:UpdateItem', 'execute-api:ManageConnections', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(Match.objectLike({ Resource: tableArn }).test(ws.find((s) => [s.Action].flat().includes('dynamodb:PutItem'))).isSuccess).toBe(true);
    const manage = worker.find((s) => s.Action === 'execute-api:ManageConnections');
    expect(JSON.stringify(manage.Resource)).toContain('/ws/*/@connections/*');
    // Attachments: only under uploads/ of the large-message bucket; reads for the worker, presigned writes for the api.
    const bucketArn = { 'Fn::GetAtt': [stack.getLogicalId(backend.largeMessageBucket.node.defaultChild as any), 'Arn'] };
    const uploads = { 'Fn::Join': ['', [bucketArn, '/uploads/*']] };
    expect(worker.find((s) => s.Action === 's3:GetObject').Resource).toEqual(uploads);
    expect(worker.find((s) => s.Action === 's3:ListBucket').Resource).toEqual(bucketArn);
    // The api presigns uploads and deletes them with their conversations (listing the caller's prefix to delete all).
    expect(api.find((s) => [s.Action].flat().includes('s3:PutObject'))).toMatchObject({ Action: ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject'], Resource: uploads });
    // The ws handler removes the pending tag of the uploads a stored message references, nothing else.
    expect(ws.find((s) => s.Action === 's3:DeleteObjectTagging').Resource).toEqual(uploads);
    expect(api.find((s) => s.Action === 's3:ListBucket').Resource).toEqual(bucketArn);
    // Bedrock: every offered model for the worker (profile + foundation models), the title model only for the api.
    const chat = bedrockResources(template, stack, backend.workerFunction.role!, 'bedrock:InvokeModelWithResponseStream');
    expect(chat).toEqual(expect.arrayContaining([
      'arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
      'arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/global.anthropic.claude-haiku-4-5-20251001-v1:0',
      'arn:<AWS::Partition>:bedrock:us-west-2::foundation-model/amazon.nova-pro-v1:0',
    ]));
    expect(bedrockResources(template, stack, backend.workerFunction.role!, 'bedrock:InvokeModel')).toEqual(chat);
    expect(bedrockResources(template, stack, backend.apiFunction.role!, 'bedrock:InvokeModel')).toEqual([
      'arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/global.anthropic.claude-haiku-4-5-20251001-v1:0',
      'arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
    ]);
    expect(api.find((s) => s.Action === 'bedrock:InvokeModelWithResponseStream')).toBeUndefined();
    const indexQuery = api.find((s) => s.Action === 'dynamodb:Query');
    const tableId = stack.getLogicalId(backend.conversationTable.node.defaultChild as any);
    expect(indexQuery.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/byUpdatedAt']] });
    for (const s of [...ws, ...worker, ...api, ...auth]) {
      for (const a of [s.Action].flat()) expect(a).not.toMatch(/(^\*$|:\*$)/);
    }
  });

  test('exposes the URLs and every created resource', () => {
    expect(stack.resolve(backend.webSocketUrl)).toEqual({ 'Fn::Join': ['', ['wss://', { Ref: expect.stringMatching(/WebSocketApi/) }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/ws']] });
    expect(stack.resolve(backend.restApiUrl)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/HttpApi/), 'ApiEndpoint'] });
    for (const r of [backend.userPool, backend.userPoolClient, backend.conversationTable, backend.largeMessageBucket, backend.accessLogsBucket,
      backend.webSocketApi, backend.webSocketStage,
      backend.httpApi, backend.httpStage, backend.authorizerFunction, backend.webSocketFunction, backend.workerFunction, backend.apiFunction]) {
      expect(r).toBeDefined();
    }
  });

  test('snapshot (asset hashes stripped)', () => {
    expect(withoutAssetHashes(template.toJSON())).toMatchSnapshot();
  });
});

describe('ChatBackend props', () => {
  test('removalPolicy DESTROY: table, user pool, buckets and logs are deleted, without deletion protection', () => {
    const { template } = synth({ removalPolicy: RemovalPolicy.DESTROY });
    template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtectionEnabled: false }) });
    template.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtection: 'INACTIVE' }) });
    template.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  test('selfSignUpEnabled false: only administrators create users', () => {
    const { template } = synth({ selfSignUpEnabled: false });
    template.hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
  });

  test('logRetention applies to every log group', () => {
    const { template } = synth({ logRetention: logs.RetentionDays.ONE_WEEK });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  test('corsAllowedOrigins restricts the REST API origins', () => {
    const { template } = synth({ corsAllowedOrigins: ['https://chat.example.com'] });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://chat.example.com'] }) });
  });

  test('models follow the stack Region: global profiles first, then the geography, without a warning', () => {
    const { stack, backend, template } = synth(undefined, EU);
    expect(modelsOf(template, stack, backend).map((m) => m.modelId)).toEqual([
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'global.anthropic.claude-haiku-4-5-20251001-v1:0', 'eu.amazon.nova-pro-v1:0',
    ]);
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('Region is not known'));
    const arns = bedrockResources(template, stack, backend.workerFunction.role!, 'bedrock:InvokeModelWithResponseStream');
    expect(arns).toEqual(expect.arrayContaining([
      'arn:<AWS::Partition>:bedrock:eu-west-1:111111111111:inference-profile/eu.amazon.nova-pro-v1:0',
      'arn:<AWS::Partition>:bedrock:eu-central-1::foundation-model/amazon.nova-pro-v1:0',
    ]));
    expect(arns.filter((a) => a.includes(':bedrock:us-'))).toEqual([]);
  });

  test('models, defaultModel, titleModel and inferenceProfileMode', () => {
    const nova = ChatModel.NOVA_LITE;
    const { stack, backend, template } = synth({
      models: [ChatModel.CLAUDE_SONNET_4_6, nova],
      defaultModel: nova,
      titleModel: ChatModel.NOVA_MICRO,
      inferenceProfileMode: InferenceProfileMode.GEOGRAPHIC,
    }, EU);
    const worker = envOf(template, stack, backend.workerFunction);
    expect(modelsOf(template, stack, backend).map((m) => [m.key, m.modelId])).toEqual([
      ['claude-v4.6-sonnet', 'eu.anthropic.claude-sonnet-4-6'], ['amazon-nova-lite', 'eu.amazon.nova-lite-v1:0'],
    ]);
    expect(worker).toMatchObject({ DEFAULT_MODEL: 'amazon-nova-lite', TITLE_MODEL_ID: 'eu.amazon.nova-micro-v1:0' });
    expect(backend.defaultModelId).toBe('amazon-nova-lite');
    // The title model is not offered to users but callable: Converse (InvokeModel) for the worker and the api only.
    const micro = 'arn:<AWS::Partition>:bedrock:eu-west-1:111111111111:inference-profile/eu.amazon.nova-micro-v1:0';
    expect(bedrockResources(template, stack, backend.workerFunction.role!, 'bedrock:InvokeModelWithResponseStream')).not.toContain(micro);
    expect(bedrockResources(template, stack, backend.workerFunction.role!, 'bedrock:InvokeModel')).toContain(micro);
    expect(bedrockResources(template, stack, backend.apiFunction.role!, 'bedrock:InvokeModel')).toContain(micro);
    expect(bedrockResources(template, stack, backend.apiFunction.role!, 'bedrock:InvokeModel')
      .some((a) => a.includes('claude') || a.includes('nova-lite'))).toBe(false);
    // Geographic mode: no Region wildcard anywhere.
    expect(bedrockResources(template, stack, backend.workerFunction.role!, 'bedrock:InvokeModel').some((a) => a.includes('*'))).toBe(false);
  });

  test('InferenceProfileMode.NONE: base ids, foundation models of the stack Region only', () => {
    const { stack, backend, template } = synth({ models: [ChatModel.NOVA_PRO], inferenceProfileMode: InferenceProfileMode.NONE });
    expect(modelsOf(template, stack, backend).map((m) => m.modelId)).toEqual(['amazon.nova-pro-v1:0']);
    expect(bedrockResources(template, stack, backend.workerFunction.role!, 'bedrock:InvokeModelWithResponseStream'))
      .toEqual(['arn:<AWS::Partition>:bedrock:<AWS::Region>::foundation-model/amazon.nova-pro-v1:0']);
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('Region is not known'));
  });

  test('the title model defaults to Claude Haiku 4.5 when offered, else the cheapest offered model with known prices', () => {
    expect(synth({ models: [ChatModel.CLAUDE_OPUS_4_5, ChatModel.CLAUDE_HAIKU_4_5] }, EU).backend.titleModel.key).toBe('claude-v4.5-haiku');
    expect(synth({ models: [ChatModel.CLAUDE_SONNET_4_5, ChatModel.NOVA_PRO, ChatModel.NOVA_LITE] }, EU).backend.titleModel.key).toBe('amazon-nova-lite');
    // Unknown prices are never "cheapest": the default model then proposes titles.
    expect(synth({ models: [ChatModel.NOVA_2_LITE, ChatModel.GPT_OSS_20B] }, EU).backend.titleModel.key).toBe('amazon-nova-2-lite');
  });

  test('models with unknown prices travel without prices (answers priced at 0)', () => {
    const { stack, backend, template } = synth({ models: [ChatModel.NOVA_2_LITE] }, EU);
    expect(modelsOf(template, stack, backend)[0]).not.toHaveProperty('prices');
  });

  test('invalid model settings are rejected with a message saying what to change', () => {
    expect(() => synth({ models: [] })).toThrow(/models is empty: list at least one ChatModel/);
    expect(() => synth({ models: [ChatModel.CLAUDE_SONNET_4_5], defaultModel: ChatModel.NOVA_PRO }))
      .toThrow(/defaultModel 'amazon-nova-pro' is not one of models \(claude-v4.5-sonnet\): add it to models/);
    expect(() => synth({ models: [ChatModel.NOVA_PRO, ChatModel.NOVA_LITE.withOverrides({ key: 'amazon-nova-pro' })] }))
      .toThrow(/distinct keys.*duplicated: amazon-nova-pro/);
    expect(() => synth({ models: ChatModel.values() }, EU)).toThrow(/offer fewer models/);
  });

  test('attachmentRetention expires uploads/ objects; it must be whole days', () => {
    const { template } = synth({ attachmentRetention: Duration.days(90) });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
          Match.objectLike({ Id: 'ExpireUnreferencedUploads', ExpirationInDays: 1 }),
          { Id: 'ExpireAttachments', Prefix: 'uploads/', ExpirationInDays: 90, Status: 'Enabled' },
        ],
      },
    });
    expect(() => synth({ attachmentRetention: Duration.hours(12) })).toThrow(/attachmentRetention must be a whole number of days, at least 1/);
  });

  test('corsAllowedOrigins also restricts browser uploads into the large-message bucket', () => {
    const { template } = synth({ corsAllowedOrigins: ['https://chat.example.com'] });
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedMethods: ['PUT'], AllowedOrigins: ['https://chat.example.com'] })] },
    });
  });

  test('guardrail: applied by the worker (environment and ApplyGuardrail on that guardrail only); a malformed id is refused', () => {
    const { template, stack, backend } = synth({ guardrail: { guardrailId: 'abc123xyz', guardrailVersion: '2' } }, EU);
    expect(envOf(template, stack, backend.workerFunction)).toMatchObject({ GUARDRAIL_ID: 'abc123xyz', GUARDRAIL_VERSION: '2' });
    expect(envOf(template, stack, backend.webSocketFunction)).not.toHaveProperty('GUARDRAIL_ID');
    const guardrail = statementsOf(template, stack, backend.workerFunction.role!).filter((st) => [st.Action].flat().includes('bedrock:ApplyGuardrail'));
    expect(guardrail).toHaveLength(1);
    expect(JSON.stringify(guardrail[0].Resource)).toContain(':guardrail/abc123xyz');
    expect(statementsOf(template, stack, backend.apiFunction.role!).some((st) => [st.Action].flat().includes('bedrock:ApplyGuardrail'))).toBe(false);
    expect(envOf(synth({ guardrail: { guardrailId: 'g1' } }).template, stack, backend.workerFunction)).toBeDefined();
    expect(() => synth({ guardrail: { guardrailId: 'arn:aws:bedrock:us-east-1:1:guardrail/x' } })).toThrow(/guardrailId must be a guardrail id/);
  });

  test('reasoningBudgetTokens reaches the worker; out-of-range budgets are refused', () => {
    const { template, stack, backend } = synth({ reasoningBudgetTokens: 8000 });
    expect(envOf(template, stack, backend.workerFunction)).toMatchObject({ REASONING_BUDGET_TOKENS: '8000' });
    // The worker's timeout grows with the largest allowed output: 60 + ceil((8000 + 1024) / 25) + 15 = 436 s.
    const timeoutOf = (t: Template, s: Stack, b: ChatBackend) =>
      t.toJSON().Resources[s.getLogicalId(b.workerFunction.node.defaultChild as any)].Properties.Timeout;
    expect(timeoutOf(template, stack, backend)).toBe(436);
    // The largest budget is capped at Lambda's 900 s (the time budget cuts what does not fit).
    const largest = synth({ reasoningBudgetTokens: 64_000 });
    expect(timeoutOf(largest.template, largest.stack, largest.backend)).toBe(900);
    expect(() => synth({ reasoningBudgetTokens: 512 })).toThrow(/reasoningBudgetTokens must be a whole number from 1024 to 64000/);
  });

  test('promptCaching false turns cache points off; on by default', () => {
    const off = synth({ promptCaching: false });
    expect(envOf(off.template, off.stack, off.backend.workerFunction)).toMatchObject({ PROMPT_CACHING: 'off' });
    const on = synth();
    expect(envOf(on.template, on.stack, on.backend.workerFunction)).not.toHaveProperty('PROMPT_CACHING');
  });

  test('uploadOrigin is the large-message bucket\'s regional endpoint; authDomain is always the managed login domain', () => {
    const { stack, backend } = synth(undefined, EU);
    expect(stack.resolve(backend.uploadOrigin)).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [expect.stringMatching(/LargeMessageBucket/), 'RegionalDomainName'] }]] });
    expect(stack.resolve(backend.authDomain)).toEqual({
      'Fn::Join': ['', ['https://', { Ref: stack.getLogicalId(backend.userPoolDomain.node.defaultChild as any) }, '.auth.eu-west-1.amazoncognito.com']],
    });
  });

  test('grantReadConversations grants reads on the table and the recency index', () => {
    const app = testApp();
    const stack = new Stack(app, 'Test');
    const backend = new ChatBackend(stack, 'Chat');
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    backend.grantReadConversations(role);
    const template = Template.fromStack(stack);
    const statements = statementsOf(template, stack, role);
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toEqual(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query']);
    expect(JSON.stringify(statements[0].Resource)).toContain('/index/byUpdatedAt');
  });
});

describe('API Gateway logging role of the account (WebSocket access logs)', () => {
  const wsStages = (template: Template) => Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))
    .filter((s: any) => s.Properties.StageName === 'ws') as any[];

  test('WebSocket access logs deploy in an account without a logging role: the role, the account setting pointing at it, the stage depending on it', () => {
    // It broke: a WebSocket stage with access logging fails to deploy in an account without cloudWatchRoleArn.
    const { template } = synth();
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })] } },
    });
    expect(Object.keys(roles)).toHaveLength(1);
    const [roleId, role] = Object.entries(roles)[0] as [string, any];
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain(':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs');
    // Retained: the account setting outlives the stack and must not point at a deleted role.
    expect(role.DeletionPolicy).toBe('Retain');
    const accounts = template.findResources('AWS::ApiGateway::Account');
    expect(Object.values(accounts)).toEqual([expect.objectContaining({ Properties: { CloudWatchRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } } })]);
    const [stage] = wsStages(template);
    expect(stage.DependsOn).toEqual([Object.keys(accounts)[0]]);
  });

  test('once per stack: two backends share one role and one account setting, both stages depend on it', () => {
    const app = testApp();
    const stack = new Stack(app, 'Test');
    const one = new ChatBackend(stack, 'One');
    const two = new ChatBackend(stack, 'Two');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    expect(one.apiGatewayAccount).toBe(two.apiGatewayAccount);
    const accountId = Object.keys(template.findResources('AWS::ApiGateway::Account'))[0];
    expect(wsStages(template).map((s) => s.DependsOn)).toEqual([[accountId], [accountId]]);
  });

  test('apiGatewayCloudWatchRole: false (managed elsewhere): no role, no setting, no dependency', () => {
    const { backend, template } = synth({ apiGatewayCloudWatchRole: false });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toContain('AmazonAPIGatewayPushToCloudWatchLogs');
    expect(wsStages(template)[0].DependsOn).toBeUndefined();
    expect(backend.apiGatewayAccount).toBeUndefined();
  });
});
