/**
 * Guardrails a bot defines (issue 11): when a bot with `guardrail: {definition}` is saved, the api function creates
 * the guardrail (or updates the one it created before) and publishes a version through the Bedrock control plane,
 * then stores `guardrailRef` `{id, version, arn}` and `guardrailStatus` on the bot; the worker applies that id and
 * version (ConverseStream `guardrailConfig`). When the bot drops its definition, or is deleted (the deletion pipe:
 * core/bot-cleanup.ts), the guardrail is deleted.
 *
 * API shapes: CreateGuardrail (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_CreateGuardrail.html),
 * UpdateGuardrail (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_UpdateGuardrail.html),
 * CreateGuardrailVersion (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_CreateGuardrailVersion.html),
 * DeleteGuardrail (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_DeleteGuardrail.html).
 */
import {
  CreateGuardrailCommand,
  CreateGuardrailVersionCommand,
  DeleteGuardrailCommand,
  GuardrailContentFilterType,
  GuardrailContextualGroundingFilterType,
  UpdateGuardrailCommand,
} from '@aws-sdk/client-bedrock';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BOT_SK, botPk, BotRecord, GuardrailDefinition } from './bots';
import type { GuardrailRef } from './models';

/** The guardrail a bot defined, as stored on the bot (`guardrailRef`). */
export interface DefinedGuardrailRef extends GuardrailRef {
  readonly arn: string;
}

/** What the guardrail functions send through: a Bedrock (control plane) client and the bot table. */
export interface GuardrailDeps {
  readonly bedrock: { send(command: unknown): Promise<unknown> };
  readonly db: { send(command: unknown): Promise<unknown> };
  readonly tableName: string;
  /**
   * Put before the bot id in the guardrail's name, which must be unique in the account and Region
   * (`[0-9a-zA-Z-_]{1,50}`): distinct per deployment (derived from the bot table's name).
   */
  readonly namePrefix: string;
  readonly log?: { warn(message: string, fields?: Record<string, unknown>): void };
}

/** Bedrock's messages when a guardrail blocks (1 to 500 characters each, CreateGuardrail). */
export const DEFAULT_BLOCKED_MESSAGE = 'Sorry, this bot cannot answer that.';

const CONTENT_FILTERS: Record<keyof NonNullable<GuardrailDefinition['contentFilters']>, GuardrailContentFilterType> = {
  hate: 'HATE',
  insults: 'INSULTS',
  sexual: 'SEXUAL',
  violence: 'VIOLENCE',
  misconduct: 'MISCONDUCT',
  promptAttack: 'PROMPT_ATTACK',
};

/**
 * The policy part of CreateGuardrail / UpdateGuardrail for a definition, mapped as the API documents:
 * - each content filter is a `GuardrailContentFilterConfig` `{type, inputStrength, outputStrength}` with the strength
 *   the bot gives (`NONE`, `LOW`, `MEDIUM`, `HIGH`) for prompts and answers alike, except `PROMPT_ATTACK`, which only
 *   applies to prompts: its `outputStrength` must be `NONE`
 *   (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GuardrailContentFilterConfig.html);
 * - `grounding` and `relevance` are `GuardrailContextualGroundingFilterConfig` `{type: GROUNDING | RELEVANCE,
 *   threshold}`, threshold 0 to 0.99 (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GuardrailContextualGroundingFilterConfig.html);
 * - `blockedMessage` is both `blockedInputMessaging` and `blockedOutputsMessaging` (required, 1 to 500 characters).
 */
export function guardrailPolicies(definition: GuardrailDefinition) {
  const filters = Object.entries(definition.contentFilters ?? {})
    .filter(([, strength]) => strength !== undefined)
    .map(([key, strength]) => {
      const type = CONTENT_FILTERS[key as keyof typeof CONTENT_FILTERS];
      return { type, inputStrength: strength!, outputStrength: type === 'PROMPT_ATTACK' ? 'NONE' as const : strength! };
    });
  const grounding: { type: GuardrailContextualGroundingFilterType; threshold: number }[] = [];
  if (definition.grounding) grounding.push({ type: 'GROUNDING', threshold: definition.grounding.threshold });
  if (definition.relevance) grounding.push({ type: 'RELEVANCE', threshold: definition.relevance.threshold });
  const message = definition.blockedMessage?.trim() || DEFAULT_BLOCKED_MESSAGE;
  return {
    ...(filters.length > 0 ? { contentPolicyConfig: { filtersConfig: filters } } : {}),
    ...(grounding.length > 0 ? { contextualGroundingPolicyConfig: { filtersConfig: grounding } } : {}),
    blockedInputMessaging: message.slice(0, 500),
    blockedOutputsMessaging: message.slice(0, 500),
  };
}

/** The guardrail's name: `<prefix>-<bot id>`, at most 50 characters of `[0-9a-zA-Z-_]`. */
export function guardrailName(namePrefix: string, botId: string): string {
  return `${namePrefix}-${botId}`.replace(/[^0-9a-zA-Z_-]/g, '-').slice(0, 50);
}

function definedRef(bot: BotRecord | undefined): DefinedGuardrailRef | undefined {
  if (!bot?.guardrail || !('definition' in bot.guardrail)) return undefined;
  const ref = bot.guardrailRef as Partial<DefinedGuardrailRef> | undefined;
  return ref?.id && ref.arn ? ref as DefinedGuardrailRef : undefined;
}

/**
 * Called by POST /bots and PATCH /bots/{botId} once the bot is stored (`before`: the bot as it was, for a PATCH).
 * - `after` defines a guardrail that is not READY (new, changed, or failed before): create it (or update the one
 *   `before` had), publish a version, store `{id, version, arn}` and `READY` on the bot (conditional on the bot still
 *   being the one saved: a later save wins). A Bedrock error stores `FAILED` (the bot cannot chat until saved again)
 *   and keeps the guardrail's id when it exists, so the next save updates it instead of creating another.
 * - `before` defined one and `after` does not (removed, or an existing guardrail named instead): delete it.
 * Returns the bot as stored.
 */
export async function saveBotGuardrail(deps: GuardrailDeps, before: BotRecord | undefined, after: BotRecord): Promise<BotRecord> {
  const previous = definedRef(before) ?? definedRef(after);
  const definition = after.guardrail && 'definition' in after.guardrail ? after.guardrail.definition : undefined;
  if (!definition) {
    if (previous) await deleteGuardrail(deps, previous.id);
    return after;
  }
  if (after.guardrailStatus === 'READY' && after.guardrailRef) return after;
  const policies = guardrailPolicies(definition);
  const name = guardrailName(deps.namePrefix, after.id);
  const description = `Guardrail of the bot ${after.id} (bedrock-chat)`;
  let id = previous?.id;
  let arn = previous?.arn;
  try {
    if (id) {
      await deps.bedrock.send(new UpdateGuardrailCommand({ guardrailIdentifier: id, name, description, ...policies }));
    } else {
      const created = await deps.bedrock.send(new CreateGuardrailCommand({ name, description, ...policies }));
      const { guardrailId, guardrailArn } = created as { guardrailId: string; guardrailArn: string };
      id = guardrailId;
      arn = guardrailArn;
    }
    const version = await deps.bedrock.send(new CreateGuardrailVersionCommand({ guardrailIdentifier: id, description: `saved ${after.updatedAt}` })) as { version: string };
    const ref: DefinedGuardrailRef = { id, version: version.version, arn: arn! };
    return await store(deps, after, ref, 'READY');
  } catch (err) {
    if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return after;
    deps.log?.warn('guardrail not saved', { botId: after.id, error: (err as Error).name, message: (err as Error).message });
    const ref = id && arn ? { id, version: 'DRAFT', arn } : undefined;
    return store(deps, after, ref, 'FAILED').catch(() => after);
  }
}

async function store(deps: GuardrailDeps, bot: BotRecord, ref: DefinedGuardrailRef | undefined, status: 'READY' | 'FAILED'): Promise<BotRecord> {
  await deps.db.send(new UpdateCommand({
    TableName: deps.tableName,
    Key: { pk: botPk(bot.id), sk: BOT_SK },
    UpdateExpression: ref ? 'SET guardrailRef = :ref, guardrailStatus = :status' : 'SET guardrailStatus = :status REMOVE guardrailRef',
    // The bot as saved: a save in between (another definition) is not overwritten with this one's guardrail.
    ConditionExpression: 'updatedAt = :saved',
    ExpressionAttributeValues: { ...(ref ? { ':ref': ref } : {}), ':status': status, ':saved': bot.updatedAt },
  }));
  return { ...bot, guardrailStatus: status, ...(ref ? { guardrailRef: ref } : {}) };
}

/** Deletes a guardrail and all its versions; one already gone is fine (cleanup runs at least once). */
export async function deleteGuardrail(deps: Pick<GuardrailDeps, 'bedrock'>, guardrailId: string): Promise<void> {
  try {
    await deps.bedrock.send(new DeleteGuardrailCommand({ guardrailIdentifier: guardrailId }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
  }
}

/** The guardrail a deleted bot defined (from the bot item's old image), to delete with it. */
export function definedGuardrailOf(bot: Pick<BotRecord, 'guardrail' | 'guardrailRef'>): DefinedGuardrailRef | undefined {
  return definedRef(bot as BotRecord);
}
