import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { requireBundles, testApp, withoutAssetHashes } from './helpers';
import { ChatBackend, EmbeddingModel, KnowledgeBaseFactory, KnowledgeBaseFactoryProps, VectorStore } from '../../src';

beforeAll(requireBundles);

function synth(props: Omit<KnowledgeBaseFactoryProps, 'backend'> = {}) {
  const stack = new Stack(testApp(), 'Test');
  const backend = new ChatBackend(stack, 'Chat');
  const knowledge = new KnowledgeBaseFactory(stack, 'Knowledge', { backend, ...props });
  return { stack, backend, knowledge, template: Template.fromStack(stack) };
}

describe('KnowledgeBaseFactory defaults', () => {
  const { template, knowledge, stack, backend } = synth();

  test('the document bucket: SSE-S3, no public access, TLS only, access logs, uploads/ expire after a day, CORS for presigned PUTs', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      CorsConfiguration: { CorsRules: [{ AllowedMethods: ['PUT'], AllowedOrigins: ['*'], AllowedHeaders: ['content-type', 'x-amz-meta-name', 'x-amz-meta-size', 'x-amz-meta-owner'] }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'ExpireUploads', Prefix: 'uploads/', ExpirationInDays: 1, Status: 'Enabled' })]) },
    });
    const bucketId = stack.getLogicalId(knowledge.documentBucket.node.defaultChild as any);
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    // the access logs go to the backend's access-log bucket, under their own prefix
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('ChatAccessLogsBucket') }, LogFilePrefix: 'knowledge-documents/' },
    });
  });

  test('S3 Vectors: an SSE-S3 vector bucket and a float32 cosine index of Titan v2\'s 1024 dimensions, Bedrock\'s keys non-filterable, retained', () => {
    template.hasResourceProperties('AWS::S3Vectors::VectorBucket', { EncryptionConfiguration: { SseType: 'AES256' } });
    template.hasResourceProperties('AWS::S3Vectors::Index', {
      DataType: 'float32',
      Dimension: 1024,
      DistanceMetric: 'cosine',
      MetadataConfiguration: { NonFilterableMetadataKeys: ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] },
      IndexName: Match.stringLikeRegexp('^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$'),
    });
    template.hasResource('AWS::S3Vectors::VectorBucket', { DeletionPolicy: 'Retain' });
    template.hasResource('AWS::S3Vectors::Index', { DeletionPolicy: 'Retain' });
  });

  test('the knowledge base: VECTOR, Titan Text Embeddings v2 at 1024 dimensions, on the S3 Vectors index, created after its role\'s policy', () => {
    template.hasResource('AWS::Bedrock::KnowledgeBase', {
      Properties: {
        Name: Match.stringLikeRegexp('^([0-9a-zA-Z][_-]?){1,100}$'),
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('KnowledgeServiceRole'), 'Arn'] },
        KnowledgeBaseConfiguration: {
          Type: 'VECTOR',
          VectorKnowledgeBaseConfiguration: {
            EmbeddingModelArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, '::foundation-model/amazon.titan-embed-text-v2:0']] },
            EmbeddingModelConfiguration: { BedrockEmbeddingModelConfiguration: { Dimensions: 1024, EmbeddingDataType: 'FLOAT32' } },
          },
        },
        StorageConfiguration: { Type: 'S3_VECTORS', S3VectorsConfiguration: { IndexArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('KnowledgeVectorIndex'), 'IndexArn'] } } },
      },
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('KnowledgeServiceRolePolicy')]),
    });
  });

  test('a CUSTOM data source for direct ingestion and an S3 data source over bulk/, both chunked at 300 tokens with 20 % overlap', () => {
    const chunking = { ChunkingConfiguration: { ChunkingStrategy: 'FIXED_SIZE', FixedSizeChunkingConfiguration: { MaxTokens: 300, OverlapPercentage: 20 } } };
    template.hasResourceProperties('AWS::Bedrock::DataSource', { DataSourceConfiguration: { Type: 'CUSTOM' }, DataDeletionPolicy: 'DELETE', VectorIngestionConfiguration: chunking });
    template.hasResourceProperties('AWS::Bedrock::DataSource', {
      DataSourceConfiguration: { Type: 'S3', S3Configuration: { BucketArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('KnowledgeDocumentBucket'), 'Arn'] }, InclusionPrefixes: ['bulk/'] } },
      VectorIngestionConfiguration: chunking,
    });
    template.resourceCountIs('AWS::Bedrock::DataSource', 2);
  });

  test('the service role: trusted by Bedrock for this account\'s knowledge bases; exactly the embedding model, the documents and the index', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{
          Action: 'sts:AssumeRole',
          Principal: { Service: 'bedrock.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': Match.anyValue() } },
        }],
      },
    });
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('KnowledgeServiceRolePolicy') } });
    const statements = Object.values(policies)[0].Properties.PolicyDocument.Statement;
    expect(statements.map((s: any) => [s.Sid, s.Action])).toEqual([
      ['EmbeddingModel', 'bedrock:InvokeModel'],
      ['DocumentBucketList', 's3:ListBucket'],
      ['DocumentBucketRead', 's3:GetObject'],
      ['S3VectorsIndex', ['s3vectors:GetIndex', 's3vectors:QueryVectors', 's3vectors:PutVectors', 's3vectors:GetVectors', 's3vectors:ListVectors', 's3vectors:DeleteVectors']],
    ]);
    const read = statements.find((s: any) => s.Sid === 'DocumentBucketRead');
    expect(JSON.stringify(read.Resource)).toContain('/documents/*');
    expect(JSON.stringify(read.Resource)).toContain('/bulk/*');
    expect(JSON.stringify(read.Resource)).not.toContain('uploads');
    expect(statements.find((s: any) => s.Sid === 'S3VectorsIndex').Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^KnowledgeVectorIndex/), 'IndexArn'] });
  });

  test('grants: ingest, retrieve and sync on the knowledge base ARN only', () => {
    const stack2 = new Stack(testApp(), 'Grants');
    const k = new KnowledgeBaseFactory(stack2, 'K', { backend: new ChatBackend(stack2, 'Chat') });
    const role = new iam.Role(stack2, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    k.grantIngest(role);
    k.grantRetrieve(role);
    k.grantSync(role);
    k.grantDocuments(role, ['s3:PutObject'], 'uploads/');
    const t = Template.fromStack(stack2);
    const kbArn = { 'Fn::GetAtt': [stack2.getLogicalId(k.knowledgeBase), 'KnowledgeBaseArn'] };
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack2.getLogicalId(role.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: {
        Statement: [
          { Action: ['bedrock:IngestKnowledgeBaseDocuments', 'bedrock:DeleteKnowledgeBaseDocuments', 'bedrock:GetKnowledgeBaseDocuments', 'bedrock:ListKnowledgeBaseDocuments'], Effect: 'Allow', Resource: kbArn },
          { Action: 'bedrock:Retrieve', Effect: 'Allow', Resource: kbArn },
          { Action: ['bedrock:StartIngestionJob', 'bedrock:GetIngestionJob', 'bedrock:ListIngestionJobs'], Effect: 'Allow', Resource: kbArn },
          { Action: 's3:PutObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [stack2.getLogicalId(k.documentBucket.node.defaultChild as any), 'Arn'] }, '/uploads/*']] } },
        ],
      },
    });
  });

  test('the chat worker gets the knowledge base id and Retrieve on it, nothing else of the knowledge base', () => {
    const kbArn = { 'Fn::GetAtt': [stack.getLogicalId(knowledge.knowledgeBase), 'KnowledgeBaseArn'] };
    const workerId = stack.getLogicalId(backend.workerFunction.node.defaultChild as any);
    const worker = template.toJSON().Resources[workerId];
    expect(worker.Properties.Environment.Variables.KNOWLEDGE_BASE_ID).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(knowledge.knowledgeBase), 'KnowledgeBaseId'] });
    const workerRole = worker.Properties.Role['Fn::GetAtt'][0];
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === workerRole))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const onKb = statements.filter((st: any) => JSON.stringify(st.Resource) === JSON.stringify(kbArn));
    expect(onKb.map((st: any) => st.Action)).toEqual(['bedrock:Retrieve']);
  });

  test('bulk sync: S3 sends the bucket\'s events to EventBridge, a rule on bulk/ starts a traced, logged Standard state machine', () => {
    const bucket = template.toJSON().Resources[stack.getLogicalId(knowledge.documentBucket.node.defaultChild as any)];
    expect(bucket.Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    // no custom resource (Bucket.enableEventBridgeNotification would add one, and its function)
    expect(Object.keys(template.findResources('Custom::S3BucketNotifications'))).toEqual([]);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.s3'],
        'detail-type': ['Object Created', 'Object Deleted'],
        'detail': { bucket: { name: [{ Ref: stack.getLogicalId(knowledge.documentBucket.node.defaultChild as any) }] }, object: { key: [{ prefix: 'bulk/' }] } },
      },
      Targets: [Match.objectLike({ Arn: { Ref: stack.getLogicalId(knowledge.syncStateMachine.node.defaultChild as any) } })],
    });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    const definition = JSON.parse(stack.resolve((knowledge.syncStateMachine.node.defaultChild as any).definitionString)['Fn::Join'][1]
      .map((p: unknown) => (typeof p === 'string' ? p : 'X')).join(''));
    // one job at a time: the machine waits for a job started elsewhere (ConflictException), and never times out
    // holding the data source (its poll loop is bounded instead)
    expect(definition.States.StartIngestionJob.Retry).toEqual(expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['BedrockAgent.ConflictException'] })]));
    expect(definition.TimeoutSeconds).toBeUndefined();
    expect(definition.States.Claim.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], Next: 'Coalesced' })]);
    expect(definition.States.Release.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], Next: 'TakePending' })]);
  });

  test('bulk sync\'s role: UpdateItem on its own table, Start/GetIngestionJob on the knowledge base, nothing else but tracing and log delivery', () => {
    const roleId = stack.getLogicalId(knowledge.syncStateMachine.role.node.defaultChild as any);
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const scoped = statements.filter((st: any) => st.Resource !== '*').map((st: any) => [st.Action, st.Resource]);
    const kbArn = { 'Fn::GetAtt': [stack.getLogicalId(knowledge.knowledgeBase), 'KnowledgeBaseArn'] };
    expect(scoped).toEqual(expect.arrayContaining([['bedrock:GetIngestionJob', kbArn], ['bedrock:StartIngestionJob', kbArn]]));
    expect(scoped).toHaveLength(3);
    expect(JSON.stringify(scoped.find((x: any) => x[0] === 'dynamodb:UpdateItem'))).toContain(stack.getLogicalId(knowledge.syncTable.node.defaultChild as any));
    const unscoped = statements.filter((st: any) => st.Resource === '*').flatMap((st: any) => st.Action);
    expect(unscoped.every((a: string) => a.startsWith('xray:') || /^logs:(Create|Get|Update|Delete)LogDelivery$|^logs:(ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$/.test(a))).toBe(true);
  });

  /** Every statement of the policies attached to `fn`'s role. */
  const statementsOf = (fn: any) => {
    const role = template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild)].Properties.Role['Fn::GetAtt'][0];
    return Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === role))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
  };
  const ids = () => ({
    kbArn: { 'Fn::GetAtt': [stack.getLogicalId(knowledge.knowledgeBase), 'KnowledgeBaseArn'] },
    kbId: { 'Fn::GetAtt': [stack.getLogicalId(knowledge.knowledgeBase), 'KnowledgeBaseId'] },
    bucket: { Ref: stack.getLogicalId(knowledge.documentBucket.node.defaultChild as any) },
    bucketArn: { 'Fn::GetAtt': [stack.getLogicalId(knowledge.documentBucket.node.defaultChild as any), 'Arn'] },
    table: { 'Fn::GetAtt': [stack.getLogicalId((backend.botTable as any).node.defaultChild), 'Arn'] },
    dataSource: { 'Fn::GetAtt': [stack.getLogicalId(knowledge.directDataSource), 'DataSourceId'] },
  });
  const objects = (prefix: string) => ({ 'Fn::Join': ['', [ids().bucketArn, `/${prefix}*`]] });

  test('the knowledge-api function: the backend\'s conventions, routed at /knowledge/{proxy+} behind the JWT authorizer, with its variables', () => {
    const fn = knowledge.knowledgeApiFunction;
    const id = stack.getLogicalId(fn.node.defaultChild as any);
    expect(id).toMatch(/^ChatKnowledgeApiHandler/);
    const props = template.toJSON().Resources[id].Properties;
    expect(props).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.stringMatching(/^ChatKnowledgeApiHandlerLogs/) } }, Timeout: 29 });
    expect(props.Environment.Variables).toEqual({
      KNOWLEDGE_BASE_ID: ids().kbId,
      KNOWLEDGE_DATA_SOURCE_ID: ids().dataSource,
      KNOWLEDGE_BUCKET: ids().bucket,
      BOT_TABLE_NAME: { Ref: stack.getLogicalId((backend.botTable as any).node.defaultChild) },
      USER_POOL_ID: { Ref: stack.getLogicalId(backend.userPool.node.defaultChild as any) },
      KNOWLEDGE_SYNC_TABLE: { Ref: stack.getLogicalId(knowledge.syncTable.node.defaultChild as any) },
      KNOWLEDGE_BULK_DATA_SOURCE_ID: { 'Fn::GetAtt': [stack.getLogicalId(knowledge.bulkDataSource), 'DataSourceId'] },
      // dedicated knowledge bases (test/constructs/dedicated-knowledge.test.ts)
      KNOWLEDGE_PROVISION_ARN: { Ref: stack.getLogicalId(knowledge.provisionStateMachine.node.defaultChild as any) },
      KNOWLEDGE_DEPROVISION_ARN: { Ref: stack.getLogicalId(knowledge.deprovisionStateMachine.node.defaultChild as any) },
      KNOWLEDGE_DEDICATED: expect.any(String),
      KNOWLEDGE_EXISTING: '[]',
    });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r: any) => r.Properties);
    const knowledgeRoutes = routes.filter((r) => r.RouteKey.endsWith(' /knowledge/{proxy+}'));
    expect(knowledgeRoutes.map((r) => r.RouteKey.split(' ')[0]).sort()).toEqual(['DELETE', 'GET', 'PATCH', 'POST', 'PUT']);
    for (const r of knowledgeRoutes) expect(r).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: expect.stringMatching(/CognitoAuthorizer/) } });
    const integrationId = knowledgeRoutes[0].Target['Fn::Join'][1][1].Ref;
    expect(template.toJSON().Resources[integrationId].Properties.IntegrationUri).toEqual({ 'Fn::GetAtt': [id, 'Arn'] });
  });

  test('the knowledge-api function\'s grants: the bot table, groups, uploads/ and documents/ objects, ingest/get/delete on the knowledge base, the sync item', () => {
    const statements = statementsOf(knowledge.knowledgeApiFunction).filter((st: any) => !JSON.stringify(st.Resource).includes('Logs'));
    expect(statements).toEqual(expect.arrayContaining([
      { Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], Effect: 'Allow', Resource: ids().table },
      { Action: 'cognito-idp:AdminListGroupsForUser', Effect: 'Allow', Resource: { 'Fn::GetAtt': [stack.getLogicalId(backend.userPool.node.defaultChild as any), 'Arn'] } },
      { Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'], Effect: 'Allow', Resource: [objects('uploads/'), objects('documents/')] },
      { Action: ['bedrock:IngestKnowledgeBaseDocuments', 'bedrock:GetKnowledgeBaseDocuments', 'bedrock:DeleteKnowledgeBaseDocuments'], Effect: 'Allow', Resource: ids().kbArn },
      // GET /knowledge/sync (admins): the bulk sync's item, read only
      { Action: 'dynamodb:GetItem', Effect: 'Allow', Resource: { 'Fn::GetAtt': [stack.getLogicalId(knowledge.syncTable.node.defaultChild as any), 'Arn'] } },
    ]));
    // and, for dedicated knowledge bases (test/constructs/dedicated-knowledge.test.ts), StartExecution on the two
    // machines and ingestion into the tagged dedicated knowledge bases
    expect(statements).toHaveLength(7);
  });

  test('bots-api gets the shared knowledge base and data source, and only DeleteKnowledgeBaseDocuments on it (a bot moving to its own releases its documents); the bot cleanup the variables, listing and deleting documents, and DeleteKnowledgeBaseDocuments', () => {
    const res = template.toJSON().Resources;
    const botsApi = res[stack.getLogicalId(backend.botsApiFunction.node.defaultChild as any)].Properties.Environment.Variables;
    expect(botsApi.KNOWLEDGE_BASE_ID).toEqual(ids().kbId);
    expect(botsApi.KNOWLEDGE_DATA_SOURCE_ID).toEqual(ids().dataSource);
    expect(botsApi.KNOWLEDGE_BUCKET).toBeUndefined();
    const sharedKbId = stack.getLogicalId(knowledge.knowledgeBase);
    const onSharedKb = statementsOf(backend.botsApiFunction).filter((st: any) => JSON.stringify(st.Resource).includes(sharedKbId));
    expect(onSharedKb).toEqual([{ Action: 'bedrock:DeleteKnowledgeBaseDocuments', Effect: 'Allow', Resource: ids().kbArn }]);
    const cleanup = res[stack.getLogicalId(backend.botCleanupFunction.node.defaultChild as any)].Properties.Environment.Variables;
    expect(cleanup).toMatchObject({ KNOWLEDGE_BASE_ID: ids().kbId, KNOWLEDGE_DATA_SOURCE_ID: ids().dataSource, KNOWLEDGE_BUCKET: ids().bucket });
    expect(statementsOf(backend.botCleanupFunction)).toEqual(expect.arrayContaining([
      { Action: ['dynamodb:Query', 'dynamodb:DeleteItem'], Effect: 'Allow', Resource: ids().table },
      { Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['uploads/*', 'documents/*'] } }, Effect: 'Allow', Resource: ids().bucketArn },
      { Action: 's3:DeleteObject', Effect: 'Allow', Resource: [objects('uploads/'), objects('documents/')] },
      { Action: 'bedrock:DeleteKnowledgeBaseDocuments', Effect: 'Allow', Resource: ids().kbArn },
    ]));
  });

  test('the knowledge-api function has the backend\'s Errors and Throttles alarms, listed in backend.alarms', () => {
    const fnId = stack.getLogicalId(knowledge.knowledgeApiFunction.node.defaultChild as any);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: any) => a.Properties)
      .filter((p: any) => JSON.stringify(p.Dimensions ?? []).includes(fnId));
    expect(alarms.map((a: any) => a.MetricName).sort()).toEqual(['Errors', 'Throttles']);
    const alarmIds = backend.alarms.map((a) => a.node.id);
    expect(alarmIds).toEqual(expect.arrayContaining(['KnowledgeApiHandlerErrorsAlarm', 'KnowledgeApiHandlerThrottlesAlarm']));
  });

  test('a backend without KnowledgeBaseFactory has no knowledge-api function, no /knowledge route and no knowledge variables', () => {
    const plain = new Stack(testApp(), 'Plain');
    const b = new ChatBackend(plain, 'Chat');
    const t = Template.fromStack(plain).toJSON();
    expect(JSON.stringify(t)).not.toMatch(/knowledge|KNOWLEDGE_/i);
    expect(b.node.tryFindChild('KnowledgeApiHandler')).toBeUndefined();
  });

  test('snapshot', () => {
    expect(withoutAssetHashes(template.toJSON())).toMatchSnapshot();
  });
});

describe('KnowledgeBaseFactory options', () => {
  test('another embedding model sets the index dimension and the model ARN; euclidean distance', () => {
    const { template } = synth({ embeddingModel: EmbeddingModel.TITAN_EMBED_TEXT_V2_256, vectorStore: VectorStore.s3Vectors({ distanceMetric: 'euclidean' }) });
    template.hasResourceProperties('AWS::S3Vectors::Index', { Dimension: 256, DistanceMetric: 'euclidean' });
    template.hasResourceProperties('AWS::Bedrock::KnowledgeBase', {
      KnowledgeBaseConfiguration: {
        VectorKnowledgeBaseConfiguration: { EmbeddingModelConfiguration: { BedrockEmbeddingModelConfiguration: { Dimensions: 256 } } },
      },
    });
    const cohere = synth({ embeddingModel: EmbeddingModel.COHERE_EMBED_MULTILINGUAL_V3 }).template;
    cohere.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'EmbeddingModel', Resource: { 'Fn::Join': ['', Match.arrayWith(['::foundation-model/cohere.embed-multilingual-v3'])] } })]) },
    });
  });

  test('CORS origins, upload expiration and DESTROY removal policy', () => {
    const { template } = synth({ corsAllowedOrigins: ['https://chat.example.com'], uploadExpiration: Duration.days(3), removalPolicy: RemovalPolicy.DESTROY });
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedOrigins: ['https://chat.example.com'] })] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'ExpireUploads', ExpirationInDays: 3 })]) },
    });
    template.hasResource('AWS::S3Vectors::Index', { DeletionPolicy: 'Delete' });
  });

  test('invalid options are refused with a message that says what to change', () => {
    expect(() => synth({ uploadExpiration: Duration.hours(2) })).toThrow(/uploadExpiration must be a whole number of days/);
    expect(() => VectorStore.s3Vectors({ distanceMetric: 'dot' })).toThrow(/cosine' or 'euclidean/);
    expect(() => EmbeddingModel.of('amazon.titan-embed-text-v2:0', 8192)).toThrow(/between 1 and 4096/);
    expect(() => EmbeddingModel.of('arn:aws:bedrock:us-east-1::foundation-model/x', 1024)).toThrow(/not a foundation model id/);
  });
});
