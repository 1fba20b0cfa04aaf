import { Annotations, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/**
 * A token-bucket throttle: the steady rate in requests per second and the bucket (the largest burst).
 *
 * API Gateway applies stage and route throttles as targets, best effort, on top of the account's quota of 10,000
 * requests per second per Region across all its APIs (2,500 in some Regions)
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-protect.html). A throttled HTTP request
 * gets `429 Too Many Requests`; a throttled WebSocket message is refused the same way.
 */
export interface RouteThrottle {
  /** Steady-state requests per second (a positive number). */
  readonly rateLimit: number;
  /** Largest burst, in requests (a positive integer). */
  readonly burstLimit: number;
}

/**
 * Stage throttling of the WebSocket and HTTP APIs. These limits are shared by every client of the stage (one user
 * flooding the API slows everyone down to the limit, not past it): they bound what the whole deployment can be made to
 * do per second, so no single API can take the account's API Gateway quota from the others. They do not limit one user
 * against another.
 */
export interface ApiThrottling {
  /**
   * Every WebSocket route (`$connect`, `$default`, `stop`, `ping`, ...) unless listed in `modelRoutes`.
   *
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly webSocket?: RouteThrottle;

  /**
   * The WebSocket routes that start a model call (`sendMessage`, `regenerate`, `continue`): each starts an answer that
   * runs for seconds to minutes, so their rate is what bounds concurrent workers and Bedrock calls.
   *
   * @default { rateLimit: 10, burstLimit: 20 }
   */
  readonly modelRoutes?: RouteThrottle;

  /**
   * Every route of the REST (HTTP) API.
   *
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly httpApi?: RouteThrottle;
}

/**
 * Reserved concurrency per function: that many concurrent executions are set aside for the function and it can never
 * run more (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). A cap on the worker bounds the
 * answers streamed at once (and so the Bedrock calls in flight); a cap on the authorizer bounds a connection flood.
 * A request over the cap is throttled: the authorizer's caller gets an error, an asynchronous worker invocation is
 * queued and retried by Lambda for up to six hours
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
 *
 * Reserved concurrency is taken from the account's pool, and Lambda refuses a reservation that leaves fewer than 100
 * unreserved executions (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html), which is why
 * there is no default: a new account's quota can be as low as 10.
 */
export interface ReservedConcurrencyOptions {
  /**
   * Concurrent executions reserved for (and the cap of) the chat worker.
   *
   * @default - none: the worker shares the account's unreserved pool
   */
  readonly worker?: number;

  /**
   * Concurrent executions reserved for (and the cap of) the WebSocket `$connect` authorizer.
   *
   * @default - none: the authorizer shares the account's unreserved pool
   */
  readonly authorizer?: number;
}

/** The WebSocket routes that start a model call. */
export const MODEL_ROUTES = ['sendMessage', 'regenerate', 'continue'];

const DEFAULT_WEBSOCKET_THROTTLE: RouteThrottle = { rateLimit: 100, burstLimit: 200 };
const DEFAULT_MODEL_ROUTE_THROTTLE: RouteThrottle = { rateLimit: 10, burstLimit: 20 };
const DEFAULT_HTTP_THROTTLE: RouteThrottle = { rateLimit: 50, burstLimit: 100 };

/** `throttling` with its defaults, validated (before any resource exists). */
export function apiThrottling(throttling: ApiThrottling = {}): Required<ApiThrottling> {
  const resolved = {
    webSocket: throttling.webSocket ?? DEFAULT_WEBSOCKET_THROTTLE,
    modelRoutes: throttling.modelRoutes ?? DEFAULT_MODEL_ROUTE_THROTTLE,
    httpApi: throttling.httpApi ?? DEFAULT_HTTP_THROTTLE,
  };
  for (const [name, t] of Object.entries(resolved)) {
    if (Token.isUnresolved(t.rateLimit) || Token.isUnresolved(t.burstLimit)) continue;
    if (!(Number.isFinite(t.rateLimit) && t.rateLimit > 0)) {
      throw new Error(`throttling.${name}.rateLimit must be a positive number of requests per second, got ${t.rateLimit}`);
    }
    if (!(Number.isInteger(t.burstLimit) && t.burstLimit > 0)) {
      throw new Error(`throttling.${name}.burstLimit must be a positive whole number of requests, got ${t.burstLimit}`);
    }
  }
  return resolved;
}

/** `reservedConcurrency`, validated. */
export function reservedConcurrency(options: ReservedConcurrencyOptions = {}): ReservedConcurrencyOptions {
  for (const [name, n] of Object.entries(options)) {
    if (n === undefined || Token.isUnresolved(n)) continue;
    if (!(Number.isInteger(n) && n > 0)) {
      throw new Error(`reservedConcurrency.${name} must be a positive whole number of executions, got ${n}`);
    }
  }
  return options;
}

/**
 * Sets the stage throttles: the WebSocket stage's default route settings and its model routes' settings, and the HTTP
 * stage's default route settings (`AWS::ApiGatewayV2::Stage` `DefaultRouteSettings` and `RouteSettings`, keyed by route
 * key: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-apigatewayv2-stage-routesettings.html).
 */
export function applyThrottling(throttling: Required<ApiThrottling>, webSocketStage: apigwv2.WebSocketStage, httpStage: apigwv2.HttpStage): void {
  const settings = (t: RouteThrottle): apigwv2.CfnStage.RouteSettingsProperty => ({
    throttlingRateLimit: t.rateLimit,
    throttlingBurstLimit: t.burstLimit,
  });
  const ws = webSocketStage.node.defaultChild as apigwv2.CfnStage;
  ws.defaultRouteSettings = { ...(ws.defaultRouteSettings as object | undefined), ...settings(throttling.webSocket) };
  // `RouteSettings` is a JSON map in the L1 (no property renaming): it is written as CloudFormation spells it.
  ws.routeSettings = Object.fromEntries(MODEL_ROUTES.map((route) => [route, {
    ThrottlingRateLimit: throttling.modelRoutes.rateLimit,
    ThrottlingBurstLimit: throttling.modelRoutes.burstLimit,
  }]));
  const http = httpStage.node.defaultChild as apigwv2.CfnStage;
  http.defaultRouteSettings = { ...(http.defaultRouteSettings as object | undefined), ...settings(throttling.httpApi) };
}

/** Reserves concurrency for the functions that have a count. */
export function applyReservedConcurrency(
  options: ReservedConcurrencyOptions,
  functions: { worker: lambda.Function; authorizer: lambda.Function },
): void {
  const set = (fn: lambda.Function, n: number | undefined) => {
    if (n !== undefined) (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = n;
  };
  set(functions.worker, options.worker);
  set(functions.authorizer, options.authorizer);
}

/**
 * Self sign-up open to any email address: anyone on the internet can create an account and spend on Bedrock, bounded
 * only by the stage throttles. Kept as the reference system's default, said once at synth.
 */
export function warnOpenSignUp(scope: Construct, selfSignUpEnabled: boolean, allowedEmailDomains: string[] | undefined): void {
  if (selfSignUpEnabled && !(allowedEmailDomains && allowedEmailDomains.length > 0)) {
    Annotations.of(scope).addWarningV2('cdk-bedrock-chat:openSignUp',
      'Self sign-up is on and open to every email domain: anyone can create an account and use the models. '
      + 'Set allowedSignUpEmailDomains to limit who can sign up, or selfSignUpEnabled: false to create users yourself.');
  }
}
