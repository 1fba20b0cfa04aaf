import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  ConverseStreamOutput,
  ModelStreamErrorException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { credentials, region, useDummyAwsEnv } from './env';
import { BedrockFake, FakeRequest, FakeScript, PREFILL_REFUSED, startBedrockFake } from '../../src/local/emulators/bedrock';
import { lastUserText, OFFLINE_MODEL_ID, offlineModel, offlineReply, splitWords } from '../../src/local/offline-model';

useDummyAwsEnv();

const MODEL = 'us.anthropic.claude-sonnet-4-20250514-v1:0';
let fake: BedrockFake;
let client: BedrockRuntimeClient;
/** The script for the next request (each test sets it). */
let next: (req: FakeRequest) => FakeScript | Promise<FakeScript>;

beforeAll(async () => {
  fake = await startBedrockFake({ respond: (req) => next(req) });
  client = new BedrockRuntimeClient({ endpoint: fake.endpoint, credentials, region, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await fake.stop();
});

const userMessage = (text: string) => ({ role: 'user' as const, content: [{ text }] });

type Event = { type: keyof ConverseStreamOutput | string; value: unknown; at: number };

async function collect(modelId: string, text: string): Promise<{ events: Event[]; error?: unknown }> {
  const started = Date.now();
  const out = await client.send(new ConverseStreamCommand({
    modelId,
    messages: [userMessage(text)],
    system: [{ text: 'be brief' }],
    inferenceConfig: { maxTokens: 100 },
  }));
  const events: Event[] = [];
  try {
    for await (const event of out.stream ?? []) {
      const [type, value] = Object.entries(event).find(([k, v]) => k !== '$unknown' && v !== undefined) ?? ['$unknown', undefined];
      events.push({ type, value, at: Date.now() - started });
    }
  } catch (error) {
    return { events, error };
  }
  return { events };
}

type TextDelta = Event & { value: { contentBlockIndex: number; delta: { text: string } } };
const texts = (events: Event[]) => events
  .filter((e) => e.type === 'contentBlockDelta' && (e.value as { delta: { text?: string } }).delta.text !== undefined)
  .map((e) => e as TextDelta);

test('ConverseStream yields text deltas as they are written, in the real event sequence', async () => {
  next = () => ({
    steps: [
      { type: 'text', text: 'Hello' },
      { type: 'text', text: ' big', delayMs: 400 },
      { type: 'text', text: ' world', delayMs: 400 },
    ],
  });
  const { events, error } = await collect(MODEL, 'say hello to the world');
  expect(error).toBeUndefined();
  expect(events.map((e) => e.type)).toEqual([
    'messageStart', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata',
  ]);
  expect(events[0].value).toEqual({ role: 'assistant' });
  const deltas = texts(events);
  expect(deltas.map((d) => d.value.delta.text).join('')).toBe('Hello big world');
  expect(deltas.every((d) => d.value.contentBlockIndex === 0)).toBe(true);
  // incremental: the first delta arrived long before the last step was written (800 ms of script delays;
  // margins absorb the SDK's first-event overhead on a loaded machine)
  expect(deltas[2].at - deltas[0].at).toBeGreaterThanOrEqual(600);
  expect(deltas[1].at - deltas[0].at).toBeGreaterThanOrEqual(200);
  expect(events[5].value).toEqual({ stopReason: 'end_turn' });
  // default usage: input = words of the request messages, output = text steps
  expect((events[6].value as { usage: unknown }).usage).toEqual({ inputTokens: 5, outputTokens: 3, totalTokens: 8 });

  const recorded = fake.requests[fake.requests.length - 1];
  expect(recorded.modelId).toBe(MODEL);
  expect(recorded.operation).toBe('ConverseStream');
  expect(recorded.body.messages).toEqual([userMessage('say hello to the world')]);
  expect(recorded.body.system).toEqual([{ text: 'be brief' }]);
  expect(recorded.body.inferenceConfig).toEqual({ maxTokens: 100 });
});

test('first byte delay delays the response, not the request record', async () => {
  next = () => ({ firstByteDelayMs: 200, steps: [{ type: 'text', text: 'late' }] });
  const { events } = await collect(MODEL, 'x');
  expect(texts(events)[0].at).toBeGreaterThanOrEqual(190);
});

test('reasoning, text and toolUse blocks get their own indexes; usage and stop reason as scripted', async () => {
  next = () => ({
    steps: [
      { type: 'reasoning', text: 'Let me think. ' },
      { type: 'reasoning', text: 'A tool helps.', signature: 'sig-123' },
      { type: 'text', text: 'Checking the weather.' },
      { type: 'toolUse', toolUseId: 'tool-1', name: 'get_weather', input: { city: 'Paris' } },
    ],
    usage: { inputTokens: 11, outputTokens: 22, cacheReadInputTokens: 3, cacheWriteInputTokens: 4 },
  });
  const { events, error } = await collect(MODEL, 'weather in Paris?');
  expect(error).toBeUndefined();
  expect(events.map((e) => [e.type, e.value])).toEqual([
    ['messageStart', { role: 'assistant' }],
    ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Let me think. ' } } }],
    ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'A tool helps.' } } }],
    ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'sig-123' } } }],
    ['contentBlockStop', { contentBlockIndex: 0 }],
    ['contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'Checking the weather.' } }],
    ['contentBlockStop', { contentBlockIndex: 1 }],
    ['contentBlockStart', { contentBlockIndex: 2, start: { toolUse: { toolUseId: 'tool-1', name: 'get_weather' } } }],
    ['contentBlockDelta', { contentBlockIndex: 2, delta: { toolUse: { input: '{"city":"Paris"}' } } }],
    ['contentBlockStop', { contentBlockIndex: 2 }],
    ['messageStop', { stopReason: 'tool_use' }],
    ['metadata', {
      usage: { inputTokens: 11, outputTokens: 22, totalTokens: 33, cacheReadInputTokens: 3, cacheWriteInputTokens: 4 },
      metrics: { latencyMs: expect.any(Number) },
    }],
  ]);
});

test('throttling before the stream surfaces as a typed ThrottlingException', async () => {
  next = () => ({ error: { status: 429, name: 'ThrottlingException', message: 'Too many requests, please wait.' }, steps: [] });
  const error = await collect(MODEL, 'hi').then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ThrottlingException);
  expect(error).toMatchObject({
    name: 'ThrottlingException',
    message: 'Too many requests, please wait.',
    $metadata: { httpStatusCode: 429 },
  });
});

test('a validation error before the stream is a typed ValidationException (Converse too)', async () => {
  next = () => ({ error: { status: 400, name: 'ValidationException', message: 'bad input' }, steps: [] });
  await expect(client.send(new ConverseCommand({ modelId: MODEL, messages: [userMessage('x')] })))
    .rejects.toBeInstanceOf(ValidationException);
});

test('an exception mid-stream surfaces after the deltas written before it', async () => {
  next = () => ({
    steps: [
      { type: 'text', text: 'partial ' },
      { type: 'text', text: 'answer' },
      { type: 'exception', name: 'ModelStreamErrorException', message: 'the model stream broke', delayMs: 50 },
      { type: 'text', text: 'never sent' },
    ],
  });
  const { events, error } = await collect(MODEL, 'hi');
  expect(texts(events).map((d) => d.value.delta.text)).toEqual(['partial ', 'answer']);
  expect(error).toBeInstanceOf(ModelStreamErrorException);
  expect(error).toMatchObject({ name: 'ModelStreamErrorException', message: 'the model stream broke' });
});

test('a ThrottlingException mid-stream is typed as well', async () => {
  next = () => ({ steps: [{ type: 'text', text: 'a' }, { type: 'exception', name: 'ThrottlingException', message: 'slow down' }] });
  const { events, error } = await collect(MODEL, 'hi');
  expect(texts(events)).toHaveLength(1);
  expect(error).toBeInstanceOf(ThrottlingException);
});

test('Converse (not streaming) returns the joined text, stop reason and usage', async () => {
  next = () => ({
    steps: [{ type: 'text', text: 'one ' }, { type: 'text', text: 'two' }, { type: 'toolUse', toolUseId: 't', name: 'n', input: { a: 1 } }],
    stopReason: 'end_turn',
  });
  const out = await client.send(new ConverseCommand({ modelId: 'amazon.nova-micro-v1:0', messages: [userMessage('count to two')] }));
  expect(out.output?.message).toEqual({
    role: 'assistant',
    content: [{ text: 'one two' }, { toolUse: { toolUseId: 't', name: 'n', input: { a: 1 } } }],
  });
  expect(out.stopReason).toBe('end_turn');
  expect(out.usage).toEqual({ inputTokens: 3, outputTokens: 2, totalTokens: 5 });
  const recorded = fake.requests[fake.requests.length - 1];
  expect(recorded).toMatchObject({ modelId: 'amazon.nova-micro-v1:0', operation: 'Converse' });
});

test('a client that goes away mid-stream does not break the fake', async () => {
  next = () => ({ steps: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b', delayMs: 200 }] });
  const controller = new AbortController();
  const out = await client.send(new ConverseStreamCommand({ modelId: MODEL, messages: [userMessage('x')] }), { abortSignal: controller.signal });
  const iterator = out.stream![Symbol.asyncIterator]();
  await iterator.next();
  controller.abort();
  await iterator.return?.();
  await new Promise((r) => setTimeout(r, 250));
  next = () => ({ steps: [{ type: 'text', text: 'still alive' }] });
  const { events } = await collect(MODEL, 'x');
  expect(texts(events)[0].value.delta.text).toBe('still alive');
});

describe('offline model', () => {
  test('offlineReply quotes the user verbatim', () => {
    expect(offlineReply('Hi "there"')).toBe(
      'I am the offline model of cdk-bedrock-chat, running on this machine: no request left it. You said: "Hi "there""',
    );
    expect(OFFLINE_MODEL_ID).toBe('local.offline-model-v1');
  });

  test('splitWords keeps every character', () => {
    const text = '  spaced   out\nlines\tand tabs ';
    expect(splitWords(text).join('')).toBe(text);
    expect(splitWords('a b')).toEqual(['a ', 'b']);
  });

  test('lastUserText takes the last user message with text', () => {
    expect(lastUserText({
      modelId: OFFLINE_MODEL_ID,
      operation: 'ConverseStream',
      body: {
        messages: [
          { role: 'user', content: [{ text: 'first' }] },
          { role: 'assistant', content: [{ text: 'reply' }] },
          { role: 'user', content: [{ text: 'part one' }, { image: {} }, { text: 'part two' }] },
        ],
      },
    })).toBe('part one\npart two');
  });

  test('streams the reply word by word through the real SDK, with word-count usage', async () => {
    const model = offlineModel({ wordDelayMs: 2 });
    next = model;
    const said = 'What is *Bedrock*?  Tell me.';
    const out = await client.send(new ConverseStreamCommand({
      modelId: OFFLINE_MODEL_ID,
      messages: [userMessage('earlier question'), { role: 'assistant', content: [{ text: 'earlier answer' }] }, userMessage(said)],
    }));
    const deltas: string[] = [];
    let usage: unknown;
    for await (const event of out.stream ?? []) {
      if (event.contentBlockDelta?.delta?.text !== undefined) deltas.push(event.contentBlockDelta.delta.text);
      if (event.metadata) usage = event.metadata.usage;
    }
    const reply = offlineReply(said);
    expect(deltas.join('')).toBe(reply);
    expect(deltas).toEqual(splitWords(reply));
    expect(deltas.length).toBe(reply.split(/\s+/).length);
    expect(usage).toEqual({ inputTokens: 2 + 2 + 5, outputTokens: deltas.length, totalTokens: 9 + deltas.length });
  });

  test('names conversations with the first words of the first question (title requests)', async () => {
    next = offlineModel();
    const out = await client.send(new ConverseCommand({
      modelId: OFFLINE_MODEL_ID,
      system: [{ text: 'You name chat conversations. Reply with a short title.' }],
      messages: [userMessage('<conversation>\nUser: How do I rotate my access keys safely?\nAssistant: I am the offline model\n</conversation>\nTitle:')],
    }));
    expect(out.output?.message?.content?.[0].text).toBe('How do I rotate my access');
  });

  test('default word delay is 25 ms', () => {
    const script = offlineModel()({ modelId: OFFLINE_MODEL_ID, operation: 'ConverseStream', body: { messages: [userMessage('hi')] } });
    expect(script.steps.every((s) => s.delayMs === 25)).toBe(true);
    expect(script.steps.map((s) => (s as { text: string }).text).join('')).toBe(offlineReply('hi'));
  });
});

describe('Bedrock\'s documented request rules (ValidationException, as Bedrock answers)', () => {
  const ok = (): FakeScript => ({ steps: [{ type: 'text', text: 'fine' }] });
  /** A PNG header of the given size (what Bedrock and the fake read the dimensions from). */
  const png = (width: number, height: number, extra = 0): Uint8Array => {
    const b = Buffer.alloc(33 + extra);
    Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').copy(b);
    b.writeUInt32BE(width, 16);
    b.writeUInt32BE(height, 20);
    return b;
  };
  const image = (bytes: Uint8Array) => ({ image: { format: 'png' as const, source: { bytes } } });
  const doc = (name: string, size = 10) => ({ document: { format: 'txt' as const, name, source: { bytes: Buffer.alloc(size, 'a') } } });
  /** The ValidationException the request gets, or undefined when it is answered (the stream is read to its end). */
  const refusal = (input: ConstructorParameters<typeof ConverseStreamCommand>[0]) => client.send(new ConverseStreamCommand(input)).then(
    async (out) => {
      for await (const event of out.stream ?? []) void event;
      return undefined;
    },
    (e: unknown) => e as ValidationException);

  beforeEach(() => { next = ok; });

  test.each([
    ['anthropic.claude-sonnet-4-6'], ['global.anthropic.claude-sonnet-4-6'], ['us.anthropic.claude-opus-4-6-v1'], ['eu.anthropic.claude-opus-4-7'],
  ])('%s refuses a conversation that ends with an assistant turn (prefill)', async (modelId) => {
    const before = fake.requests.length;
    const err = await refusal({ modelId, messages: [userMessage('count'), { role: 'assistant', content: [{ text: 'one, two,' }] }] });
    expect(err).toBeInstanceOf(ValidationException);
    expect(err).toMatchObject({ message: PREFILL_REFUSED, $metadata: { httpStatusCode: 400 } });
    // Recorded all the same: a test can see what was sent.
    expect(fake.requests.length).toBe(before + 1);
  });

  test('older Claude models and Nova accept prefill; every model accepts a conversation ending with a user turn', async () => {
    for (const modelId of ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'anthropic.claude-3-7-sonnet-20250219-v1:0', 'amazon.nova-pro-v1:0']) {
      await expect(refusal({ modelId, messages: [userMessage('count'), { role: 'assistant', content: [{ text: 'one,' }] }] })).resolves.toBeUndefined();
    }
    await expect(refusal({
      modelId: 'global.anthropic.claude-sonnet-4-6',
      messages: [userMessage('count'), { role: 'assistant', content: [{ text: 'one,' }] }, userMessage('go on')],
    })).resolves.toBeUndefined();
  });

  test('at most 20 images and 5 documents per message; a document needs a text block beside it', async () => {
    const twentyOne = Array.from({ length: 21 }, () => image(png(10, 10)));
    expect(await refusal({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'look' }, ...twentyOne] }] }))
      .toMatchObject({ name: 'ValidationException', message: expect.stringContaining('too many images (21)') });
    await expect(refusal({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'look' }, ...twentyOne.slice(1)] }] })).resolves.toBeUndefined();
    const six = Array.from({ length: 6 }, (_, i) => doc(`notes ${i}`));
    expect(await refusal({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'read' }, ...six] }] }))
      .toMatchObject({ message: expect.stringContaining('too many documents (6)') });
    await expect(refusal({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'read' }, ...six.slice(1)] }] })).resolves.toBeUndefined();
    expect(await refusal({ modelId: MODEL, messages: [{ role: 'user', content: [doc('notes')] }] }))
      .toMatchObject({ message: expect.stringContaining('must also include a text block') });
  });

  test('images at most 3.75 MB and 8,000 px per side (from the image header); documents at most 4.5 MB', async () => {
    expect(await refusal({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'x' }, image(png(8001, 100))] }] }))
      .toMatchObject({ message: expect.stringContaining('8001x100') });
    await expect(refusal({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'x' }, image(png(8000, 8000))] }] })).resolves.toBeUndefined();
    expect(await refusal({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'x' }, image(png(10, 10, 3_750_000))] }] }))
      .toMatchObject({ message: expect.stringContaining('exceeds the maximum of 3.75 MB') });
    expect(await refusal({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'x' }, doc('big', 4_500_001)] }] }))
      .toMatchObject({ message: expect.stringContaining('exceeds the maximum of 4.5 MB') });
    await expect(refusal({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'x' }, doc('big', 4_500_000)] }] })).resolves.toBeUndefined();
  });

  test.each([['two  spaces'], ['notes.txt'], ['résumé'], ['a/b'], ['x'.repeat(201)]])('document name %j is refused', async (name) => {
    expect(await refusal({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'x' }, doc(name)] }] }))
      .toMatchObject({ name: 'ValidationException', message: expect.stringContaining('document file name can only contain') });
  });

  test('document names of letters, digits, single spaces, hyphens, parentheses and brackets are accepted', async () => {
    await expect(refusal({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'x' }, doc('Q3 report (final) [v2]-draft')] }] })).resolves.toBeUndefined();
  });

  test('thinking: budget_tokens at least 1,024 and below maxTokens; Opus 4.7 refuses a budget (adaptive only)', async () => {
    const thinking = (budget: number, maxTokens: number, modelId = MODEL) => refusal({
      modelId,
      messages: [userMessage('think')],
      inferenceConfig: { maxTokens },
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: budget } } as never,
    });
    expect(await thinking(1023, 4096)).toMatchObject({ message: expect.stringContaining('greater than or equal to 1024') });
    expect(await thinking(4096, 4096)).toMatchObject({ message: expect.stringContaining('must be greater than `thinking.budget_tokens`') });
    await expect(thinking(4096, 5120)).resolves.toBeUndefined();
    expect(await thinking(4096, 8192, 'global.anthropic.claude-opus-4-7')).toMatchObject({ message: expect.stringContaining('adaptive') });
    await expect(refusal({
      modelId: 'global.anthropic.claude-opus-4-7',
      messages: [userMessage('think')],
      inferenceConfig: { maxTokens: 4096 },
      additionalModelRequestFields: { thinking: { type: 'adaptive' } } as never,
    })).resolves.toBeUndefined();
  });

  test('enforceRules: false lets a test script any answer', async () => {
    const lax = await startBedrockFake({ enforceRules: false, respond: ok });
    const laxClient = new BedrockRuntimeClient({ endpoint: lax.endpoint, credentials, region, maxAttempts: 1 });
    try {
      const out = await laxClient.send(new ConverseCommand({ modelId: 'anthropic.claude-sonnet-4-6', messages: [userMessage('x'), { role: 'assistant', content: [{ text: 'y' }] }] }));
      expect(out.stopReason).toBe('end_turn');
    } finally {
      laxClient.destroy();
      await lax.stop();
    }
  });
});
