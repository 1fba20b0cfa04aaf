import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { invalid } from './errors';
import type { TextBlock, Usage } from './protocol';

export type Role = 'user' | 'assistant';
export type ContentBlock = TextBlock;

export interface Message {
  readonly id: string;
  readonly parentId: string | null;
  readonly role: Role;
  readonly content: ContentBlock[];
  readonly createdAt: string;
  readonly model?: string;
  readonly usage?: Usage;
  readonly stopReason?: string;
}

export interface Conversation {
  readonly id: string;
  readonly title: string;
  readonly model: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastMessageId: string;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
}

export interface ConversationPage {
  readonly items: Omit<Conversation, 'lastMessageId' | 'usage'>[];
  readonly nextToken?: string;
}

const userKey = (userId: string) => `USER#${userId}`;
const convKey = (conversationId: string) => `CONV#${conversationId}`;
const msgKey = (conversationId: string, messageId: string) => `CONV#${conversationId}#MSG#${messageId}`;

/**
 * Conversations and their messages in one table. Every key starts with the caller's user id, so no method can reach
 * another user's data. A turn writes a constant number of small items, however long the conversation is.
 */
export class ConversationStore {
  constructor(private readonly db: DynamoDBDocumentClient, private readonly tableName: string) {}

  async get(userId: string, conversationId: string): Promise<Conversation | undefined> {
    const res = await this.db.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: userKey(userId), sk: convKey(conversationId) },
    }));
    return res.Item ? toConversation(res.Item) : undefined;
  }

  async hasMessage(userId: string, conversationId: string, messageId: string): Promise<boolean> {
    const res = await this.db.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: userKey(userId), sk: msgKey(conversationId, messageId) },
      ProjectionExpression: 'sk',
    }));
    return res.Item !== undefined;
  }

  /** Creates a conversation whose first message is `first`. Fails with a conflict if the id is taken. */
  async create(userId: string, conv: { id: string; title: string; model: string }, first: Message): Promise<void> {
    await this.putMessage(userId, conv.id, first);
    const now = first.createdAt;
    await this.db.send(new PutCommand({
      TableName: this.tableName,
      Item: {
        pk: userKey(userId),
        sk: convKey(conv.id),
        type: 'conversation',
        id: conv.id,
        title: conv.title,
        model: conv.model,
        createdAt: now,
        updatedAt: now,
        lastMessageId: first.id,
        inputTokens: 0,
        outputTokens: 0,
        gsi1pk: userKey(userId),
        gsi1sk: `${now}#${conv.id}`,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }));
  }

  async putMessage(userId: string, conversationId: string, message: Message): Promise<void> {
    await this.db.send(new PutCommand({
      TableName: this.tableName,
      Item: { pk: userKey(userId), sk: msgKey(conversationId, message.id), type: 'message', conversationId, ...message },
      ConditionExpression: 'attribute_not_exists(pk)',
    }));
  }

  /** Moves the conversation's head to `lastMessageId`, bumps its recency and adds usage to its totals. */
  async advance(userId: string, conversationId: string, lastMessageId: string, usage?: Usage): Promise<void> {
    const now = new Date().toISOString();
    await this.db.send(new UpdateCommand({
      TableName: this.tableName,
      Key: { pk: userKey(userId), sk: convKey(conversationId) },
      UpdateExpression: 'SET lastMessageId = :m, updatedAt = :t, gsi1sk = :g ADD inputTokens :i, outputTokens :o',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: {
        ':m': lastMessageId,
        ':t': now,
        ':g': `${now}#${conversationId}`,
        ':i': usage?.inputTokens ?? 0,
        ':o': usage?.outputTokens ?? 0,
      },
    }));
  }

  /** The conversation and all its messages (the tree), in one paginated query. */
  async getWithMessages(userId: string, conversationId: string): Promise<{ conversation: Conversation; messages: Message[] } | undefined> {
    let conversation: Conversation | undefined;
    const messages: Message[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': userKey(userId), ':prefix': convKey(conversationId) },
        ExclusiveStartKey: startKey,
      }));
      for (const item of res.Items ?? []) {
        if (item.type === 'conversation' && item.id === conversationId) conversation = toConversation(item);
        else if (item.type === 'message' && item.conversationId === conversationId) messages.push(toMessage(item));
      }
      startKey = res.LastEvaluatedKey;
    } while (startKey);
    return conversation ? { conversation, messages } : undefined;
  }

  /** The caller's conversations, most recently updated first. Reads only conversation items (sparse index). */
  async list(userId: string, options: { limit?: number; nextToken?: string } = {}): Promise<ConversationPage> {
    const res = await this.db.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: 'byUpdatedAt',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': userKey(userId) },
      ScanIndexForward: false,
      Limit: options.limit ?? 50,
      ExclusiveStartKey: options.nextToken ? decodeToken(options.nextToken, userKey(userId)) : undefined,
      ProjectionExpression: 'id, title, model, createdAt, updatedAt',
    }));
    return {
      items: (res.Items ?? []).map((i) => ({ id: i.id, title: i.title, model: i.model, createdAt: i.createdAt, updatedAt: i.updatedAt })),
      nextToken: res.LastEvaluatedKey ? Buffer.from(JSON.stringify(res.LastEvaluatedKey)).toString('base64url') : undefined,
    };
  }
}

/** The path from the root to `leafId`, oldest first: the history the model sees. */
export function pathTo(messages: readonly Message[], leafId: string): Message[] {
  const byId = new Map(messages.map((m) => [m.id, m]));
  const path: Message[] = [];
  let cur = byId.get(leafId);
  while (cur && path.length <= messages.length) {
    path.push(cur);
    cur = cur.parentId ? byId.get(cur.parentId) : undefined;
  }
  return path.reverse();
}

function decodeToken(token: string, pk: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (key && typeof key === 'object' && key.gsi1pk === pk && key.pk === pk) return key;
  } catch {
    // fall through
  }
  throw invalid('nextToken is not valid.');
}

function toConversation(item: Record<string, any>): Conversation {
  return {
    id: item.id,
    title: item.title,
    model: item.model,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    lastMessageId: item.lastMessageId,
    usage: { inputTokens: Number(item.inputTokens ?? 0), outputTokens: Number(item.outputTokens ?? 0) },
  };
}

function toMessage(item: Record<string, any>): Message {
  return {
    id: item.id,
    parentId: item.parentId ?? null,
    role: item.role,
    content: item.content,
    createdAt: item.createdAt,
    ...(item.model ? { model: item.model } : {}),
    ...(item.usage ? { usage: item.usage } : {}),
    ...(item.stopReason ? { stopReason: item.stopReason } : {}),
  };
}
