/**
 * `npm start`: runs the local playground and prints its URL.
 *   PORT=8080 npm start                        fixed port (default: 8080, or a random one if taken)
 *   BEDROCK_CHAT_BEDROCK=aws npm start         real Amazon Bedrock with your AWS credentials
 *   BEDROCK_CHAT_MODEL=<model or profile id>   the model for BEDROCK_CHAT_BEDROCK=aws
 *   BEDROCK_CHAT_OFFLINE_MAX_WORDS=8 npm start  the offline model stops at 8 words (max_tokens): try Continue
 */
import { startPlayground } from './playground';

async function main(): Promise<void> {
  const useAws = process.env.BEDROCK_CHAT_BEDROCK === 'aws';
  if (useAws && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE && !process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI) {
    console.error('BEDROCK_CHAT_BEDROCK=aws needs AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).');
    process.exit(2);
  }
  const port = Number(process.env.PORT ?? 8080);
  const maxWords = Number(process.env.BEDROCK_CHAT_OFFLINE_MAX_WORDS);
  const options = {
    bedrock: useAws ? 'aws' as const : 'offline' as const,
    awsModelId: process.env.BEDROCK_CHAT_MODEL,
    offlineMaxWords: Number.isInteger(maxWords) && maxWords > 0 ? maxWords : undefined,
  };
  let pg;
  try {
    pg = await startPlayground({ port, ...options });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || process.env.PORT) throw err;
    pg = await startPlayground({ port: 0, ...options });
  }
  console.log(`\n  Bedrock Chat playground: ${pg.url}\n  model: ${pg.defaultModelId}${useAws ? ' (Amazon Bedrock)' : ' (offline model, nothing leaves this machine)'}\n  Ctrl+C to stop.\n`);
  const stop = async () => {
    await pg!.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
