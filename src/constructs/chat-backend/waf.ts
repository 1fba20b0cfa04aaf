import { ArnFormat, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { WafOptions } from './auth';
import { wafDescription, wafRules } from '../private/waf-rules';


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
  const { rules, visibility } = wafRules(scope, options, {
    scope: 'REGIONAL', errorPrefix: 'ChatBackend: waf.', describe: 'bedrock-chat', allowedFor: 'to sign in',
  });

  const webAcl = new wafv2.CfnWebACL(scope, 'WebAcl', {
    scope: 'REGIONAL',
    description: wafDescription('bedrock-chat: protects the Cognito user pool, its sign-in, sign-up and token endpoints'),
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
