import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

/** Id of the stack-level singleton holding the role and the account setting. */
const SINGLETON_ID = 'BedrockChatApiGatewayAccount';

/** AWS's managed policy for the API Gateway logging role (what the API Gateway guide tells you to attach). */
const PUSH_TO_CLOUDWATCH_POLICY = 'service-role/AmazonAPIGatewayPushToCloudWatchLogs';

/**
 * The IAM role API Gateway writes logs with, set as the account's `cloudWatchRoleArn` in this Region
 * (`AWS::ApiGateway::Account`), created once per stack.
 *
 * WebSocket (and REST) API stages with access logging fail to deploy in an account and Region where this setting
 * is empty ("CloudWatch Logs role ARN must be set in account settings to enable logging"); HTTP APIs do not need it.
 *
 * It is one setting per account and Region, not per stack: "you should only have one AWS::ApiGateway::Account
 * resource per region per account", and "when you delete a stack containing this resource, API Gateway can still
 * assume the provided IAM role" (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-account.html).
 * So:
 * - two stacks that both set it overwrite each other, the last deployment wins. Every role created here has the same
 *   policy, so logging keeps working whichever wins;
 * - the role is RETAINED when the stack is deleted: the account setting outlives the stack and keeps pointing at it,
 *   and a deleted role would break the logs of every other API of the account in this Region.
 */
export function apiGatewayCloudWatchAccount(scope: Construct): apigw.CfnAccount {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(SINGLETON_ID);
  if (existing) return existing.node.findChild('Account') as apigw.CfnAccount;

  const holder = new Construct(stack, SINGLETON_ID);
  const role = new iam.Role(holder, 'CloudWatchRole', {
    assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
    description: 'bedrock-chat: lets API Gateway write API logs to CloudWatch Logs (the account setting of this Region)',
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(PUSH_TO_CLOUDWATCH_POLICY)],
  });
  role.applyRemovalPolicy(RemovalPolicy.RETAIN);
  acknowledge(role, {
    id: 'AwsSolutions-IAM4',
    appliesTo: [`Policy::arn:<AWS::Partition>:iam::aws:policy/${PUSH_TO_CLOUDWATCH_POLICY}`],
    reason: 'This role is the account-wide API Gateway logging role of the Region (AWS::ApiGateway::Account): every API of the account writes its logs with it, so it cannot be scoped to this stack\'s log groups; AWS maintains this managed policy for exactly that purpose.',
  });

  return new apigw.CfnAccount(holder, 'Account', { cloudWatchRoleArn: role.roleArn });
}
