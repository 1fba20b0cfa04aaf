import { runTurn, TurnJob } from './core/chat';
import { bedrock } from './wiring/bedrock';
import { log } from './wiring/env';
import { sinkFor } from './wiring/management-api';
import { store } from './wiring/store';

/** One assistant answer, invoked asynchronously by the WebSocket function. Never throws (no retried answers). */
export async function handler(job: TurnJob): Promise<void> {
  await runTurn({
    store: store(),
    sink: sinkFor(job.connectionId),
    bedrock: bedrock(),
    log: log.child({ requestId: job.requestId }),
  }, job);
}
