import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** How long a request id is remembered (idempotency window and stop flag). */
export const REQUEST_TTL_SECONDS = 24 * 60 * 60;

export interface RequestRecord {
  readonly requestId: string;
  readonly conversationId: string;
  /** The message the request created (a user message, or the assistant message being continued). */
  readonly messageId: string;
  readonly createdAt: string;
}

/**
 * One small item per client request (`pk=USER#<userId>`, `sk=REQ#<requestId>`, expiring after a day): it makes
 * `sendMessage`, `regenerate` and `continue` idempotent (a retried frame finds the first attempt and gets the same ack,
 * never a second answer) and carries the `stop` flag the worker polls.
 */
export class RequestStore {
  constructor(private readonly db: DynamoDBDocumentClient, private readonly tableName: string) {}

  /** Records a new request; returns the earlier record instead if this request id was seen before. */
  async claim(userId: string, record: RequestRecord): Promise<{ fresh: true } | { fresh: false; existing: RequestRecord }> {
    try {
      await this.db.send(new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `USER#${userId}`,
          sk: `REQ#${record.requestId}`,
          type: 'request',
          ...record,
          expiresAt: Math.floor(Date.now() / 1000) + REQUEST_TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return { fresh: true };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const existing = await this.get(userId, record.requestId);
      if (!existing) throw err;
      return { fresh: false, existing };
    }
  }

  /** Forgets a request whose writes failed, so that the client's retry is processed instead of acknowledged. */
  async release(userId: string, requestId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` } }));
  }

  async get(userId: string, requestId: string): Promise<RequestRecord | undefined> {
    const res = await this.db.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` },
      ProjectionExpression: 'requestId, conversationId, messageId, createdAt',
    }));
    return res.Item as RequestRecord | undefined;
  }

  /** Flags the request as stopped; false when no such request exists. */
  async requestStop(userId: string, requestId: string): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` },
        UpdateExpression: 'SET stopRequested = :t',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':t': true },
      }));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async isStopRequested(userId: string, requestId: string): Promise<boolean> {
    const res = await this.db.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` },
      ProjectionExpression: 'stopRequested',
    }));
    return res.Item?.stopRequested === true;
  }
}
