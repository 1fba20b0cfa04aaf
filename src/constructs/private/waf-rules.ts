import { Names, Token } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** What both web ACLs (the backend's regional one, the frontend's CloudFront one) take. */
export interface WafRuleOptions {
  readonly allowedIpv4Ranges?: string[];
  readonly allowedIpv6Ranges?: string[];
  readonly blockedIpv4Ranges?: string[];
  readonly blockedIpv6Ranges?: string[];
  readonly rateLimitPer5Minutes?: number;
  readonly managedRuleGroups?: string[];
}

export const DEFAULT_RATE_LIMIT_PER_5_MINUTES = 2000;
export const DEFAULT_MANAGED_RULE_GROUPS = [
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesAmazonIpReputationList',
];

/** The smallest and largest rate-based rule limits WAF accepts. */
const RATE_LIMIT_MIN = 10;
const RATE_LIMIT_MAX = 2_000_000_000;
const IPV4_CIDR = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/([1-9]|[12]\d|3[0-2])$/;
const IPV6_CIDR = /^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*\/([1-9]|[1-9]\d|1[01]\d|12[0-8])$/;

/**
 * The pattern CloudFormation (and the WAFv2 API) enforce on the description of a web ACL and an IP set:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-wafv2-webacl.html (Description).
 * No parentheses, quotes, semicolons or other punctuation beyond `+=:#@/-,.`; synth accepts any string, CreateWebACL
 * does not.
 */
const WAF_DESCRIPTION = /^[a-zA-Z0-9=:#@/\-,.][a-zA-Z0-9+=:#@/\-,.\s]+[a-zA-Z0-9+=:#@/\-,.]{1,256}$/;

/** `text`, checked against the WAFv2 description pattern (an error here is ours, not the user's). */
export function wafDescription(text: string): string {
  if (!WAF_DESCRIPTION.test(text)) throw new Error(`internal: '${text}' is not a valid WAFv2 description (${WAF_DESCRIPTION})`);
  return text;
}

export interface WafRuleSettings {
  readonly scope: 'REGIONAL' | 'CLOUDFRONT';
  /** Starts every validation message, e.g. `ChatBackend: waf.` or `FrontendWebAcl: `. */
  readonly errorPrefix: string;
  /** Starts the IP sets' descriptions, e.g. `bedrock-chat site`. */
  readonly describe: string;
  /** What the allow lists allow, for the IP sets' descriptions (e.g. `to sign in`). */
  readonly allowedFor?: string;
}

export interface WafRules {
  readonly rules: wafv2.CfnWebACL.RuleProperty[];
  readonly ipSets: wafv2.CfnIPSet[];
  /** Visibility (metrics, sampled requests) for a metric named after the scope's path. */
  visibility(name: string): wafv2.CfnWebACL.VisibilityConfigProperty;
}

/**
 * Validates the options (messages say what to change) and builds the rules in evaluation order: blocked IPv4/IPv6
 * ranges, then (when allow lists are given) block every address outside them, then the rate limit per client IP,
 * then the AWS managed rule groups. The IP sets are created in `scope`.
 */
export function wafRules(scope: Construct, options: WafRuleOptions, settings: WafRuleSettings): WafRules {
  const check = (prop: string, ranges: string[] | undefined, pattern: RegExp, example: string): string[] | undefined => {
    if (!ranges || ranges.length === 0) return undefined;
    const bad = ranges.filter((r) => !Token.isUnresolved(r) && !pattern.test(r));
    if (bad.length > 0) {
      throw new Error(`${settings.errorPrefix}${prop} holds entries that are not CIDR ranges of that IP version (e.g. '${example}'): ${bad.join(', ')}`);
    }
    return ranges;
  };
  const blocked4 = check('blockedIpv4Ranges', options.blockedIpv4Ranges, IPV4_CIDR, '203.0.113.0/24');
  const blocked6 = check('blockedIpv6Ranges', options.blockedIpv6Ranges, IPV6_CIDR, '2001:db8::/32');
  const allowed4 = check('allowedIpv4Ranges', options.allowedIpv4Ranges, IPV4_CIDR, '203.0.113.0/24');
  const allowed6 = check('allowedIpv6Ranges', options.allowedIpv6Ranges, IPV6_CIDR, '2001:db8::/32');
  const rateLimit = options.rateLimitPer5Minutes ?? DEFAULT_RATE_LIMIT_PER_5_MINUTES;
  if (!Token.isUnresolved(rateLimit) && (!Number.isInteger(rateLimit) || rateLimit < RATE_LIMIT_MIN || rateLimit > RATE_LIMIT_MAX)) {
    throw new Error(`${settings.errorPrefix}rateLimitPer5Minutes must be a whole number from ${RATE_LIMIT_MIN} to ${RATE_LIMIT_MAX} (WAF's limits); got ${rateLimit}`);
  }
  const managed = options.managedRuleGroups ?? DEFAULT_MANAGED_RULE_GROUPS;
  for (const name of managed) {
    if (!Token.isUnresolved(name) && !/^AWSManagedRules[A-Za-z0-9]+$/.test(name)) {
      throw new Error(`${settings.errorPrefix}managedRuleGroups entry '${name}' is not the name of an AWS managed rule group (e.g. 'AWSManagedRulesCommonRuleSet')`);
    }
  }
  if (new Set(managed).size !== managed.length) throw new Error(`${settings.errorPrefix}managedRuleGroups lists a rule group twice`);

  const prefix = Names.uniqueId(scope).slice(-96);
  const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
    cloudWatchMetricsEnabled: true,
    sampledRequestsEnabled: true,
    metricName: `${prefix}-${name}`,
  });
  const ipSets: wafv2.CfnIPSet[] = [];
  const ipSet = (id: string, version: 'IPV4' | 'IPV6', addresses: string[], description: string) => {
    const set = new wafv2.CfnIPSet(scope, id, {
      scope: settings.scope, ipAddressVersion: version, addresses, description: wafDescription(description),
    });
    ipSets.push(set);
    return set;
  };
  const ref = (set: wafv2.CfnIPSet): wafv2.CfnWebACL.StatementProperty => ({ ipSetReferenceStatement: { arn: set.attrArn } });
  const rules: wafv2.CfnWebACL.RuleProperty[] = [];
  const add = (rule: Omit<wafv2.CfnWebACL.RuleProperty, 'priority' | 'visibilityConfig'>) =>
    rules.push({ ...rule, priority: rules.length, visibilityConfig: visibility(rule.name) });
  const allowedFor = settings.allowedFor ? ` ${settings.allowedFor}` : '';

  if (blocked4) add({ name: 'BlockedIpv4', action: { block: {} }, statement: ref(ipSet('BlockedIpv4Set', 'IPV4', blocked4, `${settings.describe}: IPv4 ranges always blocked`)) });
  if (blocked6) add({ name: 'BlockedIpv6', action: { block: {} }, statement: ref(ipSet('BlockedIpv6Set', 'IPV6', blocked6, `${settings.describe}: IPv6 ranges always blocked`)) });
  if (allowed4 || allowed6) {
    const allowedRefs = [
      ...(allowed4 ? [ref(ipSet('AllowedIpv4Set', 'IPV4', allowed4, `${settings.describe}: IPv4 ranges allowed${allowedFor}`))] : []),
      ...(allowed6 ? [ref(ipSet('AllowedIpv6Set', 'IPV6', allowed6, `${settings.describe}: IPv6 ranges allowed${allowedFor}`))] : []),
    ];
    const inAllowed = allowedRefs.length === 1 ? allowedRefs[0] : { orStatement: { statements: allowedRefs } };
    add({ name: 'NotInAllowedIps', action: { block: {} }, statement: { notStatement: { statement: inAllowed } } });
  }
  add({
    name: 'RateLimitPerIp',
    action: { block: {} },
    statement: { rateBasedStatement: { limit: rateLimit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
  });
  for (const name of managed) {
    add({ name, overrideAction: { none: {} }, statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } } });
  }
  return { rules, ipSets, visibility };
}
