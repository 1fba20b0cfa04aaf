import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Bots } from './bots';
import { BackendContext, grant } from './context';
import { BotCleanupFunction } from '../../lambdas/bot-cleanup-function';
import { BOT_INDEXES } from '../../lambdas/core/bot-keys';
import { acknowledge } from '../private/nag';

/**
 * The filter of the bot deletion pipe: REMOVE records (an item deleted:
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_Record.html) whose keys are those of a
 * bot item (`pk` `BOT#<id>`, `sk` `BOT`; `Keys` is in every record whatever the view type:
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_StreamRecord.html). Pipes filter the
 * record's fields with EventBridge event patterns (`eventName` is a metadata field, `dynamodb` the record's body:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-filtering.html); records filtered out are
 * not delivered and not billed.
 */
export const BOT_REMOVAL_PATTERN = {
  eventName: ['REMOVE'],
  dynamodb: { Keys: { pk: { S: [{ prefix: 'BOT#' }] }, sk: { S: ['BOT'] } } },
};

/** The pipe's batch size: 10 deleted bots per invocation (DynamoDB stream sources take 1 to 10,000). */
export const BOT_CLEANUP_BATCH_SIZE = 10;

/**
 * The bot deletion pipe (issue 11; the reference architecture's "bot deletion pipe"): the bot table's stream feeds an
 * EventBridge Pipe (`AWS::Pipes::Pipe`, the L1 `CfnPipe`: the L2 is only in the alpha packages, which this library
 * does not depend on) filtered to the removals of bot items, whose target is the `bot-cleanup` function
 * (src/lambdas/bot-cleanup.lambda.ts; the cleaners: src/lambdas/core/bot-cleanup.ts).
 *
 * Failure handling (https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_PipeSourceDynamoDBStreamParameters.html):
 * the target is invoked synchronously (REQUEST_RESPONSE), so a failed cleanup is an error the pipe sees; it retries a
 * failed batch up to 10 times, halving it each time (`AUTOMATIC_BISECT`) so one bad record does not hold the others,
 * and discards records older than a day (the stream keeps 24 hours anyway); what is still failing then goes to a
 * dead-letter queue (SQS, 14 days), which keeps the record's stream position for inspection. The cleaners are
 * idempotent (the pipe delivers at least once). Starting position TRIM_HORIZON: a deletion written before the pipe
 * became active is still cleaned.
 */
export class BotCleanup {
  public readonly function: lambda.Function;
  public readonly pipe: pipes.CfnPipe;
  public readonly role: iam.Role;
  public readonly deadLetterQueue: sqs.Queue;

  constructor(ctx: BackendContext, bots: Bots) {
    const scope = ctx.scope;
    this.function = ctx.functions.create('BotCleanup', BotCleanupFunction, {
      description: 'bedrock-chat: cleans up after a deleted bot (stars, recents, shares, its guardrail), from the bot deletion pipe',
      timeout: Duration.minutes(1),
      memorySize: 256,
      environment: { BOT_TABLE_NAME: bots.table.tableName },
    });
    // What it removes: the per-user items of the bot (found through byBot) and the guardrail the bot defined.
    bots.grantIndexes(this.function, ['dynamodb:Query'], [BOT_INDEXES.byBot]);
    bots.grantTable(this.function, ['dynamodb:BatchWriteItem']);
    grant(this.function, ['bedrock:DeleteGuardrail'], [bots.guardrailsArn()]);
    acknowledge(this.function.role!, {
      id: 'AwsSolutions-IAM5',
      appliesTo: [bots.guardrailsFinding()],
      reason: 'A bot\'s guardrail gets its id from Bedrock when the bot is saved; DeleteGuardrail is limited to the guardrails of this account and Region.',
    });

    this.deadLetterQueue = new sqs.Queue(scope, 'BotCleanupDeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: ctx.removalPolicy,
    });
    acknowledge(this.deadLetterQueue, {
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the bot deletion pipe (Pipes DeadLetterConfig), which cdk-nag cannot see.',
    });

    const streamArn = bots.table.tableStreamArn!;
    this.role = new iam.Role(scope, 'BotDeletionPipeRole', {
      assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com', {
        // The confused deputy guard: only a pipe of this account assumes it.
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
      }),
      description: 'bedrock-chat: the bot deletion pipe (reads the bot table stream, invokes the cleanup, dead-letters)',
    });
    // Exactly what a pipe from a DynamoDB stream needs, on this stream; the target; the dead-letter queue
    // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html).
    grant(this.role, ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'], [streamArn]);
    grant(this.role, ['lambda:InvokeFunction'], [this.function.functionArn]);
    grant(this.role, ['sqs:SendMessage'], [this.deadLetterQueue.queueArn]);

    this.pipe = new pipes.CfnPipe(scope, 'BotDeletionPipe', {
      description: 'bedrock-chat: bot deletions (REMOVE records of bot items) to the cleanup function',
      roleArn: this.role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: 'TRIM_HORIZON',
          batchSize: BOT_CLEANUP_BATCH_SIZE,
          maximumBatchingWindowInSeconds: 1,
          maximumRetryAttempts: 10,
          maximumRecordAgeInSeconds: 86_400,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
        filterCriteria: { filters: [{ pattern: JSON.stringify(BOT_REMOVAL_PATTERN) }] },
      },
      target: this.function.functionArn,
      targetParameters: { lambdaFunctionParameters: { invocationType: 'REQUEST_RESPONSE' } },
    });
    // The role's policy (a separate resource) must exist before the pipe starts reading the stream.
    const policy = this.role.node.tryFindChild('DefaultPolicy');
    if (policy) this.pipe.node.addDependency(policy);
  }
}
