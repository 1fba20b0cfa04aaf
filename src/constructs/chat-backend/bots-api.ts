import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Bots } from './bots';
import { BackendContext } from './context';
import { BackendModels } from './models';
import { RestApi } from './rest-api';
import { BotsApiFunction } from '../../lambdas/bots-api-function';

/**
 * The paths the bots-api function serves: the routes of src/lambdas/core/bot-routes.ts and `GET /openapi.json`
 * (src/lambdas/core/rest.ts, BOTS_FUNCTION_ROUTES; test/constructs/bots-api.test.ts checks that every route of that
 * list, and no route of the api function's list, falls under one of these).
 */
export const BOTS_API_PATHS = [
  '/bots', '/bots/{proxy+}', '/admin/bots/{proxy+}', '/store/{proxy+}', '/users/search', '/groups/search', '/me', '/openapi.json',
];

/** What the bots REST function is built on. */
export interface BotsApiOptions {
  readonly rest: RestApi;
  readonly bots: Bots;
  readonly models: BackendModels;
}

/**
 * The REST routes of bots, the store, the user and group searches and `/me`, in a function of their own behind the
 * HTTP API's JWT authorizer: the api function then carries neither the bot code nor the Bedrock control plane and
 * user pool clients (its bundle stays within 400 KB: docs/architecture.md, "Lambda packaging and cold start").
 * Grants: grants.ts (grantBots) and bot-guardrails.ts.
 */
export class BotsApi {
  public readonly function: lambda.Function;

  constructor(ctx: BackendContext, options: BotsApiOptions) {
    this.function = ctx.functions.create('BotsApiHandler', BotsApiFunction, {
      description: 'bedrock-chat: REST API of bots, the bot store and the share dialog\'s searches',
      timeout: Duration.seconds(29),
      memorySize: 512,
      // The models a bot may allow and their limits (a bot's generation parameters are checked against them).
      environment: { ...options.models.environment },
    });
    options.bots.addEnvironment(this.function);
    options.rest.addAuthorizedRoutes('BotsApiIntegration', this.function, BOTS_API_PATHS);
  }
}
