/**
 * The worker's time budget (docs/architecture.md, "Delivery of the worker's job"): when the budget runs out mid-answer
 * the model request is stopped, the partial answer is stored with stopReason `timeBudget` and the client gets an
 * `end` with that stop reason. Against dynalite and the Bedrock fake; the model holds its answer after a first piece
 * until the test ends, so the budget is what ends the answer (no timing is asserted).
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { heldModelStack } from './held-model';
import { runTurn } from '../../src/lambdas/core/chat';
import { ConversationStore, Message } from '../../src/lambdas/core/conversations';
import { createLogger } from '../../src/lambdas/core/log';
import { modelSettingsFrom } from '../../src/lambdas/core/models';
import type { ServerFrame } from '../../src/lambdas/core/protocol';
import { RequestStore } from '../../src/lambdas/core/requests';

const stack = heldModelStack((held) => [{ type: 'text', text: 'the first part' }, { type: 'pause', until: held }, { type: 'text', text: ' never sent' }]);
let db: DynamoDBDocumentClient;
let bedrock: BedrockRuntimeClient;
beforeAll(() => {
  ({ db, bedrock } = stack);
});

test('the budget runs out mid-answer: the partial answer is stored and ended with stopReason timeBudget', async () => {
  const requests = new RequestStore(db, 'conversations');
  const store = new ConversationStore(db, 'conversations');
  const now = new Date().toISOString();
  const question: Message = { id: 'q1', parentId: null, role: 'user', content: [{ text: 'hello' }], createdAt: now };
  // The question is stored and accepted, as the WebSocket function leaves it.
  await requests.claim('u1', { requestId: 'r1', conversationId: 'conv1', messageId: 'q1', createdAt: now }, 'c1');
  await store.create('u1', { id: 'conv1', title: 'hello', model: 'm' }, question);
  const frames: ServerFrame[] = [];
  await runTurn({
    store,
    requests,
    sink: { send: async (f) => { frames.push(f); return true; } },
    bedrock,
    loadBlob: async () => new Uint8Array(),
    models: modelSettingsFrom({ DEFAULT_MODEL_ID: 'm' }),
    log: createLogger({}, () => undefined),
    coalesce: { intervalMs: 0 },
    timeBudgetMs: 300,
  }, { userId: 'u1', connectionId: 'c1', requestId: 'r1', conversationId: 'conv1', kind: 'answer', messageId: 'q1', model: 'm', question });

  const end = frames[frames.length - 1] as any;
  expect(end).toMatchObject({ type: 'end', stopReason: 'timeBudget' });
  expect(frames.filter((f) => f.type === 'text').map((f: any) => f.delta).join('')).toBe('the first part');
  const stored = await store.getWithMessages('u1', 'conv1');
  const answer = stored!.messages.find((m) => m.role === 'assistant')!;
  expect(answer).toMatchObject({ id: end.messageId, parentId: 'q1', content: [{ text: 'the first part' }], stopReason: 'timeBudget' });
});
