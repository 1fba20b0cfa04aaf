import type { TurnJob } from './core/chat';
import { failTurn } from './core/delivery';
import { log } from './wiring/env';
import { sinkFor } from './wiring/management-api';
import { requests } from './wiring/store';
import { usageLedger } from './wiring/usage';

/**
 * The chat worker's on-failure destination. Lambda invokes it with an invocation record whose `requestPayload` is the
 * worker's event (the TurnJob), with `requestContext.condition` such as `RetriesExhausted`
 * (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda_destinations-readme.md, "Invocation record";
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 */
interface InvocationRecord {
  readonly requestContext?: { readonly condition?: string; readonly approximateInvokeCount?: number };
  readonly requestPayload?: TurnJob;
}

export async function handler(record: InvocationRecord): Promise<void> {
  const job = record.requestPayload;
  const jobLog = log.child({ requestId: job?.requestId, condition: record.requestContext?.condition });
  await failTurn({ requests: requests(), usage: usageLedger(), sinkFor, log: jobLog }, job);
}
