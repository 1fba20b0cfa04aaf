import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { env, once } from './env';
import type { TurnJob } from '../core/chat';

const lambda = once(() => new LambdaClient({}));

/** Starts the chat worker asynchronously (InvocationType Event): the WebSocket route returns at once. */
export async function dispatchTurn(job: TurnJob): Promise<void> {
  await lambda().send(new InvokeCommand({
    FunctionName: env('WORKER_FUNCTION_NAME'),
    InvocationType: 'Event',
    Payload: Buffer.from(JSON.stringify(job)),
  }));
}
