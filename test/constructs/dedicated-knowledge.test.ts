// KnowledgeBaseFactory's dedicated knowledge part (src/constructs/knowledge-base/dedicated-knowledge.ts): the service
// role Bedrock assumes, the provision and deprovision state machines, and what the backend's functions get.
// cdk-nag runs over this stack in test/cdk-nag.test.ts ("KnowledgeBaseFactory default") and cfn-lint over it in
// test/validators/cfn-lint.test.ts; the machines run locally in test/local/dedicated-provision.test.ts.
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { requireBundles, testApp } from './helpers';
import { ChatBackend, EmbeddingModel, KnowledgeBaseFactory, KnowledgeBaseFactoryProps } from '../../src';

beforeAll(requireBundles);

function synth(props: Omit<KnowledgeBaseFactoryProps, 'backend'> = {}) {
  const stack = new Stack(testApp(), 'Test');
  const backend = new ChatBackend(stack, 'Chat');
  const knowledge = new KnowledgeBaseFactory(stack, 'Knowledge', { backend, ...props });
  return { stack, backend, knowledge, template: Template.fromStack(stack) };
}

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const json = (v: unknown) => JSON.stringify(v);

/** The statements of every policy attached to the role with logical id `roleId`. */
function statementsOf(template: Template, roleId: string): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
  return policies.filter((p) => json(p.Properties.Roles).includes(roleId)).flatMap((p) => p.Properties.PolicyDocument.Statement);
}
/** The definition of a state machine, its Fn::Join parts joined with the tokens as JSON. */
function definitionOf(template: Template, prefix: string): string {
  const [, machine] = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).find(([id]) => id.startsWith(prefix))! as [string, any];
  const d = machine.Properties.DefinitionString;
  return typeof d === 'string' ? d : d['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : json(p))).join('');
}
function roleIdOf(template: Template, machinePrefix: string): string {
  const [, machine] = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).find(([id]) => id.startsWith(machinePrefix))! as [string, any];
  return machine.Properties.RoleArn['Fn::GetAtt'][0];
}

describe('defaults', () => {
  const { template, knowledge, stack, backend } = synth();
  const tag = { StringEquals: { 'aws:ResourceTag/bedrock-chat:deployment': expect.stringMatching(/^Test-Knowledge-[0-9A-F]{8}$/) } };

  test('the dedicated service role: Bedrock assumes it for knowledge bases of this account and region only', () => {
    const role = template.findResources('AWS::IAM::Role', { Properties: { Description: Match.stringLikeRegexp('dedicated knowledge bases') } });
    const [, r] = Object.entries(role)[0] as [string, any];
    expect(r.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { Service: 'bedrock.amazonaws.com' },
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':knowledge-base/*']] } },
      },
    }]);
  });

  test('the service role may invoke exactly the dedicated embedding models, read documents/ of this account, and use the bot-* indexes', () => {
    const roleId = stack.getLogicalId(knowledge.dedicatedServiceRole.node.defaultChild as any);
    const statements = statementsOf(template, roleId);
    const models = statements.find((s) => s.Sid === 'Models')!;
    expect(actionsOf(models)).toEqual(['bedrock:InvokeModel']);
    expect(json(models.Resource)).toContain('foundation-model/amazon.titan-embed-text-v2:0');
    expect(json(models.Resource)).toContain('foundation-model/cohere.embed-multilingual-v3');
    expect((models.Resource as unknown[]).length).toBe(2);
    const read = statements.find((s) => s.Sid === 'DocumentBucketRead')!;
    expect(actionsOf(read)).toEqual(['s3:GetObject']);
    expect(json(read.Resource)).toContain('/documents/*');
    expect(json(read.Resource)).not.toContain('bulk/');
    expect(read.Condition).toEqual({ StringEquals: { 'aws:ResourceAccount': { Ref: 'AWS::AccountId' } } });
    expect(statements.find((s) => s.Sid === 'DocumentBucketList')!.Condition).toEqual({ StringEquals: { 'aws:ResourceAccount': { Ref: 'AWS::AccountId' } } });
    const indexes = statements.find((s) => s.Sid === 'S3VectorsBotIndexes')!;
    expect(json(indexes.Resource)).toMatch(/VectorBucketArn.*\/index\/bot-\*/);
    expect(actionsOf(indexes)).not.toContain('s3vectors:CreateIndex');
    expect(actionsOf(indexes)).not.toContain('s3vectors:DeleteIndex');
    // nothing else
    expect(statements.map((s) => s.Sid).sort()).toEqual(['DataAutomationParser', 'DataAutomationParserStatus', 'DocumentBucketList', 'DocumentBucketRead', 'Models', 'S3VectorsBotIndexes']);
  });

  test('a bot that parses with Bedrock Data Automation can: the role may invoke the public RAG project under the account\'s profiles and read its invocations, nothing else of Data Automation', () => {
    const roleId = stack.getLogicalId(knowledge.dedicatedServiceRole.node.defaultChild as any);
    const statements = statementsOf(template, roleId);
    const invoke = statements.find((s) => s.Sid === 'DataAutomationParser')!;
    expect(actionsOf(invoke)).toEqual(['bedrock:InvokeDataAutomationAsync']);
    const resources = (invoke.Resource as unknown[]).map(json);
    expect(resources).toHaveLength(2);
    expect(resources[0]).toContain(':aws:data-automation-project/public-rag-default');
    expect(resources[0]).toContain('AWS::Region');
    expect(resources[1]).toMatch(/:bedrock:\*:.*AWS::AccountId.*:data-automation-profile\/\*/);
    const status = statements.find((s) => s.Sid === 'DataAutomationParserStatus')!;
    expect(actionsOf(status)).toEqual(['bedrock:GetDataAutomationStatus']);
    expect(json(status.Resource)).toMatch(/:bedrock:\*:.*AWS::AccountId.*:data-automation-invocation\/\*/);
  });

  test('the provision role: CreateKnowledgeBase only with the deployment tag, the knowledge base actions only on tagged ones, PassRole to Bedrock only, CreateIndex on bot-*', () => {
    const statements = statementsOf(template, roleIdOf(template, 'KnowledgeDedicatedProvision'));
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid)!;
    expect(bySid('CreateTaggedKnowledgeBase')).toMatchObject({ Action: 'bedrock:CreateKnowledgeBase', Resource: '*' });
    expect(json(bySid('CreateTaggedKnowledgeBase').Condition)).toContain('aws:RequestTag/bedrock-chat:deployment');
    expect(json(bySid('TagKnowledgeBase').Condition)).toContain('aws:RequestTag/bedrock-chat:deployment');
    expect(bySid('DedicatedKnowledgeBases').Condition).toMatchObject(tag);
    expect(actionsOf(bySid('DedicatedKnowledgeBases')).sort()).toEqual(['bedrock:CreateDataSource', 'bedrock:DeleteDataSource', 'bedrock:GetIngestionJob', 'bedrock:GetKnowledgeBase', 'bedrock:StartIngestionJob']);
    expect(bySid('PassServiceRole')).toMatchObject({ Action: 'iam:PassRole', Condition: { StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } } });
    expect(json(bySid('PassServiceRole').Resource)).toContain(stack.getLogicalId(knowledge.dedicatedServiceRole.node.defaultChild as any));
    expect(bySid('CreateBotIndex')).toMatchObject({ Action: 's3vectors:CreateIndex' });
    expect(json(bySid('CreateBotIndex').Resource)).toMatch(/\/index\/bot-\*/);
    // DynamoDB: the bot table only
    const ddb = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(ddb.flatMap(actionsOf).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    for (const s of ddb) expect(json(s.Resource)).toContain(stack.getLogicalId(backend._parts.bots.table.node.defaultChild as any));
    // no DeleteKnowledgeBase nor DeleteIndex: that is deprovision's
    expect(statements.flatMap(actionsOf)).not.toContain('bedrock:DeleteKnowledgeBase');
    expect(statements.flatMap(actionsOf)).not.toContain('s3vectors:DeleteIndex');
    expect(statements.flatMap(actionsOf).filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
  });

  test('the deprovision role: deletes tagged knowledge bases and their data sources, bot-* indexes, and updates the bot table', () => {
    const statements = statementsOf(template, roleIdOf(template, 'KnowledgeDedicatedDeprovision'));
    const kb = statements.find((s) => s.Sid === 'DeleteDedicatedKnowledgeBases')!;
    expect(actionsOf(kb).sort()).toEqual(['bedrock:DeleteDataSource', 'bedrock:DeleteKnowledgeBase', 'bedrock:GetKnowledgeBase']);
    expect(kb.Condition).toMatchObject(tag);
    expect(statements.find((s) => s.Sid === 'DeleteBotIndex')).toMatchObject({ Action: 's3vectors:DeleteIndex' });
    const all = statements.flatMap(actionsOf);
    expect(all).not.toContain('bedrock:CreateKnowledgeBase');
    expect(all).not.toContain('iam:PassRole');
    expect(all.filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:UpdateItem']);
  });

  test('the provision definition: SDK integrations and DynamoDB only, every bot write conditioned on kb.generation', () => {
    const d = definitionOf(template, 'KnowledgeDedicatedProvision');
    const parsed = JSON.parse(d.replace(/\{"Ref":"[^"]+"\}|\{"Fn::GetAtt":\["[^"]+","[^"]+"\]\}/g, 'X'));
    const resources: string[] = [];
    const collect = (states: Record<string, any>) => {
      for (const st of Object.values(states)) {
        if (st.Resource) resources.push(String(st.Resource).slice(String(st.Resource).indexOf(':states:::')));
        if (st.ItemProcessor) collect(st.ItemProcessor.States);
      }
    };
    collect(parsed.States);
    expect(new Set(resources)).toEqual(new Set([
      ':states:::dynamodb:getItem', ':states:::dynamodb:updateItem',
      ':states:::aws-sdk:s3vectors:createIndex', ':states:::aws-sdk:bedrockagent:createKnowledgeBase', ':states:::aws-sdk:bedrockagent:getKnowledgeBase',
      ':states:::aws-sdk:bedrockagent:createDataSource', ':states:::aws-sdk:bedrockagent:deleteDataSource',
      ':states:::aws-sdk:bedrockagent:startIngestionJob', ':states:::aws-sdk:bedrockagent:getIngestionJob',
      // a stale create starts the deprovision machine for what it made
      ':states:::states:startExecution',
    ]));
    expect(d).not.toContain('lambda:invoke');
    expect(parsed.States.StartStaleCleanup.Parameters).toMatchObject({ 'StateMachineArn': 'X', 'Input.$': '$.cleanup' });
    const updates = Object.entries(parsed.States as Record<string, any>).filter(([, s]) => s.Type === 'Task' && String(s.Resource).endsWith('dynamodb:updateItem'));
    expect(updates.length).toBeGreaterThanOrEqual(8);
    // where a failed condition goes: nothing written; a create that made something deletes it; an update superseded by
    // a later save's deletes the data source it made
    const madeSomething = ['RecordCreateFailed', 'RecordKnowledgeBaseId', 'RecordActive', 'RecordActiveWithCrawler'];
    const revisioned: Record<string, string> = { RecordCrawler: 'DeleteStaleWebDataSource', RecordNoCrawler: 'Superseded' };
    for (const [name, u] of updates) {
      expect(u.Parameters.ConditionExpression).toBe(revisioned[name] ? '#kb.generation = :generation AND #kb.revision = :revision' : '#kb.generation = :generation');
      expect(u.Parameters.ExpressionAttributeValues[':generation']).toEqual({ 'S.$': '$.generation' });
      if (revisioned[name]) expect(u.Parameters.ExpressionAttributeValues[':revision']).toEqual({ 'S.$': '$.revision' });
      expect(u.Catch[0]).toMatchObject({ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], Next: revisioned[name] ?? (madeSomething.includes(name) ? 'StaleCreate' : 'Stale') });
    }
    // the S3 data source reads the bot's documents only; the knowledge base is S3_VECTORS and tagged
    expect(parsed.States.CreateDocumentsDataSource.Parameters.DataSourceConfiguration.S3Configuration['InclusionPrefixes.$']).toBe("States.Array(States.Format('documents/{}/', $.botId))");
    expect(parsed.States.CreateKnowledgeBase.Parameters.StorageConfiguration.Type).toBe('S3_VECTORS');
    expect(Object.keys(parsed.States.CreateKnowledgeBase.Parameters.Tags)).toEqual(['bedrock-chat:deployment', 'bedrock-chat:bot.$']);
    // the crawler: a WEB data source from the settings, created at create and replaced at update
    for (const id of ['CreateWebDataSource', 'CreateNewWebDataSource']) {
      expect(parsed.States[id].Parameters.DataSourceConfiguration).toEqual({
        Type: 'WEB',
        WebConfiguration: { 'SourceConfiguration': { UrlConfiguration: { 'SeedUrls.$': '$.seeds' } }, 'CrawlerConfiguration.$': '$.crawlerConfig' },
      });
    }
    expect(parsed.States.SeedUrls.ItemSelector).toEqual({ 'Url.$': '$$.Map.Item.Value' });
    expect(parsed.States.CrawlerBase.Parameters).toEqual({ 'Scope.$': '$.crawler.v.scope', 'CrawlerLimits': { 'RateLimit.$': '$.crawler.v.maxPagesPerMinute' } });
    // the parser's model ARN from the id (one .$: a Pass state adds it to a JsonPath value's key)
    expect(Object.keys(parsed.States.IngestionFoundationModel.Parameters.ParsingConfiguration.BedrockFoundationModelConfiguration)).toEqual(['ModelArn.$']);
    // StartIngestionJob waits while another job runs
    expect(parsed.States.StartDocumentsIngestionJob.Retry[0]).toMatchObject({ ErrorEquals: ['BedrockAgent.ConflictException'] });
    // the embedding models of the deployment, by id
    expect(parsed.States.EmbeddingModel.Choices.map((c: any) => c.StringEquals)).toEqual(['amazon.titan-embed-text-v2:0', 'cohere.embed-multilingual-v3']);
    expect(parsed.States.EmbeddingModel0.Parameters.dimensions).toBe(1024);
  });

  test('the deprovision definition: deletes data sources, the knowledge base and the index, each already-missing one skipped; kb removed on its generation', () => {
    const parsed = JSON.parse(definitionOf(template, 'KnowledgeDedicatedDeprovision').replace(/\{"Ref":"[^"]+"\}|\{"Fn::GetAtt":\["[^"]+","[^"]+"\]\}/g, 'X'));
    const states = parsed.States as Record<string, any>;
    expect(states.DeleteDataSources.ItemProcessor.States.DeleteDataSource.Catch[0]).toMatchObject({ ErrorEquals: ['BedrockAgent.ResourceNotFoundException'] });
    expect(states.DeleteKnowledgeBase.Catch[0]).toMatchObject({ ErrorEquals: ['BedrockAgent.ResourceNotFoundException'], Next: 'DeleteIndex' });
    expect(states.GetDeletedKnowledgeBase.Catch[0]).toMatchObject({ ErrorEquals: ['BedrockAgent.ResourceNotFoundException'], Next: 'DeleteIndex' });
    expect(states.DeleteIndex.Catch[0]).toMatchObject({ ErrorEquals: ['S3Vectors.NotFoundException'], Next: 'RemoveKb' });
    expect(states.RemoveKb.Parameters).toMatchObject({ UpdateExpression: 'REMOVE #kb', ConditionExpression: '#kb.generation = :generation' });
    // a knowledge base still CREATING (a stale create's cleanup) or a data source with a running job: tried again
    for (const st of [states.DeleteKnowledgeBase, states.DeleteDataSources.ItemProcessor.States.DeleteDataSource]) {
      expect(st.Retry).toEqual(expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['BedrockAgent.ConflictException'], MaxAttempts: 10 })]));
    }
  });

  test('both machines: Standard, traced, logged without execution data', () => {
    for (const prefix of ['KnowledgeDedicatedProvision', 'KnowledgeDedicatedDeprovision']) {
      const [, m] = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).find(([id]) => id.startsWith(prefix))! as [string, any];
      expect(m.Properties).toMatchObject({ StateMachineType: 'STANDARD', TracingConfiguration: { Enabled: true }, LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false } });
    }
  });

  test('functions: the machines\' ARNs and StartExecution on both for bots-api, knowledge-api and the bot cleanup; the settings for bots-api and knowledge-api; the existing list for the worker', () => {
    const provisionId = stack.getLogicalId(knowledge.provisionStateMachine.node.defaultChild as any);
    const deprovisionId = stack.getLogicalId(knowledge.deprovisionStateMachine.node.defaultChild as any);
    const fns = [backend._parts.botsApi.function, knowledge.knowledgeApiFunction, backend._parts.cleanup.function];
    for (const fn of fns) {
      const id = stack.getLogicalId(fn.node.defaultChild as any);
      const vars = template.toJSON().Resources[id].Properties.Environment.Variables;
      expect(vars.KNOWLEDGE_PROVISION_ARN).toEqual({ Ref: provisionId });
      expect(vars.KNOWLEDGE_DEPROVISION_ARN).toEqual({ Ref: deprovisionId });
      const start = statementsOf(template, stack.getLogicalId(fn.role!.node.defaultChild as any)).find((s) => actionsOf(s).includes('states:StartExecution'))!;
      expect(start.Resource).toEqual([{ Ref: provisionId }, { Ref: deprovisionId }]);
    }
    for (const fn of [backend._parts.botsApi.function, knowledge.knowledgeApiFunction]) {
      const vars = template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as any)].Properties.Environment.Variables;
      expect(JSON.parse(vars.KNOWLEDGE_DEDICATED)).toEqual({
        embeddingModels: [{ modelId: 'amazon.titan-embed-text-v2:0', dimensions: 1024 }, { modelId: 'cohere.embed-multilingual-v3', dimensions: 1024 }],
        parsingModels: [],
      });
      expect(JSON.parse(vars.KNOWLEDGE_EXISTING)).toEqual([]);
    }
    const worker = template.toJSON().Resources[stack.getLogicalId(backend.workerFunction.node.defaultChild as any)].Properties.Environment.Variables;
    expect(JSON.parse(worker.KNOWLEDGE_EXISTING)).toEqual([]);
    expect(worker.KNOWLEDGE_PROVISION_ARN).toBeUndefined();
  });

  test('the worker retrieves from this deployment\'s dedicated knowledge bases only (tag condition)', () => {
    const statements = statementsOf(template, stack.getLogicalId(backend.workerFunction.role!.node.defaultChild as any));
    const dedicated = statements.find((s) => actionsOf(s).includes('bedrock:Retrieve') && json(s.Resource).includes('knowledge-base/*'))!;
    expect(dedicated.Condition).toMatchObject(tag);
  });
});

describe('props', () => {
  test('existing knowledge bases: in KNOWLEDGE_EXISTING of bots-api, knowledge-api and the worker; the worker may Retrieve from exactly these', () => {
    const existing = [{ knowledgeBaseId: 'ABCDEFGHIJ', name: 'Handbook', description: 'The staff handbook' }, { knowledgeBaseId: 'KLMNOPQRST', name: 'Wiki' }];
    const { template, stack, backend, knowledge } = synth({ existingKnowledgeBases: existing, parsingModels: ['anthropic.claude-3-haiku-20240307-v1:0'] });
    for (const fn of [backend._parts.botsApi.function, knowledge.knowledgeApiFunction, backend.workerFunction]) {
      const vars = template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as any)].Properties.Environment.Variables;
      expect(JSON.parse(vars.KNOWLEDGE_EXISTING)).toEqual(existing);
    }
    const statements = statementsOf(template, stack.getLogicalId(backend.workerFunction.role!.node.defaultChild as any));
    const retrieve = statements.filter((s) => actionsOf(s).includes('bedrock:Retrieve') && !s.Condition && json(s.Resource).match(/ABCDEFGHIJ|KLMNOPQRST/));
    expect(json(retrieve)).toContain('knowledge-base/ABCDEFGHIJ');
    expect(json(retrieve)).toContain('knowledge-base/KLMNOPQRST');
    // the parsing model: in the settings, and the service role may invoke it
    const botsApiId = stack.getLogicalId(backend._parts.botsApi.function.node.defaultChild as any);
    const vars = template.toJSON().Resources[botsApiId].Properties.Environment.Variables;
    expect(JSON.parse(vars.KNOWLEDGE_DEDICATED).parsingModels).toEqual(['anthropic.claude-3-haiku-20240307-v1:0']);
    const models = statementsOf(template, stack.getLogicalId(knowledge.dedicatedServiceRole.node.defaultChild as any)).find((s) => s.Sid === 'Models')!;
    expect(json(models.Resource)).toContain('foundation-model/anthropic.claude-3-haiku-20240307-v1:0');
  });

  test('dedicatedEmbeddingModels: the choices of the machine and the settings follow them', () => {
    const { template } = synth({ dedicatedEmbeddingModels: [EmbeddingModel.TITAN_EMBED_TEXT_V2_512] });
    const parsed = JSON.parse(definitionOf(template, 'KnowledgeDedicatedProvision').replace(/\{"Ref":"[^"]+"\}|\{"Fn::GetAtt":\["[^"]+","[^"]+"\]\}/g, 'X'));
    expect(parsed.States.EmbeddingModel.Choices.map((c: any) => c.StringEquals)).toEqual(['amazon.titan-embed-text-v2:0']);
    expect(parsed.States.EmbeddingModel0.Parameters.dimensions).toBe(512);
  });

  test.each([
    [{ dedicatedEmbeddingModels: [] }, /needs at least one model/],
    [{ dedicatedEmbeddingModels: [EmbeddingModel.TITAN_EMBED_TEXT_V2_1024, EmbeddingModel.TITAN_EMBED_TEXT_V2_512] }, /amazon.titan-embed-text-v2:0 twice/],
    [{ parsingModels: ['not a model'] }, /"not a model" is not a foundation model id/],
    [{ parsingModels: ['anthropic.claude-3-haiku-20240307-v1:0', 'anthropic.claude-3-haiku-20240307-v1:0'] }, /parsingModels has a model id twice/],
    [{ existingKnowledgeBases: [{ knowledgeBaseId: 'short', name: 'x' }] }, /"short" is not a knowledge base id/],
    [{ existingKnowledgeBases: [{ knowledgeBaseId: 'ABCDEFGHIJ', name: 'a' }, { knowledgeBaseId: 'ABCDEFGHIJ', name: 'b' }] }, /ABCDEFGHIJ twice/],
    [{ existingKnowledgeBases: [{ knowledgeBaseId: 'ABCDEFGHIJ', name: ' ' }] }, /needs a name/],
    [{ existingKnowledgeBases: [{ knowledgeBaseId: 'ABCDEFGHIJ', name: 'a', description: 'x'.repeat(201) }] }, /at most 200 characters/],
  ] as [Omit<KnowledgeBaseFactoryProps, 'backend'>, RegExp][])('invalid props are refused with a clear error (%#)', (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

test('cdk-nag with an explicit environment (Region and account rendered literally in the findings): no unacknowledged finding', () => {
  const original = console.error;
  const spy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    if (String(args[0]).includes('Performing Policy Validations')) return;
    original(...args);
  });
  const app: App = testApp();
  const stack = new Stack(app, 'Knowledge', { env: { region: 'eu-west-1', account: '111111111111' } });
  new KnowledgeBaseFactory(stack, 'Knowledge', { backend: new ChatBackend(stack, 'Chat'), existingKnowledgeBases: [{ knowledgeBaseId: 'ABCDEFGHIJ', name: 'Wiki' }] });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
  const findings = (report.pluginReports ?? []).flatMap((p: any) => p.violations ?? [])
    .flatMap((v: any) => v.violatingConstructs.map((c: any) => `${v.ruleName} ${c.constructPath}`));
  spy.mockRestore();
  expect(findings).toEqual([]);
});
