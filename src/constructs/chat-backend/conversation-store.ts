import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { ChatBackendProps } from './chat-backend';
import { BackendContext, grant } from './context';
import { PENDING_TAG } from '../../lambdas/core/limits';
import { createAccessLogsBucket, logServerAccessTo, secureTableProps } from '../private/defaults';
import { acknowledge } from '../private/nag';

/** Prefix of the uploaded attachments in the large-message bucket (see `POST /uploads`). */
export const UPLOADS_PREFIX = 'uploads/';

/** The index listing a user's conversations by recency. */
const BY_UPDATED_AT = 'byUpdatedAt';

/** The store props, validated. */
export interface ConversationStoreOptions {
  readonly corsAllowedOrigins?: string[];
  readonly attachmentRetention?: Duration;
}

/** Validates `attachmentRetention`. */
export function conversationStoreOptions(props: ChatBackendProps): ConversationStoreOptions {
  if (props.attachmentRetention !== undefined) validateAttachmentRetention(props.attachmentRetention);
  return { corsAllowedOrigins: props.corsAllowedOrigins, attachmentRetention: props.attachmentRetention };
}

/**
 * The conversation store of `ChatBackend`: the table (conversations, messages, request items), the bucket of
 * attachments and large messages, and the bucket receiving its access logs. Functions get access only through the
 * grant helpers, each naming exactly the actions and the resources (the table, its index, the uploads prefix).
 */
export class ConversationStore {
  public readonly table: dynamodb.Table;
  public readonly accessLogsBucket: s3.Bucket;
  public readonly largeMessageBucket: s3.Bucket;
  /** The origin browsers upload attachments to. */
  public readonly uploadOrigin: string;

  constructor(ctx: BackendContext, options: ConversationStoreOptions) {
    const scope = ctx.scope;
    const removalPolicy = ctx.removalPolicy;
    this.table = new dynamodb.Table(scope, 'ConversationTable', {
      ...secureTableProps({
        removalPolicy,
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      }),
      // Request items (REQ#<requestId>: idempotency and the stop flag) expire a day after they are written.
      timeToLiveAttribute: 'expiresAt',
    });
    this.table.addGlobalSecondaryIndex({
      indexName: BY_UPDATED_AT,
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.accessLogsBucket = createAccessLogsBucket(scope, 'AccessLogsBucket', {
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    this.largeMessageBucket = new s3.Bucket(scope, 'LargeMessageBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
      versioned: false,
      // The browser PUTs attachments with the presigned URL of POST /uploads, signed for exactly this content type.
      cors: [{
        allowedMethods: [s3.HttpMethods.PUT],
        allowedOrigins: options.corsAllowedOrigins ?? ['*'],
        // x-amz-tagging: the signed `pending` tag of the upload (see ExpireUnreferencedUploads).
        allowedHeaders: ['content-type', 'x-amz-tagging'],
        maxAge: Duration.hours(1).toSeconds(),
      }],
      lifecycleRules: [
        { id: 'AbortIncompleteMultipartUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // An upload is tagged pending=true by its presigned PUT; storing a message that references it removes the tag
        // (ws handler). Uploads never referenced keep it and expire a day after they were written. The filter is
        // prefix AND tag ("You can combine different filter elements in which case Amazon S3 uses a logical AND":
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-filters.html).
        { id: 'ExpireUnreferencedUploads', prefix: UPLOADS_PREFIX, tagFilters: { [PENDING_TAG.key]: PENDING_TAG.value }, expiration: Duration.days(1) },
        ...(options.attachmentRetention
          ? [{ id: 'ExpireAttachments', prefix: UPLOADS_PREFIX, expiration: options.attachmentRetention }]
          : []),
      ],
    });
    logServerAccessTo(this.largeMessageBucket, this.accessLogsBucket, 'large-message-bucket/');
    this.uploadOrigin = `https://${this.largeMessageBucket.bucketRegionalDomainName}`;
  }

  /** Exactly `actions` on the table (not its indexes). */
  public grantTable(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    return grant(grantee, actions, [this.table.tableArn]);
  }

  /** Exactly `actions` on the `byUpdatedAt` index. */
  public grantRecencyIndex(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    return grant(grantee, actions, [`${this.table.tableArn}/index/${BY_UPDATED_AT}`]);
  }

  /** Read access to conversations and messages: see `ChatBackend.grantReadConversations`. */
  public grantReadConversations(grantee: iam.IGrantable): iam.Grant {
    return grant(grantee, ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
      [this.table.tableArn, `${this.table.tableArn}/index/${BY_UPDATED_AT}`]);
  }

  /** Exactly `actions` on the attachments (`uploads/*` of the large-message bucket). */
  public grantUploads(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    return grant(grantee, actions, [this.largeMessageBucket.arnForObjects(`${UPLOADS_PREFIX}*`)]);
  }

  /** Exactly `actions` on the large-message bucket itself (not its objects). */
  public grantBucket(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    return grant(grantee, actions, [this.largeMessageBucket.bucketArn]);
  }

  /** Acknowledges on `role` the wildcard of `grantUploads` (attachment keys exist only at run time). */
  public acknowledgeUploadsWildcard(role: iam.IRole): void {
    const bucketId = Stack.of(this.largeMessageBucket).getLogicalId(this.largeMessageBucket.node.defaultChild as s3.CfnBucket);
    acknowledge(role, {
      id: 'AwsSolutions-IAM5',
      appliesTo: [`Resource::<${bucketId}.Arn>/${UPLOADS_PREFIX}*`],
      reason: 'Attachment keys (uploads/<userId>/<ulid>/<name>) are created at run time; the grant is limited to the uploads/ prefix of this bucket, and the API checks that a key lies under the caller\'s own prefix.',
    });
  }
}

function validateAttachmentRetention(retention: Duration): void {
  if (retention.isUnresolved()) return;
  const days = retention.toDays({ integral: false });
  if (!Number.isInteger(days) || days < 1) {
    throw new Error(`ChatBackend: attachmentRetention must be a whole number of days, at least 1 (S3 lifecycle rules count days); got ${retention.toHumanString()}`);
  }
}
