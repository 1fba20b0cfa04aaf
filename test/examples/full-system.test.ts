import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { requireBundles } from '../constructs/helpers';

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'full-system');

beforeAll(requireBundles);

test('`cdk synth` of examples/full-system runs offline and yields the whole system', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'full-system-'));
  execFileSync('npx', ['cdk', 'synth', '--no-notices', '--quiet', '-o', outdir], {
    cwd: EXAMPLE,
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_DEFAULT_REGION: 'us-east-1', CDK_DEFAULT_ACCOUNT: '111111111111' },
    stdio: 'pipe',
    timeout: 120_000,
  });
  const template = JSON.parse(fs.readFileSync(path.join(outdir, 'BedrockChat.template.json'), 'utf8'));
  const count = (type: string) => Object.values(template.Resources as Record<string, any>).filter((r) => r.Type === type).length;
  expect(count('AWS::Cognito::UserPool')).toBe(1);
  expect(count('AWS::Cognito::UserPoolGroup')).toBe(3);
  expect(count('AWS::DynamoDB::Table')).toBe(3); // conversations, bots, the bulk knowledge sync state
  expect(count('AWS::ApiGatewayV2::Api')).toBe(2);
  expect(count('AWS::ApiGatewayV2::Stage')).toBe(2);
  // five chat functions (authorizer, WebSocket handler, worker, REST API, bots API), the worker's on-failure
  // destination, the post confirmation trigger, the BucketDeployment provider, the bot cleanup (the deletion pipe's
  // target), the provider of the bots declared in code and the knowledge-api function (KnowledgeBaseFactory)
  expect(count('AWS::Lambda::Function')).toBe(11);
  expect(count('AWS::Pipes::Pipe')).toBe(1);
  // The example declares one bot in code (the playground shows it pinned in the store).
  const bots = Object.values(template.Resources as Record<string, any>).filter((r) => r.Type === 'Custom::BedrockChatBot');
  expect(bots.map((r) => JSON.parse(r.Properties.Bot))).toMatchObject([{ id: 'writing-coach', scope: 'all', pinOrder: 0 }]);
  expect(count('AWS::CloudFront::Distribution')).toBe(1);
  expect(count('AWS::CloudFront::OriginAccessControl')).toBe(1);
  expect(count('Custom::CDKBucketDeployment')).toBe(1);
  expect(Object.keys(template.Outputs).sort()).toEqual(['AppUrl', 'KnowledgeBaseId', 'KnowledgeDocumentBucket', 'KnowledgeSyncTable', 'RestApiUrl', 'UserPoolClientId', 'UserPoolId', 'WebSocketUrl', 'WidgetUrl']);
  expect(count('AWS::S3::Bucket')).toBe(5); // large messages + its access logs, site + its logs, knowledge documents
  // the knowledge for bots: one shared knowledge base on S3 Vectors, a CUSTOM and an S3 data source
  expect(count('AWS::S3Vectors::VectorBucket')).toBe(1);
  expect(count('AWS::S3Vectors::Index')).toBe(1);
  expect(count('AWS::Bedrock::KnowledgeBase')).toBe(1);
  expect(count('AWS::Bedrock::DataSource')).toBe(2);
  // the bulk data source's sync: S3 events on EventBridge start a state machine of SDK integrations (no function)
  // and the dedicated knowledge bases' provision and deprovision machines (test/constructs/dedicated-knowledge.test.ts)
  expect(count('AWS::StepFunctions::StateMachine')).toBe(3);
  expect(count('AWS::Events::Rule')).toBe(1);
  // The stack's Region is known: Claude resolves to global profiles, Nova Pro to the US one; Sonnet is the default.
  const worker = Object.values(template.Resources as Record<string, any>)
    .find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.LARGE_MESSAGE_BUCKET && r.Properties.MemorySize === 1024);
  const env = worker.Properties.Environment.Variables;
  expect(JSON.parse(env.MODELS_JSON).map((m: any) => m.modelId)).toEqual([
    'global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'global.anthropic.claude-haiku-4-5-20251001-v1:0', 'us.amazon.nova-pro-v1:0',
  ]);
  expect(env.DEFAULT_MODEL).toBe('claude-v4.5-sonnet');

  // Deployable by default: a managed login domain, the site's own URL as the only callback and sign-out URL, and the
  // account's API Gateway logging role set before the WebSocket stage (with access logs) is created.
  const resources = Object.entries(template.Resources as Record<string, any>);
  expect(count('AWS::Cognito::UserPoolDomain')).toBe(1);
  const [distributionId] = resources.find(([, r]) => r.Type === 'AWS::CloudFront::Distribution')!;
  const siteUrl = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }, '/']] };
  const client = resources.find(([, r]) => r.Type === 'AWS::Cognito::UserPoolClient')![1].Properties;
  expect(client).toMatchObject({ AllowedOAuthFlows: ['code'], CallbackURLs: [siteUrl], LogoutURLs: [siteUrl] });
  const [accountId] = resources.find(([, r]) => r.Type === 'AWS::ApiGateway::Account')!;
  const wsStage = resources.find(([, r]) => r.Type === 'AWS::ApiGatewayV2::Stage' && r.Properties.StageName === 'ws')![1];
  expect(wsStage.DependsOn).toEqual([accountId]);
});
