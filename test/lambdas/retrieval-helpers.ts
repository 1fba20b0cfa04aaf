/**
 * Helpers for the retrieval tests over the wire: documents seeded into the playground's knowledge base with the real
 * `@aws-sdk/client-bedrock-agent` client, a bot's `documentCount` set with the DynamoDB client, and a recording
 * HTTP/2 proxy in front of the local Bedrock Agent Runtime (the worker's `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME`),
 * which counts the Retrieve calls and can refuse them like Bedrock does.
 */
import * as http2 from 'node:http2';
import { BedrockAgentClient, IngestKnowledgeBaseDocumentsCommand, ListDataSourcesCommand } from '@aws-sdk/client-bedrock-agent';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { listenLoopback } from '../../src/local/emulators/util';
import type { Playground } from '../../src/local/playground';

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
