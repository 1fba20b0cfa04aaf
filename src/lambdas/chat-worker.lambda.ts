import { runTurn, TurnJob } from './core/chat';
import { bedrock } from './wiring/bedrock';
import { loadBlob } from './wiring/blobs';
import { log, modelSettings } from './wiring/env';
import { sinkFor } from './wiring/management-api';
import { requests, store } from './wiring/store';

/** One assistant answer, invoked asynchronously by the WebSocket function. A repeated delivery of the job finds the turn claimed and does nothing (see runTurn). */
export async function handler(job: TurnJob): Promise<void> {
  await runTurn({
    store: store(),
    requests: requests(),
    sink: sinkFor(job.connectionId),
    sinkFor,
    bedrock: bedrock(),
    loadBlob,
    models: modelSettings(),
    log: log.child({ requestId: job.requestId }),
  }, job);
}
