import { Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

/**
 * Secure defaults shared by every construct of the library, in one place.
 * Nothing here is exported from the package.
 */

/** Default retention of every log group the library creates. */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

/** Default removal policy for anything that holds user data (tables, buckets, user pools, logs). */
export const DEFAULT_REMOVAL_POLICY = RemovalPolicy.RETAIN;

/**
 * A bucket that receives S3 server access logs (and CloudFront standard logs when `forCloudFrontLogs`).
 * It cannot log to itself: the finding is acknowledged with that reason.
 */
export function createAccessLogsBucket(scope: Construct, id: string, options: {
  readonly removalPolicy: RemovalPolicy;
  readonly forCloudFrontLogs?: boolean;
  readonly autoDeleteObjects?: boolean;
}): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    // CloudFront standard logs and S3 server access logs only support SSE-S3 on the destination.
    encryption: s3.BucketEncryption.S3_MANAGED,
    // CloudFront standard logging writes with ACLs; S3 server access logging uses the bucket policy.
    objectOwnership: options.forCloudFrontLogs ? s3.ObjectOwnership.BUCKET_OWNER_PREFERRED : s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: false,
    lifecycleRules: [{ expiration: Duration.days(365), abortIncompleteMultipartUploadAfter: Duration.days(7) }],
    removalPolicy: options.removalPolicy,
    autoDeleteObjects: options.autoDeleteObjects,
  });
  acknowledge(bucket, {
    id: 'AwsSolutions-S1',
    reason: 'This bucket is the access-log destination itself; logging it into itself would loop and another log bucket would only move the finding.',
  });
  return bucket;
}

/**
 * Props of a private, encrypted, TLS-only bucket. Give it server access logs with `logServerAccessTo` (a bucket
 * policy on the log bucket), not `serverAccessLogsBucket`, which without the `serverAccessLogsUseBucketPolicy` flag
 * puts the legacy `LogDeliveryWrite` ACL on the log bucket (cfn-lint W3045).
 */
export function secureBucketProps(options: {
  readonly removalPolicy: RemovalPolicy;
}): s3.BucketProps {
  return {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    encryption: s3.BucketEncryption.S3_MANAGED,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: options.removalPolicy,
  };
}

/**
 * S3 server access logs of `bucket` delivered to `target` under `prefix`, authorized by a bucket policy on `target`
 * (the logging service principal, limited to this source bucket and account) whatever the app's
 * `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` flag says. Without the flag, `serverAccessLogsBucket` would put
 * the `LogDeliveryWrite` ACL on `target`, which a bucket with ACLs disabled (`BUCKET_OWNER_ENFORCED`) refuses.
 */
export function logServerAccessTo(bucket: s3.Bucket, target: s3.Bucket, prefix: string): void {
  // No dependency of `bucket` on the policy: the policy names `bucket` (a cycle). S3 delivers logs with a delay and
  // checks the policy at delivery, as with aws-cdk-lib's own bucket-policy mode.
  target.addToResourcePolicy(new iam.PolicyStatement({
    sid: `S3ServerAccessLogs${Names.uniqueId(bucket).slice(-24)}`,
    principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
    actions: ['s3:PutObject'],
    resources: [target.arnForObjects(`${prefix}*`)],
    conditions: {
      ArnLike: { 'aws:SourceArn': bucket.bucketArn },
      StringEquals: { 'aws:SourceAccount': Stack.of(bucket).account },
    },
  }));
  (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
    destinationBucketName: target.bucketName,
    logFilePrefix: prefix,
  };
}

/** Props of an on-demand table with point-in-time recovery and KMS encryption (AWS managed key). */
export function secureTableProps(options: {
  readonly removalPolicy: RemovalPolicy;
  readonly partitionKey: dynamodb.Attribute;
  readonly sortKey?: dynamodb.Attribute;
}): dynamodb.TableProps {
  return {
    partitionKey: options.partitionKey,
    sortKey: options.sortKey,
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    deletionProtection: options.removalPolicy === RemovalPolicy.RETAIN,
    removalPolicy: options.removalPolicy,
  };
}

/** A log group with retention and the construct's removal policy. */
export function createLogGroup(scope: Construct, id: string, options: {
  readonly retention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    retention: options.retention,
    removalPolicy: options.removalPolicy,
  });
}

/**
 * A Lambda execution role that can write only to its own log group: no AWS managed policy
 * (AWSLambdaBasicExecutionRole would allow every log group in the account).
 */
export function createFunctionRole(scope: Construct, id: string, logGroup: logs.ILogGroup): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  }));
  return role;
}

