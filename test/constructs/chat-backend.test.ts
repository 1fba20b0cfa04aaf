import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { requireBundles, testApp, withoutAssetHashes } from './helpers';
import { ChatBackend, ChatBackendProps } from '../../src';

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
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(JSON.stringify(template.findResources('AWS::DynamoDB::Table'))).not.toContain('TableName');
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
      AllowedOAuthFlows: ['code'],
    });
  });

  test('WebSocket API: stage ws with auto deploy and access logs, five routes on one function, authorizer on $connect only', () => {
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
    expect(wsRoutes.map((r) => r.Properties.RouteKey).sort()).toEqual(['$connect', '$default', '$disconnect', 'ping', 'sendMessage']);
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
    expect(httpRoutes.map((r) => r.Properties.RouteKey).sort()).toEqual(
      ['DELETE /{proxy+}', 'GET /{proxy+}', 'PATCH /{proxy+}', 'POST /{proxy+}', 'PUT /{proxy+}']);
    for (const r of httpRoutes) expect(r.Properties.AuthorizationType).toBe('JWT');
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default', AutoDeploy: true, AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('routeKey') },
    });
  });

  test('functions: environment exactly per docs/architecture.md', () => {
    const callbackUrl = { 'Fn::Join': ['', ['https://', { Ref: Match.stringLikeRegexp('ChatWebSocketApi') }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/ws']] };
    const table = { Ref: Match.stringLikeRegexp('ChatConversationTable') };
    const model = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
    expect(Object.keys(envOf(template, stack, backend.authorizerFunction)).sort()).toEqual(['JWT_AUDIENCE', 'JWT_ISSUER']);
    const wsEnv = Match.objectEquals({
      TABLE_NAME: table, WORKER_FUNCTION_NAME: { Ref: Match.stringLikeRegexp('ChatChatWorker') }, WEBSOCKET_CALLBACK_URL: callbackUrl, DEFAULT_MODEL_ID: model,
    }).test(envOf(template, stack, backend.webSocketFunction));
    expect(wsEnv.toHumanStrings()).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { TABLE_NAME: table, WEBSOCKET_CALLBACK_URL: callbackUrl, DEFAULT_MODEL_ID: model } },
      Timeout: 300,
      MemorySize: 1024,
      Runtime: 'nodejs24.x',
    });
    expect(envOf(template, stack, backend.apiFunction)).toEqual({ TABLE_NAME: expect.anything() });
    for (const fn of [backend.authorizerFunction, backend.webSocketFunction, backend.apiFunction]) {
      const props = template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as any)].Properties;
      expect(props.Timeout).toBeLessThanOrEqual(30);
      expect(props.Timeout).toBeGreaterThanOrEqual(10);
    }
  });

  test('functions log to their own log group with retention, through roles without managed policies', () => {
    // 5 functions (authorizer, WebSocket, worker, REST, post confirmation trigger) + 2 API access logs.
    template.resourceCountIs('AWS::Logs::LogGroup', 7);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    for (const role of Object.values(template.findResources('AWS::IAM::Role')) as any[]) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  test('IAM: each function gets exactly its calls, scoped to the resources it uses', () => {
    const ws = statementsOf(template, stack, backend.webSocketFunction.role!);
    const worker = statementsOf(template, stack, backend.workerFunction.role!);
    const api = statementsOf(template, stack, backend.apiFunction.role!);
    const auth = statementsOf(template, stack, backend.authorizerFunction.role!);
    const actions = (s: any[]) => s.flatMap((x) => [x.Action].flat()).sort();
    const tableArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('ChatConversationTable'), 'Arn'] };

    expect(actions(auth)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(actions(ws)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem',
      'execute-api:ManageConnections', 'lambda:InvokeFunction', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(actions(worker)).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream',
      'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem',
      'execute-api:ManageConnections', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(actions(api)).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'logs:CreateLogStream', 'logs:PutLogEvents']);

    expect(ws.find((s) => s.Action === 'lambda:InvokeFunction').Resource).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(backend.workerFunction.node.defaultChild as any), 'Arn'] });
    expect(Match.objectLike({ Resource: tableArn }).test(ws.find((s) => [s.Action].flat().includes('dynamodb:PutItem'))).isSuccess).toBe(true);
    const manage = worker.find((s) => s.Action === 'execute-api:ManageConnections');
    expect(JSON.stringify(manage.Resource)).toContain('/ws/*/@connections/*');
    const bedrock = worker.find((s) => [s.Action].flat().includes('bedrock:InvokeModelWithResponseStream'));
    expect(bedrock.Resource).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0']] },
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0']] },
    ]);
    const read = api.find((s) => [s.Action].flat().includes('dynamodb:Query'));
    expect(JSON.stringify(read.Resource)).toContain('/index/byUpdatedAt');
    for (const s of [...ws, ...worker, ...api, ...auth]) {
      for (const a of [s.Action].flat()) expect(a).not.toMatch(/(^\*$|:\*$)/);
    }
  });

  test('exposes the URLs and every created resource', () => {
    expect(stack.resolve(backend.webSocketUrl)).toEqual({ 'Fn::Join': ['', ['wss://', { Ref: expect.stringMatching(/WebSocketApi/) }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/ws']] });
    expect(stack.resolve(backend.restApiUrl)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/HttpApi/), 'ApiEndpoint'] });
    for (const r of [backend.userPool, backend.userPoolClient, backend.conversationTable, backend.webSocketApi, backend.webSocketStage,
      backend.httpApi, backend.httpStage, backend.authorizerFunction, backend.webSocketFunction, backend.workerFunction, backend.apiFunction]) {
      expect(r).toBeDefined();
    }
  });

  test('snapshot (asset hashes stripped)', () => {
    expect(withoutAssetHashes(template.toJSON())).toMatchSnapshot();
  });
});

describe('ChatBackend props', () => {
  test('removalPolicy DESTROY: table, user pool and logs are deleted, without deletion protection', () => {
    const { template } = synth({ removalPolicy: RemovalPolicy.DESTROY });
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

  test('defaultModelId follows the stack geography when not given', () => {
    const model = (region: string) => synth(undefined, { region, account: '111111111111' }).backend.defaultModelId;
    expect(model('us-west-2')).toBe('us.anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(model('eu-central-1')).toBe('eu.anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(model('ap-northeast-1')).toBe('global.anthropic.claude-sonnet-4-5-20250929-v1:0');
  });

  test('a global profile also allows the region-less foundation model ARN', () => {
    const { template } = synth(undefined, { region: 'ap-northeast-1', account: '111111111111' });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
          Resource: Match.arrayWith([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0']] }]),
        })]),
      },
    });
  });

  test('a plain foundation model id is allowed in the stack region only', () => {
    const { template } = synth({ defaultModelId: 'amazon.nova-pro-v1:0' });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, '::foundation-model/amazon.nova-pro-v1:0']] },
        })]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ DEFAULT_MODEL_ID: 'amazon.nova-pro-v1:0' }) } });
  });

  test('an invalid defaultModelId is rejected with a message saying what to change', () => {
    expect(() => synth({ defaultModelId: 'not a model' })).toThrow(/defaultModelId 'not a model' is not a Bedrock model id/);
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
