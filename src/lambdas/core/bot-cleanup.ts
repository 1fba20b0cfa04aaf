/**
 * What the bot deletion pipe does with each deleted bot (issue 11; the pipe: src/constructs/chat-backend/bot-cleanup.ts).
 * The pipe hands over the REMOVE stream records of bot items (`pk` `BOT#<id>`, `sk` `BOT`), each with the bot's old
 * image (the stream is NEW_AND_OLD_IMAGES); the record alone says what to clean. Each cleaner is idempotent: the pipe
 * delivers at least once and retries a failed batch whole.
 *
 * Extension point: a feature that keeps data per bot (documents of a knowledge base, published API keys) adds a
 * `BotCleaner` to `BOT_CLEANERS`; `cleanUpDeletedBots` runs every cleaner for every deleted bot.
 */
import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { BOT_INDEXES } from './bot-keys';
import { DeprovisionInput, deprovisionInputOf } from './bot-knowledge';
import { BOT_SK, BotRecord } from './bots';
import { definedGuardrailOf, deleteGuardrail } from './guardrails';
import { BotDocumentsCleanup, removeBotDocuments } from './knowledge-documents';

export interface CleanupDeps {
  readonly db: { send(command: unknown): Promise<unknown> };
  readonly tableName: string;
  readonly bedrock: { send(command: unknown): Promise<unknown> };
  /** The bots' documents (absent in a deployment without a knowledge base: `KNOWLEDGE_BASE_ID` unset). */
  readonly documents?: BotDocumentsCleanup;
  /**
   * Starts the deprovision state machine (docs/knowledge-contract.md, "The state machines"); absent in a deployment
   * without dedicated knowledge bases (`KNOWLEDGE_DEPROVISION_ARN` unset).
   */
  readonly startDeprovision?: (input: DeprovisionInput) => Promise<void>;
}

/** One kind of data that refers to a bot, removed when the bot is deleted. */
export interface BotCleaner {
  readonly name: string;
  /** Removes what refers to `bot`; returns how many things it removed. */
  clean(deps: CleanupDeps, bot: BotRecord): Promise<number>;
}

/** Stars, recents and shares of every user (the `byBot` index holds them all by `botPk`). */
const perUserItems: BotCleaner = {
  name: 'stars, recents and shares',
  async clean(deps, bot) {
    let removed = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await deps.db.send(new QueryCommand({
        TableName: deps.tableName,
        IndexName: BOT_INDEXES.byBot,
        KeyConditionExpression: 'botPk = :pk',
        ExpressionAttributeValues: { ':pk': `BOT#${bot.id}` },
        ExclusiveStartKey: startKey,
      })) as { Items?: { pk: string; sk: string }[]; LastEvaluatedKey?: Record<string, unknown> };
      const keys = (page.Items ?? []).filter((i) => i.sk !== BOT_SK).map((i) => ({ pk: i.pk, sk: i.sk }));
      // BatchWriteItem takes at most 25 requests; unprocessed ones are sent again
      // (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html).
      for (let i = 0; i < keys.length; i += 25) {
        let pending: Record<string, unknown[]> | undefined = { [deps.tableName]: keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })) };
        for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
          if (attempt === 8) throw new Error(`cleanup of bot ${bot.id}: DynamoDB left deletes unprocessed after 8 attempts`);
          if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
          const res = await deps.db.send(new BatchWriteCommand({ RequestItems: pending as never }));
          pending = (res as { UnprocessedItems?: Record<string, unknown[]> }).UnprocessedItems;
        }
        removed += Math.min(25, keys.length - i);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return removed;
  },
};

/** The guardrail the bot defined (created when it was saved: core/guardrails.ts). */
const definedGuardrail: BotCleaner = {
  name: 'guardrail',
  async clean(deps, bot) {
    const ref = definedGuardrailOf(bot);
    if (!ref) return 0;
    await deleteGuardrail(deps, ref.id);
    return 1;
  },
};

/**
 * The bot's documents (core/knowledge-documents.ts): DeleteKnowledgeBaseDocuments in batches, the objects under
 * `documents/<botId>/` and `uploads/<botId>/`, the records. A second run finds nothing left.
 */
const documents: BotCleaner = {
  name: 'documents',
  async clean(deps, bot) {
    if (!deps.documents) return 0;
    // Only a shared bot's documents are in the shared knowledge base; a dedicated bot's go with its own knowledge base
    // (the deprovision machine below), and a bot on an existing one has none.
    const shared = (bot.knowledgeSettings?.mode ?? 'shared') === 'shared';
    const cleanup = shared ? deps.documents : { ...deps.documents, deleteFromIndex: async () => undefined };
    return removeBotDocuments({ db: deps.db, tableName: deps.tableName, ...cleanup }, bot.id);
  },
};

/**
 * A dedicated bot's knowledge base: the deprovision machine deletes its data sources, the knowledge base and its index
 * (it never fails on what is already gone, so a second delivery starts a harmless second execution).
 */
const dedicatedKnowledge: BotCleaner = {
  name: 'dedicated knowledge base',
  async clean(deps, bot) {
    if (!bot.kb) return 0;
    if (!deps.startDeprovision) throw new Error(`cleanup of bot ${bot.id}: it has a dedicated knowledge base, but this function cannot start the deprovision machine (KNOWLEDGE_DEPROVISION_ARN unset)`);
    await deps.startDeprovision(deprovisionInputOf(bot.id, bot.kb));
    return 1;
  },
};

export const BOT_CLEANERS: readonly BotCleaner[] = [perUserItems, definedGuardrail, documents, dedicatedKnowledge];

/** A stream record as the pipe delivers it (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-dynamodb.html). */
export interface RemovedRecord {
  readonly eventName?: string;
  readonly dynamodb?: { readonly Keys?: Record<string, unknown>; readonly OldImage?: Record<string, unknown> };
}

export interface CleanupResult {
  readonly bots: string[];
  readonly removed: Record<string, number>;
}

/**
 * Cleans up after every deleted bot of a batch. Records that are not the REMOVE of a bot item are ignored (the pipe's
 * filter lets none through; a record without an old image cannot be cleaned from and is reported).
 */
export async function cleanUpDeletedBots(
  deps: CleanupDeps,
  records: readonly RemovedRecord[],
  cleaners: readonly BotCleaner[] = BOT_CLEANERS,
): Promise<CleanupResult> {
  const bots: string[] = [];
  const removed: Record<string, number> = {};
  for (const record of records) {
    if (record.eventName !== 'REMOVE' || !record.dynamodb?.OldImage) continue;
    const old = unmarshall(record.dynamodb.OldImage as never) as Record<string, unknown>;
    if (old.sk !== BOT_SK || typeof old.pk !== 'string' || !old.pk.startsWith('BOT#')) continue;
    const bot = old as unknown as BotRecord;
    for (const cleaner of cleaners) removed[cleaner.name] = (removed[cleaner.name] ?? 0) + await cleaner.clean(deps, bot);
    bots.push(bot.id);
  }
  return { bots, removed };
}
