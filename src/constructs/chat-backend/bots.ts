import { Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BackendContext, grant } from './context';
import { SignIn } from './sign-in';
import { BOT_INDEXES } from '../../lambdas/core/bot-keys';
import { secureTableProps } from '../private/defaults';

/** What the bots part is built on. */
export interface BotsOptions {
  readonly signIn: SignIn;
}

/**
 * The bots part of `ChatBackend` (issue 11): the bot table (bots, and per-user stars, recents and shares; item layout in
 * docs/architecture.md "Data model: bots") with its indexes and its stream, and the grants its readers and writers get.
 *
 * The stream carries both images (`NEW_AND_OLD_IMAGES`): the REMOVE record of a bot item holds the deleted bot, which is
 * all the deletion pipe needs to clean up (its stars, recents and shares are found through the `byBot` index).
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_StreamSpecification.html
 */
export class Bots {
  public readonly table: dynamodb.Table;
  private readonly signIn: SignIn;

  constructor(ctx: BackendContext, options: BotsOptions) {
    this.signIn = options.signIn;
    this.table = new dynamodb.Table(ctx.scope, 'BotTable', {
      ...secureTableProps({
        removalPolicy: ctx.removalPolicy,
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      }),
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    });
    // Global secondary indexes are sparse: an item appears in an index only when it has the index's key attributes
    // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-indexes-general-sparse-indexes.html).
    // byUserTime: a user's own bots by update time (OWNER#<userId>) and recently used bots by last use (RECENT#<userId>).
    this.table.addGlobalSecondaryIndex({
      indexName: BOT_INDEXES.byUserTime,
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    // public: every bot shared with everyone (scope `all`), with only what a store list shows, read whole into a cache.
    this.table.addGlobalSecondaryIndex({
      indexName: BOT_INDEXES.public,
      partitionKey: { name: 'publicPk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'publicSk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: ['id', 'title', 'description', 'ownerId', 'scope', 'usageCount', 'pinned', 'pinOrder', 'updatedAt', 'managed'],
    });
    // byBot: every per-user item of a bot (stars, recents, shares), so a deleted bot's items can be found and removed.
    this.table.addGlobalSecondaryIndex({
      indexName: BOT_INDEXES.byBot,
      partitionKey: { name: 'botPk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
  }

  /** Exactly `actions` on the bot table (not its indexes). */
  public grantTable(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    return grant(grantee, actions, [this.table.tableArn]);
  }

  /** Exactly `actions` on the named indexes of the bot table. */
  public grantIndexes(grantee: iam.IGrantable, actions: string[], indexes: string[]): iam.Grant {
    return grant(grantee, actions, indexes.map((name) => `${this.table.tableArn}/index/${name}`));
  }

  /** Exactly `actions` (`cognito-idp:...`) on the backend's user pool: group membership and user search. */
  public grantUserPool(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    return grant(grantee, actions, [this.signIn.userPool.userPoolArn]);
  }

  /** The variables a function reading bots needs: `BOT_TABLE_NAME` and `USER_POOL_ID`. */
  public addEnvironment(fn: lambda.Function): void {
    fn.addEnvironment('BOT_TABLE_NAME', this.table.tableName);
    this.addUserPoolEnvironment(fn);
  }

  /** `USER_POOL_ID` alone: a function that reads group membership at use time but no bots (the api function's usage limits). */
  public addUserPoolEnvironment(fn: lambda.Function): void {
    fn.addEnvironment('USER_POOL_ID', this.signIn.userPool.userPoolId);
  }

  /** The ARN pattern of every guardrail of this account and Region (bots name their guardrail at run time). */
  public guardrailsArn(): string {
    return Stack.of(this.table).formatArn({ service: 'bedrock', resource: 'guardrail', resourceName: '*' });
  }

  /** The cdk-nag rendering of `guardrailsArn()` (a stack with an explicit environment renders its Region and account). */
  public guardrailsFinding(): string {
    const stack = Stack.of(this.table);
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    return `Resource::arn:<AWS::Partition>:bedrock:${region}:${account}:guardrail/*`;
  }
}
