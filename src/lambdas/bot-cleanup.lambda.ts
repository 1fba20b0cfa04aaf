import { cleanUpDeletedBots, RemovedRecord } from './core/bot-cleanup';
import { bedrockControl } from './wiring/bedrock-control';
import { env, log } from './wiring/env';
import { deleteKnowledgeDocuments } from './wiring/knowledge-index';
import { deleteDocumentObjects } from './wiring/knowledge-objects';
import { startExecution } from './wiring/state-machines';
import { documentClient } from './wiring/store';

/** The deprovision machine of dedicated knowledge bases, when KnowledgeBaseFactory set its ARN (docs/knowledge-contract.md). */
const startDeprovision = () => {
  const arn = process.env.KNOWLEDGE_DEPROVISION_ARN;
  return arn ? async (input: unknown) => { await startExecution(arn, input); } : undefined;
};

/** The bots' documents, when KnowledgeBaseFactory set `KNOWLEDGE_BASE_ID` on this function (docs/knowledge-contract.md). */
const documents = () => (process.env.KNOWLEDGE_BASE_ID
  ? { deletePrefix: deleteDocumentObjects, deleteFromIndex: deleteKnowledgeDocuments }
  : undefined);

/**
 * The bot deletion pipe's target: the pipe (EventBridge Pipes, from the bot table's stream, filtered to REMOVE records
 * of bot items) invokes it synchronously with a batch, as a JSON array of stream records
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html). An error makes the
 * pipe retry the batch (its retry and dead-letter settings: src/constructs/chat-backend/bot-cleanup.ts).
 */
export async function handler(event: RemovedRecord[]): Promise<void> {
  const records = Array.isArray(event) ? event : [];
  const result = await cleanUpDeletedBots({ db: documentClient(), tableName: env('BOT_TABLE_NAME'), bedrock: bedrockControl(), documents: documents(), startDeprovision: startDeprovision() }, records);
  log.info('bots cleaned up', { records: records.length, bots: result.bots.join(','), removed: JSON.stringify(result.removed) });
}
