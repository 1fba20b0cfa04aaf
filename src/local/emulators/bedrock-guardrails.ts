// src/local runs only in development (playground, tests): its imports are devDependencies.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { closeServer, listenLoopback, readBody } from './util';

/**
 * The guardrail operations of the Bedrock control plane (REST JSON over HTTP/1.1, as @aws-sdk/client-bedrock speaks
 * it), kept in memory, and the registry the Bedrock Runtime fake consults for a ConverseStream / Converse
 * `guardrailConfig`:
 * - CreateGuardrail `POST /guardrails` → 202 `{guardrailId, guardrailArn, version: "DRAFT", createdAt}`
 *   (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_CreateGuardrail.html);
 * - UpdateGuardrail `PUT /guardrails/{id}` → 202 `{guardrailId, guardrailArn, version: "DRAFT", updatedAt}`
 *   (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_UpdateGuardrail.html);
 * - CreateGuardrailVersion `POST /guardrails/{id}` → 202 `{guardrailId, version}`, versions numbered from 1
 *   (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_CreateGuardrailVersion.html);
 * - GetGuardrail `GET /guardrails/{id}?guardrailVersion=` → 200 with the policies as configured
 *   (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GetGuardrail.html);
 * - DeleteGuardrail `DELETE /guardrails/{id}[?guardrailVersion=]` → 202, the guardrail and its versions, or one version
 *   (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_DeleteGuardrail.html).
 * The identifier is the id or the ARN (`([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:...:guardrail/[a-z0-9]+)`). Errors:
 * ValidationException (400) for input the API refuses (name `[0-9a-zA-Z-_]{1,50}`, blocked messages 1..500
 * characters, filter types and strengths, `PROMPT_ATTACK` with an output strength other than NONE, grounding
 * thresholds outside 0..0.99), ConflictException (400, a name already used), ResourceNotFoundException (404).
 */
export interface GuardrailRecord {
  readonly id: string;
  readonly arn: string;
  name: string;
  config: Record<string, unknown>;
  readonly versions: Map<string, Record<string, unknown>>;
  nextVersion: number;
  readonly createdAt: string;
  updatedAt: string;
}

/** What the runtime fake applies of a guardrail: its contextual grounding filters and its blocked output message. */
export interface GuardrailPolicy {
  readonly grounding: readonly { readonly type: 'GROUNDING' | 'RELEVANCE'; readonly threshold: number }[];
  readonly blockedOutputsMessaging?: string;
}

export class GuardrailRegistry {
  readonly guardrails = new Map<string, GuardrailRecord>();

  constructor(private readonly region: string, private readonly accountId: string) {}

  /** The guardrail an identifier (id or ARN) names. */
  find(identifier: string): GuardrailRecord | undefined {
    const id = /guardrail\/([a-z0-9]+)$/.exec(identifier)?.[1] ?? identifier;
    return this.guardrails.get(id);
  }

  /** Whether ConverseStream could apply this id and version (`DRAFT` or a published version). */
  exists(identifier: string, version: string): boolean {
    const g = this.find(identifier);
    return !!g && (version === 'DRAFT' || g.versions.has(version));
  }

  /**
   * The contextual grounding filters and the blocked output message of a guardrail version (what the Bedrock Runtime
   * fake applies to an answer, ./bedrock.ts `groundingVerdict`); undefined for a guardrail or version that does not
   * exist. A guardrail only assumed to exist (made outside the stack) has no policies.
   */
  policy(identifier: string, version: string): GuardrailPolicy | undefined {
    const g = this.find(identifier);
    const config = !g ? undefined : version === 'DRAFT' ? g.config : g.versions.get(version);
    if (!config) return undefined;
    type Filters = { filtersConfig?: { type?: unknown; threshold?: unknown }[] } | undefined;
    const filters = (config.contextualGroundingPolicyConfig as Filters)?.filtersConfig ?? [];
    return {
      grounding: filters
        .filter((f) => (f.type === 'GROUNDING' || f.type === 'RELEVANCE') && typeof f.threshold === 'number')
        .map((f) => ({ type: f.type as 'GROUNDING' | 'RELEVANCE', threshold: f.threshold as number })),
      blockedOutputsMessaging: typeof config.blockedOutputsMessaging === 'string' ? config.blockedOutputsMessaging : undefined,
    };
  }

  /**
   * Records a guardrail made outside the stack as existing, with `version`: `ChatBackend`'s `guardrail` prop (and a
   * bot's `guardrail: {id, version}`) name one that must exist in the account for the deployment to answer at all.
   */
  assumeExisting(id: string, version: string): void {
    const now = new Date().toISOString();
    const g = this.guardrails.get(id) ?? {
      id,
      arn: this.newArn(id),
      name: id,
      config: {},
      versions: new Map<string, Record<string, unknown>>(),
      nextVersion: 1,
      createdAt: now,
      updatedAt: now,
    };
    if (version !== 'DRAFT') g.versions.set(version, {});
    this.guardrails.set(id, g);
  }

  newArn(id: string): string {
    return `arn:aws:bedrock:${this.region}:${this.accountId}:guardrail/${id}`;
  }
}

const FILTER_TYPES = ['SEXUAL', 'VIOLENCE', 'HATE', 'INSULTS', 'MISCONDUCT', 'PROMPT_ATTACK'];
const STRENGTHS = ['NONE', 'LOW', 'MEDIUM', 'HIGH'];
const IDENTIFIER = /^(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]+))$/;

class ApiError extends Error {
  constructor(readonly status: number, readonly type: string, message: string) {
    super(message);
  }
}

function validateConfig(body: Record<string, unknown>): Record<string, unknown> {
  const name = body.name;
  if (typeof name !== 'string' || !/^[0-9a-zA-Z_-]{1,50}$/.test(name)) throw new ApiError(400, 'ValidationException', '1 validation error detected: Value at \'name\' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_]+$ and length 1..50');
  for (const key of ['blockedInputMessaging', 'blockedOutputsMessaging']) {
    const v = body[key];
    if (typeof v !== 'string' || v.length < 1 || v.length > 500) throw new ApiError(400, 'ValidationException', `1 validation error detected: Value at '${key}' failed to satisfy constraint: Member must have length between 1 and 500`);
  }
  const content = body.contentPolicyConfig as { filtersConfig?: Record<string, unknown>[] } | undefined;
  for (const f of content?.filtersConfig ?? []) {
    if (!FILTER_TYPES.includes(String(f.type))) throw new ApiError(400, 'ValidationException', `Invalid content filter type ${String(f.type)}`);
    if (!STRENGTHS.includes(String(f.inputStrength)) || !STRENGTHS.includes(String(f.outputStrength))) throw new ApiError(400, 'ValidationException', `Invalid filter strength for ${String(f.type)}`);
    if (f.type === 'PROMPT_ATTACK' && f.outputStrength !== 'NONE') throw new ApiError(400, 'ValidationException', 'PromptAttack filter output strength must be NONE.');
  }
  const grounding = body.contextualGroundingPolicyConfig as { filtersConfig?: Record<string, unknown>[] } | undefined;
  for (const f of grounding?.filtersConfig ?? []) {
    if (f.type !== 'GROUNDING' && f.type !== 'RELEVANCE') throw new ApiError(400, 'ValidationException', `Invalid contextual grounding filter type ${String(f.type)}`);
    if (typeof f.threshold !== 'number' || f.threshold < 0 || f.threshold > 0.99) throw new ApiError(400, 'ValidationException', 'Contextual grounding threshold must be between 0 and 0.99.');
  }
  const { clientRequestToken: _t, tags: _tags, ...config } = body;
  return config;
}

function view(g: GuardrailRecord, version: string): Record<string, unknown> {
  const config = version === 'DRAFT' ? g.config : g.versions.get(version)!;
  const content = config.contentPolicyConfig as { filtersConfig?: unknown[] } | undefined;
  const grounding = config.contextualGroundingPolicyConfig as { filtersConfig?: unknown[] } | undefined;
  return {
    name: config.name,
    ...(config.description ? { description: config.description } : {}),
    guardrailId: g.id,
    guardrailArn: g.arn,
    version,
    status: 'READY',
    ...(content ? { contentPolicy: { filters: content.filtersConfig ?? [] } } : {}),
    ...(grounding ? { contextualGroundingPolicy: { filters: grounding.filtersConfig ?? [] } } : {}),
    blockedInputMessaging: config.blockedInputMessaging,
    blockedOutputsMessaging: config.blockedOutputsMessaging,
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
  };
}

export async function startBedrockControl(registry: GuardrailRegistry): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const raw = await readBody(req);
    let body: Record<string, unknown> = {};
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new ApiError(400, 'ValidationException', 'The request body is not JSON.');
      }
    }
    const m = /^\/guardrails(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) throw new ApiError(404, 'UnknownOperationException', `no route for ${req.method} ${url.pathname}`);
    const identifier = m[1] ? decodeURIComponent(m[1]) : undefined;
    const now = new Date().toISOString();
    if (!identifier) {
      if (req.method !== 'POST') throw new ApiError(404, 'UnknownOperationException', `no route for ${req.method} /guardrails`);
      const config = validateConfig(body);
      if ([...registry.guardrails.values()].some((g) => g.name === config.name)) throw new ApiError(400, 'ConflictException', `A guardrail named ${String(config.name)} already exists.`);
      const id = randomBytes(6).toString('hex');
      const g: GuardrailRecord = {
        id, arn: registry.newArn(id), name: String(config.name), config, versions: new Map(), nextVersion: 1, createdAt: now, updatedAt: now,
      };
      registry.guardrails.set(id, g);
      return send(res, 202, { guardrailId: g.id, guardrailArn: g.arn, version: 'DRAFT', createdAt: now });
    }
    if (!IDENTIFIER.test(identifier)) throw new ApiError(400, 'ValidationException', `1 validation error detected: Value '${identifier}' at 'guardrailIdentifier' failed to satisfy constraint`);
    const g = registry.find(identifier);
    if (!g) throw new ApiError(404, 'ResourceNotFoundException', 'The specified guardrail was not found.');
    const version = url.searchParams.get('guardrailVersion') ?? undefined;
    switch (req.method) {
      case 'PUT': {
        const config = validateConfig(body);
        if ([...registry.guardrails.values()].some((o) => o !== g && o.name === config.name)) throw new ApiError(400, 'ConflictException', `A guardrail named ${String(config.name)} already exists.`);
        g.config = config;
        g.name = String(config.name);
        g.updatedAt = now;
        return send(res, 202, { guardrailId: g.id, guardrailArn: g.arn, version: 'DRAFT', updatedAt: now });
      }
      case 'POST': {
        const v = String(g.nextVersion++);
        g.versions.set(v, { ...g.config, ...(typeof body.description === 'string' ? { versionDescription: body.description } : {}) });
        return send(res, 202, { guardrailId: g.id, version: v });
      }
      case 'GET': {
        const v = version ?? 'DRAFT';
        if (v !== 'DRAFT' && !g.versions.has(v)) throw new ApiError(404, 'ResourceNotFoundException', 'The specified guardrail version was not found.');
        return send(res, 200, view(g, v));
      }
      case 'DELETE': {
        if (version !== undefined) {
          if (!g.versions.delete(version)) throw new ApiError(404, 'ResourceNotFoundException', 'The specified guardrail version was not found.');
        } else {
          registry.guardrails.delete(g.id);
        }
        return send(res, 202, {});
      }
      default:
        throw new ApiError(404, 'UnknownOperationException', `no route for ${req.method} ${url.pathname}`);
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof ApiError ? err : new ApiError(500, 'InternalServerException', String((err as Error)?.message ?? err));
      if (!res.headersSent) send(res, e.status, { message: e.message }, e.type);
      else res.destroy();
    });
  });
  const port = await listenLoopback(server);
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => closeServer(server) };
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(text);
}
