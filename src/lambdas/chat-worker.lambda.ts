import { runTurn, TurnJob } from './core/chat';
import { TIME_BUDGET_MARGIN_MS } from './core/limits';
import { bedrock } from './wiring/bedrock';
import { loadBlob } from './wiring/blobs';
import { log, modelSettings } from './wiring/env';
import { sinkFor } from './wiring/management-api';
import { retrieveClient } from './wiring/retrieve-client';
import { requests, store } from './wiring/store';
import { usage } from './wiring/usage';


/** The Lambda context, as far as the worker reads it (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html). */
interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/** The ids of `KNOWLEDGE_EXISTING` (JSON `[{knowledgeBaseId, name, description?}]`); anything else names none. */
function existingIds(json: string | undefined): string[] {
  try {
    const list: unknown = JSON.parse(json ?? '[]');
    return Array.isArray(list) ? list.map((e) => e?.knowledgeBaseId).filter((id): id is string => typeof id === 'string' && id !== '') : [];
  } catch {
    return [];
  }
}

/** One assistant answer, invoked asynchronously by the WebSocket function. A repeated delivery of the job finds the turn claimed and does nothing (see runTurn). */
export async function handler(job: TurnJob, context?: InvocationContext): Promise<void> {
  const remaining = context?.getRemainingTimeInMillis();
  await runTurn({
    store: store(),
    requests: requests(),
    sink: sinkFor(job.connectionId),
    sinkFor,
    bedrock: bedrock(),
    loadBlob,
    models: modelSettings(),
    log: log.child({ requestId: job.requestId, userId: job.userId }),
    // The stream stops before the invocation is cut off; the partial answer is stored (stopReason `timeBudget`).
    usage: usage(),
    // KnowledgeBaseFactory sets KNOWLEDGE_BASE_ID (and grants Retrieve on it) and KNOWLEDGE_EXISTING (the existing
    // knowledge bases bots may name: the only ones retrieved besides the shared and the dedicated ones); without
    // KNOWLEDGE_BASE_ID no turn retrieves.
    ...(process.env.KNOWLEDGE_BASE_ID
      ? {
        knowledge: {
          knowledgeBaseId: process.env.KNOWLEDGE_BASE_ID,
          existing: existingIds(process.env.KNOWLEDGE_EXISTING),
          sharedSearchType: process.env.KNOWLEDGE_SEARCH_TYPE as 'HYBRID' | 'SEMANTIC' | undefined,
          retrieve: (request, signal) => retrieveClient().retrieve(request, signal),
        },
      }
      : {}),
    timeBudgetMs: remaining === undefined ? undefined : Math.max(0, remaining - TIME_BUDGET_MARGIN_MS),
  }, job);
}
