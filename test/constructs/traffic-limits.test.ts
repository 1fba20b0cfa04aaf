/**
 * ChatBackend bounds what the deployment can be made to do: stage throttling of both APIs (tighter on the routes that
 * start a model call), reserved concurrency for the worker and the authorizer, and a warning when anyone can sign up.
 */
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { requireBundles, synthBackend } from './helpers';

beforeAll(requireBundles);

const synth = synthBackend;

const stageOf = (template: Template, stack: Stack, stage: { node: any }) =>
  template.toJSON().Resources[stack.getLogicalId(stage.node.defaultChild)].Properties;
const reservedOf = (template: Template, stack: Stack, fn: { node: any }) =>
  template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild)].Properties.ReservedConcurrentExecutions;
const warnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));

describe('stage throttling', () => {
  test('by default every WebSocket route is throttled, the model routes tighter, and the REST stage too', () => {
    const { stack, backend, template } = synth();
    const ws = stageOf(template, stack, backend.webSocketStage);
    expect(ws.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
    expect(ws.RouteSettings).toEqual({
      sendMessage: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      regenerate: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      continue: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
    const http = stageOf(template, stack, backend.httpStage);
    expect(http.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
  });

  test('every model route of the template is named in RouteSettings (a route key that does not exist would be a silent no-op)', () => {
    const { template } = synth();
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r: any) => r.Properties.RouteKey);
    for (const key of ['sendMessage', 'regenerate', 'continue']) expect(routeKeys).toContain(key);
  });

  test('each throttle can be replaced on its own', () => {
    const { stack, backend, template } = synth({
      throttling: { modelRoutes: { rateLimit: 2, burstLimit: 4 }, httpApi: { rateLimit: 5.5, burstLimit: 11 } },
    });
    const ws = stageOf(template, stack, backend.webSocketStage);
    expect(ws.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
    expect(ws.RouteSettings.sendMessage).toEqual({ ThrottlingRateLimit: 2, ThrottlingBurstLimit: 4 });
    expect(stageOf(template, stack, backend.httpStage).DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 5.5, ThrottlingBurstLimit: 11 });
  });

  test.each([
    [{ webSocket: { rateLimit: 0, burstLimit: 10 } }, /throttling.webSocket.rateLimit must be a positive number/],
    [{ modelRoutes: { rateLimit: 1, burstLimit: 2.5 } }, /throttling.modelRoutes.burstLimit must be a positive whole number/],
    [{ httpApi: { rateLimit: Number.NaN, burstLimit: 1 } }, /throttling.httpApi.rateLimit/],
  ])('a bad throttle %j is refused at synth with the field named', (throttling, message) => {
    expect(() => synth({ throttling })).toThrow(message);
  });
});

describe('reserved concurrency', () => {
  test('none by default (a reservation can fail on an account with a low concurrency quota)', () => {
    const { stack, backend, template } = synth();
    expect(reservedOf(template, stack, backend.workerFunction)).toBeUndefined();
    expect(reservedOf(template, stack, backend.authorizerFunction)).toBeUndefined();
  });

  test('the worker and the authorizer get their own counts; the other functions none', () => {
    const { stack, backend, template } = synth({ reservedConcurrency: { worker: 40, authorizer: 10 } });
    expect(reservedOf(template, stack, backend.workerFunction)).toBe(40);
    expect(reservedOf(template, stack, backend.authorizerFunction)).toBe(10);
    expect(reservedOf(template, stack, backend.webSocketFunction)).toBeUndefined();
    expect(reservedOf(template, stack, backend.apiFunction)).toBeUndefined();
  });

  test.each([0, -1, 1.5])('a count of %p is refused', (worker) => {
    expect(() => synth({ reservedConcurrency: { worker } })).toThrow(/reservedConcurrency.worker must be a positive whole number/);
  });
});

describe('open self sign-up', () => {
  test('self sign-up with no allowed email domains (the default) is warned about', () => {
    const { stack } = synth();
    expect(warnings(stack).join('\n')).toMatch(/Self sign-up is on and open to every email domain/);
  });

  test('no warning with allowed domains or with self sign-up off', () => {
    expect(warnings(synth({ allowedSignUpEmailDomains: ['example.com'] }).stack).join('\n')).not.toMatch(/open to every email domain/);
    expect(warnings(synth({ selfSignUpEnabled: false }).stack).join('\n')).not.toMatch(/open to every email domain/);
  });
});

describe('alarms', () => {
  test('by default: errors and throttles of each function, WebSocket and REST errors, and hourly spend, without actions', () => {
    const { stack, backend, template } = synth();
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    expect(backend.alarms).toHaveLength(Object.keys(alarms).length);
    const metricNames = Object.values(alarms).map((a: any) => a.Properties.MetricName).filter(Boolean).sort();
    // Errors and throttles of the authorizer, WebSocket handler, worker, REST router and bots REST function.
    expect(metricNames).toEqual(['5xx', 'Errors', 'Errors', 'Errors', 'Errors', 'Errors', 'SpendUsd', 'Throttles', 'Throttles', 'Throttles', 'Throttles', 'Throttles']);
    for (const a of Object.values(alarms) as any[]) expect(a.Properties.AlarmActions).toBeUndefined();
    // The WebSocket alarm sums two metrics of this API and stage.
    const math = Object.values(alarms).find((a: any) => a.Properties.Metrics) as any;
    const names = math.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric.MetricName).sort();
    expect(names).toEqual(['ExecutionError', 'IntegrationError']);
    // Spend: a filter on the worker's log group sums priceUsd of each finished turn; the alarm is per hour at 10 USD.
    const workerLogs = stack.getLogicalId(backend.workerFunction.logGroup.node.defaultChild as any);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: workerLogs },
      FilterPattern: '{ ($.msg = "turn done") && ($.priceUsd >= 0) }',
      MetricTransformations: [Match.objectLike({ MetricName: 'SpendUsd', MetricValue: '$.priceUsd' })],
    });
    const spendAlarm = Object.values(alarms).find((a: any) => a.Properties.MetricName === 'SpendUsd') as any;
    expect(spendAlarm.Properties).toMatchObject({ Threshold: 10, Period: 3600, Statistic: 'Sum', ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  test('actions are added to every alarm, for alarm and OK; the spend threshold is a prop', () => {
    const { template } = synth({ alarms: { spendPerHourUsd: 2.5, actions: [{ bind: () => ({ alarmActionArn: 'arn:aws:sns:us-east-1:111111111111:ops' }) }] } });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual(['arn:aws:sns:us-east-1:111111111111:ops']);
      expect(a.Properties.OKActions).toEqual(['arn:aws:sns:us-east-1:111111111111:ops']);
    }
    expect(alarms.find((a) => a.Properties.MetricName === 'SpendUsd').Properties.Threshold).toBe(2.5);
  });

  test('alarms can be turned off; a bad spend threshold is refused', () => {
    const { backend, template } = synth({ alarms: { enabled: false } });
    expect(backend.alarms).toEqual([]);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
    expect(() => synth({ alarms: { spendPerHourUsd: 0 } })).toThrow(/alarms.spendPerHourUsd must be a positive number/);
  });
});
