import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Bots } from './bots';
import { grant } from './context';
import { acknowledge } from '../private/nag';

/**
 * The bots-api function manages the guardrails bots define (src/lambdas/core/guardrails.ts): exactly CreateGuardrail,
 * UpdateGuardrail, CreateGuardrailVersion and DeleteGuardrail. Each takes the `guardrail` resource type, whose ARN
 * ends in the id Bedrock chooses at creation
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html), so the narrowest
 * resource is every guardrail of this account and Region. No tags are passed (which would need TagResource:
 * https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions.html).
 */
export function grantBotGuardrails(bots: Bots, fn: lambda.Function): void {
  grant(fn, ['bedrock:CreateGuardrail', 'bedrock:UpdateGuardrail', 'bedrock:CreateGuardrailVersion', 'bedrock:DeleteGuardrail'], [bots.guardrailsArn()]);
  acknowledge(fn.role!, {
    id: 'AwsSolutions-IAM5',
    appliesTo: [bots.guardrailsFinding()],
    reason: 'Bedrock names a guardrail when it is created (a bot\'s guardrail, when the bot is saved); the actions are limited to guardrail management on the guardrails of this account and Region.',
  });
}
