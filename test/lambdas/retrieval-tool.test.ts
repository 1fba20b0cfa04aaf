/**
 * Slice 2 of knowledge in the chat over the wire (docs/knowledge-contract.md, "Retrieval (chat)"): a model with tool
 * use gets the `knowledge_search` tool and the worker runs its searches (toolUse → Retrieve → toolResult → the model
 * goes on); the three targets (shared filtered on the bot, a dedicated knowledge base when ACTIVE, an existing one only
 * when KNOWLEDGE_EXISTING names it), `numberOfResults` and `searchType`. The composition of retrieval-helpers.ts
 * (DeepSeek-R1 without tools as the default, Claude Haiku 4.5 with tools) on the local stack, bots through the REST
 * API, knowledge bases and documents through the real Bedrock Agent client, a real WebSocket client, the worker's
 * Retrieve client through a recording proxy, the offline model calling the tool. No code of ours is mocked.
 */
import { call, User } from './rest-helpers';
import {
  askBot, createKnowledgeBase, ingestInline, ingestS3Document, knowledgeStack, RetrieveProxy, seedDocuments, setBotKnowledge, TOOL_MODEL,
} from './retrieval-helpers';
import { MAX_SEARCHES, sourcesOf } from '../../src/lambdas/core/retrieval';
import { countRequestWords, countWords, FakeRequest, FakeScript } from '../../src/local/emulators/bedrock';
import { offlineModel } from '../../src/local/offline-model';
import { Playground } from '../../src/local/playground';
import { Frame } from '../../src/local/ws-client';

const offline = offlineModel({ wordDelayMs: 0 });
let script: ((req: FakeRequest) => FakeScript) | undefined;
const stack = knowledgeStack((req) => (script ?? offline)(req), { proxy: true });
let pg: Playground;
let proxy: RetrieveProxy;
beforeAll(() => {
  ({ pg, proxy } = stack);
});
afterEach(async () => {
  script = undefined;
  delete process.env.KNOWLEDGE_EXISTING;
  await pg.idle();
});

const WARRANTY = 'The warranty of the X200 drill lasts 24 months from the date of purchase. Batteries are covered for 12 months.';
const QUESTION = 'How long does the warranty of the drill last?';

const createBot = async (user: User, body: Record<string, unknown>): Promise<string> => {
  const res = await call(pg, user, 'POST', '/bots', body);
  expect(res.status).toBe(201);
  return res.body.id;
};
const toolBot = (title: string) => createBot('alice', { title, instructions: 'You answer questions about our tools.', models: [TOOL_MODEL], defaultModel: TOOL_MODEL });
const streamRequests = (before: number) => pg.bedrockRequests().slice(before).filter((r) => r.operation === 'ConverseStream');
const typesOf = (frames: Frame[]) => frames.map((f) => f.type).filter((t, i, all) => t !== 'text' || all[i - 1] !== 'text');
const citationsOf = (frames: Frame[]) => frames.filter((f) => f.type === 'citation').map(({ sourceId, title, documentId, url, page, snippet }) => ({ sourceId, title, documentId, url, page, snippet }));
const storedAnswer = async (conversationId: string, messageId: string) => {
  const got = await call(pg, 'alice', 'GET', `/conversations/${conversationId}`);
  expect(got.status).toBe(200);
  return got.body.messages.find((m: any) => m.id === messageId);
};
const systemOf = (r: FakeRequest) => (r.body.system ?? []).map((b) => String(b.text ?? '')).join('\n');

test('a model with tool use calls knowledge_search: the search is a toolUse/toolResult pair with its citations, the model goes on from the results, the citations are stored', async () => {
  const botId = await toolBot('Drill support');
  await seedDocuments(pg, botId, 'alice', [
    { documentId: 'doc-warranty', name: 'Warranty terms.md', text: WARRANTY },
    { documentId: 'doc-colors', name: 'Colors.txt', text: 'X200 colors: red and blue.' },
  ]);
  const before = pg.bedrockRequests().length;
  const calls = proxy.calls.length;
  const { ack, end, text, frames } = await askBot(pg, 'alice', botId, QUESTION);

  expect(end).toMatchObject({ type: 'end', stopReason: 'end_turn' });
  expect(typesOf(frames)).toEqual(['ack', 'start', 'toolUse', 'toolResult', 'citation', 'text', 'end']);
  const toolUse = frames.find((f) => f.type === 'toolUse')!;
  expect(toolUse).toMatchObject({ name: 'knowledge_search', input: { query: QUESTION }, messageId: end.messageId });
  expect(frames.find((f) => f.type === 'toolResult')).toMatchObject({ toolUseId: toolUse.toolUseId, status: 'success', content: '1 passage found.' });
  expect(citationsOf(frames)).toEqual([{ sourceId: '1', title: 'Warranty terms.md', documentId: 'doc-warranty', url: undefined, page: undefined, snippet: WARRANTY }]);
  expect(text).toBe('From the documents: The warranty of the X200 drill lasts 24 months from the date of purchase.[^1]');

  // The model was asked twice: with the tool and no passages, then with its call and the numbered results.
  const sent = streamRequests(before);
  expect(sent).toHaveLength(2);
  const [first, second] = sent;
  expect(first.body.toolConfig).toEqual({
    tools: [{ toolSpec: { name: 'knowledge_search', description: expect.stringContaining('"Drill support"'), inputSchema: { json: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } } } }],
  });
  expect(systemOf(first).startsWith('You answer questions about our tools.\n\nSearch this bot\'s knowledge with knowledge_search')).toBe(true);
  expect(systemOf(first)).not.toContain('<sources>');
  expect(second.body.toolConfig).toEqual(first.body.toolConfig);
  expect(second.body.messages!.slice(-2)).toEqual([
    { role: 'assistant', content: [{ toolUse: { toolUseId: toolUse.toolUseId, name: 'knowledge_search', input: { query: QUESTION } } }] },
    { role: 'user', content: [{ toolResult: { toolUseId: toolUse.toolUseId, status: 'success', content: [{ text: `<sources>\n<source id="1" document="Warranty terms.md">\n${WARRANTY}\n</source>\n</sources>` }] } }] },
  ]);
  // One Retrieve, filtered on the bot, 5 results (the default).
  expect(proxy.calls.slice(calls)).toEqual([{
    path: `/knowledgebases/${pg.stack.outputs.KnowledgeBaseId}/retrieve`,
    body: { retrievalQuery: { text: QUESTION }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 5, filter: { equals: { key: 'botId', value: botId } } } } },
  }]);
  // The turn's usage counts both calls (the fake reports the request's words in and one token per text step out).
  expect(end.usage).toEqual({
    inputTokens: countRequestWords(first.body) + countRequestWords(second.body),
    outputTokens: 1 + countWords(text),
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  });

  // A reload shows the citations with the answer.
  const stored = await storedAnswer(ack!.conversationId, end.messageId);
  expect(stored).toMatchObject({ content: [{ text }], citations: [{ sourceId: '1', title: 'Warranty terms.md', documentId: 'doc-warranty', snippet: WARRANTY }], usage: end.usage });
});

test(`at most ${MAX_SEARCHES} searches per turn, the sources numbered across them; then a last call without the tool, which can only answer`, async () => {
  const botId = await toolBot('Many searches');
  await seedDocuments(pg, botId, 'alice', [
    { documentId: 'd-a', name: 'A.md', text: 'Alpha drills are blue.' },
    { documentId: 'd-b', name: 'B.md', text: 'Beta drills are green.' },
    { documentId: 'd-c', name: 'C.md', text: 'Gamma drills are red.' },
  ]);
  const queries = ['alpha', 'beta', 'gamma', 'delta'];
  let n = 0;
  // A model that searches again after every result while it has the tool, then answers.
  script = (req) => {
    if (req.body.toolConfig && n < queries.length) {
      const q = queries[n++];
      return { steps: [{ type: 'toolUse', toolUseId: `t${n}`, name: 'knowledge_search', input: { query: q } }], usage: { inputTokens: 10, outputTokens: 2 } };
    }
    return { steps: [{ type: 'text', text: 'Alpha is blue[^1], beta green[^2], gamma red[^3].' }], usage: { inputTokens: 10, outputTokens: 7 } };
  };
  const before = pg.bedrockRequests().length;
  const calls = proxy.calls.length;
  const { ack, end, frames } = await askBot(pg, 'alice', botId, 'What colors are the drills?');

  expect(end).toMatchObject({ type: 'end', stopReason: 'end_turn' });
  expect(proxy.calls.slice(calls).map((c) => c.body.retrievalQuery.text)).toEqual(queries.slice(0, MAX_SEARCHES));
  expect(typesOf(frames)).toEqual(['ack', 'start', 'toolUse', 'toolResult', 'citation', 'toolUse', 'toolResult', 'citation', 'toolUse', 'toolResult', 'citation', 'text', 'end']);
  expect(citationsOf(frames).map((c) => [c.sourceId, c.documentId])).toEqual([['1', 'd-a'], ['2', 'd-b'], ['3', 'd-c']]);
  expect(frames.filter((f) => f.type === 'toolResult').map((f) => f.status)).toEqual(['success', 'success', 'success']);
  const sent = streamRequests(before);
  expect(sent).toHaveLength(MAX_SEARCHES + 1);
  // The second search's passage is numbered 2 for the model too.
  expect(JSON.stringify(sent[2].body.messages!.at(-1))).toContain('<source id=\\"2\\" document=\\"B.md\\">');
  // The last call: no tool, no tool block; the searches and their numbered results as text, in order.
  const lastCall = sent[MAX_SEARCHES].body;
  expect(lastCall.toolConfig).toBeUndefined();
  expect(JSON.stringify(lastCall.messages)).not.toMatch(/toolUse|toolResult|reasoningContent/);
  expect(lastCall.messages!.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant', 'user']);
  expect(lastCall.messages![5].content).toEqual([{ text: '(knowledge_search {"query":"gamma"})' }]);
  expect(lastCall.messages![6].content[0].text).toContain('<source id="3" document="C.md">');
  // Four calls: their usage summed.
  expect(end.usage).toEqual({ inputTokens: 40, outputTokens: 13, cacheReadTokens: 0, cacheWriteTokens: 0 });
  const stored = await storedAnswer(ack!.conversationId, end.messageId);
  expect(stored.citations.map((c: any) => c.sourceId)).toEqual(['1', '2', '3']);
});

test('two searches asked at once with one left: the second is answered that the limit is reached, and the last call answers', async () => {
  const botId = await toolBot('Parallel searches');
  await seedDocuments(pg, botId, 'alice', [{ documentId: 'd-a', name: 'A.md', text: 'Alpha drills are blue.' }]);
  let n = 0;
  script = (req) => {
    if (!req.body.toolConfig) return { steps: [{ type: 'text', text: 'Alpha is blue[^1].' }], usage: { inputTokens: 1, outputTokens: 1 } };
    n++;
    if (n < MAX_SEARCHES) return { steps: [{ type: 'toolUse', toolUseId: `s${n}`, name: 'knowledge_search', input: { query: 'alpha' } }], usage: { inputTokens: 1, outputTokens: 1 } };
    return {
      steps: [{ type: 'toolUse', toolUseId: 'p1', name: 'knowledge_search', input: { query: 'alpha' } }, { type: 'toolUse', toolUseId: 'p2', name: 'knowledge_search', input: { query: 'beta' } }],
      usage: { inputTokens: 1, outputTokens: 1 },
    };
  };
  const before = pg.bedrockRequests().length;
  const calls = proxy.calls.length;
  const { end, frames } = await askBot(pg, 'alice', botId, 'What color are alpha drills?');
  expect(end).toMatchObject({ stopReason: 'end_turn' });
  expect(proxy.calls.length - calls).toBe(MAX_SEARCHES);
  const results = frames.filter((f) => f.type === 'toolResult');
  expect(results.map((f) => [f.toolUseId, f.status])).toEqual([...Array.from({ length: MAX_SEARCHES - 1 }, (_, i) => [`s${i + 1}`, 'success']), ['p1', 'success'], ['p2', 'error']]);
  const sent = streamRequests(before);
  expect(sent).toHaveLength(MAX_SEARCHES + 1);
  expect(JSON.stringify(sent[MAX_SEARCHES].body.messages!.at(-1))).toContain('No more searches: answer from the results you have.');
  expect(frames.filter((f) => f.type === 'text').map((f) => f.delta).join('')).toBe('Alpha is blue[^1].');
});

test('numberOfResults is honoured (shared: filtered on the bot)', async () => {
  const botId = await toolBot('One result');
  await seedDocuments(pg, botId, 'alice', [
    { documentId: 'n-1', name: 'One.md', text: 'The drill warranty covers motors.' },
    { documentId: 'n-2', name: 'Two.md', text: 'The drill warranty covers batteries.' },
    { documentId: 'n-3', name: 'Three.md', text: 'The drill warranty covers cases.' },
  ]);
  await setBotKnowledge(botId, { knowledgeSettings: { mode: 'shared', numberOfResults: 1 } });
  const calls = proxy.calls.length;
  const { end, frames } = await askBot(pg, 'alice', botId, 'What does the drill warranty cover?');
  expect(end.type).toBe('end');
  expect(proxy.calls.slice(calls).map((c) => c.body.retrievalConfiguration.vectorSearchConfiguration)).toEqual([{ numberOfResults: 1, filter: { equals: { key: 'botId', value: botId } } }]);
  expect(citationsOf(frames)).toHaveLength(1);
});

test('dedicated: the bot\'s own knowledge base when ACTIVE, unfiltered, its S3 documents cited by id and name from their key; not while CREATING', async () => {
  const botId = await toolBot('Dedicated');
  const bucket = pg.stack.outputs.KnowledgeDocumentBucket;
  const kb = await createKnowledgeBase(pg, `dedicated-${botId.toLowerCase()}`, { bucket, botId });
  await ingestS3Document(pg, bucket, kb.knowledgeBaseId, kb.s3Id!, `documents/${botId}/doc-manual/Drill manual.txt`, WARRANTY);
  await setBotKnowledge(botId, {
    knowledgeSettings: { mode: 'dedicated', numberOfResults: 2, dedicated: { embeddingModelId: 'amazon.titan-embed-text-v2:0', chunking: { strategy: 'NONE' } } },
    kb: { generation: '01J0000000000000000000000A', status: 'CREATING', indexName: 'bot-x-y', updatedAt: new Date().toISOString() },
  });
  let calls = proxy.calls.length;
  const creating = await askBot(pg, 'alice', botId, QUESTION);
  expect(creating.end.type).toBe('end');
  expect(proxy.calls.length).toBe(calls);
  expect(creating.frames.filter((f) => f.type === 'toolUse' || f.type === 'citation')).toEqual([]);

  await setBotKnowledge(botId, {
    knowledgeSettings: { mode: 'dedicated', numberOfResults: 2, dedicated: { embeddingModelId: 'amazon.titan-embed-text-v2:0', chunking: { strategy: 'NONE' } } },
    kb: { generation: '01J0000000000000000000000A', status: 'ACTIVE', knowledgeBaseId: kb.knowledgeBaseId, dataSourceId: kb.s3Id, indexName: 'bot-x-y', updatedAt: new Date().toISOString() },
  });
  calls = proxy.calls.length;
  // documentCount is 0: a dedicated bot retrieves whenever its knowledge base is ACTIVE.
  const { ack, end, frames } = await askBot(pg, 'alice', botId, QUESTION);
  expect(end.type).toBe('end');
  expect(proxy.calls.slice(calls)).toEqual([{
    path: `/knowledgebases/${kb.knowledgeBaseId}/retrieve`,
    body: { retrievalQuery: { text: QUESTION }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 2 } } },
  }]);
  expect(citationsOf(frames)).toEqual([{ sourceId: '1', title: 'Drill manual.txt', documentId: 'doc-manual', url: undefined, page: undefined, snippet: WARRANTY }]);
  expect((await storedAnswer(ack!.conversationId, end.messageId)).citations).toEqual([{ sourceId: '1', title: 'Drill manual.txt', documentId: 'doc-manual', snippet: WARRANTY }]);
});

test('existing: retrieved only when KNOWLEDGE_EXISTING names it, unfiltered, with its searchType; otherwise never retrieved', async () => {
  const kb = await createKnowledgeBase(pg, `existing-${Date.now()}`);
  await ingestInline(pg, kb.knowledgeBaseId, kb.customId, [{ id: 'handbook', text: WARRANTY }]);
  const botId = await toolBot('Existing');
  await setBotKnowledge(botId, { knowledgeSettings: { mode: 'existing', numberOfResults: 3, searchType: 'HYBRID', existing: { knowledgeBaseId: kb.knowledgeBaseId } } });

  // Not among the deployment's existing knowledge bases: no Retrieve at all, the search reports an error.
  process.env.KNOWLEDGE_EXISTING = JSON.stringify([{ knowledgeBaseId: 'OTHERKB001', name: 'Other' }]);
  let calls = proxy.calls.length;
  const refused = await askBot(pg, 'alice', botId, QUESTION);
  expect(refused.end.type).toBe('end');
  expect(proxy.calls.length).toBe(calls);
  expect(refused.frames.find((f) => f.type === 'toolResult')).toMatchObject({ status: 'error' });
  expect(citationsOf(refused.frames)).toEqual([]);
  expect(refused.frames.filter((f) => f.type === 'text').map((f) => f.delta).join('')).not.toContain('[^');

  process.env.KNOWLEDGE_EXISTING = JSON.stringify([{ knowledgeBaseId: kb.knowledgeBaseId, name: 'Handbook' }]);
  calls = proxy.calls.length;
  const { end, frames, text } = await askBot(pg, 'alice', botId, QUESTION);
  expect(end.type).toBe('end');
  expect(proxy.calls.slice(calls)).toEqual([{
    path: `/knowledgebases/${kb.knowledgeBaseId}/retrieve`,
    body: { retrievalQuery: { text: QUESTION }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 3, overrideSearchType: 'HYBRID' } } },
  }]);
  // Its source is not https: the citation has only a title and the snippet.
  expect(citationsOf(frames)).toEqual([{ sourceId: '1', title: 'Document', documentId: undefined, url: undefined, page: undefined, snippet: WARRANTY }]);
  expect(text).toContain('[^1]');
});

test('a model without tool use (DeepSeek-R1, the default here) keeps the passages in the system prompt and gets no tool', async () => {
  const botId = await createBot('alice', { title: 'No tools', instructions: 'Be brief.' });
  await seedDocuments(pg, botId, 'alice', [{ documentId: 'nt-1', name: 'Warranty.md', text: WARRANTY }]);
  const before = pg.bedrockRequests().length;
  const { end, frames } = await askBot(pg, 'alice', botId, QUESTION);
  expect(end.type).toBe('end');
  const sent = streamRequests(before);
  expect(sent).toHaveLength(1);
  expect(sent[0].modelId).toContain('deepseek');
  expect(sent[0].body.toolConfig).toBeUndefined();
  expect(systemOf(sent[0])).toContain('<source id="1" document="Warranty.md">');
  expect(typesOf(frames)).toEqual(['ack', 'start', 'toolUse', 'toolResult', 'citation', 'text', 'end']);
});

test('citations of pages and external sources: https URLs only; a dedicated S3 document by its key', () => {
  const r = (location: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({ content: { text: 'Passage text.' }, location, metadata });
  const response = {
    retrievalResults: [
      r({ type: 'WEB', webLocation: { url: 'https://docs.example.com/drills' } }),
      r({ type: 'WEB', webLocation: { url: 'http://plain.example.com/' } }),
      r({ type: 'S3', s3Location: { uri: 's3://bucket/documents/bot-1/doc-9/Guide.pdf' } }),
      r({ type: 'S3', s3Location: { uri: 's3://bucket/documents/bot-2/doc-8/Other.pdf' } }),
      r({ type: 'CONFLUENCE', confluenceLocation: { url: 'https://wiki.example.com/x' } }, { botId: 'bot-2' }),
    ],
  };
  expect(sourcesOf(response, 'bot-1', 'dedicated', 4).map((s) => s.citation)).toEqual([
    { sourceId: '4', title: 'docs.example.com', url: 'https://docs.example.com/drills', snippet: 'Passage text.' },
    { sourceId: '5', title: 'Document', snippet: 'Passage text.' },
    { sourceId: '6', title: 'Guide.pdf', documentId: 'doc-9', snippet: 'Passage text.' },
    // Another bot's key is never taken for this bot's document.
    { sourceId: '7', title: 'Document', snippet: 'Passage text.' },
  ]);
  expect(sourcesOf(response, 'bot-1', 'existing').map((s) => s.citation.url)).toEqual([
    'https://docs.example.com/drills', undefined, undefined, undefined, 'https://wiki.example.com/x',
  ]);
});
