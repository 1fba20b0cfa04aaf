import { Aws, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3vectors from 'aws-cdk-lib/aws-s3vectors';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BulkSync } from './bulk-sync';
import { DedicatedKnowledge, ExistingKnowledgeBase } from './dedicated-knowledge';
import { DocumentsApi } from './documents-api';
import { EmbeddingModel } from './embedding-model';
import { VectorStore } from './vector-store';
import { ChatBackend } from '../chat-backend/chat-backend';
import { grant } from '../chat-backend/context';
import { DEFAULT_LOG_RETENTION, DEFAULT_REMOVAL_POLICY, logServerAccessTo, secureBucketProps } from '../private/defaults';
import { acknowledge } from '../private/nag';

/** Key prefixes of the document bucket. */
export const KNOWLEDGE_PREFIXES = {
  /** Browser uploads through presigned PUTs land here first; they expire after `uploadExpiration`. */
  uploads: 'uploads/',
  /** Documents of bots, ingested directly into the CUSTOM data source from their S3 location. */
  documents: 'documents/',
  /** Bulk knowledge, synced by ingestion jobs of the S3 data source (with `.metadata.json` files beside each). */
  bulk: 'bulk/',
};

/**
 * Bedrock's default chunking: "each chunk contains, at most, 300 tokens"
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-chunking.html), with a 20 % overlap.
 */
const DEFAULT_CHUNKING: bedrock.CfnDataSource.ChunkingConfigurationProperty = {
  chunkingStrategy: 'FIXED_SIZE',
  fixedSizeChunkingConfiguration: { maxTokens: 300, overlapPercentage: 20 },
};

export interface KnowledgeBaseFactoryProps {
  /** The backend whose bots get knowledge (its access-log bucket receives the document bucket's logs). */
  readonly backend: ChatBackend;

  /**
   * Where the shared knowledge base keeps its vectors.
   * @default VectorStore.s3Vectors()
   */
  readonly vectorStore?: VectorStore;

  /**
   * The embedding model of the shared knowledge base (the index is created with its dimension).
   * @default EmbeddingModel.TITAN_EMBED_TEXT_V2_1024
   */
  readonly embeddingModel?: EmbeddingModel;

  /**
   * Origins allowed to PUT documents into the bucket with presigned URLs (the app's and the widget's hosts).
   * @default ['*'] (a presigned URL is the credential; the origin check adds nothing for non-browser clients)
   */
  readonly corsAllowedOrigins?: string[];

  /**
   * How long a browser upload stays in the temporary `uploads/` prefix before S3 deletes it.
   * @default Duration.days(1)
   */
  readonly uploadExpiration?: Duration;

  /**
   * How often the bulk sync state machine polls a running ingestion job.
   * @default Duration.seconds(15)
   */
  readonly syncPollInterval?: Duration;

  /**
   * The embedding models a bot's dedicated knowledge base may use (the bot editor offers them; docs/knowledge-contract.md,
   * "Slice 2"). Model ids must be distinct: a bot's setting names the model by its id.
   * @default [EmbeddingModel.TITAN_EMBED_TEXT_V2_1024, EmbeddingModel.COHERE_EMBED_MULTILINGUAL_V3]
   */
  readonly dedicatedEmbeddingModels?: EmbeddingModel[];

  /**
   * Foundation model ids a dedicated knowledge base may parse documents with (the `BEDROCK_FOUNDATION_MODEL` parsing
   * strategy, e.g. `anthropic.claude-3-haiku-20240307-v1:0`). Bedrock's service role gets InvokeModel on exactly these.
   * @default [] (the default parser, or Bedrock Data Automation)
   */
  readonly parsingModels?: string[];

  /**
   * Knowledge bases made outside this deployment that bots may use as they are (`existing` mode): the chat worker
   * may Retrieve from exactly these.
   * @default []
   */
  readonly existingKnowledgeBases?: ExistingKnowledgeBase[];

  /**
   * What happens to the document bucket when the stack is deleted (the vector bucket and index follow it).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Knowledge for bots: the deploy-time part. A document bucket (encrypted, TLS only, no public access, access logs, a
 * temporary `uploads/` prefix that expires, CORS for presigned PUTs), one shared multi-tenant knowledge base on a
 * vector store (S3 Vectors by default: zero idle cost), a CUSTOM data source for direct ingestion (a document is
 * searchable seconds after `IngestKnowledgeBaseDocuments`, no sync job), an S3 data source for bulk knowledge under
 * `bulk/`, and the knowledge base's service role with exactly the permissions it needs. Every retrieval must filter
 * on the bot (a `botId` metadata attribute): see the README.
 */
export class KnowledgeBaseFactory extends Construct {
  /** The document bucket (`uploads/`, `documents/`, `bulk/`). */
  public readonly documentBucket: s3.Bucket;
  /** The shared knowledge base. */
  public readonly knowledgeBase: bedrock.CfnKnowledgeBase;
  /** Its id (`attrKnowledgeBaseId`). */
  public readonly knowledgeBaseId: string;
  /** Its ARN (`attrKnowledgeBaseArn`). */
  public readonly knowledgeBaseArn: string;
  /** The CUSTOM data source documents are ingested into directly. */
  public readonly directDataSource: bedrock.CfnDataSource;
  /** The S3 data source over `bulk/`, synced by ingestion jobs. */
  public readonly bulkDataSource: bedrock.CfnDataSource;
  /**
   * Syncs the bulk data source when objects under `bulk/` change: one ingestion job at a time, changes coalesced
   * (Step Functions, SDK integrations only).
   */
  public readonly syncStateMachine: sfn.StateMachine;
  /** The sync state of the bulk data source (one item: status, job, statistics, failure reasons). */
  public readonly syncTable: dynamodb.Table;
  /** The EventBridge rule that starts the sync on S3 object events under `bulk/`. */
  public readonly syncRule: events.Rule;
  /** The role Bedrock assumes for the knowledge base. */
  public readonly serviceRole: iam.Role;
  /** The vector store. */
  public readonly vectorStore: VectorStore;
  /** The embedding model. */
  public readonly embeddingModel: EmbeddingModel;
  /** The vector store's resources (for S3 Vectors: the `CfnVectorBucket` and the `CfnIndex`). */
  public readonly vectorStoreResources: Construct[];
  /**
   * The REST API of bots' documents (`/knowledge/{proxy+}` on the backend's HTTP API, behind its JWT authorizer):
   * uploads, ingestion, statuses, deletion and sources (docs/knowledge-contract.md).
   */
  public readonly knowledgeApiFunction: lambda.Function;
  /**
   * Creates, syncs and updates a bot's dedicated knowledge base (its index, knowledge base, data sources), recording
   * every step on the bot's `kb` (docs/knowledge-contract.md, "The state machines").
   */
  public readonly provisionStateMachine: sfn.StateMachine;
  /** Deletes a bot's dedicated knowledge base: its data sources, the knowledge base, its index; then the bot's `kb`. */
  public readonly deprovisionStateMachine: sfn.StateMachine;
  /** The role Bedrock assumes for the bots' dedicated knowledge bases. */
  public readonly dedicatedServiceRole: iam.Role;
  /**
   * The S3 vector bucket of the bots' dedicated indexes: the shared store's with `VectorStore.s3Vectors()`, else one
   * of its own.
   */
  public readonly dedicatedVectorBucket: s3vectors.CfnVectorBucket;

  constructor(scope: Construct, id: string, props: KnowledgeBaseFactoryProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? DEFAULT_REMOVAL_POLICY;
    this.vectorStore = props.vectorStore ?? VectorStore.s3Vectors();
    const dedicatedModels = props.dedicatedEmbeddingModels ?? [EmbeddingModel.TITAN_EMBED_TEXT_V2_1024, EmbeddingModel.COHERE_EMBED_MULTILINGUAL_V3];
    const parsingModels = props.parsingModels ?? [];
    const existingKnowledgeBases = props.existingKnowledgeBases ?? [];
    validateDedicated(dedicatedModels, parsingModels, existingKnowledgeBases);
    this.embeddingModel = props.embeddingModel ?? EmbeddingModel.TITAN_EMBED_TEXT_V2_1024;
    const uploadExpiration = props.uploadExpiration ?? Duration.days(1);
    const uploadDays = uploadExpiration.toHours() / 24;
    if (!Number.isInteger(uploadDays) || uploadDays < 1) {
      throw new Error('KnowledgeBaseFactory: uploadExpiration must be a whole number of days, at least one (S3 expires objects in whole days).');
    }

    this.documentBucket = new s3.Bucket(this, 'DocumentBucket', {
      ...secureBucketProps({ removalPolicy }),
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
      versioned: false,
      cors: [{
        allowedMethods: [s3.HttpMethods.PUT],
        allowedOrigins: props.corsAllowedOrigins ?? ['*'],
        // The presigned PUT's signed headers (wiring/knowledge-objects.ts): the type and the upload's metadata.
        allowedHeaders: ['content-type', 'x-amz-meta-name', 'x-amz-meta-size', 'x-amz-meta-owner'],
        maxAge: Duration.hours(1).toSeconds(),
      }],
      lifecycleRules: [
        { id: 'ExpireUploads', prefix: KNOWLEDGE_PREFIXES.uploads, expiration: Duration.days(uploadDays) },
        { id: 'AbortIncompleteMultipartUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    logServerAccessTo(this.documentBucket, props.backend.accessLogsBucket, 'knowledge-documents/');

    const stack = Stack.of(this);
    // The trust policy of a knowledge base service role: Bedrock, from this account, for knowledge bases of this
    // account and region (the confused-deputy conditions of https://docs.aws.amazon.com/bedrock/latest/userguide/kb-permissions.html).
    this.serviceRole = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'bedrock', resource: 'knowledge-base', resourceName: '*' }) },
        },
      }),
      description: 'Amazon Bedrock Knowledge Bases: embed documents, read them from the document bucket, write and query the vector index',
    });
    const binding = this.vectorStore.bind(this, { dimensions: this.embeddingModel.dimensions, removalPolicy, serviceRole: this.serviceRole });
    this.vectorStoreResources = binding.resources;
    const policy = new iam.Policy(this, 'ServiceRolePolicy', {
      statements: [
        // the embedding model (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-permissions.html, "Permissions to access Amazon Bedrock models")
        new iam.PolicyStatement({ sid: 'EmbeddingModel', actions: ['bedrock:InvokeModel'], resources: [this.embeddingModel.modelArn(this)] }),
        // the documents: list the bucket, read the objects, in this account only (same page, "Permissions to access your data sources in Amazon S3")
        new iam.PolicyStatement({
          sid: 'DocumentBucketList',
          actions: ['s3:ListBucket'],
          resources: [this.documentBucket.bucketArn],
          conditions: { StringEquals: { 'aws:ResourceAccount': Aws.ACCOUNT_ID } },
        }),
        new iam.PolicyStatement({
          sid: 'DocumentBucketRead',
          actions: ['s3:GetObject'],
          resources: [this.documentBucket.arnForObjects(`${KNOWLEDGE_PREFIXES.documents}*`), this.documentBucket.arnForObjects(`${KNOWLEDGE_PREFIXES.bulk}*`)],
          conditions: { StringEquals: { 'aws:ResourceAccount': Aws.ACCOUNT_ID } },
        }),
        ...binding.statements,
      ],
    });
    policy.attachToRole(this.serviceRole);
    acknowledge(policy, {
      id: 'AwsSolutions-IAM5',
      reason: 'Bedrock reads every document of a bot under documents/ and every bulk file under bulk/ of this one bucket; object keys are chosen at runtime.',
      appliesTo: [`Resource::<${this.logicalIdOf(this.documentBucket)}.Arn>/documents/*`, `Resource::<${this.logicalIdOf(this.documentBucket)}.Arn>/bulk/*`],
    });

    const name = Names.uniqueResourceName(this, { maxLength: 100, separator: '-' });
    this.knowledgeBase = new bedrock.CfnKnowledgeBase(this, 'KnowledgeBase', {
      // Name: ([0-9a-zA-Z][_-]?){1,100} (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_CreateKnowledgeBase.html)
      name,
      description: 'Shared knowledge base of the bots: every retrieval filters on botId',
      roleArn: this.serviceRole.roleArn,
      knowledgeBaseConfiguration: {
        type: 'VECTOR',
        vectorKnowledgeBaseConfiguration: {
          embeddingModelArn: this.embeddingModel.modelArn(this),
          embeddingModelConfiguration: { bedrockEmbeddingModelConfiguration: { dimensions: this.embeddingModel.dimensions, embeddingDataType: 'FLOAT32' } },
        },
      },
      storageConfiguration: binding.storageConfiguration,
    });
    // Bedrock checks the role's access to the index when the knowledge base is created: the policy must exist first.
    this.knowledgeBase.node.addDependency(policy);
    // A store whose index is not referenced by the storage configuration (OpenSearch Serverless names it) says so.
    for (const d of binding.dependencies ?? []) this.knowledgeBase.node.addDependency(d);
    this.knowledgeBaseId = this.knowledgeBase.attrKnowledgeBaseId;
    this.knowledgeBaseArn = this.knowledgeBase.attrKnowledgeBaseArn;

    const vectorIngestionConfiguration = { chunkingConfiguration: DEFAULT_CHUNKING };
    // CUSTOM data sources accept documents inline or from S3; S3 data sources only from S3
    // (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-direct-ingestion-add.html).
    this.directDataSource = new bedrock.CfnDataSource(this, 'DirectDataSource', {
      knowledgeBaseId: this.knowledgeBaseId,
      name: 'direct',
      description: 'Documents of bots, ingested directly with IngestKnowledgeBaseDocuments (botId and ownerId inline metadata)',
      dataSourceConfiguration: { type: 'CUSTOM' },
      dataDeletionPolicy: 'DELETE',
      vectorIngestionConfiguration,
    });
    this.bulkDataSource = new bedrock.CfnDataSource(this, 'BulkDataSource', {
      knowledgeBaseId: this.knowledgeBaseId,
      name: 'bulk',
      description: 'Bulk knowledge under bulk/ with .metadata.json files, synced by ingestion jobs',
      dataSourceConfiguration: {
        type: 'S3',
        s3Configuration: { bucketArn: this.documentBucket.bucketArn, inclusionPrefixes: [KNOWLEDGE_PREFIXES.bulk] },
      },
      dataDeletionPolicy: 'DELETE',
      vectorIngestionConfiguration,
    });

    const pollInterval = props.syncPollInterval ?? Duration.seconds(15);
    if (pollInterval.toSeconds() < 1) throw new Error('KnowledgeBaseFactory: syncPollInterval must be at least one second.');
    const sync = new BulkSync(this, {
      bucket: this.documentBucket,
      prefix: KNOWLEDGE_PREFIXES.bulk,
      knowledgeBaseId: this.knowledgeBaseId,
      knowledgeBaseArn: this.knowledgeBaseArn,
      dataSourceId: this.bulkDataSource.attrDataSourceId,
      removalPolicy,
      logRetention: DEFAULT_LOG_RETENTION,
      pollInterval,
    });
    this.syncStateMachine = sync.stateMachine;
    this.syncTable = sync.table;
    this.syncRule = sync.rule;

    // The chat worker retrieves for bots with documents (docs/knowledge-contract.md), always filtered on the bot.
    props.backend.workerFunction.addEnvironment('KNOWLEDGE_BASE_ID', this.knowledgeBaseId);
    // The shared knowledge base is searched HYBRID when its store supports it and the store's option asks for it.
    if (this.vectorStore.searchType) props.backend.workerFunction.addEnvironment('KNOWLEDGE_SEARCH_TYPE', this.vectorStore.searchType);
    this.grantRetrieve(props.backend.workerFunction);

    // Documents of bots: the knowledge-api function, its routes, and what bots-api and the bot cleanup need.
    const documents = new DocumentsApi({
      backend: props.backend._parts,
      documentBucket: this.documentBucket,
      knowledgeBaseId: this.knowledgeBaseId,
      knowledgeBaseArn: this.knowledgeBaseArn,
      dataSourceId: this.directDataSource.attrDataSourceId,
      bucketFinding: `<${this.logicalIdOf(this.documentBucket)}.Arn>`,
    });
    this.knowledgeApiFunction = documents.function;

    // Dedicated knowledge bases of bots: their service role and the provision and deprovision state machines.
    // They stay on S3 Vectors (no idle cost per bot): the shared store's vector bucket, or one of their own when the
    // shared store is not S3 Vectors.
    this.dedicatedVectorBucket = binding.resources.find((r): r is s3vectors.CfnVectorBucket => r instanceof s3vectors.CfnVectorBucket)
      ?? this.dedicatedBucket(removalPolicy);
    const vectorBucket = this.dedicatedVectorBucket;
    const dedicated = new DedicatedKnowledge(this, {
      backend: props.backend._parts,
      workerFunction: props.backend.workerFunction,
      documentBucket: this.documentBucket,
      vectorBucketArn: vectorBucket.attrVectorBucketArn,
      embeddingModels: dedicatedModels,
      parsingModels,
      existingKnowledgeBases,
      deploymentTag: Names.uniqueResourceName(this, { maxLength: 128, separator: '-' }),
      removalPolicy,
      logRetention: DEFAULT_LOG_RETENTION,
      pollInterval,
      bucketFinding: `<${this.logicalIdOf(this.documentBucket)}.Arn>`,
      vectorBucketFinding: `${stack.getLogicalId(vectorBucket)}.VectorBucketArn`,
    });
    dedicated.wireKnowledgeApi(this.knowledgeApiFunction);
    this.provisionStateMachine = dedicated.provisionStateMachine;
    this.deprovisionStateMachine = dedicated.deprovisionStateMachine;
    this.dedicatedServiceRole = dedicated.serviceRole;
    // Admins read the bulk sync's item through GET /knowledge/sync (GetItem of that one table only).
    this.knowledgeApiFunction.addEnvironment('KNOWLEDGE_SYNC_TABLE', this.syncTable.tableName);
    this.knowledgeApiFunction.addEnvironment('KNOWLEDGE_BULK_DATA_SOURCE_ID', this.bulkDataSource.attrDataSourceId);
    grant(this.knowledgeApiFunction, ['dynamodb:GetItem'], [this.syncTable.tableArn]);
  }

  /** Direct ingestion into the shared knowledge base: ingest, delete, get and list documents. */
  public grantIngest(grantee: iam.IGrantable): iam.Grant {
    return grant(grantee, ['bedrock:IngestKnowledgeBaseDocuments', 'bedrock:DeleteKnowledgeBaseDocuments', 'bedrock:GetKnowledgeBaseDocuments',
      'bedrock:ListKnowledgeBaseDocuments'], [this.knowledgeBaseArn]);
  }

  /** Retrieve from the shared knowledge base (the caller must filter on the bot). */
  public grantRetrieve(grantee: iam.IGrantable): iam.Grant {
    return grant(grantee, ['bedrock:Retrieve'], [this.knowledgeBaseArn]);
  }

  /** Start and watch ingestion jobs of the bulk data source. */
  public grantSync(grantee: iam.IGrantable): iam.Grant {
    return grant(grantee, ['bedrock:StartIngestionJob', 'bedrock:GetIngestionJob', 'bedrock:ListIngestionJobs'], [this.knowledgeBaseArn]);
  }

  /** Exactly `actions` on the objects under `prefix` of the document bucket. */
  public grantDocuments(grantee: iam.IGrantable, actions: string[], prefix: string): iam.Grant {
    return grant(grantee, actions, [this.documentBucket.arnForObjects(`${prefix}*`)]);
  }

  private dedicatedBucket(removalPolicy: RemovalPolicy): s3vectors.CfnVectorBucket {
    const bucket = new s3vectors.CfnVectorBucket(this, 'DedicatedVectorBucket', { encryptionConfiguration: { sseType: 'AES256' } });
    bucket.applyRemovalPolicy(removalPolicy);
    return bucket;
  }

  private logicalIdOf(c: Construct): string {
    return Stack.of(this).getLogicalId(c.node.defaultChild as s3.CfnBucket);
  }
}

/** The dedicated and existing knowledge settings, checked at synth time (jsii callers get the same errors). */
function validateDedicated(models: EmbeddingModel[], parsingModels: string[], existing: ExistingKnowledgeBase[]): void {
  if (models.length === 0) throw new Error('KnowledgeBaseFactory: dedicatedEmbeddingModels needs at least one model.');
  const ids = models.map((m) => m.modelId);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new Error(`KnowledgeBaseFactory: dedicatedEmbeddingModels has ${twice} twice; a bot names its model by id, so each id may appear once.`);
  for (const id of parsingModels) {
    // a foundation model id, as BedrockFoundationModelConfiguration.modelArn's pattern ends
    // (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_BedrockFoundationModelConfiguration.html)
    if (typeof id !== 'string' || !/^[a-z0-9-]{1,63}[.][a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2}$/.test(id)) {
      throw new Error(`KnowledgeBaseFactory: parsingModels: "${id}" is not a foundation model id (e.g. anthropic.claude-3-haiku-20240307-v1:0).`);
    }
  }
  if (new Set(parsingModels).size !== parsingModels.length) throw new Error('KnowledgeBaseFactory: parsingModels has a model id twice.');
  const seen = new Set<string>();
  for (const kb of existing) {
    // knowledge base ids are 10 letters and digits (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_KnowledgeBase.html)
    if (typeof kb?.knowledgeBaseId !== 'string' || !/^[0-9a-zA-Z]{10}$/.test(kb.knowledgeBaseId)) {
      throw new Error(`KnowledgeBaseFactory: existingKnowledgeBases: "${kb?.knowledgeBaseId}" is not a knowledge base id (10 letters and digits).`);
    }
    if (seen.has(kb.knowledgeBaseId)) throw new Error(`KnowledgeBaseFactory: existingKnowledgeBases has ${kb.knowledgeBaseId} twice.`);
    seen.add(kb.knowledgeBaseId);
    if (typeof kb.name !== 'string' || kb.name.trim() === '' || kb.name.length > 100) throw new Error(`KnowledgeBaseFactory: existingKnowledgeBases: ${kb.knowledgeBaseId} needs a name of 1 to 100 characters.`);
    if (kb.description !== undefined && (typeof kb.description !== 'string' || kb.description.length > 200)) {
      throw new Error(`KnowledgeBaseFactory: existingKnowledgeBases: the description of ${kb.knowledgeBaseId} is at most 200 characters.`);
    }
  }
}
