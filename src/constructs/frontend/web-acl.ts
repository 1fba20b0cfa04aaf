import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { requireUsEast1 } from '../private/us-east-1';
import { wafDescription, wafRules } from '../private/waf-rules';

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
  public readonly ipSets: wafv2.CfnIPSet[];

  constructor(scope: Construct, id: string, props: FrontendWafOptions = {}) {
    super(scope, id);
    requireUsEast1(this, 'RegionRule', 'FrontendWebAcl creates a CloudFront web ACL (scope CLOUDFRONT)',
      'Deploy FrontendWebAcl in a us-east-1 stack and pass its webAclArn to BedrockChatFrontend (set crossRegionReferences: true on the frontend stack).');

    const { rules, ipSets, visibility } = wafRules(this, props, { scope: 'CLOUDFRONT', errorPrefix: 'FrontendWebAcl: ', describe: 'bedrock-chat site' });
    this.ipSets = ipSets;

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      description: wafDescription('bedrock-chat: protects the CloudFront distribution of the app and the widget'),
      defaultAction: { allow: {} },
      visibilityConfig: visibility('WebAcl'),
      rules,
    });
    this.webAclArn = this.webAcl.attrArn;
  }
}
