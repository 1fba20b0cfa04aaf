/**
 * `npm start`: synthesizes examples/full-system in this process, runs it as the local stack (read from its template)
 * and prints the URL of the stack.
 *   PORT=8080 npm start                        fixed port (default: 8080, or a random one if taken)
 *   BEDROCK_CHAT_BEDROCK=aws npm start         real Amazon Bedrock with your AWS credentials
 *   BEDROCK_CHAT_OFFLINE_MAX_WORDS=8 npm start  the offline model stops at 8 words (max_tokens): try Continue
 *   BEDROCK_CHAT_QUIET=true npm start          without the handlers' logs
 *   BEDROCK_CHAT_VECTOR_STORE=openSearchServerless npm start
 *                                              the shared knowledge base on (local) OpenSearch Serverless, searched HYBRID
 */
import { startPlayground } from './playground';
import { startupMessage } from './startup';

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
    offlineMaxWords: Number.isInteger(maxWords) && maxWords > 0 ? maxWords : undefined,
    quiet: process.env.BEDROCK_CHAT_QUIET === 'true',
    vectorStore: vectorStoreOf(process.env.BEDROCK_CHAT_VECTOR_STORE),
  };
  let pg;
  try {
    pg = await startPlayground({ port, ...options });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || process.env.PORT) throw err;
    pg = await startPlayground({ port: 0, ...options });
  }
  console.log(startupMessage(pg.stack, [
    'examples/full-system, synthesized now',
    `models: the template's (${useAws ? 'Amazon Bedrock' : 'answered by the offline model: nothing leaves this machine'})`,
  ]));
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

function vectorStoreOf(v: string | undefined): 's3Vectors' | 'openSearchServerless' | undefined {
  if (v === undefined || v === '' || v === 's3Vectors' || v === 'openSearchServerless') return v === '' ? undefined : v;
  console.error(`BEDROCK_CHAT_VECTOR_STORE is s3Vectors or openSearchServerless, got ${v}.`);
  process.exit(2);
}
