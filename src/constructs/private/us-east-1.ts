import { Arn, ArnFormat, Aws, CfnRule, Fn, Resource, Stack, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { Construct } from 'constructs';

/** The only region where CloudFront reads certificates and web ACLs from. */
export const CLOUDFRONT_REGION = 'us-east-1';

/**
 * Require the stack of `scope` to be in us-east-1 for `what` (e.g. "waf creates a CloudFront web ACL").
 *
 * - Region known and different: a validation error (`node.addValidation`) with `howToFix`, reported at synth.
 * - Region unknown (environment-agnostic stack): a CloudFormation rule in the template that stops the deployment
 *   in any other region with the same message, before anything is created.
 *
 * Returns whether the resources may be created here (false only when the region is known and wrong).
 */
export function requireUsEast1(scope: Construct, id: string, what: string, howToFix: string): boolean {
  const region = Stack.of(scope).region;
  const message = `${what}, which must be in ${CLOUDFRONT_REGION}, but this stack is in ${Token.isUnresolved(region) ? 'a region chosen at deploy time' : region}. ${howToFix}`;
  if (!Token.isUnresolved(region)) {
    if (region === CLOUDFRONT_REGION) return true;
    scope.node.addValidation({ validate: () => [message] });
    return false;
  }
  new CfnRule(scope, id, {
    assertions: [{ assert: Fn.conditionEquals(Aws.REGION, CLOUDFRONT_REGION), assertDescription: message }],
  });
  return true;
}

/** The region of a certificate when known at synth: from a literal ARN, or the stack of a certificate created in this app. */
export function certificateRegion(certificate: acm.ICertificate): string | undefined {
  if (!Token.isUnresolved(certificate.certificateArn)) {
    return Arn.split(certificate.certificateArn, ArnFormat.SLASH_RESOURCE_NAME).region;
  }
  if (Resource.isOwnedResource(certificate) && !Token.isUnresolved(certificate.env.region)) {
    return certificate.env.region;
  }
  return undefined;
}
