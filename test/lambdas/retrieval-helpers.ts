/**
 * Helpers for the retrieval tests over the wire: documents seeded into the playground's knowledge base with the real
 * `@aws-sdk/client-bedrock-agent` client, a bot's `documentCount` set with the DynamoDB client, and a recording
 * HTTP/2 proxy in front of the local Bedrock Agent Runtime (the worker's `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME`),
 * which counts the Retrieve calls and can refuse them like Bedrock does.
 */
import * as http2 from 'node:http2';
import { BedrockAgentClient, CreateDataSourceCommand, CreateKnowledgeBaseCommand, IngestKnowledgeBaseDocumentsCommand, ListDataSourcesCommand } from '@aws-sdk/client-bedrock-agent';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { User } from './rest-helpers';
import { BedrockChatFrontend, ChatBackend, ChatModel, KnowledgeBaseFactory } from '../../src';
import type { AppBuilder } from '../../src/local/apps';
import type { FakeRequest, FakeScript } from '../../src/local/emulators/bedrock';
import { listenLoopback } from '../../src/local/emulators/util';
import { Playground, startPlayground } from '../../src/local/playground';
import { request, WsClient } from '../../src/local/ws-client';

/**
 * The full-system composition with knowledge and two models: DeepSeek-R1 first (the default: no tool use, so bots
 * without a model of their own keep the slice 1 retrieval, passages in the system prompt) and Claude Haiku 4.5 (tool
 * use: the knowledge_search tool). Their capabilities reach the functions as the construct serializes them.
 */
export const knowledgeApp: AppBuilder = (app) => {
  const stack = new Stack(app, 'BedrockChat', { env: { region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1' } });
  const backend = new ChatBackend(stack, 'Backend', { models: [ChatModel.DEEPSEEK_R1, ChatModel.CLAUDE_HAIKU_4_5] });
  const frontend = new BedrockChatFrontend(stack, 'Frontend', { backend });
  const knowledge = new KnowledgeBaseFactory(stack, 'Knowledge', { backend });
  new CfnOutput(stack, 'AppUrl', { value: frontend.url });
  new CfnOutput(stack, 'KnowledgeBaseId', { value: knowledge.knowledgeBaseId });
  new CfnOutput(stack, 'KnowledgeDocumentBucket', { value: knowledge.documentBucket.bucketName });
};

/** The model with tool use of `knowledgeApp` (a bot's `defaultModel`). */
export const TOOL_MODEL = ChatModel.CLAUDE_HAIKU_4_5.key;

/** The playground of a retrieval test file, and its Retrieve proxy when it has one. */
export interface KnowledgeStack {
  readonly pg: Playground;
  readonly proxy: RetrieveProxy;
}

/**
 * Registers the hooks the retrieval test files share: before all, `knowledgeApp` on the playground with in-process
 * handlers and the model answering with `respond`; with `proxy`, a recording Retrieve proxy in front of the local
 * Bedrock Agent Runtime as the worker's endpoint (the worker's Retrieve client is created at its first use and reads
 * its endpoint then: the proxy's); after all, both stop. Call it at the top level of the file, before its own hooks.
 */
export function knowledgeStack(respond: (req: FakeRequest) => FakeScript, options: { readonly proxy?: boolean } = {}): KnowledgeStack {
  let pg: Playground | undefined;
  let proxy: RetrieveProxy | undefined;
  beforeAll(async () => {
    pg = await startPlayground({ app: knowledgeApp, handlers: 'in-process', quiet: !process.env.DEBUG_LOGS, respond });
    if (options.proxy) {
      proxy = await startRetrieveProxy(pg.stack.knowledge!.runtimeEndpoint);
      process.env.AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME = proxy.endpoint;
    }
  }, 120_000);
  afterAll(async () => {
    await proxy?.stop();
    await pg?.stop();
  });
  return {
    get pg() {
      if (!pg) throw new Error('The playground is not started yet: use it in a test or in a hook declared after knowledgeStack.');
      return pg;
    },
    get proxy() {
      if (!proxy) throw new Error(options.proxy ? 'The Retrieve proxy is not started yet.' : 'knowledgeStack was called without { proxy: true }.');
      return proxy;
    },
  };
}

/** `text` sent to a bot by `user` over a new WebSocket connection, closed after the answer: the answer's frames. */
export async function askBot(pg: Playground, user: User, botId: string, text: string) {
  const c = await WsClient.connect(pg.webSocketUrl, pg.issueToken(user));
  try {
    return await request(c, { action: 'sendMessage', content: [{ text }], botId });
  } finally {
    c.close();
  }
}

/**
 * A knowledge base of its own in the local knowledge base, created with the real SDK client (as the provision state
 * machine creates a dedicated one, or as an existing one was made outside the deployment), with a CUSTOM data source
 * and, given a bucket, an S3 data source over `documents/<botId>/`. Stands in for the provision machine (built by
 * another part at the same time).
 */
export async function createKnowledgeBase(
  pg: Playground, name: string, s3?: { bucket: string; botId: string },
): Promise<{ knowledgeBaseId: string; customId: string; s3Id?: string }> {
  const agent = new BedrockAgentClient({ endpoint: pg.stack.knowledge!.agentEndpoint });
  try {
    const kb = await agent.send(new CreateKnowledgeBaseCommand({
      name,
      roleArn: 'arn:aws:iam::000000000000:role/kb',
      knowledgeBaseConfiguration: { type: 'VECTOR', vectorKnowledgeBaseConfiguration: { embeddingModelArn: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0' } },
      storageConfiguration: { type: 'OPENSEARCH_SERVERLESS', opensearchServerlessConfiguration: { collectionArn: 'arn:aws:aoss:us-east-1:000000000000:collection/local', vectorIndexName: name, fieldMapping: { vectorField: 'v', textField: 't', metadataField: 'm' } } },
    }));
    const knowledgeBaseId = kb.knowledgeBase!.knowledgeBaseId!;
    const customId = (await agent.send(new CreateDataSourceCommand({ knowledgeBaseId, name: 'direct', dataSourceConfiguration: { type: 'CUSTOM' } }))).dataSource!.dataSourceId!;
    const s3Id = s3 ? (await agent.send(new CreateDataSourceCommand({
      knowledgeBaseId,
      name: 'documents',
      dataSourceConfiguration: { type: 'S3', s3Configuration: { bucketArn: `arn:aws:s3:::${s3.bucket}`, inclusionPrefixes: [`documents/${s3.botId}/`] } },
    }))).dataSource!.dataSourceId! : undefined;
    return { knowledgeBaseId, customId, ...(s3Id ? { s3Id } : {}) };
  } finally {
    agent.destroy();
  }
}

/** Inline text documents into a CUSTOM data source, with the given metadata attributes (none: a page without botId). */
export async function ingestInline(
  pg: Playground, knowledgeBaseId: string, dataSourceId: string, docs: readonly { id: string; text: string; metadata?: Record<string, string> }[],
): Promise<void> {
  const agent = new BedrockAgentClient({ endpoint: pg.stack.knowledge!.agentEndpoint });
  try {
    await agent.send(new IngestKnowledgeBaseDocumentsCommand({
      knowledgeBaseId,
      dataSourceId,
      documents: docs.map((d) => ({
        content: { dataSourceType: 'CUSTOM' as const, custom: { customDocumentIdentifier: { id: d.id }, sourceType: 'IN_LINE' as const, inlineContent: { type: 'TEXT' as const, textContent: { data: d.text } } } },
        ...(d.metadata ? {
          metadata: {
            type: 'IN_LINE_ATTRIBUTE' as const,
            inlineAttributes: Object.entries(d.metadata).map(([key, stringValue]) => ({ key, value: { type: 'STRING' as const, stringValue } })),
          },
        } : {}),
      })),
    }));
  } finally {
    agent.destroy();
  }
  await pg.stack.knowledge!.idle();
}

/** A document of a dedicated bot as the settings part stores it: the object `documents/<botId>/<documentId>/<name>`, ingested from S3 without metadata. */
export async function ingestS3Document(
  pg: Playground, bucket: string, knowledgeBaseId: string, dataSourceId: string, key: string, text: string,
): Promise<void> {
  const s3 = new S3Client({ forcePathStyle: true });
  const agent = new BedrockAgentClient({ endpoint: pg.stack.knowledge!.agentEndpoint });
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'text/plain' }));
    await agent.send(new IngestKnowledgeBaseDocumentsCommand({
      knowledgeBaseId,
      dataSourceId,
      documents: [{ content: { dataSourceType: 'S3', s3: { s3Location: { uri: `s3://${bucket}/${key}` } } } }],
    }));
  } finally {
    s3.destroy();
    agent.destroy();
  }
  await pg.stack.knowledge!.idle();
}

/**
 * The bot's `knowledgeSettings` and `kb` (docs/knowledge-contract.md, "The bot record"), written as bots-api and the
 * provision machine write them (built by other parts at the same time).
 */
export async function setBotKnowledge(
  botId: string, fields: { knowledgeSettings: Record<string, unknown>; kb?: Record<string, unknown> },
): Promise<void> {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  try {
    await db.send(new UpdateCommand({
      TableName: process.env.BOT_TABLE_NAME,
      Key: { pk: `BOT#${botId}`, sk: 'BOT' },
      UpdateExpression: fields.kb ? 'SET knowledgeSettings = :s, kb = :kb' : 'SET knowledgeSettings = :s',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':s': fields.knowledgeSettings, ...(fields.kb ? { ':kb': fields.kb } : {}) },
    }));
  } finally {
    db.destroy();
  }
}

export interface SeedDocument {
  readonly documentId: string;
  readonly name: string;
  readonly text: string;
}

/**
 * Ingests documents of a bot into the CUSTOM data source with the contract's inline metadata (botId, ownerId,
 * documentId, documentName), waits until they are indexed, and adds their number to the bot's `documentCount`.
 * This stands in for the documents REST routes (`POST /knowledge/bots/{botId}/documents`), built by another part at
 * the same time: it writes what they write, through the same APIs.
 */
export async function seedDocuments(pg: Playground, botId: string, ownerId: string, docs: readonly SeedDocument[]): Promise<void> {
  const knowledge = pg.stack.knowledge!;
  const knowledgeBaseId = pg.stack.outputs.KnowledgeBaseId;
  const agent = new BedrockAgentClient({ endpoint: knowledge.agentEndpoint });
  try {
    const sources = await agent.send(new ListDataSourcesCommand({ knowledgeBaseId }));
    const dataSourceId = sources.dataSourceSummaries!.find((s) => s.name === 'direct')!.dataSourceId!;
    const attribute = (key: string, stringValue: string) => ({ key, value: { type: 'STRING' as const, stringValue } });
    await agent.send(new IngestKnowledgeBaseDocumentsCommand({
      knowledgeBaseId,
      dataSourceId,
      documents: docs.map((d) => ({
        content: {
          dataSourceType: 'CUSTOM' as const,
          custom: { customDocumentIdentifier: { id: `${botId}/${d.documentId}` }, sourceType: 'IN_LINE' as const, inlineContent: { type: 'TEXT' as const, textContent: { data: d.text } } },
        },
        metadata: {
          type: 'IN_LINE_ATTRIBUTE' as const,
          inlineAttributes: [attribute('botId', botId), attribute('ownerId', ownerId), attribute('documentId', d.documentId), attribute('documentName', d.name)],
        },
      })),
    }));
  } finally {
    agent.destroy();
  }
  await knowledge.idle();
  await addDocumentCount(botId, docs.length);
}

/** `ADD documentCount :n` on the bot item, as the knowledge-api function changes it. */
export async function addDocumentCount(botId: string, n: number): Promise<void> {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  try {
    await db.send(new UpdateCommand({
      TableName: process.env.BOT_TABLE_NAME,
      Key: { pk: `BOT#${botId}`, sk: 'BOT' },
      UpdateExpression: 'ADD documentCount :n',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':n': n },
    }));
  } finally {
    db.destroy();
  }
}

export interface RetrieveCall {
  readonly path: string;
  readonly body: any;
}

/** A recording proxy for Retrieve: `calls` lists what reached it; `refuse` makes it answer an error instead. */
export interface RetrieveProxy {
  readonly endpoint: string;
  readonly calls: RetrieveCall[];
  /** When set, every call is answered with this error (status, `x-amzn-errortype`, message) and not forwarded. */
  refuse: { status: number; type: string; message: string } | undefined;
  stop(): Promise<void>;
}

export async function startRetrieveProxy(target: string): Promise<RetrieveProxy> {
  const upstream = http2.connect(target);
  const sessions = new Set<http2.ServerHttp2Session>();
  const proxy: RetrieveProxy = {
    endpoint: '',
    calls: [],
    refuse: undefined,
    stop: async () => {
      upstream.close();
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http2.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      proxy.calls.push({ path: String(req.headers[':path']), body: JSON.parse(raw.toString('utf8') || '{}') });
      const refuse = proxy.refuse;
      if (refuse) {
        res.writeHead(refuse.status, { 'content-type': 'application/json', 'x-amzn-errortype': refuse.type });
        res.end(JSON.stringify({ message: refuse.message }));
        return;
      }
      const headers: http2.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(req.headers)) if (!k.startsWith(':') || k === ':method' || k === ':path') headers[k] = v;
      const forwarded = upstream.request(headers);
      forwarded.on('response', (h) => {
        const out: http2.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(h)) if (!k.startsWith(':')) out[k] = v;
        res.writeHead(Number(h[':status']), out);
        forwarded.pipe(res);
      });
      forwarded.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      forwarded.end(raw);
    });
  });
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  const port = await listenLoopback(server as unknown as import('http').Server);
  (proxy as { endpoint: string }).endpoint = `http://127.0.0.1:${port}`;
  return proxy;
}
