import { CustomResource, Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Bots } from './bots';
import { BackendContext } from './context';
import { BackendModels } from './models';
import { BotDefinitionFunction } from '../../lambdas/bot-definition-function';
import { DEPLOYMENT_BOT_ID_PATTERN } from '../../lambdas/core/bot-keys';
import { largestOutputTokens } from '../../lambdas/core/limits';

/**
 * Who a bot declared in code is shared with: everyone (listed in the store) or the members of some groups of the
 * user pool (checked in the pool each time the bot is used).
 */
export class BotSharing {
  /** Every signed-in user; the bot is listed in the store (and can be pinned). */
  public static everyone(): BotSharing {
    return new BotSharing('all', []);
  }

  /** The members of these groups (1 to 20 group names of the backend's user pool). */
  public static groups(groups: string[]): BotSharing {
    return new BotSharing('partial', [...groups]);
  }

  private constructor(
    /** `all` or `partial`, as the bot API calls them. */
    public readonly scope: string,
    /** The groups (`partial`). */
    public readonly groupNames: string[],
  ) {}
}

/** A conversation starter shown in the bot's chat. */
export interface BotQuickStarter {
  /** 1 to 100 characters. */
  readonly title: string;
  /** The message it sends: 1 to 2,000 characters. */
  readonly example: string;
}

/** A bot declared in code (`ChatBackend.addBot`): written on deploy, owned by the deployment, not editable in the app. */
export interface BotOptions {
  /** 1 to 100 characters. */
  readonly title: string;
  /** @default - none */
  readonly description?: string;
  /** The system prompt (at most 40,000 characters). @default - none */
  readonly instructions?: string;
  /** @default BotSharing.everyone() */
  readonly sharing?: BotSharing;
  /**
   * Pinned among the essentials (the store's first row) at this order, 0 to 999 (lower first). Only for bots shared
   * with everyone.
   * @default - not pinned
   */
  readonly pinned?: number;
  /** Keys (or ids) of the backend's models the bot allows. @default - every model of the backend */
  readonly models?: string[];
  /** One of the bot's models. @default - the first of the bot's models, or the backend's default model */
  readonly defaultModel?: string;
  /** @default - the model's default */
  readonly maxTokens?: number;
  /** 0 to 1. @default - the model's default */
  readonly temperature?: number;
  /** 0 to 1. @default - the model's default */
  readonly topP?: number;
  /** Only for models that take top K (Anthropic). @default - the model's default */
  readonly topK?: number;
  /** At most 4, each 1 to 100 characters. @default - none */
  readonly stopSequences?: string[];
  /** Reasoning tokens (at least 1,024, less than maxTokens), for models that reason. @default - no reasoning */
  readonly reasoningBudget?: number;
  /** At most 8. @default - none */
  readonly quickStarters?: BotQuickStarter[];
  /** @default true */
  readonly promptCaching?: boolean;
  /** @default false */
  readonly showRetrievedChunks?: boolean;
  /** An existing guardrail's id (with `guardrailVersion`). @default - no guardrail */
  readonly guardrailId?: string;
  /** The version of `guardrailId` (`DRAFT` or a number). @default - no guardrail */
  readonly guardrailVersion?: string;
}

/** The bots declared in code (issue 11, "bots as code"): one custom resource each, one provider function for all. */
export class BotDefinitions {
  public function?: lambda.Function;
  private readonly ids = new Set<string>();

  constructor(
    private readonly ctx: BackendContext,
    private readonly bots: Bots,
    private readonly models: BackendModels,
    private readonly reasoningBudget: number,
  ) {}

  /** Validates the declaration and adds its custom resource. */
  public add(id: string, options: BotOptions): CustomResource {
    const declared = this.validate(id, options);
    const fn = this.provider();
    return new CustomResource(this.ctx.scope, `Bot${pascal(id)}`, {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::BedrockChatBot',
      // One JSON string: CloudFormation passes custom resource properties as strings, numbers included.
      properties: { Bot: JSON.stringify(declared) },
    });
  }

  private provider(): lambda.Function {
    if (this.function) return this.function;
    this.function = this.ctx.functions.create('BotDefinition', BotDefinitionFunction, {
      description: 'bedrock-chat: writes the bots declared in code (custom resource Custom::BedrockChatBot)',
      timeout: Duration.minutes(1),
      memorySize: 256,
      environment: { BOT_TABLE_NAME: this.bots.table.tableName, ...this.models.environment },
    });
    this.bots.grantTable(this.function, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem']);
    return this.function;
  }

  private validate(id: string, o: BotOptions): Record<string, unknown> {
    const fail = (message: string): never => {
      throw new Error(`addBot('${id}'): ${message}`);
    };
    if (!new RegExp(DEPLOYMENT_BOT_ID_PATTERN).test(id)) fail(`the id must match ${DEPLOYMENT_BOT_ID_PATTERN} (lower-case letters, digits and hyphens, 1 to 64).`);
    if (this.ids.has(id)) fail('a bot with this id is already declared on this backend.');
    const title = o.title?.trim() ?? '';
    if (title.length < 1 || title.length > 100) fail('title must be 1 to 100 characters.');
    if ((o.description?.length ?? 0) > 1000) fail('description must be at most 1,000 characters.');
    if ((o.instructions?.length ?? 0) > 40_000) fail('instructions must be at most 40,000 characters.');
    const sharing = o.sharing ?? BotSharing.everyone();
    if (sharing.scope === 'partial') {
      if (sharing.groupNames.length < 1 || sharing.groupNames.length > 20) fail('BotSharing.groups takes 1 to 20 group names.');
      for (const g of sharing.groupNames) if (!/^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u.test(g)) fail(`group name '${g}' is not a Cognito group name (1 to 128 characters, no spaces).`);
    }
    if (o.pinned !== undefined) {
      if (sharing.scope !== 'all') fail('only a bot shared with everyone can be pinned.');
      if (!Number.isInteger(o.pinned) || o.pinned < 0 || o.pinned > 999) fail('pinned must be an integer 0 to 999.');
    }
    const all = this.models.models;
    const find = (k: string) => all.find((m) => m.key === k || m.modelId === k);
    const keys = o.models ?? [];
    for (const k of keys) if (!find(k)) fail(`model ${k} is not a model of this backend (${all.map((m) => m.key).join(', ')}).`);
    if (new Set(keys).size !== keys.length) fail('a model is listed twice.');
    const allowed = keys.length > 0 ? keys.map((k) => find(k)!) : all;
    if (o.defaultModel !== undefined && !allowed.some((m) => m.key === o.defaultModel || m.modelId === o.defaultModel)) {
      fail(`defaultModel ${o.defaultModel} is not one of the bot's models (${allowed.map((m) => m.key).join(', ')}).`);
    }
    const largest = largestOutputTokens(this.reasoningBudget);
    if (o.maxTokens !== undefined && (!Number.isInteger(o.maxTokens) || o.maxTokens < 1 || o.maxTokens > largest)) fail(`maxTokens must be an integer 1 to ${largest} (the largest answer this backend's worker is sized for).`);
    if (o.temperature !== undefined && !(o.temperature >= 0 && o.temperature <= 1)) fail('temperature must be 0 to 1.');
    if (o.topP !== undefined && !(o.topP >= 0 && o.topP <= 1)) fail('topP must be 0 to 1.');
    if (o.topK !== undefined) {
      if (!Number.isInteger(o.topK) || o.topK < 0 || o.topK > 500) fail('topK must be an integer 0 to 500.');
      for (const m of allowed) if (m.provider !== 'anthropic') fail(`topK: ${m.displayName} (${m.key}) does not take top K.`);
    }
    const stops = o.stopSequences ?? [];
    if (stops.length > 4 || stops.some((s) => s.length < 1 || s.length > 100)) fail('stopSequences: at most 4, each 1 to 100 characters.');
    if (o.reasoningBudget !== undefined) {
      const answer = o.maxTokens ?? largest;
      if (!Number.isInteger(o.reasoningBudget) || o.reasoningBudget < 1024) fail('reasoningBudget must be an integer of at least 1,024.');
      if (o.reasoningBudget >= answer) fail(`reasoningBudget must be less than maxTokens (${answer}).`);
      if (o.reasoningBudget > this.reasoningBudget) fail(`reasoningBudget: at most ${this.reasoningBudget} in this backend (reasoningBudgetTokens).`);
      for (const m of allowed) {
        if (!m.capabilities.reasoning) fail(`reasoningBudget: ${m.displayName} (${m.key}) does not reason.`);
        if (m.capabilities.adaptiveReasoningOnly) fail(`reasoningBudget: ${m.displayName} (${m.key}) decides its reasoning budget itself.`);
        if (m.provider === 'anthropic' && (o.temperature !== undefined || o.topK !== undefined)) fail(`reasoningBudget: ${m.displayName} (${m.key}) does not take temperature or top K while it reasons.`);
      }
    }
    const starters = o.quickStarters ?? [];
    if (starters.length > 8) fail('at most 8 quickStarters.');
    for (const q of starters) {
      if (q.title.length < 1 || q.title.length > 100 || q.example.length < 1 || q.example.length > 2000) fail('a quick starter has a title of 1 to 100 and an example of 1 to 2,000 characters.');
    }
    if ((o.guardrailId === undefined) !== (o.guardrailVersion === undefined)) fail('give guardrailId and guardrailVersion together.');
    // GuardrailStreamConfiguration (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_GuardrailStreamConfiguration.html).
    if (o.guardrailId !== undefined && !/^([a-z0-9]+|arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]+)$/.test(o.guardrailId)) fail('guardrailId must be a guardrail id or ARN.');
    if (o.guardrailVersion !== undefined && !/^([1-9][0-9]{0,7}|DRAFT)$/.test(o.guardrailVersion)) fail('guardrailVersion must be DRAFT or a version number.');
    this.ids.add(id);
    const generation = {
      ...(o.maxTokens !== undefined ? { maxTokens: o.maxTokens } : {}),
      ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
      ...(o.topP !== undefined ? { topP: o.topP } : {}),
      ...(o.topK !== undefined ? { topK: o.topK } : {}),
      ...(stops.length > 0 ? { stopSequences: stops } : {}),
      ...(o.reasoningBudget !== undefined ? { reasoningBudget: o.reasoningBudget } : {}),
    };
    return {
      id,
      title,
      ...(o.description ? { description: o.description } : {}),
      ...(o.instructions ? { instructions: o.instructions } : {}),
      generation,
      quickStarters: starters.map((q) => ({ title: q.title, example: q.example })),
      models: allowed === all && keys.length === 0 ? [] : allowed.map((m) => m.key),
      ...(o.defaultModel !== undefined ? { defaultModel: find(o.defaultModel)!.key } : {}),
      promptCaching: o.promptCaching ?? true,
      showRetrievedChunks: o.showRetrievedChunks ?? false,
      ...(o.guardrailId !== undefined ? { guardrail: { id: o.guardrailId, version: o.guardrailVersion } } : {}),
      scope: sharing.scope,
      ...(sharing.scope === 'partial' ? { groups: sharing.groupNames } : {}),
      ...(o.pinned !== undefined ? { pinOrder: o.pinned } : {}),
    };
  }
}

function pascal(id: string): string {
  return id.split('-').filter(Boolean).map((p) => p[0].toUpperCase() + p.slice(1)).join('');
}
