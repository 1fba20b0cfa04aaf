/**
 * Cross-region inference profile resolution and IAM resource ARNs, as pure functions of strings (no aws-cdk-lib), so
 * the rules can be tested as a matrix and reused by Lambda code if ever needed.
 *
 * Sources: Amazon Bedrock User Guide, "Supported Regions and models for inference profiles", "Geographic cross-Region
 * inference", "Global cross-Region inference" and the per-model cards (docs.aws.amazon.com/bedrock/latest/userguide/
 * model-card-*.html). The source-region lists there are per model and change often; the mapping below is by region
 * name and is deliberately simple. A region whose geography a model lacks falls back to the next candidate, then to
 * the base model id.
 */

/** Geographic prefixes of system-defined inference profiles, plus `global`. */
export const PROFILE_PREFIXES = ['global', 'us', 'us-gov', 'eu', 'apac', 'jp', 'au'] as const;

export type ResolutionMode = 'GLOBAL_THEN_GEOGRAPHIC' | 'GEOGRAPHIC' | 'NONE';

/**
 * Destination Regions of each geography, used for the foundation-model ARNs an IAM policy needs when calling a
 * geographic profile (AWS: "the foundation model in the source Region and in all destination Regions listed in the
 * geographic profile"). A superset over models: a Region listed here that a given model's profile does not route to
 * only widens the policy, while a missing one would make calls routed there fail with AccessDenied.
 */
export const GEOGRAPHY_DESTINATIONS: { readonly [geography: string]: readonly string[] } = {
  'us': ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'ca-west-1'],
  'us-gov': ['us-gov-east-1', 'us-gov-west-1'],
  'eu': ['eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3'],
  'apac': [
    'ap-east-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2', 'ap-southeast-1',
    'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-7',
  ],
  'jp': ['ap-northeast-1', 'ap-northeast-3'],
  'au': ['ap-southeast-2', 'ap-southeast-4', 'ap-southeast-6'],
};

/**
 * Candidate geographic prefixes for a source Region, most specific first. The first one the model has is used.
 *
 * - `us-gov-*` -> us-gov; other `us-*` -> us; `ca-*` -> us (Canadian Regions are source Regions of the `us.` profiles
 *   of recent Claude models per their model cards);
 * - `eu-*` -> eu;
 * - ap-northeast-1 / ap-northeast-3 -> jp, then apac; ap-southeast-2 / -4 / -6 -> au, then apac; other `ap-*` -> apac;
 * - anything else (sa-, me-, af-, il-, mx-, cn-, isolated partitions) -> none.
 */
export function geographiesForRegion(region: string): string[] {
  if (region.startsWith('us-gov-')) return ['us-gov'];
  if (region.startsWith('us-iso')) return [];
  if (region.startsWith('us-')) return ['us'];
  if (region.startsWith('ca-')) return ['us'];
  if (region.startsWith('eu-') && !region.startsWith('eu-iso')) return ['eu'];
  if (region === 'ap-northeast-1' || region === 'ap-northeast-3') return ['jp', 'apac'];
  if (region === 'ap-southeast-2' || region === 'ap-southeast-4' || region === 'ap-southeast-6') return ['au', 'apac'];
  if (region.startsWith('ap-')) return ['apac'];
  return [];
}

/** Global profiles route to commercial Regions only: not from GovCloud, China, isolated or sovereign partitions. */
export function isCommercialRegion(region: string): boolean {
  return !/^(us-gov-|us-iso|cn-|eu-iso|eusc-)/.test(region);
}

/**
 * The inference profile prefix to use, or undefined for the base model id (in-Region invocation).
 * `profiles` are the prefixes the model has (`global`, `us`, `eu`, ...).
 */
export function profilePrefixFor(profiles: readonly string[], region: string, mode: ResolutionMode): string | undefined {
  if (mode === 'NONE' || profiles.length === 0) return undefined;
  if (mode === 'GLOBAL_THEN_GEOGRAPHIC' && profiles.includes('global') && isCommercialRegion(region)) return 'global';
  return geographiesForRegion(region).find(g => profiles.includes(g));
}

/** The model id to send to Bedrock: `<prefix>.<baseModelId>` or the base id. */
export function resolveModelId(baseModelId: string, profiles: readonly string[], region: string, mode: ResolutionMode): string {
  const prefix = profilePrefixFor(profiles, region, mode);
  return prefix ? `${prefix}.${baseModelId}` : baseModelId;
}

/** ARNs an IAM policy must allow (`bedrock:InvokeModel*`, `bedrock:Converse*`) to call a model. */
export interface ModelArnSet {
  /** The system-defined inference profile in the source Region; empty for in-Region calls. */
  readonly inferenceProfileArns: string[];
  /** Foundation-model ARNs: the source Region only, every destination of the geography, or any Region (global). */
  readonly foundationModelArns: string[];
}

/**
 * ARNs for a resolved model id (`global.x`, `us.x` or `x`), built from the given partition and account, never a
 * literal `arn:aws`. `region`, `account` and `partition` may be CDK tokens: they are only concatenated.
 * For a geographic profile `region` must be a literal (the destination list depends on it); callers check that.
 */
export function modelArns(region: string, account: string, partition: string, resolvedModelId: string): ModelArnSet {
  const { prefix, baseModelId } = splitProfileId(resolvedModelId);
  const fm = (r: string) => `arn:${partition}:bedrock:${r}::foundation-model/${baseModelId}`;
  if (!prefix) return { inferenceProfileArns: [], foundationModelArns: [fm(region)] };
  const profileArn = `arn:${partition}:bedrock:${region}:${account}:inference-profile/${resolvedModelId}`;
  if (prefix === 'global') {
    // The documented global form has an empty Region (arn:...:bedrock:::foundation-model/x); `*` matches it and any Region.
    return { inferenceProfileArns: [profileArn], foundationModelArns: [fm('*')] };
  }
  const destinations = GEOGRAPHY_DESTINATIONS[prefix] ?? [];
  const regions = [region, ...destinations.filter(r => r !== region)];
  return { inferenceProfileArns: [profileArn], foundationModelArns: regions.map(fm) };
}

/** Splits `us.anthropic.claude-x` into `us` and `anthropic.claude-x`; a base id has no prefix. */
export function splitProfileId(modelId: string): { prefix?: string; baseModelId: string } {
  const dot = modelId.indexOf('.');
  if (dot > 0) {
    const head = modelId.slice(0, dot);
    const rest = modelId.slice(dot + 1);
    if ((PROFILE_PREFIXES as readonly string[]).includes(head) && rest.includes('.')) return { prefix: head, baseModelId: rest };
  }
  return { baseModelId: modelId };
}
