/**
 * A conversation longer than the model's context window: the worker sends it again without its oldest turns and says
 * so. Over the wire against the Bedrock fake, scripted to refuse inputs over a size with Bedrock's own messages, and
 * the pure rules of `core/context-window.ts`.
 */
import { fittingShare, fittingStream, isContextOverflow, leaveOutOldest, MAX_TRIM_ATTEMPTS } from '../../src/lambdas/core/context-window';
import type { FakeRequest, FakeScript } from '../../src/local/emulators/bedrock';
import { offlineModel } from '../../src/local/offline-model';
import { OFFLINE_MODELS, Playground, startPlayground } from '../../src/local/playground';
import { Frame, WsClient } from '../../src/local/ws-client';

const validation = (message: string) => Object.assign(new Error(message), { name: 'ValidationException' });

describe('recognising an over-long input', () => {
  test.each([
    'The model returned the following errors: Input is too long for requested model.',
    'The model returned the following errors: prompt is too long: 200049 tokens > 200000 maximum',
    'input length and `max_tokens` exceed context limit: 190000 + 64000 > 204698',
    'too many total text bytes: 1200000 > 1000000',
    'Mantle streaming error: "This model\'s maximum context length is 202752 tokens. However, you requested 65536 output tokens"',
  ])('%s', (message) => {
    expect(isContextOverflow(validation(message))).toBe(true);
  });

  test('other validation errors and other error names are not about length', () => {
    expect(isContextOverflow(validation('The model returned the following errors: messages.0.content: document names must be unique'))).toBe(false);
    expect(isContextOverflow(Object.assign(new Error('prompt is too long'), { name: 'ThrottlingException' }))).toBe(false);
    expect(isContextOverflow(undefined)).toBe(false);
  });

  test('the share that fits is read from "N tokens > M maximum"', () => {
    expect(fittingShare(validation('prompt is too long: 250000 tokens > 200000 maximum'))).toBeCloseTo(0.8);
    expect(fittingShare(validation('Input is too long for requested model.'))).toBeUndefined();
  });
});

describe('leaving out the oldest turns', () => {
  const turn = (role: 'user' | 'assistant', n: number, size = 100) => ({ role, content: [{ text: `${n}`.padEnd(size, '.') }] });
  const history = (pairs: number) => [...Array.from({ length: pairs }, (_, i) => [turn('user', i), turn('assistant', i)]).flat(), turn('user', pairs)];

  test('whole pairs from the start; the question stays; the first message is the user\'s', () => {
    const h = history(4);
    const out = leaveOutOldest(h, 1)!;
    expect(out.dropped).toBe(4);
    expect(out.messages).toEqual(h.slice(4));
    expect(out.messages[0].role).toBe('user');
    expect(out.messages[out.messages.length - 1]).toBe(h[h.length - 1]);
  });

  test('with a known share, just enough pairs go to land under 90 % of it', () => {
    const h = history(10);
    const out = leaveOutOldest(h, 1, 0.75)!;
    // 21 messages of about equal size: at most 0.675 x 21 = 14.2 may stay, so 4 pairs (8 messages) go, 13 stay.
    expect(out.dropped).toBe(8);
    expect(out.messages).toHaveLength(13);
  });

  test('the tail of a continued answer is never dropped; nothing to drop gives undefined', () => {
    const h = [...history(1), turn('assistant', 9)]; // u a u a(cut, prefilled)
    expect(leaveOutOldest(h, 2)!.messages).toEqual(h.slice(2));
    expect(leaveOutOldest(h.slice(2), 2)).toBeUndefined();
    expect(leaveOutOldest([turn('user', 0)], 1)).toBeUndefined();
  });

  test('the stream is retried shorter only before its first event, at most MAX_TRIM_ATTEMPTS times', async () => {
    const sent: number[] = [];
    const refuseOver = (max: number) => async function* (messages: { role: string }[]) {
      sent.push(messages.length);
      if (messages.length > max) throw validation('Input is too long for requested model.');
      yield 'ok';
    };
    const collect = async (it: AsyncIterable<string>) => { const out: string[] = []; for await (const e of it) out.push(e); return out; };
    const leftOut: number[] = [];
    expect(await collect(fittingStream(refuseOver(5), history(8), 1, (n) => leftOut.push(n)))).toEqual(['ok']);
    expect(sent).toEqual([17, 9, 5]);
    expect(leftOut).toEqual([8, 12]);

    sent.length = 0;
    await expect(collect(fittingStream(refuseOver(0), history(40), 1, () => undefined))).rejects.toThrow(/too long/);
    expect(sent).toHaveLength(MAX_TRIM_ATTEMPTS + 1);

    const failsAfterStart = async function* () { yield 'a'; throw validation('Input is too long for requested model.'); };
    let opened = 0;
    await expect(collect(fittingStream(() => { opened++; return failsAfterStart(); }, history(3), 1, () => undefined))).rejects.toThrow(/too long/);
    expect(opened).toBe(1);
  });
});

describe('over the wire', () => {
  const offline = offlineModel({ wordDelayMs: 0 });
  /** The fake refuses, as Claude on Bedrock does, requests with more than `limit` messages. */
  let limit = Infinity;
  let pg: Playground;
  const received: FakeRequest[] = [];
  beforeAll(async () => {
    pg = await startPlayground({
      handlers: 'in-process',
      models: OFFLINE_MODELS,
      quiet: true,
      respond: (req): FakeScript => {
        if (req.operation === 'Converse') return offline(req);
        received.push(req);
        const n = req.body.messages?.length ?? 0;
        if (n > limit) {
          return { error: { status: 400, name: 'ValidationException', message: `The model returned the following errors: prompt is too long: ${n * 1000} tokens > ${limit * 1000} maximum` }, steps: [] };
        }
        return offline(req);
      },
    });
  });
  afterAll(async () => pg?.stop());

  async function ask(c: WsClient, text: string, conversationId?: string): Promise<Frame> {
    const requestId = `r${Math.random().toString(36).slice(2)}`;
    c.send({ action: 'sendMessage', v: 1, requestId, content: [{ text }], ...(conversationId ? { conversationId } : {}) });
    return c.until((f) => f.requestId === requestId && (f.type === 'end' || f.type === 'error'));
  }

  test('a conversation past the window is answered from its latest turns, and the end frame says how many were left out', async () => {
    const c = await WsClient.connect(pg.webSocketUrl, pg.issueToken('alice'));
    limit = Infinity;
    const first = await ask(c, 'one');
    const conversationId = String(first.conversationId);
    for (const q of ['two', 'three', 'four']) expect((await ask(c, q, conversationId)).type).toBe('end');
    expect(first.contextTrimmed).toBeUndefined();

    limit = 3;
    received.length = 0;
    const end = await ask(c, 'five: the question that must reach the model', conversationId);
    c.close();
    await pg.idle();
    expect(end.type).toBe('end');
    // 9 messages (4 pairs and the question) do not fit 3; the refusal says 9000 > 3000 tokens, so at most 90 % of a
    // third of the history's size stays: the oldest pairs go until it does (the answers are longer than the questions).
    const sentSizes = received.map((r) => r.body.messages!.length);
    expect(sentSizes[0]).toBe(9);
    const fitted = sentSizes[sentSizes.length - 1];
    expect(fitted).toBeLessThanOrEqual(3);
    expect(sentSizes.length).toBeLessThanOrEqual(3);
    expect(end.contextTrimmed).toBe(9 - fitted);
    const last = received[received.length - 1].body.messages!;
    expect(last[0].role).toBe('user');
    expect(JSON.stringify(last[last.length - 1])).toContain('five: the question that must reach the model');
  });

  test('a question alone too long for the window is reported as the model\'s error, not retried forever', async () => {
    const c = await WsClient.connect(pg.webSocketUrl, pg.issueToken('bob'));
    limit = 0;
    received.length = 0;
    const end = await ask(c, 'alone');
    c.close();
    await pg.idle();
    expect(end.type).toBe('error');
    expect(String(end.message)).toMatch(/prompt is too long/);
    expect(received).toHaveLength(1);
  });
});
