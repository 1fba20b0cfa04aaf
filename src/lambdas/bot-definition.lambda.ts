import { CustomResourceRequest, handleBotResource } from './core/bot-definitions';
import { env, log, modelSettings } from './wiring/env';
import { documentClient } from './wiring/store';

/**
 * The provider of the `Custom::BedrockChatBot` resources (bots as code): writes or deletes the bot, then PUTs the
 * response to the request's presigned `ResponseURL` with an empty content type, as CloudFormation expects
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html).
 */
export async function handler(event: CustomResourceRequest): Promise<void> {
  const response = await handleBotResource({ db: documentClient(), tableName: env('BOT_TABLE_NAME'), settings: modelSettings() }, event);
  log.info('bot resource', { requestType: event.RequestType, botId: response.PhysicalResourceId, status: response.Status });
  const body = Buffer.from(JSON.stringify(response));
  const res = await fetch(event.ResponseURL, { method: 'PUT', body: new Uint8Array(body), headers: { 'content-type': '', 'content-length': String(body.length) } });
  if (!res.ok) throw new Error(`the response upload failed: ${res.status}`);
}
