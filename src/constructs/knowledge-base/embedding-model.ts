import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * The embedding model of a knowledge base (an enum-like class): the model id and the vector dimension its index is
 * created with. The dimension of an S3 Vectors index is immutable
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_S3VectorBuckets_CreateIndex.html), so changing the model
 * replaces the index and the knowledge base.
 */
export class EmbeddingModel {
  /**
   * Amazon Titan Text Embeddings V2 at 1024 dimensions (its default output size): the default.
   * https://docs.aws.amazon.com/bedrock/latest/userguide/titan-embedding-models.html
   */
  public static readonly TITAN_EMBED_TEXT_V2_1024 = new EmbeddingModel('amazon.titan-embed-text-v2:0', 1024);
  /** Amazon Titan Text Embeddings V2 at 512 dimensions (smaller vectors, lower storage cost). */
  public static readonly TITAN_EMBED_TEXT_V2_512 = new EmbeddingModel('amazon.titan-embed-text-v2:0', 512);
  /** Amazon Titan Text Embeddings V2 at 256 dimensions. */
  public static readonly TITAN_EMBED_TEXT_V2_256 = new EmbeddingModel('amazon.titan-embed-text-v2:0', 256);
  /**
   * Cohere Embed Multilingual v3 (1024 dimensions), for documents in many languages.
   * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html
   */
  public static readonly COHERE_EMBED_MULTILINGUAL_V3 = new EmbeddingModel('cohere.embed-multilingual-v3', 1024);

  /**
   * Another foundation model that Knowledge Bases can embed with.
   * @param modelId the foundation model id, e.g. `amazon.titan-embed-text-v2:0`
   * @param dimensions the vector dimension the model outputs (1-4096, the S3 Vectors range)
   */
  public static of(modelId: string, dimensions: number): EmbeddingModel {
    return new EmbeddingModel(modelId, dimensions);
  }

  /** The foundation model id. */
  public readonly modelId: string;
  /** The vector dimension. */
  public readonly dimensions: number;

  private constructor(modelId: string, dimensions: number) {
    if (!/^[a-z0-9-]+\.[A-Za-z0-9.:-]+$/.test(modelId)) throw new Error(`EmbeddingModel: "${modelId}" is not a foundation model id (e.g. amazon.titan-embed-text-v2:0).`);
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 4096) throw new Error(`EmbeddingModel: dimensions must be an integer between 1 and 4096, got ${dimensions}.`);
    this.modelId = modelId;
    this.dimensions = dimensions;
  }

  /** The foundation model ARN in the scope's region: `arn:<partition>:bedrock:<region>::foundation-model/<id>`. */
  public modelArn(scope: Construct): string {
    return Stack.of(scope).formatArn({ service: 'bedrock', account: '', resource: 'foundation-model', resourceName: this.modelId });
  }
}
