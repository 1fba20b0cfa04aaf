import { Names, RemovalPolicy } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
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

/** What `VectorStore.bind` is given. */
export interface VectorStoreBindOptions {
  /** The vector dimension (the embedding model's). */
  readonly dimensions: number;
  /** What happens to the store's data when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
}

/** What a vector store adds to a knowledge base when it is bound. */
export interface VectorStoreBinding {
  /** `StorageConfiguration` of the `AWS::Bedrock::KnowledgeBase`. */
  readonly storageConfiguration: bedrock.CfnKnowledgeBase.StorageConfigurationProperty;
  /** The permissions the knowledge base's service role needs on the store. */
  readonly statements: iam.PolicyStatement[];
  /** The store's resources, for escape hatches (`node.defaultChild` of each). */
  readonly resources: Construct[];
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

  /** The store type, as `StorageConfiguration.Type` names it (`S3_VECTORS`). */
  public abstract readonly storeType: string;

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
