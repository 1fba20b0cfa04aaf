/**
 * IAM coverage: every AWS SDK command a function's bundle can send is allowed by that function's role in the
 * synthesized full example, and no role has a `*` or `service:*` action.
 *
 * How commands are found in a minified ES module bundle (scripts/bundle-lambda.mjs: the SDK's dist-es builds,
 * tree-shaken; checked on the bundles of this repository, SDK 3.11xx):
 * - each client declares a command factory `X=f(<endpoint params>,"<ServiceShape>","<Name>Client",<schema>)` and
 *   each command class is `C=class extends X(<ctx>,<cfg>,"<Operation>",<schema>){}`: this lists the clients in the
 *   bundle and the command classes that survived tree-shaking, by their minified binding `C`.
 * - `@aws-sdk/lib-dynamodb` commands are classes `D=class extends B{input;inputKeyNodes=...;constructor(e){...
 *   this.clientCommand=new C(this.input)...}}`: `D` stands for the DynamoDB operation of `C`. lib-dynamodb declares no
 *   `sideEffects: false`, so some of its commands stay in a bundle that never uses them (ScanCommand): presence says
 *   nothing, only a construction does.
 * - a command is sent when its class is constructed, `new C(` or `new D(`, outside the document command's own
 *   `this.clientCommand=new C(this.input)`. The SDK's internal commands (endpoint discovery, S3 Express sessions)
 *   have classes but no construction in this form, and are not counted.
 * - the functions' small Cognito client (src/lambdas/wiring/cognito-client.ts) has no command classes: it targets
 *   `AWSCognitoIdentityProviderService.<operation>` and is called `.send("<Operation>",{...})`; each such call is a
 *   sent `cognito-idp:<Operation>`.
 * - the worker's small Retrieve client (src/lambdas/wiring/retrieve-client.ts) has no command class either: the path
 *   template of its one request, `/knowledgebases/${encodeURIComponent(<id>)}/retrieve`, is a sent `bedrock:Retrieve`.
 * - StartExecution of the knowledge state machines is signed by the functions (wiring/state-machines.ts, no SFN
 *   client): the target `AWSStepFunctions.StartExecution` in a bundle is a sent `states:StartExecution`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SecretValue, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { testApp } from './constructs/helpers';
import { BedrockChatStack, buildApp } from '../examples/full-system/app';
import { ChatBackend, IdentityProvider } from '../src';

const ROOT = path.join(__dirname, '..');
const ID = '[A-Za-z_$][A-Za-z0-9_$]*';

/**
 * Clients of the SDK's default credential provider chain (SSO, SSO OIDC, STS web identity / assume role, Cognito
 * Identity, Signin). The bundles replace that chain by its environment link (src/lambdas/wiring/bundle), so none
 * should be there; if one comes back, its commands are the SDK's own, not the function's.
 */
const CREDENTIAL_CLIENTS = new Set(['SSO', 'SSOOIDC', 'STS', 'CognitoIdentity', 'Signin']);

/** IAM service prefix per SDK client. */
const SERVICE_PREFIX: Record<string, string> = {
  DynamoDB: 'dynamodb',
  S3: 's3',
  Lambda: 'lambda',
  BedrockRuntime: 'bedrock',
  Bedrock: 'bedrock',
  BedrockAgentRuntime: 'bedrock',
  BedrockAgent: 'bedrock',
  ApiGatewayManagementApi: 'execute-api',
  CognitoIdentityProvider: 'cognito-idp',
};

/** Operations whose IAM action is not `<prefix>:<Operation>`. */
const ACTION_OVERRIDES: Record<string, string[]> = {
  'BedrockRuntime:Converse': ['bedrock:InvokeModel'],
  'BedrockRuntime:ConverseStream': ['bedrock:InvokeModelWithResponseStream'],
  'ApiGatewayManagementApi:PostToConnection': ['execute-api:ManageConnections'],
  'ApiGatewayManagementApi:GetConnection': ['execute-api:ManageConnections'],
  'ApiGatewayManagementApi:DeleteConnection': ['execute-api:ManageConnections'],
  'Lambda:Invoke': ['lambda:InvokeFunction'],
  'Lambda:InvokeWithResponseStream': ['lambda:InvokeFunction'],
  'S3:HeadObject': ['s3:GetObject'],
  'S3:HeadBucket': ['s3:ListBucket'],
  'S3:ListObjectsV2': ['s3:ListBucket'],
  'S3:ListObjects': ['s3:ListBucket'],
  'S3:DeleteObjects': ['s3:DeleteObject'],
  'S3:CopyObject': ['s3:GetObject', 's3:PutObject'],
  'S3:CreateMultipartUpload': ['s3:PutObject'],
  'S3:UploadPart': ['s3:PutObject'],
  'S3:CompleteMultipartUpload': ['s3:PutObject'],
  'S3:AbortMultipartUpload': ['s3:AbortMultipartUpload'],
};

export interface SentCommand { readonly client: string; readonly operation: string; readonly actions: string[] }

const esc = (id: string) => id.replace(/\$/g, '\\$');

/** The AWS SDK commands a bundle can send, with the IAM actions each needs. Throws on anything it cannot map. */
export function commandsSentBy(source: string): SentCommand[] {
  const factories = new Map<string, string>();
  for (const m of source.matchAll(new RegExp(`(${ID})=${ID}\\(${ID},"[A-Za-z0-9_]+","([A-Za-z0-9]+)Client",${ID}\\)`, 'g'))) {
    factories.set(m[1], m[2]);
  }
  /** Minified command class binding → client and operation. */
  const commandClasses = new Map<string, { client: string; operation: string }>();
  for (const m of source.matchAll(new RegExp(`(${ID})=class extends (${ID})\\(${ID},${ID},"([A-Za-z0-9]+)",${ID}\\)\\{\\}`, 'g'))) {
    const client = factories.get(m[2]);
    if (client) commandClasses.set(m[1], { client, operation: m[3] });
  }
  /** lib-dynamodb command class binding → the DynamoDB command class it wraps. */
  const documentClasses = new Map<string, { client: string; operation: string }>();
  const noOtherClass = '(?:(?!=class extends )[^])*?';
  for (const m of source.matchAll(new RegExp(`(${ID})=class extends ${ID}\\{input;inputKeyNodes=${noOtherClass}this\\.clientCommand=new (${ID})\\(this\\.input\\)`, 'g'))) {
    const wrapped = commandClasses.get(m[2]);
    if (!wrapped) throw new Error(`A document command wraps ${m[2]}, which is no SDK command class: extend commandsSentBy`);
    documentClasses.set(m[1], wrapped);
  }

  const sent = new Map<string, SentCommand>();
  const classes = [...commandClasses.keys(), ...documentClasses.keys()];
  if (classes.length > 0) {
    const constructions = new RegExp(`(this\\.clientCommand=)?new (${classes.map(esc).join('|')})\\(`, 'g');
    for (const m of source.matchAll(constructions)) {
      if (m[1]) continue; // a document command building the command it wraps
      const { client, operation } = commandClasses.get(m[2]) ?? documentClasses.get(m[2])!;
      if (CREDENTIAL_CLIENTS.has(client)) continue;
      const prefix = SERVICE_PREFIX[client];
      if (!prefix) throw new Error(`No IAM service prefix for the ${client} client (command ${operation}): add it to SERVICE_PREFIX`);
      const actions = ACTION_OVERRIDES[`${client}:${operation}`] ?? [`${prefix}:${operation}`];
      sent.set(`${client}:${operation}`, { client, operation, actions });
    }
  }
  if (source.includes('AWSCognitoIdentityProviderService.${')) {
    const calls = [...source.matchAll(/\.send\("([A-Z][A-Za-z0-9]+)",\{/g)].map((m) => m[1]);
    if (calls.length === 0) throw new Error('The bundle carries the small Cognito client but no `.send("<Operation>",{` call was recognised: this test must learn the new form');
    for (const operation of calls) sent.set(`CognitoIdentityProvider:${operation}`, { client: 'CognitoIdentityProvider', operation, actions: [`cognito-idp:${operation}`] });
  }
  if (/\/knowledgebases\/\$\{encodeURIComponent\([^)]*\)\}\/retrieve`/.test(source)) {
    sent.set('BedrockAgentRuntime:Retrieve', { client: 'BedrockAgentRuntime', operation: 'Retrieve', actions: ['bedrock:Retrieve'] });
  }
  // StartExecution signed by the functions themselves (wiring/state-machines.ts, no SFN client): the JSON 1.0 target
  // names the operation.
  if (source.includes('AWSStepFunctions.StartExecution')) {
    sent.set('SFN:StartExecution', { client: 'SFN', operation: 'StartExecution', actions: ['states:StartExecution'] });
  }
  const apiClients = [...new Set(factories.values())].filter((c) => !CREDENTIAL_CLIENTS.has(c));
  if (apiClients.length > 0 && sent.size === 0) {
    throw new Error(`The bundle carries the ${apiClients.join(', ')} client(s) but no command construction was recognised: `
      + 'the bundle format changed (CommonJS build of the SDK? another minifier?) and this test must learn it');
  }
  return [...sent.values()];
}

/** Allow statements of a role: its inline policies and every AWS::IAM::Policy attached to it. */
function allowStatements(template: any, roleLogicalId: string): any[] {
  const resources = template.Resources as Record<string, any>;
  const inline = (resources[roleLogicalId].Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement);
  const attached = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles ?? []).some((x: any) => x.Ref === roleLogicalId))
    .flatMap((r) => r.Properties.PolicyDocument.Statement);
  return [...inline, ...attached].filter((s) => s.Effect === 'Allow');
}

function allows(statements: any[], action: string): boolean {
  return statements.some((s) => [s.Action].flat().some((pattern: string) =>
    new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.?+^$()[\]{}|\\]/g, '\\$&')).join('.*')}$`, 'i').test(action)));
}

/** Missing actions for a bundle against a role's statements. */
function missingActions(source: string, statements: any[], accepted: string[] = []): string[] {
  return commandsSentBy(source)
    .flatMap((c) => c.actions.map((a) => `${a} (${c.client} ${c.operation})`))
    .filter((a) => !allows(statements, a.split(' ')[0]) && !accepted.includes(a.split(' ')[0]));
}

/**
 * Commands a bundle contains but the function never sends, with the reason. Each entry must still be present in
 * the bundle (so it is removed as soon as the code changes) and must stay un-granted.
 */
const UNREACHABLE: Record<string, Record<string, string>> = {
  // api: PutItem and DeleteItem are granted on the bot table only (bots, stars, recents); on the conversation table the
  // REST routes still never write new items (checked in 'the api never writes new conversation items' below).
  'api': {
    'dynamodb:PutItem': 'ConversationStore.putMessage()/create() are bundled with the store (the worker and ws functions write messages); no REST route of the api function creates an item (checked below).',
  },
  'bots-api': {
    'bedrock:InvokeModel': 'core/rest.ts holds every route (for the OpenAPI document bots-api serves), with the title route\'s Converse call; bots-api routes only BOTS_FUNCTION_ROUTES, none of which calls Bedrock.',
  },
  'ws': {
    'dynamodb:BatchWriteItem': 'ConversationStore.delete()/deleteAll() and BotStore sharing are bundled with the stores but only the REST router calls them.',
    'dynamodb:BatchGetItem': 'BotStore lists (starred, recent, shared) are bundled with the bot store; the ws function only reads one bot per turn (GetItem) and records its use.',
  },
  'chat-worker-failure': {
    // The conversation store is dropped from this bundle (the store wiring is pure): no Query or BatchWriteItem left.
    'dynamodb:GetItem': 'The request and conversation stores come with the shared store wiring; the on-failure destination only calls RequestStore.fail() (UpdateItem).',
    'dynamodb:PutItem': 'The request and conversation stores come with the shared store wiring; the on-failure destination only calls RequestStore.fail() (UpdateItem).',
    'dynamodb:DeleteItem': 'The request and conversation stores come with the shared store wiring; the on-failure destination only calls RequestStore.fail() (UpdateItem).',
  },
  'knowledge-api': {
    'dynamodb:BatchWriteItem': 'The knowledge routes use BotStore only to read one bot (GetItem); its sharing writes are bundled with it.',
    'dynamodb:BatchGetItem': 'The knowledge routes use BotStore only to read one bot (GetItem); its lists and batch reads are bundled with it.',
  },
  'bot-definition': {
    'dynamodb:Query': 'The provider uses BotStore only to bump the store version (UpdateItem); its lists and batch reads are bundled with it.',
    'dynamodb:BatchWriteItem': 'The provider uses BotStore only to bump the store version (UpdateItem); its lists and batch reads are bundled with it.',
    'dynamodb:BatchGetItem': 'The provider uses BotStore only to bump the store version (UpdateItem); its lists and batch reads are bundled with it.',
  },
  'chat-worker': {
    'dynamodb:BatchWriteItem': 'ConversationStore.delete()/deleteAll() are bundled with the store but only the REST router (DELETE /conversations) calls them.',
    'dynamodb:DeleteItem': 'RequestStore.release() is bundled with the request store (the worker reads the stop flag) but only the ws function releases a claim.',
  },
};

/** The backend of the stack a function is checked in (see `backendOf`). */
interface Backends { readonly example: ChatBackend; readonly authOptions: ChatBackend }

const FUNCTIONS = [
  { bundle: 'ws-authorizer', fn: (b: Backends) => b.example.authorizerFunction },
  { bundle: 'ws', fn: (b: Backends) => b.example.webSocketFunction },
  { bundle: 'chat-worker', fn: (b: Backends) => b.example.workerFunction },
  // The worker's on-failure destination (not a public property of ChatBackend): found by its construct id.
  {
    bundle: 'chat-worker-failure',
    fn: (b: Backends) => b.example.node.findAll().find((c): c is lambda.Function => c instanceof lambda.Function && c.node.id === 'ChatWorkerFailure')!,
  },
  { bundle: 'api', fn: (b: Backends) => b.example.apiFunction },
  { bundle: 'bots-api', fn: (b: Backends) => b.example.botsApiFunction },
  { bundle: 'bot-cleanup', fn: (b: Backends) => b.example.botCleanupFunction },
  // KnowledgeBaseFactory's function (the example has a knowledge base), created in the backend.
  {
    bundle: 'knowledge-api',
    fn: (b: Backends) => b.example.node.findAll().find((c): c is lambda.Function => c instanceof lambda.Function && c.node.id === 'KnowledgeApiHandler')!,
  },
  // The example declares a bot in code, so it has the custom resource provider.
  { bundle: 'bot-definition', fn: (b: Backends) => b.example.botDefinitionFunction as lambda.Function },
  { bundle: 'cognito-post-confirmation', fn: (b: Backends) => b.example.postConfirmationFunction! },
  // The full example allows any email domain, so it has no pre sign-up trigger: checked in a backend that has one.
  { bundle: 'cognito-pre-sign-up', fn: (b: Backends) => b.authOptions.preSignUpFunction! },
];

function readBundle(name: string): string {
  const file = path.join(ROOT, 'assets', 'lambdas', `${name}.lambda`, 'index.mjs');
  if (!fs.existsSync(file)) {
    throw new Error(`Bundle ${path.relative(ROOT, file)} is missing: run \`npx projen bundle\` (or bundle:lambdas/${name}.lambda) first`);
  }
  return fs.readFileSync(file, 'utf8');
}

describe('IAM coverage of the full example (and of a backend with every sign-in option)', () => {
  const app = buildApp(testApp());
  const stack = app.node.findAll().find((c): c is BedrockChatStack => c instanceof BedrockChatStack)!;
  const authStack = new Stack(app, 'AuthOptions');
  const backends: Backends = {
    example: stack.backend,
    authOptions: new ChatBackend(authStack, 'Backend', {
      allowedSignUpEmailDomains: ['example.com'],
      autoJoinGroups: ['CreatingBotAllowed', 'PublishAllowed'],
      domainPrefix: 'example-chat',
      identityProviders: [IdentityProvider.oidc({
        name: 'Corp', clientId: 'c', clientSecret: SecretValue.secretsManager('s'), issuerUrl: 'https://idp.example.com',
      })],
    }),
  };
  const templates = new Map([stack, authStack].map((s) => [s, Template.fromStack(s).toJSON()]));
  const roleId = (role: iam.IRole) => Stack.of(role).getLogicalId(role.node.defaultChild as iam.CfnRole);
  const statementsOf = (fn: lambda.IFunction) => allowStatements(templates.get(Stack.of(fn))!, roleId(fn.role!));

  test('every function of both backends is checked (generated class name = bundle name)', () => {
    const bundleOf = (f: lambda.Function) => f.constructor.name.replace(/Function$/, '').replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
    const checked = new Set(FUNCTIONS.map((f) => f.bundle));
    const all = [backends.example, backends.authOptions]
      .flatMap((b) => b.node.findAll().filter((c): c is lambda.Function => c instanceof lambda.Function));
    expect(all.length).toBeGreaterThanOrEqual(11);
    expect(all.map(bundleOf).filter((b) => !checked.has(b))).toEqual([]);
    for (const { fn } of FUNCTIONS) expect(fn(backends)).toBeInstanceOf(lambda.Function);
  });

  test.each(FUNCTIONS)('$bundle: every AWS SDK command in the bundle is allowed by the role', ({ bundle, fn }) => {
    const source = readBundle(bundle);
    const statements = statementsOf(fn(backends));
    const unreachable = UNREACHABLE[bundle] ?? {};
    expect(missingActions(source, statements, Object.keys(unreachable))).toEqual([]);
    const sentActions = commandsSentBy(source).flatMap((c) => c.actions);
    for (const action of Object.keys(unreachable)) {
      expect({ action, stillInBundle: sentActions.includes(action) }).toEqual({ action, stillInBundle: true });
      expect({ action, granted: allows(statements, action) }).toEqual({ action, granted: false });
    }
  });

  test.each(FUNCTIONS)('$bundle: no `*` or service-wide action on the role', ({ fn }) => {
    const statements = statementsOf(fn(backends));
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      for (const action of [s.Action].flat()) expect(action).not.toMatch(/^\*$|^[a-z0-9-]+:\*$/);
    }
  });

  test('the AWS calls documented in docs/architecture.md are allowed', () => {
    const documented: Record<string, string[]> = {
      'ws-authorizer': [],
      'ws': ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'lambda:InvokeFunction', 'execute-api:ManageConnections',
        'cognito-idp:AdminListGroupsForUser'],
      'chat-worker': ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'bedrock:InvokeModelWithResponseStream',
        'bedrock:InvokeModel', 's3:GetObject', 'execute-api:ManageConnections', 'bedrock:Retrieve'],
      'chat-worker-failure': ['dynamodb:UpdateItem', 'execute-api:ManageConnections'],
      'api': ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'bedrock:InvokeModel', 's3:PutObject',
        'dynamodb:DeleteItem', 'cognito-idp:AdminListGroupsForUser'],
      'bots-api': ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem', 'cognito-idp:AdminListGroupsForUser', 'cognito-idp:ListUsers', 'cognito-idp:ListGroups',
        'bedrock:CreateGuardrail', 'bedrock:UpdateGuardrail', 'bedrock:CreateGuardrailVersion', 'bedrock:DeleteGuardrail'],
      'cognito-post-confirmation': ['cognito-idp:AdminAddUserToGroup'],
      'cognito-pre-sign-up': [],
      'bot-cleanup': ['dynamodb:Query', 'dynamodb:BatchWriteItem', 'bedrock:DeleteGuardrail', 'dynamodb:DeleteItem', 's3:ListBucket', 's3:DeleteObject',
        'bedrock:DeleteKnowledgeBaseDocuments'],
      'knowledge-api': ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem',
        'cognito-idp:AdminListGroupsForUser', 's3:PutObject', 's3:GetObject', 's3:DeleteObject', 'bedrock:IngestKnowledgeBaseDocuments',
        'bedrock:GetKnowledgeBaseDocuments', 'bedrock:DeleteKnowledgeBaseDocuments'],
      'bot-definition': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
    };
    for (const { bundle, fn } of FUNCTIONS) {
      const statements = statementsOf(fn(backends));
      expect({ bundle, missing: documented[bundle].filter((a) => !allows(statements, a)) }).toEqual({ bundle, missing: [] });
    }
  });

  test('the api never puts an item (no conversation item is created by REST); bots-api writes the bot table only', () => {
    const tableId = Stack.of(backends.example).getLogicalId(backends.example.conversationTable.node.defaultChild as dynamodb.CfnTable);
    const botTableId = Stack.of(backends.example).getLogicalId((backends.example.botTable as dynamodb.Table).node.defaultChild as dynamodb.CfnTable);
    const statements = statementsOf(backends.example.apiFunction);
    expect(statements.filter((st) => [st.Action].flat().includes('dynamodb:PutItem'))).toEqual([]);
    // The api deletes single items for one reason: an admin removes a usage limits override (core/usage-overrides.ts,
    // DELETE /usage/limits/...); conversations and messages go with BatchWriteItem. Nothing of the bot table.
    const deletes = statements.filter((st) => [st.Action].flat().includes('dynamodb:DeleteItem'));
    expect(JSON.stringify(deletes.map((st) => st.Resource))).toContain(tableId);
    expect(JSON.stringify(statements.map((st) => st.Resource))).not.toContain(botTableId);
    const bots = statementsOf(backends.example.botsApiFunction);
    const writes = bots.filter((st) => [st.Action].flat().some((a: string) => /^dynamodb:(Put|Delete|BatchWrite)/.test(a)));
    expect(writes.length).toBeGreaterThan(0);
    expect(JSON.stringify(writes.map((st) => st.Resource))).toContain(botTableId);
    expect(JSON.stringify(bots.map((st) => st.Resource))).not.toContain(tableId);
  });
});

describe('the coverage check can fail', () => {
  // A minified ES module bundle in the shape of the real ones: one DynamoDB client with three command classes; two
  // lib-dynamodb commands bundled (Get, Scan) of which only Get is constructed; DeleteItem sent directly; PutItem
  // bundled but never constructed; an STS command of the credential chain constructed by the SDK.
  const synthetic = [
    'var F=s0e(t_e,"DynamoDB_20120810","DynamoDBClient",C0e),xS=no(PH,"AWSSecurityTokenServiceV20110615","STSClient",ns);',
    'var zE=class extends F(Ve,U,"GetItem",a1){},zP=class extends F(Ve,U,"PutItem",a2){},zD=class extends F(Ve,U,"DeleteItem",a3){},',
    'zS=class extends F(Ve,U,"Scan",a4){};',
    'var dG=class extends Q{input;inputKeyNodes={Key:w};constructor(e){super(),this.input=e,this.clientCommand=new zE(this.input)}},',
    'dS=class extends Q{input;inputKeyNodes={ExclusiveStartKey:w};constructor(e){super(),this.input=e,this.clientCommand=new zS(this.input)}};',
    'var zA=class extends xS(a,b,"AssumeRole",c){};new zA({});',
    'async function h(){await c.send(new dG({TableName:t})),await c.send(new zD({TableName:t}))}',
  ].join('');

  test('commands are found through their constructions only (a bundled lib-dynamodb command that is never built is not sent)', () => {
    expect(commandsSentBy(synthetic).map((c) => c.actions).flat().sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem']);
  });

  test('constructing the bundled document Scan command makes it sent', () => {
    expect(commandsSentBy(`${synthetic}new dS({TableName:t});`).map((c) => c.operation).sort()).toEqual(['DeleteItem', 'GetItem', 'Scan']);
  });

  test('a missing grant is reported', () => {
    const statements = [{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: 'arn' }];
    expect(missingActions(synthetic, statements)).toEqual(['dynamodb:DeleteItem (DynamoDB DeleteItem)']);
  });

  test('wildcard actions in the policy are resolved', () => {
    expect(missingActions(synthetic, [{ Effect: 'Allow', Action: ['dynamodb:*Item'], Resource: 'arn' }])).toEqual([]);
  });

  test('removing a grant from the real worker policy is detected', () => {
    const worker = readBundle('chat-worker');
    const app = buildApp(testApp());
    const stack = app.node.findAll().find((c): c is BedrockChatStack => c instanceof BedrockChatStack)!;
    const template = Template.fromStack(stack).toJSON();
    const statements = allowStatements(template, Stack.of(stack).getLogicalId(stack.backend.workerFunction.role!.node.defaultChild as iam.CfnRole));
    const withoutBedrock = statements.filter((s) => ![s.Action].flat().some((a: string) => a.startsWith('bedrock:')));
    const sent = commandsSentBy(worker).flatMap((c) => c.actions);
    if (sent.includes('bedrock:InvokeModelWithResponseStream')) {
      expect(missingActions(worker, withoutBedrock)).toContain('bedrock:InvokeModelWithResponseStream (BedrockRuntime ConverseStream)');
    } else {
      throw new Error('The worker bundle no longer sends ConverseStream: update this test to another grant it relies on');
    }
  });

  test('the post confirmation bundle sends exactly cognito-idp:AdminAddUserToGroup, and a missing grant is detected', () => {
    const source = readBundle('cognito-post-confirmation');
    expect(commandsSentBy(source)).toEqual([{ client: 'CognitoIdentityProvider', operation: 'AdminAddUserToGroup', actions: ['cognito-idp:AdminAddUserToGroup'] }]);
    const app = buildApp(testApp());
    const stack = app.node.findAll().find((c): c is BedrockChatStack => c instanceof BedrockChatStack)!;
    const role = stack.backend.postConfirmationFunction!.role!;
    const statements = allowStatements(Template.fromStack(stack).toJSON(), Stack.of(stack).getLogicalId(role.node.defaultChild as iam.CfnRole));
    expect(missingActions(source, statements)).toEqual([]);
    const withoutCognito = statements.filter((s) => ![s.Action].flat().some((a: string) => a.startsWith('cognito-idp:')));
    expect(missingActions(source, withoutCognito)).toEqual(['cognito-idp:AdminAddUserToGroup (CognitoIdentityProvider AdminAddUserToGroup)']);
  });

  test('the worker bundle sends bedrock:Retrieve through its small client, granted on the knowledge base only, and a missing grant is detected', () => {
    const worker = readBundle('chat-worker');
    expect(commandsSentBy(worker)).toContainEqual({ client: 'BedrockAgentRuntime', operation: 'Retrieve', actions: ['bedrock:Retrieve'] });
    const app = buildApp(testApp());
    const stack = app.node.findAll().find((c): c is BedrockChatStack => c instanceof BedrockChatStack)!;
    const template = Template.fromStack(stack).toJSON();
    const statements = allowStatements(template, Stack.of(stack).getLogicalId(stack.backend.workerFunction.role!.node.defaultChild as iam.CfnRole));
    // the shared knowledge base, and the dedicated ones of this deployment only (knowledge-base/*, tag-conditioned)
    const retrieve = statements.filter((s) => [s.Action].flat().includes('bedrock:Retrieve') && !s.Condition);
    expect(retrieve).toHaveLength(1);
    const kbId = Stack.of(stack).getLogicalId(stack.knowledge.knowledgeBase);
    expect(JSON.stringify(retrieve[0].Resource)).toContain(kbId);
    const tagged = statements.filter((s) => [s.Action].flat().includes('bedrock:Retrieve') && s.Condition);
    expect(tagged).toHaveLength(1);
    expect(Object.keys(tagged[0].Condition.StringEquals)).toEqual(['aws:ResourceTag/bedrock-chat:deployment']);
    const withoutRetrieve = statements.filter((s) => ![s.Action].flat().includes('bedrock:Retrieve'));
    expect(missingActions(worker, withoutRetrieve, Object.keys(UNREACHABLE['chat-worker'] ?? {}))).toEqual(['bedrock:Retrieve (BedrockAgentRuntime Retrieve)']);
  });

  test('a bundle whose commands cannot be recognised fails loudly', () => {
    // The SDK's CommonJS build (the bundles before ES module output): commands built through a module namespace.
    const cjs = 'var F=s0e(t_e,"DynamoDB_20120810","DynamoDBClient",C0e);x.n("DynamoDBClient","GetItemCommand");c.send(new Qo.GetItemCommand({}));';
    expect(() => commandsSentBy(cjs)).toThrow(/bundle format changed/);
  });

  test('the real bundles carry none of the credential chain\'s clients (the bundle stand-ins are in place)', () => {
    for (const { bundle } of FUNCTIONS) {
      const clients = [...readBundle(bundle).matchAll(/"([A-Za-z0-9]+)Client",/g)].map((m) => m[1]);
      expect({ bundle, credentialClients: clients.filter((c) => CREDENTIAL_CLIENTS.has(c)) }).toEqual({ bundle, credentialClients: [] });
    }
  });
});
