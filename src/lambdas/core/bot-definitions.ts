/**
 * Bots as code (issue 11): a bot declared with `backend.addBot(id, options)` is written by the deployment, through a
 * CloudFormation custom resource whose provider is the `bot-definition` function, with the item layout of every bot
 * (`botItem(...)`, `ownerId: DEPLOYMENT`, `managed: true`). The declaration travels as one JSON string property
 * (`Bot`): CloudFormation hands custom resource properties over as strings, so numbers and booleans would arrive
 * as text otherwise.
 *
 * Idempotent: the item carries `contentHash`, the SHA-256 of the declaration; a deploy whose declaration hashes the
 * same writes nothing. A changed declaration is written over the item, keeping what users made of the bot (its
 * usage count and creation time), conditional on the item being the one read (a concurrent change fails the deploy
 * with a clear reason rather than being lost). Stack deletion (or a bot removed from the code) deletes the item, and
 * the deletion pipe cleans up the stars and recents users made.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DEPLOYMENT_BOT_ID_PATTERN, DEPLOYMENT_OWNER } from './bot-keys';
import { BOT_SK, botInputSchema, botItem, botPk, BotScope, BotStore, GenerationParams, QuickStarter, validateBotSettings } from './bots';
import type { ModelSettings } from './models';
import { validate } from './schema';

/** A bot as the construct declares it (the `Bot` property of the custom resource, as JSON). */
export interface DeclaredBot {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly instructions?: string;
  readonly generation?: GenerationParams;
  readonly quickStarters?: QuickStarter[];
  readonly models?: string[];
  readonly defaultModel?: string;
  readonly promptCaching?: boolean;
  readonly showRetrievedChunks?: boolean;
  readonly guardrail?: { readonly id: string; readonly version: string };
  /** `all` (everyone, in the store) or `partial` (the groups). */
  readonly scope: Extract<BotScope, 'all' | 'partial'>;
  readonly groups?: string[];
  /** Pinned among the essentials at this order (scope `all` only). */
  readonly pinOrder?: number;
}

export interface DefinitionDeps {
  readonly db: { send(command: unknown): Promise<unknown> };
  readonly tableName: string;
  readonly settings: ModelSettings;
}

export function contentHash(bot: DeclaredBot): string {
  return createHash('sha256').update(canonical(bot)).digest('hex');
}

/** Parses and checks a declaration: the id pattern, and the bot's settings against the deployment's models. */
export function parseDeclaredBot(json: unknown, settings: ModelSettings): DeclaredBot {
  if (typeof json !== 'string') throw new Error('Bot: expected the declaration as a JSON string');
  const bot = JSON.parse(json) as DeclaredBot;
  if (typeof bot !== 'object' || bot === null || Array.isArray(bot)) throw new Error('Bot: expected a JSON object');
  if (typeof bot.id !== 'string' || !new RegExp(DEPLOYMENT_BOT_ID_PATTERN).test(bot.id)) throw new Error(`Bot id ${String(bot.id)}: expected ${DEPLOYMENT_BOT_ID_PATTERN}`);
  if (bot.scope !== 'all' && bot.scope !== 'partial') throw new Error(`Bot ${bot.id}: scope must be all or partial`);
  // The fields a bot made in the app has pass the same schema as POST /bots (limits, reasoning budget, ...).
  const { id: _id, scope: _scope, groups, pinOrder, ...input } = bot;
  const problem = validate(botInputSchema(true), input);
  if (problem) throw new Error(`Bot ${bot.id}: ${problem}`);
  if (groups !== undefined && (!Array.isArray(groups) || groups.length > 20 || groups.some((g) => typeof g !== 'string' || g.length < 1 || g.length > 128))) {
    throw new Error(`Bot ${bot.id}: groups: 1 to 20 group names`);
  }
  if (pinOrder !== undefined && (!Number.isInteger(pinOrder) || pinOrder < 0 || pinOrder > 999 || bot.scope !== 'all')) {
    throw new Error(`Bot ${bot.id}: pinOrder: an integer 0 to 999, for a bot shared with everyone`);
  }
  const checked = { models: bot.models ?? [], defaultModel: bot.defaultModel, generation: bot.generation ?? {}, guardrail: bot.guardrail };
  validateBotSettings(checked, settings);
  return bot;
}

/** Writes the declared bot unless the stored one has the same content hash. */
export async function applyDeclaredBot(deps: DefinitionDeps, bot: DeclaredBot): Promise<'written' | 'unchanged'> {
  const hash = contentHash(bot);
  const read = await deps.db.send(new GetCommand({ TableName: deps.tableName, Key: { pk: botPk(bot.id), sk: BOT_SK }, ConsistentRead: true }));
  const current = (read as { Item?: Record<string, unknown> }).Item;
  if (current?.contentHash === hash) return 'unchanged';
  if (current && current.ownerId !== DEPLOYMENT_OWNER) throw new Error(`Bot ${bot.id}: the table already holds a bot with this id that the deployment does not own`);
  const now = new Date().toISOString();
  const item = {
    ...botItem({
      id: bot.id,
      ownerId: DEPLOYMENT_OWNER,
      managed: true,
      title: bot.title,
      description: bot.description,
      instructions: bot.instructions,
      generation: bot.generation,
      quickStarters: bot.quickStarters,
      models: bot.models,
      defaultModel: bot.defaultModel,
      promptCaching: bot.promptCaching,
      showRetrievedChunks: bot.showRetrievedChunks,
      guardrail: bot.guardrail,
      scope: bot.scope,
      sharedGroups: bot.groups,
      pinned: bot.pinOrder !== undefined,
      pinOrder: bot.pinOrder,
      usageCount: typeof current?.usageCount === 'number' ? current.usageCount : 0,
      createdAt: typeof current?.createdAt === 'string' ? current.createdAt : now,
      updatedAt: now,
    }),
    contentHash: hash,
  };
  await deps.db.send(new PutCommand({
    TableName: deps.tableName,
    Item: item,
    ...(current
      ? { ConditionExpression: 'updatedAt = :read', ExpressionAttributeValues: { ':read': current.updatedAt } }
      : { ConditionExpression: 'attribute_not_exists(pk)' }),
  }));
  // The store's lists are cached per container until the store's version changes.
  if (bot.scope === 'all' || current?.scope === 'all') await new BotStore(deps.db as never, deps.tableName).bumpStoreVersion();
  return 'written';
}

/** Deletes a declared bot (only one the deployment owns). */
export async function removeDeclaredBot(deps: Pick<DefinitionDeps, 'db' | 'tableName'>, botId: string): Promise<void> {
  if (!new RegExp(DEPLOYMENT_BOT_ID_PATTERN).test(botId)) return;
  try {
    const old = await deps.db.send(new DeleteCommand({
      TableName: deps.tableName,
      Key: { pk: botPk(botId), sk: BOT_SK },
      ConditionExpression: 'ownerId = :deployment',
      ExpressionAttributeValues: { ':deployment': DEPLOYMENT_OWNER },
      ReturnValues: 'ALL_OLD',
    })) as { Attributes?: Record<string, unknown> };
    if (old.Attributes?.scope === 'all') await new BotStore(deps.db as never, deps.tableName).bumpStoreVersion();
  } catch (err) {
    // Gone already, or not the deployment's: nothing of ours to delete.
    if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// ------------------------------------------------------------------------------------------------ CloudFormation
/**
 * A custom resource request (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref.html):
 * `RequestType` Create | Update | Delete, `ResponseURL` (a presigned S3 URL for the response), `StackId`,
 * `RequestId`, `ResourceType`, `LogicalResourceId`, `PhysicalResourceId` (Update, Delete), `ResourceProperties`,
 * `OldResourceProperties` (Update).
 */
export interface CustomResourceRequest {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly ResourceType: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
}

/**
 * The response (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html): `Status`
 * SUCCESS | FAILED, `Reason` (required when FAILED), `PhysicalResourceId` (the bot id: a different one on Update is a
 * replacement, and CloudFormation then deletes the old one), `StackId`, `RequestId`, `LogicalResourceId`; at most
 * 4096 bytes.
 */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data?: Record<string, string>;
}

export async function handleBotResource(deps: DefinitionDeps, req: CustomResourceRequest): Promise<CustomResourceResponse> {
  const base = { StackId: req.StackId, RequestId: req.RequestId, LogicalResourceId: req.LogicalResourceId };
  // A failed Create has no bot id yet: CloudFormation needs a non-empty physical id anyway.
  const fallbackId = req.PhysicalResourceId ?? `failed-${req.LogicalResourceId}`;
  try {
    if (req.RequestType === 'Delete') {
      await removeDeclaredBot(deps, req.PhysicalResourceId ?? '');
      return { ...base, Status: 'SUCCESS', PhysicalResourceId: fallbackId };
    }
    const bot = parseDeclaredBot(req.ResourceProperties.Bot, deps.settings);
    const outcome = await applyDeclaredBot(deps, bot);
    return { ...base, Status: 'SUCCESS', PhysicalResourceId: bot.id, Data: { BotId: bot.id, Outcome: outcome } };
  } catch (err) {
    const reason = `${(err as Error).name ?? 'Error'}: ${(err as Error).message ?? String(err)}`.slice(0, 1000);
    return { ...base, Status: 'FAILED', Reason: reason, PhysicalResourceId: fallbackId };
  }
}
