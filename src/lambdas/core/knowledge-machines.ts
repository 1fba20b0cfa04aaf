/**
 * Starting the dedicated knowledge state machines (docs/knowledge-contract.md, "The state machines"): what a bot save
 * planned (core/bot-knowledge.ts `planKnowledge`), a sync asked for by the owner, the deprovision of a deleted bot's
 * knowledge base. StartExecution itself is injected (wiring/state-machines.ts in the functions).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeprovisionInput, KnowledgeDeployment, KnowledgePlan, ProvisionInput } from './bot-knowledge';
import { BOT_SK, botPk } from './bots';
import type { Logger } from './log';

export type StartExecution = (arn: string, input: unknown) => Promise<unknown>;

export interface MachineDeps {
  readonly deployment: KnowledgeDeployment;
  readonly startExecution: StartExecution;
  readonly db: { send(command: unknown): Promise<unknown> };
  readonly tableName: string;
  readonly log?: Logger;
}

/**
 * Records that a provision execution could not be started: `kb.status FAILED` (create) or `kb.sync.status FAILED`
 * (sync, update), only while `kb.generation` is still the one it was for (the contract's rule for every kb write).
 */
export async function recordStartFailure(deps: MachineDeps, input: ProvisionInput, reason: string): Promise<void> {
  const now = new Date().toISOString();
  try {
    await deps.db.send(new UpdateCommand({
      TableName: deps.tableName,
      Key: { pk: botPk(input.botId), sk: BOT_SK },
      UpdateExpression: input.action === 'create' ? 'SET kb.#s = :failed, kb.reason = :r, kb.updatedAt = :now' : 'SET kb.sync = :sync, kb.updatedAt = :now',
      ConditionExpression: 'kb.generation = :g',
      ExpressionAttributeNames: input.action === 'create' ? { '#s': 'status' } : undefined,
      ExpressionAttributeValues: {
        ':g': input.generation,
        ':now': now,
        ...(input.action === 'create' ? { ':failed': 'FAILED', ':r': reason } : { ':sync': { status: 'FAILED', reason, finishedAt: now } }),
      },
    }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
  }
}

/** Starts the provision machine; a failure to start is recorded on the bot (the owner sees FAILED and can save again). */
export async function startProvision(deps: MachineDeps, input: ProvisionInput): Promise<boolean> {
  if (!deps.deployment.provisionArn) {
    await recordStartFailure(deps, input, 'This deployment has no provision state machine (KNOWLEDGE_PROVISION_ARN).');
    return false;
  }
  try {
    await deps.startExecution(deps.deployment.provisionArn, input);
    return true;
  } catch (err) {
    deps.log?.error('knowledge: StartExecution of provision failed', { botId: input.botId, action: input.action, error: String((err as Error).message ?? err) });
    await recordStartFailure(deps, input, 'The knowledge base could not be started; save the bot again to retry.');
    return false;
  }
}

/** Starts the deprovision machine; it must start (the old knowledge base would stay otherwise): errors are thrown. */
export async function startDeprovision(deps: MachineDeps, input: DeprovisionInput): Promise<void> {
  if (!deps.deployment.deprovisionArn) throw new Error('This deployment has no deprovision state machine (KNOWLEDGE_DEPROVISION_ARN).');
  await deps.startExecution(deps.deployment.deprovisionArn, input);
}

/** After a save: the old knowledge base's deprovision first, then the new provision (or update). */
export async function startPlan(deps: MachineDeps, plan: KnowledgePlan): Promise<boolean> {
  if (plan.deprovision) {
    try {
      await startDeprovision(deps, plan.deprovision);
    } catch (err) {
      // The save is done: the old knowledge base is reported, not the save undone (an operator can run the machine).
      deps.log?.error('knowledge: StartExecution of deprovision failed', { botId: plan.deprovision.botId, generation: plan.deprovision.generation, error: String((err as Error).message ?? err) });
    }
  }
  return plan.provision ? startProvision(deps, plan.provision) : true;
}
