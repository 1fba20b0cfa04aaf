import { ArnFormat, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { WafOptions } from './auth';

/** Defaults of `WafOptions` (documented there). */
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

export interface WebAclResult {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup?: logs.LogGroup;
}

/**
 * A regional web ACL with the rules of `options`, in the order documented on `WafOptions`. Validates the options
 * with messages that say what to change.
 */
export function createWebAcl(scope: Construct, options: WafOptions, logging: {
  readonly retention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}): WebAclResult {
  const prefix = Names.uniqueId(scope).slice(-96);
  const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
    cloudWatchMetricsEnabled: true,
    sampledRequestsEnabled: true,
    metricName: `${prefix}-${name}`,
  });
  const ipSet = (id: string, version: 'IPV4' | 'IPV6', addresses: string[], description: string) => new wafv2.CfnIPSet(scope, id, {
    scope: 'REGIONAL',
    ipAddressVersion: version,
    addresses,
    description,
  });

  const blocked4 = checkRanges('blockedIpv4Ranges', options.blockedIpv4Ranges, IPV4_CIDR, '203.0.113.0/24');
  const blocked6 = checkRanges('blockedIpv6Ranges', options.blockedIpv6Ranges, IPV6_CIDR, '2001:db8::/32');
  const allowed4 = checkRanges('allowedIpv4Ranges', options.allowedIpv4Ranges, IPV4_CIDR, '203.0.113.0/24');
  const allowed6 = checkRanges('allowedIpv6Ranges', options.allowedIpv6Ranges, IPV6_CIDR, '2001:db8::/32');
  const rateLimit = options.rateLimitPer5Minutes ?? DEFAULT_RATE_LIMIT_PER_5_MINUTES;
  if (!Token.isUnresolved(rateLimit) && (!Number.isInteger(rateLimit) || rateLimit < RATE_LIMIT_MIN || rateLimit > RATE_LIMIT_MAX)) {
    throw new Error(`ChatBackend: waf.rateLimitPer5Minutes must be a whole number from ${RATE_LIMIT_MIN} to ${RATE_LIMIT_MAX} (WAF's limits); got ${rateLimit}`);
  }
  const managed = options.managedRuleGroups ?? DEFAULT_MANAGED_RULE_GROUPS;
  for (const name of managed) {
    if (!Token.isUnresolved(name) && !/^AWSManagedRules[A-Za-z0-9]+$/.test(name)) {
      throw new Error(`ChatBackend: waf.managedRuleGroups entry '${name}' is not the name of an AWS managed rule group (e.g. 'AWSManagedRulesCommonRuleSet')`);
    }
  }
  if (new Set(managed).size !== managed.length) {
    throw new Error('ChatBackend: waf.managedRuleGroups lists a rule group twice');
  }

  const rules: wafv2.CfnWebACL.RuleProperty[] = [];
  const add = (rule: Omit<wafv2.CfnWebACL.RuleProperty, 'priority' | 'visibilityConfig'>) =>
    rules.push({ ...rule, priority: rules.length, visibilityConfig: visibility(rule.name) });
  const ref = (set: wafv2.CfnIPSet): wafv2.CfnWebACL.StatementProperty => ({ ipSetReferenceStatement: { arn: set.attrArn } });

  if (blocked4) {
    add({ name: 'BlockedIpv4', action: { block: {} }, statement: ref(ipSet('BlockedIpv4Set', 'IPV4', blocked4, 'bedrock-chat: IPv4 ranges always blocked')) });
  }
  if (blocked6) {
    add({ name: 'BlockedIpv6', action: { block: {} }, statement: ref(ipSet('BlockedIpv6Set', 'IPV6', blocked6, 'bedrock-chat: IPv6 ranges always blocked')) });
  }
  if (allowed4 || allowed6) {
    const allowedRefs = [
      ...(allowed4 ? [ref(ipSet('AllowedIpv4Set', 'IPV4', allowed4, 'bedrock-chat: IPv4 ranges allowed to sign in'))] : []),
      ...(allowed6 ? [ref(ipSet('AllowedIpv6Set', 'IPV6', allowed6, 'bedrock-chat: IPv6 ranges allowed to sign in'))] : []),
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

  const webAcl = new wafv2.CfnWebACL(scope, 'WebAcl', {
    scope: 'REGIONAL',
    description: 'bedrock-chat: protects the Cognito user pool (sign-in, sign-up, token endpoints)',
    defaultAction: { allow: {} },
    visibilityConfig: visibility('WebAcl'),
    rules,
  });

  let logGroup: logs.LogGroup | undefined;
  if (options.loggingEnabled) {
    logGroup = new logs.LogGroup(scope, 'WafLogs', {
      // WAF only delivers to log groups whose name starts with aws-waf-logs-; the rest is derived from the path.
      logGroupName: `aws-waf-logs-${Names.uniqueResourceName(scope, { maxLength: 200, separator: '-' })}`,
      retention: logging.retention,
      removalPolicy: logging.removalPolicy,
    });
    new wafv2.CfnLoggingConfiguration(scope, 'WafLogging', {
      resourceArn: webAcl.attrArn,
      // WAF wants the log group ARN without the `:*` suffix of LogGroup.logGroupArn.
      logDestinationConfigs: [Stack.of(scope).formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: logGroup.logGroupName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })],
    });
  }
  return { webAcl, logGroup };
}

function checkRanges(prop: string, ranges: string[] | undefined, pattern: RegExp, example: string): string[] | undefined {
  if (!ranges || ranges.length === 0) return undefined;
  const bad = ranges.filter((r) => !Token.isUnresolved(r) && !pattern.test(r));
  if (bad.length > 0) {
    throw new Error(`ChatBackend: waf.${prop} holds entries that are not CIDR ranges of that IP version (e.g. '${example}'): ${bad.join(', ')}`);
  }
  return ranges;
}
