import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { KnowledgeApiFunction } from '../../lambdas/knowledge-api-function';
import { BackendParts, grant } from '../chat-backend/context';
import { acknowledge } from '../private/nag';

/** The paths the knowledge-api function serves (src/lambdas/core/knowledge-routes.ts): every one under `/knowledge/`. */
export const KNOWLEDGE_API_PATHS = ['/knowledge/{proxy+}'];

/** What the documents part is built on. */
export interface DocumentsApiOptions {
  readonly backend: BackendParts;
  readonly documentBucket: s3.Bucket;
  readonly knowledgeBaseId: string;
  readonly knowledgeBaseArn: string;
  /** The CUSTOM data source documents are ingested into. */
  readonly dataSourceId: string;
  /** The cdk-nag rendering of the document bucket's ARN (`<Logical.Arn>`). */
  readonly bucketFinding: string;
}

/**
 * The documents of bots (docs/knowledge-contract.md, "REST"): the knowledge-api function (created with the backend's
 * function factory: its log group, role and conventions), routed at `/knowledge/{proxy+}` behind the backend's JWT
 * authorizer, and what it, the bots-api function and the bot cleanup function need of the knowledge base:
 *
 * - knowledge-api: the bot table (bots read, `documentCount` ADDed, document records `DOC#<id>` written), the user
 *   pool's AdminListGroupsForUser (shares with groups, admins), the document bucket's `uploads/*` (presigned PUT,
 *   HEAD, delete) and `documents/*` (copy in, presigned GET, delete), and Ingest/Get/DeleteKnowledgeBaseDocuments on
 *   the knowledge base;
 * - bots-api: `KNOWLEDGE_BASE_ID` only (bots then carry `knowledge: {documentCount}`);
 * - bot cleanup: the records (Query, DeleteItem), listing and deleting under `documents/` and `uploads/`, and
 *   DeleteKnowledgeBaseDocuments.
 */
export class DocumentsApi {
  public readonly function: lambda.Function;

  constructor(options: DocumentsApiOptions) {
    const { backend, documentBucket: bucket } = options;
    const knowledgeEnv = {
      KNOWLEDGE_BASE_ID: options.knowledgeBaseId,
      KNOWLEDGE_DATA_SOURCE_ID: options.dataSourceId,
      KNOWLEDGE_BUCKET: bucket.bucketName,
    };

    this.function = backend.ctx.functions.create('KnowledgeApiHandler', KnowledgeApiFunction, {
      description: 'bedrock-chat: REST API of bots\' documents (uploads, ingestion into the knowledge base, sources)',
      timeout: Duration.seconds(29),
      memorySize: 512,
      environment: knowledgeEnv,
    });
    backend.bots.addEnvironment(this.function);
    backend.bots.grantTable(this.function, ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']);
    backend.bots.grantUserPool(this.function, ['cognito-idp:AdminListGroupsForUser']);
    // HeadObject needs s3:GetObject; CopyObject s3:GetObject on the source and s3:PutObject on the target
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
    grant(this.function, ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'], [bucket.arnForObjects('uploads/*'), bucket.arnForObjects('documents/*')]);
    grant(this.function, ['bedrock:IngestKnowledgeBaseDocuments', 'bedrock:GetKnowledgeBaseDocuments', 'bedrock:DeleteKnowledgeBaseDocuments'], [options.knowledgeBaseArn]);
    acknowledge(this.function.role!, {
      id: 'AwsSolutions-IAM5',
      reason: 'Documents of bots live under uploads/<botId>/ and documents/<botId>/ of the document bucket; the keys are chosen at runtime.',
      appliesTo: [`Resource::${options.bucketFinding}/uploads/*`, `Resource::${options.bucketFinding}/documents/*`],
    });
    backend.rest.addAuthorizedRoutes('KnowledgeApiIntegration', this.function, KNOWLEDGE_API_PATHS);
    backend.addFunctionAlarms('KnowledgeApiHandler', this.function);

    backend.botsApi.function.addEnvironment('KNOWLEDGE_BASE_ID', options.knowledgeBaseId);
    // A bot with documents that moves to a knowledge base of its own leaves the shared one: bots-api deletes its
    // documents from the CUSTOM data source (the dedicated one's first sync ingests them from documents/<botId>/).
    backend.botsApi.function.addEnvironment('KNOWLEDGE_DATA_SOURCE_ID', options.dataSourceId);
    grant(backend.botsApi.function, ['bedrock:DeleteKnowledgeBaseDocuments'], [options.knowledgeBaseArn]);

    const cleanup = backend.cleanup.function;
    for (const [k, v] of Object.entries(knowledgeEnv)) cleanup.addEnvironment(k, v);
    backend.bots.grantTable(cleanup, ['dynamodb:Query', 'dynamodb:DeleteItem']);
    cleanup.addToRolePolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': ['uploads/*', 'documents/*'] } },
    }));
    grant(cleanup, ['s3:DeleteObject'], [bucket.arnForObjects('uploads/*'), bucket.arnForObjects('documents/*')]);
    grant(cleanup, ['bedrock:DeleteKnowledgeBaseDocuments'], [options.knowledgeBaseArn]);
    acknowledge(cleanup.role!, {
      id: 'AwsSolutions-IAM5',
      reason: 'A deleted bot\'s objects under uploads/<botId>/ and documents/<botId>/ are found by listing; the bot ids are known at runtime.',
      appliesTo: [`Resource::${options.bucketFinding}/uploads/*`, `Resource::${options.bucketFinding}/documents/*`],
    });
  }
}
