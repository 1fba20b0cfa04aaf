import { DefaultStackSynthesizer, Fn, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as aoss from 'aws-cdk-lib/aws-opensearchserverless';
import * as s3vectors from 'aws-cdk-lib/aws-s3vectors';
import { Construct } from 'constructs';

/** Options of `VectorStore.s3Vectors()`. */
export interface S3VectorsStoreOptions {
  /**
   * The distance metric of the index (immutable: https://docs.aws.amazon.com/AmazonS3/latest/API/API_S3VectorBuckets_CreateIndex.html).
   * `cosine` or `euclidean`.
   * @default 'cosine'
   */
  readonly distanceMetric?: string;
}

/** Options of `VectorStore.openSearchServerless()`. */
export interface OpenSearchServerlessStoreOptions {
  /**
   * Standby replicas in a second Availability Zone. Off by default for cost: a collection with redundancy bills at
   * least 2 OCUs (1 indexing, 1 search, each with a standby), without it at least 1 (0.5 + 0.5); both are billed per
   * hour whether or not the knowledge base is used
   * (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-scaling.html). Switch it on for
   * production availability (it cannot be changed later: the collection is replaced).
   * @default false
   */
  readonly standbyReplicas?: boolean;

  /**
   * How the chat searches the shared knowledge base: `HYBRID` (vector and keyword, Retrieve's `overrideSearchType`) or
   * `SEMANTIC` (vector only). Hybrid needs a filterable text field, which the index has
   * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_KnowledgeBaseVectorSearchConfiguration.html).
   * @default 'HYBRID'
   */
  readonly searchType?: string;

  /**
   * A customer managed KMS key for the collection's encryption policy. The key policy must let OpenSearch Serverless
   * use it (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-encryption.html).
   * @default - an AWS owned key
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Further IAM principals (role or user ARNs) given read access to the index through the data access policy, e.g. an
   * operator's role for inspection. They also need `aoss:APIAccessAll` on the collection in their own IAM policy.
   * @default []
   */
  readonly readerArns?: string[];

  /**
   * The principal CloudFormation creates the index as (`AWS::OpenSearchServerless::Index` is created on the collection's
   * data plane with the stack's credentials: the CloudFormation service role when there is one,
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html). The data access policy
   * lets it create, describe, update and delete the index (not read or write documents).
   * @default - the CloudFormation execution role of the stack's `DefaultStackSynthesizer` (cdk bootstrap's
   * `cfn-exec-role`); required with any other synthesizer
   */
  readonly indexCreatorArn?: string;
}

/** What `VectorStore.bind` is given. */
export interface VectorStoreBindOptions {
  /** The vector dimension (the embedding model's). */
  readonly dimensions: number;
  /** What happens to the store's data when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * The knowledge base's service role (a store with its own access policy names it).
   * @default - none (KnowledgeBaseFactory always gives it)
   */
  readonly serviceRole?: iam.IRole;
}

/** What a vector store adds to a knowledge base when it is bound. */
export interface VectorStoreBinding {
  /** `StorageConfiguration` of the `AWS::Bedrock::KnowledgeBase`. */
  readonly storageConfiguration: bedrock.CfnKnowledgeBase.StorageConfigurationProperty;
  /** The permissions the knowledge base's service role needs on the store. */
  readonly statements: iam.PolicyStatement[];
  /** The store's resources, for escape hatches (`node.defaultChild` of each). */
  readonly resources: Construct[];
  /**
   * Resources the knowledge base must be created after (besides the role's policy).
   * @default - the storage configuration's references order it
   */
  readonly dependencies?: Construct[];
}

/**
 * Where a knowledge base keeps its vectors (a union-like class: pick a static factory). Today: Amazon S3 Vectors, which
 * scales to zero and filters on metadata before the vector search. Other stores (OpenSearch Serverless for hybrid
 * search) are added as further factories, each with its own options and binding.
 */
export abstract class VectorStore {
  /**
   * Amazon S3 Vectors (the default): a vector bucket (SSE-S3) and one float32 index whose dimension is the embedding
   * model's, with `AMAZON_BEDROCK_TEXT` and `AMAZON_BEDROCK_METADATA` non-filterable (Bedrock stores the chunk text and
   * its own metadata under these keys; as filterable metadata they would use up the 2 KB filterable budget per vector:
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-limitations.html ;
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3vectors-index-metadataconfiguration.html).
   *
   * Index mode: `AWS::S3Vectors::Index` has no index mode property. "Indexes in vector buckets created before
   * September 30, 2026 use CLASSIC by default" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-index-mode.html):
   * the vector bucket is created by this stack, after that date, so its index is ENHANCED (the filter is applied before
   * the vector search, so a bot's filter keeps full recall on a shared index).
   */
  public static s3Vectors(options: S3VectorsStoreOptions = {}): VectorStore {
    return new S3VectorsStore(options);
  }

  /**
   * Amazon OpenSearch Serverless, for hybrid (vector and keyword) search: a `VECTORSEARCH` collection with its
   * encryption policy (AWS owned key unless given), a network policy that admits only Amazon Bedrock (no public
   * endpoint), a data access policy (the knowledge base's role reads and writes the index; the CloudFormation role
   * creates it), and the vector index as an `AWS::OpenSearchServerless::Index` (FAISS HNSW, so that Bedrock can filter
   * on metadata; a text field for hybrid search; Bedrock's metadata field). It bills OCU hours while idle: see the
   * README's cost section. Dedicated knowledge bases of bots stay on S3 Vectors.
   */
  public static openSearchServerless(options: OpenSearchServerlessStoreOptions = {}): VectorStore {
    return new OpenSearchServerlessStore(options);
  }

  /** The store type, as `StorageConfiguration.Type` names it (`S3_VECTORS`, `OPENSEARCH_SERVERLESS`). */
  public abstract readonly storeType: string;

  /**
   * The search type the chat asks the shared knowledge base for (`HYBRID` or `SEMANTIC`), or undefined for Bedrock's
   * default. Only OpenSearch stores support hybrid search (S3 Vectors does not:
   * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_KnowledgeBaseVectorSearchConfiguration.html).
   * @default undefined (a store of your own: Bedrock's default)
   */
  public get searchType(): string | undefined {
    return undefined;
  }

  /**
   * Creates the store's resources in `scope` and returns the knowledge base's storage configuration and the service
   * role's permissions. Called once by `KnowledgeBaseFactory`.
   */
  public abstract bind(scope: Construct, options: VectorStoreBindOptions): VectorStoreBinding;
}

class S3VectorsStore extends VectorStore {
  public readonly storeType = 'S3_VECTORS';
  private readonly distanceMetric: string;

  constructor(options: S3VectorsStoreOptions) {
    super();
    this.distanceMetric = options.distanceMetric ?? 'cosine';
    if (this.distanceMetric !== 'cosine' && this.distanceMetric !== 'euclidean') {
      throw new Error(`VectorStore.s3Vectors: distanceMetric must be 'cosine' or 'euclidean', got '${this.distanceMetric}'.`);
    }
  }

  public bind(scope: Construct, options: VectorStoreBindOptions): VectorStoreBinding {
    const bucket = new s3vectors.CfnVectorBucket(scope, 'VectorBucket', {
      encryptionConfiguration: { sseType: 'AES256' },
    });
    const index = new s3vectors.CfnIndex(scope, 'VectorIndex', {
      vectorBucketArn: bucket.attrVectorBucketArn,
      // Names: 3-63 lowercase letters, digits, hyphens, dots (CreateIndex). Derived from the path, not hard-coded.
      indexName: Names.uniqueResourceName(scope, { maxLength: 63, separator: '-' }).toLowerCase().replace(/[^a-z0-9.-]/g, '-'),
      dataType: 'float32',
      dimension: options.dimensions,
      distanceMetric: this.distanceMetric,
      metadataConfiguration: { nonFilterableMetadataKeys: ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] },
    });
    // The vectors are user data: RETAIN by default, as the document bucket (a bucket is deleted only when empty).
    bucket.applyRemovalPolicy(options.removalPolicy);
    index.applyRemovalPolicy(options.removalPolicy);
    return {
      storageConfiguration: { type: 'S3_VECTORS', s3VectorsConfiguration: { indexArn: index.attrIndexArn } },
      statements: [new iam.PolicyStatement({
        sid: 'S3VectorsIndex',
        // The vector operations Bedrock performs on the index: GetIndex and QueryVectors when the knowledge base is
        // created and queried, PutVectors/GetVectors/ListVectors/DeleteVectors when it ingests, syncs and deletes
        // (the actions of https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3vectors.html ,
        // each on the Index resource type).
        actions: ['s3vectors:GetIndex', 's3vectors:QueryVectors', 's3vectors:PutVectors', 's3vectors:GetVectors', 's3vectors:ListVectors', 's3vectors:DeleteVectors'],
        resources: [index.attrIndexArn],
      })],
      resources: [bucket, index],
    };
  }
}

/**
 * The index's field names: the ones AWS's own CDK examples use for a Bedrock index on OpenSearch Serverless
 * (https://docs.aws.amazon.com/cdk/api/v2/docs/@aws-cdk_aws-bedrock-alpha.OpenSearchServerlessVectorStoreProps.html).
 */
const OSS_FIELDS = { vector: 'bedrock-knowledge-base-default-vector', text: 'AMAZON_BEDROCK_TEXT_CHUNK', metadata: 'AMAZON_BEDROCK_METADATA' };

/**
 * A name of 3-28 characters, `^[a-z][a-z0-9-]{2,27}$` (collections, security and access policies), derived from
 * `scope`'s path and ending in `suffix` (4 characters with its hyphen).
 */
function ossName(scope: Construct, suffix: string): string {
  // https://docs.aws.amazon.com/opensearch-service/latest/ServerlessAPIReference/API_CreateCollection.html (name);
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-opensearchserverless-securitypolicy.html (Name)
  // 28 at most: the CloudFormation property's limit for collections ("between 3 and 28 characters",
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-opensearchserverless-collection.html),
  // below the API's 32.
  const base = Names.uniqueResourceName(scope, { maxLength: 24, separator: '-' }).toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return `${/^[a-z]/.test(base) ? base : `k${base.slice(1)}`}-${suffix}`;
}

class OpenSearchServerlessStore extends VectorStore {
  public readonly storeType = 'OPENSEARCH_SERVERLESS';
  private readonly search: string;
  private readonly options: OpenSearchServerlessStoreOptions;

  constructor(options: OpenSearchServerlessStoreOptions) {
    super();
    this.options = options;
    const searchType = options.searchType ?? 'HYBRID';
    if (searchType !== 'HYBRID' && searchType !== 'SEMANTIC') {
      throw new Error(`VectorStore.openSearchServerless: searchType must be 'HYBRID' or 'SEMANTIC', got '${searchType}'.`);
    }
    // SEMANTIC is asked for too: without overrideSearchType Bedrock chooses, which may be hybrid on this store.
    this.search = searchType;
    for (const arn of options.readerArns ?? []) {
      if (!Token.isUnresolved(arn) && !/^arn:[a-z-]+:iam::\d{12}:(role|user)\/.+$/.test(arn)) {
        throw new Error(`VectorStore.openSearchServerless: readerArns: "${arn}" is not an IAM role or user ARN.`);
      }
    }
  }

  public get searchType(): string {
    return this.search;
  }

  public bind(scope: Construct, options: VectorStoreBindOptions): VectorStoreBinding {
    const stack = Stack.of(scope);
    if (!options.serviceRole) throw new Error('VectorStore.openSearchServerless: bind needs the knowledge base\'s serviceRole (its data access policy names it).');
    // the synthesizer's ARN has ${AWS::Partition}-style placeholders, for Fn::Sub
    const creator = this.options.indexCreatorArn
      ?? (stack.synthesizer instanceof DefaultStackSynthesizer ? Fn.sub(stack.synthesizer.cloudFormationExecutionRoleArn) : undefined);
    if (!creator) {
      throw new Error('VectorStore.openSearchServerless: the stack does not use the DefaultStackSynthesizer; set indexCreatorArn to the role CloudFormation deploys with.');
    }
    const collectionName = ossName(scope, 'vec');
    const resource = [`collection/${collectionName}`];
    const key = this.options.encryptionKey;
    // A collection needs an encryption policy whose rules match its name when it is created
    // (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-encryption.html; paraphrased,
    // the exact sentence was not checked in this session).
    const encryption = new aoss.CfnSecurityPolicy(scope, 'EncryptionPolicy', {
      name: ossName(scope, 'enc'),
      type: 'encryption',
      description: 'Encryption at rest of the knowledge base collection',
      policy: Stack.of(scope).toJsonString({
        Rules: [{ ResourceType: 'collection', Resource: resource }],
        ...(key ? { AWSOwnedKey: false, KmsARN: key.keyArn } : { AWSOwnedKey: true }),
      }),
    });
    // The collection's endpoint is reachable from the internet (no dashboard): access is decided by IAM
    // (`aoss:APIAccessAll`) and the data access policy below, on SigV4-signed requests
    // (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-network.html). Private access
    // for AWS services (`SourceServices: bedrock.amazonaws.com`) would admit Bedrock only, and CloudFormation's handler
    // of AWS::OpenSearchServerless::Index, which is not Bedrock, creates the index on that endpoint: no AWS page says
    // it gets through such a policy, so a private collection may not deploy. AWS's own CDK constructs for knowledge
    // bases (aws-bedrock-alpha) make the collection public for the same reason (docs/architecture.md).
    const network = new aoss.CfnSecurityPolicy(scope, 'NetworkPolicy', {
      name: ossName(scope, 'net'),
      type: 'network',
      description: 'The knowledge base collection endpoint (IAM and the data access policy decide who may use it)',
      policy: Stack.of(scope).toJsonString([{
        Rules: [{ ResourceType: 'collection', Resource: resource }],
        AllowFromPublic: true,
      }]),
    });
    const collection = new aoss.CfnCollection(scope, 'Collection', {
      name: collectionName,
      type: 'VECTORSEARCH',
      description: 'Vectors of the shared knowledge base',
      standbyReplicas: this.options.standbyReplicas ? 'ENABLED' : 'DISABLED',
    });
    collection.addDependency(encryption);
    collection.addDependency(network);
    const indexName = `${collectionName}-index`;
    // The index: FAISS HNSW (Bedrock filters on metadata only with faiss:
    // https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-base-ingest.html), the chunk text as a searchable
    // text field (hybrid search needs it: the KnowledgeBaseVectorSearchConfiguration page above), Bedrock's metadata
    // as a stored, not indexed, text field. The HNSW parameters (m 16, ef 512) are common choices, not from an AWS page.
    // Index names: ^(?![_-])[a-z][a-z0-9_-]*$ (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-opensearchserverless-index.html).
    const index = new aoss.CfnIndex(scope, 'VectorIndex', {
      collectionEndpoint: collection.attrCollectionEndpoint,
      indexName,
      settings: { index: { knn: true, knnAlgoParamEfSearch: 512 } },
      mappings: {
        properties: {
          [OSS_FIELDS.vector]: {
            type: 'knn_vector',
            dimension: options.dimensions,
            method: { engine: 'faiss', name: 'hnsw', spaceType: 'l2', parameters: { efConstruction: 512, m: 16 } },
          },
          [OSS_FIELDS.text]: { type: 'text', index: true },
          [OSS_FIELDS.metadata]: { type: 'text', index: false },
        },
      },
    });
    // The data access policy: the knowledge base's role describes the index and reads and writes its documents (what
    // Bedrock does when it is created, ingests, syncs, deletes and retrieves); CloudFormation's role manages the index;
    // readers read. Permissions: https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-data-access.html
    // (that this is all Bedrock needs is not confirmed by an AWS page found in this session: docs/architecture.md).
    const indexResource = [`index/${collectionName}/*`];
    const readers = this.options.readerArns ?? [];
    const access = new aoss.CfnAccessPolicy(scope, 'DataAccessPolicy', {
      name: ossName(scope, 'acc'),
      type: 'data',
      description: 'The knowledge base role reads and writes the vector index; CloudFormation manages it',
      policy: Stack.of(scope).toJsonString([
        {
          Description: 'Amazon Bedrock Knowledge Bases',
          Rules: [
            { ResourceType: 'collection', Resource: resource, Permission: ['aoss:DescribeCollectionItems'] },
            { ResourceType: 'index', Resource: indexResource, Permission: ['aoss:DescribeIndex', 'aoss:ReadDocument', 'aoss:WriteDocument'] },
          ],
          Principal: [options.serviceRole.roleArn],
        },
        {
          Description: 'CloudFormation (AWS::OpenSearchServerless::Index)',
          Rules: [
            { ResourceType: 'collection', Resource: resource, Permission: ['aoss:DescribeCollectionItems'] },
            { ResourceType: 'index', Resource: indexResource, Permission: ['aoss:CreateIndex', 'aoss:DescribeIndex', 'aoss:UpdateIndex', 'aoss:DeleteIndex'] },
          ],
          Principal: [creator],
        },
        ...(readers.length ? [{
          Description: 'Readers',
          Rules: [{ ResourceType: 'index', Resource: indexResource, Permission: ['aoss:DescribeIndex', 'aoss:ReadDocument'] }],
          Principal: readers,
        }] : []),
      ]),
    });
    // The index is created on the data plane: the collection must be active (the endpoint attribute orders it) and the
    // creator admitted first; the
    // knowledge base (made after the binding's resources, KnowledgeBaseFactory) is created after the index.
    index.addDependency(access);
    // The policies follow the collection: a retained collection keeps the policies that make it usable.
    for (const r of [encryption, network, access, collection, index]) r.applyRemovalPolicy(options.removalPolicy);
    return {
      storageConfiguration: {
        type: 'OPENSEARCH_SERVERLESS',
        opensearchServerlessConfiguration: {
          collectionArn: collection.attrArn,
          vectorIndexName: index.indexName,
          fieldMapping: { vectorField: OSS_FIELDS.vector, textField: OSS_FIELDS.text, metadataField: OSS_FIELDS.metadata },
        },
      },
      statements: [new iam.PolicyStatement({
        sid: 'OpenSearchServerlessCollection',
        // "aoss:APIAccessAll" on the collection: IAM's half of data plane access, the data access policy is the other
        // (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-permissions.html, "Permissions to access your vector
        // database in Amazon OpenSearch Service"; the action's resource type is Collection:
        // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonopensearchserverless.html).
        actions: ['aoss:APIAccessAll'],
        resources: [collection.attrArn],
      }),
      // A customer managed key of the vector store: the role may decrypt with it (kb-permissions.html above, "If you
      // encrypt ... your vector database in Amazon OpenSearch Service": permissions to decrypt the key)
      ...(key ? [new iam.PolicyStatement({ sid: 'OpenSearchServerlessKey', actions: ['kms:Decrypt'], resources: [key.keyArn] })] : [])],
      resources: [encryption, network, access, collection, index],
      dependencies: [index],
    };
  }
}
