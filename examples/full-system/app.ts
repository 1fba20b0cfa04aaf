import { App, CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BedrockChatFrontend, BotSharing, ChatBackend, ChatModel, InferenceProfileMode, KnowledgeBaseFactory, VectorStore } from '../../src';

/**
 * The full Bedrock Chat system in one stack: the backend (sign-in, conversations, WebSocket and REST APIs,
 * Bedrock streaming) and the frontend (CloudFront + S3) serving the app and the `<bedrock-chat>` widget.
 */
export class BedrockChatStack extends Stack {
  public readonly backend: ChatBackend;
  public readonly frontend: BedrockChatFrontend;
  public readonly knowledge: KnowledgeBaseFactory;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const removalPolicy = this.node.tryGetContext('destroyOnRemoval') === 'true' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    const profileMode = this.node.tryGetContext('inferenceProfileMode') as string | undefined;

    this.backend = new ChatBackend(this, 'Backend', {
      removalPolicy,
      // The models users can pick from; the first is the default. Claude Haiku 4.5 also proposes the titles.
      models: [ChatModel.CLAUDE_SONNET_4_5, ChatModel.CLAUDE_HAIKU_4_5, ChatModel.NOVA_PRO],
      // `-c inferenceProfileMode=GEOGRAPHIC` keeps requests in the stack's geography (default: global profiles first).
      inferenceProfileMode: profileMode ? InferenceProfileMode.of(profileMode) : undefined,
      // Budgets per user (UTC calendar windows; the tightest override an admin sets for the user or one of their
      // groups wins, in the app's Usage limits screen or through PUT /usage/limits/...): a chat user rarely comes
      // near them (a long Sonnet conversation turn is a few thousand tokens), one script or stolen account cannot
      // spend more than about USD 5 a day. Every user sees what is used and left in the app's settings.
      usageLimits: {
        tokensPerHour: 50_000,
        tokensPerDay: 200_000,
        costUsdPerDay: 5,
        costUsdPerMonth: 50,
      },
    });
    // A bot declared in code: written on deploy, shared with everyone, pinned first among the essentials, and not
    // editable in the app.
    this.backend.addBot('writing-coach', {
      title: 'Writing coach',
      description: 'Improves your text: clearer, shorter, friendlier. Paste a paragraph to start.',
      instructions: 'You are a writing coach. Rewrite the text the user gives you so it is clearer and shorter, keep its meaning and language, then list the two most important changes you made.',
      sharing: BotSharing.everyone(),
      pinned: 0,
      models: [ChatModel.CLAUDE_HAIKU_4_5.key, ChatModel.CLAUDE_SONNET_4_5.key],
      defaultModel: ChatModel.CLAUDE_HAIKU_4_5.key,
      temperature: 0.3,
      quickStarters: [
        { title: 'Shorten an email', example: 'Please make this email shorter: ...' },
        { title: 'Friendlier tone', example: 'Make this message sound friendlier: ...' },
      ],
    });
    this.frontend = new BedrockChatFrontend(this, 'Frontend', { backend: this.backend, removalPolicy });
    // Knowledge for bots: the document bucket and the shared knowledge base on S3 Vectors (no idle cost).
    // `-c existingKnowledgeBaseId=<id> -c existingKnowledgeBaseName=<name>` also offers a knowledge base of the
    // account (Kendra, Confluence, SharePoint sources...) to bots in `existing` mode; the worker may retrieve from it.
    const existingId = this.node.tryGetContext('existingKnowledgeBaseId') as string | undefined;
    const existingName = (this.node.tryGetContext('existingKnowledgeBaseName') as string | undefined) ?? 'Existing knowledge base';
    // `-c vectorStore=openSearchServerless`: the shared knowledge base on OpenSearch Serverless, searched HYBRID (an
    // idle cost of at least 1 OCU per hour: the construct README's "Cost"); dedicated knowledge bases stay on S3 Vectors.
    const store = this.node.tryGetContext('vectorStore') as string | undefined;
    if (store !== undefined && store !== 's3Vectors' && store !== 'openSearchServerless') {
      throw new Error(`-c vectorStore is s3Vectors or openSearchServerless, got ${store}.`);
    }
    this.knowledge = new KnowledgeBaseFactory(this, 'Knowledge', {
      backend: this.backend,
      removalPolicy,
      vectorStore: store === 'openSearchServerless' ? VectorStore.openSearchServerless() : VectorStore.s3Vectors(),
      existingKnowledgeBases: existingId ? [{ knowledgeBaseId: existingId, name: existingName }] : undefined,
    });

    new CfnOutput(this, 'AppUrl', { value: this.frontend.url, description: 'Open this in a browser' });
    new CfnOutput(this, 'WidgetUrl', {
      value: this.frontend.widgetUrl,
      description: 'Embed: <script type="module" src="WidgetUrl"></script><bedrock-chat></bedrock-chat>',
    });
    new CfnOutput(this, 'WebSocketUrl', { value: this.backend.webSocketUrl });
    new CfnOutput(this, 'RestApiUrl', { value: this.backend.restApiUrl });
    new CfnOutput(this, 'UserPoolId', { value: this.backend.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.backend.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'KnowledgeBaseId', { value: this.knowledge.knowledgeBaseId });
    new CfnOutput(this, 'KnowledgeDocumentBucket', { value: this.knowledge.documentBucket.bucketName });
    new CfnOutput(this, 'KnowledgeSyncTable', {
      value: this.knowledge.syncTable.tableName,
      description: 'The bulk/ sync status: one item per data source (status, job, statistics, failure reasons)',
    });
  }
}

/** Builds the example app (used by `cdk synth` and by the tests). */
export function buildApp(app: App = new App()): App {
  new BedrockChatStack(app, 'BedrockChat', {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  return app;
}

if (require.main === module) {
  buildApp().synth();
}
