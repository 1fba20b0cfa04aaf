import { Aws, CfnResource, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { EmbeddingModel } from './embedding-model';
import { BackendParts, grant } from '../chat-backend/context';
import { createLogGroup } from '../private/defaults';
import { acknowledge } from '../private/nag';

/** The tag every dedicated knowledge base carries (set by CreateKnowledgeBase): the value names the deployment. */
export const DEPLOYMENT_TAG = 'bedrock-chat:deployment';

/** A knowledge base made outside this deployment that bots may use (`existing` mode). */
export interface ExistingKnowledgeBase {
  /** Its id (10 letters and digits: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_KnowledgeBase.html). */
  readonly knowledgeBaseId: string;
  /** The name the bot editor shows. */
  readonly name: string;
  /** What it knows, shown in the editor. @default none */
  readonly description?: string;
}

export interface DedicatedKnowledgeOptions {
  readonly backend: BackendParts;
  readonly workerFunction: lambda.Function;
  readonly documentBucket: s3.Bucket;
  /** The factory's vector bucket: the dedicated indexes `bot-*` are created in it. */
  readonly vectorBucketArn: string;
  readonly embeddingModels: EmbeddingModel[];
  readonly parsingModels: string[];
  readonly existingKnowledgeBases: ExistingKnowledgeBase[];
  /** The value of the `bedrock-chat:deployment` tag. */
  readonly deploymentTag: string;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
  /** How long the machines wait between two polls (knowledge base status, ingestion jobs). */
  readonly pollInterval: Duration;
  /** The cdk-nag rendering of the document bucket's ARN (`<Logical.Arn>`). */
  readonly bucketFinding: string;
  /** The cdk-nag rendering of the vector bucket's ARN (`<Logical.VectorBucketArn>`). */
  readonly vectorBucketFinding: string;
}

/** How long a poll loop (knowledge base creation or deletion, an ingestion job) may last before the machine gives up. */
const MAX_WAIT = Duration.hours(12);

const str = (v: string) => tasks.DynamoAttributeValue.fromString(v);
const path = (p: string) => str(sfn.JsonPath.stringAt(p));
// SDK integrations name errors `<Service>.<Error>` in PascalCase with the Exception suffix
// (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html); the DynamoDB integration's
// failed condition is DynamoDB.ConditionalCheckFailedException (https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html).
const CONDITION_FAILED = ['DynamoDB.ConditionalCheckFailedException'];
const TRANSIENT = ['BedrockAgent.ThrottlingException', 'BedrockAgent.InternalServerException'];
// Bedrock Agent answers ResourceNotFoundException for a missing knowledge base or data source
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_DeleteDataSource.html); S3 Vectors NotFoundException
// for a missing index (https://docs.aws.amazon.com/AmazonS3/latest/API/API_S3VectorBuckets_DeleteIndex.html).
const KB_NOT_FOUND = ['BedrockAgent.ResourceNotFoundException'];
// The service name `s3vectors` (the SDK's) and the error prefix `S3Vectors` follow the SDK integrations' naming rule
// above; that Step Functions lists S3 Vectors among its SDK integrations is assumed (the contract's design), not found
// in https://docs.aws.amazon.com/step-functions/latest/dg/change-log-supported-services.html.
const INDEX_NOT_FOUND = ['S3Vectors.NotFoundException'];

/**
 * Dedicated knowledge bases of bots (docs/knowledge-contract.md, "Slice 2", "The state machines"): a service role
 * Bedrock assumes for every dedicated knowledge base, and two Standard state machines of SDK integrations only:
 *
 * - **provision** `{botId, generation, action: create|sync|update, settings}`: reads the bot's `kb` (a stale generation
 *   ends the execution without a write), builds the ingestion configuration from the settings (chunking, parsing, the
 *   crawler), then create: CreateIndex `kb.indexName` in the factory's vector bucket → CreateKnowledgeBase (S3_VECTORS,
 *   tagged) → GetKnowledgeBase until ACTIVE → CreateDataSource S3 over `documents/<botId>/` (and WEB when the crawler is
 *   set) → `kb.status ACTIVE` with the ids → sync; update: replace the WEB data source → sync; sync: one ingestion
 *   job per data source, one after the other (StartIngestionJob retried while another job runs), each polled to its
 *   end, the outcome in `kb.sync`. Every write is conditioned on `kb.generation`.
 * - **deprovision** `{botId, generation, knowledgeBaseId?, dataSourceIds, indexName}`: deletes the data sources, the
 *   knowledge base (polled until gone) and the index, each already-missing resource skipped, then removes `kb` when
 *   its generation still matches.
 */
export class DedicatedKnowledge {
  public readonly serviceRole: iam.Role;
  public readonly provisionStateMachine: sfn.StateMachine;
  public readonly deprovisionStateMachine: sfn.StateMachine;

  /** Where the states being built go (one scope per machine: state names are construct ids). */
  private scope: Construct;
  private readonly root: Construct;
  private readonly options: DedicatedKnowledgeOptions;
  private readonly table: dynamodb.ITable;
  private readonly kbPattern: string;
  private readonly indexPattern: string;
  private readonly maxPolls: number;
  /** Chains built once and reached from several places. */
  private created?: sfn.IChainable;
  private syncStart?: sfn.IChainable;
  /** KNOWLEDGE_DEDICATED and KNOWLEDGE_EXISTING, for wireKnowledgeApi. */
  private dedicatedJson = '';
  private existingJson = '';

  constructor(scope: Construct, options: DedicatedKnowledgeOptions) {
    // Under their own scope: the bulk sync's states share the factory's.
    this.root = new Construct(scope, 'Dedicated');
    this.scope = this.root;
    this.options = options;
    this.table = options.backend.bots.table;
    const stack = Stack.of(scope);
    this.kbPattern = stack.formatArn({ service: 'bedrock', resource: 'knowledge-base', resourceName: '*' });
    // Index ARNs: arn:aws:s3vectors:<region>:<account>:bucket/<bucket>/index/<index>
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_S3VectorBuckets_DeleteIndex.html, indexArn's pattern).
    this.indexPattern = `${options.vectorBucketArn}/index/bot-*`;
    this.maxPolls = Math.ceil(MAX_WAIT.toSeconds() / options.pollInterval.toSeconds());

    this.serviceRole = this.createServiceRole();
    // Deprovision first: a create that finds itself stale starts it for what it made.
    this.scope = new Construct(this.root, 'Deprovision');
    const deprovision = this.deprovisionDefinition();
    this.scope = this.root;
    this.deprovisionStateMachine = this.machine('Deprovision', 'Dedicated knowledge bases of bots: delete the data sources, the knowledge base and the index (see dedicated-knowledge.ts)', deprovision);
    this.scope = new Construct(this.root, 'Provision');
    const provision = this.provisionDefinition();
    this.scope = this.root;
    this.provisionStateMachine = this.machine('Provision', 'Dedicated knowledge bases of bots: create, sync, update (see dedicated-knowledge.ts)', provision);
    this.grantMachines();
    this.wireFunctions();
  }

  /** The cdk-nag rendering of the knowledge base pattern (a stack with an explicit environment renders them literally). */
  private get kbFinding(): string {
    const stack = Stack.of(this.root);
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    return `Resource::arn:<AWS::Partition>:bedrock:${region}:${account}:knowledge-base/*`;
  }

  /** The tag condition of every dedicated knowledge base of this deployment. */
  private get tagCondition(): Record<string, Record<string, string>> {
    return { StringEquals: { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: this.options.deploymentTag } };
  }

  private createServiceRole(): iam.Role {
    const { scope, options } = this;
    const stack = Stack.of(scope);
    // As the shared knowledge base's role: Bedrock, from this account, for knowledge bases of this account and region
    // (the confused-deputy conditions of https://docs.aws.amazon.com/bedrock/latest/userguide/kb-permissions.html).
    const role = new iam.Role(scope, 'DedicatedServiceRole', {
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': this.kbPattern },
        },
      }),
      description: 'Amazon Bedrock Knowledge Bases, dedicated knowledge bases of bots: embed and parse documents, read them, write and query the bot-* indexes',
    });
    const models = [...new Set([...options.embeddingModels.map((m) => m.modelArn(scope)),
      ...options.parsingModels.map((id) => stack.formatArn({ service: 'bedrock', account: '', resource: 'foundation-model', resourceName: id }))])];
    const policy = new iam.Policy(scope, 'DedicatedServiceRolePolicy', {
      statements: [
        // the embedding and parsing models (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-permissions.html,
        // "Permissions to access Amazon Bedrock models")
        new iam.PolicyStatement({ sid: 'Models', actions: ['bedrock:InvokeModel'], resources: models }),
        new iam.PolicyStatement({
          sid: 'DocumentBucketList',
          actions: ['s3:ListBucket'],
          resources: [options.documentBucket.bucketArn],
          conditions: { StringEquals: { 'aws:ResourceAccount': Aws.ACCOUNT_ID } },
        }),
        new iam.PolicyStatement({
          sid: 'DocumentBucketRead',
          actions: ['s3:GetObject'],
          resources: [options.documentBucket.arnForObjects('documents/*')],
          conditions: { StringEquals: { 'aws:ResourceAccount': Aws.ACCOUNT_ID } },
        }),
        // the vector operations Bedrock performs on an index, as for the shared one (vector-store.ts)
        new iam.PolicyStatement({
          sid: 'S3VectorsBotIndexes',
          actions: ['s3vectors:GetIndex', 's3vectors:QueryVectors', 's3vectors:PutVectors', 's3vectors:GetVectors', 's3vectors:ListVectors', 's3vectors:DeleteVectors'],
          resources: [this.indexPattern],
        }),
        // The BEDROCK_DATA_AUTOMATION parser: Bedrock starts a Data Automation invocation of the public RAG project
        // with this role and polls it. The user guide's service role page lists no statement for it; these follow the
        // knowledge base role of AWS's own samples (aws-samples/amazon-bedrock-samples, rag/knowledge-bases,
        // utils/knowledge_base.py: InvokeDataAutomationAsync on data-automation-project/public-rag-default,
        // GetDataAutomationStatus on data-automation-invocation/*), with the account's data automation profiles
        // added, which InvokeDataAutomationAsync also authorizes (its dataAutomationProfileArn, and the resource types
        // of https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html); any region,
        // as a cross-region profile runs where Bedrock routes it. Confirm on the first deployment that parses with it.
        new iam.PolicyStatement({
          sid: 'DataAutomationParser',
          actions: ['bedrock:InvokeDataAutomationAsync'],
          resources: [
            stack.formatArn({ service: 'bedrock', account: 'aws', resource: 'data-automation-project', resourceName: 'public-rag-default' }),
            stack.formatArn({ service: 'bedrock', region: '*', resource: 'data-automation-profile', resourceName: '*' }),
          ],
        }),
        new iam.PolicyStatement({
          sid: 'DataAutomationParserStatus',
          actions: ['bedrock:GetDataAutomationStatus'],
          resources: [stack.formatArn({ service: 'bedrock', region: '*', resource: 'data-automation-invocation', resourceName: '*' })],
        }),
      ],
    });
    policy.attachToRole(role);
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    acknowledge(policy, {
      id: 'AwsSolutions-IAM5',
      reason: 'Each bot with a dedicated knowledge base has its own index bot-<botId>-<generation>, made at runtime; Bedrock reads the bots\' documents under documents/; '
        + 'the Data Automation parser runs under a profile of the account in the region Bedrock routes it to, as an invocation whose id Bedrock mints.',
      appliesTo: [`Resource::<${options.vectorBucketFinding}>/index/bot-*`, `Resource::${options.bucketFinding}/documents/*`,
        `Resource::arn:<AWS::Partition>:bedrock:*:${account}:data-automation-profile/*`,
        `Resource::arn:<AWS::Partition>:bedrock:*:${account}:data-automation-invocation/*`],
    });
    return role;
  }

  /** An AWS SDK integration task (`arn:aws:states:::aws-sdk:<service>:<action>`); IAM is granted by grantMachines. */
  private sdk(id: string, service: string, action: string, parameters: Record<string, unknown>,
    extra: Record<string, unknown> = {}): sfn.CustomState {
    return new sfn.CustomState(this.scope, id, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Aws.PARTITION}:states:::aws-sdk:${service}:${action}`,
        Parameters: parameters,
        ...extra,
      },
    });
  }

  private botKey() {
    return {
      pk: str(sfn.JsonPath.format('BOT#{}', sfn.JsonPath.stringAt('$.botId'))),
      sk: str('BOT'),
    };
  }

  /**
   * An UpdateItem of the bot's `kb`, conditioned on its generation (and, with `revision`, on the save that started an
   * update: `kb.revision`); a failed condition goes to `stale`.
   */
  private record(id: string, updateExpression: string, values: Record<string, tasks.DynamoAttributeValue>, stale: sfn.IChainable,
    names: Record<string, string> = {}, revision = false): tasks.DynamoUpdateItem {
    const task = new tasks.DynamoUpdateItem(this.scope, id, {
      table: this.table,
      key: this.botKey(),
      updateExpression,
      conditionExpression: revision ? '#kb.generation = :generation AND #kb.revision = :revision' : '#kb.generation = :generation',
      expressionAttributeNames: { '#kb': 'kb', ...names },
      expressionAttributeValues: { ':generation': path('$.generation'), ...(revision ? { ':revision': path('$.revision') } : {}), ...values },
      resultPath: sfn.JsonPath.DISCARD,
    });
    task.addCatch(stale, { errors: CONDITION_FAILED, resultPath: sfn.JsonPath.DISCARD });
    return task;
  }

  private provisionDefinition(): sfn.IChainable {
    const { scope, options } = this;
    const stale = new sfn.Succeed(scope, 'Stale', { comment: 'The bot changed since this execution started (another generation, or deleted): nothing is written' });
    const now = path('$$.State.EnteredTime');

    // ---- the bot's kb, as bots-api wrote it when it started this execution
    const read = (id: string) => new tasks.DynamoGetItem(scope, id, {
      table: this.table,
      key: this.botKey(),
      consistentRead: true,
      projectionExpression: [new tasks.DynamoProjectionExpression().withAttribute('kb')],
      // the whole answer: a ResultSelector on a missing item would be a States.Runtime error, which no Catch handles
      // (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)
      resultPath: '$.record',
    });
    const readKb = read('ReadKb');
    const current = new sfn.Choice(scope, 'Current');

    // ---- a create that finds itself stale once it has made something (the bot was deleted, or saved with another
    // generation, while it ran): nobody else knows what it made (the bot's kb never named it, or names it no more),
    // so it starts the deprovision machine for exactly that, which skips whatever is already gone.
    const startCleanup = new tasks.StepFunctionsStartExecution(scope, 'StartStaleCleanup', {
      stateMachine: this.deprovisionStateMachine,
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      input: sfn.TaskInput.fromJsonPathAt('$.cleanup'),
      resultPath: sfn.JsonPath.DISCARD,
    });
    startCleanup.next(new sfn.Succeed(scope, 'StaleCleanedUp', { comment: 'The bot changed while its knowledge base was being made: what this execution made is being deleted' }));
    const cleanup = (id: string, made: Record<string, unknown>) => new sfn.Pass(scope, id, {
      parameters: { 'botId.$': '$.botId', 'generation.$': '$.generation', 'indexName.$': '$.record.Item.kb.M.indexName.S', ...made },
      resultPath: '$.cleanup',
    }).next(startCleanup);
    const staleCreate = new sfn.Choice(scope, 'StaleCreate')
      .when(sfn.Condition.isPresent('$.webSource.id'), cleanup('CleanUpWithCrawler', { 'knowledgeBaseId.$': '$.kb.id', 'dataSourceIds.$': 'States.Array($.documentsSource.id, $.webSource.id)' }))
      .when(sfn.Condition.isPresent('$.documentsSource.id'), cleanup('CleanUpWithDocuments', { 'knowledgeBaseId.$': '$.kb.id', 'dataSourceIds.$': 'States.Array($.documentsSource.id)' }))
      .when(sfn.Condition.isPresent('$.kb.id'), cleanup('CleanUpKnowledgeBase', { 'knowledgeBaseId.$': '$.kb.id', 'dataSourceIds': [] }))
      .when(sfn.Condition.isPresent('$.model'), cleanup('CleanUpIndex', { dataSourceIds: [] }))
      .otherwise(stale);

    // ---- failures: create records kb.status FAILED, sync (and update) kb.sync.status FAILED, with the reason
    const failCreate = this.record('RecordCreateFailed', 'SET #kb.#status = :failed, #kb.reason = :reason, #kb.updatedAt = :now',
      { ':failed': str('FAILED'), ':reason': path('$.error.Cause'), ':now': now }, staleCreate, { '#status': 'status' });
    failCreate.next(new sfn.Fail(scope, 'CreateFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }));
    const failSync = this.record('RecordSyncFailed', 'SET #kb.#sync = :sync, #kb.updatedAt = :now', {
      ':sync': tasks.DynamoAttributeValue.fromMap({ status: str('FAILED'), reason: path('$.error.Cause'), finishedAt: now }), ':now': now,
    }, stale, { '#sync': 'sync' });
    failSync.next(new sfn.Fail(scope, 'SyncFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }));
    const catchInto = (target: sfn.IChainable, ...steps: (sfn.TaskStateBase | sfn.CustomState | sfn.Parallel | sfn.Map)[]) => {
      for (const step of steps) step.addCatch(target, { errors: ['States.ALL'], resultPath: '$.error' });
    };
    const raise = (id: string, error: string, cause: string, target: sfn.IChainable) =>
      new sfn.Pass(scope, id, { parameters: { 'Error': error, 'Cause.$': cause }, resultPath: '$.error' }).next(target);

    // ---- the ingestion configuration from the settings: chunking (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_ChunkingConfiguration.html)
    const action = new sfn.Choice(scope, 'Action');
    const chunk = (id: string, config: Record<string, unknown>) => new sfn.Pass(scope, `Chunking${id}`, { parameters: config, resultPath: '$.chunking' });
    const c = '$.settings.chunking';
    const fixed = chunk('FixedSize', {
      ChunkingStrategy: 'FIXED_SIZE',
      FixedSizeChunkingConfiguration: { 'MaxTokens.$': `${c}.maxTokens`, 'OverlapPercentage.$': `${c}.overlapPercentage` },
    });
    // HIERARCHICAL: two levels, the parent's first (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_HierarchicalChunkingConfiguration.html)
    const hierarchicalLevels = new sfn.Pass(scope, 'ChunkingParentLevel', { parameters: { 'MaxTokens.$': `${c}.parentMaxTokens` }, resultPath: '$.levels.parent' });
    const childLevel = new sfn.Pass(scope, 'ChunkingChildLevel', { parameters: { 'MaxTokens.$': `${c}.childMaxTokens` }, resultPath: '$.levels.child' });
    const hierarchical = chunk('Hierarchical', {
      ChunkingStrategy: 'HIERARCHICAL',
      HierarchicalChunkingConfiguration: { 'LevelConfigurations.$': 'States.Array($.levels.parent, $.levels.child)', 'OverlapTokens.$': `${c}.overlapTokens` },
    });
    hierarchicalLevels.next(childLevel).next(hierarchical);
    // SEMANTIC (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_SemanticChunkingConfiguration.html)
    const semantic = chunk('Semantic', {
      ChunkingStrategy: 'SEMANTIC',
      SemanticChunkingConfiguration: { 'MaxTokens.$': `${c}.maxTokens`, 'BufferSize.$': `${c}.bufferSize`, 'BreakpointPercentileThreshold.$': `${c}.breakpointPercentileThreshold` },
    });
    const none = chunk('None', { ChunkingStrategy: 'NONE' });
    const chunking = new sfn.Choice(scope, 'Chunking')
      .when(sfn.Condition.stringEquals(`${c}.strategy`, 'FIXED_SIZE'), fixed)
      .when(sfn.Condition.stringEquals(`${c}.strategy`, 'HIERARCHICAL'), hierarchicalLevels)
      .when(sfn.Condition.stringEquals(`${c}.strategy`, 'SEMANTIC'), semantic)
      .when(sfn.Condition.stringEquals(`${c}.strategy`, 'NONE'), none);
    // A sync needs no ingestion configuration: without (valid) settings it goes straight on.
    chunking.otherwise(action);

    // parsing (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_ParsingConfiguration.html,
    // https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_BedrockFoundationModelConfiguration.html)
    const p = '$.settings.parsing';
    const stack = Stack.of(scope);
    const modelArnPrefix = stack.formatArn({ service: 'bedrock', account: '', resource: 'foundation-model', resourceName: '' });
    const ingestion = (id: string, parsing?: Record<string, unknown>) => new sfn.Pass(scope, `Ingestion${id}`, {
      parameters: { 'ChunkingConfiguration.$': '$.chunking', ...(parsing ? { ParsingConfiguration: parsing } : {}) },
      resultPath: '$.ingestion',
    });
    const parsingModel = ingestion('FoundationModel', {
      ParsingStrategy: 'BEDROCK_FOUNDATION_MODEL',
      // a JsonPath.format value: the Pass state adds the .$ to the key itself
      BedrockFoundationModelConfiguration: { ModelArn: sfn.JsonPath.format(`${modelArnPrefix}{}`, sfn.JsonPath.stringAt(`${p}.modelId`)) },
    });
    const parsingBda = ingestion('DataAutomation', { ParsingStrategy: 'BEDROCK_DATA_AUTOMATION', BedrockDataAutomationConfiguration: {} });
    const parsingDefault = ingestion('DefaultParser');
    const parsing = new sfn.Choice(scope, 'Parsing')
      .when(sfn.Condition.and(sfn.Condition.isPresent(`${p}.strategy`), sfn.Condition.stringEquals(`${p}.strategy`, 'BEDROCK_FOUNDATION_MODEL')), parsingModel)
      .when(sfn.Condition.and(sfn.Condition.isPresent(`${p}.strategy`), sfn.Condition.stringEquals(`${p}.strategy`, 'BEDROCK_DATA_AUTOMATION')), parsingBda)
      .otherwise(parsingDefault);
    for (const x of [fixed, hierarchical, semantic, none]) x.next(parsing);

    // the crawler (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_WebDataSourceConfiguration.html,
    // https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_WebCrawlerConfiguration.html: scope HOST_ONLY or
    // SUBDOMAINS, inclusion and exclusion filters, crawlerLimits.rateLimit per minute)
    const w = '$.settings.webCrawler';
    const hasCrawler = new sfn.Choice(scope, 'HasCrawler');
    const seeds = new sfn.Map(scope, 'SeedUrls', {
      itemsPath: `${w}.seedUrls`,
      itemSelector: { 'Url.$': '$$.Map.Item.Value' },
      resultPath: '$.seeds',
    });
    seeds.itemProcessor(new sfn.Pass(scope, 'SeedUrl'));
    const crawlerDefaults = new sfn.Pass(scope, 'CrawlerDefaults', { result: sfn.Result.fromObject({ scope: 'HOST_ONLY', maxPagesPerMinute: 300 }), resultPath: '$.crawlerDefaults' });
    const crawlerSettings = new sfn.Pass(scope, 'CrawlerSettings', {
      parameters: { 'v.$': `States.JsonMerge($.crawlerDefaults, ${w}, false)` },
      resultPath: '$.crawler',
    });
    const crawlerBase = new sfn.Pass(scope, 'CrawlerBase', {
      parameters: { 'Scope.$': '$.crawler.v.scope', 'CrawlerLimits': { 'RateLimit.$': '$.crawler.v.maxPagesPerMinute' } },
      resultPath: '$.crawlerConfig',
    });
    const filter = (id: string, key: string, field: string) => [
      new sfn.Pass(scope, `${id}Filters`, { parameters: { [`${field}.$`]: `${w}.${key}` }, resultPath: `$.${id.toLowerCase()}` }),
      new sfn.Pass(scope, `With${id}Filters`, { parameters: { 'v.$': `States.JsonMerge($.crawlerConfig, $.${id.toLowerCase()}, false)` }, resultPath: '$.merged' }),
      new sfn.Pass(scope, `Set${id}Filters`, { inputPath: '$.merged.v', resultPath: '$.crawlerConfig' }),
    ] as const;
    const [inclusion, withInclusion, setInclusion] = filter('Inclusion', 'includePatterns', 'InclusionFilters');
    const [exclusion, withExclusion, setExclusion] = filter('Exclusion', 'excludePatterns', 'ExclusionFilters');
    const exclusionChoice = new sfn.Choice(scope, 'HasExclusions')
      .when(sfn.Condition.isPresent(`${w}.excludePatterns[0]`), exclusion.next(withExclusion).next(setExclusion).next(action))
      .otherwise(action);
    const inclusionChoice = new sfn.Choice(scope, 'HasInclusions')
      .when(sfn.Condition.isPresent(`${w}.includePatterns[0]`), inclusion.next(withInclusion).next(setInclusion).next(exclusionChoice))
      .otherwise(exclusionChoice);
    hasCrawler.when(sfn.Condition.isPresent(`${w}.seedUrls[0]`), seeds.next(crawlerDefaults).next(crawlerSettings).next(crawlerBase).next(inclusionChoice)).otherwise(action);
    for (const x of [parsingModel, parsingBda, parsingDefault]) x.next(hasCrawler);

    // ---- sync (built first: create ends with it)
    const sync = this.syncChain(failSync, stale, now, read);

    // ---- create
    // The embedding model: its ARN and the dimension of the index (the ids are distinct: the factory checks).
    const unknownModel = raise('UnknownEmbeddingModel', 'UnknownEmbeddingModel', "States.Format('The embedding model {} is not one of the models of this deployment', $.settings.embeddingModelId)", failCreate);
    const model = new sfn.Choice(scope, 'EmbeddingModel').otherwise(unknownModel);
    const createIndex = this.sdk('CreateIndex', 's3vectors', 'createIndex', {
      // float32, the model's dimension, Bedrock's text and metadata keys not filterable (as the shared index: vector-store.ts)
      // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_S3VectorBuckets_CreateIndex.html)
      'VectorBucketArn': options.vectorBucketArn,
      'IndexName.$': '$.record.Item.kb.M.indexName.S',
      'DataType': 'float32',
      'Dimension.$': '$.model.dimensions',
      'DistanceMetric': 'cosine',
      'MetadataConfiguration': { NonFilterableMetadataKeys: ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] },
    }, { ResultPath: null });
    options.embeddingModels.forEach((m, i) => {
      model.when(sfn.Condition.stringEquals('$.settings.embeddingModelId', m.modelId), new sfn.Pass(scope, `EmbeddingModel${i}`, {
        parameters: { arn: m.modelArn(scope), dimensions: m.dimensions },
        resultPath: '$.model',
      }).next(createIndex));
    });
    // An index left by an earlier attempt of this generation is used as it is.
    createIndex.addCatch(this.createKnowledgeBaseChain(failCreate, staleCreate, now), { errors: ['S3Vectors.ConflictException'], resultPath: sfn.JsonPath.DISCARD });
    catchInto(failCreate, createIndex);
    createIndex.next(this.createKnowledgeBaseChain(failCreate, staleCreate, now));

    // ---- update
    const update = this.updateChain(failSync, now, sync);

    action
      .when(sfn.Condition.stringEquals('$.action', 'create'), model)
      .when(sfn.Condition.stringEquals('$.action', 'sync'), sync)
      .when(sfn.Condition.stringEquals('$.action', 'update'), update)
      .otherwise(new sfn.Fail(scope, 'UnknownAction', { error: 'UnknownAction', cause: 'action must be create, sync or update' }));

    current
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.record.Item.kb.M.generation.S'), sfn.Condition.stringEqualsJsonPath('$.record.Item.kb.M.generation.S', '$.generation')), chunking)
      .otherwise(stale);
    return readKb.next(current);
  }

  /**
   * CreateKnowledgeBase → poll until ACTIVE → CreateDataSource S3 (and WEB) → kb ACTIVE → sync. Built once. `staleCreate`
   * is where a record whose generation changed goes (it deletes what was made).
   */
  private createKnowledgeBaseChain(failCreate: sfn.IChainable, staleCreate: sfn.IChainable, now: tasks.DynamoAttributeValue): sfn.IChainable {
    if (this.created) return this.created;
    const { scope, options } = this;
    // https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_CreateKnowledgeBase.html: name
    // ([0-9a-zA-Z][_-]?){1,100} (the generation, a ULID, is letters and digits), clientToken at least 33 characters
    // (the generation again: a retried execution gets the same knowledge base), tags.
    const createKb = this.sdk('CreateKnowledgeBase', 'bedrockagent', 'createKnowledgeBase', {
      'Name.$': "States.Format('bot-{}', $.generation)",
      'Description.$': "States.Format('Dedicated knowledge base of the bot {}', $.botId)",
      'RoleArn': this.serviceRole.roleArn,
      'ClientToken.$': "States.Format('bedrock-chat-kb-{}', $.generation)",
      'KnowledgeBaseConfiguration': {
        Type: 'VECTOR',
        VectorKnowledgeBaseConfiguration: {
          'EmbeddingModelArn.$': '$.model.arn',
          'EmbeddingModelConfiguration': { BedrockEmbeddingModelConfiguration: { 'Dimensions.$': '$.model.dimensions', 'EmbeddingDataType': 'FLOAT32' } },
        },
      },
      'StorageConfiguration': {
        Type: 'S3_VECTORS',
        S3VectorsConfiguration: { 'IndexArn.$': sfn.JsonPath.format(`${options.vectorBucketArn}/index/{}`, sfn.JsonPath.stringAt('$.record.Item.kb.M.indexName.S')) },
      },
      'Tags': { [DEPLOYMENT_TAG]: options.deploymentTag, 'bedrock-chat:bot.$': '$.botId' },
    }, { ResultSelector: { 'id.$': '$.KnowledgeBase.KnowledgeBaseId', 'polls': 0 }, ResultPath: '$.kb' });
    createKb.addRetry({ errors: TRANSIENT, interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2 });
    // The id is recorded at once: a failure later still leaves what deprovision needs to delete it.
    const recordId = this.record('RecordKnowledgeBaseId', 'SET #kb.knowledgeBaseId = :id, #kb.updatedAt = :now', { ':id': path('$.kb.id'), ':now': now }, staleCreate);
    const wait = new sfn.Wait(scope, 'WaitForKnowledgeBase', { time: sfn.WaitTime.duration(options.pollInterval) });
    const getKb = this.sdk('GetKnowledgeBase', 'bedrockagent', 'getKnowledgeBase', { 'KnowledgeBaseId.$': '$.kb.id' }, {
      ResultSelector: { 'status.$': '$.KnowledgeBase.Status', 'knowledgeBase.$': '$.KnowledgeBase' },
      ResultPath: '$.kbState',
    });
    getKb.addRetry({ errors: TRANSIENT, interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2 });
    const countPoll = new sfn.Pass(scope, 'CountKnowledgeBasePoll', { parameters: { 'id.$': '$.kb.id', 'polls.$': 'States.MathAdd($.kb.polls, 1)' }, resultPath: '$.kb' });
    const tooLong = new sfn.Pass(scope, 'KnowledgeBaseTooLong', {
      parameters: { Error: 'KnowledgeBaseTooLong', Cause: `The knowledge base was still being created after ${MAX_WAIT.toHumanString()}` }, resultPath: '$.error',
    }).next(failCreate);
    // Statuses CREATING, ACTIVE, DELETING, UPDATING, FAILED, DELETE_UNSUCCESSFUL; failureReasons when it failed
    // (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_KnowledgeBase.html).
    const kbFailed = new sfn.Choice(scope, 'KnowledgeBaseFailedReasons')
      .when(sfn.Condition.isPresent('$.kbState.knowledgeBase.FailureReasons[0]'), new sfn.Pass(scope, 'KnowledgeBaseFailedWithReasons', {
        parameters: { 'Error': 'KnowledgeBaseFailed', 'Cause.$': "States.Format('The knowledge base is {}: {}', $.kbState.status, States.ArrayGetItem($.kbState.knowledgeBase.FailureReasons, 0))" }, resultPath: '$.error',
      }).next(failCreate))
      .otherwise(new sfn.Pass(scope, 'KnowledgeBaseFailed', {
        parameters: { 'Error': 'KnowledgeBaseFailed', 'Cause.$': "States.Format('The knowledge base is {}', $.kbState.status)" }, resultPath: '$.error',
      }).next(failCreate));

    const createDocs = this.sdk('CreateDocumentsDataSource', 'bedrockagent', 'createDataSource', {
      'KnowledgeBaseId.$': '$.kb.id',
      'Name': 'documents',
      'Description': 'The bot\'s documents under documents/<botId>/',
      'ClientToken.$': "States.Format('bedrock-chat-ds-{}', $.generation)",
      // https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_S3DataSourceConfiguration.html
      'DataSourceConfiguration': {
        Type: 'S3',
        S3Configuration: { 'BucketArn': options.documentBucket.bucketArn, 'InclusionPrefixes.$': "States.Array(States.Format('documents/{}/', $.botId))" },
      },
      'DataDeletionPolicy': 'DELETE',
      'VectorIngestionConfiguration.$': '$.ingestion',
    }, { ResultSelector: { 'id.$': '$.DataSource.DataSourceId' }, ResultPath: '$.documentsSource' });
    createDocs.addRetry({ errors: TRANSIENT, interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2 });
    const createWeb = this.createWebDataSource('CreateWebDataSource', '$.kb.id');
    const active = (id: string, withCrawler: boolean) => this.record(id,
      `SET #kb.#status = :active, #kb.knowledgeBaseId = :kb, #kb.dataSourceId = :ds, #kb.updatedAt = :now${withCrawler ? ', #kb.crawlerDataSourceId = :web' : ''} REMOVE #kb.reason`,
      { ':active': str('ACTIVE'), ':kb': path('$.kb.id'), ':ds': path('$.documentsSource.id'), ':now': now, ...(withCrawler ? { ':web': path('$.webSource.id') } : {}) },
      staleCreate, { '#status': 'status' });
    // (built already: the arguments are not used)
    const sync = this.syncChain(undefined, staleCreate, now);
    const recordActive = active('RecordActive', false);
    const recordActiveWeb = active('RecordActiveWithCrawler', true);
    recordActive.next(sync);
    recordActiveWeb.next(sync);

    for (const step of [createKb, getKb, createDocs, createWeb]) step.addCatch(failCreate, { errors: ['States.ALL'], resultPath: '$.error' });
    for (const step of [recordId, recordActive, recordActiveWeb]) step.addCatch(failCreate, { errors: ['States.ALL'], resultPath: '$.error' });
    createKb.next(recordId).next(wait).next(countPoll).next(new sfn.Choice(scope, 'KnowledgeBasePollAgain')
      .when(sfn.Condition.numberGreaterThan('$.kb.polls', this.maxPolls), tooLong)
      .otherwise(getKb));
    getKb.next(new sfn.Choice(scope, 'KnowledgeBaseReady')
      .when(sfn.Condition.stringEquals('$.kbState.status', 'ACTIVE'), createDocs)
      .when(sfn.Condition.stringEquals('$.kbState.status', 'CREATING'), wait)
      .otherwise(kbFailed));
    createDocs.next(new sfn.Choice(scope, 'CreateCrawler')
      .when(sfn.Condition.isPresent('$.crawlerConfig'), createWeb.next(recordActiveWeb))
      .otherwise(recordActive));
    this.created = createKb;
    return createKb;
  }

  /** CreateDataSource WEB with the crawler configuration built from the settings, into `$.webSource`. */
  private createWebDataSource(id: string, kbPath: string): sfn.CustomState {
    const t = this.sdk(id, 'bedrockagent', 'createDataSource', {
      'KnowledgeBaseId.$': kbPath,
      'Name': 'web',
      'Description': 'Pages crawled from the bot\'s seed URLs',
      // a new token per execution: update replaces the data source (at least 33 characters, CreateDataSource)
      'ClientToken.$': 'States.UUID()',
      'DataSourceConfiguration': {
        Type: 'WEB',
        WebConfiguration: { 'SourceConfiguration': { UrlConfiguration: { 'SeedUrls.$': '$.seeds' } }, 'CrawlerConfiguration.$': '$.crawlerConfig' },
      },
      'DataDeletionPolicy': 'DELETE',
      'VectorIngestionConfiguration.$': '$.ingestion',
    }, { ResultSelector: { 'id.$': '$.DataSource.DataSourceId' }, ResultPath: '$.webSource' });
    t.addRetry({ errors: TRANSIENT, interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2 });
    return t;
  }

  /**
   * The sync: re-read `kb` (ids), record `kb.sync` RUNNING, one ingestion job on the documents data source, then one
   * on the crawler's when there is one, each polled to its end; record SUCCEEDED or FAILED with the reasons. Built once.
   */
  private syncChain(failSync: sfn.IChainable | undefined, stale: sfn.IChainable, now: tasks.DynamoAttributeValue,
    read?: (id: string) => tasks.DynamoGetItem): sfn.IChainable {
    if (this.syncStart) return this.syncStart;
    if (!failSync || !read) throw new Error('DedicatedKnowledge: the sync chain is built first by provisionDefinition');
    const { scope } = this;
    const readForSync = read('ReadKbForSync');
    const started = new sfn.Pass(scope, 'SyncStarted', { parameters: { 'at.$': '$$.State.EnteredTime' }, resultPath: '$.syncStarted' });
    const running = this.record('RecordSyncRunning', 'SET #kb.#sync = :sync, #kb.updatedAt = :now', {
      ':sync': tasks.DynamoAttributeValue.fromMap({ status: str('RUNNING'), startedAt: path('$.syncStarted.at') }), ':now': now,
    }, stale, { '#sync': 'sync' });
    started.next(running);
    const notActive = new sfn.Pass(scope, 'NotActive', { parameters: { 'Error': 'NotActive', 'Cause.$': "States.Format('The knowledge base is {}, not ACTIVE', $.record.Item.kb.M.status.S)" }, resultPath: '$.error' }).next(failSync);
    const isActive = new sfn.Choice(scope, 'IsActive')
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.record.Item.kb.M.status.S'), sfn.Condition.stringEquals('$.record.Item.kb.M.status.S', 'ACTIVE'),
        sfn.Condition.isPresent('$.record.Item.kb.M.knowledgeBaseId.S'), sfn.Condition.isPresent('$.record.Item.kb.M.dataSourceId.S')), started)
      .otherwise(notActive);
    const [docsFirst, docsLast] = this.jobLoop('Documents', '$.record.Item.kb.M.dataSourceId.S', failSync);
    const [webFirst, webLast] = this.jobLoop('Web', '$.record.Item.kb.M.crawlerDataSourceId.S', failSync);
    const outcome = this.syncOutcome(stale, now);
    running.next(docsFirst);
    docsLast.next(new sfn.Choice(scope, 'SyncCrawler')
      .when(sfn.Condition.isPresent('$.record.Item.kb.M.crawlerDataSourceId.S'), webFirst)
      .otherwise(outcome));
    webLast.next(outcome);
    for (const step of [readForSync, running]) step.addCatch(failSync, { errors: ['States.ALL'], resultPath: '$.error' });
    readForSync.next(isActive);
    this.syncStart = readForSync;
    return readForSync;
  }

  /**
   * One ingestion job on a data source: start (retried while another job runs: "You can run one ingestion job at a
   * time per data source", https://docs.aws.amazon.com/bedrock/latest/userguide/kb-data-source-sync-ingest.html), poll
   * to COMPLETE, FAILED or STOPPED (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_IngestionJob.html),
   * then `$.jobs.<name>` = `{status, statistics, reasons}` (statistics and reasons as JSON).
   */
  private jobLoop(name: string, dataSourcePath: string, failSync: sfn.IChainable): [sfn.IChainable, sfn.INextable] {
    const { scope, options } = this;
    const at = `$.job${name}`;
    const start = this.sdk(`Start${name}IngestionJob`, 'bedrockagent', 'startIngestionJob', {
      'KnowledgeBaseId.$': '$.record.Item.kb.M.knowledgeBaseId.S',
      'DataSourceId.$': dataSourcePath,
      // at least 33 characters (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_StartIngestionJob.html)
      'ClientToken.$': 'States.UUID()',
    }, { ResultSelector: { 'jobId.$': '$.IngestionJob.IngestionJobId', 'polls': 0 }, ResultPath: at });
    start.addRetry({ errors: ['BedrockAgent.ConflictException'], interval: Duration.seconds(30), maxAttempts: 20, backoffRate: 1.5 });
    start.addRetry({ errors: TRANSIENT, interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2 });
    const wait = new sfn.Wait(scope, `WaitFor${name}Job`, { time: sfn.WaitTime.duration(options.pollInterval) });
    const countPoll = new sfn.Pass(scope, `Count${name}Poll`, { parameters: { 'jobId.$': `${at}.jobId`, 'polls.$': `States.MathAdd(${at}.polls, 1)` }, resultPath: at });
    const tooLong = new sfn.Pass(scope, `${name}JobTooLong`, {
      parameters: { Error: 'JobTooLong', Cause: `The ingestion job was still running after ${MAX_WAIT.toHumanString()}` }, resultPath: '$.error',
    }).next(failSync);
    const get = this.sdk(`Get${name}IngestionJob`, 'bedrockagent', 'getIngestionJob', {
      'KnowledgeBaseId.$': '$.record.Item.kb.M.knowledgeBaseId.S',
      'DataSourceId.$': dataSourcePath,
      'IngestionJobId.$': `${at}.jobId`,
    }, { ResultSelector: { 'Status.$': '$.IngestionJob.Status', 'IngestionJob.$': '$.IngestionJob' }, ResultPath: `${at}.state` });
    get.addRetry({ errors: TRANSIENT, interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2 });
    for (const step of [start, get]) step.addCatch(failSync, { errors: ['States.ALL'], resultPath: '$.error' });
    const result = (id: string, reasons?: string) => new sfn.Pass(scope, `${name}Job${id}`, {
      parameters: {
        'status.$': `${at}.state.Status`,
        'statistics.$': `States.JsonToString(${at}.state.IngestionJob.Statistics)`,
        ...(reasons ? { 'reasons.$': reasons } : { reasons: '[]' }),
      },
      resultPath: `$.jobs.${name.toLowerCase()}`,
    });
    const withReasons = result('WithReasons', `States.JsonToString(${at}.state.IngestionJob.FailureReasons)`);
    const noReasons = result('WithoutReasons');
    const ended = new sfn.Pass(scope, `${name}JobDone`);
    withReasons.next(ended);
    noReasons.next(ended);
    const reasons = new sfn.Choice(scope, `${name}JobReasons`)
      .when(sfn.Condition.isPresent(`${at}.state.IngestionJob.FailureReasons[0]`), withReasons)
      .otherwise(noReasons);
    start.next(wait).next(countPoll).next(new sfn.Choice(scope, `${name}PollAgain`)
      .when(sfn.Condition.numberGreaterThan(`${at}.polls`, this.maxPolls), tooLong)
      .otherwise(get));
    get.next(new sfn.Choice(scope, `${name}JobEnded`)
      .when(sfn.Condition.or(...['COMPLETE', 'FAILED', 'STOPPED'].map((s) => sfn.Condition.stringEquals(`${at}.state.Status`, s))), reasons)
      .otherwise(wait));
    return [start, ended];
  }

  /** `kb.sync`: SUCCEEDED when every job is COMPLETE, FAILED otherwise; statistics and failure reasons of each job. */
  private syncOutcome(stale: sfn.IChainable, now: tasks.DynamoAttributeValue): sfn.IChainable {
    const { scope } = this;
    const write = (id: string, status: string, web: boolean) => this.record(id, 'SET #kb.#sync = :sync, #kb.updatedAt = :now', {
      ':now': now,
      ':sync': tasks.DynamoAttributeValue.fromMap({
        status: str(status),
        startedAt: path('$.syncStarted.at'),
        finishedAt: now,
        statistics: path('$.jobs.documents.statistics'),
        failureReasons: path('$.jobs.documents.reasons'),
        ...(web ? { crawlerStatistics: path('$.jobs.web.statistics'), crawlerFailureReasons: path('$.jobs.web.reasons') } : {}),
      }),
    }, stale, { '#sync': 'sync' });
    const done = new sfn.Succeed(scope, 'Synced');
    const failedOutcome = new sfn.Fail(scope, 'SyncJobFailed', { error: 'IngestionJobFailed', cause: 'An ingestion job of the dedicated knowledge base ended FAILED or STOPPED (kb.sync has its reasons)' });
    const docsOk = sfn.Condition.stringEquals('$.jobs.documents.status', 'COMPLETE');
    const webOk = sfn.Condition.stringEquals('$.jobs.web.status', 'COMPLETE');
    const hasWeb = sfn.Condition.isPresent('$.jobs.web');
    return new sfn.Choice(scope, 'SyncOutcome')
      .when(sfn.Condition.and(hasWeb, docsOk, webOk), write('RecordSyncSucceededWithCrawler', 'SUCCEEDED', true).next(done))
      .when(hasWeb, write('RecordSyncFailedWithCrawler', 'FAILED', true).next(failedOutcome))
      .when(docsOk, write('RecordSyncSucceeded', 'SUCCEEDED', false).next(done))
      .otherwise(write('RecordSyncJobFailed', 'FAILED', false).next(failedOutcome));
  }

  /**
   * update: unless a later save superseded it, delete the crawler data source if there is one, create the new one when
   * the settings have a crawler, record, sync.
   */
  private updateChain(failSync: sfn.IChainable, now: tasks.DynamoAttributeValue, sync: sfn.IChainable): sfn.IChainable {
    const { scope } = this;
    const deleteOld = this.sdk('DeleteOldWebDataSource', 'bedrockagent', 'deleteDataSource', {
      'KnowledgeBaseId.$': '$.record.Item.kb.M.knowledgeBaseId.S',
      'DataSourceId.$': '$.record.Item.kb.M.crawlerDataSourceId.S',
    }, { ResultPath: null });
    deleteOld.addRetry({ errors: TRANSIENT, interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2 });
    const createNew = this.createWebDataSource('CreateNewWebDataSource', '$.record.Item.kb.M.knowledgeBaseId.S');
    // Two quick saves of the crawler start two updates of one generation: each record names the save (`revision`), so
    // only the latest save's update records its data source and syncs; an older one deletes the data source it made.
    const deleteMine = this.sdk('DeleteStaleWebDataSource', 'bedrockagent', 'deleteDataSource', {
      'KnowledgeBaseId.$': '$.record.Item.kb.M.knowledgeBaseId.S',
      'DataSourceId.$': '$.webSource.id',
    }, { ResultPath: null });
    deleteMine.addRetry({ errors: TRANSIENT, interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2 });
    const superseded = new sfn.Succeed(scope, 'Superseded', { comment: 'A later save of the bot started another update: this one leaves the record to it' });
    deleteMine.addCatch(superseded, { errors: KB_NOT_FOUND, resultPath: sfn.JsonPath.DISCARD });
    deleteMine.next(superseded);
    const recordNew = this.record('RecordCrawler', 'SET #kb.crawlerDataSourceId = :web, #kb.updatedAt = :now', { ':web': path('$.webSource.id'), ':now': now },
      deleteMine, {}, true);
    const recordNone = this.record('RecordNoCrawler', 'SET #kb.updatedAt = :now REMOVE #kb.crawlerDataSourceId', { ':now': now }, superseded, {}, true);
    for (const step of [createNew, recordNew, recordNone]) step.addCatch(failSync, { errors: ['States.ALL'], resultPath: '$.error' });
    const create = new sfn.Choice(scope, 'NewCrawler')
      .when(sfn.Condition.isPresent('$.crawlerConfig'), createNew.next(recordNew).next(sync))
      .otherwise(recordNone.next(sync));
    deleteOld.addCatch(create, { errors: KB_NOT_FOUND, resultPath: sfn.JsonPath.DISCARD });
    deleteOld.addCatch(failSync, { errors: ['States.ALL'], resultPath: '$.error' });
    deleteOld.next(create);
    const hasOld = new sfn.Choice(scope, 'HasOldCrawler')
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.record.Item.kb.M.knowledgeBaseId.S'), sfn.Condition.isPresent('$.record.Item.kb.M.crawlerDataSourceId.S')), deleteOld)
      .otherwise(create);
    // Superseded already when it starts (the record names a later save): it touches nothing, not even the crawler
    // data source the later update made.
    return new sfn.Choice(scope, 'CurrentRevision')
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.record.Item.kb.M.revision.S'), sfn.Condition.stringEqualsJsonPath('$.record.Item.kb.M.revision.S', '$.revision')), hasOld)
      .otherwise(superseded);
  }

  private deprovisionDefinition(): sfn.IChainable {
    const { scope, options } = this;
    // A knowledge base still CREATING (a stale create's cleanup), or a data source whose job runs, answers
    // ConflictException (the errors of https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_DeleteKnowledgeBase.html
    // and API_agent_DeleteDataSource.html): tried again for about 20 minutes.
    const retry = (t: sfn.CustomState) => t.addRetry({ errors: TRANSIENT, interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2 })
      .addRetry({ errors: ['BedrockAgent.ConflictException'], interval: Duration.seconds(10), maxAttempts: 10, backoffRate: 1.5 });

    // DeleteIndex names the index by its ARN, or by the bucket's name and its name (no bucket ARN):
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_S3VectorBuckets_DeleteIndex.html
    const deleteIndex = this.sdk('DeleteIndex', 's3vectors', 'deleteIndex', {
      'IndexArn.$': sfn.JsonPath.format(`${options.vectorBucketArn}/index/{}`, sfn.JsonPath.stringAt('$.indexName')),
    }, { ResultPath: null });
    const removeKb = new tasks.DynamoUpdateItem(scope, 'RemoveKb', {
      table: this.table,
      key: this.botKey(),
      updateExpression: 'REMOVE #kb',
      // a missing bot, or a kb of another generation, fails the condition: nothing is written (no item is created)
      conditionExpression: '#kb.generation = :generation',
      expressionAttributeNames: { '#kb': 'kb' },
      expressionAttributeValues: { ':generation': path('$.generation') },
      resultPath: sfn.JsonPath.DISCARD,
    });
    const removed = new sfn.Succeed(scope, 'Deprovisioned');
    removeKb.addCatch(new sfn.Succeed(scope, 'KbChanged', { comment: 'The bot is gone or has another generation: its kb is left as it is' }), { errors: CONDITION_FAILED, resultPath: sfn.JsonPath.DISCARD });
    removeKb.next(removed);
    deleteIndex.addCatch(removeKb, { errors: INDEX_NOT_FOUND, resultPath: sfn.JsonPath.DISCARD });
    deleteIndex.next(removeKb);

    const deleteSources = new sfn.Map(scope, 'DeleteDataSources', {
      itemsPath: '$.dataSourceIds',
      itemSelector: { 'knowledgeBaseId.$': '$.knowledgeBaseId', 'dataSourceId.$': '$$.Map.Item.Value' },
      maxConcurrency: 1,
      resultPath: sfn.JsonPath.DISCARD,
    });
    const deleteSource = this.sdk('DeleteDataSource', 'bedrockagent', 'deleteDataSource', { 'KnowledgeBaseId.$': '$.knowledgeBaseId', 'DataSourceId.$': '$.dataSourceId' }, { ResultPath: null });
    retry(deleteSource);
    const sourceGone = new sfn.Pass(scope, 'DataSourceGone');
    deleteSource.addCatch(sourceGone, { errors: KB_NOT_FOUND, resultPath: sfn.JsonPath.DISCARD });
    deleteSources.itemProcessor(deleteSource);

    const deleteKb = this.sdk('DeleteKnowledgeBase', 'bedrockagent', 'deleteKnowledgeBase', { 'KnowledgeBaseId.$': '$.knowledgeBaseId' }, { ResultSelector: { polls: 0 }, ResultPath: '$.deleting' });
    retry(deleteKb);
    deleteKb.addCatch(deleteIndex, { errors: KB_NOT_FOUND, resultPath: sfn.JsonPath.DISCARD });
    const wait = new sfn.Wait(scope, 'WaitForDeletion', { time: sfn.WaitTime.duration(options.pollInterval) });
    const countPoll = new sfn.Pass(scope, 'CountDeletionPoll', { parameters: { 'polls.$': 'States.MathAdd($.deleting.polls, 1)' }, resultPath: '$.deleting' });
    const getKb = this.sdk('GetDeletedKnowledgeBase', 'bedrockagent', 'getKnowledgeBase', { 'KnowledgeBaseId.$': '$.knowledgeBaseId' }, {
      ResultSelector: { 'status.$': '$.KnowledgeBase.Status' }, ResultPath: '$.deletingState',
    });
    retry(getKb);
    getKb.addCatch(deleteIndex, { errors: KB_NOT_FOUND, resultPath: sfn.JsonPath.DISCARD });
    const failed = new sfn.Fail(scope, 'DeletionFailed', { error: 'KnowledgeBaseNotDeleted', cause: 'The knowledge base could not be deleted (DELETE_UNSUCCESSFUL, or still deleting after the wait)' });
    deleteKb.next(wait).next(countPoll).next(new sfn.Choice(scope, 'DeletionPollAgain')
      .when(sfn.Condition.numberGreaterThan('$.deleting.polls', this.maxPolls), failed)
      .otherwise(getKb));
    getKb.next(new sfn.Choice(scope, 'KnowledgeBaseGone')
      .when(sfn.Condition.stringEquals('$.deletingState.status', 'DELETING'), wait)
      .otherwise(failed));
    deleteSources.next(deleteKb);

    return new sfn.Choice(scope, 'HasKnowledgeBase')
      .when(sfn.Condition.isPresent('$.knowledgeBaseId'), new sfn.Choice(scope, 'HasDataSources')
        .when(sfn.Condition.isPresent('$.dataSourceIds[0]'), deleteSources)
        .otherwise(deleteKb))
      .otherwise(deleteIndex);
  }

  private machine(id: string, comment: string, definition: sfn.IChainable): sfn.StateMachine {
    const { scope, options } = this;
    const logGroup = createLogGroup(scope, `${id}Logs`, { retention: options.logRetention, removalPolicy: options.removalPolicy });
    const machine = new sfn.StateMachine(scope, `${id}StateMachine`, {
      comment,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      // The poll loops are bounded (MAX_WAIT); no execution timeout, so a failure is always recorded by the machine.
      tracingEnabled: true,
      // Execution data (bot ids, settings, URLs) stays out of the logs, as the bulk sync's.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    const policy = machine.role.node.tryFindChild('DefaultPolicy')?.node.defaultChild as CfnResource | undefined;
    if (policy) (machine.node.defaultChild as CfnResource).addOverride('DependsOn', [Stack.of(scope).getLogicalId(policy)]);
    acknowledge(machine.role, {
      id: 'AwsSolutions-IAM5',
      reason: 'Step Functions needs these actions on "*" to trace with X-Ray and to deliver its logs (https://docs.aws.amazon.com/step-functions/latest/dg/xray-iam.html, '
        + 'https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html); CreateKnowledgeBase takes no resource and is conditioned on the deployment tag '
        + '(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html); the knowledge bases and bot-* indexes are made at runtime, '
        + 'each knowledge base action conditioned on the deployment tag.',
      appliesTo: ['Resource::*', this.kbFinding, `Resource::<${options.vectorBucketFinding}>/index/bot-*`],
    });
    return machine;
  }

  private grantMachines(): void {
    const { options } = this;
    const tagged = this.tagCondition;
    const provision = this.provisionStateMachine;
    const deprovision = this.deprovisionStateMachine;
    // Actions and their resource types and condition keys: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html
    // (CreateKnowledgeBase: no resource type, aws:RequestTag; the knowledge-base resource type: aws:ResourceTag) and
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3vectors.html (index).
    provision.addToRolePolicy(new iam.PolicyStatement({
      sid: 'CreateTaggedKnowledgeBase',
      actions: ['bedrock:CreateKnowledgeBase'],
      resources: ['*'],
      conditions: { StringEquals: { [`aws:RequestTag/${DEPLOYMENT_TAG}`]: options.deploymentTag } },
    }));
    // Tags given to CreateKnowledgeBase need TagResource (https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-base-prereq-permissions-general.html).
    provision.addToRolePolicy(new iam.PolicyStatement({
      sid: 'TagKnowledgeBase',
      actions: ['bedrock:TagResource'],
      resources: [this.kbPattern],
      conditions: { StringEquals: { [`aws:RequestTag/${DEPLOYMENT_TAG}`]: options.deploymentTag } },
    }));
    provision.addToRolePolicy(new iam.PolicyStatement({
      sid: 'DedicatedKnowledgeBases',
      actions: ['bedrock:GetKnowledgeBase', 'bedrock:CreateDataSource', 'bedrock:DeleteDataSource', 'bedrock:StartIngestionJob', 'bedrock:GetIngestionJob'],
      resources: [this.kbPattern],
      conditions: tagged,
    }));
    provision.addToRolePolicy(new iam.PolicyStatement({
      sid: 'PassServiceRole',
      actions: ['iam:PassRole'],
      resources: [this.serviceRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } },
    }));
    provision.addToRolePolicy(new iam.PolicyStatement({ sid: 'CreateBotIndex', actions: ['s3vectors:CreateIndex'], resources: [this.indexPattern] }));
    deprovision.addToRolePolicy(new iam.PolicyStatement({
      sid: 'DeleteDedicatedKnowledgeBases',
      actions: ['bedrock:GetKnowledgeBase', 'bedrock:DeleteKnowledgeBase', 'bedrock:DeleteDataSource'],
      resources: [this.kbPattern],
      conditions: tagged,
    }));
    deprovision.addToRolePolicy(new iam.PolicyStatement({ sid: 'DeleteBotIndex', actions: ['s3vectors:DeleteIndex'], resources: [this.indexPattern] }));
  }

  private wireFunctions(): void {
    const { options } = this;
    const { backend } = options;
    const dedicated = JSON.stringify({
      embeddingModels: options.embeddingModels.map((m) => ({ modelId: m.modelId, dimensions: m.dimensions })),
      parsingModels: options.parsingModels,
    });
    const existing = JSON.stringify(options.existingKnowledgeBases.map((k) => ({
      knowledgeBaseId: k.knowledgeBaseId, name: k.name, ...(k.description ? { description: k.description } : {}),
    })));
    for (const fn of [backend.botsApi.function, backend.cleanup.function]) this.wireStarter(fn);
    options.backend.botsApi.function.addEnvironment('KNOWLEDGE_DEDICATED', dedicated);
    options.backend.botsApi.function.addEnvironment('KNOWLEDGE_EXISTING', existing);
    this.dedicatedJson = dedicated;
    this.existingJson = existing;

    // The worker retrieves from the bots' dedicated knowledge bases (this deployment's: the tag) and the existing ones.
    const worker = options.workerFunction;
    worker.addEnvironment('KNOWLEDGE_EXISTING', existing);
    worker.addToRolePolicy(new iam.PolicyStatement({ actions: ['bedrock:Retrieve'], resources: [this.kbPattern], conditions: this.tagCondition }));
    if (options.existingKnowledgeBases.length) {
      grant(worker, ['bedrock:Retrieve'], options.existingKnowledgeBases.map((k) =>
        Stack.of(this.scope).formatArn({ service: 'bedrock', resource: 'knowledge-base', resourceName: k.knowledgeBaseId })));
    }
    const role = worker.role;
    if (role) {
      acknowledge(role, {
        id: 'AwsSolutions-IAM5',
        reason: 'Dedicated knowledge bases of bots are made at runtime; Retrieve on them is conditioned on the deployment tag their creation sets.',
        appliesTo: [this.kbFinding],
      });
    }
  }

  /** StartExecution on both machines and their ARNs. */
  private wireStarter(fn: lambda.Function): void {
    fn.addEnvironment('KNOWLEDGE_PROVISION_ARN', this.provisionStateMachine.stateMachineArn);
    fn.addEnvironment('KNOWLEDGE_DEPROVISION_ARN', this.deprovisionStateMachine.stateMachineArn);
    grant(fn, ['states:StartExecution'], [this.provisionStateMachine.stateMachineArn, this.deprovisionStateMachine.stateMachineArn]);
  }

  /**
   * The knowledge-api function (made by the documents part after this one): StartExecution (sync), the settings for
   * GET /knowledge/bases, and direct ingestion into the bots' dedicated knowledge bases (their S3 data sources).
   */
  public wireKnowledgeApi(fn: lambda.Function): void {
    this.wireStarter(fn);
    fn.addEnvironment('KNOWLEDGE_DEDICATED', this.dedicatedJson);
    fn.addEnvironment('KNOWLEDGE_EXISTING', this.existingJson);
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['bedrock:IngestKnowledgeBaseDocuments', 'bedrock:GetKnowledgeBaseDocuments', 'bedrock:DeleteKnowledgeBaseDocuments'],
      resources: [this.kbPattern],
      conditions: this.tagCondition,
    }));
    acknowledge(fn.role!, {
      id: 'AwsSolutions-IAM5',
      reason: 'Dedicated knowledge bases of bots are made at runtime; ingestion into them is conditioned on the deployment tag their creation sets.',
      appliesTo: [this.kbFinding],
    });
  }
}
