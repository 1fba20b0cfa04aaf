/**
 * AnswerRelay (src/lambdas/core/frames.ts) on its own: what a connection that takes an answer over is sent. The sinks
 * stand in for the Management API and record what each connection received.
 */
import { AnswerRelay, FrameSink, splitText } from '../../src/lambdas/core/frames';
import { encodeFrame, ServerFrame } from '../../src/lambdas/core/protocol';

const ids = { requestId: 'r1', conversationId: 'c1', messageId: 'm1' };

function connections() {
  const received = new Map<string, ServerFrame[]>();
  const gone = new Set<string>();
  const sinkFor = (id: string): FrameSink => ({
    send: async (frame) => {
      await new Promise((r) => setTimeout(r, 1));
      if (gone.has(id)) return false;
      (received.get(id) ?? received.set(id, []).get(id)!).push(frame);
      return true;
    },
  });
  const shown = (id: string) => {
    const frames = received.get(id) ?? [];
    const from = frames.map((f) => f.type).lastIndexOf('start');
    return frames.slice(Math.max(from, 0)).filter((f) => f.type === 'text').map((f) => (f as { delta: string }).delta).join('');
  };
  return { received, gone, sinkFor, shown };
}

test('frames queued before a move go to the old connection, later ones to the new one after a snapshot; nothing twice', async () => {
  const { received, sinkFor, shown } = connections();
  const relay = new AnswerRelay('A', sinkFor('A'), sinkFor);
  void relay.send({ type: 'start', ...ids, parentMessageId: 'u1', model: 'm' });
  void relay.send({ type: 'reasoning', ...ids, delta: 'hmm' });
  void relay.send({ type: 'text', ...ids, delta: 'one ' });
  void relay.send({ type: 'toolUse', ...ids, toolUseId: 't1', name: 'search', input: { q: 'x' } });
  const moved = relay.moveTo('B');
  void relay.send({ type: 'text', ...ids, delta: 'two ' });
  await relay.send({ type: 'end', ...ids, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 }, price: 0 });
  expect(await moved).toBe(true);
  expect(relay.connectionId).toBe('B');
  expect(received.get('A')!.map((f) => f.type)).toEqual(['start', 'reasoning', 'text', 'toolUse']);
  expect(received.get('B')).toEqual([
    { type: 'start', ...ids, parentMessageId: 'u1', model: 'm', resumed: true },
    { type: 'reasoning', ...ids, delta: 'hmm', snapshot: true },
    { type: 'toolUse', ...ids, toolUseId: 't1', name: 'search', input: { q: 'x' }, snapshot: true },
    { type: 'text', ...ids, delta: 'one ', snapshot: true },
    { type: 'text', ...ids, delta: 'two ' },
    expect.objectContaining({ type: 'end' }),
  ]);
  expect(shown('B')).toBe('one two ');
});

test('a move after the end replays the whole answer and the end; a move to a connection left earlier is ignored', async () => {
  const { received, sinkFor, shown } = connections();
  const relay = new AnswerRelay('A', sinkFor('A'), sinkFor);
  void relay.send({ type: 'start', ...ids, parentMessageId: 'u1', model: 'm' });
  void relay.send({ type: 'text', ...ids, delta: 'all of it' });
  await relay.send({ type: 'error', ...ids, code: 'MODEL_ERROR', message: 'The model failed.' });
  expect(await relay.moveTo('B')).toBe(true);
  expect(received.get('B')!.map((f) => f.type)).toEqual(['start', 'text', 'error']);
  expect(shown('B')).toBe('all of it');
  // A stale read of the request item naming A (or B again) changes nothing.
  expect(await relay.moveTo('A')).toBeUndefined();
  expect(await relay.moveTo('B')).toBeUndefined();
  expect(relay.connectionId).toBe('B');
  expect(received.get('A')!.length).toBe(3);
  expect(received.get('B')!.length).toBe(3);
});

test('before the start frame a move only switches the connection; a failure before it replays just the error', async () => {
  const { received, sinkFor } = connections();
  const relay = new AnswerRelay('A', sinkFor('A'), sinkFor);
  expect(await relay.moveTo('B')).toBe(true);
  expect(received.get('B')).toBeUndefined();
  await relay.send({ type: 'error', ...ids, code: 'NOT_FOUND', message: 'gone' });
  expect(await relay.moveTo('C')).toBe(true);
  expect(received.get('C')).toEqual([{ type: 'error', ...ids, code: 'NOT_FOUND', message: 'gone' }]);
});

test('a continued answer\'s snapshot starts with the text it had; the new connection being gone is reported', async () => {
  const { received, gone, sinkFor, shown } = connections();
  const relay = new AnswerRelay('A', sinkFor('A'), sinkFor);
  relay.continues({ text: 'Earlier part, ', reasoning: 'old thoughts' });
  void relay.send({ type: 'start', ...ids, parentMessageId: 'u1', model: 'm', continued: true });
  await relay.send({ type: 'text', ...ids, delta: 'and more.' });
  expect(await relay.moveTo('B')).toBe(true);
  expect(shown('B')).toBe('Earlier part, and more.');
  expect(received.get('B')![1]).toEqual({ type: 'reasoning', ...ids, delta: 'old thoughts', snapshot: true });
  gone.add('C');
  expect(await relay.moveTo('C')).toBe(false);
});

test('without sinks for other connections the answer stays where it is', async () => {
  const { received, sinkFor } = connections();
  const relay = new AnswerRelay('A', sinkFor('A'));
  await relay.send({ type: 'start', ...ids, parentMessageId: 'u1', model: 'm' });
  expect(await relay.moveTo('B')).toBeUndefined();
  expect(relay.connectionId).toBe('A');
  expect(received.has('B')).toBe(false);
});

test('snapshot frames stay under 32 KB and never split a surrogate pair', async () => {
  const text = ('"\\😀' + 'é'.repeat(3)).repeat(9000);
  const pieces = splitText(text);
  expect(pieces.join('')).toBe(text);
  for (const p of pieces) {
    expect(p.length).toBeLessThanOrEqual(4000);
    expect(/^[\uDC00-\uDFFF]/.test(p) || /[\uD800-\uDBFF]$/.test(p)).toBe(false);
  }
  const { received, sinkFor, shown } = connections();
  const relay = new AnswerRelay('A', sinkFor('A'), sinkFor);
  void relay.send({ type: 'start', ...ids, parentMessageId: 'u1', model: 'm' });
  for (const p of pieces) void relay.send({ type: 'text', ...ids, delta: p });
  await relay.moveTo('B');
  expect(shown('B')).toBe(text);
  for (const f of received.get('B')!) expect(Buffer.byteLength(encodeFrame(f))).toBeLessThanOrEqual(32 * 1024);
  expect(splitText('')).toEqual([]);
  expect(splitText('a😀b', 2)).toEqual(['a', '😀', 'b']);
});
