import { msg, str } from '@lit/localize';
import { CONTENT_FILTERS, LIMITS } from '../shared/bots.js';
import type { BotInput, FieldError, FilterStrength, GenerationParams, GuardrailRef, ModelInfo, QuickStarter } from '../shared/bots.js';

/** The editor's form state: numbers as typed (strings), so that a wrong entry can be shown and explained. */
export interface Draft {
  title: string;
  description: string;
  instructions: string;
  maxTokens: string;
  temperature: string;
  topP: string;
  topK: string;
  reasoningBudget: string;
  /** One stop sequence a line. */
  stopSequences: string;
  quickStarters: { title: string; example: string }[];
  models: string[];
  defaultModel: string;
  promptCaching: boolean;
  guardrailKind: 'none' | 'existing' | 'defined';
  guardrailId: string;
  guardrailVersion: string;
  filters: Record<string, FilterStrength>;
  grounding: string;
  relevance: string;
  blockedMessage: string;
  showRetrievedChunks: boolean;
}

export function emptyDraft(): Draft {
  return {
    title: '',
    description: '',
    instructions: '',
    maxTokens: '',
    temperature: '',
    topP: '',
    topK: '',
    reasoningBudget: '',
    stopSequences: '',
    quickStarters: [],
    models: [],
    defaultModel: '',
    promptCaching: false,
    guardrailKind: 'none',
    guardrailId: '',
    guardrailVersion: '',
    filters: Object.fromEntries(CONTENT_FILTERS.map((f) => [f, 'NONE'])) as Record<string, FilterStrength>,
    grounding: '',
    relevance: '',
    blockedMessage: '',
    showRetrievedChunks: false,
  };
}

/** The draft of a stored bot (the owner sees every field). */
export function draftOf(bot: Partial<BotInput> & { guardrail?: GuardrailRef }): Draft {
  const d = emptyDraft();
  const g = bot.generation ?? {};
  const num = (n: number | undefined) => (n === undefined ? '' : String(n));
  Object.assign(d, {
    title: bot.title ?? '',
    description: bot.description ?? '',
    instructions: bot.instructions ?? '',
    maxTokens: num(g.maxTokens),
    temperature: num(g.temperature),
    topP: num(g.topP),
    topK: num(g.topK),
    reasoningBudget: num(g.reasoningBudget),
    stopSequences: (g.stopSequences ?? []).join('\n'),
    quickStarters: (bot.quickStarters ?? []).map((q) => ({ ...q })),
    models: [...(bot.models ?? [])],
    defaultModel: bot.defaultModel ?? '',
    promptCaching: !!bot.promptCaching,
    showRetrievedChunks: !!bot.showRetrievedChunks,
  });
  const guardrail = bot.guardrail;
  if (guardrail && 'definition' in guardrail) {
    d.guardrailKind = 'defined';
    for (const f of CONTENT_FILTERS) d.filters[f] = guardrail.definition.contentFilters?.[f] ?? 'NONE';
    d.grounding = num(guardrail.definition.grounding?.threshold);
    d.relevance = num(guardrail.definition.relevance?.threshold);
    d.blockedMessage = guardrail.definition.blockedMessage ?? '';
  } else if (guardrail) {
    d.guardrailKind = 'existing';
    d.guardrailId = guardrail.id;
    d.guardrailVersion = guardrail.version;
  }
  return d;
}

/**
 * Bedrock's patterns for a guardrail in ConverseStream's `guardrailConfig`: an id `[a-z0-9]+` (or its ARN) and a
 * version `[1-9][0-9]{0,7}` or `DRAFT`, https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_GuardrailConfiguration.html
 */
const GUARDRAIL_ID = /^(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]+))$/;
const GUARDRAIL_VERSION = /^(([1-9][0-9]{0,7})|(DRAFT))$/;

/**
 * Checks a draft as the server does (bots-contract.md; the server's 400 stays the authority, for example for the
 * parameters each model takes) and builds the `BotInput`. `errors` is empty when the input may be sent.
 */
export function validate(d: Draft, models: ModelInfo[]): { input?: BotInput; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const add = (field: string, message: string) => errors.push({ field, message });
  const title = d.title.trim();
  if (!title) add('title', msg('Give the bot a title.'));
  else if (title.length > LIMITS.title) add('title', msg(str`The title can have at most ${LIMITS.title} characters.`));
  if (d.description.length > LIMITS.description) add('description', msg(str`The description can have at most ${LIMITS.description} characters.`));
  if (d.instructions.length > LIMITS.instructions) add('instructions', msg(str`The instructions can have at most ${LIMITS.instructions} characters.`));

  const number = (field: string, text: string, min: number, max: number, integer: boolean): number | undefined => {
    if (!text.trim()) return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
      add(`generation.${field}`, integer ? msg(str`Enter a whole number from ${min} to ${max}.`) : msg(str`Enter a number from ${min} to ${max}.`));
      return undefined;
    }
    return n;
  };
  const allowed = d.models.length ? models.filter((m) => d.models.includes(m.id)) : models;
  const maxOutput = Math.min(...allowed.map((m) => m.maxOutputTokens ?? Infinity));
  const maxTokens = number('maxTokens', d.maxTokens, 1, Number.isFinite(maxOutput) ? maxOutput : 1_000_000, true);
  const temperature = number('temperature', d.temperature, 0, 1, false);
  const topP = number('topP', d.topP, 0, 1, false);
  const topK = number('topK', d.topK, 1, 500, true);
  const reasoningBudget = number('reasoningBudget', d.reasoningBudget, LIMITS.reasoningMin, 1_000_000, true);
  if (reasoningBudget !== undefined && maxTokens !== undefined && reasoningBudget >= maxTokens) {
    add('generation.reasoningBudget', msg('The reasoning budget must be smaller than the maximum tokens.'));
  }
  const stops = d.stopSequences.split('\n').map((s) => s.trim()).filter(Boolean);
  if (stops.length > LIMITS.stopSequences) add('generation.stopSequences', msg(str`At most ${LIMITS.stopSequences} stop sequences.`));
  else if (stops.some((s) => s.length > LIMITS.stopSequence)) add('generation.stopSequences', msg(str`A stop sequence can have at most ${LIMITS.stopSequence} characters.`));

  const starters: QuickStarter[] = [];
  if (d.quickStarters.length > LIMITS.quickStarters) add('quickStarters', msg(str`At most ${LIMITS.quickStarters} quick starters.`));
  d.quickStarters.forEach((q, i) => {
    const t = q.title.trim();
    const e = q.example.trim();
    if (!t || !e) {add(`quickStarters.${i}`, msg('A quick starter needs a title and a message.'));} else if (t.length > LIMITS.starterTitle || e.length > LIMITS.starterExample) {
      add(`quickStarters.${i}`, msg(str`A quick starter's title can have at most ${LIMITS.starterTitle} characters and its message ${LIMITS.starterExample}.`));
    } else {starters.push({ title: t, example: e });}
  });
  if (d.defaultModel && d.models.length && !d.models.includes(d.defaultModel)) add('defaultModel', msg('The default model must be one of the allowed models.'));

  let guardrail: GuardrailRef | undefined;
  if (d.guardrailKind === 'existing') {
    if (!GUARDRAIL_ID.test(d.guardrailId.trim())) add('guardrail.id', msg('Enter the guardrail id (lower-case letters and digits) or its ARN.'));
    if (!GUARDRAIL_VERSION.test(d.guardrailVersion.trim())) add('guardrail.version', msg('Enter a version number (1 or more) or DRAFT.'));
    guardrail = { id: d.guardrailId.trim(), version: d.guardrailVersion.trim() };
  } else if (d.guardrailKind === 'defined') {
    const threshold = (field: string, text: string) => {
      if (!text.trim()) return undefined;
      const n = Number(text);
      if (!Number.isFinite(n) || n < 0 || n > 0.99) {
        add(`guardrail.${field}`, msg('Enter a threshold from 0 to 0.99.'));
        return undefined;
      }
      return { threshold: n };
    };
    const grounding = threshold('grounding', d.grounding);
    const relevance = threshold('relevance', d.relevance);
    if (d.blockedMessage.length > LIMITS.blockedMessage) add('guardrail.blockedMessage', msg(str`The blocked message can have at most ${LIMITS.blockedMessage} characters.`));
    const filters = Object.fromEntries(Object.entries(d.filters).filter(([, v]) => v !== 'NONE'));
    guardrail = {
      definition: {
        ...(Object.keys(filters).length ? { contentFilters: filters } : {}),
        ...(grounding ? { grounding } : {}),
        ...(relevance ? { relevance } : {}),
        ...(d.blockedMessage.trim() ? { blockedMessage: d.blockedMessage.trim() } : {}),
      },
    };
  }
  if (errors.length) return { errors };
  const generation: GenerationParams = {
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(topP !== undefined ? { topP } : {}),
    ...(topK !== undefined ? { topK } : {}),
    ...(reasoningBudget !== undefined ? { reasoningBudget } : {}),
    ...(stops.length ? { stopSequences: stops } : {}),
  };
  return {
    errors,
    input: {
      title,
      description: d.description,
      instructions: d.instructions,
      generation,
      quickStarters: starters,
      models: d.models,
      ...(d.defaultModel ? { defaultModel: d.defaultModel } : {}),
      promptCaching: d.promptCaching,
      ...(guardrail ? { guardrail } : {}),
      showRetrievedChunks: d.showRetrievedChunks,
    },
  };
}
