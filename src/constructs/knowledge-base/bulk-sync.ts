import { CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { createLogGroup, secureTableProps } from '../private/defaults';
import { acknowledge } from '../private/nag';

export interface BulkSyncOptions {
  readonly bucket: s3.Bucket;
  /** The key prefix the data source reads (`bulk/`). */
  readonly prefix: string;
  readonly knowledgeBaseId: string;
  readonly knowledgeBaseArn: string;
  readonly dataSourceId: string;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
  /** How long the machine waits between two polls of a running ingestion job. */
  readonly pollInterval: Duration;
}

/** How long a job may run before the machine gives up on it (and releases the data source for the next change). */
const MAX_JOB_WAIT = Duration.hours(12);

/** The sync state's one item per data source: `pk` = `SYNC#<dataSourceId>`. */
export const SYNC_KEY_PREFIX = 'SYNC#';

/**
 * The ingestion of bulk knowledge (the reference architecture's "embedding state machine", made of SDK integrations
 * only, no function): every object created or deleted under `bulk/` (S3's EventBridge events) starts an execution;
 * ingestion jobs of the data source run one at a time and the changes that arrive meanwhile are coalesced into the
 * next job. Bedrock allows one running ingestion job per data source ("You can run one ingestion job at a time per
 * data source": https://docs.aws.amazon.com/bedrock/latest/userguide/kb-data-source-sync-ingest.html).
 *
 * How executions coalesce, with one item in the sync table:
 * 1. `MarkPending` sets `pending = true` (every execution);
 * 2. `Claim` sets `runner` to the execution's id if no runner is set; if one is, this execution ends: the runner
 *    sees `pending` and runs another job for it;
 * 3. the runner clears `pending`, starts a job (retrying while Bedrock reports another job running), polls it to an
 *    end state and records the outcome (`status`: QUEUED, RUNNING, SUCCEEDED or FAILED, the job's statistics, its
 *    failure reasons: a COMPLETE job can still have failed documents, `failedDocuments`);
 * 4. `Release` removes `runner` only while `pending` is false; if a change came in during the job the condition
 *    fails and the runner loops to 3. A change after the release finds no runner and claims it.
 * On any error the runner records FAILED with the error and releases, so the next change starts afresh.
 */
export class BulkSync {
  public readonly stateMachine: sfn.StateMachine;
  public readonly table: dynamodb.Table;
  public readonly rule: events.Rule;

  constructor(scope: Construct, options: BulkSyncOptions) {
    this.table = new dynamodb.Table(scope, 'SyncTable', secureTableProps({
      removalPolicy: options.removalPolicy,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    }));
    const table = this.table;
    const key = { pk: tasks.DynamoAttributeValue.fromString(`${SYNC_KEY_PREFIX}${options.dataSourceId}`) };
    // Times come from the context object's execution start and from Bedrock's job (StartedAt, UpdatedAt): Step
    // Functions' JSONPath has no clock (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
    const changedAt = tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.StartTime'));
    const str = (v: string) => tasks.DynamoAttributeValue.fromString(v);
    const bool = (v: boolean) => tasks.DynamoAttributeValue.fromBoolean(v);
    // The DynamoDB integration names a failed condition DynamoDB.ConditionalCheckFailedException
    // (https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html); SDK integrations name errors
    // `<Service>.<Error>Exception` in PascalCase (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html).
    const conditionFailed = ['DynamoDB.ConditionalCheckFailedException'];
    const update = (id: string, props: Omit<tasks.DynamoUpdateItemProps, 'table' | 'key'>) =>
      new tasks.DynamoUpdateItem(scope, id, { table, key, resultPath: sfn.JsonPath.DISCARD, ...props });

    const markPending = update('MarkPending', {
      comment: 'A change under bulk/: the data source needs a job',
      updateExpression: 'SET pending = :yes, changedAt = :changedAt, #status = if_not_exists(#status, :queued)',
      expressionAttributeNames: { '#status': 'status' },
      expressionAttributeValues: { ':yes': bool(true), ':changedAt': changedAt, ':queued': str('QUEUED') },
    });
    const claim = update('Claim', {
      comment: 'Become the runner, unless another execution is: it will run the pending change',
      updateExpression: 'SET runner = :me',
      conditionExpression: 'attribute_not_exists(runner)',
      expressionAttributeValues: { ':me': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.Id')) },
    });
    const coalesced = new sfn.Succeed(scope, 'Coalesced', { comment: 'Another execution runs the jobs; it saw this change' });
    const takePending = update('TakePending', {
      comment: 'The next job takes every change so far',
      updateExpression: 'SET pending = :no, #status = :queued REMOVE failureReasons, jobError',
      expressionAttributeNames: { '#status': 'status' },
      expressionAttributeValues: { ':no': bool(false), ':queued': str('QUEUED') },
    });
    const startJob = new tasks.CallAwsService(scope, 'StartIngestionJob', {
      service: 'bedrockagent',
      action: 'startIngestionJob',
      parameters: {
        KnowledgeBaseId: options.knowledgeBaseId,
        DataSourceId: options.dataSourceId,
        // at least 33 characters (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_StartIngestionJob.html)
        ClientToken: sfn.JsonPath.uuid(),
      },
      iamAction: 'bedrock:StartIngestionJob',
      iamResources: [options.knowledgeBaseArn],
      resultSelector: { 'jobId.$': '$.IngestionJob.IngestionJobId', 'startedAt.$': '$.IngestionJob.StartedAt', 'polls': 0 },
      resultPath: '$.job',
    });
    // A job started outside this machine (the console, StartIngestionJob by hand) is waited for.
    startJob.addRetry({ errors: ['BedrockAgent.ConflictException'], interval: Duration.seconds(30), maxAttempts: 20, backoffRate: 1.5 });
    startJob.addRetry({ errors: ['BedrockAgent.ThrottlingException', 'BedrockAgent.InternalServerException'], interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2 });
    const recordStarted = update('RecordStarted', {
      updateExpression: 'SET jobId = :job, #status = :running, startedAt = :startedAt',
      expressionAttributeNames: { '#status': 'status' },
      expressionAttributeValues: { ':job': str(sfn.JsonPath.stringAt('$.job.jobId')), ':running': str('RUNNING'), ':startedAt': str(sfn.JsonPath.stringAt('$.job.startedAt')) },
    });
    const wait = new sfn.Wait(scope, 'WaitForJob', { time: sfn.WaitTime.duration(options.pollInterval) });
    const countPoll = new sfn.Pass(scope, 'CountPoll', {
      parameters: { 'jobId.$': '$.job.jobId', 'startedAt.$': '$.job.startedAt', 'polls.$': 'States.MathAdd($.job.polls, 1)' },
      resultPath: '$.job',
    });
    const maxPolls = Math.ceil(MAX_JOB_WAIT.toSeconds() / options.pollInterval.toSeconds());
    const tooLong = new sfn.Pass(scope, 'JobTooLong', {
      parameters: { Error: 'JobTooLong', Cause: `The ingestion job was still running after ${MAX_JOB_WAIT.toHumanString()}` },
      resultPath: '$.error',
    });

    const getJob = new tasks.CallAwsService(scope, 'GetIngestionJob', {
      service: 'bedrockagent',
      action: 'getIngestionJob',
      parameters: {
        KnowledgeBaseId: options.knowledgeBaseId,
        DataSourceId: options.dataSourceId,
        IngestionJobId: sfn.JsonPath.stringAt('$.job.jobId'),
      },
      iamAction: 'bedrock:GetIngestionJob',
      iamResources: [options.knowledgeBaseArn],
      resultSelector: { 'Status.$': '$.IngestionJob.Status', 'IngestionJob.$': '$.IngestionJob' },
      resultPath: '$.job.state',
    });
    getJob.addRetry({ errors: ['BedrockAgent.ThrottlingException', 'BedrockAgent.InternalServerException'], interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2 });
    const pollAgain = new sfn.Choice(scope, 'PollAgain')
      .when(sfn.Condition.numberGreaterThan('$.job.polls', maxPolls), tooLong)
      .otherwise(getJob);

    // The outcome: the job's statistics as JSON, its failure reasons when it has some
    // (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_IngestionJob.html: status, statistics, failureReasons).
    const stats = str(sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.job.state.IngestionJob.Statistics')));
    const failed = tasks.DynamoAttributeValue.numberFromString(sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.job.state.IngestionJob.Statistics.NumberOfDocumentsFailed')));
    const recordOutcome = (id: string, status: string, withReasons: boolean) => update(id, {
      updateExpression: `SET #status = :status, jobStatus = :jobStatus, statistics = :stats, failedDocuments = :failed, finishedAt = :finishedAt${withReasons ? ', failureReasons = :reasons' : ''}`,
      expressionAttributeNames: { '#status': 'status' },
      expressionAttributeValues: {
        ':status': str(status),
        ':jobStatus': str(sfn.JsonPath.stringAt('$.job.state.Status')),
        ':stats': stats,
        ':failed': failed,
        ':finishedAt': str(sfn.JsonPath.stringAt('$.job.state.IngestionJob.UpdatedAt')),
        ...(withReasons ? { ':reasons': str(sfn.JsonPath.jsonToString(sfn.JsonPath.listAt('$.job.state.IngestionJob.FailureReasons'))) } : {}),
      },
    });
    const release = update('Release', {
      comment: 'Stop being the runner, unless a change came in during the job',
      updateExpression: 'REMOVE runner',
      conditionExpression: 'pending = :no AND runner = :me',
      expressionAttributeValues: { ':no': bool(false), ':me': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.Id')) },
    });
    const done = new sfn.Succeed(scope, 'Synced');
    release.addCatch(takePending, { errors: conditionFailed, resultPath: sfn.JsonPath.DISCARD });
    release.next(done);

    const hasReasons = (id: string, status: string) => new sfn.Choice(scope, `${id}Reasons`)
      .when(sfn.Condition.isPresent('$.job.state.IngestionJob.FailureReasons'), recordOutcome(`${id}WithReasons`, status, true).next(release))
      .otherwise(recordOutcome(id, status, false).next(release));
    const ended = new sfn.Choice(scope, 'JobEnded')
      .when(sfn.Condition.stringEquals('$.job.state.Status', 'COMPLETE'), hasReasons('RecordSucceeded', 'SUCCEEDED'))
      .when(sfn.Condition.or(sfn.Condition.stringEquals('$.job.state.Status', 'FAILED'), sfn.Condition.stringEquals('$.job.state.Status', 'STOPPED')),
        hasReasons('RecordFailed', 'FAILED'))
      .otherwise(wait);

    // Any other error: record it, stop being the runner, fail the execution (the next change starts afresh).
    const recordError = update('RecordError', {
      updateExpression: 'SET #status = :failed, jobError = :error REMOVE runner',
      expressionAttributeNames: { '#status': 'status' },
      expressionAttributeValues: { ':failed': str('FAILED'), ':error': str(sfn.JsonPath.stringAt('$.error.Error')) },
    });
    const failState = new sfn.Fail(scope, 'SyncFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    recordError.next(failState);
    for (const step of [takePending, startJob, recordStarted, getJob]) step.addCatch(recordError, { errors: ['States.ALL'], resultPath: '$.error' });

    takePending.next(startJob);
    startJob.next(recordStarted);
    recordStarted.next(wait);
    wait.next(countPoll);
    countPoll.next(pollAgain);
    tooLong.next(recordError);
    getJob.next(ended);
    claim.addCatch(coalesced, { errors: conditionFailed, resultPath: sfn.JsonPath.DISCARD });
    claim.next(takePending);
    markPending.next(claim);

    const logGroup = createLogGroup(scope, 'SyncLogs', { retention: options.logRetention, removalPolicy: options.removalPolicy });
    this.stateMachine = new sfn.StateMachine(scope, 'SyncStateMachine', {
      comment: 'Ingestion jobs of the bulk data source: one at a time, changes coalesced (see bulk-sync.ts)',
      definitionBody: sfn.DefinitionBody.fromChainable(markPending),
      stateMachineType: sfn.StateMachineType.STANDARD,
      // No execution timeout: a timed-out execution would keep `runner` and stall every later change. The poll loop
      // is bounded instead (maxPolls), and its end releases the runner like any other error.
      tracingEnabled: true,
      // Execution data (object keys, job ids) stays out of the logs.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });

    // aws-cdk-lib makes the machine depend on its role and the role's policy; the role is already referenced by
    // RoleArn (cfn-lint W3005), so only the policy stays in DependsOn (a GetAtt is an implicit dependency:
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-dependson.html).
    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy')?.node.defaultChild as CfnResource | undefined;
    if (policy) (this.stateMachine.node.defaultChild as CfnResource).addOverride('DependsOn', [Stack.of(scope).getLogicalId(policy)]);
    acknowledge(this.stateMachine.role, {
      id: 'AwsSolutions-IAM5',
      reason: 'Step Functions needs these actions on "*" to trace with X-Ray and to deliver its logs: xray:PutTraceSegments, PutTelemetryRecords, '
        + 'GetSamplingRules and GetSamplingTargets and the logs:*LogDelivery actions take no resource '
        + '(https://docs.aws.amazon.com/step-functions/latest/dg/xray-iam.html, https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).',
      appliesTo: ['Resource::*'],
    });

    // S3 sends object events to EventBridge when the bucket enables it
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html; event shapes:
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html).
    // Set on the bucket itself: Bucket.enableEventBridgeNotification() would add a custom resource and its function.
    (options.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    this.rule = new events.Rule(scope, 'BulkChangeRule', {
      description: 'Objects created or deleted under the bulk/ prefix of the document bucket: sync the bulk data source',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created', 'Object Deleted'],
        detail: { bucket: { name: [options.bucket.bucketName] }, object: { key: [{ prefix: options.prefix }] } },
      },
      targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({ key: events.EventField.fromPath('$.detail.object.key') }) })],
    });
  }
}
