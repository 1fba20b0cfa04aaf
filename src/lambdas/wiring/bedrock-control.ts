import { createHash } from 'node:crypto';
import { BedrockClient } from '@aws-sdk/client-bedrock';
import { env, once } from './env';

/** The Bedrock control plane (guardrails), endpoint from `AWS_ENDPOINT_URL_BEDROCK` when set. */
export const bedrockControl = once(() => new BedrockClient({}));

/** The prefix of this deployment's guardrail names: `bc` + 8 hex characters of the bot table's name. */
export const guardrailNamePrefix = once(() => `bc${createHash('sha256').update(env('BOT_TABLE_NAME')).digest('hex').slice(0, 8)}`);
