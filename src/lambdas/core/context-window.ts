/**
 * Fitting a conversation into the model's context window: when Bedrock refuses a request because the input is too
 * long, the oldest turns are left out and the request is sent again, before any of the answer was streamed.
 *
 * Bedrock answers an over-long input with a `ValidationException` whose message depends on the model; the phrases
 * below are those collected by a well-kept Bedrock client (strands-agents, `BEDROCK_CONTEXT_WINDOW_OVERFLOW_MESSAGES`:
 * https://github.com/strands-agents/harness-sdk/pull/1663, https://github.com/strands-agents/harness-sdk/issues/3969):
 * "Input is too long for requested model", "input length and `max_tokens` exceed context limit", "too many total
 * text bytes", "prompt is too long: N tokens > M maximum" (Claude), and the OpenAI-style "maximum context length is
 * N tokens" (models served through Mantle). Reacting to the service's own answer fits every model, including those
 * whose window is not in the catalog, and costs nothing: a refused request is not billed.
 */

const OVERFLOW_PHRASES = [
  /input is too long for requested model/i,
  /input length and `?max_tokens`? exceed context limit/i,
  /too many total text bytes/i,
  /prompt is too long/i,
  /maximum context length is \d+ tokens/i,
];

/** At most this many shorter attempts per turn. */
export const MAX_TRIM_ATTEMPTS = 4;

/** The service error behind `err` (a `ChatError` explaining a Bedrock error keeps it as its `cause`). */
function serviceError(err: unknown): { name?: unknown; message?: unknown } | undefined {
  const e = err as { name?: unknown; cause?: unknown } | undefined;
  return (e?.name === 'ChatError' && e.cause ? e.cause : e) as { name?: unknown; message?: unknown } | undefined;
}

/** Whether `err` is Bedrock refusing an input longer than the model's context window. */
export function isContextOverflow(err: unknown): boolean {
  const e = serviceError(err);
  if (e?.name !== 'ValidationException') return false;
  const message = String(e.message ?? '');
  return OVERFLOW_PHRASES.some((p) => p.test(message));
}

/** The share of the input that fits, when the message says both sizes ("200049 tokens > 200000 maximum"). */
export function fittingShare(err: unknown): number | undefined {
  const message = String(serviceError(err)?.message ?? '');
  const m = /(\d+) tokens > (\d+) maximum/.exec(message);
  if (!m) return undefined;
  const [used, max] = [Number(m[1]), Number(m[2])];
  return used > 0 && max > 0 && max < used ? max / used : undefined;
}

interface RoleMessage { readonly role?: string }

/**
 * `messages` without their oldest turns: whole user/assistant pairs from the start, so the first message is still the
 * user's, never touching the last `keepTail` messages (the question, or a cut answer and what continues it). With a
 * known share that fits, pairs are dropped until the rest is at most 90 % of it (sizes by serialized length, which
 * follows tokens closely enough to choose how many turns to drop); otherwise half the droppable pairs go. Undefined
 * when nothing can be dropped.
 */
export function leaveOutOldest<M extends RoleMessage>(
  messages: readonly M[],
  keepTail: number,
  share?: number,
): { messages: M[]; dropped: number } | undefined {
  const droppablePairs = Math.floor(Math.max(0, messages.length - keepTail) / 2);
  if (droppablePairs === 0) return undefined;
  const sizes = messages.map((m) => JSON.stringify(m).length);
  const total = sizes.reduce((a, b) => a + b, 0);
  let pairs: number;
  if (share === undefined) {
    pairs = Math.max(1, Math.ceil(droppablePairs / 2));
  } else {
    const target = total * share * 0.9;
    let rest = total;
    pairs = 0;
    while (pairs < droppablePairs && rest > target) {
      rest -= sizes[2 * pairs] + sizes[2 * pairs + 1];
      pairs++;
    }
    pairs = Math.max(1, pairs);
  }
  const kept = messages.slice(2 * pairs);
  if (kept[0]?.role !== 'user') return undefined;
  return { messages: kept, dropped: 2 * pairs };
}

/**
 * The events of `open(messages)`; when the model refuses the input as too long before its first event, the same
 * request again without the oldest turns (`onLeftOut` learns how many messages in all), at most `MAX_TRIM_ATTEMPTS`
 * times. An error after the first event, or one that is not about length, is thrown as it came.
 */
export async function* fittingStream<M extends RoleMessage, E>(
  open: (messages: M[]) => AsyncIterable<E>,
  messages: M[],
  keepTail: number,
  onLeftOut: (dropped: number) => void,
): AsyncGenerator<E> {
  let current = messages;
  let leftOut = 0;
  for (let attempt = 0; ; attempt++) {
    let started = false;
    try {
      for await (const event of open(current)) {
        started = true;
        yield event;
      }
      return;
    } catch (err) {
      if (started || attempt >= MAX_TRIM_ATTEMPTS || !isContextOverflow(err)) throw err;
      const shorter = leaveOutOldest(current, keepTail, fittingShare(err));
      if (!shorter) throw err;
      current = shorter.messages;
      leftOut += shorter.dropped;
      onLeftOut(leftOut);
    }
  }
}
