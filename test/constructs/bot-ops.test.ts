/**
 * The bots-ops parts of ChatBackend (issue 11): the bot deletion pipe (its filter, batch, failure handling and role),
 * the guardrail grants of the api function, and bots as code (`addBot`: the custom resource, its provider's grants,
 * and the synth-time validation with its messages).
 */
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { synthBackend, testApp } from './helpers';
import { BotSharing, ChatBackend, ChatModel } from '../../src';
import { BOT_REMOVAL_PATTERN } from '../../src/constructs/chat-backend/bot-cleanup';

const statementsOf = (template: Template, stack: Stack, role: unknown) => {
  const id = stack.getLogicalId((role as { node: { defaultChild: never } }).node.defaultChild);
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies).filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === id))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
};

describe('the bot deletion pipe', () => {
  const { stack, backend, template } = synthBackend();

  test('reads the bot table stream from the trim horizon, filters to REMOVE of bot keys, batches 10, retries with bisect, then dead-letters', () => {
    template.resourceCountIs('AWS::Pipes::Pipe', 1);
    const pipe = Object.values(template.findResources('AWS::Pipes::Pipe'))[0] as any;
    const p = pipe.Properties;
    expect(p.Source).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(backend.botTable.node.defaultChild as never), 'StreamArn'] });
    expect(p.Target).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(backend.botCleanupFunction.node.defaultChild as never), 'Arn'] });
    expect(p.TargetParameters).toEqual({ LambdaFunctionParameters: { InvocationType: 'REQUEST_RESPONSE' } });
    expect(p.SourceParameters.DynamoDBStreamParameters).toEqual({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86400,
      OnPartialBatchItemFailure: 'AUTOMATIC_BISECT',
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [stack.getLogicalId(backend.botCleanupDeadLetterQueue.node.defaultChild as never), 'Arn'] } },
    });
    expect(p.SourceParameters.FilterCriteria.Filters.map((f: any) => JSON.parse(f.Pattern))).toEqual([BOT_REMOVAL_PATTERN]);
    template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
  });

  test('its role is assumed by Pipes of this account only and allows exactly the stream reads, the invoke and the dead-letter send', () => {
    const role = backend.botDeletionPipe.roleArn;
    expect(role).toBeDefined();
    const roleId = Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) => id.includes('BotDeletionPipeRole'))![0];
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Principal: { Service: 'pipes.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': Match.anyValue() } } }] },
    });
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((x: any) => x.Properties.Roles.some((r: any) => r.Ref === roleId)) as any;
    const statements = policy.Properties.PolicyDocument.Statement.map((s: any) => ({ Action: s.Action, Resource: JSON.stringify(s.Resource) }));
    expect(statements.map((s: any) => s.Action)).toEqual([
      ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'], 'lambda:InvokeFunction', 'sqs:SendMessage',
    ]);
    expect(statements[0].Resource).toContain('StreamArn');
    expect(statements[1].Resource).toContain('ChatBotCleanup');
    expect(statements[2].Resource).toContain('BotCleanupDeadLetters');
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true });
  });

  test('the cleanup function queries byBot, deletes with BatchWriteItem and deletes guardrails, nothing else', () => {
    const actions = statementsOf(template, stack, backend.botCleanupFunction.role).flatMap((s: any) => [s.Action].flat()).sort();
    expect(actions).toEqual(['bedrock:DeleteGuardrail', 'dynamodb:BatchWriteItem', 'dynamodb:Query', 'logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  test('the bots-api function manages guardrails with exactly the four actions, on this account and Region', () => {
    const st = statementsOf(template, stack, backend.botsApiFunction.role).find((s: any) => [s.Action].flat().includes('bedrock:CreateGuardrail'));
    expect([st.Action].flat().sort()).toEqual(['bedrock:CreateGuardrail', 'bedrock:CreateGuardrailVersion', 'bedrock:DeleteGuardrail', 'bedrock:UpdateGuardrail']);
    expect(JSON.stringify(st.Resource)).toContain(':guardrail/*');
  });
});

describe('bots as code', () => {
  const declare = (fn: (b: ChatBackend) => void) => {
    const stack = new Stack(testApp(), 'Test', { env: { region: 'us-east-1', account: '111111111111' } });
    const backend = new ChatBackend(stack, 'Chat', { models: [ChatModel.CLAUDE_HAIKU_4_5, ChatModel.NOVA_PRO] });
    fn(backend);
    return { stack, backend, template: Template.fromStack(stack) };
  };

  test('addBot adds one Custom::BedrockChatBot with the declaration as one JSON string, and one provider for all bots', () => {
    const { backend, template, stack } = declare((b) => {
      b.addBot('helper', { title: 'Helper', pinned: 2, temperature: 0.5, models: [ChatModel.CLAUDE_HAIKU_4_5.key] });
      b.addBot('team-bot', { title: 'Team', sharing: BotSharing.groups(['Team']) });
    });
    const resources = Object.values(template.findResources('Custom::BedrockChatBot')) as any[];
    expect(resources).toHaveLength(2);
    const bots = resources.map((r) => JSON.parse(r.Properties.Bot));
    expect(bots[0]).toEqual({
      id: 'helper',
      title: 'Helper',
      generation: { temperature: 0.5 },
      quickStarters: [],
      models: ['claude-v4.5-haiku'],
      promptCaching: true,
      showRetrievedChunks: false,
      scope: 'all',
      pinOrder: 2,
    });
    expect(bots[1]).toMatchObject({ id: 'team-bot', scope: 'partial', groups: ['Team'], models: [] });
    for (const r of resources) expect(r.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(backend.botDefinitionFunction!.node.defaultChild as never), 'Arn'] });
    const actions = statementsOf(template, stack, backend.botDefinitionFunction!.role).flatMap((s: any) => [s.Action].flat()).sort();
    expect(actions).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  test('without a declared bot there is no provider function', () => {
    const { backend, template } = declare(() => undefined);
    expect(backend.botDefinitionFunction).toBeUndefined();
    template.resourceCountIs('Custom::BedrockChatBot', 0);
  });

  test.each([
    ['Bad_Id', { title: 'x' }, "addBot('Bad_Id'): the id must match"],
    ['ok', { title: '' }, 'title must be 1 to 100 characters'],
    ['ok', { title: 'x', models: ['gpt-4'] }, 'model gpt-4 is not a model of this backend (claude-v4.5-haiku, amazon-nova-pro)'],
    ['ok', { title: 'x', models: [ChatModel.NOVA_PRO.key], defaultModel: ChatModel.CLAUDE_HAIKU_4_5.key }, "defaultModel claude-v4.5-haiku is not one of the bot's models"],
    ['ok', { title: 'x', topK: 5 }, 'topK: Amazon Nova Pro (amazon-nova-pro) does not take top K'],
    ['ok', { title: 'x', models: [ChatModel.NOVA_PRO.key], reasoningBudget: 2048, maxTokens: 4096 }, 'does not reason'],
    ['ok', { title: 'x', reasoningBudget: 512 }, 'reasoningBudget must be an integer of at least 1,024'],
    ['ok', { title: 'x', maxTokens: 10_000_000 }, 'maxTokens must be an integer 1 to'],
    ['ok', { title: 'x', temperature: 1.5 }, 'temperature must be 0 to 1'],
    ['ok', { title: 'x', pinned: 1, sharing: BotSharing.groups(['A']) }, 'only a bot shared with everyone can be pinned'],
    ['ok', { title: 'x', sharing: BotSharing.groups([]) }, 'BotSharing.groups takes 1 to 20 group names'],
    ['ok', { title: 'x', guardrailId: 'abc' }, 'give guardrailId and guardrailVersion together'],
    ['ok', { title: 'x', stopSequences: ['a', 'b', 'c', 'd', 'e'] }, 'stopSequences: at most 4'],
  ])('addBot(%s, %j) is refused: %s', (id, options, message) => {
    expect(() => declare((b) => b.addBot(id, options as never))).toThrow(message);
  });

  test('the same id twice is refused', () => {
    expect(() => declare((b) => {
      b.addBot('twice', { title: 'a' });
      b.addBot('twice', { title: 'b' });
    })).toThrow("addBot('twice'): a bot with this id is already declared on this backend.");
  });
});
