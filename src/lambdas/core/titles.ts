import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { Message } from './conversations';
import { ChatError, unprocessable } from './errors';
import { modelError } from './model';
import { textOf as blocksText } from './protocol';
import type { Usage } from './protocol';

/** Longest title proposed (a rename accepts up to 200 characters). */
export const MAX_PROPOSED_TITLE = 80;
/** Characters of the question and of the answer sent to the title model. */
const EXCERPT_CHARS = 2000;

const SYSTEM = 'You name chat conversations. Reply with a short title for the conversation you are given: at most eight '
  + 'words, in the language of the conversation, without quotes, without a final period, and nothing else.';

/**
 * Asks the title model (Bedrock Converse, not streaming) for a title from the first question of a conversation and its
 * answer. Nothing is stored: the caller decides whether to rename.
 */
export async function proposeTitle(
  client: BedrockRuntimeClient, modelId: string, messages: readonly Message[], onUsage?: (usage: Usage) => void,
): Promise<string> {
  const question = messages.find((m) => m.role === 'user' && m.parentId === null) ?? messages.find((m) => m.role === 'user');
  if (!question) throw unprocessable('This conversation has no question to make a title from.');
  const answer = messages.find((m) => m.role === 'assistant' && m.parentId === question.id && textOf(m));
  const prompt = [
    '<conversation>',
    `User: ${excerpt(textOf(question))}`,
    ...(answer ? [`Assistant: ${excerpt(textOf(answer))}`] : []),
    '</conversation>',
    'Title:',
  ].join('\n');
  let res;
  try {
    res = await client.send(new ConverseCommand({
      modelId,
      system: [{ text: SYSTEM }],
      messages: [{ role: 'user', content: [{ text: prompt }] }],
      inferenceConfig: { maxTokens: 40 },
    }));
  } catch (err) {
    throw modelError(err);
  }
  // What the call used (Converse's `usage`), so a usage budget is settled with it.
  // https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
  onUsage?.({
    inputTokens: res.usage?.inputTokens ?? 0,
    outputTokens: res.usage?.outputTokens ?? 0,
    cacheReadTokens: res.usage?.cacheReadInputTokens ?? 0,
    cacheWriteTokens: res.usage?.cacheWriteInputTokens ?? 0,
  });
  const title = cleanTitle((res.output?.message?.content ?? []).map((b) => b.text ?? '').join(''));
  if (!title) throw new ChatError('MODEL_ERROR', 'The model did not propose a title.');
  return title;
}

/** The first line of a model's reply, without a "Title:" label, quotes, markdown emphasis or a final period. */
export function cleanTitle(raw: string): string {
  const line = raw.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
  const unquote = (t: string) => t.replace(/^[\s"'“”‘’*_`]+|[\s"'“”‘’*_`]+$/g, '');
  const title = unquote(unquote(line).replace(/^(#+\s*)?title\s*:\s*/i, ''))
    .replace(/\.$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (title.length <= MAX_PROPOSED_TITLE) return title;
  const cut = title.slice(0, MAX_PROPOSED_TITLE - 1);
  return (cut.includes(' ') ? cut.slice(0, cut.lastIndexOf(' ')) : cut).trimEnd() + '…';
}

function textOf(m: Message): string {
  return blocksText(m.content).trim();
}

function excerpt(text: string): string {
  return text.length <= EXCERPT_CHARS ? text : text.slice(0, EXCERPT_CHARS) + '…';
}
