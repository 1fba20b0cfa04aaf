import { randomUUID } from 'node:crypto';
import { EventPattern, matchesPattern } from './event-pattern';

/**
 * EventBridge rules of the default bus, as far as the template uses them: a rule's `EventPattern` (matched by
 * event-pattern.ts) and its targets' input (`Input`, `InputPath`, `InputTransformer`), delivered to a local target.
 * Events reach the bus from the local S3 when a bucket enables EventBridge (`s3EventOf`).
 */

export interface RuleTarget {
  readonly Arn: string;
  readonly Id?: string;
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: { readonly InputPathsMap?: Record<string, string>; readonly InputTemplate: string };
}

export interface LocalRule {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly targets: readonly RuleTarget[];
}

export interface BusEvent {
  readonly 'version': '0';
  readonly 'id': string;
  readonly 'detail-type': string;
  readonly 'source': string;
  readonly 'account': string;
  readonly 'time': string;
  readonly 'region': string;
  readonly 'resources': string[];
  readonly 'detail': Record<string, unknown>;
}

/** `$.a.b` of a value (EventBridge's input paths are plain JSON paths to one field). */
function at(value: unknown, path: string): unknown {
  if (path === '$') return value;
  if (!path.startsWith('$.')) throw new Error(`input path ${path}: only $ and $.field.field... are emulated`);
  let v: unknown = value;
  for (const part of path.slice(2).split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/**
 * A target's input (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html): the
 * event itself, `Input` (static JSON), `InputPath` (a part of the event) or `InputTransformer` (values of the event
 * put into a template: a placeholder inside quotes takes the value's text, one outside quotes its JSON).
 */
export function targetInput(target: RuleTarget, event: BusEvent): unknown {
  if (target.Input !== undefined) return JSON.parse(target.Input);
  if (target.InputPath !== undefined) return at(event, target.InputPath);
  const transformer = target.InputTransformer;
  if (!transformer) return event;
  const values = Object.fromEntries(Object.entries(transformer.InputPathsMap ?? {}).map(([k, p]) => [k, at(event, p)]));
  const text = transformer.InputTemplate.replace(/("?)<([A-Za-z0-9_.-]+)>("?)/g, (whole, open: string, name: string, close: string) => {
    if (!(name in values)) return whole;
    const v = values[name];
    if (open && close) return JSON.stringify(typeof v === 'string' ? v : JSON.stringify(v ?? null));
    return `${open}${v === undefined ? 'null' : JSON.stringify(v)}${close}`;
  });
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The default event bus: every rule whose pattern matches an event sends each of its targets that event's input. */
export class LocalEventBus {
  private readonly rules: LocalRule[] = [];
  /** Events put so far and the rules they matched. */
  readonly log: { event: BusEvent; rules: string[] }[] = [];

  constructor(private readonly deliver: (target: RuleTarget, input: unknown, rule: LocalRule) => void) {}

  addRule(rule: LocalRule): void {
    this.rules.push(rule);
  }

  put(event: BusEvent): void {
    const matched = this.rules.filter((r) => matchesPattern(r.pattern, event));
    this.log.push({ event, rules: matched.map((r) => r.name) });
    for (const rule of matched) for (const target of rule.targets) this.deliver(target, targetInput(target, event), rule);
  }
}

/** An s3rver notification record (S3's event message format, as s3rver writes it). */
export interface S3NotificationRecord {
  readonly eventName: string;
  readonly s3: {
    readonly bucket: { readonly name: string };
    readonly object: { readonly key: string; readonly size?: number; readonly eTag?: string; readonly sequencer?: string };
  };
}

/**
 * The EventBridge event S3 sends for an object created or deleted
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html: `Object Created` with reason PutObject,
 * CopyObject, POST Object or CompleteMultipartUpload; `Object Deleted` with reason DeleteObject and deletion-type
 * `Permanently Deleted` in an unversioned bucket).
 */
export function s3EventOf(record: S3NotificationRecord, region: string, account: string): BusEvent | undefined {
  const [kind, how] = record.eventName.split(':');
  const object = record.s3.object;
  const created = kind === 'ObjectCreated';
  if (!created && kind !== 'ObjectRemoved') return undefined;
  const reason = created ? ({ Put: 'PutObject', Copy: 'CopyObject', Post: 'POST Object', CompleteMultipartUpload: 'CompleteMultipartUpload' } as Record<string, string>)[how] ?? 'PutObject' : 'DeleteObject';
  return {
    'version': '0',
    'id': randomUUID(),
    'detail-type': created ? 'Object Created' : 'Object Deleted',
    'source': 'aws.s3',
    account,
    'time': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    'resources': [`arn:aws:s3:::${record.s3.bucket.name}`],
    'detail': {
      'version': '0',
      'bucket': { name: record.s3.bucket.name },
      'object': created
        ? { key: object.key, size: object.size ?? 0, etag: object.eTag ?? '', sequencer: object.sequencer ?? '' }
        : { key: object.key, sequencer: object.sequencer ?? '' },
      'request-id': randomUUID(),
      'requester': account,
      reason,
      ...(created ? {} : { 'deletion-type': 'Permanently Deleted' }),
    },
  };
}
