import { App, Aws, Stack } from 'aws-cdk-lib';
import { ChatModel, InferenceProfileMode } from '../../src';
import { priceOf } from '../../src/models/pricing';
import { geographiesForRegion, modelArns } from '../../src/models/profiles';

const G = InferenceProfileMode.GLOBAL_THEN_GEOGRAPHIC;
const GEO = InferenceProfileMode.GEOGRAPHIC;
const NONE = InferenceProfileMode.NONE;

describe('catalog', () => {
  const all = ChatModel.values();

  test('covers every family of the seed and its successors', () => {
    const keys = all.map(m => m.key);
    for (const k of [
      'claude-v4.5-opus', 'claude-v4.5-sonnet', 'claude-v4.5-haiku', 'claude-v4-opus', 'claude-v4-sonnet', 'claude-v4.1-opus',
      'claude-v3.7-sonnet', 'claude-v3.5-sonnet-v2', 'claude-v3.5-haiku', 'claude-v4.6-opus', 'claude-v4.6-sonnet', 'claude-v4.7-opus',
      'amazon-nova-pro', 'amazon-nova-lite', 'amazon-nova-micro', 'amazon-nova-premier', 'amazon-nova-2-lite',
      'llama3-3-70b-instruct', 'llama3-2-90b-instruct', 'llama3-2-11b-instruct', 'mistral-large-2', 'mixtral-8x7b-instruct',
      'deepseek-r1', 'gpt-oss-20b', 'gpt-oss-120b',
    ]) expect(keys).toContain(k);
  });

  test('keys and model ids are unique', () => {
    expect(new Set(all.map(m => m.key)).size).toBe(all.length);
    expect(new Set(all.map(m => m.modelId)).size).toBe(all.length);
  });

  test.each(ChatModel.values().map(m => [m.key, m] as const))('%s is well formed', (_key, m) => {
    // <provider>.<name>[-version][:n], no profile prefix
    expect(m.modelId).toMatch(/^[a-z0-9]+\.[a-z0-9][a-z0-9.-]*(:\d+)?$/);
    expect(m.modelId.startsWith(`${m.provider}.`)).toBe(true);
    expect(m.key).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
    expect(m.displayName.length).toBeGreaterThan(0);
    expect(m.capabilities.streaming).toBe(true);
    for (const p of m.inferenceProfiles) expect(['global', 'us', 'us-gov', 'eu', 'apac', 'jp', 'au']).toContain(p);
    if (m.pricesKnown) {
      expect(m.prices.inputPer1kTokens).toBeGreaterThan(0);
      expect(m.prices.outputPer1kTokens).toBeGreaterThan(0);
      expect(m.prices.outputPer1kTokens).toBeGreaterThanOrEqual(m.prices.inputPer1kTokens);
      if (m.capabilities.promptCaching) {
        expect(m.prices.cacheReadPer1kTokens).toBeGreaterThan(0);
        expect(m.prices.cacheReadPer1kTokens!).toBeLessThan(m.prices.inputPer1kTokens);
        expect(m.prices.cacheWritePer1kTokens).toBeGreaterThanOrEqual(m.prices.inputPer1kTokens);
      }
    } else {
      expect(m.prices.inputPer1kTokens).toBe(0);
      expect(m.prices.outputPer1kTokens).toBe(0);
    }
  });

  test('list prices of a few models (USD per 1K tokens)', () => {
    expect(ChatModel.CLAUDE_SONNET_4_5.prices).toEqual({
      inputPer1kTokens: 0.003, outputPer1kTokens: 0.015, cacheWritePer1kTokens: 0.00375, cacheReadPer1kTokens: 0.0003,
    });
    expect(ChatModel.CLAUDE_OPUS_4_1.prices.outputPer1kTokens).toBe(0.075);
    expect(ChatModel.NOVA_MICRO.prices.inputPer1kTokens).toBe(0.000035);
    expect(ChatModel.MISTRAL_LARGE_2.prices).toEqual({ inputPer1kTokens: 0.002, outputPer1kTokens: 0.006 });
  });

  test('capability facts the worker depends on', () => {
    expect(ChatModel.DEEPSEEK_R1.capabilities.tools).toBe(false);
    expect(ChatModel.MIXTRAL_8X7B.capabilities.systemPrompt).toBe(false);
    expect(ChatModel.CLAUDE_3_5_HAIKU.capabilities.images).toBe(false);
    expect(ChatModel.CLAUDE_OPUS_4_7.capabilities.adaptiveReasoningOnly).toBe(true);
    expect(ChatModel.CLAUDE_SONNET_4_5.capabilities.adaptiveReasoningOnly).toBeUndefined();
  });

  test('constants are immutable', () => {
    expect(() => (ChatModel.CLAUDE_SONNET_4_5.inferenceProfiles as string[]).push('eu')).toThrow();
    expect(Object.isFrozen(ChatModel.CLAUDE_SONNET_4_5.prices)).toBe(true);
  });
});

describe('region to geography', () => {
  test.each([
    ['us-east-1', ['us']], ['us-west-2', ['us']], ['ca-central-1', ['us']], ['us-gov-west-1', ['us-gov']],
    ['eu-west-1', ['eu']], ['eu-central-2', ['eu']], ['ap-northeast-1', ['jp', 'apac']], ['ap-northeast-3', ['jp', 'apac']],
    ['ap-southeast-2', ['au', 'apac']], ['ap-south-1', ['apac']], ['ap-northeast-2', ['apac']],
    ['sa-east-1', []], ['me-central-1', []], ['cn-north-1', []], ['us-iso-east-1', []],
  ])('%s -> %j', (region, expected) => {
    expect(geographiesForRegion(region)).toEqual(expected);
  });
});

describe('resolveModelId matrix', () => {
  const S45 = ChatModel.CLAUDE_SONNET_4_5; // global, us, eu, jp, au
  const OPUS45 = ChatModel.CLAUDE_OPUS_4_5; // global, us, eu
  const S4 = ChatModel.CLAUDE_SONNET_4; // global, us, eu, apac
  const NOVA = ChatModel.NOVA_PRO; // us, eu, apac
  const LLAMA = ChatModel.LLAMA_3_3_70B; // us
  const MISTRAL = ChatModel.MISTRAL_LARGE_2; // none
  const cases: Array<[ChatModel, string, InferenceProfileMode, string]> = [
    [S45, 'us-east-1', G, 'global.'], [S45, 'us-east-1', GEO, 'us.'], [S45, 'us-east-1', NONE, ''],
    [S45, 'eu-west-3', GEO, 'eu.'], [S45, 'ap-northeast-1', GEO, 'jp.'], [S45, 'ap-southeast-2', GEO, 'au.'],
    [S45, 'ap-south-1', G, 'global.'], [S45, 'ap-south-1', GEO, ''], [S45, 'sa-east-1', G, 'global.'], [S45, 'sa-east-1', GEO, ''],
    [S45, 'us-gov-west-1', G, ''], [S45, 'cn-north-1', G, ''],
    [OPUS45, 'ap-northeast-1', GEO, ''], [OPUS45, 'ap-northeast-1', G, 'global.'],
    [S4, 'ap-northeast-1', GEO, 'apac.'], [S4, 'ap-southeast-2', GEO, 'apac.'], [S4, 'ca-central-1', GEO, 'us.'],
    [NOVA, 'us-west-2', G, 'us.'], [NOVA, 'eu-north-1', G, 'eu.'], [NOVA, 'ap-northeast-1', G, 'apac.'], [NOVA, 'sa-east-1', G, ''],
    [LLAMA, 'us-east-2', G, 'us.'], [LLAMA, 'eu-west-1', G, ''], [LLAMA, 'us-east-2', NONE, ''],
    [MISTRAL, 'us-west-2', G, ''], [MISTRAL, 'us-west-2', GEO, ''],
  ];
  test.each(cases.map(([m, r, mode, p]) => [m.key, r, mode.name, p, m] as const))('%s in %s with %s -> "%s"', (_k, region, modeName, prefix, m) => {
    expect(m.resolveModelId(region, InferenceProfileMode.of(modeName))).toBe(`${prefix}${m.modelId}`);
  });

  test('the default mode is GLOBAL_THEN_GEOGRAPHIC', () => {
    expect(S45.resolveModelId('eu-west-1')).toBe('global.anthropic.claude-sonnet-4-5-20250929-v1:0');
  });

  test('an unresolved Region is refused when a profile would be chosen, with advice', () => {
    const stack = new Stack(new App(), 'Agnostic');
    expect(() => S45.resolveModelId(stack.region)).toThrow(/explicit Region.*InferenceProfileMode\.NONE/s);
    expect(() => NOVA.resolveModelId(Aws.REGION, GEO)).toThrow(/unresolved token/);
    // nothing depends on the Region: fine
    expect(S45.resolveModelId(stack.region, NONE)).toBe(S45.modelId);
    expect(MISTRAL.resolveModelId(stack.region)).toBe(MISTRAL.modelId);
  });

  test('mode names parse case-insensitively and unknown ones are refused', () => {
    expect(InferenceProfileMode.of('geographic')).toBe(GEO);
    expect(() => InferenceProfileMode.of('REGIONAL')).toThrow(/GLOBAL_THEN_GEOGRAPHIC, GEOGRAPHIC or NONE/);
  });
});

describe('ChatModel.of', () => {
  test('a catalog id returns the catalog model', () => {
    expect(ChatModel.of('anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe(ChatModel.CLAUDE_SONNET_4_5);
  });

  test('an unknown id gets conservative defaults and unknown prices', () => {
    const m = ChatModel.of('cohere.command-r-plus-v1:0');
    expect(m.key).toBe('cohere.command-r-plus-v1:0');
    expect(m.provider).toBe('cohere');
    expect(m.pricesKnown).toBe(false);
    expect(m.priceOf({ inputTokens: 1000, outputTokens: 1000 })).toBe(0);
    expect(m.capabilities).toMatchObject({ tools: false, images: false, documents: false, streaming: true });
    expect(m.inferenceProfiles).toEqual([]);
    expect(m.resolveModelId('us-east-1')).toBe('cohere.command-r-plus-v1:0');
    expect(ChatModel.values()).not.toContain(m);
  });

  test('options refine an unknown model; prices given means prices known', () => {
    const m = ChatModel.of('qwen.qwen3-32b-v1:0', {
      key: 'qwen3-32b',
      displayName: 'Qwen3 32B',
      inferenceProfiles: ['us'],
      prices: { inputPer1kTokens: 0.00015, outputPer1kTokens: 0.0006 },
    });
    expect(m.key).toBe('qwen3-32b');
    expect(m.pricesKnown).toBe(true);
    expect(m.resolveModelId('us-west-2')).toBe('us.qwen.qwen3-32b-v1:0');
  });

  test('a profile id is split into the base id and that profile', () => {
    const m = ChatModel.of('eu.example.model-v1:0');
    expect(m.modelId).toBe('example.model-v1:0');
    expect(m.resolveModelId('eu-west-1')).toBe('eu.example.model-v1:0');
    expect(ChatModel.of('us.anthropic.claude-3-5-haiku-20241022-v1:0').key).toBe('claude-v3.5-haiku');
  });

  test('overriding prices of a catalog model leaves the constant untouched', () => {
    const cheap = ChatModel.CLAUDE_HAIKU_4_5.withOverrides({ prices: { inputPer1kTokens: 0.0011, outputPer1kTokens: 0.0055 } });
    expect(cheap.prices.inputPer1kTokens).toBe(0.0011);
    expect(cheap.key).toBe('claude-v4.5-haiku');
    expect(ChatModel.CLAUDE_HAIKU_4_5.prices.inputPer1kTokens).toBe(0.001);
  });

  test.each([
    ['', /not a model id/], ['anthropic claude', /not a model id/], ['arn:aws:bedrock:us-east-1::foundation-model/x.y', /is an ARN/],
  ])('refuses %j', (id, message) => {
    expect(() => ChatModel.of(id)).toThrow(message);
  });

  test('refuses a token id, bad keys, negative prices and unknown profile prefixes', () => {
    expect(() => ChatModel.of(Aws.REGION)).toThrow(/literal string/);
    expect(() => ChatModel.of('x.y', { key: 'has space' })).toThrow(/key "has space"/);
    expect(() => ChatModel.of('x.y', { prices: { inputPer1kTokens: -1, outputPer1kTokens: 0 } })).toThrow(/inputPer1kTokens must be a number >= 0/);
    expect(() => ChatModel.of('x.y', { inferenceProfiles: ['mars'] })).toThrow(/unknown inference profile prefix "mars"/);
  });
});

describe('IAM resources', () => {
  test('in-Region: the foundation model in the source Region, with the given partition', () => {
    expect(ChatModel.MISTRAL_LARGE_2.iamResources('us-west-2', '111122223333', 'aws')).toEqual({
      modelId: 'mistral.mistral-large-2407-v1:0',
      inferenceProfileArns: [],
      foundationModelArns: ['arn:aws:bedrock:us-west-2::foundation-model/mistral.mistral-large-2407-v1:0'],
    });
  });

  test('global: the profile in the source Region and the foundation model in any Region', () => {
    const r = ChatModel.CLAUDE_SONNET_4_5.iamResources('eu-west-1', '111122223333', 'aws');
    expect(r.inferenceProfileArns).toEqual(['arn:aws:bedrock:eu-west-1:111122223333:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0']);
    expect(r.foundationModelArns).toEqual(['arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0']);
  });

  test('geographic: the foundation model in the source Region and every destination of the geography', () => {
    const r = ChatModel.CLAUDE_SONNET_4_5.iamResources('ap-northeast-3', '111122223333', 'aws', GEO);
    expect(r.modelId).toBe('jp.anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(r.foundationModelArns).toEqual([
      'arn:aws:bedrock:ap-northeast-3::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
      'arn:aws:bedrock:ap-northeast-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
    ]);
    const eu = ChatModel.NOVA_LITE.iamResources('eu-west-1', '1', 'aws', GEO);
    expect(eu.foundationModelArns[0]).toContain(':eu-west-1::');
    expect(eu.foundationModelArns).toHaveLength(8);
  });

  test('the partition parameter is used everywhere (GovCloud, China), never a literal aws', () => {
    const gov = ChatModel.CLAUDE_SONNET_4_5.withOverrides({ inferenceProfiles: ['us-gov'] })
      .iamResources('us-gov-west-1', '111122223333', 'aws-us-gov');
    expect(gov.modelId).toBe('us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0');
    for (const arn of [...gov.inferenceProfileArns, ...gov.foundationModelArns]) expect(arn.startsWith('arn:aws-us-gov:bedrock:us-gov-')).toBe(true);
    const cn = ChatModel.NOVA_PRO.iamResources('cn-north-1', '1', 'aws-cn');
    expect(cn.foundationModelArns).toEqual(['arn:aws-cn:bedrock:cn-north-1::foundation-model/amazon.nova-pro-v1:0']);
  });

  test('from a stack: tokens for account and partition; a token Region works in NONE mode', () => {
    const stack = new Stack(new App(), 'S', { env: { region: 'us-east-1' } });
    const r = ChatModel.NOVA_PRO.iamResourcesForStack(stack);
    expect(r.modelId).toBe('us.amazon.nova-pro-v1:0');
    expect(stack.resolve(r.inferenceProfileArns[0])).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-east-1:', { Ref: 'AWS::AccountId' }, ':inference-profile/us.amazon.nova-pro-v1:0']],
    });
    const agnostic = new Stack(new App(), 'A');
    const none = ChatModel.NOVA_PRO.iamResourcesForStack(agnostic, NONE);
    expect(agnostic.resolve(none.foundationModelArns[0])).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, '::foundation-model/amazon.nova-pro-v1:0']],
    });
    expect(() => ChatModel.NOVA_PRO.iamResourcesForStack(agnostic)).toThrow(/explicit Region/);
  });

  test('modelArns on a profile-less id does not mistake the provider for a profile', () => {
    expect(modelArns('us-east-1', '1', 'aws', 'us.meta.llama3-3-70b-instruct-v1:0').inferenceProfileArns).toHaveLength(1);
    expect(modelArns('us-east-1', '1', 'aws', 'meta.llama3-3-70b-instruct-v1:0').inferenceProfileArns).toHaveLength(0);
  });
});

describe('assistant prefill', () => {
  test('Claude Opus 4.6 / 4.7 and Sonnet 4.6 reject prefill; earlier Claude models and Nova 1 accept it; unverified models keep the default (false)', () => {
    const without = [ChatModel.CLAUDE_OPUS_4_7, ChatModel.CLAUDE_OPUS_4_6, ChatModel.CLAUDE_SONNET_4_6];
    for (const m of without) expect(m.capabilities.assistantPrefill).toBe(false);
    const accept = [
      ChatModel.CLAUDE_OPUS_4_5, ChatModel.CLAUDE_SONNET_4_5, ChatModel.CLAUDE_HAIKU_4_5, ChatModel.CLAUDE_OPUS_4_1, ChatModel.CLAUDE_OPUS_4,
      ChatModel.CLAUDE_SONNET_4, ChatModel.CLAUDE_3_7_SONNET, ChatModel.CLAUDE_3_5_SONNET_V2, ChatModel.CLAUDE_3_5_HAIKU,
      ChatModel.NOVA_PREMIER, ChatModel.NOVA_PRO, ChatModel.NOVA_LITE, ChatModel.NOVA_MICRO,
    ];
    for (const m of accept) expect([m.key, m.capabilities.assistantPrefill]).toEqual([m.key, true]);
    for (const m of ChatModel.values().filter((v) => !without.includes(v) && !accept.includes(v))) {
      expect([m.key, m.capabilities.assistantPrefill ?? false]).toEqual([m.key, false]);
    }
  });

  test('ChatModel.of sets it (an unknown model has none), and it reaches the functions\' entry', () => {
    expect(ChatModel.of('acme.model-v1').capabilities.assistantPrefill).toBeUndefined();
    const own = ChatModel.of('acme.model-v1', { assistantPrefill: true });
    expect(own.capabilities).toMatchObject({ assistantPrefill: true, streaming: true, tools: false });
    expect(own.toRuntimeConfig('us-east-1').capabilities.assistantPrefill).toBe(true);
    expect(ChatModel.of('anthropic.claude-sonnet-4-5-20250929-v1:0', { assistantPrefill: false }).capabilities).toMatchObject({ assistantPrefill: false, tools: true });
    expect(ChatModel.CLAUDE_SONNET_4_6.withOverrides({ capabilities: { ...ChatModel.CLAUDE_SONNET_4_6.capabilities, assistantPrefill: true } })
      .capabilities.assistantPrefill).toBe(true);
  });
});

describe('runtime config', () => {
  test('toRuntimeConfig carries the resolved id and is plain JSON', () => {
    const entry = ChatModel.CLAUDE_HAIKU_4_5.toRuntimeConfig('eu-central-1', GEO);
    expect(JSON.parse(JSON.stringify(entry))).toEqual({
      key: 'claude-v4.5-haiku',
      modelId: 'eu.anthropic.claude-haiku-4-5-20251001-v1:0',
      baseModelId: 'anthropic.claude-haiku-4-5-20251001-v1:0',
      displayName: 'Claude Haiku 4.5',
      provider: 'anthropic',
      capabilities: {
        tools: true, images: true, documents: true, reasoning: true, promptCaching: true, systemPrompt: true, streaming: true, assistantPrefill: true,
      },
      prices: { inputPer1kTokens: 0.001, outputPer1kTokens: 0.005, cacheWritePer1kTokens: 0.00125, cacheReadPer1kTokens: 0.0001 },
      pricesKnown: true,
    });
  });
});

describe('priceOf', () => {
  const prices = { inputPer1kTokens: 0.003, outputPer1kTokens: 0.015, cacheReadPer1kTokens: 0.0003, cacheWritePer1kTokens: 0.00375 };

  test('input and output', () => {
    expect(priceOf(prices, { inputTokens: 1000, outputTokens: 500 })).toBe(0.0105);
  });

  test('cache reads and writes at their own prices', () => {
    // 2000*0.003 + 100*0.015 + 10000*0.0003 + 4000*0.00375 = 6 + 1.5 + 3 + 15 = 25.5 (per 1K) -> 0.0255
    expect(priceOf(prices, { inputTokens: 2000, outputTokens: 100, cacheReadTokens: 10000, cacheWriteTokens: 4000 })).toBe(0.0255);
  });

  test('missing cache prices fall back to the input price', () => {
    const flat = { inputPer1kTokens: 0.001, outputPer1kTokens: 0.002 };
    expect(priceOf(flat, { inputTokens: 0, outputTokens: 0, cacheReadTokens: 1000, cacheWriteTokens: 1000 })).toBe(0.002);
  });

  test('rounds to 6 decimals', () => {
    expect(priceOf(ChatModel.NOVA_MICRO.prices, { inputTokens: 7, outputTokens: 3 })).toBe(0.000001); // 0.000000665
    expect(priceOf(ChatModel.NOVA_MICRO.prices, { inputTokens: 1, outputTokens: 0 })).toBe(0);
    expect(priceOf({ inputPer1kTokens: 0.0015, outputPer1kTokens: 0 }, { inputTokens: 1, outputTokens: 0 })).toBe(0.000002);
  });

  test('negative or non-finite counts count as 0', () => {
    expect(priceOf(prices, { inputTokens: -5, outputTokens: Number.NaN, cacheReadTokens: Infinity })).toBe(0);
  });

  test('ChatModel.priceOf uses the model prices', () => {
    expect(ChatModel.CLAUDE_OPUS_4_1.priceOf({ inputTokens: 1000, outputTokens: 1000 })).toBe(0.09);
  });
});
