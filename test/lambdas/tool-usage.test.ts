/**
 * What a tool turn counts against the user's limits (GET /usage) when a later call of the tool loop is cut: the
 * earlier calls' reported usage plus an estimate of the cut call (what was sent, what it wrote), never only the
 * earlier calls'. The composition: knowledge (a bot whose model calls knowledge_search) and `usageLimits`, on the
 * local stack with in-process handlers, a real WebSocket client and the real DynamoDB reads of the usage route.
 */
import { CfnOutput, Stack } from 'aws-cdk-lib';
import { call } from './rest-helpers';
import { askBot, seedDocuments, TOOL_MODEL } from './retrieval-helpers';
import { BedrockChatFrontend, ChatBackend, ChatModel, KnowledgeBaseFactory } from '../../src';
import type { AppBuilder } from '../../src/local/apps';
import type { FakeRequest, FakeScript } from '../../src/local/emulators/bedrock';
import { Playground, startPlayground } from '../../src/local/playground';

const limitedKnowledgeApp: AppBuilder = (app) => {
  const stack = new Stack(app, 'BedrockChat', { env: { region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1' } });
  const backend = new ChatBackend(stack, 'Backend', { models: [ChatModel.DEEPSEEK_R1, ChatModel.CLAUDE_HAIKU_4_5], usageLimits: { tokensPerMonth: 1_000_000 } });
  new BedrockChatFrontend(stack, 'Frontend', { backend });
  const knowledge = new KnowledgeBaseFactory(stack, 'Knowledge', { backend });
  new CfnOutput(stack, 'KnowledgeBaseId', { value: knowledge.knowledgeBaseId });
};

const FIRST = { inputTokens: 100, outputTokens: 10 };
const PARTIAL = 'The drills are ';
let pg: Playground;

beforeAll(async () => {
  pg = await startPlayground({
    app: limitedKnowledgeApp,
    handlers: 'in-process',
    quiet: true,
    respond: (req: FakeRequest): FakeScript => {
      // the conversation's title: no usage, so the counters hold the answer's only
      if (req.operation === 'Converse') return { steps: [{ type: 'text', text: 'Drills' }], usage: { inputTokens: 0, outputTokens: 0 } };
      const last = req.body.messages!.at(-1)!;
      // the first call searches (and reports its usage); the second writes, then the stream breaks
      if (!last.content.some((b) => b.toolResult)) {
        return { steps: [{ type: 'toolUse', toolUseId: 'u1', name: 'knowledge_search', input: { query: 'drill colors' } }], usage: FIRST };
      }
      return { steps: [{ type: 'text', text: PARTIAL }, { type: 'exception', name: 'ModelStreamErrorException', message: 'The model stream broke.', delayMs: 20 }] };
    },
  });
}, 120_000);
afterAll(async () => {
  await pg?.stop();
});

test('a later call of the tool loop cut after it wrote: counted as the earlier calls\' reported usage plus the cut call\'s estimate', async () => {
  const created = await call(pg, 'alice', 'POST', '/bots', { title: 'Drill colors', instructions: 'Answer about drills.', models: [TOOL_MODEL], defaultModel: TOOL_MODEL });
  expect(created.status).toBe(201);
  const botId = created.body.id as string;
  await seedDocuments(pg, botId, 'alice', [{ documentId: 'd-a', name: 'A.md', text: 'Alpha drills are blue.' }]);
  const before = (await call(pg, 'alice', 'GET', '/usage')).body.windows[0].tokens.used as number;

  const question = 'What colors are the drills?';
  const { frames } = await askBot(pg, 'alice', botId, question);
  expect(frames.map((f) => f.type)).toEqual(expect.arrayContaining(['toolUse', 'toolResult', 'text', 'error']));
  expect(frames.filter((f) => f.type === 'text').map((f) => f.delta).join('')).toBe(PARTIAL);
  await pg.idle();

  const report = (await call(pg, 'alice', 'GET', '/usage')).body;
  expect(report.concurrent.active).toBe(0);
  const used = (report.windows[0].tokens.used as number) - before;
  // at least: the first call as reported, the cut call's output (4 bytes a token) and its input, which holds the
  // question and the search results the first call did not see
  const reported = FIRST.inputTokens + FIRST.outputTokens;
  const written = Math.ceil(Buffer.byteLength(PARTIAL) / 4);
  expect(used).toBeGreaterThanOrEqual(reported + written + Math.ceil(Buffer.byteLength(question + 'Alpha drills are blue.') / 4));
  for (const w of report.windows) expect(w.tokens.used - before).toBe(used);
});
