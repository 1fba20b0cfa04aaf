import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { once } from './env';

export const bedrock = once(() => new BedrockRuntimeClient({}));
