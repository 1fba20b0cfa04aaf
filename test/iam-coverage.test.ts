/**
 * IAM coverage: every AWS SDK command a function's bundle can send is allowed by that function's role in the
 * synthesized full example, and no role has a `*` or `service:*` action.
 *
 * How commands are found in a minified SDK v3 bundle (checked on the bundles of this repository, SDK 3.11xx):
 * - each client declares a command factory `X=f(<endpoint params>,"<ServiceShape>","<Name>Client",<schema>)` and
 *   each command class is `class extends X(<ctx>,<cfg>,"<Operation>",<schema>){}` (older SDK builds carry
 *   `.n("<Name>Client","<Operation>Command")` instead): this lists the clients in the bundle and their operations.
 *   Every operation of a bundled client is present (the command modules cannot be tree-shaken), so presence alone
 *   says nothing about what the function sends.
 * - the SDK packages are bundled from their CommonJS builds, so code that sends a command constructs it through the
 *   module namespace, `new <ns>.<Operation>Command(`, and that name survives minification. The SDK's own internal
 *   constructions (waiters, credential providers) use minified identifiers and are not counted.
 * `@aws-sdk/lib-dynamodb` commands (`GetCommand`, `PutCommand`, ...) are mapped to their DynamoDB operations.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SecretValue, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { testApp } from './constructs/helpers';
import { BedrockChatStack, buildApp } from '../examples/full-system/app';
import { ChatBackend, IdentityProvider } from '../src';

const ROOT = path.join(__dirname, '..');
const ID = '[A-Za-z_$][A-Za-z0-9_$]*';

/**
 * Clients the SDK's default credential provider chain bundles (SSO, SSO OIDC, STS web identity / assume role,
 * Cognito Identity, Signin). In Lambda, credentials come from the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) and the chain never reaches these clients.
 */
const CREDENTIAL_CLIENTS = new Set(['SSO', 'SSOOIDC', 'STS', 'CognitoIdentity', 'Signin']);

/** `@aws-sdk/lib-dynamodb` document commands → DynamoDB operations. */
const DOCUMENT_COMMANDS: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

/** IAM service prefix per SDK client. */
const SERVICE_PREFIX: Record<string, string> = {
  DynamoDB: 'dynamodb',
  S3: 's3',
  Lambda: 'lambda',
  BedrockRuntime: 'bedrock',
  BedrockAgentRuntime: 'bedrock',
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

/** The AWS SDK commands a bundle can send, with the IAM actions each needs. Throws on anything it cannot map. */
export function commandsSentBy(source: string): SentCommand[] {
  const clientOps = new Map<string, Set<string>>();
  const add = (client: string, op: string) => (clientOps.get(client) ?? clientOps.set(client, new Set()).get(client)!).add(op);
  const factories = new Map<string, string>();
  for (const m of source.matchAll(new RegExp(`(${ID})=${ID}\\(${ID},"[A-Za-z0-9_]+","([A-Za-z0-9]+)Client",${ID}\\)`, 'g'))) {
    factories.set(m[1], m[2]);
    clientOps.set(m[2], clientOps.get(m[2]) ?? new Set());
  }
  for (const m of source.matchAll(new RegExp(`class extends (${ID})\\(${ID},${ID},"([A-Za-z0-9]+)",${ID}\\)`, 'g'))) {
    const client = factories.get(m[1]);
    if (client) add(client, m[2]);
  }
  for (const m of source.matchAll(/\.n\("([A-Za-z0-9]+)Client","([A-Za-z0-9]+)Command"\)/g)) add(m[1], m[2]);

  const sent = new Map<string, SentCommand>();
  for (const m of source.matchAll(new RegExp(`new (?:${ID}\\.)?([A-Z][A-Za-z0-9]*)Command\\(`, 'g'))) {
    const name = m[1];
    const clients = [...clientOps].filter(([, ops]) => ops.has(name)).map(([c]) => c);
    const resolved = clients.length > 0
      ? clients.map((client) => ({ client, operation: name }))
      : DOCUMENT_COMMANDS[name] && clientOps.get('DynamoDB')?.has(DOCUMENT_COMMANDS[name])
        ? [{ client: 'DynamoDB', operation: DOCUMENT_COMMANDS[name] }]
        : clientOps.get('DynamoDB')?.has(name) ? [{ client: 'DynamoDB', operation: name }] : [];
    if (resolved.length === 0) {
      throw new Error(`The bundle constructs ${name}Command, which no bundled AWS SDK client defines: extend commandsSentBy`);
    }
    for (const { client, operation } of resolved) {
      if (CREDENTIAL_CLIENTS.has(client)) continue;
      const prefix = SERVICE_PREFIX[client];
      if (!prefix) throw new Error(`No IAM service prefix for the ${client} client (command ${operation}): add it to SERVICE_PREFIX`);
      const actions = ACTION_OVERRIDES[`${client}:${operation}`] ?? [`${prefix}:${operation}`];
      sent.set(`${client}:${operation}`, { client, operation, actions });
    }
  }
  const apiClients = [...clientOps.keys()].filter((c) => !CREDENTIAL_CLIENTS.has(c));
  if (apiClients.length > 0 && sent.size === 0) {
    throw new Error(`The bundle carries the ${apiClients.join(', ')} client(s) but no command construction was recognised: `
      + 'the bundle format changed (ESM build of the SDK?) and this test must learn it');
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
  'api': {
    'dynamodb:PutItem': 'The shared store module is bundled whole; only the chat turn (src/lambdas/core/chat.ts, ws and worker) creates conversations, messages and request items. The REST routes read, rename, record feedback and delete.',
    'dynamodb:DeleteItem': 'RequestStore.release() comes with the shared store module; only the ws function releases a request claim. The REST routes delete with BatchWriteItem.',
  },
  'ws': {
    'dynamodb:BatchWriteItem': 'ConversationStore.delete()/deleteAll() are bundled with the store but only the REST router (DELETE /conversations) calls them.',
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
  { bundle: 'api', fn: (b: Backends) => b.example.apiFunction },
  { bundle: 'cognito-post-confirmation', fn: (b: Backends) => b.example.postConfirmationFunction! },
  // The full example allows any email domain, so it has no pre sign-up trigger: checked in a backend that has one.
  { bundle: 'cognito-pre-sign-up', fn: (b: Backends) => b.authOptions.preSignUpFunction! },
];

function readBundle(name: string): string {
  const file = path.join(ROOT, 'assets', 'lambdas', `${name}.lambda`, 'index.js');
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
      'ws': ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'lambda:InvokeFunction', 'execute-api:ManageConnections'],
      'chat-worker': ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'bedrock:InvokeModelWithResponseStream',
        'bedrock:InvokeModel', 's3:GetObject', 'execute-api:ManageConnections'],
      'api': ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'bedrock:InvokeModel', 's3:PutObject'],
      'cognito-post-confirmation': ['cognito-idp:AdminAddUserToGroup'],
      'cognito-pre-sign-up': [],
    };
    for (const { bundle, fn } of FUNCTIONS) {
      const statements = statementsOf(fn(backends));
      expect({ bundle, missing: documented[bundle].filter((a) => !allows(statements, a)) }).toEqual({ bundle, missing: [] });
    }
  });
});

describe('the coverage check can fail', () => {
  // A minified bundle in the shape of the real ones: one DynamoDB client, two commands sent, one only bundled.
  const synthetic = [
    'var F=s0e(t_e,"DynamoDB_20120810","DynamoDBClient",C0e),xS=no(PH,"AWSSecurityTokenServiceV20110615","STSClient",ns);',
    'zE=class extends F(Ve,U,"GetItem",a1){},zP=class extends F(Ve,U,"PutItem",a2){},zD=class extends F(Ve,U,"DeleteItem",a3){};',
    'zA=class extends xS(a,b,"AssumeRole",c){};new zA({});',
    'async function h(){await c.send(new Qo.GetCommand({})),await c.send(new Qo.DeleteItemCommand({}))}',
  ].join('');

  test('commands are found through the namespace constructions only', () => {
    expect(commandsSentBy(synthetic).map((c) => c.actions).flat().sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem']);
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

  test('a bundle whose commands cannot be recognised fails loudly', () => {
    const esm = 'var F=s0e(t_e,"DynamoDB_20120810","DynamoDBClient",C0e);zE=class extends F(Ve,U,"GetItem",a1){};c.send(new zE({}));';
    expect(() => commandsSentBy(esm)).toThrow(/bundle format changed/);
  });
});
