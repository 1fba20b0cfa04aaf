import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BackendContext } from './context';
import { ConversationStore } from './conversation-store';
import { BackendModels } from './models';
import { SignIn } from './sign-in';
import { ApiFunction } from '../../lambdas/api-function';
import { createLogGroup } from '../private/defaults';

/** What the REST API is built on. */
export interface RestApiOptions {
  readonly signIn: SignIn;
  readonly store: ConversationStore;
  readonly models: BackendModels;
  /** `ChatBackendProps.corsAllowedOrigins`. */
  readonly corsAllowedOrigins?: string[];
}

/** Every method but OPTIONS: preflight requests are answered by API Gateway from corsPreflight. */
const ROUTED_METHODS = [apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST, apigwv2.HttpMethod.PUT, apigwv2.HttpMethod.PATCH, apigwv2.HttpMethod.DELETE];

/**
 * The REST API of `ChatBackend`: the HTTP API with its `$default` stage (access logs), the Cognito JWT authorizer
 * and the router function behind `/{proxy+}`. A later part routes its own paths to its own function behind the same
 * authorizer with `addAuthorizedRoutes` (bots do: bots-api.ts).
 */
export class RestApi {
  public readonly apiFunction: lambda.Function;
  public readonly httpApi: apigwv2.HttpApi;
  public readonly httpStage: apigwv2.HttpStage;
  /** `https://<api>.execute-api.<region>.<suffix>` (no trailing slash). */
  public readonly restApiUrl: string;
  /** Verifies the ID tokens of the user pool's web client. */
  public readonly jwtAuthorizer: HttpJwtAuthorizer;

  constructor(ctx: BackendContext, options: RestApiOptions) {
    const scope = ctx.scope;
    const { signIn, store } = options;

    this.apiFunction = ctx.functions.create('RestApiHandler', ApiFunction, {
      description: 'bedrock-chat: REST API router (conversations, models, uploads)',
      timeout: Duration.seconds(29),
      memorySize: 512,
      environment: {
        TABLE_NAME: store.table.tableName,
        LARGE_MESSAGE_BUCKET: store.largeMessageBucket.bucketName,
        ...options.models.environment,
      },
    });

    const httpAccessLogs = createLogGroup(scope, 'HttpApiAccessLogs', { retention: ctx.logRetention, removalPolicy: ctx.removalPolicy });
    this.httpApi = new apigwv2.HttpApi(scope, 'HttpApi', {
      description: 'bedrock-chat: REST API (Cognito JWT)',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: options.corsAllowedOrigins ?? ['*'],
        allowHeaders: ['authorization', 'content-type'],
        allowMethods: [
          apigwv2.CorsHttpMethod.GET,
          apigwv2.CorsHttpMethod.POST,
          apigwv2.CorsHttpMethod.PUT,
          apigwv2.CorsHttpMethod.PATCH,
          apigwv2.CorsHttpMethod.DELETE,
        ],
        allowCredentials: false,
        maxAge: Duration.hours(1),
      },
    });
    this.httpStage = new apigwv2.HttpStage(scope, 'HttpStage', {
      httpApi: this.httpApi,
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(httpAccessLogs),
        format: apigw.AccessLogFormat.custom(JSON.stringify({
          requestId: '$context.requestId',
          routeKey: '$context.routeKey',
          status: '$context.status',
          requestTime: '$context.requestTime',
          responseLength: '$context.responseLength',
          integrationStatus: '$context.integrationStatus',
          authorizerError: '$context.authorizer.error',
          sourceIp: '$context.identity.sourceIp',
          // The caller's Cognito sub from the verified JWT (never the token), so cost and abuse can be attributed:
          // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html ($context.authorizer.claims.property)
          userId: '$context.authorizer.claims.sub',
        })),
      },
    });
    this.restApiUrl = this.httpApi.apiEndpoint;
    this.jwtAuthorizer = new HttpJwtAuthorizer('CognitoAuthorizer', signIn.jwtIssuer, {
      jwtAudience: [signIn.userPoolClient.userPoolClientId],
    });
    this.httpApi.addRoutes({
      path: '/{proxy+}',
      methods: ROUTED_METHODS,
      integration: new HttpLambdaIntegration('RestApiIntegration', this.apiFunction),
      authorizer: this.jwtAuthorizer,
    });
  }

  /**
   * Routes `paths` (every method but OPTIONS) to `handler` behind the JWT authorizer. The HTTP API chooses the most
   * specific route, a full match before a greedy path variable, so these paths reach `handler` and every other one
   * the router behind `/{proxy+}`
   * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html, "Routing API requests").
   * `/x/{proxy+}` does not match `/x` itself: route both when both exist.
   *
   * @param id the integration's id (unique in the backend)
   */
  public addAuthorizedRoutes(id: string, handler: lambda.IFunction, paths: readonly string[]): apigwv2.HttpRoute[] {
    const integration = new HttpLambdaIntegration(id, handler);
    return paths.flatMap((path) => this.httpApi.addRoutes({ path, methods: ROUTED_METHODS, integration, authorizer: this.jwtAuthorizer }));
  }
}
