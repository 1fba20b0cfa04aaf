import type { TurnJob } from './chat';
import type { FrameSink } from './frames';
import { errorFields, Logger } from './log';
import type { RequestStore } from './requests';
import { endCall, UsageLedger } from './usage';

export interface FailedTurnDeps {
  readonly requests: RequestStore;
  readonly sinkFor: (connectionId: string) => FrameSink;
  readonly log: Logger;
  /** Usage limits: the failed turn's reservation is released (exactly once: nothing if the worker settled it). */
  readonly usage?: UsageLedger;
}

/**
 * The worker's invocation failed and is not retried (it threw, or ran out of time): the request is marked finished
 * and failed, and the client, on the connection the request item names now, gets an `error` frame instead of
 * silence. Idempotent: a turn already finished (answered, or failed by an earlier record) is left alone and nothing
 * is sent. Never throws for a bad job (nothing to mark); a failing write throws (its own invocation is retried).
 */
export async function failTurn(deps: FailedTurnDeps, job: TurnJob | undefined): Promise<void> {
  if (!job || typeof job.userId !== 'string' || typeof job.requestId !== 'string' || typeof job.messageId !== 'string') {
    deps.log.warn('failure record without a turn: ignored');
    return;
  }
  const ids = { requestId: job.requestId, conversationId: job.conversationId };
  const connectionId = await deps.requests.fail(job.userId, job.requestId, job.messageId);
  // Whether or not the turn was marked now: a reservation the worker settled is left alone (UsageStore.settle).
  await endCall(deps.usage, job.userId, job.reservation, undefined, undefined, deps.log);
  if (connectionId === undefined) {
    deps.log.info('failed turn already finished: nothing to do', ids);
    return;
  }
  deps.log.error('turn failed in the worker: the client is told', ids);
  if (!connectionId) return;
  try {
    await deps.sinkFor(connectionId).send({
      type: 'error', ...ids, code: 'INTERNAL', message: 'The answer could not be completed. Please try again.',
    });
  } catch (err) {
    // Gone (410) or unreachable: the request is marked failed; a resume or reload shows the conversation as stored.
    deps.log.warn('could not deliver the error frame', { ...ids, ...errorFields(err) });
  }
}
