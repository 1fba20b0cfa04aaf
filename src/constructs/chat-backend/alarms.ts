import { Duration, Names, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * CloudWatch alarms of `ChatBackend`: errors, throttles and spend. Each alarm is created without actions unless
 * `actions` are given (an SNS topic, for example), so it shows in the console and can be wired later through
 * `ChatBackend.alarms`.
 */
export interface ChatAlarmOptions {
  /**
   * Create the alarms.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * What each alarm does when it fires and when it recovers.
   *
   * @default - none
   */
  readonly actions?: cloudwatch.IAlarmAction[];

  /**
   * The model spend, in USD per hour across all users, that raises the spend alarm. Spend is the `priceUsd` of every
   * finished turn (the catalog prices of the model; a model without prices counts as 0).
   *
   * @default 10
   */
  readonly spendPerHourUsd?: number;
}

/** The resolved options. */
export interface AlarmSettings {
  readonly enabled: boolean;
  readonly actions: cloudwatch.IAlarmAction[];
  readonly spendPerHourUsd: number;
}

const DEFAULT_SPEND_PER_HOUR_USD = 10;

/** `alarms` with its defaults, validated. */
export function alarmSettings(options: ChatAlarmOptions = {}): AlarmSettings {
  const spendPerHourUsd = options.spendPerHourUsd ?? DEFAULT_SPEND_PER_HOUR_USD;
  if (!Token.isUnresolved(spendPerHourUsd) && !(Number.isFinite(spendPerHourUsd) && spendPerHourUsd > 0)) {
    throw new Error(`alarms.spendPerHourUsd must be a positive number of USD, got ${spendPerHourUsd}`);
  }
  return { enabled: options.enabled ?? true, actions: options.actions ?? [], spendPerHourUsd };
}

/** What the alarms watch. */
export interface AlarmTargets {
  readonly functions: Record<string, lambda.Function>;
  readonly worker: lambda.Function;
  readonly webSocketApi: apigwv2.WebSocketApi;
  readonly webSocketStageName: string;
  readonly httpApi: apigwv2.HttpApi;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Creates the alarms in `scope`:
 * - per function, `Errors` (unhandled errors; the handlers answer bad input and model errors themselves, so these are
 *   bugs or timeouts) and `Throttles` (over reserved concurrency or the account's quota)
 *   (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html);
 * - the WebSocket API's `ExecutionError` and `IntegrationError` (its route handler failing or erroring)
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-logging.html);
 * - the HTTP API's `5xx` (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html);
 * - spend: a metric filter sums `priceUsd` of the worker's `turn done` log lines
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html) into
 *   `BedrockChat/<backend>` `SpendUsd`, alarmed per hour.
 */
export function createAlarms(scope: Construct, settings: AlarmSettings, targets: AlarmTargets): cloudwatch.Alarm[] {
  if (!settings.enabled) return [];
  const alarms: cloudwatch.Alarm[] = [];
  const add = alarmAdder(scope, settings, alarms);

  for (const [name, fn] of Object.entries(targets.functions)) alarms.push(...functionAlarms(scope, settings, name, fn));

  const ws = (metricName: string) => new cloudwatch.Metric({
    namespace: 'AWS/ApiGateway',
    metricName,
    dimensionsMap: { ApiId: targets.webSocketApi.apiId, Stage: targets.webSocketStageName },
    period: FIVE_MINUTES,
    statistic: 'Sum',
  });
  add('WebSocketErrorsAlarm', new cloudwatch.MathExpression({
    expression: 'execution + integration',
    usingMetrics: { execution: ws('ExecutionError'), integration: ws('IntegrationError') },
    period: FIVE_MINUTES,
    label: 'WebSocket execution and integration errors',
  }), 5, 'the WebSocket API had 5 or more execution or integration errors in 5 minutes');

  add('HttpApi5xxAlarm', targets.httpApi.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }), 5,
    'the REST API answered 5xx 5 or more times in 5 minutes');

  const namespace = `BedrockChat/${Names.uniqueResourceName(scope, { maxLength: 200 })}`;
  const spend = new logs.MetricFilter(scope, 'SpendMetricFilter', {
    logGroup: targets.worker.logGroup,
    filterPattern: logs.FilterPattern.all(
      logs.FilterPattern.stringValue('$.msg', '=', 'turn done'),
      // A numeric comparison, since priceUsd is a JSON number (a quoted `"*"` compares strings).
      logs.FilterPattern.numberValue('$.priceUsd', '>=', 0),
    ),
    metricNamespace: namespace,
    metricName: 'SpendUsd',
    metricValue: '$.priceUsd',
  });
  add('SpendAlarm', spend.metric({ period: Duration.hours(1), statistic: 'Sum' }), settings.spendPerHourUsd,
    `model spend reached ${settings.spendPerHourUsd} USD in an hour`);
  return alarms;
}

/** Creates one alarm in `scope` with the settings' actions and appends it to `alarms`. */
function alarmAdder(scope: Construct, settings: AlarmSettings, alarms: cloudwatch.Alarm[]) {
  return (id: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
    const alarm = new cloudwatch.Alarm(scope, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `bedrock-chat: ${description}`,
    });
    for (const action of settings.actions) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    alarms.push(alarm);
  };
}

/**
 * A function's `Errors` and `Throttles` alarms (`<name>ErrorsAlarm`, `<name>ThrottlesAlarm`), none when alarms are
 * off: the backend's own functions get them from createAlarms, a function a later part adds (KnowledgeBaseFactory's
 * knowledge-api) through the backend's parts.
 */
export function functionAlarms(scope: Construct, settings: AlarmSettings, name: string, fn: lambda.Function): cloudwatch.Alarm[] {
  if (!settings.enabled) return [];
  const alarms: cloudwatch.Alarm[] = [];
  const add = alarmAdder(scope, settings, alarms);
  add(`${name}ErrorsAlarm`, fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 5,
    `${name} failed 5 or more times in 5 minutes (unhandled errors or timeouts)`);
  add(`${name}ThrottlesAlarm`, fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }), 1,
    `${name} was throttled (reserved concurrency or the account's concurrency quota reached)`);
  return alarms;
}
