import { Names, Token } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { requireUsEast1 } from '../private/us-east-1';

/**
 * Rules of the CloudFront web ACL in front of the Bedrock Chat site.
 *
 * Rules, in evaluation order: blocked IPv4/IPv6 ranges, then (when allow lists are given) block every address
 * outside them, then the rate limit per client IP, then the AWS managed rule groups. Everything else is allowed.
 */
export interface FrontendWafOptions {
  /**
   * IPv4 ranges (CIDR, e.g. `203.0.113.0/24`) allowed to load the site and the widget. When this or
   * `allowedIpv6Ranges` is given, every other address is blocked (an embedding page outside the lists then
   * cannot load the widget either).
   * @default - every address is allowed
   */
  readonly allowedIpv4Ranges?: string[];
  /**
   * IPv6 ranges (CIDR, e.g. `2001:db8::/32`) allowed to load the site (see `allowedIpv4Ranges`).
   * @default - every address is allowed
   */
  readonly allowedIpv6Ranges?: string[];
  /**
   * IPv4 ranges always blocked (evaluated before the allow lists).
   * @default - none
   */
  readonly blockedIpv4Ranges?: string[];
  /**
   * IPv6 ranges always blocked (evaluated before the allow lists).
   * @default - none
   */
  readonly blockedIpv6Ranges?: string[];
  /**
   * Requests per client IP address in any 5-minute window above which the address is blocked (10 to
   * 2,000,000,000). A page view of the app is about four requests.
   * @default 2000
   */
  readonly rateLimitPer5Minutes?: number;
  /**
   * AWS managed rule groups (vendor `AWS`) evaluated after the IP and rate rules, in this order. An empty list
   * adds none.
   * @default ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList']
   */
  readonly managedRuleGroups?: string[];
}

/** Defaults of `FrontendWafOptions` (documented there). */
const DEFAULT_RATE_LIMIT_PER_5_MINUTES = 2000;
const DEFAULT_MANAGED_RULE_GROUPS = [
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesAmazonIpReputationList',
];
const RATE_LIMIT_MIN = 10;
const RATE_LIMIT_MAX = 2_000_000_000;
const IPV4_CIDR = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/([1-9]|[12]\d|3[0-2])$/;
const IPV6_CIDR = /^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*\/([1-9]|[1-9]\d|1[01]\d|12[0-8])$/;

/**
 * An AWS WAF web ACL for CloudFront (scope `CLOUDFRONT`) protecting a `BedrockChatFrontend`: IPv4/IPv6 allow and
 * deny lists, a rate limit per client IP and AWS managed rule groups (see `FrontendWafOptions`).
 *
 * CloudFront only accepts web ACLs created in us-east-1. `BedrockChatFrontend` creates one itself (its `waf` prop)
 * when its stack is in us-east-1. For a frontend in another region, put this construct in a us-east-1 stack and
 * pass `webAclArn` to the frontend, with `crossRegionReferences: true` on the frontend's stack. A stack in another
 * known region fails validation; an environment-agnostic stack gets a CloudFormation rule that stops a deployment
 * outside us-east-1.
 */
export class FrontendWebAcl extends Construct {
  /** The web ACL. */
  public readonly webAcl: wafv2.CfnWebACL;
  /** Its ARN, for `BedrockChatFrontendProps.webAclArn`. */
  public readonly webAclArn: string;
  /** The IP sets of the allow and deny lists (none without lists). */
  public readonly ipSets: wafv2.CfnIPSet[] = [];

  constructor(scope: Construct, id: string, props: FrontendWafOptions = {}) {
    super(scope, id);
    requireUsEast1(this, 'RegionRule', 'FrontendWebAcl creates a CloudFront web ACL (scope CLOUDFRONT)',
      'Deploy FrontendWebAcl in a us-east-1 stack and pass its webAclArn to BedrockChatFrontend (set crossRegionReferences: true on the frontend stack).');

    const blocked4 = checkRanges('blockedIpv4Ranges', props.blockedIpv4Ranges, IPV4_CIDR, '203.0.113.0/24');
    const blocked6 = checkRanges('blockedIpv6Ranges', props.blockedIpv6Ranges, IPV6_CIDR, '2001:db8::/32');
    const allowed4 = checkRanges('allowedIpv4Ranges', props.allowedIpv4Ranges, IPV4_CIDR, '203.0.113.0/24');
    const allowed6 = checkRanges('allowedIpv6Ranges', props.allowedIpv6Ranges, IPV6_CIDR, '2001:db8::/32');
    const rateLimit = props.rateLimitPer5Minutes ?? DEFAULT_RATE_LIMIT_PER_5_MINUTES;
    if (!Token.isUnresolved(rateLimit) && (!Number.isInteger(rateLimit) || rateLimit < RATE_LIMIT_MIN || rateLimit > RATE_LIMIT_MAX)) {
      throw new Error(`FrontendWebAcl: rateLimitPer5Minutes must be a whole number from ${RATE_LIMIT_MIN} to ${RATE_LIMIT_MAX} (WAF's limits); got ${rateLimit}`);
    }
    const managed = props.managedRuleGroups ?? DEFAULT_MANAGED_RULE_GROUPS;
    for (const name of managed) {
      if (!Token.isUnresolved(name) && !/^AWSManagedRules[A-Za-z0-9]+$/.test(name)) {
        throw new Error(`FrontendWebAcl: managedRuleGroups entry '${name}' is not the name of an AWS managed rule group (e.g. 'AWSManagedRulesCommonRuleSet')`);
      }
    }
    if (new Set(managed).size !== managed.length) {
      throw new Error('FrontendWebAcl: managedRuleGroups lists a rule group twice');
    }

    const prefix = Names.uniqueId(this).slice(-96);
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${prefix}-${name}`,
    });
    const ipSet = (setId: string, version: 'IPV4' | 'IPV6', addresses: string[], description: string) => {
      const set = new wafv2.CfnIPSet(this, setId, { scope: 'CLOUDFRONT', ipAddressVersion: version, addresses, description });
      this.ipSets.push(set);
      return set;
    };
    const ref = (set: wafv2.CfnIPSet): wafv2.CfnWebACL.StatementProperty => ({ ipSetReferenceStatement: { arn: set.attrArn } });

    const rules: wafv2.CfnWebACL.RuleProperty[] = [];
    const add = (rule: Omit<wafv2.CfnWebACL.RuleProperty, 'priority' | 'visibilityConfig'>) =>
      rules.push({ ...rule, priority: rules.length, visibilityConfig: visibility(rule.name) });

    if (blocked4) {
      add({ name: 'BlockedIpv4', action: { block: {} }, statement: ref(ipSet('BlockedIpv4Set', 'IPV4', blocked4, 'bedrock-chat site: IPv4 ranges always blocked')) });
    }
    if (blocked6) {
      add({ name: 'BlockedIpv6', action: { block: {} }, statement: ref(ipSet('BlockedIpv6Set', 'IPV6', blocked6, 'bedrock-chat site: IPv6 ranges always blocked')) });
    }
    if (allowed4 || allowed6) {
      const allowedRefs = [
        ...(allowed4 ? [ref(ipSet('AllowedIpv4Set', 'IPV4', allowed4, 'bedrock-chat site: IPv4 ranges allowed'))] : []),
        ...(allowed6 ? [ref(ipSet('AllowedIpv6Set', 'IPV6', allowed6, 'bedrock-chat site: IPv6 ranges allowed'))] : []),
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

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      description: 'bedrock-chat: protects the CloudFront distribution of the app and the widget',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('WebAcl'),
      rules,
    });
    this.webAclArn = this.webAcl.attrArn;
  }
}

function checkRanges(prop: string, ranges: string[] | undefined, pattern: RegExp, example: string): string[] | undefined {
  if (!ranges || ranges.length === 0) return undefined;
  const bad = ranges.filter((r) => !Token.isUnresolved(r) && !pattern.test(r));
  if (bad.length > 0) {
    throw new Error(`FrontendWebAcl: ${prop} holds entries that are not CIDR ranges of that IP version (e.g. '${example}'): ${bad.join(', ')}`);
  }
  return ranges;
}
