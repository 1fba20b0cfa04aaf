/**
 * Knowledge in the chat over the wire (docs/knowledge-contract.md, "WebSocket"): the full example (with
 * KnowledgeBaseFactory) on the local stack, bots created through the REST API, their documents ingested into the local
 * knowledge base with the real SDK client (retrieval-helpers.ts), a real WebSocket client, the worker's small
 * Retrieve client reaching the local Bedrock Agent Runtime through a recording proxy, the offline model answering
 * from the sources it is given. No code of ours is mocked.
 */
import * as fc from 'fast-check';
import { call, User } from './rest-helpers';
import { knowledgeStack, RetrieveProxy, seedDocuments, TOOL_MODEL } from './retrieval-helpers';
import type { FakeRequest, FakeScript } from '../../src/local/emulators/bedrock';
import { offlineModel } from '../../src/local/offline-model';
import { Playground } from '../../src/local/playground';
import { Frame, request, WsClient } from '../../src/local/ws-client';

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
  if (proxy) proxy.refuse = undefined;
  await pg.idle();
});

const connect = (user: User) => WsClient.connect(pg.webSocketUrl, pg.issueToken(user));
const ask = (c: WsClient, text: string, extra: Record<string, unknown> = {}) => request(c, { action: 'sendMessage', content: [{ text }], ...extra });
const createBot = async (user: User, body: Record<string, unknown>): Promise<string> => {
  const res = await call(pg, user, 'POST', '/bots', body);
  expect(res.status).toBe(201);
  return res.body.id;
};
/** The ConverseStream requests the model got since `before` (the Bedrock fake's record). */
const streamRequests = (before: number) => pg.bedrockRequests().slice(before).filter((r) => r.operation === 'ConverseStream');
const systemOf = (r: FakeRequest) => (r.body.system ?? []).map((b) => String(b.text ?? '')).join('\n');
const typesOf = (frames: Frame[]) => frames.map((f) => f.type).filter((t, i, all) => t !== 'text' || all[i - 1] !== 'text');

const WARRANTY = 'The warranty of the X200 drill lasts 24 months from the date of purchase. Batteries are covered for 12 months.';

test('a bot with documents: the retrieval step and one citation per source arrive before the text, the answer cites [^1], the citations are stored', async () => {
  const botId = await createBot('alice', { title: 'Support', instructions: 'You answer questions about our tools.' });
  await seedDocuments(pg, botId, 'alice', [
    { documentId: 'doc-warranty', name: 'Warranty terms.md', text: WARRANTY },
    { documentId: 'doc-colors', name: 'Colors.txt', text: 'X200 colors: red and blue.' },
  ]);
  const before = pg.bedrockRequests().length;
  const calls = proxy.calls.length;
  const c = await connect('alice');
  const question = 'How long does the warranty of the drill last?';
  const { ack, end, text, frames } = await ask(c, question, { botId });
  c.close();

  expect(end).toMatchObject({ type: 'end', stopReason: 'end_turn' });
  expect(typesOf(frames)).toEqual(['ack', 'start', 'toolUse', 'toolResult', 'citation', 'text', 'end']);
  const toolUse = frames.find((f) => f.type === 'toolUse')!;
  expect(toolUse).toMatchObject({ name: 'knowledge_search', input: { query: question }, messageId: end.messageId });
  expect(frames.find((f) => f.type === 'toolResult')).toMatchObject({ toolUseId: toolUse.toolUseId, status: 'success', content: '1 passage found.' });
  const citations = frames.filter((f) => f.type === 'citation').map(({ sourceId, title, documentId, page, snippet }) => ({ sourceId, title, documentId, page, snippet }));
  expect(citations).toEqual([{ sourceId: '1', title: 'Warranty terms.md', documentId: 'doc-warranty', page: undefined, snippet: WARRANTY }]);
  expect(text).toBe('From the documents: The warranty of the X200 drill lasts 24 months from the date of purchase.[^1]');

  // One Retrieve: the question, at most 5 results, filtered on the bot.
  expect(proxy.calls.slice(calls)).toEqual([{
    path: `/knowledgebases/${pg.stack.outputs.KnowledgeBaseId}/retrieve`,
    body: { retrievalQuery: { text: question }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 5, filter: { equals: { key: 'botId', value: botId } } } } },
  }]);
  // The model got the bot's instructions, then the numbered source with its document name and text.
  const [sent] = streamRequests(before);
  const system = systemOf(sent);
  expect(system.startsWith('You answer questions about our tools.\n\n')).toBe(true);
  expect(system).toContain(`<sources>\n<source id="1" document="Warranty terms.md">\n${WARRANTY}\n</source>\n</sources>`);
  expect(system).toMatch(/cite it with its number as a footnote marker, e\.g\. \[\^1\]/);
  expect(system).toMatch(/If the sources do not contain the answer, say so/);
  // The sources change the system prompt every turn: no cache point that a later prompt could never read.
  expect(JSON.stringify(sent.body.messages)).not.toContain('cachePoint');

  const got = await call(pg, 'alice', 'GET', `/conversations/${ack!.conversationId}`);
  expect(got.status).toBe(200);
  const answer = got.body.messages.find((m: any) => m.id === end.messageId);
  expect(answer).toMatchObject({ role: 'assistant', content: [{ text }], citations: [{ sourceId: '1', title: 'Warranty terms.md', documentId: 'doc-warranty', snippet: WARRANTY }] });
  expect(got.body.messages.find((m: any) => m.id === ack!.messageId)).not.toHaveProperty('citations');

  // A follow-up: the earlier answer goes to the model as its text only, never with its citations.
  const next = pg.bedrockRequests().length;
  const c2 = await connect('alice');
  const follow = await ask(c2, 'And what colors does it come in?', { conversationId: ack!.conversationId });
  c2.close();
  expect(follow.end.type).toBe('end');
  const [second] = streamRequests(next);
  expect(second.body.messages![1]).toEqual({ role: 'assistant', content: [{ text }] });
  expect(systemOf(second)).toContain('document="Colors.txt"');
  expect(systemOf(second)).not.toContain('Warranty terms.md');
  expect(follow.text).toBe('From the documents: X200 colors: red and blue.[^1]');
});

test('a bot without documents, and a chat without a bot, never call Retrieve and get no sources', async () => {
  // A model with tool use: a bot without knowledge gives it no knowledge tool either.
  const botId = await createBot('alice', { title: 'Empty', instructions: 'Be brief.', models: [TOOL_MODEL], defaultModel: TOOL_MODEL });
  const calls = proxy.calls.length;
  const before = pg.bedrockRequests().length;
  const c = await connect('alice');
  const withBot = await ask(c, 'How long does the warranty of the drill last?', { botId });
  const plain = await ask(c, 'How long does the warranty of the drill last?');
  c.close();
  for (const turn of [withBot, plain]) {
    expect(turn.end.type).toBe('end');
    expect(typesOf(turn.frames)).toEqual(['ack', 'start', 'text', 'end']);
  }
  expect(proxy.calls.length).toBe(calls);
  expect(streamRequests(before).map(systemOf)).toEqual(['Be brief.', '']);
  // The bot's prompt caching applies as usual (its model caches): a cache point after the question.
  expect(JSON.stringify(streamRequests(before)[0].body.messages)).toContain('cachePoint');
  expect(streamRequests(before)[0].body.toolConfig).toBeUndefined();
  const got = await call(pg, 'alice', 'GET', `/conversations/${withBot.ack!.conversationId}`);
  expect(got.body.messages[1]).not.toHaveProperty('citations');
});

test('a Retrieve failure still answers, without sources, and says so in the retrieval step', async () => {
  const botId = await createBot('alice', { title: 'Refused', instructions: 'Help.' });
  await seedDocuments(pg, botId, 'alice', [{ documentId: 'd1', name: 'Policy.md', text: 'Returns are accepted within 30 days.' }]);
  proxy.refuse = { status: 403, type: 'AccessDeniedException', message: 'User is not authorized to perform: bedrock:Retrieve' };
  const calls = proxy.calls.length;
  const before = pg.bedrockRequests().length;
  const c = await connect('alice');
  const question = 'Are returns accepted?';
  const { ack, end, text, frames } = await ask(c, question, { botId });
  c.close();
  expect(end).toMatchObject({ type: 'end', stopReason: 'end_turn' });
  // AccessDeniedException is not retried: one call.
  expect(proxy.calls.length).toBe(calls + 1);
  expect(typesOf(frames)).toEqual(['ack', 'start', 'toolUse', 'toolResult', 'text', 'end']);
  expect(frames.find((f) => f.type === 'toolResult')).toMatchObject({ status: 'error' });
  expect(systemOf(streamRequests(before)[0])).toBe('Help.');
  expect(text).toContain(`You said: "${question}"`);
  const got = await call(pg, 'alice', 'GET', `/conversations/${ack!.conversationId}`);
  expect(got.body.messages[1]).toMatchObject({ content: [{ text }] });
  expect(got.body.messages[1]).not.toHaveProperty('citations');
});

test('a regenerate retrieves again; a continue keeps the stored citations and gives the model their snippets', async () => {
  const botId = await createBot('alice', { title: 'Manuals', instructions: 'Answer from the manual.' });
  const manual = 'Charging the battery takes ninety minutes with the fast charger. A full battery drills about two hundred holes.';
  await seedDocuments(pg, botId, 'alice', [{ documentId: 'm1', name: 'Manual.pdf', text: manual }]);
  const c = await connect('alice');
  const question = 'How long does charging the battery take?';
  const first = await ask(c, question, { botId });
  const calls = proxy.calls.length;
  const regen = await request(c, { action: 'regenerate', conversationId: first.ack!.conversationId, messageId: first.ack!.messageId });
  expect(proxy.calls.length).toBe(calls + 1);
  expect(typesOf(regen.frames)).toEqual(['ack', 'start', 'toolUse', 'toolResult', 'citation', 'text', 'end']);
  expect(regen.end.messageId).not.toBe(first.end.messageId);

  // An answer cut at the token limit, then continued: no new Retrieve, no citation frame, the same citations stored.
  script = offlineModel({ wordDelayMs: 0, maxOutputWords: 4 });
  const cut = await request(c, { action: 'regenerate', conversationId: first.ack!.conversationId, messageId: first.ack!.messageId });
  expect(cut.end).toMatchObject({ type: 'end', stopReason: 'max_tokens' });
  expect(cut.text).toBe('From the documents: Charging');
  const storedCut = (await call(pg, 'alice', 'GET', `/conversations/${first.ack!.conversationId}`)).body.messages.find((m: any) => m.id === cut.end.messageId);
  const afterCut = proxy.calls.length;
  const before = pg.bedrockRequests().length;
  script = undefined;
  const more = await request(c, { action: 'continue', conversationId: first.ack!.conversationId, messageId: cut.end.messageId });
  c.close();
  expect(more.end).toMatchObject({ type: 'end', stopReason: 'end_turn' });
  expect(proxy.calls.length).toBe(afterCut);
  expect(more.frames.some((f) => f.type === 'citation' || f.type === 'toolUse')).toBe(false);
  expect(systemOf(streamRequests(before)[0])).toContain(`<source id="1" document="Manual.pdf">\n${manual}\n</source>`);
  const stored = (await call(pg, 'alice', 'GET', `/conversations/${first.ack!.conversationId}`)).body.messages.find((m: any) => m.id === cut.end.messageId);
  expect(stored.citations).toEqual(storedCut.citations);
  expect(stored.citations).toEqual([{ sourceId: '1', title: 'Manual.pdf', documentId: 'm1', snippet: manual }]);
  expect(stored.content).toEqual([{ text: 'From the documents: Charging the battery takes ninety minutes with the fast charger.[^1]' }]);
});

test('a bot never retrieves another bot\'s documents (any bots, any documents sharing words)', async () => {
  const word = fc.constantFrom('alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel');
  const docText = fc.array(word, { minLength: 3, maxLength: 8 }).map((ws) => `${ws.join(' ')} policy.`);
  await fc.assert(fc.asyncProperty(
    fc.array(fc.array(docText, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 3 }),
    word,
    async (botsDocs, asked) => {
      const bots: { id: string; docs: Set<string> }[] = [];
      for (const [i, texts] of botsDocs.entries()) {
        const id = await createBot('alice', { title: `Bot ${i}` });
        const docs = texts.map((text, j) => ({ documentId: `${id}-d${j}`, name: `doc ${j}.md`, text }));
        await seedDocuments(pg, id, 'alice', docs);
        bots.push({ id, docs: new Set(docs.map((d) => d.documentId)) });
      }
      const c = await connect('alice');
      try {
        for (const bot of bots) {
          const turn = await ask(c, `What does the ${asked} policy say? policy`, { botId: bot.id });
          expect(turn.end.type).toBe('end');
          const cited = turn.frames.filter((f) => f.type === 'citation').map((f) => f.documentId);
          // Every bot's documents contain "policy": each turn cites at least one source, all of them its own.
          expect(cited.length).toBeGreaterThan(0);
          expect(cited.length).toBeLessThanOrEqual(5);
          for (const d of cited) expect(bot.docs.has(d)).toBe(true);
        }
      } finally {
        c.close();
      }
    },
  ), { numRuns: 4 });
}, 120_000);

test('a long question is sent as a query of at most 1,000 characters (KnowledgeBaseQuery\'s maximum)', async () => {
  const botId = await createBot('alice', { title: 'Long' });
  await seedDocuments(pg, botId, 'alice', [{ documentId: 'l1', name: 'Long.md', text: 'Gearbox oil is changed every 500 hours.' }]);
  const question = `Gearbox ${'maintenance question with many words '.repeat(60)}end`;
  expect(question.length).toBeGreaterThan(2000);
  const calls = proxy.calls.length;
  const c = await connect('alice');
  const { end, frames } = await ask(c, question, { botId });
  c.close();
  expect(end.type).toBe('end');
  const sent = proxy.calls.slice(calls).map((c0) => c0.body.retrievalQuery.text);
  expect(sent).toHaveLength(1);
  expect(sent[0].length).toBeLessThanOrEqual(1000);
  expect(question.replace(/\s+/g, ' ').startsWith(sent[0])).toBe(true);
  expect(frames.find((f) => f.type === 'toolUse')!.input).toEqual({ query: sent[0] });
});

test('an answer resumed on a new connection replays the retrieval step and the citations in its snapshot', async () => {
  const botId = await createBot('alice', { title: 'Resumable' });
  await seedDocuments(pg, botId, 'alice', [{ documentId: 'r1', name: 'Hours.md', text: 'The shop opens at nine.' }]);
  let open!: () => void;
  const held = new Promise<void>((resolve) => { open = resolve; });
  script = (req) => (req.operation === 'Converse' ? offline(req) : {
    steps: [{ type: 'text', text: 'From the documents: ' }, { type: 'pause', until: held }, { type: 'text', text: 'The shop opens at nine.[^1]' }],
  });
  const known = new Set(pg.connectionIds());
  const first = await connect('alice');
  const firstId = pg.connectionIds().find((id) => !known.has(id))!;
  const requestId = `r${Math.random().toString(36).slice(2)}`;
  first.send({ action: 'sendMessage', v: 1, requestId, content: [{ text: 'When does the shop open?' }], botId });
  await first.until((f) => f.requestId === requestId && f.type === 'text');
  expect(pg.dropConnection(firstId, { lingerMs: 60_000 })).toBe(true);
  const second = await connect('alice');
  try {
    second.send({ action: 'resume', v: 1, requestId });
    await second.until((f) => f.requestId === requestId && f.type === 'start' && f.resumed === true);
    open();
    const end = await second.until((f) => f.requestId === requestId && (f.type === 'end' || f.type === 'error'));
    expect(end.type).toBe('end');
    const frames = second.of(requestId);
    const snapshot = frames.filter((f) => f.snapshot === true);
    expect(typesOf(snapshot)).toEqual(['toolUse', 'toolResult', 'citation', 'text']);
    expect(snapshot.find((f) => f.type === 'citation')).toMatchObject({ sourceId: '1', title: 'Hours.md', documentId: 'r1', snippet: 'The shop opens at nine.' });
    expect(frames.filter((f) => f.type === 'text').map((f) => f.delta).join('')).toBe('From the documents: The shop opens at nine.[^1]');
  } finally {
    open();
    second.close();
    first.close();
  }
});
