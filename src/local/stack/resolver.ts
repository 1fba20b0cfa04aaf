/**
 * Resolves a CloudFormation template's intrinsic functions the way CloudFormation would at deploy time, with
 * physical ids made up for the local stack: `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::Sub`,
 * `Fn::ImportValue` (exports of the other loaded stacks) and the pseudo parameters `AWS::Region`, `AWS::AccountId`,
 * `AWS::StackId`, `AWS::StackName`, `AWS::URLSuffix`, `AWS::Partition`, `AWS::NoValue`.
 * Intrinsic functions reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 * Pseudo parameters: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
 *
 * Physical ids are derived from the stack name and the logical id (a hash), so a stack gets the same names, URLs
 * and ids every time it is loaded.
 */
import { createHash } from 'node:crypto';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown }; Description?: string }>;
  readonly Parameters?: Record<string, { Type: string; Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
}

export interface ResolverContext {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  /** Exports of the other stacks (`Fn::ImportValue`), looked up when needed. */
  readonly importValue?: (name: string) => unknown;
}

/** Thrown for what the local stack cannot resolve (a reference to a missing resource, an unsupported function). */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const ALNUM_LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ALNUM_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** `length` characters of `alphabet`, derived from a hash of `seed` (stable across runs). */
export function stableId(seed: string, length: number, alphabet = ALNUM_LOWER): string {
  const bytes = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; out.length < length; i++) out += alphabet[bytes[i % bytes.length] % alphabet.length];
  return out;
}

export class TemplateResolver {
  public readonly template: CfnTemplate;
  public readonly context: ResolverContext;
  /** `arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>` */
  public readonly stackId: string;
  private readonly refs = new Map<string, unknown>();
  private readonly resolving = new Set<string>();

  constructor(template: CfnTemplate, context: ResolverContext) {
    this.template = template;
    this.context = context;
    const h = stableId(`${context.stackName}/stack`, 32, '0123456789abcdef');
    this.stackId = `arn:aws:cloudformation:${context.region}:${context.accountId}:stack/${context.stackName}/${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  }

  get resources(): Record<string, CfnResource> {
    return this.template.Resources ?? {};
  }

  /** Logical ids of the resources of a type. */
  ofType(type: string): string[] {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type).map(([id]) => id);
  }

  resource(logicalId: string): CfnResource {
    const r = this.resources[logicalId];
    if (!r) throw new TemplateError(`${this.context.stackName}: no resource ${logicalId}`);
    return r;
  }

  /** A property of a resource, resolved (undefined when absent). */
  prop(logicalId: string, name: string): unknown {
    const value = this.resource(logicalId).Properties?.[name];
    return value === undefined ? undefined : this.resolve(value);
  }

  /** Resolves every intrinsic function in a value (objects and arrays deeply). */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      const [fn] = keys;
      const arg = obj[fn];
      switch (fn) {
        case 'Ref': return this.ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/s);
          return this.getAtt(id, attr);
        }
        case 'Fn::Join': {
          const [sep, list] = arg as [string, unknown[]];
          return (this.resolve(list) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          const items = this.resolve(list) as unknown[];
          const i = Number(this.resolve(index));
          if (!Array.isArray(items) || i < 0 || i >= items.length) throw new TemplateError(`Fn::Select index ${i} out of range`);
          return items[i];
        }
        case 'Fn::Split': {
          const [sep, source] = arg as [string, unknown];
          return String(this.resolve(source)).split(sep);
        }
        case 'Fn::Sub': return this.sub(arg);
        case 'Fn::ImportValue': {
          const name = String(this.resolve(arg));
          if (!this.context.importValue) throw new TemplateError(`Fn::ImportValue ${name}: no other stack is loaded`);
          return this.context.importValue(name);
        }
        case 'Fn::Base64': return Buffer.from(String(this.resolve(arg))).toString('base64');
        case 'Fn::GetAZs': return [`${this.context.region}a`, `${this.context.region}b`, `${this.context.region}c`];
        case 'Fn::If':
        case 'Fn::Equals':
        case 'Fn::And':
        case 'Fn::Or':
        case 'Fn::Not':
        case 'Fn::FindInMap':
        case 'Fn::Cidr':
        case 'Fn::Transform':
          throw new TemplateError(`${fn} is not supported by the local stack (in ${JSON.stringify(value).slice(0, 120)})`);
        default:
          break;
      }
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const v = this.resolve(obj[k]);
      if (v !== NO_VALUE) out[k] = v;
    }
    return out;
  }

  /** A string, resolved: throws when the value does not resolve to one. */
  str(value: unknown): string {
    const v = this.resolve(value);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new TemplateError(`expected a string, got ${JSON.stringify(v)}`);
    return String(v);
  }

  ref(name: string): unknown {
    switch (name) {
      case 'AWS::Region': return this.context.region;
      case 'AWS::AccountId': return this.context.accountId;
      case 'AWS::StackName': return this.context.stackName;
      case 'AWS::StackId': return this.stackId;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::Partition': return 'aws';
      case 'AWS::NoValue': return NO_VALUE;
      case 'AWS::NotificationARNs': return [];
      default: break;
    }
    const param = this.template.Parameters?.[name];
    if (param) {
      if (param.Default === undefined) throw new TemplateError(`parameter ${name} has no default`);
      // SSM parameter types hold a parameter name; the value is not available locally.
      return param.Type.startsWith('AWS::SSM::Parameter::Value') ? `local-ssm-value-of:${String(param.Default)}` : param.Default;
    }
    if (!this.refs.has(name)) {
      if (this.resolving.has(name)) throw new TemplateError(`circular reference through ${name}`);
      this.resolving.add(name);
      try {
        this.refs.set(name, this.physicalRef(name));
      } finally {
        this.resolving.delete(name);
      }
    }
    return this.refs.get(name);
  }

  /** The physical name a `Ref` returns (per resource type, as documented on each type's page). */
  private physicalRef(id: string): unknown {
    const r = this.resource(id);
    const p = r.Properties ?? {};
    const seed = `${this.context.stackName}/${id}`;
    const generated = (max: number) => `${this.context.stackName}-${id}`.slice(0, max - 13) + `-${stableId(seed, 12, ALNUM_UPPER)}`;
    switch (r.Type) {
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
        return p.TableName !== undefined ? this.str(p.TableName) : generated(255);
      case 'AWS::S3::Bucket':
        return p.BucketName !== undefined ? this.str(p.BucketName) : generated(63).toLowerCase();
      case 'AWS::Lambda::Function':
        return p.FunctionName !== undefined ? this.str(p.FunctionName) : generated(64);
      case 'AWS::ApiGatewayV2::Api':
        return stableId(seed, 10);
      case 'AWS::ApiGatewayV2::Route':
      case 'AWS::ApiGatewayV2::Integration':
      case 'AWS::ApiGatewayV2::Authorizer':
        return stableId(seed, 7);
      case 'AWS::ApiGatewayV2::Stage':
        return this.str(p.StageName);
      case 'AWS::Cognito::UserPool':
        return `${this.context.region}_${stableId(seed, 9, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`;
      case 'AWS::Cognito::UserPoolClient':
        return stableId(seed, 26);
      case 'AWS::Cognito::UserPoolDomain':
        return this.str(p.Domain);
      case 'AWS::Cognito::UserPoolGroup':
        return this.str(p.GroupName);
      case 'AWS::CloudFront::Distribution':
        return `E${stableId(seed, 13, ALNUM_UPPER)}`;
      case 'AWS::IAM::Role':
        return p.RoleName !== undefined ? this.str(p.RoleName) : generated(64);
      case 'AWS::Logs::LogGroup':
        return p.LogGroupName !== undefined ? this.str(p.LogGroupName) : generated(512);
      // Ref of a vector bucket and of an index is its ARN, of a knowledge base its id, of a data source
      // `<knowledge base id>|<data source id>` (their primary identifiers:
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3vectors-vectorbucket.html ,
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3vectors-index.html ,
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-knowledgebase.html ,
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-datasource.html).
      case 'AWS::S3Vectors::VectorBucket': {
        // names: 3-63 lowercase letters, digits, hyphens, dots (CreateVectorBucket)
        const name = p.VectorBucketName !== undefined ? this.str(p.VectorBucketName) : generated(63).toLowerCase().replace(/[^a-z0-9.-]/g, '-');
        return `arn:aws:s3vectors:${this.context.region}:${this.context.accountId}:bucket/${name}`;
      }
      case 'AWS::S3Vectors::Index': {
        const bucketArn = p.VectorBucketArn !== undefined
          ? this.str(p.VectorBucketArn)
          : `arn:aws:s3vectors:${this.context.region}:${this.context.accountId}:bucket/${this.str(p.VectorBucketName)}`;
        const name = p.IndexName !== undefined ? this.str(p.IndexName) : generated(63).toLowerCase().replace(/[^a-z0-9.-]/g, '-');
        return `${bucketArn}/index/${name}`;
      }
      case 'AWS::Bedrock::KnowledgeBase':
        return stableId(seed, 10, ALNUM_UPPER);
      // Ref of a collection is its id (20 lowercase letters and digits in AWS), of an index `<index name>|<endpoint>`
      // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-opensearchserverless-collection.html ,
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-opensearchserverless-index.html).
      case 'AWS::OpenSearchServerless::Collection':
        return stableId(seed, 20);
      case 'AWS::OpenSearchServerless::Index':
        return `${this.str(p.IndexName)}|${this.str(p.CollectionEndpoint)}`;
      // Ref of a state machine is its ARN; a generated name is 1-80 characters
      // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachine.html).
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${this.context.region}:${this.context.accountId}:stateMachine:${p.StateMachineName !== undefined ? this.str(p.StateMachineName) : generated(80)}`;
      // Ref of a rule is its name (same reference, aws-resource-events-rule.html).
      case 'AWS::Events::Rule':
        return p.Name !== undefined ? this.str(p.Name) : generated(64);
      case 'AWS::Bedrock::DataSource':
        return `${this.str(p.KnowledgeBaseId)}|${stableId(seed, 10, ALNUM_UPPER)}`;
      default:
        return `${id}-${stableId(seed, 12)}`;
    }
  }

  getAtt(id: string, attr: string): unknown {
    const r = this.resource(id);
    const name = String(this.ref(id));
    const { region, accountId } = this.context;
    const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${accountId}:${resource}`;
    switch (`${r.Type}.${attr}`) {
      case 'AWS::DynamoDB::Table.Arn': return arn('dynamodb', `table/${name}`);
      case 'AWS::DynamoDB::Table.StreamArn': return arn('dynamodb', `table/${name}/stream/1970-01-01T00:00:00.000`);
      case 'AWS::S3::Bucket.Arn': return `arn:aws:s3:::${name}`;
      case 'AWS::S3::Bucket.DomainName': return `${name}.s3.amazonaws.com`;
      case 'AWS::S3::Bucket.RegionalDomainName': return `${name}.s3.${region}.amazonaws.com`;
      case 'AWS::S3::Bucket.DualStackDomainName': return `${name}.s3.dualstack.${region}.amazonaws.com`;
      case 'AWS::S3::Bucket.WebsiteURL': return `http://${name}.s3-website-${region}.amazonaws.com`;
      case 'AWS::Lambda::Function.Arn': return arn('lambda', `function:${name}`);
      case 'AWS::StepFunctions::StateMachine.Arn': return name;
      case 'AWS::StepFunctions::StateMachine.Name': return name.slice(name.lastIndexOf(':') + 1);
      case 'AWS::Events::Rule.Arn': return arn('events', `rule/${name}`);
      case 'AWS::ApiGatewayV2::Api.ApiId': return name;
      case 'AWS::ApiGatewayV2::Api.ApiEndpoint': {
        const scheme = r.Properties?.ProtocolType === 'WEBSOCKET' ? 'wss' : 'https';
        return `${scheme}://${name}.execute-api.${region}.amazonaws.com`;
      }
      case 'AWS::ApiGatewayV2::Authorizer.AuthorizerId': return name;
      case 'AWS::ApiGatewayV2::Integration.IntegrationId': return name;
      case 'AWS::Cognito::UserPool.Arn': return arn('cognito-idp', `userpool/${name}`);
      case 'AWS::Cognito::UserPool.UserPoolId': return name;
      case 'AWS::Cognito::UserPool.ProviderName': return `cognito-idp.${region}.amazonaws.com/${name}`;
      case 'AWS::Cognito::UserPool.ProviderURL': return `https://cognito-idp.${region}.amazonaws.com/${name}`;
      case 'AWS::Cognito::UserPoolClient.ClientId': return name;
      case 'AWS::Cognito::UserPoolDomain.CloudFrontDistribution': return `d${stableId(`${id}/cf`, 13)}.cloudfront.net`;
      case 'AWS::CloudFront::Distribution.Id': return name;
      case 'AWS::CloudFront::Distribution.DomainName': return `d${stableId(`${this.context.stackName}/${id}/domain`, 13)}.cloudfront.net`;
      case 'AWS::CloudFront::OriginAccessControl.Id': return name;
      case 'AWS::CloudFront::ResponseHeadersPolicy.Id': return name;
      case 'AWS::IAM::Role.Arn': return `arn:aws:iam::${accountId}:role/${name}`;
      case 'AWS::Logs::LogGroup.Arn': return arn('logs', `log-group:${name}:*`);
      case 'AWS::WAFv2::WebACL.Arn': return arn('wafv2', `global/webacl/${name}`);
      case 'AWS::S3Vectors::VectorBucket.VectorBucketArn': return name;
      case 'AWS::S3Vectors::Index.IndexArn': return name;
      case 'AWS::Bedrock::KnowledgeBase.KnowledgeBaseId': return name;
      case 'AWS::Bedrock::KnowledgeBase.KnowledgeBaseArn': return arn('bedrock', `knowledge-base/${name}`);
      case 'AWS::Bedrock::DataSource.DataSourceId': return name.split('|')[1];
      case 'AWS::OpenSearchServerless::Collection.Id': return name;
      case 'AWS::OpenSearchServerless::Collection.Arn': return arn('aoss', `collection/${name}`);
      case 'AWS::OpenSearchServerless::Collection.CollectionEndpoint': return `https://${name}.${region}.aoss.amazonaws.com`;
      case 'AWS::OpenSearchServerless::Collection.DashboardEndpoint': return `https://${name}.${region}.aoss.amazonaws.com/_dashboards`;
      default:
        if (attr === 'Arn') return arn(r.Type.split('::')[1].toLowerCase(), name);
        return `${name}.${attr}`;
    }
  }

  private sub(arg: unknown): string {
    const [template, vars] = Array.isArray(arg) ? arg as [string, Record<string, unknown>] : [arg as string, {}];
    return String(template).replace(/\$\{([^}!][^}]*)\}/g, (_, expr: string) => {
      if (Object.prototype.hasOwnProperty.call(vars, expr)) return String(this.resolve(vars[expr]));
      const dot = expr.indexOf('.');
      if (dot > 0 && !expr.startsWith('AWS::')) return String(this.getAtt(expr.slice(0, dot), expr.slice(dot + 1)));
      return String(this.ref(expr));
    }).replace(/\$\{!/g, '${');
  }

  /** The stack's outputs, resolved. */
  outputs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, o] of Object.entries(this.template.Outputs ?? {})) out[k] = this.str(o.Value);
    return out;
  }

  /** The stack's exports (`Outputs.*.Export.Name`): name → unresolved value. */
  exports(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const o of Object.values(this.template.Outputs ?? {})) if (o.Export) out[this.str(o.Export.Name)] = o.Value;
    return out;
  }
}

/** `AWS::NoValue`: removes the property or list item that holds it. */
export const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Maps each AWS host a resolved template names (`<api>.execute-api.<region>.amazonaws.com`,
 * `<prefix>.auth.<region>.amazoncognito.com`, `<distribution>.cloudfront.net`, bucket domains, ...) to the local server
 * standing in for it, and rewrites URLs in strings: `https://host` → `http://127.0.0.1:<port>`, `wss://` → `ws://`.
 * A bare host (no scheme, as a managed login domain may be given) becomes the local origin with `http://`.
 */
export class EndpointResolver {
  private readonly hosts = new Map<string, string>();

  /** Registers `host` (no scheme) as served by `localOrigin` (`http://127.0.0.1:<port>`). */
  add(host: string, localOrigin: string): void {
    this.hosts.set(host.toLowerCase(), localOrigin.replace(/\/+$/, ''));
  }

  /** The local origin for a host, if any. */
  lookup(host: string): string | undefined {
    return this.hosts.get(host.toLowerCase());
  }

  entries(): [string, string][] {
    return [...this.hosts.entries()];
  }

  /** Rewrites every URL (and bare host) of a known AWS host in a string. */
  rewrite(value: string): string {
    if (this.hosts.size === 0) return value;
    const names = [...this.hosts.keys()].sort((a, b) => b.length - a.length).map((h) => h.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const pattern = new RegExp(`(\\b(?:https|http|wss|ws)://)?\\b(${names.join('|')})(?::443)?(?![\\w.-])`, 'gi');
    return value.replace(pattern, (_m, scheme: string | undefined, host: string) => {
      const local = this.hosts.get(host.toLowerCase())!;
      const localHost = local.replace(/^https?:\/\//, '');
      const s = (scheme ?? 'https://').toLowerCase();
      return `${s.startsWith('ws') ? 'ws' : 'http'}://${localHost}`;
    });
  }

  /** Rewrites every string in a JSON-like value. */
  rewriteDeep<T>(value: T): T {
    if (typeof value === 'string') return this.rewrite(value) as unknown as T;
    if (Array.isArray(value)) return value.map((v) => this.rewriteDeep(v)) as unknown as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.rewriteDeep(v)])) as T;
    }
    return value;
  }
}
