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

/** What the worker reads at each poll of its request item. */
export interface RequestState {
  readonly stopRequested: boolean;
  /** The connection the client is on now (it changes when the client resumes the answer on a new connection). */
  readonly connectionId?: string;
}

/**
 * One small item per client request (`pk=USER#<userId>`, `sk=REQ#<requestId>`, expiring after a day): it makes
 * `sendMessage`, `regenerate` and `continue` idempotent (a retried frame finds the first attempt and gets the same ack,
 * never a second answer), carries the `stop` flag the worker polls, the connection the answer goes to (`connectionId`,
 * moved by `resume`) and `finishedAt` once the worker is done.
 */
export class RequestStore {
  constructor(private readonly db: DynamoDBDocumentClient, private readonly tableName: string) {}

  /**
   * Records a new request, sent on `connectionId` (where its answer goes until the client resumes it elsewhere);
   * returns the earlier record instead if this request id was seen before.
   */
  async claim(userId: string, record: RequestRecord, connectionId?: string): Promise<{ fresh: true } | { fresh: false; existing: RequestRecord }> {
    try {
      await this.db.send(new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `USER#${userId}`,
          sk: `REQ#${record.requestId}`,
          type: 'request',
          ...record,
          ...(connectionId ? { connectionId } : {}),
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

  /** The stop flag and the current connection, in one read (the worker's poll). */
  async poll(userId: string, requestId: string): Promise<RequestState> {
    const res = await this.db.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` },
      ProjectionExpression: 'stopRequested, connectionId',
    }));
    const connectionId = res.Item?.connectionId;
    return { stopRequested: res.Item?.stopRequested === true, connectionId: typeof connectionId === 'string' ? connectionId : undefined };
  }

  /**
   * `resume`: points the request at `connectionId`, in one conditional write that also reads the item back. Undefined
   * when the caller has no such request; `finished` when the worker had already marked it done (see `finish`).
   */
  async resume(userId: string, requestId: string, connectionId: string): Promise<{ conversationId: string; finished: boolean } | undefined> {
    try {
      const res = await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` },
        UpdateExpression: 'SET connectionId = :c',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':c': connectionId },
        ReturnValues: 'ALL_NEW',
      }));
      return { conversationId: String(res.Attributes?.conversationId ?? ''), finished: res.Attributes?.finishedAt !== undefined };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }

  /**
   * Marks the request finished (after its answer is stored) and returns the connection it points at at that moment.
   * This write and `resume`'s are serialized by DynamoDB on the one item: a resume either comes first (this returns
   * its connection, and the worker delivers the end there) or second (it sees `finishedAt` and the client reloads the
   * stored answer). ALL_NEW and ALL_OLD carry the same `connectionId` here, as this write does not touch it; what
   * matters is that the read and the write are one atomic operation. Undefined if the item no longer exists.
   */
  async finish(userId: string, requestId: string): Promise<string | undefined> {
    try {
      const res = await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` },
        UpdateExpression: 'SET finishedAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': new Date().toISOString() },
        ReturnValues: 'ALL_NEW',
      }));
      const connectionId = res.Attributes?.connectionId;
      return typeof connectionId === 'string' ? connectionId : undefined;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }
}
