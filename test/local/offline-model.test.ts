import { CONTINUE_INSTRUCTION } from '../../src/lambdas/core/model';
import type { FakeRequest } from '../../src/local/emulators/bedrock';
import { offlineModel, offlineReply } from '../../src/local/offline-model';

const ask = (text: string, prefill?: string): FakeRequest => ({
  modelId: 'local.offline-model-v1',
  operation: 'ConverseStream',
  body: { messages: [{ role: 'user', content: [{ text }] }, ...(prefill !== undefined ? [{ role: 'assistant', content: [{ text: prefill }] }] : [])] },
});
const textOf = (steps: { type: string; text?: string }[]) => steps.map((s) => s.text ?? '').join('');

test('without a limit the reply is whole and ends the turn', () => {
  const script = offlineModel({ wordDelayMs: 0 })(ask('hi there'));
  expect(textOf(script.steps)).toBe(offlineReply('hi there'));
  expect(script.stopReason).toBe('end_turn');
});

test('maxOutputWords cuts at max_tokens after a word; continuing with the cut text as prefill gives the rest, until the reply is complete', () => {
  const model = offlineModel({ wordDelayMs: 0, maxOutputWords: 7 });
  const full = offlineReply('continue me');
  let answer = '';
  const reasons: (string | undefined)[] = [];
  for (let i = 0; i < 20 && reasons[reasons.length - 1] !== 'end_turn'; i++) {
    // The worker sends the stored answer as a prefill without its trailing whitespace.
    const script = model(ask('continue me', answer ? answer.trimEnd() : undefined));
    const part = textOf(script.steps);
    if (script.stopReason === 'max_tokens') {
      expect(part).toBe(part.trimEnd());
      expect(script.steps).toHaveLength(7);
      expect(script.usage?.outputTokens).toBe(7);
    }
    answer += part;
    reasons.push(script.stopReason);
  }
  expect(answer).toBe(full);
  expect(reasons.slice(0, -1).every((r) => r === 'max_tokens')).toBe(true);
  expect(reasons.length).toBeGreaterThan(2);
  expect(reasons[reasons.length - 1]).toBe('end_turn');
});

test('a model without prefill: the cut answer, then the user turn asking to continue, gets the rest of the same reply', () => {
  const model = offlineModel({ wordDelayMs: 0, maxOutputWords: 7 });
  const full = offlineReply('continue me');
  let answer = '';
  for (let i = 0; i < 20; i++) {
    const messages = [{ role: 'user', content: [{ text: 'continue me' }] }];
    if (answer) messages.push({ role: 'assistant', content: [{ text: answer.trimEnd() }] }, { role: 'user', content: [{ text: CONTINUE_INSTRUCTION }] });
    const script = model({ modelId: 'local.offline-model-v1', operation: 'ConverseStream', body: { messages } });
    answer += textOf(script.steps);
    if (script.stopReason === 'end_turn') break;
  }
  expect(answer).toBe(full);
});
