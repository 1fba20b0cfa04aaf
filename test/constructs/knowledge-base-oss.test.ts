import { App, DefaultStackSynthesizer, LegacyStackSynthesizer, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { requireBundles, testApp } from './helpers';
import { ChatBackend, KnowledgeBaseFactory, OpenSearchServerlessStoreOptions, VectorStore } from '../../src';

beforeAll(requireBundles);

function synth(options: OpenSearchServerlessStoreOptions = {}, app: App = testApp(), stackProps = {}) {
  const stack = new Stack(app, 'Test', stackProps);
  const backend = new ChatBackend(stack, 'Chat');
  const knowledge = new KnowledgeBaseFactory(stack, 'Knowledge', { backend, vectorStore: VectorStore.openSearchServerless(options) });
  return { stack, backend, knowledge, template: Template.fromStack(stack) };
}

const policyOf = (template: Template, type: string) => {
  const found = Object.entries(template.findResources('AWS::OpenSearchServerless::SecurityPolicy', { Properties: { Type: type } }));
  expect(found).toHaveLength(1);
  return found[0];
};
/** A policy document built with Stack.toJsonString: a Fn::Join of literal parts and tokens. */
const tok = (o: unknown) => JSON.stringify(o).replace(/"/g, "'");
const joined = (doc: any): string => typeof doc === 'string' ? doc : doc['Fn::Join'][1].map((p: any) => typeof p === 'string' ? p : tok(p)).join('');

describe('VectorStore.openSearchServerless', () => {
  const { template, knowledge, stack, backend } = synth();
  const collections = template.findResources('AWS::OpenSearchServerless::Collection');
  const [collectionId, collection] = Object.entries(collections)[0] as [string, any];
  const name: string = collection.Properties.Name;

  test('one VECTORSEARCH collection without standby replicas, its name derived from the path (3-32 lowercase)', () => {
    expect(Object.keys(collections)).toHaveLength(1);
    expect(collection.Properties).toMatchObject({ Type: 'VECTORSEARCH', StandbyReplicas: 'DISABLED' });
    expect(name).toMatch(/^[a-z][a-z0-9-]{2,27}$/);
    expect(knowledge.vectorStore.storeType).toBe('OPENSEARCH_SERVERLESS');
  });

  test('an encryption policy (AWS owned key) and a network policy (the endpoint reachable, no dashboard: IAM and the data access policy decide) cover the collection, and precede it', () => {
    const [encId, enc] = policyOf(template, 'encryption') as [string, any];
    expect(JSON.parse(joined(enc.Properties.Policy))).toEqual({ Rules: [{ ResourceType: 'collection', Resource: [`collection/${name}`] }], AWSOwnedKey: true });
    const [netId, net] = policyOf(template, 'network') as [string, any];
    expect(JSON.parse(joined(net.Properties.Policy))).toEqual([{
      Rules: [{ ResourceType: 'collection', Resource: [`collection/${name}`] }], AllowFromPublic: true,
    }]);
    expect(collection.DependsOn).toEqual(expect.arrayContaining([encId, netId]));
    for (const p of [enc, net]) expect(p.Properties.Name).toMatch(/^[a-z][a-z0-9-]{2,27}$/);
    expect(enc.Properties.Name).not.toBe(net.Properties.Name);
  });

  test('the data access policy: the knowledge base role reads and writes the index, the CloudFormation role manages it', () => {
    const policies = Object.values(template.findResources('AWS::OpenSearchServerless::AccessPolicy')) as any[];
    expect(policies).toHaveLength(1);
    expect(policies[0].Properties.Type).toBe('data');
    const doc = JSON.parse(joined(policies[0].Properties.Policy));
    const roleArn = tok({ 'Fn::GetAtt': [stack.getLogicalId(knowledge.serviceRole.node.defaultChild as any), 'Arn'] });
    expect(doc[0].Principal).toEqual([roleArn]);
    expect(doc[0].Rules).toEqual([
      { ResourceType: 'collection', Resource: [`collection/${name}`], Permission: ['aoss:DescribeCollectionItems'] },
      { ResourceType: 'index', Resource: [`index/${name}/*`], Permission: ['aoss:DescribeIndex', 'aoss:ReadDocument', 'aoss:WriteDocument'] },
    ]);
    expect(doc[1].Principal[0]).toMatch(/^\{'Fn::Sub':'arn:\$\{AWS::Partition\}:iam::\$\{AWS::AccountId\}:role\/cdk-[a-z0-9]+-cfn-exec-role-/);
    expect(doc[1].Rules[1].Permission).toEqual(['aoss:CreateIndex', 'aoss:DescribeIndex', 'aoss:UpdateIndex', 'aoss:DeleteIndex']);
    expect(doc).toHaveLength(2);
  });

  test('the index: faiss HNSW knn_vector of the model dimension, a searchable text field, the metadata field; after the collection and the access policy', () => {
    const indexes = Object.entries(template.findResources('AWS::OpenSearchServerless::Index')) as [string, any][];
    expect(indexes).toHaveLength(1);
    const [indexId, index] = indexes[0];
    expect(index.Properties.CollectionEndpoint).toEqual({ 'Fn::GetAtt': [collectionId, 'CollectionEndpoint'] });
    expect(index.Properties.IndexName).toMatch(/^(?![_-])[a-z][a-z0-9_-]*$/);
    expect(index.Properties.Settings).toEqual({ Index: { Knn: true, KnnAlgoParamEfSearch: 512 } });
    expect(index.Properties.Mappings.Properties).toEqual({
      'bedrock-knowledge-base-default-vector': {
        Type: 'knn_vector',
        Dimension: 1024,
        Method: { Engine: 'faiss', Name: 'hnsw', SpaceType: 'l2', Parameters: { EfConstruction: 512, M: 16 } },
      },
      'AMAZON_BEDROCK_TEXT_CHUNK': { Type: 'text', Index: true },
      'AMAZON_BEDROCK_METADATA': { Type: 'text', Index: false },
    });
    const accessId = Object.keys(template.findResources('AWS::OpenSearchServerless::AccessPolicy'))[0];
    expect(index.DependsOn).toEqual([accessId]);
    expect(index.DeletionPolicy).toBe('Retain');
    // the policies that make a retained collection usable are retained with it
    for (const type of ['SecurityPolicy', 'AccessPolicy', 'Collection']) {
      for (const r of Object.values(template.findResources(`AWS::OpenSearchServerless::${type}`))) expect(r.DeletionPolicy).toBe('Retain');
    }
    // the knowledge base is created after the index (its storage configuration names the index, it does not reference it)
    const kb = template.toJSON().Resources[stack.getLogicalId(knowledge.knowledgeBase)];
    expect(kb.DependsOn).toEqual(expect.arrayContaining([indexId]));
    expect(kb.Properties.StorageConfiguration).toEqual({
      Type: 'OPENSEARCH_SERVERLESS',
      OpensearchServerlessConfiguration: {
        CollectionArn: { 'Fn::GetAtt': [collectionId, 'Arn'] },
        VectorIndexName: index.Properties.IndexName,
        FieldMapping: { VectorField: 'bedrock-knowledge-base-default-vector', TextField: 'AMAZON_BEDROCK_TEXT_CHUNK', MetadataField: 'AMAZON_BEDROCK_METADATA' },
      },
    });
  });

  test('the service role gets aoss:APIAccessAll on the collection and no S3 Vectors access', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(knowledge.serviceRole.node.defaultChild as any) }],
      PolicyDocument: {
        Statement: Match.arrayWith([{ Sid: 'OpenSearchServerlessCollection', Action: 'aoss:APIAccessAll', Effect: 'Allow', Resource: { 'Fn::GetAtt': [collectionId, 'Arn'] } }]),
      },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === stack.getLogicalId(knowledge.serviceRole.node.defaultChild as any)))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements.some((s: any) => JSON.stringify(s.Action).includes('s3vectors:'))).toBe(false);
    expect(statements.some((s: any) => JSON.stringify(s.Action).includes('kms:'))).toBe(false);
  });

  test('dedicated knowledge bases stay on S3 Vectors in a vector bucket of their own', () => {
    const buckets = Object.keys(template.findResources('AWS::S3Vectors::VectorBucket'));
    expect(buckets).toEqual([stack.getLogicalId(knowledge.dedicatedVectorBucket)]);
    template.resourceCountIs('AWS::S3Vectors::Index', 0);
    template.hasResourceProperties('AWS::S3Vectors::VectorBucket', { EncryptionConfiguration: { SseType: 'AES256' } });
    const dedicatedStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === stack.getLogicalId(knowledge.dedicatedServiceRole.node.defaultChild as any)))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const s3v = dedicatedStatements.find((s: any) => s.Sid === 'S3VectorsBotIndexes');
    expect(JSON.stringify(s3v.Resource)).toContain(buckets[0]);
  });

  test('the chat worker is told to search the shared knowledge base HYBRID', () => {
    const worker = template.toJSON().Resources[stack.getLogicalId(backend.workerFunction.node.defaultChild as any)];
    expect(worker.Properties.Environment.Variables.KNOWLEDGE_SEARCH_TYPE).toBe('HYBRID');
    expect(knowledge.vectorStore.searchType).toBe('HYBRID');
  });
});

describe('VectorStore.openSearchServerless options', () => {
  test('SEMANTIC: the worker asks for it (without a search type Bedrock chooses, maybe hybrid); S3 Vectors names none', () => {
    const { template, stack, backend } = synth({ searchType: 'SEMANTIC' });
    const worker = template.toJSON().Resources[stack.getLogicalId(backend.workerFunction.node.defaultChild as any)];
    expect(worker.Properties.Environment.Variables.KNOWLEDGE_SEARCH_TYPE).toBe('SEMANTIC');
    expect(VectorStore.s3Vectors().searchType).toBeUndefined();
  });

  test('standby replicas, a customer managed key, readers, an explicit index creator', () => {
    const app = testApp();
    const stack = new Stack(app, 'Keys');
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const backend = new ChatBackend(stack, 'Chat');
    new KnowledgeBaseFactory(stack, 'Knowledge', {
      backend,
      vectorStore: VectorStore.openSearchServerless({
        standbyReplicas: true, encryptionKey: key, readerArns: ['arn:aws:iam::123456789012:role/ops'], indexCreatorArn: 'arn:aws:iam::123456789012:role/deployer',
      }),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::OpenSearchServerless::Collection', { StandbyReplicas: 'ENABLED' });
    const [, enc] = policyOf(template, 'encryption') as [string, any];
    const encDoc = JSON.parse(joined(enc.Properties.Policy));
    expect(encDoc.AWSOwnedKey).toBe(false);
    expect(encDoc.KmsARN).toBe(tok({ 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as any), 'Arn'] }));
    const access = JSON.parse(joined((Object.values(template.findResources('AWS::OpenSearchServerless::AccessPolicy'))[0] as any).Properties.Policy));
    expect(access[1].Principal).toEqual(['arn:aws:iam::123456789012:role/deployer']);
    expect(access[2]).toMatchObject({ Principal: ['arn:aws:iam::123456789012:role/ops'] });
    expect(access[2].Rules[0].Permission).toEqual(['aoss:DescribeIndex', 'aoss:ReadDocument']);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{ Sid: 'OpenSearchServerlessKey', Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as any), 'Arn'] } }]),
      },
    });
  });

  test('bad options are refused with a message that says what to change', () => {
    expect(() => VectorStore.openSearchServerless({ searchType: 'KEYWORD' })).toThrow(/'HYBRID' or 'SEMANTIC'/);
    expect(() => VectorStore.openSearchServerless({ readerArns: ['ops'] })).toThrow(/not an IAM role or user ARN/);
    expect(() => synth({}, testApp(), { synthesizer: new LegacyStackSynthesizer() })).toThrow(/set indexCreatorArn/);
    expect(() => synth({}, testApp(), { synthesizer: new DefaultStackSynthesizer() })).not.toThrow();
  });
});
